"""Documentation generated from the metadata, so it never drifts from the schemas and rules.

`rare-earth-supply docs` writes docs/*.md and the README's generated sections; a test fails
when the committed files differ from what this module produces.
"""
from __future__ import annotations

import html
import re
from pathlib import Path

import polars as pl

from rare_earth_supply.publish import render
from rare_earth_supply.publish.fields import fields_markdown
from rare_earth_supply.publish.site import site_files
from rare_earth_supply.read.files import confined, read_capped
from rare_earth_supply.read.package import Package
from rare_earth_supply.read.urls import is_web_address
from rare_earth_supply.rules import catalogue_frame

_BLOCK = re.compile(r"(<!-- (?P<name>[a-z-]+):start -->\n).*?(<!-- (?P=name):end -->)", re.S)


def rules_markdown() -> str:
    return render.markdown(catalogue_frame(), markup=True)


def tables_markdown(package: Package, counts: dict[str, int]) -> str:
    rows = [{"table": f"`{n}`", "rows": counts[n], "one row is": package.resource(n).get("description", "")}
            for n in package.names]
    return render.markdown(pl.DataFrame(rows), markup=True)


def statuses_section() -> list[str]:
    """Which figure to use: the statuses and the precedence rules, taken from the code that applies them."""
    from rare_earth_supply import status
    doc = status.__doc__.split("\n\n", 1)[1].strip()
    ranks = {}
    for kind, rank in status.KIND_RANK.items():
        ranks.setdefault(rank, []).append(f"`{kind}`")
    return ["## Which figure to use: statuses and precedence", "",
            "`load(table, view=\"status\")` adds to every row of a fact table its `status`, the row the preferred view shows "
            "for its subject (`preferred_id`), the later edition that supersedes it (`superseded_by`) and the rows of other "
            f"sources that agree with it or contradict it (`corroborated_by`, `contradicted_by`; each row is set against the "
            f"{status.TOP} highest-precedence figures of its subject). `view=\"preferred\"` keeps one row per subject.", "",
            doc, "",
            "Source kinds, from the highest precedence: " + "; then ".join(", ".join(v) for _, v in sorted(ranks.items())) + ".", ""]


def views_section(package: Package) -> list[str]:
    """The derived views: what each holds and every field, from the Table Schema the releases carry."""
    from rare_earth_supply import read_table
    from rare_earth_supply.release.derived import views
    frames = {n: read_table(package, n) for n in package.names}
    out = ["## Derived views", "",
           "Computed from the tables above, never typed: call the function, or read the table of the same name in the "
           "SQLite release and the Parquet file named below (each with this Table Schema in its metadata). The "
           "status and preferred views are described in the next section.", ""]
    for view in views(package, frames):
        out += [f"### `{view.name}` — {view.title}", "", view.description, "", f"- Rows in this release: {view.frame.height}",
                f"- Parquet: `rare-earth-supply-{package.version}-{view.file_stem}.parquet`; SQLite table: `{view.name}`", "",
                fields_markdown(view.schema), ""]
    return out


def money_section() -> list[str]:
    """One currency to compare: how the preferred views convert money, from the module that does it."""
    from rare_earth_supply import commitments, money
    return ["## US dollars and funding sums", "", money.__doc__.strip(), "",
            "Columns the preferred views of " + ", ".join(f"`{t}`" for t in money.CONVERTED) + " add:", "",
            *[f"- `{name}`: {text}" for name, text in money.DESCRIPTIONS.items()], "",
            "How `funding()` counts (the `funding` view of the releases):", "",
            commitments.__doc__.split("\n\n", 1)[1].strip(), ""]


def data_dictionary(package: Package, counts: dict[str, int]) -> str:
    """Per table: description, keys, row count, citing sources, and every field; then statuses and precedence."""
    out = [f"# Data dictionary — {package.descriptor.get('title')} {package.version}", "",
           "Generated from `schemas/*.json` by `rare-earth-supply docs`; do not edit by hand.", ""]
    for name in package.names:
        schema = package.schema(name)
        out += [f"## `{name}`", "", schema.get("description", ""), "",
                f"- Rows: {counts[name]}",
                f"- Primary key: {', '.join(f'`{k}`' for k in ([schema['primaryKey']] if isinstance(schema.get('primaryKey'), str) else schema.get('primaryKey', [])))}"]
        for fk in schema.get("foreignKeys", []):
            ref = fk["reference"]
            out.append(f"- Foreign key: `{fk['fields']}` → `{ref.get('resource') or name}.{ref['fields']}`")
        out.append("")
        out += [fields_markdown(schema), ""]
    return "\n".join(out + views_section(package) + money_section() + statuses_section())


def _where(source: dict) -> str:
    """A source's address as a link only when it is http(s); anything else is shown as text."""
    url = source["url"] or ""
    if is_web_address(url):
        return f"<{html.escape(url)}>"
    if url:
        return render.inline(url) + " (not an http(s) address, so not a link)"
    return f"`shared/sources/{source['file']}`" if source["file"] else "no address"


def sources_page(package: Package) -> str:
    """Each source with what it contributes: rows per table that cite it."""
    from rare_earth_supply import read_table
    from rare_earth_supply.rules.roles import FACT_TABLES
    sources = read_table(package, "sources")
    cited = pl.concat([read_table(package, t).select("source_id", pl.lit(t).alias("table"), "id")
                       for t in FACT_TABLES if t in package.names])
    counts = cited.group_by("source_id", "table", maintain_order=True).agg(pl.len(), pl.col("id")).sort("table", maintain_order=True)
    out = [f"# Sources — {package.descriptor.get('title')} {package.version}", "",
           "Generated from `data/sources.csv` by `rare-earth-supply docs`; do not edit by hand.", ""]
    text = render.inline
    for row in sources.iter_rows(named=True):
        mine = counts.filter(pl.col("source_id") == row["id"])
        contributes = ", ".join(f"{n} {t}" for t, n in mine.select("table", "len").iter_rows()) or "nothing yet"
        rows = [f"    - {t}: " + ", ".join(f"[{i}](tables/{t}.md#{i})" for i in ids) for t, ids in mine.select("table", "id").iter_rows()]
        out += [f'<a id="{html.escape(row["id"])}"></a>', "", f"## `{row['id']}` — {text(row['title_en'])}", "",
                f"- Original title: {text(row['title'])}",
                f"- Publisher: {text(row['publisher'] or 'not stated')}; published: {text(row['published'] or 'not stated')}; "
                f"kind: {text(row['kind'])}; language: {text(row['language'])}",
                f"- Where: {_where(row)}",
                f"- Contributes: {contributes} (rows)", *rows,
                *( [f"- Note: {text(row['note'])}"] if row["note"] else []), ""]
    return "\n".join(out)


def rules_page() -> str:
    return "\n".join(["# Rules", "",
                      "Every check `rare-earth-supply validate` runs. Errors block a release; warnings are published in the consistency report.",
                      "Generated from the rules catalogue by `rare-earth-supply docs`; do not edit by hand.", "",
                      rules_markdown(), ""])


def fill_blocks(text: str, blocks: dict[str, str]) -> str:
    """Replace each `<!-- name:start -->…<!-- name:end -->` block with generated content."""
    def replace(match: re.Match) -> str:
        name = match.group("name")
        return match.group(1) + blocks[name] + "\n" + match.group(3) if name in blocks else match.group(0)
    return _BLOCK.sub(replace, text)


def generated_files(package: Package, root: Path) -> dict[Path, str]:
    """Every generated file's path and content."""
    from rare_earth_supply import read_table
    from rare_earth_supply.publish.metadata import generated_metadata
    package, metadata = generated_metadata(package, root)  # first: the rest is made from the metadata it writes
    counts = {n: read_table(package, n).height for n in package.names}
    readme = confined(root, root / "README.md", "README.md")
    from rare_earth_supply.release.cite import citation_cff
    return {
        **metadata,
        root / "CITATION.cff": citation_cff(package),
        root / "docs" / "data-dictionary.md": data_dictionary(package, counts),
        root / "docs" / "rules.md": rules_page(),
        root / "docs" / "sources.md": sources_page(package),
        readme: fill_blocks(read_capped(readme, 10 * 2**20, "README.md").decode("utf-8"),
                            {"rules": rules_markdown(), "tables": tables_markdown(package, counts)}),
        **site_files(package, root),  # the documentation site's pages and its table list in mkdocs.yml
    }
