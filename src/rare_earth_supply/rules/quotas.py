"""Rules on China's quotas: the parts of a quota add up to the whole a source states.

Batches of a year add to no more than the stated annual total (a missing batch leaves them
below it), a figure given for the first two batches together matches the two, and the light and
heavy parts of one allocation match its total. Where several sources give a part, the lowest
figure counts (lower bounds as given), as in share-sum: a conflict between sources is
sources-disagree's to report, not this rule's.
"""
from __future__ import annotations

import polars as pl

from rare_earth_supply.rules import bounds
from rare_earth_supply.rules.base import Context, concat, hits
from rare_earth_supply.rules.consistency import APPROX_TOLERANCE, RELATIVE_TOLERANCE, figure

YEAR = ["entity_id", "year", "stage", "scope", "unit"]
ALLOCATION = ["entity_id", "year", "batch", "stage", "unit"]


def _tolerance() -> pl.Expr:
    return pl.when(pl.col("qualifier") == "approx").then(APPROX_TOLERANCE).otherwise(RELATIVE_TOLERANCE)


def _lowest(frame: pl.DataFrame, keys: list[str], name: str) -> pl.DataFrame:
    return frame.group_by(keys).agg(bounds.lower("quantity").min().alias(name))


def check_quota_batches(ctx: Context) -> pl.DataFrame:
    """A year's batches against its stated total; the first two batches against a figure for both."""
    quotas = ctx.frames["quotas"]
    single = _lowest(quotas.filter(pl.col("batch").is_in(["1", "2", "3", "supplement"])), [*YEAR, "batch"], "_part")
    parts = []
    summed = single.group_by(YEAR).agg(pl.col("_part").sum().alias("_sum"), pl.col("batch").sort().str.join("+").alias("_batches"))
    annual = quotas.filter(pl.col("batch") == "annual").join(summed, on=YEAR, nulls_equal=True)
    parts.append(hits(annual, "quotas", "quantity", pl.col("_sum") > bounds.upper("quantity") * (1 + _tolerance()), pl.col("quantity"),
                      pl.format("batches {} add to {}, more than this annual total ({} {})", pl.col("_batches"), figure(pl.col("_sum")),
                                pl.col("qualifier"), figure(pl.col("quantity")))))
    first_two = (single.filter(pl.col("batch").is_in(["1", "2"])).group_by(YEAR)
                 .agg(pl.col("_part").sum().alias("_sum"), pl.len().alias("_n")).filter(pl.col("_n") == 2))
    both = quotas.filter(pl.col("batch") == "1+2").join(first_two, on=YEAR, nulls_equal=True)
    apart = ((pl.col("_sum") - pl.col("quantity")).abs() > pl.col("quantity") * _tolerance()) & (pl.col("qualifier") == "eq")
    parts.append(hits(both, "quotas", "quantity", apart, pl.col("quantity"),
                      pl.format("batches 1 and 2 add to {}, not this figure for both ({})", figure(pl.col("_sum")), figure(pl.col("quantity")))))
    return concat(parts)


def check_quota_scopes(ctx: Context) -> pl.DataFrame:
    """The light and heavy parts of one allocation against its total."""
    quotas = ctx.frames["quotas"]
    light = _lowest(quotas.filter(pl.col("scope") == "light"), ALLOCATION, "_light")
    heavy = _lowest(quotas.filter(pl.col("scope") == "heavy"), ALLOCATION, "_heavy")
    total = (quotas.filter(pl.col("scope") == "total").join(light, on=ALLOCATION, nulls_equal=True)
             .join(heavy, on=ALLOCATION, nulls_equal=True).with_columns((pl.col("_light") + pl.col("_heavy")).alias("_parts")))
    apart = (pl.col("_parts") - pl.col("quantity")).abs() > pl.col("quantity") * _tolerance()
    return hits(total, "quotas", "quantity", apart & pl.col("qualifier").is_in(["eq", "approx"]), pl.col("quantity"),
                pl.format("light {} and heavy {} add to {}, not this total ({})", figure(pl.col("_light")), figure(pl.col("_heavy")),
                          figure(pl.col("_parts")), figure(pl.col("quantity"))))
