"""vppsim.http and vppsim.rawcache against a real local HTTP server (no network)."""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path

import httpx
import pytest

from vppsim.errors import SourceUnavailable
from vppsim.http import (
    REDACTED,
    USER_AGENT,
    RateLimiter,
    error_summary,
    fetch,
    new_client,
    redact_params,
    redact_url,
    scrub_bytes,
    server_wait,
)
from vppsim.rawcache import RawCache, cache_key

from .fakeserver import FAKE_KEY, Canned, assert_no_key, free_port

SOURCE = "Test source"


PARAMS = {"lat": "33.8", "lon": "-118.2", "api_key": FAKE_KEY}


# --------------------------------------------------------------------------- redaction


def test_redact_url_and_params_hide_secret_values_only():
    url = f"https://developer.nlr.gov/api/pvwatts/v8.json?api_key={FAKE_KEY}&lat=33.8&API_KEY=x"
    redacted = redact_url(url)
    assert FAKE_KEY not in redacted
    assert "api_key=**********" in redacted and "lat=33.8" in redacted
    assert "API_KEY=**********" in redacted  # names match case-insensitively
    assert redact_url(httpx.URL(url), secrets=("lat",)).count(REDACTED) == 1
    assert "user:**********@" in redact_url("https://user:pw@host/x")
    params = {"api_key": FAKE_KEY, "email": "me@example.org", "lat": 1}
    assert redact_params(params, ("api_key", "email")) == {
        "api_key": REDACTED,
        "email": REDACTED,
        "lat": 1,
    }
    assert params["api_key"] == FAKE_KEY  # a copy, not in place


def test_scrub_bytes_removes_raw_and_url_encoded_values():
    content = f'{{"inputs": {{"api_key": "{FAKE_KEY}"}}, "u": "a%20b{FAKE_KEY}"}}'.encode()
    scrubbed = scrub_bytes(content, [FAKE_KEY, "a b"])
    assert_no_key(scrubbed)
    assert json.loads(scrubbed)["inputs"]["api_key"] == REDACTED


def test_new_client_sets_timeouts_and_user_agent():
    with new_client(7.5) as client:
        assert client.timeout.read == 7.5 and client.timeout.write == 7.5
        assert client.timeout.pool == 7.5 and client.timeout.connect == 7.5
        assert client.headers["User-Agent"].startswith("vppsim/")
    with new_client(120) as client:
        assert client.timeout.connect == 10.0  # unreachable hosts fail fast
        assert client.timeout.read == 120


# --------------------------------------------------------------------------- fetch


def test_fetch_returns_success_and_sends_params_and_user_agent(server, sleeps):
    recorded, sleep = sleeps
    url = server.route("/ok", Canned(200, b'{"fine": true}'))
    with new_client(5) as client:
        response = fetch(client, url, PARAMS, source=SOURCE, sleep=sleep)
    assert response.status_code == 200 and response.json() == {"fine": True}
    assert server.hits[0].query == PARAMS
    assert server.hits[0].headers["User-Agent"] == USER_AGENT
    assert recorded == []


def test_fetch_returns_non_retryable_4xx_at_once(server, sleeps):
    recorded, sleep = sleeps
    url = server.route("/bad", Canned(422, b'{"errors": ["tilt out of range"]}'))
    with new_client(5) as client:
        response = fetch(client, url, PARAMS, source=SOURCE, sleep=sleep)
    assert response.status_code == 422
    assert server.count("/bad") == 1 and recorded == []
    assert error_summary(response) == "tilt out of range"


def test_429_then_200_honours_retry_after(server, sleeps, caplog):
    recorded, sleep = sleeps
    url = server.route(
        "/limited",
        Canned(429, b'{"error": {"code": "OVER_RATE_LIMIT"}}', {"Retry-After": "7"}),
        Canned(200, b"{}"),
    )
    with new_client(5) as client, caplog.at_level(logging.WARNING):
        response = fetch(client, url, PARAMS, source=SOURCE, sleep=sleep)
    assert response.status_code == 200
    assert recorded == [7.0]
    assert server.count("/limited") == 2
    assert "retrying" in caplog.text and REDACTED in caplog.text
    assert_no_key(caplog.text)


def test_429_with_ratelimit_reset_waits_until_reset(server, sleeps):
    recorded, sleep = sleeps
    headers = {"X-RateLimit-Limit": "1000", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "12"}
    url = server.route("/reset", Canned(429, b"{}", headers), Canned(200, b"{}"))
    with new_client(5) as client:
        assert fetch(client, url, PARAMS, source=SOURCE, sleep=sleep).status_code == 200
    assert recorded == [12.0]


def test_429_forever_backs_off_exponentially_then_gives_up(server, sleeps):
    recorded, sleep = sleeps
    body = (
        b'{"error": {"code": "OVER_RATE_LIMIT", "message": "You have exceeded your rate limit."}}'
    )
    url = server.route("/always429", Canned(429, body))
    with new_client(5) as client, pytest.raises(SourceUnavailable) as info:
        fetch(client, url, PARAMS, source=SOURCE, sleep=sleep, attempts=4)
    assert str(info.value) == f"{SOURCE}: HTTP 429 OVER_RATE_LIMIT after 4 attempts"
    assert recorded == [1.0, 2.0, 4.0]
    assert server.count("/always429") == 4
    assert_no_key(info.value, repr(info.value))


def test_quota_used_up_without_reset_gives_up_at_once(server, sleeps):
    """api.data.gov's hourly quota: X-RateLimit-Remaining: 0 and no reset time."""
    recorded, sleep = sleeps
    headers = {"X-RateLimit-Limit": "1000", "X-RateLimit-Remaining": "0"}
    url = server.route("/quota", Canned(429, b'{"error": {"code": "OVER_RATE_LIMIT"}}', headers))
    with new_client(5) as client, pytest.raises(SourceUnavailable) as info:
        fetch(client, url, PARAMS, source=SOURCE, sleep=sleep, max_wait_s=60)
    message = str(info.value)
    assert "X-RateLimit-Remaining: 0" in message and "max_wait_s=60" in message
    assert "after 1 attempt" in message
    assert recorded == [] and server.count("/quota") == 1


def test_retry_after_longer_than_max_wait_gives_up_at_once(server, sleeps):
    recorded, sleep = sleeps
    url = server.route("/long", Canned(503, b"{}", {"Retry-After": "3600"}))
    with new_client(5) as client, pytest.raises(SourceUnavailable) as info:
        fetch(client, url, PARAMS, source=SOURCE, sleep=sleep, max_wait_s=30)
    assert "wait 3600 s" in str(info.value) and "HTTP 503" in str(info.value)
    assert recorded == []


def test_5xx_then_200_and_html_502_forever(server, sleeps):
    recorded, sleep = sleeps
    url = server.route("/flaky", Canned(503, b"busy"), Canned(200, b"{}"))
    with new_client(5) as client:
        assert fetch(client, url, PARAMS, source=SOURCE, sleep=sleep).status_code == 200
    assert recorded == [1.0]
    html = b"<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>"
    url = server.route("/gateway", Canned(502, html, content_type="text/html"))
    with new_client(5) as client, pytest.raises(SourceUnavailable) as info:
        fetch(client, url, PARAMS, source=SOURCE, sleep=sleep, attempts=3)
    assert str(info.value) == f"{SOURCE}: HTTP 502 (HTML error page) after 3 attempts"


def test_read_timeout_is_retried_then_reported(server, sleeps):
    recorded, sleep = sleeps
    url = server.route("/slow", Canned(200, b"{}", delay_s=1.0))
    started = time.monotonic()
    with new_client(0.3) as client, pytest.raises(SourceUnavailable) as info:
        fetch(client, url, PARAMS, source=SOURCE, sleep=sleep, attempts=2)
    assert str(info.value) == f"{SOURCE}: timed out after 0.3 s (2 attempts)"
    assert recorded == [1.0]
    assert time.monotonic() - started < 3
    assert_no_key(info.value, repr(info.value))


def test_read_timeout_then_success(server, sleeps):
    recorded, sleep = sleeps
    url = server.route("/slowfirst", Canned(200, b"{}", delay_s=1.0), Canned(200, b'{"n": 2}'))
    with new_client(0.3) as client:
        assert fetch(client, url, PARAMS, source=SOURCE, sleep=sleep).json() == {"n": 2}
    assert recorded == [1.0]


def test_a_host_that_never_answers_costs_the_deadline_not_attempts_x_timeout(server, sleeps):
    # Accepts the connection, then says nothing: with a 20 s timeout and 4 attempts this
    # used to take 80 s and more. The deadline caps the attempt's timeout at the time left.
    recorded, sleep = sleeps
    url = server.route("/silent", Canned(200, b"{}", delay_s=10.0))
    started = time.monotonic()
    with new_client(20) as client, pytest.raises(SourceUnavailable) as info:
        fetch(client, url, PARAMS, source=SOURCE, sleep=sleep, attempts=4, deadline_s=1.0)
    assert time.monotonic() - started < 5
    assert (
        str(info.value) == f"{SOURCE}: no answer within the 1 s deadline (ReadTimeout; 1 attempt)"
    )
    assert server.count("/silent") == 1 and recorded == []
    assert_no_key(info.value, repr(info.value))


def test_no_wait_is_started_that_would_end_past_the_deadline(server):
    url = server.route("/busy", Canned(503, b""))
    clock = FakeClock()
    with new_client(5) as client, pytest.raises(SourceUnavailable) as info:
        fetch(client, url, PARAMS, source=SOURCE, sleep=clock.sleep, clock=clock, deadline_s=5)
    # Waits of 1 and 2 s fit in 5 s; the next (4 s) would end at 7 s: give up after 3.
    assert clock.slept == [1.0, 2.0] and server.count("/busy") == 3
    assert str(info.value) == f"{SOURCE}: no answer within the 5 s deadline (HTTP 503; 3 attempts)"
    clock = FakeClock()
    url = server.route("/later", Canned(429, b"", headers={"Retry-After": "30"}))
    with new_client(5) as client, pytest.raises(SourceUnavailable) as info:
        fetch(client, url, PARAMS, source=SOURCE, sleep=clock.sleep, clock=clock, deadline_s=10)
    assert clock.slept == [] and server.count("/later") == 1
    assert "10 s deadline (HTTP 429; 1 attempt)" in str(info.value)
    # The rate limiter's spacing counts too: a 30 s spacing leaves no time in 10 s.
    clock = FakeClock()
    limiter = RateLimiter(30.0, clock=clock, sleep=clock.sleep)
    url = server.route("/spaced", Canned(200, b"{}"))
    with new_client(5) as client, pytest.raises(SourceUnavailable) as info:
        for _ in range(2):
            fetch(client, url, PARAMS, source=SOURCE, clock=clock, limiter=limiter, deadline_s=10)
    assert server.count("/spaced") == 1 and clock.slept == [30.0]
    assert "no time left after the rate limiter's wait" in str(info.value)
    with new_client(5) as client, pytest.raises(ValueError, match="deadline_s must be > 0"):
        fetch(client, url, PARAMS, source=SOURCE, deadline_s=0)


def test_connection_refused_fails_fast_without_retries(sleeps):
    recorded, sleep = sleeps
    url = f"http://127.0.0.1:{free_port()}/api?api_key={FAKE_KEY}"
    started = time.monotonic()
    with new_client(20) as client, pytest.raises(SourceUnavailable) as info:
        fetch(client, url, PARAMS, source=SOURCE, sleep=sleep)
    assert time.monotonic() - started < 3
    assert recorded == []
    assert str(info.value).startswith(f"{SOURCE}: host unreachable: 127.0.0.1")
    assert_no_key(info.value, repr(info.value))
    assert info.value.__cause__ is None and info.value.__suppress_context__


def test_dropped_connection_is_retried_then_reported(server, sleeps):
    recorded, sleep = sleeps
    url = server.route("/drop", Canned(drop=True))
    with new_client(5) as client, pytest.raises(SourceUnavailable) as info:
        fetch(client, url, PARAMS, source=SOURCE, sleep=sleep, attempts=2)
    message = str(info.value)
    assert message.startswith(f"{SOURCE}: connection failed: RemoteProtocolError")
    assert message.endswith("after 2 attempts")
    assert recorded == [1.0] and server.count("/drop") == 2


def test_bad_url_is_a_clear_failure(sleeps):
    recorded, sleep = sleeps
    with new_client(5) as client, pytest.raises(SourceUnavailable) as info:
        fetch(client, "ftp://127.0.0.1/x", PARAMS, source=SOURCE, sleep=sleep)
    assert str(info.value).startswith(f"{SOURCE}: bad URL: UnsupportedProtocol")
    assert recorded == []


def test_server_wait_parses_headers():
    def response(**headers):
        return httpx.Response(429, headers=headers)

    now = 1_700_000_000.0
    assert server_wait(response(**{"Retry-After": "5"}), now) == 5.0
    date = "Tue, 14 Nov 2023 22:13:40 GMT"  # now + 20 s
    assert server_wait(response(**{"Retry-After": date}), now) == pytest.approx(20.0)
    reset = {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(int(now) + 30)}
    assert server_wait(response(**reset), now) == 30.0
    assert server_wait(response(**{"X-RateLimit-Remaining": "0"}), now) == float("inf")
    assert server_wait(response(**{"X-RateLimit-Remaining": "5"}), now) is None
    assert server_wait(response(), now) is None


# --------------------------------------------------------------------------- rate limiter


class FakeClock:
    def __init__(self):
        self.now = 100.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_rate_limiter_spaces_requests():
    clock = FakeClock()
    limiter = RateLimiter(5.0, clock=clock, sleep=clock.sleep)
    assert limiter.wait() == 0.0  # the first request goes at once
    clock.now += 1.0
    assert limiter.wait() == pytest.approx(4.0)
    clock.now += 10.0
    assert limiter.wait() == 0.0
    assert clock.slept == [pytest.approx(4.0)]


def test_fetch_consults_the_limiter_before_every_attempt(server, sleeps):
    recorded, sleep = sleeps
    clock = FakeClock()
    limiter = RateLimiter(5.0, clock=clock, sleep=clock.sleep)
    url = server.route("/oasis", Canned(503, b""), Canned(200, b"{}"))
    with new_client(5) as client:
        fetch(client, url, {}, source=SOURCE, sleep=sleep, limiter=limiter)
    # The back-off sleep (1 s) is injected and does not move the fake clock: the limiter
    # must wait the full 5 s before the retry.
    assert recorded == [1.0] and clock.slept == [5.0]


# --------------------------------------------------------------------------- raw cache


def _files_text(root: Path) -> bytes:
    return b"".join(path.read_bytes() for path in sorted(root.rglob("*")) if path.is_file())


def test_rawcache_put_get_and_meta_without_key(tmp_path):
    cache = RawCache(tmp_path / "raw")
    url = "https://developer.nlr.gov/api/pvwatts/v8.json"
    content = f'{{"inputs": {{"api_key": "{FAKE_KEY}"}}, "x": 1}}'.encode()
    path = cache.put("pvwatts", url, PARAMS, ("api_key",), content, 200, "json")
    assert path.parent == tmp_path / "raw" / "pvwatts" and path.suffix == ".json"
    got = cache.get("pvwatts", url, PARAMS, ("api_key",))
    assert got is not None and json.loads(got)["x"] == 1
    assert_no_key(got, _files_text(tmp_path), repr(cache))
    key = cache_key("pvwatts", url, PARAMS)
    meta = json.loads((path.parent / f"{key}.meta.json").read_text())
    assert meta["source"] == "pvwatts" and meta["status"] == 200
    assert meta["params"]["api_key"] == REDACTED and meta["params"]["lat"] == "33.8"
    assert meta["bytes"] == len(got) and len(meta["sha256"]) == 64
    # Nothing records when the answer came: the same answer gives the same files any day.
    assert set(meta) == {"source", "key", "file", "url", "params", "status", "sha256", "bytes"}
    # Another key, same request: same entry. Other parameters: another entry.
    assert cache.get("pvwatts", url, {**PARAMS, "api_key": "other-key-123"}) == got
    assert cache.get("pvwatts", url, {**PARAMS, "lat": "34"}) is None
    assert cache.get("nsrdb", url, PARAMS) is None


def test_rawcache_previous_hit_is_copied(tmp_path):
    url = "https://example.org/data"
    old = RawCache(tmp_path / "old" / "raw")
    old.put("nsrdb", url, PARAMS, ("api_key",), b"Source,NSRDB\n1,2\n", 200, "csv")
    new = RawCache(tmp_path / "new" / "raw", previous=tmp_path / "old" / "raw")
    assert new.get("nsrdb", url, PARAMS) == b"Source,NSRDB\n1,2\n"
    copied = sorted(p.name for p in (tmp_path / "new" / "raw" / "nsrdb").iterdir())
    assert len(copied) == 2 and copied[0].endswith(".csv") and copied[1].endswith(".meta.json")
    # Survives losing the previous build.
    for path in (tmp_path / "old" / "raw" / "nsrdb").iterdir():
        path.unlink()
    assert RawCache(tmp_path / "new" / "raw").get("nsrdb", url, PARAMS) == b"Source,NSRDB\n1,2\n"


def test_rawcache_ignores_corrupted_entries(tmp_path):
    url = "https://example.org/data"
    cache = RawCache(tmp_path / "raw")
    path = cache.put("src", url, PARAMS, ("api_key",), b'{"a": 1}', 200, "json")
    path.write_bytes(b'{"a": 2}')
    assert cache.get("src", url, PARAMS) is None
    # A broken meta file is ignored too.
    cache.put("src", url, PARAMS, ("api_key",), b'{"a": 1}', 200, "json")
    cache.path("src", url, PARAMS).write_text("{not json")
    assert cache.get("src", url, PARAMS) is None
    # A corrupted entry in directory falls through to a valid one in previous.
    previous = RawCache(tmp_path / "prev")
    previous.put("src", url, PARAMS, ("api_key",), b'{"a": 3}', 200, "json")
    both = RawCache(tmp_path / "raw", previous=tmp_path / "prev")
    assert both.get("src", url, PARAMS) == b'{"a": 3}'
    assert cache.get("src", url, PARAMS) == b'{"a": 3}'  # repaired by the copy


def test_rawcache_rejects_path_tricks(tmp_path):
    cache = RawCache(tmp_path / "raw")
    with pytest.raises(ValueError):
        cache.put("../etc", "u", {}, (), b"x", 200, "json")
    with pytest.raises(ValueError):
        cache.put("ok", "u", {}, (), b"x", 200, "../json")
