"""Qualifiers as intervals: "over 80%" is a lower bound, "at most 5" an upper one.

Comparisons between figures work on these bounds, so a lower bound never reads as a conflict
with a larger exact figure, while two exact figures must agree within a tolerance.
"""
from __future__ import annotations

import polars as pl

LOWER_ONLY = ["gt", "ge"]
UPPER_ONLY = ["lt", "le"]


def lower(value: str, qualifier: str = "qualifier") -> pl.Expr:
    """Smallest value the figure allows (figures are non-negative)."""
    return pl.when(pl.col(qualifier).is_in(UPPER_ONLY)).then(0.0).otherwise(pl.col(value).cast(pl.Float64))


def upper(value: str, qualifier: str = "qualifier") -> pl.Expr:
    """Largest value the figure allows."""
    return pl.when(pl.col(qualifier).is_in(LOWER_ONLY)).then(float("inf")).otherwise(pl.col(value).cast(pl.Float64))
