"""Turn the residential-load reference files into the shipped parameters (``calibrated.json``).

Pure functions: files or frames in, a JSON-ready dict out. ``benchmarks/fit_load.py`` runs
:func:`fit_calibration` on ``../shared/reference/load`` and writes
``src/vppsim/load/calibrated.json``; the result is deterministic (no random draws).

What is taken from where:

* ``appliance_schedules/default_schedule_parameters_RESNET301.csv`` (ANSI/RESNET/ICC 301
  Table C.3 and the 2010 Building America House Simulation Protocols): the hourly weekday and
  weekend fractions and the monthly multipliers of each end use the model schedules
  (lighting, plug loads, television, cooking, laundry, dishwasher, refrigerator, pool pump,
  hot water). Daily fractions are renormalised to sum to exactly 1.
* ``appliance_schedules/resstock_stochastic_schedule_15min_colorado.csv.gz`` (an ATUS-based
  OpenStudio-HPXML occupancy schedule): the hourly share of occupants at home on weekdays
  and weekends, and from it the weekend daytime presence of the occupancy model (the one
  fitted occupancy constant, see :func:`weekend_daytime_presence`).
* ``ev_sessions_la_riverside/*.csv`` (NREL EVI-Pro home sessions, LA-Long Beach CBSA rows
  only): per vehicle and charger type (BEV/PHEV x level 1/2) the charger power, the session
  count and mean energy, and a compact table of sessions (start minute, charging minutes)
  taken at evenly spaced ranks of the start time, so the start-time distribution and the
  energy of sessions starting at each time of day are kept.
* ``fontana_homes_1_9/Building_*.csv`` (9 metered homes, inland, hourly): the August
  figures the model is checked against (:func:`load_figures`); they are stored for the
  calibration report, not used by the generator.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from vppsim.load.calibration import autocorrelation
from vppsim.load.calibration import read_fontana as read_fontana_frame

DIGITS = 4
"""Decimals kept in calibrated.json."""

SCHEDULE_END_USES = {
    # model name: (RESNET schedule name, weekday element, weekend element, monthly element)
    "occupants": (
        "occupants",
        "WeekdayScheduleFractions",
        "WeekendScheduleFractions",
        "MonthlyScheduleMultipliers",
    ),
    "lighting_interior": (
        "lighting_interior",
        "InteriorWeekdayScheduleFractions",
        "InteriorWeekendScheduleFractions",
        "InteriorMonthlyScheduleMultipliers",
    ),
    "lighting_exterior": (
        "lighting_exterior",
        "ExteriorWeekdayScheduleFractions",
        "ExteriorWeekendScheduleFractions",
        "ExteriorMonthlyScheduleMultipliers",
    ),
    "plug_loads_other": (
        "plug_loads_other",
        "WeekdayScheduleFractions",
        "WeekendScheduleFractions",
        "MonthlyScheduleMultipliers",
    ),
    "plug_loads_tv": (
        "plug_loads_tv",
        "WeekdayScheduleFractions",
        "WeekendScheduleFractions",
        "MonthlyScheduleMultipliers",
    ),
    "cooking_range": (
        "cooking_range",
        "WeekdayScheduleFractions",
        "WeekendScheduleFractions",
        "MonthlyScheduleMultipliers",
    ),
    "clothes_washer": (
        "clothes_washer",
        "WeekdayScheduleFractions",
        "WeekendScheduleFractions",
        "MonthlyScheduleMultipliers",
    ),
    "dishwasher": (
        "dishwasher",
        "WeekdayScheduleFractions",
        "WeekendScheduleFractions",
        "MonthlyScheduleMultipliers",
    ),
    "refrigerator": (
        "refrigerator",
        "WeekdayScheduleFractions",
        "WeekendScheduleFractions",
        "MonthlyScheduleMultipliers",
    ),
    "pool_pump": (
        "pool_pump",
        "WeekdayScheduleFractions",
        "WeekendScheduleFractions",
        "MonthlyScheduleMultipliers",
    ),
    "hot_water_fixtures": (
        "hot_water_fixtures",
        "WaterFixturesWeekdayScheduleFractions",
        "WaterFixturesWeekendScheduleFractions",
        "WaterFixturesMonthlyScheduleMultipliers",
    ),
}
"""The RESNET 301 rows each modelled end use takes its hourly and monthly shape from."""

EV_FILES = {
    "bev_l1": "BEV_level_1_LA_Riverside.csv",
    "bev_l2": "BEV_level_2_LA_Riverside.csv",
    "phev_l1": "PHEV_level_1_LA_Riverside.csv",
    "phev_l2": "PHEV_level_2_LA_Riverside.csv",
}
LA_CBSA_CODE = 31080
"""Los Angeles-Long Beach-Anaheim, CA Metropolitan Statistical Area."""
EV_TABLE_SESSIONS = 100
"""Sessions kept per vehicle and charger type in calibrated.json."""

WEEKEND_DAYTIME_HOURS = (10, 18)
"""Local hours (start inclusive, end exclusive) over which weekend presence is fitted."""

FONTANA_MONTH = 8
COINCIDENT_GROUP_SIZES = (1, 2, 3, 5, 9)


def _rounded(values) -> list | float:
    return np.round(np.asarray(values, dtype=float), DIGITS).tolist()


# --- RESNET 301 schedules --------------------------------------------------------------------


def read_resnet_schedules(path: str | Path) -> pd.DataFrame:
    """The RESNET 301 schedule table, one row per (schedule, element), values parsed."""
    table = pd.read_csv(path)
    table["parsed"] = [
        np.array([float(v) for v in str(text).split(",")]) for text in table["Values"]
    ]
    return table


def schedule_fractions(table: pd.DataFrame) -> dict:
    """Hourly weekday/weekend fractions (each summing to 1) and monthly multipliers by end use."""
    out = {}
    for name, (schedule, weekday, weekend, monthly) in SCHEDULE_END_USES.items():
        rows = table[table["Schedule Name"] == schedule].set_index("Element")["parsed"]
        entry = {}
        for key, element in (("weekday", weekday), ("weekend", weekend)):
            values = np.asarray(rows[element], dtype=float)
            if values.shape != (24,) or (values < 0).any():
                raise ValueError(f"{schedule} {element}: expected 24 non-negative fractions")
            entry[key] = _rounded(values / values.sum())
        months = np.asarray(rows[monthly], dtype=float)
        if months.shape != (12,):
            raise ValueError(f"{schedule} {monthly}: expected 12 multipliers")
        entry["monthly"] = _rounded(months)
        out[name] = entry
    return out


# --- Occupancy (ResStock / ATUS stochastic schedule) ----------------------------------------


def read_resstock_schedule(path: str | Path) -> pd.DataFrame:
    """The one-year 15-min stochastic schedule; rows start on a Monday, Jan 1 (2007 layout)."""
    frame = pd.read_csv(path)
    if len(frame) not in (35040, 35136):
        raise ValueError(f"expected one year of 15-min rows, got {len(frame)}")
    return frame


def occupancy_profiles(schedule: pd.DataFrame) -> dict:
    """Mean share of occupants at home by local hour, weekdays and weekends.

    The schedule's year layout is not stated; OpenStudio-HPXML writes its stochastic
    schedules for a non-leap year starting on a Monday (2007 layout), which is assumed here.
    """
    steps = np.arange(len(schedule))
    day = steps // 96
    hour = (steps % 96) // 4
    weekend = (day % 7) >= 5
    occupants = schedule["occupants"].to_numpy(dtype=float)
    out = {}
    for key, mask in (("weekday", ~weekend), ("weekend", weekend)):
        sums = np.bincount(hour[mask], occupants[mask], minlength=24)
        counts = np.bincount(hour[mask], minlength=24)
        out[key] = _rounded(sums / counts)
    return out


def weekend_daytime_presence(profiles: dict, weekday_daytime_presence: float) -> float:
    """Presence of every household on weekend daytime hours, fitted on the ATUS schedule.

    The occupancy model (see :mod:`vppsim.load.model`) gives each home a weekday presence
    from its pattern; on weekends every home is at home except for outings in
    :data:`WEEKEND_DAYTIME_HOURS`, when its presence is this value. It is set so that the
    fleet's weekend/weekday ratio of daytime presence equals the ATUS schedule's ratio of
    occupants at home over the same hours.

    Parameters
    ----------
    profiles : dict
        :func:`occupancy_profiles` output.
    weekday_daytime_presence : float
        The model's mean weekday presence over the same hours (default pattern mix).
    """
    first, last = WEEKEND_DAYTIME_HOURS
    weekday = np.asarray(profiles["weekday"][first:last], dtype=float)
    weekend = np.asarray(profiles["weekend"][first:last], dtype=float)
    ratio = weekend.mean() / weekday.mean()
    return float(np.round(np.clip(ratio * weekday_daytime_presence, 0.0, 1.0), DIGITS))


# --- EV sessions (EVI-Pro) ------------------------------------------------------------------


def read_ev_sessions(folder: str | Path) -> dict[str, pd.DataFrame]:
    """The LA-Long Beach CBSA home sessions of each vehicle and charger type."""
    out = {}
    for key, name in EV_FILES.items():
        frame = pd.read_csv(Path(folder) / name)
        frame = frame[frame["cbsa_code"] == LA_CBSA_CODE]
        if frame.empty:
            raise ValueError(f"{name}: no LA-Long Beach sessions")
        out[key] = frame.reset_index(drop=True)
    return out


def ev_session_table(sessions: dict[str, pd.DataFrame], per_type: int = EV_TABLE_SESSIONS) -> dict:
    """Compact session tables: charger power, session count, mean energy, and ``per_type``
    sessions (start minute of day, charging minutes, plug-in minutes: EVI-Pro's
    ``duration``, from plug-in to plug-out) at evenly spaced start-time ranks."""
    out = {}
    for key, frame in sessions.items():
        power = frame["avg_power_kw"].to_numpy(dtype=float)
        if np.ptp(power) > 1e-9:
            raise ValueError(f"{key}: expected one charger power, got {np.unique(power)}")
        ordered = frame.sort_values(
            ["start_time", "charge_time", "total_charge"], kind="mergesort"
        ).reset_index(drop=True)
        n = len(ordered)
        ranks = np.minimum(((np.arange(per_type) + 0.5) * n / per_type).astype(np.int64), n - 1)
        picked = ordered.iloc[ranks]
        energy = frame["total_charge"].to_numpy(dtype=float)
        out[key] = {
            "power_kw": float(np.round(power[0], DIGITS)),
            "sessions_in_source": int(n),
            "mean_session_kwh": float(np.round(energy.mean(), DIGITS)),
            "median_start_minute": float(np.median(frame["start_time"])),
            "start_minute": picked["start_time"].astype(int).tolist(),
            "charge_minutes": picked["charge_time"].astype(int).tolist(),
            "plug_minutes": picked["duration"].astype(int).tolist(),
        }
    return out


# --- Fontana homes and the shared load figures ----------------------------------------------


def read_fontana(folder: str | Path) -> tuple[np.ndarray, pd.DataFrame]:
    """Hourly whole-home consumption of the 9 Fontana homes, as arrays.

    Returns
    -------
    energy : array (9, 8760)
        ``Equipment Electric Power [kWh]`` per hour (= mean kW).
    calendar : DataFrame
        ``Month``, ``Hour`` (hour-ending 1-24, local) and ``Day Type`` of each row.
    """
    frame = read_fontana_frame(folder)  # the one reader, with its calendar checks
    energy = frame["kwh"].to_numpy(dtype=float).reshape(frame["home"].nunique(), -1)
    first = frame[frame["home"] == frame["home"].iloc[0]]
    calendar = first[["month", "hour", "day_type"]].set_axis(["Month", "Hour", "Day Type"], axis=1)
    return energy, calendar.reset_index(drop=True)


def fontana_august(energy: np.ndarray, calendar: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """August as (homes, 31 days, 24 hours) [kWh per hour = kW] and the weekend flag by day.

    The first row of the files is Jul 31 hour-ending 24, so August's rows are whole days
    from hour-ending 1. Day Type 1..7 is Monday..Sunday (Aug 1 is a Monday, as in 2016).
    """
    august = (calendar["Month"] == FONTANA_MONTH).to_numpy()
    hours = calendar["Hour"].to_numpy()[august]
    if august.sum() != 31 * 24 or hours[0] != 1:
        raise ValueError("expected 31 whole August days starting at hour-ending 1")
    days = energy[:, august].reshape(energy.shape[0], 31, 24)
    day_type = calendar["Day Type"].to_numpy()[august].reshape(31, 24)[:, 0]
    return days, day_type >= 6


def coincident_peak_per_home(hourly: np.ndarray, group_sizes: Sequence[int]) -> dict:
    """Mean over groups of the group's peak of summed load, per home, by group size.

    ``hourly`` is (homes, time). Up to 12 homes, all combinations are used; above,
    consecutive disjoint groups.
    """
    n_homes = hourly.shape[0]
    out = {}
    for size in group_sizes:
        if size > n_homes:
            continue
        if n_homes <= 12:
            groups = [list(c) for c in itertools.combinations(range(n_homes), size)]
        else:
            groups = [list(range(i, i + size)) for i in range(0, n_homes - size + 1, size)]
        peaks = [hourly[g].sum(axis=0).max() / size for g in groups]
        out[str(size)] = float(np.round(np.mean(peaks), DIGITS))
    return out


def load_figures(
    hourly: np.ndarray,
    weekend: np.ndarray,
    group_sizes: Sequence[int] = COINCIDENT_GROUP_SIZES,
) -> dict:
    """The residential-load calibration figures of hourly data.

    Parameters
    ----------
    hourly : array (homes, days, 24)
        Mean demand per local hour [kW] (= kWh in the hour); hour index 0 is 00-01 h.
    weekend : array (days,) of bool

    Returns
    -------
    dict
        Daily kWh (median of home means, p10/p90 of home means, p5..p95 of home-days),
        hourly peak per home (p10/p50/p90), median load factor (mean/peak per home), the
        mean profile on weekdays and weekends, the histogram of the hour of each home-day's
        peak, lag-1 h and lag-24 h autocorrelation, and the coincident peak per home.
    """
    hourly = np.asarray(hourly, dtype=float)
    n_homes = hourly.shape[0]
    daily = hourly.sum(axis=2)
    home_mean = daily.mean(axis=1)
    flat = hourly.reshape(n_homes, -1)
    peak = flat.max(axis=1)
    load_factor = flat.mean(axis=1) / np.where(peak > 0, peak, 1.0)

    return {
        "homes": int(n_homes),
        "days": int(hourly.shape[1]),
        "daily_kwh_median_home": float(np.median(home_mean)),
        "daily_kwh_p10_home": float(np.percentile(home_mean, 10)),
        "daily_kwh_p90_home": float(np.percentile(home_mean, 90)),
        "daily_kwh_home_day_percentiles": _rounded(np.percentile(daily, [5, 25, 50, 75, 95])),
        "hourly_peak_p10": float(np.percentile(peak, 10)),
        "hourly_peak_p50": float(np.percentile(peak, 50)),
        "hourly_peak_p90": float(np.percentile(peak, 90)),
        "load_factor_median": float(np.median(load_factor)),
        "profile_weekday_kw": _rounded(hourly[:, ~weekend].mean(axis=(0, 1))),
        "profile_weekend_kw": _rounded(hourly[:, weekend].mean(axis=(0, 1))),
        "weekend_weekday_daily_ratio": float(daily[:, weekend].mean() / daily[:, ~weekend].mean()),
        "peak_hour_histogram": np.bincount(hourly.argmax(axis=2).ravel(), minlength=24).tolist(),
        "acf_lag_1h": autocorrelation(flat, 1),
        "acf_lag_24h": autocorrelation(flat, 24),
        "coincident_peak_per_home_kw": coincident_peak_per_home(flat, group_sizes),
    }


def _round_figures(figures: dict) -> dict:
    return {
        k: (float(np.round(v, DIGITS)) if isinstance(v, float) else v) for k, v in figures.items()
    }


# --- Everything -----------------------------------------------------------------------------


def fit_calibration(reference: str | Path, weekday_daytime_presence: float) -> dict:
    """Fit everything the load model ships from ``reference`` (``.../reference/load``).

    ``weekday_daytime_presence`` is the model's mean weekday presence over
    :data:`WEEKEND_DAYTIME_HOURS` for the default pattern mix
    (:func:`vppsim.load.model.weekday_daytime_presence`).
    """
    reference = Path(reference)
    schedules = schedule_fractions(
        read_resnet_schedules(
            reference / "appliance_schedules" / "default_schedule_parameters_RESNET301.csv"
        )
    )
    occupancy = occupancy_profiles(
        read_resstock_schedule(
            reference / "appliance_schedules" / "resstock_stochastic_schedule_15min_colorado.csv.gz"
        )
    )
    ev = ev_session_table(read_ev_sessions(reference / "ev_sessions_la_riverside"))
    energy, calendar = read_fontana(reference / "fontana_homes_1_9")
    august, weekend = fontana_august(energy, calendar)
    return {
        "about": {
            "source": "vppsim.load.fit.fit_calibration on ../shared/reference/load",
            "schedules": "ANSI/RESNET/ICC 301 Table C.3 and 2010 BAHSP via ochre-nrel",
            "occupancy": "OpenStudio-HPXML ATUS stochastic schedule (ResStock, one home)",
            "ev_sessions": "NREL EVI-Pro home sessions, LA-Long Beach CBSA (via ochre-nrel)",
            "fontana": "CityLearn 2022: 9 metered homes in Fontana, CA; August, hourly",
            "ev_table_sessions": EV_TABLE_SESSIONS,
            "weekend_daytime_hours": list(WEEKEND_DAYTIME_HOURS),
        },
        "schedules": schedules,
        "occupancy": {
            "atus_weekday": occupancy["weekday"],
            "atus_weekend": occupancy["weekend"],
            "weekend_daytime_presence": weekend_daytime_presence(
                occupancy, weekday_daytime_presence
            ),
        },
        "ev": ev,
        "fontana_august": _round_figures(load_figures(august, weekend)),
    }
