import numpy as np
import pandas as pd
import pytest

from vppsim.dataset.build import build_dataset
from vppsim.dataset.manifest import ManifestError
from vppsim.dataset.statistics import STATISTICS, compare_statistics, key_statistics
from vppsim.registry import default_registry


@pytest.fixture
def synthetic(small_settings):
    """A small build by the shipped synthetic models (they write the optional columns the
    statistics read: the clear-sky index, the HVAC load)."""

    def make(**overrides):
        offline = {f"{name}.source": "synthetic" for name in default_registry().names}
        settings = small_settings(**offline, **overrides)
        build_dataset(settings, default_registry())
        return settings.out

    return make


def expected(root) -> dict[tuple[str, str], float]:
    """The statistics computed with pandas from the Parquet files."""
    hours = 0.25
    weather = pd.read_parquet(root / "parquet" / "weather.parquet")
    day = weather["timestamp"].dt.tz_convert("America/Los_Angeles").dt.date
    daylight = weather["ghi_w_m2"] > 0
    system = pd.read_parquet(root / "parquet" / "system.parquet")
    market = pd.read_parquet(root / "parquet" / "market.parquet")
    load = pd.read_parquet(root / "parquet" / "load")
    pv = pd.read_parquet(root / "parquet" / "pv")
    lmp = market["lmp"]
    return {
        ("weather", "mean daily max temperature"): weather.groupby(day)["temp_air_c"].max().mean(),
        ("weather", "hottest interval"): weather["temp_air_c"].max(),
        ("weather", "mean GHI"): weather["ghi_w_m2"].mean(),
        ("weather", "mean daily clear-sky index of daylight"): weather[daylight]
        .groupby(day[daylight])["clearsky_index"]
        .mean()
        .mean(),
        ("system", "mean demand"): system["demand_mw"].mean(),
        ("system", "peak demand"): system["demand_mw"].max(),
        ("system", "peak net load"): system["net_load_mw"].max(),
        ("system", "mean gas price"): system["gas_price_usd_per_mmbtu"].mean(),
        ("system", "solar energy"): system["solar_mw"].sum() * hours / 1e3,
        ("market", "mean real-time LMP"): lmp.mean(),
        ("market", "mean day-ahead LMP"): market["da_lmp"].mean(),
        ("market", "real-time LMP above $250/MWh"): 100 * (lmp > 250).mean(),
        ("market", "real-time LMP below $0/MWh"): 100 * (lmp < 0).mean(),
        ("market", "p99 real-time LMP"): np.quantile(lmp, 0.99),
        ("market", "mean spinning reserve price"): market["spin_price"].mean(),
        ("market", "mean non-spinning reserve price"): market["nonspin_price"].mean(),
        ("market", "mean regulation up price"): market["regup_price"].mean(),
        ("market", "mean regulation down price"): market["regdown_price"].mean(),
        ("load", "fleet peak"): load.groupby("timestamp")["load_kw"].sum().max(),
        ("load", "mean load per home"): load["load_kw"].astype(float).mean(),
        ("load", "HVAC energy share"): 100 * load["hvac_kw"].sum() / load["load_kw"].sum(),
        ("pv", "fleet energy"): pv["pv_kw"].astype(float).sum() * hours / 1e3,
    }


def test_key_statistics_match_pandas(synthetic):
    root = synthetic()
    stats = key_statistics(root)
    assert list(stats.columns) == ["dataset", "statistic", "unit", "value"]
    assert [tuple(r) for r in stats[["dataset", "statistic", "unit"]].to_numpy()] == [
        (s.dataset, s.name, s.unit) for s in STATISTICS
    ]
    wanted = expected(root)
    got = {(r.dataset, r.statistic): r.value for r in stats.itertuples()}
    assert got.keys() == wanted.keys()
    for key, value in wanted.items():
        assert got[key] == pytest.approx(value, rel=1e-6, abs=1e-9), key
    # Nothing degenerate: the figures are those of an August in Los Angeles.
    assert 20 < got[("weather", "mean daily max temperature")] < 45
    assert got[("load", "HVAC energy share")] > 0 and got[("pv", "fleet energy")] > 0


def test_a_csv_only_build_gives_the_same_statistics(synthetic, tmp_path):
    parquet = key_statistics(synthetic())
    csv = key_statistics(synthetic(formats="csv", out=tmp_path / "csv"))
    assert not any((tmp_path / "csv").rglob("*.parquet"))
    pd.testing.assert_frame_equal(csv, parquet, rtol=1e-6)


def test_only_the_datasets_present_and_not_a_dataset(synthetic, tmp_path):
    stats = key_statistics(synthetic(datasets="weather", out=tmp_path / "w"))
    assert set(stats["dataset"]) == {"weather"} and len(stats) == 4
    with pytest.raises(ManifestError, match="is not a vppsim dataset"):
        key_statistics(tmp_path / "nothing")


def test_compare_statistics_side_by_side():
    a = pd.DataFrame(
        [("market", "mean", "$/MWh", 50.0), ("load", "peak", "kW", 0.0)],
        columns=["dataset", "statistic", "unit", "value"],
    )
    b = pd.DataFrame(
        [("load", "peak", "kW", 2.0), ("market", "mean", "$/MWh", 40.0), ("pv", "e", "MWh", 1.0)],
        columns=["dataset", "statistic", "unit", "value"],
    )
    both = compare_statistics(a, b)
    assert list(both["dataset"]) == ["market", "load", "pv"]
    assert both["difference"].tolist()[:2] == [-10.0, 2.0]
    assert both["change_pct"].iloc[0] == pytest.approx(-20.0)
    assert both["change_pct"].iloc[1:].isna().all() and np.isnan(both["a"].iloc[2])
