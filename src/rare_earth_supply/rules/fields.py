"""Field-level checks of a Table Schema, each written once as a polars expression.

Two engines run these same definitions: `validate` evaluates them all in one `select` per
table (one pass, no per-check collect), and `rules.schema` wraps them as pandera checks, so the
derived pandera schema enforces exactly what validation reports. pandera's own checks would
each collect the frame separately and cost ~0.9 s of import before the first row is read.
"""
from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from rare_earth_supply.problems import ERROR
from rare_earth_supply.read.boundary import as_list
from rare_earth_supply.read.csvfile import LINE

MAX_LISTED = 30  # an enum longer than this is not spelled out in every message

@dataclass(frozen=True)
class FieldCheck:
    """One constraint of one field (or the table's key): which rows pass, and what a failure says."""

    rule: str
    column: str | None  # None: the composite primary key
    ok: pl.Expr  # True where the row satisfies the constraint
    value: pl.Expr  # the value shown for a failing row
    message: pl.Expr
    # a cheap aggregate that, when true, proves every row passes (ids in increasing order cannot repeat)
    shortcut: pl.Expr | None = None


def primary_key(schema: dict) -> list[str]:
    return as_list(schema.get("primaryKey"))


def around(before: str, value: pl.Expr, after: str = "") -> pl.Expr:
    """A message with a cell's value inside; the fixed text is never parsed as a format string
    (a pattern such as `[0-9]{3,}` or an enum value may hold braces)."""
    return pl.concat_str([pl.lit(before), value.fill_null(""), pl.lit(after)])


def _text(value) -> str:
    return format(value, "g") if isinstance(value, float) else str(value)


def unique_ignoring_nulls(column: pl.Expr) -> pl.Expr:
    """frictionless lets a unique column repeat empty cells; a plain `is_duplicated` would not."""
    return ~(column.is_duplicated() & column.is_not_null())


def strictly_increasing(column: pl.Expr) -> pl.Expr:
    """True when the non-empty values only ever increase: then none repeats. Curated ids are usually
    in order, and this comparison of neighbours costs a fraction of hashing every value."""
    present = column.drop_nulls()
    return (present > present.shift(1)).all()


def _field_checks(field: dict, key: list[str]) -> list[FieldCheck]:
    name = field["name"]
    col = pl.col(name)
    shown = col.cast(pl.String)
    c = field.get("constraints", {})
    found = []

    def add(rule: str, ok: pl.Expr, message: pl.Expr, value: pl.Expr = shown) -> None:
        found.append(FieldCheck(rule, name, ok.fill_null(True), value, message))

    if c.get("required") or name in key:
        found.append(FieldCheck("field-required", name, col.is_not_null(), pl.lit(None, pl.String), pl.lit("a value is required")))
    if "minimum" in c:
        add("field-minimum", col >= c["minimum"], around("", shown, f" is below the minimum {_text(c['minimum'])}"))
    if "exclusiveMinimum" in c:
        add("field-minimum", col > c["exclusiveMinimum"],
            around("", shown, f" is below the minimum {_text(c['exclusiveMinimum'])} (exclusive)"))
    if "maximum" in c:
        add("field-maximum", col <= c["maximum"], around("", shown, f" is above the maximum {_text(c['maximum'])}"))
    if "exclusiveMaximum" in c:
        add("field-maximum", col < c["exclusiveMaximum"],
            around("", shown, f" is above the maximum {_text(c['exclusiveMaximum'])} (exclusive)"))
    if "enum" in c:
        values = c["enum"]  # a long vocabulary (ISO 4217) is named by size: a message stays one readable line
        allowed = f"one of: {', '.join(_text(v) for v in values)}" if len(values) <= MAX_LISTED else \
            f"one of the {len(values)} values its Table Schema lists"
        add("field-enum", col.is_in(list(values)), around("'", shown, f"' is not {allowed}"))
    if "pattern" in c:
        # Table Schema patterns match the whole value; polars `contains` finds a match anywhere
        add("field-pattern", col.str.contains(f"^(?:{c['pattern']})$"), around("'", shown, f"' does not match the pattern {c['pattern']}"))
    if "minLength" in c or "maxLength" in c:
        low, high = c.get("minLength", 0), c.get("maxLength")
        length = col.str.len_chars()
        add("field-length", (length >= low) & (length <= high if high is not None else pl.lit(True)),
            around("'", shown, f"' is outside the allowed length {low}..{'' if high is None else high}"))
    if key == [name]:  # a one-column key is checked on its column, under its own rule
        found.append(FieldCheck("primary-key", name, unique_ignoring_nulls(col), shown,
                                around("primary key ", shown, " appears in more than one row"), strictly_increasing(col)))
    elif c.get("unique"):
        found.append(FieldCheck("field-unique", name, unique_ignoring_nulls(col), shown,
                                around("'", shown, "' appears in more than one row"), strictly_increasing(col)))
    return found


def checks(schema: dict) -> list[FieldCheck]:
    """Every field-level check of a Table Schema, in field order, then the composite key."""
    key = primary_key(schema)
    found = [check for field in schema["fields"] for check in _field_checks(field, key)]
    if len(key) > 1:
        label = pl.concat_str([pl.col(k).cast(pl.String).fill_null("") for k in key], separator=", ")
        found.append(FieldCheck("primary-key", None, ~pl.struct(key).is_duplicated(), label,
                                around("primary key ", label, " appears in more than one row")))
    return found


def failures(table: str, frame: pl.DataFrame, schema: dict) -> pl.DataFrame:
    """Rows breaking any field check, as report rows: one pass counts failures, then only failing checks are listed."""
    found = checks(schema)
    if not found or frame.is_empty():
        return pl.DataFrame()
    # one pass: failure counts of the plain checks, the shortcut of the costly ones (uniqueness)
    first = frame.select([(check.shortcut if check.shortcut is not None else (~check.ok).sum()).alias(str(i))
                          for i, check in enumerate(found)]).row(0)
    costly = [i for i, check in enumerate(found) if check.shortcut is not None and not first[i]]
    second = frame.select([(~found[i].ok).sum().alias(str(i)) for i in costly]).row(0, named=True) if costly else {}
    counts = [second.get(str(i), 0) if check.shortcut is not None else first[i] for i, check in enumerate(found)]
    key = primary_key(schema)
    row_id = (pl.col(key[0]).cast(pl.String) if len(key) == 1 else
              pl.concat_str([pl.col(k).cast(pl.String).fill_null("") for k in key], separator=", ") if key else pl.lit(None, pl.String))
    parts = [frame.filter(~check.ok).select(
        pl.lit(table).alias("table"), row_id.alias("row_id"), pl.col(LINE).alias("line"),
        pl.lit(check.column if check.column else ", ".join(key), pl.String).alias("column"),
        pl.lit(check.rule).alias("rule"), pl.lit(ERROR).alias("severity"),
        check.value.cast(pl.String).alias("value"), check.message.alias("message"))
        for check, count in zip(found, counts) if count]
    return pl.concat(parts) if parts else pl.DataFrame()
