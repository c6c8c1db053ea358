"""Baseline agents of :mod:`vppsim.env.score` (factories ``factory(env) -> agent``).

* ``perfect_foresight``: the per-home LP of :mod:`vppsim.fleet.dispatch` on the realised
  data (its AS awards as the episode's day-ahead position), replayed as actions: the
  hindsight benchmark, 100 % by construction.
* ``rule``: the ``rule`` strategy (:func:`vppsim.fleet.dispatch.rule_battery`:
  self-consumption plus evening discharge) replayed as actions. It reads no price; each
  interval it uses the home's own load and PV of that interval, which the home's inverter
  measures, and the local clock.
* ``mpc``: :class:`Mpc`, the batteries' LP re-solved once a day at the day-ahead forecast's
  issue (10:00 local, CAISO's bid deadline) from the fleet's observed state of charge, on the
  median of the price forecasts issued by then; EVs and air conditioners as business as
  usual. Simplification: the homes' load and PV over the horizon are the realised ones (the
  dataset's forecasts carry only the fleet's totals, not per-home series), so the agent's
  error is the price forecast's alone; and it takes no AS position.
* ``none``: business as usual (batteries idle, EVs charging on arrival, the thermostats'
  cooling), the 0 % mark.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from vppsim.env.bidding import BID_DEADLINE_HOUR
from vppsim.env.score import AgentFactory, Replay, ScoringEnv, schedule_actions
from vppsim.fleet.dispatch import HomeSeries, Market, Schedule, optimal_schedule

MEDIAN = "q50"
DAY = 96
"""Intervals of a day (15 min), the persistence lag of :func:`forecast_prices`."""


def _replay(env: ScoringEnv, schedules: Sequence[Schedule], **options: Any) -> Replay:
    chunk = env.task.chunk
    return Replay(schedule_actions(schedules, chunk.series, chunk.assets), options or None)


def perfect_foresight(env: ScoringEnv) -> Replay:
    """The per-home LP on the realised data, with its AS awards as the day-ahead position."""
    optimum = env.task.optimum
    awards = [s.awards_kw for s in optimum if s.awards_kw is not None]
    if not awards:
        return _replay(env, optimum)
    return _replay(env, optimum, as_award_kw=np.sum(awards, axis=0).tolist())


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
    """The ``mpc`` baseline (module docstring): acts as business as usual except for the
    batteries, planned at each daily forecast issue for the rest of the period."""

    def __init__(self, env: ScoringEnv):
        task = env.task
        self.task = task
        usual = task.schedules("none")
        self.actions = schedule_actions(usual, task.chunk.series, task.chunk.assets)
        self.fixed_kw = [s.ev_kw + s.ac_kw for s in usual]
        self.issued, values = task.data.forecasts["lmp"]
        self.medians = values[:, :, task.data.quantiles.index(MEDIAN)]
        local = pd.DatetimeIndex(pd.to_datetime(self.issued, utc=True)).tz_convert(
            task.data.timezone
        )
        self.daily = np.asarray((local.hour == BID_DEADLINE_HOUR) & (local.minute == 0))
        stamps = task.data.timestamps.as_unit("ns").asi8
        # Re-plan at the start and at the first step after each daily issue.
        steps = np.searchsorted(stamps, self.issued[self.daily])
        self.plan_at = {0, *(int(k) for k in steps if 0 < k < len(stamps))}
        self.stamps = stamps

    def _plan(self, k: int, soc: np.ndarray) -> None:
        task, market = self.task, self.task.market
        prices = forecast_prices(self.issued, self.medians, self.stamps[k], k, self.daily)
        ahead = Market(prices, market.dt_h, market.local_hour[k:])
        for j, (x, a) in enumerate(zip(task.chunk.series, task.chunk.assets, strict=True)):
            if not a.has_battery:
                continue
            home = HomeSeries(x.base_kw[k:] + self.fixed_kw[j][k:], x.pv_kw[k:])
            settings = task.settings.model_copy(update={"initial_soc": float(soc[j])})
            plan = optimal_schedule(home, a, ahead, settings)
            net = plan.charge_kw - plan.discharge_kw
            self.actions[k:, j, 0] = np.clip(
                np.where(net > 0, net / a.battery_charge_kw, net / a.battery_discharge_kw),
                -1.0,
                1.0,
            )

    def act(self, observation: dict[str, np.ndarray], info: dict[str, Any]) -> np.ndarray:
        k = info["step"]
        if k in self.plan_at:
            self._plan(k, observation["soc"])
        return self.actions[k]


def mpc(env: ScoringEnv) -> Mpc:
    """The daily re-planned battery LP on forecast prices (:class:`Mpc`)."""
    return Mpc(env)


BASELINES: dict[str, AgentFactory] = {
    "perfect_foresight": perfect_foresight,
    "rule": rule,
    "mpc": mpc,
    "none": none,
}
"""The shipped agents by the name ``vppsim score --agent`` takes."""
