"""The `rare-earth-supply` command: a thin typer layer over the Python API.

Exit codes: 0 valid (warnings allowed), 1 errors found (or warnings with --strict, or data
that cannot be loaded), 2 unusable input (no package, broken descriptor, a path leaving the
package, an unsupported schema feature, bad arguments). Every message is one plain line on
stderr; nothing a user typed or a cell holds is read as markup or sent raw to the terminal.
"""
from __future__ import annotations

import contextlib
import sys
from enum import Enum
from pathlib import Path
from typing import Iterator, NoReturn, Optional

import polars as pl
import typer
from rich.console import Console
from rich.text import Text

from rare_earth_supply.problems import DataError, IntegrityError, PackageError
from rare_earth_supply.publish import render
from rare_earth_supply.publish.problems import DEFAULT_MAX
from rare_earth_supply.read.package import open_package
from rare_earth_supply.release.cite import FORMATS as CITE_FORMATS

app = typer.Typer(
    help="Rare-earth supply chain data: inspect, validate and cite the data package.",
    no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False,
)
# piped output is not squeezed to 80 columns: a report read in a log or file stays legible
out = Console(soft_wrap=False, width=None if sys.stdout.isatty() else 200, highlight=False, markup=False)
err = Console(stderr=True, soft_wrap=True, highlight=False, markup=False)  # an error stays on one line, greppable

# output formats are listed once, where they are rendered
Format = Enum("Format", {name: name for name in render.FORMATS}, type=str)


class UsageError(Exception):
    """A command was given arguments it cannot use (exit 2)."""


def _fail(message: str, code: int = 2) -> NoReturn:
    err.print(Text.assemble(("error: ", "bold red"), render.safe(message)))
    raise typer.Exit(code)


@contextlib.contextmanager
def guard() -> Iterator[None]:
    """Turn every expected failure into one line on stderr and its exit code, never a traceback."""
    from rare_earth_supply.release.build import BuildError
    try:
        yield
    except (PackageError, UsageError) as exc:
        _fail(str(exc), 2)
    except KeyError as exc:
        _fail(str(exc.args[0]) if exc.args else "unknown name", 2)
    except (DataError, IntegrityError, BuildError) as exc:
        _fail(str(exc), 1)


PathArg = typer.Argument(None, help="Package directory or datapackage.json (default: the bundled package).", show_default=False)
PathOption = typer.Option(None, "--path", help="Package directory or datapackage.json (default: the bundled package).")


def _note_open_errata(package, table: str) -> None:
    from rare_earth_supply import read_table
    if table != "errata" and "errata" in package.names:
        errata = read_table(package, "errata")
        open_ids = errata.filter((pl.col("status") == "open") & (pl.col("table") == table))["id"]
        if len(open_ids):
            err.print(f"note: {table} has open errata {', '.join(open_ids)} (rare-earth-supply errata {render.safe(table)})")


@app.command()
def info(path: Optional[Path] = PathArg) -> None:
    """Version, tables and row counts of the package."""
    from rare_earth_supply import read_table
    with guard():
        package = open_package(path)
        rows = [{"table": n, "rows": read_table(package, n).height, "title": package.resource(n).get("title", "")}
                for n in package.names]
    title = package.descriptor.get("title", package.descriptor.get("name"))
    out.print(Text.assemble((render.safe(title), "bold"), f" version {render.safe(package.version)} — {render.safe(package.root)}"))
    out.print(render.rich_table(pl.DataFrame(rows)))


def _columns(spec: str, available: list[str], table: str) -> list[str]:
    wanted = [c.strip() for c in spec.split(",") if c.strip()]
    if not wanted:
        raise UsageError("--columns needs at least one column name")
    repeated = sorted({c for c in wanted if wanted.count(c) > 1})
    if repeated:
        raise UsageError(f"column(s) {', '.join(repeated)} named more than once in --columns")
    unknown = [c for c in wanted if c not in available]
    if unknown:
        raise UsageError(f"unknown column(s) {', '.join(unknown)}; {table} has: {', '.join(available)}")
    return wanted


# the computed views `show` prints beside the tables: name -> the function of the package that computes it
COMPUTED_VIEWS = ("concentration", "capacity_outside_china", "funding")


class View(str, Enum):
    all = "all"
    status = "status"
    preferred = "preferred"


@app.command()
def show(
    table: str = typer.Argument(..., help="Table name, e.g. reserves, or a computed view: " + ", ".join(COMPUTED_VIEWS) + "."),
    path: Optional[Path] = PathOption,
    limit: int = typer.Option(0, "--limit", "-n", min=0, help="Show at most this many rows (0: all)."),
    columns: Optional[str] = typer.Option(None, "--columns", "-c", help="Comma-separated columns to show."),
    view: View = typer.Option(View.all, "--view", help="all (as curated), status or preferred (the figure to use, with US-dollar figures)."),
    fmt: Format = typer.Option(Format.table, "--format", "-f", help="Output format."),
) -> None:
    """Print one table, one of its views, or a computed view (list cells joined with '|')."""
    import rare_earth_supply as res
    from rare_earth_supply.release.derived import joined
    with guard():
        package = open_package(path)
        if table in COMPUTED_VIEWS:
            if view is not View.all:
                raise UsageError(f"{table} is a computed view: --view applies to the tables")
            frame = getattr(res, table)(path=package.root)
        else:
            frame = res.read_table(package, table)
            if view is not View.all:
                try:
                    frame = res.with_status(package, table, frame, view.value)
                except ValueError as exc:  # a table without figures (sources, entities) has no status
                    raise UsageError(str(exc)) from None
            _note_open_errata(package, table)
        frame = joined(frame)
        if columns:
            frame = frame.select(_columns(columns, frame.columns, table))
    if limit:
        frame = frame.head(limit)
    render.emit(out, frame, fmt.value, table)


@app.command()
def validate(
    path: Optional[Path] = PathArg,
    fmt: Format = typer.Option(Format.table, "--format", "-f", help="table (for people), json (for machines), markdown or csv."),
    strict: bool = typer.Option(False, "--strict", help="Release check: exit 1 on any warning no open erratum acknowledges (stale errata included)."),
    report: bool = typer.Option(False, "--report", help="Also print the consistency report."),
    max_problems: int = typer.Option(DEFAULT_MAX, "--max-problems", min=0,
                                     help="Problems shown per table and rule; the rest are counted (0: show all)."),
) -> None:
    """Check files, fields, keys, rows and cross-table rules; report every problem at once."""
    from rare_earth_supply.publish import problems as shown_problems
    from rare_earth_supply.publish.report import consistency_frames
    from rare_earth_supply.validate import validate as run
    with guard():
        result = run(path)
    code = result.exit_code(strict)
    frame, counts = result.frame, result.counts()
    n_err, n_warn = result.errors.filter(pl.col("erratum").is_null()).height, result.warnings.height
    source_errors = result.errors.height - n_err
    if fmt is Format.json:
        header = {"package": str(result.package.root), "version": result.package.version, "valid": code == 0,
                  "errors": n_err, "source_errors_acknowledged": source_errors, "warnings": n_warn,
                  "unacknowledged_warnings": result.unacknowledged.height}
        extra = {"consistency": {k: render.records(v) for k, v in consistency_frames(result.frames).items()}} if report else None
        shown_problems.write_json(sys.stdout, header, counts, frame, max_problems, extra)
        raise typer.Exit(code)
    shown, more = shown_problems.bounded(frame, max_problems)
    if fmt is Format.csv:
        render.write_csv(shown, sys.stdout, escape=out.is_terminal)
        raise typer.Exit(code)
    if fmt is Format.markdown:
        print(f"# Validation of {render.safe(result.package.descriptor.get('name'))} {render.safe(result.package.version)}\n")
        print(f"{n_err} error(s), {n_warn} warning(s).\n")
        if not shown.is_empty():
            print(render.markdown(shown) + "\n")
        for line in shown_problems.omitted_lines(more):
            print(f"- {line}")
        if report:
            for title, part in consistency_frames(result.frames).items():
                print(f"## {title}\n\n" + (render.markdown(part) if not part.is_empty() else "None.") + "\n")
        raise typer.Exit(code)
    if not shown.is_empty():
        if shown.height <= render.RICH_TABLE_ROWS:
            out.print(render.rich_table(shown.drop("related"), "Problems", {"rule": "cyan", "severity": "bold"}))
        else:
            for line in shown_problems.text_lines(shown):
                sys.stdout.write(line + "\n")
    for line in shown_problems.omitted_lines(more):
        out.print(line)
    if report:
        for title, part in consistency_frames(result.frames).items():
            out.print(render.rich_table(part, title) if not part.is_empty() else f"{title}: none")
    tables = len(result.package.names)
    open_warnings = result.unacknowledged.height
    name = render.safe(result.package.root.name or result.package.root)
    summary = (f" {name} {render.safe(result.package.version)}: {tables} tables, {n_err} error(s)"
               + (f" (and {source_errors} in a source, acknowledged by errata)" if source_errors else "")
               + f", {n_warn} warning(s), {n_warn - open_warnings} acknowledged by errata"
               + (f"; {open_warnings} not acknowledged" + (" (fails --strict)" if not strict else "") if open_warnings else ""))
    out.print(Text.assemble(("VALID", "bold green") if code == 0 else ("INVALID", "bold red"), summary))
    raise typer.Exit(code)


@app.command()
def report(
    path: Optional[Path] = PathArg,
    fmt: Format = typer.Option(Format.table, "--format", "-f", help="Output format."),
) -> None:
    """Consistency report: conflicts, subjects several sources speak to, stated against computed shares."""
    from rare_earth_supply.publish.report import consistency_frames
    from rare_earth_supply.validate import read_package
    with guard():
        frames, _, problems = read_package(open_package(path))
    if not problems.is_empty():
        _fail(f"{problems.height} table problem(s); run `rare-earth-supply validate` first", 1)
    parts = consistency_frames(frames)
    if fmt is Format.json:
        print(render.to_json({k: render.records(v) for k, v in parts.items()}))
        return
    for title, part in parts.items():
        if fmt is Format.markdown:
            print(f"## {title}\n\n" + (render.markdown(part) if not part.is_empty() else "None.") + "\n")
        elif fmt is Format.csv:
            sys.stdout.write(f"# {title}\n")
            render.write_csv(part, sys.stdout, escape=out.is_terminal)
        else:
            out.print(render.rich_table(part, title) if not part.is_empty() else f"{title}: none")


@app.command()
def errata(
    table: Optional[str] = typer.Argument(None, help="Only the errata of this table."),
    all_: bool = typer.Option(False, "--all", help="Include resolved errata."),
    fingerprints: bool = typer.Option(False, "--fingerprints", help="Print each open erratum's fingerprints as the rows are now (for a curator who reviewed them)."),
    path: Optional[Path] = PathOption,
    fmt: Format = typer.Option(Format.table, "--format", "-f", help="Output format."),
) -> None:
    """Known problems in the data: which rows, what kind, whether an erratum has lapsed, and how to read them."""
    from rare_earth_supply.rules.errata import current_fingerprints, lapsed
    from rare_earth_supply.validate import read_package
    with guard():
        package = open_package(path)
        if table is not None and table not in package.names:
            raise UsageError(f"unknown table {table!r}; tables are: {', '.join(package.names)}")
        if "errata" not in package.names:
            raise UsageError("this package has no errata table")
        frames, _, problems = read_package(package)
        if not problems.is_empty():
            raise UsageError(f"{problems.height} table problem(s); run `rare-earth-supply validate` first")
    frames = {n: f.drop("_line") if n != "errata" else f for n, f in frames.items()}
    errata_frame = frames["errata"]
    if fingerprints:
        prints = current_fingerprints(errata_frame, frames)
        render.emit(out, prints if not table else prints.join(errata_frame.filter(pl.col("table") == table).select("id"), on="id"),
                    fmt.value, "Fingerprints of the rows as they are now (copy into errata.csv once reviewed)")
        return
    changed = lapsed(errata_frame, frames).select(pl.col("erratum").alias("id"), pl.col("changed").list.join("|").alias("lapsed"))
    frame = errata_frame.drop("_line").join(changed, on="id", how="left")
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
    old: str = typer.Argument(..., help="Older release: a released version (0.5.0), package directory, datapackage.json, release zip or git ref."),
    new: str = typer.Argument(".", help="Newer release (default: this checkout)."),
    fmt: Format = typer.Option(Format.table, "--format", "-f", help="table (summary), json (everything) or markdown (CHANGELOG section)."),
) -> None:
    """What changed between two releases, and the SemVer bump it requires."""
    from rare_earth_supply.release.diff import BUMPS, changelog_markdown, diff
    from rare_earth_supply.release.locate import opened
    with guard():
        with opened(old) as a, opened(new) as b:
            change = diff(a, b)
    if fmt is Format.json:
        print(render.to_json(change.to_dict()))
        return
    if fmt is Format.markdown:
        print(render.safe_lines(changelog_markdown(change)))
        return
    if fmt is Format.csv:
        _fail("diff prints table, json or markdown")
    rows = [{"table": t.name, "status": t.status, "rows added": len(t.rows_added), "rows removed": len(t.rows_removed),
             "cells changed": len(t.rows_changed), "fields added": len(t.fields_added), "fields removed": len(t.fields_removed),
             "bump": t.bump, "why": "; ".join(r for level in ("major", "minor", "patch") for r in t.reasons()[level])}
            for t in change.tables]
    out.print(render.rich_table(pl.DataFrame(rows), f"{change.old_version} → {change.new_version}"))
    for t in change.tables:
        for c in t.rows_changed:
            out.print(render.safe(f"  {t.name} {c['id']} {c['column']}: {c['old']!r} → {c['new']!r}"))
    verdict = "ok" if BUMPS.index(change.actual_bump) >= BUMPS.index(change.required_bump) else "TOO SMALL"
    out.print(Text.assemble("required bump: ", (change.required_bump.upper(), "bold"), f"; version change is {change.actual_bump} ({verdict})"))


@app.command()
def build(
    out_dir: Path = typer.Option(Path("dist"), "--out", "-o", help="Where the release files go."),
    since: Optional[str] = typer.Option(None, "--since", help="Previous release (a version such as 0.5.0, zip, directory or git ref): refuse a too-small version bump."),
    path: Optional[Path] = PathOption,
    version: Optional[str] = typer.Option(None, "--version", help="Rebuild a past release (e.g. 0.3.0) from the git history instead."),
    force: bool = typer.Option(False, "--force", help="Replace a different release of the same version already in --out."),
) -> None:
    """Validate, then write the release: zip with hashes, Parquet, SQLite, consistency report (all at once)."""
    from rare_earth_supply.release.build import build as run, rebuild
    with guard():
        if version and (path or since):
            raise UsageError("--version rebuilds a past release from history; it takes no --path or --since")
        result = rebuild(version, out_dir, force) if version else run(open_package(path), out_dir, since, force=force)
    if result.unchanged:
        out.print(f"{render.safe(out_dir)} already holds these {len(result.files)} files, byte for byte; nothing written")
    for file in result.files if not result.unchanged else []:
        out.print(f"wrote {render.safe(file)}")
    if result.changelog:
        out.print(f"\nChanges since {render.safe(since)} (for CHANGELOG.md):\n")
        print(render.safe_lines(result.changelog))


@app.command()
def releases(fmt: Format = typer.Option(Format.table, "--format", "-f", help="Output format.")) -> None:
    """Every released version, found from the git history of datapackage.json (no tags needed)."""
    from rare_earth_supply.release import history
    with guard():
        found = history.releases(history.repository())
    frame = pl.DataFrame([{"version": r.version, "released": r.date, "commit": r.commit, "committed": r.committed} for r in found],
                         schema={"version": pl.String, "released": pl.String, "commit": pl.String, "committed": pl.String})
    render.emit(out, frame if fmt is not Format.table else frame.with_columns(pl.col("commit").str.slice(0, 12)), fmt.value, "Releases")


CiteFormat = Enum("CiteFormat", {name: name for name in CITE_FORMATS}, type=str)


def _row_spec(row: str) -> tuple[str, str]:
    table, sep, row_id = row.partition(":")
    if not sep or not table or not row_id:
        raise UsageError(f"--row takes TABLE:ID, e.g. reserves:res-001; got {row!r}")
    return table, row_id


@app.command()
def cite(
    fmt: CiteFormat = typer.Option(CiteFormat.text, "--format", "-f", help="Citation format."),
    row: Optional[str] = typer.Option(None, "--row", help="One figure, as TABLE:ID (e.g. reserves:res-001)."),
    version: Optional[str] = typer.Option(None, "--version", help="A past release (e.g. 0.3.0), read from the git history of this clone."),
    path: Optional[Path] = PathOption,
) -> None:
    """How to cite this release (or a past one), or one figure of it with its original source."""
    from rare_earth_supply.release.cite import ROW_FORMATS, past_release, release_citation, row_citation
    with guard():
        if row is not None and fmt.value not in ROW_FORMATS:
            raise UsageError(f"--format {fmt.value} describes a release, not one figure; "
                             f"with --row use one of: {', '.join(ROW_FORMATS)}")
        spec = _row_spec(row) if row is not None else None
        start = None if path is None else (path if path.is_dir() else path.parent)
        with (past_release(version, start) if version else contextlib.nullcontext(open_package(path))) as package:
            if spec is None:
                text = release_citation(package, fmt.value)
            else:
                table, row_id = spec
                if table not in package.names:
                    raise UsageError(f"unknown table {table!r}; tables are: {', '.join(package.names)}")
                text = row_citation(package, table, row_id, fmt.value)
    sys.stdout.write(render.safe_lines(text))


@app.command()
def docs(
    check: bool = typer.Option(False, "--check", help="Only report whether the committed docs are current (exit 1 if not)."),
    path: Optional[Path] = typer.Option(None, "--path", help="Source checkout (default: the current directory if it is one, else the package's own)."),
) -> None:
    """Write docs/, CITATION.cff and the README's generated sections from the metadata."""
    from rare_earth_supply.publish.docs import generated_files
    from rare_earth_supply.read.files import write_atomic
    here = Path.cwd()
    if path is None and (here / "pyproject.toml").is_file() and (here / "datapackage.json").is_file():
        path = here
    with guard():
        package = open_package(path)
        if not (package.root / "pyproject.toml").is_file():
            raise UsageError(f"docs are generated in a source checkout; {package.root} is an installed copy")
        stale = []
        for target, content in generated_files(package, package.root).items():
            current = target.read_text(encoding="utf-8") if target.is_file() else None
            if current != content:
                stale.append(target)
                if not check:
                    write_atomic(package.root, target, content, "a generated file")
    for target in stale:
        out.print(f"{'stale' if check else 'wrote'} {render.safe(target.relative_to(package.root))}")
    if check and stale:
        raise typer.Exit(1)


@app.command()
def charts(
    out_dir: Path = typer.Option(Path("docs/img"), "--out", "-o", help="Where the PNG files go."),
    path: Optional[Path] = PathOption,
) -> None:
    """Draw the documentation charts from the data (needs the `plot` extra: pip install 'rare-earth-supply[plot]')."""
    try:
        from rare_earth_supply.publish.charts import write_all
    except ImportError:
        _fail("charts need matplotlib: pip install 'rare-earth-supply[plot]'")
    from rare_earth_supply import read_table
    with guard():
        package = open_package(path)
        tables = {n: read_table(package, n) for n in package.names}
        written = write_all(tables, out_dir)
    for target in written:
        out.print(f"wrote {render.safe(target)}")


@app.command()
def serve(
    db: Optional[Path] = typer.Option(None, "--db", help="A release SQLite to serve (default: build one from the package into a temporary folder)."),
    port: int = typer.Option(0, "--port", "-p", min=0, max=65535, help="Port on 127.0.0.1 (0: a free one)."),
    path: Optional[Path] = PathOption,
) -> None:
    """Browse the release in Datasette on this machine (127.0.0.1 only, read-only); needs the `browser` extra."""
    import tempfile
    from rare_earth_supply.publish import serve as browser
    if not browser.available():
        _fail(browser.INSTALL_HINT, 2)
    with guard(), tempfile.TemporaryDirectory(prefix="rare-earth-supply-serve-") as folder:
        database, metadata = browser.prepare(open_package(path), db, Path(folder))
        sock = browser.listen(port)
        print(f"Serving {render.safe(database.name)} read-only at "
              f"http://{browser.HOST}:{sock.getsockname()[1]}/{browser.DATABASE} (Ctrl-C stops)", flush=True)
        print(f"Datasette metadata: {render.safe(metadata)}", flush=True)
        browser.run(database, metadata, sock)


@app.command()
def tables(path: Optional[Path] = PathArg) -> None:
    """Table names, one per line."""
    with guard():
        names = open_package(path).names
    print("\n".join(names))


def main() -> None:
    """Entry point: the app, plus the failures no command can guard (interrupts, closed pipes, bugs)."""
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)
    except BrokenPipeError:
        sys.stderr.close()  # the reader went away (e.g. `| head`): stop quietly
        sys.exit(0)
    except Exception as exc:  # a bug: say so in one line rather than dump a traceback on a user
        sys.stderr.write(f"error: internal error ({type(exc).__name__}: {render.safe(exc)}); this is a bug in "
                         f"rare-earth-supply, please report it with the command you ran\n")
        sys.exit(3)
