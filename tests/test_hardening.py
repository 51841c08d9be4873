"""Safe to publish: escaped pages, http(s)-only links, long values cut, guarded CSV, all-or-nothing
releases, self-describing derived files, a package that imports top-down, bounded dependencies.

Each test here failed on release 0.6.0. The browser half (hostile cells in real Chromium) is in
test_hostile_pages.py; the data browser's guard against bad requests in test_serve_guard.py.
"""
from __future__ import annotations

import ast
import json
import os
import random
import re
import signal
import sqlite3
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from rare_earth_supply.cli import app
from rare_earth_supply.publish import render
from rare_earth_supply.publish.site import site_files
from rare_earth_supply.read.package import open_package
from rare_earth_supply.read.urls import address_problem, is_web_address
from rare_earth_supply.validate import validate
from conftest import ROOT, copy_checkout

runner = CliRunner()
SCRIPT = "<img src=x onerror=alert(1)>"
LINK = "[click](javascript:alert(2))"


# ---- 1. every data-derived string escaped on every generated page ---------------------------

def _hostile_checkout(tmp_path: Path) -> Path:
    root = copy_checkout(tmp_path / "checkout")
    for name in ("LICENSE", "LICENSE-DATA"):  # what a release carries, for the data-browser half
        (root / name).write_bytes((ROOT / name).read_bytes())
    for table, row, column in (("sources", "usgs-mcs-2025", "note"), ("errata", "err-003", "description"),
                               ("production", "prod-002", "note"), ("sources", "news-001", "title_en")):
        path = root / "data" / f"{table}.csv"
        frame = pl.read_csv(path, infer_schema=False)
        frame = frame.with_columns(pl.when(pl.col("id") == row).then(pl.lit(f"Hostile {SCRIPT} and {LINK} end"))
                                   .otherwise(pl.col(column)).alias(column))
        path.write_text(frame.write_csv(), encoding="utf-8")
    return root


def test_generated_pages_carry_no_markup_from_the_data(tmp_path):
    root = _hostile_checkout(tmp_path)
    pages = {path.relative_to(root).as_posix(): text for path, text in site_files(open_package(root), root).items()}
    from rare_earth_supply.publish.docs import sources_page
    pages["docs/sources.md"] = sources_page(open_package(root))
    for name in ("docs/sources.md", "docs/errata.md", "docs/report.md", "docs/tables/production.md", "docs/tables/errata.md",
                 "docs/tables/sources.md"):
        text = pages[name]
        assert "Hostile" in text, f"{name} should show the hostile cell"
        assert "<img" not in text, f"{name} carries a live tag from the data"
        # Markdown is not read inside the raw HTML table of rows (each cell is HTML-escaped there)
        markdown = re.sub(r'<div class="rows-table".*?</div>', "", text, flags=re.S)
        assert "](javascript:" not in markdown, f"{name} carries a Markdown link from the data"


def test_inline_text_reads_back_as_the_data():
    for text in (SCRIPT, LINK, "a_b *c* `d` {: .x} #e !f | g & h"):
        escaped = render.inline(text)
        assert "<" not in escaped and "](" not in escaped
        import html
        assert html.unescape(re.sub(r"\\(.)", r"\1", escaped)) == text


# ---- web addresses: http(s) only, by a named rule ---------------------------------------------

@pytest.mark.parametrize("value, ok", [
    ("https://pubs.usgs.gov/x.pdf", True), ("http://example.org/a?b=c", True), ("javascript:alert(1)", False),
    ("JavaScript:alert(1)", False), ("data:text/html,x", False), ("https://x.org/\"onmouseover=alert(1)", False),
    ("//evil.example/x", False), ("https://", False)])
def test_only_http_addresses_are_web_addresses(value, ok):
    assert is_web_address(value) is ok


def test_relative_licence_paths_stay_allowed_but_other_schemes_do_not():
    assert address_problem("LICENSE-DATA", must_be_web=False) is None
    assert address_problem("javascript:alert(1)", must_be_web=False)
    assert address_problem("LICENSE-DATA", must_be_web=True)


def test_a_script_address_in_a_source_or_the_descriptor_is_a_web_address_error(package_copy):
    package_copy.set("sources", "usgs-mcs-2025", "url", "javascript:alert(1)")
    descriptor = json.loads((package_copy.root / "datapackage.json").read_text(encoding="utf-8"))
    descriptor["licenses"][0]["path"] = "javascript:alert(2)"
    (package_copy.root / "datapackage.json").write_text(json.dumps(descriptor), encoding="utf-8")
    found = validate(package_copy.root).frame.filter(pl.col("rule") == "web-address")
    assert set(found["table"]) == {"sources", "datapackage.json"}
    assert "licenses[1].path" in found["column"].to_list()


def test_the_data_browser_gets_no_script_link_from_the_descriptor():
    from rare_earth_supply.publish.browser import datasette_metadata
    package = open_package(ROOT)
    package.descriptor["homepage"] = "javascript:alert(1)"
    try:
        metadata = datasette_metadata(package, "db")
    finally:
        package.descriptor.pop("homepage")
    assert "javascript:" not in json.dumps(metadata)


# ---- 4. long values cut in messages; CSV outputs guard formula cells ------------------------

def test_a_ten_megabyte_cell_is_cut_in_every_message(package_copy):
    package_copy.set("costs", "cost-002", "note", " " + "x" * 10_000_000)
    result = runner.invoke(app, ["validate", str(package_copy.root), "-f", "json"])
    assert result.exit_code == 1
    assert len(result.stdout) < 100_000, "the cell is not copied into the output"
    problem = next(p for p in json.loads(result.stdout)["problems"] if p["rule"] == "text-whitespace")
    assert problem["value"].endswith("… (10000001 characters)") and len(problem["value"]) < 300


def test_csv_outputs_guard_formula_cells(package_copy):
    package_copy.set("costs", "cost-002", "note", "=HYPERLINK(\"http://evil.example\",\"x\")")
    found = runner.invoke(app, ["validate", str(package_copy.root), "-f", "csv"]).stdout
    rows = pl.read_csv(found.encode(), infer_schema=False)
    values = rows.filter(pl.col("rule") == "text-formula")["value"].to_list()
    assert values and all(v.startswith("'=") for v in values)
    assert not any(str(cell).startswith("=") for row in rows.iter_rows() for cell in row if cell)
    shown = pl.read_csv(runner.invoke(app, ["show", "costs", "--path", str(package_copy.root), "-f", "csv"]).stdout.encode(),
                        infer_schema=False)
    assert shown.filter(pl.col("id") == "cost-002")["note"][0].startswith("'=")
    assert float(shown.filter(pl.col("id") == "cost-001")["value"][0]) == 7, "numbers are left alone"


# ---- 5. preferred and derived files describe themselves ------------------------------------

def test_every_derived_parquet_file_carries_a_table_schema_of_its_own_columns(release_dir):
    derived = sorted(release_dir.glob("*-preferred.parquet"))
    assert len(derived) >= 10
    for path in derived:
        metadata = pl.read_parquet_metadata(path)
        schema = json.loads(metadata["frictionless.table_schema"])
        assert [f["name"] for f in schema["fields"]] == pl.read_parquet_schema(path).names(), path.name
        assert all(f.get("description") for f in schema["fields"]), path.name
        assert metadata["rare_earth_supply.version"] == open_package(ROOT).version
        assert metadata["rare_earth_supply.view"].startswith("derived")


def test_sqlite_describes_every_derived_table_field_by_field(release_sqlite):
    db = sqlite3.connect(release_sqlite)
    tables = [t for (t,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '\\_%' ESCAPE '\\'")]
    for table in tables:
        columns = [c[1] for c in db.execute(f'PRAGMA table_info("{table}")')]
        described = [f for (f,) in db.execute('SELECT field FROM _fields WHERE "table" = ? ORDER BY position', (table,))]
        assert described == columns, table


# ---- 3. releases are all-or-nothing ---------------------------------------------------------

def _sums_verify(folder: Path, version: str) -> str | None:
    """The release's .sha256 listing when every file it names is there and matches, and no other file of it."""
    import hashlib
    sums = folder / f"rare-earth-supply-{version}.sha256"
    if not sums.is_file():
        return None
    listing = sums.read_text(encoding="utf-8")
    for line in listing.splitlines():
        digest, name = line.split("  ", 1)
        if hashlib.sha256((folder / name).read_bytes()).hexdigest() != digest:
            return None
    return listing


def _edited_copy(tmp_path: Path, name: str, note: str) -> Path:
    root = tmp_path / name
    root.mkdir()
    for item in ("datapackage.json", "README.md", "CHANGELOG.md", "CITATION.cff", "LICENSE", "LICENSE-DATA"):
        (root / item).write_bytes((ROOT / item).read_bytes())
    for folder in ("data", "schemas"):
        (root / folder).mkdir()
        for path in (ROOT / folder).iterdir():
            (root / folder / path.name).write_bytes(path.read_bytes())
    costs = root / "data" / "costs.csv"
    costs.write_text(costs.read_text(encoding="utf-8").replace("Cost the source gives", note, 1), encoding="utf-8")
    return root


def test_build_refuses_to_overwrite_a_different_release_without_force(tmp_path):
    out = tmp_path / "dist"
    old, new = _edited_copy(tmp_path, "old", "Cost the source gives"), _edited_copy(tmp_path, "new", "Cost named in the source")
    assert runner.invoke(app, ["build", "--path", str(old), "--out", str(out)]).exit_code == 0
    (out / "notes.txt").write_text("a file of the user's", encoding="utf-8")
    before = _sums_verify(out, open_package(ROOT).version)
    refused = runner.invoke(app, ["build", "--path", str(new), "--out", str(out)])
    assert refused.exit_code == 1 and "--force" in refused.output
    assert _sums_verify(out, open_package(ROOT).version) == before
    same = runner.invoke(app, ["build", "--path", str(old), "--out", str(out)])
    assert same.exit_code == 0 and "nothing written" in same.output
    forced = runner.invoke(app, ["build", "--path", str(new), "--out", str(out), "--force"])
    assert forced.exit_code == 0
    after = _sums_verify(out, open_package(ROOT).version)
    assert after and after != before
    assert (out / "notes.txt").read_text(encoding="utf-8") == "a file of the user's", "other files survive the swap"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".dist.")], "no staging folder is left behind"


def test_a_killed_build_leaves_the_old_release_or_the_new_one(tmp_path):
    """SIGKILL at random instants over the whole build: each time the folder verifies as old or new."""
    version = open_package(ROOT).version
    out = tmp_path / "dist"
    old, new = _edited_copy(tmp_path, "old", "Cost the source gives"), _edited_copy(tmp_path, "new", "Cost named in the source")
    command = [sys.executable, "-m", "rare_earth_supply", "build", "--out", str(out), "--force", "--path"]
    assert subprocess.run(command + [str(old)], capture_output=True).returncode == 0
    old_sums = _sums_verify(out, version)
    started = time.monotonic()
    assert subprocess.run(command + [str(new)], capture_output=True).returncode == 0
    duration = time.monotonic() - started
    new_sums = _sums_verify(out, version)
    assert old_sums and new_sums and old_sums != new_sums
    rng = random.Random(20261204)
    # kills at random instants of the whole build, and kills aimed at the last step: once the staging folder
    # holds its .sha256, the files are complete and the swap is a few milliseconds away
    plan = [("anywhere", duration * rng.uniform(0.05, 1.1)) for _ in range(4)] + [("at the swap", rng.uniform(0, 0.03)) for _ in range(6)]
    seen = []
    for when, delay in plan:
        source = old if _sums_verify(out, version) == new_sums else new
        process = subprocess.Popen(command + [str(source)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if when == "at the swap":
            deadline = time.monotonic() + 60
            while not list(tmp_path.glob(".dist.build-*/*.sha256")) and process.poll() is None and time.monotonic() < deadline:
                time.sleep(0.001)
        time.sleep(delay)
        process.send_signal(signal.SIGKILL)
        process.wait()
        left = _sums_verify(out, version)
        assert left in (old_sums, new_sums), f"after a kill {when} (+{delay:.3f} s) the folder is neither release"
        seen.append("new" if left == new_sums else "old")
    assert len(set(seen)) == 2, f"the kills should land both before and after the swap: {seen}"
    clean = subprocess.run(command + [str(new)], capture_output=True, text=True)
    assert clean.returncode == 0, clean.stderr
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".dist.")], "a later build removes what killed ones left"
    print(f"kills: {len(plan)}; release found after each: {seen}")


# ---- 6. the package imports top-down; dependencies are bounded ------------------------------

def _imports() -> dict[str, set[str]]:
    package = ROOT / "src" / "rare_earth_supply"
    modules = {"rare_earth_supply." + ".".join(p.relative_to(package).with_suffix("").parts).removesuffix(".__init__"): p
               for p in package.rglob("*.py")}
    modules = {m.removesuffix(".__init__"): p for m, p in modules.items()}
    edges: dict[str, set[str]] = {m: set() for m in modules}
    for name, path in modules.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):  # imports inside functions count too
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("rare_earth_supply"):
                for alias in node.names:
                    target = f"{node.module}.{alias.name}"
                    edges[name].add(target if target in modules else node.module)
    return {m: {t for t in targets if t in modules and t != m} for m, targets in edges.items()}


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on, found, counter = {}, {}, [], set(), [], [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in edges[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))
    for v in sorted(edges):
        if v not in index:
            visit(v)
    return found


def test_no_module_imports_one_that_imports_it_back():
    edges = _imports()
    assert "rare_earth_supply.publish.timeseries" in edges and edges["rare_earth_supply.publish.docs"]
    assert _cycles(edges) == []


def test_the_cycle_finder_finds_a_circle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_every_dependency_has_an_upper_bound():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    requirements = list(project["dependencies"]) + [r for extra in project["optional-dependencies"].values() for r in extra]
    unbounded = [r for r in requirements if not r.startswith("rare-earth-supply") and "<" not in r and "==" not in r]
    assert unbounded == [], "every dependency (above all the 0.x ones, which break in minor releases) has an upper bound"
