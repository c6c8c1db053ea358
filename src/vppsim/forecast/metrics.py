"""Accuracy of forecasts against outcomes: point errors, quantile scores, calibration.

Every function is pure: arrays (or frames) in, arrays (or frames) out. A quantile forecast
is an array of shape ``(n, levels)`` whose columns are the quantiles at ``levels``
(ascending), by default :data:`QUANTILE_LEVELS`, the columns ``q05`` .. ``q95`` of the
forecast files. Rows where the outcome or a forecast is not finite are left out of every
mean, so a metric is over the rows where it is defined.

The point-error definitions follow epftoolbox, the open benchmark of electricity price
forecasting: J. Lago, G. Marcjasz, B. De Schutter, R. Weron, "Forecasting day-ahead
electricity prices: A review of state-of-the-art algorithms, best practices and an
open-access benchmark", Applied Energy 293, 116983 (2021),
https://doi.org/10.1016/j.apenergy.2021.116983 (code: https://github.com/jeslago/epftoolbox).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import scoringrules as sr

from vppsim.dataset.schemas import TIMESTAMP
from vppsim.forecast.parameters import QUANTILE_LEVELS

ISSUED_AT = "issued_at"
"""Column of the UTC instant a forecast was issued."""

NAIVE_LAG = pd.Timedelta(days=7)
"""The lag of the weekly naive forecast: the same interval one week before."""


def _pairs(y, f) -> tuple[np.ndarray, np.ndarray]:
    """Outcomes and point forecasts as float arrays, restricted to rows where both are finite."""
    y, f = np.broadcast_arrays(np.asarray(y, dtype=float), np.asarray(f, dtype=float))
    keep = np.isfinite(y) & np.isfinite(f)
    return y[keep], f[keep]


def _mean(values: np.ndarray) -> float:
    return float(values.mean()) if values.size else float("nan")


def mae(y, f) -> float:
    """Mean absolute error, in the unit of ``y``.

    Parameters
    ----------
    y, f : array_like
        Outcomes and point forecasts (e.g. the ``q50``), broadcast together.

    Returns
    -------
    float
        ``mean |y - f|``; NaN without a finite pair.
    """
    y, f = _pairs(y, f)
    return _mean(np.abs(y - f))


def bias(y, f) -> float:
    """Mean error ``mean(f - y)``, in the unit of ``y``: positive when forecasts run high."""
    y, f = _pairs(y, f)
    return _mean(f - y)


def mape(y, f, min_abs: float = 0.0) -> float:
    """Mean absolute percentage error [%] (epftoolbox's MAPE, times 100).

    Parameters
    ----------
    y, f : array_like
        Outcomes and point forecasts.
    min_abs : float
        Outcomes with ``|y| <= min_abs`` are left out: the ratio is undefined at zero and
        meaningless near it (real-time prices cross zero, PV is zero at night). The default
        leaves out only exact zeros.

    Returns
    -------
    float
        ``100 * mean |y - f| / |y|`` over the outcomes kept; NaN if none is.
    """
    y, f = _pairs(y, f)
    keep = np.abs(y) > min_abs
    return 100.0 * _mean(np.abs(y[keep] - f[keep]) / np.abs(y[keep]))


def smape(y, f) -> float:
    """Symmetric mean absolute percentage error [%] (epftoolbox's sMAPE, times 100).

    ``100 * mean 2 |y - f| / (|y| + |f|)``, between 0 and 200; pairs where both are zero
    (a correct forecast of zero) count as 0.
    """
    y, f = _pairs(y, f)
    scale = np.abs(y) + np.abs(f)
    ratio = np.divide(2.0 * np.abs(y - f), scale, out=np.zeros_like(y), where=scale > 0)
    return 100.0 * _mean(ratio)


def rmae(y, f, naive) -> float:
    """MAE relative to the MAE of a naive forecast [1] (epftoolbox's rMAE).

    Parameters
    ----------
    y, f, naive : array_like
        Outcomes, forecasts and the naive forecast (see :func:`weekly_naive`), over the
        same rows; only rows where all three are finite count.

    Returns
    -------
    float
        ``mean |y - f| / mean |y - naive|``: below 1 beats the naive forecast. NaN when
        no row counts or the naive forecast is perfect.
    """
    y, f, naive = np.broadcast_arrays(*(np.asarray(a, dtype=float) for a in (y, f, naive)))
    keep = np.isfinite(y) & np.isfinite(f) & np.isfinite(naive)
    scale = mae(y[keep], naive[keep])
    return mae(y[keep], f[keep]) / scale if scale > 0 else float("nan")


def weekly_naive(outcomes: pd.DataFrame, timestamps, column: str) -> np.ndarray:
    """The weekly naive forecast: the outcome of the same interval one week before.

    epftoolbox's rMAE scales by the MAE of a seasonal naive forecast; the weekly one is
    used here because it needs no calendar of weekdays.

    Parameters
    ----------
    outcomes : DataFrame
        ``timestamp`` (UTC interval starts) and ``column``.
    timestamps : array_like of datetime
        UTC interval starts to forecast.
    column : str
        The outcome column.

    Returns
    -------
    ndarray
        ``column`` at each timestamp minus :data:`NAIVE_LAG` (168 h in UTC, so over a
        change of the clocks the same interval is one local hour off); NaN where that
        interval has no outcome.
    """
    series = outcomes.set_index(TIMESTAMP)[column]
    lagged = pd.DatetimeIndex(timestamps) - NAIVE_LAG
    return series.reindex(lagged).to_numpy(dtype=float)


def _quantile_pairs(y, q) -> tuple[np.ndarray, np.ndarray]:
    """Outcomes ``(n,)`` and quantile forecasts ``(n, levels)`` on rows where all are finite."""
    y = np.asarray(y, dtype=float).reshape(-1)
    q = np.asarray(q, dtype=float).reshape(len(y), -1)
    keep = np.isfinite(y) & np.isfinite(q).all(axis=1)
    return y[keep], q[keep]


def pinball(y, q, levels=QUANTILE_LEVELS) -> np.ndarray:
    """Mean pinball (quantile) loss of each quantile, in the unit of ``y``.

    Parameters
    ----------
    y : array_like, shape (n,)
        Outcomes.
    q : array_like, shape (n, levels)
        Quantile forecasts at ``levels``.
    levels : sequence of float
        The quantile levels, in (0, 1).

    Returns
    -------
    ndarray, shape (levels,)
        ``mean(max(a (y - q_a), (a - 1) (y - q_a)))`` for each level ``a``.
    """
    y, q = _quantile_pairs(y, q)
    alpha = np.asarray(levels, dtype=float)
    error = y[:, None] - q
    loss = np.maximum(alpha * error, (alpha - 1.0) * error)
    return loss.mean(axis=0) if len(y) else np.full(len(alpha), np.nan)


def crps_quantiles(y, q, levels=QUANTILE_LEVELS) -> np.ndarray:
    """CRPS of each row approximated from its quantiles, in the unit of ``y``.

    The CRPS is twice the pinball loss integrated over all levels; with the seven levels
    of the forecast files it is approximated by twice the mean pinball loss over them
    (scoringrules' ``crps_quantile``). Equal weights on these levels over-weight the
    tails, where the pinball loss is small, so the approximation is below the exact CRPS:
    for a calibrated normal forecast of sd ``s`` its expectation is
    ``(2/7) s sum(phi(z_a))`` = 0.455 s against the exact ``s / sqrt(pi)`` = 0.564 s, a
    ratio of 0.81. Scores compare only between forecasts on the same levels (the
    climatology of :func:`climatological_quantiles` is scored the same way).

    Parameters
    ----------
    y : array_like, shape (n,)
        Outcomes.
    q : array_like, shape (n, levels)
        Quantile forecasts at ``levels``.
    levels : sequence of float
        The quantile levels.

    Returns
    -------
    ndarray, shape (n,)
        The approximate CRPS of each row (NaN where the row has a non-finite value).
    """
    y = np.asarray(y, dtype=float).reshape(-1)
    q = np.asarray(q, dtype=float).reshape(len(y), -1)
    return np.asarray(
        sr.crps_quantile(y, q, np.asarray(levels, dtype=float), backend="numpy"), dtype=float
    )


def crps_members(y, members, estimator: str = "fair") -> np.ndarray:
    """CRPS of each row's ensemble of members (scoringrules ``crps_ensemble``).

    Parameters
    ----------
    y : array_like, shape (n,)
        Outcomes.
    members : array_like, shape (n, m)
        The ``m`` members of each row.
    estimator : str
        scoringrules' estimator; the default ``"fair"`` estimates the CRPS of the
        distribution the members are drawn from, so scores of ensembles of different size
        compare (C. Ferro, "Fair scores for ensemble forecasts", Q. J. R. Meteorol. Soc.
        140, 1917-1923, 2014, https://doi.org/10.1002/qj.2270).

    Returns
    -------
    ndarray, shape (n,)
        The CRPS of each row, in the unit of ``y``.
    """
    y = np.asarray(y, dtype=float).reshape(-1)
    members = np.asarray(members, dtype=float).reshape(len(y), -1)
    return np.asarray(
        sr.crps_ensemble(y, members, estimator=estimator, backend="numpy"), dtype=float
    )


def coverage(y, lower, upper) -> float:
    """Share of outcomes inside ``[lower, upper]`` [1]; NaN without a finite row."""
    y, lower, upper = np.broadcast_arrays(*(np.asarray(a, dtype=float) for a in (y, lower, upper)))
    keep = np.isfinite(y) & np.isfinite(lower) & np.isfinite(upper)
    return _mean(((y >= lower) & (y <= upper))[keep].astype(float))


def width(lower, upper) -> float:
    """Mean width of the intervals ``[lower, upper]``, in their unit."""
    lower, upper = _pairs(lower, upper)
    return _mean(upper - lower)


def _cdf_below(y: np.ndarray, q: np.ndarray, alpha: np.ndarray, count: np.ndarray) -> np.ndarray:
    """The interpolated CDF at ``y`` given ``count`` quantiles lie below it; the outer
    tails get their midpoints (``alpha[0] / 2`` and ``(alpha[-1] + 1) / 2``)."""
    last = len(alpha) - 1
    low = np.clip(count - 1, 0, last)
    high = np.clip(count, 0, last)
    rows = np.arange(len(y))
    q_low, q_high = q[rows, low], q[rows, high]
    span = np.where(q_high > q_low, q_high - q_low, 1.0)
    inner = alpha[low] + (alpha[high] - alpha[low]) * (y - q_low) / span
    return np.select([count == 0, count > last], [alpha[0] / 2.0, (alpha[-1] + 1.0) / 2.0], inner)


def pit(y, q, levels=QUANTILE_LEVELS) -> np.ndarray:
    """Probability integral transform of each outcome under its quantile forecast [1].

    Between quantiles the forecast CDF is linear; an outcome beyond the outer quantiles
    gets the middle of its tail (``levels[0] / 2`` or ``(levels[-1] + 1) / 2``), so a
    histogram with bins between the levels (:func:`pit_histogram`) is exactly that of the
    randomised PIT, uniform within the tails. An outcome on a flat stretch of the CDF
    (equal quantiles, e.g. PV at night) gets the middle of the levels it spans.

    Parameters
    ----------
    y : array_like, shape (n,)
        Outcomes.
    q : array_like, shape (n, levels)
        Quantile forecasts, ascending along each row.
    levels : sequence of float
        The quantile levels, ascending.

    Returns
    -------
    ndarray, shape (n',)
        PIT values in (0, 1) of the rows where all values are finite; uniform for a
        calibrated forecast.
    """
    y, q = _quantile_pairs(y, q)
    alpha = np.asarray(levels, dtype=float)
    below = _cdf_below(y, q, alpha, (q < y[:, None]).sum(axis=1))
    at_or_below = _cdf_below(y, q, alpha, (q <= y[:, None]).sum(axis=1))
    return (below + at_or_below) / 2.0


def pit_histogram(values, levels=QUANTILE_LEVELS) -> tuple[np.ndarray, np.ndarray]:
    """Share of PIT values between consecutive quantile levels.

    The bins are those the quantiles resolve, edges ``0, levels..., 1``: within a bin the
    PIT of :func:`pit` is a linear interpolation, exact only if the forecast density is
    flat there, so finer bins would show shapes of the interpolation, not of calibration.

    Returns
    -------
    share : ndarray, shape (levels + 1,)
        Fraction of the values in each bin [1]; for a calibrated forecast, the bin's width.
    edges : ndarray, shape (levels + 2,)
        The bin edges.
    """
    values = np.asarray(values, dtype=float)
    edges = np.array([0.0, *levels, 1.0])
    counts, _ = np.histogram(values, bins=edges)
    share = counts / counts.sum() if counts.sum() else np.full(len(counts), np.nan)
    return share, edges


def reliability(y, q) -> np.ndarray:
    """Observed frequency of outcomes at or below each quantile [1].

    Parameters
    ----------
    y : array_like, shape (n,)
        Outcomes.
    q : array_like, shape (n, levels)
        Quantile forecasts.

    Returns
    -------
    ndarray, shape (levels,)
        ``mean(y <= q_a)`` for each level ``a``; equal to the levels when calibrated
        (the points of a reliability diagram).
    """
    y, q = _quantile_pairs(y, q)
    if not len(y):
        return np.full(q.shape[1], np.nan)
    return (y[:, None] <= q).mean(axis=0)


def cv_rmse(y, f) -> float:
    """Coefficient of variation of the RMSE [1]: ``sqrt(mean (y - f)^2) / mean(y)``.

    The load-forecasting metric of BuildingsBench (P. Emami et al., "BuildingsBench: A
    Large-Scale Dataset of 900K Buildings and Benchmark for Short-Term Load Forecasting",
    NeurIPS Datasets and Benchmarks, 2023, https://arxiv.org/abs/2307.00142). NaN when
    the mean outcome is not positive.
    """
    y, f = _pairs(y, f)
    level = _mean(y)
    if not level > 0:
        return float("nan")
    return float(np.sqrt(np.mean((y - f) ** 2)) / level)


def climatological_quantiles(
    outcomes: pd.DataFrame,
    keys: pd.DataFrame,
    column: str,
    timezone: str,
    interval: pd.Timedelta,
    by_month: bool = True,
    min_history: int = 8,
    levels=QUANTILE_LEVELS,
) -> pd.DataFrame:
    """Climatological quantile forecasts, each from the outcomes known when it is issued.

    For a target interval, the climatology is the empirical distribution of the outcomes
    of the same local clock hour (and month) that ended at or before the issue time, so it
    uses exactly the history a forecaster had.

    Parameters
    ----------
    outcomes : DataFrame
        ``timestamp`` (UTC interval starts) and ``column``.
    keys : DataFrame
        ``issued_at`` and ``timestamp`` (UTC) of the forecasts to mirror; other columns
        (e.g. ``variable``) are carried over.
    column : str
        The outcome column.
    timezone : str
        IANA time zone of the local hours and months.
    interval : Timedelta
        Length of an interval: an outcome is known at its interval's end.
    by_month : bool
        Condition on the target's local month as well as its hour.
    min_history : int
        Fewest past outcomes for a climatology; with fewer, the quantiles are NaN.
    levels : sequence of float
        The quantile levels.

    Returns
    -------
    DataFrame
        ``keys`` with one column per level (named as :data:`QUANTILE_COLUMNS` for the
        default levels), empirical quantiles with Weibull plotting positions ``k/(n+1)``.
    """
    names = [f"q{round(level * 100):02d}" for level in levels]
    history = outcomes[[TIMESTAMP, column]].dropna().sort_values(TIMESTAMP)

    def classes(timestamps) -> np.ndarray:
        local = pd.DatetimeIndex(timestamps).tz_convert(timezone)
        return local.hour.to_numpy() + (100 * local.month.to_numpy() if by_month else 0)

    known_at = (pd.DatetimeIndex(history[TIMESTAMP]) + interval).to_numpy()
    values = history[column].to_numpy(dtype=float)
    history_class = classes(history[TIMESTAMP])
    target_class = classes(keys[TIMESTAMP])
    issued = pd.DatetimeIndex(keys[ISSUED_AT]).to_numpy()
    result = np.full((len(keys), len(levels)), np.nan)
    for group in np.unique(target_class):
        rows = np.flatnonzero(target_class == group)
        mine = history_class == group
        # Outcomes are in time order, so each issue time sees a prefix of them.
        known = np.searchsorted(known_at[mine], issued[rows], side="right")
        past = values[mine]
        for count in np.unique(known):
            if count >= min_history:
                result[rows[known == count]] = np.quantile(past[:count], levels, method="weibull")
    frame = keys.reset_index(drop=True).copy()
    frame[names] = result
    return frame
