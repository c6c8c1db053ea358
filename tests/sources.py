"""Small sources defined for tests only. They exercise the build path end to end.

They are simple but honour the contract (on the grid, in range, zero PV at night,
per-home streams), so a build with them passes validation.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pandas as pd
import pvlib

from vppsim.dataset.sources import Provenance, Registry, Source, SourceKind, SourceResult
from vppsim.errors import SourceUnavailable
from vppsim.fleet.assets import draw_assets
from vppsim.fleet.sources import PhysicsPv
from vppsim.forecast.sources import DATASETS as FORECAST_DATASETS
from vppsim.load.homes import draw_homes
from vppsim.registry import default_registry
from vppsim.seeds import Stream, stream_rng
from vppsim.system.sources import SyntheticSystem


def _synthetic(name: str, **parameters) -> Provenance:
    return Provenance(SourceKind.SYNTHETIC, f"test {name}", "0", parameters)


class TestWeather(Source):
    dataset = "weather"
    kind = SourceKind.SYNTHETIC

    def fetch(self, study, options, inputs, context):
        grid = study.grid
        rng = stream_rng(study.seed, Stream.WEATHER)
        middle = grid + pd.Timedelta(minutes=study.interval_minutes / 2)
        position = pvlib.solarposition.get_solarposition(middle, study.latitude, study.longitude)
        cos_zenith = np.clip(np.sin(np.radians(position["apparent_elevation"].to_numpy())), 0, None)
        hour = middle.tz_convert(study.timezone).hour.to_numpy()
        frame = pd.DataFrame(
            {
                "timestamp": grid,
                "temp_air_c": 24
                + 6 * np.sin((hour - 9) / 24 * 2 * np.pi)
                + rng.normal(0, 0.5, len(grid)),
                "ghi_w_m2": 1000 * cos_zenith,
                "dni_w_m2": 850.0 * (cos_zenith > 0),
                "dhi_w_m2": 120 * cos_zenith,
                "wind_speed_m_s": rng.uniform(0, 5, len(grid)),
            }
        )
        return SourceResult(frame, _synthetic("weather"))


class TestSolar(Source):
    dataset = "solar"
    kind = SourceKind.SYNTHETIC

    def fetch(self, study, options, inputs, context):
        grid = study.grid
        generation = np.clip(inputs["weather"].data["ghi_w_m2"].to_numpy() / 1250, 0, 1)
        frame = pd.DataFrame({"timestamp": grid, "generation_kw_per_kw_installed": generation})
        return SourceResult(frame, _synthetic("solar"))


class TestMarket(Source):
    dataset = "market"
    kind = SourceKind.SYNTHETIC

    def fetch(self, study, options, inputs, context):
        grid = study.grid
        rng = stream_rng(study.seed, Stream.MARKET)
        net_load_gw = inputs["system"].data["net_load_mw"].to_numpy() / 1000.0
        lmp = 10 + 2 * net_load_gw + rng.normal(0, 5, len(grid))
        frame = pd.DataFrame(
            {
                "timestamp": grid,
                "lmp": lmp,
                "da_lmp": pd.Series(lmp).groupby(np.arange(len(grid)) // 4).transform("mean"),
                "spin_price": rng.uniform(1, 8, len(grid)),
                "nonspin_price": rng.uniform(0, 1, len(grid)),
            }
        )
        return SourceResult(frame, _synthetic("market"))


def home_load(seed: int, home_id: int, temp: np.ndarray) -> np.ndarray:
    rng = stream_rng(seed, Stream.LOAD, home_id)
    base = rng.uniform(0.2, 0.8)
    return (base + 0.1 * np.clip(temp - 24, 0, None) + rng.gamma(1.0, 0.2, len(temp))).astype(
        np.float32
    )


class TestLoad(Source):
    dataset = "load"
    kind = SourceKind.SYNTHETIC
    delay_after_first_chunk: float = 0.0
    marker: Path | None = None

    def fetch(self, study, options, inputs, context):
        grid = study.grid
        temp = inputs["weather"].data["temp_air_c"].to_numpy()

        def batch(home_ids: np.ndarray) -> pd.DataFrame:
            if home_ids[0] > 0 and self.delay_after_first_chunk:
                if self.marker is not None:
                    self.marker.write_text("first chunk written")
                time.sleep(self.delay_after_first_chunk)
            n = len(grid)
            return pd.DataFrame(
                {
                    "home_id": np.repeat(home_ids.astype(np.int32), n),
                    "timestamp": np.tile(grid, len(home_ids)),
                    "load_kw": np.concatenate([home_load(study.seed, h, temp) for h in home_ids]),
                }
            )

        def attributes(home_ids: np.ndarray) -> pd.DataFrame:
            draws = [stream_rng(study.seed, Stream.HOMES, h).uniform(0.5, 3.0) for h in home_ids]
            return pd.DataFrame(
                {
                    "home_id": home_ids.astype(np.int32),
                    "baseload_kw": draws,
                    "climate": np.where(home_ids % 2 == 0, "coastal", "inland"),
                }
            )

        return SourceResult(batch, _synthetic("load", homes=study.homes), attributes)


class TestAssets(Source):
    """The fleet's real asset draws on the load model's real homes (whatever the test load
    source's attributes), so the assets contract is exercised end to end."""

    dataset = "assets"
    kind = SourceKind.SYNTHETIC

    def fetch(self, study, options, inputs, context):
        def table(home_ids: np.ndarray) -> pd.DataFrame:
            homes = draw_homes(study.seed, home_ids)
            return draw_assets(study.seed, home_ids, study.start, homes=homes)

        return SourceResult(table, _synthetic("assets"))


class UnreachableMarket(Source):
    """A live market source whose server never answers."""

    dataset = "market"
    kind = SourceKind.LIVE

    def fetch(self, study, options, inputs, context):
        raise SourceUnavailable("CAISO OASIS did not answer within 30 s (timeout)")


class GappyMarket(Source):
    """A live market source that silently lost one day, as a skipped chunk would."""

    dataset = "market"
    kind = SourceKind.LIVE

    def fetch(self, study, options, inputs, context):
        frame = TestMarket().fetch(study, options, inputs, context).data
        local_day = study.grid.tz_convert(study.timezone).normalize()
        frame = frame[local_day != local_day[0]].reset_index(drop=True)
        return SourceResult(frame, Provenance(SourceKind.LIVE, "test gappy OASIS", "0"))


def registry_of(*sources: type[Source]) -> Registry:
    """The shipped datasets (contracts and options), each served by ``sources`` alone; the
    forecasts, derived from the others by the shipped models, keep their own sources unless
    ``sources`` serves them."""
    shipped = default_registry()
    forecasts = {dataset.name for dataset in FORECAST_DATASETS}

    def served(dataset):
        given = [s for s in sources if s.dataset == dataset.name]
        if not given and dataset.name in forecasts:
            return dataset
        return dataset.with_sources(*given)

    return shipped.replace(*(served(d) for d in shipped.datasets))


def test_registry(*extra: type[Source]) -> Registry:
    """The shipped datasets served by the test sources (and ``extra``, e.g. a live source
    that fails); the system and the forecasts are the shipped synthetic models (fast,
    offline)."""
    return registry_of(
        TestWeather, TestSolar, TestMarket, TestLoad, TestAssets, PhysicsPv, SyntheticSystem, *extra
    )


test_registry.__test__ = registry_of.__test__ = False  # a factory, not a test
for _cls in (TestWeather, TestSolar, TestMarket, TestLoad, TestAssets):
    _cls.__test__ = False


def study_on(grid: pd.DatetimeIndex, latitude: float = 34.05, longitude: float = -118.24):
    """A :class:`Study` over ``grid`` (LA by default), for checking frames against contracts."""
    from vppsim.dataset.sources import Study

    local = grid.tz_convert("America/Los_Angeles")
    return Study(
        grid=grid,
        start=local[0].date(),
        end=local[-1].date(),
        timezone="America/Los_Angeles",
        latitude=latitude,
        longitude=longitude,
        interval_minutes=int((grid[1] - grid[0]).total_seconds() // 60),
        seed=0,
        homes=1,
    )


study_on.__test__ = False


def manifest_of(result) -> dict:
    """A build result's manifest as the JSON written to ``datapackage.json``."""
    import json

    return json.loads(result.manifest.to_json())
