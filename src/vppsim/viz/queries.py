"""DuckDB queries over a written dataset, for the static plots and the dashboard.

Everything over the fleet is aggregated in SQL against the Parquet parts, so a query's
answer is as small as the figure that shows it, whatever the number of homes. Time-series
tables (market, system, solar, weather) are small and come back whole for the period asked.

Periods are local calendar dates of the study's time zone, inclusive; answers carry UTC
``timestamp`` interval starts like every frame in vppsim.
"""

from __future__ import annotations

import functools
import json
import re
import threading
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from vppsim import diversity
from vppsim.dataset.manifest import (
    MANIFEST,
    ManifestError,
    home_parts,
    parts_holding,
    read_manifest,
)
from vppsim.dataset.readers import duckdb_connection
from vppsim.dataset.rollups import (
    EVERY_HOME,
    FLEET_PATH,
    HOME_DAYS_PATH,
    HOME_FILTERS,
    ROLLUP_ROLE,
)
from vppsim.dataset.schemas import HOME_ID, TIMESTAMP
from vppsim.errors import VppsimError
from vppsim.fleet.dispatch_spec import (
    DISPATCH_FOLDER,
    FLEET_FILE,
    HOMES_FOLDER,
    KPIS_FILE,
    STRATEGIES,
    STRATEGY_FILES,
    SUMMARY_FILE,
)
from vppsim.forecast.metrics import ISSUED_AT
from vppsim.forecast.parameters import QUANTILE_COLUMNS
from vppsim.forecast.sources import QUANTILE_TABLES, VARIABLES
from vppsim.grid import build_grid
from vppsim.registry import default_registry
from vppsim.seeds import Stream, stream_rng
from vppsim.viz.analysis import local_calendar, pv_capacity

AGGREGATIONS = {"15min": TIMESTAMP, "hourly": "hour_start", "daily": "day_start"}
"""Aggregation levels: the column of the ``steps`` table that starts each bucket (local
hours and local days, as UTC instants)."""

_TABLES = ("market", "system", "solar", "weather")

HOME_DAYS_IN_MEMORY = 40_000_000
"""Most rows of the ``home_days`` rollup held in memory (12 B a row: a million homes' month
is 3.1e7 rows, 370 MB); a larger one is aggregated by DuckDB for each period asked."""

SAMPLE_HOMES = 10_000
"""Above this many homes, the figures no rollup holds (the profile band across homes, the
diversity curve's sampled groups) are computed from the selection's homes among the fleet's
first SAMPLE_HOMES only: homes are independent draws from per-home random streams, so the
first ones are a random sample, and their rows are in the first Parquet parts."""

SAMPLE_VALUES = 30_000_000
"""Most load values of the sampled homes held in memory (float32, 120 MB): a longer study
samples fewer homes (an August of 15-min intervals keeps SAMPLE_HOMES)."""

FORECASTS_VIEW = "forecasts"
"""The view over every quantile forecast table present (``forecasts/*_forecasts``), and the
name :attr:`DatasetQueries.datasets` lists when there is one."""

_STRATEGY = re.compile(r"^[a-z][a-z0-9_]*$")
"""A strategy folder's name (it names SQL sources); the CLI's staging folders start with a dot."""


class DatasetNotReadable(VppsimError):
    """The folder is not a vppsim dataset, or lacks what a query needs."""

    exit_code = 2


@dataclass(frozen=True)
class HomeSelection:
    """Which homes a fleet query covers: an attribute filter, optionally narrowed to ids.

    Parameters
    ----------
    filter : str
        A key of :data:`HOME_FILTERS`.
    ids : tuple of int, optional
        Only these homes (still subject to ``filter``).
    """

    filter: str = "all"
    ids: tuple[int, ...] | None = None

    def __post_init__(self) -> None:
        if self.filter not in HOME_FILTERS:
            raise VppsimError(
                f"unknown home filter {self.filter!r}; choose one of {', '.join(HOME_FILTERS)}"
            )


@dataclass(frozen=True)
class FleetSummary:
    """What one scan of the load parts gives; see :meth:`DatasetQueries.fleet_summary`."""

    fleet: pd.DataFrame
    band: pd.DataFrame
    stats: pd.DataFrame


@dataclass(frozen=True)
class FleetPv:
    """The rooftop PV of a selection of homes; see :meth:`DatasetQueries.fleet_pv`.

    Attributes
    ----------
    series : DataFrame
        ``timestamp`` and ``pv_kw`` [kW AC], summed over the homes.
    homes : int
        Homes with PV.
    kw_dc : float
        Their PV capacity [kW DC].
    drawn : bool
        The PV was drawn for the chart (a dataset without the fleet's own PV).
    """

    series: pd.DataFrame
    homes: int
    kw_dc: float
    drawn: bool


class DatasetQueries:
    """Read-only SQL views over one dataset folder.

    Parameters
    ----------
    root : path
        A folder written by ``vppsim build`` (it holds ``datapackage.json``).

    Notes
    -----
    Views prefer the Parquet files and fall back to the CSV files of a CSV-only build. One
    DuckDB connection is shared; a lock serialises queries from the dashboard's threads.
    """

    def __init__(self, root: Path | str):
        self.root = Path(root)
        try:
            manifest = read_manifest(self.root)
        except ManifestError as exc:
            raise DatasetNotReadable(str(exc)) from None
        self._lock = threading.Lock()
        self._con = duckdb_connection()
        try:
            # The views read it as JSON, the way it is written.
            self.manifest: dict[str, Any] = json.loads(manifest.to_json())
            meta = self.manifest["vppsim"]
            self.timezone: str = meta["grid"]["timezone"]
            self.interval_minutes: int = int(meta["grid"]["interval_minutes"])
            self.seed: int = int(meta["seed"])
            self._create_steps(meta["config"])
        except (ValueError, KeyError, TypeError) as exc:
            raise DatasetNotReadable(
                f"{self.root / MANIFEST} is not a vppsim manifest: {exc}"
            ) from exc
        self._units: dict[str, dict[str, str]] = {}
        self.datasets: list[str] = []
        for name in (*_TABLES, "load", "assets", "pv"):
            if self._create_view(name):
                self.datasets.append(name)
        self.has_homes = self._create_homes_view()
        self._rollup_pv = False
        self._arrays_lock = threading.Lock()
        self._arrays: tuple[np.ndarray, ...] | None = None
        self._sample_load: np.ndarray | None = None
        self.rolled_up: dict[str, int] = self._create_rollup_views()
        self.forecast_variables: list[str] = self._create_forecasts_view()
        if self.forecast_variables:
            self.datasets.append(FORECASTS_VIEW)
        self.strategies: list[str] = self._find_strategies()
        if self.strategies:
            self.datasets.append(DISPATCH_FOLDER)
        days = self.sql("SELECT min(day) AS first, max(day) AS last FROM steps").iloc[0]
        self.first_day: date = pd.Timestamp(days["first"]).date()
        self.last_day: date = pd.Timestamp(days["last"]).date()

    # -- setup -------------------------------------------------------------------------

    def _create_view(self, name: str) -> bool:
        spec = default_registry().spec(name)
        parquet = self.root / spec.parquet_path
        if spec.per_home:
            parquet_dir = parquet.parent
            csv_dir = parquet_dir if spec.csv_path is None else (self.root / spec.csv_path).parent
            if any(parquet_dir.glob("*.parquet")):
                source = f"read_parquet('{parquet_dir.as_posix()}/*.parquet')"
            elif any(csv_dir.glob("*.csv")):
                # A CSV profile holds one home; its number is in the file name.
                source = (
                    f"(SELECT CAST(regexp_extract(filename, '(\\d+)\\.csv$', 1) AS INTEGER) "
                    f"AS {HOME_ID}, * EXCLUDE (filename) FROM "
                    f"{self._csv(csv_dir, '*.csv', filename=True)})"
                )
            else:
                return False
        elif parquet.is_file():
            source = f"read_parquet('{parquet.as_posix()}')"
        elif spec.csv_path is not None and (self.root / spec.csv_path).is_file():
            times = tuple(c.name for c in spec.columns if c.is_datetime)
            source = self._csv(self.root, spec.csv_path, times=times)
        else:
            return False
        self._con.execute(f"CREATE VIEW {name} AS SELECT * FROM {source}")
        present = {row[0] for row in self._con.execute(f"DESCRIBE {name}").fetchall()}
        self._units[name] = {c.name: c.unit for c in spec.columns if c.name in present}
        return True

    @staticmethod
    def _csv(
        folder: Path, pattern: str, filename: bool = False, times: tuple[str, ...] = ()
    ) -> str:
        """A CSV source; ``timestamp`` and the ``times`` columns read as UTC instants."""
        extra = ", filename = true" if filename else ""
        types = ", ".join(f"'{c}': 'TIMESTAMPTZ'" for c in dict.fromkeys((TIMESTAMP, *times)))
        return (
            f"read_csv('{(folder / pattern).as_posix()}', header = true, "
            f"timestampformat = '%Y-%m-%dT%H:%M:%SZ', types = {{{types}}}{extra})"
        )

    def _create_homes_view(self) -> bool:
        path = self.root / "parquet" / "homes.parquet"
        if not path.is_file():
            return False
        self._con.execute(f"CREATE VIEW homes AS SELECT * FROM read_parquet('{path.as_posix()}')")
        return True

    def _create_rollup_views(self) -> dict[str, int]:
        """Views ``home_days`` and ``fleet_sums`` over the build's rollups (see
        :mod:`vppsim.dataset.rollups`); returns the filters they sum, each with its homes
        (empty for a dataset written without them: its queries scan the load)."""
        written = {
            r["path"] for r in self.manifest.get("resources", []) if r.get("role") == ROLLUP_ROLE
        }
        paths = {
            name: self.root / relative
            for name, relative in (("home_days", HOME_DAYS_PATH), ("fleet_sums", FLEET_PATH))
        }
        if (
            written != {HOME_DAYS_PATH, FLEET_PATH}
            or not all(p.is_file() for p in paths.values())
            or "load" not in self.datasets
        ):
            return {}
        for name, path in paths.items():
            self._con.execute(
                f"CREATE VIEW {name} AS SELECT * FROM read_parquet('{path.as_posix()}')"
            )
        self._rollup_pv = "pv_kw" in {
            row[0] for row in self._con.execute("DESCRIBE fleet_sums").fetchall()
        }
        counts = self.sql("SELECT filter, max(homes) AS homes FROM fleet_sums GROUP BY 1")
        found = dict(zip(counts["filter"], counts["homes"].astype(int), strict=True))
        return {key: found[key] for key in HOME_FILTERS if key in found}

    def _rolled(self, selection: HomeSelection) -> bool:
        """Whether the rollups answer for ``selection``: a filter they sum, no ids."""
        return selection.ids is None and selection.filter in self.rolled_up

    @functools.cached_property
    def _load_part_ends(self) -> tuple[list[str], np.ndarray]:
        """The load's Parquet parts, in order, and the home id after each one's last (the
        manifest says how many homes each holds)."""
        intervals = int(self.manifest["vppsim"]["grid"]["intervals"])
        paths, ends = home_parts(self.manifest.get("resources", []), "load", intervals)
        return [(self.root / path).as_posix() for path in paths], ends

    def _load_of(self, ids: list[int] | tuple[int, ...] | np.ndarray) -> str:
        """A DuckDB source of the load rows of homes ``ids``: the Parquet parts that hold
        them, so a query about a few homes of a million opens a few files, not every part
        (the ``load`` view for a dataset without parts)."""
        paths, ends = self._load_part_ends
        if not paths:
            return "load"
        chosen = [paths[i] for i in parts_holding(ends, np.asarray(ids))]
        if not chosen:
            return "(SELECT * FROM load WHERE FALSE)"
        return "read_parquet([" + ", ".join(f"'{path}'" for path in chosen) + "])"

    def _create_forecasts_view(self) -> list[str]:
        """One view over the quantile forecast tables present; returns the variables they
        forecast, in the order of :data:`~vppsim.forecast.sources.VARIABLES`."""
        tables = [table for table in QUANTILE_TABLES if self._create_view(table)]
        if not tables:
            return []
        self._con.execute(
            f"CREATE VIEW {FORECASTS_VIEW} AS "
            + " UNION ALL BY NAME ".join(f"SELECT * FROM {table}" for table in tables)
        )
        present = set(self.sql(f"SELECT DISTINCT variable FROM {FORECASTS_VIEW}")["variable"])
        return [v.name for v in VARIABLES if v.name in present]

    def _find_strategies(self) -> list[str]:
        """The strategies ``vppsim dispatch`` has written: folders of ``dispatch/`` holding
        every file of :data:`STRATEGY_FILES` and at least one homes part; ``none``, ``rule``
        and ``lp`` first, in that order (the baseline before what is compared with it)."""
        folder = self.root / DISPATCH_FOLDER
        if not folder.is_dir():
            return []
        found = [
            path.name
            for path in folder.iterdir()
            if path.is_dir()
            and _STRATEGY.match(path.name)
            and all((path / name).is_file() for name in STRATEGY_FILES)
            and any((path / HOMES_FOLDER).glob("*.parquet"))
        ]
        order = {name: i for i, name in enumerate(STRATEGIES)}
        return sorted(found, key=lambda name: (order.get(name, len(order)), name))

    def _create_steps(self, config: dict[str, Any]) -> None:
        """The study's intervals with their local day and hour, and the UTC starts of the
        local hour and day they fall in. Fleet queries join this small table instead of
        converting every row's time zone."""
        timestamps = build_grid(
            date.fromisoformat(config["start"]),
            date.fromisoformat(config["end"]),
            self.timezone,
            self.interval_minutes,
        )
        steps = local_calendar(timestamps, self.timezone)
        with self._lock:
            self._con.register("steps_frame", steps)
            self._con.execute("CREATE TABLE steps AS SELECT * FROM steps_frame")
            self._con.unregister("steps_frame")

    # -- plumbing ------------------------------------------------------------------------

    def sql(
        self,
        query: str,
        params: list[Any] | None = None,
        tables: dict[str, pd.DataFrame] | None = None,
    ) -> pd.DataFrame:
        """Run ``query`` and return a frame (timestamps as UTC ``datetime64[ns, UTC]``).

        ``tables`` are small frames the query may name, registered for this query only.
        """
        tables = tables or {}
        with self._lock:
            for name, table in tables.items():
                self._con.register(name, table)
            try:
                frame = self._con.execute(query, params or []).df()
            finally:
                for name in tables:
                    self._con.unregister(name)
        return _utc_times(frame)

    def units(self, dataset: str) -> dict[str, str]:
        """The value columns ``dataset`` holds, each with its unit (e.g. ``"lmp": "$/MWh"``,
        ``"spin_price": "$/MW-h"``), in the schema's order."""
        self.require(dataset)
        return dict(self._units[dataset])

    def provenance(self, dataset: str) -> dict[str, Any]:
        """The manifest's provenance record of ``dataset`` (empty if it was not built)."""
        return self.manifest.get("provenance", {}).get(dataset, {})

    def source_caption(self, *datasets: str) -> str:
        """One line naming each dataset's source and kind, and any fallback, for a caption."""
        parts = []
        for name in datasets:
            record = self.provenance(name)
            if not record:
                continue
            text = f"{name}: {record.get('source', '?')} ({record.get('kind', '?')})"
            if record.get("fallback_reason"):
                text += ", fell back from live"
            parts.append(text)
        return "Data: " + "; ".join(parts) if parts else "Data: no provenance recorded"

    def require(self, *datasets: str) -> None:
        missing = [name for name in datasets if name not in self.datasets]
        if missing:
            raise DatasetNotReadable(
                f"{self.root} has no {', '.join(missing)} data; build it with --only"
            )

    def _clamp(self, start: date | None, end: date | None) -> tuple[date, date]:
        """The period asked, within the dataset's (no bound: the dataset's own)."""
        return max(start or self.first_day, self.first_day), min(
            end or self.last_day, self.last_day
        )

    def _period_where(self, start: date | None, end: date | None, column: str = TIMESTAMP) -> str:
        """A UTC range predicate for local days ``start`` to ``end`` (inclusive), which
        DuckDB can also use to skip row groups."""
        start, end = self._clamp(start, end)
        first, last = self.sql(
            f"SELECT min({TIMESTAMP}), max({TIMESTAMP}) FROM steps WHERE day BETWEEN ? AND ?",
            [start, end],
        ).iloc[0]
        if pd.isna(first):
            return "FALSE"
        return f"{column} BETWEEN '{first.isoformat()}' AND '{last.isoformat()}'"

    @staticmethod
    def _bucket(aggregation: str) -> str:
        """The column of ``steps`` that labels each row's bucket."""
        if aggregation not in AGGREGATIONS:
            raise VppsimError(
                f"unknown aggregation {aggregation!r}; choose one of {', '.join(AGGREGATIONS)}"
            )
        return f"steps.{AGGREGATIONS[aggregation]}"

    def _homes_source(self) -> str:
        """Where the home ids are: the homes table, or the load data of a CSV-only build."""
        self.require("load")
        return "homes" if self.has_homes else f"(SELECT DISTINCT {HOME_ID} FROM load)"

    def _home_where(self, selection: HomeSelection) -> str:
        conditions = []
        condition = HOME_FILTERS[selection.filter][1]
        if condition is not None:
            if not self.has_homes:
                raise DatasetNotReadable(
                    f"{self.root} has no homes table, so homes cannot be filtered by attribute"
                )
            conditions.append(f"{HOME_ID} IN (SELECT {HOME_ID} FROM homes WHERE {condition})")
        if selection.ids is not None:
            ids = ", ".join(str(int(i)) for i in selection.ids) or "NULL"
            conditions.append(f"{HOME_ID} IN ({ids})")
        return " AND ".join(conditions) or "TRUE"

    # -- tables --------------------------------------------------------------------------

    def table(
        self,
        name: str,
        start: date | None = None,
        end: date | None = None,
        aggregation: str = "15min",
    ) -> pd.DataFrame:
        """A time-series table (``market``, ``system``, ``solar`` or ``weather``), averaged per
        bucket.

        Returns
        -------
        DataFrame
            ``timestamp`` (UTC start of each bucket) and the table's value columns.
        """
        self.require(name)
        means = ", ".join(f"avg({c}) AS {c}" for c in self.units(name))
        return self.sql(
            f"SELECT {self._bucket(aggregation)} AS {TIMESTAMP}, {means} "
            f"FROM {name} JOIN steps USING ({TIMESTAMP}) "
            f"WHERE {self._period_where(start, end, name + '.' + TIMESTAMP)} "
            f"GROUP BY 1 ORDER BY 1"
        )

    # -- fleet ---------------------------------------------------------------------------

    def home_count(self, selection: HomeSelection = HomeSelection()) -> int:
        """How many homes ``selection`` covers."""
        if self._rolled(selection):
            return self.rolled_up[selection.filter]
        return int(
            self.sql(
                f"SELECT count(*) FROM {self._homes_source()} WHERE {self._home_where(selection)}"
            ).iloc[0, 0]
        )

    def filter_counts(self) -> dict[str, int]:
        """How many homes each filter of :data:`HOME_FILTERS` selects (only ``all`` without
        a homes table, which the other filters need)."""
        if not self.has_homes:
            return {EVERY_HOME: self.home_count() if "load" in self.datasets else 0}
        if set(self.rolled_up) == set(HOME_FILTERS):
            return dict(self.rolled_up)
        counts = ", ".join(
            f"count(*) FILTER (WHERE {condition or 'TRUE'}) AS {key}"
            for key, (_, condition) in HOME_FILTERS.items()
        )
        return {key: int(n) for key, n in self.sql(f"SELECT {counts} FROM homes").iloc[0].items()}

    def sample_note(self, selection: HomeSelection = HomeSelection()) -> str:
        """A caption's note saying which figures come from the first :data:`SAMPLE_HOMES`
        homes of ``selection`` ("" when it has no more)."""
        homes = self.home_count(selection)
        if homes <= SAMPLE_HOMES:
            return ""
        what = (
            "Profile band and diversity groups" if self._rolled(selection) else ("Diversity groups")
        )
        return (
            f"{what}: the first {SAMPLE_HOMES:,} of {homes:,} homes (each home an "
            "independent draw, so a random sample)."
        )

    def fleet_summary(
        self,
        selection: HomeSelection = HomeSelection(),
        start: date | None = None,
        end: date | None = None,
        quantiles: tuple[float, ...] = (0.1, 0.5, 0.9),
    ) -> FleetSummary:
        """The fleet's total, its daily profile across homes and per-home figures (memoised:
        the plots and the dashboard ask for all three).

        A selection by filter alone, of a dataset with the build's rollups
        (:mod:`vppsim.dataset.rollups`), gets ``fleet`` and ``stats`` from them (the same
        figures as a scan) and ``band`` from a scan of its first :data:`SAMPLE_HOMES` homes
        (all of them in a smaller fleet); otherwise all three come from one scan of the
        load parts.

        Returns
        -------
        FleetSummary
            ``fleet``: ``timestamp``, ``load_kw`` [kW] (sum over the selected homes) and
            ``homes`` (how many were summed), on the 15-min grid.
            ``band``: index ``hour`` (0-23 local); each home's mean load by hour, then the
            quantiles across homes (``p10``, ``p50``, ``p90`` for the defaults) and ``mean``
            [kW per home].
            ``stats``: ``home_id``, ``daily_kwh`` [kWh/day] (mean over local days) and
            ``peak_kw`` [kW] (highest interval), one row per home.
        """
        parts = ("fleet", "band", "stats")
        return FleetSummary(**{p: self._part(p, selection, start, end, quantiles) for p in parts})

    def _part(
        self,
        part: str,
        selection: HomeSelection,
        start: date | None,
        end: date | None,
        quantiles: tuple[float, ...] = (0.1, 0.5, 0.9),
    ) -> pd.DataFrame:
        """One frame of :meth:`fleet_summary` (a copy): from the rollups when they answer
        for ``selection`` (each frame computed alone), else from the one scan of the load."""
        self.require("load")
        key = (selection, *self._clamp(start, end), tuple(quantiles))
        if self._rolled(selection):
            return getattr(self, f"_rolled_{part}")(*key).copy()
        return getattr(self._fleet_summary(*key), part).copy()

    @staticmethod
    def _band_sql(source: str, quantiles: tuple[float, ...]) -> str:
        """The profile band from ``source``'s rows of ``hour`` and ``kw``, one home's mean
        load in that local hour each: quantiles across homes and their mean, by hour."""
        picks = ", ".join(f"quantile_cont(kw, {q}) AS p{round(q * 100):02d}" for q in quantiles)
        return f"SELECT hour, {picks}, avg(kw) AS mean FROM {source} GROUP BY hour ORDER BY hour"

    @functools.lru_cache(maxsize=8)  # noqa: B019 - one instance per open dataset
    def _rolled_fleet(
        self, selection: HomeSelection, start: date, end: date, quantiles: tuple[float, ...]
    ) -> pd.DataFrame:
        return self.sql(
            f"SELECT {TIMESTAMP}, load_kw, CAST(homes AS BIGINT) AS homes FROM fleet_sums "
            f"WHERE filter = ? AND homes > 0 AND {self._period_where(start, end)} ORDER BY 1",
            [selection.filter],
        )

    @functools.lru_cache(maxsize=8)  # noqa: B019 - one instance per open dataset
    def _rolled_stats(
        self, selection: HomeSelection, start: date, end: date, quantiles: tuple[float, ...]
    ) -> pd.DataFrame:
        arrays = self._home_day_arrays()
        if arrays is None:
            return self.sql(
                f"SELECT {HOME_ID}, avg(energy_kwh) AS daily_kwh, max(peak_kw) AS peak_kw "
                f"FROM home_days WHERE day BETWEEN ? AND ? AND {self._home_where(selection)} "
                "GROUP BY 1 ORDER BY 1",
                [start, end],
            )
        days, energy, peak = arrays
        first, last = np.searchsorted(days, [np.datetime64(start), np.datetime64(end)])
        span = slice(int(first), int(last) + 1)
        ids = self._filter_ids(selection.filter)
        # Every home: a view of the arrays; a filter: only its rows are copied.
        rows = slice(None) if len(ids) == len(energy) else ids
        return pd.DataFrame(
            {
                HOME_ID: ids.astype(np.int32),
                "daily_kwh": energy[rows, span].mean(axis=1),
                "peak_kw": peak[rows, span].max(axis=1),
            }
        )

    def _home_day_arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
        """``home_days`` as arrays, read once: the local days (``datetime64[D]``), and each
        home's daily energy [kWh] and peak [kW] (homes x days, row ``i`` home ``i``); None
        above :data:`HOME_DAYS_IN_MEMORY` rows (then each period is aggregated in DuckDB).
        A period's per-home figures are then a slice's mean and max: a million homes'
        month in tens of milliseconds, where a DuckDB GROUP BY of its 3e7 rows takes
        seconds."""
        with self._arrays_lock:
            if self._arrays is None:
                self._arrays = self._read_home_days()
            return self._arrays or None

    def _read_home_days(self) -> tuple[np.ndarray, np.ndarray, np.ndarray] | tuple[()]:
        import pyarrow.parquet as pq

        (rows,) = [
            int(r["rows"]) for r in self.manifest["resources"] if r["path"] == HOME_DAYS_PATH
        ]
        days = np.unique(self.sql("SELECT day FROM steps")["day"].to_numpy("datetime64[D]"))
        if rows > HOME_DAYS_IN_MEMORY or rows % len(days):
            return ()
        table = pq.read_table(self.root / HOME_DAYS_PATH, columns=["energy_kwh", "peak_kw"])
        # Validated at build: home by home, every local day in order.
        energy, peak = (
            table.column(c).to_numpy().reshape(-1, len(days)) for c in table.column_names
        )
        return days, energy, peak

    @functools.lru_cache(maxsize=len(HOME_FILTERS))  # noqa: B019 - one instance per dataset
    def _filter_ids(self, key: str) -> np.ndarray:
        """The ids of the homes filter ``key`` selects, ascending [int64]."""
        frame = self.sql(
            f"SELECT {HOME_ID} FROM {self._homes_source()} "
            f"WHERE {self._home_where(HomeSelection(key))} ORDER BY 1"
        )
        return frame[HOME_ID].to_numpy(np.int64)

    @functools.lru_cache(maxsize=8)  # noqa: B019 - one instance per open dataset
    def _rolled_band(
        self, selection: HomeSelection, start: date, end: date, quantiles: tuple[float, ...]
    ) -> pd.DataFrame:
        # No rollup holds each home's hours: the sampled homes' load is read.
        ids = self._sampled(self._filter_ids(selection.filter))
        load = self._sample_matrix()
        if load is not None and len(ids) and ids[-1] < len(load):
            present, by_hour = self._sample_hour_means(start, end)
            means = by_hour[ids]
            band = pd.DataFrame(
                {f"p{round(q * 100):02d}": np.quantile(means, q, axis=0) for q in quantiles},
                index=pd.Index(present.astype(np.int32), name="hour"),
            )
            band["mean"] = means.mean(axis=0)
            return band
        source = self._load_of(ids)
        per_home = f"""(SELECT steps.hour, avg(load_kw) AS kw FROM {source} l
            JOIN steps USING ({TIMESTAMP})
            WHERE {self._period_where(start, end, "l." + TIMESTAMP)}
              AND {HOME_ID} IN (SELECT {HOME_ID} FROM sample)
            GROUP BY {HOME_ID}, steps.hour)"""
        band = self.sql(
            self._band_sql(per_home, quantiles), tables={"sample": pd.DataFrame({HOME_ID: ids})}
        )
        return band.set_index("hour")

    @functools.lru_cache(maxsize=8)  # noqa: B019 - one instance per open dataset
    def _sample_hour_means(self, start: date, end: date) -> tuple[np.ndarray, np.ndarray]:
        """Every sampled home's mean load by local hour over local days ``start`` to
        ``end``: the hours present, and homes x hours [kW]; once per period, whatever the
        filter (a filter takes its rows)."""
        hours, span = self._hours(start, end)
        # Sums over each run of intervals in one hour (contiguous, on a view of the
        # sample), then the runs' sums by hour.
        runs = np.flatnonzero(np.diff(hours, prepend=-1))
        sums = np.add.reduceat(self._sample_matrix()[:, span], runs, axis=1, dtype=np.float64)
        order = np.argsort(hours[runs], kind="stable")
        present, starts = np.unique(hours[runs][order], return_index=True)
        counts = np.bincount(hours)[present]
        return present, np.add.reduceat(sums[:, order], starts, axis=1) / counts

    @property
    def _sample_size(self) -> int:
        """How many of the fleet's first homes are the sample (:data:`SAMPLE_HOMES`)."""
        intervals = int(self.manifest["vppsim"]["grid"]["intervals"])
        return max(1, min(SAMPLE_HOMES, SAMPLE_VALUES // max(intervals, 1)))

    def _sampled(self, ids: np.ndarray) -> np.ndarray:
        """The sampled homes among ``ids`` (ascending): those among the fleet's first
        :attr:`_sample_size`, or the first of ``ids`` when none is."""
        size = self._sample_size
        inside = ids[ids < size]
        return inside if len(inside) else ids[:size]

    def _sample_matrix(self) -> np.ndarray | None:
        """The sampled homes' load [kW], homes x intervals (row ``i`` home ``i``), read
        once from the parts that hold them; None when they cannot be read so (no Parquet
        parts): their queries run in DuckDB."""
        with self._arrays_lock:
            if self._sample_load is None:
                self._sample_load = self._read_sample()
            return self._sample_load if self._sample_load.size else None

    def _read_sample(self) -> np.ndarray:
        import pyarrow.parquet as pq

        paths, ends = self._load_part_ends
        homes = min(self._sample_size, int(ends[-1]) if len(ends) else 0)
        if not homes:
            return np.empty((0, 0), np.float32)
        chosen = paths[: int(np.searchsorted(ends, homes - 1, side="right")) + 1]
        table = pq.read_table(chosen, columns=["load_kw"], filters=[(HOME_ID, "<", homes)])
        # Validated at build: home by home, every interval in order.
        return table.column("load_kw").to_numpy().reshape(homes, -1)

    def _hours(self, start: date, end: date) -> tuple[np.ndarray, slice]:
        """The local hour of each interval of local days ``start`` to ``end``, and their
        positions in the grid."""
        steps = self._steps_frame
        days = steps["day"].to_numpy("datetime64[D]")
        inside = np.flatnonzero((days >= np.datetime64(start)) & (days <= np.datetime64(end)))
        span = slice(int(inside[0]), int(inside[-1]) + 1) if len(inside) else slice(0, 0)
        return steps["hour"].to_numpy()[span], span

    @functools.cached_property
    def _steps_frame(self) -> pd.DataFrame:
        return self.sql(f"SELECT day, hour FROM steps ORDER BY {TIMESTAMP}")

    @functools.lru_cache(maxsize=8)  # noqa: B019 - one instance per open dataset
    def _fleet_summary(
        self, selection: HomeSelection, start: date, end: date, quantiles: tuple[float, ...]
    ) -> FleetSummary:
        hours = self.interval_minutes / 60
        scan = f"""
            CREATE OR REPLACE TEMP TABLE fleet_scan AS
            SELECT {HOME_ID}, steps.day, steps.hour, load.{TIMESTAMP},
                   sum(load_kw) AS total, max(load_kw) AS peak, count(*) AS n,
                   grouping({HOME_ID}, steps.day, steps.hour, load.{TIMESTAMP}) AS level
            FROM load JOIN steps USING ({TIMESTAMP})
            WHERE {self._period_where(start, end, "load." + TIMESTAMP)}
              AND {self._home_where(selection)}
            GROUP BY GROUPING SETS (({HOME_ID}, steps.day), ({HOME_ID}, steps.hour),
                                    (load.{TIMESTAMP}))"""
        # grouping() sets a bit per column left out: 0b0011 per home and day, 0b0101 per
        # home and hour, 0b1110 per timestamp.
        queries = {
            "fleet": f"""SELECT {TIMESTAMP}, total AS load_kw, n AS homes FROM fleet_scan
                WHERE level = 14 ORDER BY 1""",
            "band": self._band_sql(
                "(SELECT hour, total / n AS kw FROM fleet_scan WHERE level = 5)", quantiles
            ),
            "stats": f"""SELECT {HOME_ID}, avg(total) * {hours} AS daily_kwh,
                max(peak) AS peak_kw FROM fleet_scan WHERE level = 3 GROUP BY 1 ORDER BY 1""",
        }
        with self._lock:
            self._con.execute(scan)
            try:
                frames = {
                    name: _utc_times(self._con.execute(sql).df()) for name, sql in queries.items()
                }
            finally:
                self._con.execute("DROP TABLE fleet_scan")
        frames["band"] = frames["band"].set_index("hour")
        return FleetSummary(**frames)

    def fleet_load(
        self,
        selection: HomeSelection = HomeSelection(),
        start: date | None = None,
        end: date | None = None,
        aggregation: str = "15min",
    ) -> pd.DataFrame:
        """The selected homes' summed load, averaged per bucket.

        Returns
        -------
        DataFrame
            ``timestamp``, ``load_kw`` [kW] (sum over homes, mean over the bucket) and
            ``homes`` (how many homes were summed).
        """
        return self.resample(self._part("fleet", selection, start, end), aggregation)

    def fleet_pv(
        self,
        selection: HomeSelection = HomeSelection(),
        start: date | None = None,
        end: date | None = None,
        pv_share: float = 0.5,
    ) -> FleetPv:
        """The selected homes' rooftop PV, summed, on the 15-min grid.

        A dataset with the ``assets`` and ``pv`` datasets has it: each home's own system on
        its own roof. An older dataset (or one built without them) gets PV drawn for the
        chart: ``pv_share`` of the homes, sized by :func:`~vppsim.viz.analysis.pv_capacity`,
        producing the ``solar`` dataset's output per kW.
        """
        start, end = self._clamp(start, end)
        homes = self._home_where(selection)
        if {"assets", "pv"} <= set(self.datasets):
            if self._rolled(selection) and self._rollup_pv:
                series = self.sql(
                    f"SELECT {TIMESTAMP}, pv_kw FROM fleet_sums WHERE filter = ? AND homes > 0 "
                    f"AND {self._period_where(start, end)} ORDER BY 1",
                    [selection.filter],
                )
            else:
                series = self.sql(
                    f"SELECT {TIMESTAMP}, sum(pv_kw) AS pv_kw FROM pv "
                    f"WHERE {self._period_where(start, end)} AND {homes} GROUP BY 1 ORDER BY 1"
                )
            count, kw = self.sql(
                "SELECT count(*) FILTER (WHERE has_pv) AS n, coalesce(sum(pv_dc_kw), 0) AS kw "
                f"FROM assets WHERE {homes}"
            ).iloc[0]
            return FleetPv(_utc_times(series), int(count), float(kw), drawn=False)
        self.require("solar")
        sizes = pv_capacity(self.home_ids(selection), self.seed, pv_share)["pv_kw"]
        solar = self.table("solar", start, end)
        series = pd.DataFrame(
            {
                TIMESTAMP: solar[TIMESTAMP],
                "pv_kw": solar["generation_kw_per_kw_installed"] * float(sizes.sum()),
            }
        )
        return FleetPv(series, int((sizes > 0).sum()), float(sizes.sum()), drawn=True)

    def resample(self, frame: pd.DataFrame, aggregation: str) -> pd.DataFrame:
        """Means per local hour or day of a small frame on the grid (a fleet total, not per
        home), with the same buckets as every query here.

        Parameters
        ----------
        frame : DataFrame
            ``timestamp`` (UTC interval starts) and numeric columns.
        """
        if aggregation == "15min":
            return frame.copy()
        values = [c for c in frame.columns if c != TIMESTAMP]
        means = ", ".join(f"avg({c}) AS {c}" for c in values)
        return self.sql(
            f"SELECT {self._bucket(aggregation)} AS {TIMESTAMP}, {means} "
            f"FROM frame JOIN steps USING ({TIMESTAMP}) GROUP BY 1 ORDER BY 1",
            tables={"frame": frame},
        )

    def profile_band(
        self,
        selection: HomeSelection = HomeSelection(),
        start: date | None = None,
        end: date | None = None,
        quantiles: tuple[float, ...] = (0.1, 0.5, 0.9),
    ) -> pd.DataFrame:
        """The daily load profile across homes (see :meth:`fleet_summary`, ``band``)."""
        return self._part("band", selection, start, end, quantiles)

    def home_daily_stats(
        self,
        selection: HomeSelection = HomeSelection(),
        start: date | None = None,
        end: date | None = None,
    ) -> pd.DataFrame:
        """Per home: mean daily energy and peak (see :meth:`fleet_summary`, ``stats``)."""
        return self._part("stats", selection, start, end)

    def home_load(
        self,
        ids: list[int] | tuple[int, ...],
        start: date | None = None,
        end: date | None = None,
        aggregation: str = "15min",
    ) -> pd.DataFrame:
        """Individual homes' load, long format: ``home_id``, ``timestamp``, ``load_kw`` [kW]."""
        self.require("load")
        selection = HomeSelection(ids=tuple(ids))
        return self.sql(
            f"SELECT {HOME_ID}, {self._bucket(aggregation)} AS {TIMESTAMP}, "
            f"avg(load_kw) AS load_kw FROM {self._load_of(ids)} l JOIN steps USING ({TIMESTAMP}) "
            f"WHERE {self._period_where(start, end, 'l.' + TIMESTAMP)} "
            f"AND {self._home_where(selection)} "
            f"GROUP BY 1, 2 ORDER BY 1, 2"
        )

    def home_ids(
        self, selection: HomeSelection = HomeSelection(), limit: int | None = None
    ) -> list[int]:
        """The ids of the homes in ``selection``, lowest first, at most ``limit`` of them."""
        frame = self.sql(
            f"SELECT {HOME_ID} FROM {self._homes_source()} "
            f"WHERE {self._home_where(selection)} ORDER BY 1"
            + ("" if limit is None else f" LIMIT {int(limit)}")
        )
        return frame[HOME_ID].astype(int).tolist()

    def diversity_curve(
        self,
        selection: HomeSelection = HomeSelection(),
        start: date | None = None,
        end: date | None = None,
        draws: int = 5,
        sampled_homes: int = 1000,
    ) -> pd.DataFrame:
        """Coincident peak per home and coincidence factor against group size (see
        :func:`vppsim.diversity.diversity_curve`).

        Size 1 is every home of the selection on its own, and the last point is the whole
        selection (both from the rollups when :meth:`fleet_summary` uses them). Between
        them, sizes 2, 5, 10, ... below ``sampled_homes`` get random groups: ``draws`` of a
        size while they add up to at most ``sampled_homes`` homes (at least one group),
        drawn among the selection's first :data:`SAMPLE_HOMES` homes from the dataset's
        seed (stream ``GROUP_SAMPLES``), so the curve is the same every time for a dataset.
        Only peaks and home ids are held in memory; the summing is done in SQL.

        Returns
        -------
        DataFrame
            ``homes`` (group size), ``peak_kw_per_home`` [kW per home],
            ``coincidence_factor`` [1] and ``groups`` (how many were averaged).
        """
        own = self._part("stats", selection, start, end).set_index(HOME_ID)["peak_kw"]
        total = len(own)
        if total == 0:
            return pd.DataFrame(
                columns=["homes", "peak_kw_per_home", "coincidence_factor", "groups"]
            )
        ids = own.index.to_numpy(dtype=np.int64)
        # Every home alone: its coincident peak is its own peak.
        own_kw = own.to_numpy()
        sizes, coincident, member_sum = [np.ones(total, np.int64)], [own_kw], [own_kw]
        picks = []
        # Groups are drawn among the sampled homes, whose parts the scan reads.
        pool = self._sampled(ids)
        sizes_drawn = [n for n in diversity_sizes(total) if 1 < n < total]
        for n in (n for n in sizes_drawn if n <= min(sampled_homes, len(pool))):
            for draw in range(max(1, min(draws, sampled_homes // n))):
                rng = stream_rng(self.seed, Stream.GROUP_SAMPLES, n, draw)
                chosen = rng.choice(pool, size=n, replace=False)
                picks.append(pd.DataFrame({"n": n, "draw": draw, HOME_ID: chosen}))
        load = self._sample_matrix() if picks else None
        if picks and load is not None and pool[-1] < len(load):
            _, span = self._hours(*self._clamp(start, end))
            peaks = [
                load[group[HOME_ID].to_numpy()][:, span].sum(axis=0, dtype=np.float64).max()
                for group in picks
            ]
            own_sums = [own.reindex(group[HOME_ID]).to_numpy(np.float64).sum() for group in picks]
            sizes.append(np.array([len(group) for group in picks]))
            coincident.append(np.array(peaks))
            member_sum.append(np.array(own_sums))
        elif picks:
            members = pd.concat(picks, ignore_index=True)
            period = self._period_where(start, end, "l." + TIMESTAMP)
            source = self._load_of(members[HOME_ID].to_numpy())
            groups = self.sql(
                f"""
                WITH summed AS (
                    SELECT m.n, m.draw, l.{TIMESTAMP}, sum(l.load_kw) AS kw
                    FROM (
                        -- Narrowing to the sampled homes first lets the scan skip the others.
                        SELECT * FROM {source} l
                        WHERE {period} AND {HOME_ID} IN (SELECT {HOME_ID} FROM members)
                    ) l JOIN members m USING ({HOME_ID})
                    GROUP BY 1, 2, 3
                )
                SELECT n, draw, max(kw) AS peak FROM summed GROUP BY n, draw ORDER BY n, draw
                """,
                tables={"members": members},
            )
            members["own"] = own.reindex(members[HOME_ID]).to_numpy(np.float64)
            groups = groups.merge(members.groupby(["n", "draw"], as_index=False)["own"].sum())
            sizes.append(groups["n"].to_numpy())
            coincident.append(groups["peak"].to_numpy())
            member_sum.append(groups["own"].to_numpy())
        if total > 1:
            # The whole selection is the fleet total the summary already holds.
            fleet = self._part("fleet", selection, start, end)
            sizes.append(np.array([total]))
            coincident.append(np.array([fleet["load_kw"].max()]))
            member_sum.append(np.array([own.sum()]))
        homes, per_home, factor, counts = diversity.diversity_curve(
            np.concatenate(sizes), np.concatenate(coincident), np.concatenate(member_sum)
        )
        return pd.DataFrame(
            {
                "homes": homes,
                "peak_kw_per_home": per_home,
                "coincidence_factor": factor,
                "groups": counts,
            }
        )

    # -- dispatch ------------------------------------------------------------------------

    def _strategy_folder(self, strategy: str) -> Path:
        self.require(DISPATCH_FOLDER)
        if strategy not in self.strategies:
            raise DatasetNotReadable(
                f"{self.root} has no dispatch of strategy {strategy!r}; it has "
                f"{', '.join(self.strategies)}"
            )
        return self.root / DISPATCH_FOLDER / strategy

    def _dispatch(self, strategy: str, name: str) -> str:
        """The SQL source of file ``name`` (a glob for the homes parts) of ``strategy``."""
        return f"read_parquet('{(self._strategy_folder(strategy) / name).as_posix()}')"

    @functools.lru_cache(maxsize=8)  # noqa: B019 - one instance per open dataset
    def dispatch_summary(self, strategy: str) -> dict[str, Any]:
        """``summary.json`` of ``strategy``: its ``strategy``, ``period``, ``homes``,
        ``settings``, the fleet's ``kpis`` and ``issues``, as ``vppsim dispatch`` wrote it."""
        path = self._strategy_folder(strategy) / SUMMARY_FILE
        try:
            summary = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise DatasetNotReadable(f"{path} is not readable: {exc}") from None
        if not isinstance(summary, dict) or not isinstance(summary.get("kpis"), dict):
            raise DatasetNotReadable(f"{path} has no kpis: not written by vppsim dispatch")
        return summary

    def dispatch_fleet(
        self,
        strategy: str,
        start: date | None = None,
        end: date | None = None,
        aggregation: str = "15min",
    ) -> pd.DataFrame:
        """The fleet's schedule under ``strategy``, averaged per bucket.

        Returns
        -------
        DataFrame
            ``timestamp`` and every column of ``fleet.parquet`` (sums over the homes: net
            ``meter_kw`` (import positive), ``charge_kw``, ``discharge_kw``, ``curtail_kw``,
            ``ev_kw``, ``ac_kw`` and the AS awards ``regup_kw`` ... ``nonspin_kw`` [kW],
            ``soc_kwh`` [kWh]; ``indoor_temp_c``, the mean over homes with AC [degC]);
            ``import_kw`` and ``export_kw``, each home's grid import and export summed over
            the homes [kW] (their difference is ``meter_kw``: exports of some homes do not
            hide the imports of others); and, with the dataset's rooftop PV, ``pv_kw`` [kW AC]
            of the dispatched homes before curtailment.
        """
        fleet = self._dispatch(strategy, FLEET_FILE)
        homes = self._dispatch(strategy, f"{HOMES_FOLDER}/*.parquet")
        summed = ("import_kw", "export_kw", "pv_kw")
        columns = [
            row[0]
            for row in self.sql(f"DESCRIBE SELECT * FROM {fleet}").itertuples(index=False)
            if row[0] != TIMESTAMP
        ]
        if set(summed) <= set(columns):
            # The dispatch summed imports, exports and PV (a run since they were added): no
            # scan of the homes' parts.
            wanted = [c for c in columns if c not in summed] + list(summed[:2])
            wanted += ["pv_kw"] if "pv" in self.datasets else []
            means = ", ".join(f"avg({c}) AS {c}" for c in wanted)
            return self.sql(
                f"SELECT {self._bucket(aggregation)} AS {TIMESTAMP}, {means} "
                f"FROM {fleet} f JOIN steps USING ({TIMESTAMP}) "
                f"WHERE {self._period_where(start, end, 'f.' + TIMESTAMP)} "
                "GROUP BY 1 ORDER BY 1"
            )
        means = [f"avg(f.{c}) AS {c}" for c in columns]
        means += ["avg(m.import_kw) AS import_kw", "avg(m.export_kw) AS export_kw"]
        pv, pv_join = "", ""
        if "pv" in self.datasets:
            pv = f""",
                pv_sum AS (
                    SELECT {TIMESTAMP}, sum(pv_kw) AS pv_kw FROM pv
                    WHERE {self._period_where(start, end)} AND {HOME_ID} IN
                        (SELECT {HOME_ID} FROM {self._dispatch(strategy, KPIS_FILE)})
                    GROUP BY 1
                )"""
            pv_join = f"LEFT JOIN pv_sum p USING ({TIMESTAMP})"
            means.append("avg(p.pv_kw) AS pv_kw")
        return self.sql(
            f"""
            WITH m AS (
                SELECT {TIMESTAMP}, sum(greatest(meter_kw, 0)) AS import_kw,
                       sum(greatest(-meter_kw, 0)) AS export_kw
                FROM {homes} WHERE {self._period_where(start, end)} GROUP BY 1
            ){pv}
            SELECT {self._bucket(aggregation)} AS {TIMESTAMP}, {", ".join(means)}
            FROM {fleet} f JOIN steps USING ({TIMESTAMP}) JOIN m USING ({TIMESTAMP}) {pv_join}
            WHERE {self._period_where(start, end, "f." + TIMESTAMP)}
            GROUP BY 1 ORDER BY 1
            """
        )

    def dispatch_homes(
        self,
        strategy: str,
        ids: list[int] | tuple[int, ...],
        start: date | None = None,
        end: date | None = None,
        aggregation: str = "15min",
    ) -> pd.DataFrame:
        """Individual homes' schedule under ``strategy``, long format: ``home_id``,
        ``timestamp``, ``meter_kw`` (import positive) [kW] and ``soc_kwh`` [kWh], bucket
        means."""
        homes = self._dispatch(strategy, f"{HOMES_FOLDER}/*.parquet")
        return self.sql(
            f"SELECT {HOME_ID}, {self._bucket(aggregation)} AS {TIMESTAMP}, "
            f"avg(meter_kw) AS meter_kw, avg(soc_kwh) AS soc_kwh "
            f"FROM {homes} h JOIN steps USING ({TIMESTAMP}) "
            f"WHERE {self._period_where(start, end, 'h.' + TIMESTAMP)} "
            f"AND {self._home_where(HomeSelection(ids=tuple(ids)))} "
            f"GROUP BY 1, 2 ORDER BY 1, 2"
        )

    def dispatch_kpis(self, strategy: str) -> pd.DataFrame:
        """``kpis.parquet`` of ``strategy``: one row per home (``home_id``, its revenues and
        costs [$], cycles, comfort [K-h], EV energy unmet [kWh] and violations), by id."""
        return self.sql(f"SELECT * FROM {self._dispatch(strategy, KPIS_FILE)} ORDER BY {HOME_ID}")

    # -- forecasts -----------------------------------------------------------------------

    def forecast_quantiles(
        self,
        variable: str,
        start: date | None = None,
        end: date | None = None,
        min_lead_h: float = 0.0,
        issued_at: pd.Timestamp | None = None,
    ) -> pd.DataFrame:
        """The quantile forecasts of ``variable`` for the intervals of the period.

        Parameters
        ----------
        min_lead_h : float
            Only forecasts issued at least this long before their interval [h] (the
            day-ahead run's leads start at 14 h, the intraday runs' end at 8 h).
        issued_at : Timestamp, optional
            Only the run issued then.

        Returns
        -------
        DataFrame
            ``issued_at``, ``timestamp`` and ``q05`` ... ``q95`` in the variable's unit, by
            issue time and interval.
        """
        self.require(FORECASTS_VIEW)
        run = (
            "TRUE"
            if issued_at is None
            else f"{ISSUED_AT} = '{pd.Timestamp(issued_at).isoformat()}'"
        )
        return self.sql(
            f"SELECT {ISSUED_AT}, {TIMESTAMP}, {', '.join(QUANTILE_COLUMNS)} "
            f"FROM {FORECASTS_VIEW} WHERE variable = ? AND {self._period_where(start, end)} "
            f"AND {TIMESTAMP} - {ISSUED_AT} >= to_microseconds(CAST(? * 3600e6 AS BIGINT)) "
            f"AND {run} ORDER BY 1, 2",
            [variable, min_lead_h],
        )

    def forecast_issues(
        self, variable: str, start: date | None, end: date | None, max_lead_h: float
    ) -> list[pd.Timestamp]:
        """The issue times, within the period, of the runs of ``variable`` whose leads are
        all below ``max_lead_h`` [h] (the intraday runs), in order."""
        self.require(FORECASTS_VIEW)
        frame = self.sql(
            f"SELECT {ISSUED_AT} FROM {FORECASTS_VIEW} WHERE variable = ? "
            f"AND {self._period_where(start, end, ISSUED_AT)} GROUP BY 1 "
            f"HAVING max({TIMESTAMP} - {ISSUED_AT}) < to_microseconds(CAST(? * 3600e6 AS BIGINT)) "
            f"ORDER BY 1",
            [variable, max_lead_h],
        )
        return list(frame[ISSUED_AT])

    def forecast_outcome(
        self, variable: str, start: date | None = None, end: date | None = None
    ) -> pd.DataFrame:
        """What ``variable`` forecasts, as it came: ``timestamp`` and ``value`` in its unit
        (per-home datasets summed over the homes: the rollups' sums when the dataset has
        them)."""
        (dataset, column), *_ = [v.outcome for v in VARIABLES if v.name == variable]
        self.require(dataset)
        rolled = {"load_kw": True, "pv_kw": self._rollup_pv}
        if EVERY_HOME in self.rolled_up and rolled.get(column, False):
            return self.sql(
                f"SELECT {TIMESTAMP}, {column} AS value FROM fleet_sums "
                f"WHERE filter = '{EVERY_HOME}' "
                f"AND {self._period_where(start, end)} ORDER BY 1"
            )
        aggregate = "sum" if default_registry().spec(dataset).per_home else "any_value"
        return self.sql(
            f"SELECT {TIMESTAMP}, {aggregate}({column}) AS value FROM {dataset} "
            f"WHERE {self._period_where(start, end)} GROUP BY 1 ORDER BY 1"
        )


def _utc_times(frame: pd.DataFrame) -> pd.DataFrame:
    """DuckDB answers in its session zone; vppsim frames carry ``datetime64[ns, UTC]``."""
    for column in frame.columns:
        if isinstance(frame[column].dtype, pd.DatetimeTZDtype):
            frame[column] = frame[column].dt.tz_convert("UTC").astype("datetime64[ns, UTC]")
    return frame


def diversity_sizes(total: int) -> list[int]:
    """Group sizes 1, 2, 5, 10, 20, 50, ... below ``total``, then ``total`` itself."""
    sizes, decade = [], 1
    while decade < total:
        sizes.extend(n for n in (decade, 2 * decade, 5 * decade) if n < total)
        decade *= 10
    return [*sizes, total] if total else []
