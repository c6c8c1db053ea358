"""Scoring an agent on the VPP environment against the perfect-foresight optimum.

An agent is made by a factory from the environment it will drive and answers each step's
observation with an action (:class:`Agent`, :data:`AgentFactory`). :func:`score` runs one
episode of a :class:`ScoringEnv` (a :class:`~vppsim.env.gym.VppEnv`, or in bidding mode a
:class:`~vppsim.env.bidding.BiddingEnv`, with the :class:`Task` it replays) and reports the
settlement totals and the KPIs of :class:`Score`; a dispatch-mode agent may also bid each
trading day (:class:`Agent`'s ``bid``). Both modes are measured on the same yardstick.

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
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import gymnasium
import numpy as np

from vppsim.env import bidding as bidding_env
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

    In dispatch mode an agent may also take day-ahead positions as the episode runs: an
    optional ``bid(observation, info)`` is called at each trading day's bid deadline
    (:func:`vppsim.env.bidding.deadlines`: 10:00 local the day before, the period's start
    for the first day), before that step's ``act``, with the observation at the deadline
    (:func:`vppsim.env.bidding.bid_observation`: the day's own day-ahead prices hidden) and
    ``info`` with ``trading_day``; it returns the day's bids
    (:func:`vppsim.env.bidding.bid_space`), cleared price-taking and held through
    :meth:`vppsim.env.gym.VppEnv.award` (:func:`vppsim.env.bidding.submit`).

    In bidding mode (:class:`vppsim.env.bidding.BiddingEnv`) ``act`` is called once per
    trading day and returns that day's bids.
    """

    def act(self, observation: dict[str, np.ndarray], info: dict[str, Any]) -> np.ndarray: ...


MODES = ("dispatch", "bidding")
"""The episodes :func:`score` runs: a step per 15 min, or per trading day."""

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
    """The environment of a :class:`Task` (``task`` attribute) in ``mode`` (:data:`MODES`;
    :func:`vppsim.env.gym.make_env`)."""

    def __init__(self, task: Task, mode: str = "dispatch"):
        if mode not in MODES:
            raise ConfigError(f"--mode {mode}: choose {' or '.join(MODES)}")
        super().__init__(vgym.make_env(mode, data=task.data))
        self.task, self.mode = task, mode

    @property
    def vpp(self) -> vgym.VppEnv:
        """The dispatch-mode environment that runs the fleet (the bidding mode's ``inner``)."""
        return self.unwrapped.inner if self.mode == "bidding" else self.unwrapped


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


def _checked(
    space: gymnasium.spaces.Box,
    value: Any,
    field: str,
    label: Callable[[tuple[int, ...]], str],
    shape_note: str = "",
) -> np.ndarray:
    """``value`` as the array of ``space``, or a :class:`ConfigError` naming ``field`` and
    what is wrong (the shape, or the first element, by ``label(index)``, outside the
    bounds)."""
    try:
        array = np.asarray(value, dtype=space.dtype)
    except (TypeError, ValueError):
        raise ConfigError(f"{field}: not an array of numbers ({type(value).__name__})") from None
    if array.shape != space.shape:
        raise ConfigError(f"{field}: shape {array.shape}, need {space.shape}{shape_note}")
    bad = ~(np.isfinite(array) & (array >= space.low) & (array <= space.high))
    if bad.any():
        index = tuple(int(i) for i in np.argwhere(bad)[0])
        raise ConfigError(
            f"{label(index)}={array[index]:g}: outside [{space.low[index]:g}, "
            f"{space.high[index]:g}]"
        )
    return array


def check_action(space: gymnasium.spaces.Box, action: Any) -> np.ndarray:
    """``action`` as the space's array, or a :class:`ConfigError` naming what is wrong
    (the shape, or the first column and home outside the bounds)."""
    return _checked(
        space,
        action,
        "action",
        lambda index: f"action.{ACTIONS[index[1]]}[{index[0]}]",
        f" (homes x {', '.join(ACTIONS)})",
    )


def check_bid(space: gymnasium.spaces.Dict, bid: Any) -> dict[str, np.ndarray]:
    """``bid`` as a dict of the arrays of ``space`` (:func:`vppsim.env.bidding.bid_space`),
    or a :class:`ConfigError` naming the missing, unknown or bad field."""
    if not isinstance(bid, Mapping):
        raise ConfigError(f"bid: need a mapping of {', '.join(space.spaces)}")
    unknown = set(bid) - set(space.spaces)
    if unknown:
        raise ConfigError(f"bid.{sorted(unknown)[0]}: unknown field")
    out = {}
    for name, box in space.spaces.items():
        if name not in bid:
            raise ConfigError(f"bid.{name}: missing")
        out[name] = _checked(
            box, bid[name], f"bid.{name}", lambda index, n=name: f"bid.{n}{list(index)}"
        )
    return out


def _episode(env: ScoringEnv, agent: Agent, seed: int) -> tuple[float, dict[str, Any], dict]:
    """One episode: its return [$], the last ``info`` and the counts of :class:`Score`
    (the sum of :func:`vppsim.env.bidding.interval_tally` over the intervals)."""
    bidding, vpp = env.mode == "bidding", env.vpp
    observation, info = env.reset(seed=seed, options=getattr(agent, "options", None))
    bids = None if bidding else getattr(agent, "bid", None)
    close, space = bidding_env.deadlines(vpp), bidding_env.bid_space()
    counts: dict[str, Any] = {}
    total, done = 0.0, False
    while not done:
        if bids is not None:
            for day in np.flatnonzero(close[:-1] == vpp.sim.k):
                seen = bidding_env.bid_observation(vpp, int(day))
                bid = check_bid(space, bids(seen, {**info, "trading_day": int(day)}))
                bidding_env.submit(vpp, int(day), bid)
                observation = vpp.observe()  # today's awards may have changed
        if bidding:
            action = check_bid(env.action_space, agent.act(observation, info))
        else:
            action = check_action(env.action_space, agent.act(observation, info))
        observation, reward, terminated, truncated, info = env.step(action)
        done = terminated or truncated
        total += reward
        tally = (
            {name: info[name] for name in bidding_env.TALLY}
            if bidding
            else bidding_env.interval_tally(info, vpp)
        )
        bidding_env.add_tally(counts, tally)
    return total, info, counts


def score(env: ScoringEnv, agent: Agent, seed: int = 0) -> Score:
    """Run one episode of ``env`` driven by ``agent`` and score it (module docstring).

    Raises
    ------
    ConfigError
        The agent returned an action outside ``env.action_space``, or bids outside
        :func:`vppsim.env.bidding.bid_space` (that step is not taken).
    """
    task, fleet = env.task, env.task.data.fleet
    total, info, counts = _episode(env, agent, seed)
    cycles = 0.0
    if fleet.batteries is not None:
        per_cycle = float(np.sum(fleet.batteries.energy_kwh * fleet.batteries.discharge_efficiency))
        cycles = counts["discharged_kwh"] / per_cycle if per_cycle > 0 else 0.0
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
        no_pay_events=int(counts["no_pay_events"]),
        equivalent_full_cycles=cycles,
        comfort_kh=counts["comfort_kh"],
        ev_unmet_kwh=counts["ev_unmet_kwh"],
        guard_clips=sum(counts["clipped"].values()),
        clips_by_kind=counts["clipped"],
    )


def resolve_agent(spec: str, mode: str = "dispatch") -> AgentFactory:
    """The factory of ``spec``: a baseline's name (:data:`vppsim.env.agents.BASELINES`, in
    bidding mode :data:`vppsim.env.agents.BIDDERS`) or ``module:factory`` (importable, a
    callable)."""
    from vppsim.env.agents import BASELINES, BIDDERS

    baselines = BIDDERS if mode == "bidding" else BASELINES
    if spec in baselines:
        return baselines[spec]
    module, colon, name = spec.partition(":")
    if not colon or not module or not name:
        raise ConfigError(f"--agent {spec}: choose {', '.join(baselines)} or module:factory")
    try:
        factory = getattr(importlib.import_module(module), name)
    except ImportError as error:
        raise ConfigError(f"--agent {spec}: cannot import {module} ({error})") from None
    except AttributeError:
        raise ConfigError(f"--agent {spec}: {module} has no {name}") from None
    if not callable(factory):
        raise ConfigError(f"--agent {spec}: {module}.{name} is not callable")
    return factory
