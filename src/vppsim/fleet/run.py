"""``vppsim dispatch``: a strategy over a built dataset, written beside it (the I/O edge).

Reads the dataset folder ``DIR`` (its manifest's study settings; the ``market``, ``assets``,
``load``, ``pv`` and ``weather`` datasets), feeds the dispatch of :mod:`vppsim.fleet.dispatch`
from the device kernels, and writes ``DIR/dispatch/<strategy>/``:

* ``homes/part-{k:05d}.parquet``: one part per chunk of homes, long format (:data:`HOME_COLUMNS`);
* ``fleet.parquet``: ``timestamp`` and the fleet's sums (state of charge summed, indoor
  temperature the mean over the homes with AC), with each home's grid import and export
  summed (``import_kw``, ``export_kw``) and the homes' rooftop PV before curtailment
  (``pv_kw``), so the dashboard never scans the homes' parts;
* ``kpis.parquet``: one row per home (:data:`KPI_COLUMNS`);
* ``summary.json``: the fleet's KPIs, the homes with issues and the input manifest's checksum
  (deterministic bytes: no clock).

One physics (the adapters :func:`ev_sessions` and :func:`thermal_series`): the EV sessions are
:func:`vppsim.fleet.ev.sessions` laid out by :func:`vppsim.fleet.ev.schedule`, their unmanaged
charging :class:`~vppsim.fleet.ev.EVKernel`'s (the load's ``ev_kw``); the air conditioner is
:mod:`vppsim.fleet.thermal`'s model on :func:`vppsim.load.model.thermal_inputs`, its ``none``
run the load model's thermostat and compressor rendering (the load's ``hvac_kw``). So ``none``
is the load dataset itself, and ``rule`` and ``lp`` move what it would have drawn.

What the dispatch moves, per home: the battery when the home has one and is enrolled; the EV
charging of an enrolled home's sessions; the AC of an enrolled home whose thermostat is
enrolled in demand response (``thermostat_dr_enrolled``) and which does not heat in the period
(heating is not dispatched; such a home's AC stays the thermostat's). Everything else is the
fixed load. Homes are processed ``homes_chunk`` at a time (memory bounded by a chunk), each
home's result independent of the chunking.

A chunk is a pure task (:class:`DispatchRun`, :func:`run_chunk`): it reads its homes' rows of
the per-home files, dispatches, replays and scores them, writes its own part file and returns
its sums over the homes; the client adds them in chunk order. So the chunks run in this
process or on a Dask cluster (``vppsim dispatch --workers N`` or ``--scheduler ADDRESS``,
:mod:`vppsim.dataset.distributed`, the build's mechanism) with the same bytes.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.dataset as pads
import pyarrow.parquet as pq

from vppsim.dataset.build import Executor, in_order
from vppsim.dataset.manifest import (
    MANIFEST,
    Manifest,
    home_parts,
    parts_holding,
    read_manifest,
)
from vppsim.dataset.validate import study_of_manifest
from vppsim.errors import ConfigError
from vppsim.fleet import ev, thermal
from vppsim.fleet.dispatch import (
    EVSessions,
    HomeAssets,
    HomeSeries,
    Market,
    Schedule,
    Thermal,
    dispatch_fleet,
    market_from_frame,
)
from vppsim.fleet.dispatch_spec import (
    DISPATCH_FOLDER,
    FLEET_FILE,
    HOMES_FOLDER,
    KPIS_FILE,
    OWNER,
    STRATEGIES,
    SUMMARY_FILE,
    DispatchSettings,
    Strategy,
    is_dispatch_output,
)
from vppsim.fleet.kpis import fleet_summary, replay, score
from vppsim.load.model import ThermalInputs, hvac_power, thermal_inputs, thermostat_run
from vppsim.load.parameters import LoadParameters

HOME_COLUMNS = (
    "meter_kw",
    "charge_kw",
    "discharge_kw",
    "soc_kwh",
    "curtail_kw",
    "ev_kw",
    "ac_kw",
    "regup_kw",
    "regdown_kw",
    "spin_kw",
    "nonspin_kw",
    "indoor_temp_c",
)
"""Columns of ``homes/part-*.parquet`` after ``home_id, timestamp`` (float32; ``meter_kw``
is the import, positive from the grid; the AS columns hold each hour's award)."""
KPI_COLUMNS = {
    "energy_revenue_usd": "energy revenue",
    "as_revenue_usd": "as revenue",
    "degradation_cost_usd": "degradation cost",
    "net_revenue_usd": "net revenue",
    "equivalent_full_cycles": "equivalent full cycles",
    "comfort_degree_hours": "comfort degree hours",
    "ev_unmet_kwh": "ev unmet kwh",
    "violations": "violations",
}
"""Columns of ``kpis.parquet`` after ``home_id`` -> the :func:`vppsim.fleet.kpis.score` key."""
DEFAULT_CHUNK = 250


@dataclass(frozen=True)
class Study:
    """The inputs of a dispatch read from a dataset folder (per-home series read per chunk)."""

    root: Path
    manifest: Manifest
    grid: pd.DatetimeIndex
    timezone: str
    interval_minutes: int
    seed: int
    load_parameters: LoadParameters
    market: pd.DataFrame
    weather: pd.DataFrame
    assets: pd.DataFrame
    load_files: list[Path]
    pv_files: list[Path]
    checksum: str
    load_ends: np.ndarray
    """The home id after each load part's last (:func:`~vppsim.dataset.manifest.home_parts`)."""
    pv_ends: np.ndarray
    """The same for the PV parts."""


def _files(root: Path, manifest: Manifest, dataset: str) -> list[Path]:
    """The dataset's Parquet data files (a per-home dataset's attributes table left out)."""
    return [
        root / r.path
        for r in manifest.resources_of(dataset)
        if r.format == "parquet" and r.role == "data"
    ]


def read_study(root: Path | str) -> Study:
    """The dataset folder ``root`` as dispatch inputs; bad input raises a one-line error."""
    root = Path(root)
    if not root.is_dir():
        raise ConfigError(f"{root}: no such dataset folder")
    manifest = read_manifest(root)
    study = study_of_manifest(manifest)
    config = manifest.vppsim.config
    for dataset in ("assets", "market", "load", "weather"):
        if not _files(root, manifest, dataset):
            raise ConfigError(
                f"{root}: the dataset has no {dataset} (Parquet); build it with the "
                f"{dataset} dataset to dispatch"
            )
    fields = LoadParameters.model_fields
    load = LoadParameters.model_validate(
        {k: v for k, v in (config.get("load") or {}).items() if k in fields}
    )
    weather = pd.read_parquet(_files(root, manifest, "weather")[0]).set_index("timestamp")
    load_files, load_ends = _home_parts(root, manifest, "load", len(study.grid))
    pv_files, pv_ends = _home_parts(root, manifest, "pv", len(study.grid))
    return Study(
        root=root,
        manifest=manifest,
        grid=study.grid,
        timezone=study.timezone,
        interval_minutes=study.interval_minutes,
        seed=study.seed,
        load_parameters=load,
        market=pd.read_parquet(_files(root, manifest, "market")[0]),
        weather=weather,
        assets=pd.read_parquet(_files(root, manifest, "assets")[0]),
        load_files=load_files,
        pv_files=pv_files,
        checksum=hashlib.sha256((root / MANIFEST).read_bytes()).hexdigest(),
        load_ends=load_ends,
        pv_ends=pv_ends,
    )


def _home_parts(
    root: Path, manifest: Manifest, dataset: str, intervals: int
) -> tuple[list[Path], np.ndarray]:
    """The per-home dataset's Parquet parts and the home id after each one's last
    (:func:`~vppsim.dataset.manifest.home_parts`), from one reading of the manifest."""
    resources = [r.model_dump(by_alias=True) for r in manifest.resources_of(dataset)]
    paths, ends = home_parts(resources, dataset, intervals)
    return [root / path for path in paths], ends


def _wide(
    files: list[Path], ends: np.ndarray, column: str, homes: np.ndarray, n: int
) -> np.ndarray:
    """(T, homes) of ``column`` of the long per-home files, for ``homes`` (in order), read
    from the parts that hold them (``ends``: see :func:`~vppsim.dataset.manifest.home_parts`):
    filtering every part instead costs each chunk a scan of the whole fleet."""
    held = [str(files[k]) for k in parts_holding(ends, homes)]
    table = pads.dataset(held).to_table(
        columns=["home_id", "timestamp", column],
        filter=pads.field("home_id").isin(pa.array(homes, type=pa.int32())),
    )
    frame = table.to_pandas().sort_values(["home_id", "timestamp"], kind="stable")
    values = frame[column].to_numpy()
    if values.size != n * homes.size:
        raise ConfigError(f"{column}: the dataset's series do not cover homes {homes[:5]}...")
    order = np.searchsorted(np.sort(homes), homes)
    return values.reshape(homes.size, n)[order].T


def ev_sessions(plan: ev.Schedule, unmanaged_kw: np.ndarray) -> list[EVSessions | None]:
    """Each home's :class:`~vppsim.fleet.dispatch.EVSessions` from the EV kernel's plan.

    A session is a run of intervals the car is plugged in, ending at a departure (or the
    period's end); its need is what arrives with it (a session plugged in before the period
    starts needs what unmanaged charging would still deliver after the start). A session still
    plugged in at the end is clipped: it is owed the energy it can take within the period
    (``EVSessions.target_kwh``), its remainder belongs to the next period.

    Parameters
    ----------
    plan : vppsim.fleet.ev.Schedule
        (T, H) sessions on the grid (:func:`vppsim.fleet.ev.schedule`).
    unmanaged_kw : numpy.ndarray
        (T, H) :func:`vppsim.fleet.ev.simulate` of ``plan`` without controls [kW].

    Returns
    -------
    list of EVSessions or None
        Per home; None without a session in the period.
    """
    out: list[EVSessions | None] = []
    n = plan.plugged.shape[0]
    for h in range(plan.plugged.shape[1]):
        plugged = plan.plugged[:, h] > 0.0
        if not plugged.any():
            out.append(None)
            continue
        # A new session starts where the car plugs in after an unplugged interval or a
        # departure.
        before = np.concatenate([[False], plugged[:-1] & ~plan.departing[:-1, h]])
        arrival = np.flatnonzero(plugged & ~before)
        after = np.concatenate([plugged[1:] & ~plan.departing[:-1, h], [False]])
        departure = np.flatnonzero(plugged & ~after) + 1
        leaves = plan.departing[departure - 1, h]
        out.append(
            EVSessions(
                arrival=arrival,
                departure=departure,
                energy_kwh=plan.arriving_kwh[arrival, h],
                charger_kw=np.full(arrival.size, plan.power_kw[h]),
                limit_kw=plan.power_kw[h] * plan.plugged[:, h],
                unmanaged_kw=unmanaged_kw[:, h].astype(float),
                leaves=leaves & (departure <= n),
            )
        )
    return out


def thermal_series(
    inputs: ThermalInputs,
    run: thermal.ThermalRun,
    hvac_kw: np.ndarray,
    band_c: np.ndarray,
    movable: np.ndarray,
) -> dict[int, Thermal]:
    """The :class:`~vppsim.fleet.dispatch.Thermal` of the homes ``inputs.rows[movable]``.

    Parameters
    ----------
    inputs : vppsim.load.model.ThermalInputs
    run : vppsim.fleet.thermal.ThermalRun
        :func:`vppsim.load.model.thermostat_run` of ``inputs`` (its start after the spin-up
        day is the LP's start).
    hvac_kw : numpy.ndarray
        (T, R) :func:`vppsim.load.model.hvac_power` of ``run`` [kW].
    band_c : numpy.ndarray
        (R,) comfort band [K].
    movable : numpy.ndarray
        (R,) bool: which of the homes the dispatch may move.

    Returns
    -------
    dict of int to Thermal
        By row of the homes table.
    """
    out = {}
    drive = inputs.drive
    space = thermal.state_space(inputs.model)
    for r in np.flatnonzero(movable):
        model = inputs.model.subset(np.array([r]))
        outdoor = drive.outdoor_c[:, r].astype(float)
        one = thermal.Drive(
            outdoor,
            drive.air[:, r].astype(float),
            drive.mass[:, r].astype(float),
            inputs.cool_setpoint[:, r].astype(float),
            thermal.cop(model, outdoor),
        )
        # The mass after the spin-up day: free air = c x + v at the first interval.
        x0 = (float(run.free_air_c[0, r]) - float(drive.air[0, r])) / float(space.c[r])
        out[int(inputs.rows[r])] = Thermal(
            model,
            one,
            x0,
            float(band_c[r]),
            hvac_kw[:, r].astype(float),
            run.air_c[:, r].astype(float),
        )
    return out


@dataclass(frozen=True)
class Chunk:
    """One chunk of homes, ready to dispatch."""

    home_ids: np.ndarray
    series: list[HomeSeries]
    assets: list[HomeAssets]
    enrolled: np.ndarray
    indoor_c: np.ndarray
    """(T, H) the thermostat's air temperature (NaN without AC), for homes the LP leaves."""
    fixed_ac_kw: np.ndarray
    """(T, H) the thermostat's AC and heating the dispatch does not move (in the base load,
    reported in ``ac_kw``) [kW]."""
    notes: list[tuple[str, ...]]
    """Per home, what the inputs could not honour (EV sessions the layout dropped)."""


def prepare_chunk(study: Study, rows: np.ndarray) -> Chunk:
    """Read and adapt the homes ``rows`` of ``study.assets``."""
    frame = study.assets.iloc[rows].reset_index(drop=True)
    home_ids = frame["home_id"].to_numpy(np.int32)
    n, minutes = len(study.grid), study.interval_minutes
    base = _wide(study.load_files, study.load_ends, "load_kw", home_ids, n).astype(float)
    pv = (
        _wide(study.pv_files, study.pv_ends, "pv_kw", home_ids, n).astype(float)
        if study.pv_files
        else np.zeros_like(base)
    )
    enrolled = frame["enrolled"].to_numpy(bool)
    arguments = (study.grid, study.timezone, minutes, study.seed, study.load_parameters)
    drawn = ev.sessions(frame, *arguments)
    plan = ev.schedule(drawn, len(frame), n, minutes)
    unmanaged, _ = ev.simulate(plan)
    cars = ev_sessions(plan, unmanaged)
    houses: dict[int, Thermal] = {}
    indoor = np.full((n, len(frame)), np.nan)
    fixed = np.zeros((n, len(frame)))
    inputs = thermal_inputs(frame, study.weather, *arguments)
    if inputs is not None:
        run = thermostat_run(inputs)
        hvac = hvac_power(inputs, run.heat_removed_kw)
        ac = inputs.model.cooling_kw > 0
        indoor[:, inputs.rows[ac]] = run.air_c[:, ac]
        heats = (run.heat_removed_kw < 0).any(axis=0)
        off = (
            np.zeros(len(inputs.rows), bool)
            if inputs.cool_setpoint is None
            else (inputs.cool_setpoint > 100.0).any(axis=0)
        )
        dr = frame["thermostat_dr_enrolled"].to_numpy(bool)[inputs.rows]
        movable = ac & dr & enrolled[inputs.rows] & ~heats & ~off
        houses = thermal_series(
            inputs, run, hvac, frame["comfort_band_c"].to_numpy(float)[inputs.rows], movable
        )
        fixed[:, inputs.rows] = hvac
        for row in houses:
            base[:, row] -= houses[row].thermostat_kw
            fixed[:, row] = 0.0
    for row, car in enumerate(cars):
        if car is not None:
            base[:, row] -= car.unmanaged_kw
    # float32 rounding of the load less its parts.
    base = np.maximum(base, 0.0)
    series, assets = [], []
    for row, record in enumerate(frame.to_dict("records")):
        if not record.get("has_battery", True):
            record = {"export_limit_kw": record.get("export_limit_kw")}
        assets.append(HomeAssets.from_row(record, home_ids[row]))
        series.append(HomeSeries(base[:, row], pv[:, row], cars[row], houses.get(row)))
    notes = [
        (f"ev: {lost:.2f} kWh of sessions overlapping the next plug-in not charged",)
        if lost > 1e-9
        else ()
        for lost in plan.dropped_kwh
    ]
    return Chunk(home_ids, series, assets, enrolled, indoor, fixed, notes)


def schedule_chunk(
    chunk: Chunk, strategy: Strategy, market: Market, settings: DispatchSettings
) -> list[Schedule]:
    """The chunk's schedules: ``strategy`` for enrolled homes, ``none`` for the others."""
    out: list[Schedule | None] = [None] * len(chunk.series)
    for flag, used in ((True, strategy), (False, "none")):
        picked = np.flatnonzero(chunk.enrolled == flag)
        done = dispatch_fleet(
            used,
            [chunk.series[i] for i in picked],
            [chunk.assets[i] for i in picked],
            market,
            settings,
        )
        for i, schedule in zip(picked, done, strict=True):
            out[i] = schedule
    return out


def _utc_us(micros: np.ndarray) -> pd.DatetimeIndex:
    """UTC timestamps [us] (the dataset's ``timestamp[us, UTC]``) from epoch microseconds."""
    return pd.DatetimeIndex(micros.view("M8[us]")).tz_localize("UTC")


def _home_frame(
    chunk: Chunk,
    schedules: list[Schedule],
    meters: np.ndarray,
    market: Market,
    grid: pd.DatetimeIndex,
) -> pd.DataFrame:
    n, homes = len(grid), len(schedules)
    awards = np.zeros((n, homes, 4))
    for j, s in enumerate(schedules):
        if s.awards_kw is not None:
            awards[:, j] = s.awards_kw[market.hour]
    indoor = np.column_stack(
        [
            s.air_c if x.thermal is not None else chunk.indoor_c[:, j]
            for j, (s, x) in enumerate(zip(schedules, chunk.series, strict=True))
        ]
    )
    columns = {
        "meter_kw": -meters,
        **{c: np.column_stack([getattr(s, c) for s in schedules]) for c in HOME_COLUMNS[1:7]},
        "ac_kw": np.column_stack([s.ac_kw for s in schedules]) + chunk.fixed_ac_kw,
        "regup_kw": awards[:, :, 0],
        "regdown_kw": awards[:, :, 1],
        "spin_kw": awards[:, :, 2],
        "nonspin_kw": awards[:, :, 3],
        "indoor_temp_c": indoor,
    }
    return pd.DataFrame(
        {
            "home_id": np.repeat(chunk.home_ids, n),
            "timestamp": _utc_us(np.tile(grid.as_unit("us").asi8, homes)),
            **{c: v.T.ravel().astype(np.float32) for c, v in columns.items()},
        }
    )


FLEET_SUMS = (*(c for c in HOME_COLUMNS if c != "indoor_temp_c"), "import_kw", "export_kw", "pv_kw")
"""The columns of ``fleet.parquet`` that are the homes' sums (the indoor temperature is
their mean over the homes with AC): the home columns, each home's grid import and export
(``meter_kw`` as written, split by sign, so one home's export does not hide another's
import) and its rooftop PV before curtailment (zero without the ``pv`` dataset) [kW]."""


@dataclass(frozen=True)
class ChunkResult:
    """What a chunk of homes gave the fleet (its long schedules are in its part file).

    Attributes
    ----------
    part : int
        The chunk's index.
    homes : int
        Its number of homes.
    sums : mapping of str to numpy.ndarray
        Per :data:`FLEET_SUMS` column, the chunk's sum over its homes per timestamp [kW or
        kWh, float64 of the float32 values written].
    indoor_sum, indoor_count : numpy.ndarray
        Per timestamp, the sum of the indoor temperatures of its homes with AC [degC] and
        their number.
    base_fleet : numpy.ndarray
        Per timestamp, its homes' meter under ``none`` (the peak reduction's reference) [kW].
    scores : list of dict
        Per home, :func:`vppsim.fleet.kpis.score`.
    issues : list of tuple of str
        Per home, what the schedule or its inputs could not honour.
    home_ids : list of int
    frame : pandas.DataFrame or None
        The long schedules when the run writes no part files (the API's in-memory run).
    """

    part: int
    homes: int
    sums: dict[str, np.ndarray]
    indoor_sum: np.ndarray
    indoor_count: np.ndarray
    base_fleet: np.ndarray
    scores: list[dict[str, float]]
    issues: list[tuple[str, ...]]
    home_ids: list[int]
    frame: pd.DataFrame | None


@dataclass(frozen=True)
class DispatchRun:
    """A dispatch cut into chunks of homes, each a pure task (a
    :class:`~vppsim.dataset.build.Tasks`): what the chunks share is sent to each worker once,
    a chunk reads its own homes' rows and writes its own part file.

    Attributes
    ----------
    key : str
        A digest of what determines the results and of the staging folder (names the tasks).
    study : Study
        The dataset's small tables and the paths of its per-home files (absolute).
    strategy : {"none", "rule", "lp"}
    settings : DispatchSettings
    market : Market
    homes_chunk : int
        Homes per chunk: chunk ``k`` is the rows ``k * homes_chunk`` up to the next chunk's.
    staging : Path or None
        The folder whose ``homes/part-{k:05d}.parquet`` chunk ``k`` writes; None: the
        chunks return their schedules instead.
    """

    key: str
    study: Study
    strategy: Strategy
    settings: DispatchSettings
    market: Market
    homes_chunk: int
    staging: Path | None

    @property
    def parts(self) -> int:
        """Number of chunks."""
        return -(-len(self.study.assets) // self.homes_chunk)

    def run_parts(self, parts: tuple[int, ...]) -> list[ChunkResult]:
        """The chunks ``parts``, in that order (:func:`run_chunk`)."""
        return [run_chunk(self, part) for part in parts]


def run_chunk(run: DispatchRun, part: int) -> ChunkResult:
    """Dispatch chunk ``part`` of ``run``: read its homes, schedule, replay through the
    kernels, score, and write its part file. A home's results depend on its own inputs
    only, so any process may run any chunk, in any order, any number of times (a part file
    is written whole again), with the same bytes."""
    study, market, settings = run.study, run.market, run.settings
    first = part * run.homes_chunk
    rows = np.arange(first, min(first + run.homes_chunk, len(study.assets)))
    n = market.n
    chunk = prepare_chunk(study, rows)
    schedules = schedule_chunk(chunk, run.strategy, market, settings)
    baseline = (
        schedules if run.strategy == "none" else schedule_chunk(chunk, "none", market, settings)
    )
    replayed = replay(schedules, chunk.series, chunk.assets, market, settings)
    scores = [
        score(s, x, a, market, settings, replayed=r)
        for s, x, a, r in zip(schedules, chunk.series, chunk.assets, replayed, strict=True)
    ]
    meters = np.column_stack([s.meter_kw(x) for s, x in zip(schedules, chunk.series, strict=True)])
    base_fleet = sum(
        (s.meter_kw(x) for s, x in zip(baseline, chunk.series, strict=True)), np.zeros(n)
    )
    frame = _home_frame(chunk, schedules, meters, market, study.grid)
    indoor = frame["indoor_temp_c"].to_numpy(float).reshape(len(rows), n)
    meter = frame["meter_kw"].to_numpy(float).reshape(len(rows), n)
    sums = {
        c: frame[c].to_numpy(float).reshape(len(rows), n).sum(axis=0)
        for c in HOME_COLUMNS
        if c in FLEET_SUMS
    }
    sums |= {
        "import_kw": np.maximum(meter, 0.0).sum(axis=0),
        "export_kw": np.maximum(-meter, 0.0).sum(axis=0),
        "pv_kw": sum((x.pv_kw for x in chunk.series), np.zeros(n)),
    }
    if run.staging is not None:
        _parquet(frame, run.staging / HOMES_FOLDER / f"part-{part:05d}.parquet")
    return ChunkResult(
        part=part,
        homes=len(rows),
        sums=sums,
        indoor_sum=np.nansum(indoor, axis=0),
        indoor_count=np.sum(~np.isnan(indoor), axis=0),
        base_fleet=base_fleet,
        scores=scores,
        issues=[s.issues + note for s, note in zip(schedules, chunk.notes, strict=True)],
        home_ids=chunk.home_ids.tolist(),
        frame=None if run.staging is not None else frame,
    )


def load_dispatch_models() -> None:
    """A Dask worker's first task: unpickling it imports this module, and with it the
    dispatch, its LP solver and the device kernels, before the first chunk arrives."""


def dispatch_study(
    study: Study,
    strategy: Strategy,
    settings: DispatchSettings | None = None,
    ancillary: bool = True,
    homes_chunk: int = DEFAULT_CHUNK,
    staging: Path | None = None,
    progress: Callable[[int], None] | None = None,
    executor: Executor | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, dict[str, Any]]:
    """Run ``strategy`` over the study's homes, a chunk at a time.

    Parameters
    ----------
    study : Study
    strategy : {"none", "rule", "lp"}
    settings : DispatchSettings, optional
    ancillary : bool
        Bid AS capacity where the market has AS prices (False: energy only).
    homes_chunk : int
        Homes per chunk (memory is bounded by a chunk's series).
    staging : Path, optional
        Chunk ``k``'s long schedules go to ``staging/homes/part-{k:05d}.parquet``; without
        it they are returned concatenated (the first value), else that value is empty.
    progress : callable, optional
        Called with the number of homes of each finished chunk.
    executor : vppsim.dataset.build.Executor, optional
        Runs the chunks (:class:`~vppsim.dataset.distributed.DaskExecutor`: on a Dask
        cluster); without it they run one after the other in this process. The results
        are the same either way.

    Returns
    -------
    homes, fleet, kpis : pandas.DataFrame
        Long schedules (:data:`HOME_COLUMNS`), the fleet's sums, one KPI row per home.
    summary : dict
    """
    if strategy not in STRATEGIES:
        raise ConfigError(f"strategy={strategy!r}: choose one of {', '.join(STRATEGIES)}")
    if not isinstance(homes_chunk, int) or homes_chunk < 1:
        raise ConfigError(f"homes_chunk={homes_chunk!r}: need a whole number >= 1")
    settings = settings or DispatchSettings()
    market = market_from_frame(study.market, study.timezone, ancillary)
    n = market.n
    if n != len(study.grid):
        raise ConfigError(f"market: {n} intervals, the study's grid has {len(study.grid)}")
    # A worker may run elsewhere: the per-home files by absolute path.
    study = replace(
        study,
        load_files=[f.absolute() for f in study.load_files],
        pv_files=[f.absolute() for f in study.pv_files],
    )
    key = json.dumps(
        [
            study.checksum,
            strategy,
            settings.model_dump(mode="json"),
            ancillary,
            homes_chunk,
            str(staging),
        ],
        sort_keys=True,
    )
    run = DispatchRun(
        hashlib.sha256(key.encode()).hexdigest()[:16],
        study,
        strategy,
        settings,
        market,
        homes_chunk,
        None if staging is None else Path(staging).absolute(),
    )
    results = (
        executor.run(run)
        if executor is not None
        else (result for part in range(run.parts) for result in run.run_parts((part,)))
    )
    sums = {c: np.zeros(n) for c in FLEET_SUMS}
    indoor_sum, indoor_count = np.zeros(n), np.zeros(n)
    base_fleet = np.zeros(n)
    scores, issues, ids, frames = [], [], [], []
    # The chunks' sums are added in chunk order, whatever order they finished in.
    for chunk in in_order(results, progress or (lambda homes: None)):
        for column in sums:
            sums[column] += chunk.sums[column]
        indoor_sum += chunk.indoor_sum
        indoor_count += chunk.indoor_count
        base_fleet += chunk.base_fleet
        scores += chunk.scores
        issues += chunk.issues
        ids += chunk.home_ids
        if chunk.frame is not None:
            frames.append(chunk.frame)
    fleet = pd.DataFrame(
        {
            "timestamp": _utc_us(study.grid.as_unit("us").asi8),
            **{c: v for c, v in sums.items()},
            "indoor_temp_c": np.where(
                indoor_count > 0, indoor_sum / np.maximum(indoor_count, 1), np.nan
            ),
        }
    )
    kpis = pd.DataFrame(
        {
            "home_id": np.asarray(ids, dtype=np.int32),
            **{c: np.array([s[key] for s in scores]) for c, key in KPI_COLUMNS.items()},
        }
    )
    totals = fleet_summary(scores, -sums["meter_kw"][:, None], base_fleet[:, None], issues, ids)
    summary = {
        "written_by": OWNER,
        "strategy": strategy,
        "period": {
            "first_interval_start": study.grid[0].isoformat(),
            "last_interval_start": study.grid[-1].isoformat(),
            "intervals": n,
            "interval_minutes": study.interval_minutes,
            "timezone": study.timezone,
        },
        "homes": len(ids),
        "settings": {
            **settings.model_dump(mode="json"),
            "ancillary_services": market.ancillary is not None,
        },
        "kpis": {k: v for k, v in totals.items() if k not in ("homes", "issues")},
        "issues": totals["issues"],
        "input_manifest_sha256": study.checksum,
    }
    homes = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    return homes, fleet, kpis, summary


def _parquet(frame: pd.DataFrame, path: Path) -> None:
    table = pa.Table.from_pandas(frame, preserve_index=False).replace_schema_metadata(None)
    pq.write_table(table, path, compression="zstd")


def write_dispatch(
    root: Path | str,
    strategy: Strategy,
    settings: DispatchSettings | None = None,
    ancillary: bool = True,
    homes_chunk: int = DEFAULT_CHUNK,
    progress: Callable[[int], Callable[[int], None]] | None = None,
    executor: Executor | None = None,
) -> tuple[Path, dict[str, Any]]:
    """``vppsim dispatch``: run ``strategy`` on the dataset ``root`` and write
    ``root/dispatch/<strategy>/`` atomically (a staging folder beside it, then a rename).

    An existing ``dispatch/<strategy>/`` is replaced only if it holds nothing but what this
    function writes; otherwise the run stops with a one-line error and nothing is deleted.

    Parameters
    ----------
    progress : callable, optional
        ``progress(total_homes)`` returns the per-chunk callback (a progress bar).
    executor : vppsim.dataset.build.Executor, optional
        Runs the chunks (see :func:`dispatch_study`); each writes its own part file into
        the staging folder.

    Returns
    -------
    path, summary
    """
    study = read_study(root)
    if strategy not in STRATEGIES:
        raise ConfigError(f"strategy={strategy!r}: choose one of {', '.join(STRATEGIES)}")
    parent = Path(root).absolute() / DISPATCH_FOLDER
    target = parent / strategy
    if target.is_symlink() or (target.exists() and not target.is_dir()):
        raise ConfigError(f"refusing to replace {target}: not a folder vppsim wrote")
    if target.exists() and any(target.iterdir()) and not is_dispatch_output(target):
        raise ConfigError(
            f"refusing to replace {target}: it holds files vppsim dispatch did not write"
        )
    parent.mkdir(exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{strategy}.partial-{os.getpid()}-", dir=parent))
    try:
        (staging / HOMES_FOLDER).mkdir()
        _, fleet, kpis, summary = dispatch_study(
            study,
            strategy,
            settings,
            ancillary,
            homes_chunk,
            staging,
            progress=None if progress is None else progress(len(study.assets)),
            executor=executor,
        )
        _parquet(fleet, staging / FLEET_FILE)
        _parquet(kpis, staging / KPIS_FILE)
        text = json.dumps(summary, indent=2, sort_keys=True, allow_nan=False) + "\n"
        (staging / SUMMARY_FILE).write_text(text, encoding="utf-8")
        staging.chmod(0o755)
        if target.exists():
            aside = Path(tempfile.mkdtemp(prefix=f".{strategy}.old-", dir=parent))
            os.rename(target, aside / strategy)
            os.rename(staging, target)
            shutil.rmtree(aside)
        else:
            os.rename(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return target, summary
