"""The text rules skip what a column's pattern already forbids: check that reading of patterns against
values generated from the real schemas' patterns, and that a hostile id is still reported."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rare_earth_supply.rules.text import PATTERNS, _checked_columns, pattern_characters

ROOT = Path(__file__).resolve().parent.parent
SCHEMA_PATTERNS = sorted({f["constraints"]["pattern"] for p in (ROOT / "schemas").glob("*.json")
                          for f in json.loads(p.read_text())["fields"] if "pattern" in f.get("constraints", {})})


def test_the_real_patterns_are_mostly_understood():
    understood = [p for p in SCHEMA_PATTERNS if pattern_characters(p) is not None]
    assert len(understood) >= len(SCHEMA_PATTERNS) - 4  # the URL, DOI and free-text list patterns are not
    assert pattern_characters(r"^https?://\S+$") is None
    assert pattern_characters(r"^[^|]+(\|[^|]+)*$") is None


@pytest.mark.parametrize("pattern", [p for p in SCHEMA_PATTERNS if pattern_characters(p) is not None])
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_every_matching_value_uses_only_the_characters_found(pattern, data):
    value = data.draw(st.from_regex(pattern, fullmatch=True))
    everything, first = pattern_characters(pattern)
    assert set(value) <= everything
    assert value == "" or value[0] in first


def test_id_columns_skip_only_the_rules_their_pattern_rules_out():
    schema = json.loads((ROOT / "schemas" / "production.json").read_text())
    checked = _checked_columns(schema)
    assert "id" not in checked  # ^prod-[0-9]{3,}$: begins with p, no space or control
    assert "entity_id" not in checked
    assert checked["note"] == list(PATTERNS)  # free text: every rule
    errata = json.loads((ROOT / "schemas" / "errata.json").read_text())
    assert _checked_columns(errata)["row_ids"] == ["text-formula"]  # ids may begin with a hyphen there
