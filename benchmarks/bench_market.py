"""Time the synthetic price model: one month and one year of 15-min prices.

    python benchmarks/bench_market.py [--repeats 5]

Weather is simulated once per period (not timed); the timing is :func:`simulate_prices`
alone, best and median of ``--repeats`` runs with different seeds.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time

import numpy as np

from vppsim.grid import build_grid
from vppsim.market.synthetic import MarketCalibration, simulate_prices
from vppsim.seeds import Stream, stream_rng
from vppsim.weather.synthetic import simulate_weather

TIMEZONE = "America/Los_Angeles"
PERIODS = {
    "one month (Aug 2023)": (dt.date(2023, 8, 1), dt.date(2023, 8, 31)),
    "one year (2023)": (dt.date(2023, 1, 1), dt.date(2023, 12, 31)),
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    MarketCalibration.default()  # load calibrated.json once, outside the timing
    for label, (start, end) in PERIODS.items():
        grid = build_grid(start, end, TIMEZONE, 15)
        weather = simulate_weather(
            grid, 34.05, -118.24, TIMEZONE, 15, stream_rng(1, Stream.WEATHER)
        )
        timings = []
        for seed in range(args.repeats):
            rng = stream_rng(seed, Stream.MARKET)
            begin = time.perf_counter()
            simulate_prices(grid, TIMEZONE, weather, rng)
            timings.append(time.perf_counter() - begin)
        print(
            f"{label}: {len(grid)} intervals, best {min(timings):.3f} s,"
            f" median {np.median(timings):.3f} s over {len(timings)} runs"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
