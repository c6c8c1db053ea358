"""One scoring function for every dispatch strategy: revenues, costs, and the checks.

:func:`score` evaluates one home's :class:`~vppsim.fleet.dispatch.Schedule` on the objective
the ``lp`` strategy maximises (the module docstring of :mod:`vppsim.fleet.dispatch`), so the
three strategies are compared on the same terms, and replays the battery schedule through the
device kernels (:func:`replay`) to count every violated limit. :func:`fleet_summary`
adds the homes up (the ``summary.json`` of ``vppsim dispatch``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import fields, replace

import numpy as np

from vppsim.fleet import battery, ev, thermal
from vppsim.fleet.dispatch import (
    REGULATION,
    UP,
    DispatchSettings,
    EVSessions,
    HomeAssets,
    HomeSeries,
    Market,
    Schedule,
    Thermal,
    terminal_value,
)

SOC_TOLERANCE_KWH = 1e-6
"""Largest gap between a schedule's state of charge and the kernel's replay [kWh]."""


def comfort_degree_hours(schedule: Schedule, series: HomeSeries, dt_h: float) -> float:
    """Degree-hours of air temperature outside the comfort band [K-h] (0 without AC): above
    ``setpoint + band``, below :attr:`~vppsim.fleet.dispatch.Thermal.floor_c`."""
    thermal = series.thermal
    if thermal is None:
        return 0.0
    above = schedule.air_c - (thermal.setpoint_c + thermal.band_c)
    below = thermal.floor_c - schedule.air_c
    return float(np.sum(np.maximum(above, 0.0) + np.maximum(below, 0.0)) * dt_h)


def ev_unmet_kwh(schedule: Schedule, series: HomeSeries, dt_h: float) -> float:
    """EV energy needed but not delivered within its session window [kWh]: the whole need
    of a session that departs within the period, the deliverable part of one still plugged
    in at its end (:class:`~vppsim.fleet.dispatch.EVSessions`)."""
    cars = series.ev
    if cars is None:
        return 0.0
    total = np.concatenate([[0.0], np.cumsum(schedule.ev_kw)]) * dt_h
    delivered = total[cars.departure] - total[cars.arrival]
    required = np.where(cars.leaves, cars.energy_kwh, cars.target_kwh(dt_h))
    return float(np.sum(np.maximum(required - delivered, 0.0)))


def ev_plan(cars: Sequence[EVSessions], n: int, dt_h: float) -> ev.Schedule:
    """The EV kernel's plan (:class:`vppsim.fleet.ev.Schedule`) of homes' sessions, one
    column per home of ``cars``, on ``n`` intervals of ``dt_h`` [h]."""
    plugged, arriving = np.zeros((n, len(cars))), np.zeros((n, len(cars)))
    departing = np.zeros((n, len(cars)), dtype=bool)
    power = np.array([float(car.charger_kw.max(initial=1.0)) for car in cars])
    for j, car in enumerate(cars):
        plugged[:, j] = car.limit_kw / power[j]
        arriving[car.arrival, j] = car.energy_kwh
        departing[car.departure[car.leaves] - 1, j] = True
    return ev.Schedule(plugged, arriving, departing, power, dt_h * 60.0, np.zeros(len(cars)))


DRIVE_FIELDS = tuple(f.name for f in fields(thermal.Drive))
"""The thermal drive's series, in its constructor's order."""


def thermal_fleet(
    homes: Sequence[Thermal],
) -> tuple[thermal.ThermalModel, thermal.Drive, np.ndarray]:
    """One :class:`~vppsim.fleet.thermal.ThermalKernel`'s inputs for homes' air conditioners:
    the stacked model, the (T, H) drive (with setpoint and COP) and the start mass
    temperatures (H,) [degC]."""
    models = [h.model for h in homes]
    arrays = [f for f, v in vars(models[0]).items() if isinstance(v, np.ndarray)]
    model = replace(
        models[0], **{f: np.concatenate([getattr(m, f) for m in models]) for f in arrays}
    )
    drive = thermal.Drive(
        *(np.column_stack([getattr(h.drive, name) for h in homes]) for name in DRIVE_FIELDS)
    )
    return model, drive, np.array([h.x0 for h in homes])


def replay(
    schedules: Sequence[Schedule],
    series: Sequence[HomeSeries],
    assets: Sequence[HomeAssets],
    market: Market,
    settings: DispatchSettings,
    tol: float = 1e-6,
) -> list[dict[str, int]]:
    """Step the homes' schedules through the device kernels and count what they change.

    The batteries through :class:`~vppsim.fleet.battery.BatteryKernel` (no ageing: the
    dispatch plans on the nominal energy), the EV charging through
    :class:`~vppsim.fleet.ev.EVKernel`, and the LP's air conditioning (schedules with
    ``cooling_kw``; the thermostat's is the kernel's own run) through
    :class:`~vppsim.fleet.thermal.ThermalKernel`, all homes of a kind at once.

    Returns
    -------
    list of dict
        Per home, counts of intervals: ``battery clipped``, ``ev clipped``, ``ac clipped``
        (the kernel applied a power differing by more than ``tol`` [kW]), ``soc replay``,
        ``mass replay`` and ``air replay`` (the schedule's state differs from the kernel's
        by more than :data:`SOC_TOLERANCE_KWH` [kWh] or ``tol`` [K]), ``simultaneous``
        (charge and discharge both above ``tol``).
    """
    n, dt = market.n, market.dt_h
    out = [dict.fromkeys(_REPLAYED, 0) for _ in schedules]
    batteries = [(i, assets[i].battery(settings)) for i in range(len(schedules))]
    batteries = [(i, b) for i, b in batteries if b is not None]
    if batteries:
        rows = [i for i, _ in batteries]
        run = battery.BatteryKernel(
            battery.BatteryFleet.stack([b for _, b in batteries]), dt * 60.0
        )
        charge = np.column_stack([schedules[i].charge_kw for i in rows])
        discharge = np.column_stack([schedules[i].discharge_kw for i in rows])
        planned = np.column_stack([schedules[i].soc_kwh for i in rows])
        soc, applied, _ = run.simulate(
            charge - discharge,
            run.initial_state(np.array([b.initial_soc for _, b in batteries])),
        )
        counts = {
            "battery clipped": np.abs(applied - (charge - discharge)) > tol,
            "soc replay": np.abs(soc - planned) > SOC_TOLERANCE_KWH,
            "simultaneous": (charge > tol) & (discharge > tol),
        }
        _add(out, rows, counts)
    cars = [i for i in range(len(schedules)) if series[i].ev is not None]
    if cars:
        plan = ev_plan([series[i].ev for i in cars], n, dt)
        asked = np.column_stack([schedules[i].ev_kw for i in cars])
        applied, _ = ev.simulate(plan, asked)
        _add(out, cars, {"ev clipped": np.abs(applied - asked) > tol})
    houses = [i for i in range(len(schedules)) if schedules[i].cooling_kw is not None]
    if houses:
        model, drive, state = thermal_fleet([series[i].thermal for i in houses])
        kernel = thermal.ThermalKernel(model)
        asked = np.column_stack([schedules[i].ac_kw for i in houses])
        mass, air, applied = np.empty((n, len(houses))), np.empty((n, len(houses))), asked.copy()
        for k in range(n):
            state, applied[k], info = kernel.step(state, asked[k], drive.at(k))
            mass[k], air[k] = state, info["air_c"]
        counts = {
            "ac clipped": np.abs(applied - asked) > tol,
            "mass replay": np.abs(mass - np.column_stack([schedules[i].mass_c for i in houses]))
            > tol,
            "air replay": np.abs(air - np.column_stack([schedules[i].air_c for i in houses])) > tol,
        }
        _add(out, houses, counts)
    return out


_REPLAYED = (
    "battery clipped",
    "soc replay",
    "simultaneous",
    "ev clipped",
    "ac clipped",
    "mass replay",
    "air replay",
)


def _add(out: list[dict[str, int]], rows: list[int], counts: dict[str, np.ndarray]) -> None:
    for name, flags in counts.items():
        for j, total in enumerate(flags.sum(axis=0)):
            out[rows[j]][name] += int(total)


def _violations(
    schedule: Schedule,
    series: HomeSeries,
    assets: HomeAssets,
    market: Market,
    has_battery: bool,
    meter: np.ndarray,
    tol: float,
) -> dict[str, int]:
    """Count the intervals (or hours, for awards) breaking each limit the kernels do not
    hold: the export limit, the curtailment's range and the AS awards' headroom."""
    out = {
        "export limit": int(np.sum(meter > assets.export_limit_kw + tol)),
        "curtailment": int(
            np.sum((schedule.curtail_kw < -tol) | (schedule.curtail_kw > series.pv_kw + tol))
        ),
    }
    if not has_battery:
        out["battery without battery"] = int(
            np.sum((np.abs(schedule.charge_kw) > tol) | (np.abs(schedule.discharge_kw) > tol))
        )
    elif schedule.awards_kw is not None:
        hour = market.hour
        up = schedule.awards_kw[:, UP].sum(axis=1)[hour]
        down = schedule.awards_kw[:, ~UP].sum(axis=1)[hour]
        out["up headroom"] = int(
            np.sum(schedule.discharge_kw + up > assets.battery_discharge_kw + tol)
        )
        out["down headroom"] = int(
            np.sum(schedule.charge_kw + down > assets.battery_charge_kw + tol)
        )
        out["export with up awards"] = int(np.sum(meter + up > assets.export_limit_kw + tol))
        out["negative award"] = int(np.sum(schedule.awards_kw < -tol))
    return out


def score(
    schedule: Schedule,
    series: HomeSeries,
    assets: HomeAssets,
    market: Market,
    settings: DispatchSettings,
    tol: float = 1e-6,
    replayed: dict[str, int] | None = None,
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
    replayed : dict, optional
        The home's :func:`replay` (computed here when not given).

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
    pack = assets.battery(settings)
    meter = schedule.meter_kw(series)
    energy = float(market.lmp @ meter) * dt / 1000.0
    discharged = float(np.sum(schedule.discharge_kw)) * dt
    kappa = 0.0 if pack is None else pack.throughput_cost_usd_per_kwh
    ancillary = 0.0
    regulation_kwh = 0.0
    if schedule.awards_kw is not None and market.ancillary is not None:
        ancillary = float(np.sum(market.ancillary * schedule.awards_kw)) / 1000.0
        regulation_kwh = float(np.sum(schedule.awards_kw[:, REGULATION]))  # 1 h each
    degradation = kappa * (discharged + settings.regulation_throughput_share * regulation_kwh)
    gained = 0.0
    if pack is not None:
        gained = float(schedule.soc_kwh[-1]) - pack.initial_soc * pack.usable_energy_kwh
    degree_hours = comfort_degree_hours(schedule, series, dt)
    net = energy + ancillary - degradation
    terminal = terminal_value(market, pack) * gained
    comfort = settings.comfort_penalty_usd_per_kh * degree_hours
    cycles = 0.0
    if pack is not None:
        cycles = discharged / (pack.usable_energy_kwh * pack.discharge_efficiency)
    violations = _violations(schedule, series, assets, market, pack is not None, meter, tol)
    if replayed is None:
        replayed = replay([schedule], [series], [assets], market, settings, tol)[0]
    violations.update(replayed)
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
    home_ids: Sequence[int] | None = None,
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
    home_ids : sequence of int, optional
        The homes' ids in the issue lines (default their positions).

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
    names = range(len(issues)) if home_ids is None else home_ids
    lines = [f"home {i}: {line}" for i, home in zip(names, issues, strict=True) for line in home]
    out["homes with issues"] = sum(1 for home in issues if home)
    out["issues"] = lines
    return out
