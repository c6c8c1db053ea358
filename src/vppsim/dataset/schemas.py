"""The dataset contract: what a dataset holds (keys, columns with units and ranges, files,
dependencies) and the checks that hold a frame to it.

Frames inside vppsim carry a ``timestamp`` column of UTC interval starts
(``datetime64[ns, UTC]``). Per-home data is long format: ``home_id, timestamp, value``.
A table's keys may be more than ``timestamp`` (e.g. ``issued_at, timestamp, quantile`` for
forecasts); its timestamps must lie on the study grid, and each combination of the other
keys must cover the whole grid when the spec says ``complete``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pandera.errors
import pandera.pandas as pa
import pyarrow as pa_types
from pandera.engines.pandas_engine import Engine

from vppsim.errors import listed
from vppsim.grid import format_timestamps

if TYPE_CHECKING:
    from vppsim.dataset.sources import Study

TIMESTAMP = "timestamp"
HOME_ID = "home_id"
UTC_DATETIME = "datetime64[ns, UTC]"


@dataclass(frozen=True)
class ColumnSpec:
    """One column: its name, unit, meaning and the range real data stays within.

    ``key`` columns identify a row together with ``timestamp`` (and ``home_id``);
    datetime columns (``dtype`` ``datetime64[ns, UTC]``) have no range.
    """

    name: str
    unit: str
    description: str
    minimum: float | None = None
    maximum: float | None = None
    required: bool = True
    dtype: str = "float64"
    key: bool = False
    decimals: int | None = None
    """Digits kept after the point when written (prices in cents: 2); None keeps all."""

    @property
    def is_datetime(self) -> bool:
        return self.dtype == UTC_DATETIME


def arrow_type(dtype: str) -> pa_types.DataType:
    """The Arrow type a column of ``dtype`` is written as: UTC microseconds for datetimes,
    dictionary-encoded text for categories (read back as pandas categories), else the
    numpy type's."""
    if dtype.startswith("datetime64"):
        return pa_types.timestamp("us", tz="UTC")
    if dtype == "category":
        return pa_types.dictionary(pa_types.int32(), pa_types.string())
    return pa_types.from_numpy_dtype(np.dtype(dtype))


TableCheck = Callable[[pd.DataFrame, "Study", str], list[str]]
"""A dataset's own rule beyond schema and grid: ``(frame, study, label) -> failures``."""


@dataclass(frozen=True)
class DatasetSpec:
    """A dataset: its columns, where it is written, and which datasets it is derived from.

    Attributes
    ----------
    name, title : str
        Identifier (settings section, manifest) and a one-line description.
    columns : tuple of ColumnSpec
        Key columns beyond ``timestamp``/``home_id``, then value columns.
    csv_path, parquet_path : str
        Where the files go; per-home paths hold ``{home_id}`` / ``{part:05d}``. A
        ``csv_path`` of None: Parquet only, whatever the formats setting (ensembles and
        per-home forecasts, too large as CSV to be of use).
    per_home : bool
        Long format, one series per home, generated in chunks of homes.
    attributes : bool
        One row per home and no time axis (keyed by ``home_id``), generated in chunks of
        homes like per-home data; ``csv_path`` and ``parquet_path`` are single files.
    depends_on : tuple of str
        Datasets its sources read (built first, from the same weather).
    complete : bool
        Each combination of the non-time keys covers every interval of the grid.
    checks : tuple of TableCheck
        The dataset's own rules (e.g. no PV at night), run on sources and on folders.
    """

    name: str
    title: str
    columns: tuple[ColumnSpec, ...]
    csv_path: str | None
    parquet_path: str
    per_home: bool = False
    attributes: bool = False
    depends_on: tuple[str, ...] = ()
    complete: bool = True
    checks: tuple[TableCheck, ...] = field(default=(), compare=False)

    @property
    def keys(self) -> list[str]:
        """The primary key: ``home_id`` (per-home), the key columns, then ``timestamp``;
        ``home_id`` alone for attributes."""
        if self.attributes:
            return [HOME_ID]
        extra = [column.name for column in self.columns if column.key]
        return ([HOME_ID] if self.per_home else []) + extra + [TIMESTAMP]

    @property
    def value_columns(self) -> tuple[ColumnSpec, ...]:
        return tuple(column for column in self.columns if not column.key)

    @property
    def required_columns(self) -> list[str]:
        return [column.name for column in self.columns if column.required]

    def column(self, name: str) -> ColumnSpec | None:
        return next((column for column in self.columns if column.name == name), None)

    def output_columns(self, columns: Iterable[str]) -> list[str]:
        """The columns written: keys, then known value columns present, in spec order."""
        present = set(columns)
        return self.keys + [c.name for c in self.value_columns if c.name in present]


def home_csv_name(home_id: int, homes: int) -> str:
    """File name of one home's CSV: three digits, more when the fleet needs them."""
    width = max(3, len(str(homes - 1)))
    return f"profile_{home_id:0{width}d}.csv"


# --- pandera schemas -------------------------------------------------------------------


def _timestamp_column(unique: bool) -> pa.Column:
    checks = [pa.Check(lambda s: s.is_monotonic_increasing, name="monotonic_increasing")]
    return pa.Column(
        pd.DatetimeTZDtype("ns", "UTC"), checks=checks if unique else [], unique=unique
    )


def _column(column: ColumnSpec) -> pa.Column:
    if column.dtype == "category":
        return pa.Column("category", nullable=False, required=column.required)
    if column.is_datetime:
        return pa.Column(pd.DatetimeTZDtype("ns", "UTC"), nullable=False, title=column.description)
    checks = []
    if column.minimum is not None:
        checks.append(pa.Check.ge(column.minimum))
    if column.maximum is not None:
        checks.append(pa.Check.le(column.maximum))
    if column.minimum is not None and column.maximum is not None:
        checks = [pa.Check.in_range(column.minimum, column.maximum)]
    return pa.Column(
        np.dtype(column.dtype),
        checks=checks,
        nullable=False,
        required=column.required,
        title=column.description,
    )


def frame_schema(spec: DatasetSpec) -> pa.DataFrameSchema:
    """The pandera schema of one table, or of one home's rows for per-home data.

    For per-home data, validate each home separately (or use :func:`long_schema`).
    """
    keys = [key for key in spec.keys if key != HOME_ID]
    columns = {TIMESTAMP: _timestamp_column(unique=len(keys) == 1)}
    columns.update({column.name: _column(column) for column in spec.columns})
    return pa.DataFrameSchema(
        columns,
        name=spec.name,
        strict=False,
        coerce=False,
        unique=keys if len(keys) > 1 else None,
    )


@functools.cache
def long_schema(spec: DatasetSpec) -> pa.DataFrameSchema:
    """The schema of long-format per-home rows: ``home_id, timestamp, value...``.

    The rows' order (by home, then strictly by time, which makes them unique per (home,
    timestamp)) is :func:`check_homes`'s, in numpy: pandera's hashing of every pair and
    its wrapping of a frame check were three quarters of checking a part. Made once per
    spec (and not changed): making it took as long as checking a part's values.
    """
    base = frame_schema(spec)
    columns = {
        HOME_ID: pa.Column(np.int32, checks=pa.Check.ge(0)),
        TIMESTAMP: _timestamp_column(False),
    }
    columns.update({name: col for name, col in base.columns.items() if name != TIMESTAMP})
    return pa.DataFrameSchema(
        columns,
        name=spec.name,
        strict=False,
    )


def attribute_schema(columns: Iterable[ColumnSpec], name: str) -> pa.DataFrameSchema:
    """The schema of a per-home attribute table: ``home_id`` unique, then ``columns``.

    Columns not among ``columns`` pass unchecked (the home attributes carry their units in
    their names).
    """
    schema = {HOME_ID: pa.Column(np.int32, checks=pa.Check.ge(0), unique=True)}
    schema.update({column.name: _column(column) for column in columns})
    return pa.DataFrameSchema(schema, name=name, strict=False)


def _sorted_by_home_and_time(frame: pd.DataFrame) -> bool:
    home = frame[HOME_ID].to_numpy()
    time = pd.DatetimeIndex(frame[TIMESTAMP]).asi8
    same_home = home[1:] == home[:-1]
    return bool(
        np.all(home[1:] >= home[:-1]) and np.all(time[1:][same_home] > time[:-1][same_home])
    )


def on_home_grid(frame: pd.DataFrame, grid: pd.DatetimeIndex) -> bool:
    """Whether long per-home rows are whole homes on ``grid``: each home's rows one run of
    the grid's intervals in order, the homes ascending (as sources make them and parts hold
    them). Three comparisons of every row: what :func:`check_homes` (and rules that add up
    the homes) learn without sorting, counting or hashing the rows of every home."""
    n = len(grid)
    if not n or len(frame) % n:
        return False
    homes = frame[HOME_ID].to_numpy().reshape(-1, n)
    stamps = pd.DatetimeIndex(frame[TIMESTAMP]).asi8.reshape(-1, n)
    return bool(
        (homes == homes[:, :1]).all()
        and (homes[1:, 0] > homes[:-1, 0]).all()
        and (stamps == grid.asi8).all()
    )


# --- checks ----------------------------------------------------------------------------


def spanned(values: Iterable[Any]) -> str:
    """A run of ordered values as text: the one value, or ``first..last``."""
    values = list(values)
    return str(values[0]) if len(values) == 1 else f"{values[0]}..{values[-1]}"


def iso(values) -> list[str]:
    return list(format_timestamps(pd.DatetimeIndex(values)))


_BOUNDS: dict[str, Callable[[np.ndarray, dict], np.ndarray]] = {
    "greater_than_or_equal_to": lambda values, bound: values >= bound["min_value"],
    "less_than_or_equal_to": lambda values, bound: values <= bound["max_value"],
    "in_range": lambda values, bound: (
        (values >= bound["min_value"] if bound["include_min"] else values > bound["min_value"])
        & (values <= bound["max_value"] if bound["include_max"] else values < bound["max_value"])
    ),
}
"""The pandera checks :func:`_passes` evaluates in numpy (those :func:`_column` makes), by
name: whether each value is within the check's ``statistics``."""


def _passes(schema: pa.DataFrameSchema, frame: pd.DataFrame) -> bool:
    """Whether ``frame`` certainly passes ``schema``: its columns present with their dtypes,
    nothing missing and every value within the schema's bounds, found in numpy. False when
    anything fails or the schema asks for what is not evaluated here (unique rows, other
    checks, coercion, ...): pandera then runs. Pandera took a sixth of checking a part,
    on frames that almost always pass."""
    if (
        schema.checks
        or schema.unique
        or schema.index is not None
        or schema.parsers
        or schema.coerce
        or schema.strict
        or not frame.columns.is_unique
    ):
        return False
    for name, column in schema.columns.items():
        if name not in frame.columns:
            if column.required:
                return False
            continue
        if column.regex or column.parsers or column.coerce:
            return False
        series = frame[name]
        if column.unique and series.duplicated().any():
            return False
        dtype = column.dtype
        if dtype is not None and dtype.check(Engine.dtype(series.dtype), series) is not True:
            return False
        if series.isna().to_numpy().any():
            return False
        if not column.checks:
            continue
        values = series.to_numpy()
        if values.dtype.kind not in "iuf":
            return False
        for check in column.checks:
            within = _BOUNDS.get(check.name)
            if within is None or not within(values, check.statistics).all():
                return False
    return True


def schema_failures(schema: pa.DataFrameSchema, frame: pd.DataFrame, label: str) -> list[str]:
    """Every pandera failure of ``frame``, one line per (column, check); pandera runs only
    when numpy finds a failure (or cannot tell: see :func:`_passes`)."""
    if _passes(schema, frame):
        return []
    try:
        schema.validate(frame, lazy=True)
    except pandera.errors.SchemaErrors as exc:
        cases = exc.failure_cases.astype({"index": "object"})
        lines = []
        for (column, check), group in cases.groupby(["column", "check"], dropna=False, sort=False):
            where = [i for i in group["index"] if i is not None and not pd.isna(i)]
            rows = f" at row(s) {listed(where)}" if where else ""
            examples = listed(group["failure_case"].drop_duplicates())
            target = f"column {column!r}" if isinstance(column, str) else "table"
            lines.append(f"{label}: {target} fails {check}{rows} (found {examples})")
        return lines
    return []


def grid_failures(timestamps: pd.Series, grid: pd.DatetimeIndex, label: str) -> list[str]:
    """Differences between a dataset's timestamps and the grid: count, gaps, extras, repeats."""
    found = pd.DatetimeIndex(timestamps)
    if len(found) == len(grid) and found.equals(grid):
        return []
    failures = [f"{label}: {len(found)} intervals, expected {len(grid)}"]
    missing = grid.difference(found)
    extra = found.difference(grid)
    repeated = found[found.duplicated()].unique()
    if len(missing):
        failures.append(f"{label}: missing interval(s) {listed(iso(missing))}")
    if len(extra):
        failures.append(f"{label}: interval(s) off the grid {listed(iso(extra))}")
    if len(repeated):
        failures.append(f"{label}: repeated interval(s) {listed(iso(repeated))}")
    return failures


def _keyed_grid_failures(
    spec: DatasetSpec, frame: pd.DataFrame, grid: pd.DatetimeIndex, label: str
) -> list[str]:
    """A table keyed by more than time: every timestamp on the grid, and, if ``complete``,
    every combination of the other keys covering the grid once."""
    stamps = pd.DatetimeIndex(frame[TIMESTAMP])
    off = stamps[~stamps.isin(grid)].unique()
    failures = [f"{label}: interval(s) off the grid {listed(iso(off))}"] if len(off) else []
    if spec.complete:
        others = [key for key in spec.keys if key not in (TIMESTAMP, HOME_ID)]
        counts = frame.groupby(others, sort=True, observed=True)[TIMESTAMP].nunique()
        short = counts[counts != len(grid)]
        if len(short):
            failures.append(
                f"{label}: {listed(short.index)} cover {listed(short.to_numpy())} intervals, "
                f"expected {len(grid)}"
            )
    return failures


def _own_checks(spec: DatasetSpec, frame: pd.DataFrame, study: Study, label: str) -> list[str]:
    if not set(spec.required_columns) <= set(frame.columns):
        return []
    return [failure for check in spec.checks for failure in check(frame, study, label)]


def check_table(spec: DatasetSpec, frame: pd.DataFrame, study: Study, label: str) -> list[str]:
    """Schema, grid and the dataset's own failures of a table dataset."""
    failures = schema_failures(frame_schema(spec), frame, label)
    if TIMESTAMP in frame:
        if spec.keys == [TIMESTAMP]:
            failures += grid_failures(frame[TIMESTAMP], study.grid, label)
        elif set(spec.keys) <= set(frame.columns):
            failures += _keyed_grid_failures(spec, frame, study.grid, label)
    return failures + _own_checks(spec, frame, study, label)


def check_homes(spec: DatasetSpec, frame: pd.DataFrame, study: Study, label: str) -> list[str]:
    """Schema failures of long per-home rows, and every home whose intervals are not the grid."""
    failures = schema_failures(long_schema(spec), frame, label)
    if not {HOME_ID, TIMESTAMP} <= set(frame.columns):
        return failures
    if not on_home_grid(frame, study.grid):
        failures += _layout_failures(frame, study.grid, label)
    return failures + _own_checks(spec, frame, study, label)


def _layout_failures(frame: pd.DataFrame, grid: pd.DatetimeIndex, label: str) -> list[str]:
    """Why long per-home rows are not whole homes on ``grid``: rows out of order, homes
    with too many or too few intervals, homes off the grid."""
    failures = []
    ordered = _sorted_by_home_and_time(frame)
    if not ordered:
        failures.append(f"{label}: rows are not sorted by home, then strictly by time")
    n = len(grid)
    counts = frame.groupby(HOME_ID, sort=True).size()
    wrong = counts[counts != n]
    if len(wrong):
        failures.append(
            f"{label}: home(s) {listed(wrong.index)} have {listed(wrong.to_numpy())} "
            f"intervals, expected {n}"
        )
    complete = frame if not len(wrong) else frame[frame[HOME_ID].isin(counts[counts == n].index)]
    if not ordered:
        complete = complete.sort_values([HOME_ID, TIMESTAMP])
    stamps = pd.DatetimeIndex(complete[TIMESTAMP]).asi8.reshape(-1, n)
    off = ~(stamps == grid.asi8[None, :]).all(axis=1)
    if off.any():
        homes = complete[HOME_ID].to_numpy().reshape(-1, n)[off, 0]
        failures.append(f"{label}: home(s) {listed(homes)} are not on the grid")
    return failures


def check_attributes(spec: DatasetSpec, frame: pd.DataFrame, study: Study, label: str) -> list[str]:
    """Schema failures of a per-home attribute table, and the dataset's own rules."""
    failures = schema_failures(attribute_schema(spec.columns, spec.name), frame, label)
    return failures + _own_checks(spec, frame, study, label)


def check_source_data(spec: DatasetSpec, data: Any, study: Study) -> list[str]:
    """Contract failures of a source's result; per-home sources are checked on home 0."""
    if spec.attributes:
        return check_attributes(spec, data(np.array([0], dtype=np.int32)), study, spec.name)
    if spec.per_home:
        return check_homes(spec, data(np.array([0], dtype=np.int32)), study, spec.name)
    return check_table(spec, data, study, spec.name)
