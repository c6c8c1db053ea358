"""The local calendar of a UTC interval grid: local days, clock hours, day types.

Every model and chart that works in local time builds one :class:`LocalCalendar` from the
grid and the zone, instead of converting timestamps itself. Conventions:

* Calendar fields (``year``, ``month``, ``hour``, ``minute``, ``day``, day types) are those of
  the interval *start* on the local clock; ``clock`` is the local clock time of the interval
  *midpoint* (what a smooth daily profile is evaluated at).
* DST days simply have fewer or more intervals (92 or 100 at 15 min): on the autumn day the
  repeated clock hour 01:00-01:59 appears twice, on the spring day 02:00-02:59 not at all.
  Nothing is localised from naive times, so no time is ever ambiguous or missing.
* Days are workdays or off-days; off-days are weekends and NERC holidays (the days CAISO and
  utilities treat as off-peak).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

DEFAULT_INTERVAL_MINUTES = 15.0
"""Interval length assumed for a grid of a single instant [min]."""
CAISO_TIMEZONE = "America/Los_Angeles"
"""CAISO's market clock: trading days, hours and published figures are Pacific time."""
MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
"""Short month names, January first, for report rows."""


def nerc_holidays(years: Iterable[int]) -> set[dt.date]:
    """NERC off-peak holidays of ``years``.

    New Year's Day, Memorial Day, Independence Day, Labor Day, Thanksgiving and Christmas; a
    holiday on a Sunday is observed on the Monday.

    Parameters
    ----------
    years : iterable of int
        Calendar years.

    Returns
    -------
    set of datetime.date
    """

    def observed(day: dt.date) -> dt.date:
        return day + dt.timedelta(days=1) if day.weekday() == 6 else day

    def nth_weekday(year: int, month: int, weekday: int, n: int) -> dt.date:
        first = dt.date(year, month, 1)
        return first + dt.timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))

    days = set()
    for year in {int(y) for y in years}:
        last_may = dt.date(year, 5, 31)
        days |= {
            observed(dt.date(year, 1, 1)),
            last_may - dt.timedelta(days=last_may.weekday()),
            observed(dt.date(year, 7, 4)),
            nth_weekday(year, 9, 0, 1),
            nth_weekday(year, 11, 3, 4),
            observed(dt.date(year, 12, 25)),
        }
    return days


@dataclass(frozen=True, eq=False)
class LocalCalendar:
    """Local-clock description of a UTC interval grid; per-interval arrays have the grid's
    length, per-day arrays (``day_*``) the length of :attr:`days`."""

    timezone: str
    interval_minutes: float  # [min]
    days: pd.DatetimeIndex  # the local dates present in the grid (naive midnights), sorted
    day: np.ndarray  # int64 index into ``days`` of each interval
    year: np.ndarray  # int64 local year
    month: np.ndarray  # int64 local month, 0..11
    hour: np.ndarray  # int64 local clock hour of the interval start, 0..23
    minute: np.ndarray  # int64 local minute of the interval start, 0..59
    clock: np.ndarray  # float64 local clock time of the interval midpoint [h], 0..24
    day_of_week: np.ndarray  # int64 per day, 0 Monday .. 6 Sunday
    day_weekend: np.ndarray  # bool per day: Saturday or Sunday
    day_holiday: np.ndarray  # bool per day: NERC holiday

    @property
    def n_days(self) -> int:
        """Number of local days in the grid."""
        return len(self.days)

    @property
    def quarter(self) -> np.ndarray:
        """Quarter of the hour of each interval start, 0..3."""
        return self.minute // 15

    @property
    def clock_hour(self) -> np.ndarray:
        """Ordinal of each interval's local clock hour, 0, 1, ... in grid order: the hourly
        blocks a day-ahead market prices. The repeated 01:00 hour of the autumn DST day is two
        hours (keys of day and hour would merge them); hours start at minute 0, since the grid
        starts at local midnight."""
        starts = self.minute == 0
        if len(starts):
            starts[0] = True
        return np.cumsum(starts) - 1

    @property
    def clock_hour_starts(self) -> np.ndarray:
        """Position in the grid of each clock hour's first interval (:attr:`clock_hour`)."""
        hours = self.clock_hour
        return np.searchsorted(hours, np.arange(hours[-1] + 1 if len(hours) else 0))

    def clock_hour_means(self, values) -> np.ndarray:
        """Mean of ``values`` (one per interval) over each clock hour, in grid order."""
        hours = self.clock_hour
        return np.bincount(hours, np.asarray(values, dtype=float)) / np.bincount(hours)

    @property
    def day_of_year(self) -> np.ndarray:
        """Day of the year of each local day, 1..366."""
        return np.asarray(self.days.dayofyear, dtype=np.int64)

    @property
    def day_month(self) -> np.ndarray:
        """Local month of each day, 0..11."""
        return np.asarray(self.days.month, dtype=np.int64) - 1

    @property
    def day_offday(self) -> np.ndarray:
        """Weekend or NERC holiday, per day."""
        return self.day_weekend | self.day_holiday

    @property
    def weekend(self) -> np.ndarray:
        """Saturday or Sunday, per interval."""
        return self.day_weekend[self.day]

    @property
    def holiday(self) -> np.ndarray:
        """NERC holiday, per interval."""
        return self.day_holiday[self.day]

    @property
    def offday(self) -> np.ndarray:
        """Weekend or NERC holiday, per interval."""
        return self.day_offday[self.day]

    @property
    def date(self) -> np.ndarray:
        """Local date of each interval (``datetime64[D]``)."""
        return np.asarray(self.days.values.astype("datetime64[D]"))[self.day]


def _interval_minutes(index: pd.DatetimeIndex) -> float:
    """The grid's interval length [min]: the smallest step (15 min for a single instant)."""
    if len(index) > 1:
        step = float(np.min(np.diff(index.asi8))) / 60e9
        if step > 0:
            return step
    return DEFAULT_INTERVAL_MINUTES


def local_calendar(
    index: pd.DatetimeIndex, timezone: str, interval_minutes: float | None = None
) -> LocalCalendar:
    """The local calendar of the interval starts ``index`` in ``timezone``.

    Parameters
    ----------
    index : pandas.DatetimeIndex
        Timezone-aware interval starts (any zone; usually UTC), e.g. from
        :func:`vppsim.grid.build_grid`; DST days, gaps and several years are fine.
    timezone : str
        IANA zone whose local clock defines the calendar, e.g. ``America/Los_Angeles``.
    interval_minutes : float, optional
        Interval length [min], for the midpoints; defaults to the smallest step of ``index``.

    Returns
    -------
    LocalCalendar

    Raises
    ------
    ValueError
        ``index`` is naive.
    """
    index = pd.DatetimeIndex(index)
    if index.tz is None:
        raise ValueError("grid must be timezone-aware (UTC interval starts)")
    interval = _interval_minutes(index) if interval_minutes is None else float(interval_minutes)
    start = index.tz_convert(timezone)
    mid = (index + pd.Timedelta(minutes=interval / 2)).tz_convert(timezone)
    clock = np.asarray(mid.hour + mid.minute / 60.0 + mid.second / 3600.0, dtype=float)
    naive_days = start.tz_localize(None).normalize()
    days, day = np.unique(np.asarray(naive_days, dtype="datetime64[ns]"), return_inverse=True)
    days = pd.DatetimeIndex(days)
    holidays = nerc_holidays(days.year.unique())
    return LocalCalendar(
        timezone=timezone,
        interval_minutes=interval,
        days=days,
        day=day.astype(np.int64),
        year=np.asarray(start.year, dtype=np.int64),
        month=np.asarray(start.month, dtype=np.int64) - 1,
        hour=np.asarray(start.hour, dtype=np.int64),
        minute=np.asarray(start.minute, dtype=np.int64),
        clock=clock,
        day_of_week=np.asarray(days.dayofweek, dtype=np.int64),
        day_weekend=np.asarray(days.dayofweek >= 5),
        day_holiday=np.isin(np.asarray(days.date, dtype=object), list(holidays)),
    )
