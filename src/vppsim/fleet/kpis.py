"""One scoring function for every dispatch strategy: revenues, costs, and the checks.

:func:`score` evaluates one home's :class:`~vppsim.fleet.dispatch.Schedule` on the objective
the ``lp`` strategy maximises (the module docstring of :mod:`vppsim.fleet.dispatch`), so the
three strategies are compared on the same terms, and replays the battery schedule through the
kernel of :mod:`vppsim.fleet.battery` to count every violated limit. :func:`fleet_summary`
adds the homes up (the ``summary.json`` of ``vppsim dispatch``).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from vppsim.fleet import battery as kernel
from vppsim.fleet.dispatch import (
    REGULATION,
    UP,
    DispatchSettings,
    HomeAssets,
    HomeSeries,
    Market,
    Schedule,
    terminal_value,
)

SOC_TOLERANCE_KWH = 1e-6
"""Largest gap between a schedule's state of charge and the kernel's replay [kWh]."""


def comfort_degree_hours(schedule: Schedule, series: HomeSeries, dt_h: float) -> float:
    """Degree-hours of air temperature outside ``setpoint +/- band`` [K-h] (0 without AC)."""
    thermal = series.thermal
    if thermal is None:
        return 0.0
    above = schedule.air_c - (thermal.setpoint_c + thermal.band_c)
    below = (thermal.setpoint_c - thermal.band_c) - schedule.air_c
    return float(np.sum(np.maximum(above, 0.0) + np.maximum(below, 0.0)) * dt_h)


def ev_unmet_kwh(schedule: Schedule, series: HomeSeries, dt_h: float) -> float:
    """EV energy needed but not delivered within its session window [kWh]."""
    ev = series.ev
    if ev is None:
        return 0.0
    delivered = np.array(
        [schedule.ev_kw[a:b].sum() * dt_h for a, b in zip(ev.arrival, ev.departure, strict=True)]
    )
    return float(np.sum(np.maximum(np.asarray(ev.energy_kwh) - delivered, 0.0)))


def _violations(
    schedule: Schedule,
    series: HomeSeries,
    assets: HomeAssets,
    market: Market,
    battery: kernel.BatteryParameters | None,
    meter: np.ndarray,
    tol: float,
) -> dict[str, int]:
    """Count the intervals (or hours, for awards) breaking each limit."""
    out = {
        "export limit": int(np.sum(meter > assets.export_limit_kw + tol)),
        "curtailment": int(
            np.sum((schedule.curtail_kw < -tol) | (schedule.curtail_kw > series.pv_kw + tol))
        ),
    }
    if battery is None:
        out["battery without battery"] = int(
            np.sum((np.abs(schedule.charge_kw) > tol) | (np.abs(schedule.discharge_kw) > tol))
        )
        return out
    replay = kernel.simulate(
        schedule.charge_kw,
        schedule.discharge_kw,
        market.dt_h,
        battery,
        battery.initial_soc * battery.usable_energy_kwh,
    )
    out.update(kernel.violations(replay, schedule.charge_kw, schedule.discharge_kw, battery, tol))
    out["soc replay"] = int(np.sum(np.abs(replay - schedule.soc_kwh) > SOC_TOLERANCE_KWH))
    if schedule.awards_kw is not None:
        hour = market.hour
        up = schedule.awards_kw[:, UP].sum(axis=1)[hour]
        down = schedule.awards_kw[:, ~UP].sum(axis=1)[hour]
        out["up headroom"] = int(np.sum(schedule.discharge_kw + up > battery.discharge_kw + tol))
        out["down headroom"] = int(np.sum(schedule.charge_kw + down > battery.charge_kw + tol))
        out["export with up awards"] = int(np.sum(meter + up > assets.export_limit_kw + tol))
        out["negative award"] = int(np.sum(schedule.awards_kw < -tol))
    if series.ev is not None:
        window = np.zeros(market.n, dtype=bool)
        for a, b in zip(series.ev.arrival, series.ev.departure, strict=True):
            window[a:b] = True
        out["ev outside window"] = int(np.sum(~window & (np.abs(schedule.ev_kw) > tol)))
    return out


def score(
    schedule: Schedule,
    series: HomeSeries,
    assets: HomeAssets,
    market: Market,
    settings: DispatchSettings,
    tol: float = 1e-6,
) -> dict[str, float]:
    """One home's revenues, costs, KPIs and violation counts.

    Parameters
    ----------
    schedule : Schedule
    series : HomeSeries
    assets : HomeAssets
    market : Market
    settings : DispatchSettings
    tol : float
        Tolerance of the limit checks [kW or kWh].

    Returns
    -------
    dict of str to float
        ``energy revenue`` (the net meter flow at the LMP), ``as revenue``,
        ``degradation cost``, ``net revenue`` (the three) [$]; ``terminal value`` (the stored
        energy gained over the period at :func:`~vppsim.fleet.dispatch.terminal_value`) and
        ``comfort cost`` (degree-hours outside the band at the penalty) [$]; ``objective``
        (net revenue + terminal value - comfort cost, what ``lp`` maximises) [$];
        ``discharged kwh``, ``equivalent full cycles`` (discharge over usable energy times
        discharge efficiency), ``peak import kw``, ``comfort degree hours`` [K-h],
        ``ev unmet kwh``, ``violations`` (their total) and one ``violation: <name>`` count per
        checked limit.
    """
    dt = market.dt_h
    battery = assets.battery(settings)
    meter = schedule.meter_kw(series)
    energy = float(market.lmp @ meter) * dt / 1000.0
    discharged = float(np.sum(schedule.discharge_kw)) * dt
    kappa = 0.0 if battery is None else battery.throughput_cost_usd_per_kwh
    ancillary = 0.0
    regulation_kwh = 0.0
    if schedule.awards_kw is not None and market.ancillary is not None:
        ancillary = float(np.sum(market.ancillary * schedule.awards_kw)) / 1000.0
        regulation_kwh = float(np.sum(schedule.awards_kw[:, REGULATION]))  # 1 h each
    degradation = kappa * (discharged + settings.regulation_throughput_share * regulation_kwh)
    gained = 0.0
    if battery is not None:
        gained = float(schedule.soc_kwh[-1]) - battery.initial_soc * battery.usable_energy_kwh
    degree_hours = comfort_degree_hours(schedule, series, dt)
    net = energy + ancillary - degradation
    terminal = terminal_value(market, battery) * gained
    comfort = settings.comfort_penalty_usd_per_kh * degree_hours
    cycles = 0.0
    if battery is not None:
        cycles = discharged / (battery.usable_energy_kwh * battery.discharge_efficiency)
    violations = _violations(schedule, series, assets, market, battery, meter, tol)
    out = {
        "energy revenue": energy,
        "as revenue": ancillary,
        "degradation cost": degradation,
        "net revenue": net,
        "terminal value": terminal,
        "comfort cost": comfort,
        "objective": net + terminal - comfort,
        "discharged kwh": discharged,
        "equivalent full cycles": cycles,
        "peak import kw": float(np.max(-meter)),
        "comfort degree hours": degree_hours,
        "ev unmet kwh": ev_unmet_kwh(schedule, series, dt),
        "violations": float(sum(violations.values())),
    }
    out.update({f"violation: {name}": float(count) for name, count in violations.items()})
    return out


def fleet_summary(
    scores: Sequence[dict[str, float]],
    meters_kw: np.ndarray,
    baseline_meters_kw: np.ndarray | None = None,
    issues: Sequence[Sequence[str]] = (),
) -> dict[str, float | int | list[str]]:
    """The fleet's totals (``summary.json``).

    Parameters
    ----------
    scores : sequence of dict
        :func:`score` of each home.
    meters_kw : numpy.ndarray
        Net meter flow of each home, export positive [kW], shape (T, homes).
    baseline_meters_kw : numpy.ndarray, optional
        The same under the ``none`` strategy, for the peak reduction.
    issues : sequence of sequence of str
        Each home's :attr:`~vppsim.fleet.dispatch.Schedule.issues`.

    Returns
    -------
    dict
        The sums of the money, energy, cycle, comfort, EV and violation figures over the
        homes; ``homes``; ``fleet peak kw`` (the largest fleet net import) and
        ``peak reduction kw`` (against the baseline, 0 without one); ``homes with issues``
        and ``issues`` (``home <i>: <issue>``).
    """
    summed = (
        "energy revenue",
        "as revenue",
        "degradation cost",
        "net revenue",
        "terminal value",
        "comfort cost",
        "objective",
        "discharged kwh",
        "equivalent full cycles",
        "comfort degree hours",
        "ev unmet kwh",
        "violations",
    )
    out: dict[str, float | int | list[str]] = {
        name: float(sum(s[name] for s in scores)) for name in summed
    }
    out["homes"] = len(scores)
    peak = float(np.max(-np.sum(meters_kw, axis=1)))
    out["fleet peak kw"] = peak
    out["peak reduction kw"] = 0.0
    if baseline_meters_kw is not None:
        out["peak reduction kw"] = float(np.max(-np.sum(baseline_meters_kw, axis=1))) - peak
    lines = [f"home {i}: {line}" for i, home in enumerate(issues) for line in home]
    out["homes with issues"] = sum(1 for home in issues if home)
    out["issues"] = lines
    return out
