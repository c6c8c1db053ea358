"""The open dataset contract and the defects a new user hit (issue 10), one test each."""

from __future__ import annotations

import json
import os
import socket
import stat
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from vppsim import DataCollector
from vppsim.cli import app
from vppsim.config import load_settings
from vppsim.dataset.build import build_dataset
from vppsim.dataset.sources import Registry
from vppsim.dataset.validate import validate_directory
from vppsim.errors import ConfigError

from .plugins import tariff
from .sources import test_registry

runner = CliRunner()
SMALL = {"start": "2023-08-01", "end": "2023-08-02", "homes": 6, "chunk_homes": 4}


def with_tariff() -> Registry:
    return Registry([*test_registry().datasets, tariff.DATASET])


def frictionless_errors(root: Path) -> list[str]:
    import frictionless

    report = frictionless.validate(root / "datapackage.json")
    return [error.message for task in report.tasks for error in task.errors] + [
        error.message for error in report.errors
    ]


def test_a_dataset_added_by_one_module_builds_validates_and_is_a_data_package(tmp_path):
    registry = with_tariff()
    settings = load_settings(
        {**SMALL, "out": tmp_path / "d", "tariff": {"adder_usd_per_kwh": 0.3}},
        env_file=None,
        registry=registry,
    )
    result = build_dataset(settings, registry)
    assert result.report.ok, result.report.failures
    manifest = json.loads((tmp_path / "d" / "datapackage.json").read_text())
    assert "tariff" in manifest["vppsim"]["datasets"]
    assert manifest["vppsim"]["config"]["tariff"]["adder_usd_per_kwh"] == 0.3
    entry = next(r for r in manifest["resources"] if r["name"] == "tariff")
    assert entry["schema"]["primaryKey"] == ["issued_at", "quantile", "timestamp"]
    assert entry["rows"] == 3 * 192
    frame = pd.read_csv(tmp_path / "d" / "tariff_forecast.csv")
    assert frame["price_usd_per_kwh"].min() >= 0.3 - 1e-9
    assert frictionless_errors(tmp_path / "d") == []
    # The contract holds the new dataset to its keys: a repeated row is named.
    path = tmp_path / "d" / "tariff_forecast.csv"
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join([*lines, lines[5]]))
    specs = {d.name: d.spec for d in registry.datasets}
    assert "tariff (csv): schema and grid" in "\n".join(
        validate_directory(tmp_path / "d", specs).failures
    )


def test_the_shipped_build_is_a_valid_frictionless_data_package(built):
    assert frictionless_errors(built) == []


# -- defect 2: unknown names are refused everywhere ------------------------------------


def test_typos_in_keywords_environment_and_env_files_are_refused(tmp_path, monkeypatch):
    with pytest.raises(ConfigError, match=r"unknown setting 'home' .*did you mean homes"):
        DataCollector(home=1000, sed=7)
    monkeypatch.setenv("VPPSIM_HOMZ", "5")
    with pytest.raises(ConfigError, match=r"'homz' in the environment \(did you mean homes"):
        load_settings(env_file=None)
    monkeypatch.delenv("VPPSIM_HOMZ")
    with pytest.raises(ConfigError, match=r"env file not found: nope\.env"):
        load_settings(env_file="nope.env")
    binary = tmp_path / "binary.env"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    with pytest.raises(ConfigError, match=r"is not UTF-8 text|is not a text file"):
        load_settings(env_file=binary)
    typo = tmp_path / "typo.env"
    typo.write_text("VPPSIM_SEED=3\nHOMES=4\n")
    with pytest.raises(ConfigError, match=r"unknown setting 'HOMES' in env file"):
        load_settings(env_file=typo)
    section = tmp_path / "study.toml"
    section.write_text("[market]\ngas_pric = 4\n")
    with pytest.raises(ConfigError, match=r"unknown setting 'market.gas_pric'"):
        load_settings(config_file=section, env_file=None)


def test_sections_come_from_every_layer(tmp_path, monkeypatch):
    (tmp_path / "s.toml").write_text("[load]\nev_share = 0.2\n")
    monkeypatch.setenv("VPPSIM_MARKET__PRICE_LEVEL", "1.5")
    monkeypatch.setenv("VPPSIM_WEATHER_SOURCE", "synthetic")
    settings = load_settings(config_file=tmp_path / "s.toml", env_file=None)
    assert settings.load.ev_share == 0.2
    assert settings.market.price_level == 1.5
    assert settings.source_mode("weather") == "synthetic"
    assert settings.redacted()["market"]["price_level"] == 1.5


# -- defect 3: a rebuild never deletes what vppsim did not write -------------------------


def test_a_rebuild_refuses_to_delete_foreign_files_and_redraws_charts(tmp_path):
    out = tmp_path / "data"
    base = ["build", "--offline", "--start", "2023-08-01", "--end", "2023-08-01"]
    base += ["--homes", "3", "--out", str(out)]
    assert runner.invoke(app, base).exit_code == 0
    assert runner.invoke(app, ["plots", str(out)]).exit_code == 0
    charts = sorted(p.name for p in (out / "plots").iterdir())
    (out / "notes.txt").write_text("mine")
    result = runner.invoke(app, base)
    assert result.exit_code == 2
    assert "holds 1 file(s) vppsim did not write (notes.txt)" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert (out / "notes.txt").read_text() == "mine"
    assert runner.invoke(app, [*base, "--force"]).exit_code == 0
    assert (out / "notes.txt").read_text() == "mine"  # carried over
    assert sorted(p.name for p in (out / "plots").iterdir()) == charts  # drawn anew
    (out / "notes.txt").unlink()
    (out / "plots" / "mine.txt").write_text("x")
    result = runner.invoke(app, base)
    assert result.exit_code == 2 and "plots/mine.txt" in result.stderr


# -- defect 5: ports, hosts, permissions and links are one line --------------------------


def test_dashboard_on_a_taken_port_or_bad_host_is_one_line(built):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = runner.invoke(app, ["dashboard", str(built), "--port", str(port)])
    assert result.exit_code == 2
    assert result.stderr.strip() == f"error: cannot serve on 127.0.0.1:{port}: in use"
    result = runner.invoke(app, ["dashboard", str(built), "--host", "no such host!"])
    assert result.exit_code == 2 and "--host 'no such host!'" in result.stderr
    assert "running" not in result.stdout


def test_a_read_only_parent_is_one_line(tmp_path, monkeypatch):
    # Root may write anywhere, so the refusal the kernel gives a user is played here.
    import tempfile

    def refused(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(tempfile, "mkdtemp", refused)
    result = runner.invoke(app, ["build", "--offline", "--out", str(tmp_path / "ro" / "d")])
    assert result.exit_code == 2
    assert result.stderr.strip() == f"error: cannot write in {tmp_path / 'ro'}: permission denied"


def test_an_output_that_is_a_symlink_is_refused_and_leaves_nothing(tmp_path):
    real = tmp_path / "real"
    real.mkdir()
    link = tmp_path / "link"
    link.symlink_to(real)
    result = runner.invoke(app, ["build", "--offline", "--homes", "2", "--out", str(link)])
    assert result.exit_code == 2
    assert (
        result.stderr.strip()
        == f"error: output {link} is a symbolic link; give the folder it points to"
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link", "real"]


# -- defect 6: studies beyond the machine are refused up front ---------------------------


def test_a_study_beyond_this_machine_is_refused_with_its_estimate(tmp_path):
    result = runner.invoke(
        app, ["build", "--offline", "--homes", "50000000", "--out", str(tmp_path / "d")]
    )
    assert result.exit_code == 2
    line = result.stderr.strip()
    assert line.startswith("error: study too large for this machine: writes about")
    assert "--force" in line and not (tmp_path / "d").exists()


def test_long_periods_shrink_the_chunk_so_memory_stays_bounded():
    from vppsim.dataset.budget import HOME_INTERVALS_PER_CHUNK, homes_per_chunk

    settings = load_settings({"start": "2004-01-01", "end": "2023-12-31"}, env_file=None)
    intervals = 20 * 365 * 96
    chunk = homes_per_chunk(settings, intervals)
    assert chunk * intervals <= HOME_INTERVALS_PER_CHUNK and chunk >= 1
    assert homes_per_chunk(load_settings(env_file=None), 2976) == 1000


# -- defect 8: coarser intervals are averages of the same realisation --------------------


def test_hourly_is_the_mean_of_the_quarter_hours():
    quarter = DataCollector("2023-08-01", "2023-08-03", homes=2, interval_minutes=15)
    hourly = DataCollector("2023-08-01", "2023-08-03", homes=2, interval_minutes=60)
    for get in ("get_market_data", "get_weather_data", "get_solar_data"):
        fine, coarse = getattr(quarter, get)(), getattr(hourly, get)()
        assert len(coarse) * 4 == len(fine)
        for column in fine.columns.drop("timestamp"):
            expected = fine[column].to_numpy().reshape(-1, 4).mean(axis=1)
            np.testing.assert_allclose(coarse[column].to_numpy(), expected, rtol=1e-6, atol=1e-6)
    fine = quarter.generate_load_profiles()["load_kw"].to_numpy().reshape(-1, 4).mean(axis=1)
    coarse = hourly.generate_load_profiles()["load_kw"].to_numpy()
    np.testing.assert_allclose(coarse, fine, rtol=1e-5)


# -- defect 10: permissions follow the umask --------------------------------------------


def test_dataset_folders_follow_the_umask(small_settings):
    previous = os.umask(0o022)
    try:
        result = build_dataset(small_settings(), test_registry())
    finally:
        os.umask(previous)
    assert stat.S_IMODE(result.path.stat().st_mode) == 0o755
    assert stat.S_IMODE((result.path / "market_data.csv").stat().st_mode) == 0o644


# -- defect 12: smaller ones ---------------------------------------------------------------


def test_unknown_dataset_names_and_the_default_end_date():
    collector = DataCollector(start_date="2024-01-01", registry=test_registry())
    assert collector.settings.end.isoformat() == "2024-01-31"
    with pytest.raises(ConfigError, match=r"unknown dataset 'prices' \(use weather"):
        collector.provenance("prices")


def test_a_dataset_may_have_several_live_sources_chosen_by_a_setting(small_settings):
    from vppsim.dataset.sources import Provenance, SourceKind, SourceResult

    from .sources import TestMarket, registry_of

    class OtherIso(TestMarket):
        kind = SourceKind.LIVE
        name = "other_iso"

        def fetch(self, study, options, inputs, context):
            frame = super().fetch(study, options, inputs, context).data
            return SourceResult(frame, Provenance(SourceKind.LIVE, "other ISO", "1"))

    from vppsim.fleet.sources import PhysicsPv
    from vppsim.system.sources import SyntheticSystem

    from .sources import TestAssets, TestLoad, TestSolar, TestWeather, UnreachableMarket

    registry = registry_of(
        TestWeather,
        TestSolar,
        TestLoad,
        TestMarket,
        UnreachableMarket,
        OtherIso,
        SyntheticSystem,
        TestAssets,
        PhysicsPv,
    )
    assert list(registry["market"].live_sources) == ["UnreachableMarket", "other_iso"]
    first = build_dataset(small_settings(), registry)
    assert first.manifest.provenance["market"].fallback_reason.startswith("CAISO OASIS did not")
    chosen = build_dataset(small_settings(market={"live": "other_iso"}), registry)
    assert chosen.manifest.provenance["market"].source == "other ISO"
    with pytest.raises(ConfigError, match=r"market.live='nope': unknown live source \(use "):
        build_dataset(small_settings(market={"live": "nope"}), registry)


# -- found in review -----------------------------------------------------------------------


def test_files_under_raw_or_another_tools_package_are_never_deleted(tmp_path):
    out = tmp_path / "data"
    base = ["build", "--offline", "--start", "2023-08-01", "--end", "2023-08-01"]
    base += ["--homes", "2", "--out", str(out)]
    assert runner.invoke(app, base).exit_code == 0
    (out / "raw").mkdir()
    (out / "raw" / "mine.txt").write_text("x")
    result = runner.invoke(app, base)
    assert result.exit_code == 2 and "raw/mine.txt" in result.stderr
    other = tmp_path / "other"
    other.mkdir()
    (other / "datapackage.json").write_text('{"resources": [{"path": "sales.csv"}]}')
    (other / "sales.csv").write_text("a\n1\n")
    result = runner.invoke(app, [*base[:-1], str(other)])
    assert result.exit_code == 2 and "not a vppsim dataset" in result.stderr
    assert (other / "sales.csv").is_file()


def test_a_rebuild_without_the_charted_data_drops_the_charts(tmp_path):
    out = tmp_path / "data"
    base = ["build", "--offline", "--start", "2023-08-01", "--end", "2023-08-01"]
    base += ["--homes", "2", "--out", str(out)]
    assert runner.invoke(app, base).exit_code == 0
    assert runner.invoke(app, ["plots", str(out)]).exit_code == 0
    result = runner.invoke(app, [*base, "--only", "weather"])
    assert result.exit_code == 0, result.output
    assert not (out / "plots").exists()


def test_offline_cannot_be_undone_and_nested_options_reach_every_layer(tmp_path, monkeypatch):
    result = runner.invoke(
        app, ["build", "--offline", "--set", "market.source=auto", "--out", str(tmp_path / "d")]
    )
    assert result.exit_code == 2 and "choose sources with --source" in result.stderr
    default = load_settings(env_file=None).market.ancillary
    settings = load_settings({"market.ancillary.spin.level": "2"}, env_file=None)
    assert settings.market.ancillary.spin.level == 2.0
    # The product's own defaults are kept, not the generic product's.
    assert settings.market.ancillary.spin.log_std == default.spin.log_std
    monkeypatch.setenv("VPPSIM_MARKET__ANCILLARY__NONSPIN__LEVEL", "3")
    nonspin = load_settings(env_file=None).market.ancillary.nonspin
    assert (nonspin.level, nonspin.scarcity_price) == (3.0, default.nonspin.scarcity_price)
    with pytest.raises(ConfigError, match="'load' in the arguments is a section"):
        load_settings({"load": 3}, env_file=None)


def test_env_file_lines_must_be_settings_and_a_named_env_file_must_exist(tmp_path):
    bad = tmp_path / "bad.env"
    bad.write_text("VPPSIM_SEDD\n")
    with pytest.raises(ConfigError, match=r"line 'VPPSIM_SEDD' in env file .* is not NAME=VALUE"):
        load_settings(env_file=bad)
    empty_typo = tmp_path / "empty.env"
    empty_typo.write_text("VPPSIM_HOMZ=\nNLR_API_KEY=\n")
    with pytest.raises(ConfigError, match="unknown setting 'homz'"):
        load_settings(env_file=empty_typo)
    result = runner.invoke(app, ["build", "--env-file", ".env", "--out", str(tmp_path / "d")])
    assert result.exit_code == 2 and "env file not found: .env" in result.stderr


def test_hourly_prices_are_written_short_and_urls_lose_their_passwords(tmp_path):
    period = ["--start", "2023-08-01", "--end", "2023-08-01", "--homes", "1", "--only", "market"]
    result = runner.invoke(
        app,
        [
            *["build", "--offline", "--interval", "60", *period, "--out", str(tmp_path / "d")],
            *["--nlr-base-url", "https://user:hunter2@example.org"],
        ],
    )
    assert result.exit_code == 0, result.output
    rows = (tmp_path / "d" / "market_data.csv").read_text().splitlines()[1:]
    assert all(len(v.partition(".")[2]) <= 5 for row in rows for v in row.split(",")[1:])
    assert "hunter2" not in (tmp_path / "d" / "datapackage.json").read_text()


def test_info_on_a_manifest_without_its_study_settings_is_one_line(built, tmp_path):
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(built, copy)
    manifest = json.loads((copy / "datapackage.json").read_text())
    del manifest["vppsim"]["config"]["homes"]
    (copy / "datapackage.json").write_text(json.dumps(manifest))
    result = runner.invoke(app, ["info", str(copy)])
    assert result.exit_code == 2
    assert "missing study setting(s) homes" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_settings_lists_every_section_with_defaults_and_units():
    result = runner.invoke(app, ["settings"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    for fragment in ("market.price_level", "weather.heat_event_starts_per_month", "[$/MWh]"):
        assert fragment in result.stdout
    assert "load.ev_share" in result.stdout and "fallback_deadline_s" in result.stdout
    result = runner.invoke(app, ["settings", "prices"])
    assert result.exit_code == 2 and "unknown section 'prices'" in result.stderr


def test_a_dataset_of_an_earlier_vppsim_asks_to_be_rebuilt(built, tmp_path):
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(built, copy)
    manifest = json.loads((copy / "datapackage.json").read_text())
    manifest["version"] = "1.0"
    del manifest["resources"][0]["sha256"]
    (copy / "datapackage.json").write_text(json.dumps(manifest))
    result = runner.invoke(app, ["info", str(copy)])
    assert result.exit_code == 2
    assert "written by an earlier vppsim (manifest 1.0" in result.stderr
    assert "build the dataset again" in result.stderr


def test_import_and_the_cli_leave_the_heavy_libraries_until_used():
    # Every Dask worker and every CLI call pays the import: `import vppsim` loads none of
    # the data libraries and the CLI module only numpy; a command loads what it uses.
    import subprocess
    import sys

    heavy = ("pandas", "pandera", "pyarrow", "duckdb", "scipy", "pvlib", "distributed")
    code = (
        f"import sys; import {{module}}; print(','.join(m for m in {heavy!r} if m in sys.modules))"
    )
    for module in ("vppsim", "vppsim.cli"):
        loaded = subprocess.run(
            [sys.executable, "-c", code.format(module=module)],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        assert loaded == "", f"import {module} loads {loaded}"
