"""Time the perfect-foresight arbitrage of the reference battery on one year of real prices.

    python benchmarks/bench_arbitrage.py [--reference DIR] [--repeats 3] [--step 0.05]

The real 15-min FMM prices of 2022 at ALAMT3G_7_B1 (35,040 intervals), the reference battery
(Powerwall 2: 13.5 kWh, 5 kW, 90 % round trip, $0.02/kWh discharged). Times the LP (HiGHS,
monthly and daily horizons) and the independent DP (grid of ``--step`` kWh), prints the
revenue per month by both and the year in $ and $/kW-year.

For scale, CALIBRATION.md: grid-scale CAISO batteries earned about $80/kW-year in merchant
revenue (energy and AS, realised, not perfect foresight) in 2023 and $51/kW-year in 2024
(Modo Energy's CAISO benchmark); a home battery on wholesale prices should land there or below.
2022 was a dearer year (the Sep heat wave, the Dec gas crisis) and this is perfect foresight
at one node.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from vppsim.fleet.arbitrage import (
    arbitrage,
    arbitrage_dp,
    arbitrage_dual,
    monthly_arbitrage,
    revenue_by_month,
)
from vppsim.fleet.battery import REFERENCE_BATTERY
from vppsim.market.evaluation import ALAMITOS_FILE, read_fmm_csv
from vppsim.report import reference_dir

GRID_SCALE_2023 = 80.0
"""Grid-scale CAISO battery merchant revenue, 2023 [$/kW-year] (CALIBRATION.md, Modo Energy)."""


def _best(run, repeats: int):
    timings, result = [], None
    for _ in range(repeats):
        begin = time.perf_counter()
        result = run()
        timings.append(time.perf_counter() - begin)
    return result, min(timings), float(np.median(timings))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reference", type=Path, default=None)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--step", type=float, default=0.05, help="DP energy grid step [kWh]")
    args = parser.parse_args()
    prices = read_fmm_csv(reference_dir(args.reference) / "market" / ALAMITOS_FILE)
    battery = REFERENCE_BATTERY
    print(f"real FMM LMP ALAMT3G_7_B1 2022: {len(prices)} intervals; battery {battery!r}")

    lp, best, median = _best(lambda: arbitrage(prices, battery, "month"), args.repeats)
    print(f"LP (HiGHS), monthly horizons: best {best:.2f} s, median {median:.2f} s")
    daily, best, median = _best(lambda: arbitrage(prices, battery, "day"), args.repeats)
    print(f"LP (HiGHS), daily horizons:   best {best:.2f} s, median {median:.2f} s")
    (dual, _), best, median = _best(lambda: arbitrage_dual(prices, battery, "month"), 1)
    print(f"dual LP (HiGHS), monthly horizons: {best:.2f} s")
    dp, best, median = _best(
        lambda: arbitrage_dp(prices, battery, "month", energy_step_kwh=args.step), 1
    )
    print(f"DP ({args.step} kWh grid), monthly horizons: {best:.2f} s")

    table = monthly_arbitrage(prices, battery)
    table["DP revenue [$]"] = revenue_by_month(dp, battery)["revenue [$]"]
    table["DP / LP"] = table["DP revenue [$]"] / table["revenue [$]"]
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        print(table.round(3).to_string())
    kw = battery.discharge_kw
    print(
        f"year: LP ${lp.revenue:.2f} net (energy ${lp.energy_revenue:.2f}, throughput cost "
        f"${lp.throughput_cost:.2f}), {lp.revenue / kw:.1f} $/kW-year; dual ${dual:.6f} "
        f"(relative gap {(dual - lp.revenue) / lp.revenue:.1e}); DP ${dp.revenue:.2f} "
        f"({dp.revenue / lp.revenue:.4f} of LP); daily foresight ${daily.revenue:.2f} "
        f"({daily.revenue / kw:.1f} $/kW-year)"
    )
    print(
        f"grid-scale CAISO 2023 (CALIBRATION.md): {GRID_SCALE_2023:.0f} $/kW-year realised, "
        f"energy and AS; this home battery, energy only, perfect foresight on 2022: "
        f"{lp.revenue / kw / GRID_SCALE_2023:.2f} x that"
    )
    august = prices["2022-08-01 07:00":"2022-09-01 06:45"]
    exact = arbitrage(august, battery).revenue
    gaps = []
    for step in (0.2, 0.1, 0.05, 0.025, 0.0125):
        gap = 1.0 - arbitrage_dp(august, battery, energy_step_kwh=step).revenue / exact
        gaps.append(f"{step} kWh: {100 * gap:.3f} %")
    print(f"DP shortfall below the LP, Aug 2022, by grid step: {'; '.join(gaps)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
