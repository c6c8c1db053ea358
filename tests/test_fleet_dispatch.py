"""Dispatch strategies: the LP replayed through the device kernels, against an independent
formulation (cvxpy, written from the two-node physics rather than the state-space matrices),
against the baselines it must beat, infeasible homes reported, bad input refused."""

from __future__ import annotations

import cvxpy as cp
import numpy as np
import pandas as pd
import pytest

from vppsim.errors import ConfigError
from vppsim.fleet import dispatch, ev, thermal
from vppsim.fleet.arbitrage import waste_price
from vppsim.fleet.battery import simulate
from vppsim.fleet.dispatch import (
    PRODUCTS,
    REGULATION,
    UP,
    DispatchSettings,
    EVSessions,
    HomeAssets,
    HomeSeries,
    Market,
    Thermal,
    dispatch_fleet,
    market_from_frame,
    optimal_schedule,
    rule_battery,
    schedule_home,
    terminal_value,
)
from vppsim.fleet.kpis import fleet_summary, score
from vppsim.fleet.run import ev_sessions

DT = 0.25
SETTINGS = DispatchSettings(regulation_throughput_share=0.1)


def _market(days: int, rng: np.random.Generator, ancillary: bool = True) -> Market:
    """A duck curve with noise: cheap at midday, dear in the evening [$/MWh]."""
    n = days * 96
    hour = (np.arange(n) // 4) % 24
    lmp = (
        50 - 30 * np.sin(np.pi * np.clip(hour - 7, 0, 10) / 10) + 60 * ((hour >= 17) & (hour < 21))
    )
    lmp = lmp + rng.normal(0, 12, n)
    prices = np.abs(rng.normal([8, 6, 5, 2], [6, 3, 4, 2], (n // 4, 4))) if ancillary else None
    return Market(lmp, DT, hour, prices)


def _house(n: int, hour: np.ndarray, capacity_kw: float = 6.0, band_c: float = 1.5) -> Thermal:
    """A house on :mod:`vppsim.fleet.thermal`'s model (air 0.4 kW/K to outdoors, 0.5 kW/K to
    a 20 kWh/K mass, 0.15 kW/K mass to outdoors, 6 m2 of solar aperture), its thermostat
    run by :func:`vppsim.fleet.thermal.simulate` at a 24 degC setpoint."""
    one = np.ones(1)
    model = thermal.ThermalModel(
        air_out=0.4 * one,
        air_mass=0.5 * one,
        mass_out=0.15 * one,
        capacitance=20.0 * one,
        aperture_m2=6.0 * one,
        cooling_kw=capacity_kw * one,
        heating_kw=0.0 * one,
        ac_cop=3.0 * one,
        heating_kw_per_kw=one,
        step_minutes=DT * 60.0,
        solar_to_air_share=0.3,
        cop_temperature_slope=0.03,
        cop_factor_range=(0.6, 1.5),
    )
    outdoor = (28 + 7 * np.sin(2 * np.pi * (hour - 9) / 24))[:, None]
    sun = np.clip(np.sin(np.pi * (hour + 0.5 - 6) / 13), 0, None)
    drive = thermal.drive(model, outdoor, 0.8 * sun, np.full((hour.size, 1), 0.4))
    setpoint = np.full((hour.size, 1), 24.0)
    run = thermal.simulate(model, drive, cool_setpoint=setpoint, mass0=np.array([24.0]))
    cop = thermal.cop(model, outdoor)
    drive = thermal.Drive(
        outdoor[:, 0], drive.air[:, 0], drive.mass[:, 0], setpoint[:, 0], cop[:, 0]
    )
    return Thermal(
        model,
        drive,
        24.0,
        band_c,
        run.heat_removed_kw[:, 0] / cop[:, 0],
        run.air_c[:, 0],
    )


def _sessions(n: int, arrival, departure, energy_kwh, charger_kw: float) -> EVSessions:
    """One home's sessions through the EV kernel's plan (whole intervals) and the adapter."""
    plugged, arriving = np.zeros((n, 1)), np.zeros((n, 1))
    departing = np.zeros((n, 1), dtype=bool)
    for a, b, e in zip(arrival, departure, energy_kwh, strict=True):
        plugged[a:b] = 1.0
        arriving[a] = e
        if b < n:  # a session still plugged in at the end does not depart
            departing[b - 1] = True
    plan = ev.Schedule(plugged, arriving, departing, np.array([charger_kw]), DT * 60, np.zeros(1))
    unmanaged, _ = ev.simulate(plan)
    return ev_sessions(plan, unmanaged)[0]


def _homes(count: int, market: Market, rng: np.random.Generator, flexible: bool = True):
    """Homes of random size: PV, battery, and (when ``flexible``) EV sessions and AC on
    alternate homes."""
    n = market.n
    hour = market.local_hour
    homes, assets = [], []
    for i in range(count):
        sun = np.clip(np.sin(np.pi * (hour + 0.5 - 6) / 13), 0, None)
        pv = rng.uniform(0, 8) * sun * rng.uniform(0.7, 1.0, n)
        base = rng.uniform(0.2, 1.5) + rng.gamma(2.0, 0.3, n)
        ev = thermal = None
        if flexible and i % 2 == 0:
            days = n // 96
            arrival = 96 * np.arange(days) + rng.integers(68, 76, days)
            ev = _sessions(
                n,
                arrival,
                np.minimum(arrival + rng.integers(24, 44, days), n),
                rng.uniform(4, 15, days),
                rng.choice([1.4, 7.2]),
            )
        if flexible and i % 3 == 0:
            thermal = _house(n, hour)
        homes.append(HomeSeries(base, pv, ev, thermal))
        assets.append(
            HomeAssets(
                export_limit_kw=rng.choice([3.0, 5.0, 10.0]),
                battery_energy_kwh=rng.choice([0.0, 9.7, 13.5]) if i else 13.5,
                battery_charge_kw=rng.choice([3.84, 5.0]),
                battery_discharge_kw=rng.choice([3.84, 5.0, 11.5]),
                battery_charge_efficiency=rng.uniform(0.92, 0.97),
                battery_discharge_efficiency=rng.uniform(0.92, 0.97),
                battery_min_soc=0.05,
                battery_backup_reserve=rng.choice([0.05, 0.2]),
                battery_standby_loss_per_h=rng.choice([0.0, 0.001]),
                battery_throughput_cost_usd_per_kwh=rng.uniform(0.0, 0.05),
            )
        )
    return homes, assets


def _independent_objective(series: HomeSeries, assets: HomeAssets, market: Market) -> float:
    """The problem of :mod:`vppsim.fleet.dispatch` written again in cvxpy and solved by
    Clarabel (an interior-point method): the house from the two-node balance of
    :mod:`vppsim.fleet.thermal` (air temperature a variable, the conductances, not the
    state-space coefficients), the EV charging one column per interval, the awards' energy
    checked at the start and the end of every interval."""
    n, dt = market.n, market.dt_h
    battery = assets.battery(SETTINGS)
    price = market.lmp * dt / 1000.0  # $ per kW over an interval
    zeros = np.zeros(n)
    q = cp.Variable(n, nonneg=True)
    constraints = [q <= series.pv_kw]
    meter = series.pv_kw - series.base_kw - q
    revenue = 0.0
    up = None
    if battery is not None:
        c, d, s = cp.Variable(n, nonneg=True), cp.Variable(n, nonneg=True), cp.Variable(n)
        keep = (1 - battery.standby_loss_per_h) ** dt
        s0 = battery.initial_soc * battery.usable_energy_kwh
        low, high = battery.min_energy_kwh, battery.usable_energy_kwh
        before = cp.hstack([np.array([s0]), s[:-1]])
        eta_c, eta_d = battery.charge_efficiency, battery.discharge_efficiency
        constraints += [
            s == keep * before + eta_c * dt * c - dt / eta_d * d,
            s >= low,
            s <= high,
            c <= battery.charge_kw,
            d <= battery.discharge_kw,
        ]
        meter = meter + d - c
        kappa = battery.throughput_cost_usd_per_kwh
        revenue += -kappa * dt * cp.sum(d) + terminal_value(market, battery) * (s[-1] - s0)
        if market.ancillary is not None:
            a = cp.Variable((market.hours, 4), nonneg=True)
            duration = SETTINGS.durations()
            up, down = cp.sum(a[:, UP], axis=1)[market.hour], cp.sum(a[:, ~UP], axis=1)[market.hour]
            up_kwh = a[:, UP] @ (duration[UP] / eta_d)
            down_kwh = a[:, ~UP] @ (duration[~UP] * eta_c)
            constraints += [d + up <= battery.discharge_kw, c + down <= battery.charge_kw]
            for state in (before, s):
                constraints += [
                    state - up_kwh[market.hour] >= low,
                    state + down_kwh[market.hour] <= high,
                ]
            revenue += cp.sum(cp.multiply(market.ancillary / 1000.0, a))
            revenue -= kappa * SETTINGS.regulation_throughput_share * cp.sum(a[:, REGULATION])
    if series.ev is not None:
        e = cp.Variable(n, nonneg=True)
        constraints.append(e <= series.ev.limit_kw)
        target = series.ev.target_kwh(dt)
        for k, (first, last) in enumerate(zip(series.ev.arrival, series.ev.departure, strict=True)):
            constraints.append(cp.sum(e[first:last]) * dt == target[k])
        meter = meter - e
    if series.thermal is not None:
        house = series.thermal
        model = house.model
        u, air, hot, cold = (cp.Variable(n) for _ in range(4))
        mass = cp.Variable(n + 1)
        keep = model.keep[0]
        constraints += [
            u >= 0,
            u <= model.cooling_kw[0],
            hot >= 0,
            cold >= 0,
            mass[0] == house.x0,
            # 0 = air_out (T_out - T_air) + air_mass (T_mass - T_air) + g_air - Q, with
            # v = (air_out T_out + g_air) / air_total the drive's air part.
            model.air_total[0] * (air - house.drive.air) == model.air_mass[0] * mass[:-1] - u,
            mass[1:]
            == keep * mass[:-1]
            + (1 - keep) * model.air_mass[0] / model.mass_total[0] * air
            + house.drive.mass,
            air <= house.drive.setpoint_c + house.band_c + hot,
            air >= np.minimum(house.drive.setpoint_c - house.band_c, house.thermostat_air_c) - cold,
        ]
        meter = meter - cp.multiply(1.0 / house.drive.cop, u)
        revenue -= SETTINGS.comfort_penalty_usd_per_kh * dt * cp.sum(hot + cold)
    constraints.append(meter + (zeros if up is None else up) <= assets.export_limit_kw)
    problem = cp.Problem(cp.Maximize(price @ meter + revenue), constraints)
    problem.solve(solver=cp.CLARABEL, tol_gap_abs=1e-10, tol_gap_rel=1e-10, tol_feas=1e-10)
    assert problem.status == cp.OPTIMAL, problem.status
    return float(problem.value)


@pytest.fixture(scope="module")
def fleet():
    rng = np.random.default_rng(12)
    market = _market(2, rng)
    homes, assets = _homes(20, market, rng)
    schedules = {s: dispatch_fleet(s, homes, assets, market, SETTINGS) for s in dispatch.STRATEGIES}
    return market, homes, assets, schedules


def test_lp_replays_through_the_battery_kernel(fleet):
    market, homes, assets, schedules = fleet
    checked = 0
    for series, home, schedule in zip(homes, assets, schedules["lp"], strict=True):
        kpi = score(schedule, series, home, market, SETTINGS)
        assert kpi["violations"] == 0, {k: v for k, v in kpi.items() if "violation" in k and v}
        battery = home.battery(SETTINGS)
        if battery is None:
            continue
        replay = simulate(schedule.charge_kw, schedule.discharge_kw, DT, battery)
        assert np.max(np.abs(replay - schedule.soc_kwh)) < 1e-6
        # The solver's own optimum is the score's objective: one objective, two codes.
        assert kpi["objective"] == pytest.approx(schedule.solver_objective, rel=1e-9, abs=1e-9)
        checked += 1
    assert checked >= 10
    assert sum(np.sum(s.awards_kw) for s in schedules["lp"] if s.awards_kw is not None) > 0


def test_lp_objective_equals_an_independent_formulation_on_20_homes(fleet):
    market, homes, assets, schedules = fleet
    for series, home, schedule in zip(homes, assets, schedules["lp"], strict=True):
        expected = _independent_objective(series, home, market)
        assert schedule.solver_objective == pytest.approx(expected, rel=1e-6, abs=1e-6)


def test_lp_earns_at_least_rule_and_none_on_every_home(fleet):
    market, homes, assets, schedules = fleet
    for i, (series, home) in enumerate(zip(homes, assets, strict=True)):
        kpis = {s: score(schedules[s][i], series, home, market, SETTINGS) for s in schedules}
        assert kpis["rule"]["violations"] == 0, {
            k: v for k, v in kpis["rule"].items() if v and "violation" in k
        }
        assert kpis["none"]["violations"] == 0
        assert kpis["lp"]["objective"] >= kpis["rule"]["objective"] - 1e-7
        assert kpis["lp"]["objective"] >= kpis["none"]["objective"] - 1e-7
    # The rule actually moves energy (so the comparison is not between idle batteries).
    assert sum(np.sum(s.discharge_kw) for s in schedules["rule"]) > 0


def test_fleet_summary_adds_homes_and_the_peak(fleet):
    market, homes, assets, schedules = fleet
    meters = {
        s: np.column_stack([x.meter_kw(h) for x, h in zip(schedules[s], homes, strict=True)])
        for s in schedules
    }
    scores = [
        score(x, h, a, market, SETTINGS)
        for x, h, a in zip(schedules["lp"], homes, assets, strict=True)
    ]
    summary = fleet_summary(
        scores, meters["lp"], meters["none"], [x.issues for x in schedules["lp"]]
    )
    assert summary["homes"] == 20
    assert summary["net revenue"] == pytest.approx(sum(s["net revenue"] for s in scores))
    assert summary["fleet peak kw"] == pytest.approx(np.max(-meters["lp"].sum(axis=1)))
    none_peak = np.max(-meters["none"].sum(axis=1))
    assert summary["peak reduction kw"] == pytest.approx(none_peak - summary["fleet peak kw"])


def test_a_home_schedule_does_not_depend_on_the_home_solved_before():
    rng = np.random.default_rng(3)
    market = _market(2, rng)
    homes, assets = _homes(3, market, rng, flexible=False)
    alone = optimal_schedule(homes[2], assets[0], market, SETTINGS)
    for other in homes[:2]:
        optimal_schedule(other, assets[0], market, SETTINGS)
        again = optimal_schedule(homes[2], assets[0], market, SETTINGS)
        np.testing.assert_array_equal(alone.charge_kw, again.charge_kw)
        np.testing.assert_array_equal(alone.awards_kw, again.awards_kw)


def test_no_simultaneous_charge_and_discharge_below_the_waste_price():
    rng = np.random.default_rng(4)
    market = _market(1, rng, ancillary=False)
    homes, assets = _homes(1, market, rng, flexible=False)
    home = assets[0].model_copy(update={"battery_throughput_cost_usd_per_kwh": 0.0})
    floor = waste_price(home.battery(SETTINGS))  # 0 $/MWh without throughput cost
    lmp = market.lmp.copy()
    lmp[32:72] = -200.0  # a long oversupply: the battery fills, then burning pays
    market = Market(lmp, DT, market.local_hour)
    schedule = optimal_schedule(homes[0], home, market, SETTINGS)
    assert schedule.mip_intervals == np.sum(lmp < floor) > 0
    both = (schedule.charge_kw > 1e-6) & (schedule.discharge_kw > 1e-6)
    assert not both.any()
    # The LP relaxation would burn energy there: the binary is what prevents it.
    relaxed = dispatch._solve(
        homes[0], home, home.battery(SETTINGS), market, SETTINGS, np.array([], dtype=int)
    )
    relaxed_both = (relaxed.charge_kw > 1e-6) & (relaxed.discharge_kw > 1e-6)
    assert relaxed_both[32:72].any()
    assert relaxed.solver_objective >= schedule.solver_objective - 1e-9
    kpi = score(schedule, homes[0], home, market, SETTINGS)
    assert kpi["violation: simultaneous"] == 0 and kpi["violations"] == 0


def test_infeasible_ev_home_is_reported_not_dropped():
    rng = np.random.default_rng(5)
    market = _market(1, rng)
    homes, assets = _homes(2, market, rng, flexible=False)
    car = _sessions(market.n, [70], [78], [40.0], 7.2)
    homes[1] = HomeSeries(homes[1].base_kw, homes[1].pv_kw, car)
    capacity = 7.2 * 8 * DT
    for strategy in dispatch.STRATEGIES:
        schedules = dispatch_fleet(strategy, homes, assets, market, SETTINGS)
        assert len(schedules) == 2
        assert schedules[0].issues == ()
        assert len(schedules[1].issues) == 1 and "40.00 kWh" in schedules[1].issues[0]
        kpi = score(schedules[1], homes[1], assets[1], market, SETTINGS)
        assert kpi["ev unmet kwh"] == pytest.approx(40.0 - capacity)
        assert kpi["violations"] == 0
        meters = np.column_stack([s.meter_kw(h) for s, h in zip(schedules, homes, strict=True)])
        scores = [
            score(s, h, a, market, SETTINGS)
            for s, h, a in zip(schedules, homes, assets, strict=True)
        ]
        summary = fleet_summary(scores, meters, issues=[s.issues for s in schedules])
        assert summary["homes with issues"] == 1
        assert summary["issues"][0].startswith("home 1: ev session 0")


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("battery_energy_kwh", -13.5, "battery_energy_kwh=-13.5"),
        ("battery_charge_efficiency", 1.2, "battery_charge_efficiency=1.2"),
        ("battery_backup_reserve", 0.01, "battery_backup_reserve=0.01 is below battery_min_soc"),
        ("export_limit_kw", float("nan"), "export_limit_kw=nan"),
        ("battery_discharge_kw", 0.0, "battery_discharge_kw must be > 0"),
    ],
)
def test_bad_assets_name_the_field(field, value, message):
    row = {
        "export_limit_kw": 5.0,
        "battery_energy_kwh": 13.5,
        "battery_charge_kw": 5.0,
        "battery_discharge_kw": 5.0,
        "battery_min_soc": 0.05,
        "battery_backup_reserve": 0.2,
        "home_id": 3,
    }
    row[field] = value
    with pytest.raises(ConfigError, match="home 7: .*" if "below" in message else None) as error:
        HomeAssets.from_row(row, home=7)
    assert message in str(error.value)
    assert "\n" not in str(error.value)


def test_missing_asset_column_is_named():
    with pytest.raises(ConfigError, match=r"^home 2: export_limit_kw: missing$"):
        HomeAssets.from_row({"battery_energy_kwh": 13.5}, home=2)


def test_bad_series_and_market_name_the_field():
    rng = np.random.default_rng(6)
    market = _market(1, rng)
    homes, assets = _homes(1, market, rng, flexible=False)
    short = HomeSeries(homes[0].base_kw[:-1], homes[0].pv_kw)
    with pytest.raises(ConfigError, match="base_kw: shape"):
        schedule_home("lp", short, assets[0], market, SETTINGS)
    backwards = EVSessions(
        *(np.array([x]) for x in (10, 5, 3.0, 7.2)),
        np.zeros(market.n),
        np.zeros(market.n),
        np.array([True]),
    )
    with pytest.raises(ConfigError, match="ev sessions"):
        schedule_home(
            "rule",
            HomeSeries(homes[0].base_kw, homes[0].pv_kw, backwards),
            assets[0],
            market,
            SETTINGS,
        )
    with pytest.raises(ConfigError, match="ancillary: need shape"):
        Market(market.lmp, DT, market.local_hour, np.zeros((3, 4)))
    with pytest.raises(ConfigError, match="strategy='best'"):
        dispatch_fleet("best", homes, assets, market, SETTINGS)
    with pytest.raises(ConfigError, match="thermal cop"):
        house = _house(market.n, market.local_hour)
        broken = Thermal(
            house.model,
            thermal.Drive(
                *(getattr(house.drive, f) for f in ("outdoor_c", "air", "mass", "setpoint_c")),
                -house.drive.cop,
            ),
            house.x0,
            1.0,
            house.thermostat_kw,
            house.thermostat_air_c,
        )
        schedule_home(
            "none",
            HomeSeries(homes[0].base_kw, homes[0].pv_kw, None, broken),
            assets[0],
            market,
            SETTINGS,
        )


def test_rule_charges_surplus_and_discharges_the_evening_to_the_reserve():
    battery = HomeAssets(
        export_limit_kw=5.0,
        battery_energy_kwh=10.0,
        battery_charge_kw=4.0,
        battery_discharge_kw=4.0,
        battery_charge_efficiency=1.0,
        battery_discharge_efficiency=1.0,
        battery_backup_reserve=0.2,
    ).battery(DispatchSettings(initial_soc=0.5))
    net = np.array([2.0, 6.0, -1.0, -1.0, -1.0, -1.0, 3.0, -0.5])
    peak = np.array([False, False, False, False, True, True, True, False])
    charge, discharge, soc = rule_battery(net, peak, 5.0, battery, 1.0)
    # 5 kWh, +2, +3 (full at 10: room 3 of the 4 kW surplus), -1, -1, then the peak: 4 kW
    # (exporting 3 kW over the 1 kW load, within the 5 kW limit) down to the 2 kWh reserve.
    np.testing.assert_allclose(charge, [2, 3, 0, 0, 0, 0, 0, 0])
    np.testing.assert_allclose(discharge, [0, 0, 1, 1, 4, 2, 0, 0])
    np.testing.assert_allclose(soc, [7, 10, 9, 8, 4, 2, 2, 2])


def test_unmanaged_ev_and_thermostat_closed_forms():
    # 4 kWh at 3 kW over 15-min intervals: five full intervals (3.75 kWh), then 1 kW.
    car = _sessions(10, [2], [8], [4.0], 3.0)
    np.testing.assert_allclose(car.unmanaged_kw, [0, 0, 3, 3, 3, 3, 3, 1, 0, 0])
    assert car.leaves.tolist() == [True] and car.target_kwh(DT).tolist() == [4.0]
    # A session still plugged in at the end is owed what it can take by then.
    cut = _sessions(10, [6], [10], [9.0], 3.0)
    assert cut.leaves.tolist() == [False] and cut.target_kwh(DT) == pytest.approx([3.0])
    n = 96
    house = _house(n, (np.arange(n) // 4) % 24, capacity_kw=50.0)
    cooling = house.thermostat_kw
    # Enough capacity: the air sits on the setpoint wherever the house would be warmer.
    hot = cooling > 0
    assert hot.sum() > 10
    np.testing.assert_allclose(house.thermostat_air_c[hot], 24.0, atol=1e-9)
    assert np.all(house.thermostat_air_c[~hot] <= 24.0 + 1e-9)


def test_lp_precools_within_the_band():
    rng = np.random.default_rng(8)
    market = _market(1, rng, ancillary=False)
    house = _house(market.n, market.local_hour)
    series = HomeSeries(np.full(market.n, 0.5), np.zeros(market.n), None, house)
    assets = HomeAssets(export_limit_kw=5.0)
    lp = optimal_schedule(series, assets, market, SETTINGS)
    none = schedule_home("none", series, assets, market, SETTINGS)
    kpi_lp, kpi_none = (score(s, series, assets, market, SETTINGS) for s in (lp, none))
    assert kpi_lp["comfort degree hours"] == pytest.approx(0.0, abs=1e-7)
    assert np.all(lp.air_c <= 24.0 + 1.5 + 1e-7) and np.all(lp.air_c >= house.floor_c - 1e-7)
    assert house.floor_c.max() == pytest.approx(24.0 - 1.5)
    # Same cooling duty shifted to cheaper hours: it pays less for the same comfort.
    assert kpi_lp["energy revenue"] > kpi_none["energy revenue"]
    assert lp.air_c[market.local_hour == 17].mean() > none.air_c[market.local_hour == 17].mean()


def _market_frame(days: int = 1) -> pd.DataFrame:
    """The ``market`` dataset's shape: 15-min LMP and hourly AS prices from 07:00 UTC."""
    grid = _market(days, np.random.default_rng(9))
    times = pd.date_range("2023-08-01 07:00", periods=grid.n, freq="15min", tz="UTC")
    market = pd.DataFrame({"timestamp": times.as_unit("us"), "lmp": grid.lmp})
    for j, product in enumerate(PRODUCTS):
        market[f"{product}_price"] = np.repeat(grid.ancillary[:, j], 4)
    return market


def test_market_from_frame_reads_hourly_as_prices():
    market = _market_frame()
    grid = market_from_frame(market)
    assert grid.ancillary.shape == (24, 4) and grid.dt_h == 0.25
    assert grid.local_hour[0] == 0  # 07:00 UTC is midnight in Los Angeles in August
    assert market_from_frame(market, ancillary=False).ancillary is None
    broken = market.copy()
    broken.loc[1, "spin_price"] += 1.0
    with pytest.raises(ConfigError, match="held across each hour"):
        market_from_frame(broken)
