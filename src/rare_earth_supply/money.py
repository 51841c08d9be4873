"""One currency to compare: amounts, costs and prices converted to US dollars, computed never typed.

A curated row keeps the currency its record announces (A$1.25 billion stays AUD). The preferred views
of `investments`, `costs` and `prices` add the US-dollar figure beside it, from the annual average
rate of the row's currency for the row's year in `exchange_rates`, with the rate and its source id, so
that anyone can redo the sum. A row that cannot be converted — no amount, no year, a currency or year
the rate table does not hold — gets no dollar figure and `usd_note` says why: a guessed rate would be a
figure no source gives.

The year a row is converted in is the year its money is named in: an investment's announcement (or, if
undated, the date of its record), a cost's or price's year (or the end of its period).
"""
from __future__ import annotations

import polars as pl

CONVERTED = {"investments": "amount", "costs": "value", "prices": "price"}  # table -> the money column
USD_COLUMN = {"investments": "amount_usd", "costs": "value_usd", "prices": "price_usd"}
DESCRIPTIONS = {
    "amount_usd": "The amount in US dollars: amount × usd_rate, to the cent (derived, never typed; empty where usd_note says why).",
    "value_usd": "The value in US dollars (per the same physical unit): value × usd_rate, to the cent; empty for percentages or where usd_note says why.",
    "price_usd": "The price in US dollars (per the same physical unit): price × usd_rate, to the cent; empty where usd_note says why.",
    "usd_unit": "The unit of the US-dollar figure: the row's unit with its currency replaced by USD.",
    "usd_year": "The year whose annual average rate converts the row.",
    "usd_rate": "US dollars per unit of the row's currency in usd_year (1 for USD; the inverse of a rate quoted per dollar).",
    "usd_rate_id": "The exchange_rates row of the rate (empty for USD).",
    "usd_rate_source_id": "The source of that rate.",
    "usd_note": "Why the row has no US-dollar figure, where it has none.",
}


def usd_per_unit(rates: pl.DataFrame) -> pl.DataFrame:
    """Per currency and year: US dollars for one unit, the rate row and its source (a rate quoted per dollar is inverted)."""
    per_unit = pl.when(pl.col("quoted_as") == "usd_per_currency").then(pl.col("rate")).otherwise(1 / pl.col("rate"))
    return rates.select("currency", pl.col("year").cast(pl.Int64).alias("usd_year"), per_unit.alias("usd_rate"),
                        pl.col("id").alias("usd_rate_id"), pl.col("source_id").alias("usd_rate_source_id")
                        ).unique(["currency", "usd_year"], keep="first", maintain_order=True)


def currency_and_year(table: str, frame: pl.DataFrame) -> tuple[pl.Expr, pl.Expr]:
    """The row's currency and the year it is converted in."""
    if table == "investments":
        return pl.col("currency"), pl.coalesce(pl.col("announced").dt.year(), pl.col("status_as_of").dt.year()).cast(pl.Int64)
    currency = pl.when(pl.col("unit").str.contains(r"^[A-Z]{3}(/|$)")).then(pl.col("unit").str.slice(0, 3))
    end = pl.col("period_end").dt.year() if "period_end" in frame.columns else pl.lit(None, pl.Int32)
    return currency, pl.coalesce(pl.col("year").cast(pl.Int64), end.cast(pl.Int64))


def with_usd(frame: pl.DataFrame, table: str, rates: pl.DataFrame | None) -> pl.DataFrame:
    """`frame` (rows of `table`) with the US-dollar figure, its unit, year, rate, rate row, rate source and a note."""
    value = CONVERTED[table]
    currency, year = currency_and_year(table, frame)
    known = usd_per_unit(rates) if rates is not None else pl.DataFrame(
        schema={"currency": pl.String, "usd_year": pl.Int64, "usd_rate": pl.Float64, "usd_rate_id": pl.String, "usd_rate_source_id": pl.String})
    rows = frame.with_columns(currency.alias("_currency"), year.alias("usd_year")).join(
        known.rename({"currency": "_currency"}), on=["_currency", "usd_year"], how="left")
    is_usd = pl.col("_currency") == "USD"
    rate = pl.when(is_usd).then(pl.lit(1.0)).otherwise(pl.col("usd_rate"))
    covered = set(known["usd_year"].to_list())
    note = (pl.when(pl.col(value).is_null()).then(pl.lit("no amount stated"))
            .when(pl.col("_currency").is_null()).then(pl.lit("not a sum of money"))
            .when(is_usd).then(pl.lit(None, pl.String))
            .when(pl.col("usd_year").is_null()).then(pl.lit("no year to convert in"))
            .when(pl.col("usd_rate").is_not_null()).then(pl.lit(None, pl.String))
            .when(~pl.col("usd_year").is_in(list(covered))).then(pl.format("exchange_rates has no annual averages for {} yet", pl.col("usd_year")))
            .otherwise(pl.format("exchange_rates has no {} rate for {}", pl.col("_currency"), pl.col("usd_year"))))
    unit = pl.col("unit").str.replace(r"^[A-Z]{3}", "USD") if table != "investments" else None
    converted = rows.with_columns(rate.alias("usd_rate")).with_columns(
        pl.when(note.is_null()).then((pl.col(value).cast(pl.Float64) * pl.col("usd_rate")).round(2)).alias(USD_COLUMN[table]),
        *([pl.when(pl.col("_currency").is_not_null()).then(unit).alias("usd_unit")] if unit is not None else []),
        note.alias("usd_note"))
    # a row without a note is converted (a sum of money with its rate): only it keeps the rate columns
    converted_row = pl.col("usd_note").is_null()
    keep = pl.col("_currency").is_not_null() & pl.col(value).is_not_null()
    return converted.with_columns(
        *[pl.when(converted_row).then(pl.col(c)).alias(c) for c in ("usd_rate", "usd_rate_id", "usd_rate_source_id")],
        pl.when(keep).then(pl.col("usd_year")).alias("usd_year")).drop("_currency")
