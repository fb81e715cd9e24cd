"""Replay the three published cases (Duddridge & Powell 1997) event by event, as data.

`replay(case, weight=None)` reads `dosing/replay/cases/caseN.csv` (package data) through the same
strict log reader as `tacro check`, assesses it with the same rules, and pairs
each event with its provenance (`caseN.toml`): the paper's words and lines,
whether the date is stated or approximated, and what the clinicians did.
The CLI and the TUI render the returned objects; neither re-derives anything.

What the replay does not show: CHECK_OVERDUE. The paper reports a handful of
events, not every visit, so a missed window there means "not reported", not
"not done"; the checks due after each event are shown instead.

Where the rules and the clinicians differ is marked two ways: automatically
when the clinicians set a dose outside the paper's own 0.05–0.15 mg/kg/day band
(a dose finding on a row that sets the dose), and by a curated judgement in the
sidecar (`rules_vs_clinicians`, with its reason) for the other findings,
because the paper records actions in prose.
"""
from __future__ import annotations

import datetime as dt
import tomllib
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

import pint
from pydantic import BaseModel, ConfigDict

from dosing.core import units
from dosing.core.assess import assess_columns
from dosing.core.errors import InputError, TacroError
from dosing.core.models import Finding
from dosing.core.profile import Profile, default_profile
from dosing.core.schedule import DueCheck

CASES_DIR = resources.files("dosing.replay").joinpath("cases")  # package data, so a wheel install has them
CASE_NUMBERS = (1, 2, 3)
DOSE_RULES = ("DOSE_ABOVE_CEILING", "DOSE_BELOW_EFFECTIVE")
EVENT_TITLES = {"start": "start", "dose_change": "dose change", "visit": "visit", "stop": "stop"}


class ReplayStep(BaseModel):
    """One event of a published case, with what the tool computes and what the clinicians did."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    index: int
    date: dt.date
    date_basis: str
    """'stated' or 'approximated' (see date_reasoning)."""
    date_reasoning: str
    event: str
    inputs: dict[str, str]
    """The values as the paper gives them."""
    regimen: str | None
    """The dose in force after this event (mg amounts only with a weight the user gave)."""
    findings: list[Finding]
    creatinine: str | None
    """The creatinine against baseline, computed, whether or not it is a finding."""
    due: list[DueCheck]
    clinicians_did: str
    quote: str
    section: str
    """Where in the paper the quote is: 'case 1', 'case 3; Discussion'."""
    differs: bool
    difference: str
    """Why the rules and the clinicians differ here (empty when they do not)."""
    paper_vs_tool: list[str]
    """Where the paper's own arithmetic differs from the tool's, both shown with the reason."""
    note: str


class Replay(BaseModel):
    """A published case replayed."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    case: int
    title: str
    source: str
    outcome: str
    weight_note: str
    weight: str | None
    """The weight the user gave for mg amounts, or None (doses stay in mg/kg/day)."""
    prior_cyclosporine_nephrotoxicity: bool
    steps: list[ReplayStep]
    notes: list[str]


def load_sidecar(case: int, cases_dir: Path | Traversable = CASES_DIR) -> dict:
    path = cases_dir / f"case{case}.toml"
    try:
        with path.open("rb") as f:
            return tomllib.load(f)
    except FileNotFoundError:
        raise TacroError(f"case fixture not found: {path}") from None


def replay(case: int, weight: pint.Quantity | None = None, profile: Profile | None = None,
           cases_dir: Path | Traversable = CASES_DIR) -> Replay:
    """Replay published case 1, 2 or 3."""
    from dosing.io.logfile import read_log  # the strict reader of `tacro check` and `tacro import`

    if case not in CASE_NUMBERS:
        raise InputError("case", case, "1, 2, 3 or all")
    profile = profile or default_profile()
    if weight is not None:
        units.require(weight, "weight", "--weight")
    meta = load_sidecar(case, cases_dir)
    with resources.as_file(cases_dir / f"case{case}.csv") as csv_path:
        log = read_log(csv_path, profile, as_of=dt.date(2026, 1, 1))
    if log.invalid:
        first = log.invalid[0]
        raise TacroError(f"case {case} fixture has an invalid cell at line {first.line}, {first.column}: "
                         f"{first.expected}")
    rows = meta["rows"]
    if len(rows) != len(log.columns):
        raise TacroError(f"case {case}: {len(log.columns)} log rows but {len(rows)} provenance entries")
    last_day = int(log.columns.day.max())
    result = assess_columns(log.columns, profile, dt.date.fromordinal(last_day))
    steps = []
    for k, step in enumerate(result.per_event):
        src_index = result.order[k]
        prov = rows[src_index]
        raw = {name: str(col[src_index]) for name, col in log.raw.items()}
        steps.append(_step(k + 1, step, prov, raw, log.header_units, weight, profile))
    return Replay(
        case=case, title=meta["case"]["title"], source=meta["case"]["source"],
        outcome=meta["case"].get("outcome", ""), weight_note=meta["case"]["weight_note"],
        weight=units.format_quantity(weight) if weight is not None else None,
        prior_cyclosporine_nephrotoxicity=bool(meta["case"].get("prior_cyclosporine_nephrotoxicity", False)),
        steps=steps,
        notes=[
            "Dates: the paper gives months and offsets; each step says whether its date is stated or approximated.",
            "CHECK_OVERDUE is not shown: the paper reports a handful of events, not every visit.",
            "Doses are the paper's mg/kg/day; body weight is never stated"
            + (f", so mg amounts use the weight you gave ({units.format_quantity(weight)})."
               if weight is not None else "; give --weight to see mg amounts."),
        ],
    )


def _inputs(raw: dict[str, str], header_units: dict[str, str]) -> dict[str, str]:
    out = {}
    for name, label in (("dose_rate", "dose"), ("dose", "dose"), ("weight", "weight"), ("trough", "trough"),
                        ("creatinine", "creatinine")):
        cell = raw.get(name, "").strip()
        if cell:
            unit = header_units.get(name, "")
            out[label] = f"{cell} {_display_unit(unit)}".strip()
    if raw.get("sbp", "").strip() and raw.get("dbp", "").strip():
        out["blood pressure"] = f"{raw['sbp'].strip()}/{raw['dbp'].strip()} mmHg"
    return out


def _display_unit(unit: str) -> str:
    return {"umol/L": "µmol/L", "ug/L": "µg/L"}.get(unit, unit)


def _regimen_text(dose, weight: pint.Quantity | None, profile: Profile) -> str | None:
    if dose is None:
        return None
    if dose.rate is None:
        return f"{dose.daily_dose} ({dose.product})" if dose.daily_dose else None
    text = f"{dose.rate} ({dose.product}) since {dose.since.isoformat()}"
    if weight is not None:
        from dosing.core.regimen import regimen

        try:
            r = regimen(weight, dose.rate and units.Q_(dose.rate.value, "mg/kg/day"), dose.product, profile)
            text += (f"; for {units.format_quantity(weight)} (the weight you gave, not the paper's): "
                     f"{r.requested_daily_dose} -> {r.summary()}")
        except TacroError as e:
            text += f"; no capsule regimen for {units.format_quantity(weight)}: {e.message}"
    return text


def _creatinine_text(rise: dict | None) -> str | None:
    if rise is None:
        return None
    r = rise["rise"].value
    word = "rise" if r > 0 else "fall" if r < 0 else "no change"
    assumed = " (baseline assumed)" if rise["assumed"] else ""
    return (f"creatinine {rise['creatinine']} vs baseline {rise['baseline']} of "
            f"{rise['baseline_date'].isoformat()}{assumed}: {word} of {units.format_number(abs(r), 1)}% "
            f"(computed as (new − baseline) / baseline)")


def _step(index: int, step: dict, prov: dict, raw: dict[str, str], header_units: dict[str, str],
          weight: pint.Quantity | None, profile: Profile) -> ReplayStep:
    findings: list[Finding] = step["findings"]
    dose_set = bool(raw.get("dose_rate", "").strip() or raw.get("dose", "").strip())
    auto = [f for f in findings if f.rule in DOSE_RULES and dose_set]
    curated = prov.get("rules_vs_clinicians", "")
    reasons = []
    if auto:
        reasons.append(
            f"The clinicians chose {auto[0].value} — outside the paper's own suggested "
            f"{profile.values['effective_floor_rate'].text}–{profile.values['ceiling_rate'].text} "
            f"({auto[0].rule})."
        )
    if curated == "differ":
        reasons.append(prov.get("rules_vs_clinicians_note", "").strip())
    paper_vs_tool = []
    if prov.get("paper_says"):
        tool = _creatinine_text(step["creatinine_rise"]) or "(no computed value)"
        paper_vs_tool.append(f"The paper says {prov['paper_says']}; the tool computes {tool}. "
                             f"{prov.get('paper_says_note', '')}".strip())
    return ReplayStep(
        index=index, date=step["date"], date_basis=prov.get("date_basis", ""),
        date_reasoning=prov.get("date_reasoning", ""),
        event=EVENT_TITLES.get(raw.get("event", "").strip() or "visit", raw.get("event", "")),
        inputs=_inputs(raw, header_units), regimen=_regimen_text(step["dose"], weight, profile),
        findings=findings, creatinine=_creatinine_text(step["creatinine_rise"]), due=step["due"],
        clinicians_did=prov.get("clinicians_did", ""), quote=prov.get("quote", ""),
        section=prov.get("section", ""), differs=bool(reasons),
        difference=" ".join(r for r in reasons if r), paper_vs_tool=paper_vs_tool, note=raw.get("note", ""),
    )


def replay_text(r: Replay) -> str:
    """A trainee's view of a replay: one block per event."""
    from dosing.core.render import findings_text

    out = [f"Case {r.case}: {r.title}", f"  {r.source}", f"  {r.weight_note}"]
    if r.weight:
        out.append(f"  mg amounts use the weight you gave: {r.weight} (the paper gives none)")
    out.append("")
    for s in r.steps:
        mark = "  <-- RULES AND CLINICIANS DIFFER" if s.differs else ""
        out.append(f"[{s.index}] {s.date.isoformat()} ({s.date_basis} date) {s.event}{mark}")
        if s.inputs:
            out.append("  paper's values: " + "; ".join(f"{k} {v}" for k, v in s.inputs.items()))
        if s.regimen:
            out.append(f"  regimen in force: {s.regimen}")
        if s.creatinine:
            out.append(f"  {s.creatinine}")
        out.append("  tool's findings:")
        out.append(findings_text(s.findings, "    "))
        for line in s.paper_vs_tool:
            out.append(f"  paper vs tool: {line}")
        out.append(f"  clinicians did: {s.clinicians_did}")
        out.append(f"  paper ({s.section}): \"{s.quote}\"")
        if s.differs:
            out.append(f"  differs: {s.difference}")
        for d in s.due:
            out.append(f"  next {d.title}: {d.due_from.isoformat()} to {d.due_by.isoformat()} ({d.reason})")
        out.append("")
    out += ["Notes", *(f"  - {n}" for n in r.notes)]
    out.append(f"Outcome (paper): {r.outcome}")
    return "\n".join(out)
