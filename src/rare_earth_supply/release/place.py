"""Putting a built release into its folder in one step: all of it, or none of it.

The release's files live side by side in `--out` (dist/), next to other versions' files. A new
build is written into a fresh sibling folder holding the new files plus hard links to everything
else `--out` held, and the two folders are then exchanged by one `renameat2(RENAME_EXCHANGE)`
call: a reader, or a kill at any instant, sees either the old folder or the new one, never a mix.
Python has no wrapper for that call, so it goes through ctypes; where the system lacks it (not
Linux, or a filesystem that refuses it) the fallback is two renames, with the old folder put
back if the second fails. Staging and retired folders are named after the process that made
them, so a later build removes the ones a killed build left behind.
"""
from __future__ import annotations

import ctypes
import errno
import os
import re
import shutil
import tempfile
from pathlib import Path

AT_FDCWD = -100
RENAME_EXCHANGE = 2
_LEFTOVER = re.compile(r"^\.(?P<out>.+)\.(?:build|old)-(?P<pid>\d+)-[A-Za-z0-9_]+$")


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically; False when the system cannot (the caller falls back)."""
    try:
        function = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):
        return False
    function.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    if function(AT_FDCWD, os.fsencode(a), AT_FDCWD, os.fsencode(b), RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP):
        return False
    raise OSError(code, os.strerror(code), str(a))


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def clean_leftovers(out: Path) -> list[Path]:
    """Remove staging and retired folders of `out` that belong to no running build (a killed one's)."""
    removed = []
    parent = out.parent
    if not parent.is_dir():
        return removed
    for path in parent.iterdir():
        match = _LEFTOVER.match(path.name)
        if match and match["out"] == out.name and path.is_dir() and not path.is_symlink() and not _alive(int(match["pid"])):
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
    for path in out.glob(".build-*") if out.is_dir() else []:  # staging folders of builds before 0.7
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
    return removed


def staging_folder(out: Path) -> Path:
    """A fresh folder beside `out` (same filesystem, so the final step is a rename)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=f".{out.name}.build-{os.getpid()}-", dir=out.parent))


def carry_over(out: Path, stage: Path, replaced: set[str]) -> None:
    """Hard-link into `stage` everything in `out` that this release does not replace (other versions, other files)."""
    if not out.is_dir():
        return
    for path in sorted(out.iterdir()):
        if path.name in replaced or path.name.startswith(".build-") or (stage / path.name).exists():
            continue
        if path.is_dir() and not path.is_symlink():
            shutil.copytree(path, stage / path.name, symlinks=True, copy_function=_link_or_copy)
        else:
            _link_or_copy(path, stage / path.name)


def _link_or_copy(source: str | Path, target: str | Path) -> None:
    if os.path.islink(source):
        os.symlink(os.readlink(source), target)
        return
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


def swap_into_place(stage: Path, out: Path) -> None:
    """Make `stage` the folder `out` in one step; the old `out` (if any) is removed after."""
    if not out.exists():
        os.rename(stage, out)
        return
    if _exchange(stage, out):
        shutil.rmtree(stage, ignore_errors=True)  # `stage` now holds the old folder
        return
    retired = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-{os.getpid()}-", dir=out.parent))
    os.rmdir(retired)
    os.rename(out, retired)
    try:
        os.rename(stage, out)
    except BaseException:
        os.rename(retired, out)
        raise
    shutil.rmtree(retired, ignore_errors=True)
