"""Who committed how much: commitments in US dollars by investor country, year, instrument and stage.
(`rare_earth_supply.funding()` loads the tables and calls `funding_of`; the module is not named `funding` so that
importing it never hides that function.)

Each commitment (a `deal`) is counted once, however many rows report on it:

- its rows are first reduced to the preferred figure per subject (status view), so two sources for one
  announcement are one figure;
- the sum counted is that of the deal's latest commitment state — announced, conditional, closed or
  amended, by the date of the record (then by that order) — so an amended loan counts at its new amount
  and a conditional one at what was finally closed; `disbursed` rows report money paid out, which does
  not change what was committed, and are not added (rule deal-committed: every deal states a commitment);
- a deal whose latest state is `cancelled` counts nothing (it is listed in `cancelled_ids`);
- where the latest state has several instruments (a prepayment inside a purchase commitment), the
  largest is counted, never their sum: the parts of one commitment do not add to more than it;
- a deal recorded as `part_of` another (a tranche, or one partner's share of a package recorded whole)
  is already in that deal's sum: it is listed with it (`part_ids`), never added.

`public` is true where the investor is a government body or an international organisation, or belongs
(parent_id) to one. The year is that of the deal's first announcement (or, undated, its first record).
"""
from __future__ import annotations

import polars as pl

from rare_earth_supply.money import with_usd

COMMITMENT_ORDER = {"announced": 0, "conditional": 1, "closed": 2, "amended": 3}
PUBLIC_KINDS = ("government_body", "international_organization")
GROUP = ("investor_country", "public", "year", "instrument", "stage")
DESCRIPTIONS = {
    "investor_country": "The investor's country (ISO code), or the id of the organisation or region that has none (e.g. eu).",
    "public": "True for public money: the investor is a government body or international organisation, or belongs to one.",
    "year": "The year the deals were first announced.",
    "deals": "How many commitments the sum counts, each once.",
    "amount_usd": "Their committed amounts in US dollars, summed (each at its latest commitment state, converted at the annual average rate of its announcement year).",
    "unconverted": "How many of the deals have no US-dollar figure (no amount, or no rate: see the investments preferred view's usd_note).",
    "deal_ids": "The deals counted.",
    "investment_ids": "The investments rows whose amounts are summed.",
    "cancelled_ids": "Rows of deals in the group that were cancelled: listed, not counted.",
    "part_ids": "Rows of deals recorded as part of a deal in the group (part_of): already in its sum, listed, not added.",
}


def _investors(frames: dict[str, pl.DataFrame]) -> pl.DataFrame:
    entities = frames["entities"]
    parents = entities.select(pl.col("id").alias("parent_id"), pl.col("kind").alias("_parent_kind"))
    return entities.join(parents, on="parent_id", how="left").select(
        pl.col("id").alias("investor_id"),
        pl.coalesce("country", pl.when(pl.col("kind").is_in(["international_organization", "region"])).then(pl.col("id"))).alias("investor_country"),
        (pl.col("kind").is_in(PUBLIC_KINDS) | pl.col("_parent_kind").is_in(PUBLIC_KINDS).fill_null(False)).alias("public"))


def deals_of(frames: dict[str, pl.DataFrame]) -> pl.DataFrame:
    """One row per deal: the row counted, its US-dollar amount, and the deal's first year and cancelled rows."""
    from rare_earth_supply import status
    chosen = status.preferred(frames, "investments")
    if "amount_usd" not in chosen.columns:
        chosen = with_usd(chosen, "investments", frames.get("exchange_rates"))
    first = chosen.group_by("deal").agg(
        pl.coalesce(pl.col("announced").min(), pl.col("status_as_of").min()).dt.year().cast(pl.Int64).alias("year"),
        pl.col("id").filter(pl.col("deal_status") == "cancelled").alias("cancelled_ids"))
    parts = chosen.filter(pl.col("part_of").is_not_null()).group_by(pl.col("part_of").alias("deal")).agg(pl.col("id").sort().alias("part_ids"))
    chosen = chosen.filter(pl.col("part_of").is_null())
    states = chosen.filter(pl.col("deal_status").is_in(list(COMMITMENT_ORDER)) | (pl.col("deal_status") == "cancelled")).with_columns(
        pl.col("deal_status").replace_strict({**COMMITMENT_ORDER, "cancelled": len(COMMITMENT_ORDER)}, return_dtype=pl.Int64).alias("_order"))
    states = states.with_columns(pl.coalesce("status_as_of", "announced").alias("_dated"))
    latest = (states.sort(["deal", "_dated", "_order", "amount_usd", "id"], descending=[False, True, True, True, False],
                          nulls_last=True).group_by("deal", maintain_order=True).first())
    counted = latest.with_columns(pl.when(pl.col("deal_status") == "cancelled").then(None).otherwise(pl.col("amount_usd")).alias("amount_usd"))
    return (counted.join(first, on="deal", how="left").join(parts, on="deal", how="left")
            .with_columns(pl.col("part_ids").fill_null([])).join(_investors(frames), on="investor_id", how="left"))


def funding_of(frames: dict[str, pl.DataFrame]) -> pl.DataFrame:
    """Committed US dollars per investor country, public or not, year, instrument and stage, each deal once."""
    deals = deals_of(frames)
    cancelled = deals["deal_status"] == "cancelled"
    return (deals.with_columns(pl.when(cancelled).then(pl.col("cancelled_ids")).otherwise(pl.lit([], pl.List(pl.String))).alias("cancelled_ids"))
            .group_by(list(GROUP)).agg(
                (pl.col("deal_status") != "cancelled").sum().cast(pl.Int64).alias("deals"),
                pl.when(pl.col("amount_usd").is_not_null().any()).then(pl.col("amount_usd").sum()).alias("amount_usd"),
                ((pl.col("deal_status") != "cancelled") & pl.col("amount_usd").is_null()).sum().cast(pl.Int64).alias("unconverted"),
                pl.col("deal").filter(pl.col("deal_status") != "cancelled").sort().alias("deal_ids"),
                pl.col("id").filter(pl.col("deal_status") != "cancelled").sort().alias("investment_ids"),
                pl.col("cancelled_ids").explode().drop_nulls().sort().alias("cancelled_ids"),
                pl.col("part_ids").explode().drop_nulls().sort().alias("part_ids"))
            .sort(["investor_country", "year", "instrument", "stage"], nulls_last=True))
