"""Scoring an agent on the VPP environment against the perfect-foresight optimum.

An agent is made by a factory from the environment it will drive and answers each step's
observation with an action (:class:`Agent`, :data:`AgentFactory`). :func:`score` runs one
dispatch-mode episode of a :class:`ScoringEnv` (a :class:`~vppsim.env.gym.VppEnv` with the
:class:`Task` it replays) and reports the settlement totals and the KPIs of :class:`Score`.

The yardstick
-------------
An episode's return is the objective of the dispatch LP (:mod:`vppsim.fleet.dispatch`) for
the schedule the agent made: net revenue less the comfort cost plus the terminal value of
the energy left stored (:mod:`vppsim.env.gym`, "Reward"). The perfect-foresight optimum is
the sum over homes of the per-home LP's objective on the realised data (the ``lp``
strategy, with the AS awards it chooses, through :func:`vppsim.fleet.kpis.score`; or
without AS, :meth:`Task.from_study`), business as usual the return of the ``none``
strategy's schedules replayed in the environment (:attr:`Task.business_as_usual`).
Households import more than they export, so the
return itself is mostly negative and its ratio to the optimum says nothing; the share is
the one of the value perfect foresight adds over business as usual:

``share = 100 (return - none) / (optimum - none)`` [%], ``regret = optimum - return`` [$]

(0 % for business as usual, 100 % for perfect foresight, negative for an agent that does
worse than leaving the fleet alone). This is the measure of the storage-arbitrage
literature: a price-taking battery dispatched on a stochastic model of New York real-time
prices captures 50 % to 90 % of the arbitrage profit of perfect price forecasts (Zheng,
Jaworski and Xu, "Arbitraging Variable Efficiency Energy Storage using Analytical
Stochastic Dynamic Programming", 2021, https://arxiv.org/abs/2108.06000).
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import gymnasium
import numpy as np

from vppsim.env import gym as vgym
from vppsim.env import settlement
from vppsim.env.simulator import ACTION_HIGH, ACTION_LOW, ACTIONS
from vppsim.errors import ConfigError
from vppsim.fleet import run
from vppsim.fleet.dispatch import (
    HomeAssets,
    HomeSeries,
    Market,
    Schedule,
    dispatch_fleet,
    market_from_frame,
)
from vppsim.fleet.dispatch_spec import DispatchSettings
from vppsim.fleet.kpis import score as home_score
from vppsim.scenario.suite import SUITE_FILE


@runtime_checkable
class Agent(Protocol):
    """What :func:`score` drives.

    ``act(observation, info)`` is called once per 15-minute step with the observation and
    ``info`` the environment gave at the step's start (``reset``'s, then the last
    ``step``'s) and returns the step's action: an (H, 4) array of
    :data:`vppsim.env.simulator.ACTIONS` shares inside ``env.action_space``. An agent may
    also carry ``options``: the reset options of the episode (its day-ahead position,
    ``da_award_kw`` / ``as_award_kw``, fixed before the first step); None or absent for
    none.
    """

    def act(self, observation: dict[str, np.ndarray], info: dict[str, Any]) -> np.ndarray: ...


AgentFactory = Callable[["ScoringEnv"], Agent]
"""``factory(env) -> agent``: an agent for the episodes of ``env``, a :class:`ScoringEnv`.
An agent must use only what the observation, ``env.observation_space`` /
``env.action_space`` and the public data (``env.task`` or ``env.unwrapped.data``) allowed
at the time it acts; only the perfect-foresight benchmark reads the realised future."""


def schedule_actions(
    schedules: Sequence[Schedule], series: Sequence[HomeSeries], assets: Sequence[HomeAssets]
) -> np.ndarray:
    """The per-home schedules of :mod:`vppsim.fleet.dispatch` as env actions (T, H, 4):
    battery net power over its charge or discharge rating, EV charging over the charger,
    cooling over the AC's capacity (the thermostat's where the schedule leaves the AC) and
    curtailment over the PV output."""
    n = len(series[0].base_kw)
    out = np.zeros((n, len(series), len(ACTION_LOW)))
    for j, (s, x, a) in enumerate(zip(schedules, series, assets, strict=True)):
        if a.has_battery:
            net = s.charge_kw - s.discharge_kw
            out[:, j, 0] = np.where(
                net > 0, net / a.battery_charge_kw, net / a.battery_discharge_kw
            )
        if x.ev is not None:
            out[:, j, 1] = s.ev_kw / x.ev.charger_kw.max()
        if x.thermal is not None:
            cooling = s.ac_kw * x.thermal.cop if s.cooling_kw is None else s.cooling_kw
            out[:, j, 2] = cooling / x.thermal.capacity_kw
        out[:, j, 3] = np.divide(s.curtail_kw, x.pv_kw, out=np.zeros(n), where=x.pv_kw > 0)
    return np.clip(out, ACTION_LOW, ACTION_HIGH)


class Replay:
    """An agent playing a fixed (T, H, 4) sequence of actions (at each step, row
    ``info["step"]``), with ``options`` its reset options (day-ahead position)."""

    def __init__(self, actions: np.ndarray, options: dict[str, Any] | None = None):
        self.actions = actions
        self.options = options

    def act(self, observation: dict[str, np.ndarray], info: dict[str, Any]) -> np.ndarray:
        return self.actions[info["step"]]


@dataclass(frozen=True, eq=False)
class Task:
    """A dataset to score on: the environment's inputs and the per-home inputs of the LP.

    Attributes
    ----------
    chunk : vppsim.fleet.run.Chunk
        The enrolled homes, in the environment's order.
    market : vppsim.fleet.dispatch.Market
        The realised prices, with the AS prices unless the task is energy only.
    settings : DispatchSettings
    data : vppsim.env.gym.EnvData
    """

    chunk: run.Chunk
    market: Market
    settings: DispatchSettings
    data: vgym.EnvData

    @classmethod
    def from_study(
        cls, study: run.Study, settings: DispatchSettings | None = None, ancillary: bool = True
    ) -> Task:
        """The task of a :func:`vppsim.fleet.run.read_study`; ``ancillary=False`` measures
        against the energy-only optimum (the LP without AS awards)."""
        settings = settings or DispatchSettings()
        market = market_from_frame(study.market, study.timezone, ancillary=ancillary)
        rows = np.flatnonzero(study.assets["enrolled"].to_numpy(bool))
        data = vgym.from_study(study, settings)
        chunk = run.prepare_chunk(study, rows)
        return cls(chunk, market, settings, data)

    def schedules(self, strategy: str) -> list[Schedule]:
        """Every home's ``none``, ``rule`` or ``lp`` schedule on the realised data."""
        return dispatch_fleet(
            strategy, self.chunk.series, self.chunk.assets, self.market, self.settings
        )

    @cached_property
    def optimum(self) -> list[Schedule]:
        """The per-home perfect-foresight LP (solved once per task)."""
        return self.schedules("lp")

    @cached_property
    def business_as_usual(self) -> float:
        """The return of the ``none`` strategy's schedules replayed in the environment [$]
        (the environment holds the comfort band the dataset's thermostats may leave, so
        this is business as usual under the same guards as any agent)."""
        replay = Replay(
            schedule_actions(self.schedules("none"), self.chunk.series, self.chunk.assets)
        )
        return _episode(ScoringEnv(self), replay, 0)[0]

    def objective(self, schedules: list[Schedule]) -> float:
        """The fleet's LP objective of ``schedules`` [$] (:func:`vppsim.fleet.kpis.score`)."""
        return float(
            sum(
                home_score(s, x, a, self.market, self.settings)["objective"]
                for s, x, a in zip(schedules, self.chunk.series, self.chunk.assets, strict=True)
            )
        )


def load_task(
    root: Path | str, settings: DispatchSettings | None = None, ancillary: bool = True
) -> Task:
    """The :class:`Task` of a built dataset folder (the I/O edge; :meth:`Task.from_study`)."""
    return Task.from_study(run.read_study(root), settings, ancillary)


def dataset_folders(root: Path | str) -> list[Path]:
    """The datasets under ``root``: every scenario's of a suite folder (``scenarios.json``),
    else ``root`` itself."""
    root = Path(root)
    if not root.is_dir():
        raise ConfigError(f"{root}: no such dataset folder")
    suite = root / SUITE_FILE
    if not suite.is_file():
        return [root]
    try:
        runs = json.loads(suite.read_text(encoding="utf-8"))["scenarios"]
        return [root / entry["path"] for entry in runs]
    except (ValueError, KeyError, TypeError):
        raise ConfigError(f"{suite}: not a vppsim suite file (scenarios[].path)") from None


class ScoringEnv(gymnasium.Wrapper):
    """The dispatch-mode environment of a :class:`Task` (``task`` attribute)."""

    def __init__(self, task: Task):
        super().__init__(vgym.VppEnv(task.data))
        self.task = task


@dataclass(frozen=True)
class Score:
    """One agent's episode.

    Attributes
    ----------
    settlement : dict of str to float
        The episode's settlement totals by line (:data:`vppsim.env.settlement.LINES` and
        ``net``) [$].
    net_revenue : float
        [$].
    episode_return : float
        Net revenue less the comfort cost plus the terminal value [$].
    optimum, business_as_usual : float
        The perfect-foresight and ``none`` returns [$].
    share : float
        Of the value perfect foresight adds over business as usual [%] (module docstring;
        NaN where the two are equal).
    regret : float
        ``optimum - episode_return`` [$].
    no_pay_events : int
        Intervals where an AS award was not backed (some capacity payment rescinded).
    equivalent_full_cycles : float
        Discharged energy over the usable energy, per battery home [cycles].
    comfort_kh : float
        Degree-hours outside the comfort bands [K h].
    ev_unmet_kwh : float
        EV energy short at departures [kWh].
    guard_clips : int
        Setpoints the simulator changed to hold a home's needs or a device's limits;
        ``clips_by_kind`` by device and reason (the simulator's ``clipped`` keys).
    """

    settlement: dict[str, float]
    net_revenue: float
    episode_return: float
    optimum: float
    business_as_usual: float
    share: float
    regret: float
    no_pay_events: int
    equivalent_full_cycles: float
    comfort_kh: float
    ev_unmet_kwh: float
    guard_clips: int
    clips_by_kind: dict[str, int]


def check_action(space: gymnasium.spaces.Box, action: Any) -> np.ndarray:
    """``action`` as the space's array, or a :class:`ConfigError` naming what is wrong
    (the shape, or the first column and home outside the bounds)."""
    try:
        array = np.asarray(action, dtype=space.dtype)
    except (TypeError, ValueError):
        raise ConfigError(f"action: not an array of numbers ({type(action).__name__})") from None
    if array.shape != space.shape:
        raise ConfigError(
            f"action: shape {array.shape}, need {space.shape} (homes x {', '.join(ACTIONS)})"
        )
    bad = ~(np.isfinite(array) & (array >= space.low) & (array <= space.high))
    if bad.any():
        home, column = np.argwhere(bad)[0]
        raise ConfigError(
            f"action.{ACTIONS[column]}[{home}]={array[home, column]:g}: outside "
            f"[{space.low[home, column]:g}, {space.high[home, column]:g}]"
        )
    return array


NO_PAY_EVENT_USD = 1e-6
"""A no-pay line below minus this in an interval counts as a no-pay event [$] (the
shortfall of an exactly backed award is rounding)."""


def _episode(env: ScoringEnv, agent: Agent, seed: int) -> tuple[float, dict[str, Any], dict]:
    """One episode: its return [$], the last ``info`` and the counts of :class:`Score`."""
    fleet = env.task.data.fleet
    observation, info = env.reset(seed=seed, options=getattr(agent, "options", None))
    counts = dict.fromkeys(("comfort", "unmet", "discharged", "events"), 0.0)
    clips: dict[str, int] = {}
    total, done = 0.0, False
    while not done:
        action = check_action(env.action_space, agent.act(observation, info))
        observation, reward, terminated, truncated, info = env.step(action)
        done = terminated or truncated
        total += reward
        counts["comfort"] += info["comfort_kh"]
        counts["unmet"] += info["ev_unmet_kwh"]
        counts["events"] += info["settlement"]["no_pay"] < -NO_PAY_EVENT_USD
        for kind, count in info["clipped"].items():
            clips[kind] = clips.get(kind, 0) + count
        counts["discharged"] += float(env.unwrapped.sim.last.discharge_kw.sum()) * fleet.dt_h
    return total, info, {**counts, "clips": clips}


def score(env: ScoringEnv, agent: Agent, seed: int = 0) -> Score:
    """Run one episode of ``env`` driven by ``agent`` and score it (module docstring).

    Raises
    ------
    ConfigError
        The agent returned an action outside ``env.action_space`` (nothing is stepped).
    """
    task, fleet = env.task, env.task.data.fleet
    total, info, counts = _episode(env, agent, seed)
    cycles = 0.0
    if fleet.batteries is not None:
        per_cycle = float(np.sum(fleet.batteries.energy_kwh * fleet.batteries.discharge_efficiency))
        cycles = counts["discharged"] / per_cycle if per_cycle > 0 else 0.0
    optimum, usual = task.objective(task.optimum), task.business_as_usual
    gain = optimum - usual
    lines = {name: float(info["settlement_total"][name]) for name in (*settlement.LINES, "net")}
    return Score(
        settlement=lines,
        net_revenue=lines["net"],
        episode_return=total,
        optimum=optimum,
        business_as_usual=usual,
        share=100.0 * (total - usual) / gain if abs(gain) > 1e-9 else float("nan"),
        regret=optimum - total,
        no_pay_events=int(counts["events"]),
        equivalent_full_cycles=cycles,
        comfort_kh=counts["comfort"],
        ev_unmet_kwh=counts["unmet"],
        guard_clips=sum(counts["clips"].values()),
        clips_by_kind=counts["clips"],
    )


def resolve_agent(spec: str) -> AgentFactory:
    """The factory of ``spec``: a baseline's name (:data:`vppsim.env.agents.BASELINES`) or
    ``module:factory`` (importable, a callable)."""
    from vppsim.env.agents import BASELINES

    if spec in BASELINES:
        return BASELINES[spec]
    module, colon, name = spec.partition(":")
    if not colon or not module or not name:
        raise ConfigError(f"--agent {spec}: choose {', '.join(BASELINES)} or module:factory")
    try:
        factory = getattr(importlib.import_module(module), name)
    except ImportError as error:
        raise ConfigError(f"--agent {spec}: cannot import {module} ({error})") from None
    except AttributeError:
        raise ConfigError(f"--agent {spec}: {module} has no {name}") from None
    if not callable(factory):
        raise ConfigError(f"--agent {spec}: {module}.{name} is not callable")
    return factory
