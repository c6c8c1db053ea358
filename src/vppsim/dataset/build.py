"""Build a study: resolve each dataset in dependency order, write, validate, commit atomically.

Synthetic models run on a grid of at most 15 minutes; a 30- or 60-min study is the mean of
that realisation over each interval, so the same seed gives the same weather, prices and
load at every resolution (a coarser interval only averages them).
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import hashlib
import json
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np
import pandas as pd
import pyarrow as pa

from vppsim.config import OutputFormat, Settings
from vppsim.dataset.atomic import Derived, commit, staging_folder
from vppsim.dataset.budget import check_budget, homes_per_chunk
from vppsim.dataset.manifest import Manifest, Resource
from vppsim.dataset.rollups import Calendar, ChunkRollup, filter_masks, rollup_chunk
from vppsim.dataset.schemas import HOME_ID, TIMESTAMP, DatasetSpec, check_source_data
from vppsim.dataset.sources import (
    HomeBatch,
    Provenance,
    Registry,
    SourceContext,
    SourceResult,
    Study,
    replay,
    resolve,
)
from vppsim.dataset.validate import ValidationReport, part_failures, validate_directory
from vppsim.dataset.writer import RAW, DatasetWriter, arrow_table, write_home_part
from vppsim.errors import ValidationFailed, VppsimError

SIMULATION_MINUTES = 15
"""The finest interval the synthetic models are built for; coarser studies average it."""
ROLLED_UP = {"load": ("load_kw", "hvac_kw"), "pv": ("pv_kw",)}
"""The per-home datasets the rollups (:mod:`vppsim.dataset.rollups`) sum, and their columns
(each where the dataset has it; ``load_kw`` always); the rollups are filed with the first."""


class Progress(Protocol):
    """Reports progress of the long steps; the CLI shows it as rich progress bars."""

    def start(self, description: str, total: int) -> Callable[[int], None]:
        """Begin a step of ``total`` units; return a function that advances it."""


class _Silent:
    def start(self, description: str, total: int) -> Callable[[int], None]:
        return lambda advance: None


def study_of(settings: Settings, interval_minutes: int | None = None) -> Study:
    """The :class:`Study` of ``settings`` on its own grid or on ``interval_minutes``."""
    return Study.over(
        settings.start,
        settings.end,
        settings.timezone,
        settings.latitude,
        settings.longitude,
        interval_minutes or settings.interval_minutes,
        settings.seed,
        settings.homes,
    )


def _block_means(values: np.ndarray, factor: int) -> np.ndarray:
    """Means of consecutive runs of ``factor`` values, in the values' own dtype."""
    n = len(values) // factor
    means = values[: n * factor].reshape(n, factor).mean(axis=1, dtype=np.float64)
    return means.astype(values.dtype)


def _coarse(spec: DatasetSpec, values: pd.Series, factor: int):
    """A value column over runs of ``factor`` intervals: the mean, or for a time (a
    forecast's issue time) the first."""
    if spec.column(values.name).is_datetime:
        n = len(values) // factor
        return values.iloc[: n * factor : factor].reset_index(drop=True)
    return _block_means(values.to_numpy(), factor)


def coarsen_table(spec: DatasetSpec, frame: pd.DataFrame, factor: int) -> pd.DataFrame:
    """Mean of each run of ``factor`` intervals of a table (per combination of other keys)."""
    if factor == 1:
        return frame
    others = [key for key in spec.keys if key != TIMESTAMP]
    values = [c.name for c in spec.value_columns if c.name in frame.columns]
    grouped = frame.groupby(others, sort=False, observed=True) if others else [((), frame)]
    parts = []
    for _, group in grouped:
        n = len(group) // factor
        part = {
            key: group[key].iloc[: n * factor : factor].reset_index(drop=True)
            for key in [*others, TIMESTAMP]
        }
        for name in values:
            part[name] = _coarse(spec, group[name], factor)
        parts.append(pd.DataFrame(part))
    return pd.concat(parts, ignore_index=True)[list(frame.columns)]


def coarsen_homes(spec: DatasetSpec, batch: HomeBatch, factor: int) -> HomeBatch:
    """A per-home batch whose rows are means of ``factor`` intervals of ``batch``'s rows."""
    if factor == 1:
        return batch

    def coarse(home_ids: np.ndarray) -> pd.DataFrame:
        frame = batch(home_ids)
        result = {
            HOME_ID: frame[HOME_ID].to_numpy()[::factor],
            TIMESTAMP: frame[TIMESTAMP].iloc[::factor].reset_index(drop=True),
        }
        for column in spec.value_columns:
            if column.name in frame.columns:
                result[column.name] = _coarse(spec, frame[column.name], factor)
        return pd.DataFrame(result)

    return coarse


class Pipeline:
    """Resolves datasets once each, in dependency order, so every dataset sees one weather.

    A worker's pipeline starts from the build's ``resolved`` datasets (on the simulation
    grid) and runs the per-home datasets' sources the build ``chosen`` (their provenance)
    again, without resolving or checking anything twice.
    """

    def __init__(
        self,
        settings: Settings,
        registry: Registry,
        resolved: Mapping[str, SourceResult] | None = None,
        chosen: Mapping[str, Provenance] | None = None,
    ):
        self.settings = settings
        self.registry = registry
        self.study = study_of(settings)
        minutes = min(settings.interval_minutes, SIMULATION_MINUTES)
        self.factor = settings.interval_minutes // minutes
        self.simulation = dataclasses.replace(
            study_of(settings, minutes), output_factor=self.factor
        )
        self._results: dict[str, SourceResult] = dict(resolved or {})
        self._chosen = dict(chosen or {})
        self.raw_dir: Path | None = None
        self.previous_raw_dir: Path | None = None

    @property
    def grid(self) -> pd.DatetimeIndex:
        """The study's UTC interval starts."""
        return self.study.grid

    @functools.cached_property
    def calendar(self) -> Calendar:
        """The local days of the study's grid (the rollups'), made once per pipeline."""
        settings = self.settings
        return Calendar.of(self.grid, settings.timezone, settings.interval_minutes)

    def _context(self, source) -> SourceContext:
        settings = self.settings
        return SourceContext(
            raw_dir=self.raw_dir,
            previous_raw_dir=self.previous_raw_dir,
            http_timeout_s=settings.http_timeout_s,
            deadline_s=settings.fallback_deadline_s,
            credentials={name: getattr(settings, name) for name in source.credentials},
        )

    def _simulated(self, name: str) -> SourceResult:
        """``name`` on the simulation grid (what dependent sources read)."""
        if name not in self._results:
            dataset = self.registry[name]
            inputs = {dep: self._simulated(dep) for dep in dataset.spec.depends_on}
            options = self.settings.options(name)
            if name in self._chosen:
                result = replay(
                    dataset, options, self.simulation, inputs, self._context, self._chosen[name]
                )
            else:
                result = resolve(
                    dataset, options, self.simulation, inputs, check_source_data, self._context
                )
            self._results[name] = result
        return self._results[name]

    def result(self, dataset: str) -> SourceResult:
        """The resolved source result of ``dataset`` on the study grid."""
        result = self._simulated(dataset)
        spec = self.registry.spec(dataset)
        if self.factor == 1 or spec.attributes:
            return result
        if spec.per_home:
            data = coarsen_homes(spec, result.data, self.factor)
        else:
            data = coarsen_table(spec, result.data, self.factor)
        return dataclasses.replace(result, data=data)

    @property
    def datasets(self) -> list[str]:
        """The requested datasets and those they derive from, in build order."""
        return self.registry.closure(self.settings.built_datasets)

    @property
    def specs(self) -> Mapping[str, DatasetSpec]:
        return {name: self.registry.spec(name) for name in self.registry.names}

    def per_home(self) -> list[str]:
        """The datasets built chunk by chunk of homes (per-home and attribute), in order."""
        specs = [self.registry.spec(name) for name in self.datasets]
        return [spec.name for spec in specs if spec.per_home or spec.attributes]

    def run_inputs(self, root: Path, chunk_homes: int) -> RunInputs:
        """What the chunks of this build share, once every dataset is resolved."""
        per_home = self.per_home()
        for name in self.datasets:
            self._simulated(name)
        tables = {n: r for n, r in self._results.items() if n in self.datasets}
        for name in per_home:
            del tables[name]
        previous = self.previous_raw_dir
        config = json.dumps([self.settings.redacted(), str(root)], sort_keys=True, default=str)
        return RunInputs(
            key=hashlib.sha256(config.encode()).hexdigest()[:16],
            settings=self.settings,
            registry=self.registry,
            root=root,
            previous_raw_dir=previous,
            tables=tables,
            chosen={name: self._results[name].provenance for name in per_home},
            chunk_homes=chunk_homes,
        )

    def homes(self, home_ids: np.ndarray) -> pd.DataFrame:
        """Long-format rows of the (first) per-home dataset for ``home_ids``."""
        name = next(n for n in self.datasets if self.registry.spec(n).per_home)
        return self.result(name).data(np.asarray(home_ids, dtype=np.int32))


@dataclass(frozen=True)
class RunInputs:
    """What every chunk of a build shares: sent to each worker once, not with each task.

    Attributes
    ----------
    key : str
        The run key: a digest of the settings and the staging folder; a worker keeps one
        pipeline per key.
    settings, registry
        The study and its datasets.
    root : Path
        The staging folder the parts are written into.
    previous_raw_dir : Path or None
        ``raw/`` of the dataset being replaced (live answers to reuse).
    tables : mapping
        The resolved datasets that are not per home (weather, prices, forecasts, ...), on
        the simulation grid.
    chosen : mapping
        The provenance of each per-home dataset: the source the build resolved and checked.
    chunk_homes : int
        Homes per part: part ``k`` holds homes ``k * chunk_homes`` up to the next part's.
    """

    key: str
    settings: Settings
    registry: Registry
    root: Path
    previous_raw_dir: Path | None
    tables: Mapping[str, SourceResult]
    chosen: Mapping[str, Provenance]
    chunk_homes: int

    @property
    def rollups(self) -> bool:
        """Whether the chunks' rollups are written: with the Parquet files they stand for."""
        return OutputFormat.PARQUET in self.settings.formats

    @property
    def parts(self) -> int:
        """Number of parts (chunks of homes) of the fleet."""
        return -(-self.settings.homes // self.chunk_homes)

    def home_ids(self, part: int) -> np.ndarray:
        """The home ids of chunk ``part`` [int32]."""
        first = part * self.chunk_homes
        return np.arange(first, min(first + self.chunk_homes, self.settings.homes), dtype=np.int32)

    def pipeline(self) -> Pipeline:
        """A pipeline that builds the per-home datasets from the shared inputs."""
        pipeline = Pipeline(self.settings, self.registry, self.tables, self.chosen)
        pipeline.raw_dir = self.root / RAW
        pipeline.previous_raw_dir = self.previous_raw_dir
        return pipeline

    def run_parts(self, parts: tuple[int, ...]) -> list[PartResult]:
        """The chunks ``parts`` (:func:`run_parts`): what makes these inputs :class:`Tasks`."""
        return run_parts(self, parts)


@dataclass(frozen=True)
class PartResult:
    """What a chunk of homes gave: the files its worker wrote (manifest entries, per dataset
    in the order written), the attribute rows the client streams into one file, the
    failures of each Parquet part written (relative path -> failures; see
    :func:`~vppsim.dataset.validate.part_failures`), the chunk's rollups (None for a
    study without load or Parquet, or a part that failed its checks) and the seconds its
    steps took (``model``, ``write``, ``validate``, ``rollup``; a benchmark's figures,
    written nowhere). The attribute rows are Arrow tables, made on the worker: converting
    55 columns from pandas was the client's largest serial cost."""

    part: int
    homes: int
    files: Mapping[str, list[Resource]]
    rows: Mapping[str, pa.Table]
    checked: Mapping[str, list[str]]
    rollup: ChunkRollup | None = None
    seconds: Mapping[str, float] = dataclasses.field(default_factory=dict)


class _Stopwatch:
    """Seconds spent per named step, added up over a part."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._mark = time.perf_counter()

    def lap(self, step: str) -> None:
        """Book the time since the previous lap to ``step``."""
        now = time.perf_counter()
        self.seconds[step] = self.seconds.get(step, 0.0) + now - self._mark
        self._mark = now


def run_part(pipeline: Pipeline, inputs: RunInputs, part: int) -> PartResult:
    """Generate chunk ``part`` of every per-home dataset and write its files into the
    staging folder. Home ``i``'s data depends on the seed and ``i`` only, so any process
    may run any part, in any order, any number of times, with the same bytes. Each Parquet
    part is validated here, where it was written, so validation runs on the workers: from
    the table written, not read back (see :func:`~vppsim.dataset.validate.part_failures`)."""
    home_ids = inputs.home_ids(part)
    files, rows, checked, values = {}, {}, {}, {}
    clock = _Stopwatch()
    for name in inputs.chosen:
        spec = inputs.registry.spec(name)
        result = pipeline.result(name)
        if spec.attributes:
            files[name], rows[name] = [], result.data(home_ids)
            clock.lap("model")
            continue
        frame = result.data(home_ids)
        if result.home_table is not None:
            rows[name] = result.home_table(home_ids)
        clock.lap("model")
        table = arrow_table(spec, frame)
        del frame
        files[name] = write_home_part(
            inputs.root, inputs.settings, pipeline.grid, spec, table, part
        )
        clock.lap("write")
        good = True
        for resource in files[name]:
            if resource.format == "parquet":
                path = resource.path
                checked[path] = part_failures(inputs.root, spec, path, table, pipeline.study)
                good = good and not checked[path]
        clock.lap("validate")
        if name in ROLLED_UP and good:
            values[name] = {
                column: table.column(column).to_numpy()
                for column in ROLLED_UP[name]
                if column in table.column_names
            }
        del table
    rollup = None
    wanted = set(ROLLED_UP) & set(inputs.chosen)
    if "load" in wanted and wanted <= set(values) and inputs.rollups:
        masks = filter_masks(rows.get("load"), len(home_ids))
        load, pv = values["load"], values.get("pv", {})
        rollup = rollup_chunk(
            home_ids,
            load["load_kw"],
            load.get("hvac_kw"),
            pv.get("pv_kw"),
            masks,
            pipeline.calendar,
        )
        clock.lap("rollup")
    tables = {
        name: pa.Table.from_pandas(frame, preserve_index=False).replace_schema_metadata(None)
        for name, frame in rows.items()
    }
    clock.lap("write")
    return PartResult(part, len(home_ids), files, tables, checked, rollup, clock.seconds)


_WORKER_PIPELINES: dict[str, Pipeline] = {}
"""A worker's pipeline of the run it serves, by run key (one run at a time)."""


def run_parts(inputs: RunInputs, parts: tuple[int, ...]) -> list[PartResult]:
    """The task a worker runs: the chunks ``parts`` of the run ``inputs`` (broadcast once
    per worker). The worker's pipeline is kept across tasks of the same run, so the shared
    inputs are prepared once per worker, not once per task."""
    if inputs.key not in _WORKER_PIPELINES:
        _WORKER_PIPELINES.clear()
        _WORKER_PIPELINES[inputs.key] = inputs.pipeline()
    pipeline = _WORKER_PIPELINES[inputs.key]
    return [run_part(pipeline, inputs, part) for part in parts]


class Tasks(Protocol):
    """Work cut into parts any process may run (a build's :class:`RunInputs`, a dispatch's
    :class:`~vppsim.fleet.run.DispatchRun`): picklable, sent to each worker once, the same
    results whichever process runs a part and however the parts are grouped into tasks.
    A part's result has ``part`` (its index) and ``homes`` (for progress)."""

    key: str
    """The run's key: a digest of what determines its results (names its cluster tasks)."""

    @property
    def parts(self) -> int:
        """Number of parts."""

    def run_parts(self, parts: tuple[int, ...]) -> list:
        """The results of the parts ``parts``, in that order."""


class Executor(Protocol):
    """Runs every part of a :class:`Tasks` (a build's, a dispatch's), in-process or on a
    cluster."""

    def run(self, tasks: Tasks) -> Iterator:
        """The result of each part of ``tasks``, in any order."""


class InProcess:
    """The parts one after the other in this process, by the build's own ``pipeline``
    (whose per-home datasets are resolved already: a worker's replay of them would build
    their shared state again): the default, for small studies."""

    def __init__(self, pipeline: Pipeline):
        self.pipeline = pipeline

    def run(self, inputs: RunInputs) -> Iterator[PartResult]:
        for part in range(inputs.parts):
            yield run_part(self.pipeline, inputs, part)


def in_order(results: Iterator, done: Callable[[int], None]) -> Iterator:
    """``results`` (of a :class:`Tasks`' parts) in part order, whatever order they came in;
    ``done(homes)`` as each arrives. Only parts that came early are held."""
    early: dict = {}
    expected = 0
    for result in results:
        done(result.homes)
        early[result.part] = result
        while expected in early:
            yield early.pop(expected)
            expected += 1


@dataclass(frozen=True)
class BuildResult:
    path: Path
    manifest: Manifest
    report: ValidationReport

    @property
    def fallbacks(self) -> dict[str, str]:
        """Datasets that fell back from live to synthetic, with the reason."""
        return {
            name: entry.fallback_reason
            for name, entry in self.manifest.provenance.items()
            if entry.fallback_reason
        }


def build_dataset(
    settings: Settings,
    registry: Registry,
    progress: Progress | None = None,
    *,
    force: bool = False,
    derived: Derived | None = None,
    raw_from: Path | None = None,
    executor: Executor | None = None,
) -> BuildResult:
    """Build every dataset of ``settings`` into ``settings.out`` (see :func:`write_dataset`)."""
    return write_dataset(
        Pipeline(settings, registry),
        Path(settings.out),
        progress,
        force=force,
        derived=derived,
        raw_from=raw_from,
        executor=executor,
    )


def write_dataset(
    pipeline: Pipeline,
    target: Path,
    progress: Progress | None = None,
    *,
    force: bool = False,
    derived: Derived | None = None,
    raw_from: Path | None = None,
    executor: Executor | None = None,
) -> BuildResult:
    """Write every dataset of ``pipeline`` into ``target``, atomically.

    The build goes into a hidden sibling folder, is validated there, and only then
    replaces ``target``. On any failure the previous dataset stays as it was. Files in
    ``target`` that vppsim did not write are never deleted: the build refuses (or, with
    ``force``, carries them over). Derived outputs the previous dataset had (``derived``:
    folder name -> :class:`DerivedOutput`, e.g. the charts) are written anew from the new
    data, or left out where the new data does not support them. Live sources reuse the raw
    answers cached in the dataset at ``raw_from`` (default: ``target``, the one replaced).

    The per-home datasets are written chunk by chunk by ``executor`` (default
    :class:`InProcess`; :mod:`vppsim.dataset.distributed` runs them on a Dask cluster): the
    bytes are the same whichever runs them.

    Raises
    ------
    ConfigError
        The target holds files vppsim did not write, or the study is beyond this
        machine's memory or disk (unless ``force``).
    MissingSources
        Some dataset has no source of the requested kind; nothing is written.
    SourceUnavailable
        A ``live`` dataset could not be fetched.
    ValidationFailed
        The built dataset failed validation; it is discarded.
    """
    settings = pipeline.settings
    target = Path(target)
    pipeline.registry.require_all({name: settings.options(name) for name in pipeline.datasets})
    specs = [pipeline.registry.spec(name) for name in pipeline.datasets]
    intervals = len(pipeline.simulation.grid)
    check_budget(settings, specs, intervals, len(pipeline.grid), target, force=force)
    progress = progress or _Silent()
    chunk = homes_per_chunk(settings, intervals)
    derived = derived or {}
    with staging_folder(target, force=force, derived=derived) as (staging, previous):
        pipeline.raw_dir = staging / RAW
        pipeline.previous_raw_dir = Path(raw_from or target).absolute() / RAW
        writer = DatasetWriter(staging, settings, pipeline.grid)
        for spec in specs:
            if not (spec.per_home or spec.attributes):
                advance = progress.start(spec.name, 1)
                result = pipeline.result(spec.name)
                writer.write_table(spec, result.data, result.provenance)
                advance(1)
        per_home = pipeline.per_home()
        checked: dict[str, list[str]] = {}
        if per_home:
            inputs = pipeline.run_inputs(staging, chunk)
            for name in per_home:
                result = pipeline.result(name)
                writer.open_homes(
                    pipeline.registry.spec(name), result.provenance, result.home_table is not None
                )
            advance = progress.start(
                f"{', '.join(per_home)}: {settings.homes:,} homes", settings.homes
            )
            for part in in_order((executor or InProcess(pipeline)).run(inputs), advance):
                for name in per_home:
                    writer.add_part(name, part.files[name], part.rows.get(name))
                if part.rollup is not None:
                    writer.add_rollup(next(iter(ROLLED_UP)), part.rollup)
                checked.update(part.checked)
            writer.close_homes()
            writer.close_rollups()
        for spec in specs:
            writer.write_documents(spec.name, pipeline.result(spec.name).documents)
        manifest = writer.write_manifest({spec.name: spec for spec in specs})
        advance = progress.start("validate", 1)
        report = validate_directory(staging, pipeline.specs, checked)
        advance(1)
        if not report.ok:
            raise ValidationFailed(report.failures)
        for folder, output in derived.items():
            if output.write is not None and (previous / folder).is_dir():
                # A derived output the new data does not support (charts of a dataset
                # this build no longer holds) is left out, like the data it showed.
                with contextlib.suppress(VppsimError):
                    output.write(staging)
        commit(staging, target, force=force, derived=derived)
    return BuildResult(target, manifest, report)
