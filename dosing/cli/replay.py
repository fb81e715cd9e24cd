"""`tacro replay CASE`: step through a published case, rules against clinicians."""
from __future__ import annotations

import json

from dosing.cli.main import add_format, add_profile_option
from dosing.core import units
from dosing.core.profile import load_profile


def add_arguments(p) -> None:
    p.add_argument("case", choices=["1", "2", "3", "all"], help="published case 1, 2, 3 or all")
    p.add_argument("--weight", help="a weight for mg amounts, e.g. '70 kg' (the paper gives none)")
    add_format(p)
    add_profile_option(p)


def run(args) -> int:
    from dosing.replay.engine import CASE_NUMBERS, replay, replay_text

    profile = load_profile(args.profile)
    weight = units.parse(args.weight, "weight", "--weight") if args.weight else None
    cases = CASE_NUMBERS if args.case == "all" else (int(args.case),)
    replays = [replay(n, weight, profile) for n in cases]
    if args.format == "json":
        data = [r.model_dump(mode="json") for r in replays]
        print(json.dumps(data if args.case == "all" else data[0], indent=2, ensure_ascii=False))
    else:
        print("\n\n".join(replay_text(r) for r in replays))
    return 0
