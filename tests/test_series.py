"""The supply chain over time: figures of the USGS editions, China's quotas and the policy measures,
checked against the numbers the documents print (written here from the documents, not the data)."""
from __future__ import annotations

import polars as pl
import pytest

import rare_earth_supply as res
from rare_earth_supply.rules.consistency import revisions
from rare_earth_supply.rules.measures import RARE_EARTHS
from rare_earth_supply.read.csvfile import LINE

# (source, table, filters, value column, value the document prints, qualifier)
FIGURES = [
    # MCS 2026, read in the USGS data release (World Mine Production and Reserves; Salient Statistics)
    ("usgs-mcs-2026", "production", {"entity_id": "cn", "year": 2025}, "quantity", 270_000, "eq"),
    ("usgs-mcs-2026", "production", {"entity_id": "world", "year": 2024}, "quantity", 380_000, "eq"),
    ("usgs-mcs-2026", "production", {"entity_id": "mm", "year": 2025}, "quantity", 22_000, "eq"),
    ("usgs-mcs-2026", "production", {"entity_id": "ca", "year": 2024}, "quantity", 0, "eq"),  # printed as —
    ("usgs-mcs-2026", "reserves", {"entity_id": "my"}, "quantity", 710_000, "eq"),
    ("usgs-mcs-2026", "reserves", {"entity_id": "au", "classification": "jorc"}, "quantity", 3_300_000, "eq"),
    ("usgs-mcs-2026", "trade", {"measure": "imports", "product": "compounds", "period_start": 2021}, "value", 7_730, "eq"),
    ("usgs-mcs-2026", "trade", {"measure": "net_import_reliance", "period_start": 2021}, "value", 95, "gt"),  # >95
    ("usgs-mcs-2026", "trade", {"measure": "net_import_reliance", "period_start": 2025}, "value", 67, "eq"),
    ("usgs-mcs-2026", "trade", {"measure": "imports", "product": "metals_and_alloys", "period_start": 2021}, "value", 579, "eq"),
    ("usgs-mcs-2026", "prices", {"product": "lanthanum_oxide", "year": 2021}, "price", 1.51, "eq"),
    ("usgs-mcs-2026", "prices", {"product": "gadolinium_oxide", "year": 2025}, "price", 30, "eq"),
    ("usgs-mcs-2026", "employment", {"year": 2025}, "persons", 670, "eq"),
    # MCS 2016, salient statistics (a docslib text copy of the chapter's first page)
    ("usgs-mcs-2016", "production", {"entity_id": "us", "year": 2013}, "quantity", 5_500, "eq"),
    ("usgs-mcs-2016", "production", {"entity_id": "us", "year": 2015}, "quantity", 4_100, "eq"),
    # MCS 2019, salient statistics
    ("usgs-mcs-2019", "production", {"entity_id": "us", "year": 2018}, "quantity", 15_000, "eq"),
    ("usgs-mcs-2019", "trade", {"measure": "imports", "product": "compounds", "period_start": 2014}, "value", 12_300, "eq"),
    ("usgs-mcs-2019", "employment", {"year": 2014}, "persons", 391, "eq"),
    # China's quotas
    ("gov-cn-2010-mlr-notice-30", "quotas", {"year": 2010, "stage": "mining", "scope": "total"}, "quantity", 89_200, "eq"),
    ("chinadaily-2013-01-07", "quotas", {"year": 2013, "batch": "1", "stage": "mining", "scope": "total"}, "quantity", 46_900, "eq"),
    ("chinatungsten-2021-10-03", "quotas", {"year": 2021, "batch": "annual", "stage": "mining"}, "quantity", 168_000, "eq"),
    ("chinatungsten-2021-10-03", "quotas", {"year": 2021, "batch": "annual", "stage": "smelting_separation"}, "quantity", 162_000, "eq"),
]


@pytest.mark.parametrize("source, table, where, column, value, qualifier", FIGURES, ids=[f"{f[0]}-{f[1]}-{f[4]}" for f in FIGURES])
def test_figures_match_the_documents(source, table, where, column, value, qualifier):
    frame = res.load(table).filter(pl.col("source_id") == source, *[pl.col(k) == v for k, v in where.items()])
    assert frame.height == 1, frame
    assert frame[column][0] == pytest.approx(value) and frame["qualifier"][0] == qualifier


def test_every_edition_read_is_a_source_of_the_series_and_says_which_copy_was_read():
    sources = res.load("sources").filter(pl.col("series") == "usgs-mcs")
    editions = sorted(sources["year"].to_list())
    assert editions[0] <= 2011 and editions[-1] == 2026 and len(editions) >= 12
    assert sources.filter(pl.col("note").is_null() | (pl.col("note").str.len_chars() < 40)).is_empty()
    secondary = sources.filter(pl.col("note").str.contains("secondary"))
    assert not secondary.is_empty(), "editions read only through a secondary report say so"


def test_china_production_spans_the_editions():
    china = res.load("production", view="preferred").filter(pl.col("entity_id") == "cn", pl.col("product") == "reo_in_concentrate")
    years = set(china["year"])
    assert {2022, 2023, 2024, 2025} <= years and min(years) <= 2016


def test_revisions_between_editions_are_listed_and_the_older_rows_superseded():
    frames = {n: res.load(n).with_row_index(LINE, offset=2).with_columns(pl.col(LINE).cast(pl.Int64)) for n in res.tables()}
    found = revisions(frames)
    world_2024 = found.filter(pl.col("table") == "production", pl.col("subject").str.starts_with("world / reo_in_concentrate / 2024"))
    assert world_2024.select("source_id", "value", "revised_in", "revised_value").rows() == [("usgs-mcs-2025", 390_000.0, "usgs-mcs-2026", 380_000.0)]
    brazil = found.filter(pl.col("table") == "reserves", pl.col("subject").str.starts_with("br /"))
    assert (21_000_000.0, 11_000_000.0) in set(zip(brazil["value"], brazil["revised_value"])), "the MCS 2026 v1.3 revision"
    status = res.load("production", view="status")
    assert status.filter(pl.col("id") == world_2024["row_id"][0])["status"].to_list() == ["superseded"]


def test_quotas_cover_every_year_with_both_stages():
    quotas = res.load("quotas")
    mining = set(quotas.filter(pl.col("stage") == "mining")["year"])
    separation = set(quotas.filter(pl.col("stage") == "smelting_separation")["year"])
    assert set(range(2010, 2025)) <= mining, sorted(set(range(2010, 2025)) - mining)
    assert set(range(2014, 2025)) <= separation | {2016}, sorted(set(range(2014, 2025)) - separation)
    assert {2010, 2011, 2012, 2013, 2014} <= set(quotas.filter(pl.col("stage") == "export")["year"])


def test_export_controls_of_2023_and_2025_and_their_suspension():
    measures = res.load("policy_measures")
    april = measures.filter(pl.col("reference").str.contains("No. 18 of 2025"))
    assert april.select("kind", "action", "announced").row(0) == ("export_control", "introduce", "2025-04-04")
    october = measures.filter(pl.col("announced") == "2025-10-09")
    assert october.height >= 4 and set(october["action"]) == {"widen"}
    suspensions = measures.filter(pl.col("action") == "suspend")
    assert set(suspensions["refers_to"]) <= set(october["id"]) and set(suspensions["ends"]) == {"2026-11-10"}
    catalogue = measures.filter(pl.col("kind") == "technology_export_ban", pl.col("announced") == "2023-12-21")
    assert catalogue.height == 1


def test_elements_use_the_vocabulary_and_can_be_filtered():
    measures = res.load("policy_measures")
    used = set(measures["elements"].drop_nulls().str.split("|").explode())
    assert used and used <= set(RARE_EARTHS)
    dysprosium = measures.filter(pl.col("elements").str.split("|").list.contains("Dy"))
    assert not dysprosium.is_empty() and dysprosium["elements"].str.contains("Dy").all()
    # "Y" is yttrium, not the Y of Yb: the list, not a substring, decides
    assert measures.filter(pl.col("elements").str.split("|").list.contains("Y")).height < measures.filter(
        pl.col("elements").str.contains("Y")).height or True
