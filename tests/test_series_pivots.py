"""Reserves and mine production as series a researcher can pivot, checked for gaps on the real data.

Every USGS edition dates its reserves (as_of), so the preferred view holds one figure per country
and year; the yearbook and the historical statistics revise the summaries' production figures.
The editions listed here are those read in full (the data releases of 2023 to 2026); the earlier
ones are still partial (issue 23 says which), so they are not claimed.
"""
from __future__ import annotations

import polars as pl

import rare_earth_supply as res
from rare_earth_supply.rules import consistency

COUNTRIES = ["cn", "us", "au", "br", "in", "ru", "vn", "world"]
FULL_RESERVE_EDITIONS = [2023, 2024, 2025, 2026]


def _preferred(table: str) -> pl.DataFrame:
    return res.load(table, view="preferred", warn_errata=False)


def test_reserves_pivot_into_country_by_as_of_without_gaps_for_the_editions_read_in_full():
    reserves = _preferred("reserves").filter(pl.col("classification").is_null(), pl.col("scope") == "total",
                                             pl.col("entity_id").is_in(COUNTRIES))
    assert reserves.select("entity_id", "as_of").is_duplicated().sum() == 0, "one figure per country and year"
    table = reserves.pivot(on="as_of", index="entity_id", values="quantity", sort_columns=True)
    missing = [(row["entity_id"], year) for row in table.iter_rows(named=True) for year in FULL_RESERVE_EDITIONS
               if row.get(str(year)) is None and not (row["entity_id"] == "in" and year == 2026)]
    assert missing == [], missing
    assert set(table["entity_id"]) == set(COUNTRIES)


def test_india_is_missing_from_the_2026_table_because_that_edition_prints_na():
    """The one hole above is the source's: the MCS 2026 data release prints NA for India's reserves."""
    reserves = res.load("reserves", warn_errata=False)
    assert reserves.filter(pl.col("source_id") == "usgs-mcs-2026", pl.col("entity_id") == "in").is_empty()
    assert not reserves.filter(pl.col("source_id") == "usgs-mcs-2025", pl.col("entity_id") == "in").is_empty()


def test_every_reserve_row_has_a_year_unless_neither_figure_nor_source_is_dated():
    reserves = res.load("reserves", warn_errata=False)
    sources = res.load("sources").select(pl.col("id").alias("source_id"), "year", "published")
    undated = reserves.filter(pl.col("as_of").is_null()).join(sources, on="source_id")
    assert undated.filter(pl.col("year").is_not_null() | pl.col("published").is_not_null()).is_empty()
    assert all("stays empty" in note for note in undated["note"])


def test_production_pivots_into_country_by_year_from_2009_for_the_world_and_from_2018_for_every_listed_country():
    production = _preferred("production").filter(pl.col("product") == "reo_in_concentrate", pl.col("unit") == "t_reo")
    assert production.select("entity_id", "year").is_duplicated().sum() == 0
    table = production.pivot(on="year", index="entity_id", values="quantity", sort_columns=True)
    rows = {row["entity_id"]: row for row in table.iter_rows(named=True)}
    for entity in ("world", "us"):
        assert [y for y in range(2009, 2026) if rows[entity].get(str(y)) is None] == [], entity
    yearbook = res.load("production").filter(pl.col("source_id") == "usgs-myb-2022")["entity_id"].unique()
    for entity in yearbook:
        assert [y for y in range(2018, 2023) if rows[entity].get(str(y)) is None] == [], entity
    for entity in ("cn", "au", "mm", "in", "ru", "th", "vn", "br"):
        assert [y for y in range(2018, 2026) if rows[entity].get(str(y)) is None] == [], entity


def test_a_revision_between_editions_is_superseded_and_reported():
    """Burma 2021: 26,000 t in MCS 2022, 35,000 t in MCS 2023, 34,700 t in the 2022 yearbook (the latest)."""
    status = res.load("production", view="status", warn_errata=False).filter(pl.col("entity_id") == "mm", pl.col("year") == 2021)
    by_source = {r["source_id"]: r for r in status.iter_rows(named=True)}
    assert by_source["usgs-myb-2022"]["status"] in ("preferred", "single_source")
    assert by_source["usgs-mcs-2022"]["status"] == by_source["usgs-mcs-2023"]["status"] == "superseded"
    assert by_source["usgs-mcs-2022"]["superseded_by"] == by_source["usgs-myb-2022"]["id"]
    frames = {n: res.load(n, warn_errata=False) for n in res.tables()}
    frames = {n: f.with_row_index("_line", offset=2).with_columns(pl.col("_line").cast(pl.Int64)) for n, f in frames.items()}
    revisions = consistency.revisions(frames, {})
    assert by_source["usgs-mcs-2022"]["id"] in set(revisions["row_id"])


def test_china_shares_pivot_by_stage_and_year_and_each_undated_row_says_why():
    shares = res.load("capacity_shares").filter(pl.col("entity_id") == "cn")
    undated = shares.filter(pl.col("year").is_null())
    assert undated["note"].str.contains("(?i)no year").all(), undated.filter(~pl.col("note").str.contains("(?i)no year"))["id"]
    observed = shares.filter(pl.col("year").is_not_null(), pl.col("figure_kind") != "projection")
    pivot = observed.pivot(on="stage", index="year", values="share_pct", aggregate_function="median").sort("year")
    # mining, separation and magnets each have China's share in four years or more, one of them before 2016
    for stage in ("mining", "separation_refining", "magnets"):
        years = pivot.filter(pl.col(stage).is_not_null())["year"]
        assert years.len() >= 4 and years.min() < 2016, stage
