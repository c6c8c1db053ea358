"""Shared time-series helpers: stationary AR(1) filters and sample autocorrelation.

The AR(1) filters turn standard-normal innovations ``e`` into a unit-variance stationary
series ``x[0] = e[0]``, ``x[t] = phi x[t-1] + sqrt(1 - phi^2) e[t]``, the building block of
every persistent random component of the models (cloud spells, temperature anomalies, wind,
price regimes, load noise).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy.signal import lfilter


def ar1(innovations: np.ndarray, phi: float, axis: int = 0) -> np.ndarray:
    """A stationary unit-variance AR(1) along ``axis`` with a constant coefficient.

    Parameters
    ----------
    innovations : numpy.ndarray
        Standard-normal innovations, any shape.
    phi : float
        Lag-1 autocorrelation, in (-1, 1).
    axis : int
        The time axis.

    Returns
    -------
    numpy.ndarray
        Same shape as ``innovations`` (float64, or float32 for float32 input).
    """
    if innovations.size == 0:
        return innovations
    # The scale in the innovations' precision: float32 noise stays float32 arithmetic.
    scale = np.asarray(np.sqrt(1.0 - phi**2), dtype=np.result_type(innovations, np.float32))
    scaled = np.moveaxis(innovations * scale, axis, 0)
    scaled[0] = np.moveaxis(innovations, axis, 0)[0]
    out = lfilter([1.0], [1.0, -phi], scaled, axis=0)
    return np.moveaxis(out.astype(innovations.dtype, copy=False), 0, axis)


def ar1_varying(innovations: np.ndarray, phi: np.ndarray, axis: int = 0) -> np.ndarray:
    """A unit-variance AR(1) along ``axis`` whose coefficient changes over time.

    ``x[t] = phi[t] x[t-1] + sqrt(1 - phi[t]^2) e[t]`` (``phi[0]`` is unused): the variance
    stays 1 while the persistence follows, e.g., the month of each day. A recursion, since
    :func:`scipy.signal.lfilter` needs constant coefficients.

    Parameters
    ----------
    innovations : numpy.ndarray
        Standard-normal innovations, any shape.
    phi : numpy.ndarray
        Coefficients, broadcastable to ``innovations``.
    axis : int
        The time axis.

    Returns
    -------
    numpy.ndarray
        float64, same shape as ``innovations``.
    """
    e = np.asarray(innovations, dtype=float)
    phi = np.broadcast_to(np.asarray(phi, dtype=float), e.shape)
    if e.size == 0:
        return e.copy()
    if e.ndim == 1:
        # Python floats: a 1-D recursion runs several times faster than on numpy scalars.
        out = np.empty(len(e))
        scale = np.sqrt(1.0 - phi * phi)
        previous = 0.0
        for t, (f, s, x) in enumerate(zip(phi.tolist(), scale.tolist(), e.tolist(), strict=True)):
            previous = x if t == 0 else f * previous + s * x
            out[t] = previous
        return out
    z = np.moveaxis(e, axis, 0)
    f = np.moveaxis(phi, axis, 0)
    scale = np.sqrt(1.0 - f * f)
    out = np.empty_like(z)
    out[0] = z[0]
    for t in range(1, len(z)):
        out[t] = f[t] * out[t - 1] + scale[t] * z[t]
    return np.moveaxis(out, 0, axis)


def autocorrelation(
    x: np.ndarray, lags: int | Sequence[int], groups: np.ndarray | None = None
) -> np.ndarray | float:
    """Sample autocorrelation of each series along the last axis of ``x``.

    The usual estimator: each series is centred on its own mean and the lagged products are
    divided by its variance. NaN values are missing (left out of the mean, the variance and
    the pairs); with ``groups``, only pairs whose two values are in the same group count
    (e.g. the same station, month or day), so a gap between groups is never bridged.

    Parameters
    ----------
    x : numpy.ndarray
        One series (1-D) or several (the last axis is time).
    lags : int or sequence of int
        Lags [steps], each >= 1.
    groups : numpy.ndarray, optional
        Group label of each value, broadcastable to ``x``.

    Returns
    -------
    float or numpy.ndarray
        Shape ``x.shape[:-1]`` for an int ``lags``, else ``x.shape[:-1] + (len(lags),)``;
        NaN for a lag without pairs or a series of zero variance.
    """
    values = np.asarray(x, dtype=float)
    scalar = np.isscalar(lags)
    lag_list = [int(lags)] if scalar else [int(k) for k in lags]
    if any(k < 1 for k in lag_list):
        raise ValueError(f"lags must be >= 1, not {lags!r}")
    valid = np.isfinite(values)
    count = valid.sum(axis=-1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(valid, values, 0.0).sum(axis=-1, keepdims=True) / count
        centred = np.where(valid, values - mean, 0.0)
        variance = (centred * centred).sum(axis=-1) / count[..., 0]
    label = None if groups is None else np.broadcast_to(np.asarray(groups), values.shape)
    out = []
    for k in lag_list:
        pairs = valid[..., :-k] & valid[..., k:]
        if label is not None:
            pairs = pairs & (label[..., :-k] == label[..., k:])
        products = np.where(pairs, centred[..., :-k] * centred[..., k:], 0.0).sum(axis=-1)
        n_pairs = pairs.sum(axis=-1)
        with np.errstate(invalid="ignore", divide="ignore"):
            out.append(
                np.where((n_pairs > 0) & (variance > 0), products / n_pairs / variance, np.nan)
            )
    result = np.stack(out, axis=-1)
    if scalar:
        result = result[..., 0]
    return float(result) if result.ndim == 0 else result


def runs(flags: np.ndarray, gap: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Start indices and lengths of the runs of True in ``flags`` (e.g. spike episodes).

    Parameters
    ----------
    flags : numpy.ndarray
        1-D booleans.
    gap : int
        Runs separated by at most this many False values are merged into one.

    Returns
    -------
    starts, lengths : numpy.ndarray
        int64 arrays, one entry per run.
    """
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
