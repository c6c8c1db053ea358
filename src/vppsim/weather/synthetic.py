"""Synthetic weather for one site: irradiance, air temperature and wind on any time grid.

The model, calibrated on the Santa Ana TMY3 and Long Beach TMY2 files (see :mod:`.fit` and
``benchmarks/fit_weather.py``), has three parts.

Irradiance
    Clear-sky irradiance from pvlib (Ineichen with the bundled Linke turbidity, offline) at
    each interval midpoint, times a stochastic clear-sky index ``kt = GHI / GHI_clear``.

    * A daily regime: each local-standard-time day gets a target daily clear-sky index
      (total GHI over total clear-sky GHI), drawn from the month's TMY distribution of daily
      indices through a Gaussian AR(1) rank whose lag-1 day correlation is fitted on TMY:
      clear and cloudy spells persist as in real weather, and each month's mean daily index
      and share of clear days follow the TMY.
    * An hourly chain on 8 clear-sky-index states (edges :data:`KT_STATE_EDGES`) with a
      transition matrix for each month and hour of the day, fitted on the TMY hours whose
      clear-sky GHI is at least :data:`RELIABLE_CLEARSKY_W_M2` (the index is meaningless at
      sunrise and sunset), pooled with the neighbouring months and hours at weight 0.5 and
      shrunk towards the next hour's state distribution. A day starts at its first reliable
      hour from the month's first-state distribution; the low-sun hours before and after
      hold the nearest reliable hour's value.
    * The two layers meet by selection: for each day :data:`CANDIDATES_PER_DAY` hourly paths
      are drawn from the month-and-hour chain and the one whose daily index is closest to
      the day's target is kept, an approximate draw of the chain *conditioned* on the daily
      index. The daily layer sets how clear each day is; the within-day structure (May-July
      marine-layer mornings that burn off by midday) comes from the month-and-hour matrices.
    * Within a state the index is drawn from the state's TMY quantiles, with a rank that is
      AR(1) from hour to hour (fitted), so clear hours are smooth rather than jittery.
    * Sub-hourly intervals: each hour's value is spread with the centred slope to its
      neighbours plus zero-mean noise whose mean over the hour is removed, so every hour
      keeps its hourly mean exactly (up to the clip at ``clearsky_index_max``). The noise
      standard deviation (``intrahour_std_clear`` to ``intrahour_std_broken``, largest for
      broken cloud near ``kt = 0.5``) is a documented constant: hourly TMY data cannot
      calibrate it. At 60-min intervals there is no sub-hourly noise.
    * GHI is split into DNI and DHI with Erbs (pvlib); DNI is capped at 1,400 W/m2 and DHI is
      ``GHI - DNI cos(zenith)`` so the closure holds. All irradiance is exactly 0 where the
      clear-sky GHI at the interval midpoint is 0.

Temperature
    A diurnal cycle through a morning minimum and an afternoon maximum (monthly anchor hours
    and curve shapes fitted on TMY), around the monthly normals of daily max and min
    (:data:`LA_TMAX_NORMALS_F`, :data:`LA_TMIN_NORMALS_F`, interpolated to days so that each
    month's mean equals its normal; ``temperature_offset_c`` shifts them), plus, per day:

    * an AR(1) anomaly fitted on the TMY daily-mean anomalies by month (with the sunshine
      effect and the heat events removed), applied with fitted gains to max and min;
    * sun-temperature coupling: ``beta * (daily clear-sky index - month's mean)``, slopes
      fitted on TMY (sunnier days have hotter afternoons; in winter clear nights are cold);
    * multi-day heat events (starts per month, mean duration, mean amplitude, lognormal
      spread, share carried by the minimum). The normals already contain a climatological
      share of events, so the model subtracts the expected contribution of the *calibrated*
      event rate; raising the rate (``heat_event_starts_per_month``,
      ``heat_event_rate_factor``) above it makes the period hotter;
    * AR(1) hourly noise fitted on the TMY departures from the curve, tapered to zero at
      the anchors so daily max/min stay on target.

    The TMY heat events (runs of >= 2 days >= 4 degC above the station-month mean) are
    Santa-Ana-type warm spells, most frequent in Jan-May; the TMY, built from "typical"
    months, holds few summer heat waves, so the default summer rate (0.25-0.4 a month) is
    low. Raise it for heat-wave scenarios.

    The normals are those of Los Angeles Downtown/USC. **Other locations get the same
    normals, and the same LA-basin sky, heat-event and wind statistics by calendar month**
    (a documented limitation: the default study is the LA basin).

Wind
    Mean and standard deviation by month and hour fitted on TMY (afternoon sea breeze), with
    an AR(1) Gaussian rank mapped through a gamma distribution: non-negative, with the
    fitted mean and spread for each month and hour.

Events
    ``events`` (:class:`~vppsim.weather.parameters.WeatherEvent`, the scenarios' lever) raise
    the daily maximum and minimum and scale the clear-sky index on given days
    (:func:`vppsim.weather.events.daily_forcing`). They are applied after every draw, so the
    days outside them are the unforced realisation to the bit; a dimmer day is also cooler
    through the sun-temperature coupling.

Time conventions: hours of the day and days are local *standard* time of ``timezone`` (the
zone's offset without DST, as TMY files use), so DST days need no special handling.

Knobs: :class:`~vppsim.weather.parameters.WeatherParameters` (the names in ``code`` above);
fitted tables: :class:`WeatherCalibration` (``calibrated.json``).

Reproducibility: every random array is drawn from the given ``rng`` in a fixed order with
sizes that depend only on the grid (never on parameter values or on drawn values), so the
same seed and grid give an identical frame.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
import pandas as pd
import pvlib
from scipy.special import gammaincinv, ndtr

from vppsim.calibration_file import read_calibration, read_only_arrays
from vppsim.grid import standard_utc_offset_hours
from vppsim.stats import quantile_function
from vppsim.timeseries import ar1, ar1_varying
from vppsim.weather.events import daily_forcing
from vppsim.weather.parameters import WeatherParameters

# --- Model structure (shared with :mod:`.fit`) ----------------------------------------------

KT_STATE_EDGES = (0.3, 0.5, 0.7, 0.85, 0.95, 1.02, 1.06)
"""Upper edges of the hourly clear-sky-index states 0..6; state 7 is ``kt >= 1.06``."""
N_KT_STATES = len(KT_STATE_EDGES) + 1
RELIABLE_CLEARSKY_W_M2 = 100.0
"""Hours whose clear-sky GHI (at the hour midpoint) is below this carry no state."""
EMISSION_CLEARSKY_W_M2 = 400.0
"""The within-state index distribution is fitted on hours at least this bright, where the
clear-sky model and the TMY irradiance agree well (low sun inflates the index)."""
CHAIN_HOURS = (5, 19)
"""Transition matrices from hour ``h`` to ``h + 1`` are fitted for ``5 <= h < 19``."""
EMISSION_LEVELS = np.linspace(0.0, 1.0, 11)
"""Probability levels of the stored within-state quantiles."""
DAILY_LEVELS = np.linspace(0.0, 1.0, 21)
"""Probability levels of the stored monthly quantiles of the daily clear-sky index."""

# --- Documented constants (not fitted) ------------------------------------------------------

MONTH_POOL_WEIGHT = 0.5
"""Weight of each neighbouring month's transition counts (the TMY has ~60 days a month)."""
HOUR_POOL_WEIGHT = 0.5
"""Weight of each neighbouring hour's transition counts."""
TRANSITION_PRIOR_WEIGHT = 2.0
"""Pseudo-counts pulling each transition row towards the next hour's state distribution."""
CANDIDATES_PER_DAY = 64
"""Hourly paths drawn per day, from which the one closest to the day's target is kept."""
CHUNK_DAYS = 64
"""Days simulated together in the path-selection step (bounds memory for long periods)."""
DNI_MAX_W_M2 = 1400.0
GHI_MAX_W_M2 = 1500.0
MIN_DIURNAL_RANGE_C = 1.0
"""Daily max is kept at least this far above the daily min."""
HEAT_EVENT_MIN_DAYS = 2
"""Shortest heat event [days] (also the detection rule in :mod:`.fit`)."""

# --- Temperature normals --------------------------------------------------------------------

LA_TMAX_NORMALS_F = (68.2, 68.6, 70.2, 72.7, 74.5, 78.1, 83.6, 84.8, 83.3, 78.5, 72.8, 67.7)
LA_TMIN_NORMALS_F = (48.9, 50.5, 52.5, 55.2, 58.7, 62.0, 65.5, 66.1, 64.6, 59.8, 52.9, 48.5)
"""Monthly normals of daily max and min [degF], Jan..Dec, for Los Angeles Downtown/USC
(GHCN USW00093134, 34.05 N, 118.24 W), intended as NOAA NCEI 1991-2020 normals.

Verification status: *not verified* against the NCEI 1991-2020 product, which could not be
reached offline. The only table found (Wikipedia's USC table as of 2017, i.e. the
1981-2010 normals) has the same maxima for Jan-Jun and Oct-Dec, maxima 0.2-0.5 degF lower
for Jul-Sep (83.1, 84.4, 83.1) and minima 0.9-2.0 degF lower (47.8, 49.3, 51.0, 53.5,
57.1, 60.3, 63.6, 64.1, 63.1, 58.7, 52.0, 47.5); an August max of 84.8 degF is also the
downtown normal quoted in the press in 2003 (1971-2000 normals). The values used here
are within 1.1 degC of those tables. Replace them once the NCEI numbers are checked."""


def _f_to_c(values) -> np.ndarray:
    return (np.asarray(values, dtype=float) - 32.0) * 5.0 / 9.0


DAYS_IN_MONTH = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])


# --- Parameters -----------------------------------------------------------------------------


def pool_months(x: np.ndarray) -> np.ndarray:
    """Add the neighbouring months (axis 0, circular) at :data:`MONTH_POOL_WEIGHT`."""
    return x + MONTH_POOL_WEIGHT * (np.roll(x, 1, axis=0) + np.roll(x, -1, axis=0))


def _pool_hours(x: np.ndarray) -> np.ndarray:
    """Add the neighbouring hours (axis 1, not circular) at :data:`HOUR_POOL_WEIGHT`."""
    y = x.astype(float).copy()
    y[:, 1:] += HOUR_POOL_WEIGHT * x[:, :-1]
    y[:, :-1] += HOUR_POOL_WEIGHT * x[:, 1:]
    return y


def _normalise(x: np.ndarray, axis: int = -1) -> np.ndarray:
    total = x.sum(axis=axis, keepdims=True)
    return x / np.where(total > 0, total, 1.0)


def transition_matrices(counts: np.ndarray, first_counts: np.ndarray):
    """Turn the TMY transition counts into smoothed probabilities.

    Parameters
    ----------
    counts : array (12, H, K, K)
        Transitions from hour ``CHAIN_HOURS[0] + j`` to the next, by month.
    first_counts : array (12, K)
        State of each day's first reliable hour, by month.

    Returns
    -------
    transitions : array (12, 24, K, K)
        Row-stochastic matrices from hour ``h`` to ``h + 1``. Hours outside
        :data:`CHAIN_HOURS` get the month's all-hours matrix.
    first : array (12, K)
        The first-state distribution by month.
    """
    counts = np.asarray(counts, dtype=float)
    pooled = _pool_hours(pool_months(counts))
    month_all = pooled.sum(axis=1)  # (12, K, K)
    month_dest = _normalise(month_all.sum(axis=1))  # (12, K)
    # Next hour's state distribution, itself shrunk towards the month's.
    dest = _normalise(pooled.sum(axis=2) + month_dest[:, None, :])  # (12, H, K)
    hourly = _normalise(pooled + TRANSITION_PRIOR_WEIGHT * dest[:, :, None, :])
    overall = _normalise(month_all + TRANSITION_PRIOR_WEIGHT * month_dest[:, None, :])
    full = np.repeat(overall[:, None], 24, axis=1)
    first_hour, last_hour = CHAIN_HOURS
    full[:, first_hour:last_hour] = hourly
    first = _normalise(pool_months(np.asarray(first_counts, dtype=float)) + 0.5)
    return full, first


def heat_event_offsets(
    starts_per_month: np.ndarray, duration_days: float, amplitude_c: float, min_share: float
) -> tuple[np.ndarray, np.ndarray]:
    """Expected heat-event contribution to daily max and min by month [degC]."""
    share_of_days = np.asarray(starts_per_month, dtype=float) * duration_days / DAYS_IN_MONTH
    offset_max = share_of_days * amplitude_c
    return offset_max, offset_max * min_share


@dataclass(frozen=True, eq=False)
class WeatherCalibration:
    """The fitted tables of the weather model and the normals; arrays are indexed by month 0..11.

    ``default()`` loads the fitted values from the shipped ``calibrated.json`` (once) and adds
    the LA normals. The knobs around them (heat-event rate, temperature offset, ...) are
    :class:`~vppsim.weather.parameters.WeatherParameters`.
    """

    # Clear-sky index
    kt_transitions: np.ndarray  # (12, 24, K, K) hour h -> h+1, row-stochastic
    kt_first_state: np.ndarray  # (12, K) state of the first reliable hour of a day
    kt_emission_quantiles: np.ndarray  # (K, len(EMISSION_LEVELS)) index within each state
    kt_rank_autocorrelation: float  # hour-to-hour AR(1) of the Gaussian within-state rank
    daily_index_quantiles: np.ndarray  # (12, len(DAILY_LEVELS)) TMY daily clear-sky index
    daily_index_autocorrelation: float  # lag-1 day correlation of its Gaussian rank
    daily_clearsky_index_mean: np.ndarray  # (12,) TMY mean daily index (centre of coupling)
    # Temperature [degC]
    tmax_normal_c: np.ndarray  # (12,) monthly normal of daily max
    tmin_normal_c: np.ndarray  # (12,) monthly normal of daily min
    temp_ar_coefficient: np.ndarray  # (12,) day-to-day AR(1) of the daily-mean anomaly
    temp_ar_std_c: np.ndarray  # (12,) its stationary standard deviation
    temp_anomaly_gain_max: np.ndarray  # (12,) daily-max anomaly per unit daily-mean anomaly
    temp_anomaly_gain_min: np.ndarray  # (12,) daily-min anomaly per unit daily-mean anomaly
    sun_coupling_max_c: np.ndarray  # (12,) daily max change per unit of daily clear-sky index
    sun_coupling_min_c: np.ndarray  # (12,) daily min change per unit of daily clear-sky index
    heat_event_starts_per_month: np.ndarray  # (12,)
    heat_event_duration_days: float  # mean duration (>= HEAT_EVENT_MIN_DAYS)
    heat_event_amplitude_c: float  # mean raise of daily max during an event
    heat_event_amplitude_cv: float  # coefficient of variation of the amplitude (lognormal)
    heat_event_min_share: float  # raise of daily min as a share of the raise of daily max
    temp_min_hour: np.ndarray  # (12,) local standard hour of the daily minimum
    temp_max_hour: np.ndarray  # (12,) local standard hour of the daily maximum
    temp_rise_exponent: np.ndarray  # (12,) shape of the morning rise
    temp_fall_exponent: np.ndarray  # (12,) shape of the afternoon-to-dawn fall
    temp_hourly_noise_std_c: float
    temp_hourly_noise_autocorrelation: float  # lag 1 h
    # Wind [m/s]
    wind_mean_m_s: np.ndarray  # (12, 24) by month and local standard hour (instantaneous)
    wind_std_m_s: np.ndarray  # (12, 24)
    wind_autocorrelation: float  # lag 1 h
    # Heat-event climatology already in the normals (from the calibrated event rate).
    heat_offset_max_c: np.ndarray | None = None  # (12,), from the calibrated rate if None
    heat_offset_min_c: np.ndarray | None = None  # (12,)

    def __post_init__(self) -> None:
        if self.heat_offset_max_c is None or self.heat_offset_min_c is None:
            offset_max, offset_min = heat_event_offsets(
                self.heat_event_starts_per_month,
                self.heat_event_duration_days,
                self.heat_event_amplitude_c,
                self.heat_event_min_share,
            )
            object.__setattr__(self, "heat_offset_max_c", offset_max)
            object.__setattr__(self, "heat_offset_min_c", offset_min)

    @classmethod
    def from_calibration(cls, calibration: dict) -> WeatherCalibration:
        """Build the tables from a calibration dict (the content of calibrated.json)."""
        about = calibration["about"]
        if (
            about["kt_state_edges"] != list(KT_STATE_EDGES)
            or len(about["daily_levels"]) != len(DAILY_LEVELS)
            or about["chain_hours"] != list(CHAIN_HOURS)
            or len(about["emission_levels"]) != len(EMISSION_LEVELS)
        ):
            raise ValueError("calibration was fitted for a different model structure")
        sky, temp, wind = (calibration[k] for k in ("clearsky", "temperature", "wind"))
        transitions, first = transition_matrices(
            np.array(sky["transition_counts"]), np.array(sky["first_state_counts"])
        )
        a = np.asarray
        return cls(
            kt_transitions=transitions,
            kt_first_state=first,
            kt_emission_quantiles=a(sky["emission_quantiles"], dtype=float),
            kt_rank_autocorrelation=float(sky["rank_autocorrelation"]),
            daily_index_quantiles=a(sky["daily_index_quantiles"], dtype=float),
            daily_index_autocorrelation=float(sky["daily_index_autocorrelation"]),
            daily_clearsky_index_mean=a(sky["daily_index_mean"], dtype=float),
            tmax_normal_c=_f_to_c(LA_TMAX_NORMALS_F),
            tmin_normal_c=_f_to_c(LA_TMIN_NORMALS_F),
            temp_ar_coefficient=a(temp["ar_coefficient"], dtype=float),
            temp_ar_std_c=a(temp["ar_std_c"], dtype=float),
            temp_anomaly_gain_max=a(temp["anomaly_gain_max"], dtype=float),
            temp_anomaly_gain_min=a(temp["anomaly_gain_min"], dtype=float),
            sun_coupling_max_c=a(temp["sun_coupling_max_c"], dtype=float),
            sun_coupling_min_c=a(temp["sun_coupling_min_c"], dtype=float),
            heat_event_starts_per_month=a(temp["heat_event_starts_per_month"], dtype=float),
            heat_event_duration_days=float(temp["heat_event_duration_days"]),
            heat_event_amplitude_c=float(temp["heat_event_amplitude_c"]),
            heat_event_amplitude_cv=float(temp["heat_event_amplitude_cv"]),
            heat_event_min_share=float(temp["heat_event_min_share"]),
            temp_min_hour=a(temp["min_hour"], dtype=float),
            temp_max_hour=a(temp["max_hour"], dtype=float),
            temp_rise_exponent=a(temp["rise_exponent"], dtype=float),
            temp_fall_exponent=a(temp["fall_exponent"], dtype=float),
            temp_hourly_noise_std_c=float(temp["hourly_noise_std_c"]),
            temp_hourly_noise_autocorrelation=float(temp["hourly_noise_autocorrelation"]),
            wind_mean_m_s=a(wind["mean_m_s"], dtype=float),
            wind_std_m_s=a(wind["std_m_s"], dtype=float),
            wind_autocorrelation=float(wind["autocorrelation"]),
        )

    @classmethod
    def default(cls) -> WeatherCalibration:
        """The tables fitted on the LA-basin TMY files, shipped as calibrated.json."""
        return _default_calibration()


def load_calibration() -> dict:
    """The shipped calibration (calibrated.json next to this module)."""
    return read_calibration("vppsim.weather")


@cache
def _default_calibration() -> WeatherCalibration:
    return read_only_arrays(WeatherCalibration.from_calibration(load_calibration()))


# --- Shared model pieces ---------------------------------------------------------------------


def kt_state(kt: np.ndarray) -> np.ndarray:
    """The clear-sky-index state (0..7) of each value."""
    return np.digitize(kt, KT_STATE_EDGES)


def diurnal_curve(
    t: np.ndarray,
    anchor_t: np.ndarray,
    anchor_temp: np.ndarray,
    exponent: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Temperature between alternating min/max anchors.

    Between consecutive anchors ``(t0, T0)`` and ``(t1, T1)`` the curve is
    ``T0 + (T1 - T0) * (1 - cos(pi * x**p)) / 2`` with ``x = (t - t0) / (t1 - t0)`` and the
    segment's exponent ``p`` (``exponent[i]`` for the segment starting at anchor ``i``;
    ``p < 1`` moves faster early in the segment).

    Returns
    -------
    temperature, g : arrays like ``t``
        ``g`` is the position between the segment's anchors in temperature, 0 at ``T0`` and
        1 at ``T1``.
    """
    i = np.clip(np.searchsorted(anchor_t, t, side="right") - 1, 0, len(anchor_t) - 2)
    t0, t1 = anchor_t[i], anchor_t[i + 1]
    x = np.clip((t - t0) / (t1 - t0), 0.0, 1.0)
    g = 0.5 * (1.0 - np.cos(np.pi * x ** exponent[i]))
    return anchor_temp[i] + (anchor_temp[i + 1] - anchor_temp[i]) * g, g


def noise_envelope(g: np.ndarray) -> np.ndarray:
    """Scale of the hourly temperature noise at position ``g`` (0..1, in temperature) between
    a segment's anchors: zero at the daily min and max, so they stay on target, and small
    where the curve is close to either (e.g. the slow fall before dawn)."""
    return 4.0 * g * (1.0 - g)


@cache
def _normal_interpolation() -> tuple[np.ndarray, np.ndarray]:
    """Mid-month positions and the matrix of monthly means of the interpolated curve."""
    starts = np.concatenate([[0], np.cumsum(DAYS_IN_MONTH)[:-1]])
    mids = starts + DAYS_IN_MONTH / 2.0
    centres = np.arange(365) + 0.5
    month_of_day = np.repeat(np.arange(12), DAYS_IN_MONTH)
    weights = np.empty((12, 12))
    for j in range(12):
        curve = np.interp(centres, mids, np.eye(12)[j], period=365)
        weights[:, j] = np.bincount(month_of_day, curve) / DAYS_IN_MONTH
    return mids, weights


def daily_normals(year_fraction: np.ndarray, monthly: np.ndarray) -> np.ndarray:
    """Interpolate monthly normals to days so that each month's mean equals its normal.

    ``year_fraction`` is the day centre's position in its year, 0..1.
    """
    mids, weights = _normal_interpolation()
    nodes = np.linalg.solve(weights, monthly)
    return np.interp(year_fraction * 365.0, mids, nodes, period=365)


# --- Simulation ------------------------------------------------------------------------------


def _hourly_clearsky_index(
    months: np.ndarray,
    cs_hourly: np.ndarray,
    target: np.ndarray,
    rng: np.random.Generator,
    p: WeatherCalibration,
) -> tuple[np.ndarray, np.ndarray]:
    """Draw each day's hourly index path from the chain, closest to the day's target index.

    Parameters
    ----------
    months : array (n_days,)
        Month 0..11 of each local standard day.
    cs_hourly : array (n_days, 24)
        Clear-sky GHI at the site at each local standard hour's midpoint [W/m2].
    target : array (n_days,)
        Each day's target daily clear-sky index.

    Returns
    -------
    The (n_days, 24) hourly index and the daily index of each kept path.
    """
    kt_hourly = np.empty((len(months), 24))
    daily_index = np.empty(len(months))
    for start in range(0, len(months), CHUNK_DAYS):
        chunk = slice(start, start + CHUNK_DAYS)
        kt_hourly[chunk], daily_index[chunk] = _hourly_chunk(
            months[chunk], cs_hourly[chunk], target[chunk], rng, p
        )
    return kt_hourly, daily_index


def _hourly_chunk(
    months: np.ndarray,
    cs_hourly: np.ndarray,
    target: np.ndarray,
    rng: np.random.Generator,
    p: WeatherCalibration,
) -> tuple[np.ndarray, np.ndarray]:
    n_days, n_cand, n_states = len(months), CANDIDATES_PER_DAY, N_KT_STATES
    u = rng.random((n_days, n_cand, 24))
    eps = rng.standard_normal((n_days, n_cand, 24))

    reliable = cs_hourly >= RELIABLE_CLEARSKY_W_M2
    any_reliable = reliable.any(axis=1)
    h_start = np.where(any_reliable, np.argmax(reliable, axis=1), 12)
    h_end = np.where(any_reliable, 23 - np.argmax(reliable[:, ::-1], axis=1), 12)

    cum_transitions = np.cumsum(p.kt_transitions, axis=-1)  # (12, 24, K, K)
    cum_first = np.cumsum(p.kt_first_state, axis=-1)[months][:, None, :]  # (n, 1, K)
    states = np.empty((n_days, n_cand, 24), dtype=np.int64)
    state = np.zeros((n_days, n_cand), dtype=np.int64)
    month_index = months[:, None]
    for h in range(24):
        draw = u[:, :, h, None]
        first = (cum_first < draw).sum(axis=-1)
        if h == 0:
            state = first
        else:
            rows = cum_transitions[month_index, h - 1, state]  # (n, C, K)
            moved = (rows < draw).sum(axis=-1)
            # A day starts at its first reliable hour (hours before it are held below).
            state = np.where((h <= h_start)[:, None], first, moved)
        state = np.minimum(state, n_states - 1)
        states[:, :, h] = state
    rank = ar1(eps, p.kt_rank_autocorrelation, axis=-1)

    # Hold the low-sun hours at the nearest reliable hour's value.
    hold = np.clip(np.arange(24)[None, :], h_start[:, None], h_end[:, None])
    hold = np.broadcast_to(hold[:, None, :], states.shape)
    states = np.take_along_axis(states, hold, axis=-1)
    rank = np.take_along_axis(rank, hold, axis=-1)
    kt = quantile_function(ndtr(rank), p.kt_emission_quantiles[states])

    weight = cs_hourly.sum(axis=1)
    daily = np.einsum("nch,nh->nc", kt, cs_hourly) / np.where(weight > 0, weight, 1.0)[:, None]
    chosen = np.argmin(np.abs(daily - target[:, None]), axis=1)
    rows = np.arange(n_days)
    return kt[rows, chosen], daily[rows, chosen]


COLUMNS = ("temp_air_c", "ghi_w_m2", "dni_w_m2", "dhi_w_m2", "wind_speed_m_s", "clearsky_index")


def _spread_within_hours(
    hourly: np.ndarray, hours: np.ndarray, noise: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Interval values from hourly values at fractional ``hours``, keeping hourly means.

    Each hour ``b`` contributes ``hourly[b] + slope_b * (hours - b - 0.5)`` with the centred
    slope to its neighbours, plus ``noise`` demeaned over the intervals of the hour.
    """
    block = np.floor(hours).astype(np.int64)
    offset = hours - block - 0.5
    padded = np.concatenate([hourly[:1], hourly, hourly[-1:]])
    slope = 0.5 * (padded[2:] - padded[:-2])
    counts = np.bincount(block, minlength=len(hourly))
    noise_mean = np.bincount(block, noise, minlength=len(hourly)) / np.maximum(counts, 1)
    return hourly[block] + slope[block] * offset + noise - noise_mean[block], block


def clearsky_at(
    midpoints: pd.DatetimeIndex, latitude: float, longitude: float, altitude: float = 0.0
) -> tuple[np.ndarray, np.ndarray]:
    """Ineichen clear-sky GHI [W/m2] (0 where the sun is down) and solar zenith [deg].

    Parameters
    ----------
    midpoints : pandas.DatetimeIndex
        UTC interval midpoints.
    latitude, longitude : float
        Site [deg N, deg E].
    altitude : float
        Site altitude [m].

    Returns
    -------
    clearsky_ghi, zenith : numpy.ndarray
    """
    site = pvlib.location.Location(latitude, longitude, tz="UTC", altitude=altitude)
    solar = site.get_solarposition(midpoints)
    clearsky = site.get_clearsky(midpoints, model="ineichen", solar_position=solar)
    return np.nan_to_num(clearsky["ghi"].to_numpy()), solar["zenith"].to_numpy()


def irradiance_from_index(
    kt: np.ndarray,
    clearsky_ghi: np.ndarray,
    zenith: np.ndarray,
    times: pd.DatetimeIndex,
) -> dict[str, np.ndarray]:
    """GHI, DNI, DHI [W/m2] and the clear-sky index [1] from a clear-sky index ``kt``.

    GHI is ``kt`` times the clear-sky GHI (capped at :data:`GHI_MAX_W_M2`), split by Erbs
    (pvlib) with DNI capped at :data:`DNI_MAX_W_M2` and DHI closing ``GHI = DHI + DNI
    cos(zenith)``; all exactly 0 where the clear-sky GHI is 0.
    """
    sun = clearsky_ghi > 0
    ghi = np.where(sun, np.minimum(kt * clearsky_ghi, GHI_MAX_W_M2), 0.0)
    split = pvlib.irradiance.erbs(ghi, zenith, times)
    cos_zenith = np.clip(np.cos(np.radians(zenith)), 0.0, None)
    dni = np.clip(np.nan_to_num(np.asarray(split["dni"], dtype=float)), 0.0, DNI_MAX_W_M2)
    dni = np.where(cos_zenith > 0, dni, 0.0)
    # Closure: the direct part never exceeds GHI, DHI is the rest.
    too_much = dni * cos_zenith > ghi
    dni = np.where(too_much, ghi / np.where(cos_zenith > 0, cos_zenith, 1.0), dni)
    dhi = np.clip(ghi - dni * cos_zenith, 0.0, None)
    index = np.where(sun, ghi / np.where(sun, clearsky_ghi, 1.0), 0.0)
    return {
        "ghi_w_m2": ghi,
        "dni_w_m2": np.where(sun, dni, 0.0),
        "dhi_w_m2": np.where(sun, dhi, 0.0),
        "clearsky_index": index,
    }


def _temperature_anomaly(months: np.ndarray, eps: np.ndarray, p: WeatherCalibration) -> np.ndarray:
    """The day-to-day AR(1) anomaly of the daily mean [degC], month-varying."""
    return ar1_varying(eps, p.temp_ar_coefficient[months]) * p.temp_ar_std_c[months]


def _heat_events(
    months: np.ndarray,
    u_start: np.ndarray,
    u_duration: np.ndarray,
    z_amplitude: np.ndarray,
    fitted: WeatherCalibration,
    p: WeatherParameters,
) -> np.ndarray:
    """The raise of daily max by heat events [degC] (overlapping events: the larger)."""
    starts = fitted.heat_event_starts_per_month
    if p.heat_event_starts_per_month is not None:
        starts = np.full(12, p.heat_event_starts_per_month)
    rate = starts[months] * p.heat_event_rate_factor / DAYS_IN_MONTH[months]
    duration = fitted.heat_event_duration_days
    if p.heat_event_duration_days is not None:
        duration = p.heat_event_duration_days
    mean_amplitude = fitted.heat_event_amplitude_c
    if p.heat_event_amplitude_c is not None:
        mean_amplitude = p.heat_event_amplitude_c
    extra = duration - HEAT_EVENT_MIN_DAYS
    if extra > 0:
        # floor(exponential) is geometric; this scale gives a mean of `extra` days.
        scale = 1.0 / np.log1p(1.0 / extra)
        durations = HEAT_EVENT_MIN_DAYS + np.floor(-scale * np.log1p(-u_duration))
    else:
        durations = np.full(len(months), float(HEAT_EVENT_MIN_DAYS))
    s2 = np.log1p(fitted.heat_event_amplitude_cv**2)
    amplitude = mean_amplitude * np.exp(np.sqrt(s2) * z_amplitude - s2 / 2.0)
    heat = np.zeros(len(months))
    for d in np.flatnonzero(u_start < rate):
        end = d + int(durations[d])
        heat[d:end] = np.maximum(heat[d:end], amplitude[d])
    return heat


def _wind(
    months: np.ndarray,
    hour_of_day: np.ndarray,
    z: np.ndarray,
    p: WeatherCalibration,
) -> np.ndarray:
    low = np.floor(hour_of_day).astype(np.int64) % 24
    high = (low + 1) % 24
    w = hour_of_day - np.floor(hour_of_day)
    mean = (1 - w) * p.wind_mean_m_s[months, low] + w * p.wind_mean_m_s[months, high]
    std = (1 - w) * p.wind_std_m_s[months, low] + w * p.wind_std_m_s[months, high]
    mean, std = np.maximum(mean, 0.05), np.maximum(std, 0.05)
    shape, scale = (mean / std) ** 2, std**2 / mean
    u = np.clip(ndtr(z), 1e-9, 1.0 - 1e-9)
    return np.clip(gammaincinv(shape, u) * scale, 0.0, 75.0)


def simulate_weather(
    grid: pd.DatetimeIndex,
    latitude: float,
    longitude: float,
    timezone: str,
    interval_minutes: int,
    rng: np.random.Generator,
    parameters: WeatherParameters | None = None,
    altitude: float = 0.0,
    calibration: WeatherCalibration | None = None,
) -> pd.DataFrame:
    """Simulate weather at one site on ``grid``.

    Parameters
    ----------
    grid : pandas.DatetimeIndex
        Timezone-aware interval starts (UTC), e.g. from :func:`vppsim.grid.build_grid`; any
        period, any interval length.
    latitude, longitude : float
        Site [deg N, deg E].
    timezone : str
        IANA zone; its *standard* offset defines the local hours and days of the model.
    interval_minutes : int
        Interval length [min]; irradiance is the interval average, evaluated at midpoints.
    rng : numpy.random.Generator
        The only source of randomness; the same seed and grid give an identical frame.
    parameters : WeatherParameters, optional
        The knobs (heat events, temperature offset, sub-hourly noise); the defaults reproduce
        the shipped model.
    altitude : float
        Site altitude [m], for the clear-sky model.
    calibration : WeatherCalibration, optional
        The fitted tables; defaults to :meth:`WeatherCalibration.default` (LA basin).

    Returns
    -------
    pandas.DataFrame
        Index ``grid``; float64 columns ``temp_air_c`` [degC], ``ghi_w_m2``, ``dni_w_m2``,
        ``dhi_w_m2`` [W/m2], ``wind_speed_m_s`` [m/s] and ``clearsky_index`` [1] (GHI over
        clear-sky GHI; 0 when the sun is down).
    """
    knobs = WeatherParameters() if parameters is None else parameters
    p = WeatherCalibration.default() if calibration is None else calibration
    grid = pd.DatetimeIndex(grid)
    if grid.tz is None:
        raise ValueError("grid must be timezone-aware (UTC interval starts)")
    if len(grid) == 0:
        return pd.DataFrame({c: np.array([], dtype=float) for c in COLUMNS}, index=grid)
    step = pd.Timedelta(minutes=interval_minutes)
    midpoints = grid.tz_convert("UTC") + step / 2
    offset = pd.Timedelta(hours=standard_utc_offset_hours(timezone, grid[0].date()))
    local = midpoints.tz_localize(None) + offset  # local standard time, naive
    first_day = local.min().normalize() - pd.Timedelta(days=1)
    days = pd.date_range(first_day, local.max().normalize() + pd.Timedelta(days=1), freq="D")
    n_days = len(days)
    months = np.asarray(days.month - 1)
    hours = np.asarray((local - first_day) / pd.Timedelta(hours=1), dtype=float)

    site = pvlib.location.Location(latitude, longitude, tz="UTC", altitude=altitude)
    hour_midpoints = pd.DatetimeIndex(
        first_day - offset + pd.Timedelta(minutes=30) + pd.to_timedelta(np.arange(n_days * 24), "h")
    ).tz_localize("UTC")
    cs_hourly = site.get_clearsky(hour_midpoints, model="ineichen")["ghi"].to_numpy()
    cs_hourly = np.nan_to_num(cs_hourly).reshape(n_days, 24)
    clearsky_ghi, zenith = clearsky_at(midpoints, latitude, longitude, altitude)

    # Random draws, in a fixed order with grid-determined sizes.
    regime = ar1(rng.standard_normal(n_days), p.daily_index_autocorrelation)
    target = quantile_function(ndtr(regime), p.daily_index_quantiles[months])
    kt_hourly, daily_index = _hourly_clearsky_index(months, cs_hourly, target, rng, p)
    eps_intrahour = rng.standard_normal(len(grid))
    eps_anomaly = rng.standard_normal(n_days)
    u_heat_start = rng.random(n_days)
    u_heat_duration = rng.random(n_days)
    z_heat_amplitude = rng.standard_normal(n_days)
    eps_temperature = rng.standard_normal(len(grid))
    eps_wind = rng.standard_normal(len(grid))

    # Irradiance.
    flat = kt_hourly.ravel()
    clear, broken = knobs.intrahour_std_clear, knobs.intrahour_std_broken
    sigma = clear + (broken - clear) * np.clip(4.0 * flat * (1.0 - flat), 0.0, 1.0)
    block = np.floor(hours).astype(np.int64)
    kt, _ = _spread_within_hours(flat, hours, eps_intrahour * sigma[block])
    kt = np.clip(kt, 0.0, knobs.clearsky_index_max)
    day_of_interval = np.minimum(np.floor(hours / 24.0).astype(np.int64), n_days - 1)
    study_days = grid.tz_convert(timezone)
    forcing = daily_forcing(
        list(days.date), knobs.events, study_days[0].date(), study_days[-1].date()
    )
    if forcing.any:
        # After every draw: the days outside the events keep their weather exactly.
        kt = np.clip(
            kt * forcing.clearsky_index_factor[day_of_interval], 0.0, knobs.clearsky_index_max
        )
        daily_index = daily_index * forcing.clearsky_index_factor
    columns = irradiance_from_index(kt, clearsky_ghi, zenith, midpoints)

    # Temperature.
    year_length = np.where(days.is_leap_year, 366.0, 365.0)
    year_fraction = (np.asarray(days.dayofyear) - 0.5) / year_length
    anomaly = _temperature_anomaly(months, eps_anomaly, p)
    heat = _heat_events(months, u_heat_start, u_heat_duration, z_heat_amplitude, p, knobs)
    sun = daily_index - p.daily_clearsky_index_mean[months]
    tmax = (
        daily_normals(year_fraction, p.tmax_normal_c)
        + knobs.temperature_offset_c
        - p.heat_offset_max_c[months]
        + p.temp_anomaly_gain_max[months] * anomaly
        + p.sun_coupling_max_c[months] * sun
        + heat
        + forcing.tmax_raise_c
    )
    tmin = (
        daily_normals(year_fraction, p.tmin_normal_c)
        + knobs.temperature_offset_c
        - p.heat_offset_min_c[months]
        + p.temp_anomaly_gain_min[months] * anomaly
        + p.sun_coupling_min_c[months] * sun
        + p.heat_event_min_share * heat
        + forcing.tmin_raise_c
    )
    tmax = np.maximum(tmax, tmin + MIN_DIURNAL_RANGE_C)
    day_start = 24.0 * np.arange(n_days)
    anchor_t = np.column_stack(
        [day_start + p.temp_min_hour[months], day_start + p.temp_max_hour[months]]
    ).ravel()
    anchor_temp = np.column_stack([tmin, tmax]).ravel()
    exponent = np.column_stack([p.temp_rise_exponent[months], p.temp_fall_exponent[months]]).ravel()
    temperature, position = diurnal_curve(hours, anchor_t, anchor_temp, exponent)
    phi_step = p.temp_hourly_noise_autocorrelation ** (interval_minutes / 60.0)
    temperature = temperature + p.temp_hourly_noise_std_c * noise_envelope(position) * ar1(
        eps_temperature, phi_step
    )

    # Wind.
    phi_wind = p.wind_autocorrelation ** (interval_minutes / 60.0)
    wind = _wind(months[day_of_interval], hours % 24.0, ar1(eps_wind, phi_wind), p)

    frame = pd.DataFrame(
        {
            "temp_air_c": np.clip(temperature, -60.0, 60.0),
            **columns,
            "wind_speed_m_s": wind,
        },
        index=grid,
    )
    return frame[list(COLUMNS)].astype("float64")
