"""Replay the three published cases (Duddridge & Powell 1997), or a case file, event by event, as data.

`replay(case, weight=None)` reads `dosing/replay/cases/caseN.csv` (package data) through the same
strict log reader as `tacro check`, assesses it with the same rules, and pairs
each event with its provenance (`caseN.toml`): the paper's words and where they
are (section and page), whether the date is stated or approximated, what the
clinicians did, and the quiz's choices with the paper's own action marked.
`replay_file(path)` does the same for a local or invented case a tutor wrote
as data (`casefile.py`, `cases/README.md`). The CLI and the TUI render the returned
objects; neither re-derives anything.

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

import numpy as np
import pint
from pydantic import BaseModel, ConfigDict, Field

from dosing.core import units
from dosing.core.assess import assess_columns
from dosing.core.errors import InputError, TacroError
from dosing.core.models import Finding
from dosing.core.profile import Profile, default_profile
from dosing.core.rules.schedule import DueCheck
from dosing.replay.casefile import CaseFile, Choice, SidecarRow, parse_case_file

CASES_DIR = resources.files("dosing.replay").joinpath("cases")  # package data, so a wheel install has them
CASE_NUMBERS = (1, 2, 3)
DOSE_RULES = ("DOSE_ABOVE_CEILING", "DOSE_BELOW_EFFECTIVE")
EVENT_TITLES = {"start": "start", "dose_change": "dose change", "visit": "visit", "stop": "stop"}
PUBLISHED_AS_OF = dt.date(2026, 1, 1)  # the shipped cases are read as of a fixed date: same output every day
PLOTTED = ("trough", "creatinine", "sbp", "dbp")
KIND_NOTICES = {
    "published": "",
    "local": "LOCAL CASE: written by a tutor from local notes; not one of the paper's published cases.",
    "invented": "INVENTED TEACHING CASE: made up for teaching. It is not a published case and no patient's data.",
}


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
    cite: str
    """Where the quote is, by section and page."""
    source_lines: str = Field(exclude=True)
    """Line numbers in the project's reference text, for the test suite only: never shown or exported."""
    row: int
    """The case file's row (1-based, log order) this step replays."""
    situation: str
    """What the clinicians knew before deciding, in words (the quiz's question)."""
    known: dict[str, str]
    """The values measured at this event (no dose: the dose set here is the decision)."""
    regimen_before: str | None
    """The dose in force before this event."""
    due_before: list[DueCheck]
    """The checks that were due before this event."""
    choices: list[Choice]
    paper_choice: list[str]
    """Keys of the choices that are what the clinicians did; empty: the source records no action."""
    paper_dose: str | None
    paper_note: str
    also_knew: list[int]
    measured: dict[str, float]
    """Numbers for plotting, in the core's units: trough ng/mL, creatinine µmol/L, sbp/dbp mmHg,
    dose_rate mg/kg/day in force after the event (0 after a stop), baseline_creatinine µmol/L."""
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
    kind: str
    """'published' (the paper's three), 'local' or 'invented' (a tutor's case file)."""
    notice: str
    """Shown wherever the case is: what kind of case it is when it is not a published one."""
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
    if case not in CASE_NUMBERS:
        raise InputError("case", case, "1, 2, 3 or all")
    meta = parse_case_file(load_sidecar(case, cases_dir), f"case{case}.toml")
    with resources.as_file(cases_dir / f"case{case}.csv") as csv_path:
        return _replay(meta, csv_path, f"case {case} fixture", weight, profile, PUBLISHED_AS_OF)


def replay_file(path: Path | str, weight: pint.Quantity | None = None, profile: Profile | None = None) -> Replay:
    """Replay a case written as data (a TOML case file beside its CSV log): same reader, same rules."""
    path = Path(path)
    if path.suffix.lower() != ".toml":
        raise InputError("case", str(path), "1, 2, 3, all, or a case file ending in .toml")
    try:
        with path.open("rb") as f:
            data = tomllib.load(f)
    except FileNotFoundError:
        raise InputError("case", str(path), "an existing case file") from None
    except (OSError, UnicodeDecodeError) as e:
        raise InputError("case", str(path), f"a readable case file ({type(e).__name__})") from None
    except tomllib.TOMLDecodeError as e:
        raise InputError("case", path.name, f"a TOML case file ({e})") from None
    meta = parse_case_file(data, path.name)
    if meta.case.kind == "published":
        raise InputError(f"{path.name}: case.kind", "published",
                         "'local' or 'invented': 'published' is kept for the paper's cases shipped with tacro")
    csv_path = path.parent / meta.case.csv
    if not csv_path.is_file():
        raise InputError(f"{path.name}: case.csv", meta.case.csv, "a log file beside the case file")
    from dosing.core import clock

    return _replay(meta, csv_path, path.name, weight, profile, clock.today())  # a local case may be recent


def _replay(meta: CaseFile, csv_path: Path, where: str, weight: pint.Quantity | None,
            profile: Profile | None, as_of: dt.date) -> Replay:
    from dosing.io.logfile import read_log  # the strict reader of `tacro check` and `tacro import`

    profile = profile or default_profile()
    if weight is not None:
        units.require(weight, "weight", "--weight")
    log = read_log(csv_path, profile, as_of=as_of)  # rows dated after as_of are refused
    if log.invalid:
        first = log.invalid[0]
        raise TacroError(f"{where} has an invalid cell at line {first.line}, {first.column}: "
                         f"{first.expected}")
    rows = meta.rows
    if len(rows) != len(log.columns):
        raise TacroError(f"{where}: {len(log.columns)} log rows but {len(rows)} provenance entries")
    if len(set(log.columns.patient.tolist())) != 1:
        raise TacroError(f"{where}: a case log holds one patient's events")
    last_day = int(log.columns.day.max())
    result = assess_columns(log.columns, profile, dt.date.fromordinal(last_day))
    steps: list[ReplayStep] = []
    for k, step in enumerate(result.per_event):
        src_index = result.order[k]
        prov = rows[src_index]
        raw = {name: str(col[src_index]) for name, col in log.raw.items()}
        measured = {name: float(log.columns.values[name][src_index]) for name in PLOTTED
                    if name in log.columns.values and np.isfinite(log.columns.values[name][src_index])}
        steps.append(_step(k + 1, step, prov, raw, log.header_units, weight, profile,
                           steps[-1] if steps else None, prov.choices or meta.choices, measured))
    c = meta.case
    return Replay(
        case=c.number, kind=c.kind, notice=KIND_NOTICES[c.kind], title=c.title, source=c.source,
        outcome=c.outcome, weight_note=c.weight_note,
        weight=units.format_quantity(weight) if weight is not None else None,
        prior_cyclosporine_nephrotoxicity=c.prior_cyclosporine_nephrotoxicity,
        steps=steps,
        notes=[
            "Dates: the paper gives months and offsets; each step says whether its date is stated or approximated.",
            "CHECK_OVERDUE is not shown: the paper reports a handful of events, not every visit.",
            "Doses are the paper's mg/kg/day; body weight is never stated"
            + (f", so mg amounts use the weight you gave ({units.format_quantity(weight)}), for illustration."
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
            text += (f"; illustrative, for {units.format_quantity(weight)} (the weight you gave, not the paper's): "
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


def _known(inputs: dict[str, str]) -> dict[str, str]:
    """What was measured at an event, without the dose it set (the dose is the decision)."""
    return {k: v for k, v in inputs.items() if k != "dose"}


def _step(index: int, step: dict, prov: SidecarRow, raw: dict[str, str], header_units: dict[str, str],
          weight: pint.Quantity | None, profile: Profile, before: ReplayStep | None,
          choices: list[Choice], measured: dict[str, float]) -> ReplayStep:
    findings: list[Finding] = step["findings"]
    dose_set = bool(raw.get("dose_rate", "").strip() or raw.get("dose", "").strip())
    auto = [f for f in findings if f.rule in DOSE_RULES and dose_set]
    curated = prov.rules_vs_clinicians
    reasons = []
    if auto:
        reasons.append(
            f"The clinicians chose {auto[0].value} — outside the paper's own suggested "
            f"{profile.values['effective_floor_rate'].text}–{profile.values['ceiling_rate'].text} "
            f"({auto[0].rule})."
        )
    if curated == "differ":
        reasons.append(prov.rules_vs_clinicians_note.strip())
    paper_vs_tool = []
    if prov.paper_says:
        tool = _creatinine_text(step["creatinine_rise"]) or "(no computed value)"
        paper_vs_tool.append(f"The paper says {prov.paper_says}; the tool computes {tool}. "
                             f"{prov.paper_says_note}".strip())
    inputs = _inputs(raw, header_units)
    dose = step["dose"]
    if dose is not None and dose.rate is not None:
        measured["dose_rate"] = dose.rate.value
    elif dose is None and before is not None:
        measured["dose_rate"] = 0.0  # stopped
    if step["creatinine_rise"]:
        measured["baseline_creatinine"] = step["creatinine_rise"]["baseline"].value
    return ReplayStep(
        index=index, date=step["date"], date_basis=prov.date_basis,
        date_reasoning=prov.date_reasoning,
        event=EVENT_TITLES.get(raw.get("event", "").strip() or "visit", raw.get("event", "")),
        inputs=inputs, regimen=_regimen_text(step["dose"], weight, profile),
        findings=findings, creatinine=_creatinine_text(step["creatinine_rise"]), due=step["due"],
        clinicians_did=prov.clinicians_did, quote=prov.quote, cite=prov.cite,
        source_lines=prov.source_lines, differs=bool(reasons),
        difference=" ".join(r for r in reasons if r), paper_vs_tool=paper_vs_tool, note=raw.get("note", ""),
        row=prov.row, situation=prov.situation, known=_known(inputs),
        regimen_before=before.regimen if before else None, due_before=list(before.due) if before else [],
        choices=list(choices), paper_choice=list(prov.paper_choice), paper_dose=prov.paper_dose,
        paper_note=prov.paper_note, also_knew=list(prov.also_knew), measured=measured,
    )


def replay_text(r: Replay) -> str:
    """A trainee's view of a replay: one block per event."""
    from dosing.core.render import findings_text

    out = [f"Case {r.case}: {r.title}", f"  {r.source}", f"  {r.weight_note}"]
    if r.notice:
        out.insert(1, f"  {r.notice}")
    if r.weight:
        out.append(f"  mg amounts use the weight you gave: {r.weight} (the paper gives none)")
    out.append("")
    who = "paper" if r.kind == "published" else "source"
    for s in r.steps:
        mark = "  <-- RULES AND CLINICIANS DIFFER" if s.differs else ""
        out.append(f"[{s.index}] {s.date.isoformat()} ({s.date_basis} date) {s.event}{mark}")
        if s.inputs:
            out.append(f"  {who}'s values: " + "; ".join(f"{k} {v}" for k, v in s.inputs.items()))
        if s.regimen:
            out.append(f"  regimen in force: {s.regimen}")
        if s.creatinine:
            out.append(f"  {s.creatinine}")
        out.append("  tool's findings:")
        out.append(findings_text(s.findings, "    "))
        for line in s.paper_vs_tool:
            out.append(f"  paper vs tool: {line}")
        out.append(f"  clinicians did: {s.clinicians_did}")
        out.append(f"  {who} ({s.cite}): \"{s.quote}\"")
        if s.differs:
            out.append(f"  differs: {s.difference}")
        for d in s.due:
            if d.overdue:  # the window closed before this event with no check of its stream recorded
                out.append(f"  OVERDUE {d.title}: window {d.due_from.isoformat()} to {d.due_by.isoformat()} passed, "
                           f"none recorded ({d.reason})")
            else:
                out.append(f"  next {d.title}: {d.due_from.isoformat()} to {d.due_by.isoformat()} ({d.reason})")
        out.append("")
    out += ["Notes", *(f"  - {n}" for n in r.notes)]
    out.append(f"Outcome (paper): {r.outcome}")
    return "\n".join(out)
