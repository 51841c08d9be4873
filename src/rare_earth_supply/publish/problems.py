"""Validation reports people can read and machines can parse, whatever the number of problems.

A pasted file can produce a million findings. Text and Markdown show the first N per table and
rule (default 50) and say how many more there are; JSON and CSV carry exact counts per rule,
and the problems themselves bounded the same way (`--max-problems 0` for all), written in
batches so memory stays flat.
"""
from __future__ import annotations

from typing import IO

import polars as pl

from rare_earth_supply.publish import render

DEFAULT_MAX = 50


def bounded(frame: pl.DataFrame, limit: int) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The first `limit` problems of each table and rule (all if 0), and how many of each were left out."""
    if limit <= 0 or frame.is_empty():
        return frame, pl.DataFrame(schema={"table": pl.String, "rule": pl.String, "severity": pl.String, "more": pl.Int64})
    rank = pl.int_range(pl.len()).over("table", "rule")
    shown = frame.filter(rank < limit)
    more = (frame.group_by("table", "rule", "severity", maintain_order=True).len("more")
            .with_columns(pl.col("more").cast(pl.Int64) - limit).filter(pl.col("more") > 0))
    return shown, more


def omitted_lines(more: pl.DataFrame) -> list[str]:
    return [f"… and {n:,} more {rule} {severity}{'s' if n > 1 else ''} in {table or 'the package'}"
            for table, rule, severity, n in more.select("table", "rule", "severity", "more").iter_rows()]


def text_lines(frame: pl.DataFrame) -> list[str]:
    """Plain one-line problems, for reports too long for a laid-out table."""
    lines = []
    for row in frame.iter_rows(named=True):
        where = ", ".join(part for part in (
            row["table"] or "package", f"line {row['line']}" if row["line"] is not None else None,
            f"row {render.safe(row['row_id'])}" if row["row_id"] else None,
            f"column {render.safe(row['column'])}" if row["column"] else None) if part)
        ack = f" (acknowledged by {row['erratum']})" if row.get("erratum") else ""
        lines.append(f"{where}: [{row['rule']}] {row['severity']}: {render.safe(row['message'])}{ack}")
    return lines


def write_json(out: IO[str], header: dict, counts: pl.DataFrame, frame: pl.DataFrame, limit: int,
               extra: dict | None = None) -> None:
    """The report as one JSON object; `problems` bounded per table and rule, written in batches."""
    shown, more = bounded(frame, limit)
    payload = {**header, "max_problems": limit, "counts": counts.to_dicts(), "problems_shown": shown.height,
               "problems_total": frame.height, **(extra or {})}
    text = render.to_json(payload)
    out.write(text[:-2] + ',\n  "problems": ')  # the payload ends with "\n}": add the array as the last key
    render.write_json_array(shown, out)
    out.write("\n}\n")
