"""The dashboard's data: each tab's frames, from the DuckDB queries and the analysis functions.

Nothing here knows about Dash. Answers are memoised per (period, selection, ...) so going
back to a tab, or to a period seen before, costs nothing; the frames are small.
"""

from __future__ import annotations

import functools
import multiprocessing
import threading
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd

from vppsim.dataset.schemas import HOME_ID, TIMESTAMP
from vppsim.dataset.validate import ValidationReport, validate_directory
from vppsim.fleet.dispatch_spec import DISPATCH_FOLDER
from vppsim.forecast.report import DAY_AHEAD_FROM_H, ForecastReport, forecast_report
from vppsim.registry import default_registry
from vppsim.viz import analysis
from vppsim.viz.queries import FORECASTS_VIEW, DatasetQueries, HomeSelection

DIVERSITY_DRAWS = 3
DIVERSITY_SAMPLED_HOMES = 200
"""The dashboard's diversity curve samples fewer groups than the static plot, to answer fast."""

TAB_DATASETS = {
    "market": ("market",),
    "system": ("system",),
    "solar": ("solar",),
    "load": ("load",),
    "integrated": ("market", "solar", "load"),
    "dispatch": (DISPATCH_FOLDER,),
    "forecasts": (FORECASTS_VIEW,),
}
"""The datasets each tab draws from."""

DISPATCH_KPIS = {
    "net revenue": ("Net revenue", "$"),
    "energy revenue": ("Energy revenue", "$"),
    "as revenue": ("AS revenue", "$"),
    "degradation cost": ("Degradation cost", "$"),
    "equivalent full cycles": ("Equivalent full cycles, sum over homes", "cycles"),
    "fleet peak kw": ("Fleet peak import", "kW"),
    "peak reduction kw": ("Peak reduction against none", "kW"),
    "comfort degree hours": ("Degree-hours outside the comfort band", "K·h"),
    "ev unmet kwh": ("EV energy unmet", "kWh"),
    "violations": ("Violations", "count"),
    "homes with issues": ("Homes with issues", "count"),
}
"""The KPIs of ``summary.json`` the Dispatch tab compares: key -> (label, unit)."""

DEFAULT_AGGREGATION = "hourly"
DEFAULT_PV_SHARE = 0.5
"""The share of homes given PV in the Integrated tab until the slider moves."""

RECHECKED_ROWS = 50_000_000
"""Above this many rows of per-home Parquet parts, the Data quality tab does not read them
again (a million homes' August is 3e9 rows): the build's workers checked each part where
they wrote it, and a build that fails commits nothing; their sha256 is still checked, so
they are the files the build checked."""

SHOWN_HOMES = 10
"""At most this many individual homes are sent to the browser."""

HISTORY_H = 24
"""Hours of outcomes drawn before an intraday run's issue time."""

_memo = functools.lru_cache(maxsize=32)


@dataclass
class ValidationState:
    """The validation report, computed once in a background thread."""

    started: bool = False
    report: ValidationReport | None = None
    parts_trusted: int = 0
    """Per-home Parquet parts whose rows were not read again (see :data:`RECHECKED_ROWS`)."""
    error: str | None = None
    done: threading.Event = field(default_factory=threading.Event)


def resource_rows(resources: list[dict[str, Any]]) -> list[list[Any]]:
    """The Data quality tab's table of files (resource, path, rows, sha256): a row a file,
    but one row for all the Parquet parts of a dataset's folder (a million homes write
    hundreds of parts a dataset; each part's sha256 stays in the manifest and is checked)."""
    rows: list[list[Any]] = []
    parts: dict[str, list[dict[str, Any]]] = {}
    for resource in resources:
        folder, _, name = resource["path"].rpartition("/")
        if name.startswith("part-") and name.endswith(".parquet"):
            if folder not in parts:
                parts[folder] = []
                rows.append([folder])  # completed below, in the order of the first part
            parts[folder].append(resource)
            continue
        digest = f"sha256:{resource.get('sha256', '')[:16]}…"
        rows.append([resource["name"], resource["path"], resource.get("rows", ""), digest])
    for row in rows:
        if len(row) == 1:
            group = parts[row[0]]
            row[:] = [
                f"{group[0]['dataset']} ({len(group):,} parts)",
                f"{row[0]}/part-*.parquet",
                sum(int(r.get("rows") or 0) for r in group),
                f"{len(group):,} files, each hashed in datapackage.json",
            ]
    return rows


def _validated(root: str, checked: dict[str, list[str]] | None) -> ValidationReport:
    """The validation of the dataset at ``root`` against the installed contracts, as the
    dashboard's validation process runs it."""
    specs = {d.name: d.spec for d in default_registry().datasets}
    return validate_directory(Path(root), specs, checked)


class DashboardViews:
    """Per-tab frames over one dataset.

    Parameters
    ----------
    queries : DatasetQueries
        The dataset's query layer.
    """

    def __init__(self, queries: DatasetQueries):
        self.q = queries
        self.tz = queries.timezone
        self.validation = ValidationState()
        self._validation_lock = threading.Lock()
        self._report: ForecastReport | None = None
        self._report_lock = threading.Lock()

    def start_validation(self) -> None:
        """Validate the dataset in the background, once; the Data quality tab starts it when
        first opened (so it does not slow the other tabs) and shows it when done."""
        with self._validation_lock:
            if self.validation.started:
                return
            self.validation.started = True

        specs = {d.name: d.spec for d in default_registry().datasets}
        parts = [
            r
            for r in self.q.manifest.get("resources", [])
            if r.get("role", "data") == "data"
            and r.get("format") == "parquet"
            and getattr(specs.get(r.get("dataset")), "per_home", False)
        ]
        rows = sum(int(r.get("rows") or 0) for r in parts)
        checked = {r["path"]: [] for r in parts} if rows > RECHECKED_ROWS else None
        self.validation.parts_trusted = len(checked or ())

        def run() -> None:
            # In a process of its own: a thread would hold the server's GIL in every pandas
            # step, and the tab's poll (and every other tab) would wait on it at a million homes.
            context = multiprocessing.get_context("spawn")
            try:
                with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
                    job = pool.submit(_validated, str(self.q.root), checked)
                    self.validation.report = job.result()
            except Exception as exc:  # shown in the tab, not lost in a thread
                self.validation.error = f"{type(exc).__name__}: {exc}"
            finally:
                self.validation.done.set()

        threading.Thread(target=run, name="vppsim-validate", daemon=True).start()

    def prewarm(self, shown: tuple[int, ...], price: str | None) -> None:
        """Compute the views the page opens with, in the background, so the first visit of
        each tab is answered from memory."""
        first, last = self.q.first_day, self.q.last_day
        aggregation = DEFAULT_AGGREGATION

        def run() -> None:
            wanted = {
                "market": lambda: self.market(first, last, aggregation, price),
                "system": lambda: self.system(first, last, aggregation),
                "solar": lambda: self.solar(first, last, aggregation),
                "load": lambda: self.load(HomeSelection(), shown, first, last, aggregation),
                "integrated": lambda: self.integrated(
                    HomeSelection(), first, last, aggregation, DEFAULT_PV_SHARE
                ),
                "dispatch": lambda: self.dispatch(
                    self.q.strategies[0], shown, first, last, aggregation
                ),
                "forecasts": self.forecast_report,
            }
            for tab, compute in wanted.items():
                if set(TAB_DATASETS[tab]) <= set(self.q.datasets):
                    compute()

        threading.Thread(target=run, name="vppsim-prewarm", daemon=True).start()

    # -- market ----------------------------------------------------------------------------

    @_memo
    def market(self, start: date, end: date, aggregation: str, price: str) -> dict[str, Any]:
        self.q.require("market")
        fine = self.q.table("market", start, end)
        return {
            "series": self.q.table("market", start, end, aggregation),
            "band": analysis.hourly_profile_band(fine, price, self.tz),
            "day_types": analysis.hourly_profile_band(fine, price, self.tz, by_day_type=True),
            "values": fine[price].to_numpy(),
        }

    # -- system ----------------------------------------------------------------------------

    @_memo
    def system(self, start: date, end: date, aggregation: str) -> dict[str, Any]:
        """The system's series at ``aggregation``, the net load's daily band, and ``supply``:
        the real-time LMP against net load at hourly means, with the local hour (None
        without market data)."""
        self.q.require("system")
        series = self.q.table("system", start, end, aggregation)
        supply = None
        if "market" in self.q.datasets:
            # Hourly whatever the aggregation: a daily mean has no hour of day to colour by.
            hourly = (
                series if aggregation == "hourly" else self.q.table("system", start, end, "hourly")
            )
            market = self.q.table("market", start, end, "hourly")[[TIMESTAMP, "lmp"]]
            supply = hourly[[TIMESTAMP, "net_load_mw"]].merge(market, on=TIMESTAMP)
            supply["hour"] = analysis.local_index(supply[TIMESTAMP], self.tz).hour
        return {
            "series": series,
            "band": analysis.hourly_profile_band(
                self.q.table("system", start, end), "net_load_mw", self.tz
            ),
            "supply": supply,
        }

    # -- solar -----------------------------------------------------------------------------

    @_memo
    def solar(self, start: date, end: date, aggregation: str) -> dict[str, Any]:
        self.q.require("solar")
        fine = self.q.table("solar", start, end)
        return {
            "series": self.q.table("solar", start, end, aggregation),
            "band": analysis.hourly_profile_band(fine, "generation_kw_per_kw_installed", self.tz),
            "daily": analysis.daily_solar(fine, self.tz, self.q.interval_minutes),
        }

    # -- load ------------------------------------------------------------------------------

    @_memo
    def load(
        self,
        selection: HomeSelection,
        shown: tuple[int, ...],
        start: date,
        end: date,
        aggregation: str,
    ) -> dict[str, Any]:
        self.q.require("load")
        fleet = self.q.fleet_load(selection, start, end)
        view = {
            "homes": self.q.home_count(selection),
            "shown": self.q.home_load(shown, start, end, aggregation),
            "fleet": self.q.resample(fleet, aggregation),
            "band": self.q.profile_band(selection, start, end),
            "stats": self.q.home_daily_stats(selection, start, end),
            "diversity": self.q.diversity_curve(
                selection, start, end, DIVERSITY_DRAWS, DIVERSITY_SAMPLED_HOMES
            ),
            "temperature": None,
        }
        if "weather" in self.q.datasets:
            view["temperature"] = self._daily_load_and_temperature(fleet, start, end)
        return view

    def _daily_load_and_temperature(
        self, fleet: pd.DataFrame, start: date, end: date
    ) -> pd.DataFrame:
        hours = self.q.interval_minutes / 60
        per_home = fleet.assign(kw_per_home=fleet["load_kw"] / fleet["homes"])
        kwh = analysis.daily_aggregate(per_home, "kw_per_home", self.tz, "sum") * hours
        weather = self.q.table("weather", start, end)
        tmax = analysis.daily_aggregate(weather, "temp_air_c", self.tz, "max")
        return pd.DataFrame({"kwh_per_home": kwh, "temp_max_c": tmax}).dropna()

    # -- integrated ------------------------------------------------------------------------

    @_memo
    def integrated(
        self,
        selection: HomeSelection,
        start: date,
        end: date,
        aggregation: str,
        pv_share: float,
    ) -> dict[str, Any]:
        self.q.require("market", "solar", "load")
        homes = self.q.home_count(selection)
        pv = self.q.fleet_pv(selection, start, end, pv_share)
        market = self.q.table("market", start, end)
        solar = self.q.table("solar", start, end)
        fleet = self.q.fleet_load(selection, start, end)
        fine = fleet.merge(pv.series, on=TIMESTAMP)
        fine["net_kw"] = analysis.net_load(fine["load_kw"], fine["pv_kw"])
        return {
            "homes": homes,
            "pv_kw_total": pv.kw_dc,
            "pv_homes": pv.homes,
            "pv_drawn": pv.drawn,
            "series": self.q.resample(fine[[TIMESTAMP, "load_kw", "pv_kw", "net_kw"]], aggregation),
            "price_band": analysis.hourly_profile_band(market, "lmp", self.tz),
            "solar_band": analysis.hourly_profile_band(
                solar, "generation_kw_per_kw_installed", self.tz
            ),
            "net_peaks": analysis.daily_peak_hours(fine, "net_kw", self.tz),
            "price_peaks": analysis.daily_peak_hours(market, "lmp", self.tz),
            "revenue": analysis.shift_revenue(market, self.tz, homes),
        }

    # -- dispatch --------------------------------------------------------------------------

    @_memo
    def dispatch(
        self, strategy: str, shown: tuple[int, ...], start: date, end: date, aggregation: str
    ) -> dict[str, Any]:
        """The schedules of ``strategy`` and the KPIs of every strategy written.

        Returns
        -------
        dict
            ``series``: :meth:`~vppsim.viz.queries.DatasetQueries.dispatch_fleet` with the
            real-time ``lmp`` [$/MWh] (bucket means; absent without market data);
            ``homes``: the ``shown`` homes' schedules, wide (:func:`per_home_columns`);
            ``net_revenue``: each home's net revenue over the dispatch [$];
            ``summary``: the strategy's ``summary.json``; ``kpis``: :func:`kpi_table` of
            every strategy.
        """
        series = self.q.dispatch_fleet(strategy, start, end, aggregation)
        if "market" in self.q.datasets:
            lmp = self.q.table("market", start, end, aggregation)[[TIMESTAMP, "lmp"]]
            series = series.merge(lmp, on=TIMESTAMP, how="left")
        homes = self.q.dispatch_homes(strategy, shown, start, end, aggregation)
        return {
            "series": series,
            "homes": per_home_columns(homes, ("meter_kw", "soc_kwh")),
            "net_revenue": self.q.dispatch_kpis(strategy)["net_revenue_usd"].to_numpy(),
            "summary": self.q.dispatch_summary(strategy),
            "kpis": kpi_table({s: self.q.dispatch_summary(s) for s in self.q.strategies}),
        }

    # -- forecasts -------------------------------------------------------------------------

    def forecast_report(self) -> ForecastReport:
        """:func:`~vppsim.forecast.report.forecast_report` of the dataset, computed once (it
        reads every forecast and takes seconds); concurrent callers wait for the one run."""
        with self._report_lock:
            if self._report is None:
                self._report = forecast_report(self.q.root)
            return self._report

    @_memo
    def forecast_fan(
        self, variable: str, start: date, end: date, issued_at: pd.Timestamp | None
    ) -> dict[str, Any]:
        """A run's fan and its outcome.

        Parameters
        ----------
        issued_at : Timestamp or None
            None: the day-ahead run of every interval of the period. Else the intraday run
            issued then, with the outcome of the :data:`HISTORY_H` hours before it.

        Returns
        -------
        dict
            ``fan``: ``timestamp`` and ``q05`` ... ``q95``; ``outcome``: ``timestamp`` and
            ``value`` over the fan's intervals; ``history``: the same before the issue
            (None for the day-ahead run).
        """
        if issued_at is None:
            fan = self.q.forecast_quantiles(variable, start, end, min_lead_h=DAY_AHEAD_FROM_H)
            outcome = self.q.forecast_outcome(variable, start, end)
            return {"fan": fan, "outcome": outcome, "history": None}
        fan = self.q.forecast_quantiles(variable, issued_at=issued_at)
        since = issued_at - pd.Timedelta(hours=HISTORY_H)
        until = fan[TIMESTAMP].max() if len(fan) else issued_at
        first, last = analysis.local_index([since, until], self.tz).date
        observed = self.q.forecast_outcome(variable, first, last)
        times = observed[TIMESTAMP]
        return {
            "fan": fan,
            "outcome": observed[(times >= issued_at) & (times <= until)],
            "history": observed[(times >= since) & (times < issued_at)],
        }

    def forecast_scores(self, variable: str, lead: str) -> dict[str, pd.DataFrame]:
        """The report's rows of ``variable``: ``scores`` of every lead class, ``pit`` and
        ``reliability`` of ``lead`` (``day-ahead`` or an intraday class)."""
        report = self.forecast_report()

        def rows(frame: pd.DataFrame, by_lead: bool) -> pd.DataFrame:
            if frame.empty:
                return frame
            keep = frame["variable"] == variable
            if by_lead:
                keep &= frame["lead"] == lead
            return frame[keep].reset_index(drop=True)

        return {
            "scores": rows(report.scores, by_lead=False),
            "pit": rows(report.pit, by_lead=True),
            "reliability": rows(report.reliability, by_lead=True),
        }


def per_home_columns(homes: pd.DataFrame, columns: tuple[str, ...]) -> pd.DataFrame:
    """A long per-home frame made wide: ``timestamp`` and one ``<column>_<home_id>`` per home
    and column (one line each in a figure)."""
    wide = homes.pivot(index=TIMESTAMP, columns=HOME_ID, values=list(columns))
    wide.columns = [f"{column}_{home}" for column, home in wide.columns]
    return wide.reset_index()


def kpi_table(summaries: dict[str, dict[str, Any]]) -> pd.DataFrame:
    """The KPIs of :data:`DISPATCH_KPIS` side by side.

    Parameters
    ----------
    summaries : dict
        Strategy -> its ``summary.json``.

    Returns
    -------
    DataFrame
        Index the KPI keys; ``label``, ``unit`` and one column per strategy (NaN where a
        summary lacks the KPI).
    """
    frame = pd.DataFrame(
        {
            "label": [v[0] for v in DISPATCH_KPIS.values()],
            "unit": [v[1] for v in DISPATCH_KPIS.values()],
        },
        index=list(DISPATCH_KPIS),
    )
    for strategy, summary in summaries.items():
        frame[strategy] = [float(summary["kpis"].get(key, float("nan"))) for key in DISPATCH_KPIS]
    return frame
