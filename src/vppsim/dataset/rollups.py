"""Fleet rollups computed at build time, where each chunk's load is in memory anyway.

Two small tables let the dashboard and ``vppsim info`` answer fleet questions at a million
homes without scanning billions of load rows:

* ``home_days`` (:data:`HOME_DAYS_PATH`): per home and local day of the study's time zone,
  the energy [kWh] and peak [kW] of the load (and the rooftop PV's energy [kWh]), sorted by
  home and day, in row groups of ``ROWS_PER_GROUP`` rows (:mod:`vppsim.dataset.writer`);
* ``fleet`` (:data:`FLEET_PATH`): per home filter (:data:`HOME_FILTERS`) and interval, the
  load, its AC and heating part (and the PV) summed over the filter's homes [kW] and how
  many homes that is.

Both are computed from the values as written (the Parquet parts' float32), so they give the
same figures as a scan of the parts. A chunk's sums are float64; the build adds the chunks'
in chunk order, so the bytes do not depend on the worker count or the order tasks finish in.
Everything here is pure: arrays and frames in, arrays and frames out.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from vppsim.calendar import local_calendar
from vppsim.dataset.readers import duckdb_connection
from vppsim.dataset.schemas import HOME_ID, TIMESTAMP, ColumnSpec

EVERY_HOME = "all"
"""The home filter of the whole fleet."""

HOME_FILTERS: dict[str, tuple[str, str | None]] = {
    EVERY_HOME: ("All homes", None),
    "ac": ("Homes with AC", "has_central_ac OR has_room_ac"),
    "no_ac": ("Homes without AC", "NOT (has_central_ac OR has_room_ac)"),
    "ev": ("Homes with an EV", "has_ev"),
    "no_ev": ("Homes without an EV", "NOT has_ev"),
    "inland": ("Inland homes", "climate = 'inland'"),
    "coastal": ("Coastal homes", "climate = 'coastal'"),
    "pool": ("Homes with a pool pump", "has_pool_pump"),
}
"""Home filters by attribute: key -> (label, SQL condition on the homes table; None: every
home). The one definition: the build evaluates the conditions on each chunk's homes rows
with DuckDB, the queries on the homes table."""

ROLLUP_ROLE = "rollup"
"""The manifest role of the rollup files."""
HOME_DAYS_PATH = "parquet/rollups/home_days.parquet"
FLEET_PATH = "parquet/rollups/fleet.parquet"
DAY = "day"
FILTER = "filter"

HOME_DAYS_COLUMNS = {
    c.name: c
    for c in (
        ColumnSpec(HOME_ID, "", "Home index, 0-based", dtype="int32"),
        ColumnSpec(DAY, "", "Local calendar day of the study's time zone"),
        ColumnSpec("energy_kwh", "kWh", "The home's load energy over the local day", 0),
        ColumnSpec("peak_kw", "kW", "The home's highest interval mean load of the day", 0),
        ColumnSpec("pv_kwh", "kWh", "The home's rooftop PV energy (AC) over the day", 0),
    )
}
"""The columns of ``home_days`` (``pv_kwh`` when the study has rooftop PV)."""

FLEET_COLUMNS = {
    c.name: c
    for c in (
        ColumnSpec(FILTER, "", "Home filter: a key of vppsim.dataset.rollups.HOME_FILTERS"),
        ColumnSpec(TIMESTAMP, "", "UTC interval start"),
        ColumnSpec("homes", "", "Homes the filter selects", 0, dtype="int32"),
        ColumnSpec("load_kw", "kW", "Interval mean load summed over the filter's homes", 0),
        ColumnSpec(
            "hvac_kw", "kW", "AC and heating load (part of load_kw) summed over the homes", 0
        ),
        ColumnSpec("pv_kw", "kW", "Rooftop PV output (AC) summed over the filter's homes", 0),
    )
}
"""The columns of ``fleet`` (``hvac_kw`` when the load has it, ``pv_kw`` when the study
has rooftop PV)."""


@functools.cache
def _duckdb() -> duckdb.DuckDBPyConnection:
    """This process's DuckDB database for the filters: opening one costs more than a
    chunk's query (each call takes a cursor of its own, so threads do not share one)."""
    return duckdb_connection()


def filter_masks(homes: pd.DataFrame | None, count: int) -> dict[str, np.ndarray]:
    """Which of a chunk's homes each filter of :data:`HOME_FILTERS` selects.

    Parameters
    ----------
    homes : DataFrame or None
        The chunk's rows of the homes table (``home_id`` ascending); None when the study
        has no homes table: only ``all`` is evaluated.
    count : int
        Homes in the chunk.

    Returns
    -------
    dict of str to ndarray of bool
        Filter key -> one flag per home, in the order of :data:`HOME_FILTERS`. A condition
        that is NULL for a home (a missing attribute) does not select it, as in SQL; a
        filter on a column the table lacks is left out.
    """
    masks = {key: np.ones(count, dtype=bool) for key, (_, sql) in HOME_FILTERS.items() if not sql}
    conditions = {key: sql for key, (_, sql) in HOME_FILTERS.items() if sql}
    if homes is None:
        return masks
    if len(homes) != count:
        raise ValueError(f"{len(homes)} homes rows for a chunk of {count} homes")
    with _duckdb().cursor() as con:
        con.register("homes", homes)
        for key, sql in conditions.items():
            try:
                flags = con.execute(
                    f"SELECT coalesce({sql}, false) FROM homes ORDER BY {HOME_ID}"
                ).fetchnumpy()
            except duckdb.BinderException:
                continue  # the homes table lacks the attribute
            masks[key] = next(iter(flags.values())).astype(bool)
    return {key: masks[key] for key in HOME_FILTERS if key in masks}


@dataclass(frozen=True)
class Calendar:
    """The local days of a study's grid, as the rollups need them.

    Attributes
    ----------
    days : ndarray of datetime64[D]
        The local days, in order.
    starts : ndarray of int64
        Position in the grid of each day's first interval.
    hours : float
        Interval length [h].
    """

    days: np.ndarray
    starts: np.ndarray
    hours: float

    @classmethod
    def of(cls, grid: pd.DatetimeIndex, timezone: str, interval_minutes: float) -> Calendar:
        """The calendar of the UTC interval starts ``grid`` in ``timezone``."""
        calendar = local_calendar(grid, timezone, interval_minutes)
        starts = np.flatnonzero(np.diff(calendar.day, prepend=-1))
        days = calendar.days.values.astype("datetime64[D]")
        return cls(days, starts.astype(np.int64), interval_minutes / 60)

    def energy(self, kw: np.ndarray) -> np.ndarray:
        """Energy per row and local day [kWh] of interval means ``kw`` (rows x intervals),
        summed in float64."""
        return np.add.reduceat(kw, self.starts, axis=1, dtype=np.float64) * self.hours


@dataclass(frozen=True)
class ChunkRollup:
    """One chunk's rollups: its homes' days, and its partial sums per filter.

    Attributes
    ----------
    home_days : pyarrow.Table
        The chunk's rows of ``home_days``.
    filters : tuple of str
        The filters summed, in the order of :data:`HOME_FILTERS`.
    homes : ndarray of int64
        Homes of the chunk each filter selects.
    load_kw : ndarray of float64, shape (filters, intervals)
        Their load summed per interval [kW].
    hvac_kw : ndarray of float64 or None
        The AC and heating part of it [kW]; None when the load has no ``hvac_kw``.
    pv_kw : ndarray of float64 or None
        Their PV output summed per interval [kW]; None without PV.
    """

    home_days: pa.Table
    filters: tuple[str, ...]
    homes: np.ndarray
    load_kw: np.ndarray
    hvac_kw: np.ndarray | None
    pv_kw: np.ndarray | None


def rollup_chunk(
    home_ids: np.ndarray,
    load_kw: np.ndarray,
    hvac_kw: np.ndarray | None,
    pv_kw: np.ndarray | None,
    masks: Mapping[str, np.ndarray],
    calendar: Calendar,
) -> ChunkRollup:
    """The rollups of one chunk of homes.

    Parameters
    ----------
    home_ids : ndarray of int32
        The chunk's homes, ascending.
    load_kw : ndarray, shape (homes * intervals,)
        Interval mean load [kW] as written: home by home, each over the whole grid.
    hvac_kw : ndarray or None
        Its AC and heating part [kW] in the same layout; None when the load lacks it.
    pv_kw : ndarray or None
        Rooftop PV output [kW AC] in the same layout; None without PV.
    masks : mapping of str to ndarray of bool
        The homes each filter selects (:func:`filter_masks`).
    calendar : Calendar
        The grid's local days.

    Returns
    -------
    ChunkRollup
    """
    count = len(home_ids)
    load = np.asarray(load_kw).reshape(count, -1)
    days = len(calendar.starts)
    columns = {
        HOME_ID: pa.array(np.repeat(np.asarray(home_ids, dtype=np.int32), days)),
        DAY: pa.array(np.tile(calendar.days, count), type=pa.date32()),
        "energy_kwh": pa.array(calendar.energy(load).ravel()),
        "peak_kw": pa.array(np.maximum.reduceat(load, calendar.starts, axis=1).ravel()),
    }
    pv = None if pv_kw is None else np.asarray(pv_kw).reshape(count, -1)
    if pv is not None:
        columns["pv_kwh"] = pa.array(calendar.energy(pv).ravel())
    filters = tuple(masks)

    def sums(kw: np.ndarray) -> np.ndarray:
        # Row by row along axis 0, in float64 (as DuckDB sums float32): the same additions
        # in the same order on any machine (a matrix product's order would depend on the
        # BLAS and its threads).
        return np.stack([kw[masks[key]].sum(axis=0, dtype=np.float64) for key in filters])

    return ChunkRollup(
        home_days=pa.table(columns),
        filters=filters,
        homes=np.array([masks[key].sum() for key in filters], dtype=np.int64),
        load_kw=sums(load),
        hvac_kw=None if hvac_kw is None else sums(np.asarray(hvac_kw).reshape(count, -1)),
        pv_kw=None if pv is None else sums(pv),
    )


class FleetSums:
    """The ``fleet`` table, summed chunk by chunk; chunks must come in order."""

    def __init__(self) -> None:
        self.filters: tuple[str, ...] = ()
        self.homes: np.ndarray | None = None
        self.load_kw: np.ndarray | None = None
        self.hvac_kw: np.ndarray | None = None
        self.pv_kw: np.ndarray | None = None

    def add(self, chunk: ChunkRollup) -> None:
        """Add a chunk's partial sums to those of the chunks before it."""
        if self.homes is None:
            self.filters, self.homes = chunk.filters, chunk.homes
            self.load_kw, self.hvac_kw, self.pv_kw = chunk.load_kw, chunk.hvac_kw, chunk.pv_kw
            return
        self.homes = self.homes + chunk.homes
        self.load_kw = self.load_kw + chunk.load_kw
        if self.hvac_kw is not None:
            self.hvac_kw = self.hvac_kw + chunk.hvac_kw
        if self.pv_kw is not None:
            self.pv_kw = self.pv_kw + chunk.pv_kw

    def table(self, grid: pd.DatetimeIndex) -> pa.Table | None:
        """The ``fleet`` table over ``grid``, filter by filter; None before any chunk."""
        if self.homes is None:
            return None
        n, filters = len(grid), len(self.filters)
        starts = grid.tz_convert("UTC").asi8 // 1000
        columns = {
            FILTER: pa.array(np.repeat(np.array(self.filters), n), type=pa.string()),
            TIMESTAMP: pa.array(np.tile(starts, filters)).cast(pa.timestamp("us", tz="UTC")),
            "homes": pa.array(np.repeat(self.homes, n).astype(np.int32)),
            "load_kw": pa.array(self.load_kw.ravel()),
        }
        if self.hvac_kw is not None:
            columns["hvac_kw"] = pa.array(self.hvac_kw.ravel())
        if self.pv_kw is not None:
            columns["pv_kw"] = pa.array(self.pv_kw.ravel())
        return pa.table(columns)


@dataclass(frozen=True)
class FleetFigures:
    """The whole fleet's figures, from the ``fleet`` rollup of a written dataset.

    Attributes
    ----------
    homes : int
        Homes of the fleet.
    peak_kw : float
        Highest interval of the summed load [kW].
    peak_at : pandas.Timestamp
        Its interval start (UTC).
    energy_kwh : float
        Load energy over the period [kWh].
    pv_kwh : float or None
        Rooftop PV energy (AC) over the period [kWh]; None without PV.
    """

    homes: int
    peak_kw: float
    peak_at: pd.Timestamp
    energy_kwh: float
    pv_kwh: float | None


def fleet_figures(root, interval_minutes: float) -> FleetFigures | None:
    """The figures of the whole fleet of the dataset in ``root`` (rows ``EVERY_HOME`` of
    :data:`FLEET_PATH`; a few thousand rows, whatever the fleet size); None when the
    dataset has no rollups."""
    import pyarrow.parquet as pq

    path = Path(root) / FLEET_PATH
    if not path.is_file():
        return None
    frame = pq.read_table(path, filters=[(FILTER, "==", EVERY_HOME)]).to_pandas()
    if frame.empty:
        return None
    hours = interval_minutes / 60
    peak = int(frame["load_kw"].to_numpy().argmax())
    return FleetFigures(
        homes=int(frame["homes"].iloc[0]),
        peak_kw=float(frame["load_kw"].iloc[peak]),
        peak_at=pd.Timestamp(frame[TIMESTAMP].iloc[peak]),
        energy_kwh=float(frame["load_kw"].sum() * hours),
        pv_kwh=float(frame["pv_kw"].sum() * hours) if "pv_kw" in frame else None,
    )
