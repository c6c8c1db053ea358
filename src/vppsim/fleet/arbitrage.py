"""Perfect-foresight energy arbitrage of one battery on a price series.

The measuring instrument of issue 11 ("what a VPP cares about"): the most a battery could have
earned buying and selling at the given prices, knowing them all in advance, energy only.

Three solvers of the same problem, written independently of each other:

* :func:`arbitrage`, a linear programme passed to HiGHS through ``highspy`` (its own API:
  the sparse constraint matrix built directly, no modelling layer), on per-interval AC charge
  and discharge energies and the stored energy;
* :func:`arbitrage_dual`, its dual LP, on the value of stored energy over time (the "water
  value"), solved separately through :func:`scipy.optimize.linprog`: by strong duality the
  same optimum;
* :func:`arbitrage_dp`, an exact dynamic programme over a grid of stored energies. Restricting
  the stored energy to a grid can only lose revenue, so it bounds the LP's optimum from below
  and converges to it as the grid is refined.

Simultaneous charge and discharge
---------------------------------
The LP does not forbid charging and discharging in the same interval (that needs integers).
Doing both at once while keeping the stored energy fixed buys ``1 / (eta_c eta_d) - 1`` extra
kWh per kWh discharged: worth ``-price * (1 / (eta_c eta_d) - 1)`` and costs the throughput
cost ``kappa``. It never pays unless the price is below :func:`waste_price`
(``-kappa eta_c eta_d / (1 - eta_c eta_d)``, -$180/MWh for the reference battery), so at higher
prices an optimum with both can be netted (:func:`_net`) to one without at no loss. Below that
price the LP forbids discharging (exporting there costs more than the waste price's
magnitude); the DP, which never does both, may still discharge, so the two solve the same
problem only when no price is that low (the 2022 Alamitos minimum is -$36/MWh; issue 11
puts CAISO's oversupply floor at about -$150/MWh).
"""

from __future__ import annotations

import os
import sys
import warnings
from dataclasses import dataclass
from typing import Literal

import highspy
import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.optimize import linprog

from vppsim.calendar import CAISO_TIMEZONE as TIMEZONE
from vppsim.calendar import local_calendar
from vppsim.fleet.battery import BatteryParameters

Horizon = Literal["month", "day"]
MONTH_PASS = (0.6, 1.6)
"""Issue 11: synthetic over real revenue of each month must fall in this range [1]."""
YEAR_PASS = (0.8, 1.25)
"""Issue 11: synthetic over real revenue over the year must fall in this range [1]."""


@dataclass(frozen=True, eq=False)
class ArbitrageResult:
    """One battery's optimal schedule and what it earns.

    Attributes
    ----------
    schedule : pandas.DataFrame
        Per interval (the prices' index): ``price`` [$/MWh], ``charge_kw``, ``discharge_kw``
        (AC) [kW] and ``soc_kwh`` (stored energy at the interval end) [kWh].
    energy_revenue : float
        Sales minus purchases [$].
    throughput_cost : float
        Degradation cost of the energy discharged [$].
    discharged_kwh : float
        AC energy discharged [kWh].
    objective : float
        The solver's own optimum, ``energy_revenue - throughput_cost`` [$] as it computed it.
    """

    schedule: pd.DataFrame
    energy_revenue: float
    throughput_cost: float
    discharged_kwh: float
    objective: float

    @property
    def revenue(self) -> float:
        """Net revenue, energy revenue minus throughput cost [$]."""
        return self.energy_revenue - self.throughput_cost


def waste_price(battery: BatteryParameters) -> float:
    """The price below which charging and discharging at once would pay [$/MWh] (-inf for a
    lossless battery)."""
    loss = 1.0 - battery.round_trip_efficiency
    if loss <= 0.0:
        return -np.inf
    return -1000.0 * battery.throughput_cost_usd_per_kwh * battery.round_trip_efficiency / loss


def interval_hours(index: pd.DatetimeIndex) -> float:
    """The grid's interval [h]; the grid must be regular and timezone-aware."""
    if index.tz is None:
        raise ValueError("prices must be indexed by timezone-aware interval starts")
    if len(index) < 2:
        raise ValueError("prices need at least two intervals")
    steps = np.diff(index.as_unit("ns").asi8)  # Parquet reads back microseconds
    if np.any(steps != steps[0]) or steps[0] <= 0:
        raise ValueError("prices must be on a regular, increasing grid")
    return float(steps[0]) / 3.6e12


def _horizon_starts(index: pd.DatetimeIndex, horizon: Horizon, timezone: str) -> np.ndarray:
    """Boolean: the interval opens a new horizon (a new local month or day)."""
    cal = local_calendar(index, timezone)
    if horizon == "month":
        label = cal.year * 12 + cal.month
    elif horizon == "day":
        label = cal.day
    else:
        raise ValueError(f"horizon must be 'month' or 'day', not {horizon!r}")
    first = np.ones(len(index), dtype=bool)
    first[1:] = label[1:] != label[:-1]
    return first


def _result(
    index: pd.DatetimeIndex,
    price: np.ndarray,
    charge: np.ndarray,
    discharge: np.ndarray,
    soc: np.ndarray,
    dt_h: float,
    battery: BatteryParameters,
    objective: float,
) -> ArbitrageResult:
    """Revenue recomputed from the schedule (energies [kWh] per interval)."""
    per_kwh = price / 1000.0
    schedule = pd.DataFrame(
        {
            "price": price,
            "charge_kw": charge / dt_h,
            "discharge_kw": discharge / dt_h,
            "soc_kwh": soc,
        },
        index=index,
    )
    return ArbitrageResult(
        schedule=schedule,
        energy_revenue=float(np.sum(per_kwh * (discharge - charge))),
        throughput_cost=float(battery.throughput_cost_usd_per_kwh * np.sum(discharge)),
        discharged_kwh=float(np.sum(discharge)),
        objective=float(objective),
    )


def _net(
    charge: np.ndarray, discharge: np.ndarray, battery: BatteryParameters
) -> tuple[np.ndarray, np.ndarray]:
    """Net simultaneous charge and discharge energies [kWh] into one of them, keeping the
    stored energy's change (never loses revenue above :func:`waste_price`)."""
    eta_c, eta_d = battery.charge_efficiency, battery.discharge_efficiency
    stored = eta_c * charge - discharge / eta_d
    up = stored >= 0.0
    return np.where(up, stored / eta_c, 0.0), np.where(up, 0.0, -stored * eta_d)


@dataclass(frozen=True, eq=False)
class _Problem:
    """The data of the arbitrage LP on a price series (energies per interval [kWh])."""

    index: pd.DatetimeIndex
    dt_h: float
    price: np.ndarray  # [$/MWh]
    starts: np.ndarray  # bool: the interval opens a horizon
    keep: float  # share of the stored energy kept over one interval (standby loss) [1]
    initial: float  # stored energy at each horizon start [kWh]
    c_max: float  # [kWh]
    d_max: np.ndarray  # [kWh], 0 below the waste price
    s_low: np.ndarray  # [kWh], the final bound at each horizon end
    s_high: float  # [kWh]

    @property
    def n(self) -> int:
        return self.price.size

    @property
    def per_kwh(self) -> np.ndarray:
        """Price [$/kWh]."""
        return self.price / 1000.0

    @property
    def b_eq(self) -> np.ndarray:
        """Right-hand side of the energy balances: the initial energy at horizon starts."""
        return np.where(self.starts, self.keep * self.initial, 0.0)


def _problem(
    prices: pd.Series, battery: BatteryParameters, horizon: Horizon, timezone: str
) -> _Problem:
    index = pd.DatetimeIndex(prices.index)
    dt_h = interval_hours(index)
    price = prices.to_numpy(dtype=float)
    if not np.all(np.isfinite(price)):
        raise ValueError("prices must be finite")
    floor = waste_price(battery)
    if price.min() < floor:
        # Below the waste price the LP forbids discharging: a restriction, not the relaxed
        # optimum, and not the optimum without simultaneous charge and discharge either.
        warnings.warn(
            f"{int(np.sum(price < floor))} prices below the waste price "
            f"({floor:.0f} $/MWh): discharging is forbidden there, so the optimum is a lower "
            "bound (see the module docstring)",
            stacklevel=3,
        )
    starts = _horizon_starts(index, horizon, timezone)
    ends = np.roll(starts, -1)
    ends[-1] = True
    capacity = battery.usable_energy_kwh
    return _Problem(
        index=index,
        dt_h=dt_h,
        price=price,
        starts=starts,
        keep=(1.0 - battery.standby_loss_per_h) ** dt_h,
        initial=battery.initial_soc * capacity,
        c_max=battery.charge_kw * dt_h,
        d_max=np.where(price < floor, 0.0, battery.discharge_kw * dt_h),
        s_low=np.where(ends, max(battery.final_soc, battery.min_soc), battery.min_soc) * capacity,
        s_high=capacity,
    )


def arbitrage(
    prices: pd.Series,
    battery: BatteryParameters,
    horizon: Horizon = "month",
    timezone: str = TIMEZONE,
) -> ArbitrageResult:
    """The perfect-foresight arbitrage optimum as a linear programme (HiGHS).

    Each horizon (local month or day) starts at ``initial_soc`` and must end at
    ``final_soc`` or above; horizons are independent blocks of one LP.

    Parameters
    ----------
    prices : pandas.Series
        Energy prices [$/MWh] on a regular, timezone-aware grid of interval starts.
    battery : BatteryParameters
    horizon : {"month", "day"}
        Foresight horizon.
    timezone : str
        Zone of the local months and days.

    Returns
    -------
    ArbitrageResult

    Notes
    -----
    Variables per interval ``t``: AC energy charged ``c_t`` and discharged ``d_t`` [kWh] and
    the energy stored at its end ``s_t`` [kWh]. Maximise
    ``sum_t p_t / 1000 (d_t - c_t) - kappa d_t`` subject to
    ``s_t = k s_{t-1} + eta_c c_t - d_t / eta_d`` (``k`` the standby retention over one
    interval, ``s_{-1}`` the initial energy at each horizon start), ``0 <= c_t <= P_c dt``,
    ``0 <= d_t <= P_d dt`` (0 where ``p_t`` is below :func:`waste_price`),
    ``min_soc E <= s_t <= E`` and ``s_t >= final_soc E`` at each horizon end.
    """
    lp = _problem(prices, battery, horizon, timezone)
    n = lp.n
    eta_c, eta_d = battery.charge_efficiency, battery.discharge_efficiency
    # Columns: c (0..n-1), d (n..2n-1), s (2n..3n-1); row t is the energy balance of t.
    rows = np.arange(n)
    previous = np.flatnonzero(~lp.starts)
    values = [
        np.full(n, -eta_c),
        np.full(n, 1.0 / eta_d),
        np.ones(n),
        np.full(previous.size, -lp.keep),
    ]
    a_eq = sp.csc_matrix(
        (
            np.concatenate(values),
            (
                np.concatenate([rows, rows, rows, previous]),
                np.concatenate([rows, n + rows, 2 * n + rows, 2 * n + previous - 1]),
            ),
        ),
        shape=(n, 3 * n),
    )
    cost = np.concatenate(
        [lp.per_kwh, battery.throughput_cost_usd_per_kwh - lp.per_kwh, np.zeros(n)]
    )
    bounds = np.column_stack(
        [
            np.concatenate([np.zeros(2 * n), lp.s_low]),
            np.concatenate([np.full(n, lp.c_max), lp.d_max, np.full(n, lp.s_high)]),
        ]
    )
    x, objective = _solve_highs(cost, a_eq, lp.b_eq, bounds)
    charge, discharge = _net(np.maximum(x[:n], 0.0), np.maximum(x[n : 2 * n], 0.0), battery)
    return _result(lp.index, lp.price, charge, discharge, x[2 * n :], lp.dt_h, battery, -objective)


def silent_highs() -> highspy.Highs:
    """A silent HiGHS instance. HiGHS prints its banner from C++ to the process's stdout when
    the first instance is made, before any option can be set; the banner would land in the
    middle of ``vppsim calibrate``'s tables, so stdout's descriptor is pointed at /dev/null
    while the instance is made."""
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 1)
            solver = highspy.Highs()
    finally:
        os.dup2(saved, 1)
        os.close(saved)
    solver.setOptionValue("output_flag", False)
    return solver


def _solve_highs(
    cost: np.ndarray, a_eq: sp.csc_matrix, b_eq: np.ndarray, bounds: np.ndarray
) -> tuple[np.ndarray, float]:
    """Minimise ``cost @ x`` subject to ``a_eq @ x == b_eq`` and column ``bounds`` with HiGHS;
    the solution and the objective."""
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = a_eq.shape[1], a_eq.shape[0]
    lp.col_cost_ = cost
    lp.col_lower_, lp.col_upper_ = bounds[:, 0], bounds[:, 1]
    lp.row_lower_ = lp.row_upper_ = b_eq
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = a_eq.indptr
    lp.a_matrix_.index_ = a_eq.indices
    lp.a_matrix_.value_ = a_eq.data
    solver = silent_highs()
    solver.passModel(lp)
    solver.run()
    status = solver.getModelStatus()
    if status != highspy.HighsModelStatus.kOptimal:
        raise RuntimeError(f"arbitrage LP failed: {solver.modelStatusToString(status)}")
    return np.asarray(solver.getSolution().col_value), solver.getInfo().objective_function_value


def arbitrage_dual(
    prices: pd.Series,
    battery: BatteryParameters,
    horizon: Horizon = "month",
    timezone: str = TIMEZONE,
) -> tuple[float, pd.Series]:
    """The same optimum from the dual LP: the value of stored energy over time.

    By strong duality its optimum equals :func:`arbitrage`'s revenue; it is written out
    independently (no shared matrix), so a wrong coefficient in either shows as a gap.

    Parameters
    ----------
    prices : pandas.Series
        Energy prices [$/MWh] on a regular, timezone-aware grid.
    battery : BatteryParameters
    horizon : {"month", "day"}
    timezone : str

    Returns
    -------
    revenue : float
        The optimum net revenue [$].
    water_value : pandas.Series
        ``-mu_t``, the marginal value of one more kWh stored at the end of each interval
        [$/kWh].

    Notes
    -----
    With ``mu_t`` the multiplier of the energy balance of interval ``t`` and ``pi_t`` the price
    [$/kWh], minimise ``-(b . mu) + C sum(bc) + sum(D_t bd_t) - sum(L_t as_t) + U sum(bs_t)``
    over free ``mu`` and non-negative ``bc, bd, as, bs`` (the multipliers of the upper and
    lower bounds) subject to ``-eta_c mu_t - bc_t <= pi_t`` (charging), ``mu_t / eta_d - bd_t
    <= kappa - pi_t`` (discharging) and ``mu_t - k mu_{t+1} + as_t - bs_t = 0`` (storage,
    ``mu_{t+1}`` within the same horizon only).
    """
    lp = _problem(prices, battery, horizon, timezone)
    n = lp.n
    eta_c, eta_d = battery.charge_efficiency, battery.discharge_efficiency
    kappa = battery.throughput_cost_usd_per_kwh
    eye = sp.identity(n, format="csc")
    zero = sp.csc_matrix((n, n))
    # Columns: mu, bc, bd, as, bs (n each).
    a_ub = sp.bmat(
        [[-eta_c * eye, -eye, zero, zero, zero], [eye / eta_d, zero, -eye, zero, zero]],
        format="csc",
    )
    b_ub = np.concatenate([lp.per_kwh, kappa - lp.per_kwh])
    same_horizon = np.concatenate([~lp.starts[1:], [False]]).astype(float)
    successor = sp.diags(-lp.keep * same_horizon[:-1], 1, shape=(n, n), format="csc")
    a_eq = sp.bmat([[eye + successor, zero, zero, eye, -eye]], format="csc")
    cost = np.concatenate(
        [-lp.b_eq, np.full(n, lp.c_max), lp.d_max, -lp.s_low, np.full(n, lp.s_high)]
    )
    bounds = [(None, None)] * n + [(0.0, None)] * (4 * n)
    solution = linprog(
        cost, A_ub=a_ub, b_ub=b_ub, A_eq=a_eq, b_eq=np.zeros(n), bounds=bounds, method="highs"
    )
    if solution.status != 0:
        raise RuntimeError(f"arbitrage dual LP failed: {solution.message}")
    water = pd.Series(-solution.x[:n], index=lp.index, name="water_value")
    return float(solution.fun), water


def arbitrage_dp(
    prices: pd.Series,
    battery: BatteryParameters,
    horizon: Horizon = "month",
    timezone: str = TIMEZONE,
    energy_step_kwh: float = 0.05,
) -> ArbitrageResult:
    """The same optimum by dynamic programming over a grid of stored energies.

    Backward induction over the intervals of each horizon: the value of each stored energy on
    the grid is the best reward of a move to another grid energy within the power limits plus
    the next interval's value. A move fixes the charge or discharge exactly (never both), so
    this is the problem without simultaneous charge and discharge, restricted to the grid: its
    optimum is a lower bound of the continuous one.

    Parameters
    ----------
    prices : pandas.Series
        Energy prices [$/MWh] on a regular, timezone-aware grid.
    battery : BatteryParameters
    horizon : {"month", "day"}
    timezone : str
    energy_step_kwh : float
        Grid step [kWh]; rounded so that the grid spans ``min_soc E .. E`` exactly. The
        initial energy is snapped to the nearest grid point, the final bound up to the next.

    Returns
    -------
    ArbitrageResult
    """
    index = pd.DatetimeIndex(prices.index)
    dt_h = interval_hours(index)
    price = prices.to_numpy(dtype=float)
    n = price.size
    starts = _horizon_starts(index, horizon, timezone)
    eta_c, eta_d = battery.charge_efficiency, battery.discharge_efficiency
    kappa = battery.throughput_cost_usd_per_kwh
    keep = (1.0 - battery.standby_loss_per_h) ** dt_h
    low, high = battery.min_energy_kwh, battery.usable_energy_kwh
    points = max(1, round((high - low) / energy_step_kwh))
    step_kwh = (high - low) / points
    energy = low + step_kwh * np.arange(points + 1)
    up_max = eta_c * battery.charge_kw * dt_h
    down_max = battery.discharge_kw * dt_h / eta_d
    band = int(np.ceil((max(up_max, down_max) + (1.0 - keep) * high) / step_kwh)) + 1
    moves = np.arange(-band, band + 1)

    # Stored-energy change of each (grid point, move) after the standby loss [kWh].
    target = np.arange(points + 1)[:, None] + moves[None, :]
    change = low + step_kwh * target - keep * energy[:, None]
    feasible = (
        (target >= 0)
        & (target <= points)
        & (change <= up_max + 1e-9)
        & (change >= -down_max - 1e-9)
    )
    imported = np.where(change >= 0, change / eta_c, change * eta_d)  # AC grid import [kWh]
    exported = np.where(change < 0, -change * eta_d, 0.0)  # AC discharge [kWh]
    forbid = np.where(feasible, 0.0, -np.inf)

    final_low = max(battery.final_soc, battery.min_soc) * high
    first = round((battery.initial_soc * high - low) / step_kwh)
    at_end = np.where(energy >= final_low - 1e-9, 0.0, -np.inf)
    policy = np.empty((n, points + 1), dtype=np.int16)
    value = at_end
    objective = 0.0
    for t in range(n - 1, -1, -1):
        if t == n - 1 or starts[t + 1]:
            value = at_end
        padded = np.concatenate([np.full(band, -np.inf), value, np.full(band, -np.inf)])
        windows = np.lib.stride_tricks.sliding_window_view(padded, 2 * band + 1)
        q = windows + forbid - (price[t] / 1000.0) * imported - kappa * exported
        policy[t] = np.argmax(q, axis=1)
        value = q[np.arange(points + 1), policy[t]]
        if starts[t]:
            objective += float(value[first])
    if not np.isfinite(objective):
        raise RuntimeError("the final state of charge cannot be reached on the energy grid")

    position = np.empty(n, dtype=np.int64)
    moved = np.empty(n)
    j = first
    for t in range(n):
        if starts[t]:
            j = first
        moved[t] = change[j, policy[t, j]]
        j = j + int(moves[policy[t, j]])
        position[t] = j
    charge = np.where(moved >= 0, moved / eta_c, 0.0)
    discharge = np.where(moved < 0, -moved * eta_d, 0.0)
    return _result(index, price, charge, discharge, energy[position], dt_h, battery, objective)


def revenue_by_month(
    result: ArbitrageResult, battery: BatteryParameters, timezone: str = TIMEZONE
) -> pd.DataFrame:
    """A result's revenue per local month (the columns of :func:`monthly_arbitrage`), e.g. of
    :func:`arbitrage_dp`'s schedule."""
    schedule = result.schedule
    dt_h = interval_hours(pd.DatetimeIndex(schedule.index))
    charge = schedule["charge_kw"].to_numpy() * dt_h
    discharge = schedule["discharge_kw"].to_numpy() * dt_h
    per_kwh = schedule["price"].to_numpy() / 1000.0
    local = pd.DatetimeIndex(schedule.index).tz_convert(timezone)
    frame = pd.DataFrame(
        {
            "energy revenue [$]": per_kwh * (discharge - charge),
            "throughput cost [$]": battery.throughput_cost_usd_per_kwh * discharge,
            "discharged [kWh]": discharge,
        },
        index=local.tz_localize(None).to_period("M"),
    )
    table = frame.groupby(level=0).sum()
    table.insert(2, "revenue [$]", table["energy revenue [$]"] - table["throughput cost [$]"])
    table.insert(3, "revenue [$/kW-month]", table["revenue [$]"] / battery.discharge_kw)
    table["cycles"] = table["discharged [kWh]"] / (
        battery.usable_energy_kwh * battery.discharge_efficiency
    )
    table.index.name = "month"
    return table


def monthly_arbitrage(
    prices: pd.Series, battery: BatteryParameters, timezone: str = TIMEZONE
) -> pd.DataFrame:
    """Perfect-foresight revenue per local month (each month its own horizon).

    Parameters
    ----------
    prices : pandas.Series
        Energy prices [$/MWh] on a regular, timezone-aware grid.
    battery : BatteryParameters
    timezone : str

    Returns
    -------
    pandas.DataFrame
        Indexed by local month (``Period``): ``energy revenue [$]``, ``throughput cost [$]``,
        ``revenue [$]`` (net), ``revenue [$/kW-month]`` (per kW of discharge power),
        ``discharged [kWh]`` and ``cycles`` (full discharges of the usable energy).
    """
    return revenue_by_month(arbitrage(prices, battery, "month", timezone), battery, timezone)


def arbitrage_ratio_table(
    real: pd.Series,
    synthetic: list[pd.Series],
    battery: BatteryParameters,
    timezone: str = TIMEZONE,
) -> pd.DataFrame:
    """Issue 11's arbitrage check: synthetic against real revenue, per month and the year.

    Months are matched by month of the year (a synthetic 2022 against real 2022, or any
    simulated year against a real one).

    Parameters
    ----------
    real : pandas.Series
        Real prices [$/MWh].
    synthetic : list of pandas.Series
        Realisations of the synthetic prices [$/MWh] on the same months.
    battery : BatteryParameters
    timezone : str

    Returns
    -------
    pandas.DataFrame
        Index month 1-12 and ``year``: ``real [$]``, ``synthetic [$]`` (mean over the
        realisations), ``ratio`` [1] and ``pass`` (:data:`MONTH_PASS` for a month,
        :data:`YEAR_PASS` for the year, sums over the months both have).
    """
    if not synthetic:
        raise ValueError("at least one synthetic realisation is needed")

    def by_month_of_year(prices: pd.Series) -> pd.Series:
        revenue = monthly_arbitrage(prices, battery, timezone)["revenue [$]"]
        return revenue.groupby(revenue.index.month).mean()

    real_rev = by_month_of_year(real)
    syn_rev = pd.concat([by_month_of_year(s) for s in synthetic], axis=1).mean(axis=1)
    months = real_rev.index.intersection(syn_rev.index)
    table = pd.DataFrame({"real [$]": real_rev[months], "synthetic [$]": syn_rev[months]})
    table["ratio"] = table["synthetic [$]"] / table["real [$]"]
    table["pass"] = table["ratio"].between(*MONTH_PASS)
    table.index = table.index.astype(object)
    year_real, year_syn = table["real [$]"].sum(), table["synthetic [$]"].sum()
    table.loc["year"] = [
        year_real,
        year_syn,
        year_syn / year_real,
        YEAR_PASS[0] <= year_syn / year_real <= YEAR_PASS[1],
    ]
    table["pass"] = table["pass"].astype(bool)
    table.index.name = "month"
    return table
