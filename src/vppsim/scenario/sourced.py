"""The magnitudes of the named scenarios, measured on the real reference data.

Each scenario of issue 14 is modelled on a real event; this module measures how large that
event was in the references (``../shared/reference``, described in its README), so the
scenario presets can be set to real figures and cite them. Pure functions (series and frames
in, small frozen results out); the only I/O is :func:`load_reference`, which reuses the
project's readers (:mod:`vppsim.system.reference`, :mod:`vppsim.market.evaluation`).
``benchmarks/fit_scenarios.py`` prints every figure with its unit and source.

The events and the sources:

* heat-wave: CAISO's 31 Aug - 9 Sep 2022 heat wave; record peak 52,061 MW on 6 Sep 2022
  (CAISO, published peak demand records, 2022; EIA-930's hourly CISO demand tops out at
  51,104 MW that hour, about 2 % below). Measured on EIA-930 CISO hourly demand
  (EIA, Hourly Electric Grid Monitor, form EIA-930, balancing area CISO, 2022) and on CAISO
  OASIS FMM (``PRC_RTPD_LMP``) 15-min LMP at ``ALAMT3G_7_B1`` (Alamitos, SP15), 2022.
* peak-demand: the annual system peak of a typical year (2022 and 2023, EIA-930); CAISO
  published 44,534 MW for 2023 (CAISO, published annual peaks; 43,982 MW in 2021); EIA-930
  gives 44,007 MW, the hour starting 18:00 on 16 Aug 2023.
* gas-crisis: the Dec 2022 western gas-price crisis (SoCal Citygate daily peak $49.67/MMBtu
  on 13 Dec 2022, reference README). Measured on EIA series N3045CA3, the monthly price
  California power plants paid (EIA, Natural Gas Prices, "Price of Natural Gas Delivered to
  Electric Power Consumers in California", https://www.eia.gov/dnav/ng/hist/n3045ca3m.htm),
  and on the Alamitos FMM prices; CAISO reported 43.23 % of FMM DLAP prices above $250/MWh
  in Dec 2022 (CAISO, "Monthly Market Performance Report December 2022",
  http://www.caiso.com/MonthlyMarketPerformanceReports/dec-2022/market-performance-metrics.html).
* high-volatility: the distribution over months of CAISO's published monthly shares of FMM
  DLAP prices above $250/MWh and below $0 (CAISO monthly market performance reports
  2021-2025, one URL per row in ``caiso_fmm_dlap_spike_negative_share_monthly.csv``).
* low-solar: the worst spells of SP15 utility-scale solar actuals (CAISO OASIS
  ``SLD_REN_FCST``, ``act_SP15_solar``, 2022-2023) against the month's clear-day level.
  See :func:`low_solar` for the dates and what is known of them.

Days are Pacific local days (``America/Los_Angeles``) throughout.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, fields
from pathlib import Path

import numpy as np
import pandas as pd

from vppsim.calendar import CAISO_TIMEZONE
from vppsim.market import evaluation
from vppsim.system import reference as ref

# --- The events -------------------------------------------------------------------------------

Span = tuple[dt.date, dt.date]
"""An inclusive span of local days (first, last)."""

HEAT_WAVE_2022: Span = (dt.date(2022, 8, 31), dt.date(2022, 9, 9))
"""CAISO's Sep 2022 heat wave, 31 Aug - 9 Sep 2022 (CAISO, 2022: Flex Alerts through the
period, record 52,061 MW on 6 Sep)."""
HEAT_WAVE_2022_REFERENCE: tuple[Span, ...] = (
    (dt.date(2022, 8, 1), dt.date(2022, 8, 30)),
    (dt.date(2022, 9, 10), dt.date(2022, 9, 30)),
)
"""The reference days of the heat wave: the rest of Aug 2022 and 10-30 Sep 2022."""
GAS_CRISIS_MONTHS = (pd.Period("2022-12", "M"), pd.Period("2023-01", "M"))
"""Months of the Dec 2022 western gas-price crisis (left out of the volatility figures)."""
SOLAR_YEARS = (2022, 2023)
"""Years of the low-solar spells (the hub file covers Dec 2021 - Dec 2023)."""
SOLAR_COLUMN = "act_SP15_solar"
"""SP15 (Southern California) utility-scale solar actuals, CAISO ``SLD_REN_FCST``."""

FULL_YEAR_HOURS = 8700
"""A local year with this many valid hours of demand counts as whole [h]."""
MIN_DAY_HOURS = 20
"""A local day needs this many valid hours for its demand peak and mean [h]."""
MIN_SOLAR_DAY_HOURS = 23
"""A local day needs this many valid hours for its solar energy [h] (23: the spring DST day);
a missing daylight hour would otherwise look like a cloudy day."""


def _mask(days: pd.DatetimeIndex, spans: tuple[Span, ...]) -> np.ndarray:
    """Which ``days`` (naive local midnights) fall in any of the inclusive ``spans``."""
    inside = np.zeros(len(days), dtype=bool)
    for first, last in spans:
        inside |= (days >= pd.Timestamp(first)) & (days <= pd.Timestamp(last))
    return inside


def _local_days(index: pd.DatetimeIndex, timezone: str) -> pd.DatetimeIndex:
    return pd.DatetimeIndex(index).tz_convert(timezone).tz_localize(None).normalize()


# --- Daily aggregates -------------------------------------------------------------------------


def daily_figures(
    hourly: pd.Series, min_hours: int, timezone: str = CAISO_TIMEZONE
) -> pd.DataFrame:
    """Daily peak, mean and energy of an hourly power series, by local day.

    Parameters
    ----------
    hourly : pandas.Series
        Hourly mean power [MW] indexed by timezone-aware hour starts; NaN for missing hours.
    min_hours : int
        Days with fewer valid hours are NaN [h] (:data:`MIN_DAY_HOURS` for demand,
        :data:`MIN_SOLAR_DAY_HOURS` for solar).
    timezone : str
        Zone of the local days.

    Returns
    -------
    pandas.DataFrame
        Index ``date`` (naive local midnights); columns ``peak_mw``, ``mean_mw`` [MW] and
        ``energy_mwh`` [MWh].
    """
    days = _local_days(hourly.index, timezone)
    grouped = pd.Series(hourly.to_numpy(float), index=days).groupby(level=0)
    out = pd.DataFrame(
        {"peak_mw": grouped.max(), "mean_mw": grouped.mean(), "energy_mwh": grouped.sum()}
    )
    out[grouped.count() < min_hours] = np.nan
    out.index.name = "date"
    return out


def monthly_price_figures(prices: pd.Series, timezone: str = CAISO_TIMEZONE) -> pd.DataFrame:
    """Mean price and the shares of the two tails per local calendar month.

    Parameters
    ----------
    prices : pandas.Series
        Prices [$/MWh] indexed by timezone-aware interval starts.
    timezone : str
        Zone of the local months.

    Returns
    -------
    pandas.DataFrame
        Index ``month`` (``Period``); columns ``mean`` [$/MWh], ``above $250 %`` and
        ``negative %`` [%] (:func:`vppsim.market.evaluation.period_shares`).
    """
    months = pd.DatetimeIndex(prices.index).tz_convert(timezone).tz_localize(None).to_period("M")
    mean = pd.Series(prices.to_numpy(float), index=months).groupby(level=0).mean()
    table = evaluation.period_shares(prices, timezone)
    table.insert(0, "mean", mean.reindex(table.index).to_numpy())
    return table


# --- Heat wave --------------------------------------------------------------------------------


@dataclass(frozen=True)
class DemandContrast:
    """An event's daily demand against its reference days.

    Attributes
    ----------
    event_mean_daily_peak_mw, reference_mean_daily_peak_mw : float
        Mean of the daily peaks [MW].
    peak_ratio : float
        Event over reference mean daily peak [1].
    peak_difference_mw : float
        Event less reference mean daily peak [MW].
    event_max_mw : float
        The event's highest hourly demand [MW].
    event_max_date : datetime.date
        Local day of that hour.
    event_mean_daily_mean_mw, reference_mean_daily_mean_mw : float
        Mean of the daily means [MW].
    mean_ratio : float
        Event over reference mean daily mean [1].
    mean_difference_mw : float
        Event less reference mean daily mean [MW].
    """

    event_mean_daily_peak_mw: float
    reference_mean_daily_peak_mw: float
    peak_ratio: float
    peak_difference_mw: float
    event_max_mw: float
    event_max_date: dt.date
    event_mean_daily_mean_mw: float
    reference_mean_daily_mean_mw: float
    mean_ratio: float
    mean_difference_mw: float


def demand_contrast(
    daily: pd.DataFrame, event: Span, reference: tuple[Span, ...]
) -> DemandContrast:
    """Contrast the event's days with the reference days.

    Parameters
    ----------
    daily : pandas.DataFrame
        :func:`daily_figures`.
    event : Span
        The event's first and last local day.
    reference : tuple of Span
        The reference days.

    Returns
    -------
    DemandContrast
    """
    days = pd.DatetimeIndex(daily.index)
    on = daily[_mask(days, (event,))]
    off = daily[_mask(days, reference)]
    peak_on, peak_off = float(on["peak_mw"].mean()), float(off["peak_mw"].mean())
    mean_on, mean_off = float(on["mean_mw"].mean()), float(off["mean_mw"].mean())
    return DemandContrast(
        event_mean_daily_peak_mw=peak_on,
        reference_mean_daily_peak_mw=peak_off,
        peak_ratio=peak_on / peak_off,
        peak_difference_mw=peak_on - peak_off,
        event_max_mw=float(on["peak_mw"].max()),
        event_max_date=on["peak_mw"].idxmax().date(),
        event_mean_daily_mean_mw=mean_on,
        reference_mean_daily_mean_mw=mean_off,
        mean_ratio=mean_on / mean_off,
        mean_difference_mw=mean_on - mean_off,
    )


@dataclass(frozen=True)
class PriceContrast:
    """An event's real-time prices against its reference days.

    Attributes
    ----------
    event_mean_usd_per_mwh, reference_mean_usd_per_mwh : float
        Mean price [$/MWh].
    event_above_250_pct, reference_above_250_pct : float
        Share of intervals above $250/MWh [%].
    event_negative_pct, reference_negative_pct : float
        Share of intervals below $0/MWh [%].
    """

    event_mean_usd_per_mwh: float
    reference_mean_usd_per_mwh: float
    event_above_250_pct: float
    reference_above_250_pct: float
    event_negative_pct: float
    reference_negative_pct: float


def price_contrast(
    prices: pd.Series,
    event: Span,
    reference: tuple[Span, ...],
    timezone: str = CAISO_TIMEZONE,
) -> PriceContrast:
    """Contrast the prices of the event's local days with those of the reference days.

    Parameters
    ----------
    prices : pandas.Series
        Prices [$/MWh] indexed by timezone-aware interval starts.
    event, reference : Span, tuple of Span
        As in :func:`demand_contrast`.
    timezone : str
        Zone of the local days.

    Returns
    -------
    PriceContrast
    """
    days = _local_days(prices.index, timezone)
    x = prices.to_numpy(float)
    on = evaluation.distribution_figures(x[_mask(days, (event,))])
    off = evaluation.distribution_figures(x[_mask(days, reference)])
    return PriceContrast(
        event_mean_usd_per_mwh=on["mean"],
        reference_mean_usd_per_mwh=off["mean"],
        event_above_250_pct=on["above $250 %"],
        reference_above_250_pct=off["above $250 %"],
        event_negative_pct=on["negative %"],
        reference_negative_pct=off["negative %"],
    )


def uplift_profile(daily: pd.DataFrame, days: Span, reference: tuple[Span, ...]) -> pd.DataFrame:
    """Day-by-day demand over the reference days' means.

    Parameters
    ----------
    daily : pandas.DataFrame
        :func:`daily_figures`.
    days : Span
        The days to list (the event, with a margin to see it build up and fade).
    reference : tuple of Span
        The reference days.

    Returns
    -------
    pandas.DataFrame
        One row per day of ``days`` (index ``date``): ``peak_mw``, ``mean_mw`` [MW],
        ``peak_uplift_pct`` and ``mean_uplift_pct`` (over the reference days' mean daily
        peak and mean daily mean) [%].
    """
    index = pd.DatetimeIndex(daily.index)
    off = daily[_mask(index, reference)]
    out = daily[_mask(index, (days,))].copy()
    out["peak_uplift_pct"] = 100.0 * (out["peak_mw"] / off["peak_mw"].mean() - 1.0)
    out["mean_uplift_pct"] = 100.0 * (out["mean_mw"] / off["mean_mw"].mean() - 1.0)
    return out


def ramp_days(uplift: np.ndarray, fraction: float = 0.5) -> tuple[int, int]:
    """Days an event takes to build up and to fade.

    The plateau runs from the first to the last day at ``fraction`` of the maximum uplift
    or more; a ramp day is a day of positive uplift below that, next to the plateau (the
    days in a row just before its first day, and just after its last).

    Parameters
    ----------
    uplift : numpy.ndarray
        Daily uplift, in order, the event with a margin of days on each side (any unit; the
        maximum must be positive).
    fraction : float
        Share of the maximum uplift from which a day is on the plateau [1].

    Returns
    -------
    tuple of int
        Ramp days before the plateau and after it [d].
    """
    u = np.asarray(uplift, dtype=float)
    plateau = np.flatnonzero(u >= fraction * np.nanmax(u))
    ramp = u > 0

    def run(days: np.ndarray) -> int:
        # Consecutive ramp days walking away from the plateau.
        stops = np.flatnonzero(~days)
        return int(stops[0]) if len(stops) else len(days)

    return run(ramp[: plateau[0]][::-1]), run(ramp[plateau[-1] + 1 :])


HEAT_WAVE_MARGIN_DAYS = 3
"""Days listed before and after the heat wave in its profile [d]."""


@dataclass(frozen=True, eq=False)
class HeatWave:
    """The heat wave's magnitudes (:func:`heat_wave`).

    Attributes
    ----------
    demand : DemandContrast
    price : PriceContrast
    profile : pandas.DataFrame
        :func:`uplift_profile` of the event and ``margin_days`` on each side, plus
        ``in_event`` (bool).
    ramp_up_days, ramp_down_days : int
        :func:`ramp_days` of the profile's daily peak uplift (plateau from half of the
        maximum) [d].
    """

    demand: DemandContrast
    price: PriceContrast
    profile: pd.DataFrame
    ramp_up_days: int
    ramp_down_days: int


def heat_wave(
    demand: pd.Series,
    prices: pd.Series,
    event: Span = HEAT_WAVE_2022,
    reference: tuple[Span, ...] = HEAT_WAVE_2022_REFERENCE,
    margin_days: int = HEAT_WAVE_MARGIN_DAYS,
    timezone: str = CAISO_TIMEZONE,
) -> HeatWave:
    """Measure a heat wave on hourly demand [MW] and 15-min prices [$/MWh] (both indexed by
    timezone-aware interval starts); defaults: the Sep 2022 CAISO heat wave, whose days
    around it are listed ``margin_days`` [d] on each side."""
    daily = daily_figures(demand, MIN_DAY_HOURS, timezone)
    margin = dt.timedelta(days=margin_days)
    profile = uplift_profile(daily, (event[0] - margin, event[1] + margin), reference)
    profile["in_event"] = _mask(pd.DatetimeIndex(profile.index), (event,))
    up, down = ramp_days(profile["peak_uplift_pct"].to_numpy())
    return HeatWave(
        demand=demand_contrast(daily, event, reference),
        price=price_contrast(prices, event, reference, timezone),
        profile=profile,
        ramp_up_days=up,
        ramp_down_days=down,
    )


# --- Peak demand ------------------------------------------------------------------------------


@dataclass(frozen=True)
class AnnualPeak:
    """A year's system peak and the days around it.

    Attributes
    ----------
    year : int
    peak_mw : float
        Highest hourly demand of the local year [MW].
    peak_hour : pandas.Timestamp
        Local start of that hour.
    window_mean_daily_peak_mw : float
        Mean daily peak of the days centred on the peak day (``window_days``) [MW].
    month_mean_daily_peak_mw : float
        Mean daily peak of the peak's calendar month [MW].
    window_over_month : float
        The two above's ratio [1].
    august_mean_daily_peak_mw : float
        Mean daily peak of August of that year [MW].
    peak_over_august : float
        ``peak_mw`` over ``august_mean_daily_peak_mw`` [1].
    """

    year: int
    peak_mw: float
    peak_hour: pd.Timestamp
    window_mean_daily_peak_mw: float
    month_mean_daily_peak_mw: float
    window_over_month: float
    august_mean_daily_peak_mw: float
    peak_over_august: float


def annual_peak(
    demand: pd.Series, year: int, window_days: int = 3, timezone: str = CAISO_TIMEZONE
) -> AnnualPeak:
    """The system peak of a local year and how far it stands above its month.

    Parameters
    ----------
    demand : pandas.Series
        Hourly demand [MW] indexed by timezone-aware hour starts.
    year : int
        Local calendar year.
    window_days : int
        Days of the window centred on the peak day (odd) [d].
    timezone : str
        Zone of the local year, months and days.

    Returns
    -------
    AnnualPeak
    """
    local = pd.Series(
        demand.to_numpy(float), index=pd.DatetimeIndex(demand.index).tz_convert(timezone)
    )
    hour = local[local.index.year == year].idxmax()
    daily = daily_figures(demand, MIN_DAY_HOURS, timezone)["peak_mw"]
    day = pd.Timestamp(hour.date())
    half = pd.Timedelta(days=window_days // 2)
    window = daily[(daily.index >= day - half) & (daily.index <= day + half)].mean()
    month = daily[(daily.index.year == year) & (daily.index.month == day.month)].mean()
    august = daily[(daily.index.year == year) & (daily.index.month == 8)].mean()
    peak = float(local[hour])
    return AnnualPeak(
        year=year,
        peak_mw=peak,
        peak_hour=hour,
        window_mean_daily_peak_mw=float(window),
        month_mean_daily_peak_mw=float(month),
        window_over_month=float(window / month),
        august_mean_daily_peak_mw=float(august),
        peak_over_august=peak / float(august),
    )


# --- Gas crisis -------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class GasCrisis:
    """The Dec 2022 gas crisis in the monthly gas price and the real-time prices.

    Attributes
    ----------
    gas_usd_per_mmbtu : pandas.Series
        Power plants' gas price [$/MMBtu] of Dec 2022, Jan 2023 and Aug 2023, and ``2023
        mean`` (the mean of 2023's months).
    dec_over_aug, jan_over_aug : float
        Dec 2022 and Jan 2023 over Aug 2023 [1].
    dec_over_2023, jan_over_2023 : float
        Dec 2022 and Jan 2023 over the 2023 mean [1].
    fmm : pandas.DataFrame
        :func:`monthly_price_figures` of Aug, Nov and Dec 2022.
    published_dec_above_250_pct : float
        CAISO's published share of FMM DLAP prices above $250/MWh in Dec 2022 [%].
    """

    gas_usd_per_mmbtu: pd.Series
    dec_over_aug: float
    jan_over_aug: float
    dec_over_2023: float
    jan_over_2023: float
    fmm: pd.DataFrame
    published_dec_above_250_pct: float


def gas_crisis(gas: pd.Series, prices: pd.Series, published: pd.DataFrame) -> GasCrisis:
    """Measure the Dec 2022 gas crisis.

    Parameters
    ----------
    gas : pandas.Series
        Monthly gas price [$/MMBtu] indexed by ``Period`` months
        (:func:`vppsim.system.reference.read_gas_monthly`).
    prices : pandas.Series
        15-min prices of 2022 [$/MWh] indexed by timezone-aware interval starts.
    published : pandas.DataFrame
        :func:`vppsim.market.evaluation.read_published_shares`.

    Returns
    -------
    GasCrisis
    """
    month = pd.Period
    dec, jan, aug = (float(gas[month(m, "M")]) for m in ("2022-12", "2023-01", "2023-08"))
    mean_2023 = float(gas[gas.index.year == 2023].mean())
    months = [month(m, "M") for m in ("2022-08", "2022-11", "2022-12")]
    return GasCrisis(
        gas_usd_per_mmbtu=pd.Series(
            [dec, jan, aug, mean_2023], index=["2022-12", "2023-01", "2023-08", "2023 mean"]
        ),
        dec_over_aug=dec / aug,
        jan_over_aug=jan / aug,
        dec_over_2023=dec / mean_2023,
        jan_over_2023=jan / mean_2023,
        fmm=monthly_price_figures(prices).reindex(months),
        published_dec_above_250_pct=float(published.loc[months[-1], "above $250 %"]),
    )


# --- High volatility --------------------------------------------------------------------------


@dataclass(frozen=True)
class TailDistribution:
    """The distribution over months of one tail's monthly share.

    Attributes
    ----------
    months : int
        Months counted.
    median_pct, p90_pct, max_pct : float
        Median, 90th percentile (linear interpolation) and maximum of the monthly share [%].
    max_month : str
        The month of the maximum (``YYYY-MM``).
    """

    months: int
    median_pct: float
    p90_pct: float
    max_pct: float
    max_month: str


def tail_distribution(shares: pd.Series) -> TailDistribution:
    """:class:`TailDistribution` of monthly shares [%] indexed by month (NaN months skipped)."""
    s = shares.dropna()
    return TailDistribution(
        months=len(s),
        median_pct=float(np.median(s)),
        p90_pct=float(np.percentile(s, 90)),
        max_pct=float(s.max()),
        max_month=str(s.idxmax()),
    )


@dataclass(frozen=True, eq=False)
class Volatility:
    """Both tails' monthly shares: CAISO's published FMM DLAP figures and one node's.

    Attributes
    ----------
    above_250, negative : TailDistribution
        Published shares above $250/MWh and below $0, gas-crisis months left out.
    node_above_250, node_negative : TailDistribution
        The same for the node's FMM prices (gas-crisis months left out).
    node_months : pandas.DataFrame
        :func:`monthly_price_figures` of the node, every month.
    excluded : tuple of str
        The months left out.
    """

    above_250: TailDistribution
    negative: TailDistribution
    node_above_250: TailDistribution
    node_negative: TailDistribution
    node_months: pd.DataFrame
    excluded: tuple[str, ...]


def volatility(
    published: pd.DataFrame,
    prices: pd.Series,
    exclude: tuple[pd.Period, ...] = GAS_CRISIS_MONTHS,
    timezone: str = CAISO_TIMEZONE,
) -> Volatility:
    """The monthly distribution of both price tails, without the gas-crisis months.

    Parameters
    ----------
    published : pandas.DataFrame
        :func:`vppsim.market.evaluation.read_published_shares`.
    prices : pandas.Series
        A node's 15-min prices [$/MWh] indexed by timezone-aware interval starts.
    exclude : tuple of pandas.Period
        Months left out (a different regime, the gas-crisis scenario's).
    timezone : str
        Zone of the node's local months.

    Returns
    -------
    Volatility
    """
    kept = published[~published.index.isin(exclude)]
    node = monthly_price_figures(prices, timezone)
    node_kept = node[~node.index.isin(exclude)]
    return Volatility(
        above_250=tail_distribution(kept["above $250 %"]),
        negative=tail_distribution(kept["negative %"]),
        node_above_250=tail_distribution(node_kept["above $250 %"]),
        node_negative=tail_distribution(node_kept["negative %"]),
        node_months=node,
        excluded=tuple(str(m) for m in exclude),
    )


# --- Low solar --------------------------------------------------------------------------------


def run_means(values: np.ndarray, length: int) -> np.ndarray:
    """Means of every run of ``length`` consecutive values.

    Parameters
    ----------
    values : numpy.ndarray
        1-D values; a run holding a NaN has a NaN mean.
    length : int
        Run length (at least 1).

    Returns
    -------
    numpy.ndarray
        ``len(values) - length + 1`` means (empty when ``values`` is shorter), the run
        starting at index ``i`` at ``i``.
    """
    x = np.asarray(values, dtype=float)
    if len(x) < length:
        return np.empty(0)
    return np.lib.stride_tricks.sliding_window_view(x, length).mean(axis=1)


def worst_run(values: np.ndarray, length: int) -> tuple[int, float]:
    """The run of ``length`` consecutive values with the lowest mean.

    Returns
    -------
    tuple
        Start index and mean of the first lowest run; ``(-1, nan)`` when no run is free of
        NaN.
    """
    means = run_means(values, length)
    if not np.isfinite(means).any():
        return -1, float("nan")
    start = int(np.nanargmin(means))
    return start, float(means[start])


def monthly_worst_runs(daily: pd.Series, length: int, quantile: float = 0.9) -> pd.DataFrame:
    """Each month's worst run of days against the month's clear-day level.

    Parameters
    ----------
    daily : pandas.Series
        Daily energy [MWh] indexed by naive local dates (``energy_mwh`` of :func:`daily_figures`).
    length : int
        Run length [d]; runs stay inside their month.
    quantile : float
        The clear-day level is this quantile of the month's daily energy [1].

    Returns
    -------
    pandas.DataFrame
        Index ``month`` (``Period``); columns ``first`` and ``last`` (dates of the run),
        ``ratio`` (the run's mean daily energy over the clear-day level) [1] and
        ``clear_day_mwh`` [MWh]. Months without a complete run are left out.
    """
    rows = {}
    dates = pd.DatetimeIndex(daily.index)
    for month, part in daily.groupby(dates.to_period("M")):
        clear = float(np.nanquantile(part.to_numpy(float), quantile))
        start, mean = worst_run(part.to_numpy(float), length)
        if start < 0:
            continue
        rows[month] = {
            "first": part.index[start].date(),
            "last": part.index[start + length - 1].date(),
            "ratio": mean / clear,
            "clear_day_mwh": clear,
        }
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index.name = "month"
    return table


@dataclass(frozen=True, eq=False)
class LowSolar:
    """The worst solar spells (:func:`low_solar`).

    Attributes
    ----------
    runs : dict of int to pandas.DataFrame
        :func:`monthly_worst_runs` by run length [d], sorted by ``ratio`` (worst first).
    median_ratio : dict of int to float
        Median over months of the monthly worst run's ratio [1]: a typical month's worst
        spell.
    """

    runs: dict[int, pd.DataFrame]
    median_ratio: dict[int, float]


def low_solar(
    daily: pd.Series, lengths: tuple[int, ...] = (3, 5, 7), quantile: float = 0.9
) -> LowSolar:
    """The worst runs of 3, 5 and 7 days of each month against its clear-day level.

    On SP15 solar 2022-2023 (``benchmarks/fit_scenarios.py``) the worst spells are, with
    the weather known to have caused them:

    * 13-15 Jan 2023 (3 days at 0.31 of the month's p90 day; 9-15 Jan at 0.43): the Dec
      2022 - Jan 2023 series of atmospheric rivers over California (NWS; the 9 Jan 2023
      storm forced the Montecito evacuation). 25-31 Dec 2022 (0.60 over 7 days) is the
      start of that series.
    * 19-21 Aug 2023 (0.38 over 3 days): the remnants of Hurricane Hilary over Southern
      California on 20 Aug 2023 (NHC; the first tropical-storm watch ever issued there).
      The worst spell outside winter.
    * 8-10 Sep 2022 (0.46 over 3 days): the remnants of Hurricane Kay over Southern
      California on 9-10 Sep 2022 (NWS San Diego), which also ended the heat wave.
    * 23-25 Feb 2023 (0.58): the late-Feb 2023 winter storm (NWS; blizzard warnings for
      Southern California's mountains).
    * 13-15 Jan 2022, 16-22 Dec 2023, 1-3 Apr 2023, 19-21 Mar 2023: unattributed.

    SP15's utility-scale solar is mostly inland and in the desert, so the coastal marine
    layer ("June Gloom", notably persistent in May-Jun 2023) does not show here (Jun 2023's
    worst 3 days: 0.78, a typical month); it dims coastal rooftop PV, which the hub data
    do not measure.

    Parameters
    ----------
    daily : pandas.Series
        Daily energy [MWh] indexed by naive local dates.
    lengths : tuple of int
        Run lengths [d].
    quantile : float
        Quantile of the month's daily energy taken as its clear-day level [1].

    Returns
    -------
    LowSolar
    """
    runs = {n: monthly_worst_runs(daily, n, quantile).sort_values("ratio") for n in lengths}
    return LowSolar(
        runs=runs, median_ratio={n: float(table["ratio"].median()) for n, table in runs.items()}
    )


# --- Loading (the only I/O) -------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class ReferenceSeries:
    """The real series the scenarios are measured on.

    Attributes
    ----------
    demand : pandas.Series
        EIA-930 CISO hourly demand 2022-2023 [MW] by UTC hour start.
    fmm : pandas.Series
        FMM 15-min LMP at ``ALAMT3G_7_B1``, 2022 [$/MWh] by UTC interval start.
    gas : pandas.Series
        Power plants' monthly gas price [$/MMBtu] by ``Period`` month.
    published : pandas.DataFrame
        CAISO's published monthly FMM DLAP tail shares.
    solar : pandas.Series
        SP15 solar actuals [MW] by UTC hour start, :data:`SOLAR_YEARS` (local) only.
    """

    demand: pd.Series
    fmm: pd.Series
    gas: pd.Series
    published: pd.DataFrame
    solar: pd.Series


SOURCES = {
    "demand": ref.EIA930_DEMAND_FILE,
    "fmm": Path("market") / evaluation.ALAMITOS_FILE,
    "gas": ref.ELECTRIC_POWER_GAS_FILE,
    "published": Path("market") / evaluation.PUBLISHED_SHARES_FILE,
    "solar": ref.HUB_RENEWABLES_FILE,
}
"""Each series' file under the reference folder."""


def load_reference(reference: Path) -> ReferenceSeries:
    """Read the series of :class:`ReferenceSeries` from the reference folder.

    Raises
    ------
    vppsim.system.reference.ReferenceError
        A file is missing or lacks a column.
    """
    reference = Path(reference)
    hubs = ref.read_hub_series(reference / SOURCES["solar"])
    if SOLAR_COLUMN not in hubs.columns:
        raise ref.ReferenceError(f"{SOURCES['solar'].name}: missing column {SOLAR_COLUMN}")
    solar = hubs[SOLAR_COLUMN]
    local_year = solar.index.tz_convert(CAISO_TIMEZONE).year
    return ReferenceSeries(
        demand=ref.read_eia930_demand(reference / SOURCES["demand"])["demand_mw"],
        fmm=evaluation.read_fmm_csv(reference / SOURCES["fmm"]),
        gas=ref.read_gas_monthly(reference / SOURCES["gas"], reference / ref.CITYGATE_GAS_FILE),
        published=evaluation.read_published_shares(reference / SOURCES["published"]),
        solar=solar[local_year.isin(SOLAR_YEARS)],
    )


# --- Tables -----------------------------------------------------------------------------------


UNIT_SUFFIXES = (
    ("_mw", "MW"),
    ("_pct", "%"),
    ("_usd_per_mwh", "$/MWh"),
    ("_days", "d"),
    ("_date", "date"),
    ("_hour", "local time"),
    ("max_month", "month"),
    ("year", "year"),
)
"""The unit of a result field, by the end of its name (ratios and counts: ``1``)."""


def _rows(source: str, rows) -> pd.DataFrame:
    return pd.DataFrame(
        [(figure, value, unit, source) for figure, value, unit in rows],
        columns=["figure", "value", "unit", "source"],
    )


def _fields(result, source: str, prefix: str = "", names: tuple[str, ...] = ()) -> pd.DataFrame:
    """The scalar fields of a result dataclass (or only ``names``) as table rows."""
    rows = []
    for field in fields(result):
        value = getattr(result, field.name)
        scalar = np.isscalar(value) or isinstance(value, dt.date)
        if not scalar or (names and field.name not in names):
            continue
        unit = next((u for suffix, u in UNIT_SUFFIXES if field.name.endswith(suffix)), "1")
        shown = f"{value:%Y-%m-%d %H:%M}" if isinstance(value, pd.Timestamp) else value
        rows.append((f"{prefix}{field.name}", shown, unit))
    return _rows(source, rows)


def scenario_tables(series: ReferenceSeries) -> dict[str, pd.DataFrame]:
    """Every measured figure, one table per scenario.

    Parameters
    ----------
    series : ReferenceSeries
        :func:`load_reference`.

    Returns
    -------
    dict of str to pandas.DataFrame
        Scenario name -> columns ``figure`` (the result's field), ``value``, ``unit`` and
        ``source`` (the file under the reference folder).
    """
    src = {key: path.name for key, path in SOURCES.items()}
    hw = heat_wave(series.demand, series.fmm)
    profile = hw.profile
    uplift = [
        (f"{day:%Y-%m-%d} {column}{'' if inside else ' (outside event)'}", value, "%")
        for day, inside, up, mean in zip(
            profile.index,
            profile["in_event"],
            profile["peak_uplift_pct"],
            profile["mean_uplift_pct"],
            strict=True,
        )
        for column, value in (("peak_uplift", up), ("mean_uplift", mean))
    ]
    heat = [
        _fields(hw.demand, src["demand"]),
        _rows(src["demand"], uplift),
        _fields(hw, src["demand"]),
        _fields(hw.price, src["fmm"]),
    ]
    # Whole local years only (the file's first UTC hours are 31 Dec 2021 in Pacific time).
    hours = series.demand.dropna().index.tz_convert(CAISO_TIMEZONE).year.value_counts()
    peaks = [
        _fields(annual_peak(series.demand, year), src["demand"], f"{year} ")
        for year in sorted(hours.index[hours >= FULL_YEAR_HOURS])
    ]
    g = gas_crisis(series.gas, series.fmm, series.published)
    gas = [
        _rows(
            src["gas"], ((f"{k} gas price", v, "$/MMBtu") for k, v in g.gas_usd_per_mmbtu.items())
        ),
        _fields(
            g, src["gas"], names=("dec_over_aug", "jan_over_aug", "dec_over_2023", "jan_over_2023")
        ),
        _month_rows(g.fmm, src["fmm"]),
        _fields(g, src["published"], names=("published_dec_above_250_pct",)),
    ]
    v = volatility(series.published, series.fmm)
    vol = [
        _fields(v.above_250, src["published"], "published DLAP above $250: "),
        _fields(v.negative, src["published"], "published DLAP below $0: "),
        _fields(v.node_above_250, src["fmm"], "ALAMT3G above $250: "),
        _fields(v.node_negative, src["fmm"], "ALAMT3G below $0: "),
        _month_rows(v.node_months, src["fmm"]),
    ]
    ls = low_solar(daily_figures(series.solar, MIN_SOLAR_DAY_HOURS)["energy_mwh"])
    solar = []
    for n, table in ls.runs.items():
        solar.append((f"{n}-day median monthly worst ratio", ls.median_ratio[n], "1"))
        solar += [
            (f"{n}-day worst, {month}: {row['first']} to {row['last']}", row["ratio"], "1")
            for month, row in table.head(5).iterrows()
        ]
    tables = {
        "heat-wave": heat,
        "peak-demand": peaks,
        "gas-crisis": gas,
        "high-volatility": vol,
        "low-solar (SP15 solar, ratio to the month's p90 day)": [_rows(src["solar"], solar)],
    }
    return {name: pd.concat(parts, ignore_index=True) for name, parts in tables.items()}


def _month_rows(table: pd.DataFrame, source: str) -> pd.DataFrame:
    """Rows of a :func:`monthly_price_figures` table."""
    units = {"mean": "$/MWh", "above $250 %": "%", "negative %": "%"}
    return _rows(
        source,
        (
            (f"{month} {column.removesuffix(' %')}", row[column], unit)
            for month, row in table.iterrows()
            for column, unit in units.items()
        ),
    )
