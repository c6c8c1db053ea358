"""The Dash app: wires the controls to the views (data) and the figure builders.

``create_app(root)`` returns the app; ``serve`` runs it on 127.0.0.1 by default. One
callback renders the visible tab from the controls, so only that tab's queries run.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any

import dash
import pandas as pd
from dash import Input, Output, State, dcc, html

from vppsim.dataset.rollups import HOME_FILTERS
from vppsim.dataset.schemas import HOME_ID
from vppsim.errors import VppsimError
from vppsim.forecast.report import DAY_AHEAD, DAY_AHEAD_FROM_H
from vppsim.forecast.sources import VARIABLES
from vppsim.report import format_cell
from vppsim.viz import comparison, figures
from vppsim.viz.analysis import SPIKE_THRESHOLD_USD_MWH
from vppsim.viz.dashboard import layout
from vppsim.viz.dashboard.scenarios import ComparisonViews, compared_folders
from vppsim.viz.dashboard.views import (
    SHOWN_HOMES,
    TAB_DATASETS,
    DashboardViews,
    resource_rows,
)
from vppsim.viz.queries import FORECASTS_VIEW, DatasetQueries, HomeSelection

_IDS = re.compile(r"^\s*\d+(\s*[, ]\s*\d+)*\s*$")


def parse_home_ids(text: str | None) -> tuple[int, ...]:
    """Home ids typed as ``"0, 5, 17"`` (commas or spaces); empty text selects none.

    Raises
    ------
    VppsimError
        If the text holds anything but non-negative integers.
    """
    if not text or not text.strip():
        return ()
    if not _IDS.match(text):
        raise VppsimError(f"home ids must be whole numbers separated by commas, not {text!r}")
    return tuple(dict.fromkeys(int(v) for v in re.split(r"[,\s]+", text.strip())))


def _day(value: str | None, default: date) -> date:
    return date.fromisoformat(value[:10]) if value else default


def create_app(
    root: Path | str,
    validate: bool = True,
    prewarm: bool = True,
    compare: tuple[Path | str, ...] = (),
) -> dash.Dash:
    """Build the dashboard for the dataset in ``root``.

    Parameters
    ----------
    root : path
        A folder written by ``vppsim build``, or a scenario suite written by ``vppsim
        scenarios`` (its base dataset fills the tabs, and the Scenarios tab compares its
        datasets).
    validate : bool
        Validate the dataset (in a background process, when the Data quality tab is first
        opened).
    prewarm : bool
        Compute the opening views in the background at start.
    compare : tuple of path
        Further datasets the Scenarios tab compares with ``root``'s.

    Raises
    ------
    DatasetNotReadable
        If a folder is neither a dataset nor a suite (the compared ones must be datasets).
    """
    folders = compared_folders(root, compare)
    queries = DatasetQueries(folders[0])
    # Every compared folder is opened now, so a wrong one fails at start, not in the tab.
    scenarios = (
        ComparisonViews([queries, *(DatasetQueries(f) for f in folders[1:])])
        if len(folders) > 1
        else None
    )
    views = DashboardViews(queries)
    if not validate:
        views.validation.started = True
        views.validation.error = "validation was switched off for this session"
        views.validation.done.set()
    shown = queries.home_ids(limit=3) if "load" in queries.datasets else []
    if prewarm:
        views.prewarm(tuple(shown), layout.default_price(queries))
        if scenarios is not None:
            scenarios.prewarm(queries.first_day, queries.last_day)
    app = dash.Dash(
        __name__,
        title=f"vppsim: {queries.root.name}",
        suppress_callback_exceptions=True,  # the quality tab's poller exists only on that tab
        update_title=None,
    )
    app.layout = layout.page(queries, shown, tuple(scenarios.labels) if scenarios else ())

    @app.callback(
        Output("tab-content", "children"),
        Output("status", "children"),
        Input("tabs", "value"),
        Input("dates", "start_date"),
        Input("dates", "end_date"),
        Input("aggregation", "value"),
        Input("price", "value"),
        Input("home-filter", "value"),
        Input("home-ids", "value"),
        Input("pv-share", "value"),
        Input("strategy", "value"),
        Input("forecast-variable", "value"),
        Input("forecast-run", "value"),
        Input("forecast-issue", "value"),
    )
    def render(
        tab,
        start,
        end,
        aggregation,
        price,
        home_filter,
        home_ids,
        pv_share,
        strategy,
        variable,
        run,
        issue,
    ):
        start_day = _day(start, queries.first_day)
        end_day = _day(end, queries.last_day)
        if start_day > end_day:
            return dash.no_update, f"The period starts ({start_day}) after it ends ({end_day})."
        try:
            ids = parse_home_ids(home_ids)
            selection = HomeSelection(home_filter or "all")
            if tab == "scenarios" and scenarios is not None:
                labels = ", ".join(scenarios.labels)
                return layout.scenario_panel(scenarios.labels), f"Scenarios: comparing {labels}"
            if tab == "forecasts" and FORECASTS_VIEW in queries.datasets:
                return _forecasts(views, variable, run or DAY_AHEAD, start_day, end_day, issue)
            return _render(
                views,
                tab,
                start_day,
                end_day,
                aggregation,
                price,
                selection,
                ids,
                float(pv_share),
                strategy,
            )
        except VppsimError as exc:
            return html.Div(str(exc), className="error"), str(exc)

    @app.callback(
        Output("home-ids", "value"),
        Input("home-filter", "value"),
        prevent_initial_call=True,
    )
    def show_filtered_homes(home_filter):
        # A new filter shows a few of its own homes, so the lines match the fleet.
        return ", ".join(map(str, queries.home_ids(HomeSelection(home_filter or "all"), limit=3)))

    @app.callback(
        Output("forecast-issue", "options"),
        Output("forecast-issue", "value"),
        Input("dates", "start_date"),
        Input("dates", "end_date"),
        Input("forecast-variable", "value"),
        State("forecast-issue", "value"),
    )
    def forecast_issues(start, end, variable, issue):
        # The intraday runs issued in the period; the one chosen stays while it is offered.
        if not variable or FORECASTS_VIEW not in queries.datasets:
            return [], None
        issues = queries.forecast_issues(
            variable, _day(start, queries.first_day), _day(end, queries.last_day), DAY_AHEAD_FROM_H
        )
        options = [
            {"label": f"{t.tz_convert(queries.timezone):%Y-%m-%d %H:%M %Z}", "value": t.isoformat()}
            for t in issues
        ]
        values = [o["value"] for o in options]
        return options, issue if issue in values else next(iter(values), None)

    if scenarios is not None:

        @app.callback(
            Output("scenario-figures", "children"),
            Input("scenario-datasets", "value"),
            Input("dates", "start_date"),
            Input("dates", "end_date"),
        )
        def scenario_figures(chosen, start, end):
            start_day = _day(start, queries.first_day)
            end_day = _day(end, queries.last_day)
            if start_day > end_day:
                return dash.no_update
            try:
                return _scenarios(scenarios, chosen or [], start_day, end_day)
            except VppsimError as exc:
                return html.Div(str(exc), className="error")

    @app.callback(
        Output("validation", "children"),
        Output("validation-poll", "disabled"),
        Input("validation-poll", "n_intervals"),
        State("tabs", "value"),
    )
    def poll_validation(_ticks, _tab):
        state = views.validation
        if not state.done.is_set():
            return "Validating the dataset…", False
        if state.error:
            return html.Div(f"Validation could not run: {state.error}", className="error"), True
        report = state.report
        rows = [
            [check.name, "pass" if check.ok else "FAIL", "; ".join(check.failures) or check.detail]
            for check in report.checks
        ]
        verdict = (
            f"All {len(report.checks)} checks passed."
            if report.ok
            else f"{len(report.failures)} failure(s)."
        )
        if state.parts_trusted:
            verdict += (
                f" The rows of the {state.parts_trusted:,} per-home Parquet parts were checked "
                "by the build where they were written, not read again (their sha256 was)."
            )
        return [
            html.Div(verdict, id="validation-verdict"),
            layout.table(["check", "result", "detail"], rows, "validation-table"),
        ], True

    return app


def _unknown_homes(ids: list[int], have: list[int]) -> str:
    """A status note naming typed home ids the dataset does not have, and the ids it has."""
    span = f"its homes are {have[0]} to {have[-1]}" if have else "it has no homes"
    plural = "s" if len(ids) > 1 else ""
    return f"No home{plural} {', '.join(map(str, ids))} in this dataset ({span})"


def _render(
    views: DashboardViews,
    tab: str,
    start: date,
    end: date,
    aggregation: str,
    price: str | None,
    selection: HomeSelection,
    ids: tuple[int, ...],
    pv_share: float,
    strategy: str | None = None,
) -> tuple[Any, str]:
    q, tz = views.q, views.tz
    period = f"{start} to {end}"
    if tab == "quality":
        return _quality(views), f"Manifest and validation of {q.root}"
    needs = TAB_DATASETS[tab]
    missing = [name for name in needs if name not in q.datasets]
    if missing:
        message = f"This dataset has no {', '.join(missing)} data."
        return html.Div(message, className="error"), message
    if tab == "dispatch":
        return _dispatch(views, strategy or q.strategies[0], start, end, aggregation, ids)
    caption = layout.caption(q.source_caption(*needs))
    if "load" in needs and q.home_count(selection) == 0:
        message = (
            f"No homes match the filter “{HOME_FILTERS[selection.filter][0]}” in this dataset."
        )
        return html.Div(message, className="error"), message
    if tab == "market":
        view = views.market(start, end, aggregation, price)
        units = q.units("market")
        label, unit = figures.PRICE_LABELS[price], units[price]
        # The LMP is an energy price [$/MWh]; reserves and regulation are capacity prices
        # [$/MW-h]: one axis per unit, never both on one.
        by_unit: dict[str, dict[str, str]] = {}
        for column, name in figures.PRICE_LABELS.items():
            if column in view["series"]:
                by_unit.setdefault(units[column], {})[column] = name
        (left_unit, left), (right_unit, right) = [*by_unit.items(), ("", {})][:2]
        graphs = {
            "market-prices": figures.time_series(
                view["series"],
                left,
                tz,
                f"Prices ({aggregation} means)",
                f"price [{left_unit}]",
                right=right,
                right_title=f"capacity price [{right_unit}]",
            ),
            "market-band": figures.profile_band(
                view["band"], tz, f"{label}: daily profile", f"price [{unit}]"
            ),
            "market-daytype": figures.day_type_profiles(
                view["day_types"], tz, f"{label}: weekday against weekend", f"median [{unit}]"
            ),
            "market-histogram": figures.histogram(
                view["values"],
                f"{label}: distribution of {q.interval_minutes}-min prices",
                f"price [{unit}]",
                threshold=SPIKE_THRESHOLD_USD_MWH if price == "lmp" else None,
                log_y=True,
            ),
        }
        return [layout.graph_grid(graphs), caption], f"{label}, {period}"
    if tab == "system":
        view = views.system(start, end, aggregation)
        units, supply = q.units("system"), view["supply"]
        power = units["net_load_mw"]
        graphs = {
            "system-series": figures.time_series(
                view["series"],
                {
                    "demand_mw": "demand",
                    "solar_mw": "utility solar",
                    "wind_mw": "wind",
                    "net_load_mw": "net load",
                },
                tz,
                f"CAISO demand, solar, wind and net load ({aggregation} means)",
                f"power [{power}]",
                right={"gas_price_usd_per_mmbtu": "gas price"},
                right_title=f"gas price [{units['gas_price_usd_per_mmbtu']}]",
            ),
            "system-band": figures.profile_band(
                view["band"], tz, "Net load: daily profile", f"net load [{power}]"
            ),
            "system-supply": (
                figures.scatter_by_hour(
                    supply["net_load_mw"],
                    supply["lmp"],
                    supply["hour"],
                    tz,
                    "Real-time LMP against net load (hourly means)",
                    f"net load [{power}]",
                    f"LMP [{q.units('market')['lmp']}]",
                )
                if supply is not None
                else figures.empty_figure("No market data in this dataset")
            ),
        }
        # A monthly gas price is flat over most periods: from zero, it reads as a level
        # instead of filling the axis with the autoscale's padding.
        graphs["system-series"].update_layout(yaxis2={"rangemode": "tozero"})
        # The prices' source too (a dataset without market data has no record of it).
        caption = layout.caption(q.source_caption("system", "market"))
        peak = view["series"]["net_load_mw"].max()
        status = f"CAISO system, {period}: net load peaks at {peak:,.0f} {power} ({aggregation})"
        return [layout.graph_grid(graphs), caption], status
    if tab == "solar":
        view = views.solar(start, end, aggregation)
        daily = view["daily"]
        graphs = {
            "solar-series": figures.time_series(
                view["series"],
                {"generation_kw_per_kw_installed": "PV output"},
                tz,
                f"PV output ({aggregation} means)",
                "output [kW per kW installed]",
            ),
            "solar-band": figures.profile_band(
                view["band"], tz, "Daily PV profile", "output [kW per kW installed]"
            ),
            "solar-daily": figures.daily_bars(
                daily,
                "energy_kwh_per_kw",
                "Daily energy by sky",
                "energy [kWh/kW]",
                color_by="sky",
            ),
            "solar-cf": figures.daily_bars(
                daily, "capacity_factor", "Daily capacity factor", "capacity factor [-]"
            ),
        }
        clear = int((daily["sky"] == "clear").sum())
        status = f"PV, {period}: {clear} clear of {len(daily)} days"
        return [layout.graph_grid(graphs), caption], status
    if tab == "load":
        caption = layout.caption(
            " ".join(filter(None, [q.source_caption(*needs), q.sample_note(selection)]))
        )
        known = q.home_ids(HomeSelection(ids=ids)) if ids else q.home_ids(selection, limit=3)
        unknown = [i for i in ids if i not in known]
        shown = tuple(known[:SHOWN_HOMES])
        view = views.load(selection, shown, start, end, aggregation)
        stats, temperature = view["stats"], view["temperature"]
        graphs = {
            "load-homes": figures.homes_and_fleet(
                view["shown"], view["fleet"], tz, f"Load ({aggregation} means)"
            ),
            "load-band": figures.profile_band(
                view["band"], tz, "Daily profile across homes", "load [kW per home]"
            ),
            "load-daily-kwh": figures.histogram(
                stats["daily_kwh"], "Mean daily energy per home", "energy [kWh/day]"
            ),
            "load-peaks": figures.histogram(
                stats["peak_kw"], "Peak 15-min load per home", "peak [kW]"
            ),
            "load-diversity": figures.diversity_curve(view["diversity"]),
            "load-temperature": (
                figures.scatter_with_fit(
                    temperature["temp_max_c"],
                    temperature["kwh_per_home"],
                    "Daily load against temperature",
                    "daily maximum temperature [°C]",
                    "load [kWh per home per day]",
                    "kWh/°C",
                )
                if temperature is not None
                else figures.empty_figure("No weather data in this dataset")
            ),
        }
        status = (
            f"{view['homes']:,} homes selected ({selection.filter}); showing homes "
            f"{', '.join(map(str, shown)) or 'none'}; {period}"
        )
        if unknown:
            status = f"{_unknown_homes(unknown, q.home_ids())}; {status}"
        return [layout.graph_grid(graphs), caption], status
    view = views.integrated(selection, start, end, aggregation, pv_share)
    # The slider draws PV only for a dataset without the fleet's own; else the fleet's share.
    if not view["pv_drawn"]:
        pv_share = view["pv_homes"] / max(view["homes"], 1)
    graphs = {
        "integrated-price-solar": figures.price_and_solar(
            view["price_band"], view["solar_band"], tz
        ),
        "integrated-net": figures.net_load(view["series"], tz, pv_share),
        "integrated-peaks": figures.peak_hours(view["net_peaks"], view["price_peaks"], tz),
        "integrated-revenue": figures.shift_revenue(view["revenue"], view["homes"]),
    }
    status = (
        f"{view['homes']:,} homes, PV on {pv_share:.0%} ({view['pv_kw_total']:,.0f} kW DC); "
        f"shifting 1 kWh per home earns "
        f"${view['revenue']['fleet_revenue'].sum():,.2f} over {period}"
    )
    return [layout.graph_grid(graphs), caption], status


def _dispatch(
    views: DashboardViews,
    strategy: str,
    start: date,
    end: date,
    aggregation: str,
    ids: tuple[int, ...],
) -> tuple[Any, str]:
    """The Dispatch tab: the KPIs of every strategy, then ``strategy``'s schedules."""
    q, tz = views.q, views.tz
    homes = q.dispatch_kpis(strategy)[HOME_ID].astype(int).tolist()
    known = [i for i in ids if i in homes] if ids else homes[:3]
    shown = tuple(known[:SHOWN_HOMES])
    view = views.dispatch(strategy, shown, start, end, aggregation)
    series, summary = view["series"], view["summary"]
    has_lmp = "lmp" in series
    lmp = {"lmp": "real-time LMP"} if has_lmp else {}
    lmp_title = f"LMP [{q.units('market')['lmp']}]" if has_lmp else None
    powers = {
        "import_kw": "grid import",
        "export_kw": "grid export",
        "charge_kw": "battery charge",
        "discharge_kw": "battery discharge",
        **({"pv_kw": "PV", "curtail_kw": "PV curtailed"} if "pv_kw" in series else {}),
        "ev_kw": "EV charging",
        "ac_kw": "air conditioning",
    }
    means = f"{aggregation} means"
    graphs = {
        "dispatch-schedule": figures.time_series(
            series,
            powers,
            tz,
            f"{strategy}: the fleet's schedule ({means})",
            "power [kW]",
            right=lmp,
            right_title=lmp_title,
        ),
        "dispatch-soc": figures.time_series(
            series,
            {"soc_kwh": "fleet state of charge"},
            tz,
            f"{strategy}: batteries' stored energy, summed ({means})",
            "state of charge [kWh]",
            right=lmp,
            right_title=lmp_title,
        ),
        "dispatch-awards": figures.time_series(
            series,
            {
                "regup_kw": "regulation up",
                "regdown_kw": "regulation down",
                "spin_kw": "spinning reserve",
                "nonspin_kw": "non-spinning reserve",
            },
            tz,
            f"{strategy}: AS capacity awards, summed ({means})",
            "award [kW]",
        ),
        "dispatch-homes": figures.time_series(
            view["homes"],
            {f"meter_kw_{i}": f"home {i} meter" for i in shown},
            tz,
            f"{strategy}: homes {', '.join(map(str, shown)) or 'none'} ({means})",
            "meter, import + / export - [kW]",
            right={f"soc_kwh_{i}": f"home {i} state of charge" for i in shown},
            right_title="state of charge [kWh]",
        ),
        "dispatch-revenue": figures.histogram(
            view["net_revenue"],
            f"{strategy}: net revenue per home over the dispatch",
            "net revenue [$ per home]",
            bins=20,
        ).update_traces(name="homes"),
        "dispatch-comfort": (
            figures.time_series(
                series,
                {"indoor_temp_c": "indoor temperature, mean over homes with AC"},
                tz,
                f"{strategy}: indoor temperature ({means})",
                "temperature [°C]",
                right=lmp,
                right_title=lmp_title,
            )
            if "indoor_temp_c" in series and series["indoor_temp_c"].notna().any()
            else figures.empty_figure("No home with air conditioning in this dispatch")
        ),
    }
    kpis = view["kpis"]
    strategies = [c for c in kpis.columns if c not in ("label", "unit")]
    rows = [
        [row["label"], row["unit"], *(_kpi(row[s], row["unit"]) for s in strategies)]
        for _, row in kpis.iterrows()
    ]
    dispatch_period = summary.get("period", {})
    caption = layout.caption(
        f"Dispatch: {q.root / 'dispatch'}/<strategy>/ written by vppsim dispatch; KPIs over "
        f"the whole dispatch period ({dispatch_period.get('first_interval_start', '?')} to "
        f"{dispatch_period.get('last_interval_start', '?')}), schedules over the period chosen. "
        + q.source_caption("market", "pv")
    )
    content = [
        html.H4("KPIs by strategy", style={"margin": "8px 0 0"}),
        layout.table(["KPI", "unit", *strategies], rows, "dispatch-kpis"),
        layout.graph_grid(graphs),
        caption,
    ]
    net = _kpi(summary["kpis"].get("net revenue", float("nan")), "$")
    status = (
        f"Dispatch {strategy}: {summary.get('homes', len(homes)):,} homes, net revenue "
        f"${net} over the dispatch; showing {start} to {end}"
    )
    unknown = [i for i in ids if i not in homes]
    if unknown:
        status = f"{_unknown_homes(unknown, homes)}; {status}"
    return content, status


FORECAST_SCORES = {
    "n": ("forecasts", "count"),
    "mae": ("MAE of the median", "unit"),
    "crps": ("CRPS", "unit"),
    "skill": ("CRPS skill against climatology", "1"),
    "coverage_80": ("coverage p10-p90", "1"),
    "coverage_90": ("coverage p05-p95", "1"),
    "width_80": ("width p10-p90", "unit"),
    "width_90": ("width p05-p95", "unit"),
}
"""The columns of the forecast report's scores the Forecasts tab shows: column -> (label,
unit; ``unit`` is the variable's)."""


def _forecasts(
    views: DashboardViews,
    variable: str | None,
    run: str,
    start: date,
    end: date,
    issue: str | None,
) -> tuple[Any, str]:
    """The Forecasts tab: ``run``'s fan of ``variable`` over the period (the day-ahead run,
    or the intraday run issued at ``issue``), and the report's scores, PIT histogram and
    reliability diagram of the variable and run."""
    q, tz = views.q, views.tz
    variable = variable if variable in q.forecast_variables else q.forecast_variables[0]
    (spec,) = [v for v in VARIABLES if v.name == variable]
    axis = f"{variable} [{spec.unit}]"
    if run == DAY_AHEAD:
        view = views.forecast_fan(variable, start, end, None)
        fan_title = f"{spec.description}: day-ahead forecast of each interval"
    else:
        issues = q.forecast_issues(variable, start, end, DAY_AHEAD_FROM_H)
        issued_at = pd.Timestamp(issue) if issue else next(iter(issues), None)
        view = None
        if spec.intraday and issued_at is not None:
            view = views.forecast_fan(variable, start, end, issued_at)
            local = issued_at.tz_convert(tz)
            fan_title = f"{spec.description}: intraday run issued {local:%Y-%m-%d %H:%M %Z}"
    if view is None:
        why = "has the day-ahead run only" if not spec.intraday else "has no intraday run"
        fan = figures.empty_figure(f"{variable} {why} in this period")
    else:
        fan = figures.fan_chart(view["fan"], view["outcome"], tz, fan_title, axis, view["history"])
    scored = views.forecast_scores(variable, run)
    scores, pit, reliability = scored["scores"], scored["pit"], scored["reliability"]
    graphs = {
        "forecast-fan": fan,
        "forecast-reliability": (
            figures.reliability_diagram(reliability, f"{variable}, {run}: reliability")
            if not reliability.empty
            else figures.empty_figure(f"No {run} forecasts of {variable} were scored")
        ),
        "forecast-pit": (
            figures.pit_histogram(pit, f"{variable}, {run}: PIT histogram")
            if not pit.empty
            else figures.empty_figure(f"No {run} forecasts of {variable} were scored")
        ),
    }
    units = {
        key: spec.unit if unit == "unit" else unit for key, (_, unit) in FORECAST_SCORES.items()
    }
    header = ["lead", *(f"{label} [{units[key]}]" for key, (label, _) in FORECAST_SCORES.items())]
    rows = [
        [row["lead"], *(_score(row[key], units[key]) for key in FORECAST_SCORES)]
        for _, row in scores.iterrows()
    ]
    content = [
        layout.graph_grid(graphs),
        html.H4(f"Scores of {variable} over the whole dataset", style={"margin": "8px 0 0"}),
        layout.table(header, rows, "forecast-scores"),
        layout.caption(
            f"Forecasts: {q.root / 'forecasts'} written by vppsim build; scores, PIT and "
            "reliability from vppsim forecast-report over every forecast of the dataset, the "
            "fan over the period chosen. " + q.source_caption(spec.outcome[0])
        ),
    ]
    chosen = scores[scores["lead"] == run]
    status = f"{variable}, {run}: fan over {start} to {end}"
    if not chosen.empty:
        row = chosen.iloc[0]
        status += (
            f"; over the whole dataset CRPS {_score(row['crps'], spec.unit)} {spec.unit}, "
            f"p10-p90 covers {row['coverage_80']:.0%} of outcomes"
        )
    return content, status


def _scenarios(
    views: ComparisonViews, chosen: list[str], start: date, end: date
) -> list[Any] | html.Div:
    """The Scenarios tab's figures over the datasets ``chosen``: the real-time and
    day-ahead LMP duration curves, the daily peak net load, the daily maximum temperature
    and each dispatch strategy's net revenue, one colour per dataset."""
    labels = [label for label in views.labels if label in chosen]
    if not labels:
        return html.Div("Choose one or more datasets to compare.", className="error")
    colours = figures.dataset_colours(views.labels)
    data = {label: views.dataset(label, start, end) for label in labels}
    notes = []

    def present(field: str, what: str) -> dict[str, Any]:
        found = {label: getattr(d, field) for label, d in data.items()}
        absent = [label for label, value in found.items() if value is None]
        if absent:
            notes.append(f"no {what}: {', '.join(absent)}")
        return {label: value for label, value in found.items() if value is not None}

    def drawn(values: dict[str, Any], draw, what: str):
        return draw(values) if values else figures.empty_figure(f"No dataset chosen has {what}")

    units = {
        name: next((q.units(name) for q in views.datasets.values() if name in q.datasets), {})
        for name in ("market", "system", "weather")
    }
    lmp_axis = f"LMP [{units['market'].get('lmp', '$/MWh')}]"
    period = f"{start} to {end}"
    revenue = comparison.strategy_revenue({label: d.dispatch for label, d in data.items()})
    graphs = {
        "scenario-rt-duration": drawn(
            present("lmp", "market data"),
            lambda curves: figures.duration_curves(
                curves,
                f"Real-time LMP: duration curve, {period}",
                lmp_axis,
                colours,
                threshold=SPIKE_THRESHOLD_USD_MWH,
            ),
            "market data",
        ),
        "scenario-da-duration": drawn(
            {label: d.da_lmp for label, d in data.items() if d.da_lmp is not None},
            lambda curves: figures.duration_curves(
                curves,
                f"Day-ahead LMP: duration curve, {period}",
                lmp_axis,
                colours,
                threshold=SPIKE_THRESHOLD_USD_MWH,
            ),
            "day-ahead prices",
        ),
        "scenario-net-load-peaks": drawn(
            present("net_load_peaks", "system data"),
            lambda peaks: figures.boxes(
                peaks,
                f"Daily peak net load (demand less solar and wind), {period}",
                f"peak net load [{units['system'].get('net_load_mw', 'MW')}]",
                colours,
            ),
            "system data",
        ),
        "scenario-temperature": drawn(
            present("temp_max", "weather data"),
            lambda temps: figures.boxes(
                temps,
                f"Daily maximum air temperature, {period}",
                f"daily maximum [{_degrees(units['weather'].get('temp_air_c', 'degC'))}]",
                colours,
            ),
            "weather data",
        ),
        "scenario-revenue": (
            figures.grouped_bars(
                revenue,
                "Net revenue of each dispatch strategy, over the whole dispatch",
                "dispatch strategy",
                "fleet net revenue [$]",
                colours,
            )
            if not revenue.empty
            else figures.empty_figure(
                "No dataset chosen has dispatch results: run vppsim dispatch on it "
                "(vppsim scenarios runs every strategy)"
            )
        ),
    }
    empty = [label for label, d in data.items() if d.rows == 0 and d.lmp is not None]
    if empty:
        notes.append(f"no market intervals in {period}: {', '.join(empty)}")
    sources = "; ".join(f"{label}: {views.datasets[label].root}" for label in labels)
    keys = ["dataset", "statistic", "unit"]
    statistics = pd.concat(
        {label: views.statistics(label, start, end).set_index(keys)["value"] for label in labels},
        axis=1,
    )
    return [
        layout.graph_grid(graphs),
        layout.table(
            ["dataset", "statistic", *labels],
            [
                [dataset, f"{statistic} [{unit}]", *(format_cell(row[label]) for label in labels)]
                for (dataset, statistic, unit), row in statistics.iterrows()
            ],
            table_id="scenario-statistics",
        ),
        *([html.Div("Missing: " + "; ".join(notes) + ".", id="scenario-notes")] if notes else []),
        layout.caption(
            f"Datasets: {sources}. Prices, net load and temperature over {period} (each "
            "dataset's days within it); revenue from each dataset's "
            "dispatch/<strategy>/summary.json."
        ),
    ]


def _degrees(unit: str) -> str:
    """A schema's temperature unit as an axis shows it (``degC`` as °C)."""
    return unit.replace("degC", "°C")


def _score(value: float, unit: str) -> str:
    """A forecast score as the table shows it: counts whole, the rest to four significant
    digits (a PV CRPS of 0.01 kW/kW and a demand CRPS of 900 MW alike)."""
    if pd.isna(value):
        return "n/a"
    return f"{int(value):,}" if unit == "count" else f"{value:.4g}"


def _kpi(value: float, unit: str) -> str:
    """A KPI as the table shows it: counts whole, the rest to the cent or hundredth."""
    if pd.isna(value):
        return "n/a"
    digits = 0 if unit == "count" else 2
    # Adding zero turns a rounded -0.0 (a reduction of -0.001 kW) into 0.0: no "-0.00".
    return f"{round(value, digits) + 0.0:,.{digits}f}"


def _quality(views: DashboardViews) -> html.Div:
    views.start_validation()
    manifest = views.q.manifest
    provenance = [
        [
            name,
            record.get("kind"),
            record.get("requested"),
            record.get("source"),
            record.get("fallback_reason") or "none",
            "; ".join(record.get("notes", [])) or "",
        ]
        for name, record in manifest.get("provenance", {}).items()
    ]
    resources = resource_rows(manifest.get("resources", []))
    return html.Div(
        [
            html.H4("Validation"),
            dcc.Interval(id="validation-poll", interval=500, disabled=False),
            html.Div("Validating the dataset…", id="validation"),
            html.H4("Provenance"),
            layout.table(
                ["dataset", "kind", "requested", "source", "fallback", "notes"],
                provenance,
                "provenance-table",
            ),
            html.H4("Files and checksums"),
            layout.table(["resource", "path", "rows", "sha256"], resources, "resources-table"),
        ]
    )
