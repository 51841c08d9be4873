"""Citations survive reference managers: each format is read back by a real parser or schema.

CSL-JSON is checked against the CSL input schema and rendered by citeproc-py; BibTeX and
BibLaTeX are parsed by pybtex and rendered with a style that sentence-cases titles; CFF is
checked against the Citation File Format 1.2.0 schema. The schemas are vendored in
tests/schemas (no network at test time).
"""
from __future__ import annotations

import json
import subprocess
import uuid
import warnings

import jsonschema
import pytest
import yaml
from citeproc import Citation, CitationItem, CitationStylesBibliography, CitationStylesStyle, formatter
from citeproc.source.json import CiteProcJSON
from pybtex.database import parse_string
from pybtex.plugin import find_plugin
from typer.testing import CliRunner

import rare_earth_supply as res
from rare_earth_supply.cli import app
from rare_earth_supply.read.package import open_package
from rare_earth_supply.release.cite import ROW_FORMATS, release_citation, row_citation
from rare_earth_supply.release.works import person
from conftest import ROOT, copy_checkout

runner = CliRunner()
SCHEMAS = ROOT / "tests" / "schemas"
DESCRIPTOR = json.loads((ROOT / "datapackage.json").read_text(encoding="utf-8"))
# a news summary, a USGS edition with a named author and a DOI, and the DoD press release
ROWS = {"reserves:res-003": "news-003", "reserves:res-004": "usgs-mcs-2025", "deal_terms:term-013": "mp-pr-2025-07-10"}
DOD_TITLE_WORDS = ("MP Materials", "Department of Defense")


def cite(*args: str) -> str:
    result = runner.invoke(app, ["cite", *args])
    assert result.exit_code == 0, result.output
    return result.output


def _csl_validator():
    return jsonschema.Draft7Validator(json.loads((SCHEMAS / "csl-data.json").read_text(encoding="utf-8")))


def _render_csl(items: list[dict]) -> list[str]:
    style = CitationStylesStyle("harvard-cite-them-right", validate=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # citeproc-py (CSL 1.0.1) skips translated-title
        bibliography = CitationStylesBibliography(style, CiteProcJSON(items), formatter.plain)
        for item in items:
            bibliography.register(Citation([CitationItem(item["id"])]))
        return [str(entry) for entry in bibliography.bibliography()]


def _render_bibtex(text: str) -> str:
    style = find_plugin("pybtex.style.formatting", "plain")()
    return "\n".join(e.text.render_as("text") for e in style.format_bibliography(parse_string(text, "bibtex")).entries)


def test_csl_json_release_is_a_valid_dataset_item_citeproc_renders():
    items = json.loads(cite("--format", "csl-json"))
    _csl_validator().validate(items)
    (item,) = items
    created = DESCRIPTOR["created"][:10]
    assert item["type"] == "dataset" and item["version"] == res.__version__
    assert item["author"] == [{"literal": "rare-earth-supply curators"}]
    assert item["issued"] == {"date-parts": [[int(part) for part in created.split("-")]]}
    assert item["URL"] == DESCRIPTOR["homepage"]
    (rendered,) = _render_csl(items)
    assert "rare-earth-supply curators" in rendered and created[:4] in rendered and DESCRIPTOR["homepage"] in rendered


@pytest.mark.parametrize("row", sorted(ROWS))
def test_csl_json_row_adds_the_original_document(row):
    items = json.loads(cite("--format", "csl-json", "--row", row))
    _csl_validator().validate(items)
    assert [i["id"] for i in items] == [f"rare_earth_supply_{res.__version__.replace('.', '_')}", ROWS[row].replace("-", "_")]
    rendered = _render_csl(items)
    assert len(rendered) == 2 and all(rendered)


def test_csl_json_names_persons_by_parts_and_bodies_whole_and_carries_the_doi():
    release, usgs = json.loads(cite("--format", "csl-json", "--row", "reserves:res-004"))
    assert usgs["author"] == [{"family": "Cordier", "given": "D. J."}]
    assert usgs["DOI"] == "10.5066/P13XCP3R" and usgs["publisher"] == "U.S. Geological Survey" and usgs["type"] == "report"
    rendered = "\n".join(_render_csl([release, usgs]))
    assert "Cordier, D.J." in rendered and "U.S. Geological Survey" in rendered


def test_a_schema_violation_would_be_caught():
    """The validator is not a rubber stamp: an unknown type, a misspelt variable or a bare year fails it."""
    item = json.loads(cite("--format", "csl-json"))[0]
    for broken in ({**item, "type": "data-set"}, {**item, "Title": item["title"]}, {**item, "issued": {"date-parts": "2026"}}):
        with pytest.raises(jsonschema.ValidationError):
            _csl_validator().validate([broken])


def test_bibtex_keeps_capitals_of_proper_names_under_a_sentence_casing_style():
    text = cite("--format", "bibtex", "--row", "deal_terms:term-013")
    entries = parse_string(text, "bibtex").entries
    assert [e.type for e in entries.values()] == ["misc", "misc"]
    rendered = _render_bibtex(text)
    for words in DOD_TITLE_WORDS:
        assert words in rendered, rendered
    # the double braces are what keep them: without, the style lower-cases the title
    unprotected = text.replace("title = {{MP", "title = {MP").replace("Independence}},", "Independence},")
    assert unprotected != text and "Department of Defense" not in _render_bibtex(unprotected)


def test_bibtex_release_entry_parses_with_version_year_and_a_braced_body_as_author():
    entry = next(iter(parse_string(cite("--format", "bibtex"), "bibtex").entries.values()))
    assert entry.type == "misc" and entry.fields["version"] == res.__version__
    assert entry.fields["year"] == DESCRIPTOR["created"][:4]
    (author,) = entry.persons["author"]
    assert str(author) == "{rare-earth-supply curators}", "a body is one name, not a surname with initials"


def test_biblatex_uses_dataset_and_typed_entries_for_sources():
    text = cite("--format", "biblatex", "--row", "reserves:res-004")
    release, usgs = parse_string(text, "bibtex").entries.values()
    assert release.type == "dataset" and release.fields["version"] == res.__version__
    assert release.fields["date"] == DESCRIPTOR["created"][:10]
    assert usgs.type == "report" and usgs.fields["institution"] == "U.S. Geological Survey"
    assert usgs.fields["doi"] == "10.5066/P13XCP3R" and [str(p) for p in usgs.persons["author"]] == ["Cordier, D. J."]
    assert "figure at" in usgs.fields["note"]


def test_latex_specials_are_escaped_and_still_parse():
    text = cite("--format", "biblatex", "--row", "investments:inv-002")  # as reported: "$400 million"
    entry = list(parse_string(text, "bibtex").entries.values())[1]
    assert r"\$400 million" in entry.fields["note"]


def _cff(text: str) -> dict:
    data = yaml.safe_load(text)
    jsonschema.Draft7Validator(json.loads((SCHEMAS / "cff-1.2.0.json").read_text(encoding="utf-8"))).validate(data)
    return data


def test_cff_is_valid_citation_file_format_with_identifiers_repository_and_upstream_references():
    data = _cff(cite("--format", "cff"))
    assert data["type"] == "dataset" and data["version"] == res.__version__
    assert data["date-released"] == DESCRIPTOR["created"][:10]
    assert data["repository-code"] == DESCRIPTOR["repository"] == "https://github.com/rare-earth-supply/rare-earth-supply"
    assert {"type": "other", "value": DESCRIPTOR["id"], "description": f"Data Package id of release {res.__version__}"} in data["identifiers"]
    references = {r["title"]: r for r in data["references"]}
    usgs = references["Mineral Commodity Summaries 2025: Rare Earths"]
    assert usgs["type"] == "report" and usgs["doi"] == "10.5066/P13XCP3R" and usgs["authors"] == [{"family-names": "Cordier", "given-names": "D. J."}]
    assert references["Mineral Commodity Summaries 2024: Rare Earths"]["authors"] == [{"name": "U.S. Geological Survey"}]
    assert any(t.startswith("MP Materials Announces") for t in references), "the primary records are referenced"
    assert not any(r["title"].startswith(("25年来", "美国")) for r in data["references"]), "news summaries stay in the data"


def test_committed_citation_cff_is_valid_and_the_generated_one():
    text = (ROOT / "CITATION.cff").read_text(encoding="utf-8")
    assert text == release_citation(open_package(ROOT), "cff")
    _cff(text)


def test_cff_schema_would_catch_a_broken_file():
    data = yaml.safe_load(cite("--format", "cff"))
    del data["authors"]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft7Validator(json.loads((SCHEMAS / "cff-1.2.0.json").read_text(encoding="utf-8"))).validate(data)


@pytest.mark.parametrize("fmt", ROW_FORMATS)
def test_every_row_format_cites_release_and_source_never_the_local_file(fmt):
    titles = dict(res.load("sources").select("id", "title").iter_rows())
    for row, source in ROWS.items():
        text = cite("--format", fmt, "--row", row)
        assert res.__version__ in text and DESCRIPTOR["title"] in text and titles[source] in text
    news = [cite("--format", fmt, "--row", f"reserves:{row}") for row in ("res-001", "res-003")]
    assert not [t for t in news if ".txt" in t], "a citation names the article, not the curators' copy"


def test_row_json_and_text_name_publisher_date_and_locator():
    facts = json.loads(cite("--format", "json", "--row", "reserves:res-003"))
    assert facts["source"]["publisher"] == "Sou Hu Cai Jing" and facts["source"]["published"] == "2025-10-21"
    assert facts["locator"] == "[3][6]" and "file" not in facts["source"]
    text = row_citation(open_package(ROOT), "reserves", "res-003")
    assert "Sou Hu Cai Jing (2025-10-21)" in text and "[3][6]" in text and res.__version__ in text


def test_cff_refuses_one_figure_by_name():
    result = runner.invoke(app, ["cite", "--format", "cff", "--row", "reserves:res-003"])
    assert result.exit_code == 2 and "describes a release" in result.output and "csl-json" in result.output
    with pytest.raises(ValueError, match="cannot cite one figure"):
        row_citation(open_package(ROOT), "reserves", "res-003", "cff")


@pytest.mark.parametrize("args, message", [
    (["--row", "reserves"], "TABLE:ID"), (["--row", "atlantis:x-1"], "unknown table"),
    (["--row", "reserves:res-999"], "no row 'res-999'"), (["--row", "entities:cn"], "holds no sourced figures"),
    (["--format", "ris"], "ris")])
def test_bad_arguments_are_one_line_and_exit_2(args, message):
    result = runner.invoke(app, ["cite", *args])
    assert result.exit_code == 2 and message in result.output and "Traceback" not in result.output


def _has_release_history() -> bool:
    done = subprocess.run(["git", "-C", str(ROOT), "log", "--oneline", "-1", "--", "datapackage.json"], capture_output=True, text=True)
    return done.returncode == 0 and bool(done.stdout.strip())


@pytest.mark.skipif(not _has_release_history(), reason="needs the git history of datapackage.json (a clone, not an sdist)")
def test_cite_a_past_release_from_the_git_history(monkeypatch):
    monkeypatch.chdir(ROOT)
    for fmt in ("csl-json", "biblatex", "cff"):
        text = cite("--version", "0.3.0", "--format", fmt)
        assert "0.3.0" in text and res.__version__ not in text.replace("0.3.0", "")
    _csl_validator().validate(json.loads(cite("--version", "v0.3.0", "--format", "csl-json")))
    _cff(cite("--version", "0.3.0", "--format", "cff"))
    assert "Sou Hu Cai Jing" in cite("--version", "0.3.0", "--row", "costs:cost-004")
    missing = runner.invoke(app, ["cite", "--version", "9.9.9"])
    assert missing.exit_code == 2 and "no release 9.9.9" in missing.output and "0.3.0" in missing.output


def test_cite_a_past_release_outside_a_git_clone_is_refused(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path.parent))
    result = runner.invoke(app, ["cite", "--version", "0.3.0"])
    assert result.exit_code == 2 and "not inside a git clone" in result.output


def test_names_split_persons_from_bodies():
    authors = {a for cell in res.load("sources")["authors"].drop_nulls() for a in cell.split("|")}
    persons = {a for a in authors if person(a)}
    assert persons == {"Bailey, Mary", "Barradas, Sheila", "Behura, Poonam", "Biju, John", "Burton, Melanie", "Castilloux, Ryan",
                       "Censer, Marjorie", "Chow, Emily", "Cordier, D. J.", "Daly, Tom", "DiFrancesco, C. A.", "Fang, Yunyu",
                       "Gambogi, J.", "Hatch, Gareth", "Hedrick, J. B.", "Iannucci, Esmarie", "Kubota, Yoko", "Lian, Ruby",
                       "Mei, Jingya", "Obayashi, Yuka", "Ryder, Dianne", "Sayers, Justin", "Thusoo, Nausheen", "Wang, Zhuoqiong",
                       "Warmington, Andrew", "Webb, Mariaan", "Wong, Fayen", "Xu, Muyu", "Zhang, Min"}
    assert person("Board of Governors of the Federal Reserve System (US)") is None
    assert person("Shin-Etsu Chemical Co., Ltd.") is None  # a company's legal form after the comma
    assert person("U.S. Department of Defense, Defense Acquisition Regulations System") is None


def test_the_package_id_is_a_uuid5_urn_of_name_and_version():
    expected = uuid.uuid5(uuid.NAMESPACE_URL, f"https://pypi.org/project/{DESCRIPTOR['name']}/{DESCRIPTOR['version']}/").urn
    assert DESCRIPTOR["id"] == expected and expected.startswith("urn:uuid:")
    assert uuid.UUID(expected).version == 5


def test_contributor_roles_come_from_the_data_package_v2_recommended_set():
    recommended = {"creator", "contact", "rightsHolder", "dataCurator"}
    for contributor in DESCRIPTOR["contributors"]:
        assert set(contributor["roles"]) <= recommended and "creator" in contributor["roles"]


def test_docs_rewrites_the_id_when_the_version_changes(tmp_path, monkeypatch):
    copy = copy_checkout(tmp_path / "checkout")
    (copy / "datapackage.json").write_text(json.dumps({**DESCRIPTOR, "version": "9.0.0"}, indent=2, ensure_ascii=False) + "\n")
    monkeypatch.chdir(copy)
    stale = runner.invoke(app, ["docs", "--check"])
    assert stale.exit_code == 1 and "datapackage.json" in stale.output and ".zenodo.json" in stale.output
    assert runner.invoke(app, ["docs"]).exit_code == 0
    written = json.loads((copy / "datapackage.json").read_text())
    assert written["id"] == uuid.uuid5(uuid.NAMESPACE_URL, f"https://pypi.org/project/{DESCRIPTOR['name']}/9.0.0/").urn != DESCRIPTOR["id"]
    assert json.loads((copy / ".zenodo.json").read_text())["version"] == "9.0.0"
    assert runner.invoke(app, ["docs", "--check"]).exit_code == 0, "one run of docs converges"


def test_zenodo_metadata_matches_the_descriptor():
    deposit = json.loads((ROOT / ".zenodo.json").read_text(encoding="utf-8"))
    assert deposit["upload_type"] == "dataset" and deposit["access_right"] == "open"
    assert deposit["title"] == DESCRIPTOR["title"] and deposit["version"] == DESCRIPTOR["version"]
    assert deposit["publication_date"] == DESCRIPTOR["created"][:10] and deposit["license"] == "cc-by-4.0"
    assert deposit["creators"] == [{"name": "rare-earth-supply curators"}]
    assert {"name": "rare-earth-supply curators", "type": "DataCurator"} in deposit["contributors"]
    related = {(r["identifier"], r["relation"]) for r in deposit["related_identifiers"]}
    assert {(DESCRIPTOR["repository"], "isSupplementTo"), ("10.5066/P13XCP3R", "isDerivedFrom")} <= related
    assert any(ref.startswith("Cordier, D. J. (2025). Mineral Commodity Summaries 2025") for ref in deposit["references"])
    assert DESCRIPTOR["id"] in deposit["notes"]
