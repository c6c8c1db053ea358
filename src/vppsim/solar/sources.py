"""The solar dataset's sources: the pvlib PVWatts chain on the study weather, and PVWatts v8."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd
import pvlib

from vppsim.config import Settings, SourceMode
from vppsim.dataset.sources import Provenance, Source, SourceContext, SourceKind, SourceResult
from vppsim.errors import SourceUnavailable
from vppsim.http import new_client
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


class PhysicsSolar(Source):
    """The reference roof system modelled with the pvlib PVWatts-v8 chain on the weather dataset.

    Modelled here rather than fetched, so its kind is synthetic even when the weather is live.
    """

    dataset = "solar"
    kind = SourceKind.SYNTHETIC

    def fetch(
        self,
        settings: Settings,
        grid: pd.DatetimeIndex,
        inputs: Mapping[str, SourceResult],
        context: SourceContext,
    ) -> SourceResult:
        weather = inputs["weather"]
        frame = weather.data
        parameters = SolarParameters()
        midpoints = grid + pd.Timedelta(minutes=settings.interval_minutes / 2)
        generation = pvwatts_ac(
            midpoints,
            frame["ghi_w_m2"].to_numpy(),
            frame["dni_w_m2"].to_numpy(),
            frame["dhi_w_m2"].to_numpy(),
            frame["temp_air_c"].to_numpy(),
            frame["wind_speed_m_s"].to_numpy(),
            settings.latitude,
            settings.longitude,
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

    def fetch(
        self,
        settings: Settings,
        grid: pd.DatetimeIndex,
        inputs: Mapping[str, SourceResult],
        context: SourceContext,
    ) -> SourceResult:
        if settings.solar_source is SourceMode.AUTO:
            raise SourceUnavailable(
                "PVWatts answers a typical year, not the study's weather, so with source=auto "
                "solar is modelled from the weather dataset and PV, load and prices see the same "
                "clouds (set solar_source=live to use PVWatts)"
            )
        key = settings.nlr_api_key.get_secret_value() if settings.nlr_api_key else None
        reference = _reference_parameters(SolarParameters())
        with new_client(settings.http_timeout_s) as client:
            # Without a key, a previous build's cached answer is still used.
            content = get_pvwatts(
                client,
                key,
                settings.latitude,
                settings.longitude,
                base_url=settings.nlr_base_url,
                tilt=reference["tilt"],
                azimuth=reference["azimuth"],
                cache=context.raw_cache(),
            )
        result = read_pvwatts(content)
        generation = tmy_to_grid(
            result.ac_kw_per_kw,
            grid,
            settings.interval_minutes,
            result.utc_offset_hours,
            settings.latitude,
            settings.longitude,
        )
        provenance = Provenance(
            SourceKind.LIVE,
            "NREL PVWatts v8",
            str(result.version),
            {
                **reference,
                "url": settings.nlr_base_url.rstrip("/") + PVWATTS_PATH,
                **pvwatts_provenance(result),
            },
            notes=(PVWATTS_NOTE,),
        )
        return SourceResult(pd.DataFrame({"timestamp": grid, COLUMN: generation}), provenance)
