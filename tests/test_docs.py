"""Generated documentation matches the metadata it is generated from."""
from __future__ import annotations

from rare_earth_supply.docs import generated_files
from rare_earth_supply.package import open_package
from rare_earth_supply.rules import CATALOGUE
from conftest import ROOT


def test_committed_docs_are_what_the_generator_writes():
    for path, content in generated_files(open_package(ROOT), ROOT).items():
        assert path.read_text(encoding="utf-8") == content, f"{path.name} is stale: run `rare-earth-supply docs`"


def test_readme_documents_every_rule_and_both_setup_commands():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for rule in CATALOGUE:
        assert f"| {rule.id} | {rule.severity} |" in readme
    assert "pip install -e '.[test]' && .venv/bin/pytest" in readme
    assert ".venv/bin/rare-earth-supply validate" in readme
    ci = (ROOT / ".ci" / "run").read_text()
    assert "pip install --quiet -e '.[test]'" in ci and ".venv/bin/pytest" in ci
