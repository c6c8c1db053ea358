"""The forecast report of a dataset folder: the forecasts scored against the outcomes.

Reads ``forecasts/`` next to the datasets (Parquet, else CSV) with DuckDB through
:class:`~vppsim.viz.queries.DatasetQueries`, joins each forecast with its outcome on the
interval, and scores it by variable and lead class with :mod:`vppsim.forecast.metrics`,
against a climatology built only from what was known at each issue time.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from vppsim.dataset.schemas import HOME_ID, TIMESTAMP, UTC_DATETIME
from vppsim.forecast import metrics
from vppsim.forecast.metrics import ISSUED_AT
from vppsim.forecast.parameters import QUANTILE_COLUMNS
from vppsim.forecast.sources import FORECASTS, HOME_LOAD_FORECASTS, VARIABLES
from vppsim.seeds import Stream, stream_rng
from vppsim.viz.queries import FORECASTS_VIEW, DatasetNotReadable, DatasetQueries

FORECASTS_FOLDER = "forecasts"
PUBLISHED = (
    "epftoolbox day-ahead benchmark (LEAR and DNN ensembles, five markets; Lago et al., "
    "Applied Energy 293, 116983, 2021): rMAE 0.37-0.60, sMAPE 4.9-14.7 %",
    "project seed target: MAPE below 5 % for day-ahead price forecasts",
    "BuildingsBench real homes (Emami et al., NeurIPS 2023): CV-RMSE about 77-80 % "
    "per home at 24 h ahead",
)
"""The published figures set beside vppsim's forecast scores."""

PRICE_VARIABLES = ("lmp", "da_lmp")
"""Variables scored by rMAE against the weekly naive forecast, as in epftoolbox."""

DAY_AHEAD = "day-ahead"
LEAD_CLASSES = (
    ("intraday 0-2 h", 0.0, 2.0),
    ("intraday 2-4 h", 2.0, 4.0),
    ("intraday 4-8 h", 4.0, 8.0),
)
"""Intraday lead classes: (label, from, to) [h] of the lead ``timestamp - issued_at``; a
lead of 8 h or more is the day-ahead run (its leads are 14-38 h)."""
DAY_AHEAD_FROM_H = int(LEAD_CLASSES[-1][2])

GROUP_SIZES = (1, 10, 100, 1000)
"""Homes per group of the household-load table."""


@dataclass(frozen=True)
class ForecastReport:
    """The tables of ``vppsim forecast-report``.

    Attributes
    ----------
    scores : DataFrame
        One row per variable and lead class: ``variable``, ``lead``, ``unit``, ``n``,
        ``mae``, ``bias`` (forecast minus outcome), ``mape_pct``, ``smape_pct`` [%] of the
        ``q50``; ``rmae`` [1] (prices); ``crps`` (from the quantiles), ``crps_members``
        (from the members, where written), ``crps_climatology`` (quantiles of the
        climatology) in the variable's unit; ``skill`` = 1 - crps / crps_climatology [1]
        over the rows with a climatology; ``coverage_80``, ``coverage_90`` [1] of p10-p90
        and p05-p95 and their mean widths ``width_80``, ``width_90``; ``n_calibration``.
    pit : DataFrame
        ``variable``, ``lead``, ``bin_start``, ``bin_end``, ``share`` and ``expected``
        (the bin's width, the share when calibrated) [1]: PIT histograms with bins between
        the quantile levels.
    reliability : DataFrame
        ``variable``, ``lead``, ``level``, ``observed`` [1]: the reliability diagrams.
    household : DataFrame
        ``homes`` per group, ``groups``, ``cv_rmse_median``, ``cv_rmse_mean`` [1] of the
        day-ahead ``q50`` of the groups' summed load (empty without per-home forecasts).
    """

    scores: pd.DataFrame
    pit: pd.DataFrame
    reliability: pd.DataFrame
    household: pd.DataFrame


def lead_class(issued_at, timestamps) -> np.ndarray:
    """The lead class label of each forecast (see :data:`LEAD_CLASSES`)."""
    lead_h = (
        (pd.DatetimeIndex(timestamps) - pd.DatetimeIndex(issued_at)).total_seconds() / 3600.0
    ).to_numpy()
    labels = np.full(len(lead_h), DAY_AHEAD, dtype=object)
    for label, low, high in LEAD_CLASSES:
        labels[(lead_h >= low) & (lead_h < high)] = label
    return labels


def _members_crps(queries: DatasetQueries, folder: Path, variable: str, outcome) -> pd.DataFrame:
    """``issued_at``, ``timestamp`` and ``crps_members`` from the members file, if any."""
    path = folder / FORECASTS.parquet_path
    if not path.is_file() or variable not in pq.read_schema(path).names:
        return pd.DataFrame(
            {ISSUED_AT: pd.Series(dtype=UTC_DATETIME), TIMESTAMP: pd.Series(dtype=UTC_DATETIME)}
        ).assign(crps_members=np.nan)
    members = queries.sql(
        f"SELECT {ISSUED_AT}, {TIMESTAMP}, member, {variable} AS value "
        f"FROM read_parquet('{path.as_posix()}')"
    )
    wide = members.pivot_table(
        index=[ISSUED_AT, TIMESTAMP], columns="member", values="value"
    ).reset_index()
    wide = wide.merge(outcome, on=TIMESTAMP)
    ensemble = wide.drop(columns=[ISSUED_AT, TIMESTAMP, "value"]).to_numpy(dtype=float)
    wide["crps_members"] = metrics.crps_members(wide["value"].to_numpy(), ensemble)
    return wide[[ISSUED_AT, TIMESTAMP, "crps_members"]]


def _score(rows: pd.DataFrame, mape_floor: float) -> dict[str, float]:
    """The scores of one variable and lead class; ``rows`` holds the joined frame."""
    y, q = rows["value"].to_numpy(), rows[list(QUANTILE_COLUMNS)].to_numpy()
    median = rows["q50"].to_numpy()
    clim = rows[[f"clim_{c}" for c in QUANTILE_COLUMNS]].to_numpy()
    crps = metrics.crps_quantiles(y, q)
    crps_clim = metrics.crps_quantiles(y, clim)
    both = np.isfinite(crps) & np.isfinite(crps_clim)
    informative = ~rows["certain"].to_numpy()
    yi, qi = y[informative], q[informative]
    return {
        "n": len(rows),
        "mae": metrics.mae(y, median),
        "bias": metrics.bias(y, median),
        "mape_pct": metrics.mape(y, median, min_abs=mape_floor * np.nanmean(np.abs(y))),
        "smape_pct": metrics.smape(y, median),
        "rmae": metrics.rmae(y, median, rows["naive"]) if rows["naive"].notna().any() else np.nan,
        "crps": float(np.nanmean(crps)),
        "crps_members": float(rows["crps_members"].mean()),
        "crps_climatology": float(crps_clim[both].mean()) if both.any() else np.nan,
        "skill": 1.0 - crps[both].mean() / crps_clim[both].mean() if both.any() else np.nan,
        "coverage_80": metrics.coverage(yi, qi[:, 1], qi[:, 5]),
        "width_80": metrics.width(qi[:, 1], qi[:, 5]),
        "coverage_90": metrics.coverage(yi, qi[:, 0], qi[:, 6]),
        "width_90": metrics.width(qi[:, 0], qi[:, 6]),
        "n_calibration": int(informative.sum()),
    }


def _household(queries: DatasetQueries, folder: Path) -> pd.DataFrame:
    """CV-RMSE of the day-ahead median of groups' summed load, by homes per group."""
    columns = ["homes", "groups", "cv_rmse_median", "cv_rmse_mean"]
    parts = (folder / HOME_LOAD_FORECASTS.parquet_path).parent
    if not any(parts.glob("part-*.parquet")) or "load" not in queries.datasets:
        return pd.DataFrame(columns=columns)
    joined = queries.sql(
        f"""
        SELECT f.{HOME_ID}, f.{TIMESTAMP}, f.q50, l.load_kw
        FROM read_parquet('{parts.as_posix()}/part-*.parquet') f
        JOIN load l USING ({HOME_ID}, {TIMESTAMP})
        WHERE f.{TIMESTAMP} - f.{ISSUED_AT} >= INTERVAL {DAY_AHEAD_FROM_H} HOUR
        ORDER BY f.{HOME_ID}, f.{TIMESTAMP}
        """
    )
    forecast = joined.pivot(index=HOME_ID, columns=TIMESTAMP, values="q50")
    actual = joined.pivot(index=HOME_ID, columns=TIMESTAMP, values="load_kw")
    ids = forecast.index.to_numpy(dtype=np.int64)
    forecast, actual = forecast.to_numpy(dtype=float), actual.to_numpy(dtype=float)
    sizes = [n for n in GROUP_SIZES if n <= len(ids)]
    sizes += [len(ids)] if len(ids) not in sizes else []
    rows = []
    for n in sizes:
        if n == 1:
            groups = [np.array([i]) for i in range(len(ids))]
        else:
            # The groups of the diversity curve (same stream and keys), as row numbers.
            groups = [
                np.sort(
                    stream_rng(queries.seed, Stream.GROUP_SAMPLES, n, draw).choice(
                        len(ids), size=n, replace=False
                    )
                )
                for draw in range(max(1, min(10, len(ids) // n)))
            ]
        scores = np.array(
            [metrics.cv_rmse(actual[g].sum(axis=0), forecast[g].sum(axis=0)) for g in groups]
        )
        rows.append((n, len(groups), float(np.nanmedian(scores)), float(np.nanmean(scores))))
    return pd.DataFrame(rows, columns=columns)


def forecast_report(folder: Path | str, mape_floor: float = 0.05) -> ForecastReport:
    """Score the forecasts of a dataset folder against its outcomes.

    Parameters
    ----------
    folder : path
        A dataset folder holding ``forecasts/*_forecasts.parquet`` (or ``.csv``).
    mape_floor : float
        MAPE leaves out outcomes with ``|y|`` at or below this share of the variable's
        mean ``|y|`` in the class scored [1] (see :func:`vppsim.forecast.metrics.mape`).

    Returns
    -------
    ForecastReport

    Raises
    ------
    DatasetNotReadable
        The folder is not a dataset or has no forecasts (a variable whose outcome's
        dataset is missing is left out).
    """
    folder = Path(folder)
    queries = DatasetQueries(folder)
    if FORECASTS_VIEW not in queries.datasets:
        raise DatasetNotReadable(
            f"{folder} has no forecasts: no {FORECASTS_FOLDER}/*_forecasts.parquet or .csv"
        )
    forecasts = queries.sql(
        f"SELECT * FROM {FORECASTS_VIEW} ORDER BY variable, {ISSUED_AT}, {TIMESTAMP}"
    )
    forecasts["variable"] = forecasts["variable"].astype(str)
    interval = pd.Timedelta(minutes=queries.interval_minutes)
    scores, pits, reliabilities = [], [], []
    # A variable whose outcome's dataset is not in the folder cannot be scored: left out.
    scored = [
        v.name
        for v in VARIABLES
        if v.name in set(forecasts["variable"]) and v.outcome[0] in queries.datasets
    ]
    for variable in scored:
        outcome = queries.forecast_outcome(variable)
        unit = next(v.unit for v in VARIABLES if v.name == variable)
        rows = forecasts[forecasts["variable"] == variable].merge(outcome, on=TIMESTAMP)
        clim = metrics.climatological_quantiles(
            outcome, rows[[ISSUED_AT, TIMESTAMP]], "value", queries.timezone, interval
        )
        rows[[f"clim_{c}" for c in QUANTILE_COLUMNS]] = clim[list(QUANTILE_COLUMNS)].to_numpy()
        rows["naive"] = (
            metrics.weekly_naive(outcome, rows[TIMESTAMP], "value")
            if variable in PRICE_VARIABLES
            else np.nan
        )
        rows = rows.merge(
            _members_crps(queries, folder, variable, outcome), on=[ISSUED_AT, TIMESTAMP], how="left"
        )
        rows["lead"] = lead_class(rows[ISSUED_AT], rows[TIMESTAMP])
        # A band that is one point holding the outcome (PV at night) is certain, not
        # calibrated: it would count as covered and put its PIT at 0.5.
        rows["certain"] = (rows["q05"] == rows["q95"]) & (rows["q05"] == rows["value"])
        for lead in [DAY_AHEAD, *(label for label, _, _ in LEAD_CLASSES)]:
            group = rows[rows["lead"] == lead]
            if group.empty:
                continue
            scores.append(
                {"variable": variable, "lead": lead, "unit": unit} | _score(group, mape_floor)
            )
            calibrated = group[~group["certain"]]
            y, q = calibrated["value"], calibrated[list(QUANTILE_COLUMNS)]
            share, edges = metrics.pit_histogram(metrics.pit(y, q))
            pits.append(
                pd.DataFrame(
                    {
                        "variable": variable,
                        "lead": lead,
                        "bin_start": edges[:-1],
                        "bin_end": edges[1:],
                        "share": share,
                        "expected": np.diff(edges),
                    }
                )
            )
            reliabilities.append(
                pd.DataFrame(
                    {
                        "variable": variable,
                        "lead": lead,
                        "level": metrics.QUANTILE_LEVELS,
                        "observed": metrics.reliability(y, q),
                    }
                )
            )
    return ForecastReport(
        scores=pd.DataFrame(scores),
        pit=pd.concat(pits, ignore_index=True) if pits else pd.DataFrame(),
        reliability=pd.concat(reliabilities, ignore_index=True)
        if reliabilities
        else pd.DataFrame(),
        household=_household(queries, folder),
    )


def write_report_csv(report: ForecastReport, out: Path | str) -> list[Path]:
    """Write the report's tables as CSV files into the folder ``out``; returns their paths."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name in ("scores", "pit", "reliability", "household"):
        path = out / f"forecast_{name}.csv"
        getattr(report, name).to_csv(path, index=False, float_format="%.6g")
        written.append(path)
    return written
