"""CSL-JSON: what Zotero, Mendeley, pandoc and citeproc read.

Names are {family, given} for persons and {literal} for bodies, so a reference manager never
splits "U.S. Geological Survey" into a surname and initials. Dates are date-parts.
"""
from __future__ import annotations

import json

from rare_earth_supply.release.works import Work, person

# source kind → (CSL type, genre); a summary of a news article cites the article
TYPES = {
    "dataset": ("dataset", None),
    "news_summary": ("article-newspaper", None),
    "news_report": ("article-newspaper", None),
    "trade_press": ("article-magazine", None),
    "statistics": ("report", "Statistical report"),
    "government_notice": ("document", "Government notice"),
    "press_release": ("document", "Press release"),
    "regulatory_filing": ("report", "Regulatory filing"),
    "company_report": ("report", "Company report"),
    "web_summary": ("webpage", "Summary"),
}
NEWS = ("article-newspaper", "article-magazine")


def names(authors: tuple[str, ...]) -> list[dict]:
    out = []
    for name in authors:
        split = person(name)
        out.append({"family": split[0], "given": split[1]} if split else {"literal": name})
    return out


def item(work: Work, locator: str | None = None, note: str | None = None) -> dict:
    """One CSL-JSON item; `locator` and `note` say where in the document a figure stands."""
    kind, genre = TYPES.get(work.kind, ("document", None))
    found: dict = {"id": work.key, "type": kind, "title": work.title}
    if work.authors:
        found["author"] = names(work.authors)
    if work.issued:
        found["issued"] = {"date-parts": [[work.issued.year, work.issued.month, work.issued.day]]}
    elif work.year:
        found["issued"] = {"date-parts": [[work.year]]}
    if work.publisher:
        found["container-title" if kind in NEWS else "publisher"] = work.publisher
    if work.translated_title:
        found["translated-title"] = work.translated_title
    optional = {"genre": genre, "version": work.version, "DOI": work.doi, "URL": work.url, "language": work.language,
                "abstract": work.description, "keyword": ", ".join(work.keywords) or None,
                "locator": locator, "note": note}
    found.update({k: v for k, v in optional.items() if v})
    if work.kind == "dataset":
        found["note"] = "; ".join(x for x in (f"Data package {work.identifier}", f"License: {work.license}" if work.license else None) if x)
    return found


def csl_json(works: list[tuple[Work, str | None, str | None]]) -> str:
    """A CSL-JSON array (the format is always a list, also for one item)."""
    return json.dumps([item(*w) for w in works], indent=2, ensure_ascii=False) + "\n"
