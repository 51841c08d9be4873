"""The real dataset: every table loads typed, keys hold, every source is cited and every figure is there."""
from __future__ import annotations

import datetime
import json
import re

import polars as pl
import pytest
import yaml

import rare_earth_supply as res
from conftest import ROOT, SHARED

SCHEMAS = {p.stem: json.loads(p.read_text()) for p in (ROOT / "schemas").glob("*.json")}
EXPECTED_DTYPES = {"string": pl.String, "integer": pl.Int64, "year": pl.Int64, "number": pl.Float64, "date": pl.Date, "boolean": pl.Boolean}


def test_tables_are_the_resources_and_each_has_a_schema_file():
    descriptor = json.loads((ROOT / "datapackage.json").read_text())
    names = [r["name"] for r in descriptor["resources"]]
    assert res.tables() == names
    assert sorted(names) == sorted(SCHEMAS)
    for resource in descriptor["resources"]:
        assert resource["schema"] == f"schemas/{resource['name']}.json"
        assert resource["path"] == f"data/{resource['name']}.csv"


@pytest.mark.parametrize("table", sorted(SCHEMAS))
def test_table_loads_with_the_schema_types(table):
    frame = res.load(table)
    schema = SCHEMAS[table]
    assert frame.columns == [f["name"] for f in schema["fields"]]
    for field in schema["fields"]:
        assert frame.schema[field["name"]] == EXPECTED_DTYPES[field["type"]], field["name"]
    assert frame.height > 0


@pytest.mark.parametrize("table", sorted(SCHEMAS))
def test_every_field_is_documented(table):
    for field in SCHEMAS[table]["fields"]:
        assert field.get("title") and field.get("description"), f"{table}.{field['name']}"
    assert SCHEMAS[table].get("primaryKey"), table


def test_empty_cells_load_as_null_and_dates_as_dates():
    sources = res.load("sources")
    assert sources.filter(pl.col("id") == "news-000")["published"].to_list() == [None]
    assert sources.filter(pl.col("id") == "news-001")["published"].to_list() == [datetime.date(2025, 8, 6)]


@pytest.mark.parametrize("table", sorted(SCHEMAS))
def test_primary_keys_are_unique(table):
    frame = res.load(table)
    key = SCHEMAS[table]["primaryKey"]
    assert frame.select(key).is_duplicated().sum() == 0
    assert frame.select(key).null_count().sum_horizontal().item() == 0


def test_foreign_keys_resolve():
    for table, schema in SCHEMAS.items():
        frame = res.load(table)
        for fk in schema.get("foreignKeys", []):
            # Data Package v2: field lists are arrays, and a reference to the table itself names no resource
            assert isinstance(fk["fields"], list) and isinstance(fk["reference"]["fields"], list)
            assert fk["reference"].get("resource") != table, f"{table}: a self-reference omits its resource"
            parent = res.load(fk["reference"].get("resource", table))
            for local, remote in zip(fk["fields"], fk["reference"]["fields"]):
                values = set(frame[local].drop_nulls())
                assert values <= set(parent[remote]), f"{table}.{local}"


def test_every_source_document_is_cited_by_a_row():
    sources = res.load("sources")
    facts = [t for t in SCHEMAS if any(f["name"] == "source_id" for f in SCHEMAS[t]["fields"])]
    cited = set(pl.concat([res.load(t).select("source_id") for t in facts])["source_id"])
    # or named as evidence by an erratum (the copy a correction rests on), as the source-uncited rule counts
    cited |= {s for cell in res.load("errata")["evidence"].drop_nulls() for s in cell.split("|")}
    assert set(sources["id"]) <= cited
    if SHARED.exists():
        documents = {p.name for p in (SHARED / "sources").glob("*.txt")}
        assert documents == set(sources["file"].drop_nulls()), "each shared source document has one sources row"


def test_version_is_one_value_everywhere():
    descriptor = json.loads((ROOT / "datapackage.json").read_text())
    citation = (ROOT / "CITATION.cff").read_text()
    pyproject = (ROOT / "pyproject.toml").read_text()
    version = descriptor["version"]
    assert yaml.safe_load(citation)["version"] == version
    assert 'path = "datapackage.json"' in pyproject, "the package version is read from datapackage.json"
    assert res.__version__ == version
    changelog = (ROOT / "CHANGELOG.md").read_text()
    assert f"## [{version}]" in changelog


# (source, table, value column, value, further cells that must match)
FIGURES = [
    ("news-000", "capacity_shares", "share_pct", 80, {"entity_id": "cn", "stage": "processing", "qualifier": "gt"}),
    ("news-000", "capacity_shares", "share_pct", 90, {"entity_id": "cn", "stage": "magnets", "qualifier": "gt"}),
    ("news-000", "reserves", "quantity", 1_400_000, {"entity_id": "mountain-pass", "unit": "t_reo"}),
    ("news-000", "reserves", "share_of_world_pct", 1.3, {"entity_id": "mountain-pass"}),
    ("news-000", "timeline", "value", 25, {"unit": "years"}),
    ("news-000", "timeline", "value", 10, {"unit": "years", "qualifier": "ge"}),
    ("news-001", "capacity_shares", "share_pct", 90, {"stage": "separation_refining", "year": 2023}),
    ("news-001", "capacity_shares", "share_pct", 69, {"stage": "metal_alloy", "year": 2023}),
    ("news-001", "investments", "amount", 500_000_000, {"investor_id": "apple", "currency": "USD"}),
    ("news-001", "timeline", "value", 1980, {"unit": "decade", "entity_id": "cn"}),
    ("news-001", "timeline", "value", 20, {"unit": "century"}),
    ("news-002", "investments", "amount", 400_000_000, {"investor_id": "us-dod", "instrument": "equity"}),
    ("news-002", "investments", "amount", 150_000_000, {"investor_id": "us-dod", "instrument": "loan"}),
    ("news-002", "investments", "amount", 500_000_000, {"investor_id": "apple", "instrument": "supply_agreement"}),
    ("news-002", "production", "quantity", 45_000, {"year": 2024, "unit": "t_reo", "qualifier": "gt", "product": "reo_in_concentrate"}),
    ("news-002", "production", "share_of_world_pct", 15, {"year": 2024}),
    ("news-002", "costs", "value", 80, {"unit": "pct_of_revenue", "qualifier": "approx"}),
    ("news-002", "capacity_shares", "share_pct", 90, {"stage": "separation_refining", "measure": "capacity"}),
    ("news-002", "capacity_shares", "share_pct", 70, {"stage": "mining", "measure": "output"}),
    ("news-003", "reserves", "quantity", 1_500_000, {"entity_id": "us"}),
    ("news-003", "reserves", "quantity", 1_000_000_000, {"entity_id": "cn", "qualifier": "ge"}),
    ("news-004", "capacity_shares", "share_pct", 90, {"stage": "patents", "qualifier": "approx"}),
    ("news-004", "costs", "value", 7, {"unit": "USD/kg"}),
    ("news-004", "costs", "value", 40, {"unit": "pct_of_revenue", "entity_id": "mp-materials"}),
    ("news-004", "costs", "value", 50, {"unit": "pct_of_us_price", "locator": "title"}),
    ("news-004", "technology", "value", 99.5, {"unit": "pct", "qualifier": "approx"}),
    ("news-004", "technology", "value", 17, {"unit": "count"}),
    ("news-004", "timeline", "value", 1980, {"unit": "decade", "entity_id": "us"}),
]


@pytest.mark.parametrize("source, table, column, value, cells", FIGURES, ids=lambda v: str(v))
def test_source_figure_is_in_the_data(source, table, column, value, cells):
    frame = res.load(table).filter(pl.col("source_id") == source, pl.col(column) == value)
    for name, expected in cells.items():
        frame = frame.filter(pl.col(name) == expected)
    assert frame.height == 1, f"{source}: {value} in {table}.{column} with {cells} found {frame.height} times"
    row = frame.row(0, named=True)
    assert row["locator"] and row["as_reported"]


# Every number token of each document (reference marks removed), and where it went.
NUMBER_TOKENS = {
    "000_be750dd895950846.txt": {"25": "timeline time-001 (title and body)", "80": "cap-001", "90": "cap-002",
                                 "1.4": "res-001", "1.3": "res-001 share", "10": "time-002"},
    "001_9e453daffbe5dc25.txt": {"2025-08-06": "sources.published", "03:21": "publication time (sources note)",
                                 "1980": "time-003", "20": "time-004", "2023": "year of cap-003/cap-004",
                                 "90": "cap-003", "69": "cap-004", "500": "inv-001"},
    "002_2c49cea52811d288.txt": {"1": "section heading, not a figure", "2": "section heading, not a figure",
                                 "3": "section heading, not a figure", "4": "section heading, not a figure",
                                 "400": "inv-002", "150": "inv-003", "500": "inv-004", "45,000": "prod-001",
                                 "2024": "year of prod-001", "15": "prod-001 share", "80": "cost-003",
                                 "90": "cap-005", "70": "cap-006"},
    "003_708878d2899416dc.txt": {"2025-10-21": "sources.published", "07:50": "publication time (sources note)",
                                 "1.5": "res-002"},
    "004_40bb19c45de92ce4.txt": {"2025-08-28": "sources.published", "06:05": "publication time (sources note)",
                                 "90": "cap-007", "7": "cost-001", "99.5": "tech-001", "40": "cost-002",
                                 "1980": "time-005", "17": "tech-002"},
}


@pytest.mark.skipif(not SHARED.exists(), reason="../shared is not beside the checkout")
@pytest.mark.parametrize("document", sorted(NUMBER_TOKENS))
def test_every_number_in_a_source_document_is_accounted_for(document):
    text = re.sub(r"\[\d+\]", "", (SHARED / "sources" / document).read_text(encoding="utf-8"))
    tokens = set(re.findall(r"\d[\d,.:-]*\d|\d", text))
    assert tokens == set(NUMBER_TOKENS[document]), "a number in the source is not curated (or the list is stale)"


def test_published_dates_match_the_documents():
    sources = res.load("sources")
    if not SHARED.exists():
        pytest.skip("../shared is not beside the checkout")
    for row in sources.filter(pl.col("kind") == "news_summary").iter_rows(named=True):
        text = (SHARED / "sources" / row["file"]).read_text(encoding="utf-8")
        stated = re.findall(r"\d{4}-\d{2}-\d{2}", text)
        assert ([row["published"].isoformat()] if row["published"] else []) == stated[:1], row["id"]


def test_news_summaries_cite_the_article_as_its_copy_states_it():
    """Publisher and date come from the copy's byline ('Publisher·date time'); where the copy has none,
    no publisher, date, year or author is filled in."""
    if not SHARED.exists():
        pytest.skip("../shared is not beside the checkout")
    for row in res.load("sources").filter(pl.col("kind") == "news_summary").iter_rows(named=True):
        text = (SHARED / "sources" / row["file"]).read_text(encoding="utf-8")
        byline = re.search(r"^(?P<publisher>[^\n·]+)·\s*(?P<date>\d{4}-\d{2}-\d{2}) \d{2}:\d{2}$", text, re.M)
        if byline:
            assert (row["publisher"], row["published"].isoformat(), row["year"]) == \
                (byline["publisher"].strip(), byline["date"], int(byline["date"][:4])), row["id"]
        else:
            assert (row["publisher"], row["published"], row["year"]) == (None, None, None), row["id"]
        assert row["authors"] is None and row["url"] is None and row["doi"] is None, "the copies name no author or address"


def test_dois_and_named_authors_of_upstream_records_are_stated_by_a_record():
    """A DOI or a USGS author is only filled where shared/reference or the row's own note states it."""
    stated = " ".join(p.read_text(encoding="utf-8") for p in (SHARED / "reference").glob("*.md")) if SHARED.exists() else ""
    for row in res.load("sources").filter(pl.col("doi").is_not_null()).iter_rows(named=True):
        assert row["doi"] in stated + (row["note"] or "") or "DOI is that of the data release" in (row["note"] or ""), row["id"]
    usgs = res.load("sources").filter(pl.col("id") == "usgs-mcs-2025").row(0, named=True)
    assert usgs["authors"] == "Cordier, D. J.", "the chapter names D. J. Cordier; initials are not expanded"
