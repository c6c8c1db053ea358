"""What a study will cost this machine, estimated before anything is built.

A study is refused up front (unless forced) when its estimated disk use exceeds the free
space beside the output, or its peak memory exceeds the memory available. Per-home data
is generated a chunk of homes at a time, and the chunk shrinks as the period grows, so
peak memory stays bounded whatever the period or fleet size.
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from vppsim.config import OutputFormat, Settings
from vppsim.errors import ConfigError

if TYPE_CHECKING:
    from vppsim.dataset.schemas import DatasetSpec

HOME_INTERVALS_PER_CHUNK = 8_000_000
"""Most home-intervals generated at once: the load model holds ~150 B per home-interval
while it runs, so a chunk stays near 1.2 GB whatever the period."""

BYTES_IN_MEMORY = {"home_interval": 150.0, "table_interval": 4_000.0}
"""Peak memory per home-interval of a chunk and per interval of the table datasets [B]
(measured with benchmarks/bench_build.py: the load model and the weather model)."""

BYTES_ON_DISK = {"parquet": 5.0, "csv": 32.0, "table_interval": 400.0}
"""Disk per home-interval (zstd Parquet, CSV) and per interval of all tables [B]
(measured on the default build)."""


@dataclass(frozen=True)
class Estimate:
    """A study's estimated peak memory and disk use [B]."""

    memory_bytes: float
    disk_bytes: float


def homes_per_chunk(settings: Settings, intervals: int) -> int:
    """Homes generated per chunk: ``chunk_homes``, fewer when the period is long."""
    return max(1, min(settings.chunk_homes, HOME_INTERVALS_PER_CHUNK // max(intervals, 1)))


def estimate(
    settings: Settings, specs: Sequence[DatasetSpec], intervals: int, written: int
) -> Estimate:
    """Estimated peak memory and disk use of building ``specs`` for ``settings``, simulated
    on ``intervals`` intervals and written on ``written``."""
    per_home = any(spec.per_home for spec in specs)
    tables = sum(not spec.per_home for spec in specs)
    chunk = homes_per_chunk(settings, intervals) if per_home else 0
    memory = intervals * (
        BYTES_IN_MEMORY["table_interval"] + chunk * BYTES_IN_MEMORY["home_interval"]
    )
    disk = written * BYTES_ON_DISK["table_interval"] * tables / 4
    if per_home:
        if OutputFormat.PARQUET in settings.formats:
            disk += written * settings.homes * BYTES_ON_DISK["parquet"]
        if settings.writes_home_csvs:
            disk += written * settings.homes * BYTES_ON_DISK["csv"]
    return Estimate(memory, disk)


def available_memory_bytes() -> float:
    """``MemAvailable`` of this machine [B] (infinite where it cannot be read)."""
    try:
        with open("/proc/meminfo", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("MemAvailable:"):
                    return float(line.split()[1]) * 1024
    except OSError:
        pass
    return float("inf")


def _free_disk_bytes(target: Path) -> float:
    folder = Path(target).absolute()
    while not folder.exists():
        folder = folder.parent
    return float(shutil.disk_usage(folder).free)


def format_bytes(value: float) -> str:
    """A size in SI units, e.g. ``22.6 MB``."""
    for unit in ("B", "kB", "MB", "GB", "TB", "PB"):
        if value < 1000 or unit == "PB":
            return f"{value:,.0f} {unit}" if unit == "B" else f"{value:,.1f} {unit}"
        value /= 1000
    raise AssertionError("unreachable")


def check_budget(
    settings: Settings,
    specs: Sequence[DatasetSpec],
    intervals: int,
    written: int,
    target: Path,
    force: bool = False,
) -> Estimate:
    """Refuse a study beyond this machine's memory or disk (unless ``force``).

    Raises
    ------
    ConfigError
        One line with the estimate and what is available.
    """
    needed = estimate(settings, specs, intervals, written)
    problems = []
    memory = available_memory_bytes()
    if needed.memory_bytes > memory:
        problems.append(
            f"needs about {format_bytes(needed.memory_bytes)} of memory, "
            f"{format_bytes(memory)} is available"
        )
    disk = _free_disk_bytes(target)
    if needed.disk_bytes > disk:
        problems.append(
            f"writes about {format_bytes(needed.disk_bytes)}, {format_bytes(disk)} is free"
        )
    if problems and not force:
        raise ConfigError(
            f"study too large for this machine: {'; '.join(problems)} "
            f"({settings.homes:,} homes, {settings.start} to {settings.end}); "
            "shorten it, use fewer homes or formats=parquet, or --force"
        )
    return needed
