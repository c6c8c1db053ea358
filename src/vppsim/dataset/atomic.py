"""Build into a hidden sibling folder, then swap it into place in one step.

An interrupted or failed build leaves the previous dataset untouched: the staging
folder is removed on any exception (SIGTERM and Ctrl-C included, via the CLI), and a
folder left by a killed process is recognised by its dead pid and removed next time.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from vppsim.errors import ConfigError

MANIFEST = "datapackage.json"
_RENAME_EXCHANGE = 2


def _staging_prefix(target: Path) -> str:
    return f".{target.name}.partial-"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale_staging(target: Path) -> list[Path]:
    """Remove staging folders beside ``target`` whose building process is gone."""
    removed = []
    prefix = _staging_prefix(target)
    for candidate in target.parent.glob(prefix + "*"):
        pid_text = candidate.name[len(prefix) :].split("-", 1)[0]
        if candidate.is_dir() and pid_text.isdigit() and not _pid_alive(int(pid_text)):
            shutil.rmtree(candidate, ignore_errors=True)
            removed.append(candidate)
    return removed


def check_replaceable(target: Path) -> None:
    """Refuse to replace anything that is not an earlier vppsim dataset or an empty folder."""
    if not target.exists():
        return
    if not target.is_dir():
        raise ConfigError(f"output {target} exists and is not a folder")
    if any(target.iterdir()) and not (target / MANIFEST).is_file():
        raise ConfigError(
            f"refusing to replace {target}: it is not empty and holds no {MANIFEST}, "
            "so it is not a vppsim dataset"
        )


@contextmanager
def staging_folder(target: Path) -> Iterator[Path]:
    """Yield a fresh staging folder beside ``target``; remove it if the block fails."""
    target = Path(target).absolute()
    check_replaceable(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_staging(target)
    staging = Path(
        tempfile.mkdtemp(prefix=f"{_staging_prefix(target)}{os.getpid()}-", dir=target.parent)
    )
    try:
        yield staging
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _exchange(a: Path, b: Path) -> bool:
    """Atomically swap two paths with Linux ``renameat2(RENAME_EXCHANGE)``; False if unsupported."""
    libc_name = ctypes.util.find_library("c")
    if libc_name is None:
        return False
    libc = ctypes.CDLL(libc_name, use_errno=True)
    renameat2 = getattr(libc, "renameat2", None)
    if renameat2 is None:
        return False
    at_fdcwd = -100
    result = renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), _RENAME_EXCHANGE)
    return result == 0


def commit(staging: Path, target: Path) -> None:
    """Put ``staging`` at ``target``, replacing any earlier dataset there in one step."""
    target = Path(target).absolute()
    check_replaceable(target)
    if not target.exists():
        os.rename(staging, target)
        return
    if _exchange(staging, target):
        shutil.rmtree(staging)
        return
    # Without an atomic exchange, move the old dataset aside first; a crash in between
    # leaves it intact under the aside name.
    aside = Path(tempfile.mkdtemp(prefix=f".{target.name}.old-", dir=target.parent))
    os.rename(target, aside / target.name)
    os.rename(staging, target)
    shutil.rmtree(aside)
