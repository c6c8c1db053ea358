"""EV sessions (the load model's own) and the charging kernel."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from vppsim.fleet import ev
from vppsim.grid import build_grid
from vppsim.load.homes import draw_homes
from vppsim.load.model import render_events, simulate_load_parts
from vppsim.load.parameters import LoadCalibration, LoadParameters
from vppsim.seeds import Stream, stream_rng
from vppsim.weather.synthetic import simulate_weather

TZ = "America/Los_Angeles"
EVS = LoadParameters(ev_share=0.6)


@pytest.fixture(scope="module")
def study():
    grid = build_grid(dt.date(2023, 8, 7), dt.date(2023, 8, 13), TZ, 15)
    weather = simulate_weather(grid, 34.05, -118.24, TZ, 15, stream_rng(42, Stream.WEATHER))
    homes = draw_homes(11, np.arange(60), EVS)
    parts = simulate_load_parts(homes, weather, grid, TZ, 15, 11, EVS)
    return grid, homes, parts


def test_regenerated_sessions_are_the_load_models(study):
    grid, homes, parts = study
    drawn = ev.sessions(homes, grid, TZ, 15, 11, EVS)
    assert len(drawn) > 0 and set(drawn.home_id) <= set(homes.loc[homes["has_ev"], "home_id"])
    rendered = render_events(
        drawn.row,
        drawn.arrival_minute,
        drawn.charge_end_minute,
        drawn.power_kw,
        len(homes),
        len(grid),
        15.0,
    )
    assert np.array_equal(rendered.T, parts["ev_kw"])


def test_sessions_do_not_depend_on_the_fleet(study):
    grid, homes, _ = study
    whole = ev.sessions(homes, grid, TZ, 15, 11, EVS).to_frame(15.0)
    part = ev.sessions(homes.iloc[20:40], grid, TZ, 15, 11, EVS).to_frame(15.0)
    mine = whole[whole["home_id"].between(20, 39)].reset_index(drop=True)
    assert len(part) > 0
    assert mine.equals(part.reset_index(drop=True))


def test_session_table_units_and_departures(study):
    grid, homes, _ = study
    drawn = ev.sessions(homes, grid, TZ, 15, 11, EVS)
    table = drawn.to_frame(15.0)
    assert list(table.columns[:5]) == [
        "home_id",
        "arrival_step",
        "departure_step",
        "energy_kwh",
        "power_kw",
    ]
    assert (table["departure_minute"] >= table["arrival_minute"]).all()
    assert (table["departure_step"] >= table["arrival_step"]).all()
    assert np.allclose(
        table["energy_kwh"],
        table["power_kw"]
        * (drawn.charge_end_minute - drawn.arrival_minute)[
            np.lexsort((drawn.arrival_minute, drawn.home_id))
        ]
        / 60.0,
    )
    # A car leaves before its next plug-in.
    for _, one in table.groupby("home_id"):
        assert (
            one["departure_minute"].to_numpy()[:-1] <= one["arrival_minute"].to_numpy()[1:]
        ).all()
    # EVI-Pro's home sessions mostly plug in in the evening and stay overnight.
    tables = LoadCalibration.default().ev_sessions
    starts = np.concatenate([t["start_minute"] for t in tables.values()])
    plugged = np.concatenate([t["plug_minutes"] for t in tables.values()])
    assert 900 <= np.median(starts) <= 1140 and np.median(plugged) >= 600


def test_unmanaged_kernel_matches_the_load(study):
    grid, homes, parts = study
    drawn = ev.sessions(homes, grid, TZ, 15, 11, EVS)
    plan = ev.schedule(drawn, len(homes), len(grid), 15.0)
    power, unmet = ev.simulate(plan)
    # Equal but where a session's charging runs into the interval of the car's next
    # plug-in: the kernel lays one session per interval, so that tail is cut with the
    # plug-out (neither charged nor owed), and unmanaged charging meets every need.
    gap = power.T - parts["ev_kw"]
    assert (gap < 1e-4).all()
    tails = gap < -1e-4
    assert tails.any() and (plan.arriving_kwh.T[tails] > 0).all()
    assert np.abs(gap[~tails]).max() < 1e-4
    assert unmet.sum() < 1e-9
    # What is neither charged nor unmet is still needed by cars plugged in at the end.
    assert power.sum() * 0.25 + unmet.sum() <= plan.arriving_kwh.sum() + 1e-9
    # No charger draws more than its power (a car charges one session at a time).
    assert (parts["ev_kw"] <= homes["ev_charger_kw"].to_numpy()[:, None] + 1e-4).all()


def home_sessions(arrival, charge_end, departure, power=7.2, n_steps=8):
    """One home's sessions at these minutes, laid out on ``n_steps`` 15-min intervals."""
    count = len(arrival)
    drawn = ev.Sessions(
        row=np.zeros(count, dtype=np.int64),
        home_id=np.zeros(count, dtype=np.int64),
        arrival_minute=np.array(arrival, dtype=float),
        charge_end_minute=np.array(charge_end, dtype=float),
        departure_minute=np.array(departure, dtype=float),
        power_kw=np.full(count, power),
    )
    return ev.schedule(drawn, 1, n_steps, 15.0)


def one_session(arrival, departure, charge_minutes, power=7.2, n_steps=8):
    return home_sessions([arrival], [arrival + charge_minutes], [departure], power, n_steps)


def test_kernel_clips_and_reports_unmet_energy():
    # Plugged in from minute 20 to 65 with a need of 7.2 kW x 90 min = 10.8 kWh: at most
    # 7.2 kW x 45 min = 5.4 kWh fits, so 5.4 kWh is unmet at departure.
    plan = one_session(20, 65, 90)
    assert np.allclose(plan.plugged[:, 0], [0, 10 / 15, 1, 1, 5 / 15, 0, 0, 0])
    kernel = ev.EVKernel(plan)
    state = kernel.initial_state()
    applied_all, unmet = [], 0.0
    for k in range(8):
        state, applied, info = kernel.step(state, np.array([50.0]), plan.at(k))
        applied_all.append(applied[0])
        unmet += info["unmet_kwh"][0]
        if k == 1:
            assert info["clipped"] == 1
    assert np.allclose(applied_all, 7.2 * plan.plugged[:, 0])
    assert np.isclose(unmet, 10.8 - 5.4)
    # A negative request is clipped to zero and the need stays.
    plan = one_session(0, 120, 30)
    kernel = ev.EVKernel(plan)
    state, applied, info = kernel.step(kernel.initial_state(), np.array([-3.0]), plan.at(0))
    assert applied[0] == 0.0 and np.isclose(state[0], 3.6) and info["clipped"] == 1


def test_a_session_before_the_grid_needs_only_what_is_left():
    # Plugged in 30 min before the grid with 60 min of charging: 30 min remain.
    plan = one_session(-30, 200, 60, power=4.0)
    assert np.isclose(plan.arriving_kwh[0, 0], 2.0)
    power, _ = ev.simulate(plan)
    assert np.allclose(power[:, 0], [4.0, 4.0, 0, 0, 0, 0, 0, 0])


def test_a_session_overrun_by_the_next_in_its_interval_is_reported():
    # Plug-ins at minutes 16 and 20 (the same interval): the first is dropped and its
    # 7.2 kW x 60 min = 7.2 kWh reported; the second is laid out.
    plan = home_sessions([16, 20], [76, 50], [20, 100])
    assert np.isclose(plan.dropped_kwh[0], 7.2)
    assert np.isclose(plan.arriving_kwh.sum(), 7.2 * 30 / 60)


def test_a_session_cut_by_the_next_plug_in_needs_only_what_its_window_holds():
    # Plug-ins at minutes 10 and 50: the first (7.2 kW for 40 min, plugged until minute 50)
    # is moved to plug out at minute 45, the start of the second's interval, and its charging
    # after minute 45 goes with it: 7.2 kW x 35 min = 4.2 kWh, all deliverable.
    plan = home_sessions([10, 50], [50, 60], [50, 100])
    assert np.isclose(plan.arriving_kwh[0, 0], 4.2)
    assert np.isclose(plan.arriving_kwh[3, 0], 7.2 * 10 / 60)
    deliverable = 7.2 * plan.plugged[:3, 0].sum() * 0.25
    assert np.isclose(deliverable, 4.2)
    _, unmet = ev.simulate(plan)
    assert unmet.sum() < 1e-12
