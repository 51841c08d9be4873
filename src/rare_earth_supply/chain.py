"""Who holds each stage of the chain: concentration per stage and year, and plant capacity outside China.
(`rare_earth_supply.concentration()` and `capacity_outside_china()` load the tables and call these.)

Both views are computed from the curated tables, never typed, so they change only when the data does:

- `concentration()`: each country's share of a stage in a year, with the top-1 and top-3 shares and the
  Herfindahl-Hirschman index of the group where the figures allow. `basis` tells a share a source
  states (`capacity_shares`) from one computed from quantities (a country's mine production over
  the world total of the same edition, `production`); each source is its own group, so shares that
  do not come from one table are never summed or ranked together. Plant capacity is not turned into country shares: the plant table lists
  plants outside China one by one but Chinese capacity only by its largest groups, so a share
  computed from it would overstate everyone but China.
- `capacity_outside_china()`: plant capacity outside China summed by stage, product, unit, plant
  status and the year it is (or is expected to be) on line, from each plant's latest statement.
"""
from __future__ import annotations

import polars as pl

BOUNDS = ("gt", "ge", "lt", "le")
UNNAMED_FOR_HHI = 5.0  # percentage points a group may leave unnamed and still get an HHI (a lower bound by at most 25)
GROUP = ("stage", "measure", "scope", "figure_kind", "scenario", "year", "basis", "source_id")
CONCENTRATION_COLUMNS = (*GROUP, "entity_id", "share_pct", "qualifier", "rank", "countries_named", "unnamed_pct",
                         "top1_pct", "top3_pct", "hhi", "bound", "row_ids")
PIPELINE_GROUP = ("stage", "product", "unit", "plant_status", "year")

DESCRIPTIONS = {
    "basis": "stated: a share a source gives (capacity_shares); computed_production: a country's mine production over the "
             "world total of the same edition (production).",
    "entity_id": "The country or region the share is for (regions and groups such as top-3-countries are shown but not ranked).",
    "share_pct": "The share in percent: as stated, or computed from the two quantities (rounded to 2 decimals; the "
                 "metrics are computed before rounding).",
    "rank": "The country's rank in its group by share (1 = largest); empty for regions and groups.",
    "countries_named": "How many countries the group names.",
    "unnamed_pct": "100 less the named countries' shares (0 where rounding takes them past 100): what no named country holds.",
    "top1_pct": "The largest country's share, where no unnamed producer can be larger (largest named share >= unnamed_pct).",
    "top3_pct": "The three largest countries' shares together: as stated for a top-3 group, else where the third named share "
                ">= unnamed_pct.",
    "hhi": "Herfindahl-Hirschman index of the named countries (sum of squared percent shares, 0-10,000), where at most "
           f"{UNNAMED_FOR_HHI:g} points are unnamed; the unnamed part is left out, so it is a lower bound.",
    "bound": "True where a share of the group is stated as a bound (over, at least, under): the metrics are bounds too.",
    "fullest": "For a computed share: true for the one edition per year that names the most countries (then the latest "
               "publication), the one to draw a series from; empty for stated shares.",
    "row_ids": "The rows behind the figure: the capacity_shares row, or the country and world production rows.",
    "capacity": "Summed capacity of the plants in the group, in unit per year.",
    "facilities": "How many facilities the sum covers.",
    "facility_ids": "The facilities summed.",
    "source_ids": "The sources of the statements summed.",
    "oldest_statement": "The date of the oldest statement summed (as_of, or its source's publication where the row has none): a plan stated long ago may since have lapsed.",
}
DESCRIPTIONS["year"] = "The year the share refers to (capacity_shares.year, or the production year)."
PIPELINE_YEAR = ("The year a plant is on line: the year the source expects it for a plant not yet operating, "
                 "else the year of the statement.")


def _kinds(frames: dict[str, pl.DataFrame]) -> pl.DataFrame:
    return frames["entities"].select(pl.col("id").alias("entity_id"), "kind", "country")


def _stated(frames: dict[str, pl.DataFrame]) -> pl.DataFrame:
    shares = frames["capacity_shares"]
    return shares.select(
        "stage", "measure", "scope", "figure_kind", "scenario", pl.col("year").cast(pl.Int64), pl.lit("stated").alias("basis"),
        "source_id", "entity_id", pl.col("share_pct").cast(pl.Float64), "qualifier", pl.concat_list(pl.col("id")).alias("row_ids"))


def _computed_from_production(frames: dict[str, pl.DataFrame]) -> pl.DataFrame:
    """Country over world mine production, both from one edition (every edition that gives a world total)."""
    from rare_earth_supply.rules.consistency import country_and_world
    pairs = country_and_world(frames).filter(pl.col("product") == "reo_in_concentrate", pl.col("unit") == "t_reo")
    return pairs.select(
        pl.lit("mining").alias("stage"), pl.lit("output").alias("measure"), pl.lit("all_rare_earths").alias("scope"),
        pl.lit(None, pl.String).alias("figure_kind"), pl.lit(None, pl.String).alias("scenario"), pl.col("year").cast(pl.Int64),
        pl.lit("computed_production").alias("basis"), "source_id", "entity_id",
        (pl.col("quantity") / pl.col("world_quantity") * 100).alias("share_pct"), "qualifier",
        pl.concat_list(pl.col("id"), pl.col("world_id")).alias("row_ids"))


def _fullest(frame: pl.DataFrame, sources: pl.DataFrame) -> pl.DataFrame:
    """The computed group of each year that names the most countries (then: the latest publication), marked fullest."""
    issued = sources.select(pl.col("id").alias("source_id"),
                            pl.coalesce(pl.col("published"), pl.date(pl.col("year").cast(pl.Int32), 12, 31)).alias("_issued"))
    return (frame.filter(pl.col("basis") != "stated").join(issued, on="source_id", how="left")
              .group_by(["basis", "year", "source_id"]).agg(pl.col("countries_named").first(), pl.col("_issued").first())
              .sort(["countries_named", "_issued", "source_id"], descending=True, nulls_last=True)
              .group_by(["basis", "year"], maintain_order=True).first()
              .select("basis", "year", "source_id", pl.lit(True).alias("fullest")))


def _with_metrics(shares: pl.DataFrame, kinds: pl.DataFrame) -> pl.DataFrame:
    group = list(GROUP)
    shares = shares.join(kinds.select("entity_id", "kind"), on="entity_id", how="left")
    is_country = pl.col("kind") == "country"
    ranked = shares.with_columns(
        pl.when(is_country).then(pl.col("share_pct").rank("ordinal", descending=True).over([*group, "kind"])).alias("rank"))
    countries = ranked.filter(is_country)
    named = countries.group_by(group, maintain_order=True).agg(
        pl.len().alias("countries_named"),
        (100 - pl.col("share_pct").sum()).clip(lower_bound=0).alias("unnamed_pct"),
        pl.col("share_pct").sort(descending=True).alias("_sorted"),
        (pl.col("share_pct") ** 2).sum().alias("_hhi"))
    first, third = pl.col("_sorted").list.get(0, null_on_oob=True), pl.col("_sorted").list.get(2, null_on_oob=True)
    named = named.select(
        *group, pl.col("countries_named").cast(pl.Int64), pl.col("unnamed_pct"),
        pl.when(first >= pl.col("unnamed_pct")).then(first).alias("top1_pct"),
        pl.when(third >= pl.col("unnamed_pct")).then(pl.col("_sorted").list.head(3).list.sum()).alias("_top3"),
        pl.when(pl.col("unnamed_pct") <= UNNAMED_FOR_HHI).then(pl.col("_hhi")).alias("hhi"))
    stated_top3 = shares.filter(pl.col("entity_id") == "top-3-countries").group_by(group).agg(pl.col("share_pct").first().alias("_stated3"))
    bound = shares.group_by(group).agg(pl.col("qualifier").is_in(BOUNDS).any().alias("bound"))
    out = (ranked.join(named, on=group, how="left", nulls_equal=True)
           .join(stated_top3, on=group, how="left", nulls_equal=True)
           .join(bound, on=group, how="left", nulls_equal=True)
           .with_columns(pl.coalesce("_stated3", "_top3").alias("top3_pct"),
                         pl.col("countries_named").fill_null(0), pl.col("rank").cast(pl.Int64))
           # computed on the unrounded shares, rounded once here
           .with_columns(pl.col("share_pct", "unnamed_pct", "top1_pct", "top3_pct").round(2), pl.col("hhi").round(0)))
    return out.select(CONCENTRATION_COLUMNS)


def concentration_of(frames: dict[str, pl.DataFrame]) -> pl.DataFrame:
    """`concentration()` on frames already loaded (what `build` calls)."""
    parts = [_stated(frames)] if "capacity_shares" in frames else []
    if "production" in frames:
        parts.append(_computed_from_production(frames))
    shares = pl.concat(parts, how="vertical_relaxed")
    order = ["stage", "scope", "measure", "year", "basis", "source_id", "figure_kind", "scenario", "rank", "entity_id"]
    frame = _with_metrics(shares, _kinds(frames))
    fullest = _fullest(frame, frames["sources"])
    frame = frame.join(fullest, on=["basis", "year", "source_id"], how="left", nulls_equal=True).with_columns(
        pl.when(pl.col("basis") != "stated").then(pl.col("fullest").fill_null(False)).alias("fullest"))
    return frame.select(*CONCENTRATION_COLUMNS, "fullest").sort(order, nulls_last=True)


def capacity_outside_china_of(frames: dict[str, pl.DataFrame], stated_since: int | None = None) -> pl.DataFrame:
    """`capacity_outside_china()` on frames already loaded (what `build` calls)."""
    plants = frames["plant_capacities"]
    where = _kinds(frames).select(pl.col("entity_id").alias("facility_id"), "country")
    # a statement without a date of its own is as of its source's publication
    said = frames["sources"].unique("id", keep="first").select(
        pl.col("id").alias("source_id"),
        pl.coalesce(pl.col("published").cast(pl.String), pl.col("year").cast(pl.String)).alias("_published"))
    plant = ["facility_id", "stage", "product"]
    # a statement without a figure (a delay, a suspension) keeps the capacity last stated for the plant
    latest = (plants.join(where, on="facility_id", how="left").filter(pl.col("country").fill_null("") != "CN")
              .join(said, on="source_id", how="left").with_columns(pl.coalesce("as_of", "_published").alias("_said"))
              .sort([*plant, "_said", "id"], nulls_last=False)
              .with_columns(pl.col("capacity", "unit").forward_fill().over(plant))
              .group_by(plant, maintain_order=True).last()
              .filter(pl.col("capacity").is_not_null()))
    said_year = pl.col("_said").str.slice(0, 4).cast(pl.Int64, strict=False)
    year = pl.when(pl.col("plant_status") != "operating").then(pl.col("expected_year").cast(pl.Int64))
    latest = latest.with_columns(pl.coalesce(year, said_year).alias("year"))
    if stated_since is not None:
        latest = latest.filter(said_year >= stated_since)
    return (latest.group_by(PIPELINE_GROUP).agg(
        pl.col("capacity").cast(pl.Float64).sum().alias("capacity"), pl.col("facility_id").n_unique().cast(pl.Int64).alias("facilities"),
        pl.col("facility_id").unique().sort().alias("facility_ids"), pl.col("id").sort().alias("row_ids"),
        pl.col("source_id").unique().sort().alias("source_ids"), pl.col("_said").min().alias("oldest_statement"))
        .sort(list(PIPELINE_GROUP), nulls_last=True))
