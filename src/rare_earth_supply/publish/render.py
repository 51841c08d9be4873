"""Show frames to people (rich tables, Markdown, plain lines) and to machines (JSON, CSV).

Rendering knows nothing about validation: it takes frames and titles. Everything it prints
is plain text: a cell such as `[/bold]` is never read as rich markup, and control characters
(an ANSI escape in a cell, a bidirectional override) are shown escaped, never sent to the terminal.
"""
from __future__ import annotations

import json
import re
import sys
from typing import IO, Iterator

import polars as pl
from rich.console import Console
from rich.table import Table
from rich.text import Text

FORMATS = ("table", "json", "markdown", "csv")
# what a terminal could act on: C0 controls (tab and newline are shown as \t and \n in cells), DEL,
# C1 controls, bidirectional overrides and isolates, line and paragraph separators
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_JSON_UNSAFE = re.compile("[\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
RICH_TABLE_ROWS = 500  # above this a table is printed as plain lines: rich lays out every cell first


def _escape(match: re.Match) -> str:
    char = match.group(0)
    return {"\n": "\\n", "\t": "\\t", "\r": "\\r"}.get(char) or (f"\\x{ord(char):02x}" if ord(char) < 0x100 else f"\\u{ord(char):04x}")


def safe(text: object) -> str:
    """Text fit for a terminal: every control character shown as an escape such as \\x1b."""
    return _CONTROL.sub(_escape, str(text))


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return f"{value:,.0f}" if abs(value) >= 10000 else f"{value:.0f}"
    return safe(value)


def rich_table(frame: pl.DataFrame, title: str | None = None, styles: dict[str, str] | None = None) -> Table:
    table = Table(title=Text(safe(title)) if title else None, title_justify="left", show_lines=False, header_style="bold")
    for column in frame.columns:
        numeric = frame.schema[column].is_numeric()
        table.add_column(Text(safe(column)), justify="right" if numeric else "left", overflow="fold", style=(styles or {}).get(column))
    for row in frame.iter_rows():
        table.add_row(*(Text(_cell(v)) for v in row))
    return table


def markdown(frame: pl.DataFrame) -> str:
    """A GitHub-flavoured Markdown table (pipes escaped, control characters shown escaped)."""
    def esc(value: object) -> str:
        return _cell(value).replace("|", "\\|")
    lines = ["| " + " | ".join(esc(c) for c in frame.columns) + " |", "|" + "---|" * len(frame.columns)]
    lines += ["| " + " | ".join(esc(v) for v in row) + " |" for row in frame.iter_rows()]
    return "\n".join(lines)


def json_safe(text: str) -> str:
    """JSON text whose C1 controls and bidi overrides are \\u escapes too (json escapes only C0)."""
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group(0)):04x}", text)


def to_json(payload: object) -> str:
    return json_safe(json.dumps(payload, indent=2, ensure_ascii=False, default=str))


def records(frame: pl.DataFrame) -> list[dict]:
    return frame.to_dicts()


BATCH = 50_000


def write_json_array(frame: pl.DataFrame, out: IO[str]) -> None:
    """A frame as a JSON array of objects, written in batches so a million rows never sit in one string."""
    out.write("[")
    for start in range(0, frame.height, BATCH):
        text = frame.slice(start, BATCH).write_json()
        out.write(("," if start else "") + json_safe(text[1:-1]))
    out.write("]")


def write_csv(frame: pl.DataFrame, out: IO[str], escape: bool) -> None:
    """CSV in batches; control characters escaped when the reader is a terminal."""
    for start in range(0, max(frame.height, 1), BATCH):
        text = frame.slice(start, BATCH).write_csv(include_header=start == 0)
        out.write(safe_lines(text) if escape else text)


def safe_lines(text: str) -> str:
    """Escape control characters but keep the line breaks that separate rows."""
    return "\n".join(safe(line) for line in text.split("\n"))


def plain_lines(frame: pl.DataFrame) -> Iterator[str]:
    """One line per row, `column=value` pairs, for outputs too long for a laid-out table."""
    columns = frame.columns
    for row in frame.iter_rows():
        yield "  ".join(f"{c}={_cell(v)}" for c, v in zip(columns, row) if v is not None)


def emit(console: Console, frame: pl.DataFrame, fmt: str, title: str | None = None) -> None:
    """Print one frame in the asked format."""
    out = sys.stdout
    if fmt == "json":
        write_json_array(frame, out)
        out.write("\n")
    elif fmt == "markdown":
        out.write((f"## {safe(title)}\n\n" if title else "") + markdown(frame) + "\n")
    elif fmt == "csv":
        write_csv(frame, out, escape=console.is_terminal)
    elif frame.height > RICH_TABLE_ROWS:
        if title:
            out.write(safe(title) + "\n")
        for line in plain_lines(frame):
            out.write(line + "\n")
    else:
        console.print(rich_table(frame, title))
