"""Release artifacts: the data package as a zip (stamped with bytes and hashes), Parquet, SQLite.

Everything is written into a staging directory first and moved into `dist/` only when all of it
succeeded, so a failed build leaves nothing half-written. Two builds of the same commit are
byte-identical: zip entries are sorted and dated from the descriptor's `created`, Parquet and
SQLite are written from the same frames in the same order.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import tempfile
import zipfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import polars as pl

from rare_earth_supply.release.diff import BUMPS, changelog_markdown, diff, opened
from rare_earth_supply.read.package import DESCRIPTOR, Package
from rare_earth_supply.release.stamp import dumps, stamped

EXTRA_FILES = ("README.md", "CHANGELOG.md", "CITATION.cff", "LICENSE", "LICENSE-DATA")
SQL_TYPES = {"string": "TEXT", "integer": "INTEGER", "year": "INTEGER", "number": "REAL", "date": "TEXT", "boolean": "INTEGER"}


class BuildError(Exception):
    """The release cannot be built: validation errors, a too-small version bump, missing files."""


@dataclass
class BuildResult:
    files: list[Path]
    changelog: str | None  # the diff summary against --since, for CHANGELOG.md


def _zip_time(package: Package) -> tuple[int, int, int, int, int, int]:
    created = str(package.descriptor.get("created", "1980-01-01T00:00:00Z")).replace("Z", "+00:00")
    when = datetime.fromisoformat(created)
    return (max(when.year, 1980), when.month, when.day, when.hour, when.minute, when.second)


def write_zip(package: Package, target: Path) -> None:
    stamp_time = _zip_time(package)
    members: dict[str, bytes] = {DESCRIPTOR: dumps(stamped(package.descriptor, package.root)).encode("utf-8")}
    for name in package.names:
        members[package.resource(name)["path"]] = package.path(name).read_bytes()
        schema = package.resource(name).get("schema")
        if isinstance(schema, str):
            members[schema] = (package.root / schema).read_bytes()
    for extra in EXTRA_FILES:
        path = package.root / extra
        if not path.is_file():
            raise BuildError(f"{extra} is missing from {package.root}; a release carries it")
        members[extra] = path.read_bytes()
    with zipfile.ZipFile(target, "w") as archive:
        for member in sorted(members):
            info = zipfile.ZipInfo(member, date_time=stamp_time)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3
            info.external_attr = 0o644 << 16
            archive.writestr(info, members[member], compresslevel=9)


def write_parquet(frames: dict[str, pl.DataFrame], directory: Path, version: str) -> list[Path]:
    paths = []
    for name, frame in frames.items():
        path = directory / f"rare-earth-supply-{version}-{name}.parquet"
        frame.write_parquet(path, compression="zstd", compression_level=9, statistics=False)
        paths.append(path)
    return paths


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _as_list(value) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def create_statements(package: Package) -> list[str]:
    """CREATE TABLE statements with column types, NOT NULL, primary and foreign keys from the Table Schemas."""
    statements = []
    for name in package.names:
        schema = package.schema(name)
        columns = []
        for f in schema["fields"]:
            not_null = " NOT NULL" if f.get("constraints", {}).get("required") else ""
            columns.append(f"{_quote(f['name'])} {SQL_TYPES[f.get('type', 'string')]}{not_null}")
        if schema.get("primaryKey"):
            columns.append(f"PRIMARY KEY ({', '.join(map(_quote, _as_list(schema['primaryKey'])))})")
        for fk in schema.get("foreignKeys", []):
            ref = fk["reference"]
            columns.append(f"FOREIGN KEY ({', '.join(map(_quote, _as_list(fk['fields'])))}) REFERENCES "
                           f"{_quote(ref.get('resource') or name)} ({', '.join(map(_quote, _as_list(ref['fields'])))}) "
                           "DEFERRABLE INITIALLY DEFERRED")
        statements.append(f"CREATE TABLE {_quote(name)} (\n  " + ",\n  ".join(columns) + "\n)")
    return statements


def write_sqlite(package: Package, frames: dict[str, pl.DataFrame], target: Path) -> None:
    connection = sqlite3.connect(target)
    try:
        connection.execute("PRAGMA foreign_keys = ON")
        with connection:
            for statement in create_statements(package):
                connection.execute(statement)
            connection.execute('CREATE TABLE "_release" ("key" TEXT PRIMARY KEY, "value" TEXT NOT NULL)')
            connection.executemany('INSERT INTO "_release" VALUES (?, ?)',
                                   [("name", str(package.descriptor.get("name"))), ("version", package.version),
                                    ("created", str(package.descriptor.get("created")))])
            for name, frame in frames.items():
                text_dates = frame.with_columns(pl.col(pl.Date).dt.to_string("%Y-%m-%d"))
                marks = ", ".join("?" * frame.width)
                connection.executemany(f"INSERT INTO {_quote(name)} VALUES ({marks})", text_dates.iter_rows())
        connection.execute("VACUUM")
    finally:
        connection.close()


def sha256sums(paths: list[Path]) -> str:
    return "".join(f"{hashlib.sha256(p.read_bytes()).hexdigest()}  {p.name}\n" for p in sorted(paths))


def check_bump(package: Package, since: str) -> str:
    """Refuse a version bump smaller than the change since `since` requires; return the changelog text."""
    with opened(since) as old:
        change = diff(old, package)
    if BUMPS.index(change.actual_bump) < BUMPS.index(change.required_bump):
        reasons = [f"{t.name}: {r}" for t in change.tables for r in t.reasons()[change.required_bump]]
        raise BuildError(f"version {change.old_version} → {change.new_version} is a {change.actual_bump} bump, but the "
                         f"changes since {since} require a {change.required_bump.upper()} bump ({'; '.join(reasons)})")
    return changelog_markdown(change)


def build(package: Package, out: Path, since: str | None = None) -> BuildResult:
    """Validate, check the version bump, and write the release artifacts into `out` atomically."""
    from rare_earth_supply.publish.report import report_markdown
    from rare_earth_supply.validate import validate
    report = validate(package)
    if not report.ok:
        raise BuildError(f"{report.errors.height} validation error(s); run `rare-earth-supply validate` and fix them first")
    if report.exit_code(strict=True):
        named = "; ".join(f"{r['table']} {r['row_id']} [{r['rule']}]" for r in report.unacknowledged.head(5).iter_rows(named=True))
        raise BuildError(f"{report.unacknowledged.height} warning(s) not acknowledged by an open erratum ({named}); "
                         "add or update errata, then run `rare-earth-supply validate --strict`")
    changelog = check_bump(package, since) if since else None
    version = package.version
    out.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=".build-", dir=out))
    try:
        frames = report.frames
        written = [stage / f"rare-earth-supply-{version}.zip", stage / f"rare-earth-supply-{version}.sqlite",
                   stage / f"rare-earth-supply-{version}-report.md"]
        write_zip(package, written[0])
        write_sqlite(package, frames, written[1])
        written[2].write_text(report_markdown(report), encoding="utf-8")
        written += write_parquet(frames, stage, version)
        sums = stage / f"rare-earth-supply-{version}.sha256"
        sums.write_text(sha256sums(written), encoding="utf-8")
        written.append(sums)
        final = []
        for path in written:
            os.replace(path, out / path.name)
            final.append(out / path.name)
        return BuildResult(final, changelog)
    finally:
        shutil.rmtree(stage, ignore_errors=True)
