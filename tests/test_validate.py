import dataclasses
import datetime as dt
import json
import shutil

import numpy as np
import pandas as pd
import pandera.errors
import pytest
from typer.testing import CliRunner

from vppsim.cli import app
from vppsim.dataset import validate
from vppsim.dataset.build import build_dataset
from vppsim.dataset.manifest import read_manifest
from vppsim.dataset.schemas import attribute_schema, long_schema, schema_failures
from vppsim.dataset.validate import validate_directory as validate_with
from vppsim.errors import ValidationFailed
from vppsim.grid import build_grid
from vppsim.registry import default_registry

from .sources import TestLoad, test_registry

runner = CliRunner()


def validate_directory(root):
    return validate_with(root, {d.name: d.spec for d in default_registry().datasets})


def edit_lines(path, edit):
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join(edit(lines)))


def delete_row(path):
    edit_lines(path, lambda lines: lines[:10] + lines[11:])


def duplicate_timestamp(path):
    def edit(lines):
        stamp = lines[10].split(",", 1)[0]
        lines[11] = stamp + "," + lines[11].split(",", 1)[1]
        return lines

    edit_lines(path, edit)


def put_nan(path):
    def edit(lines):
        fields = lines[20].rstrip("\n").split(",")
        fields[1] = "nan"
        lines[20] = ",".join(fields) + "\n"
        return lines

    edit_lines(path, edit)


def negative_load(path):
    def edit(lines):
        stamp = lines[30].split(",", 1)[0]
        lines[30] = f"{stamp},-1.5\n"
        return lines

    edit_lines(path, edit)


def edit_byte(path):
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))


def test_a_clean_build_passes(built):
    report = validate_directory(built)
    assert report.ok, report.failures
    names = [check.name for check in report.checks]
    for expected in (
        "files match manifest (sha256)",
        "one grid",
        "solar (csv): schema and grid",
        "market (csv): schema and grid",
        "load (parquet): schema and grid",
    ):
        assert expected in names


@pytest.mark.parametrize(
    ("path", "corrupt", "expected"),
    [
        (
            "market_data.csv",
            delete_row,
            [
                "market_data.csv: 191 intervals, expected 192",
                "missing interval(s) 2023-08-01T09:15:00Z",
            ],
        ),
        (
            "weather.csv",
            duplicate_timestamp,
            ["repeated interval(s) 2023-08-01T09:15:00Z", "fails field_uniqueness"],
        ),
        ("weather.csv", put_nan, ["column 'temp_air_c' fails not_nullable"]),
        (
            "load_profiles/profile_004.csv",
            negative_load,
            ["load_profiles/profile_004.csv: column 'load_kw' fails in_range", "-1.5"],
        ),
        (
            "parquet/load/part-00001.parquet",
            edit_byte,
            ["parquet/load/part-00001.parquet does not match its sha256"],
        ),
        ("solar_data.csv", edit_byte, ["solar_data.csv does not match its sha256"]),
    ],
)
def test_each_corruption_is_caught_and_named(built, tmp_path, path, corrupt, expected):
    copy = tmp_path / "copy"
    shutil.copytree(built, copy)
    corrupt(copy / path)
    report = validate_directory(copy)
    assert not report.ok
    text = "\n".join(report.failures)
    for fragment in expected:
        assert fragment in text
    assert f"{path} does not match its sha256" in text


def test_solar_at_night_is_caught(built, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(built, copy)
    frame = pd.read_csv(copy / "solar_data.csv")
    frame.loc[0, "generation_kw_per_kw_installed"] = 0.3  # 00:00 local
    frame.to_csv(copy / "solar_data.csv", index=False)
    text = "\n".join(validate_directory(copy).failures)
    assert "output while the sun is down at 2023-08-01T07:00:00Z" in text


def test_cli_lists_every_failure_at_once(built, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(built, copy)
    delete_row(copy / "market_data.csv")
    put_nan(copy / "weather.csv")
    negative_load(copy / "load_profiles/profile_001.csv")
    edit_lines(copy / "solar_data.csv", lambda lines: lines[:9])  # truncated
    result = runner.invoke(app, ["validate", str(copy)])
    assert result.exit_code == 1
    for fragment in (
        "market_data.csv: 191 intervals",
        "temp_air_c",
        "profile_001.csv",
        "solar_data.csv does not match its sha256",
        "solar_data.csv: 8 intervals",
    ):
        assert fragment in result.stderr, fragment
    assert "Traceback" not in result.output


def test_cli_passes_a_clean_dataset(built):
    result = runner.invoke(app, ["validate", str(built)])
    assert result.exit_code == 0, result.output
    assert "checks passed" in result.stdout


def test_unreadable_files_are_failures_not_crashes(built, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(built, copy)
    (copy / "parquet/weather.parquet").write_bytes(b"not parquet")
    (copy / "load_profiles/profile_003.csv").unlink()
    text = (copy / "market_data.csv").read_text()
    (copy / "market_data.csv").write_text(text[: len(text) // 2 - 7])  # cut mid-line
    text = "\n".join(validate_directory(copy).failures)
    assert "weather (parquet): schema and grid: could not read" in text
    assert "load_profiles/profile_003.csv is missing" in text
    assert "market (csv): schema and grid: could not read" in text


def test_missing_or_broken_manifest(built, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(built, copy)
    (copy / "datapackage.json").write_text("{")
    report = validate_directory(copy)
    assert not report.ok and "is not a vppsim manifest" in report.failures[0]
    manifest = json.loads((built / "datapackage.json").read_text())
    manifest["vppsim"]["grid"]["intervals"] = 100
    (copy / "datapackage.json").write_text(json.dumps(manifest))
    assert "manifest states 100 intervals" in "\n".join(validate_directory(copy).failures)


def test_a_dataset_the_manifest_promises_but_lacks_is_caught(built, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(built, copy)
    manifest = json.loads((copy / "datapackage.json").read_text())
    manifest["resources"] = [r for r in manifest["resources"] if r["dataset"] != "market"]
    (copy / "datapackage.json").write_text(json.dumps(manifest))
    assert (
        "all datasets present and known: no files for market" in validate_directory(copy).failures
    )


def test_a_broken_home_table_is_caught(built, tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    copy = tmp_path / "copy"
    shutil.copytree(built, copy)
    table = pq.read_table(copy / "parquet/homes.parquet").slice(0, 5)
    pq.write_table(
        table.set_column(1, "baseload_kw", pa.array([1.0, None, 1, 1, 1])),
        copy / "parquet/homes.parquet",
    )
    text = "\n".join(validate_directory(copy).failures)
    assert "parquet/homes.parquet: home_id is not 0..5, one row each" in text
    assert "missing values in baseload_kw" in text


@pytest.mark.parametrize("change", ["repeat", "swap"])
def test_a_part_with_a_repeated_or_misordered_row_is_caught(built, tmp_path, change):
    # Uniqueness per (home, timestamp) rests on the order check: a row repeated in place of
    # its neighbour, or two rows swapped, must fail it (and the grid check names the home).
    import pyarrow as pa
    import pyarrow.parquet as pq

    copy = tmp_path / "copy"
    shutil.copytree(built, copy)
    path = copy / "parquet/load/part-00001.parquet"
    frame = pq.read_table(path).to_pandas()
    rows = list(range(len(frame)))
    rows[11] = 10 if change == "repeat" else 12
    if change == "swap":
        rows[12] = 11
    home = int(frame["home_id"].iloc[10])
    pq.write_table(pa.Table.from_pandas(frame.iloc[rows], preserve_index=False), path)
    text = "\n".join(validate_directory(copy).failures)
    assert "parquet/load/part-00001.parquet: rows are not sorted by home, then strictly" in text
    if change == "repeat":
        assert f"home(s) {home} are not on the grid" in text


def _broken_load(result):
    """``result`` (the test load) with home 4 given a missing value and an interval 1 min off
    the grid, and home 5 a negative load: homes the source check (home 0) does not see."""

    def batch(home_ids):
        frame = result.data(home_ids).copy()
        rows = {home: np.flatnonzero(frame["home_id"].to_numpy() == home) for home in home_ids}
        if 4 in rows:
            frame.loc[rows[4][20], "load_kw"] = np.nan
            frame.loc[rows[4][40], "timestamp"] += pd.Timedelta(minutes=1)
        if 5 in rows:
            frame.loc[rows[5][30], "load_kw"] = -1.5
        return frame

    return dataclasses.replace(result, data=batch)


def test_a_bad_part_is_caught_by_the_worker_that_writes_it(small_settings, monkeypatch):
    # The worker checks the part it wrote in memory; the build reads no part back (Parquet
    # only: no per-home CSVs, which are read from disk, to catch the values instead).
    fetch = TestLoad.fetch
    monkeypatch.setattr(TestLoad, "fetch", lambda *args: _broken_load(fetch(*args)))
    monkeypatch.setattr(validate, "_part_slices", lambda *args: pytest.fail("part read back"))
    with pytest.raises(ValidationFailed) as failed:
        build_dataset(small_settings(formats="parquet"), test_registry())
    text = "\n".join(failed.value.failures)
    part = "parquet/load/part-00001.parquet"
    for fragment in (
        f"{part}: column 'load_kw' fails not_nullable",
        f"{part}: column 'load_kw' fails in_range",
        "(found -1.5)",
        f"{part}: home(s) 4 are not on the grid",
    ):
        assert fragment in text, fragment
    assert "part-00000" not in text


def test_a_part_is_checked_as_written_and_by_its_footer(built, tmp_path):
    # part_failures checks the table a worker wrote (what the file holds) and the file's
    # footer against it: a file that is not the table written is a failure.
    import pyarrow.parquet as pq

    registry = default_registry()
    path = "parquet/load/part-00001.parquet"
    table = pq.read_table(built / path)
    study = validate.study_of_manifest(read_manifest(built))
    spec = registry.spec("load")
    assert validate.part_failures(built, spec, path, table, study) == []
    short = table.slice(0, table.num_rows - 1)
    failures = validate.part_failures(built, spec, path, short, study)
    assert f"{path}: {table.num_rows} rows in the file, {short.num_rows} written" in failures
    assert f"{path}: home(s) 5 have 191 intervals, expected 192" in failures
    renamed = table.rename_columns(["load_w" if n == "load_kw" else n for n in table.column_names])
    failures = validate.part_failures(built, spec, path, renamed, study)
    assert f"{path}: the file's schema is not the one written" in failures


def _loads():
    """Two homes' valid long load rows over one day."""
    grid = build_grid(dt.date(2023, 8, 1), dt.date(2023, 8, 1), "America/Los_Angeles")
    n = len(grid)
    return pd.DataFrame(
        {
            "home_id": np.repeat(np.arange(2, dtype=np.int32), n),
            "timestamp": np.tile(grid, 2),
            "load_kw": np.full(2 * n, 1.5, dtype=np.float32),
            "hvac_kw": np.zeros(2 * n, dtype=np.float32),
        }
    )


def _set(column, row, value):
    def change(frame):
        frame.loc[row, column] = value
        return frame

    return change


@pytest.mark.parametrize(
    "breakage",
    [
        _set("load_kw", 3, -1.5),
        _set("load_kw", 3, 150.0),
        _set("load_kw", 3, np.nan),
        _set("hvac_kw", 3, -0.1),
        _set("home_id", 3, -1),
        _set("timestamp", 3, pd.NaT),
        lambda frame: frame.astype({"load_kw": "float64"}),
        lambda frame: frame.astype({"home_id": "int64"}),
        lambda frame: frame.astype({"load_kw": "object"}),
        lambda frame: frame.assign(timestamp=frame["timestamp"].dt.as_unit("us")),
        lambda frame: frame.assign(timestamp=frame["timestamp"].dt.tz_localize(None)),
        lambda frame: frame.drop(columns="load_kw"),
    ],
)
def test_numpy_passes_no_frame_pandera_fails(breakage):
    # schema_failures skips pandera when a numpy pass finds nothing wrong: that pass must
    # never let through what pandera would list.
    schema = long_schema(default_registry().spec("load"))
    assert schema_failures(schema, _loads(), "x") == []
    broken = breakage(_loads())
    with pytest.raises(pandera.errors.SchemaErrors):
        schema.validate(broken, lazy=True)
    assert schema_failures(schema, broken, "x")


def test_a_repeated_home_fails_the_numpy_pass_too():
    schema = attribute_schema([], "homes")
    assert (
        schema_failures(schema, pd.DataFrame({"home_id": np.arange(3, dtype=np.int32)}), "x") == []
    )
    homes = pd.DataFrame({"home_id": np.array([0, 1, 1], dtype=np.int32)})
    assert "column 'home_id' fails field_uniqueness" in schema_failures(schema, homes, "x")[0]
