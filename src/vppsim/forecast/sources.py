"""The forecast datasets: what a market participant sees before the fact.

- ``forecasts`` (``forecasts/members.parquet``): the day-ahead run's ensemble, one row per
  member and interval: the member's weather and every variable carried through the same
  models as the outcomes (:mod:`vppsim.forecast.members`). Its settings section holds
  :class:`~vppsim.forecast.parameters.ForecastParameters`.
- ``price_forecasts``, ``generation_forecasts``, ``load_forecasts``, ``system_forecasts``
  (``forecasts/*_forecasts.{csv,parquet}``): quantiles ``q05 .. q95`` per ``issued_at``,
  ``variable`` and ``timestamp``, for the day-ahead run (10:00 local the day before, the
  whole day) and the hourly intraday runs (the next 8 h). A run sees the members issued
  before it and the outcomes observed before it (:func:`vppsim.forecast.ensemble.nudge`),
  nothing later.
- ``home_load_forecasts`` (``forecasts/home_load/part-*.parquet``): each home's day-ahead
  load quantiles.
- ``operator_forecasts`` (``forecasts/operator_forecasts.{csv,parquet}``): CAISO-style
  day-ahead point forecasts of demand, solar, wind and net load, as OASIS publishes them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from vppsim import __version__
from vppsim.calendar import local_calendar
from vppsim.dataset.schemas import TIMESTAMP, UTC_DATETIME, ColumnSpec, DatasetSpec
from vppsim.dataset.sources import (
    Dataset,
    Provenance,
    Source,
    SourceContext,
    SourceKind,
    SourceResult,
    Study,
    home_keys,
    tile_times,
)
from vppsim.fleet.assets import Fleet
from vppsim.forecast import members as chain
from vppsim.forecast.ensemble import (
    block_means,
    intraday_quantiles,
    nudge_day_ahead,
    weibull_quantiles,
)
from vppsim.forecast.fit import installed_capacity
from vppsim.forecast.metrics import ISSUED_AT
from vppsim.forecast.operator import OperatorCalibration, operator_forecast
from vppsim.forecast.parameters import QUANTILE_COLUMNS, QUANTILE_LEVELS, ForecastParameters
from vppsim.forecast.schedule import day_ahead_issue_times, intraday_runs
from vppsim.forecast.weather import weather_forecast
from vppsim.load.homes import draw_homes
from vppsim.load.parameters import LoadParameters
from vppsim.market.parameters import MarketParameters
from vppsim.options import DatasetOptions, P
from vppsim.solar.parameters import SolarParameters
from vppsim.system.model import SystemCalibration
from vppsim.system.parameters import SystemParameters
from vppsim.weather.parameters import WeatherParameters
from vppsim.weather.sources import study_weather

VARIABLE = "variable"
MEMBER = "member"
OPERATOR_COLUMNS = ("demand_mw", "solar_mw", "wind_mw")
MEMORY_PER_CHUNK = 256 * 2**20
"""Bytes of member arrays a chunk of homes may hold (members x homes x intervals x 4)."""


@dataclass(frozen=True)
class ForecastVariable:
    """A forecast variable: its name, unit, the quantile file it goes to, and whether the
    hourly intraday runs forecast it (a day-ahead price is known once the day-ahead market
    has cleared, so it has the day-ahead run only)."""

    name: str
    unit: str
    description: str
    table: str
    outcome: tuple[str, str]
    """The dataset and column of what it forecasts (summed over homes for per-home data)."""
    intraday: bool = True
    non_negative: bool = True
    """Every quantile at least 0 (all but prices, which go negative in oversupply)."""


VARIABLES = (
    ForecastVariable(
        "lmp",
        "$/MWh",
        "Real-time (FMM) LMP",
        "price_forecasts",
        ("market", "lmp"),
        non_negative=False,
    ),
    ForecastVariable(
        "da_lmp",
        "$/MWh",
        "Day-ahead (IFM) LMP",
        "price_forecasts",
        ("market", "da_lmp"),
        intraday=False,
        non_negative=False,
    ),
    ForecastVariable(
        "solar_kw_per_kw",
        "kW/kW",
        "Output of the reference roof system per kW DC (the solar dataset)",
        "generation_forecasts",
        ("solar", "generation_kw_per_kw_installed"),
    ),
    ForecastVariable(
        "fleet_pv_kw",
        "kW",
        "Rooftop PV of the whole fleet",
        "generation_forecasts",
        ("pv", "pv_kw"),
    ),
    ForecastVariable(
        "fleet_load_kw",
        "kW",
        "Household load of the whole fleet",
        "load_forecasts",
        ("load", "load_kw"),
    ),
    *(
        ForecastVariable(
            name, "MW", text, "system_forecasts", ("system", name), non_negative=positive
        )
        for name, text, positive in (
            ("demand_mw", "CAISO demand", True),
            ("solar_mw", "CAISO utility-scale solar", True),
            ("wind_mw", "CAISO wind", True),
            # Negative when solar and wind exceed demand (a high-renewables study).
            ("net_load_mw", "CAISO net load (demand less solar and wind)", False),
        )
    ),
)
WEATHER_MEMBERS = (
    ("temp_air_c", "degC", "Air temperature of the member's weather forecast"),
    ("ghi_w_m2", "W/m2", "Global horizontal irradiance of the member's weather forecast"),
)


class ForecastOptions(DatasetOptions, ForecastParameters):
    """The forecasts section of the settings: the ensemble's size, the runs' schedule and
    the weather forecast's errors."""


def recorded(result: SourceResult, model: type[P]) -> P:
    """The model parameters a dataset's synthetic source recorded in its provenance (the
    ones it was built with); the defaults when the dataset is live."""
    if result.provenance.kind is not SourceKind.SYNTHETIC:
        return model()
    values = result.provenance.parameters.get("parameters", result.provenance.parameters)
    return model.model_validate({k: v for k, v in values.items() if k in model.model_fields})


def home_chunks(homes: int, members: int, n_steps: int) -> Iterator[np.ndarray]:
    """Home ids ``0 .. homes-1`` in chunks whose member arrays stay within
    :data:`MEMORY_PER_CHUNK`."""
    size = max(1, MEMORY_PER_CHUNK // max(1, members * n_steps * 4))
    for first in range(0, homes, size):
        yield np.arange(first, min(first + size, homes), dtype=np.int32)


def _realised_weather(
    study: Study, inputs: Mapping[str, SourceResult]
) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """The study's weather, and the same weather without its events when it has some (a
    scenario's: the forecasts are then the base's moved by the events' change)."""
    frame = inputs["weather"].data.set_index(TIMESTAMP)
    parameters = recorded(inputs["weather"], WeatherParameters)
    if not parameters.events:
        return frame, None
    return frame, study_weather(study, parameters.model_copy(update={"events": ()}))


def _weather(study: Study, inputs: Mapping[str, SourceResult], parameters: ForecastParameters):
    frame, base = _realised_weather(study, inputs)
    return weather_forecast(
        frame,
        study.grid,
        study.timezone,
        study.latitude,
        study.longitude,
        parameters,
        study.seed,
        base=base,
    )


class _LatestLoadMembers:
    """The latest chunks' load members, kept between the two datasets that need them (the
    ensemble's fleet sum, each home's quantiles): the load model is the dearest part of a
    forecast. Keyed by a digest of every input, so it never answers for other homes or
    another study; two chunks are kept, since the build checks a per-home source on home 0
    before it writes the chunks. It helps when the fleet is one chunk (about 1,000 homes
    for a month)."""

    KEPT = 2

    def __init__(self) -> None:
        self._members: dict[str, np.ndarray] = {}

    def __call__(self, homes: pd.DataFrame, weather, grid, timezone, interval, seed, parameters):
        digest = hashlib.sha256()
        digest.update(pd.util.hash_pandas_object(homes, index=True).to_numpy().tobytes())
        for frame in weather:
            digest.update(frame.to_numpy(dtype=float).tobytes())
        digest.update(grid.asi8.tobytes())
        digest.update(f"{timezone}|{interval}|{seed}|{parameters.model_dump_json()}".encode())
        key = digest.hexdigest()
        if key not in self._members:
            members = chain.home_load_members(
                homes, weather, grid, timezone, interval, seed, parameters
            )
            while len(self._members) >= self.KEPT:
                del self._members[next(iter(self._members))]
            self._members[key] = members
        return self._members[key]


_load_members = _LatestLoadMembers()


def _homes(study: Study, parameters: LoadParameters):
    """The load model's homes (the ones the synthetic load dataset drew): the members' load
    runs on the homes' own attributes, whatever source served the load outcomes."""
    return lambda ids: draw_homes(study.seed, ids, parameters)


class EnsembleForecast(Source):
    """The day-ahead ensemble: each member's weather carried through every model."""

    dataset = "forecasts"
    kind = SourceKind.SYNTHETIC

    def fetch(
        self,
        study: Study,
        options: ForecastOptions,
        inputs: Mapping[str, SourceResult],
        context: SourceContext,
    ) -> SourceResult:
        parameters = options.parameters(ForecastParameters)
        grid, m, n = study.grid, parameters.members, len(study.grid)
        weather, base = _realised_weather(study, inputs)
        if inputs["system"].provenance.kind is not SourceKind.SYNTHETIC:
            # A live system is not the model's response to the base weather: no base to
            # move from, so the ensemble is the events' weather's own.
            base = None
        forecast, systems = chain.system_ensemble(
            grid,
            study.timezone,
            weather,
            inputs["system"].data,
            study.latitude,
            study.longitude,
            parameters,
            recorded(inputs["system"], SystemParameters),
            study.seed,
            base=base,
        )
        weather = forecast.members
        prices = chain.price_members(
            grid, study.timezone, systems, study.seed, recorded(inputs["market"], MarketParameters)
        )
        solar = recorded(inputs["solar"], SolarParameters)
        pv_parameters = recorded(inputs["pv"], SolarParameters)
        assets = inputs["assets"].data
        load_parameters = recorded(inputs["load"], LoadParameters)
        homes = _homes(study, load_parameters)
        chunks = list(home_chunks(study.homes, m, n))
        fleet_pv = chain.fleet_sum(
            chunks,
            lambda ids: chain.home_pv_members(
                Fleet.from_frame(assets(ids)),
                weather,
                study.latitude,
                study.longitude,
                study.interval_minutes,
                pv_parameters,
            ),
            (m, n),
        )
        fleet_load = chain.fleet_sum(
            chunks,
            lambda ids: _load_members(
                homes(ids),
                weather,
                grid,
                study.timezone,
                study.interval_minutes,
                study.seed,
                load_parameters,
            ),
            (m, n),
        )
        values = {
            **chain.stack_members(weather, (name for name, _, _ in WEATHER_MEMBERS)),
            **prices,
            "solar_kw_per_kw": chain.reference_pv_members(
                grid, study.interval_minutes, weather, study.latitude, study.longitude, solar
            ),
            "fleet_pv_kw": fleet_pv,
            "fleet_load_kw": fleet_load,
            **chain.stack_members(systems, ("demand_mw", "solar_mw", "wind_mw", "net_load_mw")),
        }
        issued = day_ahead_issue_times(grid, study.timezone, parameters.da_issue_hour)
        frame = pd.DataFrame(
            {
                MEMBER: np.repeat(np.arange(m, dtype=np.int16), n),
                TIMESTAMP: tile_times(grid, m),
                ISSUED_AT: tile_times(issued, m),
                **{name: array.reshape(-1) for name, array in values.items()},
            }
        )
        provenance = Provenance(
            SourceKind.SYNTHETIC,
            "vppsim forecast ensemble",
            __version__,
            {"parameters": parameters.model_dump(mode="json")},
            notes=(
                "Each member is one weather forecast of the study's weather (the simulated "
                "NWP: errors that persist and grow with lead time), carried through the same "
                "PV, system, market and load models as the outcomes with the member's own "
                "draws (SeedSequence(seed, spawn_key=(FORECAST, ...))).",
            ),
        )
        return SourceResult(frame, provenance)


def member_arrays(frame: pd.DataFrame, names) -> dict[str, np.ndarray]:
    """The members table's columns as (M, n) arrays."""
    m = int(frame[MEMBER].max()) + 1
    return {name: frame[name].to_numpy(dtype=float).reshape(m, -1) for name in names}


def observed(
    study: Study, inputs: Mapping[str, SourceResult], variable: ForecastVariable
) -> np.ndarray:
    """The outcome of ``variable`` on the grid (summed over the homes of per-home data)."""
    dataset, column = variable.outcome
    data = inputs[dataset].data
    if not callable(data):
        return data[column].to_numpy(dtype=float)
    chunks = home_chunks(study.homes, 1, len(study.grid))
    return chain.fleet_sum(
        chunks,
        lambda ids: data(ids)[column].to_numpy(dtype=float).reshape(1, len(ids), -1),
        (1, len(study.grid)),
    )[0]


def quantile_rows(
    variable: ForecastVariable,
    members: np.ndarray,
    outcome: np.ndarray,
    study: Study,
    parameters: ForecastParameters,
) -> pd.DataFrame:
    """The day-ahead and intraday quantile rows of one variable (long format).

    On a study written coarser than it is simulated (``study.output_factor``), members and
    outcome are averaged to the written intervals first and the quantiles formed there (a
    mean of 15-min quantiles is not a quantile of the hourly mean); each row is repeated
    over its simulation intervals, so the writer's averaging gives it back unchanged.
    """
    factor = study.output_factor
    grid = study.grid[::factor]
    members, outcome = block_means(members, factor), block_means(outcome, factor)
    issued = day_ahead_issue_times(grid, study.timezone, parameters.da_issue_hour)
    # A nudge may shift a member of a quantity that cannot be negative below 0 (PV at dusk):
    # the quantiles are held at 0, as the members would be.
    floor = 0.0 if variable.non_negative else -np.inf
    nudged = nudge_day_ahead(members, outcome, grid, issued)
    quantiles = np.maximum(weibull_quantiles(nudged, QUANTILE_LEVELS), floor)
    frames = [_long(variable, issued, grid, quantiles.T)]
    if variable.intraday:
        runs = intraday_runs(grid, parameters.intraday_every_h, parameters.intraday_horizon_h)
        quantiles, run, target = intraday_quantiles(members, outcome, runs)
        quantiles = np.maximum(quantiles, floor)
        frames.append(_long(variable, runs.issued_at[run], grid[target], quantiles.T))
    return _over_simulation(pd.concat(frames, ignore_index=True), study)


def _over_simulation(frame: pd.DataFrame, study: Study) -> pd.DataFrame:
    """Each row of a frame on the written grid repeated over its simulation intervals."""
    factor = study.output_factor
    if factor == 1:
        return frame
    step = study.grid[1] - study.grid[0]
    out = frame.loc[frame.index.repeat(factor)].reset_index(drop=True)
    offsets = np.tile(np.arange(factor), len(frame)) * step
    out[TIMESTAMP] = out[TIMESTAMP] + pd.to_timedelta(offsets)
    return out


def _long(variable: ForecastVariable, issued, timestamps, quantiles: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame(
        {
            ISSUED_AT: pd.DatetimeIndex(issued),
            VARIABLE: variable.name,
            TIMESTAMP: pd.DatetimeIndex(timestamps),
            **dict(zip(QUANTILE_COLUMNS, quantiles, strict=True)),
        }
    )


def _quantile_source(table: str) -> type[Source]:
    wanted = tuple(v for v in VARIABLES if v.table == table)

    class QuantileForecast(Source):
        __doc__ = f"Quantiles of {', '.join(v.name for v in wanted)} from the ensemble."
        dataset = table
        kind = SourceKind.SYNTHETIC

        def fetch(self, study, options, inputs, context) -> SourceResult:
            ensemble = inputs["forecasts"]
            parameters = recorded(ensemble, ForecastParameters)
            arrays = member_arrays(ensemble.data, [v.name for v in wanted])
            frame = pd.concat(
                [
                    quantile_rows(v, arrays[v.name], observed(study, inputs, v), study, parameters)
                    for v in wanted
                ],
                ignore_index=True,
            )
            frame[VARIABLE] = pd.Categorical(frame[VARIABLE], [v.name for v in wanted])
            frame = frame.sort_values([ISSUED_AT, VARIABLE, TIMESTAMP], kind="stable")
            provenance = Provenance(
                SourceKind.SYNTHETIC,
                "vppsim forecast ensemble, quantiles",
                __version__,
                {"variables": [v.name for v in wanted], "runs": _RUNS},
            )
            return SourceResult(frame.reset_index(drop=True), provenance)

    QuantileForecast.__name__ = f"{table.title().replace('_', '')}Source"
    return QuantileForecast


class HomeLoadForecast(Source):
    """Each home's day-ahead load quantiles: the home's members through the load model."""

    dataset = "home_load_forecasts"
    kind = SourceKind.SYNTHETIC

    def fetch(self, study, options, inputs, context) -> SourceResult:
        ensemble = inputs["forecasts"]
        parameters = recorded(ensemble, ForecastParameters)
        weather = _weather(study, inputs, parameters).members
        load_parameters = recorded(inputs["load"], LoadParameters)
        homes = _homes(study, load_parameters)
        grid = study.grid
        issued = day_ahead_issue_times(grid, study.timezone, parameters.da_issue_hour)

        def quantiles(home_ids: np.ndarray) -> np.ndarray:
            members = _load_members(
                homes(home_ids),
                weather,
                grid,
                study.timezone,
                study.interval_minutes,
                study.seed,
                load_parameters,
            )
            # Formed on the written grid and repeated (see quantile_rows).
            factor = study.output_factor
            coarse = weibull_quantiles(block_means(members, factor), QUANTILE_LEVELS)
            return np.repeat(coarse, factor, axis=1).astype(np.float32)

        def batch(home_ids: np.ndarray) -> pd.DataFrame:
            # The members of a few homes at a time: the writer's chunk is sized for one
            # series per home, the members are M of them.
            ids = np.asarray(home_ids, dtype=np.int32)
            parts = [
                quantiles(ids[part])
                for part in home_chunks(len(ids), parameters.members, len(grid))
            ]
            values = np.concatenate(parts).reshape(-1, len(QUANTILE_LEVELS))
            return pd.DataFrame(
                {
                    **home_keys(ids, grid),
                    ISSUED_AT: tile_times(issued, len(ids)),
                    **dict(zip(QUANTILE_COLUMNS, values.T, strict=True)),
                }
            )

        provenance = Provenance(
            SourceKind.SYNTHETIC,
            "vppsim forecast ensemble, each home's load",
            __version__,
            {"runs": "day-ahead only"},
            notes=(
                "The home's members are the load model on each weather member with the "
                "member's own behaviour draws; the home's attributes are its own.",
            ),
        )
        return SourceResult(batch, provenance)


class OperatorForecast(Source):
    """CAISO-style day-ahead point forecasts: the day-ahead ensemble's mean with the real
    forecasts' bias by hour (:func:`vppsim.forecast.operator.operator_forecast`)."""

    dataset = "operator_forecasts"
    kind = SourceKind.SYNTHETIC

    def fetch(self, study, options, inputs, context) -> SourceResult:
        ensemble = inputs["forecasts"]
        parameters = recorded(ensemble, ForecastParameters)
        grid = study.grid
        issued = day_ahead_issue_times(grid, study.timezone, parameters.da_issue_hour)
        arrays = member_arrays(ensemble.data, OPERATOR_COLUMNS)
        system = inputs["system"].data
        frame = operator_table(grid, study.timezone, issued, arrays, system)
        provenance = Provenance(
            SourceKind.SYNTHETIC,
            "vppsim operator forecasts",
            __version__,
            {
                "bias": "CAISO day-ahead demand (CA ISO-TAC) against EIA-930 actual and hub "
                "solar/wind day-ahead against actual, 2022-2023, by local hour"
            },
            notes=(
                "The day-ahead run's ensemble mean, nudged on the last observed interval, "
                "plus CAISO's real bias by local hour; net load recomputed.",
            ),
        )
        return SourceResult(frame, provenance)


def operator_table(
    grid: pd.DatetimeIndex,
    timezone: str,
    issued: pd.DatetimeIndex,
    members: Mapping[str, np.ndarray],
    system: pd.DataFrame,
) -> pd.DataFrame:
    """The operator forecasts on ``grid``: ``issued_at``, demand, solar, wind, net load [MW].

    ``members`` holds the day-ahead members of ``demand_mw``, ``solar_mw`` and ``wind_mw``
    (M, n); ``system`` the realised drivers (nudging on what was observed at issue time).
    """
    expected = pd.DataFrame(
        {
            name: nudge_day_ahead(members[name], system[name].to_numpy(float), grid, issued).mean(
                axis=0
            )
            for name in OPERATOR_COLUMNS
        },
        index=grid,
    )
    solar_mw, wind_mw = installed_capacity(grid, SystemCalibration.default())
    frame = operator_forecast(
        expected,
        local_calendar(grid, timezone).hour,
        OperatorCalibration.default(),
        solar_capacity_mw=solar_mw,
        wind_capacity_mw=wind_mw,
    )
    frame.insert(0, ISSUED_AT, issued)
    return frame.rename_axis(TIMESTAMP).reset_index()


_RUNS = (
    "day-ahead: issued at da_issue_hour local the day before, the whole local day; "
    "intraday: every intraday_every_h hours on the hour, the next intraday_horizon_h hours"
)


def _quantile_rules(frame: pd.DataFrame, study: Study, label: str) -> list[str]:
    """Quantiles in order, no negative quantile of a variable that cannot be negative, and
    every forecast issued no later than its interval."""
    values = frame[list(QUANTILE_COLUMNS)].to_numpy(dtype=float)
    bad = int((np.diff(values, axis=1) < 0).any(axis=1).sum())
    failures = [f"{label}: {bad} rows with quantiles out of order"] if bad else []
    if VARIABLE in frame:
        signed = {v.name for v in VARIABLES if not v.non_negative}
        negative = ~frame[VARIABLE].astype(str).isin(signed).to_numpy() & (values[:, 0] < 0)
        if negative.any():
            names = sorted(set(frame.loc[negative, VARIABLE].astype(str)))
            failures.append(
                f"{label}: {int(negative.sum())} rows of {', '.join(names)} below 0 (q05)"
            )
    early = int((frame[ISSUED_AT] > frame[TIMESTAMP]).sum())
    if early:
        failures.append(f"{label}: {early} rows issued after their target interval")
    return failures


def _quantile_columns(unit: str) -> tuple[ColumnSpec, ...]:
    return tuple(
        ColumnSpec(
            name,
            unit,
            f"The {level:.0%} quantile of the forecast, in the variable's unit (ranges: "
            "prices between the model's floor and cap, the rest at least 0)",
        )
        for name, level in zip(QUANTILE_COLUMNS, QUANTILE_LEVELS, strict=True)
    )


def _quantile_spec(table: str, title: str) -> DatasetSpec:
    wanted = [v for v in VARIABLES if v.table == table]
    units = "; ".join(f"{v.name} [{v.unit}]" for v in wanted)
    return DatasetSpec(
        name=table,
        title=title,
        columns=(
            ColumnSpec(
                ISSUED_AT, "", "UTC time the forecast was issued", dtype=UTC_DATETIME, key=True
            ),
            ColumnSpec(VARIABLE, "", f"What is forecast: {units}", dtype="category", key=True),
            *_quantile_columns(units),
        ),
        csv_path=f"forecasts/{table}.csv",
        parquet_path=f"forecasts/{table}.parquet",
        depends_on=("forecasts", "weather", "solar", "system", "market", "load", "pv"),
        complete=False,
        checks=(_quantile_rules,),
    )


FORECASTS = DatasetSpec(
    name="forecasts",
    title="Day-ahead forecast ensemble: each member's weather carried through every model",
    columns=(
        ColumnSpec(MEMBER, "1", "Ensemble member", 0, 10_000, dtype="int16", key=True),
        ColumnSpec(ISSUED_AT, "", "UTC time the member was issued", dtype=UTC_DATETIME),
        *(ColumnSpec(name, unit, text) for name, unit, text in WEATHER_MEMBERS),
        *(
            ColumnSpec(v.name, v.unit, v.description, 0 if v.non_negative else None)
            for v in VARIABLES
        ),
    ),
    csv_path=None,
    parquet_path="forecasts/members.parquet",
    depends_on=("weather", "solar", "system", "market", "load", "assets", "pv"),
)

QUANTILE_TABLES = {
    "price_forecasts": "Price forecasts: real-time and day-ahead LMP quantiles",
    "generation_forecasts": "Generation forecasts: reference roof and fleet PV quantiles",
    "load_forecasts": "Load forecasts: the fleet's household load quantiles",
    "system_forecasts": "CAISO system forecasts: demand, solar, wind and net load quantiles",
}

HOME_LOAD_FORECASTS = DatasetSpec(
    name="home_load_forecasts",
    title="Each home's day-ahead load forecast quantiles",
    columns=(
        ColumnSpec(ISSUED_AT, "", "UTC time the day-ahead run was issued", dtype=UTC_DATETIME),
        *(
            ColumnSpec(
                name, "kW", f"The {level:.0%} quantile of the home's load", 0, 100, dtype="float32"
            )
            for name, level in zip(QUANTILE_COLUMNS, QUANTILE_LEVELS, strict=True)
        ),
    ),
    csv_path=None,
    parquet_path="forecasts/home_load/part-{part:05d}.parquet",
    per_home=True,
    depends_on=("forecasts", "weather", "load"),
    checks=(_quantile_rules,),
)

OPERATOR_FORECASTS = DatasetSpec(
    name="operator_forecasts",
    title="CAISO-style day-ahead point forecasts of demand, solar, wind and net load",
    columns=(
        ColumnSpec(ISSUED_AT, "", "UTC time the day-ahead run was issued", dtype=UTC_DATETIME),
        ColumnSpec("demand_mw", "MW", "Day-ahead forecast of CAISO demand", 0, 100_000),
        ColumnSpec("solar_mw", "MW", "Day-ahead forecast of CAISO utility-scale solar", 0, 50_000),
        ColumnSpec("wind_mw", "MW", "Day-ahead forecast of CAISO wind", 0, 30_000),
        ColumnSpec(
            "net_load_mw",
            "MW",
            "Day-ahead forecast of net load (demand less solar and wind)",
            -50_000,
            100_000,
        ),
    ),
    csv_path="forecasts/operator_forecasts.csv",
    parquet_path="forecasts/operator_forecasts.parquet",
    depends_on=("forecasts", "system"),
)

DATASETS = (
    Dataset(FORECASTS, ForecastOptions, (EnsembleForecast,)),
    Dataset(OPERATOR_FORECASTS, DatasetOptions, (OperatorForecast,)),
    Dataset(HOME_LOAD_FORECASTS, DatasetOptions, (HomeLoadForecast,)),
    *(
        Dataset(_quantile_spec(table, title), DatasetOptions, (_quantile_source(table),))
        for table, title in QUANTILE_TABLES.items()
    ),
)
