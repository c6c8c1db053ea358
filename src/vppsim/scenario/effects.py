"""What a scenario changed: its key statistics against the base's, in its window and outside.

A scenario's *window* is the local days its weather events cover (the whole study for a
scenario of knobs only, such as a gas crisis). Inside it the targeted statistics should move
by the sourced magnitude; outside it, with common random numbers, the weather is the base's
and only the dynamics the events drive (thermal lag, price persistence) may differ. The
statistics are :func:`vppsim.dataset.statistics.key_statistics`, restricted to the days.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd

from vppsim.dataset.manifest import read_manifest
from vppsim.dataset.statistics import key_statistics
from vppsim.weather.events import event_days
from vppsim.weather.parameters import WeatherEvent

KEYS = ["dataset", "statistic", "unit"]


def _study_and_window(root: Path | str) -> tuple[list[dt.date], list[dt.date]]:
    """Every local day of the study at ``root``, and the days its weather events cover (from
    its manifest's settings; every day when it has none)."""
    config = read_manifest(Path(root)).vppsim.config
    first, last = dt.date.fromisoformat(config["start"]), dt.date.fromisoformat(config["end"])
    days = [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]
    events = [WeatherEvent.model_validate(e) for e in config.get("weather", {}).get("events", [])]
    return days, event_days(events, first, last) or days


def scenario_window(root: Path | str) -> list[dt.date]:
    """The local days the weather events of the dataset at ``root`` cover, or every day of
    the study when it has none."""
    return _study_and_window(root)[1]


def scenario_effects(base_root: Path | str, scenario_root: Path | str) -> pd.DataFrame:
    """The scenario's key statistics beside the base's, in its window and on the other days.

    Returns
    -------
    pandas.DataFrame
        One row per key statistic: ``dataset``, ``statistic``, ``unit``, ``base``,
        ``scenario``, ``change`` (scenario - base) in the window, and ``base_outside``,
        ``scenario_outside``, ``change_outside`` on the other days (NaN when the window is
        the whole study).
    """
    days, window = _study_and_window(scenario_root)
    outside = [day for day in days if day not in set(window)]
    columns = {}
    for suffix, days in (("", window), ("_outside", outside)):
        for side, root in (("base", base_root), ("scenario", scenario_root)):
            columns[side + suffix] = key_statistics(root, days).set_index(KEYS)["value"]
        columns["change" + suffix] = columns["scenario" + suffix] - columns["base" + suffix]
    return pd.DataFrame(columns).reset_index()
