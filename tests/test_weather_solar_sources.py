"""The weather and solar sources inside real builds: fallbacks, live replay, the raw cache."""

import datetime as dt

import numpy as np
import pandas as pd
import pvlib
import pytest

from vppsim.dataset.build import build_dataset
from vppsim.fleet.sources import PhysicsPv
from vppsim.solar.pvwatts import PVWATTS_PATH
from vppsim.solar.sources import PhysicsSolar, PVWattsSolar
from vppsim.system.sources import SyntheticSystem
from vppsim.weather.nsrdb import NSRDB_PATH
from vppsim.weather.sources import NsrdbWeather, SyntheticWeather

from .conftest import SHARED
from .fakeserver import FAKE_KEY, Canned, assert_no_key
from .sources import TestAssets, TestLoad, TestMarket, manifest_of, registry_of

EMAIL = "someone@example.org"
LONG_BEACH = SHARED / "reference" / "solar" / "pvwatts_v5_response_hourly_long_beach.json"


def registry():
    return registry_of(
        SyntheticWeather,
        NsrdbWeather,
        PhysicsSolar,
        PVWattsSolar,
        TestMarket,
        TestLoad,
        SyntheticSystem,
        TestAssets,
        PhysicsPv,
    )


def psm4_csv(year: int, latitude: float, longitude: float, interval: int = 15) -> bytes:
    """A PSM4 answer in the API's exact layout, with clear-sky values for the point."""
    stamps = pd.date_range(
        f"{year}-01-01",
        f"{year + 1}-01-01",
        freq=f"{interval}min",
        inclusive="left",
        tz="Etc/GMT+8",
    )
    clear = pvlib.location.Location(latitude, longitude).get_clearsky(stamps)
    rows = pd.DataFrame(
        {
            "Year": stamps.year,
            "Month": stamps.month,
            "Day": stamps.day,
            "Hour": stamps.hour,
            "Minute": stamps.minute,
            "Temperature": 22 + 6 * np.sin((stamps.hour - 9) / 24 * 2 * np.pi),
            "Clearsky GHI": clear["ghi"].round(),
            "DHI": clear["dhi"].round(),
            "DNI": clear["dni"].round(),
            "GHI": (0.9 * clear["ghi"]).round(),
            "Wind Speed": 2.5,
        }
    )
    head = (
        "Source,Location ID,City,State,Country,Latitude,Longitude,Time Zone,Elevation,"
        "Local Time Zone,Version\n"
        f"NSRDB,123456,-,-,-,{latitude},{longitude},-8,90,-8,4.0.1\n"
    )
    return (head + rows.to_csv(index=False, lineterminator="\n")).encode()


def test_without_keys_auto_falls_back_and_says_why(small_settings):
    result = build_dataset(small_settings(), registry())
    provenance = manifest_of(result)["provenance"]
    assert provenance["weather"]["kind"] == "synthetic"
    assert provenance["weather"]["fallback_reason"] == "no NLR_API_KEY configured for NSRDB"
    assert provenance["solar"]["source"] == "pvlib PVWatts-v8 chain on the weather dataset"
    assert "typical year" in provenance["solar"]["fallback_reason"]
    assert result.report.ok


def test_nsrdb_weather_live_is_cached_and_reused(small_settings, server, monkeypatch):
    url = server.route(
        NSRDB_PATH, Canned(200, psm4_csv(2023, 34.05, -118.24), content_type="text/csv")
    )
    monkeypatch.setenv("NLR_API_KEY", FAKE_KEY)
    monkeypatch.setenv("NLR_EMAIL", EMAIL)
    settings = small_settings(weather_source="live", nlr_base_url=url.removesuffix(NSRDB_PATH))
    result = build_dataset(settings, registry())
    weather = manifest_of(result)["provenance"]["weather"]
    assert weather["kind"] == "live" and weather["version"] == "4.0.1"
    assert weather["parameters"]["years"] == [2023]
    assert (
        "driven by the live weather"
        in manifest_of(result)["provenance"]["solar"]["notes"][0].lower()
    )
    frame = pd.read_csv(result.path / "weather.csv")
    daytime = frame["ghi_w_m2"] > 200
    assert frame.loc[daytime, "clearsky_index"].median() == pytest.approx(0.9, abs=0.01)
    assert (result.path / "raw" / "nsrdb").is_dir()
    build_dataset(settings, registry())  # the rerun reuses raw/ of the dataset it replaces
    assert server.count(NSRDB_PATH) == 1
    assert (result.path / "raw" / "nsrdb").is_dir()
    for path in result.path.rglob("*"):
        if path.is_file():
            assert_no_key(path.read_bytes())
            assert EMAIL.encode() not in path.read_bytes()


def test_live_weather_failure_is_fast_and_recorded(small_settings, server, monkeypatch):
    url = server.route(NSRDB_PATH, Canned(403, b'{"error": {"code": "API_KEY_INVALID"}}'))
    monkeypatch.setenv("NLR_API_KEY", FAKE_KEY)
    monkeypatch.setenv("NLR_EMAIL", EMAIL)
    result = build_dataset(small_settings(nlr_base_url=url.removesuffix(NSRDB_PATH)), registry())
    reason = manifest_of(result)["provenance"]["weather"]["fallback_reason"]
    assert "HTTP 403: API_KEY_INVALID" in reason
    assert_no_key(result.manifest.to_json())


@pytest.mark.skipif(not LONG_BEACH.is_file(), reason="needs ../shared/reference/solar")
def test_pvwatts_live_replays_the_recorded_answer(small_settings, server, monkeypatch):
    url = server.route(PVWATTS_PATH, Canned(200, LONG_BEACH.read_bytes()))
    monkeypatch.setenv("NLR_API_KEY", FAKE_KEY)
    settings = small_settings(solar_source="live", nlr_base_url=url.removesuffix(PVWATTS_PATH))
    result = build_dataset(settings, registry())
    solar = manifest_of(result)["provenance"]["solar"]
    assert solar["kind"] == "live" and "typical meteorological year" in solar["notes"][0]
    frame = pd.read_csv(result.path / "solar_data.csv")
    # The recorded answer is a 4 kW open-rack system; per kW, Aug 1-2 make a few kWh.
    daily = frame["generation_kw_per_kw_installed"].sum() * 0.25 / 2
    assert 3 < daily < 9
    assert result.report.ok


def test_the_default_study_builds_offline_and_is_coherent(tmp_path):
    from vppsim.config import load_settings

    settings = load_settings(
        {
            "out": tmp_path / "data",
            "homes": 2,
            "weather_source": "synthetic",
            "solar_source": "synthetic",
        },
        env_file=None,
    )
    result = build_dataset(settings, registry())
    assert result.report.ok
    weather = pd.read_csv(result.path / "weather.csv")
    solar = pd.read_csv(result.path / "solar_data.csv")
    assert len(weather) == len(solar) == 2976
    pv = solar["generation_kw_per_kw_installed"].to_numpy()
    # kWh/kW over August: CALIBRATION.md gives 160-170 for PVWatts on LA TMY weather.
    assert 145 < pv.sum() * 0.25 < 185
    assert pv.max() <= 1 / 1.2 + 1e-9
    # Clouds drive PV: the sunniest days make more than the cloudiest.
    day = pd.to_datetime(weather["timestamp"]).dt.tz_convert("America/Los_Angeles").dt.date
    energy = pd.Series(pv).groupby(day.to_numpy()).sum()
    index = weather["clearsky_index"].groupby(day.to_numpy()).mean()
    assert np.corrcoef(energy, index)[0, 1] > 0.5
    assert dt.date(2023, 8, 1) in energy.index


def test_weather_and_solar_are_byte_identical_for_the_same_seed(small_settings, tmp_path):
    first = build_dataset(small_settings(out=tmp_path / "a"), registry()).path
    second = build_dataset(small_settings(out=tmp_path / "b"), registry()).path
    for name in ("weather.csv", "solar_data.csv", "parquet/weather.parquet", "datapackage.json"):
        assert (first / name).read_bytes() == (second / name).read_bytes()
    other = build_dataset(small_settings(out=tmp_path / "c", seed=1), registry()).path
    assert (other / "weather.csv").read_bytes() != (first / "weather.csv").read_bytes()


def test_an_unreachable_host_falls_back_in_seconds(small_settings, monkeypatch):
    import socket
    import time

    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    monkeypatch.setenv("NLR_API_KEY", FAKE_KEY)
    monkeypatch.setenv("NLR_EMAIL", EMAIL)
    start = time.monotonic()
    result = build_dataset(small_settings(nlr_base_url=f"http://127.0.0.1:{port}"), registry())
    assert time.monotonic() - start < 15
    assert "host unreachable" in manifest_of(result)["provenance"]["weather"]["fallback_reason"]


def test_live_without_a_key_is_a_one_line_failure(tmp_path):
    from typer.testing import CliRunner

    from vppsim.cli import app

    result = CliRunner().invoke(
        app,
        ["build", "--only", "weather", "--source", "weather=live", "--out", str(tmp_path / "d")],
    )
    assert result.exit_code == 1
    assert result.stderr.strip() == (
        "error: weather (source=live): no NLR_API_KEY configured for NSRDB"
    )
    assert not (tmp_path / "d").exists()
