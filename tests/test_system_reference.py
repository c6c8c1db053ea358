"""The readers of the real CAISO drivers, on the shared reference files."""

from __future__ import annotations

import pandas as pd
import pytest

from vppsim.calendar import CAISO_TIMEZONE
from vppsim.report import reference_dir
from vppsim.system import reference as ref


@pytest.fixture(scope="module")
def root():
    return reference_dir()


def test_eia930_demand_is_hour_start_and_matches_the_published_peak(root):
    demand = ref.read_eia930_demand(root / ref.EIA930_DEMAND_FILE)
    assert demand.index.tz is not None and demand.index.is_monotonic_increasing
    assert demand.index[0] == pd.Timestamp("2021-12-31T23:00", tz="UTC")
    # The Sep 2022 heat wave: CAISO's record 52 GW (EIA-930 hourly 51.1 GW) on Sep 6, HE17 PDT.
    peak = demand["demand_mw"].idxmax()
    assert peak.tz_convert(CAISO_TIMEZONE).date().isoformat() == "2022-09-06"
    assert 50_000 < demand["demand_mw"].max() < 52_500


def test_hub_renewables_sum_hubs_and_keep_a_missing_hub_missing(root, tmp_path):
    hubs = ref.read_hub_renewables(root / ref.HUB_RENEWABLES_FILE)
    noon = hubs.loc[pd.Timestamp("2022-06-15T20:00", tz="UTC")]
    assert 8_000 < noon["solar_mw"] < 15_000
    night = hubs.loc[pd.Timestamp("2022-06-15T10:00", tz="UTC")]
    assert abs(night["solar_mw"]) < 200
    path = tmp_path / "hubs.csv"
    frame = pd.read_csv(root / ref.HUB_RENEWABLES_FILE, nrows=3)
    frame.loc[1, "act_SP15_solar"] = None
    frame.to_csv(path, index=False)
    assert pd.isna(ref.read_hub_renewables(path)["solar_mw"].iloc[1])


def test_gas_is_in_mmbtu_and_fills_withheld_months(root):
    gas = ref.read_gas_monthly(root / ref.ELECTRIC_POWER_GAS_FILE, root / ref.CITYGATE_GAS_FILE)
    # EIA N3045CA3 Dec 2022: $28.68/Mcf -> 27.68 $/MMBtu (the SoCal Citygate crisis).
    assert gas[pd.Period("2022-12", "M")] == pytest.approx(28.68 / 1.036)
    # May 2021 is withheld ("NA") by EIA: filled from the city-gate series, never left out.
    assert 2.0 < gas[pd.Period("2021-05", "M")] < 6.0


def test_a_missing_column_is_named(tmp_path):
    path = tmp_path / "demand.csv"
    pd.DataFrame({"ts_end_utc": ["2022-01-01T00:00Z"], "demand_MW": [1.0]}).to_csv(path)
    with pytest.raises(ref.ReferenceError, match="da_demand_forecast_MW"):
        ref.read_eia930_demand(path)


def test_reference_drivers_join_on_the_hour_and_net_load_is_consistent(root):
    drivers = ref.reference_drivers(root, "2022-08-01T07:00", "2022-09-01T07:00")
    assert len(drivers) == 31 * 24
    net = drivers["demand_mw"] - drivers["solar_mw"] - drivers["wind_mw"]
    pd.testing.assert_series_equal(drivers["net_load_mw"], net, check_names=False)
    assert drivers["gas_price_usd_per_mmbtu"].nunique() == 1
    assert drivers["hydro_mw"].notna().all()
    # Net imports are each Pacific day's mean (Aug 2022: 4-7 GW), one value a day.
    imports = drivers["imports_mw"]
    assert imports.notna().all() and 3000 < imports.mean() < 8000
    days = drivers.index.tz_convert(CAISO_TIMEZONE).date
    assert (imports.groupby(days).nunique() == 1).all()
    # Net load peaks in the evening, after solar has gone.
    hour = drivers["net_load_mw"].groupby(drivers.index.tz_convert(CAISO_TIMEZONE).hour).mean()
    assert 17 <= hour.idxmax() <= 21
