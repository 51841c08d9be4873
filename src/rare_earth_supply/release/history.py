"""Past releases from the git history alone: tags do not travel with a branch, commits do.

A release of version X is the commit that declared it: the first commit of the branch whose
`datapackage.json` carries X. Work committed later under the same number, or before the next
bump, never moves a release. Files are read from git object by object — regular files
only, each size-capped and streamed to disk — never from a whole archive held in memory.
"""
from __future__ import annotations

import json
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from rare_earth_supply.problems import PackageError
from rare_earth_supply.read.files import MAX_JSON_BYTES, parse_json

DESCRIPTOR = "datapackage.json"
MAX_BLOB_BYTES = 1 << 30
_REF = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/@{}~^-]*$")
VERSION = re.compile(r"^v?(\d+\.\d+\.\d+(?:[-+.][0-9A-Za-z.+-]*)?)$")


@dataclass(frozen=True)
class Release:
    version: str
    commit: str
    date: str  # the descriptor's `created` (the release date it records)
    committed: str  # the commit's own date


def _git(repo: Path, *args: str, limit: int | None = None) -> bytes:
    try:
        done = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, check=False, timeout=120)
    except FileNotFoundError:
        raise PackageError("git is not installed; past releases are read from the repository's history") from None
    except subprocess.TimeoutExpired:
        raise PackageError(f"git {' '.join(args[:2])} did not finish within 2 minutes") from None
    if done.returncode != 0:
        raise PackageError(f"git {' '.join(args[:2])} failed: {done.stderr.decode('utf-8', 'replace').strip().splitlines()[-1:] or ['']}")
    if limit is not None and len(done.stdout) > limit:
        raise PackageError(f"git object is larger than {limit // 2**20} MiB; refusing it")
    return done.stdout


def repository(start: Path | None = None) -> Path:
    """The git work tree holding `start` (default: the current directory)."""
    start = (start or Path.cwd()).resolve()
    try:
        done = subprocess.run(["git", "-C", str(start), "rev-parse", "--show-toplevel"], capture_output=True, text=True, timeout=30)
    except (FileNotFoundError, subprocess.TimeoutExpired):
        raise PackageError("git is not available; past releases are read from a clone of the repository") from None
    if done.returncode != 0:
        raise PackageError(f"{start} is not inside a git clone; past releases are read from the repository's history")
    return Path(done.stdout.strip())


def commit_of(repo: Path, ref: str) -> str:
    """The full commit id a tag, branch or commit names, refusing anything that could read as an option."""
    if not _REF.match(ref) or ".." in ref:
        raise PackageError(f"{ref!r} is not a package directory, release zip, version or git tag/commit")
    try:
        return _git(repo, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}").decode().strip()
    except PackageError:
        raise PackageError(f"{ref}: no such package directory, release zip, version or git tag/commit") from None


def _entry(repo: Path, commit: str, path: str) -> tuple[str, str, int]:
    """(mode, object id, size) of one path in a commit, or a PackageError saying why it cannot be used."""
    listing = _git(repo, "ls-tree", "-l", "--end-of-options", commit, "--", path).decode("utf-8", "replace").strip()
    if not listing:
        raise PackageError(f"commit {commit[:12]} has no {path}")
    meta, _, _ = listing.partition("\t")
    mode, kind, sha, size = meta.split()
    if kind != "blob" or mode not in ("100644", "100755"):
        what = "a symbolic link" if mode == "120000" else "a submodule" if mode == "160000" else "not a regular file"
        raise PackageError(f"{path} in commit {commit[:12]} is {what}; only regular files are read")
    return mode, sha, int(size)


def read_blob(repo: Path, commit: str, path: str, limit: int = MAX_BLOB_BYTES) -> bytes:
    _, sha, size = _entry(repo, commit, path)
    if size > limit:
        raise PackageError(f"{path} in commit {commit[:12]} has {size} bytes, more than the {limit // 2**20} MiB allowed")
    return _git(repo, "cat-file", "blob", sha, limit=limit)


def export_blob(repo: Path, commit: str, path: str, target: Path, limit: int = MAX_BLOB_BYTES) -> None:
    """Stream one regular file of a commit to `target`, refusing symlinks and oversized objects."""
    _, sha, size = _entry(repo, commit, path)
    if size > limit:
        raise PackageError(f"{path} in commit {commit[:12]} has {size} bytes, more than the {limit // 2**20} MiB allowed")
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target, "wb") as out:
        done = subprocess.run(["git", "-C", str(repo), "cat-file", "blob", sha], stdout=out, stderr=subprocess.PIPE, timeout=300)
    if done.returncode != 0:
        raise PackageError(f"git could not read {path} of commit {commit[:12]}")


def descriptor_at(repo: Path, commit: str) -> dict:
    return parse_json(read_blob(repo, commit, DESCRIPTOR, MAX_JSON_BYTES).decode("utf-8", "replace"),
                      f"{DESCRIPTOR} of commit {commit[:12]}")


def export_package(repo: Path, commit: str, target: Path) -> Path:
    """Write the package files of a commit (descriptor, the Table Schemas and CSVs it names) into `target`."""
    from rare_earth_supply.read.package import Package, safe_path
    descriptor = descriptor_at(repo, commit)
    (target / DESCRIPTOR).write_text(json.dumps(descriptor), encoding="utf-8")
    package = Package(target.resolve(), descriptor)
    for name in package.names:
        resource = package.resource(name)
        for relative in (resource["path"], resource["schema"]):
            if isinstance(relative, str):
                destination = safe_path(package.root, relative, f"resource {name!r} of commit {commit[:12]}")
                export_blob(repo, commit, relative, destination)
    return target


def releases(repo: Path) -> list[Release]:
    """Every version the history of datapackage.json records, oldest first, each with the commit that declared it."""
    log = _git(repo, "log", "--first-parent", "--reverse", "--format=%H %cI", "--end-of-options", "HEAD", "--", DESCRIPTOR).decode()
    found: dict[str, Release] = {}
    for line in log.splitlines():  # oldest first: the first commit seen with a version declared it
        commit, committed = line.split(" ", 1)
        try:
            descriptor = descriptor_at(repo, commit)
        except PackageError:
            continue  # a broken descriptor in the history names no release
        version = str(descriptor.get("version", ""))
        if version and version not in found:
            found[version] = Release(version, commit, str(descriptor.get("created", ""))[:10], committed[:10])
    return list(found.values())


def export_release(repo: Path, commit: str, target: Path, extra: tuple[str, ...] = ()) -> Path:
    """The package of a commit and the release files beside it (README, CHANGELOG ...) where the commit has them."""
    export_package(repo, commit, target)
    for name in extra:
        try:
            export_blob(repo, commit, name, target / name, limit=20 * 2**20)
        except PackageError:
            pass  # an early release without, say, CITATION.cff: the build names what is missing
    return target


def release_of(repo: Path, version: str) -> Release:
    """The release of a version number (`0.3.0` or `v0.3.0`)."""
    wanted = VERSION.match(version)
    known = releases(repo)
    for release in known:
        if wanted and release.version == wanted.group(1):
            return release
    listed = ", ".join(r.version for r in known) or "none"
    raise PackageError(f"no release {version} in the history of {DESCRIPTOR}; releases: {listed}")
