"""The site and the data browser as a person sees them: headless Chromium loads pages, reads them, types.

Uses the system's Chromium (Debian: apt-get install chromium) through playwright — never a
browser playwright downloads — and skips, with the reason, where either is missing. Each page
must load with no error in the browser console and no request to anywhere but this machine.
Screenshots go to a temporary folder (or $RES_SCREENSHOTS), and their paths are printed.
"""
from __future__ import annotations

import functools
import http.server
import os
import threading
from pathlib import Path
from urllib.parse import urlsplit

import pytest

import rare_earth_supply as res
from rare_earth_supply.read.package import open_package
from conftest import ROOT

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--no-first-run"]

pytestmark = [
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"no browser installed at {CHROMIUM} (Debian: apt-get install chromium)"),
]


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed: pip install -e '.[test]'")
    os.environ.setdefault("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def site_url(built_site):
    """The built site over HTTP on 127.0.0.1 (search runs in a web worker, which a file:// page may not start)."""
    handler = functools.partial(_QuietHandler, directory=str(built_site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


@pytest.fixture(scope="module")
def shots(tmp_path_factory) -> Path:
    folder = Path(os.environ["RES_SCREENSHOTS"]) if os.environ.get("RES_SCREENSHOTS") else tmp_path_factory.mktemp("screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


class Visit:
    """A page in a fresh browser context that records console errors, page errors and requests leaving the machine."""

    def __init__(self, browser):
        self.context = browser.new_context(viewport={"width": 1280, "height": 900})
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.outside: list[str] = []
        self.page.on("console", lambda m: self.errors.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(f"page error: {e}"))
        self.page.route("**/*", self._only_here)

    def _only_here(self, route) -> None:
        host = urlsplit(route.request.url).hostname
        if host in ("127.0.0.1", "localhost", None) or route.request.url.startswith(("data:", "blob:")):
            route.continue_()
        else:
            self.outside.append(route.request.url)
            route.abort()

    def open(self, url: str):
        response = self.page.goto(url, wait_until="load")
        assert response is not None and response.ok, f"{url}: {response.status if response else 'no response'}"
        self.page.wait_for_load_state("networkidle")
        return self.page

    def check_and_close(self, shot: Path) -> None:
        self.page.screenshot(path=str(shot), full_page=False)
        print(f"screenshot: {shot}")
        self.context.close()
        assert not self.errors, self.errors
        assert not self.outside, f"requests to other hosts: {self.outside}"


def test_home_page(browser, site_url, shots):
    visit = Visit(browser)
    page = visit.open(f"{site_url}/index.html")
    assert res.__version__ in page.inner_text("article")
    assert page.get_by_role("heading", name="How to cite").is_visible()
    assert page.get_by_role("heading", name="What it answers").is_visible()
    chart = page.locator("img[src$='china-shares.png']")
    assert chart.evaluate("img => img.complete && img.naturalWidth > 600"), "the headline chart loads"
    assert "pip install rare-earth-supply" in page.inner_text("article")
    visit.check_and_close(shots / "site-home.png")


def test_table_page_filters_its_rows(browser, site_url, shots):
    visit = Visit(browser)
    page = visit.open(f"{site_url}/tables/production.html")
    total = res.load("production").height
    assert open_package(ROOT).resource("production")["description"] in page.inner_text("article")
    assert page.locator("div.rows-table tbody tr").count() == total
    box = page.locator("input.rows-filter")
    assert box.is_visible()
    box.fill("cn usgs-mcs-2026")
    shown = page.locator("div.rows-table tbody tr:not([hidden])")
    assert 0 < shown.count() < total
    assert page.locator("tr#prod-091").is_visible() and not page.locator("tr#prod-148").is_visible()
    assert page.locator(".rows-count").inner_text() == f"{shown.count()} of {total} rows"
    page.locator("tr#prod-091").scroll_into_view_if_needed()
    visit.check_and_close(shots / "site-production.png")
    # a row's source link leads to the document and the rows it contributes
    visit = Visit(browser)
    page = visit.open(f"{site_url}/tables/production.html#prod-091")
    page.locator("tr#prod-091 a[href^='../sources.html#']").click()
    page.wait_for_load_state("load")
    assert page.url.endswith("sources.html#usgs-mcs-2026")
    assert page.locator("a[href='tables/production.html#prod-091']").count() == 1
    visit.check_and_close(shots / "site-source.png")


def test_datasette_table_page(browser, datasette_url, shots):
    visit = Visit(browser)
    page = visit.open(f"{datasette_url}/production")
    text = page.inner_text("body")
    assert open_package(ROOT).resource("production")["description"] in text
    assert "CC-BY-4.0" in text
    assert f"{res.load('production').height} rows" in text
    for facet in ("entity_id", "year", "source_id"):
        assert page.locator(f".facet-info[data-column='{facet}']").count() == 1, facet
    page.evaluate("window.scrollTo(0, document.querySelector('.facet-results').offsetTop - 120)")
    visit.check_and_close(shots / "datasette-production.png")
    visit = Visit(browser)
    page = visit.open(f"{datasette_url}/china_share_of_world_mine_production")
    assert "China's share of world mine production, by edition" in page.inner_text("body")
    assert page.locator("table.rows-and-columns tbody tr").count() > 5
    visit.check_and_close(shots / "datasette-china-share.png")
