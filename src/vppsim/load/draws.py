"""The load model's calendar and random draws, shared by :mod:`vppsim.load.model` and
:mod:`vppsim.fleet.ev` (the EV sessions are drawn from the same per-home blocks).

Each home's draws come from ``stream_rng(seed, Stream.LOAD, home_id)`` only: one call per
home draws a fixed-size block of float32 uniforms whose layout depends only on the grid's
days (:data:`_DAILY_LAYOUT`), so a home's series do not depend on the other homes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from vppsim.calendar import local_calendar
from vppsim.grid import standard_utc_offset_hours
from vppsim.load.parameters import LoadParameters
from vppsim.seeds import Stream, stream_rng

WASHER_SLOTS = 2
DISHWASHER_SLOTS = 2
COOKING_SLOTS = 3
MISC_SLOTS = 6
HOT_WATER_SLOTS = 4
"""Event slots per day: each slot fires with probability rate / slots (at most slots a day).
They size each home's block of draws, so changing one changes every series."""
SLOTS_PER_DAY = 96
"""Resolution of the per-home daily profiles (15 min); intervals read their midpoint slot."""


# --- Calendar -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class LoadCalendar:
    n_steps: int
    step_minutes: float
    slot: np.ndarray  # (T,) local clock 15-min slot of each interval midpoint
    daytype: np.ndarray  # (T,) 0 weekday, 1 weekend
    day: np.ndarray  # (T,) index of the local day (0 = the day before the first)
    hour_index: np.ndarray  # (T,) day * 24 + local clock hour
    month: np.ndarray  # (T,) 0..11
    standard_hour: np.ndarray  # (T,) local standard-time hour of the midpoint
    n_days: int
    day_weekend: np.ndarray  # (D,) bool
    day_month: np.ndarray  # (D,) 0..11
    day_midnight: np.ndarray  # (D,) minutes from grid start to the local midnight
    day_three_am: np.ndarray  # (D,) minutes from grid start to local 03:00


def _localize(naive: pd.DatetimeIndex, timezone: str) -> pd.DatetimeIndex:
    return naive.tz_localize(
        timezone, ambiguous=np.ones(len(naive), dtype=bool), nonexistent="shift_forward"
    )


def calendar(grid: pd.DatetimeIndex, timezone: str, interval_minutes: int) -> LoadCalendar:
    """Local-time axes of a regular UTC grid (interval starts), on the shared
    :func:`vppsim.calendar.local_calendar`, with one more day in front (events of the day
    before the grid run into it)."""
    grid = pd.DatetimeIndex(grid)
    if grid.tz is None:
        raise ValueError("grid must be timezone-aware (UTC interval starts)")
    n = len(grid)
    step = pd.Timedelta(minutes=interval_minutes)
    if n > 1 and not (grid[1:] - grid[:-1] == step).all():
        raise ValueError("grid must be regular with interval_minutes spacing")
    utc = grid.tz_convert("UTC")
    local = local_calendar(utc, timezone, interval_minutes)
    days = pd.date_range(local.days[0] - pd.Timedelta(days=1), local.days[-1], freq="D")
    day = local.day + 1
    # The midpoint's clock in whole seconds, so slot boundaries are exact.
    minute_of_day = np.round(local.clock * 3600.0) / 60.0
    offset = standard_utc_offset_hours(timezone, days[1].date())
    hours_utc = np.asarray((utc + step / 2 - utc[0]) / pd.Timedelta(hours=1), dtype=float)
    start_hour = utc[0].hour + utc[0].minute / 60.0 + utc[0].second / 3600.0
    standard_hour = np.mod(hours_utc + start_hour + offset, 24.0)
    midnight = _localize(days, timezone).tz_convert("UTC")
    three = _localize(days + pd.Timedelta(hours=3), timezone).tz_convert("UTC")
    to_minutes = pd.Timedelta(minutes=1)
    return LoadCalendar(
        n_steps=n,
        step_minutes=float(interval_minutes),
        slot=np.minimum((minute_of_day // 15).astype(np.int64), SLOTS_PER_DAY - 1),
        daytype=local.weekend.astype(np.int64),
        day=day,
        hour_index=day * 24 + local.hour,
        month=local.month,
        standard_hour=standard_hour,
        n_days=len(days),
        day_weekend=np.asarray(days.dayofweek >= 5),
        day_month=np.asarray(days.month - 1, dtype=np.int64),
        day_midnight=np.asarray((midnight - utc[0]) / to_minutes, dtype=float),
        day_three_am=np.asarray((three - utc[0]) / to_minutes, dtype=float),
    )


def clock_to_grid_minutes(cal: LoadCalendar, day: np.ndarray, minute: np.ndarray) -> np.ndarray:
    """Minutes from the grid start of local clock ``minute`` (may exceed 1440) on ``day``."""
    before = minute < 180.0
    return np.where(
        before, cal.day_midnight[day] + minute, cal.day_three_am[day] + (minute - 180.0)
    )


# --- Random draws --------------------------------------------------------------------------------

_DAILY_LAYOUT = (
    ("day_factor", 1),
    ("hour_factor", 24),
    ("washer", 4 * WASHER_SLOTS),
    ("dryer", 2 * WASHER_SLOTS),
    ("dishwasher", 4 * DISHWASHER_SLOTS),
    ("cooking", 5 * COOKING_SLOTS),
    ("misc", 5 * MISC_SLOTS),
    ("hot_water", 3 * HOT_WATER_SLOTS),
    ("ev", 3),
    ("pool", 1),
    ("thermostat", 1),
    ("thermostat_hour", 24),
    ("away", 1),
    ("spare", 2),
)
_HOME_LAYOUT = (("ac_phase", 1), ("spare_home", 7))
_PER_DAY = sum(n for _, n in _DAILY_LAYOUT)
_PER_HOME = sum(n for _, n in _HOME_LAYOUT)


def draw_uniforms(seed: int, home_ids: np.ndarray, n_days: int) -> np.ndarray:
    """Each home's block of uniforms, from its own LOAD stream only (one call per home)."""
    size = n_days * _PER_DAY + _PER_HOME
    out = np.empty((len(home_ids), size), dtype=np.float32)
    for row, home in enumerate(home_ids.tolist()):
        stream_rng(seed, Stream.LOAD, home).random(dtype=np.float32, out=out[row])
    return out


def split_draws(uniforms: np.ndarray, n_days: int) -> dict[str, np.ndarray]:
    """Name the blocks: daily ones are (H, n_days, k), per-home ones (H, k)."""
    daily = uniforms[:, : n_days * _PER_DAY].reshape(len(uniforms), n_days, _PER_DAY)
    out, start = {}, 0
    for name, n in _DAILY_LAYOUT:
        out[name] = daily[:, :, start : start + n]
        start += n
    start = n_days * _PER_DAY
    for name, n in _HOME_LAYOUT:
        out[name] = uniforms[:, start : start + n]
        start += n
    return out


def at_home(draws: dict[str, np.ndarray], parameters: LoadParameters) -> np.ndarray:
    """(H, D) False on the homes' away days (probability ``away_day_probability``)."""
    return draws["away"][:, :, 0] >= parameters.away_day_probability
