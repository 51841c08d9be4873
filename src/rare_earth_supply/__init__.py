"""rare-earth-supply: a cited, versioned dataset on the rare-earth supply chain.

    >>> import rare_earth_supply as res
    >>> res.tables()
    >>> res.load("reserves")

Loading imports only polars: validation (pandera) is loaded when it is asked for.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import polars as pl

from .package import Package, descriptor_path, open_package
from .problems import DataError, PackageError
from .reading import LINE, read_typed

__all__ = ["load", "tables", "descriptor_path", "DataError", "PackageError", "__version__"]


@lru_cache(maxsize=None)
def _bundled() -> Package:
    return open_package(None)


def _package(path: str | Path | None) -> Package:
    return _bundled() if path is None else open_package(path)


def tables(path: str | Path | None = None) -> list[str]:
    """Names of the tables in the package (the bundled one by default)."""
    return _package(path).names


def load(name: str, *, path: str | Path | None = None) -> pl.DataFrame:
    """One table as a polars DataFrame typed per its Table Schema (dates as dates, empty as null).

    Raises KeyError for an unknown table (naming the valid ones) and DataError when a cell
    does not parse as its type.
    """
    package = _package(path)
    if name not in package.resources:
        raise KeyError(f"unknown table {name!r}; tables are: {', '.join(package.names)}")
    frame, problems = read_typed(name, package.path(name), package.schema(name))
    if problems or frame is None:
        raise DataError(name, problems)
    return frame.drop(LINE)


def __getattr__(name: str):
    if name == "__version__":
        return _bundled().version
    raise AttributeError(f"module 'rare_earth_supply' has no attribute {name!r}")
