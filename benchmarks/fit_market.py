"""Fit the synthetic price model on real CAISO prices and write calibrated.json.

    python benchmarks/fit_market.py                # fit, write, print the calibration report
    python benchmarks/fit_market.py --check        # fit and fail if the shipped file differs
    python benchmarks/fit_market.py --report-only --years 5 --seed 1

The fit is deterministic: re-running it writes the same file. Data: the real 2022 FMM prices
at ALAMT3G_7_B1 in ``../shared/reference/market`` and the default synthetic weather (for the
typical daily-max temperature anomaly). The report (:mod:`vppsim.market.calibration`)
prints, month by month, the real figures next to the synthetic ones.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

from vppsim.calibration_file import dumps_calibration
from vppsim.market.calibration import ALAMITOS_FILE, market_calibration_tables, read_fmm_csv
from vppsim.market.fit import fit_calibration, typical_weather

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT.parent / "shared" / "reference"
OUTPUT = ROOT / "src" / "vppsim" / "market" / "calibrated.json"
TIMEZONE = "America/Los_Angeles"


def fitted_text(reference: Path = REFERENCE) -> str:
    """The calibrated.json text fitted on the shared references."""
    prices = read_fmm_csv(reference / "market" / ALAMITOS_FILE)
    source = {
        "file": ALAMITOS_FILE,
        "node": "ALAMT3G_7_B1",
        "market": "CAISO FMM (RTPD) 15-min LMP",
        "period": "2022 (Pacific time)",
    }
    return dumps_calibration(fit_calibration(prices, TIMEZONE, typical_weather(), source))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="compare with the shipped file")
    parser.add_argument("--report-only", action="store_true", help="do not fit or write")
    parser.add_argument("--years", type=int, default=5, help="simulated years in the report")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    if not args.report_only:
        text = fitted_text()
        if args.check:
            same = OUTPUT.read_text("utf-8") == text
            print("calibrated.json is up to date" if same else "calibrated.json differs")
            return 0 if same else 1
        OUTPUT.write_text(text, "utf-8")
        print(f"wrote {OUTPUT} ({len(text.encode()) / 1024:.1f} kB)")
    tables = market_calibration_tables(REFERENCE, years=args.years, seed=args.seed)
    with pd.option_context(
        "display.width", 250, "display.max_columns", 50, "display.float_format", "{:.3g}".format
    ):
        for title, table in tables.items():
            print(f"\n{title}\n{table.to_string()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
