"""The aggregation's homes stepped together, 15 minutes at a time, by the device kernels.

One physics with the load dataset and the dispatch LP: the homes' series are those of
:func:`vppsim.fleet.run.prepare_chunk` (non-flexible load, PV, EV sessions, the thermal model
of the air conditioners the dispatch may move), stepped by
:class:`~vppsim.fleet.battery.BatteryKernel`, :class:`~vppsim.fleet.ev.EVKernel` and
:class:`~vppsim.fleet.thermal.ThermalKernel` for every home at once.

The aggregator's setpoints (:data:`ACTIONS`, one row per home) are shares of each device's
rating; the simulator turns them into powers and holds the homes' needs, which the
aggregator cannot break (each clip is counted in the step's ``clipped``):

* EV: the charging never falls below what the session still needs less what the rest of its
  plugged-in window can deliver (the car leaves with its energy when it can), nor above the
  charger and the need (the kernel).
* AC: the cooling keeps the air inside the comfort band where the unit can, between the
  power that holds ``setpoint + band`` and the one that holds the band's lower edge
  (:attr:`~vppsim.fleet.dispatch.Thermal.floor_c`), no more than the unit's capacity where
  even full cooling cannot hold the ceiling; the kernel clips to the capacity.
* Battery: the kernel holds the power limits and the energy window above the customer's
  backup reserve; the discharge is also capped so that the meter cannot exceed the export
  limit even with all PV curtailed.
* PV: curtailed by the share asked, and further where the meter would exceed the export
  limit (the inverter's export control).

Several fleets step together as one (:meth:`Fleet.concat`, the vector environment): the
step keeps its comfort, EV shortfall and clips per home, so that each fleet reads its own
through a :class:`FleetView`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields, replace

import numpy as np

from vppsim.errors import ConfigError
from vppsim.fleet import battery, ev, thermal
from vppsim.fleet.dispatch import EVSessions, HomeAssets, HomeSeries
from vppsim.fleet.dispatch_spec import DispatchSettings
from vppsim.fleet.kpis import ev_plan, thermal_fleet

ACTIONS = ("battery", "ev", "ac", "curtail")
"""Columns of an action: battery net power as a share of the charge (> 0) or discharge
(< 0) rating in [-1, 1]; EV charging, AC cooling and PV curtailment as shares of the charger's
power, the unit's cooling capacity and the PV output in [0, 1]."""
CLIP_TOLERANCE_KW = 1e-9
"""A setpoint changed by less than this is not counted as clipped [kW] (rounding)."""
COMFORT_TOLERANCE_KW = 1e-6
"""An AC setpoint moved by the comfort guard by less than this is not counted as clipped
[kW]: a schedule that holds the band's edge exactly (the dispatch LP's) sits within HiGHS's
primal feasibility tolerance (1e-7 on the LP's rows, ~1e-8 kW here) on either side of the
power that holds it, which is rounding, not the aggregator asking too little (the LP replay
on the default offline month counts 22 comfort moves at 1e-9 kW, none at 1e-6 kW)."""
ACTION_LOW = np.array([-1.0, 0.0, 0.0, 0.0])
ACTION_HIGH = np.ones(len(ACTIONS))


def _session_room(cars: Sequence[EVSessions], n: int, dt_h: float) -> np.ndarray:
    """(T, H) energy each home's car can still take after interval ``k`` within the session
    plugged in at ``k`` [kWh] (0 outside sessions)."""
    out = np.zeros((n, len(cars)))
    for j, car in enumerate(cars):
        energy = car.limit_kw * dt_h
        for first, end in zip(car.arrival, car.departure, strict=True):
            window = energy[first:end]
            out[first:end, j] = np.cumsum(window[::-1])[::-1] - window
    return out


@dataclass(frozen=True, eq=False)
class Fleet:
    """The aggregation's homes on a grid of ``T`` intervals: their exogenous series and
    device parameters, arrays over the ``H`` homes (``rows`` index a device's homes).

    Attributes
    ----------
    home_ids : numpy.ndarray
        (H,) ids.
    dt_h : float
        Interval [h].
    base_kw, pv_kw : numpy.ndarray
        (T, H) non-flexible load and PV output [kW].
    export_limit_kw : numpy.ndarray
        (H,) [kW].
    battery_rows : numpy.ndarray
        (B,) homes with a battery; ``batteries`` their parameters (the reserve as floor) and
        ``initial_soc_kwh`` (B,) their stored energy at the start [kWh].
    ev_rows : numpy.ndarray
        (E,) homes with EV sessions; ``ev_plan`` the EV kernel's plan and ``ev_room_kwh``
        (T, E) what each session can still take after each interval [kWh].
    ac_rows : numpy.ndarray
        (A,) homes whose AC the aggregation moves; ``thermal_model``, ``drive`` (T, A),
        ``x0`` (A,) mass temperature at the start [degC], ``ceiling_c`` and ``floor_c``
        (T, A) the comfort band's edges [degC].
    regulation_share : float
        Share of regulation awards charged as throughput [1].
    """

    home_ids: np.ndarray
    dt_h: float
    base_kw: np.ndarray
    pv_kw: np.ndarray
    export_limit_kw: np.ndarray
    battery_rows: np.ndarray
    batteries: battery.BatteryFleet | None
    initial_soc_kwh: np.ndarray
    ev_rows: np.ndarray
    ev_plan: ev.Schedule | None
    ev_room_kwh: np.ndarray
    ac_rows: np.ndarray
    thermal_model: thermal.ThermalModel | None
    drive: thermal.Drive | None
    x0: np.ndarray
    ceiling_c: np.ndarray
    floor_c: np.ndarray
    regulation_share: float

    @property
    def n(self) -> int:
        return self.base_kw.shape[0]

    @property
    def homes(self) -> int:
        return self.base_kw.shape[1]

    @classmethod
    def from_homes(
        cls,
        home_ids: np.ndarray,
        series: Sequence[HomeSeries],
        assets: Sequence[HomeAssets],
        settings: DispatchSettings,
        dt_h: float,
    ) -> Fleet:
        """From the dispatch's per-home inputs (:func:`vppsim.fleet.run.prepare_chunk`)."""
        n = len(series[0].base_kw)
        packs = [a.battery(settings) for a in assets]
        rows = np.array([i for i, p in enumerate(packs) if p is not None], dtype=int)
        batteries = battery.BatteryFleet.stack([packs[i] for i in rows]) if rows.size else None
        initial = np.array([packs[i].initial_soc * packs[i].usable_energy_kwh for i in rows])
        cars = np.array([i for i, s in enumerate(series) if s.ev is not None], dtype=int)
        sessions = [series[i].ev for i in cars]
        houses = np.array([i for i, s in enumerate(series) if s.thermal is not None], dtype=int)
        homes = [series[i].thermal for i in houses]
        model = drive = None
        x0 = np.zeros(0)
        if homes:
            model, drive, x0 = thermal_fleet(homes)
        return cls(
            home_ids=np.asarray(home_ids),
            dt_h=dt_h,
            base_kw=np.column_stack([s.base_kw for s in series]),
            pv_kw=np.column_stack([s.pv_kw for s in series]),
            export_limit_kw=np.array([a.export_limit_kw for a in assets]),
            battery_rows=rows,
            batteries=batteries,
            initial_soc_kwh=initial,
            ev_rows=cars,
            ev_plan=ev_plan(sessions, n, dt_h) if sessions else None,
            ev_room_kwh=_session_room(sessions, n, dt_h),
            ac_rows=houses,
            thermal_model=model,
            drive=drive,
            x0=x0,
            ceiling_c=np.column_stack([h.setpoint_c + h.band_c for h in homes])
            if homes
            else np.zeros((n, 0)),
            floor_c=np.column_stack([h.floor_c for h in homes]) if homes else np.zeros((n, 0)),
            regulation_share=settings.regulation_throughput_share,
        )

    @classmethod
    def concat(cls, fleets: Sequence[Fleet]) -> Fleet:
        """The homes of ``fleets`` side by side, in order, so that one
        :class:`FleetSimulator` steps them all: fleet ``i``'s home ``j`` is home
        ``offset_i + j`` (``offset_i`` the homes of the fleets before it), and each device's
        rows stay grouped by fleet. The fleets must share the grid (``n``, ``dt_h``), the
        regulation share and the kernels' fleet-wide constants (one-line ConfigError)."""
        first = fleets[0]
        for other in fleets[1:]:
            for name in ("n", "dt_h", "regulation_share"):
                if getattr(other, name) != getattr(first, name):
                    raise ConfigError(
                        f"fleets differ in {name} ({getattr(first, name)} and "
                        f"{getattr(other, name)}): one simulator steps one grid"
                    )
        offsets = np.cumsum([0, *(f.homes for f in fleets[:-1])])

        def cat(arrays: Sequence[np.ndarray]) -> np.ndarray:
            return np.concatenate(arrays, axis=-1)

        def rows(name: str) -> np.ndarray:
            return cat([getattr(f, name) + o for f, o in zip(fleets, offsets, strict=True)])

        def joined(parts: list) -> object:
            """One object of the non-None ``parts``: their arrays concatenated, the rest
            (constants of the whole kernel, or None) shared."""
            parts = [p for p in parts if p is not None]
            if not parts:
                return None
            values = {}
            for f in fields(parts[0]):
                each = [getattr(p, f.name) for p in parts]
                if isinstance(each[0], np.ndarray) and all(isinstance(v, np.ndarray) for v in each):
                    values[f.name] = cat(each)
                elif any(isinstance(v, np.ndarray) or v != each[0] for v in each):
                    raise ConfigError(f"fleets differ in {type(parts[0]).__name__}.{f.name}")
            return replace(parts[0], **values)

        return cls(
            home_ids=cat([f.home_ids for f in fleets]),
            dt_h=first.dt_h,
            base_kw=cat([f.base_kw for f in fleets]),
            pv_kw=cat([f.pv_kw for f in fleets]),
            export_limit_kw=cat([f.export_limit_kw for f in fleets]),
            battery_rows=rows("battery_rows"),
            batteries=joined([f.batteries for f in fleets]),
            initial_soc_kwh=cat([f.initial_soc_kwh for f in fleets]),
            ev_rows=rows("ev_rows"),
            ev_plan=joined([f.ev_plan for f in fleets]),
            ev_room_kwh=cat([f.ev_room_kwh for f in fleets]),
            ac_rows=rows("ac_rows"),
            thermal_model=joined([f.thermal_model for f in fleets]),
            drive=joined([f.drive for f in fleets]),
            x0=cat([f.x0 for f in fleets]),
            ceiling_c=cat([f.ceiling_c for f in fleets]),
            floor_c=cat([f.floor_c for f in fleets]),
            regulation_share=first.regulation_share,
        )

    def tiled(self, copies: int) -> Fleet:
        """``copies`` replicas of the homes side by side (for speed measurements), numbered
        0, 1, ... (:meth:`concat`)."""
        return replace(self.concat([self] * copies), home_ids=np.arange(self.homes * copies))


@dataclass(frozen=True)
class Rows:
    """One fleet's rows in a concatenation of fleets (:meth:`Fleet.concat`): its homes
    (H), batteries (B), cars (E) and moved ACs (A)."""

    homes: slice
    batteries: slice
    cars: slice
    houses: slice


@dataclass(frozen=True)
class Segments:
    """Consecutive runs of rows, one per group (the fleets of a concatenation, a device's
    rows by fleet), for sums per group.

    Attributes
    ----------
    starts : numpy.ndarray
        First row of each non-empty group.
    where : numpy.ndarray
        Their group numbers.
    groups : int
        How many groups (an empty one sums to 0).
    """

    starts: np.ndarray
    where: np.ndarray
    groups: int

    @classmethod
    def of_counts(cls, counts: Sequence[int]) -> Segments:
        """Groups of ``counts`` rows each, in order."""
        counts = np.asarray(counts, dtype=int)
        starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
        return cls(starts[counts > 0], np.flatnonzero(counts > 0), len(counts))

    def sums(self, values: np.ndarray, dtype: type = float) -> np.ndarray:
        """(..., groups) sums of ``values`` (..., rows) over each group's rows
        (``numpy.add.reduceat``: a group's sum does not depend on the rows beside it)."""
        if self.starts.size == self.groups:  # no empty group
            return np.add.reduceat(values, self.starts, axis=-1, dtype=dtype)
        out = np.zeros((*values.shape[:-1], self.groups), dtype=dtype)
        if self.starts.size:
            out[..., self.where] = np.add.reduceat(values, self.starts, axis=-1, dtype=dtype)
        return out


DEVICE_ROWS = {"ev": "cars", "ac": "houses", "battery": "batteries", "pv": "homes"}
"""The :class:`Rows` a kind of clip runs over, by the kind's first word."""


@dataclass(frozen=True)
class StepResult:
    """What one interval did, per home (H,) unless said [kW, kWh, degC].

    ``meter_kw`` net meter flow, export positive; ``charge_kw``, ``discharge_kw``, ``ev_kw``,
    ``ac_kw``, ``curtail_kw``; ``air_c`` (NaN without a moved AC); ``comfort_kh`` the
    fleet's degree-hours outside the band [K-h]; ``ev_unmet_kwh`` energy short at
    departures; ``clipped`` counts of homes whose setpoint was changed, by device and why.
    The same per device: ``comfort_rows_kh`` (A,), ``ev_unmet_rows_kwh`` (E,) and
    ``clipped_rows`` (bool, over the rows of :data:`DEVICE_ROWS`), so that a fleet stepped
    with others reports its own (:meth:`part`). The arrays are fresh copies.
    """

    meter_kw: np.ndarray
    charge_kw: np.ndarray
    discharge_kw: np.ndarray
    ev_kw: np.ndarray
    ac_kw: np.ndarray
    curtail_kw: np.ndarray
    air_c: np.ndarray
    comfort_rows_kh: np.ndarray
    ev_unmet_rows_kwh: np.ndarray
    clipped_rows: dict[str, np.ndarray]

    @property
    def comfort_kh(self) -> float:
        return float(self.comfort_rows_kh.sum())

    @property
    def ev_unmet_kwh(self) -> float:
        return float(self.ev_unmet_rows_kwh.sum())

    @property
    def clipped(self) -> dict[str, int]:
        return {kind: int(np.count_nonzero(f)) for kind, f in self.clipped_rows.items()}

    def part(self, rows: Rows) -> StepResult:
        """The result of one fleet of a concatenation alone (views)."""
        return StepResult(
            comfort_rows_kh=self.comfort_rows_kh[rows.houses],
            ev_unmet_rows_kwh=self.ev_unmet_rows_kwh[rows.cars],
            clipped_rows={
                kind: f[getattr(rows, DEVICE_ROWS[kind.split()[0]])]
                for kind, f in self.clipped_rows.items()
            },
            **{name: getattr(self, name)[rows.homes] for name in PER_HOME},
        )


PER_HOME = ("meter_kw", "charge_kw", "discharge_kw", "ev_kw", "ac_kw", "curtail_kw", "air_c")
"""The per-home power and temperature arrays of a :class:`StepResult`."""


def headroom(
    fleet: Fleet,
    state: battery.BatteryState | None,
    last: StepResult | None,
    before_soc: np.ndarray | None = None,
    segments: Segments | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """The AS headroom of groups of the fleet's batteries in the interval ``last``: power
    (groups, 2) up and down [kW] and deliverable energy (groups, 2) up and down [kWh, grid
    side], the latter at the weaker of the interval's start (``before_soc``, (B,) [kWh]) and
    end (``state``) stored energies.

    Up: discharge headroom, no more than the room under the export limit; down: charge
    headroom (:mod:`vppsim.fleet.dispatch`'s constraints, per home, summed over each group
    of ``segments`` of the battery rows, one group of them all by default: the fleets of a
    concatenation settle their own). The energy window is the kernel's
    (:class:`~vppsim.fleet.battery.BatteryKernel`): between ``max(min_soc, backup_reserve)``
    and 1 of the usable energy times the state of health ``state.soh`` at the interval's end
    (a faded battery holds less)."""
    b, rows = fleet.batteries, fleet.battery_rows
    if segments is None:
        segments = Segments.of_counts([len(rows)])
    if state is None or last is None:
        return np.zeros((segments.groups, 2)), np.zeros((segments.groups, 2))
    up = np.minimum(
        b.discharge_kw - last.discharge_kw[rows],
        fleet.export_limit_kw[rows] - last.meter_kw[rows],
    )
    down = b.charge_kw - last.charge_kw[rows]
    soc = state.soc_kwh
    capacity = b.energy_kwh * state.soh
    low = np.maximum(b.min_soc, b.backup_reserve) * capacity
    if before_soc is not None:
        soc_low, soc_high = np.minimum(soc, before_soc), np.maximum(soc, before_soc)
    else:
        soc_low = soc_high = soc
    energy_up = (soc_low - low) * b.discharge_efficiency
    energy_down = (capacity - soc_high) / b.charge_efficiency
    sums = segments.sums(np.maximum(np.stack([up, down, energy_up, energy_down]), 0.0))
    return sums[:2].T, sums[2:].T


class FleetState:
    """What a fleet's state reads as (shared by :class:`FleetSimulator` and
    :class:`FleetView`): ``fleet``, ``battery_state``, ``ev_need`` and ``last``."""

    fleet: Fleet
    battery_state: battery.BatteryState | None
    ev_need: np.ndarray | None
    last: StepResult | None

    def stored_kwh(self) -> np.ndarray | None:
        """(B,) the batteries' stored energy now [kWh], a copy (None without battery): the
        start of a step's state that its settlement needs (:func:`headroom`)."""
        state = self.battery_state
        return None if state is None else state.soc_kwh.copy()

    def soc_kwh(self) -> np.ndarray:
        """(H,) stored energy now [kWh] (0 without battery)."""
        out = np.zeros(self.fleet.homes)
        if self.battery_state is not None:
            out[self.fleet.battery_rows] = self.battery_state.soc_kwh
        return out

    def ev_need_kwh(self) -> np.ndarray:
        """(H,) energy the plugged-in car still needs now [kWh] (0 without)."""
        out = np.zeros(self.fleet.homes)
        if self.ev_need is not None:
            out[self.fleet.ev_rows] = self.ev_need
        return out

    def headroom(self, before_soc: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """The fleet's AS headroom in the last interval, (2,) power and (2,) energy
        (:func:`headroom`)."""
        power, energy = headroom(self.fleet, self.battery_state, self.last, before_soc)
        return power[0], energy[0]


class FleetSimulator(FleetState):
    """Steps a :class:`Fleet` (module docstring): ``reset()``, then ``step(action)`` once per
    interval with an (H, 4) action of :data:`ACTIONS` shares."""

    def __init__(self, fleet: Fleet):
        self.fleet = fleet
        f = fleet
        self._battery = (
            None if f.batteries is None else battery.BatteryKernel(f.batteries, f.dt_h * 60.0)
        )
        self._ev = None if f.ev_plan is None else ev.EVKernel(f.ev_plan)
        self._ac = None if f.thermal_model is None else thermal.ThermalKernel(f.thermal_model)
        self.reset()

    def reset(self) -> None:
        """Back to the start of the grid."""
        f = self.fleet
        self.k = 0
        self.battery_state = (
            None
            if self._battery is None
            else battery.BatteryState(f.initial_soc_kwh.copy(), np.ones(len(f.battery_rows)))
        )
        self.ev_need = None if self._ev is None else self._ev.initial_state()
        self.mass_c = f.x0.copy()
        self.last = None

    def step(self, action: np.ndarray) -> StepResult:
        """One interval under ``action`` (H, 4) (:data:`ACTIONS`)."""
        f, k, dt = self.fleet, self.k, self.fleet.dt_h
        if k >= f.n:
            raise RuntimeError("the fleet's grid is over: reset first")
        action = np.asarray(action, dtype=float)
        homes = f.homes
        clipped: dict[str, np.ndarray] = {}  # over each device's rows (DEVICE_ROWS)
        ev_kw, ac_kw, air = np.zeros(homes), np.zeros(homes), np.full(homes, np.nan)
        unmet, comfort = np.zeros(len(f.ev_rows)), np.zeros(len(f.ac_rows))
        if self._ev is not None:
            rows, plan = f.ev_rows, f.ev_plan
            exogenous = plan.at(k)
            asked = action[rows, 1] * plan.power_kw
            need = self.ev_need + exogenous["arriving_kwh"]
            # A need the window cannot hold (a session cut by the grid's end) asks for the
            # charger, never above it: the guard's own floor is no clip of the aggregator's.
            floor = np.minimum(
                np.maximum(need - f.ev_room_kwh[k], 0.0) / dt, plan.power_kw * exogenous["plugged"]
            )
            request = np.maximum(asked, floor)
            state, applied, info = self._ev.step(self.ev_need, request, exogenous)
            # Counted where the car got more than asked, and where the kernel cut the request
            # to the charger or the need (beyond rounding: the kernel's flag is exact).
            clipped["ev need"] = applied > asked + CLIP_TOLERANCE_KW
            clipped["ev limit"] = request - applied > CLIP_TOLERANCE_KW
            self.ev_need = state.copy()
            ev_kw[rows] = applied
            unmet = info["unmet_kwh"].copy()
        if self._ac is not None:
            rows, kernel = f.ac_rows, self._ac
            drive = f.drive.at(k)
            asked = action[rows, 2] * f.thermal_model.cooling_kw / drive.cop
            edges = np.stack([f.ceiling_c[k], f.floor_c[k]])
            least, most = kernel.electric_to_hold(self.mass_c, edges, drive)
            # Where even full cooling cannot hold the ceiling, the guard asks for the unit's
            # capacity (its best), not for more than it has: no clip of its own.
            least = np.minimum(least, f.thermal_model.cooling_kw / drive.cop)
            request = np.minimum(np.maximum(asked, least), np.maximum(most, least))
            clipped["ac comfort"] = np.abs(request - asked) > COMFORT_TOLERANCE_KW
            state, applied, info = kernel.step(self.mass_c, request, drive)
            # The kernel's clip: the power asked beyond the unit's capacity (rounding aside).
            clipped["ac capacity"] = np.abs(request - applied) > CLIP_TOLERANCE_KW
            self.mass_c = state.copy()
            ac_kw[rows] = applied
            air[rows] = info["air_c"]
            outside = np.maximum(info["air_c"] - f.ceiling_c[k], 0.0) + np.maximum(
                f.floor_c[k] - info["air_c"], 0.0
            )
            comfort = outside * dt
        pv, base = f.pv_kw[k], f.base_kw[k]
        charge, discharge = np.zeros(homes), np.zeros(homes)
        if self._battery is not None:
            rows, b = f.battery_rows, f.batteries
            share = action[rows, 0]
            asked = np.where(share > 0, share * b.charge_kw, share * b.discharge_kw)
            # With all PV curtailed the meter is discharge - load: cap it at the export limit.
            lowest = -(f.export_limit_kw[rows] + base[rows] + ev_kw[rows] + ac_kw[rows])
            request = np.maximum(asked, lowest)
            clipped["battery export"] = request > asked + CLIP_TOLERANCE_KW
            state, applied, _ = self._battery.step(self.battery_state, request)
            clipped["battery limit"] = applied != request  # the kernel's clip
            self.battery_state = battery.BatteryState(state.soc_kwh.copy(), state.soh.copy())
            charge[rows] = np.maximum(applied, 0.0)
            discharge[rows] = np.maximum(-applied, 0.0)
        uncurtailed = pv - base + discharge - charge - ev_kw - ac_kw
        curtail = np.clip(np.maximum(action[:, 3] * pv, uncurtailed - f.export_limit_kw), 0.0, pv)
        clipped["pv export"] = curtail > action[:, 3] * pv + CLIP_TOLERANCE_KW
        self.last = StepResult(
            comfort_rows_kh=comfort,
            ev_unmet_rows_kwh=unmet,
            clipped_rows=clipped,
            meter_kw=uncurtailed - curtail,
            charge_kw=charge,
            discharge_kw=discharge,
            ev_kw=ev_kw,
            ac_kw=ac_kw,
            curtail_kw=curtail,
            air_c=air,
        )
        self.k = k + 1
        return self.last


class FleetView(FleetState):
    """One of the fleets a :class:`FleetSimulator` steps side by side
    (:meth:`Fleet.concat`): the simulator's state restricted to its homes (``k``, ``last``,
    ``battery_state``, ``ev_need``, ``mass_c`` and :class:`FleetState`'s readings), so that
    an environment settles its own homes. Stepping and resetting belong to the shared
    simulator: :meth:`step` refuses and :meth:`reset` leaves the state alone.

    Parameters
    ----------
    sim : FleetSimulator
        Stepping ``Fleet.concat(fleets)``.
    fleets : sequence of Fleet
        The fleets, in their order in the concatenation.
    index : int
        Which one.

    Attributes
    ----------
    rows : Rows
        Its rows in the concatenation.
    """

    def __init__(self, sim: FleetSimulator, fleets: Sequence[Fleet], index: int):
        self.sim, self.fleet = sim, fleets[index]

        def rows(count) -> slice:
            start = sum(count(f) for f in fleets[:index])
            return slice(start, start + count(fleets[index]))

        self.rows = Rows(
            homes=rows(lambda f: f.homes),
            batteries=rows(lambda f: len(f.battery_rows)),
            cars=rows(lambda f: len(f.ev_rows)),
            houses=rows(lambda f: len(f.ac_rows)),
        )
        self._seen: tuple[StepResult | None, StepResult | None] = (None, None)
        self._state: tuple[battery.BatteryState | None, ...] = (None, None)

    @property
    def k(self) -> int:
        return self.sim.k

    @property
    def last(self) -> StepResult | None:
        shared = self.sim.last
        if shared is not self._seen[0]:
            self._seen = (shared, None if shared is None else shared.part(self.rows))
        return self._seen[1]

    @property
    def battery_state(self) -> battery.BatteryState | None:
        shared = self.sim.battery_state
        if shared is not self._state[0]:
            mine = None
            if shared is not None and self.fleet.batteries is not None:
                rows = self.rows.batteries
                mine = battery.BatteryState(shared.soc_kwh[rows], shared.soh[rows])
            self._state = (shared, mine)
        return self._state[1]

    @property
    def ev_need(self) -> np.ndarray | None:
        need = self.sim.ev_need
        return None if need is None or self.fleet.ev_plan is None else need[self.rows.cars]

    @property
    def mass_c(self) -> np.ndarray:
        return self.sim.mass_c[self.rows.houses]

    def reset(self) -> None:
        """The shared simulator is reset by its owner (the vector environment)."""

    def step(self, action: np.ndarray) -> StepResult:
        raise RuntimeError("a fleet of a shared simulator steps with the others (vector env)")
