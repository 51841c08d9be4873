"""The consistency report a reader sees: conflicts first, then corroborations, then shares.

Built from `consistency` so the warnings of validation and the report never disagree.
"""
from __future__ import annotations

import polars as pl

from . import consistency


def consistency_frames(frames: dict[str, pl.DataFrame]) -> dict[str, pl.DataFrame]:
    """Titled frames: conflicting figures, corroborated figures, stated vs computed shares."""
    from .reading import LINE
    frames = {n: (f if LINE in f.columns else f.with_row_index(LINE, offset=2).with_columns(pl.col(LINE).cast(pl.Int64)))
              for n, f in frames.items()}
    pairs = consistency.pairs(frames).with_columns((pl.col("relative_difference") * 100).round(1).alias("difference_pct"))
    shown = ["table", "subject", "row_a", "source_a", "qualifier_a", "value_a", "row_b", "source_b", "qualifier_b", "value_b", "difference_pct"]
    shares = consistency.stated_vs_computed(frames).with_columns(
        pl.col("computed_pct").round(2), pl.col("difference_pp").round(2))
    return {
        "Conflicts between sources": pairs.filter(pl.col("verdict") == "conflict").select(shown),
        "Corroborated figures": pairs.filter(pl.col("verdict") == "corroborated").select(shown),
        "Stated shares against computed shares": shares.select(
            "table", "row_id", "source_id", "stated_pct", "quantity", "world_row", "world_source", "world_quantity",
            "computed_pct", "difference_pp", "verdict"),
    }
