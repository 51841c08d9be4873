"""Currencies: the ISO 4217 list comes from pycountry into the Table Schema, and every reader enforces it there."""
from __future__ import annotations

import json
import subprocess
import sys
import tomllib

import polars as pl
import pytest
from typer.testing import CliRunner

from rare_earth_supply.cli import app
from rare_earth_supply.publish.vocabularies import iso_4217
from rare_earth_supply.validate import validate
from conftest import ROOT


def _currency_field() -> dict:
    schema = json.loads((ROOT / "schemas" / "investments.json").read_text(encoding="utf-8"))
    return next(f for f in schema["fields"] if f["name"] == "currency")


def test_schema_enum_is_pycountrys_current_list():
    enum = _currency_field()["constraints"]["enum"]
    assert enum == iso_4217() == sorted(set(enum))
    assert {"USD", "CNY", "EUR", "AUD", "JPY"} <= set(enum)
    assert "XCG" in enum, "the Caribbean guilder (2025) is active"
    assert not {"ANG", "BGN", "HRK", "SLL"} & set(enum), "withdrawn codes are not allowed"


def test_pycountry_is_pinned_for_docs_and_tests_but_not_a_core_dependency():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert not [d for d in project["dependencies"] if d.startswith("pycountry")]
    for extra in ("docs", "test"):
        assert [d for d in project["optional-dependencies"][extra] if d.startswith("pycountry==")], extra


def test_loading_and_validating_never_import_pycountry():
    code = ("import sys, rare_earth_supply as r\nfrom rare_earth_supply.validate import validate\n"
            "r.load('investments'); assert validate().ok\nprint('pycountry' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert done.stdout.strip() == "False"


@pytest.mark.parametrize("code", ["USX", "ANG", "usd"])
def test_a_currency_outside_the_list_is_a_field_enum_error(package_copy, code):
    package_copy.set("investments", "inv-002", "currency", code)
    report = validate(package_copy.root)
    found = report.frame.filter(pl.col("table") == "investments")
    assert found.select("row_id", "column", "rule").rows() == [("inv-002", "currency", "field-enum")]
    message = found["message"][0]
    assert code in message and f"{len(iso_4217())} values" in message and "AED" not in message, "one short line"


def test_frictionless_enforces_the_same_list(package_copy):
    package_copy.set("investments", "inv-002", "currency", "ANG")
    checked = subprocess.run([sys.executable, "-m", "frictionless", "validate", "--type", "package", "--json",
                              str(package_copy.root / "datapackage.json")], capture_output=True, text=True)
    assert checked.returncode == 1
    errors = [e for task in json.loads(checked.stdout)["tasks"] for e in task["errors"]]
    assert [(e["type"], e["fieldName"], e["cell"]) for e in errors] == [("constraint-error", "currency", "ANG")]


def test_docs_without_pycountry_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "pycountry", None)  # import pycountry now raises ImportError
    monkeypatch.chdir(ROOT)
    result = CliRunner().invoke(app, ["docs", "--check"])
    assert result.exit_code == 2 and "pycountry" in result.output and "rare-earth-supply[docs]" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
