"""The system calibration report: synthetic CAISO drivers next to the real ones, by month.

Real: :func:`vppsim.system.reference.reference_drivers` for each year (EIA-930 demand, hub
solar and wind actuals, hourly). Synthetic: the model with its defaults on the same local
calendar at 15 min, driven by the default synthetic LA weather, over several seeds (each seed
one weather and one system realisation); 15-min values are averaged to clock hours so both
sides are hourly, and each figure is the mean over the seeds.

:func:`system_calibration_tables` returns the tables; ``benchmarks/fit_system.py`` and
``vppsim calibrate --part system`` print them.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from vppsim.calendar import CAISO_TIMEZONE, MONTH_NAMES
from vppsim.config import DEFAULT_SITE
from vppsim.grid import build_grid
from vppsim.seeds import Stream, stream_rng
from vppsim.system.model import simulate_system
from vppsim.system.parameters import SystemParameters
from vppsim.system.reference import reference_drivers
from vppsim.weather.synthetic import simulate_weather

SPRING_NIGHT = ((3, 4, 5), range(0, 5))
"""Mar-May, clock hours 0-4: the low-demand reference of CALIBRATION.md."""
SUMMER_AFTERNOON = ((7, 8, 9), range(16, 20))
"""Jul-Sep, clock hours 16-19: the peak-demand reference."""


def _hourly(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.groupby(frame.index.floor("h")).mean()


def _monthly_figures(hourly: pd.DataFrame) -> pd.DataFrame:
    """Figures by local month of one hourly frame (real or one synthetic year)."""
    local = hourly.index.tz_convert(CAISO_TIMEZONE)
    month = local.month
    day = local.normalize()
    demand = hourly["demand_mw"].groupby(month)
    daily_peak = {
        name: hourly[name].groupby(day).max().groupby(day.unique().month).mean()
        for name in ("solar_mw", "wind_mw")
    }
    net = hourly["net_load_mw"].groupby(month)
    return pd.DataFrame(
        {
            "demand median": demand.median(),
            "demand p90": demand.quantile(0.9),
            "demand max": demand.max(),
            "solar mean": hourly["solar_mw"].groupby(month).mean(),
            "solar daily peak": daily_peak["solar_mw"],
            "wind mean": hourly["wind_mw"].groupby(month).mean(),
            "wind daily peak": daily_peak["wind_mw"],
            "net load min": net.min(),
            "net load median": net.median(),
            "net load max": net.max(),
        }
    )


def _reference_figures(hourly: pd.DataFrame) -> dict[str, float]:
    local = hourly.index.tz_convert(CAISO_TIMEZONE)

    def chosen(months, hours):
        keep = np.isin(local.month, months) & np.isin(local.hour, list(hours))
        return hourly["demand_mw"][keep]

    night = chosen(*SPRING_NIGHT)
    afternoon = chosen(*SUMMER_AFTERNOON)
    return {
        "spring night demand median": float(night.median()),
        "summer 16-19 h demand median": float(afternoon.median()),
        "summer 16-19 h demand p90": float(afternoon.quantile(0.9)),
        "demand max": float(hourly["demand_mw"].max()),
        "solar max": float(hourly["solar_mw"].max()),
        "net load min": float(hourly["net_load_mw"].min()),
        "net load max": float(hourly["net_load_mw"].max()),
    }


def synthetic_year(
    year: int, seed: int, parameters: SystemParameters | None = None, interval_minutes: int = 15
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One synthetic year of weather and system on the default LA study (local days)."""
    grid = build_grid(dt.date(year, 1, 1), dt.date(year, 12, 31), CAISO_TIMEZONE, interval_minutes)
    weather = simulate_weather(
        grid, *DEFAULT_SITE, CAISO_TIMEZONE, interval_minutes, stream_rng(seed, Stream.WEATHER)
    )
    system = simulate_system(
        grid, CAISO_TIMEZONE, weather, stream_rng(seed, Stream.SYSTEM), parameters
    )
    return weather, system


def system_calibration_tables(
    reference: Path, years: Sequence[int] = (2022, 2023), seeds: int = 3, seed: int = 1
) -> dict[str, pd.DataFrame]:
    """Synthetic versus real CAISO drivers, by month and overall, for each year.

    Parameters
    ----------
    reference : Path
        The shared reference directory.
    years : sequence of int
        Real years to compare (2022-2023 have hourly demand, solar and wind).
    seeds : int
        Synthetic realisations per year (seeds ``seed .. seed + seeds - 1``).

    Returns
    -------
    dict of str to pandas.DataFrame
        ``"<year> by month"``: rows Jan..Dec, columns ``(figure, real | synthetic)``
        [MW]; ``"<year> reference figures"``: the CALIBRATION.md demand figures, real and
        synthetic; ``"speed"``: seconds for one year of 15-min system (weather excluded).
    """
    tables: dict[str, pd.DataFrame] = {}
    timings = []
    for year in years:
        start = pd.Timestamp(dt.date(year, 1, 1), tz=CAISO_TIMEZONE).tz_convert("UTC")
        end = pd.Timestamp(dt.date(year + 1, 1, 1), tz=CAISO_TIMEZONE).tz_convert("UTC")
        real = reference_drivers(reference, str(start), str(end))
        monthly = {"real": _monthly_figures(real)}
        figures = {"real": _reference_figures(real)}
        synthetic_monthly, synthetic_figures = [], []
        for k in range(seeds):
            grid_weather, system = synthetic_year(year, seed + k)
            started = time.perf_counter()
            simulate_system(
                system.index, CAISO_TIMEZONE, grid_weather, stream_rng(seed + k, Stream.SYSTEM)
            )
            timings.append(time.perf_counter() - started)
            hourly = _hourly(system)
            synthetic_monthly.append(_monthly_figures(hourly))
            synthetic_figures.append(_reference_figures(hourly))
        monthly["synthetic"] = sum(synthetic_monthly) / seeds
        figures["synthetic"] = pd.DataFrame(synthetic_figures).mean().to_dict()
        table = pd.concat(monthly, axis=1).swaplevel(axis=1)
        order = list(monthly["real"].columns)
        table = table[[(name, side) for name in order for side in ("real", "synthetic")]]
        table.index = [MONTH_NAMES[m - 1] for m in table.index]
        tables[f"{year} by month [MW]"] = table.round(0)
        tables[f"{year} reference figures [MW]"] = pd.DataFrame(figures).round(0)
    tables["speed"] = pd.DataFrame(
        {"one year of 15-min system [s]": [float(np.median(timings)), float(np.max(timings))]},
        index=["median", "max"],
    )
    return tables
