"""Charts and dashboard over the days clocks change: the autumn hour repeats, the spring one
is skipped (issue 10, defect 1: ``vppsim plots`` raised AmbiguousTimeError in November)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from vppsim.dataset.build import build_dataset
from vppsim.grid import build_grid
from vppsim.viz import figures
from vppsim.viz.analysis import local_calendar
from vppsim.viz.dashboard.app import _render
from vppsim.viz.dashboard.views import DashboardViews
from vppsim.viz.plots import write_plots
from vppsim.viz.queries import AGGREGATIONS, DatasetQueries, HomeSelection

from .sources import test_registry

TZ = "America/Los_Angeles"
# (first day, last day, the change day, its hours)
CHANGES = {
    "autumn": (date(2023, 11, 4), date(2023, 11, 6), date(2023, 11, 5), 25),
    "spring": (date(2023, 3, 11), date(2023, 3, 13), date(2023, 3, 12), 23),
}


@pytest.fixture(params=list(CHANGES))
def change(request, small_settings) -> tuple[Path, date, int]:
    first, last, day, hours = CHANGES[request.param]
    settings = small_settings(start=first.isoformat(), end=last.isoformat())
    build_dataset(settings, test_registry())
    return Path(settings.out), day, hours


@pytest.mark.parametrize("name", list(CHANGES))
def test_local_calendar_buckets_every_hour_of_a_change_day(name):
    first, last, day, hours = CHANGES[name]
    grid = build_grid(first, last, TZ, 15)
    calendar = local_calendar(grid, TZ)
    today = calendar[calendar["day"] == day]
    assert today["hour_start"].nunique() == hours
    assert (today["hour_start"].value_counts() == 4).all()  # four 15-min intervals each
    assert (today["day_start"] == grid[0] + pd.Timedelta(days=(day - first).days)).all()
    # Each hour starts at its first interval, as a UTC instant.
    starts = today.groupby("hour_start")["timestamp"].min()
    assert (starts.index == starts.to_numpy()).all()
    if hours == 25:
        assert (today["hour"] == 1).sum() == 8  # 01 h twice, as two buckets
    else:
        assert 2 not in set(today["hour"])


def test_plots_and_dashboard_on_a_change_day(change):
    root, day, hours = change
    assert len(write_plots(root)) == 4
    q = DatasetQueries(root)
    hourly = q.table("market", day, day, "hourly")
    assert len(hourly) == hours
    assert len(q.fleet_load(start=day, end=day, aggregation="hourly")) == hours
    views = DashboardViews(q)
    for aggregation in AGGREGATIONS:
        for tab in ("market", "system", "solar", "load", "integrated"):
            _, status = _render(
                views,
                tab,
                q.first_day,
                q.last_day,
                aggregation,
                "lmp",
                HomeSelection(),
                (0, 1),
                0.5,
            )
            assert "homes" in status or "," in status
    # The supply scatter has a point per local hour, the repeated one twice.
    supply = views.system(day, day, "daily")["supply"]
    assert len(supply) == hours and supply["hour"].nunique() == 23 + (hours == 25)


def test_the_repeated_hour_is_drawn_as_its_own_line():
    times = build_grid(date(2023, 11, 5), date(2023, 11, 5), TZ, 15)
    frame = pd.DataFrame({"timestamp": times, "lmp": np.arange(len(times), dtype=float)})
    trace = figures.time_series(frame, {"lmp": "LMP"}, TZ, "t", "y").data[0]
    gaps = [i for i, y in enumerate(trace.y) if y is None or np.isnan(y)]
    assert len(trace.y) == len(times) + 1 and len(gaps) == 1
    # The line stops at 01:45 of the first pass and starts again at 01:00.
    before, after = pd.Timestamp(trace.x[gaps[0] - 1]), pd.Timestamp(trace.x[gaps[0] + 1])
    assert (before.hour, before.minute, after.hour, after.minute) == (1, 45, 1, 0)
