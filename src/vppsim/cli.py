"""The ``vppsim`` command line: thin, calling the library."""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import json
import signal
import socket
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from pydantic import BaseModel
from pydantic_core import to_jsonable_python
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from rich.text import Text

from vppsim.config import (
    OPTIONAL_ENV_FILE,
    Settings,
    load_settings,
    recorded_settings,
    settings_class,
)
from vppsim.dataset.budget import format_bytes
from vppsim.dataset.manifest import MANIFEST, Manifest, read_manifest
from vppsim.errors import ConfigError, VppsimError
from vppsim.options import SourceMode
from vppsim.viz import DERIVED_OUTPUTS

if TYPE_CHECKING:
    from vppsim.dataset.build import BuildResult

app = typer.Typer(
    name="vppsim",
    help=(
        "Build coherent, validated, versioned datasets for virtual power plants: CAISO "
        "15-min prices, weather, rooftop PV and residential load on one UTC time grid.\n\n"
        "Settings come from, highest first: flags, VPPSIM_* environment variables, a .env "
        "file, a TOML file (--config), the defaults (August 2023, Los Angeles, 200 homes)."
    ),
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)

SOURCE_HELP = "auto (live if reachable, else synthetic), live (never fall back) or synthetic."


def _fail(exc: VppsimError) -> typer.Exit:
    err.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False)
    return typer.Exit(exc.exit_code)


def exit_on_sigterm() -> None:
    """Turn SIGTERM into SystemExit so the staging folder is cleaned up like on Ctrl-C."""

    def handler(signum: int, frame: Any) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, handler)


class _RateColumn(ProgressColumn):
    """Units done per second (homes/s of a build), once there is a rate to show."""

    def render(self, task) -> Text:
        return Text(f"{task.speed:,.0f}/s" if task.speed else "")


def _progress_bar() -> Progress:
    """The bar of long work, on stderr, gone when done: done of total, rate, elapsed, ETA."""
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        _RateColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=err,
        transient=True,
    )


class _RichProgress:
    def __init__(self, progress: Progress):
        self._progress = progress

    def start(self, description: str, total: int) -> Callable[[int], None]:
        task = self._progress.add_task(description, total=total)
        return lambda advance: self._progress.advance(task, advance)


def _dataset_table(manifest: Manifest) -> Table:
    table = Table(title="datasets", title_justify="left")
    for column in ("dataset", "source", "kind", "rows", "files", "size"):
        table.add_column(
            column,
            justify="right" if column in {"rows", "files", "size"} else "left",
            # "synthetic (fallback)" stays on one line; the source name wraps instead.
            no_wrap=column == "kind",
        )
    for name, provenance in manifest.provenance.items():
        resources = manifest.resources_of(name)
        data = [r for r in resources if r.role == "data"]
        rows = max(
            (sum(r.rows for r in data if r.format == output) for output in ("csv", "parquet")),
            default=0,
        )
        kind = provenance.kind + (" (fallback)" if provenance.fallback_reason else "")
        table.add_row(
            name,
            escape(provenance.source),
            kind,
            f"{rows:,}",
            f"{len(resources):,}",
            format_bytes(sum(r.size for r in resources)),
        )
    return table


def _print_notes(manifest: Manifest) -> None:
    for name, provenance in manifest.provenance.items():
        if provenance.fallback_reason:
            out.print(
                f"  {name}: synthetic because {escape(provenance.fallback_reason)}",
                highlight=False,
            )


def _pairs(values: list[str] | None, flag: str) -> dict[str, str]:
    """``NAME=VALUE`` flags as a mapping; a malformed one is a :class:`ConfigError`."""
    pairs = {}
    for item in values or []:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise ConfigError(f"{flag} {item!r}: use NAME=VALUE")
        if name.strip() in pairs and pairs[name.strip()] != value.strip():
            raise ConfigError(f"{flag} {name.strip()} given twice")
        pairs[name.strip()] = value.strip()
    return pairs


def _registry():
    from vppsim.registry import default_registry

    return default_registry()


@app.command()
def build(
    start: Annotated[
        str | None, typer.Option(help="First local day, YYYY-MM-DD. \\[default: 2023-08-01]")
    ] = None,
    end: Annotated[
        str | None,
        typer.Option(help="Last local day, inclusive. \\[default: the end of start's month]"),
    ] = None,
    timezone: Annotated[
        str | None, typer.Option(help="IANA zone of the market. \\[default: America/Los_Angeles]")
    ] = None,
    latitude: Annotated[
        float | None, typer.Option(help="Site latitude \\[deg N]. \\[default: 34.05]")
    ] = None,
    longitude: Annotated[
        float | None, typer.Option(help="Site longitude \\[deg E]. \\[default: -118.24]")
    ] = None,
    homes: Annotated[int | None, typer.Option(help="Number of homes. \\[default: 200]")] = None,
    seed: Annotated[
        int | None, typer.Option(help="Study seed; same seed, same bytes. \\[default: 42]")
    ] = None,
    interval: Annotated[
        int | None,
        typer.Option(
            help="Interval length in minutes: 5, 15, 30 or 60 (30 and 60 average the 15-min "
            "realisation). \\[default: 15]"
        ),
    ] = None,
    out_dir: Annotated[
        Path | None,
        typer.Option("--out", help="Output folder, replaced atomically. \\[default: data]"),
    ] = None,
    config: Annotated[
        Path | None,
        typer.Option(
            help="TOML file of settings: study settings as top-level keys, dataset options "
            'as tables (\\[market] source = "live").'
        ),
    ] = None,
    env_file: Annotated[
        Path | None,
        typer.Option(help="dotenv file with VPPSIM_* settings and API keys. \\[default: .env]"),
    ] = None,
    source: Annotated[
        list[str] | None,
        typer.Option(
            help=f"DATASET=MODE, repeatable; MODE is {SOURCE_HELP} \\[default: auto]",
            metavar="DATASET=MODE",
        ),
    ] = None,
    set_: Annotated[
        list[str] | None,
        typer.Option(
            "--set",
            help="DATASET.OPTION=VALUE, repeatable: a dataset's option or model parameter, e.g. "
            "--set load.ev_share=0.3 --set market.price_level=1.2 --set market.live=caiso_oasis.",
            metavar="DATASET.OPTION=VALUE",
        ),
    ] = None,
    offline: Annotated[
        bool, typer.Option("--offline", help="All datasets synthetic; no network.")
    ] = False,
    scenario: Annotated[
        str | None,
        typer.Option(
            help="A what-if on the model knobs: a shipped scenario (vppsim scenarios --list) or "
            "a scenario .toml file. The datasets it reaches are built by their models on the "
            "base's random numbers. "
            "\\[default: base]"
        ),
    ] = None,
    only: Annotated[
        str | None,
        typer.Option(
            help="Comma-separated datasets to build; the datasets they derive from are built "
            "too. \\[default: all]"
        ),
    ] = None,
    nlr_base_url: Annotated[
        str | None,
        typer.Option(help="NREL/NLR API host. \\[default: https://developer.nlr.gov]"),
    ] = None,
    http_timeout: Annotated[
        float | None, typer.Option(help="Timeout of each HTTP request \\[s]. \\[default: 20]")
    ] = None,
    fallback_deadline: Annotated[
        float | None,
        typer.Option(
            help="Longest a live source may try, retries included, before the build falls "
            "back \\[s]. \\[default: 20]"
        ),
    ] = None,
    formats: Annotated[
        str | None, typer.Option(help="Comma-separated: csv, parquet. \\[default: csv,parquet]")
    ] = None,
    csv_homes_limit: Annotated[
        int | None,
        typer.Option(help="Write per-home CSVs only up to this many homes. \\[default: 1000]"),
    ] = None,
    chunk_homes: Annotated[
        int | None, typer.Option(help="Most homes generated per Parquet part. \\[default: 1000]")
    ] = None,
    force: Annotated[
        bool,
        typer.Option(
            "--force",
            help="Build even when the study looks too large for this machine, and carry files "
            "vppsim did not write in the output folder over into the new dataset.",
        ),
    ] = False,
    workers: Annotated[
        int | None,
        typer.Option(
            help="Build the per-home data on a local Dask cluster of this many worker "
            "processes (same bytes as without). \\[default: in this process]"
        ),
    ] = None,
    scheduler: Annotated[
        str | None,
        typer.Option(
            help="Build the per-home data on the Dask cluster whose scheduler is at this "
            "address, e.g. tcp://10.0.0.5:8786 (same bytes as without)."
        ),
    ] = None,
    chunks_per_task: Annotated[
        int,
        typer.Option(help="Chunks of homes per Dask task (with --workers or --scheduler)."),
    ] = 1,
    from_manifest: Annotated[
        Path | None,
        typer.Option(
            "--from-manifest",
            help="Build again the study a datapackage.json (or its folder) records, with the "
            "same bytes; secrets come from the environment. Only --out and --force go with "
            "it. \\[default --out: the manifest's own folder, replaced atomically]",
        ),
    ] = None,
) -> None:
    """Build, validate and atomically write the dataset for a study."""
    exit_on_sigterm()
    cluster = _Cluster(workers, scheduler, chunks_per_task)
    try:
        registry = _registry()
        # Flag -> (setting, value): the settings a flag sets, named once for both paths.
        flags = {
            "--start": ("start", start),
            "--end": ("end", end),
            "--timezone": ("timezone", timezone),
            "--latitude": ("latitude", latitude),
            "--longitude": ("longitude", longitude),
            "--homes": ("homes", homes),
            "--seed": ("seed", seed),
            "--interval": ("interval_minutes", interval),
            "--formats": ("formats", formats),
            "--csv-homes-limit": ("csv_homes_limit", csv_homes_limit),
            "--chunk-homes": ("chunk_homes", chunk_homes),
            "--only": ("datasets", only),
            "--scenario": ("scenario", scenario),
            "--nlr-base-url": ("nlr_base_url", nlr_base_url),
            "--http-timeout": ("http_timeout_s", http_timeout),
            "--fallback-deadline": ("fallback_deadline_s", fallback_deadline),
        }
        if from_manifest is not None:
            others = {"--config": config, "--source": source, "--set": set_}
            given = [
                *(flag for flag, (_, value) in flags.items() if value is not None),
                *(flag for flag, value in others.items() if value is not None),
                *(["--offline"] if offline else []),
            ]
            settings, raw_from = _recorded(from_manifest, out_dir, env_file, given, registry)
            _build_and_summarise(settings, registry, force, raw_from, cluster)
            return
        modes = _pairs(source, "--source")
        unknown = [name for name in modes if name not in registry]
        if unknown:
            raise ConfigError(
                f"--source {unknown[0]}: unknown dataset (use {', '.join(registry.names)})"
            )
        if offline:
            clashing = {k: v for k, v in modes.items() if v != SourceMode.SYNTHETIC}
            if clashing:
                name, value = next(iter(clashing.items()))
                raise ConfigError(f"--offline conflicts with --source {name}={value}")
            modes = dict.fromkeys(registry.names, SourceMode.SYNTHETIC.value)
        options = _pairs(set_, "--set")
        chosen = {f"{name}.source": mode for name, mode in modes.items()}
        twice = sorted(
            name
            for name in options
            if name in chosen or name.endswith("_source") or name.endswith(".source")
        )
        if twice:
            raise ConfigError(
                f"--set {twice[0]}: choose sources with --source or --offline, not --set"
            )
        settings = load_settings(
            {"out": out_dir, **dict(flags.values()), **chosen, **options},
            config_file=config,
            env_file=env_file if env_file is not None else OPTIONAL_ENV_FILE,
            registry=registry,
        )
    except VppsimError as exc:
        raise _fail(exc) from None
    _build_and_summarise(settings, registry, force, cluster=cluster)


SUITE_WORKERS = 2
"""Workers of ``vppsim scenarios``' local cluster by default: the default suite (six
scenarios of 200 homes) takes 36 s on 2 workers against 64 s in-process on this 2-core
machine."""


@dataclass(frozen=True)
class _Cluster:
    """Where ``vppsim build`` runs the per-home data, ``vppsim dispatch`` its chunks and
    ``vppsim scenarios`` both for every scenario: in this process, or on Dask."""

    workers: int | None = None
    scheduler: str | None = None
    chunks_per_task: int = 1

    def executor(
        self, prepare: Callable[[], None] | None = None
    ) -> contextlib.AbstractContextManager:
        """The executor of a build's or a dispatch's chunks (None: in this process), whose
        workers first run ``prepare`` (their imports; default the build's); prints the Dask
        dashboard address."""
        if self.workers is None and self.scheduler is None:
            return contextlib.nullcontext()
        from vppsim.dataset.distributed import dask_executor, load_build_models

        return dask_executor(
            self.workers,
            self.scheduler,
            self.chunks_per_task,
            on_start=lambda line: err.print(escape(line), highlight=False),
            prepare=prepare or load_build_models,
        )


def _recorded(
    path: Path, out_dir: Path | None, env_file: Path | None, given: list[str], registry
) -> tuple[Settings, Path]:
    """The settings ``--from-manifest PATH`` builds, and the dataset folder it names (whose
    raw live answers the build reuses). Without ``--out`` the dataset is built again in its
    own folder: the build replaces it atomically, and only if it passes validation."""
    from vppsim import __version__

    if given:
        raise ConfigError(
            f"--from-manifest builds the recorded settings: drop {', '.join(given)} "
            "(only --out and --force go with it)"
        )
    if path.is_file() and path.name != MANIFEST:
        raise ConfigError(f"--from-manifest {path}: give a {MANIFEST} or its folder")
    folder = path.parent if path.name == MANIFEST else path
    manifest = read_manifest(folder)
    if manifest.vppsim.version != __version__:
        err.print(
            f"warning: {escape(str(folder))} was built by vppsim {manifest.vppsim.version}, "
            f"this is {__version__}: the data and version ids may differ",
            highlight=False,
        )
    settings = recorded_settings(
        manifest.vppsim.config,
        out_dir if out_dir is not None else folder,
        env_file=env_file if env_file is not None else OPTIONAL_ENV_FILE,
        registry=registry,
    )
    return settings, folder


def _build_and_summarise(
    settings: Settings,
    registry,
    force: bool,
    raw_from: Path | None = None,
    cluster: _Cluster = _Cluster(),
) -> None:
    """Build ``settings`` with progress bars and print the summary, or fail in one line."""
    from vppsim.dataset.build import build_dataset

    try:
        if not settings.writes_home_csvs:
            out.print(
                f"Per-home CSVs skipped: {settings.homes:,} homes is above csv_homes_limit "
                f"{settings.csv_homes_limit:,}; per-home data is written to Parquet only."
            )
        with cluster.executor() as executor, _progress_bar() as progress:
            result = build_dataset(
                settings,
                registry,
                progress=_RichProgress(progress),
                force=force,
                derived=DERIVED_OUTPUTS,
                raw_from=raw_from,
                executor=executor,
            )
    except VppsimError as exc:
        raise _fail(exc) from None
    except KeyboardInterrupt:
        err.print("interrupted: nothing was written; any earlier dataset is untouched")
        raise typer.Exit(130) from None
    _print_summary(result)


def _has_homes(manifest: Manifest) -> bool:
    return any(
        r.rows and "home_id" in [f.name for f in r.table_schema.fields] for r in manifest.resources
    )


def _print_summary(result: BuildResult) -> None:
    manifest = result.manifest
    meta, grid = manifest.vppsim, manifest.vppsim.grid
    homes = f"{meta.config['homes']:,} homes, " if _has_homes(manifest) else ""
    out.print(
        f"[bold green]Built[/] {escape(str(result.path))} : {', '.join(meta.datasets)}; "
        f"{grid.intervals:,} intervals of {grid.interval_minutes} min from "
        f"{grid.first_interval_start}, {homes}seed {meta.seed}",
        highlight=False,
    )
    scenario = meta.config["scenario"]
    if scenario["settings"]:
        out.print(
            f"Scenario {escape(scenario['name'])}: {escape(scenario['title'])}", highlight=False
        )
    out.print(_dataset_table(manifest))
    _print_notes(manifest)
    passed = sum(check.ok for check in result.report.checks)
    out.print(
        f"Validated: {passed}/{len(result.report.checks)} checks passed. "
        f"Manifest: {escape(str(result.path / MANIFEST))}",
        highlight=False,
    )


DIRECTORY = Annotated[Path, typer.Argument(help="A dataset folder written by `vppsim build`.")]


@app.command()
def validate(directory: DIRECTORY) -> None:
    """Check a dataset against its manifest, schemas and time grid; list every failure."""
    if not (directory / MANIFEST).is_file():
        raise _fail(ConfigError(f"{directory} is not a vppsim dataset: no {MANIFEST}"))
    from vppsim.dataset.validate import validate_directory

    specs = {dataset.name: dataset.spec for dataset in _registry().datasets}
    report = validate_directory(directory, specs)
    table = Table(title=f"validation of {directory}", title_justify="left")
    table.add_column("check")
    table.add_column("result")
    table.add_column("detail")
    for check in report.checks:
        status = "[green]pass[/]" if check.ok else "[bold red]FAIL[/]"
        table.add_row(escape(check.name), status, escape("\n".join(check.failures) or check.detail))
    out.print(table)
    if not report.ok:
        err.print(f"[bold red]{len(report.failures)} failure(s):[/]")
        for failure in report.failures:
            err.print(f"  {escape(failure)}", highlight=False)
        raise typer.Exit(1)
    out.print(f"[bold green]All {len(report.checks)} checks passed.[/]")


@app.command()
def info(directory: DIRECTORY) -> None:
    """Summarise a dataset from its manifest: period, homes, sources and fallbacks, sizes."""
    try:
        manifest = read_manifest(directory)
    except VppsimError as exc:
        raise _fail(exc) from None
    meta, grid = manifest.vppsim, manifest.vppsim.grid
    config = meta.config
    out.print(f"[bold]{escape(manifest.title)}[/]")
    out.print(
        f"period   {config['start']} to {config['end']} ({config['timezone']}), "
        f"{grid.intervals:,} x {grid.interval_minutes} min, "
        f"{grid.first_interval_start} .. {grid.last_interval_start}",
        highlight=False,
    )
    out.print(
        f"site     {config['latitude']}, {config['longitude']}; "
        + (f"homes {config['homes']:,}; " if _has_homes(manifest) else "")
        + f"seed {meta.seed}; vppsim {meta.version}",
        highlight=False,
    )
    out.print(_dataset_table(manifest))
    _print_fleet(directory, manifest)
    if any(p.fallback_reason for p in manifest.provenance.values()):
        out.print("fallbacks:")
        _print_notes(manifest)
    total = sum(r.size for r in manifest.resources)
    out.print(f"total    {format_bytes(total)} in {escape(str(directory))}", highlight=False)


def _print_fleet(directory: Path, manifest: Manifest) -> None:
    """The fleet's load (and PV) in one line, from the build's rollups: no load row is read."""
    from vppsim.dataset.rollups import fleet_figures

    grid = manifest.vppsim.grid
    figures = fleet_figures(directory, grid.interval_minutes)
    if figures is None:
        return
    config = manifest.vppsim.config
    days = (dt.date.fromisoformat(config["end"]) - dt.date.fromisoformat(config["start"])).days + 1
    local = figures.peak_at.tz_convert(grid.timezone)
    per_home = figures.energy_kwh / max(figures.homes, 1) / days
    text = (
        f"fleet    {figures.homes:,} homes: load peak {figures.peak_kw:,.0f} kW at "
        f"{local:%Y-%m-%d %H:%M} local, {figures.energy_kwh / 1e3:,.1f} MWh "
        f"({per_home:.1f} kWh per home per day)"
    )
    if figures.pv_kwh is not None:
        text += f"; rooftop PV {figures.pv_kwh / 1e3:,.1f} MWh"
    out.print(text, highlight=False)


def _number(value: float, digits: str | None = None) -> str:
    """``value`` in the format ``digits``, or as :func:`vppsim.report.format_cell` writes a
    figure; NaN shows nothing."""
    from vppsim.report import format_cell

    if value != value:
        return ""
    return format_cell(value) if digits is None else f"{value:{digits}}"


@app.command()
def diff(
    a: Annotated[Path, typer.Argument(help="A dataset folder written by `vppsim build`.")],
    b: Annotated[Path, typer.Argument(help="Another dataset folder, compared with A.")],
    csv: Annotated[
        bool,
        typer.Option(
            "--csv",
            help="Print one CSV (section, dataset, name, unit, a, b, difference, change_pct) "
            "instead of tables.",
        ),
    ] = False,
) -> None:
    """Compare two datasets: the settings that differ, each dataset's version id, and the
    key statistics side by side (B - A and the change in %)."""
    import pandas as pd

    from vppsim.dataset.statistics import compare_statistics, key_statistics
    from vppsim.versioning import SHORT, settings_diff, version_ids_diff

    try:
        manifests = read_manifest(a), read_manifest(b)
        statistics = compare_statistics(key_statistics(a), key_statistics(b))
    except VppsimError as exc:
        raise _fail(exc) from None
    changed = settings_diff(*(m.vppsim.config for m in manifests))
    ids = version_ids_diff(
        *(
            {"(all)": m.vppsim.version_id}
            | {name: entry.version_id for name, entry in m.provenance.items()}
            for m in manifests
        )
    )
    if csv:
        rows = pd.concat(
            [
                changed.rename(columns={"setting": "name"}).assign(section="setting"),
                ids.rename(columns={"dataset": "name"})
                .drop(columns="same")
                .assign(section="version_id"),
                statistics.rename(columns={"statistic": "name"}).assign(section="statistic"),
            ]
        )
        columns = ["section", "dataset", "name", "unit", "a", "b", "difference", "change_pct"]
        out.print(rows.reindex(columns=columns).to_csv(index=False), end="", highlight=False)
        return
    if changed.empty:
        out.print("settings: the same", highlight=False)
    else:
        table = Table(title=f"settings that differ (A {a}, B {b})", title_justify="left")
        for column in ("setting", "A", "B"):
            table.add_column(column, overflow="fold")
        for row in changed.itertuples(index=False):
            table.add_row(*(escape(str(cell)) for cell in row))
        out.print(table)
    table = Table(title="version ids", title_justify="left")
    for column in ("dataset", "A", "B", ""):
        table.add_column(column)
    for row in ids.itertuples(index=False):
        shown = [(value or "-")[:SHORT] for value in (row.a, row.b)]
        table.add_row(row.dataset, *shown, "same" if row.same else "[bold]different[/]")
    out.print(table)
    table = Table(title="key statistics", title_justify="left")
    for column in ("dataset", "statistic", "A", "B", "B - A", "change [%]"):
        table.add_column(column, justify="left" if column in ("dataset", "statistic") else "right")
    for row in statistics.itertuples(index=False):
        table.add_row(
            row.dataset,
            escape(f"{row.statistic} [{row.unit}]"),
            *(_number(value) for value in (row.a, row.b, row.difference)),
            _number(row.change_pct, "+.1f"),
        )
    out.print(table)


def _frame_table(frame, title: str, headers: dict[str, str]) -> Table:
    """A rich table of ``frame``'s columns named in ``headers`` (header with unit)."""
    table = Table(title=title, title_justify="left")
    for column, header in headers.items():
        table.add_column(header, justify="left" if frame[column].dtype == object else "right")
    for row in frame.itertuples(index=False):
        values = row._asdict()
        table.add_row(
            *(
                escape(str(values[c])) if isinstance(values[c], str) else _number(values[c])
                for c in headers
            )
        )
    return table


@app.command()
def scenarios(
    directory: Annotated[
        Path | None,
        typer.Argument(help="The suite folder: one dataset folder per scenario is written in it."),
    ] = None,
    suite: Annotated[
        str, typer.Option(help="Named set of scenarios: default (the six shipped ones).")
    ] = "default",
    scenario: Annotated[
        list[str] | None,
        typer.Option(
            help="A scenario name or .toml file instead of the suite, repeatable (the base is "
            "always built)."
        ),
    ] = None,
    list_: Annotated[
        bool, typer.Option("--list", help="List the shipped scenarios and their sources.")
    ] = False,
    dispatch: Annotated[
        str,
        typer.Option(help="Dispatch strategies run on every scenario, comma-separated; '' none."),
    ] = "none,rule,lp",
    workers: Annotated[
        str | None,
        typer.Option(
            help="Local Dask cluster of this many worker processes for the whole suite: a "
            "scenario whole on each worker when every fleet is one chunk of homes, else each "
            "scenario's chunks on all of them, the scenarios one after the other (same bytes "
            "either way). \\[default: 2, unless --scheduler]"
        ),
    ] = None,
    scheduler: Annotated[
        str | None,
        typer.Option(
            help="Build and dispatch every scenario's chunks of homes on the Dask cluster "
            "whose scheduler is at this address, e.g. tcp://10.0.0.5:8786 (same bytes as "
            "without)."
        ),
    ] = None,
    chunks_per_task: Annotated[
        str, typer.Option(help="Chunks of homes per Dask task (with --workers or --scheduler).")
    ] = "1",
    start: Annotated[str | None, typer.Option(help="First local day, YYYY-MM-DD.")] = None,
    end: Annotated[str | None, typer.Option(help="Last local day, inclusive.")] = None,
    homes: Annotated[int | None, typer.Option(help="Number of homes. \\[default: 200]")] = None,
    seed: Annotated[int | None, typer.Option(help="Study seed. \\[default: 42]")] = None,
    formats: Annotated[
        str,
        typer.Option(
            help="Comma-separated: csv, parquet. Parquet alone by default: six datasets side "
            "by side, and the dashboard and dispatch read Parquet."
        ),
    ] = "parquet",
    config: Annotated[
        Path | None, typer.Option(help="TOML file of the base study's settings.")
    ] = None,
    set_: Annotated[
        list[str] | None,
        typer.Option(
            "--set",
            help="DATASET.OPTION=VALUE of the base study, repeatable: it applies to every "
            "scenario and wins over a scenario's own value of the same knob.",
            metavar="DATASET.OPTION=VALUE",
        ),
    ] = None,
) -> None:
    """Build one dataset per scenario under DIRECTORY on common random numbers (every dataset
    from its model), dispatch each fleet, and print what each scenario changed. The study is
    the default one unless the flags or --config say otherwise (any setting of vppsim build
    can go in the TOML file)."""
    import time

    from vppsim.scenario.effects import scenario_effects
    from vppsim.scenario.model import BASE, load_scenario, preset_names, suite_scenarios
    from vppsim.scenario.suite import STRATEGIES, load_suite_models, plan_suite, run_suite

    if list_:
        table = Table(title="shipped scenarios", title_justify="left")
        for column in ("name", "title", "magnitudes from"):
            table.add_column(column)
        for name in preset_names():
            item = load_scenario(name)
            table.add_row(name, escape(item.title), escape(" ".join(item.reference.split())))
        out.print(table)
        return
    exit_on_sigterm()
    began = time.perf_counter()
    try:
        if directory is None:
            raise ConfigError("give the suite folder (vppsim scenarios DIR)")
        names = tuple(scenario) if scenario else suite_scenarios(suite)
        strategies = tuple(name.strip() for name in dispatch.split(",") if name.strip())
        unknown = [name for name in strategies if name not in STRATEGIES]
        if unknown:
            raise ConfigError(f"--dispatch {unknown[0]}: use {', '.join(STRATEGIES)}")
        plans = plan_suite(
            names,
            directory,
            {
                "start": start,
                "end": end,
                "homes": homes,
                "seed": seed,
                "formats": formats,
                **_pairs(set_, "--set"),
            },
            config_file=config,
            strategies=strategies,
        )
        if workers is None and scheduler is None:
            workers = str(SUITE_WORKERS)
        cluster = _Cluster(
            None if workers is None else _whole(workers, "workers", 1024),
            scheduler,
            _whole(chunks_per_task, "chunks-per-task", 10**9),
        )
        with cluster.executor(load_suite_models) as executor, _progress_bar() as progress:
            advance = _RichProgress(progress).start(
                f"{len(plans)} scenarios ({', '.join(strategies) or 'no'} dispatch)", len(plans)
            )
            runs = run_suite(
                plans,
                directory,
                suite if not scenario else "custom",
                strategies,
                executor,
                done=lambda name: advance(1),
            )
        for run in runs:
            if run.name == BASE:
                continue
            effects = scenario_effects(directory / BASE, directory / run.path)
            out.print(
                _frame_table(
                    effects,
                    f"{run.name}: {run.title}",
                    {
                        "dataset": "dataset",
                        "statistic": "statistic",
                        "unit": "unit",
                        "base": "base",
                        "scenario": run.name,
                        "change": "change",
                        "change_outside": "change, other days",
                    },
                )
            )
    except VppsimError as exc:
        raise _fail(exc) from None
    except KeyboardInterrupt:
        err.print("interrupted: the datasets finished so far are complete; the others untouched")
        raise typer.Exit(130) from None
    revenue = Table(title="fleet net revenue by dispatch strategy [$]", title_justify="left")
    revenue.add_column("scenario")
    for strategy in strategies:
        revenue.add_column(strategy, justify="right")
    for run in runs:
        revenue.add_row(run.name, *(f"{run.net_revenue_usd[s]:,.0f}" for s in strategies))
    if strategies:
        out.print(revenue)
    out.print(
        f"[bold green]Built[/] {len(runs)} scenarios in {escape(str(directory))} "
        f"({time.perf_counter() - began:.0f} s); list: {escape(str(directory / 'scenarios.json'))}",
        highlight=False,
    )


@app.command("forecast-report")
def forecast_report(
    directory: DIRECTORY,
    csv: Annotated[
        Path | None, typer.Option("--csv", help="Also write the tables as CSV into this folder.")
    ] = None,
) -> None:
    """Score the forecasts in DIRECTORY/forecasts/ against the outcomes: errors, CRPS and
    skill over climatology, coverage, PIT, and household load error by group size."""
    from vppsim.forecast.report import PUBLISHED, write_report_csv
    from vppsim.forecast.report import forecast_report as score

    try:
        report = score(directory)
    except VppsimError as exc:
        raise _fail(exc) from None
    scores = report.scores.assign(
        variable=report.scores["variable"] + " [" + report.scores["unit"] + "]"
    )
    # Two tables, so each fits a terminal; [u] is the unit given with the variable.
    key = {"variable": "variable [u]", "lead": "lead"}
    errors = {
        "n": "n",
        "mae": "MAE [u]",
        "bias": "bias [u]",
        "mape_pct": "MAPE [%]",
        "smape_pct": "sMAPE [%]",
        "rmae": "rMAE [1]",
    }
    bands = {
        "crps": "CRPS [u]",
        "crps_climatology": "CRPS clim [u]",
        "skill": "skill [1]",
        "coverage_80": "cover 80 [1]",
        "width_80": "width 80 [u]",
        "coverage_90": "cover 90 [1]",
        "width_90": "width 90 [u]",
    }
    out.print(_frame_table(scores, f"errors of the q50, {directory}", key | errors))
    out.print(
        _frame_table(scores, "CRPS, skill over climatology, p10-p90 and p05-p95 bands", key | bands)
    )
    if not report.household.empty:
        out.print(
            _frame_table(
                report.household,
                "household load, day-ahead q50 of summed groups",
                {
                    "homes": "homes per group",
                    "groups": "groups",
                    "cv_rmse_median": "CV-RMSE median [1]",
                    "cv_rmse_mean": "CV-RMSE mean [1]",
                },
            )
        )
    out.print("set beside:")
    for line in PUBLISHED:
        out.print(f"  {line}", highlight=False)
    if csv is not None:
        for path in write_report_csv(report, csv):
            out.print(f"wrote {escape(str(path))}", highlight=False)


@app.command()
def plots(
    directory: DIRECTORY,
    pv_share: Annotated[
        float,
        typer.Option(help="Share of homes given rooftop PV in the integrated analysis (0-1)."),
    ] = 0.5,
) -> None:
    """Write the four analysis PNGs (market, solar, load, integrated) into DIRECTORY/plots/."""
    from vppsim.viz.plots import write_plots

    try:
        with err.status("drawing the analysis charts..."):
            written = write_plots(directory, pv_share=pv_share)
    except VppsimError as exc:
        raise _fail(exc) from None
    for path in written:
        out.print(f"wrote {escape(str(path))}", highlight=False)


def _check_listen(host: str, port: int) -> None:
    """Refuse a host that does not resolve or a port already taken, before serving."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise ConfigError(f"--host {host!r}: not an address of this machine ({exc})") from None
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as exc:
            reason = "in use" if exc.errno == errno.EADDRINUSE else exc.strerror
            raise ConfigError(f"cannot serve on {host}:{port}: {reason}") from None


@app.command()
def dashboard(
    directory: Annotated[
        Path,
        typer.Argument(
            help="A dataset folder written by `vppsim build`, or a suite written by "
            "`vppsim scenarios` (its base in the tabs, its datasets compared)."
        ),
    ],
    port: Annotated[int, typer.Option(help="TCP port to serve on.", min=1, max=65535)] = 8050,
    host: Annotated[
        str, typer.Option(help="Address to listen on; 127.0.0.1 keeps it on this machine.")
    ] = "127.0.0.1",
    compare: Annotated[
        list[Path] | None,
        typer.Option(
            "--compare",
            help="Another dataset to compare with DIRECTORY's in the Scenarios tab "
            "(repeat for more).",
        ),
    ] = None,
) -> None:
    """Serve the interactive dashboard (Market, Solar, Load, Integrated, Data quality tabs,
    and Scenarios when it compares datasets).

    Open http://127.0.0.1:8050 in a browser; stop with Ctrl-C. Fleet figures are
    aggregated in DuckDB over the Parquet files, so large fleets stay responsive.
    """
    from vppsim.viz.dashboard.app import create_app

    try:
        _check_listen(host, port)
        dash_app = create_app(directory, compare=tuple(compare or ()))
    except VppsimError as exc:
        raise _fail(exc) from None
    out.print(
        f"vppsim dashboard for {escape(str(directory))} on http://{host}:{port}/ (Ctrl-C stops)",
        highlight=False,
    )
    try:
        dash_app.run(host=host, port=port, debug=False)
    except (OSError, SystemExit) as exc:
        err.print(
            f"[bold red]error:[/] cannot serve on {host}:{port}: {escape(str(exc))}",
            highlight=False,
        )
        raise typer.Exit(1) from None


@app.command()
def score(
    directory: Annotated[
        Path | None,
        typer.Argument(
            help="A dataset folder written by `vppsim build`, or a scenario suite folder "
            "(scores every scenario). Default: a small offline study built for the session."
        ),
    ] = None,
    agent: Annotated[
        list[str] | None,
        typer.Option(
            help="A baseline (dispatch mode: perfect_foresight, rule, mpc, none; bidding "
            "mode: perfect_foresight, forecast, none) or module:factory, a factory(env) -> "
            "agent with act(observation, info) -> action, and in dispatch mode optionally "
            "bid(observation, info) -> bids at each bid deadline (repeatable). Default: the "
            "mode's baselines."
        ),
    ] = None,
    mode: Annotated[
        str,
        typer.Option(
            help="dispatch (a step is 15 min, the agent dispatches) or bidding (a step is a "
            "trading day's bids, the default controller dispatches)."
        ),
    ] = "dispatch",
    seed: Annotated[int, typer.Option(help="The episodes' reset seed.")] = 0,
    ancillary: Annotated[
        bool,
        typer.Option(
            "--as/--energy-only",
            help="Measure against the optimum with AS capacity (where the market has AS "
            "prices), or against the energy-only optimum.",
        ),
    ] = True,
) -> None:
    """Score agents over a dataset's episode (dispatch or bidding mode): net revenue, share
    of the perfect-foresight optimum (of the value it adds over business as usual), regret,
    no-pay events, cycles, comfort and EV shortfalls, and the settlement lines."""
    from vppsim.env.agents import BASELINES, BIDDERS
    from vppsim.env.gym import default_study
    from vppsim.env.score import MODES, ScoringEnv, dataset_folders, load_task, resolve_agent
    from vppsim.env.score import score as score_agent

    baselines = BIDDERS if mode == "bidding" else BASELINES
    specs = agent or [name for name in baselines if name != "none"]
    try:
        if mode not in MODES:
            raise ConfigError(f"--mode {mode}: choose {' or '.join(MODES)}")
        factories = {spec: resolve_agent(spec, mode) for spec in specs}
        folders = dataset_folders(directory if directory is not None else default_study())
        scores = {spec: [] for spec in specs}
        for folder in folders:
            env = ScoringEnv(load_task(folder, ancillary=ancillary), mode)
            for spec, factory in factories.items():
                scores[spec].append(score_agent(env, factory(env), seed))
    except VppsimError as exc:
        raise _fail(exc) from None
    figures = (
        ("net revenue [$]", "net_revenue", 2),
        ("share of perfect foresight [%]", "share", 1),
        ("regret [$]", "regret", 2),
        ("return [$]", "episode_return", 2),
        ("no-pay events", "no_pay_events", 0),
        ("equivalent full cycles", "equivalent_full_cycles", 2),
        ("comfort [K h]", "comfort_kh", 2),
        ("EV energy unmet [kWh]", "ev_unmet_kwh", 2),
        ("guard clips", "guard_clips", 0),
    )
    for spec, results in scores.items():
        table = Table(title=f"agent {escape(spec)}" + (" (bidding)" if mode == "bidding" else ""))
        table.add_column("figure")
        for folder in folders:
            table.add_column(escape(folder.name), justify="right")
        for label, field, digits in figures:
            values = [getattr(result, field) for result in results]
            table.add_row(
                escape(label), *(f"{round(value, digits) + 0.0:,.{digits}f}" for value in values)
            )
        for line in results[0].settlement:
            values = [round(result.settlement[line], 2) + 0.0 for result in results]
            table.add_row(escape(f"settlement {line} [$]"), *(f"{value:,.2f}" for value in values))
        out.print(table)


@app.command()
def serve(
    directory: Annotated[
        Path | None,
        typer.Argument(
            help="A dataset folder written by `vppsim build` (its enrolled homes). Default: a "
            "small offline study built for the session."
        ),
    ] = None,
    mode: Annotated[
        str, typer.Option(help="dispatch (a step is 15 min) or bidding (a step is a trading day).")
    ] = "dispatch",
    port: Annotated[int, typer.Option(help="TCP port to serve on.", min=1, max=65535)] = 8000,
    host: Annotated[
        str, typer.Option(help="Address to listen on; 127.0.0.1 keeps it on this machine.")
    ] = "127.0.0.1",
    mcp: Annotated[
        str | None,
        typer.Option(
            help="Serve the Model Context Protocol instead of the HTTP API: stdio (for an "
            "LLM client that starts vppsim) or http (streamable HTTP on --host:--port)."
        ),
    ] = None,
    max_episodes: Annotated[
        int, typer.Option(help="Episodes held at once (each client's own).", min=1)
    ] = 256,
    idle_timeout: Annotated[
        float,
        typer.Option(
            help="Seconds without a request after which an episode is closed and its memory "
            "released (a later request for it is a 404 saying it expired); 0 for never.",
            min=0.0,
        ),
    ] = 900.0,
) -> None:
    """Serve the agent environment to agents: an HTTP API (OpenAPI schema at /docs; episodes,
    observations, steps, settlement; the market clock at /feed) or an MCP server (the same as
    tools), on loopback by default."""
    from vppsim.env.gym import default_study, load, make_env, price_feed
    from vppsim.serve.api import serve as serve_api
    from vppsim.serve.mcp_server import run_mcp

    try:
        if mode not in ("dispatch", "bidding"):
            raise ConfigError(f"--mode {mode}: choose dispatch or bidding")
        if mcp not in (None, "stdio", "http"):
            raise ConfigError(f"--mcp {mcp}: choose stdio or http")
        if mcp != "stdio":
            _check_listen(host, port)
        data = load(directory if directory is not None else default_study())
    except VppsimError as exc:
        raise _fail(exc) from None

    def factory():
        # One read of the dataset, shared read-only by every episode.
        return make_env(mode, data=data)

    if mcp == "stdio":
        run_mcp(factory, "stdio", max_episodes=max_episodes, idle_timeout=idle_timeout)
        return
    where = f"http://{host}:{port}/" + ("mcp" if mcp else "docs")
    err.print(f"vppsim serve ({mode}) on {where} (Ctrl-C stops)", highlight=False)
    if host not in ("127.0.0.1", "localhost", "::1"):
        err.print(
            f"warning: --host {host} serves beyond this machine, with no authentication",
            highlight=False,
        )
    if mcp:
        run_mcp(
            factory,
            "streamable-http",
            host=host,
            port=port,
            max_episodes=max_episodes,
            idle_timeout=idle_timeout,
        )
    else:
        serve_api(
            factory,
            host=host,
            port=port,
            max_episodes=max_episodes,
            feed=price_feed(data),
            idle_timeout=idle_timeout,
        )


def _rows(
    model: type[BaseModel], prefix: str, defaults: BaseModel | None = None
) -> list[tuple[str, str, str]]:
    """(name, default, description) of every field of ``model``, nested models flattened
    (a nested model's fields show the values of its default, ``defaults``)."""
    rows = []
    for name, field in model.model_fields.items():
        if defaults is None:
            default = field.get_default(call_default_factory=True)
        else:
            default = getattr(defaults, name)
        if isinstance(default, BaseModel):
            rows += _rows(type(default), f"{prefix}{name}.", default)
            continue
        shown = json.dumps(to_jsonable_python(default))
        rows.append((f"{prefix}{name}", shown, field.description or ""))
    return rows


@app.command()
def settings(
    section: Annotated[
        str | None,
        typer.Argument(help="study, or a dataset (e.g. market), for that section only."),
    ] = None,
) -> None:
    """List every setting: the study's, then each dataset's options and model parameters,
    with defaults and units (set them with flags, --set DATASET.OPTION=VALUE, VPPSIM_*
    variables or a TOML file)."""
    registry = _registry()
    if section not in (None, "study", *registry.names):
        names = ", ".join(("study", *registry.names))
        raise _fail(ConfigError(f"unknown section {section!r} (use {names})"))
    model = settings_class(registry)
    sections = [section] if section else ["study", *registry.names]
    for name in sections:
        table = Table(title=name, title_justify="left")
        # A setting's name is what the user types: fold it, never cut it with an ellipsis.
        table.add_column("setting", overflow="fold")
        table.add_column("default", overflow="fold")
        table.add_column("meaning")
        if name == "study":
            core = [f for f in model.model_fields if f not in registry.names]
            rows = [r for r in _rows(model, "") if r[0] in core]
        else:
            rows = _rows(registry[name].options, f"{name}.")
        for row in rows:
            table.add_row(*(escape(cell) for cell in row))
        out.print(table)


CALIBRATION_PARTS = ("solar", "system", "market", "load", "forecasts", "scenarios")


def _calibration(part: str, reference: Path, years: int, homes: int, seed: int, workdir: Path):
    if part == "solar":
        from vppsim.calibrate import calibration_tables

        return calibration_tables(reference, years=years, seed=seed, workdir=workdir)
    if part == "system":
        from vppsim.system.calibration import system_calibration_tables

        return system_calibration_tables(reference, seeds=years, seed=seed)
    if part == "market":
        from vppsim.market.calibration import market_calibration_tables

        return market_calibration_tables(reference, years=years, seed=seed)
    if part == "forecasts":
        from vppsim.forecast.calibration import forecast_calibration_tables, synthetic_statistics

        return forecast_calibration_tables(reference, synthetic_statistics(seed=seed))
    if part == "scenarios":
        from vppsim.scenario.calibration import scenario_calibration_tables

        return scenario_calibration_tables(reference, seed=seed)
    from vppsim.load.calibration import load_calibration_tables

    return load_calibration_tables(reference, homes=homes, seed=seed)


@app.command()
def calibrate(
    reference: Annotated[
        Path | None,
        typer.Option(
            help="The shared reference folder (solar/, market/, load/). Default: "
            "$VPPSIM_REFERENCE, else ../shared/reference next to the repository."
        ),
    ] = None,
    part: Annotated[
        str,
        typer.Option(
            help="solar (weather and PV), system (CAISO demand, solar, wind, gas), market "
            "(prices: issue 11's checks), load, forecasts (day-ahead forecast errors), "
            "scenarios (each scenario beside the real event it is modelled on), or all."
        ),
    ] = "all",
    years: Annotated[
        int, typer.Option(help="Simulated years or realisations (solar, system, market).")
    ] = 5,
    homes: Annotated[int, typer.Option(help="Synthetic homes (load).")] = 200,
    seed: Annotated[int, typer.Option(help="Seed of the synthetic side.")] = 42,
) -> None:
    """Print each synthetic model next to the real data it was calibrated on."""
    from vppsim.report import frame_tables, reference_dir

    parts = CALIBRATION_PARTS if part == "all" else (part,)
    problems = []
    if any(name not in CALIBRATION_PARTS for name in parts):
        problems.append(f"part={part!r}: use {', '.join(CALIBRATION_PARTS)} or all")
    if years < 1:
        problems.append(f"years={years}: need at least one simulated year")
    if homes < 1:
        problems.append(f"homes={homes}: need at least one home")
    if problems:
        err.print(f"[bold red]error:[/] {escape('; '.join(problems))}", highlight=False)
        raise typer.Exit(2)
    try:
        folder = reference_dir(reference)
    except ConfigError as exc:
        raise _fail(exc) from None
    tables = {}
    with (
        tempfile.TemporaryDirectory(prefix="vppsim-calibrate-") as workdir,
        err.status("simulating and reading the references..."),
    ):
        try:
            for name in parts:
                tables.update(_calibration(name, folder, years, homes, seed, Path(workdir)))
        except FileNotFoundError as exc:
            err.print(
                f"[bold red]error:[/] missing reference file: {escape(str(exc.filename))}",
                highlight=False,
            )
            raise typer.Exit(2) from None
    # Tables fit the terminal (80 columns when piped); titles wrap to their table's width.
    for title, frame in tables.items():
        for table in frame_tables(title, frame, out.width):
            out.print(table, soft_wrap=False)


@app.command()
def dispatch(
    directory: DIRECTORY,
    strategy: Annotated[
        str,
        typer.Option(
            help="none (business as usual), rule (self-consumption and evening "
            "discharge) or lp (perfect-foresight optimum)."
        ),
    ] = "lp",
    homes_chunk: Annotated[
        str, typer.Option(help="Homes per chunk (memory is bounded by a chunk).")
    ] = "250",
    workers: Annotated[
        str | None,
        typer.Option(
            help="Dispatch the chunks on a local Dask cluster of this many worker processes "
            "(same bytes as without). \\[default: in this process]"
        ),
    ] = None,
    scheduler: Annotated[
        str | None,
        typer.Option(
            help="Dispatch the chunks on the Dask cluster whose scheduler is at this "
            "address, e.g. tcp://10.0.0.5:8786 (same bytes as without)."
        ),
    ] = None,
    chunks_per_task: Annotated[
        str, typer.Option(help="Chunks of homes per Dask task (with --workers or --scheduler).")
    ] = "1",
    ancillary: Annotated[
        bool,
        typer.Option(
            "--as/--energy-only",
            help="Bid AS capacity where the market has AS prices, or energy only.",
        ),
    ] = True,
) -> None:
    """Dispatch the fleet of a built dataset; write DIRECTORY/dispatch/<strategy>/."""
    from vppsim.fleet.run import load_dispatch_models, write_dispatch

    exit_on_sigterm()
    try:
        chunk = _whole(homes_chunk, "homes-chunk", 10**9)
        cluster = _Cluster(
            None if workers is None else _whole(workers, "workers", 1024),
            scheduler,
            _whole(chunks_per_task, "chunks-per-task", 10**9),
        )
        with cluster.executor(load_dispatch_models) as executor, _progress_bar() as progress:

            def bar(total: int) -> Callable[[int], None]:
                return _RichProgress(progress).start(f"dispatch {strategy}", total)

            path, summary = write_dispatch(
                directory, strategy, None, ancillary, chunk, progress=bar, executor=executor
            )
    except VppsimError as exc:
        raise _fail(exc) from None
    except KeyboardInterrupt:
        err.print("interrupted: nothing was written; any earlier dispatch is untouched")
        raise typer.Exit(130) from None
    kpis = summary["kpis"]
    out.print(f"wrote {escape(str(path))}", highlight=False)
    for name, unit, decimals in (
        ("net revenue", "$", 2),
        ("energy revenue", "$", 2),
        ("as revenue", "$", 2),
        ("degradation cost", "$", 2),
        ("equivalent full cycles", "cycles", 1),
        ("fleet peak kw", "kW", 1),
        ("peak reduction kw", "kW", 1),
        ("comfort degree hours", "K h", 1),
        ("ev unmet kwh", "kWh", 2),
        ("violations", "", 0),
        ("homes with issues", "", 0),
    ):
        label = name.removesuffix(" kw").removesuffix(" kwh")
        value = round(float(kpis[name]), decimals) + 0.0  # no "-0.0"
        label += f" [{unit}]" if unit else ""
        out.print(escape(f"  {label}: {value:,.{decimals}f}"), highlight=False)


def _whole(text: str, name: str, most: int) -> int:
    """A whole number in [1, most] given on the command line, or a one-line error naming it
    (typer's own would be a usage box)."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if not 1 <= value <= most:
        raise ConfigError(f"--{name}={text}: need a whole number from 1 to {most}")
    return value


def main() -> None:  # pragma: no cover - console entry for `python -m vppsim`
    sys.exit(app())
