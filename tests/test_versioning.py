import hashlib
import json
from io import StringIO

import pandas as pd
import pytest
from typer.testing import CliRunner

from vppsim.calibration_file import calibration_digests
from vppsim.cli import app
from vppsim.config import recorded_settings
from vppsim.dataset.manifest import read_manifest
from vppsim.registry import default_registry
from vppsim.versioning import (
    dataset_version_ids,
    flatten,
    settings_diff,
    study_version_id,
    version_ids_diff,
)

from .conftest import OUTCOME_DATASETS

runner = CliRunner()
SMALL = ["--start", "2023-08-01", "--end", "2023-08-02", "--homes", "5", "--chunk-homes", "2"]
ONLY = ["--only", ",".join(OUTCOME_DATASETS)]


def digests(folder):
    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def ids_of(settings, kinds=None, raw=None, calibrations=None):
    registry = default_registry()
    names = registry.closure(settings.built_datasets)
    return dataset_version_ids(
        settings.redacted(),
        {name: registry.spec(name) for name in names},
        kinds or dict.fromkeys(names, "synthetic"),
        "1.0",
        calibration_digests() if calibrations is None else calibrations,
        raw or {},
    )


def test_rebuild_from_the_manifest_gives_the_same_bytes(tmp_path):
    first, second = tmp_path / "a", tmp_path / "b"
    built = runner.invoke(app, ["build", "--offline", *SMALL, *ONLY, "--out", str(first)])
    assert built.exit_code == 0, built.output
    again = runner.invoke(
        app, ["build", "--from-manifest", str(first / "datapackage.json"), "--out", str(second)]
    )
    assert again.exit_code == 0, again.output
    assert "warning" not in again.output
    files = digests(first)
    assert len(files) > 25 and "datapackage.json" in files
    assert digests(second) == files
    # Without --out the dataset is built again in its own folder.
    in_place = runner.invoke(app, ["build", "--from-manifest", str(first)])
    assert in_place.exit_code == 0, in_place.output
    assert digests(first) == files


def test_the_manifest_ids_are_those_of_its_settings(small_settings):
    from vppsim.dataset.build import build_dataset

    offline = {f"{name}.source": "synthetic" for name in default_registry().names}
    settings = small_settings(**offline)
    manifest = build_dataset(settings, default_registry()).manifest
    ids = dataset_version_ids(
        manifest.vppsim.config,
        {name: default_registry().spec(name) for name in manifest.vppsim.datasets},
        {name: entry.kind for name, entry in manifest.provenance.items()},
        manifest.vppsim.version,
        calibration_digests(),
        {},
    )
    assert {name: entry.version_id for name, entry in manifest.provenance.items()} == ids
    assert all(len(value) == 64 for value in ids.values())
    scenario = manifest.vppsim.config["scenario"]
    assert scenario["name"] == "base"
    assert manifest.vppsim.version_id == study_version_id(ids, scenario)
    assert read_manifest(settings.out).vppsim.version_id == manifest.vppsim.version_id


def test_an_id_moves_with_its_own_settings_and_those_it_derives_from(small_settings):
    base = ids_of(small_settings())
    every = ids_of(small_settings(datasets=None))  # forecasts of the same inputs included
    assert len(set(every.values())) == len(every) > len(base)
    market = ids_of(small_settings(**{"market.price_level": 1.2}))
    assert {name for name in base if market[name] != base[name]} == {"market"}
    # Every dataset derives from the weather (the assets through the load).
    weather = ids_of(small_settings(**{"weather.heat_event_starts_per_month": 3.0}))
    assert all(weather[name] != base[name] for name in base)
    seed = ids_of(small_settings(seed=7))
    assert all(seed[name] != base[name] for name in base)


def test_file_layout_settings_move_only_the_per_home_ids(small_settings):
    base = ids_of(small_settings())
    per_home = {"load", "assets", "pv"}
    chunks = ids_of(small_settings(chunk_homes=2))
    assert {name for name in base if chunks[name] != base[name]} == per_home
    # A chunk or CSV limit beyond the fleet writes the same files.
    assert ids_of(small_settings(chunk_homes=50)) == ids_of(small_settings(chunk_homes=6))
    assert ids_of(small_settings(csv_homes_limit=6)) == ids_of(small_settings(csv_homes_limit=9))
    # The assets are drawn from the load's homes, not from its files.
    no_csv = ids_of(small_settings(csv_homes_limit=5))
    assert {name for name in base if no_csv[name] != base[name]} == {"load", "pv"}
    # Where the files go is not what they hold; the formats are.
    assert ids_of(small_settings(out="elsewhere")) == base
    parquet = ids_of(small_settings(formats="parquet"))
    assert all(parquet[name] != base[name] for name in base)


def test_live_raw_answers_and_calibrations_are_in_the_id(small_settings):
    settings = small_settings()
    names = default_registry().closure(settings.built_datasets)
    live = dict.fromkeys(names, "synthetic") | {"market": "live"}
    cached = ids_of(settings, kinds=live, raw={"raw/oasis/a.zip": "1" * 64})
    other = ids_of(settings, kinds=live, raw={"raw/oasis/a.zip": "2" * 64})
    assert cached["market"] != other["market"] and cached["weather"] == other["weather"]
    assert cached["market"] != ids_of(settings)["market"]
    recalibrated = ids_of(settings, calibrations={"weather/calibrated.json": "0" * 64})
    assert all(recalibrated[name] != value for name, value in ids_of(settings).items())


def test_the_study_id_names_the_scenario():
    ids = {"weather": "a" * 64, "market": "b" * 64}
    assert study_version_id(ids, "base") != study_version_id(ids, "heat-wave")
    assert study_version_id(ids, "base") == study_version_id(dict(ids), "base")
    assert study_version_id(ids, "base") != study_version_id({**ids, "market": "c" * 64}, "base")


def test_recorded_settings_take_secrets_from_the_environment(small_settings, monkeypatch):
    recorded = small_settings(nlr_api_key="sk-old").redacted()
    assert recorded["nlr_api_key"] == "**********"
    monkeypatch.setenv("NLR_API_KEY", "sk-from-env")
    monkeypatch.setenv("VPPSIM_HOMES", "99")  # the record wins over every layer but secrets
    settings = recorded_settings(recorded, "again", env_file=None)
    assert settings.nlr_api_key.get_secret_value() == "sk-from-env"
    assert settings.homes == 6 and str(settings.out) == "again"
    assert settings.redacted() == recorded


def test_from_manifest_refuses_other_settings_and_warns_of_another_version(tmp_path):
    out = tmp_path / "a"
    built = runner.invoke(
        app, ["build", "--offline", *SMALL, "--only", "weather", "--out", str(out)]
    )
    assert built.exit_code == 0, built.output
    refused = runner.invoke(app, ["build", "--from-manifest", str(out), "--seed", "3", "--offline"])
    assert refused.exit_code == 2
    assert refused.stderr.strip() == (
        "error: --from-manifest builds the recorded settings: drop --seed, --offline "
        "(only --out and --force go with it)"
    )
    path = out / "datapackage.json"
    manifest = json.loads(path.read_text())
    manifest["vppsim"]["version"] = "0.0.1"
    path.write_text(json.dumps(manifest))
    again = runner.invoke(
        app, ["build", "--from-manifest", str(path), "--out", str(tmp_path / "b")]
    )
    assert again.exit_code == 0, again.output
    this = read_manifest(tmp_path / "b").vppsim.version
    assert again.stderr.strip().splitlines() == [
        f"warning: {out} was built by vppsim 0.0.1, this is {this}: "
        "the data and version ids may differ"
    ]
    missing = runner.invoke(app, ["build", "--from-manifest", str(tmp_path / "none")])
    assert missing.exit_code == 2
    assert (
        missing.stderr.strip()
        == f"error: {tmp_path / 'none'} is not a vppsim dataset: no datapackage.json"
    )


def test_flatten_and_the_settings_diff():
    a = {"homes": 5, "market": {"price_level": 1.0, "spin": {"scale": 2}}, "only_a": []}
    b = {"homes": 5, "market": {"price_level": 1.2, "spin": {"scale": 2}}, "only_b": None}
    assert flatten(a) == {
        "homes": 5,
        "market.price_level": 1.0,
        "market.spin.scale": 2,
        "only_a": [],
    }
    diff = settings_diff(a, b)
    assert diff.to_dict("records") == [
        {"setting": "market.price_level", "a": "1.0", "b": "1.2"},
        {"setting": "only_a", "a": "[]", "b": "null"},
        {"setting": "only_b", "a": "null", "b": "null"},
    ]
    ids = version_ids_diff({"weather": "x", "market": "y"}, {"market": "y", "pv": None})
    assert ids.to_dict("records") == [
        {"dataset": "weather", "a": "x", "b": None, "same": False},
        {"dataset": "market", "a": "y", "b": "y", "same": True},
        {"dataset": "pv", "a": None, "b": None, "same": False},
    ]


def test_diff_lists_settings_ids_and_statistics(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    common = ["build", "--offline", *SMALL, "--only", "market,load"]
    assert runner.invoke(app, [*common, "--out", str(a)]).exit_code == 0
    changed = ["--set", "market.price_level=1.5", "--out", str(b)]
    assert runner.invoke(app, [*common, *changed]).exit_code == 0
    result = runner.invoke(app, ["diff", str(a), str(b), "--csv"])
    assert result.exit_code == 0, result.output
    rows = pd.read_csv(StringIO(result.stdout), keep_default_na=False)
    settings = rows[rows["section"] == "setting"]
    assert settings[["name", "a", "b"]].values.tolist() == [["market.price_level", "null", "1.5"]]
    ids = rows[rows["section"] == "version_id"].set_index("name")
    same = {name: row["a"] == row["b"] for name, row in ids.iterrows()}
    assert same == {"(all)": False, "weather": True, "load": True, "system": True, "market": False}
    assert ids.loc["market", "a"] == read_manifest(a).provenance["market"].version_id
    stats = rows[rows["section"] == "statistic"].set_index("name")
    lmp = stats.loc["mean real-time LMP"]
    # The price level scales every real-time price.
    assert float(lmp["b"]) == pytest.approx(1.5 * float(lmp["a"]), rel=1e-4)
    assert float(lmp["change_pct"]) == pytest.approx(50.0, abs=0.01)
    assert float(stats.loc["fleet peak", "difference"]) == 0.0

    tables = runner.invoke(app, ["diff", str(a), str(b)])
    assert tables.exit_code == 0, tables.output
    for fragment in ("market.price_level", "version ids", "different", "key statistics", "+50.0"):
        assert fragment in tables.stdout
    not_a_dataset = runner.invoke(app, ["diff", str(a), str(tmp_path)])
    assert not_a_dataset.exit_code == 2
    assert (
        not_a_dataset.stderr.strip()
        == f"error: {tmp_path} is not a vppsim dataset: no datapackage.json"
    )
