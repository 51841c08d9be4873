"""Metadata that `rare-earth-supply docs` writes into the package's own files.

datapackage.json gets its `id` (a URN derived from name and version), Table Schemas get their
vocabularies from maintained libraries, and `.zenodo.json` is made from both. Everything else
`docs` writes is then made from the package as it reads with these files, so one run converges
and `docs --check` holds right after it.
"""
from __future__ import annotations

from pathlib import Path

from rare_earth_supply.publish.vocabularies import VOCABULARIES, with_vocabularies
from rare_earth_supply.read import boundary
from rare_earth_supply.read.package import DESCRIPTOR, Package, safe_path
from rare_earth_supply.release.stamp import dumps
from rare_earth_supply.release.works import package_id
from rare_earth_supply.release.zenodo import zenodo_json


def with_id(descriptor: dict) -> dict:
    """The descriptor with `id` set for its name and version (placed after `name` when new)."""
    value = package_id(str(descriptor.get("name", "")), str(descriptor.get("version", "")))
    if "id" in descriptor:
        return {**descriptor, "id": value}
    out: dict = {}
    for key, item in descriptor.items():
        out[key] = item
        if key == "name":
            out["id"] = value
    return out if "id" in out else {"id": value, **out}


def generated_metadata(package: Package, root: Path) -> tuple[Package, dict[Path, str]]:
    """The metadata files as `docs` writes them, and the package as it reads once they are written."""
    descriptor = with_id(package.descriptor)
    files: dict[Path, str] = {root / DESCRIPTOR: dumps(descriptor)}
    schemas: dict[str, dict] = {}
    for table in dict.fromkeys(table for table, _ in VOCABULARIES):
        reference = package.resource(table).get("schema") if table in package.names else None
        if not isinstance(reference, str):
            continue  # no such table, or an inline schema: nothing on disk to write
        schema = with_vocabularies(table, package.schema(table))
        boundary.check_schema(schema, table)
        schemas[table] = schema
        files[safe_path(root, reference, f"schema of resource {table!r}")] = dumps(schema)
    updated = Package(package.root, descriptor, _schemas=schemas)
    files[root / ".zenodo.json"] = zenodo_json(updated)
    return updated, files
