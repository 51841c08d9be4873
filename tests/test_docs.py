"""Generated documentation matches the metadata it is generated from."""
from __future__ import annotations

import polars as pl
import pytest

from rare_earth_supply.publish.docs import generated_files
from rare_earth_supply.read.package import open_package
from rare_earth_supply.rules import CATALOGUE
from conftest import ROOT, copy_checkout


def test_committed_docs_are_what_the_generator_writes():
    for path, content in generated_files(open_package(ROOT), ROOT).items():
        assert path.read_text(encoding="utf-8") == content, f"{path.name} is stale: run `rare-earth-supply docs`"


def test_readme_documents_every_rule_and_both_setup_commands():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for rule in CATALOGUE:
        assert f"| {rule.id} | {rule.severity} |" in readme
    assert "pip install -e '.[test,plot,pandas,site,browser]' && .venv/bin/pytest" in readme
    assert ".venv/bin/rare-earth-supply validate" in readme
    ci = (ROOT / ".ci" / "run").read_text()
    assert "pip install --quiet -e '.[test,plot,pandas,site,browser]'" in ci and ".venv/bin/pytest" in ci
    assert "mkdocs build --strict" in ci and "chromium" in ci and "r-cran-readr" in ci


def _tables():
    import rare_earth_supply as res
    return {n: res.load(n) for n in res.tables()}


def test_charts_have_labelled_axes_and_name_their_sources():
    pytest.importorskip("matplotlib", reason="charts need the plot extra")
    from rare_earth_supply.publish.charts import all_charts
    tables = _tables()
    source_ids = set(tables["sources"]["id"])
    for name, draw in all_charts().items():
        fig = draw(tables)
        for ax in fig.axes:
            assert ax.get_xlabel() and (ax.get_ylabel() or ax is not fig.axes[0]), name
        captions = [t.get_text() for t in fig.texts if t.get_text().startswith("Sources:")]
        assert len(captions) == 1, name
        assert {s for s in source_ids if s in captions[0]}, f"{name} names no source id"


def test_china_chart_draws_lower_bounds_and_every_stated_share():
    pytest.importorskip("matplotlib", reason="charts need the plot extra")
    from rare_earth_supply.publish.charts import china_shares
    tables = _tables()
    fig = china_shares(tables)
    ax = fig.axes[0]
    stated = tables["capacity_shares"].filter(pl.col("entity_id") == "cn")
    labels = [t.get_text() for t in ax.texts]
    assert sum(1 for l in labels if l.startswith(">")) == stated.filter(pl.col("qualifier") == "gt").height
    arrows = [t for t in ax.texts if t.arrow_patch is not None and not t.get_text()]
    assert len(arrows) == stated.filter(pl.col("qualifier").is_in(["gt", "ge"])).height
    assert any("69.2%" in l for l in labels), "the share computed from USGS production is drawn beside the stated ones"


def test_committed_charts_are_pngs():
    for name in ("china-shares", "reserves-production", "investments"):
        data = (ROOT / "docs" / "img" / f"{name}.png").read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n"
        width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
        assert width >= 600 and height >= 300


def test_docs_check_passes_in_the_checkout_and_flags_a_stale_page(tmp_path, monkeypatch):
    from typer.testing import CliRunner
    from rare_earth_supply.cli import app
    runner = CliRunner()
    monkeypatch.chdir(ROOT)
    assert runner.invoke(app, ["docs", "--check"]).exit_code == 0
    copy = copy_checkout(tmp_path / "checkout")
    (copy / "docs" / "rules.md").write_text("stale\n")
    monkeypatch.chdir(copy)
    result = runner.invoke(app, ["docs", "--check"])
    assert result.exit_code == 1 and "docs/rules.md" in result.output
    assert (copy / "docs" / "rules.md").read_text() == "stale\n", "--check writes nothing"
