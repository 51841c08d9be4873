"""Rules on money: a deal's rows speak of one commitment and one of them states it, a part names the deal that counts
it, a status is not dated before its announcement, and a currency converted to US dollars has its rate for the year
it is converted in.

A missing rate is an error only inside the rate table's grid — a currency the table holds for other years, in a
year it holds for other currencies: that gap is a curation slip. A currency the official source does not quote,
or a year it has not yet published, is not a slip; the preferred view leaves the dollar figure empty and its
`usd_note` says why.

Each rule first looks at the few distinct values involved (currency-years, deals with more than one investor, rows
that name a part or a status date) and touches the rows only for those, so a million rows cost a group-by.
"""
from __future__ import annotations

import polars as pl

from rare_earth_supply import money
from rare_earth_supply.rules.base import Context, concat, hits, present


def check_usd_rate(ctx: Context) -> pl.DataFrame:
    rates = money.usd_per_unit(ctx.frames["exchange_rates"])
    currencies, years = rates["currency"].unique().implode(), rates["usd_year"].unique().implode()
    parts = []
    for table in present(ctx, money.CONVERTED):
        frame = ctx.frames[table]
        currency, year = money.currency_and_year(table, frame)
        rows = frame.filter(pl.col(money.CONVERTED[table]).is_not_null()).with_columns(currency.alias("_currency"), year.alias("usd_year"))
        pairs = rows.select("_currency", "usd_year").unique().filter(
            (pl.col("_currency") != "USD") & pl.col("_currency").is_in(currencies) & pl.col("usd_year").is_in(years))
        missing = pairs.join(rates.rename({"currency": "_currency"}), on=["_currency", "usd_year"], how="anti")
        if missing.is_empty():
            continue
        column = "currency" if table == "investments" else "unit"
        parts.append(hits(rows.join(missing, on=["_currency", "usd_year"], how="semi"), table, column, pl.lit(True), pl.col(column),
                          pl.format("exchange_rates holds {} for other years and {} for other currencies, but no {} rate for {}",
                                    pl.col("_currency"), pl.col("usd_year"), pl.col("_currency"), pl.col("usd_year"))))
    return concat(parts)


def check_deal_parties(ctx: Context) -> pl.DataFrame:
    # only deals of more than one row can mix investors: most deals are one row, so group those few
    frame = ctx.frames["investments"].filter(pl.col("deal").is_duplicated())
    mixed = frame.group_by("deal").agg(pl.col("investor_id").n_unique().alias("_n")).filter(pl.col("_n") > 1)
    if mixed.is_empty():
        return concat([])
    first = (frame.join(mixed, on="deal", how="semi").sort("id").group_by("deal", maintain_order=True)
             .agg(pl.col("investor_id").first().alias("_investor"), pl.col("id").first().alias("_first")))
    named = frame.join(first, on="deal")
    # the recipient may be the company or its facility: only the investor must be the same
    return hits(named, "investments", "investor_id", pl.col("investor_id") != pl.col("_investor"), pl.col("investor_id"),
                pl.format("deal {} is {}'s commitment in row {}: one deal has one investor", pl.col("deal"), pl.col("_investor"), pl.col("_first")),
                related=pl.col("_first"))


def check_part_of(ctx: Context) -> pl.DataFrame:
    frame = ctx.frames["investments"]
    parts = frame.filter(pl.col("part_of").is_not_null())
    known = frame.select(pl.col("deal").alias("part_of")).join(parts.select("part_of").unique(), on="part_of", how="semi").unique()
    bad = (pl.col("part_of") == pl.col("deal")) | ~pl.col("part_of").is_in(known["part_of"].implode())
    return hits(parts, "investments", "part_of", bad, pl.col("part_of"),
                pl.format("part_of names {}, which is no other deal of the table: the row would be counted nowhere", pl.col("part_of")))


def check_status_after_announcement(ctx: Context) -> pl.DataFrame:
    frame = ctx.frames["investments"]
    announced = frame.filter(pl.col("announced").is_not_null()).group_by("deal").agg(pl.col("announced").min().alias("_announced"))
    rows = frame.filter(pl.col("status_as_of").is_not_null()).join(announced, on="deal")
    return hits(rows, "investments", "status_as_of", pl.col("status_as_of") < pl.col("_announced"), pl.col("status_as_of"),
                pl.format("a {} status dated {}, before the deal was announced ({})", pl.col("deal_status"), pl.col("status_as_of"), pl.col("_announced")))


COMMITMENT_STATES = ("announced", "conditional", "closed", "amended", "cancelled")


def check_deal_committed(ctx: Context) -> pl.DataFrame:
    frame = ctx.frames["investments"]
    # a row that states a commitment commits its deal: only the deals of the other rows need a look-up
    states = pl.col("deal_status").is_in(COMMITMENT_STATES).fill_null(False)
    others = frame.filter(~states)
    if others.is_empty():
        return concat([])
    committed = frame.filter(states & pl.col("deal").is_in(others["deal"].unique().implode())).select("deal").unique()
    uncommitted = others.join(committed, on="deal", how="anti")
    return hits(uncommitted, "investments", "deal_status", pl.lit(True), pl.col("deal_status"),
                pl.format("deal {} has no row that states the commitment (announced, conditional, closed, amended or cancelled): "
                          "a payment needs the commitment it pays out, or funding() cannot count it", pl.col("deal")))
