"""Forecast metrics against hand values and closed forms; the report and CLI on a folder of
synthetic forecasts that are calibrated by construction."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import scoringrules as sr
from scipy import stats
from typer.testing import CliRunner

from vppsim.cli import app
from vppsim.dataset.build import build_dataset
from vppsim.forecast import metrics
from vppsim.forecast.parameters import QUANTILE_COLUMNS, QUANTILE_LEVELS
from vppsim.forecast.report import DAY_AHEAD, forecast_report, lead_class

from .sources import test_registry

Z = stats.norm.ppf(QUANTILE_LEVELS)
runner = CliRunner()


def normal_quantiles(centre, sd) -> np.ndarray:
    return np.asarray(centre, float)[:, None] + np.asarray(sd, float).reshape(-1, 1) * Z


def calibrated(n: int, seed: int, sd: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """Outcomes and N(c, sd) quantiles with y - c ~ N(0, sd): calibrated by construction."""
    rng = np.random.default_rng(seed)
    centre = rng.normal(10.0, 3.0, n)
    y = centre + sd * rng.standard_normal(n)
    return y, normal_quantiles(centre, np.full(n, sd))


def test_point_errors_match_hand_values():
    y, f = np.array([10.0, -4.0, 0.0, np.nan]), np.array([12.0, -2.0, 1.0, 5.0])
    assert metrics.mae(y, f) == pytest.approx(5 / 3)
    assert metrics.bias(y, f) == pytest.approx(5 / 3)
    # MAPE leaves out the zero outcome (and the NaN): (2/10 + 2/4) / 2.
    assert metrics.mape(y, f) == pytest.approx(35.0)
    assert metrics.mape(y, f, min_abs=5.0) == pytest.approx(20.0)
    # sMAPE: 2*2/22, 2*2/6, 2*1/1.
    assert metrics.smape(y, f) == pytest.approx(100 * (4 / 22 + 4 / 6 + 2) / 3)
    assert metrics.smape([0.0], [0.0]) == 0.0
    assert metrics.cv_rmse([2.0, 4.0], [3.0, 3.0]) == pytest.approx(1 / 3)
    assert np.isnan(metrics.cv_rmse([0.0, 0.0], [1.0, 1.0]))


def test_weekly_naive_and_rmae_of_the_naive_forecast_is_one():
    stamps = pd.date_range("2023-08-01", periods=4 * 24 * 21, freq="15min", tz="UTC")
    rng = np.random.default_rng(3)
    outcome = pd.DataFrame({"timestamp": stamps, "lmp": rng.normal(50, 20, len(stamps))})
    target = stamps[stamps >= stamps[0] + pd.Timedelta(days=7)]
    naive = metrics.weekly_naive(outcome, target, "lmp")
    np.testing.assert_array_equal(naive, outcome["lmp"].to_numpy()[: len(target)])
    assert np.isnan(metrics.weekly_naive(outcome, stamps[:1], "lmp")).all()
    y = outcome["lmp"].to_numpy()[-len(target) :]
    assert metrics.rmae(y, naive, naive) == 1.0
    assert metrics.rmae(y, y + 1.0, naive) < 0.1


def test_pinball_and_quantile_crps_by_hand():
    y = np.array([0.0, 1.0])
    q = np.array([[-1.0, 0.0, 1.0], [-1.0, 0.0, 1.0]])
    levels = (0.1, 0.5, 0.9)
    # y=0: 0.1*1, 0, 0.1*1; y=1: 0.1*2, 0.5*1, 0.
    np.testing.assert_allclose(metrics.pinball(y, q, levels), [0.15, 0.25, 0.05])
    np.testing.assert_allclose(metrics.crps_quantiles(y, q, levels), [2 * 0.2 / 3, 2 * 0.7 / 3])


def test_crps_of_normal_quantiles_and_members_against_the_closed_form():
    sd = 2.0
    y, q = calibrated(100_000, seed=1, sd=sd)
    centre = q[:, 3]
    exact = sr.crps_normal(y, centre, sd).mean()
    assert exact == pytest.approx(sd / np.sqrt(np.pi), rel=0.01)
    # The expected pinball loss of a calibrated normal at level a is sd * phi(z_a).
    np.testing.assert_allclose(metrics.pinball(y, q), sd * stats.norm.pdf(Z), rtol=0.02)
    approx = metrics.crps_quantiles(y, q).mean()
    assert approx == pytest.approx(2 * sd * stats.norm.pdf(Z).mean(), rel=0.01)
    assert approx / exact == pytest.approx(0.806, abs=0.01)
    rng = np.random.default_rng(2)
    members = centre[:20_000, None] + sd * rng.standard_normal((20_000, 20))
    assert metrics.crps_members(y[:20_000], members).mean() == pytest.approx(
        sr.crps_normal(y[:20_000], centre[:20_000], sd).mean(), rel=0.02
    )


def test_calibrated_forecast_covers_80_and_90_percent():
    n = 40_000
    y, q = calibrated(n, seed=4)
    for (low, high), nominal in (((1, 5), 0.8), ((0, 6), 0.9)):
        error = 3 * np.sqrt(nominal * (1 - nominal) / n)
        assert abs(metrics.coverage(y, q[:, low], q[:, high]) - nominal) < error
    assert metrics.width(q[:, 1], q[:, 5]) == pytest.approx(2 * stats.norm.ppf(0.9))
    np.testing.assert_allclose(metrics.reliability(y, q), QUANTILE_LEVELS, atol=0.01)
    # Too narrow a band covers too little: the coverage test can fail.
    narrow = normal_quantiles(q[:, 3], np.full(n, 0.5))
    assert metrics.coverage(y, narrow[:, 1], narrow[:, 5]) < 0.6


def _chi_square_p(pit_values: np.ndarray) -> float:
    share, edges = metrics.pit_histogram(pit_values)
    n = len(pit_values)
    return stats.chisquare(share * n, np.diff(edges) * n).pvalue


def test_pit_of_a_calibrated_forecast_is_uniform():
    y, q = calibrated(20_000, seed=5)
    values = metrics.pit(y, q)
    assert values.min() > 0 and values.max() < 1
    assert _chi_square_p(values) > 0.001
    narrow = normal_quantiles(q[:, 3], np.full(len(y), 0.5))
    assert _chi_square_p(metrics.pit(y, narrow)) < 1e-6
    biased = normal_quantiles(q[:, 3] + 0.3, np.ones(len(y)))
    assert _chi_square_p(metrics.pit(y, biased)) < 1e-6


def test_pit_by_hand_tails_and_flat_stretches():
    q = np.array([[0.0, 1, 2, 3, 4, 5, 6]] * 4 + [[0.0] * 7])
    y = np.array([-1.0, 2.5, 6.5, 3.0, 0.0])
    # Below q05: the middle of the lower tail; between q25 and q50 halfway; above q95; at
    # q50; a point forecast holding the outcome spans every level.
    np.testing.assert_allclose(metrics.pit(y, q), [0.025, 0.375, 0.975, 0.5, 0.5])


def test_climatology_uses_only_outcomes_known_at_issue_time():
    tz = "America/Los_Angeles"
    stamps = pd.date_range("2023-07-25", "2023-08-20", freq="15min", tz="UTC", inclusive="left")
    rng = np.random.default_rng(6)
    outcome = pd.DataFrame({"timestamp": stamps, "value": rng.normal(size=len(stamps))})
    issued = pd.Timestamp("2023-08-10 17:00", tz="UTC")  # 10:00 local
    targets = pd.date_range("2023-08-11 07:00", periods=96, freq="15min", tz="UTC")
    keys = pd.DataFrame({"issued_at": issued, "timestamp": targets, "variable": "x"})
    interval = pd.Timedelta(minutes=15)
    clim = metrics.climatological_quantiles(outcome, keys, "value", tz, interval)
    assert list(clim.columns) == ["issued_at", "timestamp", "variable", *QUANTILE_COLUMNS]
    # By hand: the target's local hour in August, over outcomes ended by the issue time.
    local = stamps.tz_convert(tz)
    target_local = targets[0].tz_convert(tz)
    past = (local.hour == target_local.hour) & (local.month == 8) & (stamps + interval <= issued)
    expected = np.quantile(outcome["value"][past], QUANTILE_LEVELS, method="weibull")
    np.testing.assert_allclose(clim.loc[0, list(QUANTILE_COLUMNS)].to_numpy(float), expected)
    # Change every outcome from the issue time on: the climatology does not move.
    future = outcome.copy()
    future.loc[future["timestamp"] >= issued - interval + pd.Timedelta(seconds=1), "value"] = 1e6
    again = metrics.climatological_quantiles(future, keys, "value", tz, interval)
    assert again.to_parquet() == clim.to_parquet()
    # Before a month holds enough history, there is none.
    early = keys.assign(issued_at=pd.Timestamp("2023-08-01 08:00", tz="UTC"))
    assert (
        metrics.climatological_quantiles(outcome, early, "value", tz, interval)[
            list(QUANTILE_COLUMNS)
        ]
        .isna()
        .all(axis=None)
    )


def test_lead_classes():
    issued = pd.DatetimeIndex(["2023-08-01 17:00"] * 4, tz="UTC")
    stamps = issued + pd.to_timedelta([0.0, 2.0, 7.75, 14.0], unit="h")
    assert list(lead_class(issued, stamps)) == [
        "intraday 0-2 h",
        "intraday 2-4 h",
        "intraday 4-8 h",
        DAY_AHEAD,
    ]


# -- the report and the CLI over a dataset folder ------------------------------------------

TZ = "America/Los_Angeles"


def _rows(outcome: pd.Series, issued_at, stamps, sd, rng, variable) -> pd.DataFrame:
    """Calibrated quantile rows: centre = outcome + N(0, sd), quantiles of N(centre, sd)."""
    y = outcome.reindex(stamps).to_numpy()
    centre = y + sd * rng.standard_normal(len(y))
    frame = pd.DataFrame(normal_quantiles(centre, sd), columns=list(QUANTILE_COLUMNS))
    frame.insert(0, "variable", variable)
    frame.insert(0, "timestamp", stamps)
    frame.insert(0, "issued_at", issued_at)
    return frame


def _da_runs(stamps: pd.DatetimeIndex):
    """(issued_at, that day's timestamps) of each day-ahead run after the first day."""
    local = stamps.tz_convert(TZ)
    for day in sorted(set(local.date))[1:]:
        issued = pd.Timestamp(f"{day - pd.Timedelta(days=1)} 10:00").tz_localize(TZ)
        yield issued.tz_convert("UTC"), stamps[local.date == day]


@pytest.fixture(scope="module")
def forecast_folder(tmp_path_factory) -> Path:
    """A ten-day, twelve-home dataset with calibrated synthetic forecasts in the contract
    layout; ``da_lmp`` is forecast by its weekly naive value (so its rMAE is 1)."""
    from vppsim.config import load_settings

    out = tmp_path_factory.mktemp("fc") / "data"
    # Outcomes only: the forecasts are this fixture's own, in the files' layout.
    values = {
        "start": "2023-08-01",
        "end": "2023-08-10",
        "homes": 12,
        "out": out,
        "datasets": ["market", "load", "pv", "solar", "system"],
    }
    build_dataset(load_settings(values, env_file=None), test_registry())
    market = pd.read_parquet(out / "parquet" / "market.parquet").set_index("timestamp")
    load = pd.concat(pd.read_parquet(p) for p in sorted((out / "parquet" / "load").glob("*")))
    fleet = load.groupby("timestamp")["load_kw"].sum()
    stamps = market.index
    rng = np.random.default_rng(7)
    price, load_rows, homes, members = [], [], [], []
    for issued, day in _da_runs(stamps):
        price.append(_rows(market["lmp"], issued, day, 3.0, rng, "lmp"))
        naive = market["da_lmp"].reindex(day - pd.Timedelta(days=7)).to_numpy()
        flat = pd.DataFrame({c: naive for c in QUANTILE_COLUMNS})
        price.append(
            pd.concat(
                [_rows(market["lmp"], issued, day, 1, rng, "da_lmp").iloc[:, :3], flat], axis=1
            )
        )
        load_rows.append(_rows(fleet, issued, day, 0.05 * fleet.mean(), rng, "fleet_load_kw"))
        centre = market["lmp"].reindex(day).to_numpy() + 3.0 * rng.standard_normal(len(day))
        for member in range(20):
            members.append(
                pd.DataFrame(
                    {
                        "issued_at": issued,
                        "member": member,
                        "timestamp": day,
                        "lmp": centre + 3.0 * rng.standard_normal(len(day)),
                    }
                )
            )
        for home, series in load.groupby("home_id"):
            own = series.set_index("timestamp")["load_kw"]
            homes.append(
                _rows(own, issued, day, 0.3, rng, "load_kw").assign(
                    q50=lambda f, own=own, day=day: (
                        own.reindex(day).to_numpy() * (1 + 0.5 * rng.standard_normal(len(day)))
                    ),
                    home_id=home,
                )
            )
    for hour in stamps[::4][24:-8]:
        price.append(_rows(market["lmp"], hour, stamps[(stamps >= hour)][:32], 3.0, rng, "lmp"))
    folder = out / "forecasts"
    (folder / "home_load").mkdir(parents=True)
    pd.concat(price).to_parquet(folder / "price_forecasts.parquet")
    pd.concat(load_rows).to_csv(
        folder / "load_forecasts.csv", index=False, date_format="%Y-%m-%dT%H:%M:%SZ"
    )
    pd.concat(members).to_parquet(folder / "members.parquet")
    pd.concat(homes).to_parquet(folder / "home_load" / "part-00000.parquet")
    return out


def test_report_scores_calibrated_forecasts(forecast_folder):
    report = forecast_report(forecast_folder)
    scores = report.scores.set_index(["variable", "lead"])
    assert set(scores.index) == {
        ("lmp", DAY_AHEAD),
        ("lmp", "intraday 0-2 h"),
        ("lmp", "intraday 2-4 h"),
        ("lmp", "intraday 4-8 h"),
        ("da_lmp", DAY_AHEAD),
        ("fleet_load_kw", DAY_AHEAD),
    }
    lmp = scores.loc[("lmp", DAY_AHEAD)]
    assert lmp["n"] == 9 * 96 and lmp["unit"] == "$/MWh"
    assert abs(lmp["coverage_80"] - 0.8) < 0.06 and abs(lmp["coverage_90"] - 0.9) < 0.05
    assert lmp["width_80"] == pytest.approx(2 * 3.0 * stats.norm.ppf(0.9))
    assert lmp["skill"] > 0 and lmp["crps"] < lmp["crps_climatology"]
    # Members of sd 3 around a centre of error sd 3: fair CRPS of N(c, 3), about 3/sqrt(pi).
    assert lmp["crps_members"] == pytest.approx(3.0 / np.sqrt(np.pi), rel=0.15)
    assert scores.loc[("da_lmp", DAY_AHEAD), "rmae"] == pytest.approx(1.0)
    assert scores.loc[("da_lmp", DAY_AHEAD), "n"] == 9 * 96
    assert np.isnan(scores.loc[("fleet_load_kw", DAY_AHEAD), "rmae"])
    pit = report.pit[(report.pit["variable"] == "lmp") & (report.pit["lead"] == DAY_AHEAD)]
    assert len(pit) == 8 and pit["share"].sum() == pytest.approx(1.0)
    assert len(report.reliability) == 6 * len(QUANTILE_LEVELS)
    household = report.household.set_index("homes")
    assert list(household.index) == [1, 10, 12]
    assert list(household["groups"]) == [12, 1, 1]
    # Independent home errors shrink in sums.
    assert household["cv_rmse_median"].is_monotonic_decreasing
    assert forecast_report(forecast_folder).scores.equals(report.scores)


def test_cli_forecast_report(forecast_folder, tmp_path):
    result = runner.invoke(
        app, ["forecast-report", str(forecast_folder), "--csv", str(tmp_path / "t")]
    )
    assert result.exit_code == 0, result.output
    assert "rMAE 0.37-0.60" in result.output and "CV-RMSE" in result.output
    assert "MAE" in result.output and "CRPS" in result.output and "skill" in result.output
    written = pd.read_csv(tmp_path / "t" / "forecast_scores.csv")
    assert len(written) == 6 and "skill" in written


def test_cli_forecast_report_without_forecasts(small_settings):
    settings = small_settings(datasets=["market", "load"])
    build_dataset(settings, test_registry())
    result = runner.invoke(app, ["forecast-report", str(settings.out)])
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        f"error: {settings.out} has no forecasts: no forecasts/*_forecasts.parquet or .csv"
    )


def test_report_leaves_out_variables_whose_outcome_is_missing(forecast_folder, tmp_path):
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(forecast_folder, copy)
    (copy / "parquet" / "market.parquet").unlink()
    (copy / "market_data.csv").unlink()
    report = forecast_report(copy)
    assert "fleet_load_kw" in set(report.scores["variable"])
    assert not {"lmp", "da_lmp"} & set(report.scores["variable"])
