"""Run a build's per-home parts on a Dask distributed cluster.

The build resolves every dataset that is not per home (weather, prices, forecasts) in the
client, then sends what the parts share (a :class:`~vppsim.dataset.build.RunInputs`) to
each worker once (``scatter(broadcast=True)``) and submits one task per few chunks of
homes (:func:`~vppsim.dataset.build.run_parts`). Each worker writes its parts' Parquet
files straight into the staging folder, validates them, and returns their manifest
entries, attribute rows and failures; the client assembles them in chunk order, so the
bytes do not depend on the number of workers, the chunks per task or the order the tasks
finish in. A worker that dies is replaced by its nanny and its tasks run again (a part is
written whole again), with the same bytes.

Two things keep a part as cheap on a worker as in-process (measured on 4,000 homes x
August): the local cluster's workers start without Dask's ``MALLOC_TRIM_THRESHOLD_=65536``
(setting it turns off glibc's adaptive mmap threshold, so every array the models allocate
is mapped and page-faulted afresh: ~30x the minor page faults and ~2x the CPU time of a
part), and each worker imports the models while the client still resolves the table
datasets, instead of when the shared inputs arrive (seconds of imports per worker).

Dask runs here only; ``import vppsim`` does not import it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from vppsim.dataset.build import PartResult, RunInputs, run_parts
from vppsim.errors import ConfigError


def task_parts(parts: int, per_task: int) -> list[tuple[int, ...]]:
    """The chunks of each task: ``per_task`` consecutive chunks (the last task fewer)."""
    return [
        tuple(range(first, min(first + per_task, parts))) for first in range(0, parts, per_task)
    ]


def _load_models() -> None:
    """Import what unpickling a run's inputs and running its parts needs (the datasets'
    models): a worker's first task, run before the inputs arrive."""
    import vppsim.dataset.build  # noqa: F401
    from vppsim.registry import default_registry

    default_registry()


class DaskExecutor:
    """Runs the parts of a build as tasks of ``chunks_per_task`` chunks on a Dask client.

    Parameters
    ----------
    client : distributed.Client
        The cluster's client.
    chunks_per_task : int
        Chunks of homes per task: fewer, larger tasks cost less scheduling; more, smaller
        ones balance the workers better. The bytes written are the same either way.
    """

    def __init__(self, client, chunks_per_task: int = 1):
        if chunks_per_task < 1:
            raise ConfigError(f"chunks_per_task={chunks_per_task}: give at least 1")
        from distributed import fire_and_forget

        self.client = client
        self.chunks_per_task = chunks_per_task
        # The workers import the models while the client resolves the tables.
        for worker in client.scheduler_info()["workers"]:
            fire_and_forget(client.submit(_load_models, workers=[worker], pure=False))

    def run(self, inputs: RunInputs) -> Iterator[PartResult]:
        """The result of each part of ``inputs``, as the tasks complete."""
        from distributed import as_completed

        shared = self.client.scatter(inputs, broadcast=True, hash=False)
        futures = [
            self.client.submit(run_parts, shared, parts, key=f"vppsim-{inputs.key}-{parts[0]}")
            for parts in task_parts(inputs.parts, self.chunks_per_task)
        ]
        try:
            for future in as_completed(futures):
                yield from future.result()
                # The client holds a task's result no longer than it takes to record it.
                future.release()
        finally:
            # A failed or interrupted build stops its tasks before the staging folder goes.
            self.client.cancel(futures)
            self.client.cancel([shared])


@contextmanager
def dask_executor(
    workers: int | None = None,
    scheduler: str | None = None,
    chunks_per_task: int = 1,
    on_start: Callable[[str], None] | None = None,
) -> Iterator[DaskExecutor]:
    """A :class:`DaskExecutor` on a new local cluster of ``workers`` processes (one thread
    each, on the loopback interface) or on the existing cluster at ``scheduler``; the
    local cluster is shut down on exit. ``on_start`` gets a line naming the cluster and
    its dashboard address.

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
        yield DaskExecutor(client, chunks_per_task)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
