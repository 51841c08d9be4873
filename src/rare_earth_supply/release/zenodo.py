"""`.zenodo.json`: the deposit metadata Zenodo reads when a GitHub release is archived, so each
release gets its own DOI with the same title, creators, licence and upstream sources as CITATION.cff.

Generated from datapackage.json and data/sources.csv by `rare-earth-supply docs`, never edited.
"""
from __future__ import annotations

import json

from rare_earth_supply.read.package import Package
from rare_earth_supply.release.cite import text_line
from rare_earth_supply.release.works import release_work, upstream_works

# Data Package v2 contributor roles → Zenodo (DataCite) contributor types
CONTRIBUTOR_TYPES = {"contact": "ContactPerson", "dataCurator": "DataCurator", "rightsHolder": "RightsHolder",
                     "maintainer": "DataManager", "publisher": "Distributor"}


def zenodo_json(package: Package) -> str:
    release, upstream = release_work(package), upstream_works(package)
    contributors = [{"name": name, "type": CONTRIBUTOR_TYPES[role]}
                    for c in release.contributors for role in c.get("roles", []) if role in CONTRIBUTOR_TYPES
                    for name in [c.get("title")] if name]
    related = [{"identifier": release.repository, "relation": "isSupplementTo", "resource_type": "software", "scheme": "url"}] \
        if release.repository else []
    if release.url:
        related.append({"identifier": release.url, "relation": "isDocumentedBy", "scheme": "url"})
    related += [{"identifier": w.doi, "relation": "isDerivedFrom", "scheme": "doi"} for w in upstream if w.doi]
    deposit = {
        "upload_type": "dataset",
        "title": release.title,
        "version": release.version,
        "publication_date": release.issued.isoformat() if release.issued else None,
        "description": release.description,
        "creators": [{"name": name} for name in release.authors],
        "contributors": contributors,
        "access_right": "open",
        "license": release.license.lower() if release.license else None,
        "keywords": list(release.keywords),
        "language": "eng",
        "related_identifiers": related,
        "references": [text_line(w) for w in upstream],
        "notes": f"Data Package id of this release: {release.identifier}.",
    }
    return json.dumps({k: v for k, v in deposit.items() if v not in (None, [], "")}, indent=2, ensure_ascii=False) + "\n"
