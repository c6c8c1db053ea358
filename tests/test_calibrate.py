"""The calibration report runs on the shared references and puts real and synthetic side by
side, in tables that stay readable at 80 columns and when piped."""

import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from rich.console import Console
from typer.testing import CliRunner

from vppsim import report
from vppsim.calibrate import PVWATTS_LA_AUGUST_KWH_PER_KW, calibration_tables
from vppsim.cli import app
from vppsim.errors import ConfigError
from vppsim.report import MISSING_NOTE, format_cell, frame_tables, reference_dir

from .conftest import REFERENCE, ROOT_TESTS


@pytest.fixture(scope="module")
def tables(tmp_path_factory):
    return calibration_tables(REFERENCE, years=3, seed=7, workdir=tmp_path_factory.mktemp("sam"))


@pytest.mark.reference
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


@pytest.mark.reference
def test_clear_sky_index_and_peak_hour_are_side_by_side(tables):
    sky = tables["Daily clear-sky index by month (TMY: Santa Ana + Long Beach)"]
    assert list(sky.index) == list(range(1, 13))
    # Three simulated years resolve a month's mean to about +-0.1; the tight check (ten
    # years, 0.05) is in test_weather_synthetic.py.
    assert (sky["mean TMY"] - sky["mean syn"]).abs().max() < 0.1
    assert sky.loc[8, "clear days syn"] > 0.6  # August in LA is mostly clear
    peaks = tables["Hour of the daily peak output [local clock time, h]"]
    assert 12.5 < peaks.loc[8, "mean syn"] < 13.5 and 12.5 < peaks.loc[8, "mean TMY"] < 13.5


def drawn(title: str, frame: pd.DataFrame, width: int = 80) -> str:
    console = Console(file=io.StringIO(), width=width, color_system=None)
    for table in frame_tables(title, frame, console.width):
        console.print(table)
    return console.file.getvalue()


def test_a_wide_table_folds_into_tables_that_fit_with_every_number_whole():
    rng = np.random.default_rng(3)
    columns = [f"{name} {side}" for name in ("p10", "median", "p90", "evening peak/median",
                                             "episodes >$250", "acf 96", "midday/overnight")
               for side in ("real", "syn")]  # fmt: skip
    frame = pd.DataFrame(rng.uniform(-2000, 2000, (12, len(columns))), columns=columns)
    frame.index = pd.Index(range(1, 13), name="month")
    frame.iloc[1, 3] = np.nan
    text = drawn("Wide", frame)
    lines = text.splitlines()
    assert max(len(line) for line in lines) <= 80 and "…" not in text
    cells = {cell.strip() for line in lines for cell in line.split("│")}
    for value in frame.to_numpy().ravel():
        assert format_cell(value) in cells  # whole, in one cell, never cut or folded
    for column in columns:  # every header word whole somewhere in a header row
        assert all(word in text for word in column.split())
    assert text.count("(continued)") >= 2 and MISSING_NOTE in text
    assert lines[0].startswith("Wide")


def test_multiindex_rows_are_text_and_years_have_no_separator():
    index = pd.MultiIndex.from_tuples(
        [("spin_price", "Mar-May", "night 0-5"), ("regup_price", "Jun-Oct", "evening 16-21")],
        names=["product", "season", "hours"],
    )
    text = drawn("AS", pd.DataFrame({"median": [2.004, 12.8], "max": [161.04, 1234.5]}, index))
    assert "('" not in text and "spin_price" in text and "evening 16-21" in text
    assert "product" in text and "season" in text and "1,234.5" in text and "161.0" in text
    years = pd.DataFrame({"level": [0.45, 1.0]}, index=pd.Index([2019, 2022], name="year"))
    assert "2019" in drawn("Levels", years) and "2,019" not in drawn("Levels", years)


def test_cells():
    assert [format_cell(v) for v in (np.nan, None, pd.NA, 0.0123, -1.5, 1557.84, 12, "n/a")] == [
        "-", "-", "-", "0.012", "-1.500", "1,557.8", "12", "n/a"
    ]  # fmt: skip


def test_a_missing_figure_is_a_dash_with_the_reason_given():
    frame = pd.DataFrame({"episode length real": [1.0, np.nan]}, index=[1, 2])
    frame.attrs["missing"] = "-: no episode above $250 that month, so no episode length"
    text = drawn("Episodes", frame)
    cells = [[cell.strip() for cell in line.split("│")[1:-1]] for line in text.splitlines()]
    assert ["2", "-"] in cells and "nan" not in text
    words = " ".join(text.split())  # the caption wraps at the table's width
    assert "-: no episode above $250 that month, so no episode length" in words


def fake_project(tmp_path, monkeypatch, reference=None) -> Path:
    """As far as vppsim knows, it runs from tmp_path/project/repo, next to
    tmp_path/project/shared/reference (a link to ``reference`` when given); the working
    directory is tmp_path/work, where ../shared/reference does not exist."""
    folder = tmp_path / "project" / "shared" / "reference"
    folder.parent.mkdir(parents=True)
    if reference is None:
        folder.mkdir()
    else:
        folder.symlink_to(reference)
    monkeypatch.setattr(report, "project_root", lambda: tmp_path / "project" / "repo")
    (tmp_path / "work").mkdir()
    monkeypatch.chdir(tmp_path / "work")
    return folder


def test_the_reference_folder_is_found_from_the_project_not_the_working_directory(
    tmp_path, monkeypatch
):
    assert report.project_root() == ROOT_TESTS.parent  # the checkout the tests run from
    folder = fake_project(tmp_path, monkeypatch)
    assert reference_dir() == folder
    monkeypatch.setenv("VPPSIM_REFERENCE", str(tmp_path))
    assert reference_dir() == tmp_path
    assert reference_dir(folder) == folder  # an explicit folder wins over the variable
    monkeypatch.setenv("VPPSIM_REFERENCE", str(tmp_path / "nowhere"))
    with pytest.raises(ConfigError, match=r"reference folder not found: .*nowhere"):
        reference_dir()


def test_cli_names_missing_references_and_bad_parts(tmp_path):
    runner = CliRunner()
    result = runner.invoke(app, ["calibrate", "--part", "solar", "--reference", str(tmp_path)])
    assert result.exit_code == 2
    assert result.stderr.startswith("error: missing reference file: ")
    assert "tmy3_722977_santa_ana_ca.csv.gz" in result.stderr
    result = runner.invoke(app, ["calibrate", "--part", "prices", "--years", "0"])
    assert result.exit_code == 2
    assert (
        "part='prices': use solar, system, market, load, forecasts, scenarios or all; years=0"
        in result.stderr
    )
    for args, env in (
        (["--reference", str(tmp_path / "nowhere")], {}),
        ([], {"VPPSIM_REFERENCE": str(tmp_path / "nowhere")}),
    ):
        result = runner.invoke(app, ["calibrate", *args], env=env)
        assert result.exit_code == 2
        assert result.stderr == (
            f"error: reference folder not found: {tmp_path / 'nowhere'} "
            "(pass --reference or set VPPSIM_REFERENCE)\n"
        )


@pytest.mark.reference
def test_cli_prints_the_market_report_readably_at_80_columns_from_anywhere(tmp_path, monkeypatch):
    # No --reference, run from elsewhere: the project's ../shared/reference is found.
    fake_project(tmp_path, monkeypatch, REFERENCE)
    result = CliRunner().invoke(
        app, ["calibrate", "--part", "market", "--years", "1"], env={"COLUMNS": "80"}
    )
    assert result.exit_code == 0, result.output
    text = result.stdout
    assert "median" in text.lower() and "…" not in text and "nan" not in text
    assert max(len(line) for line in text.splitlines()) <= 80
    assert "('" not in text
    for title in (
        "2022 in sample (real 2022 drivers): months passing the",
        "2022 in sample: share of scarcity intervals by season and tightness",
        "2022 out of sample, month-blocked: months passing the",
        "perfect-foresight revenue",
        "Published CAISO FMM DLAP shares",
        "Day-ahead TH_SP15, 2024-2025",
        "Day-ahead ancillary services, annual means",
        "The default study, Aug 2023",
    ):
        assert title in " ".join(text.split()), title


def test_a_terminal_narrower_than_a_word_folds_it_rather_than_cutting_it():
    frame = pd.DataFrame({"x": [123456789.5]}, index=pd.Index(["a-rather-long-label"]))
    text = drawn("Narrow", frame, width=20)
    assert max(len(line) for line in text.splitlines()) <= 20 and "…" not in text
    rows = [line.split("│") for line in text.splitlines() if line.startswith("│")]
    assert "".join(row[2].strip() for row in rows) == "123,456,789.5"  # folded, all digits
