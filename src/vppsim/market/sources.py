"""The market dataset's sources: CAISO OASIS (live) and the synthetic price model."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from vppsim import __version__
from vppsim.config import Settings
from vppsim.dataset.sources import (
    Provenance,
    Source,
    SourceContext,
    SourceKind,
    SourceResult,
    as_table,
)
from vppsim.http import new_client
from vppsim.market.oasis import get_caiso_market
from vppsim.market.parameters import MarketParameters
from vppsim.market.synthetic import price_level, price_level_notes, simulate_prices
from vppsim.seeds import Stream, stream_rng


class SyntheticMarket(Source):
    """Regime-switching 15-min LMP and AS prices, calibrated on real SCE-area prices."""

    dataset = "market"
    kind = SourceKind.SYNTHETIC

    def fetch(
        self,
        settings: Settings,
        grid: pd.DatetimeIndex,
        inputs: Mapping[str, SourceResult],
        context: SourceContext,
    ) -> SourceResult:
        weather = inputs["weather"].data.set_index("timestamp")
        parameters = MarketParameters(price_level=settings.price_level)
        frame = simulate_prices(
            grid, settings.timezone, weather, stream_rng(settings.seed, Stream.MARKET), parameters
        )
        years = sorted(set(grid.tz_convert(settings.timezone).year))
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

    def fetch(
        self,
        settings: Settings,
        grid: pd.DatetimeIndex,
        inputs: Mapping[str, SourceResult],
        context: SourceContext,
    ) -> SourceResult:
        with new_client(settings.http_timeout_s) as client:
            frame, details = get_caiso_market(
                client,
                grid,
                node=settings.market_node,
                as_region=settings.as_region,
                cache=context.raw_cache(),
            )
        provenance = Provenance(
            SourceKind.LIVE, "CAISO OASIS", str(details.get("reports", "")), details
        )
        return SourceResult(as_table(frame), provenance)
