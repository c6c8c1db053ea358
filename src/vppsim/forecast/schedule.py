"""When forecasts are issued and what they cover, on a UTC interval grid (pure).

* Day-ahead run: issued at ``issue_hour`` local clock time on the local day *before* each
  target day, covering the whole target day. The issue time is found on the local clock and
  converted to UTC, so it is right across DST changes (a 10:00 issue is 17:00 UTC in summer
  and 18:00 UTC in winter for Los Angeles).
* Intraday runs: at every grid timestamp on a whole UTC hour divisible by ``every_h``; each run
  covers the intervals starting in ``[tau, tau + horizon)``, clipped to the grid. The last
  interval observed at ``tau`` is the one just before it (position ``first - 1``).
"""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from vppsim.calendar import local_calendar


def local_day_ordinals(grid: pd.DatetimeIndex, timezone: str) -> np.ndarray:
    """Proleptic Gregorian ordinal (:meth:`datetime.date.toordinal`) of each interval's local day.

    Parameters
    ----------
    grid : pandas.DatetimeIndex
        Timezone-aware interval starts.
    timezone : str
        IANA zone of the local calendar.

    Returns
    -------
    numpy.ndarray
        int64, one per interval.
    """
    calendar = local_calendar(grid, timezone)
    ordinals = np.array([day.toordinal() for day in calendar.days.date], dtype=np.int64)
    return ordinals[calendar.day]


def day_ahead_issue_times(
    grid: pd.DatetimeIndex, timezone: str, issue_hour: int
) -> pd.DatetimeIndex:
    """UTC issue time of the day-ahead run covering each interval.

    Parameters
    ----------
    grid : pandas.DatetimeIndex
        Timezone-aware interval starts.
    timezone : str
        IANA zone of the local calendar.
    issue_hour : int
        Local clock hour of the run on the day before the target day [h], 0..23.

    Returns
    -------
    pandas.DatetimeIndex
        UTC, one per interval, named ``issued_at``.
    """
    calendar = local_calendar(grid, timezone)
    # The clock time on the eve, localised in the zone: the eve's offset, not the target's.
    eves = calendar.days - pd.Timedelta(days=1) + pd.Timedelta(hours=issue_hour)
    issued = eves.tz_localize(ZoneInfo(timezone), ambiguous=True, nonexistent="shift_forward")
    return pd.DatetimeIndex(issued.tz_convert("UTC")[calendar.day], name="issued_at")


@dataclass(frozen=True, eq=False)
class IntradayRuns:
    """The intraday runs of a grid.

    Attributes
    ----------
    issued_at : pandas.DatetimeIndex
        UTC run times (grid timestamps), one per run.
    first : numpy.ndarray
        int64 grid position of each run's first target, the interval starting at its issue
        time; ``first - 1`` is the last interval observed when it is issued.
    stop : numpy.ndarray
        int64 grid position one past each run's last target.
    """

    issued_at: pd.DatetimeIndex
    first: np.ndarray
    stop: np.ndarray

    def rows(self) -> tuple[np.ndarray, np.ndarray]:
        """The (run, target) pairs of all runs, run by run.

        Returns
        -------
        run, target : numpy.ndarray
            int64 run index and grid position of each target.
        """
        counts = self.stop - self.first
        run = np.repeat(np.arange(len(counts), dtype=np.int64), counts)
        offset = np.arange(len(run), dtype=np.int64) - np.repeat(np.cumsum(counts) - counts, counts)
        return run, self.first[run] + offset


def intraday_runs(grid: pd.DatetimeIndex, every_h: int, horizon_h: int) -> IntradayRuns:
    """The intraday runs on ``grid``: every ``every_h`` whole UTC hours, ``horizon_h`` ahead.

    Parameters
    ----------
    grid : pandas.DatetimeIndex
        Timezone-aware, increasing interval starts.
    every_h : int
        Hours between runs [h]; runs are on UTC hours divisible by it.
    horizon_h : int
        Horizon of a run [h].

    Returns
    -------
    IntradayRuns
    """
    utc = pd.DatetimeIndex(grid).tz_convert("UTC")
    on_hour = (utc.minute == 0) & (utc.second == 0) & (utc.nanosecond == 0)
    on_hour &= np.asarray(utc.hour % every_h == 0)
    first = np.flatnonzero(on_hour).astype(np.int64)
    issued = utc[first]
    stop = np.searchsorted(utc.asi8, (issued + pd.Timedelta(hours=horizon_h)).asi8, side="left")
    return IntradayRuns(
        issued_at=pd.DatetimeIndex(issued, name="issued_at"),
        first=first,
        stop=stop.astype(np.int64),
    )


def lead_steps(runs: IntradayRuns) -> np.ndarray:
    """Lead of each (run, target) row of :meth:`IntradayRuns.rows` [intervals].

    0 for the interval starting at the issue time; the lag from the last observed interval is
    one more.
    """
    run, target = runs.rows()
    return target - runs.first[run]


def lead_hours(issued_at: pd.DatetimeIndex, timestamps: pd.DatetimeIndex) -> np.ndarray:
    """Lead time of each target interval start after its issue time [h] (float64)."""
    delta = pd.DatetimeIndex(timestamps).asi8 - pd.DatetimeIndex(issued_at).asi8
    return delta / 3.6e12
