"""Build a study: resolve each dataset in dependency order, write, validate, commit atomically."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pandas as pd

from vppsim.config import DATASETS, Settings
from vppsim.dataset.atomic import commit, staging_folder
from vppsim.dataset.registry import default_registry
from vppsim.dataset.schemas import SPECS
from vppsim.dataset.sources import SourceContext, SourceRegistry, SourceResult, resolve
from vppsim.dataset.writer import DatasetWriter
from vppsim.errors import ValidationFailed
from vppsim.grid import build_grid
from vppsim.validate import ValidationReport, check_source_data, validate_directory


class Progress(Protocol):
    """Reports progress of the long steps; the CLI shows it as rich progress bars."""

    def start(self, description: str, total: int) -> Callable[[int], None]:
        """Begin a step of ``total`` units; return a function that advances it."""


class _Silent:
    def start(self, description: str, total: int) -> Callable[[int], None]:
        return lambda advance: None


class Pipeline:
    """Resolves datasets once each, in dependency order, so every dataset sees one weather."""

    def __init__(self, settings: Settings, registry: SourceRegistry | None = None):
        self.settings = settings
        self.registry = registry if registry is not None else default_registry()
        self.grid = build_grid(
            settings.start, settings.end, settings.timezone, settings.interval_minutes
        )
        self._results: dict[str, SourceResult] = {}
        self.context = SourceContext()

    def result(self, dataset: str) -> SourceResult:
        """The resolved source result of ``dataset`` (resolving its inputs first)."""
        if dataset not in self._results:
            inputs = {name: self.result(name) for name in SPECS[dataset].depends_on}
            self._results[dataset] = resolve(
                dataset,
                self.settings,
                self.grid,
                inputs,
                self.registry,
                check_source_data,
                self.context,
            )
        return self._results[dataset]

    @property
    def datasets(self) -> list[str]:
        """The requested datasets and those they derive from, in build order."""
        wanted = set(self.settings.datasets)
        for name in reversed(DATASETS):
            if name in wanted:
                wanted.update(SPECS[name].depends_on)
        return [name for name in DATASETS if name in wanted]

    def homes(self, home_ids: np.ndarray) -> pd.DataFrame:
        """Long-format load rows for ``home_ids``."""
        return self.result("load").data(np.asarray(home_ids, dtype=np.int32))


@dataclass(frozen=True)
class BuildResult:
    path: Path
    manifest: dict[str, Any]
    report: ValidationReport

    @property
    def fallbacks(self) -> dict[str, str]:
        """Datasets that fell back from live to synthetic, with the reason."""
        return {
            name: entry["fallback_reason"]
            for name, entry in self.manifest["provenance"].items()
            if entry["fallback_reason"]
        }


def build_dataset(
    settings: Settings, registry: SourceRegistry | None = None, progress: Progress | None = None
) -> BuildResult:
    """Build every dataset of ``settings`` into ``settings.out`` (see :func:`write_dataset`)."""
    return write_dataset(Pipeline(settings, registry), Path(settings.out), progress)


def write_dataset(
    pipeline: Pipeline, target: Path, progress: Progress | None = None
) -> BuildResult:
    """Write every dataset of ``pipeline`` into ``target``, atomically.

    The build goes into a hidden sibling folder, is validated there, and only then
    replaces ``target``. On any failure the previous dataset stays as it was.

    Raises
    ------
    MissingSources
        Some dataset has no source of the requested kind; nothing is written.
    SourceUnavailable
        A ``live`` dataset could not be fetched.
    ValidationFailed
        The built dataset failed validation; it is discarded.
    """
    settings = pipeline.settings
    pipeline.registry.require_all(settings, pipeline.datasets)
    progress = progress or _Silent()
    with staging_folder(target) as staging:
        pipeline.context = SourceContext(staging / "raw", Path(target).absolute() / "raw")
        writer = DatasetWriter(staging, settings, pipeline.grid)
        for dataset in pipeline.datasets:
            spec = SPECS[dataset]
            if spec.per_home:
                advance = progress.start(f"{dataset}: {settings.homes} homes", settings.homes)
                result = pipeline.result(dataset)
                writer.write_homes(spec, result.data, result.provenance, advance, result.home_table)
            else:
                advance = progress.start(dataset, 1)
                result = pipeline.result(dataset)
                writer.write_table(spec, result.data, result.provenance)
                advance(1)
        manifest = writer.write_manifest()
        advance = progress.start("validate", 1)
        report = validate_directory(staging)
        advance(1)
        if not report.ok:
            raise ValidationFailed(report.failures)
        commit(staging, target)
    return BuildResult(target, manifest, report)
