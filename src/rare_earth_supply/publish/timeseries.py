"""Charts of the supply chain over time: China's share of mining by USGS edition, U.S. output,
China's quotas, and a timeline of policy measures. Drawn from the status and preferred views,
so a revised or erroneous figure is never drawn as if it were current."""
from __future__ import annotations

from datetime import date

import polars as pl

from rare_earth_supply import status
from rare_earth_supply.publish.figure import caption as _caption, pyplot as _pyplot
from rare_earth_supply.rules.consistency import computed_shares
from rare_earth_supply.read.csvfile import LINE


def _with_lines(tables: dict[str, pl.DataFrame]) -> dict[str, pl.DataFrame]:
    return {n: f if LINE in f.columns else f.with_row_index(LINE, offset=2).with_columns(pl.col(LINE).cast(pl.Int64))
            for n, f in tables.items()}


def china_mining_share(tables: dict[str, pl.DataFrame]):
    """China's share of world mine production, computed edition by edition from each edition's own rows."""
    plt = _pyplot()
    shares = computed_shares(_with_lines(tables)).filter(pl.col("entity_id") == "cn", pl.col("source_id").str.starts_with("usgs-mcs"))
    fig, ax = plt.subplots(figsize=(8.5, 4.6))
    editions = sorted(shares["source_id"].unique())
    for edition in editions:
        rows = shares.filter(pl.col("source_id") == edition).sort("year")
        ax.plot(rows["year"].to_list(), rows["share_pct"].to_list(), marker="o", linewidth=1, label=edition.replace("usgs-mcs-", "MCS "))
    latest = shares.sort("source_id", descending=True).group_by("year", maintain_order=True).first().sort("year")
    ax.plot(latest["year"].to_list(), latest["share_pct"].to_list(), color="0.2", linewidth=2.5, alpha=0.35, label="latest edition per year")
    ax.set_ylim(0, 100)
    ax.set_xlabel("Year of production")
    ax.set_ylabel("China's share of world mine production (%)")
    ax.set_title("China's share of world rare-earth mine production, as each USGS edition gives it\n"
                 "(China's quota-based figure ÷ the edition's world total; editions read through a secondary report included)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, ncol=2, loc="lower left")
    fig.subplots_adjust(bottom=0.2, top=0.86)
    _caption(fig, editions)
    return fig


def us_production(tables: dict[str, pl.DataFrame]):
    """U.S. mine production by year, the latest edition's figure for each year."""
    plt = _pyplot()
    preferred = status.preferred(tables, "production").filter(
        pl.col("entity_id") == "us", pl.col("product") == "reo_in_concentrate", pl.col("unit") == "t_reo").sort("year")
    fig, ax = plt.subplots(figsize=(8.5, 4.2))
    years, values = preferred["year"].to_list(), (preferred["quantity"] / 1e3).to_list()
    ax.bar(years, values, color="#7a9cc6")
    for year, value, source in zip(years, values, preferred["source_id"].to_list()):
        ax.annotate(source.replace("usgs-mcs-", "’")[-3:], (year, value), textcoords="offset points", xytext=(0, 2), ha="center", fontsize=6)
    ax.set_xlabel("Year")
    ax.set_ylabel("U.S. mine production (thousand t REO)")
    ax.set_title("U.S. rare-earth mine production: Mountain Pass idle in 2016-17, restarted in 2018\n"
                 "(each year's figure from the latest USGS edition that gives it; the label is the edition)")
    ax.grid(axis="y", alpha=0.3)
    fig.subplots_adjust(bottom=0.2, top=0.86)
    _caption(fig, preferred["source_id"].to_list())
    return fig


def china_quotas(tables: dict[str, pl.DataFrame]):
    """China's annual mining and smelting-and-separation quotas: stated totals, or sums of the batches found."""
    plt = _pyplot()
    preferred = status.preferred(tables, "quotas").filter(
        pl.col("entity_id") == "cn", pl.col("batch") == "annual", pl.col("scope") == "total",
        pl.col("stage").is_in(["mining", "smelting_separation"])).sort("year")
    fig, ax = plt.subplots(figsize=(8.5, 4.4))
    for offset, (stage, colour) in zip((-0.2, 0.2), (("mining", "#c68a4e"), ("smelting_separation", "#7a9cc6"))):
        rows = preferred.filter(pl.col("stage") == stage)
        derived = rows["status"] == "derived"
        ax.bar([y + offset for y in rows["year"]], (rows["quantity"] / 1e3).to_list(), width=0.4, color=colour,
               label=stage.replace("_", " and "), hatch=None)
        ax.bar([y + offset for y, d in zip(rows["year"], derived) if d],
               [q / 1e3 for q, d in zip(rows["quantity"], derived) if d], width=0.4, color="none", edgecolor="0.2", hatch="///")
    from matplotlib.patches import Patch
    handles, labels = ax.get_legend_handles_labels()
    handles.append(Patch(facecolor="white", edgecolor="0.2", hatch="///"))
    labels.append("sum of the batches found (no total stated)")
    ax.set_xlabel("Quota year")
    ax.set_ylabel("Quota (thousand t REO)")
    ax.set_title("China's rare-earth production quotas by year (no quota figures published for 2025)")
    ax.grid(axis="y", alpha=0.3)
    ax.legend(handles, labels, fontsize=7, loc="upper left")
    fig.subplots_adjust(bottom=0.27, top=0.9)
    _caption(fig, [s for s in preferred["source_id"].to_list() if s])
    return fig


def _start(text: str | None) -> date | None:
    """The first day a partial date (2025, 2025-04, 2025-04-04) can mean."""
    if not text:
        return None
    parts = [int(p) for p in text.split("-")] + [1, 1]
    return date(parts[0], parts[1], parts[2])


def measures_timeline(tables: dict[str, pl.DataFrame]):
    """Dated policy measures by jurisdiction and kind; a suspension is drawn back to what it suspends."""
    plt = _pyplot()
    measures = tables["policy_measures"].with_columns(
        pl.col("announced").map_elements(_start, return_dtype=pl.Date).alias("_date")).filter(pl.col("_date").is_not_null())
    measures = measures.with_columns(pl.concat_str([pl.col("jurisdiction_id"), pl.col("kind").str.replace_all("_", " ")],
                                                   separator=": ").alias("_lane"))
    lanes = sorted(measures["_lane"].unique())
    fig, ax = plt.subplots(figsize=(9.5, 0.32 * len(lanes) + 2.6))
    markers = {"introduce": "o", "widen": "^", "narrow": "v", "extend": ">", "suspend": "x", "lift": "s", "ruling": "D"}
    for action, marker in markers.items():
        rows = measures.filter(pl.col("action") == action)
        if not rows.is_empty():
            ax.scatter(rows["_date"].to_list(), [lanes.index(l) for l in rows["_lane"]], marker=marker, s=28, label=action, zorder=3)
    dated = dict(measures.select("id", "_date").rows())
    lane_of = dict(measures.select("id", "_lane").rows())
    for row in measures.filter(pl.col("action") == "suspend").iter_rows(named=True):
        if row["refers_to"] in dated:
            ax.annotate("", xy=(dated[row["refers_to"]], lanes.index(lane_of[row["refers_to"]])), xytext=(row["_date"], lanes.index(row["_lane"])),
                        arrowprops={"arrowstyle": "->", "lw": 0.6, "color": "0.4"})
    ax.set_yticks(range(len(lanes)), lanes, fontsize=7)
    ax.set_xlabel("Announced (a month or year without a day is drawn at its start)")
    ax.set_ylabel("Jurisdiction: kind of measure")
    ax.set_title("Policy measures on rare earths by date announced (arrows: a suspension back to what it suspends)")
    ax.grid(axis="x", alpha=0.3)
    ax.legend(fontsize=7, ncol=7, loc="lower left", bbox_to_anchor=(0, 1.0), frameon=False)
    ax.set_title("Policy measures on rare earths by date announced (arrows: a suspension back to what it suspends)", pad=22)
    fig.subplots_adjust(left=0.2, bottom=0.3, top=0.88)
    _caption(fig, measures["source_id"].to_list())
    return fig


SERIES_COUNTRIES = ("cn", "br", "in", "au", "ru", "vn", "us")


def _by_country(tables: dict[str, pl.DataFrame], table: str, when: str, rows: pl.Expr, value: str, scale: float, ylabel: str,
                title: str, xlabel: str):
    """One line per country, and the world dashed, of a preferred view: each point a preferred figure (a gap: no edition read gives it)."""
    plt = _pyplot()
    preferred = status.preferred(tables, table).filter(rows, pl.col("entity_id").is_in([*SERIES_COUNTRIES, "world"]))
    names = dict(tables["entities"].select("id", "name").iter_rows())
    fig, ax = plt.subplots(figsize=(9.5, 5))
    for entity in SERIES_COUNTRIES:
        line = preferred.filter(pl.col("entity_id") == entity).sort(when)
        if line.height:
            ax.plot(line[when].to_list(), (line[value] / scale).to_list(), marker="o", markersize=3, linewidth=1.3, label=names.get(entity, entity))
    world = preferred.filter(pl.col("entity_id") == "world").sort(when)
    ax.plot(world[when].to_list(), (world[value] / scale).to_list(), color="0.3", linestyle="--", marker=".", linewidth=1.2, label="World")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=9)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, ncol=2, loc="upper left")
    fig.subplots_adjust(bottom=0.24, top=0.88)
    _caption(fig, preferred["source_id"].to_list())
    return fig


def reserves_by_edition(tables: dict[str, pl.DataFrame]):
    """Reserves by country over the editions that state them: the preferred figure per country and as_of."""
    return _by_country(tables, "reserves", "as_of", (pl.col("unit") == "t_reo") & pl.col("classification").is_null() & (pl.col("scope") == "total"),
                       "quantity", 1e6, "Reserves (million t REO)", "Rare-earth reserves by country, as of each USGS edition\n"
                       "(the preferred figure per country and as_of: a later revision of the same edition replaces the first)", "As of")


def mine_production_by_country(tables: dict[str, pl.DataFrame]):
    """Mine production by country and year: the preferred figure (the latest edition, Minerals Yearbook revisions first)."""
    return _by_country(tables, "production", "year", (pl.col("product") == "reo_in_concentrate") & (pl.col("unit") == "t_reo"),
                       "quantity", 1e3, "Mine production (thousand t REO)", "Rare-earth mine production by country and year\n"
                       "(the preferred figure per country and year, from the statistics editions that give it)", "Year")


CHARTS = {"reserves-by-edition": reserves_by_edition, "mine-production-by-country": mine_production_by_country,
          "china-mining-share": china_mining_share, "us-production": us_production, "china-quotas": china_quotas,
          "measures-timeline": measures_timeline}
