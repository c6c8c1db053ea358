"""A dataset added by one module, as a plugin would: a retail tariff forecast keyed by
issue time, interval and quantile, derived from the market prices.

Nothing else in vppsim is edited for it: registering it brings its settings section, its
files, its validation and its manifest entries.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from pydantic import Field

from vppsim.dataset.schemas import UTC_DATETIME, ColumnSpec, DatasetSpec
from vppsim.dataset.sources import Dataset, Provenance, Source, SourceKind, SourceResult
from vppsim.options import DatasetOptions

QUANTILES = (0.1, 0.5, 0.9)


class TariffOptions(DatasetOptions):
    adder_usd_per_kwh: float = Field(0.25, ge=0, description="Retail adder [$/kWh].")


class TariffForecast(Source):
    dataset = "tariff"
    kind = SourceKind.SYNTHETIC

    def fetch(self, study, options, inputs, context):
        prices = inputs["market"].data["lmp"].to_numpy() / 1000
        grid = study.grid
        issued = grid.tz_convert(study.timezone).normalize().tz_convert("UTC")
        issued = issued - pd.Timedelta(hours=12)
        frames = [
            pd.DataFrame(
                {
                    "issued_at": issued,
                    "quantile": np.full(len(grid), q),
                    "timestamp": grid,
                    "price_usd_per_kwh": options.adder_usd_per_kwh + prices * (0.5 + q),
                }
            )
            for q in QUANTILES
        ]
        frame = pd.concat(frames, ignore_index=True)
        provenance = Provenance(SourceKind.SYNTHETIC, "test tariff forecast", "0")
        return SourceResult(frame, provenance)


TARIFF = DatasetSpec(
    name="tariff",
    title="Retail tariff forecast by quantile",
    columns=(
        ColumnSpec(
            "issued_at", "UTC", "When the forecast was issued", dtype=UTC_DATETIME, key=True
        ),
        ColumnSpec("quantile", "1", "Forecast quantile", 0, 1, key=True),
        ColumnSpec("price_usd_per_kwh", "$/kWh", "Retail price", -10, 100),
    ),
    csv_path="tariff_forecast.csv",
    parquet_path="parquet/tariff_forecast.parquet",
    depends_on=("market",),
    complete=False,  # each issue covers its own day, not the whole study
)

DATASET = Dataset(TARIFF, TariffOptions, (TariffForecast,))
