"""Build into a hidden sibling folder, then swap it into place in one step.

An interrupted or failed build leaves the previous dataset untouched: the staging
folder is removed on any exception (SIGTERM and Ctrl-C included, via the CLI), and a
folder left by a killed process is recognised by its dead pid and removed next time.
Nothing vppsim did not write is ever deleted: a previous dataset holding other files is
not replaced unless forced, and then those files are carried over into the new one.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import NamedTuple

from vppsim.dataset.manifest import MANIFEST
from vppsim.errors import ConfigError, listed

_RENAME_EXCHANGE = 2


class DerivedOutput(NamedTuple):
    """An output vppsim derives into a folder of a dataset (e.g. ``plots/``).

    ``files`` are the names it may write there (only those count as vppsim's); ``write``
    draws them from the dataset at a root folder (raising a VppsimError when the data does
    not support them), or is None for an output a rebuild leaves out (too costly to derive
    anew, e.g. a fleet's dispatch: the command that wrote it is run again). ``owned``, for an
    output whose file names vary, lists the files vppsim wrote in the folder (relative to it).
    """

    files: tuple[str, ...]
    write: Callable[[Path], object] | None
    owned: Callable[[Path], Iterable[str]] | None = None


Derived = Mapping[str, DerivedOutput]


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
        if (
            candidate.is_dir()
            and not candidate.is_symlink()
            and pid_text.isdigit()
            and not _pid_alive(int(pid_text))
        ):
            shutil.rmtree(candidate, ignore_errors=True)
            removed.append(candidate)
    return removed


def _files(folder: Path) -> set[str]:
    return {
        str(path.relative_to(folder))
        for path in folder.rglob("*")
        if path.is_file() or path.is_symlink()
    }


def _written_by_vppsim(target: Path, derived: Derived) -> set[str] | None:
    """The files vppsim wrote in the dataset at ``target``: those its manifest lists (data,
    raw answers, the manifest itself) and the derived outputs' files; None when ``target``
    holds no vppsim manifest (another tool's ``datapackage.json`` is not one)."""
    try:
        manifest = json.loads((target / MANIFEST).read_text(encoding="utf-8"))
        section = manifest["vppsim"]
        # Datasets of earlier vppsim versions listed several files per resource.
        listed = {
            entry["path"]
            for resource in manifest["resources"]
            for entry in resource.get("files", [resource])
        }
        listed.update(section.get("raw_files", []))
    except (OSError, ValueError, KeyError, TypeError):
        return None
    for folder, output in derived.items():
        names = set(output.files)
        if output.owned is not None and (target / folder).is_dir():
            names.update(output.owned(target / folder))
        listed.update(f"{folder}/{name}" for name in names)
    return listed | {MANIFEST}


def foreign_files(target: Path, derived: Derived) -> list[str]:
    """Files in the dataset ``target`` that vppsim did not write (relative paths, sorted)."""
    ours = _written_by_vppsim(target, derived) or set()
    return sorted(_files(target) - ours)


def _refuse_foreign(target: Path, foreign: list[str]) -> None:
    raise ConfigError(
        f"refusing to replace {target}: it holds {len(foreign)} file(s) vppsim did not write "
        f"({listed(foreign)}); move them, or use --force to carry them over into the new dataset"
    )


def check_replaceable(target: Path, force: bool = False, derived: Derived | None = None):
    """Refuse an output that is a link, a file, a folder that is not a vppsim dataset, or a
    dataset holding files vppsim did not write (unless ``force``)."""
    if target.is_symlink():
        raise ConfigError(f"output {target} is a symbolic link; give the folder it points to")
    if not target.exists():
        return
    if not target.is_dir():
        raise ConfigError(f"output {target} exists and is not a folder")
    if not any(target.iterdir()):
        return
    if _written_by_vppsim(target, derived or {}) is None:
        raise ConfigError(
            f"refusing to replace {target}: it is not empty and holds no vppsim {MANIFEST}, "
            "so it is not a vppsim dataset"
        )
    foreign = foreign_files(target, derived or {})
    if foreign and not force:
        _refuse_foreign(target, foreign)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextmanager
def staging_folder(
    target: Path, force: bool = False, derived: Derived | None = None
) -> Iterator[tuple[Path, Path]]:
    """Yield a fresh staging folder beside ``target`` (and ``target`` as an absolute path);
    remove the staging folder if the block fails."""
    target = Path(target).absolute()
    check_replaceable(target, force, derived)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        remove_stale_staging(target)
        staging = Path(
            tempfile.mkdtemp(prefix=f"{_staging_prefix(target)}{os.getpid()}-", dir=target.parent)
        )
    except PermissionError:
        raise ConfigError(f"cannot write in {target.parent}: permission denied") from None
    except OSError as exc:
        raise ConfigError(f"cannot write in {target.parent}: {exc.strerror}") from None
    # mkdtemp makes the folder private (0700); a dataset gets what the umask gives a folder.
    staging.chmod(0o777 & ~_umask())
    try:
        yield staging, target
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


def _carry_over(target: Path, staging: Path, foreign: list[str]) -> None:
    """Move files vppsim did not write into the new dataset, at the same places."""
    for relative in foreign:
        destination = staging / relative
        if destination.exists():
            destination = destination.with_name(destination.name + ".kept")
        destination.parent.mkdir(parents=True, exist_ok=True)
        os.rename(target / relative, destination)


def commit(staging: Path, target: Path, force: bool = False, derived: Derived | None = None):
    """Put ``staging`` at ``target``, replacing any earlier dataset there in one step.

    The earlier dataset is deleted only once every file in it is known as vppsim's (see
    :func:`foreign_files`). Other files stop the commit, or with ``force`` move into the new
    dataset at the same places (``.kept`` added where the new dataset has that name).
    """
    target = Path(target).absolute()
    check_replaceable(target, force=True, derived=derived)
    if not target.exists():
        os.rename(staging, target)
        return
    foreign = foreign_files(target, derived or {})
    if foreign:
        if not force:
            _refuse_foreign(target, foreign)
        _carry_over(target, staging, foreign)
    if _exchange(staging, target):
        shutil.rmtree(staging)
        return
    # Without an atomic exchange, move the old dataset aside first; a crash in between
    # leaves it intact under the aside name.
    aside = Path(tempfile.mkdtemp(prefix=f".{target.name}.old-", dir=target.parent))
    os.rename(target, aside / target.name)
    os.rename(staging, target)
    shutil.rmtree(aside)
