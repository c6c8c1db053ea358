"""Synthetic CAISO system drivers on any grid: demand, utility-scale solar and wind, net load,
and the gas price, driven by the study's own weather.

One weather realisation drives everything: the temperature of the study weather moves
demand (a heat wave raises home AC, system demand and, downstream, prices together) and its
daily irradiance moves the state-wide solar fleet. The fitted tables are
:class:`SystemCalibration` (``calibrated.json``, written by ``benchmarks/fit_system.py``
through :mod:`vppsim.system.fit`); the knobs are
:class:`~vppsim.system.parameters.SystemParameters`.

Demand [MW]
    ``level(year) * scale * (profile[month, day type, hour] + cooling[hour] * CDD +
    heating[hour] * HDD) + residual``.

    * ``CDD = max(T_eff - cooling_base, 0)``, ``HDD = max(heating_base - T_eff, 0)``, with
      ``T_eff`` the study's air temperature smoothed exponentially with a
      :data:`TEMPERATURE_TIME_CONSTANT_H` time constant (buildings and the load-weighted
      inland temperature lag the LA air). LA temperature stands for CAISO's load-weighted
      temperature.
    * The response per degree is fitted *across months* (:func:`vppsim.system.fit.fit_demand`):
      there is no real 2022 temperature series in the references, so for each clock hour the
      real 2022-2023 monthly mean demand is regressed on the *expected* degrees of the same
      month and hour under the weather model's LA climatology. ``profile`` is the real mean
      less the expected temperature part: with climatological weather the model gives the
      real monthly means; a hotter day adds ``cooling[hour]`` MW per extra degree.
    * Day types: workdays and off-days (weekends and NERC holidays, :mod:`vppsim.calendar`).
    * The response to the *departure* from the climatological degrees is scaled by a
      seasonal gain (a mean and two annual harmonics, interpolated between mid-months),
      fitted so that each month's p99 of synthetic hourly demand is the real one
      (:func:`vppsim.system.fit.tail_gain`): one response per hour, fitted across months,
      would turn an LA Santa Ana warm spell in spring or autumn (not state-wide heat, air
      conditioning not in full use) into summer-size peaks. Winter ~0, May ~0.5, August-
      September ~0.9 (the 2022 heat wave keeps a 40 degC afternoon near 50 GW), November ~0.1.
    * ``level``: the year's sourced annual mean relative to 2022 (``calibrated.json``).
    * The residual (what the weather does not explain: the real day-to-day and hour-to-hour
      spread less the spread the synthetic temperature already gives) is a daily AR(1),
      interpolated between day midpoints, plus an hourly AR(1).

Solar [MW]
    ``capacity(t) * profile[month, standard hour] * sky(day)``: the per-MW mean output of the
    hub actuals (2022-2023) by month and hour of local standard time (the sun keeps no DST),
    interpolated within the hour and exactly 0 in hours the fleet produced nothing.
    ``sky = 1 + coupling[month] * (K - 1)``, ``K`` the study's daily mean GHI over the LA
    climatology of that day (so the study's cloudy days dim the fleet, partially: the fleet
    spans the state and most of it sits inland, under clearer skies than coastal LA), kept
    between the fleet's own darkest and clearest days of the month (p1 and p99 of the real
    daily output over its month's mean).

Curtailment
    Solar gives way where it would push net load below a floor (the lowest real hourly net
    load of 2022-2023, as CAISO curtails solar in spring middays: the hub actuals the model is
    fitted on are already curtailed).

Wind [MW]
    ``capacity(t) * profile[month, standard hour] * Q_month(Phi(z))``: ``z`` a unit AR(1)
    (hourly autocorrelation fitted, rescaled to the grid step), ``Q_month`` the month's
    quantiles of output over its mean profile (hub actuals 2022-2023). Independent of the
    study weather: LA's wind says nothing of Tehachapi's or Altamont's.

Gas [$/MMBtu]
    The month's value of the sourced monthly table (EIA N3045CA3, what California power
    plants paid), constant within a local month; months after the table repeat the table's
    last 12 months, months before it take its first year.

Reproducibility: the random arrays (daily and hourly demand noise, wind noise) are drawn
from ``rng`` in that order with sizes that depend only on the grid.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
import pandas as pd
from scipy.signal import lfilter
from scipy.special import ndtr

from vppsim.calendar import LocalCalendar, local_calendar
from vppsim.calibration_file import read_calibration, read_only_arrays
from vppsim.grid import standard_utc_offset_hours
from vppsim.stats import quantile_function
from vppsim.system.parameters import SystemParameters
from vppsim.timeseries import ar1

COLUMNS = ("demand_mw", "solar_mw", "wind_mw", "net_load_mw", "gas_price_usd_per_mmbtu")
TEMPERATURE_TIME_CONSTANT_H = 8.0
"""Time constant of the exponential smoothing of the air temperature [h]: buildings store
heat and CAISO's load-weighted (inland) temperature lags coastal LA's, so demand follows the
temperature of the last several hours, and a hot day carries into the night. Not fittable
here (no real hourly temperature of 2022): with 8 h the across-month fit gives responses of
1.6-2.5 GW/degC at every hour (with 4 h and free bases, night responses run away because
night degrees above the base are rare)."""
WIND_LEVELS = np.linspace(0.0, 1.0, 41)
"""Probability levels of the stored wind-ratio quantiles."""
DAYS_IN_MONTH = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])
MID_MONTH_DAY = np.cumsum(DAYS_IN_MONTH) - DAYS_IN_MONTH / 2.0
"""Day of the year at the middle of each month, where monthly tables are interpolated."""


@dataclass(frozen=True, eq=False)
class SystemCalibration:
    """The fitted and sourced tables of the system model (``calibrated.json``).

    Month indices are 0..11, day types 0 workday / 1 off-day, hours 0..23 (clock hours for
    demand, local standard hours for solar and wind).
    """

    # Demand [MW]
    demand_level_years: np.ndarray  # (Y,) int
    demand_levels: np.ndarray  # (Y,) annual mean demand over 2022's [1]
    demand_profile_mw: np.ndarray  # (12, 2, 24) temperature-neutral profile at 2022's level
    cooling_mw_per_c: np.ndarray  # (24,) response to cooling degrees [MW/degC]
    heating_mw_per_c: np.ndarray  # (24,) response to heating degrees [MW/degC]
    cooling_base_c: float
    heating_base_c: float
    expected_cdd_c: np.ndarray  # (12, 24) climatological cooling degrees by clock hour
    expected_hdd_c: np.ndarray  # (12, 24) climatological heating degrees by clock hour
    anomaly_gain: np.ndarray  # (12,) seasonal gain on departures from them [1]
    daily_std_mw: np.ndarray  # (12,) residual day-level spread not explained by weather
    daily_autocorrelation: float  # day-to-day
    hourly_std_mw: np.ndarray  # (12,) residual within-day spread not explained by weather
    hourly_autocorrelation: float  # hour-to-hour
    # Solar
    solar_capacity_years: np.ndarray  # (Y,) int
    solar_capacity_mw: np.ndarray  # (Y,) sourced installed capacity [MW]
    solar_profile_per_mw: np.ndarray  # (12, 24) mean output per MW installed [MW/MW]
    solar_sky_coupling: np.ndarray  # (12,) [1]
    solar_sky_min: np.ndarray  # (12,) the fleet's darkest day (p1) over the month's mean [1]
    solar_sky_max: np.ndarray  # (12,) its clearest day (p99) over the month's mean [1]
    net_load_floor_mw: float  # lowest real hourly net load 2022-2023 (curtailment)
    ghi_climatology_w_m2: np.ndarray  # (12,) LA mean daily GHI by month [W/m2]
    # Wind
    wind_capacity_years: np.ndarray
    wind_capacity_mw: np.ndarray
    wind_profile_per_mw: np.ndarray  # (12, 24)
    wind_ratio_quantiles: np.ndarray  # (12, len(WIND_LEVELS)) output over the mean profile
    wind_autocorrelation: float  # hour-to-hour, of the normal score
    # Gas
    gas_first_month: pd.Period
    gas_usd_per_mmbtu: np.ndarray  # (M,) monthly from gas_first_month

    @classmethod
    def from_calibration(cls, data: dict) -> SystemCalibration:
        """Build from the dict layout of ``calibrated.json``."""
        d, s, w, g = data["demand"], data["solar"], data["wind"], data["gas"]

        def arr(x, dtype=float):
            return np.asarray(x, dtype=dtype)

        return cls(
            demand_level_years=arr(d["level_years"], np.int64),
            demand_levels=arr(d["levels"]),
            demand_profile_mw=arr(d["profile_mw"]),
            cooling_mw_per_c=arr(d["cooling_mw_per_c"]),
            heating_mw_per_c=arr(d["heating_mw_per_c"]),
            cooling_base_c=float(d["cooling_base_c"]),
            heating_base_c=float(d["heating_base_c"]),
            expected_cdd_c=arr(d["expected_cdd_c"]),
            expected_hdd_c=arr(d["expected_hdd_c"]),
            anomaly_gain=arr(d["anomaly_gain"]),
            daily_std_mw=arr(d["daily_std_mw"]),
            daily_autocorrelation=float(d["daily_autocorrelation"]),
            hourly_std_mw=arr(d["hourly_std_mw"]),
            hourly_autocorrelation=float(d["hourly_autocorrelation"]),
            solar_capacity_years=arr(s["capacity_years"], np.int64),
            solar_capacity_mw=arr(s["capacity_mw"]),
            solar_profile_per_mw=arr(s["profile_per_mw"]),
            solar_sky_coupling=arr(s["sky_coupling"]),
            solar_sky_min=arr(s["sky_min"]),
            solar_sky_max=arr(s["sky_max"]),
            net_load_floor_mw=float(s["net_load_floor_mw"]),
            ghi_climatology_w_m2=arr(s["ghi_climatology_w_m2"]),
            wind_capacity_years=arr(w["capacity_years"], np.int64),
            wind_capacity_mw=arr(w["capacity_mw"]),
            wind_profile_per_mw=arr(w["profile_per_mw"]),
            wind_ratio_quantiles=arr(w["ratio_quantiles"]),
            wind_autocorrelation=float(w["autocorrelation"]),
            gas_first_month=pd.Period(g["first_month"], freq="M"),
            gas_usd_per_mmbtu=arr(g["usd_per_mmbtu"]),
        )

    @classmethod
    def default(cls) -> SystemCalibration:
        """The shipped calibration (read once, arrays read-only)."""
        return _default_calibration()


@cache
def _default_calibration() -> SystemCalibration:
    return read_only_arrays(SystemCalibration.from_calibration(read_calibration("vppsim.system")))


# --- Pieces --------------------------------------------------------------------------------


def smoothed_temperature(temperature: np.ndarray, step_h: float) -> np.ndarray:
    """Exponential smoothing of the air temperature with :data:`TEMPERATURE_TIME_CONSTANT_H`
    [degC]; starts at the first value."""
    t = np.asarray(temperature, dtype=float)
    if t.size == 0:
        return t
    alpha = 1.0 - np.exp(-step_h / TEMPERATURE_TIME_CONSTANT_H)
    out, _ = lfilter([alpha], [1.0, alpha - 1.0], t, zi=[(1.0 - alpha) * t[0]])
    return out


def _hour_interp(table: np.ndarray, rows: tuple, hour_position: np.ndarray) -> np.ndarray:
    """``table[*rows, h]`` linearly interpolated at fractional hour positions (hourly means
    sit at the middle of their hour; circular over the day)."""
    x = np.asarray(hour_position, dtype=float) - 0.5
    lower = np.floor(x)
    weight = x - lower
    h0 = lower.astype(np.int64) % 24
    h1 = (h0 + 1) % 24
    return table[(*rows, h0)] * (1.0 - weight) + table[(*rows, h1)] * weight


def decimal_year(calendar: LocalCalendar) -> np.ndarray:
    """Local year plus the fraction elapsed at each interval's day [yr]."""
    return calendar.year + (calendar.day_of_year[calendar.day] - 0.5) / 365.25


def sourced_capacity(years: np.ndarray, capacity_mw: np.ndarray, when: np.ndarray) -> np.ndarray:
    """Capacity [MW] at decimal years ``when``: linear between mid-years of the table, held
    beyond its ends."""
    return np.interp(when, np.asarray(years, dtype=float) + 0.5, capacity_mw)


def demand_level(
    years: np.ndarray, calibration: SystemCalibration, parameters: SystemParameters
) -> np.ndarray:
    """The demand level of each local year relative to 2022 [1], scaled by the knobs."""
    table_years = calibration.demand_level_years
    levels = calibration.demand_levels
    years = np.asarray(years)
    clipped = np.clip(years, table_years[0], table_years[-1])
    level = levels[np.searchsorted(table_years, clipped)]
    beyond = np.maximum(years - table_years[-1], 0)
    return level * (1.0 + parameters.demand_growth_per_year) ** beyond * parameters.demand_scale


def gas_prices(years: np.ndarray, months: np.ndarray, calibration: SystemCalibration) -> np.ndarray:
    """The sourced gas price of each (year, month 0..11) [$/MMBtu].

    Months after the table repeat the same calendar month of its last 12; months before it
    take the same calendar month of its first year.
    """
    ordinals = (np.asarray(years, dtype=np.int64) - 1970) * 12 + np.asarray(months)
    first = calibration.gas_first_month.ordinal
    table = calibration.gas_usd_per_mmbtu
    position = ordinals - first
    n = len(table)
    later = position >= n
    position = np.where(later, n - 12 + (position - (n - 12)) % 12, position)
    position = np.where(position < 0, position % 12, position)
    return table[position]


def simulate_demand(
    calendar: LocalCalendar,
    temperature_c: np.ndarray,
    step_h: float,
    rng: np.random.Generator,
    parameters: SystemParameters,
    calibration: SystemCalibration,
) -> np.ndarray:
    """CAISO demand on the calendar's intervals [MW] (see the module docstring)."""
    c = calibration
    t_eff = smoothed_temperature(temperature_c, step_h)
    cdd = np.maximum(t_eff - c.cooling_base_c, 0.0)
    hdd = np.maximum(c.heating_base_c - t_eff, 0.0)
    position = calendar.clock
    daytype = calendar.offday.astype(np.int64)
    base = _hour_interp(c.demand_profile_mw, (calendar.month, daytype), position)
    month = (calendar.month,)
    expected_cdd = _hour_interp(c.expected_cdd_c, month, position)
    expected_hdd = _hour_interp(c.expected_hdd_c, month, position)
    gain = np.interp(calendar.day_of_year - 0.5, MID_MONTH_DAY, c.anomaly_gain, period=365)
    gain = gain[calendar.day]
    cooling = _hour_interp(c.cooling_mw_per_c, (), position)
    heating = _hour_interp(c.heating_mw_per_c, (), position)
    weather = cooling * (expected_cdd + gain * (cdd - expected_cdd)) + heating * (
        expected_hdd + gain * (hdd - expected_hdd)
    )
    # Draws first, in a fixed order, whatever the parameters.
    daily_eps = rng.standard_normal(calendar.n_days)
    hourly_eps = rng.standard_normal(len(temperature_c))
    daily = ar1(daily_eps, c.daily_autocorrelation) * c.daily_std_mw[calendar.day_month]
    # The day's value sits at its midpoint; between midpoints it is interpolated.
    day_time = np.arange(calendar.n_days) + 0.5
    interval_day_time = calendar.day + calendar.clock / 24.0
    daily_part = np.interp(interval_day_time, day_time, daily) if calendar.n_days else daily
    hourly = ar1(hourly_eps, c.hourly_autocorrelation**step_h) * c.hourly_std_mw[calendar.month]
    noise = parameters.demand_noise_scale * (daily_part + hourly)
    level = demand_level(calendar.year, c, parameters)
    return np.maximum(level * (base + weather + noise), 0.0)


def standard_hours(grid: pd.DatetimeIndex, timezone: str, step_h: float) -> np.ndarray:
    """Local standard time of each interval's midpoint [h], 0..24."""
    offset = standard_utc_offset_hours(timezone, grid[0].date()) if len(grid) else 0.0
    utc_hours = (grid.asi8 // 1_000_000_000 % 86400) / 3600.0
    return (utc_hours + step_h / 2.0 + offset) % 24.0


def sky_factor(
    calendar: LocalCalendar,
    ghi_w_m2: np.ndarray,
    parameters: SystemParameters,
    calibration: SystemCalibration,
) -> np.ndarray:
    """The daily sky factor of the solar fleet [1], per day of the calendar."""
    c = calibration
    total = np.bincount(calendar.day, weights=ghi_w_m2, minlength=calendar.n_days)
    count = np.bincount(calendar.day, minlength=calendar.n_days)
    day_mean = total / np.maximum(count, 1)
    climatology = np.interp(
        calendar.day_of_year - 0.5, MID_MONTH_DAY, c.ghi_climatology_w_m2, period=365
    )
    k = day_mean / climatology
    coupling = (
        c.solar_sky_coupling[calendar.day_month]
        if parameters.solar_sky_coupling is None
        else parameters.solar_sky_coupling
    )
    month = calendar.day_month
    return np.clip(1.0 + coupling * (k - 1.0), c.solar_sky_min[month], c.solar_sky_max[month])


def simulate_solar(
    grid: pd.DatetimeIndex,
    timezone: str,
    calendar: LocalCalendar,
    ghi_w_m2: np.ndarray,
    step_h: float,
    parameters: SystemParameters,
    calibration: SystemCalibration,
) -> np.ndarray:
    """Utility-scale solar [MW] (see the module docstring)."""
    c = calibration
    hours = standard_hours(grid, timezone, step_h)
    month = calendar.month
    per_mw = _hour_interp(c.solar_profile_per_mw, (month,), hours)
    # Exactly 0 in the hours the fleet never produced (night), so no output leaks into them.
    per_mw = np.where(c.solar_profile_per_mw[month, hours.astype(np.int64) % 24] > 0, per_mw, 0)
    if parameters.solar_capacity_mw is None:
        when = decimal_year(calendar)
        capacity = sourced_capacity(c.solar_capacity_years, c.solar_capacity_mw, when)
    else:
        capacity = parameters.solar_capacity_mw
    sky = sky_factor(calendar, ghi_w_m2, parameters, c)[calendar.day]
    return capacity * per_mw * sky


def simulate_wind(
    grid: pd.DatetimeIndex,
    timezone: str,
    calendar: LocalCalendar,
    step_h: float,
    rng: np.random.Generator,
    parameters: SystemParameters,
    calibration: SystemCalibration,
) -> np.ndarray:
    """Wind [MW] (see the module docstring)."""
    c = calibration
    eps = rng.standard_normal(len(grid))
    phi_hour = (
        c.wind_autocorrelation
        if parameters.wind_autocorrelation is None
        else parameters.wind_autocorrelation
    )
    z = ar1(eps, phi_hour**step_h)
    ratio = quantile_function(ndtr(z), c.wind_ratio_quantiles[calendar.month], WIND_LEVELS)
    hours = standard_hours(grid, timezone, step_h)
    per_mw = _hour_interp(c.wind_profile_per_mw, (calendar.month,), hours)
    if parameters.wind_capacity_mw is None:
        when = decimal_year(calendar)
        capacity = sourced_capacity(c.wind_capacity_years, c.wind_capacity_mw, when)
    else:
        capacity = parameters.wind_capacity_mw
    return np.maximum(capacity * per_mw * ratio * parameters.wind_scale, 0.0)


# --- The model -----------------------------------------------------------------------------


def simulate_system(
    grid: pd.DatetimeIndex,
    timezone: str,
    weather: pd.DataFrame,
    rng: np.random.Generator,
    parameters: SystemParameters | None = None,
    calibration: SystemCalibration | None = None,
    wind_mw: np.ndarray | None = None,
) -> pd.DataFrame:
    """Simulate the CAISO system drivers on ``grid``.

    Parameters
    ----------
    grid : pandas.DatetimeIndex
        Timezone-aware interval starts (UTC), regular.
    timezone : str
        IANA zone of the market (CAISO: ``America/Los_Angeles``).
    weather : pandas.DataFrame
        The study's weather, indexed by ``grid``: ``temp_air_c`` [degC] and ``ghi_w_m2``
        [W/m2] (interval means).
    rng : numpy.random.Generator
        The only source of randomness.
    parameters : SystemParameters, optional
        The knobs; defaults reproduce the shipped model.
    calibration : SystemCalibration, optional
        The fitted tables; default the shipped ``calibrated.json``.
    wind_mw : numpy.ndarray, optional
        Wind on ``grid`` [MW] to use instead of simulating it: a forecast member of the wind
        resource (:mod:`vppsim.forecast`). Wind is drawn last, so the demand's draws are
        the same either way.

    Returns
    -------
    pandas.DataFrame
        Index ``grid``; float64 columns ``demand_mw``, ``solar_mw``, ``wind_mw``,
        ``net_load_mw`` (demand less solar and wind) [MW] and ``gas_price_usd_per_mmbtu``
        [$/MMBtu].

    Raises
    ------
    ValueError
        The weather lacks a column or does not cover the grid.
    """
    parameters = SystemParameters() if parameters is None else parameters
    c = SystemCalibration.default() if calibration is None else calibration
    grid = pd.DatetimeIndex(grid)
    missing = [name for name in ("temp_air_c", "ghi_w_m2") if name not in weather.columns]
    if missing:
        raise ValueError(f"the weather lacks {', '.join(missing)}")
    frame = weather.reindex(grid)
    if frame[["temp_air_c", "ghi_w_m2"]].isna().any().any():
        raise ValueError("the weather does not cover every interval of the grid")
    calendar = local_calendar(grid, timezone)
    step_h = calendar.interval_minutes / 60.0
    temperature = frame["temp_air_c"].to_numpy(float)
    ghi = frame["ghi_w_m2"].to_numpy(float)
    demand = simulate_demand(calendar, temperature, step_h, rng, parameters, c)
    solar = simulate_solar(grid, timezone, calendar, ghi, step_h, parameters, c)
    if wind_mw is None:
        wind = simulate_wind(grid, timezone, calendar, step_h, rng, parameters, c)
    else:
        wind = np.asarray(wind_mw, dtype=float)
    floor = (
        c.net_load_floor_mw
        if parameters.net_load_floor_mw is None
        else parameters.net_load_floor_mw
    )
    # Curtailment: solar gives way where it would push net load below the floor.
    solar = np.minimum(solar, np.maximum(demand - wind - floor, 0.0))
    if parameters.gas_price_usd_per_mmbtu is None:
        gas = gas_prices(calendar.year, calendar.month, c)
    else:
        gas = np.full(len(grid), parameters.gas_price_usd_per_mmbtu)
    out = pd.DataFrame(
        {
            "demand_mw": demand,
            "solar_mw": solar,
            "wind_mw": wind,
            "net_load_mw": demand - solar - wind,
            "gas_price_usd_per_mmbtu": gas * parameters.gas_price_scale,
        },
        index=grid,
    )
    out.index.name = "timestamp"
    return out
