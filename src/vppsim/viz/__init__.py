"""Charts and the dashboard over a written dataset.

Kept free of imports so that a build can name the derived outputs it redraws without
loading matplotlib unless there are charts to redraw.
"""

from pathlib import Path

PLOTS_FOLDER = "plots"
"""Where ``vppsim plots`` puts the PNGs inside a dataset (a rebuild draws them anew)."""


def redraw_plots(root: Path) -> list[Path]:
    """Draw the analysis charts of the dataset at ``root`` into its ``plots/`` folder."""
    from vppsim.viz.plots import write_plots

    return write_plots(root)


DERIVED_OUTPUTS = {PLOTS_FOLDER: redraw_plots}
"""Folders a rebuild writes anew from the new data when the previous dataset had them."""
