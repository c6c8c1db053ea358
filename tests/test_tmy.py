import pytest

from vppsim.weather.tmy import read_tmy

from .conftest import SHARED

SOLAR = SHARED / "reference" / "solar"
FILES = ["tmy3_722977_santa_ana_ca.csv.gz", "tmy2_23129_long_beach_ca.tm2.gz"]


@pytest.mark.skipif(not SOLAR.is_dir(), reason="needs ../shared/reference/solar")
@pytest.mark.parametrize("name", FILES)
def test_both_formats_read_alike_as_hour_ending_local_standard_time(name):
    data, meta = read_tmy(SOLAR / name)
    assert len(data) == 8760
    assert list(data.columns) == ["ghi", "dni", "dhi", "temp_air", "wind_speed"]
    assert data.index[0].hour == 1 and data.index.tz.utcoffset(None).total_seconds() == -8 * 3600
    assert 33.6 < meta["latitude"] < 33.9 and -118.2 < meta["longitude"] < -117.8
    # Hour-ending 13 (12-13 LST) is the sunniest hour of the day on average.
    assert data.groupby(data.index.hour)["ghi"].mean().idxmax() == 13
    assert 15 < data["temp_air"].mean() < 20 and 1 < data["wind_speed"].mean() < 4
