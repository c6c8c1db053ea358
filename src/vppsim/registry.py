"""The datasets vppsim ships, found where they are declared.

Every package of vppsim whose ``sources`` module defines ``DATASET`` (a
:class:`~vppsim.dataset.sources.Dataset`) or ``DATASETS`` (a tuple of them) is registered,
and so is every dataset another distribution declares under the ``vppsim.datasets``
entry-point group. Adding a dataset is one module: nothing here or in the settings, CLI,
validation or manifest is edited.
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
import pkgutil
from importlib.metadata import entry_points

import vppsim
from vppsim.dataset.sources import Dataset, Registry

ENTRY_POINT_GROUP = "vppsim.datasets"


def _shipped() -> list[Dataset]:
    found = []
    for package in pkgutil.iter_modules(vppsim.__path__):
        if not package.ispkg:
            continue
        name = f"vppsim.{package.name}.sources"
        if importlib.util.find_spec(name) is None:
            continue
        module = importlib.import_module(name)
        declared = (getattr(module, "DATASET", None), *getattr(module, "DATASETS", ()))
        found.extend(dataset for dataset in declared if isinstance(dataset, Dataset))
    return found


def _plugins() -> list[Dataset]:
    return [entry.load() for entry in entry_points(group=ENTRY_POINT_GROUP)]


def in_dependency_order(datasets: list[Dataset]) -> list[Dataset]:
    """``datasets`` with each after the ones it depends on (ties by name, so stable).

    Raises
    ------
    ValueError
        A dataset depends on one that is not among them, or on itself through others.
    """
    by_name = {dataset.name: dataset for dataset in datasets}
    ordered: list[Dataset] = []
    placed: set[str] = set()
    pending = sorted(by_name)
    while pending:
        ready = [n for n in pending if set(by_name[n].spec.depends_on) <= placed]
        if not ready:
            unmet = {n: sorted(set(by_name[n].spec.depends_on) - placed) for n in pending}
            raise ValueError(f"datasets with unmet or circular dependencies: {unmet}")
        for name in ready:
            ordered.append(by_name[name])
            placed.add(name)
        pending = [n for n in pending if n not in placed]
    return ordered


@functools.cache
def default_registry() -> Registry:
    """Every dataset vppsim ships or a plugin declares, in dependency order."""
    return Registry(in_dependency_order(_shipped() + _plugins()))
