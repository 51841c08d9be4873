"""Which figure to use: a status for every fact row, derived from the data, and a preferred view.

The tables stay as curated — every edition, every conflicting claim. On top of them each row
gets a status, computed, never typed:

- erroneous: an open erratum of kind source_error names the row (the source is wrong);
- superseded: a later edition of the same statistical series gives the same subject, or an
  open erratum of kind outdated_figure names the row;
- preferred: the figure to use for its subject, which another independent source speaks to;
- single_source: the figure to use, but no other independent source speaks to the subject;
- corroborating: agrees with the preferred figure (a source of lower precedence, or the same);
- disputed: contradicts the preferred figure — or is the preferred figure and a source of
  equal precedence contradicts it;
- derived (preferred view only): a total we compute, e.g. a year's quota from its batches.

Precedence among the current rows of a subject: primary statistics and official notices, then
company records (filings, reports, press releases), then news and trade reports, then news
summaries; within that, the latest edition (or publication); then a stated figure over a
bound ("over 80%"); then the row id. Two sources are independent unless they are editions of
the same series. Each row is compared with the `TOP` highest-precedence figures of its subject,
so the work stays near-linear however many rows share a subject.
"""
from __future__ import annotations

import polars as pl

from rare_earth_supply import money
from rare_earth_supply.read.csvfile import LINE
from rare_earth_supply.rules import bounds
from rare_earth_supply.rules.consistency import APPROX_TOLERANCE, RELATIVE_TOLERANCE
from rare_earth_supply.rules.roles import FACT_TABLES, SUBJECT, VALUE_COLUMN, time_column, with_subject

STATUSES = ("preferred", "single_source", "corroborating", "disputed", "superseded", "erroneous", "derived")
KIND_RANK = {"statistics": 0, "government_notice": 0, "regulatory_filing": 1, "company_report": 1, "press_release": 1,
             "news_report": 2, "trade_press": 2, "news_summary": 3, "web_summary": 3}
QUALIFIER_RANK = {"eq": 0, "approx": 1}
TOP = 10
STATUS_COLUMNS = {"status": pl.String, "preferred_id": pl.String, "superseded_by": pl.String,
                  "corroborated_by": pl.List(pl.String), "contradicted_by": pl.List(pl.String)}


def _sources(frames: dict[str, pl.DataFrame]) -> pl.DataFrame:
    sources = frames["sources"].unique("id", keep="first", maintain_order=True)
    published_year = pl.col("published").dt.year() if "published" in sources.columns else pl.lit(None, pl.Int32)
    year = pl.coalesce(pl.col("year").cast(pl.Int64), published_year.cast(pl.Int64)) if "year" in sources.columns else published_year.cast(pl.Int64)
    series = pl.col("series") if "series" in sources.columns else pl.lit(None, pl.String)
    return sources.select(
        pl.col("id").alias("source_id"),
        pl.col("kind").replace_strict(KIND_RANK, default=len(KIND_RANK), return_dtype=pl.Int64).alias("_rank"),
        pl.coalesce(series, pl.col("id")).alias("_series"),
        # within a series: the later edition, and within one edition the later revision, comes first
        (year.fill_null(-1) * 1000 + pl.col("published").dt.ordinal_day().cast(pl.Int64).fill_null(0)).alias("_edition"),
        pl.col("published").alias("_published"))


def _errata_ids(frames: dict[str, pl.DataFrame], table: str, kind: str) -> pl.Series:
    errata = frames.get("errata")
    if errata is None:
        return pl.Series([], dtype=pl.String)
    named = errata.filter((pl.col("status") == "open") & (pl.col("table") == table) & (pl.col("kind") == kind))
    return named.select(pl.col("row_ids").str.split("|").explode())["row_ids"].drop_nulls().unique()


def _agree(prefix: str = "_b") -> pl.Expr:
    """Whether a row and another (columns suffixed `prefix`) agree: qualifier intervals overlap within tolerance."""
    tol = pl.when(pl.col("_approx") | pl.col(f"_approx{prefix}")).then(APPROX_TOLERANCE).otherwise(RELATIVE_TOLERANCE)
    return ((pl.col("_lo") <= pl.col(f"_hi{prefix}") * (1 + tol)) & (pl.col(f"_lo{prefix}") <= pl.col("_hi") * (1 + tol))).fill_null(True)


def annotate(frames: dict[str, pl.DataFrame], table: str) -> pl.DataFrame:
    """The table as curated, plus `status`, `preferred_id`, `superseded_by`, `corroborated_by`, `contradicted_by`."""
    frame = frames[table]
    if frame.is_empty():
        return frame.with_columns([pl.lit(None, dtype).alias(name) for name, dtype in STATUS_COLUMNS.items()])
    subject = list(SUBJECT[table])
    columns = frame.columns
    frame = with_subject(frame, table)  # a past release may lack a subject column added since
    when = time_column(table)
    if when in frame.columns and frame[when].null_count():  # an undated figure is a subject of its own (see consistency)
        frame = frame.with_columns(pl.when(pl.col(when).is_null()).then(pl.col("id")).alias("_undated"))
        subject.append("_undated")
    own = [c for c in subject if c != "id"]  # a table whose rows are each their own subject keys on id alone
    value = VALUE_COLUMN[table]
    rows = frame.with_row_index("_order").join(_sources(frames), on="source_id", how="left").with_columns(
        pl.col(value).cast(pl.Float64).alias("_value"), (pl.col("qualifier") == "approx").fill_null(False).alias("_approx"),
        pl.col("qualifier").replace_strict(QUALIFIER_RANK, default=2, return_dtype=pl.Int64).alias("_exact"),
        pl.col("_rank").fill_null(len(KIND_RANK)), pl.coalesce("_series", "source_id").alias("_series"), pl.col("_edition").fill_null(-1),
    ).with_columns(bounds.lower("_value").alias("_lo"), bounds.upper("_value").alias("_hi"))
    erroneous = pl.col("id").is_in(_errata_ids(frames, table, "source_error").implode())
    outdated = pl.col("id").is_in(_errata_ids(frames, table, "outdated_figure").implode())
    latest = pl.col("_edition").max().over([*subject, "_series"])
    rows = rows.with_columns(erroneous.alias("_erroneous"), (outdated | (pl.col("_edition") < latest)).alias("_superseded"))
    rows = rows.with_columns((~pl.col("_erroneous") & ~pl.col("_superseded")).alias("_current"))
    rows = rows.sort([~pl.col("_current"), "_rank", pl.col("_edition"), "_exact", "_published", "id"],
                     descending=[False, False, True, False, True, False], nulls_last=True, maintain_order=True)
    rows = rows.with_columns(pl.int_range(pl.len()).over(subject).alias("_subject_rank"))
    tops = rows.filter(pl.col("_subject_rank") < TOP)
    first = tops.filter(pl.col("_subject_rank") == 0).select(*subject, pl.col("id").alias("preferred_id")) if own == subject else \
        tops.filter(pl.col("_subject_rank") == 0).select("id", pl.col("id").alias("preferred_id"))
    # superseded rows point at the latest edition of their own series
    newest = (rows.filter(pl.col("_edition") == latest).sort("_subject_rank")
              .group_by([*subject, "_series"], maintain_order=True).agg(pl.col("id").first().alias("_newest")))
    rows = (rows.join(first, on=subject, how="left", nulls_equal=True)
            .join(newest, on=[*subject, "_series"], how="left", nulls_equal=True))
    # each row against the highest-precedence current figures of its subject
    others = tops.filter(pl.col("_current")).select(
        *subject if own == subject else [pl.col("id")], pl.col("id").alias("id_b"), pl.col("_series").alias("_series_b"), pl.col("_rank").alias("_rank_b"),
        pl.col("_lo").alias("_lo_b"), pl.col("_hi").alias("_hi_b"), pl.col("_approx").alias("_approx_b"),
        pl.col("_subject_rank").alias("_subject_rank_b"))
    shared = rows.filter(pl.len().over(subject) > 1).select(*own, "id", "_series", "_rank", "_lo", "_hi", "_approx", "_subject_rank", "preferred_id")
    pairs = shared.join(others, on=subject, how="inner", nulls_equal=True).filter(pl.col("id") != pl.col("id_b"))
    pairs = pairs.with_columns(_agree().alias("_agrees"))
    independent = pairs.filter(pl.col("_series") != pl.col("_series_b")).sort("_subject_rank_b")
    lists = independent.group_by("id").agg(
        pl.col("id_b").filter(pl.col("_agrees")).alias("corroborated_by"),
        pl.col("id_b").filter(~pl.col("_agrees")).alias("contradicted_by"),
        # the preferred figure is disputed by a source of its own precedence (and only by such)
        (~pl.col("_agrees") & (pl.col("_rank_b") == pl.col("_rank"))).any().alias("_peer_conflict"))
    against_top = pairs.filter(pl.col("id_b") == pl.col("preferred_id")).select("id", pl.col("_agrees").alias("_agrees_top"))
    speaking = rows.filter(~pl.col("_erroneous")).group_by(subject).agg(pl.col("_series").n_unique().alias("_voices"))
    rows = (rows.join(lists, on="id", how="left").join(against_top, on="id", how="left")
            .join(speaking, on=subject, how="left", nulls_equal=True))
    is_top = pl.col("id") == pl.col("preferred_id")
    status = (pl.when(pl.col("_erroneous")).then(pl.lit("erroneous"))
              .when(pl.col("_superseded")).then(pl.lit("superseded"))
              .when(is_top & pl.col("_peer_conflict").fill_null(False)).then(pl.lit("disputed"))
              .when(is_top & (pl.col("_voices").fill_null(1) > 1)).then(pl.lit("preferred"))
              .when(is_top).then(pl.lit("single_source"))
              .when(pl.col("_agrees_top").fill_null(True)).then(pl.lit("corroborating"))
              .otherwise(pl.lit("disputed")))
    return rows.sort("_order").select(
        *columns, status.alias("status"), "preferred_id",
        pl.when(pl.col("_superseded") & (pl.col("_newest") != pl.col("id"))).then(pl.col("_newest")).alias("superseded_by"),
        pl.col("corroborated_by").fill_null([]), pl.col("contradicted_by").fill_null([]))


def preferred(frames: dict[str, pl.DataFrame], table: str) -> pl.DataFrame:
    """One row per subject, the figure to use, with its status columns (pivot-ready).

    For quotas, a year's total that no source states is derived from the batches the data holds
    (status `derived`, qualifier `ge`: the batches found may not be all of them). Investments, costs and
    prices gain their US-dollar figure where the package has exchange rates (see `money`)."""
    annotated = annotate(frames, table)
    chosen = annotated.filter(pl.col("id") == pl.col("preferred_id"))
    if table == "quotas" and not chosen.is_empty():
        chosen = pl.concat([chosen, _derived_totals(chosen)], how="diagonal_relaxed")
    if table in money.CONVERTED and "exchange_rates" in frames:
        chosen = money.with_usd(chosen, table, frames["exchange_rates"])
    return chosen.drop(LINE, strict=False)


def _derived_totals(chosen: pl.DataFrame) -> pl.DataFrame:
    """Annual quota totals summed from the preferred batch figures, where no source states the total."""
    key = ["entity_id", "year", "stage", "scope", "unit"]
    batches = chosen.filter(pl.col("batch").is_in(["1", "2", "3", "supplement"]))
    stated = chosen.filter(pl.col("batch") == "annual").select(key)
    sums = (batches.join(stated, on=key, how="anti", nulls_equal=True).sort("batch")
            .group_by(key, maintain_order=True).agg(
                pl.col("quantity").sum(), pl.col("id").alias("corroborated_by"), pl.col("issuer_id").first(),
                pl.col("batch").str.join("+").alias("_batches")))
    if sums.is_empty():
        return chosen.clear()
    return sums.select(
        pl.concat_str([pl.lit("derived"), pl.col("entity_id"), pl.col("year").cast(pl.String), pl.col("stage"), pl.col("scope")],
                      separator=":").alias("id"),
        *key, "issuer_id", pl.lit("annual").alias("batch"), "quantity", pl.lit("ge").alias("qualifier"),
        pl.concat_str([pl.lit("sum of batches "), pl.col("_batches")]).alias("as_reported"),
        pl.lit("Derived: the sum of the batch figures the data holds for this year; a batch missing from the data would add to it.").alias("note"),
        pl.lit("derived").alias("status"), pl.col("corroborated_by"), pl.lit([], dtype=pl.List(pl.String)).alias("contradicted_by"))


def fact_tables(frames: dict[str, pl.DataFrame]) -> list[str]:
    return [t for t in FACT_TABLES if t in frames and t in SUBJECT and "sources" in frames]
