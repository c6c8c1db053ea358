"""The four static analysis charts of a dataset, as PNGs in ``DIR/plots/``.

Figures are drawn on :class:`matplotlib.figure.Figure` directly (no pyplot, no global
state, no display), from the answers of :class:`~vppsim.viz.queries.DatasetQueries`, so the
fleet is only ever aggregated in SQL. The same dataset gives the same PNG bytes: fixed size,
resolution and fonts, and no software or date stamp in the file.
"""

from __future__ import annotations

import os
import textwrap
import uuid
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import matplotlib as mpl
import matplotlib.dates as mdates
import matplotlib.ticker as mticker
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from vppsim.dataset.schemas import TIMESTAMP
from vppsim.errors import ConfigError, VppsimError
from vppsim.fleet.assets import FleetParameters
from vppsim.grid import local_midnight
from vppsim.viz import INTEGRATED_PNG, LOAD_PNG, MARKET_PNG, PLOTS_FOLDER, SOLAR_PNG
from vppsim.viz.analysis import (
    MIN_FIT_DAYS,
    SKY_CLASSES,
    SPIKE_THRESHOLD_USD_MWH,
    daily_aggregate,
    daily_peak_hours,
    daily_solar,
    hourly_profile_band,
    hourly_profile_by_label,
    linear_fit,
    local_index,
    net_load,
    shift_revenue,
)
from vppsim.viz.queries import DatasetQueries

FIGSIZE = (14.0, 12.0)
"""Figure size [in]; with :data:`DPI` 1540 x 1320 pixels."""
DPI = 110
CAPTION_CHARS = 200
"""Caption characters per line: the width of :data:`FIGSIZE` at the caption's 8.5 pt."""

STYLE = {
    "font.family": "DejaVu Sans",  # ships with matplotlib: same glyphs on every machine
    "font.size": 10,
    "axes.titlesize": 11,
    "axes.titleweight": "bold",
    "axes.labelsize": 10,
    "legend.fontsize": 9,
    "legend.framealpha": 0.9,
    "xtick.labelsize": 9,
    "ytick.labelsize": 9,
    "figure.titlesize": 15,
    "figure.titleweight": "bold",
    "axes.grid": True,
    "grid.alpha": 0.3,
    "grid.linewidth": 0.6,
}

COLORS = {
    "lmp": "#1f4e79",
    "da_lmp": "#66a61e",
    "spin_price": "#d95f02",
    "nonspin_price": "#7570b3",
    "regup_price": "#1b9e77",
    "regdown_price": "#e7298a",
    "spike": "#c0392b",
    "weekday": "#1b7837",
    "weekend": "#d95f02",
    "solar": "#e69f00",
    "load": "#1b7837",
    "net": "#762a83",
    "clear": "#f2b705",
    "partly cloudy": "#9ecae1",
    "cloudy": "#636363",
}

AS_LABELS = {
    "spin_price": "spinning reserve",
    "nonspin_price": "non-spinning reserve",
    "regup_price": "regulation up",
    "regdown_price": "regulation down",
}
"""Ancillary-service capacity prices [$/MW-h], drawn apart from the LMP [$/MWh]."""
INDIVIDUAL_HOMES = 5
WINDOW_DAYS = 7
MIDDAY, EVENING = (10, 15), (16, 22)
KWH_SHIFTED_PER_HOME = 1.0
FLEET_COLUMNS = ["load_kw", "pv_kw", "net_kw"]


def write_plots(root: Path, pv_share: float = 0.5, out: Path | None = None) -> list[Path]:
    """Draw every analysis chart the dataset supports and write them as PNGs.

    Parameters
    ----------
    root : path
        A dataset folder written by ``vppsim build``.
    pv_share : float
        Share of homes given rooftop PV in the integrated chart [1], in [0, 1].
    out : path, optional
        Folder for the PNGs; ``root / "plots"`` by default. Created if missing.

    Returns
    -------
    list of Path
        The PNGs written, in the order market, solar, load, integrated. The market chart
        needs the market dataset, solar the solar dataset, load the load dataset (and
        weather for its temperature panel, left out without it), integrated all of market,
        solar and load.

    Raises
    ------
    ConfigError
        If ``pv_share`` is outside [0, 1], or the folder for the PNGs cannot be created or
        written (e.g. a read-only dataset).
    VppsimError
        If the dataset holds nothing any chart can show, or is not a dataset.
    """
    if not 0 <= pv_share <= 1:
        raise ConfigError(f"pv_share must be between 0 and 1, got {pv_share!r}")
    root = Path(root)
    queries = DatasetQueries(root)
    charts: list[tuple[str, tuple[str, ...], Callable[[], Figure]]] = [
        (MARKET_PNG, ("market",), lambda: market_figure(queries)),
        (SOLAR_PNG, ("solar",), lambda: solar_figure(queries)),
        (LOAD_PNG, ("load",), lambda: load_figure(queries)),
        (
            INTEGRATED_PNG,
            ("market", "solar", "load"),
            lambda: integrated_figure(queries, pv_share),
        ),
    ]
    drawable = [(name, draw) for name, needs, draw in charts if set(needs) <= set(queries.datasets)]
    if not drawable:
        raise VppsimError(f"{root} has no market, solar or load data to plot")
    folder = Path(out) if out is not None else root / PLOTS_FOLDER
    written = []
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with mpl.rc_context(STYLE):
            for name, draw in drawable:
                written.append(_save(draw(), folder / name))
    except OSError as exc:
        # A read-only dataset (or plots folder) is a setting to change, not a crash.
        raise ConfigError(f"cannot write the charts to {folder}: {exc.strerror or exc}") from None
    return written


def _save(figure: Figure, path: Path) -> Path:
    """Write ``figure`` to ``path`` atomically: a reader never sees half a PNG.

    The file gets the permissions the umask gives any new file (not ``mkstemp``'s 0600):
    the temporary file is created with mode 0666, which the umask narrows.
    """
    temporary = path.parent / f".{path.stem}.{os.getpid()}.{uuid.uuid4().hex}.tmp"
    handle = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(handle, "wb") as stream:
            figure.savefig(stream, format="png", dpi=DPI, metadata={"Software": None})
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path


# -- figures ---------------------------------------------------------------------------------


def market_figure(queries: DatasetQueries) -> Figure:
    """Prices over the period, their daily profile by day type, and their distribution.

    Parameters
    ----------
    queries : DatasetQueries
        The dataset; it must hold market.

    Returns
    -------
    Figure
        LMP [$/MWh] and AS prices [$/MW-h] in local time.
    """
    tz = queries.timezone
    market = queries.table("market")
    local = local_index(market[TIMESTAMP], tz)
    figure = _figure(
        f"{market_title(queries)}, {_period(queries)}", queries.source_caption("market")
    )
    grid = figure.add_gridspec(3, 3, height_ratios=[1.2, 0.8, 1.1])

    ax = figure.add_subplot(grid[0, :])
    lmp = market["lmp"].to_numpy()
    ax.plot(local, lmp, color=COLORS["lmp"], lw=0.6, label="real-time LMP (FMM)")
    if "da_lmp" in market:  # datasets built before the day-ahead market have none
        ax.plot(
            local, market["da_lmp"], color=COLORS["da_lmp"], lw=0.9, label="day-ahead LMP (IFM)"
        )
    spikes = lmp > SPIKE_THRESHOLD_USD_MWH
    ax.scatter(
        local[spikes],
        lmp[spikes],
        s=10,
        color=COLORS["spike"],
        zorder=3,
        label=f"spike (> ${SPIKE_THRESHOLD_USD_MWH:.0f}/MWh): {spikes.sum()} intervals",
    )
    ax.axhline(SPIKE_THRESHOLD_USD_MWH, color=COLORS["spike"], ls="--", lw=0.8)
    ax.set(
        title=f"Locational marginal price ({queries.interval_minutes}-min intervals)",
        ylabel="LMP [$/MWh]",
    )
    ax.legend(loc="upper left")
    _time_axis(ax, tz)

    ax_as = figure.add_subplot(grid[1, :], sharex=ax)
    for column, label in AS_LABELS.items():
        if column in market:
            ax_as.plot(
                local,
                market[column],
                color=COLORS[column],
                lw=0.8,
                label=f"{label} (mean ${market[column].mean():.2f}/MW-h)",
            )
    ax_as.set(title="Ancillary-service prices", ylabel="AS price [$/MW-h]")
    ax_as.set_ylim(bottom=0)
    ax_as.legend(loc="upper left", ncols=2)
    _time_axis(ax_as, tz)

    ax = figure.add_subplot(grid[2, 0])
    band = hourly_profile_band(market, "lmp", tz)
    _band(ax, band, COLORS["lmp"], "median", "p10-p90")
    ax.set(title="Daily price profile, all days", ylabel="LMP [$/MWh]")
    ax.legend(loc="upper left")
    _hour_axis(ax, tz)

    ax_days = figure.add_subplot(grid[2, 1], sharey=ax)
    by_type = hourly_profile_band(market, "lmp", tz, by_day_type=True)
    for day_type in by_type.index.unique("day_type"):
        # Wall-clock dates: a zone may repeat or skip its midnight.
        wall = local[(local.dayofweek >= 5) == (day_type == "weekend")].tz_localize(None)
        days = wall.normalize().unique()
        _band(
            ax_days,
            by_type.loc[day_type],
            COLORS[day_type],
            f"{day_type} median ({len(days)} d)",
            None,
            alpha=0.12,
        )
    ax_days.set(title="Weekday against weekend (median, p10-p90)", ylabel="LMP [$/MWh]")
    ax_days.legend(loc="upper left")
    _hour_axis(ax_days, tz)

    ax = figure.add_subplot(grid[2, 2])
    width = 10.0
    low = SPIKE_THRESHOLD_USD_MWH - width * np.ceil((SPIKE_THRESHOLD_USD_MWH - lmp.min()) / width)
    edges = np.arange(low, max(lmp.max(), SPIKE_THRESHOLD_USD_MWH) + 2 * width, width)
    counts, edges = np.histogram(lmp, edges)
    tail = edges[:-1] >= SPIKE_THRESHOLD_USD_MWH
    ax.bar(
        edges[:-1][~tail],
        counts[~tail],
        width,
        align="edge",
        color=COLORS["lmp"],
        label=f"{queries.interval_minutes}-min intervals",
    )
    ax.bar(
        edges[:-1][tail],
        counts[tail],
        width,
        align="edge",
        color=COLORS["spike"],
        label=f"spike tail: {spikes.sum()} ({spikes.mean():.1%})",
    )
    ax.axvline(SPIKE_THRESHOLD_USD_MWH, color=COLORS["spike"], ls="--", lw=0.8)
    ax.set_yscale("log")
    ax.set(
        title="Price distribution", xlabel="LMP [$/MWh]", ylabel="intervals per $10/MWh bin (log)"
    )
    ax.legend(loc="upper right")
    return figure


def market_title(queries: DatasetQueries) -> str:
    """What the prices are: a CAISO node's only when they came from CAISO (live), since a
    synthetic series (or a fallback to one) belongs to no node."""
    node = queries.manifest["vppsim"].get("config", {}).get("market", {}).get("node", "")
    if queries.provenance("market").get("kind") == "live":
        return f"CAISO market prices at {node}" if node else "CAISO market prices"
    return "Synthetic market prices (CAISO-calibrated model, no real node)"


def solar_figure(queries: DatasetQueries) -> Figure:
    """PV output over time, its daily profile, and daily energy by sky class.

    Parameters
    ----------
    queries : DatasetQueries
        The dataset; it must hold solar.

    Returns
    -------
    Figure
        Output [kW AC per kW DC], energy [kWh per kW DC], capacity factor [%].
    """
    tz = queries.timezone
    solar = queries.table("solar")
    column = "generation_kw_per_kw_installed"
    local = local_index(solar[TIMESTAMP], tz)
    daily = daily_solar(solar, tz, queries.interval_minutes)
    figure = _figure(
        f"Rooftop PV output per kW installed, {_period(queries)}",
        queries.source_caption("solar", "weather"),
    )
    grid = figure.add_gridspec(3, 2, height_ratios=[1.1, 1, 1])
    counts = daily["sky"].value_counts()

    ax = figure.add_subplot(grid[0, :])
    for day, sky in daily["sky"].items():
        if sky != "partly cloudy":
            ax.axvspan(*_day_span(day, tz), color=COLORS[sky], alpha=0.18, lw=0)
    ax.plot(local, solar[column], color=COLORS["solar"], lw=0.7)
    ax.set(title="Generation (clear and cloudy days shaded)", ylabel="output [kW AC per kW DC]")
    ax.set_ylim(bottom=0)
    ax.legend(
        handles=_sky_handles(counts, ("clear", "cloudy"), alpha=0.35), loc="upper left", ncols=2
    )
    _time_axis(ax, tz)

    ax = figure.add_subplot(grid[1, 0])
    _band(ax, hourly_profile_band(solar, column, tz), COLORS["solar"], "median", "p10-p90")
    ax.set(title="Daily profile, all days", ylabel="output [kW AC per kW DC]")
    ax.set_ylim(bottom=0)
    ax.legend(loc="upper left")
    _hour_axis(ax, tz)

    ax = figure.add_subplot(grid[1, 1], sharey=ax)
    profiles = hourly_profile_by_label(solar, column, tz, daily["sky"])
    for sky in SKY_CLASSES:
        if sky in profiles:
            ax.plot(
                _hour_centres(),
                profiles[sky],
                color=COLORS[sky],
                lw=2,
                label=f"{sky} ({counts[sky]} d)",
            )
    ax.set(title="Mean daily profile by sky class", ylabel="output [kW AC per kW DC]")
    ax.legend(loc="upper left")
    _hour_axis(ax, tz)

    days = _day_positions(daily.index)
    ax = figure.add_subplot(grid[2, 0])
    ax.bar(
        days,
        daily["energy_kwh_per_kw"],
        0.8,
        color=[COLORS[s] for s in daily["sky"]],
        edgecolor="0.3",
        lw=0.4,
    )
    ax.step(
        days,
        daily["envelope_kwh_per_kw"],
        where="mid",
        color="0.2",
        lw=1,
        label="clear-day envelope (p90, 31-d window)",
    )
    ax.step(
        days,
        0.7 * daily["envelope_kwh_per_kw"],
        where="mid",
        color="0.2",
        lw=0.8,
        ls=":",
        label="cloudy below 0.7 x envelope",
    )
    ax.set(title="Daily energy by sky class", ylabel="energy [kWh per kW DC]")
    ax.set_ylim(0, 1.4 * daily["energy_kwh_per_kw"].max())
    ax.legend(
        handles=[*_sky_handles(counts, SKY_CLASSES), *ax.get_legend_handles_labels()[0]],
        loc="upper left",
        ncols=2,
    )
    _date_axis(ax, tz, len(days))

    ax = figure.add_subplot(grid[2, 1], sharex=ax)
    percent = 100 * daily["capacity_factor"]
    ax.plot(days, percent, color="0.5", lw=1, zorder=1)
    ax.scatter(
        days,
        percent,
        c=[COLORS[s] for s in daily["sky"]],
        edgecolors="0.3",
        linewidths=0.4,
        s=36,
        zorder=2,
    )
    ax.axhline(
        percent.mean(),
        color=COLORS["solar"],
        ls="--",
        lw=1.2,
        label=f"period mean {percent.mean():.1f} %",
    )
    ax.set(
        title="Daily capacity factor (AC energy / (kW DC x hours in the day))",
        ylabel="capacity factor [%]",
    )
    ax.legend(loc="lower left")
    _date_axis(ax, tz, len(days))
    return figure


def load_figure(queries: DatasetQueries) -> Figure:
    """Homes and fleet, the profile across homes, their spread, diversity and heat.

    Parameters
    ----------
    queries : DatasetQueries
        The dataset; it must hold load; with weather it adds load against temperature.

    Returns
    -------
    Figure
        Load [kW], energy [kWh/day] and coincident peak [kW per home].
    """
    tz = queries.timezone
    homes = queries.home_count()
    has_weather = "weather" in queries.datasets
    figure = _figure(
        f"Residential load of {homes:,} homes, {_period(queries)}",
        queries.source_caption("load", *(["weather"] if has_weather else [])),
        *filter(None, [queries.sample_note()]),
    )
    grid = figure.add_gridspec(3, 6, height_ratios=[1.1, 1, 1])

    fleet = queries.fleet_load()
    fleet["kw_per_home"] = fleet["load_kw"] / fleet["homes"]
    hours = queries.interval_minutes / 60
    daily_kwh = daily_aggregate(fleet, "kw_per_home", tz, "sum") * hours
    first, last = _window(daily_aggregate(fleet, "kw_per_home", tz, "max"))
    ax = figure.add_subplot(grid[0, :])
    ids = queries.home_ids(limit=INDIVIDUAL_HOMES)
    individual = queries.home_load(ids, first, last)
    for number, (home_id, series) in enumerate(individual.groupby("home_id")):
        ax.plot(
            local_index(series[TIMESTAMP], tz),
            series["load_kw"],
            lw=0.6,
            alpha=0.75,
            color=mpl.colormaps["tab10"](number),
            label=f"home {home_id}",
        )
    week = fleet[_in_days(fleet[TIMESTAMP], tz, first, last)]
    ax.plot(
        local_index(week[TIMESTAMP], tz),
        week["kw_per_home"],
        color="black",
        lw=2.2,
        label=f"fleet mean of {homes:,} homes",
    )
    ax.set(
        title="Individual homes and the fleet, "
        + _window_label(queries, first, last, "the fleet's highest load"),
        ylabel="load [kW]",
    )
    ax.set_ylim(bottom=0)
    ax.legend(loc="upper left", ncols=INDIVIDUAL_HOMES + 1)
    _time_axis(ax, tz)

    ax = figure.add_subplot(grid[1, 0:2])
    band = queries.profile_band()
    _band(ax, band, COLORS["load"], "median home", "p10-p90 of homes")
    ax.plot(_hour_centres(), band["mean"], color="black", lw=1.2, ls="--", label="fleet mean")
    ax.set(title="Daily profile across homes", ylabel="mean load [kW per home]")
    ax.set_ylim(bottom=0)
    ax.legend(loc="upper left")
    _hour_axis(ax, tz)

    stats = queries.home_daily_stats()
    ax = figure.add_subplot(grid[1, 2:4])
    _histogram(ax, stats["daily_kwh"], COLORS["load"], "kWh/day")
    ax.set(title="Daily energy across homes", xlabel="mean daily energy [kWh/day]", ylabel="homes")
    ax = figure.add_subplot(grid[1, 4:6])
    _histogram(ax, stats["peak_kw"], COLORS["net"], "kW")
    ax.set(
        title=f"Peak across homes ({queries.interval_minutes}-min)",
        xlabel="highest interval load [kW]",
        ylabel="homes",
    )

    ax = figure.add_subplot(grid[2, 0:3] if has_weather else grid[2, :])
    curve = queries.diversity_curve()
    ax.plot(curve["homes"], curve["peak_kw_per_home"], "o-", color=COLORS["net"], lw=1.5)
    if len(curve) > 1:
        single, whole = curve["peak_kw_per_home"].iloc[[0, -1]]
        ax.annotate(
            f"{single:.2f} kW alone (mean own peak)",
            (curve["homes"].iloc[0], single),
            xytext=(8, -4),
            textcoords="offset points",
            va="top",
        )
        ax.annotate(
            f"{whole:.2f} kW per home\nfor all {homes:,}\n"
            f"(coincidence factor {curve['coincidence_factor'].iloc[-1]:.2f})",
            (curve["homes"].iloc[-1], whole),
            xytext=(-8, 12),
            textcoords="offset points",
            ha="right",
            va="bottom",
        )
    ax.set_xscale("log")
    ax.set_xticks(curve["homes"], [f"{n:,}" for n in curve["homes"]])
    ax.xaxis.set_minor_locator(mticker.NullLocator())
    ax.set(
        title="Diversity: coincident peak per home against group size",
        xlabel="homes in group (log scale)",
        ylabel="coincident peak [kW per home]",
    )
    ax.set_ylim(0, 1.15 * curve["peak_kw_per_home"].max())

    if has_weather:
        ax = figure.add_subplot(grid[2, 3:6])
        weather = queries.table("weather")
        tmax = daily_aggregate(weather, "temp_air_c", tz, "max").reindex(daily_kwh.index)
        weekend = np.array([day.weekday() >= 5 for day in daily_kwh.index])
        for day_type, days, marker in (("weekday", ~weekend, "o"), ("weekend", weekend, "s")):
            if days.any():
                ax.scatter(
                    tmax[days],
                    daily_kwh[days],
                    color=COLORS[day_type],
                    s=30,
                    marker=marker,
                    label=day_type,
                )
        # Two days always fit a line exactly: a slope needs a few more to mean anything.
        if tmax.nunique() >= MIN_FIT_DAYS:
            slope, intercept, r2 = linear_fit(tmax, daily_kwh)
            line = np.array([tmax.min(), tmax.max()])
            ax.plot(
                line,
                slope * line + intercept,
                color="black",
                lw=1.2,
                label=f"fit: {slope:+.2f} kWh/day per °C (R² {r2:.2f})",
            )
        ax.set(
            title="Load against temperature, per day",
            xlabel="daily maximum air temperature [°C]",
            ylabel="fleet energy [kWh/day per home]",
        )
        ax.legend(loc="upper left")
    return figure


def integrated_figure(queries: DatasetQueries, pv_share: float = 0.5) -> Figure:
    """Prices against sun, the fleet's net load with rooftop PV, and the evening spread.

    Parameters
    ----------
    queries : DatasetQueries
        The dataset; it must hold market, solar and load.
    pv_share : float
        Share of homes with rooftop PV [1] for a dataset without the fleet's own PV (the
        ``assets`` and ``pv`` datasets); see :meth:`DatasetQueries.fleet_pv`.

    Returns
    -------
    Figure
        Prices [$/MWh], fleet power [kW or MW] and the shifting estimate [$].
    """
    tz = queries.timezone
    market, solar = queries.table("market"), queries.table("solar")
    fleet = queries.fleet_load()
    ids = queries.home_ids()
    pv = queries.fleet_pv(pv_share=pv_share)
    frame = fleet.merge(pv.series, on=TIMESTAMP)
    frame["net_kw"] = net_load(frame["load_kw"], frame["pv_kw"])
    scale, unit = (1000.0, "MW") if frame["load_kw"].abs().max() >= 1000 else (1.0, "kW")
    if pv.drawn:
        about_pv = (
            f"PV: {pv_share:.0%} of homes drawn to have a rooftop system (median "
            f"{FleetParameters().pv_size_median_kw_dc:g} kW DC, seed {queries.seed}), output "
            "from the solar dataset."
        )
    else:
        about_pv = "PV: each home's own rooftop system on its own roof (assets and pv datasets)."
    figure = _figure(
        f"Prices, PV and fleet net load, {_period(queries)}",
        queries.source_caption("market", "solar", "load", *(() if pv.drawn else ("pv",))),
        f"{about_pv} Revenue: hindsight hours, no storage losses, no ancillary services.",
    )
    grid = figure.add_gridspec(3, 2, height_ratios=[1, 1.1, 1])
    fleet_label = f"{len(ids):,} homes, PV on {pv.homes:,} ({pv.kw_dc / 1000:,.2f} MW DC)"

    ax = figure.add_subplot(grid[0, 0])
    band = hourly_profile_band(market, "lmp", tz)
    _band(ax, band, COLORS["lmp"], "LMP median", "LMP p10-p90")
    ax.set(title="Price against solar, by hour", ylabel="LMP [$/MWh]")
    _hour_axis(ax, tz)
    twin = ax.twinx()
    sun = hourly_profile_band(solar, "generation_kw_per_kw_installed", tz, quantiles=(0.5,))
    twin.fill_between(
        _hour_centres(), sun["p50"], color=COLORS["solar"], alpha=0.3, label="PV median"
    )
    twin.set_ylabel("PV output [kW AC per kW DC]")
    twin.set_ylim(0, max(1e-3, 1.15 * float(np.nanmax(sun["p50"]))))
    twin.grid(False)
    ax.set_zorder(twin.get_zorder() + 1)
    ax.patch.set_visible(False)
    handles = [*ax.get_legend_handles_labels()[0], *twin.get_legend_handles_labels()[0]]
    ax.legend(handles=handles, loc="upper left")

    ax = figure.add_subplot(grid[0, 1])
    means = (
        frame.assign(hour=local_index(frame[TIMESTAMP], tz).hour)
        .groupby("hour")[FLEET_COLUMNS]
        .mean()
        .reindex(range(24))
        / scale
    )
    ax.axvspan(*EVENING, color=COLORS["spike"], alpha=0.07, lw=0, label="evening window")
    _fleet_lines(ax, _hour_centres(), means, legend_columns=2)
    ax.set(title="Fleet mean day", ylabel=f"fleet power [{unit}]")
    _hour_axis(ax, tz)

    net_daily_peak = daily_aggregate(frame, "net_kw", tz, "max")
    first, last = _window(net_daily_peak)
    ax = figure.add_subplot(grid[1, :])
    week = frame[_in_days(frame[TIMESTAMP], tz, first, last)]
    _fleet_lines(
        ax, local_index(week[TIMESTAMP], tz), week[FLEET_COLUMNS] / scale, legend_columns=3
    )
    ax.set(
        title="Fleet load, PV and net load, "
        + _window_label(queries, first, last, "the highest net load")
        + f"; {fleet_label}",
        ylabel=f"fleet power [{unit}]",
    )
    _time_axis(ax, tz)

    ax = figure.add_subplot(grid[2, 0])
    net_peak = daily_peak_hours(frame, "net_kw", tz)
    price_peak = daily_peak_hours(market, "lmp", tz)
    spike_day = daily_aggregate(market, "lmp", tz, "max") > SPIKE_THRESHOLD_USD_MWH
    bins = np.arange(25)
    ax.bar(
        bins[:-1] + 0.3,
        np.histogram(net_peak, bins)[0],
        0.4,
        color=COLORS["net"],
        label="net-load peak",
    )
    ax.bar(
        bins[:-1] + 0.7,
        np.histogram(price_peak, bins)[0],
        0.4,
        color=COLORS["lmp"],
        label="price peak",
    )
    ax.bar(
        bins[:-1] + 0.7,
        np.histogram(price_peak[spike_day], bins)[0],
        0.4,
        color=COLORS["spike"],
        label=f"price peak on a spike day ({spike_day.sum()} d)",
    )
    same = (np.abs(net_peak - price_peak.reindex(net_peak.index)) <= 1).mean()
    ax.set(
        title=f"Hour of the daily peak: net load against price (within 1 h on {same:.0%} of days)",
        ylabel="days",
    )
    ax.yaxis.get_major_locator().set_params(integer=True)
    ax.legend(loc="upper left")
    _hour_axis(ax, tz)

    ax = figure.add_subplot(grid[2, 1])
    revenue = shift_revenue(market, tz, len(ids), KWH_SHIFTED_PER_HOME, MIDDAY, EVENING)
    days = _day_positions(revenue.index)
    ax.bar(
        days,
        revenue["spread"],
        0.8,
        color=np.where(revenue["spread"] >= 0, COLORS["lmp"], COLORS["spike"]),
        label="evening max - midday min",
    )
    ax.set(
        title=f"Shifting {KWH_SHIFTED_PER_HOME:g} kWh per home from "
        f"{MIDDAY[0]}-{MIDDAY[1]} h to {EVENING[0]}-{EVENING[1]} h (simple estimate)",
        ylabel="daily spread [$/MWh]",
    )
    _date_axis(ax, tz, len(days))
    twin = ax.twinx()
    twin.plot(
        days,
        revenue["cumulative_fleet_revenue"],
        color="black",
        lw=2,
        marker="o",
        ms=3,
        label=f"cumulative, {len(ids):,} homes: {_dollars(revenue['fleet_revenue'].sum())}",
    )
    twin.set_ylabel("cumulative fleet revenue [$]")
    twin.set_ylim(bottom=min(0.0, float(revenue["cumulative_fleet_revenue"].min())))
    twin.grid(False)
    handles = [*ax.get_legend_handles_labels()[0], *twin.get_legend_handles_labels()[0]]
    ax.legend(handles=handles, loc="upper left")
    return figure


# -- helpers -----------------------------------------------------------------------------


def _dollars(amount: float) -> str:
    return f"${amount:,.2f}" if abs(amount) < 100 else f"${amount:,.0f}"


def _figure(title: str, *caption: str) -> Figure:
    """An empty figure with its title, and caption lines along the bottom."""
    figure = Figure(figsize=FIGSIZE, dpi=DPI)
    # Long source lines (several datasets, each with its fallback) wrap inside the figure.
    lines = [part for line in caption for part in textwrap.wrap(line, CAPTION_CHARS)]
    # Leave a strip at the bottom for the caption, which the layout engine does not see.
    strip = 0.006 + 0.012 * len(lines)
    figure.set_layout_engine("constrained", rect=(0, strip, 1, 1 - strip), h_pad=0.06, w_pad=0.06)
    figure.suptitle(title)
    figure.text(
        0.005,
        0.004,
        "\n".join(lines),
        ha="left",
        va="bottom",
        fontsize=8.5,
        color="0.35",
        linespacing=1.4,
    )
    return figure


def _period(queries: DatasetQueries) -> str:
    return f"{_span_label(queries.first_day, queries.last_day)} ({queries.timezone})"


def _span_label(first: date, last: date) -> str:
    if first == last:
        return f"{first:%-d %b %Y}"
    if first.year != last.year:
        return f"{first:%-d %b %Y} to {last:%-d %b %Y}"
    return f"{first:%-d %b} to {last:%-d %b %Y}"


def _time_axis(ax: Axes, tz: str) -> None:
    """Date ticks in local time on an axis plotted with tz-aware timestamps."""
    zone = ZoneInfo(tz)
    locator = mdates.AutoDateLocator(tz=zone, minticks=6, maxticks=14)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(_date_formatter(locator, zone))
    ax.set_xlabel(f"local time ({tz})")
    ax.margins(x=0.005)


def _date_axis(ax: Axes, tz: str, days: int) -> None:
    """Date ticks on an axis of ``days`` local calendar days (see :func:`_day_positions`)."""
    # A short period would otherwise get hour ticks between its daily bars.
    locator = mdates.DayLocator() if days <= 8 else mdates.AutoDateLocator(minticks=4, maxticks=10)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(_date_formatter(locator))
    ax.set_xlabel(f"local date ({tz})")


def _date_formatter(locator, zone: ZoneInfo | None = None) -> mdates.ConciseDateFormatter:
    """Concise ticks that name the day as "7 Aug" rather than a bare day number."""
    return mdates.ConciseDateFormatter(
        locator,
        tz=zone,
        formats=["%Y", "%b", "%-d %b", "%H:%M", "%H:%M", "%S.%f"],
        zero_formats=["", "%b %Y", "%-d %b", "%-d %b", "%H:%M", "%H:%M"],
        show_offset=False,
    )


def _day_positions(days: pd.Index) -> np.ndarray:
    """Axis positions of local dates (naive, so a tick at a date sits on its bar)."""
    return mdates.date2num(pd.to_datetime(days))


def _hour_centres() -> np.ndarray:
    return np.arange(24) + 0.5


def _hour_axis(ax: Axes, tz: str) -> None:
    """Hour-of-day axis: hour ``h`` is drawn over its middle, ``h + 0.5``."""
    ax.set_xlim(0, 24)
    ax.set_xticks(range(0, 25, 3))
    ax.set_xlabel(f"hour of day ({tz})")


def _band(
    ax: Axes, band: pd.DataFrame, color: str, median: str, spread: str | None, alpha: float = 0.25
) -> None:
    """The median line over the p10-p90 band of an hourly profile."""
    ax.fill_between(
        _hour_centres(), band["p10"], band["p90"], color=color, alpha=alpha, lw=0, label=spread
    )
    ax.plot(_hour_centres(), band["p50"], color=color, lw=2, label=median)


def _fleet_lines(ax: Axes, x, frame: pd.DataFrame, legend_columns: int) -> None:
    """Load, PV and net load, with headroom above them for the legend."""
    ax.plot(x, frame["load_kw"], color=COLORS["load"], lw=1.4, label="load")
    ax.plot(x, frame["pv_kw"], color=COLORS["solar"], lw=1.4, label="PV")
    ax.plot(x, frame["net_kw"], color=COLORS["net"], lw=2, label="net load (load - PV)")
    ax.axhline(0, color="0.3", lw=0.8)
    values = frame[FLEET_COLUMNS].to_numpy()
    low, high = float(np.nanmin(values)), float(np.nanmax(values))
    ax.set_ylim(min(0.0, low) - 0.05 * (high - low), high + 0.35 * (high - low))
    ax.legend(loc="upper left", ncols=legend_columns)


def _histogram(ax: Axes, values: pd.Series, color: str, unit: str) -> None:
    ax.hist(
        values,
        bins=min(40, max(5, len(values) // 5)),
        color=color,
        alpha=0.8,
        edgecolor="white",
        lw=0.4,
    )
    ax.yaxis.get_major_locator().set_params(integer=True)
    median = float(values.median())
    ax.axvline(median, color="black", ls="--", lw=1.2, label=f"median {median:.1f} {unit}")
    ax.legend(loc="upper right")


def _sky_handles(counts: pd.Series, classes, alpha: float = 1.0) -> list[Patch]:
    return [
        Patch(color=COLORS[sky], alpha=alpha, label=f"{sky} ({counts.get(sky, 0)} d)")
        for sky in classes
    ]


def _day_span(day: date, tz: str) -> tuple:
    """Local midnight to local midnight of ``day`` (23 or 25 h on DST change days)."""
    return tuple(local_midnight(d, tz).to_pydatetime() for d in (day, day + timedelta(days=1)))


def _window(daily_peak: pd.Series) -> tuple[date, date]:
    """The :data:`WINDOW_DAYS` days centred on the highest day, kept inside the period."""
    days = list(daily_peak.index)
    centre = days.index(daily_peak.idxmax())
    first = min(max(0, centre - WINDOW_DAYS // 2), max(0, len(days) - WINDOW_DAYS))
    return days[first], days[min(len(days), first + WINDOW_DAYS) - 1]


def _window_label(queries: DatasetQueries, first: date, last: date, around: str) -> str:
    if (first, last) == (queries.first_day, queries.last_day):
        return f"{_span_label(first, last)} (the whole period)"
    return f"{_span_label(first, last)} (the week around {around})"


def _in_days(timestamps: pd.Series, tz: str, first: date, last: date) -> np.ndarray:
    day = local_index(timestamps, tz).tz_localize(None).normalize().date
    return (day >= first) & (day <= last)
