"""The CALIBRATION.md battery and the published checks, on the real 2022 prices: real against
itself passes every month; a scaled copy fails the median, a shuffled copy the persistence."""

from __future__ import annotations

from functools import cache

import numpy as np
import pandas as pd
import pytest

from vppsim.market import evaluation as ev
from vppsim.market.evaluation import ALAMITOS_FILE, read_fmm_csv

from .conftest import REFERENCE

pytestmark = pytest.mark.reference
MARKET = REFERENCE / "market"
TZ = "America/Los_Angeles"


@cache
def real_2022() -> pd.Series:
    return read_fmm_csv(MARKET / ALAMITOS_FILE)


@cache
def real_figures() -> pd.DataFrame:
    return ev.price_figures(real_2022(), TZ)


def test_price_figures_of_real_2022():
    figures = real_figures()
    assert list(figures.index) == list(range(1, 13))
    assert {"median", "p5", "p95", "p99", "mean", "negative %", "above $250 %"} <= set(figures)
    assert set(ev.HOURS) <= set(figures)
    # The Dec 2022 gas crisis: 42 % of intervals above $250 (CAISO's DLAP figure: 43.23 %).
    assert figures.loc[12, "above $250 %"] == pytest.approx(42.4, abs=0.5)
    # CALIBRATION.md: real 15-min acf 0.6-0.95 at lag 1; 2022 at this node reaches 0.97.
    assert figures["acf 1"].between(0.6, 0.98).all()
    # Summer evening peaks: August's daily maximum falls at 16-21 h on nearly every day.
    assert figures.loc[8, "max at 16-21 h %"] > 90.0
    assert figures.loc[8, "h19"] > 1.5 * figures.loc[8, "h12"]


def test_real_against_itself_passes_every_month():
    checks = ev.battery_checks(real_figures(), [real_figures(), real_figures()])
    verdict = ev.passes_by_month(checks)
    assert verdict["pass"].sum() == 12
    assert (verdict["checks"] == len(ev.CRITERIA) + 1).all()
    hourly = checks.xs("hourly corr", level="check")["synthetic"]
    np.testing.assert_allclose(hourly, 1.0)


def test_scaled_copy_fails_the_median_and_keeps_the_persistence():
    checks = ev.battery_checks(real_figures(), [ev.price_figures(1.5 * real_2022(), TZ)])
    assert not checks.xs("median", level="check")["pass"].any()
    for lag in ev.ACF_LAGS:
        assert checks.xs(f"acf {lag}", level="check")["pass"].all()
    assert not ev.passes_by_month(checks)["pass"].any()


def test_shuffled_copy_fails_the_persistence():
    prices = real_2022()
    month = prices.index.tz_convert(TZ).month
    rng = np.random.default_rng(11)
    values = prices.to_numpy().copy()
    for m in range(1, 13):
        where = np.flatnonzero(month == m)
        values[where] = rng.permutation(values[where])
    checks = ev.battery_checks(
        real_figures(), [ev.price_figures(pd.Series(values, index=prices.index), TZ)]
    )
    assert not checks.xs("acf 1", level="check")["pass"].any()
    assert not checks.xs("acf 96", level="check")["pass"].any()
    # The distribution is untouched.
    assert checks.xs("median", level="check")["pass"].all()
    assert checks.xs("p99", level="check")["pass"].all()


def test_share_rules_at_their_thresholds():
    rule = ev.CRITERIA["negative %"][1]
    assert rule(8.0, 15.9) and not rule(8.0, 16.1) and not rule(8.0, 3.9)
    assert rule(0.5, 1.4) and not rule(0.5, 1.6)  # below 1 %: within 1 point
    spike = ev.CRITERIA["above $250 %"][1]
    assert spike(0.5, 0.26) and not spike(0.5, 0.24)  # at 0.5 %: a factor 2
    p5 = ev.CRITERIA["p5"][1]
    assert p5(-1.0, 8.9) and not p5(-1.0, 9.1)  # the $10 floor


def test_published_shares_reader_and_real_2022_against_caiso():
    published = ev.read_published_shares(MARKET / ev.PUBLISHED_SHARES_FILE)
    assert len(published) == 21
    assert published.index.is_monotonic_increasing
    assert published.loc[pd.Period("2022-12", "M"), "above $250 %"] == pytest.approx(43.23)
    assert published.loc[pd.Period("2025-02", "M"), "negative %"] == pytest.approx(16.84)
    assert published["source"].str.startswith("http").all()
    # One LA-basin node against the whole DLAP: the real 2022 months all pass.
    shares = ev.period_shares(real_2022(), TZ)
    checks = ev.published_share_checks(shares, published)
    assert len(checks) == 12  # 6 months of 2022 x 2 figures
    assert checks["pass"].all()
    # A series with no negative prices fails the spring months.
    flat = ev.published_share_checks(shares.assign(**{"negative %": 0.0}), published)
    assert not flat.loc[(pd.Period("2022-03", "M"), "negative %"), "pass"]


def test_dayahead_reader_and_checks():
    summary = ev.read_dayahead_summary(MARKET / ev.DAYAHEAD_SUMMARY_FILE)
    assert len(summary) == 731
    spring = summary.loc["2024-03":"2024-04", "midday"].mean()
    assert -32.0 < spring < -20.0  # CALIBRATION.md: -$25 to -$30 in Mar-Apr 2024
    # A day-ahead series holding each month's published means passes; +$60 fails.
    monthly = summary.groupby([summary.index.year, summary.index.month])[["midday", "evening"]]
    published = monthly.mean().groupby(level=1).mean()
    index = pd.date_range("2024-01-01 08:00", "2025-01-01 07:00", freq="1h", tz="UTC")
    local = index.tz_convert(TZ)
    midday = published["midday"].reindex(local.month).to_numpy()
    evening = published["evening"].reindex(local.month).to_numpy()
    hour = np.asarray(local.hour)
    values = np.where(
        (hour >= 10) & (hour <= 15), midday, np.where((hour >= 17) & (hour <= 20), evening, 0.0)
    )
    prices = pd.Series(values, index=index)
    checks = ev.dayahead_checks(prices, summary, TZ)
    assert len(checks) == 24
    assert checks["pass"].all()
    np.testing.assert_allclose(checks["synthetic"], checks["published"])
    assert not ev.dayahead_checks(prices + 60.0, summary, TZ)["pass"].any()


def test_ancillary_reader_and_checks():
    published = ev.read_ancillary_means(MARKET / ev.ANCILLARY_MEANS_FILE)
    assert list(published.index) == list(ev.AS_COLUMNS.values())
    assert published.loc["regdown_price", 2024] == pytest.approx(5.525)
    assert published.loc["nonspin_price", 2025] == pytest.approx(0.703)
    index = pd.date_range("2024-01-01 08:00", periods=96, freq="15min", tz="UTC")
    at_2024 = pd.DataFrame(
        {p: np.full(96, published.loc[p, 2024]) for p in published.index}, index=index
    )
    checks = ev.ancillary_checks(at_2024, published)
    assert checks.index.get_level_values("year").unique().tolist() == [2024]  # 2025 not built
    assert checks["pass"].all()
    tripled = ev.ancillary_checks(3.0 * at_2024, published)
    assert not tripled["pass"].any()
    assert list(tripled.columns) == ["published", "synthetic", "ratio", "pass"]
    # 2024's level is not 2025's: spin fell to 0.4 x, beyond the factor 1.5.
    at_2025 = at_2024.set_axis(at_2024.index + pd.DateOffset(years=1))
    assert not ev.ancillary_checks(at_2025, published).loc["spin_price", "pass"].all()


def test_scarcity_by_tightness_bands_seasons_and_shares():
    tightness = np.array([0.40, 0.52, 0.52, 0.52, 0.52, 0.65, 0.90, 0.52])
    month = np.array([1, 4, 4, 4, 4, 7, 8, 7])
    real = np.array([False, True, False, False, False, True, True, False])
    synthetic = [np.array([1, 0, 0, 0, 0, 1, 1, 1]), np.array([0, 0, 0, 0, 0, 1, 1, 1])]
    table = ev.scarcity_by_tightness(tightness, month, real, synthetic)
    assert table.loc[("Mar-May", "0.50-0.55"), "intervals"] == 4
    assert table.loc[("Mar-May", "0.50-0.55"), "real %"] == pytest.approx(25.0)
    assert table.loc[("Dec-Feb", "0.00-0.45"), "synthetic %"] == pytest.approx(50.0)
    assert table.loc[("Jun-Sep", ">= 0.80"), "real %"] == pytest.approx(100.0)
    assert table.loc[("Jun-Sep", "0.50-0.55"), ["real %", "synthetic %"]].tolist() == [0.0, 100.0]
    # Only the bands a season reaches, seasons in order.
    assert list(table.index) == [
        ("Dec-Feb", "0.00-0.45"),
        ("Mar-May", "0.50-0.55"),
        ("Jun-Sep", "0.50-0.55"),
        ("Jun-Sep", "0.60-0.70"),
        ("Jun-Sep", ">= 0.80"),
    ]
