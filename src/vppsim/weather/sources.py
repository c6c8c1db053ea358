"""The weather dataset's sources: NSRDB actual weather (live) and the synthetic model."""

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
from vppsim.errors import SourceUnavailable
from vppsim.grid import standard_utc_offset_hours
from vppsim.http import new_client
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


class SyntheticWeather(Source):
    """Stochastic weather calibrated on the LA-basin TMY files (see :mod:`.synthetic`)."""

    dataset = "weather"
    kind = SourceKind.SYNTHETIC

    def fetch(
        self,
        settings: Settings,
        grid: pd.DatetimeIndex,
        inputs: Mapping[str, SourceResult],
        context: SourceContext,
    ) -> SourceResult:
        rng = stream_rng(settings.seed, Stream.WEATHER)
        parameters = WeatherParameters()
        frame = simulate_weather(
            grid,
            settings.latitude,
            settings.longitude,
            settings.timezone,
            settings.interval_minutes,
            rng,
            parameters,
        )
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
                "latitude": settings.latitude,
                "longitude": settings.longitude,
                "parameters": parameters.model_dump(mode="json"),
            },
        )
        return SourceResult(as_table(frame), provenance)


class NsrdbWeather(Source):
    """Actual weather for the study period from NSRDB PSM4 (needs a key and e-mail)."""

    dataset = "weather"
    kind = SourceKind.LIVE

    def fetch(
        self,
        settings: Settings,
        grid: pd.DatetimeIndex,
        inputs: Mapping[str, SourceResult],
        context: SourceContext,
    ) -> SourceResult:
        if settings.nlr_api_key is None:
            raise SourceUnavailable("no NLR_API_KEY configured for NSRDB")
        if not settings.nlr_email:
            raise SourceUnavailable("NSRDB needs NLR_EMAIL (the key's e-mail address)")
        offset = standard_utc_offset_hours(settings.timezone, settings.start)
        years = years_spanned(grid, offset)
        cache = context.raw_cache()
        frames, versions = [], set()
        with new_client(settings.http_timeout_s) as client:
            for year in years:
                content = get_nsrdb(
                    client,
                    settings.nlr_api_key.get_secret_value(),
                    settings.nlr_email,
                    settings.latitude,
                    settings.longitude,
                    year,
                    settings.interval_minutes,
                    base_url=settings.nlr_base_url,
                    cache=cache,
                )
                data, meta = read_nsrdb(content)
                frames.append(data)
                versions.add(str(meta.get("Version", "unknown")))
        frame = nsrdb_to_grid(
            pd.concat(frames),
            grid,
            settings.interval_minutes,
            settings.latitude,
            settings.longitude,
        )
        provenance = Provenance(
            SourceKind.LIVE,
            SOURCE,
            ",".join(sorted(versions)),
            {
                "url": settings.nlr_base_url.rstrip("/") + NSRDB_PATH,
                "latitude": settings.latitude,
                "longitude": settings.longitude,
                "years": years,
                "interval_minutes": settings.interval_minutes,
                "attributes": list(ATTRIBUTES),
            },
            notes=(
                "Actual satellite-derived weather for the study period; instantaneous values "
                "interpolated to interval midpoints.",
            ),
        )
        return SourceResult(as_table(frame), provenance)
