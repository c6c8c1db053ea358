"""The dashboard's Scenarios tab: which folders it compares (a suite, or ``--compare``), how
they are labelled, and the figures' data against each dataset's own files."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from vppsim.cli import app as cli
from vppsim.fleet.dispatch import STRATEGIES
from vppsim.report import format_cell
from vppsim.viz.comparison import dataset_labels, duration_curve, strategy_revenue
from vppsim.viz.dashboard.app import create_app
from vppsim.viz.dashboard.scenarios import SUITE_FILE, compared_folders
from vppsim.viz.queries import DatasetNotReadable

from .conftest import OUTCOME_DATASETS
from .test_dashboard import _components, _render, _tab_ids, _values
from .test_dashboard_browser import CHROMIUM, CHROMIUM_ARGS, _rendered, _traces, serve
from .test_dashboard_dispatch import dispatch, give_batteries, offline_build

TZ = "America/Los_Angeles"
SCARCE = {
    "system": {"gas_price_usd_per_mmbtu": 25.0, "demand_scale": 1.1},
    "market": {"scarcity_propensity": 3.0},
}
"""A gas crisis with more load: dearer fuel, higher net load and more scarcity intervals."""


@pytest.fixture(scope="module")
def suite(tmp_path_factory) -> Path:
    """A suite as ``vppsim scenarios`` writes it: ``base`` dispatched with every strategy,
    ``gas-crisis`` (:data:`SCARCE`) with ``rule`` only, and ``scenarios.json``."""
    root = tmp_path_factory.mktemp("suite")
    for name, overrides, strategies in (
        ("base", {}, STRATEGIES),
        ("gas-crisis", SCARCE, ("rule",)),
    ):
        folder = offline_build(root / name, 4, datasets=OUTCOME_DATASETS, **overrides)
        give_batteries(folder)
        for strategy in strategies:
            dispatch(folder, strategy)
    scenarios = [
        {"name": name, "title": name, "reference": "", "path": name, "version_id": "0" * 64}
        for name in ("base", "gas-crisis")
    ]
    (root / SUITE_FILE).write_text(
        json.dumps({"suite": "default", "base": "base", "scenarios": scenarios})
    )
    return root


def figures_request(chosen: list[str], start: str | None, end: str | None) -> dict:
    """The body of the browser's request for the Scenarios figures of ``chosen``."""
    return {
        "output": "scenario-figures.children",
        "outputs": {"id": "scenario-figures", "property": "children"},
        "inputs": [
            {"id": "scenario-datasets", "property": "value", "value": chosen},
            {"id": "dates", "property": "start_date", "value": start},
            {"id": "dates", "property": "end_date", "value": end},
        ],
        "changedPropIds": ["scenario-datasets.value"],
    }


def _figures(client, chosen, start="2023-08-01", end="2023-08-03") -> list:
    """The children of ``scenario-figures`` for the datasets ``chosen``."""
    answer = client.post("/_dash-update-component", json=figures_request(chosen, start, end))
    assert answer.status_code == 200, answer.data[:500]
    return answer.get_json()["response"]["scenario-figures"]["children"]


def _graphs(children) -> dict[str, dict]:
    return {
        c["props"]["id"]: c["props"]["figure"]
        for c in _components(children)
        if c.get("type") == "Graph"
    }


def _ids(tree) -> list:
    return [c.get("props", {}).get("id") for c in _components(tree)]


def _axis_titles(figure: dict) -> tuple[str, str]:
    return tuple(figure["layout"][axis]["title"]["text"] for axis in ("xaxis", "yaxis"))


def _daily_max(root: Path, table: str, column: str) -> np.ndarray:
    """Each local day's maximum of ``column``, straight from the Parquet file."""
    frame = pd.read_parquet(root / "parquet" / f"{table}.parquet")
    days = pd.DatetimeIndex(frame["timestamp"]).tz_convert(TZ).date
    return frame.groupby(days)[column].max().to_numpy()


# -- pure frame functions ---------------------------------------------------------------------


def test_duration_curve_is_the_sorted_series_against_its_exceedance():
    values = np.array([3.0, np.nan, 10.0, -2.0, 7.0])
    curve = duration_curve(values)
    assert curve["value"].tolist() == [10.0, 7.0, 3.0, -2.0]
    assert curve["share_pct"].tolist() == [25.0, 50.0, 75.0, 100.0]

    # A year of 15-min values is thinned, never interpolated: every kept point is on the
    # exact curve, the maximum and minimum included.
    n = 35_040
    many = np.sin(np.arange(n) * 0.7) * 100 + np.arange(n) * 1e-4  # distinct values
    curve = duration_curve(many, points=300)
    assert len(curve) <= 600
    assert curve["value"].iloc[0] == many.max() and curve["value"].iloc[-1] == many.min()
    assert curve["value"].is_monotonic_decreasing and curve["share_pct"].is_monotonic_increasing
    exceedance = [(many >= v).mean() * 100 for v in curve["value"]]
    assert np.allclose(exceedance, curve["share_pct"])
    # The top ranks are kept one by one: the spike tail is drawn exactly.
    assert curve["share_pct"].iloc[:5].tolist() == [100 * k / n for k in range(1, 6)]
    assert duration_curve([np.nan]).empty


def test_strategy_revenue_orders_the_strategies_and_leaves_gaps():
    summaries = {
        "base": {"lp": {"kpis": {"net revenue": 5.0}}, "none": {"kpis": {"net revenue": -1.0}}},
        "hot": {"custom": {"kpis": {"net revenue": 2.0}}, "lp": {"kpis": {}}},
        "bare": {},
    }
    frame = strategy_revenue(summaries)
    assert frame.index.tolist() == ["none", "lp", "custom"]
    assert frame.columns.tolist() == ["base", "hot", "bare"]
    assert frame.loc["lp", "base"] == 5.0 and frame.loc["none", "base"] == -1.0
    assert np.isnan(frame.loc["lp", "hot"]) and np.isnan(frame.loc["custom", "base"])
    assert frame["bare"].isna().all()
    assert strategy_revenue({"a": {}, "b": {}}).empty


def test_labels_are_unique_scenario_names_else_folders():
    assert dataset_labels(["base", "heat-wave"], ["x", "y"]) == ["base", "heat-wave"]
    # Two builds of the same scenario (or none recorded): their folders tell them apart.
    assert dataset_labels(["base", "base", "heat"], ["a", "b", "c"]) == ["a", "b", "heat"]
    assert dataset_labels([None, "hot"], ["data", "other"]) == ["data", "hot"]
    assert dataset_labels([None, None], ["data", "data"]) == ["data", "data (2)"]


# -- which folders ----------------------------------------------------------------------------


def test_a_suite_opens_its_base_first_then_each_scenario(suite, tmp_path):
    assert compared_folders(suite) == [suite / "base", suite / "gas-crisis"]
    # A folder compared again, or the base given by its scenario's path, is kept once.
    assert compared_folders(suite, (suite / "base", suite / "gas-crisis" / ".")) == [
        suite / "base",
        suite / "gas-crisis",
    ]
    assert compared_folders(suite / "base", (suite / "gas-crisis",)) == [
        suite / "base",
        suite / "gas-crisis",
    ]
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / SUITE_FILE).write_text(json.dumps({"suite": "default", "scenarios": []}))
    with pytest.raises(DatasetNotReadable, match="is not a vppsim scenario suite"):
        compared_folders(broken)


def test_one_dataset_without_compare_has_no_scenarios_tab(suite):
    client = create_app(suite / "base", validate=False, prewarm=False).server.test_client()
    assert "scenarios" not in _tab_ids(client)
    assert "scenario-datasets" not in _ids(client.get("/_dash-layout").get_json())


def test_a_suite_fills_the_tabs_with_its_base_and_compares_its_datasets(suite):
    client = create_app(suite, validate=False, prewarm=False).server.test_client()
    tabs = _tab_ids(client)
    assert "scenarios" in tabs and tabs.index("scenarios") == len(tabs) - 2  # before quality
    # The other tabs draw the base: its net load, not the crisis's 10 % more.
    _, status = _render(client, "system", aggregation="15min")
    peak = pd.read_parquet(suite / "base" / "parquet" / "system.parquet")["net_load_mw"].max()
    assert f"net load peaks at {peak:,.0f} MW" in status

    children, status = _render(client, "scenarios")
    assert status == "Scenarios: comparing base, gas-crisis"
    (select,) = [
        c for c in _components(children) if c.get("props", {}).get("id") == "scenario-datasets"
    ]
    assert select["props"]["value"] == ["base", "gas-crisis"] and select["props"]["multi"]
    assert "scenario-figures" in set(_ids(children))


def test_scenario_figures_carry_each_datasets_data(suite):
    client = create_app(suite, validate=False, prewarm=False).server.test_client()
    graphs = _graphs(_figures(client, ["base", "gas-crisis"]))
    assert list(graphs) == [
        "scenario-rt-duration",
        "scenario-da-duration",
        "scenario-net-load-peaks",
        "scenario-temperature",
        "scenario-revenue",
    ]
    markets = {
        n: pd.read_parquet(suite / n / "parquet" / "market.parquet") for n in ("base", "gas-crisis")
    }
    for graph, column in (("scenario-rt-duration", "lmp"), ("scenario-da-duration", "da_lmp")):
        figure = graphs[graph]
        assert _axis_titles(figure) == ("share of intervals at or above [%]", "LMP [$/MWh]")
        assert [t["name"] for t in figure["data"]] == ["base", "gas-crisis"]
        for trace in figure["data"]:
            prices = markets[trace["name"]][column]
            y, x = _values(trace["y"]), _values(trace["x"])
            assert y[0] == prices.max() and y[-1] == prices.min()
            assert x[-1] == 100.0
        (line,) = figure["layout"]["shapes"]
        assert line["y0"] == line["y1"] == 250.0
    # The crisis is dearer: its curve lies above the base's at its top.
    rt = {t["name"]: _values(t["y"]) for t in graphs["scenario-rt-duration"]["data"]}
    assert rt["gas-crisis"][0] > 250 > rt["base"][0]

    for graph, table, column, axis in (
        ("scenario-net-load-peaks", "system", "net_load_mw", "peak net load [MW]"),
        ("scenario-temperature", "weather", "temp_air_c", "daily maximum [°C]"),
    ):
        figure = graphs[graph]
        assert _axis_titles(figure) == ("dataset", axis)
        for trace in figure["data"]:
            expected = _daily_max(suite / trace["name"], table, column)
            assert len(expected) == 3
            assert np.allclose(_values(trace["y"]), expected)
    peaks = {t["name"]: _values(t["y"]) for t in graphs["scenario-net-load-peaks"]["data"]}
    assert (peaks["gas-crisis"] > peaks["base"]).all()

    revenue = graphs["scenario-revenue"]
    assert _axis_titles(revenue) == ("dispatch strategy", "fleet net revenue [$]")
    bars = {t["name"]: dict(zip(t["x"], _values(t["y"]), strict=True)) for t in revenue["data"]}
    for name, strategies in (("base", STRATEGIES), ("gas-crisis", ("rule",))):
        assert list(bars[name]) == list(STRATEGIES)
        for strategy in STRATEGIES:
            path = suite / name / "dispatch" / strategy / "summary.json"
            if strategy in strategies:
                kpis = json.loads(path.read_text())["kpis"]
                assert bars[name][strategy] == pytest.approx(kpis["net revenue"])
            else:
                assert np.isnan(bars[name][strategy])  # gas-crisis ran only rule


def test_the_key_statistics_table_sets_the_chosen_datasets_side_by_side(suite):
    client = create_app(suite, validate=False, prewarm=False).server.test_client()
    (table,) = [
        c
        for c in _components(_figures(client, ["base", "gas-crisis"]))
        if c.get("props", {}).get("id") == "scenario-statistics"
    ]
    rows = [
        [cell["props"]["children"] for cell in row["props"]["children"]]
        for row in _components(table)
        if row.get("type") == "Tr"
    ]
    assert rows[0] == ["dataset", "statistic", "base", "gas-crisis"]
    by_name = {row[1]: row[2:] for row in rows[1:]}
    gas = [
        format_cell(
            float(
                pd.read_parquet(suite / n / "parquet" / "system.parquet")[
                    "gas_price_usd_per_mmbtu"
                ].mean()
            )
        )
        for n in ("base", "gas-crisis")
    ]
    assert by_name["mean gas price [$/MMBtu]"] == gas


def test_a_dataset_keeps_its_colour_whichever_are_chosen(suite):
    client = create_app(suite, validate=False, prewarm=False).server.test_client()
    both = _graphs(_figures(client, ["base", "gas-crisis"]))["scenario-rt-duration"]["data"]
    alone = _graphs(_figures(client, ["gas-crisis"]))["scenario-rt-duration"]["data"]
    assert [t["name"] for t in alone] == ["gas-crisis"]
    assert alone[0]["line"]["color"] == both[1]["line"]["color"] != both[0]["line"]["color"]
    # One day only: a day's peak per dataset.
    graphs = _graphs(_figures(client, ["base", "gas-crisis"], "2023-08-02", "2023-08-02"))
    assert [len(_values(t["y"])) for t in graphs["scenario-net-load-peaks"]["data"]] == [1, 1]
    children = _figures(client, [])
    assert children["props"]["children"] == "Choose one or more datasets to compare."


def test_compare_without_dispatch_says_so_and_labels_by_scenario(suite, tmp_path):
    plain = {}
    for name in ("base", "gas-crisis"):
        plain[name] = tmp_path / name / "data"
        shutil.copytree(suite / name, plain[name], ignore=shutil.ignore_patterns("dispatch"))
    client = create_app(
        plain["base"], compare=(plain["gas-crisis"],), validate=False, prewarm=False
    ).server.test_client()
    assert "scenarios" in _tab_ids(client)
    # Both folders are named data and record no scenario: the labels tell them apart.
    _, status = _render(client, "scenarios")
    assert status == "Scenarios: comparing data, data (2)"
    revenue = _graphs(_figures(client, ["data", "data (2)"]))["scenario-revenue"]
    assert revenue["data"] == []
    assert "No dataset chosen has dispatch results" in revenue["layout"]["annotations"][0]["text"]

    # A manifest that records its scenario is labelled by it.
    manifest = plain["gas-crisis"] / "datapackage.json"
    recorded = json.loads(manifest.read_text())
    recorded["vppsim"]["config"]["scenario"]["name"] = "gas-crisis"
    manifest.write_text(json.dumps(recorded))
    client = create_app(
        plain["base"], compare=(plain["gas-crisis"],), validate=False, prewarm=False
    ).server.test_client()
    _, status = _render(client, "scenarios")
    assert status == "Scenarios: comparing base, gas-crisis"


def test_cli_dashboard_rejects_a_compared_folder_that_is_not_a_dataset(suite, tmp_path):
    result = CliRunner().invoke(
        cli, ["dashboard", str(suite / "base"), "--compare", str(tmp_path), "--port", "8761"]
    )
    assert result.exit_code == 2
    assert "is not a vppsim dataset" in result.output and str(tmp_path.name) in result.output
    assert "Traceback" not in result.output and len(result.output.strip().splitlines()) == 1
    broken = tmp_path / "suite"
    broken.mkdir()
    (broken / SUITE_FILE).write_text("{")
    result = CliRunner().invoke(cli, ["dashboard", str(broken), "--port", "8761"])
    assert result.exit_code == 2
    assert "is not a vppsim scenario suite" in result.output


def test_scenarios_tab_in_chromium(suite):
    """The tab's figures are drawn when it opens (the callback of components it inserts)."""
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed (/usr/bin/chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    problems: list[str] = []
    with serve(str(suite)) as url, sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.on("pageerror", lambda error: problems.append(str(error)))
        page.goto(url)
        page.click("#tab-scenarios")
        for graph_id in (
            "scenario-rt-duration",
            "scenario-da-duration",
            "scenario-net-load-peaks",
            "scenario-temperature",
            "scenario-revenue",
        ):
            _rendered(page, graph_id)
            assert [t["name"] for t in _traces(page, graph_id)] == ["base", "gas-crisis"]
        # Leaving a dataset out redraws without it; the choice outlives a visit elsewhere.
        page.click("#scenario-datasets")
        page.get_by_role("option", name="gas-crisis").click()
        page.keyboard.press("Escape")
        only_base = """() => { const d = document.querySelector(
            '#scenario-rt-duration .js-plotly-plot');
            return d && d.data.map(t => t.name).join() === 'base'; }"""
        page.wait_for_function(only_base, timeout=30_000)
        page.click("#tab-market")
        _rendered(page, "market-prices")
        page.click("#tab-scenarios")
        _rendered(page, "scenario-revenue")
        page.wait_for_function(only_base, timeout=30_000)
        assert [t["name"] for t in _traces(page, "scenario-revenue")] == ["base"]
        browser.close()
    assert problems == []
