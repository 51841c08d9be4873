"""The rules catalogue: every check with a stable id, a severity, a description and a tolerance.

Field-level rules come from the Table Schemas (and are run through pandera or the reader);
row-level and cross-table rules are functions from typed frames to the rows that break them,
written as polars expressions, joins and window sums — never a Python loop over rows.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import polars as pl

from rare_earth_supply.rules import bounds, consistency
from rare_earth_supply.problems import ERROR, WARNING
from rare_earth_supply.read.csvfile import LINE
from rare_earth_supply.rules.roles import DATE_COLUMNS, ENTITY_ROLES, FACT_TABLES, SHARE_OF_WORLD, VALUE_COLUMN, YEAR_COLUMNS
from rare_earth_supply.rules.vocabularies import ISO_4217

HIT_SCHEMA = {"table": pl.String, "row_id": pl.String, "line": pl.Int64, "column": pl.String,
              "value": pl.String, "message": pl.String, "related": pl.String}


@dataclass(frozen=True)
class Context:
    """Typed frames (each with its `_line` column) of the readable tables, and every table's Table Schema."""

    frames: dict[str, pl.DataFrame]
    schemas: dict[str, dict]


Check = Callable[[Context], pl.DataFrame]


@dataclass(frozen=True)
class Rule:
    id: str
    severity: str
    level: str  # file, field, row or cross-table
    description: str
    tolerance: str | None = None
    check: Check | None = None  # None: enforced by the reader or the derived pandera schema
    needs: tuple[str, ...] = ()  # tables the check reads; skipped when one is unreadable


def hits(frame: pl.DataFrame, table: str, column: str | None, mask: pl.Expr, value: pl.Expr, message: pl.Expr,
         related: pl.Expr | None = None) -> pl.DataFrame:
    """Rows of `frame` where `mask` holds, in the shape every rule returns."""
    return frame.filter(mask).select(
        pl.lit(table).alias("table"), pl.col("id").cast(pl.String).alias("row_id"), pl.col(LINE).alias("line"),
        pl.lit(column, dtype=pl.String).alias("column"), value.cast(pl.String).alias("value"),
        message.cast(pl.String).alias("message"),
        (related if related is not None else pl.lit(None)).cast(pl.String).alias("related"),
    )


def _concat(parts: list[pl.DataFrame]) -> pl.DataFrame:
    return pl.concat([pl.DataFrame(schema=HIT_SCHEMA), *parts]) if parts else pl.DataFrame(schema=HIT_SCHEMA)


def _present(ctx: Context, tables) -> list[str]:
    return [t for t in tables if t in ctx.frames]


# ---- cross-table: keys ------------------------------------------------------------------

def check_foreign_keys(ctx: Context) -> pl.DataFrame:
    parts = []
    for table, schema in ctx.schemas.items():
        if table not in ctx.frames:
            continue
        for fk in schema.get("foreignKeys", []):
            fields = fk["fields"] if isinstance(fk["fields"], list) else [fk["fields"]]
            ref = fk["reference"]
            ref_table = ref.get("resource") or table
            ref_fields = ref["fields"] if isinstance(ref["fields"], list) else [ref["fields"]]
            if ref_table not in ctx.frames:
                continue
            target = ctx.frames[ref_table].select([pl.col(r).alias(f) for r, f in zip(ref_fields, fields)]).drop_nulls().unique()
            child = ctx.frames[table].drop_nulls(fields).join(target, on=fields, how="anti")
            label = ", ".join(fields)
            parts.append(hits(child, table, label, pl.lit(True), pl.concat_str([pl.col(f).cast(pl.String) for f in fields], separator=", "),
                              pl.format(f"{{}} is not an id in {ref_table}.{', '.join(ref_fields)}",
                                        pl.concat_str([pl.col(f).cast(pl.String) for f in fields], separator=", "))))
    return _concat(parts)


# ---- row level --------------------------------------------------------------------------

def _string_columns(ctx: Context, table: str) -> list[str]:
    """Text columns of a readable table."""
    return [f["name"] for f in ctx.schemas[table]["fields"] if f.get("type", "string") == "string"]


def _text_hits(ctx: Context, mask, message: str) -> pl.DataFrame:
    """Text cells where `mask(column)` holds, all columns of a table evaluated in one parallel pass."""
    parts = []
    for table, frame in ctx.frames.items():
        columns = _string_columns(ctx, table)
        flagged = frame.select([mask(pl.col(c)).fill_null(False).any().alias(c) for c in columns]).row(0, named=True)
        parts += [hits(frame, table, c, mask(pl.col(c)).fill_null(False), pl.col(c), pl.lit(message)) for c in columns if flagged[c]]
    return _concat(parts)


def check_text_formula(ctx: Context) -> pl.DataFrame:
    return _text_hits(ctx, lambda col: col.str.contains(r"^[=+\-@]"),
                      "begins with = + - or @, which spreadsheets run as a formula")


def check_text_whitespace(ctx: Context) -> pl.DataFrame:
    return _text_hits(ctx, lambda col: col.str.contains(r"^\s|\s$|[\n\r\t]"),
                      "has leading or trailing whitespace or a line break")


def check_currency(ctx: Context) -> pl.DataFrame:
    frame = ctx.frames["investments"]
    return hits(frame, "investments", "currency", pl.col("currency").is_not_null() & ~pl.col("currency").is_in(sorted(ISO_4217)),
                pl.col("currency"), pl.format("{} is not an ISO 4217 currency code", pl.col("currency")))


def check_amount_currency(ctx: Context) -> pl.DataFrame:
    frame = ctx.frames["investments"]
    return hits(frame, "investments", "currency", pl.col("amount").is_not_null() & pl.col("currency").is_null(), pl.col("amount"),
                pl.lit("an amount needs its currency"))


def check_period_order(ctx: Context) -> pl.DataFrame:
    frame = ctx.frames["trade"]
    return hits(frame, "trade", "period_end", (pl.col("period_end") < pl.col("period_start")).fill_null(False), pl.col("period_end"),
                pl.format("the period ends ({}) before it starts ({})", pl.col("period_end"), pl.col("period_start")))


def _percent(table: str) -> pl.Expr | None:
    """True where the row's value column is a percentage."""
    if table == "capacity_shares":
        return pl.lit(True)
    if table in ("costs", "technology", "deal_terms", "trade"):
        return pl.col("unit").str.starts_with("pct")
    return None


def check_qualifier(ctx: Context) -> pl.DataFrame:
    parts = []
    for table in _present(ctx, FACT_TABLES):
        value = VALUE_COLUMN[table]
        col, qual = pl.col(value), pl.col("qualifier")
        impossible = (qual == "lt") & (col <= 0)
        percent = _percent(table)
        if percent is not None:
            impossible = impossible | (percent & (((qual == "gt") & (col >= 100)) | ((qual == "ge") & (col > 100))))
        parts.append(hits(ctx.frames[table], table, value, impossible.fill_null(False), col,
                          pl.format("qualifier {} cannot hold for the value {}", qual, col)))
    return _concat(parts)


def _source_year(ctx: Context) -> pl.DataFrame:
    return ctx.frames["sources"].select(pl.col("id").alias("source_id"), pl.col("published").alias("_published"))


def check_event_after_source(ctx: Context) -> pl.DataFrame:
    published = _source_year(ctx)
    parts = []
    for table in _present(ctx, FACT_TABLES):
        frame = ctx.frames[table].join(published, on="source_id", how="left")
        if table in YEAR_COLUMNS:
            column = YEAR_COLUMNS[table]
            late = pl.col(column) > pl.col("_published").dt.year()
        elif table in DATE_COLUMNS:
            column = DATE_COLUMNS[table]
            late = pl.col(column) > pl.col("_published")
        elif table == "timeline":  # a plan or expectation may lie after the source's date
            column = "value"
            late = (pl.col("unit").is_in(["year", "decade"]) & ~pl.col("expected").fill_null(False)
                    & (pl.col("value") > pl.col("_published").dt.year()))
        else:
            continue
        parts.append(hits(frame, table, column, late.fill_null(False), pl.col(column),
                          pl.format("dated after its source was published ({})", pl.col("_published"))))
    return _concat(parts)


def check_locator(ctx: Context) -> pl.DataFrame:
    news = ctx.frames["sources"].filter(pl.col("kind") == "news_summary").select(pl.col("id").alias("source_id"))
    parts = []
    for table in _present(ctx, FACT_TABLES):
        frame = ctx.frames[table].join(news, on="source_id", how="semi")
        parts.append(hits(frame, table, "locator", ~pl.col("locator").str.contains(r"^((\[[0-9]+\])+|title)$"),
                          pl.col("locator"), pl.lit("a news summary is cited by reference marks such as [3][5], or 'title'")))
    return _concat(parts)


def _kinds(ctx: Context) -> pl.DataFrame:
    return ctx.frames["entities"].select("id", "kind", "country")


def check_entity_roles(ctx: Context) -> pl.DataFrame:
    kinds = _kinds(ctx)
    parts = []
    for (table, column), allowed in ENTITY_ROLES.items():
        if table not in ctx.frames:
            continue
        # the entities that may not play this role are few: look them up instead of joining every row
        wrong = kinds.filter(~pl.col("kind").is_in(sorted(allowed)))
        if wrong.is_empty():
            continue
        kind_of = pl.col(column).replace_strict(wrong["id"], wrong["kind"], default=None)
        parts.append(hits(ctx.frames[table], table, column, pl.col(column).is_in(wrong["id"].implode()), pl.col(column),
                          pl.format(f"entity {{}} is a {{}}; {column} must be one of: {', '.join(sorted(allowed))}", pl.col(column), kind_of)))
    return _concat(parts)


def check_entity_parent(ctx: Context) -> pl.DataFrame:
    entities = ctx.frames["entities"]
    parents = entities.select(pl.col("id").alias("parent_id"), pl.col("kind").alias("_parent_kind"))
    frame = entities.join(parents, on="parent_id", how="left")
    kind, parent = pl.col("kind"), pl.col("_parent_kind")
    problems = [
        ((kind == "facility") & (parent != "company").fill_null(True), "parent_id", "a facility needs a parent_id that is a company (its operator)"),
        ((kind == "government_body") & pl.col("parent_id").is_not_null() & (parent != "country"), "parent_id", "a government body's parent must be a country"),
        ((kind == "country") & pl.col("country").is_null(), "country", "a country needs its ISO 3166-1 alpha-2 code"),
        (kind.is_in(["world", "region"]) & pl.col("country").is_not_null(), "country", "the world and regions have no country code"),
        (pl.col("parent_id") == pl.col("id"), "parent_id", "an entity cannot be its own parent"),
    ]
    return _concat([hits(frame, "entities", column, mask.fill_null(False), pl.col(column), pl.lit(message))
                    for mask, column, message in problems])


# ---- cross-table: sums and bounds -------------------------------------------------------

SHARE_SUM_TOLERANCE_PP = 1.0
ROUNDING_TOLERANCE = 0.02  # published totals and estimates are rounded


def check_share_sum(ctx: Context) -> pl.DataFrame:
    """Per stage, measure and year, the lowest share each country is given must fit in 100%."""
    countries = ctx.frames["entities"].filter(pl.col("kind") == "country").select(pl.col("id").alias("entity_id"))
    frame = ctx.frames["capacity_shares"].join(countries, on="entity_id", how="semi")
    group = ["stage", "measure", "year"]
    per_entity = bounds.lower("share_pct").min().over([*group, "entity_id"])
    first_of_entity = pl.col("id") == pl.col("id").min().over([*group, "entity_id"])
    total = pl.when(first_of_entity).then(per_entity).otherwise(0.0).sum().over(group)
    frame = frame.with_columns(total.alias("_total"))
    return hits(frame, "capacity_shares", "share_pct", pl.col("_total") > 100 + SHARE_SUM_TOLERANCE_PP, pl.col("share_pct"),
                pl.format("countries' shares of {} / {} / year {} add to at least {}%", pl.col("stage"), pl.col("measure"),
                          pl.col("year").cast(pl.String).fill_null("unstated"), pl.col("_total").round(1)))


def _within(ctx: Context, table: str, keys: tuple[str, ...]) -> pl.DataFrame:
    """A facility's figure may not exceed the largest figure given for its country (beyond rounding)."""
    entities = ctx.frames["entities"]
    facilities = entities.filter(pl.col("kind") == "facility").select(pl.col("id").alias("entity_id"), pl.col("country").alias("_iso"))
    countries = entities.filter(pl.col("kind") == "country").select(pl.col("id").alias("_country_id"), pl.col("country").alias("_iso"))
    frame = ctx.frames[table]
    country_max = (frame.join(countries.rename({"_country_id": "entity_id"}), on="entity_id")
                   .group_by(["_iso", *keys]).agg(bounds.upper("quantity").max().alias("_country_hi")))
    joined = frame.join(facilities, on="entity_id").join(country_max, on=["_iso", *keys], nulls_equal=True)
    return hits(joined, table, "quantity", bounds.lower("quantity") > pl.col("_country_hi") * (1 + ROUNDING_TOLERANCE), pl.col("quantity"),
                pl.format("facility figure exceeds every figure for its country {} ({})", pl.col("_iso"), pl.col("_country_hi")))


def check_facility_within_country(ctx: Context) -> pl.DataFrame:
    return _concat([_within(ctx, t, keys) for t, keys in SHARE_OF_WORLD.items() if t in ctx.frames])


def check_countries_within_world(ctx: Context) -> pl.DataFrame:
    """Per source and year, countries' quantities summed may not exceed that source's world total."""
    kinds = _kinds(ctx).select(pl.col("id").alias("entity_id"), pl.col("kind").alias("_kind"))
    parts = []
    for table, keys in SHARE_OF_WORLD.items():
        if table not in ctx.frames:
            continue
        frame = ctx.frames[table].join(kinds, on="entity_id")
        group = ["source_id", *keys]
        country_sum = (frame.filter(pl.col("_kind") == "country").group_by(group)
                       .agg(bounds.lower("quantity").sum().alias("_countries"), pl.len().alias("_n")))
        world = frame.filter(pl.col("_kind") == "world").join(country_sum, on=group, nulls_equal=True)
        tolerance = pl.when(pl.col("qualifier") == "approx").then(consistency.APPROX_TOLERANCE).otherwise(ROUNDING_TOLERANCE)
        parts.append(hits(world, table, "quantity",
                          pl.col("_countries") > bounds.upper("quantity") * (1 + tolerance), pl.col("quantity"),
                          pl.format("the {} countries of this source add to {}, more than this world total allows",
                                    pl.col("_n"), pl.col("_countries"))))
    return _concat(parts)


def check_errata_references(ctx: Context) -> pl.DataFrame:
    """An erratum names an existing table, existing rows of it, a catalogued rule and existing sources."""
    errata = ctx.frames["errata"]
    named = set(errata["table"].drop_nulls())
    ids = pl.concat([pl.DataFrame(schema={"table": pl.String, "_row": pl.String})]
                    + [ctx.frames[t].select(pl.lit(t).alias("table"), pl.col("id").cast(pl.String).alias("_row"))
                       for t in ctx.frames if t in named and "id" in ctx.frames[t].columns])
    rows = errata.select("id", LINE, "table", pl.col("row_ids").str.split("|").alias("_row")).explode("_row")
    missing_rows = rows.join(ids, on=["table", "_row"], how="anti").group_by("id", LINE, "table").agg(pl.col("_row").sort())
    sources = ctx.frames["sources"].select(pl.col("id").alias("_source"))
    evidence = errata.select("id", LINE, pl.col("evidence").str.split("|").alias("_source")).explode("_source")
    missing_sources = evidence.join(sources, on="_source", how="anti").group_by("id", LINE).agg(pl.col("_source").sort())
    return _concat([
        hits(errata, "errata", "table", ~pl.col("table").is_in(sorted(ctx.schemas)), pl.col("table"), pl.format("no table {}", pl.col("table"))),
        hits(missing_rows.filter(pl.col("table").is_in(sorted(ctx.frames))), "errata", "row_ids", pl.lit(True), pl.col("_row").list.join("|"),
             pl.format("no row(s) {} in {}", pl.col("_row").list.join(", "), pl.col("table"))),
        hits(errata, "errata", "rule", pl.col("rule").is_not_null() & ~pl.col("rule").is_in(sorted(RULES)), pl.col("rule"),
             pl.format("no rule {} in the catalogue", pl.col("rule"))),
        hits(missing_sources, "errata", "evidence", pl.lit(True), pl.col("_source").list.join("|"),
             pl.format("no source(s) {}", pl.col("_source").list.join(", "))),
    ])


# ---- warnings ---------------------------------------------------------------------------

def check_share_vs_computed(ctx: Context) -> pl.DataFrame:
    shares = consistency.stated_vs_computed(ctx.frames).filter(pl.col("verdict") == "disagrees")
    return shares.select(
        "table", "row_id", "line", pl.lit("share_of_world_pct").alias("column"), pl.col("stated_pct").cast(pl.String).alias("value"),
        pl.format("stated {}% of world, but {} ÷ {} ({}, {}) = {}%", consistency.figure(pl.col("stated_pct")), consistency.figure(pl.col("quantity")),
                  consistency.figure(pl.col("world_quantity")), pl.col("world_row"), pl.col("world_source"), pl.col("computed_pct").round(2)).alias("message"),
        pl.col("world_row").alias("related"))


def check_sources_disagree(ctx: Context) -> pl.DataFrame:
    conflicts = consistency.pairs(ctx.frames).filter(pl.col("verdict") == "conflict")
    return conflicts.select(
        "table", pl.col("row_b").alias("row_id"), pl.col("line_b").alias("line"), pl.lit(None, dtype=pl.String).alias("column"),
        pl.col("value_b").cast(pl.String).alias("value"),
        pl.format("{} {} {} ({}) vs {} {} ({}) on {}: {}% apart", pl.col("row_b"), pl.col("qualifier_b"), consistency.figure(pl.col("value_b")),
                  pl.col("source_b"), pl.col("qualifier_a"), consistency.figure(pl.col("value_a")), pl.col("row_a"),
                  pl.col("subject"), (pl.col("relative_difference") * 100).round(1)).alias("message"),
        pl.col("row_a").alias("related"))


def check_uncited_sources(ctx: Context) -> pl.DataFrame:
    cited = pl.concat([ctx.frames[t].select("source_id") for t in _present(ctx, FACT_TABLES)]).unique()
    unused = ctx.frames["sources"].join(cited.rename({"source_id": "id"}), on="id", how="anti")
    return hits(unused, "sources", "id", pl.lit(True), pl.col("id"), pl.lit("no row of any fact table cites this source"))


CATALOGUE: tuple[Rule, ...] = (
    # file level (the reader)
    Rule("resource-missing", ERROR, "file", "The file a resource names exists and can be read."),
    Rule("resource-hash", ERROR, "file", "Where the descriptor records a file's bytes and sha256 hash (releases, installed copies), the file matches them."),
    Rule("csv-empty", ERROR, "file", "A CSV file holds at least a header row."),
    Rule("csv-encoding", ERROR, "file", "A CSV file is valid UTF-8."),
    Rule("csv-bom", ERROR, "file", "A CSV file has no byte-order mark."),
    Rule("csv-line-ending", ERROR, "file", "Lines end with LF only, so file hashes are the same on every platform."),
    Rule("csv-malformed", ERROR, "file", "Every quoted cell is closed on its line and the file parses as CSV."),
    Rule("csv-ragged", ERROR, "file", "Every row has as many cells as the header."),
    Rule("csv-header-missing", ERROR, "file", "Every field of the Table Schema is a column of the header."),
    Rule("csv-header-extra", ERROR, "file", "Every header column is a field of the Table Schema."),
    Rule("csv-header-duplicate", ERROR, "file", "No header column appears twice."),
    Rule("csv-header-order", ERROR, "file", "Header columns follow the order of the Table Schema's fields."),
    # field level (Table Schema, via the reader and pandera)
    Rule("field-type", ERROR, "field", "A cell parses as its field's Table Schema type."),
    Rule("field-required", ERROR, "field", "A required field has a value."),
    Rule("field-unique", ERROR, "field", "A unique field repeats no value (empty cells may repeat)."),
    Rule("field-minimum", ERROR, "field", "A value respects its field's minimum (or exclusive minimum): shares and quantities are not negative, amounts are positive."),
    Rule("field-maximum", ERROR, "field", "A value respects its field's maximum, e.g. a share is at most 100%."),
    Rule("field-enum", ERROR, "field", "A value is one its field allows; units, qualifiers, stages and kinds come from these vocabularies."),
    Rule("field-pattern", ERROR, "field", "A value matches its field's pattern (ids, country and currency codes, dates)."),
    Rule("field-length", ERROR, "field", "A text value respects its field's minimum and maximum length."),
    Rule("primary-key", ERROR, "field", "The primary key identifies one row."),
    Rule("foreign-key", ERROR, "cross-table", "Every reference (source_id, entity ids, parent_id) names an existing row.", check=check_foreign_keys),
    # row level
    Rule("text-formula", ERROR, "row", "No text cell begins with =, +, - or @ (spreadsheet formula injection).", check=check_text_formula),
    Rule("text-whitespace", ERROR, "row", "No text cell has leading or trailing whitespace or a line break.", check=check_text_whitespace),
    Rule("currency-iso4217", ERROR, "row", "A currency is an active ISO 4217 code.", check=check_currency, needs=("investments",)),
    Rule("amount-currency", ERROR, "row", "An investment's amount comes with its currency.", check=check_amount_currency, needs=("investments",)),
    Rule("period-order", ERROR, "row", "A period does not end before it starts.", check=check_period_order, needs=("trade",)),
    Rule("qualifier-impossible", ERROR, "row", "A qualifier can hold for its value: nothing is over 100% or under zero.", check=check_qualifier),
    Rule("event-after-source", ERROR, "cross-table", "A figure is not dated after the source that reports it was published (plans and expectations excepted).", check=check_event_after_source, needs=("sources",)),
    Rule("locator-format", ERROR, "cross-table", "A figure from a news summary is located by reference marks such as [3][5] or by 'title'.", check=check_locator, needs=("sources",)),
    Rule("entity-role", ERROR, "cross-table", "Entity kinds fit their role: reserves of a country, facility or the world; an investor is a company, government body or consortium; a recipient a company or facility.", check=check_entity_roles, needs=("entities",)),
    Rule("entity-parent", ERROR, "row", "A facility belongs to a company, a government body to a country; countries carry an ISO code, the world none.", check=check_entity_parent, needs=("entities",)),
    # cross-table errors
    Rule("share-sum", ERROR, "cross-table", "For one stage, measure and year, the shares of distinct countries add to no more than 100% (lower bounds count as given; the lowest figure per country is used).",
         f"{SHARE_SUM_TOLERANCE_PP:g} percentage point", check_share_sum, ("entities", "capacity_shares")),
    Rule("facility-within-country", ERROR, "cross-table", "A facility's reserves or output do not exceed the largest figure for its country of the same year and scope or product.",
         f"{ROUNDING_TOLERANCE:.0%} of the country figure (rounded estimates)", check_facility_within_country, ("entities",)),
    Rule("countries-within-world", ERROR, "cross-table", "Within one source, the countries' quantities of a year add to no more than that source's world total.",
         f"{ROUNDING_TOLERANCE:.0%} of the world total ({consistency.APPROX_TOLERANCE:.0%} where it is approximate)", check_countries_within_world, ("entities",)),
    # warnings
    Rule("share-stated-vs-computed", WARNING, "cross-table", "A stated share of world agrees with quantity ÷ world total for the same year.",
         f"{consistency.SHARE_TOLERANCE_PP:g} percentage point", check_share_vs_computed, ("entities",)),
    Rule("sources-disagree", WARNING, "cross-table", "Two sources on the same subject agree, their qualifiers taken as bounds.",
         f"{consistency.RELATIVE_TOLERANCE:.0%} relative ({consistency.APPROX_TOLERANCE:.0%} where either is approximate)", check_sources_disagree),
    Rule("errata-references", ERROR, "cross-table", "An erratum names an existing table, rows of it, a catalogued rule and existing sources.",
         check=check_errata_references, needs=("errata", "sources")),
    Rule("erratum-stale", WARNING, "release", "Every open erratum still describes a problem: its rule still warns on its rows, or its rows still exist. A stale erratum fails the release check."),
    Rule("source-uncited", WARNING, "cross-table", "Every source is cited by at least one row.", check=check_uncited_sources, needs=("sources",)),
)

RULES = {rule.id: rule for rule in CATALOGUE}


def catalogue_frame() -> pl.DataFrame:
    """The catalogue as a table, for `rare-earth-supply rules` and the generated docs."""
    return pl.DataFrame(
        [{"rule": r.id, "severity": r.severity, "level": r.level, "tolerance": r.tolerance or "", "description": r.description}
         for r in CATALOGUE])
