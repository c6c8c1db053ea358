"""The market calibration report (``vppsim calibrate --part market``): what issue 11 must show.

Every table sets synthetic prices beside real or published ones, with the verdict of
:mod:`vppsim.market.evaluation` (criteria in its docstring) or
:func:`vppsim.fleet.arbitrage.arbitrage_ratio_table`:

1. **2022 in sample**: the model driven by the real 2022 drivers (EIA-930 demand, CAISO hub
   solar and wind, daily hydro, the power-plant gas price) against the real FMM prices at
   ALAMT3G_7_B1 it was fitted on, month by month; and the share of scarcity intervals by
   season and tightness, real beside synthetic (:func:`~vppsim.market.evaluation.
   scarcity_by_tightness`).
2. **2022 out of sample, month-blocked**: each month from a fit that never saw it
   (:func:`vppsim.market.fit.fit_calibration` with ``exclude_months``), driven by its own
   real drivers.
3. **Arbitrage value**: the perfect-foresight revenue of the reference home battery
   (:data:`vppsim.fleet.battery.REFERENCE_BATTERY`) on synthetic against real prices, in and
   out of sample.
4. **2023, a year never fitted**, driven by its real drivers, against the real figures issue
   11 quotes for an SCE node (:data:`ISSUE_2023`).
5. **Published shares**: CAISO's monthly shares of FMM DLAP prices above $250 and below $0
   (2021, 2022, 2024, 2025) against the full synthetic chain (synthetic weather, synthetic
   system with that year's sourced capacities and the month's real gas price).
6. **Day-ahead**: monthly midday and evening means of ``da_lmp`` driven by the real 2024-2025
   drivers against the TH_SP15 daily summaries.
7. **Ancillary services**: annual means of the same runs against CAISO's 2024-2025 means.
8. **The default study** (Aug 2023, synthetic weather and system) against the real Aug 2023
   FMM prices at MIL1_3_PASGNODE (LA) and CAISO's DLAP share above $250.

Synthetic figures are means over ``years`` realisations (seeds ``seed``, ``seed + 1``, ...).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd

from vppsim.calendar import MONTH_NAMES, local_calendar
from vppsim.calibration_file import dumps_calibration
from vppsim.config import DEFAULT_SITE as SITE
from vppsim.fleet.arbitrage import arbitrage_ratio_table
from vppsim.fleet.battery import REFERENCE_BATTERY
from vppsim.grid import build_grid
from vppsim.market.evaluation import (
    ALAMITOS_FILE,
    ANCILLARY_MEANS_FILE,
    DAYAHEAD_SUMMARY_FILE,
    DISTRIBUTION,
    MIL1_AUG_2023_FILE,
    PUBLISHED_SHARES_FILE,
    SPIKE_PRICE,
    TIMEZONE,
    ancillary_checks,
    battery_checks,
    dayahead_checks,
    distribution_figures,
    passes_by_month,
    period_shares,
    price_figures,
    published_share_checks,
    read_ancillary_means,
    read_dayahead_summary,
    read_fmm_csv,
    read_oasis_lmp,
    read_published_shares,
    scarcity_by_tightness,
)
from vppsim.market.fit import (
    fit_calibration,
    gas_daily_table,
    monthly_table,
    scarcity_indicator,
)
from vppsim.market.parameters import MarketParameters
from vppsim.market.synthetic import (
    MarketCalibration,
    drivers_on_grid,
    price_drivers,
    simulate_prices,
)
from vppsim.seeds import Stream, stream_rng
from vppsim.system.model import simulate_system
from vppsim.system.parameters import SystemParameters
from vppsim.system.reference import (
    CITYGATE_GAS_FILE,
    ELECTRIC_POWER_GAS_FILE,
    FUEL_MIX_FILE,
    SOCAL_FUEL_DAILY_FILE,
    read_fuel_mix_daily,
    read_gas_monthly,
    read_socal_fuel_daily,
    reference_drivers,
)
from vppsim.weather.synthetic import simulate_weather

ISSUE_2023 = pd.DataFrame(
    {
        "median": [141, 46, 18, 54, 51, 51],
        "p95": [222, 117, 55, 133, 117, 108],
        "negative %": [0.1, 16.7, 14.2, 0.0, 0.1, 6.1],
        "above $250 %": [2.0, 0.5, 0.3, 1.9, 1.6, 0.4],
    },
    index=pd.Index([1, 4, 5, 7, 8, 10], name="month"),
)
"""Real 2023 15-min FMM figures at an SCE node in the LA basin, as issue 11 quotes them
[$/MWh, %]."""
AUG_2023_DLAP_SHARE = 1.54
"""CAISO's monthly market report: share of FMM DLAP prices above $250 in Aug 2023 [%]."""


# --- Real inputs ----------------------------------------------------------------------------

FIT_SOURCE = {
    "file": f"market/{ALAMITOS_FILE}",
    "node": "ALAMT3G_7_B1",
    "market": "CAISO FMM (RTPD) 15-min LMP",
    "period": "2022 (Pacific time)",
    "drivers": "vppsim.system.reference.reference_drivers 2022; hydro, imports: CAISO daily "
    "fuel mix",
}
"""What the shipped fit was made on (stored in ``calibrated.json``)."""


def fit_inputs(reference: Path) -> tuple[pd.Series, pd.DataFrame, dict]:
    """What the price model is fitted on: the real 2022 FMM prices at ALAMT3G_7_B1 [$/MWh],
    their hourly drivers (with a few hours' margin), and the sourced tables: CAISO's monthly
    hydro output and net imports, and the gas price's day-to-day variation (CAISO's daily
    SoCal Citygate fuel price)."""
    reference = Path(reference)
    prices = read_fmm_csv(reference / "market" / ALAMITOS_FILE)
    drivers = reference_drivers(reference, "2021-12-31T20:00", "2023-01-01T12:00")
    mix = read_fuel_mix_daily(reference / FUEL_MIX_FILE)
    tables = {
        "hydro": monthly_table(mix["hydro_mw"]),
        "imports": monthly_table(mix["imports_mw"]),
        "gas_daily": gas_daily_table(read_socal_fuel_daily(reference / SOCAL_FUEL_DAILY_FILE)),
    }
    return prices, drivers, tables


def fitted_text(reference: Path) -> str:
    """The ``calibrated.json`` text the shared references give (``benchmarks/fit_market.py``
    writes it; a test checks the shipped file is this)."""
    prices, drivers, tables = fit_inputs(reference)
    fit = fit_calibration(prices, drivers, tables, TIMEZONE, (), FIT_SOURCE)
    return dumps_calibration(fit)


def complete_wind(drivers: pd.DataFrame) -> pd.DataFrame:
    """``drivers`` with missing hourly wind (the references' wind ends in 2025-08) filled
    with the mean wind of the same calendar month and local hour, and the net load recomputed
    there: without it those months' net load is missing and their midday sees no solar."""
    local = drivers.index.tz_convert(TIMEZONE)
    wind = drivers["wind_mw"]
    out = drivers.copy()
    out["wind_mw"] = wind.fillna(wind.groupby([local.month, local.hour]).transform("mean"))
    gap = out["net_load_mw"].isna()
    out.loc[gap, "net_load_mw"] = (out["demand_mw"] - out["solar_mw"] - out["wind_mw"])[gap]
    return out


def _period(year: int, months: tuple[int, int] = (1, 12)) -> tuple[dt.date, dt.date]:
    start = dt.date(year, months[0], 1)
    end = (pd.Timestamp(year, months[1], 1) + pd.offsets.MonthEnd(0)).date()
    return start, end


def real_system(reference: Path, grid: pd.DatetimeIndex) -> pd.DataFrame:
    """The real drivers (:func:`reference_drivers`, hourly, a few hours' margin, missing wind
    completed by :func:`complete_wind`) on ``grid``."""
    start = (grid[0] - pd.Timedelta(hours=4)).strftime("%Y-%m-%dT%H:00")
    end = (grid[-1] + pd.Timedelta(hours=4)).strftime("%Y-%m-%dT%H:00")
    return drivers_on_grid(complete_wind(reference_drivers(reference, start, end)), grid)


def _runs(
    grid: pd.DatetimeIndex,
    system: pd.DataFrame,
    years: int,
    seed: int,
    calibration: MarketCalibration | None = None,
) -> list[pd.DataFrame]:
    return [
        simulate_prices(
            grid, TIMEZONE, system, stream_rng(seed + i, Stream.MARKET), None, calibration
        )
        for i in range(years)
    ]


def _check_tables(
    real: pd.Series, synthetic: list[pd.Series], label: str
) -> dict[str, pd.DataFrame]:
    """The battery (figures side by side with their verdicts) and its monthly summary."""
    checks = battery_checks(
        price_figures(real, TIMEZONE), [price_figures(s, TIMEZONE) for s in synthetic]
    )
    summary = passes_by_month(checks)
    summary.index = [MONTH_NAMES[m - 1] for m in summary.index]
    wide = checks.reset_index()
    wide["month"] = [MONTH_NAMES[m - 1] for m in wide["month"]]
    failed = wide[~wide["pass"]].set_index(["month", "check"])[["real", "synthetic", "criterion"]]
    passed = int(summary["pass"].sum())
    return {
        f"{label}: months passing the battery of CALIBRATION.md ({passed} of "
        f"{len(summary)})": summary,
        f"{label}: the checks that fail (real, synthetic, criterion)": failed
        if len(failed)
        else pd.DataFrame({"note": ["every check passes"]}),
    }


def _arbitrage(real: pd.Series, synthetic: list[pd.Series], label: str) -> dict:
    table = arbitrage_ratio_table(real, synthetic, REFERENCE_BATTERY, TIMEZONE)
    table.index = [MONTH_NAMES[m - 1] if m != "year" else "year" for m in table.index]
    return {
        f"{label}: perfect-foresight revenue of a 13.5 kWh / 5 kW battery (90 % round trip, "
        "$0.02/kWh), synthetic over real (pass 0.6-1.6 a month, 0.8-1.25 the year)": table
    }


# --- The parts ------------------------------------------------------------------------------


def in_and_out_of_sample(reference: Path, years: int, seed: int) -> dict[str, pd.DataFrame]:
    """Parts 1-3: 2022 in sample and month-blocked out of sample, battery and arbitrage."""
    real, hourly, tables = fit_inputs(reference)
    start, end = _period(2022)
    grid = build_grid(start, end, TIMEZONE, 15)
    real = real.reindex(grid)
    system = real_system(reference, grid)
    frames = _runs(grid, system, years, seed)
    inside = [r["lmp"] for r in frames]

    month = grid.tz_convert(TIMEZONE).month
    outside = [pd.Series(np.nan, index=grid) for _ in range(years)]
    for m in range(1, 13):
        fitted = MarketCalibration.from_calibration(
            fit_calibration(real, hourly, tables, TIMEZONE, [m])
        )
        sel = month == m
        for i, run in enumerate(_runs(grid[sel], system[sel], years, seed + 100 * m, fitted)):
            outside[i][sel] = run["lmp"].to_numpy()
    drivers = price_drivers(
        local_calendar(grid, TIMEZONE), system, MarketParameters(), MarketCalibration.default()
    )
    scarcity = scarcity_by_tightness(
        drivers.tightness,
        month.to_numpy(),
        scarcity_indicator(real.to_numpy(dtype=float), drivers.fuel_cost),
        [r["scarcity"].to_numpy() for r in frames],
    )
    return {
        **_check_tables(real, inside, "2022 in sample (real 2022 drivers)"),
        "2022 in sample: share of scarcity intervals by season and tightness (residual load "
        "over the reference peak) [%], real (implied heat rate above 20 and price above $150) "
        "beside synthetic: at the same tightness the real share outside Jun-Sep is several "
        "times the summer's, a seasonal availability (planned outages) the drivers lack": (
            scarcity
        ),
        **_check_tables(real, outside, "2022 out of sample, month-blocked"),
        **_arbitrage(real, inside, "2022 in sample"),
        **_arbitrage(real, outside, "2022 out of sample, month-blocked"),
        "Day-ahead against real time, synthetic 2022 (real drivers) [$/MWh]: CAISO's market "
        "monitor reports day-ahead and 15-min averages within a few $/MWh of each other and "
        "15-min prices far more volatile": dayahead_spread(frames),
    }


def dayahead_spread(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """Per local month, averaged over realisations: mean real-time and day-ahead price, their
    mean difference, the mean absolute hourly gap, and the standard deviation of
    interval-to-interval changes of each [$/MWh]."""
    rows = []
    for frame in frames:
        month = frame.index.tz_convert(TIMEZONE).month
        hourly_rt = frame["lmp"].groupby(frame.index.floor("h")).transform("mean")
        table = pd.DataFrame(
            {
                "real-time mean": frame["lmp"],
                "day-ahead mean": frame["da_lmp"],
                "DA - RT mean": frame["da_lmp"] - frame["lmp"],
                "|DA - RT hourly|": (frame["da_lmp"] - hourly_rt).abs(),
                "RT change sd": frame["lmp"].diff(),
                "DA change sd": frame["da_lmp"].diff(),
            }
        )
        means = table.iloc[:, :4].groupby(month).mean()
        spreads = table.iloc[:, 4:].groupby(month).std()
        rows.append(pd.concat([means, spreads], axis=1))
    result = sum(rows[1:], rows[0]) / len(rows)
    result.index = [MONTH_NAMES[m - 1] for m in result.index]
    return result


def year_2023(reference: Path, years: int, seed: int) -> dict[str, pd.DataFrame]:
    """Part 4: 2023 driven by its real drivers against the issue's SCE-node figures."""
    start, end = _period(2023)
    grid = build_grid(start, end, TIMEZONE, 15)
    system = real_system(reference, grid)
    runs = [r["lmp"] for r in _runs(grid, system, years, seed)]
    month = grid.tz_convert(TIMEZONE).month
    rows = {}
    for m in ISSUE_2023.index:
        values = np.concatenate([r.to_numpy()[month == m] for r in runs])
        figures = distribution_figures(values)
        rows[MONTH_NAMES[m - 1]] = {
            f"{k} {side}": (ISSUE_2023.loc[m, k] if side == "real" else figures[k])
            for k in ISSUE_2023.columns
            for side in ("real", "syn")
        }
    return {
        "2023, never fitted, real 2023 drivers: synthetic against the real SCE-node figures "
        "issue 11 quotes [$/MWh, %]": pd.DataFrame.from_dict(rows, orient="index")
    }


def synthetic_chain(
    grid: pd.DatetimeIndex,
    seed: int,
    system_parameters: SystemParameters | None = None,
) -> pd.DataFrame:
    """One realisation of the full synthetic chain on ``grid``: weather, system, market
    (the streams of a build with seed ``seed``)."""
    frame = simulate_weather(grid, *SITE, TIMEZONE, 15, stream_rng(seed, Stream.WEATHER))
    system = simulate_system(
        grid, TIMEZONE, frame, stream_rng(seed, Stream.SYSTEM), system_parameters
    )
    return simulate_prices(grid, TIMEZONE, system, stream_rng(seed, Stream.MARKET))


def published_shares(reference: Path, years: int, seed: int) -> dict[str, pd.DataFrame]:
    """Part 5: each published month from the full synthetic chain with the month's real gas."""
    market = Path(reference) / "market"
    published = read_published_shares(market / PUBLISHED_SHARES_FILE)
    gas = read_gas_monthly(
        Path(reference) / ELECTRIC_POWER_GAS_FILE, Path(reference) / CITYGATE_GAS_FILE
    )
    shares = []
    for month in published.index:
        grid = build_grid(month.start_time.date(), month.end_time.date(), TIMEZONE, 15)
        parameters = SystemParameters(gas_price_usd_per_mmbtu=float(gas[month]))
        runs = [
            period_shares(synthetic_chain(grid, seed + i, parameters)["lmp"], TIMEZONE)
            for i in range(years)
        ]
        shares.append(sum(runs[1:], runs[0]) / len(runs))
    table = published_share_checks(pd.concat(shares), published)
    passed = int(table["pass"].sum())
    return {
        f"Published CAISO FMM DLAP shares [%] against the synthetic chain with each month's "
        f"real gas and sourced capacity ({passed} of {len(table)} pass: x2 where published >= "
        "0.5 %, else 1 point)": table
    }


def dayahead_and_ancillary(reference: Path, years: int, seed: int) -> dict[str, pd.DataFrame]:
    """Parts 6-7: 2024-2025 driven by their real drivers, day-ahead and AS against the
    published summaries."""
    market = Path(reference) / "market"
    start, end = dt.date(2024, 1, 1), dt.date(2025, 12, 31)
    grid = build_grid(start, end, TIMEZONE, 15)
    system = real_system(reference, grid)
    runs = _runs(grid, system, years, seed)
    da = pd.concat([r["da_lmp"] for r in runs], axis=1).mean(axis=1)
    summary = read_dayahead_summary(market / DAYAHEAD_SUMMARY_FILE)
    da_table = dayahead_checks(da.resample("h").first().dropna(), summary, TIMEZONE)
    ancillary = pd.concat(runs).groupby(level=0).mean()
    as_table = ancillary_checks(ancillary, read_ancillary_means(market / ANCILLARY_MEANS_FILE))
    return {
        "Day-ahead TH_SP15, 2024-2025: monthly midday (10-15 h) and evening (17-20 h) means "
        f"[$/MWh], synthetic on the real drivers ({int(da_table['pass'].sum())} of "
        f"{len(da_table)} within max($15, 35 %))": da_table,
        "Day-ahead ancillary services, annual means [$/MW-h], synthetic on the real 2024-2025 "
        "drivers against CAISO's published means": as_table,
    }


def default_study(reference: Path, years: int, seed: int) -> dict[str, pd.DataFrame]:
    """Part 8: the default study (Aug 2023) against the real Aug 2023 prices in LA."""
    market = Path(reference) / "market"
    real = read_oasis_lmp(market / MIL1_AUG_2023_FILE)
    grid = build_grid(dt.date(2023, 8, 1), dt.date(2023, 8, 31), TIMEZONE, 15)
    runs = [synthetic_chain(grid, seed + i)["lmp"].to_numpy() for i in range(years)]
    real_local = real[real.index.tz_convert(TIMEZONE).month == 8].to_numpy()
    syn = distribution_figures(np.concatenate(runs))
    figures = distribution_figures(real_local)
    keys = [k for k in DISTRIBUTION]
    table = pd.DataFrame(
        {
            "real MIL1_3_PASGNODE": [figures[k] for k in keys],
            "synthetic default study": [syn[k] for k in keys],
        },
        index=keys,
    )
    table.loc[f"above ${SPIKE_PRICE:.0f} % (CAISO FMM DLAP)"] = [AUG_2023_DLAP_SHARE, np.nan]
    return {
        "The default study, Aug 2023 (synthetic weather and system), against the real Aug "
        "2023 FMM prices in LA [$/MWh, %]": table
    }


def market_calibration_tables(
    reference_dir: Path, years: int = 5, seed: int = 42
) -> dict[str, pd.DataFrame]:
    """Every table of the report (module docstring), in order.

    Parameters
    ----------
    reference_dir : path
        ``../shared/reference``.
    years : int
        Synthetic realisations per comparison.
    seed : int
        Seed of the first realisation.
    """
    tables: dict[str, pd.DataFrame] = {}
    for part in (
        in_and_out_of_sample,
        year_2023,
        published_shares,
        dayahead_and_ancillary,
        default_study,
    ):
        tables.update(part(Path(reference_dir), years, seed))
    return tables
