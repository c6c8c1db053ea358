import json
import shutil

import pandas as pd
import pytest
from typer.testing import CliRunner

from vppsim.cli import app
from vppsim.dataset.validate import validate_directory as validate_with
from vppsim.registry import default_registry

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
