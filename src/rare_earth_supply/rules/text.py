"""Row rules on text cells: formula injection, stray whitespace, control characters.

All three read every text cell, so they share one pass: a single regular expression that
matches any of the three problems runs over each text column once, and only the (rare)
columns where it matches are looked at again, rule by rule. Columns limited to an enum of
clean values cannot hold a problem the enum check would not already report, and are skipped.
"""
from __future__ import annotations

import polars as pl

from rare_earth_supply.rules.base import Context, concat, hits, memo

FORMULA = r"^[=+\-@]"
WHITESPACE = r"^\s|\s$|[\n\r\t]"
# C0 controls other than tab and line breaks (those are whitespace), DEL, C1 controls, and the
# bidirectional overrides that can make text display differently from what it holds
CONTROL = r"[\x00-\x08\x0B\x0C\x0E-\x1F\x7F\x{80}-\x{9F}\x{202A}-\x{202E}\x{2066}-\x{2069}]"
PATTERNS = {"text-formula": FORMULA, "text-whitespace": WHITESPACE, "text-control": CONTROL}
MESSAGES = {
    "text-formula": "begins with = + - or @, which spreadsheets run as a formula",
    "text-whitespace": "has leading or trailing whitespace or a line break",
    "text-control": "holds a control character (shown escaped), which can rewrite a terminal or hide text",
}
COMBINED = "|".join(f"(?:{p})" for p in PATTERNS.values())


def _checked_columns(schema: dict) -> list[str]:
    """Text columns whose values could break a text rule without breaking their enum first."""
    columns = []
    for field in schema["fields"]:
        if field.get("type", "string") != "string":
            continue
        enum = field.get("constraints", {}).get("enum")
        if enum and not pl.Series([str(v) for v in enum], dtype=pl.String).str.contains(COMBINED).any():
            continue
        columns.append(field["name"])
    return columns


def text_findings(ctx: Context) -> pl.DataFrame:
    """Every text cell breaking a text rule, with the rule id in `rule` (computed once per validation)."""
    return memo(ctx.cache, "text", lambda: _text_findings(ctx))


def _text_findings(ctx: Context) -> pl.DataFrame:
    parts = []
    for table, frame in ctx.frames.items():
        columns = _checked_columns(ctx.schemas[table])
        if not columns or frame.is_empty():
            continue
        flagged = frame.select([pl.col(c).str.contains(COMBINED).fill_null(False).any().alias(c) for c in columns]).row(0, named=True)
        for column in (c for c in columns if flagged[c]):
            for rule, pattern in PATTERNS.items():
                found = hits(frame, table, column, pl.col(column).str.contains(pattern).fill_null(False), pl.col(column), pl.lit(MESSAGES[rule]))
                parts.append(found.with_columns(pl.lit(rule).alias("rule")))
    return concat(parts) if not parts else pl.concat(parts)


def _rule(rule: str):
    def check(ctx: Context) -> pl.DataFrame:
        found = text_findings(ctx)
        return found.filter(pl.col("rule") == rule).drop("rule") if "rule" in found.columns else found
    check.__doc__ = f"Text cells that {MESSAGES[rule].split(',')[0]}."
    return check


check_text_formula = _rule("text-formula")
check_text_whitespace = _rule("text-whitespace")
check_text_control = _rule("text-control")
