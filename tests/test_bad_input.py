"""Bad input is refused by name, with a non-zero exit, and never with a traceback."""
from __future__ import annotations

import json

import polars as pl
import pytest
from typer.testing import CliRunner

from rare_earth_supply import load
from rare_earth_supply.cli import app
from rare_earth_supply.problems import DataError, PackageError
from rare_earth_supply.validate import validate

runner = CliRunner()


def run(*args: str):
    result = runner.invoke(app, list(args))
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


def descriptor(p) -> dict:
    return json.loads((p.root / "datapackage.json").read_text())


def set_resource_path(p, name: str, path: str) -> None:
    d = descriptor(p)
    next(r for r in d["resources"] if r["name"] == name)["path"] = path
    (p.root / "datapackage.json").write_text(json.dumps(d))


@pytest.mark.parametrize("path, words", [
    ("../outside.csv", "leaves the package"),
    ("/etc/passwd", "absolute"),
    ("https://example.org/costs.csv", "is a URL"),
    ("data/../../x.csv", "leaves the package"),
])
def test_resource_path_that_leaves_the_package_is_refused(package_copy, path, words):
    set_resource_path(package_copy, "costs", path)
    with pytest.raises(PackageError, match=words):
        validate(package_copy.root)
    result = run("validate", str(package_copy.root))
    assert result.exit_code == 2
    assert words in result.output and "costs" in result.output


def test_schema_path_that_is_a_url_is_refused(package_copy):
    d = descriptor(package_copy)
    d["resources"][0]["schema"] = "http://example.org/schema.json"
    (package_copy.root / "datapackage.json").write_text(json.dumps(d))
    result = run("validate", str(package_copy.root))
    assert result.exit_code == 2 and "is a URL" in result.output


@pytest.mark.parametrize("text, words", [
    ("{not json", "not valid JSON"),
    ("[]", "must be a JSON object"),
    ('{"name": "x"}', "'resources' must be a non-empty list"),
])
def test_broken_descriptor_is_refused(package_copy, text, words):
    (package_copy.root / "datapackage.json").write_text(text)
    result = run("validate", str(package_copy.root))
    assert result.exit_code == 2 and words in result.output


def test_missing_package_is_refused(tmp_path):
    result = run("validate", str(tmp_path / "nowhere"))
    assert result.exit_code == 2 and "no such package" in result.output
    result = run("validate", str(tmp_path))
    assert result.exit_code == 2 and "not found" in result.output


INVESTMENT_FIELDS = len(load("investments", warn_errata=False).columns)  # the header's width, whatever the schema grows to

CORPUS = {
    "ragged row": (lambda p: p.replace_text("investments", ",news-002,[3],\n", ",news-002,[3]\n"), "csv-ragged",
                   f"row has {INVESTMENT_FIELDS - 1} cells; the header has {INVESTMENT_FIELDS}"),
    "extra cell": (lambda p: p.replace_text("investments", ",news-002,[3],\n", ",news-002,[3],,\n"), "csv-ragged", f"row has {INVESTMENT_FIELDS + 1} cells"),
    "unbalanced quote": (lambda p: p.replace_text("costs", ",news-004,[4],", ',news-004,"[4],'), "csv-malformed", "unbalanced quote"),
    "latin-1 byte": (lambda p: p.csv("costs").write_bytes(p.csv("costs").read_bytes().replace(b"Claim", b"Cl\xe9im")), "csv-encoding", "not UTF-8"),
    "BOM": (lambda p: p.csv("costs").write_bytes(b"\xef\xbb\xbf" + p.csv("costs").read_bytes()), "csv-bom", "byte-order mark"),
    "empty file": (lambda p: p.csv("costs").write_text(""), "csv-empty", "is empty"),
    "missing column": (lambda p: p.write("costs", p.read("costs").drop("unit")), "csv-header-missing", "'unit'"),
    "extra column": (lambda p: p.write("costs", p.read("costs").with_columns(extra=p.read("costs")["id"])), "csv-header-extra", "'extra'"),
    "duplicate column": (lambda p: p.replace_text("costs", "id,entity_id,facility_id,", "id,entity_id,entity_id,"), "csv-header-duplicate", "'entity_id'"),
    "missing file": (lambda p: p.csv("costs").unlink(), "resource-missing", "not found"),
}


@pytest.mark.parametrize("case", sorted(CORPUS))
def test_bad_csv_is_reported_by_name(package_copy, case):
    mutate, rule, words = CORPUS[case]
    mutate(package_copy)
    result = run("validate", str(package_copy.root), "--format", "json")
    assert result.exit_code == 1
    payload = json.loads(result.output)
    hits = [p for p in payload["problems"] if p["rule"] == rule]
    assert hits and hits[0]["table"] in ("costs", "investments")
    assert words in hits[0]["message"]
    with pytest.raises(DataError, match=rule):
        load(hits[0]["table"], path=package_copy.root)


def test_csv_problems_name_the_line(package_copy):
    package_copy.replace_text("investments", ",news-002,[3],\n", ",news-002,[3]\n")
    report = validate(package_copy.root)
    ragged = report.frame.filter(pl.col("rule") == "csv-ragged").row(0, named=True)
    assert (ragged["table"], ragged["line"], ragged["rule"]) == ("investments", 3, "csv-ragged")


def test_unknown_table_lists_the_valid_names():
    with pytest.raises(KeyError, match="reserves"):
        load("reservez")
    result = run("show", "reservez")
    assert result.exit_code == 2 and "unknown table 'reservez'" in result.output and "capacity_shares" in result.output


def test_validation_writes_nothing(package_copy):
    before = {p: p.read_bytes() for p in package_copy.root.rglob("*") if p.is_file()}
    package_copy.set("costs", "cost-001", "value", "-1")
    before[package_copy.csv("costs")] = package_copy.csv("costs").read_bytes()
    run("validate", str(package_copy.root))
    after = {p: p.read_bytes() for p in package_copy.root.rglob("*") if p.is_file()}
    assert after == before


@pytest.mark.parametrize("body, expected", [
    (b"1,2,3\n1,2,3,4\n1,2\n", [("csv-ragged", 3), ("csv-ragged", 4)]),  # a long and a short row cancel out in a comma count
    (b"1,2,3\n\n1,2,3\n", [("csv-ragged", 3)]),  # a blank line
    (b'1,"a,b",3\n1,"a\n', [("csv-malformed", 3)]),  # a quote left open
])
def test_ragged_rows_are_named_by_line_however_they_hide(tmp_path, body, expected):
    from rare_earth_supply.read.csvfile import read_text
    path = tmp_path / "t.csv"
    path.write_bytes(b"a,b,c\n" + body)
    frame, problems = read_text("t", path, {"fields": [{"name": n} for n in "abc"], "missingValues": [""]})
    assert frame is None
    assert [(p.rule, p.line) for p in problems] == expected
