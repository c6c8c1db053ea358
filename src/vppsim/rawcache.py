"""On-disk cache of raw responses from the live sources.

Layout under ``directory`` (the build's ``raw/`` folder in the staging dataset)::

    <source>/<key>.<ext>         the response body, as served (secret values scrubbed)
    <source>/<key>.meta.json     source, url and params (redacted), status, sha256 and
                                 bytes of the body, file name

``key`` is the sha256 of the source, the URL and the sorted parameters without their
secrets, so the same request with another key hits the same entry. ``previous`` is the
``raw/`` folder of the dataset built before: an entry found there is copied into
``directory`` so it survives the atomic swap of the dataset and a rerun does not refetch.
An entry whose body does not match the sha256 in its meta is ignored. Nothing in an entry
records when it was fetched, so the same answer gives the same files whenever it came.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from vppsim.http import DEFAULT_SECRETS, redact_params, redact_url, scrub_bytes, secret_values

log = logging.getLogger(__name__)

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
META_SUFFIX = ".meta.json"
_JSON_SCALARS = (str, int, float, type(None))


def _check_name(value: str, what: str) -> str:
    if not _NAME.match(value) or ".." in value:
        raise ValueError(f"invalid {what} for the raw cache: {value!r}")
    return value


def cache_key(
    source: str,
    url: str,
    params: Mapping[str, Any] | None,
    secrets: Iterable[str] = DEFAULT_SECRETS,
) -> str:
    """sha256 (hex) of the source, URL and sorted parameters with the secrets left out."""
    secrets = tuple(secrets)
    kept = sorted(
        (str(name), str(value))
        for name, value in (params or {}).items()
        if name.lower() not in {s.lower() for s in secrets}
    )
    payload = json.dumps([source, redact_url(url, secrets), kept], separators=(",", ":"))
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def _write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class RawCache:
    """Raw responses on disk, keyed by request, with a fallback to the previous build.

    Parameters
    ----------
    directory : Path
        Where entries are read and written (``<staging dataset>/raw``).
    previous : Path, optional
        ``raw/`` of the previously built dataset; read only, and entries found there are
        copied into ``directory``.
    """

    def __init__(self, directory: Path, previous: Path | None = None):
        self.directory = Path(directory)
        self.previous = Path(previous) if previous is not None else None

    def __repr__(self) -> str:
        return f"RawCache(directory={str(self.directory)!r}, previous={self.previous!r})"

    # ------------------------------------------------------------------ paths

    def _meta_path(self, root: Path, source: str, key: str) -> Path:
        return root / _check_name(source, "source") / f"{key}{META_SUFFIX}"

    def _load(self, root: Path, source: str, key: str) -> tuple[bytes, dict] | None:
        """Read and verify one entry under ``root``; None if absent or corrupted."""
        meta_path = self._meta_path(root, source, key)
        if not meta_path.is_file():
            return None
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
            data_path = meta_path.parent / _check_name(str(meta["file"]), "file name")
            content = data_path.read_bytes()
            ok = (
                hashlib.sha256(content).hexdigest() == meta["sha256"]
                and len(content) == int(meta["bytes"])
                and meta.get("key") == key
            )
        except (OSError, ValueError, KeyError, TypeError) as exc:
            log.warning("raw cache: ignoring unreadable entry %s: %s", meta_path, exc)
            return None
        if not ok:
            log.warning("raw cache: ignoring corrupted entry %s (sha256 mismatch)", meta_path)
            return None
        return content, meta

    def _store(self, source: str, key: str, content: bytes, meta: dict) -> Path:
        folder = self.directory / _check_name(source, "source")
        data_path = folder / _check_name(str(meta["file"]), "file name")
        _write_atomic(data_path, content)
        # The meta file is written last: its presence marks a complete entry.
        meta_bytes = (json.dumps(meta, indent=2, sort_keys=True) + "\n").encode("utf-8")
        _write_atomic(folder / f"{key}{META_SUFFIX}", meta_bytes)
        return data_path

    # ------------------------------------------------------------------ API

    def path(self, source: str, url: str, params, secrets=DEFAULT_SECRETS) -> Path:
        """The meta file an entry for this request has (or would have) in ``directory``."""
        return self._meta_path(self.directory, source, cache_key(source, url, params, secrets))

    def get(
        self,
        source: str,
        url: str,
        params: Mapping[str, Any] | None,
        secrets: Iterable[str] = DEFAULT_SECRETS,
    ) -> bytes | None:
        """Return the cached body for this request, or None.

        Looks in ``directory``, then in ``previous``; a hit in ``previous`` is copied
        (body and meta) into ``directory``. Corrupted entries are skipped.
        """
        key = cache_key(source, url, params, secrets)
        found = self._load(self.directory, source, key)
        if found is not None:
            log.info("raw cache: %s hit %s", source, key[:12])
            return found[0]
        if self.previous is not None and self.previous.resolve() != self.directory.resolve():
            found = self._load(self.previous, source, key)
            if found is not None:
                content, meta = found
                self._store(source, key, content, meta)
                log.info("raw cache: %s hit %s in the previous build; copied", source, key[:12])
                return content
        return None

    def put(
        self,
        source: str,
        url: str,
        params: Mapping[str, Any] | None,
        secrets: Iterable[str],
        content: bytes,
        status: int = 200,
        ext: str = "json",
    ) -> Path:
        """Store ``content`` for this request; return the body's path.

        Secret values are scrubbed from ``content`` too (some APIs echo the key), and
        the meta holds the URL and parameters redacted.
        """
        secrets = tuple(secrets)
        key = cache_key(source, url, params, secrets)
        content = scrub_bytes(bytes(content), secret_values(params, secrets))
        ext = _check_name(ext.lstrip("."), "extension")
        meta = {
            "source": source,
            "key": key,
            "file": f"{key}.{ext}",
            "url": redact_url(url, secrets),
            "params": {
                name: (
                    value if value is None or isinstance(value, int | float | str) else str(value)
                )
                for name, value in redact_params(params, secrets).items()
            },
            "status": int(status),
            "sha256": hashlib.sha256(content).hexdigest(),
            "bytes": len(content),
        }
        return self._store(source, key, content, meta)
