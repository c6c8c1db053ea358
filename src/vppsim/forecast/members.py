"""Forecast members carried through the same models as the outcomes.

A member is one weather forecast (:mod:`vppsim.forecast.weather`) and one draw of every
model's own randomness: its weather drives the reference roof and each home's PV (the pvlib
chain), CAISO's demand and solar (the system model, with the member's wind resource), the
prices (the market model) and every home's load (the load model, the homes' drawn
attributes unchanged). Because the outcomes are the same models driven by the realised
weather and the study's streams, members and outcome are exchangeable given the issued
weather forecast, which is what makes the bands calibrated.

Each model draws from its own member stream, ``SeedSequence(seed, spawn_key=(FORECAST,
kind, member))``, so a member never shares a draw with the outcome or another member, and a
home's load member depends on its home id only, not on the fleet's size or chunking.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

import numpy as np
import pandas as pd

from vppsim.fleet import pv
from vppsim.fleet.assets import Fleet
from vppsim.forecast.parameters import ForecastParameters
from vppsim.forecast.weather import (
    Draw,
    Variable,
    WeatherForecast,
    resource_members,
    weather_forecast,
)
from vppsim.load.model import simulate_load
from vppsim.load.parameters import LoadParameters
from vppsim.market.parameters import MarketParameters
from vppsim.market.synthetic import simulate_prices
from vppsim.seeds import Stream, stream_rng
from vppsim.solar.parameters import SolarParameters
from vppsim.solar.physics import pvwatts_ac, solar_geometry
from vppsim.system.model import simulate_system
from vppsim.system.parameters import SystemParameters


def stack_members(frames: Sequence[pd.DataFrame], names: Iterable[str]) -> dict[str, np.ndarray]:
    """Columns ``names`` of the members' frames as (M, n) arrays."""
    return {name: np.stack([frame[name].to_numpy() for frame in frames]) for name in names}


def member_seed(seed: int, draw: Draw, member: int) -> int:
    """A study seed for a model that takes a seed, not a generator (the load model keys its
    own per-home streams on it): derived from the member's stream, so home ``i`` of member
    ``m`` draws the same whatever else is built."""
    sequence = np.random.SeedSequence(seed, spawn_key=(int(Stream.FORECAST), int(draw), member))
    return int(sequence.generate_state(1, np.uint64)[0] >> np.uint64(1))


def system_ensemble(
    grid: pd.DatetimeIndex,
    timezone: str,
    weather: pd.DataFrame,
    system: pd.DataFrame,
    latitude: float,
    longitude: float,
    parameters: ForecastParameters,
    system_parameters: SystemParameters,
    seed: int,
    base: pd.DataFrame | None = None,
) -> tuple[WeatherForecast, list[pd.DataFrame]]:
    """The day-ahead weather forecast and each member's system drivers.

    Demand has two forecast parts: what the member's weather and the calendar explain
    (the system model without its residual), and the residual itself, the realised
    departure from that expectation (the rest of CAISO's weather, activity), forecast like
    a weather variable (``parameters.demand``): the operator knows it in part. Wind is the
    wind resource's members.

    Parameters
    ----------
    weather : pandas.DataFrame
        The realised weather, indexed by ``grid``.
    system : pandas.DataFrame
        The realised drivers on ``grid`` (``demand_mw``, ``wind_mw``; any index).
    parameters : ForecastParameters
        The ensemble's size and the forecast errors.
    system_parameters : SystemParameters
        The system model's knobs (the ones the outcomes were simulated with).
    base : pandas.DataFrame, optional
        A scenario's weather without its events (see
        :func:`~vppsim.forecast.weather.weather_forecast`).
    """
    forecast = weather_forecast(
        weather, grid, timezone, latitude, longitude, parameters, seed, base=base
    )
    wind = resource_members(
        system["wind_mw"].to_numpy(float),
        grid,
        timezone,
        parameters.wind,
        parameters,
        seed,
        Variable.WIND,
    )[1]
    expected = system_parameters.model_copy(update={"demand_noise_scale": 0.0})

    def demand(drivers: pd.DataFrame, knobs: SystemParameters) -> np.ndarray:
        # The outcome's own stream: with its residual scaled by 0, the explained part is left.
        frame = simulate_system(
            grid, timezone, drivers, stream_rng(seed, Stream.SYSTEM), knobs, wind_mw=wind[0]
        )
        return frame["demand_mw"].to_numpy()

    if base is None:
        realised = system["demand_mw"].to_numpy(float)
        explained = demand(weather, expected)
    else:
        # The residual is the base's, to the bit: a scenario's demand less its explained part
        # differs from it by rounding, which would move the residual's ranks on every day.
        realised, explained = demand(base, system_parameters), demand(base, expected)
    residual = resource_members(
        realised - explained,
        grid,
        timezone,
        parameters.demand,
        parameters,
        seed,
        Variable.DEMAND,
    )[1]
    systems = []
    for member, (frame, departure) in enumerate(zip(forecast.members, residual, strict=True)):
        drivers = simulate_system(
            grid,
            timezone,
            frame,
            stream_rng(seed, Stream.FORECAST, Draw.SYSTEM_MEMBER, member),
            expected,
            wind_mw=wind[member],
        )
        drivers["demand_mw"] = np.maximum(drivers["demand_mw"] + departure, 0.0)
        drivers["net_load_mw"] = drivers["demand_mw"] - drivers["solar_mw"] - drivers["wind_mw"]
        systems.append(drivers)
    return forecast, systems


def price_members(
    grid: pd.DatetimeIndex,
    timezone: str,
    systems: Sequence[pd.DataFrame],
    seed: int,
    parameters: MarketParameters,
) -> dict[str, np.ndarray]:
    """Real-time ``lmp`` and day-ahead ``da_lmp`` [$/MWh] of each member, shape (M, n)."""
    frames = [
        simulate_prices(
            grid,
            timezone,
            system,
            stream_rng(seed, Stream.FORECAST, Draw.MARKET_MEMBER, member),
            parameters,
        )
        for member, system in enumerate(systems)
    ]
    return stack_members(frames, ("lmp", "da_lmp"))


def reference_pv_members(
    grid: pd.DatetimeIndex,
    interval_minutes: int,
    weather: Sequence[pd.DataFrame],
    latitude: float,
    longitude: float,
    parameters: SolarParameters,
) -> np.ndarray:
    """The reference roof's output of each member [kW AC per kW DC], shape (M, n): the
    solar dataset's chain on the member's weather."""
    midpoints = grid + pd.Timedelta(minutes=interval_minutes / 2)
    geometry = solar_geometry(midpoints, latitude, longitude)
    return np.stack(
        [
            pvwatts_ac(
                midpoints,
                *(frame[column].to_numpy(dtype=float) for column in pv.WEATHER_COLUMNS),
                latitude,
                longitude,
                parameters.reference_tilt,
                parameters.reference_azimuth,
                parameters,
                geometry=geometry,
            )
            for frame in weather
        ]
    )


def fleet_sum(
    chunks: Iterable[np.ndarray],
    per_chunk: Callable[[np.ndarray], np.ndarray],
    shape: tuple[int, int],
) -> np.ndarray:
    """Sum ``per_chunk(home_ids)`` (M, H, n) over the homes of every chunk [unit of the
    part]: the fleet is never held whole. Homes are added one by one in order, so the sum's
    last bits do not depend on where the chunks split the fleet."""
    total = np.zeros(shape)
    for home_ids in chunks:
        part = per_chunk(home_ids)
        for home in range(part.shape[1]):
            total += part[:, home]
    return total


def home_pv_members(
    fleet: Fleet,
    weather: Sequence[pd.DataFrame],
    latitude: float,
    longitude: float,
    interval_minutes: int,
    parameters: SolarParameters,
) -> np.ndarray:
    """Each home's PV in each member [kW AC], shape (M, H, n)."""
    midpoints = weather[0].index + pd.Timedelta(minutes=interval_minutes / 2)
    geometry = solar_geometry(midpoints, latitude, longitude)
    return np.stack(
        [
            pv.simulate(
                fleet,
                frame.rename_axis("timestamp").reset_index(),
                latitude,
                longitude,
                interval_minutes,
                parameters,
                geometry=geometry,
            ).T
            for frame in weather
        ]
    )


def home_load_members(
    homes: pd.DataFrame,
    weather: Sequence[pd.DataFrame],
    grid: pd.DatetimeIndex,
    timezone: str,
    interval_minutes: int,
    seed: int,
    parameters: LoadParameters,
) -> np.ndarray:
    """Each home's load in each member [kW], shape (M, H, n): the load model on the
    member's weather with the member's own behaviour (occupancy, appliances, EV sessions),
    the homes' drawn attributes unchanged."""
    return np.stack(
        [
            simulate_load(
                homes,
                frame,
                grid,
                timezone,
                interval_minutes,
                member_seed(seed, Draw.LOAD_MEMBER, member),
                parameters,
            )
            for member, frame in enumerate(weather)
        ]
    )
