"""Comparisons of datasets (scenarios of one study, or any builds): frames in, frames out.

Every function is pure, like :mod:`vppsim.viz.analysis`: the dashboard's Scenarios tab reads
each dataset's tables and ``summary.json`` files and hands them here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from vppsim.fleet.dispatch_spec import STRATEGIES

DURATION_POINTS = 400
"""At most about twice this many points per duration curve: enough to draw a year of 15-min
prices (35,040) without sending each one, dense at the top where the spikes are."""

NET_REVENUE = "net revenue"
"""The key of the fleet's net revenue [$] in a dispatch's ``summary.json`` ``kpis``."""


def duration_curve(values, points: int = DURATION_POINTS) -> pd.DataFrame:
    """The duration curve of a series: its values sorted from highest to lowest, against the
    share of intervals at or above each.

    Parameters
    ----------
    values : array-like
        One value per interval, in its own unit (e.g. LMP [$/MWh]); NaNs are left out.
    points : int
        About how many ranks to keep from each of a linear and a geometric grid of ranks
        (every value when there are fewer).

    Returns
    -------
    DataFrame
        ``share_pct`` [%]: the share of intervals whose value is at least ``value``,
        ``100 * rank / n`` (rank 1 the highest), increasing; ``value``: the value at that
        rank, decreasing. The first row is the maximum, the last the minimum: the kept ranks
        are points of the exact curve, never interpolated.

    Notes
    -----
    The geometric grid keeps the top ranks one by one, so a spike tail of a few intervals
    is drawn exactly; the linear grid covers the body evenly.
    """
    ordered = np.sort(np.asarray(values, dtype=float))[::-1]
    ordered = ordered[~np.isnan(ordered)]
    n = ordered.size
    if n == 0:
        return pd.DataFrame({"share_pct": np.array([]), "value": np.array([])})
    if n <= 2 * points:
        ranks = np.arange(1, n + 1)
    else:
        grid = np.concatenate([np.linspace(1, n, points), np.geomspace(1, n, points)])
        ranks = np.unique(np.round(grid).astype(np.int64))
    return pd.DataFrame({"share_pct": 100.0 * ranks / n, "value": ordered[ranks - 1]})


def strategy_revenue(summaries: Mapping[str, Mapping[str, Mapping[str, Any]]]) -> pd.DataFrame:
    """Each dispatch strategy's net revenue, dataset by dataset.

    Parameters
    ----------
    summaries : mapping
        Dataset label -> strategy -> the strategy's ``summary.json`` (its ``kpis`` hold
        :data:`NET_REVENUE` [$], the fleet's over the dispatch period).

    Returns
    -------
    DataFrame
        Index ``strategy`` (``none``, ``rule``, ``lp`` first, then others by name); one
        column per dataset, in the order given, of net revenue [$]; NaN where a dataset has
        no dispatch of that strategy. No rows when no dataset has any.
    """
    order = {name: i for i, name in enumerate(STRATEGIES)}
    strategies = sorted(
        {s for by_strategy in summaries.values() for s in by_strategy},
        key=lambda name: (order.get(name, len(order)), name),
    )
    frame = pd.DataFrame(
        {
            label: [
                float(by_strategy[s]["kpis"].get(NET_REVENUE, np.nan))
                if s in by_strategy
                else np.nan
                for s in strategies
            ]
            for label, by_strategy in summaries.items()
        },
        index=pd.Index(strategies, name="strategy", dtype=object),
    )
    return frame


def dataset_labels(scenarios: Sequence[str | None], folders: Sequence[str]) -> list[str]:
    """A distinct label for each of several datasets.

    Parameters
    ----------
    scenarios : sequence of str or None
        Each dataset's scenario name (its manifest's ``vppsim.config["scenario"]``; None when
        it records none).
    folders : sequence of str
        Each dataset's folder name, in the same order.

    Returns
    -------
    list of str
        The scenario name where it is present and no other dataset has it, else the folder
        name; a label that would still repeat gets `` (2)``, `` (3)``, ... from its second
        use on, so each label names one dataset.
    """
    counts = pd.Series([s for s in scenarios if s]).value_counts()
    wanted = [
        s if s and counts[s] == 1 else folder for s, folder in zip(scenarios, folders, strict=True)
    ]
    labels: list[str] = []
    for label in wanted:
        unique, k = label, 1
        while unique in labels:
            k += 1
            unique = f"{label} ({k})"
        labels.append(unique)
    return labels
