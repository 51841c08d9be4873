"""Derive pandera-polars schemas from Table Schema JSON, so constraints are written only once.

pandera names its built-in checks after themselves (`isin(...)`), not after our rules, so every
column keeps a parallel list of rule ids and failures are mapped back by `check_number`.
"""
from __future__ import annotations

from dataclasses import dataclass

import pandera.polars as pa
import polars as pl

from rare_earth_supply.read import fieldtypes

# Table Schema constraint -> (rule id, pandera check factory)
_CONSTRAINTS = {
    "minimum": ("field-minimum", lambda v, f: pa.Check.ge(v)),
    "maximum": ("field-maximum", lambda v, f: pa.Check.le(v)),
    "exclusiveMinimum": ("field-minimum", lambda v, f: pa.Check.gt(v)),
    "exclusiveMaximum": ("field-maximum", lambda v, f: pa.Check.lt(v)),
    "enum": ("field-enum", lambda v, f: pa.Check.isin(list(v))),
    # pandera anchors only the start on polars; Table Schema patterns match the whole value
    "pattern": ("field-pattern", lambda v, f: pa.Check.str_matches(f"^(?:{v})$")),
    "minLength": ("field-length", lambda v, f: pa.Check.str_length(min_value=v)),
    "maxLength": ("field-length", lambda v, f: pa.Check.str_length(max_value=v)),
}


def _unique_ignoring_nulls(data: pa.PolarsData) -> pl.LazyFrame:
    """frictionless lets a unique column repeat empty cells; pandera's `unique` would not."""
    column = pl.col(data.key)
    return data.lazyframe.select(~(column.is_duplicated() & column.is_not_null()))


@dataclass(frozen=True)
class DerivedSchema:
    """A pandera schema plus, per column, the rule id of each of its checks in order."""

    table: str
    pandera: pa.DataFrameSchema
    rule_ids: dict[str, list[str]]


def primary_key(schema: dict) -> list[str]:
    pk = schema.get("primaryKey") or []
    return [pk] if isinstance(pk, str) else list(pk)


def derive(table: str, schema: dict) -> DerivedSchema:
    """Build the pandera-polars schema of one table from its Table Schema."""
    columns: dict[str, pa.Column] = {}
    rule_ids: dict[str, list[str]] = {}
    key = primary_key(schema)
    for field in schema["fields"]:
        constraints = field.get("constraints", {})
        checks, ids = [], []
        for constraint, value in constraints.items():
            if constraint in _CONSTRAINTS:
                rule, factory = _CONSTRAINTS[constraint]
                checks.append(factory(value, field))
                ids.append(rule)
        if key == [field["name"]]:  # a one-column key is checked on its column, under its own rule
            checks.append(pa.Check(_unique_ignoring_nulls, name="primary-key"))
            ids.append("primary-key")
        elif constraints.get("unique"):
            checks.append(pa.Check(_unique_ignoring_nulls, name="field-unique"))
            ids.append("field-unique")
        columns[field["name"]] = pa.Column(
            fieldtypes.dtype(field), checks=checks,
            # key fields are required by Table Schema even when the field does not say so
            nullable=not (constraints.get("required", False) or field["name"] in key),
            required=True, title=field.get("title"), description=field.get("description"),
        )
        rule_ids[field["name"]] = ids
    frame = pa.DataFrameSchema(columns, name=table, unique=key if len(key) > 1 else None,
                               description=schema.get("description"))
    return DerivedSchema(table, frame, rule_ids)


def rule_of(derived: DerivedSchema, column: str | None, check: str, check_number: int | None) -> str:
    """The rule id behind one pandera failure case."""
    if check == "not_nullable":
        return "field-required"
    if check == "multiple_fields_uniqueness" or (column is None and "unique" in check):
        return "primary-key"
    if check.startswith("dtype") or check == "column_in_dataframe":
        return "field-type"
    if column in derived.rule_ids and check_number is not None and check_number < len(derived.rule_ids[column]):
        return derived.rule_ids[column][check_number]
    return "check-crashed"
