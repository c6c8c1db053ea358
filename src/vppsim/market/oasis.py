"""CAISO OASIS live client: 15-min real-time LMP (FMM), hourly day-ahead LMP (IFM) and
ancillary-service prices.

- :func:`get_oasis` fetches one window of one OASIS report (``SingleZip``,
  ``resultformat=6``: a zip holding a CSV) through :func:`vppsim.http.fetch` (timeouts,
  retries with back-off on 429/5xx and timeouts, a rate limiter) and the raw cache, and
  checks the answer before caching it.
- :func:`read_oasis_zip` turns the zip into a frame; "no data" (an XML error file inside
  the zip, under HTTP 200), a damaged zip or an HTML page raise
  :class:`~vppsim.errors.SourceUnavailable`.
- :func:`read_lmp` (``PRC_RTPD_LMP`` 15-min, ``PRC_LMP`` DAM hourly) and
  :func:`read_as_prices` turn OASIS's long rows into price columns.
- :func:`get_caiso_market` puts it together for a study grid: windows of at most 31 days,
  about 5 s between requests, and a completeness check against the grid, so a window that
  failed or came back short never passes as data.

How OASIS answers (``shared/reference/README.md``; gridstatus ``caiso_constants.py``):

``https://oasis.caiso.com/oasisapi/SingleZip?resultformat=6&queryname=PRC_RTPD_LMP&version=3
&market_run_id=RTPD&node=NODE&startdatetime=20230801T07:00-0000&enddatetime=20230901T07:00-0000``.
Times are GMT, the end is exclusive, at most 31 days per request; OASIS keeps roughly
39 months. Rows are not time-sorted. ``PRC_AS`` (version 12) holds the hourly DAM/HASP
clearing prices by AS region, the price in its ``MW`` column; it is asked for one product
(``anc_type``) at a time, because ``anc_type=ALL`` is reported to return a single operating
day whatever the window. ``PRC_INTVL_AS`` (version 1, RTM, 15-min) serves one hour per request.

gridstatus (``CAISO.get_oasis_dataset``) covers the same reports, but it fetches with
``requests`` without a timeout (a throttled OASIS can hang it), gives up quietly on 429 and
returns an empty frame for a failed window, keeps no raw answers, checks no completeness,
and pins a heavy dependency set. This module keeps our own timeouts, back-off, redaction,
cache and checks, and parses the zip/CSV itself.
"""

from __future__ import annotations

import io
import logging
import re
import time
import zipfile
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import httpx
import numpy as np
import pandas as pd

from vppsim.calendar import CAISO_TIMEZONE as CAISO_TZ
from vppsim.errors import SourceUnavailable
from vppsim.http import DEFAULT_DEADLINE_S, RateLimiter, error_summary, fetch, preview
from vppsim.rawcache import RawCache

log = logging.getLogger(__name__)

OASIS_URL = "https://oasis.caiso.com/oasisapi/SingleZip"
SOURCE = "CAISO OASIS"
CACHE_SOURCE = "oasis"
RESULT_FORMAT_CSV = "6"
MAX_WINDOW_DAYS = 31
RETENTION_MONTHS = 39
"""OASIS keeps roughly this many months; older windows answer "no data"."""
MIN_INTERVAL_S = 5.0
"""Seconds between the starts of successive OASIS requests."""

VERSIONS: dict[str, int] = {
    "PRC_RTPD_LMP": 3,  # FMM 15-min LMP (README; gridstatus lmp_real_time_15_min)
    "PRC_INTVL_LMP": 3,  # RTD 5-min LMP (gridstatus)
    "PRC_LMP": 12,  # DAM hourly LMP (gridstatus)
    "PRC_AS": 12,  # DAM/HASP hourly AS clearing prices (gridstatus as_clearing_prices)
    "PRC_INTVL_AS": 1,  # RTM 15-min AS prices (gridstatus as_clearing_prices_real_time_15_min)
}
"""The ``version`` parameter sent per report unless the caller gives one."""

DEFAULT_NODE = "DLAP_SCE-APND"
DEFAULT_AS_REGION = "AS_CAISO_EXP"
AS_MARKETS = ("DAM", "HASP", "RTM")

LMP_COLUMNS = {
    "LMP": "lmp",
    "MCE": "lmp_energy",
    "MCC": "lmp_congestion",
    "MCL": "lmp_loss",
    "MGHG": "lmp_ghg",
}
"""``LMP_TYPE`` -> our column; LMP = MCE + MCC + MCL + MGHG."""
AS_COLUMNS = {
    "SR": "spin_price",
    "NR": "nonspin_price",
    "RU": "regup_price",
    "RD": "regdown_price",
}
"""``ANC_TYPE`` -> our column. RMU/RMD (mileage, $/MW of movement) are left out."""
AS_IGNORED = frozenset({"RMU", "RMD"})
MARKET_COLUMNS = (
    "lmp",
    "da_lmp",
    "spin_price",
    "nonspin_price",
    "regup_price",
    "regdown_price",
    "lmp_energy",
    "lmp_congestion",
    "lmp_loss",
    "lmp_ghg",
)
COMPONENT_TOLERANCE = 0.01
"""$/MWh; OASIS rounds each component, so the sum can differ from the LMP by ~1e-4."""
NO_DATA_CODES = frozenset({"1000", "1001"})

_LMP_STEP = pd.Timedelta(minutes=15)
_HOUR = pd.Timedelta(hours=1)
_VALUE_COLUMNS = ("PRC", "MW", "VALUE")  # PRC_RTPD_LMP: PRC; PRC_LMP and PRC_AS: MW
_ERR_CODE = re.compile(rb"<(?:[\w.-]+:)?ERR_CODE>\s*([^<]*?)\s*</", re.IGNORECASE)
_ERR_DESC = re.compile(rb"<(?:[\w.-]+:)?ERR_DESC>\s*([^<]*?)\s*</", re.IGNORECASE)

OASIS_LIMITER = RateLimiter(MIN_INTERVAL_S)
"""Process-wide limiter used when a caller passes none: OASIS throttles per client."""


# --------------------------------------------------------------------------- windows


def _utc(value: pd.Timestamp, name: str) -> pd.Timestamp:
    stamp = pd.Timestamp(value)
    if stamp.tzinfo is None:
        raise ValueError(f"{name} must be timezone-aware (UTC), got {stamp}")
    return stamp.tz_convert("UTC")


def oasis_windows(
    start_utc: pd.Timestamp,
    end_utc: pd.Timestamp,
    max_days: float | pd.Timedelta = MAX_WINDOW_DAYS,
) -> list[tuple[pd.Timestamp, pd.Timestamp]]:
    """Split ``[start_utc, end_utc)`` into consecutive request windows.

    Each window lasts at most ``max_days`` days of 24 h (or a ``Timedelta``, e.g. one hour
    for ``PRC_INTVL_AS``); the last one ends at ``end_utc``. A period of 62 local days that
    holds the November clock change lasts 62 days and 1 hour, so it needs three windows.
    """
    start = _utc(start_utc, "start_utc")
    end = _utc(end_utc, "end_utc")
    span = max_days if isinstance(max_days, pd.Timedelta) else pd.Timedelta(days=max_days)
    if span <= pd.Timedelta(0):
        raise ValueError(f"max_days must be positive, got {max_days}")
    if end <= start:
        raise ValueError(f"end {end} is not after start {start}")
    windows = []
    cursor = start
    while cursor < end:
        stop = min(cursor + span, end)
        windows.append((cursor, stop))
        cursor = stop
    return windows


def oasis_time(stamp: pd.Timestamp) -> str:
    """OASIS's GMT datetime parameter format, e.g. ``20230801T07:00-0000``."""
    return _utc(stamp, "time").strftime("%Y%m%dT%H:%M-0000")


def _span_text(start: pd.Timestamp, end: pd.Timestamp) -> str:
    return f"{start:%Y-%m-%d %H:%M}Z..{end:%Y-%m-%d %H:%M}Z"


def _month(stamp: pd.Timestamp) -> str:
    return stamp.tz_convert(CAISO_TZ).strftime("%Y-%m")


def _now(now: pd.Timestamp | None) -> pd.Timestamp:
    return pd.Timestamp.now(tz="UTC") if now is None else _utc(now, "now")


def _oldest(now: pd.Timestamp) -> pd.Timestamp:
    return now - pd.DateOffset(months=RETENTION_MONTHS)


def check_period(
    start_utc: pd.Timestamp,
    end_utc: pd.Timestamp,
    now: pd.Timestamp | None = None,
    *,
    future_ok: pd.Timedelta = pd.Timedelta(0),
) -> None:
    """Refuse, without a request, a period OASIS cannot serve.

    ``now`` decides, but never appears in a message: the same study gets the same reason
    whenever it is built, so a manifest recording the reason does not depend on the day.

    Parameters
    ----------
    now : pandas.Timestamp, optional
        The current time (UTC); default the clock's.

    Raises
    ------
    SourceUnavailable
        The period starts more than about 39 months before ``now``, or ends more than
        ``future_ok`` after it.
    """
    start, end, now = _utc(start_utc, "start_utc"), _utc(end_utc, "end_utc"), _now(now)
    if start < _oldest(now):
        raise SourceUnavailable(
            f"{SOURCE} keeps about {RETENTION_MONTHS} months of data; the period starts in "
            f"{_month(start)}, before that"
        )
    if end > now + future_ok:
        raise SourceUnavailable(
            f"{SOURCE}: the period runs to {end:%Y-%m-%d %H:%M}Z, not yet published; "
            "prices are published only once the market has run"
        )


# --------------------------------------------------------------------------- fetch


def oasis_query(
    queryname: str, start_utc: pd.Timestamp, end_utc: pd.Timestamp, params: Mapping[str, Any]
) -> dict[str, str]:
    """The full query of one OASIS ``SingleZip`` CSV request.

    ``params`` holds the report's own parameters (``market_run_id``, ``node``,
    ``anc_type``, ``anc_region`` ...) and may override ``version``.
    """
    query = {"resultformat": RESULT_FORMAT_CSV, "queryname": queryname}
    version = params.get("version", VERSIONS.get(queryname))
    if version is None:
        raise ValueError(f"no known OASIS version for {queryname}; pass params['version']")
    query["version"] = str(version)
    query.update({str(k): str(v) for k, v in params.items() if k != "version" and v is not None})
    query["startdatetime"] = oasis_time(start_utc)
    query["enddatetime"] = oasis_time(end_utc)
    return query


def _label(queryname: str, params: Mapping[str, Any], start, end) -> str:
    chosen = [
        f"{name}={params[name]}"
        for name in ("market_run_id", "node", "anc_type", "anc_region")
        if params.get(name) is not None
    ]
    return " ".join([SOURCE, queryname, *chosen, _span_text(start, end)])


def get_oasis(
    client: httpx.Client,
    queryname: str,
    start_utc: pd.Timestamp,
    end_utc: pd.Timestamp,
    *,
    params: Mapping[str, Any],
    base_url: str = OASIS_URL,
    cache: RawCache | None = None,
    limiter: RateLimiter | None = None,
    sleep: Callable[[float], None] = time.sleep,
    attempts: int = 4,
    deadline_s: float = DEFAULT_DEADLINE_S,
    now: pd.Timestamp | None = None,
) -> bytes:
    """Fetch one window of one OASIS report: the zip bytes as served.

    The cache (when given) is consulted first. A fresh answer is checked (a zip holding a
    CSV) before it is cached, so a "no data" or damaged answer is never cached.

    Parameters
    ----------
    client : httpx.Client
        From :func:`vppsim.http.new_client`; its timeouts apply to every attempt.
    queryname : str
        OASIS report, e.g. ``PRC_RTPD_LMP``.
    start_utc, end_utc : pandas.Timestamp
        The window, end exclusive, at most 31 days.
    params : mapping
        The report's parameters (see :func:`oasis_query`).
    limiter : RateLimiter, optional
        Consulted before every attempt; default the process-wide ``OASIS_LIMITER`` (5 s).
    sleep : callable
        Back-off between retries (tests inject a recorder).
    deadline_s : float
        Longest time this request may take, retries, back-off and the limiter's spacing
        included [s] (:func:`vppsim.http.fetch`).
    now : pandas.Timestamp, optional
        The current time, for the retention check (tests pin it).

    Raises
    ------
    SourceUnavailable
        Older than OASIS keeps or in the future (no request made); unreachable host;
        timeouts, 429 or 5xx after retries; another HTTP error; "no data"; an OASIS error
        file; a damaged zip or an HTML page.
    """
    start, end = _utc(start_utc, "start_utc"), _utc(end_utc, "end_utc")
    if end <= start or end - start > pd.Timedelta(days=MAX_WINDOW_DAYS):
        raise ValueError(f"an OASIS window must last (0, 31] days, got {_span_text(start, end)}")
    check_period(start, end, now, future_ok=pd.Timedelta(days=2))
    query = oasis_query(queryname, start, end, params)
    label = _label(queryname, query, start, end)
    if cache is not None:
        cached = cache.get(CACHE_SOURCE, base_url, query, ())
        if cached is not None:
            return cached
    log.info("%s: requesting", label)
    response = fetch(
        client,
        base_url,
        query,
        secrets=(),
        source=label,
        attempts=attempts,
        deadline_s=deadline_s,
        sleep=sleep,
        limiter=OASIS_LIMITER if limiter is None else limiter,
    )
    if response.status_code != 200:
        raise SourceUnavailable(
            f"{label}: HTTP {response.status_code}: {error_summary(response, ())}"
        )
    content = response.content
    try:
        _csv_members(content)
    except _BadAnswer as exc:
        hint = ""
        if exc.no_data and start < _oldest(_now(now)) + pd.DateOffset(months=6):
            hint = f"; OASIS keeps about {RETENTION_MONTHS} months"
        raise SourceUnavailable(f"{label}: {exc.reason}{hint}") from None
    if cache is not None:
        cache.put(CACHE_SOURCE, base_url, query, (), content, response.status_code, "zip")
    return content


# --------------------------------------------------------------------------- zip


class _BadAnswer(Exception):
    def __init__(self, reason: str, *, no_data: bool = False):
        super().__init__(reason)
        self.reason = reason
        self.no_data = no_data


def _xml_error(data: bytes) -> _BadAnswer:
    code = _ERR_CODE.search(data)
    desc = _ERR_DESC.search(data)
    code_text = code.group(1).decode("utf-8", "replace") if code else "?"
    desc_text = desc.group(1).decode("utf-8", "replace") if desc else preview(data, 120)
    if code_text in NO_DATA_CODES or "no data" in desc_text.lower():
        return _BadAnswer(
            f"no data for this selection (OASIS error {code_text}: {desc_text})", no_data=True
        )
    return _BadAnswer(f"OASIS error {code_text}: {desc_text}")


def _csv_members(content: bytes) -> list[tuple[str, bytes]]:
    """The CSV files inside an OASIS zip answer; raise _BadAnswer for anything else."""
    if not content:
        raise _BadAnswer("empty answer (0 bytes)")
    if not content.startswith(b"PK"):
        head = content.lstrip()[:200].lower()
        if head.startswith(b"<") and (b"<html" in head or b"<!doctype html" in head):
            raise _BadAnswer(f"answered with an HTML page instead of a zip: {preview(content)}")
        if b"err_code" in content[:4000].lower():
            raise _xml_error(content)
        raise _BadAnswer(f"the answer is not a zip: {preview(content)}")
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            members = [(info.filename, archive.read(info)) for info in archive.infolist()]
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, ValueError) as exc:
        raise _BadAnswer(
            f"the zip is damaged or truncated ({len(content):,} bytes: {exc})"
        ) from None
    if not members:
        raise _BadAnswer("the zip holds no file")
    csvs = [(name, data) for name, data in members if name.lower().endswith(".csv")]
    if csvs:
        return csvs
    for _, data in members:
        if b"ERR_CODE" in data.upper():
            raise _xml_error(data)
    names = ", ".join(name for name, _ in members)
    raise _BadAnswer(f"the zip holds no CSV ({names}); was resultformat=6 sent?")


def read_oasis_zip(content: bytes) -> pd.DataFrame:
    """The CSV inside an OASIS zip answer, as a frame (several CSVs are concatenated).

    Raises
    ------
    SourceUnavailable
        "No data" (the XML error file OASIS sends under HTTP 200; the message holds its
        code and description), another OASIS error, an empty or damaged zip, an HTML page,
        or a CSV without rows.
    """
    try:
        members = _csv_members(content)
    except _BadAnswer as exc:
        raise SourceUnavailable(f"{SOURCE}: {exc.reason}") from None
    frames = []
    for name, data in members:
        try:
            frames.append(pd.read_csv(io.BytesIO(data)))
        except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
            reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise SourceUnavailable(f"{SOURCE}: unreadable CSV {name}: {reason}") from None
    frame = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    if frame.empty:
        raise SourceUnavailable(f"{SOURCE}: the CSV holds no rows ({members[0][0]})")
    return frame


# --------------------------------------------------------------------------- parse


def require_columns(frame: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    """Raise :class:`SourceUnavailable` if an OASIS ``frame`` lacks one of ``columns``."""
    missing = [name for name in columns if name not in frame.columns]
    if missing:
        raise SourceUnavailable(
            f"{SOURCE}: {what} rows lack column(s) {', '.join(missing)} "
            f"(columns: {', '.join(map(str, frame.columns[:16]))})"
        )


def _value_column(frame: pd.DataFrame, what: str) -> str:
    for name in _VALUE_COLUMNS:
        if name in frame.columns:
            return name
    raise SourceUnavailable(f"{SOURCE}: {what} rows have no price column (PRC, MW or VALUE)")


def gmt_index(values: pd.Series, what: str) -> pd.DatetimeIndex:
    """OASIS ``*_GMT`` timestamps as a UTC index; :class:`SourceUnavailable` if unreadable."""
    try:
        return pd.DatetimeIndex(pd.to_datetime(values, utc=True, format="ISO8601"))
    except (ValueError, TypeError) as exc:
        reason = str(exc).splitlines()[0]
        raise SourceUnavailable(f"{SOURCE}: {what}: unreadable GMT timestamps ({reason})") from None


def _stamp(value: pd.Timestamp) -> str:
    return pd.Timestamp(value).strftime("%Y-%m-%dT%H:%MZ")


def _select(frame: pd.DataFrame, column: str, wanted: str | None, what: str) -> pd.DataFrame:
    """Rows of one node / region; refuse a mix when none is named."""
    if column not in frame.columns:
        return frame
    values = frame[column].astype(str).str.strip()
    if wanted is not None:
        kept = frame[values == wanted]
        if kept.empty:
            found = ", ".join(sorted(set(values))[:5])
            raise SourceUnavailable(f"{SOURCE}: {what}: no rows for {wanted} (found {found})")
        return kept
    found = sorted(set(values))
    if len(found) > 1:
        raise SourceUnavailable(
            f"{SOURCE}: {what} rows hold {len(found)} {column} values ({', '.join(found[:5])}); "
            "name the one to read"
        )
    return frame


def _long_to_wide(
    stamps: pd.DatetimeIndex, kinds: pd.Series, values: pd.Series, what: str
) -> pd.DataFrame:
    long = pd.DataFrame({"timestamp": stamps, "kind": kinds.to_numpy(), "value": values.to_numpy()})
    duplicated = long.duplicated(["timestamp", "kind"], keep=False)
    if duplicated.any():
        first = long[duplicated].sort_values("timestamp").iloc[0]
        raise SourceUnavailable(
            f"{SOURCE}: {what}: {int(duplicated.sum())} duplicate rows, e.g. "
            f"{first['kind']} at {_stamp(first['timestamp'])}"
        )
    wide = long.pivot(index="timestamp", columns="kind", values="value").sort_index()
    wide.columns.name = None
    wide.index.name = "timestamp"
    return wide


def _check_step(frame: pd.DataFrame, stamps: pd.DatetimeIndex, step: pd.Timedelta, what: str):
    if "INTERVALENDTIME_GMT" not in frame.columns:
        return
    ends = gmt_index(frame["INTERVALENDTIME_GMT"], what)
    lengths = pd.TimedeltaIndex(ends - stamps)
    wrong = lengths != step
    if wrong.any():
        raise SourceUnavailable(
            f"{SOURCE}: {what}: {int(wrong.sum())} rows are not {step} long "
            f"(e.g. {lengths[wrong][0]} at {_stamp(stamps[wrong][0])})"
        )


def read_lmp(
    frame: pd.DataFrame,
    node: str | None = None,
    report: str = "PRC_RTPD_LMP",
    step: pd.Timedelta = _LMP_STEP,
) -> pd.DataFrame:
    """Turn LMP long rows (one per interval and ``LMP_TYPE``) into columns.

    ``PRC_RTPD_LMP`` (FMM) has 15-min intervals and its price in ``PRC``; ``PRC_LMP``
    (``market_run_id=DAM``, the day-ahead IFM) hourly ones, its price in ``MW``.

    Parameters
    ----------
    frame : pandas.DataFrame
        From :func:`read_oasis_zip` (rows in any order).
    node : str, optional
        Keep this ``NODE``; required when the rows hold several nodes.
    report : str
        The report the rows came from, for messages.
    step : pandas.Timedelta
        The report's interval length (15 min for FMM, 1 h for DAM).

    Returns
    -------
    pandas.DataFrame
        Index ``timestamp`` (UTC interval start, sorted, unique); columns ``lmp,
        lmp_energy, lmp_congestion, lmp_loss, lmp_ghg`` [$/MWh] (LMP, MCE, MCC, MCL, MGHG).

    Raises
    ------
    SourceUnavailable
        Missing columns or LMP types, duplicate rows, non-numeric or missing prices,
        intervals that are not ``step`` long, or components that do not add up to the LMP.
    """
    what = report
    require_columns(frame, ("INTERVALSTARTTIME_GMT", "LMP_TYPE"), what)
    value = _value_column(frame, what)
    frame = _select(frame, "NODE", node, what)
    kinds = frame["LMP_TYPE"].astype(str).str.strip()
    frame = frame[kinds.isin(list(LMP_COLUMNS))]
    kinds = kinds[kinds.isin(list(LMP_COLUMNS))]
    if frame.empty:
        raise SourceUnavailable(f"{SOURCE}: {what}: no LMP, MCE, MCC, MCL or MGHG rows")
    stamps = gmt_index(frame["INTERVALSTARTTIME_GMT"], what)
    _check_step(frame, stamps, step, what)
    prices = pd.to_numeric(frame[value], errors="coerce")
    wide = _long_to_wide(stamps, kinds, prices, what)
    absent = [kind for kind in LMP_COLUMNS if kind not in wide.columns]
    if absent:
        raise SourceUnavailable(f"{SOURCE}: {what}: no {', '.join(absent)} rows")
    wide = wide[list(LMP_COLUMNS)]
    gaps = wide.isna()
    if gaps.any().any():
        row = gaps.any(axis=1)
        first = wide.index[row][0]
        kinds_missing = ", ".join(wide.columns[gaps.loc[first]])
        raise SourceUnavailable(
            f"{SOURCE}: {what}: {int(row.sum())} intervals lack a price, e.g. "
            f"{kinds_missing} at {_stamp(first)}"
        )
    total = wide["MCE"] + wide["MCC"] + wide["MCL"] + wide["MGHG"]
    off = (total - wide["LMP"]).abs() > COMPONENT_TOLERANCE
    if off.any():
        first = wide.index[off][0]
        raise SourceUnavailable(
            f"{SOURCE}: {what}: MCE+MCC+MCL+MGHG differs from the LMP at {int(off.sum())} "
            f"intervals, e.g. {_stamp(first)} ({total[first]:.4f} vs {wide['LMP'][first]:.4f})"
        )
    return wide.rename(columns=LMP_COLUMNS).astype("float64")


def read_as_prices(frame: pd.DataFrame, region: str | None = None) -> pd.DataFrame:
    """Turn ``PRC_AS`` (or ``PRC_INTVL_AS``) long rows into one column per product.

    OASIS puts the clearing price [$/MW per hour] in the ``MW`` column, one row per
    interval, ``ANC_TYPE`` and ``ANC_REGION``. Regulation mileage (RMU, RMD) is dropped;
    so are rows whose ``XML_DATA_ITEM`` is not a clearing price (``*_CLR_PRC``).

    Parameters
    ----------
    frame : pandas.DataFrame
        From :func:`read_oasis_zip`; products may come from separate requests, concatenated.
    region : str, optional
        Keep this ``ANC_REGION`` (e.g. ``AS_CAISO_EXP``); required when several are present.

    Returns
    -------
    pandas.DataFrame
        Index ``timestamp`` (UTC interval start: hourly for PRC_AS, 15-min for
        PRC_INTVL_AS), sorted; columns ``spin_price, nonspin_price, regup_price,
        regdown_price``. A product absent from the rows is all NaN, and a missing hour
        is NaN: :func:`check_complete` the columns before use.

    Raises
    ------
    SourceUnavailable
        Missing columns, several regions or market runs mixed, duplicate rows,
        non-numeric prices.
    """
    what = "AS prices"
    require_columns(frame, ("INTERVALSTARTTIME_GMT", "ANC_TYPE"), what)
    value = _value_column(frame, what)
    frame = _select(frame, "ANC_REGION", region, what)
    frame = _select(frame, "MARKET_RUN_ID", None, what)
    if "XML_DATA_ITEM" in frame.columns:
        frame = frame[frame["XML_DATA_ITEM"].astype(str).str.strip().str.endswith("_CLR_PRC")]
    kinds = frame["ANC_TYPE"].astype(str).str.strip()
    unknown = sorted(set(kinds) - set(AS_COLUMNS) - AS_IGNORED)
    if unknown:
        log.warning("%s: ignoring unknown ANC_TYPE %s", SOURCE, ", ".join(unknown))
    keep = kinds.isin(list(AS_COLUMNS))
    frame, kinds = frame[keep], kinds[keep]
    if frame.empty:
        raise SourceUnavailable(f"{SOURCE}: {what}: no SR, NR, RU or RD clearing prices")
    stamps = gmt_index(frame["INTERVALSTARTTIME_GMT"], what)
    prices = pd.to_numeric(frame[value], errors="coerce")
    if prices.isna().any():
        bad = prices.isna().to_numpy()
        raise SourceUnavailable(
            f"{SOURCE}: {what}: {int(bad.sum())} rows without a numeric price, e.g. "
            f"{kinds.to_numpy()[bad][0]} at {_stamp(stamps[bad][0])}"
        )
    wide = _long_to_wide(stamps, kinds, prices, what)
    return wide.reindex(columns=list(AS_COLUMNS)).rename(columns=AS_COLUMNS).astype("float64")


# --------------------------------------------------------------------------- completeness


def check_complete(
    index: pd.DatetimeIndex, grid: pd.DatetimeIndex, what: str, tz: str = CAISO_TZ
) -> None:
    """Raise unless every instant of ``grid`` is in ``index``.

    The message names how many intervals are missing and the local days they fall on
    (with counts), and the first missing instants.

    Raises
    ------
    SourceUnavailable
        Something is missing, e.g. ``"CAISO OASIS: PRC_RTPD_LMP at X misses 96 of 2,784
        intervals: 2023-08-15 (96); first 2023-08-15T07:00Z"``.
    """
    missing = pd.DatetimeIndex(grid).difference(pd.DatetimeIndex(index))
    if missing.empty:
        return
    days = pd.Series(1, index=missing.tz_convert(tz).strftime("%Y-%m-%d")).groupby(level=0).sum()
    listed = ", ".join(f"{day} ({count})" for day, count in days.iloc[:5].items())
    if len(days) > 5:
        listed += f" and {len(days) - 5} more days"
    first = ", ".join(_stamp(stamp) for stamp in missing[:3])
    raise SourceUnavailable(
        f"{SOURCE}: {what} misses {len(missing):,} of {len(grid):,} intervals: {listed}; "
        f"first {first}"
    )


# --------------------------------------------------------------------------- market


def grid_step(grid: pd.DatetimeIndex) -> pd.Timedelta:
    """The study grid's interval; a grid CAISO's 15-min intervals cannot map onto is refused
    (``ValueError``)."""
    if len(grid) == 0:
        raise ValueError("the grid is empty")
    if grid.tz is None:
        raise ValueError("the grid must be timezone-aware UTC")
    if len(grid) == 1:
        return pd.Timedelta(grid.freq) if grid.freq is not None else _LMP_STEP
    steps = np.unique(np.diff(grid.asi8))
    if len(steps) != 1 or steps[0] <= 0:
        raise ValueError("the grid must be regular and increasing")
    step = pd.Timedelta(int(steps[0]), unit="ns")
    if not (_LMP_STEP % step == pd.Timedelta(0) or step % _LMP_STEP == pd.Timedelta(0)):
        raise ValueError(f"a {step} grid does not fit CAISO's 15-min intervals")
    return step


def onto_grid(
    frame: pd.DataFrame, grid: pd.DatetimeIndex, native: pd.Timedelta, step: pd.Timedelta
) -> pd.DataFrame:
    """Hold coarser values over finer grid intervals, or average finer values per interval.

    UTC floors match local interval boundaries because Pacific offsets are whole hours.
    """
    if step <= native:
        out = frame.reindex(grid.floor(native))
        out.index = grid
    else:
        out = frame.groupby(frame.index.floor(step)).mean().reindex(grid)
    return out


def mapping_text(native: pd.Timedelta, step: pd.Timedelta) -> str:
    """How :func:`onto_grid` put ``native`` values on a ``step`` grid, for provenance."""
    if native > step:
        return ", held over each interval"
    if native < step:
        return f", averaged over each {int(step / pd.Timedelta(minutes=1))}-min interval"
    return ""


def _within(frame: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
    stamps = gmt_index(frame["INTERVALSTARTTIME_GMT"], "rows")
    return frame[(stamps >= start) & (stamps < end)]


def get_caiso_market(
    client: httpx.Client,
    grid: pd.DatetimeIndex,
    *,
    node: str = DEFAULT_NODE,
    as_region: str = DEFAULT_AS_REGION,
    as_market: str = "DAM",
    base_url: str = OASIS_URL,
    cache: RawCache | None = None,
    limiter: RateLimiter | None = None,
    sleep: Callable[[float], None] = time.sleep,
    attempts: int = 4,
    deadline_s: float = DEFAULT_DEADLINE_S,
    now: pd.Timestamp | None = None,
) -> tuple[pd.DataFrame, dict]:
    """Real-time 15-min and day-ahead hourly LMP at ``node`` and AS prices in ``as_region``
    on the study grid.

    Requests, each through :func:`get_oasis` (cache first, ``limiter`` between requests):

    - ``PRC_RTPD_LMP`` (FMM, ``market_run_id=RTPD``) per window of at most 31 days;
    - ``PRC_LMP`` (IFM, ``market_run_id=DAM``) per window: the hourly day-ahead LMP
      (``da_lmp``), held over each hour's intervals;
    - ``as_market="DAM"`` or ``"HASP"``: ``PRC_AS`` per window and per product (SR, NR,
      RU, RD), hourly prices held over each hour's intervals;
      ``as_market="RTM"``: ``PRC_INTVL_AS`` (``anc_type=ALL``) per hour, 15-min prices.
      That is 24 requests a day, 2 minutes at 5 s each: slow for long studies.

    Every 15-min LMP interval and every AS interval of the study must be there
    (:func:`check_complete`). On a 5-min grid each 15-min value is held; on a 30- or
    60-min grid the 15-min values are averaged.

    Returns
    -------
    frame : pandas.DataFrame
        Index ``grid``; columns ``MARKET_COLUMNS`` (``lmp``, ``da_lmp``, the four AS prices,
        then the LMP components) [$/MWh, $/MW-h].
    details : dict
        Provenance: source, url, node, as_region, as_market, reports (with versions),
        windows, and how the AS prices were put on the grid.

    Raises
    ------
    SourceUnavailable
        Period older than OASIS keeps or not yet published (no request made), or any
        request, answer or completeness failure; the message says which.
    """
    step = grid_step(grid)
    if as_market not in AS_MARKETS:
        raise ValueError(f"as_market must be one of {', '.join(AS_MARKETS)}, got {as_market!r}")
    grid = pd.DatetimeIndex(grid).tz_convert("UTC")
    start, end = grid[0], grid[-1] + step
    check_period(start, end, now)
    limiter = OASIS_LIMITER if limiter is None else limiter
    common = {
        "base_url": base_url,
        "cache": cache,
        "limiter": limiter,
        "sleep": sleep,
        "attempts": attempts,
        "deadline_s": deadline_s,
        "now": now,
    }
    windows = oasis_windows(start, end)

    lmp_params = {"market_run_id": "RTPD", "node": node}
    lmp_parts = []
    for number, (a, b) in enumerate(windows, 1):
        log.info("%s PRC_RTPD_LMP %s: window %d of %d", SOURCE, node, number, len(windows))
        content = get_oasis(client, "PRC_RTPD_LMP", a, b, params=lmp_params, **common)
        lmp_parts.append(_within(read_oasis_zip(content), a, b))
    lmp = read_lmp(pd.concat(lmp_parts, ignore_index=True), node=node)
    lmp_grid = pd.date_range(start, end, freq=_LMP_STEP, inclusive="left")
    check_complete(lmp.index, lmp_grid, f"PRC_RTPD_LMP at {node}")
    lmp = lmp.reindex(lmp_grid)

    hours = (start.floor(_HOUR), end.ceil(_HOUR))
    hour_windows = windows if hours == (start, end) else oasis_windows(*hours)
    da_parts = []
    for number, (a, b) in enumerate(hour_windows, 1):
        log.info("%s PRC_LMP DAM %s: window %d of %d", SOURCE, node, number, len(hour_windows))
        params = {"market_run_id": "DAM", "node": node}
        content = get_oasis(client, "PRC_LMP", a, b, params=params, **common)
        da_parts.append(_within(read_oasis_zip(content), a, b))
    da = read_lmp(pd.concat(da_parts, ignore_index=True), node, "PRC_LMP DAM", _HOUR)
    da_grid = pd.date_range(*hours, freq=_HOUR, inclusive="left")
    check_complete(da.index, da_grid, f"PRC_LMP DAM at {node}")
    da = da[["lmp"]].rename(columns={"lmp": "da_lmp"}).reindex(da_grid)

    if as_market == "RTM":
        as_query, as_step = "PRC_INTVL_AS", _LMP_STEP
        as_windows = oasis_windows(start, end, _HOUR)
        products: tuple[str, ...] = ("ALL",)
    else:
        as_query, as_step = "PRC_AS", _HOUR
        as_windows = hour_windows
        products = tuple(AS_COLUMNS)
    as_parts = []
    for number, (a, b) in enumerate(as_windows, 1):
        for product in products:
            log.info(
                "%s %s %s %s: window %d of %d",
                SOURCE,
                as_query,
                as_region,
                product,
                number,
                len(as_windows),
            )
            params = {"market_run_id": as_market, "anc_type": product, "anc_region": as_region}
            content = get_oasis(client, as_query, a, b, params=params, **common)
            as_parts.append(_within(read_oasis_zip(content), a, b))
    prices = read_as_prices(pd.concat(as_parts, ignore_index=True), region=as_region)
    as_grid = pd.date_range(start.floor(as_step), end.ceil(as_step), freq=as_step, inclusive="left")
    for code, column in AS_COLUMNS.items():
        check_complete(
            prices[column].dropna().index, as_grid, f"{as_query} {code} ({column}) in {as_region}"
        )
    prices = prices.reindex(as_grid)

    frame = pd.concat(
        [
            onto_grid(lmp, grid, _LMP_STEP, step),
            onto_grid(da, grid, _HOUR, step),
            onto_grid(prices, grid, as_step, step),
        ],
        axis=1,
    )[list(MARKET_COLUMNS)]
    frame.index.name = "timestamp"
    if frame.isna().any().any():  # cannot happen after the checks above; never pass a gap
        raise SourceUnavailable(f"{SOURCE}: prices missing on the grid after the checks")
    native = "hourly" if as_step == _HOUR else "15-min"
    details_as = f"{as_market} {native} clearing prices{mapping_text(as_step, step)}"
    reports = [
        f"PRC_RTPD_LMP v{VERSIONS['PRC_RTPD_LMP']} RTPD",
        f"PRC_LMP v{VERSIONS['PRC_LMP']} DAM",
        f"{as_query} v{VERSIONS[as_query]} {as_market}",
    ]
    details = {
        "source": SOURCE,
        "url": base_url,
        "node": node,
        "as_region": as_region,
        "as_market": as_market,
        "reports": "; ".join(reports),
        "windows": [f"{_stamp(a)}/{_stamp(b)}" for a, b in windows],
        "lmp": "FMM (RTPD) 15-min LMP = MCE + MCC + MCL + MGHG" + mapping_text(_LMP_STEP, step),
        "da_lmp": "IFM (DAM) hourly LMP" + mapping_text(_HOUR, step),
        "as_prices": details_as,
    }
    return frame, details
