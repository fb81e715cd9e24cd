"""Sources users can follow: every citation resolves in the shipped references table, and no output
names a document the user does not have (internal notes, transcript line numbers)."""
from __future__ import annotations

import re
import tomllib
from importlib import resources
from pathlib import Path

import pytest

from dosing.cli.main import COMMANDS, main
from dosing.core.errors import ProfileError
from dosing.core.profile import load_profile
from dosing.core.references import CITATION, cite, keys_in, references

ROOT = Path(__file__).resolve().parents[1]
PROFILES = resources.files("dosing.core").joinpath("profiles")
SEED = ROOT.parent / "shared" / "seeds" / "002_602c2e11d0a43eba.txt"

# Names of documents a user of the package does not have; none may appear in what tacro shows or ships.
INTERNAL = re.compile(r"clinical-facts|contract ?§|protocol-1997|\.\./shared|shared/seeds|seeds/002|"
                      r"002_602c2e11d0a43eba")
LINE_NUMBER = re.compile(r"\bl\.\d+")
PAPER_SECTIONS = {"Abstract", "introduction", "case 1", "case 2", "case 3", "Discussion"}
# A case sidecar's `cite`: a section of the paper as printed, and its page(s) within 690-692.
CASE_CITE = re.compile(r"(Abstract|Introduction|Case one|Case two|Case three|Discussion), p\.69[0-2](-69[0-2])?")


def _profile_sources(path) -> list[tuple[str, str, str | None]]:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    out = []
    for table in ("values", "rules", "products"):
        for name, entry in data.get(table, {}).items():
            out.append((f"[{table}.{name}]", entry["source"], entry.get("kind")))
    return out


def test_the_table_has_a_full_citation_for_every_key():
    refs = references()
    assert {"duddridge1997", "prograf-smpc", "esh2023", "mhra2012", "tacro"} <= set(refs)
    for key, ref in refs.items():
        assert ref.short and ref.authors and ref.title and ref.issuer and ref.year, key
    paper = refs["duddridge1997"]
    assert paper.full() == ("Duddridge M, Powell RJ. Treatment of severe and difficult cases of systemic lupus "
                            "erythematosus with tacrolimus. A report of three cases. Annals of the Rheumatic "
                            "Diseases 1997;56(11):690-692.")
    assert set(paper.sections) >= {"case 2", "Discussion"}


def test_every_profile_source_resolves_and_every_published_value_cites_a_key():
    path = PROFILES.joinpath("duddridge-powell-1997.toml")
    sources = _profile_sources(path)
    assert len(sources) > 50
    for where, text, kind in sources:
        for key in keys_in(text):
            assert key in references(), f"{where}: [@{key}] is not in the references table"
        if kind in {"stated", "derived", "guideline", "interpretation"} or where.startswith(("[rules.", "[products.")):
            if where != "[rules.INPUT_INVALID]":  # tacro's own validation: nothing to cite
                assert keys_in(text), f"{where} cites no reference key: {text!r}"
        assert "[@" not in cite(text, where)


def test_every_citation_in_code_resolves():
    found = []
    for path in sorted((ROOT / "dosing").rglob("*.py")) + sorted((ROOT / "tui").rglob("*.py")):
        if path.name == "references.py":  # documents the syntax with placeholder keys
            continue
        for m in CITATION.finditer(path.read_text(encoding="utf-8")):
            found.append((path.name, m.group(1)))
    assert {name for name, _ in found} >= {"adjust.py", "units.py"}
    for name, key in found:
        assert key in references(), f"{name}: [@{key}] is not in the references table"


def test_case_sidecars_cite_the_paper_by_section():
    for n in (1, 2, 3):
        data = tomllib.loads(resources.files("dosing.replay").joinpath(f"cases/case{n}.toml").read_text("utf-8"))
        assert "Ann Rheum Dis 1997;56:690-692" in data["case"]["source"]
        for row in data["rows"]:  # what a trainee sees: "Case two, p.691; Discussion, p.692"
            places = row["cite"].split("; ")
            assert places and all(CASE_CITE.fullmatch(p) for p in places), row


def test_a_user_profile_may_cite_a_key_or_write_plain_text_but_not_an_unknown_key(tmp_path):
    good = tmp_path / "local.toml"
    good.write_text('[values.trough_upper_band]\nvalue = "15 ng/mL"\nsource = "Local LN protocol 2026; [@prograf-smpc, '
                    'section 4.2]"\n')
    v = load_profile(good).values["trough_upper_band"]
    assert v.source == "Local LN protocol 2026; Prograf capsules SmPC (UK), section 4.2"
    bad = tmp_path / "bad.toml"
    bad.write_text('[values.trough_upper_band]\nvalue = "15 ng/mL"\nsource = "[@nosuchkey]"\n')
    with pytest.raises(ProfileError, match=r"\[values.trough_upper_band\] source: unknown reference \[@nosuchkey\]"):
        load_profile(bad)


def _normalise(text: str) -> str:
    import unicodedata

    text = unicodedata.normalize("NFKC", text)
    text = re.sub(r"-[ \t]*\n\s*", "", text)
    text = re.sub(r"(?<=[a-z])Y(?=[a-z])", "ffi", text)
    text = re.sub(r"(?<=[a-z])V(?=[a-z])", "ff", text)
    return re.sub(r"\s+", " ", text.replace("\u2019", "'")).strip()


def test_the_paper_quotes_in_the_table_are_the_papers_words():
    if not SEED.exists():
        pytest.skip("the paper's plain-text transcript is not available here")
    seed = _normalise(SEED.read_text(encoding="utf-8"))
    for locator, quote in references()["duddridge1997"].sections.items():
        for passage in quote.split(" ... "):
            assert _normalise(passage) in seed, f"{locator}: {passage!r}"


def _shipped_text_files():
    for pkg in ("dosing", "tui"):
        for path in sorted((ROOT / pkg).rglob("*")):
            if path.is_file() and path.suffix in {".toml", ".md", ".csv", ".tcss", ".txt", ".json"}:
                yield path


def test_package_data_names_no_internal_document():
    files = list(_shipped_text_files())
    assert any(p.name == "references.toml" for p in files) and any(p.name == "case1.toml" for p in files)
    for path in files:
        text = path.read_text(encoding="utf-8")
        assert not INTERNAL.search(text), f"{path.relative_to(ROOT)}: {INTERNAL.search(text).group(0)!r}"


def test_no_cli_output_names_an_internal_document_or_a_transcript_line():
    outputs = sorted((ROOT / "tests" / "golden").glob("*.txt")) + sorted((ROOT / "tests" / "__snapshots__").rglob("*.svg"))
    assert len(outputs) > 20
    for path in outputs:
        text = path.read_text(encoding="utf-8")
        for pattern in (INTERNAL, LINE_NUMBER):
            m = pattern.search(text)
            assert m is None, f"{path.name}: {m.group(0)!r}"


@pytest.mark.parametrize("argv", [["--help"], *([name, "--help"] for name in COMMANDS), ["profile"],
                                  ["profile", "--references"], ["profile", "--json"]])
def test_help_and_profile_output_name_no_internal_document(argv, capsys):
    main(argv)
    out = capsys.readouterr()
    text = out.out + out.err
    assert text.strip()
    assert not INTERNAL.search(text), INTERNAL.search(text).group(0)
    assert not LINE_NUMBER.search(text), LINE_NUMBER.search(text).group(0)
