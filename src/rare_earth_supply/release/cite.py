"""Citations: of a release (text, BibTeX, CFF, JSON) and of one figure (release plus original source).

All citation facts come from datapackage.json (title, version, created, contributors, licence,
homepage); CITATION.cff is generated from the same facts, and a test keeps the two equal.
"""
from __future__ import annotations

import json

import polars as pl

from rare_earth_supply.read.package import Package

FORMATS = ("text", "bibtex", "cff", "json")


def release_facts(package: Package) -> dict:
    d = package.descriptor
    created = str(d.get("created", ""))[:10]
    return {
        "title": d.get("title", d.get("name")),
        "description": d.get("description", ""),
        "version": package.version,
        "date": created,
        "year": created[:4],
        "authors": [c.get("title") for c in d.get("contributors", []) if "author" in c.get("roles", [])],
        "license": (d.get("licenses") or [{}])[0].get("name", ""),
        "url": d.get("homepage", ""),
        "keywords": d.get("keywords", []),
    }


def _bibtex_escape(text: str) -> str:
    return text.replace("\\", "\\textbackslash{}").replace("{", "\\{").replace("}", "\\}").replace("&", "\\&").replace("%", "\\%")


def release_citation(package: Package, fmt: str = "text") -> str:
    f = release_facts(package)
    authors = " and ".join(f"{{{a}}}" for a in f["authors"])
    if fmt == "bibtex":
        key = f"rare_earth_supply_{f['version'].replace('.', '_')}"
        return (f"@misc{{{key},\n  author = {{{authors}}},\n  title = {{{_bibtex_escape(f['title'])}}},\n"
                f"  year = {{{f['year']}}},\n  version = {{{f['version']}}},\n  howpublished = {{Dataset, {f['license']}}},\n"
                f"  url = {{{f['url']}}},\n  note = {{Version {f['version']}, released {f['date']}}}\n}}\n")
    if fmt == "cff":
        return citation_cff(package)
    if fmt == "json":
        return json.dumps({"type": "dataset", **f}, indent=2, ensure_ascii=False) + "\n"
    return (f"{'; '.join(f['authors'])} ({f['year']}). {f['title']} (version {f['version']}, released {f['date']}) "
            f"[Dataset]. {f['license']}. {f['url']}\n")


def citation_cff(package: Package) -> str:
    """CITATION.cff text for the release (written to the repository by `rare-earth-supply docs`)."""
    f = release_facts(package)
    def q(text: str) -> str:
        return json.dumps(text, ensure_ascii=False)
    lines = ["cff-version: 1.2.0",
             'message: "If you use these data, please cite the exact release you used; for a single figure cite its original source as well (rare-earth-supply cite --row TABLE:ID)."',
             "type: dataset", f"title: {q(f['title'])}", f"abstract: {q(f['description'])}", "authors:"]
    lines += [f"  - name: {q(a)}" for a in f["authors"]]
    lines += [f"version: {f['version']}", f"date-released: {f['date']}", f"license: {f['license']}", f"url: {q(f['url'])}", "keywords:"]
    lines += [f"  - {q(k)}" for k in f["keywords"]]
    return "\n".join(lines) + "\n"


def row_citation(package: Package, table: str, row_id: str, fmt: str = "text") -> str:
    """The release citation plus the original source of one row, with its locator and wording."""
    from rare_earth_supply import read_table
    frame = read_table(package, table)
    if "source_id" not in frame.columns:
        raise KeyError(f"table {table!r} holds no sourced figures; cite a row of a fact table")
    rows = frame.filter(pl.col("id") == row_id)
    if rows.is_empty():
        raise KeyError(f"{table} has no row {row_id!r}")
    row = rows.row(0, named=True)
    source = read_table(package, "sources").filter(pl.col("id") == row["source_id"]).row(0, named=True)
    facts = {"dataset": release_facts(package), "table": table, "row": row_id, "as_reported": row.get("as_reported"),
             "locator": row.get("locator"), "source": {k: (str(v) if v is not None else None) for k, v in source.items()}}
    if fmt == "json":
        return json.dumps(facts, indent=2, ensure_ascii=False, default=str) + "\n"
    if fmt == "bibtex":
        s = source
        key = f"{s['id'].replace('-', '_')}"
        entry = (f"@misc{{{key},\n  title = {{{_bibtex_escape(s['title'])}}},\n  note = {{{_bibtex_escape(s['title_en'])}; "
                 f"figure at {_bibtex_escape(row['locator'])}}},\n")
        if s.get("publisher"):
            entry += f"  publisher = {{{_bibtex_escape(s['publisher'])}}},\n"
        if s.get("published"):
            entry += f"  year = {{{s['published'].year}}},\n"
        if s.get("url"):
            entry += f"  url = {{{s['url']}}},\n"
        return release_citation(package, "bibtex") + "\n" + entry + "}\n"
    published = source["published"].isoformat() if source.get("published") else "undated"
    origin = ", ".join(str(x) for x in (source.get("publisher"), published, source.get("url") or source.get("file")) if x)
    return (f"{table}/{row_id} ({row.get('as_reported')}), from {source['title_en']} [{source['title']}], {origin}, "
            f"at {row['locator']}.\nAs published in: {release_citation(package, 'text')}")
