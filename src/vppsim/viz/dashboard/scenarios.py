"""The datasets the Scenarios tab compares, and their frames.

A dashboard opens either a dataset (``datapackage.json``) or a scenario suite, the folder
``vppsim scenarios`` writes: ``scenarios.json`` and one dataset folder per scenario. The
suite's base dataset fills the other tabs; every dataset of the suite, and each folder
given with ``--compare``, is compared in the Scenarios tab. Nothing here knows about Dash.
"""

from __future__ import annotations

import functools
import json
import threading
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd

from vppsim.dataset.manifest import MANIFEST
from vppsim.dataset.statistics import key_statistics
from vppsim.scenario.suite import SUITE_FILE
from vppsim.viz import analysis, comparison
from vppsim.viz.queries import DatasetNotReadable, DatasetQueries

_memo = functools.lru_cache(maxsize=64)


def suite_folders(root: Path) -> list[Path]:
    """The dataset folders of the suite in ``root``, the base first.

    ``scenarios.json`` names the base (``"base"``: a scenario's name, or a folder) and lists
    the scenarios, each with its folder (``"path"``, relative to ``root``).

    Raises
    ------
    DatasetNotReadable
        If ``scenarios.json`` is unreadable or lacks the base or the scenarios' paths.
    """
    path = root / SUITE_FILE
    try:
        suite = json.loads(path.read_text(encoding="utf-8"))
        entries = suite["scenarios"]
        paths = {str(entry["name"]): str(entry["path"]) for entry in entries}
        base = str(suite["base"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise DatasetNotReadable(f"{path} is not a vppsim scenario suite: {exc!r}") from None
    folders = [root / paths.get(base, base), *(root / p for p in paths.values())]
    return list(dict.fromkeys(folders))


def compared_folders(root: Path | str, compare: tuple[Path | str, ...] = ()) -> list[Path]:
    """The dataset folders a dashboard opens: the first fills the usual tabs, and when there
    are two or more the Scenarios tab compares them all.

    Parameters
    ----------
    root : path
        A dataset, or a suite (a folder with ``scenarios.json`` and no ``datapackage.json``).
    compare : tuple of path
        Further datasets to compare.

    Returns
    -------
    list of Path
        ``root`` (or the suite's datasets, the base first), then ``compare``; a folder given
        twice is kept once.
    """
    root = Path(root)
    first = (
        suite_folders(root)
        if (root / SUITE_FILE).is_file() and not (root / MANIFEST).is_file()
        else [root]
    )
    folders = [*first, *(Path(p) for p in compare)]
    return list({folder.resolve(): folder for folder in folders}.values())


@dataclass(frozen=True)
class DatasetComparison:
    """One compared dataset's figures' data over a period.

    Attributes
    ----------
    lmp, da_lmp : DataFrame or None
        :func:`~vppsim.viz.comparison.duration_curve` of the real-time and day-ahead LMP
        [$/MWh] (None without market data or that column).
    net_load_peaks : Series or None
        Each local day's peak net load (demand less utility solar and wind) [MW]; None
        without system data.
    temp_max : Series or None
        Each local day's maximum air temperature [°C]; None without weather data.
    dispatch : dict
        Strategy -> its ``summary.json`` (empty without dispatch results).
    rows : int
        Market intervals in the period (0 without market data).
    """

    lmp: pd.DataFrame | None
    da_lmp: pd.DataFrame | None
    net_load_peaks: pd.Series | None
    temp_max: pd.Series | None
    dispatch: dict[str, dict[str, Any]]
    rows: int


class ComparisonViews:
    """The Scenarios tab's frames over several datasets.

    Parameters
    ----------
    datasets : list of DatasetQueries
        The datasets, in the order shown; labelled by
        :func:`~vppsim.viz.comparison.dataset_labels`.
    """

    def __init__(self, datasets: list[DatasetQueries]):
        scenarios = [
            (q.manifest["vppsim"]["config"].get("scenario") or {}).get("name") for q in datasets
        ]
        labels = comparison.dataset_labels(scenarios, [q.root.name for q in datasets])
        self.datasets: dict[str, DatasetQueries] = dict(zip(labels, datasets, strict=True))

    @property
    def labels(self) -> list[str]:
        return list(self.datasets)

    def prewarm(self, start: date, end: date) -> None:
        """Compute every dataset's data over ``start`` to ``end`` (the page's opening period)
        in the background, so the tab's first visit is answered from memory (about half a
        second per one-year dataset otherwise)."""

        def run() -> None:
            for label in self.datasets:
                self.dataset(label, start, end)

        threading.Thread(target=run, name="vppsim-prewarm-scenarios", daemon=True).start()

    @_memo
    def dataset(self, label: str, start: date, end: date) -> DatasetComparison:
        """The data of dataset ``label`` over local days ``start`` to ``end`` (within its
        own period); the dispatch results are over the whole dispatch."""
        q = self.datasets[label]
        lmp = da_lmp = peaks = temp_max = None
        rows = 0
        if "market" in q.datasets:
            market = q.table("market", start, end)
            rows = len(market)
            lmp = comparison.duration_curve(market["lmp"])
            if "da_lmp" in market:
                da_lmp = comparison.duration_curve(market["da_lmp"])
        if "system" in q.datasets:
            system = q.table("system", start, end)
            peaks = analysis.daily_aggregate(system, "net_load_mw", q.timezone, "max")
        if "weather" in q.datasets:
            weather = q.table("weather", start, end)
            temp_max = analysis.daily_aggregate(weather, "temp_air_c", q.timezone, "max")
        return DatasetComparison(
            lmp=lmp,
            da_lmp=da_lmp,
            net_load_peaks=peaks,
            temp_max=temp_max,
            dispatch={s: q.dispatch_summary(s) for s in q.strategies},
            rows=rows,
        )

    @_memo
    def statistics(self, label: str, start: date, end: date) -> pd.DataFrame:
        """:func:`~vppsim.dataset.statistics.key_statistics` of one dataset over the local
        days ``start`` to ``end``."""
        days = pd.date_range(start, end, freq="D").date
        return key_statistics(self.datasets[label].root, list(days))
