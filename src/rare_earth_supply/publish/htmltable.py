"""A table's rows as one HTML table for the documentation site, with an anchor per row.

Raw HTML rather than a Markdown table: every row needs an `id` to be linked to (from sources,
errata and other tables), and foreign keys become links to the row they name. Every cell is
escaped; a link is only ever relative to the site, or an http(s) address from the data.
"""
from __future__ import annotations

import html
from datetime import date
from typing import Callable

import polars as pl

Link = Callable[[str, object], str | None]  # (column, value) -> href, or None for plain text
LONG = 40  # a column with a longer cell wraps in a wide cell; the others stay on one line


def text(value: object) -> str:
    """A cell as plain text: empty for null, whole numbers without a trailing .0, dates in ISO form."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list):
        return "|".join(text(v) for v in value)
    return str(value)


def _cell(column: str, value: object, link: Link, long: bool) -> str:
    shown = text(value)
    opening = '<td class="long">' if long else "<td>"
    if not shown:
        return opening + "</td>"
    parts = shown.split("|") if isinstance(value, list) else [shown]
    out = []
    for part in parts:
        href = link(column, part)
        out.append(f'<a href="{html.escape(href)}">{html.escape(part)}</a>' if href else html.escape(part))
    return f"{opening}{' '.join(out)}</td>"


def rows_table(frame: pl.DataFrame, link: Link, caption: str) -> str:
    """`<table>` with a header row and one `<tr id="ROW-ID">` per row; the site's script adds a filter box."""
    head = "".join(f"<th>{html.escape(c)}</th>" for c in frame.columns)
    long = {c for c in frame.columns if any(len(text(v)) > LONG for v in frame[c].to_list())}
    body = []
    for row in frame.iter_rows(named=True):
        cells = "".join(_cell(c, v, link, c in long) for c, v in row.items())
        body.append(f'<tr id="{html.escape(text(row["id"]))}">{cells}</tr>')
    return "\n".join([f'<div class="rows-table" data-rows="{frame.height}">',
                      f"<table>\n<caption>{html.escape(caption)}</caption>",
                      f"<thead><tr>{head}</tr></thead>", "<tbody>", *body, "</tbody>", "</table>", "</div>"])
