"""The command line, as a person and a script use it."""
from __future__ import annotations

import json
import subprocess
import sys

import polars as pl
from typer.testing import CliRunner

import rare_earth_supply as res
from rare_earth_supply.cli import app
from rare_earth_supply.rules import CATALOGUE

runner = CliRunner()


def test_info_lists_every_table_with_its_row_count():
    result = runner.invoke(app, ["info"])
    assert result.exit_code == 0
    assert res.__version__ in result.output
    for table in res.tables():
        line = next(l for l in result.output.splitlines() if f" {table} " in l)
        assert f" {res.load(table).height} " in line


def test_show_prints_a_table_and_csv_round_trips():
    result = runner.invoke(app, ["show", "investments", "--format", "csv"])
    assert result.exit_code == 0
    shown = pl.read_csv(result.stdout.encode(), infer_schema=False)
    assert shown["id"].to_list() == res.load("investments")["id"].to_list()
    limited = runner.invoke(app, ["show", "capacity_shares", "-n", "2", "-c", "id,share_pct", "-f", "json"])
    assert json.loads(limited.stdout) == res.load("capacity_shares").select("id", "share_pct").head(2).to_dicts()
    bad = runner.invoke(app, ["show", "reserves", "-c", "nope"])
    assert bad.exit_code == 2 and "unknown column" in bad.output


def test_validate_json_on_the_real_data():
    result = runner.invoke(app, ["validate", "--format", "json"])
    assert result.exit_code == 0
    payload = json.loads(result.output)
    assert payload["valid"] is True and payload["errors"] == 0 and payload["version"] == res.__version__


def test_validate_strict_fails_on_warnings(package_copy):
    package_copy.append("sources", id="news-999", title="t", title_en="t", language="en", kind="news_summary")
    assert runner.invoke(app, ["validate", str(package_copy.root)]).exit_code == 0
    strict = runner.invoke(app, ["validate", str(package_copy.root), "--strict"])
    assert strict.exit_code == 1 and "source-uncited" in strict.output


def test_validate_prints_errors_with_table_row_column_and_rule(package_copy):
    package_copy.set("costs", "cost-001", "value", "-1")
    result = runner.invoke(app, ["validate", str(package_copy.root)])
    assert result.exit_code == 1
    row = next(l for l in result.output.splitlines() if "cost-001" in l)
    for part in ("costs", "value", "field-minimum", "error", "-1"):
        assert part in row
    assert "INVALID" in result.output


def test_report_lists_corroborated_figures():
    result = runner.invoke(app, ["report", "--format", "json"])
    assert result.exit_code == 0
    parts = json.loads(result.output)
    apple = [r for r in parts["Subjects several sources speak to"] if {"inv-001", "inv-004"} <= set(r["row_ids"].split(", "))]
    assert apple and apple[0]["verdict"] == "corroborated", "Apple's USD 500 million is reported by two sources"


def test_rules_prints_the_whole_catalogue():
    result = runner.invoke(app, ["rules", "--format", "json"])
    assert [r["rule"] for r in json.loads(result.output)] == [r.id for r in CATALOGUE]


def test_module_and_console_script_run():
    done = subprocess.run([sys.executable, "-m", "rare_earth_supply", "tables"], capture_output=True, text=True)
    assert done.returncode == 0 and done.stdout.split() == res.tables()


def test_show_prints_a_preferred_view_with_dollars_and_a_computed_view_as_csv():
    preferred = runner.invoke(app, ["show", "investments", "--view", "preferred", "-c", "id,amount,amount_usd", "-f", "csv"])
    assert preferred.exit_code == 0, preferred.output
    assert "inv-053,1250000000.0,868875000.0" in preferred.output  # A$1.25 billion at the 2022 G.5A rate
    funding = runner.invoke(app, ["show", "funding", "-f", "csv"])
    assert funding.exit_code == 0 and funding.output.startswith("investor_country,public,year,instrument,stage,deals,amount_usd")
    assert ",inv-053,,inv-054\n" in funding.output  # list cells joined with '|'; the part is listed, not added
    for args, words in ((["show", "funding", "--view", "status"], "computed view"), (["show", "sources", "--view", "preferred"], "holds no figures")):
        result = runner.invoke(app, args)
        assert result.exit_code == 2 and words in result.output and "Traceback" not in result.output
