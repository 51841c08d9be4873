"""Hypothesis strategies generated from Table Schemas, for anyone who extends the data.

pandera cannot synthesise polars data, so this small generator reads a Table Schema and
draws CSV cell texts that satisfy every field constraint (`rows`), and single-field
mutations that break exactly one constraint (`mutations`). Requires `hypothesis`.
"""
from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass

from hypothesis import strategies as st

from rare_earth_supply.rules.fields import primary_key

# Printable text without control characters or surrounding blanks: CSV-safe in every engine.
_CHARS = st.characters(codec="utf-8", exclude_categories=("Cc", "Cs", "Zl", "Zp"))


def _text(min_size: int = 1, max_size: int = 20) -> st.SearchStrategy[str]:
    return st.text(_CHARS, min_size=min_size, max_size=max_size).map(str.strip).filter(lambda s: len(s) >= min_size)


def _number(text: float) -> str:
    return repr(float(text))


def value(field: dict) -> st.SearchStrategy[str]:
    """A valid, non-empty cell text for one field."""
    c = field.get("constraints", {})
    type_ = field.get("type", "string")
    if "enum" in c:
        return st.sampled_from([str(v) for v in c["enum"]])
    if type_ == "integer":
        return st.integers(c.get("minimum", -10**9), c.get("maximum", 10**9)).map(str)
    if type_ == "year":
        return st.integers(max(c.get("minimum", 1000), 1000), min(c.get("maximum", 9999), 9999)).map(str)
    if type_ == "number":
        low = c.get("minimum", c.get("exclusiveMinimum", -1e12))
        high = c.get("maximum", 1e12)
        return st.floats(low, high, allow_nan=False, allow_infinity=False,
                         exclude_min="exclusiveMinimum" in c).map(_number)
    if type_ == "date":
        return st.dates().map(lambda d: d.isoformat()).filter(lambda s: len(s) == 10)
    if type_ == "boolean":
        return st.sampled_from(["true", "false"])
    if "pattern" in c:
        pattern = re.compile(c["pattern"])
        strategy = st.from_regex(pattern, fullmatch=True, alphabet=_CHARS)
        return strategy.filter(lambda s: s == s.strip() and "\n" not in s and pattern.fullmatch(s))
    return _text(max(1, c.get("minLength", 1)), c.get("maxLength", 40))


def cell(field: dict, key: list[str]) -> st.SearchStrategy[str]:
    """A valid cell, empty (missing) where the field allows it."""
    required = field.get("constraints", {}).get("required") or field["name"] in key
    return value(field) if required else st.one_of(st.just(""), value(field))


def rows(schema: dict, min_size: int = 1, max_size: int = 8) -> st.SearchStrategy[list[dict[str, str]]]:
    """Lists of valid rows (dicts of cell text), unique on the primary key and unique fields."""
    key = primary_key(schema)
    uniques = [f["name"] for f in schema["fields"] if f.get("constraints", {}).get("unique") and f["name"] not in key]
    row = st.fixed_dictionaries({f["name"]: cell(f, key) for f in schema["fields"]})
    by = [lambda r: tuple(r[k] for k in key)] if key else []
    # unique fields may repeat only empty cells; make each non-empty value distinct by index
    strategy = st.lists(row, min_size=min_size, max_size=max_size, unique_by=tuple(by) or None)
    return strategy.filter(lambda rs: all(_distinct([r[u] for r in rs]) for u in uniques))


def _distinct(values: list[str]) -> bool:
    present = [v for v in values if v != ""]
    return len(present) == len(set(present))


@dataclass(frozen=True)
class Mutation:
    field: str
    constraint: str  # which Table Schema constraint (or "type") the new cell breaks
    cell: str


def mutations(field: dict, key: list[str]) -> list[st.SearchStrategy[Mutation]]:
    """Strategies of cells that break one constraint of `field` each."""
    c = field.get("constraints", {})
    name, type_ = field["name"], field.get("type", "string")
    found: list[st.SearchStrategy[Mutation]] = []
    def add(constraint: str, strategy: st.SearchStrategy[str]) -> None:
        found.append(strategy.map(lambda text: Mutation(name, constraint, text)))
    if c.get("required") or name in key:
        add("required", st.just(""))
    if type_ in ("integer", "number", "date", "year"):
        add("type", st.sampled_from(["n/a", "1,5", "twelve", "2025-13-45x"]))
    if "enum" in c:
        add("enum", _text().filter(lambda s: s not in [str(v) for v in c["enum"]]))
    if "pattern" in c:
        pattern = re.compile(c["pattern"])
        add("pattern", _text().filter(lambda s: not pattern.fullmatch(s)))
    if "minimum" in c and "enum" not in c:
        low = c["minimum"]
        if type_ == "year":  # a year has four digits: below the minimum means 1000 .. minimum - 1
            if low > 1000:
                add("minimum", st.integers(1000, int(low) - 1).map(str))
        elif type_ == "integer":
            add("minimum", st.integers(1, 10**6).map(lambda d: str(low - d)))
        else:
            add("minimum", st.floats(1e-3, 1e6).map(lambda d: _number(low - d)))
    if "exclusiveMinimum" in c:
        add("exclusiveMinimum", st.just(_number(c["exclusiveMinimum"])))
    if "maximum" in c and "enum" not in c:
        high = c["maximum"]
        if type_ == "year":
            if high < 9999:
                add("maximum", st.integers(int(high) + 1, 9999).map(str))
        elif type_ == "integer":
            add("maximum", st.integers(1, 10**6).map(lambda d: str(high + d)))
        else:
            add("maximum", st.floats(1e-3, 1e6).map(lambda d: _number(high + d)))
    if "maxLength" in c:
        add("maxLength", st.integers(c["maxLength"] + 1, c["maxLength"] + 50).map(lambda n: "x" * n))
    return found


def to_csv(schema: dict, data: list[dict[str, str]]) -> str:
    """Rows as CSV text in the Table Schema's column order, LF line endings."""
    names = [f["name"] for f in schema["fields"]]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(names)
    for row in data:
        writer.writerow([row[n] for n in names])
    return buffer.getvalue()
