"""Which figures corroborate each other and which conflict, in time near-linear in the rows.

Two rows from different sources are about the same subject when their subject columns
(see `roles.SUBJECT`) are equal, an unstated year counting as equal to another unstated year.
They conflict when their qualifier intervals do not overlap within a relative tolerance.

A figure is never compared with every other figure of its subject (a pasted file would make
that quadratic): it is compared with the subject's envelope — the tightest upper and lower
bounds that *other* sources give. Per subject the two best sources are kept for each bound, so
a row is compared with the best bound of a source other than its own. A figure conflicts with
some other source exactly when it conflicts with one of these bounds, and the row holding the
violated bound is named.
"""
from __future__ import annotations

import polars as pl

from rare_earth_supply.read.csvfile import LINE
from rare_earth_supply.rules import bounds
from rare_earth_supply.rules.base import memo
from rare_earth_supply.rules.roles import SHARE_OF_WORLD, SUBJECT, VALUE_COLUMN, time_column, with_subject

RELATIVE_TOLERANCE = 0.02  # exact figures may differ by rounding
APPROX_TOLERANCE = 0.10  # "about", "approximately"
SHARE_TOLERANCE_PP = 1.0  # stated share vs share computed from quantities, percentage points
PRIMARY_KINDS = ("press_release", "regulatory_filing", "statistics", "company_report")

DISAGREEMENT_SCHEMA = {
    "table": pl.String, "subject": pl.String, "row_id": pl.String, "line": pl.Int64, "source_id": pl.String,
    "qualifier": pl.String, "value": pl.Float64, "related": pl.String, "related_source": pl.String,
    "related_qualifier": pl.String, "related_value": pl.Float64, "relative_difference": pl.Float64, "tolerance": pl.Float64,
}


def figure(value: pl.Expr) -> pl.Expr:
    """A number as text without a trailing .0 for whole values (45000, not 45000.0)."""
    whole = value.is_finite() & (value == value.round(0))
    return pl.when(whole).then(value.cast(pl.Int64, strict=False).cast(pl.String)).otherwise(value.cast(pl.String))


def _subject_label(columns: tuple[str, ...]) -> pl.Expr:
    return pl.concat_str([pl.col(c).cast(pl.String).fill_null("–") for c in columns], separator=" / ")


def _raw(frames: dict[str, pl.DataFrame], table: str, cache: dict | None = None, undated: bool = False) -> pl.DataFrame | None:
    """One table's figures that share their subject with another row (the only ones any comparison can
    involve): subject, id, line, source, qualifier, value, and `_subject` (a 64-bit hash of the subject
    columns, computed once per validation and shared by every rule that groups figures).

    A figure its source gives no year for speaks to no year another source does: it is compared with
    nothing, so it is left out unless `undated` (for the duplicate check: a pasted copy is still a copy)."""
    def compute() -> pl.DataFrame | None:
        frame = frames.get(table)
        if frame is None:
            return None
        frame = with_subject(frame, table)
        rows = frame.select(
            *[c for c in SUBJECT[table] if c != "id"], pl.col("id").cast(pl.String), LINE, "source_id", "qualifier",
            pl.col(VALUE_COLUMN[table]).cast(pl.Float64).alias("value"), pl.struct(list(SUBJECT[table])).hash(seed=7).alias("_subject"))
        # a figure alone on its subject is compared with nothing: drop it before the per-row lookups below
        rows = rows.filter(pl.col("_subject").is_duplicated())
        voice = _voice(frames)
        rows = rows.with_columns(voice.alias("_voice"), _edition(frames).alias("_edition"), voice.hash(seed=11).alias("_source"))
        # selecting columns shares their memory; filtering copies it: filter only where there is something to drop
        if rows.select(pl.col("value").null_count() + pl.col("source_id").null_count()).item():
            rows = rows.drop_nulls(["value", "source_id"])
        return rows

    def dated() -> pl.DataFrame | None:
        rows = memo(store, ("figures", table, "all"), compute)
        when = time_column(table)
        if rows is not None and when in rows.columns and rows[when].null_count():
            rows = rows.filter(pl.col(when).is_not_null())
        return rows
    store = {} if cache is None else cache
    return memo(store, ("figures", table, "all"), compute) if undated else memo(store, ("figures", table), dated)


def _voice(frames: dict[str, pl.DataFrame]) -> pl.Expr:
    """Who speaks for a row: the statistical series its source belongs to, else the source itself.
    Two editions of one series are one voice: a later edition revises, it does not disagree."""
    sources = frames.get("sources")
    if sources is None or "series" not in sources.columns:
        return pl.col("source_id")
    sources = sources.unique("id", keep="first", maintain_order=True)
    series = sources.select("id", pl.coalesce("series", "id").alias("_v"))
    return pl.col("source_id").replace_strict(series["id"], series["_v"], default=pl.col("source_id"), return_dtype=pl.String)


def _edition(frames: dict[str, pl.DataFrame]) -> pl.Expr:
    """Where a row's source stands in its series (edition year, then publication day), or null."""
    sources = frames.get("sources")
    if sources is None or "year" not in sources.columns:
        return pl.lit(None, pl.Int64)
    sources = sources.unique("id", keep="first", maintain_order=True)
    # the edition's year, then the day it was published: a revised version of an edition comes after it
    year = sources.select("id", (pl.coalesce(pl.col("year").cast(pl.Int64), pl.col("published").dt.year().cast(pl.Int64)) * 1000
                                 + pl.col("published").dt.ordinal_day().cast(pl.Int64).fill_null(0)).alias("_y"))
    return pl.col("source_id").replace_strict(year["id"], year["_y"], default=None, return_dtype=pl.Int64)


def _described(rows: pl.DataFrame, table: str) -> pl.DataFrame:
    """Add what comparing figures needs: bounds, tolerances, a readable subject label."""
    approx = pl.col("qualifier") == "approx"
    return rows.with_columns(
        bounds.lower("value").alias("lo"), bounds.upper("value").alias("hi"), approx.alias("approx"),
        _subject_label(SUBJECT[table]).alias("subject"),
    ).with_columns(
        # the bounds another row is held to: its own tolerance widens them
        (pl.col("hi") * pl.when(approx).then(1 + APPROX_TOLERANCE).otherwise(1 + RELATIVE_TOLERANCE)).alias("hi_tolerant"),
        (pl.col("lo") / pl.when(approx).then(1 + APPROX_TOLERANCE).otherwise(1 + RELATIVE_TOLERANCE)).alias("lo_tolerant"),
    )


def _repeated(rows: pl.DataFrame, columns: list[str], hashed: list[str]) -> pl.DataFrame:
    """Rows whose `columns` equal another row's. Grouping the 64-bit hashes (`hashed`) first discards
    the (usually many) unique rows cheaply; the exact comparison then runs on the few that remain."""
    candidates = rows.filter(pl.struct(hashed).is_duplicated()) if len(hashed) > 1 else rows.filter(pl.col(hashed[0]).is_duplicated())
    return candidates.filter(pl.len().over(columns) > 1)


def figures(frames: dict[str, pl.DataFrame], table: str, cache: dict | None = None) -> pl.DataFrame | None:
    """One table's figures that share a subject with another row, with bounds and tolerances; None if the table is absent."""
    rows = _raw(frames, table, cache)
    return None if rows is None else _described(rows, table)


def _shared(frames: dict[str, pl.DataFrame], table: str, cache: dict | None = None) -> pl.DataFrame | None:
    """The figures of subjects that more than one source speaks to: only these can conflict.

    Subjects and sources are compared as hashes first (numbers, cheap to group); the exact
    check by subject columns runs only on what is left."""
    rows = _raw(frames, table, cache)
    if rows is None or rows.is_empty():
        return None
    subject = list(SUBJECT[table])
    several = rows.filter(pl.col("_subject").is_duplicated())
    # a series speaks through its latest edition: older editions are revisions (see `revisions`), not other voices
    several = several.filter(pl.col("_edition").fill_null(-1) == pl.col("_edition").fill_null(-1).max().over("_subject", "_voice"))
    several = several.filter(pl.col("_source").min().over("_subject") != pl.col("_source").max().over("_subject"))
    several = several.filter(pl.col("_voice").n_unique().over(subject) > 1)
    return _described(several, table) if not several.is_empty() else None


def _best_of_other_sources(rows: pl.DataFrame, keys: list[str], column: str, lowest: bool, name: str) -> pl.DataFrame:
    """Per subject, the best `column` of the best two voices (value, row id, voice), as one row per subject."""
    ordered = rows.select(*keys, "_voice", "id", column).sort([column, "id"], descending=[not lowest, False], nulls_last=True)
    per_voice = ordered.group_by([*keys, "_voice"], maintain_order=True).first()
    ranked = per_voice.with_columns(pl.int_range(pl.len()).over(keys).alias("_rank")).filter(pl.col("_rank") < 2)
    first = ranked.filter(pl.col("_rank") == 0).drop("_rank").rename({column: f"{name}_1", "id": f"{name}_id_1", "_voice": f"{name}_src_1"})
    second = ranked.filter(pl.col("_rank") == 1).drop("_rank").rename({column: f"{name}_2", "id": f"{name}_id_2", "_voice": f"{name}_src_2"})
    return first.join(second, on=keys, how="left", nulls_equal=True)


def _pick(name: str) -> list[pl.Expr]:
    """The best bound of a voice other than the row's own: the first unless it is the row's voice."""
    own = pl.col(f"{name}_src_1") == pl.col("_voice")
    return [pl.when(own).then(pl.col(f"{name}_{part}2")).otherwise(pl.col(f"{name}_{part}1")).alias(f"{name}{suffix}")
            for part, suffix in (("", ""), ("id_", "_id"), ("src_", "_src"))]


def envelope(rows: pl.DataFrame, keys: list[str], others: pl.DataFrame | None = None) -> pl.DataFrame:
    """Each row with the tightest bounds that rows of other sources on its subject set.

    `others` (default: `rows`) are the rows whose bounds count, e.g. only primary records.
    Adds per row: `min_hi_tolerant`, `min_hi`, `max_lo_tolerant`, `max_lo`, each with `_id` and `_src`.
    """
    others = rows if others is None else others
    wanted = [("min_hi_tolerant", "hi_tolerant", True), ("min_hi", "hi", True),
              ("max_lo_tolerant", "lo_tolerant", False), ("max_lo", "lo", False)]
    subjects = None
    for name, column, lowest in wanted:
        best = _best_of_other_sources(others, keys, column, lowest, name)
        subjects = best if subjects is None else subjects.join(best, on=keys, how="full", coalesce=True, nulls_equal=True)
    joined = rows.join(subjects, on=keys, how="left", nulls_equal=True)
    return joined.select(*rows.columns, *[e for name, _, _ in wanted for e in _pick(name)])


def _conflict_with(row_is_approx: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    """Whether a row lies above or below what other sources allow, given the envelope columns."""
    widen = 1 + APPROX_TOLERANCE
    above = pl.when(row_is_approx).then(pl.col("lo") > pl.col("min_hi") * widen).otherwise(pl.col("lo") > pl.col("min_hi_tolerant"))
    below = pl.when(row_is_approx).then(pl.col("hi") * widen < pl.col("max_lo")).otherwise(pl.col("hi") < pl.col("max_lo_tolerant"))
    return above.fill_null(False), below.fill_null(False)


def _disagreements_in(rows: pl.DataFrame, table: str, others: pl.DataFrame | None = None) -> pl.DataFrame:
    keys = list(SUBJECT[table])
    checked = envelope(rows, keys, others)
    above, below = _conflict_with(pl.col("approx"))
    related = pl.when(above).then(pl.col("min_hi_id")).otherwise(pl.col("max_lo_id"))
    lookup = (rows if others is None else others).select(
        pl.col("id").alias("related"), pl.col("source_id").alias("related_source"),
        pl.col("qualifier").alias("related_qualifier"), pl.col("value").alias("related_value"), pl.col("approx").alias("_related_approx"))
    found = checked.filter(above | below).with_columns(related.alias("related")).join(lookup, on="related", how="left")
    biggest = pl.max_horizontal("value", "related_value")
    return found.select(
        pl.lit(table).alias("table"), "subject", pl.col("id").alias("row_id"), pl.col(LINE).alias("line"), "source_id", "qualifier",
        "value", "related", "related_source", "related_qualifier", "related_value",
        pl.when(biggest > 0).then((pl.col("value") - pl.col("related_value")).abs() / biggest).otherwise(0.0).alias("relative_difference"),
        pl.when(pl.col("approx") | pl.col("_related_approx")).then(APPROX_TOLERANCE).otherwise(RELATIVE_TOLERANCE).alias("tolerance"),
    )


def disagreements(frames: dict[str, pl.DataFrame], cache: dict | None = None) -> pl.DataFrame:
    """One row per figure that conflicts with a figure of another source on its subject, naming that figure."""
    out = [pl.DataFrame(schema=DISAGREEMENT_SCHEMA)]
    for table in SUBJECT:
        shared = _shared(frames, table, cache)
        if shared is not None:
            out.append(_disagreements_in(shared, table).cast(DISAGREEMENT_SCHEMA))
    return pl.concat(out).sort("table", "subject", "row_id")


def subjects(frames: dict[str, pl.DataFrame], cache: dict | None = None) -> pl.DataFrame:
    """Every subject that more than one source speaks to: its distinct figures, range and verdict."""
    cache = {} if cache is None else cache
    conflicting = disagreements(frames, cache).select("table", pl.col("row_id").alias("id"), pl.lit(True).alias("_conflict"))
    out = []
    for table in SUBJECT:
        shared = _shared(frames, table, cache)
        if shared is None:
            continue
        shared = shared.with_columns(pl.lit(table).alias("table"))
        marked = shared.join(conflicting, on=["table", "id"], how="left")
        text = pl.concat_str([pl.col("qualifier"), figure(pl.col("value"))], separator=" ")
        out.append(marked.sort("id").group_by("table", "subject", maintain_order=True).agg(
            pl.col("_voice").n_unique().alias("sources"), pl.len().alias("rows"),
            pl.col("value").min().alias("min"), pl.col("value").max().alias("max"),
            text.unique(maintain_order=True).str.join(", ").alias("figures"),
            pl.col("id").head(20).str.join(", ").alias("row_ids"),
            pl.when(pl.col("_conflict").any()).then(pl.lit("conflict")).otherwise(pl.lit("corroborated")).alias("verdict")))
    if not out:
        return pl.DataFrame(schema={"table": pl.String, "subject": pl.String, "sources": pl.UInt32, "rows": pl.UInt32,
                                    "min": pl.Float64, "max": pl.Float64, "figures": pl.String, "row_ids": pl.String, "verdict": pl.String})
    return pl.concat(out).sort("table", "subject")


REVISION_SCHEMA = {"table": pl.String, "subject": pl.String, "series": pl.String, "row_id": pl.String, "source_id": pl.String,
                   "qualifier": pl.String, "value": pl.Float64, "revised_in": pl.String, "revised_row": pl.String,
                   "revised_qualifier": pl.String, "revised_value": pl.Float64, "difference_pct": pl.Float64}


def revisions(frames: dict[str, pl.DataFrame], cache: dict | None = None) -> pl.DataFrame:
    """Figures a later edition of the same series gives differently (beyond tolerance), each set
    against the latest edition's figure: the older row is superseded, the report lists the revision."""
    out = [pl.DataFrame(schema=REVISION_SCHEMA)]
    for table in SUBJECT:
        rows = _raw(frames, table, cache)
        if rows is None or rows.is_empty() or rows["_edition"].is_null().all():
            continue
        keys = [*SUBJECT[table], "_voice"]
        several = rows.filter(pl.col("_edition").is_not_null()).filter(pl.col("_edition").n_unique().over(keys) > 1)
        if several.is_empty():
            continue
        several = _described(several, table)
        latest = several.filter(pl.col("_edition") == pl.col("_edition").max().over(keys)).sort("id").group_by(keys, maintain_order=True).first()
        newer = latest.select(*keys, pl.col("id").alias("_new_id"), pl.col("source_id").alias("_new_source"), pl.col("qualifier").alias("_new_q"),
                              pl.col("value").alias("_new_v"), pl.col("lo").alias("_lo_b"), pl.col("hi").alias("_hi_b"),
                              pl.col("approx").alias("_approx_b"), pl.col("_edition").alias("_new_edition"))
        older = several.join(newer, on=keys, nulls_equal=True).filter(pl.col("_edition") < pl.col("_new_edition"))
        tol = pl.when(pl.col("approx") | pl.col("_approx_b")).then(APPROX_TOLERANCE).otherwise(RELATIVE_TOLERANCE)
        agree = (pl.col("lo") <= pl.col("_hi_b") * (1 + tol)) & (pl.col("_lo_b") <= pl.col("hi") * (1 + tol))
        biggest = pl.max_horizontal("value", "_new_v")
        out.append(older.filter(~agree).select(
            pl.lit(table).alias("table"), "subject", pl.col("_voice").alias("series"), pl.col("id").alias("row_id"), "source_id", "qualifier",
            "value", pl.col("_new_source").alias("revised_in"), pl.col("_new_id").alias("revised_row"), pl.col("_new_q").alias("revised_qualifier"),
            pl.col("_new_v").alias("revised_value"),
            pl.when(biggest > 0).then(((pl.col("_new_v") - pl.col("value")) / biggest * 100).round(1)).otherwise(0.0).alias("difference_pct")
        ).cast(REVISION_SCHEMA))
    return pl.concat(out).sort("table", "subject", "row_id")


def duplicates(frames: dict[str, pl.DataFrame], cache: dict | None = None) -> pl.DataFrame:
    """Rows that repeat another row's source, subject, qualifier and value under a new id: a figure entered twice."""
    out = []
    for table in SUBJECT:
        rows = _raw(frames, table, cache, undated=True)
        if rows is None or rows.is_empty():
            continue
        same = [*SUBJECT[table], "source_id", "qualifier", "value"]
        repeated = _repeated(rows, same, ["_subject", "_source", "qualifier", "value"])
        if repeated.is_empty():
            continue
        first = pl.col("id").min().over(same)
        found = _described(repeated, table).with_columns(first.alias("related")).filter(pl.col("id") != pl.col("related"))
        out.append(found.select(pl.lit(table).alias("table"), pl.col("id").alias("row_id"), pl.col(LINE).alias("line"),
                                "subject", "source_id", "qualifier", "value", "related"))
    return pl.concat(out) if out else pl.DataFrame()


SHARE_SCHEMA = {
    "table": pl.String, "row_id": pl.String, "line": pl.Int64, "source_id": pl.String,
    "stated_pct": pl.Float64, "quantity": pl.Float64, "world_row": pl.String, "world_source": pl.String,
    "world_quantity": pl.Float64, "world_totals": pl.UInt32, "computed_pct": pl.Float64, "difference_pp": pl.Float64,
    "verdict": pl.String,
}


def stated_vs_computed(frames: dict[str, pl.DataFrame]) -> pl.DataFrame:
    """Each stated share of world against quantity ÷ world total, for the world total that differs most.

    quantity ÷ total falls as the total grows, so among all world totals of the same year (and
    product or scope) only the smallest and largest can give the largest difference: each stated
    share is compared with those two, whatever the number of world rows. Figures are taken as
    given (a lower bound counts at its value), as the sources do when they state both.
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
        world = frame.join(world_ids, on="entity_id", how="semi").filter(pl.col("quantity") > 0)
        if stated.is_empty() or world.is_empty():
            continue
        ends = []
        for end, descending in (("smallest", False), ("largest", True)):
            ends.append(world.sort(["quantity", "id"], descending=[descending, False]).group_by(list(keys), maintain_order=True).agg(
                pl.col("id").first().alias("world_row"), pl.col("source_id").first().alias("world_source"),
                pl.col("quantity").first().cast(pl.Float64).alias("world_quantity"), pl.len().alias("world_totals")))
        candidates = pl.concat([stated.join(e, on=list(keys), nulls_equal=True) for e in ends])
        if candidates.is_empty():
            continue
        computed = pl.col("quantity") / pl.col("world_quantity") * 100
        scored = candidates.with_columns(computed.alias("computed_pct"), (pl.col("share_of_world_pct") - computed).alias("difference_pp"))
        worst = scored.sort(pl.col("difference_pp").abs(), "world_row", descending=[True, False]).group_by("id", maintain_order=True).first()
        out.append(worst.select(
            pl.lit(table).alias("table"), pl.col("id").alias("row_id"), pl.col(LINE).alias("line"), "source_id",
            pl.col("share_of_world_pct").cast(pl.Float64).alias("stated_pct"), pl.col("quantity").cast(pl.Float64),
            "world_row", "world_source", "world_quantity", pl.col("world_totals").cast(pl.UInt32), "computed_pct", "difference_pp",
        ).with_columns(
            pl.when(pl.col("difference_pp").abs() <= SHARE_TOLERANCE_PP).then(pl.lit("agrees"))
            .otherwise(pl.lit("disagrees")).alias("verdict")))
    return pl.concat(out).sort("table", "row_id")


COMPUTED_SCHEMA = {"source_id": pl.String, "year": pl.Int64, "entity_id": pl.String, "quantity": pl.Float64,
                   "world_quantity": pl.Float64, "share_pct": pl.Float64}


PAIRED_SCHEMA = {"id": pl.String, "world_id": pl.String, "source_id": pl.String, "year": pl.Int64, "product": pl.String,
                 "unit": pl.String, "entity_id": pl.String, "qualifier": pl.String, "quantity": pl.Float64, "world_quantity": pl.Float64}


def country_and_world(frames: dict[str, pl.DataFrame]) -> pl.DataFrame:
    """Each country's production row beside the world row of the same source, year, product and unit (the
    first by id where a source gives two): what a share of world production is computed from."""
    entities, production = frames.get("entities"), frames.get("production")
    if entities is None or production is None:
        return pl.DataFrame(schema=PAIRED_SCHEMA)
    kinds = entities.select(pl.col("id").alias("entity_id"), pl.col("kind"))
    keys = ["source_id", *SHARE_OF_WORLD["production"]]
    rows = production.join(kinds, on="entity_id")
    world = (rows.filter(pl.col("kind") == "world", pl.col("quantity") > 0).sort("id")
             .group_by(keys, maintain_order=True).agg(pl.col("id").first().alias("world_id"),
                                                      pl.col("quantity").first().alias("world_quantity")))
    countries = rows.filter(pl.col("kind") == "country", pl.col("unit") != "USD")
    return (countries.join(world, on=keys, nulls_equal=True)
            .select("id", "world_id", "source_id", "year", "product", "unit", "entity_id", "qualifier",
                    pl.col("quantity").cast(pl.Float64), pl.col("world_quantity").cast(pl.Float64)))


def computed_shares(frames: dict[str, pl.DataFrame]) -> pl.DataFrame:
    """Each country's share of world mine production, from one source's own country and world rows."""
    return (country_and_world(frames)
            .select("source_id", "year", "entity_id", "quantity", "world_quantity",
                    (pl.col("quantity") / pl.col("world_quantity") * 100).round(2).alias("share_pct"))
            .cast(COMPUTED_SCHEMA)
            .sort(["source_id", "year", "share_pct"], descending=[False, False, True]))


MINING_SCHEMA = {"row_id": pl.String, "line": pl.Int64, "entity_id": pl.String, "year": pl.Int64, "stated": pl.String,
                 "stated_pct": pl.Float64, "compared_year": pl.Int64, "computed_min_pct": pl.Float64, "computed_max_pct": pl.Float64,
                 "editions": pl.String, "verdict": pl.String}


def mining_shares(frames: dict[str, pl.DataFrame]) -> pl.DataFrame:
    """Stated shares of mining (capacity_shares, stage mining) against the shares computed from each
    source's own country and world production. A row without a year is set against the latest year
    the statistics cover, and its verdict says only 'no year': it cannot be held to any one year."""
    shares, stated = computed_shares(frames), frames.get("capacity_shares")
    if stated is None or shares.is_empty():
        return pl.DataFrame(schema=MINING_SCHEMA)
    stated = stated.filter(pl.col("stage") == "mining")
    # the statistics count all rare earths mined: a share of magnet rare earths, or a projection, is another subject
    if "scope" in stated.columns:
        stated = stated.filter(pl.col("scope") == "all_rare_earths", pl.col("figure_kind") != "projection")
    latest = shares.group_by("entity_id").agg(pl.col("year").max().alias("_latest"))
    stated = stated.join(latest, on="entity_id", how="left").with_columns(pl.coalesce("year", "_latest").alias("compared_year"))
    ranges = (shares.group_by("entity_id", pl.col("year").alias("compared_year"))
              .agg(pl.col("share_pct").min().alias("computed_min_pct"), pl.col("share_pct").max().alias("computed_max_pct"),
                   pl.col("source_id").unique().sort().str.join(", ").alias("editions")))
    joined = stated.join(ranges, on=["entity_id", "compared_year"], how="inner")
    lo, hi = bounds.lower("share_pct"), bounds.upper("share_pct")
    agrees = (lo <= pl.col("computed_max_pct") + SHARE_TOLERANCE_PP) & (hi >= pl.col("computed_min_pct") - SHARE_TOLERANCE_PP)
    return joined.select(
        pl.col("id").alias("row_id"), pl.col(LINE).alias("line"), "entity_id", "year",
        pl.concat_str([pl.col("qualifier"), figure(pl.col("share_pct"))], separator=" ").alias("stated"), pl.col("share_pct").cast(pl.Float64).alias("stated_pct"),
        "compared_year", "computed_min_pct", "computed_max_pct", "editions",
        pl.when(pl.col("year").is_null()).then(pl.lit("no year")).when(agrees).then(pl.lit("agrees")).otherwise(pl.lit("disagrees")).alias("verdict"),
    ).cast(MINING_SCHEMA).sort("row_id")


def news_against_primary(frames: dict[str, pl.DataFrame]) -> pl.DataFrame:
    """Each news figure that a primary record also gives: corroborated or not, and by which primary row.

    A news figure is held to the envelope of the primary records on its subject; the primary row
    named is the one holding a violated bound, or else the one nearest to the news figure.
    """
    sources = frames.get("sources")
    columns = ["table", "subject", "news_row", "news_source", "news_value", "primary_row", "primary_source", "primary_value",
               "tolerance_pct", "verdict"]
    empty = pl.DataFrame(schema={c: pl.Float64 if c == "tolerance_pct" else pl.String for c in columns})
    if sources is None:
        return empty
    kinds = sources.select(pl.col("id").alias("source_id"), "kind")
    out = [empty]
    for table in SUBJECT:
        rows = figures(frames, table)
        if rows is None or rows.is_empty():
            continue
        rows = rows.join(kinds, on="source_id", how="left")
        news = rows.filter(pl.col("kind") == "news_summary")
        primary = rows.filter(pl.col("kind").is_in(PRIMARY_KINDS))
        keys = list(SUBJECT[table])
        news = news.join(primary.select(keys).unique(), on=keys, how="semi", nulls_equal=True)
        if news.is_empty():
            continue
        checked = envelope(news, keys, primary)
        above, below = _conflict_with(pl.col("approx"))
        # nearest primary figure: of the lowest upper and the highest lower bound, the one closer to the news figure
        nearest = pl.when((pl.col("min_hi") - pl.col("value")).abs() <= (pl.col("value") - pl.col("max_lo")).abs()) \
            .then(pl.col("min_hi_id")).otherwise(pl.col("max_lo_id"))
        named = checked.with_columns(
            pl.when(above).then(pl.col("min_hi_id")).when(below).then(pl.col("max_lo_id")).otherwise(nearest).alias("primary_row"),
            pl.when(above | below).then(pl.lit("conflict")).otherwise(pl.lit("corroborated")).alias("verdict"))
        lookup = primary.select(pl.col("id").alias("primary_row"), pl.col("source_id").alias("primary_source"),
                                pl.col("qualifier").alias("_pq"), pl.col("value").alias("_pv"), pl.col("approx").alias("_papprox"))
        joined = named.join(lookup, on="primary_row", how="left")
        out.append(joined.select(
            pl.lit(table).alias("table"), "subject", pl.col("id").alias("news_row"), pl.col("source_id").alias("news_source"),
            pl.concat_str([pl.col("qualifier"), figure(pl.col("value"))], separator=" ").alias("news_value"),
            "primary_row", "primary_source", pl.concat_str([pl.col("_pq"), figure(pl.col("_pv"))], separator=" ").alias("primary_value"),
            (pl.when(pl.col("approx") | pl.col("_papprox")).then(APPROX_TOLERANCE).otherwise(RELATIVE_TOLERANCE) * 100).alias("tolerance_pct"),
            "verdict"))
    return pl.concat(out).sort("table", "news_row")
