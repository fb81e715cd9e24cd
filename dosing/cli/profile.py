"""`tacro profile`: the active rule profile, every value with its kind and source."""
from __future__ import annotations

import json

from dosing.cli.main import add_format, add_profile_option
from dosing.core import render
from dosing.core.profile import load_profile
from dosing.core.references import references, references_text


def add_arguments(p) -> None:
    add_profile_option(p)
    p.add_argument("--references", action="store_true",
                   help="print the full citation of every source key the profile can cite")
    add_format(p)


def run(args) -> int:
    if args.references:
        if args.format == "json":
            print(json.dumps([r.model_dump(mode="json") for r in references().values()], indent=2,
                             ensure_ascii=False))
        else:
            print(references_text())
        return 0
    profile = load_profile(args.profile)
    if args.format == "json":
        print(json.dumps(profile.model_dump(mode="json"), indent=2, ensure_ascii=False))
    else:
        print(render.profile_text(profile))
        print("\nFull citations of these sources: tacro profile --references")
    return 0
