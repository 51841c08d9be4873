"""What we accept from a descriptor and a Table Schema, checked before anything is read.

Frictionless descriptors can say more than this reader implements (other field types, string
formats, CSV dialects, inline data, multipart paths). Rather than half-supporting them, every
property is checked here against the shapes we do implement, and anything else stops with a
`PackageError` naming the resource, field and property (exit 2) — never a traceback later.
"""
from __future__ import annotations

import math
import re

import polars as pl

from rare_earth_supply.problems import PackageError

# Field types the reader parses (see read.fieldtypes); anything else is refused by name.
FIELD_TYPES = ("string", "integer", "number", "year", "date", "boolean")
NUMERIC_TYPES = ("integer", "number", "year")

RESOURCE_PROPERTIES = {
    "name", "type", "path", "scheme", "format", "mediatype", "encoding", "title", "description", "schema",
    "hash", "bytes", "sources", "licenses", "dialect", "profile", "$schema",
}
SCHEMA_PROPERTIES = {"$schema", "name", "title", "description", "fields", "primaryKey", "foreignKeys", "missingValues"}
FIELD_PROPERTIES = {"name", "title", "description", "type", "format", "constraints", "unit", "example", "trueValues", "falseValues"}
CONSTRAINTS = {"required", "unique", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "enum", "pattern", "minLength", "maxLength"}
# The CSV dialect we read; a descriptor may restate it, but not change it.
DIALECT = {"delimiter": ",", "quoteChar": '"', "doubleQuote": True, "header": True, "lineTerminator": "\n", "headerRow": 1}
# Names the validator keeps beside the data: a field may not take them (nor any name starting with "_").
RESERVED_PREFIX = "_"
NAME = re.compile(r"^[a-z0-9][a-z0-9._-]*$")


def _fail(where: str, message: str) -> None:
    raise PackageError(f"{where}: {message}")


def _strings(where: str, value: dict, keys: tuple[str, ...]) -> None:
    for key in keys:
        if key in value and not isinstance(value[key], str):
            _fail(where, f"{key!r} must be a string, got {type(value[key]).__name__}")


def _named(where: str, items: list, kind: str):
    """(item, name) for a list of objects that each need a non-empty string name."""
    for position, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            _fail(where, f"{kind} {position} must be an object")
        name = item.get("name")
        if not isinstance(name, str) or not name:
            _fail(where, f"{kind} {position} has no name")
        yield item, name


def _list_of(where: str, value: dict, key: str, item: type) -> None:
    if key in value and not (isinstance(value[key], list) and all(isinstance(v, item) for v in value[key])):
        _fail(where, f"{key!r} must be a list of {'objects' if item is dict else 'strings'}")


def _check_package_metadata(descriptor: dict, where: str) -> None:
    """The package properties the commands print, cite and release have the shape they need."""
    _strings(where, descriptor, ("name", "id", "title", "description", "version", "created", "homepage", "$schema"))
    _list_of(where, descriptor, "keywords", str)
    for key in ("licenses", "contributors", "sources"):
        _list_of(where, descriptor, key, dict)
        for position, entry in enumerate(descriptor.get(key, []), start=1):
            _strings(f"{where}: {key} {position}", entry, ("name", "path", "title", "email", "role", "organization", "givenName", "familyName"))
            _list_of(f"{where}: {key} {position}", entry, "roles", str)


def check_descriptor(descriptor: dict, where: str) -> None:
    """The package descriptor's resources have the shape we read (table resources of one CSV file)."""
    _check_package_metadata(descriptor, where)
    resources = descriptor.get("resources")
    if not isinstance(resources, list) or not resources:
        _fail(where, "'resources' must be a non-empty list")
    if "version" in descriptor and not isinstance(descriptor["version"], str):
        _fail(where, "'version' must be a string")
    seen: set[str] = set()
    for resource, name in _named(where, resources, "resource"):
        label = f"{where}: resource {name!r}"
        if not NAME.match(name):
            _fail(label, "a resource name uses lower-case letters, digits, '.', '_' and '-' only")
        if name in seen:
            _fail(where, f"resource name {name!r} is used twice")
        seen.add(name)
        unknown = sorted(set(resource) - RESOURCE_PROPERTIES)
        _strings(label, resource, ("title", "description", "format", "mediatype", "encoding", "scheme", "type", "profile", "$schema"))
        _list_of(label, resource, "sources", dict)
        _list_of(label, resource, "licenses", dict)
        if "data" in resource:
            _fail(label, "inline 'data' is not supported; put the rows in a CSV file named by 'path'")
        if unknown:
            _fail(label, f"property {unknown[0]!r} is not supported by this reader")
        if isinstance(resource.get("path"), list):
            _fail(label, "a 'path' list (multipart resource) is not supported; use one CSV file")
        if "path" not in resource:
            _fail(label, "'path' is required")
        if resource.get("format", "csv") != "csv":
            _fail(label, f"format {resource.get('format')!r} is not supported; only csv")
        if str(resource.get("encoding", "utf-8")).lower().replace("_", "-") not in ("utf-8", "utf8"):
            _fail(label, f"encoding {resource.get('encoding')!r} is not supported; files must be UTF-8")
        if resource.get("type", "table") != "table":
            _fail(label, f"type {resource.get('type')!r} is not supported; only table resources")
        dialect = resource.get("dialect")
        if dialect is not None:
            if not isinstance(dialect, dict):
                _fail(label, "'dialect' must be an object")
            for key, value in dialect.items():
                if key in ("$schema", "name", "title", "description"):
                    continue
                if key not in DIALECT or DIALECT[key] != value:
                    _fail(label, f"dialect property {key}={value!r} is not supported; files are comma-separated with a header row")
        if "schema" not in resource:
            _fail(label, "'schema' is required (a Table Schema file or object)")
        if not isinstance(resource["schema"], (str, dict)):
            _fail(label, "'schema' must be a path or an object")
        if "bytes" in resource and (not isinstance(resource["bytes"], int) or isinstance(resource["bytes"], bool) or resource["bytes"] < 0):
            _fail(label, "'bytes' must be a non-negative integer")
        if "hash" in resource and not (isinstance(resource["hash"], str) and re.fullmatch(r"sha256:[0-9a-f]{64}", resource["hash"])):
            _fail(label, "'hash' must be 'sha256:<64 hex digits>'")


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _check_pattern(label: str, pattern: object) -> None:
    """A pattern must compile in Python (frictionless) and in polars (us): no look-around, no back-references."""
    if not isinstance(pattern, str):
        _fail(label, "constraint 'pattern' must be a string")
    try:
        re.compile(pattern)
    except re.error as exc:
        _fail(label, f"pattern {pattern!r} is not a valid regular expression ({exc})")
    try:
        pl.Series([""], dtype=pl.String).str.contains(f"^(?:{pattern})$")
    except pl.exceptions.PolarsError:
        _fail(label, f"pattern {pattern!r} uses a feature polars regular expressions lack (look-around or back-references)")


def _check_constraints(label: str, field: dict) -> None:
    constraints = field.get("constraints", {})
    if not isinstance(constraints, dict):
        _fail(label, "'constraints' must be an object")
    type_ = field.get("type", "string")
    for key, value in constraints.items():
        where = f"{label}, constraint {key!r}"
        if key not in CONSTRAINTS:
            _fail(label, f"constraint {key!r} is not supported")
        if key in ("required", "unique") and not isinstance(value, bool):
            _fail(where, "must be true or false")
        if key in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
            if type_ not in NUMERIC_TYPES:
                _fail(where, f"is only supported on integer, number and year fields, not {type_}")
            if not _is_number(value):
                _fail(where, f"must be a finite number, got {value!r}")
        if key in ("minLength", "maxLength"):
            if type_ != "string":
                _fail(where, f"is only supported on string fields, not {type_}")
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                _fail(where, f"must be a non-negative integer, got {value!r}")
        if key == "pattern":
            if type_ != "string":
                _fail(where, f"is only supported on string fields, not {type_}")
            _check_pattern(where, value)
        if key == "enum":
            if not isinstance(value, list) or not value:
                _fail(where, "must be a non-empty list")
            expected = str if type_ == "string" else bool if type_ == "boolean" else None
            if type_ == "date":
                _fail(where, "is not supported on date fields")
            for item in value:
                ok = isinstance(item, expected) if expected else _is_number(item)
                if not ok:
                    _fail(where, f"value {item!r} is not a {type_}")


def check_schema(schema: object, table: str) -> None:
    """A Table Schema uses only the types, formats and constraints the reader implements."""
    label = f"Table Schema of {table!r}"
    if not isinstance(schema, dict):
        _fail(label, "must be a JSON object")
    unknown = sorted(set(schema) - SCHEMA_PROPERTIES)
    if unknown:
        _fail(label, f"property {unknown[0]!r} is not supported by this reader")
    _strings(label, schema, ("$schema", "name", "title", "description"))
    fields = schema.get("fields")
    if not isinstance(fields, list) or not fields:
        _fail(label, "'fields' must be a non-empty list")
    names: list[str] = []
    for field, name in _named(label, fields, "field"):
        where = f"{label}, field {name!r}"
        if name.startswith(RESERVED_PREFIX):
            _fail(where, f"names starting with {RESERVED_PREFIX!r} are reserved for the validator's own columns")
        if name != name.strip() or any(ord(c) < 32 for c in name):
            _fail(where, "a field name may not have surrounding blanks or control characters")
        if name in names:
            _fail(where, "the name is used twice")
        names.append(name)
        unknown = sorted(set(field) - FIELD_PROPERTIES)
        if unknown:
            _fail(where, f"property {unknown[0]!r} is not supported by this reader")
        type_ = field.get("type", "string")
        if type_ not in FIELD_TYPES:
            _fail(where, f"type {type_!r} is not supported; supported types: {', '.join(FIELD_TYPES)}")
        if field.get("format", "default") != "default":
            _fail(where, f"format {field.get('format')!r} is not supported; only the default format of each type")
        for key in ("trueValues", "falseValues"):
            if key in field and (type_ != "boolean" or not isinstance(field[key], list)
                                 or not all(isinstance(v, str) for v in field[key])):
                _fail(where, f"{key!r} must be a list of strings on a boolean field")
        _strings(where, field, ("title", "description", "unit", "type", "format"))
        _check_constraints(where, field)
    missing = schema.get("missingValues", [""])
    if not isinstance(missing, list) or not all(isinstance(v, str) for v in missing):
        _fail(label, "'missingValues' must be a list of strings")
    key = schema.get("primaryKey", [])
    key = [key] if isinstance(key, str) else key
    if not isinstance(key, list) or not all(isinstance(k, str) for k in key):
        _fail(label, "'primaryKey' must be a field name or a list of field names")
    for name in key:
        if name not in names:
            _fail(label, f"primaryKey names {name!r}, which is not a field")
    foreign = schema.get("foreignKeys", [])
    if not isinstance(foreign, list):
        _fail(label, "'foreignKeys' must be a list")
    for position, fk in enumerate(foreign, start=1):
        where = f"{label}, foreign key {position}"
        if not isinstance(fk, dict) or not isinstance(fk.get("reference"), dict):
            _fail(where, "must be an object with 'fields' and 'reference'")
        fields_ = as_list(fk.get("fields"))
        reference = fk["reference"]
        ref_fields = as_list(reference.get("fields"))
        if not fields_ or not all(isinstance(f, str) for f in fields_):
            _fail(where, "'fields' must name at least one field")
        if not ref_fields or not all(isinstance(f, str) for f in ref_fields):
            _fail(where, "'reference.fields' must name at least one field")
        if len(fields_) != len(ref_fields):
            _fail(where, f"{len(fields_)} field(s) refer to {len(ref_fields)} field(s)")
        for name in fields_:
            if name not in names:
                _fail(where, f"names {name!r}, which is not a field")
        resource = reference.get("resource", "")
        if not isinstance(resource, str):
            _fail(where, "'reference.resource' must be a resource name")


def as_list(value: object) -> list:
    """A Table Schema key list, given as one name or a list of names."""
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value) if isinstance(value, list) else [value]


def foreign_key_target(fk: dict, table: str) -> tuple[str, list[str], list[str]]:
    """(referenced resource, local fields, referenced fields); an empty or absent resource is the table itself."""
    reference = fk["reference"]
    return reference.get("resource") or table, as_list(fk["fields"]), as_list(reference["fields"])


def check_references(schemas: dict[str, dict]) -> None:
    """Every foreign key points at a resource of the package and at fields it has."""
    for table, schema in schemas.items():
        for position, fk in enumerate(schema.get("foreignKeys", []), start=1):
            target, _, ref_fields = foreign_key_target(fk, table)
            where = f"Table Schema of {table!r}, foreign key {position}"
            if target not in schemas:
                _fail(where, f"refers to resource {target!r}, which the package does not have")
            known = {f["name"] for f in schemas[target]["fields"]}
            for name in ref_fields:
                if name not in known:
                    _fail(where, f"refers to {target}.{name}, which is not a field")
