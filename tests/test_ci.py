"""CI cannot pass quietly without the reference data: tests that need it fail, never skip,
and `.ci/run` stops at once when the folder is missing."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

from .conftest import ROOT_TESTS

ROOT = ROOT_TESTS.parent


def test_tests_that_need_the_reference_fail_without_it(tmp_path):
    nowhere = tmp_path / "nowhere"
    env = {**os.environ, "VPPSIM_TEST_SHARED": str(nowhere), "PYTHONPATH": str(ROOT / "src")}
    chosen = [
        "tests/test_tmy.py",  # a skipif naming ../shared/reference: turned into a failure
        "tests/test_weather_synthetic.py::test_august_is_mostly_clear",  # one naming ../shared
        "tests/test_calibrate.py::test_pv_energy_is_compared_with_every_reference",  # marked
        "tests/test_oasis.py::test_the_recorded_answer_parses_anywhere",  # needs no reference
    ]
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *chosen],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 1, run.stdout
    summary = run.stdout.strip().splitlines()[-1]
    assert "skipped" not in summary and "1 passed" in summary, summary
    assert f"reference data: {nowhere / 'reference'} (MISSING)" in run.stdout
    assert f"{nowhere / 'reference'} is missing (needs ../shared/reference/solar)" in run.stdout
    assert f"{nowhere / 'reference'} is missing (marked reference)" in run.stdout
    assert f"{nowhere / 'reference'} is missing (needs ../shared TMY files)" in run.stdout


def test_ci_run_stops_at_once_without_the_reference(tmp_path):
    script = tmp_path / "repo" / ".ci" / "run"
    script.parent.mkdir(parents=True)
    shutil.copy(ROOT / ".ci" / "run", script)
    env = {key: value for key, value in os.environ.items() if key != "VPPSIM_TEST_SHARED"}
    run = subprocess.run(
        ["bash", str(script)], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60
    )
    assert run.returncode == 1 and run.stdout == ""
    assert run.stderr == (
        "error: reference data not found: ../shared/reference (put ../shared next to the "
        "repository or set VPPSIM_TEST_SHARED)\n"
    )
    assert not Path(tmp_path / "repo" / ".venv").exists()
