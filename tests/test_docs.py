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


def test_china_chart_draws_every_dated_stated_share_and_the_computed_line():
    pytest.importorskip("matplotlib", reason="charts need the plot extra")
    from rare_earth_supply.publish.chaincharts import STAGES, china_share_by_stage
    tables = _tables()
    fig = china_share_by_stage(tables)
    ax = fig.axes[0]
    dated = tables["capacity_shares"].filter(pl.col("entity_id") == "cn", pl.col("year").is_not_null(), pl.col("stage").is_in(STAGES))
    drawn = sum(len(c.get_offsets()) for c in ax.collections)
    assert drawn == dated.height  # one point per stated share with a year (the legend's markers are empty)
    lower = [c for c in ax.collections if c.get_paths() and len(c.get_offsets()) and c.get_paths()[0].vertices.shape[0] == 4]
    assert sum(len(c.get_offsets()) for c in lower) == dated.filter(pl.col("qualifier").is_in(["gt", "ge"])).height
    from rare_earth_supply.publish.chaincharts import STAGE_COLOURS
    from matplotlib.colors import to_hex
    projections = dated.filter(pl.col("figure_kind") == "projection")
    assert not projections.is_empty()
    for stage, years in projections.group_by("stage").agg(pl.col("year").unique()).iter_rows():
        dashed = [l for l in ax.get_lines() if l.get_linestyle() == "--" and to_hex(l.get_color()) == STAGE_COLOURS[stage]]
        assert dashed and set(years) <= set(dashed[0].get_xdata()), stage  # projections joined by a dashed line
    computed = [l for l in ax.get_lines() if "computed" in l.get_label()]
    assert computed and 69.23 in [round(v, 2) for v in computed[0].get_ydata()]  # MCS 2026: 270,000 of 390,000 t in 2025


def test_committed_charts_are_pngs_and_every_table_page_chart_exists():
    from rare_earth_supply.publish.charts import all_charts
    from rare_earth_supply.publish.site import TABLE_CHARTS
    shown = {chart for charts in TABLE_CHARTS.values() for chart in charts}
    assert shown <= set(all_charts()), shown - set(all_charts())
    for name in all_charts():
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
