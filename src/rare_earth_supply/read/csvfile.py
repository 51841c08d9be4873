"""Read one CSV resource: refuse malformed files by name, then parse each cell to its field type.

Structure is checked on the raw lines with vectorised string expressions (no Python loop over
rows), because polars silently pads short rows and stops at the first bad quote without a line.
"""
from __future__ import annotations

import csv
from pathlib import Path

import polars as pl

from rare_earth_supply.read import fieldtypes
from rare_earth_supply.problems import ERROR, Problem

LINE = "_line"  # 1-based CSV line of each row, carried through validation for messages
BOM = b"\xef\xbb\xbf"


def _file_problem(table: str, rule: str, message: str, line: int | None = None, column: str | None = None) -> Problem:
    return Problem(table, None, line, column, rule, ERROR, None, message)


def _decode(table: str, path: Path) -> tuple[bytes | None, list[Problem]]:
    """The file's bytes, once they are known to be non-empty UTF-8 without BOM or CR."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None, [_file_problem(table, "resource-missing", f"{path.name}: file not found")]
    except OSError as exc:
        return None, [_file_problem(table, "resource-missing", f"{path.name}: cannot be read ({exc.strerror})")]
    if not data.strip():
        return None, [_file_problem(table, "csv-empty", f"{path.name}: file is empty; a header row is required")]
    if data.startswith(BOM):
        return None, [_file_problem(table, "csv-bom", f"{path.name}: starts with a byte-order mark; save as UTF-8 without BOM", 1)]
    if b"\r" in data:
        line = data[: data.index(b"\r")].count(b"\n") + 1
        return None, [_file_problem(table, "csv-line-ending", f"{path.name}: carriage return found; lines must end with LF only", line)]
    return data, []


def _encoding_problem(table: str, path: Path, data: bytes) -> list[Problem]:
    """Where a file stops being UTF-8. Only called once polars has refused the bytes: a full
    Python decode of every file would cost more than parsing it."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        return [_file_problem(table, "csv-encoding", f"{path.name}: not UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start})", line)]
    return []


def _header_problems(table: str, header: list[str], names: list[str]) -> list[Problem]:
    problems = []
    seen: set[str] = set()
    for label in header:
        if label in seen:
            problems.append(_file_problem(table, "csv-header-duplicate", f"column {label!r} appears more than once in the header", 1, label))
        seen.add(label)
    for name in names:
        if name not in seen:
            problems.append(_file_problem(table, "csv-header-missing", f"column {name!r} of the Table Schema is missing from the header", 1, name))
    for label in header:
        if label not in names:
            problems.append(_file_problem(table, "csv-header-extra", f"column {label!r} is not in the Table Schema", 1, label))
    if not problems and header != names:
        problems.append(_file_problem(table, "csv-header-order", f"columns are in the order {header}; the Table Schema orders them {names}", 1))
    return problems


def _row_structure_problems(table: str, body: bytes, width: int, scan: bool = False) -> list[Problem]:
    """Unbalanced quotes and rows whose field count differs from the header's.

    Without any quote in the file, rows are well-formed exactly when the commas number
    (width - 1) per line: a short row could only be offset by a long one, which polars refuses
    (and then `scan=True` names the lines). Otherwise polars splits the lines (a separator byte
    that never occurs, no quoting; blank lines are kept, so line numbers hold), and the
    quote-aware count runs only on lines with a quote.
    """
    if not body.strip(b"\n"):
        return []
    if not scan and b'"' not in body:
        lines = body.count(b"\n") + (0 if body.endswith(b"\n") else 1)
        if body.count(b",") == (width - 1) * lines:
            return []
    lines = pl.read_csv(body, has_header=False, separator="\x1f", quote_char=None, schema={"text": pl.String},
                        truncate_ragged_lines=True)
    text = pl.col("text").fill_null("")
    quoted = text.str.contains('"', literal=True)
    unquoted = pl.when(quoted).then(text.str.replace_all(r'"[^"]*"', "")).otherwise(text)
    checked = lines.with_row_index(LINE, offset=2).with_columns(
        quotes=pl.when(quoted).then(text.str.count_matches('"', literal=True)).otherwise(0),
        fields=unquoted.str.count_matches(",", literal=True) + 1,
    )
    bad = checked.filter((pl.col("quotes") % 2 == 1) | (pl.col("fields") != width))
    problems = []
    for line, quotes, fields in bad.head(100).select(LINE, "quotes", "fields").iter_rows():
        if quotes % 2:
            problems.append(_file_problem(table, "csv-malformed", "unbalanced quote: a quoted cell is not closed on this line", line))
        else:
            problems.append(_file_problem(table, "csv-ragged", f"row has {fields} cells; the header has {width}", line))
    if bad.height > 100:
        problems.append(_file_problem(table, "csv-ragged", f"{bad.height - 100} more malformed rows not listed"))
    return problems


def read_text(table: str, path: Path, schema: dict) -> tuple[pl.DataFrame | None, list[Problem]]:
    """Read a CSV as text columns in Table Schema order, plus the `_line` column; None if unusable."""
    data, problems = _decode(table, path)
    if data is None:
        return None, problems
    first, _, body = data.partition(b"\n")
    try:
        header = next(csv.reader([first.decode("utf-8")]))
        names = [f["name"] for f in schema["fields"]]
        problems = _header_problems(table, header, names) or _row_structure_problems(table, body, len(header))
    except (UnicodeDecodeError, pl.exceptions.ComputeError) as exc:
        problems = _encoding_problem(table, path, data)
        if not problems:
            raise exc
    if problems:
        return None, problems
    missing = schema.get("missingValues", [""])
    try:
        frame = pl.read_csv(
            data, infer_schema=False, null_values=[v for v in missing if v] or None,
            empty_string_is_null="" in missing,
        )
    except pl.exceptions.PolarsError as exc:
        located = _row_structure_problems(table, body, len(header), scan=True)
        first_line = str(exc).strip().splitlines()[0]
        return None, located or [_file_problem(table, "csv-malformed", f"{path.name}: not a well-formed CSV ({first_line})")]
    return frame.with_row_index(LINE, offset=2).with_columns(pl.col(LINE).cast(pl.Int64)), []


def type_problems(table: str, text: pl.DataFrame, typed: pl.DataFrame, schema: dict) -> list[Problem]:
    """Cells present in the text that did not parse as their field type."""
    key = _row_key(schema)
    fields = [f for f in schema["fields"] if f.get("type", "string") != "string"]
    if not fields:
        return []
    failed = pl.DataFrame({f["name"]: text[f["name"]].is_not_null() & typed[f["name"]].is_null() for f in fields})
    problems = []
    for field in fields:
        name = field["name"]
        if not failed[name].any():
            continue
        rows = text.filter(failed[name]).select(LINE, name, key if key else pl.lit(None).alias("_key"))
        for line, value, row_id in rows.iter_rows():
            problems.append(Problem(table, row_id, line, name, "field-type", ERROR, value,
                                    f"{value!r} is not a valid {field.get('type')}"
                                    + (" (expected YYYY-MM-DD)" if field.get("type") == "date" else "")))
    return problems


def _row_key(schema: dict) -> str | None:
    pk = schema.get("primaryKey")
    pk = [pk] if isinstance(pk, str) else pk
    return pk[0] if pk and len(pk) == 1 else None


def to_typed(text: pl.DataFrame, schema: dict) -> pl.DataFrame:
    """Parse every text column to its Table Schema type; unparsable cells become null."""
    return text.select(LINE, *[fieldtypes.parse(f).alias(f["name"]) for f in schema["fields"]])


def read_typed(table: str, path: Path, schema: dict) -> tuple[pl.DataFrame | None, list[Problem]]:
    """Read a CSV and return its typed frame (with `_line`) and every structural or type problem."""
    text, problems = read_text(table, path, schema)
    if text is None:
        return None, problems
    typed = to_typed(text, schema)
    return typed, type_problems(table, text, typed, schema)
