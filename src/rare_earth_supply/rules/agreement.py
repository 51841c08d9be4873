"""Cross-table rules that are warnings: figures that disagree, stated shares against computed ones, uncited sources."""
from __future__ import annotations

import polars as pl

from rare_earth_supply.rules import consistency
from rare_earth_supply.rules.base import Context, concat, hits, present
from rare_earth_supply.rules.roles import FACT_TABLES


def check_share_vs_computed(ctx: Context) -> pl.DataFrame:
    shares = consistency.stated_vs_computed(ctx.frames).filter(pl.col("verdict") == "disagrees")
    mining = consistency.mining_shares(ctx.frames).filter(pl.col("verdict") == "disagrees").select(
        pl.lit("capacity_shares").alias("table"), "row_id", "line", pl.lit("share_pct").alias("column"),
        pl.col("stated_pct").cast(pl.String).alias("value"),
        pl.format("stated {} of {} mining in {}, but the statistics give {}% to {}% ({})", pl.col("stated"), pl.col("entity_id"),
                  pl.col("compared_year"), pl.col("computed_min_pct"), pl.col("computed_max_pct"), pl.col("editions")).alias("message"),
        pl.lit(None, pl.String).alias("related"))
    return pl.concat([mining, shares.select(
        "table", "row_id", "line", pl.lit("share_of_world_pct").alias("column"), pl.col("stated_pct").cast(pl.String).alias("value"),
        pl.format("stated {}% of world, but {} ÷ {} ({}, {}) = {}%", consistency.figure(pl.col("stated_pct")), consistency.figure(pl.col("quantity")),
                  consistency.figure(pl.col("world_quantity")), pl.col("world_row"), pl.col("world_source"), pl.col("computed_pct").round(2)).alias("message"),
        pl.col("world_row").alias("related"))])


def check_sources_disagree(ctx: Context) -> pl.DataFrame:
    """Each figure that another source contradicts, once, naming the figure that holds the violated bound."""
    conflicts = consistency.disagreements(ctx.frames, ctx.cache)
    return conflicts.select(
        "table", "row_id", "line", pl.lit(None, dtype=pl.String).alias("column"), consistency.figure(pl.col("value")).alias("value"),
        pl.format("{} {} {} ({}) vs {} {} ({}, {}) on {}: {}% apart", pl.col("row_id"), pl.col("qualifier"), consistency.figure(pl.col("value")),
                  pl.col("source_id"), pl.col("related_qualifier"), consistency.figure(pl.col("related_value")), pl.col("related"),
                  pl.col("related_source"), pl.col("subject"), (pl.col("relative_difference") * 100).round(1)).alias("message"),
        "related")


def check_duplicate_figures(ctx: Context) -> pl.DataFrame:
    """A figure entered twice: same source, subject, qualifier and value under two ids."""
    found = consistency.duplicates(ctx.frames, ctx.cache)
    if found.is_empty():
        return found
    return found.select(
        "table", "row_id", "line", pl.lit(None, dtype=pl.String).alias("column"), consistency.figure(pl.col("value")).alias("value"),
        pl.format("repeats {} ({} {} from {} on {}): the same figure entered twice", pl.col("related"), pl.col("qualifier"),
                  consistency.figure(pl.col("value")), pl.col("source_id"), pl.col("subject")).alias("message"),
        "related")


def check_uncited_sources(ctx: Context) -> pl.DataFrame:
    unreadable = [t for t in FACT_TABLES if t in ctx.schemas and t not in ctx.frames]
    if unreadable:  # a table that could not be read may cite any source: its file problem is reported, not a guess
        return concat([])
    cited = [ctx.frames[t].select(pl.col("source_id").unique()) for t in present(ctx, FACT_TABLES)]
    if "errata" in ctx.frames and "evidence" in ctx.frames["errata"].columns:  # a copy an erratum rests on is cited by it
        cited.append(ctx.frames["errata"].select(pl.col("evidence").str.split("|").explode().drop_nulls().alias("source_id")))
    cited = pl.concat(cited).unique()
    unused = ctx.frames["sources"].join(cited.rename({"source_id": "id"}), on="id", how="anti")
    return hits(unused, "sources", "id", pl.lit(True), pl.col("id"), pl.lit("no row of any fact table cites this source"))
