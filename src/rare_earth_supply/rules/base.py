"""What every rule is made of: the rule record, the frames it reads, and the shape of its findings."""
from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any, Callable

import polars as pl

from rare_earth_supply.read.csvfile import LINE


def memo(cache: dict, key: object, compute: Callable[[], Any]) -> Any:
    """`cache[key]`, computed once per validation (work that several rules share), also when rules run side by side:
    the first rule to ask computes it under the key's lock, the others wait for it instead of doing it again."""
    if key in cache:
        return cache[key]
    with cache.setdefault(("memo-lock", key), threading.Lock()):  # setdefault is atomic: one lock per key
        if key not in cache:
            cache[key] = compute()
    return cache[key]


HIT_SCHEMA = {"table": pl.String, "row_id": pl.String, "line": pl.Int64, "column": pl.String,
              "value": pl.String, "message": pl.String, "related": pl.String}


@dataclass(frozen=True)
class Context:
    """Typed frames (each with its `_line` column) of the readable tables, every table's Table Schema, the descriptor."""

    frames: dict[str, pl.DataFrame]
    schemas: dict[str, dict]
    descriptor: dict = field(default_factory=dict)  # the package descriptor, for rules on its own properties
    rule_ids: frozenset[str] = frozenset()  # every catalogued rule (errata name them); given by the catalogue's user
    cache: dict = field(default_factory=dict, compare=False)  # work several rules share, done once per validation


Check = Callable[[Context], pl.DataFrame]


@dataclass(frozen=True)
class Rule:
    id: str
    severity: str
    level: str  # file, field, row or cross-table
    description: str
    tolerance: str | None = None
    check: Check | None = None  # None: enforced by the reader or the derived pandera schema
    needs: tuple[str, ...] = ()  # tables the check reads; skipped when one is unreadable


def hits(frame: pl.DataFrame, table: str, column: str | None, mask: pl.Expr, value: pl.Expr, message: pl.Expr,
         related: pl.Expr | None = None) -> pl.DataFrame:
    """Rows of `frame` where `mask` holds, in the shape every rule returns."""
    return frame.filter(mask).select(
        pl.lit(table).alias("table"), pl.col("id").cast(pl.String).alias("row_id"), pl.col(LINE).alias("line"),
        pl.lit(column, dtype=pl.String).alias("column"), value.cast(pl.String).alias("value"),
        message.cast(pl.String).alias("message"),
        (related if related is not None else pl.lit(None)).cast(pl.String).alias("related"),
    )


def concat(parts: list[pl.DataFrame]) -> pl.DataFrame:
    return pl.concat([pl.DataFrame(schema=HIT_SCHEMA), *parts]) if parts else pl.DataFrame(schema=HIT_SCHEMA)


def distinct(ctx: Context, columns: list[tuple[str, str]]) -> dict[tuple[str, str], pl.Series]:
    """The distinct non-empty values (as text) of each (table, column), all collected in one parallel pass and
    kept for the validation: rules on keys look at these instead of every row. A column a table lacks is left out
    (the rule that reads it reports itself skipped)."""
    def compute() -> dict[tuple[str, str], pl.Series]:
        wanted = [(t, c) for t, c in dict.fromkeys(columns) if t in ctx.frames and c in ctx.frames[t].columns]
        found = pl.collect_all([ctx.frames[t].lazy().select(pl.col(c).drop_nulls().cast(pl.String).unique().alias("_v"))
                                for t, c in wanted])
        return {key: frame["_v"] for key, frame in zip(wanted, found)}
    return memo(ctx.cache, ("distinct", tuple(columns)), compute)


def present(ctx: Context, tables) -> list[str]:
    return [t for t in tables if t in ctx.frames]
