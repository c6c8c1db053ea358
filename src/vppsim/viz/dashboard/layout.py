"""The dashboard's layout: controls, tabs and the grids of graphs. No data access here."""

from __future__ import annotations

from dash import dcc, html

from vppsim.dataset.rollups import HOME_FILTERS
from vppsim.fleet.dispatch_spec import DISPATCH_FOLDER
from vppsim.forecast.report import DAY_AHEAD, LEAD_CLASSES
from vppsim.forecast.sources import VARIABLES
from vppsim.viz.dashboard.views import DEFAULT_AGGREGATION, DEFAULT_PV_SHARE
from vppsim.viz.figures import PRICE_LABELS
from vppsim.viz.queries import AGGREGATIONS, FORECASTS_VIEW, DatasetQueries

TABS = {
    "market": "Market",
    "system": "System",
    "solar": "Solar",
    "load": "Load",
    "integrated": "Integrated",
    "dispatch": "Dispatch",
    "forecasts": "Forecasts",
    "scenarios": "Scenarios",
    "quality": "Data quality",
}
OPTIONAL_TABS = {"system": "system", "dispatch": DISPATCH_FOLDER, "forecasts": FORECASTS_VIEW}
"""Tabs shown only when the dataset holds their table (tab -> dataset): datasets built
before the system dataset existed have none, and their page shows no System tab; the
Dispatch tab needs ``vppsim dispatch`` to have written at least one strategy; the Forecasts
tab needs the quantile forecasts of ``forecasts/``. The Scenarios tab shows only when the
dashboard compares datasets (see :func:`tabs`)."""
RUNS = (DAY_AHEAD, *(label for label, _, _ in LEAD_CLASSES))
"""The Forecast run control: the day-ahead run, or the intraday runs by lead class."""
_CONTROL = {"display": "flex", "flexDirection": "column", "gap": "4px", "minWidth": "170px"}
_LABEL = {"fontWeight": "600", "fontSize": "13px"}


def _control(label: str, component) -> html.Div:
    return html.Div([html.Label(label, style=_LABEL), component], style=_CONTROL)


def prices(queries: DatasetQueries) -> list[str]:
    """The price types the Price control offers: those the market data holds."""
    if "market" not in queries.datasets:
        return []
    return [c for c in queries.units("market") if c in PRICE_LABELS]


def default_price(queries: DatasetQueries) -> str | None:
    return next(iter(prices(queries)), None)


def strategy_control(queries: DatasetQueries) -> html.Div:
    """The dispatch strategy to draw: those written, the first chosen. Without any it is
    hidden but present, since the page's callback reads its value."""
    control = _control(
        "Dispatch strategy",
        dcc.Dropdown(
            id="strategy",
            options=[{"label": s, "value": s} for s in queries.strategies],
            value=next(iter(queries.strategies), None),
            clearable=False,
        ),
    )
    if not queries.strategies:
        control.style = {**_CONTROL, "display": "none"}
    return control


def forecast_controls(queries: DatasetQueries) -> list[html.Div]:
    """The forecast variable, run and intraday issue time (the issue time's options follow
    the period, see the app). Without forecasts they are hidden but present, since the
    page's callback reads their values."""
    labels = {v.name: f"{v.name}: {v.description} [{v.unit}]" for v in VARIABLES}
    variables = queries.forecast_variables
    controls = [
        _control(
            "Forecast variable",
            dcc.Dropdown(
                id="forecast-variable",
                options=[{"label": labels[v], "value": v} for v in variables],
                value=next(iter(variables), None),
                clearable=False,
                style={"minWidth": "260px"},
            ),
        ),
        _control(
            "Forecast run",
            dcc.Dropdown(
                id="forecast-run",
                options=[{"label": run, "value": run} for run in RUNS],
                value=DAY_AHEAD,
                clearable=False,
            ),
        ),
        _control(
            "Intraday run issued at",
            dcc.Dropdown(id="forecast-issue", options=[], value=None, clearable=False),
        ),
    ]
    if not variables:
        for control in controls:
            control.style = {**_CONTROL, "display": "none"}
    return controls


def tabs(queries: DatasetQueries, comparing: bool = False) -> dict[str, str]:
    """The tabs the page offers (key -> label): every tab but an optional one without data,
    and the Scenarios tab only when ``comparing`` two or more datasets."""
    return {
        key: label
        for key, label in TABS.items()
        if (key not in OPTIONAL_TABS or OPTIONAL_TABS[key] in queries.datasets)
        and (key != "scenarios" or comparing)
    }


def scenario_panel(labels: list[str]) -> list[html.Div]:
    """The Scenarios tab's frame: the datasets to compare (all at first; the choice is kept
    while the browser tab is open, across the dashboard's tabs), then ``scenario-figures``
    (the figures and the key statistics, drawn for the choice by the app)."""
    return [
        _control(
            "Datasets compared",
            dcc.Dropdown(
                id="scenario-datasets",
                options=[{"label": label, "value": label} for label in labels],
                value=list(labels),
                multi=True,
                persistence=True,
                persistence_type="session",
                style={"minWidth": "420px"},
            ),
        ),
        html.Div(id="scenario-figures"),
    ]


def controls(queries: DatasetQueries, shown_ids: list[int]) -> html.Div:
    """The controls shared by every tab."""
    # A filter no home passes would only draw empty axes: it is not offered.
    filters = {
        key: HOME_FILTERS[key]
        for key, n in queries.filter_counts().items()
        if n > 0 or key == "all"
    }
    return html.Div(
        [
            _control(
                "Period (local dates)",
                dcc.DatePickerRange(
                    id="dates",
                    min_date_allowed=queries.first_day,
                    max_date_allowed=queries.last_day,
                    start_date=queries.first_day,
                    end_date=queries.last_day,
                    display_format="YYYY-MM-DD",
                ),
            ),
            _control(
                "Aggregation",
                dcc.RadioItems(
                    id="aggregation",
                    options=[{"label": key, "value": key} for key in AGGREGATIONS],
                    value=DEFAULT_AGGREGATION,
                    inline=True,
                    inputStyle={"marginRight": "4px", "marginLeft": "8px"},
                ),
            ),
            _control(
                "Price",
                dcc.Dropdown(
                    id="price",
                    options=[{"label": PRICE_LABELS[p], "value": p} for p in prices(queries)],
                    value=default_price(queries),
                    clearable=False,
                ),
            ),
            _control(
                "Homes",
                dcc.Dropdown(
                    id="home-filter",
                    options=[{"label": label, "value": key} for key, (label, _) in filters.items()],
                    value="all",
                    clearable=False,
                ),
            ),
            _control(
                "Show home ids",
                dcc.Input(
                    id="home-ids",
                    type="text",
                    value=", ".join(str(i) for i in shown_ids),
                    placeholder="e.g. 0, 5, 17",
                    debounce=True,
                ),
            ),
            _control(
                "PV on share of homes",
                dcc.Slider(
                    id="pv-share",
                    min=0,
                    max=1,
                    step=0.1,
                    value=DEFAULT_PV_SHARE,
                    marks={0: "0", 0.5: "50%", 1: "100%"},
                ),
            ),
            strategy_control(queries),
            *forecast_controls(queries),
        ],
        style={
            "display": "flex",
            "flexWrap": "wrap",
            "gap": "18px",
            "alignItems": "flex-end",
            "padding": "10px 0",
        },
    )


def page(queries: DatasetQueries, shown_ids: list[int], compared: tuple[str, ...] = ()) -> html.Div:
    """The whole page: header, controls, status line, tabs and the tab's content.

    ``compared``: the labels of the datasets the Scenarios tab compares (none: no such tab).
    """
    subtitle = (
        f"{queries.first_day} to {queries.last_day} ({queries.timezone}); "
        f"datasets: {', '.join(queries.datasets)}"
    )
    if compared:
        subtitle += f"; compared in Scenarios: {', '.join(compared)}"
    return html.Div(
        [
            html.H2(f"vppsim: {queries.root.name}", style={"margin": "6px 0"}),
            html.Div(subtitle, style={"color": "#555"}),
            controls(queries, shown_ids),
            html.Div(id="status", style={"minHeight": "1.4em", "color": "#333"}),
            dcc.Tabs(
                id="tabs",
                value="market" if "market" in queries.datasets else "quality",
                children=[
                    dcc.Tab(label=label, value=key, id=f"tab-{key}")
                    for key, label in tabs(queries, len(compared) > 1).items()
                ],
            ),
            dcc.Loading(html.Div(id="tab-content"), type="default"),
        ],
        style={"fontFamily": "system-ui, sans-serif", "padding": "0 16px"},
    )


def graph_grid(graphs: dict[str, object]) -> html.Div:
    """Figures two to a row, each in a ``dcc.Graph`` with the given id."""
    return html.Div(
        [
            dcc.Graph(id=graph_id, figure=figure, config={"displaylogo": False})
            for graph_id, figure in graphs.items()
        ],
        style={"display": "grid", "gridTemplateColumns": "1fr 1fr", "gap": "8px"},
    )


def caption(text: str) -> html.Div:
    return html.Div(text, className="caption", style={"color": "#666", "fontSize": "12px"})


def table(header: list[str], rows: list[list[object]], table_id: str | None = None) -> html.Table:
    cell = {"border": "1px solid #ddd", "padding": "4px 8px", "textAlign": "left"}
    ident = {"id": table_id} if table_id else {}
    return html.Table(
        [
            html.Thead(html.Tr([html.Th(h, style=cell) for h in header])),
            html.Tbody([html.Tr([html.Td(str(v), style=cell) for v in row]) for row in rows]),
        ],
        **ident,
        style={"borderCollapse": "collapse", "margin": "8px 0", "fontSize": "13px"},
    )
