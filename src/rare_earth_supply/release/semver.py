"""Dataset versions: SemVer strings, compared and classified with `packaging` (pre-releases included).

`packaging` orders 0.6.0-rc.1 before 0.6.0 and accepts a leading `v`; what it does not know is
SemVer-for-data's bump classes, which are read off the release numbers here. A pre-release
carries the bump of the release it leads to: 0.6.0-rc.1 → 0.6.0 may hold a MINOR change.
"""
from __future__ import annotations

import re

from packaging.version import InvalidVersion, Version

from rare_earth_supply.problems import PackageError

BUMPS = ("none", "patch", "minor", "major")
# what a dataset version must look like: MAJOR.MINOR.PATCH with an optional -pre-release
SEMVER = re.compile(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$")


def parse(version: str) -> Version:
    """A dataset version as a comparable Version, or a PackageError naming what is wrong with it."""
    if not isinstance(version, str) or not SEMVER.match(version.removeprefix("v")):
        raise PackageError(f"version {version!r} is not a SemVer version such as 1.2.3 or 1.2.3-rc.1")
    try:
        return Version(version)
    except InvalidVersion:
        raise PackageError(f"version {version!r} is not a version packaging can order (SemVer pre-releases: -rc.1, -beta.2)") from None


def _level(release: tuple[int, ...]) -> str:
    """The bump a release number stands for by itself: x.0.0 major, x.y.0 minor, x.y.z patch."""
    major, minor, patch = (list(release) + [0, 0, 0])[:3]
    return "patch" if patch else "minor" if minor else "major"


def bump_between(old: str, new: str) -> str:
    """The bump that takes version `old` to `new` ('none' if `new` is not higher)."""
    a, b = parse(old), parse(new)
    if b <= a:
        return "none"
    ra, rb = (list(a.release) + [0, 0, 0])[:3], (list(b.release) + [0, 0, 0])[:3]
    if rb[0] > ra[0]:
        return "major"
    if rb[0] == ra[0] and rb[1] > ra[1]:
        return "minor"
    if rb[:2] == ra[:2] and rb[2] > ra[2]:
        return "patch"
    return _level(b.release)  # same release number: a pre-release promoted, or the next pre-release
