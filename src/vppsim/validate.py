"""Validate datasets: each table against its schema and the grid, and a written folder as a whole.

Every check runs, and every failure is reported at once.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pandera.errors
import pandera.pandas as pa
import pvlib
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from vppsim.config import DATASETS
from vppsim.dataset.atomic import MANIFEST
from vppsim.dataset.readers import read_csv, read_parquet
from vppsim.dataset.schemas import HOME_ID, SPECS, TIMESTAMP, DatasetSpec, frame_schema, long_schema
from vppsim.dataset.sources import HomeBatch
from vppsim.dataset.writer import sha256_file
from vppsim.grid import build_grid, format_timestamps

SOLAR_NIGHT_ELEVATION_DEG = -1.0
"""The sun counts as down when its apparent elevation is below this at both interval ends."""

_MAX_LISTED = 3


@dataclass
class Check:
    """One named check and its failures (none: passed)."""

    name: str
    failures: list[str] = field(default_factory=list)
    detail: str = ""

    @property
    def ok(self) -> bool:
        return not self.failures


@dataclass
class ValidationReport:
    checks: list[Check] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(check.ok for check in self.checks)

    @property
    def failures(self) -> list[str]:
        return [f"{check.name}: {failure}" for check in self.checks for failure in check.failures]


def _listed(values: Iterable[Any]) -> str:
    values = list(values)
    shown = ", ".join(str(v) for v in values[:_MAX_LISTED])
    return shown + (f" (+{len(values) - _MAX_LISTED} more)" if len(values) > _MAX_LISTED else "")


def _iso(values) -> list[str]:
    return list(format_timestamps(pd.DatetimeIndex(values)))


def schema_failures(schema: pa.DataFrameSchema, frame: pd.DataFrame, label: str) -> list[str]:
    """Every pandera failure of ``frame``, one line per (column, check)."""
    try:
        schema.validate(frame, lazy=True)
    except pandera.errors.SchemaErrors as exc:
        cases = exc.failure_cases.astype({"index": "object"})
        lines = []
        for (column, check), group in cases.groupby(["column", "check"], dropna=False, sort=False):
            where = [i for i in group["index"] if i is not None and not pd.isna(i)]
            rows = f" at row(s) {_listed(where)}" if where else ""
            examples = _listed(group["failure_case"].drop_duplicates())
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
        failures.append(f"{label}: missing interval(s) {_listed(_iso(missing))}")
    if len(extra):
        failures.append(f"{label}: interval(s) off the grid {_listed(_iso(extra))}")
    if len(repeated):
        failures.append(f"{label}: repeated interval(s) {_listed(_iso(repeated))}")
    return failures


def check_table(
    spec: DatasetSpec, frame: pd.DataFrame, grid: pd.DatetimeIndex, label: str
) -> list[str]:
    """Schema and grid failures of a table dataset."""
    failures = schema_failures(frame_schema(spec), frame, label)
    if TIMESTAMP in frame:
        failures += grid_failures(frame[TIMESTAMP], grid, label)
    return failures


def check_homes(
    spec: DatasetSpec, frame: pd.DataFrame, grid: pd.DatetimeIndex, label: str
) -> list[str]:
    """Schema failures of long per-home rows, and every home whose intervals are not the grid."""
    failures = schema_failures(long_schema(spec), frame, label)
    if not {HOME_ID, TIMESTAMP} <= set(frame.columns):
        return failures
    n = len(grid)
    counts = frame.groupby(HOME_ID, sort=True).size()
    wrong = counts[counts != n]
    if len(wrong):
        failures.append(
            f"{label}: home(s) {_listed(wrong.index)} have {_listed(wrong.to_numpy())} "
            f"intervals, expected {n}"
        )
    complete = frame[frame[HOME_ID].isin(counts[counts == n].index)].sort_values(
        [HOME_ID, TIMESTAMP]
    )
    stamps = pd.DatetimeIndex(complete[TIMESTAMP]).asi8.reshape(-1, n)
    off = ~(stamps == grid.asi8[None, :]).all(axis=1)
    if off.any():
        homes = complete[HOME_ID].to_numpy().reshape(-1, n)[off, 0]
        failures.append(f"{label}: home(s) {_listed(homes)} are not on the grid")
    return failures


def check_source_data(
    dataset: str, data: pd.DataFrame | HomeBatch, grid: pd.DatetimeIndex
) -> list[str]:
    """Contract failures of a source's result; per-home sources are checked on home 0."""
    spec = SPECS[dataset]
    if spec.per_home:
        return check_homes(spec, data(np.array([0], dtype=np.int32)), grid, dataset)
    return check_table(spec, data, grid, dataset)


def night_failures(
    generation: pd.Series,
    timestamps: pd.Series,
    latitude: float,
    longitude: float,
    interval_minutes: int,
    label: str,
) -> list[str]:
    """Intervals with PV output while the sun is below the horizon throughout."""
    starts = pd.DatetimeIndex(timestamps)
    ends = starts + pd.Timedelta(minutes=interval_minutes)
    elevation = {
        name: pvlib.solarposition.get_solarposition(times, latitude, longitude)[
            "apparent_elevation"
        ].to_numpy()
        for name, times in (("start", starts), ("end", ends))
    }
    night = (elevation["start"] < SOLAR_NIGHT_ELEVATION_DEG) & (
        elevation["end"] < SOLAR_NIGHT_ELEVATION_DEG
    )
    lit = night & (generation.to_numpy() > 0)
    if lit.any():
        return [f"{label}: output while the sun is down at {_listed(_iso(starts[lit]))}"]
    return []


def _guard(check: Check, work: Callable[..., list[str]], *args: Any) -> Check:
    """Run ``work(*args)``; a file that cannot be read is a failure of this check, not a crash."""
    try:
        check.failures.extend(work(*args))
    except (OSError, ValueError, KeyError, TypeError, duckdb.Error) as exc:
        check.failures.append(f"could not read: {type(exc).__name__}: {str(exc).splitlines()[0]}")
    return check


def validate_directory(root: Path) -> ValidationReport:
    """Validate a written dataset folder against its manifest, schemas and grid."""
    root = Path(root)
    report = ValidationReport()
    manifest_check = Check("manifest")
    report.checks.append(manifest_check)
    try:
        manifest = json.loads((root / MANIFEST).read_text(encoding="utf-8"))
        config = manifest["vppsim"]["config"]
        grid = build_grid(
            pd.Timestamp(config["start"]).date(),
            pd.Timestamp(config["end"]).date(),
            config["timezone"],
            config["interval_minutes"],
        )
        resources = manifest["resources"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        manifest_check.failures.append(f"cannot read {root / MANIFEST}: {exc}")
        return report
    manifest_check.detail = f"{len(resources)} resources"
    report.checks.append(_grid_check(manifest, grid))
    report.checks.append(
        _guard(Check("files match manifest (sha256)"), _hash_failures, root, resources)
    )
    present = {resource["dataset"] for resource in resources}
    built = manifest["vppsim"].get("datasets", list(DATASETS))
    missing = [name for name in built if name not in present]
    report.checks.append(
        Check("all datasets present", [f"no files for {_listed(missing)}"] if missing else [])
    )
    for resource in resources:
        if resource.get("role") == "attributes":
            check = Check(f"{resource['name']}: one row per home")
            report.checks.append(_guard(check, _attribute_failures, root, resource, config))
            continue
        spec = SPECS[resource["dataset"]]
        files = (
            [f["path"] for f in resource["files"]] if "files" in resource else [resource["path"]]
        )
        check = Check(f"{resource['name']}: schema and grid", detail=f"{len(files)} file(s)")
        if spec.per_home:
            report.checks.append(
                _guard(check, _home_failures, root, spec, resource, files, grid, config)
            )
        else:
            report.checks.append(
                _guard(check, _table_failures, root, spec, resource, files[0], grid)
            )
    report.checks.extend(_agreement_checks(root, resources))
    if "solar" in present:
        report.checks.append(
            _guard(Check("solar is zero at night"), _solar_night, root, resources, config)
        )
    return report


def _grid_check(manifest: dict, grid: pd.DatetimeIndex) -> Check:
    stated = manifest["vppsim"]["grid"]
    check = Check("one grid", detail=f"{len(grid)} intervals from {_iso(grid[:1])[0]}")
    if (
        stated.get("intervals") != len(grid)
        or stated.get("first_interval_start") != _iso(grid[:1])[0]
    ):
        check.failures.append(
            f"manifest states {stated.get('intervals')} intervals from "
            f"{stated.get('first_interval_start')}, "
            f"the config gives {len(grid)} from {_iso(grid[:1])[0]}"
        )
    return check


def _hash_failures(root: Path, resources: list[dict]) -> list[str]:
    failures = []
    for resource in resources:
        for entry in resource.get("files", [resource]):
            path = root / entry["path"]
            if not path.is_file():
                failures.append(f"{entry['path']} is missing")
            elif f"sha256:{sha256_file(path)}" != entry["hash"]:
                failures.append(f"{entry['path']} does not match its sha256 (changed or truncated)")
    return failures


def _read(root: Path, spec: DatasetSpec, path: str) -> pd.DataFrame:
    return read_parquet(root / path) if path.endswith(".parquet") else read_csv(root / path, spec)


def _table_failures(root, spec, resource, path, grid) -> list[str]:
    frame = _read(root, spec, path)
    failures = check_table(spec, frame, grid, path)
    if len(frame) != resource["rows"]:
        failures.append(f"{path}: {len(frame)} rows, the manifest says {resource['rows']}")
    return failures


_CSV_FILES_PER_BATCH = 250


def _read_home_file(root: Path, spec: DatasetSpec, path: str) -> pd.DataFrame:
    frame = _read(root, spec, path)
    if HOME_ID not in frame:
        frame.insert(0, HOME_ID, np.int32(int(Path(path).stem.rsplit("_", 1)[1])))
    return frame


_HOMES_PER_SLICE = 250


def _part_slices(path: Path) -> Iterator[pd.DataFrame]:
    """A Parquet part's rows, a few hundred homes at a time, so memory stays flat."""
    homes = np.unique(pq.read_table(path, columns=[HOME_ID]).column(HOME_ID).to_numpy())
    for first in range(0, len(homes), _HOMES_PER_SLICE):
        group = homes[first : first + _HOMES_PER_SLICE]
        rows = (HOME_ID, ">=", int(group[0])), (HOME_ID, "<=", int(group[-1]))
        frame = pq.read_table(path, filters=list(rows)).to_pandas(coerce_temporal_nanoseconds=True)
        frame[TIMESTAMP] = frame[TIMESTAMP].astype("datetime64[ns, UTC]")
        yield frame


def _home_failures(root, spec, resource, files, grid, config) -> list[str]:
    if files[0].endswith(".parquet"):
        return _part_failures(root, spec, files, grid, config["homes"])
    return _profile_failures(root, spec, files, grid, config["homes"])


def _part_failures(root, spec, files, grid, homes) -> list[str]:
    failures = []
    for path in files:
        for frame in _part_slices(root / path):
            failures += check_homes(spec, frame, grid, path)
    rows, distinct, low, high = duckdb.execute(
        f"SELECT count(*), count(DISTINCT {HOME_ID}), min({HOME_ID}), max({HOME_ID}) "
        "FROM read_parquet(?)",
        [[str(root / path) for path in files]],
    ).fetchone()
    if (distinct, low, high) != (homes, 0, homes - 1) or rows != homes * len(grid):
        failures.append(
            f"parts hold {distinct} homes ({low}..{high}) in {rows} rows; "
            f"expected {homes} homes (0..{homes - 1}) in {homes * len(grid)} rows"
        )
    return failures


def _profile_failures(root, spec, files, grid, homes) -> list[str]:
    failures = []
    for first in range(0, len(files), _CSV_FILES_PER_BATCH):
        batch = files[first : first + _CSV_FILES_PER_BATCH]
        frames = [_read_home_file(root, spec, path) for path in batch]
        if len(batch) > 1 and not check_homes(spec, pd.concat(frames, ignore_index=True), grid, ""):
            continue
        # Check file by file (only when a batch fails) so each failure names its file.
        for path, frame in zip(batch, frames, strict=True):
            failures += check_homes(spec, frame, grid, path)
    if len(files) != homes:
        failures.append(f"{len(files)} profile files, expected {homes}")
    return failures


def _attribute_failures(root: Path, resource: dict, config: dict) -> list[str]:
    path = resource["path"]
    table = pq.read_table(root / path) if path.endswith(".parquet") else pacsv.read_csv(root / path)
    frame = table.to_pandas()
    failures = []
    if not np.array_equal(
        frame.get(HOME_ID, pd.Series(dtype=int)).to_numpy(), np.arange(config["homes"])
    ):
        failures.append(f"{path}: home_id is not 0..{config['homes'] - 1}, one row each")
    empty = frame.columns[frame.isna().any()].tolist()
    if empty:
        failures.append(f"{path}: missing values in {_listed(empty)}")
    return failures


def _agreement_checks(root: Path, resources: list[dict]) -> list[Check]:
    """Each table written as CSV and Parquet must hold the same values in both."""
    checks = []
    by_dataset: dict[str, list[dict]] = {}
    for resource in resources:
        if not SPECS[resource["dataset"]].per_home:
            by_dataset.setdefault(resource["dataset"], []).append(resource)
    for dataset, pair in by_dataset.items():
        if len(pair) != 2:
            continue
        spec = SPECS[dataset]

        def compare(pair=pair, spec=spec) -> list[str]:
            csv, parquet = (_read(root, spec, r["path"]) for r in pair)
            try:
                pd.testing.assert_frame_equal(csv, parquet, check_dtype=False)
            except AssertionError as exc:
                return [
                    f"{pair[0]['path']} and {pair[1]['path']} differ: {str(exc).splitlines()[0]}"
                ]
            return []

        checks.append(_guard(Check(f"{dataset}: CSV matches Parquet"), compare))
    return checks


def _solar_night(root: Path, resources: list[dict], config: dict) -> list[str]:
    solar = next(r for r in resources if r["dataset"] == "solar")
    frame = _read(root, SPECS["solar"], solar["path"])
    return night_failures(
        frame["generation_kw_per_kw_installed"],
        frame[TIMESTAMP],
        config["latitude"],
        config["longitude"],
        config["interval_minutes"],
        solar["path"],
    )
