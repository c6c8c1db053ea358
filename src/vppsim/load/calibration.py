"""The residential load calibration report: synthetic fleets next to the real Fontana homes.

Real reference: the 9 metered single-family homes in Fontana, CA (inland, hot) in
``../shared/reference/load/fontana_homes_1_9`` (hourly, one year from 1 Aug 2016), and the
published figures of ``CALIBRATION.md``. Synthetic side: the load model on the study's
synthetic weather (August 2023, 15-min), in two configurations, the default LA-basin mix
and an inland Fontana-like one, compared at hourly resolution like for like, and at 15-min
where that means something (peaks, load factor, diversity, persistence).

The statistics are plain functions of arrays so that they can be checked on small
constructed cases; :func:`load_calibration_tables` puts them side by side as DataFrames,
one per figure, which ``vppsim calibrate --part load`` (or :func:`format_tables`) renders.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from vppsim.calendar import local_calendar
from vppsim.diversity import diversity_curve, group_peaks
from vppsim.report import tables_text
from vppsim.stats import ks_distance, linear_fit
from vppsim.timeseries import autocorrelation as shared_autocorrelation

FONTANA_FOLDER = Path("load") / "fontana_homes_1_9"
FONTANA_HOMES = tuple(range(1, 10))
FONTANA_FIRST_DAY = dt.date(2016, 7, 31)
"""The day of the files' first row (hour-ending 24). 1 Aug is a Monday, which fits 2016."""
FONTANA_LOAD_COLUMN = "Equipment Electric Power [kWh]"

COINCIDENT_SIZES = (1, 2, 5, 10, 50, 200)
REAL_COINCIDENT_SIZES = (1, 2, 5)
"""Fleet sizes shown for Fontana: with 9 homes, N = 5 is the largest with many subsets."""
HOME_DAY_QUANTILES = (0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95)
MILD_MONTH = 4
"""April: Fontana's month of least use (15.9 kWh/day against 32.3 in August), little AC."""
HIGH_HOURS = (13, 21)
"""'Consumption runs high from 13 h to 21 h' (CALIBRATION.md): interval starts 13:00-20:59."""

PUBLISHED = {
    "median_home_kwh_day": 31.0,
    "home_kwh_day_p10_p90": (28.0, 39.0),
    "hourly_peak_p10_p90": (3.9, 5.5),
    "load_factor": 0.30,
    "coincident": {1: 4.8, 2: 4.0, 5: 3.5},
    "peak_15min_range": (2.0, 12.0),
    "coincident_100_plus_hot_days": (2.0, 2.5),
    "california_kwh_month": (550.0, 570.0),
}
"""The figures of CALIBRATION.md (Fontana August, and published LA/California figures)."""

REAL = "Fontana (real)"
PUBLISHED_COLUMN = "published"
NA = "n/a"


# --------------------------------------------------------------------------- the real data


def read_fontana(reference_dir: Path | str) -> pd.DataFrame:
    """Read the 9 Fontana homes into one long frame, one row per home and hour.

    The files hold one year from 1 Aug 2016 in 8,760 hourly rows, every day 24 rows. The
    first row is 31 Jul, hour-ending 24. ``Hour`` is hour-ending 1-24 in local *clock* time:
    the PV output's daily centroid jumps by one hour exactly on 6 Nov 2016 and 12 Mar 2017,
    so summer rows are daylight time (August is all PDT and unambiguous). On those two change
    days the file still has 24 rows, so there the labels do not map one to one onto real
    hours; the naive local timestamps below keep the file's labels.

    Parameters
    ----------
    reference_dir : path
        ``../shared/reference`` (holding ``load/fontana_homes_1_9``), or that folder itself.

    Returns
    -------
    pandas.DataFrame
        Columns ``home`` (1-9), ``timestamp`` (naive local clock time of the hour's *start*),
        ``kwh`` (whole-home consumption in that hour [kWh], i.e. the hour's mean kW),
        ``month``, ``hour`` (the file's hour-ending 1-24) and ``day_type`` (1 Monday ... 7
        Sunday, 8 holiday), sorted by home and time.

    Raises
    ------
    ValueError
        A file's calendar does not line up with its ``Month`` and ``Day Type`` columns.
    """
    folder = Path(reference_dir)
    if not (folder / "Building_1.csv").is_file():
        folder = folder / FONTANA_FOLDER
    frames = []
    for home in FONTANA_HOMES:
        path = folder / f"Building_{home}.csv"
        raw = pd.read_csv(path, usecols=["Month", "Hour", "Day Type", FONTANA_LOAD_COLUMN])
        hour = raw["Hour"].to_numpy().astype(int)
        # The label's date: the file's first day, then one more at each hour-ending 1.
        day = pd.Timestamp(FONTANA_FIRST_DAY) + pd.to_timedelta(np.cumsum(hour == 1), unit="D")
        month = raw["Month"].to_numpy().astype(int)
        day_type = raw["Day Type"].to_numpy().astype(int)
        if not np.array_equal(day.month, month):
            raise ValueError(f"{path.name}: the dates do not follow the Month column")
        workday = day_type <= 7
        if not np.array_equal(day.dayofweek[workday] + 1, day_type[workday]):
            raise ValueError(f"{path.name}: the dates do not follow the Day Type column")
        frames.append(
            pd.DataFrame(
                {
                    "home": np.full(len(raw), home, dtype=np.int64),
                    "timestamp": day + pd.to_timedelta(hour - 1, unit="h"),
                    "kwh": raw[FONTANA_LOAD_COLUMN].to_numpy(dtype=float),
                    "month": month,
                    "hour": hour,
                    "day_type": day_type,
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


# ------------------------------------------------------------------------------ the fleet


@dataclass(frozen=True)
class Fleet:
    """Per-home load on whole local days: ``kw[home, day, step]`` is the mean kW of a step.

    Attributes
    ----------
    kw : numpy.ndarray
        Shape (homes, days, steps per day).
    days : pandas.DatetimeIndex
        The local calendar days (naive midnights).
    """

    kw: np.ndarray
    days: pd.DatetimeIndex

    @property
    def homes(self) -> int:
        return self.kw.shape[0]

    @property
    def steps_per_day(self) -> int:
        return self.kw.shape[2]

    @property
    def step_hours(self) -> float:
        return 24 / self.steps_per_day

    @property
    def series(self) -> np.ndarray:
        """The load as (homes, intervals)."""
        return self.kw.reshape(self.homes, -1)

    @classmethod
    def from_intervals(cls, kw: np.ndarray, local_starts: Sequence) -> Fleet:
        """Cut (homes, intervals) into whole local days.

        ``local_starts`` are the intervals' naive local clock starts, in order, covering whole
        days of equal length (no DST change day: 23 or 25 hours would not reshape).
        """
        kw = np.asarray(kw, dtype=float)
        starts = pd.DatetimeIndex(local_starts)
        if kw.ndim != 2 or kw.shape[1] != len(starts):
            raise ValueError(f"load of shape {kw.shape} does not match {len(starts)} intervals")
        days = starts.normalize().unique()
        steps, rest = divmod(len(starts), len(days))
        step = pd.Timedelta(hours=24) / steps if steps else None
        if rest or not steps or 86_400 % step.total_seconds():
            raise ValueError("the intervals do not cover whole days of equal length")
        expected = np.repeat(days.asi8, steps) + np.tile(np.arange(steps) * step.value, len(days))
        if not np.array_equal(starts.asi8, expected):
            raise ValueError("the intervals are not a regular grid over whole local days")
        return cls(kw.reshape(kw.shape[0], len(days), steps), days)

    def hourly(self) -> Fleet:
        """The same fleet as hourly means (kWh per hour)."""
        per_hour = self.steps_per_day // 24
        if per_hour * 24 != self.steps_per_day:
            raise ValueError(f"{self.steps_per_day} steps a day do not make whole hours")
        kw = self.kw.reshape(self.homes, len(self.days), 24, per_hour).mean(axis=3)
        return Fleet(kw, self.days)

    def subset(self, homes: Sequence[int]) -> Fleet:
        return Fleet(self.kw[np.asarray(homes)], self.days)


def month_daily_kwh(frame: pd.DataFrame, month: int) -> float:
    """Mean daily kWh per home of :func:`read_fontana` rows in one calendar month."""
    rows = frame[frame["timestamp"].dt.month == month]
    return float(rows["kwh"].sum() / rows["home"].nunique() / rows["timestamp"].dt.date.nunique())


def fontana_fleet(frame: pd.DataFrame, month: int = 8) -> Fleet:
    """The homes of :func:`read_fontana` over one calendar month, as a :class:`Fleet`."""
    rows = frame[frame["timestamp"].dt.month == month]
    table = rows.pivot(index="home", columns="timestamp", values="kwh").sort_index()
    return Fleet.from_intervals(table.to_numpy(), table.columns)


# ------------------------------------------------------------------------- the statistics


def daily_kwh(fleet: Fleet) -> np.ndarray:
    """Energy of each home-day [kWh], shape (homes, days)."""
    return fleet.kw.sum(axis=2) * fleet.step_hours


def peaks(fleet: Fleet) -> np.ndarray:
    """Each home's highest step over the period [kW], shape (homes,)."""
    return fleet.series.max(axis=1)


def load_factors(fleet: Fleet) -> np.ndarray:
    """Each home's load factor over the period: mean over peak, shape (homes,)."""
    series = fleet.series
    peak = series.max(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(peak > 0, series.mean(axis=1) / peak, np.nan)


def peak_hour_histogram(fleet: Fleet) -> pd.Series:
    """Share of home-days whose highest step starts in each local clock hour (0-23)."""
    step = np.argmax(fleet.kw, axis=2)
    hours = (step * fleet.step_hours).astype(int)
    counts = np.bincount(hours.ravel(), minlength=24)
    return pd.Series(counts / counts.sum(), index=pd.RangeIndex(24, name="hour"))


def mean_daily_shape(fleet: Fleet) -> pd.Series:
    """Mean load by local clock hour [kW], over homes and days."""
    hourly = fleet.hourly() if fleet.steps_per_day != 24 else fleet
    return pd.Series(hourly.kw.mean(axis=(0, 1)), index=pd.RangeIndex(24, name="hour"))


def coincident_peak_curve(
    series: np.ndarray, sizes: Iterable[int], rng: np.random.Generator, draws: int = 200
) -> pd.Series:
    """Combined peak per home against group size N, averaged over groups of N homes.

    Parameters
    ----------
    series : numpy.ndarray
        (homes, intervals) load [kW].
    sizes : iterable of int
        Group sizes N; NaN where N exceeds the homes available.
    rng : numpy.random.Generator
        Draws the random groups.
    draws : int
        Random groups per N. Where there are no more than ``draws`` distinct groups, every
        one is used, so the result is exact.

    Returns
    -------
    pandas.Series
        Index ``N``; the mean coincident peak per home [kW] (see
        :func:`vppsim.diversity.diversity_curve`).
    """
    series = np.asarray(series, dtype=float)
    homes = series.shape[0]
    sizes = list(sizes)
    groups: list = []
    for n in sizes:
        if n > homes:
            continue
        if math.comb(homes, n) <= draws:
            groups.extend(itertools.combinations(range(homes), n))
        else:
            groups.extend(rng.choice(homes, size=n, replace=False) for _ in range(draws))
    found, per_home, _, _ = diversity_curve(*group_peaks(series, groups))
    curve = pd.Series(per_home, index=found, dtype=float).reindex(sizes)
    return curve.rename("kW per home").rename_axis("N")


def autocorrelation(series: np.ndarray, lag: int) -> float:
    """The sample autocorrelation at ``lag`` steps of each home's series, averaged over homes.

    Each home's is :func:`vppsim.timeseries.autocorrelation` (centred on the home's mean, the
    mean lagged product over the home's variance); homes with a constant series are left out.
    """
    x = np.atleast_2d(np.asarray(series, dtype=float))
    if not 0 < lag < x.shape[1]:
        raise ValueError(f"lag {lag} is outside 1..{x.shape[1] - 1}")
    per_home = shared_autocorrelation(x, lag)
    return float(np.mean(per_home[np.isfinite(per_home)]))


def temperature_slope(daily: np.ndarray, tmax: np.ndarray) -> tuple[float, float]:
    """Least-squares slope of the fleet's mean daily kWh per home against the daily maximum
    temperature [kWh/day per degC], and the correlation (:func:`vppsim.stats.linear_fit`).

    ``daily`` is (homes, days) or already the per-day fleet mean; ``tmax`` is (days,).
    """
    daily = np.asarray(daily, dtype=float)
    mean = daily.mean(axis=0) if daily.ndim == 2 else daily
    fit = linear_fit(tmax, mean)
    return fit.slope, fit.r


def weekend_ratio(daily: np.ndarray, days: pd.DatetimeIndex) -> float:
    """Mean daily kWh on Saturdays and Sundays over the weekday mean."""
    weekend = pd.DatetimeIndex(days).dayofweek >= 5
    return float(daily[:, weekend].mean() / daily[:, ~weekend].mean())


def day_to_day_cv(daily: np.ndarray) -> float:
    """Coefficient of variation of the fleet's mean daily kWh across days: how much the whole
    fleet's use moves from day to day (with weather, on the synthetic side)."""
    mean = np.asarray(daily, dtype=float).mean(axis=0)
    return float(mean.std() / mean.mean())


def high_hours_share(histogram: pd.Series, hours: tuple[int, int] = HIGH_HOURS) -> float:
    """Share of the peak-hour histogram falling in ``[hours[0], hours[1])``."""
    return float(histogram.loc[hours[0] : hours[1] - 1].sum())


# -------------------------------------------------------------------------- the synthetic


Simulator = Callable[..., np.ndarray]
"""``simulate(overrides, homes, seed, grid, weather, timezone, interval_minutes)`` returns
(homes, intervals) kW; the default, :func:`simulate_fleet`, runs the load model with
``LoadParameters(**overrides)``."""


INLAND_OVERRIDES = {"inland_share": 1.0, "ac_share": 1.0}
"""``LoadParameters`` overrides of the inland, Fontana-like fleet (every home in the hot
inland valleys, every home with central AC), as the model documents it."""


def default_configurations() -> dict[str, dict[str, Any]]:
    """The two synthetic configurations: the default LA-basin mix and the inland one."""
    return {"LA mix": {}, "inland": dict(INLAND_OVERRIDES)}


def simulate_fleet(
    overrides: Mapping[str, Any],
    homes: int,
    seed: int,
    grid: pd.DatetimeIndex,
    weather: pd.DataFrame,
    timezone: str,
    interval_minutes: int,
) -> np.ndarray:
    """The load model's fleet of ``homes`` homes (ids 0..homes-1) on ``weather`` [kW]."""
    from vppsim.load.homes import draw_homes
    from vppsim.load.model import simulate_load
    from vppsim.load.parameters import LoadParameters

    parameters = LoadParameters(**overrides)
    table = draw_homes(seed, np.arange(homes, dtype=np.int32), parameters)
    return simulate_load(table, weather, grid, timezone, interval_minutes, seed, parameters)


def synthetic_weather(
    start: dt.date,
    end: dt.date,
    latitude: float,
    longitude: float,
    timezone: str,
    interval_minutes: int,
    seed: int,
) -> tuple[pd.DatetimeIndex, pd.DataFrame]:
    """The study grid and its synthetic weather (the build's weather stream)."""
    from vppsim.grid import build_grid
    from vppsim.seeds import Stream, stream_rng
    from vppsim.weather.synthetic import simulate_weather

    grid = build_grid(start, end, timezone, interval_minutes)
    rng = stream_rng(seed, Stream.WEATHER)
    return grid, simulate_weather(grid, latitude, longitude, timezone, interval_minutes, rng)


def daily_max_temperature(weather: pd.DataFrame, timezone: str) -> pd.Series:
    """Daily maximum of ``temp_air_c`` by local calendar day (naive midnights)."""
    local = local_calendar(pd.DatetimeIndex(weather.index), timezone)
    highest = pd.Series(weather["temp_air_c"].to_numpy(dtype=float)).groupby(local.day).max()
    return pd.Series(highest.to_numpy(), index=local.days)


# ------------------------------------------------------------------------------ the report


@dataclass(frozen=True)
class Figures:
    """Everything the report shows for one fleet at one resolution."""

    daily: np.ndarray
    peaks: np.ndarray
    load_factors: np.ndarray
    peak_hours: pd.Series
    shape: pd.Series
    coincident: pd.Series
    acf_step: float
    acf_day: float
    weekend_ratio: float
    day_to_day_cv: float


def fleet_figures(
    fleet: Fleet, sizes: Iterable[int], rng: np.random.Generator, draws: int = 200
) -> Figures:
    """The report's statistics of ``fleet`` (see the functions above)."""
    series = fleet.series
    daily = daily_kwh(fleet)
    return Figures(
        daily=daily,
        peaks=peaks(fleet),
        load_factors=load_factors(fleet),
        peak_hours=peak_hour_histogram(fleet),
        shape=mean_daily_shape(fleet),
        coincident=coincident_peak_curve(series, sizes, rng, draws),
        acf_step=autocorrelation(series, 1),
        acf_day=autocorrelation(series, fleet.steps_per_day),
        weekend_ratio=weekend_ratio(daily, fleet.days),
        day_to_day_cv=day_to_day_cv(daily),
    )


def _range(values: tuple[float, float], unit: str = "") -> str:
    return f"{values[0]:g}-{values[1]:g}{unit}"


def _resolution(steps_per_day: int) -> str:
    minutes = 1440 // steps_per_day
    return "1 h" if minutes == 60 else f"{minutes} min"


def report_tables(
    real: Fleet,
    synthetic: Mapping[str, Fleet],
    tmax: Mapping[str, Sequence[float]] | None = None,
    sizes: Sequence[int] = COINCIDENT_SIZES,
    real_sizes: Sequence[int] = REAL_COINCIDENT_SIZES,
    seed: int = 0,
    draws: int = 200,
    seasonal: Mapping[str, float] | None = None,
    seasonal_label: str = "seasonal ratio",
) -> dict[str, pd.DataFrame]:
    """Put the statistics of the real fleet and each synthetic fleet side by side.

    Parameters
    ----------
    real : Fleet
        The real homes, hourly.
    synthetic : mapping of label to Fleet
        Each synthetic configuration at its own resolution (finer than hourly, or hourly);
        the hourly figures are computed on its hourly means.
    tmax : mapping of label to daily maximum temperature, optional
        Per synthetic label, the daily maximum temperature of its weather [degC].
    sizes, real_sizes : sequences of int
        Group sizes of the coincident-peak curve, for the synthetic and the real fleet.
    seed : int
        Seed of the random groups of the coincident-peak curve.
    seasonal : mapping of label to float, optional
        Per column (:data:`REAL` and the synthetic labels), the ratio of the month's mean daily
        kWh to that of a mild month: the weather-driven share that Fontana, without a local
        temperature, can still show. Shown as the row ``seasonal_label``.
    """
    rng = np.random.default_rng(seed)
    real_figures = fleet_figures(real, real_sizes, rng, draws)
    hourly = {label: fleet_figures(f.hourly(), sizes, rng, draws) for label, f in synthetic.items()}
    fine = {
        label: fleet_figures(f, sizes, rng, draws)
        for label, f in synthetic.items()
        if f.steps_per_day != 24
    }
    fine_resolution = {label: _resolution(synthetic[label].steps_per_day) for label in fine}
    labels = list(synthetic)
    home_count = f"{real.homes} homes"

    # Daily energy -------------------------------------------------------------------------
    def energy_column(f: Figures) -> list:
        means = f.daily.mean(axis=1)
        values = [f.daily.mean(), *np.quantile(f.daily, HOME_DAY_QUANTILES)]
        values += [*np.quantile(means, [0.1, 0.5, 0.9])]
        values += [ks_distance(f.daily, real_figures.daily), f.weekend_ratio]
        return values

    rows = ["mean"] + [f"home-day p{round(q * 100)}" for q in HOME_DAY_QUANTILES]
    rows += ["home means p10", "home means p50", "home means p90"]
    rows += ["KS distance to Fontana", "weekend / weekday"]
    energy = pd.DataFrame({REAL: energy_column(real_figures)}, index=pd.Index(rows))
    for label in labels:
        energy[label] = energy_column(hourly[label])
    low, high = PUBLISHED["california_kwh_month"]
    published = [""] * len(rows)
    published[0] = f"CA {low / 30.4:.0f}-{high / 30.4:.0f} all year (EIA); LA coast 8-15, AC 30-50"
    published[rows.index("home means p10")] = f"{PUBLISHED['home_kwh_day_p10_p90'][0]:g}"
    published[rows.index("home means p50")] = f"{PUBLISHED['median_home_kwh_day']:g}"
    published[rows.index("home means p90")] = f"{PUBLISHED['home_kwh_day_p10_p90'][1]:g}"
    energy[PUBLISHED_COLUMN] = published
    energy = energy.astype(object)
    energy.loc["KS distance to Fontana", REAL] = "0 (itself)"

    # Peaks and load factor ----------------------------------------------------------------
    def peak_column(f: Figures) -> list:
        quantiles = np.quantile(f.peaks, [0.1, 0.5, 0.9])
        factors = f.load_factors
        return [
            *quantiles,
            f.peaks.min(),
            f.peaks.max(),
            np.nanmedian(factors),
            np.nanmean(factors),
        ]

    peak_rows = ["peak p10", "peak p50", "peak p90", "peak min", "peak max"]
    peak_rows += ["load factor (median home)", "load factor (mean)"]
    columns = {f"{REAL} 1 h": peak_column(real_figures)}
    for label in labels:
        columns[f"{label} 1 h"] = peak_column(hourly[label])
        if label in fine:
            columns[f"{label} {fine_resolution[label]}"] = peak_column(fine[label])
    peak_table = pd.DataFrame(columns, index=pd.Index(peak_rows)).astype(object)
    hourly_low, hourly_high = PUBLISHED["hourly_peak_p10_p90"]
    fine_low, fine_high = PUBLISHED["peak_15min_range"]
    peak_table[PUBLISHED_COLUMN] = [
        f"{hourly_low:g} (1 h)",
        "",
        f"{hourly_high:g} (1 h)",
        f"{fine_low:g} (15 min)",
        f"{fine_high:g} (15 min)",
        f"{PUBLISHED['load_factor']:.2f}",
        "",
    ]

    # Hour of the daily peak ---------------------------------------------------------------
    peak_hours = pd.DataFrame(
        {REAL: real_figures.peak_hours, **{label: hourly[label].peak_hours for label in labels}}
    )
    summary = {column: high_hours_share(peak_hours[column]) for column in peak_hours.columns}
    peak_hours = peak_hours.astype(object)
    peak_hours.loc[f"share {HIGH_HOURS[0]}-{HIGH_HOURS[1]} h"] = [
        summary[c] for c in peak_hours.columns
    ]
    peak_hours[PUBLISHED_COLUMN] = ""
    peak_hours.loc[f"share {HIGH_HOURS[0]}-{HIGH_HOURS[1]} h", PUBLISHED_COLUMN] = (
        f"high {HIGH_HOURS[0]}-{HIGH_HOURS[1]} h"
    )
    peak_hours.index.name = "hour"

    # Mean daily shape ---------------------------------------------------------------------
    shape = pd.DataFrame(
        {REAL: real_figures.shape, **{label: hourly[label].shape for label in labels}}
    )
    shape_summary = {
        "correlation with Fontana": [
            float(np.corrcoef(shape[c], shape[REAL])[0, 1]) for c in shape.columns
        ],
        f"mean {HIGH_HOURS[0]}-{HIGH_HOURS[1]} h / rest": [
            float(
                shape[c].loc[HIGH_HOURS[0] : HIGH_HOURS[1] - 1].mean()
                / shape[c].drop(range(*HIGH_HOURS)).mean()
            )
            for c in shape.columns
        ],
    }
    shape = shape.astype(object)
    for row, values in shape_summary.items():
        shape.loc[row] = values
    shape.index.name = "hour"

    # Coincident peak ----------------------------------------------------------------------
    coincident = pd.DataFrame(index=pd.Index(list(sizes), name="N"), dtype=object)
    real_column = []
    for n in sizes:
        if n in real_figures.coincident.index and not np.isnan(real_figures.coincident[n]):
            real_column.append(float(real_figures.coincident[n]))
        else:
            real_column.append(f"{NA} ({home_count})")
    coincident[f"{REAL} 1 h"] = real_column
    for label in labels:
        coincident[f"{label} 1 h"] = hourly[label].coincident.reindex(sizes).astype(object)
        if label in fine:
            coincident[f"{label} {fine_resolution[label]}"] = (
                fine[label].coincident.reindex(sizes).astype(object)
            )
    for column in coincident.columns:
        coincident[column] = [
            NA if isinstance(v, float) and np.isnan(v) else v for v in coincident[column]
        ]
    hot_low, hot_high = PUBLISHED["coincident_100_plus_hot_days"]
    coincident[PUBLISHED_COLUMN] = [
        f"{PUBLISHED['coincident'][n]:g} (Fontana)"
        if n in PUBLISHED["coincident"]
        else f"{hot_low:g}-{hot_high:g} (100+ homes, hot days)"
        if n >= 100
        else ""
        for n in sizes
    ]

    # Persistence --------------------------------------------------------------------------
    acf_columns = {f"{REAL} 1 h": [real_figures.acf_step, real_figures.acf_day]}
    for label in labels:
        acf_columns[f"{label} 1 h"] = [hourly[label].acf_step, hourly[label].acf_day]
        if label in fine:
            acf_columns[f"{label} {fine_resolution[label]}"] = [
                fine[label].acf_step,
                fine[label].acf_day,
            ]
    acf = pd.DataFrame(acf_columns, index=pd.Index(["1 step", "1 day"], name="lag"))

    # Weather sensitivity ------------------------------------------------------------------
    weather_rows = ["slope [kWh/day per degC]", "correlation", "mean daily max [degC]"]
    weather_rows += ["day-to-day CV of fleet mean", seasonal_label]
    weather = pd.DataFrame(index=pd.Index(weather_rows), dtype=object)
    seasonal = seasonal or {}
    weather[REAL] = [
        f"{NA}: no local temperature",
        NA,
        NA,
        real_figures.day_to_day_cv,
        seasonal.get(REAL, NA),
    ]
    for label in labels:
        figures = [NA, NA, NA]
        if tmax is not None and label in tmax:
            slope, r = temperature_slope(hourly[label].daily, np.asarray(tmax[label]))
            figures = [slope, r, float(np.mean(tmax[label]))]
        weather[label] = [*figures, hourly[label].day_to_day_cv, seasonal.get(label, NA)]

    return {
        "Daily kWh per home-day, August (KS against Fontana's home-days)": energy,
        "Per-home peak [kW] and load factor over the month": peak_table,
        "Hour of each home-day's peak [share of home-days, local clock hour start]": peak_hours,
        "Mean daily shape [kW] by local clock hour": shape,
        f"Combined peak per home [kW] of N random homes (Fontana: {home_count}, N <= 5 shown)": (
            coincident
        ),
        "Autocorrelation of each home's series, averaged over homes": acf,
        "Daily kWh against the day's maximum temperature (fleet mean per home per day)": weather,
    }


def load_calibration_tables(
    reference_dir: Path | str,
    homes: int = 200,
    seed: int = 42,
    start: dt.date = dt.date(2023, 8, 1),
    end: dt.date = dt.date(2023, 8, 31),
    latitude: float = 34.05,
    longitude: float = -118.24,
    timezone: str = "America/Los_Angeles",
    interval_minutes: int = 15,
    configurations: Mapping[str, Mapping[str, Any]] | None = None,
    simulate: Simulator | None = None,
    sizes: Sequence[int] = COINCIDENT_SIZES,
    draws: int = 200,
    mild_month: int | None = MILD_MONTH,
) -> dict[str, pd.DataFrame]:
    """Synthetic against real, side by side, for the residential load.

    Parameters
    ----------
    reference_dir : path
        ``../shared/reference`` (holds ``load/fontana_homes_1_9``).
    homes : int
        Homes of each synthetic fleet.
    seed : int
        Study seed: the synthetic weather and homes are those a build with this seed makes.
    start, end : datetime.date
        The synthetic period (whole local days, no DST change); Fontana is read for the
        calendar month of ``start``.
    configurations : mapping of label to LoadParameters overrides, optional
        Defaults to :func:`default_configurations` (LA-basin mix, inland).
    simulate : callable, optional
        Replaces the load model (see :data:`Simulator`), e.g. with a stand-in in tests.
    sizes : sequence of int
        Group sizes of the coincident-peak curve.
    draws : int
        Random groups per size.
    mild_month : int, optional
        A month with little AC (April, Fontana's lowest): each side's mean daily kWh over the
        study period is divided by its mean daily kWh in this month (Fontana: the file's own
        month; synthetic: that month of ``start``'s year, same homes, its own synthetic
        weather). ``None`` leaves the row out.
    """
    if configurations is None:
        configurations = default_configurations()
    simulate = simulate or simulate_fleet
    fontana = read_fontana(reference_dir)
    real = fontana_fleet(fontana, start.month)
    grid, weather = synthetic_weather(
        start, end, latitude, longitude, timezone, interval_minutes, seed
    )
    local = grid.tz_convert(timezone).tz_localize(None)
    tmax = daily_max_temperature(weather, timezone)
    fleets, temperatures = {}, {}
    for label, overrides in configurations.items():
        kw = simulate(overrides, homes, seed, grid, weather, timezone, interval_minutes)
        fleets[label] = Fleet.from_intervals(np.asarray(kw, dtype=float), local)
        temperatures[label] = tmax.reindex(fleets[label].days).to_numpy()
    seasonal, seasonal_label = None, "seasonal ratio"
    if mild_month is not None:
        first = dt.date(start.year, mild_month, 1)
        last = (pd.Timestamp(first) + pd.offsets.MonthEnd(0)).date()
        mild_grid, mild_weather = synthetic_weather(
            first, last, latitude, longitude, timezone, interval_minutes, seed
        )
        days = (last - first).days + 1
        seasonal = {REAL: float(daily_kwh(real).mean() / month_daily_kwh(fontana, mild_month))}
        for label, overrides in configurations.items():
            kw = simulate(
                overrides, homes, seed, mild_grid, mild_weather, timezone, interval_minutes
            )
            mild = np.asarray(kw, dtype=float).sum() * interval_minutes / 60 / homes / days
            seasonal[label] = float(daily_kwh(fleets[label]).mean() / mild)
        names = {
            month: dt.date(2001, month, 1).strftime("%b") for month in (start.month, mild_month)
        }
        seasonal_label = f"{names[start.month]} / {names[mild_month]} mean daily kWh"
    return report_tables(
        real,
        fleets,
        temperatures,
        sizes=sizes,
        seed=seed,
        draws=draws,
        seasonal=seasonal,
        seasonal_label=seasonal_label,
    )


# ------------------------------------------------------------------------------ rendering


def format_tables(tables: Mapping[str, pd.DataFrame], width: int = 100) -> str:
    """Plain-text rendering of report tables, as ``vppsim calibrate`` draws them."""
    return tables_text(tables, width)
