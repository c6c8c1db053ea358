"""The system dataset: its contract, its options, and its sources (the synthetic model driven
by the study weather; CAISO OASIS day-ahead forecasts, live)."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from pydantic import Field

from vppsim import __version__
from vppsim.calendar import local_calendar
from vppsim.dataset.schemas import ColumnSpec, DatasetSpec, spanned
from vppsim.dataset.sources import (
    Dataset,
    Provenance,
    Source,
    SourceContext,
    SourceKind,
    SourceResult,
    Study,
    as_table,
)
from vppsim.http import new_client
from vppsim.options import DatasetOptions
from vppsim.seeds import Stream, stream_rng
from vppsim.system.model import SystemCalibration, gas_prices, simulate_system
from vppsim.system.oasis import CAISO_TAC, get_system_forecast
from vppsim.system.parameters import SystemParameters

NET_LOAD_TOLERANCE_MW = 0.5
"""How far ``net_load_mw`` may sit from demand less solar and wind [MW] (rounding)."""
GAS_SOURCE = "EIA N3045CA3 monthly price of gas delivered to California power plants"


class SystemOptions(DatasetOptions, SystemParameters):
    """The system section of the settings: source, live TAC area, model knobs."""

    tac: str = Field(
        CAISO_TAC, min_length=1, description="OASIS TAC area of the live demand forecast."
    )


def gas_column(grid: pd.DatetimeIndex, timezone: str, parameters: SystemParameters) -> np.ndarray:
    """The gas price of each interval [$/MMBtu]: the override or the sourced table, scaled."""
    if parameters.gas_price_usd_per_mmbtu is not None:
        gas = np.full(len(grid), parameters.gas_price_usd_per_mmbtu)
    else:
        calendar = local_calendar(grid, timezone)
        gas = gas_prices(calendar.year, calendar.month, SystemCalibration.default())
    return gas * parameters.gas_price_scale


def _gas_notes(parameters: SystemParameters) -> str:
    if parameters.gas_price_usd_per_mmbtu is not None:
        return f"{parameters.gas_price_usd_per_mmbtu} $/MMBtu every month (override)"
    table = SystemCalibration.default()
    first = table.gas_first_month
    last = first + (len(table.gas_usd_per_mmbtu) - 1)
    return (
        f"{GAS_SOURCE}, {first}..{last}; later months repeat the last 12, earlier ones "
        "the first year"
    )


def gas_coverage_notes(
    grid: pd.DatetimeIndex, timezone: str, parameters: SystemParameters
) -> tuple[str, ...]:
    """The gas months of the study past the EIA table (repeated from its nearest 12 months);
    none with a gas price override."""
    if parameters.gas_price_usd_per_mmbtu is not None:
        return ()
    table = SystemCalibration.default()
    months = grid.tz_convert(timezone).tz_localize(None).to_period("M").unique()
    first = table.gas_first_month
    last = first + (len(table.gas_usd_per_mmbtu) - 1)
    outside = [str(m) for m in months if m < first or m > last]
    if not outside:
        return ()
    return (
        f"gas: no sourced price for {spanned(outside)} (table {first}..{last}); the same "
        "calendar month of the table's nearest 12 months is used",
    )


def coverage_notes(
    grid: pd.DatetimeIndex, timezone: str, parameters: SystemParameters
) -> tuple[str, ...]:
    """What the study takes from beyond the sourced tables: gas months past the EIA table
    (repeated), demand-level years before the table (held at the first year's) or after it
    (held at the last year's, then grown), capacity years outside it (held at the nearest
    year's). A set knob replaces its table: no note."""
    table = SystemCalibration.default()
    local = grid.tz_convert(timezone).tz_localize(None)
    study_years = range(int(local[0].year), int(local[-1].year) + 1)
    notes = list(gas_coverage_notes(grid, timezone, parameters))
    growth = parameters.demand_growth_per_year
    for what, years, knob in (
        ("demand level", table.demand_level_years, None),
        ("solar capacity", table.solar_capacity_years, parameters.solar_capacity_mw),
        ("wind capacity", table.wind_capacity_years, parameters.wind_capacity_mw),
    ):
        if knob is not None:
            continue
        first, last = int(years[0]), int(years[-1])
        before = [y for y in study_years if y < first]
        after = [y for y in study_years if y > last]
        if before:
            notes.append(
                f"{what}: none sourced for {spanned(before)} (table {first}-{last}); held at "
                f"{first}'s"
            )
        if after:
            rule = f"held at {last}'s"
            if what == "demand level" and growth != 0.0:
                rule += f", then grown {growth:+.1%} a year"
            notes.append(
                f"{what}: none sourced for {spanned(after)} (table {first}-{last}); {rule}"
            )
    return tuple(notes)


class SyntheticSystem(Source):
    """CAISO demand, solar and wind driven by the study weather; gas from the sourced table."""

    dataset = "system"
    kind = SourceKind.SYNTHETIC

    def fetch(
        self,
        study: Study,
        options: SystemOptions,
        inputs: Mapping[str, SourceResult],
        context: SourceContext,
    ) -> SourceResult:
        weather = inputs["weather"].data.set_index("timestamp")
        parameters = options.parameters(SystemParameters)
        frame = simulate_system(
            study.grid,
            study.timezone,
            weather,
            stream_rng(study.seed, Stream.SYSTEM),
            parameters,
        )
        provenance = Provenance(
            SourceKind.SYNTHETIC,
            "vppsim system",
            __version__,
            {
                "model": "demand: calendar profile + cooling/heating response to the study "
                "temperature + AR residual; solar: per-MW hub profile x sourced capacity x "
                "daily sky of the study weather; wind: AR(1) normal score through monthly "
                "quantiles x per-MW hub profile x sourced capacity",
                "calibration": "EIA-930 CISO demand and CAISO hub solar/wind actuals "
                "2022-2023; CAISO Key Statistics capacity",
                "gas": _gas_notes(parameters),
                "weather": inputs["weather"].provenance.source,
                "parameters": parameters.model_dump(mode="json"),
            },
            notes=(
                "Demand responds to the study site's temperature as a proxy of CAISO's "
                "load-weighted temperature; solar to its daily irradiance.",
                *coverage_notes(study.grid, study.timezone, parameters),
            ),
        )
        return SourceResult(as_table(frame), provenance)


class CaisoSystem(Source):
    """CAISO's day-ahead demand, solar and wind forecasts from OASIS; gas from the table."""

    dataset = "system"
    kind = SourceKind.LIVE
    name = "caiso_oasis"

    def fetch(
        self,
        study: Study,
        options: SystemOptions,
        inputs: Mapping[str, SourceResult],
        context: SourceContext,
    ) -> SourceResult:
        parameters = options.parameters(SystemParameters)
        with new_client(context.http_timeout_s) as client:
            frame, details = get_system_forecast(
                client,
                study.grid,
                tac=options.tac,
                deadline_s=context.deadline_s,
                cache=context.raw_cache(),
            )
        frame["net_load_mw"] = frame["demand_mw"] - frame["solar_mw"] - frame["wind_mw"]
        frame["gas_price_usd_per_mmbtu"] = gas_column(study.grid, study.timezone, parameters)
        details = {**details, "gas": _gas_notes(parameters)}
        provenance = Provenance(
            SourceKind.LIVE,
            "CAISO OASIS",
            str(details["reports"]),
            details,
            notes=(
                "Demand, solar and wind are CAISO's day-ahead market forecasts (SLD_FCST, "
                "SLD_REN_FCST), not metered actuals.",
                *gas_coverage_notes(study.grid, study.timezone, parameters),
            ),
        )
        return SourceResult(as_table(frame), provenance)


def _net_load_adds_up(frame: pd.DataFrame, study: Study, label: str) -> list[str]:
    columns = ("demand_mw", "solar_mw", "wind_mw", "net_load_mw")
    if any(name not in frame.columns for name in columns):
        return []
    gap = (frame["demand_mw"] - frame["solar_mw"] - frame["wind_mw"] - frame["net_load_mw"]).abs()
    bad = gap > NET_LOAD_TOLERANCE_MW
    if bad.any():
        return [f"{label}: net_load_mw is not demand - solar - wind at {int(bad.sum())} rows"]
    return []


# Ranges catch corruption and unit mix-ups: CAISO's record demand is 52,061 MW (2022-09-06);
# scenarios may scale demand and capacities well beyond today's.
SYSTEM = DatasetSpec(
    name="system",
    title="CAISO system demand, utility-scale solar and wind, net load, and gas price",
    columns=(
        ColumnSpec("demand_mw", "MW", "CAISO balancing-area demand", 0, 200000, decimals=1),
        ColumnSpec(
            "solar_mw",
            "MW",
            "Utility-scale solar (CAISO trading hubs NP15+SP15+ZP26; no rooftop PV)",
            0,
            200000,
            decimals=1,
        ),
        ColumnSpec("wind_mw", "MW", "Wind (CAISO trading hubs NP15+SP15)", 0, 100000, decimals=1),
        ColumnSpec("net_load_mw", "MW", "Demand less solar and wind", -300000, 200000, decimals=1),
        ColumnSpec(
            "gas_price_usd_per_mmbtu",
            "$/MMBtu",
            "Monthly price of gas delivered to California power plants",
            0,
            200,
            decimals=3,
        ),
    ),
    csv_path="system_data.csv",
    parquet_path="parquet/system.parquet",
    depends_on=("weather",),
    checks=(_net_load_adds_up,),
)

DATASET = Dataset(SYSTEM, SystemOptions, (SyntheticSystem, CaisoSystem))
