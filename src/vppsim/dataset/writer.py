"""Write datasets as CSV and zstd Parquet and describe them in ``datapackage.json``.

Everything written is a pure function of the data: no wall-clock times or paths go into
the files, so the same settings and seed give byte-identical output.
"""

from __future__ import annotations

import hashlib
import json
import platform
from collections.abc import Iterable, Mapping
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from vppsim.calibration_file import calibration_digests
from vppsim.config import OutputFormat, Settings
from vppsim.dataset.manifest import (
    MANIFEST,
    FieldSchema,
    GridInfo,
    Manifest,
    ProvenanceEntry,
    Resource,
    TableSchema,
    VppsimSection,
)
from vppsim.dataset.rollups import (
    DAY,
    FILTER,
    FLEET_COLUMNS,
    FLEET_PATH,
    HOME_DAYS_COLUMNS,
    HOME_DAYS_PATH,
    ROLLUP_ROLE,
    ChunkRollup,
    FleetSums,
)
from vppsim.dataset.schemas import (
    HOME_ID,
    TIMESTAMP,
    ColumnSpec,
    DatasetSpec,
    arrow_type,
    home_csv_name,
)
from vppsim.dataset.sources import Provenance
from vppsim.grid import TIMESTAMP_FORMAT, format_timestamps
from vppsim.versioning import dataset_version_ids, study_version_id

LIBRARIES = ("numpy", "pandas", "pyarrow", "pandera", "pvlib", "pydantic", "duckdb")
HOMES_PARQUET = "parquet/homes.parquet"
HOMES_CSV = "homes.csv"
RAW = "raw"
"""Where live sources cache their raw answers inside a dataset."""
_CSV_OPTIONS = pacsv.WriteOptions(quoting_style="none", quoting_header="none")
ROWS_PER_GROUP = 65_536
"""Rows of a per-home table (homes, assets, home days) written at once, one Parquet row
group: a chunk of homes at a time made a million-home build's client write 2,000 row groups
of 55 columns (~0.1 s each, the client's largest cost); memory stays bounded by a group."""
_MEDIA = {"csv": "text/csv", "parquet": "application/vnd.apache.parquet"}


def sha256_file(path: Path) -> str:
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def arrow_table(spec: DatasetSpec, frame: pd.DataFrame) -> pa.Table:
    """Convert a contract frame to Arrow with explicit types and units as field metadata."""
    fields, arrays = [], []
    for name in spec.output_columns(frame.columns):
        if name == TIMESTAMP:
            kind, meta = pa.timestamp("us", tz="UTC"), {"description": "UTC interval start"}
        elif name == HOME_ID:
            kind, meta = pa.int32(), {"description": "Home index, 0-based"}
        else:
            column = spec.column(name)
            kind = arrow_type(column.dtype)
            meta = {"unit": column.unit, "description": column.description}
        values = frame[name]
        if name not in (TIMESTAMP, HOME_ID) and spec.column(name).decimals is not None:
            # Means of coarser intervals would otherwise bring back 17-digit prices.
            values = values.round(spec.column(name).decimals)
        fields.append(pa.field(name, kind, nullable=False, metadata=meta))
        # Floats as numpy's: a NaN stays a value the checks name (pandas' conversion makes it
        # a null, which a non-nullable column refuses before any check runs), and a column
        # is taken as it is instead of scanned for NaN (most of converting a load part).
        floats = isinstance(values.dtype, np.dtype) and values.dtype.kind == "f"
        array = pa.array(values.to_numpy()) if floats else pa.Array.from_pandas(values)
        arrays.append(array.cast(kind))
    return pa.Table.from_arrays(arrays, schema=pa.schema(fields))


def _csv_table(table: pa.Table) -> pa.Table:
    """``table`` with every timestamp column as ISO 8601 text, as the CSVs hold them."""
    for index, field in enumerate(table.schema):
        if pa.types.is_timestamp(field.type):
            text = pa.array(format_timestamps(pd.DatetimeIndex(table.column(index).to_pandas())))
            table = table.set_column(index, field.name, text)
    return table


def _field(spec: DatasetSpec, name: str) -> FieldSchema:
    if name == TIMESTAMP:
        return FieldSchema(
            name=name, type="datetime", format=TIMESTAMP_FORMAT, description="UTC interval start"
        )
    if name == HOME_ID:
        return FieldSchema(
            name=name,
            type="integer",
            description="Home index, 0-based",
            constraints={"required": True, "minimum": 0},
        )
    column = spec.column(name)
    if column.is_datetime:
        return FieldSchema(
            name=name, type="datetime", format=TIMESTAMP_FORMAT, description=column.description
        )
    if column.dtype == "category":
        return FieldSchema(
            name=name,
            type="string",
            description=column.description,
            constraints={"required": True},
        )
    constraints = {"required": True}
    if column.minimum is not None:
        constraints["minimum"] = column.minimum
    if column.maximum is not None:
        constraints["maximum"] = column.maximum
    return FieldSchema(
        name=name,
        type="integer" if np.dtype(column.dtype).kind in "iu" else "number",
        unit=column.unit,
        description=column.description,
        constraints=constraints,
    )


def table_schema(spec: DatasetSpec, columns: list[str]) -> TableSchema:
    """The Table Schema of a file holding ``columns``; its key is the spec's key columns the
    file holds (a home's CSV holds no ``home_id``: its key is ``timestamp``)."""
    return TableSchema(
        fields=[_field(spec, name) for name in columns],
        primaryKey=[key for key in spec.keys if key in columns],
    )


def _frictionless_type(arrow_type: pa.DataType) -> str:
    """The Frictionless field type of an Arrow type; categories and text are strings."""
    if pa.types.is_integer(arrow_type):
        return "integer"
    if pa.types.is_floating(arrow_type):
        return "number"
    if pa.types.is_boolean(arrow_type):
        return "boolean"
    if pa.types.is_date(arrow_type):
        return "date"
    if pa.types.is_timestamp(arrow_type):
        return "datetime"
    return "string"


def resource_of(
    root: Path,
    name: str,
    dataset: str,
    relative: str,
    rows: int,
    schema: TableSchema,
    role: str = "data",
) -> Resource:
    """The manifest's entry for the file ``relative`` (under ``root``) of ``dataset``."""
    path = root / relative
    output = "parquet" if relative.endswith(".parquet") else "csv"
    return Resource(
        name=name,
        path=relative,
        format=output,
        mediatype=_MEDIA[output],
        encoding="utf-8" if output == "csv" else None,
        size=path.stat().st_size,
        sha256=sha256_file(path),
        rows=rows,
        dataset=dataset,
        role=role,
        schema=schema,
    )


def _target(root: Path, relative: str) -> Path:
    """``root / relative``, its folders made below ``root`` but never ``root`` itself: a
    task still running on a remote cluster after its build stopped and removed the staging
    folder fails (FileNotFoundError) instead of making that folder again."""
    path = root / relative
    for folder in reversed(Path(relative).parents[:-1]):
        (root / folder).mkdir(exist_ok=True)
    return path


def _wants_parquet(settings: Settings, spec: DatasetSpec) -> bool:
    return spec.csv_path is None or OutputFormat.PARQUET in settings.formats


def write_home_part(
    root: Path,
    settings: Settings,
    grid: pd.DatetimeIndex,
    spec: DatasetSpec,
    table: pa.Table,
    part: int,
) -> list[Resource]:
    """Write chunk ``part`` of the per-home dataset ``spec`` (the long rows ``table`` of its
    homes, from :func:`arrow_table`) under ``root`` and return the files' manifest entries,
    in order.

    The chunk becomes one Parquet part and, when the fleet is within ``csv_homes_limit``,
    one CSV per home. A pure function of its arguments: any process may write any part.
    """
    n = len(grid)
    resources = []
    # The columns the source wrote (optional ones may be absent).
    if _wants_parquet(settings, spec):
        relative = spec.parquet_path.format(part=part)
        pq.write_table(table, _target(root, relative), compression="zstd")
        name = f"{spec.name}_part_{part:05d}"
        part_schema = table_schema(spec, table.column_names)
        resources.append(resource_of(root, name, spec.name, relative, table.num_rows, part_schema))
    if settings.writes_home_csvs and spec.csv_path is not None:
        home_ids = table.column(HOME_ID).to_numpy()[::n]
        timestamps = pa.array(format_timestamps(grid), type=pa.string())
        csv_schema = table_schema(spec, [c for c in table.column_names if c != HOME_ID])
        # Timestamps as text once per chunk, not once per home.
        values = _csv_table(table.drop_columns([HOME_ID, TIMESTAMP]))
        for offset, home_id in enumerate(home_ids):
            file_name = home_csv_name(home_id, settings.homes)
            relative = str(Path(spec.csv_path).parent / file_name)
            home = values.slice(offset * n, n).add_column(0, TIMESTAMP, timestamps)
            pacsv.write_csv(home, _target(root, relative), _CSV_OPTIONS)
            name = f"{spec.name}_{Path(file_name).stem}"
            resources.append(resource_of(root, name, spec.name, relative, n, csv_schema))
    return resources


class DatasetWriter:
    """Writes a study's datasets under ``root`` and keeps track of every file."""

    def __init__(self, root: Path, settings: Settings, grid: pd.DatetimeIndex) -> None:
        self.root = Path(root)
        self.settings = settings
        self.grid = grid
        self._timestamps = pa.array(format_timestamps(grid), type=pa.string())
        # Each dataset's files in the order written; the manifest lists the datasets in
        # build order, however the parts of per-home datasets arrived.
        self._resources: dict[str, list[Resource]] = {}
        self._provenance: dict[str, Provenance] = {}
        self._sinks: dict[str, _AttributeWriter] = {}
        self._home_days: _AttributeWriter | None = None
        self._fleet = FleetSums()

    def _resource(self, name, spec, relative, table, schema) -> Resource:
        return resource_of(self.root, name, spec.name, relative, table.num_rows, schema)

    def _add(self, dataset: str, resource: Resource) -> None:
        self._resources.setdefault(dataset, []).append(resource)

    def _target(self, relative: str) -> Path:
        return _target(self.root, relative)

    def _wants(self, output: OutputFormat) -> bool:
        return output in self.settings.formats

    def _wants_csv(self, spec: DatasetSpec) -> bool:
        return spec.csv_path is not None and self._wants(OutputFormat.CSV)

    def write_table(self, spec: DatasetSpec, frame: pd.DataFrame, provenance: Provenance) -> None:
        """Write one table dataset in every requested format."""
        table = arrow_table(spec, frame)
        self._provenance[spec.name] = provenance
        schema = table_schema(spec, table.column_names)
        if self._wants_csv(spec):
            pacsv.write_csv(_csv_table(table), self._target(spec.csv_path), _CSV_OPTIONS)
            self._add(spec.name, self._resource(spec.name, spec, spec.csv_path, table, schema))
        if _wants_parquet(self.settings, spec):
            pq.write_table(table, self._target(spec.parquet_path), compression="zstd")
            name = f"{spec.name}_parquet"
            self._add(spec.name, self._resource(name, spec, spec.parquet_path, table, schema))

    def open_homes(self, spec: DatasetSpec, provenance: Provenance, home_table: bool) -> None:
        """Begin a per-home dataset whose parts :meth:`add_part` records, chunk by chunk.

        An attribute dataset's rows stream into one file: ``spec.parquet_path``, or
        ``spec.csv_path`` without Parquet. A per-home dataset with a ``home_table`` (the
        homes' attributes) streams it into ``HOMES_PARQUET`` (``HOMES_CSV`` without Parquet),
        in row groups of :data:`ROWS_PER_GROUP` rows. Memory is bounded by a row group, not
        the fleet.
        """
        self._provenance[spec.name] = provenance
        parquet = self._wants(OutputFormat.PARQUET)
        if spec.attributes:
            relative = spec.parquet_path if parquet else spec.csv_path
            self._sinks[spec.name] = _AttributeWriter(
                self, spec.name, spec.name, relative, spec=spec
            )
        elif home_table:
            relative = HOMES_PARQUET if parquet else HOMES_CSV
            self._sinks[spec.name] = _AttributeWriter(
                self, spec.name, "homes", relative, role="attributes"
            )

    def add_part(
        self, dataset: str, resources: Iterable[Resource], rows: pa.Table | pd.DataFrame | None
    ):
        """Record a chunk of ``dataset``: the files a worker wrote (:func:`write_home_part`)
        and the attribute rows of its homes; chunks must come in order."""
        for resource in resources:
            self._add(dataset, resource)
        if rows is not None:
            self._sinks[dataset].write(rows)

    def close_homes(self) -> None:
        """Close the attribute files of the per-home datasets (records them)."""
        for sink in self._sinks.values():
            sink.close()
        self._sinks.clear()

    def add_rollup(self, dataset: str, chunk: ChunkRollup) -> None:
        """Record a chunk's rollups (see :mod:`vppsim.dataset.rollups`) as files of
        ``dataset``: its homes' days stream into ``HOME_DAYS_PATH``, its partial sums are
        added to the fleet's. Chunks must come in order."""
        if self._home_days is None:
            self._home_days = _AttributeWriter(
                self,
                dataset,
                f"{dataset}_home_days",
                HOME_DAYS_PATH,
                role=ROLLUP_ROLE,
                columns=HOME_DAYS_COLUMNS,
                keys=(HOME_ID, DAY),
            )
        self._home_days.write(chunk.home_days)
        self._fleet.add(chunk)

    def close_rollups(self) -> None:
        """Write the fleet's sums into ``FLEET_PATH`` and close ``HOME_DAYS_PATH`` (records
        both); nothing without rollups."""
        if self._home_days is None:
            return
        dataset = self._home_days._dataset
        self._home_days.close()
        self._home_days = None
        table = self._fleet.table(self.grid)
        pq.write_table(table, self._target(FLEET_PATH), compression="zstd")
        fields = [_described(f, FLEET_COLUMNS) for f in table.schema]
        schema = TableSchema(fields=fields, primaryKey=[FILTER, TIMESTAMP])
        resource = resource_of(
            self.root, f"{dataset}_fleet", dataset, FLEET_PATH, table.num_rows, schema, ROLLUP_ROLE
        )
        self._add(dataset, resource)

    def write_documents(self, dataset: str, documents: Mapping[str, Any]) -> None:
        """Write JSON documents that come with ``dataset`` (relative path -> JSON value)."""
        for relative, value in documents.items():
            path = self._target(relative)
            path.write_text(json.dumps(value, indent=2, ensure_ascii=False) + "\n", "utf-8")
            self._add(
                dataset,
                Resource(
                    name=f"{dataset}_{Path(relative).stem}",
                    path=relative,
                    format="json",
                    mediatype="application/json",
                    encoding="utf-8",
                    size=path.stat().st_size,
                    sha256=sha256_file(path),
                    dataset=dataset,
                    role="metadata",
                ),
            )

    def write_manifest(self, specs: Mapping[str, DatasetSpec]) -> Manifest:
        """Write ``datapackage.json`` describing every file written, and return it.

        ``specs`` are the built datasets' specs, in build order: what their version ids
        derive from, and the order the manifest lists their files in.
        """
        from vppsim import __version__

        settings = self.settings
        order = [name for name in settings.dataset_names if name in self._provenance]
        config = settings.redacted()
        raw_files = sorted(
            str(path.relative_to(self.root))
            for path in (self.root / RAW).rglob("*")
            if path.is_file()
        )
        ids = dataset_version_ids(
            config,
            {name: specs[name] for name in order},
            {name: str(self._provenance[name].kind) for name in order},
            __version__,
            calibration_digests(),
            {path: sha256_file(self.root / path) for path in raw_files},
        )
        manifest = Manifest(
            name=f"vppsim-{settings.start.isoformat()}-{settings.end.isoformat()}",
            title=f"vppsim study {settings.start} to {settings.end}, {settings.homes} homes",
            vppsim=VppsimSection(
                version=__version__,
                version_id=study_version_id(ids, config.get("scenario")),
                seed=settings.seed,
                datasets=order,
                config=config,
                grid=GridInfo(
                    first_interval_start=self._timestamps[0].as_py(),
                    last_interval_start=self._timestamps[-1].as_py(),
                    intervals=len(self.grid),
                    interval_minutes=settings.interval_minutes,
                    timezone=settings.timezone,
                ),
                python=platform.python_version(),
                libraries={name: metadata.version(name) for name in LIBRARIES},
                raw_files=raw_files,
            ),
            provenance={
                name: ProvenanceEntry(
                    version_id=ids[name],
                    kind=str(p.kind),
                    source=p.source,
                    version=p.version,
                    parameters=p.parameters,
                    requested=str(p.requested),
                    fallback_reason=p.fallback_reason,
                    notes=list(p.notes),
                )
                for name in order
                for p in (self._provenance[name],)
            },
            resources=[r for name in specs for r in self._resources.get(name, [])],
        )
        (self.root / MANIFEST).write_text(manifest.to_json(), encoding="utf-8")
        return manifest


def _described(field: pa.Field, columns: Mapping[str, ColumnSpec]) -> FieldSchema:
    """The manifest's field of ``field``, with its unit and description when ``columns``
    declares it."""
    column = columns.get(field.name)
    described = {} if column is None else {"unit": column.unit or None}
    if column is not None:
        described["description"] = column.description
    return FieldSchema(name=field.name, type=_frictionless_type(field.type), **described)


class _AttributeWriter:
    """Streams a per-home table, chunk by chunk, into one file (a row group, or a block of
    CSV rows, per :data:`ROWS_PER_GROUP` rows or more); the columns ``spec`` (or
    ``columns``) declares get their unit and description in the manifest."""

    def __init__(
        self,
        writer: DatasetWriter,
        dataset: str,
        name: str,
        relative: str,
        role: str = "data",
        spec: DatasetSpec | None = None,
        columns: Mapping[str, ColumnSpec] | None = None,
        keys: tuple[str, ...] = (HOME_ID,),
    ):
        self._writer = writer
        self._parquet = relative.endswith(".parquet")
        self._relative = relative
        self._dataset = dataset
        self._name = name
        self._role = role
        self._columns = {c.name: c for c in spec.columns} if spec is not None else columns or {}
        self._keys = list(keys)
        self._sink: pq.ParquetWriter | pacsv.CSVWriter | None = None
        self._schema: pa.Schema | None = None
        self._rows = 0
        self._held: list[pa.Table] = []
        self._held_rows = 0

    def write(self, rows: pd.DataFrame | pa.Table) -> None:
        table = (
            rows if isinstance(rows, pa.Table) else pa.Table.from_pandas(rows, preserve_index=False)
        )
        table = table.replace_schema_metadata(None)
        if self._schema is None:
            self._schema = table.schema
        self._held.append(table.cast(self._schema))
        self._held_rows += table.num_rows
        self._rows += table.num_rows
        if self._held_rows >= ROWS_PER_GROUP:
            self._flush()

    def _flush(self) -> None:
        if self._sink is None:
            path = _target(self._writer.root, self._relative)
            self._sink = (
                pq.ParquetWriter(path, self._schema, compression="zstd")
                if self._parquet
                else pacsv.CSVWriter(path, self._schema, write_options=_CSV_OPTIONS)
            )
        if self._held:
            table = pa.concat_tables(self._held).combine_chunks()
            if self._parquet:
                self._sink.write_table(table, row_group_size=table.num_rows)
            else:
                self._sink.write_table(table)
        self._held, self._held_rows = [], 0

    def close(self) -> None:
        self._flush()
        self._sink.close()
        fields = [_described(arrow_field, self._columns) for arrow_field in self._schema]
        schema = TableSchema(fields=fields, primaryKey=self._keys)
        root, name, dataset = self._writer.root, self._name, self._dataset
        resource = resource_of(root, name, dataset, self._relative, self._rows, schema, self._role)
        self._writer._add(dataset, resource)
