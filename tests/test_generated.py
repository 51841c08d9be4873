"""Generated data (hypothesis, from the Table Schemas): valid rows pass, each mutation is caught
by the right rule, and frictionless agrees with our field-level validation on valid vs invalid."""
from __future__ import annotations

import json
import tempfile
from pathlib import Path

import polars as pl
import pytest
from frictionless import Package
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from rare_earth_supply import testing
from rare_earth_supply.rules.schema import derive, primary_key
from rare_earth_supply.validate import check_table
from conftest import ROOT

SCHEMAS = {p.stem: json.loads(p.read_text()) for p in sorted((ROOT / "schemas").glob("*.json"))}
RULE_OF_CONSTRAINT = {
    "required": "field-required", "type": "field-type", "enum": "field-enum", "pattern": "field-pattern",
    "minimum": "field-minimum", "exclusiveMinimum": "field-minimum", "maximum": "field-maximum",
    "maxLength": "field-length",
}
V2 = json.loads((ROOT / "datapackage.json").read_text())["$schema"]
SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


def standalone(schema: dict) -> dict:
    """The table alone: foreign keys point at other tables, which field-level checks don't read."""
    return {k: v for k, v in schema.items() if k != "foreignKeys"}


def ours(table: str, schema: dict, text: str) -> pl.DataFrame:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"{table}.csv"
        path.write_text(text, encoding="utf-8")
        return check_table(table, path, schema)[1]


def theirs(schema: dict, text: str) -> bool:
    """frictionless on a one-table Data Package v2 (v2 constraints such as exclusiveMinimum need it)."""
    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp, "t.csv").write_text(text, encoding="utf-8")
        Path(tmp, "t.json").write_text(json.dumps(schema), encoding="utf-8")
        descriptor = {"$schema": V2, "name": "generated", "resources": [
            {"name": "t", "path": "t.csv", "type": "table", "format": "csv", "encoding": "utf-8", "schema": "t.json"}]}
        return Package(descriptor, basepath=tmp).validate().valid


@st.composite
def mutated(draw, schema: dict):
    """Valid rows with one cell replaced by a value that breaks one constraint of its field."""
    rows = draw(testing.rows(schema, min_size=1, max_size=5))
    key = primary_key(schema)
    field = draw(st.sampled_from([f for f in schema["fields"] if testing.mutations(f, key)]))
    mutation = draw(st.one_of(testing.mutations(field, key)))
    index = draw(st.integers(0, len(rows) - 1))
    rows[index] = {**rows[index], mutation.field: mutation.cell}
    return rows, mutation


@pytest.mark.parametrize("table", sorted(SCHEMAS))
def test_generated_valid_rows_pass(table):
    schema = standalone(SCHEMAS[table])

    @SETTINGS
    @given(testing.rows(schema))
    def check(rows):
        problems = ours(table, schema, testing.to_csv(schema, rows))
        assert problems.is_empty(), problems.to_dicts()
    check()


@pytest.mark.parametrize("table", sorted(SCHEMAS))
def test_each_mutation_is_caught_by_its_rule(table):
    schema = standalone(SCHEMAS[table])

    @SETTINGS
    @given(mutated(schema))
    def check(case):
        rows, mutation = case
        problems = ours(table, schema, testing.to_csv(schema, rows))
        expected = "primary-key" if mutation.field in primary_key(schema) and mutation.constraint == "unique" else RULE_OF_CONSTRAINT[mutation.constraint]
        hit = problems.filter((pl.col("column") == mutation.field) & (pl.col("rule") == expected))
        assert not hit.is_empty(), (mutation, problems.to_dicts())
    check()


@pytest.mark.parametrize("table", sorted(SCHEMAS))
def test_frictionless_and_pandera_agree_on_validity(table):
    schema = standalone(SCHEMAS[table])

    # frictionless takes ~50 ms a call: skip shrinking, the failing cases are small already
    @settings(SETTINGS, phases=[Phase.explicit, Phase.reuse, Phase.generate])
    @given(st.one_of(testing.rows(schema, max_size=4).map(lambda rows: (rows, None)), mutated(schema)))
    def check(case):
        rows, mutation = case
        text = testing.to_csv(schema, rows)
        our_valid = ours(table, schema, text).is_empty()
        assert our_valid == theirs(schema, text), (mutation, text)
        assert our_valid == (mutation is None)
    check()


def _cost_row(schema: dict, value: str) -> dict[str, str]:
    """A valid costs row: the required cells filled, every other field of the schema empty."""
    blank = {f["name"]: "" for f in schema["fields"]}
    return {**blank, "id": "cost-001", "entity_id": "cn", "item": "x", "value": value, "unit": "USD/kg", "qualifier": "eq",
            "as_reported": "1", "source_id": "s", "locator": "[1]"}


def test_duplicate_primary_key_is_caught_by_both():
    schema = standalone(SCHEMAS["costs"])
    row = _cost_row(schema, value="1")
    text = testing.to_csv(schema, [row, row])
    assert set(ours("costs", schema, text)["rule"]) == {"primary-key"}
    assert not theirs(schema, text)


def test_repeated_empty_cells_in_a_unique_field_are_allowed_by_both():
    schema = standalone(SCHEMAS["sources"])
    base = {"title": "t", "title_en": "t", "publisher": "", "published": "", "language": "en", "kind": "statistics",
            "url": "", "file": "", "authors": "", "year": "", "series": "", "doi": "", "note": ""}
    text = testing.to_csv(schema, [{**base, "id": "a"}, {**base, "id": "b"}])
    assert ours("sources", schema, text).is_empty()
    assert theirs(schema, text)
    duplicated = testing.to_csv(schema, [{**base, "id": "a", "file": "f.txt"}, {**base, "id": "b", "file": "f.txt"}])
    assert set(ours("sources", schema, duplicated)["rule"]) == {"field-unique"}
    assert not theirs(schema, duplicated)


def test_derived_schema_catches_bad_values_on_an_eager_frame():
    """pandera skips data checks on LazyFrames unless told otherwise; we validate eager frames."""
    import pandera.polars as pa
    derived = derive("costs", SCHEMAS["costs"])
    types = {"number": pl.Float64, "integer": pl.Int64, "date": pl.Date}
    row = _cost_row(SCHEMAS["costs"], value="-1")
    frame = pl.DataFrame({k: [v or None] for k, v in row.items()}, schema={k: pl.String for k in row}).with_columns(
        pl.col(f["name"]).cast(types[f["type"]]) for f in SCHEMAS["costs"]["fields"] if f["type"] in types)
    with pytest.raises(pa.errors.SchemaErrors) as caught:
        derived.pandera.validate(frame, lazy=True)
    assert caught.value.failure_cases["check"].to_list() == ["field-minimum"], "pandera's check is named after our rule"


def test_adding_a_constraint_to_a_schema_file_changes_both_validators():
    schema = standalone(SCHEMAS["costs"])
    row = _cost_row(schema, value="50")
    text = testing.to_csv(schema, [row])
    assert ours("costs", schema, text).is_empty() and theirs(schema, text)
    tightened = json.loads(json.dumps(schema))
    next(f for f in tightened["fields"] if f["name"] == "value")["constraints"]["maximum"] = 10
    assert set(ours("costs", tightened, text)["rule"]) == {"field-maximum"}
    assert not theirs(tightened, text)
