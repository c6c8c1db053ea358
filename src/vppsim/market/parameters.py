"""The synthetic price model's knobs: what a user may change without refitting.

The fitted tables (price quantiles by month and hour, regime dynamics, spike statistics) stay
in ``calibrated.json`` (:class:`vppsim.market.synthetic.MarketCalibration`); these are the
documented choices around them. Every default reproduces the shipped model.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator


class AncillaryParameters(BaseModel):
    """One ancillary-service product: a lognormal process around its hourly median profile
    (:data:`vppsim.market.synthetic.AS_PROFILES`), coupled to the energy latent, jumping to a
    scarcity price during energy spikes."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    median_scale: float = Field(
        1.0, ge=0.0, le=100.0, description="Multiplier of the hourly median profile [1]."
    )
    log_std: float = Field(
        0.6, ge=0.0, le=3.0, description="Standard deviation of the log price [1]."
    )
    energy_coupling: float = Field(
        0.45,
        ge=-1.0,
        le=1.0,
        description="Correlation of the product's latent with the energy latent [1] (negative: "
        "dear when energy is cheap).",
    )
    scarcity_scale: float = Field(
        25.0,
        ge=0.0,
        le=10000.0,
        description="Scarcity price during a $250/MWh energy spike [$/MW-h] (0: no scarcity "
        "jumps); it grows with the spike's size to the power 0.8.",
    )


class MarketParameters(BaseModel):
    """Knobs of the synthetic CAISO price model (:func:`vppsim.market.synthetic.simulate_prices`).

    Notes
    -----
    Why the defaults (none can be fitted on the shared data):

    * ``heat_latent_per_c``: there is no 2022 temperature series at Alamitos; 0.15 makes a
      +5 degC heat day move summer evening prices up by about 0.75 of a normal score (+25-30 %
      in August).
    * ``spike_day_heat_weight``: a day 2 standard deviations hotter than normal in August
      (about +5 degC) is a spike day with probability ~0.6 instead of ~0.25.
    * ``spike_day_level_weight``: spike days are days of high prices and come in runs (Aug 6-11
      and Aug 28-31 2022), as the day level persists.
    * ``spike_size_day_weight``: the hottest days of a heat wave (Sep 5-8 2022, at the cap)
      have the biggest spikes.
    * ``spike_level_exponent``: at the 2023 level, typical weather gives about 0.4 % of August
      intervals above $250 (0-1.9 % across simulated years), between the two 2023 references:
      0.17 % at MIL1_3_PASGNODE and 1.54 % of CAISO's FMM DLAP prices.
    * The AS knobs are assumptions at the levels of CALIBRATION.md (no real AS series in the
      shared references).

    Examples
    --------
    >>> MarketParameters(price_level=1.0, as_level_exponent=1.0)  # 2022 prices, AS in step
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    price_level: float | None = Field(
        None,
        gt=0.0,
        le=20.0,
        description="Multiplier of all positive prices [1] (1.0: 2022 outside its December gas "
        "crisis). None: each year's sourced level (PRICE_LEVELS; years beyond them hold the "
        "nearest year's level) and the fitted level of known event months.",
    )
    price_floor: float = Field(
        -150.0, ge=-10000.0, le=0.0, description="Energy price floor (bid floor) [$/MWh]."
    )
    price_cap: float = Field(
        2000.0, gt=0.0, le=100000.0, description="Energy price cap (hard bid cap) [$/MWh]."
    )
    heat_latent_per_c: float = Field(
        0.15,
        ge=0.0,
        le=2.0,
        description="Shift of the energy latent per degC of daily-max temperature anomaly "
        "[1/degC], at full hour and season weight (+5 degC moves a summer evening from the "
        "month's median to about its 77th percentile).",
    )
    spike_day_heat_weight: float = Field(
        0.6,
        ge=0.0,
        le=1.0,
        description="Weight of the day's standardised heat anomaly in the spike-day latent [1].",
    )
    spike_day_level_weight: float = Field(
        0.7,
        ge=0.0,
        le=1.0,
        description="Weight of the energy regime's day level in the spike-day latent [1] "
        "(spike days come in runs).",
    )
    spike_latent_coupling: float = Field(
        1.0,
        ge=0.0,
        le=5.0,
        description="Within a spike day, log-increase of the episode start probability per "
        "unit of the energy latent [1] (episodes start where prices are already high).",
    )
    spike_size_day_weight: float = Field(
        0.7,
        ge=0.0,
        le=1.0,
        description="Correlation of a spike's size with how tight the day is [1].",
    )
    spike_level_exponent: float = Field(
        0.3,
        ge=0.0,
        le=2.0,
        description="Spike prices scale with level ** this [1] (scarcity follows bid caps more "
        "than gas).",
    )
    spike_jitter: float = Field(
        0.25,
        ge=0.0,
        le=2.0,
        description="Standard deviation of the log price around an episode's price [1].",
    )
    spike_jitter_autocorrelation: float = Field(
        0.85,
        ge=0.0,
        lt=1.0,
        description="Lag-1 (15-min) autocorrelation of that jitter [1].",
    )
    spike_shoulder: float = Field(
        0.35,
        ge=0.0,
        le=1.0,
        description="Share of the way from the base price to the episode price that the "
        "intervals just before and after an episode rise [1].",
    )
    spike_base_floor: float = Field(
        1.2,
        ge=1.0,
        le=10.0,
        description="A spike interval is at least this many times the base price [1].",
    )
    as_level_exponent: float = Field(
        0.5,
        ge=0.0,
        le=2.0,
        description="Ancillary-service prices scale with level ** this [1] (opportunity costs "
        "follow energy margins only in part).",
    )
    as_daily_weight: float = Field(
        0.4,
        ge=0.0,
        le=1.0,
        description="Variance share of the day-to-day component of each AS latent [1].",
    )
    as_daily_autocorrelation: float = Field(
        0.6, ge=0.0, lt=1.0, description="Lag-1 day autocorrelation of that component [1]."
    )
    as_interval_autocorrelation: float = Field(
        0.95,
        ge=0.0,
        lt=1.0,
        description="Lag-1 (15-min) autocorrelation of the rest of each AS latent [1].",
    )
    as_scarcity_spread: float = Field(
        0.4,
        ge=0.0,
        le=3.0,
        description="Log standard deviation of an AS scarcity price around its scale [1].",
    )
    as_cap: float = Field(10000.0, gt=0.0, le=1e6, description="Cap on every AS price [$/MW-h].")
    spin: AncillaryParameters = Field(
        AncillaryParameters(log_std=0.6, energy_coupling=0.45, scarcity_scale=25.0),
        description="Spinning reserve (spin_price) [$/MW-h].",
    )
    nonspin: AncillaryParameters = Field(
        AncillaryParameters(log_std=1.0, energy_coupling=0.45, scarcity_scale=8.0),
        description="Non-spinning reserve (nonspin_price) [$/MW-h].",
    )
    regup: AncillaryParameters = Field(
        AncillaryParameters(log_std=0.55, energy_coupling=0.4, scarcity_scale=30.0),
        description="Regulation up (regup_price) [$/MW-h].",
    )
    regdown: AncillaryParameters = Field(
        AncillaryParameters(log_std=0.55, energy_coupling=-0.3, scarcity_scale=0.0),
        description="Regulation down (regdown_price) [$/MW-h].",
    )

    @model_validator(mode="before")
    @classmethod
    def _products_from_their_defaults(cls, data: Any) -> Any:
        """A product given in part (``[market.nonspin] median_scale = 2``) keeps the rest of
        its own defaults, not the generic ones of :class:`AncillaryParameters`."""
        if not isinstance(data, dict):
            return data
        merged = dict(data)
        for name in ("spin", "nonspin", "regup", "regdown"):
            given = data.get(name)
            if isinstance(given, dict):
                default = cls.model_fields[name].default.model_dump()
                merged[name] = {**default, **given}
        return merged
