"""Time a build of N homes in-process and on a local Dask cluster of 1 and 2 workers.

    python benchmarks/bench_scale.py 20000                 # August 2023, 15-min, parquet
    python benchmarks/bench_scale.py 2000 --workers 2 --chunks-per-task 2

Each layout runs in a fresh process. Printed per layout: wall time of the whole build, the
homes/s of its per-home step (from its start to the last part recorded), how long the first
part took (on a cluster: a worker's imports and pipeline, paid once per worker) and the
homes/s after every worker's first part (what each further part costs), the peak RSS of
the client process and of each worker [MiB], the CPU time of the client's build and of
each worker process [s] (on a shared machine the CPU time, unlike the wall time, does not
depend on what else runs), and the bytes written. The datasets are those
without the forecasts (whose fleet ensemble still runs in the client). The outputs of the
layouts are compared file by file: they must be byte-identical.
"""

from __future__ import annotations

import argparse
import hashlib
import json
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

    def rates(self, homes: int, workers: int) -> dict:
        """homes/s of the whole step; seconds to the first part (a worker's imports and
        pipeline); homes/s once every worker has sent its first part (what more parts cost)."""
        times = [t for t, _ in self.arrivals]
        first = max(workers, 1)
        later = sum(count for _, count in self.arrivals[first:])
        steady = later / (times[-1] - times[first - 1]) if later else float("nan")
        return {"homes_per_s": homes / times[-1], "first_part_s": times[0], "steady": steady}


def _maxrss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def one(homes: int, out: Path, workers: int, chunks_per_task: int) -> dict:
    """Build once in this process (``workers`` 0: in-process) and return the figures."""
    import contextlib

    from vppsim.config import load_settings
    from vppsim.dataset.build import build_dataset
    from vppsim.dataset.distributed import dask_executor
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
        },
        env_file=None,
        registry=registry,
    )
    clock = _Clock()
    start = time.perf_counter()
    cluster = (
        dask_executor(workers, chunks_per_task=chunks_per_task)
        if workers
        else contextlib.nullcontext()
    )
    with cluster as executor:
        ready, cpu = time.perf_counter(), time.process_time()
        build_dataset(settings, registry, clock, executor=executor)
        cpu = time.process_time() - cpu
        workers_run = executor.client.run if executor is not None else lambda f: {}
        worker_rss = sorted(workers_run(_maxrss_mib).values())
        # A worker's CPU time since it started (its imports included).
        worker_cpu = sorted(workers_run(time.process_time).values())
    return {
        "wall_s": time.perf_counter() - start,
        "cluster_start_s": ready - start,
        **clock.rates(homes, workers),
        "client_rss_mib": _maxrss_mib(),
        "worker_rss_mib": worker_rss,
        "client_cpu_s": cpu,
        "worker_cpu_s": worker_cpu,
        "bytes": sum(p.stat().st_size for p in out.rglob("*") if p.is_file()),
    }


def _digest(folder: Path) -> str:
    total = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            total.update(str(path.relative_to(folder)).encode() + path.read_bytes())
    return total.hexdigest()


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
    parser.add_argument("--chunks-per-task", type=int, default=1)
    parser.add_argument("--one", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one is not None:
        figures = one(args.homes, args.one, args.workers[0], args.chunks_per_task)
        print(json.dumps(figures))
        return 0
    digests = {}
    with tempfile.TemporaryDirectory(dir=ROOT) as scratch:
        for workers in args.workers:
            out = Path(scratch) / f"w{workers}"
            command = [
                sys.executable,
                __file__,
                str(args.homes),
                "--workers",
                str(workers),
                "--chunks-per-task",
                str(args.chunks_per_task),
                "--one",
                str(out),
            ]
            answer = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=True)
            figures = json.loads(answer.stdout.strip().splitlines()[-1])
            digests[workers] = _digest(out)
            layout = f"{workers} worker(s)" if workers else "in-process"
            workers_rss = ", ".join(f"{v:,.0f}" for v in figures["worker_rss_mib"]) or "-"
            workers_cpu = ", ".join(f"{v:,.1f}" for v in figures["worker_cpu_s"]) or "-"
            wall, ready = figures["wall_s"], figures["cluster_start_s"]
            print(
                f"{args.homes:,} homes x Aug 2023 15-min, {layout:>12}: "
                f"wall {wall:.1f} s (cluster start {ready:.1f} s), "
                f"per-home step {figures['homes_per_s']:,.0f} homes/s "
                f"(first part at {figures['first_part_s']:.1f} s, then "
                f"{figures['steady']:,.0f} homes/s), "
                f"peak RSS client {figures['client_rss_mib']:,.0f} MiB, "
                f"workers [{workers_rss}] MiB, CPU time of the build client "
                f"{figures['client_cpu_s']:.1f} s, workers [{workers_cpu}] s, "
                f"{figures['bytes'] / 1e6:,.1f} MB written"
            )
            shutil.rmtree(out)
    same = len(set(digests.values())) == 1
    print(f"byte-identical across layouts: {same}")
    return 0 if same else 1


if __name__ == "__main__":
    raise SystemExit(main())
