"""The chain views (concentration, capacity outside China) against figures worked out by hand from
the rows they come from, on the real data and on rows added to it."""
from __future__ import annotations

import sqlite3

import polars as pl
import pytest

import rare_earth_supply as res
from rare_earth_supply import chain


def _group(frame: pl.DataFrame, **where) -> pl.DataFrame:
    return frame.filter(*[pl.col(k) == v for k, v in where.items()])


def test_shares_computed_from_production_are_country_over_world_of_one_edition():
    view = res.concentration(stage="mining")
    group = _group(view, basis="computed_production", source_id="usgs-mcs-2026", year=2024)
    china = _group(group, entity_id="cn").row(0, named=True)
    # MCS 2026, 2024: China 270,000 t, world 380,000 t; next the United States 45,500 t and Australia 29,000 t
    assert china["share_pct"] == round(270_000 / 380_000 * 100, 2)
    assert china["rank"] == 1 and china["top1_pct"] == china["share_pct"]
    assert china["top3_pct"] == round((270_000 + 45_500 + 29_000) / 380_000 * 100, 2)
    assert sorted(china["row_ids"]) == ["prod-091", "prod-115"]
    assert group["fullest"].all() and group.height == china["countries_named"]


def test_stated_shares_keep_their_group_and_a_stated_group_share():
    group = _group(res.concentration(), basis="stated", source_id="oecd-2014-export-restrictions", year=2012)
    # OECD 2014 on 2012 mine output: China 91, US 4, Australia 3, Russia 2, Brazil 0.2, Malaysia 0.1 (sum 100.3)
    china = _group(group, entity_id="cn").row(0, named=True)
    assert china["unnamed_pct"] == 0 and china["top1_pct"] == 91 and china["top3_pct"] == 98
    assert china["hhi"] == round(91**2 + 4**2 + 3**2 + 2**2 + 0.2**2 + 0.1**2)
    assert _group(group, entity_id="top-5-countries")["rank"].to_list() == [None]  # a group share is shown, never ranked
    iea = _group(res.concentration(), source_id="seaisi-2024-06-03-iea-gcmo2024", stage="separation_refining", year=2023,
                 scope="magnet_rare_earths")
    assert set(iea["top3_pct"]) == {98.0}  # the source states the top three's share itself


def test_a_share_stated_as_a_lower_bound_marks_its_group():
    news = _group(res.concentration(), source_id="news-000", stage="magnets")
    assert news["bound"].to_list() == [True] and news["top1_pct"].to_list() == [90.0]  # "more than 90%"


def test_no_country_share_is_ranked_without_a_known_top_when_much_is_unnamed():
    view = res.concentration()
    unknown = view.filter(pl.col("top1_pct").is_null(), pl.col("rank") == 1)
    assert (unknown["share_pct"] < unknown["unnamed_pct"]).all()
    assert view.filter(pl.col("hhi").is_not_null())["unnamed_pct"].max() <= chain.UNNAMED_FOR_HHI


def _frames() -> dict[str, pl.DataFrame]:
    return {n: res.load(n, warn_errata=False) for n in ("entities", "sources", "plant_capacities")}


def test_capacity_outside_china_counts_each_plant_once_at_its_latest_statement():
    view = res.capacity_outside_china(stage="magnets")
    planned_2028 = _group(view, plant_status="planned", year=2028).row(0, named=True)
    assert planned_2028["facility_ids"] == ["mp-10x-facility"] and planned_2028["capacity"] == 10_000  # plant-004
    chinese = res.load("entities", warn_errata=False).filter(pl.col("country") == "CN")["id"].to_list()
    assert not set(res.capacity_outside_china()["facility_ids"].explode()) & set(chinese)
    # Lynas Malaysia has two NdPr statements (2023 under construction, 2025 operating): only the 2025 one is summed
    everything = res.capacity_outside_china()
    plants = everything.select("stage", "product", "facility_ids").explode("facility_ids")
    assert not plants.is_duplicated().any()
    lynas = everything.filter(pl.col("facility_ids").list.contains("lynas-malaysia"), pl.col("product") == "ndpr_oxide")
    assert lynas.select("plant_status", "row_ids").rows() == [("operating", ["plant-016"])]


def test_a_statement_without_a_figure_keeps_the_capacity_last_stated():
    frames = _frames()
    delay = {**{c: None for c in frames["plant_capacities"].columns}, "id": "plant-900", "facility_id": "mp-10x-facility",
             "operator_id": "mp-materials", "stage": "magnets", "product": "magnets", "plant_status": "suspended",
             "as_of": "2026-12", "source_id": "mp-pr-2026-02-26", "locator": "paragraph 1"}
    frames["plant_capacities"] = pl.concat([frames["plant_capacities"], pl.DataFrame([delay], schema=frames["plant_capacities"].schema)])
    view = chain.capacity_outside_china_of(frames).filter(pl.col("facility_ids").list.contains("mp-10x-facility"))
    assert view.select("plant_status", "capacity", "unit").rows() == [("suspended", 10_000.0, "t_per_year")]
    assert view["row_ids"].to_list() == [["plant-900"]]


def test_stated_since_leaves_out_old_plans():
    recent = res.capacity_outside_china(stated_since=2020)
    assert recent["oldest_statement"].str.slice(0, 4).cast(pl.Int64).min() >= 2020
    assert recent["capacity"].sum() < res.capacity_outside_china()["capacity"].sum()


@pytest.mark.parametrize("view", ["concentration", "capacity_outside_china"])
def test_views_ship_in_the_release_with_their_fields(release_dir, release_sqlite, view):
    db = sqlite3.connect(release_sqlite)
    rows = db.execute(f'SELECT count(*) FROM "{view}"').fetchone()[0]
    assert rows == getattr(res, view)().height
    described = [f for (f,) in db.execute('SELECT field FROM _fields WHERE "table" = ? ORDER BY position', (view,))]
    assert described == list(getattr(res, view)().columns)
    stem = view.replace("_", "-")
    parquet = next(release_dir.glob(f"rare-earth-supply-*-{stem}.parquet"))
    assert pl.read_parquet(parquet).height == rows
