"""Reading and writing files at the package's edge: regular files only, confined, size-capped.

A FIFO or a device named as a CSV or descriptor would hang or never end (`/dev/zero`); a
symlink could carry a system file into a release or send a write outside the checkout. Every
read and write of the package's own files goes through these few functions.
"""
from __future__ import annotations

import json
import os
import stat
import tempfile
from pathlib import Path

from rare_earth_supply.problems import PackageError

MAX_JSON_BYTES = 10 * 2**20  # a descriptor or Table Schema; ours are a few kB


def kind_of(path: Path) -> str | None:
    """None for a regular file (following symlinks), else what it is instead."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return "missing"
    except OSError as exc:
        return f"unreadable ({exc.strerror})"
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a named pipe"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def read_capped(path: Path, limit: int, what: str) -> bytes:
    """The bytes of a regular file of at most `limit` bytes, or a PackageError saying why not."""
    problem = kind_of(path)
    if problem == "missing":
        raise PackageError(f"{path}: {what} not found")
    if problem:
        raise PackageError(f"{path}: {what} is {problem}; a regular file is required")
    with open(path, "rb") as handle:
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise PackageError(f"{path}: {what} is larger than {limit // 2**20} MiB; refusing to read it")
    return data


def read_json(path: Path, what: str) -> dict:
    """A JSON object from a regular, size-capped file, with a clear message for every way it can be broken."""
    data = read_capped(path, MAX_JSON_BYTES, what)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise PackageError(f"{path}: {what} is not UTF-8 ({exc.reason} at byte {exc.start})") from None
    return parse_json(text, f"{path}: {what}")


def parse_json(text: str, where: str) -> dict:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise PackageError(f"{where} is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})") from None
    except RecursionError:
        raise PackageError(f"{where} is nested too deeply to be a descriptor") from None
    except ValueError as exc:  # e.g. an integer literal too long to convert
        raise PackageError(f"{where} is not usable JSON ({exc})") from None
    if not isinstance(value, dict):
        raise PackageError(f"{where} must be a JSON object")
    return value


def confined(root: Path, target: Path, what: str) -> Path:
    """`target`, refused if it or a folder on its way is a symlink, or if it lies outside `root`."""
    root = root.resolve()
    target = Path(os.path.abspath(target))
    if not target.is_relative_to(root):
        raise PackageError(f"{target}: {what} lies outside {root}")
    probe = target
    while probe != root:
        if probe.is_symlink():
            raise PackageError(f"{probe}: {what} goes through a symbolic link; refusing to follow it")
        probe = probe.parent
    return target


def write_atomic(root: Path, target: Path, content: str | bytes, what: str) -> None:
    """Write a file inside `root` all at once (temp file, then rename), never through a symlink."""
    target = confined(root, target, what)
    target.parent.mkdir(parents=True, exist_ok=True)
    confined(root, target, what)  # the folders just made are ours; check again before writing
    data = content.encode("utf-8") if isinstance(content, str) else content
    handle, temp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.chmod(temp, 0o644)
        os.replace(temp, target)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
