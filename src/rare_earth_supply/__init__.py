"""rare-earth-supply: a cited, versioned dataset on the rare-earth supply chain.

    >>> import rare_earth_supply as res
    >>> res.tables()
    >>> res.load("reserves")
    >>> res.concentration(stage="magnets")      # shares, top-3 and HHI per stage and year
    >>> res.capacity_outside_china()            # the plant pipeline outside China
    >>> res.funding(public=True)                # public money committed, in USD, by country and year

Loading imports only polars: validation (pandera) is loaded when it is asked for.
"""
from __future__ import annotations

import warnings
from functools import lru_cache
from pathlib import Path

import polars as pl

from rare_earth_supply.read.package import Package, descriptor_path, open_package
from rare_earth_supply.problems import DataError, IntegrityError, PackageError
from rare_earth_supply.read.csvfile import LINE, read_typed
from rare_earth_supply.release.stamp import mismatch

__all__ = ["load", "tables", "concentration", "capacity_outside_china", "funding", "descriptor_path", "to_pandas", "DataError", "ErrataWarning", "IntegrityError", "PackageError", "__version__"]


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


VIEWS = ("all", "status", "preferred")
BACKENDS = ("polars", "pandas")


def load(name: str, *, path: str | Path | None = None, verify: bool = True, view: str = "all",
         backend: str = "polars", warn_errata: bool = True):
    """One table as a polars DataFrame typed per its Table Schema (dates as dates, empty as null).

    `view="all"` (default) is the table as curated: every edition, every conflicting claim.
    `view="status"` adds each row's status and the rows that supersede, corroborate or contradict
    it; `view="preferred"` keeps one row per subject, the figure to use (see the data dictionary's
    precedence rules). `backend="pandas"` returns a pandas DataFrame with nullable dtypes (Int64,
    Float64, boolean, string, datetime64) — the `pandas` extra.

    Where the descriptor records a file's hash (installed wheels, release zips), the file is
    checked against it first; `verify=False` skips that. Warns once per process and table
    (ErrataWarning, one line) when the table has open errata; `warn_errata=False` silences it for
    this call. Raises KeyError for an unknown table (naming the valid ones), ValueError for an
    unknown view or backend, IntegrityError for a changed file, DataError for an unparsable cell.
    """
    if view not in VIEWS:
        raise ValueError(f"unknown view {view!r}; views are: {', '.join(VIEWS)}")
    if backend not in BACKENDS:
        raise ValueError(f"unknown backend {backend!r}; backends are: {', '.join(BACKENDS)}")
    package = _package(path)
    frame = read_table(package, name, verify=verify)
    if view != "all":
        frame = with_status(package, name, frame, view, verify)
    if warn_errata and name != "errata" and "errata" in package.resources:
        _announce_errata(package, name, verify)
    return frame if backend == "polars" else to_pandas(frame)


def with_status(package: Package, name: str, frame: pl.DataFrame, view: str, verify: bool = True) -> pl.DataFrame:
    """The status or preferred view of a fact table read from `package`."""
    from rare_earth_supply import status
    if name not in status.SUBJECT:
        raise ValueError(f"{name} holds no figures; views 'status' and 'preferred' exist for: "
                         f"{', '.join(t for t in status.FACT_TABLES if t in package.resources)}")
    frames = {name: frame, **{t: read_table(package, t, verify=verify) for t in ("sources", "errata", "exchange_rates")
                              if t in package.resources and t != name}}
    return status.annotate(frames, name) if view == "status" else status.preferred(frames, name)


def to_pandas(frame: pl.DataFrame):
    """A pandas DataFrame with nullable dtypes: whole numbers stay Int64 (never 2023.0), booleans boolean."""
    try:
        import pandas as pd
    except ImportError:
        raise ImportError("backend='pandas' needs pandas: pip install 'rare-earth-supply[pandas]'") from None
    dtypes = {pl.Int64: "Int64", pl.Int32: "Int32", pl.UInt32: "UInt32", pl.Float64: "Float64", pl.Boolean: "boolean", pl.String: "string"}
    columns = {}
    for column in frame.columns:
        series = frame[column]
        if series.dtype == pl.Date:
            columns[column] = pd.to_datetime(pd.Series(series.to_list(), dtype="object"))
        elif series.dtype in dtypes:
            columns[column] = pd.array(series.to_list(), dtype=dtypes[series.dtype])
        else:  # lists (the status view's row ids) stay Python lists
            columns[column] = pd.Series(series.to_list(), dtype="object")
    return pd.DataFrame(columns)


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


def _announce_errata(package: Package, name: str, verify: bool) -> None:
    """Warn once per process and table when the table has open errata: one line, the count and ids."""
    if (package.root, name) in _warned:
        return
    _warned.add((package.root, name))
    errata = read_table(package, "errata", verify=verify)
    found = errata.filter((pl.col("status") == "open") & (pl.col("table") == name))["id"]
    if found.is_empty():
        return
    warnings.warn(ErrataWarning(f"{name} has {found.len()} open errata ({', '.join(found)}): "
                                f"load('errata') or `rare-earth-supply errata {name}` for details; "
                                f"warn_errata=False silences this"), stacklevel=3)


def concentration(*, stage: str | None = None, path: str | Path | None = None) -> pl.DataFrame:
    """Per stage, scope, measure, year and source: each country's share, the group's top-1 and top-3 shares and
    HHI where the figures allow, with `basis` (stated, or computed from production) and the rows behind them.

        >>> res.concentration(stage="separation_refining").filter(pl.col("entity_id") == "cn")
    """
    from rare_earth_supply import chain
    frame = chain.concentration_of(_tables_of(path, ("entities", "sources", "capacity_shares", "production")))
    return frame if stage is None else frame.filter(pl.col("stage") == stage)


def capacity_outside_china(*, stage: str | None = None, stated_since: int | None = None,
                           path: str | Path | None = None) -> pl.DataFrame:
    """Plant capacity outside China by stage, product, unit, plant status and year on line, each plant counted once
    at its latest statement; `stated_since` (a year) leaves out plants whose latest statement is older.

        >>> res.capacity_outside_china(stage="magnets")
    """
    from rare_earth_supply import chain
    frame = chain.capacity_outside_china_of(_tables_of(path, ("entities", "sources", "plant_capacities")), stated_since)
    return frame if stage is None else frame.filter(pl.col("stage") == stage)


def funding(*, public: bool | None = None, path: str | Path | None = None) -> pl.DataFrame:
    """Committed US dollars by investor country, public or not, year, instrument and stage, each commitment counted
    once at its latest state, with the deals and investments rows behind each sum; `public=True` keeps public money only.

        >>> res.funding(public=True).group_by("investor_country").agg(pl.col("amount_usd").sum())
    """
    from rare_earth_supply import commitments
    frame = commitments.funding_of(_tables_of(path, ("entities", "sources", "investments"), optional=("errata", "exchange_rates")))
    return frame if public is None else frame.filter(pl.col("public") == public)


def _tables_of(path: str | Path | None, names: tuple[str, ...], optional: tuple[str, ...] = ()) -> dict[str, pl.DataFrame]:
    package = _package(path)
    return {name: read_table(package, name) for name in (*names, *(n for n in optional if n in package.resources))}


def __getattr__(name: str):
    if name == "__version__":
        return _bundled().version
    raise AttributeError(f"module 'rare_earth_supply' has no attribute {name!r}")
