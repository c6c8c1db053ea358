"""The fleet's assets: per-home draws, sourced shares, the product catalogue, validation."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from pydantic import ValidationError

from vppsim.config import load_settings
from vppsim.errors import ConfigError
from vppsim.fleet.assets import (
    ASSET_COLUMNS,
    CATALOGUE,
    NO_BATTERY,
    BatteryProduct,
    Fleet,
    FleetParameters,
    draw_assets,
    draw_pv,
    validate_fleet,
)
from vppsim.load.homes import draw_homes

SEED = 42
AUGUST_2024 = dt.date(2024, 8, 1)


@pytest.fixture(scope="module")
def fleet() -> pd.DataFrame:
    return draw_assets(SEED, np.arange(20_000), AUGUST_2024)


def test_a_home_does_not_depend_on_fleet_size_order_or_chunking():
    whole = draw_assets(SEED, np.arange(300), AUGUST_2024)
    chunks = pd.concat(
        [draw_assets(SEED, np.arange(a, min(a + 70, 300)), AUGUST_2024) for a in range(0, 300, 70)],
        ignore_index=True,
    )
    pd.testing.assert_frame_equal(whole, chunks)
    picked = draw_assets(SEED, np.array([250, 3]), AUGUST_2024)
    pd.testing.assert_frame_equal(
        picked.reset_index(drop=True), whole.iloc[[250, 3]].reset_index(drop=True)
    )
    assert not whole.equals(draw_assets(SEED + 1, np.arange(300), AUGUST_2024))


def test_home_attributes_are_the_load_models_and_asset_columns_follow(fleet):
    homes = draw_homes(SEED, np.arange(50))
    drawn = draw_assets(SEED, np.arange(50), AUGUST_2024, homes=homes)
    pd.testing.assert_frame_equal(drawn[list(homes.columns)], homes)
    assert list(drawn.columns) == list(homes.columns) + [c.name for c in ASSET_COLUMNS]
    assert validate_fleet(fleet) is fleet


def test_pv_share_follows_the_study_start_and_only_adds_systems():
    ids = np.arange(20_000)
    p = FleetParameters()
    starts = (dt.date(2019, 12, 31), dt.date(2023, 7, 2), dt.date(2025, 12, 31))
    shares = {start: draw_assets(SEED, ids, start, p)["has_pv"] for start in starts}
    for start, has_pv in shares.items():
        expected = p.pv_share_on(start)
        assert has_pv.mean() == pytest.approx(expected, abs=4 * np.sqrt(expected / len(ids)))
    assert (shares[starts[2]] | ~shares[starts[0]]).all()  # a 2019 PV home keeps it in 2025
    assert (shares[starts[1]] | ~shares[starts[0]]).all()
    table = p.pv_adoption_share_by_year
    # Year ends are the table's; a mid-year start is linear between them (2 July 2023: half
    # way through the year), not the year-end share.
    assert p.pv_share_on(dt.date(2022, 12, 31)) == pytest.approx(table[2022])
    mid = p.pv_share_on(dt.date(2023, 7, 2))
    assert mid == pytest.approx((table[2022] + table[2023]) / 2, abs=1e-3)
    assert mid < table[2023]
    # Outside the table: its nearest year end. A year alone means its 1 January.
    assert p.pv_share_on(dt.date(2030, 6, 1)) == table[2025]
    assert p.pv_share_on(dt.date(2015, 6, 1)) == table[2019]
    assert FleetParameters(pv_share=0.7).pv_share_on(dt.date(2019, 1, 1)) == 0.7
    pd.testing.assert_frame_equal(
        draw_assets(SEED, ids[:50], 2024), draw_assets(SEED, ids[:50], dt.date(2024, 1, 1))
    )
    with pytest.raises(ValidationError, match="must not fall"):
        FleetParameters(pv_adoption_share_by_year={2022: 0.2, 2023: 0.1})


def test_battery_attach_rate_rises_after_the_net_billing_tariff(fleet):
    p = FleetParameters()
    pv = fleet[fleet["has_pv"]]
    nbt = p.pv_share_at_nbt()
    table = p.pv_adoption_share_by_year
    assert table[2022] < nbt < table[2023]
    # The PV uniform dates the system, so the cohorts are known from the share alone: check
    # the attach rates in each cohort against the parameters.
    draws = np.stack(
        [
            np.random.Generator(
                np.random.PCG64(np.random.SeedSequence(SEED, spawn_key=(9, int(h))))
            ).random(2)
            for h in pv["home_id"]
        ]
    )
    after = draws[:, 0] >= nbt
    rate_after = pv["has_battery"].to_numpy()[after].mean()
    rate_before = pv["has_battery"].to_numpy()[~after].mean()
    assert rate_after == pytest.approx(p.battery_attach_rate_after_nbt, abs=0.08)
    assert rate_before == pytest.approx(p.battery_attach_rate_before_nbt, abs=0.03)
    # The NEM 2.0 cohort's products are its mix (all three were on sale before the NBT).
    before = pv.loc[~after & pv["has_battery"].to_numpy(), "battery_product"].astype(str)
    for key, share in p.battery_products_before_nbt.items():
        assert (before == key).mean() == pytest.approx(share, abs=0.08)
    # Powerwall 3 only on homes that got PV after it went on sale; no battery without PV.
    powerwall_3 = (pv["battery_product"] == "powerwall_3").to_numpy()
    on_sale = p.pv_share_on(CATALOGUE["powerwall_3"].available_from)
    assert powerwall_3.any() and not (powerwall_3 & (draws[:, 0] < on_sale)).any()
    assert not fleet.loc[~fleet["has_pv"], "has_battery"].any()


@pytest.mark.parametrize("share", [None, 0.6])
def test_no_powerwall_3_before_it_was_on_sale(share):
    p = FleetParameters(pv_share=share)
    ids = np.arange(30_000)
    in_2023 = draw_assets(SEED, ids, dt.date(2023, 12, 1), p)
    assert not (in_2023["battery_product"] == "powerwall_3").any()
    # The NBT cohort's mix over the products then on sale, renormalised.
    nbt = in_2023[in_2023["has_battery"]]["battery_product"].astype(str)
    assert set(nbt) == {"powerwall_2", "enphase_iq_10t", "solaredge_home_10"}
    # A 2025 study: the homes that got PV by 2023 keep their products; later ones may get a
    # Powerwall 3. (With pv_share set, the homes beyond the table's share got PV at the
    # study's start, whichever it is.)
    in_2025 = draw_assets(SEED, ids, dt.date(2025, 6, 1), p)
    kept = in_2023["has_battery"].to_numpy() & (in_2023["home_id"] < 0 if share else True)
    np.testing.assert_array_equal(
        in_2025["battery_product"].to_numpy()[kept], in_2023["battery_product"].to_numpy()[kept]
    )
    assert (in_2025["battery_product"] == "powerwall_3").any()


def test_battery_columns_are_their_products(fleet):
    batteries = fleet[fleet["has_battery"]]
    assert set(batteries["battery_product"].astype(str)) == set(CATALOGUE)
    for key, product in CATALOGUE.items():
        rows = batteries[batteries["battery_product"] == key]
        np.testing.assert_allclose(rows["battery_energy_kwh"], product.usable_energy_kwh, 1e-6)
        np.testing.assert_allclose(rows["battery_discharge_kw"], product.discharge_kw, 1e-6)
        round_trip = rows["battery_charge_efficiency"] * rows["battery_discharge_efficiency"]
        np.testing.assert_allclose(round_trip, product.round_trip_efficiency, 1e-6)
        np.testing.assert_allclose(
            rows["battery_throughput_cost_usd_per_kwh"], product.throughput_cost_usd_per_kwh, 1e-6
        )
        np.testing.assert_allclose(
            rows["battery_cycle_fade_per_equivalent_cycle"],
            product.cycle_fade_per_equivalent_cycle,
            1e-6,
        )
    assert (batteries["battery_backup_reserve"] >= batteries["battery_min_soc"]).all()
    none = fleet[~fleet["has_battery"]]
    assert (none["battery_product"] == NO_BATTERY).all()
    assert (none[["battery_energy_kwh", "battery_charge_kw"]] == 0).all().all()


def test_catalogue_matches_the_datasheets_and_calibration():
    pw2, pw3 = CATALOGUE["powerwall_2"], CATALOGUE["powerwall_3"]
    assert (pw2.usable_energy_kwh, pw2.discharge_kw, pw2.round_trip_efficiency) == (13.5, 5, 0.9)
    assert (pw3.usable_energy_kwh, pw3.discharge_kw) == (13.5, 11.5)
    assert CATALOGUE["enphase_iq_10t"].discharge_kw == 3.84
    assert CATALOGUE["solaredge_home_10"].usable_energy_kwh == 9.7
    for product in CATALOGUE.values():
        assert 0.85 <= product.round_trip_efficiency <= 0.95
        assert product.sources


@pytest.mark.parametrize(
    ("key", "reviewer"),
    [
        ("powerwall_2", 0.075),
        ("powerwall_3", 0.164),
        ("enphase_iq_10t", 0.124),
        ("solaredge_home_10", 0.103),
    ],
)
def test_throughput_cost_is_the_marginal_cycling_cost(key, reviewer):
    product = CATALOGUE[key]
    # The closed form: price less the calendar fade's share, over the warranted throughput.
    calendar_share = (
        product.warranty_years
        * product.calendar_fade_per_year
        / (1.0 - product.end_of_warranty_retention)
    )
    expected = product.replacement_cost_usd * (1.0 - calendar_share)
    expected /= product.warranted_throughput_kwh
    assert product.throughput_cost_usd_per_kwh == pytest.approx(expected, rel=1e-12)
    assert product.throughput_cost_usd_per_kwh == pytest.approx(reviewer, abs=5e-4)
    assert product.throughput_cost_usd_per_kwh < (
        product.replacement_cost_usd / product.warranted_throughput_kwh
    )
    # Over the warranty, calendar fade plus the cycle fade of the warranted throughput is the
    # warranty's bound; and the cost of that throughput is the value of the health cycled off.
    cycles = product.warranted_throughput_kwh / product.usable_energy_kwh
    worn = product.calendar_fade_over_warranty + cycles * product.cycle_fade_per_equivalent_cycle
    assert worn == pytest.approx(1.0 - product.end_of_warranty_retention, rel=1e-12)
    cost = product.throughput_cost_usd_per_kwh * product.warranted_throughput_kwh
    cycled_off = cycles * product.cycle_fade_per_equivalent_cycle
    value = product.replacement_cost_usd / (1.0 - product.end_of_warranty_retention)
    assert cost == pytest.approx(cycled_off * value, rel=1e-12)


def test_a_product_whose_calendar_fade_uses_up_the_warranty_is_refused():
    fields = {**CATALOGUE["powerwall_2"].__dict__, "calendar_fade_per_year": 0.04}
    with pytest.raises(ValueError, match="leaves no fade to cycling"):
        BatteryProduct(**fields)


def test_draw_pv_is_the_assets_pv():
    ids = np.array([5, 0, 321, 77])
    p = FleetParameters(pv_share=0.5)
    assets = draw_assets(SEED, ids, AUGUST_2024, p)
    pv = draw_pv(SEED, ids, 0.5, p)
    for column in ("has_pv", "pv_dc_kw", "pv_tilt_deg", "pv_azimuth_deg", "pv_dc_ac_ratio"):
        np.testing.assert_allclose(
            pv[column].to_numpy(dtype=float), assets[column].to_numpy(dtype=float), rtol=1e-6
        )


def test_pv_sizes_orientations_and_export_limits(fleet):
    p = FleetParameters()
    pv = fleet[fleet["has_pv"]]
    assert np.median(pv["pv_dc_kw"]) == pytest.approx(p.pv_size_median_kw_dc, rel=0.05)
    assert pv["pv_dc_kw"].between(*p.pv_size_range_kw_dc).all()
    assert (fleet.loc[~fleet["has_pv"], "pv_dc_kw"] == 0).all()
    south = (pv["pv_azimuth_deg"] - 180).abs() <= p.pv_azimuth_jitter_deg
    assert south.mean() == pytest.approx(0.40, abs=0.04)
    expected = pv["pv_dc_kw"] / p.pv_dc_ac_ratio + pv["battery_discharge_kw"]
    np.testing.assert_allclose(pv["export_limit_kw"], expected, rtol=1e-6)
    capped = draw_assets(SEED, np.arange(2000), AUGUST_2024, FleetParameters(export_limit_kw=5.0))
    assert capped["export_limit_kw"].max() == pytest.approx(5.0)


def test_thermostats_enrolment_and_ev_batteries():
    homes = draw_homes(SEED, np.arange(5000))
    homes["ev_type"] = pd.Categorical(np.where(np.arange(5000) % 2, "bev", "phev"))
    frame = draw_assets(SEED, np.arange(5000), AUGUST_2024, homes=homes)
    p = FleetParameters()
    assert not frame.loc[~frame["has_central_ac"], "thermostat_dr_enrolled"].any()
    central = frame[frame["has_central_ac"]]
    assert central["thermostat_dr_enrolled"].mean() == pytest.approx(
        p.thermostat_dr_share, abs=0.03
    )
    eligible = frame["has_battery"] | frame["thermostat_dr_enrolled"]
    assert not frame.loc[~eligible, "enrolled"].any()
    assert frame.loc[eligible, "enrolled"].mean() == pytest.approx(0.5, abs=0.06)
    bev = frame[frame["ev_type"] == "bev"]["ev_battery_kwh"]
    phev = frame[frame["ev_type"] == "phev"]["ev_battery_kwh"]
    assert bev.between(*p.ev_battery_kwh_bev).all() and phev.between(*p.ev_battery_kwh_phev).all()


def test_fleet_struct_of_arrays_round_trips(fleet):
    small = fleet.head(100)
    f = Fleet.from_frame(small)
    assert len(f) == 100
    np.testing.assert_array_equal(f.battery_energy_kwh, small["battery_energy_kwh"].to_numpy())
    assert f.battery_product.dtype.kind in "OU"
    pd.testing.assert_frame_equal(f.to_frame(), small)
    with pytest.raises(AttributeError, match="no column 'nope'"):
        _ = f.nope


def test_an_impossible_fleet_is_refused_naming_every_field(fleet):
    bad = fleet.head(10).copy()
    row = bad.index[bad["has_battery"]][0] if bad["has_battery"].any() else 0
    bad.loc[row, "has_battery"] = True
    bad.loc[0, "battery_energy_kwh"] = -1.0
    bad.loc[1, "battery_charge_efficiency"] = 1.2
    bad.loc[2, "battery_min_soc"] = 0.5
    bad.loc[2, "battery_backup_reserve"] = 0.3
    with pytest.raises(ConfigError) as caught:
        validate_fleet(bad)
    message = str(caught.value)
    assert "\n" not in message
    for field in ("battery_energy_kwh", "battery_charge_efficiency"):
        assert field in message
    # The crossing of SOC limits is a rule across columns: checked once the schema holds.
    crossed = fleet.head(10).copy()
    crossed.loc[2, ["battery_min_soc", "battery_backup_reserve"]] = [0.5, 0.3]
    with pytest.raises(ConfigError, match="battery_backup_reserve is below battery_min_soc"):
        validate_fleet(crossed)
    with pytest.raises(ConfigError, match="problem"):
        Fleet.from_frame(crossed)


@pytest.mark.parametrize(
    "values, field",
    [
        ({"pv_share": 1.5}, "pv_share"),
        ({"pv_size_median_kw_dc": -1}, "pv_size_median_kw_dc"),
        (
            {"battery_products_after_nbt": {"powerwall_9": 1.0}},
            "battery_products_after_nbt.*powerwall_9",
        ),
        ({"battery_products_before_nbt": {"powerwall_2": 0.5}}, "battery_products_before_nbt"),
        ({"pv_azimuth_shares": (0.5, 0.5, 0.5, 0.0, 0.0)}, "pv_azimuth_shares"),
        ({"bogus": 1}, "bogus"),
    ],
)
def test_bad_parameters_name_the_field(values, field):
    with pytest.raises(ValidationError, match=field):
        FleetParameters(**values)


def test_settings_have_an_assets_section():
    settings = load_settings({"assets": {"pv_share": 0.4}}, env_file=None)
    assert settings.assets.parameters(FleetParameters).pv_share == 0.4
    with pytest.raises(ConfigError, match="assets"):
        load_settings({"assets": {"pv_share": 2}}, env_file=None)


def test_the_dataset_holds_one_row_per_home_and_its_documents(tmp_path, small_settings):
    from vppsim.dataset.build import build_dataset
    from vppsim.dataset.validate import validate_directory
    from vppsim.registry import default_registry

    settings = small_settings(
        datasets="assets",
        formats="parquet",
        assets={"pv_share": 0.5},
        weather={"source": "synthetic"},
    )
    result = build_dataset(settings, default_registry())
    assert result.report.ok
    table = pq.read_table(tmp_path / "data" / "parquet" / "assets.parquet").to_pandas()
    expected = draw_assets(
        settings.seed, np.arange(6), dt.date(2023, 8, 1), FleetParameters(pv_share=0.5)
    )
    pd.testing.assert_frame_equal(table, expected, check_categorical=False)
    document = tmp_path / "data" / "assets" / "asset_specifications.json"
    assert set(json.loads(document.read_text())["products"]) == set(CATALOGUE)
    resources = {r.path: r for r in result.manifest.resources}
    assert resources["assets/operational_constraints.json"].role == "metadata"
    assert resources["parquet/assets.parquet"].rows == 6
    # A broken table in the folder is caught by validation, naming the column.
    broken = table.assign(battery_charge_efficiency=np.float32(1.5))
    broken.to_parquet(tmp_path / "data" / "parquet" / "assets.parquet")
    specs = {dataset.name: dataset.spec for dataset in default_registry().datasets}
    report = validate_directory(tmp_path / "data", specs)
    assert any("battery_charge_efficiency" in failure for failure in report.failures)
    table.iloc[:-1].to_parquet(tmp_path / "data" / "parquet" / "assets.parquet")
    report = validate_directory(tmp_path / "data", specs)
    assert any("home_id is not 0..5, one row each" in failure for failure in report.failures)


def test_the_api_gives_the_assets_table():
    from vppsim import DataCollector

    collector = DataCollector(
        start_date="2023-08-01",
        end_date="2023-08-01",
        homes=4,
        weather={"source": "synthetic"},
        assets={"pv_share": 0.5},
    )
    expected = draw_assets(
        collector.settings.seed, np.arange(4), dt.date(2023, 8, 1), FleetParameters(pv_share=0.5)
    )
    pd.testing.assert_frame_equal(collector.get_assets(), expected)
    with pytest.raises(ConfigError, match="get_assets"):
        collector.get("assets")


def test_a_load_source_without_attributes_gets_the_default_homes():
    from types import SimpleNamespace

    from vppsim.dataset.sources import Provenance, SourceKind, SourceResult
    from vppsim.fleet.sources import AssetsOptions, SyntheticAssets

    metered = SourceResult(lambda ids: None, Provenance(SourceKind.LIVE, "a meter", "0"))
    assert metered.home_table is None
    study = SimpleNamespace(seed=3, start=pd.Timestamp("2023-08-01T07:00Z"))
    result = SyntheticAssets().fetch(study, AssetsOptions(), {"load": metered}, None)
    pd.testing.assert_frame_equal(
        result.data(np.arange(4)),
        draw_assets(3, np.arange(4), dt.date(2023, 8, 1), FleetParameters()),
    )
    assert "default load parameters" in result.provenance.notes[0]
