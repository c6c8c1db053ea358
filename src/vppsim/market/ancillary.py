"""Day-ahead CAISO ancillary-service prices from their causes, one price per hour.

CAISO's integrated forward market clears regulation up and down, spinning and non-spinning
reserve every hour of the next day, co-optimised with energy; a resource is paid for capacity
it holds back, so the price is the opportunity cost of the marginal provider. The model
(:func:`ancillary_prices`) makes each product's hourly price [$/MW-h] follow what sets that
cost:

* **Net load** over a reference peak: a tight system makes upward reserves (spin, non-spin,
  reg up) dear; midday oversupply (low net load) makes reg down dear, as the few units online
  cannot back down further.
* **Net-load ramps** (centred hourly difference): rising net load into the evening raises reg
  up and spin, falling net load in the morning solar ramp raises reg down.
* **Scarcity** (the energy model's scarcity probability, or the share of scarce intervals in
  the hour, in [0, 1]): spin, non-spin and reg up jump by ``scarcity_price * scarcity``.
* **Gas**: the energy margin a gas unit gives up scales with the gas price; prices scale
  with ``(gas / reference gas) ** level_exponent``.
* **Storage**: batteries offer reserves at near-zero opportunity cost while they hold charge
  for the evening, so prices fall as ``(storage / reference storage) ** -storage_elasticity``
  with the installed capacity of the hour's date (:data:`vppsim.market.storage.STORAGE_MW`).
  The model puts 2025's lower prices (spin 0.40 x of 2024 although gas rose 18 %) down to
  this: the fleet's mean grew 45 %. Two published years identify the elasticities; nothing here
  validates them on a third.
* **Randomness**: a mean-one lognormal latent per product, a daily AR(1) plus an hourly AR(1),
  sharing a common factor (a tight day makes every reserve dear).

Prices are non-negative (CAISO accepts no negative AS bids) and capped at the AS bid cap.
Parameters are :class:`vppsim.market.parameters.AncillaryServicesParameters`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from vppsim.calendar import local_calendar
from vppsim.market.parameters import ANCILLARY_PRODUCTS, AncillaryServicesParameters
from vppsim.timeseries import ar1

__all__ = [
    "AS_COLUMNS",
    "ancillary_annual_means",
    "ancillary_prices",
]

AS_COLUMNS = tuple(f"{name}_price" for name in ANCILLARY_PRODUCTS)
"""The output columns, in the order of :data:`vppsim.market.parameters.ANCILLARY_PRODUCTS`."""
MIN_STORAGE_MW = 500.0
"""The storage elasticities are calibrated at 7-15 GW; a smaller fleet (scenarios, years
before 2020) is priced as CAISO's 2020 fleet of about 500 MW, below which the power law would
send reserve prices to infinity [MW]."""


def ancillary_prices(
    hours: pd.DatetimeIndex,
    timezone: str,
    net_load_mw: np.ndarray,
    scarcity: np.ndarray,
    gas_price_usd_per_mmbtu: np.ndarray,
    storage_mw: np.ndarray,
    rng: np.random.Generator,
    parameters: AncillaryServicesParameters | None = None,
) -> pd.DataFrame:
    """Hourly day-ahead ancillary-service prices.

    Parameters
    ----------
    hours : pandas.DatetimeIndex
        Consecutive UTC hour starts.
    timezone : str
        IANA zone of the market's trading days, e.g. ``America/Los_Angeles``.
    net_load_mw : numpy.ndarray
        System net load of each hour (demand less utility solar and wind) [MW].
    scarcity : numpy.ndarray
        Scarcity of each hour in [0, 1] [1]: the energy model's scarcity probability or the
        share of the hour's intervals in scarcity.
    gas_price_usd_per_mmbtu : numpy.ndarray
        Power-plant gas price of each hour [$/MMBtu].
    storage_mw : numpy.ndarray
        Installed battery power of the CAISO fleet in each hour [MW], e.g.
        :func:`vppsim.market.storage.storage_capacity` (at least 500 MW: below CAISO's 2020
        fleet the power law means nothing).
    rng : numpy.random.Generator
        Source of all randomness; draws ``(len(hours) // 23 + 2) * 5`` daily then
        ``len(hours) * 5`` hourly standard normals, whatever the inputs' values.
    parameters : AncillaryServicesParameters, optional
        Defaults to ``AncillaryServicesParameters()``.

    Returns
    -------
    pandas.DataFrame
        Index ``hours``; float64 columns ``spin_price``, ``nonspin_price``, ``regup_price``,
        ``regdown_price`` [$/MW-h], in [0, cap], rounded to the cent. The caller holds each
        hour's price across its intervals.

    Raises
    ------
    ValueError
        If an input's length differs from ``hours`` or holds NaN, the hours are not
        consecutive, or scarcity leaves [0, 1].
    """
    p = AncillaryServicesParameters() if parameters is None else parameters
    n = len(hours)
    net_load = np.asarray(net_load_mw, dtype=float)
    scarce = np.asarray(scarcity, dtype=float)
    gas = np.asarray(gas_price_usd_per_mmbtu, dtype=float)
    fleet = np.maximum(np.asarray(storage_mw, dtype=float), MIN_STORAGE_MW)
    if any(len(a) != n for a in (net_load, scarce, gas, fleet)):
        raise ValueError(
            "net_load_mw, scarcity, gas_price_usd_per_mmbtu and storage_mw need one value per hour"
        )
    if n > 1 and np.any(np.diff(hours.as_unit("ns").asi8) != 3_600_000_000_000):
        raise ValueError("hours must be consecutive hour starts")
    if not all(np.isfinite(a).all() for a in (net_load, scarce, gas, fleet)):
        raise ValueError(
            "net_load_mw, scarcity, gas_price_usd_per_mmbtu and storage_mw must be finite"
        )
    if np.any((scarce < 0.0) | (scarce > 1.0)):
        raise ValueError("scarcity must lie in [0, 1]")

    # Sizes depend on the length only (a local day has at least 23 hours), so the generator
    # advances the same way for any inputs of the same length.
    z_day = rng.standard_normal((n // 23 + 2, len(ANCILLARY_PRODUCTS) + 1))
    z_hour = rng.standard_normal((n, len(ANCILLARY_PRODUCTS) + 1))
    if n == 0:
        return pd.DataFrame({c: np.empty(0) for c in AS_COLUMNS}, index=hours)
    cal = local_calendar(hours, timezone, 60.0)
    w = p.daily_weight
    latent = np.sqrt(w) * ar1(z_day, p.daily_autocorrelation)[cal.day]
    latent += np.sqrt(1.0 - w) * ar1(z_hour, p.hourly_autocorrelation)

    share = net_load / p.reference_peak_net_load_mw - p.reference_net_load_share
    ramp = np.gradient(net_load) / p.reference_ramp_mw_per_h if n > 1 else np.zeros(n)
    up, down = np.maximum(ramp, 0.0), np.maximum(-ramp, 0.0)
    common = (gas / p.reference_gas_usd_per_mmbtu) ** p.level_exponent
    storage = fleet / p.reference_storage_mw

    columns = {}
    for k, (name, column) in enumerate(zip(ANCILLARY_PRODUCTS, AS_COLUMNS, strict=True)):
        q = getattr(p, name)
        c = q.common_weight
        z = c * latent[:, 0] + np.sqrt(1.0 - c * c) * latent[:, k + 1]
        drivers = (
            q.net_load_coefficient * share
            + q.ramp_up_coefficient * up
            + q.ramp_down_coefficient * down
        )
        price = (
            q.level
            * common
            * storage ** (-q.storage_elasticity)
            * np.exp(drivers + q.log_std * z - q.log_std**2 / 2.0)
        )
        if q.scarcity_price > 0:
            spread = p.scarcity_spread
            # Shortage prices follow the bid cap and the reserve demand curve, not gas.
            price += q.scarcity_price * scarce * np.exp(spread * z - spread**2 / 2.0)
        columns[column] = np.round(np.clip(price, 0.0, p.cap), 2)
    return pd.DataFrame(columns, index=hours)


def ancillary_annual_means(frame: pd.DataFrame, timezone: str) -> pd.DataFrame:
    """Mean price of each ancillary-service column per local calendar year [$/MW-h].

    Parameters
    ----------
    frame : pandas.DataFrame
        Indexed by timezone-aware instants (hourly or finer, equally spaced), holding any of
        the :data:`AS_COLUMNS`.
    timezone : str
        IANA zone whose calendar years group the means.

    Returns
    -------
    pandas.DataFrame
        Index ``year``; the :data:`AS_COLUMNS` present in ``frame``.
    """
    columns = [c for c in AS_COLUMNS if c in frame.columns]
    years = pd.DatetimeIndex(frame.index).tz_convert(timezone).year.rename("year")
    return frame[columns].groupby(years).mean()
