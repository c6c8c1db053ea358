"""The thermal model of a home: one physics for the load generator, the step kernel and the
dispatch LP.

Two nodes per home: a massless indoor-air node and the thermal mass (structure,
furnishings) of capacitance ``C`` [kWh/K]. Conductances [kW/K]: ``air_out`` (windows,
infiltration), ``air_mass`` (air to mass) and ``mass_out`` (opaque envelope; set so that in
series with ``air_mass`` it carries the rest of the home's UA, :func:`envelope`). With
``Q`` the heat removed from the air [kW thermal] (cooling > 0, heating < 0), ``g_air`` the
gains to the air (internal gains and ``solar_to_air_share`` of the solar gain) and
``g_mass`` the solar gain absorbed by the mass [kW]::

    0           = air_out (T_out - T_air) + air_mass (T_mass - T_air) + g_air - Q
    C dT_mass/dt = air_mass (T_air - T_mass) + mass_out (T_out - T_mass) + g_mass

Discretisation over an interval ``dt`` [h]: the air temperature at the interval's start
drives the mass, which is integrated exactly (stable at any ``dt``)::

    T_mass[k+1] = keep T_mass[k] + (1 - keep) (air_mass T_air[k] + mass_out T_out[k]
                  + g_mass[k]) / mass_total,        keep = exp(-dt mass_total / C)

Linear discrete-time model (what an LP writes; :func:`state_space`). The air node has no
capacitance, so the model has ONE state per home, the mass temperature ``x = T_mass``
[degC], and the air temperature is an affine output with a direct feed-through of the
cooling input ``u = Q`` [kW thermal]::

    x[k+1]   = a x[k] + b_u u[k] + w[k]
    T_air[k] = c x[k] + d_u u[k] + v[k]

with ``air_total = air_out + air_mass``, ``mass_total = mass_out + air_mass``,
``m = (1 - keep) air_mass / mass_total`` and

* ``c = air_mass / air_total``, ``d_u = -1 / air_total``,
  ``v[k] = (air_out T_out[k] + g_air[k]) / air_total`` (:attr:`Drive.air`);
* ``a = keep + m c``, ``b_u = -m / air_total``,
  ``w[k] = (1 - keep) (mass_out T_out[k] + g_mass[k]) / mass_total + m v[k]``
  (:attr:`Drive.mass` + ``m`` :attr:`Drive.air`).

The electric power of the cooling is ``u / COP(T_out)`` with
``COP = ac_cop * clip(1 + slope (35 - T_out), *cop_factor_range)`` (:func:`cop`).

The ideal thermostat (:func:`simulate` without controls) clamps the *free* air temperature
(the air temperature without heating or cooling, ``c x + v``) into [heating, cooling]
setpoint within the capacities; it recurses on the free air temperature
(``free[k + 1] = keep free[k] + drive[k] + gain air[k]``), which is how the load generator
has always computed it (:func:`vppsim.load.model.simulate_load` calls this module, so the
load dataset and the kernel are one physics). :class:`ThermalKernel` steps the same model
with an AC power as the action.

Every function is element-wise across homes and keeps the dtype of its inputs (the load
generator runs float32, the kernel and the LP float64).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from scipy.signal import lfilter

from vppsim.fleet.arrays import attribute
from vppsim.load.parameters import LoadParameters

COP_REFERENCE_C = 35.0
"""Outdoor temperature at which the AC runs at its rated COP [degC] (the AHRI 210/240 rating
point for the EER, 95 degF)."""


def envelope(homes: Any) -> dict[str, np.ndarray]:
    """Conductances [kW/K] and capacitance [kWh/K] of the thermal model from home attributes.

    ``air_out`` (windows, infiltration) is ``window_ua_share`` of the UA; ``mass_out`` is
    set so that it in series with ``air_mass`` carries the rest, so the steady-state
    conductance from indoor air to outdoors is the home's UA.

    Parameters
    ----------
    homes : pandas.DataFrame, mapping or object
        ``ua_kw_per_k`` [kW/K], ``mass_coupling_kw_per_k`` [kW/K], ``window_ua_share`` [1]
        and ``thermal_capacitance_kwh_per_k`` [kWh/K] per home
        (:func:`vppsim.load.homes.draw_homes`).

    Returns
    -------
    dict of str to numpy.ndarray
        ``air_out``, ``air_mass``, ``mass_out`` [kW/K] and ``capacitance`` [kWh/K], (H,).
    """
    ua = attribute(homes, "ua_kw_per_k")
    air_mass = attribute(homes, "mass_coupling_kw_per_k")
    air_out = attribute(homes, "window_ua_share") * ua
    rest = np.minimum(ua - air_out, 0.95 * air_mass)
    return {
        "air_out": air_out,
        "air_mass": air_mass,
        "mass_out": rest * air_mass / (air_mass - rest),
        "capacitance": attribute(homes, "thermal_capacitance_kwh_per_k"),
    }


@dataclass(frozen=True)
class ThermalModel:
    """Per-home parameters (H,) of the thermal model at one interval length.

    Attributes
    ----------
    air_out, air_mass, mass_out : numpy.ndarray
        Conductances [kW/K] (:func:`envelope`).
    capacitance : numpy.ndarray
        Thermal mass [kWh/K].
    aperture_m2 : numpy.ndarray
        Solar aperture: solar gain [kW] per kW/m2 of irradiance [m2].
    cooling_kw, heating_kw : numpy.ndarray
        Thermal capacity of the AC and of the heating [kW thermal] (0 without).
    ac_cop : numpy.ndarray
        Rated COP of the AC [1] (at :data:`COP_REFERENCE_C`).
    heating_kw_per_kw : numpy.ndarray
        Electric power per kW of heat delivered [1].
    step_minutes : float
        Interval length [min].
    solar_to_air_share, cop_temperature_slope, cop_factor_range
        As in :class:`vppsim.load.parameters.LoadParameters`.
    """

    air_out: np.ndarray
    air_mass: np.ndarray
    mass_out: np.ndarray
    capacitance: np.ndarray
    aperture_m2: np.ndarray
    cooling_kw: np.ndarray
    heating_kw: np.ndarray
    ac_cop: np.ndarray
    heating_kw_per_kw: np.ndarray
    step_minutes: float
    solar_to_air_share: float
    cop_temperature_slope: float
    cop_factor_range: tuple[float, float]

    @classmethod
    def from_homes(
        cls, homes: Any, step_minutes: float, parameters: LoadParameters | None = None
    ) -> ThermalModel:
        """The model of ``homes`` (frame, mapping or struct of arrays with the
        :func:`vppsim.load.homes.draw_homes` columns) at ``step_minutes`` [min]."""
        p = LoadParameters() if parameters is None else parameters
        return cls(
            **envelope(homes),
            aperture_m2=attribute(homes, "solar_aperture_m2"),
            cooling_kw=attribute(homes, "ac_capacity_kw"),
            heating_kw=attribute(homes, "heating_capacity_kw"),
            ac_cop=attribute(homes, "ac_cop"),
            heating_kw_per_kw=attribute(homes, "heating_kw_per_kw"),
            step_minutes=float(step_minutes),
            solar_to_air_share=p.solar_to_air_share,
            cop_temperature_slope=p.cop_temperature_slope,
            cop_factor_range=tuple(p.cop_factor_range),
        )

    def __len__(self) -> int:
        return len(self.air_out)

    def subset(self, rows: np.ndarray) -> ThermalModel:
        """The model of the homes ``rows``."""
        arrays = {
            name: getattr(self, name)[rows]
            for name, value in vars(self).items()
            if isinstance(value, np.ndarray)
        }
        return replace(self, **arrays)

    @property
    def air_total(self) -> np.ndarray:
        """Conductance of the air node [kW/K]."""
        return self.air_out + self.air_mass

    @property
    def mass_total(self) -> np.ndarray:
        """Conductance of the mass node [kW/K]."""
        return self.mass_out + self.air_mass

    @property
    def keep(self) -> np.ndarray:
        """Share of the mass's deviation kept over one interval [1]."""
        return np.exp(-self.step_minutes / 60.0 * self.mass_total / self.capacitance)

    @property
    def mass_from_air(self) -> np.ndarray:
        """``m``: the mass's response over one interval to one K of air temperature [1]."""
        return (1.0 - self.keep) * self.air_mass / self.mass_total


@dataclass(frozen=True)
class StateSpace:
    """``x[k+1] = a x[k] + b_u u[k] + w[k]``, ``T_air[k] = c x[k] + d_u u[k] + v[k]``.

    ``x`` is the mass temperature [degC], ``u`` the heat removed from the air [kW thermal];
    each coefficient is per home (H,): ``a`` [1], ``b_u`` [K/kW], ``c`` [1], ``d_u`` [K/kW].
    ``w`` and ``v`` come from a :class:`Drive` (:meth:`disturbance`).
    """

    a: np.ndarray
    b_u: np.ndarray
    c: np.ndarray
    d_u: np.ndarray
    mass_from_air: np.ndarray

    def disturbance(self, drive: Drive) -> tuple[np.ndarray, np.ndarray]:
        """``w`` [degC] (the mass update's exogenous part) and ``v`` [degC] (the air's),
        (T, H) or (H,) like the drive."""
        return drive.mass + self.mass_from_air * drive.air, drive.air


def state_space(model: ThermalModel) -> StateSpace:
    """The linear discrete-time model of each home (float64), see the module docstring."""
    air_total = model.air_total
    m = model.mass_from_air
    c = model.air_mass / air_total
    return StateSpace(
        a=model.keep + m * c, b_u=-m / air_total, c=c, d_u=-1.0 / air_total, mass_from_air=m
    )


@dataclass(frozen=True)
class Drive:
    """The exogenous inputs of the thermal model, (T, H) or, for one step, (H,).

    Attributes
    ----------
    outdoor_c : numpy.ndarray
        Outdoor temperature at each home [degC] (sets the COP).
    air : numpy.ndarray
        ``v``: the air temperature the outdoors and the air's gains alone would hold
        [degC], ``(air_out T_out + g_air) / air_total``.
    mass : numpy.ndarray
        The mass's exact response over the interval to the outdoors and its solar gain
        [K], ``(1 - keep) (mass_out T_out + g_mass) / mass_total``.
    setpoint_c : numpy.ndarray, optional
        Cooling setpoint [degC]: the kernel counts comfort violations around it.
    cop : numpy.ndarray, optional
        The AC's COP at ``outdoor_c`` [1] (:func:`cop`), so that a step need not
        recompute it (:meth:`with_cop`).
    """

    outdoor_c: np.ndarray
    air: np.ndarray
    mass: np.ndarray
    setpoint_c: np.ndarray | None = None
    cop: np.ndarray | None = None

    def at(self, k: int) -> Drive:
        """The drive of interval ``k`` (views, (H,))."""
        return Drive(
            self.outdoor_c[k],
            self.air[k],
            self.mass[k],
            None if self.setpoint_c is None else self.setpoint_c[k],
            None if self.cop is None else self.cop[k],
        )

    def with_cop(self, model: ThermalModel) -> Drive:
        """This drive with the COP of ``model``'s ACs filled in."""
        return replace(self, cop=cop(model, self.outdoor_c))


def climate_shape(standard_hour: np.ndarray, peak_hour: float) -> np.ndarray:
    """Daily shape (T,) in [0, 1] of a home's climate offset: 1 at ``peak_hour`` [h, local
    standard time], 0 twelve hours later."""
    return 0.5 * (1.0 + np.cos(2.0 * np.pi * (standard_hour - peak_hour) / 24.0))


def outdoor_temperature(
    temp_air_c: np.ndarray, shape: np.ndarray, offset_min_c: np.ndarray, offset_max_c: np.ndarray
) -> np.ndarray:
    """Outdoor temperature at each home (T, H) [degC], float32: the weather's ``temp_air_c``
    (T,) plus the home's climate offset, from ``offset_min_c`` to ``offset_max_c`` (H,) by
    :func:`climate_shape` ``shape`` (T,)."""
    f32 = np.float32
    t_out = np.multiply.outer(shape.astype(f32), (offset_max_c - offset_min_c).astype(f32))
    t_out += np.asarray(temp_air_c, dtype=f32)[:, None]
    t_out += offset_min_c.astype(f32)[None, :]
    return t_out


def solar_gain(
    ghi_w_m2: np.ndarray, step_minutes: float, roof_share: float, lag_hours: float
) -> np.ndarray:
    """Irradiance driving the house (T,) [kW/m2], float32.

    ``roof_share`` of the GHI reaches the house through the attic, delayed by a first-order
    lag of ``lag_hours`` [h] (the attic and the ducts in it stay hot into the evening), the
    rest at once (windows).
    """
    solar = np.clip(np.asarray(ghi_w_m2, dtype=np.float64), 0.0, None) / 1000.0
    if roof_share > 0.0 and len(solar):
        keep = np.exp(-step_minutes / 60.0 / lag_hours)
        lagged = lfilter([1.0 - keep], [1.0, -keep], solar, zi=[keep * solar[0]])[0]
        solar = (1.0 - roof_share) * solar + roof_share * lagged
    return solar.astype(np.float32)


def drive(
    model: ThermalModel, outdoor_c: np.ndarray, solar_kw_m2: np.ndarray, internal_kw: np.ndarray
) -> Drive:
    """The exogenous drive (T, H) in the dtype of ``outdoor_c``.

    Parameters
    ----------
    model : ThermalModel
    outdoor_c : numpy.ndarray
        Outdoor temperature at each home (T, H) [degC] (:func:`outdoor_temperature`).
    solar_kw_m2 : numpy.ndarray
        Irradiance driving the house (T,) [kW/m2] (:func:`solar_gain`).
    internal_kw : numpy.ndarray
        Internal gains to the air (T, H) [kW].
    """
    dtype = outdoor_c.dtype.type
    keep = model.keep
    mass_total = model.mass_total
    air_total = model.air_total
    solar = np.asarray(solar_kw_m2, dtype=dtype)
    air = np.array(internal_kw, dtype=dtype)
    air += np.multiply.outer(solar, (model.solar_to_air_share * model.aperture_m2).astype(dtype))
    air /= air_total.astype(dtype)
    air += outdoor_c * (model.air_out / air_total).astype(dtype)
    mass = np.multiply.outer(
        solar,
        ((1.0 - keep) * (1.0 - model.solar_to_air_share) * model.aperture_m2 / mass_total).astype(
            dtype
        ),
    )
    mass += outdoor_c * ((1.0 - keep) * model.mass_out / mass_total).astype(dtype)
    return Drive(outdoor_c, air, mass)


def cop(model: ThermalModel, outdoor_c: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """COP of each AC at ``outdoor_c`` [degC] (T, H) or (H,), in its dtype [1].

    ``ac_cop * clip(1 + slope (35 - T_out), *cop_factor_range)``: the COP falls by
    ``cop_temperature_slope`` per K above the rating point. Homes without AC get 1.
    ``out`` may be ``outdoor_c`` itself (overwritten).
    """
    dtype = outdoor_c.dtype.type
    out = np.subtract(dtype(COP_REFERENCE_C), outdoor_c, out=out)
    out *= dtype(model.cop_temperature_slope)
    out += dtype(1.0)
    np.clip(out, *model.cop_factor_range, out=out)
    out *= np.where(model.cooling_kw > 0, model.ac_cop, 1.0).astype(dtype)
    return out


def thermostat(
    drive: np.ndarray,
    cool_setpoint: np.ndarray | None,
    heat_setpoint: np.ndarray | None,
    keep: np.ndarray,
    gain: np.ndarray,
    cool_cap_deg: np.ndarray,
    heat_cap_deg: np.ndarray,
    free0: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Free-floating and controlled air temperatures under an ideal thermostat.

    The thermostat clamps the free-floating air temperature ``free[k]`` into [heating,
    cooling] setpoint within the capacities (as the air temperature change they make);
    then ``free[k + 1] = keep * free[k] + drive[k] + gain * air[k]`` (the mass's exact
    update, written for the free air temperature). A clamp is left out when its setpoints
    are None. Inputs are (T, H) or (H,) of one dtype; homes are independent
    (element-wise). Returns ``free`` (T + 1, H) and ``air`` (T, H) [degC].
    """
    n_steps, n_homes = drive.shape
    air = np.empty((n_steps, n_homes), dtype=drive.dtype)
    free = np.empty((n_steps + 1, n_homes), dtype=drive.dtype)
    free[0] = free0
    bound = np.empty(n_homes, dtype=drive.dtype)
    for k in range(n_steps):
        now, row = free[k], air[k]
        if cool_setpoint is not None:
            np.subtract(now, cool_cap_deg, out=bound)
            np.maximum(bound, cool_setpoint[k], out=bound)
            np.minimum(now, bound, out=row)
        else:
            row[:] = now
        if heat_setpoint is not None:
            np.add(now, heat_cap_deg, out=bound)
            np.minimum(bound, heat_setpoint[k], out=bound)
            np.maximum(row, bound, out=row)
        following = free[k + 1]
        np.multiply(keep, now, out=following)
        following += drive[k]
        np.multiply(gain, row, out=bound)
        following += bound
    return free, air


@dataclass(frozen=True)
class ThermalRun:
    """A simulated trajectory (in the drive's dtype).

    Attributes
    ----------
    free_air_c : numpy.ndarray
        (T + 1, H) air temperature without heating or cooling [degC] (``c x + v``; the
        last row uses the last interval's drive).
    air_c : numpy.ndarray
        (T, H) air temperature [degC].
    heat_removed_kw : numpy.ndarray
        (T, H) heat removed from the air [kW thermal]: cooling > 0, heating < 0.
    """

    free_air_c: np.ndarray
    air_c: np.ndarray
    heat_removed_kw: np.ndarray


def simulate(
    model: ThermalModel,
    exogenous: Drive,
    controls: np.ndarray | None = None,
    *,
    cool_setpoint: np.ndarray | None = None,
    heat_setpoint: np.ndarray | None = None,
    mass0: np.ndarray | None = None,
    spin_up_steps: int = 0,
) -> ThermalRun:
    """Simulate the homes over the drive.

    Parameters
    ----------
    model : ThermalModel
    exogenous : Drive
        (T, H); its dtype sets the computation's.
    controls : numpy.ndarray, optional
        (T, H) AC electric power [kW]: stepped by :class:`ThermalKernel` (clipped to the
        capacity). Without, an ideal thermostat holds the setpoints (as the load generator).
    cool_setpoint, heat_setpoint : numpy.ndarray, optional
        (T, H) thermostat setpoints [degC]; a mode without setpoints is off.
    mass0 : numpy.ndarray, optional
        (H,) mass temperature at the start [degC]; default the first cooling setpoint (or
        heating, or 24 degC).
    spin_up_steps : int
        Thermostat runs only: simulate the first ``spin_up_steps`` intervals once first
        from ``mass0`` and start from where they end (a settled state).

    Returns
    -------
    ThermalRun
    """
    dtype = exogenous.air.dtype.type
    if mass0 is None:
        first = cool_setpoint if cool_setpoint is not None else heat_setpoint
        mass0 = np.full(len(model), 24.0) if first is None else first[0].astype(np.float64)
    if controls is not None:
        return _stepped(model, exogenous, controls, np.asarray(mass0, dtype=np.float64))
    afm = (model.air_mass / model.air_total).astype(dtype)
    air_total = model.air_total.astype(dtype)
    keep = model.keep.astype(dtype)
    mass_from_air = model.mass_from_air.astype(dtype)
    # The free air recursion's drive: free[k + 1] = keep free[k] + rec[k] + gain air[k].
    air_drive = exogenous.air
    rec = exogenous.mass * afm
    rec -= keep * air_drive
    rec[:-1] += air_drive[1:]
    rec[-1] += air_drive[-1]
    coefficients = {
        "keep": keep,
        "gain": afm * mass_from_air,
        "cool_cap_deg": (model.cooling_kw / model.air_total).astype(dtype),
        "heat_cap_deg": (model.heating_kw / model.air_total).astype(dtype),
    }
    free0 = (afm * mass0 + air_drive[0]).astype(dtype)
    n_steps = len(rec)
    day = min(n_steps, spin_up_steps)
    if day > 0:
        free_day, _ = thermostat(
            rec[:day],
            None if cool_setpoint is None else cool_setpoint[:day],
            None if heat_setpoint is None else heat_setpoint[:day],
            free0=free0,
            **coefficients,
        )
        # free_day[day] is the free air of interval `day`; restate it for interval 0's drive.
        following = air_drive[day] if day < n_steps else air_drive[-1]
        free0 = (free_day[day] - following + air_drive[0]).astype(dtype)
    free, air = thermostat(rec, cool_setpoint, heat_setpoint, free0=free0, **coefficients)
    del rec
    removed = np.subtract(free[:-1], air)
    removed *= air_total[None, :]
    return ThermalRun(free, air, removed)


def _stepped(
    model: ThermalModel, exogenous: Drive, controls: np.ndarray, mass0: np.ndarray
) -> ThermalRun:
    kernel = ThermalKernel(model)
    n_steps, n_homes = controls.shape
    free = np.empty((n_steps + 1, n_homes))
    air = np.empty((n_steps, n_homes))
    removed = np.empty((n_steps, n_homes))
    mass = mass0.copy()
    for k in range(n_steps):
        drive_k = exogenous.at(k)
        free[k] = kernel.space.c * mass + drive_k.air
        mass, _, info = kernel.step(mass, controls[k], drive_k)
        air[k] = info["air_c"]
        removed[k] = info["heat_removed_kw"]
    free[-1] = kernel.space.c * mass + exogenous.air[-1]
    return ThermalRun(free, air, removed)


class ThermalKernel:
    """Steps the homes' AC (float64): ``step(state, action, exogenous_t)``.

    The state is the mass temperature (H,) [degC]; the action the AC's electric power
    (H,) [kW], clipped to [0, cooling capacity / COP(T_out)]. Heating is not dispatched.

    Parameters
    ----------
    model : ThermalModel
    comfort_band_c : numpy.ndarray or float, optional
        Allowed deviation of the air temperature from the drive's ``setpoint_c`` [K]:
        outside it a step counts a comfort violation (needs ``setpoint_c`` in the drive).
    """

    def __init__(self, model: ThermalModel, comfort_band_c: np.ndarray | float | None = None):
        self.model = model
        self.space = state_space(model)
        self.band = None if comfort_band_c is None else np.asarray(comfort_band_c, dtype=float)
        n = len(model)
        self._states = (np.empty(n), np.empty(n))
        self._removed, self._applied, self._air = np.empty(n), np.empty(n), np.empty(n)
        self._work, self._factor = np.empty(n), np.empty(n)
        self._flag = np.empty(n, dtype=bool)
        self._zero = np.zeros(n)

    def electric_to_hold(self, state: np.ndarray, setpoint_c: np.ndarray, exogenous_t: Drive):
        """AC electric power [kW] that holds the air at ``setpoint_c`` [degC] this interval
        (0 when the free air is cooler; may exceed the capacity: the step clips it)."""
        removed = (self.space.c * state + exogenous_t.air - setpoint_c) / -self.space.d_u
        return np.maximum(removed, 0.0) / cop(self.model, np.asarray(exogenous_t.outdoor_c, float))

    def step(
        self, state: np.ndarray, action: np.ndarray, exogenous_t: Drive
    ) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
        """One interval.

        Parameters
        ----------
        state : numpy.ndarray
            Mass temperature at the interval start (H,) [degC].
        action : numpy.ndarray
            Requested AC electric power (H,) [kW].
        exogenous_t : Drive
            The interval's drive (:meth:`Drive.at`; with its ``cop`` it is faster).

        Returns
        -------
        state : numpy.ndarray
            Mass temperature at the interval end [degC].
        applied : numpy.ndarray
            AC electric power applied [kW].
        info : dict
            ``requested_kw``, ``heat_removed_kw`` [kW thermal], ``air_c`` [degC] (H,);
            counts ``clipped`` (homes whose action was changed), ``too_warm`` and
            ``too_cold`` (air outside setpoint +- comfort band).

        The returned state and arrays are the kernel's buffers (two states alternate):
        valid until the step after next; copy what is kept.
        """
        space = self.space
        out = self._states[1] if state is self._states[0] else self._states[0]
        removed, applied, air = self._removed, self._applied, self._air
        work, flag = self._work, self._flag
        factor = exogenous_t.cop
        if factor is None:
            factor = cop(self.model, np.asarray(exogenous_t.outdoor_c, dtype=float), self._factor)
        np.multiply(action, factor, out=work)
        np.maximum(work, self._zero, out=removed)
        np.minimum(removed, self.model.cooling_kw, out=removed)
        np.not_equal(removed, work, out=flag)
        clipped = int(np.count_nonzero(flag))
        np.divide(removed, factor, out=applied)
        # T_air = c x + d_u u + v;  x' = a x + b_u u + (mass + m v).
        np.multiply(space.c, state, out=air)
        air += exogenous_t.air
        np.multiply(space.d_u, removed, out=work)
        air += work
        np.multiply(space.a, state, out=out)
        np.multiply(space.b_u, removed, out=work)
        out += work
        out += exogenous_t.mass
        np.multiply(space.mass_from_air, exogenous_t.air, out=work)
        out += work
        too_warm = too_cold = 0
        if self.band is not None and exogenous_t.setpoint_c is not None:
            np.subtract(air, exogenous_t.setpoint_c, out=work)
            np.greater(work, self.band, out=flag)
            too_warm = int(np.count_nonzero(flag))
            np.less(work, -self.band, out=flag)
            too_cold = int(np.count_nonzero(flag))
        info = {
            "requested_kw": action,
            "heat_removed_kw": removed,
            "air_c": air,
            "clipped": clipped,
            "too_warm": too_warm,
            "too_cold": too_cold,
        }
        return out, applied, info
