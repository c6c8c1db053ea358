"""Fit the system model's tables on ../shared/reference/market and write calibrated.json.

    python benchmarks/fit_system.py            # fit, write, print the calibration report
    python benchmarks/fit_system.py --check    # fit and fail if the shipped file differs
    python benchmarks/fit_system.py --report-only --seeds 5

The fit is deterministic (its only random draws are the synthetic climatology, from a fixed
seed): re-running it writes the same file. The report is
:func:`vppsim.system.calibration.system_calibration_tables`: synthetic (default weather, a few
seeds) next to the real 2022 and 2023 drivers, and the time one year of 15-min system takes.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

from vppsim.calibration_file import dumps_calibration, write_or_check
from vppsim.system.calibration import system_calibration_tables
from vppsim.system.fit import fit_calibration

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT.parent / "shared" / "reference"
OUTPUT = ROOT / "src" / "vppsim" / "system" / "calibrated.json"


def _number(value: float) -> str:
    # MW figures whole; ratios (synthetic/real) to two decimals.
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.2f}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="compare with the shipped file")
    parser.add_argument("--report-only", action="store_true", help="do not fit or write")
    parser.add_argument("--seeds", type=int, default=3, help="simulated years per real year")
    parser.add_argument("--reference", type=Path, default=REFERENCE)
    args = parser.parse_args()
    if not args.report_only:
        text = dumps_calibration(fit_calibration(args.reference))
        same = write_or_check(OUTPUT, text, args.check)
        if args.check:
            return 0 if same else 1
    tables = system_calibration_tables(args.reference, seeds=args.seeds)
    with pd.option_context(
        "display.width", 250, "display.max_columns", 50, "display.float_format", _number
    ):
        for title, table in tables.items():
            print(f"\n{title}\n{table.to_string()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
