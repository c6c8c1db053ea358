"""The build, the fleet dispatch and a scenario suite on Dask: the same bytes in-process, on
1 or 2 workers, with any chunks per task, and when a worker dies mid-build (real local
clusters of worker processes)."""

import dataclasses
import os
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from vppsim.cli import app
from vppsim.dataset.build import PartResult, build_dataset, in_order
from vppsim.dataset.distributed import DaskExecutor, dask_executor, task_parts
from vppsim.dataset.schemas import HOME_ID
from vppsim.dataset.validate import validate_directory
from vppsim.env.gym import DEFAULT_STUDY
from vppsim.errors import ConfigError, ValidationFailed
from vppsim.fleet.run import load_dispatch_models, write_dispatch
from vppsim.load.sources import SyntheticLoad
from vppsim.registry import default_registry
from vppsim.scenario.suite import plan_suite, run_suite

from .conftest import OUTCOME_DATASETS
from .test_build import digests

STUDY = {
    "homes": 24,
    "chunk_homes": 5,
    **{f"{name}.source": "synthetic" for name in default_registry().names},
}
"""24 homes in 5 parts of at most 5 homes, two days (per-home CSVs and Parquet parts), every
dataset synthetic (as ``--offline``)."""

KILLED_HOME = 12
"""The home whose part kills its worker the first time it runs (part 2)."""


@pytest.fixture(scope="module")
def client():
    """A local cluster of two worker processes (one thread each), as ``--workers 2``."""
    from distributed import Client, LocalCluster

    with (
        LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
        ) as cluster,
        Client(cluster) as client,
    ):
        yield client


@pytest.fixture
def reference(small_settings):
    """The study built in-process, and the digest of every file it wrote."""
    settings = small_settings(**STUDY, out=Path("reference"))
    build_dataset(settings, default_registry())
    return digests(Path(settings.out))


def killing_registry(marker: Path):
    """The default datasets whose load kills the worker process that first generates
    :data:`KILLED_HOME` (never this process), as a crash or the OOM killer would."""
    client_pid = os.getpid()

    class KillingLoad(SyntheticLoad):
        def fetch(self, study, options, inputs, context):
            result = SyntheticLoad.fetch(self, study, options, inputs, context)

            def batch(home_ids):
                if os.getpid() != client_pid and KILLED_HOME in home_ids and not marker.exists():
                    marker.touch()
                    os._exit(1)
                return result.data(home_ids)

            return dataclasses.replace(result, data=batch)

    registry = default_registry()
    return registry.replace(registry["load"].with_sources(KillingLoad))


def failing_registry():
    """The default datasets whose load lacks the last interval of home :data:`KILLED_HOME`
    (part 2); the build's own check of the source sees home 0 only."""

    class GappyLoad(SyntheticLoad):
        def fetch(self, study, options, inputs, context):
            result = SyntheticLoad.fetch(self, study, options, inputs, context)

            def batch(home_ids):
                frame = result.data(home_ids)
                home = np.flatnonzero((frame[HOME_ID] == KILLED_HOME).to_numpy())
                return frame.drop(index=frame.index[home[-1:]]).reset_index(drop=True)

            return dataclasses.replace(result, data=batch)

    registry = default_registry()
    return registry.replace(registry["load"].with_sources(GappyLoad))


def test_tasks_cover_every_chunk_once():
    assert task_parts(5, 1) == [(0,), (1,), (2,), (3,), (4,)]
    assert task_parts(5, 2) == [(0, 1), (2, 3), (4,)]
    assert task_parts(2, 3) == [(0, 1)]


def test_parts_are_assembled_in_chunk_order_as_they_come():
    arrivals = [PartResult(part, 10 + part, {}, {}, {}) for part in (2, 0, 3, 1)]
    done = []
    ordered = [result.part for result in in_order(iter(arrivals), done.append)]
    assert ordered == [0, 1, 2, 3]
    assert done == [12, 10, 13, 11]  # progress as each part arrives, not in order


def test_two_workers_any_chunks_per_task_write_the_same_bytes(client, small_settings, reference):
    for chunks_per_task in (1, 3):
        settings = small_settings(**STUDY, out=Path(f"dask-{chunks_per_task}"))
        build_dataset(settings, default_registry(), executor=DaskExecutor(client, chunks_per_task))
        assert digests(Path(settings.out)) == reference
    assert len(client.scheduler_info()["workers"]) == 2


def test_a_worker_killed_mid_build_is_replaced_and_the_bytes_are_the_same(
    client, small_settings, reference, tmp_path
):
    marker = tmp_path / "worker-killed.marker"
    settings = small_settings(**STUDY, out=Path("killed"))
    build_dataset(settings, killing_registry(marker), executor=DaskExecutor(client))
    assert marker.exists()  # a worker really died (and its part ran again elsewhere)
    assert digests(Path(settings.out)) == reference


def test_build_with_workers_writes_the_same_bytes_and_names_the_dashboard(tmp_path, reference):
    days = ["--start", "2023-08-01", "--end", "2023-08-02", "--offline"]
    homes = ["--homes", "24", "--chunk-homes", "5", "--only", ",".join(OUTCOME_DATASETS)]
    out = tmp_path / "cli"
    result = CliRunner().invoke(app, ["build", *days, *homes, "--workers", "1", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "Dask local cluster of 1 worker(s), dashboard http://127.0.0.1:" in result.output
    assert digests(out) == reference


def test_a_part_that_breaks_its_contract_is_found_by_its_worker(client, small_settings):
    settings = small_settings(**STUDY, formats="parquet", out=Path("gappy"))
    with pytest.raises(ValidationFailed) as failed:
        build_dataset(settings, failing_registry(), executor=DaskExecutor(client))
    (failure,) = [f for f in failed.value.failures if "part-00002.parquet" in f]
    assert failure.startswith("load (parquet): schema and grid: ")
    assert f"home(s) {KILLED_HOME} have " in failure
    assert not Path(settings.out).exists()  # nothing committed


def test_validation_takes_the_failures_of_parts_its_workers_checked(small_settings, reference):
    specs = {name: default_registry().spec(name) for name in default_registry().names}
    part = "parquet/load/part-00001.parquet"
    assert validate_directory(Path("reference"), specs).ok
    report = validate_directory(Path("reference"), specs, {part: [f"{part}: planted"]})
    assert report.failures == [f"load (parquet): schema and grid: {part}: planted"]


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"workers": 2, "scheduler": "tcp://127.0.0.1:1"}, "both given: use one"),
        ({}, "neither workers nor scheduler given"),
        ({"workers": 0}, "workers=0: give at least 1"),
        ({"scheduler": "tcp://127.0.0.1:1"}, "scheduler tcp://127.0.0.1:1: cannot connect"),
    ],
)
def test_a_cluster_named_badly_is_refused_in_one_line(arguments, message):
    with pytest.raises(ConfigError, match=message), dask_executor(**arguments):
        pass


DISPATCHED = {**STUDY, **DEFAULT_STUDY, "homes": 12, "formats": "parquet"}
"""12 homes with batteries, EVs and dispatchable ACs (the agent environment's study), two
days, Parquet only."""


class KillingExecutor:
    """Runs a dispatch on ``client`` whose chunk 2 kills the worker process that first runs
    it (never this process), as a crash or the OOM killer would."""

    def __init__(self, client, marker: Path):
        self.executor = DaskExecutor(client, prepare=load_dispatch_models)
        self.marker = marker

    def run(self, tasks):
        client_pid, marker = os.getpid(), self.marker

        @dataclasses.dataclass(frozen=True)
        class Killing:
            tasks: object
            key: str
            parts: int

            def run_parts(self, parts):
                if os.getpid() != client_pid and 2 in parts and not marker.exists():
                    marker.touch()
                    os._exit(1)
                return self.tasks.run_parts(parts)

        return self.executor.run(Killing(tasks, tasks.key, tasks.parts))


def test_dispatch_on_dask_any_layout_or_with_a_worker_killed_writes_the_same_bytes(
    client, small_settings, tmp_path
):
    settings = small_settings(**DISPATCHED, out=Path("fleet"))
    build_dataset(settings, default_registry())
    root = Path(settings.out)
    folder = root / "dispatch" / "lp"
    write_dispatch(root, "lp", homes_chunk=3)
    reference = digests(folder)
    assert len([name for name in reference if name.startswith("homes/")]) == 4
    for chunks_per_task in (1, 3):
        executor = DaskExecutor(client, chunks_per_task, prepare=load_dispatch_models)
        write_dispatch(root, "lp", homes_chunk=3, executor=executor)
        assert digests(folder) == reference
    marker = tmp_path / "worker-killed.marker"
    write_dispatch(root, "lp", homes_chunk=3, executor=KillingExecutor(client, marker))
    assert marker.exists()  # a worker really died (and its chunk ran again elsewhere)
    assert digests(folder) == reference
    result = CliRunner().invoke(
        app,
        ["dispatch", str(root), "--homes-chunk", "3", "--workers", "1", "--chunks-per-task", "2"],
    )
    assert result.exit_code == 0, result.output
    assert "Dask local cluster of 1 worker(s), dashboard http://127.0.0.1:" in result.output
    assert digests(folder) == reference


SUITE_TOML = 'end = "2023-08-02"\nhomes = 6\nformats = "parquet"\n'
"""Two days, 6 homes, Parquet only: a suite's study kept small."""


@pytest.mark.parametrize(
    ("chunk_homes", "parts"),
    [(3, 2), (6, 1)],  # part by part, scenarios in turn; each scenario whole on a worker
)
def test_a_suite_on_one_local_cluster_writes_the_bytes_it_writes_in_process(
    tmp_path, chunk_homes, parts
):
    config = tmp_path / "study.toml"
    config.write_text(f"{SUITE_TOML}chunk_homes = {chunk_homes}\n")
    root = tmp_path / "in-process"
    plans = plan_suite(("gas-crisis",), root, config_file=config, env_file=None)
    run_suite(plans, root, "custom", strategies=("rule",))
    out = tmp_path / "cluster"
    flags = ["--scenario", "gas-crisis", "--config", str(config), "--dispatch", "rule"]
    result = CliRunner().invoke(app, ["scenarios", str(out), *flags, "--workers", "2"])
    assert result.exit_code == 0, result.output
    # One cluster for the whole suite: its line is printed once.
    assert result.output.count("Dask local cluster of 2 worker(s), dashboard") == 1
    assert len([name for name in digests(root / "base") if "/load/part-" in name]) == parts
    assert digests(out) == digests(root)


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--workers", "0"], "--workers=0: need a whole number from 1 to 1024"),
        (["--workers", "-2"], "--workers=-2: need a whole number from 1 to 1024"),
        (["--scheduler", "tcp://127.0.0.1:1"], "scheduler tcp://127.0.0.1:1: cannot connect"),
    ],
)
def test_a_suite_on_a_cluster_named_badly_is_refused_in_one_line(tmp_path, flags, message):
    out = tmp_path / "suite"
    result = CliRunner().invoke(app, ["scenarios", str(out), "--scenario", "gas-crisis", *flags])
    assert result.exit_code == 2
    assert message in result.output and "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert not out.exists()
