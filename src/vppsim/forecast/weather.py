"""Day-ahead weather forecast ensembles exchangeable with the realised weather (pure).

This is the simulated NWP: it reads the study's realised weather, as real forecast skill
correlates with reality, and returns a central forecast and ``M`` members.

Construction (the design contract of issue 13). Each variable is mapped to a standardised
anomaly ``u`` (unit spread): temperature by the study's own mean and sd per local month and
clock hour; the clear-sky index (where the sun is up), the wind resource and the system
demand's residual by normal scores through the study's own empirical CDF per local month and
clock hour. With ``sigma`` the error sd at the interval's lead from the day-ahead issue time
and ``a = 1 - sigma^2``::

    central  c   = a u + sqrt(a) sigma xi
    member   x_m = c + sigma z_m

``xi`` and ``z_m`` are unit AR(1) processes along each target local day (a day is one run, so
they restart every day). If ``u`` is standard normal, ``(u, c)`` is bivariate normal with
``var c = a`` and ``cov(u, c) = a``, so ``u | c ~ N(c, sigma^2)``: the truth is one more draw
of the members' law, members and truth are exchangeable and the members' bands are calibrated
by construction. The central forecast's error ``u - c`` has sd ``sigma`` and correlation
``sqrt(1 - sigma^2)`` with the truth. Back in physical units members are mapped by the
inverse transforms (the empirical quantile function is interpolated and bounded to the
observed range, so a member never leaves what the study's weather reached at that hour).

Random numbers: ``stream_rng(seed, Stream.FORECAST, draw, member, day_ordinal)`` with
``draw`` a :class:`Draw` and ``day_ordinal`` the target local day's
:meth:`datetime.date.toordinal`, so a day's draws never depend on the study's length. The
climatology the anomalies are taken against (mean, sd and empirical CDF by local month and
hour) is the study's own, over its whole period: a day's members in physical units do depend
on the rest of the study, and a study of a few days has few values per class (a week or
more keeps the bands calibrated; a fixed climatology is the way to remove this).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

import numpy as np
import pandas as pd
from scipy.special import ndtr, ndtri
from scipy.stats import rankdata

from vppsim.calendar import local_calendar
from vppsim.forecast.parameters import ForecastError, ForecastParameters
from vppsim.forecast.schedule import day_ahead_issue_times, lead_hours, local_day_ordinals
from vppsim.seeds import Stream, stream_rng
from vppsim.timeseries import ar1
from vppsim.weather.synthetic import COLUMNS, clearsky_at, irradiance_from_index

HOURS_PER_DAY = 24


class Variable(IntEnum):
    """The forecast weather variables. Never renumber: forecasts would change."""

    TEMPERATURE = 1
    CLEARSKY_INDEX = 2
    WIND = 3
    DEMAND = 4  # the system demand's departure from its weather-and-calendar expectation


class Draw(IntEnum):
    """First spawn key after :attr:`Stream.FORECAST`: which process a generator draws.

    Never renumber (forecasts would change); other forecast draws (the member runs of the
    system, market and load models) take new numbers after the last.
    """

    TEMPERATURE_CENTRAL = 1
    TEMPERATURE_MEMBER = 2
    CLEARSKY_INDEX_CENTRAL = 3
    CLEARSKY_INDEX_MEMBER = 4
    WIND_CENTRAL = 5
    WIND_MEMBER = 6
    SYSTEM_MEMBER = 7  # the system model's own draws in a member (vppsim.forecast.members)
    MARKET_MEMBER = 8  # the market model's
    LOAD_MEMBER = 9  # the load model's (a member seed, keyed per home by the load model)
    DEMAND_CENTRAL = 10
    DEMAND_MEMBER = 11


_DRAWS = {
    Variable.TEMPERATURE: (Draw.TEMPERATURE_CENTRAL, Draw.TEMPERATURE_MEMBER),
    Variable.CLEARSKY_INDEX: (Draw.CLEARSKY_INDEX_CENTRAL, Draw.CLEARSKY_INDEX_MEMBER),
    Variable.WIND: (Draw.WIND_CENTRAL, Draw.WIND_MEMBER),
    Variable.DEMAND: (Draw.DEMAND_CENTRAL, Draw.DEMAND_MEMBER),
}


def error_sd(lead_h: np.ndarray, error: ForecastError) -> np.ndarray:
    """Forecast error sd at each lead [standardised units], capped at ``error.sigma_max``.

    Parameters
    ----------
    lead_h : numpy.ndarray
        Lead after the issue time [h] (negative leads count as 0).
    error : ForecastError

    Returns
    -------
    numpy.ndarray
    """
    lead = np.maximum(np.asarray(lead_h, dtype=float), 0.0)
    return np.minimum(error.sigma_at_issue + error.sigma_per_h * lead, error.sigma_max)


def _day_bounds(day_ordinal: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Ordinal, first and stop position of each run of equal ``day_ordinal``."""
    day_ordinal = np.asarray(day_ordinal, dtype=np.int64)
    starts = np.flatnonzero(np.diff(day_ordinal, prepend=day_ordinal[:1] - 1))
    stops = np.append(starts[1:], len(day_ordinal))
    return day_ordinal[starts], starts, stops


def anomaly_members(
    u: np.ndarray,
    sigma: np.ndarray,
    rho: float,
    day_ordinal: np.ndarray,
    seed: int,
    variable: Variable,
    members: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Central forecast and members of a standardised anomaly, exchangeable with it.

    Parameters
    ----------
    u : numpy.ndarray
        The realised standardised anomaly [1], one per interval (NaN: missing, NaN out).
    sigma : numpy.ndarray
        Error sd per interval [1], in [0, 1).
    rho : float
        Lag-one autocorrelation of the errors per interval [1].
    day_ordinal : numpy.ndarray
        Target local day of each interval (:func:`~vppsim.forecast.schedule.
        local_day_ordinals`); each day's intervals are contiguous.
    seed : int
        The study seed.
    variable : Variable
        Which variable (selects the :class:`Draw` keys).
    members : int
        Ensemble size ``M``.

    Returns
    -------
    central : numpy.ndarray
        ``(n,)``: ``a u + sqrt(a) sigma xi`` with ``a = 1 - sigma^2``.
    members : numpy.ndarray
        ``(M, n)``: ``central + sigma z_m``.
    """
    u = np.asarray(u, dtype=float)
    sigma = np.broadcast_to(np.asarray(sigma, dtype=float), u.shape)
    central_draw, member_draw = _DRAWS[Variable(variable)]
    xi = np.empty(len(u))
    z = np.empty((members, len(u)))
    for day, first, stop in zip(*_day_bounds(day_ordinal), strict=True):
        n = int(stop - first)
        xi[first:stop] = ar1(
            stream_rng(seed, Stream.FORECAST, central_draw, 0, day).standard_normal(n), rho
        )
        for m in range(members):
            rng = stream_rng(seed, Stream.FORECAST, member_draw, m, day)
            z[m, first:stop] = ar1(rng.standard_normal(n), rho)
    a = 1.0 - sigma**2
    central = a * u + np.sqrt(a) * sigma * xi
    return central, central + sigma * z


def _climatology_classes(grid: pd.DatetimeIndex, timezone: str, mask=None) -> np.ndarray:
    """The climatology class of each interval start: its local month and clock hour
    (``month * 24 + hour``, month 0..11, so a forecaster's climatology follows the season and
    a long study's members are not pulled towards its annual mean); -1 outside ``mask``."""
    calendar = local_calendar(grid, timezone)
    classes = calendar.month * HOURS_PER_DAY + calendar.hour
    return classes if mask is None else np.where(mask, classes, -1)


def normal_scores(values: np.ndarray, classes: np.ndarray) -> np.ndarray:
    """Normal scores of ``values`` through their own empirical CDF within each class.

    Hazen positions ``(rank - 1/2) / n`` (ties: mean rank), then the standard normal quantile.

    Parameters
    ----------
    values : numpy.ndarray
        One per interval.
    classes : numpy.ndarray
        int class of each value, e.g. the local hour; negative: not scored (NaN).

    Returns
    -------
    numpy.ndarray
        NaN for unscored or missing values.
    """
    values = np.asarray(values, dtype=float)
    scores = np.full(len(values), np.nan)
    valid = np.isfinite(values) & (classes >= 0)
    for label in np.unique(classes[valid]):
        where = np.flatnonzero(valid & (classes == label))
        scores[where] = ndtri((rankdata(values[where]) - 0.5) / len(where))
    return scores


def from_normal_scores(scores: np.ndarray, values: np.ndarray, classes: np.ndarray) -> np.ndarray:
    """Invert :func:`normal_scores`: the empirical quantile function of each class.

    Linear between the Hazen positions of the sorted ``values``, held at the smallest and the
    largest beyond them (bounded to the observed range).

    Parameters
    ----------
    scores : numpy.ndarray
        Normal scores, shape ``(..., n)``.
    values, classes : numpy.ndarray
        The realised values and their classes, as given to :func:`normal_scores`.

    Returns
    -------
    numpy.ndarray
        Shape of ``scores``; NaN where the class is negative or has no values.
    """
    values = np.asarray(values, dtype=float)
    scores = np.asarray(scores, dtype=float)
    out = np.full(scores.shape, np.nan)
    valid = np.isfinite(values) & (classes >= 0)
    probability = ndtr(scores)
    for label in np.unique(classes[valid]):
        table = np.sort(values[valid & (classes == label)])
        positions = (np.arange(len(table)) + 0.5) / len(table)
        where = classes == label
        out[..., where] = np.interp(probability[..., where], positions, table)
    return out


def resource_members(
    values: np.ndarray,
    grid: pd.DatetimeIndex,
    timezone: str,
    error: ForecastError,
    parameters: ForecastParameters,
    seed: int,
    variable: Variable,
    mask: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Day-ahead central forecast and members of a series through its normal scores.

    Parameters
    ----------
    values : numpy.ndarray
        The realised series on ``grid`` (e.g. the system wind resource [MW], the clear-sky
        index [1]).
    grid : pandas.DatetimeIndex
        UTC interval starts.
    timezone : str
        IANA zone: local days (runs) and local hours (the classes of the empirical CDF).
    error : ForecastError
        The variable's error.
    parameters : ForecastParameters
        Issue hour and ensemble size.
    seed : int
        The study seed.
    variable : Variable
        Which variable (random keys).
    mask : numpy.ndarray, optional
        bool, where the series is forecast; elsewhere central and members equal ``values``
        (e.g. the clear-sky index at night).

    Returns
    -------
    central : numpy.ndarray
        ``(n,)``, in the units of ``values``.
    members : numpy.ndarray
        ``(M, n)``.
    """
    values = np.asarray(values, dtype=float)
    classes = _climatology_classes(grid, timezone, mask)
    scores = normal_scores(values, classes)
    central, members = _members(scores, grid, timezone, error, parameters, seed, variable)
    modelled = np.isfinite(scores)
    central = np.where(modelled, from_normal_scores(central, values, classes), values)
    members = np.where(modelled, from_normal_scores(members, values, classes), values)
    return central, members


def _members(
    u: np.ndarray,
    grid: pd.DatetimeIndex,
    timezone: str,
    error: ForecastError,
    parameters: ForecastParameters,
    seed: int,
    variable: Variable,
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`anomaly_members` with the day-ahead leads and the grid's step persistence."""
    calendar = local_calendar(grid, timezone)
    issued = day_ahead_issue_times(grid, timezone, parameters.da_issue_hour)
    sigma = error_sd(lead_hours(issued, grid), error)
    rho = error.step_autocorrelation ** (calendar.interval_minutes / 15.0)
    day = local_day_ordinals(grid, timezone)
    return anomaly_members(u, sigma, rho, day, seed, variable, parameters.members)


@dataclass(frozen=True, eq=False)
class WeatherForecast:
    """A day-ahead weather forecast ensemble on the study grid.

    Attributes
    ----------
    issued_at : pandas.DatetimeIndex
        UTC issue time of the day-ahead run of each interval.
    central : pandas.DataFrame
        The central forecast, the weather dataset's columns.
    members : tuple of pandas.DataFrame
        The ``M`` member weathers, same index and columns.
    """

    issued_at: pd.DatetimeIndex
    central: pd.DataFrame
    members: tuple[pd.DataFrame, ...]


def weather_forecast(
    weather: pd.DataFrame,
    grid: pd.DatetimeIndex,
    timezone: str,
    latitude: float,
    longitude: float,
    parameters: ForecastParameters,
    seed: int,
    altitude: float = 0.0,
    base: pd.DataFrame | None = None,
) -> WeatherForecast:
    """Day-ahead forecast ensemble of the study's realised weather.

    Temperature members come from its standardised anomaly by local month and hour; the
    clear-sky index (GHI over the Ineichen clear-sky GHI of
    :func:`vppsim.weather.synthetic.clearsky_at`) from its normal scores by local month and
    hour where the clear-sky GHI is positive, then GHI, DNI, DHI by
    :func:`vppsim.weather.synthetic.irradiance_from_index` (0 at night); the wind speed of
    every member is the study's mean by local month and hour (a forecaster's climatology:
    the site wind drives nothing the forecasts score).

    Parameters
    ----------
    weather : pandas.DataFrame
        The weather dataset on ``grid``: ``temp_air_c`` [degC], ``ghi_w_m2`` [W/m2],
        ``wind_speed_m_s`` [m/s] (other columns are recomputed).
    grid : pandas.DatetimeIndex
        UTC interval starts of the study.
    timezone : str
        IANA zone of the study.
    latitude, longitude : float
        Site [deg N, deg E].
    parameters : ForecastParameters
    seed : int
        The study seed.
    altitude : float
        Site altitude [m], for the clear-sky model.
    base : pandas.DataFrame, optional
        For a scenario's weather (:class:`~vppsim.weather.parameters.WeatherEvent`), the
        same weather without its events. The ensemble is then the base's, with each member
        moved by the events' change (``weather - base`` in temperature, ``weather / base`` in
        clear-sky index): forecasters see a heat wave or a smoke plume coming a day ahead,
        while the weather's own noise is forecast as in the base, so outside the events the
        forecasts are the base's (common random numbers).

    Returns
    -------
    WeatherForecast
    """
    grid = pd.DatetimeIndex(grid).tz_convert("UTC")
    calendar = local_calendar(grid, timezone)
    midpoints = grid + pd.Timedelta(minutes=calendar.interval_minutes / 2)
    clearsky_ghi, zenith = clearsky_at(midpoints, latitude, longitude, altitude)
    sun = clearsky_ghi > 0

    def index(frame: pd.DataFrame) -> np.ndarray:
        ghi = frame["ghi_w_m2"].to_numpy(dtype=float)
        return np.where(sun, ghi / np.where(sun, clearsky_ghi, 1.0), 0.0)

    if base is not None:
        forecast = weather_forecast(
            base, grid, timezone, latitude, longitude, parameters, seed, altitude
        )
        warming = weather["temp_air_c"].to_numpy(dtype=float) - base["temp_air_c"].to_numpy(
            dtype=float
        )
        base_kt = index(base)
        dimming = np.where(base_kt > 0, index(weather) / np.where(base_kt > 0, base_kt, 1.0), 1.0)

        def moved(member: pd.DataFrame) -> pd.DataFrame:
            kt = member["clearsky_index"].to_numpy(dtype=float) * dimming
            columns = irradiance_from_index(kt, clearsky_ghi, zenith, midpoints)
            columns["temp_air_c"] = member["temp_air_c"].to_numpy(dtype=float) + warming
            columns["wind_speed_m_s"] = member["wind_speed_m_s"].to_numpy(dtype=float)
            return pd.DataFrame({c: columns[c] for c in COLUMNS}, index=member.index)

        return WeatherForecast(
            forecast.issued_at,
            moved(forecast.central),
            tuple(moved(member) for member in forecast.members),
        )
    kt = index(weather)
    kt_central, kt_members = resource_members(
        kt,
        grid,
        timezone,
        parameters.clearsky_index,
        parameters,
        seed,
        Variable.CLEARSKY_INDEX,
        mask=sun,
    )

    climate_class = _climatology_classes(grid, timezone)
    temperature = weather["temp_air_c"].to_numpy(dtype=float)
    mean, sd = _class_mean_sd(temperature, climate_class)
    u = (temperature - mean[climate_class]) / sd[climate_class]
    t_central, t_members = _members(
        u, grid, timezone, parameters.temperature, parameters, seed, Variable.TEMPERATURE
    )
    wind, _ = _class_mean_sd(weather["wind_speed_m_s"].to_numpy(dtype=float), climate_class)

    def frame(temp_u: np.ndarray, index_kt: np.ndarray) -> pd.DataFrame:
        columns = irradiance_from_index(index_kt, clearsky_ghi, zenith, midpoints)
        columns["temp_air_c"] = mean[climate_class] + sd[climate_class] * temp_u
        columns["wind_speed_m_s"] = wind[climate_class]
        return pd.DataFrame({c: columns[c] for c in COLUMNS}, index=weather.index)

    return WeatherForecast(
        issued_at=day_ahead_issue_times(grid, timezone, parameters.da_issue_hour),
        central=frame(t_central, kt_central),
        members=tuple(frame(t, k) for t, k in zip(t_members, kt_members, strict=True)),
    )


def _class_mean_sd(values: np.ndarray, classes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and sd of ``values`` by climatology class (:func:`_climatology_classes`; 12 x 24
    each; sd 1 where it is 0 or undefined)."""
    valid = np.isfinite(values)
    size = 12 * HOURS_PER_DAY
    count = np.bincount(classes[valid], minlength=size)
    total = np.bincount(classes[valid], values[valid], minlength=size)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = total / count
        square = np.bincount(classes[valid], values[valid] ** 2, minlength=size) / count
        sd = np.sqrt(np.maximum(square - mean**2, 0.0))
    return mean, np.where(np.isfinite(sd) & (sd > 0), sd, 1.0)
