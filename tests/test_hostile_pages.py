"""Hostile cells in a real browser: a source note, an erratum, a row note and a title holding markup
or a `javascript:` link are shown as text on every generated page and in the data browser, and no
script of theirs runs (a dialog would mean it did).

Failed on 0.6.0: the sources, errata and report pages passed the data's HTML through, and the
image's onerror handler opened a dialog.
"""
from __future__ import annotations

import functools
import http.server
import os
import subprocess
import sys
import threading

import pytest

from rare_earth_supply.publish.site import site_files
from rare_earth_supply.read.package import open_package
from test_browser import CHROMIUM, Visit, _QuietHandler, browser  # noqa: F401 - the browser fixture
from test_hardening import LINK, SCRIPT, _hostile_checkout
from conftest import serving

pytestmark = [pytest.mark.skipif(not CHROMIUM.exists(), reason=f"no browser installed at {CHROMIUM} (Debian: apt-get install chromium)")]
PAGES = ["sources.html", "errata.html", "report.html", "tables/production.html", "tables/errata.html", "tables/sources.html",
         "index.html"]


@pytest.fixture(scope="module")
def hostile_root(tmp_path_factory):
    root = _hostile_checkout(tmp_path_factory.mktemp("hostile"))
    package = open_package(root)
    from rare_earth_supply.publish.docs import generated_files
    for path, text in {**generated_files(package, root), **site_files(package, root)}.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def hostile_site(hostile_root):
    pytest.importorskip("mkdocs", reason="the documentation site needs the site extra: pip install -e '.[site]'")
    out = hostile_root / "site"
    done = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(hostile_root / "mkdocs.yml"), "-d", str(out)],
                          capture_output=True, text=True, timeout=300, env={**os.environ, "NO_MKDOCS_2_WARNING": "1"})
    assert done.returncode == 0, done.stderr[-3000:]
    handler = functools.partial(_QuietHandler, directory=str(out))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _visit_without_dialogs(browser, url: str) -> tuple[Visit, list[str]]:
    visit = Visit(browser)
    dialogs: list[str] = []
    visit.page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page = visit.open(url)
    page.wait_for_timeout(300)  # an onerror handler fires once the broken image has failed
    return visit, dialogs


@pytest.mark.parametrize("name", PAGES)
def test_hostile_cells_stay_text_on_every_site_page(browser, hostile_site, name, tmp_path):
    visit, dialogs = _visit_without_dialogs(browser, f"{hostile_site}/{name}")
    page = visit.page
    assert dialogs == [], f"{name}: a script from the data ran"
    assert page.locator("img[onerror]").count() == 0
    assert page.locator("a[href^='javascript:' i]").count() == 0
    if name != "index.html":
        body = page.inner_text("body")
        assert SCRIPT in body or LINK in body, f"{name}: the hostile cell should be shown as text"
    visit.check_and_close(tmp_path / f"hostile-{name.replace('/', '-')}.png")


def test_hostile_cells_stay_text_in_the_data_browser(browser, hostile_root, tmp_path):
    from rare_earth_supply.release.build import build
    release = build(open_package(hostile_root), tmp_path / "dist", check=False)
    db = next(p for p in release.files if p.suffix == ".sqlite")
    with serving(db, tmp_path / "serve.log") as url:
        for path in ("/sources", "/sources/usgs-mcs-2025", "/production/prod-002", "/errata"):
            visit, dialogs = _visit_without_dialogs(browser, url + path)
            assert dialogs == [], f"{path}: a script from the data ran"
            assert visit.page.locator("img[onerror]").count() == 0
            assert visit.page.locator("a[href^='javascript:' i]").count() == 0
            visit.check_and_close(tmp_path / f"datasette-{path.strip('/').replace('/', '-')}.png")
