"""The synthetic CAISO price model: contract, determinism, shape, regimes, level, AS, and the
calibration against the real prices in ../shared/reference/market."""

from __future__ import annotations

import dataclasses
import datetime as dt
import importlib.util
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from vppsim.calendar import local_calendar
from vppsim.grid import build_grid
from vppsim.market.calibration import ALAMITOS_FILE, market_calibration_tables
from vppsim.market.synthetic import (
    AS_PRODUCTS,
    COLUMNS,
    PRICE_CAP,
    PRICE_FLOOR,
    PRICE_LEVEL_SOURCES,
    PRICE_LEVELS,
    MarketParameters,
    price_level,
    simulate_prices,
)
from vppsim.seeds import Stream, stream_rng
from vppsim.weather.synthetic import WeatherParameters, simulate_weather

from .conftest import SHARED

TZ = "America/Los_Angeles"
REFERENCE = SHARED / "reference"
needs_reference = pytest.mark.skipif(
    not (REFERENCE / "market" / ALAMITOS_FILE).is_file(),
    reason="needs ../shared/reference/market",
)


@cache
def weather_for(start: dt.date, end: dt.date, seed: int = 1, heat_factor: float = 1.0):
    grid = build_grid(start, end, TZ, 15)
    parameters = WeatherParameters.default()
    if heat_factor != 1.0:
        parameters = dataclasses.replace(
            parameters,
            heat_event_starts_per_month=parameters.heat_event_starts_per_month * heat_factor,
            heat_offset_max_c=parameters.heat_offset_max_c,
            heat_offset_min_c=parameters.heat_offset_min_c,
        )
    return simulate_weather(
        grid, 34.05, -118.24, TZ, 15, stream_rng(seed, Stream.WEATHER), parameters
    )


@cache
def prices_for(start: dt.date, end: dt.date, seed: int = 1, level: float | None = None):
    weather = weather_for(start, end, seed)
    return simulate_prices(weather.index, TZ, weather, stream_rng(seed, Stream.MARKET), level=level)


def local(frame: pd.DataFrame) -> pd.DatetimeIndex:
    return frame.index.tz_convert(TZ)


def episodes(flags: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    padded = np.concatenate([[False], flags, [False]]).astype(np.int8)
    edges = np.diff(padded)
    starts = np.flatnonzero(edges == 1)
    return starts, np.flatnonzero(edges == -1) - starts


# --- Contract -------------------------------------------------------------------------------


def check_contract(frame: pd.DataFrame, grid: pd.DatetimeIndex) -> None:
    assert frame.index.equals(grid)
    assert list(frame.columns) == list(COLUMNS)
    assert all(frame[c].dtype == np.float64 for c in frame.columns)
    assert not frame.isna().any().any()
    assert frame["lmp"].between(PRICE_FLOOR, PRICE_CAP).all()
    for name in AS_PRODUCTS:
        assert frame[name].between(0.0, 10000.0).all()


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (dt.date(2023, 8, 1), dt.date(2023, 8, 31)),
        (dt.date(2024, 4, 1), dt.date(2024, 4, 30)),
        (dt.date(2022, 12, 1), dt.date(2022, 12, 31)),
        (dt.date(2001, 1, 1), dt.date(2001, 1, 3)),
        (dt.date(2031, 6, 30), dt.date(2031, 7, 2)),
        (dt.date(2019, 11, 1), dt.date(2021, 2, 28)),  # multi-year, both DST changes
    ],
)
def test_contract_any_period(start, end):
    grid = build_grid(start, end, TZ, 15)
    check_contract(prices_for(start, end), grid)


@pytest.mark.parametrize(
    ("day", "intervals"), [(dt.date(2024, 3, 10), 92), (dt.date(2024, 11, 3), 100)]
)
def test_dst_days(day, intervals):
    grid = build_grid(day, day, TZ, 15)
    assert len(grid) == intervals
    frame = prices_for(day, day, seed=3)
    check_contract(frame, grid)
    assert local_calendar(grid, TZ).hour.max() == 23


def test_without_weather_hourly_grid_and_empty_grid():
    grid = build_grid(dt.date(2023, 7, 1), dt.date(2023, 7, 7), TZ, 60)
    frame = simulate_prices(grid, TZ, None, np.random.default_rng(0))
    check_contract(frame, grid)
    assert simulate_prices(grid[:0], TZ, None, np.random.default_rng(0)).empty
    with pytest.raises(ValueError):
        simulate_prices(grid, TZ, None, np.random.default_rng(0), level=-1.0)


def test_deterministic_and_draw_order_depends_only_on_grid():
    start, end = dt.date(2023, 8, 1), dt.date(2023, 8, 10)
    weather = weather_for(start, end)
    grid = weather.index
    a = simulate_prices(grid, TZ, weather, np.random.default_rng(5))
    b = simulate_prices(grid, TZ, weather, np.random.default_rng(5))
    pd.testing.assert_frame_equal(a, b)
    c = simulate_prices(grid, TZ, weather, np.random.default_rng(6))
    assert not np.allclose(a["lmp"], c["lmp"])
    # Other weather, level and parameters consume the same draws.
    rng1, rng2 = np.random.default_rng(9), np.random.default_rng(9)
    simulate_prices(grid, TZ, weather, rng1)
    hotter = weather.assign(temp_air_c=weather["temp_air_c"] + 5.0)
    parameters = MarketParameters.default(spike_day_share=np.full(12, 0.9))
    simulate_prices(grid, TZ, hotter, rng2, parameters, level=3.0)
    assert rng1.random() == rng2.random()


# --- Shape ----------------------------------------------------------------------------------


def test_summer_evening_peak():
    frame = prices_for(dt.date(2023, 8, 1), dt.date(2023, 8, 31))
    hours = local(frame).hour
    hourly = frame["lmp"].groupby(hours).median()
    assert 16 <= hourly.idxmax() <= 21
    assert hourly.loc[17:21].max() > 1.4 * frame["lmp"].median()
    days = pd.DataFrame({"p": frame["lmp"].to_numpy(), "d": local(frame).date, "h": hours})
    peak_hours = days.loc[days.groupby("d")["p"].idxmax(), "h"]
    assert peak_hours.between(16, 21).mean() > 0.8


def test_spring_midday_trough_with_negative_prices():
    frame = prices_for(dt.date(2024, 4, 1), dt.date(2024, 4, 30))
    lmp, hours = frame["lmp"], local(frame).hour
    midday = lmp[(hours >= 10) & (hours < 16)]
    overnight = lmp[hours < 6]
    assert midday.median() < 0.4 * overnight.median()
    assert (midday < 0).mean() > 0.08
    assert (lmp[(hours < 6) | (hours >= 18)] < 0).mean() < 0.01
    assert 0.03 < (lmp < 0).mean() < 0.17


def test_negative_shares_by_season():
    frame = prices_for(dt.date(2023, 1, 1), dt.date(2025, 12, 31), seed=4)
    month = local(frame).month
    negative = (frame["lmp"] < 0).groupby(month).mean()
    assert negative.loc[[3, 4, 5]].between(0.03, 0.17).all()
    assert negative.loc[[7, 8]].max() < 0.005
    assert negative.loc[[7, 8]].max() < negative.loc[[3, 4, 5]].min() / 10


def test_heat_events_raise_evening_prices():
    start, end = dt.date(2023, 6, 1), dt.date(2024, 9, 30)
    normal = weather_for(start, end, seed=2)
    hot = weather_for(start, end, seed=2, heat_factor=8.0)
    summer = local(normal).month.isin([7, 8, 9])
    assert hot["temp_air_c"][summer].max() > normal["temp_air_c"][summer].max()
    means, spikes = [], []
    for weather in (normal, hot):
        frame = simulate_prices(weather.index, TZ, weather, stream_rng(2, Stream.MARKET))
        hours = local(frame).hour
        evening = summer & (hours >= 16) & (hours <= 21)
        means.append(frame["lmp"][evening].mean())
        spikes.append((frame["lmp"][summer] > 250).mean())
    assert means[1] > 1.1 * means[0]
    assert spikes[1] > spikes[0]


# --- Spikes ---------------------------------------------------------------------------------


def test_spikes_are_capped_clustered_and_in_the_evening():
    frame = prices_for(dt.date(2021, 6, 1), dt.date(2024, 9, 30), seed=5)
    lmp, hours = frame["lmp"].to_numpy(), local(frame).hour
    summer = np.asarray(local(frame).month.isin([6, 7, 8, 9]))
    assert lmp.max() <= PRICE_CAP
    starts, lengths = episodes(lmp > 250)
    in_summer = summer[starts]
    starts, lengths = starts[in_summer], lengths[in_summer]
    assert len(starts) > 50
    assert 1.5 <= lengths.mean() <= 8.0  # about an hour of 15-min intervals
    assert np.isin(hours[starts], range(15, 22)).mean() > 0.7
    # Huge spikes stop at the cap.
    parameters = MarketParameters.default()
    big = MarketParameters.default(spike_ratio_quantiles=parameters.spike_ratio_quantiles * 50)
    weather = weather_for(dt.date(2023, 8, 1), dt.date(2023, 8, 31))
    capped = simulate_prices(weather.index, TZ, weather, np.random.default_rng(1), big)["lmp"]
    assert capped.max() == PRICE_CAP


def test_no_spikes_without_spike_days():
    weather = weather_for(dt.date(2023, 8, 1), dt.date(2023, 8, 31))
    quiet = MarketParameters.default(spike_day_share=np.full(12, 1e-9))
    frame = simulate_prices(weather.index, TZ, weather, np.random.default_rng(1), quiet)
    spiky = simulate_prices(weather.index, TZ, weather, np.random.default_rng(1))
    assert frame["lmp"].max() < spiky["lmp"].max()
    assert frame["lmp"].max() < 600


# --- Level ----------------------------------------------------------------------------------


def test_price_levels_are_sourced_and_extend_flat():
    assert set(PRICE_LEVEL_SOURCES) == set(PRICE_LEVELS)
    assert PRICE_LEVELS[2022] == 1.0 and price_level(2022) == 1.0
    assert price_level(2022) > 1.5 * price_level(2023)
    assert price_level(1990) == PRICE_LEVELS[min(PRICE_LEVELS)]
    assert price_level(2050) == PRICE_LEVELS[max(PRICE_LEVELS)]


def test_level_scales_prices():
    start, end = dt.date(2023, 8, 1), dt.date(2023, 8, 31)
    default = prices_for(start, end)  # the 2023 default level
    as_2022 = prices_for(start, end, level=price_level(2022))
    doubled = prices_for(start, end, level=2 * price_level(2022))
    assert as_2022["lmp"].mean() > 1.5 * default["lmp"].mean()
    assert as_2022["lmp"].median() / default["lmp"].median() == pytest.approx(
        1.0 / price_level(2023), rel=0.02
    )
    assert doubled["lmp"].median() / as_2022["lmp"].median() == pytest.approx(2.0, rel=0.02)
    assert as_2022["spin_price"].median() > default["spin_price"].median()


def test_december_2022_gas_crisis_level():
    dec_2022 = prices_for(dt.date(2022, 12, 1), dt.date(2022, 12, 31))
    dec_2024 = prices_for(dt.date(2024, 12, 1), dt.date(2024, 12, 31))
    nov_2022 = prices_for(dt.date(2022, 11, 1), dt.date(2022, 11, 30))
    assert dec_2022["lmp"].median() > 2.0 * nov_2022["lmp"].median()
    assert dec_2022["lmp"].median() > 4.0 * dec_2024["lmp"].median()


# --- Ancillary services ---------------------------------------------------------------------


def test_ancillary_services_are_their_own_processes():
    frame = prices_for(dt.date(2023, 1, 1), dt.date(2023, 12, 31), seed=7)
    hours = local(frame).hour
    night = hours < 6
    evening = (hours >= 17) & (hours <= 21)
    midday = (hours >= 10) & (hours < 15)
    calm = frame["lmp"] < 250
    nonspin, spin = frame["nonspin_price"], frame["spin_price"]
    assert nonspin[calm].median() < 1.0 and nonspin[calm].quantile(0.9) < 2.0
    assert 1.0 < spin[night].median() < 6.0
    assert spin[evening].median() > 1.5 * spin[night].median()
    assert nonspin[evening].median() > 2.0 * nonspin[night].median()
    for name in ("regup_price", "regdown_price"):
        assert 2.0 < frame[name].median() < 20.0
    assert frame["regdown_price"][midday].median() > 1.5 * frame["regdown_price"][night].median()
    # Scarcity: AS jump with energy spikes.
    spiky = frame["lmp"] > 500
    assert spiky.any()
    assert spin[spiky].median() > 3.0 * spin[evening & calm].median()
    # Not a fixed share of the LMP.
    for name in AS_PRODUCTS:
        assert abs(np.corrcoef(frame[name], frame["lmp"])[0, 1]) < 0.9
        ratio = frame[name][frame["lmp"] > 5] / frame["lmp"][frame["lmp"] > 5]
        assert ratio.std() / ratio.mean() > 0.3


# --- Calibration against the real prices ----------------------------------------------------


def _load_fit_script():
    path = Path(__file__).resolve().parents[1] / "benchmarks" / "fit_market.py"
    spec = importlib.util.spec_from_file_location("fit_market", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@needs_reference
def test_calibrated_json_is_reproducible_from_the_references():
    script = _load_fit_script()
    assert script.fitted_text(REFERENCE) == script.OUTPUT.read_text("utf-8")


@pytest.fixture(scope="module")
def tables():
    return market_calibration_tables(REFERENCE, years=REPORT_YEARS, seed=11)


def _table(tables, prefix):
    return next(t for k, t in tables.items() if k.startswith(prefix))


REPORT_YEARS = 6
"""Simulated years in the report test. The spread of one simulated August is wide (share
above $250: 0.9-5.1 %, p95: $146-255 for the 5-95 % range of years), so the tolerances are
set for the average of six years against one real year."""
HEAT_WAVE_MONTHS = [9]
"""Sep 2022 held the record Aug 31-Sep 9 heat wave (CAISO's 52 GW peak, prices at the cap
for hours), left out of the base fit: its level and tails are those of one extreme event,
which typical synthetic weather does not have. Its median and shape are still checked."""


@needs_reference
def test_report_level_and_spread_per_month(tables):
    level = _table(tables, "LMP level and spread")
    assert list(level.index) == list(range(1, 13))
    ratio = level["median syn"] / level["median real"]
    calm = [m for m in level.index if m not in HEAT_WAVE_MONTHS]
    assert ratio.loc[calm].between(0.9, 1.1).all(), ratio
    # The heat-wave days are left out of the fit (typical weather): a lower September.
    assert ratio.loc[HEAT_WAVE_MONTHS].between(0.75, 1.1).all(), ratio
    p95 = level.loc[calm, "p95 syn"] / level.loc[calm, "p95 real"]
    assert p95.between(0.8, 1.3).all(), p95
    p5 = (level["p5 syn"] - level["p5 real"]).abs()
    assert (p5 < 12.0).all(), p5  # $/MWh; p5 sits near zero in spring
    mean = level.loc[calm, "mean syn"] / level.loc[calm, "mean real"]
    assert mean.between(0.85, 1.15).all(), mean
    # A tolerance of a factor 2 on p99 (one year of real data, spikes at its top).
    p99 = level.loc[calm, "p99 syn"] / level.loc[calm, "p99 real"]
    assert p99.between(0.5, 2.0).all(), p99


@needs_reference
def test_report_regimes_and_timing_per_month(tables):
    regimes = _table(tables, "Regimes and timing")
    negative = (regimes["negative % syn"] - regimes["negative % real"]).abs()
    assert (negative < 3.0).all(), negative  # percentage points
    calm = [m for m in regimes.index if m not in [*HEAT_WAVE_MONTHS, 12]]
    spikes = (regimes.loc[calm, "above $250 % syn"] - regimes.loc[calm, "above $250 % real"]).abs()
    assert (spikes < 2.0).all(), spikes
    assert abs(regimes.loc[12, "above $250 % syn"] - regimes.loc[12, "above $250 % real"]) < 12
    assert regimes.loc[[6, 7, 8], "max at 16-21 h syn"].min() > 0.85
    evening = regimes["max at 16-21 h syn"] - regimes["max at 16-21 h real"]
    assert (evening > -0.35).all(), evening
    assert (regimes["hourly median corr"] > 0.95).all()


@needs_reference
def test_report_persistence_and_day_type_per_month(tables):
    persistence = _table(tables, "Persistence and day type")
    # CALIBRATION.md: lag 1 in 0.6-0.95 and lag 96 in 0.4-0.75 (real, by month); the
    # synthetic months stay in slightly wider bands and within 0.3 of the real month.
    assert persistence["acf 1 syn"].between(0.55, 0.97).all()
    assert persistence["acf 96 syn"].between(0.3, 0.85).all()
    for lag in ("acf 1", "acf 4", "acf 96"):
        gap = (persistence[f"{lag} syn"] - persistence[f"{lag} real"]).abs()
        assert (gap < 0.35).all(), (lag, gap)
    summer = persistence.loc[[6, 7, 8], "off/work mean syn"]
    assert summer.between(0.6, 0.9).all(), summer


@needs_reference
def test_report_2023_against_mil1_and_caiso(tables):
    table = _table(tables, "2023 (2023 level)")
    real, syn = table["real MIL1 Aug 2023"], table["syn Aug 2023"]
    assert syn["median"] == pytest.approx(real["median"], rel=0.15)
    assert syn["p5"] == pytest.approx(real["p5"], rel=0.3)
    # Above $250 in Aug 2023: 0.17 % at MIL1, 1.54 % of CAISO's FMM DLAP prices (0.24 % in
    # Sep 2023); the synthetic share stays within (a little beyond) that range.
    assert 0.1 < syn["above $250 %"] < 2.5
    assert table.loc["above $250 %", "syn Sep 2023"] < syn["above $250 %"]
    assert syn["negative %"] < 0.2


@needs_reference
def test_report_lists_levels_and_ancillary_services(tables):
    levels = _table(tables, "Default price levels")
    assert levels.loc[2022, "level"] == 1.0
    assert levels["source"].str.len().min() > 40
    ancillary = _table(tables, "Ancillary services")
    assert ancillary.loc[("nonspin_price", "Jun-Oct", "night 0-5"), "median"] < 1.0
