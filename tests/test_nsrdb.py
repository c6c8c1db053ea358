import datetime as dt
import re
import time

import numpy as np
import pandas as pd
import pytest

from vppsim.dataset.schemas import check_table
from vppsim.errors import SourceUnavailable
from vppsim.grid import build_grid
from vppsim.http import new_client
from vppsim.rawcache import RawCache
from vppsim.weather.nsrdb import (
    NSRDB_PATH,
    get_nsrdb,
    nsrdb_request,
    nsrdb_to_grid,
    read_nsrdb,
    years_spanned,
)
from vppsim.weather.sources import WEATHER

from .conftest import ROOT_TESTS
from .fakeserver import FAKE_KEY, Canned, assert_no_key
from .sources import study_on

RECORDED = ROOT_TESTS / "data" / "nsrdb" / "psm4_conus_2023_30min_day1.csv"
SITE = {"latitude": 40.53, "longitude": -108.54}  # the recorded answer's point, UTC-7


@pytest.fixture
def recorded():
    return read_nsrdb(RECORDED.read_bytes())


def day_grid(days=1):
    return build_grid(dt.date(2023, 1, 1), dt.date(2023, 1, days), "America/Denver", 30)


def test_the_recorded_answer_parses(recorded):
    data, meta = recorded
    assert list(data.columns) == ["temp_air", "ghi", "dni", "dhi", "ghi_clear", "wind_speed"]
    assert len(data) == 48 and data.index[0] == pd.Timestamp("2023-01-01T07:00Z")
    assert meta["Version"] == "4.0.1" and meta["Time Zone"] == -7
    assert data["ghi"].max() == 222 and data["ghi_clear"].max() == 481


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (b"<html><body>502 Bad Gateway</body></html>", "unreadable answer"),
        (RECORDED.read_bytes()[:300], "unreadable answer"),
        (RECORDED.read_bytes().replace(b",Wind Speed,", b",Wind Gust,"), "lacks wind_speed"),
    ],
)
def test_broken_answers_are_refused(content, fragment):
    with pytest.raises(SourceUnavailable, match=fragment):
        read_nsrdb(content)


def test_mapping_onto_the_grid_meets_the_weather_contract(recorded):
    data, _ = recorded
    grid = day_grid()
    frame = nsrdb_to_grid(data, grid, 30, **SITE)
    assert frame.index.equals(grid)
    table = frame.rename_axis("timestamp").reset_index()
    assert check_table(WEATHER, table, study_on(grid), "nsrdb") == []
    # Interval averages: the 12:00-12:30 LST interval is the mean of its two instants.
    noon = frame.loc[pd.Timestamp("2023-01-01T19:00Z")]
    assert noon["ghi_w_m2"] == pytest.approx((157 + 133) / 2)
    assert noon["temp_air_c"] == pytest.approx((2.5 + 2.6) / 2)
    assert noon["clearsky_index"] == pytest.approx((157 + 133) / (479 + 481))
    night = frame.tz_convert("Etc/GMT+7").between_time("18:00", "06:00")
    assert (night[["ghi_w_m2", "dni_w_m2", "dhi_w_m2", "clearsky_index"]] == 0).all().all()


def test_an_answer_that_misses_part_of_the_study_is_refused(recorded):
    data, _ = recorded
    with pytest.raises(
        SourceUnavailable,
        match=re.escape("covers 2023-01-01 07:00Z .. 2023-01-02 06:30Z, not the study"),
    ):
        nsrdb_to_grid(data, day_grid(days=2), 30, **SITE)
    with pytest.raises(SourceUnavailable, match="gap after 2023-01-01T11:30"):
        nsrdb_to_grid(data.drop(data.index[10:12]), day_grid(), 30, **SITE)


def test_request_parameters_and_years():
    params = nsrdb_request("KEY", "me@example.org", 34.05, -118.24, 2023, 15)
    assert params["wkt"] == "POINT(-118.2400 34.0500)"
    assert params["names"] == "2023" and params["interval"] == "15" and params["utc"] == "false"
    assert params["attributes"] == "air_temperature,ghi,dni,dhi,clearsky_ghi,wind_speed"
    grid = build_grid(dt.date(2023, 12, 31), dt.date(2024, 1, 1), "America/Los_Angeles", 15)
    assert years_spanned(grid, -8) == [2023, 2024]
    assert np.all(np.diff(grid.asi8) > 0)


EMAIL = "someone@example.org"


def fetch_day(server, *answers, year=2023, cache=None, timeout_s=2.0, deadline_s=20.0):
    url = server.route(NSRDB_PATH, *answers)
    with new_client(timeout_s) as client:
        return get_nsrdb(
            client,
            FAKE_KEY,
            EMAIL,
            34.05,
            -118.24,
            year,
            30,
            base_url=url.removesuffix(NSRDB_PATH),
            cache=cache,
            deadline_s=deadline_s,
        )


def test_get_replays_the_recorded_answer_and_caches_it(server, tmp_path):
    cache = RawCache(tmp_path / "raw")
    content = fetch_day(
        server, Canned(200, RECORDED.read_bytes(), content_type="text/csv"), cache=cache
    )
    assert content == RECORDED.read_bytes()
    query = server.hits[0].query
    assert query["wkt"] == "POINT(-118.2400 34.0500)" and query["api_key"] == FAKE_KEY
    assert fetch_day(server, cache=cache) == content  # from the cache: no second request
    assert server.count(NSRDB_PATH) == 1
    stored = b"".join(path.read_bytes() for path in (tmp_path / "raw").rglob("*") if path.is_file())
    assert_no_key(stored)
    assert EMAIL.encode() not in stored


@pytest.mark.parametrize(
    ("answer", "fragment"),
    [
        (
            Canned(400, b'{"errors": ["The year 2023 is not available for this dataset."]}'),
            "HTTP 400: The year 2023 is not available",
        ),
        (
            Canned(403, b'{"error": {"code": "API_KEY_INVALID", "message": "An invalid api_key"}}'),
            "HTTP 403: API_KEY_INVALID",
        ),
        (Canned(200, b"<html>maintenance</html>", content_type="text/html"), "not a PSM4 CSV"),
    ],
)
def test_error_answers_are_clear_and_keyless(server, answer, fragment):
    with pytest.raises(SourceUnavailable, match=re.escape(fragment)) as caught:
        fetch_day(server, answer)
    assert_no_key(str(caught.value))
    assert EMAIL not in str(caught.value)


def test_a_silent_host_gives_up_within_the_deadline(server):
    started = time.monotonic()
    with pytest.raises(SourceUnavailable) as caught:
        fetch_day(server, Canned(200, b"", delay_s=10.0), timeout_s=20.0, deadline_s=1.0)
    assert time.monotonic() - started < 6  # was 4 attempts x 20 s
    assert str(caught.value).endswith("no answer within the 1 s deadline (ReadTimeout; 1 attempt)")
    assert server.count(NSRDB_PATH) == 1
    assert_no_key(str(caught.value))


def test_years_outside_the_archive_fail_without_a_request(server):
    with pytest.raises(SourceUnavailable, match="covers 2018-2024; 2026 is not served"):
        fetch_day(server, year=2026)
    assert server.hits == []
