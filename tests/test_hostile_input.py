"""Broken and hostile input: a named problem (exit 1) or a clean refusal (exit 2), never a traceback,
nothing read or written outside the package, bounded time and memory.

Each test is one family of the adversarial pass: data mistakes that used to crash, text read as
terminal markup, reading or writing outside the package, archives and history, descriptors and
Table Schemas we do not implement, and wrong answers. Only the command and `load()` are used, so
the same file runs against any version of the package.
"""
from __future__ import annotations

import html
import re

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

import rare_earth_supply as res
from rare_earth_supply.cli import app
from conftest import ROOT

runner = CliRunner()


def run(*args: str):
    """The command in-process; the contract is checked on every call."""
    result = runner.invoke(app, [str(a) for a in args])
    assert result.exception is None or isinstance(result.exception, SystemExit), f"crashed: {result.exception!r}"
    assert "Traceback" not in result.output
    assert result.exit_code in (0, 1, 2), result.output
    return result


def shell(*args: str, timeout: int = 60, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """The command as a separate process, for cases that could hang (a FIFO) or need a real cwd."""
    done = subprocess.run([sys.executable, "-m", "rare_earth_supply", *map(str, args)], capture_output=True, text=True,
                          timeout=timeout, cwd=cwd)
    assert "Traceback" not in done.stderr + done.stdout, done.stderr
    assert done.returncode in (0, 1, 2), done.stderr
    return done


def descriptor(p) -> dict:
    return json.loads((p.root / "datapackage.json").read_text())


def write_descriptor(p, d: dict) -> None:
    (p.root / "datapackage.json").write_text(json.dumps(d))


def schema(p, table: str) -> dict:
    return json.loads((p.root / "schemas" / f"{table}.json").read_text())


def write_schema(p, table: str, s: dict) -> None:
    (p.root / "schemas" / f"{table}.json").write_text(json.dumps(s))


def files_outside(root: Path) -> set[Path]:
    return {p for p in root.rglob("*")}


# ---- data mistakes that used to crash ------------------------------------------------------

def test_a_duplicated_entity_row_is_reported_not_a_crash(package_copy):
    lines = package_copy.csv("entities").read_text().splitlines(keepends=True)
    package_copy.csv("entities").write_text("".join(lines + [lines[2]]))  # China twice
    result = run("validate", package_copy.root, "--format", "json")
    assert result.exit_code == 1
    rules = {p["rule"] for p in json.loads(result.stdout)["problems"]}
    assert "primary-key" in rules


def _unquoted_costs(p, note: bytes) -> None:
    """costs.csv with one row and no quoted cell anywhere, its note set to raw bytes."""
    header = p.csv("costs").read_bytes().split(b"\n", 1)[0]
    p.csv("costs").write_bytes(header + b"\ncost-001,cn,x,1,USD/kg,2024,eq,1,news-004,[4]," + note + b"\n")


def test_an_invalid_utf8_byte_in_a_file_without_quotes_is_named(package_copy):
    _unquoted_costs(package_copy, b"caf\xe9")
    result = run("validate", package_copy.root, "--format", "json")
    assert result.exit_code == 1
    problem = next(p for p in json.loads(result.stdout)["problems"] if p["rule"] == "csv-encoding")
    assert problem["table"] == "costs" and problem["line"] == 2
    with pytest.raises(res.DataError, match="csv-encoding"):
        res.load("costs", path=package_copy.root)


def test_a_header_with_an_unbalanced_quote_is_named(package_copy):
    package_copy.replace_text("costs", "id,entity_id,", '"id,entity_id,')
    result = run("validate", package_copy.root, "--format", "json")
    assert result.exit_code == 1
    problem = next(p for p in json.loads(result.stdout)["problems"] if p["table"] == "costs")
    assert problem["rule"] == "csv-malformed" and problem["line"] == 1
    with pytest.raises(res.DataError):
        res.load("costs", path=package_copy.root)


def test_a_header_cell_beyond_the_csv_field_limit_is_named(package_copy):
    package_copy.replace_text("costs", "id,entity_id,", "id," + "x" * 200_000 + ",entity_id,")
    result = run("validate", package_copy.root, "--format", "json")
    assert result.exit_code == 1
    assert {p["rule"] for p in json.loads(result.stdout)["problems"] if p["table"] == "costs"} == {"csv-header-extra"}


def test_a_number_that_overflows_to_infinity_is_a_type_error(package_copy):
    package_copy.set("costs", "cost-001", "value", "1e309")
    result = run("validate", package_copy.root, "--format", "json")
    assert result.exit_code == 1
    problem = next(p for p in json.loads(result.stdout)["problems"] if p["rule"] == "field-type")
    assert (problem["row_id"], problem["column"], problem["value"]) == ("cost-001", "value", "1e309")


# ---- text read as terminal markup or control sequences --------------------------------------

@pytest.mark.parametrize("text", ["[/bold]", "[link=https://example.org/x]click[/link]", "[bold red]loud"])
def test_markup_in_cells_and_arguments_is_printed_as_plain_text(package_copy, text):
    package_copy.set("costs", "cost-002", "note", text)
    package_copy.set("errata", "err-010", "description", text)
    shown = run("show", "costs", "--path", package_copy.root, "-c", "id,note")
    assert shown.exit_code == 0 and text in shown.output
    markdown = run("errata", "costs", "--path", package_copy.root, "-f", "markdown").output
    assert text in html.unescape(re.sub(r"\\(.)", r"\1", markdown)), "the Markdown reads back as the cell's text"
    assert text not in markdown or not re.search(r"[\[\]()]", text), "as Markdown, brackets are escaped (no link)"
    package_copy.set("costs", "cost-002", "locator", "[4]")
    assert run("cite", "--row", f"costs:{text}", "--path", package_copy.root).exit_code == 2
    table = text.replace(":", "")  # TABLE:ID splits at the first colon
    assert table in run("cite", "--row", f"{table}:x", "--path", package_copy.root).output
    assert run("show", text).exit_code == 2
    assert run("errata", text).exit_code == 2
    changed = run("diff", ROOT, package_copy.root)
    assert changed.exit_code == 0 and text in changed.output


def test_control_characters_are_a_finding_and_never_reach_the_terminal(package_copy):
    package_copy.set("costs", "cost-002", "note", "red \x1b[31malert\x1b[0m and a bell \x07")
    result = run("validate", package_copy.root)
    assert result.exit_code == 1 and "text-control" in result.output
    assert "\x1b" not in result.output and "\x07" not in result.output and "\\x1b" in result.output
    shown = run("show", "costs", "--path", package_copy.root, "-c", "id,note")
    assert "\x1b" not in shown.output and "\\x1b[31m" in shown.output


# ---- nothing read or written outside the package ---------------------------------------------

def test_build_refuses_a_release_file_that_links_outside(package_copy, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("not for the release")
    (package_copy.root / "README.md").unlink()
    (package_copy.root / "README.md").symlink_to(secret)
    result = run("build", "--path", package_copy.root, "--out", tmp_path / "dist")
    assert result.exit_code == 1 and "symbolic link" in result.output
    assert not (tmp_path / "dist").exists() or not any((tmp_path / "dist").iterdir())


def _checkout(p) -> None:
    shutil.copy(ROOT / "pyproject.toml", p.root / "pyproject.toml")
    shutil.copytree(ROOT / "docs", p.root / "docs")


def test_docs_never_writes_through_a_symlink(package_copy, tmp_path):
    _checkout(package_copy)
    outside = tmp_path / "outside.cff"
    outside.write_text("keep me")
    (package_copy.root / "CITATION.cff").unlink()
    (package_copy.root / "CITATION.cff").symlink_to(outside)
    result = shell("docs", cwd=package_copy.root)
    assert result.returncode == 2 and "symbolic link" in result.stderr
    assert outside.read_text() == "keep me"
    (package_copy.root / "CITATION.cff").unlink()
    shutil.copy(ROOT / "CITATION.cff", package_copy.root / "CITATION.cff")
    elsewhere = tmp_path / "elsewhere"
    shutil.move(package_copy.root / "docs", elsewhere)
    (package_copy.root / "docs").symlink_to(elsewhere)
    (elsewhere / "rules.md").write_text("stale")
    result = shell("docs", cwd=package_copy.root)
    assert result.returncode == 2 and (elsewhere / "rules.md").read_text() == "stale"


def test_the_wheel_build_refuses_symlinks_in_data(tmp_path):
    copy = tmp_path / "src"
    shutil.copytree(ROOT, copy, ignore=shutil.ignore_patterns(".venv", ".git", "dist", "__pycache__", "benchmarks", "site"))
    secret = tmp_path / "secret.csv"
    secret.write_text("id\nx\n")
    (copy / "data" / "extra.csv").symlink_to(secret)
    done = subprocess.run([sys.executable, "-m", "hatchling", "build", "-t", "wheel", "-d", str(tmp_path / "wheel")],
                          cwd=copy, capture_output=True, text=True, timeout=300)
    assert done.returncode != 0 and "symbolic link" in done.stdout + done.stderr
    assert not any((tmp_path / "wheel").glob("*.whl")) if (tmp_path / "wheel").exists() else True


def test_a_fifo_as_a_csv_or_descriptor_is_refused_without_hanging(package_copy, tmp_path):
    package_copy.csv("costs").unlink()
    os.mkfifo(package_copy.csv("costs"))
    result = shell("validate", package_copy.root, "--format", "json", timeout=60)
    assert result.returncode == 1
    problem = next(p for p in json.loads(result.stdout)["problems"] if p["table"] == "costs")
    assert problem["rule"] == "resource-missing" and "named pipe" in problem["message"]
    fifo = tmp_path / "datapackage.json"
    os.mkfifo(fifo)
    result = shell("validate", fifo, timeout=60)
    assert result.returncode == 2 and "named pipe" in result.stderr


def test_a_device_as_the_descriptor_is_refused():
    result = shell("validate", "/dev/zero", timeout=60)
    assert result.returncode == 2 and "device" in result.stderr


# ---- archives and history ---------------------------------------------------------------------

def _mark_encrypted(archive: Path) -> None:
    """Set the 'encrypted' flag on every member (zipfile clears it when writing), in local and central headers."""
    data = bytearray(archive.read_bytes())
    with zipfile.ZipFile(archive) as z:
        offsets, start = [i.header_offset for i in z.infolist()], z.start_dir
    for offset in offsets:
        data[offset + 6] |= 0x1
    at = start
    while data[at:at + 4] == b"PK\x01\x02":
        data[at + 8] |= 0x1
        at += 46 + int.from_bytes(data[at + 28:at + 30], "little") + int.from_bytes(data[at + 30:at + 32], "little") \
            + int.from_bytes(data[at + 32:at + 34], "little")
    archive.write_bytes(bytes(data))


def _release_zip(p, target: Path, replace: dict[str, bytes] | None = None, extra: dict[str, bytes] | None = None) -> Path:
    members = {"datapackage.json": (p.root / "datapackage.json").read_bytes()}
    members |= {f"data/{f.name}": f.read_bytes() for f in (p.root / "data").iterdir()}
    members |= {f"schemas/{f.name}": f.read_bytes() for f in (p.root / "schemas").iterdir()}
    members |= replace or {}
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in {**members, **(extra or {})}.items():
            info = zipfile.ZipInfo(name)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
    return target


def test_diff_reads_only_what_the_descriptor_names_from_a_zip(package_copy, tmp_path):
    archive = _release_zip(package_copy, tmp_path / "r.zip", extra={"../../escape.txt": b"x", "/abs.txt": b"y", "junk/big.bin": b"0" * 10})
    result = run("diff", archive, package_copy.root)
    assert result.exit_code == 0
    assert not (tmp_path.parent / "escape.txt").exists() and not Path("/abs.txt").exists()


def test_a_zip_member_that_unpacks_beyond_the_cap_is_refused(package_copy, tmp_path, monkeypatch):
    import rare_earth_supply.release.locate as locate
    monkeypatch.setattr(locate, "MAX_MEMBER_BYTES", 1 << 20)
    bomb = (package_copy.root / "data" / "costs.csv").read_bytes() + b"0" * (8 << 20)
    archive = _release_zip(package_copy, tmp_path / "bomb.zip", replace={"data/costs.csv": bomb})
    assert archive.stat().st_size < 1 << 20
    result = run("diff", archive, package_copy.root)
    assert result.exit_code == 2 and "costs.csv" in result.output


@pytest.mark.parametrize("breakage", ["truncated", "encrypted", "garbage", "missing member", "descriptor path escapes"])
def test_broken_archives_are_refused_by_name(package_copy, tmp_path, breakage):
    archive = tmp_path / "r.zip"
    if breakage == "encrypted":
        _mark_encrypted(_release_zip(package_copy, archive))
    elif breakage == "missing member":
        _release_zip(package_copy, archive)
        with zipfile.ZipFile(archive) as src, zipfile.ZipFile(tmp_path / "r2.zip", "w") as dst:
            for name in src.namelist():
                if name != "data/costs.csv":
                    dst.writestr(name, src.read(name))
        archive = tmp_path / "r2.zip"
    elif breakage == "descriptor path escapes":
        d = descriptor(package_copy)
        d["resources"][0]["path"] = "../../outside.csv"
        _release_zip(package_copy, archive, replace={"datapackage.json": json.dumps(d).encode()})
    else:
        _release_zip(package_copy, archive)
        data = archive.read_bytes()
        archive.write_bytes(data[: len(data) // 2] if breakage == "truncated" else b"PK\x03\x04" + os.urandom(4000))
    result = run("diff", archive, package_copy.root)
    assert result.exit_code == 2, result.output


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), "-c", "user.email=t@example.org", "-c", "user.name=t", *args],
                   check=True, capture_output=True)


def test_git_refs_without_data_or_with_symlinks_are_refused(package_copy, tmp_path, monkeypatch):
    repo = tmp_path / "repo"
    shutil.copytree(package_copy.root, repo)
    _git(repo, "init", "-q")
    _git(repo, "add", "datapackage.json")
    _git(repo, "commit", "-qm", "descriptor only")
    _git(repo, "tag", "bare")
    (repo / "data" / "costs.csv").unlink()
    (repo / "data" / "costs.csv").symlink_to("/etc/passwd")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-qm", "a symlinked table")
    _git(repo, "tag", "linked")
    monkeypatch.chdir(repo)
    for ref, words in (("bare", "has no data/"), ("linked", "symbolic link"), ("--upload-pack=touch", "not a package directory"),
                       ("nosuchref", "no such")):
        result = run("diff", "--", ref, package_copy.root)
        assert result.exit_code == 2 and words in result.output, (ref, result.output)


# ---- descriptors and Table Schemas we do not implement -----------------------------------------

def _field(p, table: str, name: str) -> tuple[dict, dict]:
    s = schema(p, table)
    return s, next(f for f in s["fields"] if f["name"] == name)


def _set_field(key, value, table="costs", name="note"):
    def change(p):
        s, f = _field(p, table, name)
        f[key] = value
        write_schema(p, table, s)
    return change


def _set_schema(key, value, table="costs"):
    def change(p):
        s = schema(p, table)
        s[key] = value
        write_schema(p, table, s)
    return change


def _set_resource(key, value, table="costs"):
    def change(p):
        d = descriptor(p)
        next(r for r in d["resources"] if r["name"] == table)[key] = value
        write_descriptor(p, d)
    return change


SCHEMA_CASES = {
    "deeply nested descriptor": (lambda p: (p.root / "datapackage.json").write_text("[" * 100_000 + "]" * 100_000), "nested too deeply"),
    "field that is not an object": (lambda p: write_schema(p, "costs", {**schema(p, "costs"), "fields": schema(p, "costs")["fields"] + ["x"]}), "must be an object"),
    "field without a name": (lambda p: write_schema(p, "costs", {**schema(p, "costs"), "fields": schema(p, "costs")["fields"] + [{"type": "string"}]}), "has no name"),
    "type datetime": (_set_field("type", "datetime"), "type 'datetime' is not supported"),
    "type any": (_set_field("type", "any"), "type 'any' is not supported"),
    "type geopoint": (_set_field("type", "geopoint"), "type 'geopoint' is not supported"),
    "string format email": (_set_field("format", "email"), "format 'email' is not supported"),
    "unknown constraint": (_set_field("constraints", {"jsonSchema": {}}), "constraint 'jsonSchema' is not supported"),
    "constraints as a list": (_set_field("constraints", ["required"]), "'constraints' must be an object"),
    "minimum as text": (_set_field("constraints", {"minimum": "zero"}, name="value"), "must be a finite number"),
    "enum as text": (_set_field("constraints", {"enum": "abc"}), "must be a non-empty list"),
    "invalid pattern": (_set_field("constraints", {"pattern": "(unclosed"}), "not a valid regular expression"),
    "look-around pattern": (_set_field("constraints", {"pattern": "(?=x)x"}), "look-around"),
    "foreign key missing its fields": (_set_schema("foreignKeys", [{"reference": {"resource": "sources", "fields": "id"}}]), "must name at least one field"),
    "foreign key to a missing resource": (_set_schema("foreignKeys", [{"fields": "source_id", "reference": {"resource": "nowhere", "fields": "id"}}]), "'nowhere'"),
    "primary key naming no field": (_set_schema("primaryKey", ["nope"]), "'nope', which is not a field"),
    "missingValues as a string": (_set_schema("missingValues", "NA"), "'missingValues' must be a list"),
    "field named _line": (_set_field("name", "_line", name="note"), "reserved"),
    "a semicolon dialect": (_set_resource("dialect", {"delimiter": ";"}), "dialect property delimiter"),
    "compression": (_set_resource("compression", "gz"), "property 'compression' is not supported"),
    "inline data": (_set_resource("data", [[1]]), "inline 'data' is not supported"),
    "multipart path": (_set_resource("path", ["data/costs.csv", "data/costs2.csv"]), "multipart"),
}


@pytest.mark.parametrize("case", sorted(SCHEMA_CASES))
def test_unsupported_descriptors_and_schemas_are_named(package_copy, case):
    mutate, words = SCHEMA_CASES[case]
    mutate(package_copy)
    result = run("validate", package_copy.root)
    assert result.exit_code == 2 and words in result.output, result.output
    assert run("show", "costs", "--path", package_copy.root).exit_code == 2


def test_a_field_named_index_is_ordinary_data(package_copy):
    frame = package_copy.read("costs").rename({"note": "index"})
    package_copy.write("costs", frame)
    _set_field("name", "index", name="note")(package_copy)
    assert run("validate", package_copy.root).exit_code == 0


# ---- wrong answers ------------------------------------------------------------------------------

def test_a_missing_descriptor_is_not_replaced_by_a_neighbour(tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)
    for command in (("validate", "./typo.json"), ("diff", "./typo.json"), ("show", "costs", "--path", "./typo.json")):
        result = run(*command)
        assert result.exit_code == 2 and "typo.json" in result.output, command


def test_build_refuses_an_empty_or_malformed_version_before_writing(package_copy, tmp_path):
    for version in ("", "one", "1.0", "1.0.0.0"):
        d = descriptor(package_copy)
        d["version"] = version
        write_descriptor(package_copy, d)
        result = run("build", "--path", package_copy.root, "--out", tmp_path / "dist")
        assert result.exit_code == 1 and "SemVer" in result.output, version
        assert not (tmp_path / "dist").exists()


def test_build_checks_the_output_folder_before_writing_anything(package_copy, tmp_path):
    out = tmp_path / "dist"
    (out / f"rare-earth-supply-{res.__version__}.sqlite").mkdir(parents=True)
    result = run("build", "--path", package_copy.root, "--out", out)
    assert result.exit_code == 1 and "not a regular file" in result.output
    assert sorted(p.name for p in out.iterdir()) == [f"rare-earth-supply-{res.__version__}.sqlite"]


def test_arguments_out_of_range_are_refused():
    assert run("show", "costs", "-n", "-5").exit_code == 2
    result = run("show", "costs", "-c", "id,id")
    assert result.exit_code == 2 and "more than once" in result.output
    csv = run("validate", "--format", "csv")
    assert csv.exit_code == 0
    frame = pl.read_csv(csv.stdout.encode(), infer_schema=False)
    assert {"table", "row_id", "rule", "severity", "message"} <= set(frame.columns)


def test_unloadable_data_ends_every_command_cleanly(package_copy):
    package_copy.replace_text("costs", ",news-004,[4],\n", ",news-004,[4]\n")  # a short row
    _checkout(package_copy)
    for command in (("show", "costs", "--path", package_copy.root), ("info", package_copy.root),
                    ("cite", "--row", "costs:cost-001", "--path", package_copy.root), ("docs", "--path", package_copy.root),
                    ("report", package_copy.root)):
        result = run(*command)
        assert result.exit_code == 1 and "csv-ragged" in result.output or "table problem" in result.output, command


def test_a_changed_file_under_a_stamped_descriptor_ends_cleanly(package_copy):
    from rare_earth_supply.release.stamp import dumps, stamped
    write_descriptor(package_copy, json.loads(dumps(stamped(descriptor(package_copy), package_copy.root))))
    package_copy.replace_text("costs", "$7 per", "$8 per")
    for command in (("show", "costs", "--path", package_copy.root), ("info", package_copy.root),
                    ("cite", "--row", "costs:cost-001", "--path", package_copy.root)):
        result = run(*command)
        assert result.exit_code == 1 and "changed since release" in result.output, command
