"""The dashboard's Forecasts tab over ``DIR/forecasts/``: when it shows, the fan of a run
against the forecast files read by pandas, and the scores, PIT histogram and reliability
diagram against ``forecast_report``."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from vppsim.forecast.report import forecast_report
from vppsim.viz.dashboard import views as views_module
from vppsim.viz.dashboard.app import create_app
from vppsim.viz.dashboard.views import DashboardViews
from vppsim.viz.queries import DatasetQueries

from .test_dashboard import _components, _render, _tab_ids, _values
from .test_dashboard_dispatch import _graphs, _title, _trace, offline_build

TZ = "America/Los_Angeles"
FAN = [None, "p05-p95", None, "p10-p90", "median"]
"""The fan's traces: each band's unnamed upper edge, the band, and the median."""


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    """A three-day, four-home build of the shipped sources offline, forecasts included (the
    test sources' homes table lacks the attributes the page's home filter counts)."""
    return offline_build(tmp_path_factory.mktemp("forecasts") / "data", 4)


@pytest.fixture(scope="module")
def client(built):
    return create_app(built, validate=False, prewarm=False).server.test_client()


@pytest.fixture(scope="module")
def report(built):
    return forecast_report(built)


def _quantiles(root: Path, table: str, variable: str) -> pd.DataFrame:
    frame = pd.read_parquet(root / "forecasts" / f"{table}.parquet")
    frame = frame[frame["variable"] == variable]
    return frame.assign(lead_h=(frame["timestamp"] - frame["issued_at"]).dt.total_seconds() / 3600)


def _local(times) -> pd.DatetimeIndex:
    """UTC instants as the naive local wall clock the figures draw."""
    return pd.DatetimeIndex(times).tz_convert(TZ).tz_localize(None).as_unit("ns").rename(None)


def _x(trace: dict) -> pd.DatetimeIndex:
    return pd.DatetimeIndex(pd.to_datetime(np.asarray(trace["x"])))


def _issues(client, variable, start="2023-08-02", end="2023-08-02", issue=None):
    body = {
        "output": "..forecast-issue.options...forecast-issue.value..",
        "outputs": [
            {"id": "forecast-issue", "property": "options"},
            {"id": "forecast-issue", "property": "value"},
        ],
        "inputs": [
            {"id": "dates", "property": "start_date", "value": start},
            {"id": "dates", "property": "end_date", "value": end},
            {"id": "forecast-variable", "property": "value", "value": variable},
        ],
        "state": [{"id": "forecast-issue", "property": "value", "value": issue}],
        "changedPropIds": ["forecast-variable.value"],
    }
    answer = client.post("/_dash-update-component", json=body)
    assert answer.status_code == 200, answer.data[:500]
    response = answer.get_json()["response"]["forecast-issue"]
    return response["options"], response["value"]


def test_the_tab_shows_only_with_forecasts(built, client, tmp_path):
    assert "forecasts" in _tab_ids(client)
    root = tmp_path / "data"
    shutil.copytree(built, root, ignore=shutil.ignore_patterns("forecasts"))
    bare = create_app(root, validate=False, prewarm=False).server.test_client()
    assert "forecasts" not in _tab_ids(bare)
    page = bare.get("/_dash-layout").get_json()
    variable = next(
        c for c in _components(page) if c.get("props", {}).get("id") == "forecast-variable"
    )
    assert variable["props"]["options"] == []
    children, status = _render(bare, "forecasts")
    assert status == "This dataset has no forecasts data."
    assert _graphs(children) == {}
    assert _issues(bare, None) == ([], None)


def test_csv_only_forecasts_read_the_same(built, tmp_path):
    root = tmp_path / "data"
    shutil.copytree(built, root)
    for path in (root / "forecasts").glob("*_forecasts.parquet"):
        path.unlink()
    parquet, csv = DatasetQueries(built), DatasetQueries(root)
    assert csv.forecast_variables == parquet.forecast_variables
    for variable in ("lmp", "fleet_load_kw"):
        a = parquet.forecast_quantiles(variable, min_lead_h=8)
        b = csv.forecast_quantiles(variable, min_lead_h=8)
        pd.testing.assert_frame_equal(a, b, atol=1e-3, check_dtype=False)


def test_day_ahead_fan_is_each_intervals_day_ahead_forecast(built, client, report):
    children, status = _render(client, "forecasts", start="2023-08-02", variable="lmp")
    graphs = _graphs(children)
    assert list(graphs) == ["forecast-fan", "forecast-reliability", "forecast-pit"]
    fan = graphs["forecast-fan"]
    assert [t.get("name") for t in fan["data"]] == [*FAN, "outcome"]
    assert _title(fan, "yaxis") == "lmp [$/MWh]"
    assert _title(fan, "xaxis") == f"local time ({TZ})"
    expected = _quantiles(built, "price_forecasts", "lmp")
    expected = expected[expected["lead_h"] >= 8].sort_values("timestamp")
    local_day = expected["timestamp"].dt.tz_convert(TZ).dt.date.astype(str)
    expected = expected[local_day.isin(["2023-08-02", "2023-08-03"])]
    # One day-ahead forecast per interval of the two days, drawn at its local time.
    assert len(expected) == 2 * 96 == expected["timestamp"].nunique()
    (median,) = [t for t in fan["data"] if t.get("name") == "median"]
    pd.testing.assert_index_equal(_x(median), _local(expected["timestamp"]))
    np.testing.assert_allclose(_trace(fan, "median"), expected["q50"], rtol=1e-6)
    np.testing.assert_allclose(_trace(fan, "p05-p95"), expected["q05"], rtol=1e-6)
    np.testing.assert_allclose(_values(fan["data"][0]["y"]), expected["q95"], rtol=1e-6)
    market = pd.read_parquet(built / "parquet" / "market.parquet")
    market = market[market["timestamp"].isin(expected["timestamp"])]
    np.testing.assert_allclose(_trace(fan, "outcome"), market["lmp"], rtol=1e-6)
    assert status.startswith("lmp, day-ahead: fan over 2023-08-02 to 2023-08-03; over the whole")
    scores = report.scores.set_index(["variable", "lead"])
    assert f"CRPS {scores.loc[('lmp', 'day-ahead'), 'crps']:.4g} $/MWh" in status


def test_intraday_fan_is_one_run_with_the_history_before_it(built, client):
    options, value = _issues(client, "fleet_load_kw")
    frame = _quantiles(built, "load_forecasts", "fleet_load_kw")
    runs = frame.groupby("issued_at")["lead_h"].max()
    runs = runs[(runs < 8) & (runs.index.tz_convert(TZ).date == pd.Timestamp("2023-08-02").date())]
    assert [pd.Timestamp(o["value"]) for o in options] == list(runs.index)
    assert value == options[0]["value"]
    assert options[0]["label"] == "2023-08-02 00:00 PDT"
    # The issue chosen stays while the period offers it; else the first is taken.
    assert _issues(client, "fleet_load_kw", issue=options[5]["value"])[1] == options[5]["value"]
    assert _issues(client, "fleet_load_kw", end="2023-08-03", issue="2023-08-01T07:00:00+00:00")[
        1
    ] == (value)
    issue = pd.Timestamp(options[5]["value"])
    children, status = _render(
        client, "forecasts", variable="fleet_load_kw", run="intraday 0-2 h", issue=issue.isoformat()
    )
    fan = _graphs(children)["forecast-fan"]
    assert [t.get("name") for t in fan["data"]] == [*FAN, "observed before the issue", "outcome"]
    assert _title(fan, "yaxis") == "fleet_load_kw [kW]"
    assert fan["layout"]["title"]["text"].endswith("intraday run issued 2023-08-02 05:00 PDT")
    run = frame[frame["issued_at"] == issue].sort_values("timestamp")
    np.testing.assert_allclose(_trace(fan, "median"), run["q50"], rtol=1e-6)
    load = pd.read_parquet(built / "parquet" / "load")
    fleet = load.groupby("timestamp")["load_kw"].sum()
    np.testing.assert_allclose(_trace(fan, "outcome"), fleet[run["timestamp"]], rtol=1e-5)
    (history,) = [t for t in fan["data"] if t.get("name") == "observed before the issue"]
    before = fleet[(fleet.index < issue) & (fleet.index >= issue - pd.Timedelta(hours=24))]
    pd.testing.assert_index_equal(_x(history), _local(before.index))
    np.testing.assert_allclose(_values(history["y"]), before, rtol=1e-5)
    # The line where the run was issued.
    (shape,) = fan["layout"]["shapes"]
    assert pd.Timestamp(shape["x0"]) == _local([issue])[0]
    assert status.startswith("fleet_load_kw, intraday 0-2 h")


def test_a_day_ahead_only_variable_has_no_intraday_fan(client):
    children, _ = _render(client, "forecasts", variable="da_lmp", run="intraday 0-2 h")
    fan = _graphs(children)["forecast-fan"]
    assert fan["data"] == []
    assert (
        fan["layout"]["annotations"][0]["text"]
        == "da_lmp has the day-ahead run only in this period"
    )
    assert _graphs(children)["forecast-pit"]["layout"]["annotations"][0]["text"] == (
        "No intraday 0-2 h forecasts of da_lmp were scored"
    )


def test_scores_pit_and_reliability_are_the_reports(client, report):
    children, _ = _render(client, "forecasts", variable="net_load_mw", run="intraday 2-4 h")
    graphs = _graphs(children)
    reliability, pit = graphs["forecast-reliability"], graphs["forecast-pit"]
    expected = report.reliability[
        (report.reliability["variable"] == "net_load_mw")
        & (report.reliability["lead"] == "intraday 2-4 h")
    ]
    np.testing.assert_allclose(_trace(reliability, "forecasts"), expected["observed"])
    np.testing.assert_allclose(_trace(reliability, "calibrated"), [0, 1])
    assert _title(reliability, "xaxis") == "quantile level [1]"
    assert _title(reliability, "yaxis") == "observed frequency [1]"
    bins = report.pit[
        (report.pit["variable"] == "net_load_mw") & (report.pit["lead"] == "intraday 2-4 h")
    ]
    (bars,) = [t for t in pit["data"] if t["name"] == "forecasts"]
    widths = _values(bars["width"]).astype(float)
    # Densities: the bars' areas are the report's shares, which sum to one.
    np.testing.assert_allclose(_values(bars["y"]) * widths, bins["share"], rtol=1e-9)
    assert np.isclose((_values(bars["y"]) * widths).sum(), 1.0)
    assert _title(pit, "xaxis") == "probability integral transform [1]"
    (table,) = [
        c for c in _components(children) if c.get("props", {}).get("id") == "forecast-scores"
    ]
    header = [c["props"]["children"] for c in _components(table) if c.get("type") == "Th"]
    assert header[:3] == ["lead", "forecasts [count]", "MAE of the median [MW]"]
    assert "coverage p10-p90 [1]" in header and "CRPS [MW]" in header
    rows = [
        [c["props"]["children"] for c in _components(row) if c.get("type") == "Td"]
        for row in _components(table)
        if row.get("type") == "Tr" and any(c.get("type") == "Td" for c in _components(row))
    ]
    scores = report.scores[report.scores["variable"] == "net_load_mw"]
    assert [r[0] for r in rows] == list(scores["lead"])
    crps = header.index("CRPS [MW]")
    assert [float(r[crps]) for r in rows] == pytest.approx(list(scores["crps"]), rel=1e-3)


def test_the_report_is_computed_once_per_folder(built, monkeypatch):
    calls = []

    def counted(folder):
        calls.append(folder)
        return forecast_report(folder)

    monkeypatch.setattr(views_module, "forecast_report", counted)
    views = DashboardViews(DatasetQueries(built))
    first = views.forecast_scores("lmp", "day-ahead")
    second = views.forecast_scores("solar_mw", "intraday 0-2 h")
    assert len(calls) == 1
    assert not first["scores"].empty and not second["pit"].empty
