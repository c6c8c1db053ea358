"""Time ``vppsim/VPP-v0`` in dispatch mode: environment steps per second by fleet size.

    python benchmarks/bench_env.py [--data DIR] [--homes 100 1000 10000] [--steps 192]
                                   [--repeats 3]

The fleet is the enrolled homes of ``DIR`` (default: the environment's default offline
study, :func:`vppsim.env.gym.default_study`) replicated side by side up to at least each
``--homes`` (:meth:`vppsim.env.simulator.Fleet.tiled`: the kernels' cost depends on the
number of homes, not on their variety). Each run resets and steps the environment through
``--steps`` intervals with precomputed random actions, observation, settlement and info
included; prints the homes, steps per second (best of ``--repeats``) and the simulator alone
(kernels and the homes' guards, no observation or settlement). Issue 15's goal: at least
1,000 steps/s at 1,000 homes.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import replace

import numpy as np

from vppsim.env import gym as vgym
from vppsim.env.simulator import FleetSimulator


def best_rate(run, steps: int, repeats: int) -> float:
    best = np.inf
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - start)
    return steps / best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=None)
    parser.add_argument("--homes", type=int, nargs="+", default=[100, 1000, 10000])
    parser.add_argument("--steps", type=int, default=192)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    base = vgym.load(args.data or vgym.default_study())
    steps = min(args.steps, base.fleet.n)
    print(f"{'homes':>7} {'env steps/s':>12} {'simulator steps/s':>18}")
    for target in args.homes:
        copies = -(-target // base.fleet.homes)
        data = replace(
            base,
            fleet=base.fleet.tiled(copies),
            terminal_usd_per_kwh=np.tile(base.terminal_usd_per_kwh, copies),
        )
        env = vgym.VppEnv(data)
        rng = np.random.default_rng(0)
        low, high = env.action_space.low, env.action_space.high
        actions = low + rng.random((steps, *low.shape)) * (high - low)

        def episode(env=env, actions=actions) -> None:
            env.reset(seed=0)
            for action in actions:
                env.step(action)

        sim = FleetSimulator(data.fleet)

        def simulate(sim=sim, actions=actions) -> None:
            sim.reset()
            for action in actions:
                sim.step(action)

        print(
            f"{data.fleet.homes:>7} {best_rate(episode, steps, args.repeats):>12,.0f} "
            f"{best_rate(simulate, steps, args.repeats):>18,.0f}"
        )


if __name__ == "__main__":
    main()
