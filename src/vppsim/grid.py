"""The canonical time grid: fixed-length intervals over local calendar days, stored in UTC."""

import datetime as dt
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def local_midnight(day: dt.date, timezone: str) -> pd.Timestamp:
    """Return the first instant of ``day`` in ``timezone``, in UTC.

    Where a zone skips or repeats midnight (a DST change at 00:00), the day starts at
    the first instant that exists.
    """
    naive = pd.Timestamp(dt.datetime.combine(day, dt.time()))
    local = naive.tz_localize(ZoneInfo(timezone), ambiguous=True, nonexistent="shift_forward")
    return local.tz_convert("UTC")


def standard_utc_offset_hours(timezone: str, day: dt.date) -> float:
    """The zone's standard-time offset from UTC on ``day`` [h], DST removed (LA: -8)."""
    moment = dt.datetime.combine(day, dt.time(12), tzinfo=ZoneInfo(timezone))
    return (moment.utcoffset() - moment.dst()).total_seconds() / 3600


def build_grid(
    start: dt.date, end: dt.date, timezone: str, interval_minutes: int = 15
) -> pd.DatetimeIndex:
    """Build the interval-start grid for local days ``start`` to ``end``, both inclusive.

    Parameters
    ----------
    start, end : datetime.date
        First and last local calendar day of the study.
    timezone : str
        IANA zone of the market, e.g. ``America/Los_Angeles``.
    interval_minutes : int
        Interval length [min].

    Returns
    -------
    pandas.DatetimeIndex
        UTC interval starts named ``timestamp``, from local midnight of ``start`` up to
        (excluding) local midnight after ``end``. DST days have 23 or 25 hours of
        intervals (92 or 100 at 15 min).
    """
    if end < start:
        raise ValueError(f"end {end} is before start {start}")
    first = local_midnight(start, timezone)
    stop = local_midnight(end + dt.timedelta(days=1), timezone)
    return pd.date_range(
        first, stop, freq=pd.Timedelta(minutes=interval_minutes), inclusive="left", name="timestamp"
    )


def format_timestamps(index: pd.DatetimeIndex | pd.Series) -> np.ndarray:
    """Format UTC instants as ISO 8601 strings with ``Z``, e.g. ``2023-08-01T07:00:00Z``."""
    values = pd.DatetimeIndex(index)
    if values.tz is None:
        raise ValueError("timestamps must be timezone-aware UTC")
    return np.asarray(values.tz_convert("UTC").strftime(TIMESTAMP_FORMAT))


def parse_timestamps(values) -> pd.DatetimeIndex:
    """Parse ISO 8601 ``...Z`` strings, strictly, into a UTC index.

    Raises
    ------
    ValueError
        A value is not exactly ``YYYY-MM-DDTHH:MM:SSZ``.
    """
    strings = pa.array(np.asarray(values, dtype=object), type=pa.string())
    parsed = pc.strptime(strings, format=TIMESTAMP_FORMAT, unit="ns")
    return pd.DatetimeIndex(parsed.to_numpy(zero_copy_only=False)).tz_localize("UTC")
