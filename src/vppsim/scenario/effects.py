"""What a scenario changed: its statistics against the base's, in its window and outside.

A scenario's *window* is the local days its weather events cover (the whole study for a
scenario of knobs only, such as a gas crisis). Inside it the targeted statistics should move
by the sourced magnitude; outside it, with common random numbers, the weather is the base's
and only the dynamics the events drive (thermal lag, price persistence) may differ.

:func:`daily_statistics` reads a dataset (DuckDB over its files); the rest are pure frame
functions.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from vppsim.weather.events import event_start
from vppsim.weather.parameters import WeatherEvent

STATISTICS: tuple[tuple[str, str, str, str], ...] = (
    # (statistic, unit, daily column, how the window aggregates it)
    ("daily max temperature", "degC", "tmax_c", "mean"),
    ("clear-sky index, daylight", "1", "clearsky_index", "mean"),
    ("system peak demand", "MW", "peak_demand_mw", "max"),
    ("system peak net load", "MW", "peak_net_load_mw", "max"),
    ("gas price", "$/MMBtu", "gas_price_usd_per_mmbtu", "mean"),
    ("real-time LMP", "$/MWh", "lmp", "mean"),
    ("day-ahead LMP", "$/MWh", "da_lmp", "mean"),
    ("real-time LMP above $250", "%", "above_250", "share"),
    ("real-time LMP below $0", "%", "below_0", "share"),
    ("fleet AC energy", "kWh/day", "ac_kwh", "mean"),
    ("fleet peak load", "kW", "peak_load_kw", "max"),
    ("fleet rooftop PV", "kWh/day", "pv_kwh", "mean"),
)
"""The statistics of a comparison, in order."""

_DAILY_SQL = {
    "weather": """SELECT day, max(temp_air_c) AS tmax_c,
            avg(clearsky_index) FILTER (WHERE ghi_w_m2 > 0) AS clearsky_index
        FROM weather JOIN steps USING (timestamp) GROUP BY day""",
    "system": """SELECT day, max(demand_mw) AS peak_demand_mw,
            max(net_load_mw) AS peak_net_load_mw,
            avg(gas_price_usd_per_mmbtu) AS gas_price_usd_per_mmbtu
        FROM system JOIN steps USING (timestamp) GROUP BY day""",
    "market": """SELECT day, avg(lmp) AS lmp, avg(da_lmp) AS da_lmp, count(*) AS intervals,
            count(*) FILTER (WHERE lmp > 250) AS above_250,
            count(*) FILTER (WHERE lmp < 0) AS below_0
        FROM market JOIN steps USING (timestamp) GROUP BY day""",
    "load": """SELECT day, sum(ac) * {hours} AS ac_kwh, max(total) AS peak_load_kw
        FROM (SELECT timestamp, sum(hvac_kw) AS ac, sum(load_kw) AS total
              FROM load GROUP BY timestamp) JOIN steps USING (timestamp) GROUP BY day""",
    "pv": """SELECT day, sum(pv_kw) * {hours} AS pv_kwh
        FROM pv JOIN steps USING (timestamp) GROUP BY day""",
}


def daily_statistics(root: Path | str) -> pd.DataFrame:
    """Each local day's figures of the dataset at ``root`` (the datasets it holds).

    Returns
    -------
    pandas.DataFrame
        Index ``day`` (local date); the daily columns of :data:`STATISTICS` whose dataset the
        folder holds, plus ``intervals`` (market intervals, the denominator of the shares).
    """
    from vppsim.viz.queries import DatasetQueries

    queries = DatasetQueries(root)
    hours = queries.interval_minutes / 60.0
    frames = [
        queries.sql(sql.format(hours=hours)).set_index("day")
        for name, sql in _DAILY_SQL.items()
        if name in queries.datasets
    ]
    daily = pd.concat(frames, axis=1).sort_index()
    daily.index = pd.Index([pd.Timestamp(day).date() for day in daily.index], name="day")
    return daily


def event_days(
    events: Sequence[WeatherEvent], first_day: dt.date, last_day: dt.date
) -> list[dt.date]:
    """The study's local days some event covers, in order."""
    days = set()
    for event in events:
        start = event_start(event, first_day, last_day)
        days.update(start + dt.timedelta(days=i) for i in range(event.days))
    return sorted(day for day in days if first_day <= day <= last_day)


def window_statistics(daily: pd.DataFrame, days: Sequence[dt.date]) -> pd.Series:
    """The :data:`STATISTICS` over ``days`` of a :func:`daily_statistics` frame.

    Returns
    -------
    pandas.Series
        Indexed by statistic name; NaN where the dataset lacks the column or no day is given.
    """
    part = daily.loc[daily.index.isin(list(days))]
    values = {}
    for name, _, column, how in STATISTICS:
        if column not in part or part.empty:
            values[name] = np.nan
        elif how == "share":
            values[name] = 100.0 * part[column].sum() / part["intervals"].sum()
        else:
            values[name] = float(getattr(part[column], how)())
    return pd.Series(values, dtype=float)


def compare(base: pd.DataFrame, scenario: pd.DataFrame, window: Sequence[dt.date]) -> pd.DataFrame:
    """The scenario's statistics beside the base's, in ``window`` and on the other days.

    Parameters
    ----------
    base, scenario : pandas.DataFrame
        :func:`daily_statistics` of the two datasets (the same study).
    window : sequence of datetime.date
        The scenario's days (its events' days, or every day).

    Returns
    -------
    pandas.DataFrame
        One row per statistic: ``statistic``, ``unit``, ``base``, ``scenario``, ``change``
        (scenario - base) in the window and ``base_outside``, ``scenario_outside``,
        ``change_outside`` on the other days (NaN when the window is the whole study).
    """
    outside = [day for day in base.index if day not in set(window)]
    inside_base, inside = window_statistics(base, window), window_statistics(scenario, window)
    outside_base = window_statistics(base, outside)
    outside_scenario = window_statistics(scenario, outside)
    return pd.DataFrame(
        {
            "statistic": [name for name, *_ in STATISTICS],
            "unit": [unit for _, unit, *_ in STATISTICS],
            "base": inside_base.to_numpy(),
            "scenario": inside.to_numpy(),
            "change": (inside - inside_base).to_numpy(),
            "base_outside": outside_base.to_numpy(),
            "scenario_outside": outside_scenario.to_numpy(),
            "change_outside": (outside_scenario - outside_base).to_numpy(),
        }
    )


def scenario_window(root: Path | str) -> list[dt.date]:
    """The local days the weather events of the dataset at ``root`` cover (from its
    manifest's settings), or every day of the study when it has none."""
    from vppsim.dataset.manifest import read_manifest

    config = read_manifest(Path(root)).vppsim.config
    first, last = dt.date.fromisoformat(config["start"]), dt.date.fromisoformat(config["end"])
    events = [WeatherEvent.model_validate(e) for e in config.get("weather", {}).get("events", [])]
    days = event_days(events, first, last)
    if days:
        return days
    return [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]


def scenario_effects(base_root: Path | str, scenario_root: Path | str) -> pd.DataFrame:
    """:func:`compare` of two built datasets, in the scenario's window (see
    :func:`scenario_window`)."""
    return compare(
        daily_statistics(base_root), daily_statistics(scenario_root), scenario_window(scenario_root)
    )
