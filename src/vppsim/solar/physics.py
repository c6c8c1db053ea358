"""The PVWatts v8 physics chain for fixed rooftop arrays, built from pvlib functions.

One call evaluates the sun once and then broadcasts N fixed systems over the sunlit steps with
numpy, so a fleet of differently oriented roofs costs little more than one roof.

The steps and the PVWatts v8 conventions they follow (SAM ``cmod_pvwattsv8``, ``lib_irradproc``,
``lib_pv_incidence_modifier``, ``lib_cec6par``, as shipped in ``nrel-pysam`` 7.1):

1. Sun position: NREL SPA, apparent (refraction-corrected) zenith. For interval-average
   weather the sun is placed at each interval's midpoint, except that an interval holding
   sunrise (sunset) takes the midpoint of its sunlit part, as SAM's irradiance processor does
   for hourly files.
2. Transposition: Perez (1990 coefficients) for sky diffuse, isotropic ground reflection.
3. Cover: De Soto's physical transmittance model. The beam passes an anti-reflective coating
   (n = 1.3) on 2 mm glass (n = 1.526, K = 4 /m); sky and ground diffuse pass plain glass at
   the Brandemuehl-Beckman equivalent angles. All three are divided by the coated glass's
   normal-incidence transmittance and capped at 1.
4. Spectrum: De Soto's air-mass modifier, zenith capped at 86 deg.
5. Cell temperature: NOCT-SAM, NOCT 49 degC on a roof and 45 degC on a rack, wind factor 0.51.
6. DC: pvlib's PVWatts model at -0.37 %/degC, then the 14.08 % system losses.
7. AC: pvlib's PVWatts inverter at 96 % nominal, clipped at the AC rating (DC/AC 1.2).

The system and model constants are :class:`vppsim.solar.parameters.SolarParameters`.

PVWatts v8 itself runs a CEC single-diode model of a 320 W module in step 6 and a Sandia
inverter (self-consumption 0.49 % of the AC rating) in step 7. The linear PVWatts forms used
here read 0.4-0.9 % higher per month, 0.6 % a year, than PySAM's Pvwattsv8 on the Santa Ana and
Long Beach TMY files (``tests/test_solar_physics.py``); about 0.15 % of that is the DC model and
0.4 % the inverter.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pvlib

from vppsim.solar.parameters import SolarParameters

__all__ = [
    "DESOTO_AIRMASS_COEFFICIENTS",
    "cover_iam_beam",
    "cover_iam_diffuse",
    "pvwatts_ac",
    "solar_geometry",
]

# De Soto, Klein & Beckman (2006) air-mass modifier, coefficients A0..A4.
DESOTO_AIRMASS_COEFFICIENTS = (0.918093, 0.086257, -0.024459, 0.002816, -0.000126)

_GLASS_EXTINCTION = 4.0  # [1/m]
_GLASS_THICKNESS = 0.002  # [m]
_COATING_EXTINCTION = 4.0  # [1/m]
_COATING_THICKNESS = 0.002 * 0.01  # [m], SAM assumes 1 % of the glass
_AOI_LIMITS = (1.0, 89.0)  # [deg], where SAM clamps the beam angle before the cover model
_SPECTRAL_ZENITH_LIMIT = 86.0  # [deg], where SAM caps the zenith for the air-mass modifier
_SUN_COLUMNS = ("apparent_zenith", "azimuth", "dni_extra", "airmass_relative", "airmass_absolute")
_BLOCK_ELEMENTS = 1 << 20


def solar_geometry(
    times: pd.DatetimeIndex,
    latitude: float,
    longitude: float,
    altitude: float = 0.0,
    interval: pd.Timedelta | str | None = None,
) -> pd.DataFrame:
    """Sun position and extraterrestrial DNI at `times` (computed once, shared by all systems).

    Parameters
    ----------
    times : pandas.DatetimeIndex
        Timezone-aware instants. For interval-average weather pass the interval midpoints.
    latitude, longitude : float
        Site [deg], north and east positive.
    altitude : float, default 0.0
        Site elevation [m]; sets the pressure for refraction.
    interval : pandas.Timedelta or str, optional
        Length of the averaging interval centred on each of `times`. When given, an interval
        that holds sunrise or sunset is evaluated at the midpoint of its sunlit part and counts
        as sun-up, as PVWatts does for hourly weather files; otherwise the sun is up where its
        apparent zenith is below 90 deg.

    Returns
    -------
    pandas.DataFrame
        Indexed by `times`, with ``apparent_zenith``, ``zenith``, ``azimuth`` [deg],
        ``dni_extra`` [W/m2], ``airmass_relative`` [-] (Kasten-Young, NaN below the horizon),
        ``airmass_absolute`` [-] (pressure-corrected, zenith capped at 86 deg for the spectral
        model), ``sun_up`` [bool] and ``position_time``, the instant the sun was evaluated at.
    """
    times = _check_times(times)
    position_times = times
    transition = np.zeros(len(times), dtype=bool)
    if interval is not None:
        step = pd.Timedelta(interval)
        if step <= pd.Timedelta(0):
            raise ValueError(f"interval must be positive, not {interval!r}")
        position_times, transition = _sunlit_midpoints(times, step, latitude, longitude)

    position = pvlib.solarposition.get_solarposition(position_times, latitude, longitude, altitude)
    apparent_zenith = position["apparent_zenith"].to_numpy(dtype=float)
    sun_up = (apparent_zenith < 90.0) | transition
    with np.errstate(invalid="ignore"):
        airmass = pvlib.atmosphere.get_relative_airmass(apparent_zenith)
        # PVWatts caps the zenith for its spectral model, which keeps the air-mass polynomial
        # off its negative tail in the sunrise and sunset steps.
        airmass_absolute = pvlib.atmosphere.get_absolute_airmass(
            pvlib.atmosphere.get_relative_airmass(
                np.minimum(apparent_zenith, _SPECTRAL_ZENITH_LIMIT)
            ),
            pvlib.atmosphere.alt2pres(altitude),
        )
    dni_extra = pvlib.irradiance.get_extra_radiation(position_times)
    return pd.DataFrame(
        {
            "apparent_zenith": apparent_zenith,
            "zenith": position["zenith"].to_numpy(dtype=float),
            "azimuth": position["azimuth"].to_numpy(dtype=float),
            "dni_extra": np.asarray(dni_extra, dtype=float),
            "airmass_relative": np.asarray(airmass, dtype=float),
            "airmass_absolute": np.asarray(airmass_absolute, dtype=float),
            "sun_up": sun_up,
            "position_time": position_times,
        },
        index=times,
    )


def pvwatts_ac(
    times: pd.DatetimeIndex,
    ghi,
    dni,
    dhi,
    temp_air,
    wind_speed,
    latitude: float,
    longitude: float,
    tilt,
    azimuth,
    parameters: SolarParameters | None = None,
    geometry: pd.DataFrame | None = None,
    altitude: float = 0.0,
    interval: pd.Timedelta | str | None = None,
) -> np.ndarray:
    """AC output per kW of DC capacity [kW/kW] of one or many fixed systems.

    Parameters
    ----------
    times : pandas.DatetimeIndex
        Timezone-aware instants where the sun position is evaluated; pass interval midpoints
        for interval-average irradiance.
    ghi, dni, dhi : array-like
        Global horizontal, direct normal and diffuse horizontal irradiance [W/m2], one value
        per step (positional; a Series index is ignored).
    temp_air : array-like
        Air temperature [degC].
    wind_speed : array-like
        Wind speed at 10 m [m/s]; negative values count as calm.
    latitude, longitude : float
        Site [deg], north and east positive.
    tilt, azimuth : float or 1-D array-like
        Surface tilt from horizontal and azimuth clockwise from north [deg]. Scalars give one
        system; equal-length 1-D arrays give N systems.
    parameters : SolarParameters, optional
        System and model constants; PVWatts v8 standard roof mount by default.
    geometry : pandas.DataFrame, optional
        :func:`solar_geometry` for `times`, to share one sun position between calls. When given,
        `altitude` and `interval` are not used.
    altitude : float, default 0.0
        Site elevation [m].
    interval : pandas.Timedelta or str, optional
        Averaging interval around each of `times`; enables PVWatts' sunrise/sunset-interval
        handling (see :func:`solar_geometry`).

    Returns
    -------
    numpy.ndarray
        AC power per kW DC [kW/kW], shape (T,) for scalar `tilt` and `azimuth`, else (T, N).
        Exactly 0.0 where the sun is down, never negative, never above
        ``parameters.ac_limit``. Daytime NaN weather gives NaN.
    """
    parameters = SolarParameters() if parameters is None else parameters
    times = _check_times(times)
    n_steps = len(times)
    weather = [
        _series_values(name, value, n_steps)
        for name, value in zip(
            ("ghi", "dni", "dhi", "temp_air", "wind_speed"),
            (ghi, dni, dhi, temp_air, wind_speed),
            strict=True,
        )
    ]
    tilts, azimuths, scalar = _orientations(tilt, azimuth)
    if geometry is None:
        geometry = solar_geometry(times, latitude, longitude, altitude, interval=interval)
    elif len(geometry) != n_steps or not np.array_equal(
        pd.DatetimeIndex(geometry.index).as_unit("ns").asi8, times.asi8
    ):
        raise ValueError("geometry must be solar_geometry() of the same times")

    power = np.zeros((n_steps, tilts.size))
    rows = np.flatnonzero(geometry["sun_up"].to_numpy(dtype=bool))
    sun = [geometry[column].to_numpy(dtype=float) for column in _SUN_COLUMNS]
    # Night rows are never computed; day rows go in blocks so the (rows, N) temporaries stay
    # around 8 MB each whatever the fleet size.
    block = max(1, _BLOCK_ELEMENTS // tilts.size)
    for begin in range(0, rows.size, block):
        part = rows[begin : begin + block]
        power[part] = _daytime_ac(
            *(values[part, None] for values in sun),
            *(values[part, None] for values in weather),
            tilts[None, :],
            azimuths[None, :],
            parameters,
        )
    return power[:, 0] if scalar else power


def cover_iam_beam(
    aoi, glass_index: float = 1.526, coating_index: float | None = 1.3
) -> np.ndarray:
    """Beam incidence-angle modifier of PVWatts v8's module cover [-].

    De Soto's physical model: Fresnel reflection at each interface and Bouguer absorption in
    the layer, through an optional anti-reflective coating and then 2 mm of glass. As in SAM,
    the result is divided by the coated cover's normal transmittance, computed with the glass
    interface taken against air, and capped at 1; the angle is clamped to [1, 89] deg.

    Parameters
    ----------
    aoi : array-like
        Angle of incidence [deg].
    glass_index : float, default 1.526
        Refractive index of the glass [-].
    coating_index : float or None, default 1.3
        Refractive index of the anti-reflective coating [-]; ``None`` for plain glass.

    Returns
    -------
    numpy.ndarray
        Modifier in [0, 1].
    """
    theta = np.clip(np.asarray(aoi, dtype=float), *_AOI_LIMITS)
    tau_normal = _normal_transmittance(glass_index, coating_index)
    if coating_index is None:
        tau = _transmittance(theta, glass_index, 1.0, _GLASS_EXTINCTION, _GLASS_THICKNESS)[0]
    else:
        tau_coating, refracted = _transmittance(
            theta, coating_index, 1.0, _COATING_EXTINCTION, _COATING_THICKNESS
        )
        tau_glass = _transmittance(
            refracted, glass_index, coating_index, _GLASS_EXTINCTION, _GLASS_THICKNESS
        )[0]
        tau = tau_coating * tau_glass
    return np.minimum(tau / tau_normal, 1.0)


def cover_iam_diffuse(
    surface_tilt, glass_index: float = 1.526, coating_index: float | None = 1.3
) -> tuple[np.ndarray, np.ndarray]:
    """Sky- and ground-diffuse incidence-angle modifiers of PVWatts v8's module cover [-].

    Plain glass evaluated at the Brandemuehl-Beckman equivalent angles (Duffie & Beckman
    eqs. 5.4.1-5.4.2), divided by the same normal transmittance as :func:`cover_iam_beam` and
    capped at 1.

    Parameters
    ----------
    surface_tilt : array-like
        Surface tilt [deg].
    glass_index, coating_index : float
        As for :func:`cover_iam_beam`.

    Returns
    -------
    sky, ground : numpy.ndarray
        Modifiers for sky diffuse and ground-reflected irradiance.
    """
    tilt = np.asarray(surface_tilt, dtype=float)
    tau_normal = _normal_transmittance(glass_index, coating_index)
    sky_angle = 59.7 - 0.1388 * tilt + 0.001497 * tilt**2
    ground_angle = 90.0 - 0.5788 * tilt + 0.002693 * tilt**2
    sky, ground = (
        _transmittance(angle, glass_index, 1.0, _GLASS_EXTINCTION, _GLASS_THICKNESS)[0]
        for angle in (sky_angle, ground_angle)
    )
    return np.minimum(sky / tau_normal, 1.0), np.minimum(ground / tau_normal, 1.0)


def _daytime_ac(
    zenith,
    solar_azimuth,
    dni_extra,
    airmass,
    airmass_absolute,
    ghi,
    dni,
    dhi,
    temp_air,
    wind_speed,
    tilt,
    azimuth,
    parameters,
):
    """AC [kW/kW] on sunlit steps: sun and weather columns (T, 1), orientations (1, N)."""
    cos_aoi = pvlib.irradiance.aoi_projection(tilt, azimuth, zenith, solar_azimuth)
    aoi = np.degrees(np.arccos(cos_aoi))
    # A sunrise or sunset interval can put the sun a little below the horizon; no beam then.
    poa_direct = np.where(zenith < 90.0, np.maximum(dni * cos_aoi, 0.0), 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        poa_sky = pvlib.irradiance.perez(
            tilt, azimuth, dhi, dni, dni_extra, zenith, solar_azimuth, airmass
        )
    # Perez is undefined without diffuse light (0/0 clearness); the sky term is then zero.
    poa_sky = np.where(dhi > 0, poa_sky, 0.0)
    poa_ground = pvlib.irradiance.get_ground_diffuse(tilt, ghi, parameters.albedo)
    poa_global = poa_direct + poa_sky + poa_ground

    iam_sky, iam_ground = cover_iam_diffuse(tilt, parameters.glass_index, parameters.coating_index)
    iam_direct = cover_iam_beam(aoi, parameters.glass_index, parameters.coating_index)
    transmitted = poa_direct * iam_direct + poa_sky * iam_sky + poa_ground * iam_ground

    coefficients = dict(
        zip(("A0", "A1", "A2", "A3", "A4"), DESOTO_AIRMASS_COEFFICIENTS, strict=True)
    )
    spectral = pvlib.spectrum.spectral_factor_sapm(airmass_absolute, coefficients)
    effective = transmitted * spectral

    with np.errstate(invalid="ignore", divide="ignore"):
        temp_cell = pvlib.temperature.noct_sam(
            poa_global,
            temp_air,
            np.maximum(wind_speed, 0.0),
            parameters.noct,
            parameters.module_efficiency,
            effective_irradiance=effective,
            transmittance_absorptance=parameters.transmittance_absorptance,
            array_height=1,  # wind factor 0.51, as PVWatts v8 assumes for every mount
            mount_standoff=4.0,  # no NOCT adjustment: the array type already sets the NOCT
        )
    # With nothing absorbed the cell sits at air temperature (and 0/0 above gave NaN).
    temp_cell = np.where(effective > 0, temp_cell, temp_air)

    dc = pvlib.pvsystem.pvwatts_dc(effective, temp_cell, 1.0, parameters.gamma_pdc)
    dc = np.maximum(dc, 0.0) * (1.0 - parameters.losses_percent / 100.0)
    ac = pvlib.inverter.pvwatts(
        dc, parameters.ac_limit / parameters.inverter_efficiency, parameters.inverter_efficiency
    )
    return np.minimum(np.maximum(ac, 0.0), parameters.ac_limit)


def _transmittance(theta, n_cover, n_incoming, extinction, thickness):
    """Fresnel-and-Bouguer transmittance through one layer and the refraction angle [deg]."""
    theta1 = np.radians(theta)
    theta2 = np.arcsin(n_incoming / n_cover * np.sin(theta1))
    reflectance = 0.5 * (
        np.sin(theta2 - theta1) ** 2 / np.sin(theta2 + theta1) ** 2
        + np.tan(theta2 - theta1) ** 2 / np.tan(theta2 + theta1) ** 2
    )
    tau = (1.0 - reflectance) * np.exp(-extinction * thickness / np.cos(theta2))
    return tau, np.degrees(theta2)


def _normal_transmittance(glass_index: float, coating_index: float | None) -> float:
    """Cover transmittance at 1 deg, SAM's stand-in for normal incidence."""
    theta = 1.0
    tau = 1.0
    if coating_index is not None:
        tau, theta = _transmittance(
            1.0, coating_index, 1.0, _COATING_EXTINCTION, _COATING_THICKNESS
        )
    # SAM takes the glass interface against air here even under a coating, so coated beam
    # transmittance exceeds this up to ~55 deg and the beam modifier sits at its cap of 1.
    tau_glass = _transmittance(theta, glass_index, 1.0, _GLASS_EXTINCTION, _GLASS_THICKNESS)[0]
    return float(tau * tau_glass)


def _sunlit_midpoints(times, step, latitude, longitude):
    """Sun-position instants for intervals of length `step` centred on `times`.

    Returns the instants and a mask of intervals that hold a sunrise or sunset. Such an
    interval is evaluated at the midpoint of its sunlit part: (sunrise + end) / 2 or
    (start + sunset) / 2, sunrise and sunset being SPA's (upper limb, standard refraction).
    """
    days = times.normalize().unique()
    # Neighbouring days too: in a far-off timezone a local interval can meet yesterday's sunset.
    days = days.union(days - pd.Timedelta(days=1)).union(days + pd.Timedelta(days=1))
    events = pvlib.solarposition.sun_rise_set_transit_spa(
        days + pd.Timedelta(hours=12), latitude, longitude
    )
    rises, sets = (
        np.unique(pd.DatetimeIndex(events[column]).dropna().as_unit("ns").asi8)
        for column in ("sunrise", "sunset")
    )
    centre = times.asi8
    half = step.value // 2
    start, end = centre - half, centre + half
    position = centre.copy()
    transition = np.zeros(len(times), dtype=bool)
    if rises.size:
        # SAM's test: sunrise in (start, end]
        k = np.minimum(np.searchsorted(rises, start, side="right"), rises.size - 1)
        rise = rises[k]
        has_rise = (rise > start) & (rise <= end)
        position = np.where(has_rise, rise + (end - rise) // 2, position)
        transition |= has_rise
    if sets.size:
        # sunset in [start, end), unless the interval already holds a sunrise
        k = np.minimum(np.searchsorted(sets, start, side="left"), sets.size - 1)
        sunset = sets[k]
        has_set = (sunset >= start) & (sunset < end) & ~transition
        position = np.where(has_set, start + (sunset - start) // 2, position)
        transition |= has_set
    instants = pd.DatetimeIndex(pd.to_datetime(position, unit="ns", utc=True)).tz_convert(times.tz)
    return instants, transition


def _check_times(times) -> pd.DatetimeIndex:
    times = pd.DatetimeIndex(times)
    if times.tz is None:
        raise ValueError("times must be timezone-aware")
    return times.as_unit("ns")


def _series_values(name: str, values, n_steps: int) -> np.ndarray:
    array = np.asarray(values, dtype=float)
    if array.shape != (n_steps,):
        raise ValueError(f"{name} has shape {array.shape}, expected ({n_steps},)")
    return array


def _orientations(tilt, azimuth) -> tuple[np.ndarray, np.ndarray, bool]:
    scalar = np.ndim(tilt) == 0 and np.ndim(azimuth) == 0
    tilts = np.atleast_1d(np.asarray(tilt, dtype=float))
    azimuths = np.atleast_1d(np.asarray(azimuth, dtype=float))
    if tilts.ndim != 1 or tilts.shape != azimuths.shape:
        raise ValueError(
            f"tilt and azimuth must be scalars or 1-D arrays of equal length, "
            f"got shapes {np.shape(tilt)} and {np.shape(azimuth)}"
        )
    if np.any((tilts < 0) | (tilts > 90)):
        raise ValueError("tilt must be within [0, 90] deg")
    return tilts, azimuths, scalar
