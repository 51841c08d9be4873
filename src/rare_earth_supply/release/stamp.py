"""Stamp a descriptor with each resource's `bytes` and sha256 `hash`, so copies are tamper-evident.

Standard library only: the wheel's build hook loads this file before the package is installed.
The checkout's datapackage.json carries no hashes (curators edit CSVs freely); the wheel and the
release zip carry stamped copies, which `load()` and `frictionless validate` check.
"""
from __future__ import annotations

import copy
import hashlib
import json
from pathlib import Path


def file_hash(path: Path) -> str:
    """sha256 of a file, read in chunks so a large table is never held in memory twice."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 24):
            digest.update(chunk)
    return "sha256:" + digest.hexdigest()


def stamped(descriptor: dict, root: Path) -> dict:
    """A copy of `descriptor` whose resources carry the bytes and hash of their files under `root`."""
    out = copy.deepcopy(descriptor)
    for resource in out.get("resources", []):
        path = root / resource["path"]
        resource["bytes"] = path.stat().st_size
        resource["hash"] = file_hash(path)
    return out


def dumps(descriptor: dict) -> str:
    """The canonical text of a descriptor: stable key order as given, two-space indent, final newline."""
    return json.dumps(descriptor, indent=2, ensure_ascii=False) + "\n"


def mismatch(resource: dict, path: Path) -> str | None:
    """Why the file differs from the descriptor's `bytes`/`hash`, or None if it matches (or none is recorded)."""
    expected_hash, expected_bytes = resource.get("hash"), resource.get("bytes")
    if expected_hash is None and expected_bytes is None:
        return None
    if expected_bytes is not None and path.stat().st_size != expected_bytes:
        return f"{path.name} has {path.stat().st_size} bytes; the descriptor records {expected_bytes}"
    if expected_hash is not None:
        if not str(expected_hash).startswith("sha256:"):
            return f"{path.name}: unsupported hash {expected_hash!r}; expected 'sha256:<hex>'"
        actual = file_hash(path)
        if actual != expected_hash:
            return f"{path.name} has hash {actual}; the descriptor records {expected_hash}"
    return None
