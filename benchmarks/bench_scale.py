"""Time a build, or a fleet dispatch, of N homes in-process and on a local Dask cluster of 1
and 2 workers.

    python benchmarks/bench_scale.py 20000                 # August 2023, 15-min, parquet
    python benchmarks/bench_scale.py 2000 --workers 2 --chunks-per-task 2
    python benchmarks/bench_scale.py 3000 --dispatch lp    # builds 3,000 homes, then dispatches
    python benchmarks/bench_scale.py 100000 --dispatch lp --dataset DIR   # a built dataset

Each layout runs in a fresh process. Printed per layout: wall time of the whole build, the
homes/s of its per-home step (from its start to the last part recorded), how long the first
part took (on a cluster: a worker's imports and pipeline, paid once per worker) and the
homes/s after every worker's first part (what each further part costs), the peak RSS of
the client process and of each worker [MiB], the CPU time of the client's build and of
each worker process [s] (on a shared machine the CPU time, unlike the wall time, does not
depend on what else runs), and the bytes written. The datasets are those
without the forecasts (whose fleet ensemble still runs in the client). The outputs of the
layouts are compared file by file: they must be byte-identical.

``--dispatch STRATEGY`` times ``vppsim dispatch DIR --strategy STRATEGY`` instead (the same
figures, its chunks of ``--homes-chunk`` homes being the parts; the bytes are those of
``DIR/dispatch/STRATEGY/``, which each layout replaces), over ``--dataset DIR`` or, without
it, over N homes built first
(``--set KEY=VALUE`` passes build settings, e.g. ``assets.vpp_enrollment_share=0.5``). It
prints first how many homes the LP dispatches (the enrolled ones) and their devices, and
the scaling (the wall time on 1 worker over that on each larger cluster).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


class _Clock:
    """A build progress that times the per-home step (its description names the homes):
    when each part arrived [s from the step's start] and its homes."""

    def __init__(self):
        self.arrivals: list[tuple[float, int]] = []

    def start(self, description, total):
        if not description.endswith(" homes"):
            return lambda advance: None
        first = time.perf_counter()
        return lambda count: self.arrivals.append((time.perf_counter() - first, count))

    def rates(self, workers: int) -> dict:
        """homes/s of the whole step; seconds to the first part (a worker's imports and
        pipeline); homes/s once every worker has sent its first part (what more parts cost)."""
        homes = sum(count for _, count in self.arrivals)
        times = [t for t, _ in self.arrivals]
        first = max(workers, 1)
        later = sum(count for _, count in self.arrivals[first:])
        steady = later / (times[-1] - times[first - 1]) if later else float("nan")
        return {
            "homes": homes,
            "homes_per_s": homes / times[-1],
            "first_part_s": times[0],
            "steady": steady,
        }


class _Steps:
    """Adds up the seconds each part's steps took (``PartResult.seconds``: model, write,
    validate, rollup), whoever ran the part, by wrapping the executor's results."""

    def __init__(self):
        self.seconds: dict[str, float] = {}

    def wrap(self, executor):
        """``executor`` with its results tallied."""
        steps = self

        class Tallied:
            def run(self, tasks):
                for result in executor.run(tasks):
                    for step, seconds in result.seconds.items():
                        steps.seconds[step] = steps.seconds.get(step, 0.0) + seconds
                    yield result

        return Tallied()

    def shares(self, wall: float, workers: int) -> dict:
        """Seconds per step and the share of the workers' time (``wall`` of the per-home
        step times the workers) each took; the rest is scheduling, transfer and waiting."""
        capacity = wall * max(workers, 1)
        return {step: (seconds, seconds / capacity) for step, seconds in self.seconds.items()}


def _maxrss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _timed(workers: int, chunks_per_task: int, prepare, body) -> dict:
    """Figures of ``body(executor, clock)`` run in this process (``workers`` 0) or on a new
    local cluster of ``workers`` workers whose first task is ``prepare``."""
    import contextlib

    from vppsim.dataset.distributed import dask_executor

    clock = _Clock()
    start = time.perf_counter()
    cluster = (
        dask_executor(workers, chunks_per_task=chunks_per_task, prepare=prepare)
        if workers
        else contextlib.nullcontext()
    )
    with cluster as executor:
        ready, cpu = time.perf_counter(), time.process_time()
        body(executor, clock)
        cpu = time.process_time() - cpu
        workers_run = executor.client.run if executor is not None else lambda f: {}
        worker_rss = sorted(workers_run(_maxrss_mib).values())
        # A worker's CPU time since it started (its imports included).
        worker_cpu = sorted(workers_run(time.process_time).values())
    return {
        "wall_s": time.perf_counter() - start,
        "cluster_start_s": ready - start,
        **clock.rates(workers),
        "client_rss_mib": _maxrss_mib(),
        "worker_rss_mib": worker_rss,
        "client_cpu_s": cpu,
        "worker_cpu_s": worker_cpu,
    }


def _bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def one(homes: int, out: Path, workers: int, chunks_per_task: int, options: dict) -> dict:
    """Build once in this process (``workers`` 0: in-process) and return the figures."""
    from vppsim.config import load_settings
    from vppsim.dataset.build import build_dataset
    from vppsim.dataset.distributed import load_build_models
    from vppsim.registry import default_registry

    registry = default_registry()
    names = [n for n in registry.names if "forecast" not in n]
    settings = load_settings(
        {
            "homes": homes,
            "start": "2023-08-01",
            "end": "2023-08-31",
            "formats": "parquet",
            "datasets": names,
            "out": out,
            **{f"{name}.source": "synthetic" for name in registry.names},
            **options,
        },
        env_file=None,
        registry=registry,
    )

    steps = _Steps()

    def body(executor, clock):
        if executor is None:
            # In-process: the build's own pipeline runs the parts; tally them all the same.
            from vppsim.dataset import build

            inner = build.InProcess
            build.InProcess = lambda pipeline: steps.wrap(inner(pipeline))
            try:
                build_dataset(settings, registry, clock)
            finally:
                build.InProcess = inner
        else:
            build_dataset(settings, registry, clock, executor=steps.wrap(executor))

    figures = _timed(workers, chunks_per_task, load_build_models, body)
    step_wall = figures["homes"] / figures["homes_per_s"]
    return {**figures, "bytes": _bytes(out), "steps": steps.shares(step_wall, workers)}


def one_dispatch(
    dataset: Path, strategy: str, workers: int, chunks_per_task: int, homes_chunk: int
) -> dict:
    """Dispatch ``dataset`` once (``workers`` 0: in-process) and return the figures."""
    from vppsim.fleet.run import load_dispatch_models, write_dispatch

    def body(executor, clock):
        write_dispatch(
            dataset,
            strategy,
            homes_chunk=homes_chunk,
            progress=lambda total: clock.start(f"{total} homes", total),
            executor=executor,
        )

    figures = _timed(workers, chunks_per_task, load_dispatch_models, body)
    return {**figures, "bytes": _bytes(dataset / "dispatch" / strategy)}


def fleet_line(dataset: Path) -> tuple[int, str]:
    """The homes of ``dataset``, and a line saying how many the dispatch moves (the enrolled
    ones) and with what."""
    from vppsim.fleet.run import read_study

    assets = read_study(dataset).assets
    enrolled = assets[assets["enrolled"]]
    ac = enrolled["thermostat_dr_enrolled"] & (enrolled["ac_capacity_kw"] > 0)
    counts = {
        "battery": int(enrolled["has_battery"].sum()),
        "EV": int(enrolled["has_ev"].sum()),
        "AC in DR": int(ac.sum()),
        "PV": int(enrolled["has_pv"].sum()),
    }
    devices = ", ".join(f"{name} {count:,}" for name, count in counts.items())
    line = f"{len(assets):,} homes, {len(enrolled):,} enrolled (dispatched) with {devices}"
    return len(assets), line


def _digest(folder: Path) -> str:
    total = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            total.update(str(path.relative_to(folder)).encode() + path.read_bytes())
    return total.hexdigest()


def _pairs(items: list[str]) -> dict:
    """``KEY=VALUE`` settings of ``--set``."""
    return dict(item.split("=", 1) for item in items)


def _run_one(arguments: list[str]) -> dict:
    """The figures of one layout, measured in a fresh process."""
    command = [sys.executable, __file__, *arguments]
    answer = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=True)
    return json.loads(answer.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("homes", type=int, help="fleet size")
    parser.add_argument(
        "--workers",
        type=int,
        nargs="*",
        default=[0, 1, 2],
        help="layouts to time: 0 in-process, N a local cluster of N workers (default 0 1 2)",
    )
    parser.add_argument(
        "--chunks-per-task",
        type=int,
        nargs="*",
        default=[1],
        help="chunks of homes per task; several values time each cluster of 2 or more workers "
        "with each (default 1)",
    )
    parser.add_argument(
        "--keep",
        type=Path,
        help="move the last build to this folder instead of deleting it (e.g. for "
        "bench_dashboard.py --data)",
    )
    parser.add_argument("--dispatch", choices=("none", "rule", "lp"), help="time the dispatch")
    parser.add_argument("--dataset", type=Path, help="the built dataset to dispatch")
    parser.add_argument("--homes-chunk", type=int, default=250, help="the dispatch's chunk")
    parser.add_argument("--set", action="append", default=[], help="a build setting KEY=VALUE")
    parser.add_argument("--one", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    layout_options = []
    if args.one is not None:
        chunks = args.chunks_per_task[0]
        if args.dispatch:
            figures = one_dispatch(
                args.one, args.dispatch, args.workers[0], chunks, args.homes_chunk
            )
        else:
            figures = one(args.homes, args.one, args.workers[0], chunks, _pairs(args.set))
        print(json.dumps(figures))
        return 0
    digests, walls = {}, {}
    with tempfile.TemporaryDirectory(dir=ROOT) as scratch:
        if args.dispatch:
            dataset = args.dataset
            if dataset is None:
                # Built on the largest cluster asked for: the build is not what is timed.
                dataset = Path(scratch) / "dataset"
                sets = [f"--set={item}" for item in args.set]
                workers = ["--workers", str(max(args.workers))]
                _run_one([str(args.homes), *workers, *sets, "--one", str(dataset)])
            dataset = dataset.absolute()
            homes, line = fleet_line(dataset)
            print(line)
            layout_options += ["--dispatch", args.dispatch, "--homes-chunk", str(args.homes_chunk)]
            what = f"{homes:,} homes, dispatch {args.dispatch} in chunks of {args.homes_chunk}"
        else:
            layout_options += [f"--set={item}" for item in args.set]
            what = f"{args.homes:,} homes x Aug 2023 15-min, build"
        layouts = [
            (workers, chunks)
            for workers in args.workers
            # Grouping parts into tasks changes the schedule only where workers share them.
            for chunks in (args.chunks_per_task if workers > 1 else args.chunks_per_task[:1])
        ]
        for workers, chunks in layouts:
            if args.dispatch:
                out = dataset / "dispatch" / args.dispatch
                target = dataset
            else:
                out = target = Path(scratch) / f"w{workers}-c{chunks}"
            figures = _run_one(
                [
                    str(args.homes),
                    "--workers",
                    str(workers),
                    "--chunks-per-task",
                    str(chunks),
                    *layout_options,
                    "--one",
                    str(target),
                ]
            )
            digests[workers, chunks] = _digest(out)
            walls.setdefault(workers, figures["wall_s"])
            layout = f"{workers} worker(s)" if workers else "in-process"
            if workers and len(args.chunks_per_task) > 1:
                layout += f", {chunks} chunk(s)/task"
            workers_rss = ", ".join(f"{v:,.0f}" for v in figures["worker_rss_mib"]) or "-"
            workers_cpu = ", ".join(f"{v:,.1f}" for v in figures["worker_cpu_s"]) or "-"
            wall, ready = figures["wall_s"], figures["cluster_start_s"]
            print(
                f"{what}, {layout:>12}: "
                f"wall {wall:.1f} s (cluster start {ready:.1f} s), "
                f"per-home step {figures['homes_per_s']:,.0f} homes/s "
                f"(first part at {figures['first_part_s']:.1f} s, then "
                f"{figures['steady']:,.0f} homes/s), "
                f"peak RSS client {figures['client_rss_mib']:,.0f} MiB, "
                f"workers [{workers_rss}] MiB, CPU time of the client "
                f"{figures['client_cpu_s']:.1f} s, workers [{workers_cpu}] s, "
                f"{figures['bytes'] / 1e6:,.1f} MB written"
            )
            if "steps" in figures:
                shares = figures["steps"]
                model = shares.get("model", (0.0, 0.0))[1]
                print(
                    "    parts' steps [s, share of the workers' time in the per-home step]: "
                    + ", ".join(f"{k} {v[0]:,.1f} ({v[1]:.0%})" for k, v in shares.items())
                    + f"; outside the model {1 - model:.0%} (writing, validation, rollups, "
                    "scheduling, transfer, waiting)"
                )
            if not args.dispatch:
                if args.keep is not None and (workers, chunks) == layouts[-1]:
                    shutil.rmtree(args.keep, ignore_errors=True)
                    shutil.move(out, args.keep)
                    print(f"kept: {args.keep}")
                else:
                    shutil.rmtree(out)
    clusters = sorted(w for w in walls if w)
    if len(clusters) > 1 and clusters[0] == 1:
        # Workers beyond the machine's cores share them: their scaling shows the overhead.
        print(
            "scaling (wall time on 1 worker over that on N, first chunking): "
            + ", ".join(f"{n} workers {walls[1] / walls[n]:.2f}x" for n in clusters[1:])
            + f" ({os.cpu_count()} cores)"
        )
    same = len(set(digests.values())) == 1
    print(f"byte-identical across layouts: {same}")
    return 0 if same else 1


if __name__ == "__main__":
    raise SystemExit(main())
