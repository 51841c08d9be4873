"""The `rare-earth-supply` command: a thin typer layer over the Python API.

Exit codes: 0 valid (warnings allowed), 1 errors found (or warnings with --strict),
2 unusable input (no package, broken descriptor, a path leaving the package, bad arguments).
"""
from __future__ import annotations

import sys
from enum import Enum
from pathlib import Path
from typing import Optional

import polars as pl
import typer
from rich.console import Console

from rare_earth_supply.publish import render
from rare_earth_supply.release.cite import FORMATS as CITE_FORMATS
from rare_earth_supply.read.package import open_package
from rare_earth_supply.problems import DataError, PackageError

app = typer.Typer(
    help="Rare-earth supply chain data: inspect, validate and cite the data package.",
    no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False,
)
# piped output is not squeezed to 80 columns: a report read in a log or file stays legible
out = Console(soft_wrap=False, width=None if sys.stdout.isatty() else 200)
err = Console(stderr=True, soft_wrap=True)  # an error stays on one line, greppable


# output formats are listed once, where they are rendered
Format = Enum("Format", {name: name for name in render.FORMATS}, type=str)


def _open(path: Optional[Path]):
    """The package at `path` (the bundled one by default), or a clean exit 2 naming the problem."""
    try:
        return open_package(path)
    except PackageError as exc:
        _fail(str(exc))


PathArg = typer.Argument(None, help="Package directory or datapackage.json (default: the bundled package).", show_default=False)


def _fail(message: str, code: int = 2) -> None:
    err.print(f"[bold red]error:[/] {message}", highlight=False)
    raise typer.Exit(code)


@app.command()
def info(path: Optional[Path] = PathArg) -> None:
    """Version, tables and row counts of the package."""
    from rare_earth_supply import read_table
    try:
        package = open_package(path)
        rows = [{"table": n, "rows": read_table(package, n).height, "title": package.resource(n).get("title", "")}
                for n in package.names]
    except (PackageError, DataError) as exc:
        _fail(str(exc), 2 if isinstance(exc, PackageError) else 1)
    out.print(f"[bold]{package.descriptor.get('title', package.descriptor.get('name'))}[/] "
              f"version {package.version} — {package.root}", highlight=False)
    out.print(render.rich_table(pl.DataFrame(rows)))


@app.command()
def show(
    table: str = typer.Argument(..., help="Table name, e.g. reserves."),
    path: Optional[Path] = typer.Option(None, "--path", help="Package directory or datapackage.json."),
    limit: int = typer.Option(0, "--limit", "-n", help="Show at most this many rows (0: all)."),
    columns: Optional[str] = typer.Option(None, "--columns", "-c", help="Comma-separated columns to show."),
    fmt: Format = typer.Option(Format.table, "--format", "-f", help="Output format."),
) -> None:
    """Print one table."""
    from rare_earth_supply import read_table
    try:
        package = open_package(path)
        frame = read_table(package, table)
        if table != "errata" and "errata" in package.names:
            open_ids = read_table(package, "errata").filter((pl.col("status") == "open") & (pl.col("table") == table))["id"]
            if len(open_ids):
                err.print(f"note: {table} has open errata {', '.join(open_ids)} (rare-earth-supply errata {table})", highlight=False)
    except KeyError as exc:
        _fail(exc.args[0])
    except (PackageError, DataError) as exc:
        _fail(str(exc), 2 if isinstance(exc, PackageError) else 1)
    if columns:
        wanted = [c.strip() for c in columns.split(",")]
        unknown = [c for c in wanted if c not in frame.columns]
        if unknown:
            _fail(f"unknown column(s) {', '.join(unknown)}; {table} has: {', '.join(frame.columns)}")
        frame = frame.select(wanted)
    if limit:
        frame = frame.head(limit)
    render.emit(out, frame, fmt.value, table)


@app.command()
def validate(
    path: Optional[Path] = PathArg,
    fmt: Format = typer.Option(Format.table, "--format", "-f", help="table (for people), json (for machines) or markdown."),
    strict: bool = typer.Option(False, "--strict", help="Release check: exit 1 on any warning no open erratum acknowledges (stale errata included)."),
    report: bool = typer.Option(False, "--report", help="Also print the consistency report."),
) -> None:
    """Check files, fields, keys, rows and cross-table rules; report every problem at once."""
    from rare_earth_supply.publish.report import consistency_frames
    from rare_earth_supply.validate import validate as run
    try:
        result = run(path)
    except PackageError as exc:
        _fail(str(exc))
    code = result.exit_code(strict)
    frame = result.frame
    n_err, n_warn = result.errors.height, result.warnings.height
    if fmt is Format.json:
        payload = {"package": str(result.package.root), "version": result.package.version, "valid": code == 0,
                   "errors": n_err, "warnings": n_warn, "unacknowledged_warnings": result.unacknowledged.height,
                   "problems": render.records(frame)}
        if report:
            payload["consistency"] = {k: render.records(v) for k, v in consistency_frames(result.frames).items()}
        print(render.to_json(payload))
        raise typer.Exit(code)
    if fmt is Format.markdown:
        print(f"# Validation of {result.package.descriptor.get('name')} {result.package.version}\n")
        print(f"{n_err} error(s), {n_warn} warning(s).\n")
        if not frame.is_empty():
            print(render.markdown(frame) + "\n")
        if report:
            for title, part in consistency_frames(result.frames).items():
                print(f"## {title}\n\n" + (render.markdown(part) if not part.is_empty() else "None.") + "\n")
        raise typer.Exit(code)
    if not frame.is_empty():
        shown = frame.drop("related")
        out.print(render.rich_table(shown, "Problems", {"rule": "cyan", "severity": "bold"}))
    if report:
        for title, part in consistency_frames(result.frames).items():
            out.print(render.rich_table(part, title) if not part.is_empty() else f"{title}: none")
    tables = len(result.package.names)
    verdict = "[bold green]VALID[/]" if code == 0 else "[bold red]INVALID[/]"
    open_warnings = result.unacknowledged.height
    out.print(f"{verdict} {result.package.root.name or result.package.root} {result.package.version}: "
              f"{tables} tables, {n_err} error(s), {n_warn} warning(s), {n_warn - open_warnings} acknowledged by errata"
              + (f"; {open_warnings} not acknowledged" + (" (fails --strict)" if not strict else "") if open_warnings else ""),
              highlight=False)
    raise typer.Exit(code)


@app.command()
def report(
    path: Optional[Path] = PathArg,
    fmt: Format = typer.Option(Format.table, "--format", "-f", help="Output format."),
) -> None:
    """Consistency report: corroborated figures, conflicts, stated against computed shares."""
    from rare_earth_supply.publish.report import consistency_frames
    from rare_earth_supply.validate import read_package
    frames, _, problems = read_package(_open(path))
    if not problems.is_empty():
        _fail(f"{problems.height} table problem(s); run `rare-earth-supply validate` first", 1)
    parts = consistency_frames({n: f for n, f in frames.items()})
    if fmt is Format.json:
        print(render.to_json({k: render.records(v) for k, v in parts.items()}))
        return
    for title, part in parts.items():
        if fmt is Format.markdown:
            print(f"## {title}\n\n" + (render.markdown(part) if not part.is_empty() else "None.") + "\n")
        elif fmt is Format.csv:
            print(f"# {title}\n" + part.write_csv())
        else:
            out.print(render.rich_table(part, title) if not part.is_empty() else f"{title}: none")


@app.command()
def errata(
    table: Optional[str] = typer.Argument(None, help="Only the errata of this table."),
    all_: bool = typer.Option(False, "--all", help="Include resolved errata."),
    path: Optional[Path] = typer.Option(None, "--path", help="Package directory or datapackage.json."),
    fmt: Format = typer.Option(Format.table, "--format", "-f", help="Output format."),
) -> None:
    """Known problems in the data: which rows, what kind, and how to read them."""
    from rare_earth_supply import read_table
    try:
        package = open_package(path)
        if table is not None and table not in package.names:
            _fail(f"unknown table {table!r}; tables are: {', '.join(package.names)}")
        frame = read_table(package, "errata")
    except KeyError:
        _fail("this package has no errata table")
    except (PackageError, DataError) as exc:
        _fail(str(exc), 2 if isinstance(exc, PackageError) else 1)
    if not all_:
        frame = frame.filter(pl.col("status") == "open")
    if table:
        frame = frame.filter(pl.col("table") == table)
    render.emit(out, frame, fmt.value, "Errata")


@app.command()
def rules(fmt: Format = typer.Option(Format.table, "--format", "-f", help="Output format.")) -> None:
    """The rules catalogue: id, severity, level, tolerance, description."""
    from rare_earth_supply.rules import catalogue_frame
    render.emit(out, catalogue_frame(), fmt.value, "Rules")


@app.command("diff")
def diff_command(
    old: str = typer.Argument(..., help="Older release: package directory, datapackage.json, release zip or git tag."),
    new: str = typer.Argument(".", help="Newer release (default: this checkout)."),
    fmt: Format = typer.Option(Format.table, "--format", "-f", help="table (summary), json (everything) or markdown (CHANGELOG section)."),
) -> None:
    """What changed between two releases, and the SemVer bump it requires."""
    from rare_earth_supply.release.diff import BUMPS, changelog_markdown, diff, opened
    try:
        with opened(old) as a, opened(new) as b:
            change = diff(a, b)
    except PackageError as exc:
        _fail(str(exc))
    if fmt is Format.json:
        print(render.to_json(change.to_dict()))
        return
    if fmt is Format.markdown:
        print(changelog_markdown(change))
        return
    rows = [{"table": t.name, "status": t.status, "rows added": len(t.rows_added), "rows removed": len(t.rows_removed),
             "cells changed": len(t.rows_changed), "fields added": len(t.fields_added), "fields removed": len(t.fields_removed),
             "bump": t.bump, "why": "; ".join(r for level in ("major", "minor", "patch") for r in t.reasons()[level])}
            for t in change.tables]
    out.print(render.rich_table(pl.DataFrame(rows), f"{change.old_version} → {change.new_version}"))
    for t in change.tables:
        for c in t.rows_changed:
            out.print(f"  {t.name} {c['id']} {c['column']}: {c['old']!r} → {c['new']!r}", highlight=False)
    verdict = "ok" if BUMPS.index(change.actual_bump) >= BUMPS.index(change.required_bump) else "TOO SMALL"
    out.print(f"required bump: [bold]{change.required_bump.upper()}[/]; version change is {change.actual_bump} ({verdict})", highlight=False)


@app.command()
def build(
    out_dir: Path = typer.Option(Path("dist"), "--out", "-o", help="Where the release files go."),
    since: Optional[str] = typer.Option(None, "--since", help="Previous release (zip, directory or git tag): refuse a too-small version bump."),
    path: Optional[Path] = typer.Option(None, "--path", help="Package to release (default: the bundled package)."),
) -> None:
    """Validate, then write the release: zip with hashes, Parquet, SQLite, consistency report."""
    from rare_earth_supply.release.build import BuildError, build as run
    try:
        result = run(open_package(path), out_dir, since)
    except (PackageError, BuildError) as exc:
        _fail(str(exc), 2 if isinstance(exc, PackageError) else 1)
    for file in result.files:
        out.print(f"wrote {file}", highlight=False)
    if result.changelog:
        out.print(f"\nChanges since {since} (for CHANGELOG.md):\n")
        print(result.changelog)


CiteFormat = Enum("CiteFormat", {name: name for name in CITE_FORMATS}, type=str)


@app.command()
def cite(
    fmt: CiteFormat = typer.Option(CiteFormat.text, "--format", "-f", help="Citation format."),
    row: Optional[str] = typer.Option(None, "--row", help="One figure, as TABLE:ID (e.g. reserves:res-001)."),
    path: Optional[Path] = typer.Option(None, "--path", help="Package directory or datapackage.json."),
) -> None:
    """How to cite this release, or one figure of it with its original source."""
    from rare_earth_supply.release.cite import release_citation, row_citation
    try:
        package = open_package(path)
        if row is None:
            print(release_citation(package, fmt.value), end="")
            return
        table, sep, row_id = row.partition(":")
        if not sep or not row_id:
            _fail(f"--row takes TABLE:ID, e.g. reserves:res-001; got {row!r}")
        if table not in package.names:
            _fail(f"unknown table {table!r}; tables are: {', '.join(package.names)}")
        print(row_citation(package, table, row_id, fmt.value if fmt.value != "cff" else "text"), end="")
    except KeyError as exc:
        _fail(exc.args[0])
    except PackageError as exc:
        _fail(str(exc))


@app.command()
def docs(
    check: bool = typer.Option(False, "--check", help="Only report whether the committed docs are current (exit 1 if not)."),
    path: Optional[Path] = typer.Option(None, "--path", help="Source checkout (default: the current directory if it is one, else the package's own)."),
) -> None:
    """Write docs/, CITATION.cff and the README's generated sections from the metadata."""
    from rare_earth_supply.publish.docs import generated_files
    here = Path.cwd()
    if path is None and (here / "pyproject.toml").is_file() and (here / "datapackage.json").is_file():
        path = here
    package = _open(path)
    if not (package.root / "pyproject.toml").is_file():
        _fail(f"docs are generated in a source checkout; {package.root} is an installed copy")
    stale = []
    for path, content in generated_files(package, package.root).items():
        current = path.read_text(encoding="utf-8") if path.exists() else None
        if current != content:
            stale.append(path)
            if not check:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(content, encoding="utf-8")
    for path in stale:
        out.print(f"{'stale' if check else 'wrote'} {path.relative_to(package.root)}", highlight=False)
    if check and stale:
        raise typer.Exit(1)


@app.command()
def charts(
    out_dir: Path = typer.Option(Path("docs/img"), "--out", "-o", help="Where the PNG files go."),
    path: Optional[Path] = typer.Option(None, "--path", help="Package directory or datapackage.json (default: the bundled package)."),
) -> None:
    """Draw the documentation charts from the data (needs the `plot` extra: pip install 'rare-earth-supply[plot]')."""
    try:
        from rare_earth_supply.publish.charts import write_all
    except ImportError:
        _fail("charts need matplotlib: pip install 'rare-earth-supply[plot]'")
    from rare_earth_supply import read_table
    try:
        package = open_package(path)
        tables = {n: read_table(package, n) for n in package.names}
    except (PackageError, DataError) as exc:
        _fail(str(exc))
    for path in write_all(tables, out_dir):
        out.print(f"wrote {path}", highlight=False)


@app.command()
def tables(path: Optional[Path] = PathArg) -> None:
    """Table names, one per line."""
    print("\n".join(_open(path).names))


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)
