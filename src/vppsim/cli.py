"""The ``vppsim`` command line: thin, calling the library."""

from __future__ import annotations

import json
import signal
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from vppsim.config import DATASETS, SourceMode, load_settings
from vppsim.dataset.atomic import MANIFEST
from vppsim.dataset.build import BuildResult, build_dataset
from vppsim.errors import ConfigError, VppsimError
from vppsim.validate import validate_directory

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
    err.print(f"[bold red]error:[/] {exc}", highlight=False)
    return typer.Exit(exc.exit_code)


def exit_on_sigterm() -> None:
    """Turn SIGTERM into SystemExit so the staging folder is cleaned up like on Ctrl-C."""

    def handler(signum: int, frame: Any) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, handler)


class _RichProgress:
    def __init__(self, progress: Progress):
        self._progress = progress

    def start(self, description: str, total: int) -> Callable[[int], None]:
        task = self._progress.add_task(description, total=total)
        return lambda advance: self._progress.advance(task, advance)


def _size(nbytes: int) -> str:
    for unit in ("B", "kB", "MB", "GB"):
        if nbytes < 1000 or unit == "GB":
            return f"{nbytes:,.0f} {unit}" if unit == "B" else f"{nbytes:,.1f} {unit}"
        nbytes /= 1000
    raise AssertionError("unreachable")


def _dataset_table(manifest: dict[str, Any]) -> Table:
    table = Table(title="datasets", title_justify="left")
    for column in ("dataset", "source", "kind", "rows", "files", "size"):
        table.add_column(column, justify="right" if column in {"rows", "files", "size"} else "left")
    for name in DATASETS:
        provenance = manifest["provenance"].get(name)
        resources = [r for r in manifest["resources"] if r["dataset"] == name]
        if provenance is None:
            continue
        files = sum(len(r.get("files", [r])) for r in resources)
        rows = max((r["rows"] for r in resources), default=0)
        kind = provenance["kind"] + (" (fallback)" if provenance["fallback_reason"] else "")
        table.add_row(
            name,
            provenance["source"],
            kind,
            f"{rows:,}",
            f"{files:,}",
            _size(sum(r["bytes"] for r in resources)),
        )
    return table


def _print_fallbacks(manifest: dict[str, Any]) -> None:
    for name, provenance in manifest["provenance"].items():
        if provenance["fallback_reason"]:
            out.print(
                f"  {name}: synthetic because {provenance['fallback_reason']}", highlight=False
            )


@app.command()
def build(
    start: Annotated[
        str | None, typer.Option(help="First local day, YYYY-MM-DD. \\[default: 2023-08-01]")
    ] = None,
    end: Annotated[
        str | None, typer.Option(help="Last local day, inclusive. \\[default: 2023-08-31]")
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
    ev_share: Annotated[
        float | None,
        typer.Option(help="Share of homes with a home EV charger, 0-1. \\[default: 0]"),
    ] = None,
    interval: Annotated[
        int | None,
        typer.Option(help="Interval length in minutes: 5, 15, 30 or 60. \\[default: 15]"),
    ] = None,
    out_dir: Annotated[
        Path | None,
        typer.Option("--out", help="Output folder, replaced atomically. \\[default: data]"),
    ] = None,
    config: Annotated[
        Path | None,
        typer.Option(help="TOML file of settings (top-level keys named like the flags)."),
    ] = None,
    env_file: Annotated[
        Path, typer.Option(help="dotenv file with VPPSIM_* settings and API keys.")
    ] = Path(".env"),
    weather_source: Annotated[str | None, typer.Option(help=f"Weather: {SOURCE_HELP}")] = None,
    solar_source: Annotated[str | None, typer.Option(help=f"Solar: {SOURCE_HELP}")] = None,
    market_source: Annotated[str | None, typer.Option(help=f"Market prices: {SOURCE_HELP}")] = None,
    load_source: Annotated[str | None, typer.Option(help=f"Household load: {SOURCE_HELP}")] = None,
    offline: Annotated[
        bool, typer.Option("--offline", help="All datasets synthetic; no network.")
    ] = False,
    only: Annotated[
        str | None,
        typer.Option(
            help="Comma-separated datasets to build (weather, solar, market, load); the "
            "datasets they derive from are built too. \\[default: all]"
        ),
    ] = None,
    market_node: Annotated[
        str | None, typer.Option(help="CAISO LMP node (live). \\[default: DLAP_SCE-APND]")
    ] = None,
    as_region: Annotated[
        str | None, typer.Option(help="CAISO AS region (live). \\[default: AS_CAISO_EXP]")
    ] = None,
    price_level: Annotated[
        float | None,
        typer.Option(help="Synthetic price level multiplier. \\[default: by year, sourced]"),
    ] = None,
    nlr_base_url: Annotated[
        str | None,
        typer.Option(help="NREL/NLR API host. \\[default: https://developer.nlr.gov]"),
    ] = None,
    http_timeout: Annotated[
        float | None, typer.Option(help="Timeout of each HTTP request [s]. \\[default: 20]")
    ] = None,
    formats: Annotated[
        str | None, typer.Option(help="Comma-separated: csv, parquet. \\[default: csv,parquet]")
    ] = None,
    csv_homes_limit: Annotated[
        int | None,
        typer.Option(help="Write per-home CSVs only up to this many homes. \\[default: 1000]"),
    ] = None,
    chunk_homes: Annotated[
        int | None, typer.Option(help="Homes generated per Parquet part. \\[default: 1000]")
    ] = None,
) -> None:
    """Build, validate and atomically write the dataset for a study."""
    exit_on_sigterm()
    sources = {
        "weather_source": weather_source,
        "solar_source": solar_source,
        "market_source": market_source,
        "load_source": load_source,
    }
    try:
        if offline:
            clashing = {k: v for k, v in sources.items() if v not in (None, SourceMode.SYNTHETIC)}
            if clashing:
                name, value = next(iter(clashing.items()))
                raise ConfigError(f"--offline conflicts with --{name.replace('_', '-')} {value}")
            sources = dict.fromkeys(sources, SourceMode.SYNTHETIC.value)
        settings = load_settings(
            {
                "start": start,
                "end": end,
                "timezone": timezone,
                "latitude": latitude,
                "longitude": longitude,
                "homes": homes,
                "seed": seed,
                "ev_share": ev_share,
                "interval_minutes": interval,
                "out": out_dir,
                "formats": formats,
                "csv_homes_limit": csv_homes_limit,
                "chunk_homes": chunk_homes,
                "datasets": only,
                "market_node": market_node,
                "as_region": as_region,
                "price_level": price_level,
                "nlr_base_url": nlr_base_url,
                "http_timeout_s": http_timeout,
                **sources,
            },
            config_file=config,
            env_file=env_file,
        )
        if not settings.writes_home_csvs:
            out.print(
                f"Per-home CSVs skipped: {settings.homes:,} homes is above csv_homes_limit "
                f"{settings.csv_homes_limit:,}; load is written to Parquet only."
            )
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=err,
            transient=True,
        ) as progress:
            result = build_dataset(settings, progress=_RichProgress(progress))
    except VppsimError as exc:
        raise _fail(exc) from None
    except KeyboardInterrupt:
        err.print("interrupted: nothing was written; any earlier dataset is untouched")
        raise typer.Exit(130) from None
    _print_summary(result)


def _print_summary(result: BuildResult) -> None:
    manifest = result.manifest
    meta = manifest["vppsim"]
    grid = meta["grid"]
    homes = f"{meta['config']['homes']:,} homes, " if "load" in meta["datasets"] else ""
    out.print(
        f"[bold green]Built[/] {result.path} : {', '.join(meta['datasets'])}; "
        f"{grid['intervals']:,} intervals of {grid['interval_minutes']} min from "
        f"{grid['first_interval_start']}, {homes}seed {meta['seed']}",
        highlight=False,
    )
    out.print(_dataset_table(manifest))
    _print_fallbacks(manifest)
    passed = sum(check.ok for check in result.report.checks)
    out.print(
        f"Validated: {passed}/{len(result.report.checks)} checks passed. "
        f"Manifest: {result.path / MANIFEST}"
    )


@app.command()
def validate(
    directory: Annotated[Path, typer.Argument(help="A dataset folder written by `vppsim build`.")],
) -> None:
    """Check a dataset against its manifest, schemas and time grid; list every failure."""
    report = validate_directory(directory)
    table = Table(title=f"validation of {directory}", title_justify="left")
    table.add_column("check")
    table.add_column("result")
    table.add_column("detail")
    for check in report.checks:
        status = "[green]pass[/]" if check.ok else "[bold red]FAIL[/]"
        table.add_row(check.name, status, "\n".join(check.failures) or check.detail)
    out.print(table)
    if not report.ok:
        err.print(f"[bold red]{len(report.failures)} failure(s):[/]")
        for failure in report.failures:
            err.print(f"  {failure}", highlight=False)
        raise typer.Exit(1)
    out.print(f"[bold green]All {len(report.checks)} checks passed.[/]")


@app.command()
def info(
    directory: Annotated[Path, typer.Argument(help="A dataset folder written by `vppsim build`.")],
) -> None:
    """Summarise a dataset from its manifest: period, homes, sources and fallbacks, sizes."""
    try:
        manifest = json.loads((directory / MANIFEST).read_text(encoding="utf-8"))
        meta = manifest["vppsim"]
        config, grid = meta["config"], meta["grid"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        err.print(
            f"[bold red]error:[/] cannot read {directory / MANIFEST}: {exc!r}", highlight=False
        )
        raise typer.Exit(1) from None
    out.print(f"[bold]{manifest['title']}[/]")
    out.print(
        f"period   {config['start']} to {config['end']} ({config['timezone']}), "
        f"{grid['intervals']:,} x {grid['interval_minutes']} min, "
        f"{grid['first_interval_start']} .. {grid['last_interval_start']}",
        highlight=False,
    )
    out.print(
        f"site     {config['latitude']}, {config['longitude']}; "
        + (f"homes {config['homes']:,}; " if "load" in meta.get("datasets", ["load"]) else "")
        + f"seed {meta['seed']}; vppsim {meta['version']}",
        highlight=False,
    )
    out.print(_dataset_table(manifest))
    if any(p["fallback_reason"] for p in manifest["provenance"].values()):
        out.print("fallbacks:")
        _print_fallbacks(manifest)
    total = sum(r["bytes"] for r in manifest["resources"])
    out.print(f"total    {_size(total)} in {directory}")


@app.command()
def plots(
    directory: Annotated[Path, typer.Argument(help="A dataset folder written by `vppsim build`.")],
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
        out.print(f"wrote {path}", highlight=False)


@app.command()
def dashboard(
    directory: Annotated[Path, typer.Argument(help="A dataset folder written by `vppsim build`.")],
    port: Annotated[int, typer.Option(help="TCP port to serve on.", min=1, max=65535)] = 8050,
    host: Annotated[
        str, typer.Option(help="Address to listen on; 127.0.0.1 keeps it on this machine.")
    ] = "127.0.0.1",
) -> None:
    """Serve the interactive dashboard (Market, Solar, Load, Integrated, Data quality tabs).

    Open http://127.0.0.1:8050 in a browser; stop with Ctrl-C. Fleet figures are
    aggregated in DuckDB over the Parquet files, so large fleets stay responsive.
    """
    from vppsim.viz.dashboard.app import create_app

    try:
        dash_app = create_app(directory)
    except VppsimError as exc:
        raise _fail(exc) from None
    out.print(f"vppsim dashboard for {directory} on http://{host}:{port}/ (Ctrl-C stops)")
    try:
        dash_app.run(host=host, port=port, debug=False)
    except OSError as exc:
        err.print(f"[bold red]error:[/] cannot serve on {host}:{port}: {exc}", highlight=False)
        raise typer.Exit(1) from None


CALIBRATION_PARTS = ("solar", "market", "load")


def _calibration(part: str, reference: Path, years: int, homes: int, seed: int, workdir: Path):
    if part == "solar":
        from vppsim.calibrate import calibration_tables

        return calibration_tables(reference, years=years, seed=seed, workdir=workdir)
    if part == "market":
        from vppsim.market.calibration import market_calibration_tables

        return market_calibration_tables(reference, years=years, seed=seed)
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
        str, typer.Option(help="solar (weather and PV), market, load, or all.")
    ] = "all",
    years: Annotated[int, typer.Option(help="Simulated years (solar and market).")] = 5,
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


def main() -> None:  # pragma: no cover - console entry for `python -m vppsim`
    sys.exit(app())
