"""Charts and the dashboard over a written dataset.

Kept free of heavy imports so that a build can name the derived outputs it redraws without
loading matplotlib unless there are charts to redraw.
"""

from pathlib import Path

from vppsim.dataset.atomic import DerivedOutput
from vppsim.fleet.dispatch_spec import DISPATCH_FOLDER, dispatch_files

PLOTS_FOLDER = "plots"
"""Where ``vppsim plots`` puts the PNGs inside a dataset (a rebuild draws them anew)."""

MARKET_PNG = "vpp_market_analysis.png"
SOLAR_PNG = "vpp_solar_analysis.png"
LOAD_PNG = "vpp_load_analysis.png"
INTEGRATED_PNG = "vpp_integrated_analysis.png"


def redraw_plots(root: Path) -> list[Path]:
    """Draw the analysis charts of the dataset at ``root`` into its ``plots/`` folder."""
    from vppsim.viz.plots import write_plots

    return write_plots(root)


DERIVED_OUTPUTS = {
    PLOTS_FOLDER: DerivedOutput(
        files=(MARKET_PNG, SOLAR_PNG, LOAD_PNG, INTEGRATED_PNG), write=redraw_plots
    ),
    DISPATCH_FOLDER: DerivedOutput(files=(), write=None, owned=dispatch_files),
}
"""Outputs vppsim derives into a dataset folder, counted (these files and no others in the
folder) as its own: a rebuild draws the charts anew from the new data and leaves out the
dispatch results of the old data (run ``vppsim dispatch`` again)."""
