"""A fast, vectorised, weather-driven residential load generator (bottom-up, per home).

Each interval's mean demand [kW] is the sum of:

Baseload
    Refrigerators (a second one in some homes): the daily energy on the RESNET 301 hourly
    refrigerator fractions and monthly multipliers (the compressor's own cycling averages
    out at 15 min and is not drawn).

Occupancy-driven continuous loads
    Interior and exterior lighting, residual plug loads (MELs, half of them always on and
    part of the baseload) and televisions: each home's
    daily energy of each end use (RECS 2020 / RESNET 301 relations, :mod:`.homes`) spread
    over the day by the RESNET 301 hourly fractions, shifted by the home's chronotype and
    modulated by its presence (working / at-home / night-shift patterns, weekday and
    weekend, in local clock time so DST moves people's day), relative to the presence of
    the default mix (so the default fleet's mean follows RESNET on weekdays). Lighting
    follows the RESNET monthly multipliers and rises on cloudy days (if the weather has a
    ``clearsky_index``). A lognormal day factor and hour factor per home add the
    day-to-day and hour-to-hour variability.

Large appliances and short events
    Washer, electric dryer (after the washer), dishwasher, electric range/oven, electric
    water-heater draws, pool pump (on a timer), EV sessions and short high-power plug-in
    events (microwave, kettle, hair dryer ...): discrete events with their power and
    duration, started at times drawn from the home's hourly activity distribution, and
    rendered exactly onto the grid (the share of each interval they cover), which gives the
    heavy-tailed 15-min spikes of real meters.

Space conditioning
    A thermal model of each home with one state, the temperature of its thermal mass
    (structure, furnishings), and a massless indoor-air node: the air exchanges heat with the
    outdoors (windows, infiltration) and with the mass, which exchanges heat with the
    outdoors (opaque envelope) and absorbs most of the solar gain (aperture x GHI). Internal
    gains (80 % of the home's expected indoor electric load plus 70 W per person at home) go
    to the air. Outdoor temperature is the weather's plus the home's climate offset (larger
    in the afternoon inland). An ideal thermostat holds the air between the heating and
    cooling setpoints (schedules: night offset, setback when away) within the equipment's
    capacity: the heat it removes is the air node's balance at the setpoint, so the mass
    stores the day's solar and outdoor heat and releases it into the evening, and when the
    capacity is short (heat waves, recovery after a setback) the house warms and the unit
    runs flat out. Compressor power is the delivered cooling over a COP that falls with
    outdoor temperature; within each interval the compressor cycles (a square wave of the
    delivered duty with the home's cycle length and phase), so single-home 15-min values
    alternate between off and rated power at part load with the energy unchanged. Heating:
    heat pump, electric resistance, or a gas furnace whose blower draws a small electric
    share. The mass state is integrated exactly over each interval for the air temperature
    at the interval's start (stable at any interval length); the first day is simulated
    twice so the run starts from a settled state. The physics is
    :mod:`vppsim.fleet.thermal`'s (shared with dispatch); :func:`thermal_inputs` gives its
    inputs as this model sets them.

EV charging (off by default)
    Each EV home has a BEV or PHEV and a level-1 or level-2 charger; on each day it plugs in
    with a probability that gives ``ev_home_kwh_per_day`` a day on average (at most one
    session a day), and the session (start minute, charging minutes) is drawn from the
    EVI-Pro LA-Long Beach table for its type, at the type's charger power
    (:mod:`vppsim.fleet.ev`, which dispatch shares); a charge still running when the car's
    next session begins stops then (the car left in between).

Randomness and independence: home ``i``'s attributes come only from
``stream_rng(seed, Stream.HOMES, i)`` (:func:`vppsim.load.homes.draw_homes`) and its series
only from ``stream_rng(seed, Stream.LOAD, i)``: one call per home draws a fixed-size block
of uniforms whose layout depends only on the grid's days, and everything else is
vectorised across the homes with element-wise operations. A home's series is therefore
bit-identical whatever other homes are simulated with it and however the fleet is chunked.

Memory and time are linear in ``len(homes) x len(grid)``; the caller chunks the fleet.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from vppsim.fleet import ev, thermal
from vppsim.load.draws import (
    COOKING_SLOTS,
    DISHWASHER_SLOTS,
    HOT_WATER_SLOTS,
    MISC_SLOTS,
    SLOTS_PER_DAY,
    WASHER_SLOTS,
    LoadCalendar,
    calendar,
    clock_to_grid_minutes,
    draw_uniforms,
    split_draws,
)
from vppsim.load.draws import at_home as draw_at_home
from vppsim.load.parameters import LoadCalibration, LoadParameters
from vppsim.timeseries import ar1

# --- Structural constants -------------------------------------------------------------------
# The knobs a user may change are fields of LoadParameters (vppsim.load.parameters); what is
# left here fixes the model's structure (the layout of each home's draws, the end uses) or
# only its speed.

OCCUPANCY_PATTERNS = ("working", "at_home", "night_shift")
WEEKEND_DAYTIME_HOURS = (10.0, 18.0)
"""Weekend outing hours; their presence (``weekend_daytime_presence``) is fitted on ATUS for
these hours, so they go with the calibration."""
PRESENCE_ELASTICITY = {
    "lighting_interior": 1.0,
    "lighting_exterior": 0.3,
    "plug_loads_other": 0.5,
    "plug_loads_tv": 1.0,
    "cooking_range": 1.0,
    "clothes_washer": 1.0,
    "dishwasher": 1.0,
    "hot_water_fixtures": 1.0,
}
"""How strongly each end use follows presence (1: fully; 0: not at all)."""

OFF_SETPOINT_C = 1000.0
"""A setpoint that switches a thermostat mode off on a day."""

CUMSUM_ROWS = 300
"""Below this many homes numpy's cumsum over time is faster than a loop over intervals."""
BLOCK_HOMES = 384
"""Homes simulated together (bounds the working memory; results do not depend on it)."""

PARTS = ("load_kw", "hvac_kw", "ev_kw")
"""The demand and the parts of it :func:`simulate_load_parts` returns."""

REFERENCE = LoadParameters()
"""The default parameters: the presence modulation is normalised on their occupancy mix, so
the default fleet's mean follows the RESNET schedules on weekdays."""


# --- Occupancy ------------------------------------------------------------------------------


def _in_window(hours: np.ndarray, start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """Whether clock ``hours`` fall in [start, end) (windows may wrap past midnight)."""
    straight = (hours >= start) & (hours < end)
    wrapped = (hours >= start) | (hours < end)
    return np.where(start <= end, straight, wrapped)


def presence(
    pattern: np.ndarray,
    leave_hour: np.ndarray,
    return_hour: np.ndarray,
    hours: np.ndarray,
    weekend_daytime: float,
    parameters: LoadParameters = REFERENCE,
) -> np.ndarray:
    """Presence of each home's household by day type and clock hour.

    Parameters
    ----------
    pattern : int array (H,)
        Index into :data:`OCCUPANCY_PATTERNS`.
    leave_hour, return_hour : arrays (H,)
        Weekday clock hours the household leaves and returns (working, night shift).
    hours : array (S,)
        Clock hours at which to evaluate.
    weekend_daytime : float
        Presence during weekend outing hours.
    parameters : LoadParameters
        Night-shift sleep hours and the presence away and asleep.

    Returns
    -------
    array (H, 2, S)
        1 at home and awake, ``presence_away`` away, ``presence_asleep`` asleep in the
        daytime (night shift); index 0 weekdays, 1 weekends.
    """
    p = parameters
    h = hours[None, :]
    pattern = pattern[:, None]
    away = _in_window(h, leave_hour[:, None], return_hour[:, None]) & (pattern != 1)
    asleep = (pattern == 2) & _in_window(h, *p.night_shift_sleep_hours)
    weekday = np.where(away, p.presence_away, np.where(asleep, p.presence_asleep, 1.0))
    outing = _in_window(hours, *WEEKEND_DAYTIME_HOURS)
    weekend = np.broadcast_to(np.where(outing, weekend_daytime, 1.0), weekday.shape)
    return np.stack([weekday, weekend], axis=1)


def _uniform_cdf(x: np.ndarray, bounds: tuple[float, float]) -> np.ndarray:
    low, high = bounds
    if high <= low:  # a fixed hour: a step
        return (x >= low).astype(float)
    return np.clip((x - low) / (high - low), 0.0, 1.0)


def mean_weekday_presence(hours: np.ndarray, parameters: LoadParameters = REFERENCE) -> np.ndarray:
    """Expected weekday presence of a pattern mix (by default the reference one) at clock
    ``hours``.

    Leave and return hours are uniform on their ranges, so the probability of being away
    at ``h`` is ``P(leave <= h) - P(return <= h)`` (shifted by a day for night shifts).
    """
    p = parameters
    h = np.asarray(hours, dtype=float)
    working_away = _uniform_cdf(h, p.working_leave_hours) - _uniform_cdf(h, p.working_return_hours)
    night_away = np.where(
        h >= 12.0,
        _uniform_cdf(h, p.night_shift_leave_hours),
        1.0 - _uniform_cdf(h, p.night_shift_return_hours),
    )
    asleep = _in_window(h, *p.night_shift_sleep_hours)
    working, at_home, night = p.occupancy_shares
    away = p.presence_away
    night_presence = night_away * away + (1.0 - night_away) * np.where(
        asleep, p.presence_asleep, 1.0
    )
    return working * (1.0 - working_away * (1.0 - away)) + at_home + night * night_presence


def weekday_daytime_presence() -> float:
    """Mean weekday presence of the default mix over the weekend outing hours (for the fit)."""
    first, last = WEEKEND_DAYTIME_HOURS
    hours = np.arange(first, last, 0.25) + 0.125
    return float(mean_weekday_presence(hours).mean())


def _normal(u: np.ndarray) -> np.ndarray:
    """Unit-variance normal-like scores of uniforms (float32, logistic approximation)."""
    u = np.clip(u.astype(np.float32), np.float32(1e-6), np.float32(1.0 - 1e-6))
    z = np.log(u / (np.float32(1.0) - u))
    z *= np.float32(np.sqrt(3.0) / np.pi)
    return z


def _lognormal(z: np.ndarray, sigma: float) -> np.ndarray:
    """Lognormal-like factors of mean about one from unit-variance scores ``z``."""
    return np.exp(sigma * z - np.float32(0.5 * sigma * sigma))


def _hourly_ar1(u: np.ndarray, phi: float) -> np.ndarray:
    """Unit-variance AR(1) scores (lag-1 autocorrelation ``phi``) running through the hours of
    each home's days (H, D, 24), from uniforms (float32)."""
    return ar1(_normal(u.reshape(len(u), -1)), phi, axis=1).reshape(u.shape)


def _between(u: np.ndarray, bounds: tuple[float, float]) -> np.ndarray:
    low, high = bounds
    return low + (high - low) * u.astype(np.float64)


# --- Profiles ----------------------------------------------------------------------------------


def _cycled_on_fraction(
    duty: np.ndarray, period_min: np.ndarray, phase: np.ndarray, step_min: float
) -> np.ndarray:
    """Interval share (T, H) of a square wave that is on for ``duty`` of each period.

    ``duty`` is float32 (T, H) (constant within each interval), ``period_min`` and
    ``phase`` (0..1) are per home (H,). Over the phase, the expectation equals the duty.
    Overwrites and returns ``duty``.
    """
    n_steps = duty.shape[0]
    rate = (step_min / period_min).astype(np.float32)  # periods per interval
    x = np.multiply.outer(np.arange(n_steps + 1, dtype=np.float32), rate)
    x += phase.astype(np.float32)[None, :]
    whole = np.floor(x)
    x -= whole  # position within the period
    crossed = np.subtract(whole[1:], whole[:-1])
    crossed *= duty
    work = whole[1:]
    np.minimum(x[1:], duty, out=work)
    crossed += work
    np.minimum(x[:-1], duty, out=work)
    crossed -= work
    np.divide(crossed, rate[None, :], out=duty)
    return np.clip(duty, 0.0, 1.0, out=duty)


# --- Events ------------------------------------------------------------------------------------


def render_events(
    rows: np.ndarray,
    start: np.ndarray,
    end: np.ndarray,
    power_kw: np.ndarray,
    n_rows: int,
    n_steps: int,
    step_minutes: float,
    out: np.ndarray | None = None,
) -> np.ndarray:
    """Mean power of constant-power events on a regular grid (exact interval overlap).

    Parameters
    ----------
    rows : int array
        Home (column of the result) of each event.
    start, end : arrays
        Event start and end [minutes from the grid start].
    power_kw : array
        Event power [kW].
    out : float32 array (n_steps, n_rows), optional
        Added to in place (and returned) instead of a new array.

    Returns
    -------
    float32 array (n_steps, n_rows) [kW], time-major.
    """
    if out is None:
        out = np.zeros((n_steps, n_rows), dtype=np.float32)
    total = n_steps * step_minutes
    s = np.clip(start, 0.0, total)
    e = np.clip(end, 0.0, total)
    keep = e > s
    rows, s, e, power = rows[keep].astype(np.int64), s[keep], e[keep], power_kw[keep]
    k0 = np.minimum(np.floor(s / step_minutes).astype(np.int64), n_steps - 1)
    k1 = np.minimum(np.floor(e / step_minutes).astype(np.int64), n_steps)
    same = k1 <= k0
    multi = ~same
    first = np.where(same, e - s, (k0 + 1) * step_minutes - s) / step_minutes
    last = (e[multi] - k1[multi] * step_minutes) / step_minutes
    size = (n_steps + 1) * n_rows
    # Whole intervals as +power/-power steps summed over time (first half of the array),
    # partial intervals directly (second half).
    rows_m = rows[multi]
    index = np.concatenate(
        [
            (k0[multi] + 1) * n_rows + rows_m,
            k1[multi] * n_rows + rows_m,
            size + k0 * n_rows + rows,
            size + k1[multi] * n_rows + rows_m,
        ]
    )
    weight = np.concatenate([power[multi], -power[multi], power * first, power[multi] * last])
    # (bincount returns integers when there are no events)
    both = np.bincount(index, weight, minlength=2 * size).astype(np.float64, copy=False)
    both = both.reshape(2, n_steps + 1, n_rows)
    steps = both[0, :n_steps]
    if n_rows < CUMSUM_ROWS:
        np.cumsum(steps, axis=0, out=steps)
    else:  # numpy's accumulate along axis 0 is slow for wide arrays; add row by row
        for k in range(1, n_steps):
            steps[k] += steps[k - 1]
    steps += both[1, :n_steps]
    np.maximum(steps, 0.0, out=steps)
    out += steps
    return out


def _sample_hours(cdf: np.ndarray, row: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Inverse-CDF hour draws for many rows at once.

    ``cdf`` is (R, 24) (cumulative, last column 1), ``row`` (N,) selects each draw's row
    and ``u`` (N,) are uniforms in [0, 1). Returns hours 0..23.
    """
    n_rows = cdf.shape[0]
    shifted = (cdf + np.arange(n_rows)[:, None]).ravel()
    position = np.searchsorted(shifted, row + u.astype(np.float64), side="right")
    return np.clip(position - row * 24, 0, 23)


class _Events:
    """Collects constant-power events, then renders them in one pass."""

    def __init__(self) -> None:
        self.parts: list[tuple[np.ndarray, ...]] = []

    def add(self, rows, start, end, power) -> None:
        rows, start, end, power = np.broadcast_arrays(
            np.asarray(rows, dtype=np.int64),
            np.asarray(start, dtype=np.float64),
            np.asarray(end, dtype=np.float64),
            np.asarray(power, dtype=np.float64),
        )
        self.parts.append((rows.ravel(), start.ravel(), end.ravel(), power.ravel()))

    def render(self, out: np.ndarray, cal: LoadCalendar) -> np.ndarray:
        """Add the events' mean power to ``out`` (T, H) in place."""
        if not self.parts:
            return out
        rows, start, end, power = (np.concatenate(x) for x in zip(*self.parts, strict=True))
        keep = power > 0
        return render_events(
            rows[keep],
            start[keep],
            end[keep],
            power[keep],
            out.shape[1],
            cal.n_steps,
            cal.step_minutes,
            out=out,
        )


def _hour_cdf(activity: np.ndarray) -> np.ndarray:
    """(H, 2, S) activity at 15-min slots -> (H * 2, 24) cumulative hourly distribution."""
    hourly = activity.reshape(*activity.shape[:2], 24, -1).sum(axis=-1)
    total = hourly.sum(axis=-1, keepdims=True)
    cdf = np.cumsum(hourly / np.where(total > 0, total, 1.0), axis=-1)
    cdf[..., -1] = 1.0
    return cdf.reshape(-1, 24)


def _weekly_rates(daily_rate: np.ndarray, activity: np.ndarray) -> np.ndarray:
    """Events a day by day type (H, 2): a home's weekly count is kept, spread over the week
    by how active it is on weekdays and weekends."""
    weight = activity.sum(axis=-1)  # (H, 2)
    weekly_mean = (5.0 * weight[:, 0] + 2.0 * weight[:, 1]) / 7.0
    return daily_rate[:, None] * weight / np.where(weekly_mean > 0, weekly_mean, 1.0)[:, None]


def _slot_events(
    events: _Events,
    cal: LoadCalendar,
    u: np.ndarray,
    rate: np.ndarray,
    cdf: np.ndarray,
    power_kw: float | tuple[float, float],
    minutes: tuple[float, float],
    at_home: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Schedule slot events.

    ``u`` is (H, D, slots, k) with columns active, hour, minute, duration and (if
    ``power_kw`` is a range) power; ``rate`` (H, 2) the events a day by day type; ``cdf``
    (H * 2, 24); ``power_kw`` a power or a (low, high) range [kW]; ``minutes`` the
    (low, high) range of durations; ``at_home`` (H, D) is False on away days. Returns the
    (H, D, slots) mask of active slots and the rows and ends [grid minutes] of their events.
    """
    n_homes, _, slots = u.shape[:3]
    daytype = cal.day_weekend.astype(np.int64)
    probability = rate[np.arange(n_homes)[:, None], daytype[None, :]] / slots  # (H, D)
    probability = np.where(at_home, probability, 0.0).astype(np.float32)
    active = u[..., 0] < probability[:, :, None]
    rows, day, slot = np.nonzero(active)
    picked = u[rows, day, slot]  # (N, k)
    hour = _sample_hours(cdf, rows * 2 + daytype[day], picked[:, 1])
    clock = (hour + picked[:, 2].astype(np.float64)) * 60.0
    start = clock_to_grid_minutes(cal, day, clock)
    end = start + _between(picked[:, 3], minutes)
    power = power_kw if np.isscalar(power_kw) else _between(picked[:, 4], power_kw)
    events.add(rows, start, end, power)
    return active, rows, end


# --- The simulation ----------------------------------------------------------------------------


def _column(homes: pd.DataFrame, name: str, dtype=np.float64) -> np.ndarray:
    return homes[name].to_numpy(dtype=dtype)


def _codes(homes: pd.DataFrame, name: str, categories: tuple[str, ...]) -> np.ndarray:
    values = homes[name].astype(str).to_numpy()
    codes = np.full(len(values), -1, dtype=np.int64)
    for i, c in enumerate(categories):
        codes[values == c] = i
    if (codes < 0).any():
        raise ValueError(f"{name}: values outside {categories}")
    return codes


class _Profiles:
    """Per-home daily activity profiles (H, 2, 96) of each end use."""

    def __init__(
        self, homes: pd.DataFrame, p: LoadParameters, calibration: LoadCalibration
    ) -> None:
        self.calibration = calibration
        self.hours = (np.arange(SLOTS_PER_DAY) + 0.5) * 24.0 / SLOTS_PER_DAY
        self.present = presence(
            _codes(homes, "occupancy", OCCUPANCY_PATTERNS),
            _column(homes, "leave_hour"),
            _column(homes, "return_hour"),
            self.hours,
            calibration.weekend_daytime_presence,
            p,
        )
        self.mean_present = mean_weekday_presence(self.hours)  # the reference mix
        self.relative_present = self.present / self.mean_present[None, None, :]
        self.shift = _column(homes, "schedule_shift_h")
        # Read hourly fractions at clock ``hours - shift``, linear between hour centres.
        x = np.mod(self.hours[None, :] - self.shift[:, None] - 0.5, 24.0)  # (H, S)
        low = np.floor(x).astype(np.int64)
        self.weight = (x - low)[:, None, :]
        self.low = low % 24
        self.high = (low + 1) % 24

    def __call__(self, end_use: str) -> np.ndarray:
        """RESNET fractions (per hour of the day's energy) at the home's shifted clock,
        modulated by its presence relative to the default mix's weekday presence."""
        daily, _ = self.calibration.schedule(end_use)
        low = np.stack([daily[0][self.low], daily[1][self.low]], axis=1)  # (H, 2, S)
        high = np.stack([daily[0][self.high], daily[1][self.high]], axis=1)
        base = low + self.weight * (high - low)
        e = PRESENCE_ELASTICITY.get(end_use, 0.0)
        if e == 0.0:
            return base
        return base * (1.0 - e + e * self.relative_present)


def _table_index(cal: LoadCalendar) -> tuple[np.ndarray, np.ndarray]:
    """Months present in the grid and each interval's row in (month, day type, slot) tables."""
    months, position = np.unique(cal.month, return_inverse=True)
    return months, (position * 2 + cal.daytype) * SLOTS_PER_DAY + cal.slot


def _by_month(profile: np.ndarray, multipliers: np.ndarray, months: np.ndarray) -> np.ndarray:
    """(H, 2, 96) profile x monthly multipliers -> time-major table (M * 2 * 96, H)."""
    table = multipliers[months][:, None, None, None] * profile[None]  # (M, H, 2, 96)
    return np.ascontiguousarray(table.transpose(0, 2, 3, 1).reshape(-1, profile.shape[0]))


class _Block:
    """What a block of homes' load and thermal inputs share: its draws, profiles and the
    (month, day type, slot) tables of its continuous loads and baseload [kW]."""

    def __init__(
        self,
        homes: pd.DataFrame,
        cal: LoadCalendar,
        seed: int,
        p: LoadParameters,
        tables: LoadCalibration,
    ) -> None:
        self.cal = cal
        self.draws = split_draws(
            draw_uniforms(seed, _column(homes, "home_id", np.int64), cal.n_days), cal.n_days
        )
        self.profiles = profiles = _Profiles(homes, p, tables)
        months, self.table_row = _table_index(cal)
        self.months = months
        self.at_home = draw_at_home(self.draws, p)  # (H, D)
        # Continuous occupancy-driven loads (lighting, plug loads, TV).
        lighting = _column(homes, "lighting_kwh_per_day")[:, None, None] * (
            0.9 * profiles("lighting_interior") + 0.1 * profiles("lighting_exterior")
        )
        plug_kwh = _column(homes, "plug_kwh_per_day")
        plugs = (1.0 - p.idle_share_of_plug_loads) * plug_kwh[:, None, None] * profiles(
            "plug_loads_other"
        ) + _column(homes, "tv_kwh_per_day")[:, None, None] * profiles("plug_loads_tv")
        _, light_months = tables.schedule("lighting_interior")
        self.light_table = _by_month(lighting, light_months, months)
        self.occupant_table = self.light_table + _by_month(plugs, np.ones(12), months)
        # Baseload: refrigerators (daily energy on the RESNET hourly shape and monthly
        # multipliers) and the always-on share of the plug loads; no noise.
        fridge_kwh = _column(homes, "fridge_kwh_per_day") + _column(
            homes, "second_fridge_kwh_per_day"
        )
        fridge = fridge_kwh[:, None, None] * profiles("refrigerator")
        _, fridge_months = tables.schedule("refrigerator")
        self.base_table = _by_month(fridge, fridge_months, months)
        self.base_table += (p.idle_share_of_plug_loads / 24.0 * plug_kwh)[None, :]
        self.homes, self.parameters = homes, p

    def gains(self) -> np.ndarray:
        """Internal gains table [kW]: the expected indoor electric load and the people."""
        p = self.parameters
        return p.internal_gain_fraction * (self.occupant_table + self.base_table) + _by_month(
            _column(self.homes, "household_size")[:, None, None]
            * p.person_gain_kw
            * self.profiles.present,
            np.ones(12),
            self.months,
        )

    def thermostat(self) -> tuple[np.ndarray, np.ndarray]:
        """Day-to-day and hourly thermostat changes and away-day setbacks: the cooling
        setpoint's offset (H, D, 24) and the heating setback (H, D) [K]."""
        p, draws = self.parameters, self.draws
        away_setback = np.where(self.at_home, np.float32(0.0), np.float32(p.away_day_setback_c))
        offset = p.thermostat_day_sigma_c * _normal(draws["thermostat"][:, :, 0]) + away_setback
        offset = offset[:, :, None] + p.thermostat_hour_sigma_c * _hourly_ar1(
            draws["thermostat_hour"], p.hour_noise_autocorrelation
        )
        return offset, away_setback


def simulate_load(
    homes: pd.DataFrame,
    weather: pd.DataFrame,
    grid: pd.DatetimeIndex,
    timezone: str,
    interval_minutes: int,
    seed: int,
    parameters: LoadParameters | None = None,
    calibration: LoadCalibration | None = None,
) -> np.ndarray:
    """Simulate the household demand of ``homes`` on ``grid``.

    Parameters
    ----------
    homes : pandas.DataFrame
        Home attributes, as :func:`vppsim.load.homes.draw_homes` returns them.
    weather : pandas.DataFrame
        Indexed by ``grid`` (UTC interval starts), with at least ``temp_air_c`` [degC] and
        ``ghi_w_m2`` [W/m2]; ``clearsky_index`` [1] is used if present.
    grid : pandas.DatetimeIndex
        Regular UTC interval starts.
    timezone : str
        IANA zone of the homes (people live on local clock time).
    interval_minutes : int
        Interval length [min].
    seed : int
        Study seed; home ``i`` draws only from ``stream_rng(seed, Stream.LOAD, i)``.
    parameters : LoadParameters, optional
        The model's knobs; defaults to ``LoadParameters()``.
    calibration : LoadCalibration, optional
        The fitted tables; defaults to the shipped ones (:meth:`LoadCalibration.default`).

    Returns
    -------
    numpy.ndarray
        float32 array (len(homes), len(grid)): mean household demand per interval [kW].
    """
    return simulate_load_parts(
        homes, weather, grid, timezone, interval_minutes, seed, parameters, calibration
    )["load_kw"]


def simulate_load_parts(
    homes: pd.DataFrame,
    weather: pd.DataFrame,
    grid: pd.DatetimeIndex,
    timezone: str,
    interval_minutes: int,
    seed: int,
    parameters: LoadParameters | None = None,
    calibration: LoadCalibration | None = None,
) -> dict[str, np.ndarray]:
    """:func:`simulate_load` with the parts of the demand that dispatch may move.

    Returns
    -------
    dict of str to numpy.ndarray
        float32 arrays (len(homes), len(grid)) [kW]: ``load_kw`` (the demand, as
        :func:`simulate_load`), ``hvac_kw`` (electric power of the AC and electric heating)
        and ``ev_kw`` (unmanaged EV charging), both included in ``load_kw``.
    """
    p = REFERENCE if parameters is None else parameters
    tables = LoadCalibration.default() if calibration is None else calibration
    grid = pd.DatetimeIndex(grid)
    n_homes, n_steps = len(homes), len(grid)
    if n_homes == 0 or n_steps == 0:
        return {name: np.zeros((n_homes, n_steps), dtype=np.float32) for name in PARTS}
    if len(weather) != n_steps or not pd.DatetimeIndex(weather.index).equals(grid):
        raise ValueError("weather must be indexed by the grid")
    cal = calendar(grid, timezone, interval_minutes)
    if n_homes <= BLOCK_HOMES:
        return _simulate_block(homes, weather, cal, seed, p, tables)
    out = {name: np.empty((n_homes, n_steps), dtype=np.float32) for name in PARTS}
    for first in range(0, n_homes, BLOCK_HOMES):
        block = homes.iloc[first : first + BLOCK_HOMES]
        for name, part in _simulate_block(block, weather, cal, seed, p, tables).items():
            out[name][first : first + len(block)] = part
    return out


def thermal_inputs(
    homes: pd.DataFrame,
    weather: pd.DataFrame,
    grid: pd.DatetimeIndex,
    timezone: str,
    interval_minutes: int,
    seed: int,
    parameters: LoadParameters | None = None,
    calibration: LoadCalibration | None = None,
) -> ThermalInputs | None:
    """The thermal model's inputs for the homes with AC or heating, exactly as
    :func:`simulate_load` drives them (same arguments; None if no home has either).

    Dispatch uses them to move the AC within the comfort band on the same physics: the
    load's ``hvac_kw`` is :func:`vppsim.fleet.thermal.simulate` of these inputs (a
    thermostat), rendered with the compressor's cycling.
    """
    p = REFERENCE if parameters is None else parameters
    tables = LoadCalibration.default() if calibration is None else calibration
    cal = calendar(pd.DatetimeIndex(grid), timezone, interval_minutes)
    parts = []
    for first in range(0, len(homes), BLOCK_HOMES):
        block = homes.iloc[first : first + BLOCK_HOMES]
        inputs = _thermal_inputs(block, weather, _Block(block, cal, seed, p, tables), p)
        if inputs is not None:
            parts.append(replace(inputs, rows=inputs.rows + first))
    if len(parts) <= 1:
        return parts[0] if parts else None
    arrays = [f for f, v in vars(parts[0].model).items() if isinstance(v, np.ndarray)]
    model = replace(
        parts[0].model, **{f: np.concatenate([getattr(x.model, f) for x in parts]) for f in arrays}
    )

    def stacked(items: list[np.ndarray | None], off: float = 0.0) -> np.ndarray | None:
        """Concatenate across blocks; a block without the mode gets its off setpoint."""
        if all(item is None for item in items):
            return None
        return np.concatenate(
            [
                np.full((cal.n_steps, len(x.rows)), off, np.float32) if item is None else item
                for item, x in zip(items, parts, strict=True)
            ],
            axis=1,
        )

    drive = thermal.Drive(
        *(stacked([getattr(x.drive, n) for x in parts]) for n in ("outdoor_c", "air", "mass"))
    )
    return ThermalInputs(
        np.concatenate([x.rows for x in parts]),
        model,
        drive,
        stacked([x.cool_setpoint for x in parts], OFF_SETPOINT_C),
        stacked([x.heat_setpoint for x in parts], -OFF_SETPOINT_C),
        np.concatenate([x.start_c for x in parts]),
        parts[0].spin_up_steps,
        np.concatenate([x.ac_cycle_min for x in parts]),
        np.concatenate([x.ac_phase for x in parts]),
    )


def _simulate_block(
    homes: pd.DataFrame,
    weather: pd.DataFrame,
    cal: LoadCalendar,
    seed: int,
    p: LoadParameters,
    tables: LoadCalibration,
) -> dict[str, np.ndarray]:
    """:func:`simulate_load_parts` for one block of homes (homes are independent)."""
    n_homes = len(homes)
    b = _Block(homes, cal, seed, p, tables)
    draws, profiles, table_row, at_home = b.draws, b.profiles, b.table_row, b.at_home
    load = b.occupant_table.astype(np.float32)[table_row]
    if "clearsky_index" in weather.columns:
        kt = np.clip(weather["clearsky_index"].to_numpy(dtype=np.float64), 0.0, 1.0)
        daylight = weather["ghi_w_m2"].to_numpy(dtype=np.float64) > 0
        extra = np.where(daylight, p.light_cloud_gain * (1.0 - kt), 0.0).astype(np.float32)
        light_table = b.light_table.astype(np.float32)
        load += light_table[table_row] * extra[:, None]
    phi = p.hour_noise_autocorrelation
    noise = _lognormal(_hourly_ar1(draws["hour_factor"], phi), p.hour_factor_sigma) * (
        _lognormal(_normal(draws["day_factor"]), p.day_factor_sigma)
        * np.where(at_home, 1.0, p.presence_away)[:, :, None]
    )
    load *= np.ascontiguousarray(noise.reshape(n_homes, -1).T, dtype=np.float32)[cal.hour_index]

    load += b.base_table.astype(np.float32)[table_row]

    # Discrete appliance, EV and pool-pump events.
    events, drawn = _appliance_events(homes, cal, draws, profiles, p, tables, at_home)
    events.render(load, cal)
    ev_kw = render_events(
        drawn.row,
        drawn.arrival_minute,
        drawn.charge_end_minute,
        drawn.power_kw,
        n_homes,
        cal.n_steps,
        cal.step_minutes,
    )

    hvac_kw = _hvac(homes, weather, b, p)
    load += hvac_kw
    np.maximum(load, 0.0, out=load)
    return {
        "load_kw": np.ascontiguousarray(load.T),
        "hvac_kw": np.ascontiguousarray(hvac_kw.T),
        "ev_kw": np.ascontiguousarray(ev_kw.T),
    }


def _appliance_events(
    homes: pd.DataFrame,
    cal: LoadCalendar,
    draws: dict[str, np.ndarray],
    profiles: _Profiles,
    p: LoadParameters,
    tables: LoadCalibration,
    at_home: np.ndarray,
) -> tuple[_Events, ev.Sessions]:
    """All discrete events, and the EV sessions among them; ``at_home`` (H, D) is False
    on away days."""
    events = _Events()
    n_homes, n_days = len(homes), cal.n_days

    def slots(name: str, n_slots: int) -> np.ndarray:
        return draws[name].reshape(n_homes, n_days, n_slots, -1)

    # Washer, then the dryer (only electric dryers draw power).
    washer_activity = profiles("clothes_washer")
    uw = slots("washer", WASHER_SLOTS)
    washer_rate = _weekly_rates(
        _column(homes, "washer_loads_per_day") * _column(homes, "has_washer", bool),
        washer_activity,
    )
    active, rows, washer_end = _slot_events(
        events,
        cal,
        uw,
        washer_rate,
        _hour_cdf(washer_activity),
        p.washer_kw,
        p.washer_minutes,
        at_home,
    )
    ud = slots("dryer", WASHER_SLOTS)[active]
    dryer_start = washer_end + _between(ud[:, 0], p.dryer_gap_minutes)
    dryer_kw = _column(homes, "dryer_kw") * _column(homes, "has_electric_dryer", bool)
    events.add(
        rows,
        dryer_start,
        dryer_start + _between(ud[:, 1], p.dryer_minutes),
        dryer_kw[rows] * p.dryer_element_duty,
    )
    # Dishwasher.
    dish_activity = profiles("dishwasher")
    udw = slots("dishwasher", DISHWASHER_SLOTS)
    _slot_events(
        events,
        cal,
        udw,
        _weekly_rates(
            _column(homes, "dishwasher_loads_per_day") * _column(homes, "has_dishwasher", bool),
            dish_activity,
        ),
        _hour_cdf(dish_activity),
        p.dishwasher_kw,
        p.dishwasher_minutes,
        at_home,
    )
    # Electric cooking, and short plug-in events at kitchen times in every home.
    cook_activity = profiles("cooking_range")
    cook_cdf = _hour_cdf(cook_activity)
    uc = slots("cooking", COOKING_SLOTS)
    cook_event_kwh = np.mean(p.cooking_kw) * np.mean(p.cooking_minutes) / 60.0
    _slot_events(
        events,
        cal,
        uc,
        _weekly_rates(
            _column(homes, "cooking_kwh_per_day")
            * _column(homes, "has_electric_range", bool)
            / cook_event_kwh,
            cook_activity,
        ),
        cook_cdf,
        p.cooking_kw,
        p.cooking_minutes,
        at_home,
    )
    um = slots("misc", MISC_SLOTS)
    misc_event_kwh = np.mean(p.misc_kw) * np.mean(p.misc_minutes) / 60.0
    _slot_events(
        events,
        cal,
        um,
        _weekly_rates(_column(homes, "misc_kwh_per_day") / misc_event_kwh, cook_activity),
        cook_cdf,
        p.misc_kw,
        p.misc_minutes,
        at_home,
    )
    # Electric water heater: every draw slot fires with a share of the day's energy.
    ewh = np.flatnonzero(_column(homes, "has_electric_water_heater", bool))
    if len(ewh):
        uh = slots("hot_water", HOT_WATER_SLOTS)[ewh]
        _, hw_months = tables.schedule("hot_water_fixtures")
        day_kwh = _column(homes, "hot_water_kwh_per_day")[ewh, None] * hw_months[cal.day_month]
        share = (1.0 + p.hot_water_share_spread * (uh[..., 2] - 0.5)) / HOT_WATER_SLOTS
        heater_kw = _column(homes, "water_heater_kw")[ewh]
        minutes = 60.0 * day_kwh[:, :, None] * share / heater_kw[:, None, None]
        rows, day, slot = (x.ravel() for x in np.indices(uh.shape[:3]))
        daytype = cal.day_weekend.astype(np.int64)[day]
        cdf = _hour_cdf(profiles("hot_water_fixtures")[ewh])
        hour = _sample_hours(cdf, rows * 2 + daytype, uh[rows, day, slot, 0])
        start = clock_to_grid_minutes(
            cal, day, (hour + uh[rows, day, slot, 1].astype(np.float64)) * 60.0
        )
        events.add(ewh[rows], start, start + minutes[rows, day, slot], heater_kw[rows])
    # Pool pump on a timer.
    pool = np.flatnonzero(_column(homes, "has_pool_pump", bool))
    if len(pool):
        _, pool_months = tables.schedule("pool_pump")
        pool_kw = _column(homes, "pool_pump_kw")[pool]
        jitter = 1.0 + p.pool_duration_jitter * (2.0 * draws["pool"][pool, :, 0] - 1.0)
        hours_on = (
            _column(homes, "pool_pump_kwh_per_day")[pool, None]
            * pool_months[cal.day_month][None, :]
            / pool_kw[:, None]
            * jitter
        )
        day = np.broadcast_to(np.arange(n_days), hours_on.shape)
        start = clock_to_grid_minutes(
            cal, day, 60.0 * _column(homes, "pool_pump_start_hour")[pool, None]
        )
        events.add(pool[:, None], start, start + 60.0 * hours_on, pool_kw[:, None])
    # EV sessions (unmanaged: full power from plug-in until charged).
    drawn = ev.draw_sessions(homes, cal, draws["ev"], at_home, p, tables)
    events.add(drawn.row, drawn.arrival_minute, drawn.charge_end_minute, drawn.power_kw)
    return events, drawn


@dataclass(frozen=True)
class ThermalInputs:
    """The thermal model's inputs for the homes with AC or heating, as the load model
    drives it (float32, time-major (T, R)).

    Attributes
    ----------
    rows : numpy.ndarray
        (R,) rows of these homes in the homes table.
    model : vppsim.fleet.thermal.ThermalModel
    drive : vppsim.fleet.thermal.Drive
        Outdoor temperature at each home, and the air and mass drives (gains included).
    cool_setpoint, heat_setpoint : numpy.ndarray or None
        Thermostat setpoints [degC] (a far setpoint switches a mode off on a day); None
        when no day of the grid uses the mode.
    start_c : numpy.ndarray
        (R,) mass temperature the spin-up day starts from [degC].
    spin_up_steps : int
        Intervals simulated once first to settle the start (a day).
    ac_cycle_min, ac_phase : numpy.ndarray
        (R,) compressor cycle length [min] and phase (0..1) of the rendering
        (:func:`hvac_power`).
    """

    rows: np.ndarray
    model: thermal.ThermalModel
    drive: thermal.Drive
    cool_setpoint: np.ndarray | None
    heat_setpoint: np.ndarray | None
    start_c: np.ndarray
    spin_up_steps: int
    ac_cycle_min: np.ndarray
    ac_phase: np.ndarray


def _thermal_inputs(
    homes: pd.DataFrame, weather: pd.DataFrame, b: _Block, p: LoadParameters
) -> ThermalInputs | None:
    """The inputs of the thermal model of a block's homes with AC or heating (None if
    there are none): outdoor temperature at each home, solar and internal gains, and the
    thermostat schedules (setpoints by the home's clock and presence, its day-to-day and
    hourly changes, away-day setbacks)."""
    f32 = np.float32
    cal, profiles, table_row = b.cal, b.profiles, b.table_row
    ac_cap = _column(homes, "ac_capacity_kw")
    heat_cap = _column(homes, "heating_capacity_kw")
    rows = np.flatnonzero((ac_cap > 0) | (heat_cap > 0))
    if not len(rows):
        return None
    hour_offset, away_setback = b.thermostat()
    sub = homes.iloc[rows]
    model = thermal.ThermalModel.from_homes(sub, cal.step_minutes, p)

    # Outdoor temperature at each home: the climate offset peaks in the afternoon.
    shape = thermal.climate_shape(cal.standard_hour, p.climate_offset_peak_hour)
    off_min = _column(sub, "temp_offset_min_c")
    off_max = _column(sub, "temp_offset_max_c")
    t_out = thermal.outdoor_temperature(weather["temp_air_c"].to_numpy(), shape, off_min, off_max)
    solar_kw = thermal.solar_gain(
        weather["ghi_w_m2"].to_numpy(), cal.step_minutes, p.roof_solar_share, p.attic_lag_hours
    )
    drive = thermal.drive(model, t_out, solar_kw, b.gains()[:, rows].astype(f32)[table_row])
    # Setpoint schedules (R, 2, 96) -> (T, R), plus the hourly changes.
    hours = profiles.hours[None, :] - profiles.shift[rows, None]
    night = _in_window(np.mod(hours, 24.0), *p.night_hours)[:, None, :]
    away = profiles.present[rows] <= p.presence_away + 1e-9
    away[:, 1] = False
    cool = (
        _column(sub, "cooling_setpoint_c")[:, None, None]
        + _column(sub, "night_setpoint_offset_c")[:, None, None] * night
        + _column(sub, "cooling_setback_c")[:, None, None] * away
    )
    months = np.unique(cal.month)
    ones = np.ones(12)
    # Thermostat mode by day: heating on days whose mean outdoor temperature at the home is
    # below heat_mode_mean_c, cooling on the others (a far setpoint switches a mode off).
    day_count = np.bincount(cal.day, minlength=cal.n_days)
    site_mean = np.bincount(cal.day, weather["temp_air_c"].to_numpy(np.float64), cal.n_days)
    site_mean = site_mean / np.maximum(day_count, 1)
    home_mean = off_min + shape.mean() * (off_max - off_min)
    heat_mode = (site_mean[:, None] + home_mean[None, :]) < p.heat_mode_mean_c  # (D, R)
    present_days = day_count > 0
    use_heat = bool(heat_mode[present_days].any())
    use_cool = bool((~heat_mode[present_days]).any())
    heat_mode_t = heat_mode[cal.day] if (use_heat and use_cool) else None
    cool_t = heat_t = None
    if use_cool:
        offset = np.ascontiguousarray(hour_offset[rows].reshape(len(rows), -1).T, dtype=f32)
        cool_t = _by_month(cool, ones, months).astype(f32)[table_row]
        cool_t += offset[cal.hour_index]
        if heat_mode_t is not None:
            cool_t[heat_mode_t] = OFF_SETPOINT_C
    if use_heat:
        heat = _column(sub, "heating_setpoint_c")[:, None, None] - p.heating_night_setback_c * night
        heat_t = _by_month(np.broadcast_to(heat, cool.shape), ones, months).astype(f32)[table_row]
        heat_t -= np.ascontiguousarray(away_setback[rows].T, dtype=f32)[cal.day]
        if heat_mode_t is not None:
            heat_t[~heat_mode_t] = -OFF_SETPOINT_C
    # Spin-up: the first day from the mass at the setpoint of the day's mode.
    start = np.where(
        heat_mode[cal.day[0]],
        _column(sub, "heating_setpoint_c"),
        _column(sub, "cooling_setpoint_c"),
    )
    return ThermalInputs(
        rows,
        model,
        drive,
        cool_t,
        heat_t,
        start,
        round(1440.0 / cal.step_minutes),
        _column(sub, "ac_cycle_min"),
        b.draws["ac_phase"][rows, 0],
    )


def _hvac(homes: pd.DataFrame, weather: pd.DataFrame, b: _Block, p: LoadParameters) -> np.ndarray:
    """The electric power of cooling and heating (T, H) [kW], float32.

    The thermal physics is :mod:`vppsim.fleet.thermal`'s, on :func:`_thermal_inputs`;
    :func:`hvac_power` renders the compressor's cycling."""
    out = np.zeros((b.cal.n_steps, len(homes)), dtype=np.float32)
    inputs = _thermal_inputs(homes, weather, b, p)
    if inputs is None:
        return out
    run = thermostat_run(inputs)
    on = hvac_power(inputs, run.heat_removed_kw, overwrite=True)
    if len(inputs.rows) == out.shape[1]:
        return on
    out[:, inputs.rows] = on
    return out


def thermostat_run(inputs: ThermalInputs) -> thermal.ThermalRun:
    """The ideal thermostat of :func:`vppsim.fleet.thermal.simulate` on ``inputs``, as the
    load model runs it (spin-up day first)."""
    return thermal.simulate(
        inputs.model,
        inputs.drive,
        cool_setpoint=inputs.cool_setpoint,
        heat_setpoint=inputs.heat_setpoint,
        mass0=inputs.start_c,
        spin_up_steps=inputs.spin_up_steps,
    )


def hvac_power(
    inputs: ThermalInputs, heat_removed_kw: np.ndarray, overwrite: bool = False
) -> np.ndarray:
    """The electric power (T, R) [kW], float32, of the heat the thermostat removes
    (cooling > 0) or delivers (heating < 0) [kW thermal], as the load's ``hvac_kw``.

    Compressor: duty = delivered / capacity, cycling within intervals (a square wave of the
    home's cycle length and phase), at rated power capacity / COP (the COP falls with
    outdoor temperature); heating at ``heating_kw_per_kw``. ``overwrite`` lets the
    function reuse ``heat_removed_kw`` and the drive's outdoor temperature as buffers.
    """
    f32 = np.float32
    model = inputs.model
    delivered = heat_removed_kw if overwrite else np.array(heat_removed_kw, dtype=f32)
    t_out = inputs.drive.outdoor_c if overwrite else inputs.drive.outdoor_c.copy()
    ac_cap, heat_cap = model.cooling_kw, model.heating_kw
    heating = np.clip(-delivered, 0.0, heat_cap.astype(f32)[None, :])
    heating *= model.heating_kw_per_kw.astype(f32)[None, :]
    has_ac = ac_cap > 0
    capacity = np.where(has_ac, ac_cap, 1.0).astype(f32)
    duty = np.clip(delivered, 0.0, capacity[None, :], out=delivered)
    duty /= capacity[None, :]
    on = _cycled_on_fraction(duty, inputs.ac_cycle_min, inputs.ac_phase, model.step_minutes)
    on /= thermal.cop(model, t_out, out=t_out)
    on *= (capacity * has_ac).astype(f32)[None, :]
    on += heating
    return on
