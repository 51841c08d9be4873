"""Datasette metadata for the release SQLite, generated from the Table Schemas.

What a person browsing the tables reads — table and column descriptions, units, allowed values,
licence, source links — comes from the same schemas as the docs, and the facets and canned
queries are written once here. `serve` writes this next to the database it serves.
"""
from __future__ import annotations

from rare_earth_supply.read.package import Package
from rare_earth_supply.read.urls import is_web_address
from rare_earth_supply.release.build import STATUS_DESCRIPTION, STATUS_FIELDS, STATUS_TABLE
from rare_earth_supply.rules.roles import FACT_TABLES, VALUE_COLUMN, YEAR_COLUMNS

ENTITY_COLUMNS = ("entity_id", "jurisdiction_id", "investor_id", "investment_id")
OWN_FACETS = {"sources": ["kind", "language", "publisher"], "entities": ["kind", "country"],
              "errata": ["table", "kind", "status"], STATUS_TABLE: ["table", "status"]}
LABELS = {"sources": "title_en", "entities": "name"}


def column_description(field: dict) -> str:
    """A field's description, with its unit and allowed values, as one line."""
    parts = [field.get("description", "").rstrip()]
    if field.get("unit"):
        parts.append(f"Unit: {field['unit']}.")
    enum = field.get("constraints", {}).get("enum")
    if enum:
        parts.append("One of: " + ", ".join(map(str, enum)) + ".")
    return " ".join(p for p in parts if p)


def facets(name: str, columns: list[str]) -> list[str]:
    """Entity, year and source for a fact table; a few telling columns for the others."""
    if name in OWN_FACETS:
        return [c for c in OWN_FACETS[name] if c in columns]
    entity = next((c for c in ENTITY_COLUMNS if c in columns), None)
    year = "year" if "year" in columns else YEAR_COLUMNS.get(name)
    return [c for c in (entity, year, "kind" if name == "policy_measures" else None, "source_id") if c and c in columns]


def _disputed_sql(tables: list[str]) -> str:
    figures = "\n    UNION ALL ".join(
        f"SELECT '{t}' AS \"table\", id, source_id, {VALUE_COLUMN[t]} AS value, qualifier, as_reported, locator FROM \"{t}\""
        for t in tables)
    return f"""SELECT f."table", f.id, s.status, f.value, f.qualifier, f.as_reported, f.source_id, f.locator,
  s.preferred_id, s.contradicted_by, s.corroborated_by
FROM "{STATUS_TABLE}" AS s
JOIN (
    {figures}
) AS f ON f."table" = s."table" AND f.id = s.id
WHERE s.status = 'disputed' OR s.contradicted_by IS NOT NULL
ORDER BY f."table", f.id"""


CHINA_SHARE_SQL = """SELECT c.source_id AS edition, src.title_en AS source, c.year, c.product,
  c.quantity AS china, w.quantity AS world, c.unit,
  round(100.0 * c.quantity / w.quantity, 1) AS china_share_pct,
  c.share_of_world_pct AS stated_share_pct, c.qualifier AS china_qualifier, w.qualifier AS world_qualifier,
  c.id AS china_row, w.id AS world_row
FROM production AS c
JOIN production AS w ON w.entity_id = 'world' AND w.source_id = c.source_id AND w.year = c.year
  AND w.product = c.product AND w.unit = c.unit
JOIN sources AS src ON src.id = c.source_id
WHERE c.entity_id = 'cn' AND c.product = 'reo_in_concentrate'
ORDER BY coalesce(src.year, CAST(substr(src.published, 1, 4) AS INTEGER)), c.source_id, c.year"""

TIMELINE_SQL = """SELECT coalesce(announced, effective) AS date, jurisdiction_id, kind, action, title_en, refers_to,
  effective, ends, elements, value, unit, source_id, locator, id
FROM policy_measures
ORDER BY coalesce(announced, effective), id"""


def queries(package: Package) -> dict[str, dict]:
    """Canned queries for the tables this package has."""
    names = set(package.names)
    found = {}
    if {"production", "sources"} <= names:
        found["china_share_of_world_mine_production"] = {
            "title": "China's share of world mine production, by edition",
            "description": "China's mine output against the world total of the same source and year: every edition "
                           "of a series gives its own figures, so each appears with the share it implies.",
            "sql": CHINA_SHARE_SQL}
    disputed = [t for t in FACT_TABLES if t in names and t in VALUE_COLUMN]
    if disputed:
        found["disputed_figures"] = {
            "title": "Figures that sources dispute",
            "description": "Rows whose status is disputed, or that an independent source contradicts (from row_status, "
                           "the status view): the figure, its source, the row to use instead, and the rows against it.",
            "sql": _disputed_sql(disputed), "hide_sql": True}
    if "policy_measures" in names:
        found["measure_timeline"] = {
            "title": "Policy measures over time",
            "description": "Every dated policy measure in order: introduced, widened, suspended or lifted, with the "
                           "measure it changes.",
            "sql": TIMELINE_SQL}
    return found


def datasette_metadata(package: Package, database: str) -> dict:
    """Datasette metadata (the 0.6x format) for the release SQLite served as `database`."""
    d = package.descriptor
    licence = (d.get("licenses") or [{}])[0]
    tables = {}
    for name in package.names:
        resource, schema = package.resource(name), package.schema(name)
        columns = [f["name"] for f in schema["fields"]]
        tables[name] = {
            "title": f"{resource.get('title', name)} ({name})",
            "description": resource.get("description", ""),
            "columns": {f["name"]: column_description(f) for f in schema["fields"]},
            "facets": facets(name, columns),
            "sort": columns[0],
            "source": f"data/{name}.csv and schemas/{name}.json",
            **({"label_column": LABELS[name]} if name in LABELS else {}),
        }
    tables[STATUS_TABLE] = {"title": f"Row status ({STATUS_TABLE})", "description": STATUS_DESCRIPTION,
                            "columns": dict(STATUS_FIELDS), "facets": OWN_FACETS[STATUS_TABLE]}
    for internal, text in (("_release", "The release this database is: name, version, id, date, licence, tools."),
                           ("_tables", "Every table's title and description, from datapackage.json."),
                           ("_fields", "Every field's type, title, description, unit and constraints, from the Table Schemas.")):
        tables[internal] = {"description": text}
    return {
        "title": f"{d.get('title', d.get('name'))} — {package.version}",
        "description": d.get("description", ""),
        "license": licence.get("name", ""),
        "license_url": licence.get("path", "") if is_web_address(licence.get("path")) else "",
        "source": f"{d.get('name')} {package.version} (datapackage.json)",
        "source_url": d.get("homepage", "") if is_web_address(d.get("homepage")) else "",
        "databases": {database: {
            "description": f"Release {package.version}: every table of the data package, its row status, and its metadata.",
            "tables": tables,
            "queries": queries(package),
        }},
    }
