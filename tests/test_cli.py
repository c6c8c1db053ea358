import json

import pytest
from typer.testing import CliRunner

import vppsim.cli
import vppsim.dataset.build
from vppsim.cli import app

from .sources import UnreachableMarket, test_registry

runner = CliRunner()
SMALL = ["--start", "2023-08-01", "--end", "2023-08-02", "--homes", "4"]


@pytest.fixture
def test_sources(monkeypatch):
    monkeypatch.setattr(vppsim.cli, "_registry", lambda: test_registry(UnreachableMarket))


def test_build_names_datasets_without_a_source(tmp_path, monkeypatch):
    from vppsim.weather.sources import SyntheticWeather

    from .sources import registry_of

    monkeypatch.setattr(vppsim.cli, "_registry", lambda: registry_of(SyntheticWeather))
    result = runner.invoke(app, ["build", "--offline", "--out", str(tmp_path / "data")])
    assert result.exit_code == 3
    assert result.stderr.strip() == (
        "error: no source implemented yet for: load (synthetic), solar (synthetic), "
        "system (synthetic), assets (synthetic), market (synthetic), pv (synthetic); "
        "nothing was written"
    )
    assert not (tmp_path / "data").exists()


def test_the_default_offline_build_is_complete_and_valid(tmp_path):
    out = tmp_path / "data"
    result = runner.invoke(app, ["build", "--offline", "--homes", "20", "--out", str(out)])
    assert result.exit_code == 0, result.output
    manifest = json.loads((out / "datapackage.json").read_text())
    assert manifest["vppsim"]["datasets"] == [
        "weather",
        "load",
        "solar",
        "system",
        "assets",
        "market",
        "pv",
        "forecasts",
        "generation_forecasts",
        "home_load_forecasts",
        "load_forecasts",
        "operator_forecasts",
        "price_forecasts",
        "system_forecasts",
    ]
    assert len(list((out / "load_profiles").glob("profile_*.csv"))) == 20
    assert len(list((out / "pv_profiles").glob("profile_*.csv"))) == 20
    assert (out / "parquet" / "homes.parquet").is_file()
    assert (out / "parquet" / "assets.parquet").is_file()
    assert (out / "assets" / "asset_specifications.json").is_file()
    assert (out / "assets" / "operational_constraints.json").is_file()
    header = (out / "market_data.csv").read_text().splitlines()[0]
    assert header == "timestamp,lmp,da_lmp,spin_price,nonspin_price,regup_price,regdown_price"
    assert runner.invoke(app, ["validate", str(out)]).exit_code == 0


def test_build_prints_a_summary_and_info_reads_it_back(tmp_path, test_sources):
    out = tmp_path / "data"
    result = runner.invoke(app, ["build", *SMALL, "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert f"Built {out}" in result.stdout
    assert (
        "weather, load, solar, system, assets, market, pv, forecasts, generation_forecasts, "
        "home_load_forecasts, load_forecasts, operator_forecasts, price_forecasts, "
        "system_forecasts; 192 intervals of 15 min from 2023-08-01T07:00" in result.stdout
    )
    assert "market: synthetic because CAISO OASIS did not answer within 30 s" in result.stdout
    assert "checks passed" in result.stdout

    info = runner.invoke(app, ["info", str(out)])
    assert info.exit_code == 0, info.output
    for fragment in (
        "2023-08-01 to 2023-08-02 (America/Los_Angeles)",
        "homes 4",
        "seed 42",
        "synthetic (fallback)",
        "fallbacks:",
        "total",
    ):
        assert fragment in info.stdout


def test_build_above_the_csv_limit_says_so(tmp_path, test_sources):
    result = runner.invoke(
        app, ["build", *SMALL, "--csv-homes-limit", "2", "--out", str(tmp_path / "d")]
    )
    assert result.exit_code == 0, result.output
    assert "Per-home CSVs skipped: 4 homes is above csv_homes_limit 2" in result.stdout


def test_offline_forces_every_dataset_synthetic(tmp_path, test_sources):
    out = tmp_path / "data"
    assert runner.invoke(app, ["build", *SMALL, "--offline", "--out", str(out)]).exit_code == 0
    provenance = json.loads((out / "datapackage.json").read_text())["provenance"]
    assert {p["requested"] for p in provenance.values()} == {"synthetic"}
    assert all(p["fallback_reason"] is None for p in provenance.values())


def test_keys_never_reach_the_output(tmp_path, test_sources, monkeypatch):
    monkeypatch.setenv("NLR_API_KEY", "sk-live-abcdef123456")
    (tmp_path / "study.toml").write_text('nlr_email = "gs-secret-987@example.org"\n')
    out = tmp_path / "data"
    result = runner.invoke(
        app, ["build", *SMALL, "--out", str(out), "--config", str(tmp_path / "study.toml")]
    )
    assert result.exit_code == 0, result.output
    config = json.loads((out / "datapackage.json").read_text())["vppsim"]["config"]
    assert config["nlr_api_key"] == config["nlr_email"] == "**********"
    for path in out.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert b"sk-live-abcdef123456" not in data and b"gs-secret-987" not in data
    assert "abcdef123456" not in result.output


def test_info_on_a_folder_without_or_with_a_broken_manifest(tmp_path):
    result = runner.invoke(app, ["info", str(tmp_path)])
    assert result.exit_code == 2
    assert (
        result.stderr.strip() == f"error: {tmp_path} is not a vppsim dataset: no datapackage.json"
    )
    (tmp_path / "datapackage.json").write_text('{"profile": "data-package"}')
    result = runner.invoke(app, ["info", str(tmp_path)])
    assert result.exit_code == 2 and "is not a vppsim manifest" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_ctrl_c_during_build_is_one_line(tmp_path, test_sources, monkeypatch):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(vppsim.dataset.build, "build_dataset", interrupted)
    result = runner.invoke(app, ["build", *SMALL, "--out", str(tmp_path / "d")])
    assert result.exit_code == 130
    assert (
        result.stderr.strip()
        == "interrupted: nothing was written; any earlier dataset is untouched"
    )


def test_help_explains_sources_and_precedence():
    result = runner.invoke(app, ["--help"])
    assert "VPPSIM_*" in result.stdout and "build" in result.stdout
    build = runner.invoke(app, ["build", "--help"])
    assert "--offline" in build.stdout and "live (never fall back)" in build.stdout


def test_only_builds_a_validated_subset_with_the_shipped_sources(tmp_path):
    out = tmp_path / "data"
    result = runner.invoke(
        app, ["build", *SMALL, "--offline", "--only", "solar", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "Built" in result.stdout and "weather, solar; 192 intervals" in result.stdout
    assert "homes" not in result.stdout.split("Built")[1].splitlines()[0]
    manifest = json.loads((out / "datapackage.json").read_text())
    assert manifest["vppsim"]["datasets"] == ["weather", "solar"]
    assert sorted(p.name for p in out.glob("*.csv")) == ["solar_data.csv", "weather.csv"]
    assert runner.invoke(app, ["validate", str(out)]).exit_code == 0
