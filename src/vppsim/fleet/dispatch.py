"""Dispatch of each home's battery, EV charger and air conditioner by three strategies.

Per home, over a period on a regular grid (15 min), arrays in and arrays out:

* ``none``: business as usual. The battery idles, the EV charges as
  :class:`vppsim.fleet.ev.EVKernel` does unmanaged (full power from arrival until its need is
  met), the air conditioner is the load model's thermostat (:attr:`Thermal.thermostat_kw`):
  over a dataset, ``none`` is the load dataset's ``ev_kw`` and ``hvac_kw``
  (:mod:`vppsim.fleet.run` feeds both from the kernels).
* ``rule``: :func:`rule_battery`, a documented rule-based battery controller (self-consumption
  plus evening discharge); EV and air conditioner as in ``none``.
* ``lp``: :func:`optimal_schedule`, the perfect-foresight optimum of the very objective the
  three are scored on (:func:`vppsim.fleet.kpis.score`), a linear programme solved by HiGHS,
  one per home (homes are independent, so chunks of homes run as tasks on a Dask cluster:
  :mod:`vppsim.fleet.run`).

The LP
------
The net meter flow of interval ``t`` (export positive) [kW] is

``m_t = pv_t - q_t - base_t + d_t - c_t - e_t - u_t / COP_t``

(PV, PV curtailment, non-flexible load, battery discharge and charge, EV charging, cooling
power over the air conditioner's COP). Maximise

``sum_t lmp_t m_t dt + sum_h sum_k r_kh a_kh - kappa (sum_t d_t dt + phi sum_h (a_ru + a_rd))
+ v (s_T - s_0) - rho * (degree-hours outside the comfort band)``

over hourly AS capacity awards ``a_kh`` [kW] (products ``k`` of :data:`PRODUCTS` at the
day-ahead AS prices ``r_kh``), subject to the battery's limits and energy balance (the
conventions of :mod:`vppsim.fleet.battery`; its lowest state of charge is the customer's
backup reserve), ``m_t <= export_limit`` and, with awards, ``m_t + up awards <= export_limit``
(a deployed up award must not push the meter over the limit), the headroom
``d_t + up awards <= P_d`` and ``c_t + a_rd <= P_c`` (discharge headroom for the up products,
charge headroom for regulation down), the state-of-charge sufficiency of the awards at both
ends of every interval of the hour (energy for the up awards over their duration above the
reserve, room for regulation down below full), each EV session's energy by its departure, and
the air conditioner's thermal model, the very matrices of :mod:`vppsim.fleet.thermal`
(one mass state per home, ``x[k+1] = a x[k] + b_u u[k] + w[k]``, air temperature
``c x[k] + d_u u[k] + v[k]``), with the air temperature inside ``setpoint +/- band`` (the
lower edge no higher than the thermostat's own air temperature, :attr:`Thermal.floor_c`; soft,
at ``rho`` per K-h: a house too hot for its air conditioner stays solvable and the miss is
counted). ``v`` is
:func:`terminal_value`: stored energy left at the end is worth what it would sell for later,
so no strategy gains by emptying the battery on the last evening. The terms are
:func:`vppsim.fleet.kpis.score`'s, so ``lp`` scores at least what ``none`` and ``rule`` do
on every home (their schedules are feasible points of the same LP).

Ancillary services
------------------
Awards are hourly (the day-ahead AS prices are hourly, held across the hour). Durations
(:class:`DispatchSettings`): regulation 60 min and spinning / non-spinning reserve 30 min,
the continuous-energy requirements of CAISO's AS certification for the day-ahead market
(CAISO, *Fifth Replacement Electronic Tariff*, section 8.4 "Technical Requirements for
Providing Ancillary Services": 8.4.1.1(g) regulation, 8.4.3 reserves; section 8 as of
1 May 2026, https://www.caiso.com/documents/section-8-ancillary-services-as-of-may-1-2026.pdf).
The energy of deployed awards is not in the energy balance: regulation follows a zero-mean
signal and reserves are rarely called (an assumption, not a measurement);
``regulation_throughput_share`` charges a share of the regulation award's energy as
discharged throughput (default 0).

Simultaneous charge and discharge
---------------------------------
Charging and discharging in the same interval burns ``(1 / (eta_c eta_d) - 1)`` kWh per kWh
discharged. With the headroom above (neither direction gains headroom from doing both), netting
the two into one keeps the state of charge and the awards and changes the objective by
``d dt (1 / (eta_c eta_d) - 1) (lmp - waste price)``: no loss above the battery's
:func:`vppsim.fleet.arbitrage.waste_price`. Below it the LP would gain by burning energy, so
those intervals get a binary (charge or discharge, a small MIP); any other interval where the
LP's optimum still does both (possible only on ties or where the export limit binds) gets a
binary too and the home is solved again. :attr:`Schedule.mip_intervals` counts them.

Speed
-----
One home-month (2,976 intervals) is an LP of about 15,000 columns and 19,000 rows with AS
awards (12,000 and 6,000 energy only). Homes of PV and battery only share one matrix for
given battery parameters: each process keeps the HiGHS model, changes only costs and bounds
(``changeColsCost``, ``changeColsBounds``, ``changeRowsBounds``) and starts every home from the
optimal basis of a template (the same home without PV and load), which is what makes a
home's schedule independent of the homes solved before it (``benchmarks/bench_dispatch.py``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal

import highspy
import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from vppsim.calendar import CAISO_TIMEZONE
from vppsim.errors import ConfigError
from vppsim.fleet import thermal
from vppsim.fleet.arbitrage import interval_hours, silent_highs, waste_price
from vppsim.fleet.battery import BatteryParameters
from vppsim.fleet.dispatch_spec import (
    PRODUCTS,
    REGULATION,
    STRATEGIES,
    UP,
    DispatchSettings,
    Strategy,
)


class HomeAssets(BaseModel):
    """The columns of one home's row of the ``assets`` table that the dispatch reads.

    ``battery_energy_kwh = 0`` is a home without a battery. Built from a frame row with
    :meth:`from_row`, which names the bad field in a :class:`~vppsim.errors.ConfigError`.
    """

    model_config = ConfigDict(extra="ignore", frozen=True)

    export_limit_kw: float = Field(..., ge=0.0, le=1e5)
    battery_energy_kwh: float = Field(0.0, ge=0.0, le=1e5)
    battery_charge_kw: float = Field(0.0, ge=0.0, le=1e5)
    battery_discharge_kw: float = Field(0.0, ge=0.0, le=1e5)
    battery_charge_efficiency: float = Field(0.9**0.5, gt=0.0, le=1.0)
    battery_discharge_efficiency: float = Field(0.9**0.5, gt=0.0, le=1.0)
    battery_min_soc: float = Field(0.0, ge=0.0, lt=1.0)
    battery_backup_reserve: float = Field(0.0, ge=0.0, lt=1.0)
    battery_standby_loss_per_h: float = Field(0.0, ge=0.0, lt=1.0)
    battery_throughput_cost_usd_per_kwh: float = Field(0.0, ge=0.0, le=10.0)

    @model_validator(mode="after")
    def _consistent(self) -> HomeAssets:
        if self.battery_backup_reserve < self.battery_min_soc:
            raise ValueError(
                f"battery_backup_reserve={self.battery_backup_reserve} is below "
                f"battery_min_soc={self.battery_min_soc}"
            )
        if (
            self.battery_energy_kwh > 0
            and min(self.battery_charge_kw, self.battery_discharge_kw) <= 0
        ):
            raise ValueError(
                "battery_charge_kw and battery_discharge_kw must be > 0 with a battery"
            )
        return self

    @classmethod
    def from_row(cls, row: dict, home: object = None) -> HomeAssets:
        """Validate one row (a mapping of column to value); bad input raises ConfigError."""
        try:
            return cls.model_validate(dict(row))
        except ValidationError as error:
            raise ConfigError(_first_error(error, home)) from None

    @classmethod
    def from_battery(
        cls, battery: BatteryParameters, export_limit_kw: float, backup_reserve: float
    ) -> HomeAssets:
        """A home holding ``battery`` (e.g. the reference battery) behind ``export_limit_kw``
        with the customer's ``backup_reserve`` [1] (its ``min_soc`` is the technical one)."""
        fields = {name: getattr(battery, name) for name in _BATTERY_FIELDS.values()}
        columns = {column: fields[name] for column, name in _BATTERY_FIELDS.items()}
        return cls(
            export_limit_kw=export_limit_kw, battery_backup_reserve=backup_reserve, **columns
        )

    @property
    def has_battery(self) -> bool:
        return self.battery_energy_kwh > 0.0

    def battery(self, settings: DispatchSettings) -> BatteryParameters | None:
        """The battery as the kernel of :mod:`vppsim.fleet.battery` sees it: its lowest state
        of charge is the backup reserve (the VPP may not use the customer's reserve)."""
        if not self.has_battery:
            return None
        start = max(settings.initial_soc, self.battery_backup_reserve)
        fields = {name: getattr(self, column) for column, name in _BATTERY_FIELDS.items()}
        fields["min_soc"] = self.battery_backup_reserve
        return BatteryParameters(initial_soc=start, final_soc=start, **fields)


_BATTERY_FIELDS = {
    "battery_energy_kwh": "usable_energy_kwh",
    "battery_charge_kw": "charge_kw",
    "battery_discharge_kw": "discharge_kw",
    "battery_charge_efficiency": "charge_efficiency",
    "battery_discharge_efficiency": "discharge_efficiency",
    "battery_min_soc": "min_soc",
    "battery_standby_loss_per_h": "standby_loss_per_h",
    "battery_throughput_cost_usd_per_kwh": "throughput_cost_usd_per_kwh",
}
"""Assets column -> :class:`~vppsim.fleet.battery.BatteryParameters` field."""


def _first_error(error: ValidationError, home: object) -> str:
    """One line naming the field and the value of a pydantic error (a check across fields
    names its fields in its message)."""
    first = error.errors()[0]
    where = "" if home is None else f"home {home}: "
    message = first["msg"].removeprefix("Value error, ")
    if not first["loc"]:
        return f"{where}{message}"
    name = ".".join(str(p) for p in first["loc"])
    if first["type"] == "missing":
        return f"{where}{name}: missing"
    return f"{where}{name}={first.get('input')!r}: {message}"


@dataclass(frozen=True, eq=False)
class Market:
    """Prices on the dispatch grid.

    Attributes
    ----------
    lmp : numpy.ndarray
        Real-time LMP per interval [$/MWh], shape (T,).
    dt_h : float
        Interval length [h]; a whole number of intervals per hour.
    local_hour : numpy.ndarray
        Local clock hour (0-23) of each interval (the rule's peak window).
    ancillary : numpy.ndarray or None
        Day-ahead AS prices [$/MW-h], shape (T / intervals per hour, 4), columns
        :data:`PRODUCTS`; the period starts on an hour. None: energy only.
    """

    lmp: np.ndarray
    dt_h: float
    local_hour: np.ndarray
    ancillary: np.ndarray | None = None

    def __post_init__(self) -> None:
        lmp = np.asarray(self.lmp, dtype=float)
        if lmp.ndim != 1 or lmp.size == 0 or not np.all(np.isfinite(lmp)):
            raise ConfigError("lmp: need a non-empty one-dimensional array of finite prices")
        if not 0.0 < self.dt_h <= 1.0 or abs(1.0 / self.dt_h - round(1.0 / self.dt_h)) > 1e-9:
            raise ConfigError(f"dt_h={self.dt_h}: need a whole number of intervals per hour")
        if np.shape(self.local_hour) != lmp.shape:
            raise ConfigError("local_hour: need one local hour per interval")
        if self.ancillary is not None:
            prices = np.asarray(self.ancillary, dtype=float)
            if lmp.size % self.steps_per_hour or prices.shape != (self.hours, len(PRODUCTS)):
                raise ConfigError(
                    f"ancillary: need shape ({lmp.size / self.steps_per_hour:g}, "
                    f"{len(PRODUCTS)}) (whole hours, columns {PRODUCTS}), got {prices.shape}"
                )
            if not np.all(np.isfinite(prices)) or np.any(prices < 0):
                raise ConfigError("ancillary: AS prices must be finite and >= 0")
            object.__setattr__(self, "ancillary", prices)
        object.__setattr__(self, "lmp", lmp)

    @property
    def n(self) -> int:
        return self.lmp.size

    @property
    def steps_per_hour(self) -> int:
        return round(1.0 / self.dt_h)

    @property
    def hours(self) -> int:
        return -(-self.n // self.steps_per_hour)

    @property
    def hour(self) -> np.ndarray:
        """Index of each interval's hour (row of :attr:`ancillary`)."""
        return np.arange(self.n) // self.steps_per_hour


def market_from_frame(
    frame: pd.DataFrame, timezone: str = CAISO_TIMEZONE, ancillary: bool = True
) -> Market:
    """The ``market`` dataset's frame as a :class:`Market`.

    Parameters
    ----------
    frame : pandas.DataFrame
        ``timestamp`` (timezone-aware interval starts on a regular grid), ``lmp`` [$/MWh] and,
        when AS prices exist, ``<product>_price`` [$/MW-h] for :data:`PRODUCTS`, held across
        each hour.
    timezone : str
        Zone of the local hours (the rule's peak window).
    ancillary : bool
        Use the AS prices when the frame has them all (False: energy only).

    Returns
    -------
    Market
    """
    index = pd.DatetimeIndex(frame["timestamp"])
    try:
        dt_h = interval_hours(index)
    except ValueError as error:
        raise ConfigError(f"timestamp: {error}") from None
    local = index.tz_convert(timezone)
    columns = [f"{p}_price" for p in PRODUCTS]
    prices = None
    if ancillary and all(c in frame for c in columns) and frame[columns].notna().all(axis=None):
        steps = round(1.0 / dt_h)
        if local[0].minute or local[0].second or len(frame) % steps:
            raise ConfigError("timestamp: AS dispatch needs whole hours from an hour start")
        values = frame[columns].to_numpy(dtype=float)
        prices = values[::steps]
        if not np.array_equal(np.repeat(prices, steps, axis=0), values):
            raise ConfigError(f"{', '.join(columns)}: AS prices must be held across each hour")
    return Market(frame["lmp"].to_numpy(dtype=float), dt_h, local.hour.to_numpy(), prices)


@dataclass(frozen=True, eq=False)
class EVSessions:
    """One home's EV charging sessions on the grid, from :mod:`vppsim.fleet.ev`
    (:func:`vppsim.fleet.run.ev_sessions`).

    Session ``i`` is plugged in during intervals ``arrival[i] .. departure[i] - 1``; at most
    one session is plugged in during an interval (:func:`vppsim.fleet.ev.schedule`).

    Attributes
    ----------
    arrival, departure : numpy.ndarray
        First interval plugged in and the interval after the last one, ints (S,).
    energy_kwh : numpy.ndarray
        Energy the session needs [kWh AC] (S,).
    charger_kw : numpy.ndarray
        Charger power [kW AC] (S,).
    limit_kw : numpy.ndarray
        Largest charging power of each interval (T,) [kW]: the charger's power times the
        share of the interval the car is plugged in (0 when no car is).
    unmanaged_kw : numpy.ndarray
        The unmanaged charging of :class:`vppsim.fleet.ev.EVKernel` (full power from
        arrival until the need is met) (T,) [kW]: the ``none`` strategy's.
    leaves : numpy.ndarray
        Whether the session departs within the period (S,) bool. A session still plugged in
        at the period's end is clipped: it must get only its deliverable part by the end
        (:meth:`target_kwh`), and its shortfall is not an issue.
    """

    arrival: np.ndarray
    departure: np.ndarray
    energy_kwh: np.ndarray
    charger_kw: np.ndarray
    limit_kw: np.ndarray
    unmanaged_kw: np.ndarray
    leaves: np.ndarray

    def validate(self, n: int, home: object = None) -> None:
        where = "" if home is None else f"home {home}: "
        arrival, departure = np.asarray(self.arrival), np.asarray(self.departure)
        if np.any(arrival < 0) or np.any(departure > n) or np.any(departure <= arrival):
            raise ConfigError(f"{where}ev sessions: need 0 <= arrival < departure <= {n}")
        if np.any(~np.isfinite(self.energy_kwh)) or np.any(np.asarray(self.energy_kwh) < 0):
            raise ConfigError(f"{where}ev energy_kwh: must be finite and >= 0")
        if np.any(~(np.asarray(self.charger_kw) > 0)):
            raise ConfigError(f"{where}ev charger_kw: must be > 0")
        for name in ("limit_kw", "unmanaged_kw"):
            if np.shape(getattr(self, name)) != (n,):
                raise ConfigError(f"{where}ev {name}: shape {np.shape(getattr(self, name))}")

    def deliverable_kwh(self, dt_h: float) -> np.ndarray:
        """The most each session can take: its intervals' limits over its window [kWh]."""
        total = np.concatenate([[0.0], np.cumsum(self.limit_kw)]) * dt_h
        return total[self.departure] - total[self.arrival]

    def target_kwh(self, dt_h: float) -> np.ndarray:
        """What each session is given: its need, capped at :meth:`deliverable_kwh` [kWh]."""
        return np.minimum(self.energy_kwh, self.deliverable_kwh(dt_h))


@dataclass(frozen=True, eq=False)
class Thermal:
    """One home's air conditioner on the thermal model of :mod:`vppsim.fleet.thermal`.

    The LP writes :func:`vppsim.fleet.thermal.state_space` of ``model``:
    ``x[k+1] = a x[k] + b_u u[k] + w[k]`` and ``T_air[k] = c x[k] + d_u u[k] + v[k]``
    (``x`` the mass temperature [degC], ``u`` the cooling [kW thermal] in
    ``[0, capacity_kw]``, electric power ``u / cop``), with ``w, v`` the disturbance of
    ``drive``; the air temperature of each interval should stay within
    ``setpoint_c +/- band_c``. :class:`vppsim.fleet.thermal.ThermalKernel` steps the same
    model (the scoring's replay).

    Attributes
    ----------
    model : vppsim.fleet.thermal.ThermalModel
        The home's model (one home, float64).
    drive : vppsim.fleet.thermal.Drive
        Its drive (T,) float64, with ``setpoint_c`` (the cooling setpoint [degC]) and ``cop``.
    x0 : float
        Mass temperature at the start [degC].
    band_c : float
        Allowed deviation from the setpoint [K].
    thermostat_kw, thermostat_air_c : numpy.ndarray
        The ``none`` strategy's AC: the load model's thermostat and compressor rendering
        (the load's ``hvac_kw``) [kW] and its air temperature [degC] (T,).

    The coefficients ``a, b_u, c, d_u`` [1, K/kW, 1, K/kW], ``capacity_kw`` [kW thermal] and
    the disturbances ``w, v`` (T,) [degC] are derived from ``model`` and ``drive`` on
    construction.
    """

    model: thermal.ThermalModel
    drive: thermal.Drive
    x0: float
    band_c: float
    thermostat_kw: np.ndarray
    thermostat_air_c: np.ndarray

    def __post_init__(self) -> None:
        space = thermal.state_space(self.model)
        w, v = space.disturbance(self.drive)
        values = {
            "a": float(space.a[0]),
            "b_u": float(space.b_u[0]),
            "c": float(space.c[0]),
            "d_u": float(space.d_u[0]),
            "capacity_kw": float(self.model.cooling_kw[0]),
            "w": np.asarray(w, dtype=float),
            "v": np.asarray(v, dtype=float),
        }
        for name, value in values.items():
            object.__setattr__(self, name, value)

    @property
    def cop(self) -> np.ndarray:
        return self.drive.cop

    @property
    def setpoint_c(self) -> np.ndarray:
        return self.drive.setpoint_c

    @property
    def floor_c(self) -> np.ndarray:
        """The comfort band's lower edge (T,) [degC]: the setpoint less the band, or the
        thermostat's own air temperature where that is cooler (a setback or a cool evening:
        the house is cooler than the band without any cooling, which is no discomfort the
        dispatch caused, so it neither counts nor constrains)."""
        return np.minimum(self.setpoint_c - self.band_c, self.thermostat_air_c)

    def validate(self, n: int, home: object = None) -> None:
        where = "" if home is None else f"home {home}: "
        if len(self.model) != 1:
            raise ConfigError(f"{where}thermal model: one home, got {len(self.model)}")
        arrays = {
            "air": self.drive.air,
            "mass": self.drive.mass,
            "cop": self.drive.cop,
            "setpoint_c": self.drive.setpoint_c,
            "thermostat_kw": self.thermostat_kw,
            "thermostat_air_c": self.thermostat_air_c,
        }
        for name, value in arrays.items():
            if np.shape(value) != (n,):
                raise ConfigError(f"{where}thermal {name}: shape {np.shape(value)}, need ({n},)")
        if not np.all(np.asarray(self.cop) > 0):
            raise ConfigError(f"{where}thermal cop: must be > 0")
        if not self.band_c >= 0:
            raise ConfigError(f"{where}thermal band_c={self.band_c}: must be >= 0")


@dataclass(frozen=True, eq=False)
class HomeSeries:
    """One home's exogenous series on the market's grid.

    Attributes
    ----------
    base_kw : numpy.ndarray
        Non-flexible load (load less the EV and air conditioner the dispatch moves) [kW].
    pv_kw : numpy.ndarray
        PV output, AC [kW].
    ev : EVSessions, optional
    thermal : Thermal, optional
    """

    base_kw: np.ndarray
    pv_kw: np.ndarray
    ev: EVSessions | None = None
    thermal: Thermal | None = None

    def validate(self, n: int, home: object = None) -> None:
        where = "" if home is None else f"home {home}: "
        for name in ("base_kw", "pv_kw"):
            values = np.asarray(getattr(self, name), dtype=float)
            if values.shape != (n,):
                raise ConfigError(f"{where}{name}: shape {values.shape}, need ({n},)")
            if not np.all(np.isfinite(values)) or np.any(values < 0):
                raise ConfigError(f"{where}{name}: must be finite and >= 0")
        if self.ev is not None:
            self.ev.validate(n, home)
        if self.thermal is not None:
            self.thermal.validate(n, home)


@dataclass(frozen=True, eq=False)
class Schedule:
    """One home's dispatch: powers per interval [kW], states at interval ends.

    ``awards_kw`` is (hours, 4) in :data:`PRODUCTS` order, or None without AS prices.
    ``issues`` lists what could not be met (e.g. an EV need above the charger's capacity over
    its window), so an infeasible home is reported rather than dropped. ``cooling_kw`` [kW
    thermal] and ``mass_c`` (mass temperature at each interval end [degC]) are the LP's AC
    decisions and states; None when the AC is the thermostat's (``none``, ``rule``).
    """

    charge_kw: np.ndarray
    discharge_kw: np.ndarray
    soc_kwh: np.ndarray
    curtail_kw: np.ndarray
    ev_kw: np.ndarray
    ac_kw: np.ndarray
    cooling_kw: np.ndarray | None
    air_c: np.ndarray
    awards_kw: np.ndarray | None
    mass_c: np.ndarray | None = None
    mip_intervals: int = 0
    solver_objective: float | None = None
    issues: tuple[str, ...] = field(default_factory=tuple)

    def meter_kw(self, series: HomeSeries) -> np.ndarray:
        """Net meter flow, export positive [kW]."""
        return (
            series.pv_kw
            - self.curtail_kw
            - series.base_kw
            + self.discharge_kw
            - self.charge_kw
            - self.ev_kw
            - self.ac_kw
        )


def terminal_value(market: Market, battery: BatteryParameters | None) -> float:
    """The value of one kWh left stored at the end [$/kWh]: discharged later at the period's
    mean LMP, less its throughput cost, ``eta_d (mean lmp / 1000 - kappa)``."""
    if battery is None:
        return 0.0
    return battery.discharge_efficiency * (
        float(np.mean(market.lmp)) / 1000.0 - battery.throughput_cost_usd_per_kwh
    )


def ev_issues(series: HomeSeries, dt_h: float) -> tuple[str, ...]:
    """One line per EV session that departs within the period needing more than its
    charger can deliver over its window (a session cut by the period's end is not one)."""
    if series.ev is None:
        return ()
    ev = series.ev
    room = ev.deliverable_kwh(dt_h)
    short = np.flatnonzero(ev.leaves & (ev.energy_kwh > room + 1e-9))
    return tuple(
        f"ev session {i}: need {ev.energy_kwh[i]:.2f} kWh above {ev.charger_kw[i]:.2f} kW x "
        f"{(ev.departure[i] - ev.arrival[i]) * dt_h:.2f} h plugged in = {room[i]:.2f} kWh"
        for i in short
    )


def rule_battery(
    net_kw: np.ndarray,
    peak: np.ndarray,
    export_limit_kw: float,
    battery: BatteryParameters,
    dt_h: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The rule-based battery controller: self-consumption plus evening discharge.

    Each interval, in order:

    * in the evening peak (``peak`` true): discharge at full power, down to the reserve
      (``min_soc``) and no further than the export limit at the meter; charge only PV that
      would otherwise be curtailed at the export limit;
    * otherwise: charge from the PV surplus (``net_kw > 0``) and discharge to cover the load
      (``net_kw < 0``), never exporting from or importing into the battery.

    Charges from the grid only the trickle that holds a battery on its reserve against the
    standby loss; never discharges below the reserve, never both at once.

    Parameters
    ----------
    net_kw : numpy.ndarray
        PV less the load (export positive) before the battery [kW], shape (T,).
    peak : numpy.ndarray
        Boolean per interval: the evening discharge window.
    export_limit_kw : float
    battery : BatteryParameters
    dt_h : float

    Returns
    -------
    charge_kw, discharge_kw, soc_kwh : numpy.ndarray
    """
    eta_c, eta_d = battery.charge_efficiency, battery.discharge_efficiency
    keep = (1.0 - battery.standby_loss_per_h) ** dt_h
    low, high = battery.min_energy_kwh, battery.usable_energy_kwh
    n = net_kw.size
    charge, discharge, soc = np.zeros(n), np.zeros(n), np.empty(n)
    s = battery.initial_soc * high
    for t in range(n):
        s *= keep
        room = max(high - s, 0.0) / (eta_c * dt_h)
        available = max(s - low, 0.0) * eta_d / dt_h
        if peak[t]:
            discharge[t] = min(battery.discharge_kw, available, max(export_limit_kw - net_kw[t], 0))
            charge[t] = min(battery.charge_kw, room, max(net_kw[t] - export_limit_kw, 0.0))
        elif net_kw[t] > 0:
            charge[t] = min(battery.charge_kw, room, net_kw[t])
        else:
            discharge[t] = min(battery.discharge_kw, available, -net_kw[t])
        # The standby loss would take a battery resting on its reserve below it: trickle.
        charge[t] = max(charge[t], (low - s) / (eta_c * dt_h))
        s = s + eta_c * charge[t] * dt_h - discharge[t] * dt_h / eta_d
        soc[t] = s
    return charge, discharge, soc


def heuristic_schedule(
    strategy: Literal["none", "rule"],
    series: HomeSeries,
    assets: HomeAssets,
    market: Market,
    settings: DispatchSettings,
) -> Schedule:
    """The ``none`` or ``rule`` schedule of one home (see the module docstring)."""
    n, dt = market.n, market.dt_h
    ev = np.zeros(n) if series.ev is None else np.asarray(series.ev.unmanaged_kw, dtype=float)
    if series.thermal is None:
        ac, air = np.zeros(n), np.full(n, np.nan)
    else:
        ac = np.asarray(series.thermal.thermostat_kw, dtype=float)
        air = np.asarray(series.thermal.thermostat_air_c, dtype=float)
    battery = assets.battery(settings)
    net = series.pv_kw - series.base_kw - ev - ac
    if battery is None:
        charge = discharge = soc = np.zeros(n)
    elif strategy == "none":
        charge = discharge = np.zeros(n)
        keep = (1.0 - battery.standby_loss_per_h) ** dt
        soc = battery.initial_soc * battery.usable_energy_kwh * keep ** np.arange(1, n + 1)
    else:
        start, end = settings.peak_hours
        peak = (market.local_hour >= start) & (market.local_hour < end)
        charge, discharge, soc = rule_battery(net, peak, assets.export_limit_kw, battery, dt)
    # The inverter curtails the PV that would push the meter over the export limit.
    curtail = np.clip(net + discharge - charge - assets.export_limit_kw, 0.0, series.pv_kw)
    return Schedule(
        charge_kw=charge,
        discharge_kw=discharge,
        soc_kwh=soc,
        curtail_kw=curtail,
        ev_kw=ev,
        ac_kw=ac,
        cooling_kw=None,
        air_c=air,
        awards_kw=None
        if market.ancillary is None or battery is None
        else np.zeros_like(market.ancillary),
        issues=ev_issues(series, dt),
    )


class _Lp:
    """A linear programme assembled block by block (columns, rows, sparse entries), with the
    meter flow of each interval as a sum of column terms."""

    def __init__(self, n: int):
        self.n = n
        self.cost, self.lower, self.upper, self.integer = [], [], [], []
        self.row_lower, self.row_upper = [], []
        self.entries: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        self.meter: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        self.export: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        self.columns = 0
        self.rows = 0

    def add_columns(self, lower, upper, cost=0.0, integer=False) -> np.ndarray:
        lower = np.atleast_1d(np.asarray(lower, dtype=float))
        size = lower.size
        self.lower.append(lower)
        self.upper.append(np.broadcast_to(np.asarray(upper, dtype=float), (size,)))
        self.cost.append(np.broadcast_to(np.asarray(cost, dtype=float), (size,)))
        self.integer.append(np.full(size, integer))
        index = np.arange(self.columns, self.columns + size)
        self.columns += size
        return index

    def add_rows(self, lower, upper, size: int) -> np.ndarray:
        self.row_lower.append(np.broadcast_to(np.asarray(lower, dtype=float), (size,)))
        self.row_upper.append(np.broadcast_to(np.asarray(upper, dtype=float), (size,)))
        index = np.arange(self.rows, self.rows + size)
        self.rows += size
        return index

    def add(self, rows, columns, values) -> None:
        rows, columns = np.asarray(rows), np.asarray(columns)
        values = np.broadcast_to(
            np.asarray(values, dtype=float), np.broadcast_shapes(rows.shape, columns.shape)
        )
        rows, columns = np.broadcast_arrays(rows, columns)
        self.entries.append((rows.ravel(), columns.ravel(), values.ravel()))

    def add_meter(self, t, columns, values) -> None:
        """Columns in the meter flow of intervals ``t`` (export positive) [kW per unit]."""
        t, columns = np.broadcast_arrays(np.asarray(t), np.asarray(columns))
        values = np.broadcast_to(np.asarray(values, dtype=float), t.shape)
        self.meter.append((t.ravel(), columns.ravel(), values.ravel()))

    def add_export(self, t, columns, values) -> None:
        """Columns that count against the export limit of intervals ``t`` only."""
        t, columns = np.broadcast_arrays(np.asarray(t), np.asarray(columns))
        values = np.broadcast_to(np.asarray(values, dtype=float), t.shape)
        self.export.append((t.ravel(), columns.ravel(), values.ravel()))

    def solve(
        self,
        meter_cost: np.ndarray,
        export_room: np.ndarray,
        template: tuple[np.ndarray, np.ndarray] | None = None,
    ) -> tuple[np.ndarray, float]:
        """Minimise the column costs plus ``meter_cost . m`` subject to ``m <= export_room``;
        the solution and HiGHS's objective.

        ``template`` (columns, export room) names the bounds that carry a home's own series
        (PV curtailment's upper bounds, the export rows): the same LP with those columns fixed
        at 0 and that export room is solved cold once per process and matrix, and each home
        starts from its optimal basis. A home's schedule therefore depends on its own data
        only, not on which homes the process solved before (tied optima would otherwise follow
        the previous home's basis), and the solve takes a fraction of a cold one. Without a
        template, and for a MIP, the solve is cold.
        """
        meter = [np.concatenate(part) for part in zip(*self.meter, strict=True)]
        exports = self.add_rows(-np.inf, export_room, self.n)
        self.add(exports[meter[0]], meter[1], meter[2])
        for t, columns, values in self.export:
            self.add(exports[t], columns, values)
        cost = np.concatenate(self.cost)
        np.add.at(cost, meter[1], meter_cost[meter[0]] * meter[2])
        r, c, v = (np.concatenate(part) for part in zip(*self.entries, strict=True))
        order = np.lexsort((r, c))
        r, c, v = r[order], c[order], v[order]
        start = np.searchsorted(c, np.arange(self.columns + 1)).astype(np.int32)
        index = r.astype(np.int32)
        integer = np.concatenate(self.integer)
        bounds = (np.concatenate(self.lower), np.concatenate(self.upper))
        row_bounds = (np.concatenate(self.row_lower), np.concatenate(self.row_upper))
        key = _digest(start, index, v, integer)
        solver = _SOLVERS.get(key)
        if solver is None:
            solver = _model(cost, *bounds, *row_bounds, start, index, v, integer)
            _SOLVERS.clear()  # one matrix per process: bounded memory
            _BASES.clear()
            _SOLVERS[key] = solver
        if template is None or integer.any():
            _change(solver, cost, bounds, row_bounds)
            solver.clearSolver()
        else:
            columns, room = template
            upper = bounds[1].copy()
            upper[columns] = 0.0
            row_upper = row_bounds[1].copy()
            row_upper[exports] = room
            base_key = _digest(cost, bounds[0], upper, row_bounds[0], row_upper)
            basis = _BASES.get(base_key)
            if basis is None:
                _change(solver, cost, (bounds[0], upper), (row_bounds[0], row_upper))
                solver.clearSolver()
                _run(solver)
                basis = _BASES[base_key] = solver.getBasis()
            _change(solver, cost, bounds, row_bounds)
            solver.setBasis(basis)
        _run(solver)
        return np.asarray(solver.getSolution().col_value), solver.getInfo().objective_function_value


_SOLVERS: dict[bytes, highspy.Highs] = {}
"""This process's HiGHS model, by a digest of its matrix (see :meth:`_Lp.solve`)."""
_BASES: dict[bytes, highspy.HighsBasis] = {}
"""Optimal bases of template LPs on that matrix, by a digest of their costs and bounds."""


def _digest(*arrays: np.ndarray) -> bytes:
    return hashlib.blake2b(b"".join(a.tobytes() for a in arrays), digest_size=16).digest()


def _change(solver: highspy.Highs, cost, bounds, row_bounds) -> None:
    """Replace every cost and bound of the model ``solver`` holds."""
    columns = np.arange(cost.size, dtype=np.int32)
    rows = np.arange(row_bounds[0].size, dtype=np.int32)
    solver.changeColsCost(cost.size, columns, cost)
    solver.changeColsBounds(cost.size, columns, *bounds)
    solver.changeRowsBounds(rows.size, rows, *row_bounds)


def _run(solver: highspy.Highs) -> None:
    solver.run()
    status = solver.getModelStatus()
    if status != highspy.HighsModelStatus.kOptimal:
        _SOLVERS.clear()
        _BASES.clear()
        raise RuntimeError(f"dispatch LP failed: {solver.modelStatusToString(status)}")


def _model(cost, lower, upper, row_lower, row_upper, start, index, value, integer) -> highspy.Highs:
    """A silent HiGHS instance holding the (MI)LP in column-wise form."""
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = cost.size, row_lower.size
    lp.col_cost_ = cost
    lp.col_lower_, lp.col_upper_ = lower, upper
    lp.row_lower_, lp.row_upper_ = row_lower, row_upper
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = start
    lp.a_matrix_.index_ = index
    lp.a_matrix_.value_ = value
    solver = silent_highs()
    if integer.any():
        lp.integrality_ = [
            highspy.HighsVarType.kInteger if i else highspy.HighsVarType.kContinuous
            for i in integer
        ]
        solver.setOptionValue("mip_rel_gap", 1e-9)
        solver.setOptionValue("mip_abs_gap", 1e-9)
        solver.setOptionValue("mip_feasibility_tolerance", 1e-9)
    solver.passModel(lp)
    return solver


Reader = Callable[[np.ndarray], dict[str, np.ndarray]]


def _pv_block(lp: _Lp, series: HomeSeries) -> tuple[Reader, np.ndarray]:
    """PV curtailment ``q_t`` in ``[0, pv_t]`` (a column in every interval, dark or not, so
    that homes share one matrix and the solver can reuse it)."""
    q = lp.add_columns(np.zeros(lp.n), series.pv_kw)
    lp.add_meter(np.arange(lp.n), q, -1.0)

    def read(x: np.ndarray) -> dict[str, np.ndarray]:
        return {"curtail_kw": x[q]}

    return read, q


def _battery_block(
    lp: _Lp,
    battery: BatteryParameters,
    market: Market,
    settings: DispatchSettings,
    binary: np.ndarray,
    held_kw: np.ndarray | None = None,
    firm: bool = True,
) -> Reader:
    """Battery charge, discharge and state of charge, the AS awards, and a charge-or-discharge
    binary in the intervals ``binary``; ``held_kw`` (hours, 4) fixes the awards where it is
    finite (NaN: free), or bounds them from above unless ``firm``."""
    n, dt = lp.n, market.dt_h
    eta_c, eta_d = battery.charge_efficiency, battery.discharge_efficiency
    kappa = battery.throughput_cost_usd_per_kwh
    keep = (1.0 - battery.standby_loss_per_h) ** dt
    high, low = battery.usable_energy_kwh, battery.min_energy_kwh
    s0 = battery.initial_soc * high
    t = np.arange(n)
    c = lp.add_columns(np.zeros(n), battery.charge_kw)
    d = lp.add_columns(np.zeros(n), battery.discharge_kw, kappa * dt)
    s_cost = np.zeros(n)
    s_cost[-1] = -terminal_value(market, battery)
    s = lp.add_columns(np.full(n, low), high, s_cost)
    lp.add_meter(t, c, -1.0)
    lp.add_meter(t, d, 1.0)
    balance = lp.add_rows(np.where(t == 0, keep * s0, 0.0), np.where(t == 0, keep * s0, 0.0), n)
    lp.add(balance, s, 1.0)
    lp.add(balance[1:], s[:-1], -keep)
    lp.add(balance, c, -eta_c * dt)
    lp.add(balance, d, dt / eta_d)
    if binary.size:
        z = lp.add_columns(np.zeros(binary.size), 1.0, integer=True)
        charge_on = lp.add_rows(-np.inf, 0.0, binary.size)
        lp.add(charge_on, c[binary], 1.0)
        lp.add(charge_on, z, -battery.charge_kw)
        discharge_on = lp.add_rows(-np.inf, battery.discharge_kw, binary.size)
        lp.add(discharge_on, d[binary], 1.0)
        lp.add(discharge_on, z, battery.discharge_kw)
    awards = None
    if market.ancillary is not None:
        hours, hour = market.hours, market.hour
        duration = settings.durations()
        limit = np.where(UP, battery.discharge_kw, battery.charge_kw)
        throughput = kappa * settings.regulation_throughput_share * REGULATION * 1.0
        cost = -market.ancillary / 1000.0 + throughput  # per kW awarded for one hour
        lower, upper = np.zeros((hours, 4)), np.tile(limit, (hours, 1))
        if held_kw is not None:
            held = np.isfinite(held_kw)
            upper[held] = held_kw[held]
            lower[held] = held_kw[held] if firm else 0.0
        awards = lp.add_columns(lower.ravel(), upper.ravel(), cost.ravel()).reshape(hours, 4)
        up, down = awards[:, UP], awards[:, ~UP]
        up_energy = duration[UP] / eta_d  # stored energy per kW of up award [kWh]
        down_energy = duration[~UP] * eta_c
        headroom = lp.add_rows(-np.inf, battery.discharge_kw, n)
        lp.add(headroom, d, 1.0)
        lp.add(headroom[:, None], up[hour], 1.0)
        headroom = lp.add_rows(-np.inf, battery.charge_kw, n)
        lp.add(headroom, c, 1.0)
        lp.add(headroom[:, None], down[hour], 1.0)
        lp.add_export(t[:, None], up[hour], 1.0)
        # Sufficiency at every interval end for its own hour's awards and, at an hour's
        # last interval, for the next hour's; the start state for the first hour.
        ends = np.flatnonzero(hour[:-1] != hour[1:])
        states = np.concatenate([t, ends])
        award_hour = np.concatenate([hour, hour[ends + 1]])
        rows = lp.add_rows(low, np.inf, states.size)
        lp.add(rows, s[states], 1.0)
        lp.add(rows[:, None], up[award_hour], -up_energy)
        rows = lp.add_rows(-np.inf, high, states.size)
        lp.add(rows, s[states], 1.0)
        lp.add(rows[:, None], down[award_hour], down_energy)
        first = lp.add_rows(-np.inf, [s0 - low, high - s0], 2)
        lp.add(first[0], up[0], up_energy)
        lp.add(first[1], down[0], down_energy)

    def read(x: np.ndarray) -> dict[str, np.ndarray]:
        out = {"charge_kw": x[c], "discharge_kw": x[d], "soc_kwh": x[s]}
        if awards is not None:
            out["awards_kw"] = x[awards]
        return out

    return read


def _ev_block(lp: _Lp, ev: EVSessions, dt_h: float) -> Reader:
    """Flexible EV charging within each session's window (at most each interval's limit),
    its (capped) need by departure."""
    windows = [np.arange(a, b) for a, b in zip(ev.arrival, ev.departure, strict=True)]
    t = np.concatenate(windows)
    session = np.repeat(np.arange(len(windows)), [w.size for w in windows])
    e = lp.add_columns(np.zeros(t.size), np.asarray(ev.limit_kw, dtype=float)[t])
    lp.add_meter(t, e, -1.0)
    target = ev.target_kwh(dt_h)
    rows = lp.add_rows(target, target, len(windows))
    lp.add(rows[session], e, dt_h)

    def read(x: np.ndarray) -> dict[str, np.ndarray]:
        power = np.zeros(lp.n)
        np.add.at(power, t, x[e])
        return {"ev_kw": power}

    return read


def _ac_block(lp: _Lp, house: Thermal, dt_h: float, settings: DispatchSettings) -> Reader:
    """Cooling power ``u`` on the home's one-state thermal model, comfort band soft at the
    penalty: columns ``u[k]`` and the mass temperatures ``x[1..T]`` (``x[0]`` is given);
    rows ``x[k+1] - a x[k] - b_u u[k] = w[k]`` and the band on
    ``T_air[k] = c x[k] + d_u u[k] + v[k]``."""
    n = lp.n
    u = lp.add_columns(np.zeros(n), house.capacity_kw)
    x = lp.add_columns(np.full(n, -np.inf), np.inf)  # x[k + 1], the state after interval k
    penalty = settings.comfort_penalty_usd_per_kh * dt_h
    hot = lp.add_columns(np.zeros(n), np.inf, penalty)
    cold = lp.add_columns(np.zeros(n), np.inf, penalty)
    lp.add_meter(np.arange(n), u, -1.0 / np.asarray(house.cop, dtype=float))
    drive = np.array(house.w, dtype=float)
    drive[0] += house.a * house.x0
    dynamics = lp.add_rows(drive, drive, n)
    lp.add(dynamics, x, 1.0)
    lp.add(dynamics[1:], x[:-1], -house.a)
    lp.add(dynamics, u, -house.b_u)
    # T_air[k] - v[k] - (c x0 at k = 0) = c x[k] + d_u u[k] within the band.
    free = np.array(house.v, dtype=float)
    free[0] += house.c * house.x0
    top = lp.add_rows(-np.inf, house.setpoint_c + house.band_c - free, n)
    bottom = lp.add_rows(house.floor_c - free, np.inf, n)
    for rows, slack, sign in ((top, hot, -1.0), (bottom, cold, 1.0)):
        lp.add(rows[1:], x[:-1], house.c)
        lp.add(rows, u, house.d_u)
        lp.add(rows, slack, sign)

    def read(sol: np.ndarray) -> dict[str, np.ndarray]:
        cooling = sol[u]
        air = house.c * np.concatenate([[house.x0], sol[x][:-1]]) + house.d_u * cooling
        return {
            "cooling_kw": cooling,
            "ac_kw": cooling / house.cop,
            "air_c": air + house.v,
            "mass_c": sol[x],
        }

    return read


def optimal_schedule(
    series: HomeSeries,
    assets: HomeAssets,
    market: Market,
    settings: DispatchSettings,
    held_kw: np.ndarray | None = None,
    firm: bool = True,
) -> Schedule:
    """The ``lp`` strategy: one home's perfect-foresight optimum (see the module docstring).

    Parameters
    ----------
    series : HomeSeries
    assets : HomeAssets
    market : Market
    settings : DispatchSettings
    held_kw : numpy.ndarray, optional
        (hours, 4) AS awards [kW] the home already holds, fixed in the LP where finite (NaN:
        the LP chooses); needs ``market.ancillary``. A rolling planner's awards cleared
        earlier (:class:`vppsim.env.agents.Mpc`).
    firm : bool
        False: ``held_kw`` bounds the awards from above instead (the plan may leave part of
        an award unbacked, where the state of charge cannot back all of it).

    Returns
    -------
    Schedule
        With ``solver_objective`` the optimum [$] as HiGHS computed it, to compare with
        :func:`vppsim.fleet.kpis.score`'s ``objective``.
    """
    series.validate(market.n)
    if held_kw is not None and (market.ancillary is None or np.shape(held_kw) != (market.hours, 4)):
        raise ConfigError(f"held_kw: need AS prices and shape ({market.hours}, 4) [kW]")
    battery = assets.battery(settings)
    binary = np.array([], dtype=np.int64)
    if battery is not None:
        binary = np.flatnonzero(market.lmp < waste_price(battery))
    while True:
        schedule = _solve(series, assets, battery, market, settings, binary, held_kw, firm)
        both = np.flatnonzero(
            (schedule.charge_kw > settings.simultaneous_tolerance_kw)
            & (schedule.discharge_kw > settings.simultaneous_tolerance_kw)
        )
        fresh = np.setdiff1d(both, binary)
        if fresh.size == 0:
            # Nothing left to forbid (a binary's integrality tolerance at most): the score's
            # "simultaneous" violation count would show any remainder.
            return schedule
        binary = np.union1d(binary, fresh)


def _solve(
    series: HomeSeries,
    assets: HomeAssets,
    battery: BatteryParameters | None,
    market: Market,
    settings: DispatchSettings,
    binary: np.ndarray,
    held_kw: np.ndarray | None = None,
    firm: bool = True,
) -> Schedule:
    n, dt = market.n, market.dt_h
    lp = _Lp(n)
    read_pv, curtail = _pv_block(lp, series)
    readers = [read_pv]
    if battery is not None:
        readers.append(_battery_block(lp, battery, market, settings, binary, held_kw, firm))
    if series.ev is not None:
        readers.append(_ev_block(lp, series.ev, dt))
    if series.thermal is not None:
        readers.append(_ac_block(lp, series.thermal, dt, settings))
    per_kw = market.lmp * dt / 1000.0  # $ per kW of meter flow over one interval
    fixed = series.pv_kw - series.base_kw
    # Homes of PV and battery only share a matrix (for given battery parameters), so they
    # start from a template's basis; EV sessions and houses differ per home: solved cold.
    template = None
    if series.ev is None and series.thermal is None:
        template = (curtail, np.full(n, assets.export_limit_kw))
    x, objective = lp.solve(-per_kw, assets.export_limit_kw - fixed, template)
    # The terms the LP leaves out as constants: the fixed meter flow and the initial energy.
    constant = per_kw @ fixed
    if battery is not None:
        constant -= (
            terminal_value(market, battery) * battery.initial_soc * battery.usable_energy_kwh
        )
    parts = {
        "charge_kw": np.zeros(n),
        "discharge_kw": np.zeros(n),
        "soc_kwh": np.zeros(n),
        "ev_kw": np.zeros(n),
        "ac_kw": np.zeros(n),
        "cooling_kw": None,
        "mass_c": None,
        "air_c": np.full(n, np.nan),
        "awards_kw": None,
    }
    for read in readers:
        parts.update(read(x))
    if battery is not None and market.ancillary is not None and parts["awards_kw"] is None:
        parts["awards_kw"] = np.zeros_like(market.ancillary)
    return Schedule(
        **parts,
        mip_intervals=int(binary.size),
        solver_objective=float(constant - objective),
        issues=ev_issues(series, dt),
    )


def schedule_home(
    strategy: Strategy,
    series: HomeSeries,
    assets: HomeAssets,
    market: Market,
    settings: DispatchSettings,
) -> Schedule:
    """One home's schedule by ``strategy``."""
    if strategy == "lp":
        return optimal_schedule(series, assets, market, settings)
    if strategy in ("none", "rule"):
        series.validate(market.n)
        return heuristic_schedule(strategy, series, assets, market, settings)
    raise ConfigError(f"strategy={strategy!r}: choose one of {', '.join(STRATEGIES)}")


def dispatch_fleet(
    strategy: Strategy,
    series: Sequence[HomeSeries],
    assets: Sequence[HomeAssets],
    market: Market,
    settings: DispatchSettings | None = None,
) -> list[Schedule]:
    """Every home's schedule by ``strategy``, in order (each home's result depends on its
    own inputs only; :mod:`vppsim.fleet.run` runs chunks of homes on a Dask cluster).

    Parameters
    ----------
    strategy : {"none", "rule", "lp"}
    series : sequence of HomeSeries
    assets : sequence of HomeAssets
    market : Market
    settings : DispatchSettings, optional

    Returns
    -------
    list of Schedule
    """
    settings = settings or DispatchSettings()
    if strategy not in STRATEGIES:
        raise ConfigError(f"strategy={strategy!r}: choose one of {', '.join(STRATEGIES)}")
    if len(series) != len(assets):
        raise ConfigError(f"series: {len(series)} homes but assets: {len(assets)}")
    return [
        schedule_home(strategy, s, a, market, settings) for s, a in zip(series, assets, strict=True)
    ]
