"""Fitting the system model's tables on the real drivers (``benchmarks/fit_system.py``).

Pure functions: real frames (from :mod:`vppsim.system.reference`) and a long synthetic
weather run (the LA climatology the model will be driven by) in, ``calibrated.json``
sections out. See :mod:`vppsim.system.model` for what each table does.

Sources of the hard-coded figures:

* :data:`KEY_STATISTICS_2022_MW`: CAISO Key Statistics, February 2022, as reported by S&P
  Global (2022-04-01, "CAISO sets wind peak record; solar curtailments rise on surge of wind
  generation", https://www.spglobal.com/commodityinsights/en/market-insights/latest-news/
  electric-power/040122-caiso-sets-wind-peak-record-solar-curtailments-rise-on-surge-of-wind-
  generation): 14,963 MW of solar and 7,888 MW of wind installed in the CAISO footprint.
* Other years: that anchor times the growth of CAISO's own output, the 95th percentile of the
  daily mean solar (wind) of April-August of each year in CAISO's daily fuel mix
  (``market/system/caiso_daily_fuel_mix_2018-04_2025-08.csv.gz``): clear spring and summer
  days, so the figure follows the fleet rather than the weather. Every year of the file has
  its April-August. For solar, the years the modelled series covers (hub actuals 2022-2023,
  EIA-930 CISO solar from 2024) take that series' own growth instead: its share of the fuel
  mix's solar fell from 0.92 (2022) to 0.82 (2024), so the fuel mix's growth overstated the
  modelled fleet's (2024 midday solar 1-1.7 GW above EIA-930, 2022 ~1 GW below the hubs).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.optimize import nnls
from scipy.special import ndtri

from vppsim.calendar import CAISO_TIMEZONE, local_calendar
from vppsim.config import DEFAULT_SITE
from vppsim.grid import build_grid
from vppsim.seeds import Stream, stream_rng
from vppsim.system import reference as ref
from vppsim.system.model import (
    MID_MONTH_DAY,
    WIND_LEVELS,
    decimal_year,
    smoothed_temperature,
    sourced_capacity,
    standard_hours,
)
from vppsim.timeseries import autocorrelation
from vppsim.weather.synthetic import simulate_weather

BASE_YEAR = 2022
KEY_STATISTICS_2022_MW = {"solar": 14963.0, "wind": 7888.0}
"""Installed solar and wind in the CAISO footprint, Feb 2022 [MW] (module docstring)."""
CAPACITY_MONTHS = (4, 5, 6, 7, 8)
"""Months whose daily output measures the fleet's size, each year (module docstring)."""
CAPACITY_QUANTILE = 0.95
COOLING_BASES_C = np.arange(12.0, 24.01, 0.5)
HEATING_BASES_C = np.arange(8.0, 18.01, 0.5)
"""Candidate base temperatures of the cooling and heating degrees [degC]; the heating base
is at most the cooling base."""
NIGHT_PER_MW = 0.002
"""Mean solar output per MW below which a month-hour is night (exactly 0) [MW/MW]."""
MIN_RESIDUAL_SHARE = 0.25
"""The unexplained residual keeps at least this share of the real variance [1]: the
synthetic temperature explains part of the real spread, never all of it."""
TAIL_QUANTILE = 0.99
"""The upper quantile of monthly hourly demand the seasonal gain matches [1]: the peaks that
set scarcity, less noisy than the maximum of two real years."""
GAIN_CANDIDATES = np.linspace(0.0, 1.5, 151)
"""Candidate gains on the weather departures [1]. Up to 1.5 times the across-month
response: September's tail (the 2022 heat wave, 51 GW) asks for more than that response
gives, the LA temperature understating state-wide heat."""
GAIN_HARMONICS = 2
"""Annual harmonics of the seasonal gain's shape (5 parameters with the mean)."""


def _fleet_size(daily: pd.Series) -> pd.Series:
    """The fleet-size figure of each year [MW]: the 95th percentile of the daily mean output
    of April-August (module docstring), for years with each of those months."""
    dates = pd.DatetimeIndex(pd.to_datetime(daily.index))
    chosen = daily[dates.month.isin(CAPACITY_MONTHS)].dropna()
    chosen_dates = pd.DatetimeIndex(pd.to_datetime(chosen.index))
    months = pd.Series(chosen_dates.month).groupby(chosen_dates.year).nunique()
    size = chosen.groupby(chosen_dates.year).quantile(CAPACITY_QUANTILE)
    return size[months.reindex(size.index) == len(CAPACITY_MONTHS)]


def capacity_table(
    fuel_mix: pd.DataFrame, kind: str, output: pd.Series | None = None
) -> tuple[list[int], list[float]]:
    """Sourced installed capacity by year [MW]: the Feb 2022 Key Statistics figure times the
    yearly growth of the April-August output (module docstring).

    Parameters
    ----------
    fuel_mix : pandas.DataFrame
        :func:`vppsim.system.reference.read_fuel_mix_daily` (mean MW per Pacific day).
    kind : {"solar", "wind"}
    output : pandas.Series, optional
        The modelled real series [MW] by UTC hour start. Its growth replaces the fuel mix's
        in the years it covers (it must cover 2022), so the capacity follows the part of the
        fleet the per-MW profile is fitted on.
    """
    size = _fleet_size(fuel_mix[f"{kind}_mw"])
    growth = size / size[BASE_YEAR]
    if output is not None:
        local = output.index.tz_convert(CAISO_TIMEZONE)
        daily = output.groupby(local.date).mean()
        own = _fleet_size(daily)
        growth = (own / own[BASE_YEAR]).combine_first(growth)
    capacity = KEY_STATISTICS_2022_MW[kind] * growth
    return [int(y) for y in capacity.index], [round(float(v), 1) for v in capacity]


def demand_levels(eia930: pd.Series, fuel_mix: pd.DataFrame) -> tuple[list[int], list[float]]:
    """Annual mean demand over 2022's [1]: EIA-930 where it covers the whole year, CAISO's
    daily fuel mix (its own 2022 as the base) for whole years before.

    Parameters
    ----------
    eia930 : pandas.Series
        Hourly demand [MW] by UTC hour start (2022-2025).
    fuel_mix : pandas.DataFrame
        :func:`vppsim.system.reference.read_fuel_mix_daily`.
    """
    local = eia930.index.tz_convert(CAISO_TIMEZONE)
    counts = eia930.groupby(local.year).count()
    eia = eia930.groupby(local.year).mean()[counts > 8000]
    dates = pd.DatetimeIndex(pd.to_datetime(fuel_mix.index))
    load = fuel_mix["load_mw"]
    days = load.groupby(dates.year).count()
    mix = load.groupby(dates.year).mean()[days >= 360]
    levels = {int(y): float(v / eia[BASE_YEAR]) for y, v in eia.items()}
    first_eia = min(levels)
    for year, value in mix.items():
        if int(year) < first_eia:
            levels[int(year)] = float(value / mix[BASE_YEAR])
    years = sorted(levels)
    return years, [round(levels[y], 4) for y in years]


def _cell_means(values: np.ndarray, month, daytype, hour) -> np.ndarray:
    """Means by (month, day type, hour) [same unit as values], NaN ignored."""
    cell = (month * 2 + daytype) * 24 + hour
    ok = np.isfinite(values)
    total = np.bincount(cell[ok], weights=values[ok], minlength=12 * 2 * 24)
    count = np.bincount(cell[ok], minlength=12 * 2 * 24)
    return (total / np.maximum(count, 1)).reshape(12, 2, 24)


def _month_hour_means(values, month, hour) -> np.ndarray:
    cell = month * 24 + hour
    ok = np.isfinite(values)
    total = np.bincount(cell[ok], weights=values[ok], minlength=12 * 24)
    count = np.bincount(cell[ok], minlength=12 * 24)
    return (total / np.maximum(count, 1)).reshape(12, 24)


def _by_month(values, month, function) -> np.ndarray:
    return np.array([function(values[(month == m) & np.isfinite(values)]) for m in range(12)])


def _robust_var(values: np.ndarray) -> float:
    """Variance from the median absolute deviation: the Sep 2022 heat wave is a weather
    departure the synthetic weather makes itself, not residual noise."""
    deviation = np.median(np.abs(values - np.median(values)))
    return float((1.4826 * deviation) ** 2)


def tail_gain(
    real: np.ndarray,
    real_month: np.ndarray,
    clim_means: np.ndarray,
    clim_departure: np.ndarray,
    clim_month: np.ndarray,
    noise_std,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """The gain on the weather departures, by month, that gives synthetic demand the real
    upper tail [1], among :data:`GAIN_CANDIDATES`, and how far the gain moves that tail.

    For each month: the real :data:`TAIL_QUANTILE` of hourly demand (at 2022's level) and,
    for each candidate gain ``g``, the same quantile of ``clim_means + g * clim_departure +
    noise_std(g)[month] * N(0, 1)`` over the synthetic climatology (the residual's spread
    shrinks as the weather explains more). The candidate nearest the real quantile wins.

    Parameters
    ----------
    real : numpy.ndarray
        Real hourly demand at 2022's level [MW].
    real_month, clim_month : numpy.ndarray
        Local month (0..11) of each real and each climatology hour.
    clim_means : numpy.ndarray
        The fitted cell mean of each climatology hour [MW].
    clim_departure : numpy.ndarray
        The weather's departure from its climatological part at each climatology hour [MW].
    noise_std : callable
        Gain (12,) -> residual standard deviation by month (12,) [MW].
    rng : numpy.random.Generator

    Returns
    -------
    gains : numpy.ndarray
        (12,) [1].
    reach : numpy.ndarray
        (12,) the synthetic tail at gain 1 less at gain 0 [MW]: how much the month's gain
        matters (little in winter, whose departures seldom reach the cooling base).
    """
    target = _by_month(real, real_month, lambda x: np.quantile(x, TAIL_QUANTILE))
    z = rng.standard_normal(len(clim_means))
    gains, reach = np.zeros(12), np.zeros(12)
    for m in range(12):
        chosen = clim_month == m
        tails = np.array(
            [
                np.quantile(
                    clim_means[chosen]
                    + g * clim_departure[chosen]
                    + noise_std(np.full(12, g))[m] * z[chosen],
                    TAIL_QUANTILE,
                )
                for g in GAIN_CANDIDATES
            ]
        )
        gains[m] = GAIN_CANDIDATES[np.argmin(np.abs(tails - target[m]))]
        reach[m] = tails[-1] - tails[0]
    return gains, reach


def seasonal_gain(monthly: np.ndarray, reach: np.ndarray) -> np.ndarray:
    """A smooth seasonal shape through monthly gains [1]: least squares on a mean and
    :data:`GAIN_HARMONICS` annual harmonics at the mid-months, kept within
    the candidates' range.

    Two years of real data give each month's gain with noise; the shape keeps the season
    and drops month-to-month jumps. Each month weighs by its ``reach`` [MW] (from
    :func:`tail_gain`), so the fit is one of tail demand, not of gains: a winter month's gain
    barely moves its demand, September's (heat waves) moves it by GW."""
    phase = 2.0 * np.pi * MID_MONTH_DAY / 365.0
    columns = [np.ones(12)]
    for k in range(1, GAIN_HARMONICS + 1):
        columns += [np.cos(k * phase), np.sin(k * phase)]
    basis = np.column_stack(columns)
    weight = np.sqrt(np.maximum(reach, 0.0))
    coefficients, *_ = np.linalg.lstsq(basis * weight[:, None], monthly * weight, rcond=None)
    return np.clip(basis @ coefficients, GAIN_CANDIDATES[0], GAIN_CANDIDATES[-1])


def fit_demand(
    demand: pd.Series,
    levels: tuple[list[int], list[float]],
    climate: pd.DataFrame,
    rng: np.random.Generator,
) -> dict:
    """The demand tables.

    Parameters
    ----------
    demand : pandas.Series
        Real hourly demand [MW] by UTC hour start (EIA-930, 2022-2023).
    levels : (years, levels)
        From :func:`demand_levels`.
    climate : pandas.DataFrame
        A long hourly synthetic weather run (``temp_air_c``) by UTC hour: the climatology.
    rng : numpy.random.Generator
        Draws the residual noise of the synthetic demand whose tail the gain matches.

    Returns
    -------
    dict
        The ``demand`` section of ``calibrated.json``.
    """
    cal = local_calendar(demand.index, CAISO_TIMEZONE, 60)
    level = np.interp(cal.year, *levels)
    real = demand.to_numpy(float) / level
    daytype = cal.offday.astype(np.int64)
    means = _cell_means(real, cal.month, daytype, cal.hour)

    clim = local_calendar(climate.index, CAISO_TIMEZONE, 60)
    t_eff = smoothed_temperature(climate["temp_air_c"].to_numpy(float), 1.0)
    n_cells = 12 * 2 * 24
    # The regression: every (month, day type, hour) mean demand on one intercept per day type
    # and hour, a cooling response per hour, and one heating response for all hours (a
    # response per hour would take the winter evening lighting peak for heating).
    intercepts = np.zeros((n_cells, 48))
    cells = np.arange(n_cells)
    month_of, day_of, hour_of = np.unravel_index(cells, (12, 2, 24))
    intercepts[cells, day_of * 24 + hour_of] = 1.0
    y = means.ravel()
    best = None
    for cool in COOLING_BASES_C:
        ecdd = _month_hour_means(np.maximum(t_eff - cool, 0.0), clim.month, clim.hour)
        cooling_columns = np.zeros((n_cells, 24))
        cooling_columns[cells, hour_of] = ecdd[month_of, hour_of]
        for heat in HEATING_BASES_C[np.less_equal(HEATING_BASES_C, cool)]:
            ehdd = _month_hour_means(np.maximum(heat - t_eff, 0.0), clim.month, clim.hour)
            x = np.column_stack([intercepts, cooling_columns, ehdd[month_of, hour_of]])
            # Non-negative least squares: intercepts are tens of GW, responses are >= 0.
            beta, residual = nnls(x, y)
            if best is None or residual < best[0]:
                best = (residual, cool, heat, beta, ecdd, ehdd)
    _, cool, heat, beta, ecdd, ehdd = best
    cooling = beta[48:72]
    heating = np.full(24, beta[72])
    profile = means - cooling[None, None, :] * ecdd[:, None, :] - heating * ehdd[:, None, :]

    # Residual: the real departure from the cell mean less what the synthetic temperature's
    # departure from its climatology already gives, at the day and the hour level.
    real_dev = real - means[cal.month, daytype, cal.hour]
    cdd = np.maximum(t_eff - cool, 0.0)
    hdd = np.maximum(heat - t_eff, 0.0)
    synth_dev = cooling[clim.hour] * (cdd - ecdd[clim.month, clim.hour]) + heating[clim.hour] * (
        hdd - ehdd[clim.month, clim.hour]
    )

    def split(dev, calendar):
        day_mean = np.bincount(calendar.day, weights=np.nan_to_num(dev), minlength=calendar.n_days)
        day_count = np.bincount(calendar.day, weights=np.isfinite(dev), minlength=calendar.n_days)
        daily = day_mean / np.maximum(day_count, 1)
        daily[day_count < 20] = np.nan
        return daily, dev - daily[calendar.day]

    real_daily, real_hourly = split(real_dev, cal)
    synth_daily, synth_hourly = split(synth_dev, clim)
    # LA's temperature is a noisy proxy of CAISO's load-weighted one, and one response per
    # hour, fitted across months, overstates the response out of summer (an LA Santa Ana warm
    # spell in spring or autumn is not state-wide heat; air conditioning is not yet, or no
    # longer, in full use). The response to departures is scaled by a seasonal gain fitted
    # so that each month's upper tail (p99) of synthetic demand is the real one.
    real_daily_var = _by_month(real_daily, cal.day_month, _robust_var)
    real_hourly_var = _by_month(real_hourly, cal.month, _robust_var)
    synth_daily_var = _by_month(synth_daily, clim.day_month, _robust_var)
    synth_hourly_var = _by_month(synth_hourly, clim.month, _robust_var)

    def residual_var(gain):
        daily = np.maximum(
            real_daily_var - gain**2 * synth_daily_var, MIN_RESIDUAL_SHARE * real_daily_var
        )
        hourly = np.maximum(
            real_hourly_var - gain**2 * synth_hourly_var, MIN_RESIDUAL_SHARE * real_hourly_var
        )
        return daily, hourly

    clim_means = means[clim.month, clim.offday.astype(np.int64), clim.hour]
    anomaly_gain = seasonal_gain(
        *tail_gain(
            real,
            cal.month,
            clim_means,
            synth_dev,
            clim.month,
            lambda gain: np.sqrt(np.add(*residual_var(gain))),
            rng,
        )
    )
    daily_var, hourly_var = residual_var(anomaly_gain)
    daily_acf = float(autocorrelation(real_daily, 1))
    hourly_acf = float(autocorrelation(real_hourly, 1, groups=cal.day))
    return {
        "base_year": BASE_YEAR,
        "level_years": levels[0],
        "levels": levels[1],
        "profile_mw": np.round(profile, 1).tolist(),
        "cooling_mw_per_c": np.round(cooling, 2).tolist(),
        "heating_mw_per_c": np.round(heating, 2).tolist(),
        "cooling_base_c": float(cool),
        "heating_base_c": float(heat),
        "expected_cdd_c": np.round(ecdd, 3).tolist(),
        "expected_hdd_c": np.round(ehdd, 3).tolist(),
        "anomaly_gain": np.round(anomaly_gain, 3).tolist(),
        "daily_std_mw": np.round(np.sqrt(daily_var), 1).tolist(),
        "daily_autocorrelation": round(daily_acf, 4),
        "hourly_std_mw": np.round(np.sqrt(hourly_var), 1).tolist(),
        "hourly_autocorrelation": round(hourly_acf, 4),
    }


def _per_mw(
    output: pd.Series, capacity: tuple[list[int], list[float]]
) -> tuple[np.ndarray, object, np.ndarray]:
    """Output per MW installed, its calendar and its standard hours."""
    cal = local_calendar(output.index, CAISO_TIMEZONE, 60)
    installed = sourced_capacity(np.array(capacity[0]), np.array(capacity[1]), decimal_year(cal))
    per_mw = output.to_numpy(float) / installed
    hours = standard_hours(pd.DatetimeIndex(output.index), CAISO_TIMEZONE, 1.0).astype(np.int64)
    return per_mw, cal, hours


def ghi_climatology(climate: pd.DataFrame) -> np.ndarray:
    """Mean daily GHI by month of the synthetic LA climatology [W/m2]."""
    clim = local_calendar(climate.index, CAISO_TIMEZONE, 60)
    return _by_month(climate["ghi_w_m2"].to_numpy(float), clim.month, np.mean)


def fit_solar(
    solar: pd.Series,
    capacity: tuple[list[int], list[float]],
    climate: pd.DataFrame,
    net_load: pd.Series,
) -> dict:
    """The solar tables.

    Parameters
    ----------
    solar : pandas.Series
        Real hourly hub solar [MW] by UTC hour start (2022-2023).
    capacity : (years, MW)
        From :func:`capacity_table`.
    climate : pandas.DataFrame
        The synthetic weather run (``ghi_w_m2``), hourly.
    net_load : pandas.Series
        Real hourly net load [MW] (its minimum is the curtailment floor).
    """
    per_mw, cal, hours = _per_mw(solar.clip(lower=0.0), capacity)
    profile = _month_hour_means(per_mw, cal.month, hours)
    profile[profile < NIGHT_PER_MW] = 0.0

    # Day-to-day spread of the fleet (each day over its year-month's mean) against the
    # spread of the synthetic LA daily GHI over its climatology.
    day_mean = pd.Series(per_mw).groupby(cal.day).mean().to_numpy()
    days = cal.days
    month_key = days.year * 12 + days.month
    ratio = day_mean / pd.Series(day_mean).groupby(month_key).transform("mean").to_numpy()
    real_std = _by_month(ratio, cal.day_month, np.std)
    # The fleet's clearest and darkest days bound the factor (clear days are only so much
    # above the month's mean, whatever LA's sky does).
    low = _by_month(ratio, cal.day_month, lambda x: np.quantile(x, 0.01))
    high = _by_month(ratio, cal.day_month, lambda x: np.quantile(x, 0.99))
    clim = local_calendar(climate.index, CAISO_TIMEZONE, 60)
    climatology = ghi_climatology(climate)
    ghi_day = pd.Series(climate["ghi_w_m2"].to_numpy(float)).groupby(clim.day).mean().to_numpy()
    expected = np.interp(clim.day_of_year - 0.5, MID_MONTH_DAY, climatology, period=365)
    synth_std = _by_month(ghi_day / expected, clim.day_month, np.std)
    coupling = np.clip(real_std / synth_std, 0.0, 1.5)
    return {
        "capacity_years": capacity[0],
        "capacity_mw": capacity[1],
        "profile_per_mw": np.round(profile, 5).tolist(),
        "sky_coupling": np.round(coupling, 3).tolist(),
        "sky_min": np.round(low, 3).tolist(),
        "sky_max": np.round(high, 3).tolist(),
        "net_load_floor_mw": round(float(net_load.min()), 1),
        "ghi_climatology_w_m2": np.round(climatology, 2).tolist(),
    }


def fit_wind(wind: pd.Series, capacity: tuple[list[int], list[float]]) -> dict:
    """The wind tables (hourly hub wind [MW] by UTC hour start, 2022-2023)."""
    per_mw, cal, hours = _per_mw(wind.clip(lower=0.0), capacity)
    profile = _month_hour_means(per_mw, cal.month, hours)
    ratio = per_mw / profile[cal.month, hours]
    quantiles = np.array([np.nanquantile(ratio[cal.month == m], WIND_LEVELS) for m in range(12)])
    # Normal scores within each month, for the hour-to-hour persistence.
    scores = np.full(len(ratio), np.nan)
    for m in range(12):
        chosen = (cal.month == m) & np.isfinite(ratio)
        ranks = pd.Series(ratio[chosen]).rank().to_numpy()
        scores[chosen] = ndtri(ranks / (chosen.sum() + 1.0))
    acf = float(autocorrelation(scores, 1, groups=cal.month))
    return {
        "capacity_years": capacity[0],
        "capacity_mw": capacity[1],
        "profile_per_mw": np.round(profile, 5).tolist(),
        "ratio_quantiles": np.round(quantiles, 4).tolist(),
        "autocorrelation": round(acf, 4),
    }


def gas_table(gas: pd.Series, first: str = "2019-01") -> dict:
    """The monthly gas table from ``first`` on [$/MMBtu] (from
    :func:`vppsim.system.reference.read_gas_monthly`, gaps already filled)."""
    table = gas[gas.index >= pd.Period(first, freq="M")]
    months = pd.period_range(table.index.min(), table.index.max(), freq="M")
    if len(months) != len(table):
        raise ValueError("the gas table has holes")
    return {
        "first_month": str(months[0]),
        "last_month": str(months[-1]),
        "usd_per_mmbtu": np.round(table.reindex(months).to_numpy(float), 3).tolist(),
    }


CLIMATE_YEARS = (2013, 2024)
"""First and last year of the synthetic weather run that stands for the LA climatology."""
CLIMATE_SEED = 20220101


def climate_weather() -> pd.DataFrame:
    """Twelve years of hourly synthetic LA weather with the default parameters: the
    climatology the temperature response and the sky coupling are fitted against."""
    first, last = CLIMATE_YEARS
    grid = build_grid(dt.date(first, 1, 1), dt.date(last, 12, 31), CAISO_TIMEZONE, 60)
    rng = stream_rng(CLIMATE_SEED, Stream.WEATHER)
    return simulate_weather(grid, *DEFAULT_SITE, CAISO_TIMEZONE, 60, rng)


def fit_calibration(reference: Path) -> dict:
    """Every section of ``calibrated.json`` from the shared references (deterministic)."""
    reference = Path(reference)
    drivers = ref.reference_drivers(reference, "2022-01-01T08:00", "2024-01-01T08:00")
    late = ref.read_eia930_demand_solar(reference / ref.EIA930_DEMAND_SOLAR_FILE)
    demand_all = pd.concat(
        [drivers["demand_mw"], late["demand_mw"][late.index >= pd.Timestamp("2024-01-01T08:00Z")]]
    )
    fuel_mix = ref.read_fuel_mix_daily(reference / ref.FUEL_MIX_FILE)
    gas = ref.read_gas_monthly(
        reference / ref.ELECTRIC_POWER_GAS_FILE, reference / ref.CITYGATE_GAS_FILE
    )
    climate = climate_weather()
    levels = demand_levels(demand_all, fuel_mix)
    solar_all = ref.reference_drivers(reference, "2022-01-01T08:00", "2026-01-01T08:00")
    solar_capacity = capacity_table(fuel_mix, "solar", solar_all["solar_mw"])
    wind_capacity = capacity_table(fuel_mix, "wind")
    return {
        "source": {
            "demand": "EIA-930 CISO demand 2022-2023 (eia930_ciso_demand_hourly_2022-2023), "
            "levels 2022-2025 from EIA-930, 2019-2021 from CAISO's daily fuel mix",
            "solar_wind": "CAISO OASIS SLD_REN_FCST hub actuals 2022-2023 (NP15+SP15+ZP26 "
            "solar, NP15+SP15 wind)",
            "capacity": "CAISO Key Statistics Feb 2022 (14,963 MW solar, 7,888 MW wind) x "
            "yearly growth of the Apr-Aug p95 daily output in CAISO's daily fuel mix; solar "
            "from 2022 that of the modelled series (hubs 2022-2023, EIA-930 from 2024)",
            "gas": "EIA N3045CA3 (California electric power consumers), $/Mcf / 1.036; "
            "withheld months from the city-gate price x median ratio",
            "climate": f"vppsim synthetic LA weather {CLIMATE_YEARS[0]}-{CLIMATE_YEARS[1]}, "
            f"seed {CLIMATE_SEED}, default parameters",
        },
        "demand": fit_demand(
            drivers["demand_mw"], levels, climate, stream_rng(CLIMATE_SEED, Stream.SYSTEM)
        ),
        "solar": fit_solar(drivers["solar_mw"], solar_capacity, climate, drivers["net_load_mw"]),
        "wind": fit_wind(drivers["wind_mw"], wind_capacity),
        "gas": gas_table(gas),
    }
