"""The fleet battery kernel against the scalar kernel and closed forms."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from vppsim.errors import ConfigError
from vppsim.fleet import battery
from vppsim.fleet.assets import ASSET_COLUMNS, CATALOGUE, FleetParameters, draw_assets
from vppsim.fleet.battery import (
    BATTERY_COLUMNS,
    REFERENCE_BATTERY,
    BatteryFleet,
    BatteryKernel,
    BatteryParameters,
)


def assets(n=4, **overrides):
    values = {
        "battery_energy_kwh": 13.5,
        "battery_charge_kw": 5.0,
        "battery_discharge_kw": 5.0,
        "battery_charge_efficiency": 0.95,
        "battery_discharge_efficiency": 0.95,
        "battery_min_soc": 0.05,
        "battery_backup_reserve": 0.2,
        "battery_standby_loss_per_h": 0.0,
        "battery_throughput_cost_usd_per_kwh": 0.02,
        "battery_calendar_fade_per_year": 0.0,
        "battery_cycle_fade_per_equivalent_cycle": 0.0,
        **overrides,
    }
    return {k: np.broadcast_to(np.asarray(v, dtype=float), (n,)) for k, v in values.items()}


def test_feasible_schedule_matches_the_scalar_kernel():
    params = BatteryParameters(
        usable_energy_kwh=13.5, charge_kw=5.0, discharge_kw=5.0, standby_loss_per_h=0.002
    )
    rng = np.random.default_rng(0)
    # Small powers around zero never reach the limits from half full.
    net = rng.uniform(-1.0, 1.0, size=(96, 6))
    charge, discharge = np.maximum(net, 0.0), np.maximum(-net, 0.0)
    expected = battery.simulate(charge, discharge, 0.25, params)
    kernel = BatteryKernel(BatteryFleet.uniform(params, 6), 15.0)
    soc, applied, final = kernel.simulate(net)
    assert np.allclose(soc, expected, atol=1e-12)
    assert np.array_equal(applied, net)
    assert np.all(final.soh == 1.0)
    assert battery.violations(soc, charge, discharge, params) == dict.fromkeys(
        battery.violations(soc, charge, discharge, params), 0
    )


def test_actions_are_clipped_to_power_and_energy():
    fleet = BatteryFleet.from_assets(assets())
    kernel = BatteryKernel(fleet, 60.0)
    state = kernel.initial_state(0.9)
    # 10 kW asked: 5 kW limit, and only 1.35 kWh of room: 1.35 / 0.95 kW for an hour.
    state, applied, info = kernel.step(state, np.full(4, 10.0))
    assert np.allclose(applied, 1.35 / 0.95) and np.allclose(state.soc_kwh, 13.5)
    assert info["clipped"] == 4
    # Discharge to the backup reserve (20 %), not the technical minimum (5 %).
    for _ in range(10):
        state, applied, info = kernel.step(state, np.full(4, -5.0))
    assert np.allclose(state.soc_kwh, 0.2 * 13.5)
    assert np.all(applied == 0.0) and info["clipped"] == 4 and info["below_floor"] == 0
    # Within the limits nothing is clipped.
    state, applied, info = kernel.step(state, np.array([1.0, 2.0, 0.0, 3.0]))
    assert info["clipped"] == 0 and np.array_equal(applied, [1.0, 2.0, 0.0, 3.0])


def test_standby_loss_and_calendar_fade_closed_forms():
    fleet = BatteryFleet.from_assets(
        assets(battery_standby_loss_per_h=0.001, battery_calendar_fade_per_year=0.02)
    )
    kernel = BatteryKernel(fleet, 15.0)
    state = kernel.initial_state(0.5)
    n_steps = 4 * 24 * 30
    for _ in range(n_steps):
        state, _, _ = kernel.step(state, 0.0)
    hours = n_steps / 4
    assert np.allclose(state.soc_kwh, 6.75 * 0.999**hours, rtol=1e-12)
    assert np.allclose(state.soh, 1.0 - 0.02 * hours / 8760.0, rtol=1e-12)


def test_cycle_fade_per_equivalent_full_cycle():
    fleet = BatteryFleet.from_assets(
        assets(battery_backup_reserve=0.05, battery_cycle_fade_per_equivalent_cycle=1e-4)
    )
    kernel = BatteryKernel(fleet, 60.0)
    state = kernel.initial_state(1.0)
    discharged = 0.0
    for _ in range(3):
        state, applied, _ = kernel.step(state, np.full(4, -4.0))
        discharged -= applied[0]
    # 12 kWh discharged on the AC side: 12 / 13.5 equivalent cycles.
    assert np.isclose(discharged, 12.0)
    assert np.allclose(state.soh, 1.0 - 1e-4 * 12.0 / 13.5)
    # The faded capacity bounds the charge: full is energy x soh.
    for _ in range(10):
        state, _, _ = kernel.step(state, np.full(4, 5.0))
    assert np.allclose(state.soc_kwh, 13.5 * state.soh, rtol=1e-6)


def test_homes_without_battery_do_nothing_and_frames_work():
    frame = pd.DataFrame(assets(3))
    frame.loc[1, ["battery_energy_kwh", "battery_charge_kw", "battery_discharge_kw"]] = 0.0
    kernel = BatteryKernel(BatteryFleet.from_assets(frame), 15.0)
    state, applied, info = kernel.step(kernel.initial_state(), np.array([2.0, 2.0, -2.0]))
    assert applied[1] == 0.0 and applied[0] == 2.0 and applied[2] == -2.0
    assert np.isfinite(state.soh).all() and info["clipped"] == 1


def test_a_step_does_not_overwrite_its_input_state():
    kernel = BatteryKernel(BatteryFleet.uniform(REFERENCE_BATTERY, 2), 15.0)
    first = kernel.initial_state()
    kept = first.soc_kwh.copy()
    second, _, _ = kernel.step(first, np.array([5.0, -5.0]))
    assert np.array_equal(first.soc_kwh, kept)
    third, _, _ = kernel.step(second, np.array([5.0, -5.0]))
    assert third.soc_kwh is not second.soc_kwh


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("battery_energy_kwh", -1.0),
        ("battery_charge_efficiency", 1.2),
        ("battery_backup_reserve", 0.01),  # below min_soc 0.05
        ("battery_standby_loss_per_h", 1.5),
    ],
)
def test_impossible_specs_name_the_field(column, value):
    bad = assets()
    bad[column] = bad[column].copy()
    bad[column][2] = value
    with pytest.raises(ConfigError, match=column):
        BatteryFleet.from_assets(bad)


def test_battery_columns_are_the_assets_tables():
    assert set(BATTERY_COLUMNS.values()) == {f"battery_{f}" for f in BATTERY_COLUMNS}
    assert set(BATTERY_COLUMNS.values()) <= {column.name for column in ASSET_COLUMNS}


def test_the_kernels_fade_is_worth_the_throughput_cost_of_each_product():
    """One source of truth: over a drawn fleet, the state of health the kernel takes off per
    kWh discharged, valued at the product's price per unit of health, is the throughput cost
    the LP charges."""
    frame = draw_assets(7, np.arange(4000), dt.date(2025, 6, 1), FleetParameters(pv_share=1.0))
    frame = frame[frame["has_battery"]].reset_index(drop=True)
    frame["battery_calendar_fade_per_year"] = np.float32(0.0)  # cycling's fade alone
    fleet = BatteryFleet.from_assets(frame)
    kernel = BatteryKernel(fleet, 60.0)
    state = kernel.initial_state(1.0)
    state, applied, _ = kernel.step(state, np.full(len(fleet), -2.0))
    assert np.allclose(applied, -2.0)
    value = np.array(
        [
            CATALOGUE[key].replacement_cost_usd / (1.0 - CATALOGUE[key].end_of_warranty_retention)
            for key in frame["battery_product"].astype(str)
        ]
    )
    np.testing.assert_allclose(
        (1.0 - state.soh) * value / 2.0, fleet.throughput_cost_usd_per_kwh, rtol=1e-5
    )
    assert len(set(frame["battery_product"].astype(str))) == len(CATALOGUE)
