"""The statistical battery of CALIBRATION.md: synthetic prices against real ones, month by month.

Pure frame functions (series in, frames out) plus readers of CAISO's published summaries in
``reference/market/summaries/``. The issue-11 verdicts are taken here; the arbitrage check is
:func:`vppsim.fleet.arbitrage.arbitrage_ratio_table`.

Criteria of :func:`battery_checks` (synthetic figures averaged over realisations, against the
real month; a month passes when every check passes):

=====================  =====================================================================
median                 within +-25 % of the real median
p5                     within max(30 % of abs(real), $10/MWh)
p95                    synthetic / real in 0.75-1.33
p99                    synthetic / real in 0.6-1.67
negative %             within a factor 2 if the real share is at least 1 %, else 1 point
above $250 %           within a factor 2 if the real share is at least 0.5 %, else 1 point
hourly corr            correlation of the 24 hourly means at least 0.75
max at 16-21 h %       share of days whose maximum starts at 16:00-21:59, within 20 points
acf 1, acf 4, acf 96   autocorrelation at 1, 4 and 96 intervals, each within 0.15
=====================  =====================================================================

The published checks: shares above $250 and below $0 against CAISO's monthly FMM DLAP figures
(:func:`published_share_checks`: factor 2 where the published share is at least 0.5 %, 1 point
otherwise); day-ahead midday and evening means against the TH_SP15 2024-2025 summaries
(:func:`dayahead_checks`: within max($15/MWh, 35 %) of the 2024-2025 mean of that month);
annual AS means against the 2024-2025 published means, year by year (:func:`ancillary_checks`:
within a factor 1.5).
"""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pandas as pd

from vppsim.calendar import CAISO_TIMEZONE as TIMEZONE
from vppsim.calendar import local_calendar
from vppsim.grid import parse_timestamps
from vppsim.timeseries import autocorrelation

ALAMITOS_FILE = "ALAMT3G_7_B1_fmm_lmp_15min_2022.csv.gz"
MIL1_AUG_2023_FILE = (
    "caiso_oasis_raw/20230731_20230830_PRC_RTPD_LMP_RTPD_20230927_12_23_20_v2.csv.gz"
)
SPIKE_PRICE = 250.0
"""Threshold of the spike figures [$/MWh], as in CAISO's monthly market reports."""
EVENING_HOURS = (16, 21)
"""The daily maximum "falls in the evening" when its interval starts at 16:00-21:59."""


# --- Readers of real prices -----------------------------------------------------------------


def read_fmm_csv(path: Path) -> pd.Series:
    """Read an ``interval_start_utc, node, lmp`` file into a price series [$/MWh] indexed by
    UTC interval starts."""
    frame = pd.read_csv(path)
    index = parse_timestamps(frame["interval_start_utc"].to_numpy())
    series = pd.Series(frame["lmp"].to_numpy(dtype=float), index=index, name="lmp")
    return series.sort_index()


def read_oasis_lmp(path: Path) -> pd.Series:
    """Read an OASIS ``PRC_RTPD_LMP`` CSV: the ``LMP`` rows' ``PRC`` [$/MWh], indexed by
    ``INTERVALSTARTTIME_GMT`` (UTC), time-sorted."""
    frame = pd.read_csv(path)
    frame = frame[frame["LMP_TYPE"] == "LMP"]
    index = pd.DatetimeIndex(pd.to_datetime(frame["INTERVALSTARTTIME_GMT"], utc=True))
    series = pd.Series(frame["PRC"].to_numpy(dtype=float), index=index, name="lmp")
    return series.sort_index()


DISTRIBUTION = ("median", "p5", "p95", "p99", "mean", "negative %", "above $250 %")
"""Figures of the price distribution (:func:`distribution_figures`). :func:`battery_checks`
averages every figure over the realisations (what one simulated month looks like on average);
the 2023 and default-study tables of :mod:`vppsim.market.calibration` pool the realisations'
intervals (the model's distribution)."""


def distribution_figures(x: np.ndarray) -> dict[str, float]:
    """The :data:`DISTRIBUTION` figures of a set of prices."""
    return {
        "median": float(np.median(x)),
        "p5": float(np.percentile(x, 5)),
        "p95": float(np.percentile(x, 95)),
        "p99": float(np.percentile(x, 99)),
        "mean": float(np.mean(x)),
        "negative %": 100.0 * float(np.mean(x < 0)),
        "above $250 %": 100.0 * float(np.mean(x > SPIKE_PRICE)),
    }


PUBLISHED_SHARES_FILE = "summaries/caiso_fmm_dlap_spike_negative_share_monthly.csv"
DAYAHEAD_SUMMARY_FILE = "summaries/caiso_th_sp15_dam_lmp_daily_summary_2024-2025.csv"
ANCILLARY_MEANS_FILE = "summaries/caiso_as_dam_price_annual_means_2024-2025.csv"
"""Files under ``reference/market/`` (described in its README)."""

HOURS = tuple(f"h{h:02d}" for h in range(24))
"""Columns of the 24 hourly means of :func:`price_figures`."""
ACF_LAGS = (1, 4, 96)
"""Autocorrelation lags [intervals]."""
MIDDAY_HOURS = (10, 15)
EVENING_DA_HOURS = (17, 20)
"""Hours starting 10:00-15:00 and 17:00-20:00 Pacific, as in the TH_SP15 daily summary."""
DAYAHEAD_TOLERANCE = (15.0, 0.35)
"""Day-ahead monthly means pass within max($15/MWh, 35 % of the published) [$/MWh, 1]."""
ANCILLARY_FACTOR = 1.5
"""Annual AS means pass within this factor of the published mean of the same year [1]."""
SHARES = ("above $250 %", "negative %")
AS_COLUMNS = {
    "reg_up": "regup_price",
    "reg_down": "regdown_price",
    "spin": "spin_price",
    "nonspin": "nonspin_price",
}
"""Published AS product -> column of ``market_data.csv``."""


# --- Figures --------------------------------------------------------------------------------


def price_figures(prices: pd.Series, timezone: str = TIMEZONE) -> pd.DataFrame:
    """The battery's figures for each local month of a price series.

    Parameters
    ----------
    prices : pandas.Series
        Prices [$/MWh] indexed by timezone-aware interval starts (15 min for the acf lags to
        mean 15 min, 1 h and 1 day). Several years are pooled by month of the year.
    timezone : str
        Zone of the local months, hours and days.

    Returns
    -------
    pandas.DataFrame
        Index ``month`` 1-12; columns ``median``, ``mean``, ``p5``, ``p95``, ``p99``
        [$/MWh], ``negative %``, ``above $250 %``, ``max at 16-21 h %`` (share of days whose
        maximum interval starts at 16:00-21:59) [%], ``acf 1``, ``acf 4``, ``acf 96`` [1] and
        :data:`HOURS`, the mean price of each local clock hour [$/MWh].
    """
    x = prices.to_numpy(dtype=float)
    cal = local_calendar(pd.DatetimeIndex(prices.index), timezone)
    frame = pd.DataFrame(
        {"p": x, "day": cal.day, "hour": cal.hour, "month": cal.month + 1, "year": cal.year}
    )
    rows = {}
    for month, part in frame.groupby("month"):
        values = part["p"].to_numpy()
        peak_hour = part.loc[part.groupby("day")["p"].idxmax(), "hour"].to_numpy()
        figures = distribution_figures(values)
        figures["max at 16-21 h %"] = 100.0 * float(
            np.mean((peak_hour >= EVENING_HOURS[0]) & (peak_hour <= EVENING_HOURS[1]))
        )
        # Pairs never bridge two years of the same month.
        acf = autocorrelation(values, list(ACF_LAGS), groups=part["year"].to_numpy())
        figures.update({f"acf {lag}": float(a) for lag, a in zip(ACF_LAGS, acf, strict=True)})
        hourly = part.groupby("hour")["p"].mean().reindex(range(24))
        figures.update(dict(zip(HOURS, hourly.to_numpy(), strict=True)))
        rows[int(month)] = figures
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index.name = "month"
    return table


def period_shares(prices: pd.Series, timezone: str = TIMEZONE) -> pd.DataFrame:
    """Shares above $250/MWh and below $0 per local calendar month (year and month).

    Returns
    -------
    pandas.DataFrame
        Index ``month`` (``Period``); columns ``above $250 %`` and ``negative %`` [%].
    """
    x = prices.to_numpy(dtype=float)
    local = pd.DatetimeIndex(prices.index).tz_convert(timezone).tz_localize(None)
    frame = pd.DataFrame(
        {"above $250 %": 100.0 * (x > SPIKE_PRICE), "negative %": 100.0 * (x < 0.0)},
        index=local.to_period("M"),
    )
    table = frame.groupby(level=0).mean()
    table.index.name = "month"
    return table


SEASONS = {
    "Dec-Feb": (12, 1, 2),
    "Mar-May": (3, 4, 5),
    "Jun-Sep": (6, 7, 8, 9),
    "Oct-Nov": (10, 11),
}
"""Seasons of :func:`scarcity_by_tightness`: Jun-Sep is when CAISO's resource adequacy
counts every unit and planned maintenance is avoided."""
TIGHTNESS_BANDS = (0.0, 0.45, 0.5, 0.55, 0.6, 0.7, 0.8, np.inf)
"""Edges of the tightness bands of :func:`scarcity_by_tightness` [1]."""


def scarcity_by_tightness(
    tightness: np.ndarray,
    month: np.ndarray,
    real: np.ndarray,
    synthetic: list[np.ndarray],
) -> pd.DataFrame:
    """Share of scarcity intervals by season and band of tightness, real beside synthetic.

    The model's scarcity follows tightness (residual load over the reference peak) alone, the
    same in every season; this table shows whether the real prices do.

    Parameters
    ----------
    tightness : numpy.ndarray
        Each interval's tightness [1].
    month : numpy.ndarray
        Each interval's local calendar month, 1-12.
    real : numpy.ndarray of bool
        Real scarcity intervals (:func:`vppsim.market.fit.scarcity_indicator`).
    synthetic : list of numpy.ndarray
        Each realisation's scarcity indicator (1/0); averaged.

    Returns
    -------
    pandas.DataFrame
        Index (``season``, ``tightness``: the band, e.g. ``0.50-0.55``); columns
        ``intervals``, ``real %``, ``synthetic %`` [%]; bands a season never reaches are
        left out.
    """
    edges = np.asarray(TIGHTNESS_BANDS)
    band = np.clip(np.searchsorted(edges, tightness, side="right") - 1, 0, len(edges) - 2)
    labels = [
        f"{lo:.2f}-{hi:.2f}" if np.isfinite(hi) else f">= {lo:.2f}"
        for lo, hi in itertools.pairwise(edges)
    ]
    syn = np.mean(np.asarray(synthetic, dtype=float), axis=0)
    rows = []
    for season, months in SEASONS.items():
        in_season = np.isin(month, months)
        for b, label in enumerate(labels):
            sel = in_season & (band == b)
            if sel.any():
                share = (100.0 * float(np.mean(real[sel])), 100.0 * float(np.mean(syn[sel])))
                rows.append((season, label, int(sel.sum()), *share))
    columns = ["season", "tightness", "intervals", "real %", "synthetic %"]
    table = pd.DataFrame(rows, columns=columns)
    return table.set_index(["season", "tightness"])


# --- The battery ----------------------------------------------------------------------------


def _share_rule(real: float, syn: float, threshold: float) -> bool:
    """Within a factor 2 where ``real >= threshold`` [%], within 1 point otherwise."""
    if real >= threshold:
        return 0.5 * real <= syn <= 2.0 * real
    return abs(syn - real) <= 1.0


def _ratio_in(real: float, syn: float, low: float, high: float) -> bool:
    return real > 0.0 and low <= syn / real <= high


CRITERIA = {
    "median": ("within 25 %", lambda r, s: abs(s - r) <= 0.25 * abs(r)),
    "p5": ("within max(30 %, $10)", lambda r, s: abs(s - r) <= max(0.3 * abs(r), 10.0)),
    "p95": ("ratio 0.75-1.33", lambda r, s: _ratio_in(r, s, 0.75, 1.33)),
    "p99": ("ratio 0.6-1.67", lambda r, s: _ratio_in(r, s, 0.6, 1.67)),
    "negative %": ("x2 if >= 1 %, else 1 pt", lambda r, s: _share_rule(r, s, 1.0)),
    "above $250 %": ("x2 if >= 0.5 %, else 1 pt", lambda r, s: _share_rule(r, s, 0.5)),
    "max at 16-21 h %": ("within 20 pt", lambda r, s: abs(s - r) <= 20.0),
    **{f"acf {lag}": ("within 0.15", lambda r, s: abs(s - r) <= 0.15) for lag in ACF_LAGS},
}
"""Each scalar check: its criterion as text, and the rule on (real, synthetic)."""
HOURLY_CORR_MIN = 0.75
"""Least correlation of the real and synthetic 24 hourly means [1]."""


def battery_checks(
    real_figures: pd.DataFrame, synthetic_figures: list[pd.DataFrame]
) -> pd.DataFrame:
    """The CALIBRATION.md battery, month by month (criteria in the module docstring).

    Parameters
    ----------
    real_figures : pandas.DataFrame
        :func:`price_figures` of the real prices.
    synthetic_figures : list of pandas.DataFrame
        :func:`price_figures` of each synthetic realisation; averaged.

    Returns
    -------
    pandas.DataFrame
        Index (``month``, ``check``); columns ``real``, ``synthetic``, ``criterion``, ``pass``.
        The ``hourly corr`` check holds the correlation as ``synthetic`` (``real`` is NaN).
        :func:`passes_by_month` summarises.
    """
    if not synthetic_figures:
        raise ValueError("at least one synthetic realisation is needed")
    syn = sum(synthetic_figures[1:], synthetic_figures[0]) / len(synthetic_figures)
    rows = []
    for month in real_figures.index.intersection(syn.index):
        real_row, syn_row = real_figures.loc[month], syn.loc[month]
        for check, (criterion, rule) in CRITERIA.items():
            r, s = float(real_row[check]), float(syn_row[check])
            rows.append((month, check, r, s, criterion, bool(rule(r, s))))
        corr = float(
            np.corrcoef(real_row[list(HOURS)].astype(float), syn_row[list(HOURS)].astype(float))[
                0, 1
            ]
        )
        rows.append(
            (month, "hourly corr", np.nan, corr, f">= {HOURLY_CORR_MIN}", corr >= HOURLY_CORR_MIN)
        )
    table = pd.DataFrame(rows, columns=["month", "check", "real", "synthetic", "criterion", "pass"])
    return table.set_index(["month", "check"])


def passes_by_month(checks: pd.DataFrame) -> pd.DataFrame:
    """Per month: checks passed, checks made, and whether the month passes (all of them).

    Parameters
    ----------
    checks : pandas.DataFrame
        From :func:`battery_checks` (or any frame indexed by (month, check) with ``pass``).

    Returns
    -------
    pandas.DataFrame
        Index ``month``; columns ``passed``, ``checks``, ``pass``, ``failed`` (names).
    """
    grouped = checks["pass"].groupby(level=0)
    failed = checks.index[~checks["pass"].to_numpy()].to_frame(index=False)
    return pd.DataFrame(
        {
            "passed": grouped.sum().astype(int),
            "checks": grouped.size(),
            "pass": grouped.all(),
            "failed": failed.groupby("month")["check"].agg(", ".join),
        }
    ).fillna({"failed": ""})


# --- Published shares -----------------------------------------------------------------------


def read_published_shares(path: Path) -> pd.DataFrame:
    """CAISO's monthly shares of FMM DLAP prices above $250 and below $0.

    Parameters
    ----------
    path : path
        ``reference/market/`` + :data:`PUBLISHED_SHARES_FILE`.

    Returns
    -------
    pandas.DataFrame
        Index ``month`` (``Period``); columns ``above $250 %``, ``negative %`` [%] and
        ``source`` (URL of the market report).
    """
    frame = pd.read_csv(path, dtype={"month": str})
    table = pd.DataFrame(
        {
            "above $250 %": frame["fmm_dlap_share_above_250_pct"].astype(float).to_numpy(),
            "negative %": frame["fmm_dlap_share_negative_pct"].astype(float).to_numpy(),
            "source": frame["source_url"].to_numpy(),
        },
        index=pd.PeriodIndex(frame["month"], freq="M", name="month"),
    )
    return table.sort_index()


PUBLISHED_SHARE_THRESHOLD = 0.5
"""Published shares at least this [%] are compared within a factor 2, smaller ones within 1
point."""


def published_share_checks(synthetic_shares: pd.DataFrame, published: pd.DataFrame) -> pd.DataFrame:
    """Synthetic shares against CAISO's published ones, for the months both have.

    Parameters
    ----------
    synthetic_shares : pandas.DataFrame
        :func:`period_shares` of synthetic prices built for those months (averaged over
        realisations by the caller).
    published : pandas.DataFrame
        :func:`read_published_shares`.

    Returns
    -------
    pandas.DataFrame
        Index (``month``, ``figure``); columns ``published``, ``synthetic`` [%], ``pass``.
    """
    months = published.index.intersection(synthetic_shares.index)
    rows = [
        (
            month,
            figure,
            float(published.loc[month, figure]),
            float(synthetic_shares.loc[month, figure]),
            _share_rule(
                float(published.loc[month, figure]),
                float(synthetic_shares.loc[month, figure]),
                PUBLISHED_SHARE_THRESHOLD,
            ),
        )
        for month in months
        for figure in SHARES
    ]
    table = pd.DataFrame(rows, columns=["month", "figure", "published", "synthetic", "pass"])
    return table.set_index(["month", "figure"])


# --- Day-ahead ------------------------------------------------------------------------------


def read_dayahead_summary(path: Path) -> pd.DataFrame:
    """The TH_SP15 day-ahead LMP daily summary (2024-2025).

    Parameters
    ----------
    path : path
        ``reference/market/`` + :data:`DAYAHEAD_SUMMARY_FILE`.

    Returns
    -------
    pandas.DataFrame
        Index ``date`` (local Pacific dates); columns ``midday`` and ``evening`` (mean LMP of
        the hours starting 10:00-15:00 and 17:00-20:00) [$/MWh], ``min``, ``max`` [$/MWh] and
        ``negative hours``; only rows flagged ``OK``.
    """
    frame = pd.read_csv(path, parse_dates=["date"])
    frame = frame[frame["data_quality_flag"] == "OK"]
    return pd.DataFrame(
        {
            "midday": frame["midday_mean_lmp_usd_per_mwh"].to_numpy(dtype=float),
            "evening": frame["evening_mean_lmp_usd_per_mwh"].to_numpy(dtype=float),
            "min": frame["minimum_lmp_usd_per_mwh"].to_numpy(dtype=float),
            "max": frame["maximum_lmp_usd_per_mwh"].to_numpy(dtype=float),
            "negative hours": frame["negative_lmp_interval_count"].to_numpy(dtype=int),
        },
        index=pd.DatetimeIndex(frame["date"], name="date"),
    )


def dayahead_figures(da_prices: pd.Series, timezone: str = TIMEZONE) -> pd.DataFrame:
    """Midday and evening mean day-ahead LMP per month of the year.

    Parameters
    ----------
    da_prices : pandas.Series
        Day-ahead LMP [$/MWh] on timezone-aware interval starts (hourly, or held across
        15-min intervals: the means are the same).
    timezone : str

    Returns
    -------
    pandas.DataFrame
        Index ``month`` 1-12; columns ``midday`` and ``evening`` [$/MWh].
    """
    cal = local_calendar(pd.DatetimeIndex(da_prices.index), timezone)
    x = da_prices.to_numpy(dtype=float)
    frame = pd.DataFrame({"p": x, "month": cal.month + 1, "hour": cal.hour})
    midday = frame[frame["hour"].between(*MIDDAY_HOURS)].groupby("month")["p"].mean()
    evening = frame[frame["hour"].between(*EVENING_DA_HOURS)].groupby("month")["p"].mean()
    return pd.DataFrame({"midday": midday, "evening": evening})


def dayahead_checks(
    da_prices: pd.Series, summary: pd.DataFrame, timezone: str = TIMEZONE
) -> pd.DataFrame:
    """Synthetic day-ahead midday and evening means against the published ones, per month of
    the year (the published value: the mean of its years' monthly means).

    Parameters
    ----------
    da_prices : pandas.Series
        Synthetic day-ahead LMP [$/MWh] (any year).
    summary : pandas.DataFrame
        :func:`read_dayahead_summary`.
    timezone : str

    Returns
    -------
    pandas.DataFrame
        Index (``month``, ``figure``); columns ``published``, ``published min``,
        ``published max`` (over the years), ``synthetic`` [$/MWh] and ``pass``
        (:data:`DAYAHEAD_TOLERANCE` around ``published``).
    """
    monthly = (
        summary[["midday", "evening"]].groupby([summary.index.year, summary.index.month]).mean()
    )
    syn = dayahead_figures(da_prices, timezone)
    absolute, relative = DAYAHEAD_TOLERANCE
    rows = []
    for month in syn.index:
        years = monthly.xs(month, level=1) if month in monthly.index.get_level_values(1) else None
        if years is None:
            continue
        for figure in ("midday", "evening"):
            published = float(years[figure].mean())
            s = float(syn.loc[month, figure])
            tolerance = max(absolute, relative * abs(published))
            rows.append(
                (
                    month,
                    figure,
                    published,
                    float(years[figure].min()),
                    float(years[figure].max()),
                    s,
                    abs(s - published) <= tolerance,
                )
            )
    columns = [
        "month",
        "figure",
        "published",
        "published min",
        "published max",
        "synthetic",
        "pass",
    ]
    return pd.DataFrame(rows, columns=columns).set_index(["month", "figure"])


# --- Ancillary services ---------------------------------------------------------------------


def read_ancillary_means(path: Path) -> pd.DataFrame:
    """Published annual day-ahead AS system mean prices.

    Parameters
    ----------
    path : path
        ``reference/market/`` + :data:`ANCILLARY_MEANS_FILE`.

    Returns
    -------
    pandas.DataFrame
        Index: the ``market_data.csv`` column of each product (:data:`AS_COLUMNS`); one
        column per year [$/MW-h].
    """
    frame = pd.read_csv(path)
    table = frame.pivot(
        index="product", columns="year", values="dam_price_system_mean_usd_per_mw_h"
    )
    table.index = table.index.map(AS_COLUMNS)
    table.index.name = "product"
    table.columns.name = "year"
    return table.loc[list(AS_COLUMNS.values())]


def ancillary_checks(
    as_frame: pd.DataFrame, published: pd.DataFrame, timezone: str = TIMEZONE
) -> pd.DataFrame:
    """Synthetic annual AS means against the published ones, year by year.

    Parameters
    ----------
    as_frame : pandas.DataFrame
        Synthetic AS prices [$/MW-h], columns as in ``market_data.csv`` (e.g. ``regup_price``),
        indexed by timezone-aware instants over one or more of the published years.
    published : pandas.DataFrame
        :func:`read_ancillary_means`.
    timezone : str
        Zone of the calendar years.

    Returns
    -------
    pandas.DataFrame
        Index (``product``, ``year``), for the years both have; columns ``published``,
        ``synthetic`` (mean over the year's intervals) [$/MW-h], ``ratio`` [1] and ``pass``:
        within :data:`ANCILLARY_FACTOR` of the published mean.
    """
    years = pd.DatetimeIndex(as_frame.index).tz_convert(timezone).year
    rows = []
    for product in published.index:
        means = as_frame[product].groupby(years).mean()
        for year in published.columns.intersection(means.index):
            real, syn = float(published.loc[product, year]), float(means[year])
            ratio = syn / real
            rows.append(
                (
                    product,
                    int(year),
                    real,
                    syn,
                    ratio,
                    bool(1.0 / ANCILLARY_FACTOR <= ratio <= ANCILLARY_FACTOR),
                )
            )
    table = pd.DataFrame(
        rows, columns=["product", "year", "published", "synthetic", "ratio", "pass"]
    )
    return table.set_index(["product", "year"])
