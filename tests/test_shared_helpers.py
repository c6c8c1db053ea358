"""The shared helpers: local calendar, AR(1) filters, autocorrelation, quantile functions and
the scipy-backed statistics."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from scipy import stats as scipy_stats

from vppsim.calendar import local_calendar, nerc_holidays
from vppsim.grid import build_grid
from vppsim.stats import ks_distance, linear_fit, quantile_function, weighted_quantiles
from vppsim.timeseries import ar1, ar1_varying, autocorrelation, runs

TZ = "America/Los_Angeles"

# --- calendar -------------------------------------------------------------------------------


def test_nerc_holidays_2023_with_observed_days():
    assert nerc_holidays([2023]) == {
        dt.date(2023, 1, 2),  # New Year's Day on a Sunday: observed Monday
        dt.date(2023, 5, 29),
        dt.date(2023, 7, 4),
        dt.date(2023, 9, 4),
        dt.date(2023, 11, 23),
        dt.date(2023, 12, 25),
    }


@pytest.mark.parametrize(
    ("day", "intervals", "hours"),
    [
        (dt.date(2023, 3, 12), 92, [0, 1, *range(3, 24)]),  # spring: 02:00 never happens
        (dt.date(2023, 11, 5), 100, [0, 1, 1, *range(2, 24)]),  # autumn: 01:00 twice
    ],
)
def test_calendar_of_dst_days(day, intervals, hours):
    grid = build_grid(day, day, TZ, 15)
    cal = local_calendar(grid, TZ)
    assert len(grid) == intervals
    assert cal.n_days == 1 and cal.days[0] == pd.Timestamp(day)
    assert (cal.day == 0).all()
    assert sorted(set(cal.hour.tolist())) == sorted(set(hours))
    assert np.bincount(cal.hour).tolist() == [hours.count(h) * 4 for h in range(24)]
    assert cal.weekend.all() and not cal.holiday.any()  # both days are Sundays
    assert cal.clock[0] == pytest.approx(0.125) and cal.clock[-1] == pytest.approx(23.875)


def test_calendar_fields_over_a_year_end():
    grid = build_grid(dt.date(2023, 12, 29), dt.date(2024, 1, 2), TZ, 60)
    cal = local_calendar(grid, TZ)
    assert cal.interval_minutes == 60.0
    assert cal.n_days == 5
    assert cal.days[cal.day][0] == pd.Timestamp("2023-12-29")
    assert cal.year[0] == 2023 and cal.year[-1] == 2024
    assert cal.month[0] == 11 and cal.month[-1] == 0
    assert cal.day_month.tolist() == [11, 11, 11, 0, 0]
    assert cal.day_of_week.tolist() == [4, 5, 6, 0, 1]
    assert cal.day_weekend.tolist() == [False, True, True, False, False]
    assert cal.day_holiday.tolist() == [False, False, False, True, False]  # Jan 1 2024
    assert cal.day_offday.tolist() == [False, True, True, True, False]
    assert cal.offday.sum() == 3 * 24
    assert cal.date[0] == np.datetime64("2023-12-29")
    assert (cal.quarter == 0).all() and (cal.minute == 0).all()


def test_calendar_refuses_a_naive_grid():
    with pytest.raises(ValueError, match="timezone-aware"):
        local_calendar(pd.date_range("2023-08-01", periods=4, freq="15min"), TZ)


# --- AR(1) and autocorrelation --------------------------------------------------------------


def test_ar1_is_unit_variance_with_the_given_lag1_correlation():
    z = np.random.default_rng(1).standard_normal(200_000)
    x = ar1(z, 0.8)
    assert x[0] == z[0]
    assert np.var(x) == pytest.approx(1.0, abs=0.03)
    assert autocorrelation(x, 1) == pytest.approx(0.8, abs=0.01)
    assert autocorrelation(x, [1, 2]) == pytest.approx([0.8, 0.64], abs=0.01)


def test_ar1_along_an_axis_and_float32():
    z = np.random.default_rng(2).standard_normal((3, 50)).astype(np.float32)
    x = ar1(z, 0.5, axis=1)
    assert x.dtype == np.float32 and x.shape == z.shape
    np.testing.assert_allclose(x[1], ar1(z[1].astype(float), 0.5), rtol=1e-6)
    assert ar1(np.empty(0), 0.5).size == 0


def test_varying_ar1_matches_the_constant_filter_bit_for_bit():
    z = np.random.default_rng(3).standard_normal((400, 2))
    constant = ar1(z, 0.7)
    assert np.array_equal(ar1_varying(z, np.full(z.shape, 0.7)), constant)
    assert np.array_equal(ar1_varying(z[:, 0], np.full(400, 0.7)), constant[:, 0])
    # A coefficient of 0 from some step on: the series is the innovations from there.
    phi = np.where(np.arange(400) < 200, 0.9, 0.0)
    assert np.array_equal(ar1_varying(z[:, 0], phi)[200:], z[200:, 0])


def test_autocorrelation_within_groups_skips_missing_values_and_per_series():
    x = np.array([1.0, 2.0, 3.0, 4.0, np.nan, 6.0, 7.0, 8.0])
    # Pairs across a group boundary or a NaN never count.
    groups = np.array([0, 0, 0, 0, 1, 1, 1, 1])
    mean = np.nanmean(x)
    c = x - mean
    pairs = [(0, 1), (1, 2), (2, 3), (5, 6), (6, 7)]
    expected = np.mean([c[i] * c[j] for i, j in pairs]) / np.nanvar(x)
    assert autocorrelation(x, 1, groups=groups) == pytest.approx(expected)
    rows = np.vstack([np.arange(10.0), np.ones(10)])
    result = autocorrelation(rows, [1])
    assert result.shape == (2, 1) and np.isfinite(result[0, 0]) and np.isnan(result[1, 0])
    with pytest.raises(ValueError, match="lags"):
        autocorrelation(x, 0)


def test_runs_and_merged_episodes():
    flags = np.array([1, 1, 0, 1, 0, 0, 1, 1, 1], dtype=bool)
    starts, lengths = runs(flags)
    assert starts.tolist() == [0, 3, 6] and lengths.tolist() == [2, 1, 3]
    starts, lengths = runs(flags, gap=1)
    assert starts.tolist() == [0, 6] and lengths.tolist() == [4, 3]
    assert [a.size for a in runs(np.zeros(4, dtype=bool))] == [0, 0]


# --- stats ----------------------------------------------------------------------------------


def test_quantile_function_even_and_uneven_levels():
    table = np.array([[0.0, 10.0, 30.0], [5.0, 5.0, 6.0]])
    u = np.array([0.25, 0.75])
    assert quantile_function(u, table).tolist() == [5.0, 5.5]
    levels = np.array([0.0, 0.8, 1.0])
    np.testing.assert_allclose(quantile_function(np.array([0.4, 0.9]), table, levels), [5.0, 5.5])
    # u outside 0..1 holds the extremes; one table broadcasts against many u.
    assert quantile_function(np.array([-1.0, 2.0]), table[0]).tolist() == [0.0, 30.0]


def test_weighted_quantiles_with_unit_weights_are_hazen_quantiles():
    values = np.random.default_rng(4).standard_normal(101)
    levels = np.linspace(0.0, 1.0, 11)
    np.testing.assert_allclose(
        weighted_quantiles(values, np.ones(101), levels),
        np.quantile(values, levels, method="hazen"),
    )
    # Each value sits at the middle of its weight: 1 at 0.5/4, 2 at (1 + 1.5)/4.
    result = weighted_quantiles(np.array([2.0, 1.0]), np.array([3.0, 1.0]), [0.125, 0.5, 0.625])
    assert result.tolist() == [1.0, 1.75, 2.0]


def test_ks_distance_and_linear_fit_are_scipy():
    rng = np.random.default_rng(5)
    a, b = rng.normal(size=300), rng.normal(0.3, size=200)
    assert ks_distance(a, b) == scipy_stats.ks_2samp(a, b).statistic
    assert ks_distance([1.0, 2.0], [1.0, 2.0]) == 0.0
    with pytest.raises(ValueError, match="at least one"):
        ks_distance([], [1.0])
    x = np.arange(10.0)
    fit = linear_fit(x, 2.0 * x + 1.0)
    assert fit.slope == pytest.approx(2.0) and fit.intercept == pytest.approx(1.0)
    assert fit.r_squared == pytest.approx(1.0)
    with pytest.raises(ValueError, match="distinct"):
        linear_fit([1.0, 1.0], [2.0, 3.0])


def test_clock_hours_count_the_repeated_autumn_hour_twice():
    grid = build_grid(dt.date(2023, 11, 5), dt.date(2023, 11, 5), "America/Los_Angeles", 15)
    hours = local_calendar(grid, "America/Los_Angeles").clock_hour
    assert hours[0] == 0 and hours[-1] == 24 and len(np.unique(hours)) == 25
    assert np.bincount(hours).tolist() == [4] * 25
    calendar = local_calendar(grid, "America/Los_Angeles")
    assert calendar.clock_hour_starts.tolist() == list(range(0, 100, 4))
    np.testing.assert_allclose(calendar.clock_hour_means(np.arange(100.0)), np.arange(25) * 4 + 1.5)
    spring = build_grid(dt.date(2023, 3, 12), dt.date(2023, 3, 12), "America/Los_Angeles", 60)
    assert local_calendar(spring, "America/Los_Angeles").clock_hour.tolist() == list(range(23))
