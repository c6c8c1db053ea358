"""Baseline agents of :mod:`vppsim.env.score` (factories ``factory(env) -> agent``).

Dispatch mode (:data:`BASELINES`):

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
  state of charge, around the AS awards it holds. At each deadline it bids its plan's AS
  awards for the next trading day (the ``bid`` hook of :class:`vppsim.env.score.Agent`),
  pricing AS by persistence of the latest day-ahead AS prices published by then.
  Simplifications: the homes' load, PV and weather over the horizon are the realised ones
  (the environment's forecasts carry only the fleet's totals; the dataset's per-home load
  forecasts are not in :class:`~vppsim.env.gym.EnvData`), so the agent's error is the
  price forecasts' alone; no day-ahead energy position (its meter settles at the FMM).
* ``none``: business as usual (batteries idle, EVs charging on arrival, the thermostats'
  cooling), the 0 % mark.

Bidding mode (:data:`BIDDERS`; a step bids one trading day, the default controller
:func:`vppsim.env.bidding.track_awards` dispatches):

* ``perfect_foresight``: :func:`perfect_foresight_bids`, the LP's hourly fleet meter and AS
  awards self-scheduled; reads the realised data.
* ``forecast``: :class:`ForecastBidder`, :class:`Mpc`'s plan on the day-ahead price
  forecast, self-scheduled; reads what was issued or published by each deadline.
* ``none``: :func:`no_bids`, no position.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from vppsim.env.bidding import BID_DEADLINE_HOUR, day_hours, self_schedule
from vppsim.env.gym import STEP_MINUTES
from vppsim.env.score import AgentFactory, Replay, ScoringEnv, schedule_actions
from vppsim.errors import ConfigError
from vppsim.fleet.dispatch import (
    HomeAssets,
    HomeSeries,
    Market,
    Schedule,
    dispatch_fleet,
    optimal_schedule,
)
from vppsim.fleet.dispatch_spec import PRODUCTS, DispatchSettings

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
    """The ``mpc`` baseline (module docstring), and the planner of :class:`ForecastBidder`.

    At the start: the LP of every home (battery, EV, air conditioner, AS awards) over the
    period on the forecast price path. The EV and AC part of that plan is kept: given the
    realised load and weather their physics is deterministic, so their state follows the
    plan exactly. At each trading day's bid deadline (10:00 local the day before, the
    daily issue of the price forecast) and at each later daily issue: the batteries' LP
    re-solved from the observed state of charge, on the new price path, with the planned
    EV and AC load as fixed load and the AS awards already held fixed
    (:func:`vppsim.fleet.dispatch.optimal_schedule`'s ``held_kw``); its awards for the day
    being bid are the day's AS offers (:meth:`bid`), at $0/MW-h (a price-taker's: always
    cleared, so the plan holds what it offered).

    AS prices are forecast by persistence: every hour at the latest published day-ahead AS
    price of its local hour the observation shows (none at the period's start: the first
    day's prices are published after its deadline, so the first day takes no AS position).
    Without AS prices in the task (``--energy-only``) the plans take none.

    Parameters
    ----------
    env : ScoringEnv
    variable : str
        The forecast variable whose median the plans price energy at: ``lmp`` (the FMM
        price the real-time deviations settle at) or ``da_lmp`` (the day-ahead price a
        self-scheduled position earns).
    name : str
        The agent's name in errors.
    """

    def __init__(self, env: ScoringEnv, variable: str = "lmp", name: str = "mpc"):
        task = env.task
        self.task, self.vpp = task, env.vpp
        data, n = task.data, task.data.fleet.n
        if variable not in data.forecasts or MEDIAN not in data.quantiles:
            raise ConfigError(
                f"{name}: the dataset has no {MEDIAN} forecast of the {variable} to plan on"
            )
        forecast = data.forecasts[variable]
        local = pd.DatetimeIndex(pd.to_datetime(forecast.issued, utc=True)).tz_convert(
            data.timezone
        )
        daily = np.asarray((local.hour == BID_DEADLINE_HOUR) & (local.minute == 0))
        # The daily issues only, on the grid: the plans read nothing else.
        median = data.quantiles.index(MEDIAN)
        self.issued = forecast.issued[daily]
        self.medians = np.array(
            [forecast.on_grid(int(i), n)[:, median] for i in np.flatnonzero(daily)]
        ).reshape(-1, n)
        self.daily = np.ones(self.issued.size, dtype=bool)
        stamps = data.timestamps.as_unit("ns").asi8
        # Plan at the start and at the first step after each daily issue.
        steps = np.searchsorted(stamps, self.issued[self.daily])
        self.plan_at = {0, *(int(k) for k in steps if 0 < k < len(stamps))}
        self.stamps = stamps
        self.ancillary = task.market.ancillary is not None
        homes, hours = len(task.chunk.series), task.market.hours
        self.actions = np.zeros((n, data.fleet.homes, 4))
        self.fixed_kw: list[np.ndarray] = []
        self.meter_kw = np.zeros((n, homes))
        """(T, H) each home's planned meter [kW, export positive]."""
        self.awards_kw = np.zeros((homes, hours, len(PRODUCTS)))
        """(H, hours, 4) each home's planned AS awards [kW]."""
        self.bid_hours = np.zeros(hours, dtype=bool)
        """The hours of the period whose trading day has been bid."""
        self.planned = -1

    def _market(self, k: int, observation: dict[str, np.ndarray]) -> Market:
        prices = forecast_prices(self.issued, self.medians, self.stamps[k], k, self.daily)
        market = self.task.market
        ancillary = None
        if self.ancillary:
            shown = np.flatnonzero(observation["da_published"] > 0)
            profile = observation["as_price"][shown[-1]] if shown.size else np.zeros((24, 4))
            ancillary = profile[market.local_hour[k :: market.steps_per_hour]]
        return Market(prices, market.dt_h, market.local_hour[k:], ancillary)

    def _held(self, k: int) -> np.ndarray:
        """(H, hours from k, 4) the awards each home holds (NaN: not yet bid): the plan's
        awards of a bid hour scaled to what cleared (whole or nothing per hour and product)."""
        hour = k // self.task.market.steps_per_hour
        planned = self.awards_kw[:, hour:]
        fleet = planned.sum(axis=0)
        cleared = self.vpp.as_award_kw[k :: self.task.market.steps_per_hour]
        scale = np.divide(cleared, fleet, out=np.zeros_like(fleet), where=fleet > 0)
        return np.where(self.bid_hours[None, hour:, None], planned * scale[None], np.nan)

    def _record(self, k: int, j: int, plan: Schedule, home: HomeSeries) -> None:
        self.meter_kw[k:, j] = plan.meter_kw(home)
        if plan.awards_kw is not None:
            self.awards_kw[j, k // self.task.market.steps_per_hour :] = plan.awards_kw

    @staticmethod
    def _battery_plan(
        home: HomeSeries,
        assets: HomeAssets,
        market: Market,
        settings: DispatchSettings,
        held: np.ndarray | None,
    ) -> Schedule:
        """The home's battery LP backing every award it holds (``held`` (hours, 4)) or,
        where its state of charge cannot (the fleet did not follow the plan: the bidding
        mode's controller dispatches it), backing what it can of them."""
        if held is None:
            return optimal_schedule(home, assets, market, settings)
        try:
            return optimal_schedule(home, assets, market, settings, held)
        except RuntimeError:  # infeasible: some held award cannot be backed
            return optimal_schedule(home, assets, market, settings, held, firm=False)

    def plan(self, k: int, observation: dict[str, np.ndarray]) -> None:
        """Plan from step ``k`` on what ``observation`` (the one at ``k``) and the forecasts
        issued by then show (class docstring); once per step."""
        if self.planned == k:
            return
        task, chunk, market = self.task, self.task.chunk, self._market(k, observation)
        if k == 0:
            plans = dispatch_fleet("lp", chunk.series, chunk.assets, market, task.settings)
            self.actions = schedule_actions(plans, chunk.series, chunk.assets)
            self.fixed_kw = [s.ev_kw + s.ac_kw for s in plans]
            for j, (plan, home) in enumerate(zip(plans, chunk.series, strict=True)):
                self._record(0, j, plan, home)
        else:
            held = self._held(k) if self.ancillary else None
            soc = observation["soc"]
            for j, (x, a) in enumerate(zip(chunk.series, chunk.assets, strict=True)):
                if not a.has_battery:
                    continue
                home = HomeSeries(x.base_kw[k:] + self.fixed_kw[j][k:], x.pv_kw[k:])
                settings = task.settings.model_copy(update={"initial_soc": float(soc[j])})
                own = None if held is None else held[j]
                plan = self._battery_plan(home, a, market, settings, own)
                # Battery and curtailment columns; EV and AC stay as planned at the start.
                self.actions[k:, j, [0, 3]] = schedule_actions([plan], [home], [a])[:, 0, [0, 3]]
                self._record(k, j, plan, home)
        self.planned = k

    def position(
        self, day: int, observation: dict[str, np.ndarray], info: dict[str, Any]
    ) -> tuple[np.ndarray, np.ndarray]:
        """Plan at the deadline of trading day ``day`` (``info["step"]``); the plan's hourly
        fleet meter (24,) [kW] and AS awards (24, 4) [kW] of that day, by local hour."""
        k = info["step"]
        self.plan(k, observation)
        hours = self.task.market.hour
        self.bid_hours[hours[self.vpp.day_index == day]] = True
        awards = self.awards_kw.sum(axis=0)[hours]
        return (
            day_hours(self.vpp, day, self.meter_kw.sum(axis=1)),
            day_hours(self.vpp, day, awards),
        )

    def bid(self, observation: dict[str, np.ndarray], info: dict[str, Any]) -> dict:
        """Trading day ``info["trading_day"]``'s bids: the plan's AS awards of the day at
        $0/MW-h, no energy (the MPC's meter settles in real time)."""
        _, awards = self.position(info["trading_day"], observation, info)
        return self_schedule(np.zeros(24), awards)

    def act(self, observation: dict[str, np.ndarray], info: dict[str, Any]) -> np.ndarray:
        k = info["step"]
        if k in self.plan_at:
            self.plan(k, observation)
        return self.actions[k]


def mpc(env: ScoringEnv) -> Mpc:
    """The LP on forecast prices, its batteries re-planned daily, bidding its AS awards
    (:class:`Mpc`)."""
    return Mpc(env)


class ForecastBidder:
    """The bidding mode's ``forecast`` baseline: at each deadline, :class:`Mpc`'s plan on the
    median of the day-ahead price forecast (``da_lmp``) issued by then, self-scheduled
    (:func:`vppsim.env.bidding.self_schedule`): the day's hourly fleet meter as the energy
    position and the plan's AS awards.

    Information set: the daily forecast issues of ``da_lmp`` up to the deadline, the
    day-ahead AS prices published by then (persistence), the observed state of charge, and,
    as :class:`Mpc`, the realised per-home load, PV and weather (the environment's forecasts
    are fleet totals). The default controller then dispatches the fleet, not the plan.
    """

    def __init__(self, env: ScoringEnv):
        self.planner = Mpc(env, variable="da_lmp", name="forecast")

    def act(self, observation: dict[str, np.ndarray], info: dict[str, Any]) -> dict:
        day = int(observation["trading_day"][0])
        return self_schedule(*self.planner.position(day, observation, info))


class Positions:
    """A bidder self-scheduling fixed per-interval fleet positions: ``energy_kw`` (T,) [kW,
    export positive] and ``as_kw`` (T, 4) [kW], each trading day's hourly means."""

    def __init__(self, env: ScoringEnv, energy_kw: np.ndarray, as_kw: np.ndarray):
        self.vpp, self.energy_kw, self.as_kw = env.vpp, energy_kw, as_kw

    def act(self, observation: dict[str, np.ndarray], info: dict[str, Any]) -> dict:
        day = int(observation["trading_day"][0])
        energy = day_hours(self.vpp, day, self.energy_kw)
        return self_schedule(energy, day_hours(self.vpp, day, self.as_kw))


def perfect_foresight_bids(env: ScoringEnv) -> Positions:
    """The bidding mode's ``perfect_foresight``: the per-home LP on the realised data
    (:attr:`~vppsim.env.score.Task.optimum`), its fleet meter and AS awards self-scheduled
    day by day. It reads the realised future; the default controller then dispatches the
    fleet toward the position, so its share falls short of 100 % by what that controller
    loses (the EVs charged just in time and the ACs at the band's upper edge instead of the
    LP's plan, the batteries chasing the position from telemetry) and by the day-ahead
    against FMM price spread on the position (the LP prices energy at the FMM LMP)."""
    task = env.task
    series = task.chunk.series
    meter = np.sum([s.meter_kw(x) for s, x in zip(task.optimum, series, strict=True)], axis=0)
    awards = [s.awards_kw for s in task.optimum if s.awards_kw is not None]
    as_kw = np.zeros((task.data.fleet.n, len(PRODUCTS)))
    if awards:
        as_kw = np.sum(awards, axis=0)[task.market.hour]
    return Positions(env, meter, as_kw)


def forecast_bids(env: ScoringEnv) -> ForecastBidder:
    """The bidding mode's ``forecast`` baseline (:class:`ForecastBidder`)."""
    return ForecastBidder(env)


def no_bids(env: ScoringEnv) -> Positions:
    """The bidding mode's ``none``: no bids (the default controller then holds the meter
    near zero, self-consumption, with no AS)."""
    n = env.task.data.fleet.n
    return Positions(env, np.zeros(n), np.zeros((n, len(PRODUCTS))))


BASELINES: dict[str, AgentFactory] = {
    "perfect_foresight": perfect_foresight,
    "rule": rule,
    "mpc": mpc,
    "none": none,
}
"""The shipped agents by the name ``vppsim score --agent`` takes."""

BIDDERS: dict[str, AgentFactory] = {
    "perfect_foresight": perfect_foresight_bids,
    "forecast": forecast_bids,
    "none": no_bids,
}
"""The shipped bidding-mode agents by the name ``vppsim score --mode bidding --agent``
takes."""
