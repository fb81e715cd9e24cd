"""`tacro report PATIENT_ID [--db PATH] [--as-of DATE] --out FILE.html|FILE.pdf`: a patient report for the chart.

HTML is self-contained (inline CSS and SVG, no network reference). PDF is the
same HTML printed by headless Chromium (Debian's `chromium` package) when it is
installed; otherwise the command says so and writes nothing. The file is
written by tacro's one private-file writer: created 0600 beside its target and
moved into place, an existing file replaced only with --force, `-` for the HTML
on stdout, a FIFO or device written in place, the store never written over.
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
from pathlib import Path


def add_arguments(p: argparse.ArgumentParser) -> None:
    from dosing.cli.main import add_profile_option

    p.add_argument("patient_id", metavar="PATIENT_ID", help="the patient's id in the store, exactly as stored")
    p.add_argument("--db", metavar="PATH", help="the store (default: TACRO_DB or the user data folder)")
    p.add_argument("--as-of", metavar="DATE", help="report as of this ISO date (default today)")
    p.add_argument("--out", metavar="FILE", required=True,
                   help="FILE.html or FILE.pdf ('-' is the HTML on stdout; a FIFO or device is written in place)")
    p.add_argument("--force", action="store_true", help="replace FILE if it is an existing regular file")
    add_profile_option(p)


def run(args: argparse.Namespace) -> int:
    import dosing
    from dosing.cli.check import _as_of
    from dosing.core.profile import load_profile
    from dosing.report.html import read_report_data, render_html
    from dosing.report.output import STDOUT, report_kind, write_report
    from dosing.store.db import Store, default_path

    out: str | Path = args.out if args.out == STDOUT else Path(os.path.abspath(args.out))
    store_path = Path(args.db or default_path())
    report_kind(out, force=args.force, protect=[store_path])  # refuse before any work
    as_of = _as_of(args.as_of)
    profile = load_profile(args.profile)
    with Store.open(store_path, create=False) as store:
        data = read_report_data(store, args.patient_id, profile, as_of)
        protect = [Path(store.path)]
    write_report(render_html(data, profile, as_of, dosing.__version__, dt.datetime.now()), out,
                 force=args.force, protect=protect)
    return 0
