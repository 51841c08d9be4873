"""What changed between two releases, and the version bump the change requires.

SemVer for data (README, "Releases"): MAJOR when something a user's code or citation relies on
goes away or changes meaning (a table, field or row removed, a type, unit or primary key
changed, an allowed value withdrawn); MINOR when tables, fields, rows or allowed values are
added; PATCH when values, notes or descriptions are corrected.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

from rare_earth_supply.read.package import Package
from rare_earth_supply.problems import PackageError
from rare_earth_supply.read.csvfile import LINE, read_text
from rare_earth_supply.rules.fields import primary_key
from rare_earth_supply.release.semver import BUMPS, bump_between  # noqa: F401  (bump_between: public here)



@dataclass
class TableDiff:
    name: str
    status: str = "unchanged"  # added, removed, changed, unchanged
    fields_added: list[str] = field(default_factory=list)
    fields_removed: list[str] = field(default_factory=list)
    fields_retyped: list[dict] = field(default_factory=list)
    units_changed: list[dict] = field(default_factory=list)
    constraints_changed: list[dict] = field(default_factory=list)
    primary_key: dict | None = None
    metadata_changed: list[str] = field(default_factory=list)
    rows_added: list[str] = field(default_factory=list)
    rows_removed: list[str] = field(default_factory=list)
    rows_changed: list[dict] = field(default_factory=list)
    bump: str = "none"

    def reasons(self) -> dict[str, list[str]]:
        """Why each bump level applies to this table."""
        r: dict[str, list[str]] = {"major": [], "minor": [], "patch": []}
        if self.status == "removed":
            r["major"].append("table removed")
        if self.status == "added":
            r["minor"].append("table added")
        r["major"] += [f"field {f} removed" for f in self.fields_removed]
        r["major"] += [f"field {c['field']} retyped {c['old']} → {c['new']}" for c in self.fields_retyped]
        r["major"] += [f"unit of {c['field']} changed" for c in self.units_changed]
        if self.primary_key:
            r["major"].append("primary key changed")
        for c in self.constraints_changed:
            (r["major"] if c["withdraws_values"] else r["minor"]).append(f"constraints of {c['field']} changed")
        if self.rows_removed:
            r["major"].append(f"{len(self.rows_removed)} row(s) removed")
        r["minor"] += [f"field {f} added" for f in self.fields_added]
        if self.rows_added:
            r["minor"].append(f"{len(self.rows_added)} row(s) added")
        if self.rows_changed:
            r["patch"].append(f"{len({c['id'] for c in self.rows_changed})} row(s) changed")
        r["patch"] += [f"{m} changed" for m in self.metadata_changed]
        return r


@dataclass
class Diff:
    old_version: str
    new_version: str
    tables: list[TableDiff]
    package_metadata_changed: list[str]

    @property
    def required_bump(self) -> str:
        levels = [t.bump for t in self.tables] + (["patch"] if self.package_metadata_changed else [])
        return max(levels, key=BUMPS.index, default="none")

    @property
    def actual_bump(self) -> str:
        return bump_between(self.old_version, self.new_version)

    def to_dict(self) -> dict:
        return {"old_version": self.old_version, "new_version": self.new_version,
                "required_bump": self.required_bump, "actual_bump": self.actual_bump,
                "package_metadata_changed": self.package_metadata_changed,
                "tables": {t.name: {k: v for k, v in t.__dict__.items() if k != "name"} | {"reasons": t.reasons()}
                           for t in self.tables}}


def _fields(schema: dict) -> dict[str, dict]:
    return {f["name"]: f for f in schema.get("fields", [])}


def _withdraws(old: dict, new: dict) -> bool:
    """True if the new constraints reject values the old ones allowed in a way users notice."""
    old_enum, new_enum = old.get("enum"), new.get("enum")
    if old_enum is not None and new_enum is not None and set(old_enum) - set(new_enum):
        return True
    return (not old.get("required") and new.get("required")) or (not old.get("unique") and new.get("unique"))


def _schema_diff(t: TableDiff, old: dict, new: dict) -> None:
    of, nf = _fields(old), _fields(new)
    t.fields_added = [n for n in nf if n not in of]
    t.fields_removed = [n for n in of if n not in nf]
    for name in (n for n in nf if n in of):
        a, b = of[name], nf[name]
        if a.get("type", "string") != b.get("type", "string"):
            t.fields_retyped.append({"field": name, "old": a.get("type", "string"), "new": b.get("type", "string")})
        if a.get("unit") != b.get("unit"):
            t.units_changed.append({"field": name, "old": a.get("unit"), "new": b.get("unit")})
        ca, cb = a.get("constraints", {}), b.get("constraints", {})
        if ca != cb:
            t.constraints_changed.append({"field": name, "old": ca, "new": cb, "withdraws_values": _withdraws(ca, cb)})
        for key in ("title", "description"):
            if a.get(key) != b.get(key):
                t.metadata_changed.append(f"{key} of field {name}")
    if primary_key(old) != primary_key(new):
        t.primary_key = {"old": primary_key(old), "new": primary_key(new)}
    if old.get("foreignKeys") != new.get("foreignKeys"):
        t.metadata_changed.append("foreign keys")


def _text(package: Package, name: str) -> pl.DataFrame:
    frame, problems = read_text(name, package.path(name), package.schema(name))
    if frame is None:
        raise PackageError(f"{package.root}: table {name!r} cannot be read ({problems[0].message}); validate it first")
    return frame.drop(LINE)


def _row_diff(t: TableDiff, old: Package, new: Package) -> None:
    key = primary_key(new.schema(t.name))
    if not key or key != primary_key(old.schema(t.name)):
        return
    a, b = _text(old, t.name), _text(new, t.name)
    row_id = pl.concat_str([pl.col(k) for k in key], separator=", ").alias("_id")
    a, b = a.with_columns(row_id), b.with_columns(row_id)
    t.rows_added = b.join(a, on="_id", how="anti")["_id"].to_list()
    t.rows_removed = a.join(b, on="_id", how="anti")["_id"].to_list()
    common = [c for c in b.columns if c in a.columns and c not in key and c != "_id"]
    both = a.select("_id", *common).join(b.select("_id", *common), on="_id", suffix="_new")
    changes = [both.filter(pl.col(c).ne_missing(pl.col(f"{c}_new"))).select(
        pl.col("_id").alias("id"), pl.lit(c).alias("column"), pl.col(c).alias("old"), pl.col(f"{c}_new").alias("new"))
        for c in common]
    if changes:
        t.rows_changed = pl.concat(changes).sort("id", "column").to_dicts()


def diff(old: Package, new: Package) -> Diff:
    """Compare two opened packages table by table, field by field and row by row."""
    tables = []
    for name in list(new.names) + [n for n in old.names if n not in new.names]:
        t = TableDiff(name)
        if name not in old.names:
            t.status = "added"
            key = primary_key(new.schema(name))
            t.rows_added = _text(new, name).select(pl.concat_str([pl.col(k) for k in key], separator=", ")).to_series().to_list()
        elif name not in new.names:
            t.status = "removed"
        else:
            _schema_diff(t, old.schema(name), new.schema(name))
            _row_diff(t, old, new)
            for key in ("title", "description"):
                if old.resource(name).get(key) != new.resource(name).get(key):
                    t.metadata_changed.append(f"{key} of the resource")
            if any(t.reasons().values()):
                t.status = "changed"
        reasons = t.reasons()
        t.bump = next((level for level in ("major", "minor", "patch") if reasons[level]), "none")
        tables.append(t)
    ignored = {"resources", "version", "created"}
    keys = sorted((set(old.descriptor) | set(new.descriptor)) - ignored)
    metadata = [k for k in keys if old.descriptor.get(k) != new.descriptor.get(k)]
    return Diff(old.version, new.version, tables, metadata)


def changelog_markdown(d: Diff) -> str:
    """A Keep a Changelog section body: rows and fields added, changed and removed, per table."""
    added, changed, removed = [], [], []
    for t in d.tables:
        if t.status == "added":
            added.append(f"- Table `{t.name}`: {len(t.rows_added)} rows ({', '.join(t.rows_added)})")
            continue
        if t.status == "removed":
            removed.append(f"- Table `{t.name}`")
            continue
        if t.rows_added:
            added.append(f"- `{t.name}`: {len(t.rows_added)} row(s): {', '.join(t.rows_added)}")
        added += [f"- `{t.name}`: field `{f}`" for f in t.fields_added]
        if t.rows_removed:
            removed.append(f"- `{t.name}`: {len(t.rows_removed)} row(s): {', '.join(t.rows_removed)}")
        removed += [f"- `{t.name}`: field `{f}`" for f in t.fields_removed]
        by_row: dict[str, list[str]] = {}
        for c in t.rows_changed:
            by_row.setdefault(c["id"], []).append(c["column"])
        changed += [f"- `{t.name}` {row}: {', '.join(cols)}" for row, cols in by_row.items()]
        changed += [f"- `{t.name}`: field `{c['field']}` type {c['old']} → {c['new']}" for c in t.fields_retyped]
        changed += [f"- `{t.name}`: constraints of `{c['field']}`" for c in t.constraints_changed]
        changed += [f"- `{t.name}`: {m}" for m in t.metadata_changed]
    changed += [f"- Package metadata: `{key}`" for key in d.package_metadata_changed]
    parts = []
    for title, lines in (("Added", added), ("Changed", changed), ("Removed", removed)):
        if lines:
            parts.append(f"### {title}\n" + "\n".join(lines))
    return "\n\n".join(parts) if parts else "No data changes."
