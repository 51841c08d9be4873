"""Charts of the chain stage by stage: China's share of each stage over time, and the plant capacity
outside China by stage and status. Both are drawn from the derived views (`rare_earth_supply.chain`),
so a chart shows exactly what `concentration()` and `capacity_outside_china()` return."""
from __future__ import annotations

import polars as pl

from rare_earth_supply import chain
from rare_earth_supply.publish.figure import caption as _caption, pyplot as _pyplot

STAGES = ("mining", "separation_refining", "metal_alloy", "magnets")
STAGE_NAMES = {"mining": "mining", "separation_refining": "separation & refining", "metal_alloy": "metal & alloy",
               "magnets": "magnets", "recycling": "recycling"}
STAGE_COLOURS = {"mining": "#8c564b", "separation_refining": "#1f77b4", "metal_alloy": "#2ca02c", "magnets": "#d62728",
                 "recycling": "#9467bd"}
LOWER = ("gt", "ge")
# the plant products whose capacities are comparable within one bar (NdPr oxide is part of separated oxide output)
PIPELINE_PANELS = (("mining", ("concentrate_reo",), "t REO / year"),
                   ("separation_refining", ("separated_oxides", "mixed_chloride"), "t REO / year"),
                   ("separation_refining", ("ndpr_oxide",), "t REO / year"),
                   ("metal_alloy", ("metal", "alloy"), "t / year"),
                   ("magnets", ("magnets",), "t / year"))
PIPELINE_SINCE = 2020  # a plan last stated before this year is left out of the picture (it stays in the view)
STATUS_ORDER = ("operating", "commissioning", "under_construction", "planned", "suspended", "closed")
STATUS_COLOURS = dict(zip(STATUS_ORDER, ("#2b8cbe", "#7bccc4", "#fdae61", "#d9d9d9", "#969696", "#525252")))


def china_stated_points(tables: dict[str, pl.DataFrame]) -> pl.DataFrame:
    """China's stated shares with a year, for the stages drawn: one point per capacity_shares row."""
    shares = tables["capacity_shares"]
    return shares.filter(pl.col("entity_id") == "cn", pl.col("year").is_not_null(), pl.col("stage").is_in(STAGES))


def china_share_by_stage(tables: dict[str, pl.DataFrame]):
    """China's share of each stage by year: every stated share a point (triangles: lower bounds, hollow: projections),
    a line per stage through the yearly median of the stated observed figures, dashed on to the projections, and
    the share computed from USGS mine production in black."""
    plt = _pyplot()
    points = china_stated_points(tables)
    fig, ax = plt.subplots(figsize=(10, 6.2))
    for stage in STAGES:
        colour = STAGE_COLOURS[stage]
        rows = points.filter(pl.col("stage") == stage)
        for projected in (False, True):
            part = rows.filter((pl.col("figure_kind") == "projection") == projected)
            for lower in (False, True):
                drawn = part.filter(pl.col("qualifier").is_in(LOWER) == lower)
                if drawn.is_empty():
                    continue
                ax.scatter(drawn["year"].to_list(), drawn["share_pct"].to_list(), marker="^" if lower else "o", s=28, zorder=3,
                           facecolors="none" if projected else colour, edgecolors=colour, linewidths=1.1)
        observed = (rows.filter(pl.col("figure_kind") != "projection").group_by("year").agg(pl.col("share_pct").median()).sort("year"))
        ax.plot(observed["year"].to_list(), observed["share_pct"].to_list(), color=colour, linewidth=1.6,
                label=f"{STAGE_NAMES[stage]} (stated; {rows.height} figures)")
        projected = rows.filter(pl.col("figure_kind") == "projection").group_by("year").agg(pl.col("share_pct").median()).sort("year")
        if not projected.is_empty():
            start = observed.tail(1)
            line = pl.concat([start, projected]) if not start.is_empty() else projected
            ax.plot(line["year"].to_list(), line["share_pct"].to_list(), color=colour, linewidth=1.4, linestyle="--")
    computed = chain.concentration_of(tables).filter(pl.col("basis") == "computed_production", pl.col("fullest"),
                                                     pl.col("entity_id") == "cn").sort("year")
    ax.plot(computed["year"].to_list(), computed["share_pct"].to_list(), color="black", marker="o", markerfacecolor="white",
            markersize=4, linewidth=1.4, label="mining, computed from USGS production (fullest edition per year)")
    ax.plot([], [], color="0.4", linestyle="--", label="projection (hollow points), by the scenario each source names")
    ax.scatter([], [], marker="^", color="0.4", label="lower bound ('over 80%')")
    ax.set_ylim(0, 102)
    ax.set_xlabel("Year the share refers to")
    ax.set_ylabel("China's share of the world (%)")
    undated = tables["capacity_shares"].filter(pl.col("entity_id") == "cn", pl.col("year").is_null()).height
    ax.set_title("China's share of each stage of the rare-earth supply chain, by year\n"
                 f"(lines: yearly median of the stated figures; {undated} stated figures without a year are not drawn)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="lower left")
    sources = [*points["source_id"].to_list(), *computed["source_id"].to_list()]
    fig.subplots_adjust(bottom=0.33, top=0.9)
    _caption(fig, sources)
    return fig


def pipeline_outside_china(tables: dict[str, pl.DataFrame]):
    """Plant capacity outside China by stage and status, each plant at its latest statement."""
    plt = _pyplot()
    view = chain.capacity_outside_china_of(tables, stated_since=PIPELINE_SINCE)
    fig, axes = plt.subplots(1, len(PIPELINE_PANELS), figsize=(11, 5))
    for ax, (stage, products, unit) in zip(axes, PIPELINE_PANELS):
        rows = view.filter(pl.col("stage") == stage, pl.col("product").is_in(products))
        bottom = 0.0
        for status in STATUS_ORDER:
            total = rows.filter(pl.col("plant_status") == status)["capacity"].sum()
            if total:
                ax.bar([0], [total], bottom=bottom, color=STATUS_COLOURS[status], edgecolor="white", label=status.replace("_", " "))
                ax.annotate(f"{total:,.0f}", (0, bottom + total / 2), ha="center", va="center", fontsize=7)
                bottom += total
        facilities = rows["facility_ids"].explode().n_unique() if rows.height else 0
        ax.set_xticks([0], [f"{facilities} plant" + ("s" if facilities != 1 else "")])
        ax.set_xlabel(f"{STAGE_NAMES[stage]}\n{' + '.join(p.replace('_', ' ') for p in products)}\n({unit})", fontsize=8)
        ax.grid(axis="y", alpha=0.3)
    axes[0].set_ylabel("capacity per year (unit below each bar)")
    handles = {label: handle for ax in axes for handle, label in zip(*ax.get_legend_handles_labels())}
    ordered = [s.replace("_", " ") for s in STATUS_ORDER if s.replace("_", " ") in handles]
    fig.legend([handles[s] for s in ordered], ordered, loc="upper right", fontsize=7, title="status at the latest statement")
    fig.suptitle("Plant capacity outside China by stage and status (capacity_outside_china())\n"
                 f"each plant once, at its latest statement, where that statement dates from {PIPELINE_SINCE} or later")
    fig.subplots_adjust(bottom=0.3, top=0.82, wspace=0.45, right=0.86)
    _caption(fig, view["source_ids"].explode().to_list())
    return fig


CHARTS = {"china-share-by-stage": china_share_by_stage, "pipeline-outside-china": pipeline_outside_china}
