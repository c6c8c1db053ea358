"""The forecast calibration report: CAISO's real day-ahead forecast errors, per series and
year, and beside them (when given) vppsim's synthetic operator forecasts' (issue 13).

:func:`forecast_calibration_tables` returns the tables; ``vppsim calibrate --part
forecasts`` prints them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from vppsim.calendar import CAISO_TIMEZONE
from vppsim.config import DEFAULT_SITE
from vppsim.forecast.errors import ErrorStatistics
from vppsim.forecast.fit import YEARS, installed_capacity, pair_statistics, real_statistics
from vppsim.forecast.parameters import ForecastParameters
from vppsim.system.calibration import synthetic_year
from vppsim.system.model import SystemCalibration
from vppsim.system.parameters import SystemParameters

QUOTED_PCT = {
    "demand 2022": 3.6,
    "demand 2023": 5.5,
    "SP15 solar": 6.7,
    "NP15 solar": 11.0,
    "SP15 wind": 6.6,
    "NP15 wind": 11.0,
}
"""The figures ``CALIBRATION.md`` quotes ("Forecast errors"): MAPE of CAISO's day-ahead demand
forecast from the EIA-930 pairs [%], and MAE of its day-ahead hub solar (daylight) and wind
forecasts as a share of capacity [%], keyed by series (and year for demand)."""


def quoted_pct(key: str) -> float:
    """The ``CALIBRATION.md`` figure for ``"<series> <year>"`` [%] (NaN if none)."""
    series = key.rsplit(" ", 1)[0]
    return QUOTED_PCT.get(key, QUOTED_PCT.get(series, np.nan))


def _row(stats: ErrorStatistics) -> dict:
    return {
        "error %": stats.error_pct,
        "bias %": stats.bias_pct,
        "bias MW": stats.bias,
        "MAE MW": stats.mae,
        "acf 1 h": stats.acf_1h,
        "acf 24 h": stats.acf_24h,
        "p05 MW": stats.p05,
        "p95 MW": stats.p95,
    }


def forecast_table(
    real: Mapping[str, ErrorStatistics],
    synthetic: Mapping[str, ErrorStatistics] | None = None,
) -> pd.DataFrame:
    """One row per series, year and side: the real statistics (with the figure
    ``CALIBRATION.md`` quotes), then vppsim's for the keys ``synthetic`` has. ``error %`` is
    the MAPE for demand, the MAE over capacity for solar (daylight) and wind.

    Parameters
    ----------
    real, synthetic : mapping of str to ErrorStatistics
        Keyed ``"<series> <year>"`` (e.g. ``"SP15 solar 2022"``, ``"demand 2023"``).
    """
    rows = {}
    for key, stats in real.items():
        rows[(*key.rsplit(" ", 1), "real")] = {"quoted %": quoted_pct(key), **_row(stats)}
        if synthetic is not None and key in synthetic:
            rows[(*key.rsplit(" ", 1), "vppsim")] = {"quoted %": np.nan, **_row(synthetic[key])}
    for key, stats in (synthetic or {}).items():
        if key not in real:
            rows[(*key.rsplit(" ", 1), "vppsim")] = {"quoted %": np.nan, **_row(stats)}
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index = pd.MultiIndex.from_tuples(table.index, names=["series", "year", "side"])
    return table.round(3)


def hourly_bias_table(real: Mapping[str, ErrorStatistics]) -> pd.DataFrame:
    """The bias by local hour [% of the mean actual for demand, % of capacity otherwise]."""
    columns = {key: 100.0 * stats.hourly_bias / stats.scale for key, stats in real.items()}
    table = pd.DataFrame(columns, index=pd.RangeIndex(24, name="local hour"))
    return table.round(2)


def synthetic_statistics(
    years: Sequence[int] = YEARS, seed: int = 1, parameters: ForecastParameters | None = None
) -> dict[str, ErrorStatistics]:
    """vppsim's operator forecasts scored like the real pairs, per ``"<series> <year>"``
    (``demand``, and ``solar`` and ``wind`` over the installed capacity): one synthetic year
    of weather and system on the default LA study, its day-ahead ensemble, the operator
    forecasts of :func:`vppsim.forecast.sources.operator_table`, at hourly means."""
    from vppsim.forecast.members import stack_members, system_ensemble
    from vppsim.forecast.schedule import day_ahead_issue_times
    from vppsim.forecast.sources import OPERATOR_COLUMNS, operator_table

    parameters = ForecastParameters() if parameters is None else parameters
    out = {}
    for year in years:
        weather, system = synthetic_year(year, seed)
        grid = system.index
        _, systems = system_ensemble(
            grid,
            CAISO_TIMEZONE,
            weather,
            system,
            *DEFAULT_SITE,
            parameters,
            SystemParameters(),
            seed,
        )
        issued = day_ahead_issue_times(grid, CAISO_TIMEZONE, parameters.da_issue_hour)
        forecast = operator_table(
            grid, CAISO_TIMEZONE, issued, stack_members(systems, OPERATOR_COLUMNS), system
        )
        hourly = {
            name: frame.groupby(frame.index.floor("h")).mean()
            for name, frame in (
                ("forecast", forecast.set_index("timestamp")),
                ("actual", system),
            )
        }
        for kind in ("demand", "solar", "wind"):
            column = f"{kind}_mw"
            pair = pd.DataFrame({side: hourly[side][column] for side in ("forecast", "actual")})
            capacity = None
            if kind != "demand":
                capacity = installed_capacity(pair.index, SystemCalibration.default())[
                    kind == "wind"
                ]
            out[f"{kind} {year}"] = pair_statistics(pair, kind, capacity)
    return out


def forecast_calibration_tables(
    reference: Path, synthetic: Mapping[str, ErrorStatistics] | None = None
) -> dict[str, pd.DataFrame]:
    """The report: the error statistics table (real, and vppsim's operator forecasts
    beside them when ``synthetic`` is given) and the real bias by hour."""
    real = {key: stats for key, (stats, _) in real_statistics(reference).items()}
    return {
        "Day-ahead forecast errors: CAISO (real) and vppsim's operator forecasts "
        "(MAPE for demand; MAE over capacity for solar in daylight and wind)": forecast_table(
            real, synthetic
        ),
        "Real bias by local hour [% of mean actual (demand), % of capacity]": hourly_bias_table(
            real
        ),
    }
