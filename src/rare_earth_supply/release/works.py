"""Citable works: the dataset release and the documents its figures come from, in one shape.

Every citation format (text, BibTeX, BibLaTeX, CSL-JSON, CFF, .zenodo.json) is rendered from a
`Work`, and a Work is read only from the package metadata: datapackage.json for the release,
data/sources.csv for a source. Old releases (`cite --version`) lack newer fields; they read as
empty, never as invented values.
"""
from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import date

from rare_earth_supply.read.package import Package

# the upstream documents a release names as its references: statistical series and primary records
UPSTREAM_KINDS = ("statistics", "press_release", "regulatory_filing", "company_report")
# Data Package v2 contributor roles (v1's "author" still read) that make a contributor a creator of the release
CREATOR_ROLES = ("creator", "author")
_PERSON = re.compile(r"^(?P<family>[^,\d]+), (?P<given>[^,\d]+)$")
# "Shin-Etsu Chemical Co., Ltd.": the part after the comma is a legal form, so the name is a body's
_LEGAL_FORM = re.compile(r"^(ltd|inc|llc|plc|corp|co|gmbh|ag|s\.?a|n\.?v|b\.?v|pty\.? ltd|limited)\.?$", re.IGNORECASE)


def package_id(name: str, version: str) -> str:
    """A stable URN for one release: the same name and version always give the same id."""
    return uuid.uuid5(uuid.NAMESPACE_URL, f"https://pypi.org/project/{name}/{version}/").urn


def person(name: str) -> tuple[str, str] | None:
    """(family, given) for a person written 'Family, Given'; None for a body ('U.S. Geological Survey')
    or a name written whole (e.g. Chinese names). A side of more than three words, or a legal form
    after the comma ('Co., Ltd.'), is a body's name."""
    match = _PERSON.match(name)
    if not match or any(len(part.split()) > 3 for part in match.groups()) or _LEGAL_FORM.match(match["given"]):
        return None
    return match["family"], match["given"]


@dataclass(frozen=True)
class Work:
    """One citable work, with what a reference manager needs and nothing the metadata does not state."""

    key: str  # citation key and CSL id
    kind: str  # "dataset" for the release, else the source's kind (news_summary, statistics, ...)
    title: str
    authors: tuple[str, ...] = ()  # persons as 'Family, Given', bodies as named
    title_en: str | None = None  # our English rendering of a title in another language
    publisher: str | None = None
    issued: date | None = None  # the exact date, where known
    year: int | None = None
    version: str | None = None
    doi: str | None = None
    url: str | None = None
    language: str | None = None
    description: str | None = None
    license: str | None = None
    keywords: tuple[str, ...] = ()
    identifier: str | None = None  # the release's URN
    repository: str | None = None
    contributors: tuple[dict, ...] = ()  # the release's contributors with their roles (.zenodo.json maps them)

    @property
    def translated_title(self) -> str | None:
        """Our English rendering of a title in another language (an English document needs none)."""
        foreign = self.language not in (None, "en")
        return self.title_en if foreign and self.title_en and self.title_en != self.title else None


def _contributor_name(contributor: dict) -> str:
    """'Family, Given' for a person the descriptor names by parts, else the contributor's title."""
    family, given = contributor.get("familyName"), contributor.get("givenName")
    return f"{family}, {given}" if family and given else str(contributor.get("title") or "")


def release_work(package: Package) -> Work:
    """The release as a citable dataset, from datapackage.json."""
    d = package.descriptor
    created = str(d.get("created", ""))[:10]
    try:
        issued = date.fromisoformat(created)
    except ValueError:
        issued = None
    contributors = d.get("contributors", [])
    authors = tuple(_contributor_name(c) for c in contributors
                    if set(CREATOR_ROLES) & set(c.get("roles", [c.get("role")])) and _contributor_name(c))
    licence = (d.get("licenses") or [{}])[0]
    name = str(d.get("name", "rare-earth-supply"))
    return Work(
        key=f"{name.replace('-', '_')}_{package.version.replace('.', '_')}", kind="dataset",
        title=str(d.get("title", name)), authors=authors, issued=issued, year=issued.year if issued else None,
        version=package.version, url=d.get("homepage") or None, language="en", description=d.get("description") or None,
        license=licence.get("name") or None, keywords=tuple(d.get("keywords", [])),
        identifier=d.get("id") or package_id(name, package.version), repository=d.get("repository") or None,
        contributors=tuple(contributors))


def _text(row: dict, column: str) -> str | None:
    value = row.get(column)
    return str(value) if value not in (None, "") else None


def source_work(source: dict) -> Work:
    """A row of the sources table as a citable document (columns an older release lacks read as empty)."""
    published = source.get("published")
    issued = published if isinstance(published, date) else None
    year = source.get("year") or (issued.year if issued else None)
    authors = tuple(a for a in (_text(source, "authors") or "").split("|") if a)
    return Work(
        key=str(source["id"]).replace("-", "_"), kind=str(source.get("kind") or "document"), title=str(source["title"]),
        authors=authors, title_en=_text(source, "title_en"), publisher=_text(source, "publisher"), issued=issued,
        year=int(year) if year else None, doi=_text(source, "doi"), url=_text(source, "url"),
        language=_text(source, "language"))


def sources(package: Package) -> list[dict]:
    from rare_earth_supply import read_table
    return list(read_table(package, "sources").iter_rows(named=True)) if "sources" in package.names else []


def upstream_works(package: Package) -> list[Work]:
    """The statistical series' editions and the primary records the data cites, in the sources table's order."""
    return [source_work(s) for s in sources(package) if s.get("kind") in UPSTREAM_KINDS]
