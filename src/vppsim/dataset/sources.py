"""The source interface every dataset plugs into, and the live-or-synthetic choice.

A source turns ``(settings, grid, inputs, context)`` into data plus :class:`Provenance`.
Table datasets return a frame; per-home datasets return a :data:`HomeBatch` function
that generates any set of homes, so a fleet is built chunk by chunk and never held whole.
"""

from __future__ import annotations

import dataclasses
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from vppsim.config import DATASETS, Settings, SourceMode
from vppsim.errors import MissingSources, SourceUnavailable, ValidationFailed
from vppsim.rawcache import RawCache

HomeBatch = Callable[[np.ndarray], pd.DataFrame]
"""Generate long-format rows (``home_id, timestamp, ...``) for the given home ids [int]."""


class SourceKind(StrEnum):
    LIVE = "live"
    SYNTHETIC = "synthetic"


@dataclass(frozen=True)
class Provenance:
    """Where a dataset came from.

    Attributes
    ----------
    kind : SourceKind
        Live data or a synthetic model.
    source : str
        The endpoint or model, e.g. ``CAISO OASIS PRC_RTPD_LMP``.
    version : str
        Version of the endpoint, model or library that produced the data.
    parameters : dict
        Request or model parameters, with any key redacted.
    requested : SourceMode
        What the settings asked for.
    fallback_reason : str or None
        Why live data was not used, when ``requested`` was ``auto`` and synthetic won.
    notes : tuple of str
        Caveats a user must know, e.g. that a live answer is a typical year.
    """

    kind: SourceKind
    source: str
    version: str
    parameters: dict[str, Any] = field(default_factory=dict)
    requested: SourceMode = SourceMode.AUTO
    fallback_reason: str | None = None
    notes: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        values = dataclasses.asdict(self)
        values["kind"] = str(self.kind)
        values["requested"] = str(self.requested)
        values["notes"] = list(self.notes)
        return values


@dataclass(frozen=True)
class SourceResult:
    """A dataset's data (a frame, or a :data:`HomeBatch` for per-home data) and provenance.

    A per-home source may also give ``home_table``: the drawn attributes of the given homes,
    one row each (``home_id`` first), written as the fleet's asset table.
    """

    data: pd.DataFrame | HomeBatch
    provenance: Provenance
    home_table: Callable[[np.ndarray], pd.DataFrame] | None = None


@dataclass(frozen=True)
class SourceContext:
    """What a build offers its sources beyond the settings.

    Attributes
    ----------
    raw_dir : Path or None
        Where live sources cache the raw answers of this build (``raw/`` of the dataset
        being written); None outside a build.
    previous_raw_dir : Path or None
        ``raw/`` of the dataset being replaced, so a rerun reuses its answers.
    """

    raw_dir: Path | None = None
    previous_raw_dir: Path | None = None

    def raw_cache(self) -> RawCache | None:
        """The build's cache of raw live answers, or None outside a build."""
        if self.raw_dir is None:
            return None
        return RawCache(self.raw_dir, self.previous_raw_dir)


def as_table(frame: pd.DataFrame) -> pd.DataFrame:
    """A model frame indexed by the grid as a contract table with a ``timestamp`` column."""
    return frame.rename_axis("timestamp").reset_index()


class Source(ABC):
    """Base class of every dataset source.

    Subclasses set ``dataset`` and ``kind`` and implement :meth:`fetch`. A live source
    raises :class:`~vppsim.errors.SourceUnavailable` when it cannot deliver, with a
    message that says why (it becomes the recorded fallback reason).
    """

    dataset: ClassVar[str]
    kind: ClassVar[SourceKind]

    @abstractmethod
    def fetch(
        self,
        settings: Settings,
        grid: pd.DatetimeIndex,
        inputs: Mapping[str, SourceResult],
        context: SourceContext,
    ) -> SourceResult:
        """Return the dataset on ``grid``; ``inputs`` holds the datasets it depends on."""


class SourceRegistry:
    """Which source classes serve which dataset, live and synthetic."""

    def __init__(self, sources: list[type[Source]] | None = None):
        self._sources: dict[tuple[str, SourceKind], type[Source]] = {}
        for source in sources or []:
            self.register(source)

    def register(self, source: type[Source]) -> type[Source]:
        """Register ``source`` (usable as a class decorator)."""
        if source.dataset not in DATASETS:
            raise ValueError(f"unknown dataset {source.dataset!r}")
        self._sources[(source.dataset, SourceKind(source.kind))] = source
        return source

    def get(self, dataset: str, kind: SourceKind) -> type[Source] | None:
        return self._sources.get((dataset, kind))

    def missing(self, settings: Settings, datasets: list[str]) -> list[str]:
        """Those of ``datasets`` that no registered source can serve in their requested mode."""
        missing = []
        for dataset in datasets:
            mode = settings.source_mode(dataset)
            kinds = _KINDS_FOR_MODE[mode]
            if not any(self.get(dataset, kind) for kind in kinds):
                missing.append(f"{dataset} ({'/'.join(kinds)})")
        return missing

    def require_all(self, settings: Settings, datasets: list[str]) -> None:
        """Raise :class:`MissingSources` naming every dataset without a usable source."""
        missing = self.missing(settings, datasets)
        if missing:
            raise MissingSources(
                "no source implemented yet for: " + ", ".join(missing) + "; nothing was written"
            )


_KINDS_FOR_MODE = {
    SourceMode.AUTO: (SourceKind.LIVE, SourceKind.SYNTHETIC),
    SourceMode.LIVE: (SourceKind.LIVE,),
    SourceMode.SYNTHETIC: (SourceKind.SYNTHETIC,),
}


def resolve(
    dataset: str,
    settings: Settings,
    grid: pd.DatetimeIndex,
    inputs: Mapping[str, SourceResult],
    registry: SourceRegistry,
    check: Callable[[str, pd.DataFrame | HomeBatch, pd.DatetimeIndex], list[str]],
    context: SourceContext | None = None,
) -> SourceResult:
    """Produce ``dataset`` from the source its mode asks for, falling back when allowed.

    ``check`` returns the contract failures of a result; live data that fails it is
    treated like an unreachable source, so a gap is never passed on or silently filled.

    Raises
    ------
    SourceUnavailable
        ``mode=live`` and the live source could not deliver.
    ValidationFailed
        A synthetic source broke the contract (a bug, never hidden by a fallback).
    """
    mode = settings.source_mode(dataset)
    live = registry.get(dataset, SourceKind.LIVE)
    no_live = f"no live source for {dataset} is implemented"
    # A reason is recorded only when a live source existed and could not deliver.
    reason = None
    if mode is not SourceMode.SYNTHETIC and live is not None:
        try:
            result = _checked(live(), dataset, settings, grid, inputs, context, check)
            return _stamp(result, mode, None)
        except SourceUnavailable as exc:
            if mode is SourceMode.LIVE:
                raise SourceUnavailable(f"{dataset} (source=live): {exc}") from None
            reason = str(exc)
    if mode is SourceMode.LIVE:
        raise SourceUnavailable(f"{dataset} (source=live): {no_live}")
    synthetic = registry.get(dataset, SourceKind.SYNTHETIC)
    if synthetic is None:
        raise SourceUnavailable(f"{dataset}: {reason or no_live}, and there is no synthetic source")
    try:
        result = _checked(synthetic(), dataset, settings, grid, inputs, context, check)
    except SourceUnavailable as exc:
        raise ValidationFailed([str(exc)]) from exc
    return _stamp(result, mode, reason)


def _checked(source, dataset, settings, grid, inputs, context, check) -> SourceResult:
    result = source.fetch(settings, grid, inputs, context or SourceContext())
    failures = check(dataset, result.data, grid)
    if failures:
        raise SourceUnavailable(
            f"{result.provenance.source} returned {dataset} data that breaks the contract: "
            + "; ".join(failures)
        )
    return result


def _stamp(result: SourceResult, mode: SourceMode, reason: str | None) -> SourceResult:
    provenance = dataclasses.replace(result.provenance, requested=mode, fallback_reason=reason)
    return dataclasses.replace(result, provenance=provenance)
