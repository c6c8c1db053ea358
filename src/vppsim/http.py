"""Shared HTTP fetching for the live sources (PVWatts, NSRDB, CAISO OASIS).

One GET with bounded retries, fast failure when the host cannot be reached, and no API
key in any message, log line or cache file.

- 429 and 5xx answers, read timeouts and dropped connections are retried with exponential
  back-off (1, 2, 4 ... s) that yields to the server's own ``Retry-After`` or
  ``X-RateLimit-Reset`` when it sends one. A server that asks for a longer wait than
  ``max_wait_s`` (for example api.data.gov's hourly limit, ``X-RateLimit-Remaining: 0``)
  ends the fetch at once with a message saying so.
- Connection errors (DNS failure, refused, connect timeout) are not retried: with no
  network or a wrong host the build falls back to synthetic data in seconds.
- A deadline (``deadline_s``, default 20 s) bounds one fetch as a whole: attempts, waits
  between them and the rate limiter. Each attempt's timeouts are capped at the time left,
  and a wait that would end past the deadline is not started, so a host that accepts the
  connection but never answers costs at most the deadline, not attempts x timeout.
- Other answers (2xx, 3xx, and 4xx other than 429) go back to the caller, which knows
  how its API words errors.

On final failure ``fetch`` raises :class:`vppsim.errors.SourceUnavailable` with a short
reason, e.g. ``"PVWatts v8: HTTP 503 after 4 attempts"`` or ``"PVWatts v8: no answer within
the 20 s deadline (ReadTimeout; 1 attempt)"``.
"""

from __future__ import annotations

import email.utils
import json
import logging
import math
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from importlib.metadata import PackageNotFoundError, version
from typing import Any
from urllib.parse import parse_qsl, quote, quote_plus, urlencode, urlsplit, urlunsplit

import httpx
import tenacity

from vppsim.errors import SourceUnavailable

log = logging.getLogger(__name__)

REDACTED = "**********"
"""What a secret value is replaced with in URLs, parameters, messages and cached bytes."""

DEFAULT_SECRETS: tuple[str, ...] = ("api_key",)
"""Query parameters that hold secrets unless a caller names others."""

try:
    _VERSION = version("vppsim")
except PackageNotFoundError:  # a source tree that was never installed
    _VERSION = "0+unknown"

USER_AGENT = f"vppsim/{_VERSION} (+https://pypi.org/project/vppsim/; python-httpx)"

CONNECT_TIMEOUT_CAP_S = 10.0
"""A host that does not accept a connection within this long counts as unreachable."""

DEFAULT_DEADLINE_S = 20.0
"""Longest time one fetch may take, retries and waits included, before it gives up [s]."""

MIN_SECRET_LENGTH = 6
"""Shorter values are not scrubbed from free text (they would mangle it); real keys are longer."""

_RETRY_STATUSES = frozenset({429, 500, 502, 503, 504}) | frozenset(range(505, 600))


def new_client(timeout_s: float) -> httpx.Client:
    """Return an HTTP client for the live sources.

    Parameters
    ----------
    timeout_s : float
        Read, write and pool timeout [s]. The connect timeout is the smaller of this and
        ``CONNECT_TIMEOUT_CAP_S``, so an unreachable host fails fast.
    """
    timeout = httpx.Timeout(
        connect=min(timeout_s, CONNECT_TIMEOUT_CAP_S),
        read=timeout_s,
        write=timeout_s,
        pool=timeout_s,
    )
    return httpx.Client(
        timeout=timeout,
        headers={"User-Agent": USER_AGENT, "Accept": "application/json, text/csv, */*"},
        follow_redirects=True,
    )


# --------------------------------------------------------------------------- redaction


def _is_secret(name: str, secrets: Iterable[str]) -> bool:
    return name.lower() in {s.lower() for s in secrets}


def redact_params(
    params: Mapping[str, Any] | None, secrets: Iterable[str] = DEFAULT_SECRETS
) -> dict[str, Any]:
    """Return a copy of ``params`` with the values of secret names replaced by ``REDACTED``."""
    secrets = tuple(secrets)
    return {
        name: (REDACTED if _is_secret(name, secrets) else value)
        for name, value in (params or {}).items()
    }


def redact_url(url: str | httpx.URL, secrets: Iterable[str] = DEFAULT_SECRETS) -> str:
    """Return ``url`` with secret query values (and any user-info password) replaced.

    ``httpx`` puts the full query string, key included, into ``response.url`` and
    ``request.url``; pass those through here before they reach a message or a log.
    """
    secrets = tuple(secrets)
    parts = urlsplit(str(url))
    query = urlencode(
        [
            (name, REDACTED if _is_secret(name, secrets) else value)
            for name, value in parse_qsl(parts.query, keep_blank_values=True)
        ],
        safe="*",
    )
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, host = netloc.rsplit("@", 1)
        user = userinfo.split(":", 1)[0]
        netloc = f"{user}:{REDACTED}@{host}" if ":" in userinfo else f"{REDACTED}@{host}"
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def secret_values(
    params: Mapping[str, Any] | None, secrets: Iterable[str] = DEFAULT_SECRETS
) -> list[str]:
    """The values of the secret parameters in ``params`` that are long enough to scrub."""
    secrets = tuple(secrets)
    return [
        str(value)
        for name, value in (params or {}).items()
        if _is_secret(name, secrets) and value is not None and len(str(value)) >= MIN_SECRET_LENGTH
    ]


def _variants(value: str) -> list[str]:
    return sorted({value, quote(value, safe=""), quote_plus(value)}, key=len, reverse=True)


def scrub_text(text: str, values: Iterable[str]) -> str:
    """Replace every occurrence of each secret value (raw or URL-encoded) in ``text``."""
    for value in values:
        for variant in _variants(value):
            text = text.replace(variant, REDACTED)
    return text


def scrub_bytes(content: bytes, values: Iterable[str]) -> bytes:
    """Replace every occurrence of each secret value (raw or URL-encoded) in ``content``.

    Some APIs echo the key back (PVWatts v8 lists ``api_key`` under ``inputs``), so raw
    answers are scrubbed before they are cached or returned.
    """
    for value in values:
        for variant in _variants(value):
            content = content.replace(variant.encode("utf-8"), REDACTED.encode("ascii"))
    return content


# --------------------------------------------------------------------------- rate limiting


class RateLimiter:
    """Keep at least ``min_interval_s`` between the starts of successive requests.

    Thread-safe. ``clock`` and ``sleep`` are injectable for tests. CAISO OASIS, for
    example, wants about 5 s between requests: ``RateLimiter(5.0)``.
    """

    def __init__(
        self,
        min_interval_s: float,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ):
        if min_interval_s < 0:
            raise ValueError("min_interval_s must be >= 0")
        self.min_interval_s = float(min_interval_s)
        self._clock = clock
        self._sleep = sleep
        self._next: float | None = None
        self._lock = threading.Lock()

    def wait(self) -> float:
        """Block until the next request may start; return the time waited [s]."""
        with self._lock:
            now = self._clock()
            delay = 0.0 if self._next is None else max(0.0, self._next - now)
            if delay > 0:
                self._sleep(delay)
            self._next = now + delay + self.min_interval_s
            return delay


# --------------------------------------------------------------------------- errors


def _json_body(response: httpx.Response) -> Any:
    try:
        return json.loads(response.content)
    except (ValueError, UnicodeDecodeError):
        return None


def error_code(response: httpx.Response) -> str | None:
    """The api.data.gov error code of an answer (``API_KEY_INVALID``, ``OVER_RATE_LIMIT`` ...).

    api.data.gov (API Umbrella, in front of developer.nlr.gov) answers errors with
    ``{"error": {"code": "...", "message": "..."}}``.
    """
    body = _json_body(response)
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        code = body["error"].get("code")
        return str(code) if code else None
    return None


def preview(content: bytes, limit: int = 80) -> str:
    """The first ``limit`` characters of ``content``, on one line, for a message."""
    text = content[:limit].decode("utf-8", errors="replace")
    text = " ".join(text.split())
    return repr(text + ("..." if len(content) > limit else ""))


def error_summary(response: httpx.Response, secrets: Iterable[str] = ()) -> str:
    """A short human description of an error answer, without secret values.

    Understands the api.data.gov shape ``{"error": {"code", "message"}}``, the PVWatts /
    NLR shape ``{"errors": [...]}`` and falls back to the first characters of the body.
    """
    body = _json_body(response)
    text: str
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        err = body["error"]
        text = ": ".join(str(part) for part in (err.get("code"), err.get("message")) if part)
    elif isinstance(body, dict) and isinstance(body.get("error"), str):
        text = body["error"]
    elif isinstance(body, dict) and isinstance(body.get("errors"), list) and body["errors"]:
        text = "; ".join(str(item) for item in body["errors"])
    elif body is not None:
        text = preview(response.content)
    else:
        kind = "HTML" if response.content.lstrip()[:1] == b"<" else "non-JSON"
        text = f"answered with {kind} ({preview(response.content)})"
    return scrub_text(text, secrets)


# --------------------------------------------------------------------------- fetch


class _Retry(Exception):
    """One failed attempt that may be retried. Its text holds no secret."""

    def __init__(self, reason: str, *, kind: str, status: int | None = None, wait_s=None):
        super().__init__(reason)
        self.reason = reason
        self.kind = kind  # "status", "timeout" or "transport"
        self.status = status
        self.wait_s: float | None = wait_s  # what the server asked for, if anything


def _seconds_until(value: str, now: float) -> float | None:
    """Parse a ``Retry-After`` / ``X-RateLimit-Reset`` value into a wait [s]."""
    value = value.strip()
    try:
        number = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when is None:
            return None
        return max(0.0, when.timestamp() - now)
    if not math.isfinite(number):
        return None
    # Large numbers are Unix times of the reset, small ones a delay in seconds.
    return max(0.0, number - now) if number > 1e9 else max(0.0, number)


def server_wait(response: httpx.Response, now: float | None = None) -> float | None:
    """The wait [s] a 429/503 answer asks for, ``math.inf`` if unknown but long, else None.

    - ``Retry-After`` (seconds or an HTTP date) wins.
    - ``X-RateLimit-Remaining: 0`` with ``X-RateLimit-Reset`` (seconds, or a Unix time):
      wait until the reset.
    - ``X-RateLimit-Remaining: 0`` without a reset time: the quota is used up for a
      rolling window (api.data.gov: one hour), so a short retry cannot help: ``inf``.
    """
    now = time.time() if now is None else now
    headers = response.headers
    if "retry-after" in headers:
        wait = _seconds_until(headers["retry-after"], now)
        if wait is not None:
            return wait
    remaining = headers.get("x-ratelimit-remaining")
    if remaining is not None and remaining.strip() == "0":
        reset = headers.get("x-ratelimit-reset")
        wait = _seconds_until(reset, now) if reset is not None else None
        return math.inf if wait is None else wait
    return None


def _attempt_text(n: int) -> str:
    return f"{n} attempt" + ("" if n == 1 else "s")


def _capped(timeout: httpx.Timeout, left: float) -> httpx.Timeout:
    """``timeout`` with each of its parts no longer than ``left`` [s] (None: no limit)."""

    def cap(value: float | None) -> float:
        return left if value is None else min(value, left)

    return httpx.Timeout(
        connect=cap(timeout.connect),
        read=cap(timeout.read),
        write=cap(timeout.write),
        pool=cap(timeout.pool),
    )


def fetch(
    client: httpx.Client,
    url: str,
    params: Mapping[str, Any] | None,
    *,
    secrets: Iterable[str] = DEFAULT_SECRETS,
    source: str,
    attempts: int = 4,
    max_wait_s: float = 60.0,
    deadline_s: float = DEFAULT_DEADLINE_S,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    limiter: RateLimiter | None = None,
    headers: Mapping[str, str] | None = None,
) -> httpx.Response:
    """GET ``url`` with ``params``, retrying what is worth retrying, within a deadline.

    Parameters
    ----------
    client : httpx.Client
        From :func:`new_client`; its timeouts apply to each attempt, capped at the time
        left before the deadline.
    url, params : str, mapping
        The request. Secret values travel only here, never into messages.
    secrets : iterable of str
        Names of the parameters to redact (default ``("api_key",)``).
    source : str
        Name of the source, the prefix of every message (``"PVWatts v8"``).
    attempts : int
        Maximum number of attempts for retryable failures.
    max_wait_s : float
        Longest single wait between attempts [s]. A server asking for more ends the
        fetch at once.
    deadline_s : float
        Longest time the whole fetch may take [s]: attempts, the waits between them and
        the rate limiter (``math.inf``: no bound). A wait that would end past it is not
        started. A body that keeps arriving is not cut off: each read may take up to the
        time that was left when its attempt began.
    sleep, clock : callable
        ``time.sleep`` and ``time.monotonic``; tests inject a recorder and a fake clock.
    limiter : RateLimiter, optional
        Consulted before every attempt.
    headers : mapping, optional
        Extra request headers.

    Returns
    -------
    httpx.Response
        Any answer that is not retryable (2xx, 3xx, 4xx other than 429). The caller maps
        its error statuses to messages; use :func:`error_summary`.

    Raises
    ------
    SourceUnavailable
        Unreachable host, retries exhausted (timeouts, 429, 5xx) or the deadline reached.
        The message never holds a secret value.
    """
    if attempts < 1:
        raise ValueError("attempts must be >= 1")
    if not deadline_s > 0:
        raise ValueError(f"deadline_s must be > 0, got {deadline_s}")
    secrets = tuple(secrets)
    hidden = secret_values(params, secrets)
    try:
        safe_url = redact_url(httpx.URL(url).copy_merge_params(dict(params or {})), secrets)
    except httpx.InvalidURL:
        safe_url = scrub_text(redact_url(url, secrets), hidden)
    host = urlsplit(url).hostname or url
    read_timeout = client.timeout.read
    started = clock()

    def left() -> float:
        return deadline_s - (clock() - started)

    def attempt() -> httpx.Response:
        if limiter is not None:
            limiter.wait()
        remaining = left()
        if remaining <= 0:
            raise _Retry("no time left after the rate limiter's wait", kind="deadline")
        try:
            response = client.get(
                url,
                params=dict(params or {}),
                headers=headers,
                timeout=_capped(client.timeout, remaining),
            )
        except (httpx.UnsupportedProtocol, httpx.InvalidURL) as exc:
            reason = scrub_text(f"bad URL: {type(exc).__name__}: {exc}", hidden)
            raise SourceUnavailable(f"{source}: {reason}") from None
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
            reason = scrub_text(f"host unreachable: {host} ({type(exc).__name__}: {exc})", hidden)
            raise SourceUnavailable(f"{source}: {reason}") from None
        except httpx.TimeoutException as exc:
            raise _Retry(scrub_text(f"{type(exc).__name__}", hidden), kind="timeout") from None
        except httpx.TransportError as exc:  # dropped connection, protocol error
            raise _Retry(
                scrub_text(f"connection failed: {type(exc).__name__}: {exc}", hidden),
                kind="transport",
            ) from None
        except httpx.RequestError as exc:  # e.g. a body that cannot be decoded
            reason = scrub_text(f"request failed: {type(exc).__name__}: {exc}", hidden)
            raise SourceUnavailable(f"{source}: {reason}") from None
        if response.status_code in _RETRY_STATUSES:
            code = error_code(response)
            if code is None and response.content.lstrip()[:1] == b"<":
                code = "(HTML error page)"
            reason = f"HTTP {response.status_code}" + (f" {code}" if code else "")
            raise _Retry(
                reason, kind="status", status=response.status_code, wait_s=server_wait(response)
            )
        return response

    def wait(state: tenacity.RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, _Retry) and exc.wait_s is not None:
            return float(exc.wait_s)
        return float(min(max_wait_s, 2.0 ** (state.attempt_number - 1)))

    def too_long(state: tenacity.RetryCallState) -> bool:
        exc = state.outcome.exception() if state.outcome else None
        return isinstance(exc, _Retry) and exc.wait_s is not None and exc.wait_s > max_wait_s

    def out_of_time(state: tenacity.RetryCallState) -> bool:
        exc = state.outcome.exception() if state.outcome else None
        return isinstance(exc, _Retry) and (exc.kind == "deadline" or wait(state) >= left())

    def before_sleep(state: tenacity.RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        log.warning(
            "%s: %s from %s; retrying in %.1f s (attempt %d of %d)",
            source,
            exc,
            safe_url,
            state.upcoming_sleep,
            state.attempt_number + 1,
            attempts,
        )

    retrying = tenacity.Retrying(
        stop=tenacity.stop_after_attempt(attempts) | too_long | out_of_time,
        wait=wait,
        retry=tenacity.retry_if_exception_type(_Retry),
        sleep=sleep,
        before_sleep=before_sleep,
        reraise=True,
    )
    try:
        return retrying(attempt)
    except _Retry as exc:
        made = retrying.statistics.get("attempt_number", attempts)
        if exc.wait_s is not None and exc.wait_s > max_wait_s:
            wanted = (
                "an unknown time (the rate limit is used up: X-RateLimit-Remaining: 0)"
                if math.isinf(exc.wait_s)
                else f"{exc.wait_s:.0f} s"
            )
            message = (
                f"{exc.reason}: the server asks to wait {wanted}, longer than "
                f"max_wait_s={max_wait_s:g} s; giving up after {_attempt_text(made)}"
            )
        elif made < attempts or exc.kind == "deadline":
            message = (
                f"no answer within the {deadline_s:g} s deadline "
                f"({exc.reason}; {_attempt_text(made)})"
            )
        elif exc.kind == "timeout":
            message = f"timed out after {read_timeout:g} s ({_attempt_text(made)})"
        else:
            message = f"{exc.reason} after {_attempt_text(made)}"
        raise SourceUnavailable(scrub_text(f"{source}: {message}", hidden)) from None
