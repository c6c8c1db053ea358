"""Baseline agents of :mod:`vppsim.env.score` (factories ``factory(env) -> agent``).

* ``perfect_foresight``: the per-home LP of :mod:`vppsim.fleet.dispatch` on the realised
  data (its AS awards as the episode's day-ahead position), replayed as actions: the
  hindsight benchmark, 100 % by construction.
* ``rule``: the ``rule`` strategy (:func:`vppsim.fleet.dispatch.rule_battery`:
  self-consumption plus evening discharge) replayed as actions. It reads no price; each
  interval it uses the home's own load and PV of that interval, which the home's inverter
  measures, and the local clock.
* ``mpc``: :class:`Mpc`, the dispatch LP on the median of the price forecasts issued by
  then: every device planned at the start, the batteries re-planned once a day at the
  day-ahead forecast's issue (10:00 local, CAISO's bid deadline) from the fleet's observed
  state of charge. Simplifications: the homes' load, PV and weather over the horizon are the
  realised ones (the environment's forecasts carry only the fleet's totals; the dataset's
  per-home load forecasts are not in :class:`~vppsim.env.gym.EnvData`), so the agent's
  error is the price forecast's alone; it takes no AS position (the AS prices are
  published only after the bid deadline, and no AS price forecast is issued).
* ``none``: business as usual (batteries idle, EVs charging on arrival, the thermostats'
  cooling), the 0 % mark.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from vppsim.env.bidding import BID_DEADLINE_HOUR
from vppsim.env.gym import STEP_MINUTES
from vppsim.env.score import AgentFactory, Replay, ScoringEnv, schedule_actions
from vppsim.errors import ConfigError
from vppsim.fleet.dispatch import (
    HomeSeries,
    Market,
    Schedule,
    dispatch_fleet,
    optimal_schedule,
)

MEDIAN = "q50"
DAY = 24 * 60 // STEP_MINUTES
"""Intervals of a day (15 min), the persistence lag of :func:`forecast_prices`."""


def _replay(env: ScoringEnv, schedules: Sequence[Schedule], **options: Any) -> Replay:
    chunk = env.task.chunk
    return Replay(schedule_actions(schedules, chunk.series, chunk.assets), options or None)


def perfect_foresight(env: ScoringEnv) -> Replay:
    """The per-home LP on the realised data, with its AS awards as the day-ahead position:
    per home (hours, H, 4), so that each battery is charged the regulation throughput of its
    own awards, as the LP charges it (the fleet's award, their sum, is what settles)."""
    optimum = env.task.optimum
    held = [s.awards_kw for s in optimum if s.awards_kw is not None]
    if not held:
        return _replay(env, optimum)
    none = np.zeros_like(held[0])
    awards = np.stack([none if s.awards_kw is None else s.awards_kw for s in optimum], axis=1)
    return _replay(env, optimum, as_award_kw=awards)


def rule(env: ScoringEnv) -> Replay:
    """The ``rule`` strategy's schedule (module docstring)."""
    return _replay(env, env.task.schedules("rule"))


def none(env: ScoringEnv) -> Replay:
    """Business as usual (the ``none`` strategy)."""
    return _replay(env, env.task.schedules("none"))


def forecast_prices(
    issued: np.ndarray, values: np.ndarray, now: int, start: int, daily: np.ndarray
) -> np.ndarray:
    """The price path from interval ``start`` on as known at ``now`` [ns, UTC]: per
    interval the median of the latest daily issue (``daily`` (I,) bool) issued at or before
    ``now`` that covers it; an interval no issue covers repeats the price a day earlier
    (persistence), or the covered mean where there is none.

    Parameters
    ----------
    issued : numpy.ndarray
        (I,) issue times [ns since epoch, UTC], ascending.
    values : numpy.ndarray
        (I, T) the issues' medians on the grid [$/MWh], 0 where an issue says nothing.
    """
    path = np.full(values.shape[1], np.nan)
    for i in np.flatnonzero(daily & (issued <= now)):
        path = np.where(values[i] != 0.0, values[i], path)
    path = path[start:]
    covered = path[np.isfinite(path)]
    for t in np.flatnonzero(~np.isfinite(path)):
        path[t] = path[t - DAY] if t >= DAY else (covered.mean() if covered.size else 0.0)
    return path


class Mpc:
    """The ``mpc`` baseline (module docstring).

    At the start: the LP of every home (battery, EV, air conditioner; energy only) over the
    period on the forecast price path. The EV and AC part of that plan is kept: given the
    realised load and weather their physics is deterministic, so their state follows the
    plan exactly. At each later daily issue: the batteries' LP re-solved from the observed
    state of charge, on the new price path, with the planned EV and AC load as fixed load.
    """

    def __init__(self, env: ScoringEnv):
        task = env.task
        self.task = task
        self.actions = np.zeros((task.data.fleet.n, task.data.fleet.homes, 4))
        self.fixed_kw: list[np.ndarray] = []
        if "lmp" not in task.data.forecasts or MEDIAN not in task.data.quantiles:
            raise ConfigError(f"mpc: the dataset has no {MEDIAN} forecast of the lmp to plan on")
        forecast = task.data.forecasts["lmp"]
        local = pd.DatetimeIndex(pd.to_datetime(forecast.issued, utc=True)).tz_convert(
            task.data.timezone
        )
        daily = np.asarray((local.hour == BID_DEADLINE_HOUR) & (local.minute == 0))
        # The daily issues only, on the grid: the plans read nothing else.
        median, n = task.data.quantiles.index(MEDIAN), task.data.fleet.n
        self.issued = forecast.issued[daily]
        self.medians = np.array(
            [forecast.on_grid(int(i), n)[:, median] for i in np.flatnonzero(daily)]
        ).reshape(-1, n)
        self.daily = np.ones(self.issued.size, dtype=bool)
        stamps = task.data.timestamps.as_unit("ns").asi8
        # Plan at the start and at the first step after each daily issue.
        steps = np.searchsorted(stamps, self.issued[self.daily])
        self.plan_at = {0, *(int(k) for k in steps if 0 < k < len(stamps))}
        self.stamps = stamps

    def _market(self, k: int) -> Market:
        prices = forecast_prices(self.issued, self.medians, self.stamps[k], k, self.daily)
        market = self.task.market
        return Market(prices, market.dt_h, market.local_hour[k:])

    def _start(self) -> None:
        task, chunk = self.task, self.task.chunk
        plans = dispatch_fleet("lp", chunk.series, chunk.assets, self._market(0), task.settings)
        self.actions = schedule_actions(plans, chunk.series, chunk.assets)
        self.fixed_kw = [s.ev_kw + s.ac_kw for s in plans]

    def _replan(self, k: int, soc: np.ndarray) -> None:
        task, ahead = self.task, self._market(k)
        for j, (x, a) in enumerate(zip(task.chunk.series, task.chunk.assets, strict=True)):
            if not a.has_battery:
                continue
            home = HomeSeries(x.base_kw[k:] + self.fixed_kw[j][k:], x.pv_kw[k:])
            settings = task.settings.model_copy(update={"initial_soc": float(soc[j])})
            plan = optimal_schedule(home, a, ahead, settings)
            # Battery and curtailment columns; EV and AC stay as planned at the start.
            self.actions[k:, j, [0, 3]] = schedule_actions([plan], [home], [a])[:, 0, [0, 3]]

    def act(self, observation: dict[str, np.ndarray], info: dict[str, Any]) -> np.ndarray:
        k = info["step"]
        if k == 0:
            self._start()
        elif k in self.plan_at:
            self._replan(k, observation["soc"])
        return self.actions[k]


def mpc(env: ScoringEnv) -> Mpc:
    """The LP on forecast prices, its batteries re-planned daily (:class:`Mpc`)."""
    return Mpc(env)


BASELINES: dict[str, AgentFactory] = {
    "perfect_foresight": perfect_foresight,
    "rule": rule,
    "mpc": mpc,
    "none": none,
}
"""The shipped agents by the name ``vppsim score --agent`` takes."""
