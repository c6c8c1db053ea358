"""The one diversity-curve function, against closed forms."""

from __future__ import annotations

import numpy as np
import pytest

from vppsim.diversity import diversity_curve, group_peaks


def test_identical_homes_coincide_fully():
    day = np.array([0.5, 1.0, 4.0, 2.0])
    load = np.tile(day, (6, 1))
    groups = [[0], [1], [0, 1], [2, 3, 4], list(range(6))]
    homes, per_home, factor, counts = diversity_curve(*group_peaks(load, groups))
    np.testing.assert_array_equal(homes, [1, 2, 3, 6])
    np.testing.assert_allclose(per_home, 4.0)  # every group peaks at 4 kW per home
    np.testing.assert_allclose(factor, 1.0)
    np.testing.assert_array_equal(counts, [2, 1, 1, 1])


@pytest.mark.parametrize("n", [1, 2, 3, 7])
def test_homes_peaking_at_disjoint_times_give_one_over_n(n):
    load = 3.0 * np.eye(n)  # home i draws 3 kW in interval i only
    sizes, coincident, member_sum = group_peaks(load, [range(n)])
    assert (sizes[0], coincident[0], member_sum[0]) == (n, 3.0, 3.0 * n)
    homes, per_home, factor, _ = diversity_curve(sizes, coincident, member_sum)
    assert homes[0] == n
    assert per_home[0] == pytest.approx(3.0 / n)
    assert factor[0] == pytest.approx(1.0 / n)


def test_single_homes_average_their_own_peaks():
    load = np.array([[2.0, 0.0, 0.0], [0.0, 2.0, 0.0], [0.0, 0.0, 5.0]])
    groups = [[0], [1], [2], [0, 1], [0, 2], [1, 2], [0, 1, 2]]
    homes, per_home, factor, _ = diversity_curve(*group_peaks(load, groups))
    np.testing.assert_array_equal(homes, [1, 2, 3])
    np.testing.assert_allclose(per_home, [3.0, 2.0, 5 / 3])  # (2+2+5)/3; (1+2.5+2.5)/3; 5/3
    # pairs: 2/4, 5/7, 5/7; all three: 5/9
    np.testing.assert_allclose(factor, [1.0, (0.5 + 10 / 7) / 3, 5 / 9])


def test_a_group_that_never_draws_power_has_no_factor():
    _, per_home, factor, _ = diversity_curve([2], [0.0], [0.0])
    assert per_home[0] == 0 and np.isnan(factor[0])


def test_bad_inputs_are_refused():
    with pytest.raises(ValueError, match="shape"):
        diversity_curve([1, 2], [1.0], [1.0])
    with pytest.raises(ValueError, match="at least one home"):
        diversity_curve([0], [1.0], [1.0])
