"""Find and open a data package: its descriptor, its Table Schemas and safe paths to its files.

The installed wheel carries a copy of the package inside `rare_earth_supply/_package`;
a source checkout or an editable install has none there, so we fall back to the
repository root, which is the source of truth.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from rare_earth_supply.problems import PackageError

DESCRIPTOR = "datapackage.json"
_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")


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


def _read_json(path: Path, what: str) -> dict:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PackageError(f"{path}: {what} not found") from None
    except UnicodeDecodeError as exc:
        raise PackageError(f"{path}: {what} is not UTF-8 ({exc.reason} at byte {exc.start})") from None
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise PackageError(f"{path}: {what} is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})") from None
    if not isinstance(value, dict):
        raise PackageError(f"{path}: {what} must be a JSON object")
    return value


def safe_path(root: Path, relative: object, what: str) -> Path:
    """Resolve a path named by the descriptor, refusing any that leaves the package.

    frictionless refuses `../` and absolute paths but downloads URLs; we refuse all three,
    so that nothing ever reads outside the package or from the network.
    """
    if not isinstance(relative, str) or not relative:
        raise PackageError(f"{what}: path must be a non-empty string, got {relative!r}")
    if _URL.match(relative):
        raise PackageError(f"{what}: path {relative!r} is a URL; only files inside the package are read")
    pure = Path(relative)
    if pure.is_absolute() or relative.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", relative):
        raise PackageError(f"{what}: path {relative!r} is absolute; paths must be relative to the package")
    if ".." in pure.parts:
        raise PackageError(f"{what}: path {relative!r} leaves the package ('..')")
    full = (root / pure).resolve()
    if not full.is_relative_to(root.resolve()):
        raise PackageError(f"{what}: path {relative!r} resolves outside the package")
    return full


@dataclass
class Package:
    """An opened data package: descriptor plus lazily read Table Schemas."""

    root: Path
    descriptor: dict
    _schemas: dict[str, dict] = field(default_factory=dict, repr=False)

    @cached_property
    def resources(self) -> dict[str, dict]:
        resources = self.descriptor.get("resources")
        if not isinstance(resources, list) or not resources:
            raise PackageError(f"{self.root / DESCRIPTOR}: 'resources' must be a non-empty list")
        named: dict[str, dict] = {}
        for position, resource in enumerate(resources, start=1):
            name = resource.get("name") if isinstance(resource, dict) else None
            if not isinstance(name, str) or not name:
                raise PackageError(f"{self.root / DESCRIPTOR}: resource {position} has no name")
            if name in named:
                raise PackageError(f"{self.root / DESCRIPTOR}: resource name {name!r} is used twice")
            named[name] = resource
        return named

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
            if isinstance(schema, dict):
                self._schemas[name] = schema
            else:
                where = safe_path(self.root, schema, f"schema of resource {name!r}")
                self._schemas[name] = _read_json(where, f"Table Schema of {name!r}")
            if not isinstance(self._schemas[name].get("fields"), list):
                raise PackageError(f"Table Schema of {name!r} has no 'fields' list")
        return self._schemas[name]


def open_package(path: str | Path | None = None) -> Package:
    """Open the package at a directory or `datapackage.json`; the bundled one by default."""
    if path is None:
        root = bundled_root()
    else:
        given = Path(path)
        if given.is_dir():
            root = given
        elif given.name.endswith(".json") or given.is_file():
            root = given.parent
        else:
            raise PackageError(f"{given}: no such package directory or descriptor")
        if given.is_file() and given.name != DESCRIPTOR:
            return Package(root.resolve(), _read_json(given, "package descriptor"))
    return Package(root.resolve(), _read_json(root / DESCRIPTOR, "package descriptor"))
