"""The load dataset: its contract, its options, and its source (the vectorised residential
load model on the study weather)."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

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
    home_keys,
    last_chunk,
)
from vppsim.load.homes import draw_homes
from vppsim.load.model import simulate_load_parts
from vppsim.load.parameters import LoadCalibration, LoadParameters
from vppsim.options import DatasetOptions


class LoadOptions(DatasetOptions, LoadParameters):
    """The load section of the settings: source and the load model's parameters."""


def _recorded(parameters: LoadParameters) -> dict:
    """The parameters as the manifest records them (the tables are the shipped calibration's,
    of which the fitted weekend presence is recorded)."""
    return {
        **parameters.model_dump(mode="json"),
        "weekend_daytime_presence": LoadCalibration.default().weekend_daytime_presence,
    }


class SyntheticLoad(Source):
    """Bottom-up household load: baseload, occupancy-driven loads, appliance events, AC, EV."""

    dataset = "load"
    kind = SourceKind.SYNTHETIC

    def fetch(
        self,
        study: Study,
        options: LoadOptions,
        inputs: Mapping[str, SourceResult],
        context: SourceContext,
    ) -> SourceResult:
        weather = inputs["weather"].data.set_index("timestamp")
        parameters = options.parameters(LoadParameters)
        homes = last_chunk(lambda ids: draw_homes(study.seed, ids, parameters))
        grid = study.grid

        def batch(home_ids: np.ndarray) -> pd.DataFrame:
            parts = simulate_load_parts(
                homes(home_ids),
                weather,
                grid,
                study.timezone,
                study.interval_minutes,
                study.seed,
                parameters,
            )
            return pd.DataFrame(
                {
                    **home_keys(home_ids, grid),
                    **{name: part.reshape(-1) for name, part in parts.items()},
                }
            )

        provenance = Provenance(
            SourceKind.SYNTHETIC,
            "vppsim residential load model",
            __version__,
            {
                "homes": study.homes,
                **_recorded(parameters),
                "calibration": "Fontana CityLearn homes (Aug), RESNET 301 end-use schedules, "
                "EVI-Pro LA home charging sessions",
                "weather": inputs["weather"].provenance.source,
            },
            notes=(
                "Each home draws from SeedSequence(seed, spawn_key=(LOAD, home_id)): its "
                "series does not depend on fleet size or chunking.",
            ),
        )
        return SourceResult(batch, provenance, homes)


LOAD = DatasetSpec(
    name="load",
    title="Residential household load per home",
    columns=(
        ColumnSpec(
            "load_kw", "kW", "Mean household demand over the interval", 0, 100, dtype="float32"
        ),
        ColumnSpec(
            "hvac_kw",
            "kW",
            "Electric power of the air conditioning and electric heating over the interval "
            "(part of load_kw; what dispatch may shift; written by the synthetic source)",
            0,
            100,
            required=False,
            dtype="float32",
        ),
        ColumnSpec(
            "ev_kw",
            "kW",
            "Unmanaged home EV charging over the interval (part of load_kw; full charger "
            "power from plug-in until charged; what dispatch may shift; written by the "
            "synthetic source)",
            0,
            100,
            required=False,
            dtype="float32",
        ),
    ),
    csv_path="load_profiles/profile_{home_id}.csv",
    parquet_path="parquet/load/part-{part:05d}.parquet",
    per_home=True,
    depends_on=("weather",),
)

DATASET = Dataset(LOAD, LoadOptions, (SyntheticLoad,))
