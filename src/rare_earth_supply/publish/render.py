"""Show frames to people (rich tables, Markdown, plain lines) and to machines (JSON, CSV).

Rendering knows nothing about validation: it takes frames and titles. Everything it prints
is plain text: a cell such as `[/bold]` is never read as rich markup, and control characters
(an ANSI escape in a cell, a bidirectional override) are shown escaped, never sent to the terminal.
"""
from __future__ import annotations

import html
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


# what Markdown (Python-Markdown and GFM alike) could read as a link, image, emphasis, code, heading,
# attribute list or table cell; each is backslash-escaped in text that comes from the data
_MARKDOWN = re.compile(r"([\\`*_{}\[\]()#!|])")


def no_html(text: object) -> str:
    """Text with `<`, `>` and `&` as entities: no tag, comment or entity of its own reaches a page.

    For metadata written as Markdown (schema descriptions use `code`): its Markdown stays, HTML does not."""
    return html.escape(safe(text), quote=False)


def inline(text: object) -> str:
    """Data as literal text inside a Markdown page: no HTML, and no Markdown link, image or emphasis either
    (a note holding `[x](javascript:...)` shows those characters, it never becomes a link)."""
    return _MARKDOWN.sub(r"\\\1", no_html(text))


def markdown(frame: pl.DataFrame, markup: bool = False) -> str:
    """A GitHub-flavoured Markdown table; control characters shown escaped, never HTML from a cell.

    Cells are data, shown literally (see `inline`), unless `markup` says the frame was written as
    Markdown by this package (field names in `code`, links to table pages); then only HTML is escaped."""
    def esc(value: object) -> str:
        if value is None:
            return ""
        return no_html(_cell(value)).replace("|", "\\|") if markup else inline(_cell(value))
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


FORMULA_START = r"^[=+\-@\t\r]"  # what a spreadsheet reads as a formula (OWASP's list)


def formula_guarded(frame: pl.DataFrame) -> pl.DataFrame:
    """Text cells a spreadsheet would run as a formula, prefixed with `'` (shown, never run).

    Only text columns: a negative number stays a number. Curated cells cannot start this way (rule
    text-formula); what can is a finding quoting a bad cell, or a package that is not ours."""
    texts = [c for c, t in frame.schema.items() if t == pl.String]
    return frame.with_columns(pl.when(pl.col(c).str.contains(FORMULA_START)).then(pl.lit("'") + pl.col(c)).otherwise(pl.col(c)).alias(c)
                              for c in texts)


def write_csv(frame: pl.DataFrame, out: IO[str], escape: bool) -> None:
    """CSV in batches, formula cells guarded; control characters escaped when the reader is a terminal."""
    frame = formula_guarded(frame)
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
