"""Vocabularies kept by maintained libraries, written into the Table Schemas by `rare-earth-supply docs`.

The Table Schema stays the one source of truth: a field's `enum` holds the library's list, so
frictionless, R and every other Table Schema reader enforce it as we do, and `docs --check`
fails when the pinned library knows a newer list than the committed schema. The libraries are
needed only here (the `docs` extra), never to load or validate the data.
"""
from __future__ import annotations

import copy
from typing import Callable

from rare_earth_supply.problems import PackageError


def iso_4217() -> list[str]:
    """Active ISO 4217 alphabetic codes, as pycountry (the `docs` extra) lists them."""
    try:
        import pycountry
    except ImportError:
        raise PackageError("the ISO 4217 currency codes come from pycountry, which is not installed: "
                           "pip install 'rare-earth-supply[docs]'") from None
    return sorted(currency.alpha_3 for currency in pycountry.currencies)


# (table, field) → the vocabulary its `enum` holds
VOCABULARIES: dict[tuple[str, str], Callable[[], list[str]]] = {("investments", "currency"): iso_4217, ("exchange_rates", "currency"): iso_4217}


def with_vocabularies(table: str, schema: dict) -> dict:
    """A copy of a Table Schema whose vocabulary fields carry their library's current list as `enum`."""
    out = copy.deepcopy(schema)
    for field in out.get("fields", []):
        vocabulary = VOCABULARIES.get((table, field.get("name")))
        if vocabulary is not None:
            constraints = field.setdefault("constraints", {})
            constraints.pop("pattern", None)  # the enum says more; two rules on one bad cell say it twice
            constraints["enum"] = vocabulary()
    return out
