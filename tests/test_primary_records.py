"""Primary records of the 2025 deals and MP Materials' 2024 figures, and what they corroborate."""
from __future__ import annotations

import polars as pl
import pytest

import rare_earth_supply as res
from rare_earth_supply.rules.consistency import news_against_primary
from rare_earth_supply.read.csvfile import LINE
from conftest import SHARED

REFERENCE = SHARED / "reference" / "deals-and-company-figures.md"


def frames() -> dict[str, pl.DataFrame]:
    return {n: res.load(n).with_row_index(LINE, offset=2).with_columns(pl.col(LINE).cast(pl.Int64)) for n in res.tables()}


def one(table: str, **cells) -> dict:
    frame = res.load(table)
    for name, value in cells.items():
        frame = frame.filter(pl.col(name) == value)
    assert frame.height == 1, (table, cells, frame.height)
    return frame.row(0, named=True)


# Figures of shared/reference/deals-and-company-figures.md, as a reader lists them.
INSTRUMENTS = [
    ("us-dod", "equity", 400_000_000, "mp-pr-2025-07-10"),
    ("us-dod", "loan", 150_000_000, "mp-pr-2025-07-10"),
    ("jpm-gs-lenders", "bank_financing", 1_000_000_000, "mp-pr-2025-07-10"),
    ("apple", "supply_agreement", 500_000_000, "apple-newsroom-2025-07-15"),
    ("apple", "prepayment", 200_000_000, "mp-10q-2025"),
    ("us-dod", "warrant", None, "mp-8k-2025-07"),
    ("us-dod", "price_floor", None, "mp-pr-2025-07-10"),
    ("us-dod", "offtake", None, "mp-pr-2025-07-10"),
]
TERMS = {  # (instrument, term) -> value
    ("equity", "price_per_preferred_share"): 1000, ("equity", "dividend_rate_paid_in_kind"): 7, ("equity", "conversion_price"): 30.03,
    ("warrant", "duration"): 10, ("warrant", "shares_covered"): 11_201_659, ("warrant", "exercise_price"): 30.03,
    ("warrant", "ownership_with_conversion"): 15, ("loan", "duration"): 12, ("loan", "disbursement_after_closing"): 30,
    ("bank_financing", "earmarked_for_10x_facility"): 650_000_000, ("price_floor", "duration"): 10,
    ("price_floor", "dod_share_of_upside"): 30, ("offtake", "share_of_output"): 100, ("offtake", "duration"): 10,
    ("offtake", "total_us_magnet_capacity"): 10_000,
}


@pytest.mark.parametrize("investor, instrument, amount, source", INSTRUMENTS)
def test_each_instrument_is_curated_from_its_primary_record(investor, instrument, amount, source):
    row = one("investments", investor_id=investor, instrument=instrument, source_id=source)
    assert row["amount"] == amount
    assert row["currency"] == ("USD" if amount else None)
    if REFERENCE.exists():
        text = REFERENCE.read_text(encoding="utf-8")
        if amount:
            shown = f"USD {amount // 1_000_000_000} billion" if amount >= 1_000_000_000 else f"USD {amount // 1_000_000} million"
            assert shown in text


MP_2025_RECORDS = ("mp-pr-2025-07-10", "mp-8k-2025-07")  # the MP Materials / DoD package of July 2025


def test_deal_terms():
    terms = res.load("deal_terms").join(res.load("investments").select(pl.col("id").alias("investment_id"), "instrument", "source_id"),
                                        on="investment_id", suffix="_deal").filter(pl.col("source_id_deal").is_in(MP_2025_RECORDS))
    found = {(r["instrument"], r["term"]): r["value"] for r in terms.iter_rows(named=True)}
    assert found == TERMS


def test_dates_prices_and_output():
    assert str(one("investments", instrument="equity", source_id="mp-pr-2025-07-10")["announced"]) == "2025-07-10"
    assert str(one("investments", instrument="supply_agreement", source_id="apple-newsroom-2025-07-15")["announced"]) == "2025-07-15"
    assert one("prices", kind="floor", source_id="mp-pr-2025-07-10")["price"] == 110
    assert one("prices", kind="realised", year=2024, source_id="mp-pr-2025-02-20")["price"] == 51
    assert one("prices", kind="realised", year=2023, source_id="mp-10k-2024")["price"] == 70
    assert one("production", source_id="mp-pr-2025-02-20", product="reo_in_concentrate")["quantity"] == 45_455
    assert one("production", source_id="mp-pr-2025-02-20", product="ndpr_oxide")["quantity"] == 1_294
    assert one("costs", item="revenue", year=2024)["value"] == 203_900_000
    assert one("costs", item="revenue", year=2023)["value"] == 253_400_000
    assert one("timeline", event="commissioning")["value"] == 2028
    assert one("timeline", event="first_magnet_shipments_to_apple")["value"] == 2027


def test_parties_and_facilities():
    entities = {r["id"]: r for r in res.load("entities").iter_rows(named=True)}
    assert (entities["us-dod"]["kind"], entities["us-dod"]["country"], entities["us-dod"]["parent_id"]) == ("government_body", "US", "us")
    for facility in ("mountain-pass", "mp-independence", "mp-10x-facility"):
        assert entities[facility]["kind"] == "facility" and entities[facility]["parent_id"] == "mp-materials"
    assert {"jpmorgan", "goldman-sachs", "apple"} <= set(entities)
    assert "jpmorgan" in entities["jpm-gs-lenders"]["note"] and "goldman-sachs" in entities["jpm-gs-lenders"]["note"]


@pytest.mark.parametrize("news_row, amount", [("inv-002", 400_000_000), ("inv-003", 150_000_000), ("inv-001", 500_000_000), ("inv-004", 500_000_000)])
def test_news_deal_figures_are_corroborated_by_primary_records(news_row, amount):
    report = news_against_primary(frames()).filter(pl.col("news_row") == news_row)
    assert report.height == 1
    row = report.row(0, named=True)
    assert row["verdict"] == "corroborated" and row["primary_source"] in ("mp-pr-2025-07-10", "apple-newsroom-2025-07-15")
    assert row["news_value"] == row["primary_value"] == f"eq {amount}"


def test_news_output_is_corroborated_within_rounding():
    row = news_against_primary(frames()).filter(pl.col("news_row") == "prod-001").row(0, named=True)
    assert (row["news_value"], row["primary_value"], row["verdict"]) == ("gt 45000", "eq 45455", "corroborated")


def test_apple_deal_is_recorded_as_a_purchase_commitment_everywhere():
    apple = res.load("investments").filter(pl.col("investor_id") == "apple", pl.col("amount") == 500_000_000)
    assert set(apple["instrument"]) == {"supply_agreement"}
    news = apple.filter(pl.col("source_id") == "news-002").row(0, named=True)
    assert "investment" in news["as_reported"] and "investment" in news["note"]
