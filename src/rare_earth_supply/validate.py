"""Run every check on a package and gather one report frame: file, field, row and cross-table.

Each CSV is read once; field constraints run through the pandera schemas derived from the
Table Schemas (lazily, so all failures are collected); then the rules catalogue runs on the
typed frames. Nothing stops at the first problem.
"""
from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pandera.polars as pa
import polars as pl

from rare_earth_supply.rules import schema as derived_schema
from rare_earth_supply.read.package import Package, open_package
from rare_earth_supply.problems import ERROR, WARNING, Problem, conform, problems_frame
from rare_earth_supply.read.csvfile import LINE, read_typed
from rare_earth_supply.rules.errata import acknowledge, stale
from rare_earth_supply.release.stamp import mismatch
from rare_earth_supply.rules import CATALOGUE, RULES, Context

# How a pandera failure reads, by rule: the text before and after the failing value.
_FIELD_MESSAGES = {
    "field-required": lambda c: ("a value is required", ""),
    "field-minimum": lambda c: ("", f" is below the minimum {c.get('minimum', c.get('exclusiveMinimum'))}"
                                + (" (exclusive)" if "exclusiveMinimum" in c else "")),
    "field-maximum": lambda c: ("", f" is above the maximum {c.get('maximum', c.get('exclusiveMaximum'))}"),
    "field-enum": lambda c: ("'", "' is not one of: " + ", ".join(map(str, c.get("enum", [])))),
    "field-pattern": lambda c: ("'", f"' does not match the pattern {c.get('pattern')}"),
    "field-length": lambda c: ("'", f"' is outside the allowed length {c.get('minLength', 0)}..{c.get('maxLength', '')}"),
    "field-unique": lambda c: ("'", "' appears in more than one row"),
    "primary-key": lambda c: ("primary key ", " appears in more than one row"),
    "field-type": lambda c: ("", " has the wrong type"),
    "check-crashed": lambda c: ("a check could not run: ", ""),
}


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
        return self.errors.is_empty()

    @property
    def unacknowledged(self) -> pl.DataFrame:
        """Warnings no open erratum acknowledges (including stale errata): these fail the release check."""
        return self.warnings.filter(pl.col("erratum").is_null())

    def exit_code(self, strict: bool = False) -> int:
        """1 on errors; with `strict` (the release check) also on any unacknowledged warning."""
        return 1 if not self.ok or (strict and not self.unacknowledged.is_empty()) else 0


def _field_failures(table: str, frame: pl.DataFrame, schema: dict) -> pl.DataFrame:
    derived = derived_schema.derive(table, schema)
    try:
        derived.pandera.validate(frame, lazy=True)
        return conform(pl.DataFrame())
    except pa.errors.SchemaErrors as exc:
        cases = exc.failure_cases
    except pa.errors.SchemaError as exc:  # raised when lazy collection itself fails
        return problems_frame([Problem(table, None, None, None, "check-crashed", ERROR, None, str(exc).splitlines()[0])])
    fields = {f["name"]: f.get("constraints", {}) for f in schema["fields"]}
    key = derived_schema.primary_key(schema)
    key_text = pl.concat_str([pl.col(k).cast(pl.String).fill_null("") for k in key], separator=", ") if key else pl.lit(None, pl.String)
    rows = frame.with_row_index("index").select(pl.col("index").cast(pl.Int64), key_text.alias("row_id"), LINE)
    mapped = cases.with_columns(
        pl.struct("column", "check", "check_number").map_elements(
            lambda s: derived_schema.rule_of(derived, s["column"], s["check"], s["check_number"]), return_dtype=pl.String
        ).alias("rule"),
        pl.col("index").cast(pl.Int64),
        pl.col("failure_case").cast(pl.String).alias("value"),
    )
    texts = pl.DataFrame(
        [{"column": c, "rule": r, "_before": _FIELD_MESSAGES[r](fields.get(c, {}))[0], "_after": _FIELD_MESSAGES[r](fields.get(c, {}))[1]}
         for c, r in mapped.select("column", "rule").unique().iter_rows() if r in _FIELD_MESSAGES],
        schema={"column": pl.String, "rule": pl.String, "_before": pl.String, "_after": pl.String},
    )
    # a composite-key failure names the whole row; show the key instead
    composite = (pl.col("rule") == "primary-key") & pl.col("column").is_null()
    mapped = mapped.with_columns(pl.when(composite).then(pl.lit(", ".join(key))).otherwise(pl.col("column")).alias("column"))
    return (mapped.join(rows, on="index", how="left")
            .with_columns(pl.when(pl.col("rule") == "primary-key").then(pl.col("row_id")).otherwise(pl.col("value")).alias("value")).join(texts, on=["column", "rule"], how="left", nulls_equal=True)
            .select(
                pl.lit(table).alias("table"), "row_id", pl.col(LINE).alias("line"), "column", "rule", pl.lit(ERROR).alias("severity"),
                pl.when(pl.col("rule") == "field-required").then(None).otherwise(pl.col("value")).alias("value"),
                pl.when(pl.col("rule") == "field-required").then(pl.col("_before"))
                .otherwise(pl.concat_str([pl.col("_before"), pl.col("value").fill_null(""), pl.col("_after")])).alias("message"),
            ))


def check_table(table: str, path: Path, schema: dict) -> tuple[pl.DataFrame | None, pl.DataFrame]:
    """Field-level validation of one CSV against its Table Schema: structure, types, constraints.

    Returns the typed frame (None when the file is unusable) and its problems.
    """
    frame, problems = read_typed(table, path, schema)
    found = problems_frame(problems)
    if frame is None:
        return None, found
    # a cell that failed to parse is already reported; don't report it again as missing
    failures = _field_failures(table, frame, schema).join(
        found.filter(pl.col("rule") == "field-type").select("table", "line", "column"),
        on=["table", "line", "column"], how="anti", nulls_equal=True)
    return frame, pl.concat([found, conform(failures)])


def read_package(package: Package) -> tuple[dict[str, pl.DataFrame], dict[str, dict], list[Problem]]:
    """Read every resource once; returns typed frames, schemas and reader problems."""
    frames, schemas, problems = {}, {}, []
    for name in package.names:
        schemas[name] = package.schema(name)
        frame, found = read_typed(name, package.path(name), schemas[name])
        problems.extend(found)
        if frame is not None:
            frames[name] = frame
    return frames, schemas, problems


def validate(path: str | Path | Package | None = None) -> Report:
    """Validate a package directory or descriptor (the bundled package by default).

    Raises `PackageError` when the package itself is unusable; everything else is reported.
    """
    package = path if isinstance(path, Package) else open_package(path)
    frames, parts = {}, []
    schemas = {name: package.schema(name) for name in package.names}
    # tables are independent until the cross-table rules: check them side by side (polars releases the GIL)
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        checked = list(pool.map(lambda name: check_table(name, package.path(name), schemas[name]), package.names))
    for name, (frame, found) in zip(package.names, checked):
        parts.append(found)
        if package.path(name).is_file() and (changed := mismatch(package.resource(name), package.path(name))):
            parts.append(problems_frame([Problem(name, None, None, None, "resource-hash", ERROR, None, changed)]))
        if frame is not None:
            frames[name] = frame
    context = Context(frames, schemas)
    for rule in CATALOGUE:
        if rule.check is None or any(t not in frames for t in rule.needs):
            continue
        found = rule.check(context)
        parts.append(found.select(*[pl.col(c) for c in ("table", "row_id", "line", "column")],
                                  pl.lit(rule.id).alias("rule"), pl.lit(rule.severity).alias("severity"), "value", "message", "related"))
    order = {name: i for i, name in enumerate(package.names)}
    frame = pl.concat([conform(p) for p in parts])
    errata = frames.get("errata")
    frame = acknowledge(frame, errata)
    # staleness is judged on error-free data only: a broken row hides the warnings an erratum matches
    if "errata" in frames and not (frame["severity"] == ERROR).any():
        found = stale(frame, errata, frames).with_columns(pl.lit("erratum-stale").alias("rule"), pl.lit(WARNING).alias("severity"))
        frame = pl.concat([frame, conform(found)])
    frame = (frame.with_columns(pl.col("table").replace_strict(order, default=len(order), return_dtype=pl.Int64).alias("_order"))
             .sort(["_order", "line", "column", "rule"], nulls_last=True).drop("_order"))
    unknown = set(frame["rule"].unique()) - set(RULES) - {"check-crashed"}
    assert not unknown, f"rules missing from the catalogue: {unknown}"
    return Report(package, frame, {n: f.drop(LINE) for n, f in frames.items()})
