"""The synthetic CAISO price model's contract: columns, any period, DST, determinism, floor and
cap, the day-ahead price's form, and the ancillary services it still carries."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from vppsim.calendar import local_calendar
from vppsim.grid import build_grid
from vppsim.market.ancillary import AS_COLUMNS
from vppsim.market.fit import gas_daily_table
from vppsim.market.parameters import MarketParameters
from vppsim.market.storage import STORAGE_MW, storage_capacity
from vppsim.market.synthetic import (
    COLUMNS,
    GHG_PRICE,
    SCARCITY_CAP_TIGHTNESS,
    MarketCalibration,
    daily_gas,
    ghg_price,
    price_drivers,
    scarcity_price,
    simulate_prices,
)

TZ = "America/Los_Angeles"


def flat_system(grid: pd.DatetimeIndex, gas: float = 5.0) -> pd.DataFrame:
    """A stylised system: a summer-like day (demand peak in the evening, solar at noon)."""
    cal = local_calendar(grid, TZ)
    clock = cal.clock
    demand = 28000 + 8000 * np.exp(-(((clock - 18.0) / 3.0) ** 2))
    solar = np.clip(14000 * np.sin(np.pi * (clock - 6.0) / 13.0), 0.0, None)
    wind = np.full(len(grid), 2000.0)
    return pd.DataFrame(
        {
            "demand_mw": demand,
            "solar_mw": solar,
            "wind_mw": wind,
            "net_load_mw": demand - solar - wind,
            "gas_price_usd_per_mmbtu": np.full(len(grid), gas),
        },
        index=grid,
    )


@pytest.mark.parametrize(
    ("start", "end"),
    [(dt.date(2023, 8, 1), dt.date(2023, 8, 7)), (dt.date(2030, 1, 1), dt.date(2030, 1, 2))],
)
def test_contract_any_period(start, end):
    grid = build_grid(start, end, TZ, 15)
    frame = simulate_prices(grid, TZ, flat_system(grid), np.random.default_rng(0))
    assert list(frame.columns) == list(COLUMNS)
    assert frame.index.equals(grid)
    assert frame.notna().all().all()
    assert (frame[["lmp", "da_lmp"]] == frame[["lmp", "da_lmp"]].round(2)).all().all()
    assert set(np.unique(frame["scarcity"])) <= {0.0, 1.0}


@pytest.mark.parametrize(
    ("day", "intervals"), [(dt.date(2023, 3, 12), 92), (dt.date(2023, 11, 5), 100)]
)
def test_dst_days(day, intervals):
    grid = build_grid(day, day, TZ, 15)
    frame = simulate_prices(grid, TZ, flat_system(grid), np.random.default_rng(0))
    assert len(frame) == intervals and frame.notna().all().all()


def test_empty_grid_and_missing_columns():
    grid = build_grid(dt.date(2023, 1, 1), dt.date(2023, 1, 1), TZ, 15)
    assert simulate_prices(grid[:0], TZ, flat_system(grid)[:0], np.random.default_rng(0)).empty
    with pytest.raises(ValueError, match="no net_load_mw"):
        simulate_prices(grid, TZ, flat_system(grid).assign(net_load_mw=np.nan),
                        np.random.default_rng(0))  # fmt: skip
    with pytest.raises(ValueError, match="gas_price"):
        simulate_prices(grid, TZ, flat_system(grid).drop(columns="gas_price_usd_per_mmbtu"),
                        np.random.default_rng(0))  # fmt: skip


def test_deterministic_and_seed_dependent():
    grid = build_grid(dt.date(2023, 7, 1), dt.date(2023, 7, 10), TZ, 15)
    system = flat_system(grid)
    a = simulate_prices(grid, TZ, system, np.random.default_rng(5))
    b = simulate_prices(grid, TZ, system, np.random.default_rng(5))
    c = simulate_prices(grid, TZ, system, np.random.default_rng(6))
    pd.testing.assert_frame_equal(a, b)
    assert not a["lmp"].equals(c["lmp"])


def test_floor_and_cap_hold():
    grid = build_grid(dt.date(2023, 4, 1), dt.date(2023, 4, 14), TZ, 15)
    system = flat_system(grid, gas=60.0)
    tight = MarketParameters(price_floor=-20.0, price_cap=300.0, scarcity_propensity=50.0,
                             oversupply_propensity=50.0)  # fmt: skip
    frame = simulate_prices(grid, TZ, system, np.random.default_rng(1), tight)
    assert frame["lmp"].min() >= -20.0 and frame["lmp"].max() <= 300.0
    assert frame["lmp"].max() == 300.0
    assert frame["da_lmp"].between(-20.0, 300.0).all()


def test_day_ahead_is_hourly_and_smoother():
    grid = build_grid(dt.date(2023, 8, 1), dt.date(2023, 8, 31), TZ, 15)
    frame = simulate_prices(grid, TZ, flat_system(grid), np.random.default_rng(2))
    hours = grid.floor("h")
    assert (frame["da_lmp"].groupby(hours).nunique() == 1).all()
    assert frame["da_lmp"].diff().std() < 0.7 * frame["lmp"].diff().std()
    assert frame["da_lmp"].std() < frame["lmp"].std()
    spread = (frame["da_lmp"] - frame["lmp"]).mean()
    assert abs(spread) < 0.25 * frame["lmp"].mean()


def test_sourced_tables():
    assert ghg_price(2022) == GHG_PRICE[2022] and ghg_price(1990) == GHG_PRICE[min(GHG_PRICE)]
    days = pd.DatetimeIndex(["2019-01-01", "2022-12-31", "2024-06-01", "2040-01-01"])
    capacity = storage_capacity(days)
    assert np.all(np.diff(capacity[:3]) > 0)  # the fleet grows through the sourced years
    assert 3000 < capacity[1] < 6000 and capacity[-1] == max(STORAGE_MW.values())


def test_ancillary_services_still_their_own_processes():
    grid = build_grid(dt.date(2023, 8, 1), dt.date(2023, 8, 31), TZ, 15)
    frame = simulate_prices(grid, TZ, flat_system(grid), np.random.default_rng(7),
                            MarketParameters(scarcity_propensity=50.0))  # fmt: skip
    for name in AS_COLUMNS:
        assert (frame[name] >= 0).all()
        ratio = frame[name][frame["lmp"] > 5] / frame["lmp"][frame["lmp"] > 5]
        assert ratio.std() / ratio.mean() > 0.3  # not a fixed share of the LMP
    scarce = frame["scarcity"] == 1
    assert scarce.any()
    # Day-ahead AS prices follow the expected scarcity of the hour, not the realised one.
    hour = frame["scarcity_probability"].groupby(frame.index.floor("h")).transform("mean")
    tight = hour > hour.quantile(0.99)
    assert frame["spin_price"][tight].median() > 2.0 * frame["spin_price"][~tight].median()


def test_daily_gas_swings_around_the_month_and_grows_with_the_price():
    # A dear month swings more from day to day than a cheap one, around the same mean; with
    # the knob at 0 the fuel is the frame's and each day's price is flat in gas.
    grid = build_grid(dt.date(2022, 1, 1), dt.date(2022, 12, 31), TZ, 15)
    cal = local_calendar(grid, TZ)
    fitted = MarketCalibration.default()
    p = MarketParameters()
    spreads = {}
    for gas in (4.0, 25.0):
        system = flat_system(grid, gas)
        base = price_drivers(cal, system, p, fitted)
        z = np.random.default_rng(3).standard_normal(cal.n_days)
        daily = daily_gas(base, cal, system, z, fitted, p)
        factor = (daily.fuel_cost - base.fuel_cost + gas) / gas
        per_day = factor[np.searchsorted(cal.day, np.arange(cal.n_days))]
        # constant within a day
        assert np.allclose(factor, per_day[cal.day])
        a, b = fitted.gas_daily_coefficients
        sd = min(np.exp(a + b * np.log(gas)), fitted.gas_daily_max_sd)
        assert abs(np.std(np.log(per_day)) / sd - 1.0) < 0.25
        assert abs(np.mean(per_day) - 1.0) < 0.1
        spreads[gas] = np.std(np.log(per_day))
        off = daily_gas(base, cal, system, z, fitted, MarketParameters(daily_gas_volatility=0))
        assert np.array_equal(off.fuel_cost, base.fuel_cost)
    assert spreads[25.0] > 2.0 * spreads[4.0]


def test_daily_gas_stays_within_its_own_month():
    # Each local month's gas averages (in logs) to the frame's price of that month, whatever
    # the neighbouring months' draws: the departures' monthly mean is removed.
    grid = build_grid(dt.date(2022, 11, 1), dt.date(2023, 2, 28), TZ, 15)
    cal = local_calendar(grid, TZ)
    fitted = MarketCalibration.default()
    p = MarketParameters()
    system = flat_system(grid)
    month_gas = np.array([6.0, 28.0, 15.0, 5.0])
    key = (cal.year - 2022) * 12 + cal.month - 10
    system["gas_price_usd_per_mmbtu"] = month_gas[key]
    base = price_drivers(cal, system, p, fitted)
    z = np.random.default_rng(5).standard_normal(cal.n_days) + 1.0  # a drift to remove
    daily = daily_gas(base, cal, system, z, fitted, p)
    gas = system["gas_price_usd_per_mmbtu"].to_numpy()
    log_factor = np.log((daily.fuel_cost - base.fuel_cost + gas) / gas)
    first = np.searchsorted(cal.day, np.arange(cal.n_days))
    a, b = fitted.gas_daily_coefficients
    for k, level in enumerate(month_gas):
        days = log_factor[first][key[first] == k]
        sd = min(np.exp(a + b * np.log(level)), fitted.gas_daily_max_sd)
        assert np.std(days) > 0.0
        assert np.mean(days) == pytest.approx(-0.5 * sd * sd, abs=1e-9)


def test_scarcity_prices_move_toward_the_cap_beyond_the_fits_top_tightness():
    # Up to the fit's top tightness the price is the fitted table's; beyond it the price
    # moves toward the cap, reaching it at SCARCITY_CAP_TIGHTNESS, rising with tightness.
    quantiles = np.linspace(200.0, 1000.0, 21)  # a table below the cap
    fitted = MarketCalibration.default(scarcity_top=0.8, scarcity_quantiles=quantiles)
    p = MarketParameters()
    tightness = np.linspace(0.5, 1.1, 61)
    depth = np.zeros(len(tightness))
    prices = scarcity_price(depth, tightness, fitted, p)
    unbounded = MarketCalibration.default(scarcity_top=9.0, scarcity_quantiles=quantiles)
    table = scarcity_price(depth, tightness, unbounded, p)
    below = tightness <= 0.8
    assert np.array_equal(prices[below], table[below])
    assert np.all(prices[~below] > table[~below])
    assert np.all(np.diff(prices) >= 0.0)
    assert prices[tightness >= SCARCITY_CAP_TIGHTNESS] == pytest.approx(p.price_cap)
    halfway = np.isclose(tightness, 0.9)
    assert prices[halfway] == pytest.approx(0.5 * (table[halfway] + p.price_cap))


def test_gas_daily_table_recovers_a_known_process():
    # Daily prices whose log departures have sd 0.02 * level ** 1 within each month: the
    # table's slope is about 1 and its AR(1) the generating one.
    rng = np.random.default_rng(0)
    days = pd.date_range("2015-01-01", "2024-12-31", freq="D")
    months = days.to_period("M")
    level = pd.Series(np.exp(rng.uniform(np.log(2.0), np.log(12.0), months.nunique())),
                      index=months.unique())[months].to_numpy()  # fmt: skip
    x = np.zeros(len(days))
    for i in range(1, len(days)):
        x[i] = 0.8 * x[i - 1] + np.sqrt(1 - 0.64) * rng.standard_normal()
    series = pd.Series(level * np.exp(0.02 * level * x), index=days)
    table = gas_daily_table(series)
    a, b = table["log_sd_coefficients"]
    assert 0.8 < b < 1.2 and abs(np.exp(a + b * np.log(5.0)) / 0.1 - 1.0) < 0.2
    assert 0.7 < table["autocorrelation"] < 0.85


def test_an_hours_departure_persists_into_the_next_hour():
    # The same drivers every day: what is left of each day's hourly log price after the
    # hour's mean over the days and the day's own mean is the latent's hour shape. Adjacent
    # hours share it (SHAPE_HOUR_AUTOCORRELATION 0.4 gives about 0.43 here); with
    # independent hours it is about 0.16 (the 15-min residual crossing the boundary).
    grid = build_grid(dt.date(2023, 3, 1), dt.date(2023, 4, 30), TZ, 15)
    frame = simulate_prices(grid, TZ, flat_system(grid), np.random.default_rng(3))
    cal = local_calendar(grid, TZ)
    log_price = np.log(frame["lmp"].clip(lower=1.0))
    hourly = log_price.groupby([cal.day, cal.hour]).mean().unstack().dropna()
    departure = hourly - hourly.mean(axis=0)
    departure = departure.sub(departure.mean(axis=1), axis=0)
    adjacent = [np.corrcoef(departure[h], departure[h + 1])[0, 1] for h in range(23)]
    assert np.mean(adjacent) > 0.3
