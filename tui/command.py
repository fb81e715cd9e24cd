"""`tacro` / `tacro tui [--db PATH]`: the visit log on the embedded store."""
from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", metavar="PATH",
                        help="the store (SQLite file); default: TACRO_DB, else the user data directory")
    parser.add_argument("--profile", metavar="FILE", help="a TOML profile overriding the built-in 1997 profile")


def run(args: argparse.Namespace) -> int:
    """Run the app on the store at --db (else TACRO_DB, else the user data folder); 0 on a normal exit."""
    import gc

    from tui.app import make_lazy_app

    app = make_lazy_app(args.db, getattr(args, "profile", None))
    # Run as the program, start-up runs without the cyclic collector (dosing.cli.main.end_startup); the
    # app turns it back on once its first list is filled.
    app.startup_gc_paused = not gc.isenabled()
    try:
        app.run()
    finally:
        if app.clinic is not None:
            app.clinic.store.close()
    return app.return_code or 0
