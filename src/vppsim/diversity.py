"""Load diversity: how much less a group of homes peaks together than its homes do alone.

A group's coincident peak is the highest interval of its summed load. Its coincidence
factor is that peak over the sum of its members' own peaks: 1 when every home peaks in the
same interval, 1/n when n equal homes peak at disjoint times. The diversity curve averages
both over groups of each size.

Both functions are pure. :func:`group_peaks` works on a load matrix; callers that cannot
hold one (the fleet queries of :mod:`vppsim.viz.queries` aggregate in SQL) compute the same
three arrays there and pass them to :func:`diversity_curve`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def group_peaks(
    load_kw: np.ndarray, groups: Sequence[Sequence[int]]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each group's size, coincident peak and the sum of its members' own peaks.

    Parameters
    ----------
    load_kw : ndarray, shape (homes, intervals)
        Load of each home [kW], on common intervals.
    groups : sequence of sequence of int
        The row numbers of each group's members (no repeats within a group).

    Returns
    -------
    sizes : ndarray of int, shape (groups,)
        Homes in each group.
    coincident_peak_kw : ndarray, shape (groups,)
        Highest interval of the group's summed load [kW].
    member_peak_sum_kw : ndarray, shape (groups,)
        Sum over the group's homes of each home's highest interval [kW].
    """
    load_kw = np.atleast_2d(np.asarray(load_kw, dtype=float))
    own = load_kw.max(axis=1)
    members = [np.asarray(group, dtype=np.int64) for group in groups]
    sizes = np.array([len(m) for m in members], dtype=np.int64)
    coincident = np.array([load_kw[m].sum(axis=0).max() for m in members], dtype=float)
    member_sum = np.array([own[m].sum() for m in members], dtype=float)
    return sizes, coincident, member_sum


def diversity_curve(
    sizes: np.ndarray, coincident_peak_kw: np.ndarray, member_peak_sum_kw: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Coincident peak per home and coincidence factor against group size.

    Parameters
    ----------
    sizes : array of int, shape (groups,)
        Homes in each group (at least 1).
    coincident_peak_kw : array, shape (groups,)
        Each group's highest interval of summed load [kW].
    member_peak_sum_kw : array, shape (groups,)
        Each group's sum of its members' own peaks [kW].

    Returns
    -------
    homes : ndarray of int
        The distinct group sizes, smallest first.
    peak_kw_per_home : ndarray
        Mean over the groups of that size of the coincident peak divided by the size
        [kW per home]. At size 1 with every home as a group: the mean single-home peak.
    coincidence_factor : ndarray
        Mean over the groups of that size of the coincident peak divided by the members'
        peak sum [1], in (0, 1]; NaN where a group of that size never draws power.
    groups : ndarray of int
        How many groups were averaged for each size.

    Raises
    ------
    ValueError
        If the arrays differ in length or a size is below 1.
    """
    sizes = np.asarray(sizes, dtype=np.int64)
    coincident = np.asarray(coincident_peak_kw, dtype=float)
    member_sum = np.asarray(member_peak_sum_kw, dtype=float)
    if not sizes.shape == coincident.shape == member_sum.shape:
        raise ValueError(
            f"sizes, coincident peaks and member peak sums differ in shape: "
            f"{sizes.shape}, {coincident.shape}, {member_sum.shape}"
        )
    if sizes.size and sizes.min() < 1:
        raise ValueError(f"a group holds at least one home, got size {int(sizes.min())}")
    homes, index, counts = np.unique(sizes, return_inverse=True, return_counts=True)
    factor = np.divide(
        coincident, member_sum, out=np.full(coincident.shape, np.nan), where=member_sum > 0
    )
    per_home = np.bincount(index, coincident / sizes, len(homes)) / counts
    mean_factor = np.bincount(index, factor, len(homes)) / counts
    return homes, per_home, mean_factor, counts
