"""Time the perfect-foresight dispatch LP over a fleet, and the revenue of one battery.

    python benchmarks/bench_dispatch.py [--homes 1000] [--workers 2] [--chunk 250] [--seed 0]
        [--dataset DIR]

Inputs: the synthetic market of August 2023 (``DataCollector(market_source="synthetic")``,
offline: real-time LMP and hourly day-ahead AS prices), and per home the reference battery
(Powerwall 2: 13.5 kWh, 5 kW, 90 % round trip, $0.02/kWh, 20 % backup reserve), a PV array of
3-9 kW on a clear-sky shape with daily clouds, a base load with an evening bump and noise, and
a 5 or 10 kW export limit, drawn per home from ``stream_rng(seed, Stream.HOMES, home)``
(benchmark inputs only, not the fleet's assets).

Prints, with the chunks of ``--chunk`` homes (memory bounded by a chunk's schedules) run as
tasks on a local Dask cluster of ``--workers`` processes (``vppsim dispatch --workers``'s
mechanism; 0: in this process):

* the LP for ``--homes`` homes x the month, with AS and energy only (the issue's goal: 1,000
  homes in under 60 s on a 2-core machine);
* the scaling with homes (10, 100, 1000 x 31 days) and days (1, 7, 31 x 100 homes);
* the net revenue of ``none``, ``rule`` and ``lp`` over the fleet (the same score);
* with ``--dataset DIR`` (a dataset built by ``vppsim build``, e.g. ``--offline --homes 1000``
  for August 2023): the whole ``vppsim dispatch DIR`` path (reading, the kernels' EV sessions
  and thermostat, PV, battery, EV and AC in the LP, the kernel replay, writing) for each
  strategy, its wall time, the fleet KPIs, and whether ``lp`` >= ``rule`` and ``none`` on every
  home (the objective of :func:`vppsim.fleet.kpis.score`);
* the energy-only arbitrage of a lone 13.5 kWh / 5 kW battery in LA (no home load or PV) in
  $/kW-month and annualised $/kW-year, next to CALIBRATION.md's published CAISO battery
  figures: $80/kW-year in 2023 and $51/kW-year in 2024 (merchant energy and AS revenue of
  grid-scale batteries, Modo Energy's CAISO benchmark; CAISO DMM annual reports), and the same
  battery on the real 2022 August FMM prices at Alamitos when the reference folder is present.
"""

from __future__ import annotations

import argparse
import contextlib
import resource
import time
from dataclasses import dataclass, replace
from types import SimpleNamespace

import numpy as np
import pandas as pd

from vppsim.api import DataCollector
from vppsim.dataset.build import in_order
from vppsim.dataset.distributed import dask_executor
from vppsim.fleet.arbitrage import arbitrage
from vppsim.fleet.battery import REFERENCE_BATTERY
from vppsim.fleet.dispatch import (
    DispatchSettings,
    HomeAssets,
    HomeSeries,
    Market,
    dispatch_fleet,
    market_from_frame,
)
from vppsim.fleet.kpis import replay, score
from vppsim.fleet.run import dispatch_study, load_dispatch_models, read_study, write_dispatch
from vppsim.seeds import Stream, stream_rng

PUBLISHED = {"2023": 80.0, "2024": 51.0}
"""CAISO grid-scale battery merchant revenue [$/kW-year] (CALIBRATION.md, Modo Energy)."""
PUBLISHED_MONTHS = (24.0, 123.0)
"""The range of single months, annualised [$/kW-year] ($24k to $123k per MW-year,
CALIBRATION.md, Modo Energy's CAISO benchmark)."""


def reference_assets(export_limit_kw: float, reserve: float) -> HomeAssets:
    """:data:`~vppsim.fleet.battery.REFERENCE_BATTERY` as an assets row."""
    return HomeAssets.from_battery(REFERENCE_BATTERY, export_limit_kw, reserve)


def synthetic_home(seed: int, home: int, market: Market) -> tuple[HomeSeries, HomeAssets]:
    """One benchmark home: PV, base load and export limit drawn from its own stream."""
    rng = stream_rng(seed, Stream.HOMES, home)
    n = market.n
    hour = market.local_hour + (np.arange(n) % market.steps_per_hour) * market.dt_h
    days = -(-n // 96)
    clouds = np.repeat(rng.uniform(0.6, 1.0, days), 96)[:n]
    pv = rng.uniform(3.0, 9.0) * np.clip(np.sin(np.pi * (hour - 6.0) / 13.0), 0.0, None) * clouds
    evening = np.exp(-0.5 * ((hour - 19.0) / 2.0) ** 2)
    base = rng.uniform(0.3, 0.8) + rng.uniform(0.5, 2.0) * evening + rng.gamma(2.0, 0.15, n)
    return HomeSeries(base, pv), reference_assets(float(rng.choice([5.0, 10.0])), 0.2)


def _slice(market: Market, days: int) -> Market:
    n = days * 96
    prices = None if market.ancillary is None else market.ancillary[: n // 4]
    return Market(market.lmp[:n], market.dt_h, market.local_hour[:n], prices)


@dataclass(frozen=True)
class SyntheticFleet:
    """``homes`` benchmark homes dispatched by ``strategy`` in chunks of ``chunk``: a
    :class:`~vppsim.dataset.build.Tasks`, so the chunks run in this process or on the Dask
    cluster (:mod:`vppsim.dataset.distributed`) like ``vppsim dispatch``'s."""

    key: str
    strategy: str
    market: Market
    settings: DispatchSettings
    seed: int
    homes: int
    chunk: int

    @property
    def parts(self) -> int:
        return -(-self.homes // self.chunk)

    def run_parts(self, parts: tuple[int, ...]) -> list[SimpleNamespace]:
        """Per chunk: its homes, the seconds of the scoring (the kernel replay) [s] and its
        net revenue [$]."""
        return [self._chunk(part) for part in parts]

    def _chunk(self, part: int) -> SimpleNamespace:
        first = part * self.chunk
        homes = range(first, min(first + self.chunk, self.homes))
        drawn = [synthetic_home(self.seed, i, self.market) for i in homes]
        series = [s for s, _ in drawn]
        assets = [a for _, a in drawn]
        schedules = dispatch_fleet(self.strategy, series, assets, self.market, self.settings)
        begin = time.perf_counter()
        replayed = replay(schedules, series, assets, self.market, self.settings)
        revenue = 0.0
        for sched, s, a, r in zip(schedules, series, assets, replayed, strict=True):
            revenue += score(sched, s, a, self.market, self.settings, replayed=r)["net revenue"]
        scoring = time.perf_counter() - begin
        return SimpleNamespace(part=part, homes=len(homes), scoring=scoring, revenue=revenue)


def run(
    strategy: str,
    market: Market,
    homes: int,
    seed: int,
    chunk: int,
    executor,
) -> tuple[float, float, float]:
    """Wall time of the dispatch and its scoring [s], the seconds of scoring summed over
    the chunks [s], and the fleet's net revenue [$] of ``strategy``, chunk by chunk on
    ``executor`` (None: in this process)."""
    key = f"bench-{strategy}-{market.n}-{market.ancillary is not None}-{homes}-{seed}-{chunk}"
    fleet = SyntheticFleet(key, strategy, market, DispatchSettings(), seed, homes, chunk)
    begin = time.perf_counter()
    results = (
        executor.run(fleet)
        if executor is not None
        else (r for part in range(fleet.parts) for r in fleet.run_parts((part,)))
    )
    done = list(in_order(results, lambda homes: None))
    wall = time.perf_counter() - begin
    return wall, sum(r.scoring for r in done), sum(r.revenue for r in done)


def whole_command(folder: str, settings: DispatchSettings, chunk: int, executor) -> None:
    """Time ``vppsim dispatch`` on a built dataset, each strategy, and compare them per home."""
    print(f"\nvppsim dispatch {folder} (the whole command path)")
    objective, walls = {}, {}
    for strategy in ("none", "rule", "lp"):
        begin = time.perf_counter()
        path, summary = write_dispatch(folder, strategy, settings, True, chunk, executor=executor)
        wall = walls[strategy] = time.perf_counter() - begin
        k = summary["kpis"]
        print(
            f"  {strategy:5s} {wall:7.1f} s  {summary['homes']} homes x "
            f"{summary['period']['intervals']} intervals; net ${k['net revenue']:,.0f} (energy "
            f"${k['energy revenue']:,.0f}, AS ${k['as revenue']:,.0f}, degradation "
            f"${k['degradation cost']:,.0f}), peak {k['fleet peak kw']:,.0f} kW (reduction "
            f"{k['peak reduction kw']:,.0f}), comfort {k['comfort degree hours']:,.0f} K-h, EV "
            f"unmet {k['ev unmet kwh']:.2f} kWh, violations {k['violations']:.0f}, homes with "
            f"issues {k['homes with issues']}"
        )
        kpis = pd.read_parquet(path / "kpis.parquet").set_index("home_id")
        objective[strategy] = kpis["net_revenue_usd"] - kpis["comfort_degree_hours"] * (
            settings.comfort_penalty_usd_per_kh
        )
    study = read_study(folder)
    print("  scaling of the lp path with homes (the dataset's first homes)")
    for homes in (10, 100, len(study.assets)):
        wall = walls["lp"]  # the whole fleet: measured above, with the writing
        if homes < len(study.assets):
            begin = time.perf_counter()
            first = replace(study, assets=study.assets.iloc[:homes])
            dispatch_study(first, "lp", settings, True, chunk, executor=executor)
            wall = time.perf_counter() - begin
        print(f"    {homes:5d} homes: {wall:7.1f} s  ({1000 * wall / homes:.1f} ms/home)")
    for other in ("rule", "none"):
        gap = (objective["lp"] - objective[other]).min()
        print(
            f"  lp - {other} (net revenue less comfort cost, per home): smallest {gap:.4f} $ "
            f"(homes below -0.01 $: {int((objective['lp'] - objective[other] < -0.01).sum())})"
        )


def fleet_figures(args, market: Market, energy_only: Market, executor) -> None:
    """The LP over the benchmark fleet, its scaling with homes and days, and the three
    strategies' revenue."""
    print(f"\nLP, {args.homes} homes x 31 days")
    walls = {}
    for label, m in (("with AS", market), ("energy only", energy_only)):
        wall, scoring, revenue = run("lp", m, args.homes, args.seed, args.chunk, executor)
        walls[label] = wall
        print(
            f"  {label:12s} {wall:7.1f} s  ({1000 * wall / args.homes:.1f} ms/home; of the "
            f"chunks' time {scoring:.1f} s scoring)  net revenue ${revenue:,.0f} "
            f"(${revenue / args.homes:.2f}/home)"
        )

    print("\nscaling, LP with AS (dispatch wall time [s], ms per home-day)")
    for homes in (10, 100, args.homes):
        if homes == args.homes:
            wall = walls["with AS"]  # measured above
        else:
            wall, _, _ = run("lp", market, homes, args.seed, args.chunk, executor)
        print(f"  {homes:5d} homes x 31 days: {wall:7.2f} s  {1000 * wall / homes / 31:.2f}")
    for days in (1, 7, 31):
        wall, _, _ = run("lp", _slice(market, days), 100, args.seed, args.chunk, executor)
        print(f"    100 homes x {days:2d} days: {wall:7.2f} s  {1000 * wall / 100 / days:.2f}")

    print("\nstrategies, 100 homes x 31 days, net revenue (energy + AS - degradation)")
    for strategy in ("none", "rule", "lp"):
        wall, _, revenue = run(strategy, market, 100, args.seed, args.chunk, executor)
        print(f"  {strategy:5s} ${revenue:10,.2f}  ({wall:.1f} s)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--homes", type=int, default=1000)
    parser.add_argument(
        "--workers", type=int, default=2, help="Dask workers (a local cluster); 0: in-process"
    )
    parser.add_argument("--chunk", type=int, default=250)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--dataset", default=None, help="a built dataset folder")
    args = parser.parse_args()
    frame = DataCollector("2023-08-01", market_source="synthetic", seed=args.seed).get_market_data()
    market = market_from_frame(frame)
    energy_only = market_from_frame(frame, ancillary=False)
    settings = DispatchSettings()
    print(
        f"synthetic market Aug 2023: {market.n} intervals of {market.dt_h * 60:.0f} min, "
        f"LMP mean {market.lmp.mean():.1f} $/MWh; {args.workers} Dask workers (0: in-process), "
        f"chunks of {args.chunk}"
    )
    cluster = (
        dask_executor(args.workers, prepare=load_dispatch_models)
        if args.workers
        else contextlib.nullcontext()
    )
    with cluster as executor:
        fleet_figures(args, market, energy_only, executor)
        if args.dataset is not None:
            whole_command(args.dataset, settings, args.chunk, executor)

    print("\nenergy-only revenue of a lone 13.5 kWh / 5 kW battery (reference battery, LA)")
    lone = HomeSeries(np.zeros(market.n), np.zeros(market.n))
    alone = reference_assets(REFERENCE_BATTERY.discharge_kw, 0.0)
    schedule = dispatch_fleet("lp", [lone], [alone], energy_only, DispatchSettings())[0]
    kpi = score(schedule, lone, alone, energy_only, DispatchSettings())
    kw = REFERENCE_BATTERY.discharge_kw
    month = kpi["net revenue"] / kw
    prices = pd.Series(energy_only.lmp, index=pd.DatetimeIndex(frame["timestamp"]))
    check = arbitrage(prices, REFERENCE_BATTERY, "month")
    print(
        f"  synthetic Aug 2023: ${kpi['net revenue']:.2f} net = {month:.2f} $/kW-month, "
        f"x 365/31 = {month * 365 / 31:.1f} $/kW-year; {kpi['equivalent full cycles']:.1f} "
        f"cycles (arbitrage.py on the same prices: ${check.revenue:.2f})"
    )
    try:
        from vppsim.market.evaluation import ALAMITOS_FILE, read_fmm_csv
        from vppsim.report import reference_dir

        real = read_fmm_csv(reference_dir(None) / "market" / ALAMITOS_FILE)
        local = real.index.tz_convert("America/Los_Angeles")
        august = real[(local.month == 8)]
        result = arbitrage(august, REFERENCE_BATTERY, "month")
        per_kw = result.revenue / kw
        print(
            f"  real FMM Aug 2022 (ALAMT3G_7_B1): ${result.revenue:.2f} = {per_kw:.2f} "
            f"$/kW-month, x 365/31 = {per_kw * 365 / 31:.1f} $/kW-year"
        )
    except (OSError, ValueError) as error:
        print(f"  real prices skipped: {error}")
    for year, value in PUBLISHED.items():
        print(f"  published CAISO batteries {year}: {value:.0f} $/kW-year (energy and AS)")
    low, high = PUBLISHED_MONTHS
    print(f"  published single months: {low:.0f} to {high:.0f} $/kW-year annualised")
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\npeak resident memory of the main process: {peak_mb:.0f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
