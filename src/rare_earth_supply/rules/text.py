"""Row rules on text cells: formula injection and stray whitespace."""
from __future__ import annotations

import polars as pl

from rare_earth_supply.rules.base import Context, concat, hits


def _string_columns(ctx: Context, table: str) -> list[str]:
    """Text columns of a readable table."""
    return [f["name"] for f in ctx.schemas[table]["fields"] if f.get("type", "string") == "string"]


def _text_hits(ctx: Context, mask, message: str) -> pl.DataFrame:
    """Text cells where `mask(column)` holds, all columns of a table evaluated in one parallel pass."""
    parts = []
    for table, frame in ctx.frames.items():
        columns = _string_columns(ctx, table)
        flagged = frame.select([mask(pl.col(c)).fill_null(False).any().alias(c) for c in columns]).row(0, named=True)
        parts += [hits(frame, table, c, mask(pl.col(c)).fill_null(False), pl.col(c), pl.lit(message)) for c in columns if flagged[c]]
    return concat(parts)


def check_text_formula(ctx: Context) -> pl.DataFrame:
    return _text_hits(ctx, lambda col: col.str.contains(r"^[=+\-@]"),
                      "begins with = + - or @, which spreadsheets run as a formula")


def check_text_whitespace(ctx: Context) -> pl.DataFrame:
    return _text_hits(ctx, lambda col: col.str.contains(r"^\s|\s$|[\n\r\t]"),
                      "has leading or trailing whitespace or a line break")
