"""Row rules: each row on its own (amounts and their currency, periods, qualifiers, entity parents).

Which currency codes exist is a field rule: the Table Schema's enum, generated from pycountry
(`publish.vocabularies`).
"""
from __future__ import annotations

import polars as pl

from rare_earth_supply.rules.base import Context, concat, hits, present
from rare_earth_supply.rules.roles import FACT_TABLES, VALUE_COLUMN


def check_amount_currency(ctx: Context) -> pl.DataFrame:
    frame = ctx.frames["investments"]
    return hits(frame, "investments", "currency", pl.col("amount").is_not_null() & pl.col("currency").is_null(), pl.col("amount"),
                pl.lit("an amount needs its currency"))


PERIOD_TABLES = ("trade", "costs", "prices")  # trade's periods are years, costs' and prices' dates


def check_period_order(ctx: Context) -> pl.DataFrame:
    return concat([
        hits(ctx.frames[t], t, "period_end", (pl.col("period_end") < pl.col("period_start")).fill_null(False), pl.col("period_end"),
             pl.format("the period ends ({}) before it starts ({})", pl.col("period_end"), pl.col("period_start")))
        for t in present(ctx, PERIOD_TABLES) if "period_end" in ctx.frames[t].columns])


def _percent(table: str) -> pl.Expr | None:
    """True where the row's value column is a percentage."""
    if table == "capacity_shares":
        return pl.lit(True)
    if table in ("costs", "technology", "deal_terms", "trade", "policy_measures"):
        return pl.col("unit").str.starts_with("pct")
    return None


def check_qualifier(ctx: Context) -> pl.DataFrame:
    parts = []
    for table in present(ctx, FACT_TABLES):
        value = VALUE_COLUMN[table]
        col, qual = pl.col(value), pl.col("qualifier")
        impossible = (qual == "lt") & (col <= 0)
        percent = _percent(table)
        if percent is not None:
            impossible = impossible | (percent & (((qual == "gt") & (col >= 100)) | ((qual == "ge") & (col > 100))))
        parts.append(hits(ctx.frames[table], table, value, impossible.fill_null(False), col,
                          pl.format("qualifier {} cannot hold for the value {}", qual, col)))
    return concat(parts)


def check_entity_parent(ctx: Context) -> pl.DataFrame:
    entities = ctx.frames["entities"]
    parents = entities.select(pl.col("id").alias("parent_id"), pl.col("kind").alias("_parent_kind"))
    frame = entities.join(parents, on="parent_id", how="left")
    kind, parent = pl.col("kind"), pl.col("_parent_kind")
    problems = [
        ((kind == "facility") & (parent != "company").fill_null(True), "parent_id", "a facility needs a parent_id that is a company (its operator)"),
        ((kind == "government_body") & pl.col("parent_id").is_not_null() & (parent != "country"), "parent_id", "a government body's parent must be a country"),
        ((kind == "country") & pl.col("country").is_null(), "country", "a country needs its ISO 3166-1 alpha-2 code"),
        (kind.is_in(["world", "region"]) & pl.col("country").is_not_null(), "country", "the world and regions have no country code"),
        (pl.col("parent_id") == pl.col("id"), "parent_id", "an entity cannot be its own parent"),
    ]
    return concat([hits(frame, "entities", column, mask.fill_null(False), pl.col(column), pl.lit(message))
                    for mask, column, message in problems])
