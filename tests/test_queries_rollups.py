"""The fleet queries answered from the build's rollups give the figures of the scan of the
load parts (what a dataset without rollups still gets); past SAMPLE_HOMES homes the band and
the diversity groups come from the first homes, read from their parts alone."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from vppsim.dataset.rollups import HOME_FILTERS
from vppsim.viz import queries as queries_module
from vppsim.viz.queries import DatasetQueries, HomeSelection

PERIODS = [(None, None), (date(2023, 8, 2), date(2023, 8, 3))]


@pytest.fixture(scope="module")
def dataset(rolled_up):
    return rolled_up


@pytest.fixture(scope="module")
def both(dataset):
    """The dataset through its rollups, and through the scan alone (as an older dataset)."""
    rolled, scanned = DatasetQueries(dataset), DatasetQueries(dataset)
    scanned.rolled_up = {}
    return rolled, scanned


def _same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(a, b, check_dtype=True, rtol=1e-12, atol=1e-9)


def test_the_rollups_are_found_with_every_filter_and_its_homes(both, dataset):
    rolled, scanned = both
    assert list(rolled.rolled_up) == list(HOME_FILTERS)
    assert rolled.rolled_up["all"] == 23
    assert rolled.filter_counts() == scanned.filter_counts()
    for key in HOME_FILTERS:
        assert rolled.home_count(HomeSelection(key)) == scanned.home_count(HomeSelection(key))


@pytest.mark.parametrize("key", list(HOME_FILTERS))
@pytest.mark.parametrize(("start", "end"), PERIODS)
def test_fleet_figures_from_the_rollups_are_those_of_the_scan(both, key, start, end):
    rolled, scanned = both
    selection = HomeSelection(key)
    a, b = rolled.fleet_summary(selection, start, end), scanned.fleet_summary(selection, start, end)
    _same(a.fleet, b.fleet)
    _same(a.stats, b.stats)
    _same(a.band, b.band)
    _same(
        rolled.fleet_load(selection, start, end, "hourly"),
        scanned.fleet_load(selection, start, end, "hourly"),
    )
    pv_a, pv_b = rolled.fleet_pv(selection, start, end), scanned.fleet_pv(selection, start, end)
    _same(pv_a.series, pv_b.series)
    assert (pv_a.homes, pv_a.kw_dc) == (pv_b.homes, pv_b.kw_dc)
    _same(
        rolled.diversity_curve(selection, start, end, draws=2, sampled_homes=10),
        scanned.diversity_curve(selection, start, end, draws=2, sampled_homes=10),
    )


def test_a_selection_of_ids_is_scanned(both):
    rolled, scanned = both
    selection = HomeSelection("all", ids=(1, 7, 22))
    assert not rolled._rolled(selection)
    stats = rolled.home_daily_stats(selection)
    assert stats["home_id"].tolist() == [1, 7, 22]
    _same(stats, scanned.home_daily_stats(selection))


def test_past_sample_homes_the_band_is_that_of_the_first_homes(both, monkeypatch):
    rolled, scanned = both
    monkeypatch.setattr(queries_module, "SAMPLE_HOMES", 7)
    band = rolled._rolled_band(HomeSelection("all"), date(2023, 8, 1), date(2023, 8, 3), (0.5,))
    first = scanned.profile_band(HomeSelection("all", ids=tuple(range(7))), quantiles=(0.5,))
    _same(band, first)
    # Homes 0-6 are in the first two parts of five homes: only those are read.
    assert rolled._load_of(range(7)).count("part-") == 2
    assert "part-00000" in rolled._load_of([0]) and "part-00004" in rolled._load_of([22])
    # The diversity groups are drawn among them; the own peaks and the whole fleet are exact.
    curve = rolled.diversity_curve(HomeSelection("all"), draws=2, sampled_homes=10)
    assert curve["homes"].tolist() == [1, 2, 5, 23]
    full = scanned.diversity_curve(HomeSelection("all"), draws=2, sampled_homes=10)
    _same(curve.iloc[[0, -1]].reset_index(drop=True), full.iloc[[0, -1]].reset_index(drop=True))


def test_a_dataset_without_rollups_is_scanned(rolled_up_without_rollups, both):
    q = DatasetQueries(rolled_up_without_rollups)
    assert q.rolled_up == {}
    _same(q.home_daily_stats(), both[0].home_daily_stats())


@pytest.mark.parametrize("variable", ["fleet_load_kw", "fleet_pv_kw"])
def test_the_fleet_outcomes_forecast_come_from_the_rollups(both, variable):
    rolled, scanned = both
    _same(rolled.forecast_outcome(variable), scanned.forecast_outcome(variable))
    period = (date(2023, 8, 2), date(2023, 8, 2))
    assert len(rolled.forecast_outcome(variable, *period)) == 96


@pytest.mark.parametrize("threshold", [0, 10**9])
def test_the_quality_tab_reads_a_large_fleets_parts_again_only_by_hash(
    dataset, monkeypatch, threshold
):
    from vppsim.viz.dashboard import views

    monkeypatch.setattr(views, "RECHECKED_ROWS", threshold)
    state = views.DashboardViews(DatasetQueries(dataset))
    state.start_validation()
    assert state.validation.done.wait(600)
    assert state.validation.report.ok, state.validation.report.failures
    # 5 parts each of load and PV: trusted past the threshold, read again below it.
    assert state.validation.parts_trusted == (10 if threshold == 0 else 0)
    names = [check.name for check in state.validation.report.checks]
    assert "files match manifest (sha256)" in names


def test_a_large_home_days_is_aggregated_by_duckdb_instead(dataset, both, monkeypatch):
    monkeypatch.setattr(queries_module, "HOME_DAYS_IN_MEMORY", 10)
    q = DatasetQueries(dataset)
    assert q._home_day_arrays() is None
    for key in ("all", "ac"):
        for start, end in PERIODS:
            selection = HomeSelection(key)
            _same(
                q.home_daily_stats(selection, start, end),
                both[1].home_daily_stats(selection, start, end),
            )


@pytest.mark.parametrize("key", ["all", "ac"])
def test_the_sample_in_memory_gives_the_figures_duckdb_does(dataset, both, key):
    in_duckdb = DatasetQueries(dataset)
    in_duckdb._sample_load = np.empty((0, 0), np.float32)  # as a dataset without parts
    assert in_duckdb._sample_matrix() is None and both[0]._sample_matrix() is not None
    selection = HomeSelection(key)
    for start, end in PERIODS:
        _same(
            in_duckdb.diversity_curve(selection, start, end, draws=2, sampled_homes=10),
            both[0].diversity_curve(selection, start, end, draws=2, sampled_homes=10),
        )
        _same(
            in_duckdb.profile_band(selection, start, end),
            both[0].profile_band(selection, start, end),
        )


def test_the_quality_tab_lists_a_folders_parts_on_one_row():
    from vppsim.viz.dashboard.views import resource_rows

    def part(index, rows):
        path = f"parquet/load/part-{index:05d}.parquet"
        return {"name": f"load-{index}", "path": path, "rows": rows, "dataset": "load"}

    table = {"name": "market", "path": "parquet/market.parquet", "rows": 96, "sha256": "ab" * 32}
    resources = [part(0, 10), table, part(1, 20), part(2, 5)]
    rows = resource_rows(resources)
    assert rows[0] == [
        "load (3 parts)",
        "parquet/load/part-*.parquet",
        35,
        "3 files, each hashed in datapackage.json",
    ]
    assert rows[1] == ["market", "parquet/market.parquet", 96, "sha256:abababababababab…"]
    assert len(rows) == 2
