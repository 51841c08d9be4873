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
_EXPECTED = {
    "integer": "is not a valid integer (whole digits, within ±9.2e18)",
    "year": "is not a valid year (four digits)",
    "number": "is not a valid number (a finite decimal such as 1.5 or 2e3)",
    "date": "is not a valid date (expected YYYY-MM-DD)",
    "boolean": "is not a valid boolean",
}
TRUE_VALUES = ["true", "True", "TRUE", "1"]
FALSE_VALUES = ["false", "False", "FALSE", "0"]


def dtype(field: dict) -> pl.DataType:
    """The polars dtype of a field (its type was checked by read.boundary)."""
    return DTYPES[field.get("type", "string")]


def failure_text(field: dict) -> str:
    """What a cell that does not parse as this field's type is told (after its quoted value)."""
    return _EXPECTED[field.get("type", "string")]


def parse(field: dict) -> pl.Expr:
    """Expression turning the text column of `field` into its typed column (null where unparsable)."""
    name, type_ = field["name"], field.get("type", "string")
    text = pl.col(name)
    if type_ == "string":
        return text
    if type_ == "boolean":
        mapping = {v: True for v in field.get("trueValues", TRUE_VALUES)}
        mapping |= {v: False for v in field.get("falseValues", FALSE_VALUES)}
        return text.replace_strict(mapping, default=None, return_dtype=pl.Boolean)
    form = pl.when(text.str.contains(_FORMS[type_])).then(text)
    if type_ == "date":
        return form.str.to_date("%Y-%m-%d", strict=False)
    typed = form.cast(dtype(field), strict=False)
    if type_ == "number":  # 1e309 is a valid lexical form but no finite number
        return pl.when(typed.is_finite()).then(typed)
    return typed
