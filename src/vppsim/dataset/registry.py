"""The sources vppsim ships, live and synthetic, for every dataset."""

from vppsim.dataset.sources import SourceRegistry


def default_registry() -> SourceRegistry:
    """A registry holding every source vppsim ships."""
    from vppsim.load.sources import SyntheticLoad
    from vppsim.market.sources import CaisoMarket, SyntheticMarket
    from vppsim.solar.sources import PhysicsSolar, PVWattsSolar
    from vppsim.weather.sources import NsrdbWeather, SyntheticWeather

    return SourceRegistry(
        [
            SyntheticWeather,
            NsrdbWeather,
            PhysicsSolar,
            PVWattsSolar,
            SyntheticMarket,
            CaisoMarket,
            SyntheticLoad,
        ]
    )
