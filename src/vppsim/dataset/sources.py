"""The source interface every dataset plugs into, the registry of datasets, and the
live-or-synthetic choice.

A dataset is declared once, in its own module, as a :class:`Dataset`: its contract
(:class:`~vppsim.dataset.schemas.DatasetSpec`), its options model (source mode and model
parameters, a section of the settings) and its sources. A source turns ``(study, options,
inputs, context)`` into data plus :class:`Provenance`: it sees the study's grid and place,
its own dataset's options, the datasets it depends on, and only the credentials it declares.
Table datasets return a frame; per-home datasets return a :data:`HomeBatch` function that
generates any set of homes, so a fleet is built chunk by chunk and never held whole.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from vppsim.dataset.schemas import HOME_ID, TIMESTAMP, DatasetSpec
from vppsim.errors import ConfigError, MissingSources, SourceUnavailable, ValidationFailed
from vppsim.grid import build_grid
from vppsim.options import DatasetOptions, SourceMode
from vppsim.rawcache import RawCache

HomeBatch = Callable[[np.ndarray], pd.DataFrame]
"""Generate long-format rows (``home_id, timestamp, ...``) for the given home ids [int]."""


def tile_times(times: pd.DatetimeIndex, count: int) -> pd.DatetimeIndex:
    """``times`` (UTC) repeated ``count`` times end to end: the time column of long rows."""
    return pd.DatetimeIndex(np.tile(times.asi8, count).view("M8[ns]")).tz_localize("UTC")


def home_keys(home_ids: np.ndarray, grid: pd.DatetimeIndex) -> dict[str, Any]:
    """``home_id`` (int32) and ``timestamp`` of long per-home rows: every interval of
    ``grid`` for each home in turn, the layout every per-home dataset writes."""
    ids = np.asarray(home_ids, dtype=np.int32)
    return {HOME_ID: np.repeat(ids, len(grid)), TIMESTAMP: tile_times(grid, len(ids))}


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


@dataclass(frozen=True)
class SourceResult:
    """A dataset's data (a frame, or a :data:`HomeBatch` for per-home data) and provenance.

    A per-home source may also give ``home_table``: the drawn attributes of the given homes,
    one row each (``home_id`` first), written as the fleet's attribute table. ``documents``
    are JSON documents written with the dataset (relative path -> JSON-ready value).
    """

    data: pd.DataFrame | HomeBatch
    provenance: Provenance
    home_table: Callable[[np.ndarray], pd.DataFrame] | None = None
    documents: Mapping[str, Any] = field(default_factory=dict)


def last_chunk(draw: Callable[[np.ndarray], pd.DataFrame]) -> Callable[[np.ndarray], pd.DataFrame]:
    """Memoise ``draw`` for the latest chunk of homes: the writer asks for a chunk's homes
    more than once (their load, their attribute table, the datasets derived from them), and
    a million homes are worth drawing once per chunk."""
    latest: dict[bytes, pd.DataFrame] = {}

    def cached(home_ids: np.ndarray) -> pd.DataFrame:
        key = np.asarray(home_ids, dtype=np.int32).tobytes()
        if key not in latest:
            latest.clear()
            latest[key] = draw(home_ids)
        return latest[key]

    return cached


@dataclass(frozen=True)
class Study:
    """What every source may know of the study: when, where, how many homes, which seed.

    Attributes
    ----------
    grid : pandas.DatetimeIndex
        UTC interval starts the source must deliver (the simulation grid).
    start, end : datetime.date
        First and last local day, inclusive.
    timezone : str
        IANA zone of the market.
    latitude, longitude : float
        Site [deg N, deg E].
    interval_minutes : int
        Interval length of ``grid`` [min].
    seed : int
        Study seed: draw from :func:`vppsim.seeds.stream_rng` with it.
    homes : int
        Fleet size.
    output_factor : int
        Intervals of ``grid`` averaged into each written interval (a 60-min study is
        simulated at 15 min: 4). A source whose values are not means (forecast quantiles)
        forms them on the coarse grid and repeats each over its intervals.
    """

    grid: pd.DatetimeIndex
    start: dt.date
    end: dt.date
    timezone: str
    latitude: float
    longitude: float
    interval_minutes: int
    seed: int
    homes: int
    output_factor: int = 1

    @classmethod
    def over(
        cls,
        start: dt.date,
        end: dt.date,
        timezone: str,
        latitude: float,
        longitude: float,
        interval_minutes: int,
        seed: int,
        homes: int,
    ) -> Study:
        """The study of local days ``start`` to ``end`` on its grid of ``interval_minutes``."""
        return cls(
            build_grid(start, end, timezone, interval_minutes),
            start,
            end,
            timezone,
            latitude,
            longitude,
            interval_minutes,
            seed,
            homes,
        )


@dataclass(frozen=True)
class SourceContext:
    """What a build offers a source beyond the study and its options.

    Attributes
    ----------
    raw_dir : Path or None
        Where live sources cache the raw answers of this build (``raw/`` of the dataset
        being written); None outside a build.
    previous_raw_dir : Path or None
        ``raw/`` of the dataset being replaced, so a rerun reuses its answers.
    http_timeout_s : float
        Timeout of each HTTP request [s].
    deadline_s : float
        Longest a live source may try, retries included, before it gives up [s].
    credentials : mapping
        Only the settings the source declares in ``Source.credentials`` (keys, e-mail, host).
    """

    raw_dir: Path | None = None
    previous_raw_dir: Path | None = None
    http_timeout_s: float = 20.0
    deadline_s: float = 20.0
    credentials: Mapping[str, Any] = field(default_factory=dict)

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
    message that says why (it becomes the recorded fallback reason). ``name`` picks one
    of several live sources (the dataset's ``live`` option); ``credentials`` lists the
    settings (keys, e-mail, host) the source is given, and no others reach it.
    """

    dataset: ClassVar[str]
    kind: ClassVar[SourceKind]
    name: ClassVar[str] = ""
    credentials: ClassVar[tuple[str, ...]] = ()

    @abstractmethod
    def fetch(
        self,
        study: Study,
        options: DatasetOptions,
        inputs: Mapping[str, SourceResult],
        context: SourceContext,
    ) -> SourceResult:
        """Return the dataset on ``study.grid``; ``inputs`` holds the datasets it depends on."""


@dataclass(frozen=True)
class Dataset:
    """A dataset as it registers: its contract, its options (a settings section), its sources."""

    spec: DatasetSpec
    options: type[DatasetOptions] = DatasetOptions
    sources: tuple[type[Source], ...] = ()

    def __post_init__(self) -> None:
        for source in self.sources:
            if source.dataset != self.spec.name:
                raise ValueError(f"{source.__name__} serves {source.dataset!r}, not {self.name!r}")

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def live_sources(self) -> dict[str, type[Source]]:
        """The live sources by name, the default first."""
        return {
            source.name or source.__name__: source
            for source in self.sources
            if source.kind is SourceKind.LIVE
        }

    @property
    def synthetic(self) -> type[Source] | None:
        return next((s for s in self.sources if s.kind is SourceKind.SYNTHETIC), None)

    def live(self, options: DatasetOptions) -> type[Source] | None:
        """The live source ``options`` chose (its ``live`` name; default the first)."""
        sources = self.live_sources
        if options.live is None:
            return next(iter(sources.values()), None)
        if options.live not in sources:
            known = ", ".join(sources) or "none"
            raise ConfigError(
                f"{self.name}.live={options.live!r}: unknown live source (use {known})"
            )
        return sources[options.live]

    def with_sources(self, *sources: type[Source]) -> Dataset:
        """This dataset served by other sources (tests, alternative models)."""
        return dataclasses.replace(self, sources=sources)


class Registry:
    """The datasets a build can produce, in dependency order."""

    def __init__(self, datasets: Iterable[Dataset] = ()):
        self._datasets: dict[str, Dataset] = {}
        for dataset in datasets:
            self.add(dataset)

    def add(self, dataset: Dataset) -> Dataset:
        """Register ``dataset``; the datasets it depends on must be registered first."""
        missing = [name for name in dataset.spec.depends_on if name not in self._datasets]
        if missing:
            raise ValueError(f"{dataset.name} depends on unregistered {', '.join(missing)}")
        self._datasets[dataset.name] = dataset
        return dataset

    def replace(self, *datasets: Dataset) -> Registry:
        """A copy with some datasets replaced (same names, e.g. other sources)."""
        swapped = {dataset.name: dataset for dataset in datasets}
        return Registry(swapped.get(name, d) for name, d in self._datasets.items())

    def __getitem__(self, name: str) -> Dataset:
        return self._datasets[name]

    def __contains__(self, name: object) -> bool:
        return name in self._datasets

    @property
    def datasets(self) -> list[Dataset]:
        return list(self._datasets.values())

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self._datasets)

    def spec(self, name: str) -> DatasetSpec:
        return self._datasets[name].spec

    def closure(self, names: Iterable[str]) -> list[str]:
        """``names`` and every dataset they derive from, in build order."""
        wanted = set(names)
        for name in reversed(self.names):
            if name in wanted:
                wanted.update(self.spec(name).depends_on)
        return [name for name in self.names if name in wanted]

    def dependents(self, names: Iterable[str]) -> list[str]:
        """``names`` and every dataset derived from them, in build order."""
        reached = set(names)
        for name in self.names:
            if reached & set(self.spec(name).depends_on):
                reached.add(name)
        return [name for name in self.names if name in reached]

    def require_all(self, options: Mapping[str, DatasetOptions]) -> None:
        """Raise :class:`MissingSources` naming every dataset without a usable source."""
        missing = []
        for name, chosen in options.items():
            dataset = self._datasets[name]
            live = dataset.live(chosen)
            usable = {
                SourceMode.AUTO: live or dataset.synthetic,
                SourceMode.LIVE: live,
                SourceMode.SYNTHETIC: dataset.synthetic,
            }[chosen.source]
            if usable is None:
                kinds = {SourceMode.AUTO: "live/synthetic"}.get(chosen.source, str(chosen.source))
                missing.append(f"{name} ({kinds})")
        if missing:
            raise MissingSources(
                "no source implemented yet for: " + ", ".join(missing) + "; nothing was written"
            )


ContractCheck = Callable[[DatasetSpec, "pd.DataFrame | HomeBatch", Study], list[str]]


def resolve(
    dataset: Dataset,
    options: DatasetOptions,
    study: Study,
    inputs: Mapping[str, SourceResult],
    check: ContractCheck,
    context: Callable[[type[Source]], SourceContext],
) -> SourceResult:
    """Produce ``dataset`` from the source its options ask for, falling back when allowed.

    ``check`` returns the contract failures of a result; live data that fails it is
    treated like an unreachable source, so a gap is never passed on or silently filled.
    ``context`` gives each source its context (with only the credentials it declares).

    Raises
    ------
    SourceUnavailable
        ``source=live`` and the live source could not deliver.
    ValidationFailed
        A synthetic source broke the contract (a bug, never hidden by a fallback).
    """
    mode = options.source
    name = dataset.name
    live = dataset.live(options)
    no_live = f"no live source for {name} is implemented"
    # A reason is recorded only when a live source existed and could not deliver.
    reason = None
    if mode is not SourceMode.SYNTHETIC and live is not None:
        try:
            result = _checked(live, dataset.spec, study, options, inputs, context, check)
            return _stamp(result, mode, None)
        except SourceUnavailable as exc:
            if mode is SourceMode.LIVE:
                raise SourceUnavailable(f"{name} (source=live): {exc}") from None
            reason = str(exc)
    if mode is SourceMode.LIVE:
        raise SourceUnavailable(f"{name} (source=live): {no_live}")
    synthetic = dataset.synthetic
    if synthetic is None:
        raise SourceUnavailable(f"{name}: {reason or no_live}, and there is no synthetic source")
    try:
        result = _checked(synthetic, dataset.spec, study, options, inputs, context, check)
    except SourceUnavailable as exc:
        raise ValidationFailed([str(exc)]) from exc
    return _stamp(result, mode, reason)


def replay(
    dataset: Dataset,
    options: DatasetOptions,
    study: Study,
    inputs: Mapping[str, SourceResult],
    context: Callable[[type[Source]], SourceContext],
    provenance: Provenance,
) -> SourceResult:
    """``dataset`` from the source :func:`resolve` chose, which ``provenance`` records: how
    a worker rebuilds a per-home dataset the build has resolved and checked already."""
    live = provenance.kind is SourceKind.LIVE
    source = dataset.live(options) if live else dataset.synthetic
    result = source().fetch(study, options, inputs, context(source))
    return dataclasses.replace(result, provenance=provenance)


def _checked(source, spec, study, options, inputs, context, check) -> SourceResult:
    result = source().fetch(study, options, inputs, context(source))
    failures = check(spec, result.data, study)
    if failures:
        raise SourceUnavailable(
            f"{result.provenance.source} returned {spec.name} data that breaks the contract: "
            + "; ".join(failures)
        )
    return result


def _stamp(result: SourceResult, mode: SourceMode, reason: str | None) -> SourceResult:
    provenance = dataclasses.replace(result.provenance, requested=mode, fallback_reason=reason)
    return dataclasses.replace(result, provenance=provenance)
