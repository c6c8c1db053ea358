"""Time the fleet's asset draws and its per-home PV.

    python benchmarks/bench_fleet_assets.py                  # 1,000 and 10,000 homes
    python benchmarks/bench_fleet_assets.py --homes 200 100000 --days 31

1. ``draw_assets``: homes per second, the home attributes (``draw_homes``) included, best of
   ``--repeat``.
2. ``fleet.pv.simulate``: home-intervals per second of a fleet where every home has PV (the
   worst case; homes without PV cost nothing), ``--days`` of clear-sky LA weather at 15 min,
   night intervals included in the count.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd
import pvlib

from vppsim.fleet import pv
from vppsim.fleet.assets import Fleet, FleetParameters, draw_assets

LATITUDE, LONGITUDE = 34.05, -118.24


def clear_sky_weather(days: int) -> pd.DataFrame:
    """Clear-sky LA weather from 2023-08-01, 15-min interval starts (UTC)."""
    starts = pd.date_range("2023-08-01T07:00Z", periods=96 * days, freq="15min")
    middle = starts + pd.Timedelta(minutes=7.5)
    sky = pvlib.location.Location(LATITUDE, LONGITUDE).get_clearsky(middle)
    return pd.DataFrame(
        {
            "timestamp": starts,
            "ghi_w_m2": sky["ghi"].to_numpy(),
            "dni_w_m2": sky["dni"].to_numpy(),
            "dhi_w_m2": sky["dhi"].to_numpy(),
            "temp_air_c": 28.0,
            "wind_speed_m_s": 2.0,
        }
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--homes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--days", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    weather = clear_sky_weather(args.days)
    everyone = FleetParameters(pv_share=1.0)
    draw_assets(0, np.arange(10), 2024, everyone)  # imports and tables out of the timing
    print(f"{'homes':>8} {'draw_assets [homes/s]':>22} {'pv.simulate [home-steps/s]':>27}")
    for homes in args.homes:
        ids = np.arange(homes)
        draws, runs = [], []
        for _ in range(args.repeat):
            start = time.perf_counter()
            frame = draw_assets(42, ids, 2024, everyone)
            draws.append(time.perf_counter() - start)
            fleet = Fleet.from_frame(frame)
            start = time.perf_counter()
            pv.simulate(fleet, weather, LATITUDE, LONGITUDE, 15)
            runs.append(time.perf_counter() - start)
        steps = homes * len(weather)
        print(f"{homes:>8,} {homes / min(draws):>22,.0f} {steps / min(runs):>27,.0f}")


if __name__ == "__main__":
    main()
