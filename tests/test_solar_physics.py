"""The PVWatts v8 physics chain: invariants, and monthly energy against nrel-pysam's Pvwattsv8."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pvlib
import pytest

from vppsim.calibrate import pysam_monthly, tmy_pv
from vppsim.solar.parameters import SolarParameters
from vppsim.solar.physics import (
    cover_iam_beam,
    cover_iam_diffuse,
    pvwatts_ac,
    solar_geometry,
)
from vppsim.weather.tmy import read_tmy

from .conftest import SHARED

SOLAR = SHARED / "reference" / "solar"
LA = {"latitude": 34.05, "longitude": -118.24, "altitude": 93.0}
AC_LIMIT = 1 / 1.2

# file, PySAM August figure from CALIBRATION.md [kWh/kW]
TMY = {
    "santa_ana_tmy3": ("tmy3_722977_santa_ana_ca.csv.gz", 160.7),
    "long_beach_tmy2": ("tmy2_23129_long_beach_ca.tm2.gz", 163.4),
}


def run_pvlib(path, parameters: SolarParameters | None = None) -> np.ndarray:
    """Monthly AC [kWh/kW] from pvwatts_ac on the same hourly TMY weather."""
    series = tmy_pv(*read_tmy(path), parameters)
    return series.groupby(series.index.month).sum().to_numpy()


@pytest.fixture(scope="module", params=sorted(TMY))
def tmy_energy(request, tmp_path_factory):
    """PySAM and pvlib monthly energy for one reference TMY file."""
    name, august = TMY[request.param]
    path = SOLAR / name
    if not path.exists():
        pytest.skip(f"reference weather {path} is missing")
    pytest.importorskip("PySAM.Pvwattsv8")
    workdir = tmp_path_factory.mktemp("tmy")
    return {
        "name": request.param,
        "path": path,
        "workdir": workdir,
        "calibration_august": august,
        "pysam": pysam_monthly(path, workdir),
        "pvlib": run_pvlib(path),
    }


def test_pysam_setup_reproduces_calibration_august(tmy_energy):
    assert tmy_energy["pysam"][7] == pytest.approx(tmy_energy["calibration_august"], abs=0.5)


def test_monthly_energy_within_two_percent_of_pysam(tmy_energy):
    pysam, ours = tmy_energy["pysam"], tmy_energy["pvlib"]
    monthly = (ours / pysam - 1) * 100
    annual = (ours.sum() / pysam.sum() - 1) * 100
    table = ", ".join(f"{m + 1}: {d:+.2f}%" for m, d in enumerate(monthly))
    assert np.all(np.abs(monthly) < 2.0), f"{tmy_energy['name']}: {table}"
    assert abs(annual) < 2.0
    # Today +0.6 %: the linear DC and PVWatts inverter forms against v8's single-diode
    # module and Sandia inverter. A jump means a step of the chain changed.
    assert abs(annual) < 1.0, f"{tmy_energy['name']}: annual {annual:+.2f}%"


def test_open_rack_within_two_percent_of_pysam(tmy_energy):
    # pvlib leaves out the row self-shading PVWatts models for racks, so it reads ~1.3 % high.
    pysam = pysam_monthly(tmy_energy["path"], tmy_energy["workdir"], array_type=0)
    ours = run_pvlib(tmy_energy["path"], SolarParameters(array_type="rack"))
    assert np.all(np.abs(ours / pysam - 1) < 0.02)


@pytest.fixture(scope="module")
def clear_sky():
    """Four clear August days in Los Angeles at 15 min, indexed by interval midpoints."""
    location = pvlib.location.Location(tz="America/Los_Angeles", **LA)
    times = pd.date_range("2023-08-14", periods=4 * 96, freq="15min", tz=location.tz)
    times = times + pd.Timedelta(minutes=7.5)
    weather = location.get_clearsky(times, model="ineichen")
    hours = times.hour + times.minute / 60
    weather["temp_air"] = 24.0 + 7.0 * np.sin(2 * np.pi * (hours - 9.0) / 24)
    weather["wind_speed"] = 2.0
    return times, weather


def ac(times, weather, tilt, azimuth, **kwargs):
    return pvwatts_ac(
        times,
        weather["ghi"],
        weather["dni"],
        weather["dhi"],
        weather["temp_air"],
        weather["wind_speed"],
        LA["latitude"],
        LA["longitude"],
        tilt,
        azimuth,
        altitude=LA["altitude"],
        **kwargs,
    )


ORIENTATIONS = np.array([[20, 180], [30, 90], [30, 270], [45, 135], [10, 225], [90, 0], [0, 0]])


@pytest.mark.parametrize("interval", [None, "15min"])
def test_zero_at_night_and_never_negative(clear_sky, interval):
    times, weather = clear_sky
    power = ac(times, weather, ORIENTATIONS[:, 0], ORIENTATIONS[:, 1], interval=interval)
    geometry = solar_geometry(times, interval=interval, **LA)
    assert power.shape == (len(times), len(ORIENTATIONS))
    night = ~geometry["sun_up"].to_numpy()
    assert night.sum() > len(times) / 3
    assert np.all(power[night] == 0.0)
    if interval is None:
        assert np.all(geometry["sun_up"] == (geometry["apparent_zenith"] < 90))
    assert np.all(power >= 0.0)
    assert power.max() > 0.5


def test_never_negative_in_hostile_weather(clear_sky):
    times, weather = clear_sky
    hostile = weather.copy()
    hostile["temp_air"] = 70.0  # hot enough to drive a linear DC model toward zero
    hostile["wind_speed"] = -3.0
    hostile.loc[hostile.index[::7], ["ghi", "dni", "dhi"]] = 0.0
    power = ac(times, hostile, ORIENTATIONS[:, 0], ORIENTATIONS[:, 1], interval="15min")
    assert np.all(np.isfinite(power))
    assert np.all(power >= 0.0)


def test_ac_clipped_at_rating(clear_sky):
    times, weather = clear_sky
    bright = weather.copy()
    bright[["ghi", "dni", "dhi"]] *= 1.4
    bright["temp_air"] = -10.0
    power = ac(times, bright, ORIENTATIONS[:, 0], ORIENTATIONS[:, 1])
    assert power.max() <= AC_LIMIT + 1e-12
    assert power.max() == pytest.approx(AC_LIMIT)


def test_scalar_and_array_calls_agree(clear_sky):
    times, weather = clear_sky
    together = ac(times, weather, ORIENTATIONS[:, 0], ORIENTATIONS[:, 1])
    for k, (tilt, azimuth) in enumerate(ORIENTATIONS):
        alone = ac(times, weather, float(tilt), float(azimuth))
        assert alone.shape == (len(times),)
        np.testing.assert_allclose(together[:, k], alone, rtol=1e-12, atol=1e-12)


def test_west_peaks_later_than_east(clear_sky):
    times, weather = clear_sky
    power = ac(times, weather, [30.0, 30.0, 30.0], [90.0, 180.0, 270.0])
    first_day = slice(0, 96)
    east, south, west = (times[first_day][np.argmax(power[first_day, k])] for k in range(3))
    assert east < south < west
    assert (west - east) > pd.Timedelta(hours=3)
    # Solar noon is near 13:00 PDT in Los Angeles in August.
    assert 12.5 <= south.hour + south.minute / 60 <= 13.5


def test_two_hundred_systems_equal_per_system_calls(clear_sky):
    times, weather = clear_sky
    rng = np.random.default_rng(20230814)
    tilts = rng.uniform(0.0, 60.0, 200)
    azimuths = rng.uniform(0.0, 360.0, 200)
    geometry = solar_geometry(times, interval="15min", **LA)
    fleet = ac(times, weather, tilts, azimuths, geometry=geometry)
    assert fleet.shape == (len(times), 200)
    for k in range(200):
        alone = ac(times, weather, tilts[k], azimuths[k], geometry=geometry)
        np.testing.assert_allclose(fleet[:, k], alone, rtol=1e-12, atol=1e-12)


def test_fleet_block_boundaries_do_not_change_results(clear_sky, monkeypatch):
    times, weather = clear_sky
    whole = ac(times, weather, ORIENTATIONS[:, 0], ORIENTATIONS[:, 1])
    monkeypatch.setattr("vppsim.solar.physics._BLOCK_ELEMENTS", 50)
    blocked = ac(times, weather, ORIENTATIONS[:, 0], ORIENTATIONS[:, 1])
    np.testing.assert_array_equal(whole, blocked)


def test_open_rack_runs_cooler_than_roof(clear_sky):
    times, weather = clear_sky
    roof = ac(times, weather, 20.0, 180.0).sum()
    rack = ac(times, weather, 20.0, 180.0, parameters=SolarParameters(array_type="rack")).sum()
    # NOCT 45 vs 49 degC at -0.37 %/degC
    assert 1.003 < rack / roof < 1.02


def test_sunrise_and_sunset_intervals_use_sunlit_midpoint():
    times = pd.date_range("2023-08-14 00:30", periods=24, freq="1h", tz="Etc/GMT+8")
    geometry = solar_geometry(times, interval="1h", **LA)
    events = pvlib.solarposition.sun_rise_set_transit_spa(
        times[:1] + pd.Timedelta(hours=12), LA["latitude"], LA["longitude"]
    )
    sunrise, sunset = events["sunrise"].iloc[0], events["sunset"].iloc[0]
    half = pd.Timedelta(minutes=30)
    rise_row = np.flatnonzero((times - half < sunrise) & (sunrise <= times + half))[0]
    set_row = np.flatnonzero((times - half <= sunset) & (sunset < times + half))[0]
    position = geometry["position_time"]
    rise_end = times[rise_row] + half
    set_start = times[set_row] - half
    second = pd.Timedelta(seconds=1)
    assert abs(position.iloc[rise_row] - (sunrise + (rise_end - sunrise) / 2)) < second
    assert abs(position.iloc[set_row] - (set_start + (sunset - set_start) / 2)) < second
    assert geometry["sun_up"].iloc[rise_row] and geometry["sun_up"].iloc[set_row]
    assert geometry["sun_up"].sum() == set_row - rise_row + 1
    others = np.setdiff1d(np.arange(24), [rise_row, set_row])
    assert np.all(position.iloc[others] == times[others])


def test_cover_model_matches_pvlib_physical_for_plain_glass():
    aoi = np.linspace(1.0, 89.0, 177)
    np.testing.assert_allclose(
        cover_iam_beam(aoi, coating_index=None), pvlib.iam.physical(aoi), atol=1e-5
    )


def test_cover_model_pvwatts_v8_values():
    beam = cover_iam_beam(np.arange(0.0, 90.5, 0.5))
    assert np.all(np.diff(beam) <= 0)
    assert beam[0] == 1.0
    # The coated beam path stays at the cap of 1 to ~55 deg, as in SAM.
    assert np.all(cover_iam_beam([0.0, 30.0, 50.0]) == 1.0)
    assert cover_iam_beam(70.0) == pytest.approx(0.91956, abs=1e-4)
    sky, ground = cover_iam_diffuse(SolarParameters().reference_tilt)
    assert sky == pytest.approx(0.97417, abs=1e-4)
    assert ground == pytest.approx(0.66276, abs=1e-4)


def test_default_losses_are_pvwatts_breakdown():
    assert SolarParameters().losses_percent == round(pvlib.pvsystem.pvwatts_losses(), 2)


def test_rejects_bad_input(clear_sky):
    times, weather = clear_sky
    with pytest.raises(ValueError, match="timezone"):
        ac(times.tz_localize(None), weather, 20.0, 180.0)
    with pytest.raises(ValueError, match="shape"):
        ac(times[:-1], weather, 20.0, 180.0)
    with pytest.raises(ValueError, match="same times"):
        ac(times, weather, 20.0, 180.0, geometry=solar_geometry(times + pd.Timedelta("1h"), **LA))
    with pytest.raises(ValueError, match="equal length"):
        ac(times, weather, [20.0, 30.0], [180.0])
    with pytest.raises(ValueError, match="array_type"):
        SolarParameters(array_type="tracker")
