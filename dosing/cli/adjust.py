"""`tacro adjust`: proportional dose adjustment, judged by the rules, always with its caveats."""
from __future__ import annotations

import datetime as dt
import json

from pydantic import ValidationError

from dosing.cli.main import add_fail_on, add_format, add_profile_option, exit_for
from dosing.cli.options import as_option, one_line_usage_errors, profile_option, text_option
from dosing.core import clock, render, units
from dosing.core.adjust import adjust, validate_inputs
from dosing.core.errors import ImplausibleValueError, InputError
from dosing.core.models import Event, Finding
from dosing.core.plausibility import canonical_limits, expected_text, out_of_range
from dosing.core.regimen import strip_dates

OPTIONS = {"dose": "--dose", "trough": "--trough", "target": "--target", "weight": "--weight",
           "product": "--product", "hours_post_dose": "--hours-post-dose", "creatinine": "--creatinine",
           "sbp": "--bp", "dbp": "--bp"}


def add_arguments(p) -> None:
    p.add_argument("--dose", required=True,
                   help="current TOTAL daily dose, e.g. '7 mg/day' (for 3.5 mg twice daily)")
    p.add_argument("--trough", required=True, help="measured 12-hour trough, e.g. '20.2 ng/mL' or '25 nmol/L'")
    p.add_argument("--target", required=True, help="target trough, e.g. '10 ng/mL'")
    p.add_argument("--product", default=None, help="ir-capsule (default) or granules")
    p.add_argument("--weight", help="body weight, to show the mg/kg/day of each option")
    p.add_argument("--hours-post-dose", help="time from the last dose to the sample, e.g. '12 h'")
    p.add_argument("--creatinine", help="current creatinine, e.g. '92 umol/L'")
    p.add_argument("--baseline-creatinine", help="pre-treatment creatinine, e.g. '77 umol/L'")
    p.add_argument("--bp", help="current blood pressure, e.g. '160/100 mmHg'")
    add_format(p)
    add_profile_option(p)
    add_fail_on(p)
    one_line_usage_errors(p)


def _dose(text: str):
    try:
        return units.parse(text, "daily_dose", "--dose")
    except InputError:
        raise InputError("--dose", text, "the total daily dose with its unit, e.g. '7 mg/day' "
                         "(for 3.5 mg twice daily); a single dose in mg is ambiguous") from None


def _plausible(q, field: str, option: str, profile):
    """q, or a refusal naming the option when it is outside the profile's plausible range."""
    kind = {"hours_post_dose": "duration", "sbp": "pressure", "dbp": "pressure"}.get(field, field)
    value = units.to_canonical(q, kind)
    if not value == value or out_of_range(field, value, canonical_limits(profile)):
        raise ImplausibleValueError(option, units.format_quantity(q), expected_text(field, profile))
    return q


def _event(row: dict, profile, option_of: dict[str, str]) -> Event:
    """A validated event, or the model's refusal named by the option that carried the value."""
    try:
        return Event.model_validate(row, context={"profile": profile})
    except ValidationError as e:
        err = e.errors()[0]
        cause = (err.get("ctx") or {}).get("error")
        if isinstance(cause, InputError):
            raise as_option(cause, option_of) from None
        field = str(err["loc"][0]) if err.get("loc") else "input"
        raise InputError(option_of.get(field, field), row.get(field), err["msg"]) from None


def context_findings(args, profile) -> list[Finding]:
    """Findings on today's values (creatinine against the baseline given, BP, timing, trough).

    The baseline has no date: it is "as given", and no date is shown for it or for today's values.
    """
    from dosing.core.assess import assess

    today = clock.today()
    before = today - dt.timedelta(days=1)
    events = []
    start = {"patient_id": "adjust", "date": before, "event": "start", "dose": _dose(args.dose)}
    if args.baseline_creatinine is not None:
        start["creatinine"] = _plausible(units.parse(args.baseline_creatinine, "creatinine", "--baseline-creatinine"),
                                         "creatinine", "--baseline-creatinine", profile)
    events.append(_event(start, profile, {**OPTIONS, "creatinine": "--baseline-creatinine"}))
    row = {"patient_id": "adjust", "date": today,
           "trough": _plausible(units.parse(args.trough, "trough", "--trough"), "trough", "--trough", profile)}
    if args.creatinine is not None:
        row["creatinine"] = _plausible(units.parse(args.creatinine, "creatinine", "--creatinine"),
                                       "creatinine", "--creatinine", profile)
    if args.bp is not None:
        sbp, dbp = units.parse_bp(args.bp, "--bp")
        row["sbp"], row["dbp"] = _plausible(sbp, "sbp", "--bp", profile), _plausible(dbp, "dbp", "--bp", profile)
    if args.hours_post_dose is not None:
        row["hours_post_dose"] = _plausible(units.parse(args.hours_post_dose, "duration", "--hours-post-dose"),
                                            "hours_post_dose", "--hours-post-dose", profile)
    if args.product is not None:
        row["product"] = args.product
    events.append(_event({**row, "line": 2}, profile, OPTIONS))
    found = assess(events, profile, today).findings
    return [strip_dates(f, {before: "as given"}) for f in found if f.line == 2 and f.rule != "CHECK_OVERDUE"]


def run(args) -> int:
    try:
        result = _adjust(args)
    except InputError as e:
        raise as_option(e, OPTIONS) from None
    if args.format == "json":
        print(json.dumps(result.model_dump(mode="json"), indent=2, ensure_ascii=False))
    else:
        print(render.adjustment_text(result))
    shown = [*result.supporting, *result.against, *result.other, *(f for o in result.options for f in o.findings)]
    return exit_for([f.severity for f in shown], args.fail_on)


def _adjust(args):
    profile = profile_option(args.profile)
    text_option(args.product, "--product", "a product key: " + ", ".join(profile.products))
    weight = units.parse(args.weight, "weight", "--weight") if args.weight is not None else None
    if args.creatinine is not None and args.baseline_creatinine is None:
        raise InputError("--baseline-creatinine", None, "the pre-treatment creatinine to compare --creatinine with")
    dose, trough = _dose(args.dose), units.parse(args.trough, "trough", "--trough")
    target = units.parse(args.target, "trough", "--target")
    validate_inputs(dose, trough, target, weight, profile)  # the inputs' own limits before any context
    context = context_findings(args, profile)
    return adjust(dose, trough, target, args.product, weight, context, profile)
