"""The build-time rollups: per home and local day, per home filter and interval; the same
figures as a scan of the written parts, validated, and absent where they cannot hold."""

from datetime import date
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from vppsim.dataset.build import build_dataset
from vppsim.dataset.manifest import read_manifest
from vppsim.dataset.rollups import (
    FLEET_PATH,
    HOME_DAYS_PATH,
    HOME_FILTERS,
    ROLLUP_ROLE,
    Calendar,
    FleetSums,
    filter_masks,
    rollup_chunk,
)
from vppsim.dataset.validate import _rollup_failures, study_of_manifest, validate_directory
from vppsim.grid import build_grid
from vppsim.registry import default_registry

SYNTHETIC = {f"{name}.source": "synthetic" for name in default_registry().names}


@pytest.fixture(scope="module")
def fleet(rolled_up):
    """23 homes in parts of 5 over three days, load, assets and PV (see conftest)."""
    return rolled_up


def _scan(root: Path, sql: str) -> pd.DataFrame:
    with duckdb.connect() as con:
        con.execute("SET TimeZone = 'America/Los_Angeles'")
        load = f"read_parquet('{root.as_posix()}/parquet/load/*.parquet')"
        pv = f"read_parquet('{root.as_posix()}/parquet/pv/*.parquet')"
        homes = f"read_parquet('{root.as_posix()}/parquet/homes.parquet')"
        return con.execute(sql.format(load=load, pv=pv, homes=homes)).df()


def test_the_homes_days_are_those_of_a_scan_of_the_parts(fleet):
    rolled = pq.read_table(fleet / HOME_DAYS_PATH).to_pandas()
    scanned = _scan(
        fleet,
        "SELECT l.home_id, CAST(l.timestamp AS DATE) AS day, sum(load_kw) * 0.25 AS energy_kwh, "
        "max(load_kw) AS peak_kw, sum(pv_kw) * 0.25 AS pv_kwh "
        "FROM {load} l JOIN {pv} p USING (home_id, timestamp) GROUP BY 1, 2 ORDER BY 1, 2",
    )
    assert len(rolled) == 23 * 3
    assert (rolled["home_id"].to_numpy() == scanned["home_id"].to_numpy()).all()
    assert (pd.to_datetime(rolled["day"]) == pd.to_datetime(scanned["day"])).all()
    assert (rolled["peak_kw"].to_numpy() == scanned["peak_kw"].to_numpy()).all()  # the same max
    for column in ("energy_kwh", "pv_kwh"):
        np.testing.assert_allclose(rolled[column], scanned[column], rtol=1e-12)
    assert rolled["pv_kwh"].gt(0).any()
    # Parts are held until a row group of ROWS_PER_GROUP rows: this small fleet is one.
    assert pq.ParquetFile(fleet / HOME_DAYS_PATH).metadata.num_row_groups == 1


@pytest.mark.parametrize("key", list(HOME_FILTERS))
def test_the_fleet_sums_of_each_filter_are_those_of_a_scan(fleet, key):
    rolled = pq.read_table(fleet / FLEET_PATH).to_pandas()
    rolled = rolled[rolled["filter"] == key].reset_index(drop=True)
    condition = HOME_FILTERS[key][1] or "TRUE"
    scanned = _scan(
        fleet,
        "SELECT timestamp, sum(load_kw) AS load_kw, sum(pv_kw) AS pv_kw, count(*) AS homes "
        "FROM {load} l JOIN {pv} p USING (home_id, timestamp) "
        f"WHERE home_id IN (SELECT home_id FROM {{homes}} WHERE {condition}) "
        "GROUP BY 1 ORDER BY 1",
    )
    assert len(rolled) == 3 * 96
    homes = _scan(fleet, f"SELECT count(*) AS n FROM {{homes}} WHERE {condition}")["n"][0]
    assert (rolled["homes"] == homes).all()
    if homes == 0:
        assert (rolled["load_kw"] == 0).all()
        return
    assert (rolled["timestamp"].to_numpy() == scanned["timestamp"].to_numpy()).all()
    np.testing.assert_allclose(rolled["load_kw"], scanned["load_kw"], rtol=1e-12)
    np.testing.assert_allclose(rolled["pv_kw"], scanned["pv_kw"], rtol=1e-12)


def test_the_filters_split_the_fleet_as_their_sql_does(fleet):
    homes = pq.read_table(fleet / "parquet/homes.parquet").to_pandas()
    masks = filter_masks(homes, len(homes))
    assert list(masks) == list(HOME_FILTERS)
    assert (masks["ac"] ^ masks["no_ac"]).all() and (masks["ev"] ^ masks["no_ev"]).all()
    assert 0 < masks["ac"].sum() < len(homes)
    for key, (_, condition) in HOME_FILTERS.items():
        ids = _scan(fleet, f"SELECT home_id FROM {{homes}} WHERE {condition or 'TRUE'}")
        assert set(np.flatnonzero(masks[key])) == set(ids["home_id"]), key
    # A missing attribute selects no home, as in a WHERE clause; without a homes table only
    # "all" can be told.
    homes = homes.astype({"has_ev": object})
    homes.loc[0, "has_ev"] = None
    assert not filter_masks(homes, len(homes))["ev"][0]
    assert list(filter_masks(None, 4)) == ["all"]


def test_rollups_are_in_the_manifest_and_validated(fleet):
    manifest = read_manifest(fleet)
    rollups = {r.path: r for r in manifest.resources if r.role == ROLLUP_ROLE}
    assert set(rollups) == {HOME_DAYS_PATH, FLEET_PATH}
    for resource in rollups.values():
        assert resource.dataset == "load"
        for field in resource.table_schema.fields:
            assert field.description, (resource.path, field.name)
    units = {f.name: f.unit for f in rollups[HOME_DAYS_PATH].table_schema.fields}
    assert units["energy_kwh"] == "kWh" and units["peak_kw"] == "kW"
    assert rollups[FLEET_PATH].table_schema.primary_key == ["filter", "timestamp"]
    specs = {name: default_registry().spec(name) for name in default_registry().names}
    report = validate_directory(fleet, specs)
    assert report.ok
    assert "rollups: complete and adding up to each other" in [c.name for c in report.checks]


def test_validation_finds_a_rollup_that_does_not_add_up(fleet, tmp_path):
    study = study_of_manifest(read_manifest(fleet))
    table = pq.read_table(fleet / HOME_DAYS_PATH)
    (tmp_path / "parquet/rollups").mkdir(parents=True)
    (tmp_path / FLEET_PATH).write_bytes((fleet / FLEET_PATH).read_bytes())
    frame = table.to_pandas()
    frame.loc[3, "energy_kwh"] += 1.0
    pq.write_table(
        pa.Table.from_pandas(frame.drop(index=[5]), schema=table.schema, preserve_index=False),
        tmp_path / HOME_DAYS_PATH,
    )
    paths = {HOME_DAYS_PATH: None, FLEET_PATH: None}
    failures = _rollup_failures(tmp_path, paths, study)
    assert any("expected 23 homes on 3 days" in f for f in failures), failures
    assert any("the load energy of the homes' days" in f for f in failures), failures
    assert _rollup_failures(fleet, paths, study) == []


def test_validation_finds_an_hvac_load_above_the_load(fleet, tmp_path):
    study = study_of_manifest(read_manifest(fleet))
    (tmp_path / "parquet/rollups").mkdir(parents=True)
    (tmp_path / HOME_DAYS_PATH).write_bytes((fleet / HOME_DAYS_PATH).read_bytes())
    paths = {HOME_DAYS_PATH: None, FLEET_PATH: None}
    table = pq.read_table(fleet / FLEET_PATH)
    frame = table.to_pandas()
    assert (frame["hvac_kw"] <= frame["load_kw"]).all() and frame["hvac_kw"].max() > 0
    frame.loc[frame["filter"] == "ac", "hvac_kw"] += frame["load_kw"]
    pq.write_table(
        pa.Table.from_pandas(frame, schema=table.schema, preserve_index=False),
        tmp_path / FLEET_PATH,
    )
    failures = _rollup_failures(tmp_path, paths, study)
    assert failures == [f"{FLEET_PATH}: filter ac has impossible homes or loads"]


def test_a_chunk_rolls_up_over_local_days_across_a_dst_change():
    # 2023-11-05 in Los Angeles has 25 hours (100 intervals at 15 min).
    grid = build_grid(date(2023, 11, 4), date(2023, 11, 5), "America/Los_Angeles", 15)
    calendar = Calendar.of(grid, "America/Los_Angeles", 15)
    assert list(np.diff([*calendar.starts, len(grid)])) == [96, 100]
    n = len(grid)
    load = np.stack([np.full(n, 1.0), np.arange(n) / 10.0]).astype(np.float32)
    pv = np.stack([np.zeros(n), np.ones(n)]).astype(np.float32)
    hvac = (0.5 * load).astype(np.float32)
    masks = {"all": np.array([True, True]), "ac": np.array([False, True])}
    chunk = rollup_chunk(
        np.array([7, 8], np.int32), load.ravel(), hvac.ravel(), pv.ravel(), masks, calendar
    )
    days = chunk.home_days.to_pandas()
    assert days["home_id"].tolist() == [7, 7, 8, 8]
    assert days["energy_kwh"].tolist() == [
        24.0,
        25.0,
        pytest.approx(load[1, :96].sum() / 4),
        pytest.approx(load[1, 96:].sum() / 4),
    ]
    assert days["peak_kw"].tolist() == [1.0, 1.0, load[1, 95], load[1, -1]]
    assert days["pv_kwh"].tolist() == [0.0, 0.0, 24.0, 25.0]
    assert chunk.filters == ("all", "ac") and chunk.homes.tolist() == [2, 1]
    np.testing.assert_array_equal(chunk.load_kw[1], load[1].astype(np.float64))
    np.testing.assert_array_equal(chunk.load_kw[0], 1.0 + load[1].astype(np.float64))
    # Chunks add up in order into the fleet's table, filter by filter.
    sums = FleetSums()
    sums.add(chunk)
    sums.add(chunk)
    table = sums.table(grid).to_pandas()
    assert table["filter"].tolist() == ["all"] * n + ["ac"] * n
    assert table["homes"].tolist() == [4] * n + [2] * n
    np.testing.assert_array_equal(table["pv_kw"][:n], 2.0)
    np.testing.assert_array_equal(table["hvac_kw"][n:], 2.0 * hvac[1].astype(np.float64))
    # A load without its AC part has no hvac_kw column.
    bare = FleetSums()
    bare.add(rollup_chunk(np.array([7, 8], np.int32), load.ravel(), None, None, masks, calendar))
    assert set(bare.table(grid).column_names) == {"filter", "timestamp", "homes", "load_kw"}


@pytest.mark.parametrize("interval", [30, 60])
def test_coarser_intervals_roll_up_what_they_wrote(small_settings, interval):
    settings = small_settings(
        **SYNTHETIC, homes=4, datasets=("load",), formats="parquet", interval_minutes=interval
    )
    build_dataset(settings, default_registry())
    root = Path(settings.out)
    rolled = pq.read_table(root / HOME_DAYS_PATH).to_pandas()
    scanned = _scan(
        root,
        f"SELECT home_id, sum(load_kw) * {interval / 60} AS energy_kwh, max(load_kw) AS peak_kw "
        "FROM {load} GROUP BY home_id, CAST(timestamp AS DATE) ORDER BY 1, CAST(timestamp AS DATE)",
    )
    np.testing.assert_allclose(rolled["energy_kwh"], scanned["energy_kwh"], rtol=1e-12)
    assert (rolled["peak_kw"].to_numpy() == scanned["peak_kw"].to_numpy()).all()
    assert "pv_kwh" not in rolled  # a study without PV
    fleet = pq.read_table(root / FLEET_PATH).to_pandas()
    assert len(fleet) == len(HOME_FILTERS) * 2 * 24 * 60 // interval


@pytest.mark.parametrize(("datasets", "formats"), [(("weather",), "parquet"), (("load",), "csv")])
def test_no_rollups_without_load_or_without_parquet(small_settings, datasets, formats):
    settings = small_settings(**SYNTHETIC, homes=3, datasets=datasets, formats=formats)
    build_dataset(settings, default_registry())
    manifest = read_manifest(Path(settings.out))
    assert not [r for r in manifest.resources if r.role == ROLLUP_ROLE]
    assert not (Path(settings.out) / "parquet/rollups").exists()


def test_a_filter_on_an_attribute_the_homes_lack_is_left_out():
    homes = pd.DataFrame({"home_id": np.arange(3, dtype=np.int32), "has_ev": [True, False, True]})
    masks = filter_masks(homes, 3)
    assert list(masks) == ["all", "ev", "no_ev"]
    assert masks["ev"].tolist() == [True, False, True]


def test_info_prints_the_fleet_from_the_rollups(fleet):
    from typer.testing import CliRunner

    from vppsim.cli import app

    load = _scan(
        fleet,
        "SELECT timestamp, sum(load_kw) AS kw FROM {load} GROUP BY 1 ORDER BY kw DESC",
    )
    result = CliRunner().invoke(app, ["info", str(fleet)], terminal_width=200)
    assert result.exit_code == 0, result.output
    (line,) = [line for line in result.output.splitlines() if line.startswith("fleet")]
    peak = load["timestamp"].iloc[0].tz_convert("America/Los_Angeles")
    assert f"23 homes: load peak {load['kw'].iloc[0]:,.0f} kW at {peak:%Y-%m-%d %H:%M}" in line
    per_home = load["kw"].sum() * 0.25 / 23 / 3
    assert f"({per_home:.1f} kWh per home per day); rooftop PV" in line
