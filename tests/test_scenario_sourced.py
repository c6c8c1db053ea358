"""The scenario magnitudes measured on the real reference data (vppsim.scenario.sourced).

Synthetic checks of the run finder, the ramp counter and the daily aggregates against closed
forms, then facts about the real 2022-2023 events that a wrong reader, a wrong time zone or a
wrong hour convention would break.
"""

from __future__ import annotations

import datetime as dt
from functools import cache

import numpy as np
import pandas as pd
import pytest

from vppsim.scenario import sourced as s

from .conftest import REFERENCE

# --- Closed forms on synthetic arrays ---------------------------------------------------------


def test_run_means_are_the_window_means():
    x = np.arange(10.0)
    # The mean of i..i+2 is i + 1.
    assert np.array_equal(s.run_means(x, 3), np.arange(1.0, 9.0))
    assert len(s.run_means(x, 11)) == 0
    with_gap = x.copy()
    with_gap[4] = np.nan
    means = s.run_means(with_gap, 3)
    assert np.isnan(means[2:5]).all() and np.isfinite(means[[0, 1, 5, 6, 7]]).all()


def test_worst_run_finds_the_lowest_spell_and_skips_gaps():
    x = np.ones(20)
    x[[6, 7, 8]] = [0.5, 0.2, 0.5]  # 3-day mean 0.4 starting at 6
    x[14] = 0.1  # lower single day, but its 3-day runs average 0.7
    assert s.worst_run(x, 3) == (6, pytest.approx(0.4))
    assert s.worst_run(x, 1) == (14, pytest.approx(0.1))
    # A gap inside the lowest spell takes it out of the running.
    x[7] = np.nan
    start, mean = s.worst_run(x, 3)
    assert start not in (5, 6, 7) and mean == pytest.approx(0.7)
    assert s.worst_run(np.full(5, np.nan), 3)[0] == -1


def test_monthly_worst_runs_ratio_to_the_month_quantile():
    days = pd.date_range("2023-06-01", "2023-07-31", freq="D")
    energy = pd.Series(100.0, index=days)
    energy["2023-06-10":"2023-06-12"] = [40.0, 30.0, 50.0]  # mean 40
    energy["2023-07-30":"2023-07-31"] = 10.0  # a 2-day dip: the 3-day worst is 40
    table = s.monthly_worst_runs(energy, 3, quantile=0.9)
    assert table.loc[pd.Period("2023-06", "M"), "ratio"] == pytest.approx(0.4)
    assert table.loc[pd.Period("2023-06", "M"), "first"] == dt.date(2023, 6, 10)
    assert table.loc[pd.Period("2023-06", "M"), "last"] == dt.date(2023, 6, 12)
    july = table.loc[pd.Period("2023-07", "M")]
    assert july["ratio"] == pytest.approx(0.4) and july["last"] == dt.date(2023, 7, 31)
    result = s.low_solar(energy, lengths=(3,))
    assert result.median_ratio[3] == pytest.approx(0.4)


@pytest.mark.parametrize(
    ("uplift", "expected"),
    [
        ([-5, 2, 8, 20, 25, 30, 22, 9, -3], (2, 1)),  # plateau 20-22 (>= 15)
        ([3, 30, 30, 3], (1, 1)),
        ([30, 30], (0, 0)),
        ([5, -1, 5, 30, 5, 5, 5], (1, 3)),  # a non-positive day ends the ramp
    ],
)
def test_ramp_days_count_the_positive_days_next_to_the_plateau(uplift, expected):
    assert s.ramp_days(np.array(uplift, dtype=float), fraction=0.5) == expected


def test_daily_aggregates_use_local_days():
    # Two Pacific days in July (UTC-7): local midnight is 07:00 UTC.
    hours = pd.date_range("2023-07-01 07:00", periods=48, freq="h", tz="UTC")
    demand = pd.Series(np.r_[np.full(24, 10.0), np.full(24, 20.0)], index=hours)
    demand.iloc[30] = 50.0
    daily = s.daily_figures(demand, s.MIN_DAY_HOURS)
    assert list(daily.index) == [pd.Timestamp("2023-07-01"), pd.Timestamp("2023-07-02")]
    assert daily["peak_mw"].tolist() == [10.0, 50.0]
    assert daily["mean_mw"].iloc[1] == pytest.approx((23 * 20.0 + 50.0) / 24)
    # A day missing daylight hours has no energy rather than a low one.
    power = pd.Series(5.0, index=hours)
    power.iloc[36:40] = np.nan
    energy = s.daily_figures(power, s.MIN_SOLAR_DAY_HOURS)["energy_mwh"]
    assert energy.iloc[0] == pytest.approx(120.0) and np.isnan(energy.iloc[1])


def test_demand_contrast_on_a_step():
    days = pd.date_range("2022-08-01", "2022-09-30", freq="D")
    daily = pd.DataFrame({"peak_mw": 100.0, "mean_mw": 80.0}, index=days)
    event = s.HEAT_WAVE_2022
    daily.loc[pd.Timestamp(event[0]) : pd.Timestamp(event[1]), ["peak_mw", "mean_mw"]] = [125, 90]
    daily.loc[pd.Timestamp("2022-09-06"), "peak_mw"] = 140.0
    c = s.demand_contrast(daily, event, s.HEAT_WAVE_2022_REFERENCE)
    assert c.reference_mean_daily_peak_mw == 100.0
    assert c.event_mean_daily_peak_mw == pytest.approx((9 * 125 + 140) / 10)
    assert c.event_max_mw == 140.0 and c.event_max_date == dt.date(2022, 9, 6)
    assert c.mean_ratio == pytest.approx(90 / 80) and c.mean_difference_mw == pytest.approx(10)


# --- The real events --------------------------------------------------------------------------


@cache
def _reference() -> s.ReferenceSeries:
    return s.load_reference(REFERENCE)


@pytest.fixture
def real():
    """The real series (tests marked ``reference`` fail without ../shared, see conftest)."""
    return _reference()


@pytest.mark.reference
def test_heat_wave_2022_matches_caiso_record(real):
    hw = s.heat_wave(real.demand, real.fmm)
    d = hw.demand
    # CAISO's record is 52,061 MW on 6 Sep 2022; EIA-930's hourly figure is a little lower.
    assert 50_000 < d.event_max_mw < 53_000
    assert d.event_max_date == dt.date(2022, 9, 6)
    assert 1.15 < d.peak_ratio < 1.35 and 1.1 < d.mean_ratio < 1.35
    # The event's days are hotter than every reference day's mean, but not all of them
    # beat every reference day (Labor Day weekend dips).
    assert hw.profile.loc[hw.profile["in_event"], "peak_uplift_pct"].min() > 0
    assert hw.ramp_up_days >= 1
    p = hw.price
    assert p.event_above_250_pct > 5 * p.reference_above_250_pct
    assert p.event_mean_usd_per_mwh > 2 * p.reference_mean_usd_per_mwh


@pytest.mark.reference
def test_annual_peaks(real):
    p2022 = s.annual_peak(real.demand, 2022)
    p2023 = s.annual_peak(real.demand, 2023)
    assert p2022.peak_hour.date() == dt.date(2022, 9, 6)
    # CAISO published 44,534 MW for 2023 (16 Aug); EIA-930 within 3 %.
    assert p2023.peak_mw == pytest.approx(44_534, rel=0.03)
    assert p2023.peak_hour.date() == dt.date(2023, 8, 16)
    assert 16 <= p2023.peak_hour.hour <= 19
    assert p2023.window_over_month > 1.05 and p2023.peak_over_august > 1.1
    assert p2022.peak_over_august > p2023.peak_over_august


@pytest.mark.reference
def test_gas_crisis(real):
    g = s.gas_crisis(real.gas, real.fmm, real.published)
    assert g.dec_over_aug > 3 and g.jan_over_aug > 3
    # EIA N3045CA3 Dec 2022: $28.68/Mcf at 1.036 MMBtu/Mcf.
    assert g.gas_usd_per_mmbtu["2022-12"] == pytest.approx(28.68 / 1.036)
    dec, nov, aug = (g.fmm.loc[pd.Period(m, "M")] for m in ("2022-12", "2022-11", "2022-08"))
    assert dec["above $250 %"] > 10 * aug["above $250 %"]
    assert dec["above $250 %"] > 10 * nov["above $250 %"]
    assert dec["mean"] > 2 * nov["mean"]
    # One SP15 node against CAISO's DLAP-wide share: the same regime.
    assert g.published_dec_above_250_pct == pytest.approx(43.23)
    assert dec["above $250 %"] == pytest.approx(g.published_dec_above_250_pct, abs=8)


@pytest.mark.reference
def test_volatility_leaves_the_gas_crisis_out(real):
    v = s.volatility(real.published, real.fmm)
    assert v.above_250.max_pct < 10  # Dec 2022's 43 % is out
    assert v.above_250.median_pct <= v.above_250.p90_pct <= v.above_250.max_pct
    assert v.negative.p90_pct > v.negative.median_pct
    assert v.node_months.shape[0] == 12
    assert v.node_above_250.months == 11
    # Spring oversupply gives the negative tail, late summer the spike tail.
    assert v.node_negative.max_month in {"2022-03", "2022-04", "2022-05"}
    assert v.node_above_250.max_month in {"2022-08", "2022-09"}


@pytest.mark.reference
def test_low_solar_worst_spells_are_storms(real):
    ls = s.low_solar(s.daily_figures(real.solar, s.MIN_SOLAR_DAY_HOURS)["energy_mwh"])
    three = ls.runs[3]
    assert len(three) == 24  # every month of 2022-2023
    assert three["ratio"].between(0.0, 1.0).all()
    # Hurricane Hilary's remnants (20 Aug 2023) and Kay's (9-10 Sep 2022).
    aug = three.loc[pd.Period("2023-08", "M")]
    assert aug["first"] <= dt.date(2023, 8, 20) <= aug["last"] and aug["ratio"] < 0.5
    sep = three.loc[pd.Period("2022-09", "M")]
    assert sep["first"] <= dt.date(2022, 9, 9) <= sep["last"] and sep["ratio"] < 0.55
    assert ls.median_ratio[3] < ls.median_ratio[5] < ls.median_ratio[7] < 1


@pytest.mark.reference
def test_scenario_tables_name_unit_and_source(real):
    tables = s.scenario_tables(real)
    assert list(tables)[:4] == ["heat-wave", "peak-demand", "gas-crisis", "high-volatility"]
    files = {path.name for path in s.SOURCES.values()}
    for table in tables.values():
        assert list(table.columns) == ["figure", "value", "unit", "source"]
        assert set(table["source"]) <= files and table["unit"].ne("").all()
    peak = tables["peak-demand"].set_index("figure")
    # Whole local years only; the unit follows the field's name.
    assert {f[:4] for f in peak.index} == {"2022", "2023"}
    assert peak.loc["2023 peak_mw", "unit"] == "MW"
    assert peak.loc["2023 window_over_month", "unit"] == "1"
    assert peak.loc["2022 peak_hour", "value"] == "2022-09-06 17:00"
