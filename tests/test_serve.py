"""The HTTP API and the MCP server over episodes of a small, real Gymnasium environment.

``ToyBattery`` is a one-battery arbitrage environment with a closed-form price, so every
reward and settlement line can be checked against a replay of the same actions in process.
"""

from __future__ import annotations

import json
import math
import os
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import anyio
import gymnasium
import numpy as np
import pytest
from fastapi.testclient import TestClient
from gymnasium import spaces
from mcp import Client, StdioServerParameters
from typer.testing import CliRunner

from vppsim.cli import app
from vppsim.serve import EpisodeStore, create_api, create_mcp, from_json, jsonable
from vppsim.serve.episodes import ActionRejected, EpisodeExpired

HOURS = 24
DT = 1.0  # step length [h]


class ToyBattery(gymnasium.Env):
    """A battery of 1 kWh capacity [kWh] and 1 kW power [kW] trading against
    ``price = 50 + 30 sin(2 pi t / 24) + seed`` [$/MWh], for 24 hourly steps.

    Action ``{"battery": [power share in -1..1, unused 0..1], "flex": share in 0..1}``;
    positive power discharges. Observation ``{"soc": [kWh], "price": [now, next]}``.
    """

    def __init__(self):
        self.observation_space = spaces.Dict(
            {
                "soc": spaces.Box(0.0, 1.0, (1,), np.float64),
                "price": spaces.Box(-1000.0, 1000.0, (2,), np.float64),
            }
        )
        self.action_space = spaces.Dict(
            {
                "battery": spaces.Box(
                    np.array([-1.0, 0.0], np.float32), np.array([1.0, 1.0], np.float32)
                ),
                "flex": spaces.Box(0.0, 1.0, (), np.float32),
            }
        )

    def price(self, t: int) -> float:
        return 50.0 + 30.0 * math.sin(2 * math.pi * t / HOURS) + self.offset

    def observe(self):
        return {
            "soc": np.array([self.soc]),
            "price": np.array([self.price(self.t), self.price(self.t + 1)]),
        }

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        self.offset = float(seed or 0)
        self.t, self.soc = 0, 0.5
        self.total = {"energy": 0.0, "degradation": 0.0, "net": 0.0}
        return self.observe(), {}

    def step(self, action):
        power = float(action["battery"][0])  # [kW], discharge positive
        power = min(power, self.soc / DT) if power > 0 else max(power, (self.soc - 1.0) / DT)
        self.soc -= power * DT
        lines = {
            "energy": power * DT * self.price(self.t) / 1000.0,
            "degradation": -0.02 * abs(power) * DT,
        }
        lines["net"] = lines["energy"] + lines["degradation"]
        self.total = {k: self.total[k] + v for k, v in lines.items()}
        self.t += 1
        info = {"settlement": lines, "settlement_total": dict(self.total)}
        return self.observe(), lines["net"], self.t >= HOURS, False, info


def make_env() -> gymnasium.Env:
    """The factory the server is given (also the default of benchmarks/bench_serve.py)."""
    return ToyBattery()


def action(t: int, scale: float = 1.0) -> dict:
    return {"battery": [scale * math.sin(t), 0.5], "flex": 0.25}


def in_process(seed: int, actions: list[dict]) -> dict:
    """The settlement of the same JSON actions run in process, in the server's JSON form."""
    env = make_env()
    env.reset(seed=seed)
    lines, total, reward = [], {}, 0.0
    for a in actions:
        _, r, _, _, info = env.step(from_json(env.action_space, a))
        lines.append(info["settlement"])
        total, reward = info["settlement_total"], reward + r
    return jsonable({"lines": lines, "total": total, "reward_total": reward})


@pytest.fixture
def client():
    with TestClient(create_api(make_env, max_episodes=8, max_body=4096)) as c:
        yield c


def new(client, seed=0) -> str:
    r = client.post("/episodes", json={"seed": seed})
    assert r.status_code == 201, r.text
    return r.json()["episode"]


def test_episode_round_trip_matches_in_process(client):
    episode = new(client, seed=3)
    first = client.get(f"/episodes/{episode}/observation").json()
    assert first["steps"] == 0
    assert first["observation"] == {
        "soc": [0.5],
        "price": [53.0, 53.0 + 30 * math.sin(math.pi / 12)],
    }
    actions = [action(t) for t in range(HOURS)]
    for t, a in enumerate(actions):
        r = client.post(f"/episodes/{episode}/step", json={"action": a, "expect_step": t})
        assert r.status_code == 200, r.text
    body = r.json()
    assert body["terminated"] and body["steps"] == HOURS
    s = client.get(f"/episodes/{episode}/settlement").json()
    expected = in_process(3, actions)
    assert {k: s[k] for k in expected} == expected
    assert math.isclose(s["total"]["net"], sum(line["net"] for line in s["lines"]), abs_tol=1e-12)
    # An ended episode takes no more steps.
    r = client.post(f"/episodes/{episode}/step", json={"action": actions[0]})
    assert r.status_code == 409 and "ended" in r.json()["detail"]


@pytest.mark.parametrize(
    ("bad", "loc", "words"),
    [
        ({"battery": [0.1, 0.2, 0.3], "flex": 0.1}, ["body", "action", "battery"], "shape [3]"),
        ({"battery": [1.5, 0.2], "flex": 0.1}, ["body", "action", "battery", 0], "outside"),
        ({"battery": [0.1, -0.2], "flex": 0.1}, ["body", "action", "battery", 1], "outside"),
        ({"battery": [0.1, 0.2]}, ["body", "action", "flex"], "missing"),
        ({"battery": [0.1, 0.2], "flex": 0.1, "ev": 1}, ["body", "action", "ev"], "unknown key"),
        ({"battery": [0.1, "x"], "flex": 0.1}, ["body", "action", "battery", 1], "number"),
        ({"battery": [0.1, True], "flex": 0.1}, ["body", "action", "battery", 1], "number"),
        ({"battery": [[0.1], 0.2], "flex": 0.1}, ["body", "action", "battery", 0], "number"),
        ([0.1, 0.2], ["body", "action"], "expected an object"),
    ],
)
def test_bad_action_is_422_naming_the_field_and_changes_nothing(client, bad, loc, words):
    episode = new(client)
    assert client.post(f"/episodes/{episode}/step", json={"action": action(0)}).status_code == 200
    before = client.get(f"/episodes/{episode}/observation").json()
    r = client.post(f"/episodes/{episode}/step", json={"action": bad})
    assert r.status_code == 422, r.text
    (error,) = r.json()["detail"]
    assert error["loc"] == loc and words in error["msg"]
    assert client.get(f"/episodes/{episode}/observation").json() == before
    # The episode goes on as if the bad request never came.
    client.post(f"/episodes/{episode}/step", json={"action": action(1)})
    s = client.get(f"/episodes/{episode}/settlement").json()
    assert s["lines"] == in_process(0, [action(0), action(1)])["lines"]


@pytest.mark.parametrize(
    ("space", "data", "loc", "words"),
    [
        (spaces.Discrete(3, start=1), 0, ("action",), "outside [1, 3]"),
        (spaces.Discrete(3), 1.5, ("action",), "integer"),
        (spaces.Box(0, 5, (2,), np.int64), [1, 2.5], ("action", 1), "integer"),
        (spaces.Box(0, 5, (2,), np.int64), [1, float("inf")], ("action", 1), "integer"),
        (spaces.Box(-1, 1, (2,)), [0.0, float("nan")], ("action", 1), "finite"),
        (spaces.Box(-1, 1, (2, 2)), [[0.0, 0.0], [0.0, -2.0]], ("action", 1, 1), "outside"),
        (spaces.Box(-1, 1, (2,)), [0.0, 0.0], None, None),
        (spaces.Discrete(3, start=1), 3, None, None),
    ],
)
def test_from_json_names_the_element(space, data, loc, words):
    if loc is None:
        assert space.contains(from_json(space, data))
        return
    with pytest.raises(ActionRejected) as caught:
        from_json(space, data)
    assert caught.value.loc == loc and words in caught.value.reason


def test_missing_action_is_422_from_fastapi(client):
    episode = new(client)
    r = client.post(f"/episodes/{episode}/step", json={"expect_step": 0})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "action"]


def test_unknown_episode_is_404(client):
    for r in (
        client.get("/episodes/nope/observation"),
        client.post("/episodes/nope/step", json={"action": action(0)}),
        client.get("/episodes/nope/settlement"),
        client.delete("/episodes/nope"),
    ):
        assert r.status_code == 404 and "nope" in r.json()["detail"]
    episode = new(client)
    assert client.delete(f"/episodes/{episode}").status_code == 204
    assert client.get(f"/episodes/{episode}/observation").status_code == 404


def test_oversized_body_is_413_and_harms_no_episode(client):
    episode = new(client)
    client.post(f"/episodes/{episode}/step", json={"action": action(0)})
    huge = {"action": {"battery": [0.0] * 2000, "flex": 0.0}}
    assert len(json.dumps(huge)) > 4096
    assert client.post(f"/episodes/{episode}/step", json=huge).status_code == 413

    # A chunked body (no Content-Length) over the limit is refused too.
    def chunks():
        for _ in range(10):
            yield b" " * 1000

    r = client.post(
        f"/episodes/{episode}/step", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert r.status_code == 413
    r = client.post(f"/episodes/{episode}/step", json={"action": action(1), "expect_step": 1})
    assert r.status_code == 200 and r.json()["steps"] == 2


def test_stale_expect_step_is_409_and_steps_nothing(client):
    episode = new(client)
    client.post(f"/episodes/{episode}/step", json={"action": action(0), "expect_step": 0})
    # A retry of the same step (its response was lost) is refused, not applied twice.
    r = client.post(f"/episodes/{episode}/step", json={"action": action(0), "expect_step": 0})
    assert r.status_code == 409
    assert client.get(f"/episodes/{episode}/observation").json()["steps"] == 1


def test_max_episodes_is_429(client):
    for _ in range(8):
        new(client)
    r = client.post("/episodes", json={})
    assert r.status_code == 429
    # One line naming the limit, how to free a slot and that idle episodes expire.
    detail = r.json()["detail"]
    assert "\n" not in detail
    assert all(w in detail for w in ("8 episodes open", "max_episodes", "DELETE", "900 s"))


class Clock:
    """A monotonic clock the test moves by hand [s]."""

    def __init__(self):
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class Closable(ToyBattery):
    """Records that its episode's memory was released."""

    closed = False

    def close(self):
        self.closed = True


def test_an_idle_episode_expires_its_memory_is_released_and_a_request_says_so():
    clock, made = Clock(), []

    def factory():
        made.append(Closable())
        return made[-1]

    with TestClient(create_api(factory, idle_timeout=60.0, clock=clock)) as c:
        kept, idle = new(c), new(c)
        store = c.app.state.store
        clock.now = 59.0
        assert c.post(f"/episodes/{kept}/step", json={"action": action(0)}).status_code == 200
        clock.now = 60.0  # idle for 60 s: expired; kept was touched 1 s ago
        for r in (
            c.get(f"/episodes/{idle}/observation"),
            c.post(f"/episodes/{idle}/step", json={"action": action(0)}),
            c.get(f"/episodes/{idle}/settlement"),
            c.delete(f"/episodes/{idle}"),
        ):
            assert r.status_code == 404
            assert r.json()["detail"] == (
                f"episode {idle!r} expired after 60 s without a request; start a new one"
            )
        assert len(store) == 1
        envs = {e: s.env for e, s in store._episodes.items()}
        assert list(envs) == [kept] and not envs[kept].closed
        # The probe that read the spaces, and the idle episode's.
        assert [env.closed for env in made] == [True, False, True]
        # Each request touches: stepping every 50 s keeps an episode for good.
        for t in range(1, 5):
            clock.now = 59.0 + 50.0 * t
            r = c.post(f"/episodes/{kept}/step", json={"action": action(t), "expect_step": t})
            assert r.status_code == 200, r.text
        # An id never issued is still the plain 404.
        assert c.get("/episodes/nope/observation").json()["detail"] == "no episode 'nope'"


def test_abandoned_clients_cannot_exhaust_max_episodes():
    clock = Clock()
    with TestClient(create_api(make_env, max_episodes=3, idle_timeout=900.0, clock=clock)) as c:
        abandoned = [new(c) for _ in range(3)]
        assert c.post("/episodes", json={}).status_code == 429
        clock.now = 899.0
        assert c.post("/episodes", json={}).status_code == 429
        clock.now = 900.0
        fresh = new(c)  # the sweep before the create freed every abandoned slot
        assert len(c.app.state.store) == 1
        assert c.get(f"/episodes/{fresh}/observation").status_code == 200
        assert all(c.get(f"/episodes/{e}/observation").status_code == 404 for e in abandoned)


def test_no_idle_timeout_keeps_episodes_and_a_busy_episode_is_never_expired():
    clock = Clock()
    store = EpisodeStore(make_env, idle_timeout=0.0, clock=clock)
    episode = store.create(seed=1)
    clock.now = 1e9
    assert store.expire() == 0 and store.observe(episode)["steps"] == 0
    store = EpisodeStore(make_env, idle_timeout=10.0, clock=clock)
    episode = store.create(seed=1)
    clock.now += 10.0
    held = store._episodes[episode]
    with held.lock:  # a request in progress (a long step) holds the episode's lock
        assert store.expire() == 0
    assert store.expire() == 1
    with pytest.raises(EpisodeExpired, match="expired after 10 s"):
        store.step(episode, action(0))
    with pytest.raises(ValueError, match="idle_timeout"):
        EpisodeStore(make_env, idle_timeout=-1.0)


def test_mcp_says_an_idle_episode_expired():
    clock = Clock()
    server = create_mcp(make_env, idle_timeout=30.0, clock=clock)

    async def session():
        async with Client(server) as mcp:
            episode = (await mcp.call_tool("new_episode", {"seed": 1})).structured_content[
                "episode"
            ]
            clock.now = 30.0
            gone = await mcp.call_tool("observe", {"episode": episode})
            assert gone.is_error and "expired after 30 s" in gone.content[0].text
            again = await mcp.call_tool("new_episode", {"seed": 1})
            assert not again.is_error

    anyio.run(session)


def test_serve_refuses_a_negative_idle_timeout():
    result = CliRunner().invoke(app, ["serve", "--idle-timeout", "-1"])
    assert result.exit_code == 2 and "idle-timeout" in result.output


def test_concurrent_steps_on_two_episodes_do_not_interfere(client):
    seeds = {new(client, seed): seed for seed in (1, 2)}
    actions = {seed: [action(t, scale=0.3 * seed) for t in range(HOURS)] for seed in (1, 2)}

    def drive(episode):
        for t, a in enumerate(actions[seeds[episode]]):
            r = client.post(f"/episodes/{episode}/step", json={"action": a, "expect_step": t})
            assert r.status_code == 200, r.text

    with ThreadPoolExecutor(2) as pool:
        list(pool.map(drive, seeds))
    for episode, seed in seeds.items():
        s = client.get(f"/episodes/{episode}/settlement").json()
        expected = in_process(seed, actions[seed])
        assert {k: s[k] for k in expected} == expected


def test_concurrent_steps_on_one_episode_are_serialised(client):
    episode = new(client)
    with ThreadPoolExecutor(8) as pool:
        codes = list(
            pool.map(
                lambda _: (
                    client.post(f"/episodes/{episode}/step", json={"action": action(2)}).status_code
                ),
                range(12),
            )
        )
    assert codes == [200] * 12
    s = client.get(f"/episodes/{episode}/settlement").json()
    assert s["steps"] == 12 and s["lines"] == in_process(0, [action(2)] * 12)["lines"]


def test_env_failure_closes_the_episode_only(client):
    def broken():
        env = ToyBattery()
        env.step = lambda a: 1 / 0
        return env

    with TestClient(create_api(broken)) as c:
        episode = new(c)
        r = c.post(f"/episodes/{episode}/step", json={"action": action(0)})
        assert r.status_code == 500 and "ZeroDivisionError" in r.json()["detail"]
        r = c.post(f"/episodes/{episode}/step", json={"action": action(0)})
        assert r.status_code == 409 and "failed" in r.json()["detail"]


def test_spaces_and_openapi_describe_the_action(client):
    action_schema = client.get("/spaces").json()["action"]
    assert action_schema["required"] == ["battery", "flex"]
    battery = action_schema["properties"]["battery"]
    assert (battery["minItems"], battery["maxItems"]) == (2, 2)
    assert battery["x-low"] == [-1.0, 0.0] and battery["x-high"] == [1.0, 1.0]
    assert action_schema["properties"]["flex"] == {
        "type": "number",
        "minimum": 0.0,
        "maximum": 1.0,
        "x-dtype": "float32",
    }
    openapi = client.get("/openapi.json").json()
    step = openapi["components"]["schemas"]["StepRequest"]["properties"]["action"]
    assert step == {**action_schema, "title": "Action"}
    assert "/episodes/{episode_id}/step" in openapi["paths"]


def test_mcp_client_lists_tools_observes_and_steps():
    server = create_mcp(make_env)

    async def session():
        async with Client(server) as mcp:
            tools = {t.name: t for t in (await mcp.list_tools()).tools}
            assert set(tools) >= {"spaces", "new_episode", "observe", "step", "settlement"}
            assert tools["step"].input_schema["properties"]["action"]["required"] == [
                "battery",
                "flex",
            ]
            started = (await mcp.call_tool("new_episode", {"seed": 5})).structured_content
            episode = started["episode"]
            seen = (await mcp.call_tool("observe", {"episode": episode})).structured_content
            assert seen["observation"]["soc"] == [0.5] and seen["steps"] == 0
            actions = [action(t) for t in range(HOURS)]
            for a in actions:
                result = await mcp.call_tool("step", {"episode": episode, "action": a})
                assert not result.is_error
            assert result.structured_content["terminated"]
            bad = await mcp.call_tool(
                "step", {"episode": episode, "action": {"battery": [2.0, 0.0], "flex": 0}}
            )
            assert bad.is_error and "action.battery[0]" in bad.content[0].text
            s = (await mcp.call_tool("settlement", {"episode": episode})).structured_content
            return s, actions

    s, actions = anyio.run(session)
    expected = in_process(5, actions)
    assert {k: s[k] for k in expected} == expected


def test_mcp_over_stdio_steps_a_subprocess_server():
    root = Path(__file__).resolve().parents[1]
    params = StdioServerParameters(
        command=sys.executable,
        args=[
            "-c",
            "from vppsim.serve import run_mcp; from tests.test_serve import make_env; "
            "run_mcp(make_env)",
        ],
        env={**os.environ, "PYTHONPATH": os.pathsep.join([str(root / "src"), str(root)])},
        cwd=root,
    )

    async def session():
        async with Client(params) as mcp:
            episode = (await mcp.call_tool("new_episode", {"seed": 2})).structured_content
            result = await mcp.call_tool(
                "step", {"episode": episode["episode"], "action": action(0), "expect_step": 0}
            )
            return result.structured_content

    stepped = anyio.run(session)
    assert stepped["steps"] == 1
    assert stepped["info"]["settlement"] == in_process(2, [action(0)])["lines"][0]


def test_market_feed_replays_events_in_order_as_sse():
    events = [(0.0, {"t": "00:00", "lmp": 41.5}), (300.0, {"t": "00:05", "lmp": 38.25})]
    with TestClient(create_api(make_env, feed=lambda: iter(events))) as c:
        with c.stream("GET", "/feed", params={"speed": 1e9}) as r:
            assert r.headers["content-type"].startswith("text/event-stream")
            text = "".join(r.iter_text())
        assert c.get("/feed", params={"speed": 0}).json()["detail"][0]["loc"] == [
            "query",
            "speed",
        ]
    blocks = [b for b in text.split("\n\n") if b]
    assert blocks == [
        'event: market\ndata: {"t": "00:00", "lmp": 41.5}',
        'event: market\ndata: {"t": "00:05", "lmp": 38.25}',
        "event: end\ndata: {}",
    ]


def test_no_feed_is_404(client):
    assert client.get("/feed").status_code == 404


def test_client_gone_mid_body_never_reaches_the_episode():
    app = create_api(make_env)
    store = app.state.store
    episode = store.create(seed=0)
    body = json.dumps({"action": action(0)}).encode()
    messages = iter(
        [
            {"type": "http.request", "body": body[:10], "more_body": True},
            {"type": "http.disconnect"},
        ]
    )
    sent = []

    async def receive():
        return next(messages)

    async def send(message):
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": f"/episodes/{episode}/step",
        "raw_path": f"/episodes/{episode}/step".encode(),
        "query_string": b"",
        "headers": [(b"content-type", b"application/json")],
        "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 80),
    }
    anyio.run(app, scope, receive, send)
    assert sent == []
    assert store.observe(episode)["steps"] == 0
