"""Row rules on text cells: formula injection, stray whitespace, control characters.

All three read every text cell, so they share one pass: a single regular expression that
matches any of the problems runs over each text column once, and only the (rare) columns
where it matches are looked at again, rule by rule. A column limited to an enum or a pattern
whose values cannot break a rule is not checked for it: such a cell already breaks its enum
or pattern, and is reported there.
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


MAX_RANGE = 256  # a pattern allowing wider character ranges than this is treated as allowing anything


def pattern_characters(pattern: str) -> tuple[frozenset[str], frozenset[str]] | None:
    """The characters a value matching `pattern` can hold, and those it can begin with; None when that is not
    a short, known list.

    Read with Python's own regular-expression parser (a private module, so any surprise means None): only
    literals, character classes of literals and ranges, groups, repeats, alternation and anchors are
    understood; a dot, a negated class or a category (\\s, \\S, \\w) gives None. The first character is
    worked out only for a pattern that opens with a literal or a class (repeated at least once); otherwise
    any of its characters may come first.
    """
    try:
        from re import _parser
        tree = list(_parser.parse(pattern))
    except Exception:  # noqa: BLE001 - a pattern Python cannot read is simply checked in full
        return None
    found: set[str] = set()

    def walk(items) -> bool:
        for op, arg in items:
            name = str(op)
            if name == "LITERAL":
                found.add(chr(arg))
            elif name == "RANGE":
                if arg[1] - arg[0] > MAX_RANGE:
                    return False
                found.update(chr(c) for c in range(arg[0], arg[1] + 1))
            elif name == "IN":
                if not walk(arg):
                    return False
            elif name in ("MAX_REPEAT", "MIN_REPEAT"):
                if not walk(arg[2]):
                    return False
            elif name == "SUBPATTERN":
                if not walk(arg[3]):
                    return False
            elif name == "BRANCH":
                if not all(walk(branch) for branch in arg[1]):
                    return False
            elif name != "AT":
                return False
        return True
    if not walk(tree):
        return None
    everything = frozenset(found)
    opening = [item for item in tree if str(item[0]) != "AT"][:1]
    if opening and str(opening[0][0]) in ("MAX_REPEAT", "MIN_REPEAT") and opening[0][1][0] >= 1 and len(opening[0][1][2]) == 1:
        opening = list(opening[0][1][2])
    if opening and str(opening[0][0]) in ("LITERAL", "IN"):
        found.clear()
        walk(opening)
        return everything, frozenset(found)
    return everything, everything


def _rules_for(field: dict) -> list[str]:
    """The text rules a column's cells could break without first breaking the column's enum or pattern.

    A value outside its enum or pattern is already an error of that field; so a column whose allowed values
    (or characters) cannot break a text rule is not read again, and an id pattern that allows a hyphen
    needs only the formula check."""
    if field.get("type", "string") != "string":
        return []
    c = field.get("constraints", {})
    if "enum" in c:
        possible = first = pl.Series([str(v) for v in c["enum"]], dtype=pl.String)
    elif "pattern" in c and (chars := pattern_characters(c["pattern"])) is not None:
        possible, first = (pl.Series(sorted(found), dtype=pl.String) for found in chars)
    else:
        return list(PATTERNS)
    # a formula is told by its first character; the other rules by any character
    return [rule for rule, pattern in PATTERNS.items()
            if (first if rule == "text-formula" else possible).str.contains(pattern).any()]


def _checked_columns(schema: dict) -> dict[str, list[str]]:
    """Text columns that could break a text rule, each with the rules to check it for."""
    return {field["name"]: rules for field in schema["fields"] if (rules := _rules_for(field))}


def text_findings(ctx: Context) -> pl.DataFrame:
    """Every text cell breaking a text rule, with the rule id in `rule` (computed once per validation)."""
    return memo(ctx.cache, "text", lambda: _text_findings(ctx))


def _text_findings(ctx: Context) -> pl.DataFrame:
    parts = []
    for table, frame in ctx.frames.items():
        columns = _checked_columns(ctx.schemas[table])
        if not columns or frame.is_empty():
            continue
        either = {c: "|".join(f"(?:{PATTERNS[rule]})" for rule in rules) for c, rules in columns.items()}
        flagged = frame.select([pl.col(c).str.contains(either[c]).fill_null(False).any().alias(c) for c in columns]).row(0, named=True)
        for column in (c for c in columns if flagged[c]):
            for rule in columns[column]:
                pattern = PATTERNS[rule]
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
