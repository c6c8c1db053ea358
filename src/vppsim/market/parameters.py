"""The synthetic price model's knobs: what a user may change without refitting.

The fitted tables (heat-rate quantiles by residual load, the oversupply and scarcity regimes,
the latent's dynamics) stay in ``calibrated.json``
(:class:`vppsim.market.synthetic.MarketCalibration`); these are the documented choices around
them. Every default reproduces the shipped model.
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
    """Knobs of the structural CAISO price model (:func:`vppsim.market.synthetic.simulate_prices`).

    The energy knobs move the causes of prices (hydro, storage, GHG cost, the propensity to
    scarcity and oversupply); the gas price itself is a column of the ``system`` dataset.
    The yearly price level is an outcome of gas, load, hydro and storage; ``price_level``
    only overrides it. Defaults reproduce the shipped model (fitted on 2022).

    Examples
    --------
    >>> MarketParameters(scarcity_propensity=2.0, storage_mw=20000.0)  # tighter, more storage
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    price_level: float | None = Field(
        None,
        gt=0.0,
        le=20.0,
        description="Optional multiplier of all positive energy prices [1]. None: the level "
        "follows from gas, load, hydro and storage (the structural model).",
    )
    price_floor: float = Field(
        -150.0,
        ge=-10000.0,
        le=0.0,
        description="Energy price floor [$/MWh] (CAISO's -$150 bid floor, tariff 39.6.1).",
    )
    price_cap: float = Field(
        2000.0,
        gt=0.0,
        le=100000.0,
        description="Energy price cap [$/MWh] (CAISO's $2,000 hard energy bid cap, FERC Order "
        "831).",
    )
    scarcity_propensity: float = Field(
        1.0,
        ge=0.0,
        le=100.0,
        description="Multiplier of the odds of the scarcity regime [1] (2: twice the odds at "
        "the same residual load and ramp; 0: no scarcity).",
    )
    oversupply_propensity: float = Field(
        1.0,
        ge=0.0,
        le=100.0,
        description="Multiplier of the odds of an oversupply (negative) price [1] at the same "
        "residual load (curtailment bids, export limits).",
    )
    oversupply_depth: float = Field(
        1.0,
        ge=0.0,
        le=3.0,
        description="Deepening of negative prices with the oversupply [1]: where the "
        "oversupply odds exceed 1, negative prices are multiplied by odds ** this (2022's "
        "negatives, fitted, are shallow: median -$3; CAISO's TH_SP15 day-ahead midday means "
        "of -$25 to -$30 in Mar-Apr 2024 need deeper ones; 1.0 gives the smallest error over "
        "the 2024-2025 monthly midday means of 0.3-2.0 tried).",
    )
    hydro_scale: float = Field(
        1.0,
        ge=0.0,
        le=5.0,
        description="Multiplier of the hydro output [1] (a wet year: about 1.5 of 2022's; the "
        "sourced monthly table is in calibrated.json).",
    )
    hydro_mw: float | None = Field(
        None,
        ge=0.0,
        le=20000.0,
        description="Constant hydro output [MW] instead of the system frame's ``hydro_mw`` or "
        "the sourced monthly table (then times ``hydro_scale``).",
    )
    storage_mw: float | None = Field(
        None,
        ge=0.0,
        le=100000.0,
        description="Installed battery power in the CAISO balancing area [MW]. None: the "
        "sourced capacity on each day (vppsim.market.synthetic.STORAGE_MW).",
    )
    storage_hours: float = Field(
        4.0,
        gt=0.0,
        le=24.0,
        description="Battery energy per power [h] (CAISO's fleet is mostly 4-hour).",
    )
    storage_efficiency: float = Field(
        0.85,
        gt=0.0,
        le=1.0,
        description="Battery round-trip efficiency [1] (lithium-ion, AC-AC, NREL ATB ~0.85).",
    )
    storage_availability: float = Field(
        0.5,
        ge=0.0,
        le=1.0,
        description="Share of the installed battery power whose daily shift moves the price "
        "[1]: calibrated on CAISO's 2024-2025 TH_SP15 day-ahead evening means (0.3-0.75 "
        "tried; 0.5 gives the smallest error). Batteries bid their opportunity cost and keep "
        "some power for ancillary services, so they flatten prices less than their power "
        "(CAISO's discharge record: 8,354 MW on 7 Oct 2024 with about 11 GW installed).",
    )
    ghg_price: float | None = Field(
        None,
        ge=0.0,
        le=500.0,
        description="GHG allowance price [$/tCO2e]. None: the year's CARB auction settlement "
        "price (vppsim.market.synthetic.GHG_PRICE).",
    )
    reference_peak_mw: float = Field(
        46000.0,
        gt=0.0,
        le=200000.0,
        description="System demand the scarcity regime measures tightness against [MW] "
        "(CAISO's typical annual peak: 43,982 MW in 2021, 44,534 MW in 2023; record 52,061 MW "
        "on 6 Sep 2022).",
    )
    residual_scale: float = Field(
        1.0,
        ge=0.0,
        le=5.0,
        description="Multiplier of the standard deviation of the price latent's random part "
        "[1] (day level and 15-min residual; 0: prices at each hour's conditional median).",
    )
    da_forecast_error: float = Field(
        0.5,
        ge=0.0,
        le=1.0,
        description="Share of the day-level residual's variance the day-ahead market does "
        "not anticipate [1] (the rest it prices in).",
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
