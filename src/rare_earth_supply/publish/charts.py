"""Charts of the data, drawn with matplotlib (the `plot` extra) and written headless to PNG.

Each chart is a function from loaded tables to a Figure, so tests can inspect axes and
captions; `write_all` renders them into docs/img/. Every chart names its sources.
"""
from __future__ import annotations

import textwrap
from pathlib import Path

import polars as pl

from rare_earth_supply.publish import chaincharts, timeseries
from rare_earth_supply.publish.figure import caption as _caption, pyplot as _pyplot


def reserves_and_production(tables: dict[str, pl.DataFrame]):
    """Reserves (MCS 2025) and 2024 mine production (MCS 2025) by country, largest first."""
    plt = _pyplot()
    countries = tables["entities"].filter(pl.col("kind") == "country").select(pl.col("id").alias("entity_id"), "name")
    source = "usgs-mcs-2025"
    reserves = (tables["reserves"].filter(pl.col("source_id") == source, pl.col("classification").is_null())
                .join(countries, on="entity_id").select("name", (pl.col("quantity") / 1e6).alias("reserves_mt")))
    production = (tables["production"].filter(pl.col("source_id") == source, pl.col("year") == 2024,
                                              pl.col("product") == "reo_in_concentrate", pl.col("unit") == "t_reo")
                  .join(countries, on="entity_id").select("name", (pl.col("quantity") / 1e3).alias("production_kt")))
    both = reserves.join(production, on="name", how="full", coalesce=True).fill_null(0).sort("reserves_mt", descending=True)
    fig, (left, right) = plt.subplots(1, 2, figsize=(9, 5), sharey=True)
    names = both["name"].to_list()[::-1]
    left.barh(names, both["reserves_mt"].to_list()[::-1], color="#7a9cc6")
    left.set_xlabel("Reserves (million t REO)")
    left.set_title("Reserves")
    right.barh(names, both["production_kt"].to_list()[::-1], color="#c68a4e")
    right.set_xlabel("Mine production 2024 (thousand t REO)")
    right.set_title("Mine production, 2024 (estimates)")
    left.set_ylabel("Country")
    for ax in (left, right):
        ax.grid(axis="x", alpha=0.3)
    fig.suptitle("Rare-earth reserves and 2024 mine production by country, USGS MCS 2025\n"
                 "(no bar: zero, or no figure given, as for Myanmar's reserves)")
    fig.subplots_adjust(bottom=0.14, left=0.16, wspace=0.08, top=0.86)
    _caption(fig, [source])
    return fig


def investments(tables: dict[str, pl.DataFrame]):
    """Sums committed by investor and instrument, from primary records where there are any."""
    plt = _pyplot()
    names = tables["entities"].select(pl.col("id").alias("investor_id"), pl.col("name").alias("investor"))
    primary = tables["sources"].filter(pl.col("kind") != "news_summary").select(pl.col("id").alias("source_id"))
    # a prepayment is an advance under a supply agreement already drawn: stacking it would count it twice
    deals = (tables["investments"].join(primary, on="source_id", how="semi")
             .filter(pl.col("amount").is_not_null(), pl.col("instrument") != "prepayment")
             .join(names, on="investor_id")
             .with_columns(pl.col("investor").map_elements(lambda n: textwrap.fill(n, 24), return_dtype=pl.String)))
    pivot = deals.group_by("investor", "instrument").agg((pl.col("amount").sum() / 1e6).alias("usd_m"))
    investors = pivot.group_by("investor").agg(pl.col("usd_m").sum()).sort("usd_m")["investor"].to_list()
    instruments = sorted(pivot["instrument"].unique())
    fig, ax = plt.subplots(figsize=(8.5, 4))
    left = [0.0] * len(investors)
    for instrument in instruments:
        values = [pivot.filter((pl.col("investor") == i) & (pl.col("instrument") == instrument))["usd_m"].sum() for i in investors]
        ax.barh(investors, values, left=left, label=instrument)
        left = [a + b for a, b in zip(left, values)]
    ax.set_xlabel("Committed to MP Materials (USD million)")
    ax.set_ylabel("Investor")
    for investor, total in zip(investors, left):
        lower_bound = deals.filter((pl.col("investor") == investor) & pl.col("qualifier").is_in(["gt", "ge"])).height > 0
        ax.annotate(("at least " if lower_bound else "") + f"{total:,.0f}", (total, investors.index(investor)),
                    textcoords="offset points", xytext=(4, -3), fontsize=7)
    ax.set_xlim(0, max(left) * 1.25)
    ax.set_title("2025 commitments to MP Materials by investor and instrument (primary records)\n"
                 "Not drawn: instruments without a sum (warrant, offtake, price floor) and Apple's prepayment,\n"
                 "an advance under its supply agreement", fontsize=8)
    ax.legend(fontsize=7, title="instrument", title_fontsize=7)
    ax.grid(axis="x", alpha=0.3)
    fig.subplots_adjust(bottom=0.2, left=0.25, top=0.8)
    _caption(fig, deals["source_id"].to_list())
    return fig


def all_charts() -> dict:
    """Every chart by file name: the snapshot charts here, the chain charts of `chaincharts` (China's share by stage
    keeps the file name china-shares, the picture the README opens with) and the series charts of `timeseries`."""
    return {"china-shares": chaincharts.china_share_by_stage, "pipeline-outside-china": chaincharts.pipeline_outside_china,
            "reserves-production": reserves_and_production, "investments": investments, **timeseries.CHARTS}


def write_all(tables: dict[str, pl.DataFrame], directory: Path) -> list[Path]:
    plt = _pyplot()
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, draw in all_charts().items():
        fig = draw(tables)
        path = directory / f"{name}.png"
        fig.savefig(path, metadata={"Software": None})
        plt.close(fig)
        written.append(path)
    return written
