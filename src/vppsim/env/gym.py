"""``vppsim/VPP-v0``: a DER aggregation trading in CAISO's markets, as a Gymnasium environment.

Market participation (what is modelled, with the CAISO rules it follows)
------------------------------------------------------------------------
* The enrolled homes of a dataset form one DER aggregation behind one price node: CAISO's
  Distributed Energy Resource Provider model lets an aggregation of at least 100 kW bid as
  one resource, within one sub-LAP where it spans several pricing nodes (CAISO, *Fifth
  Replacement Electronic Tariff*, section 4.17 "Distributed Energy Resource Providers"; the
  minimum lowered from 500 kW to 100 kW in CAISO's Order 2222 compliance filing, FERC docket
  ER21-2455, https://ferc.gov/caiso-compliance-filing-order-no-2222-der-aggregations; the
  subsection of 4.17 was not checked against the tariff text). The environment reports the
  aggregation's battery power and whether it reaches 100 kW (``info["aggregation"]``) but
  does not refuse a smaller one (a small study stays usable for tests).
* Day-ahead: bids close at 10:00 the day before the trading day and results are published
  at 13:00 (CAISO, "Market processes", https://www.caiso.com/market/Pages/MarketProcesses.aspx:
  the market "closes the day before the trade date. Results are published at 1:00 p.m."; the
  10:00 close is the long-standing practice, not checked against the BPM's current text, nor
  against the Extended Day-Ahead Market live since May 2026).
  In dispatch mode the day-ahead position (hourly energy award, hourly AS awards) is given at
  :meth:`VppEnv.reset` (``options``; none by default) and the agent dispatches in real time.
  A trading day's day-ahead prices appear in the observation from 13:00 the day before.
* Real time: one step is a 15-minute FMM interval; the deviation of the aggregation's meter
  from its day-ahead award settles at the FMM LMP (tariff section 11.5). The FMM LMP of an
  interval is revealed at its end (in the observation of the next step).
* AS awards must be backed by headroom and stored energy over their duration (tariff
  sections 8.4.1.1(g), regulation 60 min in the day-ahead market, and 8.4.3, reserves 30 min);
  an interval's undelivered share is no-pay (tariff sections 8.10.8 and 11.10.9) plus the
  model's penalty (:mod:`vppsim.env.settlement`).

Simplified: a price-taker (no market power, no bid-cost recovery); no five-minute RTD
settlement (CAISO settles a meter's uninstructed deviation from its FMM schedule at the
five-minute price, tariff section 11.5.2; here the whole deviation from the day-ahead award
settles at the FMM LMP) and no uninstructed-deviation penalties; AS deployment energy not
settled (as in the LP, :mod:`vppsim.fleet.dispatch`). The bidding mode (a step per trading
day) is :class:`vppsim.env.bidding.BiddingEnv` (``gymnasium.make(ENV_ID, mode="bidding")``).

Reward
------
A step's reward (dispatch mode) is its settlement ``net`` less the comfort penalty of the
degree-hours outside the band (:class:`~vppsim.fleet.dispatch_spec.DispatchSettings`); the
last step adds the terminal value of the energy left stored
(:func:`vppsim.fleet.dispatch.terminal_value`). An episode's return is therefore the LP's
objective of :mod:`vppsim.fleet.dispatch` for the same schedule: without a day-ahead
energy position, the perfect-foresight LP (which may also choose the AS awards) bounds any
agent's return.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import gymnasium
import numpy as np
import pandas as pd
from gymnasium import spaces

from vppsim.env import settlement
from vppsim.env.simulator import (
    ACTION_HIGH,
    ACTION_LOW,
    DEVICE_ROWS,
    Fleet,
    FleetSimulator,
    FleetState,
    Segments,
    StepResult,
    headroom,
)
from vppsim.errors import ConfigError
from vppsim.fleet import run
from vppsim.fleet.dispatch import market_from_frame, terminal_value
from vppsim.fleet.dispatch_spec import PRODUCTS, REGULATION, DispatchSettings

STEP_MINUTES = 15
PRICE_WINDOW = 96
"""FMM LMPs of the past intervals in the observation (one day of 15 min)."""
FORECAST_WINDOW = 96
"""Intervals ahead of each issued forecast in the observation."""
DA_PUBLISHED_HOUR = 13
"""Local hour of the day before a trading day when its day-ahead results are out (CAISO)."""
LARGE = 1e9
"""Bound of the observation boxes that have no physical bound (prices, forecasts)."""
AGGREGATION_MINIMUM_KW = 100.0
"""Smallest DER aggregation CAISO accepts [kW] (tariff section 4.17)."""
DEFAULT_STUDY = {
    "start": "2023-08-01",
    "end": "2023-08-02",
    "homes": 48,
    "assets.pv_share": 0.8,
    "assets.battery_attach_rate_before_nbt": 0.8,
    "assets.battery_attach_rate_after_nbt": 0.8,
    "assets.vpp_enrollment_share": 1.0,
    "assets.thermostat_dr_share": 0.9,
    "load.ev_share": 0.5,
}
"""The offline study ``gymnasium.make(ENV_ID)`` builds when no data is given."""


@dataclass(frozen=True, eq=False)
class IssuedForecasts:
    """One variable's issued quantile forecasts, each issue over the targets it covers.

    Attributes
    ----------
    issued : numpy.ndarray
        (I,) issue times [ns since epoch, UTC], ascending.
    first : numpy.ndarray
        (I,) grid index of each issue's first target.
    values : numpy.ndarray
        (I, H, Q) each issue's quantiles for targets ``first .. first + H - 1`` (0 where it
        says nothing): memory grows with the issues times their horizon, not times the grid.
    """

    issued: np.ndarray
    first: np.ndarray
    values: np.ndarray

    def window(
        self, issue: int, start: int, width: int, out: np.ndarray | None = None
    ) -> np.ndarray:
        """(width, Q) issue ``issue``'s quantiles for targets ``start .. start + width - 1``
        (0 outside what it covers), written into ``out`` (zeros) when given."""
        if out is None:
            out = np.zeros((width, self.values.shape[2]))
        offset = start - int(self.first[issue])
        low, high = max(offset, 0), min(offset + width, self.values.shape[1])
        if high > low:
            out[low - offset : high - offset] = self.values[issue, low:high]
        return out

    def on_grid(self, issue: int, n: int) -> np.ndarray:
        """(n, Q) issue ``issue``'s quantiles on a grid of ``n`` intervals."""
        return self.window(issue, 0, n)


@dataclass(frozen=True, eq=False)
class EnvData:
    """Everything an episode replays, on the study's grid of ``T`` intervals.

    Attributes
    ----------
    fleet : Fleet
        The enrolled homes.
    timestamps : pandas.DatetimeIndex
        (T,) interval starts, UTC.
    timezone : str
    fmm_lmp, da_lmp : numpy.ndarray
        (T,) [$/MWh].
    as_price : numpy.ndarray
        (T, 4) AS capacity prices held across each hour [$/MW-h] (0 without AS prices).
    terminal_usd_per_kwh : numpy.ndarray
        (B,) value of a kWh left stored at the end, per battery home [$/kWh].
    forecasts : dict of str to IssuedForecasts
        Per forecast variable, its issues.
    quantiles : tuple of str
        The forecasts' quantile columns.
    settings : DispatchSettings
    """

    fleet: Fleet
    timestamps: pd.DatetimeIndex
    timezone: str
    fmm_lmp: np.ndarray
    da_lmp: np.ndarray
    as_price: np.ndarray
    terminal_usd_per_kwh: np.ndarray
    forecasts: dict[str, IssuedForecasts]
    quantiles: tuple[str, ...]
    settings: DispatchSettings


def _forecasts(
    root: Path, grid: pd.DatetimeIndex
) -> tuple[dict[str, IssuedForecasts], tuple[str, ...]]:
    """The dataset's issued quantile forecasts (``forecasts/*_forecasts.parquet`` in long
    form: ``issued_at, variable, timestamp, q..``), each issue over its targets on the grid."""
    out, quantiles = {}, ()
    stamps = grid.as_unit("ns").asi8
    for path in sorted((root / "forecasts").glob("*_forecasts.parquet")):
        frame = pd.read_parquet(path)
        if "variable" not in frame:
            continue  # the operator's point forecasts (wide): not in the observation yet
        quantiles = tuple(c for c in frame.columns if c.startswith("q"))
        for variable, part in frame.groupby("variable", observed=True, sort=True):
            issued = pd.DatetimeIndex(part["issued_at"]).as_unit("ns").asi8
            targets = pd.DatetimeIndex(part["timestamp"]).as_unit("ns").asi8
            times, issue = np.unique(issued, return_inverse=True)
            where = np.searchsorted(stamps, targets)
            inside = (where < len(stamps)) & (stamps[np.minimum(where, len(stamps) - 1)] == targets)
            issue, where = issue[inside], where[inside]
            first = np.full(times.size, len(stamps))
            np.minimum.at(first, issue, where)
            last = np.full(times.size, -1)
            np.maximum.at(last, issue, where)
            first = np.minimum(first, np.maximum(last, 0))  # an issue with no target: empty
            horizon = int(max(np.max(last - first + 1, initial=0), 1))
            values = np.zeros((times.size, horizon, len(quantiles)))
            values[issue, where - first[issue]] = part[list(quantiles)].to_numpy(float)[inside]
            out[str(variable)] = IssuedForecasts(times, first, values)
    return out, quantiles


def load(root: Path | str, settings: DispatchSettings | None = None) -> EnvData:
    """A built dataset's enrolled homes, prices and forecasts (the I/O edge)."""
    return from_study(run.read_study(root), settings)


def from_study(study: run.Study, settings: DispatchSettings | None = None) -> EnvData:
    """The :class:`EnvData` of a :func:`vppsim.fleet.run.read_study` (its enrolled homes
    through :func:`vppsim.fleet.run.prepare_chunk`, as the dispatch reads them)."""
    settings = settings or DispatchSettings()
    if study.interval_minutes != STEP_MINUTES:
        raise ConfigError(
            f"interval_minutes={study.interval_minutes}: the environment steps 15 min"
        )
    market = market_from_frame(study.market, study.timezone, ancillary=True)
    rows = np.flatnonzero(study.assets["enrolled"].to_numpy(bool))
    if not rows.size:
        raise ConfigError(f"{study.root}: no enrolled home (assets.enrolled) to aggregate")
    chunk = run.prepare_chunk(study, rows)
    fleet = Fleet.from_homes(chunk.home_ids, chunk.series, chunk.assets, settings, market.dt_h)
    packs = [a.battery(settings) for a in chunk.assets]
    terminal = np.array([terminal_value(market, p) for p in packs if p is not None])
    as_price = np.zeros((market.n, len(PRODUCTS)))
    if market.ancillary is not None:
        as_price = market.ancillary[market.hour]
    forecasts, quantiles = _forecasts(study.root, study.grid)
    return EnvData(
        fleet=fleet,
        timestamps=study.grid,
        timezone=study.timezone,
        fmm_lmp=market.lmp,
        da_lmp=study.market["da_lmp"].to_numpy(float),
        as_price=as_price,
        terminal_usd_per_kwh=terminal,
        forecasts=forecasts,
        quantiles=quantiles,
        settings=settings,
    )


_DEFAULT: dict[str, Path] = {}


def default_study() -> Path:
    """A small offline study (:data:`DEFAULT_STUDY`) built once per process in a temporary
    folder (removed at exit); the same seed every time, so the same data."""
    if "root" not in _DEFAULT:
        from vppsim.config import load_settings
        from vppsim.dataset.build import build_dataset
        from vppsim.registry import default_registry

        registry = default_registry()
        folder = Path(tempfile.mkdtemp(prefix="vppsim-env-"))
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        sources = {f"{name}.source": "synthetic" for name in registry.names}
        values = {"out": folder / "data", **DEFAULT_STUDY, **sources}
        build_dataset(load_settings(values, env_file=None, registry=registry), registry)
        _DEFAULT["root"] = folder / "data"
    return _DEFAULT["root"]


def _hourly_by_day(values: np.ndarray, day: np.ndarray, hour: np.ndarray, days: int):
    """(days, 24, ...) of per-interval ``values`` held across each local hour."""
    out = np.zeros((days, 24, *values.shape[1:]))
    out[day, hour] = values
    return out


class VppEnv(gymnasium.Env):
    """Dispatch mode: one step is one 15-minute interval (module docstring).

    Parameters
    ----------
    data : str, Path or EnvData, optional
        A built dataset folder, or its :func:`load`-ed inputs; default :func:`default_study`.
    settings : DispatchSettings, optional
        Used when ``data`` is a folder.
    rules : vppsim.env.settlement.SettlementRules, optional
    simulator : vppsim.env.simulator.FleetState, optional
        What steps the homes: by default a :class:`~vppsim.env.simulator.FleetSimulator` of
        its own; the vector environment (:mod:`vppsim.env.vector`) gives each sub-env a
        :class:`~vppsim.env.simulator.FleetView` of one simulator stepping them all.

    The settlement, observation and info are :class:`EnvCore`'s, the batched code of the
    vector environment, with one sub-env.

    Spaces
    ------
    Action: ``Box((H, 4))``, one row per enrolled home (``info["home_ids"]`` at reset), the
    shares of :data:`vppsim.env.simulator.ACTIONS`. Observation: a ``Dict`` of what is known
    at the step's start: ``time`` (sine and cosine of the local hour, weekday / 6, share of
    the episode done), ``soc`` (H,) state of charge share, ``ev_need_kwh`` (H,), ``mass_c``
    (H,) the moved ACs' building mass temperature [degC] (0 without), ``fmm_lmp`` the last
    :data:`PRICE_WINDOW` FMM LMPs (oldest first, 0 before the period), ``da_lmp`` (2, 24)
    and ``as_price`` (2, 24, 4) today's and tomorrow's hourly day-ahead prices with
    ``da_published`` (2,) (0 until published: zeros), ``da_award_kw`` (24,) and
    ``as_award_kw`` (24, 4) today's awards, and per forecast variable ``forecast_<name>``
    (:data:`FORECAST_WINDOW`, Q) the latest forecast issued at or before now for the next
    intervals (0 where none).

    Attributes
    ----------
    day_index, local_hour : numpy.ndarray
        (T,) local trading day (0, 1, ...) and clock hour of each interval.
    days : int
    da_hourly, as_hourly : numpy.ndarray
        (days + 1, 24) and (days + 1, 24, 4) the day-ahead prices by day and local hour
        (a last day of zeros).
    da_award_kw, as_award_kw : numpy.ndarray
        (T,) and (T, 4) the episode's day-ahead position [kW].
    """

    metadata: ClassVar[dict[str, Any]] = {"render_modes": []}

    def __init__(
        self,
        data: str | Path | EnvData | None = None,
        settings: DispatchSettings | None = None,
        rules: settlement.SettlementRules | None = None,
        *,
        simulator: FleetState | None = None,
    ):
        if data is None:
            data = default_study()
        self.data = data if isinstance(data, EnvData) else load(data, settings)
        self.rules = rules or settlement.SettlementRules()
        d, fleet = self.data, self.data.fleet
        self.sim = FleetSimulator(fleet) if simulator is None else simulator
        local = d.timestamps.tz_convert(d.timezone)
        dates = local.normalize().tz_localize(None)
        first = dates[0]
        self.day_index = ((dates - first).days).to_numpy()
        self.local_hour = local.hour.to_numpy()
        self.days = int(self.day_index.max()) + 1
        # 13:00 on the local wall clock of the day before each day (naive, then localised:
        # right across a daylight-saving change).
        published = pd.DatetimeIndex(
            [
                first + pd.Timedelta(days=int(k) - 1, hours=DA_PUBLISHED_HOUR)
                for k in range(self.days)
            ]
        ).tz_localize(d.timezone)
        self._published = published.tz_convert("UTC").as_unit("ns").asi8
        self._stamps = d.timestamps.as_unit("ns").asi8
        self._stamp_text = [t.isoformat() for t in d.timestamps]  # info["timestamp"]
        days = self.day_index[:, None] + np.arange(2)
        self._known = np.where(
            days < self.days,
            self._published[np.minimum(days, self.days - 1)] <= self._stamps[:, None],
            False,
        ).astype(float)
        # The latest issue of each forecast at each step's start (-1: none yet).
        self._latest = {
            name: np.searchsorted(f.issued, self._stamps, side="right") - 1
            for name, f in d.forecasts.items()
        }
        self.da_hourly = _hourly_by_day(d.da_lmp, self.day_index, self.local_hour, self.days + 1)
        self.as_hourly = _hourly_by_day(d.as_price, self.day_index, self.local_hour, self.days + 1)
        self._time = np.column_stack(
            [
                np.sin(2 * np.pi * (local.hour + local.minute / 60) / 24),
                np.cos(2 * np.pi * (local.hour + local.minute / 60) / 24),
                local.weekday / 6.0,
                np.arange(fleet.n) / fleet.n,
            ]
        )
        self._weights = np.zeros(0)
        if fleet.batteries is not None:
            power = fleet.batteries.discharge_kw
            self._weights = power / max(power.sum(), 1e-9)
        homes = fleet.homes
        self.action_space = spaces.Box(
            np.tile(ACTION_LOW, (homes, 1)), np.tile(ACTION_HIGH, (homes, 1)), dtype=np.float64
        )
        unbounded = {"low": -LARGE, "high": LARGE, "dtype": np.float64}
        observed = {
            "time": spaces.Box(-1.0, 1.0, (4,), np.float64),
            "soc": spaces.Box(0.0, 1.0, (homes,), np.float64),
            "ev_need_kwh": spaces.Box(0.0, LARGE, (homes,), np.float64),
            "mass_c": spaces.Box(shape=(homes,), **unbounded),
            "fmm_lmp": spaces.Box(shape=(PRICE_WINDOW,), **unbounded),
            "da_lmp": spaces.Box(shape=(2, 24), **unbounded),
            "as_price": spaces.Box(0.0, LARGE, (2, 24, len(PRODUCTS)), np.float64),
            "da_published": spaces.Box(0.0, 1.0, (2,), np.float64),
            "da_award_kw": spaces.Box(shape=(24,), **unbounded),
            "as_award_kw": spaces.Box(0.0, LARGE, (24, len(PRODUCTS)), np.float64),
        }
        for name in d.forecasts:
            observed[f"forecast_{name}"] = spaces.Box(
                shape=(FORECAST_WINDOW, len(d.quantiles)), **unbounded
            )
        self.observation_space = spaces.Dict(observed)
        self._positions(None)
        self._core = EnvCore([self], self.sim)

    def _positions(self, options: dict[str, Any] | None) -> None:
        """The day-ahead position of the episode: ``da_award_kw`` (T,) or hourly
        (hours,) and ``as_award_kw`` (hours, 4), or per home (hours, H, 4) [kW], from
        ``options`` (zero by default).

        The fleet's AS award (the per-home awards' sum over the homes) is what settles: the
        aggregation is one resource. Per-home awards say which batteries hold the
        regulation, so that each home's throughput cost is charged on its own share (the
        LP's per-home awards replay its degradation exactly); without them the regulation
        is spread over the batteries pro rata to their discharge rating."""
        fleet, n, steps = self.data.fleet, self.data.fleet.n, 60 // STEP_MINUTES
        hours = -(-n // steps)
        options = options or {}
        unknown = set(options) - {"da_award_kw", "as_award_kw"}
        if unknown:
            raise ConfigError(f"options: unknown key {sorted(unknown)[0]!r}")
        energy = np.array(options.get("da_award_kw", np.zeros(n)), dtype=float)
        if energy.shape == (hours,):
            energy = np.repeat(energy, steps)[:n]
        if energy.shape != (n,) or not np.all(np.isfinite(energy)):
            raise ConfigError(f"da_award_kw: need {n} intervals or hours of finite kW")
        awards = np.array(options.get("as_award_kw", np.zeros((hours, len(PRODUCTS)))), float)
        shapes = ((hours, len(PRODUCTS)), (hours, fleet.homes, len(PRODUCTS)))
        if awards.shape not in shapes or not np.all(awards >= 0) or not np.all(np.isfinite(awards)):
            raise ConfigError(
                f"as_award_kw: need shape {shapes[0]} or per home {shapes[1]} of finite kW "
                f">= 0, columns {PRODUCTS}"
            )
        self._home_regulation = None
        if awards.ndim == 3:
            idle = np.ones(fleet.homes, dtype=bool)
            idle[fleet.battery_rows] = False
            held = np.flatnonzero(idle & awards.any(axis=(0, 2)))
            if held.size:
                raise ConfigError(
                    f"as_award_kw: home {fleet.home_ids[held[0]]} has no battery to hold an award"
                )
            self._home_regulation = awards[:, fleet.battery_rows][..., REGULATION].sum(axis=-1)
            awards = awards.sum(axis=1)
        self.da_award_kw = energy
        self.as_award_kw = np.repeat(awards, steps, axis=0)[:n]
        self._da_award = _hourly_by_day(energy, self.day_index, self.local_hour, self.days)
        self._as_award = _hourly_by_day(
            self.as_award_kw, self.day_index, self.local_hour, self.days
        )

    def _regulation_kw(self, k: int) -> np.ndarray:
        """(B,) regulation award each battery holds in interval ``k`` [kW]
        (:meth:`_positions`)."""
        if self._home_regulation is not None:
            return self._home_regulation[k * STEP_MINUTES // 60]
        return self.as_award_kw[k][REGULATION].sum() * self._weights

    def award(self, day: int, energy_kw: np.ndarray, as_kw: np.ndarray) -> None:
        """Set local day ``day``'s day-ahead awards: ``energy_kw`` (24,) hourly energy,
        export positive, and ``as_kw`` (24, 4) AS [kW], by local clock hour (a 25-hour day
        repeats its hour 1 award; a 23-hour day ignores the missing hour's); the day's
        regulation is held by the batteries pro rata to their discharge rating."""
        steps = self.day_index == day
        hours = self.local_hour[steps]
        self.da_award_kw[steps] = np.asarray(energy_kw, dtype=float)[hours]
        self.as_award_kw[steps] = np.asarray(as_kw, dtype=float)[hours]
        self._da_award[day] = energy_kw
        self._as_award[day] = as_kw
        if self._home_regulation is not None:
            intervals = np.flatnonzero(steps)
            fleet = self.as_award_kw[intervals][:, REGULATION].sum(axis=1)
            grid_hours = intervals * STEP_MINUTES // 60
            self._home_regulation[grid_hours] = fleet[:, None] * self._weights

    def observe(self) -> dict[str, np.ndarray]:
        """The observation now (class docstring)."""
        return unbatch(self._core.observe())

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        """Back to the period's start; ``options`` may give the day-ahead position
        (``da_award_kw``, ``as_award_kw``, see the class docstring). The episode is the
        dataset's replay, the same for every ``seed``."""
        super().reset(seed=seed)
        self._positions(options)
        self.sim.reset()
        self._core.reset()
        return unbatch(self._core.observe()), unbatch(self._core.info(first=True))

    def step(
        self, action: np.ndarray
    ) -> tuple[dict[str, np.ndarray], float, bool, bool, dict[str, Any]]:
        before = self.sim.stored_kwh()
        self.sim.step(np.clip(np.asarray(action, dtype=float), ACTION_LOW, ACTION_HIGH))
        observation, reward, terminated, info = self._core.settle(before)
        return unbatch(observation), float(reward[0]), bool(terminated[0]), False, unbatch(info)


def unbatch(batched: dict[str, Any], i: int = 0) -> dict[str, Any]:
    """Sub-env ``i``'s part of :class:`EnvCore`'s batched observations or infos: arrays for
    arrays, Python objects for numbers and objects, nested dicts alike."""
    out: dict[str, Any] = {}
    for key, value in batched.items():
        if type(value) is dict:
            out[key] = unbatch(value, i)
        else:  # (K,) numbers or objects: one Python object; (K, ...) arrays: one array
            out[key] = value.item(i) if value.ndim == 1 else value[i]
    return out


def masked(batched: dict[str, Any], mask: np.ndarray) -> dict[str, Any]:
    """:class:`EnvCore`'s batched infos in Gymnasium's vector layout: each key beside its
    ``_key`` mask ``mask`` (the sub-envs that report it), nested dicts alike."""
    out: dict[str, Any] = {}
    for key, value in batched.items():
        out[key] = masked(value, mask) if type(value) is dict else value
        out[f"_{key}"] = mask
    return out


def _objects(values: Sequence[Any]) -> np.ndarray:
    """An object array of ``values`` (one per sub-env), as Gymnasium batches non-numbers."""
    out = np.empty(len(values), dtype=object)
    for i, value in enumerate(values):
        out[i] = value
    return out


class EnvCore:
    """The settlement, observation and info of K dispatch-mode environments whose homes one
    simulator steps side by side (:meth:`~vppsim.env.simulator.Fleet.concat`), computed for
    the K of them at once as (K, ...) arrays: one code path for :class:`VppEnv` (K = 1) and
    the vector environment (:mod:`vppsim.env.vector`).

    The sub-envs share the grid, the number of homes, the forecast variables, the dispatch
    settings (the vector environment checks these) and the settlement rules (it gives all
    the same); each keeps its own data, prices,
    day-ahead position (:meth:`VppEnv.award`) and running totals. Sums over a sub-env's
    homes or devices are per group (``numpy.add.reduceat``), so that a sub-env's
    numbers do not depend on the others stepped beside it
    (:class:`~vppsim.env.simulator.Segments`).

    Parameters
    ----------
    envs : sequence of VppEnv
        The K sub-envs, in the order of their fleets in ``sim``.
    sim : FleetState
        Stepping the concatenation of their fleets (the fleet itself for K = 1).

    Observations are a ``Dict`` of (K, ...) arrays, infos per key an array over the
    sub-envs (dicts key by key): :func:`masked` puts them in Gymnasium's vector layout,
    :func:`unbatch` takes one sub-env's part.
    """

    def __init__(self, envs: Sequence[VppEnv], sim: FleetState):
        self.envs, self.sim = list(envs), sim
        first, count = self.envs[0], len(self.envs)
        self.count = count
        fleets = [e.data.fleet for e in self.envs]
        self.homes = fleets[0].homes
        self._rows = {
            "homes": Segments.of_counts([f.homes for f in fleets]),
            "batteries": Segments.of_counts([len(f.battery_rows) for f in fleets]),
            "cars": Segments.of_counts([len(f.ev_rows) for f in fleets]),
            "houses": Segments.of_counts([len(f.ac_rows) for f in fleets]),
        }
        self._fmm = np.stack([e.data.fmm_lmp for e in self.envs])
        self._da = np.stack([e.data.da_lmp for e in self.envs])
        self._as = np.stack([e.data.as_price for e in self.envs])
        self._da_hourly = np.stack([e.da_hourly for e in self.envs])
        self._as_hourly = np.stack([e.as_hourly for e in self.envs])
        self._energy = np.zeros(sim.fleet.homes)
        if sim.fleet.batteries is not None:
            self._energy[sim.fleet.battery_rows] = sim.fleet.batteries.energy_kwh
        self._terminal = np.concatenate([e.data.terminal_usd_per_kwh for e in self.envs])
        self._comfort_usd_per_kh = np.array(
            [e.data.settings.comfort_penalty_usd_per_kh for e in self.envs]
        )
        power = [
            0.0 if f.batteries is None else float(f.batteries.discharge_kw.sum()) for f in fleets
        ]
        self._aggregation = {
            "homes": np.array([f.homes for f in fleets]),
            "battery_kw": np.array(power),
            "meets_minimum": np.array(power) >= AGGREGATION_MINIMUM_KW,
        }
        for value in self._aggregation.values():
            value.flags.writeable = False
        self._home_ids = [[int(i) for i in f.home_ids] for f in fleets]
        # Each forecast variable's issued forecasts by sub-env, and (variables, T, K) the
        # latest issue at each step's start.
        self._forecasts = {
            f"forecast_{name}": [e.data.forecasts[name] for e in self.envs]
            for name in first.data.forecasts
        }
        self._latest = np.zeros((len(self._forecasts), first.data.fleet.n, count), dtype=int)
        for v, name in enumerate(first.data.forecasts):
            self._latest[v] = np.column_stack([e._latest[name] for e in self.envs])
        self.reset()

    def reset(self) -> None:
        """The running totals back to zero (the simulator is reset by its owner)."""
        self._total = np.zeros((len(settlement.LINES) + 1, self.count))

    def observe(self) -> dict[str, np.ndarray]:
        """(K, ...) observations now (:class:`VppEnv`'s space, batched)."""
        first, sim, count = self.envs[0], self.sim, self.count
        now = sim.k
        k = min(now, first.data.fleet.n - 1)
        day = first.day_index[k]
        prices = np.zeros((count, PRICE_WINDOW))
        start = max(0, now - PRICE_WINDOW)
        if now > start:
            prices[:, PRICE_WINDOW - (now - start) :] = self._fmm[:, start:now]
        known = first._known[k]
        shape = (count, self.homes)
        mass = np.zeros(sim.fleet.homes)
        mass[sim.fleet.ac_rows] = sim.mass_c
        soc = np.divide(
            sim.soc_kwh(), self._energy, out=np.zeros(sim.fleet.homes), where=self._energy > 0
        )
        out = {
            "time": np.repeat(first._time[k : k + 1], count, axis=0),
            "soc": np.clip(soc, 0.0, 1.0).reshape(shape),
            "ev_need_kwh": np.maximum(sim.ev_need_kwh(), 0.0).reshape(shape),
            "mass_c": mass.reshape(shape),
            "fmm_lmp": prices,
            "da_lmp": self._da_hourly[:, day : day + 2] * known[:, None],
            "as_price": self._as_hourly[:, day : day + 2] * known[:, None, None],
            "da_published": np.repeat(known[None], count, axis=0),
            "da_award_kw": np.array([e._da_award[day] for e in self.envs]),
            "as_award_kw": np.array([e._as_award[day] for e in self.envs]),
        }
        windows = np.zeros(
            (len(self._forecasts), count, FORECAST_WINDOW, len(first.data.quantiles))
        )
        for (key, issued), issues, rows in zip(
            self._forecasts.items(), self._latest[:, k].tolist(), windows, strict=True
        ):
            for forecast, issue, row in zip(issued, issues, rows, strict=True):
                if issue >= 0:
                    forecast.window(issue, k, FORECAST_WINDOW, out=row)
            out[key] = rows
        return out

    def info(self, first: bool = False) -> dict[str, Any]:
        """The infos every step reports (``first``: and the reset's ``home_ids``)."""
        env, count, now = self.envs[0], self.count, self.sim.k
        out: dict[str, Any] = {
            "step": np.full(count, now),
            "timestamp": _objects([env._stamp_text[min(now, env.data.fleet.n - 1)]] * count),
            # Rows of a fresh array each step.
            "settlement_total": dict(zip((*settlement.LINES, "net"), self._total, strict=True)),
            "aggregation": self._aggregation,  # read-only constants
        }
        if first:
            out["home_ids"] = _objects([list(ids) for ids in self._home_ids])
        return out

    def settle(
        self, before: np.ndarray | None
    ) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray, dict[str, Any]]:
        """The step's observations, rewards (K,), terminations (K,) and infos once the
        simulator has stepped, from ``before`` the batteries' stored energy (B,) at the
        step's start [kWh] (:meth:`~vppsim.env.simulator.FleetState.stored_kwh`)."""
        env, sim, count = self.envs[0], self.sim, self.count
        k, fleet, result = sim.k - 1, sim.fleet, sim.last
        dt, batteries = fleet.dt_h, self._rows["batteries"]
        power, energy = headroom(fleet, sim.battery_state, result, before, batteries)
        awards = np.array([e.as_award_kw[k] for e in self.envs])
        short = settlement.shortfall(awards, power, energy, env.data.settings.durations())
        degradation = np.zeros(count)
        if fleet.batteries is not None:
            degradation = settlement.throughput_cost(
                fleet.batteries.throughput_cost_usd_per_kwh,
                result.discharge_kw[fleet.battery_rows],
                np.concatenate([e._regulation_kw(k) for e in self.envs]),
                fleet.regulation_share,
                dt,
                batteries,
            )
        meter = result.meter_kw.reshape(count, self.homes).sum(axis=1)
        lines = settlement.settle(
            dt,
            self._da[:, k],
            self._fmm[:, k],
            np.array([e.da_award_kw[k] for e in self.envs]),
            meter,
            self._as[:, k],
            awards,
            short,
            degradation,
            env.rules,
        )
        self._total = self._total + np.array(list(lines.values()))
        comfort_kh, unmet, clips = self._device_sums(result)
        comfort = self._comfort_usd_per_kh * comfort_kh
        reward = lines["net"] - comfort
        terminated = np.full(count, sim.k >= fleet.n)
        terminal = np.zeros(count)
        if terminated[0] and fleet.batteries is not None:
            gained = sim.battery_state.soc_kwh - fleet.initial_soc_kwh
            terminal = batteries.sums(self._terminal * gained)
            reward = reward + terminal
        info = self.info()
        info.update(
            settlement=lines,
            comfort_kh=comfort_kh,
            comfort_usd=comfort,
            terminal_value_usd=terminal,
            ev_unmet_kwh=unmet,
            meter_kw=meter,
            as_short_share=_objects(short.tolist()),
            clipped=dict(zip(result.clipped_rows, clips, strict=True)),
        )
        return self.observe(), reward, terminated, info

    def _device_sums(self, result: StepResult) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per sub-env (K,): the comfort degree-hours [K-h], the EV energy short [kWh] and
        (kinds, K) the clip counts of ``result``'s per-device rows."""
        rows = self._rows
        clips = [
            rows[DEVICE_ROWS[kind.split()[0]]].sums(flags, dtype=np.intp)
            for kind, flags in result.clipped_rows.items()
        ]
        return (
            rows["houses"].sums(result.comfort_rows_kh),
            rows["cars"].sums(result.ev_unmet_rows_kwh),
            clips,
        )


def price_feed(data: EnvData) -> Callable[[], Iterator[tuple[float, dict[str, Any]]]]:
    """The market clock of ``data``: each interval's FMM LMP when the interval ends, with the
    day-ahead LMP it settled against, in market seconds from the first interval's start
    (what ``vppsim serve`` streams at ``GET /feed``; the FMM price is known only afterwards).
    """
    step_s = (
        float((data.timestamps[1] - data.timestamps[0]).total_seconds())
        if len(data.timestamps) > 1
        else 900.0
    )

    def events() -> Iterator[tuple[float, dict[str, Any]]]:
        for k, start in enumerate(data.timestamps):
            yield (
                (k + 1) * step_s,
                {
                    "interval_start": start.strftime("%Y-%m-%dT%H:%M:%SZ"),
                    "lmp_usd_per_mwh": float(data.fmm_lmp[k]),
                    "da_lmp_usd_per_mwh": float(data.da_lmp[k]),
                },
            )

    return events


def make_env(mode: str = "dispatch", **kwargs: Any) -> gymnasium.Env:
    """The entry point of ``vppsim/VPP-v0``: ``mode="dispatch"`` (:class:`VppEnv`) or
    ``"bidding"`` (:class:`vppsim.env.bidding.BiddingEnv`); ``kwargs`` go to the class."""
    if mode == "dispatch":
        return VppEnv(**kwargs)
    if mode == "bidding":
        from vppsim.env.bidding import BiddingEnv

        return BiddingEnv(**kwargs)
    raise ConfigError(f"mode={mode!r}: choose dispatch or bidding")


make_env.metadata = VppEnv.metadata
