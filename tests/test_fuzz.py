"""Fuzzing the input boundary: random damage to the real package's bytes, descriptor and Table Schemas.

Only the contract is asserted, never a particular finding: the command exits 0, 1 or 2; it never
shows a traceback; it writes nothing outside the output folder it was given; each case finishes
within a time bound. Inputs that once broke the contract are kept in `tests/fuzz_corpus/` and
replayed first. CI runs a short budget; a longer hunt is

    FUZZ_EXAMPLES=5000 pytest tests/test_fuzz.py
"""
from __future__ import annotations

import json
import os
import shutil
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from rare_earth_supply.cli import app
from conftest import ROOT

runner = CliRunner()
CORPUS = Path(__file__).parent / "fuzz_corpus"
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "60"))
PACKAGE_FILES = ["datapackage.json", *sorted(f"data/{p.name}" for p in (ROOT / "data").glob("*.csv")),
                 *sorted(f"schemas/{p.name}" for p in (ROOT / "schemas").glob("*.json"))]
SPECIAL = [b'"', b",", b"\n", b"\r", b"\x00", b"\xff", b"\xef\xbb\xbf", b"\xc3", b"[/bold]", b"=1+1", b"\x1b[31m", b" ", b"1e309"]
FUZZ = settings(max_examples=EXAMPLES, deadline=timedelta(seconds=20), derandomize=False, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

# ---- what a case is: a file of the package and the damage done to it -------------------------

byte_edit = st.one_of(
    st.tuples(st.just("flip"), st.floats(0, 1), st.integers(0, 255)),
    st.tuples(st.just("insert"), st.floats(0, 1), st.one_of(st.sampled_from(SPECIAL), st.binary(min_size=1, max_size=8))),
    st.tuples(st.just("delete"), st.floats(0, 1), st.integers(1, 200)),
    st.tuples(st.just("duplicate"), st.floats(0, 1), st.integers(1, 400)),
    st.tuples(st.just("truncate"), st.floats(0, 1), st.just(0)),
)
json_value = st.recursive(
    st.none() | st.booleans() | st.integers(-10**20, 10**20) | st.floats(allow_nan=False) | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3), max_leaves=6)
json_edit = st.one_of(
    st.tuples(st.just("replace"), st.floats(0, 1), json_value),
    st.tuples(st.just("remove"), st.floats(0, 1), st.none()),
    st.tuples(st.just("rename"), st.floats(0, 1), st.sampled_from(["_line", "name", "", "type", "fields", "id", "path"])),
)
case = st.one_of(
    st.tuples(st.just("bytes"), st.sampled_from(PACKAGE_FILES), st.lists(byte_edit, min_size=1, max_size=4)),
    st.tuples(st.just("json"), st.sampled_from([f for f in PACKAGE_FILES if f.endswith(".json")]), st.lists(json_edit, min_size=1, max_size=3)),
)


def _apply_bytes(data: bytes, edits) -> bytes:
    out = bytearray(data)
    for op, where, arg in edits:
        at = int(where * len(out)) if out else 0
        if op == "flip" and out:
            out[min(at, len(out) - 1)] = arg
        elif op == "insert":
            out[at:at] = arg
        elif op == "delete":
            del out[at:at + arg]
        elif op == "duplicate":
            out[at:at] = out[at:at + arg]
        elif op == "truncate":
            del out[at:]
    return bytes(out)


def _nodes(value, path=()):
    yield path
    if isinstance(value, dict):
        for key, inner in value.items():
            yield from _nodes(inner, (*path, key))
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            yield from _nodes(inner, (*path, index))


def _apply_json(text: str, edits) -> str:
    value = json.loads(text)
    for op, where, arg in edits:
        paths = [p for p in _nodes(value) if p]
        if not paths:
            break
        path = paths[int(where * (len(paths) - 1))]
        parent = value
        for key in path[:-1]:
            parent = parent[key]
        key = path[-1]
        if op == "replace":
            parent[key] = arg
        elif op == "remove":
            del parent[key]
        elif op == "rename" and isinstance(parent, dict):
            parent[arg] = parent.pop(key)
    return json.dumps(value)


def _package(tmp: Path) -> Path:
    root = tmp / "package"
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    for name in PACKAGE_FILES:
        (root / name).parent.mkdir(exist_ok=True)
        shutil.copy(ROOT / name, root / name)
    return root


def _damage(root: Path, spec) -> None:
    kind, name, edits = spec
    path = root / name
    if kind == "bytes":
        path.write_bytes(_apply_bytes(path.read_bytes(), edits))
    else:
        path.write_text(_apply_json(path.read_text(encoding="utf-8"), edits), encoding="utf-8")


def _snapshot(tmp: Path) -> dict[Path, bytes]:
    return {p: p.read_bytes() for p in tmp.rglob("*") if p.is_file()}


def check_contract(tmp: Path, spec, commands=(("validate",), ("show", "costs"), ("info",))) -> None:
    """Damage a fresh copy of the package, run the commands, and hold them to the contract."""
    root = _package(tmp)
    _damage(root, spec)
    out = tmp / "out"
    shutil.rmtree(out, ignore_errors=True)
    before = _snapshot(tmp)
    for command in commands:
        args = [*command, *(["--path", str(root)] if command[0] in ("show", "build") else [str(root)])]
        if command[0] == "build":
            args += ["--out", str(out)]
        result = runner.invoke(app, args)
        assert result.exception is None or isinstance(result.exception, SystemExit), \
            f"{command} crashed on {spec!r}: {result.exception!r}"
        assert "Traceback" not in result.output, (spec, result.output[-2000:])
        assert result.exit_code in (0, 1, 2), (spec, result.exit_code, result.output[-2000:])
    after = _snapshot(tmp)
    changed = {p for p in set(before) | set(after) if before.get(p) != after.get(p) and out not in p.parents}
    assert not changed, f"{spec!r} wrote outside --out: {sorted(changed)}"


def _corpus() -> list[tuple[str, list]]:
    cases = []
    for path in sorted(CORPUS.glob("*.json")):
        entry = json.loads(path.read_text())
        edits = [(op, where, bytes.fromhex(arg) if entry["kind"] == "bytes" and op == "insert" else arg)
                 for op, where, arg in entry["edits"]]
        cases.append((path.stem, (entry["kind"], entry["file"], edits)))
    return cases


@pytest.mark.parametrize("name, spec", _corpus(), ids=[c[0] for c in _corpus()])
def test_inputs_that_once_broke_the_contract(tmp_path, name, spec):
    check_contract(tmp_path, spec, commands=(("validate",), ("show", "costs"), ("info",), ("build",)))


@FUZZ
@given(spec=case)
def test_damaged_packages_keep_the_contract(tmp_path_factory, spec):
    check_contract(tmp_path_factory.mktemp("fuzz"), spec)


@settings(FUZZ, max_examples=max(EXAMPLES // 10, 3))
@given(spec=case)
def test_damaged_packages_never_build_outside_out(tmp_path_factory, spec):
    check_contract(tmp_path_factory.mktemp("fuzz-build"), spec, commands=(("build",),))
