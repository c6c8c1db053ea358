"""The synthetic weather model's knobs: what a user may change without refitting.

The fitted tables (clear-sky-index chain, temperature anomaly and diurnal shape, wind) stay in
``calibrated.json`` (:class:`vppsim.weather.synthetic.WeatherCalibration`); these are the
scenario knobs and documented choices around them. Every default reproduces the shipped
model.
"""

from __future__ import annotations

import datetime as dt
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, model_validator


class WeatherEvent(BaseModel):
    """A spell of unusual weather on given local days: a heat wave, wildfire smoke, a marine
    layer. It is a forcing of the synthetic model's daily drivers (daily maximum and minimum
    temperature, the clear-sky index), applied after every random draw, so the days outside
    it keep their weather exactly and everything driven by the weather (AC, demand, PV,
    prices) follows inside it (:func:`vppsim.weather.events.daily_forcing`).

    The change builds up over ``ramp_days`` at the start and fades over as many at the end
    (day ``i`` of ``days`` gets ``min(1, (i + 1) / (ramp_days + 1), (days - i) / (ramp_days +
    1))`` of it), as real heat waves build and break over a few days.

    Examples
    --------
    >>> WeatherEvent(days=10, ramp_days=2, tmax_raise_c=8.0, tmin_raise_c=4.0)  # centred
    >>> WeatherEvent(start=dt.date(2023, 9, 8), days=3, clearsky_index_factor=0.6)  # smoke
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    start: dt.date | None = Field(
        None,
        description="First local day of the event. None: ``start_day``, or centred in the study.",
    )
    start_day: int | None = Field(
        None,
        ge=1,
        le=36600,
        description="First day of the event counted from the study's first local day (1). "
        "None: ``start``, or centred in the study.",
    )
    days: int = Field(..., ge=1, le=366, description="Length of the event [days].")
    ramp_days: int = Field(
        0, ge=0, le=30, description="Days over which the change builds and fades at each end."
    )
    tmax_raise_c: float = Field(
        0.0, ge=-20.0, le=25.0, description="Raise of the daily maximum temperature [degC]."
    )
    tmin_raise_c: float = Field(
        0.0, ge=-20.0, le=25.0, description="Raise of the daily minimum temperature [degC]."
    )
    clearsky_index_factor: float = Field(
        1.0,
        ge=0.0,
        le=1.5,
        description="Multiplier of the clear-sky index [1] (smoke or marine layer below 1); "
        "the sun-temperature coupling then cools the days as real smoke does.",
    )

    @model_validator(mode="after")
    def _one_start(self) -> Self:
        if self.start is not None and self.start_day is not None:
            raise ValueError("give start or start_day, not both")
        if self.ramp_days > 0 and 2 * self.ramp_days >= self.days:
            raise ValueError(
                f"ramp_days={self.ramp_days} leaves no full day in a {self.days}-day event"
            )
        return self


class WeatherParameters(BaseModel):
    """Knobs of the synthetic weather model (:func:`vppsim.weather.synthetic.simulate_weather`).

    Examples
    --------
    >>> WeatherParameters(heat_event_starts_per_month=2.0)  # a heat-wave summer
    >>> WeatherParameters(temperature_offset_c=1.5)  # a warmer climate
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    heat_event_starts_per_month: float | None = Field(
        None,
        ge=0.0,
        le=15.0,
        description="Heat events (runs of >= 2 hot days) starting per month [1/month], the "
        "same in every month. None: the rate fitted on the TMY files for each month (0.25-0.4 "
        "in summer). The normals already hold the fitted rate's share of events, so a higher "
        "rate makes the period hotter.",
    )
    heat_event_rate_factor: float = Field(
        1.0,
        ge=0.0,
        le=20.0,
        description="Multiplier of the heat-event start rate [1] (0: no heat events).",
    )
    heat_event_amplitude_c: float | None = Field(
        None,
        ge=0.0,
        le=20.0,
        description="Mean raise of the daily maximum during a heat event [degC]. None: the "
        "fitted amplitude.",
    )
    heat_event_duration_days: float | None = Field(
        None,
        ge=2.0,
        le=30.0,
        description="Mean duration of a heat event [days] (at least 2). None: the fitted duration.",
    )
    temperature_offset_c: float = Field(
        0.0,
        ge=-20.0,
        le=20.0,
        description="Shift of the monthly normals of daily maximum and minimum temperature "
        "[degC] (a warmer or cooler climate than LA Downtown/USC).",
    )
    intrahour_std_clear: float = Field(
        0.01,
        ge=0.0,
        le=0.5,
        description="Sub-hourly noise of the clear-sky index in clear or overcast hours [1] "
        "(hourly TMY data cannot calibrate it).",
    )
    intrahour_std_broken: float = Field(
        0.12,
        ge=0.0,
        le=0.5,
        description="Sub-hourly noise of the clear-sky index in broken cloud (index near 0.5) [1].",
    )
    events: tuple[WeatherEvent, ...] = Field(
        (),
        description="Spells of unusual weather on given days (heat wave, smoke, marine layer) "
        "forcing the daily temperature and clear-sky index; the scenarios' lever "
        "(vppsim.scenario).",
    )
    clearsky_index_max: float = Field(
        1.35,
        ge=1.0,
        le=2.0,
        description="Cap on an interval's clear-sky index [1] (cloud enhancement beyond it is "
        "rare at 5-60 min).",
    )
