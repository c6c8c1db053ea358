"""Write datasets as CSV and zstd Parquet and describe them in ``datapackage.json``.

Everything written is a pure function of the data: no wall-clock times or paths go into
the files, so the same settings and seed give byte-identical output.
"""

from __future__ import annotations

import hashlib
import json
import platform
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from vppsim.config import DATASETS, OutputFormat, Settings
from vppsim.dataset.atomic import MANIFEST
from vppsim.dataset.schemas import HOME_ID, TIMESTAMP, DatasetSpec, home_csv_name
from vppsim.dataset.sources import HomeBatch, Provenance
from vppsim.grid import format_timestamps

MANIFEST_VERSION = "1.0"
LIBRARIES = ("numpy", "pandas", "pyarrow", "pandera", "pvlib", "pydantic", "duckdb")
_CSV_OPTIONS = pacsv.WriteOptions(quoting_style="none", quoting_header="none")


def sha256_file(path: Path) -> str:
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def _arrow_type(dtype: str) -> pa.DataType:
    return pa.from_numpy_dtype(np.dtype(dtype))


def arrow_table(spec: DatasetSpec, frame: pd.DataFrame) -> pa.Table:
    """Convert a contract frame to Arrow with explicit types and units as field metadata."""
    by_name = {column.name: column for column in spec.columns}
    fields, arrays = [], []
    for name in spec.output_columns(frame):
        values = frame[name]
        if name == TIMESTAMP:
            kind, meta = pa.timestamp("us", tz="UTC"), {"description": "UTC interval start"}
        elif name == HOME_ID:
            kind, meta = pa.int32(), {"description": "Home index, 0-based"}
        else:
            column = by_name[name]
            kind = _arrow_type(column.dtype)
            meta = {"unit": column.unit, "description": column.description}
        fields.append(pa.field(name, kind, nullable=False, metadata=meta))
        arrays.append(pa.Array.from_pandas(values).cast(kind))
    return pa.Table.from_arrays(arrays, schema=pa.schema(fields))


def _csv_table(table: pa.Table, timestamps: pa.Array) -> pa.Table:
    """``table`` with its timestamps as ISO 8601 text, as the CSVs hold them."""
    return table.set_column(table.schema.get_field_index(TIMESTAMP), TIMESTAMP, timestamps)


def _frictionless_schema(spec: DatasetSpec, columns: list[str]) -> dict[str, Any]:
    by_name = {column.name: column for column in spec.columns}
    fields = []
    for name in columns:
        if name == TIMESTAMP:
            fields.append(
                {
                    "name": name,
                    "type": "datetime",
                    "format": "%Y-%m-%dT%H:%M:%SZ",
                    "description": "UTC interval start",
                }
            )
        elif name == HOME_ID:
            fields.append({"name": name, "type": "integer", "constraints": {"minimum": 0}})
        else:
            column = by_name[name]
            fields.append(
                {
                    "name": name,
                    "type": "number",
                    "unit": column.unit,
                    "description": column.description,
                    "constraints": {
                        "required": True,
                        "minimum": column.minimum,
                        "maximum": column.maximum,
                    },
                }
            )
    keys = [HOME_ID, TIMESTAMP] if spec.per_home else [TIMESTAMP]
    return {"fields": fields, "primaryKey": keys}


HOMES_PARQUET = "parquet/homes.parquet"
HOMES_CSV = "homes.csv"


@dataclass
class _Resource:
    name: str
    dataset: str
    format: str
    schema: dict[str, Any]
    files: list[dict[str, Any]] = field(default_factory=list)
    role: str | None = None

    def to_json(self) -> dict[str, Any]:
        media = {"csv": "text/csv", "parquet": "application/vnd.apache.parquet"}[self.format]
        entry: dict[str, Any] = {"name": self.name, "dataset": self.dataset}
        if len(self.files) == 1:
            only = self.files[0]
            entry.update(path=only["path"], hash=only["hash"], bytes=only["bytes"])
        else:
            entry["path"] = [f["path"] for f in self.files]
            entry["bytes"] = sum(f["bytes"] for f in self.files)
        entry.update(format=self.format, mediatype=media, rows=sum(f["rows"] for f in self.files))
        if self.format == "csv":
            entry["encoding"] = "utf-8"
        if self.role:
            entry["role"] = self.role
        if len(self.files) > 1:
            entry["files"] = self.files
        entry["schema"] = self.schema
        return entry


class DatasetWriter:
    """Writes a study's datasets under ``root`` and keeps track of every file."""

    def __init__(self, root: Path, settings: Settings, grid: pd.DatetimeIndex):
        self.root = Path(root)
        self.settings = settings
        self.grid = grid
        self._timestamps = pa.array(format_timestamps(grid), type=pa.string())
        self._resources: list[_Resource] = []
        self._provenance: dict[str, Provenance] = {}

    def _record(self, resource: _Resource, relative: str, rows: int) -> None:
        path = self.root / relative
        resource.files.append(
            {
                "path": relative,
                "rows": rows,
                "bytes": path.stat().st_size,
                "hash": f"sha256:{sha256_file(path)}",
            }
        )

    def _target(self, relative: str) -> Path:
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        return path

    def _wants(self, output: OutputFormat) -> bool:
        return output in self.settings.formats

    def write_table(self, spec: DatasetSpec, frame: pd.DataFrame, provenance: Provenance) -> None:
        """Write one table dataset (one row per interval) in every requested format."""
        table = arrow_table(spec, frame)
        self._provenance[spec.name] = provenance
        schema = _frictionless_schema(spec, table.column_names)
        if self._wants(OutputFormat.CSV):
            resource = _Resource(spec.name, spec.name, "csv", schema)
            pacsv.write_csv(
                _csv_table(table, self._timestamps), self._target(spec.csv_path), _CSV_OPTIONS
            )
            self._record(resource, spec.csv_path, table.num_rows)
            self._resources.append(resource)
        if self._wants(OutputFormat.PARQUET):
            resource = _Resource(f"{spec.name}_parquet", spec.name, "parquet", schema)
            pq.write_table(table, self._target(spec.parquet_path), compression="zstd")
            self._record(resource, spec.parquet_path, table.num_rows)
            self._resources.append(resource)

    def write_homes(
        self,
        spec: DatasetSpec,
        batch: HomeBatch,
        provenance: Provenance,
        on_chunk: Callable[[int], None] | None = None,
        home_table: Callable[[np.ndarray], pd.DataFrame] | None = None,
    ) -> None:
        """Generate and write a per-home dataset chunk by chunk.

        Each chunk of ``settings.chunk_homes`` homes becomes one Parquet part, and, when
        the fleet is within ``csv_homes_limit``, one CSV per home. ``home_table`` (the homes'
        attributes) is streamed into ``HOMES_PARQUET`` (or ``HOMES_CSV`` without Parquet),
        one row group per chunk. Memory is bounded by the chunk, not the fleet.
        """
        attributes = _AttributeWriter(self, spec.name) if home_table is not None else None
        self._provenance[spec.name] = provenance
        columns = spec.output_columns(pd.DataFrame(columns=[c.name for c in spec.columns]))
        schema = _frictionless_schema(spec, columns)
        csv_columns = [name for name in columns if name != HOME_ID]
        csvs = _Resource(
            f"{spec.name}_profiles", spec.name, "csv", _frictionless_schema(spec, csv_columns)
        )
        parts = _Resource(f"{spec.name}_parquet", spec.name, "parquet", schema)
        n = len(self.grid)
        for part, home_ids in enumerate(self._chunks()):
            table = arrow_table(spec, batch(home_ids))
            if self._wants(OutputFormat.PARQUET):
                relative = spec.parquet_path.format(part=part)
                pq.write_table(table, self._target(relative), compression="zstd")
                self._record(parts, relative, table.num_rows)
            if self.settings.writes_home_csvs:
                values = table.drop_columns([HOME_ID, TIMESTAMP])
                for offset, home_id in enumerate(home_ids):
                    relative = str(
                        Path(spec.csv_path).parent / home_csv_name(home_id, self.settings.homes)
                    )
                    home = values.slice(offset * n, n).add_column(0, TIMESTAMP, self._timestamps)
                    pacsv.write_csv(home, self._target(relative), _CSV_OPTIONS)
                    self._record(csvs, relative, n)
            if attributes is not None:
                attributes.write(home_table(home_ids))
            if on_chunk is not None:
                on_chunk(len(home_ids))
        for resource in (csvs, parts):
            if resource.files:
                self._resources.append(resource)
        if attributes is not None:
            self._resources.append(attributes.close())

    def _chunks(self) -> Iterator[np.ndarray]:
        homes, size = self.settings.homes, self.settings.chunk_homes
        for first in range(0, homes, size):
            yield np.arange(first, min(first + size, homes), dtype=np.int32)

    def write_manifest(self) -> dict[str, Any]:
        """Write ``datapackage.json`` describing every file written, and return it."""
        from vppsim import __version__

        settings = self.settings
        manifest = {
            "profile": "data-package",
            "name": f"vppsim-{settings.start.isoformat()}-{settings.end.isoformat()}",
            "title": f"vppsim study {settings.start} to {settings.end}, {settings.homes} homes",
            "version": MANIFEST_VERSION,
            "vppsim": {
                "version": __version__,
                "seed": settings.seed,
                "datasets": [name for name in DATASETS if name in self._provenance],
                "config": settings.redacted(),
                "grid": {
                    "first_interval_start": self._timestamps[0].as_py(),
                    "last_interval_start": self._timestamps[-1].as_py(),
                    "intervals": len(self.grid),
                    "interval_minutes": settings.interval_minutes,
                    "timezone": settings.timezone,
                    "timestamps": "UTC interval start, ISO 8601 with Z",
                },
                "python": platform.python_version(),
                "libraries": {name: metadata.version(name) for name in LIBRARIES},
            },
            "provenance": {
                name: self._provenance[name].to_json()
                for name in DATASETS
                if name in self._provenance
            },
            "resources": [resource.to_json() for resource in self._resources],
        }
        text = json.dumps(manifest, indent=2, ensure_ascii=False) + "\n"
        (self.root / MANIFEST).write_text(text, encoding="utf-8")
        return manifest


class _AttributeWriter:
    """Streams the per-home attribute table, chunk by chunk, into one file."""

    def __init__(self, writer: DatasetWriter, dataset: str):
        self._writer = writer
        self._parquet = OutputFormat.PARQUET in writer.settings.formats
        self._relative = HOMES_PARQUET if self._parquet else HOMES_CSV
        self._dataset = dataset
        self._sink: pq.ParquetWriter | pacsv.CSVWriter | None = None
        self._schema: pa.Schema | None = None
        self._rows = 0

    def write(self, frame: pd.DataFrame) -> None:
        table = pa.Table.from_pandas(frame, preserve_index=False)
        table = table.replace_schema_metadata(None)
        if self._sink is None:
            self._schema = table.schema
            path = self._writer._target(self._relative)
            self._sink = (
                pq.ParquetWriter(path, self._schema, compression="zstd")
                if self._parquet
                else pacsv.CSVWriter(path, self._schema, write_options=_CSV_OPTIONS)
            )
        self._sink.write_table(table.cast(self._schema))
        self._rows += table.num_rows

    def close(self) -> _Resource:
        self._sink.close()
        fields = [{"name": f.name, "type": _frictionless_type(f.type)} for f in self._schema]
        resource = _Resource(
            "homes",
            self._dataset,
            "parquet" if self._parquet else "csv",
            {"fields": fields, "primaryKey": [HOME_ID]},
            role="attributes",
        )
        self._writer._record(resource, self._relative, self._rows)
        return resource


def _frictionless_type(arrow_type: pa.DataType) -> str:
    """The Frictionless field type of an Arrow type; categories and text are strings."""
    if pa.types.is_integer(arrow_type):
        return "integer"
    if pa.types.is_floating(arrow_type):
        return "number"
    if pa.types.is_boolean(arrow_type):
        return "boolean"
    return "string"
