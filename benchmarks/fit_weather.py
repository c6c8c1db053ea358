"""Fit the synthetic weather model on the LA-basin TMY files and write calibrated.json.

    python benchmarks/fit_weather.py               # fit, write, print the calibration report
    python benchmarks/fit_weather.py --check       # fit and fail if the shipped file differs
    python benchmarks/fit_weather.py --report-only --years 10 --seed 1

The fit is deterministic: re-running it writes the same file. The report prints, month by
month, the TMY figures next to the synthetic ones (LA Downtown site, ``--years`` simulated
years at 15 min): mean daily clear-sky index, share of clear days (daily index > 0.9),
morning (7-10 h) and early-afternoon (12-15 h) index, daily max/min temperature against the
normals, and wind; then the timing of one simulated year.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from pathlib import Path

import numpy as np

from vppsim.calibrate import monthly_figures, synthetic_daily_figures, tmy_daily_figures
from vppsim.calibration_file import dumps_calibration, write_or_check
from vppsim.grid import build_grid
from vppsim.weather.fit import fit_calibration
from vppsim.weather.synthetic import WeatherCalibration, simulate_weather
from vppsim.weather.tmy import read_tmy

ROOT = Path(__file__).resolve().parents[1]
SOLAR = ROOT.parent / "shared" / "reference" / "solar"
TMY_FILES = ("tmy3_722977_santa_ana_ca.csv.gz", "tmy2_23129_long_beach_ca.tm2.gz")
OUTPUT = ROOT / "src" / "vppsim" / "weather" / "calibrated.json"
SITE = {"latitude": 34.05, "longitude": -118.24, "timezone": "America/Los_Angeles"}


def report(stations, years: int, seed: int) -> None:
    tmy = monthly_figures(tmy_daily_figures(stations))
    grid = build_grid(dt.date(2001, 1, 1), dt.date(2000 + years, 12, 31), SITE["timezone"], 15)
    frame = simulate_weather(
        grid,
        SITE["latitude"],
        SITE["longitude"],
        SITE["timezone"],
        15,
        np.random.default_rng(seed),
    )
    synthetic = monthly_figures(
        synthetic_daily_figures(frame, SITE["latitude"], SITE["longitude"], SITE["timezone"], 15)
    )
    parameters = WeatherCalibration.default()
    print(f"\nTMY (Santa Ana + Long Beach) vs synthetic (LA Downtown, {years} years, 15 min)")
    print(
        f"{'month':>5} | {'daily k':>13} | {'clear share':>13} | {'k 7-10 h':>13} |"
        f" {'k 12-15 h':>13} | {'tmax syn/normal/tmy':>21} | {'tmin syn/normal':>15} |"
        f" {'wind':>11}"
    )
    for m in range(1, 13):
        t, s = tmy.loc[m], synthetic.loc[m]
        print(
            f"{m:>5} | {t.k:6.3f} {s.k:6.3f} | {t.clear:6.2f} {s.clear:6.2f} |"
            f" {t.morning:6.3f} {s.morning:6.3f} | {t.afternoon:6.3f} {s.afternoon:6.3f} |"
            f" {s.tmax:6.1f} {parameters.tmax_normal_c[m - 1]:6.1f} {t.tmax:6.1f} |"
            f" {s.tmin:6.1f} {parameters.tmin_normal_c[m - 1]:6.1f} |"
            f" {t.wind:5.2f} {s.wind:5.2f}"
        )
    one_year = build_grid(dt.date(2023, 1, 1), dt.date(2023, 12, 31), SITE["timezone"], 15)
    timings = []
    for repeat in range(5):
        start = time.perf_counter()
        simulate_weather(
            one_year,
            SITE["latitude"],
            SITE["longitude"],
            SITE["timezone"],
            15,
            np.random.default_rng(repeat),
        )
        timings.append(time.perf_counter() - start)
    print(
        f"\none year at 15 min ({len(one_year)} intervals): best {min(timings):.3f} s,"
        f" median {np.median(timings):.3f} s over {len(timings)} runs"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="compare with the shipped file")
    parser.add_argument("--report-only", action="store_true", help="do not fit or write")
    parser.add_argument("--years", type=int, default=10, help="simulated years in the report")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    stations = [read_tmy(SOLAR / name) for name in TMY_FILES]
    if not args.report_only:
        text = dumps_calibration(fit_calibration(stations))
        same = write_or_check(OUTPUT, text, args.check)
        if args.check:
            return 0 if same else 1
    report(stations, args.years, args.seed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
