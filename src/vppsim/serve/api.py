"""HTTP API over episodes of a Gymnasium environment, for agents that speak JSON.

``create_api(factory)`` returns a FastAPI app; serve it with uvicorn on loopback
(:func:`serve`). Routes: ``POST /episodes`` (new episode), ``GET /episodes/{id}/observation``,
``POST /episodes/{id}/step``, ``GET /episodes/{id}/settlement``, ``DELETE /episodes/{id}``,
``GET /spaces``, and with a feed the market clock ``GET /feed?speed=...`` (Server-Sent
Events); the OpenAPI schema at ``/openapi.json`` carries the action's JSON Schema.

Errors: 422 names the offending field in FastAPI's own form
(``{"detail": [{"loc": ["body", "action", "battery", 1], "msg": ..., "type": ...}]}``) and
leaves the episode untouched; 404 unknown episode, or one expired after ``idle_timeout``
seconds without a request (the detail says so); 409 ended episode or stale ``expect_step``;
413 body over ``max_body`` bytes; 429 too many episodes.
"""

# No `from __future__ import annotations`: the step route's body model is made per app, and
# FastAPI reads annotations when a route is registered.
import json
import time
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager
from typing import Annotated, Any

import anyio
import gymnasium
from fastapi import FastAPI, HTTPException, Query, Request
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, Field, WithJsonSchema, create_model
from starlette.types import ASGIApp, Receive, Scope, Send

from vppsim.serve.episodes import (
    ActionRejected,
    EnvFactory,
    EpisodeStore,
    ServeError,
)

Feed = Callable[[], Iterable[tuple[float, dict[str, Any]]]]
"""Makes the market clock's events: ``(t, event)`` with ``t`` non-decreasing market time [s]
and ``event`` a JSON-serialisable dict (e.g. a dataset's prices as they are published)."""

LOOPBACK = "127.0.0.1"
MAX_BODY = 64 * 1024
"""Default request size limit [bytes]; an action of a few thousand numbers fits."""
BYTES_PER_NUMBER = 32
"""Room per number of the action in the body limit [bytes]: a float's JSON text and its
separators (``-0.123456789012345, ``) with margin."""


class NewEpisode(BaseModel):
    """Body of ``POST /episodes``."""

    seed: int | None = Field(None, description="Seed passed to env.reset; None for the env's own")
    options: dict[str, Any] | None = Field(None, description="Options passed to env.reset")


class BodyLimit:
    """ASGI middleware refusing request bodies over ``max_body`` bytes with 413.

    The body is read up to the limit before the app sees it, so an oversized request never
    reaches a route, whether it declares its length or streams it chunked. The rest of an
    oversized body is read and dropped (up to ``DRAIN`` bytes) before answering: a server
    that answers and closes with unread bytes resets the connection, and the client never
    sees the 413.
    """

    DRAIN = 16 * 1024 * 1024
    """Bytes of an oversized body read and dropped before the 413 [bytes]; beyond, close."""

    def __init__(self, app: ASGIApp, max_body: int):
        self.app = app
        self.max_body = max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and not declared.isdigit():
            await self._refuse(scope, receive, send, 400, "Content-Length is not a number")
            return
        chunks, size, more = [], 0, True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return  # the client left before sending its body: nothing to do
            size += len(message.get("body", b""))
            more = message.get("more_body", False)
            if size <= self.max_body:
                chunks.append(message.get("body", b""))
            elif not more or size > self.DRAIN:
                await self._refuse(
                    scope, receive, send, 413, f"request body over {self.max_body} bytes"
                )
                return
        body = b"".join(chunks)
        replayed = False

        async def replay() -> dict[str, Any]:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _refuse(
        self, scope: Scope, receive: Receive, send: Send, status: int, detail: str
    ) -> None:
        await JSONResponse({"detail": detail}, status_code=status)(scope, receive, send)


class Settlement(BaseModel):
    """Answer of ``GET /episodes/{id}/settlement``."""

    episode: str
    steps: int
    reward_total: float = Field(description="Sum of the rewards so far")
    total: dict[str, Any] = Field(description='The last info["settlement_total"] [$]')
    lines: list[dict[str, Any]] = Field(description='Each step\'s info["settlement"] [$]')


async def replay_feed(feed: Feed, speed: float) -> AsyncIterator[str]:
    """The feed's events as Server-Sent Events, each sent when its market time comes at
    ``speed`` market seconds per wall second (the pace is the clock's; the events are not)."""
    previous = None
    for t, event in feed():
        if previous is not None and t > previous:
            await anyio.sleep((t - previous) / speed)
        previous = t
        yield f"event: market\ndata: {json.dumps(event, allow_nan=False)}\n\n"
    yield "event: end\ndata: {}\n\n"


def create_api(
    factory: EnvFactory,
    max_episodes: int = 256,
    max_body: int | None = None,
    feed: Feed | None = None,
    idle_timeout: float = 900.0,
    clock: Callable[[], float] = time.monotonic,
) -> FastAPI:
    """Make the HTTP API over episodes of the environments ``factory`` makes.

    Parameters
    ----------
    factory : EnvFactory
        Makes a fresh Gymnasium environment per episode.
    max_episodes : int
        Episodes held at once (429 beyond).
    max_body : int, optional
        Request body limit [bytes] (413 beyond). Default: :data:`MAX_BODY`, or room for the
        action's numbers as JSON (:data:`BYTES_PER_NUMBER` each) when that is more (an action
        per home of a large fleet).
    feed : Feed, optional
        The market clock's events, replayed by ``GET /feed?speed=...``; 404 there without it.
    idle_timeout : float
        An episode without a request this long is closed [s]; 0 for never.
    clock : callable
        Monotonic seconds for the idle timeout [s] (tests inject one).

    Returns
    -------
    fastapi.FastAPI
        The app; ``app.state.store`` is its :class:`~vppsim.serve.episodes.EpisodeStore`.
    """
    store = EpisodeStore(factory, max_episodes, idle_timeout, clock)
    schemas = store.spaces()
    # The spaces' JSON Schemas go into OpenAPI. An action is validated by the store, which
    # names the field in its 422 (pydantic would only say "invalid"); answers are built by the
    # store and sent as they are (the models document them; validating them again would cost
    # a third of a step's time).
    StepRequest = create_model(
        "StepRequest",
        action=(Annotated[Any, WithJsonSchema(schemas["action"])], ...),
        expect_step=(
            int | None,
            Field(None, description="Steps the client believes were taken; 409 if not"),
        ),
    )
    EpisodeState = create_model(
        "EpisodeState",
        episode=(str, ...),
        steps=(int, Field(..., description="Steps taken so far")),
        terminated=(bool, ...),
        truncated=(bool, ...),
        observation=(Annotated[Any, WithJsonSchema(schemas["observation"])], ...),
        info=(dict[str, Any], Field(..., description="The last info; settlement lines inside")),
    )
    StepResult = create_model("StepResult", __base__=EpisodeState, reward=(float, ...))

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        store.start_sweeper()
        yield
        store.close()

    app = FastAPI(
        lifespan=lifespan,
        title="vppsim environment",
        description="Episodes of a Gymnasium environment: observe, step, read the settlement.",
    )
    app.state.store = store
    if max_body is None:
        numbers = gymnasium.spaces.flatdim(store.action_space)
        max_body = max(MAX_BODY, BYTES_PER_NUMBER * numbers)
    app.add_middleware(BodyLimit, max_body=max_body)

    @app.exception_handler(ServeError)
    async def serve_error(request: Request, exc: ServeError) -> JSONResponse:
        if isinstance(exc, ActionRejected):
            detail = [{"loc": ["body", *exc.loc], "msg": exc.reason, "type": "action_not_in_space"}]
        else:
            detail = str(exc)
        return JSONResponse({"detail": detail}, status_code=exc.status)

    @app.get("/spaces")
    def get_spaces() -> dict[str, Any]:
        """The observation and action spaces as JSON Schema."""
        return schemas

    @app.post("/episodes", status_code=201, response_model=EpisodeState)
    def new_episode(body: NewEpisode | None = None) -> JSONResponse:
        """Start an episode (env.reset); its id and first observation."""
        body = body or NewEpisode()
        episode_id = store.create(body.seed, body.options)
        return JSONResponse(store.observe(episode_id), status_code=201)

    @app.get("/episodes/{episode_id}/observation", response_model=EpisodeState)
    def observe(episode_id: str) -> JSONResponse:
        """The episode's last observation, info, step count and whether it has ended."""
        return JSONResponse(store.observe(episode_id))

    @app.post("/episodes/{episode_id}/step", response_model=StepResult)
    def step(episode_id: str, body: StepRequest) -> JSONResponse:  # type: ignore[valid-type]
        """Validate the action and advance the episode one step."""
        return JSONResponse(store.step(episode_id, body.action, body.expect_step))

    @app.get("/episodes/{episode_id}/settlement", response_model=Settlement)
    def settlement(episode_id: str) -> JSONResponse:
        """Running settlement total, the lines of every step so far, summed reward."""
        return JSONResponse(store.settlement(episode_id))

    @app.get("/feed", response_class=StreamingResponse)
    def market_feed(
        speed: Annotated[float, Query(gt=0, description="Market seconds per wall second")] = 900.0,
    ) -> StreamingResponse:
        """The market clock: the dataset's events as Server-Sent Events, at ``speed``."""
        if feed is None:
            raise HTTPException(404, "this server has no market feed")
        return StreamingResponse(replay_feed(feed, speed), media_type="text/event-stream")

    @app.delete("/episodes/{episode_id}", status_code=204)
    def delete(episode_id: str) -> None:
        """Close and forget the episode."""
        store.delete(episode_id)

    return app


def serve(
    factory: EnvFactory,
    host: str = LOOPBACK,
    port: int = 8000,
    max_episodes: int = 256,
    feed: Feed | None = None,
    log_level: str = "warning",
    idle_timeout: float = 900.0,
) -> None:
    """Run the API with uvicorn, on loopback unless ``host`` says otherwise (blocks)."""
    import uvicorn

    app = create_api(factory, max_episodes, feed=feed, idle_timeout=idle_timeout)
    uvicorn.run(app, host=host, port=port, log_level=log_level)
