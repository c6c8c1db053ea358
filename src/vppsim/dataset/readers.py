"""Read written datasets back into contract frames (UTC ``timestamp`` column)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from vppsim.dataset.schemas import HOME_ID, TIMESTAMP, DatasetSpec
from vppsim.grid import parse_timestamps


def _column_types(spec: DatasetSpec) -> dict[str, pa.DataType]:
    types = {TIMESTAMP: pa.string(), HOME_ID: pa.int32()}
    types.update(
        {c.name: pa.from_numpy_dtype(pd.api.types.pandas_dtype(c.dtype)) for c in spec.columns}
    )
    return types


def read_csv(path: Path, spec: DatasetSpec) -> pd.DataFrame:
    """Read one CSV of ``spec`` (a table, or one home's profile), timestamps parsed strictly."""
    table = pacsv.read_csv(
        path, convert_options=pacsv.ConvertOptions(column_types=_column_types(spec))
    )
    frame = table.to_pandas()
    frame[TIMESTAMP] = parse_timestamps(frame[TIMESTAMP]).astype("datetime64[ns, UTC]")
    return frame


def read_parquet(path: Path) -> pd.DataFrame:
    """Read one Parquet file of the dataset (a table or a part of per-home data)."""
    frame = pq.read_table(path).to_pandas(coerce_temporal_nanoseconds=True)
    frame[TIMESTAMP] = frame[TIMESTAMP].astype("datetime64[ns, UTC]")
    return frame
