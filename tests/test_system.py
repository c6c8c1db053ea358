"""The system dataset: the synthetic model (weather-driven demand and solar, wind, gas), its
fit against the real drivers, and the OASIS day-ahead live source on recorded answers."""

from __future__ import annotations

import datetime as dt
import functools
import gzip

import numpy as np
import pandas as pd
import pytest

from vppsim.calendar import CAISO_TIMEZONE
from vppsim.config import DEFAULT_SITE
from vppsim.dataset.build import build_dataset
from vppsim.errors import SourceUnavailable
from vppsim.grid import build_grid
from vppsim.http import RateLimiter, new_client
from vppsim.market.oasis import read_oasis_zip
from vppsim.registry import default_registry
from vppsim.seeds import Stream, stream_rng
from vppsim.system import sources as system_sources
from vppsim.system.calibration import _side_by_side, synthetic_year
from vppsim.system.fit import capacity_table
from vppsim.system.model import COLUMNS, SystemCalibration, demand_level, simulate_system
from vppsim.system.oasis import get_system_forecast, read_sld_fcst, read_sld_ren_fcst
from vppsim.system.parameters import SystemParameters
from vppsim.system.reference import reference_drivers
from vppsim.system.sources import SYSTEM, CaisoSystem, _net_load_adds_up, coverage_notes
from vppsim.weather.synthetic import simulate_weather

from .conftest import REFERENCE, ROOT_TESTS
from .fakeserver import Canned, free_port
from .sources import manifest_of, study_on, test_registry
from .test_oasis import NO_DATA_ZIP, zipped

LA = CAISO_TIMEZONE
PATH = "/oasisapi/SingleZip"
NOW = pd.Timestamp("2024-01-15T00:00Z")
RAW_DIR = REFERENCE / "market" / "caiso_oasis_raw"
RAW = {
    "SLD_FCST": RAW_DIR / "20230731_20230830_SLD_FCST_DAM_20230927_12_29_39_v1.csv.gz",
    "SLD_REN_FCST": RAW_DIR / "20230731_20230830_SLD_REN_FCST_DAM_20230927_12_31_50_v1.csv.gz",
}
RECORDED = {
    "SLD_FCST": ROOT_TESTS / "data" / "oasis" / "sld_fcst_dam_20230817.zip",
    "SLD_REN_FCST": ROOT_TESTS / "data" / "oasis" / "sld_ren_fcst_dam_20230817.zip",
}


@pytest.fixture(scope="module")
def september():
    """Sep 2022 at 15 min: the synthetic LA weather and the system on it (seed 3)."""
    grid = build_grid(dt.date(2022, 9, 1), dt.date(2022, 9, 30), LA, 15)
    weather = simulate_weather(grid, *DEFAULT_SITE, LA, 15, stream_rng(3, Stream.WEATHER))
    system = simulate_system(grid, LA, weather, stream_rng(3, Stream.SYSTEM))
    return grid, weather, system


def local_dates(index: pd.DatetimeIndex) -> np.ndarray:
    return np.asarray(index.tz_convert(LA).date)


# --------------------------------------------------------------------------- model


def test_the_model_is_deterministic_and_on_the_grid(september):
    grid, weather, system = september
    again = simulate_system(grid, LA, weather, stream_rng(3, Stream.SYSTEM))
    pd.testing.assert_frame_equal(system, again)
    other = simulate_system(grid, LA, weather, stream_rng(4, Stream.SYSTEM))
    assert not np.allclose(other["wind_mw"], system["wind_mw"])
    assert tuple(system.columns) == COLUMNS and system.index.equals(grid)
    assert not system.isna().any().any()
    net = system["demand_mw"] - system["solar_mw"] - system["wind_mw"]
    np.testing.assert_allclose(system["net_load_mw"], net)
    failures = _net_load_adds_up(system.assign(net_load_mw=net + 5), study_on(grid), "system")
    assert failures and "not demand - solar - wind" in failures[0]


def test_a_heat_wave_raises_demand_where_it_is_hot_and_after(september):
    grid, weather, system = september
    hot = weather.copy()
    dates = local_dates(grid)
    day = dates == dt.date(2022, 9, 6)
    temperature = hot.loc[day, "temp_air_c"]
    # A 40 degC afternoon (LA on 2022-09-06), nights less raised than afternoons.
    shape = (temperature - temperature.min()) / (temperature.max() - temperature.min())
    hot.loc[day, "temp_air_c"] = temperature + (40 - temperature.max()) * (0.4 + 0.6 * shape)
    heated = simulate_system(grid, LA, hot, stream_rng(3, Stream.SYSTEM))
    before = dates < dt.date(2022, 9, 6)
    np.testing.assert_array_equal(heated["demand_mw"][before], system["demand_mw"][before])
    np.testing.assert_array_equal(heated["solar_mw"], system["solar_mw"])
    np.testing.assert_array_equal(heated["wind_mw"], system["wind_mw"])
    raised = heated["demand_mw"] - system["demand_mw"]
    assert (raised[day] > 0).all()
    # The real heat-wave peak: 51-52 GW (EIA-930 and CAISO, 2022-09-06); a normal Sep day
    # peaks in the mid-30s GW.
    assert system["demand_mw"][day].max() < 40000
    assert 47000 < heated["demand_mw"][day].max() < 58000
    # Persistence: the next morning is still warmer, a week later nothing is left.
    next_morning = (dates == dt.date(2022, 9, 7)) & (grid.tz_convert(LA).hour < 6)
    assert (raised[next_morning] > 300).all()
    assert raised[dates == dt.date(2022, 9, 14)].abs().max() < 1.0


def test_an_autumn_warm_spell_in_la_is_not_a_summer_heat_wave():
    """A Santa Ana afternoon in LA (32 degC in November) is not state-wide heat: it raises
    CAISO demand less than the same afternoon in September, and November stays within a few
    GW of its real 2022-2023 maxima (28.2 and 28.7 GW; the across-month response alone gave
    41 GW on this day, a spurious scarcity peak)."""

    def raise_on_a_hot_day(first: dt.date) -> tuple[float, float]:
        grid = build_grid(first, first + dt.timedelta(days=6), LA, 15)
        weather = simulate_weather(grid, *DEFAULT_SITE, LA, 15, stream_rng(4, Stream.WEATHER))
        day = local_dates(grid) == first + dt.timedelta(days=3)
        hot = weather.copy()
        hot.loc[day, "temp_air_c"] += 32.0 - weather.loc[day, "temp_air_c"].max()
        base = simulate_system(grid, LA, weather, stream_rng(4, Stream.SYSTEM))["demand_mw"]
        heated = simulate_system(grid, LA, hot, stream_rng(4, Stream.SYSTEM))["demand_mw"]
        return float((heated - base)[day].max()), float(heated[day].max())

    november_raise, november_peak = raise_on_a_hot_day(dt.date(2022, 11, 7))
    september_raise, _ = raise_on_a_hot_day(dt.date(2022, 9, 12))
    assert september_raise > 5000
    assert november_raise < 0.6 * september_raise
    assert november_peak < 33000


def test_solar_is_zero_at_night_and_scales_with_capacity(september):
    grid, weather, system = september
    standard_hour = (grid + pd.Timedelta(hours=-8)).hour
    night = (standard_hour < 5) | (standard_hour >= 20)
    assert (system["solar_mw"][night] == 0).all()
    noon = standard_hour == 12
    assert (system["solar_mw"][noon] > 2000).all()
    assert (system["solar_mw"] >= 0).all() and (system["wind_mw"] >= 0).all()

    def with_capacity(mw, **knobs):
        parameters = SystemParameters(solar_capacity_mw=mw, **knobs)
        return simulate_system(grid, LA, weather, stream_rng(3, Stream.SYSTEM), parameters)

    uncurtailed = {"net_load_floor_mw": -1e5}
    small, large = with_capacity(1e4, **uncurtailed), with_capacity(3e4, **uncurtailed)
    np.testing.assert_allclose(large["solar_mw"], 3.0 * small["solar_mw"])
    np.testing.assert_allclose(
        large["net_load_mw"], small["net_load_mw"] - 2.0 * small["solar_mw"], atol=1e-6
    )
    # With the fitted floor, a fleet 5 times today's is curtailed at midday: net load stays
    # at the lowest real 2022-2023 net load (2,489 MW), and solar is never negative.
    huge = with_capacity(8e4)
    floor = SystemCalibration.default().net_load_floor_mw
    assert floor == pytest.approx(2489.3)
    assert huge["net_load_mw"].min() == pytest.approx(floor)
    assert (huge["solar_mw"] < with_capacity(8e4, **uncurtailed)["solar_mw"]).any()
    assert (huge["solar_mw"] >= 0).all()
    # A cloudier study weather dims the fleet on those days, and only there.
    cloudy = weather.copy()
    day = local_dates(grid) == dt.date(2022, 9, 20)
    cloudy.loc[day, "ghi_w_m2"] *= 0.4
    dimmed = simulate_system(grid, LA, cloudy, stream_rng(3, Stream.SYSTEM))
    assert dimmed["solar_mw"][day].sum() < 0.8 * system["solar_mw"][day].sum()
    np.testing.assert_array_equal(dimmed["solar_mw"][~day], system["solar_mw"][~day])


def test_sourced_capacity_grows_with_the_years():
    calibration = SystemCalibration.default()
    years = list(calibration.solar_capacity_years)
    capacity = dict(zip(years, calibration.solar_capacity_mw, strict=True))
    assert capacity[2022] == pytest.approx(14963.0)  # CAISO Key Statistics, Feb 2022
    # The modelled series (hubs, then EIA-930) grew ~35 % from 2022 to 2025, the fuel mix's
    # solar ~55 %: the table follows the former.
    assert 1.25 * capacity[2022] < capacity[2025] < 1.45 * capacity[2022]
    assert np.all(np.diff(calibration.solar_capacity_mw) > 0)
    wind = dict(zip(calibration.wind_capacity_years, calibration.wind_capacity_mw, strict=True))
    assert wind[2022] == pytest.approx(7888.0)


def test_gas_table_override_and_scale():
    grid = build_grid(dt.date(2022, 11, 30), dt.date(2022, 12, 1), LA, 60)
    weather = pd.DataFrame({"temp_air_c": 15.0, "ghi_w_m2": 0.0}, index=grid)
    table = simulate_system(grid, LA, weather, stream_rng(0, Stream.SYSTEM))
    gas = table["gas_price_usd_per_mmbtu"]
    dates = local_dates(grid)
    # Held within the local month: Nov 2022 8.95, Dec 2022 27.68 (EIA N3045CA3 / 1.036).
    assert gas[dates == dt.date(2022, 11, 30)].unique() == pytest.approx([8.948], abs=0.01)
    assert gas[dates == dt.date(2022, 12, 1)].unique() == pytest.approx([27.683], abs=0.01)
    fixed = simulate_system(
        grid,
        LA,
        weather,
        stream_rng(0, Stream.SYSTEM),
        SystemParameters(gas_price_usd_per_mmbtu=12.0, gas_price_scale=2.0),
    )
    assert (fixed["gas_price_usd_per_mmbtu"] == 24.0).all()
    pd.testing.assert_series_equal(fixed["demand_mw"], table["demand_mw"])
    # After the table: the same calendar month of its last 12 months.
    calibration = SystemCalibration.default()
    last = calibration.gas_first_month + (len(calibration.gas_usd_per_mmbtu) - 1)
    later = last + 24
    grid_later = build_grid(
        dt.date(later.year, later.month, 2), dt.date(later.year, later.month, 2), LA, 60
    )
    weather_later = pd.DataFrame({"temp_air_c": 15.0, "ghi_w_m2": 0.0}, index=grid_later)
    beyond = simulate_system(grid_later, LA, weather_later, stream_rng(0, Stream.SYSTEM))
    assert beyond["gas_price_usd_per_mmbtu"].iloc[0] == pytest.approx(
        calibration.gas_usd_per_mmbtu[-1]
    )


def test_the_weather_must_cover_the_grid(september):
    grid, weather, _ = september
    with pytest.raises(ValueError, match="does not cover"):
        simulate_system(grid, LA, weather.iloc[:-4], stream_rng(0, Stream.SYSTEM))
    with pytest.raises(ValueError, match="lacks ghi_w_m2"):
        simulate_system(grid, LA, weather[["temp_air_c"]], stream_rng(0, Stream.SYSTEM))


def test_fitted_demand_and_renewables_are_near_the_real_2022():
    start = pd.Timestamp("2022-01-01", tz=LA).tz_convert("UTC")
    end = pd.Timestamp("2023-01-01", tz=LA).tz_convert("UTC")
    real = reference_drivers(REFERENCE, str(start), str(end))
    _, synthetic = synthetic_year(2022, 5)
    synthetic = synthetic.groupby(synthetic.index.floor("h")).mean()

    def figures(frame):
        local = frame.index.tz_convert(LA)
        spring_night = local.month.isin([3, 4, 5]) & (local.hour < 5)
        summer_afternoon = local.month.isin([7, 8, 9]) & local.hour.isin([16, 17, 18, 19])
        return {
            "spring night median": frame["demand_mw"][spring_night].median(),
            "summer afternoon median": frame["demand_mw"][summer_afternoon].median(),
            "summer afternoon p90": frame["demand_mw"][summer_afternoon].quantile(0.9),
            "mean demand": frame["demand_mw"].mean(),
            "mean solar": frame["solar_mw"].mean(),
            "mean wind": frame["wind_mw"].mean(),
        }

    real_figures, synthetic_figures = figures(real), figures(synthetic)
    for name, value in real_figures.items():
        assert synthetic_figures[name] == pytest.approx(value, rel=0.1), name


def test_the_report_has_flat_headers_and_a_verdict_ratio():
    months = pd.Index([1, 11], name="month")
    real = pd.DataFrame({"demand max": [30000.0, 28000.0], "net load max": [29000.0, 27000.0]})
    synthetic = real * np.array([[1.0, 1.0], [1.2, 1.1]])
    table = _side_by_side(real.set_index(months), synthetic.set_index(months))
    assert list(table.columns) == [
        "demand max real",
        "demand max synthetic",
        "demand max syn/real",
        "net load max real",
        "net load max synthetic",
    ]
    assert list(table.index) == ["Jan", "Nov"]
    assert table["demand max syn/real"].tolist() == [1.0, 1.2]


# --------------------------------------------------------------------------- live


def test_the_recorded_answers_parse_anywhere():
    demand = read_sld_fcst(read_oasis_zip(RECORDED["SLD_FCST"].read_bytes()))
    assert len(demand) == 24 and demand.index.is_monotonic_increasing
    assert demand.index[0] == pd.Timestamp("2023-08-17T07:00Z")
    # CAISO's day-ahead peak forecast for a hot mid-August day: ~42-44 GW at 17-18 PDT.
    assert 40000 < demand.max() < 46000
    assert demand.index[demand.argmax()].tz_convert(LA).hour in (16, 17, 18, 19)
    sce = read_sld_fcst(read_oasis_zip(RECORDED["SLD_FCST"].read_bytes()), tac="SCE-TAC")
    assert (sce < demand).all()
    renewables = read_sld_ren_fcst(read_oasis_zip(RECORDED["SLD_REN_FCST"].read_bytes()))
    assert list(renewables.columns) == ["solar_mw", "wind_mw"] and len(renewables) == 24
    local_hour = renewables.index.tz_convert(LA).hour
    assert (renewables["solar_mw"][(local_hour < 5) | (local_hour > 20)] == 0).all()
    assert 10000 < renewables["solar_mw"].max() < 17000
    with pytest.raises(SourceUnavailable, match="no SYS_FCST_DA_MW rows for SDGE-TAC"):
        read_sld_fcst(read_oasis_zip(RECORDED["SLD_FCST"].read_bytes()), tac="SDGE-TAC")


def raw_table(report: str) -> tuple[str, pd.Series]:
    text = gzip.decompress(RAW[report].read_bytes()).decode("utf-8")
    header, *lines = text.splitlines()
    column = header.split(",").index("INTERVALSTARTTIME_GMT")
    stamps = pd.to_datetime([line.split(",")[column] for line in lines], utc=True)
    return header, pd.Series(lines, index=stamps)


class ReplayOasis:
    """Answers SLD_FCST and SLD_REN_FCST by slicing the real OASIS files by window;
    ``drop(report, line)`` removes lines."""

    def __init__(self, drop=lambda report, line: False):
        self.tables = {report: raw_table(report) for report in RAW}
        self.drop = drop

    def __call__(self, query: dict) -> bytes:
        report = query["queryname"]
        if report not in self.tables or query.get("market_run_id") != "DAM":
            return NO_DATA_ZIP
        start = pd.to_datetime(query["startdatetime"], format="%Y%m%dT%H:%M%z")
        end = pd.to_datetime(query["enddatetime"], format="%Y%m%dT%H:%M%z")
        header, lines = self.tables[report]
        chosen = [
            line
            for line in lines[(lines.index >= start) & (lines.index < end)]
            if not self.drop(report, line)
        ]
        if not chosen:
            return NO_DATA_ZIP
        return zipped(f"{report}_DAM_v1.csv", "\n".join([header, *chosen]) + "\n")


def quick() -> dict:
    return {"limiter": RateLimiter(0), "sleep": lambda s: None, "now": NOW}


def test_live_forecasts_on_the_grid_from_the_real_files(server):
    url = server.route(PATH, Canned(200, ReplayOasis(), content_type="application/x-zip"))
    grid = build_grid(dt.date(2023, 8, 1), dt.date(2023, 8, 29), LA, 15)
    with new_client(5) as client:
        frame, details = get_system_forecast(client, grid, base_url=url, **quick())
    assert frame.index.equals(grid) and not frame.isna().any().any()
    assert [hit.query["queryname"] for hit in server.hits] == ["SLD_FCST", "SLD_REN_FCST"]
    assert server.hits[0].query["market_run_id"] == "DAM"
    # Held over the hour: each hour's four intervals carry its value.
    hourly = frame["demand_mw"].to_numpy().reshape(-1, 4)
    assert (hourly == hourly[:, :1]).all()
    # The values are the file's CA ISO-TAC day-ahead forecast: EIA-930 republishes it in
    # whole MW, the shared hub file keeps OASIS's decimals.
    expected = reference_drivers(REFERENCE, "2023-08-01T07:00", "2023-08-30T07:00")
    np.testing.assert_allclose(frame["demand_mw"].iloc[::4], expected["da_demand_mw"], atol=0.5)
    np.testing.assert_allclose(frame["solar_mw"].iloc[::4], expected["da_solar_mw"], atol=0.01)
    np.testing.assert_allclose(frame["wind_mw"].iloc[::4], expected["da_wind_mw"], atol=0.01)
    assert "SLD_FCST v1 DAM" in details["reports"] and details["tac"] == "CA ISO-TAC"


def test_a_missing_hub_hour_and_no_data_are_caught(server):
    def without_one_zp26_hour(report, line):
        return report == "SLD_REN_FCST" and line.startswith("2023-08-15,10,") and "ZP26" in line

    url = server.route(
        PATH,
        Canned(200, ReplayOasis(without_one_zp26_hour), content_type="application/x-zip"),
    )
    grid = build_grid(dt.date(2023, 8, 14), dt.date(2023, 8, 16), LA, 60)
    with new_client(5) as client, pytest.raises(SourceUnavailable) as caught:
        get_system_forecast(client, grid, base_url=url, **quick())
    assert "SLD_REN_FCST solar_mw misses 1 of 72 intervals: 2023-08-15 (1)" in str(caught.value)
    # A period OASIS holds nothing for: its "no data" answer, not an empty frame.
    url = server.route("/empty" + PATH, Canned(200, NO_DATA_ZIP, content_type="application/x-zip"))
    with new_client(5) as client, pytest.raises(SourceUnavailable) as caught:
        get_system_forecast(client, grid, base_url=url, **quick())
    assert "no data for this selection" in str(caught.value)


def test_the_default_registry_has_the_system_dataset():
    registry = default_registry()
    assert "system" in registry.names
    assert registry.names.index("system") > registry.names.index("weather")
    spec = registry.spec("system")
    assert spec is SYSTEM and spec.depends_on == ("weather",)
    assert [c.name for c in spec.columns] == list(COLUMNS)
    assert spec.csv_path == "system_data.csv" and spec.parquet_path == "parquet/system.parquet"
    options = registry["system"].options(gas_price_usd_per_mmbtu=30.0, source="synthetic")
    assert options.parameters(SystemParameters).gas_price_usd_per_mmbtu == 30.0


def test_a_build_writes_the_system_table(built):
    table = pd.read_csv(built / "system_data.csv")
    assert list(table.columns) == ["timestamp", *COLUMNS]
    gap = table["demand_mw"] - table["solar_mw"] - table["wind_mw"] - table["net_load_mw"]
    assert gap.abs().max() < 0.2
    assert (table["demand_mw"] > 15000).all()


def test_demand_levels_follow_the_sourced_years_then_the_growth_knob():
    calibration = SystemCalibration.default()
    years = np.array([2018, 2019, 2022, 2023, 2025, 2027])
    held = demand_level(years, calibration, SystemParameters())
    assert held[2] == 1.0 and held[0] == held[1]  # 2022 is the base; before 2019: held
    assert held[3] == pytest.approx(0.9755, abs=1e-4)  # EIA-930: 2023 was 2.5 % below 2022
    assert held[5] == held[4]
    grown = demand_level(
        years, calibration, SystemParameters(demand_growth_per_year=0.02, demand_scale=1.1)
    )
    np.testing.assert_allclose(grown[:5], 1.1 * held[:5])
    assert grown[5] == pytest.approx(1.1 * held[4] * 1.02**2)


def test_coverage_notes_say_which_side_of_the_tables():
    before = build_grid(dt.date(2016, 12, 30), dt.date(2017, 1, 2), LA, 60)
    notes = coverage_notes(before, LA, SystemParameters(demand_growth_per_year=0.02))
    assert "demand level: none sourced for 2016..2017 (table 2019-2025); held at 2019's" in notes
    assert "solar capacity: none sourced for 2016..2017 (table 2018-2025); held at 2018's" in notes
    assert not any("grown" in note for note in notes)  # growth is only after the table
    assert notes[0].startswith("gas: no sourced price for 2016-12..2017-01")
    after = build_grid(dt.date(2027, 1, 1), dt.date(2027, 1, 2), LA, 60)
    notes = coverage_notes(after, LA, SystemParameters(demand_growth_per_year=0.02))
    assert (
        "demand level: none sourced for 2027 (table 2019-2025); held at 2025's, then grown "
        "+2.0% a year" in notes
    )
    assert "wind capacity: none sourced for 2027 (table 2018-2025); held at 2025's" in notes
    # A set knob replaces its table: no note.
    knobs = SystemParameters(gas_price_usd_per_mmbtu=4.0, solar_capacity_mw=2e4)
    assert [note.split(":")[0] for note in coverage_notes(after, LA, knobs)] == [
        "demand level",
        "wind capacity",
    ]


def test_live_provenance_notes_gas_beyond_its_table(small_settings, monkeypatch):
    """The live source takes only the gas from the table: its provenance says where the
    table ends, and nothing of the synthetic model's demand levels or capacities."""

    def forecast(client, grid, **_):
        frame = pd.DataFrame(
            {"demand_mw": 25000.0, "solar_mw": 5000.0, "wind_mw": 2000.0}, index=grid
        )
        return frame, {"source": "CAISO OASIS", "reports": "SLD_FCST; SLD_REN_FCST"}

    monkeypatch.setattr(system_sources, "get_system_forecast", forecast)
    settings = small_settings(start="2027-01-04", end="2027-01-05", system_source="live")
    result = build_dataset(settings, test_registry(CaisoSystem))
    system = manifest_of(result)["provenance"]["system"]
    assert system["kind"] == "live" and system["fallback_reason"] is None
    assert "day-ahead market forecasts" in system["notes"][0]
    assert system["notes"][1].startswith("gas: no sourced price for 2027-01 (table 2019-01..")
    assert len(system["notes"]) == 2
    assert system["parameters"]["gas"].startswith("EIA N3045CA3")


def test_auto_falls_back_to_the_model_when_oasis_is_unreachable(small_settings, monkeypatch):
    unreachable = f"http://127.0.0.1:{free_port()}/oasisapi/SingleZip"
    monkeypatch.setattr(
        system_sources,
        "get_system_forecast",
        functools.partial(
            get_system_forecast,
            base_url=unreachable,
            now=NOW,
            sleep=lambda seconds: None,
            limiter=RateLimiter(0.0),
        ),
    )
    settings = small_settings(start="2023-08-01", end="2023-08-02")
    result = build_dataset(settings, test_registry(CaisoSystem))
    system = manifest_of(result)["provenance"]["system"]
    assert system["kind"] == "synthetic" and system["requested"] == "auto"
    assert "host unreachable: 127.0.0.1" in system["fallback_reason"]
    assert "system" in result.fallbacks


def test_capacity_follows_the_modelled_series_where_it_exists():
    days = pd.date_range("2021-01-01", "2023-12-31", freq="D")
    growth = {2021: 0.9, 2022: 1.0, 2023: 1.5}
    fuel_mix = pd.DataFrame({"solar_mw": [1000.0 * growth[d.year] for d in days]}, index=days.date)
    hours = pd.date_range(
        "2022-01-01T08:00", "2024-01-01T08:00", freq="h", tz="UTC", inclusive="left"
    )
    local_year = hours.tz_convert(LA).year
    # The modelled series is 90 % of the fuel mix in 2022, 80 % in 2023.
    output = pd.Series(np.where(local_year == 2022, 900.0, 1200.0), index=hours)
    years, mw = capacity_table(fuel_mix, "solar", output)
    table = dict(zip(years, mw, strict=True))
    assert table[2022] == pytest.approx(14963.0)
    assert table[2023] == pytest.approx(14963.0 * 1200 / 900, rel=1e-3)
    assert table[2021] == pytest.approx(14963.0 * 0.9, rel=1e-3)
    years, mw = capacity_table(fuel_mix, "solar")
    assert dict(zip(years, mw, strict=True))[2023] == pytest.approx(14963.0 * 1.5, rel=1e-3)
