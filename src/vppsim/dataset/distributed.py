"""Run the parts of a build or of a fleet dispatch on a Dask distributed cluster.

One mechanism for any :class:`~vppsim.dataset.build.Tasks`: what the parts share (a build's
:class:`~vppsim.dataset.build.RunInputs`: settings, the resolved weather, prices and
forecasts; a dispatch's :class:`~vppsim.fleet.run.DispatchRun`: the study's small tables,
the market, the strategy and its settings) is sent to each worker once
(``scatter(broadcast=True)``), and one task runs a few consecutive parts
(``tasks.run_parts``). The build resolves every dataset that is not per home (weather,
prices, forecasts) in the client first; each worker writes its parts' files (a build's
Parquet parts, a dispatch's ``homes/part-k.parquet``) straight into the staging folder and
returns what the client assembles (manifest entries and validation failures; a dispatch's
fleet sums and KPI rows) in part order, so the bytes do not depend on the number of
workers, the parts per task or the order the tasks finish in. A worker that dies is
replaced by its nanny and its tasks run again (a part is written whole again), with the
same bytes.

Two things keep a part as cheap on a worker as in-process (measured on 4,000 homes x
August): the local cluster's workers start without Dask's ``MALLOC_TRIM_THRESHOLD_=65536``
(setting it turns off glibc's adaptive mmap threshold, so every array the models allocate
is mapped and page-faulted afresh: ~30x the minor page faults and ~2x the CPU time of a
part), and each worker imports the models (``prepare``) while the client still prepares the
shared inputs, instead of when they arrive (seconds of imports per worker).

Dask runs here only; ``import vppsim`` does not import it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from vppsim.dataset.build import Tasks
from vppsim.errors import ConfigError


def task_parts(parts: int, per_task: int) -> list[tuple[int, ...]]:
    """The chunks of each task: ``per_task`` consecutive chunks (the last task fewer)."""
    return [
        tuple(range(first, min(first + per_task, parts))) for first in range(0, parts, per_task)
    ]


def load_build_models() -> None:
    """Import what unpickling a build's inputs and running its parts needs (the datasets'
    models): a worker's first task, run before the inputs arrive."""
    import vppsim.dataset.build  # noqa: F401
    from vppsim.registry import default_registry

    default_registry()


def _run_parts(tasks: Tasks, parts: tuple[int, ...]) -> list:
    """The task a worker runs: the parts ``parts`` of ``tasks`` (broadcast once per worker)."""
    return tasks.run_parts(parts)


class DaskExecutor:
    """Runs the parts of a :class:`~vppsim.dataset.build.Tasks` (a build, a dispatch) as
    tasks of ``chunks_per_task`` parts on a Dask client.

    Parameters
    ----------
    client : distributed.Client
        The cluster's client.
    chunks_per_task : int
        Parts (chunks of homes) per task: fewer, larger tasks cost less scheduling; more,
        smaller ones balance the workers better. The bytes written are the same either way.
    prepare : callable
        Each worker's first task, submitted at once: imports the models its parts run.
    """

    def __init__(
        self,
        client,
        chunks_per_task: int = 1,
        prepare: Callable[[], None] = load_build_models,
    ):
        if chunks_per_task < 1:
            raise ConfigError(f"chunks_per_task={chunks_per_task}: give at least 1")
        from distributed import fire_and_forget

        self.client = client
        self.chunks_per_task = chunks_per_task
        # The workers import the models while the client prepares the shared inputs.
        for worker in client.scheduler_info()["workers"]:
            fire_and_forget(client.submit(prepare, workers=[worker], pure=False))

    def run(self, tasks: Tasks) -> Iterator:
        """The result of each part of ``tasks``, as the tasks complete."""
        from distributed import as_completed

        shared = self.client.scatter(tasks, broadcast=True, hash=False)
        futures = [
            self.client.submit(_run_parts, shared, parts, key=f"vppsim-{tasks.key}-{parts[0]}")
            for parts in task_parts(tasks.parts, self.chunks_per_task)
        ]
        try:
            for future in as_completed(futures):
                yield from future.result()
                # The client holds a task's result no longer than it takes to record it.
                future.release()
        finally:
            # A failed or interrupted run stops its tasks before the staging folder goes.
            self.client.cancel(futures)
            self.client.cancel([shared])

    def map(self, function: Callable[[Any], Any], items: Sequence) -> Iterator:
        """``function(item)`` for each of ``items``, each a task of its own (whole jobs, such
        as a suite's small scenarios), the results in the order of ``items``."""
        futures = self.client.map(function, items, pure=False)
        try:
            for future in futures:
                yield future.result()
                future.release()
        finally:
            self.client.cancel(futures)


@contextmanager
def dask_executor(
    workers: int | None = None,
    scheduler: str | None = None,
    chunks_per_task: int = 1,
    on_start: Callable[[str], None] | None = None,
    prepare: Callable[[], None] = load_build_models,
) -> Iterator[DaskExecutor]:
    """A :class:`DaskExecutor` on a new local cluster of ``workers`` processes (one thread
    each, on the loopback interface) or on the existing cluster at ``scheduler``; the
    local cluster is shut down on exit. ``on_start`` gets a line naming the cluster and
    its dashboard address; ``prepare`` is each worker's first task (its imports).

    Raises
    ------
    ConfigError
        Both or neither of ``workers`` and ``scheduler`` given, ``workers`` below 1, or no
        scheduler answers at ``scheduler``.
    """
    import dask
    from distributed import Client, LocalCluster

    if workers is not None and scheduler is not None:
        raise ConfigError(f"workers={workers} and scheduler={scheduler!r} both given: use one")
    if workers is None and scheduler is None:
        raise ConfigError("neither workers nor scheduler given: name the cluster to use")
    if workers is not None and workers < 1:
        raise ConfigError(f"workers={workers}: give at least 1")
    if scheduler is not None:
        try:
            client = Client(scheduler, timeout="10s")
        except OSError as exc:
            raise ConfigError(f"scheduler {scheduler}: cannot connect ({exc})") from None
        cluster = None
        name = f"Dask scheduler {scheduler}"
    else:
        # Without Dask's memory trimming, which costs a part twice the CPU (see above); a
        # MALLOC_TRIM_THRESHOLD_ set in the environment still applies.
        with dask.config.set({"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None}):
            cluster = LocalCluster(
                n_workers=workers,
                threads_per_worker=1,
                processes=True,
                host="127.0.0.1",
                dashboard_address="127.0.0.1:0",
            )
        client = Client(cluster)
        name = f"Dask local cluster of {workers} worker(s)"
    try:
        if on_start is not None:
            on_start(f"{name}, dashboard {client.dashboard_link}")
        yield DaskExecutor(client, chunks_per_task, prepare)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
