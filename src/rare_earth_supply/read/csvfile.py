"""Read one CSV resource: refuse malformed files by name, then parse each cell to its field type.

The well-formed case costs one streamed byte scan and one polars parse. polars pads short rows
silently, so structure is proved by counting instead: in a file where every row has the
header's width, the commas in the file equal (width - 1) per line plus the commas inside
cells, and the lines equal the records. Only when that identity fails (or polars refuses the
file) does a slower line-by-line scan run, to name each bad line.
"""
from __future__ import annotations

import csv
import sys
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from rare_earth_supply.problems import ERROR, Problem, conform, problems_frame
from rare_earth_supply.read import fieldtypes
from rare_earth_supply.read.files import kind_of

LINE = "_line"  # 1-based CSV line of each row, carried through validation for messages
BOM = b"\xef\xbb\xbf"
CHUNK = 1 << 24
MAX_HEADER_BYTES = 1 << 20
MAX_LISTED = 100  # malformed lines named one by one; the rest are counted


def _file_problem(table: str, rule: str, message: str, line: int | None = None, column: str | None = None) -> Problem:
    return Problem(table, None, line, column, rule, ERROR, None, message)


@dataclass
class _Scan:
    """What one streamed pass over the bytes tells: size, first line, line and comma counts."""

    size: int = 0
    header: bytes = b""
    header_complete: bool = False
    newlines: int = 0
    commas: int = 0
    ends_with_newline: bool = False
    carriage_return_line: int | None = None
    quoted: bool = False  # a double quote anywhere: only then can a cell hold a comma


def _scan(path: Path) -> _Scan:
    found = _Scan()
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            if not found.header_complete:
                end = chunk.find(b"\n")
                found.header += chunk if end < 0 else chunk[:end]
                found.header_complete = end >= 0
            if found.carriage_return_line is None and (at := chunk.find(b"\r")) >= 0:
                found.carriage_return_line = found.newlines + chunk.count(b"\n", 0, at) + 1
            found.newlines += chunk.count(b"\n")
            found.commas += chunk.count(b",")
            found.quoted = found.quoted or chunk.find(b'"') >= 0
            found.size += len(chunk)
            found.ends_with_newline = chunk.endswith(b"\n")
            if not found.header_complete and len(found.header) > MAX_HEADER_BYTES:
                break
    return found


def _bytes_problems(table: str, path: Path, scan: _Scan) -> list[Problem]:
    """Empty file, BOM, CR line endings, an endless first line."""
    if scan.size == 0:
        return [_file_problem(table, "csv-empty", f"{path.name}: file is empty; a header row is required")]
    if not scan.header.strip():
        return [_file_problem(table, "csv-empty", f"{path.name}: the first line is empty; the header row must come first", 1)]
    if scan.header.startswith(BOM):
        return [_file_problem(table, "csv-bom", f"{path.name}: starts with a byte-order mark; save as UTF-8 without BOM", 1)]
    if scan.carriage_return_line is not None:
        return [_file_problem(table, "csv-line-ending", f"{path.name}: carriage return found; lines must end with LF only",
                              scan.carriage_return_line)]
    if len(scan.header) > MAX_HEADER_BYTES:
        return [_file_problem(table, "csv-malformed", f"{path.name}: the header line is longer than {MAX_HEADER_BYTES // 2**20} MiB", 1)]
    return []


def _parse_header(table: str, path: Path, line: bytes) -> tuple[list[str] | None, list[Problem]]:
    """The header's labels, read the way polars reads cells (balanced quotes, UTF-8)."""
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError as exc:
        return None, [_file_problem(table, "csv-encoding", f"{path.name}: not UTF-8 (byte 0x{line[exc.start]:02x} at offset {exc.start})", 1)]
    if text.count('"') % 2:
        return None, [_file_problem(table, "csv-malformed", "unbalanced quote in the header: a quoted label is not closed on line 1", 1)]
    limit = csv.field_size_limit()
    csv.field_size_limit(min(sys.maxsize, 2**31 - 1))
    try:
        return next(csv.reader([text]), []), []
    except csv.Error as exc:
        return None, [_file_problem(table, "csv-malformed", f"the header cannot be read as CSV ({exc})", 1)]
    finally:
        csv.field_size_limit(limit)


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


def _encoding_problems(table: str, path: Path) -> list[Problem]:
    """Where a file stops being UTF-8, found by an incremental decode (only once polars refused the bytes)."""
    import codecs
    decoder = codecs.getincrementaldecoder("utf-8")()
    offset, line = 0, 1
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                # the decoder may hold back up to 3 bytes of the previous chunk; point at the chunk's bad byte
                at = max(exc.start - (len(exc.object) - len(chunk)), 0)
                return [_file_problem(table, "csv-encoding", f"{path.name}: not UTF-8 (byte 0x{chunk[at]:02x} at offset {offset + at})",
                                      line + chunk.count(b"\n", 0, at))]
            offset += len(chunk)
            line += chunk.count(b"\n")
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return [_file_problem(table, "csv-encoding", f"{path.name}: not UTF-8 (the file ends inside a character)", line)]
    return []


def _line_problems(table: str, path: Path, width: int) -> list[Problem]:
    """Name each line with an unbalanced quote or the wrong number of cells (the slow, exact scan)."""
    problems = _encoding_problems(table, path)
    if problems:
        return problems
    lines = pl.read_csv(path, has_header=False, separator="\x1f", quote_char=None, schema={"text": pl.String},
                        truncate_ragged_lines=True, skip_lines=1, raise_if_empty=False)
    if lines.is_empty():
        return []
    text = pl.col("text").fill_null("")
    quoted = text.str.contains('"', literal=True)
    unquoted = pl.when(quoted).then(text.str.replace_all(r'"[^"]*"', "")).otherwise(text)
    checked = lines.with_row_index(LINE, offset=2).with_columns(
        quotes=pl.when(quoted).then(text.str.count_matches('"', literal=True)).otherwise(0),
        fields=unquoted.str.count_matches(",", literal=True) + 1,
    )
    bad = checked.filter((pl.col("quotes") % 2 == 1) | (pl.col("fields") != width))
    for line, quotes, fields in bad.head(MAX_LISTED).select(LINE, "quotes", "fields").iter_rows():
        if quotes % 2:
            problems.append(_file_problem(table, "csv-malformed", "unbalanced quote: a quoted cell is not closed on this line", line))
        else:
            problems.append(_file_problem(table, "csv-ragged", f"row has {fields} cells; the header has {width}", line))
    if bad.height > MAX_LISTED:
        problems.append(_file_problem(table, "csv-ragged", f"{bad.height - MAX_LISTED} more malformed rows not listed"))
    return problems


def _missing_values(schema: dict) -> list[str]:
    return schema.get("missingValues", [""])


def read_text(table: str, path: Path, schema: dict) -> tuple[pl.DataFrame | None, list[Problem]]:
    """Read a CSV as text columns in Table Schema order, plus the `_line` column; None if unusable."""
    problem = kind_of(path)
    if problem == "missing":
        return None, [_file_problem(table, "resource-missing", f"{path.name}: file not found")]
    if problem:
        return None, [_file_problem(table, "resource-missing", f"{path.name}: is {problem}; a regular file is required")]
    try:
        scan = _scan(path)
    except OSError as exc:
        return None, [_file_problem(table, "resource-missing", f"{path.name}: cannot be read ({exc.strerror})")]
    problems = _bytes_problems(table, path, scan)
    if problems:
        return None, problems
    names = [f["name"] for f in schema["fields"]]
    header, problems = _parse_header(table, path, scan.header)
    if header is None:
        return None, problems
    problems = _header_problems(table, header, names)
    if problems:
        return None, problems
    lines = scan.newlines + (0 if scan.ends_with_newline else 1)  # header included
    missing = _missing_values(schema)
    try:
        frame = pl.read_csv(
            path, has_header=False, skip_lines=1, schema={name: pl.String for name in names},
            null_values=[v for v in missing if v] or None, empty_string_is_null="" in missing,
            missing_columns="insert", truncate_ragged_lines=False, raise_if_empty=False,
        ) if lines > 1 else pl.DataFrame(schema={name: pl.String for name in names})
    except pl.exceptions.PolarsError as exc:
        located = _line_problems(table, path, len(names))
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return None, located or [_file_problem(table, "csv-malformed", f"{path.name}: not a well-formed CSV ({first_line[:200]})")]
    inside = frame.select(pl.sum_horizontal(
        pl.col(n).str.count_matches(",", literal=True).sum() for n in names)).item() if frame.height and scan.quoted else 0
    header_inside = sum(label.count(",") for label in header)
    if frame.height != lines - 1 or scan.commas != (len(names) - 1) * lines + inside + header_inside:
        return None, _line_problems(table, path, len(names)) or [
            _file_problem(table, "csv-malformed", f"{path.name}: rows and lines do not match (a line break inside a quoted cell?)")]
    return frame.with_row_index(LINE, offset=2).with_columns(pl.col(LINE).cast(pl.Int64)), []


def type_problems(table: str, text: pl.DataFrame, typed: pl.DataFrame, schema: dict) -> pl.DataFrame:
    """Cells present in the text that did not parse as their field type, as report rows."""
    key = _row_key(schema)
    fields = [f for f in schema["fields"] if f.get("type", "string") != "string"]
    if not fields or text.is_empty():
        return conform(pl.DataFrame())
    failed = {f["name"]: text[f["name"]].is_not_null() & typed[f["name"]].is_null() for f in fields}
    counts = pl.DataFrame(failed).sum().row(0, named=True)
    parts = []
    for field in fields:
        name = field["name"]
        if counts[name]:
            value = pl.col(name)
            parts.append(text.filter(failed[name]).select(
                pl.lit(table).alias("table"), (pl.col(key) if key else pl.lit(None, pl.String)).alias("row_id"),
                pl.col(LINE).alias("line"), pl.lit(name).alias("column"), pl.lit("field-type").alias("rule"),
                pl.lit(ERROR).alias("severity"), value.alias("value"),
                pl.concat_str([pl.lit("'"), value, pl.lit(f"' {fieldtypes.failure_text(field)}")]).alias("message")))
    return pl.concat([conform(p) for p in parts]) if parts else conform(pl.DataFrame())


def _row_key(schema: dict) -> str | None:
    pk = schema.get("primaryKey")
    pk = [pk] if isinstance(pk, str) else pk
    return pk[0] if pk and len(pk) == 1 else None


def to_typed(text: pl.DataFrame, schema: dict) -> pl.DataFrame:
    """Parse every text column to its Table Schema type; unparsable cells become null."""
    return text.select(LINE, *[fieldtypes.parse(f).alias(f["name"]) for f in schema["fields"]])


def read_typed(table: str, path: Path, schema: dict) -> tuple[pl.DataFrame | None, pl.DataFrame]:
    """Read a CSV; return its typed frame (with `_line`, None if unusable) and every structural or type problem."""
    text, problems = read_text(table, path, schema)
    if text is None:
        return None, problems_frame(problems)
    typed = to_typed(text, schema)
    return typed, type_problems(table, text, typed, schema)
