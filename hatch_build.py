"""Hatch build hook: the wheel's datapackage.json is stamped with each file's bytes and sha256."""
from __future__ import annotations

import importlib.util
import json
import tempfile
from pathlib import Path

from hatchling.builders.hooks.plugin.interface import BuildHookInterface


def refuse_links(root: Path) -> None:
    """A wheel carries the package's own files: a symbolic link in data/ or schemas/ would ship whatever it points to."""
    for folder in ("data", "schemas"):
        for path in sorted((root / folder).rglob("*")):
            if path.is_symlink() or not (path.is_file() or path.is_dir()):
                raise RuntimeError(f"{path.relative_to(root)} is a symbolic link or special file; the wheel carries only "
                                   "regular files of the package (replace it with the file itself)")
    for name in ("datapackage.json", "README.md", "CHANGELOG.md", "CITATION.cff", "LICENSE", "LICENSE-DATA"):
        if (root / name).is_symlink():
            raise RuntimeError(f"{name} is a symbolic link; the wheel carries only regular files of the package")


class StampDescriptor(BuildHookInterface):
    def initialize(self, version: str, build_data: dict) -> None:
        if self.target_name != "wheel" or version == "editable":
            return  # an editable install reads the checkout, whose descriptor has no hashes
        root = Path(self.root)
        refuse_links(root)
        spec = importlib.util.spec_from_file_location("_stamp", root / "src" / "rare_earth_supply" / "release" / "stamp.py")
        stamp = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(stamp)
        descriptor = json.loads((root / "datapackage.json").read_text(encoding="utf-8"))
        self._tmp = tempfile.TemporaryDirectory()
        target = Path(self._tmp.name) / "datapackage.json"
        target.write_text(stamp.dumps(stamp.stamped(descriptor, root)), encoding="utf-8")
        build_data["force_include"][str(target)] = "rare_earth_supply/_package/datapackage.json"

    def finalize(self, version: str, build_data: dict, artifact_path: str) -> None:
        if hasattr(self, "_tmp"):
            self._tmp.cleanup()
