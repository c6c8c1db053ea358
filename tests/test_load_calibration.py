"""Load calibration statistics on constructed cases; the Fontana reader on the real files."""

import datetime as dt
import importlib.util

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from vppsim.load import calibration as cal
from vppsim.load.calibration import (
    Fleet,
    autocorrelation,
    coincident_peak_curve,
    daily_kwh,
    fontana_fleet,
    high_hours_share,
    ks_distance,
    load_factors,
    mean_daily_shape,
    peak_hour_histogram,
    peaks,
    read_fontana,
    report_tables,
    temperature_slope,
    weekend_ratio,
)
from vppsim.timeseries import autocorrelation as shared_autocorrelation

from .conftest import SHARED

REFERENCE = SHARED / "reference"
FONTANA = REFERENCE / "load" / "fontana_homes_1_9"
needs_fontana = pytest.mark.skipif(
    not (FONTANA / "Building_9.csv").is_file(), reason="needs ../shared/reference/load"
)
needs_model = pytest.mark.skipif(
    importlib.util.find_spec("vppsim.load.model") is None
    or importlib.util.find_spec("vppsim.load.homes") is None,
    reason="the load model is not there yet",
)


def local_starts(first: str, days: int, minutes: int) -> pd.DatetimeIndex:
    return pd.date_range(first, periods=days * 1440 // minutes, freq=f"{minutes}min")


def fleet_of(kw, first="2023-08-07", minutes=60) -> Fleet:
    kw = np.asarray(kw, dtype=float)
    days = kw.shape[1] * minutes // 1440
    return Fleet.from_intervals(kw, local_starts(first, days, minutes))


# ----------------------------------------------------------------------------- the fleet


def test_fleet_cuts_whole_days_and_averages_to_hours():
    kw = np.arange(2 * 96, dtype=float).reshape(1, -1)  # one home, two days at 15 min
    fleet = fleet_of(kw, minutes=15)
    assert fleet.kw.shape == (1, 2, 96) and fleet.step_hours == 0.25
    assert list(fleet.days) == [pd.Timestamp("2023-08-07"), pd.Timestamp("2023-08-08")]
    hourly = fleet.hourly()
    assert hourly.kw.shape == (1, 2, 24)
    assert hourly.kw[0, 0, 0] == pytest.approx(1.5)  # mean of 0, 1, 2, 3
    assert hourly.kw[0, 1, 23] == pytest.approx(np.mean([188, 189, 190, 191]))
    np.testing.assert_allclose(daily_kwh(fleet), daily_kwh(hourly))


def test_fleet_refuses_partial_days_and_gaps():
    day_and_a_bit = pd.date_range("2023-08-07", periods=31, freq="h")  # 24 + 7 hours
    with pytest.raises(ValueError, match="whole days"):
        Fleet.from_intervals(np.zeros((1, 31)), day_and_a_bit)
    starts = local_starts("2023-08-07", 2, 60)
    with pytest.raises(ValueError, match="regular grid"):
        Fleet.from_intervals(np.zeros((1, 48)), starts[::-1])
    with pytest.raises(ValueError, match="regular grid"):  # a 23-hour day and a 25-hour one
        Fleet.from_intervals(np.zeros((1, 48)), starts[1:].append(starts[-1:] + pd.Timedelta("1h")))
    with pytest.raises(ValueError, match="does not match"):
        Fleet.from_intervals(np.zeros((1, 47)), starts)


def test_daily_energy_of_a_constant_load():
    fleet = fleet_of(np.full((2, 3 * 96), 1.5), minutes=15)
    np.testing.assert_allclose(daily_kwh(fleet), 36.0)


# ------------------------------------------------------------------------- the statistics


def test_ks_distance_known_cases():
    assert ks_distance([1, 2, 3], [1, 2, 3]) == 0
    assert ks_distance([1, 2, 3], [10, 20]) == 1
    assert ks_distance([1, 2, 3, 4], [3, 4, 5, 6]) == pytest.approx(0.5)
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=300), rng.normal(0.3, 1.2, size=170)
    assert ks_distance(a, b) == pytest.approx(stats.ks_2samp(a, b).statistic)
    assert ks_distance(a.reshape(30, 10), b) == ks_distance(a, b)  # home-days: any shape


def test_peaks_and_load_factor():
    kw = np.zeros((2, 48))
    kw[0] = 1.0  # flat: load factor 1
    kw[1, 5] = 4.0  # one 4 kW hour in two days: mean 4/48
    fleet = fleet_of(kw)
    np.testing.assert_allclose(peaks(fleet), [1.0, 4.0])
    np.testing.assert_allclose(load_factors(fleet), [1.0, 1 / 48])
    assert np.isnan(load_factors(fleet_of(np.zeros((1, 24))))[0])


def test_peak_hour_histogram_uses_the_local_clock_hour_of_the_step():
    kw = np.zeros((2, 2 * 96))
    kw[0, 18 * 4 + 3] = 5  # day 1, 18:45
    kw[0, 96 + 18 * 4] = 5  # day 2, 18:00
    kw[1, 7 * 4 + 1] = 2  # day 1, 07:15
    kw[1, 96 + 23 * 4 + 3] = 2  # day 2, 23:45
    histogram = peak_hour_histogram(fleet_of(kw, minutes=15))
    assert histogram.sum() == pytest.approx(1)
    assert histogram[18] == pytest.approx(0.5)
    assert histogram[7] == pytest.approx(0.25) and histogram[23] == pytest.approx(0.25)
    assert high_hours_share(histogram) == pytest.approx(0.5)  # 13-21 h holds only 18 h
    assert high_hours_share(histogram, (7, 24)) == pytest.approx(1)


def test_mean_daily_shape_by_hour():
    hours = np.arange(24, dtype=float)
    kw = np.vstack([np.tile(hours, 3), np.tile(hours + 2, 3)])  # two homes, three days
    shape = mean_daily_shape(fleet_of(kw))
    np.testing.assert_allclose(shape.to_numpy(), hours + 1)
    fine = np.repeat(kw, 4, axis=1)  # the same at 15 min
    np.testing.assert_allclose(mean_daily_shape(fleet_of(fine, minutes=15)), shape)


def test_coincident_peak_curve_enumerates_small_groups_exactly():
    series = np.array(
        [
            [2.0, 0.0, 0.0],
            [0.0, 2.0, 0.0],
            [0.0, 0.0, 5.0],
        ]
    )
    curve = coincident_peak_curve(series, [1, 2, 3, 4], np.random.default_rng(0))
    assert curve[1] == pytest.approx(3.0)  # mean of the peaks 2, 2, 5
    # pairs: {0,1} peak 1.0; {0,2} 2.5; {1,2} 2.5
    assert curve[2] == pytest.approx(2.0)
    assert curve[3] == pytest.approx(5 / 3)
    assert np.isnan(curve[4])


def test_coincident_peak_of_random_groups_falls_with_diversity():
    rng = np.random.default_rng(3)
    series = rng.exponential(1.0, size=(200, 500))  # independent homes, mean 1
    curve = coincident_peak_curve(series, [1, 10, 200], np.random.default_rng(0), draws=50)
    assert curve[1] > curve[10] > curve[200] > 1.0
    assert curve[200] == pytest.approx(series.mean(axis=0).max())
    assert curve[200] < 1.5 < curve[10]  # the mean of 200 homes hardly peaks


def test_autocorrelation_known_series():
    # The shared estimator (vppsim.timeseries): the mean lagged product over the variance,
    # so a strictly periodic series has an autocorrelation of exactly +-1 at any length.
    n = 1000
    alternating = np.where(np.arange(n) % 2 == 0, 1.0, -1.0)
    assert autocorrelation(alternating, 1) == pytest.approx(-1.0)
    assert autocorrelation(alternating, 2) == pytest.approx(1.0)
    days = np.sin(2 * np.pi * np.arange(96 * 20) / 96)  # a daily cycle at 15 min
    assert autocorrelation(days, 96) == pytest.approx(1.0, abs=1e-9)
    assert autocorrelation(days, 48) == pytest.approx(-1.0, abs=1e-9)
    # homes are averaged; a constant home has no autocorrelation and is left out
    both = np.vstack([alternating, np.full(n, 3.0)])
    assert autocorrelation(both, 1) == pytest.approx(-1.0)
    ramp = np.vstack([np.arange(50.0), np.arange(50.0) ** 2])
    expected = np.mean([shared_autocorrelation(row, 3) for row in ramp])
    assert autocorrelation(ramp, 3) == pytest.approx(expected)
    with pytest.raises(ValueError, match="lag"):
        autocorrelation(alternating, n)


def test_white_noise_has_no_autocorrelation():
    noise = np.random.default_rng(5).normal(size=(50, 2000))
    assert abs(autocorrelation(noise, 1)) < 0.01


def test_temperature_slope_and_weekend_ratio():
    tmax = np.array([25.0, 30.0, 35.0, 28.0])
    daily = np.vstack([10 + 2 * tmax, 14 + 2 * tmax])  # fleet mean 12 + 2 tmax
    slope, r = temperature_slope(daily, tmax)
    assert slope == pytest.approx(2.0) and r == pytest.approx(1.0)
    days = pd.date_range("2023-08-04", periods=4)  # Fri, Sat, Sun, Mon
    energy = np.array([[10.0, 20.0, 20.0, 10.0]])
    assert weekend_ratio(energy, days) == pytest.approx(2.0)


# ----------------------------------------------------------------------------- the report


def stand_in(kw_per_home: float, homes: int, days: int = 31, minutes: int = 15, seed: int = 0):
    """Homes with an evening bump and noise, scaled to about ``kw_per_home``."""
    rng = np.random.default_rng(seed)
    starts = local_starts("2023-08-01", days, minutes)
    hour = starts.hour.to_numpy() + starts.minute.to_numpy() / 60
    shape = 0.6 + np.exp(-((hour - 18) ** 2) / 8)
    kw = kw_per_home * shape / shape.mean() * rng.gamma(4, 0.25, (homes, len(starts)))
    return Fleet.from_intervals(kw, starts)


def test_report_puts_real_synthetic_and_published_side_by_side():
    real = stand_in(1.3, 9, minutes=60, seed=1)
    synthetic = {"LA mix": stand_in(0.9, 30, seed=2), "inland": stand_in(1.3, 30, seed=3)}
    tmax = {label: np.linspace(25, 35, 31) for label in synthetic}
    tables = report_tables(real, synthetic, tmax, sizes=(1, 2, 5, 10, 30), draws=20)
    assert len(tables) == 7
    energy = next(t for title, t in tables.items() if title.startswith("Daily kWh"))
    assert list(energy.columns) == [cal.REAL, "LA mix", "inland", cal.PUBLISHED_COLUMN]
    assert energy.loc["home means p50", cal.PUBLISHED_COLUMN] == "31"
    assert energy.loc["mean", "LA mix"] < energy.loc["mean", "inland"]
    assert (
        energy.loc["KS distance to Fontana", "LA mix"]
        > energy.loc["KS distance to Fontana", "inland"]
    )
    peak_table = next(t for title, t in tables.items() if title.startswith("Per-home peak"))
    assert {"LA mix 1 h", "LA mix 15 min", "inland 15 min"} <= set(peak_table.columns)
    # 15-min peaks are at least the hourly ones
    assert peak_table.loc["peak p50", "inland 15 min"] >= peak_table.loc["peak p50", "inland 1 h"]
    coincident = next(t for title, t in tables.items() if title.startswith("Combined peak"))
    assert list(coincident.index) == [1, 2, 5, 10, 30]
    assert isinstance(coincident.loc[2, f"{cal.REAL} 1 h"], float)
    assert coincident.loc[10, f"{cal.REAL} 1 h"] == "n/a (9 homes)"
    assert coincident.loc[1, cal.PUBLISHED_COLUMN] == "4.8 (Fontana)"
    shape = next(t for title, t in tables.items() if title.startswith("Mean daily shape"))
    assert shape.loc["correlation with Fontana", cal.REAL] == pytest.approx(1.0)
    assert shape.loc["correlation with Fontana", "inland"] > 0.9  # the same evening bump
    weather = next(t for title, t in tables.items() if title.startswith("Daily kWh against"))
    assert weather.loc["slope [kWh/day per degC]", cal.REAL].startswith("n/a")
    assert isinstance(weather.loc["slope [kWh/day per degC]", "inland"], float)
    text = cal.format_tables(tables)
    assert "KS distance to Fontana" in text and "nan" not in text


# ----------------------------------------------------------------------------- real files


@pytest.fixture(scope="module")
def fontana():
    return read_fontana(REFERENCE)


@needs_fontana
def test_read_fontana_calendar(fontana):
    assert sorted(fontana["home"].unique()) == list(range(1, 10))
    assert len(fontana) == 9 * 8760
    home = fontana[fontana["home"] == 1]
    # the first row is 31 Jul hour-ending 24: the hour from 23:00 local
    assert home["timestamp"].iloc[0] == pd.Timestamp("2016-07-31 23:00")
    assert home["timestamp"].iloc[-1] == pd.Timestamp("2017-07-31 22:00")
    assert home["timestamp"].is_monotonic_increasing
    assert (home["timestamp"].dt.dayofweek + 1 == home["day_type"]).all()
    august = home[home["timestamp"].dt.month == 8]
    assert len(august) == 31 * 24
    assert august["timestamp"].iloc[0] == pd.Timestamp("2016-08-01 00:00")
    assert august["timestamp"].iloc[0].day_name() == "Monday"
    assert (fontana["kwh"] >= 0).all()
    # the folder itself works too
    assert read_fontana(FONTANA).equals(fontana)


@needs_fontana
def test_fontana_august_matches_calibration_md(fontana):
    fleet = fontana_fleet(fontana, 8)
    assert fleet.kw.shape == (9, 31, 24)
    means = daily_kwh(fleet).mean(axis=1)
    assert np.median(means) == pytest.approx(31, abs=1)
    assert np.quantile(means, 0.1) == pytest.approx(28, abs=1)
    assert np.quantile(means, 0.9) == pytest.approx(39, abs=1)
    assert np.quantile(peaks(fleet), [0.1, 0.9]) == pytest.approx([3.9, 5.5], abs=0.1)
    assert np.median(load_factors(fleet)) == pytest.approx(0.30, abs=0.02)
    curve = coincident_peak_curve(fleet.series, [1, 2, 5], np.random.default_rng(0))
    assert curve.to_numpy() == pytest.approx([4.8, 4.0, 3.5], abs=0.2)
    # the afternoon and evening plateau: 13-21 h above the rest of the day
    shape = mean_daily_shape(fleet)
    assert shape.loc[13:20].mean() > 1.3 * shape.drop(range(13, 21)).mean()


@needs_fontana
def test_calibration_tables_run_end_to_end_with_a_stand_in():
    def simulate(overrides, homes, seed, grid, weather, timezone, interval_minutes):
        rng = np.random.default_rng(seed)
        temp = weather["temp_air_c"].to_numpy()
        level = overrides.get("level", 1.0)
        kw = level * (0.5 + 0.1 * np.clip(temp - 20, 0, None)) * rng.gamma(4, 0.25, (homes, 1))
        return kw.astype(np.float32)

    configurations = {"LA mix": {"level": 1.0}, "inland": {"level": 2.0}}
    tables = cal.load_calibration_tables(
        REFERENCE,
        homes=20,
        seed=3,
        start=dt.date(2023, 8, 1),
        end=dt.date(2023, 8, 31),
        configurations=configurations,
        simulate=simulate,
        sizes=(1, 2, 5, 10, 20),
        draws=10,
    )
    weather = next(t for title, t in tables.items() if title.startswith("Daily kWh against"))
    # the stand-in's daily kWh follows temperature; twice the level, twice the slope
    low, high = (weather.loc["slope [kWh/day per degC]", c] for c in ("LA mix", "inland"))
    assert low > 0 and high == pytest.approx(2 * low, rel=1e-3)
    # Fontana's August against its April (2.0); the stand-in's follows its temperature
    seasonal = weather.loc["Aug / Apr mean daily kWh"]
    assert seasonal[cal.REAL] == pytest.approx(32.3 / 15.9, abs=0.02)
    assert seasonal["LA mix"] > 1 and seasonal["inland"] == pytest.approx(seasonal["LA mix"])
    energy = next(t for title, t in tables.items() if title.startswith("Daily kWh per"))
    assert energy.loc["home means p50", cal.REAL] == pytest.approx(31, abs=1)


# ------------------------------------------------------------------------ with the model


@pytest.fixture(scope="module")
def model_tables():
    return cal.load_calibration_tables(REFERENCE, homes=200, seed=42)


@needs_fontana
@needs_model
def test_la_mix_uses_less_than_fontana_and_inland_matches(model_tables):
    energy = next(t for title, t in model_tables.items() if title.startswith("Daily kWh per"))
    real = energy.loc["home-day p50", cal.REAL]
    assert energy.loc["home-day p50", "LA mix"] < 0.9 * real
    assert energy.loc["home-day p50", "inland"] == pytest.approx(real, rel=0.2)
    assert (
        energy.loc["KS distance to Fontana", "inland"]
        < energy.loc["KS distance to Fontana", "LA mix"]
    )
