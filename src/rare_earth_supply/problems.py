"""One record shape for everything validation finds, from a bad byte to a cross-table conflict.

Keeping a single shape means the terminal table, the JSON output and the Python API
all show the same columns, and a curator sees every problem at once, sorted together.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import polars as pl

ERROR = "error"
WARNING = "warning"

REPORT_SCHEMA = {
    "table": pl.String,
    "row_id": pl.String,
    "line": pl.Int64,
    "column": pl.String,
    "rule": pl.String,
    "severity": pl.String,
    "value": pl.String,
    "message": pl.String,
    "related": pl.String,  # the other row a finding involves (the second figure of a conflict, the world total)
    "erratum": pl.String,  # the open erratum that acknowledges a warning, if any
}


@dataclass(frozen=True)
class Problem:
    """A single finding: where it is (table, row, line, column), which rule, and why."""

    table: str | None
    row_id: str | None
    line: int | None
    column: str | None
    rule: str
    severity: str
    value: str | None
    message: str
    related: str | None = None
    erratum: str | None = None

    def location(self) -> str:
        parts = [self.table or "package"]
        if self.line is not None:
            parts.append(f"line {self.line}")
        if self.row_id:
            parts.append(f"row {self.row_id}")
        if self.column:
            parts.append(f"column {self.column}")
        return ", ".join(parts)


def problems_frame(problems: list[Problem]) -> pl.DataFrame:
    """Turn problem records into a report frame with the fixed report columns."""
    return pl.DataFrame([asdict(p) for p in problems], schema=REPORT_SCHEMA)


VALUE_CHARS = 200  # a value quoted in a finding is cut here, with its length: a 10 MB cell is not copied whole
MESSAGE_CHARS = 1000  # a message that quotes a value inside itself is cut here


def cut(column: str, limit: int) -> pl.Expr:
    """The column's text, or its first `limit` characters and how long it was."""
    text, length = pl.col(column), pl.col(column).str.len_chars()
    return (pl.when(length > limit)
            .then(pl.concat_str(text.str.slice(0, limit), pl.lit("… ("), length.cast(pl.String), pl.lit(" characters)")))
            .otherwise(text).alias(column))


def conform(frame: pl.DataFrame) -> pl.DataFrame:
    """A frame of findings in the report's columns, order and types (absent columns as null), long values cut."""
    missing = [pl.lit(None, dtype).alias(name) for name, dtype in REPORT_SCHEMA.items() if name not in frame.columns]
    frame = frame.with_columns(missing).select(list(REPORT_SCHEMA)).cast(REPORT_SCHEMA)
    return frame.with_columns(cut("value", VALUE_CHARS), cut("message", MESSAGE_CHARS))


class PackageError(Exception):
    """The package itself cannot be used: no descriptor, broken JSON, a path that leaves it.

    Validation stops here (exit 2): there is nothing trustworthy to check.
    """


class DataError(Exception):
    """A table was read but does not hold valid data; carries the problems found (a report frame)."""

    def __init__(self, table: str, problems: pl.DataFrame):
        self.table = table
        self.problems = problems
        shown = "\n".join(f"  {Problem(**row).location()}: [{row['rule']}] {row['message']}"
                          for row in problems.head(10).iter_rows(named=True))
        more = f"\n  … and {problems.height - 10} more" if problems.height > 10 else ""
        super().__init__(f"table {table!r} cannot be loaded:\n{shown}{more}")


class IntegrityError(Exception):
    """An installed or released file no longer matches the hash its descriptor records."""
