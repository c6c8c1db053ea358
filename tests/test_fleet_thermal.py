"""The thermal kernel: its linear model against the thermostat simulation, closed forms, and
the load generator's use of it."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from vppsim.fleet import thermal
from vppsim.grid import build_grid
from vppsim.load.homes import draw_homes
from vppsim.load.model import simulate_load, simulate_load_parts, thermal_inputs
from vppsim.load.parameters import LoadParameters
from vppsim.seeds import Stream, stream_rng
from vppsim.weather.synthetic import simulate_weather

TZ = "America/Los_Angeles"
AC_HOMES = LoadParameters(ac_share=1.0, inland_share=1.0)


@pytest.fixture(scope="module")
def homes():
    return draw_homes(3, np.arange(40), AC_HOMES)


@pytest.fixture(scope="module")
def model(homes):
    return thermal.ThermalModel.from_homes(homes, 15.0, AC_HOMES)


def random_drive(model, n_steps, seed=0, outdoor=(20.0, 40.0)):
    """A float64 drive of random hot weather (T, H)."""
    rng = np.random.default_rng(seed)
    n = len(model)
    t_out = rng.uniform(*outdoor, size=(n_steps, n))
    solar = rng.uniform(0.0, 1.0, size=n_steps)
    gains = rng.uniform(0.0, 1.5, size=(n_steps, n))
    return thermal.drive(model, t_out, solar, gains)


def test_state_space_reproduces_the_thermostat_run(model):
    drive = random_drive(model, 300)
    setpoint = np.full(drive.air.shape, 24.0)
    mass0 = np.full(len(model), 26.0)
    run = thermal.simulate(model, drive, cool_setpoint=setpoint, mass0=mass0)
    space = thermal.state_space(model)
    w, v = space.disturbance(drive)
    x = mass0.copy()
    air = np.empty_like(run.air_c)
    for k in range(len(w)):
        u = run.heat_removed_kw[k]
        air[k] = space.c * x + space.d_u * u + v[k]
        x = space.a * x + space.b_u * u + w[k]
    assert np.max(np.abs(air - run.air_c)) < 1e-6
    # The thermostat held the setpoint wherever the AC had capacity left.
    held = run.heat_removed_kw < model.cooling_kw - 1e-9
    assert np.max(np.abs(run.air_c[held] - 24.0)) < 1e-9
    assert (run.heat_removed_kw > 0).any() and (~held).any()


def test_kernel_steps_reproduce_the_thermostat_run(model):
    drive = random_drive(model, 200, seed=1)
    setpoint = np.full(drive.air.shape, 25.0)
    mass0 = np.full(len(model), 27.0)
    run = thermal.simulate(model, drive, cool_setpoint=setpoint, mass0=mass0)
    electric = run.heat_removed_kw / thermal.cop(model, drive.outdoor_c)
    stepped = thermal.simulate(model, drive, electric, mass0=mass0)
    assert np.max(np.abs(stepped.air_c - run.air_c)) < 1e-6
    assert np.max(np.abs(stepped.free_air_c - run.free_air_c)) < 1e-6


def continuous_steady_state(model, t_out, g_air, g_mass, u):
    """Solve the two heat balances at rest (dT_mass/dt = 0) for (T_air, T_mass)."""
    out = np.empty((len(model), 2))
    for i in range(len(model)):
        ao, am, mo = model.air_out[i], model.air_mass[i], model.mass_out[i]
        matrix = np.array([[ao + am, -am], [-am, am + mo]])
        rhs = np.array([ao * t_out + g_air[i] - u[i], mo * t_out + g_mass[i]])
        out[i] = np.linalg.solve(matrix, rhs)
    return out


def test_constant_drive_converges_to_the_analytic_steady_state(model):
    n_steps, t_out, solar = 3000, 33.0, 0.6
    gains = np.full((n_steps, len(model)), 0.8)
    drive = thermal.drive(
        model, np.full((n_steps, len(model)), t_out), np.full(n_steps, solar), gains
    )
    u = 0.5 * model.cooling_kw
    controls = np.broadcast_to(u / thermal.cop(model, np.full(len(model), t_out)), gains.shape)
    run = thermal.simulate(model, drive, controls, mass0=np.full(len(model), 20.0))
    share = model.solar_to_air_share
    steady = continuous_steady_state(
        model,
        t_out,
        0.8 + share * model.aperture_m2 * solar,
        (1.0 - share) * model.aperture_m2 * solar,
        u,
    )
    assert np.max(np.abs(run.air_c[-1] - steady[:, 0])) < 1e-6
    # The matrices' fixed point is the same steady state.
    space = thermal.state_space(model)
    w, _ = space.disturbance(drive.at(0))
    assert np.allclose((w + space.b_u * u) / (1.0 - space.a), steady[:, 1], atol=1e-9)


def test_step_response_is_geometric_and_tends_to_the_exponential(homes):
    # Discrete: exactly a^k; continuous limit (1-min steps): exp(-lambda t) with
    # lambda = (mass_total - air_mass^2 / air_total) / C.
    for minutes, tolerance in ((15.0, 1e-9), (1.0, 1e-9)):
        model = thermal.ThermalModel.from_homes(homes, minutes, AC_HOMES)
        n_steps = int(6 * 60 / minutes)
        shape = (n_steps, len(model))
        drive = thermal.drive(model, np.full(shape, 30.0), np.zeros(n_steps), np.zeros(shape))
        run = thermal.simulate(model, drive, np.zeros(shape), mass0=np.full(len(model), 10.0))
        space = thermal.state_space(model)
        w, v = space.disturbance(drive.at(0))
        x_star = w / (1.0 - space.a)
        k = np.arange(n_steps)[:, None]
        expected = space.c * (x_star + space.a**k * (10.0 - x_star)) + v
        assert np.max(np.abs(run.air_c - expected)) < tolerance
    rate = (model.mass_total - model.air_mass**2 / model.air_total) / model.capacitance
    continuous = space.c * (x_star + np.exp(-rate * 6.0) * (10.0 - x_star)) + v
    final = space.c * (x_star + space.a**n_steps * (10.0 - x_star)) + v
    # The air held at the interval start lags the continuous solution by O(dt).
    assert np.max(np.abs(final - continuous) / np.abs(10.0 - x_star)) < 0.01


def test_kernel_clips_to_capacity_and_counts_comfort(model):
    band = 1.0
    kernel = thermal.ThermalKernel(model, comfort_band_c=band)
    n = len(model)
    drive = random_drive(model, 1, seed=4)
    row = thermal.Drive(
        drive.outdoor_c[0], drive.air[0], drive.mass[0], setpoint_c=np.full(n, 24.0)
    )
    factor = thermal.cop(model, drive.outdoor_c[0])
    action = np.concatenate([np.full(n // 2, 100.0), np.full(n - n // 2, -1.0)])
    _, applied, info = kernel.step(np.full(n, 30.0), action, row)
    assert np.allclose(applied[: n // 2], model.cooling_kw[: n // 2] / factor[: n // 2])
    assert np.all(applied[n // 2 :] == 0.0)
    assert info["clipped"] == n
    air = info["air_c"]
    assert info["too_warm"] == int(np.sum(air > 25.0))
    assert info["too_cold"] == int(np.sum(air < 23.0))
    # Holding the setpoint within capacity.
    hold = kernel.electric_to_hold(np.full(n, 26.0), np.full(n, 24.0), row)
    _, _, info = kernel.step(np.full(n, 26.0), hold, row)
    within = hold * factor < model.cooling_kw
    assert np.allclose(info["air_c"][within & (hold > 0)], 24.0)


def test_load_parts_are_parts_of_the_load():
    grid = build_grid(dt.date(2023, 8, 7), dt.date(2023, 8, 10), TZ, 15)
    weather = simulate_weather(grid, 34.05, -118.24, TZ, 15, stream_rng(42, Stream.WEATHER))
    p = LoadParameters(ev_share=0.5)
    homes = draw_homes(5, np.arange(30), p)
    parts = simulate_load_parts(homes, weather, grid, TZ, 15, 5, p)
    assert np.array_equal(parts["load_kw"], simulate_load(homes, weather, grid, TZ, 15, 5, p))
    assert all(part.dtype == np.float32 for part in parts.values())
    assert (parts["hvac_kw"] >= 0).all() and (parts["ev_kw"] >= 0).all()
    assert (parts["hvac_kw"] + parts["ev_kw"] <= parts["load_kw"] + 1e-4).all()
    no_hvac = (homes["ac_capacity_kw"] == 0) & (homes["heating_capacity_kw"] == 0)
    assert (parts["hvac_kw"][no_hvac.to_numpy()] == 0).all()
    assert (parts["ev_kw"][~homes["has_ev"].to_numpy()] == 0).all()
    assert parts["ev_kw"].sum() > 0 and parts["hvac_kw"].sum() > 0


def test_thermal_inputs_are_the_load_models():
    grid = build_grid(dt.date(2023, 8, 7), dt.date(2023, 8, 13), TZ, 15)
    weather = simulate_weather(grid, 34.05, -118.24, TZ, 15, stream_rng(42, Stream.WEATHER))
    p = LoadParameters()
    homes = draw_homes(8, np.arange(420), p)  # two blocks of the load model
    parts = simulate_load_parts(homes, weather, grid, TZ, 15, 8, p)
    inputs = thermal_inputs(homes, weather, grid, TZ, 15, 8, p)
    assert inputs.drive.air.shape == (len(grid), len(inputs.rows))
    has = (homes["ac_capacity_kw"] > 0) | (homes["heating_capacity_kw"] > 0)
    assert np.array_equal(inputs.rows, np.flatnonzero(has.to_numpy()))
    run = thermal.simulate(
        inputs.model,
        inputs.drive,
        cool_setpoint=inputs.cool_setpoint,
        heat_setpoint=inputs.heat_setpoint,
        mass0=inputs.start_c,
        spin_up_steps=inputs.spin_up_steps,
    )
    cooling = np.clip(run.heat_removed_kw, 0.0, None) / thermal.cop(
        inputs.model, inputs.drive.outdoor_c.copy()
    )
    heating = np.clip(-run.heat_removed_kw, 0.0, None) * inputs.model.heating_kw_per_kw
    # The load renders the compressor's cycling within intervals: energy is kept.
    expected = (cooling + heating).sum(axis=0)
    hvac = parts["hvac_kw"][inputs.rows].sum(axis=1)
    assert np.isclose(hvac.sum(), expected.sum(), rtol=1e-3)
    assert np.allclose(hvac, expected, rtol=0.05, atol=1.0)
    # A block's inputs do not depend on the other homes.
    alone = thermal_inputs(homes.iloc[400:], weather, grid, TZ, 15, 8, p)
    mine = inputs.rows >= 400
    assert np.array_equal(alone.drive.air, inputs.drive.air[:, mine])
