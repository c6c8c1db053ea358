"""``vppsim scenarios``: one dataset per scenario of a suite, side by side, then dispatch.

Every scenario is the same study (period, site, fleet, seed) with its own overlay of model
knobs, so all of them draw the same random numbers: the weather, the homes and the prices'
noise are one base, and each difference between two datasets comes from the scenarios.
Files that come out byte-identical to the base's (the fleet's assets in every scenario, the
weather and load of a gas crisis) are hard links to the base's copy, so the base is stored
once. Each dataset is built atomically on its own; ``scenarios.json`` lists the suite.

In this process the scenarios are built and dispatched one after the other. On one Dask
cluster for the whole suite (:mod:`vppsim.dataset.distributed`) each scenario runs whole on
a worker when every fleet is a single chunk of homes, else the scenarios come one after the
other with each one's chunks spread over the workers (:func:`_whole_scenarios`); the bytes
are the same every way.

Layout::

    DIR/
      scenarios.json          suite, base, and per scenario: name, title, reference, path,
                              version and what its dispatch earned
      base/                   a vppsim dataset (datapackage.json ...) with dispatch/<strategy>/
      heat-wave/
      ...
"""

from __future__ import annotations

import functools
import json
import os
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from vppsim.config import OPTIONAL_ENV_FILE, Settings, load_settings
from vppsim.dataset.manifest import MANIFEST, read_manifest
from vppsim.errors import ConfigError
from vppsim.options import SourceMode
from vppsim.scenario.model import BASE

if TYPE_CHECKING:
    from vppsim.dataset.build import Executor

SUITE_FILE = "scenarios.json"
STRATEGIES = ("none", "rule", "lp")
"""The dispatch strategies a suite runs on every scenario by default."""


@dataclass(frozen=True)
class ScenarioRun:
    """One scenario's dataset in a suite, as ``scenarios.json`` lists it."""

    name: str
    title: str
    reference: str
    path: str
    version_id: str
    """The dataset's version id (its manifest's)."""
    net_revenue_usd: dict[str, float]
    """Each dispatch strategy's fleet net revenue [$]."""


def plan_suite(
    names: Sequence[str],
    root: Path,
    overrides: Mapping[str, Any] | None = None,
    config_file: Path | None = None,
    env_file: Path | str | None = OPTIONAL_ENV_FILE,
    strategies: Sequence[str] = (),
) -> list[Settings]:
    """The settings of every scenario, all checked before anything is built.

    Every dataset of every scenario, the base's included, comes from its model: the suite
    compares model runs on common random numbers, and a live record has no what-if.

    ``strategies`` are the dispatch strategies the suite will run (they need Parquet).

    Raises
    ------
    ConfigError
        A bad setting, an unknown scenario or a bad scenario file, in one line; a scenario
        named twice; dispatch without Parquet.
    """
    if not names:
        raise ConfigError("no scenario to build")
    formats = str((overrides or {}).get("formats") or "")
    if strategies and formats and "parquet" not in formats:
        raise ConfigError(
            f"--formats {formats}: dispatch reads Parquet (add parquet, or --dispatch '')"
        )
    if BASE not in names:
        names = (BASE, *names)
    from vppsim.registry import default_registry

    registry = default_registry()
    synthetic = {f"{name}.source": SourceMode.SYNTHETIC.value for name in registry.names}
    plans = []
    for name in names:
        settings = load_settings(
            {**(overrides or {}), **synthetic, "scenario": name, "out": root / "_"},
            config_file=config_file,
            env_file=env_file,
            registry=registry,
        )
        plans.append(settings.model_copy(update={"out": root / settings.scenario.name}))
    seen: dict[str, int] = {}
    for settings in plans:
        seen[settings.scenario.name] = seen.get(settings.scenario.name, 0) + 1
    twice = [name for name, count in seen.items() if count > 1]
    if twice:
        raise ConfigError(f"scenario {twice[0]!r} is in the suite twice")
    return plans


def load_suite_models() -> None:
    """A Dask worker's first task in a suite: the imports of a build's parts and of a
    dispatch's, before the first of either arrives."""
    from vppsim.dataset.distributed import load_build_models
    from vppsim.fleet.run import load_dispatch_models

    load_build_models()
    load_dispatch_models()


def share_base_files(base: Path, other: Path) -> int:
    """Replace ``other``'s files that are byte-identical to ``base``'s by hard links.

    Files are matched by their manifest path and sha256; each link is made beside the file and
    renamed over it, so a reader never sees a missing file. Returns the number linked.
    """
    ours = {r.path: r.sha256 for r in read_manifest(base).resources}
    linked = 0
    for resource in read_manifest(other).resources:
        source, target = base / resource.path, other / resource.path
        if ours.get(resource.path) != resource.sha256 or os.path.samefile(source, target):
            continue
        temporary = target.with_name(f".{target.name}.link-{os.getpid()}")
        try:
            os.link(source, temporary)
        except OSError:
            return linked  # a filesystem without hard links keeps the copies
        os.replace(temporary, target)
        linked += 1
    return linked


def _write_suite_file(root: Path, suite: str, runs: list[ScenarioRun]) -> None:
    document = {
        "suite": suite,
        "base": BASE,
        "scenarios": [run.__dict__ for run in runs],
    }
    text = json.dumps(document, indent=2, sort_keys=True, allow_nan=False) + "\n"
    handle, temporary = tempfile.mkstemp(prefix=f".{SUITE_FILE}.", dir=root)
    with os.fdopen(handle, "w", encoding="utf-8") as stream:
        stream.write(text)
    os.chmod(temporary, 0o644)
    os.replace(temporary, root / SUITE_FILE)


def check_suite_folder(root: Path, names: Sequence[str]) -> None:
    """Refuse a folder that holds anything but a suite's own files.

    Raises
    ------
    ConfigError
        ``root`` is a file or a link, or holds entries other than ``scenarios.json``, hidden
        staging folders and dataset folders (each dataset's build refuses to replace a folder
        vppsim did not write).
    """
    if root.is_symlink() or (root.exists() and not root.is_dir()):
        raise ConfigError(f"{root} is not a folder a suite can be written to")
    if not root.exists():
        return
    foreign = sorted(
        entry.name
        for entry in root.iterdir()
        if entry.name != SUITE_FILE
        and not entry.name.startswith(".")
        and entry.name not in names
        and not (entry / MANIFEST).is_file()
    )
    if foreign:
        raise ConfigError(
            f"{root} holds {', '.join(foreign[:3])}{' ...' if len(foreign) > 3 else ''}, which "
            "is not part of a vppsim suite; choose another folder"
        )


def _build_and_dispatch(
    settings: Settings, strategies: tuple[str, ...], executor: Executor | None = None
) -> dict[str, float]:
    """Build one scenario's dataset and run the strategies on it, their parts on
    ``executor`` (in this process without it); each strategy's net revenue [$]."""
    from vppsim.dataset.build import build_dataset
    from vppsim.fleet.run import write_dispatch
    from vppsim.registry import default_registry
    from vppsim.viz import DERIVED_OUTPUTS

    build_dataset(settings, default_registry(), derived=DERIVED_OUTPUTS, executor=executor)
    revenue = {}
    for strategy in strategies:
        _, summary = write_dispatch(settings.out, strategy, executor=executor)
        revenue[strategy] = float(summary["kpis"]["net revenue"])
    return revenue


def _scenario_task(values: dict[str, Any], strategies: tuple[str, ...]) -> dict[str, float]:
    """A whole scenario as one worker's task, in the worker's process. ``values`` are the
    settings' fields: the settings class is made per registry at run time, so the worker
    validates them into its own."""
    from vppsim.config import settings_class
    from vppsim.registry import default_registry

    settings = settings_class(default_registry()).model_validate(values)
    return _build_and_dispatch(settings, strategies)


def _whole_scenarios(plans: Sequence[Settings], executor: Executor | None) -> bool:
    """Whether a cluster runs each scenario whole, one worker a scenario, rather than the
    parts of one scenario after another: when every fleet is a single part of a build and
    of a dispatch, a scenario's parts leave all workers but one idle (the default suite, 200
    homes: 105 s on 2 workers part by part, against 58 s in-process)."""
    from vppsim.dataset.distributed import DaskExecutor
    from vppsim.fleet.run import DEFAULT_CHUNK

    return (
        isinstance(executor, DaskExecutor)
        and len(plans) > 1
        and all(s.homes <= min(s.chunk_homes, DEFAULT_CHUNK) for s in plans)
    )


def run_suite(
    plans: Sequence[Settings],
    root: Path,
    suite: str,
    strategies: Sequence[str] = STRATEGIES,
    executor: Executor | None = None,
    done: Callable[[str], None] | None = None,
) -> list[ScenarioRun]:
    """Build every planned scenario under ``root`` and dispatch its fleet.

    Parameters
    ----------
    plans : sequence of Settings
        From :func:`plan_suite`, the base first.
    root : Path
        The suite folder (created).
    suite : str
        The suite's name, for ``scenarios.json``.
    strategies : sequence of str
        Dispatch strategies to run on each dataset (none, rule, lp).
    executor : vppsim.dataset.build.Executor, optional
        Runs the parts of every build and dispatch (a
        :class:`~vppsim.dataset.distributed.DaskExecutor`: on a Dask cluster, whose
        workers first run :func:`load_suite_models`), the scenarios one after the other;
        or, when every fleet is a single part, each scenario whole on a worker of its own
        (:func:`_whole_scenarios`). Without it all runs in this process. The same bytes
        either way.
    done : callable, optional
        Called with each scenario's name when it is finished.

    Returns
    -------
    list of ScenarioRun
        In the order of ``plans``.
    """
    root = Path(root)
    names = [settings.scenario.name for settings in plans]
    check_suite_folder(root, names)
    root.mkdir(parents=True, exist_ok=True)
    # The list would name datasets this run replaces: it is written anew when all are done.
    (root / SUITE_FILE).unlink(missing_ok=True)
    strategies = tuple(strategies)
    if _whole_scenarios(plans, executor):
        earnings = executor.map(
            functools.partial(_scenario_task, strategies=strategies),
            [dict(settings) for settings in plans],
        )
    else:
        earnings = (_build_and_dispatch(settings, strategies, executor) for settings in plans)
    revenue: dict[str, dict[str, float]] = {}
    for settings, earned in zip(plans, earnings, strict=True):
        revenue[settings.scenario.name] = earned
        if done:
            done(settings.scenario.name)
    for name in names:
        if name != BASE:
            share_base_files(root / BASE, root / name)
    runs = [
        ScenarioRun(
            name=settings.scenario.name,
            title=settings.scenario.title,
            reference=" ".join(settings.scenario.reference.split()),
            path=settings.scenario.name,
            version_id=read_manifest(root / settings.scenario.name).vppsim.version_id,
            net_revenue_usd=revenue[settings.scenario.name],
        )
        for settings in plans
    ]
    _write_suite_file(root, suite, runs)
    return runs
