"""The dashboard without a browser: figure builders, the callbacks through Flask, the CLI."""

from __future__ import annotations

import base64

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from vppsim.cli import app as cli
from vppsim.dataset.build import build_dataset
from vppsim.errors import VppsimError
from vppsim.registry import default_registry
from vppsim.viz import figures
from vppsim.viz.dashboard.app import create_app, parse_home_ids

RENDER_OUTPUTS = [
    {"id": "tab-content", "property": "children"},
    {"id": "status", "property": "children"},
]


@pytest.fixture
def dataset(small_settings):
    # The shipped sources offline (`vppsim build --offline`): synthetic system and market.
    settings = small_settings(
        end="2023-08-03", homes=8, system_source="synthetic", market_source="synthetic"
    )
    build_dataset(settings, default_registry())
    return settings.out


def _render(
    client,
    tab,
    start="2023-08-01",
    end="2023-08-03",
    ids="0, 1",
    home_filter="all",
    price="lmp",
    aggregation="hourly",
    strategy=None,
    variable=None,
    run="day-ahead",
    issue=None,
):
    values = {
        ("tabs", "value"): tab,
        ("dates", "start_date"): start,
        ("dates", "end_date"): end,
        ("aggregation", "value"): aggregation,
        ("price", "value"): price,
        ("home-filter", "value"): home_filter,
        ("home-ids", "value"): ids,
        ("pv-share", "value"): 0.5,
        ("strategy", "value"): strategy,
        ("forecast-variable", "value"): variable,
        ("forecast-run", "value"): run,
        ("forecast-issue", "value"): issue,
    }
    body = {
        "output": "..tab-content.children...status.children..",
        "outputs": RENDER_OUTPUTS,
        "inputs": [{"id": i, "property": p, "value": v} for (i, p), v in values.items()],
        "changedPropIds": ["tabs.value"],
    }
    answer = client.post("/_dash-update-component", json=body)
    assert answer.status_code == 200, answer.data[:500]
    response = answer.get_json()["response"]
    return response.get("tab-content", {}).get("children"), response["status"]["children"]


def _graphs(children) -> dict[str, dict]:
    """The figures of a tab's graphs, by graph id."""
    grid = children[0]["props"]["children"]
    return {graph["props"]["id"]: graph["props"]["figure"] for graph in grid}


def _components(node):
    """Every component of a serialised Dash tree, depth first."""
    if isinstance(node, dict):
        yield node
        for value in node.get("props", {}).values():
            yield from _components(value)
    elif isinstance(node, list):
        for item in node:
            yield from _components(item)


def _graph_ids(children) -> list[str]:
    return [c["props"]["id"] for c in _components(children) if c.get("type") == "Graph"]


def test_parse_home_ids():
    assert parse_home_ids("0, 5,17") == (0, 5, 17)
    assert parse_home_ids("3 3 4") == (3, 4)
    assert parse_home_ids("  ") == ()
    with pytest.raises(VppsimError, match="'4, x'"):
        parse_home_ids("4, x")
    with pytest.raises(VppsimError):
        parse_home_ids("-1")


def test_tabs_render_their_graphs(dataset):
    client = create_app(dataset, validate=False, prewarm=False).server.test_client()
    assert client.get("/").status_code == 200
    expected = {
        "market": ["market-prices", "market-band", "market-daytype", "market-histogram"],
        "system": ["system-series", "system-band", "system-supply"],
        "solar": ["solar-series", "solar-band", "solar-daily", "solar-cf"],
        "load": [
            "load-homes",
            "load-band",
            "load-daily-kwh",
            "load-peaks",
            "load-diversity",
            "load-temperature",
        ],
        "integrated": [
            "integrated-price-solar",
            "integrated-net",
            "integrated-peaks",
            "integrated-revenue",
        ],
    }
    for tab, graphs in expected.items():
        children, _ = _render(client, tab)
        assert _graph_ids(children) == graphs
    children, status = _render(client, "load", start="2023-08-02", end="2023-08-02", ids="6")
    homes = next(g for g in children[0]["props"]["children"] if g["props"]["id"] == "load-homes")[
        "props"
    ]["figure"]["data"]
    assert [t["name"] for t in homes] == ["home 6", "fleet mean per home"]
    assert len(homes[0]["x"]) == 24
    assert "8 homes selected" in status and "2023-08-02 to 2023-08-02" in status


def _values(array) -> np.ndarray:
    """A figure's array, whether sent as a list or as plotly's base64 typed array."""
    if isinstance(array, dict):
        return np.frombuffer(base64.b64decode(array["bdata"]), dtype=array["dtype"])
    return np.asarray(array)


def _tab_ids(client) -> list[str]:
    page = client.get("/_dash-layout").get_json()
    return [c["props"]["value"] for c in _components(page) if c.get("type") == "Tab"]


def test_system_tab_draws_the_drivers_with_units(dataset):
    client = create_app(dataset, validate=False, prewarm=False).server.test_client()
    assert _tab_ids(client)[:2] == ["market", "system"]
    children, status = _render(client, "system")
    graphs = _graphs(children)
    assert status.startswith("CAISO system, 2023-08-01 to 2023-08-03: net load peaks at ")

    series = graphs["system-series"]
    axis = {trace["name"]: trace.get("yaxis", "y") for trace in series["data"]}
    assert axis == {
        "demand": "y",
        "utility solar": "y",
        "wind": "y",
        "net load": "y",
        "gas price": "y2",
    }
    assert series["layout"]["yaxis"]["title"]["text"] == "power [MW]"
    assert series["layout"]["yaxis2"]["title"]["text"] == "gas price [$/MMBtu]"
    assert len(series["data"][0]["x"]) == 3 * 24  # hourly means of three days
    demand, solar, wind, net, gas = (_values(trace["y"]) for trace in series["data"])
    assert np.allclose(demand - solar - wind, net, atol=1.0)
    assert gas.min() > 1 and gas.max() < 30  # $/MMBtu, not $/MWh

    band = graphs["system-band"]
    assert band["layout"]["yaxis"]["title"]["text"] == "net load [MW]"
    assert [t["name"] for t in band["data"][1:]] == ["p10-p90", "median"]
    assert list(_values(band["data"][2]["x"])) == list(range(24))

    supply = graphs["system-supply"]
    assert supply["layout"]["xaxis"]["title"]["text"] == "net load [MW]"
    assert supply["layout"]["yaxis"]["title"]["text"] == "LMP [$/MWh]"
    (points,) = supply["data"]
    assert len(_values(points["x"])) == 3 * 24
    assert set(_values(points["marker"]["color"])) == set(range(24))

    # Daily means: one point a day on the series; the band and the scatter stay hourly.
    children = _render(client, "system", aggregation="daily")[0]
    graphs = _graphs(children)
    assert len(graphs["system-series"]["data"][0]["x"]) == 3
    assert len(_values(graphs["system-supply"]["data"][0]["x"])) == 3 * 24
    children = _render(client, "system", start="2023-08-02", end="2023-08-02")[0]
    assert len(_graphs(children)["system-series"]["data"][0]["x"]) == 24


def test_a_dataset_without_system_data_has_no_system_tab(dataset):
    # As a dataset built before the system dataset existed: the other tabs still work.
    for name in ("parquet/system.parquet", "system_data.csv"):
        (dataset / name).unlink(missing_ok=True)
    client = create_app(dataset, validate=False, prewarm=True).server.test_client()
    assert client.get("/").status_code == 200
    assert "system" not in _tab_ids(client)
    children, _ = _render(client, "market")
    assert _graph_ids(children)[0] == "market-prices"
    children, status = _render(client, "system")
    assert status == "This dataset has no system data."
    assert _graph_ids(children) == []


def test_bad_controls_give_messages(dataset):
    client = create_app(dataset, validate=False, prewarm=False).server.test_client()
    _, status = _render(client, "load", ids="1, two")
    assert "whole numbers" in status
    _, status = _render(client, "market", start="2023-08-03", end="2023-08-01")
    assert status == "The period starts (2023-08-03) after it ends (2023-08-01)."


def test_missing_dataset_tab_says_so(small_settings):
    settings = small_settings(datasets=["weather", "market"])
    build_dataset(settings, default_registry())
    client = create_app(settings.out, validate=False, prewarm=False).server.test_client()
    children, status = _render(client, "load")
    assert status == "This dataset has no load data."
    assert _graph_ids(children) == []


def test_histogram_sends_bins_not_values():
    values = np.concatenate([np.linspace(0, 100, 5000), [300.0, 400.0]])
    figure = figures.histogram(values, "t", "price", bins=20, threshold=250)
    body, tail = figure.data
    assert len(body.x) + len(tail.x) == 20
    assert sum(body.y) + sum(tail.y) == len(values)
    assert tail.name == "above 250" and sum(tail.y) == 2


def test_profile_band_figure():
    band = pd.DataFrame(
        {"p10": np.arange(24.0), "p50": np.arange(24.0) + 1, "p90": np.arange(24.0) + 2},
        index=pd.RangeIndex(24, name="hour"),
    )
    figure = figures.profile_band(band, "UTC", "t", "kW")
    _upper, lower, median = figure.data
    assert list(median.y) == list(band["p50"]) and lower.fill == "tonexty"


def test_cli_dashboard_rejects_a_non_dataset(tmp_path):
    result = CliRunner().invoke(cli, ["dashboard", str(tmp_path)])
    assert result.exit_code == 2
    assert "is not a vppsim dataset" in result.output
    assert "Traceback" not in result.output


def test_diversity_figure_draws_the_factor_on_its_own_axis():
    curve = pd.DataFrame(
        {
            "homes": [1, 2, 8],
            "peak_kw_per_home": [5.0, 4.0, 2.0],
            "coincidence_factor": [1.0, 0.8, 0.4],
            "groups": [8, 3, 1],
        }
    )
    peak, factor = figures.diversity_curve(curve).data
    assert list(peak.y) == [5.0, 4.0, 2.0] and peak.yaxis in (None, "y")
    assert list(factor.y) == [1.0, 0.8, 0.4] and factor.yaxis == "y2"


def test_capacity_prices_are_never_on_an_energy_price_axis(dataset):
    client = create_app(dataset, validate=False, prewarm=False).server.test_client()
    children, _ = _render(client, "market")
    prices = _graphs(children)["market-prices"]
    axis = {trace["name"]: trace.get("yaxis", "y") for trace in prices["data"]}
    assert axis.pop("LMP") == "y"
    assert axis.pop("Day-ahead LMP") == "y"  # an energy price too
    assert axis == dict.fromkeys(
        ["Spinning reserve", "Non-spinning reserve", "Regulation up", "Regulation down"], "y2"
    )
    layout = prices["layout"]
    assert layout["yaxis"]["title"]["text"] == "price [$/MWh]"
    assert layout["yaxis2"]["title"]["text"] == "capacity price [$/MW-h]"
    for price in ("spin_price", "nonspin_price", "regup_price", "regdown_price"):
        children, _ = _render(client, "market", price=price)
        graphs = _graphs(children)
        del graphs["market-prices"]  # checked above: both units, each on its own axis
        for graph_id, figure in graphs.items():
            titles = " ".join(figure["layout"][a]["title"]["text"] for a in ("xaxis", "yaxis"))
            assert "$/MW-h" in titles and "$/MWh" not in titles, (price, graph_id, titles)


def test_filters_without_homes_are_not_offered_and_say_so(dataset):
    app = create_app(dataset, validate=False, prewarm=False)
    client = app.server.test_client()
    layout = client.get("/_dash-layout").get_json()
    control = next(c for c in _components(layout) if c.get("props", {}).get("id") == "home-filter")
    found = [option["value"] for option in control["props"]["options"]]
    # The default study has no EVs (ev_share 0): "with an EV" would draw empty axes.
    assert "all" in found and "no_ev" in found and "ev" not in found
    for tab in ("load", "integrated"):
        children, status = _render(client, tab, home_filter="ev")
        assert status == "No homes match the filter “Homes with an EV” in this dataset."
        assert _graph_ids(children) == []


def test_unknown_home_ids_are_named(dataset):
    client = create_app(dataset, validate=False, prewarm=False).server.test_client()
    children, status = _render(client, "load", ids="1, 999, 123")
    assert status.startswith("No homes 999, 123 in this dataset (its homes are 0 to 7); ")
    homes = _graphs(children)["load-homes"]["data"]
    assert [t["name"] for t in homes] == ["home 1", "fleet mean per home"]
    _, status = _render(client, "load", ids="999")
    assert status.startswith("No home 999 in this dataset") and "showing homes none" in status
