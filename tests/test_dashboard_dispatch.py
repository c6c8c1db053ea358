"""The dashboard's Dispatch tab over ``DIR/dispatch/<strategy>/``: when it shows, what its
figures and KPI table carry, and the DuckDB queries behind them against pandas."""

from __future__ import annotations

import json
import os
import shutil
import threading
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from vppsim.config import load_settings
from vppsim.dataset.build import build_dataset
from vppsim.fleet.dispatch import STRATEGIES
from vppsim.fleet.run import HOME_COLUMNS, write_dispatch
from vppsim.registry import default_registry
from vppsim.viz.analysis import local_calendar
from vppsim.viz.dashboard.app import _kpi, create_app
from vppsim.viz.dashboard.views import DashboardViews
from vppsim.viz.queries import DatasetQueries

from .test_dashboard import _components, _render, _tab_ids, _values

HOURS = 3 * 24
"""Hourly buckets of the three-day study."""
POWERS = tuple(c for c in HOME_COLUMNS if c not in ("meter_kw", "indoor_temp_c"))
"""The powers (and SOC) of a home's schedule, as ``vppsim dispatch`` writes them."""
BATTERY = {
    "has_battery": True,
    "battery_energy_kwh": 13.5,
    "battery_charge_kw": 5.0,
    "battery_discharge_kw": 5.0,
    "battery_charge_efficiency": 0.95,
    "battery_discharge_efficiency": 0.95,
    "battery_min_soc": 0.0,
    "battery_backup_reserve": 0.2,
    "battery_standby_loss_per_h": 0.0,
    "battery_throughput_cost_usd_per_kwh": 0.02,
}
"""A Powerwall-like battery given to the even homes (the odd ones have none), so several
homes have one to dispatch."""


def give_batteries(root: Path) -> None:
    """Enroll every home of the dataset in ``root`` and give the even ones :data:`BATTERY`
    (the odd ones none), in its ``assets`` table."""
    path = root / "parquet" / "assets.parquet"
    assets = pd.read_parquet(path).assign(enrolled=True)
    even = assets["home_id"] % 2 == 0
    for column, value in BATTERY.items():
        assets.loc[even, column] = value
    assets.loc[~even, "has_battery"] = False
    assets.to_parquet(path, index=False)


def dispatch(root: Path, strategy: str) -> None:
    """Write ``root/dispatch/<strategy>/`` as ``vppsim dispatch`` does."""
    write_dispatch(root, strategy)


def offline_build(root: Path, homes: int, **overrides) -> Path:
    """Build three days of ``homes`` homes into ``root`` from the shipped sources offline
    (``overrides``: further settings)."""
    with pytest.MonkeyPatch.context() as patch:
        # As the autouse isolated_environment fixture, which runs after module fixtures.
        for name in [n for n in os.environ if n.startswith("VPPSIM_")]:
            patch.delenv(name)
        settings = load_settings(
            {
                "start": "2023-08-01",
                "end": "2023-08-03",
                "homes": homes,
                "chunk_homes": 4,
                "out": root,
                "system_source": "synthetic",
                "market_source": "synthetic",
                **overrides,
            },
            env_file=None,
        )
        build_dataset(settings, default_registry())
    return root


@pytest.fixture(scope="module")
def plain(tmp_path_factory) -> Path:
    """A three-day, eight-home build without dispatch output (read-only: copy to change)."""
    return offline_build(tmp_path_factory.mktemp("plain") / "data", 8)


@pytest.fixture(scope="module")
def dispatched(plain, tmp_path_factory) -> tuple[Path, dict[str, dict]]:
    """``plain`` with the three strategies dispatched; returns the folder and the summaries."""
    root = tmp_path_factory.mktemp("dispatched") / "data"
    shutil.copytree(plain, root)
    give_batteries(root)
    summaries = {}
    for strategy in STRATEGIES:
        dispatch(root, strategy)
        summaries[strategy] = json.loads(
            (root / "dispatch" / strategy / "summary.json").read_text()
        )
    return root, summaries


def _graphs(children) -> dict[str, dict]:
    return {
        c["props"]["id"]: c["props"]["figure"]
        for c in _components(children)
        if c.get("type") == "Graph"
    }


def _axes(figure: dict) -> dict[str, str]:
    return {trace["name"]: trace.get("yaxis", "y") for trace in figure["data"]}


def _title(figure: dict, axis: str) -> str:
    return figure["layout"][axis]["title"]["text"]


def _trace(figure: dict, name: str) -> np.ndarray:
    (trace,) = [t for t in figure["data"] if t.get("name") == name]
    return _values(trace["y"]).astype(float)


def _strategy_options(client) -> tuple[list[str], dict]:
    page = client.get("/_dash-layout").get_json()
    control = next(c for c in _components(page) if c.get("props", {}).get("id") == "strategy")
    return [o["value"] for o in control["props"]["options"]], control


def test_the_tab_shows_only_with_dispatch_output(plain, dispatched, tmp_path):
    client = create_app(plain, validate=False, prewarm=False).server.test_client()
    assert "dispatch" not in _tab_ids(client)
    assert _strategy_options(client)[0] == []
    children, status = _render(client, "dispatch", strategy=None)
    assert status == "This dataset has no dispatch data."
    assert _graphs(children) == {}

    # A dispatch still being written (the command's staging folder) or one with a file
    # missing is not a strategy.
    root = tmp_path / "partial"
    shutil.copytree(plain, root)
    for name in (".lp.partial-123", "rule"):
        (root / "dispatch" / name / "homes").mkdir(parents=True)
        (root / "dispatch" / name / "summary.json").write_text("{}")
    shutil.copy(dispatched[0] / "dispatch/lp/fleet.parquet", root / "dispatch/rule")
    shutil.copy(dispatched[0] / "dispatch/lp/kpis.parquet", root / "dispatch/.lp.partial-123")
    assert DatasetQueries(root).strategies == []
    assert "dispatch" not in _tab_ids(create_app(root, validate=False).server.test_client())

    client = create_app(dispatched[0], validate=False, prewarm=False).server.test_client()
    assert _tab_ids(client)[-3:] == ["dispatch", "forecasts", "quality"]
    options, control = _strategy_options(client)
    assert options == ["none", "rule", "lp"] and control["props"]["value"] == "none"
    children, _ = _render(client, "market", strategy="lp")
    assert "market-prices" in _graphs(children)


def test_prewarm_computes_the_first_strategy(dispatched):
    views = DashboardViews(DatasetQueries(dispatched[0]))
    views.prewarm((0, 1), "lmp")
    # The thread may be done already; joining any other test's is harmless.
    for thread in threading.enumerate():
        if thread.name == "vppsim-prewarm":
            thread.join()
    misses = DashboardViews.dispatch.cache_info().misses
    view = views.dispatch("none", (0, 1), views.q.first_day, views.q.last_day, "hourly")
    assert view["summary"]["strategy"] == "none"
    assert DashboardViews.dispatch.cache_info().misses == misses  # answered from memory


def test_schedules_carry_their_series_and_units(dispatched):
    root, summaries = dispatched
    client = create_app(root, validate=False, prewarm=False).server.test_client()
    children, status = _render(client, "dispatch", strategy="lp", ids="")
    graphs = _graphs(children)
    assert list(graphs) == [
        "dispatch-schedule",
        "dispatch-soc",
        "dispatch-awards",
        "dispatch-homes",
        "dispatch-revenue",
        "dispatch-comfort",
    ]
    net = summaries["lp"]["kpis"]["net revenue"]
    assert status == (
        f"Dispatch lp: 8 homes, net revenue ${net:,.2f} over the dispatch; "
        "showing 2023-08-01 to 2023-08-03"
    )

    schedule = graphs["dispatch-schedule"]
    assert _axes(schedule) == {
        **dict.fromkeys(
            [
                "grid import",
                "grid export",
                "battery charge",
                "battery discharge",
                "PV",
                "PV curtailed",
                "EV charging",
                "air conditioning",
            ],
            "y",
        ),
        "real-time LMP": "y2",
    }
    assert _title(schedule, "yaxis") == "power [kW]"
    assert _title(schedule, "yaxis2") == "LMP [$/MWh]"
    assert {len(trace["x"]) for trace in schedule["data"]} == {HOURS}
    queries = DatasetQueries(root)
    market = queries.table("market", aggregation="hourly")
    assert np.allclose(_trace(schedule, "real-time LMP"), market["lmp"])
    fleet = pd.read_parquet(root / "dispatch/lp/fleet.parquet")
    net_import = _trace(schedule, "grid import") - _trace(schedule, "grid export")
    hourly_meter = fleet["meter_kw"].to_numpy().reshape(HOURS, 4).mean(axis=1)
    assert np.allclose(net_import, hourly_meter, atol=1e-4)
    # PV is the dataset's rooftop PV of the homes: its energy is the pv dataset's.
    pv = pd.read_parquet(root / "parquet/pv")["pv_kw"].sum() / 4
    assert _trace(schedule, "PV").sum() == pytest.approx(pv, rel=1e-5)
    assert _trace(schedule, "PV").max() > 0

    soc = graphs["dispatch-soc"]
    assert _axes(soc) == {"fleet state of charge": "y", "real-time LMP": "y2"}
    assert _title(soc, "yaxis") == "state of charge [kWh]"
    assert _trace(soc, "fleet state of charge").max() > 0  # the even homes' batteries

    awards = graphs["dispatch-awards"]
    assert set(_axes(awards).values()) == {"y"} and _title(awards, "yaxis") == "award [kW]"
    assert [t["name"] for t in awards["data"]] == [
        "regulation up",
        "regulation down",
        "spinning reserve",
        "non-spinning reserve",
    ]
    # lp bids AS capacity (that is its AS revenue); none never does.
    assert summaries["lp"]["kpis"]["as revenue"] > 0
    assert sum(_trace(awards, name).sum() for name in _axes(awards)) > 0
    children, _ = _render(client, "dispatch", strategy="none", ids="")
    awards = _graphs(children)["dispatch-awards"]
    assert sum(_trace(awards, name).sum() for name in _axes(awards)) == 0

    homes = graphs["dispatch-homes"]
    assert _axes(homes) == {
        "home 0 meter": "y",
        "home 1 meter": "y",
        "home 2 meter": "y",
        "home 0 state of charge": "y2",
        "home 1 state of charge": "y2",
        "home 2 state of charge": "y2",
    }
    assert _title(homes, "yaxis") == "meter, import + / export - [kW]"
    assert _title(homes, "yaxis2") == "state of charge [kWh]"
    assert _trace(homes, "home 1 state of charge").max() == 0  # odd homes have no battery

    revenue = graphs["dispatch-revenue"]
    assert revenue["layout"]["xaxis"]["title"]["text"] == "net revenue [$ per home]"
    assert _title(revenue, "yaxis") == "count"
    assert sum(_values(t["y"]).sum() for t in revenue["data"]) == 8  # one count per home
    per_home = pd.read_parquet(root / "dispatch/lp/kpis.parquet")["net_revenue_usd"]
    assert per_home.sum() == pytest.approx(net)


def test_kpi_table_compares_the_strategies_with_the_numbers_of_summary_json(dispatched):
    root, summaries = dispatched
    client = create_app(root, validate=False, prewarm=False).server.test_client()
    children, _ = _render(client, "dispatch", strategy="rule")
    (table,) = [c for c in _components(children) if c.get("props", {}).get("id") == "dispatch-kpis"]
    cells = [
        [cell["props"]["children"] for cell in row["props"]["children"]]
        for row in _components(table)
        if row.get("type") == "Tr"
    ]
    header, rows = cells[0], {row[0]: row[1:] for row in cells[1:]}
    assert header == ["KPI", "unit", "none", "rule", "lp"]
    keys = {
        "Net revenue": ("net revenue", "$"),
        "Energy revenue": ("energy revenue", "$"),
        "AS revenue": ("as revenue", "$"),
        "Degradation cost": ("degradation cost", "$"),
        "Equivalent full cycles, sum over homes": ("equivalent full cycles", "cycles"),
        "Fleet peak import": ("fleet peak kw", "kW"),
        "Peak reduction against none": ("peak reduction kw", "kW"),
        "Degree-hours outside the comfort band": ("comfort degree hours", "K·h"),
        "EV energy unmet": ("ev unmet kwh", "kWh"),
        "Violations": ("violations", "count"),
        "Homes with issues": ("homes with issues", "count"),
    }
    assert list(rows) == list(keys)
    for label, (key, unit) in keys.items():
        assert rows[label][0] == unit
        for strategy, cell in zip(STRATEGIES, rows[label][1:], strict=True):
            value = summaries[strategy]["kpis"][key]
            digits = 0 if unit == "count" else 2
            assert float(cell.replace(",", "")) == pytest.approx(round(value, digits)), label
    # The numbers differ between strategies: lp earns most, none never cycles.
    net = {
        s: float(c.replace(",", ""))
        for s, c in zip(STRATEGIES, rows["Net revenue"][1:], strict=True)
    }
    assert net["lp"] >= max(net["none"], net["rule"])
    assert rows["Equivalent full cycles, sum over homes"][1] == "0.00"
    assert rows["Peak reduction against none"][1] == "0.00"


def _hourly_means(frame: pd.DataFrame, steps: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """pandas' answer: means per local hour (keyed by the UTC start of the hour)."""
    merged = frame.merge(steps[["timestamp", "hour_start"]], on="timestamp")
    keys = [c for c in ("home_id",) if c in frame] + ["hour_start"]
    means = merged.groupby(keys)[columns].mean().reset_index()
    return means.rename(columns={"hour_start": "timestamp"})


def test_dispatch_queries_aggregate_like_pandas(dispatched):
    root, summaries = dispatched
    queries = DatasetQueries(root)
    assert queries.strategies == ["none", "rule", "lp"] and "dispatch" in queries.datasets
    steps = local_calendar(queries.table("market")["timestamp"], queries.timezone)
    homes = pd.read_parquet(root / "dispatch/lp/homes")
    homes["timestamp"] = homes["timestamp"].astype("datetime64[ns, UTC]")
    assert homes["home_id"].nunique() == 8

    # The fleet: sums over homes, then means per local hour, on one day.
    day = steps[steps["day"] == pd.Timestamp("2023-08-02").date()]
    homes_day = homes[homes["timestamp"].isin(day["timestamp"])]
    sums = homes_day.assign(
        import_kw=homes_day["meter_kw"].clip(lower=0), export_kw=(-homes_day["meter_kw"]).clip(0)
    )
    columns = ["meter_kw", "import_kw", "export_kw", *POWERS]
    expected = _hourly_means(sums.groupby("timestamp")[columns].sum().reset_index(), day, columns)
    pv = pd.read_parquet(root / "parquet/pv")
    pv["timestamp"] = pv["timestamp"].astype("datetime64[ns, UTC]")
    pv = pv[pv["timestamp"].isin(day["timestamp"])].groupby("timestamp")["pv_kw"].sum()
    expected = expected.merge(_hourly_means(pv.reset_index(), day, ["pv_kw"]), on="timestamp")
    got = queries.dispatch_fleet("lp", day["day"].iloc[0], day["day"].iloc[0], "hourly")
    assert len(got) == 24 and got["timestamp"].tolist() == expected["timestamp"].tolist()
    for column in [*columns, "pv_kw"]:
        assert np.allclose(got[column], expected[column], atol=1e-4), column
    fleet = pd.read_parquet(root / "dispatch/lp/fleet.parquet")
    fleet["timestamp"] = fleet["timestamp"].astype("datetime64[ns, UTC]")
    indoor = _hourly_means(fleet, day, ["indoor_temp_c"])["indoor_temp_c"]
    assert np.allclose(got["indoor_temp_c"], indoor, equal_nan=True)
    assert (got["import_kw"] >= got["meter_kw"].clip(lower=0) - 1e-4).all()

    # Daily means over the whole period, and 15-min values unchanged.
    daily = queries.dispatch_fleet("rule", aggregation="daily")
    rule = pd.read_parquet(root / "dispatch/rule/fleet.parquet")
    assert np.allclose(daily["soc_kwh"], rule["soc_kwh"].to_numpy().reshape(3, 96).mean(axis=1))
    fine = queries.dispatch_fleet("rule")
    assert len(fine) == 3 * 96 and np.allclose(fine["charge_kw"], rule["charge_kw"])

    # Individual homes, across the parts they are written in.
    got = queries.dispatch_homes("lp", [2, 5], aggregation="hourly")
    expected = _hourly_means(homes[homes["home_id"].isin([2, 5])], steps, ["meter_kw", "soc_kwh"])
    assert got["home_id"].tolist() == expected["home_id"].tolist()
    assert len(got) == 2 * HOURS
    for column in ("meter_kw", "soc_kwh"):
        assert np.allclose(got[column], expected[column], atol=1e-5), column

    kpis = queries.dispatch_kpis("lp")
    assert kpis["home_id"].tolist() == list(range(8))
    assert kpis["net_revenue_usd"].sum() == pytest.approx(summaries["lp"]["kpis"]["net revenue"])
    assert queries.dispatch_summary("none") == summaries["none"]


def test_homes_and_strategies_the_dispatch_lacks_are_named(dispatched):
    root, _ = dispatched
    client = create_app(root, validate=False, prewarm=False).server.test_client()
    children, status = _render(client, "dispatch", strategy="lp", ids="4, 99")
    assert status.startswith("No home 99 in this dataset (its homes are 0 to 7); Dispatch lp:")
    homes = _graphs(children)["dispatch-homes"]
    assert [t["name"] for t in homes["data"]] == ["home 4 meter", "home 4 state of charge"]
    assert {len(t["x"]) for t in homes["data"]} == {HOURS}
    children, status = _render(client, "dispatch", strategy="lp", ids="6", aggregation="daily")
    assert {len(t["x"]) for t in _graphs(children)["dispatch-homes"]["data"]} == {3}
    children, status = _render(client, "dispatch", strategy="lp", ids="99")
    assert status.startswith("No home 99 in this dataset") and "Dispatch lp: 8 homes" in status
    assert _graphs(children)["dispatch-homes"]["data"] == []
    _, status = _render(client, "dispatch", strategy="mpc")
    assert status == f"{root} has no dispatch of strategy 'mpc'; it has none, rule, lp"
    # No strategy chosen (a stale page): the first one written.
    _, status = _render(client, "dispatch", strategy=None)
    assert status.startswith("Dispatch none: 8 homes")


def test_kpi_cells():
    assert _kpi(1234.567, "$") == "1,234.57" and _kpi(-2.5, "$") == "-2.50"
    assert _kpi(-0.001, "kW") == "0.00"  # not "-0.00"
    assert _kpi(3.0, "count") == "3" and _kpi(float("nan"), "kW") == "n/a"


def test_indoor_temperature_is_drawn_when_the_dispatch_has_it(dispatched, tmp_path):
    root = tmp_path / "data"
    shutil.copytree(dispatched[0], root)
    path = root / "dispatch/lp/fleet.parquet"
    fleet = pd.read_parquet(path)
    fleet["indoor_temp_c"] = np.nan
    fleet.to_parquet(path, index=False)
    client = create_app(root, validate=False, prewarm=False).server.test_client()
    children, _ = _render(client, "dispatch", strategy="lp")
    (note,) = _graphs(children)["dispatch-comfort"]["layout"]["annotations"]
    assert note["text"] == "No home with air conditioning in this dispatch"

    fleet["indoor_temp_c"] = 24.0 + np.sin(np.arange(len(fleet)) / 10.0)
    fleet.to_parquet(path, index=False)
    client = create_app(root, validate=False, prewarm=False).server.test_client()
    children, _ = _render(client, "dispatch", strategy="lp")
    comfort = _graphs(children)["dispatch-comfort"]
    assert _axes(comfort) == {
        "indoor temperature, mean over homes with AC": "y",
        "real-time LMP": "y2",
    }
    assert _title(comfort, "yaxis") == "temperature [°C]"
    hourly = fleet["indoor_temp_c"].to_numpy().reshape(HOURS, 4).mean(axis=1)
    assert np.allclose(_trace(comfort, "indoor temperature, mean over homes with AC"), hourly)


def test_a_dispatch_without_the_summed_imports_is_scanned_to_the_same_answer(dispatched, tmp_path):
    # fleet.parquet holds the imports, exports and PV summed by the dispatch; an output
    # written before they were (here: the columns dropped) gets them from the homes' parts.
    root, _ = dispatched
    copy = tmp_path / "copy"
    shutil.copytree(root, copy)
    fleet = copy / "dispatch/lp/fleet.parquet"
    pd.read_parquet(fleet).drop(columns=["import_kw", "export_kw", "pv_kw"]).to_parquet(fleet)
    summed = DatasetQueries(root).dispatch_fleet("lp", aggregation="hourly")
    scanned = DatasetQueries(copy).dispatch_fleet("lp", aggregation="hourly")
    assert summed.columns.tolist() == scanned.columns.tolist()
    assert "pv_kw" in summed and (summed["import_kw"] > 0).any()
    pd.testing.assert_frame_equal(summed, scanned, check_exact=False, rtol=1e-6, atol=1e-6)
