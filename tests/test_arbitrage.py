"""The battery kernel and the perfect-foresight arbitrage LP: closed forms, the independent DP,
the kernel replaying the LP's schedule, and the ratio table of issue 11."""

from __future__ import annotations

import warnings
from functools import cache

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError

from vppsim.fleet.arbitrage import (
    arbitrage,
    arbitrage_dp,
    arbitrage_dual,
    arbitrage_ratio_table,
    monthly_arbitrage,
    waste_price,
)
from vppsim.fleet.battery import (
    REFERENCE_BATTERY,
    BatteryParameters,
    simulate,
    step,
    violations,
)
from vppsim.market.evaluation import ALAMITOS_FILE, read_fmm_csv

from .conftest import REFERENCE

pytestmark = pytest.mark.reference

# A small lossy battery that empties and fills in one hour (no power limit binds).
SMALL = BatteryParameters(
    usable_energy_kwh=4.0,
    charge_kw=10.0,
    discharge_kw=10.0,
    charge_efficiency=0.9,
    discharge_efficiency=0.95,
    initial_soc=0.0,
    final_soc=0.0,
    throughput_cost_usd_per_kwh=0.01,
)


def hourly(values, start="2022-06-01 12:00") -> pd.Series:
    index = pd.date_range(start, periods=len(values), freq="1h", tz="UTC")
    return pd.Series(np.asarray(values, dtype=float), index=index)


@cache
def real_2022() -> pd.Series:
    return read_fmm_csv(REFERENCE / "market" / ALAMITOS_FILE)


def real_week() -> pd.Series:
    """Aug 1-7 2022 (Pacific), the real 15-min FMM prices at Alamitos."""
    return real_2022()["2022-08-01 07:00":"2022-08-08 06:45"]


def test_two_prices_closed_form():
    p_lo, p_hi = 20.0, 100.0
    result = arbitrage(hourly([p_lo, p_hi]), SMALL)
    e = SMALL.usable_energy_kwh
    expected = (
        p_hi / 1000 * e * SMALL.discharge_efficiency
        - p_lo / 1000 * e / SMALL.charge_efficiency
        - SMALL.throughput_cost_usd_per_kwh * e * SMALL.discharge_efficiency
    )
    assert result.revenue == pytest.approx(expected, rel=1e-9)
    assert result.objective == pytest.approx(expected, rel=1e-9)
    assert result.schedule["charge_kw"].iloc[0] == pytest.approx(e / SMALL.charge_efficiency)
    assert result.discharged_kwh == pytest.approx(e * SMALL.discharge_efficiency)
    # The grid holds every state of this optimum: the DP finds it exactly.
    assert arbitrage_dp(hourly([p_lo, p_hi]), SMALL).revenue == pytest.approx(expected, rel=1e-9)
    assert arbitrage_dual(hourly([p_lo, p_hi]), SMALL)[0] == pytest.approx(expected, rel=1e-9)


def test_unprofitable_spread_and_flat_prices_do_not_trade():
    # 50 * 0.95 - 0.01 * 1000 * 0.95 < 45 / 0.9: the spread does not pay the losses and cost.
    for prices in ([45.0, 50.0] * 3, [60.0] * 8):
        result = arbitrage(hourly(prices), SMALL)
        assert result.discharged_kwh == pytest.approx(0.0, abs=1e-9)
        assert result.revenue == pytest.approx(0.0, abs=1e-12)
    # Flat negative prices: paid to fill up, never to discharge.
    result = arbitrage(hourly([-20.0] * 8), SMALL)
    assert result.discharged_kwh == pytest.approx(0.0, abs=1e-9)
    assert result.revenue == pytest.approx(20.0 / 1000 * 4.0 / 0.9, rel=1e-9)


def test_no_simultaneous_charge_and_discharge_at_negative_prices():
    lossless_cost = BatteryParameters(**{**SMALL.model_dump(), "throughput_cost_usd_per_kwh": 0.0})
    prices = hourly([-100.0, -500.0, 80.0, -30.0, 200.0, -150.0, 40.0, 300.0])
    for battery in (SMALL, REFERENCE_BATTERY, lossless_cost):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            result = arbitrage(prices, battery)
        # -500 $/MWh lies below every battery's waste price: the LP says its optimum is a bound.
        assert len(caught) == 1 and "below the waste price" in str(caught[0].message)
        s = result.schedule
        assert violations(
            s["soc_kwh"], s["charge_kw"], s["discharge_kw"], battery
        ) == dict.fromkeys(
            [
                "soc below min",
                "soc above max",
                "charge limit",
                "discharge limit",
                "negative power",
                "simultaneous",
            ],
            0,
        )
        assert result.revenue == pytest.approx(result.objective, abs=1e-9)
    assert waste_price(REFERENCE_BATTERY) == pytest.approx(-180.0)
    assert waste_price(lossless_cost) == pytest.approx(0.0)


def test_lp_agrees_with_its_dual_and_the_dp_on_a_real_week():
    prices = real_week()
    lp = arbitrage(prices, REFERENCE_BATTERY)
    for horizon in ("month", "day"):
        dual, water = arbitrage_dual(prices, REFERENCE_BATTERY, horizon)
        assert dual == pytest.approx(
            arbitrage(prices, REFERENCE_BATTERY, horizon).revenue, rel=1e-8
        )
    # Stored energy is worth about what it sells for: cents per kWh.
    assert 0.0 < water.median() < 0.2
    dp = arbitrage_dp(prices, REFERENCE_BATTERY, energy_step_kwh=0.025)
    # The DP is restricted to a grid: a lower bound, within 1 % of the LP.
    assert dp.revenue <= lp.revenue + 1e-9
    assert dp.revenue >= 0.99 * lp.revenue
    assert dp.revenue == pytest.approx(dp.objective, rel=1e-9)
    assert lp.revenue > 3.0  # a real August week pays a few dollars


def test_kernel_replays_the_lp_schedule():
    result = arbitrage(real_week(), REFERENCE_BATTERY)
    s = result.schedule
    soc = simulate(s["charge_kw"].to_numpy(), s["discharge_kw"].to_numpy(), 0.25, REFERENCE_BATTERY)
    assert np.max(np.abs(soc - s["soc_kwh"].to_numpy())) < 1e-6
    assert (
        sum(violations(s["soc_kwh"], s["charge_kw"], s["discharge_kw"], REFERENCE_BATTERY).values())
        == 0
    )
    assert s["soc_kwh"].iloc[-1] >= REFERENCE_BATTERY.final_soc * 13.5 - 1e-6


def test_step_is_vectorised_and_loses_standby_energy():
    leaky = BatteryParameters(**{**SMALL.model_dump(), "standby_loss_per_h": 0.01})
    soc = step(
        np.array([0.0, 2.0, 4.0]), np.array([1.0, 0.0, 0.0]), np.array([0.0, 0.0, 1.9]), 1.0, leaky
    )
    np.testing.assert_allclose(soc, [0.9, 1.98, 3.96 - 2.0])
    # Several batteries at once: time on the first axis.
    out = simulate(np.ones((3, 2)), np.zeros((3, 2)), 0.5, SMALL, soc0=np.array([0.0, 1.0]))
    np.testing.assert_allclose(out[-1], [1.35, 2.35])


def test_daily_horizon_ends_each_day_at_the_final_soc():
    prices = real_week()
    daily = arbitrage(prices, REFERENCE_BATTERY, horizon="day")
    local = prices.index.tz_convert("America/Los_Angeles")
    last = daily.schedule["soc_kwh"].to_numpy()[local.hour * 4 + local.minute // 15 == 95]
    assert last.size == 7
    assert np.all(last >= REFERENCE_BATTERY.final_soc * 13.5 - 1e-6)
    # Less foresight cannot earn more.
    assert daily.revenue <= arbitrage(prices, REFERENCE_BATTERY).revenue + 1e-9


def test_monthly_table_and_ratio_table():
    prices = real_2022()["2022-01-01 08:00":"2022-03-01 07:45"]  # Jan-Feb 2022 Pacific
    table = monthly_arbitrage(prices, REFERENCE_BATTERY)
    assert [str(m) for m in table.index] == ["2022-01", "2022-02"]
    assert table["revenue [$]"].sum() == pytest.approx(arbitrage(prices, REFERENCE_BATTERY).revenue)
    np.testing.assert_allclose(table["revenue [$/kW-month]"], table["revenue [$]"] / 5.0)

    same = arbitrage_ratio_table(prices, [prices, prices], REFERENCE_BATTERY)
    assert list(same.index) == [1, 2, "year"]
    np.testing.assert_allclose(same["ratio"], 1.0)
    assert same["pass"].all()
    # Doubling the prices more than doubles the net revenue: out of 0.6-1.6.
    double = arbitrage_ratio_table(prices, [2.0 * prices], REFERENCE_BATTERY)
    assert (double["ratio"] > 2.0).all()
    assert not double["pass"].any()


def test_bad_battery_specs_name_the_field():
    with pytest.raises(ValidationError, match="charge_efficiency"):
        BatteryParameters(usable_energy_kwh=10, charge_kw=5, discharge_kw=5, charge_efficiency=1.2)
    with pytest.raises(ValidationError, match="initial_soc"):
        BatteryParameters(usable_energy_kwh=10, charge_kw=5, discharge_kw=5, min_soc=0.6)
    with pytest.raises(ValidationError, match="usable_energy_kwh"):
        BatteryParameters(usable_energy_kwh=-1, charge_kw=5, discharge_kw=5)


def test_prices_must_be_on_a_regular_aware_grid():
    prices = hourly([1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="regular"):
        arbitrage(
            prices.set_axis(prices.index[[0, 1]].append(prices.index[[2]] + pd.Timedelta("1h"))),
            SMALL,
        )
    with pytest.raises(ValueError, match="timezone-aware"):
        arbitrage(prices.tz_localize(None), SMALL)
