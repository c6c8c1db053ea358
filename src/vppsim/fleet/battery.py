"""A home battery: its parameters and a pure state-of-charge kernel.

Conventions (shared by the kernel and the dispatch LP of :mod:`vppsim.fleet.arbitrage`):

* Powers are on the grid (AC) side [kW]; the energy stored is ``soc`` [kWh], between
  ``min_soc * usable_energy_kwh`` and ``usable_energy_kwh``.
* One interval of ``dt_h`` hours: first the standby loss, then the charge and discharge,
  ``soc' = soc * (1 - standby_loss_per_h) ** dt_h + eta_c * charge * dt_h
  - discharge * dt_h / eta_d``.
* The throughput (degradation) cost is charged per kWh *discharged* on the grid side: one
  full cycle is charged once, not twice.
"""

from __future__ import annotations

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator


class BatteryParameters(BaseModel):
    """One battery's limits and costs.

    Examples
    --------
    >>> BatteryParameters(usable_energy_kwh=10.5, charge_kw=3.84, discharge_kw=3.84)
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    usable_energy_kwh: float = Field(
        ..., gt=0.0, le=1e6, description="Usable energy capacity [kWh]."
    )
    charge_kw: float = Field(..., gt=0.0, le=1e6, description="Maximum charge power, AC [kW].")
    discharge_kw: float = Field(
        ..., gt=0.0, le=1e6, description="Maximum discharge power, AC [kW]."
    )
    charge_efficiency: float = Field(
        0.9**0.5,
        gt=0.0,
        le=1.0,
        description="Share of the AC energy charged that is stored [1].",
    )
    discharge_efficiency: float = Field(
        0.9**0.5,
        gt=0.0,
        le=1.0,
        description="Share of the stored energy drawn that reaches the AC side [1].",
    )
    min_soc: float = Field(
        0.0,
        ge=0.0,
        lt=1.0,
        description="Lowest state of charge, share of the usable energy [1] (technical minimum "
        "plus any backup reserve).",
    )
    initial_soc: float = Field(
        0.5, ge=0.0, le=1.0, description="State of charge at the start, share of usable energy [1]."
    )
    final_soc: float = Field(
        0.5,
        ge=0.0,
        le=1.0,
        description="Least state of charge at the end of each dispatch horizon, share of usable "
        "energy [1].",
    )
    throughput_cost_usd_per_kwh: float = Field(
        0.0,
        ge=0.0,
        le=10.0,
        description="Degradation cost per kWh discharged (AC side) [$/kWh].",
    )
    standby_loss_per_h: float = Field(
        0.0,
        ge=0.0,
        lt=1.0,
        description="Share of the stored energy lost per hour at rest [1/h].",
    )

    @model_validator(mode="after")
    def _soc_window(self) -> BatteryParameters:
        for name in ("initial_soc", "final_soc"):
            if getattr(self, name) < self.min_soc:
                raise ValueError(f"{name} is below min_soc ({self.min_soc})")
        return self

    @property
    def round_trip_efficiency(self) -> float:
        """AC to AC round-trip efficiency [1]."""
        return self.charge_efficiency * self.discharge_efficiency

    @property
    def min_energy_kwh(self) -> float:
        """Lowest energy stored [kWh]."""
        return self.min_soc * self.usable_energy_kwh


REFERENCE_BATTERY = BatteryParameters(
    usable_energy_kwh=13.5,
    charge_kw=5.0,
    discharge_kw=5.0,
    charge_efficiency=0.9**0.5,
    discharge_efficiency=0.9**0.5,
    min_soc=0.0,
    initial_soc=0.5,
    final_soc=0.5,
    throughput_cost_usd_per_kwh=0.02,
    standby_loss_per_h=0.0,
)
"""Tesla Powerwall 2, the reference battery of issue 11.

13.5 kWh usable, 5 kW continuous charge and discharge, 90 % round-trip efficiency (split as
its square root on each leg): Tesla, *Powerwall 2 AC Datasheet* (North America),
https://www.tesla.com/sites/default/files/pdfs/powerwall/Powerwall%202_AC_Datasheet_en_northamerica.pdf
(the same figures as CALIBRATION.md's "Assets and dispatch").
The $0.02/kWh throughput cost is issue 11's reference assumption (energy only, perfect
foresight). Tesla publishes no self-discharge figure: no standby loss. Half full at the start
and at least half full at the end of each horizon, so a horizon neither borrows nor lends
energy.
"""


def step(
    soc: np.ndarray,
    charge_kw: np.ndarray,
    discharge_kw: np.ndarray,
    dt_h: float,
    params: BatteryParameters,
) -> np.ndarray:
    """The state of charge after one interval (no clipping: see :func:`violations`).

    Parameters
    ----------
    soc : numpy.ndarray
        Energy stored at the interval start [kWh], one per battery.
    charge_kw, discharge_kw : numpy.ndarray
        AC charge and discharge power over the interval [kW], broadcastable to ``soc``.
    dt_h : float
        Interval length [h].
    params : BatteryParameters

    Returns
    -------
    numpy.ndarray
        Energy stored at the interval end [kWh].
    """
    keep = (1.0 - params.standby_loss_per_h) ** dt_h
    return (
        np.asarray(soc, dtype=float) * keep
        + params.charge_efficiency * np.asarray(charge_kw, dtype=float) * dt_h
        - np.asarray(discharge_kw, dtype=float) * dt_h / params.discharge_efficiency
    )


def simulate(
    charge_kw: np.ndarray,
    discharge_kw: np.ndarray,
    dt_h: float,
    params: BatteryParameters,
    soc0: np.ndarray | float | None = None,
) -> np.ndarray:
    """The state of charge along a schedule, by :func:`step`.

    Parameters
    ----------
    charge_kw, discharge_kw : numpy.ndarray
        AC powers [kW], time along the first axis, batteries along the others.
    dt_h : float
        Interval length [h].
    params : BatteryParameters
    soc0 : numpy.ndarray or float, optional
        Energy stored at the start [kWh]; default ``initial_soc * usable_energy_kwh``.

    Returns
    -------
    numpy.ndarray
        Energy stored at the end of each interval [kWh], the shape of ``charge_kw``.
    """
    charge = np.asarray(charge_kw, dtype=float)
    discharge = np.asarray(discharge_kw, dtype=float)
    soc = params.initial_soc * params.usable_energy_kwh if soc0 is None else soc0
    soc = np.broadcast_to(np.asarray(soc, dtype=float), charge.shape[1:])
    out = np.empty_like(charge)
    for t in range(charge.shape[0]):
        soc = step(soc, charge[t], discharge[t], dt_h, params)
        out[t] = soc
    return out


def violations(
    soc: np.ndarray,
    charge_kw: np.ndarray,
    discharge_kw: np.ndarray,
    params: BatteryParameters,
    tol: float = 1e-6,
) -> dict[str, int]:
    """Count the intervals that break each limit of ``params`` by more than ``tol``.

    Parameters
    ----------
    soc : numpy.ndarray
        Energy stored [kWh].
    charge_kw, discharge_kw : numpy.ndarray
        AC powers [kW].
    params : BatteryParameters
    tol : float
        Tolerance [kWh or kW].

    Returns
    -------
    dict of str to int
        ``soc below min``, ``soc above max``, ``charge limit``, ``discharge limit``,
        ``negative power`` and ``simultaneous`` (both charging and discharging).
    """
    soc, charge, discharge = (np.asarray(a, dtype=float) for a in (soc, charge_kw, discharge_kw))
    return {
        "soc below min": int(np.sum(soc < params.min_energy_kwh - tol)),
        "soc above max": int(np.sum(soc > params.usable_energy_kwh + tol)),
        "charge limit": int(np.sum(charge > params.charge_kw + tol)),
        "discharge limit": int(np.sum(discharge > params.discharge_kw + tol)),
        "negative power": int(np.sum((charge < -tol) | (discharge < -tol))),
        "simultaneous": int(np.sum((charge > tol) & (discharge > tol))),
    }
