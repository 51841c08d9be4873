"""Every code example on the documentation site runs, so none can rot.

The fenced blocks are read from the pages themselves (docs/**/*.md). Python blocks run in a
fresh folder holding a copy of the release (`dist/`), R blocks likewise through Rscript, and
console blocks run their `rare-earth-supply …` commands; `pip install` lines, which would need
the network, are checked against the extras pyproject.toml declares instead. Blocks of output
(text, bibtex) are shown, not run; any other language fails here until it is given a runner.
"""
from __future__ import annotations

import importlib.util
import os
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import polars as pl
import pytest

import rare_earth_supply as res
from conftest import ROOT

DOCS = ROOT / "docs"
RUN = {"python", "r", "console"}
SHOWN = {"text", "bibtex"}
FENCE = re.compile(r"^```(?P<lang>[A-Za-z0-9_+-]*)[^\n]*\n(?P<code>.*?)^```[ \t]*$", re.M | re.S)
BIN = Path(sys.executable).parent


def blocks() -> list[tuple[str, int, str, str]]:
    found = []
    for page in sorted(DOCS.rglob("*.md")):
        for n, match in enumerate(FENCE.finditer(page.read_text(encoding="utf-8")), start=1):
            found.append((page.relative_to(DOCS).as_posix(), n, match.group("lang").lower(), match.group("code")))
    return found


BLOCKS = blocks()


def test_every_block_has_a_known_language_and_the_use_page_covers_each_tool():
    unknown = [(page, n, lang) for page, n, lang, _ in BLOCKS if lang not in RUN | SHOWN]
    assert not unknown, f"blocks with no runner (give them one, or mark them as output): {unknown}"
    use = (DOCS / "use.md").read_text(encoding="utf-8")
    for heading in ("## polars", "## pandas", "## DuckDB", "## SQLite", "## R"):
        assert heading in use
    languages = {lang for page, _, lang, _ in BLOCKS if page == "use.md"}
    assert {"python", "r", "console"} <= languages


def _workdir(tmp_path: Path, release_dir: Path) -> Path:
    shutil.copytree(release_dir, tmp_path / "dist")
    return tmp_path


def _needs(code: str) -> list[str]:
    """Top-level modules a Python block imports that are not installed here."""
    names = set(re.findall(r"^\s*(?:import|from)\s+([A-Za-z_]\w*)", code, re.M))
    return sorted(n for n in names if importlib.util.find_spec(n) is None)


def _pip(line: str) -> None:
    """`pip install rare-earth-supply[extra,…]` names this package and extras it declares."""
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    for word in shlex.split(line)[2:]:
        name, _, wanted = word.partition("[")
        assert name == "rare-earth-supply", line
        for extra in filter(None, wanted.rstrip("]").split(",")):
            assert extra in extras, f"{line}: no extra {extra!r}"


def run_block(lang: str, code: str, cwd: Path) -> str:
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}", "NO_COLOR": "1", "COLUMNS": "200"}
    if lang == "python":
        missing = _needs(code)
        if missing:
            pytest.skip(f"the example needs {', '.join(missing)} (pip install -e '.[test,pandas]')")
        done = subprocess.run([sys.executable, "-c", code], cwd=cwd, capture_output=True, text=True, timeout=300, env=env)
    elif lang == "r":
        if shutil.which("Rscript") is None:
            pytest.skip("Rscript is not installed (Debian: apt-get install r-base-core r-cran-readr r-cran-jsonlite)")
        (cwd / "example.R").write_text(code, encoding="utf-8")
        done = subprocess.run(["Rscript", "example.R"], cwd=cwd, capture_output=True, text=True, timeout=300, env=env)
        if done.returncode and "there is no package called" in done.stderr:
            pytest.skip(f"R lacks a package the example uses: {done.stderr.strip().splitlines()[-1]}")
    else:
        outputs = []
        for line in code.splitlines():
            if not line.startswith("$ "):
                continue  # a line of shown output
            command = line[2:].strip()
            if command.startswith("pip install"):
                _pip(command)
                continue
            assert command.startswith("rare-earth-supply "), f"console examples run our own command only: {command}"
            step = subprocess.run(command, shell=True, cwd=cwd, capture_output=True, text=True, timeout=300, env=env)
            assert step.returncode == 0, f"$ {command}\n{step.stdout[-2000:]}\n{step.stderr[-2000:]}"
            outputs.append(step.stdout)
        return "\n".join(outputs)
    assert done.returncode == 0, f"{lang} example failed:\n{code}\n--- stdout\n{done.stdout[-2000:]}\n--- stderr\n{done.stderr[-3000:]}"
    return done.stdout


@pytest.mark.parametrize("page,n,lang,code", [b for b in BLOCKS if b[2] in RUN], ids=[f"{b[0]}:{b[1]}:{b[2]}" for b in BLOCKS if b[2] in RUN])
def test_example_runs(page, n, lang, code, tmp_path, release_dir):
    cwd = tmp_path if lang == "console" else _workdir(tmp_path, release_dir)
    output = run_block(lang, code, cwd)
    if page == "use.md" and "usgs-mcs-2026" in code and "'cn'" in code.replace('"', "'"):
        # every tool shows the same figures: China's production in the 2026 edition, as load() gives them
        china = res.load("production").filter((pl.col("entity_id") == "cn") & (pl.col("source_id") == "usgs-mcs-2026"))
        assert china.height > 0
        for year, quantity in china.select("year", "quantity").iter_rows():
            shown = [line for line in output.replace(",", "").splitlines() if str(year) in line]
            assert any(str(int(quantity)) in line for line in shown), f"{lang} example does not show {year}: {quantity}:\n{output}"


def test_console_build_example_writes_the_release_the_other_examples_read(tmp_path):
    console = next(code for page, _, lang, code in BLOCKS if page == "use.md" and lang == "console")
    run_block("console", console, tmp_path)
    assert list((tmp_path / "dist").glob("rare-earth-supply-*.sqlite")) and list((tmp_path / "dist").glob("*-production.parquet"))
