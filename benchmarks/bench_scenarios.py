"""How long the default scenario suite takes, end to end, and what it stores.

Runs ``vppsim scenarios`` on the default study (August 2023, 200 homes): six datasets on
common random numbers (base, heat-wave, peak-demand, high-volatility, low-solar,
gas-crisis), each dispatched with none, rule and lp, then the effects tables. Prints the wall
time (issue 14's goal: under 60 s), the time of one scenario's build and of its dispatch in
this process, and the disk the suite takes with and without the hard links to the base.
``--workers N`` runs the suite on a local Dask cluster of N workers, as ``vppsim scenarios
--workers N`` (default 2: each worker a whole scenario, their fleets being one chunk).

    python benchmarks/bench_scenarios.py [--workers 2] [--keep DIR]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from vppsim.dataset.build import build_dataset
from vppsim.fleet.run import write_dispatch
from vppsim.registry import default_registry
from vppsim.scenario.suite import STRATEGIES, plan_suite


def disk(root: Path) -> tuple[int, int]:
    """Bytes of the files under ``root``: counting each inode once, and each name."""
    seen, once, every = set(), 0, 0
    for path in root.rglob("*"):
        if path.is_file():
            stat = path.stat()
            every += stat.st_size
            if stat.st_ino not in seen:
                seen.add(stat.st_ino)
                once += stat.st_size
    return once, every


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--workers", type=int, default=2, help="Dask workers (default 2).")
    parser.add_argument("--keep", type=Path, help="Write the suite here instead of a temp dir.")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="vppsim-bench-scenarios-") as scratch:
        root = args.keep or Path(scratch) / "suite"
        vppsim = Path(sys.executable).with_name("vppsim")
        began = time.perf_counter()
        subprocess.run(
            [str(vppsim), "scenarios", str(root), "--workers", str(args.workers)],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        wall = time.perf_counter() - began
        once, every = disk(root)
        print(f"default suite, 6 scenarios, {args.workers} Dask workers: {wall:.1f} s wall")
        print(f"disk: {once / 1e6:.0f} MB stored, {every / 1e6:.0f} MB without the hard links")
        (plan,) = plan_suite(("base",), Path(scratch) / "one", {"formats": "parquet"})
        began = time.perf_counter()
        build_dataset(plan, default_registry())
        built = time.perf_counter() - began
        times = {}
        for strategy in STRATEGIES:
            began = time.perf_counter()
            write_dispatch(plan.out, strategy)
            times[strategy] = time.perf_counter() - began
        print(
            f"one scenario in this process: build {built:.1f} s, dispatch "
            + ", ".join(f"{name} {seconds:.1f} s" for name, seconds in times.items())
        )
        print(f"cores: {os.cpu_count()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
