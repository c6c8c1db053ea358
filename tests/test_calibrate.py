"""The calibration report runs on the shared references and puts real and synthetic side by side."""

import pytest
from typer.testing import CliRunner

from vppsim.calibrate import PVWATTS_LA_AUGUST_KWH_PER_KW, TMY_FILES, calibration_tables
from vppsim.cli import app

from .conftest import SHARED

REFERENCE = SHARED / "reference"
needs_reference = pytest.mark.skipif(
    not all((REFERENCE / "solar" / name).is_file() for name in TMY_FILES.values()),
    reason="needs ../shared/reference/solar",
)


@pytest.fixture(scope="module")
def tables(tmp_path_factory):
    return calibration_tables(REFERENCE, years=3, seed=7, workdir=tmp_path_factory.mktemp("sam"))


@needs_reference
def test_pv_energy_is_compared_with_every_reference(tables):
    pv = tables["PV energy of the reference roof system [kWh/kW]"]
    assert list(pv.index) == ["August", "year"]
    assert {"pvlib on Santa Ana TMY3", "PySAM on Long Beach TMY2"} <= set(pv.columns)
    low, high = PVWATTS_LA_AUGUST_KWH_PER_KW
    synthetic_august = pv.loc["August", "synthetic (3 y)"]
    assert low - 5 < synthetic_august < high + 5
    assert (
        abs(
            pv.loc["August", "pvlib on Santa Ana TMY3"]
            / pv.loc["August", "PySAM on Santa Ana TMY3"]
            - 1
        )
        < 0.02
    )


@needs_reference
def test_clear_sky_index_and_peak_hour_are_side_by_side(tables):
    sky = tables["Daily clear-sky index by month (TMY: Santa Ana + Long Beach)"]
    assert list(sky.index) == list(range(1, 13))
    # Three simulated years resolve a month's mean to about +-0.1; the tight check (ten
    # years, 0.05) is in test_weather_synthetic.py.
    assert (sky["mean TMY"] - sky["mean syn"]).abs().max() < 0.1
    assert sky.loc[8, "clear days syn"] > 0.6  # August in LA is mostly clear
    peaks = tables["Hour of the daily peak output [local clock time, h]"]
    assert 12.5 < peaks.loc[8, "mean syn"] < 13.5 and 12.5 < peaks.loc[8, "mean TMY"] < 13.5


def test_cli_names_missing_references_and_bad_parts(tmp_path):
    runner = CliRunner()
    result = runner.invoke(app, ["calibrate", "--part", "solar", "--reference", str(tmp_path)])
    assert result.exit_code == 2
    assert result.stderr.startswith("error: missing reference file: ")
    assert "tmy3_722977_santa_ana_ca.csv.gz" in result.stderr
    result = runner.invoke(app, ["calibrate", "--part", "prices", "--years", "0"])
    assert result.exit_code == 2
    assert "part='prices': use solar, market, load or all; years=0" in result.stderr


@needs_reference
def test_cli_prints_the_market_report(tmp_path):
    result = CliRunner().invoke(
        app, ["calibrate", "--part", "market", "--years", "1", "--reference", str(REFERENCE)]
    )
    assert result.exit_code == 0, result.output
    assert "median" in result.stdout.lower()
