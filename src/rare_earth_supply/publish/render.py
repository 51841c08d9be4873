"""Show frames to people (rich tables, Markdown) and to machines (JSON, CSV).

Rendering knows nothing about validation: it takes frames and titles, so the report,
the rules catalogue, the consistency report and `show` all print the same way.
"""
from __future__ import annotations

import json

import polars as pl
from rich.console import Console
from rich.table import Table

FORMATS = ("table", "json", "markdown", "csv")


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return f"{value:,.0f}" if abs(value) >= 10000 else f"{value:.0f}"
    return str(value)


def rich_table(frame: pl.DataFrame, title: str | None = None, styles: dict[str, str] | None = None) -> Table:
    table = Table(title=title, title_justify="left", show_lines=False, header_style="bold")
    for column in frame.columns:
        numeric = frame.schema[column].is_numeric()
        table.add_column(column, justify="right" if numeric else "left", overflow="fold",
                         style=(styles or {}).get(column))
    for row in frame.iter_rows():
        table.add_row(*(_cell(v) for v in row))
    return table


def markdown(frame: pl.DataFrame) -> str:
    """A GitHub-flavoured Markdown table (pipes escaped)."""
    def esc(value: object) -> str:
        return _cell(value).replace("|", "\\|").replace("\n", " ")
    lines = ["| " + " | ".join(frame.columns) + " |", "|" + "---|" * len(frame.columns)]
    lines += ["| " + " | ".join(esc(v) for v in row) + " |" for row in frame.iter_rows()]
    return "\n".join(lines)


def to_json(payload: object) -> str:
    return json.dumps(payload, indent=2, ensure_ascii=False, default=str)


def records(frame: pl.DataFrame) -> list[dict]:
    return frame.to_dicts()


def emit(console: Console, frame: pl.DataFrame, fmt: str, title: str | None = None) -> None:
    """Print one frame in the asked format."""
    if fmt == "json":
        console.print_json(to_json(records(frame))) if console.is_terminal else print(to_json(records(frame)))
    elif fmt == "markdown":
        print((f"## {title}\n\n" if title else "") + markdown(frame))
    elif fmt == "csv":
        print(frame.write_csv(), end="")
    else:
        console.print(rich_table(frame, title))
