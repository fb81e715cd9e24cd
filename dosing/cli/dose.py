"""`tacro dose`: a regimen from weight and mg/kg/day, or the paper's starting suggestion."""
from __future__ import annotations

import json

from dosing.cli.main import add_fail_on, add_format, add_profile_option, exit_for
from dosing.core import render, units
from dosing.core.profile import load_profile
from dosing.core.regimen import regimen, suggest_start


def add_arguments(p) -> None:
    p.add_argument("--weight", required=True, help="body weight with its unit, e.g. '73 kg' or '154 lb'")
    p.add_argument("--rate", help="mg/kg/day, e.g. '0.1 mg/kg/day'; omit for the paper's starting dose")
    p.add_argument("--prior-cyclosporine-nephrotoxicity", action="store_true",
                   help="with no --rate: start lower, as the paper did after cyclosporine nephrotoxicity")
    p.add_argument("--product", default=None, help="ir-capsule (default), granules or pr-once-daily")
    add_format(p)
    add_profile_option(p)
    add_fail_on(p)


def run(args) -> int:
    profile = load_profile(args.profile)
    weight = units.parse(args.weight, "weight", "--weight")
    if args.rate is None:
        reg = suggest_start(weight, args.prior_cyclosporine_nephrotoxicity, args.product, profile)
    else:
        reg = regimen(weight, units.parse(args.rate, "dose_rate", "--rate"), args.product, profile)
    if args.format == "json":
        print(json.dumps(reg.model_dump(mode="json"), indent=2, ensure_ascii=False))
    else:
        print(render.regimen_text(reg))
    return exit_for((f.severity for f in reg.findings), args.fail_on)
