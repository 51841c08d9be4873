"""Every release recoverable from the branch's history alone: tags do not travel with a clone."""
from __future__ import annotations

import io
import json
import subprocess
import tarfile
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

import rare_earth_supply as res
from rare_earth_supply.cli import app
from rare_earth_supply.read.package import open_package
from rare_earth_supply.release import history
from rare_earth_supply.release.build import EXTRA_FILES, build, rebuild
from conftest import ROOT

runner = CliRunner()
pytestmark = pytest.mark.skipif(not (ROOT / ".git").exists(), reason="release history needs a git clone (an sdist has none)")


@pytest.fixture(autouse=True)
def in_the_clone(monkeypatch):
    monkeypatch.chdir(ROOT)


def test_releases_are_found_from_the_history_of_the_descriptor():
    result = runner.invoke(app, ["releases", "--format", "json"])
    assert result.exit_code == 0, result.output
    found = json.loads(result.stdout)
    versions = [r["version"] for r in found]
    assert versions[:5] == ["0.1.0", "0.2.0", "0.3.0", "0.4.0", "0.5.0"] and versions[-1] == res.__version__
    for release in found:  # each commit really declares its version
        descriptor = json.loads(subprocess.run(["git", "show", f"{release['commit']}:datapackage.json"], capture_output=True,
                                               text=True, check=True).stdout)
        assert descriptor["version"] == release["version"] and descriptor["created"].startswith(release["released"])
    # and it is the first commit that does: its first parent carries an earlier version
    for release in found[1:]:
        parent = json.loads(subprocess.run(["git", "show", f"{release['commit']}^:datapackage.json"], capture_output=True,
                                           text=True, check=True).stdout)
        assert parent["version"] != release["version"]


def test_diff_takes_a_version_number():
    result = runner.invoke(app, ["diff", "0.2.0", "0.3.0", "--format", "json"])
    assert result.exit_code == 0, result.output
    change = json.loads(result.stdout)
    assert (change["old_version"], change["new_version"], change["required_bump"]) == ("0.2.0", "0.3.0", "minor")
    assert "mp-pr-2025-07-10" in change["tables"]["sources"]["rows_added"]
    assert runner.invoke(app, ["diff", "9.9.9"]).exit_code == 2


def test_history_shows_a_change_made_after_a_release_was_declared():
    """0.1.0 was declared before a later commit made sources.file unique; 0.2.0 shipped that as a MINOR bump."""
    change = json.loads(runner.invoke(app, ["diff", "0.1.0", "0.2.0", "--format", "json"]).stdout)
    assert change["required_bump"] == "major" and change["actual_bump"] == "minor"
    assert "constraints of file changed" in change["tables"]["sources"]["reasons"]["major"]


def _checkout(commit: str, target: Path) -> Path:
    """A plain checkout of a commit, by `git archive` (not by our own exporter)."""
    archive = subprocess.run(["git", "archive", "--format=tar", commit], cwd=ROOT, capture_output=True, check=True).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(target, filter="data")
    return target


@pytest.mark.parametrize("version", ["0.2.0", "0.4.0"])
def test_a_rebuilt_release_matches_a_build_of_its_commit_byte_for_byte(tmp_path, version):
    release = history.release_of(history.repository(ROOT), version)
    rebuilt = rebuild(version, tmp_path / "rebuilt")
    fresh = build(open_package(_checkout(release.commit, tmp_path / "checkout")), tmp_path / "fresh", check=False)
    assert [p.name for p in rebuilt.files] == [p.name for p in fresh.files]
    assert all(a.read_bytes() == b.read_bytes() for a, b in zip(rebuilt.files, fresh.files))
    import zipfile
    with zipfile.ZipFile(next(p for p in rebuilt.files if p.suffix == ".zip")) as archive:
        descriptor = json.loads(archive.read("datapackage.json"))
        assert descriptor["version"] == version and set(EXTRA_FILES) <= set(archive.namelist())
        # the release's own README, not today's
        assert archive.read("README.md") == subprocess.run(["git", "show", f"{release.commit}:README.md"], cwd=ROOT,
                                                            capture_output=True, check=True).stdout


def test_the_command_rebuilds_a_past_release(tmp_path):
    result = runner.invoke(app, ["build", "--version", "0.3.0", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "rare-earth-supply-0.3.0.zip").is_file()
    investments = pl.read_parquet(tmp_path / "rare-earth-supply-0.3.0-investments.parquet")
    assert investments.height == 12, "0.3.0 added the primary records' eight investments to the news' four"
    assert runner.invoke(app, ["build", "--version", "0.3.0", "--path", "."]).exit_code == 2


def test_outside_a_clone_history_is_refused_clearly(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for command in (["releases"], ["diff", "0.1.0"], ["build", "--version", "0.1.0", "--out", str(tmp_path / "d")]):
        result = runner.invoke(app, command)
        assert result.exit_code == 2 and "git" in result.output, (command, result.output)
        assert not (tmp_path / "d").exists()
