"""BibTeX (classic styles) and BibLaTeX (`@dataset`, biber) entries.

Titles are wrapped in a second pair of braces, so a style that sentence-cases titles keeps
"MP Materials" and "Department of Defense" as written; a body's name is braced whole, so it is
never read as a surname with initials. LaTeX's special characters are escaped in text fields.
"""
from __future__ import annotations

from rare_earth_supply.release.works import Work, person

_LATEX = {"\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#",
          "_": r"\_", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}"}
_REPORT_KINDS = ("statistics", "regulatory_filing", "company_report")
_NEWS_KINDS = ("news_summary", "news_report", "trade_press")


def escape(text: str) -> str:
    return "".join(_LATEX.get(c, c) for c in text)


def _verbatim(text: str) -> str:
    """A URL or DOI as biber reads it verbatim; braces, which would end the field, are percent-encoded."""
    return text.replace("{", "%7B").replace("}", "%7D")


def _authors(authors: tuple[str, ...]) -> str:
    return " and ".join(escape(a) if person(a) else "{" + escape(a) + "}" for a in authors)


def _entry(kind: str, key: str, fields: list[tuple[str, str | None]]) -> str:
    lines = [f"  {name} = {{{value}}}," for name, value in fields if value]
    return f"@{kind}{{{key},\n" + "\n".join(lines).rstrip(",") + "\n}\n"


def _type(work: Work, biblatex: bool) -> tuple[str, str | None]:
    """(entry type, the field that names the publisher) for a work, by what the metadata says of it."""
    if work.kind == "dataset":
        return ("dataset" if biblatex else "misc"), None
    if work.kind in _REPORT_KINDS and work.publisher:
        return ("report" if biblatex else "techreport"), "institution"
    if work.kind in _NEWS_KINDS and work.publisher:
        return "article", ("journaltitle" if biblatex else "journal")
    return "misc", ("organization" if biblatex else "howpublished")


def entry(work: Work, biblatex: bool, note: str | None = None) -> str:
    """One entry; `note` says where in the document a figure stands."""
    kind, publisher_field = _type(work, biblatex)
    translated = work.translated_title
    fields: list[tuple[str, str | None]] = [("author", _authors(work.authors)), ("title", "{" + escape(work.title) + "}")]
    if biblatex and translated:
        fields.append(("titleaddon", f"[{escape(translated)}]"))
    if publisher_field:
        fields.append((publisher_field, escape(work.publisher) if work.publisher else None))
    if kind == "report":
        fields.append(("type", {"statistics": "Statistical report", "regulatory_filing": "Regulatory filing"}.get(work.kind, "Report")))
    if biblatex:
        fields.append(("date", work.issued.isoformat() if work.issued else (str(work.year) if work.year else None)))
    else:
        fields.append(("year", str(work.year) if work.year else None))
    fields += [("version", escape(work.version) if work.version else None),
               ("doi", _verbatim(work.doi) if work.doi else None),
               ("url", _verbatim(work.url) if work.url else None),
               ("language", work.language if biblatex else None)]
    notes = [] if biblatex or not translated else [f"[{translated}]"]
    if work.kind == "dataset":
        fields.append(("howpublished", None if biblatex else "Dataset"))
        if not biblatex:  # classic styles print neither `version` nor an exact date
            notes += [f"Version {work.version}" if work.version else None,
                      f"released {work.issued.isoformat()}" if work.issued else None]
        notes += [work.license, work.identifier]
    notes.append(note)
    fields.append(("note", escape("; ".join(x for x in notes if x))))
    return _entry(kind, work.key, fields)


def bibliography(works: list[tuple[Work, str | None]], biblatex: bool) -> str:
    return "\n".join(entry(work, biblatex, note) for work, note in works)
