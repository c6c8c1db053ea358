"""The weather dataset: its contract, its options, and its sources (NSRDB actual weather,
live; the synthetic model)."""

from __future__ import annotations

from collections.abc import Mapping

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
    as_table,
)
from vppsim.errors import SourceUnavailable
from vppsim.grid import standard_utc_offset_hours
from vppsim.http import new_client
from vppsim.options import DatasetOptions
from vppsim.seeds import Stream, stream_rng
from vppsim.weather.nsrdb import (
    ATTRIBUTES,
    NSRDB_PATH,
    SOURCE,
    get_nsrdb,
    nsrdb_to_grid,
    read_nsrdb,
    years_spanned,
)
from vppsim.weather.parameters import WeatherParameters
from vppsim.weather.synthetic import simulate_weather


class WeatherOptions(DatasetOptions, WeatherParameters):
    """The weather section of the settings: source and the synthetic model's parameters."""


def study_weather(study: Study, parameters: WeatherParameters) -> pd.DataFrame:
    """The synthetic weather of ``study`` (its own stream of the study seed) on its grid."""
    return simulate_weather(
        study.grid,
        study.latitude,
        study.longitude,
        study.timezone,
        study.interval_minutes,
        stream_rng(study.seed, Stream.WEATHER),
        parameters,
    )


class SyntheticWeather(Source):
    """Stochastic weather calibrated on the LA-basin TMY files (see :mod:`.synthetic`)."""

    dataset = "weather"
    kind = SourceKind.SYNTHETIC

    def fetch(
        self,
        study: Study,
        options: WeatherOptions,
        inputs: Mapping[str, SourceResult],
        context: SourceContext,
    ) -> SourceResult:
        parameters = options.parameters(WeatherParameters)
        frame = study_weather(study, parameters)
        provenance = Provenance(
            SourceKind.SYNTHETIC,
            "vppsim synthetic weather",
            __version__,
            {
                "irradiance": "pvlib Ineichen clear sky x clear-sky-index Markov chain by "
                "month and hour; Erbs decomposition",
                "temperature": "diurnal cycle on monthly normals, AR(1) day-to-day anomaly, "
                "heat events, sun-temperature coupling",
                "calibration": "TMY3 Santa Ana (722977), TMY2 Long Beach (23129)",
                "latitude": study.latitude,
                "longitude": study.longitude,
                "parameters": parameters.model_dump(mode="json"),
            },
        )
        return SourceResult(as_table(frame), provenance)


class NsrdbWeather(Source):
    """Actual weather for the study period from NSRDB PSM4 (needs a key and e-mail)."""

    dataset = "weather"
    kind = SourceKind.LIVE
    name = "nsrdb"
    credentials = ("nlr_api_key", "nlr_email", "nlr_base_url")

    def fetch(
        self,
        study: Study,
        options: WeatherOptions,
        inputs: Mapping[str, SourceResult],
        context: SourceContext,
    ) -> SourceResult:
        if options.events:
            # A what-if has no record: only the synthetic model can be forced.
            raise SourceUnavailable("weather events need the synthetic weather model")
        key, email = context.credentials["nlr_api_key"], context.credentials["nlr_email"]
        base_url = context.credentials["nlr_base_url"]
        if key is None:
            raise SourceUnavailable("no NLR_API_KEY configured for NSRDB")
        if not email:
            raise SourceUnavailable("NSRDB needs NLR_EMAIL (the key's e-mail address)")
        offset = standard_utc_offset_hours(study.timezone, study.start)
        years = years_spanned(study.grid, offset)
        cache = context.raw_cache()
        frames, versions = [], set()
        with new_client(context.http_timeout_s) as client:
            for year in years:
                content = get_nsrdb(
                    client,
                    key.get_secret_value(),
                    email,
                    study.latitude,
                    study.longitude,
                    year,
                    study.interval_minutes,
                    base_url=base_url,
                    cache=cache,
                    deadline_s=context.deadline_s,
                )
                data, meta = read_nsrdb(content)
                frames.append(data)
                versions.add(str(meta.get("Version", "unknown")))
        frame = nsrdb_to_grid(
            pd.concat(frames),
            study.grid,
            study.interval_minutes,
            study.latitude,
            study.longitude,
        )
        provenance = Provenance(
            SourceKind.LIVE,
            SOURCE,
            ",".join(sorted(versions)),
            {
                "url": base_url.rstrip("/") + NSRDB_PATH,
                "latitude": study.latitude,
                "longitude": study.longitude,
                "years": years,
                "interval_minutes": study.interval_minutes,
                "attributes": list(ATTRIBUTES),
            },
            notes=(
                "Actual satellite-derived weather for the study period; instantaneous values "
                "interpolated to interval midpoints.",
            ),
        )
        return SourceResult(as_table(frame), provenance)


# Ranges catch corruption and unit mix-ups, not unusual weather: they are physical limits.
WEATHER = DatasetSpec(
    name="weather",
    title="Weather at the site",
    columns=(
        ColumnSpec("temp_air_c", "degC", "Air temperature at 2 m", -60, 60),
        ColumnSpec("ghi_w_m2", "W/m2", "Global horizontal irradiance", 0, 1500),
        ColumnSpec("dni_w_m2", "W/m2", "Direct normal irradiance", 0, 1400),
        ColumnSpec("dhi_w_m2", "W/m2", "Diffuse horizontal irradiance", 0, 1000),
        ColumnSpec("wind_speed_m_s", "m/s", "Wind speed at 10 m", 0, 75),
        ColumnSpec("clearsky_index", "1", "GHI over clear-sky GHI", 0, 2, required=False),
    ),
    csv_path="weather.csv",
    parquet_path="parquet/weather.parquet",
)

DATASET = Dataset(WEATHER, WeatherOptions, (SyntheticWeather, NsrdbWeather))
