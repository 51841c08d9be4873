"""Shared fixtures: the repository's package, and writable copies of it to break on purpose."""
from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import polars as pl
import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"


class PackageCopy:
    """A copy of the real package in a temporary directory, with helpers to edit its CSVs."""

    def __init__(self, root: Path):
        self.root = root

    def csv(self, table: str) -> Path:
        return self.root / "data" / f"{table}.csv"

    def read(self, table: str) -> pl.DataFrame:
        return pl.read_csv(self.csv(table), infer_schema=False)

    def write(self, table: str, frame: pl.DataFrame) -> None:
        self.csv(table).write_text(frame.write_csv(), encoding="utf-8")

    def set(self, table: str, row_id: str, column: str, value: str | None) -> None:
        frame = self.read(table)
        assert row_id in frame["id"].to_list(), f"{table} has no row {row_id}"
        self.write(table, frame.with_columns(
            pl.when(pl.col("id") == row_id).then(pl.lit(value, dtype=pl.String)).otherwise(pl.col(column)).alias(column)))

    def append(self, table: str, **cells: str) -> None:
        frame = self.read(table)
        row = pl.DataFrame([{c: cells.get(c) for c in frame.columns}], schema={c: pl.String for c in frame.columns})
        self.write(table, pl.concat([frame, row]))

    def replace_text(self, table: str, old: str, new: str) -> None:
        text = self.csv(table).read_text(encoding="utf-8")
        assert old in text, f"{old!r} not in {table}.csv"
        self.csv(table).write_text(text.replace(old, new, 1), encoding="utf-8")


def copy_checkout(target: Path) -> Path:
    """A copy of what `rare-earth-supply docs` reads and writes: package, pyproject, README and the generated files."""
    target.mkdir()
    for name in ("datapackage.json", "pyproject.toml", "README.md", "CITATION.cff", ".zenodo.json", "CHANGELOG.md", "mkdocs.yml"):
        shutil.copy(ROOT / name, target / name)
    for folder in ("data", "schemas", "docs"):
        shutil.copytree(ROOT / folder, target / folder)
    return target


@pytest.fixture
def package_copy(tmp_path: Path) -> PackageCopy:
    target = tmp_path / "package"
    target.mkdir()
    shutil.copy(ROOT / "datapackage.json", target)
    shutil.copytree(ROOT / "data", target / "data")
    shutil.copytree(ROOT / "schemas", target / "schemas")
    for name in ("README.md", "CHANGELOG.md", "CITATION.cff", "LICENSE", "LICENSE-DATA"):  # what a release carries
        shutil.copy(ROOT / name, target / name)
    return PackageCopy(target)


# --- the release, the documentation site and the data browser, built once per session ------------

@pytest.fixture(scope="session")
def release_dir(tmp_path_factory) -> Path:
    """`rare-earth-supply build` of this checkout, in a temporary dist/."""
    from rare_earth_supply.read.package import open_package
    from rare_earth_supply.release.build import build
    out = tmp_path_factory.mktemp("release") / "dist"
    build(open_package(ROOT), out)
    return out


@pytest.fixture(scope="session")
def release_sqlite(release_dir: Path) -> Path:
    return next(release_dir.glob("rare-earth-supply-*.sqlite"))


@pytest.fixture(scope="session")
def built_site(tmp_path_factory) -> Path:
    """`mkdocs build --strict` of this checkout; fails on any warning, skips where the `site` extra is missing."""
    pytest.importorskip("mkdocs", reason="the documentation site needs the site extra: pip install -e '.[site]'")
    pytest.importorskip("material", reason="the documentation site needs the site extra: pip install -e '.[site]'")
    out = tmp_path_factory.mktemp("site") / "site"
    done = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(ROOT / "mkdocs.yml"), "-d", str(out)],
                          capture_output=True, text=True, timeout=300, env={**os.environ, "NO_MKDOCS_2_WARNING": "1"})
    assert done.returncode == 0, done.stderr[-3000:]
    assert "WARNING" not in done.stderr, done.stderr[-3000:]
    return out.resolve()


@contextlib.contextmanager
def serving(db: Path, log: Path):
    """`rare-earth-supply serve --db` on a free port, its stderr into `log`; yields the database's address."""
    from rare_earth_supply.publish.serve import available
    if not available():
        pytest.skip("the data browser needs the browser extra: pip install -e '.[browser]'")
    with log.open("w", encoding="utf-8") as errors:
        process = subprocess.Popen([sys.executable, "-m", "rare_earth_supply", "serve", "--db", str(db), "--port", "0"],
                                   stdout=subprocess.PIPE, stderr=errors, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
        try:
            first = process.stdout.readline()
            assert first.startswith("Serving "), first + log.read_text(encoding="utf-8")
            url = first.split(" at ", 1)[1].split()[0]
            deadline = time.monotonic() + 30
            while True:
                try:
                    urllib.request.urlopen(url + ".json", timeout=2).read()
                    break
                except OSError:
                    if time.monotonic() > deadline or process.poll() is not None:
                        raise
                    time.sleep(0.2)
            yield url
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@pytest.fixture(scope="session")
def datasette_url(release_sqlite: Path, tmp_path_factory):
    """The data browser on the release of this checkout, for the whole session."""
    with serving(release_sqlite, tmp_path_factory.mktemp("serve") / "stderr.log") as url:
        yield url
