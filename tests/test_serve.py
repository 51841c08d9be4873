"""The data browser: metadata from the Table Schemas, canned queries that run, and a live Datasette on 127.0.0.1."""
from __future__ import annotations

import json
import sqlite3
import urllib.error
import urllib.parse
import urllib.request

import polars as pl
import pytest
from typer.testing import CliRunner

import rare_earth_supply as res
from rare_earth_supply.cli import app
from rare_earth_supply.publish.browser import column_description, datasette_metadata
from rare_earth_supply.read.package import open_package
from conftest import ROOT

runner = CliRunner()
DB = "rare-earth-supply"


def _get(url: str):
    with urllib.request.urlopen(url, timeout=20) as response:
        return response.read().decode("utf-8")


@pytest.fixture(scope="module")
def metadata():
    return datasette_metadata(open_package(ROOT), DB)


def test_metadata_comes_from_the_table_schemas(metadata):
    package = open_package(ROOT)
    tables = metadata["databases"][DB]["tables"]
    assert metadata["license"] == "CC-BY-4.0" and metadata["license_url"].startswith("https://")
    for name in package.names:
        assert tables[name]["description"] == package.resource(name)["description"]
        for field in package.schema(name)["fields"]:
            assert tables[name]["columns"][field["name"]] == column_description(field)
            assert field.get("description", "") in column_description(field)
        columns = [f["name"] for f in package.schema(name)["fields"]]
        assert set(tables[name]["facets"]) <= set(columns) and tables[name]["facets"], name
    assert "Unit: percent." in tables["production"]["columns"]["share_of_world_pct"]
    assert "One of: reo_in_concentrate" in tables["production"]["columns"]["product"]
    assert tables["production"]["facets"] == ["entity_id", "year", "source_id"]


def test_canned_queries_run_on_the_release(metadata, release_sqlite):
    queries = metadata["databases"][DB]["queries"]
    assert set(queries) == {"china_share_of_world_mine_production", "disputed_figures", "measure_timeline"}
    db = sqlite3.connect(f"file:{release_sqlite}?mode=ro", uri=True)
    db.row_factory = sqlite3.Row
    shares = [dict(r) for r in db.execute(queries["china_share_of_world_mine_production"]["sql"])]
    editions = {r["edition"] for r in shares}
    assert {"usgs-mcs-2024", "usgs-mcs-2025", "usgs-mcs-2026"} <= editions
    row = next(r for r in shares if r["edition"] == "usgs-mcs-2025" and r["year"] == 2024)
    assert row["china_share_pct"] == pytest.approx(69.2)  # 270,000 of 390,000 t
    disputed = {(r["table"], r["id"]) for r in db.execute(queries["disputed_figures"]["sql"])}
    status = res.load("quotas", view="status", warn_errata=False)
    assert {("quotas", i) for i in status.filter(pl.col("status") == "disputed")["id"]} <= disputed
    timeline = list(db.execute(queries["measure_timeline"]["sql"]))
    assert len(timeline) == res.load("policy_measures").height


def test_serve_without_datasette_says_how_to_install_it(monkeypatch):
    monkeypatch.setattr("rare_earth_supply.publish.serve.available", lambda: False)
    result = runner.invoke(app, ["serve"])
    assert result.exit_code == 2
    assert "pip install 'rare-earth-supply[browser]'" in result.output and "Traceback" not in result.output


@pytest.mark.parametrize("content,message", [(None, "no such file"), (b"not a database", "not a release database"),
                                             ("empty", "no such table: _release")])
def test_serve_refuses_a_database_that_is_not_a_release(tmp_path, monkeypatch, content, message):
    monkeypatch.setattr("rare_earth_supply.publish.serve.available", lambda: True)
    path = tmp_path / "x.sqlite"
    if content == "empty":
        sqlite3.connect(path).execute("CREATE TABLE t (x)").connection.close()
    elif content is not None:
        path.write_bytes(content)
    result = runner.invoke(app, ["serve", "--db", str(path)])
    assert result.exit_code == 2 and message in result.output and len(result.output.strip().splitlines()) == 1, result.output


def test_serve_answers_on_loopback_with_tables_and_descriptions(datasette_url):
    assert datasette_url.startswith("http://127.0.0.1:")
    database = json.loads(_get(datasette_url + ".json"))
    assert {t["name"] for t in database["tables"]} >= set(res.tables()) | {"row_status"}
    page = _get(datasette_url + "/production")
    package = open_package(ROOT)
    assert package.resource("production")["description"] in page
    assert "CC-BY-4.0" in page
    for field in package.schema("production")["fields"]:
        assert field["description"].replace("'", "&#39;") in page


def test_json_query_for_chinas_production_matches_load(datasette_url):
    rows = json.loads(_get(datasette_url + "/production.json?entity_id=cn&_shape=array&_size=max&_sort=id"))
    expected = res.load("production").filter(pl.col("entity_id") == "cn").sort("id")
    assert rows == expected.to_dicts()


def test_canned_query_answers_as_json(datasette_url):
    rows = json.loads(_get(datasette_url + "/china_share_of_world_mine_production.json?_shape=array"))
    assert any(r["edition"] == "usgs-mcs-2026" and r["year"] == 2025 for r in rows)


def test_the_browser_cannot_write(datasette_url):
    sql = urllib.parse.quote("DELETE FROM production")
    try:
        body = _get(f"{datasette_url}.json?sql={sql}")
    except urllib.error.HTTPError as exc:
        body = exc.read().decode("utf-8")
    assert json.loads(body)["ok"] is False
    rows = json.loads(_get(datasette_url + ".json?sql=" + urllib.parse.quote("SELECT count(*) AS n FROM production") + "&_shape=array"))
    assert rows == [{"n": res.load("production").height}]
