"""The scenarios against the real events their magnitudes come from (``vppsim calibrate
--part scenarios``), and the fit of the presets' knobs.

Each weather scenario's knob is fitted so that vppsim's own models, run on the default study
(Aug 2023) with and without the event, move the statistic the real event moved, by the real
amount (:func:`fit_presets`; ``benchmarks/fit_scenarios.py`` prints the fit):

* heat-wave: the event days' mean daily peak demand over the same days without the event,
  against the Sep 2022 event's over its surrounding weeks (EIA-930: 1.246);
* peak-demand: the three days' mean daily peak demand over the month's mean daily peak,
  against the 2023 annual peak's three days (EIA-930: 1.143);
* low-solar: the three days' mean daily GHI over the month's 90th-percentile day, against
  SP15's worst summer spell, Hurricane Hilary's remnants on 19-21 Aug 2023 (0.384).

The knob-only scenarios take their values from the data directly: gas-crisis the Dec 2022
power-plant gas price, high-volatility the odds of the 90th-percentile month of each price
tail over the median month's (CAISO's published FMM DLAP shares, the gas crisis left out).
The report (:func:`scenario_calibration_tables`) sets each real figure beside vppsim's; the
price figures are the price model's response to the drivers, not fitted here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.optimize import brentq

from vppsim.config import load_settings
from vppsim.dataset.build import Pipeline
from vppsim.dataset.schemas import TIMESTAMP
from vppsim.market.evaluation import SPIKE_PRICE
from vppsim.registry import default_registry
from vppsim.scenario import sourced
from vppsim.scenario.model import load_scenario
from vppsim.weather.events import event_days

HEAT_NIGHT_SHARE = 0.5
"""Raise of the daily minimum as a share of the raise of the daily maximum in the heat
scenarios [1]. An assumption: the TMY heat events the weather model is fitted on are dry
Santa Ana spells with cool nights (a share of 0.09), while summer heat domes such as Sep 2022
keep the nights warm too."""

HILARY_2023: sourced.Span = (dt.date(2023, 8, 19), dt.date(2023, 8, 21))
"""SP15's worst summer solar spell of 2022-2023: Hurricane Hilary's remnants."""

_DRIVERS = ("weather", "system", "market")


def simulate(overrides: dict, seed: int = 42) -> dict[str, pd.DataFrame]:
    """The default study's weather, system and market from their models, with ``overrides``
    (settings, e.g. ``{"scenario": "heat-wave"}``); each frame gains its local ``day``."""
    values = {f"{name}.source": "synthetic" for name in _DRIVERS}
    settings = load_settings(
        {**values, "datasets": "market", "seed": seed, **overrides}, env_file=None
    )
    pipeline = Pipeline(settings, default_registry())
    frames = {}
    for name in _DRIVERS:
        frame = pipeline.result(name).data
        local = pd.DatetimeIndex(frame[TIMESTAMP]).tz_convert(settings.timezone)
        frames[name] = frame.assign(day=np.asarray(local.date))
    frames["days"] = pd.DataFrame(
        {"day": event_days(settings.weather.events, settings.start, settings.end)}
    )
    return frames


def _daily(frame: pd.DataFrame, column: str, how: str) -> pd.Series:
    return frame.groupby("day")[column].agg(how)


def _heat_ratio(base: dict, scenario: dict) -> float:
    days = list(scenario["days"]["day"])
    peak = _daily(scenario["system"], "demand_mw", "max")
    return float(
        peak.loc[days].mean() / _daily(base["system"], "demand_mw", "max").loc[days].mean()
    )


def _peak_ratio(base: dict, scenario: dict) -> float:
    days = list(scenario["days"]["day"])
    peak = _daily(scenario["system"], "demand_mw", "max")
    return float(peak.loc[days].mean() / _daily(base["system"], "demand_mw", "max").mean())


def _solar_ratio(base: dict, scenario: dict) -> float:
    days = list(scenario["days"]["day"])
    clear = float(np.percentile(_daily(base["weather"], "ghi_w_m2", "mean"), 90))
    return float(_daily(scenario["weather"], "ghi_w_m2", "mean").loc[days].mean() / clear)


def _event(name: str, **knobs) -> dict:
    """The preset's single event with ``knobs`` replaced, as settings overrides."""
    event = dict(load_scenario(name).settings["weather"]["events"][0]) | knobs
    return {"scenario": name, "weather.events": [event]}


def _fit(
    name: str,
    knob: Callable[[float], dict],
    measure: Callable[[dict, dict], float],
    target: float,
    bracket: tuple[float, float],
    base: dict,
    seed: int,
) -> float:
    return float(
        brentq(
            lambda x: measure(base, simulate(_event(name, **knob(x)), seed)) - target,
            *bracket,
            xtol=0.01,
        )
    )


def _preset(scenario: str, knob: str) -> float:
    """The shipped value of ``knob`` (``section.name`` or ``weather.events[0].name``)."""
    settings = load_scenario(scenario).settings
    section, _, name = knob.partition(".")
    if name.startswith("events[0]."):
        return float(settings[section]["events"][0][name.removeprefix("events[0].")])
    return float(settings[section][name])


def _measured(series: sourced.ReferenceSeries) -> dict:
    """The real figures the scenarios are fitted on and compared with."""
    runs = sourced.low_solar(
        sourced.daily_figures(series.solar, sourced.MIN_SOLAR_DAY_HOURS)["energy_mwh"], (3,)
    ).runs[3]
    return {
        "heat": sourced.heat_wave(series.demand, series.fmm),
        "peak": sourced.annual_peak(series.demand, 2023),
        "hilary": float(runs.loc[runs["first"] == HILARY_2023[0], "ratio"].iloc[0]),
        "volatility": sourced.volatility(series.published, series.fmm),
        "gas": sourced.gas_crisis(series.gas, series.fmm, series.published),
    }


def _odds(tail: sourced.TailDistribution) -> float:
    return tail.p90_pct / tail.median_pct


def fit_presets(reference: Path, seed: int = 42) -> pd.DataFrame:
    """Each preset's knob fitted on the real event (see the module docstring).

    Returns
    -------
    pandas.DataFrame
        One row per knob: ``scenario``, ``knob``, ``fitted``, ``preset`` (the shipped
        value), ``target`` (the real figure the fit meets) and ``figure`` (what it is).
    """
    real = _measured(sourced.load_reference(reference))
    base = simulate({}, seed)

    def raise_(x: float) -> dict:
        return {"tmax_raise_c": round(x, 2), "tmin_raise_c": round(HEAT_NIGHT_SHARE * x, 2)}

    def dim(x: float) -> dict:
        return {"clearsky_index_factor": round(x, 3)}

    heat, peak = real["heat"].demand.peak_ratio, real["peak"].window_over_month
    gas = float(real["gas"].gas_usd_per_mmbtu.loc["2022-12"])
    volatility = real["volatility"]
    rows = [
        (
            "heat-wave",
            "weather.events[0].tmax_raise_c",
            _fit("heat-wave", raise_, _heat_ratio, heat, (0.0, 20.0), base, seed),
            heat,
            "event days' mean daily peak demand over the same days without it",
        ),
        (
            "peak-demand",
            "weather.events[0].tmax_raise_c",
            _fit("peak-demand", raise_, _peak_ratio, peak, (0.0, 20.0), base, seed),
            peak,
            "the three days' mean daily peak demand over the month's",
        ),
        (
            "low-solar",
            "weather.events[0].clearsky_index_factor",
            _fit("low-solar", dim, _solar_ratio, real["hilary"], (0.05, 1.0), base, seed),
            real["hilary"],
            "the three days' mean daily sun over the month's p90 day",
        ),
        (
            "high-volatility",
            "market.scarcity_propensity",
            _odds(volatility.above_250),
            _odds(volatility.above_250),
            "a p90 month's share above $250 over the median's",
        ),
        (
            "high-volatility",
            "market.oversupply_propensity",
            _odds(volatility.negative),
            _odds(volatility.negative),
            "a p90 month's share below $0 over the median's",
        ),
        (
            "gas-crisis",
            "system.gas_price_usd_per_mmbtu",
            gas,
            gas,
            "power plants' gas price in Dec 2022 [$/MMBtu]",
        ),
    ]
    frame = pd.DataFrame(rows, columns=["scenario", "knob", "fitted", "target", "figure"])
    frame.insert(
        3, "preset", [_preset(s, k) for s, k in zip(frame["scenario"], frame["knob"], strict=True)]
    )
    return frame


def _share(frame: pd.DataFrame, days: Sequence[dt.date] | None, above: bool) -> float:
    part = frame if days is None else frame[frame["day"].isin(days)]
    hit = part["lmp"] > SPIKE_PRICE if above else part["lmp"] < 0
    return 100.0 * float(hit.mean())


def _other(frames: dict, days: Sequence[dt.date]) -> list[dt.date]:
    return [day for day in frames["weather"]["day"].unique() if day not in set(days)]


def _mean(frame: pd.DataFrame, column: str, days: Sequence[dt.date] | None) -> float:
    part = frame if days is None else frame[frame["day"].isin(days)]
    return float(part[column].mean())


def scenario_calibration_tables(reference: Path, seed: int = 42) -> dict[str, pd.DataFrame]:
    """Each shipped scenario on the default study beside the real event it is modelled on.

    Returns
    -------
    dict of str to pandas.DataFrame
        One table per scenario: ``figure``, ``unit``, ``real``, ``vppsim`` (the scenario) and
        ``vppsim base`` (the same figure without the scenario).
    """
    real = _measured(sourced.load_reference(reference))
    base = simulate({}, seed)
    runs = {
        name: simulate({"scenario": name}, seed)
        for name in ("heat-wave", "peak-demand", "low-solar", "gas-crisis", "high-volatility")
    }
    heat, hot = real["heat"], runs["heat-wave"]
    days = list(hot["days"]["day"])
    tables = {}
    tables["heat-wave: Sep 2022 (real) and the default study's event days (vppsim)"] = [
        (
            "daily peak demand, event over without",
            "1",
            heat.demand.peak_ratio,
            _heat_ratio(base, hot),
            1.0,
        ),
        (
            "mean daily peak demand in the event",
            "MW",
            heat.demand.event_mean_daily_peak_mw,
            _daily(hot["system"], "demand_mw", "max").loc[days].mean(),
            _daily(base["system"], "demand_mw", "max").loc[days].mean(),
        ),
        (
            "highest demand in the event",
            "MW",
            heat.demand.event_max_mw,
            _daily(hot["system"], "demand_mw", "max").loc[days].max(),
            _daily(base["system"], "demand_mw", "max").loc[days].max(),
        ),
        (
            "real-time LMP above $250 in the event",
            "%",
            heat.price.event_above_250_pct,
            _share(hot["market"], days, True),
            _share(base["market"], days, True),
        ),
        (
            "real-time LMP above $250, other days",
            "%",
            heat.price.reference_above_250_pct,
            _share(hot["market"], _other(hot, days), True),
            _share(base["market"], _other(base, days), True),
        ),
        (
            "mean real-time LMP in the event",
            "$/MWh",
            heat.price.event_mean_usd_per_mwh,
            _mean(hot["market"], "lmp", days),
            _mean(base["market"], "lmp", days),
        ),
    ]
    peak, run = real["peak"], runs["peak-demand"]
    days = list(run["days"]["day"])
    tables["peak-demand: 2023's annual peak (real) and the default study (vppsim)"] = [
        (
            "three days' mean daily peak over the month's",
            "1",
            peak.window_over_month,
            _peak_ratio(base, run),
            _daily(base["system"], "demand_mw", "max").loc[days].mean()
            / _daily(base["system"], "demand_mw", "max").mean(),
        ),
        (
            "annual peak demand",
            "MW",
            peak.peak_mw,
            run["system"]["demand_mw"].max(),
            base["system"]["demand_mw"].max(),
        ),
    ]
    run = runs["low-solar"]
    days = list(run["days"]["day"])
    solar_clear = float(np.percentile(_daily(base["system"], "solar_mw", "mean"), 90))
    tables["low-solar: SP15 on 19-21 Aug 2023 (real) and the default study (vppsim)"] = [
        (
            "site sun (GHI), three days over the p90 day",
            "1",
            real["hilary"],
            _solar_ratio(base, run),
            _solar_ratio(base, {**base, "days": run["days"]}),
        ),
        (
            "utility solar, three days over the p90 day",
            "1",
            real["hilary"],
            _daily(run["system"], "solar_mw", "mean").loc[days].mean() / solar_clear,
            _daily(base["system"], "solar_mw", "mean").loc[days].mean() / solar_clear,
        ),
    ]
    gas, run = real["gas"], runs["gas-crisis"]
    december = gas.fmm.loc[pd.Period("2022-12", "M")]
    tables["gas-crisis: Dec 2022 (real) and Aug 2023 at Dec 2022's gas (vppsim)"] = [
        (
            "gas price",
            "$/MMBtu",
            float(gas.gas_usd_per_mmbtu.loc["2022-12"]),
            _mean(run["system"], "gas_price_usd_per_mmbtu", None),
            _mean(base["system"], "gas_price_usd_per_mmbtu", None),
        ),
        (
            "real-time LMP above $250",
            "%",
            float(december["above $250 %"]),
            _share(run["market"], None, True),
            _share(base["market"], None, True),
        ),
        (
            "mean real-time LMP",
            "$/MWh",
            float(december["mean"]),
            _mean(run["market"], "lmp", None),
            _mean(base["market"], "lmp", None),
        ),
    ]
    volatility, run = real["volatility"], runs["high-volatility"]
    tables[
        "high-volatility: CAISO's p90 month over its median (real), scenario over base (vppsim)"
    ] = [
        (
            "share above $250, ratio",
            "1",
            _odds(volatility.above_250),
            _share(run["market"], None, True) / _share(base["market"], None, True),
            1.0,
        ),
        (
            "share below $0, ratio",
            "1",
            _odds(volatility.negative),
            _share(run["market"], None, False) / _share(base["market"], None, False),
            1.0,
        ),
        (
            "share above $250",
            "%",
            volatility.above_250.p90_pct,
            _share(run["market"], None, True),
            _share(base["market"], None, True),
        ),
        (
            "share below $0",
            "%",
            volatility.negative.p90_pct,
            _share(run["market"], None, False),
            _share(base["market"], None, False),
        ),
    ]
    return {
        title: pd.DataFrame(rows, columns=["figure", "unit", "real", "vppsim", "vppsim base"])
        for title, rows in tables.items()
    }
