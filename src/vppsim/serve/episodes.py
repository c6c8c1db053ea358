"""Episodes of a Gymnasium environment held for remote agents, and their JSON form.

The HTTP API (:mod:`vppsim.serve.api`) and the MCP server (:mod:`vppsim.serve.mcp_server`) are
two faces of one :class:`EpisodeStore`: it makes environments with a factory, keys them by an
id, validates every action against the action space before the environment sees it, and steps
each episode under its own lock, so a step is atomic and a rejected action never half-applies.
An episode untouched for ``idle_timeout`` seconds is closed and forgotten (its memory
released), so clients that walk away cannot hold the server's ``max_episodes`` slots; a later
request for it is a 404 saying it expired.

JSON form (as ``gymnasium.spaces.utils``): a ``Dict`` space is a JSON object of its keys, a
``Box`` a (nested) list of numbers, ``Discrete`` an int. Non-finite floats, which JSON cannot
hold, are written as ``null``.
"""

from __future__ import annotations

import math
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import gymnasium
import numpy as np
from gymnasium import spaces

from vppsim.errors import VppsimError

EnvFactory = Callable[[], gymnasium.Env]
"""Makes a fresh environment for each episode, e.g. ``lambda: gymnasium.make("vppsim/VPP-v0")``."""


class ServeError(VppsimError):
    """A request the server refuses; ``status`` is its HTTP status code."""

    status = 400


class ActionRejected(ServeError, ValueError):
    """An action does not belong to the action space. ``loc`` names the offending field."""

    status = 422
    exit_code = 2

    def __init__(self, loc: tuple[str | int, ...], reason: str):
        self.loc = loc
        self.reason = reason
        super().__init__(f"{field_name(loc)}: {reason}")

    def __reduce__(self):
        return type(self), (self.loc, self.reason)


class UnknownEpisode(ServeError, KeyError):
    """No episode has this id (never created, deleted, or evicted)."""

    status = 404

    def __str__(self) -> str:
        return f"no episode {self.args[0]!r}"


class EpisodeExpired(UnknownEpisode):
    """The episode was closed after ``idle_timeout`` seconds without a request."""

    def __str__(self) -> str:
        episode_id, idle = self.args
        return f"episode {episode_id!r} expired after {idle:g} s without a request; start a new one"


class EpisodeConflict(ServeError):
    """The episode cannot take this step: it has ended or failed, or the client's step count is
    stale (``expect_step`` differs from the episode's)."""

    status = 409


class TooManyEpisodes(ServeError):
    """The server holds ``max_episodes`` episodes already; delete one first (or wait for an
    idle one to expire)."""

    status = 429


class EnvFailed(ServeError):
    """The environment raised during a step; the episode is closed, since its state is unknown."""

    status = 500


def field_name(loc: tuple[str | int, ...]) -> str:
    """Write a location as ``action.battery[3]``."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out


def jsonable(value: Any) -> Any:
    """Convert an observation or an ``info`` dict (numpy arrays and scalars) to plain JSON types.

    Non-finite floats become ``None``: JSON has no NaN or infinity.
    """
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, np.ndarray):
        if value.dtype.kind in "iub" or (value.dtype.kind == "f" and np.isfinite(value).all()):
            return value.tolist()  # plain numbers already: no walk over every element
        return jsonable(value.tolist())
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _is_number(x: Any) -> bool:
    return isinstance(x, int | float | np.integer | np.floating) and not isinstance(
        x, bool | np.bool_
    )


def from_json(space: spaces.Space, data: Any, loc: tuple[str | int, ...] = ("action",)) -> Any:
    """Convert a JSON action to a member of ``space``, or raise :class:`ActionRejected`.

    The value is converted to the space's dtype and shape and then checked with
    ``space.contains``; the error names the first offending key or element and why (missing or
    unknown key, not a number, shape, bounds).
    """
    if isinstance(space, spaces.Dict):
        if not isinstance(data, Mapping):
            raise ActionRejected(loc, f"expected an object with keys {sorted(space.spaces)}")
        for key in data:
            if key not in space.spaces:
                raise ActionRejected((*loc, key), f"unknown key; expected {sorted(space.spaces)}")
        out = {}
        for key, sub in space.spaces.items():
            if key not in data:
                raise ActionRejected((*loc, key), "missing")
            out[key] = from_json(sub, data[key], (*loc, key))
        return out
    if isinstance(space, spaces.Box):
        return _box_from_json(space, data, loc)
    if isinstance(space, spaces.Discrete):
        if not _is_number(data) or int(data) != data:
            raise ActionRejected(loc, f"expected an integer, got {data!r}")
        if not space.contains(np.int64(data)):
            raise ActionRejected(
                loc, f"{data} outside [{space.start}, {space.start + space.n - 1}]"
            )
        return np.int64(data)
    # Other spaces (MultiDiscrete, MultiBinary, Tuple, ...): gymnasium's own JSON reading.
    try:
        value = space.from_jsonable([data])[0]
    except (TypeError, ValueError, KeyError, IndexError) as exc:
        raise ActionRejected(loc, f"not a member of {space}: {exc}") from None
    if not space.contains(value):
        raise ActionRejected(loc, f"not a member of {space}")
    return value


def _box_from_json(space: spaces.Box, data: Any, loc: tuple[str | int, ...]) -> np.ndarray:
    try:
        raw = np.asarray(data, dtype=object)
    except ValueError:
        raise ActionRejected(loc, f"ragged list; expected shape {list(space.shape)}") from None
    if raw.shape != space.shape:
        raise ActionRejected(loc, f"shape {list(raw.shape)}, expected {list(space.shape)}")
    for index, x in np.ndenumerate(raw):
        if not _is_number(x):
            raise ActionRejected((*loc, *index), f"expected a number, got {x!r}")
        if np.issubdtype(space.dtype, np.integer) and not (math.isfinite(x) and int(x) == x):
            raise ActionRejected((*loc, *index), f"expected an integer, got {x!r}")
    value = raw.astype(space.dtype)
    if np.issubdtype(space.dtype, np.floating) and not np.all(np.isfinite(value)):
        index = tuple(int(i) for i in np.argwhere(~np.isfinite(value))[0])
        raise ActionRejected((*loc, *index), f"{raw[index]!r} is not a finite {space.dtype}")
    outside = (value < space.low) | (value > space.high)
    if outside.any():
        index = tuple(int(i) for i in np.argwhere(outside)[0])
        raise ActionRejected(
            (*loc, *index),
            f"{raw[index]} outside [{space.low[index]}, {space.high[index]}]",
        )
    if not space.contains(value):
        raise ActionRejected(loc, f"not a member of {space}")
    return value


def space_schema(space: spaces.Space) -> dict[str, Any]:
    """Describe a space as JSON Schema, the form of its JSON values (bounds, shape, keys).

    A ``Box`` whose bounds differ per element gives them as ``x-low`` and ``x-high`` arrays
    (``null`` where unbounded); its dtype is ``x-dtype``.
    """
    if isinstance(space, spaces.Dict):
        return {
            "type": "object",
            "properties": {k: space_schema(s) for k, s in space.spaces.items()},
            "required": list(space.spaces),
            "additionalProperties": False,
        }
    if isinstance(space, spaces.Box):
        number = "integer" if np.issubdtype(space.dtype, np.integer) else "number"
        leaf: dict[str, Any] = {"type": number}
        low, high = np.unique(space.low), np.unique(space.high)
        if low.size == 1 and np.isfinite(low[0]):
            leaf["minimum"] = low[0].item()
        if high.size == 1 and np.isfinite(high[0]):
            leaf["maximum"] = high[0].item()
        schema = leaf
        for n in reversed(space.shape):
            schema = {"type": "array", "items": schema, "minItems": n, "maxItems": n}
        schema = dict(schema, **{"x-dtype": str(space.dtype)})
        if low.size > 1 or high.size > 1:
            schema["x-low"] = jsonable(space.low)
            schema["x-high"] = jsonable(space.high)
        return schema
    if isinstance(space, spaces.Discrete):
        start = int(space.start)
        return {"type": "integer", "minimum": start, "maximum": start + int(space.n) - 1}
    return {"description": str(space)}


@dataclass
class Episode:
    """One environment and what the server has seen of it. Mutated only under ``lock``."""

    env: gymnasium.Env
    seed: int | None
    observation: Any
    info: dict[str, Any]
    steps: int = 0
    reward_total: float = 0.0
    terminated: bool = False
    truncated: bool = False
    failure: str | None = None
    settlement_lines: list[dict[str, Any]] = field(default_factory=list)
    settlement_total: dict[str, Any] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    touched: float = 0.0
    """The store's clock at the last request for the episode [s] (under the store's lock)."""
    closed: bool = False
    """Deleted or expired: a request that fetched it just before must not use it."""

    def state(self) -> dict[str, Any]:
        """The episode's position: steps taken, whether it has ended, the last observation."""
        return {
            "steps": self.steps,
            "terminated": self.terminated,
            "truncated": self.truncated,
            "observation": jsonable(self.observation),
        }


class EpisodeStore:
    """Episodes of environments made by ``factory``, keyed by an unguessable id.

    Thread-safe: the store's lock guards the table, each episode's lock its steps, so steps on
    different episodes run concurrently and steps on one episode one at a time.

    Every request for an episode touches it; :meth:`expire` (called before each request, and
    by the servers' periodic sweep) closes the episodes untouched for ``idle_timeout``
    seconds, except one busy with a request.

    Parameters
    ----------
    factory : EnvFactory
        Makes a fresh environment per episode.
    max_episodes : int
        Episodes held at once; creating one more raises :class:`TooManyEpisodes`.
    idle_timeout : float
        Seconds without a request after which an episode is closed [s]; 0 for never.
    clock : callable
        Monotonic seconds [s]; injected by tests.
    """

    EXPIRED_KEPT = 4096
    """Ids of expired episodes remembered, to answer that they expired (16 hex digits each)."""
    SWEEP_EVERY = 60.0
    """Longest wait between two sweeps of :meth:`start_sweeper` [s] (a quarter of the timeout
    when that is shorter), so an idle server releases an episode's memory soon after it
    expires."""

    def __init__(
        self,
        factory: EnvFactory,
        max_episodes: int = 256,
        idle_timeout: float = 900.0,
        clock: Callable[[], float] = time.monotonic,
    ):
        if not idle_timeout >= 0:
            raise ValueError(f"idle_timeout: {idle_timeout} s, must be >= 0")
        self.factory = factory
        self.max_episodes = max_episodes
        self.idle_timeout = float(idle_timeout)
        self.clock = clock
        self._episodes: dict[str, Episode] = {}
        self._expired: OrderedDict[str, None] = OrderedDict()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._sweeper: threading.Thread | None = None
        # One environment, made once, answers what the spaces are.
        probe = factory()
        self.observation_space = probe.observation_space
        self.action_space = probe.action_space
        probe.close()

    def spaces(self) -> dict[str, Any]:
        """The observation and action spaces as JSON Schema (:func:`space_schema`)."""
        return {
            "observation": space_schema(self.observation_space),
            "action": space_schema(self.action_space),
        }

    def create(self, seed: int | None = None, options: dict[str, Any] | None = None) -> str:
        """Make and reset a new episode; return its id."""
        self.expire()
        with self._lock:
            if len(self._episodes) >= self.max_episodes:
                wait = (
                    f", or wait: an episode idle {self.idle_timeout:g} s expires"
                    if self.idle_timeout
                    else ""
                )
                raise TooManyEpisodes(
                    f"{len(self._episodes)} episodes open, the server's max_episodes; "
                    f"end one (DELETE /episodes/{{id}} or end_episode){wait}"
                )
            # Reserve the slot before the (possibly slow) reset, outside the table's lock.
            episode_id = secrets.token_hex(8)
            self._episodes[episode_id] = None  # type: ignore[assignment]
        try:
            env = self.factory()
            observation, info = env.reset(seed=seed, options=options)
        except BaseException as exc:
            with self._lock:
                del self._episodes[episode_id]
            if isinstance(exc, VppsimError) and not isinstance(exc, ServeError):
                # The env's own one-line refusal of the reset options (a 422, not a 500).
                raise ActionRejected(("options",), str(exc)) from None
            raise
        episode = Episode(env, seed, observation, jsonable(info))
        with self._lock:
            episode.touched = self.clock()
            self._episodes[episode_id] = episode
        return episode_id

    def get(self, episode_id: str) -> Episode:
        """The episode ``episode_id``, touched now; :class:`EpisodeExpired` if it expired,
        else :class:`UnknownEpisode` if there is none. Use it under its lock, checking
        ``closed`` (:meth:`_held`)."""
        self.expire()
        with self._lock:
            episode = self._episodes.get(episode_id)
            if episode is not None:
                episode.touched = self.clock()
                return episode
            if episode_id in self._expired:
                raise EpisodeExpired(episode_id, self.idle_timeout)
        raise UnknownEpisode(episode_id)

    @contextmanager
    def _held(self, episode_id: str) -> Iterator[Episode]:
        """The episode ``episode_id`` (:meth:`get`) under its lock; if it was deleted or
        expired between the two, the error :meth:`get` would now give."""
        episode = self.get(episode_id)
        with episode.lock:
            if episode.closed:
                with self._lock:
                    if episode_id in self._expired:
                        raise EpisodeExpired(episode_id, self.idle_timeout)
                raise UnknownEpisode(episode_id)
            yield episode

    def expire(self) -> int:
        """Close and forget the episodes untouched for ``idle_timeout`` seconds; return how
        many. An episode busy with a request (its lock held) is in use, so kept."""
        if not self.idle_timeout:
            return 0
        gone = []
        with self._lock:
            cutoff = self.clock() - self.idle_timeout
            for episode_id, episode in list(self._episodes.items()):
                # None: a slot reserved by a create still resetting its environment.
                if episode is None or episode.touched > cutoff:
                    continue
                if not episode.lock.acquire(blocking=False):
                    continue
                try:
                    episode.closed = True
                    del self._episodes[episode_id]
                finally:
                    episode.lock.release()
                self._expired[episode_id] = None
                gone.append(episode)
            while len(self._expired) > self.EXPIRED_KEPT:
                self._expired.popitem(last=False)
        for episode in gone:
            episode.env.close()
        return len(gone)

    def start_sweeper(self) -> None:
        """Run :meth:`expire` in a daemon thread every ``min(idle_timeout / 4,
        SWEEP_EVERY)`` seconds of wall time, until :meth:`close` (not without a timeout)."""
        if not self.idle_timeout or self._sweeper is not None:
            return
        every = min(self.idle_timeout / 4.0, self.SWEEP_EVERY)

        def sweep() -> None:
            while not self._stop.wait(every):
                self.expire()

        self._sweeper = threading.Thread(target=sweep, name="episode-sweeper", daemon=True)
        self._sweeper.start()

    def delete(self, episode_id: str) -> None:
        """Close and forget an episode (waits for a step in progress)."""
        with self._held(episode_id) as episode:
            episode.closed = True
            with self._lock:
                self._episodes.pop(episode_id, None)
        episode.env.close()

    def observe(self, episode_id: str) -> dict[str, Any]:
        """The episode's state (:meth:`Episode.state`) with its last ``info``."""
        with self._held(episode_id) as episode:
            return {"episode": episode_id, **episode.state(), "info": episode.info}

    def step(self, episode_id: str, action: Any, expect_step: int | None = None) -> dict[str, Any]:
        """Validate a JSON action and step the episode with it, atomically.

        Parameters
        ----------
        episode_id : str
            The episode.
        action : Any
            The action in JSON form.
        expect_step : int, optional
            The number of steps the client believes were taken; if it differs, nothing is done
            and :class:`EpisodeConflict` is raised. A client whose connection dropped mid-step
            retries with the same value and cannot step twice.

        Returns
        -------
        dict
            ``episode``, ``observation``, ``reward``, ``terminated``, ``truncated``, ``info``
            and ``steps``.
        """
        value = from_json(self.action_space, action)
        with self._held(episode_id) as episode:
            if episode.failure is not None:
                raise EpisodeConflict(f"episode {episode_id} failed: {episode.failure}")
            if episode.terminated or episode.truncated:
                raise EpisodeConflict(f"episode {episode_id} has ended after {episode.steps} steps")
            if expect_step is not None and expect_step != episode.steps:
                raise EpisodeConflict(
                    f"expect_step={expect_step} but episode {episode_id} is at step {episode.steps}"
                )
            try:
                observation, reward, terminated, truncated, info = episode.env.step(value)
                info = jsonable(info)
            except Exception as exc:
                # The environment may have half-changed its state: nobody may step it again.
                episode.failure = f"{type(exc).__name__}: {exc}"
                raise EnvFailed(
                    f"episode {episode_id} step {episode.steps}: {episode.failure}"
                ) from exc
            episode.steps += 1
            episode.observation, episode.info = observation, info
            episode.reward_total += float(reward)
            episode.terminated, episode.truncated = bool(terminated), bool(truncated)
            if "settlement" in info:
                episode.settlement_lines.append(info["settlement"])
            if "settlement_total" in info:
                episode.settlement_total = info["settlement_total"]
            return {"episode": episode_id, **episode.state(), "reward": float(reward), "info": info}

    def settlement(self, episode_id: str) -> dict[str, Any]:
        """The running ``info["settlement_total"]``, each step's ``info["settlement"]`` and the
        summed reward."""
        with self._held(episode_id) as episode:
            return {
                "episode": episode_id,
                "steps": episode.steps,
                "reward_total": episode.reward_total,
                "total": episode.settlement_total,
                "lines": list(episode.settlement_lines),
            }

    def __len__(self) -> int:
        with self._lock:
            return len(self._episodes)

    def close(self) -> None:
        """Stop the sweeper and close every episode's environment."""
        self._stop.set()
        if self._sweeper is not None:
            self._sweeper.join()
        with self._lock:
            episodes = [e for e in self._episodes.values() if e is not None]
            self._episodes.clear()
        for episode in episodes:
            episode.closed = True
            episode.env.close()
