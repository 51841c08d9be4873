"""Publish-ready: the sdist carries what its tests read and passes them unpacked, the package index
renders the README with working links, and the project's addresses agree with the data package."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tarfile
import time
import tomllib
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from conftest import ROOT

REPOSITORY = "https://github.com/rare-earth-supply/rare-earth-supply"
DOCUMENTATION = "https://rare-earth-supply.github.io/rare-earth-supply/"


def _build(target: str, out: Path) -> Path:
    subprocess.run([sys.executable, "-m", "hatchling", "build", "-t", target, "-d", str(out)], cwd=ROOT, check=True, capture_output=True)
    (built,) = out.glob("*.tar.gz" if target == "sdist" else "*.whl")
    return built


@pytest.fixture(scope="module")
def sdist(tmp_path_factory) -> Path:
    return _build("sdist", tmp_path_factory.mktemp("sdist"))


@pytest.fixture(scope="module")
def unpacked(sdist, tmp_path_factory) -> Path:
    target = tmp_path_factory.mktemp("unpacked")
    with tarfile.open(sdist) as archive:
        archive.extractall(target, filter="data")
    (root,) = target.iterdir()
    return root


def test_sdist_carries_docs_and_everything_the_tests_read(sdist):
    with tarfile.open(sdist) as archive:
        names = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    descriptor = json.loads((ROOT / "datapackage.json").read_text())
    needed = {"datapackage.json", "pyproject.toml", "hatch_build.py", "README.md", "CHANGELOG.md", "CITATION.cff", ".zenodo.json",
              "LICENSE", "LICENSE-DATA", ".ci/run", "docs/data-dictionary.md", "docs/rules.md", "docs/sources.md",
              "docs/img/china-shares.png", "tests/conftest.py", "tests/schemas/csl-data.json", "tests/schemas/cff-1.2.0.json"}
    needed |= {r["path"] for r in descriptor["resources"]} | {r["schema"] for r in descriptor["resources"]}
    assert needed <= names, sorted(needed - names)
    assert {p.name for p in (ROOT / "tests").glob("test_*.py")} <= {Path(n).name for n in names if n.startswith("tests/")}


def test_unpacked_sdist_passes_its_own_dataset_and_citation_tests(unpacked):
    env = {**os.environ, "PYTHONPATH": str(unpacked / "src")}
    where = subprocess.run([sys.executable, "-c", "import rare_earth_supply as r; print(r.__file__); print(r.descriptor_path())"],
                           cwd=unpacked, env=env, capture_output=True, text=True, check=True).stdout.split()
    assert where == [str(unpacked / "src" / "rare_earth_supply" / "__init__.py"), str(unpacked / "datapackage.json")], \
        "the sdist's own code and data are under test, not the checkout's"
    started = time.monotonic()
    pytest_args = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
    collected = subprocess.run([*pytest_args, "--collect-only"], cwd=unpacked, env=env, capture_output=True, text=True)
    assert collected.returncode == 0, collected.stdout[-2000:]
    ran = subprocess.run([*pytest_args, "tests/test_dataset.py", "tests/test_cite.py", "tests/test_vocabularies.py",
                          "tests/test_docs.py::test_committed_docs_are_what_the_generator_writes"],
                         cwd=unpacked, env=env, capture_output=True, text=True)
    assert ran.returncode == 0, ran.stdout[-3000:]
    assert " passed" in ran.stdout.splitlines()[-1] and " failed" not in ran.stdout.splitlines()[-1]
    assert time.monotonic() - started < 60


def test_twine_check_passes_on_sdist_and_wheel(sdist, tmp_path):
    pytest.importorskip("twine", reason="twine is in the test extra")
    wheel = _build("wheel", tmp_path)
    checked = subprocess.run([sys.executable, "-m", "twine", "check", "--strict", str(sdist), str(wheel)],
                             capture_output=True, text=True, env={**os.environ, "NO_COLOR": "1"})
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert checked.stdout.count("PASSED") == 2


def test_readme_links_work_on_a_package_index_page():
    tokens = MarkdownIt("commonmark").parse((ROOT / "README.md").read_text(encoding="utf-8"))
    targets = [child.attrs.get("href") or child.attrs.get("src") for token in tokens for child in (token.children or [])
               if child.type in ("link_open", "image")]
    assert len(targets) >= 8
    assert [t for t in targets if not str(t).startswith("https://")] == [], "relative links break on PyPI"
    repository_files = [t.split("/blob/main/", 1)[1] for t in targets if "/blob/main/" in t]
    assert repository_files and all((ROOT / f).is_file() for f in repository_files), "each link names a file of the repository"
    site_pages = [t.split("#")[0].removeprefix(DOCUMENTATION) for t in targets if t.startswith(DOCUMENTATION)]
    assert all(page == "" or (ROOT / "docs" / page).with_suffix(".md").is_file() for page in site_pages), "each site link names a page of docs/"


def test_project_urls_agree_with_the_data_package():
    urls = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["urls"]
    descriptor = json.loads((ROOT / "datapackage.json").read_text(encoding="utf-8"))
    assert set(urls) == {"Homepage", "Documentation", "Repository", "Changelog", "Issues"}
    assert urls["Repository"] == descriptor["repository"] == REPOSITORY
    assert urls["Documentation"] == urls["Homepage"] == descriptor["homepage"] == DOCUMENTATION
    assert urls["Changelog"].startswith(REPOSITORY) and urls["Changelog"].endswith("/CHANGELOG.md")
    assert urls["Issues"] == f"{REPOSITORY}/issues"
