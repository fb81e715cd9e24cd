"""`tacro dose`: a regimen from weight and mg/kg/day, or the paper's starting suggestion."""
from __future__ import annotations

import json

from dosing.cli.main import add_fail_on, add_format, add_profile_option, exit_for
from dosing.cli.options import as_option, one_line_usage_errors, profile_option, text_option
from dosing.core import render, units
from dosing.core.errors import InputError
from dosing.core.regimen import regimen, suggest_start

OPTIONS = {"weight": "--weight", "rate": "--rate", "product": "--product"}


def add_arguments(p) -> None:
    p.add_argument("--weight", required=True, help="body weight with its unit, e.g. '73 kg' or '154 lb'")
    p.add_argument("--rate", help="mg/kg/day, e.g. '0.1 mg/kg/day'; omit for the paper's starting dose")
    p.add_argument("--prior-cyclosporine-nephrotoxicity", action="store_true",
                   help="with no --rate: start lower, as the paper did after cyclosporine nephrotoxicity")
    p.add_argument("--product", default=None, help="ir-capsule (default), granules or pr-once-daily")
    add_format(p)
    add_profile_option(p)
    add_fail_on(p)
    one_line_usage_errors(p)


def run(args) -> int:
    try:
        reg = _regimen(args)
    except InputError as e:
        raise as_option(e, OPTIONS) from None
    if args.format == "json":
        print(json.dumps(reg.model_dump(mode="json"), indent=2, ensure_ascii=False))
    else:
        print(render.regimen_text(reg))
    return exit_for((f.severity for f in reg.findings), args.fail_on)


def _regimen(args):
    profile = profile_option(args.profile)
    product = text_option(args.product, "--product", "a product key: " + ", ".join(profile.products))
    weight = units.parse(args.weight, "weight", "--weight")
    if args.rate is None:
        return suggest_start(weight, args.prior_cyclosporine_nephrotoxicity, product, profile)
    return regimen(weight, units.parse(args.rate, "dose_rate", "--rate"), product, profile)
