"""The rule that PV is dark at night, shared by the PVWatts mapping and the solar contract."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pvlib

from vppsim.dataset.schemas import iso
from vppsim.errors import listed

SOLAR_NIGHT_ELEVATION_DEG = -1.0
"""The sun counts as down when its apparent elevation is below this at both interval ends."""


def sun_down(
    starts: pd.DatetimeIndex, latitude: float, longitude: float, interval_minutes: float
) -> np.ndarray:
    """Whether the sun is below :data:`SOLAR_NIGHT_ELEVATION_DEG` at both ends of each interval.

    Parameters
    ----------
    starts : pandas.DatetimeIndex
        UTC interval starts.
    latitude, longitude : float
        Site [deg N, deg E].
    interval_minutes : float
        Interval length [min].
    """
    down = np.ones(len(starts), dtype=bool)
    for times in (starts, starts + pd.Timedelta(minutes=interval_minutes)):
        elevation = pvlib.solarposition.get_solarposition(times, latitude, longitude)
        down &= elevation["apparent_elevation"].to_numpy() < SOLAR_NIGHT_ELEVATION_DEG
    return down


def night_failures(
    generation: pd.Series,
    timestamps: pd.Series,
    latitude: float,
    longitude: float,
    interval_minutes: float,
    label: str,
) -> list[str]:
    """Intervals with PV output while the sun is below the horizon throughout."""
    starts = pd.DatetimeIndex(timestamps)
    # The sun's position only where there is output (about half the intervals): it was
    # most of the rule's time.
    lit = np.flatnonzero(generation.to_numpy() > 0)
    dark = lit[sun_down(starts[lit], latitude, longitude, interval_minutes)] if len(lit) else lit
    if len(dark):
        return [f"{label}: output while the sun is down at {listed(iso(starts[dark]))}"]
    return []
