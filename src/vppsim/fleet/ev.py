"""EV home charging: the sessions (one draw for the load generator and the dispatch) and a
charging kernel.

Sessions. Each EV home has a BEV or PHEV and a level-1 or level-2 charger; on each local
day it is not away it plugs in with probability ``min(1, ev_home_kwh_per_day / the type's
mean session energy)`` (at most one session a day), and the session is one of the type's
NREL EVI-Pro home sessions of the LA-Long Beach CBSA (shipped calibration table,
:func:`vppsim.load.fit.ev_session_table`): its start minute of the day (plus a uniform
jitter), its charging minutes at the type's charger power, and its plug-in duration, from
which the departure follows. Source: NREL, *EVI-Pro* simulated home charging sessions for
the LA-Long Beach-Anaheim CBSA (code 31080), as distributed with the ``ochre-nrel`` package
(BSD-3), columns ``start_time``, ``charge_time``, ``duration`` [min] and ``avg_power_kw``.
The draws are the home's own LOAD stream (:mod:`vppsim.load.draws`), so
:func:`vppsim.load.model.simulate_load` renders exactly these sessions (charging at full
power from arrival, the unmanaged profile) and :func:`sessions` regenerates them from
(seed, home, grid) for dispatch.

Kernel. Per home, the state is the energy the plugged-in car still needs [kWh, AC]; a
session's need arrives with it (:class:`Schedule`), the action is the charging power [kW],
clipped to the charger's power over the share of the interval the car is plugged in and to
the remaining need; what is still needed at departure is reported as unmet.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from vppsim.fleet.arrays import attribute
from vppsim.load.draws import (
    LoadCalendar,
    at_home,
    calendar,
    clock_to_grid_minutes,
    draw_uniforms,
    split_draws,
)
from vppsim.load.parameters import LoadCalibration, LoadParameters

VEHICLES = ("bev", "phev")
CHARGER_LEVELS = (1, 2)
REGENERATE_HOMES = 1000
"""Homes drawn together by :func:`sessions` (bounds the memory of the uniform blocks)."""


@dataclass(frozen=True)
class Sessions:
    """EV sessions, one entry per session (N,), ordered by charger type as drawn.

    Attributes
    ----------
    row : numpy.ndarray
        Row of the session's home in the homes table (int64).
    home_id : numpy.ndarray
        The home's id (int64).
    arrival_minute, charge_end_minute, departure_minute : numpy.ndarray
        Plug-in, end of unmanaged full-power charging, and plug-out [minutes from the grid
        start] (arrival may be before the grid: a session of the day before).
    power_kw : numpy.ndarray
        Charger power [kW AC].
    """

    row: np.ndarray
    home_id: np.ndarray
    arrival_minute: np.ndarray
    charge_end_minute: np.ndarray
    departure_minute: np.ndarray
    power_kw: np.ndarray

    def __len__(self) -> int:
        return len(self.row)

    @property
    def energy_kwh(self) -> np.ndarray:
        """Energy the session charges [kWh AC] (power x charging time)."""
        return self.power_kw * (self.charge_end_minute - self.arrival_minute) / 60.0

    def to_frame(self, step_minutes: float) -> pd.DataFrame:
        """The sessions as a table: ``home_id``, ``arrival_step``, ``departure_step`` (the
        intervals in which the car plugs in and out; may lie outside the grid),
        ``energy_kwh``, ``power_kw``, ``arrival_minute``, ``departure_minute``, sorted by
        home and arrival."""
        order = np.lexsort((self.arrival_minute, self.home_id))
        return pd.DataFrame(
            {
                "home_id": self.home_id[order],
                "arrival_step": np.floor(self.arrival_minute / step_minutes).astype(np.int64)[
                    order
                ],
                "departure_step": np.floor(self.departure_minute / step_minutes).astype(np.int64)[
                    order
                ],
                "energy_kwh": self.energy_kwh[order],
                "power_kw": self.power_kw[order],
                "arrival_minute": self.arrival_minute[order],
                "departure_minute": self.departure_minute[order],
            }
        )


def draw_sessions(
    homes: Any,
    cal: LoadCalendar,
    u: np.ndarray,
    home_at_home: np.ndarray,
    parameters: LoadParameters,
    calibration: LoadCalibration,
) -> Sessions:
    """The EV sessions of ``homes`` from their draws.

    Parameters
    ----------
    homes : pandas.DataFrame, mapping or object
        ``home_id``, ``has_ev``, ``ev_type`` (``bev``/``phev``) and ``ev_charger_level``.
    cal : LoadCalendar
        The grid's local calendar (:func:`vppsim.load.draws.calendar`).
    u : numpy.ndarray
        (H, D, 3) the homes' ``ev`` uniforms (:func:`vppsim.load.draws.split_draws`).
    home_at_home : numpy.ndarray
        (H, D) False on the homes' away days.
    parameters : LoadParameters
        ``ev_home_kwh_per_day`` and ``ev_start_jitter_minutes``.
    calibration : LoadCalibration
        The EVI-Pro tables (``ev_sessions``).
    """
    p = parameters
    ev_rows = np.flatnonzero(attribute(homes, "has_ev", bool))
    ev_type = np.asarray(attribute(homes, "ev_type", object), dtype=str)[ev_rows]
    level = attribute(homes, "ev_charger_level", np.int64)[ev_rows]
    home_ids = attribute(homes, "home_id", np.int64)
    u, home_at_home = u[ev_rows], home_at_home[ev_rows]
    parts = []
    for vehicle in VEHICLES:
        for charger in CHARGER_LEVELS:
            mine = np.flatnonzero((ev_type == vehicle) & (level == charger))
            if not len(mine):
                continue
            table = calibration.ev_sessions[f"{vehicle}_l{charger}"]
            starts = np.asarray(table["start_minute"], dtype=np.float64)
            charge = np.asarray(table["charge_minutes"], dtype=np.float64)
            plugged = np.maximum(np.asarray(table["plug_minutes"], dtype=np.float64), charge)
            probability = min(1.0, p.ev_home_kwh_per_day / float(table["mean_session_kwh"]))
            uu = u[mine]
            r, day = np.nonzero((uu[:, :, 0] < probability) & home_at_home[mine])
            pick = np.minimum((uu[r, day, 1] * len(starts)).astype(np.int64), len(starts) - 1)
            clock = starts[pick] + p.ev_start_jitter_minutes * (uu[r, day, 2] - 0.5)
            start = clock_to_grid_minutes(cal, day, clock)
            rows = ev_rows[mine][r]
            power = np.full(len(r), float(table["power_kw"]))
            parts.append((rows, start, start + charge[pick], start + plugged[pick], power))
    if not parts:
        return _no_sessions()
    rows, start, end, leave, power = (np.concatenate(x) for x in zip(*parts, strict=True))
    # Days are drawn independently, so a slow (level-1) charge may still run when the car's
    # next session begins: the car left in between, and its charging stops then.
    leave = _leave_before_next(rows, start, leave)
    return Sessions(rows, home_ids[rows], start, np.minimum(end, leave), leave, power)


def _no_sessions() -> Sessions:
    empty = np.zeros(0)
    return Sessions(empty.astype(np.int64), empty.astype(np.int64), *(empty,) * 4)


def _leave_before_next(
    rows: np.ndarray, start: np.ndarray, leave: np.ndarray, step_minutes: float | None = None
) -> np.ndarray:
    """Plug-out minutes cut at the home's next plug-in (a car leaves before it returns),
    or at the start of the interval of ``step_minutes`` in which it plugs in."""
    order = np.lexsort((start, rows))
    following = start[order][1:]
    if step_minutes is not None:
        following = np.floor(following / step_minutes) * step_minutes
    same = rows[order][1:] == rows[order][:-1]
    leave = leave.copy()
    leave[order[:-1]] = np.minimum(leave[order][:-1], np.where(same, following, np.inf))
    return leave


def sessions(
    homes: pd.DataFrame,
    grid: pd.DatetimeIndex,
    timezone: str,
    interval_minutes: int,
    seed: int,
    parameters: LoadParameters | None = None,
    calibration: LoadCalibration | None = None,
) -> Sessions:
    """Regenerate the sessions :func:`vppsim.load.model.simulate_load` charges for ``homes``
    on ``grid`` (the same draws: home ``i`` from ``stream_rng(seed, Stream.LOAD, i)``).

    Parameters are those of :func:`vppsim.load.model.simulate_load`; ``homes`` is the homes
    (or assets) table with the :func:`vppsim.load.homes.draw_homes` columns.
    """
    p = LoadParameters() if parameters is None else parameters
    tables = LoadCalibration.default() if calibration is None else calibration
    cal = calendar(pd.DatetimeIndex(grid), timezone, interval_minutes)
    ev_rows = np.flatnonzero(homes["has_ev"].to_numpy(dtype=bool))
    parts = []
    for first in range(0, len(ev_rows), REGENERATE_HOMES):
        block = homes.iloc[ev_rows[first : first + REGENERATE_HOMES]]
        draws = split_draws(
            draw_uniforms(seed, block["home_id"].to_numpy(np.int64), cal.n_days), cal.n_days
        )
        drawn = draw_sessions(block, cal, draws["ev"], at_home(draws, p), p, tables)
        parts.append(replace(drawn, row=ev_rows[first + drawn.row]))
    if not parts:
        return _no_sessions()
    fields = [f.name for f in dataclasses.fields(Sessions)]
    return Sessions(*(np.concatenate([getattr(s, f) for s in parts]) for f in fields))


@dataclass(frozen=True)
class Schedule:
    """The sessions on the grid, per interval and home (T, H), for the kernel.

    Attributes
    ----------
    plugged : numpy.ndarray
        Share of the interval the car is plugged in [1].
    arriving_kwh : numpy.ndarray
        Energy need of the session that plugs in during the interval [kWh AC] (what is
        left of it at the grid start for a session of the day before).
    departing : numpy.ndarray
        The plugged-in session plugs out during the interval (bool).
    power_kw : numpy.ndarray
        (H,) charger power [kW AC] (0 without EV).
    step_minutes : float
        Interval length [min].
    dropped_kwh : numpy.ndarray
        (H,) energy of the sessions left out because the car's next session plugs in
        during the same interval [kWh] (reported, not charged).
    """

    plugged: np.ndarray
    arriving_kwh: np.ndarray
    departing: np.ndarray
    power_kw: np.ndarray
    step_minutes: float
    dropped_kwh: np.ndarray

    def at(self, k: int) -> dict[str, np.ndarray]:
        """The interval ``k``'s exogenous inputs (views, (H,))."""
        return {
            "plugged": self.plugged[k],
            "arriving_kwh": self.arriving_kwh[k],
            "departing": self.departing[k],
        }


def schedule(drawn: Sessions, n_homes: int, n_steps: int, step_minutes: float) -> Schedule:
    """Lay ``drawn`` sessions onto a grid of ``n_steps`` intervals for ``n_homes`` homes.

    A session is kept if it is plugged in during the grid; its plug-out is moved back to
    the start of the interval of the home's next plug-in, so at most one session per home is
    plugged in during an interval (a session whose next one plugs in during its own arrival
    interval is dropped, its energy reported in ``dropped_kwh``); the charging after a moved
    plug-out goes with it, so the layout never makes a need its window cannot hold. A
    session plugged in before the grid starts needs what unmanaged charging would still
    deliver after the start.
    """
    dt = float(step_minutes)
    start = np.maximum(drawn.arrival_minute, 0.0)
    leave = _leave_before_next(drawn.row, drawn.arrival_minute, drawn.departure_minute, dt)
    during = (start < n_steps * dt) & (drawn.departure_minute > 0.0)
    keep = during & (leave > start)
    lost = during & ~keep
    # A kept session's charging ends at its moved plug-out: else the tail cut by the move
    # would be a shortfall no controller could avoid, which the dispatch would flag as an
    # issue and the env's guard chase above the charger.
    end = np.where(
        keep & (leave < drawn.departure_minute),
        np.minimum(drawn.charge_end_minute, leave),
        drawn.charge_end_minute,
    )
    need = drawn.power_kw * np.maximum(end - start, 0.0) / 60.0
    dropped = np.bincount(drawn.row[lost], need[lost], minlength=n_homes).astype(np.float64)
    rows, start, leave, power, need = (
        x[keep] for x in (drawn.row, start, leave, drawn.power_kw, need)
    )
    # Interval shares of [start, leave): each session's intervals k0 .. k1 - 1.
    k0 = np.floor(start / dt).astype(np.int64)
    k1 = np.minimum(np.ceil(leave / dt).astype(np.int64), n_steps)
    count = k1 - k0
    each = np.repeat(np.arange(len(rows)), count)
    ks = k0[each] + np.arange(len(each)) - np.repeat(np.cumsum(count) - count, count)
    plugged = np.zeros((n_steps, n_homes))
    plugged[ks, rows[each]] = (
        np.minimum(leave[each], (ks + 1) * dt) - np.maximum(start[each], ks * dt)
    ) / dt
    arriving = np.zeros((n_steps, n_homes))
    np.add.at(arriving, (k0, rows), need)
    departing = np.zeros((n_steps, n_homes), dtype=bool)
    leaves = np.ceil(leave / dt) <= n_steps
    departing[(k1 - 1)[leaves], rows[leaves]] = True
    home_power = np.zeros(n_homes)
    home_power[rows] = power
    return Schedule(plugged, arriving, departing, home_power, dt, dropped)


class EVKernel:
    """Steps the homes' EV charging: ``step(state, action, exogenous_t)``.

    The state is the energy the plugged-in (or arriving) car still needs (H,) [kWh AC]; the
    action the charging power (H,) [kW AC]. The returned state and the arrays of ``applied``
    and ``info`` are the kernel's buffers (two alternate for the state): valid until the
    step after next; copy what is kept.
    """

    def __init__(self, plan: Schedule):
        self.plan = plan
        n_homes = len(plan.power_kw)
        self.dt_h = plan.step_minutes / 60.0
        self._states = (np.empty(n_homes), np.empty(n_homes))
        self._applied = np.empty(n_homes)
        self._limit = np.empty(n_homes)
        self._unmet = np.empty(n_homes)
        self._flag = np.empty(n_homes, dtype=bool)
        self._zero = np.zeros(n_homes)  # faster than a scalar 0 in maximum

    def initial_state(self) -> np.ndarray:
        """No car needs energy before the first interval [kWh]."""
        return np.zeros(len(self.plan.power_kw))

    def step(
        self, state: np.ndarray, action: np.ndarray, exogenous_t: dict[str, np.ndarray]
    ) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
        """One interval.

        Parameters
        ----------
        state : numpy.ndarray
            Energy still needed at the interval start [kWh].
        action : numpy.ndarray or float
            Requested charging power [kW].
        exogenous_t : dict
            :meth:`Schedule.at` of the interval.

        Returns
        -------
        state, applied, info
            Need at the interval end [kWh] (0 after a departure); charging power applied
            [kW]; ``requested_kw``, ``unmet_kwh`` (H,) (need left at a departure),
            ``clipped`` (homes whose action was changed) and ``unmet_sessions`` (counts).
        """
        out = self._states[1] if state is self._states[0] else self._states[0]
        limit, applied, unmet = self._limit, self._applied, self._unmet
        np.add(state, exogenous_t["arriving_kwh"], out=out)
        np.multiply(self.plan.power_kw, exogenous_t["plugged"], out=limit)
        np.multiply(out, 1.0 / self.dt_h, out=unmet)  # the need as a power [kW]
        np.minimum(limit, unmet, out=limit)
        np.minimum(action, limit, out=applied)
        np.maximum(applied, self._zero, out=applied)
        np.not_equal(applied, action, out=self._flag)
        clipped = int(np.count_nonzero(self._flag))
        np.multiply(applied, self.dt_h, out=unmet)
        out -= unmet
        departing = exogenous_t["departing"]
        np.multiply(out, departing, out=unmet)
        out -= unmet
        info = {
            "requested_kw": action,
            "unmet_kwh": unmet,
            "clipped": clipped,
            "unmet_sessions": int(np.count_nonzero(np.greater(unmet, 1e-9, out=self._flag))),
        }
        return out, applied, info

    def simulate(self, controls: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Charging power (T, H) [kW] and unmet energy at departures (T, H) [kWh] under
        ``controls`` (T, H) [kW], by default unmanaged (full power from arrival until the
        need is met)."""
        plan = self.plan
        n_steps, n_homes = plan.plugged.shape
        power = np.empty((n_steps, n_homes))
        unmet = np.empty((n_steps, n_homes))
        state = self.initial_state()
        for k in range(n_steps):
            action = plan.power_kw if controls is None else controls[k]
            state, applied, info = self.step(state, action, plan.at(k))
            power[k] = applied
            unmet[k] = info["unmet_kwh"]
        return power, unmet


def simulate(plan: Schedule, controls: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """:meth:`EVKernel.simulate` of ``plan``: charging power (T, H) [kW] and unmet energy
    at departures (T, H) [kWh]; unmanaged without ``controls``."""
    return EVKernel(plan).simulate(controls)
