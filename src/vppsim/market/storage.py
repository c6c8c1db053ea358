"""The CAISO battery fleet: installed power by date, one table for every price model.

The energy model (:func:`vppsim.market.synthetic.storage_shift`) lets the fleet flatten each
day's residual load; the ancillary-service model (:mod:`vppsim.market.ancillary`) prices
reserves lower as the fleet that offers them grows. Both read :func:`storage_capacity`, and a
scenario overrides both through one setting, ``market.storage_mw``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

STORAGE_MW: dict[str, float] = {
    "2019-12-31": 250.0,
    "2020-07-01": 500.0,
    "2021-12-31": 2500.0,
    "2023-05-01": 5000.0,
    "2023-07-01": 5600.0,
    "2024-01-01": 7100.0,
    "2024-10-01": 10219.0,
    "2024-12-31": 12000.0,
    "2025-06-30": 13100.0,
    "2025-09-30": 14700.0,
}
"""Installed battery power in the CAISO balancing area [MW] on given dates (UTC midnight),
linear in time between them and held flat before the first and after the last.

Sources: about 500 MW in mid 2020, 5,000 MW in May 2023 and 5,600 MW on 1 Jul 2023 (CAISO news
release, 13 Jul 2023, quoted in https://world-energy.org/article/34393.html); 7,100 MW at the
start of 2024 and 10,219 MW on 1 Oct 2024 (CAISO Key Statistics, Sep 2024, quoted in
https://pv-magazine.com/2024/10/14/california-crosses-10-gw-utility-battery-storage-threshold);
about 12,000 MW at the end of 2024 (CAISO's Master Control Area Generating Capability List, in
https://modoenergy.com/research/caiso-battery-energy-storage-california-capacity-rated-power-pipeline-buildout-congestion-zone-2024-2025);
14,700 MW on 30 Sep 2025 after 1,600 MW added in Q3 2025, hence 13,100 MW on 30 Jun 2025
(https://modoenergy.com/research/caiso-battery-buildout-long-duration-bess-hybrid-colocated).
The end-2019 (250 MW) and end-2021 (2,500 MW) points are approximate readings of CAISO's
battery special reports; the fleet grew roughly tenfold between them."""


def storage_capacity(instants: pd.DatetimeIndex) -> np.ndarray:
    """Installed battery power at each of ``instants`` [MW] (:data:`STORAGE_MW`).

    Parameters
    ----------
    instants : pandas.DatetimeIndex
        Timezone-aware instants, or naive local dates (read as UTC midnights: the table moves
        by a few MW a day, far less than any hour's offset matters).

    Returns
    -------
    numpy.ndarray
        float64, one value per instant [MW].
    """
    index = pd.DatetimeIndex(instants)
    if index.tz is not None:
        index = index.tz_convert("UTC").tz_localize(None)
    dates = pd.DatetimeIndex(list(STORAGE_MW)).as_unit("ns").asi8.astype(float)
    values = np.array(list(STORAGE_MW.values()), dtype=float)
    return np.interp(index.as_unit("ns").asi8.astype(float), dates, values)
