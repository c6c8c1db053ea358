"""The market dataset: its contract, its options, and its sources (CAISO OASIS, live; the
synthetic price model)."""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import Field

from vppsim import __version__
from vppsim.dataset.schemas import ColumnSpec, DatasetSpec
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
from vppsim.market.synthetic import price_level, price_level_notes, simulate_prices
from vppsim.options import DatasetOptions
from vppsim.seeds import Stream, stream_rng


class MarketOptions(DatasetOptions, MarketParameters):
    """The market section of the settings: source, live node and region, price model."""

    node: str = Field(DEFAULT_NODE, min_length=1, description="CAISO pricing node (live LMP).")
    as_region: str = Field(
        DEFAULT_AS_REGION, min_length=1, description="CAISO ancillary-service region (live)."
    )


class SyntheticMarket(Source):
    """Regime-switching 15-min LMP and AS prices, calibrated on real SCE-area prices."""

    dataset = "market"
    kind = SourceKind.SYNTHETIC

    def fetch(
        self,
        study: Study,
        options: MarketOptions,
        inputs: Mapping[str, SourceResult],
        context: SourceContext,
    ) -> SourceResult:
        weather = inputs["weather"].data.set_index("timestamp")
        parameters = options.parameters(MarketParameters)
        frame = simulate_prices(
            study.grid,
            study.timezone,
            weather,
            stream_rng(study.seed, Stream.MARKET),
            parameters,
        )
        years = sorted(set(study.grid.tz_convert(study.timezone).year))
        provenance = Provenance(
            SourceKind.SYNTHETIC,
            "vppsim synthetic CAISO prices",
            __version__,
            {
                "model": "seasonal hour x day-type x month shape, heat-driven level regime, "
                "AR(1) residual with hourly volatility, spike and negative-price regimes; "
                "ancillary services as separate processes",
                "calibration": "FMM LMP ALAMT3G_7_B1 2022; OASIS MIL1_3_PASGNODE Aug 2023",
                "price_level": parameters.price_level
                if parameters.price_level is not None
                else {str(year): price_level(year) for year in years},
                "weather": inputs["weather"].provenance.source,
                "parameters": parameters.model_dump(mode="json"),
            },
            notes=price_level_notes(years, parameters),
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
    title="CAISO real-time 15-min LMP and ancillary-service prices",
    columns=(
        ColumnSpec("lmp", "$/MWh", "Locational marginal price (FMM)", -5000, 5000, decimals=5),
        ColumnSpec(
            "spin_price", "$/MW-h", "Spinning reserve capacity price", *_AS_RANGE, decimals=5
        ),
        ColumnSpec(
            "nonspin_price", "$/MW-h", "Non-spinning reserve capacity price", *_AS_RANGE, decimals=5
        ),
        ColumnSpec(
            "regup_price", "$/MW-h", "Regulation up capacity price", *_AS_RANGE, False, decimals=5
        ),
        ColumnSpec(
            "regdown_price",
            "$/MW-h",
            "Regulation down capacity price",
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
    depends_on=("weather",),
)

DATASET = Dataset(MARKET, MarketOptions, (SyntheticMarket, CaisoMarket))
