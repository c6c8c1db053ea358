"""Build a study: resolve each dataset in dependency order, write, validate, commit atomically.

Synthetic models run on a grid of at most 15 minutes; a 30- or 60-min study is the mean of
that realisation over each interval, so the same seed gives the same weather, prices and
load at every resolution (a coarser interval only averages them).
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np
import pandas as pd

from vppsim.config import Settings
from vppsim.dataset.atomic import Derived, commit, staging_folder
from vppsim.dataset.budget import check_budget, homes_per_chunk
from vppsim.dataset.manifest import Manifest
from vppsim.dataset.schemas import HOME_ID, TIMESTAMP, DatasetSpec, check_source_data
from vppsim.dataset.sources import (
    HomeBatch,
    Registry,
    SourceContext,
    SourceResult,
    Study,
    resolve,
)
from vppsim.dataset.validate import ValidationReport, validate_directory
from vppsim.dataset.writer import RAW, DatasetWriter
from vppsim.errors import ValidationFailed, VppsimError

SIMULATION_MINUTES = 15
"""The finest interval the synthetic models are built for; coarser studies average it."""


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
    """Resolves datasets once each, in dependency order, so every dataset sees one weather."""

    def __init__(self, settings: Settings, registry: Registry):
        self.settings = settings
        self.registry = registry
        self.study = study_of(settings)
        minutes = min(settings.interval_minutes, SIMULATION_MINUTES)
        self.factor = settings.interval_minutes // minutes
        self.simulation = dataclasses.replace(
            study_of(settings, minutes), output_factor=self.factor
        )
        self._results: dict[str, SourceResult] = {}
        self.raw_dir: Path | None = None
        self.previous_raw_dir: Path | None = None

    @property
    def grid(self) -> pd.DatetimeIndex:
        """The study's UTC interval starts."""
        return self.study.grid

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
            self._results[name] = resolve(
                dataset,
                self.settings.options(name),
                self.simulation,
                inputs,
                check_source_data,
                self._context,
            )
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

    def homes(self, home_ids: np.ndarray) -> pd.DataFrame:
        """Long-format rows of the (first) per-home dataset for ``home_ids``."""
        name = next(n for n in self.datasets if self.registry.spec(n).per_home)
        return self.result(name).data(np.asarray(home_ids, dtype=np.int32))


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
) -> BuildResult:
    """Build every dataset of ``settings`` into ``settings.out`` (see :func:`write_dataset`)."""
    return write_dataset(
        Pipeline(settings, registry),
        Path(settings.out),
        progress,
        force=force,
        derived=derived,
        raw_from=raw_from,
    )


def write_dataset(
    pipeline: Pipeline,
    target: Path,
    progress: Progress | None = None,
    *,
    force: bool = False,
    derived: Derived | None = None,
    raw_from: Path | None = None,
) -> BuildResult:
    """Write every dataset of ``pipeline`` into ``target``, atomically.

    The build goes into a hidden sibling folder, is validated there, and only then
    replaces ``target``. On any failure the previous dataset stays as it was. Files in
    ``target`` that vppsim did not write are never deleted: the build refuses (or, with
    ``force``, carries them over). Derived outputs the previous dataset had (``derived``:
    folder name -> :class:`DerivedOutput`, e.g. the charts) are written anew from the new
    data, or left out where the new data does not support them. Live sources reuse the raw
    answers cached in the dataset at ``raw_from`` (default: ``target``, the one replaced).

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
        writer = DatasetWriter(staging, settings, pipeline.grid, chunk)
        for spec in specs:
            if spec.attributes:
                advance = progress.start(f"{spec.name}: {settings.homes:,} homes", settings.homes)
                result = pipeline.result(spec.name)
                writer.write_attributes(spec, result.data, result.provenance, advance)
            elif spec.per_home:
                advance = progress.start(f"{spec.name}: {settings.homes:,} homes", settings.homes)
                result = pipeline.result(spec.name)
                writer.write_homes(spec, result.data, result.provenance, advance, result.home_table)
            else:
                advance = progress.start(spec.name, 1)
                result = pipeline.result(spec.name)
                writer.write_table(spec, result.data, result.provenance)
                advance(1)
            writer.write_documents(spec.name, result.documents)
        manifest = writer.write_manifest({spec.name: spec for spec in specs})
        advance = progress.start("validate", 1)
        report = validate_directory(staging, pipeline.specs)
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
