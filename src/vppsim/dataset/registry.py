"""The sources vppsim ships. Each generator issue registers its live and synthetic sources here."""

from vppsim.dataset.sources import SourceRegistry


def default_registry() -> SourceRegistry:
    """A registry holding every source vppsim ships (none yet: the generators land next)."""
    return SourceRegistry([])
