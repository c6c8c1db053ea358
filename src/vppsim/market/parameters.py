"""The synthetic price model's knobs: what a user may change without refitting.

The fitted tables (heat-rate quantiles by residual load, the oversupply and scarcity regimes,
the latent's dynamics) stay in ``calibrated.json``
(:class:`vppsim.market.synthetic.MarketCalibration`); these are the documented choices around
them. Every default reproduces the shipped model.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

ANCILLARY_PRODUCTS = ("spin", "nonspin", "regup", "regdown")
"""The ancillary-service products, in the order their random draws are made."""


class AncillaryProductParameters(BaseModel):
    """One day-ahead ancillary-service product of :func:`vppsim.market.ancillary.ancillary_prices`.

    The hour's price is ``level`` times the gas, storage and net-load factors of
    :class:`AncillaryServicesParameters`, times ``exp(net_load_coefficient * (share - reference
    share) + ramp_up_coefficient * up + ramp_down_coefficient * down)``, times a mean-one
    lognormal latent, plus ``scarcity_price * scarcity`` (see the module docstring). The
    field defaults are neutral; each shipped product's are those of its field in
    :class:`AncillaryServicesParameters`.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    level: float = Field(
        1.0,
        ge=0.0,
        le=1000.0,
        description="Mean price at the reference conditions [$/MW-h]: net load at the "
        "reference share of the peak and flat, reference gas and storage, no scarcity.",
    )
    net_load_coefficient: float = Field(
        0.0,
        ge=-20.0,
        le=20.0,
        description="Log-change of the price per unit of net load over the reference peak [1] "
        "(negative: dear when net load is low, as regulation down at midday oversupply).",
    )
    ramp_up_coefficient: float = Field(
        0.0,
        ge=-5.0,
        le=5.0,
        description="Log-change per reference ramp of rising net load [1] (the evening ramp).",
    )
    ramp_down_coefficient: float = Field(
        0.0,
        ge=-5.0,
        le=5.0,
        description="Log-change per reference ramp of falling net load [1] (the morning solar "
        "ramp).",
    )
    storage_elasticity: float = Field(
        0.0,
        ge=0.0,
        le=10.0,
        description="Price falls as installed storage ** -this [1]: batteries offer reserves "
        "at near-zero opportunity cost while they hold charge for the evening.",
    )
    log_std: float = Field(
        0.5, ge=0.0, le=3.0, description="Standard deviation of the log price latent [1]."
    )
    common_weight: float = Field(
        0.5,
        ge=-1.0,
        le=1.0,
        description="Correlation of the product's latent with the latent shared by all "
        "products [1] (a tight day makes every upward reserve dear).",
    )
    scarcity_price: float = Field(
        0.0,
        ge=0.0,
        le=10000.0,
        description="Price added at scarcity 1 [$/MW-h], in proportion to the scarcity input "
        "and spread by the product's latent (0: no scarcity jumps).",
    )


class AncillaryServicesParameters(BaseModel):
    """Knobs of the day-ahead ancillary-service model (:mod:`vppsim.market.ancillary`).

    Notes
    -----
    Sources and calibration:

    * ``reference_gas_usd_per_mmbtu``, ``reference_storage_mw`` and
      ``reference_peak_net_load_mw`` are 2024's: mean power-plant gas price
      (``reference/market/gas/``, through :func:`vppsim.system.reference.reference_drivers`),
      mean of :data:`vppsim.market.storage.STORAGE_MW` over 2024, and peak hourly
      net load (EIA-930 demand less solar and wind).
    * Each product's ``level`` and ``storage_elasticity`` are calibrated on CAISO's published
      2024 and 2025 day-ahead annual means
      (``reference/market/summaries/caiso_as_dam_price_annual_means_2024-2025.csv``) driven by
      the real 2024-2025 hourly drivers: the elasticity so that the storage built in 2025
      (+45 % on the year's mean) brings the 2025/2024 ratio (spin 0.40, non-spin 0.39, reg up
      0.77, reg down 0.90) while gas rose 18 %; the level so that the two years' means are
      met on geometric average. With two years the elasticity is identified, not validated.
    * The net-load and ramp coefficients, spreads and scarcity prices are assumptions shaped
      on CALIBRATION.md: non-spin cents to about $1 most hours, spin a few dollars, both
      jumping on evening net-load peaks and scarcity; reg down dearest at midday oversupply.
    * ``cap``: CAISO's maximum ancillary-service bid, $250/MW-h (tariff section 39.6.1).
      AS bids are non-negative, so prices are too.

    Examples
    --------
    >>> AncillaryServicesParameters(level_exponent=1.0)  # AS follow gas one for one
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    level_exponent: float = Field(
        0.5,
        ge=0.0,
        le=2.0,
        description="AS prices scale with (gas price / reference gas price) ** this [1]: "
        "the opportunity cost of holding capacity back follows energy margins only in part.",
    )
    reference_gas_usd_per_mmbtu: float = Field(
        3.62, gt=0.0, le=100.0, description="Gas price at which levels apply [$/MMBtu]."
    )
    reference_storage_mw: float = Field(
        9280.0, gt=0.0, le=1e6, description="Storage at which levels apply [MW]."
    )
    reference_peak_net_load_mw: float = Field(
        43100.0,
        gt=0.0,
        le=1e6,
        description="Peak net load the net-load share is taken of [MW] (2024's hourly peak).",
    )
    reference_net_load_share: float = Field(
        0.4,
        ge=0.0,
        le=2.0,
        description="Share of the reference peak at which levels apply [1] (2024's mean net "
        "load is 0.42 of its peak).",
    )
    reference_ramp_mw_per_h: float = Field(
        5000.0,
        gt=0.0,
        le=1e5,
        description="Net-load ramp of one unit of the ramp coefficients [MW/h] (2024's "
        "hourly ramps reach 7,200 MW/h at their 99th percentile).",
    )
    daily_weight: float = Field(
        0.4,
        ge=0.0,
        le=1.0,
        description="Variance share of the day-to-day component of each AS latent [1].",
    )
    daily_autocorrelation: float = Field(
        0.6, ge=0.0, lt=1.0, description="Lag-1 day autocorrelation of that component [1]."
    )
    hourly_autocorrelation: float = Field(
        0.8,
        ge=0.0,
        lt=1.0,
        description="Lag-1 hour autocorrelation of the rest of each AS latent [1].",
    )
    scarcity_spread: float = Field(
        0.4,
        ge=0.0,
        le=3.0,
        description="Log standard deviation of a scarcity price around its scale [1].",
    )
    cap: float = Field(250.0, gt=0.0, le=1e6, description="Cap on every AS price [$/MW-h].")
    spin: AncillaryProductParameters = Field(
        AncillaryProductParameters(
            level=1.24,
            net_load_coefficient=3.0,
            ramp_up_coefficient=0.8,
            ramp_down_coefficient=0.0,
            storage_elasticity=2.33,
            log_std=0.7,
            common_weight=0.8,
            scarcity_price=150.0,
        ),
        description="Spinning reserve (spin_price) [$/MW-h].",
    )
    nonspin: AncillaryProductParameters = Field(
        AncillaryProductParameters(
            level=1.063,
            net_load_coefficient=4.0,
            ramp_up_coefficient=0.6,
            ramp_down_coefficient=0.0,
            storage_elasticity=2.12,
            log_std=1.1,
            common_weight=0.7,
            scarcity_price=100.0,
        ),
        description="Non-spinning reserve (nonspin_price) [$/MW-h].",
    )
    regup: AncillaryProductParameters = Field(
        AncillaryProductParameters(
            level=2.22,
            net_load_coefficient=2.0,
            ramp_up_coefficient=0.8,
            ramp_down_coefficient=0.2,
            storage_elasticity=0.87,
            log_std=0.6,
            common_weight=0.7,
            scarcity_price=150.0,
        ),
        description="Regulation up (regup_price) [$/MW-h].",
    )
    regdown: AncillaryProductParameters = Field(
        AncillaryProductParameters(
            level=4.663,
            net_load_coefficient=-2.5,
            ramp_up_coefficient=0.0,
            ramp_down_coefficient=0.8,
            storage_elasticity=0.52,
            log_std=0.6,
            common_weight=0.2,
            scarcity_price=0.0,
        ),
        description="Regulation down (regdown_price) [$/MW-h].",
    )

    @model_validator(mode="before")
    @classmethod
    def _products_from_their_defaults(cls, data: Any) -> Any:
        """A product given in part (``[market.ancillary.nonspin] level = 2``) keeps the rest
        of its own defaults."""
        if not isinstance(data, dict):
            return data
        merged = dict(data)
        for name in ANCILLARY_PRODUCTS:
            given = data.get(name)
            if isinstance(given, dict):
                default = cls.model_fields[name].default.model_dump()
                merged[name] = {**default, **given}
        return merged


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
    imports_mw: float | None = Field(
        None,
        ge=-20000.0,
        le=30000.0,
        description="Constant CAISO net imports [MW] instead of the system frame's "
        "``imports_mw`` or the sourced monthly table (CAISO's daily fuel mix, 2018-2025; "
        "3.4-6.0 GW by calendar month). More imports leave less load to in-state units and "
        "make midday oversupply (negative prices) likelier (a wet Northwest spring).",
    )
    storage_mw: float | None = Field(
        None,
        ge=0.0,
        le=100000.0,
        description="Installed battery power in the CAISO balancing area [MW]. None: the "
        "sourced capacity on each day (vppsim.market.storage.STORAGE_MW). Sets both the "
        "energy model's daily shift and the ancillary-service prices' fleet.",
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
    daily_gas_volatility: float = Field(
        1.0,
        ge=0.0,
        le=5.0,
        description="Multiplier of the gas price's fitted day-to-day variation around the "
        "system frame's monthly price [1] (fitted on CAISO's daily SoCal Citygate fuel price; "
        "0 when the frame's gas is already daily).",
    )
    ancillary: AncillaryServicesParameters = Field(
        AncillaryServicesParameters(),
        description="Ancillary-service prices (hourly, day-ahead): spin, non-spin, reg up, "
        "reg down and their shared knobs.",
    )
