"""``vppsim dispatch`` over a built dataset: one physics with the load dataset, the LP replayed
through the kernels, the output layout, atomic and deterministic writes, bad input."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from vppsim.cli import app
from vppsim.fleet import run
from vppsim.fleet.dispatch import DispatchSettings
from vppsim.fleet.kpis import replay, score

runner = CliRunner()
STUDY = [
    "--start",
    "2023-08-01",
    "--end",
    "2023-08-03",
    "--homes",
    "20",
    "--offline",
    "--set",
    "assets.pv_share=0.8",
    "--set",
    "assets.battery_attach_rate_before_nbt=0.8",
    "--set",
    "assets.battery_attach_rate_after_nbt=0.8",
    "--set",
    "assets.vpp_enrollment_share=1.0",
    "--set",
    "assets.thermostat_dr_share=0.9",
    "--set",
    "load.ev_share=0.5",
]


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    out = tmp_path_factory.mktemp("dispatch") / "data"
    result = runner.invoke(app, ["build", *STUDY, "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture(scope="module")
def study(dataset):
    return run.read_study(dataset)


@pytest.fixture(scope="module")
def results(study):
    return {s: run.dispatch_study(study, s, homes_chunk=7) for s in ("none", "rule", "lp")}


def _by_home(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values(["home_id", "timestamp"], kind="stable").reset_index(drop=True)


def test_the_dataset_has_every_kind_of_asset(study):
    assets = study.assets
    movable = assets.enrolled & assets.thermostat_dr_enrolled & (assets.ac_capacity_kw > 0)
    assert assets.has_pv.sum() >= 5 and assets.has_battery.sum() >= 3
    assert assets.has_ev.sum() >= 5 and movable.sum() >= 5


def test_none_is_the_load_dataset(study, results):
    homes = _by_home(results["none"][0])
    load = _by_home(pd.read_parquet(study.load_files))
    pv = _by_home(pd.read_parquet(study.pv_files))
    # The kernels' thermostat and unmanaged EV are the load's hvac_kw and ev_kw (float32).
    np.testing.assert_array_equal(homes["ac_kw"], load["hvac_kw"])
    np.testing.assert_array_equal(homes["ev_kw"], load["ev_kw"])
    assert homes["ev_kw"].max() > 1 and homes["ac_kw"].max() > 1
    np.testing.assert_allclose(homes["meter_kw"], load["load_kw"] - pv["pv_kw"], atol=1e-5)


def test_lp_states_replay_through_the_kernels_with_no_violation(study, results):
    """The LP's battery, EV and house states stepped through BatteryKernel, EVKernel and
    ThermalKernel: every state within 1e-6, no clipped action, no violation."""
    settings = DispatchSettings()
    market = run.market_from_frame(study.market, study.timezone)
    chunk = run.prepare_chunk(study, np.arange(len(study.assets)))
    schedules = run.schedule_chunk(chunk, "lp", market, settings)
    counts = replay(schedules, chunk.series, chunk.assets, market, settings, tol=1e-6)
    assert all(not any(c.values()) for c in counts), counts
    kinds = {
        "battery": sum(a.has_battery for a in chunk.assets),
        "ev": sum(x.ev is not None for x in chunk.series),
        "ac": sum(s.cooling_kw is not None for s in schedules),
    }
    assert min(kinds.values()) >= 3, kinds
    # The LP's AC moved (pre-cooling), so the replay is not of the thermostat.
    moved = [
        np.abs(s.ac_kw - x.thermal.thermostat_kw).max()
        for s, x in zip(schedules, chunk.series, strict=True)
        if s.cooling_kw is not None
    ]
    assert max(moved) > 0.1
    assert results["lp"][3]["kpis"]["violations"] == 0


def test_lp_earns_at_least_the_baselines_on_every_home(study, results):
    """``lp`` maximises the objective all three are scored on (net revenue, the terminal
    value of the stored energy, less the comfort cost): per home it is at least the others'."""
    settings = DispatchSettings()
    market = run.market_from_frame(study.market, study.timezone)
    chunk = run.prepare_chunk(study, np.arange(len(study.assets)))
    objective = {}
    for strategy in ("none", "rule", "lp"):
        schedules = run.schedule_chunk(chunk, strategy, market, settings)
        scores = [
            score(s, x, a, market, settings)
            for s, x, a in zip(schedules, chunk.series, chunk.assets, strict=True)
        ]
        assert all(k["violations"] == 0 for k in scores)
        objective[strategy] = np.array([k["objective"] for k in scores])
    assert np.all(objective["lp"] >= objective["rule"] - 1e-7), objective["lp"] - objective["rule"]
    assert np.all(objective["lp"] >= objective["none"] - 1e-7), objective["lp"] - objective["none"]
    assert np.sum(objective["lp"] - objective["none"]) > 1.0
    assert results["lp"][3]["kpis"]["objective"] == pytest.approx(objective["lp"].sum())


def test_the_command_writes_the_layout(dataset, results):
    result = runner.invoke(
        app, ["dispatch", str(dataset), "--strategy", "lp", "--homes-chunk", "8"]
    )
    assert result.exit_code == 0, result.output
    folder = dataset / "dispatch" / "lp"
    assert sorted(p.name for p in folder.iterdir()) == [
        "fleet.parquet",
        "homes",
        "kpis.parquet",
        "summary.json",
    ]
    parts = sorted(p.name for p in (folder / "homes").iterdir())
    assert parts == ["part-00000.parquet", "part-00001.parquet", "part-00002.parquet"]
    homes = pd.read_parquet(folder / "homes")
    assert list(homes.columns) == ["home_id", "timestamp", *run.HOME_COLUMNS]
    assert str(homes["timestamp"].dtype) == "datetime64[us, UTC]"
    assert homes["home_id"].dtype == np.int32
    assert all(homes[c].dtype == np.float32 for c in run.HOME_COLUMNS)
    # Chunking does not change a home's schedule.
    pd.testing.assert_frame_equal(_by_home(homes), _by_home(results["lp"][0]))
    fleet = pd.read_parquet(folder / "fleet.parquet")
    np.testing.assert_allclose(
        fleet["meter_kw"], homes.groupby("timestamp")["meter_kw"].sum(), rtol=1e-5, atol=1e-3
    )
    kpis = pd.read_parquet(folder / "kpis.parquet")
    assert list(kpis.columns) == ["home_id", *run.KPI_COLUMNS]
    summary = json.loads((folder / "summary.json").read_text())
    assert summary["strategy"] == "lp" and summary["homes"] == 20
    assert summary["kpis"]["net revenue"] == pytest.approx(kpis["net_revenue_usd"].sum())
    expected = __import__("hashlib").sha256((dataset / "datapackage.json").read_bytes())
    assert summary["input_manifest_sha256"] == expected.hexdigest()
    # Deterministic bytes: the same command again (it replaces its own output).
    before = (folder / "summary.json").read_bytes(), (folder / "kpis.parquet").read_bytes()
    again = runner.invoke(app, ["dispatch", str(dataset), "--strategy", "lp"])
    assert again.exit_code == 0, again.output
    assert (folder / "summary.json").read_bytes() == before[0]
    assert (folder / "kpis.parquet").read_bytes() == before[1]
    assert not [p for p in (dataset / "dispatch").iterdir() if p.name.startswith(".")]


def test_a_folder_vppsim_did_not_write_is_never_replaced(dataset):
    folder = dataset / "dispatch" / "rule"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "notes.txt").write_text("mine")
    result = runner.invoke(app, ["dispatch", str(dataset), "--strategy", "rule"])
    assert result.exit_code == 2
    assert "did not write" in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert (folder / "notes.txt").read_text() == "mine"


def test_a_rebuild_leaves_out_the_old_dispatch_but_not_foreign_files(tmp_path):
    out = tmp_path / "data"
    short = [*STUDY[:2], "--end", "2023-08-01", "--homes", "4", *STUDY[6:]]
    assert runner.invoke(app, ["build", *short, "--out", str(out)]).exit_code == 0
    assert runner.invoke(app, ["dispatch", str(out), "--strategy", "none"]).exit_code == 0
    # The dispatch was computed from the data a rebuild replaces: it is vppsim's, left out.
    rebuilt = runner.invoke(app, ["build", *short, "--out", str(out)])
    assert rebuilt.exit_code == 0, rebuilt.output
    assert not (out / "dispatch").exists()
    # A file vppsim did not write inside dispatch/ still stops the rebuild, and survives.
    assert runner.invoke(app, ["dispatch", str(out), "--strategy", "none"]).exit_code == 0
    (out / "dispatch" / "none" / "mine.txt").write_text("mine")
    refused = runner.invoke(app, ["build", *short, "--out", str(out)])
    assert refused.exit_code == 2 and "did not write" in refused.stderr
    assert (out / "dispatch" / "none" / "mine.txt").read_text() == "mine"


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--strategy", "best"], "strategy='best'"),
        (["--homes-chunk", "0"], "--homes-chunk=0"),
        (["--homes-chunk", "x"], "--homes-chunk=x"),
        (["--workers", "0"], "--workers=0"),
        (["--workers", "x"], "--workers=x"),
        (["--chunks-per-task", "0"], "--chunks-per-task=0"),
        (["--workers", "1", "--scheduler", "tcp://127.0.0.1:1"], "both given: use one"),
    ],
)
def test_bad_options_get_one_line(dataset, arguments, message):
    result = runner.invoke(app, ["dispatch", str(dataset), *arguments])
    assert result.exit_code == 2
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_bad_folders_get_one_line(tmp_path, dataset):
    missing = runner.invoke(app, ["dispatch", str(tmp_path / "nope")])
    assert missing.exit_code == 2 and "no such dataset folder" in missing.stderr
    (tmp_path / "empty").mkdir()
    empty = runner.invoke(app, ["dispatch", str(tmp_path / "empty")])
    assert empty.exit_code == 2 and "not a vppsim dataset" in empty.stderr
    for result in (missing, empty):
        assert len(result.stderr.strip().splitlines()) == 1


def test_a_dataset_without_assets_is_refused(tmp_path):
    out = tmp_path / "plain"
    built = runner.invoke(
        app,
        [
            "build",
            "--start",
            "2023-08-01",
            "--end",
            "2023-08-01",
            "--homes",
            "2",
            "--offline",
            "--only",
            "load,market",
            "--out",
            str(out),
        ],
    )
    assert built.exit_code == 0, built.output
    result = runner.invoke(app, ["dispatch", str(out)])
    assert result.exit_code == 2
    assert "no assets" in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_the_api_returns_what_the_command_writes(dataset, results):
    from vppsim.api import DataCollector

    collector = DataCollector(start_date="2023-08-01", end_date="2023-08-03", homes=20)
    homes, fleet, kpis, summary = collector.dispatch("rule", dataset, homes_chunk=20)
    pd.testing.assert_frame_equal(_by_home(homes), _by_home(results["rule"][0]))
    pd.testing.assert_frame_equal(kpis, results["rule"][2])
    pd.testing.assert_frame_equal(fleet, results["rule"][1])
    assert summary == results["rule"][3]


def test_a_chunk_reads_only_the_parts_holding_its_homes(tmp_path):
    out = tmp_path / "parts"
    small = [*STUDY[:4], "--homes", "12", *STUDY[6:], "--set", "chunk_homes=4"]
    result = runner.invoke(app, ["build", *small, "--out", str(out)])
    assert result.exit_code == 0, result.output
    study = run.read_study(out)
    np.testing.assert_array_equal(study.load_ends, [4, 8, 12])
    np.testing.assert_array_equal(study.pv_ends, [4, 8, 12])
    rows = np.arange(4, 8)
    whole = run.prepare_chunk(study, rows)
    # The other parts gone: a chunk that scanned every part would fail.
    gone = [f if k == 1 else tmp_path / "gone.parquet" for k, f in enumerate(study.load_files)]
    pv_gone = [f if k == 1 else tmp_path / "gone.parquet" for k, f in enumerate(study.pv_files)]
    alone = run.prepare_chunk(replace(study, load_files=gone, pv_files=pv_gone), rows)
    for a, b in zip(whole.series, alone.series, strict=True):
        np.testing.assert_array_equal(a.base_kw, b.base_kw)
        np.testing.assert_array_equal(a.pv_kw, b.pv_kw)
