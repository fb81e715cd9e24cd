"""`tacro report PATIENT_ID [--db PATH] [--as-of DATE] --out FILE.html|FILE.pdf`: a patient report for the chart.

HTML is self-contained (inline CSS and SVG, no network reference). PDF is the
same HTML printed by headless Chromium (Debian's `chromium` package) when it is
installed; otherwise the command says so and writes nothing. The file is
created 0600, written beside its target and moved into place; an existing file
is replaced only with --force.
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from dosing.core.errors import TacroError

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "chrome")
PRINT_TIMEOUT_S = 120


def add_arguments(p: argparse.ArgumentParser) -> None:
    from dosing.cli.main import add_profile_option

    p.add_argument("patient_id", metavar="PATIENT_ID", help="the patient's id in the store, exactly as stored")
    p.add_argument("--db", metavar="PATH", help="the store (default: TACRO_DB or the user data folder)")
    p.add_argument("--as-of", metavar="DATE", help="report as of this ISO date (default today)")
    p.add_argument("--out", metavar="FILE", required=True, help="FILE.html or FILE.pdf")
    p.add_argument("--force", action="store_true", help="replace FILE if it exists")
    add_profile_option(p)


def browser() -> str | None:
    """A Chromium-family browser that can print to PDF, or None."""
    for name in BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    return None


def run(args: argparse.Namespace) -> int:
    import dosing
    from dosing.cli.check import _as_of
    from dosing.core.profile import load_profile
    from dosing.report.html import read_report_data, render_html
    from dosing.store.db import Store, default_path

    out = Path(os.path.abspath(args.out))
    kind = out.suffix.lower()
    if kind not in (".html", ".htm", ".pdf"):
        raise TacroError(f"--out: got {args.out!r}; expected a file name ending in .html or .pdf")
    if out.is_dir():
        raise TacroError(f"--out: {out} is a folder; give a file name. Nothing was written.")
    if out.exists() and not args.force:
        raise TacroError(f"--out: {out} already exists; pass --force to replace it. Nothing was written.")
    if kind == ".pdf" and browser() is None:
        raise TacroError("a PDF is printed by headless Chromium, which is not installed (Debian package "
                         "'chromium'). Write FILE.html instead, or install it. Nothing was written.")
    as_of = _as_of(args.as_of)
    profile = load_profile(args.profile)
    with Store.open(args.db or default_path(), create=False) as store:
        real = os.path.realpath(out)
        if any(real == os.path.realpath(f"{store.path}{side}") for side in ("", "-wal", "-shm", "-journal")):
            raise TacroError(f"--out: refusing to write over the store or its journal ({out}). Nothing was written.")
        data = read_report_data(store, args.patient_id, profile, as_of)
    write(render_html(data, profile, as_of, dosing.__version__, dt.datetime.now()), out, args.force)
    return 0


def write(text: str, out: Path, force: bool = False) -> None:
    """The rendered report to `out`: HTML as it is, PDF printed by Chromium; 0600, never half-written."""
    if out.suffix.lower() == ".pdf":
        _write(out, lambda tmp: _print_pdf(text, tmp), force)
    else:
        _write(out, lambda tmp: tmp.write_text(text, encoding="utf-8"), force)


def default_out(store_path: Path, patient_id: str, as_of: dt.date) -> Path:
    """Where the TUI writes a report: a private 'reports' folder beside the store, one file per patient and day."""
    import re

    folder = Path(store_path).parent / "reports"
    folder.mkdir(mode=0o700, exist_ok=True)
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", patient_id)[:60] or "patient"
    return folder / f"{safe}-{as_of.isoformat()}.html"


def _print_pdf(html_text: str, target: Path) -> None:
    """Print the HTML to `target` with headless Chromium (offline: the document references nothing)."""
    with tempfile.TemporaryDirectory(prefix="tacro-report-") as folder:  # 0700
        page = Path(folder) / "report.html"
        fd = os.open(page, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(html_text)
        cmd = [browser() or "chromium", "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
               f"--user-data-dir={folder}/profile", "--no-pdf-header-footer", f"--print-to-pdf={target}",
               page.as_uri()]
        try:
            done = subprocess.run(cmd, capture_output=True, timeout=PRINT_TIMEOUT_S, check=False)
        except (OSError, subprocess.TimeoutExpired) as e:
            raise TacroError(f"Chromium could not print the PDF ({type(e).__name__}). Nothing was written.") from None
        if done.returncode != 0 or not target.exists() or target.stat().st_size == 0:
            raise TacroError(f"Chromium could not print the PDF (exit {done.returncode}). Nothing was written.")


def _write(out: Path, fill, force: bool) -> None:
    """Write through a private temporary file beside `out`, then move it into place (0600)."""
    try:
        fd, name = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=".tmp")  # 0600
    except OSError as e:
        raise TacroError(f"cannot write in {out.parent}: {e.strerror}. Nothing was written.") from None
    os.close(fd)
    tmp = Path(name)
    try:
        fill(tmp)
        os.chmod(tmp, 0o600)
        if force:
            os.replace(tmp, out)
        else:
            try:
                os.link(tmp, out)
            except FileExistsError:
                raise TacroError(f"--out: {out} already exists; pass --force to replace it. "
                                 "Nothing was written.") from None
    except OSError as e:
        raise TacroError(f"could not write {out}: {e.strerror}. Nothing was written.") from None
    finally:
        tmp.unlink(missing_ok=True)
