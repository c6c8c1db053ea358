"""How fast the dashboard's Scenarios tab answers, and how much it sends, over a year.

Builds ``--datasets`` one-year studies offline (weather, system and market only: the tab's
price, net-load and temperature figures), each with a scarcer market than the last, writes
a ``scenarios.json`` over them, and times the tab's figures callback over HTTP without a
browser: the first answer (cold: every dataset's year is read and reduced) and a second
(warm: memoised), and the size of the answer.

    python benchmarks/bench_dashboard_scenarios.py [--datasets 6] [--data DIR]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.test_dashboard_scenarios import figures_request

from vppsim.viz.dashboard.app import create_app
from vppsim.viz.dashboard.scenarios import SUITE_FILE, compared_folders


def build_suite(count: int, root: Path) -> Path:
    names = [f"scenario-{k}" for k in range(count)]
    start = time.perf_counter()
    for k, name in enumerate(names):
        subprocess.run(
            [
                sys.executable,
                "-m",
                "vppsim",
                "build",
                "--offline",
                "--start=2023-01-01",
                "--end=2023-12-31",
                "--only=weather,system,market",
                f"--out={root / name}",
                "--set",
                f"market.scarcity_propensity={1 + k}",
            ],
            check=True,
            stdout=subprocess.DEVNULL,
        )
    print(f"built {count} one-year datasets in {time.perf_counter() - start:.1f} s: {root}")
    scenarios = [{"name": name, "path": name} for name in names]
    (root / SUITE_FILE).write_text(json.dumps({"base": names[0], "scenarios": scenarios}))
    return root


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", type=int, default=6)
    parser.add_argument("--data", type=Path, help="a suite folder to use instead of building")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        suite = args.data or build_suite(args.datasets, Path(tmp))
        app = create_app(suite, validate=False, prewarm=False)
        # No manifest records a scenario name here: the labels are the folders' names.
        labels = [folder.name for folder in compared_folders(suite)]
        client = app.server.test_client()
        body = figures_request(labels, None, None)
        for visit in ("cold", "warm"):
            start = time.perf_counter()
            answer = client.post("/_dash-update-component", json=body)
            elapsed = time.perf_counter() - start
            assert answer.status_code == 200, answer.data[:300]
            print(
                f"{visit}: {len(labels)} datasets, figures in {elapsed:.2f} s, "
                f"{len(answer.data) / 1e3:,.0f} kB sent"
            )


if __name__ == "__main__":
    main()
