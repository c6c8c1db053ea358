"""CAISO OASIS client: windows, fetch failures, zip/CSV parsing, completeness, cache.

No network: a fake OASIS on 127.0.0.1 answers like the real one (a zip holding one CSV, or
the XML "no data" file), slicing the real PRC_RTPD_LMP file in shared/reference by the
requested window.
"""

from __future__ import annotations

import datetime as dt
import gzip
import io
import re
import time
import zipfile
from collections.abc import Callable

import httpx
import numpy as np
import pandas as pd
import pytest

from vppsim.errors import SourceUnavailable
from vppsim.grid import build_grid
from vppsim.http import RateLimiter, new_client
from vppsim.market.oasis import (
    MARKET_COLUMNS,
    OASIS_URL,
    check_complete,
    get_caiso_market,
    get_oasis,
    oasis_query,
    oasis_windows,
    read_as_prices,
    read_lmp,
    read_oasis_zip,
)
from vppsim.rawcache import RawCache

from .conftest import REFERENCE, ROOT_TESTS
from .fakeserver import Canned

LA = "America/Los_Angeles"
PATH = "/oasisapi/SingleZip"
RAW_DIR = REFERENCE / "market" / "caiso_oasis_raw"
RAW_NAME = "20230731_20230830_PRC_RTPD_LMP_RTPD_20230927_12_23_20_v2.csv"
RAW = RAW_DIR / f"{RAW_NAME}.gz"
RAW_NODE = "MIL1_3_PASGNODE"
NOW = pd.Timestamp("2024-01-15T00:00Z")  # OASIS still held 2023 then
RECORDED = ROOT_TESTS / "data" / "oasis" / "prc_rtpd_lmp_mil1_20230817T00-02Z.zip"
"""Eight intervals of the real file, as OASIS serves them (tests/data/oasis/README.md)."""

LMP_HEADER = (
    "INTERVALSTARTTIME_GMT,INTERVALENDTIME_GMT,OPR_DT,OPR_HR,NODE_ID_XML,NODE_ID,NODE,"
    "MARKET_RUN_ID,LMP_TYPE,XML_DATA_ITEM,PNODE_RESMRID,GRP_TYPE,POS,PRC,OPR_INTERVAL,GROUP"
)
# PRC_LMP (DAM, hourly; the price in MW), PRC_AS (DAM) and PRC_INTVL_AS (RTM) CSV headers as
# OASIS serves them (gridstatus's parsers read the same layouts; no DAM answer is recorded in
# shared/reference, so the day-ahead rows are built in this layout).
DAM_LMP_HEADER = (
    "INTERVALSTARTTIME_GMT,INTERVALENDTIME_GMT,OPR_DT,OPR_HR,OPR_INTERVAL,NODE_ID_XML,NODE_ID,"
    "NODE,MARKET_RUN_ID,LMP_TYPE,XML_DATA_ITEM,PNODE_RESMRID,GRP_TYPE,POS,MW,GROUP"
)
AS_HEADER = (
    "INTERVALSTARTTIME_GMT,INTERVALENDTIME_GMT,OPR_DT,OPR_HR,OPR_INTERVAL,OPR_TYPE,ANC_TYPE,"
    "ANC_REGION,MARKET_RUN_ID,XML_DATA_ITEM,MW,GROUP"
)
INTVL_AS_HEADER = (
    "INTERVALSTARTTIME_GMT,INTERVALENDTIME_GMT,OPR_DT,OPR_HR,OPR_TYPE,ANC_TYPE,XML_DATA_ITEM,"
    "MARKET_RUN_ID,MW,ANC_REGION,OPR_INTERVAL,GROUP"
)
AS_ITEMS = {"SR": "SP", "NR": "NS", "RU": "RU", "RD": "RD", "RMU": "RMU", "RMD": "RMD"}
AS_BASE = {"SR": 3.0, "NR": 0.5, "RU": 8.0, "RD": 6.0, "RMU": 0.1, "RMD": 0.2}

# The XML OASIS puts in the zip (under HTTP 200) when a selection holds nothing.
NO_DATA_XML = """<?xml version="1.0" encoding="UTF-8"?>
<m:OASISReport xmlns:m="http://www.caiso.com/soa/OASISReport_v1.xsd">
<m:MessageHeader>
\t<m:TimeDate>2026-09-14T17:10:55.764Z</m:TimeDate>
\t<m:Source>OASIS</m:Source>
\t<m:Version>v20131201</m:Version>
</m:MessageHeader>
<m:MessagePayload>
<m:RTO>
<m:name>CAISO</m:name>
<m:DISCLAIMER_ITEM>
<m:DISCLAIMER>The contents of these pages are subject to change without notice.</m:DISCLAIMER>
</m:DISCLAIMER_ITEM>
<m:ERROR>
<m:ERR_CODE>1000</m:ERR_CODE>
<m:ERR_DESC>No data returned for the specified selection</m:ERR_DESC>
</m:ERROR>
</m:RTO>
</m:MessagePayload>
</m:OASISReport>
"""


def zipped(name: str, text: str | bytes) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(name, text)
    return out.getvalue()


NO_DATA_ZIP = zipped("INVALID_REQUEST.xml", NO_DATA_XML)


def gmt(stamps: pd.DatetimeIndex) -> np.ndarray:
    return np.asarray(stamps.strftime("%Y-%m-%dT%H:%M:%S-00:00"))


def assert_short(message: str) -> None:
    assert "\n" not in message and "Traceback" not in message and len(message) < 320, message


class FakeClock:
    def __init__(self):
        self.now = 100.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


# --------------------------------------------------------------------------- fake OASIS


def raw_lines() -> tuple[str, pd.Series]:
    """The real file: header and data lines, indexed by interval start (UTC)."""
    text = gzip.decompress(RAW.read_bytes()).decode("utf-8")
    header, *lines = text.splitlines()
    starts = pd.to_datetime([line.split(",", 1)[0] for line in lines], utc=True)
    return header, pd.Series(lines, index=starts)


def synthetic_lmp_lines(start: pd.Timestamp, end: pd.Timestamp, node: str) -> list[str]:
    """PRC_RTPD_LMP rows in the real 16-column layout; LMP = MCE+MCC+MCL+MGHG."""
    stamps = pd.date_range(start, end, freq="15min", inclusive="left")
    local = stamps.tz_convert(LA)
    energy = 40.0 + stamps.hour + stamps.minute / 100
    parts = {"MCE": energy, "MCC": np.full(len(stamps), 1.5), "MCL": np.full(len(stamps), 0.5)}
    parts["MGHG"] = np.full(len(stamps), 0.25)
    parts["LMP"] = parts["MCE"] + 2.25
    items = {"LMP": "LMP_PRC", "MCE": "LMP_ENE_PRC", "MCC": "LMP_CONG_PRC"}
    items.update({"MCL": "LMP_LOSS_PRC", "MGHG": "LMP_GHG_PRC"})
    lines = []
    for kind, values in parts.items():
        frame = pd.DataFrame(
            {
                "s": gmt(stamps),
                "e": gmt(stamps + pd.Timedelta(minutes=15)),
                "dt": local.strftime("%Y-%m-%d"),
                "hr": [f"{h + 1:02d}" for h in local.hour],
                "n1": node,
                "n2": node,
                "n3": node,
                "m": "RTPD",
                "t": kind,
                "x": items[kind],
                "p": node,
                "g": "ALL",
                "pos": 1,
                "v": np.round(values, 5),
                "i": local.minute // 15 + 1,
                "grp": 1,
            }
        )
        lines += frame.astype(str).agg(",".join, axis=1).tolist()
    return lines


def dam_lmp_lines(start: pd.Timestamp, end: pd.Timestamp, node: str) -> list[str]:
    """PRC_LMP DAM rows (hourly) in OASIS's 16-column layout; LMP = MCE+MCC+MCL+MGHG."""
    stamps = pd.date_range(start.floor("h"), end, freq="h", inclusive="left")
    local = stamps.tz_convert(LA)
    energy = 35.0 + stamps.hour
    parts = {"MCE": energy, "MCC": np.full(len(stamps), 1.0), "MCL": np.full(len(stamps), 0.5)}
    parts["MGHG"] = np.zeros(len(stamps))
    parts["LMP"] = parts["MCE"] + 1.5
    lines = []
    for kind, values in parts.items():
        for stamp, here, value in zip(stamps, local, values, strict=True):
            begin, stop = gmt(pd.DatetimeIndex([stamp, stamp + pd.Timedelta(hours=1)]))
            fields = [begin, stop, f"{here:%Y-%m-%d}", here.hour + 1, 0, node, node, node]
            fields += ["DAM", kind, f"LMP_{kind}_PRC", node, "ALL", 1, round(value, 5), 1]
            lines.append(",".join(map(str, fields)))
    return lines


def as_lines(
    start: pd.Timestamp, end: pd.Timestamp, products, region: str, market: str, step="h"
) -> list[str]:
    """PRC_AS (hourly) or PRC_INTVL_AS (15-min) rows in OASIS's column layouts."""
    stamps = pd.date_range(start, end, freq=step, inclusive="left")
    local = stamps.tz_convert(LA)
    length = pd.Timedelta(hours=1) if step == "h" else pd.Timedelta(step)
    lines = []
    for product in products:
        price = np.round(AS_BASE[product] + stamps.hour / 100 + stamps.minute / 10000, 4)
        for stamp, here, value in zip(stamps, local, price, strict=True):
            begin, stop = gmt(pd.DatetimeIndex([stamp, stamp + length]))
            item = f"{AS_ITEMS[product]}_CLR_PRC"
            if step == "h":
                fields = [begin, stop, f"{here:%Y-%m-%d}", here.hour + 1, 0, "PRC", product]
                fields += [region, market, item, value, 1]
            else:
                fields = [begin, stop, f"{here:%Y-%m-%d}", here.hour + 1, "PRC", product, item]
                fields += [market, value, region, here.minute // 15 + 1, 1]
            lines.append(",".join(map(str, fields)))
    return lines


class FakeOasis:
    """Answers SingleZip queries the way OASIS does: a zip holding one CSV, or "no data".

    ``lmp(start, end, node)`` gives the PRC_RTPD_LMP data lines for a window; ``drop`` takes
    (queryname, line) and removes lines, to make gaps.
    """

    def __init__(
        self,
        lmp: Callable[[pd.Timestamp, pd.Timestamp, str], list[str]],
        drop: Callable[[str, str], bool] = lambda query, line: False,
    ):
        self.lmp = lmp
        self.drop = drop

    def __call__(self, query: dict) -> bytes:
        start = pd.to_datetime(query["startdatetime"], format="%Y%m%dT%H:%M%z")
        end = pd.to_datetime(query["enddatetime"], format="%Y%m%dT%H:%M%z")
        name = query["queryname"]
        if name == "PRC_RTPD_LMP":
            header, lines = LMP_HEADER, self.lmp(start, end, query["node"])
        elif name == "PRC_LMP" and query["market_run_id"] == "DAM":
            header, lines = DAM_LMP_HEADER, dam_lmp_lines(start, end, query["node"])
        elif name in ("PRC_AS", "PRC_INTVL_AS"):
            kind = query["anc_type"]
            products = list(AS_ITEMS) if kind == "ALL" else [kind]
            step = "h" if name == "PRC_AS" else "15min"
            header = AS_HEADER if name == "PRC_AS" else INTVL_AS_HEADER
            lines = as_lines(
                start, end, products, query["anc_region"], query["market_run_id"], step
            )
        else:
            return NO_DATA_ZIP
        lines = [line for line in lines if not self.drop(name, line)]
        if not lines:
            return NO_DATA_ZIP
        member = f"{start:%Y%m%d}_{end:%Y%m%d}_{name}_{query.get('market_run_id', 'N')}_v1.csv"
        return zipped(member, "\n".join([header, *lines]) + "\n")


def replay_lmp() -> Callable[[pd.Timestamp, pd.Timestamp, str], list[str]]:
    _, lines = raw_lines()

    def answer(start, end, node):
        if node != RAW_NODE:
            return []
        return lines[(lines.index >= start) & (lines.index < end)].tolist()

    return answer


def synthetic_lmp(start, end, node):
    return synthetic_lmp_lines(start, end, node)


def serve(server, fake: FakeOasis) -> str:
    return server.route(PATH, Canned(200, fake, content_type="application/x-zip-compressed"))


@pytest.fixture
def quick():
    """Keyword arguments for fast offline calls: no spacing, no real back-off, a fixed now."""
    waits: list[float] = []
    return {"limiter": RateLimiter(0), "sleep": waits.append, "now": NOW}, waits


def august_grid() -> pd.DatetimeIndex:
    # The file covers Jul 31 01:00 PDT .. Aug 30 00:45 PDT: local days Aug 1-29 are whole.
    return build_grid(dt.date(2023, 8, 1), dt.date(2023, 8, 29), LA, 15)


# --------------------------------------------------------------------------- windows, query


def test_windows_are_at_most_31_days_and_contiguous():
    summer = build_grid(dt.date(2023, 7, 1), dt.date(2023, 8, 31), LA, 15)  # 62 days
    windows = oasis_windows(summer[0], summer[-1] + pd.Timedelta(minutes=15))
    assert [(a.isoformat(), b.isoformat()) for a, b in windows] == [
        ("2023-07-01T07:00:00+00:00", "2023-08-01T07:00:00+00:00"),
        ("2023-08-01T07:00:00+00:00", "2023-09-01T07:00:00+00:00"),
    ]
    # 62 local days over the November clock change last 62 days and 1 hour: 3 windows.
    autumn = build_grid(dt.date(2023, 10, 1), dt.date(2023, 12, 1), LA, 15)
    windows = oasis_windows(autumn[0], autumn[-1] + pd.Timedelta(minutes=15))
    assert len(windows) == 3 and windows[-1][1] - windows[-1][0] == pd.Timedelta(hours=1)
    assert all(b - a <= pd.Timedelta(days=31) for a, b in windows)
    assert all(windows[i][1] == windows[i + 1][0] for i in range(2))
    hours = oasis_windows(autumn[0], autumn[0] + pd.Timedelta(hours=3), pd.Timedelta(hours=1))
    assert len(hours) == 3
    with pytest.raises(ValueError, match="timezone-aware"):
        oasis_windows(pd.Timestamp("2023-08-01"), pd.Timestamp("2023-08-02"))
    with pytest.raises(ValueError, match="not after"):
        oasis_windows(autumn[1], autumn[0])


def test_query_is_the_documented_oasis_url():
    start, end = pd.Timestamp("2023-08-01T07:00Z"), pd.Timestamp("2023-09-01T07:00Z")
    query = oasis_query("PRC_RTPD_LMP", start, end, {"market_run_id": "RTPD", "node": "NODE"})
    # shared/reference/README.md, market section, parameter for parameter.
    documented = (
        "resultformat=6&queryname=PRC_RTPD_LMP&version=3&market_run_id=RTPD&node=NODE"
        "&startdatetime=20230801T07:00-0000&enddatetime=20230901T07:00-0000"
    )
    assert query == dict(pair.split("=") for pair in documented.split("&"))
    url = httpx.URL(OASIS_URL, params=query)
    assert url.host == "oasis.caiso.com" and url.path == "/oasisapi/SingleZip"
    assert url.params["startdatetime"] == "20230801T07:00-0000"
    as_query = oasis_query(
        "PRC_AS", start, end, {"market_run_id": "DAM", "anc_type": "SR", "anc_region": "X"}
    )
    assert as_query["version"] == "12" and as_query["anc_type"] == "SR"
    assert oasis_query("PRC_INTVL_AS", start, end, {"market_run_id": "RTM"})["version"] == "1"


# --------------------------------------------------------------------------- real replay


def test_the_recorded_answer_parses_anywhere():
    # A real OASIS answer in tests/data: the parser is tested even without ../shared.
    rows = read_oasis_zip(RECORDED.read_bytes())
    assert list(rows.columns) == LMP_HEADER.split(",") and len(rows) == 40
    assert not rows["INTERVALSTARTTIME_GMT"].is_monotonic_increasing  # OASIS does not sort
    lmp = read_lmp(rows, node=RAW_NODE)
    start = pd.Timestamp("2023-08-17T00:00Z")
    assert lmp.index.equals(pd.date_range(start, periods=8, freq="15min"))
    parts = lmp[["lmp_energy", "lmp_congestion", "lmp_loss", "lmp_ghg"]].sum(axis=1)
    assert (parts - lmp["lmp"]).abs().max() <= 1e-4 + 1e-9
    spike = lmp.loc[pd.Timestamp("2023-08-17T01:30Z")]
    assert spike["lmp_energy"] == 2000 and spike["lmp_congestion"] == pytest.approx(-1933.9948)
    assert spike["lmp"] == pytest.approx(66.0052)
    assert lmp.loc[start, "lmp"] == pytest.approx(274.9976)


def test_market_on_the_grid_from_the_recorded_answer(server, quick):
    kwargs, _ = quick
    with zipfile.ZipFile(RECORDED) as archive:
        (name,) = archive.namelist()
        _, *lines = archive.read(name).decode().splitlines()
    recorded = pd.Series(lines, index=pd.to_datetime([line[:25] for line in lines], utc=True))

    def answer(start, end, node):
        return recorded[(recorded.index >= start) & (recorded.index < end)].tolist()

    url = serve(server, FakeOasis(answer))
    day = build_grid(dt.date(2023, 8, 16), dt.date(2023, 8, 16), LA, 15)
    grid = day[(day >= "2023-08-17T00:00Z") & (day < "2023-08-17T02:00Z")]
    with new_client(5) as client:
        frame, details = get_caiso_market(client, grid, node=RAW_NODE, base_url=url, **kwargs)
    assert frame.index.equals(grid) and not frame.isna().any().any()
    assert frame.loc[pd.Timestamp("2023-08-17T01:30Z"), "lmp_energy"] == 2000
    assert details["windows"] == ["2023-08-17T00:00Z/2023-08-17T02:00Z"]


@pytest.mark.reference
def test_replay_of_the_real_file_gives_every_interval(server, quick):
    kwargs, _ = quick
    url = serve(server, FakeOasis(replay_lmp()))
    start, end = pd.Timestamp("2023-07-31T08:00Z"), pd.Timestamp("2023-08-30T08:00Z")
    params = {"market_run_id": "RTPD", "node": RAW_NODE}
    with new_client(5) as client:
        content = get_oasis(
            client, "PRC_RTPD_LMP", start, end, params=params, base_url=url, **kwargs
        )
    rows = read_oasis_zip(content)
    assert list(rows.columns) == LMP_HEADER.split(",") and len(rows) == 14_400
    lmp = read_lmp(rows, node=RAW_NODE)
    span = pd.date_range(start, end, freq="15min", inclusive="left")
    assert len(lmp) == 2_880 and lmp.index.equals(span)  # sorted, although the rows are not
    check_complete(lmp.index, span, "PRC_RTPD_LMP")
    parts = lmp[["lmp_energy", "lmp_congestion", "lmp_loss", "lmp_ghg"]].sum(axis=1)
    assert (parts - lmp["lmp"]).abs().max() <= 1e-4 + 1e-9
    spike = lmp.loc[pd.Timestamp("2023-08-17T01:30Z")]
    assert spike["lmp_energy"] == 2000 and spike["lmp_congestion"] == pytest.approx(-1933.9948)
    assert spike["lmp"] == pytest.approx(66.0052)
    truth = pd.read_csv(RAW).query("LMP_TYPE == 'LMP'")
    truth = truth.set_index(pd.to_datetime(truth["INTERVALSTARTTIME_GMT"], utc=True))["PRC"]
    assert np.array_equal(lmp["lmp"].to_numpy(), truth.sort_index().to_numpy())


@pytest.mark.reference
def test_market_on_the_grid_from_the_real_file(server, quick):
    kwargs, _ = quick
    url = serve(server, FakeOasis(replay_lmp()))
    grid = august_grid()
    with new_client(5) as client:
        frame, details = get_caiso_market(client, grid, node=RAW_NODE, base_url=url, **kwargs)
    assert frame.index.equals(grid) and len(frame) == 29 * 96 == 2_784
    assert list(frame.columns) == list(MARKET_COLUMNS) and not frame.isna().any().any()
    parts = frame[["lmp_energy", "lmp_congestion", "lmp_loss", "lmp_ghg"]].sum(axis=1)
    assert (parts - frame["lmp"]).abs().max() <= 1e-4 + 1e-9
    at = frame.loc[pd.Timestamp("2023-08-17T01:30Z")]
    assert at["lmp_energy"] == 2000 and at["lmp_congestion"] == pytest.approx(-1933.9948)
    # Hourly DAM AS prices are held across the hour's four 15-min intervals.
    hour = frame.loc["2023-08-17T01:00Z":"2023-08-17T01:45Z"]
    assert (hour["spin_price"] == AS_BASE["SR"] + 0.01).all()
    assert (hour["regdown_price"] == AS_BASE["RD"] + 0.01).all()
    assert frame.loc[pd.Timestamp("2023-08-17T02:00Z"), "nonspin_price"] == AS_BASE["NR"] + 0.02
    # The day-ahead LMP is hourly, held across the hour's intervals.
    assert (hour["da_lmp"] == 35.0 + 1 + 1.5).all()
    # One FMM and one DAM LMP request (29 days) and one PRC_AS request per product.
    queries = [hit.query for hit in server.hits]
    assert [q["queryname"] for q in queries] == ["PRC_RTPD_LMP", "PRC_LMP"] + ["PRC_AS"] * 4
    assert (queries[1]["market_run_id"], queries[1]["version"]) == ("DAM", "12")
    assert queries[0] == {
        "resultformat": "6",
        "queryname": "PRC_RTPD_LMP",
        "version": "3",
        "market_run_id": "RTPD",
        "node": RAW_NODE,
        "startdatetime": "20230801T07:00-0000",
        "enddatetime": "20230830T07:00-0000",
    }
    assert [q["anc_type"] for q in queries[2:]] == ["SR", "NR", "RU", "RD"]
    assert {(q["version"], q["market_run_id"], q["anc_region"]) for q in queries[2:]} == {
        ("12", "DAM", "AS_CAISO_EXP")
    }
    assert details["node"] == RAW_NODE and details["as_region"] == "AS_CAISO_EXP"
    assert details["reports"] == "PRC_RTPD_LMP v3 RTPD; PRC_LMP v12 DAM; PRC_AS v12 DAM"
    assert details["windows"] == ["2023-08-01T07:00Z/2023-08-30T07:00Z"]
    assert details["url"] == url and "held" in details["as_prices"]


@pytest.mark.reference
def test_a_day_missing_from_the_csv_is_caught_and_named(server, quick):
    kwargs, _ = quick

    def without_aug_15(query, line):  # local Aug 15 = 07:00Z Aug 15 .. 07:00Z Aug 16
        stamp = line[:16]
        return query == "PRC_RTPD_LMP" and "2023-08-15T07:00" <= stamp < "2023-08-16T07:00"

    url = serve(server, FakeOasis(replay_lmp(), drop=without_aug_15))
    with new_client(5) as client, pytest.raises(SourceUnavailable) as caught:
        get_caiso_market(client, august_grid(), node=RAW_NODE, base_url=url, **kwargs)
    message = str(caught.value)
    assert f"PRC_RTPD_LMP at {RAW_NODE} misses 96 of 2,784 intervals: 2023-08-15 (96)" in message
    assert "first 2023-08-15T07:00Z" in message
    assert_short(message)


# --------------------------------------------------------------------------- AS parsing


def as_frame(header: str, lines: list[str]) -> pd.DataFrame:
    return pd.read_csv(io.StringIO("\n".join([header, *lines])))


def test_as_prices_in_the_real_layouts():
    start, end = pd.Timestamp("2023-08-01T07:00Z"), pd.Timestamp("2023-08-01T10:00Z")
    lines = as_lines(start, end, list(AS_ITEMS), "AS_CAISO_EXP", "DAM")
    lines += as_lines(start, end, ["SR"], "AS_SP26_EXP", "DAM")
    frame = as_frame(AS_HEADER, lines)
    prices = read_as_prices(frame, region="AS_CAISO_EXP")
    assert list(prices.columns) == ["spin_price", "nonspin_price", "regup_price", "regdown_price"]
    assert prices.index.equals(pd.date_range(start, end, freq="h", inclusive="left"))
    assert prices.loc[pd.Timestamp("2023-08-01T08:00Z"), "regup_price"] == AS_BASE["RU"] + 0.08
    assert prices.loc[pd.Timestamp("2023-08-01T09:00Z"), "spin_price"] == AS_BASE["SR"] + 0.09
    with pytest.raises(SourceUnavailable, match=r"2 ANC_REGION values .*name the one"):
        read_as_prices(frame)
    doubled = as_frame(AS_HEADER, lines + lines[:1])
    with pytest.raises(
        SourceUnavailable, match=re.escape("2 duplicate rows, e.g. SR at 2023-08-01T07:00Z")
    ):
        read_as_prices(doubled, region="AS_CAISO_EXP")
    # PRC_INTVL_AS orders its columns differently and is 15-min.
    rtm = as_frame(
        INTVL_AS_HEADER, as_lines(start, end, ["SR", "NR"], "AS_CAISO_EXP", "RTM", "15min")
    )
    fifteen = read_as_prices(rtm, region="AS_CAISO_EXP")
    assert len(fifteen) == 12 and fifteen["regup_price"].isna().all()
    assert fifteen.loc[pd.Timestamp("2023-08-01T07:45Z"), "nonspin_price"] == 0.5 + 0.07 + 0.0045


def test_a_missing_as_hour_is_caught(server, quick):
    kwargs, _ = quick

    def without_one_nonspin_hour(query, line):
        return query == "PRC_AS" and line.startswith("2023-08-01T12:00") and ",NR," in line

    url = serve(server, FakeOasis(synthetic_lmp, drop=without_one_nonspin_hour))
    grid = build_grid(dt.date(2023, 8, 1), dt.date(2023, 8, 2), LA, 15)
    with new_client(5) as client, pytest.raises(SourceUnavailable) as caught:
        get_caiso_market(client, grid, base_url=url, **kwargs)
    message = str(caught.value)
    assert "PRC_AS NR (nonspin_price) in AS_CAISO_EXP misses 1 of 48 intervals" in message
    assert "2023-08-01 (1); first 2023-08-01T12:00Z" in message


def test_a_missing_or_absent_day_ahead_lmp_is_caught(server, quick):
    kwargs, _ = quick

    def without_one_dam_hour(query, line):
        return query == "PRC_LMP" and line.startswith("2023-08-01T20:00")

    url = serve(server, FakeOasis(synthetic_lmp, drop=without_one_dam_hour))
    grid = build_grid(dt.date(2023, 8, 1), dt.date(2023, 8, 2), LA, 15)
    with new_client(5) as client, pytest.raises(SourceUnavailable) as caught:
        get_caiso_market(client, grid, base_url=url, **kwargs)
    assert "PRC_LMP DAM at DLAP_SCE-APND misses 1 of 48 intervals" in str(caught.value)

    def no_dam_at_all(query, line):
        return query == "PRC_LMP"

    url = serve(server, FakeOasis(synthetic_lmp, drop=no_dam_at_all))
    with new_client(5) as client, pytest.raises(SourceUnavailable, match=r"[Nn]o data"):
        get_caiso_market(client, grid, base_url=url, **kwargs)


def test_day_ahead_lmp_holds_each_hour_over_the_fall_back_day(server, quick):
    kwargs, _ = quick
    url = serve(server, FakeOasis(synthetic_lmp))
    grid = build_grid(dt.date(2023, 11, 5), dt.date(2023, 11, 5), LA, 15)
    with new_client(5) as client:
        frame, _ = get_caiso_market(client, grid, base_url=url, **kwargs)
    assert len(frame) == 100
    hours = frame["da_lmp"].groupby(frame.index.floor("h"))
    assert len(hours) == 25 and (hours.nunique() == 1).all()
    # The two 01:00 PDT/PST hours are separate hours with their own price.
    first = frame.loc[pd.Timestamp("2023-11-05T08:00Z"), "da_lmp"]
    assert first != frame.loc[pd.Timestamp("2023-11-05T09:00Z"), "da_lmp"]


def test_rtm_as_prices_come_per_hour_at_15_min(server, quick):
    kwargs, _ = quick
    url = serve(server, FakeOasis(synthetic_lmp))
    grid = build_grid(dt.date(2023, 8, 1), dt.date(2023, 8, 1), LA, 15)[:8]  # two hours
    with new_client(5) as client:
        frame, details = get_caiso_market(client, grid, as_market="RTM", base_url=url, **kwargs)
    queries = [hit.query for hit in server.hits]
    expected = ["PRC_RTPD_LMP", "PRC_LMP", "PRC_INTVL_AS", "PRC_INTVL_AS"]
    assert [q["queryname"] for q in queries] == expected
    assert {(q["version"], q["market_run_id"], q["anc_type"]) for q in queries[2:]} == {
        ("1", "RTM", "ALL")
    }
    assert [q["startdatetime"] for q in queries[2:]] == [
        "20230801T07:00-0000",
        "20230801T08:00-0000",
    ]
    assert frame.loc[pd.Timestamp("2023-08-01T07:15Z"), "spin_price"] == 3.0 + 0.07 + 0.0015
    assert details["reports"] == "PRC_RTPD_LMP v3 RTPD; PRC_LMP v12 DAM; PRC_INTVL_AS v1 RTM"


# --------------------------------------------------------------------------- LMP parsing


def lmp_frame(lines: list[str]) -> pd.DataFrame:
    return pd.read_csv(io.StringIO("\n".join([LMP_HEADER, *lines])))


def test_lmp_reader_refuses_bad_rows():
    start, end = pd.Timestamp("2023-08-01T07:00Z"), pd.Timestamp("2023-08-01T08:00Z")
    lines = synthetic_lmp_lines(start, end, "A")
    assert len(read_lmp(lmp_frame(lines))) == 4
    with pytest.raises(SourceUnavailable, match="2 duplicate rows"):
        read_lmp(lmp_frame([*lines, lines[0]]))
    no_ghg = [line for line in lines if ",MGHG," not in line]
    with pytest.raises(SourceUnavailable, match="no MGHG rows"):
        read_lmp(lmp_frame(no_ghg))
    wrong = [line.replace(",LMP_PRC,A,ALL,1,", ",LMP_PRC,A,ALL,1,9") for line in lines]
    with pytest.raises(SourceUnavailable, match="differs from the LMP at 4 intervals"):
        read_lmp(lmp_frame(wrong))
    two_nodes = lines + synthetic_lmp_lines(start, end, "B")
    with pytest.raises(SourceUnavailable, match="2 NODE values"):
        read_lmp(lmp_frame(two_nodes))
    assert read_lmp(lmp_frame(two_nodes), node="B").shape == (4, 5)
    with pytest.raises(SourceUnavailable, match="no rows for C"):
        read_lmp(lmp_frame(two_nodes), node="C")
    hourly = [line.replace("T07:15:00-00:00,", "T08:00:00-00:00,", 1) for line in lines[:1]]
    with pytest.raises(SourceUnavailable, match="not 0 days 00:15:00 long"):
        read_lmp(lmp_frame(hourly + lines[1:]))


def test_check_complete_names_days_and_first_intervals():
    grid = build_grid(dt.date(2023, 8, 1), dt.date(2023, 8, 10), LA, 15)
    check_complete(grid, grid, "x")
    held = grid.delete([*range(96, 192), 500, 501])
    with pytest.raises(SourceUnavailable) as caught:
        check_complete(held, grid, "PRC_RTPD_LMP at N")
    message = str(caught.value)
    assert message == (
        "CAISO OASIS: PRC_RTPD_LMP at N misses 98 of 960 intervals: 2023-08-02 (96), "
        "2023-08-06 (2); first 2023-08-02T07:00Z, 2023-08-02T07:15Z, 2023-08-02T07:30Z"
    )


# --------------------------------------------------------------------------- failures


def lmp_call(client, url, kwargs, **extra):
    start, end = pd.Timestamp("2023-08-01T07:00Z"), pd.Timestamp("2023-08-02T07:00Z")
    params = {"market_run_id": "RTPD", "node": "N"}
    return get_oasis(
        client, "PRC_RTPD_LMP", start, end, params=params, base_url=url, **kwargs, **extra
    )


def test_429_then_success_honours_retry_after(server, quick):
    kwargs, waits = quick
    good = FakeOasis(synthetic_lmp)(
        {
            "queryname": "PRC_RTPD_LMP",
            "node": "N",
            "startdatetime": "20230801T07:00-0000",
            "enddatetime": "20230802T07:00-0000",
        }
    )
    url = server.route(PATH, Canned(429, b"", headers={"Retry-After": "7"}), Canned(200, good))
    with new_client(5) as client:
        content = lmp_call(client, url, kwargs)
    assert content == good and server.count(PATH) == 2 and waits == [7.0]
    assert len(read_lmp(read_oasis_zip(content))) == 96


@pytest.mark.parametrize(
    ("answer", "fragments"),
    [
        (
            Canned(200, NO_DATA_ZIP),
            ["no data for this selection", "OASIS error 1000", "No data returned for the"],
        ),
        (
            Canned(200, NO_DATA_ZIP.replace(b"x", b"x")[:-40]),
            ["zip is damaged or truncated"],
        ),
        (
            Canned(
                200,
                zipped(
                    "INVALID_REQUEST.xml",
                    NO_DATA_XML.replace("1000", "1004").replace(
                        "No data returned for the specified selection",
                        "Data can be requested for period of 31 days only",
                    ),
                ),
            ),
            ["OASIS error 1004: Data can be requested for period of 31 days only"],
        ),
        (
            Canned(
                200,
                b"<html><body><h1>OASIS maintenance</h1></body></html>",
                content_type="text/html",
            ),
            ["answered with an HTML page instead of a zip", "OASIS maintenance"],
        ),
        (
            Canned(404, b"<html><body>Not Found</body></html>", content_type="text/html"),
            ["HTTP 404", "HTML"],
        ),
        (Canned(200, b""), ["empty answer"]),
        (Canned(200, zipped("report.pdf", b"%PDF")), ["holds no CSV (report.pdf)"]),
        (Canned(429, b""), ["HTTP 429 after 2 attempts"]),
        (Canned(503, b"<html>busy</html>"), ["HTTP 503 (HTML error page) after 2 attempts"]),
    ],
)
def test_failures_are_short_and_clear(server, quick, tmp_path, answer, fragments):
    kwargs, _ = quick
    url = server.route(PATH, answer)
    cache = RawCache(tmp_path / "raw")
    with new_client(5) as client, pytest.raises(SourceUnavailable) as caught:
        lmp_call(client, url, kwargs, cache=cache, attempts=2)
    message = str(caught.value)
    assert message.startswith(
        "CAISO OASIS PRC_RTPD_LMP market_run_id=RTPD node=N 2023-08-01 07:00Z..2023-08-02 07:00Z"
    )
    for fragment in fragments:
        assert fragment in message
    assert_short(message)
    assert not (tmp_path / "raw").exists()  # a failed answer is never cached


def test_a_timeout_is_retried_then_reported(server, quick):
    kwargs, waits = quick
    url = server.route(PATH, Canned(200, NO_DATA_ZIP, delay_s=0.6))
    with new_client(0.2) as client, pytest.raises(SourceUnavailable) as caught:
        lmp_call(client, url, kwargs, attempts=2)
    assert str(caught.value).endswith("timed out after 0.2 s (2 attempts)")
    assert server.count(PATH) == 2 and waits == [1.0]
    assert_short(str(caught.value))


def test_a_silent_oasis_gives_up_within_the_deadline(server, quick):
    kwargs, waits = quick
    url = server.route(PATH, Canned(200, NO_DATA_ZIP, delay_s=10.0))
    grid = build_grid(dt.date(2023, 8, 1), dt.date(2023, 8, 2), LA, 15)
    started = time.monotonic()
    with new_client(20) as client, pytest.raises(SourceUnavailable) as caught:
        get_caiso_market(client, grid, base_url=url, deadline_s=1.0, **kwargs)
    assert time.monotonic() - started < 6  # was 4 attempts x 20 s
    assert "no answer within the 1 s deadline (ReadTimeout; 1 attempt)" in str(caught.value)
    assert server.count(PATH) == 1 and waits == []
    assert_short(str(caught.value))


def test_read_oasis_zip_reports_no_data_and_broken_zips():
    with pytest.raises(SourceUnavailable) as caught:
        read_oasis_zip(NO_DATA_ZIP)
    assert str(caught.value) == (
        "CAISO OASIS: no data for this selection "
        "(OASIS error 1000: No data returned for the specified selection)"
    )
    good = zipped(
        "a.csv",
        LMP_HEADER
        + "\n"
        + "\n".join(
            synthetic_lmp_lines(
                pd.Timestamp("2023-08-01T07:00Z"), pd.Timestamp("2023-08-01T08:00Z"), "N"
            )
        ),
    )
    assert len(read_oasis_zip(good)) == 20
    with pytest.raises(SourceUnavailable, match="damaged or truncated"):
        read_oasis_zip(good[: len(good) // 2])
    with pytest.raises(SourceUnavailable, match="the CSV holds no rows"):
        read_oasis_zip(zipped("a.csv", LMP_HEADER + "\n"))
    with pytest.raises(SourceUnavailable, match="not a zip"):
        read_oasis_zip(b"INTERVALSTARTTIME_GMT,X\n1,2\n")


def test_too_old_or_future_periods_fail_without_a_request(server, quick):
    kwargs, _ = quick
    url = serve(server, FakeOasis(synthetic_lmp))
    old = build_grid(dt.date(2019, 8, 1), dt.date(2019, 8, 31), LA, 15)
    future = build_grid(dt.date(2024, 1, 14), dt.date(2024, 1, 16), LA, 15)
    reasons = []
    # The same study refused on two different days gives the same reason: a manifest that
    # records it does not change from day to day.
    for now in (NOW - pd.Timedelta(days=3), NOW):
        with new_client(5) as client:
            with pytest.raises(SourceUnavailable) as too_old:
                get_caiso_market(client, old, base_url=url, **{**kwargs, "now": now})
            with pytest.raises(SourceUnavailable) as too_new:
                get_caiso_market(client, future, base_url=url, **{**kwargs, "now": now})
        reasons.append((str(too_old.value), str(too_new.value)))
    assert reasons[0] == reasons[1]
    too_old_reason, too_new_reason = reasons[0]
    assert too_old_reason == (
        "CAISO OASIS keeps about 39 months of data; the period starts in 2019-08, before that"
    )
    assert too_new_reason == (
        "CAISO OASIS: the period runs to 2024-01-17 08:00Z, not yet published; "
        "prices are published only once the market has run"
    )
    assert server.hits == []


def test_no_data_near_the_retention_limit_says_why(server, quick):
    kwargs, _ = quick
    url = server.route(PATH, Canned(200, NO_DATA_ZIP))
    kwargs = {**kwargs, "now": pd.Timestamp("2026-10-25T00:00Z")}  # 39 months back: Jul 2023
    with new_client(5) as client, pytest.raises(SourceUnavailable) as caught:
        lmp_call(client, url, kwargs)
    assert "no data for this selection" in str(caught.value)
    assert str(caught.value).endswith("; OASIS keeps about 39 months")


# --------------------------------------------------------------------------- chunking, cache


def test_62_days_over_the_clock_change_make_3_windows_spaced_5_s(server):
    clock = FakeClock()
    limiter = RateLimiter(5.0, clock=clock, sleep=clock.sleep)
    url = serve(server, FakeOasis(synthetic_lmp))
    grid = build_grid(dt.date(2023, 10, 1), dt.date(2023, 12, 1), LA, 15)
    assert len(grid) == 62 * 96 + 4
    with new_client(5) as client:
        frame, details = get_caiso_market(
            client, grid, base_url=url, limiter=limiter, sleep=clock.sleep, now=NOW
        )
    lmp = [hit.query for hit in server.hits if hit.query["queryname"] == "PRC_RTPD_LMP"]
    assert [(q["startdatetime"], q["enddatetime"]) for q in lmp] == [
        ("20231001T07:00-0000", "20231101T07:00-0000"),
        ("20231101T07:00-0000", "20231202T07:00-0000"),
        ("20231202T07:00-0000", "20231202T08:00-0000"),
    ]
    assert len(server.hits) == 3 * 6  # FMM and DAM LMP plus four AS products per window
    assert clock.slept == [5.0] * 17  # every request after the first waited 5 s
    assert len(details["windows"]) == 3
    assert frame.index.equals(grid) and not frame.isna().any().any()
    # The repeated 01:00 PST hour on Nov 5 is there twice, once per UTC hour.
    assert frame.loc[pd.Timestamp("2023-11-05T09:00Z"), "lmp_energy"] == 40 + 9


def test_a_rerun_is_served_from_the_cache(server, quick, tmp_path):
    kwargs, _ = quick
    url = serve(server, FakeOasis(synthetic_lmp))
    grid = build_grid(dt.date(2023, 8, 1), dt.date(2023, 8, 3), LA, 15)
    with new_client(5) as client:
        first, _ = get_caiso_market(
            client, grid, base_url=url, cache=RawCache(tmp_path / "raw"), **kwargs
        )
        made = server.count(PATH)
        clock = FakeClock()
        again, _ = get_caiso_market(
            client,
            grid,
            base_url=url,
            cache=RawCache(tmp_path / "next", previous=tmp_path / "raw"),
            limiter=RateLimiter(5.0, clock=clock, sleep=clock.sleep),
            now=NOW,
        )
    assert made == 6 and server.count(PATH) == made and clock.slept == []
    pd.testing.assert_frame_equal(first, again)
    assert len(list((tmp_path / "next" / "oasis").glob("*.zip"))) == 6


def test_hourly_and_5_min_grids(server, quick):
    kwargs, _ = quick
    url = serve(server, FakeOasis(synthetic_lmp))
    day = (dt.date(2023, 8, 1), dt.date(2023, 8, 1), LA)
    with new_client(5) as client:
        hourly, details = get_caiso_market(client, build_grid(*day, 60), base_url=url, **kwargs)
        five, _ = get_caiso_market(client, build_grid(*day, 5), base_url=url, **kwargs)
    # 60-min: the mean of the four 15-min prices (40 + hour + minute/100).
    assert hourly.loc[pd.Timestamp("2023-08-01T10:00Z"), "lmp_energy"] == pytest.approx(
        50 + (0 + 0.15 + 0.30 + 0.45) / 4
    )
    assert hourly.loc[pd.Timestamp("2023-08-01T10:00Z"), "spin_price"] == 3.10
    assert "averaged over each 60-min interval" in details["lmp"]
    # 5-min: each 15-min price held over its three 5-min intervals.
    block = five.loc["2023-08-01T10:15Z":"2023-08-01T10:25Z", "lmp_energy"]
    assert len(block) == 3 and (block == 50.15).all()
