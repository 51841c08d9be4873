"""Cross-table rules that are errors: keys, entity roles, dates against sources, sums and bounds, errata references."""
from __future__ import annotations

import polars as pl

from rare_earth_supply.read.boundary import foreign_key_target
from rare_earth_supply.read.csvfile import LINE
from rare_earth_supply.rules import bounds, consistency
from rare_earth_supply.rules.base import Context, concat, distinct, hits, present
from rare_earth_supply.rules.measures import before
from rare_earth_supply.rules.roles import DATE_COLUMNS, ENTITY_ROLES, FACT_TABLES, PARTIAL_DATE_COLUMNS, SHARE_OF_WORLD, YEAR_COLUMNS


def _single_keys(ctx: Context) -> list[tuple[str, str, str, str]]:
    """(table, field, referenced table, referenced field) of every one-column foreign key between readable tables."""
    keys = []
    for table, schema in ctx.schemas.items():
        for fk in schema.get("foreignKeys", []) if table in ctx.frames else []:
            ref_table, fields, ref_fields = foreign_key_target(fk, table)
            if len(fields) == 1 and ref_table in ctx.frames:
                keys.append((table, fields[0], ref_table, ref_fields[0]))
    return keys


def _key_values(ctx: Context) -> dict[tuple[str, str], pl.Series]:
    """Distinct values of every column that names a row (foreign keys, their targets, entity roles), shared by
    foreign-key and entity-role and collected in one parallel pass."""
    columns = [pair for t, f, rt, rf in _single_keys(ctx) for pair in ((t, f), (rt, rf))] + list(ENTITY_ROLES)
    return distinct(ctx, columns)


def _values(ctx: Context, table: str, column: str) -> pl.Series:
    """One column's distinct values; a column the table lacks raises polars' ColumnNotFoundError (the rule is skipped)."""
    found = _key_values(ctx).get((table, column))
    return found if found is not None else ctx.frames[table].get_column(column)


def check_foreign_keys(ctx: Context) -> pl.DataFrame:
    """References that name no row.

    Every column that refers to the same target (all entity ids of all tables, say) is gathered
    once, deduplicated and compared with the target's ids; rows are looked at only for the
    (usually no) values found missing, so a million rows cost one hash of their distinct ids.
    """
    single: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for table, field, ref_table, ref_field in _single_keys(ctx):
        single.setdefault((ref_table, ref_field), []).append((table, field))
    parts = []
    for table, schema in ctx.schemas.items():
        for fk in schema.get("foreignKeys", []) if table in ctx.frames else []:
            ref_table, fields, ref_fields = foreign_key_target(fk, table)
            if len(fields) == 1 or ref_table not in ctx.frames:
                continue
            frame, target = ctx.frames[table], ctx.frames[ref_table]
            shown = pl.concat_str([pl.col(f).cast(pl.String) for f in fields], separator=", ")
            keys = target.select([pl.col(r).alias(f) for r, f in zip(ref_fields, fields)]).drop_nulls().unique()
            parts.append(hits(frame.drop_nulls(fields).join(keys, on=fields, how="anti"), table, ", ".join(fields), pl.lit(True), shown,
                              pl.concat_str([shown, pl.lit(f" is not an id in {ref_table}.{', '.join(ref_fields)}")])))
    for (ref_table, ref_field), users in single.items():
        known = _values(ctx, ref_table, ref_field)
        used = pl.concat([_values(ctx, *user) for user in users]).unique()
        missing = used.filter(~used.is_in(known.implode()))
        if missing.is_empty():
            continue
        for table, field in users:
            col = pl.col(field).cast(pl.String)
            parts.append(hits(ctx.frames[table], table, field, col.is_in(missing.implode()), col,
                              pl.concat_str([col, pl.lit(f" is not an id in {ref_table}.{ref_field}")])))
    return concat(parts)


def _published(ctx: Context) -> pl.Expr:
    """Each row's source publication date, looked up by source id (a duplicated source id keeps its first date)."""
    sources = ctx.frames["sources"].unique("id", keep="first", maintain_order=True)
    return pl.col("source_id").replace_strict(sources["id"], sources["published"], default=None, return_dtype=pl.Date)


def check_event_after_source(ctx: Context) -> pl.DataFrame:
    published = _published(ctx)
    parts = []
    for table in present(ctx, FACT_TABLES):
        if table in YEAR_COLUMNS:
            column = YEAR_COLUMNS[table]
            late = pl.col(column) > published.dt.year()
            if "figure_kind" in ctx.frames[table].columns:  # a projection is for a year after the source, by definition
                late = late & (pl.col("figure_kind") != "projection")
        elif table in DATE_COLUMNS:
            column = DATE_COLUMNS[table]
            late = pl.col(column) > published
        elif table in PARTIAL_DATE_COLUMNS:
            column = PARTIAL_DATE_COLUMNS[table]
            late = before(published.dt.to_string("%Y-%m-%d"), pl.col(column))
        elif table == "timeline":  # a plan or expectation may lie after the source's date
            column = "value"
            late = (pl.col("unit").is_in(["year", "decade"]) & ~pl.col("expected").fill_null(False)
                    & (pl.col("value") > published.dt.year()))
        else:
            continue
        parts.append(hits(ctx.frames[table], table, column, late.fill_null(False), pl.col(column),
                          pl.format("dated after its source was published ({})", published)))
    return concat(parts)


def check_locator(ctx: Context) -> pl.DataFrame:
    news = ctx.frames["sources"].filter(pl.col("kind") == "news_summary")["id"].implode()
    parts = []
    for table in present(ctx, FACT_TABLES):
        mask = pl.col("source_id").is_in(news) & ~pl.col("locator").str.contains(r"^((\[[0-9]+\])+|title)$")
        parts.append(hits(ctx.frames[table], table, "locator", mask.fill_null(False),
                          pl.col("locator"), pl.lit("a news summary is cited by reference marks such as [3][5], or 'title'")))
    return concat(parts)


def _ids_of(ctx: Context, kind: str) -> pl.Series:
    """Entity ids of one kind (few: countries, facilities, the world), for `is_in` lookups."""
    return ctx.frames["entities"].filter(pl.col("kind") == kind)["id"].unique()


def _kinds(ctx: Context) -> pl.DataFrame:
    return ctx.frames["entities"].select("id", "kind", "country")


def check_entity_roles(ctx: Context) -> pl.DataFrame:
    # an entity id may repeat (a duplicated row is reported by primary-key): take one kind per id
    kinds = _kinds(ctx).unique("id", keep="first").select("id", pl.col("kind").alias("_kind"))
    parts = []
    for (table, column), allowed in ENTITY_ROLES.items():
        if table not in ctx.frames:
            continue
        # the column's distinct ids first: rows are looked at only for ids of a wrong kind
        used = _values(ctx, table, column)
        kind_of = (kinds.join(used.to_frame("id"), on="id", how="semi").filter(~pl.col("_kind").is_in(sorted(allowed)))
                   .rename({"id": column}))
        if kind_of.is_empty():
            continue
        named = kind_of[column]
        flagged = ctx.frames[table].filter(pl.col(column).is_in(named.implode())).join(kind_of, on=column, how="left")
        parts.append(hits(flagged, table, column, pl.lit(True), pl.col(column),
                          pl.concat_str([pl.lit("entity "), pl.col(column), pl.lit(" is a "), pl.col("_kind"),
                                         pl.lit(f"; {column} must be one of: {', '.join(sorted(allowed))}")])))
    return concat(parts)


SHARE_SUM_TOLERANCE_PP = 1.0


ROUNDING_TOLERANCE = 0.02  # published totals and estimates are rounded


def check_share_sum(ctx: Context) -> pl.DataFrame:
    """Per stage, measure, scope, kind of figure, scenario and year, the lowest share each country is given must fit in 100%."""
    countries = ctx.frames["entities"].filter(pl.col("kind") == "country").select(pl.col("id").alias("entity_id"))
    # shares a source gives no year for need not fit together with another source's undated shares
    frame = ctx.frames["capacity_shares"].join(countries, on="entity_id", how="semi").filter(pl.col("year").is_not_null())
    group = [c for c in ("stage", "measure", "scope", "figure_kind", "scenario", "year") if c in frame.columns]
    per_entity = bounds.lower("share_pct").min().over([*group, "entity_id"])
    first_of_entity = pl.col("id") == pl.col("id").min().over([*group, "entity_id"])
    total = pl.when(first_of_entity).then(per_entity).otherwise(0.0).sum().over(group)
    frame = frame.with_columns(total.alias("_total"))
    return hits(frame, "capacity_shares", "share_pct", pl.col("_total") > 100 + SHARE_SUM_TOLERANCE_PP, pl.col("share_pct"),
                pl.format("countries' shares of {} / {} / {} / year {} add to at least {}%", pl.col("stage"), pl.col("measure"),
                          pl.col("scope") if "scope" in frame.columns else pl.lit(""),
                          pl.col("year").cast(pl.String).fill_null("unstated"), pl.col("_total").round(1)))


def _within(ctx: Context, table: str, keys: tuple[str, ...]) -> pl.DataFrame:
    """A facility's figure may not exceed the largest figure given for its country (beyond rounding)."""
    entities = ctx.frames["entities"].unique("id", keep="first", maintain_order=True)
    facilities = entities.filter(pl.col("kind") == "facility").select(pl.col("id").alias("entity_id"), pl.col("country").alias("_iso"))
    countries = entities.filter(pl.col("kind") == "country").select(pl.col("id").alias("entity_id"), pl.col("country").alias("_iso"))
    frame = ctx.frames[table]
    if facilities.is_empty():
        return concat([])
    country_max = (frame.filter(pl.col("entity_id").is_in(countries["entity_id"].implode())).join(countries, on="entity_id")
                   .group_by(["_iso", *keys]).agg(bounds.upper("quantity").max().alias("_country_hi")))
    joined = (frame.filter(pl.col("entity_id").is_in(facilities["entity_id"].implode())).join(facilities, on="entity_id")
              .join(country_max, on=["_iso", *keys], nulls_equal=True))
    return hits(joined, table, "quantity", bounds.lower("quantity") > pl.col("_country_hi") * (1 + ROUNDING_TOLERANCE), pl.col("quantity"),
                pl.format("facility figure exceeds every figure for its country {} ({})", pl.col("_iso"), pl.col("_country_hi")))


def check_facility_within_country(ctx: Context) -> pl.DataFrame:
    return concat([_within(ctx, t, keys) for t, keys in SHARE_OF_WORLD.items() if t in ctx.frames])


def check_countries_within_world(ctx: Context) -> pl.DataFrame:
    """Per source and year, countries' quantities summed may not exceed that source's world total."""
    countries, worlds = _ids_of(ctx, "country").implode(), _ids_of(ctx, "world").implode()
    parts = []
    for table, keys in SHARE_OF_WORLD.items():
        if table not in ctx.frames:
            continue
        frame = ctx.frames[table]
        group = ["source_id", *keys]
        world = frame.filter(pl.col("entity_id").is_in(worlds))
        if world.is_empty():
            continue
        country_sum = (frame.filter(pl.col("entity_id").is_in(countries)).group_by(group)
                       .agg(bounds.lower("quantity").sum().alias("_countries"), bounds.lower("quantity").max().alias("_largest"),
                            pl.len().alias("_n")))
        world = world.join(country_sum, on=group, nulls_equal=True)
        tolerance = pl.when(pl.col("qualifier") == "approx").then(consistency.APPROX_TOLERANCE).otherwise(ROUNDING_TOLERANCE)
        allowed = bounds.upper("quantity") * (1 + tolerance)
        # a single country above the total is country-within-world's finding, at that country's row
        parts.append(hits(world, table, "quantity",
                          (pl.col("_countries") > allowed) & ~(pl.col("_largest") > allowed), pl.col("quantity"),
                          pl.format("the {} countries of this source add to {}, more than this world total allows",
                                    pl.col("_n"), pl.col("_countries"))))
    return concat(parts)


def check_country_within_world(ctx: Context) -> pl.DataFrame:
    """A country's figure may not exceed the world total of the same source, year (or as_of), scope or product and unit."""
    countries, worlds = _ids_of(ctx, "country").implode(), _ids_of(ctx, "world").implode()
    parts = []
    for table, keys in SHARE_OF_WORLD.items():
        if table not in ctx.frames:
            continue
        frame = ctx.frames[table]
        group = ["source_id", *keys]
        world = (frame.filter(pl.col("entity_id").is_in(worlds)).group_by(group)
                 .agg(bounds.upper("quantity").max().alias("_world"), pl.col("id").first().alias("_world_id"),
                      (pl.col("qualifier") == "approx").any().alias("_approx")))
        if world.is_empty():
            continue
        rows = frame.filter(pl.col("entity_id").is_in(countries)).join(world, on=group, nulls_equal=True)
        tolerance = pl.when(pl.col("_approx") | (pl.col("qualifier") == "approx")).then(consistency.APPROX_TOLERANCE).otherwise(ROUNDING_TOLERANCE)
        parts.append(hits(rows, table, "quantity", bounds.lower("quantity") > pl.col("_world") * (1 + tolerance), pl.col("quantity"),
                          pl.format("{} {} exceeds the world total of the same source ({}, {})", pl.col("entity_id"),
                                    pl.col("quantity"), pl.col("_world_id"), pl.col("_world")), pl.col("_world_id")))
    return concat(parts)


def check_errata_references(ctx: Context) -> pl.DataFrame:
    """An erratum names an existing table, existing rows of it, a catalogued rule and existing sources."""
    from rare_earth_supply.rules.errata import existing
    errata = ctx.frames["errata"]
    related = pl.col("related_ids") if "related_ids" in errata.columns else pl.lit(None, pl.String)
    rows = pl.concat([errata.select("id", LINE, "table", pl.col("row_ids").str.split("|").alias("row_id")),
                      errata.select("id", LINE, "table", related.str.split("|").alias("row_id"))]).explode("row_id").drop_nulls("row_id")
    missing_rows = (rows.join(existing(rows.select("table", "row_id"), ctx.frames), on=["table", "row_id"], how="anti")
                    .group_by("id", LINE, "table").agg(pl.col("row_id").sort().alias("_row")))
    sources = ctx.frames["sources"].select(pl.col("id").alias("_source"))
    evidence = errata.select("id", LINE, pl.col("evidence").str.split("|").alias("_source")).explode("_source")
    missing_sources = evidence.join(sources, on="_source", how="anti").group_by("id", LINE).agg(pl.col("_source").sort())
    return concat([
        hits(errata, "errata", "table", ~pl.col("table").is_in(sorted(ctx.schemas)), pl.col("table"), pl.format("no table {}", pl.col("table"))),
        hits(missing_rows.filter(pl.col("table").is_in(sorted(ctx.frames))), "errata", "row_ids", pl.lit(True), pl.col("_row").list.join("|"),
             pl.format("no row(s) {} in {}", pl.col("_row").list.join(", "), pl.col("table"))),
        hits(errata, "errata", "rule", pl.col("rule").is_not_null() & ~pl.col("rule").is_in(sorted(ctx.rule_ids)), pl.col("rule"),
             pl.format("no rule {} in the catalogue", pl.col("rule"))),
        hits(missing_sources, "errata", "evidence", pl.lit(True), pl.col("_source").list.join("|"),
             pl.format("no source(s) {}", pl.col("_source").list.join(", "))),
    ])
