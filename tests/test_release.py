"""Releases: deterministic build, SemVer diff, bump check, citations, tamper-evident loading."""
from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import zipfile

import polars as pl
import pytest
from pybtex.database import parse_string
from typer.testing import CliRunner

import rare_earth_supply as res
from rare_earth_supply.release.build import BuildError, build
from rare_earth_supply.release.cite import release_citation, row_citation
from rare_earth_supply.cli import app
from rare_earth_supply.release.diff import bump_between, diff
from rare_earth_supply.release.locate import opened
from rare_earth_supply.read.package import open_package
from rare_earth_supply.release.stamp import dumps, stamped
from conftest import ROOT

runner = CliRunner()


@pytest.fixture(scope="module")
def release(tmp_path_factory):
    out = tmp_path_factory.mktemp("dist")
    return build(open_package(ROOT), out)


def test_two_builds_are_byte_identical(release, tmp_path):
    again = build(open_package(ROOT), tmp_path)
    assert [p.name for p in release.files] == [p.name for p in again.files]
    for a, b in zip(release.files, again.files):
        assert a.read_bytes() == b.read_bytes(), a.name


def test_release_holds_zip_parquet_sqlite_report_and_checksums(release):
    names = {p.name for p in release.files}
    version = res.__version__
    assert {f"rare-earth-supply-{version}.zip", f"rare-earth-supply-{version}.sqlite", f"rare-earth-supply-{version}.sha256",
            f"rare-earth-supply-{version}-report.md"} <= names
    for table in res.tables():
        parquet = next(p for p in release.files if p.name.endswith(f"-{table}.parquet"))
        assert pl.read_parquet(parquet).equals(res.load(table))
    leftovers = [p for p in release.files[0].parent.iterdir() if p.name.startswith(".build-")]
    assert not leftovers, "the staging directory is removed"


def test_zip_carries_hashes_and_passes_frictionless(release, tmp_path):
    archive = next(p for p in release.files if p.suffix == ".zip")
    with zipfile.ZipFile(archive) as z:
        names = z.namelist()
        descriptor = json.loads(z.read("datapackage.json"))
    assert {"README.md", "CHANGELOG.md", "CITATION.cff", "LICENSE", "LICENSE-DATA"} <= set(names)
    for resource in descriptor["resources"]:
        assert resource["hash"].startswith("sha256:") and resource["bytes"] > 0
        assert resource["path"] in names and resource["schema"] in names
    checked = subprocess.run([sys.executable, "-m", "frictionless", "validate", str(archive)], capture_output=True, text=True)
    assert checked.returncode == 0 and "INVALID" not in checked.stdout, checked.stdout[-1500:]
    # the same zip, with one byte of data changed, fails on its hash
    tampered = tmp_path / "tampered.zip"
    with zipfile.ZipFile(archive) as src, zipfile.ZipFile(tampered, "w") as dst:
        for name in src.namelist():
            data = src.read(name)
            dst.writestr(name, data.replace(b"1400000", b"1400001") if name == "data/reserves.csv" else data)
    checked = subprocess.run([sys.executable, "-m", "frictionless", "validate", str(tampered)], capture_output=True, text=True)
    assert checked.returncode != 0 and "hash" in checked.stdout.lower()


def test_sqlite_has_keys_and_rejects_a_broken_foreign_key(release):
    path = next(p for p in release.files if p.suffix == ".sqlite")
    db = sqlite3.connect(path)
    db.execute("PRAGMA foreign_keys = ON")
    assert db.execute("SELECT value FROM _release WHERE key = 'version'").fetchone()[0] == res.__version__
    assert db.execute("SELECT count(*) FROM reserves").fetchone()[0] == res.load("reserves").height
    columns = {row[1]: (row[2], row[5]) for row in db.execute("PRAGMA table_info(reserves)")}
    assert columns["quantity"][0] == "REAL" and columns["as_of"][0] == "INTEGER" and columns["id"][1] == 1
    with pytest.raises(sqlite3.IntegrityError):
        with db:
            db.execute("INSERT INTO reserves (id, entity_id, scope, quantity, unit, qualifier, as_reported, source_id, locator) "
                       "VALUES ('res-999', 'atlantis', 'total', 1, 't_reo', 'eq', '1', 'news-000', '[1]')")
    with pytest.raises(sqlite3.IntegrityError):
        with db:
            db.execute("INSERT INTO costs (id, entity_id, item, value, unit, qualifier, as_reported, source_id, locator) "
                       "VALUES ('cost-001', 'cn', 'x', 1, 'USD/kg', 'eq', '1', 'news-000', '[1]')")


def test_sqlite_carries_each_fact_rows_status(release):
    path = next(p for p in release.files if p.suffix == ".sqlite")
    db = sqlite3.connect(path)
    for table in ("reserves", "quotas"):
        expected = res.load(table, view="status", warn_errata=False)
        found = dict(db.execute('SELECT id, status FROM row_status WHERE "table" = ?', (table,)).fetchall())
        assert found == dict(zip(expected["id"], expected["status"]))
    contradicted = db.execute("SELECT contradicted_by FROM row_status WHERE \"table\" = 'quotas' AND id = 'quota-165'").fetchone()[0]
    assert contradicted == "|".join(res.load("quotas", view="status").filter(pl.col("id") == "quota-165")["contradicted_by"][0])
    assert db.execute("SELECT count(*) FROM _fields WHERE \"table\" = 'row_status'").fetchone()[0] == 7


def test_build_refuses_invalid_data(package_copy, tmp_path):
    package_copy.set("costs", "cost-001", "value", "-1")
    with pytest.raises(BuildError, match="validation error"):
        build(open_package(package_copy.root), tmp_path / "dist")
    assert not (tmp_path / "dist").exists() or not any((tmp_path / "dist").iterdir())


def _set_version(p, version):
    d = json.loads((p.root / "datapackage.json").read_text())
    d["version"] = version
    (p.root / "datapackage.json").write_text(json.dumps(d))


def test_diff_row_added_is_minor(package_copy):
    package_copy.append("costs", id="cost-900", entity_id="cn", item="x", value="1", unit="USD/kg", qualifier="eq",
                        as_reported="1", source_id="news-004", locator="[4]")
    change = diff(open_package(ROOT), open_package(package_copy.root))
    touched = {t.name: t for t in change.tables if t.status != "unchanged"}
    assert list(touched) == ["costs"] and touched["costs"].rows_added == ["cost-900"]
    assert not touched["costs"].rows_changed and not touched["costs"].rows_removed
    assert change.required_bump == "minor"


def test_diff_value_changed_is_patch(package_copy):
    package_copy.set("reserves", "res-002", "quantity", "1600000")
    change = diff(open_package(ROOT), open_package(package_copy.root))
    touched = [t for t in change.tables if t.status != "unchanged"]
    assert [t.name for t in touched] == ["reserves"]
    assert touched[0].rows_changed == [{"id": "res-002", "column": "quantity", "old": "1500000", "new": "1600000"}]
    assert change.required_bump == "patch"


def test_diff_field_removed_is_major(package_copy):
    package_copy.write("technology", package_copy.read("technology").drop("note"))
    schema_path = package_copy.root / "schemas" / "technology.json"
    schema = json.loads(schema_path.read_text())
    schema["fields"] = [f for f in schema["fields"] if f["name"] != "note"]
    schema_path.write_text(json.dumps(schema))
    change = diff(open_package(ROOT), open_package(package_copy.root))
    touched = [t for t in change.tables if t.status != "unchanged"]
    assert [t.name for t in touched] == ["technology"] and touched[0].fields_removed == ["note"]
    assert change.required_bump == "major"


def test_diff_reads_release_zips_and_cli_reports_json(release, package_copy):
    archive = next(p for p in release.files if p.suffix == ".zip")
    package_copy.set("reserves", "res-002", "note", "corrected note")
    result = runner.invoke(app, ["diff", str(archive), str(package_copy.root), "--format", "json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert payload["required_bump"] == "patch" and payload["tables"]["reserves"]["rows_changed"][0]["column"] == "note"
    with opened(archive) as same:
        assert diff(same, open_package(ROOT)).required_bump == "none"


def test_build_since_refuses_a_too_small_bump(release, package_copy, tmp_path):
    archive = next(p for p in release.files if p.suffix == ".zip")
    package_copy.append("costs", id="cost-900", entity_id="cn", item="x", value="1", unit="USD/kg", qualifier="eq",
                        as_reported="1", source_id="news-004", locator="[4]")
    for name in ("README.md", "CHANGELOG.md", "CITATION.cff", "LICENSE", "LICENSE-DATA"):
        (package_copy.root / name).write_bytes((ROOT / name).read_bytes())
    major, minor, patch = map(int, res.__version__.split("."))
    _set_version(package_copy, f"{major}.{minor}.{patch + 1}")
    with pytest.raises(BuildError, match="require a MINOR bump"):
        build(open_package(package_copy.root), tmp_path / "dist", since=str(archive))
    result = runner.invoke(app, ["build", "--path", str(package_copy.root), "--out", str(tmp_path / "d"), "--since", str(archive)])
    assert result.exit_code == 1 and "MINOR" in result.output
    _set_version(package_copy, f"{major}.{minor + 1}.0")
    done = build(open_package(package_copy.root), tmp_path / "dist", since=str(archive))
    assert "cost-900" in done.changelog


def test_version_bumps_between():
    assert [bump_between("0.1.0", v) for v in ("0.1.0", "0.1.1", "0.2.0", "1.0.0")] == ["none", "patch", "minor", "major"]


def test_bibtex_citation_parses_with_version_and_year():
    text = runner.invoke(app, ["cite", "--format", "bibtex"]).output
    entry = next(iter(parse_string(text, "bibtex").entries.values()))
    assert entry.fields["version"] == res.__version__
    assert entry.fields["year"] == json.loads((ROOT / "datapackage.json").read_text())["created"][:4]


def test_citation_cff_is_the_generated_one():
    assert (ROOT / "CITATION.cff").read_text() == release_citation(open_package(ROOT), "cff")


def test_row_citation_names_release_source_and_locator():
    text = row_citation(open_package(ROOT), "reserves", "res-003")
    assert res.__version__ in text and "[3][6]" in text and "Sou Hu Cai Jing" in text and "2025-10-21" in text
    bib = row_citation(open_package(ROOT), "costs", "cost-004", "bibtex")
    assert len(parse_string(bib, "bibtex").entries) == 2
    bad = runner.invoke(app, ["cite", "--row", "reserves:res-999"])
    assert bad.exit_code == 2 and "no row 'res-999'" in bad.output


def test_changed_byte_in_a_stamped_package_fails_loading(package_copy):
    descriptor = json.loads((package_copy.root / "datapackage.json").read_text())
    (package_copy.root / "datapackage.json").write_text(dumps(stamped(descriptor, package_copy.root)))
    rows = res.load("costs").height
    assert res.load("costs", path=package_copy.root).height == rows
    package_copy.replace_text("costs", "$7 per", "$8 per")
    with pytest.raises(res.IntegrityError, match="costs.csv"):
        res.load("costs", path=package_copy.root)
    assert res.load("costs", path=package_copy.root, verify=False).height == rows
    result = runner.invoke(app, ["validate", str(package_copy.root)])
    assert result.exit_code == 1 and "resource-hash" in result.output


def test_parquet_files_carry_the_table_schema_and_the_release(release):
    for table in ("reserves", "quotas"):
        path = next(p for p in release.files if p.name.endswith(f"-{table}.parquet"))
        metadata = pl.read_parquet_metadata(path)
        assert json.loads(metadata["frictionless.table_schema"]) == json.loads((ROOT / "schemas" / f"{table}.json").read_text())
        assert metadata["rare_earth_supply.version"] == res.__version__
        assert json.loads(metadata["rare_earth_supply.tools"])["polars"] == pl.__version__
    preferred = next(p for p in release.files if p.name.endswith("-production-preferred.parquet"))
    frame = pl.read_parquet(preferred)
    assert frame.select("entity_id", "year", "product", "unit").is_duplicated().sum() == 0 and "status" in frame.columns


def test_sqlite_is_strict_checks_enums_and_describes_its_fields(release):
    path = next(p for p in release.files if p.suffix == ".sqlite")
    db = sqlite3.connect(path)
    assert "STRICT" in db.execute("SELECT sql FROM sqlite_master WHERE name = 'reserves'").fetchone()[0]
    row = db.execute("SELECT * FROM reserves WHERE id = 'res-002'").fetchone()
    columns = [c[1] for c in db.execute("PRAGMA table_info(reserves)")]
    bad = dict(zip(columns, row)) | {"id": "res-999", "scope": "medium"}  # not one of total, light, heavy
    with pytest.raises(sqlite3.IntegrityError, match="CHECK"):
        db.execute(f"INSERT INTO reserves VALUES ({', '.join('?' * len(columns))})", list(bad.values()))
    with pytest.raises(sqlite3.IntegrityError):  # a negative quantity breaks the minimum
        db.execute(f"INSERT INTO reserves VALUES ({', '.join('?' * len(columns))})", list((bad | {"scope": "total", "quantity": -1}).values()))
    unit = db.execute("SELECT unit, description FROM _fields WHERE \"table\" = 'reserves' AND field = 'quantity'").fetchone()
    assert unit[1] and "Reserve quantity" in unit[1]
    tools = json.loads(db.execute("SELECT value FROM _release WHERE key = 'tools'").fetchone()[0])
    assert tools["sqlite"] == sqlite3.sqlite_version
    statuses = dict(db.execute("SELECT status, count(*) FROM row_status GROUP BY status").fetchall())
    assert sum(statuses.values()) == sum(res.load(t).height for t in ("reserves", "production", "quotas", "policy_measures")) + sum(
        res.load(t).height for t in ("capacity_shares", "investments", "deal_terms", "costs", "prices", "trade", "technology", "timeline", "employment", "plant_capacities", "exchange_rates"))
    assert db.execute("SELECT count(*) FROM production_preferred").fetchone()[0] == res.load("production", view="preferred").height


def test_the_release_states_for_which_tools_it_is_byte_identical(release):
    info = json.loads(next(p for p in release.files if p.name.endswith("-buildinfo.json")).read_text())
    assert info["tools"]["polars"] == pl.__version__ and info["byte_identical_for"]
