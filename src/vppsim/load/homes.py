"""Per-home attributes of the residential load model.

Home ``i``'s attributes come only from ``stream_rng(seed, Stream.HOMES, i)``: one call per
home draws a fixed block of :data:`N_DRAWS` uniforms (the same whatever the parameters), and
every attribute is a vectorised transform of its own columns. A home's attributes therefore
do not depend on the other homes drawn with it, and changing one share (e.g. ``ev_share``)
changes only the attributes that depend on it. The defaults below are those of
:class:`vppsim.load.parameters.LoadParameters`, whose fields change them.

Sources of the relations (single-family detached homes). Where a value is marked
*calibrated*, it was set by hand so that the inland Fontana-like fleet on the synthetic LA
August weather reproduces the 9 metered Fontana homes (``benchmarks/fit_load.py`` prints
the comparison) and the coastal homes stay within 8-15 kWh/day:

* Household size: ACS 2019 5-year, Los Angeles County (1: 24 %, 2: 28 %, 3: 17 %, 4: 15 %,
  5: 8 %, 6+: 8 %).
* Floor area: lognormal, median 175 m2 (1,880 ft2) inland and 120 m2 (1,290 ft2) on the
  coast, log-sd 0.18 (newer, larger tract homes inland; the spread is *calibrated* on the
  Fontana p10-p90). Bedrooms: ``1 + floor area / 55 m2``, 1..6.
* Plug loads (residual MELs) and televisions: RECS 2020 relations used by OpenStudio-HPXML
  for single-family detached homes, ``786.9 + 241.8 N + 0.33 CFA`` and
  ``334 + 92.2 N + 0.06 CFA`` kWh/yr (N occupants, CFA in ft2), times
  ``plug_load_scale`` (*calibrated*: California homes use less than the national
  relation) and a home's usage factor (lognormal, log-sd 0.25);
  ``misc_event_share`` of the MELs is drawn as short high-power events and half of the
  rest is always on (``idle_share_of_plug_loads``).
* Lighting: ANSI/RESNET/ICC 301 Addendum G, ``0.9 / 0.925 (455 + 0.8 CFA) adj +
  0.1 (455 + 0.8 CFA)`` with a lamp mix of 70 % LED, 20 % CFL, 10 % incandescent
  (``adj = 0.267``), plus exterior ``(100 + 0.05 CFA) adj``.
* Refrigerator: ANSI/RESNET/ICC 301 reference ``637 + 18 Nbr`` kWh/yr times U(0.6, 1.1)
  (newer units use less); a second refrigerator (``second_fridge_share``) of 300-700
  kWh/yr.
* Washer loads ``(164 + 46.5 Nbr) / 365`` a day and dishwasher cycles
  ``(88.4 + 34.9 Nbr) / 365`` a day (ANSI/RESNET/ICC 301), times the usage factor; electric
  range ``(331 + 39 Nbr)`` kWh/yr; electric dryer element 4.0-5.6 kW.
* Electric water heater: ``1.5 + 1.5 N`` kWh/day delivered by a 4.5 kW element.
* Pool pump: ``158.6 / 0.070 (0.5 + 0.25 Nbr / 3 + 0.25 CFA / 1920)`` kWh/yr (OpenStudio-HPXML
  / RESNET), 1.0-1.8 kW, on a timer starting 7-11 h.
* Envelope: UA = floor area x lognormal(1.85 W/(K m2), log-sd 0.15) (*calibrated*; pre-2000
  California stock with infiltration), 35-55 % of it through windows and infiltration
  (air node), the rest through the opaque envelope (mass node); air-mass coupling
  6-10 W/(K m2) of floor (surface film conductance x interior surfaces); mass capacitance
  0.03-0.06 kWh/(K m2) (drywall, furnishings, part of the slab); solar aperture 2.5-3.5 %
  of floor area (effective GHI collecting area: windows x SHGC plus roof and wall sol-air
  gains; half of it reaches the house through the attic with a 4 h lag).
* Central AC: sized for the climate's design temperature (``design_temperature_c_*``)
  times 0.6-0.95 (*calibrated*: effective capacity after duct losses, and units sized for
  typical rather than design days, so that they run flat out on hot afternoons as the
  Fontana homes' plateau shows); COP at 35 degC 2.4-3.2 (SEER 10-16 units with duct and
  fan losses); compressor cycle 12-30 min. Room AC: 1.5-3.0 kW of cooling, COP 2.2-2.8,
  setpoint at least 26 degC, off when nobody is home.
* Setpoints: cooling N(23.5, 1.0) degC clipped to 20.5-27.5 (*calibrated*; California
  RASS: most homes set 72-78 degF); night offset U(-2.5, 0.5); half the working and
  night-shift households set back 2-7 degC when away. Heating N(20, 0.8) clipped 17-21.5
  with a 2 degC night setback.
* Climate: inland homes' offsets from the LA-Downtown temperature are +5.5 degC on the daily
  max and -0.5 degC on the min (Riverside/Fontana vs Downtown August normals, ~95-96/64-65
  vs 85/66 degF); coastal homes -3.0 and -0.5 (Long Beach, LAX, Santa Monica: 75-84 /
  64-69 degF); each home adds U(-1.5, 1.5) on the max and U(-1, 1) on the min. These
  offsets are NOAA 1991-2020 normals as remembered, not verified offline.
* Pools: 18 % of inland and 5 % of coastal homes (assumption; pools cluster in the hot
  valleys). Electric dryers 25 % of washer owners, electric ranges 40 %, electric water
  heaters 8 %, heat pumps 12 % of central-AC homes, wall heaters 18 % of the others
  (assumptions in line with California RASS saturations; gas is the norm in SoCal).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.optimize import brentq
from scipy.special import expit, ndtri

from vppsim.load.model import OCCUPANCY_PATTERNS
from vppsim.load.parameters import LoadCalibration, LoadParameters
from vppsim.seeds import Stream, stream_rng

CLIMATES = ("coastal", "inland")
HEATING_TYPES = ("gas_furnace", "heat_pump", "electric_resistance")
EV_TYPES = ("none", "bev", "phev")

LAMP_ADJUSTMENT = 0.1 + 0.2 * 15.0 / 60.0 + 0.7 * 15.0 / 90.0
"""Lighting energy relative to all-incandescent (RESNET 301 efficacy ratios 15/60, 15/90)."""
BEV_LEVEL2_FALLBACK = 0.8
"""Level-2 share of a vehicle type whose session table lacks the source's session counts."""

_LAYOUT = (
    "climate",
    "offset_max",
    "offset_min",
    "household",
    "floor_area",
    "occupancy",
    "leave",
    "return",
    "shift",
    "usage",
    "fridge_kwh",
    "second_fridge",
    "second_fridge_kwh",
    "washer",
    "dryer",
    "dryer_kw",
    "dishwasher",
    "range",
    "water_heater",
    "pool",
    "pool_kw",
    "pool_start",
    "ua",
    "capacitance",
    "aperture",
    "central_ac",
    "room_ac",
    "ac_oversize",
    "ac_cop",
    "ac_cycle",
    "room_ac_capacity",
    "cooling_setpoint",
    "night_offset",
    "setback_choice",
    "setback",
    "heating_type",
    "heating_setpoint",
    "heat_capacity",
    "heat_cop",
    "has_ev",
    "ev_type",
    "ev_level",
    "lighting_usage",
    "tv_usage",
    "window_share",
    "mass_coupling",
)
N_DRAWS = len(_LAYOUT) + 14
"""Uniforms drawn per home (spare columns keep the layout stable when attributes are added)."""
_COLUMN = {name: i for i, name in enumerate(_LAYOUT)}
REFERENCE_ODDS_RATIO = LoadParameters().ac_inland_odds_ratio


def ac_shares(
    ac_share: float, inland_share: float, odds_ratio: float = REFERENCE_ODDS_RATIO
) -> tuple[float, float]:
    """Central-AC shares (coastal, inland) with the inland ``odds_ratio`` whose mix equals
    ``ac_share`` at ``inland_share`` (the coastal log-odds solved with
    :func:`scipy.optimize.brentq`)."""
    if ac_share <= 0.0 or ac_share >= 1.0:
        return ac_share, ac_share
    shift = float(np.log(odds_ratio))

    def excess(logit: float) -> float:
        mix = (1.0 - inland_share) * expit(logit) + inland_share * expit(logit + shift)
        return mix - ac_share

    bound = 40.0 + abs(shift)  # the mix is within 1e-17 of 0 and 1 beyond
    logit = brentq(excess, -bound, bound, xtol=1e-14, rtol=4 * np.finfo(float).eps)
    return float(expit(logit)), float(expit(logit + shift))


def _draws(seed: int, home_ids: np.ndarray) -> np.ndarray:
    out = np.empty((len(home_ids), N_DRAWS), dtype=np.float64)
    for row, home in enumerate(home_ids.tolist()):
        stream_rng(seed, Stream.HOMES, home).random(out=out[row])
    return out


def draw_homes(
    seed: int,
    home_ids: np.ndarray,
    parameters: LoadParameters | None = None,
    calibration: LoadCalibration | None = None,
) -> pd.DataFrame:
    """Draw the attributes of ``home_ids``.

    Parameters
    ----------
    seed : int
        Study seed; home ``i`` draws only from ``stream_rng(seed, Stream.HOMES, i)``.
    home_ids : int array
        The homes to draw.
    parameters : LoadParameters, optional
        The model's knobs; defaults to ``LoadParameters()``.
    calibration : LoadCalibration, optional
        The fitted tables (EV chargers); defaults to the shipped ones.

    Returns
    -------
    pandas.DataFrame
        One row per home, ``home_id`` (int32) first, then every attribute with its unit in
        the name (see the module docstring for the sources).
    """
    p = LoadParameters() if parameters is None else parameters
    tables = LoadCalibration.default() if calibration is None else calibration
    ids = np.asarray(home_ids, dtype=np.int64).ravel()
    u = _draws(seed, ids)
    n = len(ids)

    def col(name: str) -> np.ndarray:
        return u[:, _COLUMN[name]]

    def between(name: str, low: float, high: float) -> np.ndarray:
        return low + (high - low) * col(name)

    def normal(name: str) -> np.ndarray:
        return ndtri(np.clip(col(name), 1e-9, 1.0 - 1e-9))

    inland = col("climate") < p.inland_share
    climate = np.where(inland, "inland", "coastal")

    def by_climate(name: str) -> np.ndarray:
        return np.where(inland, getattr(p, f"{name}_inland"), getattr(p, f"{name}_coastal"))

    offset_max = by_climate("temp_offset_max_c") + p.temp_offset_max_spread_c * (
        2.0 * col("offset_max") - 1.0
    )
    offset_min = by_climate("temp_offset_min_c") + p.temp_offset_min_spread_c * (
        2.0 * col("offset_min") - 1.0
    )
    sizes = p.household_size_shares
    household = 1 + np.searchsorted(np.cumsum(sizes), col("household"), "right")
    household = np.minimum(household, len(sizes))
    floor_area = np.clip(
        by_climate("floor_area_median_m2") * np.exp(p.floor_area_log_sd * normal("floor_area")),
        50.0,
        500.0,
    )
    cfa_ft2 = floor_area * 10.7639
    bedrooms = np.clip(np.round(1.0 + floor_area / 55.0), 1, 6)

    # Occupancy.
    occupancy = np.searchsorted(np.cumsum(p.occupancy_shares), col("occupancy"), "right")
    occupancy = np.minimum(occupancy, 2)
    working = occupancy == 0
    night = occupancy == 2
    leave = np.where(
        night,
        between("leave", *p.night_shift_leave_hours),
        between("leave", *p.working_leave_hours),
    )
    back = np.where(
        night,
        between("return", *p.night_shift_return_hours),
        between("return", *p.working_return_hours),
    )
    at_home = occupancy == 1
    leave = np.where(at_home, 0.0, leave)
    back = np.where(at_home, 0.0, back)
    shift = between("shift", -1.0, 1.0)

    # Appliances and plug loads [kWh/day].
    usage = np.exp(p.usage_log_sd * normal("usage") - 0.5 * p.usage_log_sd**2)
    mels = p.plug_load_scale * (786.9 + 241.8 * household + 0.33 * cfa_ft2) / 365.0 * usage
    tv = (
        p.plug_load_scale
        * (334.0 + 92.2 * household + 0.06 * cfa_ft2)
        / 365.0
        * np.exp(0.3 * (2.0 * col("tv_usage") - 1.0))
    )
    lighting = (
        (
            (
                0.9 / 0.925 * (455.0 + 0.8 * cfa_ft2) * LAMP_ADJUSTMENT
                + 0.1 * (455.0 + 0.8 * cfa_ft2)
            )
            + (100.0 + 0.05 * cfa_ft2) * LAMP_ADJUSTMENT
        )
        / 365.0
        * np.exp(0.3 * (2.0 * col("lighting_usage") - 1.0))
    )
    fridge_kwh = (637.0 + 18.0 * bedrooms) / 365.0 * between("fridge_kwh", 0.6, 1.1)
    has_second = col("second_fridge") < p.second_fridge_share
    second_kwh = np.where(has_second, between("second_fridge_kwh", 300.0, 700.0) / 365.0, 0.0)
    has_washer = col("washer") < p.washer_share
    washer_loads = (164.0 + 46.5 * bedrooms) / 365.0 * usage
    has_dryer = has_washer & (col("dryer") < p.electric_dryer_share)
    has_dishwasher = col("dishwasher") < p.dishwasher_share
    dish_loads = (88.4 + 34.9 * bedrooms) / 365.0 * usage
    has_range = col("range") < p.electric_range_share
    cooking = (331.0 + 39.0 * bedrooms) / 365.0 * usage
    has_ewh = col("water_heater") < p.electric_water_heater_share
    hot_water = (1.5 + 1.5 * household) * usage
    has_pool = col("pool") < np.where(inland, p.pool_pump_share_inland, p.pool_pump_share_coastal)
    pool_kwh = (
        158.6 / 0.070 * (0.5 + 0.25 * bedrooms / 3.0 + 0.25 * cfa_ft2 / 1920.0) / 365.0
    ) * np.exp(0.3 * (2.0 * col("pool_kw") - 1.0))
    pool_kw = between("pool_kw", 1.0, 1.8)
    pool_start = between("pool_start", 7.0, 11.0)

    # Envelope.
    ua = floor_area * np.exp(np.log(1.85e-3) + 0.15 * normal("ua"))  # kW/K
    ua = np.clip(ua, floor_area * 1.2e-3, floor_area * 3.2e-3)
    window_share = between("window_share", 0.35, 0.55)
    mass_coupling = floor_area * between("mass_coupling", 6.0e-3, 10.0e-3)
    capacitance = floor_area * between("capacitance", 0.03, 0.06)
    aperture = floor_area * between("aperture", 0.025, 0.035)

    # Cooling.
    coastal_ac, inland_ac = ac_shares(p.ac_share, p.inland_share, p.ac_inland_odds_ratio)
    has_central = col("central_ac") < np.where(inland, inland_ac, coastal_ac)
    has_room = ~has_central & (col("room_ac") < p.room_ac_share)
    design = by_climate("design_temperature_c")
    design_load = ua * (design - 24.0) + aperture * 0.85 + 0.8
    central_capacity = design_load * between("ac_oversize", *p.central_ac_size_factor_range)
    room_capacity = between("room_ac_capacity", 1.5, 3.0)
    ac_capacity = np.where(has_central, central_capacity, np.where(has_room, room_capacity, 0.0))
    ac_cop = np.where(
        has_room, between("ac_cop", 2.2, 2.8), between("ac_cop", *p.central_ac_cop_range)
    )
    ac_cop = np.where(has_central | has_room, ac_cop, 0.0)
    ac_cycle = between("ac_cycle", *p.ac_cycle_minutes_range)
    cooling_setpoint = np.clip(
        p.cooling_setpoint_mean_c + p.cooling_setpoint_sd_c * normal("cooling_setpoint"),
        *p.cooling_setpoint_range_c,
    )
    cooling_setpoint = np.where(
        has_room, np.maximum(cooling_setpoint, p.room_ac_min_setpoint_c), cooling_setpoint
    )
    night_offset = between("night_offset", -2.5, 0.5)
    sets_back = (working | night) & (col("setback_choice") < p.setback_share_of_working)
    setback = np.where(sets_back, between("setback", *p.away_setback_range_c), 0.0)
    # Room units are switched off when nobody is home.
    setback = np.where(has_room & (working | night), 10.0, setback)

    # Heating.
    heat_draw = col("heating_type")
    heating_type = np.where(
        has_central & (heat_draw < p.heat_pump_share),
        1,
        np.where(
            ~has_central & (heat_draw < p.electric_resistance_heat_share),
            2,
            0,
        ),
    )
    heating_setpoint = np.clip(
        p.heating_setpoint_mean_c + p.heating_setpoint_sd_c * normal("heating_setpoint"),
        *p.heating_setpoint_range_c,
    )
    heating_setpoint = np.minimum(heating_setpoint, cooling_setpoint + night_offset - 1.0)
    heat_design = ua * (21.0 - 2.0) * between("heat_capacity", 1.2, 1.8)
    heating_capacity = np.where(
        heating_type == 1,
        np.maximum(central_capacity, heat_design),
        np.where(heating_type == 2, np.clip(heat_design, 1.5, 6.0), np.maximum(heat_design, 12.0)),
    )
    heating_kw_per_kw = np.where(
        heating_type == 1,
        1.0 / between("heat_cop", 2.2, 3.2),
        np.where(heating_type == 2, 1.0, 0.02),
    )

    # EV.
    has_ev = col("has_ev") < p.ev_share
    is_bev = col("ev_type") < p.bev_share
    level2_share = np.where(is_bev, _level2_share(tables, "bev"), _level2_share(tables, "phev"))
    level = np.where(col("ev_level") < level2_share, 2, 1)
    ev_type = np.where(has_ev, np.where(is_bev, "bev", "phev"), "none")
    ev_level = np.where(has_ev, level, 0)
    ev_kw = np.zeros(n)
    for vehicle in ("bev", "phev"):
        for charger in (1, 2):
            mask = (ev_type == vehicle) & (ev_level == charger)
            ev_kw[mask] = float(tables.ev_sessions[f"{vehicle}_l{charger}"]["power_kw"])

    fridge_avg = fridge_kwh / 24.0 + second_kwh / 24.0
    standby = p.idle_share_of_plug_loads * mels * (1.0 - p.misc_event_share) / 24.0

    f32 = np.float32
    frame = pd.DataFrame(
        {
            "home_id": ids.astype(np.int32),
            "climate": pd.Categorical(climate, categories=CLIMATES),
            "temp_offset_max_c": offset_max.astype(f32),
            "temp_offset_min_c": offset_min.astype(f32),
            "household_size": household.astype(np.int8),
            "floor_area_m2": floor_area.astype(f32),
            "bedrooms": bedrooms.astype(np.int8),
            "occupancy": pd.Categorical(
                np.asarray(OCCUPANCY_PATTERNS)[occupancy], categories=OCCUPANCY_PATTERNS
            ),
            "leave_hour": leave.astype(f32),
            "return_hour": back.astype(f32),
            "schedule_shift_h": shift.astype(f32),
            "usage_factor": usage.astype(f32),
            "baseload_kw": (fridge_avg + standby).astype(f32),
            "lighting_kwh_per_day": lighting.astype(f32),
            "plug_kwh_per_day": (mels * (1.0 - p.misc_event_share)).astype(f32),
            "misc_kwh_per_day": (mels * p.misc_event_share).astype(f32),
            "tv_kwh_per_day": tv.astype(f32),
            "fridge_kwh_per_day": fridge_kwh.astype(f32),
            "has_second_fridge": has_second,
            "second_fridge_kwh_per_day": second_kwh.astype(f32),
            "has_washer": has_washer,
            "washer_loads_per_day": washer_loads.astype(f32),
            "has_electric_dryer": has_dryer,
            "dryer_kw": between("dryer_kw", 4.0, 5.6).astype(f32),
            "has_dishwasher": has_dishwasher,
            "dishwasher_loads_per_day": dish_loads.astype(f32),
            "has_electric_range": has_range,
            "cooking_kwh_per_day": cooking.astype(f32),
            "has_electric_water_heater": has_ewh,
            "water_heater_kw": np.full(n, 4.5, dtype=f32),
            "hot_water_kwh_per_day": hot_water.astype(f32),
            "has_pool_pump": has_pool,
            "pool_pump_kw": pool_kw.astype(f32),
            "pool_pump_kwh_per_day": pool_kwh.astype(f32),
            "pool_pump_start_hour": pool_start.astype(f32),
            "ua_kw_per_k": ua.astype(f32),
            "window_ua_share": window_share.astype(f32),
            "mass_coupling_kw_per_k": mass_coupling.astype(f32),
            "thermal_capacitance_kwh_per_k": capacitance.astype(f32),
            "solar_aperture_m2": aperture.astype(f32),
            "has_central_ac": has_central,
            "has_room_ac": has_room,
            "ac_capacity_kw": ac_capacity.astype(f32),
            "ac_cop": ac_cop.astype(f32),
            "ac_cycle_min": ac_cycle.astype(f32),
            "cooling_setpoint_c": cooling_setpoint.astype(f32),
            "night_setpoint_offset_c": night_offset.astype(f32),
            "cooling_setback_c": setback.astype(f32),
            "heating_type": pd.Categorical(
                np.asarray(HEATING_TYPES)[heating_type], categories=HEATING_TYPES
            ),
            "heating_setpoint_c": heating_setpoint.astype(f32),
            "heating_capacity_kw": heating_capacity.astype(f32),
            "heating_kw_per_kw": heating_kw_per_kw.astype(f32),
            "has_ev": has_ev,
            "ev_type": pd.Categorical(ev_type, categories=EV_TYPES),
            "ev_charger_level": ev_level.astype(np.int8),
            "ev_charger_kw": ev_kw.astype(f32),
        }
    )
    return frame


def _level2_share(tables: LoadCalibration, vehicle: str) -> float:
    """Share of level-2 chargers for a vehicle type, from the EVI-Pro session counts."""
    try:
        l1 = tables.ev_sessions[f"{vehicle}_l1"]["sessions_in_source"]
        l2 = tables.ev_sessions[f"{vehicle}_l2"]["sessions_in_source"]
    except KeyError:
        return BEV_LEVEL2_FALLBACK
    return float(l2 / (l1 + l2))
