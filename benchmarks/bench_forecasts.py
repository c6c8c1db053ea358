"""How long the forecasts take, and how the cost grows with homes, members and lead times.

Resolves the study's outcomes first (weather, solar, system, market, load, assets, pv), then
times each forecast dataset on its own: the ensemble (``forecasts``: the members through the
PV, system, market and load models), the quantile tables (day-ahead and intraday runs,
nudged), each home's day-ahead load quantiles (every home generated, as the writer does),
and the operator forecasts. Then the ensemble and quantiles again with more homes, more
members and a longer intraday horizon.

    python benchmarks/bench_forecasts.py [--homes 200] [--quick]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from vppsim.config import load_settings
from vppsim.dataset.build import Pipeline
from vppsim.registry import default_registry

OFFLINE = {
    "weather_source": "synthetic",
    "system_source": "synthetic",
    "market_source": "synthetic",
}
TABLES = (
    "forecasts",
    "price_forecasts",
    "generation_forecasts",
    "load_forecasts",
    "system_forecasts",
    "operator_forecasts",
)


def timed(homes: int, forecasts: dict | None = None) -> dict[str, float]:
    """Seconds per forecast dataset for the default study (August 2023) with ``homes``."""
    values = {"homes": homes, "out": "/tmp/unused", **OFFLINE}
    if forecasts:
        values["forecasts"] = forecasts
    pipeline = Pipeline(load_settings(values, env_file=None), default_registry())
    for name in ("weather", "solar", "system", "market", "load", "assets", "pv"):
        pipeline.result(name)
    seconds = {}
    for name in TABLES:
        start = time.perf_counter()
        pipeline.result(name)
        seconds[name] = time.perf_counter() - start
    start = time.perf_counter()
    batch = pipeline.result("home_load_forecasts").data
    for first in range(0, homes, 500):
        batch(np.arange(first, min(first + 500, homes), dtype=np.int32))
    seconds["home_load_forecasts"] = time.perf_counter() - start
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--homes", type=int, default=200)
    parser.add_argument("--quick", action="store_true", help="the default study only")
    args = parser.parse_args()
    base = timed(args.homes)
    print(f"default study (Aug 2023, 15 min, {args.homes} homes, 20 members):")
    for name, value in base.items():
        print(f"  {name:22s} {value:6.2f} s")
    print(f"  {'all forecasts':22s} {sum(base.values()):6.2f} s")
    if args.quick:
        return
    print("\nscaling (seconds: ensemble / quantile tables / home load / all):")
    cases = [(f"{n} homes", n, None) for n in (50, 1000)] + [
        ("40 members", args.homes, {"members": 40}),
        ("13 h intraday horizon", args.homes, {"intraday_horizon_h": 13}),
    ]
    for label, homes, forecasts in cases:
        seconds = timed(homes, forecasts)
        tables = sum(seconds[n] for n in TABLES[1:])
        print(
            f"  {label:24s} {seconds['forecasts']:6.2f} / {tables:6.2f} / "
            f"{seconds['home_load_forecasts']:6.2f} / {sum(seconds.values()):6.2f}"
        )


if __name__ == "__main__":
    main()
