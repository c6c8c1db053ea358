"""Validate a written dataset folder: every file against the manifest, its contract and
the grid, and every dataset against its own rules.

Every check runs, and every failure is reported at once.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from vppsim.dataset.budget import HOME_INTERVALS_PER_CHUNK
from vppsim.dataset.manifest import Manifest, ManifestError, Resource, read_manifest
from vppsim.dataset.readers import contract_frame, duckdb_connection, read_csv, read_parquet
from vppsim.dataset.rollups import (
    DAY,
    EVERY_HOME,
    FILTER,
    FLEET_PATH,
    HOME_DAYS_PATH,
    ROLLUP_ROLE,
    Calendar,
)
from vppsim.dataset.schemas import (
    HOME_ID,
    TIMESTAMP,
    DatasetSpec,
    check_attributes,
    check_homes,
    check_table,
    iso,
)
from vppsim.dataset.sources import Study
from vppsim.dataset.writer import sha256_file
from vppsim.errors import listed as _listed


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


def _guard(check: Check, work: Callable[..., list[str]], *args: Any) -> Check:
    """Run ``work(*args)``; a file that cannot be read is a failure of this check, not a crash."""
    try:
        check.failures.extend(work(*args))
    except (OSError, ValueError, KeyError, TypeError, duckdb.Error) as exc:
        check.failures.append(f"could not read: {type(exc).__name__}: {str(exc).splitlines()[0]}")
    return check


def study_of_manifest(manifest: Manifest) -> Study:
    """The study a manifest describes (its grid rebuilt from its settings)."""
    config = manifest.vppsim.config
    return Study.over(
        dt.date.fromisoformat(config["start"]),
        dt.date.fromisoformat(config["end"]),
        config["timezone"],
        config["latitude"],
        config["longitude"],
        config["interval_minutes"],
        config["seed"],
        config["homes"],
    )


def validate_directory(
    root: Path, specs: Mapping[str, DatasetSpec], checked: Mapping[str, list[str]] | None = None
) -> ValidationReport:
    """Validate a written dataset folder against its manifest, ``specs`` and grid.

    ``checked`` holds the failures of Parquet parts of per-home datasets already checked
    by :func:`part_failures` where they were written (relative path -> failures): their
    rows are not read again (their hashes still are, so they are the files checked).
    """
    root = Path(root)
    checked = checked or {}
    report = ValidationReport()
    manifest_check = Check("manifest")
    report.checks.append(manifest_check)
    try:
        manifest = read_manifest(root)
        study = study_of_manifest(manifest)
    except ManifestError as exc:
        manifest_check.failures.append(str(exc))
        return report
    except (ValueError, KeyError, TypeError) as exc:
        manifest_check.failures.append(f"its settings do not describe a study: {exc!r}")
        return report
    resources = manifest.resources
    manifest_check.detail = f"{len(resources)} resources"
    report.checks.append(_grid_check(manifest, study.grid))
    report.checks.append(
        _guard(Check("files match manifest (sha256)"), _hash_failures, root, resources)
    )
    present = {resource.dataset for resource in resources}
    missing = [name for name in manifest.vppsim.datasets if name not in present]
    unknown = sorted(present - set(specs))
    report.checks.append(
        Check(
            "all datasets present and known",
            ([f"no files for {_listed(missing)}"] if missing else [])
            + ([f"no contract for {_listed(unknown)} (plugin not installed?)"] if unknown else []),
        )
    )
    for resource in resources:
        if resource.role == "attributes":
            check = Check(f"{resource.name}: one row per home")
            report.checks.append(_guard(check, _attribute_failures, root, resource, study))
    rollups = {r.path: r for r in resources if r.role == ROLLUP_ROLE}
    if rollups:
        check = Check("rollups: complete and adding up to each other")
        report.checks.append(_guard(check, _rollup_failures, root, rollups, study))
    for dataset in [name for name in specs if name in present]:
        spec = specs[dataset]
        data = [r for r in manifest.resources_of(dataset) if r.role == "data"]
        for output in ("csv", "parquet"):
            files = [r for r in data if r.format == output]
            if not files:
                continue
            label = f"{dataset} ({output}): schema and grid"
            check = Check(label, detail=f"{len(files)} file(s)")
            work = (
                _attribute_table_failures
                if spec.attributes
                else functools.partial(_home_failures, checked=checked)
                if spec.per_home
                else _table_failures
            )
            report.checks.append(_guard(check, work, root, spec, files, study))
        if not (spec.per_home or spec.attributes):
            report.checks.extend(_agreement_check(root, spec, data))
    return report


def _grid_check(manifest: Manifest, grid: pd.DatetimeIndex) -> Check:
    stated = manifest.vppsim.grid
    first = iso(grid[:1])[0]
    check = Check("one grid", detail=f"{len(grid)} intervals from {first}")
    if stated.intervals != len(grid) or stated.first_interval_start != first:
        check.failures.append(
            f"manifest states {stated.intervals} intervals from "
            f"{stated.first_interval_start}, the config gives {len(grid)} from {first}"
        )
    return check


def _hash_failures(root: Path, resources: list[Resource]) -> list[str]:
    failures = []
    for resource in resources:
        path = root / resource.path
        if not path.is_file():
            failures.append(f"{resource.path} is missing")
        elif sha256_file(path) != resource.sha256:
            failures.append(f"{resource.path} does not match its sha256 (changed or truncated)")
    return failures


def _read(root: Path, spec: DatasetSpec, path: str) -> pd.DataFrame:
    return read_parquet(root / path) if path.endswith(".parquet") else read_csv(root / path, spec)


def _table_failures(root, spec, files: list[Resource], study: Study) -> list[str]:
    (resource,) = files
    frame = _read(root, spec, resource.path)
    failures = check_table(spec, frame, study, resource.path)
    if len(frame) != resource.rows:
        failures.append(f"{resource.path}: {len(frame)} rows, the manifest says {resource.rows}")
    return failures


ROWS_PER_SLICE = HOME_INTERVALS_PER_CHUNK
"""Rows read at once when checking per-home files, so memory stays flat however long the
period or large the fleet: as many as a part holds, so a part is read once."""


def _homes_per_slice(intervals: int) -> int:
    return max(1, ROWS_PER_SLICE // max(intervals, 1))


def _read_home_file(root: Path, spec: DatasetSpec, path: str) -> pd.DataFrame:
    frame = _read(root, spec, path)
    if HOME_ID not in frame:
        frame.insert(0, HOME_ID, np.int32(int(Path(path).stem.rsplit("_", 1)[1])))
    return frame


def _part_slices(path: Path, intervals: int) -> Iterator[pd.DataFrame]:
    """A Parquet part's rows, a bounded number of rows at a time, so memory stays flat."""
    homes = np.unique(pq.read_table(path, columns=[HOME_ID]).column(HOME_ID).to_numpy())
    size = _homes_per_slice(intervals)
    for first in range(0, len(homes), size):
        group = homes[first : first + size]
        rows = (HOME_ID, ">=", int(group[0])), (HOME_ID, "<=", int(group[-1]))
        # A part that fits in one slice (every part a build writes) is read unfiltered.
        yield read_parquet(path, None if len(group) == len(homes) else list(rows))


def _home_failures(root, spec, files: list[Resource], study: Study, checked) -> list[str]:
    paths = [resource.path for resource in files]
    if paths[0].endswith(".parquet"):
        return _part_failures(root, spec, paths, study, checked)
    return _profile_failures(root, spec, paths, study)


def part_failures(
    root: Path, spec: DatasetSpec, path: str, table: pa.Table, study: Study
) -> list[str]:
    """Schema, grid and own-rule failures of the Parquet part ``path`` (under ``root``) of
    the per-home dataset ``spec``, just written from ``table`` by the worker that checks it
    (in parallel with the other parts; see :func:`validate_directory`).

    The rows are checked as ``table`` holds them, which is what the file holds (Parquet
    keeps every value as written), and the file by its footer: the rows and schema of
    ``table``. Reading every part back was a third of checking it; a part changed
    after it was written fails its sha256 in :func:`validate_directory`, and ``vppsim
    validate`` reads every part's rows from disk. A part that cannot be read is a failure.
    """
    return _guard(Check(path), _written_failures, root, spec, path, table, study).failures


def _written_failures(
    root: Path, spec: DatasetSpec, path: str, table: pa.Table, study: Study
) -> list[str]:
    footer = pq.read_metadata(root / path)
    failures = []
    if footer.num_rows != table.num_rows:
        failures.append(f"{path}: {footer.num_rows} rows in the file, {table.num_rows} written")
    if not footer.schema.to_arrow_schema().equals(table.schema, check_metadata=True):
        failures.append(f"{path}: the file's schema is not the one written")
    return failures + check_homes(spec, contract_frame(table), study, path)


def _slice_failures(root: Path, spec: DatasetSpec, path: str, study: Study) -> list[str]:
    return [
        failure
        for frame in _part_slices(root / path, len(study.grid))
        for failure in check_homes(spec, frame, study, path)
    ]


def _part_failures(root, spec, files, study: Study, checked) -> list[str]:
    failures = []
    homes, n = study.homes, len(study.grid)
    for path in files:
        failures += checked[path] if path in checked else _slice_failures(root, spec, path, study)
    with duckdb_connection() as con:
        rows, distinct, low, high = con.execute(
            f"SELECT count(*), count(DISTINCT {HOME_ID}), min({HOME_ID}), max({HOME_ID}) "
            "FROM read_parquet(?)",
            [[str(root / path) for path in files]],
        ).fetchone()
    if (distinct, low, high) != (homes, 0, homes - 1) or rows != homes * n:
        failures.append(
            f"parts hold {distinct} homes ({low}..{high}) in {rows} rows; "
            f"expected {homes} homes (0..{homes - 1}) in {homes * n} rows"
        )
    return failures


ROLLUP_RTOL = 1e-9
"""Relative tolerance of the rollups' two sums of the same energy (float64, in different
orders)."""


def _rollup_failures(root: Path, rollups: Mapping[str, Resource], study: Study) -> list[str]:
    """The rollups (:mod:`vppsim.dataset.rollups`): every home on every local day, every
    filter on every interval, nothing negative or missing, the AC and heating load within the
    load, and the fleet's energy the same summed either way. Aggregated in DuckDB, so a
    million homes are not loaded."""
    if set(rollups) != {HOME_DAYS_PATH, FLEET_PATH}:
        return [
            f"rollup files {_listed(sorted(rollups))}; expected both of {HOME_DAYS_PATH} "
            f"and {FLEET_PATH}"
        ]
    homes, n = study.homes, len(study.grid)
    calendar = Calendar.of(study.grid, study.timezone, study.interval_minutes)
    days = len(calendar.days)
    failures = []
    with duckdb_connection() as con:
        home_days = f"read_parquet('{(root / HOME_DAYS_PATH).as_posix()}')"
        fleet = f"read_parquet('{(root / FLEET_PATH).as_posix()}')"
        described = con.execute(f"DESCRIBE SELECT * FROM {home_days}").fetchall()
        pv = "pv_kwh" in {row[0] for row in described}
        values = ["energy_kwh", "peak_kw", *(["pv_kwh"] if pv else [])]
        bad = " OR ".join(f"{v} IS NULL OR isnan({v}) OR {v} < 0" for v in values)
        rows, distinct, low, high, first, last, wrong, energy, pv_energy = con.execute(
            f"SELECT count(*), count(DISTINCT {HOME_ID}), min({HOME_ID}), max({HOME_ID}), "
            f"min({DAY}), max({DAY}), count(*) FILTER (WHERE {bad}), sum(energy_kwh), "
            f"{'sum(pv_kwh)' if pv else 'NULL'} FROM {home_days}"
        ).fetchone()
        expected = (homes, 0, homes - 1, calendar.days[0], calendar.days[-1])
        if (distinct, low, high, np.datetime64(first), np.datetime64(last)) != expected or (
            rows != homes * days
        ):
            failures.append(
                f"{HOME_DAYS_PATH}: {distinct} homes ({low}..{high}) from {first} to {last} in "
                f"{rows} rows; expected {homes} homes on {days} days from "
                f"{calendar.days[0]} to {calendar.days[-1]}"
            )
        if wrong:
            failures.append(f"{HOME_DAYS_PATH}: {wrong} rows missing or negative")
        pv_sum = "sum(pv_kw)" if pv else "NULL"
        fleet_columns = {
            row[0] for row in con.execute(f"DESCRIBE SELECT * FROM {fleet}").fetchall()
        }
        # The AC and heating load is a part of the load (float32 values summed in float64).
        hvac = (
            " OR NOT (hvac_kw >= 0) OR hvac_kw > load_kw * (1 + 1e-6)"
            if "hvac_kw" in fleet_columns
            else ""
        )
        sums = (
            con.execute(
                f"SELECT {FILTER}, count(*) AS n, count(DISTINCT {TIMESTAMP}) AS steps, "
                f"min(homes) AS least, max(homes) AS most, "
                f"count(*) FILTER (WHERE NOT (load_kw >= 0){hvac}) AS wrong, "
                f"sum(load_kw) AS load_total, {pv_sum} AS pv_total FROM {fleet} GROUP BY 1"
            )
            .df()
            .set_index(FILTER)
        )
    if EVERY_HOME not in sums.index:
        return [*failures, f"{FLEET_PATH}: no filter '{EVERY_HOME}'"]
    for key, row in sums.iterrows():
        if row["n"] != n or row["steps"] != n or row["least"] != row["most"]:
            failures.append(f"{FLEET_PATH}: filter {key} does not cover the grid once")
        if row["most"] > homes or row["wrong"]:
            failures.append(f"{FLEET_PATH}: filter {key} has impossible homes or loads")
    every = sums.loc[EVERY_HOME]
    if every["most"] != homes:
        failures.append(f"{FLEET_PATH}: filter all sums {every['most']} homes, not {homes}")
    pairs = [("load", energy, every["load_total"])]
    pairs += [("pv", pv_energy, every["pv_total"])] if pv else []
    for name, by_home, by_interval in pairs:
        if not np.isclose(by_home, by_interval * calendar.hours, rtol=ROLLUP_RTOL, atol=0):
            failures.append(
                f"rollups: the {name} energy of the homes' days ({by_home} kWh) is not that "
                f"of the fleet's intervals ({by_interval * calendar.hours} kWh)"
            )
    return failures


def _profile_failures(root, spec, files, study: Study) -> list[str]:
    failures = []
    size = _homes_per_slice(len(study.grid))
    for first in range(0, len(files), size):
        batch = files[first : first + size]
        frames = [_read_home_file(root, spec, path) for path in batch]
        if len(batch) > 1 and not check_homes(
            spec, pd.concat(frames, ignore_index=True), study, ""
        ):
            continue
        # Check file by file (only when a batch fails) so each failure names its file.
        for path, frame in zip(batch, frames, strict=True):
            failures += check_homes(spec, frame, study, path)
    if len(files) != study.homes:
        failures.append(f"{len(files)} profile files, expected {study.homes}")
    return failures


def _read_attributes(root: Path, path: str, spec: DatasetSpec | None = None) -> pd.DataFrame:
    """A per-home attribute table; a CSV's columns get the dtypes ``spec`` declares."""
    if path.endswith(".parquet"):
        return pq.read_table(root / path).to_pandas()
    frame = pacsv.read_csv(root / path).to_pandas()
    if spec is not None:
        types = {c.name: c.dtype for c in spec.columns if c.name in frame}
        frame = frame.astype({HOME_ID: np.int32, **types})
    return frame


def _one_row_per_home(frame: pd.DataFrame, path: str, study: Study) -> list[str]:
    failures = []
    ids = frame.get(HOME_ID, pd.Series(dtype=int)).to_numpy()
    if not np.array_equal(ids, np.arange(study.homes)):
        failures.append(f"{path}: home_id is not 0..{study.homes - 1}, one row each")
    empty = frame.columns[frame.isna().any()].tolist()
    if empty:
        failures.append(f"{path}: missing values in {_listed(empty)}")
    return failures


def _attribute_failures(root: Path, resource: Resource, study: Study) -> list[str]:
    return _one_row_per_home(_read_attributes(root, resource.path), resource.path, study)


def _attribute_table_failures(root, spec, files: list[Resource], study: Study) -> list[str]:
    """A per-home attribute dataset: one row per home, its schema and its own rules."""
    (resource,) = files
    frame = _read_attributes(root, resource.path, spec)
    return _one_row_per_home(frame, resource.path, study) + check_attributes(
        spec, frame, study, resource.path
    )


def _agreement_check(root: Path, spec: DatasetSpec, files: list[Resource]) -> list[Check]:
    """A table written as CSV and Parquet must hold the same values in both."""
    if len(files) != 2:
        return []

    def compare() -> list[str]:
        csv, parquet = (_read(root, spec, r.path) for r in files)
        try:
            pd.testing.assert_frame_equal(csv, parquet, check_dtype=False)
        except AssertionError as exc:
            return [f"{files[0].path} and {files[1].path} differ: {str(exc).splitlines()[0]}"]
        return []

    return [_guard(Check(f"{spec.name}: CSV matches Parquet"), compare)]
