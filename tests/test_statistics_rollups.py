"""The key statistics answered from the build's ``fleet`` rollup are those of the scan of
the per-home parts (what a dataset without rollups still gets), over any local days."""

from __future__ import annotations

import shutil
from datetime import date

import pandas as pd
import pytest

from vppsim.dataset.statistics import STATISTICS, key_statistics

DAYS = [None, [date(2023, 8, 2)], [date(2023, 8, 1), date(2023, 8, 3)], [date(2024, 1, 1)]]
"""All days; one; two apart; a day outside the study (no interval: NaN either way)."""


@pytest.mark.parametrize("days", DAYS)
def test_the_rollup_gives_the_statistics_of_the_scan(rolled_up, rolled_up_without_rollups, days):
    rolled = key_statistics(rolled_up, days)
    scanned = key_statistics(rolled_up_without_rollups, days)
    pd.testing.assert_frame_equal(rolled, scanned, check_exact=False, rtol=1e-9, atol=0)
    answered = {(s.dataset, s.name) for s in STATISTICS if s.rollup is not None}
    assert answered <= set(zip(rolled["dataset"], rolled["statistic"], strict=True))
    if days is None:
        assert rolled["value"].notna().all()


def test_the_fleet_figures_read_no_home_part(rolled_up, tmp_path):
    """Without their parts, the load and PV datasets' statistics (all in the rollup) are
    still there."""
    copy = tmp_path / "data"
    shutil.copytree(rolled_up, copy)
    shutil.rmtree(copy / "parquet" / "pv")
    shutil.rmtree(copy / "parquet" / "load")
    fleet = key_statistics(copy).query("dataset in ('load', 'pv')")
    expected = key_statistics(rolled_up).query("dataset in ('load', 'pv')")
    pd.testing.assert_frame_equal(fleet, expected)
    assert len(fleet) == 4 and "HVAC energy share" in set(fleet["statistic"])
