"""Which figures corroborate each other and which conflict.

Two rows from different sources are about the same subject when their subject columns
(see `roles.SUBJECT`) are equal, an unstated year counting as equal to another unstated year.
They agree when their qualifier intervals overlap within a relative tolerance.
"""
from __future__ import annotations

import polars as pl

from rare_earth_supply.rules import bounds
from rare_earth_supply.read.csvfile import LINE
from rare_earth_supply.rules.roles import SHARE_OF_WORLD, SUBJECT, VALUE_COLUMN

RELATIVE_TOLERANCE = 0.02  # exact figures may differ by rounding
APPROX_TOLERANCE = 0.10  # "about", "approximately"
SHARE_TOLERANCE_PP = 1.0  # stated share vs share computed from quantities, percentage points

PAIR_SCHEMA = {
    "table": pl.String, "subject": pl.String, "row_a": pl.String, "row_b": pl.String, "line_b": pl.Int64,
    "source_a": pl.String, "source_b": pl.String, "qualifier_a": pl.String, "value_a": pl.Float64,
    "qualifier_b": pl.String, "value_b": pl.Float64, "relative_difference": pl.Float64,
    "tolerance": pl.Float64, "verdict": pl.String,
}


def figure(value: pl.Expr) -> pl.Expr:
    """A number as text without a trailing .0 for whole values (45000, not 45000.0)."""
    whole = value.is_finite() & (value == value.round(0))
    return pl.when(whole).then(value.cast(pl.Int64, strict=False).cast(pl.String)).otherwise(value.cast(pl.String))


def _subject_label(columns: tuple[str, ...]) -> pl.Expr:
    return pl.concat_str([pl.col(c).cast(pl.String).fill_null("–") for c in columns], separator=" / ")


def pairs(frames: dict[str, pl.DataFrame]) -> pl.DataFrame:
    """Every pair of rows from different sources on the same subject, with a verdict."""
    out = [pl.DataFrame(schema=PAIR_SCHEMA)]
    for table, columns in SUBJECT.items():
        frame = frames.get(table)
        if frame is None or frame.is_empty():
            continue
        value = VALUE_COLUMN[table]
        rows = frame.select(
            *columns, "id", LINE, "source_id", "qualifier", pl.col(value).cast(pl.Float64).alias("value"),
            bounds.lower(value).alias("lo"), bounds.upper(value).alias("hi"),
        ).drop_nulls(["value", "source_id"])
        # only subjects that more than one source speaks to can pair up: skip the rest before the self-join
        rows = rows.filter(pl.col("source_id").n_unique().over(list(columns)) > 1)
        joined = rows.join(rows, on=list(columns), nulls_equal=True, suffix="_b").filter(
            (pl.col("id") < pl.col("id_b")) & (pl.col("source_id") != pl.col("source_id_b"))
        )
        if joined.is_empty():
            continue
        tol = (pl.when((pl.col("qualifier") == "approx") | (pl.col("qualifier_b") == "approx"))
               .then(APPROX_TOLERANCE).otherwise(RELATIVE_TOLERANCE))
        agree = (pl.col("lo") <= pl.col("hi_b") * (1 + tol)) & (pl.col("lo_b") <= pl.col("hi") * (1 + tol))
        biggest = pl.max_horizontal("value", "value_b")
        out.append(joined.select(
            pl.lit(table).alias("table"), _subject_label(columns).alias("subject"),
            pl.col("id").alias("row_a"), pl.col("id_b").alias("row_b"), pl.col(f"{LINE}_b").alias("line_b"),
            pl.col("source_id").alias("source_a"), pl.col("source_id_b").alias("source_b"),
            pl.col("qualifier").alias("qualifier_a"), pl.col("value").alias("value_a"),
            "qualifier_b", "value_b",
            pl.when(biggest > 0).then((pl.col("value") - pl.col("value_b")).abs() / biggest).otherwise(0.0)
            .alias("relative_difference"),
            tol.alias("tolerance"),
            pl.when(agree).then(pl.lit("corroborated")).otherwise(pl.lit("conflict")).alias("verdict"),
        ))
    return pl.concat(out).sort("table", "subject", "row_a", "row_b")


SHARE_SCHEMA = {
    "table": pl.String, "row_id": pl.String, "line": pl.Int64, "source_id": pl.String,
    "stated_pct": pl.Float64, "quantity": pl.Float64, "world_row": pl.String, "world_source": pl.String,
    "world_quantity": pl.Float64, "computed_pct": pl.Float64, "difference_pp": pl.Float64, "verdict": pl.String,
}


def stated_vs_computed(frames: dict[str, pl.DataFrame]) -> pl.DataFrame:
    """Stated shares of world next to quantity ÷ world total, for every comparable world figure.

    Figures are taken as given (a lower bound counts at its value), as the sources do when
    they state both a quantity and its share.
    """
    entities = frames.get("entities")
    out = [pl.DataFrame(schema=SHARE_SCHEMA)]
    if entities is None:
        return out[0]
    world_ids = entities.filter(pl.col("kind") == "world").select(pl.col("id").alias("entity_id"))
    for table, keys in SHARE_OF_WORLD.items():
        frame = frames.get(table)
        if frame is None:
            continue
        stated = frame.filter(pl.col("share_of_world_pct").is_not_null() & pl.col("quantity").is_not_null())
        world = frame.join(world_ids, on="entity_id", how="semi").filter(pl.col("quantity") > 0).select(
            *keys, pl.col("id").alias("world_row"), pl.col("source_id").alias("world_source"),
            pl.col("quantity").alias("world_quantity"))
        joined = stated.join(world, on=list(keys), nulls_equal=True)
        if joined.is_empty():
            continue
        computed = pl.col("quantity") / pl.col("world_quantity") * 100
        out.append(joined.select(
            pl.lit(table).alias("table"), pl.col("id").alias("row_id"), pl.col(LINE).alias("line"), "source_id",
            pl.col("share_of_world_pct").alias("stated_pct"), pl.col("quantity").cast(pl.Float64),
            "world_row", "world_source", pl.col("world_quantity").cast(pl.Float64),
            computed.alias("computed_pct"), (pl.col("share_of_world_pct") - computed).alias("difference_pp"),
        ).with_columns(
            pl.when(pl.col("difference_pp").abs() <= SHARE_TOLERANCE_PP).then(pl.lit("agrees"))
            .otherwise(pl.lit("disagrees")).alias("verdict")))
    return pl.concat(out).sort("table", "row_id", "world_row")


COMPUTED_SCHEMA = {"source_id": pl.String, "year": pl.Int64, "entity_id": pl.String, "quantity": pl.Float64,
                   "world_quantity": pl.Float64, "share_pct": pl.Float64}


def computed_shares(frames: dict[str, pl.DataFrame]) -> pl.DataFrame:
    """Each country's share of world mine production, from one source's own country and world rows."""
    entities, production = frames.get("entities"), frames.get("production")
    if entities is None or production is None:
        return pl.DataFrame(schema=COMPUTED_SCHEMA)
    kinds = entities.select(pl.col("id").alias("entity_id"), pl.col("kind"))
    keys = ["source_id", *SHARE_OF_WORLD["production"]]
    rows = production.join(kinds, on="entity_id")
    world = rows.filter(pl.col("kind") == "world", pl.col("quantity") > 0).select(*keys, pl.col("quantity").alias("world_quantity"))
    countries = rows.filter(pl.col("kind") == "country", pl.col("unit") != "USD")
    return (countries.join(world, on=keys, nulls_equal=True)
            .select("source_id", "year", "entity_id", pl.col("quantity").cast(pl.Float64), pl.col("world_quantity").cast(pl.Float64),
                    (pl.col("quantity") / pl.col("world_quantity") * 100).round(2).alias("share_pct"))
            .sort(["source_id", "year", "share_pct"], descending=[False, False, True]))


PRIMARY_KINDS = ("press_release", "regulatory_filing", "statistics", "company_report")


def news_against_primary(frames: dict[str, pl.DataFrame]) -> pl.DataFrame:
    """Each news figure that a primary record also gives: corroborated or not, and by which source."""
    sources = frames.get("sources")
    found = pairs(frames)
    if sources is None or found.is_empty():
        return found.select("table", "subject").clear()
    kinds = sources.select(pl.col("id"), pl.col("kind"))
    tagged = (found.join(kinds.rename({"id": "source_a", "kind": "kind_a"}), on="source_a")
              .join(kinds.rename({"id": "source_b", "kind": "kind_b"}), on="source_b"))
    news_first = tagged.filter((pl.col("kind_a") == "news_summary") & pl.col("kind_b").is_in(PRIMARY_KINDS))
    news_second = tagged.filter((pl.col("kind_b") == "news_summary") & pl.col("kind_a").is_in(PRIMARY_KINDS))
    def side(frame: pl.DataFrame, news: str, primary: str) -> pl.DataFrame:
        return frame.select(
            "table", "subject", pl.col(f"row_{news}").alias("news_row"), pl.col(f"source_{news}").alias("news_source"),
            pl.concat_str([pl.col(f"qualifier_{news}"), figure(pl.col(f"value_{news}"))], separator=" ").alias("news_value"),
            pl.col(f"row_{primary}").alias("primary_row"), pl.col(f"source_{primary}").alias("primary_source"),
            pl.concat_str([pl.col(f"qualifier_{primary}"), figure(pl.col(f"value_{primary}"))], separator=" ").alias("primary_value"),
            (pl.col("tolerance") * 100).alias("tolerance_pct"), "verdict")
    return pl.concat([side(news_first, "a", "b"), side(news_second, "b", "a")]).sort("table", "news_row", "primary_row")
