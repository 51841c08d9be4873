"""A table's field dictionary as Markdown: name, type, unit, constraints, description.

Shared by the data dictionary (`docs`) and each table's page on the site (`site`), so the two
say the same thing about a field and neither module reads the other.
"""
from __future__ import annotations

import polars as pl

from rare_earth_supply.publish import render


def constraints_text(field: dict) -> str:
    """A field's constraints in words: `required`, `one of ...`, `pattern ...`, `minimum 0`."""
    parts = []
    for key, value in field.get("constraints", {}).items():
        if value is True:
            parts.append(key)
        elif key == "enum":
            parts.append("one of " + ", ".join(f"`{v}`" for v in value))
        elif key == "pattern":
            parts.append(f"pattern `{value}`")
        else:
            parts.append(f"{key} {value}")
    return "; ".join(parts)


def fields_markdown(schema: dict) -> str:
    """Every field of a Table Schema as one Markdown table (metadata, so its Markdown is kept; HTML is not)."""
    rows = [{"field": f"`{f['name']}`", "type": f.get("type", "string"), "unit": f.get("unit", ""),
             "constraints": constraints_text(f), "description": f.get("description", "")} for f in schema["fields"]]
    return render.markdown(pl.DataFrame(rows), markup=True)
