import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from vppsim.dataset import writer
from vppsim.dataset.build import build_dataset
from vppsim.dataset.sources import SourceKind
from vppsim.errors import ConfigError, MissingSources, SourceUnavailable, ValidationFailed

from .sources import (
    GappyMarket,
    TestWeather,
    UnreachableMarket,
    home_load,
    manifest_of,
    test_registry,
)

ROOT = Path(__file__).resolve().parents[1]


def digests(folder: Path) -> dict[str, str]:
    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def test_layout_columns_and_timestamps(built):
    assert (built / "datapackage.json").is_file()
    heads = {
        "market_data.csv": "timestamp,lmp,da_lmp,spin_price,nonspin_price",
        "solar_data.csv": "timestamp,generation_kw_per_kw_installed",
        "weather.csv": "timestamp,temp_air_c,ghi_w_m2,dni_w_m2,dhi_w_m2,wind_speed_m_s",
        "load_profiles/profile_000.csv": "timestamp,load_kw",
    }
    for name, header in heads.items():
        lines = (built / name).read_text().splitlines()
        assert lines[0] == header
        assert lines[1].startswith("2023-08-01T07:00:00Z,")
        assert len(lines) == 1 + 2 * 96
    assert sorted(p.name for p in (built / "load_profiles").iterdir()) == [
        f"profile_{i:03d}.csv" for i in range(6)
    ]
    parts = sorted((built / "parquet" / "load").iterdir())
    assert [p.name for p in parts] == ["part-00000.parquet", "part-00001.parquet"]
    table = pq.read_table(parts[0])
    assert table.schema.names == ["home_id", "timestamp", "load_kw"]
    assert [str(f.type) for f in table.schema] == ["int32", "timestamp[us, tz=UTC]", "float"]
    assert table.schema.field("load_kw").metadata[b"unit"] == b"kW"
    assert pq.ParquetFile(parts[0]).metadata.row_group(0).column(2).compression == "ZSTD"
    for name in ("market", "solar", "weather"):
        assert (built / "parquet" / f"{name}.parquet").is_file()


def test_manifest_records_files_provenance_and_config(built):
    manifest = json.loads((built / "datapackage.json").read_text())
    assert manifest["profile"] == "data-package"
    meta = manifest["vppsim"]
    assert meta["seed"] == 42 and meta["config"]["homes"] == 6
    assert meta["grid"]["intervals"] == 192
    assert {"numpy", "pandas", "pyarrow", "pvlib"} <= set(meta["libraries"])
    weather = manifest["provenance"]["weather"]
    assert weather["kind"] == "synthetic"
    assert weather["fallback_reason"] is None  # no live source to fall back from
    by_name = {r["name"]: r for r in manifest["resources"]}
    market = by_name["market"]
    assert market["path"] == "market_data.csv" and market["rows"] == 192
    assert market["sha256"] == hashlib.sha256((built / "market_data.csv").read_bytes()).hexdigest()
    assert [f["name"] for f in market["schema"]["fields"]][:2] == ["timestamp", "lmp"]
    assert market["schema"]["primaryKey"] == ["timestamp"]
    profiles = [r for r in manifest["resources"] if r["name"].startswith("load_profile_")]
    assert len(profiles) == 6 and {r["rows"] for r in profiles} == {192}
    # A home's CSV holds no home_id, so its key is the timestamp alone.
    assert {tuple(r["schema"]["primaryKey"]) for r in profiles} == {("timestamp",)}
    parts = [r for r in manifest["resources"] if r["name"].startswith("load_part_")]
    assert sum(r["rows"] for r in parts) == 6 * 192
    assert parts[0]["schema"]["primaryKey"] == ["home_id", "timestamp"]


def test_same_settings_give_byte_identical_files(small_settings, tmp_path):
    first = build_dataset(small_settings(out=tmp_path / "a"), test_registry()).path
    before = digests(first)
    build_dataset(small_settings(out=tmp_path / "a"), test_registry())
    assert digests(first) == before
    assert (
        digests(build_dataset(small_settings(out=tmp_path / "b"), test_registry()).path) == before
    )
    other_seed = digests(
        build_dataset(small_settings(out=tmp_path / "c", seed=7), test_registry()).path
    )
    assert other_seed["market_data.csv"] != before["market_data.csv"]


def test_a_home_does_not_depend_on_fleet_size_or_chunking(small_settings, tmp_path):
    small = build_dataset(
        small_settings(out=tmp_path / "s", homes=3, chunk_homes=1), test_registry()
    )
    large = build_dataset(
        small_settings(out=tmp_path / "l", homes=20, chunk_homes=7), test_registry()
    )
    assert (small.path / "load_profiles/profile_002.csv").read_bytes() == (
        large.path / "load_profiles/profile_002.csv"
    ).read_bytes()
    frame = pd.read_parquet(large.path / "parquet" / "load")
    temp = pd.read_csv(large.path / "weather.csv")["temp_air_c"].to_numpy()
    home17 = frame.loc[frame["home_id"] == 17, "load_kw"].to_numpy()
    np.testing.assert_allclose(home17, home_load(42, 17, temp), rtol=1e-6)


def test_csvs_stop_above_the_limit(small_settings):
    result = build_dataset(small_settings(homes=5, csv_homes_limit=4), test_registry())
    assert not (result.path / "load_profiles").exists()
    assert len(pd.read_parquet(result.path / "parquet" / "load")) == 5 * 192


def test_parquet_only_and_csv_only(small_settings, tmp_path):
    pq_only = build_dataset(small_settings(out=tmp_path / "p", formats="parquet"), test_registry())
    assert (
        not list(pq_only.path.glob("*.csv")) and (pq_only.path / "parquet/market.parquet").is_file()
    )
    csv_only = build_dataset(small_settings(out=tmp_path / "c", formats="csv"), test_registry())
    assert (
        not (csv_only.path / "parquet").exists() and (csv_only.path / "market_data.csv").is_file()
    )
    assert csv_only.report.ok and pq_only.report.ok


def test_missing_sources_are_named_and_nothing_is_written(small_settings):
    settings = small_settings()
    from .sources import registry_of

    with pytest.raises(
        MissingSources,
        match=r"load \(live/synthetic\), solar \(live/synthetic\), system \(live/synthetic\), "
        r"assets \(live/synthetic\), market \(live/synthetic\), pv \(live/synthetic\)",
    ):
        build_dataset(settings, registry_of(TestWeather))
    assert not Path(settings.out).exists()
    assert not list(Path(settings.out).parent.glob(".data.partial-*"))


def test_auto_falls_back_and_records_why(small_settings):
    result = build_dataset(small_settings(), test_registry(UnreachableMarket))
    market = manifest_of(result)["provenance"]["market"]
    assert market["kind"] == SourceKind.SYNTHETIC
    assert market["requested"] == "auto"
    assert "timeout" in market["fallback_reason"]
    assert "market" in result.fallbacks


def test_live_data_with_a_gap_is_never_passed_on(small_settings):
    result = build_dataset(small_settings(), test_registry(GappyMarket))
    reason = manifest_of(result)["provenance"]["market"]["fallback_reason"]
    assert (
        "96 intervals, expected 192" in reason
        and "missing interval(s) 2023-08-01T07:00:00Z" in reason
    )
    with pytest.raises(SourceUnavailable, match="expected 192"):
        build_dataset(small_settings(market_source="live"), test_registry(GappyMarket))


def test_live_mode_fails_instead_of_falling_back(small_settings):
    with pytest.raises(SourceUnavailable, match=r"^market \(source=live\): .*timeout"):
        build_dataset(small_settings(market_source="live"), test_registry(UnreachableMarket))


def test_failed_build_keeps_the_previous_dataset(built, small_settings, monkeypatch):
    before = digests(built)
    fetch = TestWeather.fetch

    def broken(self, settings, grid, inputs, context):
        result = fetch(self, settings, grid, inputs, context)
        result.data.loc[5, "temp_air_c"] = np.nan
        return result

    monkeypatch.setattr(TestWeather, "fetch", broken)
    with pytest.raises(ValidationFailed, match="temp_air_c"):
        build_dataset(small_settings(), test_registry())
    assert digests(built) == before
    assert not list(built.parent.glob(".data.partial-*"))


def test_refuses_to_replace_a_folder_that_is_not_a_dataset(small_settings, tmp_path):
    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "notes.txt").write_text("keep me")
    with pytest.raises(ConfigError, match="refusing to replace"):
        build_dataset(small_settings(out=precious), test_registry())
    assert (precious / "notes.txt").read_text() == "keep me"


@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGTERM])
def test_killed_build_leaves_the_previous_dataset_untouched(built, tmp_path, how):
    before = digests(built)
    marker = tmp_path / "marker"
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.slow_build", str(built), str(marker)], cwd=ROOT
    )
    try:
        deadline = time.monotonic() + 60
        while not marker.exists():
            assert process.poll() is None, "the slow build ended before it could be killed"
            assert time.monotonic() < deadline
            time.sleep(0.05)
        staging = list(built.parent.glob(".data.partial-*"))
        assert staging and list(staging[0].rglob("part-00000.parquet"))  # really part-way
        os.kill(process.pid, how)
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert digests(built) == before
    left = list(built.parent.glob(".data.partial-*"))
    if how == signal.SIGKILL:
        # A killed process cannot clean up; the next build removes its folder.
        assert left
        from vppsim.dataset.atomic import remove_stale_staging

        assert remove_stale_staging(built) == left
    assert not list(built.parent.glob(".data.partial-*"))


@pytest.mark.parametrize(("day", "intervals"), [("2023-03-12", 92), ("2023-11-05", 100)])
def test_dst_days_build_and_validate(small_settings, tmp_path, day, intervals):
    result = build_dataset(small_settings(start=day, end=day, homes=2), test_registry())
    assert result.report.ok
    assert manifest_of(result)["vppsim"]["grid"]["intervals"] == intervals
    for name in ("market_data.csv", "weather.csv", "load_profiles/profile_001.csv"):
        assert len((result.path / name).read_text().splitlines()) == 1 + intervals


def test_home_attributes_are_one_table_streamed_by_chunk(small_settings, monkeypatch):
    # Chunks of 4 homes are held until ROWS_PER_GROUP rows, then written as one row group.
    monkeypatch.setattr(writer, "ROWS_PER_GROUP", 3)
    settings = small_settings()
    build_dataset(settings, test_registry())
    built = Path(settings.out)
    homes = pq.read_table(built / "parquet" / "homes.parquet")
    assert homes.column_names == ["home_id", "baseload_kw", "climate"]
    assert homes.column("home_id").to_pylist() == list(range(6))
    groups = pq.ParquetFile(built / "parquet" / "homes.parquet").metadata
    assert [groups.row_group(i).num_rows for i in range(groups.num_row_groups)] == [4, 2]
    manifest = json.loads((built / "datapackage.json").read_text())
    entry = next(r for r in manifest["resources"] if r["name"] == "homes")
    assert entry["role"] == "attributes" and entry["rows"] == 6
    assert [f["type"] for f in entry["schema"]["fields"]] == ["integer", "number", "string"]


def test_a_writer_whose_staging_folder_is_gone_does_not_make_it_again(tmp_path):
    # A task still running on a remote cluster after its build stopped must not bring the
    # removed staging folder back.
    staging = tmp_path / ".data.partial"
    staging.mkdir()
    files = writer.DatasetWriter(staging, None, pd.DatetimeIndex([], tz="UTC"))
    files.write_documents("load", {"docs/about.json": {"a": 1}})
    assert (staging / "docs" / "about.json").is_file()
    staging.joinpath("docs", "about.json").unlink()
    staging.joinpath("docs").rmdir()
    staging.rmdir()
    with pytest.raises(FileNotFoundError):
        files.write_documents("load", {"docs/about.json": {"a": 1}})
    assert not staging.exists()
