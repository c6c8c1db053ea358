from __future__ import annotations

import os
from pathlib import Path

import pytest

from vppsim.config import load_settings
from vppsim.dataset.build import build_dataset

from .fakeserver import FakeServer
from .sources import test_registry

ROOT_TESTS = Path(__file__).resolve().parent
SHARED = ROOT_TESTS.parents[1] / "shared"


@pytest.fixture(autouse=True)
def isolated_environment(tmp_path, monkeypatch):
    """No developer .env, VPPSIM_* variable or API key leaks into a test."""
    for name in list(os.environ):
        if name.startswith("VPPSIM_") or name in {
            "NLR_API_KEY",
            "NREL_API_KEY",
            "GRIDSTATUS_API_KEY",
        }:
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def small_settings(tmp_path):
    """A two-day, six-home study written under tmp_path."""

    def make(**overrides):
        values = {
            "start": "2023-08-01",
            "end": "2023-08-02",
            "homes": 6,
            "chunk_homes": 4,
            "out": tmp_path / "data",
        }
        values.update(overrides)
        return load_settings(values, env_file=None)

    return make


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
