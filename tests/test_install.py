"""The package works as installed: from a wheel (data inside it) and from an editable checkout."""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import rare_earth_supply as res
from rare_earth_supply.read.package import bundled_root
from conftest import ROOT


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "hatchling", "build", "-t", "wheel", "-d", str(out)], cwd=ROOT, check=True,
                   capture_output=True)
    (built,) = out.glob("rare_earth_supply-*.whl")
    return built


def test_wheel_carries_descriptor_schemas_and_data(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    descriptor = json.loads((ROOT / "datapackage.json").read_text())
    assert "rare_earth_supply/_package/datapackage.json" in names
    for resource in descriptor["resources"]:
        assert f"rare_earth_supply/_package/{resource['path']}" in names
        assert f"rare_earth_supply/_package/{resource['schema']}" in names
    version = descriptor["version"]
    assert wheel.name.startswith(f"rare_earth_supply-{version}-"), "wheel version comes from datapackage.json"


def test_installed_wheel_loads_every_table_and_is_valid_for_frictionless(wheel, tmp_path):
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(target), str(wheel)],
                   check=True, capture_output=True)
    script = (
        "import rare_earth_supply as r, json\n"
        "print(json.dumps({'file': r.__file__, 'descriptor': str(r.descriptor_path()),"
        " 'rows': {t: r.load(t).height for t in r.tables()}, 'version': r.__version__}))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(target)}
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    done = subprocess.run([sys.executable, "-c", script], cwd=outside, env=env, capture_output=True, text=True, check=True)
    info = json.loads(done.stdout)
    assert Path(info["file"]).is_relative_to(target), "the wheel's copy was imported, not the checkout"
    assert Path(info["descriptor"]) == target / "rare_earth_supply" / "_package" / "datapackage.json"
    assert info["rows"] == {t: res.load(t).height for t in res.tables()}
    checked = subprocess.run([sys.executable, "-m", "frictionless", "validate", "--type", "package", info["descriptor"]],
                             cwd=outside, capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout[-2000:]
    assert "INVALID" not in checked.stdout


def test_checkout_falls_back_to_the_repository_root():
    if not Path(res.__file__).resolve().is_relative_to(ROOT / "src"):
        pytest.skip("running against an installed wheel, not the checkout")
    assert not (ROOT / "src" / "rare_earth_supply" / "_package").exists()
    assert bundled_root() == ROOT
    assert res.descriptor_path() == ROOT / "datapackage.json"


def test_loading_never_touches_the_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("network access attempted")
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    for table in res.tables():
        res.load(table)


def test_loading_does_not_import_validation_libraries():
    code = "import sys, rare_earth_supply as r; r.load('reserves'); print(sorted(m for m in ('pandera', 'frictionless', 'pandas') if m in sys.modules))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_a_changed_byte_in_an_installed_csv_fails_loading_by_name(wheel, tmp_path):
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(target), str(wheel)],
                   check=True, capture_output=True)
    csv = target / "rare_earth_supply" / "_package" / "data" / "reserves.csv"
    csv.write_bytes(csv.read_bytes().replace(b"1400000", b"1400001"))
    env = {**os.environ, "PYTHONPATH": str(target)}
    code = ("import rare_earth_supply as r\n"
            "try:\n    r.load('reserves')\nexcept r.IntegrityError as e:\n    print('REFUSED', e)\n"
            "print('UNVERIFIED', r.load('reserves', verify=False).height)\nprint('OTHER', r.load('costs').height)")
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True, check=True)
    assert "REFUSED" in done.stdout and "reserves.csv" in done.stdout and "verify=False" in done.stdout
    assert f"UNVERIFIED {res.load('reserves').height}" in done.stdout and f"OTHER {res.load('costs').height}" in done.stdout


def _install(wheel: Path, target: Path) -> dict:
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(target), str(wheel)],
                   check=True, capture_output=True)
    return {**os.environ, "PYTHONPATH": str(target)}


def test_build_from_an_installed_wheel_writes_the_release_a_checkout_writes(wheel, tmp_path):
    from rare_earth_supply.read.package import open_package
    from rare_earth_supply.release.build import build
    env = _install(wheel, tmp_path / "site")
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    done = subprocess.run([sys.executable, "-m", "rare_earth_supply", "build", "--out", str(tmp_path / "dist")],
                          cwd=outside, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    checkout = build(open_package(ROOT), tmp_path / "checkout-dist")
    for path in checkout.files:  # the wheel carries README, CHANGELOG, CITATION.cff and the licences: same bytes
        assert (tmp_path / "dist" / path.name).read_bytes() == path.read_bytes(), path.name


def test_build_from_an_installed_wheel_without_a_release_file_refuses_before_writing(wheel, tmp_path):
    env = _install(wheel, tmp_path / "site")
    (tmp_path / "site" / "rare_earth_supply" / "_package" / "CHANGELOG.md").unlink()
    done = subprocess.run([sys.executable, "-m", "rare_earth_supply", "build", "--out", str(tmp_path / "dist")],
                          cwd=tmp_path, env=env, capture_output=True, text=True)
    assert done.returncode == 1 and "CHANGELOG.md is missing" in done.stderr and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "dist").exists(), "nothing is written before the release can be built"
