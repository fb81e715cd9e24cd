"""`tacro` / `tacro tui [--db PATH]`: the visit log on the embedded store."""
from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", metavar="PATH",
                        help="the store (SQLite file); default: TACRO_DB, else the user data directory")
    parser.add_argument("--profile", metavar="FILE", help="a TOML profile overriding the built-in 1997 profile")


def run(args: argparse.Namespace) -> int:
    from dosing.profile import load_profile
    from dosing.store import Store, default_path
    from tui.app import make_app

    profile = load_profile(getattr(args, "profile", None))
    path = args.db or default_path()
    with Store.open(path) as store:
        app = make_app(store, profile, db_path=path)
        app.run()
    return app.return_code or 0
