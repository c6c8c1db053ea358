"""The calibration report: synthetic weather and PV next to the real references.

Real references (``../shared/reference/solar``): the Santa Ana TMY3 and Long Beach TMY2
files, the PVWatts figures in ``CALIBRATION.md`` and, when ``nrel-pysam`` is installed,
PySAM's Pvwattsv8 run on those files. The synthetic side is the study site's synthetic
weather over several simulated years, turned into PV by the same pvlib chain.
"""

from __future__ import annotations

import datetime as dt
import gzip
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pvlib

from vppsim.grid import build_grid, standard_utc_offset_hours
from vppsim.seeds import Stream, stream_rng
from vppsim.solar.parameters import SolarParameters
from vppsim.solar.physics import pvwatts_ac
from vppsim.weather.fit import daily_clearsky_index, station_hours
from vppsim.weather.synthetic import WeatherCalibration, simulate_weather
from vppsim.weather.tmy import read_tmy

TMY_FILES = {
    "Santa Ana TMY3": "tmy3_722977_santa_ana_ca.csv.gz",
    "Long Beach TMY2": "tmy2_23129_long_beach_ca.tm2.gz",
}
PVWATTS_LA_AUGUST_KWH_PER_KW = (160.0, 170.0)
PVWATTS_LA_ANNUAL_KWH_PER_KW = (1600.0, 1700.0)
"""PVWatts v8, LA roof mount, tilt 20, azimuth 180 (CALIBRATION.md)."""
CLEAR_DAY_INDEX = 0.9


def tmy_pv(data: pd.DataFrame, meta: dict, parameters: SolarParameters | None = None) -> pd.Series:
    """Hourly AC of the reference roof system on TMY weather [kW/kW].

    TMY rows are hour-ending averages, so the sun goes at each hour's midpoint (with
    PVWatts' handling of the sunrise and sunset hours); the result is indexed by those
    midpoints in local standard time.
    """
    midpoints = data.index - pd.Timedelta(minutes=30)
    parameters = SolarParameters() if parameters is None else parameters
    power = pvwatts_ac(
        midpoints,
        data["ghi"],
        data["dni"],
        data["dhi"],
        data["temp_air"],
        data["wind_speed"],
        meta["latitude"],
        meta["longitude"],
        parameters.reference_tilt,
        parameters.reference_azimuth,
        parameters,
        altitude=meta["altitude"],
        interval="1h",
    )
    return pd.Series(power, index=midpoints)


def pysam_monthly(
    tmy_path: Path,
    workdir: Path,
    array_type: int = 1,
    tilt_deg: float | None = None,
    azimuth_deg: float | None = None,
    dc_ac_ratio: float = 1.2,
) -> np.ndarray:
    """Monthly AC [kWh/kW] of PySAM Pvwattsv8 for 1 kW, by default at the reference
    orientation (``tilt_deg`` and ``azimuth_deg`` [deg], ``dc_ac_ratio`` [1] override it).

    Needs ``nrel-pysam`` (a development dependency). SAM reads weather files by name and
    tells TMY2 from TMY3 by the extension, so the file is decompressed into ``workdir``.
    """
    import PySAM.Pvwattsv8 as pvwattsv8

    weather_file = Path(workdir) / Path(tmy_path).name.removesuffix(".gz")
    weather_file.write_bytes(gzip.decompress(Path(tmy_path).read_bytes()))
    model = pvwattsv8.new()
    model.SolarResource.solar_resource_file = str(weather_file)
    model.SolarResource.use_wf_albedo = 0
    model.SolarResource.albedo = [0.2]
    design = model.SystemDesign
    design.system_capacity = 1.0
    design.module_type = 0  # standard
    design.array_type = array_type  # 1 fixed roof mount, 0 fixed open rack
    reference = SolarParameters()
    design.tilt = reference.reference_tilt if tilt_deg is None else tilt_deg
    design.azimuth = reference.reference_azimuth if azimuth_deg is None else azimuth_deg
    design.losses = 14.08
    design.dc_ac_ratio = dc_ac_ratio
    design.inv_eff = 96.0
    design.gcr = 0.4  # PVWatts' default; unused for a roof mount
    model.AdjustmentFactors.adjust_constant = 0.0
    model.execute()
    return np.asarray(model.Outputs.ac_monthly)


def tmy_daily_figures(stations: list[tuple[pd.DataFrame, dict]]) -> pd.DataFrame:
    """One row per TMY day (stations pooled): month, daily clear-sky index ``k``, daily max and
    min temperature, morning (7-10 h) and early-afternoon (12-15 h) index, mean wind."""
    rows = []
    for data, meta in stations:
        hours = station_hours(data, meta)
        temp = hours["temp_air"].to_numpy().reshape(-1, 24)
        clear = hours["clearsky_ghi"].to_numpy()
        kt = np.where(clear >= 100, hours["ghi"] / np.clip(clear, 1, None), np.nan).reshape(-1, 24)
        rows.append(
            pd.DataFrame(
                {
                    "month": hours["month"].to_numpy().reshape(-1, 24)[:, 0] + 1,
                    "k": daily_clearsky_index(hours),
                    "tmax": temp.max(axis=1),
                    "tmin": temp.min(axis=1),
                    "morning": np.nanmean(kt[:, 7:10], axis=1),
                    "afternoon": np.nanmean(kt[:, 12:15], axis=1),
                    "wind": hours["wind_speed"].to_numpy().reshape(-1, 24).mean(axis=1),
                }
            )
        )
    return pd.concat(rows, ignore_index=True)


def synthetic_daily_figures(
    frame: pd.DataFrame, latitude: float, longitude: float, timezone: str, interval_minutes: int
) -> pd.DataFrame:
    """The same daily figures as :func:`tmy_daily_figures` for a synthetic weather frame
    (indexed by UTC interval starts); days and hours in local standard time, as in TMY."""
    midpoints = frame.index.tz_convert("UTC") + pd.Timedelta(minutes=interval_minutes / 2)
    offset = standard_utc_offset_hours(timezone, frame.index[0].date())
    local = midpoints.tz_localize(None) + pd.Timedelta(hours=offset)
    clear = pvlib.location.Location(latitude, longitude).get_clearsky(midpoints)["ghi"].to_numpy()
    hour = local.hour
    bright = clear >= 100
    index = frame["clearsky_index"].to_numpy()
    table = pd.DataFrame(
        {
            "day": local.normalize(),
            "ghi": frame["ghi_w_m2"].to_numpy(),
            "clear": clear,
            "temp": frame["temp_air_c"].to_numpy(),
            "wind": frame["wind_speed_m_s"].to_numpy(),
            "morning": np.where(bright & (hour >= 7) & (hour < 10), index, np.nan),
            "afternoon": np.where(bright & (hour >= 12) & (hour < 15), index, np.nan),
        }
    )
    days = table.groupby("day").agg(
        ghi=("ghi", "sum"),
        clear=("clear", "sum"),
        tmax=("temp", "max"),
        tmin=("temp", "min"),
        morning=("morning", "mean"),
        afternoon=("afternoon", "mean"),
        wind=("wind", "mean"),
    )
    days["k"] = days["ghi"] / days["clear"]
    days["month"] = days.index.month
    return days.reset_index(drop=True)


def monthly_figures(days: pd.DataFrame) -> pd.DataFrame:
    """Per month: the daily clear-sky index's mean, p10/p50/p90 and share of clear days, and
    the means of the other daily figures."""
    grouped = days.groupby("month")
    return pd.DataFrame(
        {
            "k": grouped["k"].mean(),
            "k_p10": grouped["k"].quantile(0.1),
            "k_p50": grouped["k"].quantile(0.5),
            "k_p90": grouped["k"].quantile(0.9),
            "clear": grouped["k"].apply(lambda k: float((k > CLEAR_DAY_INDEX).mean())),
            "morning": grouped["morning"].mean(),
            "afternoon": grouped["afternoon"].mean(),
            "tmax": grouped["tmax"].mean(),
            "tmin": grouped["tmin"].mean(),
            "wind": grouped["wind"].mean(),
        }
    )


def peak_hours(power: pd.Series, timezone: str) -> pd.Series:
    """Local clock time [h] of each day's highest output (its interval midpoint)."""
    local = power.index.tz_convert(timezone)
    clock = local.hour + local.minute / 60
    frame = pd.DataFrame({"power": power.to_numpy(), "clock": clock, "day": local.date})
    frame = frame[frame.groupby("day")["power"].transform("max") > 0]
    best = frame.loc[frame.groupby("day")["power"].idxmax()]
    return pd.Series(best["clock"].to_numpy(), index=pd.DatetimeIndex(best["day"]))


@dataclass(frozen=True)
class SolarFigures:
    """Monthly energy [kWh/kW] and daily peak clock hours of the reference system."""

    monthly_kwh_per_kw: np.ndarray
    peak_hours: pd.Series


def synthetic_solar(
    latitude: float, longitude: float, timezone: str, years: int, seed: int
) -> tuple[pd.DataFrame, SolarFigures]:
    """Simulate ``years`` years (2001 on) of synthetic weather and the reference system's PV."""
    grid = build_grid(dt.date(2001, 1, 1), dt.date(2000 + years, 12, 31), timezone, 15)
    weather = simulate_weather(
        grid, latitude, longitude, timezone, 15, stream_rng(seed, Stream.WEATHER)
    )
    midpoints = grid + pd.Timedelta(minutes=7.5)
    reference = SolarParameters()
    power = pvwatts_ac(
        midpoints,
        weather["ghi_w_m2"],
        weather["dni_w_m2"],
        weather["dhi_w_m2"],
        weather["temp_air_c"],
        weather["wind_speed_m_s"],
        latitude,
        longitude,
        reference.reference_tilt,
        reference.reference_azimuth,
    )
    series = pd.Series(power, index=midpoints)
    monthly = series.groupby(midpoints.tz_convert(timezone).month).sum().to_numpy() * 0.25 / years
    return weather, SolarFigures(monthly, peak_hours(series, timezone))


def tmy_solar(data: pd.DataFrame, meta: dict, timezone: str) -> SolarFigures:
    """The reference system's figures on one TMY file (a typical year)."""
    series = tmy_pv(data, meta)
    return SolarFigures(
        series.groupby(series.index.month).sum().to_numpy(), peak_hours(series, timezone)
    )


def calibration_tables(
    reference_dir: Path,
    latitude: float = 34.05,
    longitude: float = -118.24,
    timezone: str = "America/Los_Angeles",
    years: int = 10,
    seed: int = 42,
    workdir: Path | None = None,
) -> dict[str, pd.DataFrame]:
    """Synthetic against real, side by side: PV energy, daily clear-sky index by month, hour
    of peak output, temperature.

    Parameters
    ----------
    reference_dir : path
        ``../shared/reference`` (holds ``solar/`` with the TMY files).
    years : int
        Simulated years of synthetic weather at the site.
    workdir : path, optional
        Scratch folder for PySAM; without it (or without ``nrel-pysam``) PySAM is left out.
    """
    stations = {
        label: read_tmy(Path(reference_dir) / "solar" / name) for label, name in TMY_FILES.items()
    }
    weather, synthetic = synthetic_solar(latitude, longitude, timezone, years, seed)
    real = {label: tmy_solar(data, meta, timezone) for label, (data, meta) in stations.items()}

    energy = {f"synthetic ({years} y)": synthetic.monthly_kwh_per_kw}
    energy.update(
        {f"pvlib on {label}": figures.monthly_kwh_per_kw for label, figures in real.items()}
    )
    if workdir is not None:
        try:
            for label, name in TMY_FILES.items():
                energy[f"PySAM on {label}"] = pysam_monthly(
                    Path(reference_dir) / "solar" / name, workdir
                )
        except ImportError:
            pass
    pv = pd.DataFrame(
        {name: [values[7], values.sum()] for name, values in energy.items()},
        index=["August", "year"],
    )
    pv["PVWatts LA (CALIBRATION.md)"] = [
        "{:.0f}-{:.0f}".format(*PVWATTS_LA_AUGUST_KWH_PER_KW),
        "{:.0f}-{:.0f}".format(*PVWATTS_LA_ANNUAL_KWH_PER_KW),
    ]

    tmy = monthly_figures(tmy_daily_figures(list(stations.values())))
    syn = monthly_figures(synthetic_daily_figures(weather, latitude, longitude, timezone, 15))
    sky = pd.DataFrame(
        {
            "mean TMY": tmy["k"],
            "mean syn": syn["k"],
            "p10 TMY": tmy["k_p10"],
            "p10 syn": syn["k_p10"],
            "p50 TMY": tmy["k_p50"],
            "p50 syn": syn["k_p50"],
            "p90 TMY": tmy["k_p90"],
            "p90 syn": syn["k_p90"],
            f"clear days (>{CLEAR_DAY_INDEX}) TMY": tmy["clear"],
            "clear days syn": syn["clear"],
            "7-10 h TMY": tmy["morning"],
            "7-10 h syn": syn["morning"],
            "12-15 h TMY": tmy["afternoon"],
            "12-15 h syn": syn["afternoon"],
        }
    )
    tmy_peaks = pd.concat([figures.peak_hours for figures in real.values()])
    peaks = pd.DataFrame(
        {
            "mean TMY": tmy_peaks.groupby(tmy_peaks.index.month).mean(),
            "mean syn": synthetic.peak_hours.groupby(synthetic.peak_hours.index.month).mean(),
            "12-14 h share TMY": tmy_peaks.between(12, 14).groupby(tmy_peaks.index.month).mean(),
            "12-14 h share syn": synthetic.peak_hours.between(12, 14)
            .groupby(synthetic.peak_hours.index.month)
            .mean(),
        }
    )
    # The synthetic temperature follows downtown LA normals; the TMY stations are coastal.
    normals = WeatherCalibration.default()
    temperature = pd.DataFrame(
        {
            "daily max TMY": tmy["tmax"],
            "daily max syn": syn["tmax"],
            "daily max normal": normals.tmax_normal_c,
            "daily min TMY": tmy["tmin"],
            "daily min syn": syn["tmin"],
            "daily min normal": normals.tmin_normal_c,
            "wind TMY": tmy["wind"],
            "wind syn": syn["wind"],
        }
    )
    for table in (sky, peaks, temperature):
        table.index.name = "month"
    return {
        "PV energy of the reference roof system [kWh/kW]": pv,
        "Daily clear-sky index by month (TMY: Santa Ana + Long Beach)": sky,
        "Hour of the daily peak output [local clock time, h]": peaks,
        "Temperature [degC] and wind [m/s] by month": temperature,
    }
