"""Key statistics of a dataset: the figures a scenario moves, one row each.

Computed in DuckDB over the files the manifest lists (the Parquet files, or the CSVs of a
CSV-only build), so a fleet of any size is aggregated without being loaded. The fleet's
load and PV figures come from the build's ``fleet`` rollup where the dataset has one
(:mod:`vppsim.dataset.rollups`: a row per interval, whatever the fleet size) instead of a
scan of every home's rows. Days are local calendar days of the study's time zone; energies
integrate the interval means over the interval length.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from vppsim.dataset.manifest import Manifest, read_manifest
from vppsim.dataset.readers import duckdb_connection
from vppsim.dataset.rollups import EVERY_HOME, FILTER, FLEET_PATH, ROLLUP_ROLE
from vppsim.dataset.validate import study_of_manifest
from vppsim.errors import VppsimError
from vppsim.grid import TIMESTAMP_FORMAT
from vppsim.market.evaluation import SPIKE_PRICE

COLUMNS = ["dataset", "statistic", "unit", "value"]


@dataclass(frozen=True)
class Statistic:
    """One key statistic: a SQL query over the view ``t`` of a dataset.

    The view holds the dataset's columns and ``day``, the local calendar day of each row;
    ``{hours}`` in ``sql`` is the interval length [h]. The statistic is left out when the
    dataset lacks a column of ``needs``.

    ``rollup``, when given, is the same figure as a query over the view ``fleet``: the rows
    of the whole fleet (filter ``all``) of the build's ``fleet`` rollup in the chosen days,
    with its columns (``timestamp``, ``homes``, ``load_kw``, ``hvac_kw``, ``pv_kw``: the
    homes' values summed per interval) and ``day``. It is used when the rollup has the columns of
    ``needs``.
    """

    dataset: str
    name: str
    unit: str
    sql: str
    needs: tuple[str, ...]
    rollup: str | None = None


def _mean(dataset: str, name: str, unit: str, column: str) -> Statistic:
    return Statistic(dataset, name, unit, f"SELECT avg({column}) FROM t", (column,))


def _share(name: str, condition: str) -> Statistic:
    sql = f"SELECT 100 * avg(CASE WHEN {condition} THEN 1.0 ELSE 0.0 END) FROM t"
    return Statistic("market", name, "%", sql, ("lmp",))


STATISTICS = (
    Statistic(
        "weather",
        "mean daily max temperature",
        "degC",
        "SELECT avg(m) FROM (SELECT max(temp_air_c) AS m FROM t GROUP BY day)",
        ("temp_air_c",),
    ),
    Statistic(
        "weather", "hottest interval", "degC", "SELECT max(temp_air_c) FROM t", ("temp_air_c",)
    ),
    _mean("weather", "mean GHI", "W/m2", "ghi_w_m2"),
    Statistic(
        "weather",
        "mean daily clear-sky index of daylight",
        "1",
        "SELECT avg(m) FROM (SELECT avg(clearsky_index) AS m FROM t WHERE ghi_w_m2 > 0 "
        "GROUP BY day)",
        ("clearsky_index", "ghi_w_m2"),
    ),
    _mean("system", "mean demand", "MW", "demand_mw"),
    Statistic("system", "peak demand", "MW", "SELECT max(demand_mw) FROM t", ("demand_mw",)),
    Statistic("system", "peak net load", "MW", "SELECT max(net_load_mw) FROM t", ("net_load_mw",)),
    _mean("system", "mean gas price", "$/MMBtu", "gas_price_usd_per_mmbtu"),
    Statistic(
        "system",
        "solar energy",
        "GWh",
        "SELECT sum(solar_mw) * {hours} / 1e3 FROM t",
        ("solar_mw",),
    ),
    _mean("market", "mean real-time LMP", "$/MWh", "lmp"),
    _mean("market", "mean day-ahead LMP", "$/MWh", "da_lmp"),
    _share(f"real-time LMP above ${SPIKE_PRICE:.0f}/MWh", f"lmp > {SPIKE_PRICE}"),
    _share("real-time LMP below $0/MWh", "lmp < 0"),
    Statistic(
        "market", "p99 real-time LMP", "$/MWh", "SELECT quantile_cont(lmp, 0.99) FROM t", ("lmp",)
    ),
    _mean("market", "mean spinning reserve price", "$/MW-h", "spin_price"),
    _mean("market", "mean non-spinning reserve price", "$/MW-h", "nonspin_price"),
    _mean("market", "mean regulation up price", "$/MW-h", "regup_price"),
    _mean("market", "mean regulation down price", "$/MW-h", "regdown_price"),
    Statistic(
        "load",
        "fleet peak",
        "kW",
        "SELECT max(s) FROM (SELECT sum(load_kw) AS s FROM t GROUP BY timestamp)",
        ("load_kw",),
        "SELECT max(load_kw) FROM fleet",
    ),
    Statistic(
        "load",
        "mean load per home",
        "kW",
        "SELECT avg(load_kw) FROM t",
        ("load_kw",),
        # Every home has a row in every interval: the rows averaged are homes x intervals.
        "SELECT sum(load_kw) / sum(homes) FROM fleet",
    ),
    Statistic(
        "load",
        "HVAC energy share",
        "%",
        "SELECT 100 * sum(hvac_kw) / sum(load_kw) FROM t",
        ("hvac_kw", "load_kw"),
        "SELECT 100 * sum(hvac_kw) / sum(load_kw) FROM fleet",
    ),
    Statistic(
        "pv",
        "fleet energy",
        "MWh",
        "SELECT sum(pv_kw) * {hours} / 1e3 FROM t",
        ("pv_kw",),
        "SELECT sum(pv_kw) * {hours} / 1e3 FROM fleet",
    ),
)
"""The key statistics, in the order they are listed."""

_SQL_TYPES = {
    "datetime": "TIMESTAMPTZ",
    "integer": "BIGINT",
    "number": "DOUBLE",
    "boolean": "BOOLEAN",
    "string": "VARCHAR",
}


def _source(root: Path, manifest: Manifest, dataset: str) -> tuple[str, list[str]] | None:
    """The DuckDB table function reading ``dataset``'s data files, and its columns; None
    when the folder holds no data file of it."""
    data = [r for r in manifest.resources_of(dataset) if r.role == "data"]
    for output in ("parquet", "csv"):
        files = [r for r in data if r.format == output]
        if files:
            break
    else:
        return None
    # Quotes in a folder's name are doubled, as SQL strings want.
    paths = ", ".join("'" + (root / r.path).as_posix().replace("'", "''") + "'" for r in files)
    fields = files[0].table_schema.fields
    if output == "parquet":
        return f"read_parquet([{paths}])", [f.name for f in fields]
    # Per-home CSVs are read with the types of the manifest, not sniffed file by file (a
    # home with no EV has a column of zeros that would read as integers).
    types = ", ".join(f"'{f.name}': '{_SQL_TYPES[f.type]}'" for f in fields)
    return (
        f"read_csv([{paths}], header = true, timestampformat = '{TIMESTAMP_FORMAT}', "
        f"types = {{{types}}})",
        [f.name for f in fields],
    )


def _fleet_rollup(root: Path, manifest: Manifest) -> tuple[str, list[str]] | None:
    """The DuckDB table function reading the build's ``fleet`` rollup, and its columns;
    None when the manifest lists none (a build without Parquet, or older than rollups)."""
    for resource in manifest.resources:
        if resource.role == ROLLUP_ROLE and resource.path == FLEET_PATH:
            path = (root / resource.path).as_posix().replace("'", "''")
            return f"read_parquet('{path}')", [f.name for f in resource.table_schema.fields]
    return None


def key_statistics(root: Path | str, days: Sequence[dt.date] | None = None) -> pd.DataFrame:
    """The key statistics of the datasets the folder ``root`` holds.

    Parameters
    ----------
    root : path
        A dataset folder.
    days : sequence of datetime.date, optional
        Only these local days (a scenario's event, or the days outside it); default all.

    Returns
    -------
    DataFrame
        ``dataset``, ``statistic``, ``unit``, ``value`` (float; NaN where there is nothing
        to average, e.g. no daylight), in the order of :data:`STATISTICS`. The figures a
        statistic's ``rollup`` answers come from the build's ``fleet`` rollup when the
        dataset has one: the same values as the scan, to the order of the float64 sums.

    Raises
    ------
    ManifestError
        ``root`` is not a vppsim dataset.
    VppsimError
        A file the manifest lists is missing or unreadable.
    """
    root = Path(root)
    manifest = read_manifest(root)
    grid = manifest.vppsim.grid
    hours = grid.interval_minutes / 60
    rows = []
    # Each interval's local day, from the grid, joined on the timestamp: cheaper than
    # converting every row of every home to local time, and it keeps only ``days``.
    grid_times = study_of_manifest(manifest).grid
    steps = pd.DataFrame(
        {"timestamp": grid_times, "day": grid_times.tz_convert(grid.timezone).date}
    )
    if days is not None:
        steps = steps[steps["day"].isin(set(days))]
    fleet = _fleet_rollup(root, manifest)
    rolled_up = set() if fleet is None else set(fleet[1])
    with duckdb_connection() as con:
        con.register("steps", steps)
        if fleet is not None:
            con.execute(
                f"CREATE VIEW fleet AS SELECT * FROM {fleet[0]} JOIN steps USING (timestamp) "
                f"WHERE {FILTER} = '{EVERY_HOME}'"
            )
        for dataset in dict.fromkeys(statistic.dataset for statistic in STATISTICS):
            found = _source(root, manifest, dataset)
            if found is None:
                continue
            source, columns = found
            scanned = False
            try:
                for statistic in STATISTICS:
                    if statistic.dataset != dataset or not set(statistic.needs) <= set(columns):
                        continue
                    if statistic.rollup is not None and set(statistic.needs) <= rolled_up:
                        sql = statistic.rollup
                    else:
                        sql = statistic.sql
                        if not scanned:  # the view over the files, once a figure needs it
                            con.execute(
                                f"CREATE OR REPLACE VIEW t AS SELECT * FROM {source} "
                                "JOIN steps USING (timestamp)"
                            )
                            scanned = True
                    (value,) = con.execute(sql.format(hours=hours)).fetchone()
                    value = np.nan if value is None else float(value)
                    rows.append((dataset, statistic.name, statistic.unit, value))
            except duckdb.Error as exc:
                first = str(exc).splitlines()[0]
                raise VppsimError(f"cannot read the {dataset} files of {root}: {first}") from None
    return pd.DataFrame(rows, columns=COLUMNS)


def compare_statistics(a: pd.DataFrame, b: pd.DataFrame) -> pd.DataFrame:
    """Two datasets' key statistics side by side.

    Returns
    -------
    DataFrame
        ``dataset``, ``statistic``, ``unit``, ``a``, ``b``, ``difference`` (b - a) and
        ``change_pct`` ((b - a) / |a| [%]; NaN where a is 0 or a statistic is on one side
        only), in the order of ``a`` then the rows only ``b`` has.
    """
    keys = ["dataset", "statistic", "unit"]
    order = pd.concat([a[keys], b[keys]]).drop_duplicates(ignore_index=True)
    both = order.merge(a.rename(columns={"value": "a"}), on=keys, how="left").merge(
        b.rename(columns={"value": "b"}), on=keys, how="left"
    )
    both["difference"] = both["b"] - both["a"]
    base = both["a"].abs().where(both["a"] != 0)
    both["change_pct"] = 100 * both["difference"] / base
    return both
