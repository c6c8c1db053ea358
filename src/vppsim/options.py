"""Per-dataset options: how a dataset is sourced, plus its model's parameters.

Each dataset declares one options model (a subclass of :class:`DatasetOptions`, usually
combined with its model's parameters); the settings hold one section per dataset, so
``market.source``, ``market.gas_price`` or ``weather.heat_event_starts_per_month`` are set
from TOML sections, ``VPPSIM_MARKET__SOURCE`` variables, ``--set market.source=live`` or
``DataCollector(market={"source": "live"})``.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TypeVar

from pydantic import BaseModel, ConfigDict, Field

P = TypeVar("P", bound=BaseModel)


class SourceMode(StrEnum):
    """How a dataset is sourced."""

    AUTO = "auto"
    """Live if reachable, else synthetic; the fallback and its reason are recorded."""
    LIVE = "live"
    """Live only: fail rather than fall back."""
    SYNTHETIC = "synthetic"
    """Synthetic only: never touch the network."""


class DatasetOptions(BaseModel):
    """What every dataset's section holds: the source mode and, if several, the live source."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    source: SourceMode = Field(
        SourceMode.AUTO,
        description="auto: live if reachable, else synthetic (the reason is recorded); "
        "live: fail rather than fall back; synthetic: never touch the network.",
    )
    live: str | None = Field(
        None,
        description="Which live source, when the dataset has several (default: the first).",
    )

    def parameters(self, model: type[P]) -> P:
        """The part of this section that is ``model`` (a model's parameters), as that model."""
        return model.model_validate(self.model_dump(include=set(model.model_fields)))
