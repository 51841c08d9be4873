"""Rules on plant capacities: a capacity comes in the unit its stage is measured in, and a plant not yet
running is not expected before the date of the statement that expects it."""
from __future__ import annotations

import polars as pl

from rare_earth_supply.rules.base import Context, hits

# oxide (or oxide equivalent) up to separation; tonnes of product from metal on
STAGE_UNITS = {"mining": "t_reo_per_year", "separation_refining": "t_reo_per_year", "metal_alloy": "t_per_year",
               "magnets": "t_per_year", "recycling": "t_per_year"}
NOT_YET = ("planned", "under_construction", "commissioning")


def check_capacity_unit(ctx: Context) -> pl.DataFrame:
    frame = ctx.frames["plant_capacities"]
    allowed = pl.col("stage").replace_strict(STAGE_UNITS, default=None, return_dtype=pl.String)
    bad = pl.col("capacity").is_not_null() & (pl.col("unit").is_null() | (pl.col("unit") != allowed)).fill_null(True)
    return hits(frame, "plant_capacities", "unit", bad, pl.col("unit"),
                pl.format("a {} capacity is measured in {}", pl.col("stage"), allowed))


def check_expected_after_statement(ctx: Context) -> pl.DataFrame:
    frame = ctx.frames["plant_capacities"]
    sources = ctx.frames["sources"].unique("id", keep="first").select(
        pl.col("id").alias("source_id"), pl.coalesce(pl.col("published").dt.year().cast(pl.Int64), pl.col("year").cast(pl.Int64)).alias("_source_year"))
    rows = frame.join(sources, on="source_id", how="left").with_columns(
        pl.coalesce(pl.col("as_of").str.slice(0, 4).cast(pl.Int64, strict=False), pl.col("_source_year")).alias("_said"))
    late = pl.col("plant_status").is_in(NOT_YET) & (pl.col("expected_year") < pl.col("_said")).fill_null(False)
    return hits(rows, "plant_capacities", "expected_year", late, pl.col("expected_year"),
                pl.format("a {} plant expected in {}, before the statement of {} that expects it", pl.col("plant_status"),
                          pl.col("expected_year"), pl.col("_said")))
