"""Fit the structural price model on real 2022 CAISO prices and drivers; write calibrated.json.

    python benchmarks/fit_market.py          # fit and write src/vppsim/market/calibrated.json
    python benchmarks/fit_market.py --check  # fit and fail if the shipped file differs

The fit is deterministic: re-running it writes the same file. Its inputs
(:func:`vppsim.market.calibration.fit_inputs`, from ``../shared/reference``): the real 2022
FMM prices at ALAMT3G_7_B1, the real 2022 hourly drivers (EIA-930 demand, CAISO hub solar and
wind, CAISO daily hydro, EIA power-plant gas) and the monthly hydro table from CAISO's daily
fuel mix (2018-04 to 2025-08). The verdicts (in sample, month-blocked out of sample,
arbitrage, 2023, published shares, day-ahead, AS) are ``vppsim calibrate --part market``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from vppsim.calibration_file import write_or_check
from vppsim.market.calibration import fitted_text
from vppsim.report import reference_dir

OUTPUT = Path(__file__).resolve().parents[1] / "src" / "vppsim" / "market" / "calibrated.json"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="compare with the shipped file")
    parser.add_argument("--reference", type=Path, default=None, help="../shared/reference")
    args = parser.parse_args()
    start = time.perf_counter()
    text = fitted_text(reference_dir(args.reference))
    print(f"fit in {time.perf_counter() - start:.2f} s")
    same = write_or_check(OUTPUT, text, args.check)
    if args.check:
        return 0 if same else 1
    print("the verdicts: vppsim calibrate --part market")
    return 0


if __name__ == "__main__":
    sys.exit(main())
