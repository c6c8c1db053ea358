"""Shared statistics: quantile functions, weighted quantiles, and thin wrappers over scipy.

Model tables store distributions as quantiles at fixed probability levels; a model draws a
value by evaluating the piecewise-linear inverse CDF through them at a uniform ``u``
(:func:`quantile_function`). Where scipy has the statistic, it is used (KS distance, line
fits).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

import numpy as np
from scipy import stats as _scipy_stats


def quantile_function(
    u: np.ndarray, quantiles: np.ndarray, levels: np.ndarray | None = None
) -> np.ndarray:
    """Piecewise-linear inverse CDF through stored quantiles.

    Parameters
    ----------
    u : numpy.ndarray
        Probabilities, 0..1 (clipped); broadcasts against ``quantiles[..., 0]``.
    quantiles : numpy.ndarray
        Quantile tables along the last axis, at ``levels`` (e.g. one table per
        month-hour cell, already indexed per value of ``u``).
    levels : numpy.ndarray, optional
        Increasing probability levels of the last axis, from 0 to 1. ``None``: evenly spaced
        from 0 to 1 (``linspace(0, 1, k)``).

    Returns
    -------
    numpy.ndarray
        The broadcast shape of ``u`` and ``quantiles[..., 0]``.
    """
    quantiles = np.asarray(quantiles, dtype=float)
    k = quantiles.shape[-1]
    u = np.asarray(u, dtype=float)
    if levels is None:
        position = np.clip(u, 0.0, 1.0) * (k - 1)
    else:
        position = np.interp(u, np.asarray(levels, dtype=float), np.arange(k, dtype=float))
    low = np.clip(np.floor(position).astype(np.int64), 0, k - 2)
    frac = position - low
    shape = np.broadcast_shapes(low.shape, quantiles.shape[:-1])
    table = np.broadcast_to(quantiles, (*shape, k))
    low = np.broadcast_to(low, shape)[..., None]
    below = np.take_along_axis(table, low, axis=-1)[..., 0]
    above = np.take_along_axis(table, low + 1, axis=-1)[..., 0]
    return below + frac * (above - below)


def weighted_quantiles(values: np.ndarray, weights: np.ndarray, levels) -> np.ndarray:
    """Quantiles of weighted samples.

    Linear between the weighted mid-points of the sorted samples; the smallest and largest
    samples at levels 0 and 1.

    Parameters
    ----------
    values, weights : numpy.ndarray
        Samples and their non-negative weights (1-D, same length, total weight > 0).
    levels : array_like
        Probability levels, 0..1.

    Returns
    -------
    numpy.ndarray
        One quantile per level.
    """
    values = np.asarray(values, dtype=float)
    weights = np.asarray(weights, dtype=float)
    order = np.argsort(values, kind="stable")
    v, w = values[order], weights[order]
    cum = np.cumsum(w)
    positions = (cum - 0.5 * w) / cum[-1]
    positions = np.concatenate([[0.0], positions, [1.0]])
    v = np.concatenate([[v[0]], v, [v[-1]]])
    return np.interp(np.asarray(levels, dtype=float), positions, v)


def ks_distance(a: Iterable[float], b: Iterable[float]) -> float:
    """Two-sample Kolmogorov-Smirnov distance: the largest gap between the empirical CDFs
    (:func:`scipy.stats.ks_2samp`).

    Raises
    ------
    ValueError
        A sample is empty.
    """
    a = np.ravel(np.asarray(a, dtype=float))
    b = np.ravel(np.asarray(b, dtype=float))
    if a.size == 0 or b.size == 0:
        raise ValueError("both samples need at least one value")
    return float(_scipy_stats.ks_2samp(a, b).statistic)


class LineFit(NamedTuple):
    """A least-squares line ``y = slope * x + intercept`` and its correlation ``r``."""

    slope: float
    intercept: float
    r: float

    @property
    def r_squared(self) -> float:
        """Share of the variance of ``y`` the line explains."""
        return self.r * self.r


def linear_fit(x: Iterable[float], y: Iterable[float]) -> LineFit:
    """Least-squares line through ``(x, y)`` (:func:`scipy.stats.linregress`).

    Raises
    ------
    ValueError
        Fewer than two points, or all ``x`` equal.
    """
    x = np.ravel(np.asarray(x, dtype=float))
    y = np.ravel(np.asarray(y, dtype=float))
    if x.size < 2 or np.all(x == x[0]):
        raise ValueError("a line needs at least two distinct x values")
    result = _scipy_stats.linregress(x, y)
    return LineFit(float(result.slope), float(result.intercept), float(result.rvalue))
