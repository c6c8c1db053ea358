"""Scoring agents on the VPP environment: perfect foresight is the 100 % mark, business as
usual the 0 % mark and the replays reproduce the dispatch strategies' own numbers; MPC never
reads what it could not know; bad agents and actions are one-line errors."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest
from typer.testing import CliRunner

from vppsim.cli import app
from vppsim.env import agents
from vppsim.env import settlement as st
from vppsim.env.bidding import bid_space, self_schedule, track_awards
from vppsim.env.gym import IssuedForecasts
from vppsim.env.score import (
    ScoringEnv,
    Task,
    check_action,
    check_bid,
    load_task,
    resolve_agent,
    score,
)
from vppsim.errors import ConfigError
from vppsim.fleet import run
from vppsim.fleet.dispatch import optimal_schedule
from vppsim.fleet.kpis import score as home_score

runner = CliRunner()


@pytest.fixture(scope="module")
def task(env_root):
    return load_task(env_root)


@pytest.fixture(scope="module")
def env(task):
    return ScoringEnv(task)


@pytest.fixture(scope="module")
def fixed_ac(env_root):
    """The default study with no air conditioner enrolled in thermostat DR: the dataset's
    thermostats then stay in the base load, which the env replays as given."""
    study = run.read_study(env_root)
    study = replace(study, assets=study.assets.assign(thermostat_dr_enrolled=False))
    return Task.from_study(study)


def _strategy_net(task: Task, strategy: str) -> float:
    return sum(
        home_score(s, x, a, task.market, task.settings)["net revenue"]
        for s, x, a in zip(
            task.schedules(strategy), task.chunk.series, task.chunk.assets, strict=True
        )
    )


def test_perfect_foresight_is_100_percent_and_no_regret(env, task):
    result = score(env, agents.perfect_foresight(env))
    assert result.share == pytest.approx(100.0, abs=1e-6)
    assert abs(result.regret) < 1e-6
    # The optimum as HiGHS computed it, independently of the scoring's formula.
    assert result.optimum == pytest.approx(sum(s.solver_objective for s in task.optimum), abs=1e-6)
    assert result.settlement["as_capacity"] > 1.0  # the LP's AS awards were held
    assert result.no_pay_events == 0
    assert result.net_revenue == pytest.approx(
        sum(result.settlement[name] for name in st.LINES), abs=1e-9
    )
    assert result.equivalent_full_cycles > 0
    # The LP's schedule never needs the guards that hold the homes' needs.
    assert result.clips_by_kind["ev need"] == 0 and result.clips_by_kind["battery export"] == 0
    assert result.clips_by_kind["ev limit"] == 0
    assert result.guard_clips == sum(result.clips_by_kind.values())


def test_rule_and_mpc_score_below_perfect_foresight(env):
    rule, mpc = score(env, agents.rule(env)), score(env, agents.mpc(env))
    for result in (rule, mpc):
        assert np.isfinite(result.share) and result.share < 100.0
        assert result.regret > 0.0
    assert rule.settlement["as_capacity"] == 0.0  # the rule takes no AS position
    # The MPC bids its plan's AS awards and backs every one it holds.
    assert mpc.settlement["as_capacity"] > 1.0
    assert mpc.no_pay_events == 0 and mpc.settlement["no_pay"] == pytest.approx(0.0, abs=1e-9)


def test_business_as_usual_is_0_percent_and_the_none_strategy(env, fixed_ac):
    assert score(env, agents.none(env)).share == pytest.approx(0.0, abs=1e-9)
    # Where the env replays the homes as the dataset has them, leaving the fleet alone earns
    # the none strategy's net revenue, and the rule's replay the rule strategy's.
    alone = ScoringEnv(fixed_ac)
    none = score(alone, agents.none(alone))
    assert none.net_revenue == pytest.approx(_strategy_net(fixed_ac, "none"), abs=1e-6)
    assert none.equivalent_full_cycles == 0.0
    rule = score(alone, agents.rule(alone))
    assert rule.net_revenue == pytest.approx(_strategy_net(fixed_ac, "rule"), abs=1e-6)
    assert rule.equivalent_full_cycles > 0.1


def test_the_price_path_takes_the_latest_daily_issue_and_persistence():
    issued = np.array([0, 10, 20, 30])
    values = np.zeros((4, 8))
    values[0, 0:4] = [1, 2, 3, 4]
    values[1, 2:6] = [20, 30, 40, 50]  # an intraday issue: not daily
    values[2, 2:4] = [300, 400]
    values[3, 0:8] = 9  # issued after now
    daily = np.array([True, False, True, True])
    path = agents.forecast_prices(issued, values, 25, 1, daily)
    # Intervals 1..7: issue 0, then issue 2 over it, then nothing known (the covered mean,
    # no earlier day in an 8-interval grid).
    mean = np.mean([2, 300, 400])
    np.testing.assert_allclose(path, [2, 300, 400, mean, mean, mean, mean])


def test_mpc_on_the_realised_prices_is_perfect_foresight(env_root):
    """Fed forecasts that are the realised prices, the daily re-planned LP is the
    perfect-foresight optimum (energy only: the AS prices it sees are persistence)."""
    task = load_task(env_root, ancillary=False)
    issued = task.data.forecasts["lmp"].issued
    n, q = task.data.fleet.n, len(task.data.quantiles)
    exact = np.broadcast_to(task.market.lmp[None, :, None], (issued.size, n, q)).copy()
    whole = IssuedForecasts(issued, np.zeros(issued.size, dtype=int), exact)  # every target
    oracle = replace(task, data=replace(task.data, forecasts={"lmp": whole}))
    env = ScoringEnv(oracle)
    assert score(env, agents.mpc(env)).share == pytest.approx(100.0, abs=1e-6)
    forecast = score(ScoringEnv(task), agents.mpc(ScoringEnv(task)))
    assert 0.0 < forecast.share < 100.0
    blind = replace(task, data=replace(task.data, forecasts={}))
    with pytest.raises(ConfigError, match=r"^mpc: the dataset has no q50 forecast of the lmp"):
        agents.mpc(ScoringEnv(blind))


def _actions(env, agent, steps):
    observation, info = env.reset(seed=0, options=getattr(agent, "options", None))
    out = []
    for _ in range(steps):
        action = np.array(agent.act(observation, info))
        out.append(action)
        observation, _, _, _, info = env.step(action)
    return out


def test_mpc_never_reads_what_it_could_not_know(task):
    """MPC's actions up to a step do not change when the realised prices, or the forecasts
    issued after that step, do."""
    k = 100  # day 1, 01:00 local: the day's forecast was issued at 10:00 on day 0 (step 40)
    now = task.data.timestamps[k].value
    forecasts = {
        name: replace(
            f, values=np.where((f.issued > now)[:, None, None], f.values + 50.0, f.values)
        )
        for name, f in task.data.forecasts.items()
    }
    assert any((f.issued > now).any() for f in task.data.forecasts.values())
    other = replace(
        task,
        market=replace(task.market, lmp=task.market.lmp * 3 + 40),
        data=replace(task.data, forecasts=forecasts),
    )
    first = _actions(ScoringEnv(task), agents.mpc(ScoringEnv(task)), k + 1)
    second = _actions(ScoringEnv(other), agents.mpc(ScoringEnv(other)), k + 1)
    for a, b in zip(first, second, strict=True):
        np.testing.assert_array_equal(a, b)
    plan = agents.mpc(ScoringEnv(task)).plan_at
    assert plan == {0, 40, 136}  # the start and 10:00 local each day


def test_an_action_outside_the_space_is_refused_naming_the_field(env):
    space = env.action_space
    good = np.zeros(space.shape)
    np.testing.assert_array_equal(check_action(space, good.tolist()), good)
    bad = good.copy()
    bad[3, 0] = 1.5
    with pytest.raises(ConfigError, match=r"^action\.battery\[3\]=1\.5: outside \[-1, 1\]$"):
        check_action(space, bad)
    bad = good.copy()
    bad[5, 2] = np.nan
    with pytest.raises(ConfigError, match=r"^action\.ac\[5\]=nan"):
        check_action(space, bad)
    with pytest.raises(ConfigError, match=r"^action: shape \(2, 4\), need"):
        check_action(space, np.zeros((2, 4)))

    class Greedy:
        def act(self, observation, info):
            return np.full(space.shape, 2.0)

    with pytest.raises(ConfigError, match=r"action\.battery\[0\]=2"):
        score(env, Greedy())
    assert env.unwrapped.sim.k == 0  # refused before any step


def too_greedy(env):
    """An agent factory for the command line's test (``module:factory``)."""

    class Agent:
        def act(self, observation, info):
            action = np.zeros(env.action_space.shape)
            action[0, 1] = -0.5
            return action

    return Agent()


def test_bad_agents_and_folders_are_one_line_and_exit_2(env_root, tmp_path):
    for spec, message in (
        ("foo", "--agent foo: choose perfect_foresight, rule, mpc, none or module:factory"),
        ("no_such_module_x:f", "--agent no_such_module_x:f: cannot import no_such_module_x"),
        ("vppsim.env.agents:nothing", "--agent vppsim.env.agents:nothing: vppsim.env.agents "),
        (f"{__name__}:too_greedy", "action.ev[0]=-0.5: outside [0, 1]"),
    ):
        result = runner.invoke(app, ["score", str(env_root), "--agent", spec])
        assert result.exit_code == 2, result.output
        assert message in result.output
        assert len(result.output.strip().splitlines()) == 1 and "Traceback" not in result.output
    result = runner.invoke(app, ["score", str(tmp_path / "missing"), "--agent", "none"])
    assert result.exit_code == 2 and "no such dataset folder" in result.output
    (tmp_path / "scenarios.json").write_text("{}")
    result = runner.invoke(app, ["score", str(tmp_path), "--agent", "none"])
    assert result.exit_code == 2 and "not a vppsim suite file" in result.output
    with pytest.raises(ConfigError, match="is not callable"):
        resolve_agent("vppsim.env.agents:BASELINES")


def test_score_prints_a_table_per_agent_over_a_suites_scenarios(env_root, tmp_path):
    suite = tmp_path / "suite"
    suite.mkdir()
    for name in ("base", "hot"):
        (suite / name).symlink_to(env_root, target_is_directory=True)
    scenarios = [{"name": n, "path": n} for n in ("base", "hot")]
    (suite / "scenarios.json").write_text(json.dumps({"scenarios": scenarios}))
    result = runner.invoke(
        app,
        ["score", str(suite), "--agent", "perfect_foresight", "--agent", "none"],
        env={"COLUMNS": "200"},
    )
    assert result.exit_code == 0, result.output
    assert "agent perfect_foresight" in result.output and "agent none" in result.output
    rows = [line for line in result.output.splitlines() if "share of perfect foresight" in line]
    # One column per scenario: 100 % twice for perfect foresight, 0 % twice for none.
    assert [[cell.strip() for cell in row.split("│")[2:4]] for row in rows] == [
        ["100.0", "100.0"],
        ["0.0", "0.0"],
    ]


def _battery_home(task):
    j = next(j for j, a in enumerate(task.chunk.assets) if a.has_battery)
    return task.chunk.series[j], task.chunk.assets[j]


def test_the_lp_holding_its_awards_is_the_lp_and_holding_none_is_energy_only(task):
    """Held awards are fixed in the LP: holding the optimum's own awards leaves the optimum,
    holding zero awards is the energy-only LP (an independent formulation: no AS columns)."""
    x, a = _battery_home(task)
    market, settings = task.market, task.settings
    free = optimal_schedule(x, a, market, settings)
    assert free.awards_kw.sum() > 0.0
    own = optimal_schedule(x, a, market, settings, free.awards_kw)
    assert own.solver_objective == pytest.approx(free.solver_objective, abs=1e-6)
    np.testing.assert_allclose(own.awards_kw, free.awards_kw, atol=1e-9)
    zero = optimal_schedule(x, a, market, settings, np.zeros_like(free.awards_kw))
    energy = optimal_schedule(x, a, replace(market, ancillary=None), settings)
    assert zero.solver_objective == pytest.approx(energy.solver_objective, abs=1e-6)
    assert zero.solver_objective < free.solver_objective - 1e-3
    # Half the hours held at zero, the others free: between the two.
    half = free.awards_kw.copy()
    half[: len(half) // 2] = np.nan
    half[len(half) // 2 :] = 0.0
    between = optimal_schedule(x, a, market, settings, half).solver_objective
    assert zero.solver_objective - 1e-6 <= between <= free.solver_objective + 1e-6
    # Capped rather than fixed, the optimum's awards are still the optimum.
    capped = optimal_schedule(x, a, market, settings, free.awards_kw, firm=False)
    assert capped.solver_objective == pytest.approx(free.solver_objective, abs=1e-6)
    with pytest.raises(ConfigError, match=r"^held_kw: need AS prices and shape"):
        optimal_schedule(x, a, market, settings, np.zeros((3, 4)))


class Recorder:
    """Passes an agent's answers through, keeping them (and the bids' observations)."""

    def __init__(self, agent):
        self.agent, self.actions, self.bids = agent, [], []
        if hasattr(agent, "bid"):
            self.bid = self._bid

    def act(self, observation, info):
        action = self.agent.act(observation, info)
        self.actions.append((info["step"], observation, action))
        return action

    def _bid(self, observation, info):
        bid = self.agent.bid(observation, info)
        self.bids.append((info["trading_day"], info["step"], observation, bid))
        return bid


def _same_bids(first, second):
    assert [b[:2] for b in first] == [b[:2] for b in second]
    for (*_, a), (*_, b) in zip(first, second, strict=True):
        for name in a:
            np.testing.assert_array_equal(a[name], b[name])


def _changed(task, after: int, day: int):
    """``task`` with the realised FMM prices from step ``after`` on, the day-ahead energy
    and AS prices of local days ``day`` on, and the forecasts issued after step ``after``
    all changed."""
    env = ScoringEnv(task)
    late = env.vpp.day_index >= day
    now = task.data.timestamps[after].value
    forecasts = {
        name: replace(
            f, values=np.where((f.issued > now)[:, None, None], f.values + 50.0, f.values)
        )
        for name, f in task.data.forecasts.items()
    }
    lmp = task.market.lmp.copy()
    lmp[after:] = lmp[after:] * 3 + 40
    hours = np.unique(task.market.hour[late])
    ancillary = task.market.ancillary.copy()
    ancillary[hours] = ancillary[hours] * 4 + 7
    data = replace(
        task.data,
        forecasts=forecasts,
        fmm_lmp=lmp,
        da_lmp=np.where(late, task.data.da_lmp * 2 + 30, task.data.da_lmp),
        as_price=np.where(late[:, None], task.data.as_price * 4 + 7, task.data.as_price),
    )
    return replace(task, market=replace(task.market, lmp=lmp, ancillary=ancillary), data=data)


def test_the_mpc_bids_its_awards_at_each_deadline_without_reading_the_future(task):
    """The MPC bids at the period's start (day 0) and 10:00 on day 0 (day 1), never seeing
    the day's own prices; it holds what it bid; its bids and actions up to a step do not
    change when what is published after that step does."""
    env = ScoringEnv(task)
    spy = Recorder(agents.mpc(env))
    result = score(env, spy)
    assert [b[:2] for b in spy.bids] == [(0, 0), (1, 40)]
    for day, step, observation, bid in spy.bids:
        slot = day - env.vpp.day_index[step]
        assert observation["da_published"][slot] == 0.0
        assert not observation["as_price"][slot].any()
        assert not bid["energy_kw"].any() and not bid["as_price"].any()
        # Bid at $0/MW-h, every offer cleared: the env holds the plan's awards.
        steps = env.vpp.day_index == day
        np.testing.assert_allclose(
            env.vpp.as_award_kw[steps], bid["as_kw"][env.vpp.local_hour[steps]], atol=1e-12
        )
    # No AS price is published before the first deadline: no position on day 0.
    assert not spy.bids[0][3]["as_kw"].any() and spy.bids[1][3]["as_kw"].sum() > 1.0
    assert result.settlement["as_capacity"] > 1.0 and result.no_pay_events == 0
    k = 100  # day 1, 01:00: day 1's prices published at 13:00 on day 0 (step 52)
    other = ScoringEnv(_changed(task, after=k + 1, day=1))
    twin = Recorder(agents.mpc(other))
    score(other, twin)
    _same_bids(spy.bids, twin.bids)  # both deadlines come before day 1's publication
    for (_, _, a), (_, _, b) in zip(spy.actions[: k + 1], twin.actions[: k + 1], strict=True):
        np.testing.assert_array_equal(a, b)


def test_the_forecast_bidder_never_reads_the_future(task):
    """Its bids for a day do not change when what is published after the day's deadline
    does: the realised prices, the day's own day-ahead prices, later forecast issues."""
    deadline = 40  # day 1's: 10:00 local on day 0

    def bids(t):
        env = ScoringEnv(t, "bidding")
        spy = Recorder(agents.forecast_bids(env))
        score(env, spy)
        return spy.actions

    first = bids(task)
    assert [step for step, *_ in first] == [0, 40]
    assert first[1][2]["as_kw"].sum() > 1.0 and np.abs(first[1][2]["energy_kw"]).sum() > 1.0
    second = bids(_changed(task, after=deadline, day=1))
    for (_, _, a), (_, _, b) in zip(first, second, strict=True):
        for name in a:
            np.testing.assert_array_equal(a[name], b[name])
    # Day 0's bid (at the period's start) does not read day 0's own prices either.
    zero = bids(_changed(task, after=0, day=0))
    for name in first[0][2]:
        np.testing.assert_array_equal(first[0][2][name], zero[0][2][name])


class Controller:
    """A dispatch-mode agent bidding as ``bidder`` and dispatching as the bidding mode's
    default controller (:func:`vppsim.env.bidding.track_awards`)."""

    def __init__(self, env, bidder):
        self.vpp, self.bidder = env.vpp, bidder

    def bid(self, observation, info):
        return self.bidder.act(observation, info)

    def act(self, observation, info):
        vpp, k = self.vpp, info["step"]
        last = vpp.sim.last
        load = np.zeros(vpp.data.fleet.homes) if last is None else last.ev_kw + last.ac_kw
        return track_awards(vpp.data.fleet, k, vpp.da_award_kw[k], vpp.as_award_kw[k], load)


def test_bidding_mode_scores_as_its_dispatch_mode_replay(task):
    """A bidding-mode episode and the dispatch-mode episode of the same bids (through the
    ``bid`` hook) and the same controller score the same, figure by figure."""
    bidding = ScoringEnv(task, "bidding")
    dispatch = ScoringEnv(task)
    for factory in (agents.perfect_foresight_bids, agents.no_bids):
        one = score(bidding, factory(bidding))
        two = score(dispatch, Controller(dispatch, factory(dispatch)))
        assert one.episode_return == pytest.approx(two.episode_return, abs=1e-9)
        for name, value in one.settlement.items():
            assert value == pytest.approx(two.settlement[name], abs=1e-9)
        assert one.clips_by_kind == two.clips_by_kind
        assert (one.no_pay_events, one.comfort_kh) == (two.no_pay_events, two.comfort_kh)
        assert one.equivalent_full_cycles == pytest.approx(two.equivalent_full_cycles)


def test_bidding_baselines(task):
    env = ScoringEnv(task, "bidding")
    perfect = score(env, agents.perfect_foresight_bids(env))
    # Self-scheduled, the LP's position is awarded: energy and AS.
    assert perfect.settlement["as_capacity"] > 1.0 and perfect.settlement["da_energy"] != 0.0
    assert np.isfinite(perfect.share) and perfect.share < 100.0
    nothing = score(env, agents.no_bids(env))
    assert nothing.settlement["da_energy"] == 0.0 and nothing.settlement["as_capacity"] == 0.0
    forecast = score(env, agents.forecast_bids(env))
    assert np.isfinite(forecast.share) and forecast.regret > 0.0
    # The same yardstick as dispatch mode.
    assert (
        perfect.optimum
        == nothing.optimum
        == score(ScoringEnv(task), agents.none(ScoringEnv(task))).optimum
    )


def test_bad_bids_are_one_line_errors(task):
    space = bid_space()
    good = self_schedule(np.zeros(24), np.zeros((24, 4)))
    assert check_bid(space, good).keys() == good.keys()
    with pytest.raises(ConfigError, match=r"^bid\.as_price: missing$"):
        check_bid(space, {k: v for k, v in good.items() if k != "as_price"})
    with pytest.raises(ConfigError, match=r"^bid\.volume: unknown field$"):
        check_bid(space, {**good, "volume": 1})
    with pytest.raises(ConfigError, match=r"^bid\.as_kw\[3, 1\]=-2: outside \[0, 1e\+06\]$"):
        bad = good["as_kw"].copy()
        bad[3, 1] = -2
        check_bid(space, {**good, "as_kw": bad})
    with pytest.raises(ConfigError, match=r"^bid\.energy_kw: shape \(23,\), need \(24,\)$"):
        check_bid(space, {**good, "energy_kw": np.zeros(23)})
    with pytest.raises(ConfigError, match=r"^bid: need a mapping"):
        check_bid(space, [1, 2])

    class Overbid:
        def act(self, observation, info):
            return np.zeros(ScoringEnv(task).action_space.shape)

        def bid(self, observation, info):
            return {**good, "energy_price": np.full(24, 5000.0)}

    with pytest.raises(ConfigError, match=r"^bid\.energy_price\[0\]=5000: outside"):
        score(ScoringEnv(task), Overbid())


def test_score_in_bidding_mode_on_the_command_line(env_root):
    result = runner.invoke(
        app,
        [
            "score",
            str(env_root),
            "--mode",
            "bidding",
            "--agent",
            "perfect_foresight",
            "--agent",
            "none",
        ],
        env={"COLUMNS": "200"},
    )
    assert result.exit_code == 0, result.output
    assert "agent perfect_foresight (bidding)" in result.output
    assert "agent none (bidding)" in result.output
    for args, message in (
        (["--mode", "auction"], "--mode auction: choose dispatch or bidding"),
        (
            ["--mode", "bidding", "--agent", "mpc"],
            "--agent mpc: choose perfect_foresight, forecast, none or module:factory",
        ),
    ):
        result = runner.invoke(app, ["score", str(env_root), *args])
        assert result.exit_code == 2, result.output
        assert message in result.output and len(result.output.strip().splitlines()) == 1
