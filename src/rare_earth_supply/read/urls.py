"""Which addresses the package may hand to a reader as links: http(s) only.

A `javascript:` or `data:` address in a source row or in the descriptor would become a live link
on the site and in the data browser; a relative path (a licence file beside the data) is fine
where the descriptor allows paths. One test for every place that turns an address into a link.
"""
from __future__ import annotations

import re
from typing import Iterator
from urllib.parse import urlsplit

_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
_UNSAFE = re.compile(r"[\s\x00-\x1f\x7f\"'<>\\`]")
# descriptor properties that hold an address: (where, key); paths of licences, sources and contributors
# may be relative file paths, the homepage must be a web address
ENTRY_LISTS = ("licenses", "sources", "contributors")


def is_web_address(value: object) -> bool:
    """An absolute http(s) address with a host, and nothing in it that could end an HTML attribute."""
    if not isinstance(value, str) or _UNSAFE.search(value):
        return False
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def has_scheme(value: str) -> bool:
    """`x:...` — an address, as opposed to a relative path."""
    return bool(_SCHEME.match(value)) and not re.match(r"^[A-Za-z]:[\\/]", value)


def descriptor_addresses(descriptor: dict) -> Iterator[tuple[str, str, bool]]:
    """(property, value, must be a web address) for every address-like property of a package descriptor."""
    if isinstance(descriptor.get("homepage"), str):
        yield "homepage", descriptor["homepage"], True
    resources = [("", descriptor)] + [(f"resources.{r.get('name')}.", r) for r in descriptor.get("resources", [])
                                      if isinstance(r, dict)]
    for prefix, holder in resources:
        for key in ENTRY_LISTS:
            entries = holder.get(key) if isinstance(holder.get(key), list) else []
            for position, entry in enumerate(entries, start=1):
                if isinstance(entry, dict) and isinstance(entry.get("path"), str):
                    yield f"{prefix}{key}[{position}].path", entry["path"], False


def address_problem(value: str, must_be_web: bool) -> str | None:
    """Why an address may not be a link, or None when it may."""
    if is_web_address(value):
        return None
    if not must_be_web and not has_scheme(value) and not _UNSAFE.search(value):
        return None  # a relative file path
    return "is not an http(s) address" if has_scheme(value) or must_be_web else "holds a character an address may not"
