"""What each fact table means to the rules: its value column, dates, entity roles and subject.

This is rule configuration, not field metadata (which lives only in schemas/*.json): it says
which column a rule reads, e.g. that a capacity share's value is `share_pct`.
"""
from __future__ import annotations

import polars as pl

FACT_TABLES = ("reserves", "production", "capacity_shares", "plant_capacities", "investments", "deal_terms", "costs", "prices", "exchange_rates",
               "trade", "technology",
               "timeline", "quotas", "policy_measures", "employment")

VALUE_COLUMN = {
    "reserves": "quantity",
    "production": "quantity",
    "capacity_shares": "share_pct",
    "plant_capacities": "capacity",
    "investments": "amount",
    "deal_terms": "value",
    "costs": "value",
    "prices": "price",
    "exchange_rates": "rate",
    "trade": "value",
    "technology": "value",
    "timeline": "value",
    "quotas": "quantity",
    "policy_measures": "value",
    "employment": "persons",
}

# Year-valued columns compared with the year the citing source was published.
YEAR_COLUMNS = {"reserves": "as_of", "production": "year", "capacity_shares": "year", "costs": "year", "prices": "year", "exchange_rates": "year",
                "trade": "period_end",
                "employment": "year"}
# quotas are set ahead of the year they cover: the announcement date is what a source can report
DATE_COLUMNS = {"investments": "announced", "quotas": "announced"}
# dates written at the precision the source gives (YYYY, YYYY-MM or YYYY-MM-DD), compared as text
PARTIAL_DATE_COLUMNS = {"policy_measures": "announced", "plant_capacities": "as_of"}

# (table, column) -> entity kinds that may play that role.
ENTITY_ROLES = {
    ("reserves", "entity_id"): {"world", "region", "country", "facility", "company"},
    ("production", "entity_id"): {"world", "region", "country", "facility", "company"},
    ("capacity_shares", "entity_id"): {"region", "country", "company"},
    ("plant_capacities", "facility_id"): {"facility", "company"},
    ("plant_capacities", "operator_id"): {"company", "consortium", "government_body"},
    ("investments", "investor_id"): {"company", "government_body", "consortium", "international_organization"},
    ("investments", "recipient_id"): {"company", "facility"},
    ("investments", "facility_id"): {"facility"},
    ("costs", "facility_id"): {"facility"},
    ("costs", "entity_id"): {"country", "region", "company", "facility"},  # a region: an estimate for outside China
    ("prices", "entity_id"): {"world", "region", "country", "company"},
    ("trade", "entity_id"): {"country", "region"},
    ("trade", "partner_id"): {"country", "region"},
    ("technology", "entity_id"): {"country", "company", "facility"},
    ("timeline", "entity_id"): {"world", "region", "country", "company", "facility", "government_body"},
    ("quotas", "entity_id"): {"country", "company", "region"},
    ("quotas", "issuer_id"): {"government_body"},
    ("policy_measures", "jurisdiction_id"): {"country", "region", "international_organization"},
    ("policy_measures", "issuer_id"): {"government_body", "international_organization"},
    ("employment", "entity_id"): {"country", "company", "facility"},
}

# Columns that together say "the same thing" in two rows from different sources.
SUBJECT = {
    "reserves": ("entity_id", "scope", "classification", "as_of", "unit"),
    "production": ("entity_id", "product", "year", "unit"),
    "capacity_shares": ("entity_id", "stage", "measure", "scope", "figure_kind", "scenario", "year"),
    # a plant's capacity as stated at one date: a later statement (an expansion, a delay) is a later row
    "plant_capacities": ("facility_id", "stage", "product", "unit", "as_of"),
    # one commitment (deal) in one state: its close or amendment is another subject, a second source for it the same
    "investments": ("deal", "instrument", "deal_status", "currency"),
    "deal_terms": ("investment_id", "term", "unit"),
    "costs": ("entity_id", "facility_id", "item", "unit", "basis", "year", "period_start", "period_end"),
    "prices": ("entity_id", "product", "purity_pct", "kind", "basis", "year", "period_start", "period_end", "unit"),
    "exchange_rates": ("currency", "year", "quoted_as"),
    "trade": ("entity_id", "partner_id", "product", "measure", "period_start", "period_end", "unit"),
    "technology": ("entity_id", "item", "unit"),
    "timeline": ("entity_id", "event", "unit"),
    "quotas": ("entity_id", "year", "batch", "stage", "scope", "unit"),
    # each row is one measure (or one step of one) as its source reports it: a subject of its own
    "policy_measures": ("id",),
    "employment": ("entity_id", "year", "scope"),
}

# Tables whose rows may state a share of the world total next to a quantity, and what makes
# a world row comparable: same year (or as_of), same product (or scope), same unit.
SHARE_OF_WORLD = {
    "reserves": ("as_of", "scope", "classification", "unit"),
    "production": ("year", "product", "unit"),
}


def with_subject(frame: pl.DataFrame, table: str) -> pl.DataFrame:
    """The frame with every subject column: one a table did not have yet (a past release rebuilt by today's
    code) is empty, so its rows differ on the columns they do have."""
    missing = [c for c in SUBJECT.get(table, ()) if c not in frame.columns]
    return frame.with_columns(pl.lit(None, pl.String).alias(c) for c in missing) if missing else frame


def time_column(table: str) -> str | None:
    """The column of a table's subject that dates a figure: an undated figure is compared with no other."""
    for column in (YEAR_COLUMNS.get(table), PARTIAL_DATE_COLUMNS.get(table)):
        if column and column in SUBJECT.get(table, ()):
            return column
    return None
