"""The market calibration report: synthetic prices next to real ones, month by month.

Real: the 2022 FMM prices at ``ALAMT3G_7_B1`` (Alamitos, Long Beach) for every month, the
Aug 2023 FMM prices at ``MIL1_3_PASGNODE`` (LA) as the 2023 reference, and the figures of
CALIBRATION.md (CAISO's monthly market reports and the DMM). Synthetic: the model on the same
calendar (2022 with the 2022 level, Aug and Sep 2023 with the 2023 level), driven by the
synthetic LA weather, over several simulated years (independent seeds), figures averaged over
the years.

:func:`market_calibration_tables` returns the side-by-side tables as DataFrames;
``benchmarks/fit_market.py`` prints them.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd

from vppsim.calendar import local_calendar
from vppsim.grid import build_grid
from vppsim.market.evaluation import (
    ALAMITOS_FILE,
    DISTRIBUTION,
    EVENING_HOURS,
    MIL1_AUG_2023_FILE,
    SPIKE_PRICE,
    TIMEZONE,
    distribution_figures,
    read_fmm_csv,
    read_oasis_lmp,
)
from vppsim.market.parameters import MarketParameters
from vppsim.market.synthetic import (
    AS_PRODUCTS,
    PRICE_LEVEL_SOURCES,
    PRICE_LEVELS,
    simulate_prices,
)
from vppsim.seeds import Stream, stream_rng
from vppsim.timeseries import autocorrelation, runs
from vppsim.weather.synthetic import simulate_weather

SITE = (34.05, -118.24)
CALIBRATION_FIGURES = {
    "Aug 2023 share above $250 (FMM DLAP)": "1.54 %",
    "Sep 2023 share above $250 (FMM DLAP)": "0.24 %",
    "negative share, SCE node 2023": "Mar-May 8-17 %, Jul-Aug < 0.2 %",
    "autocorrelation": "lag 1: 0.6-0.95, lag 96: 0.4-0.75",
    "weekend vs weekday, summer": "25-30 % below",
    "summer daily shape": "midday trough ~0.6 x overnight, evening peak ~2 x median",
}
"""The figures CALIBRATION.md asks the model to reproduce (quoted)."""
CALIBRATION_2023 = {
    "negative %": "Jul-Aug < 0.2",
    "above $250 %": "Aug 1.54, Sep 0.24",
    "max at 16-21 h": "nearly all (summer)",
    "acf 1": "0.6-0.95",
    "acf 96": "0.4-0.75",
    "off/work mean": "0.70-0.75 (summer)",
    "midday/overnight": "~0.6 (summer)",
    "evening peak/median": "~2 (summer)",
}
"""CALIBRATION.md's figures next to the 2023 rows."""


# --- Readers --------------------------------------------------------------------------------


# --- Figures --------------------------------------------------------------------------------


def period_figures(prices: pd.Series, timezone: str = TIMEZONE) -> dict[str, float]:
    """The report's figures for one contiguous stretch of 15-min prices (e.g. a month)."""
    x = prices.to_numpy(dtype=float)
    if x.size == 0:
        raise ValueError("no prices")
    cal = local_calendar(prices.index, timezone)
    frame = pd.DataFrame({"p": x, "day": cal.day, "hour": cal.hour})
    peak_hour = frame.loc[frame.groupby("day")["p"].idxmax(), "hour"].to_numpy()
    hourly = frame.groupby("hour")["p"].median().reindex(range(24))
    overall = float(np.median(x))
    overnight = float(hourly.loc[0:5].median())
    midday = float(hourly.loc[10:15].median())
    starts, lengths = runs(x > SPIKE_PRICE)
    off, work = x[cal.offday], x[~cal.offday]
    return {
        **distribution_figures(x),
        "max at 16-21 h": float(
            np.mean((peak_hour >= EVENING_HOURS[0]) & (peak_hour <= EVENING_HOURS[1]))
        ),
        "acf 1": autocorrelation(x, 1),
        "acf 4": autocorrelation(x, 4),
        "acf 96": autocorrelation(x, 96),
        "off/work mean": float(np.mean(off) / np.mean(work)) if off.size and work.size else np.nan,
        "off/work median": float(np.median(off) / np.median(work))
        if off.size and work.size
        else np.nan,
        "midday/overnight": midday / overnight if overnight else np.nan,
        "evening peak/median": float(hourly.loc[17:21].max()) / overall if overall else np.nan,
        "episodes >$250": float(len(starts)),
        "episode length": float(np.mean(lengths)) if len(starts) else np.nan,
        "hourly": hourly.to_numpy(),
    }


def monthly_figures(prices: pd.Series, timezone: str = TIMEZONE) -> pd.DataFrame:
    """:func:`period_figures` for each local calendar month of ``prices`` (rows: month 1-12,
    or ``(year, month)`` when the series spans several years is not needed here)."""
    local = prices.index.tz_convert(timezone)
    rows = {}
    for month, part in prices.groupby(local.month):
        rows[int(month)] = period_figures(part, timezone)
    return pd.DataFrame.from_dict(rows, orient="index")


def _pooled(series: list[pd.Series], timezone: str) -> pd.DataFrame:
    """:data:`DISTRIBUTION` figures by local month of several simulated series pooled."""
    values = pd.concat([s.reset_index(drop=True) for s in series], ignore_index=True)
    months = np.concatenate([np.asarray(s.index.tz_convert(timezone).month) for s in series])
    rows = {int(m): distribution_figures(values.to_numpy()[months == m]) for m in np.unique(months)}
    return pd.DataFrame.from_dict(rows, orient="index")


def _average(tables: list[pd.DataFrame]) -> pd.DataFrame:
    scalar = [c for c in tables[0].columns if c != "hourly"]
    mean = sum(t[scalar] for t in tables) / len(tables)
    mean["hourly"] = [
        np.mean([t.loc[m, "hourly"] for t in tables], axis=0) for m in tables[0].index
    ]
    return mean


def synthetic_prices(
    start: dt.date,
    end: dt.date,
    seed: int,
    parameters: MarketParameters | None = None,
    timezone: str = TIMEZONE,
) -> pd.DataFrame:
    """One realisation of the model on local days ``start``..``end`` with synthetic weather."""
    grid = build_grid(start, end, timezone, 15)
    weather = simulate_weather(grid, *SITE, timezone, 15, stream_rng(seed, Stream.WEATHER))
    return simulate_prices(grid, timezone, weather, stream_rng(seed, Stream.MARKET), parameters)


def _synthetic_period(series: list[pd.Series], timezone: str, keys) -> list[float]:
    """Figures of one period simulated several times: distribution figures pooled, the
    others averaged."""
    figures = [period_figures(s, timezone) for s in series]
    pooled = distribution_figures(np.concatenate([s.to_numpy() for s in series]))
    return [pooled[k] if k in pooled else float(np.mean([f[k] for f in figures])) for k in keys]


def _side_by_side(real: pd.DataFrame, synthetic: pd.DataFrame, columns) -> pd.DataFrame:
    data = {}
    for c in columns:
        data[f"{c} real"] = real[c]
        data[f"{c} syn"] = synthetic[c]
    table = pd.DataFrame(data)
    table.index.name = "month"
    return table


def market_calibration_tables(
    reference_dir: Path, years: int = 5, seed: int = 42, timezone: str = TIMEZONE
) -> dict[str, pd.DataFrame]:
    """Synthetic against real, side by side, per month.

    Parameters
    ----------
    reference_dir : path
        ``../shared/reference`` (holds ``market/``).
    years : int
        Simulated years (independent realisations of 2022, and of Aug-Sep 2023).
    seed : int
        Seed of the first realisation (the others use ``seed + 1``, ...).
    """
    market = Path(reference_dir) / "market"
    real = monthly_figures(read_fmm_csv(market / ALAMITOS_FILE), timezone)
    runs, aug, sep = [], [], []
    as_frames = []
    for i in range(years):
        frame = synthetic_prices(dt.date(2022, 1, 1), dt.date(2022, 12, 31), seed + i)
        runs.append(monthly_figures(frame["lmp"], timezone))
        as_frames.append(frame)
        late = synthetic_prices(dt.date(2023, 8, 1), dt.date(2023, 9, 30), seed + 1000 + i)
        local = late.index.tz_convert(timezone)
        aug.append(late["lmp"][local.month == 8])
        sep.append(late["lmp"][local.month == 9])
    syn = _average(runs)
    pooled = _pooled([f["lmp"] for f in as_frames], timezone)
    syn[list(DISTRIBUTION)] = pooled[list(DISTRIBUTION)]

    level = _side_by_side(real, syn, ["median", "p5", "p95", "p99", "mean"])
    regimes = _side_by_side(real, syn, ["negative %", "above $250 %", "max at 16-21 h"])
    regimes["hourly median corr"] = [
        float(np.corrcoef(real.loc[m, "hourly"], syn.loc[m, "hourly"])[0, 1]) for m in real.index
    ]
    persistence = _side_by_side(real, syn, ["acf 1", "acf 4", "acf 96", "off/work mean"])
    shape = _side_by_side(
        real, syn, ["midday/overnight", "evening peak/median", "episodes >$250", "episode length"]
    )
    shape.attrs["missing"] = "-: no episode above $250 that month, so no episode length"

    mil1 = period_figures(read_oasis_lmp(market / MIL1_AUG_2023_FILE), timezone)
    keys = [
        "median", "p5", "p95", "p99", "mean", "negative %", "above $250 %", "max at 16-21 h",
        "acf 1", "acf 4", "acf 96", "off/work mean", "midday/overnight", "evening peak/median",
    ]  # fmt: skip
    reference_2023 = pd.DataFrame(
        {
            "real MIL1 Aug 2023": [mil1[k] for k in keys],
            "syn Aug 2023": _synthetic_period(aug, timezone, keys),
            "syn Sep 2023": _synthetic_period(sep, timezone, keys),
            "CALIBRATION.md": [CALIBRATION_2023.get(k, "") for k in keys],
        },
        index=keys,
    )

    ancillary = ancillary_summary(pd.concat(as_frames), timezone)
    coupling = ancillary_coupling(pd.concat(as_frames))
    levels = pd.DataFrame(
        {
            "level": pd.Series(PRICE_LEVELS),
            "source": pd.Series(PRICE_LEVEL_SOURCES),
        }
    )
    levels.index.name = "year"
    figures = pd.DataFrame({"CALIBRATION.md": pd.Series(CALIBRATION_FIGURES)})
    return {
        f"LMP level and spread by month [$/MWh]: real ALAMT3G_7_B1 2022 vs synthetic "
        f"(2022 level, {years} y; Dec at the fitted Dec 2022 gas-crisis level; the Aug 31-Sep 9 "
        "2022 heat wave is left out of the fit, typical weather has none)": level,
        "Regimes and timing by month: negative and >$250 shares [%], share of days whose "
        "max falls at 16-21 h, correlation of the hourly median shapes": regimes,
        "Persistence and day type by month: autocorrelation at lags 1, 4, 96 (15 min); "
        "off-day (weekend/holiday) over workday mean": persistence,
        "Daily shape and spike episodes by month: midday (10-15 h) over overnight (0-5 h) "
        "median, evening (17-21 h) peak over median, episodes above $250 and their mean "
        "length [intervals]": shape,
        "2023 (2023 level) vs real MIL1_3_PASGNODE Aug 2023 and CALIBRATION.md": reference_2023,
        f"Ancillary services, synthetic 2022 ({years} y) [$/MW-h]: no real series; "
        "assumed levels (CALIBRATION.md)": ancillary,
        "Ancillary services vs LMP, synthetic 2022: correlation and AS/LMP ratio spread": coupling,
        "Default price levels (relative to 2022) and their sources": levels,
        "CALIBRATION.md figures": figures,
    }


def ancillary_summary(frame: pd.DataFrame, timezone: str = TIMEZONE) -> pd.DataFrame:
    """Median, p95 and max of each AS price by season and hour group."""
    local = frame.index.tz_convert(timezone)
    season = np.select(
        [local.month.isin([3, 4, 5]), local.month.isin([6, 7, 8, 9, 10])],
        ["Mar-May", "Jun-Oct"],
        "Nov-Feb",
    )
    group = np.select(
        [local.hour < 6, local.hour < 10, local.hour < 16, local.hour < 22],
        ["night 0-5", "morning 6-9", "midday 10-15", "evening 16-21"],
        "night 22-23",
    )
    group = np.where(group == "night 22-23", "night 0-5", group)
    rows = {}
    for product in AS_PRODUCTS:
        values = frame[product]
        for s in ("Mar-May", "Jun-Oct", "Nov-Feb"):
            for g in ("night 0-5", "morning 6-9", "midday 10-15", "evening 16-21"):
                sel = (season == s) & (group == g)
                rows[(product, s, g)] = {
                    "median": float(np.median(values[sel])),
                    "p95": float(np.percentile(values[sel], 95)),
                    "max": float(np.max(values[sel])),
                }
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index = pd.MultiIndex.from_tuples(table.index, names=["product", "season", "hours"])
    return table


def ancillary_coupling(frame: pd.DataFrame) -> pd.DataFrame:
    """How each AS price relates to the LMP: correlation, and the spread of its ratio to the
    LMP (p5, p50, p95 of AS / LMP where LMP > $5): a fixed share would have one ratio."""
    lmp = frame["lmp"]
    rows = {}
    for product in AS_PRODUCTS:
        ratio = (frame[product] / lmp)[lmp > 5.0]
        rows[product] = {
            "corr with LMP": float(np.corrcoef(frame[product], lmp)[0, 1]),
            "ratio p5": float(ratio.quantile(0.05)),
            "ratio p50": float(ratio.quantile(0.5)),
            "ratio p95": float(ratio.quantile(0.95)),
        }
    return pd.DataFrame.from_dict(rows, orient="index")
