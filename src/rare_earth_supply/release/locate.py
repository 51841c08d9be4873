"""Open a release however it is named: a directory, a descriptor, a release zip, a version, a git ref.

A release zip is read member by member: only the descriptor and the files it names (its CSVs
and Table Schemas) are copied out, each capped in size and checked for what it claims to be,
so a crafted archive cannot fill the disk, escape the folder or smuggle a link.
"""
from __future__ import annotations

import contextlib
import json
import stat
import tempfile
import zipfile
import zlib
from pathlib import Path
from typing import Iterator

from rare_earth_supply.problems import PackageError
from rare_earth_supply.read.files import MAX_JSON_BYTES, kind_of, parse_json
from rare_earth_supply.read.package import DESCRIPTOR, Package, open_package, safe_path
from rare_earth_supply.release import history

MAX_MEMBER_BYTES = 1 << 30
MAX_TOTAL_BYTES = 2 << 30


def _member(archive: zipfile.ZipFile, name: str, source: Path) -> zipfile.ZipInfo:
    try:
        info = archive.getinfo(name)
    except KeyError:
        raise PackageError(f"{source}: the archive has no member {name!r}") from None
    if info.flag_bits & 0x1:
        raise PackageError(f"{source}: member {name!r} is encrypted; release archives are not")
    if stat.S_ISLNK(info.external_attr >> 16):
        raise PackageError(f"{source}: member {name!r} is a symbolic link; only regular files are read")
    if info.file_size > MAX_MEMBER_BYTES:
        raise PackageError(f"{source}: member {name!r} would unpack to {info.file_size} bytes, more than the "
                           f"{MAX_MEMBER_BYTES // 2**20} MiB allowed")
    return info


def _copy(archive: zipfile.ZipFile, info: zipfile.ZipInfo, target: Path, source: Path, budget: int) -> int:
    """Stream one member to `target`, counting real bytes (a header may lie about the size)."""
    written = 0
    target.parent.mkdir(parents=True, exist_ok=True)
    with archive.open(info) as src, open(target, "wb") as dst:
        while chunk := src.read(1 << 20):
            written += len(chunk)
            if written > min(MAX_MEMBER_BYTES, budget):
                raise PackageError(f"{source}: member {info.filename!r} unpacks to more than the size allowed; refusing it")
            dst.write(chunk)
    return written


def extract_release(source: Path, target: Path) -> Path:
    """Copy a release zip's descriptor and the files it names into `target`; return the package root."""
    try:
        with zipfile.ZipFile(source) as archive:
            info = _member(archive, DESCRIPTOR, source)
            if info.file_size > MAX_JSON_BYTES:
                raise PackageError(f"{source}: its {DESCRIPTOR} is larger than {MAX_JSON_BYTES // 2**20} MiB")
            with archive.open(info) as handle:
                raw = handle.read(MAX_JSON_BYTES + 1)
            if len(raw) > MAX_JSON_BYTES:
                raise PackageError(f"{source}: its {DESCRIPTOR} is larger than {MAX_JSON_BYTES // 2**20} MiB")
            descriptor = parse_json(raw.decode("utf-8", "replace"), f"{source}: {DESCRIPTOR}")
            (target / DESCRIPTOR).write_text(json.dumps(descriptor), encoding="utf-8")
            package = Package(target.resolve(), descriptor)
            budget = MAX_TOTAL_BYTES
            for name in package.names:
                resource = package.resource(name)
                for relative in (resource["path"], resource["schema"]):
                    if isinstance(relative, str):
                        destination = safe_path(package.root, relative, f"resource {name!r} in {source}")
                        budget -= _copy(archive, _member(archive, relative, source), destination, source, budget)
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, ValueError, OSError) as exc:
        if isinstance(exc, PackageError):
            raise
        raise PackageError(f"{source}: not a readable release archive ({type(exc).__name__}: {exc})") from None
    return target


@contextlib.contextmanager
def opened(spec: str | Path) -> Iterator[Package]:
    """Open a package directory, datapackage.json, release zip, version number or git tag/commit of this repository."""
    text = str(spec)
    path = Path(text)
    problem = kind_of(path)
    if problem == "a directory" or (problem is None and not zipfile.is_zipfile(path)):
        yield open_package(path)
        return
    if problem not in (None, "missing"):
        raise PackageError(f"{path}: is {problem}; give a package directory, datapackage.json, release zip or version")
    if problem == "missing" and (text.endswith((".json", ".zip")) or "/" in text or text in (".", "..")):
        raise PackageError(f"{path}: no such file or directory")
    with tempfile.TemporaryDirectory(prefix="rare-earth-supply-") as tmp:
        root = Path(tmp)
        if problem is None:
            yield open_package(extract_release(path, root))
            return
        repo = history.repository()
        commit = None
        if history.VERSION.match(text):
            try:
                commit = history.release_of(repo, text).commit
            except PackageError as no_release:
                try:  # a tag of that name, where one exists
                    commit = history.commit_of(repo, text)
                except PackageError:
                    raise no_release from None
        commit = commit or history.commit_of(repo, text)
        yield open_package(history.export_package(repo, commit, root))
