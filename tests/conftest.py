"""Shared fixtures: the repository's package, and writable copies of it to break on purpose."""
from __future__ import annotations

import shutil
from pathlib import Path

import polars as pl
import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"


class PackageCopy:
    """A copy of the real package in a temporary directory, with helpers to edit its CSVs."""

    def __init__(self, root: Path):
        self.root = root

    def csv(self, table: str) -> Path:
        return self.root / "data" / f"{table}.csv"

    def read(self, table: str) -> pl.DataFrame:
        return pl.read_csv(self.csv(table), infer_schema=False)

    def write(self, table: str, frame: pl.DataFrame) -> None:
        self.csv(table).write_text(frame.write_csv(), encoding="utf-8")

    def set(self, table: str, row_id: str, column: str, value: str | None) -> None:
        frame = self.read(table)
        assert row_id in frame["id"].to_list(), f"{table} has no row {row_id}"
        self.write(table, frame.with_columns(
            pl.when(pl.col("id") == row_id).then(pl.lit(value, dtype=pl.String)).otherwise(pl.col(column)).alias(column)))

    def append(self, table: str, **cells: str) -> None:
        frame = self.read(table)
        row = pl.DataFrame([{c: cells.get(c) for c in frame.columns}], schema={c: pl.String for c in frame.columns})
        self.write(table, pl.concat([frame, row]))

    def replace_text(self, table: str, old: str, new: str) -> None:
        text = self.csv(table).read_text(encoding="utf-8")
        assert old in text, f"{old!r} not in {table}.csv"
        self.csv(table).write_text(text.replace(old, new, 1), encoding="utf-8")


def copy_checkout(target: Path) -> Path:
    """A copy of what `rare-earth-supply docs` reads and writes: package, pyproject, README and the generated files."""
    target.mkdir()
    for name in ("datapackage.json", "pyproject.toml", "README.md", "CITATION.cff", ".zenodo.json"):
        shutil.copy(ROOT / name, target / name)
    for folder in ("data", "schemas", "docs"):
        shutil.copytree(ROOT / folder, target / folder)
    return target


@pytest.fixture
def package_copy(tmp_path: Path) -> PackageCopy:
    target = tmp_path / "package"
    target.mkdir()
    shutil.copy(ROOT / "datapackage.json", target)
    shutil.copytree(ROOT / "data", target / "data")
    shutil.copytree(ROOT / "schemas", target / "schemas")
    for name in ("README.md", "CHANGELOG.md", "CITATION.cff", "LICENSE", "LICENSE-DATA"):  # what a release carries
        shutil.copy(ROOT / name, target / name)
    return PackageCopy(target)
