"""Errata reach users: every warning is acknowledged, stale errata fail, loading says so once."""
from __future__ import annotations

import json
import subprocess
import sys
import warnings

import polars as pl
import pytest
from typer.testing import CliRunner

import rare_earth_supply as res
from rare_earth_supply.release.build import BuildError, build
from rare_earth_supply.cli import app
from rare_earth_supply.read.package import open_package
from rare_earth_supply.validate import validate
from conftest import ROOT

runner = CliRunner()
CONFLICT = dict(id="res-900", entity_id="us", as_of="2025", scope="total", quantity="3000000", unit="t_reo", qualifier="eq",
                as_reported="3 million tons", source_id="news-000", locator="[3]")


def test_real_data_passes_the_release_check_with_every_warning_acknowledged():
    report = validate()
    assert not report.warnings.is_empty()
    assert report.unacknowledged.is_empty(), report.unacknowledged
    assert report.exit_code(strict=True) == 0
    result = runner.invoke(app, ["validate", "--strict"])
    assert result.exit_code == 0 and "acknowledged by errata" in result.output


def test_each_known_problem_has_an_open_erratum_with_evidence():
    errata = res.load("errata")
    assert errata["id"].is_unique().all()
    by_rows = {(r["table"], r["row_ids"]): r for r in errata.iter_rows(named=True)}
    expectations = {  # the known problems the issue names, and the row that carries each
        ("investments", "inv-001"): "source_error",   # a company named wrongly
        ("investments", "inv-004"): "source_error",   # a supply commitment reported as an investment
        ("reserves", "res-001"): "unconfirmed",       # a mine-level reserve figure no other record gives
        ("investments", "inv-012"): "unconfirmed",    # a figure no primary record confirms
    }
    for key, kind in expectations.items():
        assert by_rows[key]["kind"] == kind and by_rows[key]["status"] == "open"
    mistranslation = errata.filter(pl.col("row_ids").str.contains("res-003")).row(0, named=True)
    assert mistranslation["kind"] == "source_error" and "news-003" in mistranslation["evidence"]
    old_total = errata.filter(pl.col("rule") == "share-stated-vs-computed").row(0, named=True)
    assert "prod-001" in old_total["row_ids"] and "300,000" in old_total["description"]
    assert errata.filter(pl.col("evidence").is_null()).is_empty()


def test_a_new_unacknowledged_conflict_fails_the_release_check_by_name(package_copy, tmp_path):
    package_copy.append("reserves", **CONFLICT)
    report = validate(package_copy.root)
    assert report.exit_code() == 0, "a conflict is a warning"
    assert report.exit_code(strict=True) == 1
    unacknowledged = report.unacknowledged
    assert "res-900" in set(unacknowledged["row_id"])
    # every warning the new row causes involves it: as the figure reported or as the bound it breaks
    assert ((unacknowledged["row_id"] == "res-900") | (unacknowledged["related"] == "res-900")).all(), unacknowledged
    result = runner.invoke(app, ["validate", str(package_copy.root), "--strict"])
    assert result.exit_code == 1 and "res-900" in result.output and "not acknowledged" in result.output
    for name in ("README.md", "CHANGELOG.md", "CITATION.cff", "LICENSE", "LICENSE-DATA"):
        (package_copy.root / name).write_bytes((ROOT / name).read_bytes())
    with pytest.raises(BuildError, match=r"reserves res-900 \[sources-disagree\]"):
        build(open_package(package_copy.root), tmp_path / "dist")


def test_an_erratum_must_name_every_row_of_the_conflict(package_copy):
    """A new conflict on a row that an erratum already names is not silently acknowledged."""
    # res-000 sorts first, so its conflict with res-002 is reported on res-002, which err-003 names
    package_copy.append("reserves", **{**CONFLICT, "id": "res-000", "quantity": "1000000"})
    report = validate(package_copy.root)
    on_named_row = report.warnings.filter(pl.col("row_id") == "res-002", pl.col("related") == "res-000")
    assert on_named_row.height == 1 and on_named_row["erratum"].to_list() == [None]
    assert report.exit_code(strict=True) == 1
    package_copy.set("errata", "err-003", "row_ids", "res-000|res-002")
    # a newly named row has no fingerprint yet: the erratum lapses until the curator records it
    assert "erratum-lapsed" in set(validate(package_copy.root).frame["rule"])
    prints = runner.invoke(app, ["errata", "--path", str(package_copy.root), "--fingerprints", "-f", "csv"])
    package_copy.set("errata", "err-003", "fingerprints", dict(pl.read_csv(prints.stdout.encode(), infer_schema=False).rows())["err-003"])
    assert validate(package_copy.root).exit_code(strict=True) == 0


def test_an_erratum_whose_figures_changed_lapses_until_reviewed(package_copy):
    """Correcting the news share changes a row err-005 vouches for: the erratum no longer acknowledges anything."""
    package_copy.set("production", "prod-001", "share_of_world_pct", "11.5")
    report = validate(package_copy.root)
    lapsed = report.frame.filter(pl.col("rule") == "erratum-lapsed")
    assert lapsed["row_id"].to_list() == ["err-005"] and "prod-001" in lapsed["message"][0]
    assert report.exit_code(strict=True) == 1
    package_copy.set("errata", "err-005", "status", "resolved")
    package_copy.set("errata", "err-005", "version_fixed", "0.6.1")
    assert validate(package_copy.root).exit_code(strict=True) == 0


def test_changing_an_acknowledged_value_fails_the_release_check_naming_the_erratum(package_copy):
    package_copy.set("reserves", "res-002", "quantity", "1400000")  # news-003's U.S. reserves, still in conflict with USGS
    report = validate(package_copy.root)
    assert report.exit_code(strict=True) == 1
    lapsed = report.frame.filter(pl.col("rule") == "erratum-lapsed")
    assert lapsed["row_id"].to_list() == ["err-003"] and lapsed["value"].to_list() == ["res-002"]
    assert report.unacknowledged.filter(pl.col("rule") == "sources-disagree", pl.col("row_id") == "res-002").height == 1
    result = runner.invoke(app, ["validate", str(package_copy.root), "--strict"])
    assert result.exit_code == 1 and "err-003" in result.output
    # the curator reviews the erratum and records the new fingerprints: acknowledged again
    prints = runner.invoke(app, ["errata", "--path", str(package_copy.root), "--fingerprints", "-f", "csv"])
    current = dict(pl.read_csv(prints.stdout.encode(), infer_schema=False).rows())
    package_copy.set("errata", "err-003", "fingerprints", current["err-003"])
    assert validate(package_copy.root).exit_code(strict=True) == 0
    shown = runner.invoke(app, ["errata", "reserves", "--path", str(package_copy.root), "-f", "csv"])
    assert shown.exit_code == 0


def test_an_erratum_whose_problem_went_away_is_stale(package_copy):
    package_copy.set("entities", "world", "kind", "region")  # no world total left to set shares against
    report = validate(package_copy.root)
    stale = report.frame.filter(pl.col("rule") == "erratum-stale")
    # err-026 acknowledges stated mine shares set against the shares computed from the world total
    assert set(stale["row_id"]) == {"err-005", "err-011", "err-026"} and "no longer reports" in stale["message"][0]
    assert report.exit_code(strict=True) == 1


def test_loading_a_table_with_open_errata_warns_exactly_once_naming_them(monkeypatch):
    monkeypatch.setattr(res, "_warned", set())
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res.load("investments")
        res.load("investments")
        res.load("sources")  # no errata
    errata_warnings = [w for w in caught if issubclass(w.category, res.ErrataWarning)]
    assert len(errata_warnings) == 1
    message = str(errata_warnings[0].message)
    open_ids = res.load("errata").filter(pl.col("table") == "investments", pl.col("status") == "open")["id"].to_list()
    assert open_ids and all(e in message for e in open_ids)
    assert errata_warnings[0].filename == __file__, "the warning points at the caller's line"


def test_errata_command_lists_open_errata_of_a_table():
    result = runner.invoke(app, ["errata", "reserves", "--format", "json"])
    assert result.exit_code == 0
    listed = json.loads(result.output)
    assert {e["id"] for e in listed} == set(res.load("errata").filter(pl.col("table") == "reserves", pl.col("status") == "open")["id"])


def test_release_report_includes_the_errata(tmp_path):
    done = build(open_package(ROOT), tmp_path)
    report = next(p for p in done.files if p.name.endswith("-report.md")).read_text()
    assert "## Errata" in report and "err-004" in report


def test_errata_resource_passes_frictionless():
    checked = subprocess.run([sys.executable, "-m", "frictionless", "validate", "--type", "package", str(ROOT / "datapackage.json")],
                             capture_output=True, text=True)
    line = next(l for l in checked.stdout.splitlines() if " errata " in l)
    assert "VALID" in line and "INVALID" not in line
