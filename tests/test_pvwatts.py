"""PVWatts v8 client, parser and typical-year mapping (local fake server only, no network)."""

from __future__ import annotations

import datetime as dt
import json
import math
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pvlib
import pytest

from vppsim.errors import ConfigError, SourceUnavailable
from vppsim.grid import build_grid
from vppsim.http import REDACTED, new_client
from vppsim.rawcache import RawCache
from vppsim.solar.night import SOLAR_NIGHT_ELEVATION_DEG, night_failures
from vppsim.solar.pvwatts import (
    PVWATTS_NOTE,
    PVWATTS_PATH,
    map_tmy_to_grid,
    pvwatts_params,
    pvwatts_provenance,
    read_pvwatts,
    tmy_hour_index,
    tmy_to_grid,
    to_lst,
)

from .conftest import SHARED
from .fakeserver import FAKE_KEY, Canned, assert_no_key, free_port

DATA = Path(__file__).parent / "data" / "pvwatts"
V5_HOURLY = SHARED / "reference" / "solar" / "pvwatts_v5_response_hourly_long_beach.json"
V8_DOCS = DATA / "v8_docs_example_monthly.json"
LA = "America/Los_Angeles"
LB_LAT, LB_LON = 33.8167, -118.15


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def v5_hourly() -> bytes:
    return V5_HOURLY.read_bytes()


def synthetic_tmy(latitude: float, longitude: float, utc_offset_hours: float) -> np.ndarray:
    """A clear-sky-like typical year [kW/kW]: sin(elevation) at each LST hour's middle."""
    lst = pd.date_range("2019-01-01 00:30", periods=8760, freq="h")
    utc = (lst - pd.Timedelta(hours=utc_offset_hours)).tz_localize("UTC")
    elevation = pvlib.solarposition.get_solarposition(utc, latitude, longitude)
    return 0.8 * np.clip(np.sin(np.radians(elevation["apparent_elevation"].to_numpy())), 0, None)


@pytest.fixture(scope="module")
def tmy() -> np.ndarray:
    """The recorded Long Beach year [kW/kW] when ../shared is there, else a synthetic one."""
    if V5_HOURLY.is_file():
        return read_pvwatts(V5_HOURLY.read_bytes()).ac_kw_per_kw
    return synthetic_tmy(LB_LAT, LB_LON, -8)


def v8_hourly_body(query: dict, ac_w_per_kw: np.ndarray | None = None) -> bytes:
    """A v8-shaped hourly answer: the docs example's shape, echoing the query (key too)."""
    body = json.loads(V8_DOCS.read_text())
    body["inputs"] = dict(query)  # v8 echoes every input, api_key included
    capacity = float(query.get("system_capacity", 1))
    if ac_w_per_kw is None:
        ac_w_per_kw = 1000 * synthetic_tmy(LB_LAT, LB_LON, -8)
    ac = (ac_w_per_kw * capacity).tolist()
    body["outputs"]["ac"] = ac
    body["outputs"]["ac_annual"] = sum(ac) / 1000
    body["station_info"]["tz"] = -8.0
    return json.dumps(body).encode()


def get(server, sleep, **kwargs) -> bytes:
    from vppsim.solar.pvwatts import get_pvwatts

    timeout = kwargs.pop("timeout_s", 5)
    api_key = kwargs.pop("api_key", FAKE_KEY)
    with new_client(timeout) as client:
        return get_pvwatts(
            client, api_key, LB_LAT, LB_LON, base_url=server.base_url, sleep=sleep, **kwargs
        )


def failure(server, sleep, **kwargs) -> str:
    with pytest.raises(SourceUnavailable) as info:
        get(server, sleep, **kwargs)
    message = str(info.value)
    assert message.startswith("PVWatts v8: ")
    assert_no_key(message, repr(info.value))
    return message


# --------------------------------------------------------------------------- request


def test_request_parameters_follow_v8():
    params = pvwatts_params(FAKE_KEY, 33.81666, -118.15)
    assert params == {
        "api_key": FAKE_KEY,
        "lat": "33.81666",
        "lon": "-118.15",
        "system_capacity": "1",
        "module_type": "0",
        "losses": "14.08",
        "array_type": "1",
        "tilt": "20",
        "azimuth": "180",
        "dc_ac_ratio": "1.2",
        "inv_eff": "96",
        "dataset": "nsrdb",
        "timeframe": "hourly",
    }
    extra = pvwatts_params(
        FAKE_KEY, 0, 0, radius=0, gcr=0.4, bifaciality=0.7, albedo=0.3, soiling=[1] * 12
    )
    assert extra["radius"] == "0" and extra["bifaciality"] == "0.7"
    assert extra["albedo"] == "0.3" and extra["soiling"] == "|".join(["1"] * 12)
    for bad in ({"tilt": 91}, {"azimuth": 360}, {"dataset": "psm3"}, {"array_type": 5}):
        with pytest.raises(ConfigError):
            pvwatts_params(FAKE_KEY, 0, 0, **bad)


# --------------------------------------------------------------------------- replay


@pytest.mark.reference
def test_recorded_v5_answer_replayed_through_server(server, sleeps, v5_hourly, tmp_path):
    recorded, sleep = sleeps
    server.route(PVWATTS_PATH, Canned(200, v5_hourly))
    cache = RawCache(tmp_path / "raw")
    content = get(server, sleep, cache=cache)
    assert content == v5_hourly  # served bytes come back unchanged (no key in them)
    result = read_pvwatts(content)
    assert result.ac_kw_per_kw.shape == (8760,)
    assert result.version == "1.3.0"
    assert result.station_info["tz"] == -8.0 and result.utc_offset_hours == -8.0
    assert result.station_info["solar_resource_file"] == "23129.tm2"
    # 4 kW system: ac_annual 5463.36 kWh = sum(ac) / 1000.
    assert result.annual_kwh_per_kw * 4 == pytest.approx(5463.36, abs=0.01)
    assert result.ac_kw_per_kw.min() == 0.0 and result.ac_kw_per_kw.max() < 1.0
    monthly = json.loads(v5_hourly)["outputs"]["ac_monthly"]
    days = pd.date_range("2019-01-01", periods=8760, freq="h").month
    by_month = pd.Series(result.ac_kw_per_kw * 4).groupby(days).sum().to_numpy()
    np.testing.assert_allclose(by_month, monthly, rtol=1e-4)
    # The request the server saw.
    query = server.hits[0].query
    assert server.hits[0].path == "/api/pvwatts/v8.json"
    assert query["api_key"] == FAKE_KEY and query["timeframe"] == "hourly"
    assert query["dataset"] == "nsrdb" and query["losses"] == "14.08"
    assert recorded == []


@pytest.mark.reference
def test_recorded_hour_convention_is_hour_beginning_lst(v5_hourly):
    """Hour i covers [i, i+1) LST: never output while the sun is down all that hour."""
    result = read_pvwatts(v5_hourly)
    lst = pd.date_range("2019-01-01", periods=8760 * 4 + 1, freq="15min")
    utc = (lst - pd.Timedelta(hours=-8)).tz_localize("UTC")
    station = result.station_info
    elevation = pvlib.solarposition.get_solarposition(utc, station["lat"], station["lon"])
    up = (elevation["apparent_elevation"].to_numpy() > -1.0)[:-1].reshape(8760, 4).any(axis=1)
    lit = result.ac_kw_per_kw > 0
    assert not (lit & ~up).any()  # hour-beginning: consistent
    assert (lit & ~np.roll(up, 1)).sum() > 100  # hour-ending would put output at night
    assert lit[7] and not lit[6] and lit[16] and not lit[17]  # 1 Jan: 07-08 to 16-17 LST


def test_v8_shape_and_key_echo_are_handled(server, sleeps, tmp_path):
    recorded, sleep = sleeps
    server.route(PVWATTS_PATH, Canned(200, v8_hourly_body))
    cache = RawCache(tmp_path / "raw")
    content = get(server, sleep, cache=cache, system_capacity=4)
    assert recorded == []
    assert b'"api_key": "**********"' in content
    result = read_pvwatts(content)
    assert result.version == "8.0.0"
    assert result.station_info["weather_data_source"].startswith("NSRDB PSM V3")
    assert result.inputs["api_key"] == REDACTED and result.inputs["system_capacity"] == "4"
    np.testing.assert_allclose(result.ac_kw_per_kw, synthetic_tmy(LB_LAT, LB_LON, -8), atol=1e-12)
    provenance = pvwatts_provenance(result)
    assert provenance["note"] == PVWATTS_NOTE and "typical meteorological year" in PVWATTS_NOTE
    assert_no_key(content, repr(result), json.dumps(provenance))
    assert_no_key(b"".join(p.read_bytes() for p in (tmp_path / "raw").rglob("*") if p.is_file()))


def test_docs_example_monthly_is_rejected_as_not_hourly():
    with pytest.raises(SourceUnavailable, match=r"no hourly outputs\.ac"):
        read_pvwatts(V8_DOCS.read_bytes())


# --------------------------------------------------------------------------- failures


def test_forbidden_key(server, sleeps):
    recorded, sleep = sleeps
    body = {
        "error": {
            "code": "API_KEY_INVALID",
            "message": "An invalid api_key was supplied. Get one at https://developer.nlr.gov:443",
        }
    }
    server.route(PVWATTS_PATH, Canned(403, json.dumps(body).encode()))
    message = failure(server, sleep)
    assert "HTTP 403" in message and "API_KEY_INVALID" in message
    assert "the API key is invalid" in message and "NLR_API_KEY" in message
    assert server.count(PVWATTS_PATH) == 1 and recorded == []


def test_missing_key_fails_without_a_request(server, sleeps):
    recorded, sleep = sleeps
    server.route(PVWATTS_PATH, Canned(200, b"{}"))
    message = failure(server, sleep, api_key="")
    assert "no API key" in message and server.count(PVWATTS_PATH) == 0 and recorded == []


def test_unprocessable_lists_the_errors(server, sleeps):
    recorded, sleep = sleeps

    def body(query):  # v8 echoes the inputs, key included, next to the errors
        return json.dumps(
            {
                "inputs": query,
                "errors": ["Tilt must be between 0 and 90 degrees.", "Losses is invalid."],
                "warnings": [],
                "version": "8.4.0",
            }
        ).encode()

    server.route(PVWATTS_PATH, Canned(422, body))
    message = failure(server, sleep)
    assert "HTTP 422" in message
    assert "Tilt must be between 0 and 90 degrees.; Losses is invalid." in message
    assert recorded == [] and server.count(PVWATTS_PATH) == 1


def test_rate_limited_then_served(server, sleeps):
    recorded, sleep = sleeps
    limited = Canned(
        429,
        b'{"error": {"code": "OVER_RATE_LIMIT", "message": "You have exceeded your rate limit."}}',
        {"Retry-After": "9", "X-RateLimit-Limit": "1000", "X-RateLimit-Remaining": "0"},
    )
    server.route(PVWATTS_PATH, limited, Canned(200, v8_hourly_body))
    read_pvwatts(get(server, sleep))
    assert recorded == [9.0] and server.count(PVWATTS_PATH) == 2


def test_rate_limited_forever(server, sleeps):
    recorded, sleep = sleeps
    body = (
        b'{"error": {"code": "OVER_RATE_LIMIT", "message": "You have exceeded your rate limit."}}'
    )
    server.route(PVWATTS_PATH, Canned(429, body))
    message = failure(server, sleep, attempts=3)
    assert message == "PVWatts v8: HTTP 429 OVER_RATE_LIMIT after 3 attempts"
    assert recorded == [1.0, 2.0]


def test_read_timeout(server, sleeps):
    recorded, sleep = sleeps
    server.route(PVWATTS_PATH, Canned(200, b"{}", delay_s=1.0))
    started = time.monotonic()
    message = failure(server, sleep, timeout_s=0.3, attempts=2)
    assert message == "PVWatts v8: timed out after 0.3 s (2 attempts)"
    assert time.monotonic() - started < 3 and recorded == [1.0]


def test_a_silent_host_gives_up_within_the_deadline(server, sleeps):
    recorded, sleep = sleeps
    server.route(PVWATTS_PATH, Canned(200, b"{}", delay_s=10.0))
    started = time.monotonic()
    message = failure(server, sleep, timeout_s=20.0, deadline_s=1.0)
    assert message == "PVWatts v8: no answer within the 1 s deadline (ReadTimeout; 1 attempt)"
    assert time.monotonic() - started < 6 and recorded == []  # was 4 attempts x 20 s


def test_connection_refused_is_fast(sleeps):
    recorded, sleep = sleeps
    from vppsim.solar.pvwatts import get_pvwatts

    started = time.monotonic()
    with new_client(20) as client, pytest.raises(SourceUnavailable) as info:
        get_pvwatts(
            client,
            FAKE_KEY,
            LB_LAT,
            LB_LON,
            base_url=f"http://127.0.0.1:{free_port()}",
            sleep=sleep,
        )
    assert time.monotonic() - started < 3
    assert "PVWatts v8: host unreachable" in str(info.value) and recorded == []
    assert_no_key(str(info.value), repr(info.value))


@pytest.mark.parametrize("status", [200, 502])
def test_html_error_page(server, sleeps, status):
    recorded, sleep = sleeps
    html = (
        b"<html>\n<head><title>Request Rejected</title></head>\n<body>An error has occurred. "
        b"Please consult with your administrator.</body></html>"
    )
    server.route(PVWATTS_PATH, Canned(status, html, content_type="text/html"))
    message = failure(server, sleep, attempts=2)
    if status == 200:
        assert "answered with HTML (first 80 chars: '<html> <head><title>Request" in message
        assert recorded == []
    else:
        assert message == "PVWatts v8: HTTP 502 (HTML error page) after 2 attempts"
        assert recorded == [1.0]


def test_truncated_json(server, sleeps):
    recorded, sleep = sleeps
    body = v8_hourly_body({"system_capacity": "1", "api_key": FAKE_KEY})
    server.route(PVWATTS_PATH, Canned(200, body[: len(body) // 2]))
    message = failure(server, sleep)
    assert "answered with non-JSON (first 80 chars: " in message and recorded == []


def test_200_with_errors(server, sleeps):
    recorded, sleep = sleeps
    body = {
        "inputs": {},
        "errors": ["An internal error occurred in the pvwattsv8 module."],
        "warnings": [],
        "version": "8.4.0",
        "outputs": {},
    }
    server.route(PVWATTS_PATH, Canned(200, json.dumps(body).encode()))
    message = failure(server, sleep)
    assert "the answer lists errors: An internal error occurred in the pvwattsv8 module." in message
    assert recorded == []


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda b: b["outputs"].update(ac=b["outputs"]["ac"][:-1]), r"shape \(8759,\)"),
        (lambda b: b["outputs"]["ac"].__setitem__(100, -50.0), "negative"),
        (lambda b: b["outputs"]["ac"].__setitem__(100, None), "non-finite"),
        (lambda b: b["outputs"].update(ac_annual=1.0), "does not match ac_annual"),
        (lambda b: b["station_info"].pop("tz"), "station_info.tz"),
        (lambda b: b["inputs"].pop("system_capacity"), "system_capacity"),
    ],
)
def test_malformed_answers_are_rejected(change, expected):
    body = json.loads(v8_hourly_body({"system_capacity": "1"}))
    change(body)
    with pytest.raises(SourceUnavailable, match=expected):
        read_pvwatts(json.dumps(body).encode())


# --------------------------------------------------------------------------- cache


def test_second_call_is_served_from_cache(server, sleeps, tmp_path):
    recorded, sleep = sleeps
    server.route(PVWATTS_PATH, Canned(200, v8_hourly_body))
    cache = RawCache(tmp_path / "raw")
    first = get(server, sleep, cache=cache)
    second = get(server, sleep, cache=cache)
    also = get(server, sleep, cache=cache, api_key="another-key-0123456789")
    assert first == second == also and server.count(PVWATTS_PATH) == 1 and recorded == []
    # Another system is another request.
    get(server, sleep, cache=cache, tilt=30)
    assert server.count(PVWATTS_PATH) == 2


def test_previous_build_cache_is_used_and_copied(server, sleeps, tmp_path):
    recorded, sleep = sleeps
    server.route(PVWATTS_PATH, Canned(200, v8_hourly_body))
    old = tmp_path / "data" / "raw"
    first = get(server, sleep, cache=RawCache(old))
    staging = tmp_path / "staging" / "raw"
    again = get(server, sleep, cache=RawCache(staging, previous=old), api_key="")
    assert again == first and server.count(PVWATTS_PATH) == 1 and recorded == []
    assert len(list((staging / "pvwatts").glob("*.meta.json"))) == 1
    names = sorted(path.name for path in (staging / "pvwatts").iterdir())
    assert len(names) == 2 and names[1] == names[0].replace(".json", ".meta.json")


def test_corrupted_cache_entry_is_refetched(server, sleeps, tmp_path):
    recorded, sleep = sleeps
    server.route(PVWATTS_PATH, Canned(200, v8_hourly_body))
    cache = RawCache(tmp_path / "raw")
    first = get(server, sleep, cache=cache)
    (data,) = [p for p in (tmp_path / "raw" / "pvwatts").iterdir() if "meta" not in p.name]
    data.write_bytes(first.replace(b'"ac"', b'"xx"'))
    assert get(server, sleep, cache=cache) == first
    assert server.count(PVWATTS_PATH) == 2 and recorded == []
    assert data.read_bytes() == first  # rewritten


# --------------------------------------------------------------------------- tmy_to_grid


def hourly_means(values, grid, utc_offset_hours, interval_minutes):
    """Mean per complete LST hour, and the typical-year index of each hour."""
    lst = to_lst(grid, utc_offset_hours)
    grouped = pd.Series(values).groupby(lst.floor("h")).agg(["mean", "count"])
    full = grouped[grouped["count"] == 60 // interval_minutes]
    return full["mean"].to_numpy(), tmy_hour_index(pd.DatetimeIndex(full.index))


def test_august_in_los_angeles(tmy):
    grid = build_grid(dt.date(2023, 8, 1), dt.date(2023, 8, 31), LA, 15)
    lst = to_lst(grid, -8)
    assert grid[0] == pd.Timestamp("2023-08-01 07:00", tz="UTC")
    assert lst[0] == pd.Timestamp("2023-07-31 23:00")  # 00:00 PDT = 23:00 PST the day before
    assert tmy_hour_index(lst[:1])[0] == (212 - 1) * 24 + 23
    mapping = map_tmy_to_grid(tmy, grid, 15, -8, LB_LAT, LB_LON)
    values = mapping.values
    assert values.shape == (2976,) and values.min() == 0.0
    assert mapping.dropped_hours == 0 and mapping.dropped_kwh_per_kw == 0.0
    # Energy is conserved hour by hour: the mean of 4 quarter-hours is the hourly value.
    means, index = hourly_means(values, grid, -8, 15)
    assert len(means) == 744
    np.testing.assert_allclose(means, tmy[index], rtol=1e-12, atol=1e-12)
    # Exactly zero in hours without energy, and nothing while the sun is down.
    hour_of = tmy_hour_index(lst)
    assert (values[tmy[hour_of] == 0] == 0).all()
    assert night_failures(pd.Series(values), pd.Series(grid), LB_LAT, LB_LON, 15, "pv") == []
    # The mean daily curve peaks near solar noon, about 12:57 PDT here.
    pdt = grid.tz_convert(LA)
    profile = pd.Series(values).groupby(pdt.hour * 60 + pdt.minute).mean()
    peak = profile.idxmax()
    assert 12 * 60 + 15 <= peak <= 13 * 60 + 30


def test_tmy_to_grid_matches_map_and_validates_inputs(tmy):
    grid = build_grid(dt.date(2023, 8, 1), dt.date(2023, 8, 2), LA, 15)
    mapped = map_tmy_to_grid(tmy, grid, 15, -8, LB_LAT, LB_LON).values
    np.testing.assert_array_equal(tmy_to_grid(tmy, grid, 15, -8, LB_LAT, LB_LON), mapped)
    with pytest.raises(ValueError, match="8760"):
        tmy_to_grid(tmy[:-1], grid, 15, -8, LB_LAT, LB_LON)
    with pytest.raises(ValueError, match="timezone-aware"):
        tmy_to_grid(tmy, grid.tz_localize(None), 15, -8, LB_LAT, LB_LON)


@pytest.mark.parametrize(
    ("day", "intervals", "first_index", "hours"),
    [
        # 12 Mar 2023 (23 h): 08:00Z-07:00Z = 00:00-23:00 LST on 12 Mar.
        (dt.date(2023, 3, 12), 92, (59 + 12 - 1) * 24, 23),
        # 5 Nov 2023 (25 h): 07:00Z-08:00Z = 23:00 LST on 4 Nov to 00:00 LST on 6 Nov.
        (dt.date(2023, 11, 5), 100, (304 + 4 - 1) * 24 + 23, 25),
    ],
)
def test_dst_days(tmy, day, intervals, first_index, hours):
    grid = build_grid(day, day, LA, 15)
    assert len(grid) == intervals
    values = tmy_to_grid(tmy, grid, 15, -8, LB_LAT, LB_LON)
    expected = tmy[first_index : first_index + hours]
    assert values.sum() / 4 == pytest.approx(expected.sum(), rel=1e-12)
    means, index = hourly_means(values, grid, -8, 15)
    np.testing.assert_array_equal(index, np.arange(first_index, first_index + hours))
    np.testing.assert_allclose(means, expected, rtol=1e-12, atol=1e-15)
    assert night_failures(pd.Series(values), pd.Series(grid), LB_LAT, LB_LON, 15, "pv") == []


def test_pdt_hour_maps_to_the_lst_hour_before(tmy):
    grid = build_grid(dt.date(2023, 8, 15), dt.date(2023, 8, 15), LA, 15)
    values = tmy_to_grid(tmy, grid, 15, -8, LB_LAT, LB_LON)
    pdt = grid.tz_convert(LA)
    one_pm = np.asarray(pdt.hour == 13)  # 13:00-14:00 PDT = 12:00-13:00 PST
    day_index = (212 + 15 - 1) * 24
    assert values[one_pm].mean() == pytest.approx(tmy[day_index + 12], rel=1e-12)


def test_leap_day_uses_28_february(tmy):
    grid = build_grid(dt.date(2024, 2, 28), dt.date(2024, 3, 1), LA, 15)
    values = tmy_to_grid(tmy, grid, 15, -8, LB_LAT, LB_LON)
    means, index = hourly_means(values, grid, -8, 15)
    feb28 = (31 + 28 - 1) * 24
    assert (index[24:48] == np.arange(feb28, feb28 + 24)).all()  # 29 Feb
    assert (index[48:72] == np.arange(feb28 + 24, feb28 + 48)).all()  # 1 Mar
    np.testing.assert_allclose(means[24:48], means[0:24], rtol=1e-12, atol=1e-15)
    assert night_failures(pd.Series(values), pd.Series(grid), LB_LAT, LB_LON, 15, "pv") == []


def test_years_repeat_across_new_year_and_leap_year(tmy):
    grid = build_grid(dt.date(2022, 12, 30), dt.date(2024, 6, 2), LA, 15)
    values = tmy_to_grid(tmy, grid, 15, -8, LB_LAT, LB_LON)
    means, index = hourly_means(values, grid, -8, 15)
    np.testing.assert_allclose(means, tmy[index], rtol=1e-12, atol=1e-15)
    lst = to_lst(grid, -8)
    assert tmy_hour_index(lst[:1])[0] == (364 - 1) * 24  # 30 Dec 00:00 LST
    new_year = np.flatnonzero(np.asarray(lst == pd.Timestamp("2023-01-01 00:00")))[0]
    assert tmy_hour_index(lst[new_year - 1 : new_year + 1]).tolist() == [8759, 0]
    # 1 June 2023 and 1 June 2024 use the same typical day.
    for year in (2023, 2024):
        day = np.asarray(lst.normalize() == pd.Timestamp(f"{year}-06-01"))
        assert tmy_hour_index(lst[day])[0] == (151 + 1 - 1) * 24
    june = [values[np.asarray(lst.normalize() == pd.Timestamp(f"{y}-06-01"))] for y in (2023, 2024)]
    assert june[0].sum() == pytest.approx(june[1].sum(), rel=1e-12)
    assert night_failures(pd.Series(values), pd.Series(grid), LB_LAT, LB_LON, 15, "pv") == []


@pytest.mark.parametrize("interval", [5, 30, 60])
def test_other_interval_lengths(tmy, interval):
    grid = build_grid(dt.date(2023, 7, 1), dt.date(2023, 7, 3), LA, interval)
    values = tmy_to_grid(tmy, grid, interval, -8, LB_LAT, LB_LON)
    means, index = hourly_means(values, grid, -8, interval)
    np.testing.assert_allclose(means, tmy[index], rtol=1e-12, atol=1e-15)
    assert night_failures(pd.Series(values), pd.Series(grid), LB_LAT, LB_LON, interval, "pv") == []


def test_half_hour_offset_zone():
    """India (UTC+5:30): LST hours straddle UTC quarter-hours; energy is still conserved."""
    lat, lon = 28.61, 77.21
    hourly = synthetic_tmy(lat, lon, 5.5)
    grid = build_grid(dt.date(2023, 4, 1), dt.date(2023, 4, 2), "Asia/Kolkata", 15)
    mapping = map_tmy_to_grid(hourly, grid, 15, 5.5, lat, lon)
    means, index = hourly_means(mapping.values, grid, 5.5, 15)
    np.testing.assert_allclose(means, hourly[index], rtol=1e-12, atol=1e-15)
    assert mapping.dropped_hours == 0
    assert night_failures(pd.Series(mapping.values), pd.Series(grid), lat, lon, 15, "pv") == []


def _quarter_elevations(day: dt.date):
    grid = build_grid(day, day, LA, 15)
    points = grid.append(pd.DatetimeIndex([grid[-1] + pd.Timedelta(minutes=15)]))
    halves = pd.date_range(points[0], points[-1], freq="450s")
    elevation = pvlib.solarposition.get_solarposition(halves, LB_LAT, LB_LON)
    return grid, elevation["apparent_elevation"].to_numpy()


def test_energy_in_a_dark_hour_is_dropped_and_counted():
    hourly = np.zeros(8760)
    index = (10 - 1) * 24 + 2  # 10 Jan, 02:00-03:00 LST
    hourly[index] = 0.5
    grid = build_grid(dt.date(2023, 1, 10), dt.date(2023, 1, 10), LA, 15)
    mapping = map_tmy_to_grid(hourly, grid, 15, -8, LB_LAT, LB_LON)
    assert (mapping.values == 0).all()
    assert mapping.dropped_hours == 1 and mapping.dropped_kwh_per_kw == pytest.approx(0.5)


def test_energy_in_an_hour_with_only_twilight_goes_to_partly_lit_quarters():
    # Find an LST hour whose four quarter middles are all below the horizon but where the
    # sun is above SOLAR_NIGHT_ELEVATION_DEG at some quarter end (sunrise or sunset).
    for offset in range(60):
        day = dt.date(2023, 1, 1) + dt.timedelta(days=offset)
        grid, elevation = _quarter_elevations(day)
        starts, middles, ends = elevation[0:-1:2], elevation[1::2], elevation[2::2]
        for hour in range(len(grid) // 4):
            quarters = slice(4 * hour, 4 * hour + 4)
            lit = ~(
                (starts[quarters] < SOLAR_NIGHT_ELEVATION_DEG)
                & (ends[quarters] < SOLAR_NIGHT_ELEVATION_DEG)
            )
            if (middles[quarters] <= 0).all() and lit.any():
                break
        else:
            continue
        break
    else:
        pytest.fail("no twilight-only hour found in Jan-Feb")
    lst_hour = to_lst(grid[4 * hour : 4 * hour + 1], -8)
    hourly = np.zeros(8760)
    hourly[tmy_hour_index(lst_hour)[0]] = 0.02
    mapping = map_tmy_to_grid(hourly, grid, 15, -8, LB_LAT, LB_LON)
    assert mapping.fallback_hours == 1 and mapping.dropped_hours == 0
    assert mapping.values.sum() / 4 == pytest.approx(0.02)
    assert (mapping.values[4 * hour : 4 * hour + 4][~lit] == 0).all()
    assert (mapping.values[4 * hour : 4 * hour + 4][lit] > 0).all()
    assert night_failures(pd.Series(mapping.values), pd.Series(grid), LB_LAT, LB_LON, 15, "x") == []
    assert math.isclose(mapping.values.max() * lit.sum() / 4, 0.02)
