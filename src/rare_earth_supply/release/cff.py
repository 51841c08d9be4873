"""CITATION.cff (Citation File Format 1.2.0): what GitHub, Zenodo and cffconvert read.

Written by hand, not by a YAML library: every scalar is a JSON string (valid YAML), so a date or
a version never turns into a YAML date or float on the way in. The release's references are
the upstream documents (statistical series, primary records) that its figures come from.
"""
from __future__ import annotations

import json

from rare_earth_supply.release.works import Work, person

MESSAGE = ("If you use these data, please cite the exact release you used; for a single figure cite its "
           "original source as well (rare-earth-supply cite --row TABLE:ID).")
# source kind → CFF reference type
TYPES = {"news_summary": "newspaper-article", "news_report": "newspaper-article", "trade_press": "magazine-article",
         "statistics": "report", "government_notice": "government-document", "press_release": "generic",
         "regulatory_filing": "report", "company_report": "report", "web_summary": "website"}


def q(text: object) -> str:
    return json.dumps(str(text), ensure_ascii=False)


def _names(authors: tuple[str, ...], indent: str) -> list[str]:
    lines = []
    for name in authors:
        split = person(name)
        if split:
            lines += [f"{indent}- family-names: {q(split[0])}", f"{indent}  given-names: {q(split[1])}"]
        else:
            lines.append(f"{indent}- name: {q(name)}")
    return lines


def _reference(work: Work) -> list[str]:
    lines = [f"  - type: {TYPES.get(work.kind, 'generic')}", f"    title: {q(work.title)}", "    authors:"]
    # a document that names no author is cited by the body that issued it, as a library would
    lines += _names(work.authors or ((work.publisher,) if work.publisher else ("anonymous",)), "      ")
    if work.publisher:
        lines += ["    publisher:", f"      name: {q(work.publisher)}"]
    if work.year:
        lines.append(f"    year: {work.year}")
    if work.issued:
        lines.append(f"    date-published: {q(work.issued.isoformat())}")
    for key, value in (("doi", work.doi), ("url", work.url)):
        if value:
            lines.append(f"    {key}: {q(value)}")
    if work.language:
        lines += ["    languages:", f"      - {q(work.language)}"]
    if work.translated_title:
        lines.append(f"    notes: {q('English title (ours): ' + work.translated_title)}")
    return lines


def citation_cff(release: Work, references: list[Work]) -> str:
    """CITATION.cff text for the release."""
    lines = ["cff-version: 1.2.0", f"message: {q(MESSAGE)}", "type: dataset", f"title: {q(release.title)}"]
    if release.description:
        lines.append(f"abstract: {q(release.description)}")
    lines += ["authors:", *_names(release.authors, "  "), f"version: {q(release.version)}"]
    if release.issued:
        lines.append(f"date-released: {q(release.issued.isoformat())}")
    if release.license:
        lines.append(f"license: {q(release.license)}")
    if release.url:
        lines.append(f"url: {q(release.url)}")
    if release.repository:
        lines.append(f"repository-code: {q(release.repository)}")
    lines += ["identifiers:", "  - type: other", f"    value: {q(release.identifier)}",
              f"    description: {q('Data Package id of release ' + str(release.version))}"]
    if release.keywords:
        lines += ["keywords:", *[f"  - {q(k)}" for k in release.keywords]]
    if references:
        lines.append("references:")
        for work in references:
            lines += _reference(work)
    return "\n".join(lines) + "\n"
