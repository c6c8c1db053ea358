"""The synthetic weather model's knobs: what a user may change without refitting.

The fitted tables (clear-sky-index chain, temperature anomaly and diurnal shape, wind) stay in
``calibrated.json`` (:class:`vppsim.weather.synthetic.WeatherCalibration`); these are the
scenario knobs and documented choices around them. Every default reproduces the shipped
model.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


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
    clearsky_index_max: float = Field(
        1.35,
        ge=1.0,
        le=2.0,
        description="Cap on an interval's clear-sky index [1] (cloud enhancement beyond it is "
        "rare at 5-60 min).",
    )
