"""Time `vppsim build` as a whole process: wall time and peak RSS, for the default study.

    python benchmarks/bench_build.py                  # `vppsim build --offline`, default study
    python benchmarks/bench_build.py --framework      # the write + validate path alone, driven
                                                      # by the test suite's small sources
    python benchmarks/bench_build.py --repeat 3 -- --homes 1000   # extra build flags after --

Each run is a fresh process; peak RSS is that process's own maximum resident set.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

FRAMEWORK = """
import sys
from vppsim.config import load_settings
from vppsim.dataset.build import build_dataset
from tests.sources import test_registry
overrides = dict(arg.split("=", 1) for arg in sys.argv[2:])
settings = load_settings({"out": sys.argv[1], **overrides}, env_file=None)
build_dataset(settings, test_registry())
"""


def run_once(command: list[str]) -> tuple[float, float, int, str]:
    """Run ``command``; return wall seconds, peak RSS [MiB], exit code and last stderr line."""
    start = time.perf_counter()
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    stderr = process.stderr.read().decode(errors="replace")
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - start
    last = stderr.strip().splitlines()[-1] if stderr.strip() else ""
    return wall, usage.ru_maxrss / 1024, process.returncode, last


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeat", type=int, default=3, help="runs to time (default 3)")
    parser.add_argument(
        "--framework",
        action="store_true",
        help="time the writer and validator with the test sources",
    )
    parser.add_argument(
        "build_args",
        nargs="*",
        help="extra flags for `vppsim build` (or key=value settings with --framework)",
    )
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="vppsim-bench-"))
    out = workdir / "data"
    if args.framework:
        command = [sys.executable, "-c", FRAMEWORK, str(out), *args.build_args]
        label = "write + validate (test sources)"
    else:
        vppsim = Path(sys.executable).with_name("vppsim")
        command = [str(vppsim), "build", "--offline", "--out", str(out), *args.build_args]
        label = "vppsim build --offline"
    print(f"{label}  {' '.join(args.build_args) or '(default study: Aug 2023, 200 homes)'}")
    print(f"{'run':>4} {'wall [s]':>9} {'peak RSS [MiB]':>15} {'exit':>5}")
    walls, peaks = [], []
    try:
        for run in range(1, args.repeat + 1):
            wall, peak, code, last = run_once(command)
            walls.append(wall)
            peaks.append(peak)
            print(f"{run:>4} {wall:>9.2f} {peak:>15.1f} {code:>5}")
            if code != 0:
                print(f"     build exited {code}: {last}")
        size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file()) if out.exists() else 0
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    walls.sort()
    print(
        f"median wall {walls[len(walls) // 2]:.2f} s, max peak RSS {max(peaks):.1f} MiB, "
        f"output {size / 1e6:.1f} MB"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
