"""Fit the residential load model's tables on ../shared/reference/load and write calibrated.json.

    python benchmarks/fit_load.py                  # fit, write, print the calibration report
    python benchmarks/fit_load.py --check          # fit and fail if the shipped file differs
    python benchmarks/fit_load.py --report-only --homes 1000 --no-speed

The fit is deterministic (no random draws): re-running it writes the same file. The report
compares, side by side:

1. the 9 metered Fontana homes (August, hourly) with an inland, Fontana-like synthetic fleet
   (``LoadParameters(inland_share=1.0, ac_share=1.0)``) on the synthetic LA August
   2023 weather (``stream_rng(42, Stream.WEATHER)``, LA Downtown), whose homes add the inland
   temperature offset;
2. the default LA-basin mix (coastal + inland, 69 % central AC) on the same weather: daily
   kWh (all, coastal, inland with AC), 15-min values and per-home 15-min peaks, and the
   coincident peak per home of ``--homes`` homes on the hottest day;
3. the generation rate (home-intervals per second of ``simulate_load`` alone) for 200 and
   10,000 homes x August 2023 at 15 min.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from vppsim.calendar import local_calendar
from vppsim.calibration_file import dumps_calibration, write_or_check
from vppsim.grid import build_grid
from vppsim.load.calibration import daily_max_temperature
from vppsim.load.fit import (
    fit_calibration,
    fontana_august,
    load_figures,
    read_fontana,
)
from vppsim.load.homes import draw_homes
from vppsim.load.model import simulate_load, weekday_daytime_presence
from vppsim.load.parameters import LoadParameters
from vppsim.seeds import Stream, stream_rng
from vppsim.weather.synthetic import simulate_weather

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT.parent / "shared" / "reference" / "load"
OUTPUT = ROOT / "src" / "vppsim" / "load" / "calibrated.json"
SITE = {"latitude": 34.05, "longitude": -118.24, "timezone": "America/Los_Angeles"}
FONTANA_LIKE = {"inland_share": 1.0, "ac_share": 1.0}
AUGUST = (dt.date(2023, 8, 1), dt.date(2023, 8, 31))


def august_weather(minutes: int = 15) -> tuple[pd.DatetimeIndex, pd.DataFrame]:
    grid = build_grid(*AUGUST, SITE["timezone"], minutes)
    weather = simulate_weather(
        grid,
        SITE["latitude"],
        SITE["longitude"],
        SITE["timezone"],
        minutes,
        stream_rng(42, Stream.WEATHER),
    )
    return grid, weather


def local_hourly(kw: np.ndarray, grid: pd.DatetimeIndex) -> tuple[np.ndarray, np.ndarray]:
    """(homes, T) at 15 min in August (no DST change) -> (homes, days, 24) and weekend flags."""
    local = local_calendar(grid, SITE["timezone"])
    if local.hour[0] != 0 or len(grid) != 96 * local.n_days:
        raise ValueError("expected whole local days at 15 min")
    hourly = kw.reshape(kw.shape[0], local.n_days, 24, 4).mean(axis=3)
    return hourly, local.day_weekend


def simulate(parameters: LoadParameters, homes: int, seed: int, grid, weather):
    table = draw_homes(seed, np.arange(homes), parameters)
    return table, simulate_load(table, weather, grid, SITE["timezone"], 15, seed, parameters)


def report_fontana(homes: int, seed: int, grid, weather) -> None:
    energy, calendar = read_fontana(REFERENCE / "fontana_homes_1_9")
    real = load_figures(*fontana_august(energy, calendar))
    _, kw = simulate(LoadParameters(**FONTANA_LIKE), homes, seed, grid, weather)
    synthetic = load_figures(*local_hourly(kw, grid))
    print(
        "\nFontana (9 metered homes, Aug) vs inland Fontana-like fleet"
        f" ({homes} homes, LA Aug 2023)"
    )
    rows = [
        ("daily kWh, median home", "daily_kwh_median_home"),
        ("daily kWh, p10 of home means", "daily_kwh_p10_home"),
        ("daily kWh, p90 of home means", "daily_kwh_p90_home"),
        ("hourly peak per home, p10 [kW]", "hourly_peak_p10"),
        ("hourly peak per home, p50 [kW]", "hourly_peak_p50"),
        ("hourly peak per home, p90 [kW]", "hourly_peak_p90"),
        ("load factor, median", "load_factor_median"),
        ("weekend / weekday daily kWh", "weekend_weekday_daily_ratio"),
        ("autocorrelation lag 1 h", "acf_lag_1h"),
        ("autocorrelation lag 24 h", "acf_lag_24h"),
    ]
    print(f"{'figure':36} {'Fontana':>9} {'synthetic':>10}")
    for label, key in rows:
        print(f"{label:36} {real[key]:9.2f} {synthetic[key]:10.2f}")
    for n in ("1", "2", "5"):
        print(
            f"{'coincident peak per home, N=' + n + ' [kW]':36}"
            f" {real['coincident_peak_per_home_kw'][n]:9.2f}"
            f" {synthetic['coincident_peak_per_home_kw'][n]:10.2f}"
        )
    print("mean weekday profile by local hour [kW] (Fontana hour-ending h is shown at h - 1):")
    print("  Fontana  ", " ".join(f"{v:4.2f}" for v in real["profile_weekday_kw"]))
    print("  synthetic", " ".join(f"{v:4.2f}" for v in synthetic["profile_weekday_kw"]))
    print("hour of each home-day's peak (share by local hour, %):")
    for name, figures in (("Fontana  ", real), ("synthetic", synthetic)):
        counts = np.asarray(figures["peak_hour_histogram"], dtype=float)
        print(f"  {name}", " ".join(f"{v:4.1f}" for v in 100 * counts / counts.sum()))


def report_default(homes: int, seed: int, grid, weather) -> None:
    table, kw = simulate(LoadParameters(), homes, seed, grid, weather)
    daily = kw.mean(axis=1) * 24.0
    inland = (table["climate"] == "inland").to_numpy()
    central = table["has_central_ac"].to_numpy()
    print(f"\nDefault LA-basin mix ({homes} homes, LA Aug 2023, 15 min)")

    def line(label: str, values: np.ndarray) -> None:
        p10, p50, p90 = np.percentile(values, [10, 50, 90])
        print(f"  {label:34} median {p50:5.1f}  p10 {p10:5.1f}  p90 {p90:5.1f}  n={len(values)}")

    line("daily kWh, all homes", daily)
    line("daily kWh, coastal homes", daily[~inland])
    line("daily kWh, coastal without central AC", daily[~inland & ~central])
    line("daily kWh, inland homes with central AC", daily[inland & central])
    print(f"  mean daily kWh {daily.mean():.1f} (x 30.4 = {daily.mean() * 30.4:.0f} kWh/month)")
    values = np.percentile(kw, [1, 10, 50, 90, 99])
    print("  15-min values p1/p10/p50/p90/p99 [kW]:", " ".join(f"{v:.2f}" for v in values))
    peaks = kw.max(axis=1)
    print(
        "  per-home 15-min peak p5/p50/p95 [kW]:",
        " ".join(f"{v:.2f}" for v in np.percentile(peaks, [5, 50, 95])),
        f"(share within 2-12 kW: {np.mean((peaks >= 2) & (peaks <= 12)):.3f})",
    )
    daily_max = daily_max_temperature(weather, SITE["timezone"])
    local = local_calendar(grid, SITE["timezone"])
    hottest = local.day == int(np.argmax(daily_max.to_numpy()))
    fleet = kw[:, hottest].sum(axis=0)
    peak = int(np.flatnonzero(hottest)[fleet.argmax()])
    print(
        f"  hottest day {daily_max.idxmax().date()} (max {daily_max.max():.1f} degC downtown):"
        f" coincident 15-min peak per home {fleet.max() / homes:.2f} kW at"
        f" {local.hour[peak]:02d}:{local.minute[peak]:02d}; {kw[:, hottest].mean() * 24:.1f}"
        f" kWh per home that day (month mean {daily.mean():.1f})"
    )


def report_speed(grid, weather) -> None:
    print("\nGeneration rate (simulate_load alone, August 2023 at 15 min, best of 3):")
    parameters = LoadParameters()
    for homes in (200, 10_000):
        table = draw_homes(1, np.arange(homes), parameters)
        simulate_load(table.iloc[:20], weather, grid, SITE["timezone"], 15, 1, parameters)
        timings = []
        for _ in range(3):
            start = time.perf_counter()
            kw = simulate_load(table, weather, grid, SITE["timezone"], 15, 1, parameters)
            timings.append(time.perf_counter() - start)
        best = min(timings)
        print(
            f"  {homes:6d} homes x {len(grid)} intervals: {best:.3f} s,"
            f" {kw.size / best / 1e6:.1f} million home-intervals/s"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="compare with the shipped file")
    parser.add_argument("--report-only", action="store_true", help="do not fit or write")
    parser.add_argument("--homes", type=int, default=1000, help="synthetic homes in the report")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-speed", action="store_true", help="skip the timing")
    args = parser.parse_args()
    if not args.report_only:
        text = dumps_calibration(fit_calibration(REFERENCE, weekday_daytime_presence()))
        same = write_or_check(OUTPUT, text, args.check)
        if args.check:
            return 0 if same else 1
    grid, weather = august_weather()
    report_fontana(args.homes, args.seed, grid, weather)
    report_default(args.homes, args.seed, grid, weather)
    if not args.no_speed:
        report_speed(grid, weather)
    return 0


if __name__ == "__main__":
    sys.exit(main())
