"""Bidding mode of ``vppsim/VPP-v0``: a step is one trading day's day-ahead bids.

Per step the agent submits, for the next trading day, hourly energy bids (a quantity
[kW], export positive, at a price [$/MWh]) and AS capacity offers (a quantity [kW] and a
price [$/MW-h] per product of :data:`~vppsim.fleet.dispatch_spec.PRODUCTS`). They are cleared
as a price-taker against that day's day-ahead prices (:func:`clear`), and a default
controller (:func:`track_awards`) dispatches the fleet in real time, interval by interval,
through :class:`vppsim.env.gym.VppEnv`, until the next day's bid deadline.

Timeline (CAISO, *BPM for Market Operations*, section 2): bids for trading day ``d`` close
at 10:00 on day ``d - 1``; the observation of a step is the dispatch mode's at that
deadline (the first step's is the period's start: the data hold nothing before it). The
step then runs the fleet from the deadline to the next one (the last step to the period's
end), under the awards of each interval's own day. Bid limits are CAISO's: energy bids
between -$150 and $1,000/MWh, AS offers up to $250/MW-h (CAISO, *Fifth Replacement Electronic
Tariff*, section 39.6.1 "Maximum Bid Prices" and its bid floor; stated
from the tariff, not checked against its current version here).

Simplified: one price-quantity pair per hour and product (no multi-segment curves), awarded
whole where in the money; no residual unit commitment, no market power mitigation; the
default controller reserves the awards' power headroom but not their energy (a shortfall is
no-pay, :mod:`vppsim.env.settlement`).
"""

from __future__ import annotations

from typing import Any, ClassVar

import gymnasium
import numpy as np
from gymnasium import spaces

from vppsim.env.gym import EnvData, VppEnv
from vppsim.env.settlement import LINES
from vppsim.env.simulator import Fleet
from vppsim.fleet.dispatch_spec import PRODUCTS, UP

ENERGY_BID_FLOOR = -150.0
"""Lowest energy bid [$/MWh] (CAISO tariff section 39.6.1, "Maximum Bid Prices")."""
ENERGY_BID_CAP = 1000.0
"""Highest energy bid [$/MWh]: the soft cap (CAISO tariff section 39.6.1; FERC Order 831)."""
AS_BID_CAP = 250.0
"""Highest AS capacity offer [$/MW-h] (CAISO tariff section 39.6.1)."""
BID_DEADLINE_HOUR = 10
"""Local hour of day ``d - 1`` at which day ``d``'s day-ahead bids close (CAISO)."""
MAX_BID_KW = 1e6
"""Largest bid quantity the action space admits [kW]."""


def clear(
    energy_kw: np.ndarray,
    energy_price: np.ndarray,
    as_kw: np.ndarray,
    as_price: np.ndarray,
    da_lmp: np.ndarray,
    da_as_price: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Price-taker clearing of one day's bids.

    Parameters
    ----------
    energy_kw, energy_price : numpy.ndarray
        (24,) bid quantities (export positive) [kW] and prices [$/MWh].
    as_kw, as_price : numpy.ndarray
        (24, 4) AS offers [kW] and prices [$/MW-h].
    da_lmp, da_as_price : numpy.ndarray
        (24,) and (24, 4) the day's day-ahead prices.

    Returns
    -------
    energy_award, as_award : numpy.ndarray
        (24,) and (24, 4) [kW]: a sale is awarded where its price is at or below the LMP, a
        purchase (negative quantity) where its price is at or above it, an AS offer where
        its price is at or below the AS price; each whole.
    """
    energy_kw = np.asarray(energy_kw, dtype=float)
    sell = (energy_kw > 0) & (energy_price <= da_lmp)
    buy = (energy_kw < 0) & (energy_price >= da_lmp)
    energy = np.where(sell | buy, energy_kw, 0.0)
    awards = np.where(np.asarray(as_price) <= da_as_price, np.asarray(as_kw, dtype=float), 0.0)
    return energy, awards


def track_awards(
    fleet: Fleet, k: int, energy_kw: float, as_kw: np.ndarray, last_load_kw: np.ndarray
) -> np.ndarray:
    """The default real-time controller's action (H, 4) for interval ``k``.

    The batteries move the fleet's meter toward the day-ahead energy award: the meter
    estimated from the interval's PV and non-flexible load (telemetry at the interval's
    start) less the EV and AC power of the interval before (``last_load_kw`` (H,)), the gap
    shared by the batteries in proportion to their power left after the AS awards' headroom
    (each home reserves the fleet's up and down awards pro rata to its discharge and charge
    ratings). EV and AC ask nothing: the simulator's guards charge each car just in time and
    cool to the band's upper edge.
    """
    action = np.zeros((fleet.homes, 4))
    if fleet.batteries is None:
        return action
    rows, b = fleet.battery_rows, fleet.batteries
    estimate = fleet.pv_kw[k] - fleet.base_kw[k] - last_load_kw
    gap = energy_kw - float(estimate.sum())  # + discharge needed
    up, down = as_kw[UP].sum(), as_kw[~UP].sum()
    spare_d = np.maximum(b.discharge_kw - up * b.discharge_kw / max(b.discharge_kw.sum(), 1e-9), 0)
    spare_c = np.maximum(b.charge_kw - down * b.charge_kw / max(b.charge_kw.sum(), 1e-9), 0)
    if gap > 0 and spare_d.sum() > 0:
        share = min(gap / spare_d.sum(), 1.0) * spare_d / np.maximum(b.discharge_kw, 1e-9)
        action[rows, 0] = -share
    elif gap < 0 and spare_c.sum() > 0:
        share = min(-gap / spare_c.sum(), 1.0) * spare_c / np.maximum(b.charge_kw, 1e-9)
        action[rows, 0] = share
    return action


class BiddingEnv(gymnasium.Env):
    """Bidding mode (module docstring): ``reset`` observes at the first day's deadline,
    each ``step`` bids one trading day and runs the fleet to the next deadline.

    Parameters
    ----------
    data : str, Path or EnvData, optional
        As :class:`vppsim.env.gym.VppEnv`.
    **kwargs
        Passed to :class:`vppsim.env.gym.VppEnv`.

    Spaces
    ------
    Action: a ``Dict`` of ``energy_kw`` (24,) [-1e6, 1e6] kW, ``energy_price`` (24,) within
    CAISO's energy bid limits [$/MWh], ``as_kw`` (24, 4) [0, 1e6] kW and ``as_price`` (24, 4)
    [0, 250] $/MW-h. Observation: the dispatch mode's plus ``trading_day`` (1,), the index of
    the day being bid.
    """

    metadata: ClassVar[dict[str, Any]] = {"render_modes": []}

    def __init__(self, data: str | EnvData | None = None, **kwargs: Any):
        self.inner = VppEnv(data, **kwargs)
        hours, products = 24, len(PRODUCTS)
        self.action_space = spaces.Dict(
            {
                "energy_kw": spaces.Box(-MAX_BID_KW, MAX_BID_KW, (hours,), np.float64),
                "energy_price": spaces.Box(ENERGY_BID_FLOOR, ENERGY_BID_CAP, (hours,), np.float64),
                "as_kw": spaces.Box(0.0, MAX_BID_KW, (hours, products), np.float64),
                "as_price": spaces.Box(0.0, AS_BID_CAP, (hours, products), np.float64),
            }
        )
        observed = dict(self.inner.observation_space.spaces)
        observed["trading_day"] = spaces.Box(0.0, 1e6, (1,), np.float64)
        self.observation_space = spaces.Dict(observed)
        inner = self.inner
        local_hour = inner.local_hour
        # Each day's bid deadline: the first interval at 10:00 local of the day before
        # (the period's start for the first day).
        self._deadline = np.full(inner.days + 1, inner.data.fleet.n)
        self._deadline[0] = 0
        for day in range(1, inner.days):
            at = np.flatnonzero((inner.day_index == day - 1) & (local_hour >= BID_DEADLINE_HOUR))
            self._deadline[day] = at[0] if at.size else inner.data.fleet.n

    def _observe(self) -> dict[str, np.ndarray]:
        out = self.inner.observe()
        inner = self.inner
        today = inner.day_index[min(inner.sim.k, inner.data.fleet.n - 1)]
        slot = self.day - today
        if 0 <= slot < 2:
            # The day being bid has no published prices at its deadline (10:00 the day
            # before, 13:00 publication), the first day's included: the period starts after
            # its deadline, so its prices must not show at the period's start either.
            out["da_lmp"][slot] = 0.0
            out["as_price"][slot] = 0.0
            out["da_published"][slot] = 0.0
        out["trading_day"] = np.array([float(self.day)])
        return out

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        super().reset(seed=seed)
        _, info = self.inner.reset(seed=seed, options=options)
        self.day = 0
        return self._observe(), info

    def step(
        self, action: dict[str, np.ndarray]
    ) -> tuple[dict[str, np.ndarray], float, bool, bool, dict[str, Any]]:
        inner, day = self.inner, self.day
        fleet = inner.data.fleet
        energy, awards = clear(
            np.asarray(action["energy_kw"], dtype=float),
            np.asarray(action["energy_price"], dtype=float),
            np.asarray(action["as_kw"], dtype=float),
            np.asarray(action["as_price"], dtype=float),
            inner.da_hourly[day],
            inner.as_hourly[day],
        )
        inner.award(day, energy, awards)
        lines = dict.fromkeys((*LINES, "net"), 0.0)
        reward, comfort, terminal, info = 0.0, 0.0, 0.0, {}
        last_load = np.zeros(fleet.homes)
        end = self._deadline[day + 1]
        terminated = False
        while inner.sim.k < end:
            k = inner.sim.k
            act = track_awards(fleet, k, inner.da_award_kw[k], inner.as_award_kw[k], last_load)
            _, r, terminated, _, info = inner.step(act)
            last_load = inner.sim.last.ev_kw + inner.sim.last.ac_kw
            reward += r
            comfort += info["comfort_usd"]
            terminal += info["terminal_value_usd"]
            for name, value in info["settlement"].items():
                lines[name] += value
        self.day = day + 1
        info.update(
            settlement=lines,
            comfort_usd=comfort,
            terminal_value_usd=terminal,
            trading_day=day,
            energy_award_kw=energy.tolist(),
            as_award_kw=awards.tolist(),
        )
        return self._observe(), float(reward), bool(terminated), False, info
