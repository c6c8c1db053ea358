"""MCP server over episodes of a Gymnasium environment, for LLM agents.

The same :class:`~vppsim.serve.episodes.EpisodeStore` as the HTTP API, as MCP tools:
``spaces``, ``new_episode``, ``observe``, ``step``, ``settlement``, ``end_episode``. Built on
the official ``mcp`` SDK (2.x, where ``FastMCP`` is ``mcp.server.mcpserver.MCPServer``); run
over stdio or streamable HTTP on loopback with :func:`run_mcp`. A refused call (bad action,
unknown or ended episode) is a tool error whose text names the field and why.
"""

# No `from __future__ import annotations`: the tools' annotations are local (the action's
# schema), and the MCP SDK reads annotations when a tool is registered.
import json
import time
from collections.abc import Callable
from typing import Annotated, Any, Literal

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import Field, WithJsonSchema

from vppsim.serve.api import LOOPBACK
from vppsim.serve.episodes import EnvFactory, EpisodeStore, ServeError

EpisodeId = Annotated[str, Field(description="The id new_episode returned")]


def create_mcp(
    factory: EnvFactory,
    max_episodes: int = 256,
    name: str = "vppsim",
    idle_timeout: float = 900.0,
    clock: Callable[[], float] = time.monotonic,
) -> MCPServer:
    """Make the MCP server over episodes of the environments ``factory`` makes.

    Parameters
    ----------
    factory : EnvFactory
        Makes a fresh Gymnasium environment per episode.
    max_episodes : int
        Episodes held at once.
    name : str
        The server's name, as MCP clients list it.
    idle_timeout : float
        An episode without a call this long is closed [s]; 0 for never.
    clock : callable
        Monotonic seconds for the idle timeout [s] (tests inject one).

    Returns
    -------
    mcp.server.mcpserver.MCPServer
        The server; its tools run in worker threads (the SDK runs sync tools so), and each
        episode steps under its own lock. Its store is ``server.store`` (:func:`run_mcp`
        sweeps it).
    """
    store = EpisodeStore(factory, max_episodes, idle_timeout, clock)
    schemas = store.spaces()
    server = MCPServer(
        name,
        instructions=(
            "Drive episodes of an environment: call spaces once, new_episode, then observe "
            "and step with actions matching the action schema; settlement reads the money."
        ),
    )

    def call(method, *args):
        try:
            return method(*args)
        except ServeError as exc:
            raise ToolError(str(exc)) from None

    Action = Annotated[
        Any,
        WithJsonSchema(schemas["action"]),
        Field(description="The action: " + json.dumps(schemas["action"])),
    ]

    @server.tool()
    def spaces() -> dict[str, Any]:
        """The observation and action spaces as JSON Schema."""
        return schemas

    @server.tool()
    def new_episode(seed: int | None = None) -> dict[str, Any]:
        """Start an episode; returns its id ('episode') and first observation."""
        return call(lambda: store.observe(store.create(seed)))

    @server.tool()
    def observe(episode: EpisodeId) -> dict[str, Any]:
        """The episode's last observation, info, step count and whether it has ended."""
        return call(store.observe, episode)

    @server.tool()
    def step(
        episode: EpisodeId,
        action: Action,
        expect_step: Annotated[
            int | None, Field(description="Steps you believe were taken; refused if not")
        ] = None,
    ) -> dict[str, Any]:
        """Validate the action and advance the episode one step: observation, reward,
        terminated, truncated, info (with the step's settlement lines)."""
        return call(store.step, episode, action, expect_step)

    @server.tool()
    def settlement(episode: EpisodeId) -> dict[str, Any]:
        """Running settlement total, the lines of every step so far, summed reward."""
        return call(store.settlement, episode)

    @server.tool()
    def end_episode(episode: EpisodeId) -> str:
        """Close and forget the episode."""
        call(store.delete, episode)
        return f"episode {episode} closed"

    server.store = store
    return server


def run_mcp(
    factory: EnvFactory,
    transport: Literal["stdio", "streamable-http"] = "stdio",
    host: str = LOOPBACK,
    port: int = 8001,
    max_episodes: int = 256,
    idle_timeout: float = 900.0,
) -> None:
    """Run the MCP server over stdio, or streamable HTTP on ``host:port`` (loopback by default);
    idle episodes are swept while it runs."""
    server = create_mcp(factory, max_episodes=max_episodes, idle_timeout=idle_timeout)
    server.store.start_sweeper()
    try:
        if transport == "stdio":
            server.run("stdio")
        else:
            server.run("streamable-http", host=host, port=port)
    finally:
        server.store.close()
