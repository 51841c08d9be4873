"""USGS reference statistics: curated values match the reference file, world sums hold, and the
consistency report shows the revisions and stated-against-computed shares."""
from __future__ import annotations

import re

import polars as pl
import pytest

import rare_earth_supply as res
from rare_earth_supply.rules.consistency import computed_shares, disagreements, revisions, stated_vs_computed
from rare_earth_supply.read.csvfile import LINE
from rare_earth_supply.validate import validate
from conftest import SHARED

REFERENCE = SHARED / "reference" / "usgs-mcs-rare-earths.md"
pytestmark = pytest.mark.skipif(not REFERENCE.exists(), reason="../shared/reference is not beside the checkout")


def _entity_ids() -> dict[str, str]:
    """Names and aliases → entity id, as a reader of the reference would resolve them."""
    names = {}
    for row in res.load("entities").iter_rows(named=True):
        for name in [row["name"], *(row["aliases"] or "").split("|")]:
            if name:
                names[name] = row["id"]
    return names


def _world_table(edition: int) -> list[tuple[str, list[str]]]:
    """(country, cells) rows of the edition's 'World mine production and reserves' table."""
    text = REFERENCE.read_text(encoding="utf-8")
    section = text.split(f"## MCS {edition} — World mine production and reserves")[1].split("\n## ")[0]
    rows = []
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("|") and len(cells) == 4 and cells[0] not in ("country",) and not set(cells[0]) <= {"-"}:
            rows.append((cells[0], cells[1:]))
    return rows


def _number(cell: str) -> tuple[str, float] | None:
    cell = re.sub(r"\[[a-z]\]", "", cell).strip()
    if cell == "not available":
        return None
    qualifier = "gt" if cell.startswith("more than") else "eq"
    return qualifier, float(cell.replace("more than", "").replace(",", "").strip())


@pytest.mark.parametrize("edition, years", [(2025, (2023, 2024)), (2024, (2022, 2023))])
def test_world_table_is_curated_row_for_row(edition, years):
    ids = _entity_ids()
    production = res.load("production").filter(pl.col("source_id") == f"usgs-mcs-{edition}", pl.col("product") == "reo_in_concentrate",
                                                pl.col("unit") == "t_reo")
    reserves = res.load("reserves").filter(pl.col("source_id") == f"usgs-mcs-{edition}", pl.col("classification").is_null())
    table = _world_table(edition)
    assert len(table) >= 16
    for country, cells in table:
        name = re.sub(r" \(.*\)$", "", country)
        entity = ids[name if name in ids else country.split(" (")[0]] if country != "World total (rounded)" else "world"
        for year, cell in zip(years, cells[:2]):
            qualifier, value = _number(cell)
            found = production.filter(pl.col("entity_id") == entity, pl.col("year") == year)
            assert found["quantity"].to_list() == [value], (edition, country, year)
        reserve = _number(cells[2])
        found = reserves.filter(pl.col("entity_id") == entity)
        if reserve is None:
            assert found.is_empty(), (edition, country)
        else:
            assert found["quantity"].to_list() == [reserve[1]], (edition, country)
            assert found["qualifier"].to_list()[0] in ({"gt"} if reserve[0] == "gt" else {"eq", "approx"})
    jorc = res.load("reserves").filter(pl.col("source_id") == f"usgs-mcs-{edition}", pl.col("classification") == "jorc")
    assert jorc.select("entity_id", "quantity").rows() == [("au", 3_300_000.0)]


def test_burma_is_myanmar():
    assert _entity_ids()["Burma"] == "mm"
    assert res.load("entities").filter(pl.col("id") == "mm")["country"].to_list() == ["MM"]


def test_us_salient_statistics_and_prices():
    production = res.load("production").filter(pl.col("source_id") == "usgs-mcs-2025", pl.col("entity_id") == "us")
    concentrates = dict(production.filter(pl.col("product") == "reo_in_concentrate", pl.col("unit") == "t_reo").select("year", "quantity").rows())
    assert concentrates == {2020: 39_000, 2021: 42_400, 2022: 42_500, 2023: 41_600, 2024: 45_000}
    compounds = dict(production.filter(pl.col("product") == "compounds_and_metals").select("year", "quantity").rows())
    assert compounds == {2020: 0, 2021: 120, 2022: 95, 2023: 250, 2024: 1_300}
    prices = res.load("prices").filter(pl.col("source_id") == "usgs-mcs-2025")
    nd = dict(prices.filter(pl.col("product") == "neodymium_oxide").select("year", "price").rows())
    assert nd == {2020: 49, 2021: 98, 2022: 134, 2023: 78, 2024: 56}
    assert prices.filter(pl.col("product") == "terbium_oxide", pl.col("year") == 2022)["price"].to_list() == [2051]
    assert set(prices["purity_pct"]) == {99.5, 99.99}


def test_country_production_does_not_exceed_the_world_per_edition_and_year():
    kinds = res.load("entities").select(pl.col("id").alias("entity_id"), "kind")
    rows = res.load("production").filter(pl.col("source_id").str.starts_with("usgs"), pl.col("unit") == "t_reo",
                                         pl.col("product") == "reo_in_concentrate").join(kinds, on="entity_id")
    countries = rows.filter(pl.col("kind") == "country").group_by("source_id", "year").agg(pl.col("quantity").sum().alias("countries"))
    world = rows.filter(pl.col("kind") == "world").select("source_id", "year", pl.col("quantity").alias("world"))
    joined = countries.join(world, on=["source_id", "year"])
    assert joined.height >= 4  # every edition's years, from MCS 2019 (secondary) to MCS 2026
    # rounded world totals: countries may exceed them by rounding only (MCS 2024, 2023: 353,320 against 350,000)
    assert (joined["countries"] <= joined["world"] * 1.02).all(), joined
    assert "countries-within-world" not in set(validate().frame.filter(pl.col("table") == "production")["rule"])


def test_report_sets_the_news_share_against_the_computed_one():
    shares = stated_vs_computed(_frames("entities", "production", "reserves"))
    row = shares.filter(pl.col("row_id") == "prod-001", pl.col("world_source") == "usgs-mcs-2025")
    assert row["stated_pct"].to_list() == [15.0]
    assert row["computed_pct"].round(1).to_list() == [11.5]
    assert row["verdict"].to_list() == ["disagrees"]


def _frames(*names: str) -> dict[str, pl.DataFrame]:
    """Loaded tables with the line column the consistency functions carry through."""
    return {n: res.load(n).with_row_index(LINE, offset=2).with_columns(pl.col(LINE).cast(pl.Int64)) for n in names or res.tables()}


def test_report_lists_the_china_2023_production_revision():
    china = revisions(_frames()).filter(pl.col("table") == "production", pl.col("subject").str.starts_with("cn / reo_in_concentrate / 2023"))
    assert china.select("source_id", "value", "revised_in", "revised_value").rows() == [("usgs-mcs-2024", 240_000.0, "usgs-mcs-2025", 255_000.0)]
    # two editions of one series are one voice: a revision, not two sources disagreeing
    assert disagreements(_frames()).filter(pl.col("subject").str.starts_with("cn / reo_in_concentrate / 2023")).is_empty()


def test_reserves_of_each_edition_are_their_own_subject_and_a_restatement_is_a_revision():
    vietnam = res.load("reserves", view="status").filter(pl.col("entity_id") == "vn")
    # 22 Mt (MCS 2023, 2024) and 3.5 Mt (MCS 2025, 2026) refer to different as_of years: no figure supersedes another
    assert sorted(vietnam.select("as_of", "quantity").rows()) == [(2023, 22e6), (2024, 22e6), (2025, 3.5e6), (2026, 3.5e6)]
    assert set(vietnam["status"]) == {"single_source"}
    reserves = revisions(_frames()).filter(pl.col("table") == "reserves")
    assert reserves.filter(pl.col("subject").str.starts_with("vn /")).is_empty()
    # version 1.3 of MCS 2026 restated Brazil's reserves for the same as_of: that is a revision
    brazil = reserves.filter(pl.col("subject").str.starts_with("br /"))
    assert brazil.select("value", "revised_value").rows() == [(21_000_000.0, 11_000_000.0)]


def test_estimates_that_agree_within_rounding_are_no_revision():
    us_2022 = pl.col("subject").str.starts_with("us / reo_in_concentrate / 2022")
    assert revisions(_frames()).filter(us_2022).is_empty()  # 42,000 (MCS 2024), 43,000 (MCS 2023), 42,500 (MYB 2022, MCS 2025, 2026)
    statuses = res.load("production", view="status").filter(pl.col("entity_id") == "us", pl.col("year") == 2022,
                                                              pl.col("product") == "reo_in_concentrate")
    # MCS 2023 (43,000), MYB 2022, MCS 2024 and 2025 give way to the latest edition, MCS 2026
    latest = statuses.filter(pl.col("status") == "single_source")
    assert latest["source_id"].to_list() == ["usgs-mcs-2026"]
    assert set(statuses.filter(pl.col("status") == "superseded")["superseded_by"]) == set(latest["id"])
    assert statuses.height == 5


def test_computed_shares_of_world_production():
    shares = computed_shares(_frames("entities", "production"))
    china = shares.filter(pl.col("source_id") == "usgs-mcs-2025", pl.col("year") == 2024, pl.col("entity_id") == "cn")
    assert china["share_pct"].to_list() == [round(270_000 / 390_000 * 100, 2)]


def test_real_data_is_valid_with_conflicts_as_warnings():
    report = validate()
    assert report.ok, report.errors.filter(pl.col("erratum").is_null())
    assert {"sources-disagree", "share-stated-vs-computed"} <= set(report.warnings["rule"])


def test_us_trade_dependence():
    trade = res.load("trade").filter(pl.col("source_id") == "usgs-mcs-2025", pl.col("entity_id") == "us")
    reliance = {r["period_start"]: (r["qualifier"], r["value"]) for r in trade.filter(pl.col("measure") == "net_import_reliance").iter_rows(named=True)}
    assert reliance == {2020: ("eq", 100), 2021: ("gt", 95), 2022: ("gt", 95), 2023: ("gt", 95), 2024: ("eq", 80)}
    shares = trade.filter(pl.col("measure") == "share_of_imports")
    assert dict(shares.select("partner_id", "value").rows()) == {"cn": 70, "my": 13, "jp": 6, "ee": 5, "other-countries": 6}
    assert set(shares["period_start"]) == {2020} and set(shares["period_end"]) == {2023}
    assert shares["value"].sum() == 100
