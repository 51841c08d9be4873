"""Charts of money along the chain: public funding by country and year, the NdPr oxide price with producers'
realised prices and the US price floor, and producers' unit costs beside what they realise.

Every figure is drawn in US dollars as the preferred views derive them (`money.with_usd`: the annual average
rate of the row's year) and per kilogram where a source gives tonnes (÷ 1,000, a change of unit, not of
figure). A row the views cannot convert is left out and counted in the chart's title.
"""
from __future__ import annotations

import polars as pl

from rare_earth_supply import commitments, money
from rare_earth_supply.publish.figure import caption as _caption, pyplot as _pyplot

UNIT_COST_ITEMS = ("unit_production_cost", "cash_cost", "production_cost")
NDPR = ("ndpr_oxide",)


def _per_kg(frame: pl.DataFrame, column: str) -> pl.DataFrame:
    """US dollars per kg from a USD figure per kg or per tonne; other units (a whole sum, a share) are dropped."""
    return frame.filter(pl.col("usd_unit").is_in(["USD/kg", "USD/t"])).with_columns(
        pl.when(pl.col("usd_unit") == "USD/t").then(pl.col(column) / 1000).otherwise(pl.col(column)).alias("usd_per_kg"))


def _when(frame: pl.DataFrame) -> pl.Expr:
    """The date a figure is drawn at: the middle of its period, else the middle of its year."""
    if "period_start" in frame.columns:
        middle = pl.col("period_start") + (pl.col("period_end") - pl.col("period_start")) / 2
    else:
        middle = pl.lit(None, pl.Date)
    return pl.coalesce(middle, pl.date(pl.col("year"), 7, 1))


def _converted(tables: dict[str, pl.DataFrame], table: str) -> pl.DataFrame:
    frame = money.with_usd(tables[table], table, tables.get("exchange_rates"))
    return frame.with_columns(_when(frame).alias("_when"))


def public_funding(tables: dict[str, pl.DataFrame]):
    """Public money committed per investor country and year (USD), each deal once, stacked by country."""
    plt = _pyplot()
    public = commitments.funding_of(tables).filter(pl.col("public"))
    undated = public.filter(pl.col("year").is_null())
    view = public.filter(pl.col("year").is_not_null())
    totals = view.group_by("investor_country", "year").agg(pl.col("amount_usd").sum() / 1e6, pl.col("unconverted").sum())
    countries = totals.group_by("investor_country").agg(pl.col("amount_usd").sum()).sort("amount_usd", descending=True)["investor_country"].to_list()
    years = list(range(totals["year"].min(), totals["year"].max() + 1)) if totals.height else []
    names = dict(tables["entities"].select("id", "name").iter_rows())
    fig, ax = plt.subplots(figsize=(10, 5.5))
    bottom = [0.0] * len(years)
    colours = plt.get_cmap("tab20").colors
    for i, country in enumerate(countries):
        values = [totals.filter(pl.col("investor_country") == country, pl.col("year") == y)["amount_usd"].sum() for y in years]
        label = country if len(country) == 2 else names.get(country, country)  # an organisation without a country: its name
        ax.bar(years, values, bottom=bottom, color=colours[i % len(colours)], label=label, edgecolor="white", linewidth=0.5)
        bottom = [a + b for a, b in zip(bottom, values)]
    for year, total in zip(years, bottom):
        if total:
            ax.annotate(f"{total:,.0f}", (year, total), textcoords="offset points", xytext=(0, 3), ha="center", fontsize=7)
    unconverted = int(totals["unconverted"].sum()) if totals.height else 0
    ax.set_xlabel("Year the commitment was first announced")
    ax.set_ylabel("Committed (USD million)")
    ax.set_ylim(0, max(bottom, default=0) * 1.12 or 1)
    ax.set_title("Public money committed to rare-earth projects, by investor country and year (funding())\n"
                 "each commitment once, at its latest state, in USD at the year's average rate\n"
                 f"not drawn: {unconverted} commitments without a USD figure (no sum or no rate yet) and {undated['deals'].sum()} "
                 f"without an announcement date (USD {(undated['amount_usd'].sum() or 0) / 1e6:,.0f} million)", fontsize=9)
    ax.legend(fontsize=7, title="investor", title_fontsize=7, ncol=2, loc="upper left")
    ax.grid(axis="y", alpha=0.3)
    fig.subplots_adjust(bottom=0.3, top=0.85)
    _caption(fig, [s for ids in view["investment_ids"].to_list() for s in _sources_of(tables, ids)])
    return fig


def _sources_of(tables: dict[str, pl.DataFrame], ids: list[str]) -> list[str]:
    return tables["investments"].filter(pl.col("id").is_in(ids))["source_id"].to_list()


def ndpr_prices(tables: dict[str, pl.DataFrame]):
    """NdPr oxide: market quotations and averages, producers' realised prices and the US floor, in USD per kg."""
    plt = _pyplot()
    prices = _per_kg(_converted(tables, "prices").filter(pl.col("product").is_in(NDPR), pl.col("price_usd").is_not_null()), "price_usd")
    fig, ax = plt.subplots(figsize=(10, 5.5))
    market = prices.filter(pl.col("kind").is_in(["quotation", "market_average", "yearend"]))
    for basis, part in market.sort("_when").group_by("basis", maintain_order=True):
        label = f"market, {basis[0] or 'basis not stated'}".replace("_", " ")
        ax.plot(part["_when"].to_list(), part["usd_per_kg"].to_list(), marker="o", markersize=3, linewidth=1, label=label)
    realised = prices.filter(pl.col("kind") == "realised").sort("_when")
    names = dict(tables["entities"].select("id", "name").iter_rows())
    for entity, part in realised.group_by("entity_id", maintain_order=True):
        ax.plot(part["_when"].to_list(), part["usd_per_kg"].to_list(), marker="s", markersize=4, linewidth=1.4, linestyle="--",
                label=f"realised by {names.get(entity[0], entity[0])}")
    for row in prices.filter(pl.col("kind") == "floor").iter_rows(named=True):
        ax.axhline(row["usd_per_kg"], color="black", linestyle=":", linewidth=1.2)
        ax.annotate(f"US price floor {row['usd_per_kg']:,.0f} USD/kg ({row['id']})", (ax.get_xlim()[0], row["usd_per_kg"]),
                    textcoords="offset points", xytext=(4, 3), fontsize=7)
    ax.set_ylabel("USD per kg of NdPr oxide")
    ax.set_xlabel("Middle of the period the price covers")
    ax.set_title("NdPr oxide: market prices, producers' realised prices and the US price floor\n"
                 "(converted to USD at the year's average rate where quoted in another currency)", fontsize=9)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    fig.subplots_adjust(bottom=0.3, top=0.88)
    _caption(fig, prices["source_id"].to_list())
    return fig


def cost_and_price(tables: dict[str, pl.DataFrame]):
    """Per producer that publishes both: its unit production cost beside its realised price, per period, in USD/kg."""
    plt = _pyplot()
    costs = _per_kg(_converted(tables, "costs").filter(pl.col("item").is_in(UNIT_COST_ITEMS), pl.col("value_usd").is_not_null()), "value_usd")
    prices = _per_kg(_converted(tables, "prices").filter(pl.col("kind") == "realised", pl.col("price_usd").is_not_null()), "price_usd")
    both = sorted(set(costs["entity_id"]) & set(prices["entity_id"]))
    names = dict(tables["entities"].select("id", "name").iter_rows())
    fig, axes = plt.subplots(1, max(len(both), 1), figsize=(max(5.2 * len(both), 8), 5), squeeze=False)
    shown = []
    for ax, entity in zip(axes[0], both):
        for frame, column, style in ((costs, "item", "-"), (prices, "product", "--")):
            part = frame.filter(pl.col("entity_id") == entity).sort("_when")
            for key, rows in part.group_by(column, "basis", maintain_order=True):
                label = ("cost: " if column == "item" else "realised price: ") + " / ".join(k for k in key if k).replace("_", " ")
                ax.plot(rows["_when"].to_list(), rows["usd_per_kg"].to_list(), marker="o", markersize=3, linestyle=style, label=label)
            shown += part["source_id"].to_list()
        ax.set_title(names.get(entity, entity), fontsize=9)
        ax.set_xlabel("Middle of the period reported")
        ax.set_ylabel("USD per kg (of the unit each figure is per)")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=6)
        ax.tick_params(axis="x", labelrotation=45, labelsize=7)
    if not both:
        axes[0][0].set(xlabel="Middle of the period reported", ylabel="USD per kg")
        axes[0][0].text(0.5, 0.5, "no producer publishes both a unit cost and a realised price", ha="center", transform=axes[0][0].transAxes)
    fig.suptitle("Unit production cost beside realised price, for the producers that publish both\n"
                 "(each line keeps its own basis: per kg of product or per kg of rare-earth oxide)", fontsize=9)
    fig.subplots_adjust(bottom=0.34, top=0.85, wspace=0.3)
    _caption(fig, shown)
    return fig


CHARTS = {"public-funding": public_funding, "ndpr-prices": ndpr_prices, "cost-and-price": cost_and_price}
