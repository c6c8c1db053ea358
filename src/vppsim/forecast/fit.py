"""Fitting vppsim's operator forecasts on CAISO's real day-ahead forecasts and outcomes.

Real pairs (``../shared/reference/market/system/``, read through
:mod:`vppsim.system.reference`):

* demand: CAISO OASIS ``SLD_FCST`` day-ahead forecast of ``CA ISO-TAC`` (the whole balancing
  area; it equals EIA-930's CISO day-ahead forecast on every hour) against EIA-930 CISO
  actual demand, 2022-2023;
* solar and wind: CAISO OASIS ``SLD_REN_FCST`` day-ahead against actual, per trading hub
  (SP15, NP15) and summed over the hubs (what vppsim's ``solar_mw`` and ``wind_mw`` stand
  for), 2022-2023.

Years are local (Pacific) calendar years. Capacity, for the per-hub figures, is the hub's
highest hourly actual of the year (no per-hub installed capacity is published with the
file); for the hub sums, the operator's bias tables, it is the sourced installed capacity of
``vppsim/system/calibrated.json`` (the one vppsim's system model scales its solar and wind
by), so the bias applies to synthetic series in the same units.

``python -m vppsim.forecast.fit [--check] [--reference DIR]`` writes (or checks)
``vppsim/forecast/calibrated.json``; the fit has no random draws, so re-running it writes the
same file.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from vppsim.calendar import CAISO_TIMEZONE, local_calendar
from vppsim.calibration_file import dumps_calibration, write_or_check
from vppsim.forecast.errors import ErrorStatistics, daylight_mask, error_statistics, hourly_means
from vppsim.report import reference_dir
from vppsim.system import reference as ref
from vppsim.system.model import SystemCalibration, decimal_year, sourced_capacity

YEARS = (2022, 2023)
HUBS = ("SP15", "NP15")
KINDS = ("solar", "wind")


def _local(index: pd.DatetimeIndex):
    return local_calendar(index, CAISO_TIMEZONE, 60)


def demand_pair(reference: Path) -> pd.DataFrame:
    """``forecast`` (CA ISO-TAC day-ahead) and ``actual`` (EIA-930) demand [MW], hourly."""
    reference = Path(reference)
    actual = ref.read_eia930_demand(reference / ref.EIA930_DEMAND_FILE)["demand_mw"]
    forecast = ref.read_tac_load_forecast(reference / ref.TAC_LOAD_FORECAST_FILE)
    return pd.DataFrame({"forecast": forecast.reindex(actual.index), "actual": actual})


def hub_pairs(reference: Path) -> dict[str, pd.DataFrame]:
    """``forecast`` and ``actual`` [MW] per ``"<hub> <kind>"`` (e.g. ``"SP15 solar"``) and for
    the hub sums (``"solar"``, ``"wind"``), hourly."""
    path = Path(reference) / ref.HUB_RENEWABLES_FILE
    hubs = ref.read_hub_series(path)
    pairs = {
        f"{hub} {kind}": pd.DataFrame(
            {"forecast": hubs[f"da_{hub}_{kind}"], "actual": hubs[f"act_{hub}_{kind}"]}
        )
        for kind in KINDS
        for hub in HUBS
    }
    total = ref.read_hub_renewables(path)
    for kind in KINDS:
        pairs[kind] = pd.DataFrame(
            {"forecast": total[f"da_{kind}_mw"], "actual": total[f"{kind}_mw"]}
        )
    return pairs


def pair_statistics(pair: pd.DataFrame, kind: str, capacity=None) -> ErrorStatistics:
    """:func:`error_statistics` of one hourly pair: MAPE for ``kind="demand"``, MAE over
    ``capacity`` otherwise (daylight only for ``"solar"``)."""
    cal = _local(pair.index)
    f = pair["forecast"].to_numpy(float)
    a = pair["actual"].to_numpy(float)
    if kind == "demand":
        return error_statistics(f, a, cal.hour, relative_to="actual")
    mask = daylight_mask(f, a, capacity) if kind == "solar" else None
    return error_statistics(f, a, cal.hour, relative_to="capacity", capacity=capacity, mask=mask)


def _year(frame: pd.DataFrame, year: int) -> pd.DataFrame:
    return frame[frame.index.tz_convert(CAISO_TIMEZONE).year == year]


def real_statistics(reference: Path) -> dict[str, tuple[ErrorStatistics, float | None]]:
    """Per ``"<series> <year>"`` (2022 and 2023): the real pair's statistics and the capacity
    they are relative to [MW] (None for demand; the year's mean for the hub sums).

    Series: ``demand``; ``SP15 solar``, ``NP15 solar``, ``SP15 wind``, ``NP15 wind`` (over the
    hub's highest hourly actual of the year); ``solar`` and ``wind``, the hub sums vppsim's
    system drivers stand for (over the sourced installed capacity): the real side of
    vppsim's operator forecasts, which are scored the same way.
    """
    out: dict[str, tuple[ErrorStatistics, float | None]] = {}
    demand = demand_pair(reference)
    hubs = hub_pairs(reference)
    for year in YEARS:
        out[f"demand {year}"] = (pair_statistics(_year(demand, year), "demand"), None)
    for kind in KINDS:
        for hub in HUBS:
            for year in YEARS:
                pair = _year(hubs[f"{hub} {kind}"], year)
                capacity = float(pair["actual"].max())
                out[f"{hub} {kind} {year}"] = (pair_statistics(pair, kind, capacity), capacity)
    system = SystemCalibration.default()
    for position, kind in enumerate(KINDS):
        for year in YEARS:
            pair = _year(hubs[kind], year)
            capacity = installed_capacity(pair.index, system)[position]
            stats = pair_statistics(pair, kind, capacity)
            out[f"{kind} {year}"] = (stats, stats.scale)
    return out


def installed_capacity(
    index: pd.DatetimeIndex, system: SystemCalibration
) -> tuple[np.ndarray, np.ndarray]:
    """Sourced installed solar and wind capacity [MW] at each UTC hour start of ``index``, as
    vppsim's system model uses it."""
    when = decimal_year(_local(index))
    return (
        sourced_capacity(system.solar_capacity_years, system.solar_capacity_mw, when),
        sourced_capacity(system.wind_capacity_years, system.wind_capacity_mw, when),
    )


def _both_years(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[np.isin(frame.index.tz_convert(CAISO_TIMEZONE).year, YEARS)]


def operator_bias(reference: Path, system: SystemCalibration) -> dict:
    """The bias by local hour 0..23 the operator forecast applies (2022-2023 pooled).

    ``demand_bias_share``: sum of (forecast - actual) over the sum of the forecast [1];
    ``solar_bias_share`` (daylight hours only, 0 for an hour without any) and
    ``wind_bias_share``: mean of (forecast - actual) over the sourced capacity [1], of the
    hub sums.
    """
    demand = _both_years(demand_pair(reference)).dropna()
    hour = _local(demand.index).hour
    error = demand["forecast"] - demand["actual"]
    demand_share = hourly_means(error.to_numpy(), hour) / hourly_means(
        demand["forecast"].to_numpy(), hour
    )
    out = {"demand_bias_share": np.round(demand_share, 5).tolist()}
    hubs = hub_pairs(reference)
    for kind, position in (("solar", 0), ("wind", 1)):
        pair = _both_years(hubs[kind]).dropna()
        capacity = installed_capacity(pair.index, system)[position]
        f = pair["forecast"].to_numpy(float)
        a = pair["actual"].to_numpy(float)
        share = (f - a) / capacity
        if kind == "solar":
            share = np.where(daylight_mask(f, a, capacity), share, np.nan)
        table = np.nan_to_num(hourly_means(share, _local(pair.index).hour), nan=0.0)
        out[f"{kind}_bias_share"] = np.round(table, 5).tolist()
    return out


def fit_calibration(reference: Path) -> dict:
    """Every section of ``forecast/calibrated.json`` from the shared references."""
    statistics = {}
    for key, (stats, capacity) in real_statistics(reference).items():
        entry = stats.summary()
        if capacity is not None:
            entry["capacity_mw"] = round(capacity, 1)
        statistics[key] = entry
    return {
        "source": {
            "demand": "CAISO OASIS SLD_FCST DAM, CA ISO-TAC (caiso_tac_load_forecast_dam_hourly_"
            "2021-12_2023-12) against EIA-930 CISO demand (eia930_ciso_demand_hourly_2022-2023)",
            "solar_wind": "CAISO OASIS SLD_REN_FCST DAM and actual by hub (caiso_hub_wind_solar_"
            "dam_and_actual_hourly_2021-12_2023-12)",
            "capacity": "per-hub statistics: the hub's highest hourly actual of the year; "
            "operator bias: sourced capacity of vppsim/system/calibrated.json",
            "daylight": "solar hours with forecast and actual both above 1 % of capacity",
            "years": "local (Pacific) calendar years 2022 and 2023; bias tables pooled",
        },
        "operator": operator_bias(reference, SystemCalibration.default()),
        "statistics": statistics,
    }


OUTPUT = Path(__file__).resolve().with_name("calibrated.json")


def main(argv: list[str] | None = None) -> int:
    """Fit and write ``calibrated.json`` (``--check``: compare with the shipped file)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare with the shipped file")
    parser.add_argument(
        "--reference",
        type=Path,
        default=None,
        help="the shared reference folder (default: $VPPSIM_REFERENCE, else ../shared/reference)",
    )
    args = parser.parse_args(argv)
    text = dumps_calibration(fit_calibration(reference_dir(args.reference)))
    return 0 if write_or_check(OUTPUT, text, args.check) else 1


if __name__ == "__main__":
    sys.exit(main())
