"""Serve episodes of a Gymnasium environment to agents: an HTTP API and an MCP server."""

from vppsim.serve.api import create_api, serve
from vppsim.serve.episodes import EpisodeStore, from_json, jsonable, space_schema
from vppsim.serve.mcp_server import create_mcp, run_mcp

__all__ = [
    "EpisodeStore",
    "create_api",
    "create_mcp",
    "from_json",
    "jsonable",
    "run_mcp",
    "serve",
    "space_schema",
]
