"""Version ids of datasets: the hash of everything that determines their bytes.

A dataset's id is the sha256 of canonical JSON (sorted keys, no spaces) of: its name and the
vppsim version; the study settings that shape it (period, zone, site, interval, seed, fleet size;
the formats, and for per-home data whether per-home CSVs are written and how many homes go
in a Parquet part); its own settings section (source mode and model parameters); the kind of
source that served it, with the sha256 of the cached raw answers when that was live (the
answers themselves are not hashed: the cache is what a rebuild reads); the sha256 of the
shipped calibration files; and the ids of the datasets it derives from. The whole dataset's
id hashes the datasets' ids and the scenario name. Nothing of the clock, the output folder
or the secrets goes in, so the same study gets the same ids wherever and whenever it is
built. The Python and library versions are recorded beside the ids in the manifest, not
hashed: an upgrade of pyarrow may change the files' metadata bytes without changing a value.

Everything here is pure: settings, specs and digests in, ids and frames out.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

import pandas as pd

from vppsim.dataset.schemas import DatasetSpec

STUDY_SETTINGS = (
    "start",
    "end",
    "timezone",
    "latitude",
    "longitude",
    "interval_minutes",
    "seed",
    "homes",
)
"""The study settings every dataset's values may depend on: its grid, place, seed and fleet
size (every source sees them)."""

SHORT = 12
"""Characters of an id shown in tables."""


def canonical_sha256(value: Any) -> str:
    """sha256 (hex) of ``value`` as canonical JSON: sorted keys, no whitespace, UTF-8."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _layout(config: Mapping[str, Any], spec: DatasetSpec) -> dict[str, Any]:
    """The settings that change a dataset's files but not its values: the formats; and for
    per-home data, the Parquet parts of at most ``chunk_homes`` homes (no more than the
    fleet) and the per-home CSVs, written only within ``csv_homes_limit``."""
    layout: dict[str, Any] = {"formats": config["formats"]}
    if spec.per_home or spec.attributes:
        layout["chunk_homes"] = min(config["chunk_homes"], config["homes"])
    if spec.per_home:
        layout["home_csvs"] = "csv" in config["formats"] and (
            config["homes"] <= config["csv_homes_limit"]
        )
    return layout


def dataset_version_ids(
    config: Mapping[str, Any],
    specs: Mapping[str, DatasetSpec],
    kinds: Mapping[str, str],
    version: str,
    calibrations: Mapping[str, str],
    raw: Mapping[str, str],
) -> dict[str, str]:
    """The version id of each dataset built.

    A dataset's id hashes its values' inputs and its file layout; a dataset derived from
    it takes in only the inputs of its values, so the layout of the load's files (Parquet
    parts, per-home CSVs) does not move the id of the assets drawn from the load's homes.

    Parameters
    ----------
    config : mapping
        The redacted settings as the manifest records them (``Settings.redacted()``).
    specs : mapping
        Each built dataset's spec, in build order (a dataset after those it derives from).
    kinds : mapping
        The kind of source that served each dataset (``live`` or ``synthetic``).
    version : str
        The vppsim version.
    calibrations : mapping
        The shipped calibration files: path -> sha256.
    raw : mapping
        The dataset's cached raw live answers: path under ``raw/`` -> sha256; hashed into
        the ids of the datasets a live source served.

    Returns
    -------
    dict
        Dataset name -> hex sha256, in the order of ``specs``.
    """
    study = {key: config[key] for key in STUDY_SETTINGS}
    values: dict[str, str] = {}
    ids: dict[str, str] = {}
    for name, spec in specs.items():
        values[name] = canonical_sha256(
            {
                "dataset": name,
                "vppsim": version,
                "study": study,
                "settings": config[name],
                "kind": kinds[name],
                "raw": dict(raw) if kinds[name] == "live" else {},
                "calibrations": dict(calibrations),
                "inputs": {dep: values[dep] for dep in spec.depends_on},
            }
        )
        ids[name] = canonical_sha256({"values": values[name], "files": _layout(config, spec)})
    return ids


def study_version_id(
    dataset_ids: Mapping[str, str], scenario: Mapping[str, Any] | str | None
) -> str:
    """The whole dataset's id: its datasets' ids and the scenario (as the manifest records it:
    name, title, description, reference and knobs)."""
    return canonical_sha256({"datasets": dict(dataset_ids), "scenario": scenario})


def flatten(values: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested mappings as one level of dotted names (``market.spin.median_scale``)."""
    flat: dict[str, Any] = {}
    for key, value in values.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping) and value:
            flat |= flatten(value, f"{name}.")
        else:
            flat[name] = value
    return flat


def settings_diff(a: Mapping[str, Any], b: Mapping[str, Any]) -> pd.DataFrame:
    """The settings that differ between two recorded configs (dotted names, sorted).

    Returns
    -------
    DataFrame
        ``setting``, ``a``, ``b``: the values as JSON text (``null`` where one config lacks
        the setting, e.g. one written by another vppsim).
    """
    flat_a, flat_b = flatten(a), flatten(b)
    rows = [
        (name, json.dumps(flat_a.get(name)), json.dumps(flat_b.get(name)))
        for name in sorted(flat_a.keys() | flat_b.keys())
        if flat_a.get(name) != flat_b.get(name) or (name in flat_a) != (name in flat_b)
    ]
    return pd.DataFrame(rows, columns=["setting", "a", "b"])


def version_ids_diff(a: Mapping[str, str | None], b: Mapping[str, str | None]) -> pd.DataFrame:
    """Each dataset's version id in ``a`` and ``b`` (datasets of ``a`` first, then the rest).

    Returns
    -------
    DataFrame
        ``dataset``, ``a``, ``b`` (None where a dataset is absent or its manifest predates
        the ids), ``same`` (both present and equal).
    """
    names = list(dict.fromkeys([*a, *b]))
    rows = []
    for name in names:
        id_a, id_b = a.get(name), b.get(name)
        rows.append((name, id_a, id_b, id_a is not None and id_a == id_b))
    return pd.DataFrame(rows, columns=["dataset", "a", "b", "same"])
