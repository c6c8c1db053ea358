import datetime as dt

import pytest
from typer.testing import CliRunner

from vppsim.cli import app
from vppsim.config import REDACTED, SourceMode, load_settings
from vppsim.errors import ConfigError

runner = CliRunner()


def test_defaults_are_august_2023_in_los_angeles():
    settings = load_settings(env_file=None)
    assert (settings.start, settings.end) == (dt.date(2023, 8, 1), dt.date(2023, 8, 31))
    assert (settings.latitude, settings.longitude) == (34.05, -118.24)
    assert (settings.homes, settings.seed, settings.interval_minutes) == (200, 42, 15)
    assert settings.timezone == "America/Los_Angeles"
    assert all(
        settings.source_mode(name) is SourceMode.AUTO
        for name in ("weather", "solar", "market", "load")
    )


def test_precedence_flags_env_dotenv_toml_defaults(tmp_path, monkeypatch):
    toml = tmp_path / "study.toml"
    toml.write_text(
        'homes = 10\nseed = 1\nlatitude = 33.0\nlongitude = -117.0\nmarket_source = "live"\n'
    )
    dotenv = tmp_path / ".env"
    dotenv.write_text("VPPSIM_HOMES=20\nVPPSIM_SEED=2\nVPPSIM_LATITUDE=33.5\n")
    monkeypatch.setenv("VPPSIM_HOMES", "30")
    monkeypatch.setenv("VPPSIM_SEED", "3")
    settings = load_settings({"homes": 40}, config_file=toml, env_file=dotenv)
    assert settings.homes == 40  # flag beats env
    assert settings.seed == 3  # env beats .env
    assert settings.latitude == 33.5  # .env beats TOML
    assert settings.longitude == -117.0  # TOML beats default
    assert settings.market.source is SourceMode.LIVE
    assert settings.timezone == "America/Los_Angeles"  # default


def test_formats_from_environment_as_comma_list(monkeypatch):
    monkeypatch.setenv("VPPSIM_FORMATS", "parquet")
    assert [str(f) for f in load_settings(env_file=None).formats] == ["parquet"]


def test_api_keys_read_new_and_old_names_and_stay_secret(monkeypatch):
    monkeypatch.setenv("NREL_API_KEY", "old-secret-key")
    settings = load_settings(env_file=None)
    assert settings.nlr_api_key.get_secret_value() == "old-secret-key"
    monkeypatch.setenv("NLR_API_KEY", "new-secret-key")
    settings = load_settings(env_file=None)
    assert settings.nlr_api_key.get_secret_value() == "new-secret-key"
    assert "new-secret-key" not in repr(settings) + str(settings)
    assert settings.redacted()["nlr_api_key"] == REDACTED
    monkeypatch.setenv("NREL_EMAIL", "me@example.org")
    assert load_settings(env_file=None).redacted()["nlr_email"] == REDACTED


def test_unknown_toml_key_and_missing_file_are_config_errors(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("hoems = 5\n")
    with pytest.raises(
        ConfigError,
        match=r"unknown setting 'hoems' in config file .*bad.toml \(did you mean homes\?\)",
    ):
        load_settings(config_file=bad, env_file=None)
    with pytest.raises(ConfigError, match="not found"):
        load_settings(config_file=tmp_path / "nope.toml", env_file=None)
    broken = tmp_path / "broken.toml"
    broken.write_text("homes = \n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_settings(config_file=broken, env_file=None)


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (
            ["--start", "2023-08-10", "--end", "2023-08-01"],
            "end 2023-08-01 is before start 2023-08-10",
        ),
        (["--start", "2023-02-30"], "start='2023-02-30'"),
        (["--start", "yesterday"], "start='yesterday'"),
        (["--latitude", "91"], "latitude=91.0"),
        (["--longitude", "-181"], "longitude=-181.0"),
        (["--homes", "0"], "homes=0"),
        (["--timezone", "Pacific/Atlantis"], "unknown timezone 'Pacific/Atlantis'"),
        (["--source", "market=sometimes"], "market.source='sometimes'"),
        (["--interval", "7"], "interval_minutes=7"),
        (["--only", "weather,prices"], "unknown dataset(s) prices"),
        (["--set", "market.price_level=0"], "market.price_level='0'"),
        (["--set", "market.gas_pric=4"], "unknown setting 'market.gas_pric'"),
        (["--source", "prices=live"], "--source prices: unknown dataset"),
        (["--homes", "1000000000"], "homes=1000000000"),
        (["--http-timeout", "-1"], "http_timeout_s=-1.0"),
        (["--offline", "--source", "solar=live"], "--offline conflicts with --source solar=live"),
        (["--env-file", "missing.env"], "env file not found: missing.env"),
    ],
)
def test_invalid_values_give_one_line_and_exit_2(args, named, tmp_path):
    result = runner.invoke(app, ["build", "--out", str(tmp_path / "out"), *args])
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("error:")
    assert named in lines[0]
    assert "Traceback" not in result.output
    assert not (tmp_path / "out").exists()


def test_bad_value_from_environment_is_named(monkeypatch):
    monkeypatch.setenv("VPPSIM_HOMES", "many")
    with pytest.raises(ConfigError, match="homes='many'"):
        load_settings(env_file=None)
