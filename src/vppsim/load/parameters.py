"""The residential load model's parameters: the typed knobs and the shipped calibrated tables.

:class:`LoadParameters` holds every knob a user may change (fleet shares, occupancy hours,
appliance powers and durations, thermostat spreads, thermal gains ...), each with a default,
bounds and its unit, validated on construction and round-tripped through JSON::

    p = LoadParameters(inland_share=1.0, ac_share=1.0)   # an inland, Fontana-like fleet
    LoadParameters.model_validate_json(p.model_dump_json()) == p

It holds no tables: the fitted tables (RESNET 301 schedules, EVI-Pro sessions, the weekend
presence fitted on ATUS) are :class:`LoadCalibration`, read once from the shipped
``calibrated.json`` (:meth:`LoadCalibration.default`).

Sources of the defaults are given in each field's description and in the docstrings of
:mod:`vppsim.load.model` and :mod:`vppsim.load.homes`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Annotated, Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from vppsim.calibration_file import read_calibration

Share = Annotated[float, Field(ge=0.0, le=1.0)]
ClockHour = Annotated[float, Field(ge=0.0, le=24.0)]
Minutes = Annotated[float, Field(ge=0.0, le=1440.0)]
PositiveMinutes = Annotated[float, Field(gt=0.0, le=1440.0)]
PositiveKw = Annotated[float, Field(gt=0.0, le=50.0)]
Celsius = Annotated[float, Field(ge=-20.0, le=50.0)]

_RANGES = (
    "working_leave_hours",
    "working_return_hours",
    "night_shift_leave_hours",
    "night_shift_return_hours",
    "night_shift_sleep_hours",
    "washer_minutes",
    "dryer_gap_minutes",
    "dryer_minutes",
    "dishwasher_minutes",
    "cooking_kw",
    "cooking_minutes",
    "misc_kw",
    "misc_minutes",
    "cop_factor_range",
    "cooling_setpoint_range_c",
    "heating_setpoint_range_c",
    "away_setback_range_c",
    "central_ac_size_factor_range",
    "central_ac_cop_range",
    "ac_cycle_minutes_range",
)
"""(low, high) pairs that must be ordered (uniform ranges, clip bounds, straight windows)."""


class LoadParameters(BaseModel):
    """Fleet-level knobs of the load model; everything per home is drawn in :mod:`.homes`.

    Every field has a default (the shipped model); bounds are checked on construction and an
    unknown name is refused. Instances are frozen: change fields with
    ``LoadParameters(**{**p.model_dump(), "ev_share": 0.3})`` (validated), not
    ``model_copy(update=...)`` (which skips validation).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    # --- Fleet composition ---------------------------------------------------------------
    ev_share: Share = Field(0.0, description="Share of homes with an EV charging at home [1].")
    ac_share: Share = Field(
        0.69,
        description="Share of homes with central AC [1] (Greater LA smart-meter study, Environ. "
        "Res. Lett. 14, 094004), split between climates with ac_inland_odds_ratio so that the "
        "fleet's share is ac_share at the given inland_share.",
    )
    inland_share: Share = Field(
        0.5,
        description="Share of homes in the hot inland valleys (San Fernando, San Gabriel, "
        "Inland Empire) rather than the coastal basin [1].",
    )
    room_ac_share: Share = Field(
        0.3, description="Share of homes without central AC that run a room/window unit [1]."
    )
    electric_dryer_share: Share = Field(
        0.25, description="Share of washer owners with an electric dryer [1]."
    )
    electric_range_share: Share = Field(
        0.40, description="Share of homes with an electric range/oven [1]."
    )
    dishwasher_share: Share = Field(0.70, description="Share of homes with a dishwasher [1].")
    washer_share: Share = Field(0.85, description="Share of homes with a clothes washer [1].")
    second_fridge_share: Share = Field(
        0.25, description="Share of homes with a second refrigerator [1]."
    )
    pool_pump_share_inland: Share = Field(
        0.18, description="Share of inland homes with a pool pump [1] (pools cluster inland)."
    )
    pool_pump_share_coastal: Share = Field(
        0.05, description="Share of coastal homes with a pool pump [1]."
    )
    electric_water_heater_share: Share = Field(
        0.08, description="Share of homes with an electric water heater [1]."
    )
    heat_pump_share: Share = Field(
        0.12, description="Share of central-AC homes whose AC is a heat pump [1]."
    )
    electric_resistance_heat_share: Share = Field(
        0.18,
        description="Share of the homes without a heat pump heated by electric resistance "
        "(wall heaters) [1]; the rest have a gas furnace.",
    )
    bev_share: Share = Field(
        0.75, description="Share of EVs that are battery-electric (the rest plug-in hybrids) [1]."
    )
    household_size_shares: tuple[Share, Share, Share, Share, Share, Share] = Field(
        (0.24, 0.28, 0.17, 0.15, 0.08, 0.08),
        description="Shares of households of 1, 2, 3, 4, 5 and 6+ persons [1] (ACS 2019 "
        "5-year, Los Angeles County); they sum to 1.",
    )

    # --- Climate and homes ---------------------------------------------------------------
    floor_area_median_m2_coastal: float = Field(
        120.0, ge=50.0, le=500.0, description="Median floor area of coastal homes [m2]."
    )
    floor_area_median_m2_inland: float = Field(
        175.0, ge=50.0, le=500.0, description="Median floor area of inland homes [m2]."
    )
    floor_area_log_sd: float = Field(
        0.18, ge=0.0, le=1.0, description="Log-standard deviation of the floor area [1]."
    )
    temp_offset_max_c_coastal: float = Field(
        -3.0,
        ge=-15.0,
        le=15.0,
        description="Coastal homes' offset from the weather's temperature on the daily "
        "maximum [degC] (Long Beach, LAX, Santa Monica vs LA Downtown normals).",
    )
    temp_offset_max_c_inland: float = Field(
        5.5,
        ge=-15.0,
        le=15.0,
        description="Inland homes' offset on the daily maximum [degC] (Riverside/Fontana vs "
        "LA Downtown normals).",
    )
    temp_offset_min_c_coastal: float = Field(
        -0.5, ge=-15.0, le=15.0, description="Coastal homes' offset on the daily minimum [degC]."
    )
    temp_offset_min_c_inland: float = Field(
        -0.5, ge=-15.0, le=15.0, description="Inland homes' offset on the daily minimum [degC]."
    )
    temp_offset_max_spread_c: float = Field(
        1.5,
        ge=0.0,
        le=10.0,
        description="Half-width of each home's uniform offset around its climate's offset on "
        "the daily maximum [degC].",
    )
    temp_offset_min_spread_c: float = Field(
        1.0, ge=0.0, le=10.0, description="The same on the daily minimum [degC]."
    )
    design_temperature_c_coastal: Celsius = Field(
        33.0,
        description="Outdoor design temperature for sizing coastal central AC [degC] (about "
        "the 0.4 % cooling design dry bulb).",
    )
    design_temperature_c_inland: Celsius = Field(
        40.0, description="Outdoor design temperature for sizing inland central AC [degC]."
    )
    ac_inland_odds_ratio: float = Field(
        9.0,
        gt=0.0,
        le=1000.0,
        description="Odds of central AC inland over the coast [1] (about 90 % vs 50 % at the "
        "69 % overall share).",
    )
    plug_load_scale: float = Field(
        0.8,
        ge=0.0,
        le=5.0,
        description="California plug-load and TV use relative to the national RECS 2020 "
        "relations [1] (calibrated on Fontana).",
    )
    misc_event_share: Share = Field(
        0.2,
        description="Share of the plug loads (MELs) drawn as short high-power events "
        "(microwave, kettle, hair dryer ...) [1].",
    )
    idle_share_of_plug_loads: Share = Field(
        0.5,
        description="Share of the other plug loads that is always on (standby, network, "
        "chargers) [1]: with the refrigerators it gives a baseload near the ~160 W always-on "
        "load measured in Northern California homes (NRDC 2015). Flat and noise-free.",
    )
    usage_log_sd: float = Field(
        0.25,
        ge=0.0,
        le=2.0,
        description="Log-standard deviation of a home's usage factor of plug loads and "
        "appliances [1].",
    )

    # --- Occupancy -----------------------------------------------------------------------
    occupancy_shares: tuple[Share, Share, Share] = Field(
        (0.50, 0.38, 0.12),
        description="Shares of households that are working (all adults away on weekday "
        "daytime), at home (retired, home-makers, remote workers) and night-shift [1]; they "
        "sum to 1. About 60 % of California adults are employed, ~30 % of households have no "
        "worker and ~15 % of US wage earners work evening or night shifts (BLS). The "
        "presence modulation is normalised on the default mix, so other shares move the "
        "fleet's mean load.",
    )
    working_leave_hours: tuple[ClockHour, ClockHour] = Field(
        (6.5, 9.0),
        description="Uniform range of the weekday clock hour working households leave [h].",
    )
    working_return_hours: tuple[ClockHour, ClockHour] = Field(
        (16.0, 19.0),
        description="Uniform range of the weekday clock hour working households return [h].",
    )
    night_shift_leave_hours: tuple[
        Annotated[float, Field(ge=12.0, le=24.0)], Annotated[float, Field(ge=12.0, le=24.0)]
    ] = Field(
        (20.5, 22.5),
        description="Uniform range of the clock hour night-shift households leave, in the "
        "evening [h].",
    )
    night_shift_return_hours: tuple[
        Annotated[float, Field(ge=0.0, le=12.0)], Annotated[float, Field(ge=0.0, le=12.0)]
    ] = Field(
        (6.0, 8.0),
        description="Uniform range of the clock hour night-shift households return, in the "
        "morning [h].",
    )
    night_shift_sleep_hours: tuple[ClockHour, ClockHour] = Field(
        (8.5, 15.0), description="Clock hours night-shift households sleep in the daytime [h]."
    )
    presence_away: Share = Field(
        0.25,
        description="Presence-sensitive loads while the household is away (standby, pets, a "
        "remaining member) [1].",
    )
    presence_asleep: Share = Field(
        0.5, description="Presence-sensitive loads while night-shift workers sleep [1]."
    )
    away_day_probability: Share = Field(
        0.03,
        description="Share of days a household is away all day (trips, vacations: ~10 nights "
        "a year plus day trips) [1]: occupant loads drop to presence_away, no appliance or EV "
        "use, and the thermostat is set up by away_day_setback_c.",
    )
    away_day_setback_c: float = Field(
        6.0, ge=0.0, le=20.0, description="Thermostat setup on away days [degC]."
    )

    # --- Variability ---------------------------------------------------------------------
    day_factor_sigma: float = Field(
        0.15,
        ge=0.0,
        le=2.0,
        description="Log-standard deviation of the day factor of the continuous loads [1].",
    )
    hour_factor_sigma: float = Field(
        0.45,
        ge=0.0,
        le=2.0,
        description="Log-standard deviation of the hour factor of the continuous loads [1].",
    )
    hour_noise_autocorrelation: float = Field(
        0.5,
        gt=-1.0,
        lt=1.0,
        description="Lag-1 h autocorrelation of the hour factors and of the hourly "
        "thermostat changes [1].",
    )
    light_cloud_gain: float = Field(
        0.4,
        ge=0.0,
        le=5.0,
        description="Daytime lighting rises by this share of (1 - clear-sky index) [1].",
    )

    # --- Appliance events ----------------------------------------------------------------
    washer_kw: PositiveKw = Field(0.45, description="Washer motor power [kW].")
    washer_minutes: tuple[PositiveMinutes, PositiveMinutes] = Field(
        (30.0, 60.0), description="Uniform range of a washer cycle's duration [min]."
    )
    dryer_gap_minutes: tuple[Minutes, Minutes] = Field(
        (0.0, 45.0), description="Uniform range of the gap from washer end to dryer start [min]."
    )
    dryer_minutes: tuple[PositiveMinutes, PositiveMinutes] = Field(
        (40.0, 70.0), description="Uniform range of a dryer cycle's duration [min]."
    )
    dryer_element_duty: Share = Field(
        0.7, description="Mean duty of the electric dryer's element over a cycle [1]."
    )
    dishwasher_kw: PositiveKw = Field(
        0.75,
        description="Mean dishwasher draw over a cycle [kW] (about 1 kWh with its own water "
        "heating).",
    )
    dishwasher_minutes: tuple[PositiveMinutes, PositiveMinutes] = Field(
        (60.0, 110.0), description="Uniform range of a dishwasher cycle's duration [min]."
    )
    cooking_kw: tuple[PositiveKw, PositiveKw] = Field(
        (1.2, 3.0), description="Uniform range of an electric burner / oven element's power [kW]."
    )
    cooking_minutes: tuple[PositiveMinutes, PositiveMinutes] = Field(
        (10.0, 50.0), description="Uniform range of a cooking event's duration [min]."
    )
    misc_kw: tuple[PositiveKw, PositiveKw] = Field(
        (0.9, 1.8),
        description="Uniform range of the power of short high-power plug-in events "
        "(microwave, kettle, toaster, hair dryer, vacuum) [kW].",
    )
    misc_minutes: tuple[PositiveMinutes, PositiveMinutes] = Field(
        (3.0, 25.0), description="Uniform range of a short plug-in event's duration [min]."
    )
    hot_water_share_spread: float = Field(
        0.5,
        ge=0.0,
        le=2.0,
        description="Each hot-water draw's share of the day's energy is (1 + spread (u - "
        "0.5)) / slots, u uniform [1].",
    )
    pool_duration_jitter: float = Field(
        0.1,
        ge=0.0,
        lt=1.0,
        description="Relative day-to-day jitter of the pool pump's run time (uniform +-) [1].",
    )
    ev_home_kwh_per_day: float = Field(
        8.0,
        ge=0.0,
        le=100.0,
        description="Mean home charging energy a day of an EV [kWh/day]: ~12,000 miles a year "
        "at ~0.3 kWh/mile with ~80 % charged at home. A session starts on a day with "
        "probability min(1, this / the type's mean session energy).",
    )
    ev_start_jitter_minutes: float = Field(
        15.0,
        ge=0.0,
        le=240.0,
        description="Width of the uniform jitter added to EVI-Pro session starts [min].",
    )

    # --- Air conditioners ----------------------------------------------------------------
    central_ac_size_factor_range: tuple[
        Annotated[float, Field(gt=0.0, le=3.0)], Annotated[float, Field(gt=0.0, le=3.0)]
    ] = Field(
        (0.6, 0.95),
        description="Uniform range of central-AC capacity over the design cooling load [1] "
        "(calibrated on Fontana: effective capacity after duct losses, units sized for typical "
        "days, so they run flat out on hot afternoons).",
    )
    central_ac_cop_range: tuple[
        Annotated[float, Field(gt=0.0, le=10.0)], Annotated[float, Field(gt=0.0, le=10.0)]
    ] = Field(
        (2.4, 3.2),
        description="Uniform range of the central AC's COP at 35 degC outdoors [1] (SEER 10-16 "
        "units with duct and fan losses).",
    )
    ac_cycle_minutes_range: tuple[PositiveMinutes, PositiveMinutes] = Field(
        (12.0, 30.0), description="Uniform range of a compressor's on-off cycle length [min]."
    )
    room_ac_min_setpoint_c: Celsius = Field(
        26.0, description="Lowest cooling setpoint of a room/window unit [degC]."
    )

    # --- Thermostats ---------------------------------------------------------------------
    cooling_setpoint_mean_c: Celsius = Field(
        23.5,
        description="Mean cooling setpoint [degC] (normal, then clipped; California RASS: most "
        "homes set 72-78 degF; calibrated on Fontana).",
    )
    cooling_setpoint_sd_c: float = Field(
        1.0, ge=0.0, le=10.0, description="Standard deviation of the cooling setpoint [degC]."
    )
    cooling_setpoint_range_c: tuple[Celsius, Celsius] = Field(
        (20.5, 27.5), description="Clip range of the cooling setpoint [degC]."
    )
    heating_setpoint_mean_c: Celsius = Field(20.0, description="Mean heating setpoint [degC].")
    heating_setpoint_sd_c: float = Field(
        0.8, ge=0.0, le=10.0, description="Standard deviation of the heating setpoint [degC]."
    )
    heating_setpoint_range_c: tuple[Celsius, Celsius] = Field(
        (17.0, 21.5), description="Clip range of the heating setpoint [degC]."
    )
    setback_share_of_working: Share = Field(
        0.5,
        description="Share of working and night-shift households that set the cooling back "
        "when away [1].",
    )
    away_setback_range_c: tuple[
        Annotated[float, Field(ge=0.0, le=20.0)], Annotated[float, Field(ge=0.0, le=20.0)]
    ] = Field((2.0, 7.0), description="Uniform range of the cooling setback when away [degC].")
    heating_night_setback_c: float = Field(
        2.0, ge=0.0, le=10.0, description="Heating setpoint reduction at night [degC]."
    )
    night_hours: tuple[ClockHour, ClockHour] = Field(
        (22.0, 6.0),
        description="Clock hours [start, end) of the night setpoints (may wrap past midnight) [h].",
    )
    thermostat_day_sigma_c: float = Field(
        0.8,
        ge=0.0,
        le=10.0,
        description="Standard deviation of a home's thermostat settings from day to day "
        "[degC] (people adjust them, open windows, run fans).",
    )
    thermostat_hour_sigma_c: float = Field(
        0.8,
        ge=0.0,
        le=10.0,
        description="Standard deviation of a home's thermostat settings from hour to hour "
        "(AR(1) with hour_noise_autocorrelation) [degC].",
    )
    heat_mode_mean_c: Celsius = Field(
        16.0,
        description="Thermostats heat on days whose mean outdoor temperature at the home is "
        "below this, and cool on the other days [degC] (about the 61 degF balance point).",
    )

    # --- Thermal model -------------------------------------------------------------------
    roof_solar_share: Share = Field(
        0.5,
        description="Share of the solar gain that reaches the house through the attic, with "
        "a first-order lag of attic_lag_hours [1] (the rest at once, through windows).",
    )
    attic_lag_hours: float = Field(
        4.0, gt=0.0, le=48.0, description="Time constant of the attic's solar lag [h]."
    )
    solar_to_air_share: Share = Field(
        0.3,
        description="Share of the solar gain that heats the air directly (the rest is "
        "absorbed by the mass) [1].",
    )
    internal_gain_fraction: Share = Field(
        0.8, description="Share of the indoor electric load that heats the conditioned space [1]."
    )
    person_gain_kw: float = Field(
        0.07, ge=0.0, le=0.5, description="Sensible heat of one person at home [kW]."
    )
    climate_offset_peak_hour: ClockHour = Field(
        15.0,
        description="Local standard hour at which a home's climate offset equals its offset "
        "on the daily maximum [h].",
    )
    cop_temperature_slope: float = Field(
        0.03,
        ge=0.0,
        le=0.2,
        description="Relative COP change per degC of outdoor temperature below 35 degC "
        "(EER against ambient) [1/K].",
    )
    cop_factor_range: tuple[
        Annotated[float, Field(gt=0.0, le=10.0)], Annotated[float, Field(gt=0.0, le=10.0)]
    ] = Field((0.6, 1.5), description="Clip range of that relative COP factor [1].")

    @field_validator(*_RANGES)
    @classmethod
    def _ordered(cls, value: tuple[float, float]) -> tuple[float, float]:
        if value[0] > value[1]:
            raise ValueError(f"low {value[0]:g} exceeds high {value[1]:g}")
        return value

    @field_validator("occupancy_shares", "household_size_shares")
    @classmethod
    def _sum_to_one(cls, value: tuple[float, ...]) -> tuple[float, ...]:
        if not np.isclose(sum(value), 1.0):
            raise ValueError(f"shares sum to {sum(value):g}, not 1")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> LoadParameters:
        if self.working_leave_hours[1] > self.working_return_hours[0]:
            raise ValueError(
                "working_leave_hours must end before working_return_hours start, got "
                f"{self.working_leave_hours} and {self.working_return_hours}"
            )
        # The thermostat tells away hours by their presence, so asleep must differ.
        if self.presence_away >= self.presence_asleep:
            raise ValueError(
                f"presence_away ({self.presence_away:g}) must be below presence_asleep "
                f"({self.presence_asleep:g})"
            )
        return self


@dataclass(frozen=True, eq=False)
class LoadCalibration:
    """The fitted tables of the load model (``calibrated.json``, see :mod:`.fit`).

    Attributes
    ----------
    schedules : mapping
        Hourly weekday/weekend fractions and monthly multipliers by end use (RESNET 301).
    ev_sessions : mapping
        EVI-Pro session tables by type (``bev_l1``, ``bev_l2``, ``phev_l1``, ``phev_l2``).
    weekend_daytime_presence : float
        Presence on weekend daytime (outings) [1], fitted on the ATUS schedule.
    """

    schedules: Mapping[str, Any]
    ev_sessions: Mapping[str, Any]
    weekend_daytime_presence: float

    @classmethod
    def from_calibration(cls, calibration: Mapping[str, Any]) -> LoadCalibration:
        """Build the tables from a calibration dict (the content of ``calibrated.json``)."""
        return cls(
            schedules=calibration["schedules"],
            ev_sessions=calibration["ev"],
            weekend_daytime_presence=float(calibration["occupancy"]["weekend_daytime_presence"]),
        )

    @classmethod
    def default(cls) -> LoadCalibration:
        """The shipped tables, read once per process."""
        return _default_calibration()

    def schedule(self, end_use: str) -> tuple[np.ndarray, np.ndarray]:
        """Hourly fractions (2, 24) [weekday, weekend] and monthly multipliers (12,)."""
        entry = self.schedules[end_use]
        daily = np.array([entry["weekday"], entry["weekend"]], dtype=float)
        return daily, np.asarray(entry["monthly"], dtype=float)


def load_calibration() -> dict:
    """The shipped calibration (calibrated.json next to the load model), as a dict."""
    return read_calibration("vppsim.load")


@cache
def _default_calibration() -> LoadCalibration:
    return LoadCalibration.from_calibration(load_calibration())
