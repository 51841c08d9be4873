"""Find and open a data package: its descriptor, its Table Schemas and safe paths to its files.

The installed wheel carries a copy of the package inside `rare_earth_supply/_package`;
a source checkout or an editable install has none there, so we fall back to the
repository root, which is the source of truth. Every descriptor and Table Schema passes
`read.boundary` before use, so what we do not implement is refused by name.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from rare_earth_supply.problems import PackageError
from rare_earth_supply.read import boundary
from rare_earth_supply.read.files import kind_of, read_json

DESCRIPTOR = "datapackage.json"
_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")


def bundled_root() -> Path:
    """Directory holding the package that ships with this install."""
    here = Path(__file__).resolve().parent.parent  # the rare_earth_supply package directory
    inside = here / "_package"
    if (inside / DESCRIPTOR).is_file():
        return inside
    repo = here.parent.parent
    if (repo / DESCRIPTOR).is_file():
        return repo
    raise PackageError(f"no {DESCRIPTOR} found in {inside} or {repo}: the installation is incomplete")


def descriptor_path() -> Path:
    """Path of the installed `datapackage.json`, e.g. for `frictionless validate`."""
    return bundled_root() / DESCRIPTOR


def safe_path(root: Path, relative: object, what: str) -> Path:
    """Resolve a path named by the descriptor, refusing any that leaves the package.

    frictionless refuses `../` and absolute paths but downloads URLs; we refuse all three,
    so that nothing ever reads outside the package or from the network.
    """
    if not isinstance(relative, str) or not relative:
        raise PackageError(f"{what}: path must be a non-empty string, got {relative!r}")
    if "\x00" in relative or any(ord(c) < 32 for c in relative):
        raise PackageError(f"{what}: path {relative!r} contains control characters")
    if re.match(r"^[A-Za-z]:", relative):
        raise PackageError(f"{what}: path {relative!r} is absolute; paths must be relative to the package")
    if _URL.match(relative):
        raise PackageError(f"{what}: path {relative!r} is a URL; only files inside the package are read")
    pure = Path(relative)
    if pure.is_absolute() or relative.startswith(("/", "\\")):
        raise PackageError(f"{what}: path {relative!r} is absolute; paths must be relative to the package")
    if ".." in pure.parts or "\\" in relative:
        raise PackageError(f"{what}: path {relative!r} leaves the package ('..' or a backslash)")
    full = (root / pure).resolve()
    if not full.is_relative_to(root.resolve()):
        raise PackageError(f"{what}: path {relative!r} resolves outside the package")
    return full


@dataclass
class Package:
    """An opened data package: descriptor plus lazily read and checked Table Schemas."""

    root: Path
    descriptor: dict
    _schemas: dict[str, dict] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        boundary.check_descriptor(self.descriptor, str(self.root / DESCRIPTOR))

    @cached_property
    def resources(self) -> dict[str, dict]:
        return {resource["name"]: resource for resource in self.descriptor["resources"]}

    @property
    def names(self) -> list[str]:
        return list(self.resources)

    @property
    def version(self) -> str:
        return str(self.descriptor.get("version", ""))

    def resource(self, name: str) -> dict:
        try:
            return self.resources[name]
        except KeyError:
            raise KeyError(f"unknown table {name!r}; tables are: {', '.join(self.names)}") from None

    def path(self, name: str) -> Path:
        resource = self.resource(name)
        return safe_path(self.root, resource.get("path"), f"resource {name!r}")

    def schema(self, name: str) -> dict:
        if name not in self._schemas:
            schema = self.resource(name).get("schema")
            if not isinstance(schema, dict):
                where = safe_path(self.root, schema, f"schema of resource {name!r}")
                schema = read_json(where, f"Table Schema of {name!r}")
            boundary.check_schema(schema, name)
            for position, fk in enumerate(schema.get("foreignKeys", []), start=1):
                target = boundary.foreign_key_target(fk, name)[0]
                if target not in self.resources:
                    raise PackageError(f"Table Schema of {name!r}, foreign key {position}: refers to resource {target!r}, "
                                       "which the package does not have")
            self._schemas[name] = schema
        return self._schemas[name]

    def schemas(self) -> dict[str, dict]:
        """Every Table Schema, checked, with foreign keys checked against the other resources."""
        found = {name: self.schema(name) for name in self.names}
        boundary.check_references(found)
        return found


def open_package(path: str | Path | None = None) -> Package:
    """Open the package at a directory or descriptor file; the bundled one by default."""
    if path is None:
        root = bundled_root()
        return Package(root.resolve(), read_json(root / DESCRIPTOR, "package descriptor"))
    given = Path(path)
    problem = kind_of(given)
    if problem == "a directory":
        return Package(given.resolve(), read_json(given / DESCRIPTOR, "package descriptor"))
    if problem == "missing":
        raise PackageError(f"{given}: no such package directory or descriptor")
    if problem:
        raise PackageError(f"{given}: is {problem}; give a package directory or its datapackage.json")
    return Package(given.resolve().parent, read_json(given, "package descriptor"))
