from datetime import date

import numpy as np
import pandas as pd
import pytest

from vppsim.errors import ConfigError
from vppsim.fleet.assets import FleetParameters, draw_assets
from vppsim.viz.analysis import (
    daily_aggregate,
    daily_peak_hours,
    daily_solar,
    hourly_profile_band,
    hourly_profile_by_label,
    linear_fit,
    local_index,
    net_load,
    pv_capacity,
    shift_revenue,
)

TZ = "America/Los_Angeles"


def local_frame(start: str, end: str, freq: str, values) -> pd.DataFrame:
    """A frame on local-clock intervals from ``start`` to ``end`` (exclusive), as UTC
    timestamps; ``values`` maps the local index to the value column ``x``."""
    local = pd.date_range(
        pd.Timestamp(start, tz=TZ), pd.Timestamp(end, tz=TZ), freq=freq, inclusive="left"
    )
    return pd.DataFrame({"timestamp": local.tz_convert("UTC"), "x": values(local)})


def test_local_index_converts_utc_and_takes_naive_as_utc():
    aware = local_index(pd.Series(pd.to_datetime(["2023-08-01T07:00:00Z"])), TZ)
    naive = local_index(np.array(["2023-08-01T07:00:00"], dtype="datetime64[ns]"), TZ)
    assert str(aware.tz) == TZ
    assert aware[0] == naive[0] == pd.Timestamp("2023-08-01 00:00", tz=TZ)


def test_hourly_profile_band_quantiles_by_local_hour():
    # Day d (0, 1, 2) has value 10 * hour + d: the quantiles of each hour are known.
    frame = local_frame("2023-08-01", "2023-08-04", "h", lambda t: 10 * t.hour + (t.day - 1))
    band = hourly_profile_band(frame, "x", TZ)
    assert list(band.columns) == ["p10", "p50", "p90"]
    assert band.index.name == "hour"
    assert list(band.index) == list(range(24))
    hours = np.arange(24)
    np.testing.assert_allclose(band["p10"], 10 * hours + 0.2)
    np.testing.assert_allclose(band["p50"], 10 * hours + 1)
    np.testing.assert_allclose(band["p90"], 10 * hours + 1.8)


def test_hourly_profile_band_names_any_quantiles_and_fills_missing_hours():
    frame = local_frame("2023-08-01 06:00", "2023-08-01 09:00", "15min", lambda t: t.minute)
    band = hourly_profile_band(frame, "x", TZ, quantiles=(0.95, 0.05))
    assert list(band.columns) == ["p95", "p05"]
    assert band.loc[7, "p05"] == pytest.approx(2.25)
    assert band.loc[7, "p95"] == pytest.approx(42.75)
    assert band.loc[[0, 5, 9, 23]].isna().all().all()


def test_hourly_profile_band_by_day_type():
    # 2023-08-05 and -06 are a Saturday and a Sunday.
    frame = local_frame(
        "2023-07-31", "2023-08-07", "h", lambda t: np.where(t.dayofweek >= 5, 5.0, 1.0)
    )
    band = hourly_profile_band(frame, "x", TZ, by_day_type=True)
    assert band.index.names == ["day_type", "hour"]
    assert sorted(band.index.unique("day_type")) == ["weekday", "weekend"]
    assert (band.loc["weekday", "p50"] == 1).all()
    assert (band.loc["weekend", "p50"] == 5).all()
    assert len(band.loc["weekend"]) == 24


def test_hourly_profile_band_on_the_fall_back_day():
    # 2023-11-05 has 25 local hours: 01:00-02:00 happens twice.
    frame = local_frame("2023-11-05", "2023-11-06", "15min", lambda t: np.arange(len(t)))
    assert len(frame) == 100
    band = hourly_profile_band(frame, "x", TZ, quantiles=(0.0, 1.0))
    assert band.loc[1, "p00"] == 4  # the first 01:00 hour
    assert band.loc[1, "p100"] == 11  # the repeated one
    assert band.loc[2, "p00"] == 12


def solar_days(energies_kwh: list[float]) -> pd.DataFrame:
    """Days of PV output: a flat 0.5 kW/kW for as many hours as gives each day's energy."""

    def output(t):
        day = (t.normalize().tz_localize(None) - pd.Timestamp("2023-08-01")).days
        hours = np.asarray(energies_kwh)[day] / 0.5
        return np.where((t.hour >= 8) & (t.hour + t.minute / 60 < 8 + hours), 0.5, 0.0)

    frame = local_frame("2023-08-01", f"2023-08-{len(energies_kwh) + 1:02d}", "15min", output)
    return frame.rename(columns={"x": "generation_kw_per_kw_installed"})


def test_daily_solar_energy_capacity_factor_and_sky_classes():
    energies = [6.0] * 8 + [3.0, 5.0, 6.0]
    daily = daily_solar(solar_days(energies), TZ, 15)
    assert daily.index.name == "day"
    assert daily.index[0] == date(2023, 8, 1)
    np.testing.assert_allclose(daily["energy_kwh_per_kw"], energies)
    np.testing.assert_allclose(daily["capacity_factor"], np.array(energies) / 24)
    assert list(daily["sky"]) == ["clear"] * 8 + ["cloudy", "partly cloudy", "clear"]


def test_daily_solar_capacity_factor_uses_the_day_length_across_dst():
    frame = local_frame(
        "2023-11-04", "2023-11-07", "h", lambda t: np.where(t.hour == 12, 1.0, 0.0)
    ).rename(columns={"x": "generation_kw_per_kw_installed"})
    daily = daily_solar(frame, TZ, 60)
    np.testing.assert_allclose(daily["energy_kwh_per_kw"], [1, 1, 1])
    np.testing.assert_allclose(daily["capacity_factor"], [1 / 24, 1 / 25, 1 / 24])


def test_pv_capacity_does_not_depend_on_fleet_size_or_order():
    large = pv_capacity(range(5000), seed=42, share=0.5)
    small = pv_capacity(range(10), seed=42, share=0.5)
    pd.testing.assert_frame_equal(small, large.iloc[:10])
    picked = pv_capacity([4321, 7], seed=42, share=0.5)
    assert list(picked["home_id"]) == [4321, 7]
    np.testing.assert_array_equal(picked["pv_kw"], large["pv_kw"].iloc[[4321, 7]])
    assert not large.equals(pv_capacity(range(5000), seed=43, share=0.5))


def test_pv_capacity_share_and_sizes():
    homes = range(20_000)
    assert (pv_capacity(homes, 42, 0.0)["pv_kw"] == 0).all()
    everyone = pv_capacity(homes, 42, 1.0)["pv_kw"]
    assert everyone.between(*FleetParameters().pv_size_range_kw_dc).all()
    assert everyone.median() == pytest.approx(6.5, abs=0.15)
    some = pv_capacity(homes, 42, 0.3)["pv_kw"]
    assert (some > 0).mean() == pytest.approx(0.3, abs=0.015)
    # Raising the share only adds systems; a home keeps its size.
    more = pv_capacity(homes, 42, 0.6)["pv_kw"]
    assert (more[some > 0] == some[some > 0]).all()
    assert (more[some > 0] == everyone[some > 0]).all()
    assert pv_capacity([], 42, 0.5).empty


def test_pv_capacity_is_the_fleets_pv_model():
    ids = np.array([3, 1000, 17, 42])
    assets = draw_assets(42, ids, date(2023, 8, 1), FleetParameters(pv_share=0.4))
    np.testing.assert_allclose(
        pv_capacity(ids, 42, 0.4)["pv_kw"], assets["pv_dc_kw"].to_numpy(dtype=float), rtol=1e-6
    )


@pytest.mark.parametrize("share", [-0.1, 1.5, float("nan")])
def test_pv_capacity_rejects_a_bad_share(share):
    with pytest.raises(ConfigError, match=str(share)):
        pv_capacity(range(3), 42, share)


def test_net_load_subtracts_fleet_pv():
    result = net_load([3.0, 4.0, 5.0], np.array([0.0, 0.5, 1.0]) * 4.0)
    np.testing.assert_allclose(result, [3.0, 2.0, 1.0])


def test_daily_peak_hours_in_local_time():
    peaks = {(1, 18, 15): 9.0, (2, 7, 45): 8.0}

    def values(t):
        return [peaks.get((stamp.day, stamp.hour, stamp.minute), 1.0) for stamp in t]

    frame = local_frame("2023-08-01", "2023-08-03", "15min", values)
    hours = daily_peak_hours(frame, "x", TZ)
    assert hours.index.name == "day"
    assert list(hours.index) == [date(2023, 8, 1), date(2023, 8, 2)]
    assert list(hours) == [18.25, 7.75]


def market_days(days: int) -> pd.DataFrame:
    """LMP of $30 except: a $20 hourly mean at 12 h (10 and 30), $120 at 19 h, and
    extremes outside both windows ($5 at 3 h, $500 at 23 h)."""

    def lmp(t):
        price = np.full(len(t), 30.0)
        price[t.hour == 12] = np.where(t.minute[t.hour == 12] < 30, 10.0, 30.0)
        price[t.hour == 19] = 120.0
        price[t.hour == 3] = 5.0
        price[t.hour == 23] = 500.0
        return price

    return local_frame("2023-08-01", f"2023-08-{days + 1:02d}", "15min", lmp).rename(
        columns={"x": "lmp"}
    )


def test_shift_revenue_on_a_known_spread():
    revenue = shift_revenue(market_days(3), TZ, homes=100)
    assert revenue.index.name == "day"
    assert len(revenue) == 3
    np.testing.assert_allclose(revenue["midday_price"], 20.0)
    np.testing.assert_allclose(revenue["evening_price"], 120.0)
    np.testing.assert_allclose(revenue["spread"], 100.0)
    np.testing.assert_allclose(revenue["revenue_per_home"], 0.1)  # 100 $/MWh x 1 kWh
    np.testing.assert_allclose(revenue["fleet_revenue"], 10.0)
    np.testing.assert_allclose(revenue["cumulative_fleet_revenue"], [10.0, 20.0, 30.0])


def test_shift_revenue_windows_and_energy():
    # Widening the evening to 24 h reaches the $500 hour; the midday to 0 h reaches $5.
    revenue = shift_revenue(
        market_days(1), TZ, homes=10, kwh_per_home=2.0, midday=(0, 15), evening=(16, 24)
    )
    assert revenue["spread"].iloc[0] == pytest.approx(495.0)
    assert revenue["fleet_revenue"].iloc[0] == pytest.approx(495.0 * 2 / 1000 * 10)
    with pytest.raises(ConfigError, match="evening"):
        shift_revenue(market_days(1), TZ, homes=10, evening=(22, 16))


def test_daily_aggregate_and_profile_by_label():
    frame = local_frame("2023-08-01", "2023-08-03", "h", lambda t: t.hour + 100.0 * (t.day - 1))
    np.testing.assert_allclose(daily_aggregate(frame, "x", TZ, "max"), [23, 123])
    np.testing.assert_allclose(daily_aggregate(frame, "x", TZ, "sum"), [276, 2676])
    labels = pd.Series(["a", "b"], index=[date(2023, 8, 1), date(2023, 8, 2)])
    profile = hourly_profile_by_label(frame, "x", TZ, labels)
    assert sorted(profile.columns) == ["a", "b"]
    np.testing.assert_allclose(profile["b"] - profile["a"], 100.0)
    with pytest.raises(ValueError, match="how"):
        daily_aggregate(frame, "x", TZ, "median")


def test_linear_fit():
    slope, intercept, r_squared = linear_fit([20, 25, 30, np.nan], [10, 15, 20, 99])
    assert (slope, intercept, r_squared) == pytest.approx((1.0, -10.0, 1.0))
    with pytest.raises(ValueError):
        linear_fit([3, 3], [1, 2])
