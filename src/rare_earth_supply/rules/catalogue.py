"""The rules catalogue: every check with a stable id, a severity, a description and a tolerance.

Field-level rules come from the Table Schemas (run by the reader and `rules.fields`);
row-level and cross-table rules are functions from typed frames to the rows that break them,
written as polars expressions, joins and window sums — never a Python loop over rows. Each
level lives in its own module; this one assembles them in the order reports list them.
"""
from __future__ import annotations

import polars as pl

from rare_earth_supply.problems import ERROR, WARNING
from rare_earth_supply.rules import consistency
from rare_earth_supply.rules.agreement import (
    check_duplicate_figures, check_share_vs_computed, check_sources_disagree, check_uncited_sources)
from rare_earth_supply.rules.base import Context, Rule
from rare_earth_supply.rules.cross_table import (
    ROUNDING_TOLERANCE, SHARE_SUM_TOLERANCE_PP, check_countries_within_world, check_entity_roles, check_errata_references,
    check_country_within_world, check_event_after_source, check_facility_within_country, check_foreign_keys, check_locator, check_share_sum)
from rare_earth_supply.rules.rows import (
    check_amount_currency, check_entity_parent, check_period_order, check_qualifier)
from rare_earth_supply.rules.money import (
    check_deal_committed, check_deal_parties, check_part_of, check_status_after_announcement, check_usd_rate)
from rare_earth_supply.rules.measures import check_elements, check_measure_sequence
from rare_earth_supply.rules.plants import check_capacity_unit, check_expected_after_statement
from rare_earth_supply.rules.quotas import check_quota_batches, check_quota_scopes
from rare_earth_supply.rules.text import check_text_control, check_text_formula, check_text_whitespace
from rare_earth_supply.rules.urls import check_web_addresses

__all__ = ["CATALOGUE", "RULES", "Context", "Rule", "catalogue_frame"]


CATALOGUE: tuple[Rule, ...] = (
    # file level (the reader)
    Rule("resource-missing", ERROR, "file", "The file a resource names exists and can be read."),
    Rule("resource-hash", ERROR, "file", "Where the descriptor records a file's bytes and sha256 hash (releases, installed copies), the file matches them."),
    Rule("csv-empty", ERROR, "file", "A CSV file holds at least a header row."),
    Rule("csv-encoding", ERROR, "file", "A CSV file is valid UTF-8."),
    Rule("csv-bom", ERROR, "file", "A CSV file has no byte-order mark."),
    Rule("csv-line-ending", ERROR, "file", "Lines end with LF only, so file hashes are the same on every platform."),
    Rule("csv-malformed", ERROR, "file", "Every quoted cell is closed on its line and the file parses as CSV."),
    Rule("csv-ragged", ERROR, "file", "Every row has as many cells as the header."),
    Rule("csv-header-missing", ERROR, "file", "Every field of the Table Schema is a column of the header."),
    Rule("csv-header-extra", ERROR, "file", "Every header column is a field of the Table Schema."),
    Rule("csv-header-duplicate", ERROR, "file", "No header column appears twice."),
    Rule("csv-header-order", ERROR, "file", "Header columns follow the order of the Table Schema's fields."),
    # field level (Table Schema, via the reader and pandera)
    Rule("field-type", ERROR, "field", "A cell parses as its field's Table Schema type."),
    Rule("field-required", ERROR, "field", "A required field has a value."),
    Rule("field-unique", ERROR, "field", "A unique field repeats no value (empty cells may repeat)."),
    Rule("field-minimum", ERROR, "field", "A value respects its field's minimum (or exclusive minimum): shares and quantities are not negative, amounts are positive."),
    Rule("field-maximum", ERROR, "field", "A value respects its field's maximum, e.g. a share is at most 100%."),
    Rule("field-enum", ERROR, "field", "A value is one its field allows; units, qualifiers, stages and kinds come from these vocabularies, currencies from ISO 4217 (active codes, generated from pycountry)."),
    Rule("field-pattern", ERROR, "field", "A value matches its field's pattern (ids, country codes, dates)."),
    Rule("field-length", ERROR, "field", "A text value respects its field's minimum and maximum length."),
    Rule("primary-key", ERROR, "field", "The primary key identifies one row."),
    Rule("foreign-key", ERROR, "cross-table", "Every reference (source_id, entity ids, parent_id) names an existing row.", check=check_foreign_keys),
    # row level
    Rule("text-formula", ERROR, "row", "No text cell begins with =, +, - or @ (spreadsheet formula injection).", check=check_text_formula),
    Rule("text-whitespace", ERROR, "row", "No text cell has leading or trailing whitespace or a line break.", check=check_text_whitespace),
    Rule("text-control", ERROR, "row", "No text cell holds a control character (C0 other than tab and line breaks, DEL, C1) or a bidirectional override.", check=check_text_control),
    Rule("web-address", ERROR, "row", "An address that becomes a link is http(s): a source's url and the descriptor's homepage, and any licence, source or contributor path that is an address rather than a relative file path.", check=check_web_addresses),
    Rule("amount-currency", ERROR, "row", "An investment's amount comes with its currency.", check=check_amount_currency, needs=("investments",)),
    Rule("period-order", ERROR, "row", "A period (of trade, a cost or a price) does not end before it starts.", check=check_period_order),
    Rule("deal-parties", ERROR, "row", "The rows of one deal (one commitment's announcement, close, amendment or cancellation) name one investor.",
         check=check_deal_parties, needs=("investments",)),
    Rule("deal-committed", ERROR, "row", "Every deal has a row that states its commitment (announced, conditional, closed, amended or cancelled); a disbursement alone cannot be counted.",
         check=check_deal_committed, needs=("investments",)),
    Rule("part-of-deal", ERROR, "row", "A commitment recorded as part of another names another deal of the table, whose sum then counts it (else it would be counted nowhere).",
         check=check_part_of, needs=("investments",)),
    Rule("status-after-announcement", ERROR, "row", "A deal's status is not dated before the deal was first announced.",
         check=check_status_after_announcement, needs=("investments",)),
    Rule("usd-rate-exists", ERROR, "cross-table", "A sum of money converted to US dollars has its currency's annual average rate for the year it is converted in, wherever exchange_rates holds that currency for other years and that year for other currencies (a currency the official source does not quote, or a year not yet published, is left unconverted and the preferred view says why).",
         check=check_usd_rate, needs=("exchange_rates",)),
    Rule("qualifier-impossible", ERROR, "row", "A qualifier can hold for its value: nothing is over 100% or under zero.", check=check_qualifier),
    Rule("event-after-source", ERROR, "cross-table", "A figure is not dated after the source that reports it was published (plans and expectations excepted).", check=check_event_after_source, needs=("sources",)),
    Rule("locator-format", ERROR, "cross-table", "A figure from a news summary is located by reference marks such as [3][5] or by 'title'.", check=check_locator, needs=("sources",)),
    Rule("entity-role", ERROR, "cross-table", "Entity kinds fit their role: reserves of a country, facility or the world; an investor is a company, government body, consortium or international organisation; a recipient a company or facility.", check=check_entity_roles, needs=("entities",)),
    Rule("entity-parent", ERROR, "row", "A facility belongs to a company, a government body to a country; countries carry an ISO code, the world none.", check=check_entity_parent, needs=("entities",)),
    # cross-table errors
    Rule("share-sum", ERROR, "cross-table", "For one stage, measure and year, the shares of distinct countries add to no more than 100% (lower bounds count as given; the lowest figure per country is used).",
         f"{SHARE_SUM_TOLERANCE_PP:g} percentage point", check_share_sum, ("entities", "capacity_shares")),
    Rule("facility-within-country", ERROR, "cross-table", "A facility's reserves or output do not exceed the largest figure for its country of the same year and scope or product.",
         f"{ROUNDING_TOLERANCE:.0%} of the country figure (rounded estimates)", check_facility_within_country, ("entities",)),
    Rule("countries-within-world", ERROR, "cross-table", "Within one source, the countries' quantities of a year add to no more than that source's world total.",
         f"{ROUNDING_TOLERANCE:.0%} of the world total ({consistency.APPROX_TOLERANCE:.0%} where it is approximate)", check_countries_within_world, ("entities",)),
    Rule("country-within-world", ERROR, "cross-table", "A country's reserves or output do not exceed the world total of the same source for the same as_of or year, scope or product and unit.",
         f"{ROUNDING_TOLERANCE:.0%} of the world total ({consistency.APPROX_TOLERANCE:.0%} where either is approximate)", check_country_within_world, ("entities",)),
    # warnings
    Rule("share-stated-vs-computed", WARNING, "cross-table", "A stated share of world agrees with quantity ÷ world total for the same year (every world total of that year, compared through the smallest and largest); a stated share of mining with a year agrees with the shares computed from the production statistics.",
         f"{consistency.SHARE_TOLERANCE_PP:g} percentage point", check_share_vs_computed, ("entities",)),
    Rule("sources-disagree", WARNING, "cross-table", "A figure agrees with every other source on its subject, qualifiers taken as bounds; a figure that does not is reported once, naming the figure whose bound it breaks.",
         f"{consistency.RELATIVE_TOLERANCE:.0%} relative ({consistency.APPROX_TOLERANCE:.0%} where either is approximate)", check_sources_disagree),
    Rule("duplicate-figure", WARNING, "cross-table", "A figure is entered once: no two rows share source, subject, qualifier and value under different ids.",
         check=check_duplicate_figures),
    Rule("quota-batches-sum", WARNING, "cross-table", "A year's quota batches add to no more than the annual total a source states, and batches 1 and 2 match a figure given for both (the lowest figure per batch counts).",
         f"{consistency.RELATIVE_TOLERANCE:.0%} of the total ({consistency.APPROX_TOLERANCE:.0%} where it is approximate)", check_quota_batches, ("quotas",)),
    Rule("quota-scopes-sum", WARNING, "cross-table", "The light and heavy parts of one quota allocation add to its total.",
         f"{consistency.RELATIVE_TOLERANCE:.0%} of the total ({consistency.APPROX_TOLERANCE:.0%} where it is approximate)", check_quota_scopes, ("quotas",)),
    Rule("measure-sequence", ERROR, "cross-table", "A suspension or lifting names the measure it ends; a step that names a measure is not dated before it; a new measure names none.",
         check=check_measure_sequence, needs=("policy_measures",)),
    Rule("elements-vocabulary", ERROR, "row", "A measure's element list names rare earths (Sc, Y and the lanthanides), each once.",
         check=check_elements, needs=("policy_measures",)),
    Rule("capacity-unit", ERROR, "row", "A plant's capacity is in the unit its stage is measured in: tonnes of oxide a year for mining and separation, tonnes of product a year for metal, alloy, magnets and recycling.",
         check=check_capacity_unit, needs=("plant_capacities",)),
    Rule("expected-after-statement", ERROR, "cross-table", "A plant that is planned, under construction or commissioning is not expected before the year of the statement that expects it.",
         check=check_expected_after_statement, needs=("plant_capacities", "sources")),
    Rule("errata-references", ERROR, "cross-table", "An erratum names an existing table, rows of it, a catalogued rule and existing sources.",
         check=check_errata_references, needs=("errata", "sources")),
    Rule("rule-skipped", WARNING, "release", "Every rule runs: a rule that cannot, because a table lacks a column it reads (an older or foreign package), is named rather than silently left out."),
    Rule("erratum-lapsed", WARNING, "release", "An open erratum still vouches for the figures it was written about: a named row whose figure changed (its fingerprint differs) lapses the erratum until it is reviewed. A lapsed erratum acknowledges nothing and fails the release check."),
    Rule("erratum-stale", WARNING, "release", "Every open erratum still describes a problem: its rule still warns on its rows, or its rows still exist. A stale erratum fails the release check."),
    Rule("source-uncited", WARNING, "cross-table", "Every source is cited by at least one row, or named as evidence by an erratum.", check=check_uncited_sources, needs=("sources",)),
)

RULES = {rule.id: rule for rule in CATALOGUE}


def catalogue_frame() -> pl.DataFrame:
    """The catalogue as a table, for `rare-earth-supply rules` and the generated docs."""
    return pl.DataFrame(
        [{"rule": r.id, "severity": r.severity, "level": r.level, "tolerance": r.tolerance or "", "description": r.description}
         for r in CATALOGUE])
