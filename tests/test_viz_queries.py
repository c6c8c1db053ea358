"""The DuckDB queries behind the plots and the dashboard, checked against pandas on the files."""

from __future__ import annotations

import json
import shutil
from datetime import date

import numpy as np
import pandas as pd
import pytest

from vppsim.dataset.build import build_dataset
from vppsim.dataset.readers import read_parquet
from vppsim.errors import VppsimError
from vppsim.registry import default_registry
from vppsim.viz.queries import DatasetNotReadable, DatasetQueries, HomeSelection, diversity_sizes

TZ = "America/Los_Angeles"


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    """Three days and 10 homes of the real synthetic sources, Parquet and CSV."""
    from vppsim.config import load_settings

    out = tmp_path_factory.mktemp("viz") / "data"
    settings = load_settings(
        {"start": "2023-08-01", "end": "2023-08-03", "homes": 10, "chunk_homes": 4, "out": out},
        env_file=None,
    )
    build_dataset(settings, default_registry())
    return out


@pytest.fixture(scope="module")
def load(dataset):
    parts = sorted((dataset / "parquet" / "load").glob("*.parquet"))
    frame = pd.concat([read_parquet(p) for p in parts], ignore_index=True)
    frame["local"] = frame["timestamp"].dt.tz_convert(TZ)
    return frame


@pytest.fixture(scope="module")
def homes(dataset):
    return pd.read_parquet(dataset / "parquet" / "homes.parquet")


def test_period_and_datasets(dataset):
    q = DatasetQueries(dataset)
    assert q.datasets == [
        "market",
        "system",
        "solar",
        "weather",
        "load",
        "assets",
        "pv",
        "forecasts",
    ]
    assert (q.first_day, q.last_day) == (date(2023, 8, 1), date(2023, 8, 3))
    assert q.home_count() == 10


def test_table_aggregation_matches_pandas(dataset):
    q = DatasetQueries(dataset)
    market = read_parquet(dataset / "parquet" / "market.parquet")
    daily = q.table("market", aggregation="daily")
    local_day = market["timestamp"].dt.tz_convert(TZ).dt.date
    expected = market.groupby(local_day)["lmp"].mean().to_numpy()
    np.testing.assert_allclose(daily["lmp"], expected)
    # Buckets start at local midnight, given in UTC (PDT is UTC-7).
    assert daily["timestamp"].iloc[0] == pd.Timestamp("2023-08-01T07:00Z")
    hourly = q.table("market", date(2023, 8, 2), date(2023, 8, 2), "hourly")
    assert len(hourly) == 24
    assert hourly["timestamp"].iloc[0] == pd.Timestamp("2023-08-02T07:00Z")


def test_fleet_load_and_filters(dataset, load, homes):
    q = DatasetQueries(dataset)
    ac = homes.loc[homes["has_central_ac"] | homes["has_room_ac"], "home_id"]
    assert 0 < len(ac) < 10
    fleet = q.fleet_load(HomeSelection("ac"))
    expected = load[load["home_id"].isin(ac)].groupby("timestamp")["load_kw"].sum()
    np.testing.assert_allclose(fleet["load_kw"], expected.to_numpy(), rtol=1e-6)
    assert set(fleet["homes"]) == {len(ac)}
    # Ids narrow the filter; an id outside it selects nothing from it.
    outside = sorted(set(range(10)) - set(ac))[0]
    assert q.home_count(HomeSelection("ac", (int(ac.iloc[0]), outside))) == 1
    hourly = q.fleet_load(HomeSelection("ac"), date(2023, 8, 2), date(2023, 8, 2), "hourly")
    assert len(hourly) == 24
    np.testing.assert_allclose(hourly["load_kw"].mean(), expected.iloc[96:192].mean(), rtol=1e-6)


def test_filter_counts_and_units(dataset, homes):
    q = DatasetQueries(dataset)
    counts = q.filter_counts()
    assert counts["all"] == 10 and counts["ev"] == homes["has_ev"].sum()
    assert counts["ac"] + counts["no_ac"] == counts["inland"] + counts["coastal"] == 10
    assert {key: q.home_count(HomeSelection(key)) for key in counts} == counts
    units = q.units("market")
    assert units["lmp"] == "$/MWh" and units["spin_price"] == units["nonspin_price"] == "$/MW-h"


def test_profile_band_and_daily_stats(dataset, load):
    q = DatasetQueries(dataset)
    band = q.profile_band()
    per_home = load.groupby(["home_id", load["local"].dt.hour])["load_kw"].mean()
    expected = per_home.groupby(level=1).quantile([0.1, 0.5, 0.9]).unstack()
    np.testing.assert_allclose(band[["p10", "p50", "p90"]], expected.to_numpy(), rtol=1e-6)
    assert list(band.index) == list(range(24))

    stats = q.home_daily_stats()
    day = load.groupby(["home_id", load["local"].dt.date])["load_kw"]
    np.testing.assert_allclose(
        stats["daily_kwh"], (day.sum() * 0.25).groupby(level=0).mean(), rtol=1e-6
    )
    np.testing.assert_allclose(stats["peak_kw"], load.groupby("home_id")["load_kw"].max())


def test_home_load_is_long_format(dataset, load):
    q = DatasetQueries(dataset)
    frame = q.home_load([3, 7], date(2023, 8, 3), date(2023, 8, 3))
    assert list(frame.columns) == ["home_id", "timestamp", "load_kw"]
    assert frame.groupby("home_id").size().to_dict() == {3: 96, 7: 96}
    expected = load[(load["home_id"] == 7) & (load["local"].dt.day == 3)]["load_kw"]
    np.testing.assert_allclose(frame[frame["home_id"] == 7]["load_kw"], expected)


def test_diversity_curve(dataset, load):
    q = DatasetQueries(dataset)
    curve = q.diversity_curve(draws=3)
    assert list(curve["homes"]) == [1, 2, 5, 10]
    assert list(curve["groups"]) == [10, 3, 3, 1]
    own = load.groupby("home_id")["load_kw"].max()
    # One home: every home's own peak, not a few sampled ones (issue 10, defect 9).
    assert curve["peak_kw_per_home"].iloc[0] == pytest.approx(own.mean(), rel=1e-6)
    assert curve["coincidence_factor"].iloc[0] == 1
    fleet_peak = load.groupby("timestamp")["load_kw"].sum().max()
    assert curve["peak_kw_per_home"].iloc[-1] == pytest.approx(fleet_peak / 10, rel=1e-6)
    assert curve["coincidence_factor"].iloc[-1] == pytest.approx(fleet_peak / own.sum(), rel=1e-6)
    assert curve["coincidence_factor"].between(0, 1).all()
    pd.testing.assert_frame_equal(curve, q.diversity_curve(draws=3))  # seeded


def test_diversity_sizes():
    assert diversity_sizes(1) == [1]
    assert diversity_sizes(10) == [1, 2, 5, 10]
    assert diversity_sizes(200) == [1, 2, 5, 10, 20, 50, 100, 200]
    assert diversity_sizes(0) == []


def test_source_caption_names_fallbacks(dataset, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(dataset, copy)
    manifest = json.loads((copy / "datapackage.json").read_text())
    manifest["provenance"]["market"]["fallback_reason"] = "OASIS unreachable"
    (copy / "datapackage.json").write_text(json.dumps(manifest))
    caption = DatasetQueries(copy).source_caption("market", "solar")
    assert caption.startswith("Data: market: vppsim structural CAISO prices (synthetic), fell back")
    assert "solar: pvlib" in caption


def test_csv_only_dataset(dataset, tmp_path):
    copy = tmp_path / "csv"
    shutil.copytree(dataset, copy)
    shutil.rmtree(copy / "parquet")
    q = DatasetQueries(copy)
    # The forecasts/ folder is kept: its views read its Parquet files.
    assert q.datasets == ["market", "system", "solar", "weather", "load", "pv", "forecasts"]
    assert not q.has_homes
    # Without the assets table, the charts draw PV for the homes, as before the fleet had any.
    assert q.fleet_pv(pv_share=0.5).drawn
    assert q.home_count() == 10
    system = q.table("system", aggregation="hourly")
    assert list(system.columns[1:]) == list(q.units("system"))
    np.testing.assert_allclose(
        system["net_load_mw"],
        DatasetQueries(dataset).table("system", aggregation="hourly")["net_load_mw"],
        atol=0.1,  # the CSV holds one decimal
    )
    np.testing.assert_allclose(
        q.fleet_load()["load_kw"], DatasetQueries(dataset).fleet_load()["load_kw"], rtol=1e-6
    )
    with pytest.raises(DatasetNotReadable, match="no homes table"):
        q.fleet_load(HomeSelection("ev"))


def test_errors(dataset, tmp_path):
    with pytest.raises(DatasetNotReadable, match=r"no datapackage\.json"):
        DatasetQueries(tmp_path)
    (tmp_path / "datapackage.json").write_text("{not json")
    with pytest.raises(DatasetNotReadable, match="not a vppsim manifest"):
        DatasetQueries(tmp_path)
    with pytest.raises(VppsimError, match="unknown home filter 'pets'"):
        HomeSelection("pets")
    with pytest.raises(VppsimError, match="unknown aggregation 'weekly'"):
        DatasetQueries(dataset).table("market", aggregation="weekly")


def test_fleet_pv_is_the_homes_own(dataset):
    q = DatasetQueries(dataset)
    parts = sorted((dataset / "parquet" / "pv").glob("*.parquet"))
    rows = pd.concat([read_parquet(p) for p in parts], ignore_index=True)
    assets = pd.read_parquet(dataset / "parquet" / "assets.parquet")
    pv = q.fleet_pv()
    assert not pv.drawn and pv.homes == int(assets["has_pv"].sum()) > 0
    assert pv.kw_dc == pytest.approx(float(assets["pv_dc_kw"].sum()), rel=1e-6)
    expected = rows.groupby("timestamp")["pv_kw"].sum()
    np.testing.assert_allclose(pv.series["pv_kw"], expected.to_numpy(), rtol=1e-5)
    inland = q.fleet_pv(HomeSelection("inland"))
    assert inland.kw_dc < pv.kw_dc
