"""The residential load model: determinism, independence, ranges and weather/behaviour effects."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pandas as pd
import pytest
from scipy.signal import lfilter

from vppsim.calibration_file import dumps_calibration, read_calibration
from vppsim.grid import build_grid
from vppsim.load import draws, model
from vppsim.load.fit import (
    fit_calibration,
    fontana_august,
    load_figures,
    read_fontana,
)
from vppsim.load.homes import ac_shares, draw_homes
from vppsim.load.model import (
    mean_weekday_presence,
    presence,
    render_events,
    simulate_load,
    weekday_daytime_presence,
)
from vppsim.load.parameters import LoadCalibration, LoadParameters, load_calibration
from vppsim.seeds import Stream, stream_rng
from vppsim.weather.synthetic import simulate_weather

from .conftest import SHARED

TZ = "America/Los_Angeles"
LAT, LON = 34.05, -118.24
REFERENCE = SHARED / "reference" / "load"
needs_reference = pytest.mark.skipif(
    not (REFERENCE / "fontana_homes_1_9" / "Building_9.csv").is_file(),
    reason="needs ../shared/reference/load",
)
FONTANA_LIKE = {"inland_share": 1.0, "ac_share": 1.0}


def weather_for(start: dt.date, end: dt.date, minutes: int = 15):
    grid = build_grid(start, end, TZ, minutes)
    weather = simulate_weather(grid, LAT, LON, TZ, minutes, stream_rng(42, Stream.WEATHER))
    return grid, weather


@pytest.fixture(scope="module")
def two_weeks():
    return weather_for(dt.date(2023, 8, 7), dt.date(2023, 8, 20))


@pytest.fixture(scope="module")
def august():
    return weather_for(dt.date(2023, 8, 1), dt.date(2023, 8, 31))


def local_hours(grid: pd.DatetimeIndex) -> np.ndarray:
    return np.asarray(grid.tz_convert(TZ).hour)


def run(homes, weather, grid, seed=1, parameters=None, minutes=15):
    return simulate_load(homes, weather, grid, TZ, minutes, seed, parameters)


# --- Attributes --------------------------------------------------------------------------------


def test_draw_homes_columns_units_and_dtypes():
    homes = draw_homes(3, np.arange(50))
    assert list(homes.columns[:1]) == ["home_id"]
    assert homes["home_id"].dtype == np.int32
    assert homes["home_id"].tolist() == list(range(50))
    for name in (
        "household_size",
        "floor_area_m2",
        "has_central_ac",
        "ac_capacity_kw",
        "ac_cop",
        "cooling_setpoint_c",
        "climate",
        "temp_offset_max_c",
        "baseload_kw",
        "occupancy",
        "has_ev",
        "ev_charger_kw",
    ):
        assert name in homes.columns, name
    assert set(homes["climate"].astype(str)) <= {"coastal", "inland"}
    assert set(homes["occupancy"].astype(str)) <= {"working", "at_home", "night_shift"}
    assert not homes["has_ev"].any()  # EVs are off by default
    assert (
        homes.loc[~homes["has_central_ac"] & ~homes["has_room_ac"], "ac_capacity_kw"] == 0
    ).all()
    assert homes.select_dtypes("number").notna().all().all()


def test_home_attributes_do_not_depend_on_the_other_homes():
    few = draw_homes(7, np.arange(20)).set_index("home_id")
    shifted = draw_homes(7, np.arange(15, 25)).set_index("home_id")
    huge = draw_homes(7, np.array([1_999_999, 17, 1_000_000])).set_index("home_id")
    pd.testing.assert_frame_equal(few.loc[15:19], shifted.loc[15:19])
    pd.testing.assert_frame_equal(few.loc[[17]], huge.loc[[17]])
    assert not few.loc[[3]].reset_index(drop=True).equals(few.loc[[4]].reset_index(drop=True))


def test_ev_share_changes_only_the_ev_attributes():
    ev_columns = ["has_ev", "ev_type", "ev_charger_level", "ev_charger_kw"]
    without = draw_homes(2, np.arange(100))
    with_ev = draw_homes(2, np.arange(100), LoadParameters(ev_share=1.0))
    pd.testing.assert_frame_equal(
        without.drop(columns=ev_columns), with_ev.drop(columns=ev_columns)
    )
    assert with_ev["has_ev"].all()
    level2 = with_ev["ev_charger_level"] == 2
    assert level2.mean() > 0.6
    assert with_ev.loc[level2, "ev_charger_kw"].between(7.0, 10.5).all()


def test_ac_shares_mix_to_the_fleet_share():
    coastal, inland = ac_shares(0.69, 0.5)
    assert 0.5 * coastal + 0.5 * inland == pytest.approx(0.69, abs=1e-6)
    assert inland > 0.85 > 0.55 > coastal
    homes = draw_homes(11, np.arange(4000))
    assert homes["has_central_ac"].mean() == pytest.approx(0.69, abs=0.03)
    inland_homes = homes["climate"] == "inland"
    assert (
        homes.loc[inland_homes, "has_central_ac"].mean()
        > homes.loc[~inland_homes, "has_central_ac"].mean() + 0.25
    )


# --- Determinism and independence ---------------------------------------------------------------


def test_series_identical_whatever_the_chunk_and_fleet(two_weeks):
    grid, weather = two_weeks
    a = run(draw_homes(1, np.arange(20)), weather, grid)
    b = run(draw_homes(1, np.arange(15, 25)), weather, grid)
    np.testing.assert_array_equal(a[15:20], b[:5])
    lone = run(draw_homes(1, np.array([17])), weather, grid)
    np.testing.assert_array_equal(a[17], lone[0])
    again = run(draw_homes(1, np.arange(20)), weather, grid)
    np.testing.assert_array_equal(a, again)
    other_seed = run(draw_homes(2, np.arange(20)), weather, grid, seed=2)
    assert not np.array_equal(a, other_seed)


def test_internal_blocks_do_not_change_the_series(two_weeks, monkeypatch):
    grid, weather = two_weeks
    homes = draw_homes(4, np.arange(12), LoadParameters(ev_share=0.5))
    whole = run(homes, weather, grid, seed=4, parameters=LoadParameters(ev_share=0.5))
    monkeypatch.setattr(model, "BLOCK_HOMES", 5)
    monkeypatch.setattr(model, "CUMSUM_ROWS", 3)  # the row-by-row path of the renderer too
    blocks = run(homes, weather, grid, seed=4, parameters=LoadParameters(ev_share=0.5))
    np.testing.assert_array_equal(whole, blocks)


def test_load_draws_come_from_the_home_stream():
    uniforms = draws.draw_uniforms(9, np.array([3, 17]), n_days=5)
    expected = stream_rng(9, Stream.LOAD, 17).random(uniforms.shape[1], dtype=np.float32)
    np.testing.assert_array_equal(uniforms[1], expected)


# --- Ranges ---------------------------------------------------------------------------------------


def test_shape_dtype_and_ranges(august):
    grid, weather = august
    kw = run(draw_homes(5, np.arange(300)), weather, grid, seed=5)
    assert kw.shape == (300, len(grid)) and kw.dtype == np.float32
    assert np.isfinite(kw).all()
    assert kw.min() >= 0.0 and kw.max() < 16.0
    peaks = kw.max(axis=1)
    assert np.mean((peaks >= 2.0) & (peaks <= 12.0)) > 0.97
    assert np.percentile(kw, 1) > 0.05 and np.percentile(kw, 50) < 1.5
    daily = kw.mean(axis=1) * 24.0
    assert 15.0 < np.median(daily) < 28.0


def test_empty_inputs_and_misaligned_weather(two_weeks):
    grid, weather = two_weeks
    homes = draw_homes(1, np.arange(3))
    assert run(homes.iloc[:0], weather, grid).shape == (0, len(grid))
    with pytest.raises(ValueError, match="indexed by the grid"):
        run(homes, weather.iloc[1:], grid)


@pytest.mark.parametrize(
    ("day", "intervals"), [(dt.date(2023, 3, 12), 92), (dt.date(2023, 11, 5), 100)]
)
def test_dst_days(day, intervals):
    grid, weather = weather_for(day, day)
    kw = run(draw_homes(1, np.arange(30)), weather, grid)
    assert kw.shape == (30, intervals) and np.isfinite(kw).all()


def test_interval_length_keeps_the_energy(two_weeks):
    """On the same (piecewise-constant) weather, 5-, 15- and 60-min runs use the same energy."""
    grid, weather = two_weeks
    homes = draw_homes(6, np.arange(150))
    energy = {}
    for minutes in (5, 15, 60):
        fine = build_grid(grid[0].tz_convert(TZ).date(), dt.date(2023, 8, 20), TZ, minutes)
        hourly = weather.resample("60min").mean()
        on_grid = hourly.reindex(fine, method="ffill")
        energy[minutes] = run(homes, on_grid, fine, seed=6, minutes=minutes).mean()
    assert energy[5] == pytest.approx(energy[60], rel=0.03)
    assert energy[15] == pytest.approx(energy[60], rel=0.03)


# --- Weather and behaviour ---------------------------------------------------------------------


def test_hot_days_use_more_in_the_afternoon_and_evening(two_weeks):
    grid, weather = two_weeks
    homes = draw_homes(8, np.arange(200))
    base = run(homes, weather, grid, seed=8)
    hotter = weather.assign(temp_air_c=weather["temp_air_c"] + 5.0)
    hot = run(homes, hotter, grid, seed=8)
    assert hot.mean() > 1.15 * base.mean()
    hours = local_hours(grid)
    window = (hours >= 14) & (hours < 21)
    extra = hot - base
    assert extra[:, window].mean() > 1.3 * extra[:, ~window].mean() > 0.0


def test_heat_event_raises_afternoon_and_evening_load(two_weeks):
    grid, weather = two_weeks
    local = grid.tz_convert(TZ)
    days = np.asarray((local.normalize() - local[0].normalize()).days)
    hours = local_hours(grid)
    event = (days >= 6) & (days <= 8)
    # A three-day heat event: +7 degC in the afternoon, +3 degC at night.
    bump = np.where(event, 3.0 + 4.0 * np.clip(np.cos(2 * np.pi * (hours - 15) / 24), 0, None), 0)
    heat = weather.assign(temp_air_c=weather["temp_air_c"] + bump)
    homes = draw_homes(9, np.arange(200))
    base = run(homes, weather, grid, seed=9)
    hot = run(homes, heat, grid, seed=9)
    afternoon = event & (hours >= 14) & (hours < 22)
    morning = event & (hours >= 4) & (hours < 10)
    assert (hot - base)[:, afternoon].mean() > 0.5  # kW per home
    assert (hot - base)[:, afternoon].mean() > 3.0 * (hot - base)[:, morning].mean()
    np.testing.assert_allclose(hot[:, days < 6], base[:, days < 6])


def test_ev_adds_evening_energy_at_level_2_power(two_weeks):
    grid, weather = two_weeks
    without = LoadParameters()
    with_ev = LoadParameters(ev_share=1.0)
    base = run(draw_homes(3, np.arange(150), without), weather, grid, seed=3, parameters=without)
    ev = run(draw_homes(3, np.arange(150), with_ev), weather, grid, seed=3, parameters=with_ev)
    extra = ev - base
    assert extra.min() > -1e-3
    assert 5.0 < extra.mean() * 24.0 < 10.0  # kWh a day per EV home
    hours = local_hours(grid)
    evening = (hours >= 16) | (hours < 1)
    assert extra[:, evening].sum() / extra.sum() > 0.6
    assert extra.max() > 7.0  # level-2 sessions at 7.2-10.3 kW


def test_weekends_differ_from_weekdays(august):
    grid, weather = august
    kw = run(draw_homes(12, np.arange(300)), weather, grid, seed=12)
    local = grid.tz_convert(TZ)
    weekend = np.asarray(local.dayofweek >= 5)
    hours = local_hours(grid)
    daytime = (hours >= 9) & (hours < 16)
    ratio = kw[:, weekend & daytime].mean() / kw[:, ~weekend & daytime].mean()
    assert ratio > 1.05
    morning = (hours >= 6) & (hours < 8)
    assert kw[:, ~weekend & morning].mean() != pytest.approx(
        kw[:, weekend & morning].mean(), rel=0.02
    )


def test_default_mix_uses_less_than_an_inland_fontana_like_fleet(august):
    grid, weather = august
    default = LoadParameters()
    inland = LoadParameters(**FONTANA_LIKE)
    mix = run(draw_homes(13, np.arange(300), default), weather, grid, seed=13, parameters=default)
    hot = run(draw_homes(13, np.arange(300), inland), weather, grid, seed=13, parameters=inland)
    mix_daily, hot_daily = mix.mean(axis=1) * 24, hot.mean(axis=1) * 24
    assert np.median(mix_daily) < 0.8 * np.median(hot_daily)
    assert 26.0 < np.median(hot_daily) < 37.0  # Fontana: 31.4
    homes = draw_homes(13, np.arange(300), default)
    coastal = (homes["climate"] == "coastal").to_numpy()
    assert 8.0 < np.median(mix_daily[coastal]) < 16.0
    inland_ac = ~coastal & homes["has_central_ac"].to_numpy()
    assert 25.0 < np.median(mix_daily[inland_ac]) < 50.0


def test_fontana_like_fleet_reproduces_the_fontana_figures(august):
    grid, weather = august
    parameters = LoadParameters(**FONTANA_LIKE)
    kw = run(draw_homes(21, np.arange(300), parameters), weather, grid, 21, parameters)
    hourly = kw.reshape(len(kw), 31, 24, 4).mean(axis=3)
    weekend = np.asarray(grid.tz_convert(TZ)[::96].dayofweek >= 5)
    figures = load_figures(hourly, weekend)
    assert 28.0 < figures["daily_kwh_median_home"] < 35.0  # 31.4
    assert 3.9 < figures["hourly_peak_p50"] < 5.5  # 4.6
    assert 0.24 < figures["load_factor_median"] < 0.34  # 0.30
    peaks = figures["coincident_peak_per_home_kw"]
    assert peaks["1"] > peaks["2"] > peaks["5"]
    assert 3.0 < peaks["5"] < 4.0  # 3.5
    profile = np.asarray(figures["profile_weekday_kw"])
    assert profile[13:21].min() > 1.4 * profile.mean() * 0.9  # high 13-21 h (AC plateau)
    assert profile[2:6].max() < 0.5 * profile[13:21].mean()


# --- Pieces -------------------------------------------------------------------------------------


def test_render_events_is_exact_and_keeps_energy():
    # 2 kW from 10:07 to 10:52 on a 15-min grid starting at 10:00 -> 8/15, 1, 1, 7/15 of 2 kW.
    out = render_events(
        np.array([0, 1]),
        np.array([7.0, 0.0]),
        np.array([52.0, 5.0]),
        np.array([2.0, 3.0]),
        n_rows=2,
        n_steps=5,
        step_minutes=15.0,
    )
    np.testing.assert_allclose(out[:, 0], [2.0 * 8 / 15, 2.0, 2.0, 2.0 * 7 / 15, 0.0], atol=1e-6)
    np.testing.assert_allclose(out[:, 1], [3.0 / 3, 0, 0, 0, 0], atol=1e-6)
    # Events past the grid are clipped.
    late = render_events(
        np.array([0]), np.array([70.0]), np.array([200.0]), np.array([1.0]), 1, 5, 15
    )
    assert late.sum() * 15 == pytest.approx(5.0)


def test_cycled_compressor_keeps_the_duty_on_average():
    n = 400
    duty = np.full((96, n), 0.37, dtype=np.float32)
    on = model._cycled_on_fraction(
        duty, np.full(n, 23.0), np.linspace(0, 1, n, endpoint=False), 15.0
    )
    assert on.min() >= 0.0 and on.max() <= 1.0
    assert on.mean() == pytest.approx(0.37, abs=2e-3)
    assert on.std() > 0.05  # single homes alternate between off and on


def test_presence_mix_matches_its_expectation():
    hours = (np.arange(96) + 0.5) / 4
    homes = draw_homes(5, np.arange(6000))
    pattern = homes["occupancy"].cat.codes.to_numpy()
    present = presence(
        pattern,
        homes["leave_hour"].to_numpy(float),
        homes["return_hour"].to_numpy(float),
        hours,
        LoadCalibration.default().weekend_daytime_presence,
    )
    np.testing.assert_allclose(present[:, 0].mean(axis=0), mean_weekday_presence(hours), atol=0.03)


# --- Calibration ---------------------------------------------------------------------------------


def test_shipped_calibration_has_the_expected_tables():
    calibration = load_calibration()
    schedules = calibration["schedules"]
    for end_use in ("lighting_interior", "plug_loads_other", "cooking_range", "clothes_washer"):
        assert sum(schedules[end_use]["weekday"]) == pytest.approx(1.0, abs=2e-3)
        assert len(schedules[end_use]["weekend"]) == 24
        assert len(schedules[end_use]["monthly"]) == 12
    ev = calibration["ev"]
    assert set(ev) == {"bev_l1", "bev_l2", "phev_l1", "phev_l2"}
    level2_starts = np.concatenate([ev["bev_l2"]["start_minute"], ev["phev_l2"]["start_minute"]])
    assert 16 * 60 < np.median(level2_starts) < 18 * 60  # evening starts (~17:20)
    assert 7.0 <= ev["phev_l2"]["power_kw"] <= ev["bev_l2"]["power_kw"] <= 10.5
    assert len(json.dumps(calibration)) < 40_000


@needs_reference
def test_calibrated_json_is_reproducible_from_the_reference():
    text = dumps_calibration(fit_calibration(REFERENCE, weekday_daytime_presence()))
    assert json.loads(text) == read_calibration("vppsim.load")
    assert text == dumps_calibration(read_calibration("vppsim.load"))


@needs_reference
def test_fontana_reference_figures():
    energy, calendar = read_fontana(REFERENCE / "fontana_homes_1_9")
    august_kwh, weekend = fontana_august(energy, calendar)
    figures = load_figures(august_kwh, weekend)
    assert figures["daily_kwh_median_home"] == pytest.approx(31.4, abs=0.1)
    assert figures["load_factor_median"] == pytest.approx(0.30, abs=0.01)
    assert figures["coincident_peak_per_home_kw"]["5"] == pytest.approx(3.5, abs=0.05)
    assert weekend.sum() == 8  # Aug 1 is a Monday: 4 weekends


def test_hourly_noise_is_float32_ar1():
    """The shared AR(1) filter scales float32 scores in float32, as the load noise always did
    (its float64 scaling would move 40 % of the factors by one ulp)."""
    u = np.random.default_rng(2).random((6, 5, 24), dtype=np.float32)
    phi = 0.37
    z = model._normal(u.reshape(6, -1))
    scaled = z * np.float32(np.sqrt(1.0 - phi * phi))
    scaled[:, 0] = z[:, 0]
    expected = lfilter([1.0], [1.0, -phi], scaled, axis=1).astype(np.float32)
    scores = model._hourly_ar1(u, phi)
    assert scores.dtype == np.float32
    np.testing.assert_array_equal(scores.reshape(6, -1), expected)


@pytest.mark.parametrize(
    ("minutes", "slots"),
    [
        (15, [*range(8), *range(4, 96)]),  # 01:00-01:59 comes twice
        (30, [1, 3, 5, 7, 5, 7, *range(9, 96, 2)]),  # midpoints xx:15 start a slot exactly
        (60, [2, 6, 6, *range(10, 96, 4)]),
    ],
)
def test_calendar_on_the_autumn_dst_day(minutes, slots):
    grid = build_grid(dt.date(2023, 11, 5), dt.date(2023, 11, 5), TZ, minutes)
    cal = model.calendar(grid, TZ, minutes)
    per_hour = 60 // minutes
    assert cal.n_steps == 25 * per_hour and cal.n_days == 2  # the day before, then the day
    assert (cal.day == 1).all() and cal.day_weekend.tolist() == [True, True]  # Sat, Sun
    assert (cal.daytype == 1).all() and (cal.month == 10).all()
    np.testing.assert_array_equal(cal.slot, slots)
    np.testing.assert_array_equal(cal.hour_index[: 3 * per_hour : per_hour], [24, 25, 25])
