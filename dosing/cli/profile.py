"""`tacro profile`: the active rule profile, every value with its kind and source."""
from __future__ import annotations

import json

from dosing.cli.main import add_profile_option
from dosing.core import render
from dosing.core.profile import load_profile


def add_arguments(p) -> None:
    add_profile_option(p)
    p.add_argument("--json", action="store_true", help="machine-readable output on stdout")


def run(args) -> int:
    profile = load_profile(args.profile)
    if args.json:
        print(json.dumps(profile.model_dump(mode="json"), indent=2, ensure_ascii=False))
    else:
        print(render.profile_text(profile))
    return 0
