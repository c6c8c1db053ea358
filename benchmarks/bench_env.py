"""Time ``vppsim/VPP-v0`` in dispatch mode: environment steps per second by fleet size.

    python benchmarks/bench_env.py [--data DIR] [--homes 100 1000 10000] [--steps 192]
                                   [--repeats 3] [--envs 8] [--vector-homes 100 1000]

The fleet is the enrolled homes of ``DIR`` (default: the environment's default offline
study, :func:`vppsim.env.gym.default_study`) replicated side by side up to at least each
``--homes`` (:meth:`vppsim.env.simulator.Fleet.tiled`: the kernels' cost depends on the
number of homes, not on their variety). Each run resets and steps the environment through
``--steps`` intervals with precomputed random actions, observation, settlement and info
included; prints the homes, steps per second (best of ``--repeats``) and the simulator alone
(kernels and the homes' guards, no observation or settlement). Issue 15's goal: at least
1,000 steps/s at 1,000 homes.

Then the native vector env (:class:`vppsim.env.vector.VppVectorEnv`): ``--envs`` K
sub-envs of each ``--vector-homes`` homes stepped together (one simulator call per step, the
settlement, observations and infos of the K at once as arrays, :class:`vppsim.env.gym.EnvCore`),
beside the same K single envs stepped one after the other in a plain loop (no batching of
observations and infos) and in Gymnasium's ``SyncVectorEnv`` (the same batched outputs);
printed as sub-env steps per second (K times the vector steps per second), with the
speed-ups over the loop and over ``SyncVectorEnv``.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import replace

import numpy as np
from gymnasium.vector import SyncVectorEnv

from vppsim.env import gym as vgym
from vppsim.env.simulator import FleetSimulator
from vppsim.env.vector import VppVectorEnv


def best_rate(run, steps: int, repeats: int) -> float:
    best = np.inf
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - start)
    return steps / best


def scaled(base: vgym.EnvData, target: int) -> vgym.EnvData:
    """``base`` with its homes replicated up to at least ``target``."""
    copies = -(-target // base.fleet.homes)
    return replace(
        base,
        fleet=base.fleet.tiled(copies),
        terminal_usd_per_kwh=np.tile(base.terminal_usd_per_kwh, copies),
    )


def random_actions(space, steps: int) -> np.ndarray:
    rng = np.random.default_rng(0)
    low, high = space.low, space.high
    return low + rng.random((steps, *low.shape)) * (high - low)


def vector_rates(base: vgym.EnvData, envs: int, homes: int, steps: int, repeats: int) -> None:
    """Sub-env steps per second of the vector env and of K single envs in a loop."""
    data = scaled(base, homes)
    vector = VppVectorEnv([data] * envs)
    singles = [vgym.VppEnv(data) for _ in range(envs)]
    actions = random_actions(vector.action_space, steps)

    def batched() -> None:
        vector.reset(seed=0)
        for action in actions:
            vector.step(action)

    def looped() -> None:
        for single in singles:
            single.reset(seed=0)
        for action in actions:
            for single, a in zip(singles, action, strict=True):
                single.step(a)

    sync = SyncVectorEnv([lambda: vgym.VppEnv(data) for _ in range(envs)])

    def synced() -> None:
        sync.reset(seed=0)
        for action in actions:
            sync.step(action)

    fast = best_rate(batched, steps * envs, repeats)
    slow = best_rate(looped, steps * envs, repeats)
    usual = best_rate(synced, steps * envs, repeats)
    print(
        f"{envs:>4} {data.fleet.homes:>7} {fast:>12,.0f} {slow:>12,.0f} {usual:>12,.0f} "
        f"{fast / slow:>9.2f} {fast / usual:>9.2f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=None)
    parser.add_argument("--homes", type=int, nargs="+", default=[100, 1000, 10000])
    parser.add_argument("--steps", type=int, default=192)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--envs", type=int, default=8)
    parser.add_argument("--vector-homes", type=int, nargs="+", default=[100, 1000])
    args = parser.parse_args()
    base = vgym.load(args.data or vgym.default_study())
    steps = min(args.steps, base.fleet.n)
    print(f"{'homes':>7} {'env steps/s':>12} {'simulator steps/s':>18}")
    for target in args.homes:
        data = scaled(base, target)
        env = vgym.VppEnv(data)
        actions = random_actions(env.action_space, steps)

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
    print("\nsub-env steps/s:")
    print(
        f"{'K':>4} {'homes':>7} {'vector':>12} {'K singles':>12} {'SyncVector':>12} "
        f"{'vs singles':>9} {'vs Sync':>9}"
    )
    for homes in args.vector_homes:
        vector_rates(base, args.envs, homes, steps, args.repeats)


if __name__ == "__main__":
    main()
