"""The documentation site: generated from the metadata, built strictly, every internal link and anchor resolves.

MkDocs' own validation (mkdocs.yml `validation:` with --strict) checks the Markdown links; the
tables of rows are raw HTML, which MkDocs does not read, so a parser walks the built HTML too.
"""
from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import polars as pl
import pytest

import rare_earth_supply as res
from rare_earth_supply.publish.site import site_files
from rare_earth_supply.read.package import open_package
from conftest import ROOT

LINKING = {("a", "href"), ("link", "href"), ("script", "src"), ("img", "src"), ("source", "src"), ("iframe", "src")}


class Page(HTMLParser):
    """Every id on a page, and every address it links to or loads (tag, attribute, value)."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: list[str] = []
        self.refs: list[tuple[str, str, str]] = []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name == "id" and value:
                self.ids.append(value)
            elif (tag, name) in LINKING and value is not None:
                self.refs.append((tag, name, value))


def _parse(path: Path) -> Page:
    page = Page()
    page.feed(path.read_text(encoding="utf-8"))
    return page


@pytest.fixture(scope="module")
def pages(built_site):
    return {path: _parse(path) for path in sorted(built_site.rglob("*.html"))}


def test_generated_pages_cover_every_table_and_the_nav_lists_them():
    files = site_files(open_package(ROOT), ROOT)
    for name in res.tables():
        assert ROOT / "docs" / "tables" / f"{name}.md" in files
    config = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    for name in res.tables():
        assert f"tables/{name}.md" in config
    assert "font: false" in config, "no Google fonts: the site must work offline"


def broken_links(site: Path, pages: dict[Path, Page]) -> list[str]:
    """Every internal link, stylesheet, script or image whose file or #anchor does not exist."""
    broken = []
    for path, page in pages.items():
        for tag, attr, value in page.refs:
            parts = urlsplit(value)
            if parts.scheme in ("http", "https", "mailto", "data") or value.startswith("//"):
                continue
            if parts.scheme:
                broken.append(f"{path.relative_to(site)}: <{tag} {attr}={value}> → unexpected scheme")
                continue
            # the 404 page is served at any address, so its links start at the site's root
            base = site if parts.path.startswith("/") else path.parent
            target = (base / unquote(parts.path).lstrip("/")).resolve() if parts.path else path
            if target.is_dir():
                target = target / "index.html"
            if not target.is_file():
                broken.append(f"{path.relative_to(site)}: <{tag} {attr}={value}> → missing file")
                continue
            if parts.fragment and target.suffix == ".html":
                ids = pages[target].ids if target in pages else _parse(target).ids
                if unquote(parts.fragment) not in ids:
                    broken.append(f"{path.relative_to(site)}: <{tag} {attr}={value}> → no anchor #{parts.fragment}")
    return broken


def test_every_internal_link_and_anchor_resolves(built_site, pages):
    broken = broken_links(built_site, pages)
    assert not broken, f"{len(broken)} broken link(s):\n" + "\n".join(broken[:40])


def test_the_link_check_catches_a_missing_page_and_a_missing_anchor(tmp_path):
    (tmp_path / "a.html").write_text('<p id="top"><a href="b.html#here">b</a> <a href="#top">up</a> '
                                     '<a href="c.html">c</a> <a href="b.html#gone">gone</a> <img src="img/x.png"></p>')
    (tmp_path / "b.html").write_text('<h1 id="here">b</h1><a href="https://example.org/">out</a>')
    pages = {p.resolve(): _parse(p) for p in tmp_path.glob("*.html")}
    found = broken_links(tmp_path.resolve(), pages)
    assert len(found) == 3 and any("c.html" in f for f in found) and any("#gone" in f for f in found) and any("x.png" in f for f in found)


def test_ids_are_unique_on_every_page(pages):
    for path, page in pages.items():
        seen = set()
        repeated = {i for i in page.ids if i in seen or seen.add(i)}
        assert not repeated, f"{path.name}: ids used twice: {sorted(repeated)[:10]}"


def test_the_site_loads_nothing_from_elsewhere(pages):
    for path, page in pages.items():
        for tag, attr, value in page.refs:
            if (tag, attr) != ("a", "href"):
                assert not urlsplit(value).scheme.startswith("http") and not value.startswith("//"), \
                    f"{path.name} loads {value}: the site must work offline"
        text = path.read_text(encoding="utf-8")
        assert "fonts.googleapis" not in text and "fonts.gstatic" not in text, path.name


def test_each_table_page_holds_every_row_with_its_source_link(built_site, pages):
    for name in res.tables():
        page = pages[built_site / "tables" / f"{name}.html"]
        frame = res.load(name, warn_errata=False)
        assert set(frame["id"]) <= set(page.ids), name
        if "source_id" in frame.columns:
            hrefs = {value for tag, _, value in page.refs if tag == "a"}
            assert {f"../sources.html#{s}" for s in frame["source_id"].unique()} <= hrefs, name


def test_sources_page_lists_the_rows_that_cite_each_source(pages, built_site):
    page = pages[built_site / "sources.html"]
    hrefs = {value for tag, _, value in page.refs if tag == "a"}
    production = res.load("production")
    assert set(res.load("sources")["id"]) <= set(page.ids)
    assert {f"tables/production.html#{i}" for i in production["id"]} <= hrefs


def test_table_pages_name_their_open_errata_and_row_status():
    files = site_files(open_package(ROOT), ROOT)
    errata = res.load("errata").filter(pl.col("status") == "open")
    for table, ids in errata.group_by("table").agg("id").iter_rows():
        page = files[ROOT / "docs" / "tables" / f"{table}.md"]
        for erratum in ids:
            assert f"[{erratum}](../errata.md#{erratum})" in page, (table, erratum)
    assert "<th>status</th>" in files[ROOT / "docs" / "tables" / "reserves.md"]
    home = files[ROOT / "docs" / "index.md"]
    assert "img/china-shares.png" in home and "pip install rare-earth-supply" in home and res.__version__ in home
