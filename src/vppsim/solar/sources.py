"""The solar dataset: its contract (including no output at night), its options, and its
sources (the pvlib PVWatts chain on the study weather; PVWatts v8, live)."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd
import pvlib

from vppsim.dataset.schemas import ColumnSpec, DatasetSpec
from vppsim.dataset.sources import (
    Dataset,
    Provenance,
    Source,
    SourceContext,
    SourceKind,
    SourceResult,
    Study,
)
from vppsim.errors import SourceUnavailable
from vppsim.http import new_client
from vppsim.options import DatasetOptions, SourceMode
from vppsim.solar.night import night_failures
from vppsim.solar.parameters import SolarParameters
from vppsim.solar.physics import pvwatts_ac
from vppsim.solar.pvwatts import (
    PVWATTS_NOTE,
    PVWATTS_PATH,
    get_pvwatts,
    pvwatts_provenance,
    read_pvwatts,
    tmy_to_grid,
)

COLUMN = "generation_kw_per_kw_installed"


def _reference_parameters(parameters: SolarParameters) -> dict:
    return {
        "tilt": parameters.reference_tilt,
        "azimuth": parameters.reference_azimuth,
        "array_type": parameters.array_type,
        "dc_ac_ratio": parameters.dc_ac_ratio,
        "inverter_efficiency": parameters.inverter_efficiency,
        "losses_percent": parameters.losses_percent,
        "gamma_pdc": parameters.gamma_pdc,
    }


class SolarOptions(DatasetOptions, SolarParameters):
    """The solar section of the settings: source and the PV chain's parameters."""


class PhysicsSolar(Source):
    """The reference roof system modelled with the pvlib PVWatts-v8 chain on the weather dataset.

    Modelled here rather than fetched, so its kind is synthetic even when the weather is live.
    """

    dataset = "solar"
    kind = SourceKind.SYNTHETIC

    def fetch(
        self,
        study: Study,
        options: SolarOptions,
        inputs: Mapping[str, SourceResult],
        context: SourceContext,
    ) -> SourceResult:
        weather = inputs["weather"]
        frame = weather.data
        grid = study.grid
        parameters = options.parameters(SolarParameters)
        midpoints = grid + pd.Timedelta(minutes=study.interval_minutes / 2)
        generation = pvwatts_ac(
            midpoints,
            frame["ghi_w_m2"].to_numpy(),
            frame["dni_w_m2"].to_numpy(),
            frame["dhi_w_m2"].to_numpy(),
            frame["temp_air_c"].to_numpy(),
            frame["wind_speed_m_s"].to_numpy(),
            study.latitude,
            study.longitude,
            parameters.reference_tilt,
            parameters.reference_azimuth,
            parameters,
        )
        provenance = Provenance(
            SourceKind.SYNTHETIC,
            "pvlib PVWatts-v8 chain on the weather dataset",
            f"pvlib {pvlib.__version__}",
            {
                **_reference_parameters(parameters),
                "weather": weather.provenance.source,
                "parameters": parameters.model_dump(mode="json"),
            },
            notes=(
                f"Driven by the {weather.provenance.kind} weather dataset "
                f"({weather.provenance.source}), interval midpoints.",
            ),
        )
        return SourceResult(pd.DataFrame({"timestamp": grid, COLUMN: generation}), provenance)


class PVWattsSolar(Source):
    """NREL PVWatts v8 for the reference system: a typical year mapped onto the study dates."""

    dataset = "solar"
    kind = SourceKind.LIVE
    name = "pvwatts"
    credentials = ("nlr_api_key", "nlr_base_url")

    def fetch(
        self,
        study: Study,
        options: SolarOptions,
        inputs: Mapping[str, SourceResult],
        context: SourceContext,
    ) -> SourceResult:
        if options.source is SourceMode.AUTO:
            raise SourceUnavailable(
                "PVWatts answers a typical year, not the study's weather, so with source=auto "
                "solar is modelled from the weather dataset and PV, load and prices see the same "
                "clouds (use --source solar=live, or solar.source = live, for PVWatts)"
            )
        secret = context.credentials["nlr_api_key"]
        key = secret.get_secret_value() if secret is not None else None
        base_url = context.credentials["nlr_base_url"]
        reference = _reference_parameters(options.parameters(SolarParameters))
        with new_client(context.http_timeout_s) as client:
            # Without a key, a previous build's cached answer is still used.
            content = get_pvwatts(
                client,
                key,
                study.latitude,
                study.longitude,
                base_url=base_url,
                deadline_s=context.deadline_s,
                tilt=reference["tilt"],
                azimuth=reference["azimuth"],
                cache=context.raw_cache(),
            )
        result = read_pvwatts(content)
        grid = study.grid
        generation = tmy_to_grid(
            result.ac_kw_per_kw,
            grid,
            study.interval_minutes,
            result.utc_offset_hours,
            study.latitude,
            study.longitude,
        )
        provenance = Provenance(
            SourceKind.LIVE,
            "NREL PVWatts v8",
            str(result.version),
            {
                **reference,
                "url": base_url.rstrip("/") + PVWATTS_PATH,
                **pvwatts_provenance(result),
            },
            notes=(PVWATTS_NOTE,),
        )
        return SourceResult(pd.DataFrame({"timestamp": grid, COLUMN: generation}), provenance)


def _dark_at_night(frame: pd.DataFrame, study: Study, label: str) -> list[str]:
    return night_failures(
        frame[COLUMN],
        frame["timestamp"],
        study.latitude,
        study.longitude,
        study.interval_minutes,
        label,
    )


SOLAR = DatasetSpec(
    name="solar",
    title="Rooftop PV generation of the reference system",
    columns=(
        ColumnSpec(
            COLUMN,
            "kW/kWdc",
            "AC output per kW of DC capacity (roof mount, tilt 20, azimuth 180)",
            0,
            1.0,
        ),
    ),
    csv_path="solar_data.csv",
    parquet_path="parquet/solar.parquet",
    depends_on=("weather",),
    checks=(_dark_at_night,),
)

DATASET = Dataset(SOLAR, SolarOptions, (PhysicsSolar, PVWattsSolar))
