"""The fleet's datasets: ``assets`` (one row per home: its attributes, PV, battery, EV
battery, thermostat and VPP enrolment) and ``pv`` (each home's rooftop PV on its own roof).

``assets`` is drawn from the homes the load model simulated (the ``load`` source's home
table, so its attributes are the very homes of the load data) plus the assets of
:func:`vppsim.fleet.assets.draw_assets`; it is written with ``assets/asset_specifications.json``
(the battery catalogue and its sources) and ``assets/operational_constraints.json`` (the
fleet-level limits dispatch honours). ``pv`` is long format like ``load``: every home has
rows, zero for homes without PV, so a home's net load is ``load_kw - pv_kw`` row by row.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
import pvlib

from vppsim import __version__
from vppsim.dataset.schemas import TIMESTAMP, ColumnSpec, DatasetSpec, on_home_grid
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
from vppsim.fleet import pv
from vppsim.fleet.assets import (
    ASSET_COLUMNS,
    Fleet,
    FleetParameters,
    asset_specifications,
    draw_assets,
    operational_constraints,
    rule_failures,
)
from vppsim.options import DatasetOptions
from vppsim.solar.night import night_failures
from vppsim.solar.parameters import SolarParameters

SPECIFICATIONS = "assets/asset_specifications.json"
CONSTRAINTS = "assets/operational_constraints.json"


class AssetsOptions(DatasetOptions, FleetParameters):
    """The assets section of the settings: source and how the fleet's assets are drawn."""


class PvOptions(DatasetOptions, SolarParameters):
    """The pv section of the settings: source and the PV chain's system constants (each
    home's own orientation and DC/AC ratio come from the assets)."""


class SyntheticAssets(Source):
    """Each home's assets drawn from the seed, on the load model's homes."""

    dataset = "assets"
    kind = SourceKind.SYNTHETIC

    def fetch(
        self,
        study: Study,
        options: AssetsOptions,
        inputs: Mapping[str, SourceResult],
        context: SourceContext,
    ) -> SourceResult:
        parameters = options.parameters(FleetParameters)
        # A load source that gives no attributes (metered load) leaves them to draw_homes.
        homes = inputs["load"].home_table

        def table(home_ids: np.ndarray) -> pd.DataFrame:
            drawn = None if homes is None else homes(home_ids)
            return draw_assets(study.seed, home_ids, study.start, parameters, drawn)

        attributes = (
            "drawn with the default load parameters (the load source gives none)"
            if homes is None
            else "from the load model's homes"
        )
        provenance = Provenance(
            SourceKind.SYNTHETIC,
            "vppsim fleet assets",
            __version__,
            {"start": study.start.isoformat(), **parameters.model_dump(mode="json")},
            notes=(
                "Each home's assets come from SeedSequence(seed, spawn_key=(ASSETS, home_id)) "
                f"and its attributes {attributes}: they do not depend on fleet size or "
                "chunking.",
            ),
        )
        documents = {
            SPECIFICATIONS: asset_specifications(),
            CONSTRAINTS: operational_constraints(parameters),
        }
        return SourceResult(last_chunk(table), provenance, documents=documents)


class PhysicsPv(Source):
    """Each home's PV on its own roof, through the pvlib PVWatts-v8 chain on the weather."""

    dataset = "pv"
    kind = SourceKind.SYNTHETIC

    def fetch(
        self,
        study: Study,
        options: PvOptions,
        inputs: Mapping[str, SourceResult],
        context: SourceContext,
    ) -> SourceResult:
        weather = inputs["weather"].data
        assets = inputs["assets"].data
        parameters = options.parameters(SolarParameters)

        def batch(home_ids: np.ndarray) -> pd.DataFrame:
            fleet = Fleet.from_frame(assets(home_ids))
            power = pv.simulate(
                fleet,
                weather,
                study.latitude,
                study.longitude,
                study.interval_minutes,
                parameters,
            )
            return pd.DataFrame(
                {
                    **home_keys(home_ids, study.grid),
                    "pv_kw": power.T.reshape(-1).astype(np.float32),
                }
            )

        provenance = Provenance(
            SourceKind.SYNTHETIC,
            "pvlib PVWatts-v8 chain on each home's roof",
            f"pvlib {pvlib.__version__}",
            {
                "weather": inputs["weather"].provenance.source,
                "parameters": parameters.model_dump(mode="json"),
            },
            notes=(
                "Orientation, size and DC/AC ratio per home from the assets dataset; zero "
                "for homes without PV. Interval midpoints, as the solar dataset.",
            ),
        )
        return SourceResult(batch, provenance)


def _fleet_rules(frame: pd.DataFrame, study: Study, label: str) -> list[str]:
    return rule_failures(frame, label)


def _dark_at_night(frame: pd.DataFrame, study: Study, label: str) -> list[str]:
    """No PV at night, for every home (the fleet's total is dark only if each home is)."""
    grid = study.grid
    if on_home_grid(frame, grid):
        # Whole homes on the grid (every part written): the homes' sum of each interval
        # without hashing every row's timestamp, which was most of this rule's time.
        power = frame["pv_kw"].to_numpy().reshape(-1, len(grid))
        total = pd.Series(power.sum(axis=0, dtype=np.float64), index=grid)
    else:
        total = frame.groupby(TIMESTAMP, sort=True)["pv_kw"].sum()
    return night_failures(
        total.reset_index(drop=True),
        pd.Series(total.index),
        study.latitude,
        study.longitude,
        study.interval_minutes,
        label,
    )


ASSETS = DatasetSpec(
    name="assets",
    title="The fleet: each home's attributes, PV, battery, EV battery, thermostat, enrolment",
    columns=ASSET_COLUMNS,
    csv_path="assets.csv",
    parquet_path="parquet/assets.parquet",
    attributes=True,
    depends_on=("load",),
    checks=(_fleet_rules,),
)

PV = DatasetSpec(
    name="pv",
    title="Rooftop PV output of each home",
    columns=(
        ColumnSpec(
            "pv_kw",
            "kW",
            "Mean AC output of the home's rooftop PV over the interval (0 without PV)",
            0,
            1000,
            dtype="float32",
        ),
    ),
    csv_path="pv_profiles/profile_{home_id}.csv",
    parquet_path="parquet/pv/part-{part:05d}.parquet",
    per_home=True,
    depends_on=("weather", "assets"),
    checks=(_dark_at_night,),
)

DATASETS = (
    Dataset(ASSETS, AssetsOptions, (SyntheticAssets,)),
    Dataset(PV, PvOptions, (PhysicsPv,)),
)
