"""Fit the synthetic weather model (:mod:`.synthetic`) on TMY files.

Pure functions: TMY frames (as :func:`vppsim.weather.tmy.read_tmy` returns them) in, a
JSON-ready calibration dict out. ``benchmarks/fit_weather.py`` runs the fit on the Santa Ana
TMY3 and Long Beach TMY2 files and writes ``calibrated.json``; the result is deterministic.

What is fitted, pooling both stations:

* clear-sky index (GHI over pvlib Ineichen clear-sky GHI at each hour's midpoint, with the
  file's own latitude, longitude and altitude): hourly state transition *counts* by month
  and hour, the first state of each day, the within-state quantiles and the hour-to-hour
  rank correlation; the quantiles and mean of the daily index by month, and the
  day-to-day correlation of its rank within each month;
* temperature: heat events (runs of at least ``HEAT_EVENT_MIN_DAYS`` days whose daily max is
  at least :data:`HEAT_EVENT_THRESHOLD_C` above its station-month mean), then, on the
  anomalies with the events removed, the sunshine slopes, the AR(1) of the daily-mean
  anomaly, and the gains of max and min on it; the anchor hours and curve shapes of the
  diurnal cycle and the hourly noise;
* wind: mean and standard deviation by month and hour, and the lag-1 h autocorrelation.

Monthly quantities pool the neighbouring months at weight 0.5 where the TMY counts are thin
(about 60 station-days a month).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import pvlib
from scipy.optimize import minimize_scalar
from scipy.special import ndtri

from vppsim.weather.synthetic import (
    CHAIN_HOURS,
    DAILY_LEVELS,
    EMISSION_CLEARSKY_W_M2,
    EMISSION_LEVELS,
    HEAT_EVENT_MIN_DAYS,
    KT_STATE_EDGES,
    N_KT_STATES,
    RELIABLE_CLEARSKY_W_M2,
    diurnal_curve,
    kt_state,
    noise_envelope,
    pool_months,
)

HEAT_EVENT_THRESHOLD_C = 4.0
"""A heat-event day has a daily max at least this far above its station-month mean."""
DIGITS = 4
"""Decimals kept in calibrated.json."""
MORNING_LABELS = (1, 12)
"""Observation hours (inclusive) searched for the daily minimum."""
AFTERNOON_LABELS = (10, 20)
"""Observation hours (inclusive) searched for the daily maximum."""


def _rounded(values) -> list | float:
    return np.round(np.asarray(values, dtype=float), DIGITS).tolist()


def _month_weights(months: np.ndarray, month: int) -> np.ndarray:
    """Weight of each day for ``month``: 1 for the month, 0.5 for its neighbours."""
    distance = (np.asarray(months) - month) % 12
    return np.where(distance == 0, 1.0, np.where((distance == 1) | (distance == 11), 0.5, 0.0))


def station_hours(data: pd.DataFrame, meta: dict) -> pd.DataFrame:
    """One row per TMY hour with the local standard day, hour and month, and clear-sky GHI.

    ``data`` is indexed by the hour-*ending* local standard time; row ``i`` covers the hour
    starting ``i % 24`` of TMY day ``i // 24``. Irradiance is the hour's total, so clear-sky
    GHI is taken at the hour midpoint; temperature and wind are observations at the label.
    """
    if len(data) != 8760:
        raise ValueError(f"expected 8,760 hourly TMY rows, got {len(data)}")
    ending = pd.DatetimeIndex(data.index)
    start = ending - pd.Timedelta(hours=1)
    site = pvlib.location.Location(
        meta["latitude"], meta["longitude"], tz="UTC", altitude=meta.get("altitude", 0.0)
    )
    midpoints = (ending - pd.Timedelta(minutes=30)).tz_convert("UTC")
    clearsky = site.get_clearsky(midpoints, model="ineichen")["ghi"].to_numpy()
    position = np.arange(len(data))
    return pd.DataFrame(
        {
            "day": position // 24,
            "hour": np.asarray(start.hour),
            "month": np.asarray(start.month) - 1,
            "ghi": data["ghi"].to_numpy(dtype=float),
            "clearsky_ghi": np.nan_to_num(clearsky),
            "temp_air": data["temp_air"].to_numpy(dtype=float),
            "wind_speed": data["wind_speed"].to_numpy(dtype=float),
        }
    )


def _days(hours: pd.DataFrame, column: str) -> np.ndarray:
    return hours[column].to_numpy().reshape(-1, 24)


def _day_months(hours: pd.DataFrame) -> np.ndarray:
    return _days(hours, "month")[:, 0]


def daily_clearsky_index(hours: pd.DataFrame) -> np.ndarray:
    """Each TMY day's clear-sky index: total GHI over total clear-sky GHI."""
    return _days(hours, "ghi").sum(axis=1) / _days(hours, "clearsky_ghi").sum(axis=1)


# --- Clear-sky index -------------------------------------------------------------------------


def _mid_ranks(sorted_samples: np.ndarray, values: np.ndarray) -> np.ndarray:
    left = np.searchsorted(sorted_samples, values, side="left")
    right = np.searchsorted(sorted_samples, values, side="right")
    return (left + right) / (2.0 * len(sorted_samples))


def fit_clearsky(stations: Sequence[pd.DataFrame]) -> dict:
    """Fit the clear-sky-index model on :func:`station_hours` frames."""
    first_hour, last_hour = CHAIN_HOURS
    transitions = np.zeros((12, last_hour - first_hour, N_KT_STATES, N_KT_STATES), np.int64)
    first_state = np.zeros((12, N_KT_STATES), np.int64)
    daily_by_month: list[list[np.ndarray]] = [[] for _ in range(12)]
    daily_scores = []
    emission: list[list[np.ndarray]] = [[] for _ in range(N_KT_STATES)]
    same_state_pairs = []
    for hours in stations:
        ghi, clearsky = _days(hours, "ghi"), _days(hours, "clearsky_ghi")
        months = _day_months(hours)
        reliable = clearsky >= RELIABLE_CLEARSKY_W_M2
        kt = np.where(reliable, ghi / np.where(reliable, clearsky, 1.0), np.nan)
        state = np.where(reliable, kt_state(np.nan_to_num(kt)), -1)
        for h in range(23):
            a, b = state[:, h], state[:, h + 1]
            ok = (a >= 0) & (b >= 0)
            if not first_hour <= h < last_hour:
                if ok.any():
                    raise ValueError(f"reliable hours {h}->{h + 1} lie outside CHAIN_HOURS")
                continue
            np.add.at(transitions, (months[ok], h - first_hour, a[ok], b[ok]), 1)
        lit = reliable.any(axis=1)
        first = np.argmax(reliable, axis=1)
        np.add.at(first_state, (months[lit], state[lit, first[lit]]), 1)

        daily = daily_clearsky_index(hours)
        for m in range(12):
            values = daily[months == m]
            daily_by_month[m].append(values)
            # Gaussian scores of the ranks within the station-month, consecutive days.
            score = ndtri(_mid_ranks(np.sort(values), values))
            daily_scores.append(np.column_stack([score[:-1], score[1:]]))

        bright = clearsky >= EMISSION_CLEARSKY_W_M2
        for s in range(N_KT_STATES):
            emission[s].append(kt[bright & (state == s)])
        both = bright[:, :-1] & bright[:, 1:] & (state[:, :-1] == state[:, 1:])
        same_state_pairs.append((state[:, :-1][both], kt[:, :-1][both], kt[:, 1:][both]))

    samples = [np.sort(np.concatenate(values)) for values in emission]
    quantiles = [np.quantile(values, EMISSION_LEVELS) for values in samples]
    scores = []
    for states, before, after in same_state_pairs:
        for s in range(N_KT_STATES):
            here = states == s
            scores.append(
                np.column_stack(
                    [
                        ndtri(_mid_ranks(samples[s], before[here])),
                        ndtri(_mid_ranks(samples[s], after[here])),
                    ]
                )
            )
    scores = np.concatenate(scores)
    rank_autocorrelation = float(np.corrcoef(scores[:, 0], scores[:, 1])[0, 1])
    daily_scores = np.concatenate(daily_scores)
    daily_autocorrelation = float(np.corrcoef(daily_scores[:, 0], daily_scores[:, 1])[0, 1])
    daily = [np.concatenate(values) for values in daily_by_month]

    return {
        "transition_counts": transitions.tolist(),
        "first_state_counts": first_state.tolist(),
        "emission_quantiles": _rounded(quantiles),
        "rank_autocorrelation": round(rank_autocorrelation, DIGITS),
        "daily_index_quantiles": _rounded([np.quantile(v, DAILY_LEVELS) for v in daily]),
        "daily_index_autocorrelation": round(daily_autocorrelation, DIGITS),
        "daily_index_mean": _rounded([v.mean() for v in daily]),
    }


# --- Temperature -----------------------------------------------------------------------------


def _station_days(hours: pd.DataFrame) -> pd.DataFrame:
    """Daily temperatures and clear-sky index of one station, with station-month anomalies."""
    temp = _days(hours, "temp_air")
    lo, hi = MORNING_LABELS
    a, b = AFTERNOON_LABELS
    days = pd.DataFrame(
        {
            "month": _day_months(hours),
            "tmax": temp.max(axis=1),
            "tmin": temp.min(axis=1),
            "tmean": temp.mean(axis=1),
            "k": daily_clearsky_index(hours),
            "morning_min": temp[:, lo - 1 : hi].min(axis=1),
            "afternoon_max": temp[:, a - 1 : b].max(axis=1),
        }
    )
    for column in ("tmax", "tmin", "tmean", "k"):
        days[f"{column}_a"] = days[column] - days.groupby("month")[column].transform("mean")
    return days


def _heat_events(days: pd.DataFrame) -> tuple[list[dict], np.ndarray]:
    """Runs of hot days within one TMY month; returns the events and a per-day event id."""
    hot = (days["tmax_a"] >= HEAT_EVENT_THRESHOLD_C).to_numpy()
    months = days["month"].to_numpy()
    event_of_day = np.full(len(days), -1)
    events: list[dict] = []
    d = 0
    while d < len(days):
        if not hot[d]:
            d += 1
            continue
        end = d
        while end + 1 < len(days) and hot[end + 1] and months[end + 1] == months[d]:
            end += 1
        if end - d + 1 >= HEAT_EVENT_MIN_DAYS:
            run = days.iloc[d : end + 1]
            event_of_day[d : end + 1] = len(events)
            events.append(
                {
                    "month": int(months[d]),
                    "days": end - d + 1,
                    "tmax_a": float(run["tmax_a"].mean()),
                    "tmin_a": float(run["tmin_a"].mean()),
                    "tmean_a": float(run["tmean_a"].mean()),
                }
            )
        d = end + 1
    return events, event_of_day


def _extreme_hour(profile: np.ndarray, labels: tuple[int, int]) -> float:
    """Hour of the maximum of a mean daily profile (index ``j`` is hour ``j + 1``) within
    ``labels``, refined with a parabola through the neighbouring hours."""
    lo, hi = labels
    j = lo - 1 + int(np.argmax(profile[lo - 1 : hi]))
    left, centre, right = profile[(j - 1) % 24], profile[j], profile[(j + 1) % 24]
    curvature = left - 2.0 * centre + right
    shift = 0.0 if curvature >= 0 else 0.5 * (left - right) / curvature
    return j + 1 + float(np.clip(shift, -0.5, 0.5))


def _weighted_lstsq(columns: list[np.ndarray], target: np.ndarray, weight: np.ndarray):
    design = np.column_stack(columns) * np.sqrt(weight)[:, None]
    return np.linalg.lstsq(design, target * np.sqrt(weight), rcond=None)[0]


def _fit_exponent(x: np.ndarray, y: np.ndarray) -> float:
    def loss(p: float) -> float:
        return float(np.sum((y - 0.5 * (1.0 - np.cos(np.pi * x**p))) ** 2))

    return float(minimize_scalar(loss, bounds=(0.2, 5.0), method="bounded").x)


def fit_temperature(stations: Sequence[pd.DataFrame]) -> dict:
    """Fit the temperature model on :func:`station_hours` frames."""
    per_station, all_events = [], []
    for hours in stations:
        days = _station_days(hours)
        events, event_of_day = _heat_events(days)
        for column in ("tmax", "tmin", "tmean"):
            event_mean = np.array([e[f"{column}_a"] for e in events] + [0.0])
            days[f"{column}_r"] = days[f"{column}_a"] - event_mean[event_of_day]
        days["pair"] = np.r_[False, days["month"].to_numpy()[1:] == days["month"].to_numpy()[:-1]]
        per_station.append(days)
        all_events.extend(events)
    days = pd.concat(per_station, ignore_index=True)
    station_months = len(stations)

    # Sun coupling, AR(1) and gains, by month with the neighbours at half weight.
    k_a = days["k_a"].to_numpy()
    pair = days["pair"].to_numpy()
    out = {
        key: np.zeros(12)
        for key in (
            "ar_coefficient",
            "ar_std_c",
            "anomaly_gain_max",
            "anomaly_gain_min",
            "sun_coupling_max_c",
            "sun_coupling_min_c",
        )
    }
    for m in range(12):
        w = _month_weights(days["month"].to_numpy(), m)
        (beta_mean,) = _weighted_lstsq([k_a], days["tmean_r"].to_numpy(), w)
        e = days["tmean_r"].to_numpy() - beta_mean * k_a
        out["sun_coupling_max_c"][m], out["anomaly_gain_max"][m] = _weighted_lstsq(
            [k_a, e], days["tmax_r"].to_numpy(), w
        )
        out["sun_coupling_min_c"][m], out["anomaly_gain_min"][m] = _weighted_lstsq(
            [k_a, e], days["tmin_r"].to_numpy(), w
        )
        wp = w[1:] * pair[1:]
        out["ar_coefficient"][m] = np.sum(wp * e[1:] * e[:-1]) / np.sum(wp * e[:-1] ** 2)
        out["ar_std_c"][m] = np.sqrt(np.sum(w * e**2) / np.sum(w))

    # Heat events: starts per month smoothed with the neighbours (total preserved).
    starts = np.bincount([e["month"] for e in all_events], minlength=12) / station_months
    starts = 0.5 * starts + 0.25 * (np.roll(starts, 1) + np.roll(starts, -1))
    amplitudes = np.array([e["tmax_a"] for e in all_events])
    durations = np.array([e["days"] for e in all_events], dtype=float)
    min_share = sum(e["tmin_a"] * e["days"] for e in all_events) / sum(
        e["tmax_a"] * e["days"] for e in all_events
    )

    # Diurnal cycle: anchor hours by month, then the curve shapes and the hourly noise.
    profile = np.zeros((12, 24))
    for hours in stations:
        temp = _days(hours, "temp_air")
        months = _day_months(hours)
        deviation = temp - temp.mean(axis=1, keepdims=True)
        profile += np.array([deviation[months == m].mean(axis=0) for m in range(12)])
    min_hour = np.array([_extreme_hour(-row, MORNING_LABELS) for row in profile])
    max_hour = np.array([_extreme_hour(row, AFTERNOON_LABELS) for row in profile])
    segments = []  # (month, rising, x, y, t_obs, temp, anchor arrays) per station
    for hours, station in zip(stations, per_station, strict=True):
        months = station["month"].to_numpy()
        n = len(station)
        start = 24.0 * np.arange(n)
        anchor_t = np.column_stack([start + min_hour[months], start + max_hour[months]]).ravel()
        anchor_temp = np.column_stack(
            [station["morning_min"].to_numpy(), station["afternoon_max"].to_numpy()]
        ).ravel()
        anchor_month = np.repeat(months, 2)
        t_obs = np.arange(24 * n, dtype=float) + 1.0  # observation at the hour-ending label
        temp = hours["temp_air"].to_numpy()
        i = np.searchsorted(anchor_t, t_obs, side="right") - 1
        ok = (i >= 0) & (i < len(anchor_t) - 1)
        ok[ok] &= anchor_month[i[ok]] == anchor_month[i[ok] + 1]
        ok[ok] &= np.abs(anchor_temp[i[ok] + 1] - anchor_temp[i[ok]]) >= 2.0
        i = np.where(ok, i, 0)
        x = (t_obs - anchor_t[i]) / (anchor_t[i + 1] - anchor_t[i])
        y = (temp - anchor_temp[i]) / (anchor_temp[i + 1] - anchor_temp[i])
        segments.append(
            {
                "ok": ok,
                "rising": i % 2 == 0,
                "month": anchor_month[i],
                "x": x,
                "y": np.clip(y, -0.5, 1.5),
                "anchor_t": anchor_t,
                "anchor_temp": anchor_temp,
                "anchor_month": anchor_month,
                "t_obs": t_obs,
                "temp": temp,
            }
        )
    rise, fall = np.zeros(12), np.zeros(12)
    for m in range(12):
        for rising, target in ((True, rise), (False, fall)):
            pick = [(s["ok"] & (s["rising"] == rising) & (s["month"] == m)) for s in segments]
            x = np.concatenate([s["x"][p] for s, p in zip(segments, pick, strict=True)])
            y = np.concatenate([s["y"][p] for s, p in zip(segments, pick, strict=True)])
            target[m] = _fit_exponent(x, y)
    residual_sq, envelope_sq, lag_products, lag_squares = 0.0, 0.0, 0.0, 0.0
    for s in segments:
        exponent = np.column_stack([rise, fall])[s["anchor_month"][::2]].ravel()
        curve, position = diurnal_curve(s["t_obs"], s["anchor_t"], s["anchor_temp"], exponent)
        r = np.where(s["ok"], s["temp"] - curve, 0.0)
        # Least squares of r**2 on sigma**2 * envelope**2.
        envelope = noise_envelope(position[s["ok"]])
        residual_sq += np.sum(r[s["ok"]] ** 2 * envelope**2)
        envelope_sq += np.sum(envelope**4)
        both = s["ok"][1:] & s["ok"][:-1]
        lag_products += np.sum((r[1:] * r[:-1])[both])
        lag_squares += np.sum((r[:-1] ** 2)[both])

    return {
        **{key: _rounded(value) for key, value in out.items()},
        "heat_event_threshold_c": HEAT_EVENT_THRESHOLD_C,
        "heat_event_count": len(all_events),
        "heat_event_starts_per_month": _rounded(starts),
        "heat_event_duration_days": round(float(durations.mean()), DIGITS),
        "heat_event_amplitude_c": round(float(amplitudes.mean()), DIGITS),
        "heat_event_amplitude_cv": round(float(amplitudes.std() / amplitudes.mean()), DIGITS),
        "heat_event_min_share": round(float(max(min_share, 0.0)), DIGITS),
        "min_hour": _rounded(min_hour),
        "max_hour": _rounded(max_hour),
        "rise_exponent": _rounded(rise),
        "fall_exponent": _rounded(fall),
        "hourly_noise_std_c": round(float(np.sqrt(residual_sq / envelope_sq)), DIGITS),
        "hourly_noise_autocorrelation": round(float(lag_products / lag_squares), DIGITS),
    }


# --- Wind ------------------------------------------------------------------------------------


def fit_wind(stations: Sequence[pd.DataFrame]) -> dict:
    """Fit wind mean and spread by month and hour, and the hourly autocorrelation."""
    frame = pd.concat(
        [
            pd.DataFrame(
                {
                    "month": hours["month"].to_numpy(),
                    "hour": (hours["hour"].to_numpy() + 1) % 24,  # observation time
                    "wind": hours["wind_speed"].to_numpy(),
                    "station": n,
                }
            )
            for n, hours in enumerate(stations)
        ],
        ignore_index=True,
    )
    sums = np.zeros((12, 24))
    squares = np.zeros((12, 24))
    counts = np.zeros((12, 24))
    np.add.at(sums, (frame["month"], frame["hour"]), frame["wind"])
    np.add.at(squares, (frame["month"], frame["hour"]), frame["wind"] ** 2)
    np.add.at(counts, (frame["month"], frame["hour"]), 1)

    mean = pool_months(sums) / pool_months(counts)
    std = np.sqrt(np.maximum(pool_months(squares) / pool_months(counts) - mean**2, 0.0))
    z = (frame["wind"] - mean[frame["month"], frame["hour"]]) / std[frame["month"], frame["hour"]]
    z = z.to_numpy()
    same = (frame["station"].to_numpy()[1:] == frame["station"].to_numpy()[:-1]) & (
        frame["month"].to_numpy()[1:] == frame["month"].to_numpy()[:-1]
    )
    autocorrelation = np.sum((z[1:] * z[:-1])[same]) / np.sum((z[:-1] ** 2)[same])
    return {
        "mean_m_s": _rounded(mean),
        "std_m_s": _rounded(std),
        "autocorrelation": round(float(autocorrelation), DIGITS),
    }


# --- Everything ------------------------------------------------------------------------------


def fit_calibration(stations: Sequence[tuple[pd.DataFrame, dict]]) -> dict:
    """Fit the whole model on TMY ``(data, meta)`` pairs; returns the calibrated.json content."""
    hours = [station_hours(data, meta) for data, meta in stations]
    return {
        "about": {
            "description": "vppsim synthetic weather calibration; see vppsim.weather.fit",
            "stations": [
                {
                    "name": str(meta["name"]),
                    "latitude": round(float(meta["latitude"]), DIGITS),
                    "longitude": round(float(meta["longitude"]), DIGITS),
                    "altitude": float(meta.get("altitude", 0.0)),
                }
                for _, meta in stations
            ],
            "kt_state_edges": list(KT_STATE_EDGES),
            "daily_levels": _rounded(DAILY_LEVELS),
            "chain_hours": list(CHAIN_HOURS),
            "emission_levels": _rounded(EMISSION_LEVELS),
            "reliable_clearsky_w_m2": RELIABLE_CLEARSKY_W_M2,
            "emission_clearsky_w_m2": EMISSION_CLEARSKY_W_M2,
        },
        "clearsky": fit_clearsky(hours),
        "temperature": fit_temperature(hours),
        "wind": fit_wind(hours),
    }
