"""The forecast core: issue schedule, exchangeable ensembles, Weibull quantiles, nudging."""

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from vppsim.forecast.ensemble import (
    deviation_autocorrelation,
    intraday_quantiles,
    nudge,
    nudge_runs,
    weibull_quantiles,
)
from vppsim.forecast.parameters import QUANTILE_LEVELS, ForecastError, ForecastParameters
from vppsim.forecast.schedule import (
    day_ahead_issue_times,
    intraday_runs,
    lead_hours,
    lead_steps,
    local_day_ordinals,
)
from vppsim.forecast.weather import (
    Variable,
    anomaly_members,
    error_sd,
    from_normal_scores,
    normal_scores,
    resource_members,
    weather_forecast,
)
from vppsim.grid import build_grid
from vppsim.seeds import Stream, stream_rng
from vppsim.timeseries import ar1
from vppsim.weather.synthetic import clearsky_at, simulate_weather

LA = "America/Los_Angeles"
LAT, LON = 34.05, -118.24
P10, P90 = QUANTILE_LEVELS.index(0.1), QUANTILE_LEVELS.index(0.9)
P05, P95 = QUANTILE_LEVELS.index(0.05), QUANTILE_LEVELS.index(0.95)
P50 = QUANTILE_LEVELS.index(0.5)


def _issue_by_day(start, end):
    grid = build_grid(start, end, LA)
    issued = day_ahead_issue_times(grid, LA, 10)
    days = grid.tz_convert(LA).date
    return grid, {d: issued[days == d].unique() for d in np.unique(days)}


def test_day_ahead_issue_is_ten_local_on_the_eve_across_dst():
    grid, spring = _issue_by_day(dt.date(2023, 3, 11), dt.date(2023, 3, 13))
    # Mar 12 (92 intervals) is issued on Mar 11, still PST; Mar 13 on Mar 12, already PDT.
    assert list(spring[dt.date(2023, 3, 12)]) == [pd.Timestamp("2023-03-11 18:00", tz="UTC")]
    assert list(spring[dt.date(2023, 3, 13)]) == [pd.Timestamp("2023-03-12 17:00", tz="UTC")]
    assert (grid.tz_convert(LA).date == dt.date(2023, 3, 12)).sum() == 92
    _, autumn = _issue_by_day(dt.date(2023, 11, 4), dt.date(2023, 11, 6))
    assert list(autumn[dt.date(2023, 11, 5)]) == [pd.Timestamp("2023-11-04 17:00", tz="UTC")]
    assert list(autumn[dt.date(2023, 11, 6)]) == [pd.Timestamp("2023-11-05 18:00", tz="UTC")]


def test_day_ahead_issue_across_month_and_leap_day_ends():
    _, days = _issue_by_day(dt.date(2024, 2, 28), dt.date(2024, 3, 1))
    assert list(days[dt.date(2024, 3, 1)]) == [pd.Timestamp("2024-02-29 18:00", tz="UTC")]
    grid, days = _issue_by_day(dt.date(2023, 7, 31), dt.date(2023, 8, 1))
    assert list(days[dt.date(2023, 8, 1)]) == [pd.Timestamp("2023-07-31 17:00", tz="UTC")]
    lead = lead_hours(day_ahead_issue_times(grid, LA, 10), grid)
    assert lead.min() == 14.0 and lead.max() == 37.75


def test_local_day_ordinals_follow_the_local_clock():
    grid = build_grid(dt.date(2023, 11, 4), dt.date(2023, 11, 6), LA)
    ordinals = local_day_ordinals(grid, LA)
    expected = [d.toordinal() for d in grid.tz_convert(LA).date]
    np.testing.assert_array_equal(ordinals, expected)
    assert np.bincount(ordinals - ordinals[0]).tolist() == [96, 100, 96]


def test_intraday_runs_on_utc_hours_with_clipped_horizon():
    grid = build_grid(dt.date(2023, 11, 4), dt.date(2023, 11, 6), LA)
    runs = intraday_runs(grid, every_h=1, horizon_h=8)
    assert len(runs.issued_at) == 73  # 24 + 25 + 24 whole hours
    assert (runs.issued_at.minute == 0).all() and (grid[runs.first] == runs.issued_at).all()
    np.testing.assert_array_equal(runs.stop - runs.first, np.minimum(32, len(grid) - runs.first))
    run, target = runs.rows()
    assert len(run) == (runs.stop - runs.first).sum()
    assert lead_steps(runs).max() == 31 and (lead_steps(runs) == target - runs.first[run]).all()
    every3 = intraday_runs(grid, every_h=3, horizon_h=2)
    assert (every3.issued_at.hour % 3 == 0).all() and len(
        every3.issued_at
    ) == 24  # 09Z Nov 4 to 06Z Nov 7
    assert (every3.stop - every3.first == 8).all()


@pytest.mark.parametrize("members, tolerance", [(19, 0.004), (20, 0.006)])
def test_weibull_quantiles_cover_exchangeable_truth(members, tolerance):
    rng = np.random.default_rng(1)
    draws = rng.standard_normal((members + 1, 200_000))
    truth, ensemble = draws[0], draws[1:]
    q = weibull_quantiles(ensemble)
    inside80 = np.mean((truth >= q[:, P10]) & (truth <= q[:, P90]))
    inside90 = np.mean((truth >= q[:, P05]) & (truth <= q[:, P95]))
    # Monte Carlo sd of a coverage near 0.8 on 200,000 draws is 0.0009.
    assert abs(inside80 - 0.8) < tolerance and abs(inside90 - 0.9) < tolerance
    assert np.mean(truth < q[:, P50]) == pytest.approx(0.5, abs=tolerance)


def test_weibull_quantiles_match_numpy_and_skip_missing_members():
    members = np.random.default_rng(4).standard_normal((20, 50))
    members[5:, 7] = np.nan
    expected = np.quantile(members[:, :7], QUANTILE_LEVELS, axis=0, method="weibull").T
    np.testing.assert_allclose(weibull_quantiles(members)[:7], expected)
    column = np.quantile(members[:5, 7], QUANTILE_LEVELS, method="weibull")
    np.testing.assert_allclose(weibull_quantiles(members)[7], column)


def test_weibull_quantiles_stay_within_the_members():
    members = np.array([[1.0, 5.0], [2.0, np.nan], [3.0, 7.0]])
    q = weibull_quantiles(members)
    assert q.shape == (2, 7)
    assert q[0, 0] == 1.0 and q[0, -1] == 3.0 and q[0, P50] == 2.0
    assert q[1, 0] == 5.0 and q[1, -1] == 7.0


def _long_anomaly(n_days=400, steps=96, sigma=0.6, members=19, seed=3):
    u = np.random.default_rng(seed).standard_normal(n_days * steps)
    day = np.repeat(738000 + np.arange(n_days), steps)
    central, ensemble = anomaly_members(u, sigma, 0.95, day, 7, Variable.TEMPERATURE, members)
    return u, central, ensemble


def test_exchangeable_members_cover_the_truth():
    u, _, ensemble = _long_anomaly()
    q = weibull_quantiles(ensemble)
    assert np.mean((u >= q[:, P10]) & (u <= q[:, P90])) == pytest.approx(0.8, abs=0.02)
    assert np.mean((u >= q[:, P05]) & (u <= q[:, P95])) == pytest.approx(0.9, abs=0.02)


def test_central_forecast_error_and_skill_closed_forms():
    sigma = 0.6
    u, central, ensemble = _long_anomaly(sigma=sigma)
    # u - c = sigma^2 u - sqrt(a) sigma xi: variance sigma^4 + a sigma^2 = sigma^2.
    assert np.std(u - central) == pytest.approx(sigma, rel=0.03)
    assert np.corrcoef(u, central)[0, 1] == pytest.approx(np.sqrt(1 - sigma**2), abs=0.02)
    assert np.std(ensemble - central) == pytest.approx(sigma, rel=0.03)


def test_error_sd_grows_with_lead_and_is_capped():
    error = ForecastError(sigma_at_issue=0.3, sigma_per_h=0.02, step_autocorrelation=0.9)
    np.testing.assert_allclose(error_sd([-1.0, 0.0, 10.0, 100.0], error), [0.3, 0.3, 0.5, 0.95])


def test_forecast_parameters_need_nineteen_members():
    with pytest.raises(ValueError, match="members"):
        ForecastParameters(members=18)
    with pytest.raises(ValueError, match="extra"):
        ForecastParameters(member=20)


def _ar1_ensemble(n=20_000, members=19, phi=0.9, seed=5):
    rng = np.random.default_rng(seed)
    draws = ar1(rng.standard_normal((members + 1, n)), phi, axis=1)
    return draws[0], draws[1:]


def test_deviation_autocorrelation_recovers_the_member_ar1():
    truth, ensemble = _ar1_ensemble()
    rho = deviation_autocorrelation(ensemble, 4, upto=len(truth))
    np.testing.assert_allclose(rho, 0.9 ** np.arange(5), atol=0.01)
    # Only intervals before `upto` count, and groups cut the pairs across them.
    table = deviation_autocorrelation(ensemble, 2, upto=np.array([0, 1, 2, 500]))
    assert table.shape == (4, 3) and (table[0] == 0).all() and (table[1, 1:] == 0).all()
    assert table[2, 1] != 0 and table[2, 2] == 0
    alternating = np.arange(len(truth)) % 2
    assert deviation_autocorrelation(ensemble, 1, len(truth), groups=alternating)[1] == 0


def test_nudge_closed_forms():
    members = np.array([[1.0, 2.0], [3.0, 4.0]])
    last = np.array([0.0, 2.0])
    # Same persistence for truth and members: each member moves by rho times its own miss.
    np.testing.assert_allclose(
        nudge(members, last[:, None], np.array([1.0, 1.0]), np.array([0.5, 0.5])),
        members + 0.5 * (1.0 - last[:, None]),
    )
    np.testing.assert_array_equal(nudge(members, last[:, None], 1.0, 0.0), members)
    np.testing.assert_array_equal(nudge(members, last[:, None], np.nan, 1.0), members)
    # Where the members agree (PV at night) nothing moves, whatever was observed before.
    agreed = np.array([[1.0, 0.0], [3.0, 0.0]])
    np.testing.assert_array_equal(
        nudge(agreed, last[:, None], 5.0, 0.9), [[1.0 + 0.9 * 5.0, 0.0], [3.0 + 0.9 * 3.0, 0.0]]
    )


def test_nudged_runs_are_calibrated_and_sharper_at_short_lead():
    truth, ensemble = _ar1_ensemble()
    grid = pd.date_range("2023-01-01", periods=len(truth), freq="15min", tz="UTC")
    runs = intraday_runs(grid, every_h=1, horizon_h=8)
    q, run, target = intraday_quantiles(ensemble, truth, runs)
    lead = target - runs.first[run]
    y = truth[target]
    inside = (y >= q[:, P10]) & (y <= q[:, P90])
    assert np.mean(inside) == pytest.approx(0.8, abs=0.02)
    short = lead == 0
    assert np.mean(inside[short]) == pytest.approx(0.8, abs=0.02)
    raw = weibull_quantiles(ensemble[:, target])
    nudged_error = np.mean(np.abs(y - q[:, P50])[short])
    raw_error = np.mean(np.abs(y - raw[:, P50])[short])
    assert nudged_error < 0.6 * raw_error
    # Lag 1: the conditional sd of the AR(1) is sqrt(1 - phi^2).
    nudged, _, ntarget = nudge_runs(ensemble, truth, runs)
    assert np.mean(nudged[:, short].std(axis=0)) == pytest.approx(np.sqrt(1 - 0.81), rel=0.06)
    # A run whose last interval is missing keeps the day-ahead members.
    holes = truth.copy()
    holes[runs.first[1:] - 1] = np.nan
    same, _, _ = nudge_runs(ensemble, holes, runs)
    np.testing.assert_array_equal(same, ensemble[:, ntarget])


def test_groups_stop_nudging_across_independent_runs():
    truth, ensemble = _ar1_ensemble(n=400)
    grid = pd.date_range("2023-01-01", periods=len(truth), freq="15min", tz="UTC")
    runs = intraday_runs(grid, every_h=1, horizon_h=8)
    groups = np.arange(len(truth)) // 96
    nudged, run, target = nudge_runs(ensemble, truth, runs, rho=0.9 ** np.arange(40), groups=groups)
    across = groups[target] != groups[runs.first[run] - 1]
    assert across.any()
    np.testing.assert_array_equal(nudged[:, across], ensemble[:, target[across]])
    assert not np.allclose(nudged[:, ~across], ensemble[:, target[~across]])


def test_normal_scores_round_trip_and_bounds():
    rng = np.random.default_rng(2)
    values = rng.gamma(2.0, size=500)
    classes = np.arange(500) % 4
    classes[:10] = -1
    scores = normal_scores(values, classes)
    assert np.isnan(scores[:10]).all()
    np.testing.assert_allclose(from_normal_scores(scores, values, classes)[10:], values[10:])
    extreme = from_normal_scores(np.full(500, 9.0), values, classes)
    assert np.nanmax(extreme) == values[10:].max()


@pytest.fixture(scope="module")
def august():
    grid = build_grid(dt.date(2023, 8, 1), dt.date(2023, 8, 31), LA)
    rng = stream_rng(11, Stream.WEATHER)
    weather = simulate_weather(grid, LAT, LON, LA, 15, rng)
    return grid, weather, weather_forecast(weather, grid, LA, LAT, LON, ForecastParameters(), 11)


def test_weather_members_are_dark_at_night_and_bounded(august):
    grid, weather, forecast = august
    midpoints = grid + pd.Timedelta(minutes=7.5)
    night = clearsky_at(midpoints, LAT, LON)[0] == 0
    assert len(forecast.members) == 20 and night.any()
    hour = grid.tz_convert(LA).hour
    for member in (forecast.central, *forecast.members):
        assert list(member.columns) == list(weather.columns)
        assert (member.loc[night, ["ghi_w_m2", "dni_w_m2", "dhi_w_m2"]].to_numpy() == 0).all()
        kt = member["clearsky_index"]
        top = weather["clearsky_index"].groupby(hour).max()
        assert (kt >= 0).all() and (kt.to_numpy() <= top.to_numpy()[hour] + 1e-9).all()
        assert member["ghi_w_m2"].max() > 500


def test_temperature_spread_grows_with_lead(august):
    grid, weather, forecast = august
    temps = np.stack([m["temp_air_c"].to_numpy() for m in forecast.members])
    hour = grid.tz_convert(LA).hour
    sd = weather["temp_air_c"].groupby(hour).std(ddof=0).to_numpy()[hour]
    spread = temps.std(axis=0) / sd
    early, late = spread[hour < 3].mean(), spread[hour >= 21].mean()
    sigma = error_sd(lead_hours(forecast.issued_at, grid), ForecastParameters().temperature)
    assert late > early
    assert late / early == pytest.approx(sigma[hour >= 21].mean() / sigma[hour < 3].mean(), rel=0.1)


def test_forecast_is_deterministic_and_seeded(august):
    grid, weather, forecast = august
    again = weather_forecast(weather, grid, LA, LAT, LON, ForecastParameters(), 11)
    other = weather_forecast(weather, grid, LA, LAT, LON, ForecastParameters(), 12)
    pd.testing.assert_frame_equal(again.members[3], forecast.members[3])
    assert not np.allclose(other.members[3]["temp_air_c"], forecast.members[3]["temp_air_c"])


def test_a_days_draws_do_not_depend_on_the_study_length():
    def members_on_aug_11(start, end):
        grid = build_grid(start, end, LA)
        hours = grid.asi8 / 3.6e12
        u = np.sin(hours / 5.0)
        sigma = error_sd(
            lead_hours(day_ahead_issue_times(grid, LA, 10), grid),
            ForecastError(sigma_at_issue=0.3, sigma_per_h=0.01, step_autocorrelation=0.95),
        )
        day = local_day_ordinals(grid, LA)
        _, ensemble = anomaly_members(u, sigma, 0.95, day, 4, Variable.CLEARSKY_INDEX, 20)
        return ensemble[:, day == dt.date(2023, 8, 11).toordinal()]

    long = members_on_aug_11(dt.date(2023, 8, 1), dt.date(2023, 8, 31))
    short = members_on_aug_11(dt.date(2023, 8, 10), dt.date(2023, 8, 12))
    np.testing.assert_array_equal(long, short)


def test_resource_members_keep_unforecast_values_and_range():
    grid = build_grid(dt.date(2023, 8, 1), dt.date(2023, 8, 10), LA)
    rng = np.random.default_rng(8)
    wind = 3000.0 * rng.beta(2.0, 3.0, len(grid))
    mask = np.arange(len(grid)) % 5 != 0
    central, ensemble = resource_members(
        wind, grid, LA, ForecastParameters().wind, ForecastParameters(), 9, Variable.WIND, mask
    )
    assert ensemble.shape == (20, len(grid))
    np.testing.assert_array_equal(
        ensemble[:, ~mask], np.broadcast_to(wind[~mask], (20, (~mask).sum()))
    )
    assert ensemble.min() >= wind[mask].min() and ensemble.max() <= wind[mask].max()
    assert np.corrcoef(central[mask], wind[mask])[0, 1] > 0.5
