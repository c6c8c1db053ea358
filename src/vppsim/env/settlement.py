"""Settlement of a DER aggregation in CAISO's day-ahead and real-time markets (pure).

The aggregation is a price-taker. Per interval of ``dt_h`` hours, every line in dollars, with
its sign (a cost is negative), so that ``net`` is the plain sum of the other lines:

* ``da_energy``: the day-ahead energy award [kW, export positive] at the day-ahead LMP,
  ``award x da_lmp x dt / 1000``.
* ``rt_imbalance``: the deviation of the metered flow from the award at the fifteen-minute
  market (FMM) LMP, ``(meter - award) x fmm_lmp x dt / 1000``. CAISO settles the difference
  between a resource's day-ahead schedule and its FMM schedule at the FMM price (CAISO,
  *Fifth Replacement Electronic Tariff*, section 11.5 "Real-Time Market Settlements",
  http://www.caiso.com/rules/Pages/Regulatory/Default.aspx). Simplified: the FMM schedule
  is the metered flow (no separate five-minute real-time dispatch settlement, no
  uninstructed-deviation split: CAISO settles the meter's deviation from its FMM schedule at
  the five-minute price, section 11.5.2 "Uninstructed Imbalance Energy"), so with no
  day-ahead award the two energy lines are the meter at the FMM LMP, the energy revenue of
  :func:`vppsim.fleet.kpis.score`.
* ``as_capacity``: the day-ahead AS awards [kW] at their capacity prices [$/MW-h],
  ``sum_k award_k x price_k x dt / 1000`` (per hour the same as
  :func:`vppsim.fleet.kpis.score`'s ``sum(prices x awards) / 1000``).
* ``no_pay``: the capacity payment taken back on the share of each award the fleet could not
  deliver in the interval (its headroom or stored energy short, :func:`shortfall`). CAISO
  rescinds AS capacity payments for capacity that was unavailable or undispatchable
  ("No Pay", tariff sections 8.10.8 and 11.10.9).
* ``penalty``: a further charge of ``penalty_multiple`` times the rescinded payment. An
  assumption of this model (an aggregator's cost of failing its scheduling coordinator),
  not a CAISO charge code; 0 reproduces the tariff's no-pay alone.
* ``degradation``: the batteries' throughput cost, ``-kappa x (discharge + phi x regulation
  award) x dt`` summed over the homes (:func:`throughput_cost`), the cost
  :func:`vppsim.fleet.kpis.score` charges.

So the LP schedule of :mod:`vppsim.fleet.dispatch` (no day-ahead energy, every award backed)
settles to the LP's net revenue.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from vppsim.fleet.dispatch_spec import UP

if TYPE_CHECKING:
    from vppsim.env.simulator import Segments

LINES = ("da_energy", "rt_imbalance", "as_capacity", "no_pay", "penalty", "degradation")
"""The settlement lines before ``net`` (their sum), in report order."""


class SettlementRules(BaseModel):
    """The settlement's assumptions beyond the tariff."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    penalty_multiple: float = Field(
        1.0,
        ge=0.0,
        le=100.0,
        description="Penalty on undelivered AS capacity, a multiple of its rescinded payment "
        "[1] (an assumption; CAISO's no-pay alone is 0).",
    )


def throughput_cost(
    kappa_usd_per_kwh: np.ndarray,
    discharge_kw: np.ndarray,
    regulation_kw: np.ndarray | float,
    regulation_share: float,
    dt_h: float,
    segments: Segments | None = None,
) -> np.ndarray:
    """Battery throughput cost [$], per interval, summed over the last axis (homes), or over
    each group of homes.

    Parameters
    ----------
    kappa_usd_per_kwh : numpy.ndarray
        (H,) throughput cost per kWh discharged [$/kWh].
    discharge_kw : numpy.ndarray
        (..., H) discharge, AC side [kW].
    regulation_kw : numpy.ndarray or float
        (..., H) regulation up plus down awards held in the interval [kW].
    regulation_share : float
        Share of the regulation energy charged as throughput [1]
        (:attr:`vppsim.fleet.dispatch_spec.DispatchSettings.regulation_throughput_share`).
    dt_h : float
        Interval [h].
    segments : vppsim.env.simulator.Segments, optional
        Groups of the homes (one interval: ``discharge_kw`` (H,)), for the cost of each
        group (the sub-environments of a vector environment).

    Returns
    -------
    numpy.ndarray
        (...,) cost [$], >= 0; with ``segments``, (groups,).
    """
    energy = (np.asarray(discharge_kw) + regulation_share * np.asarray(regulation_kw)) * dt_h
    if segments is None:
        return energy @ np.asarray(kappa_usd_per_kwh)
    return segments.sums(energy * kappa_usd_per_kwh)


def shortfall(
    award_kw: np.ndarray,
    power_kw: np.ndarray,
    energy_kwh: np.ndarray,
    durations_h: np.ndarray,
) -> np.ndarray:
    """Share of each AS award the fleet could not deliver [1].

    The up products (:data:`~vppsim.fleet.dispatch_spec.UP`) draw on the upward headroom, the
    down ones on the downward. A direction's awards are backed when their power fits the
    headroom and their energy over the products' durations (CAISO tariff section 8.4:
    60 min for regulation, 30 min for reserves) fits the stored energy above the reserve
    (up) or the room below full (down), at the weakest of the states given; the missing part
    is spread over the direction's products pro rata.

    Parameters
    ----------
    award_kw : numpy.ndarray
        (..., 4) awards in :data:`~vppsim.fleet.dispatch_spec.PRODUCTS` order [kW].
    power_kw : numpy.ndarray
        (..., 2) headroom up and down [kW].
    energy_kwh : numpy.ndarray
        (..., 2) deliverable energy up (above the reserve, grid side) and down (room below
        full, grid side) [kWh].
    durations_h : numpy.ndarray
        (4,) energy duration of each product [h].

    Returns
    -------
    numpy.ndarray
        (..., 4) shares in [0, 1].
    """
    award = np.asarray(award_kw, dtype=float)
    out = np.zeros_like(award)
    if not award.any():
        return out
    for side, products in enumerate((UP, ~UP)):
        asked = award[..., products].sum(axis=-1)
        needed = (award[..., products] * durations_h[products]).sum(axis=-1)
        with np.errstate(divide="ignore", invalid="ignore"):
            served = np.minimum(
                np.where(asked > 0, power_kw[..., side] / asked, 1.0),
                np.where(needed > 0, energy_kwh[..., side] / needed, 1.0),
            )
        out[..., products] = np.clip(1.0 - served, 0.0, 1.0)[..., None]
    return out


def settle(
    dt_h: float,
    da_lmp: np.ndarray,
    fmm_lmp: np.ndarray,
    da_award_kw: np.ndarray,
    meter_kw: np.ndarray,
    as_price: np.ndarray,
    as_award_kw: np.ndarray,
    as_short: np.ndarray,
    degradation_usd: np.ndarray,
    rules: SettlementRules,
) -> dict[str, np.ndarray]:
    """The settlement lines of an aggregation (module docstring), per interval.

    Parameters
    ----------
    dt_h : float
        Interval [h].
    da_lmp, fmm_lmp : numpy.ndarray
        (T,) day-ahead and FMM LMP [$/MWh].
    da_award_kw, meter_kw : numpy.ndarray
        (T,) day-ahead energy award and metered flow of the aggregation, export positive [kW].
    as_price : numpy.ndarray
        (T, 4) AS capacity prices of each interval's hour [$/MW-h].
    as_award_kw : numpy.ndarray
        (T, 4) AS awards held in each interval [kW].
    as_short : numpy.ndarray
        (T, 4) undelivered share of each award (:func:`shortfall`) [1].
    degradation_usd : numpy.ndarray
        (T,) throughput cost (:func:`throughput_cost`) [$].
    rules : SettlementRules

    Returns
    -------
    dict of str to numpy.ndarray
        (T,) per line of :data:`LINES` and ``net`` [$].
    """
    per_kw = dt_h / 1000.0
    award = np.asarray(da_award_kw, dtype=float)
    payment = np.asarray(as_price) * np.asarray(as_award_kw)
    rescinded = (payment * np.asarray(as_short)).sum(axis=-1) * per_kw
    lines = {
        "da_energy": award * da_lmp * per_kw,
        "rt_imbalance": (np.asarray(meter_kw) - award) * fmm_lmp * per_kw,
        "as_capacity": payment.sum(axis=-1) * per_kw,
        "no_pay": -rescinded,
        "penalty": -rules.penalty_multiple * rescinded,
        "degradation": -np.asarray(degradation_usd, dtype=float),
    }
    lines["net"] = sum(lines[name] for name in LINES)
    return lines


def per_day(lines: dict[str, np.ndarray], day: np.ndarray) -> dict[str, np.ndarray]:
    """Sum interval lines into trading days.

    Parameters
    ----------
    lines : dict of str to numpy.ndarray
        (T,) per line (:func:`settle`).
    day : numpy.ndarray
        (T,) index of each interval's trading day (0, 1, ...).

    Returns
    -------
    dict of str to numpy.ndarray
        (days,) per line [$].
    """
    days = int(np.max(day)) + 1 if len(day) else 0
    return {name: np.bincount(day, values, minlength=days) for name, values in lines.items()}
