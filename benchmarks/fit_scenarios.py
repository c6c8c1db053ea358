"""Print the real magnitudes the named scenarios reproduce (issue 14).

    python benchmarks/fit_scenarios.py [--reference ../shared/reference]

One table per scenario (heat-wave, peak-demand, gas-crisis, high-volatility, low-solar):
every figure with its unit and the reference file it comes from, from
:func:`vppsim.scenario.sourced.scenario_tables`. Deterministic; nothing is written.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

from vppsim.scenario.sourced import load_reference, scenario_tables

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT.parent / "shared" / "reference"


def _value(value: object) -> str:
    # MW and $ figures whole, shares and ratios to three significant decimals.
    if isinstance(value, float):
        return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.3f}"
    return str(value)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reference", type=Path, default=REFERENCE)
    args = parser.parse_args()
    tables = scenario_tables(load_reference(args.reference))
    with pd.option_context("display.width", 250, "display.max_colwidth", 80):
        for name, table in tables.items():
            shown = table.assign(value=table["value"].map(_value))
            print(f"\n{name}\n{shown.to_string(index=False)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
