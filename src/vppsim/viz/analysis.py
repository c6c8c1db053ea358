"""Analysis behind the static charts and the dashboard: frames and arrays in, frames out.

Every function is pure (no files, no plotting, no configuration objects). Time series carry
a ``timestamp`` column of UTC interval starts, as everywhere in vppsim; the functions group
them by the study's local calendar (days and hours of ``tz``), because prices, sun and load
follow local clocks.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from vppsim.dataset.schemas import HOME_ID, TIMESTAMP
from vppsim.errors import ConfigError
from vppsim.fleet.assets import FleetParameters, draw_pv

SPIKE_THRESHOLD_USD_MWH = 250.0
"""LMP above which an interval counts as a price spike [$/MWh]."""

SKY_CLASSES = ("clear", "partly cloudy", "cloudy")
"""Sky classes of :func:`daily_solar`, sunniest first."""

# The sky classes of daily_solar: a day is clear at CLEAR_FRACTION of the clear-day
# envelope or more, cloudy below CLOUDY_FRACTION; the envelope is the ENVELOPE_QUANTILE of
# daily energy over a centred window of ENVELOPE_WINDOW_DAYS.
CLEAR_FRACTION = 0.9
CLOUDY_FRACTION = 0.7
ENVELOPE_QUANTILE = 0.9
ENVELOPE_WINDOW_DAYS = 31


def _quantile_name(q: float) -> str:
    return f"p{round(q * 100):02d}"


def local_index(timestamps, tz: str) -> pd.DatetimeIndex:
    """Convert UTC timestamps to the local time of ``tz``.

    Parameters
    ----------
    timestamps : array-like of datetime
        UTC instants; naive values are taken as UTC.
    tz : str
        IANA time zone, e.g. ``"America/Los_Angeles"``.

    Returns
    -------
    DatetimeIndex
        The same instants, tz-aware in ``tz``.
    """
    index = pd.DatetimeIndex(timestamps)
    if index.tz is None:
        index = index.tz_localize("UTC")
    return index.tz_convert(tz)


def _local_days(local: pd.DatetimeIndex) -> pd.Index:
    return pd.Index(local.tz_localize(None).normalize().date, name="day")


def local_calendar(timestamps, tz: str) -> pd.DataFrame:
    """The local day and hour of each interval, and the UTC starts of its local hour and day.

    Parameters
    ----------
    timestamps : array-like of datetime
        UTC interval starts covering whole local days (e.g. a study's grid); naive values
        are taken as UTC.
    tz : str
        IANA time zone of the calendar.

    Returns
    -------
    DataFrame
        One row per timestamp: ``timestamp`` (UTC), ``day`` (local date), ``hour`` (local
        clock hour, 0-23), ``hour_start`` and ``day_start`` (UTC instants: the first of the
        given timestamps in the same local hour, or local day).

    Notes
    -----
    Nothing is localised from a wall-clock time, so no time is ambiguous or missing: when
    clocks go back, the repeated hour is its own bucket (a 25-hour day has 25 hourly
    buckets, two labelled 01 h); when they go forward, the skipped hour has none.
    """
    local = local_index(timestamps, tz)
    utc = local.tz_convert("UTC")
    wall = local.tz_localize(None)
    # The UTC offset tells the two passes of a repeated wall-clock hour apart.
    offset = wall - utc.tz_localize(None)
    frame = pd.DataFrame(
        {
            TIMESTAMP: utc,
            "day": wall.normalize().date,
            "hour": wall.hour.astype("int32"),
            "wall_hour": wall.floor("h"),
            "offset": offset,
        }
    )
    first = frame.groupby(["wall_hour", "offset"])[TIMESTAMP].transform("min")
    frame["hour_start"] = first
    frame["day_start"] = frame.groupby("day")[TIMESTAMP].transform("min")
    return frame.drop(columns=["wall_hour", "offset"])


def hourly_profile_band(
    frame: pd.DataFrame,
    column: str,
    tz: str,
    quantiles: Sequence[float] = (0.1, 0.5, 0.9),
    by_day_type: bool = False,
) -> pd.DataFrame:
    """Quantiles of a series by local hour of day: the daily profile and its spread.

    Parameters
    ----------
    frame : DataFrame
        ``timestamp`` (UTC) and ``column``.
    column : str
        The value column, in its own unit (e.g. ``lmp`` [$/MWh]).
    tz : str
        IANA time zone whose hours group the values.
    quantiles : sequence of float
        Quantiles in [0, 1], linear interpolation between values.
    by_day_type : bool
        Also split weekdays (Mon-Fri) from weekends (Sat-Sun), by local date.

    Returns
    -------
    DataFrame
        Index ``hour`` (0-23, local), or with ``by_day_type`` a MultiIndex
        (``day_type`` in {'weekday', 'weekend'}, ``hour``); one column per quantile named
        ``p10``, ``p50``, ... in the unit of ``column``. Every hour 0-23 is present (NaN
        where the data has none); a day type appears only if the data has such days.
    """
    local = local_index(frame[TIMESTAMP], tz)
    values = pd.Series(frame[column].to_numpy(dtype=float), index=local)
    names = [_quantile_name(q) for q in quantiles]
    hours = pd.RangeIndex(24, name="hour")
    keys = [pd.Index(local.hour, name="hour")]
    if by_day_type:
        day_type = np.where(local.dayofweek >= 5, "weekend", "weekday")
        keys.insert(0, pd.Index(day_type, name="day_type"))
    band = values.groupby(keys).quantile(list(quantiles)).unstack(-1)
    band = band.rename(columns=dict(zip(quantiles, names, strict=True)))[names]
    if not by_day_type:
        return band.reindex(hours)
    full = pd.MultiIndex.from_product(
        [band.index.unique("day_type"), hours], names=["day_type", "hour"]
    )
    return band.reindex(full)


def daily_solar(solar: pd.DataFrame, tz: str, interval_minutes: int) -> pd.DataFrame:
    """Daily PV energy, capacity factor and a sky class per local day.

    Parameters
    ----------
    solar : DataFrame
        ``timestamp`` (UTC interval starts) and ``generation_kw_per_kw_installed``
        [kW AC / kW DC], mean power over each interval.
    tz : str
        IANA time zone whose calendar days are summed.
    interval_minutes : int
        Interval length [min].

    Returns
    -------
    DataFrame
        Index ``day`` (local date); columns ``energy_kwh_per_kw`` [kWh / kW DC],
        ``capacity_factor`` [1] (energy over the day's hours: 24 except on DST change days),
        ``envelope_kwh_per_kw`` [kWh / kW DC] (the clear-day envelope) and ``sky``.

    Notes
    -----
    The sky class compares each day's energy with the clear-day envelope: the 90th
    percentile of daily energy over a centred 31-day window (the whole period when it is
    shorter), which follows the season in a long study. A day is ``'clear'`` when its energy
    is at least 0.9 times the envelope, ``'cloudy'`` below 0.7 times, and
    ``'partly cloudy'`` in between.
    """
    hours_per_interval = interval_minutes / 60
    local = local_index(solar[TIMESTAMP], tz)
    power = pd.Series(solar["generation_kw_per_kw_installed"].to_numpy(dtype=float))
    grouped = power.groupby(_local_days(local).to_numpy())
    daily = pd.DataFrame(
        {
            "energy_kwh_per_kw": grouped.sum() * hours_per_interval,
            "hours": grouped.size() * hours_per_interval,
        }
    )
    daily.index.name = "day"
    daily["capacity_factor"] = daily["energy_kwh_per_kw"] / daily["hours"]
    daily["envelope_kwh_per_kw"] = (
        daily["energy_kwh_per_kw"]
        .rolling(ENVELOPE_WINDOW_DAYS, center=True, min_periods=1)
        .quantile(ENVELOPE_QUANTILE)
    )
    envelope = daily["envelope_kwh_per_kw"].to_numpy()
    ratio = np.divide(
        daily["energy_kwh_per_kw"].to_numpy(),
        envelope,
        out=np.zeros(len(daily)),
        where=envelope > 0,
    )
    daily["sky"] = np.select(
        [ratio >= CLEAR_FRACTION, ratio < CLOUDY_FRACTION],
        ["clear", "cloudy"],
        default="partly cloudy",
    )
    return daily[["energy_kwh_per_kw", "capacity_factor", "envelope_kwh_per_kw", "sky"]]


def pv_capacity(home_ids, seed: int, share: float) -> pd.DataFrame:
    """Which homes have rooftop PV, and how large, for a fleet with PV on ``share`` of homes.

    The fleet's own PV model (:func:`vppsim.fleet.assets.draw_pv`, the PV of
    :func:`~vppsim.fleet.assets.draw_assets` with ``FleetParameters(pv_share=share)``), for
    datasets built without the ``assets`` dataset: one adoption and size model, not two.

    Parameters
    ----------
    home_ids : array-like of int
        Home ids (non-negative).
    seed : int
        The study seed; draws come from stream ``ASSETS``, per home.
    share : float
        Share of homes with PV [1], in [0, 1].

    Returns
    -------
    DataFrame
        ``home_id`` and ``pv_kw`` [kW DC], 0 for homes without PV, in the order given.

    Raises
    ------
    ConfigError
        If ``share`` is outside [0, 1] or an id is negative.

    Notes
    -----
    Home ``i`` adopts when its ``pv`` uniform is below ``share`` and its size comes from its
    own draws (:class:`~vppsim.fleet.assets.FleetParameters`' size distribution), so a
    home's system does not depend on the fleet, and raising ``share`` only adds systems.
    """
    if not 0 <= share <= 1:
        raise ConfigError(f"pv_share must be between 0 and 1, got {share!r}")
    ids = np.asarray(home_ids, dtype=np.int64).reshape(-1)
    if ids.size and ids.min() < 0:
        raise ConfigError(f"home ids must be non-negative, got {int(ids.min())}")
    pv = draw_pv(seed, ids, share, FleetParameters(pv_share=share))
    return pd.DataFrame({HOME_ID: ids, "pv_kw": pv["pv_dc_kw"].to_numpy(dtype=np.float64)})


def net_load(load_kw, pv_kw) -> np.ndarray:
    """Load net of rooftop PV: of a fleet (its totals) or of each home (its columns).

    Parameters
    ----------
    load_kw : array [kW]
        Load per interval (a fleet total, or intervals x homes).
    pv_kw : array [kW AC]
        PV output on the same intervals (and homes).

    Returns
    -------
    ndarray [kW]
        Load minus PV output; negative when PV exports.
    """
    return np.asarray(load_kw, dtype=float) - np.asarray(pv_kw, dtype=float)


def daily_aggregate(frame: pd.DataFrame, column: str, tz: str, how: str) -> pd.Series:
    """One value per local day: the sum, mean, minimum or maximum of ``column``.

    Parameters
    ----------
    frame : DataFrame
        ``timestamp`` (UTC interval starts) and ``column``.
    column : str
        The value column, in its own unit.
    tz : str
        IANA time zone of the days.
    how : {'sum', 'mean', 'min', 'max'}
        The reduction. A sum of power [kW] times the interval length [h] is energy [kWh].

    Returns
    -------
    Series
        Index ``day`` (local date), named ``column``.
    """
    if how not in {"sum", "mean", "min", "max"}:
        raise ValueError(f"how must be sum, mean, min or max, got {how!r}")
    local = local_index(frame[TIMESTAMP], tz)
    values = pd.Series(frame[column].to_numpy(dtype=float), name=column)
    daily = values.groupby(_local_days(local).to_numpy()).agg(how)
    daily.index.name = "day"
    return daily


def hourly_profile_by_label(
    frame: pd.DataFrame, column: str, tz: str, labels: pd.Series
) -> pd.DataFrame:
    """The mean daily profile of ``column`` for each class of days (e.g. sky classes).

    Parameters
    ----------
    frame : DataFrame
        ``timestamp`` (UTC interval starts) and ``column``.
    column : str
        The value column, in its own unit.
    tz : str
        IANA time zone of the days and hours.
    labels : Series
        A label per local date (index of dates, e.g. ``daily_solar(...)["sky"]``); days
        without a label are left out.

    Returns
    -------
    DataFrame
        Index ``hour`` (0-23, local); one column per label present, the mean of ``column``
        over that label's days, in the unit of ``column``.
    """
    local = local_index(frame[TIMESTAMP], tz)
    day_labels = pd.Series(labels).reindex(_local_days(local)).to_numpy()
    values = pd.Series(frame[column].to_numpy(dtype=float))
    profile = values.groupby([day_labels, local.hour.to_numpy()]).mean().unstack(0)
    profile.index.name = "hour"
    profile.columns.name = None
    return profile.reindex(pd.RangeIndex(24, name="hour"))


MIN_FIT_DAYS = 5
"""Fewer days than this get no fitted line: two or three points always look like a trend."""


def linear_fit(x, y) -> tuple[float, float, float]:
    """Least-squares line through ``(x, y)``.

    Parameters
    ----------
    x, y : array
        Paired samples, in their own units; pairs with a NaN are left out.

    Returns
    -------
    slope : float
        [unit of y / unit of x].
    intercept : float
        [unit of y].
    r_squared : float
        Coefficient of determination [1] (NaN when ``y`` does not vary).

    Raises
    ------
    ValueError
        Fewer than two distinct ``x`` values.
    """
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    keep = ~(np.isnan(x) | np.isnan(y))
    x, y = x[keep], y[keep]
    if len(x) < 2 or np.ptp(x) == 0:
        raise ValueError("a line needs at least two distinct x values")
    slope, intercept = np.polyfit(x, y, 1)
    residual = y - (slope * x + intercept)
    total = np.sum((y - y.mean()) ** 2)
    r_squared = 1 - np.sum(residual**2) / total if total > 0 else np.nan
    return float(slope), float(intercept), float(r_squared)


def daily_peak_hours(frame: pd.DataFrame, column: str, tz: str) -> pd.Series:
    """The local time of each local day's maximum of ``column``.

    Parameters
    ----------
    frame : DataFrame
        ``timestamp`` (UTC interval starts) and ``column``.
    column : str
        The series whose daily maximum is located.
    tz : str
        IANA time zone of the days and hours.

    Returns
    -------
    Series [h]
        Index ``day`` (local date); the start of the peak interval as a local hour of day
        (e.g. 18.25 for 18:15). The first interval wins a tie.
    """
    local = local_index(frame[TIMESTAMP], tz)
    values = pd.Series(frame[column].to_numpy(dtype=float))
    peak_rows = values.groupby(_local_days(local).to_numpy()).idxmax().to_numpy()
    peaks = local[peak_rows]
    hours = pd.Series(
        peaks.hour + peaks.minute / 60, index=_local_days(peaks), name="peak_hour", dtype=float
    )
    return hours


def shift_revenue(
    market: pd.DataFrame,
    tz: str,
    homes: int,
    kwh_per_home: float = 1.0,
    midday: tuple[int, int] = (10, 15),
    evening: tuple[int, int] = (16, 22),
) -> pd.DataFrame:
    """A simple estimate of the value of shifting energy from midday to the evening peak.

    Each day, every home stores ``kwh_per_home`` in the cheapest midday hour and releases it
    in the dearest evening hour, both chosen with hindsight from hourly mean LMPs. It
    ignores storage losses, battery wear, ancillary-service revenue, retail tariffs and the
    fleet's effect on prices: an upper bound on energy arbitrage, not a dispatch result.

    Parameters
    ----------
    market : DataFrame
        ``timestamp`` (UTC interval starts) and ``lmp`` [$/MWh].
    tz : str
        IANA time zone of the days and hour windows.
    homes : int
        Homes in the fleet.
    kwh_per_home : float
        Energy shifted per home per day [kWh].
    midday, evening : tuple of int
        Local hour windows ``(first, end)``: hours ``first <= hour < end``, so the default
        midday is 10:00-15:00 and the evening 16:00-22:00.

    Returns
    -------
    DataFrame
        Index ``day`` (local date); ``midday_price`` and ``evening_price`` [$/MWh],
        ``spread`` [$/MWh] (negative when the evening was cheaper), ``revenue_per_home``
        [$] (spread x kWh / 1000), ``fleet_revenue`` [$] and ``cumulative_fleet_revenue``
        [$].
    """
    for name, (first, end) in {"midday": midday, "evening": evening}.items():
        if not 0 <= first < end <= 24:
            raise ConfigError(
                f"{name} window must satisfy 0 <= first < end <= 24, got {first, end}"
            )
    if homes < 0:
        raise ConfigError(f"homes must be non-negative, got {homes!r}")
    local = local_index(market[TIMESTAMP], tz)
    hourly = (
        pd.Series(market["lmp"].to_numpy(dtype=float))
        .groupby([_local_days(local).to_numpy(), local.hour.to_numpy()])
        .mean()
        .unstack()
    )
    hourly.index.name = "day"
    columns = hourly.columns.to_numpy()
    result = pd.DataFrame(
        {
            "midday_price": hourly.loc[:, (columns >= midday[0]) & (columns < midday[1])].min(
                axis=1
            ),
            "evening_price": hourly.loc[:, (columns >= evening[0]) & (columns < evening[1])].max(
                axis=1
            ),
        }
    )
    result["spread"] = result["evening_price"] - result["midday_price"]
    result["revenue_per_home"] = result["spread"] * kwh_per_home / 1000
    result["fleet_revenue"] = result["revenue_per_home"] * homes
    result["cumulative_fleet_revenue"] = result["fleet_revenue"].cumsum()
    return result
