"""`tacro adjust`: proportional dose adjustment, always with its caveats and cautions."""
from __future__ import annotations

import datetime as dt
import json

from dosing.cli.main import add_fail_on, add_format, add_profile_option, exit_for
from dosing.core import clock, render, units
from dosing.core.adjust import AGAINST_RAISING, adjust
from dosing.core.errors import InputError
from dosing.core.models import Event
from dosing.core.profile import load_profile


def add_arguments(p) -> None:
    p.add_argument("--dose", required=True,
                   help="current TOTAL daily dose, e.g. '7 mg/day' (for 3.5 mg twice daily)")
    p.add_argument("--trough", required=True, help="measured 12-hour trough, e.g. '20.2 ng/mL' or '25 nmol/L'")
    p.add_argument("--target", required=True, help="target trough, e.g. '10 ng/mL'")
    p.add_argument("--product", default=None, help="ir-capsule (default) or granules")
    p.add_argument("--weight", help="body weight, to show the mg/kg/day of the new dose")
    p.add_argument("--hours-post-dose", help="time from the last dose to the sample, e.g. '12 h'")
    p.add_argument("--creatinine", help="current creatinine, e.g. '92 umol/L'")
    p.add_argument("--baseline-creatinine", help="pre-treatment creatinine, e.g. '77 umol/L'")
    p.add_argument("--bp", help="current blood pressure, e.g. '160/100 mmHg'")
    add_format(p)
    add_profile_option(p)
    add_fail_on(p)


def _dose(text: str):
    try:
        return units.parse(text, "daily_dose", "--dose")
    except InputError:
        raise InputError("--dose", text, "the total daily dose with its unit, e.g. '7 mg/day' "
                         "(for 3.5 mg twice daily); a single dose in mg is ambiguous") from None


def context_findings(args, profile):
    """Findings from today's values (and the baseline creatinine) that may argue against a change."""
    from dosing.core.assess import assess

    today = clock.today()
    if args.creatinine is None and args.bp is None and args.hours_post_dose is None and args.trough is None:
        return []
    events = []
    if args.baseline_creatinine:
        events.append(Event.model_validate(
            {"patient_id": "adjust", "date": today - dt.timedelta(days=1), "event": "visit",
             "creatinine": units.parse(args.baseline_creatinine, "creatinine", "--baseline-creatinine")},
            context={"profile": profile}))
    row = {"patient_id": "adjust", "date": today, "trough": units.parse(args.trough, "trough", "--trough")}
    if args.creatinine:
        row["creatinine"] = units.parse(args.creatinine, "creatinine", "--creatinine")
    if args.bp:
        row["sbp"], row["dbp"] = units.parse_bp(args.bp, "--bp")
    if args.hours_post_dose:
        row["hours_post_dose"] = units.parse(args.hours_post_dose, "duration", "--hours-post-dose")
    if args.product:
        row["product"] = args.product
    events.append(Event.model_validate(row, context={"profile": profile}))
    found = assess(events, profile, today).findings
    return [f for f in found if f.rule in AGAINST_RAISING]


def run(args) -> int:
    profile = load_profile(args.profile)
    weight = units.parse(args.weight, "weight", "--weight") if args.weight else None
    if args.creatinine and not args.baseline_creatinine:
        raise InputError("--baseline-creatinine", None, "the pre-treatment creatinine to compare --creatinine with")
    context = context_findings(args, profile)
    result = adjust(_dose(args.dose), units.parse(args.trough, "trough", "--trough"),
                    units.parse(args.target, "trough", "--target"), args.product, weight, context, profile)
    if args.format == "json":
        print(json.dumps(result.model_dump(mode="json"), indent=2, ensure_ascii=False))
    else:
        print(render.adjustment_text(result))
    return exit_for([f.severity for f in (*result.cautions, *result.findings)], args.fail_on)
