"""Fit the synthetic price model (:mod:`.synthetic`) on a year of real 15-min prices.

Pure functions: a price series (UTC interval starts) and a synthetic-weather frame in, a
JSON-ready calibration dict out. ``benchmarks/fit_market.py`` runs the fit on the real FMM
prices at ``ALAMT3G_7_B1`` (2022) and writes ``calibrated.json``; the result is
deterministic.

What is fitted:

* **event months**: a month whose level is far off its neighbours for a known reason (the
  Dec 2022 western gas crisis, :data:`EVENT_MONTHS`) gets a level factor, its median over
  the geometric mean of the neighbouring months' medians; its positive prices are divided
  by it before everything else, so the shipped shape is a typical December;
* **event days** (:data:`EVENT_DAYS`, the Aug 31-Sep 9 2022 heat wave) are left out of the
  whole fit: under typical weather the model should not make that heat wave every year;
  hot synthetic weather raises prices and spikes through the heat effect;
* **spikes**: intervals above both :data:`~.synthetic.SPIKE_RATIO` times their month-hour
  median and :data:`~.synthetic.SPIKE_MIN_PRICE`; runs of them are episodes, and days
  with one are spike days. Fitted: the share of spike days by month and the episode start
  rate (three-month windows), the persistence of spike days (as the correlation of a
  thresholded Gaussian AR(1)), the start probability by hour (pooled with the neighbouring
  hours, with a small floor), the share of spike days by day type (shrunk towards 1), the
  length distribution (runs one calm interval apart are one episode), and the spike prices
  as multiples of their cell's median (outside the event days);
* **base distribution** by month and local clock hour, of the non-spike intervals: the share
  of negative prices (pooled with the neighbouring hours at :data:`HOUR_POOL_WEIGHT`), the
  quantiles of the non-negative prices (exact cell) and of
  the negative prices (all months pooled);
* **shifts**: each interval's normal score within its cell (mid-ranks, spikes included at
  the top, so that the dynamics see spike days as high days); the mean score of
  workdays and of off-days, pooled with neighbouring hours and months at 0.25, and of each
  quarter of the hour, pooled with neighbouring months;
* **dynamics** by month (three-month windows): the leading principal components of the
  daily 24-hour profiles of the normal scores (shifts removed) as the multi-day regime's
  loadings, each factor's lag-1 day autocorrelation, and, for what they leave, the
  variance by hour, the 15-min AR(1) coefficient and the Student-t degrees of freedom
  (from the kurtosis of its 15-min changes);
* **weather climatology**: the quantiles by month of the daily-max temperature anomaly of
  the default synthetic weather (what "typical" means for the heat effect).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
from scipy.optimize import brentq, least_squares
from scipy.special import ndtri
from scipy.stats import multivariate_normal, rankdata

from vppsim.calendar import LocalCalendar, local_calendar
from vppsim.market.synthetic import (
    ANOMALY_LEVELS,
    CALIBRATION_YEAR,
    MAX_SPIKE_LENGTH,
    N_FACTORS,
    NEGATIVE_LEVELS,
    POSITIVE_LEVELS,
    SPIKE_LEVELS,
    SPIKE_MIN_PRICE,
    SPIKE_RATIO,
    daily_tmax_anomaly,
)
from vppsim.stats import weighted_quantiles
from vppsim.timeseries import autocorrelation

EVENT_MONTHS = {
    (2022, 12): "Western gas crisis: SoCal Citygate spot gas averaged about $30/MMBtu above "
    "Henry Hub in Dec 2022 (NGI); CAISO wholesale prices averaged about $250/MWh, five times "
    "Dec 2021 (CAISO). Fitted: the month's median over the geometric mean of the Nov and Jan "
    "medians."
}
"""Known months whose level is set apart from the year's (a year, month key: the reason)."""
EVENT_DAYS = {
    (dt.date(2022, 8, 31), dt.date(2022, 9, 9)): "Western heat wave: CAISO Flex Alerts every "
    "day, record CAISO peak load of 52,061 MW on Sep 6 2022, prices at the cap for hours. "
    "Left out of the fit (its September would otherwise be a heat-wave month every year)."
}
"""Known extreme days of the calibration data (first and last local day: the reason)."""
HOUR_POOL_WEIGHT = 0.5
"""Weight of each neighbouring hour in the negative share and the residual variance."""
MONTH_POOL_WEIGHT = 0.5
"""Weight of each neighbouring month in the quarter-hour shifts."""
DAY_TYPE_POOL_WEIGHT = 0.25
"""Weight of each neighbouring hour and month in the day-type shifts (about 9 off-days a
month: some pooling, but the weekend effect differs by season)."""
SPIKE_MONTH_POOL_WEIGHT = 1.0
"""Weight of each neighbouring month in the spike rate: a three-month moving total, so that
one extreme event (the Aug 31-Sep 9 2022 heat wave) is spread over its season; also for the
share of spike days."""
SPIKE_EPISODE_GAP = 1
"""Spike runs separated by a single calmer interval are one episode."""
SPIKE_DAY_PRIOR = 0.5
"""Pseudo-count of spike days and of quiet days added to each month's share."""
SPIKE_HOUR_POOL_WEIGHT = 0.25
"""Weight of each neighbouring hour in the spike start hours (spikes keep to the net-load
peak: 18-19 h in summer)."""
SPIKE_HOUR_FLOOR = 0.25
"""Pseudo-count of spike starts added to every hour (spikes can happen at any hour)."""
SPIKE_DAYTYPE_PRIOR = 2.0
"""Pseudo-count of spike days shrinking the off-day and workday factors towards 1."""
DIGITS = 4
PRICE_DIGITS = 2


def _r(values, digits: int = DIGITS):
    return np.round(np.asarray(values, dtype=float), digits).tolist()


def _pool(x: np.ndarray, axis: int, weight: float, circular: bool = True) -> np.ndarray:
    """``x`` plus ``weight`` times its neighbours along ``axis``."""
    x = np.asarray(x, dtype=float)
    if circular:
        return x + weight * (np.roll(x, 1, axis=axis) + np.roll(x, -1, axis=axis))
    y = x.copy()
    moved = np.moveaxis(y, axis, 0)
    source = np.moveaxis(x, axis, 0)
    moved[1:] += weight * source[:-1]
    moved[:-1] += weight * source[1:]
    return y


def event_levels(prices: np.ndarray, cal: LocalCalendar) -> dict[tuple[int, int], float]:
    """Level factor of each :data:`EVENT_MONTHS` month present in the data."""
    out = {}
    medians = {m: np.median(prices[cal.month == m]) for m in np.unique(cal.month).tolist()}
    for year, month in EVENT_MONTHS:
        m = month - 1
        if not np.any((cal.year == year) & (cal.month == m)):
            continue
        before, after = medians.get((m - 1) % 12), medians.get((m + 1) % 12)
        typical = np.sqrt(before * after)
        out[(year, month)] = float(medians[m] / typical)
    return out


def event_days(cal: LocalCalendar) -> np.ndarray:
    """Whether each interval falls on one of the :data:`EVENT_DAYS`."""
    days = np.asarray(cal.days.date, dtype=object)[cal.day]
    out = np.zeros(len(cal.day), dtype=bool)
    for first, last in EVENT_DAYS:
        out |= (days >= first) & (days <= last)
    return out


def remove_events(
    prices: np.ndarray, cal: LocalCalendar, levels: dict[tuple[int, int], float]
) -> np.ndarray:
    """Positive prices of event months divided by their level (negative prices kept)."""
    out = prices.copy()
    for (year, month), factor in levels.items():
        sel = (cal.year == year) & (cal.month == month - 1) & (out > 0)
        out[sel] /= factor
    return out


def cell_medians(prices: np.ndarray, cal: LocalCalendar) -> np.ndarray:
    """Median price of each month and local hour, (12, 24)."""
    frame = pd.DataFrame({"p": prices, "m": cal.month, "h": cal.hour})
    table = frame.groupby(["m", "h"])["p"].median().unstack().reindex(range(12)).to_numpy()
    return table


def detect_spikes(prices: np.ndarray, cal: LocalCalendar, medians: np.ndarray) -> np.ndarray:
    """Spike intervals: above ``SPIKE_RATIO`` times the cell median and ``SPIKE_MIN_PRICE``."""
    threshold = np.maximum(SPIKE_MIN_PRICE, SPIKE_RATIO * medians[cal.month, cal.hour])
    return prices > threshold


def runs(flags: np.ndarray, gap: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Start indices and lengths of the runs of True in ``flags``; runs separated by at most
    ``gap`` False values are merged into one."""
    padded = np.concatenate([[False], flags, [False]]).astype(np.int8)
    edges = np.diff(padded)
    starts = np.flatnonzero(edges == 1)
    ends = np.flatnonzero(edges == -1)
    if gap > 0 and len(starts) > 1:
        keep = np.concatenate([[True], starts[1:] - ends[:-1] > gap])
        starts = starts[keep]
        # A merged episode ends where the run before the next kept start ends.
        ends = np.concatenate([ends[np.flatnonzero(keep)[1:] - 1], ends[-1:]])
    return starts, ends - starts


def fit_base(prices: np.ndarray, cal: LocalCalendar, spikes: np.ndarray) -> dict:
    """Negative share and quantiles by month and hour, and the pooled negative quantiles,
    of the non-spike intervals (the base regime)."""
    keep = ~spikes
    negative = np.zeros((12, 24))
    counts = np.zeros((12, 24))
    np.add.at(negative, (cal.month[keep], cal.hour[keep]), (prices[keep] < 0).astype(float))
    np.add.at(counts, (cal.month[keep], cal.hour[keep]), 1.0)
    pooled_negative = _pool(negative, 1, HOUR_POOL_WEIGHT)
    pooled_counts = _pool(counts, 1, HOUR_POOL_WEIGHT)
    share = np.where(pooled_counts > 0, pooled_negative / np.maximum(pooled_counts, 1e-9), 0.0)
    quantiles = np.zeros((12, 24, len(POSITIVE_LEVELS)))
    for m in range(12):
        for h in range(24):
            sel = keep & (cal.month == m) & (cal.hour == h) & (prices >= 0)
            values = prices[sel]
            if values.size == 0:  # no data: borrow the month's other hours
                values = prices[keep & (cal.month == m) & (prices >= 0)]
            if values.size == 0:
                values = prices[keep & (prices >= 0)]
            quantiles[m, h] = weighted_quantiles(values, np.ones(values.size), POSITIVE_LEVELS)
    negatives = prices[keep & (prices < 0)]
    if negatives.size == 0:
        negatives = np.array([-0.01])
    negative_quantiles = weighted_quantiles(negatives, np.ones(negatives.size), NEGATIVE_LEVELS)
    return {
        "negative_share": _r(share),
        "positive_quantiles": _r(quantiles, PRICE_DIGITS),
        "negative_quantiles": _r(np.minimum(negative_quantiles, 0.0), PRICE_DIGITS),
    }


def normal_scores(prices: np.ndarray, cal: LocalCalendar, exclude: np.ndarray) -> np.ndarray:
    """Normal score of each interval within its month-hour cell (mid-ranks); NaN where
    ``exclude``."""
    scores = np.full(len(prices), np.nan)
    cell = cal.month * 24 + cal.hour
    for c in np.unique(cell[~exclude]).tolist():
        sel = np.flatnonzero((cell == c) & ~exclude)
        ranks = rankdata(prices[sel], method="average")
        scores[sel] = ndtri((ranks - 0.5) / len(sel))
    return scores


def fit_day_type(scores: np.ndarray, cal: LocalCalendar) -> dict:
    """Mean normal score of workdays and off-days by month and hour, pooled."""
    out = {}
    valid = np.isfinite(scores)
    for name, flag in (("workday_shift", False), ("offday_shift", True)):
        sel = valid & (cal.offday == flag)
        total = np.zeros((12, 24))
        count = np.zeros((12, 24))
        np.add.at(total, (cal.month[sel], cal.hour[sel]), scores[sel])
        np.add.at(count, (cal.month[sel], cal.hour[sel]), 1.0)
        total = _pool(_pool(total, 1, DAY_TYPE_POOL_WEIGHT), 0, DAY_TYPE_POOL_WEIGHT)
        count = _pool(_pool(count, 1, DAY_TYPE_POOL_WEIGHT), 0, DAY_TYPE_POOL_WEIGHT)
        out[name] = np.where(count > 0, total / np.maximum(count, 1e-9), 0.0)
    return {k: _r(np.clip(v, -0.7, 0.7)) for k, v in out.items()}


def day_type_shift(cal: LocalCalendar, shifts: dict) -> np.ndarray:
    """The fitted day-type shift of each interval."""
    return np.where(
        cal.offday,
        np.asarray(shifts["offday_shift"])[cal.month, cal.hour],
        np.asarray(shifts["workday_shift"])[cal.month, cal.hour],
    )


def fit_quarters(scores: np.ndarray, cal: LocalCalendar, shifts: dict) -> dict:
    """Mean normal score of each quarter of the hour by month and hour (ramps within an
    hour), pooled with the neighbouring months, centred within each hour."""
    residual = scores - day_type_shift(cal, shifts)
    valid = np.isfinite(residual)
    total = np.zeros((12, 24, 4))
    count = np.zeros((12, 24, 4))
    index = (cal.month[valid], cal.hour[valid], cal.quarter[valid])
    np.add.at(total, index, residual[valid])
    np.add.at(count, index, 1.0)
    total = _pool(total, 0, MONTH_POOL_WEIGHT)
    count = _pool(count, 0, MONTH_POOL_WEIGHT)
    mean = np.where(count > 0, total / np.maximum(count, 1e-9), 0.0)
    mean -= mean.mean(axis=2, keepdims=True)
    return {"quarter_shift": _r(np.clip(mean, -0.7, 0.7))}


def hourly_means(x: np.ndarray, cal: LocalCalendar) -> np.ndarray:
    """Mean of ``x`` (NaN = missing) by local day and clock hour, (n_days, 24); hours
    without data get the day's mean (NaN for a day without data)."""
    n_days = len(cal.days)
    total = np.zeros((n_days, 24))
    count = np.zeros((n_days, 24))
    ok = np.isfinite(x)
    np.add.at(total, (cal.day[ok], cal.hour[ok]), x[ok])
    np.add.at(count, (cal.day[ok], cal.hour[ok]), 1.0)
    means = np.where(count > 0, total / np.maximum(count, 1.0), np.nan)
    hours = count.sum(axis=1, keepdims=True)
    day_total = np.where(count > 0, means, 0.0).sum(axis=1, keepdims=True)
    day_mean = np.where(
        hours > 0, day_total / np.maximum((count > 0).sum(axis=1, keepdims=True), 1), np.nan
    )
    return np.where(np.isfinite(means), means, day_mean)


def _sign(vector: np.ndarray) -> np.ndarray:
    """Fix an eigenvector's sign: positive sum (or positive largest entry)."""
    total = vector.sum()
    if abs(total) > 1e-9:
        return vector if total > 0 else -vector
    return vector if vector[np.argmax(np.abs(vector))] > 0 else -vector


def fit_dynamics(scores: np.ndarray, cal: LocalCalendar, shifts: dict) -> dict:
    """The multi-day regime (hourly factors), the 15-min AR(1) residual and its t d.o.f.

    For each month, the normal scores (day-type and quarter shifts removed) are averaged by
    day and hour over the month and its neighbours; the leading :data:`N_FACTORS`
    principal components of these daily 24-hour profiles are the regime's loadings by hour
    (the first is the day's overall level, the next ones move midday against the evening
    and night), and each factor's lag-1 day autocorrelation is its persistence. What the
    factors leave is the 15-min residual: its variance by hour and its AR(1) coefficient
    (least squares on the autocorrelation at lags 1-8 within a day).
    """
    quarter = np.asarray(shifts["quarter_shift"])[cal.month, cal.hour, cal.quarter]
    residual = scores - day_type_shift(cal, shifts) - quarter
    profiles = hourly_means(residual, cal)
    day_month = np.zeros(len(cal.days), dtype=np.int64)
    day_month[cal.day] = cal.month
    loadings = np.zeros((12, N_FACTORS, 24))
    persistence = np.zeros((12, N_FACTORS))
    variance = np.zeros((12, 24))
    phis = np.zeros(12)
    lags = np.arange(1, 9)
    changes = []
    for m in range(12):
        present = np.all(np.isfinite(profiles), axis=1)
        window = np.isin(day_month, [(m - 1) % 12, m, (m + 1) % 12]) & present
        x = profiles[window]
        eigenvalues, vectors = np.linalg.eigh(np.cov(x.T))
        order = np.argsort(eigenvalues)[::-1][:N_FACTORS]
        days = np.flatnonzero(window)
        consecutive = np.diff(days) == 1
        for k, j in enumerate(order):
            vector = _sign(vectors[:, j])
            value = max(float(eigenvalues[j]), 0.0)
            loadings[m, k] = np.sqrt(value) * vector
            factor = (x - x.mean(axis=0)) @ vector
            a, b = factor[:-1][consecutive], factor[1:][consecutive]
            rho = np.corrcoef(a, b)[0, 1] if a.size > 2 and np.std(a) > 0 else 0.0
            persistence[m, k] = np.clip(rho, 0.0, 0.95)
        # The 15-min residual of this month's intervals.
        factors = (profiles - profiles[window].mean(axis=0)) @ (
            loadings[m].T / np.maximum(np.sum(loadings[m] ** 2, axis=1), 1e-12)
        )  # (n_days, K) unit-variance scores
        fitted = np.einsum("dk,kh->dh", factors, loadings[m])
        in_month = cal.month == m
        e = np.where(in_month, residual - fitted[cal.day, cal.hour], np.nan)
        total = np.zeros(24)
        count = np.zeros(24)
        ok = np.isfinite(e)
        np.add.at(total, cal.hour[ok], e[ok] ** 2)
        np.add.at(count, cal.hour[ok], 1.0)
        variance[m] = _pool(total, 0, HOUR_POOL_WEIGHT) / np.maximum(
            _pool(count, 0, HOUR_POOL_WEIGHT), 1.0
        )
        standard = e / np.sqrt(variance[m][cal.hour])
        target = autocorrelation(standard, lags, groups=cal.day)
        fit = least_squares(
            lambda q, target=target: q[0] ** lags - target, x0=[0.8], bounds=([0.0], [0.995])
        )
        phis[m] = fit.x[0]
        same_day = (cal.day[1:] == cal.day[:-1]) & in_month[1:]
        change = np.diff(standard)[same_day]
        changes.append(change[np.isfinite(change)])
    # Heavy tails of the 15-min changes of the residual.
    change = np.concatenate(changes)
    change = change / np.std(change)
    excess = float(np.mean(change**4) - 3.0)
    df = float(np.clip(4.0 + 6.0 / max(excess, 1e-6), 4.5, 30.0))
    return {
        "factor_loadings": _r(loadings),
        "factor_autocorrelation": _r(persistence),
        "residual_variance": _r(variance),
        "interval_autocorrelation": _r(phis),
        "innovation_df": round(df, 2),
        "change_excess_kurtosis": round(excess, 2),
    }


def spike_day_autocorrelation(spike_day: np.ndarray, valid: np.ndarray) -> float:
    """Correlation of a day-to-day Gaussian AR(1) whose exceedances of a fixed threshold
    reproduce the share of spike days and the chance that a spike day follows one (on the
    ``valid`` days)."""
    share = float(np.mean(spike_day[valid]))
    pairs = valid[:-1] & valid[1:]
    previous = spike_day[:-1] & pairs
    if share <= 0 or share >= 1 or not previous.any():
        return 0.0
    follow = float(np.sum(previous & spike_day[1:]) / np.sum(previous))
    tau = float(ndtri(1.0 - share))

    def excess(rho: float) -> float:
        both = multivariate_normal([0.0, 0.0], [[1.0, rho], [rho, 1.0]]).cdf([-tau, -tau])
        return float(both) / share - follow

    if excess(0.0) >= 0:
        return 0.0
    if excess(0.99) <= 0:
        return 0.99
    return float(brentq(excess, 0.0, 0.99, xtol=1e-6))


def fit_spikes(
    prices: np.ndarray,
    cal: LocalCalendar,
    spikes: np.ndarray,
    medians: np.ndarray,
    exclude: np.ndarray,
) -> dict:
    """Spike episode rates, hours, day types, lengths, and prices relative to the month-hour
    median, outside the ``exclude`` (event) intervals."""
    starts, lengths = runs(spikes, SPIKE_EPISODE_GAP)
    kept = ~exclude[starts]
    starts, lengths = starts[kept], lengths[kept]
    start_month, start_hour = cal.month[starts], cal.hour[starts]
    n_month = np.bincount(cal.month[~exclude], minlength=12).astype(float)
    starts_month = np.bincount(start_month, minlength=12).astype(float)
    rate = _pool(starts_month, 0, SPIKE_MONTH_POOL_WEIGHT) / np.maximum(
        _pool(n_month, 0, SPIKE_MONTH_POOL_WEIGHT), 1.0
    )
    hours = np.bincount(start_hour, minlength=24).astype(float)
    hours = _pool(hours, 0, SPIKE_HOUR_POOL_WEIGHT) + SPIKE_HOUR_FLOOR
    n_hour = np.bincount(cal.hour[~exclude], minlength=24).astype(float)
    hour_rate = hours / np.maximum(n_hour, 1.0)
    hour_weight = hour_rate / np.mean(hour_rate)
    pmf = np.bincount(np.minimum(lengths, MAX_SPIKE_LENGTH), minlength=MAX_SPIKE_LENGTH + 1)[1:]
    pmf = pmf.astype(float) + 0.1
    pmf /= pmf.sum()
    # Spike days: their share by month (three-month window) and their persistence.
    n_days = len(cal.days)
    spike_day = np.zeros(n_days, dtype=bool)
    np.logical_or.at(spike_day, cal.day, spikes)
    valid = np.ones(n_days, dtype=bool)
    valid[cal.day[exclude]] = False
    day_month = np.zeros(n_days, dtype=np.int64)
    day_month[cal.day] = cal.month
    days_month = np.bincount(day_month[valid], minlength=12).astype(float)
    spike_days_month = np.bincount(day_month[spike_day & valid], minlength=12).astype(float)
    day_share = (_pool(spike_days_month, 0, SPIKE_MONTH_POOL_WEIGHT) + SPIKE_DAY_PRIOR) / (
        _pool(days_month, 0, SPIKE_MONTH_POOL_WEIGHT) + 2.0 * SPIKE_DAY_PRIOR
    )
    day_rho = spike_day_autocorrelation(spike_day, valid)
    # Off-days (weekends, holidays) are less often spike days.
    off_day = np.zeros(n_days, dtype=bool)
    off_day[cal.day] = cal.offday
    overall = float(np.mean(spike_day[valid]))
    factors = {}
    for name, flag in (("offday_factor", True), ("workday_factor", False)):
        observed = float(np.sum(spike_day & valid & (off_day == flag)))
        expected = overall * float(np.sum(valid & (off_day == flag)))
        factors[name] = (observed + SPIKE_DAYTYPE_PRIOR) / (expected + SPIKE_DAYTYPE_PRIOR)
    # Sizes (the heat-driven tail comes from the spike-day depth).
    sized = spikes & ~exclude if np.any(spikes & ~exclude) else spikes
    reference = np.maximum(medians, SPIKE_MIN_PRICE / SPIKE_RATIO)
    ratios = prices[sized] / reference[cal.month, cal.hour][sized]
    ratio_quantiles = weighted_quantiles(ratios, np.ones(ratios.size), SPIKE_LEVELS)
    return {
        "rate": _r(rate, 7),
        "day_share": _r(day_share),
        "day_autocorrelation": round(day_rho, DIGITS),
        "hour_weight": _r(hour_weight),
        "offday_factor": round(factors["offday_factor"], DIGITS),
        "workday_factor": round(factors["workday_factor"], DIGITS),
        "length_pmf": _r(pmf),
        "ratio_quantiles": _r(ratio_quantiles, 3),
        "episodes": len(starts),
        "mean_length_intervals": round(float(np.mean(lengths)), 3) if len(starts) else 0.0,
        "episodes_by_month": np.bincount(start_month, minlength=12).tolist(),
    }


def tmax_anomaly_quantiles(weather: pd.DataFrame, timezone: str) -> np.ndarray:
    """Quantiles by month of the daily-max temperature anomaly of a weather frame, (12, K)."""
    cal = local_calendar(weather.index, timezone)
    anomaly = daily_tmax_anomaly(cal, weather["temp_air_c"].to_numpy(dtype=float))
    day_month = np.zeros(len(cal.days), dtype=np.int64)
    day_month[cal.day] = cal.month
    return np.array([np.quantile(anomaly[day_month == m], ANOMALY_LEVELS) for m in range(12)])


def fit_calibration(
    prices: pd.Series, timezone: str, weather: pd.DataFrame, source: dict | None = None
) -> dict:
    """Fit every part of the price model.

    Parameters
    ----------
    prices : pandas.Series
        Real 15-min prices [$/MWh] indexed by UTC interval starts (a full year).
    timezone : str
        The market's zone (local clock hours and days).
    weather : pandas.DataFrame
        Default synthetic weather (``temp_air_c``) over several years, for the typical
        daily-max temperature anomaly.
    source : dict, optional
        Description of the data, stored under ``about``.
    """
    prices = prices.sort_index()
    cal = local_calendar(prices.index, timezone)
    raw = prices.to_numpy(dtype=float)
    levels = event_levels(raw, cal)
    values = remove_events(raw, cal, levels)
    medians = cell_medians(values, cal)
    spikes = detect_spikes(values, cal, medians)
    event = event_days(cal)
    base = fit_base(values, cal, spikes | event)
    scores = normal_scores(values, cal, event)
    day_type = fit_day_type(scores, cal)
    day_type |= fit_quarters(scores, cal, day_type)
    dynamics = fit_dynamics(scores, cal, day_type)
    return {
        "about": {
            "description": "vppsim synthetic market calibration; see vppsim.market.fit",
            "source": source or {},
            "calibration_year": CALIBRATION_YEAR,
            "intervals": len(raw),
            "positive_levels": list(POSITIVE_LEVELS),
            "negative_levels": list(NEGATIVE_LEVELS),
            "spike_levels": list(SPIKE_LEVELS),
            "anomaly_levels": list(ANOMALY_LEVELS),
            "max_spike_length": MAX_SPIKE_LENGTH,
            "factors": N_FACTORS,
            "spike_rule": {"ratio_to_cell_median": SPIKE_RATIO, "min_price": SPIKE_MIN_PRICE},
        },
        "events": {
            "levels": [
                {"year": y, "month": m, "level": round(v, DIGITS), "why": EVENT_MONTHS[(y, m)]}
                for (y, m), v in levels.items()
            ],
            "days_left_out_of_the_base": [
                {"first": a.isoformat(), "last": b.isoformat(), "why": why}
                for (a, b), why in EVENT_DAYS.items()
            ],
        },
        "base": base | day_type,
        "dynamics": dynamics,
        "spikes": fit_spikes(values, cal, spikes, medians, event),
        "weather": {"tmax_anomaly_quantiles": _r(tmax_anomaly_quantiles(weather, timezone), 3)},
    }


TYPICAL_WEATHER_YEARS = 10
TYPICAL_WEATHER_SEED = 2022
TYPICAL_SITE = {"latitude": 34.05, "longitude": -118.24, "timezone": "America/Los_Angeles"}


def typical_weather(
    years: int = TYPICAL_WEATHER_YEARS, seed: int = TYPICAL_WEATHER_SEED
) -> pd.DataFrame:
    """Default synthetic weather at LA Downtown over ``years`` years (2001 on), 15 min: the
    climatology behind "typical weather" in the heat effect (deterministic)."""
    import datetime as dt

    from vppsim.grid import build_grid
    from vppsim.weather.synthetic import simulate_weather

    site = TYPICAL_SITE
    grid = build_grid(dt.date(2001, 1, 1), dt.date(2000 + years, 12, 31), site["timezone"], 15)
    return simulate_weather(
        grid,
        site["latitude"],
        site["longitude"],
        site["timezone"],
        15,
        np.random.default_rng(seed),
    )
