"""Per-home PV on each home's own roof: the physics chain per orientation, PVWatts' range, the
step's clipping, the pv dataset and fleet net load."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pvlib
import pytest

from vppsim.calibrate import pysam_monthly
from vppsim.fleet import pv
from vppsim.fleet.assets import Fleet, FleetParameters, draw_assets
from vppsim.solar.parameters import SolarParameters
from vppsim.solar.physics import pvwatts_ac
from vppsim.viz.analysis import net_load
from vppsim.weather.tmy import read_tmy

from .conftest import SHARED

SANTA_ANA = SHARED / "reference" / "solar" / "tmy3_722977_santa_ana_ca.csv.gz"
PVWATTS_AUGUST_KWH_PER_KW = 160.7
"""PySAM Pvwattsv8, Santa Ana TMY3, 1 kW roof mount, tilt 20, azimuth 180, August
(CALIBRATION.md; tests/test_solar_physics.py reproduces it)."""


@pytest.fixture(scope="module")
def august():
    """Santa Ana TMY3 August as a weather-dataset frame (UTC hour starts) and its site."""
    data, meta = read_tmy(SANTA_ANA)
    starts = (data.index - pd.Timedelta(hours=1)).tz_convert("UTC")
    frame = pd.DataFrame(
        {
            "timestamp": starts,
            "ghi_w_m2": data["ghi"].to_numpy(),
            "dni_w_m2": data["dni"].to_numpy(),
            "dhi_w_m2": data["dhi"].to_numpy(),
            "temp_air_c": data["temp_air"].to_numpy(),
            "wind_speed_m_s": data["wind_speed"].to_numpy(),
        }
    )
    return frame[data.index.month == 8].reset_index(drop=True), meta


def fleet_of(frame: pd.DataFrame) -> Fleet:
    return Fleet.from_frame(frame)


@pytest.fixture(scope="module")
def homes() -> pd.DataFrame:
    """40 homes, all with PV, in every drawn orientation, two DC/AC ratios."""
    frame = draw_assets(7, np.arange(40), 2024, FleetParameters(pv_share=1.0))
    frame.loc[frame.index % 2 == 1, "pv_dc_ac_ratio"] = np.float32(1.35)
    return frame


@pytest.mark.reference
def test_each_home_within_three_percent_of_the_chain_for_its_orientation(august, homes):
    weather, meta = august
    site = (meta["latitude"], meta["longitude"])
    power = pv.simulate(fleet_of(homes), weather, *site, 60, altitude=meta["altitude"])
    hours = pd.DatetimeIndex(weather["timestamp"]) + pd.Timedelta(minutes=30)
    drive = [weather[c].to_numpy() for c in pv.WEATHER_COLUMNS]
    for column, home in enumerate(homes.itertuples()):
        alone = pvwatts_ac(
            hours,
            *drive,
            *site,
            float(home.pv_tilt_deg),
            float(home.pv_azimuth_deg),
            SolarParameters(dc_ac_ratio=float(home.pv_dc_ac_ratio)),
            altitude=meta["altitude"],
        )
        # The fleet's broadcast is the chain itself: only the float32 sizes differ.
        ours = power[:, column].sum() / float(home.pv_dc_kw)
        assert ours == pytest.approx(alone.sum(), rel=1e-5)
    yields = power.sum(axis=0) / homes["pv_dc_kw"].to_numpy()
    south = ((homes["pv_azimuth_deg"] - 180).abs() < 15).to_numpy()
    west = ((homes["pv_azimuth_deg"] - 270).abs() < 15).to_numpy()
    assert south.any() and west.any()
    assert yields[south].mean() > yields[west].mean()  # a south roof yields most in LA


@pytest.mark.reference
def test_each_orientation_within_three_percent_of_pysam(august, homes, tmp_path):
    """Per kW, each home's August on its own roof against an independent engine, PySAM's
    Pvwattsv8, for the same tilt, azimuth and DC/AC ratio on the same TMY3 file."""
    pytest.importorskip("PySAM.Pvwattsv8")
    weather, meta = august
    picked = homes.drop_duplicates("pv_dc_ac_ratio").index.union(
        homes.groupby((homes["pv_azimuth_deg"] // 45).astype(int)).head(1).index
    )
    some = homes.loc[picked].reset_index(drop=True)
    power = pv.simulate(fleet_of(some), weather, meta["latitude"], meta["longitude"], 60)
    assert len(some) >= 4
    for column, home in enumerate(some.itertuples()):
        august_kwh_per_kw = pysam_monthly(
            SANTA_ANA,
            tmp_path,
            tilt_deg=float(home.pv_tilt_deg),
            azimuth_deg=float(home.pv_azimuth_deg),
            dc_ac_ratio=float(home.pv_dc_ac_ratio),
        )[7]
        ours = power[:, column].sum() / float(home.pv_dc_kw)
        assert ours == pytest.approx(august_kwh_per_kw, rel=0.03), (
            f"tilt {home.pv_tilt_deg:.1f}, azimuth {home.pv_azimuth_deg:.0f}"
        )


@pytest.mark.reference
def test_a_south_roof_at_20_degrees_is_within_pvwatts_range(august, homes):
    weather, meta = august
    one = homes.head(1).copy()
    one[["pv_dc_kw", "pv_tilt_deg", "pv_azimuth_deg", "pv_dc_ac_ratio"]] = np.float32(
        [1.0, 20.0, 180.0, 1.2]
    )
    power = pv.simulate(fleet_of(one), weather, meta["latitude"], meta["longitude"], 60)
    # Without PVWatts' sunrise/sunset-hour handling (as the solar dataset), within 3 %.
    assert power.sum() == pytest.approx(PVWATTS_AUGUST_KWH_PER_KW, rel=0.03)


def clear_day(interval_minutes: int = 15) -> pd.DataFrame:
    starts = pd.date_range(
        "2023-08-01T07:00Z", periods=24 * 60 // interval_minutes, freq=f"{interval_minutes}min"
    )
    middle = starts + pd.Timedelta(minutes=interval_minutes / 2)
    sky = pvlib.location.Location(34.05, -118.24, altitude=93).get_clearsky(middle)
    return pd.DataFrame(
        {
            "timestamp": starts,
            "ghi_w_m2": sky["ghi"].to_numpy(),
            "dni_w_m2": sky["dni"].to_numpy(),
            "dhi_w_m2": sky["dhi"].to_numpy(),
            "temp_air_c": 28.0,
            "wind_speed_m_s": 2.0,
        }
    )


def test_a_reference_roof_is_the_solar_dataset_times_its_size():
    from vppsim.dataset.sources import Provenance, SourceContext, SourceKind, SourceResult
    from vppsim.solar.sources import COLUMN, PhysicsSolar, SolarOptions

    from .sources import study_on

    weather = clear_day()
    study = study_on(pd.DatetimeIndex(weather["timestamp"]))
    inputs = {"weather": SourceResult(weather, Provenance(SourceKind.SYNTHETIC, "clear", "0"))}
    solar = PhysicsSolar().fetch(study, SolarOptions(), inputs, SourceContext()).data[COLUMN]
    home = draw_assets(1, np.arange(1), 2024, FleetParameters(pv_share=1.0))
    home[["pv_tilt_deg", "pv_azimuth_deg", "pv_dc_ac_ratio"]] = np.float32([20.0, 180.0, 1.2])
    power = pv.simulate(fleet_of(home), weather, study.latitude, study.longitude, 15)
    size = float(home["pv_dc_kw"].iloc[0])
    # 1e-6: the assets table holds the DC/AC ratio as float32 (1.2000000477).
    np.testing.assert_allclose(power[:, 0], solar.to_numpy() * size, rtol=1e-6)


def test_no_pv_homes_and_nights_give_zero():
    weather = clear_day()
    frame = draw_assets(3, np.arange(200), 2024, FleetParameters(pv_share=0.3))
    power = pv.simulate(fleet_of(frame), weather, 34.05, -118.24, 15)
    assert power.shape == (len(weather), 200)
    assert (power[:, ~frame["has_pv"].to_numpy()] == 0).all()
    assert (power >= 0).all() and power[:, frame["has_pv"].to_numpy()].max() > 0
    assert (power[weather["ghi_w_m2"].to_numpy() == 0] == 0).all()
    none = draw_assets(3, np.arange(5), 2024, FleetParameters(pv_share=0.0))
    assert (pv.simulate(fleet_of(none), weather, 34.05, -118.24, 15) == 0).all()


def test_step_cuts_to_the_limit_and_reports_what_it_clipped():
    available = np.array([3.0, 2.0, 0.0, 4.0])
    _, applied, info = pv.step(None, np.array([1.0, 5.0, 2.0, -1.0]), available)
    np.testing.assert_array_equal(applied, [1.0, 2.0, 0.0, 0.0])
    np.testing.assert_array_equal(info["curtailed_kw"], [2.0, 0.0, 0.0, 4.0])
    assert info["violations"] == {"negative_limit": 1}
    _, free, info = pv.step(None, None, available)
    np.testing.assert_array_equal(free, available)
    assert info["violations"]["negative_limit"] == 0


def test_fleet_net_load_is_load_less_pv():
    load = np.array([[1.0, 2.0], [3.0, 0.5]])
    output = np.array([[0.0, 1.0], [4.0, 0.0]])
    np.testing.assert_array_equal(net_load(load, output), [[1.0, 1.0], [-1.0, 0.5]])
    np.testing.assert_array_equal(net_load(load.sum(1), output.sum(1)), [2.0, -0.5])


def test_the_pv_dataset_is_each_homes_simulation(small_settings, tmp_path):
    from vppsim.dataset.build import Pipeline
    from vppsim.registry import default_registry

    settings = small_settings(
        datasets="pv", assets={"pv_share": 0.5}, weather={"source": "synthetic"}
    )
    pipeline = Pipeline(settings, default_registry())
    rows = pipeline.result("pv").data(np.arange(6, dtype=np.int32))
    assets = pipeline.result("assets").data(np.arange(6, dtype=np.int32))
    weather = pipeline.result("weather").data
    expected = pv.simulate(fleet_of(assets), weather, settings.latitude, settings.longitude, 15)
    np.testing.assert_allclose(
        rows["pv_kw"].to_numpy().reshape(6, -1), expected.T.astype(np.float32)
    )
    alone = pipeline.result("pv").data(np.array([4], dtype=np.int32))
    np.testing.assert_array_equal(alone["pv_kw"], rows[rows["home_id"] == 4]["pv_kw"])
