"""The fleet's assets: each home's rooftop PV, home battery, EV battery, thermostat and VPP
enrolment, drawn per home from the seed, and the battery products they come from.

Home ``i``'s assets come only from ``stream_rng(seed, Stream.ASSETS, i)``: one call per home
draws a fixed block of :data:`N_DRAWS` uniforms (the same whatever the parameters) and every
asset is a vectorised transform of its own columns, as :mod:`vppsim.load.homes` does for the
home attributes. A home's assets therefore do not depend on the other homes drawn with it
(fleet size, chunking), and raising a share only adds assets: the PV homes of a 15 % fleet
are among those of a 20 % fleet.

How the draws fit together:

* **PV** (rooftop, single-family): home ``i`` has PV when its ``pv`` uniform is below the
  adoption share on the study's start date (:meth:`FleetParameters.pv_share_on`: the table
  :attr:`FleetParameters.pv_adoption_share_by_year` of year-end shares, linear between year
  ends, or ``pv_share`` when set). The share never falls, so a home with PV keeps it in later
  studies. The same uniform dates the system (the day the curve reached it): below the share
  at the start of the Net Billing Tariff (15 April 2023) it was installed under NEM 2.0,
  above it under the NBT. Size lognormal, tilt normal, azimuth from a few roof directions
  with a jitter, one DC/AC ratio (:func:`draw_pv`, which the charts use too).
* **Battery**: only PV homes get one (nearly all residential storage is paired with PV), with
  the attach rate of their tariff cohort, and a product drawn from that cohort's product mix
  kept to the products on sale (renormalised): by the home's PV date under the NBT, by the
  end of NEM 2.0 (or the study's start) under NEM 2.0, whose batteries were often added
  later. The product sets
  every battery column (:data:`CATALOGUE`), degradation included; the customer backup
  reserve is :attr:`FleetParameters.backup_reserve_share`.
* **Thermostat**: central-AC homes take part in demand response with
  ``thermostat_dr_share``; every AC home gets a comfort band (the deviation from its cooling
  setpoint it accepts for pre-cooling).
* **VPP enrolment**: homes with a battery or a DR thermostat are eligible; the VPP enrolls a
  share of them.
* **Export limit**: the home's inverter nameplate (PV AC rating plus battery discharge), as
  CPUC Rule 21 interconnection allows, optionally capped by ``export_limit_kw``.
* **EV battery**: by vehicle type (the home attributes' ``ev_type``), uniform in a range.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Annotated, Any

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, model_validator
from scipy.special import ndtri

from vppsim.dataset.schemas import (
    HOME_ID,
    ColumnSpec,
    attribute_schema,
    schema_failures,
)
from vppsim.errors import ConfigError, listed
from vppsim.fleet.dispatch_spec import DispatchSettings
from vppsim.seeds import Stream, stream_rng

Share = Annotated[float, Field(ge=0.0, le=1.0)]

NBT_START = dt.date(2023, 4, 15)
"""The day California's Net Billing Tariff (NEM 3.0, CPUC D.22-12-056) replaced NEM 2.0 for
new interconnection applications of the three IOUs."""


@dataclass(frozen=True)
class BatteryProduct:
    """One home battery as sold, with the datasheet and warranty figures the fleet uses.

    Attributes
    ----------
    key, name : str
        Catalogue key (the ``battery_product`` column) and product name.
    usable_energy_kwh : float
        Usable energy [kWh] (the datasheet's usable, not nominal, capacity).
    charge_kw, discharge_kw : float
        Continuous charge and discharge power, AC side [kW].
    round_trip_efficiency : float
        AC-to-AC round-trip efficiency [1], split as its square root on each leg.
    min_soc : float
        Technical minimum state of charge, share of the usable energy [1] (0: the usable
        energy is already net of the manufacturer's reserve).
    standby_w : float
        Self-consumption at rest [W].
    warranty_years : float
        Warranty period [yr].
    warranted_throughput_kwh : float
        Energy the warranty covers, discharged [kWh] (cycles x usable energy where the
        warranty counts cycles).
    end_of_warranty_retention : float
        Capacity guaranteed at the end of the warranty [1].
    replacement_cost_usd : float
        Hardware price of one unit [$] (what wearing it out costs; installation excluded).
    calendar_fade_per_year : float
        Capacity lost per year at rest [1/yr].
    chemistry : str
        Cell chemistry (NMC or LFP), which sets the calendar fade.
    available_from : datetime.date
        First day the product was installed in US homes: homes that got PV (and their
        battery) before it cannot have it.
    sources : tuple of str
        Where each figure comes from.
    """

    key: str
    name: str
    usable_energy_kwh: float
    charge_kw: float
    discharge_kw: float
    round_trip_efficiency: float
    min_soc: float
    standby_w: float
    warranty_years: float
    warranted_throughput_kwh: float
    end_of_warranty_retention: float
    replacement_cost_usd: float
    calendar_fade_per_year: float
    chemistry: str
    available_from: dt.date
    sources: tuple[str, ...]

    @property
    def leg_efficiency(self) -> float:
        """Charge (and discharge) efficiency [1]: the square root of the round trip."""
        return float(np.sqrt(self.round_trip_efficiency))

    @property
    def standby_loss_per_h(self) -> float:
        """Self-consumption as a share of the usable energy per hour [1/h]."""
        return self.standby_w / 1000.0 / self.usable_energy_kwh

    @property
    def calendar_fade_over_warranty(self) -> float:
        """Capacity the calendar alone takes over the warranty period [1]:
        ``warranty_years * calendar_fade_per_year``."""
        return self.warranty_years * self.calendar_fade_per_year

    @property
    def cycle_fade_per_equivalent_cycle(self) -> float:
        """Capacity lost per equivalent full cycle discharged [1/cycle]: the warranty's fade
        less the calendar's, over the warranted cycles,
        ``(1 - retention - warranty_years * calendar_fade) / (throughput / usable_energy)``.

        The warranty bounds the total fade after its throughput at ``1 - retention``; the
        calendar fade accrues whatever the dispatch, so only the rest is the cycling's.
        The battery kernel (:class:`vppsim.fleet.battery.BatteryKernel`) removes this much
        state of health per equivalent full cycle.
        """
        cycles = self.warranted_throughput_kwh / self.usable_energy_kwh
        return (1.0 - self.end_of_warranty_retention - self.calendar_fade_over_warranty) / cycles

    @property
    def value_of_health_usd(self) -> float:
        """What one unit of state of health is worth [$]: the unit is worn out (replaced)
        when it has lost ``1 - end_of_warranty_retention``, so
        ``replacement_cost_usd / (1 - end_of_warranty_retention)``."""
        return self.replacement_cost_usd / (1.0 - self.end_of_warranty_retention)

    @property
    def throughput_cost_usd_per_kwh(self) -> float:
        """Marginal degradation cost per kWh discharged (AC side) [$/kWh]: the value of the
        state of health the kernel removes per kWh,
        ``value_of_health_usd * cycle_fade_per_equivalent_cycle / usable_energy_kwh``, i.e.
        ``price x (1 - warranty_years x calendar_fade / (1 - retention)) / throughput``.

        Why not ``price / throughput``: that average cost charges each kWh the whole wear
        of the warranty period, but the calendar part of it (``warranty_years x
        calendar_fade`` of the ``1 - retention``) happens whether the battery cycles or not,
        so it is no cost of dispatching; only the cycling's share is marginal. Powerwall 2
        (NMC, 2 %/yr): 8,500 x (1 - 0.2 / 0.3) / 37,800 = $0.075/kWh; Powerwall 3 (LFP,
        1 %/yr) $0.164, Enphase IQ 10T $0.124, SolarEdge Home $0.103. The warranted
        throughput is a floor the maker guarantees, not the physical cycle life (cells
        typically outlast it), so these figures still lean high; and the LP's cost and the
        kernel's fade come from the same two numbers, so a schedule's degradation cost is
        the value of the health the kernel takes away.
        """
        return (
            self.value_of_health_usd * self.cycle_fade_per_equivalent_cycle / self.usable_energy_kwh
        )

    def __post_init__(self) -> None:
        if self.cycle_fade_per_equivalent_cycle <= 0.0:
            raise ValueError(
                f"{self.key}: the calendar fade over the warranty "
                f"({self.calendar_fade_over_warranty:g}) leaves no fade to cycling "
                f"(1 - end_of_warranty_retention = {1.0 - self.end_of_warranty_retention:g})"
            )

    def specification(self) -> dict[str, Any]:
        """The record as JSON-ready values, with the derived figures."""
        return {
            **asdict(self),
            "sources": list(self.sources),
            "charge_efficiency": self.leg_efficiency,
            "discharge_efficiency": self.leg_efficiency,
            "standby_loss_per_h": self.standby_loss_per_h,
            "available_from": self.available_from.isoformat(),
            "cycle_fade_per_equivalent_cycle": self.cycle_fade_per_equivalent_cycle,
            "value_of_health_usd": self.value_of_health_usd,
            "throughput_cost_usd_per_kwh": self.throughput_cost_usd_per_kwh,
        }


_TESLA_WARRANTY = (
    "Tesla, Powerwall Limited Warranty (USA), 2020: 10 years, 70 % capacity, 37.8 MWh "
    "aggregate throughput when not used only for solar self-consumption and backup"
)
_OWNER_STANDBY = (
    "standby 30 W: no datasheet figure; owners measure about 0.7 kWh/day of self-consumption "
    "(assumption)"
)
_FADE = (
    "calendar fade 2 %/yr (NMC) or 1 %/yr (LFP): the order of magnitude of NREL's "
    "BLAST-lite cell life models at about 25 degC and a mid-to-high state of charge (Smith "
    "et al., 'Life prediction model for grid-connected Li-ion battery energy storage "
    "system', NREL, 2017), recalled, not read here; to verify, run BLAST-lite "
    "(github.com/NREL/BLAST-Lite) for the cell type stored 10 years at 25 degC and 50-100 % "
    "state of charge. Roughly +/- a factor 1.5: warmer garages fade faster"
)
_PRICES = (
    "hardware price of one unit without installation, US 2023-2024, recalled from "
    "installer quotes and marketplace listings, not a published list price (about +/- 20 %); "
    "to verify, a dated distributor price list or EnergySage's Solar & Storage Marketplace "
    "Report for the install year"
)
_POWERWALL_2_DATE = (
    "on sale from early 2017 (Tesla unveiled Powerwall 2 on 28 Oct 2016; recalled); any date "
    "before the adoption table's first year end (2019) gives the same fleet"
)

CATALOGUE: Mapping[str, BatteryProduct] = {
    product.key: product
    for product in (
        BatteryProduct(
            key="powerwall_2",
            name="Tesla Powerwall 2 (AC)",
            usable_energy_kwh=13.5,
            charge_kw=5.0,
            discharge_kw=5.0,
            round_trip_efficiency=0.90,
            min_soc=0.0,
            standby_w=30.0,
            warranty_years=10.0,
            warranted_throughput_kwh=37_800.0,
            end_of_warranty_retention=0.70,
            replacement_cost_usd=8_500.0,
            calendar_fade_per_year=0.02,
            chemistry="NMC",
            available_from=dt.date(2017, 1, 1),
            sources=(
                "Tesla, Powerwall 2 AC Datasheet (North America): 13.5 kWh usable, 5 kW "
                "continuous, 90 % round trip, https://www.tesla.com/sites/default/files/pdfs/"
                "powerwall/Powerwall%202_AC_Datasheet_en_northamerica.pdf",
                _TESLA_WARRANTY,
                _OWNER_STANDBY,
                _FADE,
                _PRICES + ": $8,500",
                _POWERWALL_2_DATE,
            ),
        ),
        BatteryProduct(
            key="powerwall_3",
            name="Tesla Powerwall 3",
            usable_energy_kwh=13.5,
            charge_kw=5.0,
            discharge_kw=11.5,
            round_trip_efficiency=0.89,
            min_soc=0.0,
            standby_w=30.0,
            warranty_years=10.0,
            warranted_throughput_kwh=37_800.0,
            end_of_warranty_retention=0.70,
            replacement_cost_usd=9_300.0,
            calendar_fade_per_year=0.01,
            chemistry="LFP",
            available_from=dt.date(2024, 2, 1),
            sources=(
                "Tesla, Powerwall 3 Datasheet (North America), 2023: 13.5 kWh usable, 11.5 kW "
                "AC continuous discharge, 5 kW continuous charge, 89 % solar-to-battery-to-home "
                "round trip",
                _TESLA_WARRANTY + " (taken to hold for Powerwall 3 too)",
                _OWNER_STANDBY,
                _FADE,
                _PRICES + ": $9,300",
                "on sale in the US from February 2024: Tesla opened Powerwall 3 orders on its "
                "US website in February 2024 (Tesla Energy on X, 24 Feb 2024, as reported by "
                "EVMagz, 'Tesla hits 600,000 Powerwall installations worldwide, launches "
                "next-gen version in U.S.', 2024, https://evmagz.com/tesla-hits-600000-"
                "powerwall-installations-worldwide-launches-next-gen-version-in-u-s; and "
                "Teslarati, 2024, https://www.teslarati.com/tesla-gen-powerwall-us-territory/). "
                "A few units were installed quietly from late 2023, too few to count",
            ),
        ),
        BatteryProduct(
            key="enphase_iq_10t",
            name="Enphase IQ Battery 10T",
            usable_energy_kwh=10.08,
            charge_kw=3.84,
            discharge_kw=3.84,
            round_trip_efficiency=0.89,
            min_soc=0.0,
            standby_w=10.0,
            warranty_years=10.0,
            warranted_throughput_kwh=4_000 * 10.08,
            end_of_warranty_retention=0.70,
            replacement_cost_usd=7_500.0,
            calendar_fade_per_year=0.01,
            chemistry="LFP",
            available_from=dt.date(2020, 7, 1),
            sources=(
                "Enphase, IQ Battery 10T data sheet (US), 2023: 10.08 kWh usable, 3.84 kVA "
                "continuous (four IQ8X-BAT microinverters), 89 % round trip",
                "Enphase, IQ Battery Limited Warranty (US) for the IQ Battery 3/3T and 10/10T: "
                "10 years or 4,000 cycles, 70 % capacity (an extension to 15 years is sold "
                "separately; the 15-year, 6,000-cycle terms are the later IQ Battery 5P's and "
                "10C's), as summarised in 'We read Enphase's IQ Battery warranty' (an "
                "EnergySage article, 2023), https://solar-mason.com/post/we-read-enphase-s-iq-"
                "battery-warranty-so-you-don-t-have-to; it also names a cap of 2.8 MWh per kWh, "
                "not applied here",
                "standby 10 W: assumption (four microinverters and the battery management "
                "system at rest)",
                _FADE,
                _PRICES + ": $7,500",
                "on sale from mid-2020: Enphase began shipping its Encharge 10 (the same "
                "10.08 kWh and 3.84 kVA, renamed IQ Battery 10, then 10T) in North America in "
                "Q2 2020 (Enphase Q2 2020 results; recalled, to verify in Enphase's 2020 "
                "10-K)",
            ),
        ),
        BatteryProduct(
            key="solaredge_home_10",
            name="SolarEdge Home Battery 10 kWh (400 V)",
            usable_energy_kwh=9.7,
            charge_kw=5.0,
            discharge_kw=5.0,
            round_trip_efficiency=0.945 * 0.97,
            min_soc=0.0,
            standby_w=10.0,
            warranty_years=10.0,
            warranted_throughput_kwh=22_400.0,
            end_of_warranty_retention=0.70,
            replacement_cost_usd=6_900.0,
            calendar_fade_per_year=0.02,
            chemistry="NMC",
            available_from=dt.date(2021, 1, 1),
            sources=(
                "SolarEdge, Home Battery 400V data sheet (North America), 2022: 9.7 kWh "
                "usable, 5 kW continuous, 94.5 % DC round trip; times 97 % for the inverter's "
                "two conversions on the AC side (assumption, SolarEdge Home Hub CEC weighted "
                "efficiency 99 % per conversion less part-load losses)",
                "SolarEdge, Home Battery Limited Warranty (US): 10 years, 70 % capacity, "
                "22.4 MWh throughput (as remembered, not verified offline)",
                "standby 10 W: assumption",
                _FADE,
                _PRICES + ": $6,900",
                "on sale in the US from early 2021 as the SolarEdge Energy Bank (renamed Home "
                "Battery in 2022; recalled, to verify in SolarEdge's 2021 annual report)",
            ),
        ),
    )
}
"""The home batteries the fleet is drawn from, by catalogue key."""

NO_BATTERY = "none"
PRODUCTS = (NO_BATTERY, *CATALOGUE)
"""The categories of the ``battery_product`` column."""


def _check_cohort_mix(name: str, values: Mapping[str, float]) -> None:
    """Raise naming the field ``name`` unless ``values`` is a product mix of the catalogue."""
    unknown = sorted(set(values) - set(CATALOGUE))
    if unknown:
        raise ValueError(
            f"{name}: unknown battery product(s) {', '.join(unknown)} (use {', '.join(CATALOGUE)})"
        )
    if any(share < 0 for share in values.values()) or not np.isclose(sum(values.values()), 1.0):
        raise ValueError(
            f"{name}: product shares must be non-negative and sum to 1, got {dict(values)}"
        )


class FleetParameters(BaseModel):
    """How the fleet's assets are drawn: adoption, sizes, products, enrolment.

    Every default is sourced in its field's description; shares are of single-family homes in
    Los Angeles. Figures marked *as remembered* were taken from the publications named without
    the documents at hand (no network while this was written) and should be checked.

    Examples
    --------
    >>> FleetParameters(pv_share=0.3, battery_attach_rate_after_nbt=0.6)
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    pv_adoption_share_by_year: dict[int, Share] = Field(
        default_factory=lambda: {
            2019: 0.100,
            2020: 0.112,
            2021: 0.125,
            2022: 0.140,
            2023: 0.155,
            2024: 0.166,
            2025: 0.176,
        },
        description="Share of single-family homes with rooftop PV at the end of each year [1], "
        "non-decreasing. What it rests on: a recalled estimate, not a computed one, of "
        "cumulative residential PV interconnections in Los Angeles County over its roughly "
        "1.2 M single-family homes (US Census ACS 5-year, LA County). The SCE part could be "
        "counted from California Distributed Generation Statistics (CPUC, "
        "californiadgstats.ca.gov: interconnected NEM projects of the three IOUs only); the "
        "LADWP part, a municipal utility serving about a third of the county's homes, is not "
        "in it and would come from LADWP's own net-metering reports or the CEC's Distributed "
        "Generation data; neither was opened here. Trust the level to about +/- 30 % and the "
        "year-to-year growth better than the level. To verify: SCE residential NEM "
        "interconnections in LA County ZIP codes by year from DG Stats, plus LADWP's, over the "
        "ACS single-family count. A study's share is interpolated linearly between year ends "
        "to its start date (pv_share_on); dates outside the table take its nearest year end.",
    )
    pv_share: Share | None = Field(
        None,
        description="Share of homes with PV [1]; None takes the study year's adoption share.",
    )
    pv_size_median_kw_dc: float = Field(
        6.5,
        gt=0.0,
        le=50.0,
        description="Median PV system size [kW DC]: California residential systems have a "
        "median of 6-7 kW DC (LBNL, Tracking the Sun, 2023 edition).",
    )
    pv_size_log_sd: float = Field(
        0.3,
        ge=0.0,
        le=2.0,
        description="Spread of PV size, sd of its natural log [1] (Tracking the Sun's CA "
        "p20-p80 of about 4.5-9 kW DC).",
    )
    pv_size_range_kw_dc: tuple[float, float] = Field(
        (2.0, 15.0),
        description="Clip range of PV size [kW DC]: few residential systems are outside it "
        "(Tracking the Sun).",
    )
    pv_tilt_mean_deg: float = Field(
        20.0,
        ge=0.0,
        le=90.0,
        description="Mean roof tilt [deg]: LA tract roofs are 4:12 to 5:12 pitch (18-23 deg); "
        "PVWatts' default roof tilt is 20 deg (CALIBRATION.md's reference system).",
    )
    pv_tilt_sd_deg: float = Field(
        4.0, ge=0.0, le=30.0, description="Spread of roof tilt [deg] (assumption: 3:12-7:12)."
    )
    pv_tilt_range_deg: tuple[float, float] = Field(
        (5.0, 35.0), description="Clip range of roof tilt [deg]."
    )
    pv_azimuths_deg: tuple[float, ...] = Field(
        (90.0, 135.0, 180.0, 225.0, 270.0),
        description="Roof directions PV faces, clockwise from north [deg] (E, SE, S, SW, W).",
    )
    pv_azimuth_shares: tuple[Share, ...] = Field(
        (0.12, 0.13, 0.40, 0.15, 0.20),
        description="Share of PV systems facing each of pv_azimuths_deg [1]. Tracking the Sun "
        "(2019 edition) finds about 60 % of residential systems facing south to southwest and "
        "a growing west-facing share; the split is an assumption consistent with it.",
    )
    pv_azimuth_jitter_deg: float = Field(
        10.0,
        ge=0.0,
        le=45.0,
        description="Uniform deviation of a roof from its direction, +/- [deg] (street grids "
        "are not aligned with the compass).",
    )
    pv_dc_ac_ratio: float = Field(
        1.2,
        gt=0.0,
        le=5.0,
        description="DC nameplate over inverter AC rating [1]: PVWatts' default; Tracking the "
        "Sun reports a median residential inverter loading ratio of 1.15-1.2.",
    )
    battery_attach_rate_before_nbt: Share = Field(
        0.13,
        description="Share of PV systems installed under NEM 2.0 with a battery [1]. Rests "
        "on LBNL's Tracking the Sun (Barbose et al., 2023 edition, data through 2022): the "
        "share of California residential PV installed with storage was roughly 10-15 % in "
        "2021-2022 (recalled from its storage-attachment chart, not read here; 13 % is a point "
        "in that range, not a published figure). To verify: the edition's data file "
        "(emp.lbl.gov/tracking-the-sun), CA residential systems installed 2019-2022 with "
        "battery_storage = 1, over all CA residential systems. Earlier NEM 2.0 years ran "
        "lower (under 10 %), so the cohort's true mean may be below 13 %.",
    )
    battery_attach_rate_after_nbt: Share = Field(
        0.55,
        description="Share of PV systems installed under the Net Billing Tariff with a battery "
        "[1]. Rests on recalled industry reports of 2024 attach rates for new California NBT "
        "installs of about half (Wood Mackenzie / SEIA, US Solar Market Insight 2024; LBNL's "
        "Tracking the Sun 2024 edition shows the CA storage share rising sharply in 2023 "
        "after NEM 3.0, from 10-15 %), none of them read here: treat 0.55 as 'about half', "
        "+/- 0.15. To verify: Tracking the Sun 2024 data file, CA residential systems "
        "interconnected under the NBT (2023-04-15 onward applications) with storage, or "
        "SCE's NBT interconnection counts with storage from DG Stats.",
    )
    battery_products_before_nbt: dict[str, Share] = Field(
        default_factory=lambda: {
            "powerwall_2": 0.60,
            "enphase_iq_10t": 0.27,
            "solaredge_home_10": 0.13,
        },
        description="Product mix of batteries installed under NEM 2.0 [1]. Rests on a "
        "recalled market picture: Tesla the largest US residential storage vendor (reported "
        "shares vary from about 30 % to 60 % by source and year; EVMagz 2024 quotes 30.2 % "
        "of the US market for 2023), Enphase second, SolarEdge third (Wood Mackenzie / ACP US "
        "Energy Storage Monitor; not read here). The shares are a scenario consistent with "
        "that ranking, +/- 0.15 each. The mix keeps only the products on sale "
        "(BatteryProduct.available_from) by the end of NEM 2.0 or the study's start, "
        "renormalised. To verify: the "
        "battery_manufacturer column of Tracking the Sun's CA residential data by year.",
    )
    battery_products_after_nbt: dict[str, Share] = Field(
        default_factory=lambda: {
            "powerwall_2": 0.25,
            "powerwall_3": 0.35,
            "enphase_iq_10t": 0.28,
            "solaredge_home_10": 0.12,
        },
        description="Product mix of batteries installed under the NBT [1]: the vendor "
        "ranking above with Powerwall 3 taking over from Powerwall 2 (an assumption). Each "
        "home's mix keeps only the products on sale at its install date, renormalised: NBT "
        "homes that got PV before February 2024 never get a Powerwall 3.",
    )
    backup_reserve_share: Share = Field(
        0.2,
        description="Customer backup reserve, share of usable energy the VPP may not use [1]: "
        "often 20 % (CALIBRATION.md, Tesla's default backup reserve).",
    )
    export_limit_kw: float | None = Field(
        None,
        gt=0.0,
        le=1000.0,
        description="Cap on export at the meter [kW AC]; None: each home's inverter nameplate "
        "(PV AC rating plus battery discharge power), what CPUC Rule 21 interconnection "
        "allows a net-billed home to export.",
    )
    thermostat_dr_share: Share = Field(
        0.25,
        description="Share of central-AC homes whose thermostat takes part in demand response "
        "[1]. About a third of US broadband homes have a smart thermostat (Parks Associates, "
        "2023; as remembered); a quarter enrolled (SCE Smart Energy Program, PG&E SmartAC) is "
        "a scenario assumption.",
    )
    comfort_band_range_c: tuple[float, float] = Field(
        (1.0, 2.0),
        description="Range of the comfort band, the deviation from the cooling setpoint a home "
        "accepts for pre-cooling, +/- [K]: utility thermostat programmes shift setpoints by "
        "2-4 degF (1.1-2.2 K) (SCE Smart Energy Program terms).",
    )
    vpp_enrollment_share: Share = Field(
        0.5,
        description="Share of eligible homes (a battery or a DR thermostat) the VPP enrolls "
        "[1]; a scenario choice, not a measured rate.",
    )
    ev_battery_kwh_bev: tuple[float, float] = Field(
        (60.0, 82.0),
        description="Range of BEV battery sizes [kWh]: the Tesla Model Y and Model 3, "
        "California's best sellers, have 60-82 kWh packs (EPA fueleconomy.gov, 2023).",
    )
    ev_battery_kwh_phev: tuple[float, float] = Field(
        (10.0, 18.0),
        description="Range of PHEV battery sizes [kWh]: Prius Prime 13.6, RAV4 Prime 18.1, "
        "Jeep Wrangler 4xe 17.3 kWh (EPA fueleconomy.gov, 2023).",
    )

    @model_validator(mode="after")
    def _coherent(self) -> FleetParameters:
        ranges = (
            "pv_size_range_kw_dc",
            "pv_tilt_range_deg",
            "comfort_band_range_c",
            "ev_battery_kwh_bev",
            "ev_battery_kwh_phev",
        )
        for name in ranges:
            low, high = getattr(self, name)
            if not 0.0 <= low <= high:
                raise ValueError(f"{name} must be 0 <= low <= high, got {(low, high)}")
        if self.pv_tilt_range_deg[1] > 90.0:
            raise ValueError("pv_tilt_range_deg must be within [0, 90]")
        if len(self.pv_azimuths_deg) != len(self.pv_azimuth_shares):
            raise ValueError("pv_azimuths_deg and pv_azimuth_shares need one share per direction")
        if not np.isclose(sum(self.pv_azimuth_shares), 1.0):
            raise ValueError("pv_azimuth_shares must sum to 1")
        table = self.pv_adoption_share_by_year
        if not table:
            raise ValueError("pv_adoption_share_by_year needs at least one year")
        if np.any(np.diff([table[year] for year in sorted(table)]) < 0):
            # A falling share would take PV off homes that had it (the draw is monotone).
            raise ValueError(f"pv_adoption_share_by_year must not fall from year to year: {table}")
        _check_cohort_mix("battery_products_before_nbt", self.battery_products_before_nbt)
        _check_cohort_mix("battery_products_after_nbt", self.battery_products_after_nbt)
        return self

    def adoption_share_on(self, when: dt.date) -> float:
        """The table's share of homes with PV on ``when`` [1]: linear between the year ends
        around it, the nearest year end's outside the table."""
        years = sorted(self.pv_adoption_share_by_year)
        ends = [dt.date(year, 12, 31).toordinal() for year in years]
        shares = [self.pv_adoption_share_by_year[year] for year in years]
        return float(np.interp(when.toordinal(), ends, shares))

    def pv_share_on(self, when: dt.date) -> float:
        """Share of homes with PV for a study starting on ``when`` [1]: ``pv_share`` if set,
        else :meth:`adoption_share_on`."""
        return self.adoption_share_on(when) if self.pv_share is None else self.pv_share

    def pv_share_at_nbt(self) -> float:
        """The table's share of homes with PV when the NBT started [1]. PV homes beyond it
        were installed under the NBT (also with ``pv_share`` set: adoption beyond the
        table's happens under today's tariff)."""
        return self.adoption_share_on(NBT_START)


_LAYOUT = (
    "pv",
    "pv_size",
    "pv_tilt",
    "pv_azimuth",
    "pv_azimuth_jitter",
    "battery",
    "battery_product",
    "thermostat_dr",
    "comfort_band",
    "enrolled",
    "ev_battery",
)
N_DRAWS = len(_LAYOUT) + 13
"""Uniforms drawn per home (spare columns keep the layout stable when assets are added)."""
_COLUMN = {name: i for i, name in enumerate(_LAYOUT)}


def _real(name: str, unit: str, description: str, low: float, high: float) -> ColumnSpec:
    return ColumnSpec(name, unit, description, low, high, dtype="float32")


def _flag(name: str, description: str) -> ColumnSpec:
    return ColumnSpec(name, "1", description, dtype="bool")


ASSET_COLUMNS = (
    _flag("enrolled", "The VPP enrolls the home"),
    _real("export_limit_kw", "kW", "Export limit at the meter, AC", 0, 1000),
    _flag("has_pv", "The home has rooftop PV"),
    _real("pv_dc_kw", "kW", "PV array size, DC (0 without PV)", 0, 1000),
    _real("pv_tilt_deg", "deg", "Roof plane tilt from horizontal", 0, 90),
    _real("pv_azimuth_deg", "deg", "Roof plane azimuth, clockwise from north (180 south)", 0, 360),
    _real("pv_dc_ac_ratio", "1", "PV DC nameplate over inverter AC rating", 0.1, 5),
    _flag("has_battery", "The home has a battery"),
    ColumnSpec("battery_product", "", "Battery catalogue key, none without", dtype="category"),
    _real("battery_energy_kwh", "kWh", "Battery usable energy", 0, 1000),
    _real("battery_charge_kw", "kW", "Battery charge power, AC", 0, 1000),
    _real("battery_discharge_kw", "kW", "Battery discharge power, AC", 0, 1000),
    _real("battery_charge_efficiency", "1", "Share of the AC energy charged that is stored", 0, 1),
    _real("battery_discharge_efficiency", "1", "Share of the energy drawn delivered AC", 0, 1),
    _real("battery_min_soc", "1", "Technical minimum state of charge, share", 0, 1),
    _real("battery_backup_reserve", "1", "Customer backup reserve, share", 0, 1),
    _real("battery_standby_loss_per_h", "1/h", "Standby loss, share per hour", 0, 1),
    _real("battery_throughput_cost_usd_per_kwh", "$/kWh", "Cost per kWh discharged", 0, 10),
    _real("battery_calendar_fade_per_year", "1/yr", "Calendar capacity fade", 0, 1),
    _real(
        "battery_cycle_fade_per_equivalent_cycle",
        "1",
        "Capacity lost per equivalent full cycle discharged",
        0,
        0.01,
    ),
    _real("ev_battery_kwh", "kWh", "EV battery capacity (0 without EV)", 0, 300),
    _real("comfort_band_c", "K", "Allowed deviation from the cooling setpoint, +/-", 0, 10),
    _flag("thermostat_dr_enrolled", "The thermostat is enrolled in demand response"),
)
"""The asset columns of the ``assets`` table (the home attributes come before them)."""


_PV_REALS = ("pv_dc_kw", "pv_tilt_deg", "pv_azimuth_deg", "pv_dc_ac_ratio")


def _draws(seed: int, home_ids: np.ndarray) -> np.ndarray:
    out = np.empty((len(home_ids), N_DRAWS), dtype=np.float64)
    for row, home in enumerate(home_ids.tolist()):
        stream_rng(seed, Stream.ASSETS, home).random(out=out[row])
    return out


def _pick(shares: Mapping[str, float] | tuple[float, ...], u: np.ndarray) -> np.ndarray:
    """Index of the category each uniform falls in, by cumulative share."""
    values = np.asarray(list(shares.values()) if isinstance(shares, Mapping) else shares)
    return np.minimum(np.searchsorted(np.cumsum(values), u, "right"), len(values) - 1)


def _product_table(name: str) -> np.ndarray:
    """``name`` of every catalogue product, in :data:`PRODUCTS` order (0 for none)."""
    return np.array([0.0] + [float(getattr(p, name)) for p in CATALOGUE.values()])


def _start_date(start: dt.date | int) -> dt.date:
    """A study start as a date: a date (a datetime or Timestamp: its date), or a year meaning
    its 1 January."""
    if isinstance(start, dt.datetime):
        return start.date()
    return start if isinstance(start, dt.date) else dt.date(int(start), 1, 1)


def _pv_columns(u: np.ndarray, share: float, p: FleetParameters) -> dict[str, np.ndarray]:
    """The PV columns from the homes' uniforms ``u`` (H, N_DRAWS) and the PV ``share``."""
    pv = u[:, _COLUMN["pv"]]

    def normal(name: str) -> np.ndarray:
        return ndtri(np.clip(u[:, _COLUMN[name]], 1e-9, 1.0 - 1e-9))

    has_pv = pv < share
    size = np.clip(
        p.pv_size_median_kw_dc * np.exp(p.pv_size_log_sd * normal("pv_size")),
        *p.pv_size_range_kw_dc,
    )
    tilt = np.clip(p.pv_tilt_mean_deg + p.pv_tilt_sd_deg * normal("pv_tilt"), *p.pv_tilt_range_deg)
    direction = np.asarray(p.pv_azimuths_deg)[
        _pick(p.pv_azimuth_shares, u[:, _COLUMN["pv_azimuth"]])
    ]
    jitter = p.pv_azimuth_jitter_deg * (2.0 * u[:, _COLUMN["pv_azimuth_jitter"]] - 1.0)
    return {
        "has_pv": has_pv,
        "pv_dc_kw": np.where(has_pv, size, 0.0),
        "pv_tilt_deg": tilt,
        "pv_azimuth_deg": np.mod(direction + jitter, 360.0),
        "pv_dc_ac_ratio": np.full(len(u), p.pv_dc_ac_ratio),
    }


def draw_pv(
    seed: int, home_ids: np.ndarray, share: float, parameters: FleetParameters | None = None
) -> pd.DataFrame:
    """The rooftop PV :func:`draw_assets` gives ``home_ids`` when ``share`` of homes have PV.

    The same draws and transforms as :func:`draw_assets` (one PV model): home ``i`` has PV
    when its ``pv`` uniform is below ``share``, and its size and roof do not depend on the
    share, so raising it only adds systems.

    Parameters
    ----------
    seed : int
        Study seed.
    home_ids : int array
        The homes (non-negative ids).
    share : float
        Share of homes with PV [1].
    parameters : FleetParameters, optional
        Sizes and roofs; defaults to ``FleetParameters()``.

    Returns
    -------
    pandas.DataFrame
        ``home_id``, ``has_pv``, ``pv_dc_kw`` [kW DC], ``pv_tilt_deg``, ``pv_azimuth_deg``
        [deg] and ``pv_dc_ac_ratio`` [1], in the order given.
    """
    p = FleetParameters() if parameters is None else parameters
    ids = np.asarray(home_ids, dtype=np.int64).ravel()
    return pd.DataFrame({HOME_ID: ids, **_pv_columns(_draws(seed, ids), share, p)})


def _on_sale(
    products: Mapping[str, float], until: dt.date, p: FleetParameters, pv: np.ndarray | None
) -> np.ndarray:
    """The cohort mix ``products`` kept to the products on sale, as weights (H or 1,
    len(CATALOGUE)) in catalogue order.

    A product is on sale from its ``available_from`` up to ``until``. With ``pv`` (the homes'
    PV uniforms), also by each home's PV date: home ``i`` got PV on the day the adoption
    curve reached its uniform (the draw is monotone in time), so a product launched on ``d``
    is open to it when ``pv >= adoption_share_on(d)``; products launched before the table's
    first year end are open to every home (the table dates no earlier installs).
    """
    first_end = dt.date(min(p.pv_adoption_share_by_year), 12, 31)
    weights = np.zeros((1 if pv is None else len(pv), len(CATALOGUE)))
    for column, (key, product) in enumerate(CATALOGUE.items()):
        if key not in products or product.available_from > until:
            continue
        if pv is None or product.available_from <= first_end:
            weights[:, column] = products[key]
        else:
            opened = p.adoption_share_on(product.available_from)
            weights[:, column] = np.where(pv >= opened, products[key], 0.0)
    return weights


def draw_assets(
    seed: int,
    home_ids: np.ndarray,
    start: dt.date | int,
    parameters: FleetParameters | None = None,
    homes: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Draw the assets of ``home_ids`` and merge them with the homes' attributes.

    Parameters
    ----------
    seed : int
        Study seed; home ``i`` draws only from ``stream_rng(seed, Stream.ASSETS, i)``.
    home_ids : int array
        The homes to draw.
    start : datetime.date or int
        The study's first day (a year: its 1 January). Sets the PV adoption share
        (interpolated between year ends, :meth:`FleetParameters.pv_share_on`), so the NEM
        2.0 / NBT cohorts, and the products on sale.
    parameters : FleetParameters, optional
        Defaults to ``FleetParameters()``.
    homes : pandas.DataFrame, optional
        The homes' attributes (:func:`vppsim.load.homes.draw_homes` of the same ids, the
        load model's); drawn with the default load parameters when not given.

    Returns
    -------
    pandas.DataFrame
        One row per home in the order given: ``home_id``, the home attributes, then the
        asset columns of :data:`ASSET_COLUMNS` (units in the names and the specs).
    """
    p = FleetParameters() if parameters is None else parameters
    start = _start_date(start)
    ids = np.asarray(home_ids, dtype=np.int64).ravel()
    if homes is None:
        from vppsim.load.homes import draw_homes

        homes = draw_homes(seed, ids)
    if not np.array_equal(homes[HOME_ID].to_numpy(dtype=np.int64), ids):
        raise ValueError("homes must hold the attributes of home_ids, in the same order")
    u = _draws(seed, ids)

    def col(name: str) -> np.ndarray:
        return u[:, _COLUMN[name]]

    def between(name: str, bounds: tuple[float, float]) -> np.ndarray:
        return bounds[0] + (bounds[1] - bounds[0]) * col(name)

    # PV: one uniform decides adoption and, against the share at the NBT's start, the cohort.
    pv = _pv_columns(u, p.pv_share_on(start), p)
    has_pv = pv["has_pv"]
    after_nbt = has_pv & (col("pv") >= p.pv_share_at_nbt())

    # Battery: the cohort's attach rate and its product mix, kept to the products on sale
    # (renormalised; a home none of whose products was on sale gets no battery). An NBT
    # home's battery came with its PV, so by its PV date; a NEM 2.0 home's may have been added
    # later (the 2019-2022 retrofits for outage backup, SGIP-funded; adding storage keeps NEM
    # 2.0), so by the end of NEM 2.0: dating it by its PV would give nearly every pre-2020 PV
    # home a Powerwall 2, against the cohort's sourced mix.
    attach = np.where(after_nbt, p.battery_attach_rate_after_nbt, p.battery_attach_rate_before_nbt)
    nem_2_end = min(start, NBT_START - dt.timedelta(days=1))
    weights = np.where(
        after_nbt[:, None],
        _on_sale(p.battery_products_after_nbt, start, p, col("pv")),
        _on_sale(p.battery_products_before_nbt, nem_2_end, p, None),
    )
    total = weights.sum(axis=1)
    has_battery = has_pv & (col("battery") < attach) & (total > 0)
    cumulative = np.cumsum(weights, axis=1)
    chosen = np.sum(cumulative <= (col("battery_product") * total)[:, None], axis=1)
    product = np.where(has_battery, np.minimum(chosen, len(CATALOGUE) - 1) + 1, 0)  # PRODUCTS

    def spec(name: str) -> np.ndarray:
        return _product_table(name)[product]

    efficiency = np.sqrt(spec("round_trip_efficiency"))
    energy = spec("usable_energy_kwh")
    standby = np.divide(
        spec("standby_w") / 1000.0, energy, out=np.zeros(len(ids)), where=energy > 0
    )
    min_soc = spec("min_soc")
    reserve = np.where(has_battery, np.maximum(p.backup_reserve_share, min_soc), 0.0)
    discharge = spec("discharge_kw")

    # Thermostat and enrolment.
    has_ac = homes["has_central_ac"].to_numpy() | homes["has_room_ac"].to_numpy()
    dr = homes["has_central_ac"].to_numpy() & (col("thermostat_dr") < p.thermostat_dr_share)
    band = np.where(has_ac, between("comfort_band", p.comfort_band_range_c), 0.0)
    enrolled = (has_battery | dr) & (col("enrolled") < p.vpp_enrollment_share)

    export = np.where(has_pv, pv["pv_dc_kw"] / p.pv_dc_ac_ratio + discharge, 0.0)
    if p.export_limit_kw is not None:
        export = np.minimum(export, p.export_limit_kw)

    ev_type = homes["ev_type"].astype(str).to_numpy()
    ev_kwh = np.select(
        [ev_type == "bev", ev_type == "phev"],
        [between("ev_battery", p.ev_battery_kwh_bev), between("ev_battery", p.ev_battery_kwh_phev)],
        0.0,
    )

    f32 = np.float32
    assets = pd.DataFrame(
        {
            "enrolled": enrolled,
            "export_limit_kw": export.astype(f32),
            "has_pv": has_pv,
            **{name: pv[name].astype(f32) for name in _PV_REALS},
            "has_battery": has_battery,
            "battery_product": pd.Categorical.from_codes(product, categories=PRODUCTS),
            "battery_energy_kwh": energy.astype(f32),
            "battery_charge_kw": spec("charge_kw").astype(f32),
            "battery_discharge_kw": discharge.astype(f32),
            "battery_charge_efficiency": np.where(has_battery, efficiency, 1.0).astype(f32),
            "battery_discharge_efficiency": np.where(has_battery, efficiency, 1.0).astype(f32),
            "battery_min_soc": min_soc.astype(f32),
            "battery_backup_reserve": reserve.astype(f32),
            "battery_standby_loss_per_h": standby.astype(f32),
            "battery_throughput_cost_usd_per_kwh": spec("throughput_cost_usd_per_kwh").astype(f32),
            "battery_calendar_fade_per_year": spec("calendar_fade_per_year").astype(f32),
            "battery_cycle_fade_per_equivalent_cycle": spec(
                "cycle_fade_per_equivalent_cycle"
            ).astype(f32),
            "ev_battery_kwh": ev_kwh.astype(f32),
            "comfort_band_c": band.astype(f32),
            "thermostat_dr_enrolled": dr,
        }
    )
    return pd.concat([homes.reset_index(drop=True), assets], axis=1)


def fleet_failures(frame: pd.DataFrame, label: str = "assets") -> list[str]:
    """Every problem of an assets table, one line each (empty: it is a valid fleet): the
    schema of :data:`ASSET_COLUMNS` (types, ranges, one row per home), then, if it holds,
    :func:`rule_failures`."""
    failures = schema_failures(attribute_schema(ASSET_COLUMNS, "assets"), frame, label)
    return failures or rule_failures(frame, label)


def rule_failures(frame: pd.DataFrame, label: str = "assets") -> list[str]:
    """The rules that tie an assets table's columns together, one line per broken rule.

    The backup reserve at or above the technical minimum and below a full battery; a
    battery's energy and powers positive (and zero without one), efficiencies positive; no
    PV size on a home without PV.
    """
    battery = frame["has_battery"].to_numpy(dtype=bool)
    rules = {
        "battery_backup_reserve is below battery_min_soc": frame["battery_backup_reserve"]
        < frame["battery_min_soc"],
        "battery_backup_reserve is a full battery (>= 1)": frame["battery_backup_reserve"] >= 1,
        "battery_product is none on a home with a battery": battery
        & (frame["battery_product"].astype(str) == NO_BATTERY),
        "has_pv without pv_dc_kw > 0": frame["has_pv"] & (frame["pv_dc_kw"] <= 0),
        "pv_dc_kw > 0 on a home without PV": ~frame["has_pv"] & (frame["pv_dc_kw"] > 0),
    }
    for name in ("battery_energy_kwh", "battery_charge_kw", "battery_discharge_kw"):
        rules[f"{name} is not positive on a home with a battery"] = battery & (frame[name] <= 0)
        rules[f"{name} is not 0 on a home without a battery"] = ~battery & (frame[name] != 0)
    for name in ("battery_charge_efficiency", "battery_discharge_efficiency"):
        rules[f"{name} is not positive"] = frame[name] <= 0
    homes = frame[HOME_ID].to_numpy() if HOME_ID in frame else np.arange(len(frame))
    return [
        f"{label}: {rule} at home(s) {listed(homes[np.asarray(bad, dtype=bool)])}"
        for rule, bad in rules.items()
        if np.any(bad)
    ]


def validate_fleet(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` if it is a valid assets table (e.g. one supplied by a user).

    Raises
    ------
    ConfigError
        Every problem :func:`fleet_failures` finds, in one message.
    """
    failures = fleet_failures(frame)
    if failures:
        raise ConfigError(f"{len(failures)} problem(s) in the assets: " + "; ".join(failures))
    return frame


@dataclass(frozen=True)
class Fleet:
    """The fleet as struct-of-arrays: one numpy array per column of the assets table.

    ``fleet.battery_energy_kwh`` is that column (one value per home, in row order), and so is
    every home attribute (``fleet.ac_capacity_kw``). Category columns are string arrays;
    ``categories`` keeps their categories for :meth:`to_frame`.
    """

    columns: Mapping[str, np.ndarray]
    categories: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    @classmethod
    def from_frame(cls, frame: pd.DataFrame) -> Fleet:
        """The fleet of an assets table (checked by :func:`validate_fleet`)."""
        validate_fleet(frame)
        columns, categories = {}, {}
        for name in frame.columns:
            series = frame[name]
            if isinstance(series.dtype, pd.CategoricalDtype):
                categories[name] = tuple(series.cat.categories)
                series = series.astype(str)
            columns[name] = series.to_numpy()
        return cls(columns, categories)

    def to_frame(self) -> pd.DataFrame:
        """The assets table again, categories restored."""
        frame = pd.DataFrame(dict(self.columns))
        for name, categories in self.categories.items():
            frame[name] = pd.Categorical(frame[name], categories=categories)
        return frame

    def __getattr__(self, name: str) -> np.ndarray:
        columns = object.__getattribute__(self, "columns")
        if name in columns:
            return columns[name]
        raise AttributeError(f"the fleet has no column {name!r}")

    def __len__(self) -> int:
        return len(self.columns[HOME_ID])


def asset_specifications() -> dict[str, Any]:
    """``assets/asset_specifications.json``: every catalogue product with its sources."""
    return {
        "products": {key: product.specification() for key, product in CATALOGUE.items()},
        "throughput_cost_formula": "replacement_cost_usd * (1 - warranty_years * "
        "calendar_fade_per_year / (1 - end_of_warranty_retention)) / warranted_throughput_kwh "
        "[$/kWh discharged, AC side]: the marginal cost of cycling, the calendar fade (which "
        "happens whatever the dispatch) left out",
        "cycle_fade_formula": "(1 - end_of_warranty_retention - warranty_years * "
        "calendar_fade_per_year) / (warranted_throughput_kwh / usable_energy_kwh) [1 per "
        "equivalent full cycle]; throughput cost = value_of_health_usd * cycle fade / "
        "usable_energy_kwh, value_of_health_usd = replacement_cost_usd / (1 - "
        "end_of_warranty_retention)",
        "efficiency_split": "charge and discharge efficiency are each the square root of the "
        "round-trip efficiency",
    }


def operational_constraints(parameters: FleetParameters) -> dict[str, Any]:
    """``assets/operational_constraints.json``: the fleet-level limits dispatch honours (the
    AS durations are the dispatch's own defaults)."""
    p = parameters
    dispatch = DispatchSettings()
    return {
        "export_limit": {
            "rule": "each home's inverter nameplate: PV AC rating plus battery discharge power",
            "cap_kw": p.export_limit_kw,
            "source": "CPUC Electric Rule 21 (interconnection of net-billed generation)",
        },
        "battery": {
            "backup_reserve_share": p.backup_reserve_share,
            "soc_window": "battery_backup_reserve <= soc / battery_energy_kwh <= 1; the "
            "technical minimum battery_min_soc is never crossed",
            "no_simultaneous_charge_and_discharge": True,
        },
        "thermostat": {
            "comfort_band_range_c": list(p.comfort_band_range_c),
            "rule": "indoor temperature within cooling setpoint +/- comfort_band_c while a "
            "DR-enrolled thermostat is shifted; homes without DR keep their own setpoint",
        },
        "aggregation": {
            "minimum_kw": 100.0,
            "rule": "CAISO DER aggregations of at least 100 kW within one sub-LAP; proxy "
            "demand response is curtailment only",
            "source": "CALIBRATION.md, CAISO Tariff DERA and PDR",
        },
        "ancillary_services": {
            "regulation_duration_h": dispatch.regulation_hours,
            "spinning_reserve_duration_h": dispatch.reserve_hours,
            "non_spinning_reserve_duration_h": dispatch.reserve_hours,
            "rule": "an award of P kW for an hour needs state of charge for P kW over the "
            "duration above the backup reserve (discharge) or headroom below full (charge)",
            "source": "CAISO Fifth Replacement Electronic Tariff, section 8 as of 1 May 2026 "
            "(https://www.caiso.com/documents/section-8-ancillary-services-as-of-may-1-2026.pdf"
            "): regulation dispatchable continuously for at least 60 min in the day-ahead "
            "market (8.4.1.1(g); Regulation Energy Management, 15 min for storage, 8.4.1.2, "
            "not modelled here); spinning and non-spinning reserve 30 min (8.4.3)",
        },
    }
