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
RATIO_FIGURES = ("demand median", "demand p90", "demand max", "solar mean", "wind mean")
"""Monthly figures shown with their synthetic/real ratio: the calibration's verdict (1 is
exact; the maximum is one hour of one year, the noisiest of them)."""


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
            "net load median": net.median(),
            "net load max": net.max(),
        }
    )


def _side_by_side(real: pd.DataFrame, synthetic: pd.DataFrame) -> pd.DataFrame:
    """Flat columns: each figure's real and synthetic value [MW], then synthetic over real
    [1] where the figure is in :data:`RATIO_FIGURES`; rows named by month."""
    columns = {}
    for name in real.columns:
        columns[f"{name} real"] = real[name].round(0)
        columns[f"{name} synthetic"] = synthetic[name].round(0)
        if name in RATIO_FIGURES:
            columns[f"{name} syn/real"] = (synthetic[name] / real[name]).round(2)
    table = pd.DataFrame(columns)
    table.index = [MONTH_NAMES[m - 1] for m in table.index]
    return table


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
        # The synthetic one is at least the curtailment floor (the lowest real net load of
        # 2022-2023), by construction.
        "net load min (synthetic >= curtailment floor)": float(hourly["net_load_mw"].min()),
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
        ``"<year> by month [MW]"``: rows Jan..Dec, columns ``"<figure> real"`` and
        ``"<figure> synthetic"`` [MW], and ``"<figure> syn/real"`` [1] for the figures in
        :data:`RATIO_FIGURES`; ``"<year> reference figures [MW]"``: the CALIBRATION.md demand
        figures, real and synthetic; ``"speed"``: seconds for one year of 15-min system
        (weather excluded). The monthly table has no net load minimum: solar curtailment
        holds the synthetic one at the floor (the lowest real net load) by construction.
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
        tables[f"{year} by month [MW]"] = _side_by_side(monthly["real"], monthly["synthetic"])
        tables[f"{year} reference figures [MW]"] = pd.DataFrame(figures).round(0)
    tables["speed"] = pd.DataFrame(
        {"one year of 15-min system [s]": [float(np.median(timings)), float(np.max(timings))]},
        index=["median", "max"],
    )
    return tables
