"""The load model's typed parameters: validation, JSON round trip, and their effect."""

from __future__ import annotations

import datetime as dt
import hashlib
import json

import numpy as np
import pytest
from pydantic import ValidationError

from vppsim.grid import build_grid
from vppsim.load import model
from vppsim.load.homes import draw_homes
from vppsim.load.model import simulate_load
from vppsim.load.parameters import LoadCalibration, LoadParameters
from vppsim.seeds import Stream, stream_rng
from vppsim.weather.synthetic import simulate_weather

TZ = "America/Los_Angeles"

DEFAULT_HASHES = {
    "homes": "eff035d45462d8be",
    "load": "3381f0f615eb2582",
}
"""sha256 prefixes of 40 homes (seed 7) over 3 August days at 15 min with the default
parameters, recorded before the parameters became a pydantic model: the defaults must keep
reproducing them."""


@pytest.fixture(scope="module")
def three_days():
    grid = build_grid(dt.date(2023, 8, 7), dt.date(2023, 8, 9), TZ, 15)
    weather = simulate_weather(grid, 34.05, -118.24, TZ, 15, stream_rng(42, Stream.WEATHER))
    return grid, weather


def simulate(grid, weather, parameters=None, homes=40):
    table = draw_homes(7, np.arange(homes), parameters)
    return table, simulate_load(table, weather, grid, TZ, 15, 7, parameters)


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:16]


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"ev_share": 1.5}, "ev_share"),
        ({"washer_kw": -1.0}, "washer_kw"),
        ({"cooking_minutes": (50.0, 10.0)}, "cooking_minutes"),
        ({"occupancy_shares": (0.5, 0.5, 0.5)}, "occupancy_shares"),
        ({"household_size_shares": (0.5, 0.5, 0.0, 0.0, 0.0)}, "household_size_shares"),
        ({"hour_noise_autocorrelation": 1.0}, "hour_noise_autocorrelation"),
        ({"night_shift_leave_hours": (6.0, 8.0)}, "night_shift_leave_hours"),
        ({"working_leave_hours": (6.0, 17.0)}, "working_leave_hours"),
        ({"presence_away": 0.6}, "presence_away"),
        ({"ev_shar": 0.2}, "ev_shar"),
    ],
)
def test_a_bad_value_fails_naming_the_field(overrides, field):
    with pytest.raises(ValidationError, match=field):
        LoadParameters(**overrides)


def test_parameters_are_frozen_and_hold_no_tables():
    p = LoadParameters()
    with pytest.raises(ValidationError):
        p.ev_share = 0.5  # type: ignore[misc]
    for name, value in p.model_dump().items():
        assert isinstance(value, (float, int, tuple)), name
        assert not isinstance(value, tuple) or len(value) <= 6, name
    for name, field in LoadParameters.model_fields.items():
        assert field.description and "[" in field.description, f"{name}: no unit"
        assert field.default is not None, name


def test_json_round_trip():
    p = LoadParameters(ev_share=0.3, cooking_kw=(1.0, 2.5), night_hours=(23.0, 5.5))
    text = p.model_dump_json()
    assert LoadParameters.model_validate_json(text) == p
    assert LoadParameters.model_validate(json.loads(text)) == p
    assert LoadParameters.model_validate_json(LoadParameters().model_dump_json()) == (
        LoadParameters()
    )


def test_defaults_reproduce_the_default_output(three_days):
    grid, weather = three_days
    homes, kw = simulate(grid, weather)
    assert digest(homes.to_csv().encode()) == DEFAULT_HASHES["homes"]
    assert digest(kw.tobytes()) == DEFAULT_HASHES["load"]
    _, explicit = simulate(grid, weather, LoadParameters())
    np.testing.assert_array_equal(kw, explicit)


@pytest.mark.parametrize(
    ("overrides", "column"),
    [
        ({"cooling_setpoint_mean_c": 25.0}, "cooling_setpoint_c"),
        ({"plug_load_scale": 1.0}, "plug_kwh_per_day"),
        ({"working_leave_hours": (7.5, 8.0)}, "leave_hour"),
        ({"central_ac_cop_range": (3.0, 4.0)}, "ac_cop"),
        ({"household_size_shares": (0.5, 0.5, 0.0, 0.0, 0.0, 0.0)}, "household_size"),
    ],
)
def test_a_changed_knob_changes_the_homes(overrides, column):
    default = draw_homes(7, np.arange(60))
    changed = draw_homes(7, np.arange(60), LoadParameters(**overrides))
    assert not np.allclose(default[column].to_numpy(float), changed[column].to_numpy(float))


def test_a_changed_knob_changes_the_load(three_days):
    grid, weather = three_days
    _, base = simulate(grid, weather)
    # Fewer away days and no thermostat noise: a different but still plausible series.
    for overrides in (
        {"away_day_probability": 0.0, "thermostat_hour_sigma_c": 0.0},
        {"misc_kw": (2.0, 3.0)},
        {"cop_temperature_slope": 0.0},
    ):
        _, kw = simulate(grid, weather, LoadParameters(**overrides))
        assert not np.array_equal(kw, base), overrides
        assert np.isfinite(kw).all() and kw.min() >= 0.0
    # EV energy scales with ev_home_kwh_per_day.
    less, more = (LoadParameters(ev_share=1.0, ev_home_kwh_per_day=k) for k in (3.0, 9.0))
    _, low = simulate(grid, weather, less)
    _, high = simulate(grid, weather, more)
    assert high.mean() > low.mean() + 0.1


def test_occupancy_knobs_move_the_fleet_mean(three_days):
    """The presence modulation is normalised on the reference mix, so a fleet of home
    workers uses more in the weekday daytime than the default one."""
    grid, weather = three_days
    _, base = simulate(grid, weather, homes=120)
    at_home = LoadParameters(occupancy_shares=(0.0, 1.0, 0.0))
    _, home = simulate(grid, weather, at_home, homes=120)
    local = grid.tz_convert(TZ)
    day = np.asarray((local.hour >= 9) & (local.hour < 15) & (local.dayofweek < 5))
    assert home[:, day].mean() > base[:, day].mean()
    np.testing.assert_array_equal(
        model.mean_weekday_presence(np.arange(24.0)),
        model.mean_weekday_presence(np.arange(24.0), LoadParameters()),
    )


def test_calibration_is_separate_and_cached():
    tables = LoadCalibration.default()
    assert tables is LoadCalibration.default()
    assert isinstance(tables, LoadCalibration)
    daily, monthly = tables.schedule("refrigerator")
    assert daily.shape == (2, 24) and monthly.shape == (12,)
    assert 0.0 < tables.weekend_daytime_presence < 1.0
    assert "schedules" not in LoadParameters.model_fields
