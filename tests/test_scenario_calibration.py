"""The presets' knobs are fitted on the real events, and the report sets them side by side."""

from __future__ import annotations

import pytest

from vppsim.scenario.calibration import fit_presets, scenario_calibration_tables

from .conftest import REFERENCE

pytestmark = pytest.mark.reference


def test_every_shipped_knob_is_its_fit_on_the_real_event():
    fits = fit_presets(REFERENCE)
    assert set(fits["scenario"]) == {
        "heat-wave",
        "peak-demand",
        "low-solar",
        "high-volatility",
        "gas-crisis",
    }
    for row in fits.itertuples():
        assert row.preset == pytest.approx(row.fitted, rel=0.02), row.knob
    heat = fits.set_index("scenario").loc["heat-wave"]
    assert heat["target"] == pytest.approx(1.246, abs=0.001)  # EIA-930, Sep 2022 over its weeks
    assert 5.0 < heat["fitted"] < 12.0  # degC: a heat dome, not a new climate


def test_the_report_meets_the_fitted_figures_and_shows_the_price_response():
    tables = {
        title.split(":")[0]: frame.set_index("figure")
        for title, frame in scenario_calibration_tables(REFERENCE).items()
    }
    heat = tables["heat-wave"]
    ratio = heat.loc["daily peak demand, event over without"]
    assert ratio["vppsim"] == pytest.approx(ratio["real"], abs=0.01)
    spikes = heat.loc["real-time LMP above $250 in the event"]
    assert spikes["vppsim"] > 3 * spikes["vppsim base"]  # the prices follow the demand
    peak = tables["peak-demand"].loc["annual peak demand"]
    assert peak["vppsim"] == pytest.approx(peak["real"], rel=0.05)
    sun = tables["low-solar"].loc["site sun (GHI), three days over the p90 day"]
    assert sun["vppsim"] == pytest.approx(sun["real"], abs=0.02)
    gas = tables["gas-crisis"]
    assert gas.loc["gas price", "vppsim"] == pytest.approx(27.68, abs=0.01)
    assert gas.loc["real-time LMP above $250", "vppsim"] > 20.0  # real Dec 2022: 42 %
