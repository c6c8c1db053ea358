"""Load the HTTP API on loopback: per-step latency, then concurrent clients, then replay.

    python benchmarks/bench_serve.py [--factory module:function] [--clients 50]
        [--seconds 60] [--steps 2000]

Starts uvicorn on 127.0.0.1 at a free port in a subprocess, serving ``create_api(factory)``
(default: the small battery environment of tests/test_serve.py; ``--factory
vppsim.env.gym:make_env`` serves the vppsim environment on its default study; any
zero-argument factory will do). Prints:

* the per-step latency (p50, p99, mean [ms]) of one client stepping ``--steps`` times
  (issue 15's goal: under 10 ms);
* ``--clients`` concurrent clients, each on its own episodes (a new one when the last ends),
  for ``--seconds``: steps/s, step latency p50/p99, errors (any failed or non-2xx request);
* alongside them a client sending malformed requests (an out-of-bounds action, broken JSON,
  a body over the size limit, an unknown episode), each of which must be refused with its
  status (422, 422, 413, 404), and a client that drops its connection in the middle of step
  requests (its episode must hold either the step or nothing);
* then every episode's settlement compared with the same actions run in process (identical
  JSON, to the last bit).

Actions are a deterministic pattern inside the action space's bounds, per client and step.
"""

import argparse
import asyncio
import importlib
import json
import math
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from gymnasium import spaces

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from vppsim.serve import create_api, from_json, jsonable

HOST = "127.0.0.1"
DEFAULT_FACTORY = "tests.test_serve:make_env"


def load_factory(spec: str):
    module, _, name = spec.partition(":")
    return getattr(importlib.import_module(module), name)


def pattern(space: spaces.Space, client: int, t: int) -> Any:
    """A deterministic JSON action inside ``space``: a sine per element, client and step."""
    if isinstance(space, spaces.Dict):
        return {k: pattern(s, client + 7 * i, t) for i, (k, s) in enumerate(space.spaces.items())}
    if isinstance(space, spaces.Box):
        low = np.where(np.isfinite(space.low), space.low, -1.0)
        high = np.where(np.isfinite(space.high), space.high, 1.0)
        phase = np.arange(math.prod(space.shape)).reshape(space.shape) + 0.37 * client + 0.61 * t
        share = 0.5 + 0.5 * np.sin(phase)
        value = (low + (high - low) * share).astype(space.dtype)
        return np.clip(value, space.low, space.high).tolist()
    if isinstance(space, spaces.Discrete):
        return int(space.start) + (client + t) % int(space.n)
    raise SystemExit(f"no action pattern for {space}")


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def start_server(factory: str, port: int, max_episodes: int) -> subprocess.Popen:
    options = ["--factory", factory, "--port", str(port), "--max-episodes", str(max_episodes)]
    child = subprocess.Popen([sys.executable, __file__, "--child", *options])
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://{HOST}:{port}/spaces").status_code == 200:
                return child
        except httpx.TransportError:
            time.sleep(0.1)
    child.kill()
    raise SystemExit("the server did not come up in 60 s")


@dataclass
class Run:
    """One episode as a client drove it: its seed, the actions applied, the server's answer."""

    seed: int
    actions: list[Any] = field(default_factory=list)
    settlement: dict[str, Any] | None = None


def percentiles(latencies: list[float]) -> str:
    ms = np.asarray(latencies) * 1000.0
    p50, p99 = np.percentile(ms, [50, 99])
    return f"p50 {p50:.2f} ms, p99 {p99:.2f} ms, mean {ms.mean():.2f} ms ({ms.size} steps)"


def single_client(base: str, space: spaces.Space, steps: int) -> tuple[list[float], list[Run]]:
    """Step one episode after another with one keep-alive connection; time each step."""
    latencies, runs = [], []
    with httpx.Client(base_url=base) as http:
        while len(latencies) < steps:
            run = Run(seed=len(runs))
            episode = http.post("/episodes", json={"seed": run.seed}).json()["episode"]
            done = False
            while not done and len(latencies) < steps:
                action = pattern(space, 0, len(run.actions))
                start = time.perf_counter()
                r = http.post(f"/episodes/{episode}/step", json={"action": action})
                latencies.append(time.perf_counter() - start)
                r.raise_for_status()
                run.actions.append(action)
                done = r.json()["terminated"] or r.json()["truncated"]
            run.settlement = http.get(f"/episodes/{episode}/settlement").json()
            http.delete(f"/episodes/{episode}")
            runs.append(run)
    return latencies, runs


class Connection:
    """A keep-alive HTTP/1.1 connection on loopback speaking just what the API answers.

    The load phase uses it rather than ``httpx.AsyncClient``: on a 2-core machine httpx's async
    pool at 50 connections costs more CPU than the server (measured: 42 steps/s against about
    600 with this), so the figures would time the client.
    """

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        self.reader, self.writer = reader, writer

    @classmethod
    async def open(cls, port: int) -> "Connection":
        return cls(*await asyncio.open_connection(HOST, port))

    def encode(self, method: str, path: str, body: bytes = b"") -> bytes:
        head = (
            f"{method} {path} HTTP/1.1\r\nHost: {HOST}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        )
        return head.encode() + body

    async def request(self, method: str, path: str, data: Any = None, raw: bytes | None = None):
        """Send one request; return its status and JSON answer (None when it has no body)."""
        body = raw if raw is not None else (b"" if data is None else json.dumps(data).encode())
        self.writer.write(self.encode(method, path, body))
        head = (await self.reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
        status = int(head[0].split()[1])
        headers = dict(line.lower().split(": ", 1) for line in head[1:] if line)
        length = int(headers.get("content-length", 0))
        answer = await self.reader.readexactly(length) if length else b""
        return status, json.loads(answer) if answer else None

    async def close(self) -> None:
        self.writer.close()
        await self.writer.wait_closed()


class Load:
    """The concurrent phase: its clients and shared tallies."""

    SETTLE = 5.0
    """Longest wait for a step whose client left after sending it whole [s]."""

    def __init__(self, port: int, space: spaces.Space, seconds: float):
        self.port, self.space = port, space
        self.stop = time.monotonic() + seconds
        self.latencies: list[float] = []
        self.errors: list[str] = []
        self.runs: list[Run] = []
        self.refused: dict[str, int] = {}
        self.dropped = {"applied": 0, "not applied": 0}

    async def call(self, http: Connection, method: str, path: str, data: Any = None):
        status, answer = await http.request(method, path, data)
        if status >= 300:
            raise RuntimeError(f"{method} {path}: {status} {answer}")
        return answer

    async def client(self, k: int) -> None:
        http = await Connection.open(self.port)
        try:
            while time.monotonic() < self.stop:
                await self.episode(http, k, Run(seed=1000 * (k + 1) + len(self.runs)))
        except (OSError, asyncio.IncompleteReadError, RuntimeError) as exc:
            self.errors.append(f"client {k}: {type(exc).__name__}: {exc}")
        finally:
            await http.close()

    async def episode(self, http: Connection, k: int, run: Run) -> None:
        episode = (await self.call(http, "POST", "/episodes", {"seed": run.seed}))["episode"]
        done = False
        while not done and time.monotonic() < self.stop:
            action = pattern(self.space, k, len(run.actions))
            start = time.perf_counter()
            answer = await self.call(
                http,
                "POST",
                f"/episodes/{episode}/step",
                {"action": action, "expect_step": len(run.actions)},
            )
            self.latencies.append(time.perf_counter() - start)
            run.actions.append(action)
            done = answer["terminated"] or answer["truncated"]
        run.settlement = await self.call(http, "GET", f"/episodes/{episode}/settlement")
        await self.call(http, "DELETE", f"/episodes/{episode}")
        self.runs.append(run)

    async def malformed(self) -> None:
        """Requests that must be refused, each with its status, while the others run."""
        http = await Connection.open(self.port)
        run = Run(seed=7)
        episode = (await self.call(http, "POST", "/episodes", {"seed": run.seed}))["episode"]
        good = pattern(self.space, 0, 0)
        bad = json.loads(json.dumps(good).replace("]", ", 0.0]", 1))  # one element too many
        step = f"/episodes/{episode}/step"
        cases = {
            "wrong shape (422)": (422, step, json.dumps({"action": bad}).encode()),
            "broken JSON (422)": (422, step, b'{"action": ['),
            "oversized body (413)": (413, step, b" " * 300_000),
            "unknown episode (404)": (
                404,
                "/episodes/x/step",
                json.dumps({"action": good}).encode(),
            ),
        }
        while time.monotonic() < self.stop:
            for name, (status, path, body) in cases.items():
                got, _ = await http.request("POST", path, raw=body)
                if got != status:
                    self.errors.append(f"{name}: got {got}")
                self.refused[name] = self.refused.get(name, 0) + 1
            await asyncio.sleep(0.01)
        run.settlement = await self.call(http, "GET", f"/episodes/{episode}/settlement")
        self.runs.append(run)  # no step may have been applied
        await http.close()

    async def dropping(self) -> None:
        """Step requests abandoned mid-flight: the episode holds the step or nothing.

        Alternately the connection closes after half the body (the step cannot apply) and
        right after the whole request, before the answer (the server may still run it: the
        client waits up to ``SETTLE`` seconds for it before deciding it was not applied, so a
        loaded server's late step is not mistaken for a lost one). The step carries
        ``expect_step``, so it can only ever apply as that step.
        """
        http = await Connection.open(self.port)
        attempts = 0
        while time.monotonic() < self.stop:
            run = Run(seed=11 + len(self.runs))
            episode = (await self.call(http, "POST", "/episodes", {"seed": run.seed}))["episode"]
            done = False
            while not done and time.monotonic() < self.stop:
                action = pattern(self.space, 99, len(run.actions))
                body = json.dumps({"action": action, "expect_step": len(run.actions)}).encode()
                request = http.encode("POST", f"/episodes/{episode}/step", body)
                attempts += 1
                whole = attempts % 2 == 0
                cut = len(request) if whole else len(request) - len(body) // 2
                once = await Connection.open(self.port)
                once.writer.write(request[:cut])
                await once.writer.drain()
                await once.close()
                settle = time.monotonic() + (self.SETTLE if whole else 0.05)
                while True:
                    await asyncio.sleep(0.01)  # let the server finish what it received
                    seen = await self.call(http, "GET", f"/episodes/{episode}/observation")
                    if seen["steps"] != len(run.actions) or time.monotonic() > settle:
                        break
                if seen["steps"] == len(run.actions) + 1:
                    run.actions.append(action)
                    self.dropped["applied"] += 1
                elif seen["steps"] == len(run.actions):
                    self.dropped["not applied"] += 1
                else:
                    self.errors.append(f"dropped: {seen['steps']} steps, {len(run.actions)} sent")
                done = seen["terminated"] or seen["truncated"]
            run.settlement = await self.call(http, "GET", f"/episodes/{episode}/settlement")
            await self.call(http, "DELETE", f"/episodes/{episode}")
            self.runs.append(run)
        await http.close()


async def concurrent(port: int, space: spaces.Space, clients: int, seconds: float) -> Load:
    load = Load(port, space, seconds)
    await asyncio.gather(
        *(load.client(k) for k in range(clients)), load.malformed(), load.dropping()
    )
    return load


def replay(factory, runs: list[Run]) -> list[str]:
    """Run each episode's actions in process; name every episode whose settlement differs."""
    mismatches = []
    for run in runs:
        env = factory()
        env.reset(seed=run.seed)
        lines, total, reward = [], {}, 0.0
        for action in run.actions:
            _, r, _, _, info = env.step(from_json(env.action_space, action))
            info = jsonable(info)
            if "settlement" in info:
                lines.append(info["settlement"])
            total = info.get("settlement_total", total)
            reward += float(r)
        env.close()
        expected = {
            "steps": len(run.actions),
            "lines": lines,
            "total": total,
            "reward_total": reward,
        }
        got = {k: run.settlement[k] for k in expected}
        if got != expected:
            mismatches.append(f"seed {run.seed}: {len(run.actions)} steps differ")
    return mismatches


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--factory", default=DEFAULT_FACTORY, help="module:function")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--steps", type=int, default=2000, help="steps of the one-client phase")
    parser.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--max-episodes", type=int, default=256, help=argparse.SUPPRESS)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    factory = load_factory(args.factory)
    if args.child:
        import uvicorn

        app = create_api(factory, max_episodes=args.max_episodes)
        uvicorn.run(app, host=HOST, port=args.port, log_level="warning")
        return

    space = factory().action_space
    port = free_port()
    server = start_server(args.factory, port, args.clients + 16)
    base = f"http://{HOST}:{port}"
    try:
        print(f"server: {args.factory} on {base} (uvicorn, one process)")
        latencies, single_runs = single_client(base, space, args.steps)
        print(f"one client, per-step latency: {percentiles(latencies)}")
        start = time.perf_counter()
        load = asyncio.run(concurrent(port, space, args.clients, args.seconds))
        wall = time.perf_counter() - start
    finally:
        server.terminate()
        server.wait(30)
    steps = len(load.latencies)
    print(
        f"{args.clients} clients for {wall:.1f} s: {steps} steps, {steps / wall:.0f} steps/s, "
        f"{len(load.runs)} episodes; latency {percentiles(load.latencies)}"
    )
    print(f"errors: {len(load.errors)}" + "".join(f"\n  {e}" for e in load.errors[:10]))
    print("refused as they must be: " + ", ".join(f"{k} x{n}" for k, n in load.refused.items()))
    print(
        f"dropped mid-request: {load.dropped['applied']} applied, "
        f"{load.dropped['not applied']} not applied"
    )
    mismatches = replay(factory, single_runs + load.runs)
    print(
        f"settlement vs in-process replay: {len(single_runs) + len(load.runs) - len(mismatches)}"
        f" identical, {len(mismatches)} differ" + "".join(f"\n  {m}" for m in mismatches[:10])
    )


if __name__ == "__main__":
    main()
