"""Plotly figure builders for the dashboard: plain functions, frame in, ``Figure`` out.

They take the small frames that :mod:`vppsim.viz.queries` and :mod:`vppsim.viz.analysis`
return (already aggregated), so a figure never carries more points than it shows. Times
on the x axes are local clock times of the study's time zone.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.colors
import plotly.graph_objects as go

from vppsim.dataset.schemas import HOME_ID, TIMESTAMP
from vppsim.viz.analysis import MIN_FIT_DAYS, linear_fit

PRICE_LABELS = {
    "lmp": "LMP",
    "da_lmp": "Day-ahead LMP",
    "spin_price": "Spinning reserve",
    "nonspin_price": "Non-spinning reserve",
    "regup_price": "Regulation up",
    "regdown_price": "Regulation down",
}
_BAND = "rgba(31, 119, 180, 0.2)"
_LAYOUT = {
    "template": "plotly_white",
    "margin": {"l": 60, "r": 20, "t": 50, "b": 90},
    "legend": {"orientation": "h", "y": -0.32},
    "height": 390,
}


def _figure(title: str, x_title: str, y_title: str) -> go.Figure:
    figure = go.Figure()
    figure.update_layout(title=title, xaxis_title=x_title, yaxis_title=y_title, **_LAYOUT)
    return figure


def _wall_clock(frame: pd.DataFrame, tz: str) -> pd.DataFrame:
    """``frame`` with ``x``, its local wall-clock time, and a gap row where the clock goes back.

    Plotly draws naive times as given, so the axis shows the local wall clock. When clocks
    go back, the repeated hour is drawn over the first one as its own line: the empty row
    before it breaks the line instead of drawing it back across the hour (or, for hourly
    means, straight up at 01 h).
    """
    frame = frame.assign(x=frame[TIMESTAMP].dt.tz_convert(tz).dt.tz_localize(None))
    back = np.flatnonzero(np.diff(frame["x"].to_numpy()) <= np.timedelta64(0)) + 1
    if not back.size:
        return frame
    rows = np.arange(len(frame), dtype=float)
    return frame.set_axis(rows).reindex(np.sort(np.concatenate([rows, back - 0.5])))


def _right_axis(figure: go.Figure, title: str) -> None:
    figure.update_layout(yaxis2={"title": title, "overlaying": "y", "side": "right"})


def _band(figure: go.Figure, x, low, high, name: str, colour: str = _BAND) -> None:
    """A filled band from ``low`` to ``high``: an unnamed line along the top, then the
    bottom filled up to it (one legend entry)."""
    figure.add_trace(go.Scatter(x=x, y=high, mode="lines", line={"width": 0}, showlegend=False))
    figure.add_trace(
        go.Scatter(
            x=x, y=low, mode="lines", line={"width": 0}, fill="tonexty", fillcolor=colour, name=name
        )
    )


def empty_figure(message: str) -> go.Figure:
    """A blank figure that says why there is nothing to show."""
    figure = go.Figure()
    figure.update_layout(
        annotations=[{"text": message, "showarrow": False, "font": {"size": 16}}],
        xaxis={"visible": False},
        yaxis={"visible": False},
        **_LAYOUT,
    )
    return figure


def time_series(
    frame: pd.DataFrame,
    columns: dict[str, str],
    tz: str,
    title: str,
    y_title: str,
    right: dict[str, str] | None = None,
    right_title: str | None = None,
) -> go.Figure:
    """Lines over time, one per column; ``right`` columns on a second axis (another unit).

    Parameters
    ----------
    frame : DataFrame
        ``timestamp`` (UTC) and the columns to draw.
    columns, right : dict
        Column name -> legend label, for the left and the right axis.
    tz : str
        Time zone of the x axis.
    y_title, right_title : str
        Axis titles, with the unit of their columns.
    """
    figure = _figure(title, f"local time ({tz})", y_title)
    frame = _wall_clock(frame, tz)
    for axis, drawn in (("y", columns), ("y2", right or {})):
        for column, label in drawn.items():
            figure.add_trace(
                go.Scatter(x=frame["x"], y=frame[column], name=label, mode="lines", yaxis=axis)
            )
    if right:
        _right_axis(figure, right_title or "")
    return figure


def profile_band(band: pd.DataFrame, tz: str, title: str, y_title: str) -> go.Figure:
    """Median by local hour with the p10-p90 band (and the mean when the frame has one).

    Parameters
    ----------
    band : DataFrame
        Index ``hour`` (0-23); columns ``p10``, ``p50``, ``p90`` [, ``mean``].
    """
    figure = _figure(title, f"hour of day ({tz})", y_title)
    hours = band.index.to_numpy()
    _band(figure, hours, band["p10"], band["p90"], "p10-p90")
    figure.add_trace(go.Scatter(x=hours, y=band["p50"], mode="lines", name="median"))
    if "mean" in band:
        figure.add_trace(
            go.Scatter(x=hours, y=band["mean"], mode="lines", name="mean", line={"dash": "dot"})
        )
    return figure


def day_type_profiles(bands: pd.DataFrame, tz: str, title: str, y_title: str) -> go.Figure:
    """Weekday against weekend median by local hour.

    Parameters
    ----------
    bands : DataFrame
        MultiIndex (``day_type``, ``hour``) and a ``p50`` column.
    """
    figure = _figure(title, f"hour of day ({tz})", y_title)
    for day_type, band in bands.groupby(level="day_type"):
        hours = band.index.get_level_values("hour")
        figure.add_trace(go.Scatter(x=hours, y=band["p50"], mode="lines", name=str(day_type)))
    return figure


def histogram(
    values: np.ndarray | pd.Series,
    title: str,
    x_title: str,
    bins: int = 40,
    threshold: float | None = None,
    log_y: bool = False,
) -> go.Figure:
    """A histogram binned here, so the browser gets ``bins`` bars, not every value.

    Bars at or above ``threshold`` are coloured as the tail.
    """
    values = np.asarray(values, dtype=float)
    values = values[np.isfinite(values)]
    figure = _figure(title, x_title, "count")
    if values.size == 0:
        return figure
    counts, edges = np.histogram(values, bins=bins)
    centres = (edges[:-1] + edges[1:]) / 2
    tail = edges[1:] > threshold if threshold is not None else np.zeros(len(counts), dtype=bool)
    figure.add_trace(
        go.Bar(x=centres[~tail], y=counts[~tail], width=np.diff(edges)[~tail], name="intervals")
    )
    if tail.any():
        figure.add_trace(
            go.Bar(
                x=centres[tail],
                y=counts[tail],
                width=np.diff(edges)[tail],
                name=f"above {threshold:g}",
                marker_color="crimson",
            )
        )
    if log_y:
        figure.update_yaxes(type="log")
    figure.update_layout(bargap=0)
    return figure


def daily_bars(
    daily: pd.DataFrame, column: str, title: str, y_title: str, color_by: str | None = None
) -> go.Figure:
    """Bars per local day, optionally one colour per category of ``color_by``."""
    figure = _figure(title, "local day", y_title)
    groups = daily.groupby(color_by, sort=False) if color_by else [(y_title, daily)]
    for name, group in groups:
        figure.add_trace(go.Bar(x=group.index, y=group[column], name=str(name)))
    return figure


def homes_and_fleet(
    homes: pd.DataFrame, fleet: pd.DataFrame, tz: str, title: str = "Load"
) -> go.Figure:
    """Selected homes' load and the fleet's mean load per home.

    Parameters
    ----------
    homes : DataFrame
        Long: ``home_id``, ``timestamp``, ``load_kw`` [kW].
    fleet : DataFrame
        ``timestamp``, ``load_kw`` (fleet sum) [kW] and ``homes``.
    """
    figure = _figure(title, f"local time ({tz})", "load [kW]")
    for home_id, home in homes.groupby(HOME_ID):
        home = _wall_clock(home, tz)
        figure.add_trace(
            go.Scatter(x=home["x"], y=home["load_kw"], name=f"home {home_id}", mode="lines")
        )
    if len(fleet):
        fleet = _wall_clock(fleet, tz)
        figure.add_trace(
            go.Scatter(
                x=fleet["x"],
                y=fleet["load_kw"] / fleet["homes"],
                name="fleet mean per home",
                mode="lines",
                line={"color": "black", "width": 3},
            )
        )
    return figure


def diversity_curve(curve: pd.DataFrame) -> go.Figure:
    """Coincident peak per home and the coincidence factor against the number of homes (log x).

    Parameters
    ----------
    curve : DataFrame
        ``homes``, ``peak_kw_per_home`` [kW per home] and ``coincidence_factor`` [1], as
        :meth:`~vppsim.viz.queries.DatasetQueries.diversity_curve` returns.
    """
    figure = _figure("Diversity: coincident peak per home", "homes in group", "peak [kW per home]")
    lines = {
        "peak_kw_per_home": ("coincident peak per home", {}),
        "coincidence_factor": (
            "coincidence factor (group peak / sum of own peaks)",
            {"yaxis": "y2", "line": {"dash": "dot"}},
        ),
    }
    for column, (name, style) in lines.items():
        figure.add_trace(
            go.Scatter(x=curve["homes"], y=curve[column], mode="lines+markers", name=name, **style)
        )
    _right_axis(figure, "coincidence factor [-]")
    figure.update_layout(yaxis2={"range": [0, 1.05]})
    figure.update_xaxes(type="log")
    return figure


def scatter_with_fit(
    x: pd.Series, y: pd.Series, title: str, x_title: str, y_title: str, unit: str
) -> go.Figure:
    """Points and, with enough distinct ``x`` values, their least-squares line (slope and R²
    in the legend)."""
    figure = _figure(title, x_title, y_title)
    figure.add_trace(go.Scatter(x=x, y=y, mode="markers", name="days"))
    if pd.Series(x).nunique() >= MIN_FIT_DAYS:
        slope, intercept, r_squared = linear_fit(x, y)
        line_x = np.array([np.min(x), np.max(x)])
        figure.add_trace(
            go.Scatter(
                x=line_x,
                y=slope * line_x + intercept,
                mode="lines",
                name=f"fit: {slope:+.2f} {unit} (R² {r_squared:.2f})",
            )
        )
    return figure


def scatter_by_hour(
    x: pd.Series, y: pd.Series, hour: pd.Series, tz: str, title: str, x_title: str, y_title: str
) -> go.Figure:
    """Points coloured by local hour of day on a cyclic scale (23 h sits next to 0 h).

    Parameters
    ----------
    x, y : Series
        The two values of each point, in the units the axis titles give.
    hour : Series
        Local clock hour of each point (0-23).
    tz : str
        Time zone of the hours, for the colour bar's title.
    """
    figure = _figure(title, x_title, y_title)
    # WebGL: a year of hourly points stays responsive.
    figure.add_trace(
        go.Scattergl(
            x=x,
            y=y,
            mode="markers",
            name="intervals",
            hovertemplate=f"{x_title}: %{{x:,.0f}}<br>{y_title}: %{{y:,.1f}}"
            "<br>hour %{marker.color}<extra></extra>",
            marker={
                "color": hour,
                "cmin": 0,
                "cmax": 23,
                "colorscale": "Twilight",
                "size": 5,
                "opacity": 0.7,
                "colorbar": {"title": {"text": f"hour ({tz})"}, "tickvals": [0, 6, 12, 18, 23]},
            },
        )
    )
    return figure


def net_load(frame: pd.DataFrame, tz: str, pv_share: float) -> go.Figure:
    """Fleet load, PV and net load over time.

    Parameters
    ----------
    frame : DataFrame
        ``timestamp``, ``load_kw``, ``pv_kw``, ``net_kw`` [kW].
    """
    figure = _figure(
        f"Fleet net load with PV on {pv_share:.0%} of homes", f"local time ({tz})", "power [kW]"
    )
    frame = _wall_clock(frame, tz)
    for column, label in (("load_kw", "load"), ("pv_kw", "PV"), ("net_kw", "net load")):
        figure.add_trace(go.Scatter(x=frame["x"], y=frame[column], name=label, mode="lines"))
    return figure


def peak_hours(net_peaks: pd.Series, price_peaks: pd.Series, tz: str) -> go.Figure:
    """How often each local hour holds the day's net-load peak and the day's top price."""
    figure = _figure("Evening net peak against the day's top price", f"hour of day ({tz})", "days")
    bins = np.arange(25)
    for series, label in ((net_peaks, "net-load peak"), (price_peaks, "highest LMP")):
        counts, _ = np.histogram(np.asarray(series, dtype=float), bins=bins)
        figure.add_trace(go.Bar(x=bins[:-1], y=counts, name=label))
    figure.update_layout(barmode="group")
    return figure


def shift_revenue(revenue: pd.DataFrame, homes: int) -> go.Figure:
    """Daily midday-to-evening spread and the fleet's cumulative revenue from shifting.

    Parameters
    ----------
    revenue : DataFrame
        Index local day; ``spread`` [$/MWh] and ``cumulative_fleet_revenue`` [$].
    """
    figure = _figure(
        f"Shifting 1 kWh per home from midday to evening ({homes:,} homes)",
        "local day",
        "spread [$/MWh]",
    )
    figure.add_trace(go.Bar(x=revenue.index, y=revenue["spread"], name="daily spread"))
    figure.add_trace(
        go.Scatter(
            x=revenue.index,
            y=revenue["cumulative_fleet_revenue"],
            name="cumulative fleet revenue [$]",
            yaxis="y2",
            mode="lines+markers",
        )
    )
    _right_axis(figure, "revenue [$]")
    return figure


def price_and_solar(price_band: pd.DataFrame, solar_band: pd.DataFrame, tz: str) -> go.Figure:
    """Median LMP and median solar output by local hour, on two axes."""
    figure = _figure("Price against solar by hour", f"hour of day ({tz})", "LMP [$/MWh]")
    figure.add_trace(go.Scatter(x=price_band.index, y=price_band["p50"], name="median LMP"))
    figure.add_trace(
        go.Scatter(
            x=solar_band.index,
            y=solar_band["p50"],
            name="median solar [kW/kW]",
            yaxis="y2",
            line={"color": "orange"},
        )
    )
    _right_axis(figure, "solar [kW/kW]")
    return figure


def fan_chart(
    fan: pd.DataFrame,
    outcome: pd.DataFrame,
    tz: str,
    title: str,
    y_title: str,
    history: pd.DataFrame | None = None,
) -> go.Figure:
    """A forecast's p05-p95 and p10-p90 bands and median, with the outcome on top.

    Parameters
    ----------
    fan : DataFrame
        ``timestamp`` (UTC) and ``q05``, ``q10``, ``q50``, ``q90``, ``q95``.
    outcome : DataFrame
        ``timestamp`` and ``value``: what came, over the fan's intervals.
    history : DataFrame, optional
        ``timestamp`` and ``value`` observed before the forecast was issued, drawn before the
        fan with a line where it was issued.
    """
    figure = _figure(title, f"local time ({tz})", y_title)
    fan = _wall_clock(fan, tz)
    for low, high, name, colour in (
        ("q05", "q95", "p05-p95", "rgba(31, 119, 180, 0.15)"),
        ("q10", "q90", "p10-p90", "rgba(31, 119, 180, 0.3)"),
    ):
        _band(figure, fan["x"], fan[low], fan[high], name, colour)
    figure.add_trace(go.Scatter(x=fan["x"], y=fan["q50"], mode="lines", name="median"))
    if history is not None:
        before = _wall_clock(history, tz)
        figure.add_trace(
            go.Scatter(
                x=before["x"],
                y=before["value"],
                mode="lines",
                name="observed before the issue",
                line={"color": "grey"},
            )
        )
        if len(fan):
            figure.add_vline(x=fan["x"].iloc[0], line={"dash": "dot", "color": "grey"})
    after = _wall_clock(outcome, tz)
    figure.add_trace(
        go.Scatter(
            x=after["x"], y=after["value"], mode="lines", name="outcome", line={"color": "black"}
        )
    )
    return figure


def _calibrated(figure: go.Figure, y: list[float]) -> None:
    """The dashed line a calibrated forecast would draw, from PIT or level 0 to 1."""
    figure.add_trace(
        go.Scatter(x=[0, 1], y=y, mode="lines", name="calibrated", line={"dash": "dash"})
    )


def pit_histogram(pit: pd.DataFrame, title: str) -> go.Figure:
    """A PIT histogram over bins of unequal width, as a density: calibrated is flat at 1.

    Parameters
    ----------
    pit : DataFrame
        ``bin_start``, ``bin_end`` and ``share`` [1] of the outcomes whose PIT falls in
        each bin.
    """
    figure = _figure(title, "probability integral transform [1]", "share / bin width [1]")
    width = (pit["bin_end"] - pit["bin_start"]).to_numpy(dtype=float)
    figure.add_trace(
        go.Bar(
            x=(pit["bin_start"] + width / 2).to_numpy(),
            y=pit["share"].to_numpy(dtype=float) / width,
            width=width,
            name="forecasts",
        )
    )
    _calibrated(figure, [1, 1])
    figure.update_layout(bargap=0)
    return figure


def reliability_diagram(reliability: pd.DataFrame, title: str) -> go.Figure:
    """Observed frequency below each quantile against its level, with the diagonal.

    Parameters
    ----------
    reliability : DataFrame
        ``level`` and ``observed`` [1].
    """
    figure = _figure(title, "quantile level [1]", "observed frequency [1]")
    _calibrated(figure, [0, 1])
    figure.add_trace(
        go.Scatter(
            x=reliability["level"],
            y=reliability["observed"],
            mode="lines+markers",
            name="forecasts",
        )
    )
    figure.update_xaxes(range=[0, 1])
    figure.update_yaxes(range=[0, 1])
    return figure


def duration_curves(
    curves: dict[str, pd.DataFrame],
    title: str,
    y_title: str,
    colours: dict[str, str],
    threshold: float | None = None,
) -> go.Figure:
    """One duration curve per dataset, and a dashed line at ``threshold``.

    Parameters
    ----------
    curves : dict
        Dataset label -> :func:`~vppsim.viz.comparison.duration_curve` (``share_pct`` [%],
        ``value``).
    colours : dict
        Dataset label -> colour, the same in every figure of a comparison.
    """
    figure = _figure(title, "share of intervals at or above [%]", y_title)
    for label, curve in curves.items():
        figure.add_trace(
            go.Scatter(
                x=curve["share_pct"],
                y=curve["value"],
                mode="lines",
                name=label,
                line={"color": colours[label]},
            )
        )
    if threshold is not None:
        figure.add_hline(
            y=threshold,
            line={"dash": "dash", "color": "crimson", "width": 1},
            annotation_text=f"{threshold:g}",
            annotation_position="top right",
        )
    return figure


def boxes(
    values: dict[str, pd.Series], title: str, y_title: str, colours: dict[str, str]
) -> go.Figure:
    """One box per dataset, with every value drawn beside it (daily values: a few hundred).

    Parameters
    ----------
    values : dict
        Dataset label -> its values, in the unit of ``y_title``.
    colours : dict
        Dataset label -> colour.
    """
    figure = _figure(title, "dataset", y_title)
    for label, series in values.items():
        figure.add_trace(
            go.Box(
                y=series.to_numpy(dtype=float),
                name=label,
                boxpoints="all",
                jitter=0.4,
                pointpos=0,
                marker_color=colours[label],
            )
        )
    figure.update_layout(showlegend=False)
    return figure


def grouped_bars(
    frame: pd.DataFrame, title: str, x_title: str, y_title: str, colours: dict[str, str]
) -> go.Figure:
    """Bars grouped by the index, one bar (and legend entry) per column.

    Parameters
    ----------
    frame : DataFrame
        Index the groups (e.g. dispatch strategies); one column per dataset label.
    colours : dict
        Column -> colour.
    """
    figure = _figure(title, x_title, y_title)
    for label in frame.columns:
        figure.add_trace(
            go.Bar(
                x=frame.index.astype(str),
                y=frame[label],
                name=str(label),
                marker_color=colours[label],
            )
        )
    figure.update_layout(barmode="group")
    return figure


def dataset_colours(labels: list[str]) -> dict[str, str]:
    """A colour per dataset label, from plotly's qualitative palette in order (repeating
    after ten), so a dataset keeps its colour in every figure and whichever are shown."""
    palette = plotly.colors.qualitative.Plotly
    return {label: palette[i % len(palette)] for i, label in enumerate(labels)}
