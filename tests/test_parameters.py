"""The typed model parameters: validation, JSON round trip, every knob reaching its model, and
the defaults reproducing the default build."""

from __future__ import annotations

import datetime as dt
import json
import typing
from functools import cache

import annotated_types
import numpy as np
import pandas as pd
import pytest
from pydantic import BaseModel, ValidationError

from vppsim.grid import build_grid
from vppsim.market.parameters import (
    AncillaryProductParameters,
    AncillaryServicesParameters,
    MarketParameters,
)
from vppsim.market.synthetic import PRICE_COLUMNS, simulate_prices
from vppsim.seeds import Stream, stream_rng
from vppsim.solar.parameters import SolarParameters
from vppsim.solar.physics import pvwatts_ac
from vppsim.system.model import simulate_system
from vppsim.system.parameters import SystemParameters
from vppsim.weather.parameters import WeatherParameters
from vppsim.weather.synthetic import simulate_weather

TZ = "America/Los_Angeles"
SITE = (34.05, -118.24)
MODELS = (
    WeatherParameters,
    SolarParameters,
    SystemParameters,
    MarketParameters,
    AncillaryServicesParameters,
    AncillaryProductParameters,
)


# --- Shape of the models --------------------------------------------------------------------


@pytest.mark.parametrize("model", MODELS)
def test_every_field_has_a_default_bounds_and_a_description_with_units(model):
    for name, field in model.model_fields.items():
        assert not field.is_required(), name
        assert field.description, name
        annotation = field.annotation
        if annotation in (float, float | None, int):
            assert "[" in field.description, f"{name}: no [unit]"
            kinds = {type(m) for m in field.metadata}
            assert kinds & {annotated_types.Ge, annotated_types.Gt}, f"{name}: no lower bound"
            assert kinds & {annotated_types.Le, annotated_types.Lt}, f"{name}: no upper bound"
        else:  # choices and nested knobs (one, or a tuple of them), never arrays or tables
            args = typing.get_args(annotation)
            nested = (
                args[0] if typing.get_origin(annotation) is tuple and args[1:] == (...,) else None
            )
            assert (
                annotation.__class__.__name__ == "_LiteralGenericAlias"
                or (isinstance(annotation, type) and issubclass(annotation, BaseModel))
                or (isinstance(nested, type) and issubclass(nested, BaseModel))
            ), name


@pytest.mark.parametrize(
    "model",
    [
        WeatherParameters(heat_event_starts_per_month=2.0, temperature_offset_c=-1.5),
        SolarParameters(array_type="rack", coating_index=None, reference_azimuth=200.0),
        MarketParameters(price_level=0.8, ancillary={"spin": {"log_std": 0.3}}),
        SystemParameters(gas_price_usd_per_mmbtu=25.0, solar_capacity_mw=20000.0),
    ],
)
def test_json_round_trip(model):
    text = model.model_dump_json()
    again = type(model).model_validate_json(text)
    assert again == model
    assert again.model_dump_json() == text
    assert json.loads(text) == model.model_dump(mode="json")
    assert type(model)() == type(model).model_validate_json(type(model)().model_dump_json())


@pytest.mark.parametrize(
    ("model", "values", "field"),
    [
        (WeatherParameters, {"heat_event_starts_per_month": -1.0}, "heat_event_starts_per_month"),
        (WeatherParameters, {"heat_event_duration_days": 1.0}, "heat_event_duration_days"),
        (WeatherParameters, {"heat_event_starz": 1.0}, "heat_event_starz"),
        (SolarParameters, {"losses_percent": 100.0}, "losses_percent"),
        (SolarParameters, {"array_type": "tracker"}, "array_type"),
        (SolarParameters, {"reference_tilt": 95.0}, "reference_tilt"),
        (MarketParameters, {"price_level": -1.0}, "price_level"),
        (MarketParameters, {"price_level": 0.0}, "price_level"),
        (MarketParameters, {"price_cap": "lots"}, "price_cap"),
        (MarketParameters, {"scarcity_propensty": 1.0}, "scarcity_propensty"),
        (MarketParameters, {"ancillary": {"spin": {"log_std": -0.1}}}, "ancillary.spin.log_std"),
        (
            MarketParameters,
            {"ancillary": {"regdown": {"coupling": 0.1}}},
            "ancillary.regdown.coupling",
        ),
        (SystemParameters, {"gas_price_usd_per_mmbtu": -1.0}, "gas_price_usd_per_mmbtu"),
    ],
)
def test_validation_errors_name_the_field(model, values, field):
    with pytest.raises(ValidationError) as error:
        model(**values)
    assert [".".join(map(str, e["loc"])) for e in error.value.errors()] == [field]
    assert field in str(error.value)


@pytest.mark.parametrize(
    "model", [WeatherParameters, SolarParameters, SystemParameters, MarketParameters]
)
def test_parameters_are_frozen(model):
    parameters = model()
    name = next(iter(model.model_fields))
    with pytest.raises(ValidationError, match="frozen"):
        setattr(parameters, name, None)


# --- Defaults reproduce the default build ---------------------------------------------------


@cache
def august(
    weather: WeatherParameters | None = None,
    market: MarketParameters | None = None,
    system: SystemParameters | None = None,
) -> tuple[pd.DatetimeIndex, pd.DataFrame, pd.DataFrame]:
    """The default study's weather and prices (Aug 2023, LA, seed 42)."""
    grid = build_grid(dt.date(2023, 8, 1), dt.date(2023, 8, 31), TZ, 15)
    frame = simulate_weather(grid, *SITE, TZ, 15, stream_rng(42, Stream.WEATHER), weather)
    drivers = simulate_system(grid, TZ, frame, stream_rng(42, Stream.SYSTEM), system)
    prices = simulate_prices(grid, TZ, drivers, stream_rng(42, Stream.MARKET), market)
    return grid, frame, prices


def reference_pv(grid, weather, parameters=None):
    p = SolarParameters() if parameters is None else parameters
    return pvwatts_ac(
        grid + pd.Timedelta(minutes=7.5),
        *(weather[c].to_numpy() for c in ("ghi_w_m2", "dni_w_m2", "dhi_w_m2")),
        weather["temp_air_c"].to_numpy(),
        weather["wind_speed_m_s"].to_numpy(),
        *SITE,
        p.reference_tilt,
        p.reference_azimuth,
        p,
    )


def test_defaults_reproduce_the_default_build():
    """Values of the default build written before the parameters were typed (prices then
    had 17 significant digits; now they are rounded to the cent)."""
    grid, weather, prices = august(WeatherParameters(), MarketParameters())
    # To 1e-12: numpy picks its sin/cos/exp kernels by the CPU's instruction set, so the
    # irradiance models' last bits differ between machines (not between runs on one).
    assert weather.loc["2023-08-10T22:00:00Z", "temp_air_c"] == pytest.approx(
        31.536448551924, rel=1e-12
    )
    assert weather.loc["2023-08-10T22:00:00Z", "dni_w_m2"] == pytest.approx(
        693.3164883099454, rel=1e-12
    )
    assert weather["temp_air_c"].sum() == pytest.approx(67807.00570731092, rel=1e-13)
    pv = reference_pv(grid, weather, SolarParameters())
    assert pv.sum() == pytest.approx(635.3736859860674, rel=1e-13)
    assert pv[1900] == pytest.approx(0.0037072679775195, rel=1e-15)
    # None means the default instance.
    pd.testing.assert_frame_equal(august()[1], weather)
    pd.testing.assert_frame_equal(august()[2], prices)


def test_prices_are_given_to_the_cent():
    """They used to be written with 17 significant digits (e.g. 40.05226874586493)."""
    values = august()[2][list(PRICE_COLUMNS)].to_numpy().ravel().tolist()
    assert max(len(repr(v).partition(".")[2]) for v in values) == 2


# --- Every knob reaches its model -----------------------------------------------------------


def test_ancillary_level_exponent_changes_ancillary_prices_only():
    """The exponent used to be ignored (the AS process read a module constant)."""
    default = august()[2]
    steeper = august(market=MarketParameters(ancillary={"level_exponent": 1.5}))[2]
    pd.testing.assert_series_equal(steeper["lmp"], default["lmp"])
    pd.testing.assert_series_equal(steeper["da_lmp"], default["da_lmp"])
    # Aug 2023 gas (about $5.7/MMBtu) is above the AS reference (2024's $3.62): steeper AS
    # prices rise by (gas / reference) ** 1.0 more than the default's ** 0.5.
    calm = default["spin_price"] > 1.0
    ratio = (steeper["spin_price"][calm] / default["spin_price"][calm]).median()
    assert 1.3 < ratio < 2.0


def test_market_knobs_change_prices():
    _, _, default = august()

    def run(**knobs):
        return august(market=MarketParameters(**knobs))[2]

    capped = run(price_cap=300.0)
    assert capped["lmp"].max() == 300.0 < default["lmp"].max()
    doubled = run(price_level=2.0)
    assert doubled["lmp"].median() > 1.6 * default["lmp"].median()
    scarce = run(scarcity_propensity=10.0)
    assert (scarce["lmp"] > 250).mean() > 2 * (default["lmp"] > 250).mean()
    oversupplied = run(oversupply_propensity=20.0)
    # August's midday surplus is large: twenty times the odds still gives a few % (1.7 %
    # against 0.2 % since net imports count in the surplus; 2.5 % against 0.6 % before).
    more, base = (oversupplied["lmp"] < 0).mean(), (default["lmp"] < 0).mean()
    assert more > 5 * base and more > base + 0.01
    batteries = run(storage_mw=30000.0)
    assert batteries["lmp"].std() < default["lmp"].std()
    assert batteries["spin_price"].mean() < default["spin_price"].mean()
    dear_nonspin = run(ancillary={"nonspin": {"level": 10.0}})
    assert dear_nonspin["nonspin_price"].median() > 5 * default["nonspin_price"].median()


def test_system_knobs_reach_the_prices():
    _, _, default = august()
    crisis = august(system=SystemParameters(gas_price_usd_per_mmbtu=30.0))[2]
    assert crisis["lmp"].median() > 3 * default["lmp"].median()
    sunny = august(system=SystemParameters(solar_capacity_mw=60000.0))[2]
    hours = sunny.index.tz_convert(TZ).hour
    midday = (hours >= 10) & (hours < 15)
    assert sunny["lmp"][midday].mean() < default["lmp"][midday].mean() - 10


def test_weather_knobs_change_the_weather():
    default = august()[1]
    warmer = august(WeatherParameters(temperature_offset_c=2.0))[1]
    np.testing.assert_allclose(warmer["temp_air_c"] - default["temp_air_c"], 2.0, atol=1e-9)
    pd.testing.assert_series_equal(warmer["ghi_w_m2"], default["ghi_w_m2"])
    heat_waves = august(WeatherParameters(heat_event_starts_per_month=4.0))[1]
    assert heat_waves["temp_air_c"].mean() > default["temp_air_c"].mean() + 0.5
    none = august(WeatherParameters(heat_event_rate_factor=0.0))[1]
    assert (none["temp_air_c"] <= default["temp_air_c"] + 1e-9).all()
    smooth = august(WeatherParameters(intrahour_std_broken=0.0, intrahour_std_clear=0.0))[1]
    assert smooth["ghi_w_m2"].diff().abs().mean() < default["ghi_w_m2"].diff().abs().mean()


def test_solar_knobs_change_the_output():
    grid, weather, _ = august()
    default = reference_pv(grid, weather)
    lossless = reference_pv(grid, weather, SolarParameters(losses_percent=0.0))
    assert lossless.sum() / default.sum() == pytest.approx(1 / (1 - 0.1408), rel=0.01)
    clipped = reference_pv(grid, weather, SolarParameters(dc_ac_ratio=2.0))
    assert clipped.max() == pytest.approx(0.5)
    west = reference_pv(grid, weather, SolarParameters(reference_azimuth=270.0))
    hours = grid.tz_convert(TZ).hour
    assert west[hours >= 15].sum() > default[hours >= 15].sum()
