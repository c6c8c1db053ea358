"""End to end: `vppsim dashboard` on a small build, driven in Debian's Chromium by Playwright.

Playwright never downloads a browser here: it launches /usr/bin/chromium (`apt-get install
chromium`; `.ci/run` and `make test` install it). Without it the test is skipped, saying so.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from vppsim.dataset.build import build_dataset
from vppsim.registry import default_registry

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
TABS = {
    "market": ["market-prices", "market-band", "market-daytype", "market-histogram"],
    "system": ["system-series", "system-band", "system-supply"],
    "solar": ["solar-series", "solar-band", "solar-daily", "solar-cf"],
    "load": ["load-homes", "load-band", "load-daily-kwh", "load-peaks", "load-diversity"],
    "integrated": [
        "integrated-price-solar",
        "integrated-net",
        "integrated-peaks",
        "integrated-revenue",
    ],
}
# Where to keep the screenshot (the test's temporary folder when unset).
SCREENSHOTS = Path(os.environ["VPPSIM_SCREENSHOTS"]) if "VPPSIM_SCREENSHOTS" in os.environ else None

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists() and not os.environ.get("VPPSIM_REQUIRE_BROWSER"),
    reason="Debian's chromium is not installed (/usr/bin/chromium); `apt-get install chromium`",
)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def serve(*args: str) -> Iterator[str]:
    """`vppsim dashboard ARGS` on a free port until the block ends; yields its URL."""
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "vppsim", "dashboard", *args, "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                break
        except httpx.TransportError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"the dashboard did not start: {process.stdout.read().decode()}")
        time.sleep(0.2)
    try:
        yield url
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture
def dashboard(small_settings):
    """`vppsim dashboard` serving a 6-day, 12-home build; yields its URL."""
    settings = small_settings(
        end="2023-08-06", homes=12, system_source="synthetic", market_source="synthetic"
    )
    build_dataset(settings, default_registry())
    with serve(str(settings.out)) as url:
        yield url


def _traces(page, graph_id: str) -> list[dict]:
    return page.evaluate(
        """id => document.querySelector(`#${id} .js-plotly-plot`).data.map(t => ({
            name: t.name, n: t.x ? t.x.length : 0,
            first: t.x && t.x.length ? String(t.x[0]) : null,
            last: t.x && t.x.length ? String(t.x[t.x.length - 1]) : null}))""",
        graph_id,
    )


def _rendered(page, graph_id: str, timeout: float = 30_000) -> None:
    page.wait_for_selector(f"#{graph_id} .js-plotly-plot .main-svg", timeout=timeout)


def test_dashboard_in_chromium(dashboard, tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api")
    problems: list[str] = []
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.on(
            "console",
            lambda message: problems.append(message.text) if message.type == "error" else None,
        )
        page.on("pageerror", lambda error: problems.append(str(error)))
        page.goto(dashboard)

        # 1. Every tab loads its graphs.
        for tab, graphs in TABS.items():
            page.click(f"#tab-{tab}")
            for graph_id in graphs:
                _rendered(page, graph_id)
            assert all(_traces(page, graph_id) for graph_id in graphs), tab
        page.click("#tab-quality")
        page.wait_for_selector("#validation-verdict", timeout=60_000)
        assert "checks passed" in page.inner_text("#validation-verdict")
        provenance = page.inner_text("#provenance-table")
        assert "market" in provenance and "synthetic" in provenance
        assert "sha256:" in page.inner_text("#resources-table")

        # 2. The Load tab at hourly means shows the whole period: 6 days x 24 h.
        page.click("#tab-load")
        _rendered(page, "load-homes")
        traces = _traces(page, "load-homes")
        assert [t["name"] for t in traces] == ["home 0", "home 1", "home 2", "fleet mean per home"]
        assert {t["n"] for t in traces} == {6 * 24}
        assert "12 homes selected" in page.inner_text("#status")

        # 3. A narrower period re-renders with only its hours.
        page.fill("#dates", "2023-08-03")
        page.keyboard.press("Enter")
        page.fill("#dates-end-date", "2023-08-04")
        page.keyboard.press("Enter")
        page.wait_for_function(
            """() => { const d = document.querySelector('#load-homes .js-plotly-plot');
                       return d && d.data[0].x.length === 48; }""",
            timeout=30_000,
        )
        traces = _traces(page, "load-homes")
        assert traces[0]["first"].startswith("2023-08-03T00:00")
        assert traces[0]["last"].startswith("2023-08-04T23:00")
        assert "2023-08-03 to 2023-08-04" in page.inner_text("#status")

        # 4. Another home selection: those homes and no others.
        page.fill("#home-ids", "4, 9")
        page.keyboard.press("Enter")
        page.wait_for_function(
            """() => { const d = document.querySelector('#load-homes .js-plotly-plot');
                       return d && d.data.map(t => t.name).join() ===
                              'home 4,home 9,fleet mean per home'; }""",
            timeout=30_000,
        )
        assert {t["n"] for t in _traces(page, "load-homes")} == {48}

        # 5. Daily aggregation: two local days, one point each.
        page.click("#aggregation >> text=daily")
        page.wait_for_function(
            """() => document.querySelector('#load-homes .js-plotly-plot').data[0].x.length
                     === 2""",
            timeout=30_000,
        )

        # 6. A typo in the ids is a message, not a crash.
        page.fill("#home-ids", "4, x")
        page.keyboard.press("Enter")
        page.wait_for_function(
            "() => document.querySelector('#status').innerText.includes('whole numbers')",
            timeout=30_000,
        )

        shot = (SCREENSHOTS or tmp_path) / "dashboard.png"
        shot.parent.mkdir(parents=True, exist_ok=True)
        page.fill("#home-ids", "4, 9")
        page.keyboard.press("Enter")
        _rendered(page, "load-homes")
        page.screenshot(path=str(shot), full_page=True)
        browser.close()
    assert shot.stat().st_size > 50_000
    assert problems == []
