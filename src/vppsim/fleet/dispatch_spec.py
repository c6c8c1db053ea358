"""What a dispatch is, apart from the solver: its strategies, the AS products and their energy
durations, its settings, and the layout of what ``vppsim dispatch`` writes in a dataset.

Kept light (no LP solver) so that the assets' ``operational_constraints.json``, a rebuild and
the dashboard read the same durations, folder and file names as the command that writes them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

Strategy = Literal["none", "rule", "lp"]
STRATEGIES: tuple[Strategy, ...] = ("none", "rule", "lp")
PRODUCTS = ("regup", "regdown", "spin", "nonspin")
"""AS products, in the column order of :attr:`Market.ancillary` (prices ``<name>_price``)."""
UP = np.array([True, False, True, True])
"""Which products of :data:`PRODUCTS` are upward (discharge)."""
REGULATION = np.array([True, True, False, False])


class DispatchSettings(BaseModel):
    """The dispatch's assumptions (not the assets: those are :class:`HomeAssets`)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    initial_soc: float = Field(
        0.5,
        ge=0.0,
        le=1.0,
        description="State of charge at the start, share of usable energy [1]; raised to the "
        "backup reserve where that is higher.",
    )
    regulation_hours: float = Field(
        1.0,
        gt=0.0,
        le=4.0,
        description="Energy duration of a regulation award [h]: 60 min, CAISO tariff section "
        "8.4.1.1(g): regulation offered in the day-ahead market must be dispatchable on a "
        "continuous basis for at least 60 minutes (30 in real time).",
    )
    reserve_hours: float = Field(
        0.5,
        gt=0.0,
        le=4.0,
        description="Energy duration of a spinning or non-spinning award [h]: 30 min, CAISO "
        "tariff section 8.4.3 (reserve output maintained for at least 30 minutes).",
    )
    regulation_throughput_share: float = Field(
        0.0,
        ge=0.0,
        le=1.0,
        description="Share of a regulation award's energy charged as discharged throughput "
        "[1] (assumption: 0, a zero-mean signal).",
    )
    comfort_penalty_usd_per_kh: float = Field(
        1.0,
        ge=0.0,
        le=1e4,
        description="Price of one degree-hour outside the comfort band [$/K-h] (a modelling "
        "weight, not a market price).",
    )
    peak_hours: tuple[int, int] = Field(
        (16, 21),
        description="Local hours [start, end) of the rule's evening discharge: the 4-9 pm "
        "peak of the California utilities' time-of-use rates (e.g. SCE TOU-D-4-9PM).",
    )
    simultaneous_tolerance_kw: float = Field(
        1e-6, gt=0.0, description="Power below which a flow counts as zero [kW]."
    )

    @model_validator(mode="after")
    def _peak(self) -> DispatchSettings:
        start, end = self.peak_hours
        if not 0 <= start < end <= 24:
            raise ValueError(f"peak_hours={self.peak_hours}: need 0 <= start < end <= 24")
        return self

    def durations(self) -> np.ndarray:
        """Energy duration of each product of :data:`PRODUCTS` [h]."""
        return np.where(REGULATION, self.regulation_hours, self.reserve_hours)


DISPATCH_FOLDER = "dispatch"
"""Where ``vppsim dispatch`` writes inside a dataset, a folder per strategy."""
HOMES_FOLDER = "homes"
"""A strategy's per-home schedules, ``homes/part-{k:05d}.parquet``."""
FLEET_FILE = "fleet.parquet"
KPIS_FILE = "kpis.parquet"
SUMMARY_FILE = "summary.json"
STRATEGY_FILES = (SUMMARY_FILE, FLEET_FILE, KPIS_FILE)
"""The files of a strategy's folder besides its homes parts."""
OWNER = "vppsim dispatch"
"""``summary.json``'s ``written_by``: marks a folder this command may replace."""


def is_dispatch_output(folder: Path) -> bool:
    """Whether the strategy ``folder`` holds only what ``vppsim dispatch`` writes."""
    try:
        summary = json.loads((folder / SUMMARY_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    if not isinstance(summary, dict) or summary.get("written_by") != OWNER:
        return False
    if {p.name for p in folder.iterdir()} - {*STRATEGY_FILES, HOMES_FOLDER}:
        return False
    homes = folder / HOMES_FOLDER
    return not homes.exists() or all(
        p.is_file() and p.name.startswith("part-") and p.suffix == ".parquet"
        for p in homes.iterdir()
    )


def dispatch_files(folder: Path) -> set[str]:
    """The files ``vppsim dispatch`` wrote under a dataset's ``dispatch/`` ``folder``
    (relative to it): a rebuild counts them as vppsim's and leaves them out, since they were
    computed from the data it replaces."""
    return {
        str(path.relative_to(folder))
        for strategy in folder.iterdir()
        if strategy.is_dir() and not strategy.is_symlink() and is_dispatch_output(strategy)
        for path in strategy.rglob("*")
        if path.is_file()
    }
