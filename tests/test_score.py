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
from vppsim.env import gym as vgym
from vppsim.env import settlement as st
from vppsim.env.gym import IssuedForecasts
from vppsim.env.score import (
    ScoringEnv,
    Task,
    check_action,
    load_task,
    resolve_agent,
    score,
)
from vppsim.errors import ConfigError
from vppsim.fleet import run
from vppsim.fleet.kpis import score as home_score

runner = CliRunner()


@pytest.fixture(scope="module")
def root():
    return vgym.default_study()


@pytest.fixture(scope="module")
def task(root):
    return load_task(root)


@pytest.fixture(scope="module")
def env(task):
    return ScoringEnv(task)


@pytest.fixture(scope="module")
def fixed_ac(root):
    """The default study with no air conditioner enrolled in thermostat DR: the dataset's
    thermostats then stay in the base load, which the env replays as given."""
    study = run.read_study(root)
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
    assert result.guard_clips == sum(result.clips_by_kind.values())


def test_rule_and_mpc_score_below_perfect_foresight(env):
    for factory in (agents.rule, agents.mpc):
        result = score(env, factory(env))
        assert np.isfinite(result.share) and result.share < 100.0
        assert result.regret > 0.0
        assert result.settlement["as_capacity"] == 0.0  # neither takes an AS position


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


def test_mpc_on_the_realised_prices_is_perfect_foresight(root):
    """Fed forecasts that are the realised prices, the daily re-planned LP is the
    perfect-foresight optimum (energy only: the MPC takes no AS position)."""
    task = load_task(root, ancillary=False)
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


def test_bad_agents_and_folders_are_one_line_and_exit_2(root, tmp_path):
    for spec, message in (
        ("foo", "--agent foo: choose perfect_foresight, rule, mpc, none or module:factory"),
        ("no_such_module_x:f", "--agent no_such_module_x:f: cannot import no_such_module_x"),
        ("vppsim.env.agents:nothing", "--agent vppsim.env.agents:nothing: vppsim.env.agents "),
        (f"{__name__}:too_greedy", "action.ev[0]=-0.5: outside [0, 1]"),
    ):
        result = runner.invoke(app, ["score", str(root), "--agent", spec])
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


def test_score_prints_a_table_per_agent_over_a_suites_scenarios(root, tmp_path):
    suite = tmp_path / "suite"
    suite.mkdir()
    for name in ("base", "hot"):
        (suite / name).symlink_to(root, target_is_directory=True)
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
