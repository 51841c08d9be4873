"""Validation at any size: repeated figures are found once each, reports stay bounded, totals stay exact.

Speed goals live in `benchmarks/run.py`, not here: these tests check behaviour that only shows at
size (a pasted file, a merge that duplicated rows), on the real data repeated.
"""
from __future__ import annotations

import json

import polars as pl
import pytest
from typer.testing import CliRunner

from rare_earth_supply.cli import app
from rare_earth_supply.validate import validate

runner = CliRunner()
COPIES = 1_000


@pytest.fixture(scope="module")
def pasted(tmp_path_factory):
    """The real package with every reserves row present 1,000 times, each copy under a fresh id."""
    from conftest import ROOT, PackageCopy
    import shutil
    root = tmp_path_factory.mktemp("pasted") / "package"
    root.mkdir()
    shutil.copy(ROOT / "datapackage.json", root)
    shutil.copytree(ROOT / "data", root / "data")
    shutil.copytree(ROOT / "schemas", root / "schemas")
    package = PackageCopy(root)
    real = package.read("reserves")
    copies = pl.concat([real.with_columns(
        pl.when(pl.lit(k == 0)).then(pl.col("id")).otherwise(pl.format("res-{}", pl.int_range(pl.len()) + 100_000 + k * 100))
        .alias("id")) for k in range(COPIES)])
    package.write("reserves", copies)
    return package, real


def test_pasted_rows_are_each_reported_once_as_duplicates(pasted):
    package, real = pasted
    baseline = validate()
    report = validate(package.root)
    counts = {(t, r): n for t, r, _, n in report.counts().iter_rows()}
    # every copy repeats its original: 999 duplicates per real row, named once each
    assert counts[("reserves", "duplicate-figure")] == real.height * (COPIES - 1)
    duplicates = report.frame.filter(pl.col("rule") == "duplicate-figure")
    assert duplicates["row_id"].is_unique().all()
    assert set(duplicates["related"]) <= set(real["id"])
    # a conflicting figure is reported once per copy, however many copies hold the bound it breaks
    before = baseline.frame.filter(pl.col("table") == "reserves", pl.col("rule") == "sources-disagree").height
    assert counts[("reserves", "sources-disagree")] == before * COPIES
    assert report.exit_code(strict=True) == 1


def test_json_report_is_bounded_and_its_totals_exact(pasted):
    package, real = pasted
    result = runner.invoke(app, ["validate", str(package.root), "--format", "json", "--strict"])
    assert result.exit_code == 1
    payload = json.loads(result.stdout)
    counts = {(c["table"], c["rule"]): c["problems"] for c in payload["counts"]}
    assert counts[("reserves", "duplicate-figure")] == real.height * (COPIES - 1)
    assert payload["problems_total"] == sum(counts.values())
    shown = pl.DataFrame(payload["problems"])
    per_rule = shown.group_by("table", "rule").len()
    assert per_rule["len"].max() <= payload["max_problems"] == 50
    assert payload["problems_shown"] == shown.height < 50 * len(counts) + 1
    assert payload["problems_total"] > 30_000 > shown.height


def test_text_report_shows_the_first_problems_and_counts_the_rest(pasted):
    package, real = pasted
    result = runner.invoke(app, ["validate", str(package.root), "--max-problems", "5"])
    assert result.exit_code == 1
    assert f"… and {real.height * (COPIES - 1) - 5:,} more duplicate-figure warnings in reserves" in result.output
    everything = runner.invoke(app, ["validate", str(package.root), "--max-problems", "0", "--format", "csv"])
    assert pl.read_csv(everything.stdout.encode(), infer_schema=False).height == json.loads(
        runner.invoke(app, ["validate", str(package.root), "--format", "json"]).stdout)["problems_total"]


def test_one_subject_repeated_is_compared_through_its_envelope(package_copy):
    """Ten thousand figures on one subject from two voices that disagree: each reported once, not paired with every other."""
    real = package_copy.read("reserves")
    row = real.filter(pl.col("id") == "res-032")  # the United States, MCS 2026: 1.9 Mt
    many = pl.concat([row] * 10_000).with_columns(
        pl.format("res-{}", pl.int_range(pl.len()) + 200_000).alias("id"),
        pl.when(pl.int_range(pl.len()) % 2 == 0).then(pl.lit("usgs-mcs-2026")).otherwise(pl.lit("news-003")).alias("source_id"),
        pl.when(pl.int_range(pl.len()) % 2 == 0).then(pl.int_range(pl.len()) + 1_900_000).otherwise(pl.int_range(pl.len()) + 1_500_000)
        .cast(pl.String).alias("quantity"))
    package_copy.write("reserves", pl.concat([real, many]))
    report = validate(package_copy.root)
    conflicts = report.frame.filter(pl.col("rule") == "sources-disagree", pl.col("row_id").str.starts_with("res-2"))
    assert conflicts.height == 10_000 and conflicts["row_id"].is_unique().all()
    sources = dict(package_copy.read("reserves").select("id", "source_id").rows())
    # each names the figure of the other voice whose bound it breaks
    assert all((sources[r] == "news-003") != (sources[b] == "news-003") for r, b in conflicts.select("row_id", "related").rows())
