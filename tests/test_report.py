"""`tacro report`: the HTML parsed (content, no network reference, 0600), PDF and PNG through headless Chromium."""
from __future__ import annotations

import shutil
import stat
import subprocess
from html.parser import HTMLParser

import pytest

from dosing.cli.main import main
from dosing.core.models import Event, Patient
from dosing.core.render import STANCE
from dosing.store.db import Store


class Parsed(HTMLParser):
    """Every tag with its attributes, and the text, of an HTML document."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "tacro.db"
    with Store.open(path) as s:
        s.add_patient(Patient(patient_id="P-7", label="clinic <A>"))
        s.save_event(Event(patient_id="P-7", date="2026-11-01", weight="154 lb", creatinine="60 umol/L",
                           sbp="120 mmHg", dbp="80 mmHg"), {"weight": "154 lb"})
        s.save_event(Event(patient_id="P-7", date="2026-11-02", event="start", dose="5 mg/day"))
        first = s.save_event(Event(patient_id="P-7", date="2026-11-12", creatinine="90 umol/L", trough="8 ng/mL"))
        s.amend_event(first, Event(patient_id="P-7", date="2026-11-12", creatinine="91 umol/L", trough="8 ng/mL"),
                      "lab corrected")
    return path


def report(db, out, *extra) -> int:
    return main(["report", "P-7", "--db", str(db), "--as-of", "2026-11-22", "--out", str(out), *extra])


def parse(path) -> Parsed:
    p = Parsed()
    p.feed(path.read_text(encoding="utf-8"))
    return p


def test_the_html_report_holds_the_record_for_the_chart_and_references_nothing_outside(db, tmp_path):
    out = tmp_path / "r.html"
    assert report(db, out) == 0
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    doc = parse(out)
    text = " ".join(doc.text)
    for needed in ("P-7", "clinic <A>", "as of 2026-11-22", "duddridge-powell-1997", "tacro 0.1.0", STANCE,
                   "CREATININE_RISE", "significant", "Checks due", "Regimen history", "5 mg/day",
                   "154 lb", "lab corrected", "creatinine 90 µmol/L", "91 µmol/L"):
        assert needed in text, needed
    svgs = [t for t, _ in doc.tags if t == "svg"]
    assert len(svgs) == 4  # trough, creatinine, blood pressure, dose
    points = [a for t, a in doc.tags if t == "circle" and a.get("data-series") == "creatinine"]
    assert [p["data-value"] for p in points] == ["60", "91"]  # the same series the TUI draws
    assert any(t == "rect" and a.get("class") == "band" for t, a in doc.tags)
    for tag, attrs in doc.tags:
        for name, value in attrs.items():
            assert not (value or "").lower().startswith(("http:", "https:", "//", "ftp:")), (tag, name)
        assert tag not in ("script", "link", "iframe", "img")
    assert "http" not in out.read_text(encoding="utf-8")


def test_an_existing_file_is_kept_unless_forced_and_a_bad_id_or_suffix_is_a_clear_error(db, tmp_path, capsys):
    out = tmp_path / "r.html"
    out.write_text("keep")
    assert report(db, out) == 2 and out.read_text() == "keep"
    assert "already exists; use --force" in capsys.readouterr().err  # the one private-file writer's wording
    assert report(db, out, "--force") == 0 and "P-7" in out.read_text()
    assert main(["report", "nobody", "--db", str(db), "--out", str(tmp_path / "x.html")]) == 2
    assert "patient_id" in capsys.readouterr().err
    assert report(db, tmp_path / "r.docx") == 2
    assert "ending in .html or .pdf" in capsys.readouterr().err


@pytest.mark.slow
def test_chromium_renders_the_report_to_png_and_prints_the_pdf(db, tmp_path):
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.skip("headless Chromium is not installed (Debian package 'chromium'); the HTML is tested by parsing")
    html, pdf, png = tmp_path / "r.html", tmp_path / "r.pdf", tmp_path / "r.png"
    assert report(db, html) == 0
    assert report(db, pdf) == 0
    assert pdf.read_bytes().startswith(b"%PDF") and stat.S_IMODE(pdf.stat().st_mode) == 0o600
    subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", f"--user-data-dir={tmp_path}/prof",
                    f"--screenshot={png}", "--window-size=1000,1400", html.as_uri()],
                   capture_output=True, timeout=120, check=False)
    data = png.read_bytes()
    assert data.startswith(b"\x89PNG") and len(data) > 20_000  # a page with tables and plots, not blank
