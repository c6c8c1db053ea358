"""Scenarios (issue 14): weather events, presets, the settings overlay, common random numbers
and the suite."""

from __future__ import annotations

import datetime as dt
import json
import os
import pickle
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from vppsim.cli import app
from vppsim.config import load_settings, settings_class
from vppsim.dataset.build import build_dataset
from vppsim.dataset.manifest import read_manifest
from vppsim.errors import ConfigError, ValidationFailed
from vppsim.grid import build_grid
from vppsim.registry import default_registry
from vppsim.scenario.effects import scenario_effects, scenario_window
from vppsim.scenario.model import SUITES, load_scenario, preset_names
from vppsim.scenario.suite import SUITE_FILE, plan_suite, run_suite
from vppsim.seeds import Stream, stream_rng
from vppsim.weather.events import daily_forcing, event_days, event_start, ramp_weights
from vppsim.weather.parameters import WeatherEvent, WeatherParameters
from vppsim.weather.synthetic import simulate_weather

runner = CliRunner()
ZONE = "America/Los_Angeles"
SYNTHETIC = {f"{name}.source": "synthetic" for name in default_registry().names}


# --- events -----------------------------------------------------------------------------


def test_ramp_weights_build_and_fade_linearly():
    assert ramp_weights(10, 2).tolist() == pytest.approx(
        [1 / 3, 2 / 3, 1, 1, 1, 1, 1, 1, 2 / 3, 1 / 3]
    )
    assert ramp_weights(3, 0).tolist() == [1.0, 1.0, 1.0]


def test_events_are_placed_by_date_by_study_day_or_centred():
    first, last = dt.date(2023, 8, 1), dt.date(2023, 8, 31)
    assert event_start(WeatherEvent(days=10), first, last) == dt.date(2023, 8, 11)
    assert event_start(WeatherEvent(days=10, start_day=3), first, last) == dt.date(2023, 8, 3)
    placed = WeatherEvent(days=2, start=dt.date(2023, 8, 30))
    assert event_start(placed, first, last) == dt.date(2023, 8, 30)
    # Longer than the study: centred on it, so the study sees the event's middle.
    assert event_start(WeatherEvent(days=41), first, last) == dt.date(2023, 7, 27)
    assert event_days([placed, WeatherEvent(days=1, start_day=1)], first, last) == [
        dt.date(2023, 8, 1),
        dt.date(2023, 8, 30),
        dt.date(2023, 8, 31),
    ]


def test_daily_forcing_adds_raises_and_multiplies_factors_of_overlapping_events():
    days = [dt.date(2023, 8, 1) + dt.timedelta(days=i) for i in range(6)]
    heat = WeatherEvent(start_day=2, days=3, tmax_raise_c=4.0, tmin_raise_c=2.0)
    more = WeatherEvent(start_day=4, days=5, tmax_raise_c=1.0, clearsky_index_factor=0.5)
    forcing = daily_forcing(days, [heat, more], days[0], days[-1])
    assert forcing.tmax_raise_c.tolist() == [0, 4, 4, 5, 1, 1]
    assert forcing.tmin_raise_c.tolist() == [0, 2, 2, 2, 0, 0]
    assert forcing.clearsky_index_factor.tolist() == [1, 1, 1, 0.5, 0.5, 0.5]
    assert not daily_forcing(days, [], days[0], days[-1]).any


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"days": 5, "start_day": 2, "start": "2023-08-02"}, "start or start_day"),
        ({"days": 4, "ramp_days": 2}, "leaves no full day"),
        ({"days": 0}, "greater than or equal to 1"),
        ({"days": 3, "clearsky_index_factor": -0.1}, "greater than or equal to 0"),
    ],
)
def test_bad_events_are_refused(values, message):
    with pytest.raises(ValueError, match=message):
        WeatherEvent.model_validate(values)


def _weather(events=()):
    grid = build_grid(dt.date(2023, 8, 1), dt.date(2023, 8, 20), ZONE)
    return simulate_weather(
        grid,
        34.05,
        -118.24,
        ZONE,
        15,
        stream_rng(42, Stream.WEATHER),
        WeatherParameters(events=events),
    )


def _local_days(frame: pd.DataFrame) -> np.ndarray:
    return np.asarray(frame.index.tz_convert(ZONE).date)


def test_a_heat_event_raises_its_days_and_leaves_the_others_exactly():
    base = _weather()
    hot = _weather(
        (WeatherEvent(start_day=8, days=5, ramp_days=1, tmax_raise_c=6.0, tmin_raise_c=3.0),)
    )
    days = _local_days(base)
    # The diurnal curve runs from a day's maximum to the next day's minimum, so the evening
    # before the event and the morning after it move too; nothing else does.
    untouched = (days < dt.date(2023, 8, 7)) | (days > dt.date(2023, 8, 13))
    pd.testing.assert_frame_equal(base[untouched], hot[untouched], check_exact=True)
    daily_max = lambda frame: frame["temp_air_c"].groupby(days).max()  # noqa: E731
    raise_ = daily_max(hot) - daily_max(base)
    full = [dt.date(2023, 8, d) for d in (9, 10, 11)]
    assert raise_.loc[full].to_numpy() == pytest.approx(6.0, abs=0.05)
    assert raise_.loc[dt.date(2023, 8, 8)] == pytest.approx(3.0, abs=0.3)  # ramp: half
    # Irradiance is the base's: only the temperature was forced.
    pd.testing.assert_series_equal(base["ghi_w_m2"], hot["ghi_w_m2"], check_exact=True)


def test_smoke_cuts_the_clearsky_index_by_its_factor_and_cools_the_days():
    base = _weather()
    smoky = _weather((WeatherEvent(start_day=5, days=3, clearsky_index_factor=0.6),))
    days = _local_days(base)
    inside = (days >= dt.date(2023, 8, 6)) & (days <= dt.date(2023, 8, 6)) & (base["ghi_w_m2"] > 50)
    ratio = smoky.loc[inside, "clearsky_index"] / base.loc[inside, "clearsky_index"]
    assert ratio.to_numpy() == pytest.approx(0.6, rel=1e-9)
    mean_max = lambda frame: frame["temp_air_c"].groupby(days).max()  # noqa: E731
    assert (mean_max(smoky) - mean_max(base)).loc[dt.date(2023, 8, 6)] < -0.5
    before = days < dt.date(2023, 8, 4)
    pd.testing.assert_frame_equal(base[before], smoky[before], check_exact=True)


# --- presets and the settings overlay ---------------------------------------------------


def test_every_preset_resolves_cites_its_source_and_turns_a_knob():
    names = preset_names()
    assert set(SUITES["default"]) <= set(names)
    assert names[0] == "base"
    for name in names[1:]:
        settings = load_settings({"scenario": name}, env_file=None)
        assert settings.scenario.name == name
        assert settings.scenario.reference.strip(), name
        assert settings.scenario.settings, name
        base = load_settings({}, env_file=None)
        turned = [
            section
            for section in settings.scenario.settings
            if settings.options(section).model_dump(exclude={"source"})
            != base.options(section).model_dump(exclude={"source"})
        ]
        assert turned, name


def test_the_scenario_sits_between_the_files_and_the_explicit_arguments(tmp_path):
    config = tmp_path / "study.toml"
    config.write_text("[system]\ngas_price_usd_per_mmbtu = 4.0\ndemand_scale = 1.1\n")
    settings = load_settings({"scenario": "gas-crisis"}, config_file=config, env_file=None)
    assert settings.system.gas_price_usd_per_mmbtu == 27.68  # the scenario over the file
    assert settings.system.demand_scale == 1.1  # the file's other knobs stay
    explicit = load_settings(
        {"scenario": "gas-crisis", "system.gas_price_usd_per_mmbtu": 12}, env_file=None
    )
    assert explicit.system.gas_price_usd_per_mmbtu == 12  # the arguments over the scenario
    # The datasets the scenario reaches come from their models; the others keep theirs.
    assert explicit.system.source == explicit.market.source == "synthetic"
    assert explicit.weather.source == "auto"


def test_a_user_scenario_file_is_applied_and_recorded(tmp_path):
    path = tmp_path / "smoky.toml"
    path.write_text(
        'name = "smoky-week"\ntitle = "Smoke"\nreference = "Sep 2020 fires"\n'
        "[settings.weather]\nevents = [{start_day = 2, days = 3, clearsky_index_factor = 0.5}]\n"
    )
    settings = load_settings({"scenario": str(path)}, env_file=None)
    assert settings.scenario.name == "smoky-week"
    assert settings.weather.events[0].clearsky_index_factor == 0.5
    assert settings.redacted()["scenario"]["reference"] == "Sep 2020 fires"
    # Recorded, it validates back to the same settings (a rebuild from the manifest).
    again = load_settings({**settings.redacted(), "out": "x"}, env_file=None)
    assert again.weather == settings.weather and again.scenario == settings.scenario


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("name = 'x'\n[settings", "is not valid TOML"),
        ("name = 'x'\ncolour = 1\n", "colour: unknown key"),
        ("name = 'Bad Name'\n", "name: String should match pattern"),
        ("name = 'x'\n[settings]\nhomes = 3\n", "scenario x sets 'homes': a scenario sets model"),
        (
            "name = 'x'\n[settings.weather]\nevents = [{days = 3, tmax_raise = 2}]\n",
            "scenario x: unknown setting 'weather.events.0.tmax_raise'",
        ),
        (
            "name = 'x'\n[settings.market]\nscarcity_propensity = -1\n",
            "scenario x: market.scarcity_propensity=-1",
        ),
    ],
)
def test_a_malformed_scenario_file_is_named_in_one_line(tmp_path, text, message):
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as caught:
        load_settings({"scenario": str(path)}, env_file=None)
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_unknown_scenarios_live_conflicts_and_unresolved_names_are_refused():
    with pytest.raises(ConfigError, match=r"unknown scenario 'heatwave' \(use base, gas-crisis"):
        load_scenario("heatwave")
    with pytest.raises(ConfigError, match="scenario file not found"):
        load_settings({"scenario": "missing.toml"}, env_file=None)
    with pytest.raises(ConfigError, match=re.escape("market.source=live: scenario heat-wave")):
        load_settings({"scenario": "heat-wave", "market.source": "live"}, env_file=None)
    with pytest.raises(ValueError, match="is a scenario's name"):
        settings_class(default_registry())(scenario="heat-wave")


def test_a_nameless_scenario_file_is_named_after_itself_and_events_must_meet_the_study(tmp_path):
    path = tmp_path / "Smoke.toml"
    path.write_text(
        "[settings.weather]\nevents = [{start_day = 2, days = 2, clearsky_index_factor = 0.6}]\n"
    )
    scenario = load_settings({"scenario": str(path)}, env_file=None).scenario
    assert (scenario.name, scenario.title) == ("smoke", "smoke")  # never taken for the base
    late = tmp_path / "late.toml"
    late.write_text(
        "[settings.weather]\nevents = [{start = 2024-08-14, days = 3, tmax_raise_c = 3}]\n"
    )
    with pytest.raises(
        ConfigError, match=re.escape("weather.events.0 (3 days from 2024-08-14) misses the study")
    ):
        load_settings({"scenario": str(late)}, env_file=None)
    # Suites dispatch from Parquet: a CSV-only suite that would dispatch is refused up front.
    with pytest.raises(ConfigError, match="dispatch reads Parquet"):
        plan_suite(
            ("gas-crisis",), tmp_path / "s", {"formats": "csv"}, env_file=None, strategies=("lp",)
        )


def test_a_validation_failure_crosses_a_process_whole():
    failure = ValidationFailed(["market: 3 rows out of range", "pv: missing home 7"])
    again = pickle.loads(pickle.dumps(failure))
    assert again.failures == failure.failures and str(again) == str(failure)


def test_weather_events_make_the_live_weather_step_aside(small_settings, tmp_path):
    settings = small_settings(
        **{"weather.events": [{"start_day": 1, "days": 1, "tmax_raise_c": 4.0}]},
        datasets=("weather",),
    )
    result = build_dataset(settings, default_registry())
    provenance = result.manifest.provenance["weather"]
    assert provenance.kind == "synthetic"
    assert provenance.fallback_reason == "weather events need the synthetic weather model"


def test_the_cli_names_a_bad_scenario_in_one_line_without_traceback(tmp_path):
    result = runner.invoke(app, ["build", "--scenario", "nope", "--out", str(tmp_path / "d")])
    assert result.exit_code == 2
    assert "unknown scenario 'nope'" in result.output
    assert "Traceback" not in result.output
    result = runner.invoke(app, ["scenarios", str(tmp_path / "s"), "--scenario", "nope"])
    assert result.exit_code == 2 and "unknown scenario 'nope'" in result.output
    result = runner.invoke(app, ["scenarios", str(tmp_path / "s"), "--dispatch", "greedy"])
    assert result.exit_code == 2 and "--dispatch greedy" in result.output


# --- common random numbers --------------------------------------------------------------


def _parquet_rows(root: Path) -> dict[str, pd.DataFrame]:
    manifest = read_manifest(root)
    frames = {}
    for resource in manifest.resources:
        if resource.format == "parquet":
            frames[resource.path] = pd.read_parquet(root / resource.path)
    return frames


def test_a_scenario_is_the_base_to_the_byte_before_its_event(small_settings, tmp_path):
    """Every table, forecasts included, is the base's on the days before the heat event
    (the evening before it included, where the diurnal curve starts to rise)."""
    study = {**SYNTHETIC, "end": "2023-08-06", "homes": 3, "formats": "parquet", "datasets": None}
    event = tmp_path / "late-heat.toml"
    event.write_text(
        'name = "late-heat"\n[settings.weather]\n'
        "events = [{start_day = 5, days = 2, tmax_raise_c = 6.0, tmin_raise_c = 3.0}]\n"
    )
    base = small_settings(**study, out=tmp_path / "base")
    hot = small_settings(**study, out=tmp_path / "hot", scenario=str(event))
    for settings in (base, hot):
        build_dataset(settings, default_registry())
    ours, theirs = _parquet_rows(tmp_path / "base"), _parquet_rows(tmp_path / "hot")
    assert ours.keys() == theirs.keys()
    assert any("forecasts" in path for path in ours)
    last_untouched = pd.Timestamp("2023-08-04 00:00", tz=ZONE)
    for path, frame in ours.items():
        other = theirs[path]
        if "timestamp" in frame:
            untouched = frame["timestamp"] < last_untouched
            theirs_untouched = other["timestamp"] < last_untouched
        elif "day" in frame:  # the per-home-day rollups: local days
            untouched = pd.to_datetime(frame["day"]) < last_untouched.tz_localize(None)
            theirs_untouched = pd.to_datetime(other["day"]) < last_untouched.tz_localize(None)
        else:
            pd.testing.assert_frame_equal(frame, other, check_exact=True, obj=path)
            continue
        assert untouched.any(), path
        pd.testing.assert_frame_equal(
            frame[untouched].reset_index(drop=True),
            other[theirs_untouched].reset_index(drop=True),
            check_exact=True,
            obj=path,
        )
    weather = ours["parquet/weather.parquet"], theirs["parquet/weather.parquet"]
    assert (weather[1]["temp_air_c"] - weather[0]["temp_air_c"]).max() > 5.0
    # The effects are the key statistics on the event's days and on the others.
    window = [dt.date(2023, 8, 5), dt.date(2023, 8, 6)]
    assert scenario_window(tmp_path / "hot") == window
    effects = scenario_effects(tmp_path / "base", tmp_path / "hot").set_index("statistic")
    days = weather[0]["timestamp"].dt.tz_convert(ZONE).dt.date
    hottest = effects.loc["hottest interval"]
    assert hottest["base"] == weather[0].loc[days.isin(window), "temp_air_c"].max()
    assert hottest["scenario"] == weather[1].loc[days.isin(window), "temp_air_c"].max()
    assert hottest["base_outside"] == weather[0].loc[~days.isin(window), "temp_air_c"].max()
    assert effects.loc["peak demand", "change"] > 1000  # MW: CAISO's demand follows the heat


# --- the suite --------------------------------------------------------------------------


def test_a_suite_builds_each_scenario_shares_the_base_and_lists_it(tmp_path):
    root = tmp_path / "suite"
    overrides = {"end": "2023-08-02", "homes": 4, "formats": "parquet"}
    plans = plan_suite(("gas-crisis",), root, overrides, env_file=None)
    assert [p.scenario.name for p in plans] == ["base", "gas-crisis"]  # the base comes first
    assert all(p.weather.source == "synthetic" for p in plans)
    runs = run_suite(plans, root, "custom", strategies=("none",))
    listed = json.loads((root / SUITE_FILE).read_text())
    assert listed["base"] == "base" and listed["suite"] == "custom"
    assert [s["path"] for s in listed["scenarios"]] == ["base", "gas-crisis"]
    assert listed["scenarios"][1]["net_revenue_usd"]["none"] == runs[1].net_revenue_usd["none"]
    ids = [read_manifest(root / name).vppsim.version_id for name in ("base", "gas-crisis")]
    assert [s["version_id"] for s in listed["scenarios"]] == ids and ids[0] != ids[1]
    # The weather is the base's: one file on disk; the prices are the scenario's own.
    weather = "parquet/weather.parquet"
    assert os.path.samefile(root / "base" / weather, root / "gas-crisis" / weather)
    assert not os.path.samefile(
        root / "base" / "parquet/market.parquet", root / "gas-crisis" / "parquet/market.parquet"
    )
    assert (root / "gas-crisis" / "dispatch" / "none" / "summary.json").is_file()
    effects = scenario_effects(root / "base", root / "gas-crisis").set_index("statistic")
    assert effects.loc["mean gas price", "scenario"] == pytest.approx(27.68, rel=1e-6)
    assert effects.loc["mean real-time LMP", "change"] > 50
    assert effects.loc["mean daily max temperature", "change"] == 0
    assert effects["base_outside"].isna().all()  # a knob scenario's window is the study
    # Costlier energy makes the fleet's bill larger.
    assert runs[1].net_revenue_usd["none"] < runs[0].net_revenue_usd["none"]


def test_a_suite_refuses_a_folder_holding_other_things(tmp_path):
    root = tmp_path / "suite"
    root.mkdir()
    (root / "notes.txt").write_text("mine")
    plans = plan_suite(("base",), root, {"end": "2023-08-01", "homes": 2}, env_file=None)
    with pytest.raises(
        ConfigError, match=re.escape("holds notes.txt, which is not part of a vppsim suite")
    ):
        run_suite(plans, root, "custom", strategies=())
    assert (root / "notes.txt").read_text() == "mine"
