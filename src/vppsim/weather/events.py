"""Spells of unusual weather as a forcing of the synthetic model's daily drivers.

A :class:`~vppsim.weather.parameters.WeatherEvent` names local days and how their daily
maximum and minimum temperature and their clear-sky index change. :func:`daily_forcing` turns
the events into one value per model day; :func:`vppsim.weather.synthetic.simulate_weather`
applies them after every random draw, so a scenario keeps the base's random numbers (common
random numbers) and the days outside its events keep their weather exactly.

The model's days are local *standard* time (01:00 to 01:00 civil time in summer): an event's
change reaches the daily maximum and minimum temperature anchors (early morning and
afternoon) and the day's sun, so the hour's shift does not matter. The temperature curve runs
from one day's maximum to the next day's minimum, so the afternoon and evening before an
event warm too.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from vppsim.weather.parameters import WeatherEvent


@dataclass(frozen=True)
class DailyForcing:
    """The events' change on each model day.

    Attributes
    ----------
    tmax_raise_c, tmin_raise_c : numpy.ndarray
        Raise of the daily maximum and minimum temperature [degC] (events add).
    clearsky_index_factor : numpy.ndarray
        Multiplier of the clear-sky index [1] (events multiply).
    """

    tmax_raise_c: np.ndarray
    tmin_raise_c: np.ndarray
    clearsky_index_factor: np.ndarray

    @property
    def any(self) -> bool:
        """Whether any day is changed."""
        return bool(
            np.any(self.tmax_raise_c != 0)
            or np.any(self.tmin_raise_c != 0)
            or np.any(self.clearsky_index_factor != 1)
        )


def event_start(event: WeatherEvent, first_day: dt.date, last_day: dt.date) -> dt.date:
    """The first local day of ``event`` in a study of ``first_day`` to ``last_day``.

    ``start`` as given; else day ``start_day`` of the study (1 is ``first_day``); else the
    event centred on the study (earlier by half a day when the two lengths differ by an odd
    number of days), so a study shorter than the event sees the event's middle, not its
    ramp.
    """
    if event.start is not None:
        return event.start
    if event.start_day is not None:
        return first_day + dt.timedelta(days=event.start_day - 1)
    study_days = (last_day - first_day).days + 1
    return first_day + dt.timedelta(days=(study_days - event.days) // 2)


def event_days(
    events: Sequence[WeatherEvent], first_day: dt.date, last_day: dt.date
) -> list[dt.date]:
    """The study's local days some event covers, in order."""
    days = set()
    for event in events:
        start = event_start(event, first_day, last_day)
        days.update(start + dt.timedelta(days=i) for i in range(event.days))
    return sorted(day for day in days if first_day <= day <= last_day)


def ramp_weights(days: int, ramp_days: int) -> np.ndarray:
    """Share of an event's full change on each of its ``days`` days [1].

    ``min(1, (i + 1) / (ramp_days + 1), (days - i) / (ramp_days + 1))`` for day ``i``: the
    change builds over ``ramp_days`` and fades over as many.
    """
    i = np.arange(days, dtype=float)
    return np.minimum.reduce(
        [np.ones(days), (i + 1.0) / (ramp_days + 1.0), (days - i) / (ramp_days + 1.0)]
    )


def daily_forcing(
    days: Sequence[dt.date],
    events: Sequence[WeatherEvent],
    first_day: dt.date,
    last_day: dt.date,
) -> DailyForcing:
    """The forcing of ``events`` on each of ``days`` (the model's local days).

    Parameters
    ----------
    days : sequence of datetime.date
        The model's days, consecutive.
    events : sequence of WeatherEvent
    first_day, last_day : datetime.date
        The study's first and last local days (where ``start_day`` counts from and what an
        unplaced event is centred in).

    Returns
    -------
    DailyForcing
        Arrays of ``len(days)``; zero raise and a factor of one outside every event.
    """
    n = len(days)
    tmax, tmin, factor = np.zeros(n), np.zeros(n), np.ones(n)
    if n == 0:
        return DailyForcing(tmax, tmin, factor)
    origin = days[0]
    for event in events:
        offset = (event_start(event, first_day, last_day) - origin).days
        weights = ramp_weights(event.days, event.ramp_days)
        position = offset + np.arange(event.days)
        inside = (position >= 0) & (position < n)
        where, share = position[inside], weights[inside]
        tmax[where] += share * event.tmax_raise_c
        tmin[where] += share * event.tmin_raise_c
        factor[where] *= 1.0 - share * (1.0 - event.clearsky_index_factor)
    return DailyForcing(tmax, tmin, factor)
