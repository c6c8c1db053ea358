"""The forecast ensemble's knobs: issue schedule, ensemble size and weather forecast errors.

Errors are stated in the standardised anomaly space of :mod:`vppsim.forecast.weather` (units
of the study's own spread of each variable by local hour of day), where a member and the truth
are both the central forecast plus ``sigma(lead) * N(0, 1)``; ``sigma`` is also the standard
deviation of the central forecast's error in those units (:func:`vppsim.forecast.weather.
anomaly_members`).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator

QUANTILE_LEVELS = (0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95)
"""Probability levels of every forecast table (the contract's q05..q95)."""
QUANTILE_COLUMNS = ("q05", "q10", "q25", "q50", "q75", "q90", "q95")
"""Column names of :data:`QUANTILE_LEVELS`, in the same order."""


class ForecastError(BaseModel):
    """A forecast error growing with lead time and persisting along the target day.

    ``sigma(lead) = min(sigma_at_issue + sigma_per_h * lead, sigma_max)`` [standardised units];
    the error is a unit AR(1) along each target day with lag-one coefficient
    ``step_autocorrelation`` per 15 minutes (``** (interval / 15 min)`` on other grids).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    sigma_at_issue: float = Field(
        ..., ge=0.0, lt=1.0, description="Error sd at lead 0 [standardised units]."
    )
    sigma_per_h: float = Field(
        ..., ge=0.0, le=0.2, description="Growth of the error sd per hour of lead [1/h]."
    )
    sigma_max: float = Field(
        0.95,
        gt=0.0,
        lt=1.0,
        description="Cap of the error sd [standardised units]: below 1, so the central "
        "forecast keeps some skill (its weight on the truth is 1 - sigma^2).",
    )
    step_autocorrelation: float = Field(
        ...,
        ge=0.0,
        lt=1.0,
        description="Lag-one autocorrelation of the error per 15-min interval [1].",
    )


class ForecastParameters(BaseModel):
    """Knobs of the forecast ensemble.

    Notes
    -----
    Leads of the day-ahead run are 14-38 h (issued 10:00 local the day before, targets 00:00
    to 24:00 of the next day), so the defaults below put the day-ahead error sd at about
    ``sigma_at_issue + 26 h * sigma_per_h`` on average. The figures behind them are
    *recalled* from the literature, not re-derived here:

    * Temperature: day-ahead 2-m temperature forecasts of operational NWP (ECMWF HRES,
      NOAA GFS/NAM MOS) have RMSE about 1.5-2 K (ECMWF, "Headline scores of the ECMWF
      medium-range forecast", recalled; NOAA MDL MOS verification, recalled). LA-basin August
      temperature by local hour has a spread of about 2.5-3 K over a month, hence a day-ahead
      error of about 0.6 in standardised units. Errors persist for half a day or more.
    * Clear-sky index: day-ahead NWP GHI forecasts in the US South-West have RMSE about
      20-30 % of mean GHI and a correlation with the truth of about 0.6-0.75 on hourly
      anomalies (R. Perez et al., "Comparison of numerical weather prediction solar irradiance
      forecasts in the US, Canada and Europe", Solar Energy 94, 2013; E. Lorenz et al.,
      "Irradiance forecasting for the power prediction of grid-connected photovoltaic
      systems", IEEE JSTARS 2(1), 2009; recalled). In the normal-score space the central
      forecast's correlation with the truth is ``sqrt(1 - sigma^2)``, so ``sigma`` about 0.7.
    * System wind: CAISO's day-ahead wind forecast against actual has a mean absolute error
      of about 6.6 % of installed capacity for SP15 and 11 % for NP15 (the project's
      calibration notes, CALIBRATION.md "Forecast errors", from CAISO's day-ahead and actual
      renewables reports); with a capacity-factor spread of about 0.2 that is an RMSE of
      about 0.4-0.6 sd.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    members: int = Field(
        20,
        ge=19,
        le=1000,
        description="Ensemble members [1]. At least 19, so the Weibull plotting positions "
        "k / (M + 1) reach 0.05 and 0.95: with fewer members p05 and p95 fall outside the "
        "members' range and are not defined.",
    )
    da_issue_hour: int = Field(
        10,
        ge=0,
        le=23,
        description="Local clock hour of the day-ahead run, on the day before the target "
        "day [h]. CAISO's day-ahead market closes to bids at 10:00 Pacific the day before "
        "the trading day (CAISO, Business Practice Manual for Market Operations, section "
        "'Day-Ahead Market timeline', recalled), so a participant's forecast is made by then.",
    )
    intraday_every_h: int = Field(
        1, ge=1, le=24, description="Hours between intraday runs (on the UTC hour) [h]."
    )
    intraday_horizon_h: int = Field(8, ge=1, le=48, description="Horizon of each intraday run [h].")
    temperature: ForecastError = Field(
        ForecastError(sigma_at_issue=0.3, sigma_per_h=0.012, step_autocorrelation=0.98),
        description="Air-temperature error, in sd of the study's temperature by local hour: "
        "about 0.6 (1.5-2 K) at the day-ahead leads; lag-one 0.98 per 15 min is an "
        "e-folding time of about 12 h.",
    )
    clearsky_index: ForecastError = Field(
        ForecastError(sigma_at_issue=0.5, sigma_per_h=0.008, step_autocorrelation=0.965),
        description="Clear-sky-index error, in normal scores: about 0.7 at the day-ahead "
        "leads; e-folding about 7 h (cloud systems, the marine layer). The persistence sets "
        "how uncertain a day's mean sky is in the members, which CAISO's solar fleet follows: "
        "0.965 puts the day-ahead p10-p90 coverage of solar_mw at 0.81 on synthetic 2022 "
        "and 2024 (0.95: 0.77-0.79; 0.98: 0.82-0.84).",
    )
    wind: ForecastError = Field(
        ForecastError(sigma_at_issue=0.2, sigma_per_h=0.006, step_autocorrelation=0.97),
        description="System wind-resource error, in normal scores: about 0.35 at the "
        "day-ahead leads, so vppsim's operator wind forecast errs by about 4-5 % of "
        "capacity (CAISO's hub sum: 4.3 % in 2022, 3.4 % in 2023; SP15 6.6 %); e-folding "
        "about 8 h.",
    )
    demand: ForecastError = Field(
        ForecastError(sigma_at_issue=0.5, sigma_per_h=0.01, step_autocorrelation=0.99),
        description="Error on the system demand's departure from what the study's weather "
        "and calendar explain (CAISO's load-weighted weather over the whole footprint, "
        "economic activity: what the operator's own forecast sees and one site's weather "
        "does not), in normal scores: about 0.75 at the day-ahead leads, chosen so "
        "vppsim's operator demand forecast errs by a MAPE near CAISO's 3.6-5.5 % "
        "(2022-2023, `vppsim calibrate --part forecasts`); errors persist for a day.",
    )

    @model_validator(mode="after")
    def _runs_use_only_issued_members(self) -> ForecastParameters:
        # An intraday run reuses the day-ahead members of its targets: a target on the next
        # local day needs that day's run issued before the intraday one, which holds for
        # every run when the horizon does not reach past midnight of a run issued before
        # da_issue_hour, on a 23-hour (spring-forward) day too.
        if self.intraday_horizon_h + self.da_issue_hour > 23:
            raise ValueError(
                f"intraday_horizon_h={self.intraday_horizon_h} with da_issue_hour="
                f"{self.da_issue_hour}: an intraday run would use day-ahead members issued "
                f"after it (keep intraday_horizon_h <= {23 - self.da_issue_hour})"
            )
        if 24 % self.intraday_every_h:
            raise ValueError(
                f"intraday_every_h={self.intraday_every_h}: must divide 24, so runs keep the "
                "same hours every day"
            )
        return self
