"""Dispatch strategies: the LP replayed through the battery kernel, against an independent
formulation (scipy's linprog on a matrix built another way), against the baselines it must beat,
infeasible homes reported, bad input refused."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import linprog

from vppsim.errors import ConfigError
from vppsim.fleet import dispatch
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
    run_dispatch,
    schedule_home,
    terminal_value,
    thermostat,
    unmanaged_ev,
)
from vppsim.fleet.kpis import fleet_summary, score

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


def _house(n: int, hour: np.ndarray, capacity_kw: float = 6.0) -> Thermal:
    """A 2-node RC house (air 2 kWh/K, mass 20 kWh/K, 0.5 K/kW between them, 3 K/kW to the
    outside), forward Euler on the 15-min grid: a stand-in for :mod:`vppsim.fleet.thermal`."""
    outdoor = 28 + 7 * np.sin(2 * np.pi * (hour - 9) / 24)
    c_air, c_mass, r_am, r_ao = 2.0, 20.0, 0.5, 3.0
    rates = np.array(
        [
            [-1 / (r_am * c_air) - 1 / (r_ao * c_air), 1 / (r_am * c_air)],
            [1 / (r_am * c_mass), -1 / (r_am * c_mass)],
        ]
    )
    drive = np.column_stack([DT * (outdoor / (r_ao * c_air) + 0.4 / c_air), np.zeros(n)])
    return Thermal(
        a=np.eye(2) + DT * rates,
        b_u=np.array([-DT / c_air, 0.0]),
        w=drive,
        cop=3.0 + 0.3 * np.cos(2 * np.pi * hour / 24),
        x0=np.array([24.0, 24.0]),
        setpoint_c=np.full(n, 24.0),
        band_c=1.5,
        capacity_kw=capacity_kw,
    )


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
            ev = EVSessions(
                arrival=arrival,
                departure=np.minimum(arrival + rng.integers(24, 44, days), n),
                energy_kwh=rng.uniform(4, 15, days),
                charger_kw=np.full(days, rng.choice([1.4, 7.2])),
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
    """The LP of :mod:`vppsim.fleet.dispatch` written again for scipy's linprog: the stored
    energy and the house temperatures eliminated (closed-form sums of the powers), every
    constraint an inequality row of one dense matrix, awards bounded by headroom only, the
    awards' energy checked at the start and the end of each interval."""
    n, dt = market.n, market.dt_h
    battery = assets.battery(SETTINGS)
    price = market.lmp * dt / 1000.0  # $ per kW over an interval
    blocks: dict[str, int] = {"c": n, "d": n, "q": n}
    hours = market.hours if market.ancillary is not None else 0
    blocks["a"] = 4 * hours
    ev = series.ev
    windows = (
        []
        if ev is None
        else [np.arange(a, b) for a, b in zip(ev.arrival, ev.departure, strict=True)]
    )
    blocks["e"] = sum(w.size for w in windows)
    blocks["u"] = blocks["hot"] = blocks["cold"] = n if series.thermal is not None else 0
    offset, at = {}, 0
    for name, size in blocks.items():
        offset[name] = np.arange(at, at + size)
        at += size
    width = at
    cost = np.zeros(width)
    lower, upper = np.zeros(width), np.full(width, np.inf)
    rows, rhs = [], []
    eq_rows, eq_rhs = [], []

    def row() -> np.ndarray:
        return np.zeros(width)

    # Meter flow m = fixed + M x (export positive).
    meter = np.zeros((n, width))
    fixed = series.pv_kw - series.base_kw
    t = np.arange(n)
    meter[t, offset["c"]] = -1.0
    meter[t, offset["d"]] = 1.0
    meter[t, offset["q"]] = -1.0
    upper[offset["q"]] = series.pv_kw
    if battery is None:
        upper[offset["c"]] = upper[offset["d"]] = upper[offset["a"]] = 0.0
    else:
        upper[offset["c"]], upper[offset["d"]] = battery.charge_kw, battery.discharge_kw
    for session, w in enumerate(windows):
        columns = offset["e"][sum(x.size for x in windows[:session]) :][: w.size]
        meter[w, columns] = -1.0
        upper[columns] = ev.charger_kw[session]
        r = row()
        r[columns] = dt
        eq_rows.append(r)
        eq_rhs.append(min(ev.energy_kwh[session], ev.charger_kw[session] * w.size * dt))
    if series.thermal is not None:
        th = series.thermal
        meter[t, offset["u"]] = -1.0 / th.cop
        upper[offset["u"]] = th.capacity_kw
        # x_k = A^(k+1) x0 + sum_{j<=k} A^(k-j) (b u_j + w_j); the air row of it.
        powers = [np.eye(th.x0.size)]
        for _ in range(n):
            powers.append(th.a @ powers[-1])
        for k in range(n):
            air = row()
            constant = (powers[k + 1] @ th.x0)[0]
            for j in range(k + 1):
                air[offset["u"][j]] = (powers[k - j] @ th.b_u)[0]
                constant += (powers[k - j] @ th.w[j])[0]
            top = air.copy()
            top[offset["hot"][k]] = -1.0
            rows.append(top)
            rhs.append(th.setpoint_c[k] + th.band_c - constant)
            bottom = -air
            bottom[offset["cold"][k]] = -1.0
            rows.append(bottom)
            rhs.append(constant - (th.setpoint_c[k] - th.band_c))
        cost[offset["hot"]] = cost[offset["cold"]] = SETTINGS.comfort_penalty_usd_per_kh * dt
    cost -= price @ meter
    constant = price @ fixed
    up_kw = np.zeros((n, width))
    if hours:
        awards = offset["a"].reshape(hours, 4)
        up_kw[t[:, None], awards[market.hour][:, UP]] = 1.0
        cost[awards] -= market.ancillary / 1000.0
    for k in range(n):
        rows.append(meter[k] + up_kw[k])
        rhs.append(assets.export_limit_kw - fixed[k])
    if battery is not None:
        keep = (1 - battery.standby_loss_per_h) ** dt
        s0 = battery.initial_soc * battery.usable_energy_kwh
        low, high = battery.min_energy_kwh, battery.usable_energy_kwh
        # soc_k = keep^(k+1) s0 + sum_{j<=k} keep^(k-j) (eta_c dt c_j - dt/eta_d d_j)
        decay = np.tril(keep ** (t[:, None] - t[None, :]).clip(0))
        soc = np.zeros((n, width))
        soc[:, offset["c"]] = decay * battery.charge_efficiency * dt
        soc[:, offset["d"]] = -decay * dt / battery.discharge_efficiency
        soc_constant = keep ** (t + 1) * s0
        kappa = battery.throughput_cost_usd_per_kwh
        cost[offset["d"]] += kappa * dt
        value = terminal_value(market, battery)
        cost -= value * soc[-1]
        constant += value * (soc_constant[-1] - s0)
        for k in range(n):
            rows += [-soc[k], soc[k]]
            rhs += [soc_constant[k] - low, high - soc_constant[k]]
        if hours:
            cost[awards[:, REGULATION]] += kappa * SETTINGS.regulation_throughput_share
            duration = SETTINGS.durations()
            for k in range(n):
                h = market.hour[k]
                headroom = row()
                headroom[offset["d"][k]] = 1.0
                headroom[awards[h, UP]] = 1.0
                rows.append(headroom)
                rhs.append(battery.discharge_kw)
                headroom = row()
                headroom[offset["c"][k]] = 1.0
                headroom[awards[h, ~UP]] = 1.0
                rows.append(headroom)
                rhs.append(battery.charge_kw)
                for state, const in (
                    (soc[k - 1] if k else row(), soc_constant[k - 1] if k else s0),
                    (soc[k], soc_constant[k]),
                ):
                    need = row()
                    need[awards[h, UP]] = duration[UP] / battery.discharge_efficiency
                    rows.append(need - state)
                    rhs.append(const - low)
                    room = row()
                    room[awards[h, ~UP]] = duration[~UP] * battery.charge_efficiency
                    rows.append(room + state)
                    rhs.append(high - const)
    solution = linprog(
        cost,
        A_ub=np.array(rows),
        b_ub=np.array(rhs),
        A_eq=np.array(eq_rows) if eq_rows else None,
        b_eq=np.array(eq_rhs) if eq_rhs else None,
        bounds=np.column_stack([lower, upper]),
        method="highs",
    )
    assert solution.status == 0, solution.message
    return constant - solution.fun


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


def test_parallel_workers_give_the_same_schedules(fleet):
    market, homes, assets, schedules = fleet
    two = dispatch_fleet(
        "lp", homes[:6], assets[:6], market, SETTINGS.model_copy(update={"workers": 2})
    )
    for a, b in zip(two, schedules["lp"][:6], strict=True):
        np.testing.assert_array_equal(a.charge_kw, b.charge_kw)
        np.testing.assert_array_equal(a.soc_kwh, b.soc_kwh)


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
    ev = EVSessions(np.array([70]), np.array([78]), np.array([40.0]), np.array([7.2]))
    homes[1] = HomeSeries(homes[1].base_kw, homes[1].pv_kw, ev)
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
    backwards = EVSessions(np.array([10]), np.array([5]), np.array([3.0]), np.array([7.2]))
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
    with pytest.raises(ConfigError, match="thermal b_u"):
        house = _house(market.n, market.local_hour)
        heater = Thermal(
            house.a, -house.b_u, house.w, house.cop, house.x0, house.setpoint_c, 1.0, 5.0
        )
        schedule_home(
            "none",
            HomeSeries(homes[0].base_kw, homes[0].pv_kw, None, heater),
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
    ev = EVSessions(np.array([2]), np.array([8]), np.array([4.0]), np.array([3.0]))
    np.testing.assert_allclose(unmanaged_ev(ev, 10, 0.5), [0, 0, 3, 3, 2, 0, 0, 0, 0, 0])
    n = 96
    house = _house(n, (np.arange(n) // 4) % 24, capacity_kw=50.0)
    cooling, air = thermostat(house, n)
    # Enough capacity: the air sits on the setpoint wherever the house would be warmer.
    hot = cooling > 0
    assert hot.sum() > 10
    np.testing.assert_allclose(air[hot], 24.0, atol=1e-9)
    assert np.all(air[~hot] <= 24.0 + 1e-9)


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
    assert np.all(lp.air_c <= 24.0 + 1.5 + 1e-7) and np.all(lp.air_c >= 24.0 - 1.5 - 1e-7)
    # Same cooling duty shifted to cheaper hours: it pays less for the same comfort.
    assert kpi_lp["energy revenue"] > kpi_none["energy revenue"]
    assert lp.air_c[market.local_hour == 17].mean() > none.air_c[market.local_hour == 17].mean()


def _frames(days: int = 1):
    """Dataset-shaped frames for three homes: the market, assets, load and PV."""
    rng = np.random.default_rng(9)
    grid = _market(days, rng)
    times = pd.date_range("2023-08-01 07:00", periods=grid.n, freq="15min", tz="UTC")
    market = pd.DataFrame({"timestamp": times, "lmp": grid.lmp})
    for j, product in enumerate(PRODUCTS):
        market[f"{product}_price"] = np.repeat(grid.ancillary[:, j], 4)
    homes, assets = _homes(3, grid, rng, flexible=False)
    table = pd.DataFrame([a.model_dump() for a in assets])
    table.insert(0, "home_id", [10, 11, 12])
    table["has_battery"] = table["battery_energy_kwh"] > 0
    table["enrolled"] = [True, True, False]
    ev = np.zeros(grid.n)
    ev[72:76] = 7.2
    load = pd.concat(
        pd.DataFrame(
            {
                "home_id": home_id,
                "timestamp": times,
                "load_kw": series.base_kw + (ev if home_id == 11 else 0.0),
                "ev_kw": ev if home_id == 11 else 0.0,
            }
        )
        for home_id, series in zip(table["home_id"], homes, strict=True)
    )
    pv = pd.concat(
        pd.DataFrame({"home_id": home_id, "timestamp": times, "pv_kw": series.pv_kw})
        for home_id, series in zip(table["home_id"], homes, strict=True)
    )
    return market, table, load, pv, homes


def test_market_from_frame_reads_hourly_as_prices():
    market, *_ = _frames()
    grid = market_from_frame(market)
    assert grid.ancillary.shape == (24, 4) and grid.dt_h == 0.25
    assert grid.local_hour[0] == 0  # 07:00 UTC is midnight in Los Angeles in August
    assert market_from_frame(market, ancillary=False).ancillary is None
    broken = market.copy()
    broken.loc[1, "spin_price"] += 1.0
    with pytest.raises(ConfigError, match="held across each hour"):
        market_from_frame(broken)


def test_run_dispatch_over_dataset_frames():
    market, table, load, pv, _ = _frames()
    ev = {11: EVSessions(np.array([70]), np.array([90]), np.array([7.2]), np.array([7.2]))}
    results = {
        s: run_dispatch(market, table, load, pv, s, SETTINGS, ev_sessions=ev)
        for s in ("none", "lp")
    }
    long, fleet, summary = results["lp"]
    assert len(long) == 3 * 96 and len(fleet) == 96
    assert summary["homes"] == 3 and summary["strategy"] == "lp"
    assert summary["objective"] >= results["none"][2]["objective"] - 1e-7
    assert summary["violations"] == 0
    # Home 12 is not enrolled: it stays on "none", its battery idle.
    assert long.loc[long.home_id == 12, ["charge_kw", "discharge_kw"]].abs().to_numpy().max() == 0
    # Home 11's EV moved out of the base load: the same energy, charged flexibly.
    charged = long.loc[long.home_id == 11, "ev_kw"].sum() * DT
    assert charged == pytest.approx(7.2, rel=1e-5)
    np.testing.assert_allclose(
        fleet["meter_kw"], long.groupby("timestamp")["meter_kw"].sum().to_numpy(), atol=1e-5
    )
