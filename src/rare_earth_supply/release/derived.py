"""Tables a release derives from the curated ones (row status, preferred views, computed views),
each with a Table Schema of exactly its columns.

A derived Parquet file or SQLite table is read by people who never saw this code: it has to say
what it is as fully as a curated table does (version, licence, title, description, every field's
type and meaning). So every derived table is built here as a frame *and* its Table Schema, and
`build` writes both the same way it writes the curated tables.
"""
from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from rare_earth_supply import money
from rare_earth_supply.read.package import Package

STATUS_TABLE = "row_status"
STATUS_DESCRIPTION = ("Which figure to use: the status of every fact row, derived from the data (preferred, single_source, "
                      "corroborating, disputed, superseded, erroneous), as load(table, view='status') gives it.")
STATUS_FIELDS = (
    ("table", "The fact table the row belongs to."),
    ("id", "The row's id in that table."),
    ("status", "preferred, single_source, corroborating, disputed, superseded, erroneous (or derived, for a total computed from parts)."),
    ("preferred_id", "The row to use for the same subject."),
    ("superseded_by", "For a superseded row: the row of the latest edition of its series."),
    ("corroborated_by", "Rows of independent sources that agree with this one, separated by '|'."),
    ("contradicted_by", "Rows of independent sources that disagree with this one, separated by '|'."),
)
_TYPES = ((pl.Boolean, "boolean"), (pl.Date, "date"))


def field_type(dtype: pl.DataType) -> str:
    """The Table Schema type of a polars column."""
    for kind, name in _TYPES:
        if dtype == kind:
            return name
    return "integer" if dtype.is_integer() else "number" if dtype.is_float() else "string"


@dataclass(frozen=True)
class Derived:
    """One derived table: its name (SQLite table, Parquet file suffix), what it is, its rows and schema."""

    name: str
    title: str
    description: str
    frame: pl.DataFrame
    schema: dict
    parquet: bool = True  # the status table lives in SQLite only, beside the tables it describes
    stem: str = ""  # the Parquet file's name after the version (the name itself when empty)

    @property
    def file_stem(self) -> str:
        return self.stem or self.name


def table_schema(frame: pl.DataFrame, known: dict[str, dict], described: dict[str, str], primary_key: list[str] | None = None,
                 description: str = "") -> dict:
    """A Table Schema for `frame`: a column of a curated table keeps that field's definition (type, unit, constraints
    bar uniqueness), a new column gets its type from the frame and its description from `described`."""
    fields = []
    for column, dtype in frame.schema.items():
        if column in known:
            field = dict(known[column])
            constraints = {k: v for k, v in field.get("constraints", {}).items() if k != "unique"}
            field.pop("constraints", None)
            if constraints:
                field["constraints"] = constraints
        else:
            if column not in described:
                raise KeyError(f"derived column {column!r} has no description")
            field = {"name": column, "type": field_type(dtype), "description": described[column]}
        fields.append(field)
    schema = {"fields": fields, **({"primaryKey": primary_key} if primary_key else {})}
    return {**({"description": description} if description else {}), **schema}


def joined(frame: pl.DataFrame) -> pl.DataFrame:
    """List columns as `|`-separated text (Parquet and SQLite readers everywhere can read it)."""
    lists = [c for c, t in frame.schema.items() if isinstance(t, pl.List)]
    return frame.with_columns(pl.when(pl.col(c).list.len() > 0).then(pl.col(c).list.join("|")).alias(c) for c in lists)


def status_and_preferred(package: Package, frames: dict[str, pl.DataFrame]) -> list[Derived]:
    """Every fact row's status (one table), and each fact table's preferred view (one row per subject)."""
    from rare_earth_supply import status
    tables = status.fact_tables(frames)
    columns = [name for name, _ in STATUS_FIELDS]
    parts = [joined(status.annotate(frames, t).select(pl.lit(t).alias("table"), *columns[1:])) for t in tables]
    statuses = pl.concat(parts) if parts else pl.DataFrame(schema={c: pl.String for c in columns})
    described = {**dict(STATUS_FIELDS), **money.DESCRIPTIONS}
    found = [Derived(STATUS_TABLE, "Row status", STATUS_DESCRIPTION, statuses,
                     table_schema(statuses, {}, described, ["table", "id"], STATUS_DESCRIPTION), parquet=False)]
    for name in tables:
        frame = joined(status.preferred(frames, name))
        known = {f["name"]: f for f in package.schema(name)["fields"]}
        text = f"One row per subject of {name}: the figure to use, with its status (load('{name}', view='preferred'))."
        found.append(Derived(f"{name}_preferred", f"{package.resource(name).get('title', name)}, preferred view", text, frame,
                             table_schema(frame, known, described, ["id"], text), stem=f"{name}-preferred"))
    return found


CONCENTRATION_TEXT = ("Concentration of each stage of the chain: per stage, measure, scope, year and source, each country's share "
                      "with the group's top-1 and top-3 shares and HHI where the figures allow; basis tells stated shares "
                      "(capacity_shares) from shares computed from mine production (rare_earth_supply.concentration()).")
PIPELINE_TEXT = ("Plant capacity outside China by stage, product, unit, plant status and year on line, each plant counted once at "
                 "its latest statement (rare_earth_supply.capacity_outside_china()).")


def _view_schema(frame: pl.DataFrame, package: Package, tables: tuple[str, ...], described: dict[str, str], text: str) -> dict:
    """A view's Table Schema: a column it shares with a curated table keeps that field (less `required`: a computed
    row may leave it empty), a column of its own is described by the view."""
    known = {f["name"]: f for t in tables if t in package.resources for f in package.schema(t)["fields"] if f["name"] not in described}
    schema = table_schema(frame, known, described, description=text)
    for field in schema["fields"]:
        field.get("constraints", {}).pop("required", None)
        if field.get("constraints") == {}:
            field.pop("constraints")
    return schema


def chain_views(package: Package, frames: dict[str, pl.DataFrame]) -> list[Derived]:
    """The supply-chain views (concentration, capacity outside China), where the tables they need are in the package."""
    from rare_earth_supply import chain
    found = []
    needed = {"scope", "figure_kind", "scenario", "measure"}  # releases before 0.7.0 had shares without them: no view
    if {"capacity_shares", "production", "entities", "sources"} <= set(frames) and needed <= set(frames["capacity_shares"].columns):
        frame = joined(chain.concentration_of(frames))
        found.append(Derived("concentration", "Concentration by stage", CONCENTRATION_TEXT, frame,
                             _view_schema(frame, package, ("capacity_shares", "production"), chain.DESCRIPTIONS, CONCENTRATION_TEXT)))
    if {"plant_capacities", "entities", "sources"} <= set(frames):
        frame = joined(chain.capacity_outside_china_of(frames))
        described = {**chain.DESCRIPTIONS, "year": chain.PIPELINE_YEAR}
        found.append(Derived("capacity_outside_china", "Plant capacity outside China", PIPELINE_TEXT, frame,
                             _view_schema(frame, package, ("plant_capacities",), described, PIPELINE_TEXT), stem="capacity-outside-china"))
    return found


FUNDING_TEXT = ("Commitments in US dollars by investor country, public or private money, year, instrument and stage: each deal "
                "counted once at its latest commitment state, converted at the annual average rate of its announcement year, with the "
                "deals and investments rows behind each sum (rare_earth_supply.funding()).")


def money_views(package: Package, frames: dict[str, pl.DataFrame]) -> list[Derived]:
    """The funding view, where the package has deals (releases before 0.8.0 had investments without them: no view)."""
    from rare_earth_supply import commitments
    if not ({"investments", "entities", "sources"} <= set(frames) and "deal" in frames["investments"].columns):
        return []
    frame = joined(commitments.funding_of(frames))
    return [Derived("funding", "Funding by country and year", FUNDING_TEXT, frame,
                    _view_schema(frame, package, ("investments",), commitments.DESCRIPTIONS, FUNDING_TEXT))]


def views(package: Package, frames: dict[str, pl.DataFrame]) -> list[Derived]:
    """The computed views a release carries beside its tables."""
    return chain_views(package, frames) + money_views(package, frames)


def derived_tables(package: Package, frames: dict[str, pl.DataFrame]) -> list[Derived]:
    """Every derived table of a release, in the order it is written."""
    return status_and_preferred(package, frames) + views(package, frames)
