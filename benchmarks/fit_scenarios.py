"""Print the real magnitudes the named scenarios reproduce (issue 14), and the presets' knobs
fitted on them.

    python benchmarks/fit_scenarios.py [--reference ../shared/reference] [--check]

One table per scenario (heat-wave, peak-demand, gas-crisis, high-volatility, low-solar):
every figure with its unit and the reference file it comes from, from
:func:`vppsim.scenario.sourced.scenario_tables`; then each preset's knob as fitted
(:func:`vppsim.scenario.calibration.fit_presets`) beside its shipped value. ``--check`` exits
1 when a shipped value is off its fit by more than the rounding it is shipped with.
Deterministic; nothing is written.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

from vppsim.scenario.calibration import fit_presets
from vppsim.scenario.sourced import load_reference, scenario_tables

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT.parent / "shared" / "reference"
PRESET_ROUNDING = 0.02
"""A shipped knob may be this far off its fit, relative [1] (shipped to 2-3 figures)."""


def _value(value: object) -> str:
    # MW and $ figures whole, shares and ratios to three significant decimals.
    if isinstance(value, float):
        return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.3f}"
    return str(value)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reference", type=Path, default=REFERENCE)
    parser.add_argument("--check", action="store_true", help="Fail if a preset is off its fit.")
    args = parser.parse_args()
    tables = scenario_tables(load_reference(args.reference))
    with pd.option_context("display.width", 250, "display.max_colwidth", 80):
        for name, table in tables.items():
            shown = table.assign(value=table["value"].map(_value))
            print(f"\n{name}\n{shown.to_string(index=False)}")
        fits = fit_presets(args.reference)
        print(f"\nthe presets' knobs fitted on the real events\n{fits.to_string(index=False)}")
    off = fits[(fits["fitted"] - fits["preset"]).abs() > PRESET_ROUNDING * fits["fitted"].abs()]
    if args.check and not off.empty:
        print(f"\npresets off their fit: {', '.join(off['knob'])}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
