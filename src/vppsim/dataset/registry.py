"""The sources vppsim ships. Each generator issue registers its live and synthetic sources here."""

from vppsim.dataset.sources import SourceRegistry


def default_registry() -> SourceRegistry:
    """A registry holding every source vppsim ships (market and load land in later issues)."""
    from vppsim.solar.sources import PhysicsSolar, PVWattsSolar
    from vppsim.weather.sources import NsrdbWeather, SyntheticWeather

    return SourceRegistry([SyntheticWeather, NsrdbWeather, PhysicsSolar, PVWattsSolar])
