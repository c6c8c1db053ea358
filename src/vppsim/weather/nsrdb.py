"""Actual weather for the study period from the NSRDB GOES CONUS v4 (PSM4) API.

``get_nsrdb`` fetches the CSV bytes (retries, timeouts, raw cache, redaction) and
``read_nsrdb`` parses them with pvlib's own PSM4 reader; ``nsrdb_to_grid`` puts them on
the study grid. pvlib's ``get_nsrdb_psm4_conus`` does the fetch and parse in one step
with ``requests``; it is split here so the raw answer can be cached and replayed and the
key kept out of every message.
"""

from __future__ import annotations

import io
from collections.abc import Iterable

import httpx
import numpy as np
import pandas as pd
import pvlib

from vppsim.errors import SourceUnavailable
from vppsim.http import DEFAULT_DEADLINE_S, error_summary, fetch, preview
from vppsim.rawcache import RawCache

NSRDB_PATH = "/api/nsrdb/v2/solar/nsrdb-GOES-conus-v4-0-0-download.csv"
NSRDB_YEARS = range(2018, 2025)
"""Years the GOES CONUS v4 product serves (NSRDB documentation, 2025)."""
NSRDB_INTERVALS = (5, 15, 30, 60)
ATTRIBUTES = ("air_temperature", "ghi", "dni", "dhi", "clearsky_ghi", "wind_speed")
SECRETS = ("api_key", "email")
SOURCE = "NSRDB GOES CONUS v4 (PSM4)"
_COLUMNS = {
    "temp_air": "temp_air_c",
    "ghi": "ghi_w_m2",
    "dni": "dni_w_m2",
    "dhi": "dhi_w_m2",
    "wind_speed": "wind_speed_m_s",
}


def nsrdb_request(
    api_key: str, email: str, latitude: float, longitude: float, year: int, interval_minutes: int
) -> dict[str, str]:
    """Query parameters of one site-year download, as pvlib's ``get_nsrdb_psm4_conus`` sends."""
    return {
        "api_key": api_key,
        "email": email,
        "full_name": "vppsim",
        "affiliation": "vppsim",
        "reason": "vppsim",
        "mailing_list": "false",
        # WKT is strict: longitude first, four decimals, one space.
        "wkt": f"POINT({longitude:.4f} {latitude:.4f})",
        "names": str(year),
        "attributes": ",".join(ATTRIBUTES),
        "leap_day": "true",
        "utc": "false",
        "interval": str(interval_minutes),
    }


def get_nsrdb(
    client: httpx.Client,
    api_key: str,
    email: str,
    latitude: float,
    longitude: float,
    year: int,
    interval_minutes: int,
    *,
    base_url: str = "https://developer.nlr.gov",
    cache: RawCache | None = None,
    deadline_s: float = DEFAULT_DEADLINE_S,
) -> bytes:
    """Fetch one year of NSRDB PSM4 data for a point, as the CSV bytes the API serves.

    ``deadline_s`` [s] bounds the request, retries and waits included
    (:func:`vppsim.http.fetch`).

    Raises
    ------
    SourceUnavailable
        The year or interval is not served, the key is rejected, the host cannot be
        reached, the deadline passed, or the answer is not a PSM4 CSV. The message never
        holds the key or e-mail.
    """
    if year not in NSRDB_YEARS:
        raise SourceUnavailable(
            f"{SOURCE} covers {NSRDB_YEARS.start}-{NSRDB_YEARS.stop - 1}; {year} is not served"
        )
    if interval_minutes not in NSRDB_INTERVALS:
        raise SourceUnavailable(f"{SOURCE} serves 5/15/30/60-min data, not {interval_minutes} min")
    url = base_url.rstrip("/") + NSRDB_PATH
    params = nsrdb_request(api_key, email, latitude, longitude, year, interval_minutes)
    if cache is not None:
        cached = cache.get("nsrdb", url, params, SECRETS)
        if cached is not None:
            return cached
    response = fetch(client, url, params, secrets=SECRETS, source=SOURCE, deadline_s=deadline_s)
    if response.status_code != 200:
        summary = error_summary(response, (api_key, email))
        raise SourceUnavailable(f"{SOURCE}: HTTP {response.status_code}: {summary}")
    content = response.content
    if not content.startswith(b"Source,"):
        raise SourceUnavailable(f"{SOURCE}: the answer is not a PSM4 CSV: {preview(content)}")
    if cache is not None:
        cache.put("nsrdb", url, params, SECRETS, content, response.status_code, "csv")
    return content


def read_nsrdb(content: bytes) -> tuple[pd.DataFrame, dict]:
    """Parse a PSM4 CSV answer with pvlib's reader.

    Returns
    -------
    data : pandas.DataFrame
        Rows at the answer's timestamps (local standard time, tz-aware), pvlib column names
        (``temp_air, ghi, dni, dhi, ghi_clear, wind_speed``).
    metadata : dict
        The answer's header (``latitude``, ``longitude``, ``Time Zone``, ``Version`` ...).

    Raises
    ------
    SourceUnavailable
        The content is not a complete PSM4 CSV.
    """
    try:
        data, meta = pvlib.iotools.read_nsrdb_psm4(io.StringIO(content.decode("utf-8")))
    except (ValueError, KeyError, IndexError, StopIteration, UnicodeDecodeError) as exc:
        raise SourceUnavailable(
            f"{SOURCE}: unreadable answer ({type(exc).__name__}: {exc})"
        ) from None
    needed = ["temp_air", "ghi", "dni", "dhi", "ghi_clear", "wind_speed"]
    missing = [name for name in needed if name not in data]
    if missing or data[needed].isna().any().any():
        raise SourceUnavailable(
            f"{SOURCE}: answer lacks {', '.join(missing)}"
            if missing
            else f"{SOURCE}: answer has gaps"
        )
    return data[needed], meta


def years_spanned(grid: pd.DatetimeIndex, utc_offset_hours: float) -> list[int]:
    """Calendar years (in local standard time) the grid's intervals fall in."""
    local = grid.tz_convert("UTC") + pd.Timedelta(hours=utc_offset_hours)
    return sorted(set(local.year))


def nsrdb_to_grid(
    data: pd.DataFrame,
    grid: pd.DatetimeIndex,
    interval_minutes: int,
    latitude: float,
    longitude: float,
) -> pd.DataFrame:
    """Put NSRDB rows on the study grid as interval averages.

    NSRDB values are instantaneous at their timestamps, so each interval takes the
    linear interpolation at its midpoint. Irradiance is set to 0 where the sun is below
    the horizon at the midpoint, as the physics chain and the validator expect.

    Parameters
    ----------
    data : pandas.DataFrame
        From :func:`read_nsrdb` (one or several years concatenated).
    grid : pandas.DatetimeIndex
        UTC interval starts.

    Returns
    -------
    pandas.DataFrame
        Index ``grid``; ``temp_air_c, ghi_w_m2, dni_w_m2, dhi_w_m2, wind_speed_m_s,
        clearsky_index``.

    Raises
    ------
    SourceUnavailable
        The answer does not cover the grid, or has a gap longer than one of its steps.
    """
    stamps = data.index.tz_convert("UTC")
    midpoints = grid + pd.Timedelta(minutes=interval_minutes / 2)
    step = pd.Timedelta(minutes=interval_minutes)
    gaps = np.diff(stamps.asi8)
    if len(stamps) < 2 or stamps[0] > grid[0] or stamps[-1] + step < midpoints[-1]:
        raise SourceUnavailable(
            f"{SOURCE}: the answer covers {_span(stamps)}, not the study {_span(grid)}"
        )
    if (gaps > step.value).any():
        first = stamps[:-1][gaps > step.value][0]
        raise SourceUnavailable(f"{SOURCE}: the answer has a gap after {first.isoformat()}")
    x, at = stamps.asi8.astype(float), midpoints.asi8.astype(float)
    out = {
        ours: np.interp(at, x, data[theirs].to_numpy(float)) for theirs, ours in _COLUMNS.items()
    }
    clear = np.interp(at, x, data["ghi_clear"].to_numpy(float))
    elevation = pvlib.solarposition.get_solarposition(midpoints, latitude, longitude)[
        "apparent_elevation"
    ]
    down = elevation.to_numpy() <= 0
    for name in ("ghi_w_m2", "dni_w_m2", "dhi_w_m2"):
        out[name] = np.where(down, 0.0, np.clip(out[name], 0, None))
    with np.errstate(divide="ignore", invalid="ignore"):
        index = np.where(clear > 0, out["ghi_w_m2"] / clear, 0.0)
    out["clearsky_index"] = np.clip(np.where(down, 0.0, index), 0, 2)
    out["wind_speed_m_s"] = np.clip(out["wind_speed_m_s"], 0, None)
    return pd.DataFrame(out, index=grid)


def _span(index: Iterable[pd.Timestamp]) -> str:
    values = list(index)
    return f"{values[0]:%Y-%m-%d %H:%M}Z .. {values[-1]:%Y-%m-%d %H:%M}Z" if values else "nothing"
