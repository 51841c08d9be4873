"""Which figure to use: every fact row has one status, the preferred view has one row per subject,
and the statuses follow the data (series, errata, conflicts) rather than anything typed by hand."""
from __future__ import annotations

import polars as pl
import pytest

import rare_earth_supply as res
from rare_earth_supply.rules.roles import FACT_TABLES, SUBJECT, time_column
from rare_earth_supply.status import STATUSES
from rare_earth_supply.validate import validate


@pytest.mark.parametrize("table", FACT_TABLES)
def test_every_fact_row_has_exactly_one_status(table):
    full, status = res.load(table), res.load(table, view="status")
    assert status["id"].to_list() == full["id"].to_list(), "the status view keeps every row, in order"
    assert status["status"].null_count() == 0
    assert set(status["status"]) <= set(STATUSES) - {"derived"}
    assert status.drop("status", "preferred_id", "superseded_by", "corroborated_by", "contradicted_by").equals(full)


@pytest.mark.parametrize("table", FACT_TABLES)
def test_the_preferred_view_has_one_row_per_subject(table):
    preferred = res.load(table, view="preferred")
    subject = list(SUBJECT[table])
    when = time_column(table)
    # a figure without a date (a share "no year given") is compared with no other: it is a subject of its own
    own = [pl.when(pl.col(when).is_null()).then(pl.col("id")).alias("_undated")] if when else []
    stated = preferred.filter(pl.col("status") != "derived")
    assert stated.select(*subject, *own).is_duplicated().sum() == 0
    assert stated.height == res.load(table).select(*subject, *own).unique().height
    assert set(stated["status"]) <= {"preferred", "single_source", "disputed", "superseded", "erroneous"}


def test_china_reserves_are_one_figure_per_year_and_the_mistranslation_is_erroneous():
    """Each edition dates its reserves (as_of), so the preferred view keeps one China figure per year."""
    status = res.load("reserves", view="status").filter(pl.col("entity_id") == "cn", pl.col("classification").is_null())
    by_id = {r["id"]: r for r in status.iter_rows(named=True)}
    assert by_id["res-003"]["status"] == "erroneous" and by_id["res-003"]["quantity"] == 1_000_000_000
    preferred = res.load("reserves", view="preferred").filter(pl.col("entity_id") == "cn", pl.col("classification").is_null())
    assert preferred["as_of"].is_duplicated().sum() == 0 and preferred["as_of"].null_count() == 0
    latest = preferred.filter(pl.col("as_of") == preferred["as_of"].max()).row(0, named=True)
    assert (latest["source_id"], latest["quantity"]) == ("usgs-mcs-2026", 44_000_000)
    same_year = by_id["res-003"]["as_of"]  # news-003 was published in 2025: the USGS edition of 2025 speaks to the same year
    usgs = preferred.filter(pl.col("as_of") == same_year).row(0, named=True)
    assert usgs["source_id"] == "usgs-mcs-2025" and usgs["id"] in by_id["res-003"]["contradicted_by"]
    assert {r["status"] for r in status.iter_rows(named=True) if r["source_id"].startswith("usgs-mcs")} <= {"preferred", "single_source"}


def test_production_pivots_by_country_and_year_from_the_preferred_view():
    preferred = res.load("production", view="preferred").filter(
        pl.col("product") == "reo_in_concentrate", pl.col("unit") == "t_reo",
        pl.col("entity_id").is_in(["cn", "us", "au", "mm", "world"]))
    table = preferred.pivot(on="year", index="entity_id", values="quantity", sort_columns=True)
    china = table.filter(pl.col("entity_id") == "cn").row(0, named=True)
    assert china["2025"] == 270_000 and china["2023"] == 255_000  # MCS 2026 and MCS 2025, the latest editions
    world = table.filter(pl.col("entity_id") == "world").row(0, named=True)
    assert world["2024"] == 380_000, "MCS 2026 revised the 2024 world total from 390,000 t"


def test_news_figures_with_source_errors_point_at_the_primary_record():
    status = res.load("investments", view="status")
    apple = status.filter(pl.col("investor_id") == "apple", pl.col("amount") == 500_000_000, pl.col("source_id") == "apple-newsroom-2025-07-15")
    # both news reports of the deal are named by source_error errata (a wrong company name; a purchase called an
    # investment), so Apple's own release is the only voice left: the figure to use, from one source
    assert apple["status"].to_list() == ["single_source"]
    news = status.filter(pl.col("id").is_in(["inv-001", "inv-004"]))
    assert set(news["status"]) == {"erroneous"} and set(news["preferred_id"]) == set(apple["id"])
    assert all(apple["id"][0] in ids for ids in news["corroborated_by"]), "the amount itself agrees"


def test_a_news_figure_that_contradicts_the_statistics_is_disputed_and_the_statistics_stay_preferred():
    status = res.load("reserves", view="status").filter(pl.col("entity_id") == "us")
    by_id = {r["id"]: r for r in status.iter_rows(named=True)}
    assert by_id["res-002"]["status"] == "disputed"  # news-003's 1.5 Mt, of 2025
    assert by_id["res-004"]["status"] == "preferred" and "res-002" in by_id["res-004"]["contradicted_by"]  # MCS 2025


def test_quota_totals_no_source_states_are_derived_from_the_batches_and_marked_so():
    preferred = res.load("quotas", view="preferred")
    derived = preferred.filter(pl.col("status") == "derived")
    assert not derived.is_empty()
    quotas = res.load("quotas")
    for row in derived.iter_rows(named=True):
        parts = quotas.filter(pl.col("id").is_in(row["corroborated_by"]))
        assert parts["quantity"].sum() == row["quantity"] and row["qualifier"] == "ge"
        assert set(parts["year"]) == {row["year"]} and set(parts["stage"]) == {row["stage"]}
        stated = quotas.filter(pl.col("entity_id") == row["entity_id"], pl.col("year") == row["year"], pl.col("stage") == row["stage"],
                               pl.col("scope") == row["scope"], pl.col("batch") == "annual")
        assert stated.is_empty(), "a total a source states is never also derived"


def test_the_2024_world_reserves_total_as_printed_is_reported_and_acknowledged():
    """Recorded as printed (eq), the 2024 edition's total is below the sum of its own countries."""
    report = validate()
    finding = report.frame.filter(pl.col("rule") == "countries-within-world", pl.col("row_id") == "res-031")
    assert finding.height == 1 and finding["severity"][0] == "error" and finding["erratum"][0] == "err-011"
    assert res.load("reserves").filter(pl.col("id") == "res-031")["qualifier"][0] == "eq"
    assert report.ok


def test_statuses_follow_the_data_when_a_later_edition_arrives(package_copy):
    """A new edition of the series supersedes the older rows without anyone typing a status."""
    package_copy.append("sources", id="usgs-mcs-2099", title="t", title_en="t", language="en", kind="statistics", series="usgs-mcs",
                        year="2099")
    package_copy.append("reserves", id="res-900", entity_id="cn", as_of="2026", scope="total", quantity="44000000", unit="t_reo", qualifier="eq",
                        as_reported="44,000,000 t", source_id="usgs-mcs-2099", locator="World table, China, reserves")  # a revision of 2026
    status = res.load("reserves", path=package_copy.root, view="status", verify=False).filter(pl.col("entity_id") == "cn")
    assert status.filter(pl.col("id") == "res-037")["status"].to_list() == ["superseded"]
    assert status.filter(pl.col("id") == "res-037")["superseded_by"].to_list() == ["res-900"]


def test_load_refuses_unknown_views_and_tables_without_figures():
    with pytest.raises(ValueError, match="views are"):
        res.load("reserves", view="best")
    with pytest.raises(ValueError, match="holds no figures"):
        res.load("entities", view="preferred")


def test_the_data_dictionary_explains_statuses_and_precedence():
    from conftest import ROOT
    text = (ROOT / "docs" / "data-dictionary.md").read_text()
    for status in STATUSES:
        assert f"- {status}" in text
    assert "latest edition" in text and "statistics" in text
