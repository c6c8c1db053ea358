"""The error statistics of a day-ahead point forecast (real CAISO pairs or vppsim's own).

Pure: arrays in, an :class:`ErrorStatistics` out. The error is ``forecast - actual``
(positive: the forecast was too high). Its size is the mean absolute percentage error for
demand (``relative_to="actual"``), or the mean absolute error as a share of installed
capacity for solar and wind (``relative_to="capacity"``), the conventions of CAISO's and the
literature's forecast-accuracy figures quoted in ``CALIBRATION.md``. Solar is scored in
daylight only (``mask``, see :func:`daylight_mask`): night hours are trivially right and
would dilute the figure.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from vppsim.timeseries import autocorrelation

HOURS = 24
DAYLIGHT_SHARE = 0.01
"""Share of capacity both the forecast and the actual must exceed for an hour to count as
daylight [1]: hours at dawn and dusk with a few MW are left out with the night."""


@dataclass(frozen=True, eq=False)
class ErrorStatistics:
    """What describes a point forecast's error.

    Attributes
    ----------
    relative_to : {"actual", "capacity"}
        What :attr:`error_pct` and :attr:`bias_pct` are relative to.
    n : int
        Intervals scored (finite pairs inside the mask).
    scale : float
        The mean actual (``"actual"``) or the mean capacity (``"capacity"``) over the scored
        intervals [units]: what the percentages other than the MAPE are relative to.
    error_pct : float
        MAPE, mean of ``|e| / actual`` [%] (``"actual"``), or MAE over :attr:`scale` [%].
    mae : float
        Mean absolute error [units of the input, e.g. MW].
    bias : float
        Mean error [units]; positive when the forecast runs high.
    bias_pct : float
        Bias over :attr:`scale` [%].
    hourly_bias, hourly_mae : numpy.ndarray
        Mean error and mean absolute error by local hour 0..23 [units]; NaN for an hour
        without scored intervals.
    acf_1h, acf_24h : float
        Autocorrelation of the error at lags 1 h and 24 h [1] (its persistence).
    p05, p95 : float
        5th and 95th percentiles of the error [units].
    """

    relative_to: str
    n: int
    scale: float
    error_pct: float
    mae: float
    bias: float
    bias_pct: float
    hourly_bias: np.ndarray
    hourly_mae: np.ndarray
    acf_1h: float
    acf_24h: float
    p05: float
    p95: float

    def summary(self) -> dict:
        """The figures, rounded, as a JSON-ready dict (hourly tables as lists)."""
        return {
            "relative_to": self.relative_to,
            "n": self.n,
            "scale": round(self.scale, 2),
            "error_pct": round(self.error_pct, 3),
            "mae": round(self.mae, 2),
            "bias": round(self.bias, 2),
            "bias_pct": round(self.bias_pct, 3),
            "acf_1h": round(self.acf_1h, 4),
            "acf_24h": round(self.acf_24h, 4),
            "p05": round(self.p05, 2),
            "p95": round(self.p95, 2),
            "hourly_bias": _json_list(self.hourly_bias),
            "hourly_mae": _json_list(self.hourly_mae),
        }


def _json_list(values: np.ndarray) -> list:
    """Rounded to 0.01, NaN as None (JSON null: an hour without scored intervals)."""
    return [round(float(v), 2) if np.isfinite(v) else None for v in values]


def daylight_mask(
    forecast: np.ndarray, actual: np.ndarray, capacity, share: float = DAYLIGHT_SHARE
) -> np.ndarray:
    """Daylight intervals of a solar pair: forecast and actual both above ``share`` of
    ``capacity`` [same units, scalar or per interval]."""
    floor = share * np.asarray(capacity, dtype=float)
    return (np.asarray(forecast, dtype=float) > floor) & (np.asarray(actual, dtype=float) > floor)


def hourly_means(values: np.ndarray, local_hour: np.ndarray) -> np.ndarray:
    """Mean of the finite ``values`` by local hour 0..23 (NaN for an hour without any)."""
    values = np.asarray(values, dtype=float)
    finite = np.isfinite(values)
    hour = np.asarray(local_hour, dtype=np.int64)[finite]
    sums = np.bincount(hour, weights=values[finite], minlength=HOURS)
    counts = np.bincount(hour, minlength=HOURS)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(counts > 0, sums / counts, np.nan)


def error_statistics(
    forecast: np.ndarray,
    actual: np.ndarray,
    local_hour: np.ndarray,
    *,
    relative_to: Literal["actual", "capacity"],
    capacity=None,
    mask: np.ndarray | None = None,
    steps_per_hour: int = 1,
) -> ErrorStatistics:
    """The error statistics of ``forecast`` against ``actual``.

    Parameters
    ----------
    forecast, actual : numpy.ndarray
        Aligned series on a regular grid [MW or any unit]; NaN marks a missing value.
    local_hour : numpy.ndarray
        Local clock hour 0..23 of each interval (for the hour-of-day profiles).
    relative_to : {"actual", "capacity"}
        ``"actual"``: MAPE and bias over the mean actual (demand). ``"capacity"``: MAE and
        bias over ``capacity`` (solar, wind).
    capacity : float or numpy.ndarray, optional
        Installed capacity [units], scalar or per interval; required with ``"capacity"``.
    mask : numpy.ndarray of bool, optional
        Intervals to score (e.g. :func:`daylight_mask`); the others count as missing, also in
        the autocorrelation (no pair bridges them).
    steps_per_hour : int
        Intervals per hour (1 hourly, 4 at 15 min), for the 1 h and 24 h lags.

    Returns
    -------
    ErrorStatistics

    Raises
    ------
    ValueError
        Unknown ``relative_to``, no ``capacity`` for ``"capacity"``, mismatched lengths, or
        nothing left to score.
    """
    f = np.asarray(forecast, dtype=float)
    a = np.asarray(actual, dtype=float)
    hour = np.asarray(local_hour, dtype=np.int64)
    if not (f.shape == a.shape == hour.shape) or f.ndim != 1:
        raise ValueError("forecast, actual and local_hour must be 1-D of the same length")
    if relative_to not in ("actual", "capacity"):
        raise ValueError(f"relative_to={relative_to!r}: use 'actual' or 'capacity'")
    if relative_to == "capacity" and capacity is None:
        raise ValueError("relative_to='capacity' needs a capacity")
    error = f - a
    keep = np.isfinite(error) if mask is None else np.isfinite(error) & np.asarray(mask, bool)
    if relative_to == "actual":
        keep &= a != 0
    if not keep.any():
        raise ValueError("no interval left to score")
    scored = np.where(keep, error, np.nan)
    e = error[keep]
    mae = float(np.mean(np.abs(e)))
    if relative_to == "actual":
        scale = float(np.mean(a[keep]))
        error_pct = 100.0 * float(np.mean(np.abs(e / a[keep])))
    else:
        scale = float(np.mean(np.broadcast_to(np.asarray(capacity, dtype=float), f.shape)[keep]))
        error_pct = 100.0 * mae / scale
    acf = autocorrelation(scored, [steps_per_hour, HOURS * steps_per_hour])
    return ErrorStatistics(
        relative_to=relative_to,
        n=int(keep.sum()),
        error_pct=error_pct,
        scale=scale,
        mae=mae,
        bias=float(np.mean(e)),
        bias_pct=100.0 * float(np.mean(e)) / scale,
        hourly_bias=hourly_means(scored, hour),
        hourly_mae=hourly_means(np.abs(scored), hour),
        acf_1h=float(acf[0]),
        acf_24h=float(acf[1]),
        p05=float(np.quantile(e, 0.05)),
        p95=float(np.quantile(e, 0.95)),
    )
