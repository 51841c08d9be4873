"""Money in one currency: the US-dollar figures of the preferred views and the funding() sums, checked against
conversions worked by hand from the real rows and rates, and against rows built to exercise each counting rule."""
from __future__ import annotations

import csv
import datetime as dt

import polars as pl
import pytest

import rare_earth_supply as res
from rare_earth_supply import commitments, money
from conftest import ROOT


def _rows(table: str) -> dict[str, dict[str, str]]:
    with open(ROOT / "data" / f"{table}.csv", encoding="utf-8", newline="") as f:
        return {r["id"]: r for r in csv.DictReader(f)}


def _usd_per_unit(currency: str, year: int) -> float:
    """US dollars for one unit, read straight from the CSV (the Fed prints AUD, EUR and GBP the other way round)."""
    rate = next(r for r in _rows("exchange_rates").values() if r["currency"] == currency and int(r["year"]) == year)
    return float(rate["rate"]) if rate["quoted_as"] == "usd_per_currency" else 1 / float(rate["rate"])


def _preferred(table: str, row_id: str) -> dict:
    return res.load(table, view="preferred", warn_errata=False).filter(pl.col("id") == row_id).row(0, named=True)


def test_an_australian_loan_is_converted_at_the_fed_average_of_its_announcement_year():
    iluka = _preferred("investments", "inv-053")  # A$1.25 billion, announced 4 April 2022
    assert (iluka["amount"], iluka["currency"], iluka["usd_year"]) == (1_250_000_000, "AUD", 2022)
    assert iluka["amount_usd"] == 868_875_000  # 1,250,000,000 × 0.6951 (G.5A 2022: US dollars per A$), to the cent
    assert iluka["usd_rate_source_id"] == "frb-g5a-2024" and iluka["usd_note"] is None


def test_a_price_per_tonne_in_yuan_is_divided_by_the_yuan_rate_and_keeps_its_tonne():
    quote = _preferred("prices", "price-284")  # NdPr oxide, 525,000 yuan per tonne on 20 October 2023
    assert quote["price_usd"] == round(525_000 / 7.0809, 2)  # G.5A 2023: 7.0809 yuan per US dollar, to the cent
    assert quote["usd_unit"] == "USD/t"


def test_every_converted_row_is_its_figure_times_the_rate_of_its_currency_and_year():
    for table, column in money.CONVERTED.items():
        view = res.load(table, view="preferred", warn_errata=False).filter(pl.col(money.USD_COLUMN[table]).is_not_null())
        assert view.height > 0
        for row in view.iter_rows(named=True):
            currency = row["currency"] if table == "investments" else row["unit"].split("/")[0]
            expected = row[column] * (1.0 if currency == "USD" else _usd_per_unit(currency, row["usd_year"]))
            assert row[money.USD_COLUMN[table]] == pytest.approx(expected, abs=0.005), row["id"]  # to the cent


def test_a_row_without_a_rate_says_why_and_gets_no_dollar_figure():
    rates = res.load("exchange_rates")
    frame = pl.DataFrame({"id": ["a", "b", "c", "d"], "amount": [1e6, 1e6, 1e6, None], "currency": ["AUD", "SAR", "AUD", None],
                          "announced": [dt.date(2026, 3, 1), dt.date(2023, 3, 1), None, dt.date(2023, 3, 1)],
                          "status_as_of": [None, None, None, None]}, schema_overrides={"status_as_of": pl.Date})
    out = money.with_usd(frame, "investments", rates)
    assert out["amount_usd"].to_list() == [None, None, None, None]
    assert out["usd_note"].to_list() == ["exchange_rates has no annual averages for 2026 yet", "exchange_rates has no SAR rate for 2023",
                                         "no year to convert in", "no amount stated"]


def _deal_frames(rows: list[dict]) -> dict[str, pl.DataFrame]:
    """The real entities, sources and rates with `rows` as the whole investments table."""
    base = res.load("investments", warn_errata=False)
    frame = pl.DataFrame([{c: r.get(c) for c in base.columns} for r in rows], schema=base.schema)
    return {"investments": frame, "entities": res.load("entities"), "sources": res.load("sources"), "exchange_rates": res.load("exchange_rates")}


def _row(**cells) -> dict:
    return {"investor_id": "export-finance-australia", "recipient_id": "iluka-resources", "instrument": "loan", "currency": "AUD",
            "qualifier": "eq", "as_reported": "x", "source_id": "medcom-2022-04-iluka-cmf-loan", "locator": "paragraph 1", **cells}


def test_a_deal_counts_once_at_its_latest_commitment_state_and_a_cancelled_one_not_at_all():
    day = dt.date
    frames = _deal_frames([
        _row(id="inv-901", deal="d-amended", amount=100e6, announced=day(2022, 5, 1), deal_status="announced", status_as_of=day(2022, 5, 1)),
        _row(id="inv-902", deal="d-amended", amount=150e6, announced=day(2022, 5, 1), deal_status="amended", status_as_of=day(2023, 6, 1)),
        _row(id="inv-903", deal="d-amended", amount=20e6, announced=day(2022, 5, 1), deal_status="disbursed", status_as_of=day(2024, 1, 1)),
        _row(id="inv-904", deal="d-gone", amount=70e6, announced=day(2022, 2, 1), deal_status="announced", status_as_of=day(2022, 2, 1)),
        _row(id="inv-905", deal="d-gone", amount=70e6, announced=day(2022, 2, 1), deal_status="cancelled", status_as_of=day(2022, 9, 1)),
        _row(id="inv-906", deal="d-part", part_of="d-amended", amount=50e6, announced=day(2022, 5, 1), deal_status="announced",
             status_as_of=day(2022, 5, 1)),
    ])
    group = commitments.funding_of(frames).row(0, named=True)
    # the amendment's A$150 million at the 2022 rate; not the first A$100 million, the A$20 million paid out or the part
    assert group["amount_usd"] == pytest.approx(150e6 * 0.6951)
    assert (group["deals"], group["investment_ids"], group["cancelled_ids"], group["part_ids"]) == (1, ["inv-902"], ["inv-905"], ["inv-906"])
    assert (group["investor_country"], group["public"], group["year"]) == ("AU", True, 2022)


def test_funding_sums_are_reproducible_from_the_rows_they_name():
    view = res.funding()
    rows = _rows("investments")
    for group in view.filter(pl.col("amount_usd").is_not_null()).iter_rows(named=True):
        total = 0.0
        for row_id in group["investment_ids"]:
            row = rows[row_id]
            when = row["announced"] or row["status_as_of"]
            if not row["amount"] or (row["currency"] != "USD" and not when):  # no sum, or no year to convert a foreign one in
                continue
            total += float(row["amount"]) * (1.0 if row["currency"] == "USD" else _usd_per_unit(row["currency"], int(when[:4])))
        assert group["amount_usd"] == pytest.approx(total, abs=0.005 * len(group["investment_ids"])), group


def test_real_packages_count_their_latest_state_and_never_their_parts():
    deals = commitments.deals_of({n: res.load(n, warn_errata=False) for n in ("investments", "entities", "sources", "errata", "exchange_rates")})
    iluka = deals.filter(pl.col("deal") == "efa-cmf-iluka-eneabba-loan-2022").row(0, named=True)
    assert iluka["id"] == "inv-053" and iluka["part_ids"] == ["inv-054"]  # A$1.05 billion non-recourse part: shown, not added
    lynas = deals.filter(pl.col("deal") == "dod-lynas-hree-texas-2022").row(0, named=True)
    assert (lynas["id"], lynas["amount_usd"]) == ("inv-017", 258_000_000)  # the 2023 amendment replaces the 2022 award
    assert "inv-054" not in deals["id"].to_list()


def test_funding_is_in_the_releases_with_its_schema(release_sqlite):
    import sqlite3
    db = sqlite3.connect(release_sqlite)
    total = db.execute("SELECT sum(amount_usd) FROM funding WHERE public = 1").fetchone()[0]
    assert total == pytest.approx(res.funding(public=True)["amount_usd"].sum())
    described = dict(db.execute("SELECT field, description FROM _fields WHERE \"table\" = 'funding'").fetchall())
    assert set(described) >= {"investor_country", "amount_usd", "deal_ids", "part_ids"} and all(described.values())
    usd = db.execute("SELECT amount_usd, usd_rate_source_id FROM investments_preferred WHERE id = 'inv-053'").fetchone()
    assert usd[0] == pytest.approx(1_250_000_000 * 0.6951) and usd[1] == "frb-g5a-2024"
