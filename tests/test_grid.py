import datetime as dt

import pandas as pd
import pytest

from vppsim.grid import build_grid, format_timestamps, parse_timestamps

LA = "America/Los_Angeles"


def test_august_2023_has_2976_intervals_from_local_midnight():
    grid = build_grid(dt.date(2023, 8, 1), dt.date(2023, 8, 31), LA)
    assert len(grid) == 2976
    assert grid[0] == pd.Timestamp("2023-08-01T07:00Z")
    assert grid[-1] == pd.Timestamp("2023-09-01T06:45Z")
    assert str(grid.tz) == "UTC"
    assert (grid[1:] - grid[:-1] == pd.Timedelta(minutes=15)).all()


@pytest.mark.parametrize(
    ("day", "intervals", "first"),
    [
        (dt.date(2023, 3, 12), 92, "2023-03-12T08:00Z"),  # spring forward: 23 h
        (dt.date(2023, 11, 5), 100, "2023-11-05T07:00Z"),  # fall back: 25 h
        (dt.date(2023, 3, 13), 96, "2023-03-13T07:00Z"),
    ],
)
def test_dst_days(day, intervals, first):
    grid = build_grid(day, day, LA)
    assert len(grid) == intervals
    assert grid[0] == pd.Timestamp(first)


def test_whole_dst_months():
    assert len(build_grid(dt.date(2023, 3, 1), dt.date(2023, 3, 31), LA)) == 31 * 96 - 4
    assert len(build_grid(dt.date(2023, 11, 1), dt.date(2023, 11, 30), LA)) == 30 * 96 + 4


def test_other_intervals_and_zones():
    assert len(build_grid(dt.date(2023, 8, 1), dt.date(2023, 8, 1), LA, 60)) == 24
    kolkata = build_grid(dt.date(2023, 8, 1), dt.date(2023, 8, 1), "Asia/Kolkata")
    assert kolkata[0] == pd.Timestamp("2023-07-31T18:30Z")
    assert len(kolkata) == 96


def test_end_before_start_is_refused():
    with pytest.raises(ValueError, match="before start"):
        build_grid(dt.date(2023, 8, 2), dt.date(2023, 8, 1), LA)


def test_timestamps_are_iso_utc_with_z_and_round_trip():
    grid = build_grid(dt.date(2023, 8, 1), dt.date(2023, 8, 1), LA)
    text = format_timestamps(grid)
    assert text[0] == "2023-08-01T07:00:00Z"
    assert parse_timestamps(text).equals(grid.rename(None))


def test_parse_rejects_other_formats():
    with pytest.raises(ValueError):
        parse_timestamps(["2023-08-01 07:00:00"])


def test_naive_timestamps_cannot_be_formatted():
    with pytest.raises(ValueError, match="timezone-aware"):
        format_timestamps(pd.DatetimeIndex(["2023-08-01T07:00"]))
