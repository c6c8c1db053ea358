"""Rooftop PV of every home on its own roof: the PVWatts v8 chain of
:func:`vppsim.solar.physics.pvwatts_ac`, broadcast over the fleet's roofs.

The sun is placed once for the whole fleet; each home's output is its roof's AC output per kW
DC times its array size. Homes share one inverter model per DC/AC ratio, so the chain runs
once per distinct ratio (one call for a fleet drawn with one ratio). Like the ``solar``
dataset, interval-average weather is evaluated at each interval's midpoint, so a home facing
south at 20 deg with the reference system's DC/AC ratio produces exactly the ``solar``
dataset times its size.

PV has no state. Its step takes a curtailment limit (what the inverter may deliver) and
returns what it delivers: the available power, cut to the limit.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from vppsim.fleet.assets import Fleet
from vppsim.solar.parameters import SolarParameters
from vppsim.solar.physics import pvwatts_ac, solar_geometry

WEATHER_COLUMNS = ("ghi_w_m2", "dni_w_m2", "dhi_w_m2", "temp_air_c", "wind_speed_m_s")
"""The weather dataset's columns the chain reads [W/m2, W/m2, W/m2, degC, m/s]."""


def simulate(
    fleet: Fleet,
    weather: pd.DataFrame,
    latitude: float,
    longitude: float,
    interval_minutes: int,
    parameters: SolarParameters | None = None,
    altitude: float = 0.0,
    geometry: pd.DataFrame | None = None,
) -> np.ndarray:
    """Available AC output of every home's PV [kW AC].

    Parameters
    ----------
    fleet : Fleet
        The homes; reads ``has_pv``, ``pv_dc_kw`` [kW DC], ``pv_tilt_deg``,
        ``pv_azimuth_deg`` [deg] and ``pv_dc_ac_ratio`` [1].
    weather : pandas.DataFrame
        The weather dataset's rows: ``timestamp`` (UTC interval starts) and
        :data:`WEATHER_COLUMNS`, interval means.
    latitude, longitude : float
        Site [deg N, deg E].
    interval_minutes : int
        Interval length [min]; the sun is placed at each interval's midpoint.
    parameters : SolarParameters, optional
        The chain's system constants (losses, temperature model, ...); each home's DC/AC
        ratio replaces ``dc_ac_ratio``. Defaults to PVWatts v8's roof mount.
    altitude : float, default 0.0
        Site elevation [m].
    geometry : pandas.DataFrame, optional
        :func:`~vppsim.solar.physics.solar_geometry` of the interval midpoints, when the
        caller has it (the sun's position does not change between forecast members).

    Returns
    -------
    numpy.ndarray
        Shape (T, H): one column per home in fleet order [kW AC]; zero for homes without PV
        and at night.
    """
    parameters = SolarParameters() if parameters is None else parameters
    times = pd.DatetimeIndex(weather["timestamp"]) + pd.Timedelta(minutes=interval_minutes / 2)
    output = np.zeros((len(times), len(fleet)))
    homes = np.flatnonzero(fleet.has_pv)
    if homes.size == 0:
        return output
    drive = [weather[column].to_numpy(dtype=float) for column in WEATHER_COLUMNS]
    if geometry is None:
        geometry = solar_geometry(times, latitude, longitude, altitude)
    ratios = fleet.pv_dc_ac_ratio[homes].astype(float)
    for ratio in np.unique(ratios):
        group = homes[ratios == ratio]
        per_kw = pvwatts_ac(
            times,
            *drive,
            latitude,
            longitude,
            fleet.pv_tilt_deg[group].astype(float),
            fleet.pv_azimuth_deg[group].astype(float),
            parameters.model_copy(update={"dc_ac_ratio": float(ratio)}),
            geometry=geometry,
        )
        output[:, group] = per_kw * fleet.pv_dc_kw[group].astype(float)
    return output


def step(
    state: None, action: np.ndarray | None, exogenous_t: np.ndarray
) -> tuple[None, np.ndarray, dict[str, Any]]:
    """One interval of PV: deliver the available power, cut to the curtailment limit.

    Parameters
    ----------
    state : None
        PV has no state.
    action : numpy.ndarray or None
        Curtailment limit per home [kW AC], what each inverter may deliver; None: no limit.
    exogenous_t : numpy.ndarray
        Available output per home this interval [kW AC] (a row of :func:`simulate`).

    Returns
    -------
    state : None
    applied : numpy.ndarray
        Delivered output per home [kW AC], ``min(available, max(limit, 0))``.
    info : dict
        ``requested`` (the limit, +inf without one) and ``applied`` [kW AC], ``curtailed_kw``
        (available less delivered) and ``violations``: ``negative_limit``, the count of
        homes asked for a negative limit (applied as zero).
    """
    available = np.asarray(exogenous_t, dtype=float)
    requested = np.full_like(available, np.inf) if action is None else np.asarray(action, float)
    applied = np.minimum(available, np.maximum(requested, 0.0))
    info = {
        "requested": requested,
        "applied": applied,
        "curtailed_kw": available - applied,
        "violations": {"negative_limit": int(np.count_nonzero(requested < 0))},
    }
    return None, applied, info
