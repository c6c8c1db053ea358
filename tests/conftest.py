from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from vppsim.config import load_settings
from vppsim.dataset.build import build_dataset
from vppsim.dataset.rollups import ROLLUP_ROLE
from vppsim.forecast.sources import DATASETS as FORECAST_DATASETS
from vppsim.registry import default_registry

from .fakeserver import FakeServer
from .sources import test_registry

ROOT_TESTS = Path(__file__).resolve().parent
SHARED = Path(os.environ.get("VPPSIM_TEST_SHARED") or ROOT_TESTS.parents[1] / "shared")
"""``../shared`` next to the repository (``VPPSIM_TEST_SHARED`` points elsewhere)."""
REFERENCE = SHARED / "reference"


def _reference_missing(reason: str) -> str:
    state = "is missing" if not REFERENCE.is_dir() else "lacks a file"
    return (
        f"reference data required, not optional: {REFERENCE} {state} ({reason}); put "
        "../shared next to the repository or set VPPSIM_TEST_SHARED"
    )


def pytest_report_header(config):
    return f"reference data: {REFERENCE} ({'found' if REFERENCE.is_dir() else 'MISSING'})"


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    """A test marked ``reference`` fails, before its fixtures run, without the folder."""
    if item.get_closest_marker("reference") is not None and not REFERENCE.is_dir():
        pytest.fail(_reference_missing("marked reference"), pytrace=False)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Turn a skip for want of the reference data into a failure: CI must not pass quietly
    without it (a skip whose reason names ``../shared``, ``shared/reference`` or the folder)."""
    outcome = yield
    report = outcome.get_result()
    if not report.skipped or hasattr(report, "wasxfail"):
        return
    reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
    if any(name in reason for name in ("../shared", "shared/reference", str(SHARED))):
        report.outcome = "failed"
        report.longrepr = _reference_missing(reason.removeprefix("Skipped: "))


@pytest.fixture(autouse=True)
def isolated_environment(tmp_path, monkeypatch):
    """No developer .env, VPPSIM_* variable or API key leaks into a test."""
    for name in list(os.environ):
        if name.startswith("VPPSIM_") or name in {
            "NLR_API_KEY",
            "NREL_API_KEY",
        }:
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


OUTCOME_DATASETS = tuple(
    name for name in default_registry().names if name not in {d.name for d in FORECAST_DATASETS}
)
"""Every dataset but the forecasts: what the framework's tests build (about 0.5 s, where
the forecast ensemble adds 2 s); tests/test_forecasts*.py and the dashboard's forecast tests
build the forecasts themselves."""


@pytest.fixture
def small_settings(tmp_path):
    """A two-day, six-home study written under tmp_path (without the forecasts unless
    ``datasets`` names them)."""

    def make(**overrides):
        values = {
            "start": "2023-08-01",
            "end": "2023-08-02",
            "homes": 6,
            "chunk_homes": 4,
            "out": tmp_path / "data",
            "datasets": OUTCOME_DATASETS,
        }
        values.update(overrides)
        return load_settings(values, env_file=None)

    return make


@pytest.fixture(scope="session")
def rolled_up(tmp_path_factory):
    """23 homes in parts of 5 over three days with load, assets, PV and solar, Parquet only,
    every dataset synthetic: a fleet with the build's rollups (built once per process)."""
    out = tmp_path_factory.mktemp("rolled") / "data"
    values = {
        "start": "2023-08-01",
        "end": "2023-08-03",
        "homes": 23,
        "chunk_homes": 5,
        "out": out,
        "datasets": ("load", "assets", "pv", "solar"),
        "formats": "parquet",
        **{f"{name}.source": "synthetic" for name in default_registry().names},
    }
    build_dataset(load_settings(values, env_file=None), default_registry())
    return out


@pytest.fixture(scope="session")
def rolled_up_without_rollups(rolled_up, tmp_path_factory):
    """A copy of ``rolled_up`` without the rollups and their manifest entries, as a dataset
    written before them: what reads it scans the per-home parts."""
    older = tmp_path_factory.mktemp("older") / "data"
    shutil.copytree(rolled_up, older)
    manifest = json.loads((older / "datapackage.json").read_text())
    manifest["resources"] = [r for r in manifest["resources"] if r.get("role") != ROLLUP_ROLE]
    (older / "datapackage.json").write_text(json.dumps(manifest))
    shutil.rmtree(older / "parquet" / "rollups")
    return older


@pytest.fixture
def built(small_settings):
    """A validated small dataset built with the test sources; returns its folder."""
    settings = small_settings()
    build_dataset(settings, test_registry())
    return Path(settings.out)


@pytest.fixture
def server():
    """A fake HTTP server on 127.0.0.1 (see tests/fakeserver.py), shut down after the test."""
    fake = FakeServer()
    fake.thread.start()
    yield fake
    fake.httpd.shutdown()
    fake.httpd.server_close()


@pytest.fixture
def sleeps():
    """An injectable sleep that records the waits instead of waiting."""
    recorded: list[float] = []
    return recorded, recorded.append


@pytest.fixture(scope="session")
def env_root():
    """The agent environment's default offline study (vppsim.env.gym.default_study, built
    once per process)."""
    from vppsim.env.gym import default_study

    return default_study()
