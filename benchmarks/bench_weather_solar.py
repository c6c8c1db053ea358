"""Time synthetic weather plus PV for 200 distinct roofs, for one month and one year.

    python benchmarks/bench_weather_solar.py [--systems 200] [--repeat 5]

Prints the best of ``--repeat`` runs for each step: the weather model, the PV chain for
all systems at once (sun position included), and the reference system alone.
"""

from __future__ import annotations

import argparse
import datetime as dt
import time

import numpy as np
import pandas as pd

from vppsim.grid import build_grid
from vppsim.seeds import Stream, stream_rng
from vppsim.solar.physics import pvwatts_ac
from vppsim.weather.synthetic import simulate_weather

LAT, LON, TZ = 34.05, -118.24, "America/Los_Angeles"
PERIODS = {
    "one month (Aug 2023)": (dt.date(2023, 8, 1), dt.date(2023, 8, 31)),
    "one year (2023)": (dt.date(2023, 1, 1), dt.date(2023, 12, 31)),
}


def best(repeat: int, work) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = work()
        times.append(time.perf_counter() - start)
    return min(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--systems", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    roofs = stream_rng(42, Stream.SOLAR)
    tilt = roofs.uniform(10, 35, args.systems)
    azimuth = roofs.uniform(90, 270, args.systems)
    print(
        f"{'period':<22} {'steps':>7} {'weather [s]':>12} {f'{args.systems} systems [s]':>15}"
        f" {'total [s]':>10} {'1 system [s]':>13}"
    )
    for label, (start, end) in PERIODS.items():
        grid = build_grid(start, end, TZ, 15)
        t_weather, weather = best(
            args.repeat,
            lambda grid=grid: simulate_weather(
                grid, LAT, LON, TZ, 15, stream_rng(42, Stream.WEATHER)
            ),
        )
        midpoints = grid + pd.Timedelta(minutes=7.5)
        columns = [
            weather[c].to_numpy()
            for c in ("ghi_w_m2", "dni_w_m2", "dhi_w_m2", "temp_air_c", "wind_speed_m_s")
        ]
        t_fleet, fleet = best(
            args.repeat, lambda m=midpoints, c=columns: pvwatts_ac(m, *c, LAT, LON, tilt, azimuth)
        )
        t_one, _ = best(
            args.repeat, lambda m=midpoints, c=columns: pvwatts_ac(m, *c, LAT, LON, 20.0, 180.0)
        )
        assert np.asarray(fleet).shape == (len(grid), args.systems)
        print(
            f"{label:<22} {len(grid):>7,} {t_weather:>12.3f} {t_fleet:>15.3f} "
            f"{t_weather + t_fleet:>10.3f} {t_one:>13.3f}"
        )


if __name__ == "__main__":
    main()
