"""Releases: stamped descriptors, diffs with their SemVer class, builds and citations."""
