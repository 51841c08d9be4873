"""Charts of the data, drawn with matplotlib (the `plot` extra) and written headless to PNG.

Each chart is a function from loaded tables to a Figure, so tests can inspect axes and
captions; `write_all` renders them into docs/img/. Every chart names its sources.
"""
from __future__ import annotations

from pathlib import Path

import polars as pl

from rare_earth_supply.publish import chaincharts, moneycharts, timeseries
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


def all_charts() -> dict:
    """Every chart by file name: the snapshot charts here, the chain charts of `chaincharts` (China's share by stage
    keeps the file name china-shares, the picture the README opens with), the money charts of `moneycharts` and the
    series charts of `timeseries`."""
    return {"china-shares": chaincharts.china_share_by_stage, "pipeline-outside-china": chaincharts.pipeline_outside_china,
            "reserves-production": reserves_and_production, **moneycharts.CHARTS, **timeseries.CHARTS}


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
