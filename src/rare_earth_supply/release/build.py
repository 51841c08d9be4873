"""Release artifacts: the data package as a zip (stamped with bytes and hashes), Parquet, SQLite.

Everything is written into a fresh folder first, which then takes the place of `dist/` in one
step (`release.place`), so a failed or killed build leaves the old release or the new one, never a
mix, and a different release of the same version is not overwritten without `--force`. Two builds of the same commit with
the same tools are byte-identical: zip entries are sorted and dated from the descriptor's
`created`, Parquet and SQLite are written from the same frames in the same order, and the
versions of the tools that wrote them are recorded in the release (`buildinfo.json`).
"""
from __future__ import annotations

import hashlib
import json
import os
import platform
import shutil
import sqlite3
import tempfile
import zipfile
from dataclasses import dataclass
from datetime import datetime
from importlib.metadata import PackageNotFoundError, version as installed_version
from pathlib import Path

import polars as pl

from rare_earth_supply.problems import PackageError
from rare_earth_supply.read.boundary import as_list, foreign_key_target
from rare_earth_supply.read.files import kind_of, read_capped
from rare_earth_supply.read.package import DESCRIPTOR, Package
from rare_earth_supply.release.diff import changelog_markdown, diff
from rare_earth_supply.release.locate import opened
from rare_earth_supply.release.place import carry_over, clean_leftovers, staging_folder, swap_into_place
from rare_earth_supply.release.semver import BUMPS, parse
from rare_earth_supply.release.stamp import dumps, stamped

EXTRA_FILES = ("README.md", "CHANGELOG.md", "CITATION.cff", "LICENSE", "LICENSE-DATA")
MAX_EXTRA_BYTES = 20 * 2**20
SQL_TYPES = {"string": "TEXT", "integer": "INTEGER", "year": "INTEGER", "number": "REAL", "date": "TEXT", "boolean": "INTEGER"}
# re-exported: the data browser describes the status table with them
from rare_earth_supply.release.derived import STATUS_DESCRIPTION, STATUS_FIELDS, STATUS_TABLE, Derived, derived_tables  # noqa: E402,F401


class BuildError(Exception):
    """The release cannot be built: validation errors, a too-small version bump, missing files."""


@dataclass
class BuildResult:
    files: list[Path]
    changelog: str | None  # the diff summary against --since, for CHANGELOG.md
    unchanged: bool = False  # `out` already held these very bytes


def tool_versions() -> dict[str, str]:
    """The versions of everything that shapes the release's bytes: byte-identity holds for these."""
    def of(name: str) -> str:
        try:
            return installed_version(name)
        except PackageNotFoundError:
            return "not installed"
    return {"python": platform.python_version(), "rare-earth-supply": of("rare-earth-supply"), "polars": of("polars"),
            "sqlite": sqlite3.sqlite_version, "zlib": __import__("zlib").ZLIB_VERSION}


def _zip_time(package: Package) -> tuple[int, int, int, int, int, int]:
    created = str(package.descriptor.get("created", "1980-01-01T00:00:00Z")).replace("Z", "+00:00")
    try:
        when = datetime.fromisoformat(created)
    except ValueError:
        raise BuildError(f"'created' in {DESCRIPTOR} is not an ISO date-time: {created!r}") from None
    return (max(when.year, 1980), when.month, when.day, when.hour, when.minute, when.second)


def release_files(package: Package) -> dict[str, bytes]:
    """README, CHANGELOG, CITATION.cff and licences: regular files of the package itself, never links out of it."""
    found = {}
    for name in EXTRA_FILES:
        path = package.root / name
        if path.is_symlink():
            raise BuildError(f"{path} is a symbolic link; a release carries the package's own {name}, not what a link points to")
        problem = kind_of(path)
        if problem == "missing":
            raise BuildError(f"{name} is missing from {package.root}; a release carries it (build from a source checkout, "
                             "or reinstall a wheel that ships it)")
        if problem:
            raise BuildError(f"{path} is {problem}; a release carries a regular file")
        try:
            found[name] = read_capped(path, MAX_EXTRA_BYTES, name)
        except PackageError as exc:
            raise BuildError(str(exc)) from None
    return found


def write_zip(package: Package, target: Path, extras: dict[str, bytes]) -> None:
    stamp_time = _zip_time(package)
    members: dict[str, bytes] = {DESCRIPTOR: dumps(stamped(package.descriptor, package.root)).encode("utf-8")}
    for name in package.names:
        members[package.resource(name)["path"]] = package.path(name).read_bytes()
        schema = package.resource(name).get("schema")
        if isinstance(schema, str):
            members[schema] = read_capped(package.root / schema, MAX_EXTRA_BYTES, f"Table Schema of {name}")
    members.update(extras)
    with zipfile.ZipFile(target, "w") as archive:
        for member in sorted(members):
            info = zipfile.ZipInfo(member, date_time=stamp_time)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3
            info.external_attr = 0o644 << 16
            archive.writestr(info, members[member], compresslevel=9)


def parquet_metadata(package: Package, name: str, tools: dict[str, str], view: Derived | None = None) -> dict[str, str]:
    """Key-value metadata that makes one Parquet file self-describing (a derived view's too)."""
    resource = package.resource(name) if view is None else {"title": view.title, "description": view.description}
    schema = package.schema(name) if view is None else view.schema
    return {
        "rare_earth_supply.dataset": str(package.descriptor.get("name", "")),
        "rare_earth_supply.version": package.version,
        "rare_earth_supply.id": str(package.descriptor.get("id", "")),
        "rare_earth_supply.created": str(package.descriptor.get("created", "")),
        "rare_earth_supply.table": name,
        "rare_earth_supply.title": str(resource.get("title", "")),
        "rare_earth_supply.description": str(resource.get("description", "")),
        "rare_earth_supply.license": json.dumps(package.descriptor.get("licenses", []), ensure_ascii=False),
        "frictionless.table_schema": json.dumps(schema, ensure_ascii=False),
        "rare_earth_supply.tools": json.dumps(tools, sort_keys=True),
        **({"rare_earth_supply.view": f"derived from the curated tables: {view.description}"} if view is not None else {}),
    }


def write_parquet(package: Package, frames: dict[str, pl.DataFrame], directory: Path, tools: dict[str, str],
                  derived: list[Derived]) -> list[Path]:
    """One Parquet file per curated table and per derived view, each carrying its Table Schema and the release's metadata."""
    paths = []
    for name, frame in frames.items():
        path = directory / f"rare-earth-supply-{package.version}-{name}.parquet"
        frame.write_parquet(path, compression="zstd", compression_level=9, statistics=False,
                            metadata=parquet_metadata(package, name, tools))
        paths.append(path)
    for view in (d for d in derived if d.parquet):
        path = directory / f"rare-earth-supply-{package.version}-{view.file_stem}.parquet"
        metadata = parquet_metadata(package, view.name, tools, view)
        view.frame.write_parquet(path, compression="zstd", compression_level=9, statistics=False, metadata=metadata)
        paths.append(path)
    return paths


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(value: object) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, (int, float)):
        return repr(value)
    return "'" + str(value).replace("'", "''") + "'"


def _checks(field: dict) -> list[str]:
    """CHECK constraints for what SQLite can test of a Table Schema field: enums, bounds, lengths, booleans."""
    column, c, type_ = _quote(field["name"]), field.get("constraints", {}), field.get("type", "string")
    found = []
    if "enum" in c:
        found.append(f"{column} IN ({', '.join(_literal(v) for v in c['enum'])})")
    for key, op in (("minimum", ">="), ("maximum", "<="), ("exclusiveMinimum", ">"), ("exclusiveMaximum", "<")):
        if key in c:
            found.append(f"{column} {op} {_literal(c[key])}")
    if "minLength" in c:
        found.append(f"length({column}) >= {int(c['minLength'])}")
    if "maxLength" in c:
        found.append(f"length({column}) <= {int(c['maxLength'])}")
    if type_ == "boolean":
        found.append(f"{column} IN (0, 1)")
    if type_ == "date":
        found.append(f"{column} GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'")
    return [f"CHECK ({check})" for check in found]


def create_statements(package: Package) -> list[str]:
    """STRICT tables with types, NOT NULL, CHECKs, primary and foreign keys from the Table Schemas."""
    statements = []
    for name in package.names:
        schema = package.schema(name)
        columns = []
        for f in schema["fields"]:
            not_null = " NOT NULL" if f.get("constraints", {}).get("required") else ""
            columns.append(" ".join([f"{_quote(f['name'])} {SQL_TYPES[f.get('type', 'string')]}{not_null}", *_checks(f)]))
        if schema.get("primaryKey"):
            columns.append(f"PRIMARY KEY ({', '.join(map(_quote, as_list(schema['primaryKey'])))})")
        for fk in schema.get("foreignKeys", []):
            target, fields, ref_fields = foreign_key_target(fk, name)
            columns.append(f"FOREIGN KEY ({', '.join(map(_quote, fields))}) REFERENCES {_quote(target)} "
                           f"({', '.join(map(_quote, ref_fields))}) DEFERRABLE INITIALLY DEFERRED")
        statements.append(f"CREATE TABLE {_quote(name)} (\n  " + ",\n  ".join(columns) + "\n) STRICT")
    return statements


def _metadata_rows(package: Package) -> tuple[list[tuple], list[tuple]]:
    tables = [(n, package.resource(n).get("title", ""), package.resource(n).get("description", ""),
               package.resource(n).get("path", "")) for n in package.names]
    fields = [row for n in package.names for row in _field_rows(n, package.schema(n))]
    return tables, fields


def _insert(connection: sqlite3.Connection, name: str, frame: pl.DataFrame) -> None:
    text = frame.with_columns(pl.col(pl.Date).dt.to_string("%Y-%m-%d"), pl.col(pl.Boolean).cast(pl.Int64))
    connection.executemany(f"INSERT INTO {_quote(name)} VALUES ({', '.join('?' * frame.width)})", text.iter_rows())


def _field_rows(name: str, schema: dict) -> list[tuple]:
    return [(name, position, f["name"], f.get("type", "string"), f.get("title", ""), f.get("description", ""), f.get("unit"),
             json.dumps(f.get("constraints", {}), ensure_ascii=False)) for position, f in enumerate(schema["fields"], start=1)]


def _write_derived(connection: sqlite3.Connection, view: Derived) -> None:
    """A derived table with its columns typed from its Table Schema, described in `_tables` and `_fields`."""
    columns = [f"{_quote(f['name'])} {SQL_TYPES[f.get('type', 'string')]}" for f in view.schema["fields"]]
    if view.schema.get("primaryKey"):
        columns.append(f"PRIMARY KEY ({', '.join(map(_quote, view.schema['primaryKey']))})")
    connection.execute(f"CREATE TABLE {_quote(view.name)} ({', '.join(columns)}) STRICT")
    _insert(connection, view.name, view.frame)
    connection.execute('INSERT INTO "_tables" VALUES (?, ?, ?, ?)', (view.name, view.title, view.description, ""))
    connection.executemany('INSERT INTO "_fields" VALUES (?, ?, ?, ?, ?, ?, ?, ?)', _field_rows(view.name, view.schema))


def write_sqlite(package: Package, frames: dict[str, pl.DataFrame], target: Path, tools: dict[str, str],
                 derived: list[Derived]) -> None:
    connection = sqlite3.connect(target)
    try:
        connection.execute("PRAGMA foreign_keys = ON")
        with connection:
            for statement in create_statements(package):
                connection.execute(statement)
            connection.execute('CREATE TABLE "_release" ("key" TEXT PRIMARY KEY, "value" TEXT NOT NULL) STRICT')
            connection.executemany('INSERT INTO "_release" VALUES (?, ?)', [
                ("name", str(package.descriptor.get("name"))), ("version", package.version),
                ("id", str(package.descriptor.get("id", ""))), ("created", str(package.descriptor.get("created"))),
                ("license", json.dumps(package.descriptor.get("licenses", []), ensure_ascii=False)),
                ("tools", json.dumps(tools, sort_keys=True))])
            connection.execute('CREATE TABLE "_tables" ("table" TEXT PRIMARY KEY, "title" TEXT, "description" TEXT, "path" TEXT) STRICT')
            connection.execute('CREATE TABLE "_fields" ("table" TEXT NOT NULL REFERENCES "_tables" ("table"), "position" INTEGER NOT NULL, '
                               '"field" TEXT NOT NULL, "type" TEXT NOT NULL, "title" TEXT, "description" TEXT, "unit" TEXT, '
                               '"constraints" TEXT, PRIMARY KEY ("table", "field")) STRICT')
            tables, fields = _metadata_rows(package)
            connection.executemany('INSERT INTO "_tables" VALUES (?, ?, ?, ?)', tables)
            connection.executemany('INSERT INTO "_fields" VALUES (?, ?, ?, ?, ?, ?, ?, ?)', fields)
            for name, frame in frames.items():
                _insert(connection, name, frame)
            for view in derived:  # row status, preferred views and computed views, described like the rest
                _write_derived(connection, view)
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


def _names(version: str, tables: list[str], derived: list[Derived]) -> list[str]:
    base = f"rare-earth-supply-{version}"
    return [f"{base}.zip", f"{base}.sqlite", f"{base}-report.md", f"{base}-buildinfo.json",
            *[f"{base}-{t}.parquet" for t in tables], *[f"{base}-{d.file_stem}.parquet" for d in derived if d.parquet],
            f"{base}.sha256"]


def _check_out(out: Path, names: list[str]) -> None:
    """The output folder can take every file before anything is written: no name is a folder or a link."""
    if out.exists() and (out.is_symlink() or not out.is_dir()):
        raise BuildError(f"--out {out} exists and is not a directory")
    for name in names:
        target = out / name
        if target.is_symlink() or (target.exists() and not target.is_file()):
            raise BuildError(f"{target} exists and is not a regular file; remove it or choose another --out")


def build(package: Package, out: Path, since: str | None = None, *, check: bool = True, force: bool = False) -> BuildResult:
    """Validate, check the version bump, and write the release artifacts into `out` all at once (see `place`).

    A different release of the same version already in `out` is replaced only with `force`.

    `check=False` rebuilds a past release as it was: today's rules may find what they could not
    then, so findings go into the release's report instead of stopping the build."""
    from rare_earth_supply.publish.report import report_markdown
    from rare_earth_supply.validate import validate
    try:
        parse(package.version)
    except PackageError as exc:
        raise BuildError(f"{DESCRIPTOR}: {exc}") from None
    extras = release_files(package)
    report = validate(package)
    if check and not report.ok:
        raise BuildError(f"{report.errors.height} validation error(s); run `rare-earth-supply validate` and fix them first")
    if check and report.exit_code(strict=True):
        named = "; ".join(f"{r['table']} {r['row_id']} [{r['rule']}]" for r in report.unacknowledged.head(5).iter_rows(named=True))
        raise BuildError(f"{report.unacknowledged.height} warning(s) not acknowledged by an open erratum ({named}); "
                         "add or update errata, then run `rare-earth-supply validate --strict`")
    changelog = check_bump(package, since) if since else None
    version, tools = package.version, tool_versions()
    derived = derived_tables(package, report.frames)
    names = _names(version, list(report.frames), derived)
    _check_out(out, names)
    clean_leftovers(out)
    stage = staging_folder(out)
    try:
        frames = report.frames
        written = [stage / names[0], stage / names[1], stage / names[2], stage / names[3]]
        write_zip(package, written[0], extras)
        write_sqlite(package, frames, written[1], tools, derived)
        written[2].write_text(report_markdown(report), encoding="utf-8")
        written[3].write_text(json.dumps({"version": version, "tools": tools, "byte_identical_for": "these tool versions"},
                                         indent=2, sort_keys=True) + "\n", encoding="utf-8")
        written += write_parquet(package, frames, stage, tools, derived)
        sums = stage / names[-1]
        sums.write_text(sha256sums(written), encoding="utf-8")
        written.append(sums)
        old = _existing_release(out, names)
        if old is not None and old == sums.read_text(encoding="utf-8"):
            return BuildResult([out / p.name for p in written], changelog, unchanged=True)  # the same bytes: nothing to move
        if old is not None and not force:
            raise BuildError(f"{out} already holds release {version} with other contents; a release is not overwritten "
                             "silently: bump the version, choose another --out, or pass --force to replace it")
        replaced = set(names) | _listed(old)
        carry_over(out, stage, replaced)
        os.chmod(stage, out.stat().st_mode & 0o7777 if out.is_dir() else 0o777 & ~_umask())
        swap_into_place(stage, out)  # one step: the old folder or the new one, never a mix
        return BuildResult([out / p.name for p in written], changelog)
    finally:
        shutil.rmtree(stage, ignore_errors=True)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _existing_release(out: Path, names: list[str]) -> str | None:
    """The `.sha256` listing of the release of this version already in `out`; '' when its files are there without one."""
    sums = out / names[-1]
    if sums.is_file():
        return sums.read_text(encoding="utf-8")
    return "" if any((out / name).exists() for name in names) else None


def _listed(sums: str | None) -> set[str]:
    """The file names a `.sha256` listing names (an old release's files, to be replaced with it)."""
    return {line.split("  ", 1)[1] for line in (sums or "").splitlines() if "  " in line}


def rebuild(version: str, out: Path, force: bool = False) -> BuildResult:
    """The release files of a past version, rebuilt from the git history alone (no tag needed).

    The commit that declared the version gives the package and the files a release carries;
    the build is today's, so two rebuilds with the same tools are byte-identical to each other
    and to a build of a checkout of that commit (see buildinfo.json for the tools)."""
    from rare_earth_supply.read.package import open_package
    from rare_earth_supply.release import history
    repo = history.repository()
    release = history.release_of(repo, version)
    with tempfile.TemporaryDirectory(prefix="rare-earth-supply-release-") as tmp:
        history.export_release(repo, release.commit, Path(tmp), EXTRA_FILES)
        return build(open_package(tmp), out, check=False, force=force)
