"""Derive pandera-polars schemas from Table Schema JSON, so constraints are written only once.

Each pandera check wraps the same polars expression `rules.fields` defines (its name is the
rule id), so `schema.validate(frame)` in a user's pipeline fails on exactly the cells that
`rare-earth-supply validate` reports. Importing this module imports pandera (slow): only
`derive()` callers pay for it, never `load()` or `validate()`.
"""
from __future__ import annotations

from dataclasses import dataclass

import pandera.polars as pa

from rare_earth_supply.read import fieldtypes
from rare_earth_supply.rules import fields as field_checks
from rare_earth_supply.rules.fields import primary_key

__all__ = ["DerivedSchema", "derive", "primary_key", "rule_of"]


@dataclass(frozen=True)
class DerivedSchema:
    """A pandera schema plus the field checks behind its custom checks."""

    table: str
    pandera: pa.DataFrameSchema


def _pandera_check(check: field_checks.FieldCheck) -> pa.Check:
    expression = check.ok
    return pa.Check(lambda data: data.lazyframe.select(expression), name=check.rule, ignore_na=False)


def derive(table: str, schema: dict) -> DerivedSchema:
    """Build the pandera-polars schema of one table from its Table Schema."""
    key = primary_key(schema)
    found = field_checks.checks(schema)
    columns: dict[str, pa.Column] = {}
    for field in schema["fields"]:
        name = field["name"]
        own = [_pandera_check(c) for c in found if c.column == name and c.rule != "field-required"]
        columns[name] = pa.Column(
            fieldtypes.dtype(field), checks=own,
            # key fields are required by Table Schema even when the field does not say so
            nullable=not (field.get("constraints", {}).get("required", False) or name in key),
            required=True, title=field.get("title"), description=field.get("description"),
        )
    frame_checks = [_pandera_check(c) for c in found if c.column is None]
    return DerivedSchema(table, pa.DataFrameSchema(columns, checks=frame_checks, name=table, description=schema.get("description")))


def rule_of(column: str | None, check: str) -> str:
    """The rule id behind one pandera failure case."""
    if check == "not_nullable":
        return "field-required"
    if check.startswith("dtype") or check == "column_in_dataframe":
        return "field-type"
    return check
