"""Named, derived random streams.

Every random draw in vppsim comes from a generator derived from the study seed and
a *spawn key* naming the dataset (and, for per-home data, the home). A home's series
therefore does not depend on how many homes are built or how they are chunked.
"""

from enum import IntEnum

import numpy as np


class Stream(IntEnum):
    """Stable identifiers of the random streams. Never renumber: data would change."""

    WEATHER = 1
    SOLAR = 2
    MARKET = 3
    LOAD = 4
    HOMES = 5
    GROUP_SAMPLES = 6  # which homes form the random groups of a diversity curve
    # Retired (kept, never renumber): the charts' PV now comes from ASSETS (fleet.assets.draw_pv).
    PV_ADOPTION = 7  # was: which homes the integrated analysis gave rooftop PV, and its size
    SYSTEM = 8  # CAISO system demand, solar and wind
    ASSETS = 9  # each home's PV, battery, thermostat and VPP enrolment (vppsim.fleet.assets)
    FORECAST = 10  # forecast errors and ensemble members (vppsim.forecast)


def stream_rng(seed: int, stream: Stream, *keys: int) -> np.random.Generator:
    """Return the generator for ``stream`` (and optional sub-keys such as a home id).

    Parameters
    ----------
    seed : int
        The study seed.
    stream : Stream
        Which dataset the draws belong to.
    *keys : int
        Further spawn-key entries, e.g. ``home_id``.

    Returns
    -------
    numpy.random.Generator
        A PCG64 generator seeded from ``SeedSequence(seed, spawn_key=(stream, *keys))``.
    """
    sequence = np.random.SeedSequence(seed, spawn_key=(int(stream), *map(int, keys)))
    return np.random.Generator(np.random.PCG64(sequence))
