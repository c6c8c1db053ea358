"""How fast the dashboard answers a tab change with a large fleet.

Builds the default study with ``--homes`` homes (10,000 by default; or uses ``--data``),
starts ``vppsim dashboard`` on it, and in Debian's Chromium (Playwright) times each tab
change from the click until every graph of the new tab is drawn: first visit (cold: the
DuckDB queries run) and second visit (warm: answers memoised). First it prints how long
after its launch the dashboard answers its opening Load view (it reads the fleet's arrays
once, in the background, at start), then times the callbacks over HTTP without a browser
for another period and filter, which shows the server's share.

    python benchmarks/bench_dashboard.py [--homes 10000] [--data DIR]
"""

from __future__ import annotations

import argparse
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from test_dashboard_browser import CHROMIUM, CHROMIUM_ARGS, TABS

TABS_TIMED = ["solar", "load", "integrated", "market"]
# Each tab twice, then Data quality: opening it starts the validation, which would compete
# with the other tabs' queries for the CPU.
VISITS = [*TABS_TIMED, *TABS_TIMED, "quality"]


def build(homes: int, folder: Path) -> Path:
    out = folder / f"dash-{homes}"
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "vppsim", "build", "--offline", f"--homes={homes}", f"--out={out}"],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    print(f"built {homes:,} homes in {time.perf_counter() - start:.1f} s: {out}")
    return out


def serve(data: Path) -> tuple[subprocess.Popen, str]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    process = subprocess.Popen(
        [sys.executable, "-m", "vppsim", "dashboard", str(data), "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/"
    for _ in range(300):
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return process, url
        except httpx.TransportError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit("the dashboard did not start")


def browser_times(url: str, data: Path) -> dict[str, list[float]]:
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import sync_playwright

    from vppsim.viz.dashboard.views import TAB_DATASETS
    from vppsim.viz.queries import DatasetQueries

    # A tab whose data the dataset lacks (a build --only some datasets) answers with a
    # message: that is what is waited for.
    present = set(DatasetQueries(data).datasets)
    lacking = {tab for tab, needs in TAB_DATASETS.items() if not set(needs) <= present}

    times: dict[str, list[float]] = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(url)
        page.wait_for_selector("#market-prices .js-plotly-plot .main-svg", timeout=120_000)
        for tab in VISITS:
            selectors = [f"#{g} .js-plotly-plot .main-svg" for g in TABS.get(tab, [])] or [
                "#provenance-table"
            ]
            if tab in lacking:
                selectors = ["#tab-content .error"]
            start = time.perf_counter()
            page.click(f"#tab-{tab}")
            try:
                for selector in selectors:
                    page.wait_for_selector(selector, timeout=120_000)
                # Dash marks the page busy until every callback has answered.
                page.wait_for_function(
                    "() => !document.querySelector('[data-dash-is-loading=\"true\"]')",
                    timeout=120_000,
                )
            except PlaywrightTimeout:
                print(f"{tab}: not drawn within 120 s", flush=True)
                times.setdefault(tab, []).append(float("inf"))
                continue
            times.setdefault(tab, []).append(time.perf_counter() - start)
            print(f"{tab}: {times[tab][-1]:.2f} s", flush=True)
        browser.close()
    return times


def _tab_request(tab: str, first: str, last: str, home_filter: str) -> dict:
    """The tab callback's request body for ``tab`` over local days ``first`` to ``last``."""
    return {
        "output": "..tab-content.children...status.children..",
        "outputs": [
            {"id": "tab-content", "property": "children"},
            {"id": "status", "property": "children"},
        ],
        "inputs": [
            {"id": "tabs", "property": "value", "value": tab},
            {"id": "dates", "property": "start_date", "value": first},
            {"id": "dates", "property": "end_date", "value": last},
            {"id": "aggregation", "property": "value", "value": "hourly"},
            {"id": "price", "property": "value", "value": "lmp"},
            {"id": "home-filter", "property": "value", "value": home_filter},
            {"id": "home-ids", "property": "value", "value": "1, 2"},
            {"id": "pv-share", "property": "value", "value": 0.4},
            {"id": "strategy", "property": "value", "value": None},
            {"id": "forecast-variable", "property": "value", "value": "lmp"},
            {"id": "forecast-run", "property": "value", "value": "day-ahead"},
            {"id": "forecast-issue", "property": "value", "value": None},
        ],
        "changedPropIds": ["tabs.value"],
    }


def opening_views(url: str, data: Path, started: float) -> float:
    """Seconds from the dashboard's launch until its opening Load view (whole period, every
    home) is answered: the dashboard computes the opening views in the background at start,
    reading the fleet's per-home-day arrays and sampled homes once, which every later Load
    view slices. A tab change before then waits for it."""
    from vppsim.viz.queries import DatasetQueries

    queries = DatasetQueries(data)
    first, last = str(queries.first_day), str(queries.last_day)
    with httpx.Client(base_url=url, timeout=300) as client:
        body = _tab_request("load", first, last, "all")
        client.post("_dash-update-component", json=body).raise_for_status()
    return time.perf_counter() - started


def http_times(url: str) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {}
    with httpx.Client(base_url=url, timeout=120) as client:
        for tab in [*TABS_TIMED, *TABS_TIMED]:
            body = _tab_request(tab, "2023-08-08", "2023-08-21", "ac")
            start = time.perf_counter()
            client.post("_dash-update-component", json=body).raise_for_status()
            times.setdefault(tab, []).append(time.perf_counter() - start)
    return times


def report(title: str, times: dict[str, list[float]]) -> None:
    print(f"\n{title}")
    print(f"{'tab':<12}{'first visit [s]':>17}{'second visit [s]':>18}")
    for tab, (cold, *warm) in times.items():
        print(f"{tab:<12}{cold:>17.2f}" + (f"{warm[0]:>18.2f}" if warm else f"{'-':>18}"))
    print(f"slowest tab change: {max(max(t) for t in times.values()):.2f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--homes", type=int, default=10_000)
    parser.add_argument("--data", type=Path, help="an existing dataset folder to use")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="vppsim-bench-dash-") as tmp:
        data = args.data or build(args.homes, Path(tmp))
        started = time.perf_counter()
        process, url = serve(data)
        try:
            ready = opening_views(url, data, started)
            print(f"dashboard launched to opening views ready: {ready:.1f} s")
            report(
                "Over HTTP, callback only (2 weeks, homes with AC, a new period and filter):",
                http_times(url),
            )
            if CHROMIUM.exists():
                report(
                    "In Chromium, click to drawn (default period, all homes):",
                    browser_times(url, data),
                )
            else:
                print("no /usr/bin/chromium: browser timings skipped")
        finally:
            process.terminate()
            process.wait(timeout=10)


if __name__ == "__main__":
    main()
