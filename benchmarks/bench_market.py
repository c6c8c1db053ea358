"""Time the system and price models: one month and one year of 15-min drivers and prices.

    python benchmarks/bench_market.py [--repeats 5]

Issue 11 asks for one year of ``system`` plus prices in under 1 s. Weather is simulated once
per period (not timed: it is its own dataset); each run times :func:`simulate_system` and
:func:`simulate_prices` (real-time, day-ahead and AS) on it, best and median of ``--repeats``
runs with different seeds. The fitted tables are loaded once, outside the timing.
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
from vppsim.system.model import SystemCalibration, simulate_system
from vppsim.weather.synthetic import simulate_weather

TIMEZONE = "America/Los_Angeles"
SITE = (34.05, -118.24)
PERIODS = {
    "one month (Aug 2023)": (dt.date(2023, 8, 1), dt.date(2023, 8, 31)),
    "one year (2023)": (dt.date(2023, 1, 1), dt.date(2023, 12, 31)),
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    MarketCalibration.default()
    SystemCalibration.default()
    for label, (start, end) in PERIODS.items():
        grid = build_grid(start, end, TIMEZONE, 15)
        weather = simulate_weather(grid, *SITE, TIMEZONE, 15, stream_rng(1, Stream.WEATHER))
        system_s, market_s = [], []
        for seed in range(args.repeats):
            begin = time.perf_counter()
            system = simulate_system(grid, TIMEZONE, weather, stream_rng(seed, Stream.SYSTEM))
            middle = time.perf_counter()
            simulate_prices(grid, TIMEZONE, system, stream_rng(seed, Stream.MARKET))
            end_ = time.perf_counter()
            system_s.append(middle - begin)
            market_s.append(end_ - middle)
        total = np.add(system_s, market_s)
        print(
            f"{label}: {len(grid)} intervals; system best {min(system_s):.3f} s, prices best "
            f"{min(market_s):.3f} s; together best {total.min():.3f} s, median "
            f"{np.median(total):.3f} s over {len(total)} runs"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
