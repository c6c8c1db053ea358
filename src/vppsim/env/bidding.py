"""Bidding mode of ``vppsim/VPP-v0``: a step is one trading day's day-ahead bids.

Per step the agent submits, for the next trading day, hourly energy bids (a quantity
[kW], export positive, at a price [$/MWh]) and AS capacity offers (a quantity [kW] and a
price [$/MW-h] per product of :data:`~vppsim.fleet.dispatch_spec.PRODUCTS`). They are cleared
as a price-taker against that day's day-ahead prices (:func:`clear`), and a default
controller (:func:`track_awards`) dispatches the fleet in real time, interval by interval,
through :class:`vppsim.env.gym.VppEnv`, until the next day's bid deadline.

Timeline (CAISO, :mod:`vppsim.env.gym`): bids for trading day ``d`` close at 10:00 on day
``d - 1``, results at 13:00; the observation of a step is the dispatch mode's at that
deadline (the first step's is the period's start: the data hold nothing before it). The
step then runs the fleet from the deadline to the next one (the last step to the period's
end), under the awards of each interval's own day. Bid limits are CAISO's: energy bids
between -$150 and $1,000/MWh, AS offers up to $250/MW-h (CAISO, *Fifth Replacement Electronic
Tariff*, section 39.6.1 "Maximum Bid Prices"; the $1,000/MWh soft cap, with a $2,000/MWh hard
cap for cost-verified bids, since trade date 20 March 2021, CAISO notice "FERC Order 831
compliance", https://www.caiso.com/Documents/FERCOrder831ComplianceInitiativeDeploymentEffective-TradeDate032021.html;
the -$150 floor and the $250 AS cap are stated from memory, not checked against the tariff).

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


NO_PAY_EVENT_USD = 1e-6
"""A no-pay line below minus this in an interval counts as a no-pay event [$] (the
shortfall of an exactly backed award is rounding)."""


def bid_space() -> spaces.Dict:
    """One trading day's bids (:class:`BiddingEnv`'s action space, and what an agent's
    ``bid`` hook returns in dispatch mode, :func:`vppsim.env.score.score`)."""
    hours, products = 24, len(PRODUCTS)
    return spaces.Dict(
        {
            "energy_kw": spaces.Box(-MAX_BID_KW, MAX_BID_KW, (hours,), np.float64),
            "energy_price": spaces.Box(ENERGY_BID_FLOOR, ENERGY_BID_CAP, (hours,), np.float64),
            "as_kw": spaces.Box(0.0, MAX_BID_KW, (hours, products), np.float64),
            "as_price": spaces.Box(0.0, AS_BID_CAP, (hours, products), np.float64),
        }
    )


def self_schedule(energy_kw: np.ndarray, as_kw: np.ndarray) -> dict[str, np.ndarray]:
    """Price-taking bids of a position: ``energy_kw`` (24,) [kW, export positive] sold at
    the bid floor and bought at the cap, ``as_kw`` (24, 4) [kW] offered at $0/MW-h, so
    :func:`clear` awards them whole at any day-ahead price within CAISO's limits."""
    energy_kw = np.asarray(energy_kw, dtype=float)
    return {
        "energy_kw": energy_kw,
        "energy_price": np.where(energy_kw > 0, ENERGY_BID_FLOOR, ENERGY_BID_CAP),
        "as_kw": np.asarray(as_kw, dtype=float),
        "as_price": np.zeros((24, len(PRODUCTS))),
    }


def deadlines(env: VppEnv) -> np.ndarray:
    """(days + 1,) the step at which each trading day's bids close: the first interval at
    or after 10:00 local of the day before (the period's start for the first day; the
    period's end for the day after the last)."""
    out = np.full(env.days + 1, env.data.fleet.n)
    out[0] = 0
    for day in range(1, env.days):
        at = np.flatnonzero((env.day_index == day - 1) & (env.local_hour >= BID_DEADLINE_HOUR))
        out[day] = at[0] if at.size else env.data.fleet.n
    return out


def bid_observation(env: VppEnv, day: int) -> dict[str, np.ndarray]:
    """The observation at trading day ``day``'s deadline: ``env``'s, with ``trading_day``
    and without the day's own day-ahead prices."""
    out = env.observe()
    today = env.day_index[min(env.sim.k, env.data.fleet.n - 1)]
    slot = day - today
    if 0 <= slot < 2:
        # The day being bid has no published prices at its deadline (10:00 the day before,
        # 13:00 publication), the first day's included: the period starts after its
        # deadline, so its prices must not show at the period's start either.
        out["da_lmp"][slot] = 0.0
        out["as_price"][slot] = 0.0
        out["da_published"][slot] = 0.0
    out["trading_day"] = np.array([float(day)])
    return out


def submit(env: VppEnv, day: int, bid: dict[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    """Clear trading day ``day``'s ``bid`` (:func:`bid_space`) against its day-ahead prices
    and hold the awards in ``env`` (:meth:`VppEnv.award`); the (24,) energy and (24, 4) AS
    awards [kW]."""
    energy, awards = clear(
        np.asarray(bid["energy_kw"], dtype=float),
        np.asarray(bid["energy_price"], dtype=float),
        np.asarray(bid["as_kw"], dtype=float),
        np.asarray(bid["as_price"], dtype=float),
        env.da_hourly[day],
        env.as_hourly[day],
    )
    env.award(day, energy, awards)
    return energy, awards


def day_hours(env: VppEnv, day: int, values: np.ndarray) -> np.ndarray:
    """(24, ...) the mean over each local hour of trading day ``day`` of per-interval
    ``values`` (T, ...) (0 for an hour the day lacks)."""
    steps = np.flatnonzero(env.day_index == day)
    hours = env.local_hour[steps]
    total = np.zeros((24, *values.shape[1:]))
    np.add.at(total, hours, values[steps])
    count = np.bincount(hours, minlength=24).reshape(24, *([1] * (values.ndim - 1)))
    return total / np.maximum(count, 1)


TALLY = ("comfort_kh", "ev_unmet_kwh", "no_pay_events", "discharged_kwh", "clipped")
"""The counts of :func:`interval_tally`."""


def interval_tally(info: dict[str, Any], env: VppEnv) -> dict[str, Any]:
    """What one dispatch-mode step adds to an episode's counts: ``comfort_kh`` [K h],
    ``ev_unmet_kwh`` [kWh], ``no_pay_events`` (1 where the step's no-pay line is below
    -:data:`NO_PAY_EVENT_USD`), ``discharged_kwh`` (the batteries', AC side) and ``clipped``
    (the guards' clips by kind)."""
    return {
        "comfort_kh": info["comfort_kh"],
        "ev_unmet_kwh": info["ev_unmet_kwh"],
        "no_pay_events": int(info["settlement"]["no_pay"] < -NO_PAY_EVENT_USD),
        "discharged_kwh": float(env.sim.last.discharge_kw.sum()) * env.data.fleet.dt_h,
        "clipped": dict(info["clipped"]),
    }


def add_tally(total: dict[str, Any], part: dict[str, Any]) -> None:
    """Add an :func:`interval_tally` (or a sum of them) into ``total``, in place."""
    for name, value in part.items():
        if name == "clipped":
            clips = total.setdefault("clipped", {})
            for kind, count in value.items():
                clips[kind] = clips.get(kind, 0) + count
        else:
            total[name] = total.get(name, 0) + value


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

    A step's ``info`` is its last interval's, with the step's sums of the settlement lines,
    ``comfort_usd``, ``terminal_value_usd`` and of :func:`interval_tally` (``comfort_kh``,
    ``ev_unmet_kwh``, ``no_pay_events``, ``discharged_kwh``, ``clipped``), and the day's
    ``energy_award_kw`` and ``as_award_kw``.
    """

    metadata: ClassVar[dict[str, Any]] = {"render_modes": []}

    def __init__(self, data: str | EnvData | None = None, **kwargs: Any):
        self.inner = VppEnv(data, **kwargs)
        self.action_space = bid_space()
        observed = dict(self.inner.observation_space.spaces)
        observed["trading_day"] = spaces.Box(0.0, 1e6, (1,), np.float64)
        self.observation_space = spaces.Dict(observed)
        self._deadline = deadlines(self.inner)

    def _observe(self) -> dict[str, np.ndarray]:
        return bid_observation(self.inner, self.day)

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
        energy, awards = submit(inner, day, action)
        lines = dict.fromkeys((*LINES, "net"), 0.0)
        counts: dict[str, Any] = {}
        reward, comfort, terminal, info = 0.0, 0.0, 0.0, {}
        last = inner.sim.last  # the interval before the deadline (None at the start)
        last_load = np.zeros(fleet.homes) if last is None else last.ev_kw + last.ac_kw
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
            add_tally(counts, interval_tally(info, inner))
        self.day = day + 1
        info.update(
            counts,
            settlement=lines,
            comfort_usd=comfort,
            terminal_value_usd=terminal,
            trading_day=day,
            energy_award_kw=energy.tolist(),
            as_award_kw=awards.tolist(),
        )
        return self._observe(), float(reward), bool(terminated), False, info
