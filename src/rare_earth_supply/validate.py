"""Run every check on a package and gather one report frame: file, field, row and cross-table.

Each CSV is read once and checked against its Table Schema in one pass (`rules.fields`); the
rules catalogue then runs on the typed frames. Nothing stops at the first problem. The
package itself (descriptor, Table Schemas) is checked first by `read.boundary`: what this
reader does not implement raises `PackageError` (exit 2) before any row is read.
"""
from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from rare_earth_supply.problems import ERROR, WARNING, Problem, conform, problems_frame
from rare_earth_supply.read.csvfile import LINE, read_typed
from rare_earth_supply.read.files import kind_of
from rare_earth_supply.read.package import Package, open_package
from rare_earth_supply.release.stamp import mismatch
from rare_earth_supply.rules import CATALOGUE, RULES, Context
from rare_earth_supply.rules import fields as field_checks
from rare_earth_supply.rules.errata import acknowledge, lapsed_findings, stale


@dataclass
class Report:
    """The outcome of validating a package: one row per problem, errors and warnings together."""

    package: Package
    frame: pl.DataFrame
    frames: dict[str, pl.DataFrame]

    @property
    def errors(self) -> pl.DataFrame:
        return self.frame.filter(pl.col("severity") == ERROR)

    @property
    def warnings(self) -> pl.DataFrame:
        return self.frame.filter(pl.col("severity") == WARNING)

    @property
    def ok(self) -> bool:
        """No error, except those an erratum of kind source_error acknowledges (a source that contradicts itself)."""
        return self.frame.filter((pl.col("severity") == ERROR) & pl.col("erratum").is_null()).is_empty()

    @property
    def unacknowledged(self) -> pl.DataFrame:
        """Warnings no open erratum acknowledges (including stale errata): these fail the release check."""
        return self.warnings.filter(pl.col("erratum").is_null())

    def counts(self) -> pl.DataFrame:
        """Problems per table, rule and severity (exact, whatever is shown)."""
        return (self.frame.group_by("table", "rule", "severity", maintain_order=True).len("problems")
                .sort("table", "rule", nulls_last=True))

    def exit_code(self, strict: bool = False) -> int:
        """1 on errors; with `strict` (the release check) also on any unacknowledged warning."""
        return 1 if not self.ok or (strict and not self.unacknowledged.is_empty()) else 0


def check_table(table: str, path: Path, schema: dict) -> tuple[pl.DataFrame | None, pl.DataFrame]:
    """Field-level validation of one CSV against its Table Schema: structure, types, constraints.

    Returns the typed frame (None when the file is unusable) and its problems.
    """
    frame, found = read_typed(table, path, schema)
    if frame is None:
        return None, conform(found)
    failures = field_checks.failures(table, frame, schema)
    if failures.is_empty():
        return frame, conform(found)
    if not found.is_empty():  # a cell that failed to parse is already reported; don't report it again as missing
        failures = failures.join(found.select("line", "column", pl.lit("field-required").alias("rule")),
                                 on=["line", "column", "rule"], how="anti", nulls_equal=True)
    return frame, pl.concat([conform(found), conform(failures)])


def read_package(package: Package) -> tuple[dict[str, pl.DataFrame], dict[str, dict], pl.DataFrame]:
    """Read every resource once; returns typed frames, schemas and reader problems."""
    frames, schemas, problems = {}, package.schemas(), []
    for name in package.names:
        frame, found = read_typed(name, package.path(name), schemas[name])
        problems.append(conform(found))
        if frame is not None:
            frames[name] = frame
    return frames, schemas, pl.concat(problems)


def _hash_problem(package: Package, name: str) -> pl.DataFrame | None:
    path = package.path(name)
    if kind_of(path) is None and (changed := mismatch(package.resource(name), path)):
        return problems_frame([Problem(name, None, None, None, "resource-hash", ERROR, None, changed)])
    return None


def _run(rule, context: Context) -> pl.DataFrame | None:
    """One rule's findings in the report's shape; a rule that reads a column the package lacks is named, not run."""
    try:
        found = rule.check(context)
    except pl.exceptions.ColumnNotFoundError as exc:  # an older or foreign package: say which rule could not run
        text = str(exc).split("\n")[0]
        missing = text.split('"')[1] if text.count('"') >= 2 else text
        return problems_frame([Problem(None, None, None, missing, "rule-skipped", WARNING, rule.id,
                                       f"rule {rule.id} did not run: a table lacks the column {missing!r} it reads")])
    if found.is_empty():
        return None
    return found.select(*[pl.col(c) for c in ("table", "row_id", "line", "column")],
                        pl.lit(rule.id).alias("rule"), pl.lit(rule.severity).alias("severity"), "value", "message", "related")


def validate(path: str | Path | Package | None = None) -> Report:
    """Validate a package directory or descriptor (the bundled package by default).

    Raises `PackageError` when the package itself is unusable; everything else is reported.
    """
    package = path if isinstance(path, Package) else open_package(path)
    schemas = package.schemas()
    paths = {name: package.path(name) for name in package.names}
    # tables are independent until the cross-table rules: check them side by side (polars releases the GIL)
    with ThreadPoolExecutor(max_workers=min(len(paths), os.cpu_count() or 1)) as pool:
        checked = list(pool.map(lambda name: check_table(name, paths[name], schemas[name]), package.names))
    frames, parts = {}, []
    for name, (frame, found) in zip(package.names, checked):
        parts.append(found)
        if (changed := _hash_problem(package, name)) is not None:
            parts.append(changed)
        if frame is not None:
            frames[name] = frame
    context = Context(frames, schemas, package.descriptor, frozenset(RULES))
    runnable = [rule for rule in CATALOGUE if rule.check is not None and all(t in frames for t in rule.needs)]
    # rules only read the frames, and polars releases the GIL: run them side by side, report them in catalogue order
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        outcomes = list(pool.map(lambda rule: _run(rule, context), runnable))
    parts += [found for found in outcomes if found is not None]
    order = {name: i for i, name in enumerate(package.names)}
    frame = pl.concat([conform(p) for p in parts]) if parts else conform(pl.DataFrame())
    errata = frames.get("errata")
    frame = acknowledge(frame, errata, frames)
    if errata is not None:
        found = lapsed_findings(errata, frames).with_columns(pl.lit("erratum-lapsed").alias("rule"), pl.lit(WARNING).alias("severity"))
        frame = pl.concat([frame, conform(found)])
    # staleness is judged on error-free data only: a broken row hides the warnings an erratum matches
    if errata is not None and frame.filter((pl.col("severity") == ERROR) & pl.col("erratum").is_null()).is_empty():
        found = stale(frame, errata, frames).with_columns(pl.lit("erratum-stale").alias("rule"), pl.lit(WARNING).alias("severity"))
        frame = pl.concat([frame, conform(found)])
    frame = (frame.with_columns(pl.col("table").replace_strict(order, default=len(order), return_dtype=pl.Int64).alias("_order"))
             .sort(["_order", "line", "column", "rule"], nulls_last=True, maintain_order=True).drop("_order"))
    unknown = set(frame["rule"].unique()) - set(RULES)
    if unknown:
        raise AssertionError(f"rules missing from the catalogue: {unknown}")
    return Report(package, frame, {n: f.drop(LINE) for n, f in frames.items()})
