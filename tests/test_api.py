import numpy as np
import pandas as pd
import pytest

from vppsim import DataCollector
from vppsim.errors import ConfigError, MissingSources, SourceUnavailable

from .sources import test_registry


@pytest.fixture
def collector():
    return DataCollector(
        start_date="2023-08-01", end_date="2023-08-02", homes=5, registry=test_registry()
    )


def test_frames_follow_the_contract(collector):
    market = collector.get_market_data()
    assert list(market.columns) == ["timestamp", "lmp", "da_lmp", "spin_price", "nonspin_price"]
    assert len(market) == 192 and str(market["timestamp"].dt.tz) == "UTC"
    assert list(collector.get_solar_data().columns) == [
        "timestamp",
        "generation_kw_per_kw_installed",
    ]
    assert "temp_air_c" in collector.get_weather_data()
    assert collector.provenance("market")["kind"] == "synthetic"


def test_datasets_share_one_weather(collector):
    weather = collector.get_weather_data()
    solar = collector.get_solar_data()
    np.testing.assert_allclose(
        solar["generation_kw_per_kw_installed"], np.clip(weather["ghi_w_m2"] / 1250, 0, 1)
    )


def test_load_profiles_are_long_format_and_stable_in_count(collector):
    three = collector.generate_load_profiles(count=3)
    assert list(three.columns) == ["home_id", "timestamp", "load_kw"]
    assert three["home_id"].unique().tolist() == [0, 1, 2]
    ten = collector.generate_load_profiles(count=10)
    pd.testing.assert_frame_equal(three, ten[ten["home_id"] < 3].reset_index(drop=True))
    assert len(collector.generate_load_profiles()) == 5 * 192
    with pytest.raises(ValueError, match="count=0"):
        collector.generate_load_profiles(count=0)


def test_build_writes_a_valid_dataset(collector, tmp_path):
    result = collector.build(tmp_path / "out")
    assert result.report.ok and (tmp_path / "out" / "datapackage.json").is_file()


def test_bad_arguments_and_missing_sources():
    from vppsim.weather.sources import SyntheticWeather

    from .sources import registry_of

    with pytest.raises(ConfigError, match=r"end_date|before start"):
        DataCollector(start_date="2023-08-05", end_date="2023-08-01")
    collector = DataCollector(
        start_date="2023-08-01", end_date="2023-08-01", registry=registry_of(SyntheticWeather)
    )
    assert len(collector.get_weather_data()) == 96
    assert collector.provenance("weather")["fallback_reason"] is None  # nothing to fall back from
    with pytest.raises(SourceUnavailable, match="system: no live source for system is implemented"):
        collector.get_market_data()
    with pytest.raises(MissingSources):
        collector.build("out")


def test_the_shipped_sources_give_coherent_frames():
    collector = DataCollector(start_date="2023-08-01", end_date="2023-08-02", homes=3)
    market = collector.get_market_data()
    assert list(market.columns)[:5] == ["timestamp", "lmp", "da_lmp", "spin_price", "nonspin_price"]
    homes = collector.generate_load_profiles(count=3)
    assert homes["home_id"].unique().tolist() == [0, 1, 2] and len(homes) == 3 * 192
    assert collector.get_solar_data()["timestamp"].equals(market["timestamp"])
