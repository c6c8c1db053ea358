"""The system model's knobs: scenario levers on demand, solar, wind and gas.

The fitted tables (calendar profile, temperature response, per-MW solar and wind profiles,
sourced capacities, demand levels and the monthly gas table) stay in ``calibrated.json``
(:class:`vppsim.system.model.SystemCalibration`); these are what a scenario changes. Every
default reproduces the shipped model.

Scenarios (:mod:`vppsim.scenario`) act through these knobs and the weather:

* heat wave: a weather event (``weather.events``, :class:`vppsim.weather.parameters.WeatherEvent`)
  or more heat events (``weather.heat_event_starts_per_month``); demand follows through the
  temperature response;
* gas crisis: ``gas_price_usd_per_mmbtu=25`` (every month) or ``gas_price_scale=3``;
* low solar: ``solar_capacity_mw`` lower than the year's, or a cloudier weather;
* oversupply: ``solar_capacity_mw`` higher and ``net_load_floor_mw`` lower (more storage and
  exports absorb the midday surplus);
* load growth: ``demand_scale`` (electrification, data centres).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class SystemParameters(BaseModel):
    """Knobs of the synthetic CAISO system (:func:`vppsim.system.model.simulate_system`).

    Notes
    -----
    Demand level: each year's level is the sourced annual mean demand relative to 2022
    (EIA-930 CISO for 2022-2025, CAISO's daily fuel mix for 2019-2021; ``calibrated.json``);
    years after the last sourced year grow from it at ``demand_growth_per_year``, years before
    the first hold the first. ``demand_scale`` multiplies the result.

    Capacity: ``None`` takes the sourced installed capacity of the study's local time
    (interpolated between mid-years, ``calibrated.json``, see ``benchmarks/fit_system.py``):
    CAISO Key Statistics (Feb 2022: 14,963 MW solar, 7,888 MW wind) scaled by the yearly
    growth of CAISO's own output. A number holds that capacity throughout.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    gas_price_usd_per_mmbtu: float | None = Field(
        None,
        ge=0.0,
        le=200.0,
        description="Gas price [$/MMBtu] for every month. None: the sourced monthly table "
        "(EIA N3045CA3, price paid by California power plants, 2019 on; later months repeat "
        "the last 12 months of the table, earlier ones its first year).",
    )
    gas_price_scale: float = Field(
        1.0, ge=0.0, le=20.0, description="Multiplier of the gas price [1] (table or override)."
    )
    demand_scale: float = Field(
        1.0,
        gt=0.0,
        le=5.0,
        description="Multiplier of the demand [1] on top of the year's sourced level "
        "(e.g. 1.1: 10 % more load from electrification).",
    )
    demand_growth_per_year: float = Field(
        0.0,
        ge=-0.2,
        le=0.2,
        description="Yearly growth of demand after the last sourced year [1/yr] (0: held; "
        "CAISO's 2019-2025 annual mean demand moved by less than 1 % a year).",
    )
    solar_capacity_mw: float | None = Field(
        None,
        ge=0.0,
        le=200000.0,
        description="Installed utility-scale solar [MW]. None: the sourced capacity of the "
        "study time (about 15 GW in 2022, 20 GW in 2025, in hub-series units).",
    )
    wind_capacity_mw: float | None = Field(
        None,
        ge=0.0,
        le=100000.0,
        description="Installed wind [MW]. None: the sourced capacity of the study time "
        "(about 7.9 GW in 2022).",
    )
    net_load_floor_mw: float | None = Field(
        None,
        ge=-200000.0,
        le=50000.0,
        description="Solar is curtailed so that net load stays above this [MW], as CAISO "
        "curtails in spring middays (hub actuals are after curtailment). None: the lowest "
        "real hourly net load of 2022-2023 (about 2.5 GW); a large negative number disables "
        "curtailment.",
    )
    solar_sky_coupling: float | None = Field(
        None,
        ge=0.0,
        le=2.0,
        description="How much of the study weather's daily sky (LA daily GHI over its "
        "climatological mean) reaches the state-wide fleet [1]: 0 ignores the weather, 1 "
        "passes it whole. None: the fitted value by month (real fleet's day-to-day spread "
        "over the synthetic LA weather's).",
    )
    wind_autocorrelation: float | None = Field(
        None,
        ge=0.0,
        lt=1.0,
        description="Hour-to-hour autocorrelation of the wind process's normal score [1]. "
        "None: fitted on the 2022-2023 hub actuals.",
    )
    wind_scale: float = Field(
        1.0, ge=0.0, le=5.0, description="Multiplier of the wind output [1] (a windy year)."
    )
    demand_noise_scale: float = Field(
        1.0,
        ge=0.0,
        le=5.0,
        description="Multiplier of the demand residual not explained by the weather [1] "
        "(0: demand is calendar plus temperature only).",
    )
