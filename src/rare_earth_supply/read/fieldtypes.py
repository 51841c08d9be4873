"""Table Schema field types as polars dtypes, and the expressions that parse text cells into them.

Every column is read as text first, so that one bad cell is named instead of cancelling
the whole column's conversion; a cell that is present but does not parse is a type error.
"""
from __future__ import annotations

import polars as pl

DTYPES: dict[str, pl.DataType] = {
    "string": pl.String,
    "integer": pl.Int64,
    "number": pl.Float64,
    "year": pl.Int64,
    "date": pl.Date,
    "boolean": pl.Boolean,
}

# Lexical forms accepted before conversion; polars casts are more lenient than Table Schema.
_FORMS = {
    "integer": r"^[+-]?[0-9]+$",
    "year": r"^[0-9]{4}$",
    "number": r"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?$",
    "date": r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$",
}


def dtype(field: dict) -> pl.DataType:
    try:
        return DTYPES[field.get("type", "string")]
    except KeyError:
        raise ValueError(f"field {field.get('name')!r}: Table Schema type {field.get('type')!r} is not supported") from None


def parse(field: dict) -> pl.Expr:
    """Expression turning the text column of `field` into its typed column (null where unparsable)."""
    name, type_ = field["name"], field.get("type", "string")
    text = pl.col(name)
    if type_ == "string":
        return text
    if type_ == "boolean":
        mapping = {v: True for v in field.get("trueValues", ["true", "True", "TRUE", "1"])}
        mapping |= {v: False for v in field.get("falseValues", ["false", "False", "FALSE", "0"])}
        return text.replace_strict(mapping, default=None, return_dtype=pl.Boolean)
    form = pl.when(text.str.contains(_FORMS[type_])).then(text)
    if type_ == "date":
        return form.str.to_date("%Y-%m-%d", strict=False)
    return form.cast(dtype(field), strict=False)
