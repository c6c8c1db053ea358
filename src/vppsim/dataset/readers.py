"""Read written datasets back into contract frames (UTC ``timestamp`` column)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from vppsim.dataset.schemas import HOME_ID, TIMESTAMP, UTC_DATETIME, DatasetSpec, arrow_type
from vppsim.grid import parse_timestamps


def duckdb_connection() -> duckdb.DuckDBPyConnection:
    """A DuckDB connection as vppsim reads datasets with it: timestamps in UTC, and no
    progress bar (DuckDB prints one on a long query, which would land in a CLI's table or a
    server's log)."""
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute("SET enable_progress_bar = false")
    return con


def _column_types(spec: DatasetSpec) -> dict[str, pa.DataType]:
    types = {TIMESTAMP: pa.string(), HOME_ID: pa.int32()}
    for column in spec.columns:
        types[column.name] = pa.string() if column.is_datetime else arrow_type(column.dtype)
    return types


def read_csv(path: Path, spec: DatasetSpec) -> pd.DataFrame:
    """Read one CSV of ``spec`` (a table, or one home's profile), timestamps parsed strictly."""
    table = pacsv.read_csv(
        path, convert_options=pacsv.ConvertOptions(column_types=_column_types(spec))
    )
    frame = table.to_pandas()
    stamps = [TIMESTAMP] + [c.name for c in spec.columns if c.is_datetime and c.name in frame]
    for name in stamps:
        frame[name] = parse_timestamps(frame[name]).astype(UTC_DATETIME)
    return frame


def contract_frame(table: pa.Table) -> pd.DataFrame:
    """The contract frame of an Arrow table of the dataset, as written or read back.

    Its columns share the table's memory (read-only): times are made nanoseconds in Arrow
    first, so pandas copies no column: converting a part's table with copies took nearly
    as long as checking it.
    """
    for index, field in enumerate(table.schema):
        if pa.types.is_timestamp(field.type):
            nanoseconds = table.column(index).cast(pa.timestamp("ns", tz=field.type.tz))
            table = table.set_column(index, field.name, nanoseconds)
    frame = table.to_pandas(split_blocks=True)
    for name in frame.columns[frame.dtypes.map(lambda d: isinstance(d, pd.DatetimeTZDtype))]:
        frame[name] = frame[name].astype(UTC_DATETIME, copy=False)
    return frame


def read_parquet(path: Path, filters: list[tuple] | None = None) -> pd.DataFrame:
    """Read one Parquet file of the dataset (a table or a part of per-home data), or its
    rows that pass ``filters`` (see :func:`pyarrow.parquet.read_table`)."""
    return contract_frame(pq.read_table(path, filters=filters))
