"""Addresses become links (site, data browser, citations): only http(s) ones may.

Checked in the descriptor (homepage, licence, source and contributor paths) and in every
table column that holds an address (`url`, or a name ending in `_url`), whatever its schema's
pattern says: the rule holds even for a package whose schemas are looser than ours.
"""
from __future__ import annotations

import polars as pl

from rare_earth_supply.read.csvfile import LINE
from rare_earth_supply.read.urls import address_problem, descriptor_addresses, is_web_address
from rare_earth_supply.rules.base import HIT_SCHEMA, Context, concat, hits

DESCRIPTOR = "datapackage.json"


def _address_columns(frame: pl.DataFrame) -> list[str]:
    return [c for c in frame.columns if (c == "url" or c.endswith("_url")) and frame.schema[c] == pl.String]


def check_web_addresses(context: Context) -> pl.DataFrame:
    parts = []
    for prop, value, must_be_web in descriptor_addresses(context.descriptor):
        if (why := address_problem(value, must_be_web)) is not None:
            parts.append(pl.DataFrame([{"table": DESCRIPTOR, "row_id": None, "line": None, "column": prop, "value": value,
                                        "message": f"{prop} {why}; only http(s) addresses become links", "related": None}],
                                      schema=HIT_SCHEMA))
    for table, frame in context.frames.items():
        for column in _address_columns(frame):
            values = frame.select("id", LINE, column).filter(pl.col(column).is_not_null()) if "id" in frame.columns else None
            if values is None or values.is_empty():
                continue
            bad = values.filter(~pl.col(column).map_elements(is_web_address, return_dtype=pl.Boolean))
            if not bad.is_empty():
                parts.append(hits(bad, table, column, pl.lit(True), pl.col(column),
                                  pl.lit(f"{column} is not an http(s) address; only http(s) addresses become links")))
    return concat(parts)
