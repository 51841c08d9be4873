"""Errata: known problems that ship with the data, matched against what validation finds.

An erratum names the rows it is about (`row_ids`: the wrong, outdated or disputed figures) and
the rows that show the problem (`related_ids`: the evidence, e.g. the figure a news row
contradicts), and records a fingerprint of each named row's figure (`fingerprints`). A finding
is acknowledged by an open erratum of the same table and rule that names every row the finding
involves, as long as those rows still hold the figures the erratum was written about: change an
acknowledged figure and the erratum lapses until a person reviews it and records the new
fingerprint. An open erratum tied to a rule that no longer reports its rows is stale; so is one
whose rows are gone. Lapsed and stale errata fail the release check.

Only warnings are normally acknowledged. An error is acknowledged only by an erratum of kind
source_error: the data then records faithfully a source that contradicts itself (a rounded world
total below the sum of its own countries), which is the source's error, not ours.
"""
from __future__ import annotations

import hashlib
import math

import polars as pl

from rare_earth_supply.problems import ERROR, WARNING
from rare_earth_supply.read.csvfile import LINE
from rare_earth_supply.rules.roles import SUBJECT, VALUE_COLUMN

FINGERPRINT_LENGTH = 8


def _named(errata: pl.DataFrame) -> pl.DataFrame:
    """(erratum, table, rule, kind, row_id, role) for every row an open erratum names."""
    open_ = errata.filter(pl.col("status") == "open")
    related = pl.col("related_ids") if "related_ids" in errata.columns else pl.lit(None, pl.String)
    about = open_.select(pl.col("id").alias("erratum"), "table", "rule", "kind", pl.col("row_ids").str.split("|").alias("row_id"),
                         pl.lit("about").alias("role")).explode("row_id")
    shown = open_.select(pl.col("id").alias("erratum"), "table", "rule", "kind", related.str.split("|").alias("row_id"),
                         pl.lit("related").alias("role")).explode("row_id").drop_nulls("row_id")
    return pl.concat([about, shown]).filter(pl.col("row_id") != "")


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else str(value)
    return str(value)


def vouched_columns(table: str, frame: pl.DataFrame) -> list[str]:
    """The cells an erratum vouches for: what the rules read (subject, figure, stated share, qualifier, unit, source)."""
    if table in SUBJECT:
        wanted = [*SUBJECT[table], VALUE_COLUMN[table], "share_of_world_pct", "qualifier", "unit", "source_id"]
    else:
        wanted = [c for c in frame.columns if c not in ("id", "note", LINE)]
    return [c for c in dict.fromkeys(wanted) if c in frame.columns]


def fingerprints(frames: dict[str, pl.DataFrame], table: str, ids: list[str]) -> dict[str, str]:
    """A short hash of each named row's vouched cells, as errata record them (`id:hash`)."""
    frame = frames.get(table)
    if frame is None or "id" not in frame.columns:
        return {}
    columns = vouched_columns(table, frame)
    rows = frame.filter(pl.col("id").is_in(ids)).select("id", *columns)
    found = {}
    for row in rows.iter_rows(named=True):
        text = "\x1f".join(f"{c}={_cell(row[c])}" for c in columns)
        found.setdefault(row["id"], hashlib.sha256(text.encode("utf-8")).hexdigest()[:FINGERPRINT_LENGTH])
    return found


def _recorded(errata: pl.DataFrame) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    if "fingerprints" not in errata.columns:
        return out
    for erratum, text in errata.select("id", "fingerprints").iter_rows():
        pairs = [p.split(":", 1) for p in (text or "").split("|") if ":" in p]
        out[erratum] = {row: digest for row, digest in pairs}
    return out


def lapsed(errata: pl.DataFrame | None, frames: dict[str, pl.DataFrame]) -> pl.DataFrame:
    """Open errata whose named rows no longer hold the figures they were written about (or carry no fingerprint)."""
    columns = {"erratum": pl.String, "line": pl.Int64, "changed": pl.List(pl.String)}
    if errata is None or errata.is_empty():
        return pl.DataFrame(schema=columns)
    named = _named(errata)
    recorded = _recorded(errata)
    lines = dict(errata.select("id", LINE).iter_rows()) if LINE in errata.columns else {}
    out = []
    for (erratum, table), group in named.group_by("erratum", "table", maintain_order=True):
        ids = group["row_id"].unique(maintain_order=True).to_list()
        current = fingerprints(frames, table, ids)
        expected = recorded.get(erratum, {})
        changed = [row for row in ids if row in current and expected.get(row) != current[row]]
        if changed:
            out.append({"erratum": erratum, "line": lines.get(erratum), "changed": changed})
    return pl.DataFrame(out, schema=columns)


def acknowledge(report: pl.DataFrame, errata: pl.DataFrame | None, frames: dict[str, pl.DataFrame] | None = None) -> pl.DataFrame:
    """The report with `erratum` set on each finding an open, unlapsed erratum acknowledges."""
    if errata is None or report.is_empty():
        return report
    named = _named(errata)
    if frames is not None:
        named = named.join(lapsed(errata, frames).select("erratum"), on="erratum", how="anti")
    findings = report.with_row_index("_n").filter(
        (pl.col("severity") == WARNING) | ((pl.col("severity") == ERROR) & pl.col("rule").is_not_null()))
    candidates = findings.select("_n", "table", "rule", "severity", "row_id", "related").join(
        named.select("erratum", "table", "rule", "kind", "row_id"), on=["table", "rule", "row_id"])
    candidates = candidates.filter((pl.col("severity") == WARNING) | (pl.col("kind") == "source_error"))
    covered = candidates.join(named.select("erratum", pl.col("row_id").alias("related"), pl.lit(True).alias("_has_related")).unique(),
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
    open_ = errata.filter(pl.col("status") == "open").join(lapsed(errata, frames).select(pl.col("erratum").alias("id")), on="id", how="anti")
    used = report.filter(pl.col("erratum").is_not_null()).select(pl.col("erratum").alias("id")).unique()
    ruled = open_.filter(pl.col("rule").is_not_null()).join(used, on="id", how="anti").with_columns(
        pl.format("rule {} no longer reports rows {}: mark the erratum resolved (with version_fixed) or correct it",
                  pl.col("rule"), pl.col("row_ids")).alias("message"))
    unruled = open_.filter(pl.col("rule").is_null())
    named = unruled.select("id", "table", pl.col("row_ids").str.split("|").alias("row_id")).explode("row_id")
    gone = named.join(existing(named, frames), on=["table", "row_id"], how="anti").select("id").unique()
    vanished = unruled.join(gone, on="id", how="semi").with_columns(
        pl.format("rows {} of {} are gone: mark the erratum resolved or correct it", pl.col("row_ids"), pl.col("table")).alias("message"))
    both = pl.concat([ruled.select("id", LINE, "message"), vanished.select("id", LINE, "message")])
    return both.select(pl.lit("errata").alias("table"), pl.col("id").alias("row_id"), pl.col(LINE).alias("line"),
                       pl.lit("rule", pl.String).alias("column"), pl.col("id").alias("value"), "message")


def lapsed_findings(errata: pl.DataFrame | None, frames: dict[str, pl.DataFrame]) -> pl.DataFrame:
    """Lapsed errata as report rows of rule `erratum-lapsed`."""
    found = lapsed(errata, frames)
    return found.select(
        pl.lit("errata").alias("table"), pl.col("erratum").alias("row_id"), "line", pl.lit("fingerprints").alias("column"),
        pl.col("changed").list.join("|").alias("value"),
        pl.format("{} vouches for {} as they were; their figures changed since (or were never fingerprinted): review the "
                  "erratum, then record the new fingerprints (rare-earth-supply errata --fingerprints)",
                  pl.col("erratum"), pl.col("changed").list.join(", ")).alias("message"))


def existing(named: pl.DataFrame, frames: dict[str, pl.DataFrame]) -> pl.DataFrame:
    """Which of the (table, row_id) pairs errata name exist: only the named ids are looked up, never every id of every table."""
    parts = [pl.DataFrame(schema={"table": pl.String, "row_id": pl.String})]
    for table, ids in named.group_by("table").agg(pl.col("row_id").unique()).iter_rows():
        frame = frames.get(table)
        if frame is not None and "id" in frame.columns:
            parts.append(frame.filter(pl.col("id").is_in(ids)).select(pl.lit(table).alias("table"), pl.col("id").cast(pl.String).alias("row_id")))
    return pl.concat(parts)


def current_fingerprints(errata: pl.DataFrame, frames: dict[str, pl.DataFrame]) -> pl.DataFrame:
    """For curators: the fingerprints each open erratum should record for its rows as they are now."""
    named = _named(errata)
    out = []
    for (erratum, table), group in named.group_by("erratum", "table", maintain_order=True):
        ids = group["row_id"].unique(maintain_order=True).to_list()
        prints = fingerprints(frames, table, ids)
        out.append({"id": erratum, "fingerprints": "|".join(f"{row}:{prints[row]}" for row in ids if row in prints)})
    return pl.DataFrame(out, schema={"id": pl.String, "fingerprints": pl.String})


def open_errata(errata: pl.DataFrame, table: str | None = None) -> pl.DataFrame:
    found = errata.filter(pl.col("status") == "open")
    return found.filter(pl.col("table") == table) if table else found
