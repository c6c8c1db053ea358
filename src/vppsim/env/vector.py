"""``vppsim/VPP-v0`` as a native Gymnasium vector environment: K sub-environments stepped
by one simulator.

``gymnasium.make_vec("vppsim/VPP-v0", num_envs=K, vectorization_mode="vector_entry_point",
data=..., members=...)`` returns a :class:`VppVectorEnv` (dispatch mode). Its K
sub-environments are :class:`~vppsim.env.gym.VppEnv` objects over their own data; their
fleets are concatenated side by side (:meth:`~vppsim.env.simulator.Fleet.concat`) and one
:class:`~vppsim.env.simulator.FleetSimulator` steps all K x H homes in one vectorised call,
after which :class:`~vppsim.env.gym.EnvCore` settles, observes and reports all K at once
as (K, ...) arrays: the code of the single environment, whose :class:`~vppsim.env.gym.VppEnv`
is its K = 1 case (sums over a sub-env's homes are per sub-env, in row order). A sub-env's
trajectory is therefore the single environment's on the same data and actions.

What it batches (sub-env ``i`` replays source ``i mod S`` of the ``S`` sources):

* the scenarios of a suite folder (``DIR/scenarios.json``,
  :func:`vppsim.env.score.dataset_folders`), a list of dataset folders or of
  :class:`~vppsim.env.gym.EnvData`, or one dataset repeated;
* with ``members=True``, the forecast members of one dataset
  (``DIR/forecasts/members.parquet``, :func:`member_data`).

The sub-envs must share the grid, the number of enrolled homes, the observation's
forecasts and the dispatch settings (else a one-line :class:`~vppsim.errors.ConfigError`).
On a shared grid they all end together; Gymnasium 1.x's next-step autoreset follows
(``metadata["autoreset_mode"]``): the ``step`` after the last one resets every sub-env,
with the options of the last ``reset``, and returns the first observations with zero
rewards.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, ClassVar

import gymnasium
import numpy as np
import pandas as pd
from gymnasium.vector import AutoresetMode, VectorEnv
from gymnasium.vector.utils import batch_space

from vppsim.env import settlement
from vppsim.env.gym import EnvCore, EnvData, VppEnv, default_study, load, masked
from vppsim.env.simulator import ACTION_HIGH, ACTION_LOW, Fleet, FleetSimulator, FleetView
from vppsim.errors import ConfigError
from vppsim.fleet.dispatch_spec import DispatchSettings

MEMBERS_FILE = Path("forecasts") / "members.parquet"
"""A dataset's forecast ensemble (:data:`vppsim.forecast.sources.FORECASTS`)."""


def member_data(data: EnvData, members: pd.DataFrame) -> list[EnvData]:
    """One :class:`EnvData` per forecast member: member ``m``'s episode realises the member's
    full-period paths of the FMM and day-ahead LMPs (``lmp``, ``da_lmp``), while everything
    the observation shows as issued (the quantile forecasts) stays the dataset's: the same
    information set, so that an agent trains on plausible futures consistent with what it
    is told.

    The AS prices stay the realised ones (the ensemble carries none), and the terminal value
    of a stored kWh follows the member's mean LMP, as
    :func:`vppsim.fleet.dispatch.terminal_value` values it on the realised one
    (``eta_d (mean lmp / 1000 - kappa)``).

    The homes' PV and non-flexible load stay the realised ones, not scaled by the member's
    fleet totals over the realised totals: the ratio is ill-conditioned at dawn and dusk
    (PV near 0), one factor per interval would move every home alike (a member's error is
    a weather error that moves homes unevenly), and the member's weather would also have
    to drive the air conditioners and the EV sessions for the homes to stay one physics.
    The members therefore batch price uncertainty, the part of the forecast an aggregator's
    bids and dispatch turn into money.

    Parameters
    ----------
    data : EnvData
        The dataset's realised inputs.
    members : pandas.DataFrame
        ``member``, ``timestamp`` (UTC) and the ``lmp`` and ``da_lmp`` columns [$/MWh] of
        every member over the whole grid.

    Returns
    -------
    list of EnvData
        By member number, ascending.
    """
    missing = {"member", "timestamp", "lmp", "da_lmp"} - set(members.columns)
    if missing:
        raise ConfigError(f"forecast members: no column {sorted(missing)[0]!r}")
    stamps = data.timestamps.as_unit("ns")
    out = []
    for member, part in members.groupby("member", sort=True):
        path = part.set_index(pd.DatetimeIndex(part["timestamp"]).as_unit("ns")).reindex(stamps)
        if path[["lmp", "da_lmp"]].isna().any(axis=None):
            raise ConfigError(f"forecast member {member}: lmp or da_lmp missing on the grid")
        lmp = path["lmp"].to_numpy(float)
        terminal = data.terminal_usd_per_kwh
        if data.fleet.batteries is not None:
            shift = (lmp.mean() - data.fmm_lmp.mean()) / 1000.0
            terminal = terminal + data.fleet.batteries.discharge_efficiency * shift
        out.append(
            replace(
                data,
                fmm_lmp=lmp,
                da_lmp=path["da_lmp"].to_numpy(float),
                terminal_usd_per_kwh=terminal,
            )
        )
    return out


def _check_compatible(datasets: Sequence[EnvData]) -> None:
    """One-line ConfigError unless the sub-envs share the grid, the homes' count, the
    observation's forecasts and the dispatch settings."""
    first = datasets[0]
    for i, d in enumerate(datasets[1:], start=1):
        if d.fleet.homes != first.fleet.homes:
            raise ConfigError(
                f"sub-env {i} has {d.fleet.homes} enrolled homes, sub-env 0 {first.fleet.homes}:"
                " a vector env needs the same number in every sub-env"
            )
        if not d.timestamps.equals(first.timestamps):
            raise ConfigError(f"sub-env {i}'s grid differs from sub-env 0's: they step together")
        if (sorted(d.forecasts), d.quantiles) != (sorted(first.forecasts), first.quantiles):
            raise ConfigError(f"sub-env {i}'s forecasts differ from sub-env 0's (observation)")
        if d.settings != first.settings:
            # The batched core settles every sub-env with one set of durations and penalties.
            raise ConfigError(f"sub-env {i}'s dispatch settings differ from sub-env 0's")


class VppVectorEnv(VectorEnv):
    """K dispatch-mode sub-environments stepped by one simulator (module docstring).

    Parameters
    ----------
    datasets : sequence of EnvData
        One per sub-env.
    rules : vppsim.env.settlement.SettlementRules, optional

    Attributes
    ----------
    envs : list of VppEnv
        The sub-envs (read their ``data``, ``day_index``, ...; they step through this env),
        each reading its homes through a :class:`~vppsim.env.simulator.FleetView`.
    sim : FleetSimulator
        Stepping the concatenated fleets.
    core : EnvCore
        Settling, observing and reporting the K sub-envs at once.

    Spaces are the sub-env's batched (``single_observation_space``, ``single_action_space``,
    :func:`gymnasium.vector.utils.batch_space`): actions (K, H, 4), observations a ``Dict``
    of (K, ...) arrays; ``infos`` the sub-envs' infos batched by Gymnasium's rule (a key's
    values in an array over the sub-envs, ``_key`` its mask; dicts key by key).
    """

    metadata: ClassVar[dict[str, Any]] = {
        "render_modes": [],
        "autoreset_mode": AutoresetMode.NEXT_STEP,
    }

    def __init__(
        self,
        datasets: Sequence[EnvData],
        rules: settlement.SettlementRules | None = None,
    ):
        if not datasets:
            raise ConfigError("a vector env needs at least one sub-env")
        _check_compatible(datasets)
        fleets = [d.fleet for d in datasets]
        self.sim = FleetSimulator(Fleet.concat(fleets))
        self.envs = [
            VppEnv(d, rules=rules, simulator=FleetView(self.sim, fleets, i))
            for i, d in enumerate(datasets)
        ]
        self.num_envs = len(self.envs)
        self.single_observation_space = self.envs[0].observation_space
        self.single_action_space = self.envs[0].action_space
        self.observation_space = batch_space(self.single_observation_space, self.num_envs)
        self.action_space = batch_space(self.single_action_space, self.num_envs)
        self.core = EnvCore(self.envs, self.sim)
        # Every sub-env reports every info key: one read-only mask serves them all.
        self._mask = np.ones(self.num_envs, dtype=bool)
        self._mask.flags.writeable = False
        self._options: list[dict[str, Any] | None] = [None] * self.num_envs
        self._autoreset = False

    def reset(
        self,
        *,
        seed: int | list[int | None] | None = None,
        options: dict[str, Any] | Sequence[dict[str, Any] | None] | None = None,
    ) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        """Every sub-env back to the start; ``options`` one dict of
        :meth:`VppEnv.reset` options for all, or one per sub-env (each sub-env's own
        day-ahead position). The episodes are replays, the same for every seed."""
        k = self.num_envs
        if options is None or isinstance(options, dict):
            options = [options] * k
        if len(options) != k:
            raise ConfigError(f"options: need one dict for all or {k}, got {len(options)}")
        seeds = (
            seed
            if isinstance(seed, list)
            else [None if seed is None else seed + i for i in range(k)]
        )
        super().reset(seed=seeds[0])
        for env, s, o in zip(self.envs, seeds, options, strict=True):
            gymnasium.Env.reset(env, seed=s)
            env._positions(o)
        self.sim.reset()
        self.core.reset()
        self._options = list(options)
        self._autoreset = False
        return self.core.observe(), masked(self.core.info(first=True), self._mask)

    def step(
        self, actions: np.ndarray
    ) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray, np.ndarray, dict[str, Any]]:
        """One 15-minute interval of every sub-env: ``actions`` (K, H, 4)."""
        k = self.num_envs
        if self._autoreset:
            observations, infos = self.reset(options=self._options)
            zeros = np.zeros(k, dtype=bool)
            return observations, np.zeros(k), zeros, zeros.copy(), infos
        actions = np.clip(np.asarray(actions, dtype=float), ACTION_LOW, ACTION_HIGH)
        if actions.shape != self.action_space.shape:
            raise ConfigError(f"actions: need shape {self.action_space.shape}, got {actions.shape}")
        before = self.sim.stored_kwh()
        self.sim.step(actions.reshape(-1, actions.shape[-1]))
        observations, rewards, terminations, infos = self.core.settle(before)
        self._autoreset = bool(terminations.all())
        truncations = np.zeros(k, dtype=bool)
        return observations, rewards, terminations, truncations, masked(infos, self._mask)


def _sources(data: Any, members: bool, settings: DispatchSettings | None) -> list[EnvData]:
    """The sub-envs' data before cycling (:func:`make_vector_env`)."""
    from vppsim.env.score import dataset_folders

    if data is None:
        data = default_study()
    if members:
        if not isinstance(data, str | Path):
            raise ConfigError("members=True: give data as one dataset folder")
        root = Path(data)
        if not (root / MEMBERS_FILE).is_file():
            raise ConfigError(f"{root}: no forecast members ({MEMBERS_FILE})")
        return member_data(load(root, settings), pd.read_parquet(root / MEMBERS_FILE))
    if isinstance(data, EnvData):
        return [data]
    if isinstance(data, str | Path):
        return [load(folder, settings) for folder in dataset_folders(data)]
    return [d if isinstance(d, EnvData) else load(d, settings) for d in data]


def make_vector_env(
    num_envs: int | None = None,
    data: str | Path | EnvData | Sequence[str | Path | EnvData] | None = None,
    members: bool = False,
    settings: DispatchSettings | None = None,
    rules: settlement.SettlementRules | None = None,
    mode: str = "dispatch",
    **kwargs: Any,
) -> VppVectorEnv:
    """The vector entry point of ``vppsim/VPP-v0`` (module docstring).

    Parameters
    ----------
    num_envs : int, optional
        K; sub-env ``i`` replays source ``i mod S`` of the ``S`` sources; default ``S``
        (``gymnasium.make_vec`` passes 1 unless told).
    data : folder, EnvData or a sequence of them, optional
        A dataset or suite folder (every scenario), one dataset's inputs, or a list of
        datasets; default :func:`vppsim.env.gym.default_study`.
    members : bool
        The forecast members of the one dataset folder ``data`` (:func:`member_data`).
    settings : DispatchSettings, optional
        Used for folders.
    rules : vppsim.env.settlement.SettlementRules, optional
    mode : str
        ``"dispatch"`` only (the bidding mode is not vectorised).
    """
    if mode != "dispatch":
        raise ConfigError(f"mode={mode!r}: the vector env steps dispatch mode only")
    if kwargs:
        raise ConfigError(f"vector env: unknown argument {sorted(kwargs)[0]!r}")
    sources = _sources(data, members, settings)
    k = len(sources) if num_envs is None else int(num_envs)
    if k < 1:
        raise ConfigError(f"num_envs={num_envs}: need at least 1")
    return VppVectorEnv([sources[i % len(sources)] for i in range(k)], rules)
