"""The market dataset: its contract, its options, and its sources (CAISO OASIS, live; the
structural price model, driven by the ``system`` dataset)."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd
from pydantic import Field

from vppsim import __version__
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
from vppsim.market.oasis import DEFAULT_AS_REGION, DEFAULT_NODE, get_caiso_market
from vppsim.market.parameters import MarketParameters
from vppsim.market.storage import STORAGE_MW
from vppsim.market.synthetic import GHG_PRICE, PRICE_COLUMNS, MarketCalibration, simulate_prices
from vppsim.options import DatasetOptions
from vppsim.seeds import Stream, stream_rng


class MarketOptions(DatasetOptions, MarketParameters):
    """The market section of the settings: source, live node and region, price model."""

    node: str = Field(DEFAULT_NODE, min_length=1, description="CAISO pricing node (live LMP).")
    as_region: str = Field(
        DEFAULT_AS_REGION, min_length=1, description="CAISO ancillary-service region (live)."
    )


def coverage_notes(
    grid: pd.DatetimeIndex, timezone: str, parameters: MarketParameters
) -> tuple[str, ...]:
    """What the study takes from beyond the sourced tables: months without CAISO's hydro or
    net-imports record (climatology), a fleet past the last sourced battery figure (held),
    years without a GHG allowance price (the nearest year's). A set knob replaces its table:
    no note."""
    local = grid.tz_convert(timezone)
    notes = []
    months = [str(m) for m in local.tz_localize(None).to_period("M").unique()]
    fitted = MarketCalibration.default()
    tables = {
        name: known
        for name, known, knob in (
            ("hydro", fitted.hydro_monthly, parameters.hydro_mw),
            ("net imports", fitted.imports_monthly, parameters.imports_mw),
        )
        if knob is None
    }
    for name, known in tables.items():
        outside = [m for m in months if m not in known]
        if outside:
            notes.append(
                f"{name}: no CAISO record for {spanned(outside)}; each month's 2018-2025 "
                "climatology is used"
            )
    if parameters.storage_mw is None:
        first, last = min(STORAGE_MW), max(STORAGE_MW)
        if local[0].tz_localize(None) < pd.Timestamp(first):
            notes.append(
                f"storage: the battery fleet is held at the first sourced figure "
                f"({STORAGE_MW[first]:,.0f} MW on {first}) before that date"
            )
        if local[-1].tz_localize(None) > pd.Timestamp(last):
            notes.append(
                f"storage: the battery fleet is held at the last sourced figure "
                f"({STORAGE_MW[last]:,.0f} MW on {last}) after that date"
            )
    if parameters.ghg_price is None:
        outside = [y for y in range(local[0].year, local[-1].year + 1) if y not in GHG_PRICE]
        if outside:
            notes.append(
                f"GHG allowance price: none sourced for {spanned(outside)}; the nearest "
                "year's is used"
            )
    return tuple(notes)


class SyntheticMarket(Source):
    """Real-time and day-ahead LMP and hourly AS prices from their causes (the ``system``
    dataset's net load and gas, hydro, storage), fitted on real SCE-area prices."""

    dataset = "market"
    kind = SourceKind.SYNTHETIC

    def fetch(
        self,
        study: Study,
        options: MarketOptions,
        inputs: Mapping[str, SourceResult],
        context: SourceContext,
    ) -> SourceResult:
        system = inputs["system"].data.set_index("timestamp")
        parameters = options.parameters(MarketParameters)
        frame = simulate_prices(
            study.grid,
            study.timezone,
            system,
            stream_rng(study.seed, Stream.MARKET),
            parameters,
        )[list(PRICE_COLUMNS)]
        provenance = Provenance(
            SourceKind.SYNTHETIC,
            "vppsim structural CAISO prices",
            __version__,
            {
                "model": "real-time: supply curve in residual load (net load less hydro and "
                "the battery fleet's daily shift) scaled by gas and GHG cost, oversupply and "
                "scarcity regimes, persistent heavy-tailed residual; day-ahead: the expected "
                "real-time price given the day-ahead drivers, hourly; ancillary services: "
                "hourly day-ahead prices from net load, ramps, gas, storage and scarcity",
                "calibration": "FMM LMP ALAMT3G_7_B1 2022 with 2022 drivers; AS on CAISO's "
                "2024-2025 published means",
                "system": inputs["system"].provenance.source,
                "parameters": parameters.model_dump(mode="json"),
            },
            notes=coverage_notes(study.grid, study.timezone, parameters),
        )
        return SourceResult(as_table(frame), provenance)


class CaisoMarket(Source):
    """Real-time 15-min LMP (FMM) and ancillary-service prices from CAISO OASIS."""

    dataset = "market"
    kind = SourceKind.LIVE
    name = "caiso_oasis"

    def fetch(
        self,
        study: Study,
        options: MarketOptions,
        inputs: Mapping[str, SourceResult],
        context: SourceContext,
    ) -> SourceResult:
        with new_client(context.http_timeout_s) as client:
            frame, details = get_caiso_market(
                client,
                study.grid,
                node=options.node,
                as_region=options.as_region,
                deadline_s=context.deadline_s,
                cache=context.raw_cache(),
            )
        provenance = Provenance(
            SourceKind.LIVE, "CAISO OASIS", str(details.get("reports", "")), details
        )
        return SourceResult(as_table(frame), provenance)


_AS_RANGE = (-1000, 10000)
# Ranges catch corruption and unit mix-ups, not unusual prices: they are market limits.
# Five decimals is OASIS's own precision; it also keeps means of coarser intervals short.
MARKET = DatasetSpec(
    name="market",
    title="CAISO real-time and day-ahead LMP and day-ahead ancillary-service prices",
    columns=(
        ColumnSpec(
            "lmp",
            "$/MWh",
            "Real-time (FMM) locational marginal price: the 15-min price (held over 5-min "
            "intervals, averaged over 30- and 60-min ones)",
            -5000,
            5000,
            decimals=5,
        ),
        ColumnSpec(
            "da_lmp",
            "$/MWh",
            "Day-ahead (IFM) hourly LMP, held across the hour",
            -5000,
            5000,
            decimals=5,
        ),
        ColumnSpec(
            "spin_price",
            "$/MW-h",
            "Spinning reserve day-ahead capacity price, hourly",
            *_AS_RANGE,
            decimals=5,
        ),
        ColumnSpec(
            "nonspin_price",
            "$/MW-h",
            "Non-spinning reserve day-ahead capacity price, hourly",
            *_AS_RANGE,
            decimals=5,
        ),
        ColumnSpec(
            "regup_price",
            "$/MW-h",
            "Regulation up day-ahead capacity price, hourly",
            *_AS_RANGE,
            False,
            decimals=5,
        ),
        ColumnSpec(
            "regdown_price",
            "$/MW-h",
            "Regulation down day-ahead capacity price, hourly",
            *_AS_RANGE,
            False,
            decimals=5,
        ),
        ColumnSpec("lmp_energy", "$/MWh", "LMP energy component", -5000, 5000, False, decimals=5),
        ColumnSpec(
            "lmp_congestion", "$/MWh", "LMP congestion component", -5000, 5000, False, decimals=5
        ),
        ColumnSpec("lmp_loss", "$/MWh", "LMP loss component", -5000, 5000, False, decimals=5),
        ColumnSpec(
            "lmp_ghg", "$/MWh", "LMP greenhouse-gas component", -5000, 5000, False, decimals=5
        ),
    ),
    csv_path="market_data.csv",
    parquet_path="parquet/market.parquet",
    depends_on=("system",),
)

DATASET = Dataset(MARKET, MarketOptions, (SyntheticMarket, CaisoMarket))
