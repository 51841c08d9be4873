"""Rules on policy measures: each step follows the measure it changes, and names real rare earths."""
from __future__ import annotations

import polars as pl

from rare_earth_supply.rules.base import Context, concat, hits

# the seventeen rare earths: scandium, yttrium and the fifteen lanthanides
RARE_EARTHS = ("Sc", "Y", "La", "Ce", "Pr", "Nd", "Pm", "Sm", "Eu", "Gd", "Tb", "Dy", "Ho", "Er", "Tm", "Yb", "Lu")
CHANGES = ("widen", "narrow", "extend", "suspend", "lift", "ruling")
# a suspension or a lifting is meaningless without the measure it ends; other steps may change a
# measure whose earlier form is not in the data (a catalogue revised since 2001, say)
MUST_REFER = ("suspend", "lift")


def before(a: pl.Expr, b: pl.Expr) -> pl.Expr:
    """Partial dates (2025, 2025-04, 2025-04-04) compared as text at the precision both share:
    2025-04 is not before 2025-04-10, and a year is never taken as earlier than a day within it."""
    n = pl.min_horizontal(a.str.len_chars(), b.str.len_chars())
    return (a.str.slice(0, n) < b.str.slice(0, n)).fill_null(False)


def check_measure_sequence(ctx: Context) -> pl.DataFrame:
    """A step that changes a measure names it and comes after it; a new measure refers to none."""
    measures = ctx.frames["policy_measures"]
    dated = measures.unique("id", keep="first").select(pl.col("id").alias("refers_to"), pl.col("announced").alias("_earlier"))
    joined = measures.join(dated, on="refers_to", how="left")
    when = pl.coalesce("announced", "effective")
    early = before(when, pl.col("_earlier"))
    return concat([
        hits(joined, "policy_measures", "refers_to", pl.col("action").is_in(MUST_REFER) & pl.col("refers_to").is_null(), pl.col("action"),
             pl.format("a step that does '{}' must name the measure it ends in refers_to", pl.col("action"))),
        hits(joined, "policy_measures", "refers_to", (pl.col("action") == "introduce") & pl.col("refers_to").is_not_null(), pl.col("refers_to"),
             pl.lit("a new measure (introduce) refers to no earlier one; use widen, narrow, extend, suspend, lift or ruling")),
        hits(joined, "policy_measures", "announced", early, when,
             pl.format("dated {}, before the measure it changes ({}, {})", when, pl.col("refers_to"), pl.col("_earlier"))),
    ])


def check_elements(ctx: Context) -> pl.DataFrame:
    """Element lists name rare earths, each once."""
    measures = ctx.frames["policy_measures"]
    symbols = pl.col("elements").str.split("|")
    unknown = symbols.list.eval(pl.element().filter(~pl.element().is_in(list(RARE_EARTHS))))
    return concat([
        hits(measures, "policy_measures", "elements", (unknown.list.len() > 0).fill_null(False), pl.col("elements"),
             pl.format("{} is not a rare earth; use the symbols {}", unknown.list.join(", "), pl.lit(" ".join(RARE_EARTHS)))),
        hits(measures, "policy_measures", "elements", (symbols.list.len() != symbols.list.unique().list.len()).fill_null(False),
             pl.col("elements"), pl.lit("an element is listed twice")),
    ])
