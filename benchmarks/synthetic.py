"""A synthetic copy of the data package, scaled to N rows per fact table, that breaks no rule.

Rows are drawn from the real ones' vocabularies; each refers to a synthetic company entity,
so every subject has about one figure per source, as in the real data (the consistency
check compares figures per subject, so N copies of one subject would measure a quadratic
blow-up no real dataset has). The real rows stay, so every rule still has work to do.
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import polars as pl

from rare_earth_supply.commitments import COMMITMENT_ORDER

ROOT = Path(__file__).resolve().parent.parent
SOURCE = "news-002"  # undated, so generated years never postdate it


def _spread(n: int, salt: int, modulo: int) -> pl.Expr:
    """Deterministic, well-mixed integers in [0, modulo): a cheap stand-in for random draws."""
    return ((pl.int_range(n, dtype=pl.Int64) * 2_654_435_761 + salt * 40_503) % 4_294_967_291) % modulo


def _choice(values: list[str], n: int, salt: int) -> pl.Expr:
    return pl.lit(pl.Series(values, dtype=pl.String)).gather(_spread(n, salt, len(values)))


def _facts(table: str, n: int, entities: list[str], investments: list[str]) -> pl.DataFrame:
    schema = json.loads((ROOT / "schemas" / f"{table}.json").read_text())
    fields = {f["name"]: f for f in schema["fields"]}
    prefix = fields["id"]["constraints"]["pattern"].split("-")[0].lstrip("^")
    exprs: dict[str, pl.Expr] = {"id": pl.format(f"{prefix}-9{{}}", pl.int_range(n).cast(pl.String).str.zfill(7))}
    for salt, (name, field) in enumerate(fields.items(), start=1):
        c = field.get("constraints", {})
        if name == "id":
            continue
        if name in ("entity_id", "investor_id", "recipient_id"):
            e = _choice(entities, n, salt)
        elif name == "investment_id":
            e = _choice(investments, n, salt)
        elif name == "source_id":
            e = pl.lit(SOURCE)
        elif name == "locator":
            e = pl.format("[{}]", _spread(n, salt, 29) + 1)
        elif name == "qualifier":
            e = pl.lit("eq")
        elif name == "currency":
            e = pl.lit("USD")
        elif name in ("as_reported", "purpose"):
            e = pl.format("{} units", _spread(n, salt, 10**6) + 1)
        elif name == "deal":  # one commitment per row, as most real deals are
            e = pl.format("deal-{}", pl.int_range(n))
        elif name in ("note", "classification", "announced", "expected", "share_of_world_pct", "purity_pct", "part_of", "facility_id",
                      "measure_id", "status_as_of", "period_start", "period_end", "capacity", "capacity_unit"):
            e = pl.lit(None, pl.String)
        elif "enum" in c:
            e = _choice([v for v in c["enum"] if v != "pct_of_us_price"], n, salt)
        elif name in ("year", "as_of"):
            e = _spread(n, salt, 75) + 1950
        elif field["type"] in ("number", "integer"):
            e = _spread(n, salt, 99 if name == "share_pct" else 10**6) + 1
        elif c.get("pattern", "").startswith("^[a-z0-9]+(_"):
            e = pl.format("item_{}", _spread(n, salt, 10**6))
        else:
            e = pl.format("text {}", _spread(n, salt, 10**6))
        exprs[name] = e
    frame = pl.select(**{k: v.cast(pl.String) for k, v in exprs.items()}).with_columns(pl.all().cast(pl.String))
    small = {"costs": pl.col("unit").str.starts_with("pct"), "technology": pl.col("unit") == "pct", "deal_terms": pl.col("unit") == "pct"}
    if table in small:  # percentages stay below 100
        frame = frame.with_columns(pl.when(small[table]).then(pl.col("value").cast(pl.Int64) % 99 + 1)
                                   .otherwise(pl.col("value").cast(pl.Int64)).cast(pl.String).alias("value"))
    if table == "timeline":
        frame = frame.with_columns(pl.lit("years").alias("unit"))
    if table == "investments":
        # one row per deal, so each row states the deal's commitment (rule deal-committed)
        frame = frame.with_columns(pl.lit("supply_agreement").alias("instrument"),
                                   _choice(list(COMMITMENT_ORDER), n, 99).alias("deal_status"))
    return frame.select(list(fields))


FACT_TABLES = ("investments", "reserves", "production", "capacity_shares", "deal_terms", "costs", "prices", "technology", "timeline")


def build(n: int, target: Path, tables: tuple[str, ...] = FACT_TABLES) -> Path:
    """Write the package, with N synthetic rows added to each of `tables`, into `target` (replaced) and return it."""
    if target.exists():
        shutil.rmtree(target)
    (target / "data").mkdir(parents=True)
    shutil.copytree(ROOT / "schemas", target / "schemas")
    shutil.copy(ROOT / "datapackage.json", target)
    descriptor = json.loads((ROOT / "datapackage.json").read_text())
    real = {r["name"]: pl.read_csv(ROOT / r["path"], infer_schema=False) for r in descriptor["resources"]}
    companies = max(10, n // 3)
    synthetic = pl.DataFrame({"id": [f"syn-{i:07d}" for i in range(companies)], "name": [f"Company {i}" for i in range(companies)],
                              "kind": ["company"] * companies, "country": ["US"] * companies,
                              "parent_id": [None] * companies, "aliases": [None] * companies, "note": [None] * companies},
                             schema={c: pl.String for c in real["entities"].columns})
    real["entities"] = pl.concat([real["entities"], synthetic])
    companies_ids = synthetic["id"].to_list()
    investments = _facts("investments", n, companies_ids, [])
    made = {"investments": investments} if "investments" in tables else {}
    for table in tables:
        if table != "investments":
            made[table] = _facts(table, n, companies_ids, investments["id"].to_list())
    for name, frame in real.items():
        out = pl.concat([frame, made[name]]) if name in made else frame
        out.write_csv(target / "data" / f"{name}.csv")
    return target


def repeated_subject(k: int, target: Path) -> Path:
    """The real package plus k copies of the U.S. reserve figure of MCS 2025, alternating between the
    USGS value and the news summary's, so every copy conflicts with half the others."""
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(ROOT / "data", target / "data")
    shutil.copytree(ROOT / "schemas", target / "schemas")
    shutil.copy(ROOT / "datapackage.json", target)
    reserves = pl.read_csv(ROOT / "data" / "reserves.csv", infer_schema=False)
    row = reserves.filter(pl.col("id") == "res-004")
    index = pl.int_range(k)
    copies = pl.select(index.alias("_k")).join(row, how="cross").with_columns(
        pl.format("res-9{}", pl.col("_k").cast(pl.String).str.zfill(7)).alias("id"),
        pl.when(pl.col("_k") % 2 == 0).then(pl.lit("1900000")).otherwise(pl.lit("1500000")).alias("quantity"),
        pl.when(pl.col("_k") % 2 == 0).then(pl.lit("usgs-mcs-2025")).otherwise(pl.lit("news-003")).alias("source_id"),
        (pl.col("as_reported") + pl.lit(" copy ") + pl.col("_k").cast(pl.String)).alias("as_reported"),
    ).drop("_k")
    pl.concat([reserves, copies.select(reserves.columns)]).write_csv(target / "data" / "reserves.csv")
    return target
