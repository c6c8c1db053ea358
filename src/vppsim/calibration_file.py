"""The shipped ``calibrated.json`` files of the models: one layout, one reader, one writer."""

from __future__ import annotations

import hashlib
import json
from importlib import resources
from pathlib import Path
from typing import TypeVar

import numpy as np

T = TypeVar("T")

FILE_NAME = "calibrated.json"


def read_calibration(package: str) -> dict:
    """The calibration shipped inside ``package`` (e.g. ``"vppsim.weather"``)."""
    return json.loads(resources.files(package).joinpath(FILE_NAME).read_text("utf-8"))


def calibration_digests() -> dict[str, str]:
    """The sha256 (hex) of every ``calibrated.json`` shipped in vppsim, by path under the
    package (``weather/calibrated.json``): what the version ids hold of the calibrations."""
    root = resources.files("vppsim")
    digests = {}
    pending = [(root, "")]
    while pending:
        folder, prefix = pending.pop()
        for entry in folder.iterdir():
            if entry.is_dir() and not entry.name.startswith("__"):
                pending.append((entry, f"{prefix}{entry.name}/"))
            elif entry.name == FILE_NAME:
                digests[f"{prefix}{entry.name}"] = hashlib.sha256(entry.read_bytes()).hexdigest()
    return dict(sorted(digests.items()))


def dumps_calibration(calibration: dict) -> str:
    """Serialise a calibration: one line per entry, arrays compact, stable across runs."""
    lines = ["{"]
    sections = list(calibration.items())
    for s, (section, entries) in enumerate(sections):
        lines.append(f"  {json.dumps(section)}: {{")
        items = list(entries.items())
        for i, (key, value) in enumerate(items):
            comma = "," if i < len(items) - 1 else ""
            lines.append(
                f"    {json.dumps(key)}: {json.dumps(value, separators=(',', ':'))}{comma}"
            )
        lines.append("  }" + ("," if s < len(sections) - 1 else ""))
    lines.append("}")
    return "\n".join(lines) + "\n"


def write_or_check(path: Path, text: str, check: bool) -> bool:
    """Write a fitted calibration's ``text`` to ``path``, or with ``check`` only compare it with
    the file there; says which on stdout (the fit scripts' output). False when the check finds
    the file missing or different."""
    path = Path(path)
    if check:
        same = path.exists() and path.read_text("utf-8") == text
        print(f"{path.name} is up to date" if same else f"{path.name} differs")
        return same
    path.write_text(text, "utf-8")
    print(f"wrote {path} ({len(text.encode()) / 1024:.1f} kB)")
    return True


def read_only_arrays(parameters: T) -> T:
    """Make the numpy arrays held by ``parameters`` read-only, so a cached instance can be
    shared without one caller changing another's model; returns ``parameters``."""
    for value in vars(parameters).values():
        if isinstance(value, np.ndarray):
            value.flags.writeable = False
    return parameters
