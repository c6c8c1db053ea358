"""PVWatts v8 (NLR developer API): client, parser and mapping of its typical year onto the grid.

- :func:`get_pvwatts` fetches the raw JSON (``timeframe=hourly``) through
  :func:`vppsim.http.fetch` and the raw cache, and turns every failure into
  :class:`~vppsim.errors.SourceUnavailable` with a message that names the cause and never
  the key.
- :func:`read_pvwatts` parses and checks the answer: 8,760 hourly AC values.
- :func:`tmy_to_grid` maps that typical year onto the study's UTC grid at any interval
  length, conserving each hour's energy and keeping night intervals at exactly zero.

PVWatts' hourly convention, confirmed on the recorded answer in ``shared/reference``:
value ``i`` is the average AC power [W] over the hour ``i % 24``:00 to ``+1``:00 local
*standard* time on day ``i // 24`` of a 365-day year starting 1 January (no DST, no 29
February). SSC's pvwattsv8 reads record ``i`` as hour ``i`` of the day and, for an hourly
file without a minute column (TMY2/TMY3), puts the sun at the middle of the hour
(``ts_shift_hours = 0.5``). Across the recorded v5 year no hour has output while the sun is
down throughout ``[i, i+1)`` (160 would under an hour-ending reading), and the same holds
for the v8-era PVWatts calculator downloads for Golden, CO in ``shared/reference`` (0 vs 105).
"""

from __future__ import annotations

import json
import logging
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx
import numpy as np
import pandas as pd
import pvlib

from vppsim.errors import ConfigError, SourceUnavailable
from vppsim.http import (
    DEFAULT_DEADLINE_S,
    REDACTED,
    RateLimiter,
    error_code,
    error_summary,
    fetch,
    preview,
    scrub_bytes,
    scrub_text,
)
from vppsim.rawcache import RawCache
from vppsim.solar.night import SOLAR_NIGHT_ELEVATION_DEG

log = logging.getLogger(__name__)

SOURCE = "PVWatts v8"
CACHE_SOURCE = "pvwatts"
PVWATTS_PATH = "/api/pvwatts/v8.json"
SECRETS = ("api_key",)
HOURS_PER_YEAR = 8760
DATASETS = ("nsrdb", "tmy2", "tmy3", "intl")
"""``dataset`` values v8 accepts: NSRDB PSM V3 TMY (default), legacy TMY2/TMY3, international."""

PVWATTS_NOTE = (
    "PVWatts returns a typical meteorological year (TMY), not the requested calendar year: "
    "its 8,760 hourly values (hour 0 = 00:00-01:00 local standard time on 1 January; no DST, "
    "no 29 February) were laid onto the study's dates by month, day and local-standard-time "
    "hour (29 February uses 28 February; every year of a multi-year period repeats the same "
    "typical year), and each hour's energy was spread over its sub-hourly intervals in "
    "proportion to the sine of the sun's elevation. Clouds on a given date are typical for the "
    "season, not what happened that day."
)

_KEY_CODES = {
    "API_KEY_MISSING": "no API key was sent",
    "API_KEY_INVALID": "the API key is invalid",
    "API_KEY_DISABLED": "the API key has been disabled",
    "API_KEY_UNAUTHORIZED": "the API key is not authorized for PVWatts",
    "API_KEY_UNVERIFIED": "the API key has not been verified yet (check the sign-up e-mail)",
}
_NEGATIVE_TOLERANCE_KW_PER_KW = 1e-3
_MAX_KW_PER_KW = 2.0
_ANNUAL_TOLERANCE = 0.01
_CUMULATIVE_DAYS = np.array([0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334])


# --------------------------------------------------------------------------- request


def _fmt(value: float) -> str:
    value = float(value)
    if not math.isfinite(value):
        raise ConfigError(f"PVWatts parameter is not a finite number: {value}")
    if value.is_integer():
        return str(int(value))
    return repr(round(value, 6))


def _check_range(name: str, value: float, low: float, high: float, *, high_open=False) -> None:
    ok = low <= value < high if high_open else low <= value <= high
    if not ok:
        bracket = ")" if high_open else "]"
        raise ConfigError(f"PVWatts {name}={value} is outside [{low}, {high}{bracket}")


def pvwatts_params(
    api_key: str,
    latitude: float,
    longitude: float,
    *,
    tilt: float = 20,
    azimuth: float = 180,
    losses: float = 14.08,
    dc_ac_ratio: float = 1.2,
    inv_eff: float = 96,
    array_type: int = 1,
    module_type: int = 0,
    system_capacity: float = 1,
    dataset: str = "nsrdb",
    radius: float | None = None,
    gcr: float | None = None,
    bifaciality: float | None = None,
    albedo: float | Sequence[float] | None = None,
    soiling: Sequence[float] | None = None,
) -> dict[str, str]:
    """The query parameters of a PVWatts v8 hourly request (ranges per the v8 docs).

    Optional v8 inputs are sent only when given: ``radius`` (miles to the nearest weather
    station; 0 = the closest regardless of distance; API default 100), ``gcr`` (0.01-0.99),
    ``bifaciality`` (rear/front efficiency ratio, 0-1, typically 0.65-0.9), ``albedo``
    (one value or 12 monthly values, 0 < albedo < 1) and ``soiling`` (12 monthly %).

    Raises
    ------
    ConfigError
        A value is outside the range PVWatts v8 accepts.
    """
    _check_range("lat", latitude, -90, 90)
    _check_range("lon", longitude, -180, 180)
    _check_range("tilt", tilt, 0, 90)
    _check_range("azimuth", azimuth, 0, 360, high_open=True)
    _check_range("losses", losses, -5, 99)
    _check_range("inv_eff", inv_eff, 90, 99.5)
    _check_range("system_capacity", system_capacity, 0.05, 500000)
    if not dc_ac_ratio > 0:
        raise ConfigError(f"PVWatts dc_ac_ratio={dc_ac_ratio} must be positive")
    if array_type not in (0, 1, 2, 3, 4):
        raise ConfigError(f"PVWatts array_type={array_type} must be 0-4")
    if module_type not in (0, 1, 2):
        raise ConfigError(f"PVWatts module_type={module_type} must be 0, 1 or 2")
    if dataset not in DATASETS:
        raise ConfigError(f"PVWatts dataset={dataset!r} must be one of {', '.join(DATASETS)}")
    params = {
        "api_key": api_key,
        "lat": _fmt(latitude),
        "lon": _fmt(longitude),
        "system_capacity": _fmt(system_capacity),
        "module_type": str(int(module_type)),
        "losses": _fmt(losses),
        "array_type": str(int(array_type)),
        "tilt": _fmt(tilt),
        "azimuth": _fmt(azimuth),
        "dc_ac_ratio": _fmt(dc_ac_ratio),
        "inv_eff": _fmt(inv_eff),
        "dataset": dataset,
        "timeframe": "hourly",
    }
    if radius is not None:
        _check_range("radius", radius, 0, math.inf)
        params["radius"] = _fmt(radius)
    if gcr is not None:
        _check_range("gcr", gcr, 0.01, 0.99)
        params["gcr"] = _fmt(gcr)
    if bifaciality is not None:
        _check_range("bifaciality", bifaciality, 0, 1)
        params["bifaciality"] = _fmt(bifaciality)
    if albedo is not None:
        values = [albedo] if np.isscalar(albedo) else list(albedo)
        if len(values) not in (1, 12) or not all(0 < float(v) < 1 for v in values):
            raise ConfigError("PVWatts albedo must be one or 12 values, each between 0 and 1")
        params["albedo"] = "|".join(_fmt(v) for v in values)
    if soiling is not None:
        values = list(soiling)
        if len(values) != 12 or not all(0 <= float(v) <= 100 for v in values):
            raise ConfigError("PVWatts soiling must be 12 monthly percentages (0-100)")
        params["soiling"] = "|".join(_fmt(v) for v in values)
    return params


def _json(content: bytes) -> Any:
    try:
        return json.loads(content)
    except (ValueError, UnicodeDecodeError):
        return None


def _not_json(content: bytes) -> str:
    kind = "HTML" if content.lstrip()[:1] == b"<" else "non-JSON"
    return f"answered with {kind} (first 80 chars: {preview(content)})"


def _error_list(body: Any) -> list[str]:
    if isinstance(body, dict) and isinstance(body.get("errors"), list):
        return [str(item) for item in body["errors"] if item not in (None, "")]
    return []


def _failure(response: httpx.Response, hidden: list[str]) -> SourceUnavailable:
    """Map a non-200 answer to a message."""
    status = response.status_code
    body = _json(response.content)
    code = error_code(response)
    if status in (401, 403) or (code or "").startswith("API_KEY"):
        what = _KEY_CODES.get(code or "", "access was refused")
        detail = error_summary(response, hidden)
        message = f"HTTP {status}: {what} ({detail}); set NLR_API_KEY to a valid key"
    elif status in (400, 422):
        errors = _error_list(body)
        detail = "; ".join(errors) if errors else error_summary(response, hidden)
        message = f"HTTP {status}: the request was rejected: {detail}"
    elif body is None:
        message = f"HTTP {status}: {_not_json(response.content)}"
    else:
        message = f"HTTP {status}: {error_summary(response, hidden)}"
    return SourceUnavailable(scrub_text(f"{SOURCE}: {message}", hidden))


def get_pvwatts(
    client: httpx.Client,
    api_key: str | None,
    latitude: float,
    longitude: float,
    *,
    base_url: str = "https://developer.nlr.gov",
    tilt: float = 20,
    azimuth: float = 180,
    losses: float = 14.08,
    dc_ac_ratio: float = 1.2,
    inv_eff: float = 96,
    array_type: int = 1,
    module_type: int = 0,
    system_capacity: float = 1,
    dataset: str = "nsrdb",
    radius: float | None = None,
    gcr: float | None = None,
    bifaciality: float | None = None,
    albedo: float | Sequence[float] | None = None,
    cache: RawCache | None = None,
    sleep: Callable[[float], None] = time.sleep,
    attempts: int = 4,
    max_wait_s: float = 60.0,
    limiter: RateLimiter | None = None,
    deadline_s: float = DEFAULT_DEADLINE_S,
) -> bytes:
    """Fetch a PVWatts v8 hourly answer: ``GET {base_url}/api/pvwatts/v8.json``.

    The cache (when given) is consulted first, so a rerun needs neither the network nor
    the key. A fresh answer is checked with :func:`read_pvwatts` before it is cached.
    ``deadline_s`` [s] bounds the request, retries and waits included
    (:func:`vppsim.http.fetch`).

    Returns
    -------
    bytes
        The JSON body as served, with the key scrubbed (v8 echoes ``inputs.api_key``).

    Raises
    ------
    SourceUnavailable
        No key; key rejected (403 ``API_KEY_*``); request rejected (422 with ``errors``);
        rate limit (429 ``OVER_RATE_LIMIT``) or server errors after retries; timeouts;
        unreachable host; a body that is not JSON (e.g. an HTML error page); a 200 whose
        ``errors`` list is not empty; or a malformed answer.
    ConfigError
        A system parameter is outside the range PVWatts accepts.
    """
    params = pvwatts_params(
        api_key or "",
        latitude,
        longitude,
        tilt=tilt,
        azimuth=azimuth,
        losses=losses,
        dc_ac_ratio=dc_ac_ratio,
        inv_eff=inv_eff,
        array_type=array_type,
        module_type=module_type,
        system_capacity=system_capacity,
        dataset=dataset,
        radius=radius,
        gcr=gcr,
        bifaciality=bifaciality,
        albedo=albedo,
    )
    url = base_url.rstrip("/") + PVWATTS_PATH
    if cache is not None:
        cached = cache.get(CACHE_SOURCE, url, params, SECRETS)
        if cached is not None:
            return cached
    if not api_key or not api_key.strip():
        raise SourceUnavailable(f"{SOURCE}: no API key (set NLR_API_KEY)")
    hidden = [api_key]
    response = fetch(
        client,
        url,
        params,
        secrets=SECRETS,
        source=SOURCE,
        attempts=attempts,
        max_wait_s=max_wait_s,
        deadline_s=deadline_s,
        sleep=sleep,
        limiter=limiter,
    )
    if response.status_code != 200:
        raise _failure(response, hidden)
    content = scrub_bytes(response.content, hidden)
    read_pvwatts(content)  # raises SourceUnavailable on errors[] or a malformed answer
    if cache is not None:
        cache.put(CACHE_SOURCE, url, params, SECRETS, content, response.status_code, "json")
    return content


# --------------------------------------------------------------------------- parse


@dataclass(frozen=True)
class PVWattsResult:
    """A parsed PVWatts hourly answer.

    Attributes
    ----------
    ac_kw_per_kw : numpy.ndarray
        8,760 hourly AC outputs [kW AC per kW DC] (= ``outputs.ac`` [W] / 1000 /
        ``system_capacity``), hour 0 = 00:00-01:00 LST on 1 January of a typical year.
    inputs : dict
        The inputs PVWatts echoed (``api_key`` redacted).
    version : str
        Web-service version, e.g. ``"8.0.0"``.
    station_info : dict
        Weather station / grid cell: ``lat, lon, elev, tz`` [h from UTC], ``location``,
        ``solar_resource_file``, and in v8 ``weather_data_source``.
    warnings : list
        Warnings PVWatts returned.
    """

    ac_kw_per_kw: np.ndarray = field(repr=False)
    inputs: dict
    version: str
    station_info: dict
    warnings: list

    @property
    def utc_offset_hours(self) -> float:
        """The weather file's standard-time offset from UTC [h] (``station_info.tz``)."""
        return float(self.station_info["tz"])

    @property
    def annual_kwh_per_kw(self) -> float:
        return float(self.ac_kw_per_kw.sum())


def _bad(reason: str) -> SourceUnavailable:
    return SourceUnavailable(f"{SOURCE}: malformed answer: {reason}")


def read_pvwatts(content: bytes) -> PVWattsResult:
    """Parse and check a PVWatts (v5-v8) hourly JSON answer.

    Raises
    ------
    SourceUnavailable
        Not JSON, a non-empty ``errors`` list, or ``outputs.ac`` not 8,760 finite,
        non-negative values consistent with ``ac_annual``.
    """
    body = _json(content)
    if body is None:
        raise SourceUnavailable(f"{SOURCE}: {_not_json(content)}")
    if not isinstance(body, dict):
        raise _bad(f"expected a JSON object, got {type(body).__name__}")
    errors = _error_list(body)
    if errors:
        raise SourceUnavailable(f"{SOURCE}: the answer lists errors: {'; '.join(errors)}")
    inputs = body.get("inputs") if isinstance(body.get("inputs"), dict) else {}
    inputs = {k: (REDACTED if k.lower() == "api_key" else v) for k, v in inputs.items()}
    outputs = body.get("outputs")
    if not isinstance(outputs, dict) or "ac" not in outputs:
        raise _bad("no hourly outputs.ac (was timeframe=hourly sent?)")
    try:
        ac_w = np.asarray(outputs["ac"], dtype=float)
    except (TypeError, ValueError) as exc:
        raise _bad(f"outputs.ac is not numeric ({exc})") from None
    if ac_w.shape != (HOURS_PER_YEAR,):
        raise _bad(f"outputs.ac has shape {ac_w.shape}, expected ({HOURS_PER_YEAR},)")
    if not np.isfinite(ac_w).all():
        raise _bad(f"outputs.ac has {int((~np.isfinite(ac_w)).sum())} non-finite values")
    try:
        capacity = float(inputs.get("system_capacity", "nan"))
    except (TypeError, ValueError):
        capacity = math.nan
    if not (math.isfinite(capacity) and capacity > 0):
        raise _bad(f"inputs.system_capacity={inputs.get('system_capacity')!r} is not positive")
    ac = ac_w / 1000.0 / capacity
    if ac.min() < -_NEGATIVE_TOLERANCE_KW_PER_KW:
        raise _bad(f"outputs.ac goes negative ({ac.min():.4f} kW/kW)")
    if ac.max() > _MAX_KW_PER_KW:
        raise _bad(f"outputs.ac reaches {ac.max():.2f} kW per kW DC")
    ac = np.clip(ac, 0.0, None)
    annual = outputs.get("ac_annual")
    if isinstance(annual, int | float) and annual > 0:
        total = ac_w.sum() / 1000.0
        if abs(total - annual) > _ANNUAL_TOLERANCE * annual:
            raise _bad(f"sum(ac) = {total:.1f} kWh does not match ac_annual = {annual:.1f} kWh")
    station = body.get("station_info") if isinstance(body.get("station_info"), dict) else {}
    tz = station.get("tz")
    if not isinstance(tz, int | float) or not -14 <= tz <= 14:
        raise _bad(f"station_info.tz={tz!r} is not a UTC offset in hours")
    warnings = body.get("warnings") if isinstance(body.get("warnings"), list) else []
    ac.setflags(write=False)
    return PVWattsResult(
        ac_kw_per_kw=ac,
        inputs=inputs,
        version=str(body.get("version", "")),
        station_info=dict(station),
        warnings=list(warnings),
    )


# --------------------------------------------------------------------------- mapping


def to_lst(times: pd.DatetimeIndex, utc_offset_hours: float) -> pd.DatetimeIndex:
    """UTC instants as naive local *standard* time (a fixed offset: no DST)."""
    times = pd.DatetimeIndex(times)
    if times.tz is None:
        raise ValueError("times must be timezone-aware (UTC)")
    offset = pd.Timedelta(minutes=round(utc_offset_hours * 60))
    return times.tz_convert("UTC").tz_localize(None) + offset


def tmy_hour_index(lst: pd.DatetimeIndex) -> np.ndarray:
    """Index into an 8,760-hour typical year of the LST hour holding each instant.

    ``(month, day, hour)`` picks the hour; 29 February uses 28 February. The year is
    ignored, so any year (and any span of years) maps onto the same typical year.
    """
    lst = pd.DatetimeIndex(lst)
    month = np.asarray(lst.month)
    day = np.asarray(lst.day)
    day = np.where((month == 2) & (day == 29), 28, day)
    day_of_year = _CUMULATIVE_DAYS[month - 1] + day - 1
    return (day_of_year * 24 + np.asarray(lst.hour)).astype(np.int64)


@dataclass(frozen=True)
class TmyMapping:
    """The result of :func:`map_tmy_to_grid`.

    Attributes
    ----------
    values : numpy.ndarray
        Average power per grid interval [kW AC per kW DC].
    fallback_hours : int
        Hours with energy but no interval with the sun above the horizon at its middle;
        their energy went, in equal parts, to the intervals where the sun is at least
        partly up (not below ``SOLAR_NIGHT_ELEVATION_DEG`` at both ends).
    dropped_hours : int
        Hours with energy but the sun down throughout at this site; their energy was
        dropped (it cannot be placed without breaking the no-output-at-night rule).
    dropped_kwh_per_kw : float
        Energy dropped [kWh per kW DC] within the grid's hours.
    """

    values: np.ndarray
    fallback_hours: int
    dropped_hours: int
    dropped_kwh_per_kw: float


def map_tmy_to_grid(
    hourly_kw_per_kw: np.ndarray,
    grid: pd.DatetimeIndex,
    interval_minutes: int,
    utc_offset_hours: float,
    latitude: float,
    longitude: float,
) -> TmyMapping:
    """Lay a typical year of hourly PV output onto a UTC grid; see :func:`tmy_to_grid`."""
    hourly = np.asarray(hourly_kw_per_kw, dtype=float)
    if hourly.shape != (HOURS_PER_YEAR,):
        raise ValueError(f"expected {HOURS_PER_YEAR} hourly values, got shape {hourly.shape}")
    if not np.isfinite(hourly).all() or hourly.min() < 0:
        raise ValueError("hourly values must be finite and non-negative")
    if interval_minutes <= 0:
        raise ValueError("interval_minutes must be positive")
    grid = pd.DatetimeIndex(grid)
    if len(grid) == 0:
        return TmyMapping(np.zeros(0), 0, 0, 0.0)
    offset_minutes = round(utc_offset_hours * 60)
    # Atoms: the longest piece that tiles both grid intervals and LST hours.
    step = math.gcd(interval_minutes, 60, offset_minutes % 60)
    per_hour = 60 // step
    per_interval = interval_minutes // step
    lst = to_lst(grid, utc_offset_hours)
    first_hour = lst.min().floor("h")
    last_hour = (lst.max() + pd.Timedelta(minutes=interval_minutes)).ceil("h")
    n_hours = int((last_hour - first_hour) / pd.Timedelta(hours=1))
    n_atoms = n_hours * per_hour
    offsets = (lst - first_hour) / pd.Timedelta(minutes=step)
    first_atom = np.asarray(offsets, dtype=float)
    if not np.allclose(first_atom, np.round(first_atom)):
        raise ValueError(f"grid starts are not aligned to {step}-min steps in local standard time")
    first_atom = np.round(first_atom).astype(np.int64)

    # Sun at every atom boundary and middle: 2 * n_atoms + 1 instants, from UTC.
    half_steps = pd.to_timedelta(np.arange(2 * n_atoms + 1) * (step / 2), unit="min")
    start_utc = (first_hour - pd.Timedelta(minutes=offset_minutes)).tz_localize("UTC")
    instants = pd.DatetimeIndex(start_utc + half_steps)
    elevation = pvlib.solarposition.get_solarposition(instants, latitude, longitude)[
        "apparent_elevation"
    ].to_numpy()
    el_start, el_mid, el_end = elevation[0:-1:2], elevation[1::2], elevation[2::2]
    night = (el_start < SOLAR_NIGHT_ELEVATION_DEG) & (el_end < SOLAR_NIGHT_ELEVATION_DEG)
    weight = np.where(night, 0.0, np.clip(np.sin(np.radians(el_mid)), 0.0, None))
    weight = weight.reshape(n_hours, per_hour)
    partly_up = (~night).reshape(n_hours, per_hour).astype(float)

    hours_lst = first_hour + pd.to_timedelta(np.arange(n_hours), unit="h")
    energy = hourly[tmy_hour_index(pd.DatetimeIndex(hours_lst))]  # kWh/kW in each hour

    total = weight.sum(axis=1)
    lit = partly_up.sum(axis=1)
    shares = np.zeros_like(weight)
    normal = total > 0
    shares[normal] = weight[normal] / total[normal, None]
    fallback = ~normal & (energy > 0) & (lit > 0)
    shares[fallback] = partly_up[fallback] / lit[fallback, None]
    dropped = ~normal & (energy > 0) & (lit == 0)
    # Average power over an atom = the hour's energy share / the atom's length in hours.
    atom_power = (energy[:, None] * shares * per_hour).ravel()

    index = first_atom[:, None] + np.arange(per_interval)[None, :]
    values = atom_power[index].mean(axis=1)
    # Belt and braces: an interval with the sun down at both ends carries nothing.
    interval_night = (elevation[2 * first_atom] < SOLAR_NIGHT_ELEVATION_DEG) & (
        elevation[2 * (first_atom + per_interval)] < SOLAR_NIGHT_ELEVATION_DEG
    )
    removed_kwh = float(values[interval_night].sum()) * interval_minutes / 60.0
    values[interval_night] = 0.0

    # Count fallback and dropped hours the grid actually covers.
    covered = np.zeros(n_hours, dtype=bool)
    covered[np.unique(index.ravel() // per_hour)] = True
    n_dropped = int((dropped & covered).sum())
    n_fallback = int((fallback & covered).sum())
    dropped_kwh = float(energy[dropped & covered].sum()) + removed_kwh
    if n_dropped:
        log.warning(
            "PVWatts TMY: dropped %.4f kWh/kW in %d hour(s) with output while the sun is down "
            "throughout at %.4f, %.4f",
            dropped_kwh,
            n_dropped,
            latitude,
            longitude,
        )
    return TmyMapping(values, n_fallback, n_dropped, dropped_kwh)


def tmy_to_grid(
    hourly_kw_per_kw: np.ndarray,
    grid: pd.DatetimeIndex,
    interval_minutes: int,
    utc_offset_hours: float,
    latitude: float,
    longitude: float,
) -> np.ndarray:
    """Map a PVWatts typical year onto the study grid.

    Parameters
    ----------
    hourly_kw_per_kw : numpy.ndarray
        8,760 hourly values [kW per kW DC], hour 0 = 00:00-01:00 LST on 1 January.
    grid : pandas.DatetimeIndex
        UTC interval starts (:func:`vppsim.grid.build_grid`).
    interval_minutes : int
        Interval length [min].
    utc_offset_hours : float
        The typical year's standard-time offset (``station_info.tz``, e.g. -8).
    latitude, longitude : float
        The site, for the sun's position.

    Returns
    -------
    numpy.ndarray
        Average power per interval [kW AC per kW DC].

    Notes
    -----
    Each interval start is converted to local standard time with the fixed offset, which
    is what handles DST (a PDT day simply uses LST hours shifted by one), and ``(month,
    day, hour)`` picks the typical-year hour (29 February uses 28 February; the year is
    ignored, so periods across a new year or over several years work). Each hour's energy
    is then spread over its sub-intervals in proportion to ``max(sin(apparent
    elevation at the sub-interval's middle), 0)``, which conserves the hour's energy (the
    mean over its intervals equals the hourly value) and leaves exactly 0 in intervals
    with the sun below ``SOLAR_NIGHT_ELEVATION_DEG`` at both ends. An hour with energy but
    all-zero weights puts it in equal parts in the intervals where the sun is at least
    partly up; if there are none, the energy is dropped, counted and logged (see
    :func:`map_tmy_to_grid` for the counts). With hourly (or longer) intervals, the
    values are the hourly values themselves (averaged over longer intervals).
    """
    return map_tmy_to_grid(
        hourly_kw_per_kw, grid, interval_minutes, utc_offset_hours, latitude, longitude
    ).values


def pvwatts_provenance(result: PVWattsResult) -> dict[str, Any]:
    """A small provenance record for the manifest (no key): version, station and inputs."""
    keep = ("lat", "lon", "elev", "tz", "location", "city", "state", "solar_resource_file")
    station = {k: result.station_info[k] for k in keep if k in result.station_info}
    if "weather_data_source" in result.station_info:
        station["weather_data_source"] = result.station_info["weather_data_source"]
    return {
        "service": SOURCE,
        "version": result.version,
        "station_info": station,
        "inputs": dict(result.inputs),
        "annual_kwh_per_kw": round(result.annual_kwh_per_kw, 3),
        "note": PVWATTS_NOTE,
    }
