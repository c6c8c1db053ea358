"""CAISO OASIS day-ahead system forecasts: demand (``SLD_FCST``) and hub solar and wind
(``SLD_REN_FCST``), through the market's OASIS client (:mod:`vppsim.market.oasis`: timeouts,
retries, rate limit, raw cache, "no data" handling).

Both are the day-ahead market's *forecasts* (``market_run_id=DAM``; ``SYS_FCST_DA_MW`` and
``RENEW_FCST_DA_MW``), published before the operating day: the drivers the day-ahead market
cleared on, not metered actuals. Hourly; held over finer grid intervals.

``SLD_FCST`` answers with every TAC area and balancing authority of the WEIM (``CA ISO-TAC``,
``PGE-TAC``, ..., ``PACE``); the CAISO total is ``CA ISO-TAC``. ``SLD_REN_FCST`` answers by
trading hub: solar at NP15, SP15 and ZP26, wind at NP15 and SP15, summed here (the same sum as
:func:`vppsim.system.reference.read_hub_renewables`). Request layout (gridstatus
``caiso.py``, ``get_load_forecast`` and ``get_solar_and_wind_forecast_dam``; the recorded
answers in ``reference/market/caiso_oasis_raw/``):
``SingleZip?resultformat=6&queryname=SLD_FCST&version=1&market_run_id=DAM&startdatetime=...``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

import httpx
import numpy as np
import pandas as pd

from vppsim.errors import SourceUnavailable
from vppsim.http import DEFAULT_DEADLINE_S, RateLimiter
from vppsim.market.oasis import (
    OASIS_LIMITER,
    OASIS_URL,
    SOURCE,
    check_complete,
    check_period,
    get_oasis,
    gmt_index,
    grid_step,
    mapping_text,
    oasis_windows,
    onto_grid,
    read_oasis_zip,
    require_columns,
)
from vppsim.rawcache import RawCache

log = logging.getLogger(__name__)

CAISO_TAC = "CA ISO-TAC"
DEMAND_REPORT = "SLD_FCST"
RENEWABLES_REPORT = "SLD_REN_FCST"
REPORT_VERSION = 1
DEMAND_ITEM = "SYS_FCST_DA_MW"
RENEWABLES_ITEM = "RENEW_FCST_DA_MW"
HUBS = {"solar_mw": ("NP15", "SP15", "ZP26"), "wind_mw": ("NP15", "SP15")}
"""Trading hubs summed into each column (the hubs OASIS forecasts for each type)."""
_TYPES = {"solar_mw": "Solar", "wind_mw": "Wind"}
_HOUR = pd.Timedelta(hours=1)


def _numeric(values: pd.Series, what: str) -> np.ndarray:
    numbers = pd.to_numeric(values, errors="coerce").to_numpy(float)
    if np.isnan(numbers).any():
        raise SourceUnavailable(f"{SOURCE}: {what}: {int(np.isnan(numbers).sum())} rows lack MW")
    return numbers


def read_sld_fcst(frame: pd.DataFrame, tac: str = CAISO_TAC) -> pd.Series:
    """Day-ahead demand forecast of one TAC area from ``SLD_FCST`` rows [MW].

    Parameters
    ----------
    frame : pandas.DataFrame
        From :func:`vppsim.market.oasis.read_oasis_zip` (rows in any order).
    tac : str
        ``TAC_AREA_NAME`` to keep; ``CA ISO-TAC`` is the CAISO total.

    Returns
    -------
    pandas.Series
        ``demand_mw`` by UTC hour start (sorted, unique).

    Raises
    ------
    SourceUnavailable
        Missing columns, no rows for ``tac``, duplicate hours or rows without MW.
    """
    what = f"{DEMAND_REPORT} {tac}"
    require_columns(frame, ("INTERVALSTARTTIME_GMT", "TAC_AREA_NAME", "MW"), what)
    keep = frame["TAC_AREA_NAME"].astype(str).str.strip() == tac
    if "XML_DATA_ITEM" in frame.columns:
        keep &= frame["XML_DATA_ITEM"].astype(str).str.strip() == DEMAND_ITEM
    rows = frame[keep]
    if rows.empty:
        raise SourceUnavailable(f"{SOURCE}: {DEMAND_REPORT}: no {DEMAND_ITEM} rows for {tac}")
    stamps = gmt_index(rows["INTERVALSTARTTIME_GMT"], what)
    series = pd.Series(_numeric(rows["MW"], what), index=stamps.rename("timestamp"))
    if series.index.duplicated().any():
        first = series.index[series.index.duplicated()][0]
        raise SourceUnavailable(f"{SOURCE}: {what}: duplicate hour {first:%Y-%m-%dT%H:%MZ}")
    return series.sort_index().rename("demand_mw")


def read_sld_ren_fcst(frame: pd.DataFrame) -> pd.DataFrame:
    """Day-ahead solar and wind forecasts summed over the trading hubs [MW].

    Returns
    -------
    pandas.DataFrame
        ``solar_mw`` and ``wind_mw`` by UTC hour start; an hour that lacks any hub of a type
        is NaN for that type (a missing hub never passes as a smaller sum).

    Raises
    ------
    SourceUnavailable
        Missing columns, no solar or wind rows, duplicate rows or rows without MW.
    """
    what = RENEWABLES_REPORT
    require_columns(frame, ("INTERVALSTARTTIME_GMT", "TRADING_HUB", "RENEWABLE_TYPE", "MW"), what)
    if "XML_DATA_ITEM" in frame.columns:
        frame = frame[frame["XML_DATA_ITEM"].astype(str).str.strip() == RENEWABLES_ITEM]
    long = pd.DataFrame(
        {
            "timestamp": gmt_index(frame["INTERVALSTARTTIME_GMT"], what),
            "hub": frame["TRADING_HUB"].astype(str).str.strip().to_numpy(),
            "type": frame["RENEWABLE_TYPE"].astype(str).str.strip().to_numpy(),
            "mw": _numeric(frame["MW"], what),
        }
    )
    duplicated = long.duplicated(["timestamp", "hub", "type"])
    if duplicated.any():
        first = long[duplicated].iloc[0]
        raise SourceUnavailable(
            f"{SOURCE}: {what}: duplicate rows, e.g. {first['hub']} {first['type']} at "
            f"{first['timestamp']:%Y-%m-%dT%H:%MZ}"
        )
    columns = {}
    for column, hubs in HUBS.items():
        rows = long[(long["type"] == _TYPES[column]) & long["hub"].isin(hubs)]
        if rows.empty:
            raise SourceUnavailable(f"{SOURCE}: {what}: no {_TYPES[column]} rows")
        wide = rows.pivot(index="timestamp", columns="hub", values="mw")
        columns[column] = wide.reindex(columns=list(hubs)).sum(axis=1, min_count=len(hubs))
    out = pd.DataFrame(columns).sort_index()
    out.index.name = "timestamp"
    return out


def get_system_forecast(
    client: httpx.Client,
    grid: pd.DatetimeIndex,
    *,
    tac: str = CAISO_TAC,
    base_url: str = OASIS_URL,
    cache: RawCache | None = None,
    limiter: RateLimiter | None = None,
    sleep: Callable[[float], None] = time.sleep,
    attempts: int = 4,
    deadline_s: float = DEFAULT_DEADLINE_S,
    now: pd.Timestamp | None = None,
) -> tuple[pd.DataFrame, dict]:
    """CAISO's day-ahead demand, solar and wind forecasts on the study grid.

    One ``SLD_FCST`` and one ``SLD_REN_FCST`` request per window of at most 31 days, each
    through :func:`vppsim.market.oasis.get_oasis` (cache first, ``limiter`` between
    requests); every hour of the study must be there.

    Returns
    -------
    frame : pandas.DataFrame
        Index ``grid``; ``demand_mw``, ``solar_mw``, ``wind_mw`` [MW].
    details : dict
        Provenance: source, url, reports, TAC, hubs, windows.

    Raises
    ------
    SourceUnavailable
        Period older than OASIS keeps or not yet forecast (no request made), or any request,
        answer or completeness failure; the message says which.
    """
    grid = pd.DatetimeIndex(grid).tz_convert("UTC")
    if len(grid) == 0:
        raise ValueError("the grid is empty")
    step = grid_step(grid)
    start, end = grid[0].floor(_HOUR), (grid[-1] + step).ceil(_HOUR)
    # Day-ahead forecasts exist up to the next operating day.
    check_period(start, end, now, future_ok=pd.Timedelta(days=1))
    common = {
        "base_url": base_url,
        "cache": cache,
        "limiter": OASIS_LIMITER if limiter is None else limiter,
        "sleep": sleep,
        "attempts": attempts,
        "deadline_s": deadline_s,
        "now": now,
    }
    params = {"market_run_id": "DAM", "version": REPORT_VERSION}
    windows = oasis_windows(start, end)
    demand_parts, renewable_parts = [], []
    for number, (a, b) in enumerate(windows, 1):
        log.info(
            "%s %s/%s: window %d of %d",
            SOURCE,
            DEMAND_REPORT,
            RENEWABLES_REPORT,
            number,
            len(windows),
        )
        for report, parts in ((DEMAND_REPORT, demand_parts), (RENEWABLES_REPORT, renewable_parts)):
            content = get_oasis(client, report, a, b, params=params, **common)
            rows = read_oasis_zip(content)
            stamps = gmt_index(rows["INTERVALSTARTTIME_GMT"], report)
            parts.append(rows[(stamps >= a) & (stamps < b)])
    demand = read_sld_fcst(pd.concat(demand_parts, ignore_index=True), tac)
    renewables = read_sld_ren_fcst(pd.concat(renewable_parts, ignore_index=True))
    hours = pd.date_range(start, end, freq=_HOUR, inclusive="left")
    check_complete(demand.index, hours, f"{DEMAND_REPORT} {tac}")
    for column in HUBS:
        check_complete(renewables[column].dropna().index, hours, f"{RENEWABLES_REPORT} {column}")
    hourly = pd.concat([demand.reindex(hours), renewables.reindex(hours)], axis=1)
    frame = onto_grid(hourly, grid, _HOUR, step)
    frame.index.name = "timestamp"
    details = {
        "source": SOURCE,
        "url": base_url,
        "reports": f"{DEMAND_REPORT} v{REPORT_VERSION} DAM ({DEMAND_ITEM}); "
        f"{RENEWABLES_REPORT} v{REPORT_VERSION} DAM ({RENEWABLES_ITEM})",
        "tac": tac,
        "hubs": {column: list(hubs) for column, hubs in HUBS.items()},
        "windows": [f"{a:%Y-%m-%dT%H:%MZ}/{b:%Y-%m-%dT%H:%MZ}" for a, b in windows],
        "values": "day-ahead market forecasts, hourly" + mapping_text(_HOUR, step),
    }
    return frame, details
