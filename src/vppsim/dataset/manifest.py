"""``datapackage.json``: the typed manifest of a dataset, and its one reader.

The manifest is a Frictionless Data Package (``frictionless validate datapackage.json``
passes): each file is a resource with its Table Schema (units, ranges, primary key), byte
count and sha256 (``size``, ``sha256``: Frictionless' own ``bytes`` and ``hash`` are not
checkable on Parquet); vppsim's own sections (``vppsim``: settings, seed, grid, versions,
the version id; ``provenance``: where each dataset came from, with its version id) are extra
properties the standard allows.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from vppsim.errors import VppsimError

MANIFEST = "datapackage.json"
MANIFEST_VERSION = "2.0"


class ManifestError(VppsimError):
    """A folder's ``datapackage.json`` is missing or not a vppsim manifest."""

    exit_code = 2


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class FieldSchema(_Model):
    """One Table Schema field."""

    name: str
    type: Literal["datetime", "date", "integer", "number", "boolean", "string"]
    format: str | None = None
    unit: str | None = None
    description: str | None = None
    constraints: dict[str, Any] | None = None


class TableSchema(_Model):
    fields: list[FieldSchema]
    primary_key: list[str] = Field(alias="primaryKey")


class Resource(_Model):
    """One file of the dataset."""

    name: str
    path: str
    format: Literal["csv", "parquet", "json"]
    mediatype: str
    encoding: str | None = None
    size: int = Field(description="File size [B].")
    sha256: str = Field(description="SHA-256 of the file, hex.")
    rows: int | None = Field(None, description="Data rows in the file (tables only).")
    dataset: str = Field(description="The vppsim dataset the file belongs to.")
    role: Literal["data", "attributes", "metadata", "rollup"] = Field(
        "data",
        description="data: a dataset's table or part; attributes: the per-home table of a "
        "per-home dataset; metadata: a JSON document written with a dataset; rollup: "
        "figures of a dataset computed at build time (vppsim.dataset.rollups).",
    )
    table_schema: TableSchema | None = Field(None, alias="schema")


class ProvenanceEntry(_Model):
    """Where one dataset came from (see :class:`vppsim.dataset.sources.Provenance`)."""

    version_id: str | None = Field(
        None,
        description="sha256 of what determines the dataset's bytes (see vppsim.versioning); "
        "None in manifests written before version ids.",
    )
    kind: Literal["live", "synthetic"]
    source: str
    version: str
    parameters: dict[str, Any]
    requested: Literal["auto", "live", "synthetic"]
    fallback_reason: str | None = None
    notes: list[str]


class GridInfo(_Model):
    first_interval_start: str
    last_interval_start: str
    intervals: int
    interval_minutes: int
    timezone: str
    timestamps: str = "UTC interval start, ISO 8601 with Z"


STUDY_KEYS = ("start", "end", "timezone", "latitude", "longitude", "interval_minutes", "seed")
"""Settings every manifest's ``config`` holds: they rebuild the study's grid."""


class VppsimSection(_Model):
    version: str
    version_id: str | None = Field(
        None,
        description="sha256 of the datasets' version ids and the scenario name; None in "
        "manifests written before version ids.",
    )
    seed: int
    datasets: list[str]
    config: dict[str, Any]
    grid: GridInfo
    python: str
    libraries: dict[str, str]
    raw_files: list[str] = Field(
        default_factory=list, description="Cached live answers under raw/ (relative paths)."
    )

    @field_validator("config")
    @classmethod
    def _study_settings(cls, config: dict[str, Any]) -> dict[str, Any]:
        missing = [key for key in (*STUDY_KEYS, "homes") if key not in config]
        if missing:
            raise ValueError(f"missing study setting(s) {', '.join(missing)}")
        return config


class Manifest(_Model):
    """A dataset's ``datapackage.json``."""

    profile: Literal["data-package"] = "data-package"
    name: str
    title: str
    version: str = MANIFEST_VERSION
    vppsim: VppsimSection
    provenance: dict[str, ProvenanceEntry]
    resources: list[Resource]

    def resources_of(self, dataset: str) -> list[Resource]:
        return [resource for resource in self.resources if resource.dataset == dataset]

    def to_json(self) -> str:
        """The manifest as written: stable key order, two-space indent, UTF-8.

        Empty optional properties of resources and fields are left out (Frictionless
        rejects a null ``format`` or ``encoding``); provenance keeps its nulls.
        """
        values = self.model_dump(mode="json", by_alias=True)
        values["resources"] = [
            resource.model_dump(mode="json", by_alias=True, exclude_none=True)
            for resource in self.resources
        ]
        return json.dumps(values, indent=2, ensure_ascii=False) + "\n"


def home_parts(
    resources: Iterable[Mapping[str, Any]], dataset: str, intervals: int
) -> tuple[list[str], np.ndarray]:
    """The Parquet parts of the per-home ``dataset`` in a manifest's ``resources`` (as JSON),
    in order, and the home id after each one's last. A build writes home ids 0..N-1 in
    order, ``rows / intervals`` homes a part (validated), so the parts holding a set of homes
    are found without opening any.

    Returns
    -------
    paths : list of str
        Relative to the dataset folder.
    ends : ndarray of int64
        ``ends[k]`` is one more than part ``k``'s last home id.
    """
    parts = [
        r
        for r in resources
        if r.get("dataset") == dataset
        and r.get("role", "data") == "data"
        and r["path"].endswith(".parquet")
    ]
    ends = np.cumsum([int(r["rows"]) // max(intervals, 1) for r in parts], dtype=np.int64)
    return [r["path"] for r in parts], ends


def parts_holding(ends: np.ndarray, homes: np.ndarray) -> np.ndarray:
    """The indices of the parts (by :func:`home_parts`' ``ends``) holding home ids
    ``homes``, ascending; ids past the last part are left out."""
    picked = np.unique(np.searchsorted(ends, np.asarray(homes, dtype=np.int64), side="right"))
    return picked[picked < len(ends)]


def read_manifest(root: Path) -> Manifest:
    """The manifest of the dataset folder ``root``.

    Raises
    ------
    ManifestError
        One line: the file is missing, unreadable, or not a vppsim manifest.
    """
    path = Path(root) / MANIFEST
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ManifestError(f"{root} is not a vppsim dataset: no {MANIFEST}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ManifestError(f"cannot read {path}: {exc}") from None
    try:
        return Manifest.model_validate_json(text)
    except ValidationError as exc:
        version = _stated_version(text)
        if version is not None and version != MANIFEST_VERSION:
            raise ManifestError(
                f"{path} was written by an earlier vppsim (manifest {version}, this one reads "
                f"{MANIFEST_VERSION}): build the dataset again"
            ) from None
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise ManifestError(
            f"{path} is not a vppsim manifest ({exc.error_count()} problem(s); first: "
            f"{where}: {first['msg']})"
        ) from None


def _stated_version(text: str) -> str | None:
    """The manifest version a vppsim manifest states, or None for anything else."""
    try:
        values = json.loads(text)
    except ValueError:
        return None
    if isinstance(values, dict) and isinstance(values.get("vppsim"), dict):
        return str(values.get("version"))
    return None
