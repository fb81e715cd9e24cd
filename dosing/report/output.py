"""Where a report goes: HTML as it is, or PDF printed by headless Chromium, always through the one
private-file writer (`dosing.io.outfile`): 0600, temporary file then rename, `-` is stdout, a FIFO or
device is written in place, a folder, socket or the store itself is refused."""
from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterable
from pathlib import Path

from dosing.core.errors import TacroError
from dosing.io.outfile import STDOUT, check_output, private_output

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "chrome")
PRINT_TIMEOUT_S = 120
SUFFIXES = {".html": "html", ".htm": "html", ".pdf": "pdf"}


def browser() -> str | None:
    """A Chromium-family browser that can print to PDF, or None."""
    for name in BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    return None


def report_kind(out: str | Path, *, force: bool, protect: Iterable[Path]) -> str:
    """"html" or "pdf" for `out`, refusing what cannot be written before any work is done.

    `-` (stdout), a FIFO or a character device takes the HTML whatever its name; a file needs
    a name ending in .html or .pdf."""
    how = check_output(out, force=force, protect=list(protect))
    if how in ("stdout", "descriptor", "in-place"):
        return "html"
    kind = SUFFIXES.get(Path(out).suffix.lower())
    if kind is None:
        raise TacroError(f"--out: got {str(out)!r}; expected a file name ending in .html or .pdf (or '-' for "
                         "the HTML on stdout)")
    if kind == "pdf" and browser() is None:
        raise TacroError("a PDF is printed by headless Chromium, which is not installed (Debian package "
                         "'chromium'). Write FILE.html instead, or install it. Nothing was written.")
    return kind


def write_report(html_text: str, out: str | Path, *, force: bool = False, protect: Iterable[Path] = ()) -> None:
    """The rendered report to `out` (see the module's rules); a PDF is printed first, then written."""
    protect = list(protect)
    if report_kind(out, force=force, protect=protect) == "pdf":
        data = _print_pdf(html_text)
        with private_output(out, force=force, binary=True, protect=protect) as f:
            f.write(data)
        return
    with private_output(out, force=force, protect=protect) as f:
        f.write(html_text)


def default_out(store_path: Path, patient_id: str, as_of: dt.date) -> Path:
    """Where the TUI writes a report: a private 'reports' folder beside the store, one file per patient and day."""
    folder = Path(store_path).parent / "reports"
    folder.mkdir(mode=0o700, exist_ok=True)
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", patient_id)[:60] or "patient"
    return folder / f"{safe}-{as_of.isoformat()}.html"


def _print_pdf(html_text: str) -> bytes:
    """The HTML printed to PDF by headless Chromium (offline: the document references nothing), in a private
    temporary folder; the bytes are returned for the writer."""
    with tempfile.TemporaryDirectory(prefix="tacro-report-") as folder:  # 0700
        page = Path(folder) / "report.html"
        target = Path(folder) / "report.pdf"
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
        return target.read_bytes()


__all__ = ["STDOUT", "browser", "default_out", "report_kind", "write_report"]
