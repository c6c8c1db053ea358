"""A home battery: its parameters and a pure state-of-charge kernel.

Conventions (shared by the kernel and the dispatch LP of :mod:`vppsim.fleet.arbitrage`):

* Powers are on the grid (AC) side [kW]; the energy stored is ``soc`` [kWh], between
  ``min_soc * usable_energy_kwh`` and ``usable_energy_kwh``.
* One interval of ``dt_h`` hours: first the standby loss, then the charge and discharge,
  ``soc' = soc * (1 - standby_loss_per_h) ** dt_h + eta_c * charge * dt_h
  - discharge * dt_h / eta_d``.
* The throughput (degradation) cost is charged per kWh *discharged* on the grid side: one
  full cycle is charged once, not twice.

Two interfaces: the scalar one of one :class:`BatteryParameters` (:func:`step`,
:func:`simulate`, :func:`violations`, used by :mod:`vppsim.fleet.arbitrage`), and the fleet
kernel :class:`BatteryKernel` over per-home arrays (:class:`BatteryFleet`, the assets
table's ``battery_*`` columns) whose step clips the action to the limits and ages the
batteries (state of health).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from vppsim.errors import ConfigError
from vppsim.fleet.arrays import attribute


class BatteryParameters(BaseModel):
    """One battery's limits and costs.

    Examples
    --------
    >>> BatteryParameters(usable_energy_kwh=10.5, charge_kw=3.84, discharge_kw=3.84)
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    usable_energy_kwh: float = Field(
        ..., gt=0.0, le=1e6, description="Usable energy capacity [kWh]."
    )
    charge_kw: float = Field(..., gt=0.0, le=1e6, description="Maximum charge power, AC [kW].")
    discharge_kw: float = Field(
        ..., gt=0.0, le=1e6, description="Maximum discharge power, AC [kW]."
    )
    charge_efficiency: float = Field(
        0.9**0.5,
        gt=0.0,
        le=1.0,
        description="Share of the AC energy charged that is stored [1].",
    )
    discharge_efficiency: float = Field(
        0.9**0.5,
        gt=0.0,
        le=1.0,
        description="Share of the stored energy drawn that reaches the AC side [1].",
    )
    min_soc: float = Field(
        0.0,
        ge=0.0,
        lt=1.0,
        description="Lowest state of charge, share of the usable energy [1] (technical minimum "
        "plus any backup reserve).",
    )
    initial_soc: float = Field(
        0.5, ge=0.0, le=1.0, description="State of charge at the start, share of usable energy [1]."
    )
    final_soc: float = Field(
        0.5,
        ge=0.0,
        le=1.0,
        description="Least state of charge at the end of each dispatch horizon, share of usable "
        "energy [1].",
    )
    throughput_cost_usd_per_kwh: float = Field(
        0.0,
        ge=0.0,
        le=10.0,
        description="Degradation cost per kWh discharged (AC side) [$/kWh].",
    )
    standby_loss_per_h: float = Field(
        0.0,
        ge=0.0,
        lt=1.0,
        description="Share of the stored energy lost per hour at rest [1/h].",
    )

    @model_validator(mode="after")
    def _soc_window(self) -> BatteryParameters:
        for name in ("initial_soc", "final_soc"):
            if getattr(self, name) < self.min_soc:
                raise ValueError(f"{name} is below min_soc ({self.min_soc})")
        return self

    @property
    def round_trip_efficiency(self) -> float:
        """AC to AC round-trip efficiency [1]."""
        return self.charge_efficiency * self.discharge_efficiency

    @property
    def min_energy_kwh(self) -> float:
        """Lowest energy stored [kWh]."""
        return self.min_soc * self.usable_energy_kwh


REFERENCE_BATTERY = BatteryParameters(
    usable_energy_kwh=13.5,
    charge_kw=5.0,
    discharge_kw=5.0,
    charge_efficiency=0.9**0.5,
    discharge_efficiency=0.9**0.5,
    min_soc=0.0,
    initial_soc=0.5,
    final_soc=0.5,
    throughput_cost_usd_per_kwh=0.02,
    standby_loss_per_h=0.0,
)
"""Tesla Powerwall 2, the reference battery of issue 11.

13.5 kWh usable, 5 kW continuous charge and discharge, 90 % round-trip efficiency (split as
its square root on each leg): Tesla, *Powerwall 2 AC Datasheet* (North America),
https://www.tesla.com/sites/default/files/pdfs/powerwall/Powerwall%202_AC_Datasheet_en_northamerica.pdf
(the same figures as CALIBRATION.md's "Assets and dispatch").
The $0.02/kWh throughput cost is issue 11's reference assumption (energy only, perfect
foresight), kept so the market calibration's arbitrage figures stay comparable with issue 11's;
it is not the catalogue's Powerwall 2 (:data:`vppsim.fleet.assets.CATALOGUE`), whose marginal
degradation cost is about $0.075/kWh (hardware price less the calendar fade's share, over the
warranted throughput). $0.02/kWh stands for a battery whose cells outlive the warranty's
37.8 MWh several times over (or a cheaper unit); with it the reference battery cycles more, so
its arbitrage revenue net of degradation is an upper bound of the catalogue unit's. The fleet
(dispatch over the ``assets`` dataset) uses the catalogue's figures. Tesla publishes no
self-discharge figure: no standby loss. Half full at the start
and at least half full at the end of each horizon, so a horizon neither borrows nor lends
energy.
"""


def step(
    soc: np.ndarray,
    charge_kw: np.ndarray,
    discharge_kw: np.ndarray,
    dt_h: float,
    params: BatteryParameters,
) -> np.ndarray:
    """The state of charge after one interval (no clipping: see :func:`violations`).

    Parameters
    ----------
    soc : numpy.ndarray
        Energy stored at the interval start [kWh], one per battery.
    charge_kw, discharge_kw : numpy.ndarray
        AC charge and discharge power over the interval [kW], broadcastable to ``soc``.
    dt_h : float
        Interval length [h].
    params : BatteryParameters

    Returns
    -------
    numpy.ndarray
        Energy stored at the interval end [kWh].
    """
    keep = (1.0 - params.standby_loss_per_h) ** dt_h
    return (
        np.asarray(soc, dtype=float) * keep
        + params.charge_efficiency * np.asarray(charge_kw, dtype=float) * dt_h
        - np.asarray(discharge_kw, dtype=float) * dt_h / params.discharge_efficiency
    )


def simulate(
    charge_kw: np.ndarray,
    discharge_kw: np.ndarray,
    dt_h: float,
    params: BatteryParameters,
    soc0: np.ndarray | float | None = None,
) -> np.ndarray:
    """The state of charge along a schedule, by :func:`step`.

    Parameters
    ----------
    charge_kw, discharge_kw : numpy.ndarray
        AC powers [kW], time along the first axis, batteries along the others.
    dt_h : float
        Interval length [h].
    params : BatteryParameters
    soc0 : numpy.ndarray or float, optional
        Energy stored at the start [kWh]; default ``initial_soc * usable_energy_kwh``.

    Returns
    -------
    numpy.ndarray
        Energy stored at the end of each interval [kWh], the shape of ``charge_kw``.
    """
    charge = np.asarray(charge_kw, dtype=float)
    discharge = np.asarray(discharge_kw, dtype=float)
    soc = params.initial_soc * params.usable_energy_kwh if soc0 is None else soc0
    soc = np.broadcast_to(np.asarray(soc, dtype=float), charge.shape[1:])
    out = np.empty_like(charge)
    for t in range(charge.shape[0]):
        soc = step(soc, charge[t], discharge[t], dt_h, params)
        out[t] = soc
    return out


def violations(
    soc: np.ndarray,
    charge_kw: np.ndarray,
    discharge_kw: np.ndarray,
    params: BatteryParameters,
    tol: float = 1e-6,
) -> dict[str, int]:
    """Count the intervals that break each limit of ``params`` by more than ``tol``.

    Parameters
    ----------
    soc : numpy.ndarray
        Energy stored [kWh].
    charge_kw, discharge_kw : numpy.ndarray
        AC powers [kW].
    params : BatteryParameters
    tol : float
        Tolerance [kWh or kW].

    Returns
    -------
    dict of str to int
        ``soc below min``, ``soc above max``, ``charge limit``, ``discharge limit``,
        ``negative power`` and ``simultaneous`` (both charging and discharging).
    """
    soc, charge, discharge = (np.asarray(a, dtype=float) for a in (soc, charge_kw, discharge_kw))
    return {
        "soc below min": int(np.sum(soc < params.min_energy_kwh - tol)),
        "soc above max": int(np.sum(soc > params.usable_energy_kwh + tol)),
        "charge limit": int(np.sum(charge > params.charge_kw + tol)),
        "discharge limit": int(np.sum(discharge > params.discharge_kw + tol)),
        "negative power": int(np.sum((charge < -tol) | (discharge < -tol))),
        "simultaneous": int(np.sum((charge > tol) & (discharge > tol))),
    }


# --- Vectorised over homes --------------------------------------------------------------------

BATTERY_COLUMNS = {
    "energy_kwh": "battery_energy_kwh",
    "charge_kw": "battery_charge_kw",
    "discharge_kw": "battery_discharge_kw",
    "charge_efficiency": "battery_charge_efficiency",
    "discharge_efficiency": "battery_discharge_efficiency",
    "min_soc": "battery_min_soc",
    "backup_reserve": "battery_backup_reserve",
    "standby_loss_per_h": "battery_standby_loss_per_h",
    "throughput_cost_usd_per_kwh": "battery_throughput_cost_usd_per_kwh",
    "calendar_fade_per_year": "battery_calendar_fade_per_year",
    "cycle_fade_per_equivalent_cycle": "battery_cycle_fade_per_equivalent_cycle",
}
"""Field of :class:`BatteryFleet` -> column of the assets table (:mod:`vppsim.fleet.assets`)."""

HOURS_PER_YEAR = 8760.0
TOLERANCE_KWH = 1e-9
"""Energy outside the window by less than this is not a violation [kWh]."""


@dataclass(frozen=True)
class BatteryFleet:
    """Per-home battery parameters (H,), float64; a home without battery has 0 energy and
    power.

    Attributes are the :data:`BATTERY_COLUMNS` fields: ``energy_kwh`` usable energy [kWh],
    ``charge_kw`` / ``discharge_kw`` AC limits [kW], ``charge_efficiency`` /
    ``discharge_efficiency`` [1], ``min_soc`` technical minimum and ``backup_reserve``
    customer reserve (share of the energy, [1]; dispatch stays above the larger),
    ``standby_loss_per_h`` [1/h], ``throughput_cost_usd_per_kwh`` [$/kWh discharged],
    ``calendar_fade_per_year`` [1/yr] and ``cycle_fade_per_equivalent_cycle`` [1 per
    equivalent full cycle discharged].

    The last three come from one product record
    (:class:`vppsim.fleet.assets.BatteryProduct`): the throughput cost is the value of the
    state of health the cycle fade removes, so what the dispatch LP charges for cycling is
    what the kernel takes away.
    """

    energy_kwh: np.ndarray
    charge_kw: np.ndarray
    discharge_kw: np.ndarray
    charge_efficiency: np.ndarray
    discharge_efficiency: np.ndarray
    min_soc: np.ndarray
    backup_reserve: np.ndarray
    standby_loss_per_h: np.ndarray
    throughput_cost_usd_per_kwh: np.ndarray
    calendar_fade_per_year: np.ndarray
    cycle_fade_per_equivalent_cycle: np.ndarray

    def __post_init__(self) -> None:
        checks = {
            "energy_kwh": self.energy_kwh >= 0.0,
            "charge_kw": self.charge_kw >= 0.0,
            "discharge_kw": self.discharge_kw >= 0.0,
            "charge_efficiency": (self.charge_efficiency > 0.0) & (self.charge_efficiency <= 1.0),
            "discharge_efficiency": (self.discharge_efficiency > 0.0)
            & (self.discharge_efficiency <= 1.0),
            "min_soc": (self.min_soc >= 0.0) & (self.min_soc < 1.0),
            "backup_reserve": (self.backup_reserve >= self.min_soc) & (self.backup_reserve < 1.0),
            "standby_loss_per_h": (self.standby_loss_per_h >= 0.0)
            & (self.standby_loss_per_h < 1.0),
            "throughput_cost_usd_per_kwh": self.throughput_cost_usd_per_kwh >= 0.0,
            "calendar_fade_per_year": (self.calendar_fade_per_year >= 0.0)
            & (self.calendar_fade_per_year < 1.0),
            "cycle_fade_per_equivalent_cycle": (self.cycle_fade_per_equivalent_cycle >= 0.0)
            & (self.cycle_fade_per_equivalent_cycle < 0.01),
        }
        for name, ok in checks.items():
            bad = np.flatnonzero(~ok)
            if len(bad):
                value = getattr(self, name)[bad[0]]
                raise ConfigError(
                    f"{BATTERY_COLUMNS[name]}: {value:g} at row {bad[0]} is out of range"
                    + (" (below min_soc)" if name == "backup_reserve" else "")
                )

    @classmethod
    def from_assets(cls, assets: Any) -> BatteryFleet:
        """From an assets frame, a mapping of arrays or a ``Fleet`` (the ``battery_*``
        columns of :data:`BATTERY_COLUMNS`)."""
        return cls(
            **{field: attribute(assets, column) for field, column in BATTERY_COLUMNS.items()}
        )

    @classmethod
    def uniform(
        cls,
        params: BatteryParameters,
        n_homes: int,
        calendar_fade_per_year: float = 0.0,
        cycle_fade_per_equivalent_cycle: float = 0.0,
    ) -> BatteryFleet:
        """``n_homes`` copies of one battery (see :meth:`stack`)."""
        return cls.stack(
            [params] * n_homes, calendar_fade_per_year, cycle_fade_per_equivalent_cycle
        )

    @classmethod
    def stack(
        cls,
        batteries: Sequence[BatteryParameters],
        calendar_fade_per_year: float = 0.0,
        cycle_fade_per_equivalent_cycle: float = 0.0,
    ) -> BatteryFleet:
        """One home per battery of ``batteries`` (each one's ``min_soc`` is also its
        reserve), ageing only as told (no fade by default: :class:`BatteryParameters` holds
        none)."""
        fields = {
            "energy_kwh": "usable_energy_kwh",
            "charge_kw": "charge_kw",
            "discharge_kw": "discharge_kw",
            "charge_efficiency": "charge_efficiency",
            "discharge_efficiency": "discharge_efficiency",
            "min_soc": "min_soc",
            "backup_reserve": "min_soc",
            "standby_loss_per_h": "standby_loss_per_h",
            "throughput_cost_usd_per_kwh": "throughput_cost_usd_per_kwh",
        }
        values = {
            name: np.array([getattr(b, field) for b in batteries], dtype=float)
            for name, field in fields.items()
        }
        n = len(batteries)
        values["calendar_fade_per_year"] = np.full(n, float(calendar_fade_per_year))
        values["cycle_fade_per_equivalent_cycle"] = np.full(
            n, float(cycle_fade_per_equivalent_cycle)
        )
        return cls(**values)

    def __len__(self) -> int:
        return len(self.energy_kwh)


@dataclass(frozen=True)
class BatteryState:
    """Stored energy ``soc_kwh`` [kWh] and state of health ``soh`` (share of the nominal
    usable energy still available [1]), (H,) each."""

    soc_kwh: np.ndarray
    soh: np.ndarray


class BatteryKernel:
    """Steps the homes' batteries: ``step(state, action, exogenous_t)``.

    One interval of ``dt`` [h] (the module's conventions): the standby loss, then the
    action, the net AC power [kW] (+ charge, - discharge), clipped to the power limits and
    to the energy window ``[max(min_soc, backup_reserve), 1] x energy_kwh x soh``; then the
    state of health loses the cycle fade of the energy discharged and the calendar fade of
    the interval (each home's own ``cycle_fade_per_equivalent_cycle`` and
    ``calendar_fade_per_year``). The returned state and the arrays of ``applied`` and
    ``info`` are the kernel's preallocated buffers (two states alternate): valid until the
    step after next; copy what is kept.

    Parameters
    ----------
    batteries : BatteryFleet
    step_minutes : float
        Interval length [min].
    """

    def __init__(self, batteries: BatteryFleet, step_minutes: float):
        b = batteries
        dt = step_minutes / 60.0
        self.batteries, self.dt_h = b, dt
        n = len(b)
        self.keep = (1.0 - b.standby_loss_per_h) ** dt
        self.floor_share = np.maximum(b.min_soc, b.backup_reserve)
        self.stored_per_kw = b.charge_efficiency * dt  # kWh stored per kW charged
        self.kw_per_room = 1.0 / self.stored_per_kw
        self.drawn_per_kw = dt / b.discharge_efficiency  # kWh drawn per kW discharged
        self.kw_per_stock = 1.0 / self.drawn_per_kw
        has = b.energy_kwh > 0.0
        self.fade_per_kw = np.where(
            has, b.cycle_fade_per_equivalent_cycle * dt / np.where(has, b.energy_kwh, 1.0), 0
        )
        self.calendar_step = b.calendar_fade_per_year * dt / HOURS_PER_YEAR
        self.minus_discharge_kw = -b.discharge_kw
        self.ageing = bool(np.any(self.fade_per_kw)), bool(np.any(self.calendar_step))
        self._states = tuple(BatteryState(np.empty(n), np.empty(n)) for _ in range(2))
        self._applied, self._charge, self._discharge = np.empty(n), np.empty(n), np.empty(n)
        self._high, self._low, self._work = np.empty(n), np.empty(n), np.empty(n)
        self._capacity = np.empty(n)
        self._flag = np.empty(n, dtype=bool)
        self._zero = np.zeros(n)  # faster than a scalar 0 in maximum/minimum

    def initial_state(self, soc_share: float | np.ndarray = 0.5) -> BatteryState:
        """New batteries (``soh`` 1) holding ``soc_share`` of their energy."""
        energy = self.batteries.energy_kwh
        return BatteryState(energy * soc_share, np.ones(len(energy)))

    def step(
        self, state: BatteryState, action: np.ndarray, exogenous_t: Any = None
    ) -> tuple[BatteryState, np.ndarray, dict[str, Any]]:
        """One interval.

        Parameters
        ----------
        state : BatteryState
            At the interval start.
        action : numpy.ndarray or float
            Requested net AC power [kW], + charge, - discharge.
        exogenous_t : None
            Batteries have no exogenous input (kept for the kernels' common signature).

        Returns
        -------
        state, applied, info
            The state at the interval end; the applied net AC power [kW]; ``requested_kw``,
            ``discharge_kw`` (H,) [kW] and counts ``clipped`` (homes whose action was
            changed) and ``below_floor`` / ``above_capacity`` (homes whose energy was outside
            the window at the interval start: after standby loss or fade, never by action).
        """
        out = self._states[1] if state is self._states[0] else self._states[0]
        soc, cap, work, flag = out.soc_kwh, self._capacity, self._work, self._flag
        high, low, applied = self._high, self._low, self._applied
        charge, discharge = self._charge, self._discharge
        b = self.batteries
        np.multiply(b.energy_kwh, state.soh, out=cap)
        np.multiply(state.soc_kwh, self.keep, out=soc)
        # Highest net power: the charge limit and the room left [kW].
        np.subtract(cap, soc, out=high)
        np.less(high, -TOLERANCE_KWH, out=flag)
        above = int(np.count_nonzero(flag))
        high *= self.kw_per_room
        np.minimum(high, b.charge_kw, out=high)
        np.maximum(high, self._zero, out=high)
        # Lowest: the discharge limit and the energy above the floor.
        np.multiply(cap, self.floor_share, out=low)
        np.subtract(low, soc, out=low)
        np.greater(low, TOLERANCE_KWH, out=flag)
        below = int(np.count_nonzero(flag))
        low *= self.kw_per_stock
        np.maximum(low, self.minus_discharge_kw, out=low)
        np.minimum(low, self._zero, out=low)
        np.maximum(action, low, out=applied)
        np.minimum(applied, high, out=applied)
        np.not_equal(applied, action, out=flag)
        clipped = int(np.count_nonzero(flag))
        np.maximum(applied, self._zero, out=charge)
        np.subtract(charge, applied, out=discharge)
        np.multiply(charge, self.stored_per_kw, out=work)
        soc += work
        np.multiply(discharge, self.drawn_per_kw, out=work)
        soc -= work
        cycle, calendar = self.ageing
        if cycle:
            np.multiply(discharge, self.fade_per_kw, out=work)
            np.subtract(state.soh, work, out=out.soh)
        else:
            out.soh[:] = state.soh
        if calendar:
            np.subtract(out.soh, self.calendar_step, out=out.soh)
        info = {
            "requested_kw": action,
            "discharge_kw": discharge,
            "clipped": clipped,
            "below_floor": below,
            "above_capacity": above,
        }
        return out, applied, info

    def simulate(
        self, controls: np.ndarray, state: BatteryState | None = None
    ) -> tuple[np.ndarray, np.ndarray, BatteryState]:
        """Step through ``controls`` (T, H) [kW net AC]; returns the stored energy at each
        interval end (T, H) [kWh], the applied power (T, H) [kW] and the final state
        (copied)."""
        state = self.initial_state() if state is None else state
        n_steps = len(controls)
        soc = np.empty(controls.shape)
        applied = np.empty(controls.shape)
        for k in range(n_steps):
            state, applied[k], _ = self.step(state, controls[k])
            soc[k] = state.soc_kwh
        return soc, applied, BatteryState(state.soc_kwh.copy(), state.soh.copy())
