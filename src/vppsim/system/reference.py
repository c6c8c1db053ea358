"""Readers of the real CAISO system drivers in ``reference/market/system/`` and ``gas/``.

What the price model is fitted on and checked against: CAISO demand, utility-scale solar and
wind, hydro, and the gas price power plants paid. Each ``read_*`` parses one file into a
frame indexed by the UTC start of its hour (or its Pacific day, or its month);
:func:`reference_drivers` joins them into hourly drivers for a period, in the columns of the
``system`` dataset.

Conventions, from the reference README:

* EIA-930 stamps the *end* of the hour; OASIS the start. Everything here is hour *start*, UTC.
* ``solar_mw`` and ``wind_mw`` are CAISO's trading-hub actuals (NP15 + SP15 + ZP26 solar,
  NP15 + SP15 wind, from ``SLD_REN_FCST``): the utility-scale resources CAISO forecasts, no
  rooftop PV. EIA-930's CISO solar runs 2-10 % above the hub sum (2023); after 2023, where
  only EIA-930 solar exists, it is scaled by :data:`HUB_PER_EIA_SOLAR` to stay in hub units.
* Gas is EIA N3045CA3, the monthly price California power plants paid [$/Mcf], converted at
  :data:`MMBTU_PER_MCF`; months EIA withheld take the city-gate price of the month times the
  median ratio of the two series.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from vppsim.calendar import CAISO_TIMEZONE

SYSTEM = Path("market") / "system"
GAS = Path("market") / "gas"
EIA930_DEMAND_FILE = SYSTEM / "eia930_ciso_demand_hourly_2022-2023.csv.gz"
EIA930_DEMAND_SOLAR_FILE = SYSTEM / "eia930_ciso_demand_solar_hourly_2023-05_2025-12.csv.gz"
EIA930_FUEL_FILE = SYSTEM / "eia930_ciso_generation_by_fuel_hourly_2023.csv.gz"
HUB_RENEWABLES_FILE = SYSTEM / "caiso_hub_wind_solar_dam_and_actual_hourly_2021-12_2023-12.csv.gz"
TAC_LOAD_FORECAST_FILE = SYSTEM / "caiso_tac_load_forecast_dam_hourly_2021-12_2023-12.csv.gz"
FUEL_MIX_FILE = SYSTEM / "caiso_daily_fuel_mix_2018-04_2025-08.csv.gz"
ELECTRIC_POWER_GAS_FILE = GAS / "california_electric_power_gas_price_monthly_eia.csv"
CITYGATE_GAS_FILE = GAS / "california_citygate_monthly_eia.csv"
HENRY_HUB_MONTHLY_FILE = GAS / "henry_hub_monthly_eia.csv"
SOCAL_FUEL_DAILY_FILE = GAS / "caiso_prc_fuel_frsce3_daily_2023-05_2025-12.csv"

MMBTU_PER_MCF = 1.036
"""EIA's average heat content of natural gas delivered to consumers [MMBtu/Mcf]."""
HUB_PER_EIA_SOLAR = 0.93
"""CAISO hub solar actuals over EIA-930 CISO solar, Jan-Dec 2023 (monthly means: 0.91-0.99)."""


class ReferenceError(ValueError):
    """A reference file is missing a column or does not parse."""


def _read(path: Path, **kwargs) -> pd.DataFrame:
    if not Path(path).is_file():
        raise ReferenceError(f"reference file not found: {path}")
    return pd.read_csv(path, **kwargs)


def _require(frame: pd.DataFrame, columns, path: Path) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ReferenceError(f"{Path(path).name}: missing column(s) {', '.join(missing)}")


def _utc(values: pd.Series) -> pd.DatetimeIndex:
    return pd.DatetimeIndex(pd.to_datetime(values, utc=True))


def read_eia930_demand(path: Path) -> pd.DataFrame:
    """EIA-930 CISO hourly demand, 2022-2023: ``demand_mw`` and ``da_demand_mw`` (CAISO's
    day-ahead forecast) [MW], indexed by hour start (UTC). Missing hours stay NaN."""
    frame = _read(path)
    _require(frame, ("ts_end_utc", "demand_MW", "da_demand_forecast_MW"), path)
    index = _utc(frame["ts_end_utc"]) - pd.Timedelta(hours=1)
    out = pd.DataFrame(
        {
            "demand_mw": frame["demand_MW"].to_numpy(float),
            "da_demand_mw": frame["da_demand_forecast_MW"].to_numpy(float),
        },
        index=index.rename("timestamp"),
    )
    return out[~out.index.duplicated()].sort_index()


def read_eia930_demand_solar(path: Path) -> pd.DataFrame:
    """EIA-930 CISO adjusted demand and solar, 2023-05 to 2025-12: ``demand_mw`` and
    ``solar_mw`` (in hub units, see :data:`HUB_PER_EIA_SOLAR`) [MW], by hour start (UTC)."""
    frame = _read(path)
    _require(frame, ("UTC Time at End of Hour", "Demand (MW) (Adjusted)"), path)
    solar = "solar_adjusted_mw"
    _require(frame, (solar,), path)
    stamps = pd.to_datetime(frame["UTC Time at End of Hour"], format="%m/%d/%Y %I:%M:%S %p")
    index = pd.DatetimeIndex(stamps).tz_localize("UTC") - pd.Timedelta(hours=1)
    out = pd.DataFrame(
        {
            "demand_mw": frame["Demand (MW) (Adjusted)"].to_numpy(float),
            "solar_mw": frame[solar].to_numpy(float).clip(0.0) * HUB_PER_EIA_SOLAR,
        },
        index=index.rename("timestamp"),
    )
    return out[~out.index.duplicated()].sort_index()


def read_hub_series(path: Path) -> pd.DataFrame:
    """CAISO ``SLD_REN_FCST`` as published, one column per hub and resource: ``act_<hub>_<kind>``
    (actual) and ``da_<hub>_<kind>`` (day-ahead forecast) [MW], e.g. ``da_SP15_solar``, by hour
    start (UTC). Missing hours stay NaN; slightly negative actuals are kept."""
    frame = _read(path)
    _require(frame, ("interval_start_utc",), path)
    index = _utc(frame["interval_start_utc"]).rename("timestamp")
    names = [c for c in frame.columns if c.startswith(("act_", "da_"))]
    out = pd.DataFrame(frame[names].to_numpy(float), index=index, columns=names)
    return out[~out.index.duplicated()].sort_index()


def read_hub_renewables(path: Path) -> pd.DataFrame:
    """CAISO ``SLD_REN_FCST`` by trading hub, summed: actual ``solar_mw`` and ``wind_mw`` and
    their day-ahead forecasts ``da_solar_mw`` and ``da_wind_mw`` [MW], by hour start (UTC).
    Slightly negative published actuals (station load at night) are kept."""
    hubs = read_hub_series(path)
    columns = {}
    for prefix in ("act", "da"):
        for kind in ("solar", "wind"):
            names = [c for c in hubs.columns if c.startswith(f"{prefix}_") and c.endswith(kind)]
            if not names:
                raise ReferenceError(f"{Path(path).name}: no {prefix}_*_{kind} columns")
            # A missing hub value makes the sum missing, not smaller.
            total = hubs[names].sum(axis=1, min_count=len(names))
            name = f"{kind}_mw" if prefix == "act" else f"da_{kind}_mw"
            columns[name] = total.to_numpy(float)
    return pd.DataFrame(columns, index=hubs.index)


def read_tac_load_forecast(path: Path, tac: str = "CA ISO-TAC") -> pd.Series:
    """CAISO OASIS ``SLD_FCST`` day-ahead load forecast of one TAC area [MW] by hour start
    (UTC); ``CA ISO-TAC`` is the whole CAISO balancing area (it equals EIA-930's CISO
    day-ahead forecast on every hour, reference README)."""
    frame = _read(path)
    _require(frame, ("interval_start_utc", tac), path)
    index = _utc(frame["interval_start_utc"]).rename("timestamp")
    out = pd.Series(frame[tac].to_numpy(float), index=index, name="da_demand_mw")
    return out[~out.index.duplicated()].sort_index()


def read_fuel_mix_daily(path: Path) -> pd.DataFrame:
    """CAISO's daily fuel mix (Today's Outlook), MWh per Pacific day, as mean MW: ``hydro_mw``
    (large plus small hydro), ``solar_mw``, ``wind_mw``, ``batteries_mw`` (net, discharge
    positive), ``imports_mw``, ``gas_mw`` and ``load_mw``; indexed by the Pacific date."""
    frame = _read(path)
    wanted = {
        "hydro_mw": ("Large Hydro", "Small Hydro"),
        "solar_mw": ("Solar",),
        "wind_mw": ("Wind",),
        "batteries_mw": ("Batteries",),
        "imports_mw": ("Imports",),
        "gas_mw": ("Natural Gas",),
        "load_mw": ("CAISO_Load_MWh",),
    }
    _require(frame, ["Date", *(c for names in wanted.values() for c in names)], path)
    dates = pd.to_datetime(frame["Date"].str.slice(0, 10)).dt.date
    out = pd.DataFrame(
        {
            name: frame[list(cols)].sum(axis=1).to_numpy(float) / 24.0
            for name, cols in wanted.items()
        },
        index=pd.Index(dates, name="date"),
    )
    return out[~out.index.duplicated()].sort_index()


def read_gas_monthly(electric_power_path: Path, citygate_path: Path) -> pd.Series:
    """The monthly gas price California power plants paid [$/MMBtu], indexed by month
    (``pandas.Period``). Months EIA withheld from N3045CA3 take the city-gate price times the
    median ratio of the two series over the months both have."""
    power = _read(electric_power_path)
    _require(power, ("year", "month", "price_usd_mcf"), electric_power_path)
    city = _read(citygate_path)
    _require(city, ("year", "month", "citygate_usd_per_mcf"), citygate_path)

    def monthly(frame: pd.DataFrame, column: str) -> pd.Series:
        index = pd.PeriodIndex.from_fields(year=frame["year"], month=frame["month"], freq="M")
        values = pd.to_numeric(frame[column], errors="coerce").to_numpy(float)
        return pd.Series(values, index=index).dropna()

    plants = monthly(power, "price_usd_mcf")
    citygate = monthly(city, "citygate_usd_per_mcf")
    both = plants.index.intersection(citygate.index)
    ratio = float(np.median(plants[both] / citygate[both]))
    months = pd.period_range(
        min(plants.index.min(), citygate.index.min()),
        max(plants.index.max(), citygate.index.max()),
        freq="M",
    )
    merged = plants.reindex(months).fillna(citygate.reindex(months) * ratio)
    return (merged / MMBTU_PER_MCF).dropna().rename("gas_price_usd_per_mmbtu")


def read_socal_fuel_daily(path: Path) -> pd.Series:
    """CAISO's daily SoCal Citygate fuel price (OASIS ``PRC_FUEL``, region FRSCE3)
    [$/MMBtu], indexed by date (2023-05 on in the references)."""
    frame = _read(path)
    _require(frame, ("date", "fuel_price_usd_per_mmbtu"), path)
    values = pd.to_numeric(frame["fuel_price_usd_per_mmbtu"], errors="coerce").to_numpy(float)
    series = pd.Series(values, index=pd.DatetimeIndex(pd.to_datetime(frame["date"]), name="date"))
    series = series[np.isfinite(series.to_numpy()) & (series.to_numpy() > 0)]
    return series[~series.index.duplicated()].sort_index().rename("gas_price_usd_per_mmbtu")


def reference_drivers(reference: Path, start: str, end: str) -> pd.DataFrame:
    """Real hourly drivers between ``start`` and ``end`` (UTC hour starts, end exclusive).

    Columns [MW unless stated]: ``demand_mw``, ``solar_mw``, ``wind_mw``, ``net_load_mw``
    (demand less solar and wind), ``gas_price_usd_per_mmbtu`` [$/MMBtu] (the month's),
    ``hydro_mw`` and ``imports_mw`` (net imports; the Pacific day's means), and, where
    CAISO published them, the day-ahead ``da_demand_mw``, ``da_solar_mw``, ``da_wind_mw`` and
    ``da_net_load_mw``.

    Demand and renewables come from EIA-930 and the hub file through 2023; from 2024 on from
    EIA-930's demand and solar, with wind as the day's mean from the fuel mix (no hourly
    wind is in the references then). Hours a file misses stay NaN.
    """
    reference = Path(reference)
    hours = pd.date_range(
        pd.Timestamp(start, tz="UTC"),
        pd.Timestamp(end, tz="UTC"),
        freq="h",
        inclusive="left",
        name="timestamp",
    )
    out = pd.DataFrame(index=hours)
    demand = read_eia930_demand(reference / EIA930_DEMAND_FILE)
    hubs = read_hub_renewables(reference / HUB_RENEWABLES_FILE)
    late = read_eia930_demand_solar(reference / EIA930_DEMAND_SOLAR_FILE)
    daily = read_fuel_mix_daily(reference / FUEL_MIX_FILE)
    cutoff = pd.Timestamp("2024-01-01", tz="UTC")
    out["demand_mw"] = demand["demand_mw"].reindex(hours)
    out["solar_mw"] = hubs["solar_mw"].reindex(hours)
    out["wind_mw"] = hubs["wind_mw"].reindex(hours)
    late_hours = hours[hours >= cutoff]
    out.loc[late_hours, "demand_mw"] = late["demand_mw"].reindex(late_hours).to_numpy()
    out.loc[late_hours, "solar_mw"] = late["solar_mw"].reindex(late_hours).to_numpy()
    local_dates = hours.tz_convert(CAISO_TIMEZONE).date
    out.loc[late_hours, "wind_mw"] = (
        daily["wind_mw"].reindex(local_dates[hours >= cutoff]).to_numpy()
    )
    out["net_load_mw"] = out["demand_mw"] - out["solar_mw"] - out["wind_mw"]
    gas = read_gas_monthly(reference / ELECTRIC_POWER_GAS_FILE, reference / CITYGATE_GAS_FILE)
    months = hours.tz_convert(CAISO_TIMEZONE).tz_localize(None).to_period("M")
    out["gas_price_usd_per_mmbtu"] = gas.reindex(months).to_numpy()
    out["hydro_mw"] = daily["hydro_mw"].reindex(local_dates).to_numpy()
    out["imports_mw"] = daily["imports_mw"].reindex(local_dates).to_numpy()
    out["da_demand_mw"] = demand["da_demand_mw"].reindex(hours)
    out["da_solar_mw"] = hubs["da_solar_mw"].reindex(hours)
    out["da_wind_mw"] = hubs["da_wind_mw"].reindex(hours)
    out["da_net_load_mw"] = out["da_demand_mw"] - out["da_solar_mw"] - out["da_wind_mw"]
    return out
