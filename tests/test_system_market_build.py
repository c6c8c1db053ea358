"""The shipped system and market sources in a build: byte-identical for the same seed, one
weather realisation driving demand and prices, and the manifest naming what a study takes
from beyond the sourced tables."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from vppsim.dataset.build import build_dataset
from vppsim.grid import build_grid
from vppsim.market.synthetic import simulate_prices
from vppsim.registry import default_registry
from vppsim.seeds import Stream, stream_rng
from vppsim.system.model import simulate_system
from vppsim.weather.synthetic import simulate_weather

TZ = "America/Los_Angeles"
OFFLINE = {
    "weather_source": "synthetic",
    "system_source": "synthetic",
    "market_source": "synthetic",
}


def _manifest(path) -> dict:
    return json.loads((path / "datapackage.json").read_text("utf-8"))


def test_system_and_market_are_byte_identical_for_the_same_seed(small_settings, tmp_path):
    settings = {"datasets": "market", **OFFLINE}
    first = build_dataset(small_settings(out=tmp_path / "a", **settings), default_registry())
    second = build_dataset(small_settings(out=tmp_path / "b", **settings), default_registry())
    names = ("system_data.csv", "market_data.csv", "parquet/system.parquet", "datapackage.json")
    for name in names:
        assert (first.path / name).read_bytes() == (second.path / name).read_bytes(), name
    other = build_dataset(
        small_settings(out=tmp_path / "c", seed=1, **settings), default_registry()
    ).path
    for name in ("system_data.csv", "market_data.csv"):
        assert (other / name).read_bytes() != (first.path / name).read_bytes()
    header = (first.path / "market_data.csv").read_text().splitlines()[0]
    assert header == "timestamp,lmp,da_lmp,spin_price,nonspin_price,regup_price,regdown_price"
    header = (first.path / "system_data.csv").read_text().splitlines()[0]
    assert header == ("timestamp,demand_mw,solar_mw,wind_mw,net_load_mw,gas_price_usd_per_mmbtu")


def test_hourly_prices_hold_across_the_hour_on_a_5_min_grid(small_settings, tmp_path):
    result = build_dataset(
        small_settings(out=tmp_path / "five", interval_minutes=5, datasets="market", **OFFLINE),
        default_registry(),
    )
    market = pd.read_parquet(result.path / "parquet/market.parquet")
    hour = market["timestamp"].dt.floor("h")
    for column in ("da_lmp", "spin_price", "nonspin_price", "regup_price", "regdown_price"):
        assert (market.groupby(hour)[column].nunique() == 1).all(), column
    assert market.groupby(hour)["lmp"].nunique().max() > 1  # real time moves within the hour


def test_the_fall_back_day_has_25_day_ahead_hours(small_settings, tmp_path):
    """The repeated 01:00 hour is two hours with their own drivers, not one merged hour."""
    result = build_dataset(
        small_settings(
            out=tmp_path / "nov", start="2023-11-05", end="2023-11-05", datasets="market", **OFFLINE
        ),
        default_registry(),
    )
    market = pd.read_parquet(result.path / "parquet/market.parquet").set_index("timestamp")
    assert len(market) == 100
    for column in ("da_lmp", "spin_price", "regdown_price"):
        hours = market[column].groupby(market.index.floor("h"))
        assert len(hours) == 25 and (hours.nunique() == 1).all(), column
    # Different drivers in the two 01:00 hours give different day-ahead prices.
    grid = market.index
    system = pd.DataFrame({"net_load_mw": 20000.0, "gas_price_usd_per_mmbtu": 5.0}, index=grid)
    system.loc["2023-11-05T09:00Z":"2023-11-05T09:45Z", "net_load_mw"] = 40000.0
    prices = simulate_prices(grid, TZ, system, stream_rng(1, Stream.MARKET))
    first, second = (
        prices.loc[pd.Timestamp(t), "da_lmp"] for t in ("2023-11-05T08:00Z", "2023-11-05T09:00Z")
    )
    assert second > first


def test_a_study_past_the_sourced_tables_says_what_it_held(small_settings, tmp_path):
    result = build_dataset(
        small_settings(
            out=tmp_path / "later",
            start="2030-07-01",
            end="2030-07-01",
            datasets="market",
            **OFFLINE,
        ),
        default_registry(),
    )
    provenance = _manifest(result.path)["provenance"]
    system_notes = " ".join(provenance["system"]["notes"])
    market_notes = " ".join(provenance["market"]["notes"])
    assert "gas: no sourced price for 2030-07" in system_notes
    assert "solar capacity: none sourced for 2030" in system_notes
    assert "storage: the battery fleet is held" in market_notes
    assert "hydro: no CAISO record for 2030-07" in market_notes
    assert "net imports: no CAISO record for 2030-07" in market_notes
    # A set knob replaces its table: nothing is held, nothing to say.
    pinned = build_dataset(
        small_settings(
            out=tmp_path / "pinned",
            start="2030-07-01",
            end="2030-07-01",
            datasets="market",
            system={"gas_price_usd_per_mmbtu": 4.0},
            market={
                "storage_mw": 20000.0,
                "hydro_mw": 3000.0,
                "imports_mw": 5000.0,
                "ghg_price": 40.0,
            },
            **OFFLINE,
        ),
        default_registry(),
    )
    provenance = _manifest(pinned.path)["provenance"]
    assert not any("gas:" in note for note in provenance["system"]["notes"])
    assert provenance["market"]["notes"] == []


def test_one_heat_wave_raises_demand_and_prices_together():
    """The weather's heat reaches CAISO's demand and, through net load, the prices."""
    grid = build_grid(pd.Timestamp("2023-08-01").date(), pd.Timestamp("2023-08-31").date(), TZ, 15)
    weather = simulate_weather(grid, 34.05, -118.24, TZ, 15, stream_rng(3, Stream.WEATHER))
    local = grid.tz_convert(TZ)
    heat = (local.day >= 14) & (local.day <= 18)
    hot = weather.copy()
    hot.loc[heat, "temp_air_c"] += 8.0

    def chain(frame):
        system = simulate_system(grid, TZ, frame, stream_rng(3, Stream.SYSTEM))
        return system, simulate_prices(grid, TZ, system, stream_rng(3, Stream.MARKET))

    (base_system, base), (hot_system, hotter) = chain(weather), chain(hot)
    evening = heat & (local.hour >= 16) & (local.hour < 21)
    assert hot_system["demand_mw"][evening].mean() > base_system["demand_mw"][evening].mean() + 3000
    assert hotter["lmp"][evening].mean() > 1.2 * base["lmp"][evening].mean()
    assert hotter["da_lmp"][evening].mean() > base["da_lmp"][evening].mean()
    # Before the heat wave nothing moves: the same random streams, the same drivers.
    before = local.day < 14
    np.testing.assert_array_equal(
        hot_system["demand_mw"][before].to_numpy(), base_system["demand_mw"][before].to_numpy()
    )
