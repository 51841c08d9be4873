"""Metadata that `rare-earth-supply docs` writes into the package's own files.

Table Schemas get their vocabularies from maintained libraries. Everything else `docs` writes
is then made from the package as it reads with these files, so one run converges and
`docs --check` holds right after it.
"""
from __future__ import annotations

from pathlib import Path

from rare_earth_supply.publish.vocabularies import VOCABULARIES, with_vocabularies
from rare_earth_supply.read import boundary
from rare_earth_supply.read.package import Package, safe_path
from rare_earth_supply.release.stamp import dumps


def generated_metadata(package: Package, root: Path) -> tuple[Package, dict[Path, str]]:
    """The metadata files as `docs` writes them, and the package as it reads once they are written."""
    files: dict[Path, str] = {}
    schemas: dict[str, dict] = {}
    for table in dict.fromkeys(table for table, _ in VOCABULARIES):
        reference = package.resource(table).get("schema") if table in package.names else None
        if not isinstance(reference, str):
            continue  # no such table, or an inline schema: nothing on disk to write
        schema = with_vocabularies(table, package.schema(table))
        boundary.check_schema(schema, table)
        schemas[table] = schema
        files[safe_path(root, reference, f"schema of resource {table!r}")] = dumps(schema)
    return Package(package.root, package.descriptor, _schemas=schemas), files
