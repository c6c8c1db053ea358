"""Time the fleet's device kernels stepping many homes through a day of 15-min intervals.

    python benchmarks/bench_fleet.py [--homes 10000] [--days 1] [--repeats 5]

Homes from :func:`vppsim.load.homes.draw_homes` (30 % with an EV, all with central AC, LA
inland), the reference battery (Powerwall 2) in every home, one synthetic August day of LA
weather. Each kernel (battery, thermal, EV) and all three together step every home through
every interval with precomputed actions (random battery powers, the AC at half its capacity,
EV charging at full power); prints home-steps per second, best of ``--repeats``. Issue 12's
goal: at least 5e7 home-steps/s, 1e8 for the battery, on the 2-core reference machine.
"""

from __future__ import annotations

import argparse
import datetime as dt
import time

import numpy as np

from vppsim.fleet import ev, thermal
from vppsim.fleet.assets import CATALOGUE
from vppsim.fleet.battery import REFERENCE_BATTERY, BatteryFleet, BatteryKernel
from vppsim.grid import build_grid
from vppsim.load.homes import draw_homes
from vppsim.load.parameters import LoadParameters
from vppsim.seeds import Stream, stream_rng
from vppsim.weather.synthetic import simulate_weather

TZ = "America/Los_Angeles"
PARAMETERS = LoadParameters(ev_share=0.3, ac_share=1.0, inland_share=1.0)


def setup(n_homes: int, n_days: int):
    grid = build_grid(dt.date(2023, 8, 14), dt.date(2023, 8, 13 + n_days), TZ, 15)
    weather = simulate_weather(grid, 34.05, -118.24, TZ, 15, stream_rng(42, Stream.WEATHER))
    homes = draw_homes(1, np.arange(n_homes), PARAMETERS)
    n_steps = len(grid)
    rng = np.random.default_rng(0)

    # Ageing on, as in a drawn fleet: the catalogue Powerwall 2's fade per cycle and per year.
    powerwall_2 = CATALOGUE["powerwall_2"]
    fleet = BatteryFleet.uniform(
        REFERENCE_BATTERY,
        n_homes,
        powerwall_2.calendar_fade_per_year,
        powerwall_2.cycle_fade_per_equivalent_cycle,
    )
    batteries = BatteryKernel(fleet, 15.0)
    battery_actions = rng.uniform(-6.0, 6.0, size=(n_steps, n_homes))

    model = thermal.ThermalModel.from_homes(homes, 15.0, PARAMETERS)
    offsets = np.zeros(n_homes)
    t_out = thermal.outdoor_temperature(
        weather["temp_air_c"].to_numpy(), np.zeros(n_steps), offsets, offsets
    ).astype(np.float64)
    solar = thermal.solar_gain(weather["ghi_w_m2"].to_numpy(), 15.0, 0.5, 4.0)
    drive = thermal.drive(model, t_out, solar, np.full((n_steps, n_homes), 0.5))
    drive = thermal.Drive(drive.outdoor_c, drive.air, drive.mass, np.full(t_out.shape, 24.0))
    drive = drive.with_cop(model)
    ac = thermal.ThermalKernel(model, comfort_band_c=1.5)
    ac_actions = 0.5 * model.cooling_kw / thermal.cop(model, t_out)

    plan = ev.schedule(ev.sessions(homes, grid, TZ, 15, 1, PARAMETERS), n_homes, n_steps, 15.0)
    chargers = ev.EVKernel(plan)
    return {
        "battery": (batteries, battery_actions, None, batteries.initial_state()),
        "thermal": (ac, ac_actions, drive, np.full(n_homes, 26.0)),
        "ev": (chargers, np.broadcast_to(plan.power_kw, (n_steps, n_homes)), plan, None),
    }


def run(kernel, actions, exogenous, state):
    state = kernel.initial_state() if state is None else state
    for k in range(len(actions)):
        state, _, _ = kernel.step(state, actions[k], None if exogenous is None else exogenous.at(k))


def best_time(function, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--homes", type=int, default=10_000)
    parser.add_argument("--days", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    kernels = setup(args.homes, args.days)
    n_steps = len(kernels["battery"][1])
    home_steps = args.homes * n_steps
    print(f"{args.homes:,} homes x {n_steps} intervals of 15 min ({home_steps:,} home-steps)")
    for name, parts in kernels.items():
        seconds = best_time(lambda parts=parts: run(*parts), args.repeats)
        print(f"  {name:<8} {seconds * 1e3:8.1f} ms  {home_steps / seconds:10.3g} home-steps/s")

    def together():
        for parts in kernels.values():
            run(*parts)

    seconds = best_time(together, args.repeats)
    print(
        f"  {'all 3':<8} {seconds * 1e3:8.1f} ms  {home_steps / seconds:10.3g} home-steps/s "
        f"(each home-step steps 3 devices: {3 * home_steps / seconds:.3g} device-steps/s)"
    )


if __name__ == "__main__":
    main()
