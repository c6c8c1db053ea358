"""Fit the structural price model on real 2022 CAISO prices and drivers; write calibrated.json.

    python benchmarks/fit_market.py                # fit, write, print the in-sample check
    python benchmarks/fit_market.py --check        # fit and fail if the shipped file differs
    python benchmarks/fit_market.py --leave-out 8  # refit without August, print the check
    python benchmarks/fit_market.py --out-of-sample  # each month from the fit without it
    python benchmarks/fit_market.py --battery      # the official battery, arbitrage, 2023, DA

The fit is deterministic: re-running it writes the same file. Data (``../shared/reference``):
the real 2022 FMM prices at ALAMT3G_7_B1 and the real 2022 hourly drivers
(:func:`vppsim.system.reference.reference_drivers`: EIA-930 demand, CAISO hub solar and wind,
CAISO daily hydro, EIA power-plant gas); the monthly hydro table from CAISO's daily fuel mix
(2018-04 to 2025-08).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from vppsim.calibration_file import dumps_calibration
from vppsim.fleet.arbitrage import arbitrage_ratio_table
from vppsim.fleet.battery import REFERENCE_BATTERY
from vppsim.market.evaluation import (
    DAYAHEAD_SUMMARY_FILE,
    battery_checks,
    dayahead_checks,
    distribution_figures,
    passes_by_month,
    price_figures,
    read_dayahead_summary,
)
from vppsim.market.fit import fit_calibration, hydro_table
from vppsim.market.synthetic import MarketCalibration, drivers_on_grid, simulate_prices
from vppsim.system.reference import FUEL_MIX_FILE, read_fuel_mix_daily, reference_drivers

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT.parent / "shared" / "reference"
OUTPUT = ROOT / "src" / "vppsim" / "market" / "calibrated.json"
PRICES_FILE = Path("market") / "ALAMT3G_7_B1_fmm_lmp_15min_2022.csv.gz"
TIMEZONE = "America/Los_Angeles"
SOURCE = {
    "file": str(PRICES_FILE),
    "node": "ALAMT3G_7_B1",
    "market": "CAISO FMM (RTPD) 15-min LMP",
    "period": "2022 (Pacific time)",
    "drivers": "vppsim.system.reference.reference_drivers 2022; hydro: CAISO daily fuel mix",
}


def read_prices(reference: Path = REFERENCE) -> pd.Series:
    """The real 2022 15-min prices [$/MWh] by UTC interval start."""
    frame = pd.read_csv(reference / PRICES_FILE)
    index = pd.DatetimeIndex(pd.to_datetime(frame["interval_start_utc"], utc=True))
    return pd.Series(frame["lmp"].to_numpy(float), index=index, name="lmp").sort_index()


def inputs(reference: Path = REFERENCE) -> tuple[pd.Series, pd.DataFrame, dict]:
    """The 2022 prices, their hourly drivers (with an hour's margin) and the hydro table."""
    prices = read_prices(reference)
    drivers = reference_drivers(reference, "2021-12-31 20:00", "2023-01-01 12:00")
    hydro = hydro_table(read_fuel_mix_daily(reference / FUEL_MIX_FILE)["hydro_mw"])
    return prices, drivers, hydro


def fitted_text(reference: Path = REFERENCE, exclude_months=()) -> str:
    """The calibrated.json text fitted on the shared references."""
    prices, drivers, hydro = inputs(reference)
    fit = fit_calibration(prices, drivers, hydro, TIMEZONE, exclude_months, SOURCE)
    return dumps_calibration(fit)


def _figures(x: np.ndarray, name: str) -> dict:
    return {
        f"median {name}": np.median(x),
        f"p95 {name}": np.quantile(x, 0.95),
        f"p99 {name}": np.quantile(x, 0.99),
        f"neg% {name}": 100 * np.mean(x < 0),
        f">250% {name}": 100 * np.mean(x > 250),
    }


def monthly_check(
    calibration: dict | None, seeds: int = 5, reference: Path = REFERENCE
) -> tuple[pd.DataFrame, float]:
    """Real vs synthetic figures by month of 2022: the synthetic driven by the real 2022
    drivers, ``seeds`` seeds pooled; ``calibration`` None refits without each month in turn
    (month-blocked out of sample). Also returns the mean time of one simulated year [s]."""
    prices, drivers, hydro = inputs(reference)
    system = drivers_on_grid(drivers, prices.index)
    month = prices.index.tz_convert(TIMEZONE).month
    fits = {}
    for m in range(1, 13):
        if calibration is None:
            fit = fit_calibration(prices, drivers, hydro, TIMEZONE, [m], SOURCE)
        else:
            fit = calibration
        fits[m] = MarketCalibration.from_calibration(fit)
    start = time.perf_counter()
    year = [
        simulate_prices(prices.index, TIMEZONE, system, np.random.default_rng(s), None, fits[1])
        for s in range(seeds)
    ]
    elapsed = (time.perf_counter() - start) / seeds
    rows = []
    for m in range(1, 13):
        sel = month == m
        if calibration is None:
            runs = [
                simulate_prices(
                    prices.index[sel], TIMEZONE, system[sel], np.random.default_rng(s), None,
                    fits[m],
                )["lmp"].to_numpy()
                for s in range(seeds)
            ]  # fmt: skip
        else:
            runs = [r["lmp"].to_numpy()[sel] for r in year]
        real = prices.to_numpy()[sel]
        rows.append({"month": m, **_figures(real, "real"), **_figures(np.concatenate(runs), "syn")})
    return pd.DataFrame(rows).set_index("month"), elapsed


REAL_2023 = {
    1: {"median": 141, "p95": 222, "negative %": 0.1, "above $250 %": 2.0},
    4: {"median": 46, "p95": 117, "negative %": 16.7, "above $250 %": 0.5},
    5: {"median": 18, "p95": 55, "negative %": 14.2, "above $250 %": 0.3},
    7: {"median": 54, "p95": 133, "negative %": 0.0, "above $250 %": 1.9},
    8: {"median": 51, "p95": 117, "negative %": 0.1, "above $250 %": 1.6},
    10: {"median": 51, "p95": 108, "negative %": 6.1, "above $250 %": 0.4},
}
"""Real 2023 15-min FMM figures at an SCE node in the LA basin, months of issue 11's table
[$/MWh, %] (a year the model is not fitted on)."""


def complete_wind(drivers: pd.DataFrame, timezone: str = TIMEZONE) -> pd.DataFrame:
    """``drivers`` with missing hourly wind (the reference wind ends in 2025-08) filled with the
    mean of the available wind at the same calendar month and local hour, and the net load
    (demand less solar and wind) recomputed there; without it the net load of those months
    would be missing and held flat, and their midday prices would see no solar."""
    local = drivers.index.tz_convert(timezone)
    wind = drivers["wind_mw"]
    typical = wind.groupby([local.month, local.hour]).transform("mean")
    out = drivers.copy()
    out["wind_mw"] = wind.fillna(typical)
    gap = out["net_load_mw"].isna()
    out.loc[gap, "net_load_mw"] = (out["demand_mw"] - out["solar_mw"] - out["wind_mw"])[gap]
    return out


def _year_runs(grid, system, fits, seeds):
    """``seeds`` synthetic price series on ``grid``: one simulation per month with that month's
    fit (``fits[m]``) when ``fits`` is a dict, else one simulation of the whole grid."""
    if not isinstance(fits, dict):
        return [
            simulate_prices(grid, TIMEZONE, system, np.random.default_rng(s), None, fits)
            for s in range(seeds)
        ]
    month = grid.tz_convert(TIMEZONE).month
    out = []
    for s in range(seeds):
        parts = [
            simulate_prices(
                grid[month == m], TIMEZONE, system[month == m], np.random.default_rng(s), None,
                fits[m],
            )
            for m in sorted(fits)
        ]  # fmt: skip
        out.append(pd.concat(parts))
    return out


def battery_report(calibration: dict, seeds: int = 5, reference: Path = REFERENCE) -> None:
    """Print the official battery and arbitrage tables in sample and month-blocked out of
    sample (real 2022 drivers, ``seeds`` seeds), the 2023 out-of-year figures and the
    day-ahead means against the 2024-2025 TH_SP15 summaries."""
    prices, drivers, hydro = inputs(reference)
    system = drivers_on_grid(drivers, prices.index)
    real_figures = price_figures(prices, TIMEZONE)
    fits = {
        "in sample": MarketCalibration.from_calibration(calibration),
        "out of sample (month-blocked)": {
            m: MarketCalibration.from_calibration(
                fit_calibration(prices, drivers, hydro, TIMEZONE, [m], SOURCE)
            )
            for m in range(1, 13)
        },
    }
    for name, fit in fits.items():
        runs = _year_runs(prices.index, system, fit, seeds)
        checks = battery_checks(real_figures, [price_figures(r["lmp"], TIMEZONE) for r in runs])
        summary = passes_by_month(checks)
        print(f"\n== {name}: {int(summary['pass'].sum())}/12 months pass")
        with pd.option_context("display.width", 250, "display.max_colwidth", 80):
            print(summary.to_string())
            wide = checks["synthetic"].unstack("check")
            real = checks["real"].unstack("check")
            cols = ["median", "p5", "p95", "p99", "negative %", "above $250 %", "acf 4", "acf 96"]
            both = pd.concat({"real": real[cols], "syn": wide[cols]}, axis=1).swaplevel(axis=1)
            print(both[cols].round(2).to_string())
        ratios = arbitrage_ratio_table(prices, [r["lmp"] for r in runs], REFERENCE_BATTERY)
        print(f"arbitrage ratio ({name}):")
        print(ratios["ratio"].round(2).to_frame().T.to_string())

    # 2023, out of year.
    start, end = "2023-01-01 08:00", "2024-01-01 08:00"
    drivers23 = reference_drivers(reference, "2022-12-31 20:00", "2024-01-01 12:00")
    grid = pd.date_range(start, end, freq="15min", tz="UTC", inclusive="left")
    system23 = drivers_on_grid(drivers23, grid)
    runs = _year_runs(grid, system23, fits["in sample"], seeds)
    month = grid.tz_convert(TIMEZONE).month
    rows = []
    for m, real in REAL_2023.items():
        syn = distribution_figures(np.concatenate([r["lmp"].to_numpy()[month == m] for r in runs]))
        rows.append({"month": m, **{f"{k} syn/real": f"{syn[k]:.3g}/{v}" for k, v in real.items()}})
    print("\n== 2023 out of year (real: issue 11, an SCE node)")
    print(pd.DataFrame(rows).set_index("month").to_string())

    # Day-ahead, 2024-2025.
    start, end = "2024-01-01 08:00", "2026-01-01 08:00"
    drivers_da = complete_wind(reference_drivers(reference, "2023-12-31 20:00", "2026-01-01 12:00"))
    grid = pd.date_range(start, end, freq="15min", tz="UTC", inclusive="left")
    system_da = drivers_on_grid(drivers_da, grid)
    da = pd.concat([r["da_lmp"] for r in _year_runs(grid, system_da, fits["in sample"], 1)])
    summary = read_dayahead_summary(reference / "market" / DAYAHEAD_SUMMARY_FILE)
    table = dayahead_checks(da, summary, TIMEZONE)
    print("\n== day-ahead 2024-2025 (TH_SP15 summaries)")
    print(
        table["synthetic"]
        .unstack()
        .round(1)
        .join(table["published"].unstack().round(1), rsuffix=" real")
        .to_string()
    )
    print(f"pass {int(table['pass'].sum())}/{len(table)}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="compare with the shipped file")
    parser.add_argument("--leave-out", type=int, nargs="*", default=[], help="months 1-12")
    parser.add_argument(
        "--out-of-sample", action="store_true", help="each month from the fit without it"
    )
    parser.add_argument(
        "--battery", action="store_true", help="official battery, arbitrage, 2023 and DA"
    )
    args = parser.parse_args()
    start = time.perf_counter()
    text = fitted_text(exclude_months=args.leave_out)
    print(f"fit in {time.perf_counter() - start:.2f} s")
    if args.check:
        same = OUTPUT.read_text("utf-8") == text
        print("calibrated.json is up to date" if same else "calibrated.json differs")
        return 0 if same else 1
    if args.battery:
        battery_report(json.loads(text))
        return 0
    if not args.leave_out:
        OUTPUT.write_text(text, "utf-8")
        print(f"wrote {OUTPUT} ({len(text.encode()) / 1024:.1f} kB)")
    table, elapsed = monthly_check(None if args.out_of_sample else json.loads(text))
    print(f"one year of prices in {elapsed:.2f} s")
    with pd.option_context("display.width", 250, "display.float_format", "{:.3g}".format):
        print(table.to_string())
    return 0


if __name__ == "__main__":
    sys.exit(main())
