"""The VPP environment: settlement closed forms, the LP's schedule replayed through the env
reproducing the LP's numbers, Gymnasium's checker, observations that never look ahead, and
the homes' needs the simulator holds whatever the agent asks."""

from __future__ import annotations

import socket
from dataclasses import replace

import anyio
import gymnasium
import numpy as np
import pytest
from fastapi.testclient import TestClient
from gymnasium.utils.env_checker import check_env
from mcp import Client
from typer.testing import CliRunner

import vppsim.env
from vppsim.cli import app
from vppsim.env import agents, bidding
from vppsim.env import gym as vgym
from vppsim.env import settlement as st
from vppsim.env.gym import price_feed
from vppsim.env.score import Replay, ScoringEnv, Task, schedule_actions
from vppsim.env.score import score as score_agent
from vppsim.env.simulator import FleetSimulator
from vppsim.errors import ConfigError
from vppsim.fleet import run
from vppsim.fleet.dispatch import DispatchSettings, market_from_frame
from vppsim.fleet.kpis import score
from vppsim.serve import create_api, create_mcp


@pytest.fixture(scope="module")
def data(env_root):
    return vgym.load(env_root)


# --- settlement (pure) -------------------------------------------------------------------------


def test_settlement_lines_are_their_closed_forms_and_sum_to_net():
    rng = np.random.default_rng(0)
    n, dt = 8, 0.25
    da, fmm = rng.uniform(-20, 200, n), rng.uniform(-50, 900, n)
    award, meter = rng.uniform(-50, 50, n), rng.uniform(-80, 80, n)
    price, held = rng.uniform(0, 30, (n, 4)), rng.uniform(0, 40, (n, 4))
    short, wear = rng.uniform(0, 1, (n, 4)), rng.uniform(0, 2, n)
    rules = st.SettlementRules(penalty_multiple=2.0)
    lines = st.settle(dt, da, fmm, award, meter, price, held, short, wear, rules)
    np.testing.assert_allclose(lines["da_energy"], award * da * dt / 1000)
    np.testing.assert_allclose(lines["rt_imbalance"], (meter - award) * fmm * dt / 1000)
    np.testing.assert_allclose(lines["as_capacity"], (price * held).sum(axis=1) * dt / 1000)
    np.testing.assert_allclose(lines["no_pay"], -(price * held * short).sum(axis=1) * dt / 1000)
    np.testing.assert_allclose(lines["penalty"], 2.0 * lines["no_pay"])
    np.testing.assert_allclose(lines["degradation"], -wear)
    np.testing.assert_allclose(lines["net"], sum(lines[name] for name in st.LINES))
    # With the DA price equal to the FMM price the award cancels: the meter at the price.
    same = st.settle(dt, fmm, fmm, award, meter, price, held, short, wear, rules)
    np.testing.assert_allclose(
        same["da_energy"] + same["rt_imbalance"], meter * fmm * dt / 1000, rtol=1e-12
    )
    days = st.per_day(lines, np.array([0, 0, 0, 1, 1, 1, 2, 2]))
    np.testing.assert_allclose(
        days["net"], [lines["net"][:3].sum(), lines["net"][3:6].sum(), lines["net"][6:].sum()]
    )


def test_shortfall_takes_the_weaker_of_power_and_energy():
    durations = DispatchSettings().durations()  # regup 1 h, regdown 1 h, spin and nonspin 0.5 h
    award = np.array([10.0, 4.0, 10.0, 0.0])  # 20 kW up, 4 kW down
    # Power 15 of 20 kW up; energy 30 of 10 x 1 + 10 x 0.5 = 15 kWh: power binds, 1/4 short.
    share = st.shortfall(award, np.array([15.0, 8.0]), np.array([30.0, 1.0]), durations)
    np.testing.assert_allclose(share[[0, 2, 3]], 0.25)
    # Down: power 8 >= 4 kW but room 1 kWh for 4 kWh: 3/4 short.
    np.testing.assert_allclose(share[1], 0.75)
    backed = st.shortfall(award, np.array([20.0, 4.0]), np.array([15.0, 4.0]), durations)
    np.testing.assert_allclose(backed, 0.0)
    np.testing.assert_allclose(st.shortfall(np.zeros(4), np.zeros(2), np.zeros(2), durations), 0.0)


# --- the LP replayed --------------------------------------------------------------------------


SCORED = (
    "energy revenue",
    "as revenue",
    "degradation cost",
    "net revenue",
    "terminal value",
    "comfort cost",
    "objective",
    "violations",
)


def test_the_lp_schedule_replayed_through_the_env_reproduces_the_lp(env_root):
    study = run.read_study(env_root)
    # A uniform throughput cost and a regulation share, so degradation is tested too.
    assets = study.assets.assign(battery_throughput_cost_usd_per_kwh=0.03)
    study = replace(study, assets=assets)
    settings = DispatchSettings(regulation_throughput_share=0.2)
    market = market_from_frame(study.market, study.timezone, True)
    chunk = run.prepare_chunk(study, np.flatnonzero(assets["enrolled"].to_numpy(bool)))
    schedules = run.schedule_chunk(chunk, "lp", market, settings)
    scores = [
        score(s, x, a, market, settings)
        for s, x, a in zip(schedules, chunk.series, chunk.assets, strict=True)
    ]
    lp = {key: sum(s[key] for s in scores) for key in SCORED}
    assert lp["violations"] == 0
    assert lp["as revenue"] > 1 and lp["degradation cost"] > 0.1
    kinds = [sum(getattr(x, kind) is not None for x in chunk.series) for kind in ("ev", "thermal")]
    assert min(kinds) >= 3  # the LP moves EV charging and air conditioners too
    awards = sum(s.awards_kw for s in schedules if s.awards_kw is not None)

    env = vgym.VppEnv(vgym.from_study(study, settings))
    actions = schedule_actions(schedules, chunk.series, chunk.assets)
    _, info = env.reset(options={"as_award_kw": awards.tolist()})
    assert info["home_ids"] == chunk.home_ids.tolist()
    total, comfort, terminal, clipped = 0.0, 0.0, 0.0, 0
    for action in actions:
        _, reward, terminated, _, info = env.step(action)
        total += reward
        comfort += info["comfort_usd"]
        terminal += info["terminal_value_usd"]
        clipped += info["clipped"]["ev need"] + info["clipped"]["battery export"]
    assert terminated and clipped == 0
    lines = info["settlement_total"]
    assert lines["da_energy"] == 0.0
    assert lines["rt_imbalance"] == pytest.approx(lp["energy revenue"], abs=1e-6)
    assert lines["as_capacity"] == pytest.approx(lp["as revenue"], abs=1e-6)
    assert lines["degradation"] == pytest.approx(-lp["degradation cost"], abs=1e-6)
    assert abs(lines["no_pay"]) < 1e-6 and abs(lines["penalty"]) < 1e-6
    assert lines["net"] == pytest.approx(lp["net revenue"], abs=1e-6)
    assert comfort == pytest.approx(lp["comfort cost"], abs=1e-6)
    assert terminal == pytest.approx(lp["terminal value"], abs=1e-6)
    assert total == pytest.approx(lp["objective"], abs=1e-6)

    # The same awards with an idle fleet: the batteries back them only while their stored
    # energy lasts, and what they cannot back is rescinded and penalised.
    env.reset(options={"as_award_kw": (awards * 3).tolist()})
    for action in np.zeros_like(actions):
        _, _, _, _, info = env.step(action)
    short = info["settlement_total"]
    assert short["no_pay"] < -1.0
    assert short["penalty"] == pytest.approx(short["no_pay"], rel=1e-9)  # multiple 1


def test_per_home_awards_charge_each_battery_its_own_regulation_throughput(env_root):
    study = run.read_study(env_root)
    costs = 0.01 + 0.01 * (np.arange(len(study.assets)) % 5)  # 0.01 to 0.05 $/kWh
    study = replace(study, assets=study.assets.assign(battery_throughput_cost_usd_per_kwh=costs))
    task = Task.from_study(study, DispatchSettings(regulation_throughput_share=0.2))
    env = ScoringEnv(task)
    agent = agents.perfect_foresight(env)
    hours = -(-task.data.fleet.n // 4)
    assert agent.options["as_award_kw"].shape == (hours, task.data.fleet.homes, 4)
    result = score_agent(env, agent)
    wear = sum(
        score(s, x, a, task.market, task.settings)["degradation cost"]
        for s, x, a in zip(task.optimum, task.chunk.series, task.chunk.assets, strict=True)
    )
    assert wear > 0.1
    assert result.settlement["degradation"] == pytest.approx(-wear, abs=1e-6)
    assert result.regret == pytest.approx(0.0, abs=1e-6)
    # The fleet's award alone settles the same capacity, but spread over the batteries pro
    # rata to their discharge rating it charges other costs than the LP's.
    fleet = Replay(agent.actions, {"as_award_kw": agent.options["as_award_kw"].sum(axis=1)})
    pro_rata = score_agent(env, fleet)
    assert pro_rata.settlement["as_capacity"] == pytest.approx(
        result.settlement["as_capacity"], abs=1e-9
    )
    assert abs(pro_rata.settlement["degradation"] - result.settlement["degradation"]) > 1e-3
    # An award on a home without a battery is refused in one line.
    awards = agent.options["as_award_kw"].copy()
    idle = np.setdiff1d(np.arange(task.data.fleet.homes), task.data.fleet.battery_rows)[0]
    awards[0, idle, 0] = 1.0
    home = task.data.fleet.home_ids[idle]
    with pytest.raises(ConfigError, match=f"as_award_kw: home {home} has no battery"):
        env.reset(options={"as_award_kw": awards})


# --- Gymnasium --------------------------------------------------------------------------------


def test_check_env_passes_and_make_without_arguments_is_the_default_study(data):
    check_env(vgym.VppEnv(data), skip_render_check=True)
    env = gymnasium.make(vppsim.env.ENV_ID)
    obs, info = env.reset(seed=3)
    assert info["home_ids"] == data.fleet.home_ids.tolist()
    assert info["aggregation"]["meets_minimum"]  # >= 100 kW of batteries (CAISO's DERA)
    assert env.observation_space.contains(obs)
    assert env.action_space.shape == (data.fleet.homes, 4)


def _episode(env, actions, steps):
    observations, rewards = [env.reset(seed=0)[0]], []
    for action in actions[:steps]:
        obs, reward, *_ = env.step(action)
        observations.append(obs)
        rewards.append(reward)
    return observations, rewards


def test_observations_never_reveal_the_future(data):
    fleet, k0 = data.fleet, 40  # 10:00 local on the first day: tomorrow's DA not out yet
    now = data.timestamps[k0].value
    changed_forecasts = {
        name: replace(
            f, values=np.where((f.issued > now)[:, None, None], f.values * 2 + 7, f.values)
        )
        for name, f in data.forecasts.items()
    }
    assert any((f.issued > now).any() for f in data.forecasts.values())
    tomorrow = np.arange(fleet.n) >= 96
    future = replace(
        data,
        fmm_lmp=np.where(np.arange(fleet.n) >= k0, data.fmm_lmp * 3 + 50, data.fmm_lmp),
        da_lmp=np.where(tomorrow, data.da_lmp + 80, data.da_lmp),
        as_price=np.where(tomorrow[:, None], data.as_price + 5, data.as_price),
        forecasts=changed_forecasts,
        fleet=replace(
            fleet,
            pv_kw=np.where(np.arange(fleet.n)[:, None] >= k0, 0.0, fleet.pv_kw),
            base_kw=np.where(np.arange(fleet.n)[:, None] >= k0, fleet.base_kw + 3, fleet.base_kw),
        ),
    )
    rng = np.random.default_rng(7)
    env, other = vgym.VppEnv(data), vgym.VppEnv(future)
    actions = [env.action_space.low + rng.random(env.action_space.shape) * 2 for _ in range(60)]
    actions = [np.clip(a, env.action_space.low, env.action_space.high) for a in actions]
    seen, _ = _episode(env, actions, 60)
    changed, _ = _episode(other, actions, 60)
    for k in range(k0 + 1):
        for key in seen[k]:
            np.testing.assert_array_equal(seen[k][key], changed[k][key], err_msg=f"{k} {key}")
    # The controls: the FMM price of interval k0 shows once it is over, a forecast issued
    # after k0 once issued, and tomorrow's day-ahead prices at 13:00 (step 52).
    assert not np.array_equal(seen[k0 + 1]["fmm_lmp"], changed[k0 + 1]["fmm_lmp"])
    assert not np.array_equal(seen[k0 + 4]["forecast_lmp"], changed[k0 + 4]["forecast_lmp"])
    assert seen[51]["da_published"].tolist() == [1.0, 0.0]
    assert seen[52]["da_published"].tolist() == [1.0, 1.0]
    np.testing.assert_array_equal(seen[51]["da_lmp"], changed[51]["da_lmp"])
    assert not np.array_equal(seen[52]["da_lmp"], changed[52]["da_lmp"])


def test_the_same_actions_give_the_same_episode(data):
    first, second = vgym.VppEnv(data), vgym.VppEnv(data)
    first.action_space.seed(1)
    actions = [first.action_space.sample() for _ in range(30)]
    one, rewards_one = _episode(first, actions, 30)
    two, rewards_two = _episode(second, actions, 30)
    assert rewards_one == rewards_two
    for a, b in zip(one, two, strict=True):
        for key in a:
            np.testing.assert_array_equal(a[key], b[key])


def test_bad_day_ahead_positions_are_one_line_errors(data):
    env = vgym.VppEnv(data)
    with pytest.raises(ConfigError, match="as_award_kw: need shape"):
        env.reset(options={"as_award_kw": [[1.0, 2.0]]})
    with pytest.raises(ConfigError, match="unknown key 'bids'"):
        env.reset(options={"bids": []})
    hours = -(-data.fleet.n // 4)
    env.reset(options={"da_award_kw": [5.0] * hours})
    _, _, _, _, info = env.step(np.zeros(env.action_space.shape))
    price = data.da_lmp[0]
    assert info["settlement"]["da_energy"] == pytest.approx(5.0 * price * 0.25 / 1000)


# --- the homes' needs -------------------------------------------------------------------------


def test_the_simulator_holds_the_homes_needs_whatever_the_agent_asks(data):
    fleet = data.fleet
    sim = FleetSimulator(fleet)
    # Never charge the cars, discharge every battery, never cool: the cars still leave with
    # every kWh their plugged-in time allows, the meter stays under the export limit.
    ask = np.tile([-1.0, 0.0, 0.0, 0.0], (fleet.homes, 1))
    unmet, over = 0.0, 0
    for _ in range(fleet.n):
        result = sim.step(ask)
        unmet += result.ev_unmet_kwh
        over += int(np.sum(result.meter_kw > fleet.export_limit_kw + 1e-9))
    plan = fleet.ev_plan
    possible = 0.0
    for j in range(plan.power_kw.size):
        arrivals = np.flatnonzero(plan.arriving_kwh[:, j] > 0)
        for first in arrivals:
            leaving = np.flatnonzero(plan.departing[first:, j])
            if leaving.size:
                window = plan.plugged[first : first + leaving[0] + 1, j]
                room = window.sum() * plan.power_kw[j] * fleet.dt_h
                possible += max(plan.arriving_kwh[first, j] - room, 0.0)
    assert fleet.ev_rows.size > 0
    assert unmet == pytest.approx(possible, abs=1e-6)
    assert over == 0
    # Full cooling never cools the air below the band's lower edge (the air may still fall
    # below it with the AC off, from the cold mass of earlier cooling).
    sim.reset()
    cool = np.tile([0.0, 0.0, 1.0, 0.0], (fleet.homes, 1))
    below = running = 0
    for k in range(fleet.n):
        result = sim.step(cool)
        on = result.ac_kw[fleet.ac_rows] > 1e-9
        below += int(np.sum(on & (result.air_c[fleet.ac_rows] < fleet.floor_c[k] - 1e-9)))
        running += int(on.sum())
    assert fleet.ac_rows.size > 0 and running > 100 and below == 0


def test_the_headroom_follows_the_batteries_state_of_health(data):
    fleet, dt = data.fleet, data.fleet.dt_h
    b = fleet.batteries
    cycle, calendar = 0.009, 0.02  # [1 per equivalent cycle], [1/yr]
    aged = replace(
        b,
        cycle_fade_per_equivalent_cycle=np.full(len(b), cycle),
        calendar_fade_per_year=np.full(len(b), calendar),
    )
    new, old = FleetSimulator(fleet), FleetSimulator(replace(fleet, batteries=aged))
    ask = np.tile([-0.5, 0.0, 0.0, 0.0], (fleet.homes, 1))
    discharged, steps = np.zeros(len(b)), 2
    for _ in range(steps):
        before = new.battery_state.soc_kwh.copy()
        result = new.step(ask)
        old.step(ask)
        discharged += result.discharge_kw[fleet.battery_rows] * dt
    # Neither fleet reached its floor: the same energies, only the health differs.
    np.testing.assert_array_equal(new.battery_state.soc_kwh, old.battery_state.soc_kwh)
    assert discharged.min() > 0
    soh = 1.0 - cycle * discharged / b.energy_kwh - calendar * steps * dt / 8760.0
    np.testing.assert_allclose(old.battery_state.soh, soh, rtol=1e-12)
    power_new, energy_new = new.headroom(before)
    power_old, energy_old = old.headroom(before)
    np.testing.assert_array_equal(power_new, power_old)
    lost = b.energy_kwh * (1.0 - soh)  # [kWh] of capacity faded
    floor = np.maximum(b.min_soc, b.backup_reserve)
    # Down: the room below full shrinks by the capacity lost; up: the floor, a share of the
    # capacity, falls with it.
    np.testing.assert_allclose(
        energy_new - energy_old,
        [-np.sum(floor * lost * b.discharge_efficiency), np.sum(lost / b.charge_efficiency)],
        rtol=1e-9,
    )
    assert energy_new[1] - energy_old[1] > 0.1


# --- bidding mode -----------------------------------------------------------------------------


def test_clearing_awards_the_bids_in_the_money():
    lmp = np.array([30.0, 60.0, -10.0])
    energy, awards = bidding.clear(
        np.array([10.0, 10.0, -5.0]),
        np.array([50.0, 50.0, 0.0]),
        np.array([[1.0, 2.0, 3.0, 4.0]] * 3),
        np.array([[5.0, 0.0, 9.0, 1.0]] * 3),
        lmp,
        np.full((3, 4), 5.0),
    )
    # Sells at 50 clear only at 60; a purchase at 0 clears at -10.
    np.testing.assert_array_equal(energy, [0.0, 10.0, -5.0])
    np.testing.assert_array_equal(awards, [[1.0, 2.0, 0.0, 4.0]] * 3)


def test_bidding_mode_settles_what_it_cleared(data):
    env = gymnasium.make(vppsim.env.ENV_ID, mode="bidding", data=data)
    check_env(env.unwrapped, skip_render_check=True)
    obs, _ = env.reset(seed=0)
    assert obs["trading_day"].tolist() == [0.0]
    inner = env.unwrapped.inner
    # Sell 2 kW every hour at the bid floor (always cleared), offer 1 kW of each AS product
    # at 0 (always cleared): the day-ahead lines are their closed forms.
    bid = {
        "energy_kw": np.full(24, 2.0),
        "energy_price": np.full(24, bidding.ENERGY_BID_FLOOR),
        "as_kw": np.ones((24, 4)),
        "as_price": np.zeros((24, 4)),
    }
    steps, total, terminated, comfort, terminal = 0, 0.0, False, 0.0, 0.0
    while not terminated:
        _, reward, terminated, _, info = env.step(bid)
        total += reward
        comfort += info["comfort_usd"]
        terminal += info["terminal_value_usd"]
        steps += 1
    assert steps == inner.days
    lines = info["settlement_total"]
    dt = data.fleet.dt_h
    assert lines["da_energy"] == pytest.approx(float(np.sum(2.0 * data.da_lmp)) * dt / 1000)
    assert lines["as_capacity"] == pytest.approx(float(np.sum(data.as_price)) * dt / 1000)
    assert lines["net"] == pytest.approx(sum(lines[name] for name in st.LINES))
    assert total == pytest.approx(lines["net"] - comfort + terminal, abs=1e-9)


def test_bidding_observations_never_reveal_the_next_days_prices(data):
    later = replace(data, da_lmp=np.where(np.arange(data.fleet.n) >= 96, 500.0, data.da_lmp))
    env, other = bidding.BiddingEnv(data), bidding.BiddingEnv(later)
    bid = {
        "energy_kw": np.zeros(24),
        "energy_price": np.zeros(24),
        "as_kw": np.zeros((24, 4)),
        "as_price": np.zeros((24, 4)),
    }
    first = [env.reset(seed=0)[0], env.step(bid)[0]]
    second = [other.reset(seed=0)[0], other.step(bid)[0]]
    for a, b in zip(first, second, strict=True):  # at 10:00 on day 0, day 1's DA is not out
        for key in a:
            np.testing.assert_array_equal(a[key], b[key], err_msg=key)
    assert first[1]["trading_day"].tolist() == [1.0]
    # Nor the first day's: its deadline was before the period, so the agent bids it blind.
    sooner = replace(data, da_lmp=np.where(np.arange(data.fleet.n) < 96, 500.0, data.da_lmp))
    blind, other = (
        bidding.BiddingEnv(data).reset(seed=0)[0],
        bidding.BiddingEnv(sooner).reset(seed=0)[0],
    )
    for key in blind:
        np.testing.assert_array_equal(blind[key], other[key], err_msg=key)
    assert blind["da_published"].tolist() == [0.0, 0.0]


def test_the_price_feed_tells_each_fmm_price_when_its_interval_ends(data):
    events = list(price_feed(data)())
    assert len(events) == len(data.timestamps)
    times = [t for t, _ in events]
    assert times[0] == 900.0 and np.all(np.diff(times) == 900.0)  # 15-min intervals
    first = events[0][1]
    assert first["interval_start"] == data.timestamps[0].strftime("%Y-%m-%dT%H:%M:%SZ")
    assert first["lmp_usd_per_mwh"] == data.fmm_lmp[0]
    assert [e["da_lmp_usd_per_mwh"] for _, e in events] == data.da_lmp.tolist()


def test_serve_names_bad_options_and_a_taken_port_in_one_line(tmp_path):
    runner = CliRunner()
    result = runner.invoke(app, ["serve", "--mode", "auction"])
    assert result.exit_code == 2 and "--mode auction: choose dispatch or bidding" in result.output
    result = runner.invoke(app, ["serve", "--mcp", "sse"])
    assert result.exit_code == 2 and "--mcp sse: choose stdio or http" in result.output
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = runner.invoke(app, ["serve", str(tmp_path), "--port", str(port)])
    assert result.exit_code == 2 and f"cannot serve on 127.0.0.1:{port}: in use" in result.output
    result = runner.invoke(app, ["serve", str(tmp_path / "missing"), "--port", str(port)])
    assert result.exit_code == 2 and "no such dataset folder" in result.output
    assert "Traceback" not in result.output


def test_an_mcp_client_bids_a_trading_day_of_the_vppsim_env(data):
    """What an LLM agent does: list the tools, read the day's observation, bid, advance a
    day, read the settlement (the same lines as the env's own)."""
    server = create_mcp(lambda: vgym.make_env("bidding", data=data))
    bid = {
        "energy_kw": [2.0] * 24,
        "energy_price": [bidding.ENERGY_BID_FLOOR] * 24,
        "as_kw": [[1.0] * 4] * 24,
        "as_price": [[0.0] * 4] * 24,
    }

    async def session():
        async with Client(server) as mcp:
            tools = {t.name for t in (await mcp.list_tools()).tools}
            assert {"new_episode", "observe", "step", "settlement"} <= tools
            episode = (await mcp.call_tool("new_episode", {"seed": 0})).structured_content
            seen = await mcp.call_tool("observe", {"episode": episode["episode"]})
            assert seen.structured_content["observation"]["trading_day"] == [0.0]
            stepped = await mcp.call_tool("step", {"episode": episode["episode"], "action": bid})
            assert not stepped.is_error
            settled = await mcp.call_tool("settlement", {"episode": episode["episode"]})
            return stepped.structured_content, settled.structured_content

    stepped, settled = anyio.run(session)
    env = vgym.make_env("bidding", data=data)
    env.reset(seed=0)
    _, reward, _, _, info = env.step({k: np.asarray(v) for k, v in bid.items()})
    assert stepped["reward"] == pytest.approx(reward)
    assert settled["total"] == pytest.approx(info["settlement_total"])
    assert settled["steps"] == 1 and settled["total"]["da_energy"] != 0


def test_the_http_api_refuses_bad_reset_options_naming_them_and_fits_the_fleets_action(data):
    client = TestClient(create_api(lambda: vgym.make_env("dispatch", data=data)))
    answer = client.post("/episodes", json={"seed": 0, "options": {"bogus": 1}})
    assert answer.status_code == 422 and "options: unknown key 'bogus'" in answer.text
    episode = client.post("/episodes", json={"seed": 0}).json()["episode"]
    action = np.zeros((data.fleet.homes, 4)).tolist()
    stepped = client.post(f"/episodes/{episode}/step", json={"action": action})
    assert stepped.status_code == 200 and stepped.json()["steps"] == 1


def test_an_issue_is_stored_over_its_own_targets_and_windowed_on_the_grid(data):
    values = np.arange(1.0, 7.0).reshape(2, 3, 1)  # issue 0: targets 2-4, issue 1: 5-7
    f = vgym.IssuedForecasts(np.array([0, 1]), np.array([2, 5]), values)
    assert f.window(0, 1, 4)[:, 0].tolist() == [0.0, 1.0, 2.0, 3.0]
    assert f.window(1, 6, 4)[:, 0].tolist() == [5.0, 6.0, 0.0, 0.0]
    assert f.on_grid(1, 9)[:, 0].tolist() == [0, 0, 0, 0, 0, 4, 5, 6, 0]
    # A dataset's issues are kept over their horizon, not over the grid (192 intervals): at
    # 10:00 the intraday run from now and the day-ahead run to the next day's end, 38 h.
    assert len(data.timestamps) == 192
    for forecast in data.forecasts.values():
        assert forecast.values.shape[1] <= 38 * 4
