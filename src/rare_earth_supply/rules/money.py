"""Rules on money: a deal's rows speak of one commitment, a part names the deal that counts it, a status is not
dated before its announcement, and a currency converted to US dollars has its rate for the year it is converted in.

A missing rate is an error only inside the rate table's grid — a currency the table holds for other years, in a
year it holds for other currencies: that gap is a curation slip. A currency the official source does not quote,
or a year it has not yet published, is not a slip; the preferred view leaves the dollar figure empty and its
`usd_note` says why.
"""
from __future__ import annotations

import polars as pl

from rare_earth_supply import money
from rare_earth_supply.rules.base import Context, concat, hits, present


def check_usd_rate(ctx: Context) -> pl.DataFrame:
    rates = money.usd_per_unit(ctx.frames["exchange_rates"])
    currencies = rates.select(pl.col("currency").unique().alias("_currency"))
    years = rates.select(pl.col("usd_year").unique())
    parts = []
    for table in present(ctx, money.CONVERTED):
        frame = ctx.frames[table]
        value = money.CONVERTED[table]
        currency, year = money.currency_and_year(table, frame)
        rows = (frame.with_columns(currency.alias("_currency"), year.alias("usd_year"))
                .filter(pl.col(value).is_not_null() & (pl.col("_currency") != "USD"))
                .join(currencies, on="_currency", how="semi").join(years, on="usd_year", how="semi")
                .join(rates.rename({"currency": "_currency"}), on=["_currency", "usd_year"], how="anti"))
        column = "currency" if table == "investments" else "unit"
        parts.append(hits(rows, table, column, pl.lit(True), pl.col(column),
                          pl.format("exchange_rates holds {} for other years and {} for other currencies, but no {} rate for {}",
                                    pl.col("_currency"), pl.col("usd_year"), pl.col("_currency"), pl.col("usd_year"))))
    return concat(parts)


def check_deal_parties(ctx: Context) -> pl.DataFrame:
    frame = ctx.frames["investments"]
    named = frame.with_columns(pl.col("investor_id").sort_by("id").first().over("deal").alias("_investor"),
                               pl.col("id").sort_by("id").first().over("deal").alias("_first"))
    # the recipient may be the company or its facility: only the investor must be the same
    return hits(named, "investments", "investor_id", pl.col("investor_id") != pl.col("_investor"), pl.col("investor_id"),
                pl.format("deal {} is {}'s commitment in row {}: one deal has one investor", pl.col("deal"), pl.col("_investor"), pl.col("_first")),
                related=pl.col("_first"))


def check_status_after_announcement(ctx: Context) -> pl.DataFrame:
    frame = ctx.frames["investments"]
    announced = pl.col("announced").min().over("deal")
    rows = frame.with_columns(announced.alias("_announced"))
    early = (pl.col("status_as_of") < pl.col("_announced")).fill_null(False)
    return hits(rows, "investments", "status_as_of", early, pl.col("status_as_of"),
                pl.format("a {} status dated {}, before the deal was announced ({})", pl.col("deal_status"), pl.col("status_as_of"), pl.col("_announced")))


def check_part_of(ctx: Context) -> pl.DataFrame:
    frame = ctx.frames["investments"]
    named = pl.col("part_of").is_not_null()
    bad = named & ((pl.col("part_of") == pl.col("deal")) | ~pl.col("part_of").is_in(frame["deal"].unique().implode()))
    return hits(frame, "investments", "part_of", bad, pl.col("part_of"),
                pl.format("part_of names {}, which is no other deal of the table: the row would be counted nowhere", pl.col("part_of")))
