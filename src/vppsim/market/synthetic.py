"""Synthetic 15-min CAISO real-time (FMM) LMP and ancillary-service prices for the LA basin.

The model is a regime-switching price model in the tradition of Janczura & Weron (2010) and
Cartea & Figueroa (2005), written in normal-score (Gaussian copula) form so that every
month's distribution and daily shape follow the real data. It is calibrated (see
:mod:`.fit` and ``benchmarks/fit_market.py``) on a full year of real 15-min FMM prices at
``ALAMT3G_7_B1`` (Alamitos, Long Beach; SCE area, a TH_SP15 member), calendar 2022, and
checked against real Aug 2023 prices at ``MIL1_3_PASGNODE`` (LA) by
:mod:`.calibration`.

Energy price (``lmp``, $/MWh)
    A latent standard-normal process ``X`` is mapped, interval by interval, through the
    real price distribution of its month and local clock hour. Parts:

    * **Seasonal shape by hour, day type and month**: the quantiles of the real prices of
      each month and local hour (the summer evening peak, the spring midday solar trough
      with its negative prices), and shifts of ``X`` by day type (workday vs weekend and
      NERC holiday) and by quarter of the hour (ramps within the hour), fitted as mean
      normal scores.
    * **Negative-price regime**: each month and hour has its own probability of a negative
      price (Mar-May midday common, Jul-Aug almost never); when ``X`` falls in that lower
      tail, the price is drawn from the real distribution of negative prices (a few cents
      to about -$20, renewable curtailment bids). Entered from a low latent value, negative
      prices cluster on low-price days and at midday.
    * **Multi-day level regime**: :data:`N_FACTORS` daily factors, each an AR(1) from day to
      day, with loadings by hour (the principal components of the real daily 24-hour
      profiles of normal scores: the day's overall level, then midday against the evening
      and night, ...), fitted by month with their day-to-day persistence.
    * **Weather (heat)**: the daily maximum temperature's departure from the LA normals
      raises ``X`` (mostly in the afternoon and evening, and mostly in the cooling season),
      so heat events raise evening prices; the variance it adds under typical weather is
      taken out of the level factor, so the monthly distributions stay calibrated.
    * **AR residual at 15 min**: what the factors leave, an AR(1) with Student-t
      innovations (fitted degrees of freedom: heavy-tailed interval-to-interval changes) and
      a variance by month and hour. Mapped through each hour's quantiles, its volatility in
      $ depends on the hour.
    * **Spike regime**: a day is a spike day when a latent (its own day-to-day AR(1), the
      energy regime's day level and the day's heat) exceeds the threshold giving the
      month's share of spike days (fitted, like the persistence of spike days; off-days
      about half as often as workdays). On spike days episodes start with a probability
      by month and hour (fitted: late afternoon and evening, 18-19 h in summer),
      preferably where ``X`` is high; their
      lengths follow the real distribution (mean about 3 intervals, clustered into episodes
      of up to about an hour); the size, a multiple of the cell's median from the real
      spikes, is larger on tighter (hotter) days; prices move smoothly within an episode,
      ramp in and out, never fall below the base price and are capped at
      :data:`PRICE_CAP` ($2,000, the bid cap).
    * **Price level**: positive prices scale with ``level`` (gas prices move the level of
      the whole positive distribution, see :data:`PRICE_LEVELS`); negative prices, set by
      renewable bids, do not scale; spike prices scale with
      ``level ** SPIKE_LEVEL_EXPONENT`` (scarcity prices follow bid caps more than gas).

    The result is clipped to [:data:`PRICE_FLOOR`, :data:`PRICE_CAP`] (the -$150 bid floor
    and the $2,000 cap).

Ancillary services (``spin_price``, ``nonspin_price``, ``regup_price``, ``regdown_price``,
$/MW-h)
    Each is its own lognormal process, not a share of the LMP: an hourly median profile by
    season times ``exp(sigma * Y)``, where ``Y`` is the product's own latent (a day-to-day
    AR(1) plus a 15-min AR(1)), correlated with the energy latent ``X`` by a coupling
    coefficient (positive for spin, non-spin and reg up: tight evening net-load peaks;
    negative for reg down, which is dear at midday when energy is cheap). During energy
    spikes (scarcity), spin, non-spin and reg up jump to scarcity prices drawn from their
    own distributions, increasing with the spike's size. There is no real AS series in the
    shared references, so the medians and spreads are **assumptions** set to the levels in
    CALIBRATION.md (non-spin cents to ~$1; spin a few dollars off-peak; reg up and reg down
    a few dollars to ~$10s, reg down highest at midday solar hours; spin and non-spin jump
    in evening peaks and scarcity); see :data:`AS_PROFILES`. AS prices scale with
    ``level ** AS_LEVEL_EXPONENT``.

Time conventions: hours of the day and days are the local *clock* time of ``timezone``
(prices follow people's clocks), so DST days simply have 92 or 100 intervals. Days are
workdays or off-days (weekends and NERC holidays, the days CAISO treats as off-peak).

Reproducibility: every random array is drawn from the given ``rng`` in a fixed order with
sizes that depend only on the grid, so the same seed and grid give an identical frame.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from functools import cache

import numpy as np
import pandas as pd
from scipy.special import ndtr, ndtri

from vppsim.calendar import LocalCalendar, local_calendar
from vppsim.calibration_file import read_calibration, read_only_arrays
from vppsim.stats import quantile_function
from vppsim.timeseries import ar1, ar1_varying
from vppsim.weather.synthetic import WeatherParameters, daily_normals

# --- Model structure (shared with :mod:`.fit`) ----------------------------------------------

CALIBRATION_YEAR = 2022
"""The year of the real prices the shipped parameters were fitted on (level 1.0)."""
POSITIVE_LEVELS = (
    0.0, 0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5,
    0.6, 0.7, 0.8, 0.85, 0.9, 0.95, 0.975, 0.99, 1.0,
)  # fmt: skip
"""Probability levels of the stored quantiles of the non-negative, non-spike prices."""
NEGATIVE_LEVELS = tuple(np.round(np.linspace(0.0, 1.0, 21), 3).tolist())
"""Probability levels of the stored quantiles of the negative prices (all months pooled)."""
SPIKE_LEVELS = tuple(np.round(np.linspace(0.0, 1.0, 21), 3).tolist())
"""Probability levels of the stored quantiles of the spike prices."""
ANOMALY_LEVELS = tuple(np.round((np.arange(20) + 0.5) / 20, 4).tolist())
"""Probability levels (bin midpoints) of the stored daily-max temperature anomalies."""
SPIKE_RATIO = 2.5
SPIKE_MIN_PRICE = 200.0
"""An interval is a spike when its price exceeds both ``SPIKE_RATIO`` times its month-hour
median and ``SPIKE_MIN_PRICE`` [$/MWh] (the fit's detection rule)."""
N_FACTORS = 4
"""Hourly factors of the multi-day regime (principal components of the daily profiles)."""
MAX_SPIKE_LENGTH = 16
"""Longest spike episode [intervals] in the stored length distribution."""
INTERVAL_MINUTES = 15.0
"""Resolution of the calibration data [min]."""

# --- Documented constants (not fitted) ------------------------------------------------------

PRICE_FLOOR = -150.0
PRICE_CAP = 2000.0
"""CAISO's energy bid floor and hard bid cap [$/MWh]; prices are clipped to them."""
HEAT_LATENT_PER_C = 0.15
"""Shift of the latent ``X`` per degC of daily-max anomaly (at full hour and season weight).
Not fittable on the shared data (no temperature series for 2022 at Alamitos); chosen so that
a +5 degC heat day moves summer evening prices up by about 0.75 of a standard normal score,
from the month's median to roughly its 77th percentile (+25-30 % in August)."""
HEAT_HOUR_WEIGHT = np.array(
    [0.3] * 6 + [0.3, 0.3, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.0, 1.0]
    + [1.0, 1.0, 1.0, 0.8, 0.5, 0.4]
)  # fmt: skip
"""Weight of the heat effect by local hour: the cooling load peaks in the late afternoon and
the net load (load less solar) in the evening."""
COOLING_SEASON_WEIGHT = np.array([0.2, 0.2, 0.2, 0.3, 0.6, 1.0, 1.0, 1.0, 1.0, 0.8, 0.4, 0.2])
"""Weight of the heat effect by month (Jan..Dec): air conditioning drives load in Jun-Oct;
winter warm spells (Santa Ana winds) barely move prices."""
SPIKE_DAY_HEAT_WEIGHT = 0.6
"""Weight of the day's standardised heat anomaly (times the cooling-season weight) in the
spike-day regime's latent: a day 2 standard deviations hotter than normal in August (about
+5 degC) is a spike day with probability ~0.6 instead of the typical ~0.25."""
SPIKE_LATENT_COUPLING = 1.0
"""Within a spike day, log-increase of the start probability per unit of the energy latent
``X`` (the day's expected number of starts is kept): episodes start where prices are
already high, e.g. on the evening ramp."""
SPIKE_DAY_LEVEL_WEIGHT = 0.7
"""Weight of the energy regime's day level (its first factor) in the spike-day latent:
spike days are days of high prices, and they come in runs (e.g. Aug 6-11 and Aug 28-31
2022), as the day level persists."""
SPIKE_SIZE_DAY_WEIGHT = 0.7
"""Correlation of a spike's size rank with how far the day is into the spike-day regime (its
latent's rank above the threshold): the tightest days, e.g. the hottest days of a heat wave
(Sep 5-8 2022, at the cap), have the biggest spikes, and consecutive spike days have spikes
of similar size."""
SPIKE_LEVEL_EXPONENT = 0.3
"""Spike prices scale with ``level ** SPIKE_LEVEL_EXPONENT``: scarcity prices follow bid caps
and scarcity more than gas. At the 2023 level, typical weather gives about 0.4 % of August
intervals above $250 (0-1.9 % across simulated years), between the two 2023 references:
0.17 % at MIL1_3_PASGNODE and 1.54 % of CAISO's FMM DLAP prices (Sep 2023: 0.24 %)."""
SPIKE_JITTER = 0.25
SPIKE_JITTER_AUTOCORRELATION = 0.85
"""Standard deviation of the log price around the episode's price, and its 15-min AR(1)
coefficient (prices move smoothly within an episode)."""
SPIKE_SHOULDER = 0.35
"""The intervals just before and after an episode rise this share of the way from the base
price to the episode's price (scarcity builds and fades over the hour)."""
SPIKE_BASE_FLOOR = 1.2
"""A spike interval is at least this many times the base price."""
AS_LEVEL_EXPONENT = 0.5
"""AS prices scale with ``level ** AS_LEVEL_EXPONENT`` (opportunity costs follow energy
margins only in part)."""

AS_PRODUCTS = ("spin_price", "nonspin_price", "regup_price", "regdown_price")


def _hourly(night: float, morning: float, midday: float, afternoon: float, evening: float):
    """A 24-h profile: 0-5 h night, 6-8 h morning ramp, 9-14 h midday, 15-16 h afternoon,
    17-21 h evening peak, 22-23 h night."""
    return np.array(
        [night] * 6 + [morning] * 3 + [midday] * 6 + [afternoon] * 2 + [evening] * 5 + [night] * 2
    )


AS_PROFILES = {
    # product: (median by hour in Mar-May, Jun-Oct, Nov-Feb [$/MW-h], log std, coupling with
    # the energy latent, scarcity scale [$/MW-h at a $250 spike])
    "spin_price": (
        (_hourly(2.5, 3.5, 1.5, 3.0, 6.0), _hourly(3.0, 4.0, 2.5, 5.0, 10.0),
         _hourly(3.0, 4.0, 2.5, 3.5, 7.0)),
        0.6, 0.45, 25.0,
    ),
    "nonspin_price": (
        (_hourly(0.08, 0.15, 0.05, 0.1, 0.4), _hourly(0.1, 0.2, 0.1, 0.3, 0.8),
         _hourly(0.1, 0.2, 0.08, 0.15, 0.5)),
        1.0, 0.45, 8.0,
    ),
    "regup_price": (
        (_hourly(5.0, 7.0, 4.0, 6.0, 10.0), _hourly(6.0, 8.0, 6.0, 9.0, 15.0),
         _hourly(6.0, 8.0, 5.0, 7.0, 12.0)),
        0.55, 0.4, 30.0,
    ),
    "regdown_price": (
        (_hourly(4.0, 5.0, 12.0, 7.0, 3.0), _hourly(4.0, 4.0, 8.0, 5.0, 3.0),
         _hourly(4.0, 4.5, 8.0, 5.0, 3.0)),
        0.55, -0.3, 0.0,
    ),
}  # fmt: skip
"""Ancillary-service assumptions (no real AS series in the shared references). Medians follow
CALIBRATION.md: non-spin cents to ~$1, spin a few dollars off-peak and higher in the evening,
reg up/down a few dollars to ~$10s, reg down highest at midday solar hours (most in spring).
Seasons: index 0 Mar-May, 1 Jun-Oct, 2 Nov-Feb."""
AS_SEASON = np.array([2, 2, 0, 0, 0, 1, 1, 1, 1, 1, 2, 2])
AS_DAILY_WEIGHT = 0.4
AS_DAILY_AUTOCORRELATION = 0.6
AS_INTERVAL_AUTOCORRELATION = 0.95
"""Own latent of each AS product: variance share of the day-to-day AR(1) component, its lag-1
day autocorrelation, and the 15-min AR(1) coefficient of the rest (assumed)."""
AS_SCARCITY_SPREAD = 0.4
"""Log standard deviation of an AS scarcity price around its scale."""
AS_MAX = 10000.0

# --- Price levels ---------------------------------------------------------------------------

PRICE_LEVELS: dict[int, float] = {
    2019: 0.45,
    2020: 0.40,
    2021: 0.65,
    2022: 1.00,
    2023: 0.47,
    2024: 0.40,
    2025: 0.45,
}
"""Default price level of each year relative to 2022 (the calibration year, December's gas
crisis aside: see :data:`EVENT_LEVELS`). The level multiplies all positive prices."""
PRICE_LEVEL_SOURCES: dict[int, str] = {
    2022: "Calibration year: real FMM prices at ALAMT3G_7_B1 (Jan-Nov 2022 mean about "
    "$75/MWh, cf. CAISO monthly market report: LADWP ELAP FMM average $108.15 in Aug 2022 "
    "vs $108.44 at ALAMT3G_7_B1). Henry Hub 2022 average $6.45/MMBtu (EIA).",
    2023: "Real data: Aug 2023 FMM median at MIL1_3_PASGNODE (LA) $42.5 vs $89.6 at "
    "ALAMT3G_7_B1 in Aug 2022 (ratio 0.47); Sep 18-19 2023 at SANBRDNO_6_GN002 (SCE) median "
    "$33 vs $75.6 in Sep 2022 (0.44). Henry Hub 2023 average $2.53/MMBtu (EIA), down 61 %. "
    "Jan-Feb 2023 (tail of the western gas crisis) ran far higher and are not modelled.",
    2019: "Gas-cost scaling from 2023: Henry Hub 2019 average $2.56/MMBtu (EIA) with a "
    "wider SoCal Citygate premium (Aliso Canyon limits) than in 2023; CAISO DMM put 2019 "
    "wholesale costs near their 2016-2017 levels ($34-42/MWh).",
    2020: "Gas-cost scaling from 2023: Henry Hub 2020 average $2.03/MMBtu (EIA), the lowest "
    "in decades; CAISO prices were low apart from the Aug 2020 heat wave.",
    2021: "Gas-cost scaling: Henry Hub 2021 average $3.89/MMBtu (EIA) with a large SoCal "
    "Citygate premium in the second half; CAISO 2022 system prices 'nearly doubled' from 2021 "
    "(Ascend Analytics, 2023), i.e. 2021 at roughly 0.55-0.65 of 2022.",
    2024: "Gas-cost scaling from 2023: Henry Hub 2024 average $2.19/MMBtu (EIA); CAISO "
    "monthly reports for 2024 note prices below the same months of 2023.",
    2025: "Gas-cost scaling from 2023: Henry Hub 2025 near $3.5/MMBtu (EIA STEO) but SoCal "
    "Citygate mostly at or below Henry Hub in spring 2025 (S&P Global, Jun 2025).",
}
"""Where each default comes from. The 2023 value rests on the real reference data; the other
years scale the 2023 level by the change in marginal gas-plant cost (heat rate about 8.5
MMBtu/MWh on the delivered gas price, plus about $15/MWh of GHG and variable costs) and are
approximate (the EIA and DMM figures could not be re-checked offline)."""


def price_level(year: int) -> float:
    """The default price level of ``year`` relative to 2022 (:data:`PRICE_LEVELS`).

    Years outside the table get the nearest known year's level (before 2019: 2019's; after
    2025: 2025's), i.e. the price level is held flat beyond the sourced years.
    """
    known = sorted(PRICE_LEVELS)
    nearest = min(known, key=lambda y: (abs(y - int(year)), -y))
    return PRICE_LEVELS[nearest]


# --- Parameters -----------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class MarketParameters:
    """Everything the price model needs; arrays are indexed by month 0..11 and local hour.

    ``default()`` loads the fitted values from the shipped ``calibrated.json`` and adds the
    documented constants; keyword overrides replace fields, e.g.
    ``MarketParameters.default(spike_rate=np.zeros(12))``.
    """

    # Base distribution by month and local hour (fitted)
    negative_share: np.ndarray  # (12, 24) probability of a negative (non-spike) price
    positive_quantiles: np.ndarray  # (12, 24, len(POSITIVE_LEVELS)) [$/MWh at level 1]
    negative_quantiles: np.ndarray  # (len(NEGATIVE_LEVELS),) [$/MWh], all months pooled
    workday_shift: np.ndarray  # (12, 24) mean normal score on workdays
    offday_shift: np.ndarray  # (12, 24) mean normal score on weekends and holidays
    quarter_shift: np.ndarray  # (12, 24, 4) mean normal score by quarter of the hour
    # Latent dynamics (fitted)
    factor_loadings: np.ndarray  # (12, N_FACTORS, 24) multi-day regime loadings by hour
    factor_autocorrelation: np.ndarray  # (12, N_FACTORS) lag-1 day autocorrelation
    residual_variance: np.ndarray  # (12, 24) variance of the 15-min residual by hour
    interval_autocorrelation: np.ndarray  # (12,) AR(1) coefficient at 15 min
    innovation_df: float  # Student-t degrees of freedom of the 15-min innovations
    # Spikes (fitted)
    spike_rate: np.ndarray  # (12,) episode starts per interval (typical weather)
    spike_day_share: np.ndarray  # (12,) share of days with spikes (typical weather)
    spike_day_autocorrelation: float  # day-to-day AR(1) of the spike-day regime's latent
    spike_hour_weight: np.ndarray  # (24,) relative start probability by hour (mean 1)
    spike_offday_factor: float  # spike-day probability on off-days relative to the average
    spike_workday_factor: float  # ... on workdays
    spike_length_pmf: np.ndarray  # (MAX_SPIKE_LENGTH,) P(length = 1..MAX) [intervals]
    spike_ratio_quantiles: np.ndarray  # (len(SPIKE_LEVELS),) spike price / reference price
    # Weather climatology of the default synthetic weather (fitted), for the normalisation
    tmax_anomaly_quantiles: np.ndarray  # (12, len(ANOMALY_LEVELS)) [degC]
    # Known months off the yearly level (fitted), e.g. {(2022, 12): 3.5}
    event_levels: dict
    # Documented constants
    heat_latent_per_c: float = HEAT_LATENT_PER_C
    spike_day_heat_weight: float = SPIKE_DAY_HEAT_WEIGHT
    spike_latent_coupling: float = SPIKE_LATENT_COUPLING
    spike_day_level_weight: float = SPIKE_DAY_LEVEL_WEIGHT
    spike_level_exponent: float = SPIKE_LEVEL_EXPONENT
    as_level_exponent: float = AS_LEVEL_EXPONENT

    @classmethod
    def from_calibration(cls, calibration: dict) -> MarketParameters:
        """Build the parameters from a calibration dict (the content of calibrated.json)."""
        about = calibration["about"]
        if (
            about["positive_levels"] != list(POSITIVE_LEVELS)
            or about["negative_levels"] != list(NEGATIVE_LEVELS)
            or about["spike_levels"] != list(SPIKE_LEVELS)
            or about["anomaly_levels"] != list(ANOMALY_LEVELS)
            or about["max_spike_length"] != MAX_SPIKE_LENGTH
            or about["factors"] != N_FACTORS
        ):
            raise ValueError("calibration was fitted for a different model structure")
        base, dyn, spikes = (calibration[k] for k in ("base", "dynamics", "spikes"))
        a = np.asarray
        return cls(
            negative_share=a(base["negative_share"], dtype=float),
            positive_quantiles=a(base["positive_quantiles"], dtype=float),
            negative_quantiles=a(base["negative_quantiles"], dtype=float),
            workday_shift=a(base["workday_shift"], dtype=float),
            offday_shift=a(base["offday_shift"], dtype=float),
            quarter_shift=a(base["quarter_shift"], dtype=float),
            factor_loadings=a(dyn["factor_loadings"], dtype=float),
            factor_autocorrelation=a(dyn["factor_autocorrelation"], dtype=float),
            residual_variance=a(dyn["residual_variance"], dtype=float),
            interval_autocorrelation=a(dyn["interval_autocorrelation"], dtype=float),
            innovation_df=float(dyn["innovation_df"]),
            spike_rate=a(spikes["rate"], dtype=float),
            spike_day_share=a(spikes["day_share"], dtype=float),
            spike_day_autocorrelation=float(spikes["day_autocorrelation"]),
            spike_hour_weight=a(spikes["hour_weight"], dtype=float),
            spike_offday_factor=float(spikes["offday_factor"]),
            spike_workday_factor=float(spikes["workday_factor"]),
            spike_length_pmf=a(spikes["length_pmf"], dtype=float),
            spike_ratio_quantiles=a(spikes["ratio_quantiles"], dtype=float),
            tmax_anomaly_quantiles=a(calibration["weather"]["tmax_anomaly_quantiles"], dtype=float),
            event_levels={
                (int(e["year"]), int(e["month"])): float(e["level"])
                for e in calibration["events"]["levels"]
            },
        )

    @classmethod
    def default(cls, **overrides) -> MarketParameters:
        """The parameters fitted on the 2022 Alamitos prices (calibrated.json), with
        ``overrides`` replacing fields."""
        parameters = _default_parameters()
        return dataclasses.replace(parameters, **overrides) if overrides else parameters


def load_calibration() -> dict:
    """The shipped calibration (calibrated.json next to this module)."""
    return read_calibration("vppsim.market")


@cache
def _default_parameters() -> MarketParameters:
    return read_only_arrays(MarketParameters.from_calibration(load_calibration()))


# --- Weather helper (shared with :mod:`.fit`) -------------------------------------------------


def daily_tmax_anomaly(calendar: LocalCalendar, temperature: np.ndarray | None) -> np.ndarray:
    """Each local day's maximum air temperature less the LA normal for that day [degC].

    The normals are those of the synthetic weather model (LA Downtown/USC, interpolated to
    days). Days without a temperature get 0.
    """
    n_days = len(calendar.days)
    anomaly = np.zeros(n_days)
    if temperature is None or n_days == 0:
        return anomaly
    temp = np.asarray(temperature, dtype=float)
    tmax = np.full(n_days, -np.inf)
    valid = np.isfinite(temp)
    np.maximum.at(tmax, calendar.day[valid], temp[valid])
    days = calendar.days
    year_length = np.where(days.is_leap_year, 366.0, 365.0)
    fraction = (np.asarray(days.dayofyear) - 0.5) / year_length
    normal = daily_normals(fraction, WeatherParameters.default().tmax_normal_c)
    has = np.isfinite(tmax)
    anomaly[has] = tmax[has] - normal[has]
    return anomaly


# --- Model pieces ---------------------------------------------------------------------------


def base_price(
    u: np.ndarray, month: np.ndarray, hour: np.ndarray, p: MarketParameters
) -> np.ndarray:
    """The base-regime price at level 1 for probability ``u`` in a month-hour cell."""
    share = p.negative_share[month, hour]
    negative = u < share
    levels_neg = np.asarray(NEGATIVE_LEVELS)
    levels_pos = np.asarray(POSITIVE_LEVELS)
    u_neg = np.clip(u / np.maximum(share, 1e-12), 0.0, 1.0)
    u_pos = np.clip((u - share) / np.maximum(1.0 - share, 1e-12), 0.0, 1.0)
    neg = np.interp(u_neg, levels_neg, p.negative_quantiles)
    pos = quantile_function(u_pos, p.positive_quantiles[month, hour], levels_pos)
    return np.where(negative, np.minimum(neg, 0.0), pos)


def heat_variance(p: MarketParameters) -> np.ndarray:
    """Variance the heat term adds to the latent under typical weather, (12, 24)."""
    anomaly_var = p.tmax_anomaly_quantiles.var(axis=1)
    weight = p.heat_latent_per_c * COOLING_SEASON_WEIGHT[:, None] * HEAT_HOUR_WEIGHT[None, :]
    return weight**2 * anomaly_var[:, None]


def regime_loadings(p: MarketParameters) -> np.ndarray:
    """The factor loadings with the heat term's variance taken out of the first (level)
    factor, (12, N_FACTORS, 24): under typical weather the latent keeps its variance."""
    loadings = np.array(p.factor_loadings, dtype=float)
    first = loadings[:, 0, :] ** 2
    loadings[:, 0, :] = np.sign(loadings[:, 0, :]) * np.sqrt(
        np.maximum(first - heat_variance(p), 0.3 * first)
    )
    return loadings


def interval_levels(
    calendar: LocalCalendar, p: MarketParameters, level: float | None
) -> np.ndarray:
    """The price level of each interval: ``level`` if given, else the year's default times
    any known event month's level (e.g. the Dec 2022 gas crisis)."""
    if level is not None:
        return np.full(len(calendar.month), float(level))
    years = calendar.year
    unique, index = np.unique(years, return_inverse=True)
    out = np.array([price_level(y) for y in unique.tolist()], dtype=float)[index]
    for (year, month), factor in p.event_levels.items():
        out[(years == year) & (calendar.month == month - 1)] *= factor
    return out


# --- Simulation ------------------------------------------------------------------------------

COLUMNS = ("lmp", *AS_PRODUCTS)


def simulate_prices(
    grid: pd.DatetimeIndex,
    timezone: str,
    weather: pd.DataFrame | None,
    rng: np.random.Generator,
    parameters: MarketParameters | None = None,
    level: float | None = None,
) -> pd.DataFrame:
    """Simulate 15-min real-time LMP and ancillary-service prices on ``grid``.

    Parameters
    ----------
    grid : pandas.DatetimeIndex
        Timezone-aware interval starts (UTC), e.g. from :func:`vppsim.grid.build_grid`; any
        period (any month, any year, several years, DST days). The model is calibrated at
        15 min; other interval lengths rescale the 15-min autocorrelation.
    timezone : str
        IANA zone of the market (``America/Los_Angeles``): hours and days are its local clock.
    weather : pandas.DataFrame or None
        Frame with ``temp_air_c`` [degC] (the synthetic or live weather), indexed like
        ``grid`` (a UTC index is aligned to it; another index of the same length is taken
        row by row); its daily maximum drives the heat effect. ``None`` (or missing values)
        means typical weather (no anomaly).
    rng : numpy.random.Generator
        The only source of randomness; the same seed and grid give an identical frame.
    parameters : MarketParameters, optional
        Defaults to :meth:`MarketParameters.default`.
    level : float, optional
        Multiplies the price level (1.0 = 2022 outside its December gas crisis). ``None``
        uses :func:`price_level` of each interval's year, and the fitted level of known
        event months (Dec 2022).

    Returns
    -------
    pandas.DataFrame
        Index ``grid``; float64 columns ``lmp`` [$/MWh], ``spin_price``, ``nonspin_price``,
        ``regup_price``, ``regdown_price`` [$/MW-h].
    """
    p = MarketParameters.default() if parameters is None else parameters
    if level is not None and not (np.isfinite(level) and level > 0):
        raise ValueError(f"level must be a positive number, not {level!r}")
    grid = pd.DatetimeIndex(grid)
    if grid.tz is None:
        raise ValueError("grid must be timezone-aware (UTC interval starts)")
    n = len(grid)
    if n == 0:
        return pd.DataFrame({c: np.array([], dtype=float) for c in COLUMNS}, index=grid)
    cal = local_calendar(grid, timezone)
    n_days = cal.n_days
    month, day, day_month = cal.month, cal.day, cal.day_month
    step_ratio = cal.interval_minutes / INTERVAL_MINUTES

    temperature = None
    if weather is not None and "temp_air_c" in weather:
        temp = weather["temp_air_c"]
        if temp.index.equals(grid):
            temperature = temp.to_numpy(dtype=float)
        elif isinstance(temp.index, pd.DatetimeIndex) and temp.index.tz is not None:
            temperature = temp.reindex(grid).to_numpy(dtype=float)
        elif len(temp) == n:  # same length, other index: taken row by row
            temperature = temp.to_numpy(dtype=float)
    anomaly = daily_tmax_anomaly(cal, temperature)

    # Random draws, in a fixed order with grid-determined sizes.
    z_factors = rng.standard_normal((n_days, N_FACTORS))
    z_spike_days = rng.standard_normal(n_days)
    t_innovations = rng.standard_t(p.innovation_df, n)
    u_spike_start = rng.random(n)
    u_spike_length = rng.random(n)
    z_spike_price = rng.standard_normal(n)
    z_spike_jitter = rng.standard_normal(n)
    as_draws = {
        name: (rng.standard_normal(n_days), rng.standard_normal(n), rng.standard_normal(n))
        for name in AS_PRODUCTS
    }

    # Latent X: day-type and quarter-hour shifts + heat + multi-day regime + 15-min AR(1).
    hour = cal.hour
    shift = np.where(cal.offday, p.offday_shift[month, hour], p.workday_shift[month, hour])
    shift = shift + p.quarter_shift[month, hour, cal.quarter]
    heat = p.heat_latent_per_c * COOLING_SEASON_WEIGHT[month] * HEAT_HOUR_WEIGHT[hour]
    heat = heat * anomaly[day]
    factors = ar1_varying(z_factors, p.factor_autocorrelation[day_month])  # (n_days, K)
    hourly = np.einsum("dk,dkh->dh", factors, regime_loadings(p)[day_month])  # (n_days, 24)
    # Interpolate the regime between hour midpoints (across midnight too).
    position = day * 24 + cal.clock - 0.5
    regime = np.interp(position, np.arange(n_days * 24, dtype=float), hourly.ravel())
    t_scale = np.sqrt((p.innovation_df - 2.0) / p.innovation_df) if p.innovation_df > 2 else 1.0
    phi = p.interval_autocorrelation[month] ** step_ratio
    residual = ar1_varying(t_innovations * t_scale, phi)
    latent = shift + heat + regime + np.sqrt(p.residual_variance[month, hour]) * residual
    u = np.clip(ndtr(latent), 1e-6, 1.0 - 1e-6)

    # Base regime (with the negative-price regime in the lower tail of each cell).
    levels = interval_levels(cal, p, level)
    base = base_price(u, month, hour, p)
    lmp = np.where(base > 0.0, base * levels, base)

    # Spike regime.
    spiking, spike, edge, shoulder = _spikes(
        cal,
        p,
        anomaly,
        latent,
        factors[:, 0],
        levels,
        z_spike_days,
        u_spike_start,
        u_spike_length,
        z_spike_price,
        z_spike_jitter,
    )
    spike = np.maximum(spike, SPIKE_BASE_FLOOR * np.abs(lmp))
    spike = np.where(edge, 0.5 * (spike + lmp), spike)  # ramp in and out of episodes
    rise = SPIKE_SHOULDER * np.maximum(shoulder - lmp, 0.0)
    lmp = np.where(spiking, spike, np.where(shoulder > 0, lmp + rise, lmp))
    lmp = np.clip(lmp, PRICE_FLOOR, PRICE_CAP)

    columns = {"lmp": lmp}
    for name in AS_PRODUCTS:
        columns[name] = _ancillary(
            name, as_draws[name], cal, latent, levels, spiking, lmp, day_month, step_ratio
        )
    frame = pd.DataFrame(columns, index=grid)
    return frame[list(COLUMNS)].astype("float64")


def _spikes(
    cal: LocalCalendar,
    p: MarketParameters,
    anomaly: np.ndarray,
    latent: np.ndarray,
    level_factor: np.ndarray,
    levels: np.ndarray,
    z_days: np.ndarray,
    u_start: np.ndarray,
    u_length: np.ndarray,
    z_price: np.ndarray,
    z_jitter: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """The spike regime: which intervals spike, their price [$/MWh], the first and last
    intervals of episodes longer than two intervals, and the episode price next to each
    episode (0 elsewhere), towards which the intervals just before and after rise."""
    n = len(u_start)
    month = cal.month
    step_ratio = cal.interval_minutes / INTERVAL_MINUTES
    # Spike days: a day-to-day AR(1) latent mixed with the day's heat, above the threshold
    # that gives the month's share of spike days.
    day_month = cal.day_month
    spread = np.sqrt(np.maximum(p.tmax_anomaly_quantiles.var(axis=1), 1e-6))
    hot = np.clip(anomaly / spread[day_month], -3.0, 3.0)
    c = p.spike_day_heat_weight * COOLING_SEASON_WEIGHT[day_month]
    k = p.spike_day_level_weight
    own = np.sqrt(np.maximum(1.0 - c * c - k * k, 0.0)) * ar1(z_days, p.spike_day_autocorrelation)
    regime = own + c * hot + k * level_factor
    share = np.clip(p.spike_day_share[day_month], 1e-6, 1.0 - 1e-6)
    day_type = np.where(cal.day_offday, p.spike_offday_factor, p.spike_workday_factor)
    day_share = np.clip(share * day_type, 1e-6, 1.0 - 1e-6)
    spike_day = regime > ndtri(1.0 - day_share)
    # Within a spike day, episodes start where the latent is high; the day's expected
    # number of starts is kept.
    hour_weight = p.spike_hour_weight[cal.hour]
    tight = np.exp(p.spike_latent_coupling * np.clip(latent, -4.0, 4.0))
    weighted = np.zeros(len(z_days))
    plain = np.zeros(len(z_days))
    np.add.at(weighted, cal.day, hour_weight * tight)
    np.add.at(plain, cal.day, hour_weight)
    tight = tight * plain[cal.day] / np.maximum(weighted[cal.day], 1e-300)
    hazard = (
        p.spike_rate[month] * step_ratio * hour_weight * tight * spike_day[cal.day] / share[cal.day]
    )
    cdf = np.cumsum(p.spike_length_pmf) / np.sum(p.spike_length_pmf)
    lengths = np.searchsorted(cdf, u_length, side="right") + 1
    lengths = np.maximum(1, np.ceil(np.minimum(lengths, MAX_SPIKE_LENGTH) / step_ratio))
    depth = (ndtr(regime) - (1.0 - day_share)) / day_share  # rank within spike days, 0..1
    z_depth = ndtri(np.clip(depth, 1e-6, 1.0 - 1e-6))
    c = SPIKE_SIZE_DAY_WEIGHT
    z_size = np.sqrt(1.0 - c * c) * z_price + c * z_depth[cal.day]
    ratio = np.interp(ndtr(z_size), np.asarray(SPIKE_LEVELS), p.spike_ratio_quantiles)
    median_level = POSITIVE_LEVELS.index(0.5)
    reference = np.maximum(
        p.positive_quantiles[month, cal.hour, median_level], SPIKE_MIN_PRICE / SPIKE_RATIO
    )
    episode_price = ratio * reference
    spiking = np.zeros(n, dtype=bool)
    edge = np.zeros(n, dtype=bool)
    price = np.zeros(n)
    shoulder = np.zeros(n)
    busy_until = -1
    for t in np.flatnonzero(u_start < hazard).tolist():
        if t <= busy_until:
            continue
        end = min(n, t + int(lengths[t]))
        spiking[t:end] = True
        price[t:end] = episode_price[t]
        if end - t > 2:
            edge[t] = edge[end - 1] = True
        if t > 0 and not spiking[t - 1]:
            shoulder[t - 1] = episode_price[t]
        if end < n:
            shoulder[end] = episode_price[t]
        busy_until = end - 1
    jitter = ar1(z_jitter, SPIKE_JITTER_AUTOCORRELATION**step_ratio)
    jitter = np.exp(SPIKE_JITTER * jitter - SPIKE_JITTER**2 / 2.0)
    scale = levels**p.spike_level_exponent
    price = price * jitter * scale
    shoulder = np.where(spiking, 0.0, shoulder * scale)
    return spiking, np.minimum(price, PRICE_CAP), edge, np.minimum(shoulder, PRICE_CAP)


def _ancillary(
    name: str,
    draws: tuple[np.ndarray, np.ndarray, np.ndarray],
    cal: LocalCalendar,
    energy_latent: np.ndarray,
    levels: np.ndarray,
    spiking: np.ndarray,
    lmp: np.ndarray,
    day_month: np.ndarray,
    step_ratio: float,
) -> np.ndarray:
    """One ancillary-service price [$/MW-h]: its own lognormal process, coupled to the energy
    latent, jumping to scarcity prices during energy spikes."""
    profiles, sigma, coupling, scarcity_scale = AS_PROFILES[name]
    z_day, z_interval, z_scarcity = draws
    table = np.stack(profiles)  # (3, 24)
    median = table[AS_SEASON[cal.month], cal.hour]
    own = np.sqrt(AS_DAILY_WEIGHT) * ar1(z_day, AS_DAILY_AUTOCORRELATION)[cal.day]
    own = own + np.sqrt(1.0 - AS_DAILY_WEIGHT) * ar1(
        z_interval, AS_INTERVAL_AUTOCORRELATION**step_ratio
    )
    energy = np.clip(energy_latent, -4.0, 4.0)
    latent = coupling * energy + np.sqrt(1.0 - coupling**2) * own
    price = levels**AS_LEVEL_EXPONENT * median * np.exp(sigma * latent - sigma**2 / 2.0)
    if scarcity_scale > 0:
        size = np.maximum(lmp, 0.0) / 250.0
        scarcity = (
            scarcity_scale
            * size**0.8
            * np.exp(AS_SCARCITY_SPREAD * z_scarcity - AS_SCARCITY_SPREAD**2 / 2.0)
        )
        price = np.where(spiking, np.maximum(price, scarcity), price)
    return np.clip(price, 0.0, AS_MAX)
