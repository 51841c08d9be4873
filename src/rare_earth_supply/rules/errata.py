"""Errata: known problems that ship with the data, matched against what validation finds.

A warning is acknowledged by an open erratum of the same table and rule that names every row
the warning involves (its row and, for a comparison, the other row). An open erratum tied to
a rule that no longer warns on its rows is stale; so is one whose rows are gone. Either way the
release check fails, so the published list never hides a new problem nor keeps a fixed one.
"""
from __future__ import annotations

import polars as pl

from rare_earth_supply.problems import WARNING
from rare_earth_supply.read.csvfile import LINE


def _open_rows(errata: pl.DataFrame) -> pl.DataFrame:
    return (errata.filter(pl.col("status") == "open")
            .select(pl.col("id").alias("erratum"), "table", "rule", pl.col("row_ids").str.split("|").alias("row_id"))
            .explode("row_id"))


def acknowledge(report: pl.DataFrame, errata: pl.DataFrame | None) -> pl.DataFrame:
    """The report with `erratum` set on each warning an open erratum acknowledges."""
    if errata is None or report.is_empty():
        return report
    rows = _open_rows(errata)
    warnings = report.with_row_index("_n").filter(pl.col("severity") == WARNING)
    candidates = warnings.select("_n", "table", "rule", "row_id", "related").join(rows, on=["table", "rule", "row_id"])
    covered = candidates.join(rows.select("erratum", pl.col("row_id").alias("related"), pl.lit(True).alias("_has_related")),
                              on=["erratum", "related"], how="left")
    matched = (covered.filter(pl.col("related").is_null() | pl.col("_has_related").fill_null(False))
               .group_by("_n").agg(pl.col("erratum").min()))
    return (report.with_row_index("_n").drop("erratum").join(matched, on="_n", how="left")
            .select(report.columns))


def stale(report: pl.DataFrame, errata: pl.DataFrame | None, frames: dict[str, pl.DataFrame]) -> pl.DataFrame:
    """Open errata that describe nothing any more, as report rows of rule `erratum-stale`."""
    columns = ["table", "row_id", "line", "column", "value", "message"]
    if errata is None:
        return pl.DataFrame(schema={c: report.schema[c] for c in columns})
    open_ = errata.filter(pl.col("status") == "open")
    used = report.filter(pl.col("erratum").is_not_null()).select(pl.col("erratum").alias("id")).unique()
    ruled = open_.filter(pl.col("rule").is_not_null()).join(used, on="id", how="anti").with_columns(
        pl.format("rule {} no longer warns on rows {}: mark the erratum resolved (with version_fixed) or correct it",
                  pl.col("rule"), pl.col("row_ids")).alias("message"))
    unruled = open_.filter(pl.col("rule").is_null())
    named = unruled.select("id", "table", pl.col("row_ids").str.split("|").alias("row_id")).explode("row_id")
    gone = named.join(existing(named, frames), on=["table", "row_id"], how="anti").select("id").unique()
    vanished = unruled.join(gone, on="id", how="semi").with_columns(
        pl.format("rows {} of {} are gone: mark the erratum resolved or correct it", pl.col("row_ids"), pl.col("table")).alias("message"))
    both = pl.concat([ruled.select("id", LINE, "message"), vanished.select("id", LINE, "message")])
    return both.select(pl.lit("errata").alias("table"), pl.col("id").alias("row_id"), pl.col(LINE).alias("line"),
                       pl.lit("rule", pl.String).alias("column"), pl.col("id").alias("value"), "message")


def existing(named: pl.DataFrame, frames: dict[str, pl.DataFrame]) -> pl.DataFrame:
    """Which of the (table, row_id) pairs errata name exist: only the named ids are looked up, never every id of every table."""
    parts = [pl.DataFrame(schema={"table": pl.String, "row_id": pl.String})]
    for table, ids in named.group_by("table").agg(pl.col("row_id").unique()).iter_rows():
        frame = frames.get(table)
        if frame is not None and "id" in frame.columns:
            parts.append(frame.filter(pl.col("id").is_in(ids)).select(pl.lit(table).alias("table"), pl.col("id").cast(pl.String).alias("row_id")))
    return pl.concat(parts)


def open_errata(errata: pl.DataFrame, table: str | None = None) -> pl.DataFrame:
    found = errata.filter(pl.col("status") == "open")
    return found.filter(pl.col("table") == table) if table else found
