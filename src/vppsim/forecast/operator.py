"""CAISO-style day-ahead point forecasts of the system drivers (the operator's forecasts).

Pure: from the expected system drivers of vppsim's ensemble (its mean over members: the
best estimate issued the day before) to the point forecast CAISO would publish, carrying the
real forecasts' bias by local hour (:mod:`vppsim.forecast.fit`, ``calibrated.json``):

* demand: ``forecast = expected / (1 - b_h)``, so that ``(forecast - expected) / forecast``
  is the real ``b_h``, the bias as a share of the forecast (CAISO's day-ahead load forecast
  ran 1.6 % (2022) and 2.1 % (2023) below EIA-930 actual demand, by hour from -8 % to +4.5 %);
* solar and wind: ``forecast = expected + b_h * capacity`` with the installed capacity
  [MW], the real bias as a share of capacity (solar: in daylight only, where the expected
  output is positive; CAISO's hub forecasts ran high, by up to 8 % of capacity at midday);
  both floored at 0;
* net load: demand less solar and wind, recomputed from the forecasts.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
import pandas as pd

from vppsim.calibration_file import read_calibration, read_only_arrays

COLUMNS = ("demand_mw", "solar_mw", "wind_mw")


@dataclass(frozen=True, eq=False)
class OperatorCalibration:
    """Bias tables of the operator forecasts by local hour 0..23 (``calibrated.json``)."""

    demand_bias_share: np.ndarray  # (24,) mean (forecast - actual) over the forecast [1]
    solar_bias_share: np.ndarray  # (24,) in daylight, over installed capacity [1]
    wind_bias_share: np.ndarray  # (24,) over installed capacity [1]

    @classmethod
    def from_calibration(cls, data: dict) -> OperatorCalibration:
        """Build from the dict layout of ``calibrated.json`` (its ``operator`` section)."""
        section = data["operator"]
        return cls(
            **{
                name: np.asarray(section[name], dtype=float)
                for name in ("demand_bias_share", "solar_bias_share", "wind_bias_share")
            }
        )

    @classmethod
    def default(cls) -> OperatorCalibration:
        """The shipped calibration (read once, arrays read-only)."""
        return _default_calibration()


@cache
def _default_calibration() -> OperatorCalibration:
    return read_only_arrays(
        OperatorCalibration.from_calibration(read_calibration("vppsim.forecast"))
    )


def operator_forecast(
    expected: pd.DataFrame,
    local_hour: np.ndarray,
    calibration: OperatorCalibration,
    *,
    solar_capacity_mw,
    wind_capacity_mw,
) -> pd.DataFrame:
    """CAISO's published-style day-ahead point forecast of the system drivers.

    Parameters
    ----------
    expected : pandas.DataFrame
        ``demand_mw``, ``solar_mw`` and ``wind_mw`` [MW]: the ensemble mean of the target
        day, any index (kept).
    local_hour : numpy.ndarray
        Local clock hour 0..23 of each row.
    calibration : OperatorCalibration
        The bias tables (:meth:`OperatorCalibration.default`).
    solar_capacity_mw, wind_capacity_mw : float or numpy.ndarray
        Installed capacity [MW], scalar or per row (e.g.
        :func:`vppsim.forecast.fit.installed_capacity`).

    Returns
    -------
    pandas.DataFrame
        ``demand_mw``, ``solar_mw``, ``wind_mw`` and ``net_load_mw`` [MW], on
        ``expected``'s index.

    Raises
    ------
    ValueError
        A column is missing or ``local_hour`` does not match the rows.
    """
    missing = [c for c in COLUMNS if c not in expected.columns]
    if missing:
        raise ValueError(f"expected lacks column(s) {', '.join(missing)}")
    hour = np.asarray(local_hour, dtype=np.int64)
    if hour.shape != (len(expected),):
        raise ValueError(f"local_hour has {hour.size} values for {len(expected)} rows")
    demand = expected["demand_mw"].to_numpy(float) / (1.0 - calibration.demand_bias_share[hour])
    solar_expected = expected["solar_mw"].to_numpy(float)
    # Solar's bias is a daylight figure: the night (and a dark dawn) stays at the expected 0.
    solar_bias = np.where(
        solar_expected > 0.0,
        calibration.solar_bias_share[hour] * np.asarray(solar_capacity_mw, dtype=float),
        0.0,
    )
    solar = np.maximum(solar_expected + solar_bias, 0.0)
    wind = np.maximum(
        expected["wind_mw"].to_numpy(float)
        + calibration.wind_bias_share[hour] * np.asarray(wind_capacity_mw, dtype=float),
        0.0,
    )
    return pd.DataFrame(
        {
            "demand_mw": demand,
            "solar_mw": solar,
            "wind_mw": wind,
            "net_load_mw": demand - solar - wind,
        },
        index=expected.index,
    )
