"""rare-earth-supply: a cited, versioned dataset on the rare-earth supply chain.

    >>> import rare_earth_supply as res
    >>> res.tables()
    >>> res.load("reserves")

Loading imports only polars: validation (pandera) is loaded when it is asked for.
"""
from __future__ import annotations

import re
import warnings
from functools import lru_cache
from pathlib import Path

import polars as pl

from rare_earth_supply.read.package import Package, descriptor_path, open_package
from rare_earth_supply.problems import DataError, IntegrityError, PackageError
from rare_earth_supply.read.csvfile import LINE, read_typed
from rare_earth_supply.release.stamp import mismatch

__all__ = ["load", "tables", "descriptor_path", "DataError", "ErrataWarning", "IntegrityError", "PackageError", "__version__"]


class ErrataWarning(UserWarning):
    """A loaded table has open errata: known problems in some of its rows (see the `errata` table)."""


_warned: set[tuple[Path, str]] = set()  # tables whose open errata were announced in this process

_verified: set[tuple] = set()  # (path, hash, size, mtime) of files already checked in this process


@lru_cache(maxsize=None)
def _bundled() -> Package:
    return open_package(None)


def _package(path: str | Path | None) -> Package:
    return _bundled() if path is None else open_package(path)


def tables(path: str | Path | None = None) -> list[str]:
    """Names of the tables in the package (the bundled one by default)."""
    return _package(path).names


def _verify(package: Package, name: str) -> None:
    """Check a file against the hash its descriptor records, once per process (again if the file changes)."""
    path = package.path(name)
    if not path.is_file():
        return  # the reader reports a missing file by name
    stat = path.stat()
    seen = (path, str(package.resource(name).get("hash")), stat.st_size, stat.st_mtime_ns)
    if seen in _verified:
        return
    problem = mismatch(package.resource(name), path)
    if problem:
        raise IntegrityError(f"{path}: changed since release — {problem}. Reinstall the package to get the "
                             f"released data, or pass verify=False to load the file as it is.")
    _verified.add(seen)


def load(name: str, *, path: str | Path | None = None, verify: bool = True) -> pl.DataFrame:
    """One table as a polars DataFrame typed per its Table Schema (dates as dates, empty as null).

    Where the descriptor records a file's hash (installed wheels, release zips), the file is
    checked against it first; `verify=False` skips that. Warns once per process (ErrataWarning)
    when the table has open errata. Raises KeyError for an unknown table (naming the valid ones),
    IntegrityError for a changed file, DataError for an unparsable cell.
    """
    package = _package(path)
    frame = read_table(package, name, verify=verify)
    if name != "errata" and "errata" in package.resources:
        _announce_errata(package, name, verify)
    return frame


def read_table(package: Package, name: str, *, verify: bool = True) -> pl.DataFrame:
    """`load` without the errata warning, for the package's own commands and reports."""
    if name not in package.resources:
        raise KeyError(f"unknown table {name!r}; tables are: {', '.join(package.names)}")
    if verify:
        _verify(package, name)
    frame, problems = read_typed(name, package.path(name), package.schema(name))
    if frame is None or not problems.is_empty():
        raise DataError(name, problems)
    return frame.drop(LINE)


def _first_sentence(text: str) -> str:
    return re.split(r"(?<=[a-z0-9)])\. (?=[A-Z])", text, maxsplit=1)[0].rstrip(".")


def _announce_errata(package: Package, name: str, verify: bool) -> None:
    """Warn once per process and table when the table has open errata, naming them."""
    if (package.root, name) in _warned:
        return
    _warned.add((package.root, name))
    errata = read_table(package, "errata", verify=verify)
    found = errata.filter((pl.col("status") == "open") & (pl.col("table") == name))
    if found.is_empty():
        return
    lines = "; ".join(f"{e} ({k}, rows {r.replace('|', ', ')}): {_first_sentence(d)}"
                      for e, k, r, d in found.select("id", "kind", "row_ids", "description").iter_rows())
    warnings.warn(ErrataWarning(f"{name} has open errata ({found.height}): {lines}. "
                                f"See load('errata'); silence with warnings.filterwarnings('ignore', category=ErrataWarning)."),
                  stacklevel=3)


def __getattr__(name: str):
    if name == "__version__":
        return _bundled().version
    raise AttributeError(f"module 'rare_earth_supply' has no attribute {name!r}")
