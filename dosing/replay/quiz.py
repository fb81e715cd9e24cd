"""Decide, then reveal: a replayed case as a quiz, judged by the same rules and against the source.

Each step is first shown with what the clinicians knew (`question_text`); the
trainee picks one of the step's choices (data in the case file) and may type a
dose. `judge` then compares the choice with two things:

- the rules: the findings of this event (and of the earlier events it answers,
  `also_knew`), excluding the dose rules, which judge the decision itself. Which
  findings speak for or against a kind of decision is the table below; the list
  of findings that argue against raising a dose is the one `tacro adjust` uses.
  A dose the trainee typed or the choice names is checked by the dose rules.
- the clinicians: the choice agrees when it is one the case file marks as what
  they did. Where the source records no action, nothing is scored.

Nothing here writes to the store.
"""
from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict

from dosing.core import units
from dosing.core.adjust import AGAINST_RAISING
from dosing.core.errors import InputError
from dosing.core.models import Finding
from dosing.core.profile import Profile, default_profile
from dosing.replay.casefile import Choice
from dosing.replay.engine import Replay, ReplayStep

DECISION_RULES = ("DOSE_ABOVE_CEILING", "DOSE_BELOW_EFFECTIVE", "DOSE_JUMP")
"""Rules that judge the dose a decision sets, not the situation before it."""
BP_RULES = ("BP_HIGH", "BP_SEVERE")
ASKING = ("warn", "alert")
"""Severities at which a finding asks the clinician to act or review."""


class Answer(BaseModel):
    """A trainee's answer at one step: a choice key and, optionally, a dose."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    key: str
    dose: str | None = None
    """As typed, with its unit ('0.08 mg/kg/day')."""


class Verdict(BaseModel):
    """Whether the trainee's choice agrees with one side (None: not judged, with the reason)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    agrees: bool | None
    reason: str


class Reveal(BaseModel):
    """What the screen shows after the trainee has chosen."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    step: int
    date: dt.date
    event: str
    choice: Choice
    dose: str | None
    """The dose judged: typed by the trainee, or named by the choice."""
    dose_findings: list[Finding]
    """The dose rules on that dose."""
    situation_findings: list[str]
    """The rule ids the rules' view was based on."""
    rules: Verdict
    clinicians: Verdict
    clinicians_did: str
    paper_dose: str | None


class QuizResult(BaseModel):
    """A whole case answered: every reveal and the tallies, for a tutor (text) or a script (JSON)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    case: int
    kind: str
    notice: str
    title: str
    source: str
    reveals: list[Reveal]
    clinicians_agreed: int
    clinicians_scored: int
    """Steps where the source records what the clinicians did."""
    rules_agreed: int
    rules_judged: int
    rules_and_clinicians_differ: list[int]
    """Steps where the case marks the rules and the clinicians as differing."""


def situation_findings(r: Replay, step: ReplayStep) -> list[Finding]:
    """The findings a decision at this step answers: this event's and those of the rows it names."""
    by_row = {s.row: s for s in r.steps}
    found = [f for f in step.findings if f.rule not in DECISION_RULES]
    for row in step.also_knew:
        found += [f for f in by_row[row].findings if f.rule not in DECISION_RULES]
    return found


def parse_answer(text: str, step: ReplayStep, where: str = "answer") -> Answer:
    """'reduce' or 'reduce 0.06 mg/kg/day': a choice key of the step and an optional dose with its unit."""
    parts = text.strip().split(None, 1)
    keys = [c.key for c in step.choices]
    if not parts or parts[0] not in keys:
        raise InputError(where, text.strip(), "one of " + ", ".join(keys) + " (then, optionally, a dose in mg/kg/day)")
    dose = None
    if len(parts) > 1:
        units.parse(parts[1], "dose_rate", f"{where} dose")
        dose = parts[1].strip()
    return Answer(key=parts[0], dose=dose)


def parse_answers(text: str, r: Replay) -> list[Answer]:
    """An answers file: one answer per step, in order; blank lines and '#' comments are skipped."""
    lines = [(n, ln.split("#", 1)[0].strip()) for n, ln in enumerate(text.splitlines(), start=1)]
    lines = [(n, ln) for n, ln in lines if ln]
    if len(lines) != len(r.steps):
        raise InputError("answers", f"{len(lines)} answers", f"one answer per step: {len(r.steps)} for this case")
    return [parse_answer(ln, s, f"answers line {n}") for (n, ln), s in zip(lines, r.steps)]


def judge(r: Replay, step: ReplayStep, answer: Answer, profile: Profile | None = None) -> Reveal:
    """Compare an answer with the rules' findings and with what the clinicians did."""
    from dosing.core.regimen import dose_findings

    profile = profile or default_profile()
    by_key = {c.key: c for c in step.choices}
    if answer.key not in by_key:
        raise InputError("answer", answer.key, "one of " + ", ".join(by_key))
    choice = by_key[answer.key]
    dose_text = answer.dose or choice.dose
    if choice.action in ("keep", "recheck", "treat_bp", "stop"):
        dose_text = None  # these set no new dose
    dfind: list[Finding] = []
    if dose_text:
        dose = units.parse(dose_text, "dose_rate", "dose")
        _check_direction(r, step, choice, dose, answer.dose is not None)
        dfind = dose_findings(dose, None, None, profile, date=step.date)
    found = situation_findings(r, step)
    return Reveal(
        step=step.index, date=step.date, event=step.event, choice=choice, dose=dose_text, dose_findings=dfind,
        situation_findings=sorted({f.rule for f in found}),
        rules=_rules_view(choice, dose_text, found, dfind, r, profile),
        clinicians=_clinicians_view(choice, step, by_key),
        clinicians_did=step.clinicians_did, paper_dose=step.paper_dose,
    )


def _check_direction(r: Replay, step: ReplayStep, choice: Choice, dose, typed: bool) -> None:
    """A typed dose must go the way the choice says (a 'reduce' to more than the dose in force is a slip)."""
    if not typed or choice.action not in ("increase", "reduce") or step.index < 2:
        return
    now = r.steps[step.index - 2].measured.get("dose_rate")
    if not now:
        return
    new = units.to_canonical(dose, "dose_rate")
    if (choice.action == "increase") != (new > now):
        word = "above" if choice.action == "increase" else "below"
        raise InputError("dose", units.format_quantity(dose),
                         f"a dose {word} the dose in force ({units.format_number(now)} mg/kg/day) for "
                         f"'{choice.key}'")


def _names(fs: list[Finding], verb: str = "") -> str:
    """'BP_HIGH asks' / 'BP_HIGH and TROUGH_UPPER_BAND ask': the rule ids, with the verb agreeing."""
    ids = sorted({f.rule for f in fs})
    text = ids[0] if len(ids) == 1 else ", ".join(ids[:-1]) + " and " + ids[-1]
    if verb:
        text += f" {verb}" if len(ids) == 1 else f" {verb.removesuffix('s')}"
    return text


def _rules_view(choice: Choice, dose: str | None, found: list[Finding], dfind: list[Finding], r: Replay,
                profile: Profile) -> Verdict:
    asking = [f for f in found if f.severity in ASKING]
    a = choice.action
    if a == "keep":
        v = Verdict(agrees=False, reason=f"{_names(asking, 'asks')} for action or review; keeping the dose as it is "
                    "answers neither.") if asking else \
            Verdict(agrees=True, reason="No finding here asks for action.")
    elif a == "recheck":
        v = Verdict(agrees=True, reason=f"{_names(asking, 'asks')} for review; a sooner check is one." if asking else
                    "No finding asks for it, and nothing argues against an extra check.")
    elif a == "increase":
        against = [f for f in found if f.rule in AGAINST_RAISING]
        v = Verdict(agrees=False, reason=f"{_names(against, 'argues')} against raising the dose (the findings "
                    "`tacro adjust` shows as cautions).") if against else \
            Verdict(agrees=True, reason="No finding argues against raising the dose.")
    elif a in ("reduce", "stop"):
        word = "a reduction" if a == "reduce" else "stopping"
        v = Verdict(agrees=True, reason=f"{_names(asking, 'asks')} for action; {word} is one.") if asking else \
            Verdict(agrees=False, reason=f"No finding here calls for {word}.")
    elif a == "treat_bp":
        bp = [f for f in found if f.rule in BP_RULES]
        v = Verdict(agrees=True, reason=f"{_names(bp)}: the blood pressure is above the profile's threshold.") \
            if bp else Verdict(agrees=False, reason="No blood-pressure finding here.")
    else:  # start
        if not dose:
            return Verdict(agrees=None, reason="No dose given: type one to have the dose rules check it.")
        v = Verdict(agrees=True, reason=f"{dose} is within the paper's suggested "
                    f"{profile.values['effective_floor_rate'].text}–{profile.values['ceiling_rate'].text}.")
        if r.prior_cyclosporine_nephrotoxicity:
            lower = profile.q("start_rate_prior_cyclosporine_nephrotoxicity")
            if units.to_canonical(units.parse(dose, "dose_rate", "dose"), "dose_rate") > \
                    units.to_canonical(lower, "dose_rate") + 1e-12:
                v = Verdict(agrees=False, reason=(
                    f"After cyclosporine nephrotoxicity the profile starts at "
                    f"{profile.values['start_rate_prior_cyclosporine_nephrotoxicity'].text} or lower "
                    f"({profile.basis('start_rate_prior_cyclosporine_nephrotoxicity')})."))
    if dfind:
        v = Verdict(agrees=False, reason=(v.reason + " " if v.agrees is False else "")
                    + "; ".join(f"{f.rule}: {f.message}" for f in dfind))
    return v


def _clinicians_view(choice: Choice, step: ReplayStep, by_key: dict[str, Choice]) -> Verdict:
    if not step.paper_choice:
        return Verdict(agrees=None, reason="The source records no action at this step.")
    did = " and ".join(by_key[k].label[:1].lower() + by_key[k].label[1:] for k in step.paper_choice)
    note = f" {step.paper_note}" if step.paper_note else ""
    if choice.key in step.paper_choice:
        return Verdict(agrees=True, reason=f"The clinicians chose this too ({step.clinicians_did}).{note}")
    return Verdict(agrees=False, reason=f"The clinicians chose: {did} ({step.clinicians_did}).{note}")


def result(r: Replay, reveals: list[Reveal]) -> QuizResult:
    """The tallies of a case answered step by step."""
    scored = [v for v in reveals if v.clinicians.agrees is not None]
    judged = [v for v in reveals if v.rules.agrees is not None]
    return QuizResult(
        case=r.case, kind=r.kind, notice=r.notice, title=r.title, source=r.source, reveals=reveals,
        clinicians_agreed=sum(1 for v in scored if v.clinicians.agrees),
        clinicians_scored=len(scored),
        rules_agreed=sum(1 for v in judged if v.rules.agrees), rules_judged=len(judged),
        rules_and_clinicians_differ=[s.index for s in r.steps if s.differs],
    )


# ---------------------------------------------------------------- text


def _mark(agrees: bool | None) -> str:
    return {True: "AGREES", False: "DIFFERS", None: "not scored"}[agrees]


def question_text(r: Replay, step: ReplayStep) -> str:
    """What the clinicians knew at this step, and the choices; nothing of what came next."""
    out = [f"[{step.index}/{len(r.steps)}] {step.date.isoformat()} ({step.date_basis} date) {step.event}"]
    if step.situation:
        out.append(f"  situation: {step.situation}")
    if step.known:
        out.append("  values: " + "; ".join(f"{k} {v}" for k, v in step.known.items()))
    out.append(f"  regimen in force: {step.regimen_before or 'none yet'}")
    for d in step.due_before:
        out.append(f"  check due: {d.title} {d.due_from.isoformat()} to {d.due_by.isoformat()}")
    out.append("  What would you do?")
    for c in step.choices:
        out.append(f"    {c.key:<12} {c.label}")
    return "\n".join(out)


def reveal_text(r: Replay, step: ReplayStep, v: Reveal) -> str:
    """The reveal: the rules' findings with their basis, the clinicians' action with its quote, and the verdicts."""
    from dosing.core.render import findings_text

    dose = f" ({v.dose})" if v.dose else ""
    out = [f"  you chose: {v.choice.label}{dose}",
           "  the rules found:", findings_text(step.findings, "    ")]
    if step.creatinine:
        out.append(f"    {step.creatinine}")
    if v.dose_findings:
        out.append(f"  the dose rules on {v.dose}:")
        out.append(findings_text(v.dose_findings, "    "))
    out.append(f"  rules vs your choice: {_mark(v.rules.agrees)}: {v.rules.reason}")
    out.append(f"  the clinicians did: {step.clinicians_did}")
    out.append(f"  {step.cite}: \"{step.quote}\"")
    out.append(f"  clinicians vs your choice: {_mark(v.clinicians.agrees)}: {v.clinicians.reason}")
    if v.dose and v.paper_dose:
        out.append(f"  your dose {v.dose}; theirs {v.paper_dose}")
    for line in step.paper_vs_tool:
        out.append(f"  paper vs tool: {line}")
    if step.differs:
        out.append(f"  rules and clinicians differ: {step.difference}")
    for d in step.due:
        out.append(f"  next {d.title}: {d.due_from.isoformat()} to {d.due_by.isoformat()} ({d.reason})")
    return "\n".join(out)


def summary_text(q: QuizResult) -> str:
    """The end-of-case summary a tutor reads: each decision, the rules, the clinicians, where they differ."""
    out = [f"Summary: case {q.case}: {q.title}", f"  {q.source}"]
    if q.notice:
        out.append(f"  {q.notice}")
    for v in q.reveals:
        dose = f" ({v.dose})" if v.dose else ""
        out.append(f"  [{v.step}] {v.date.isoformat()} {v.event}: you chose {v.choice.key}{dose}")
        out.append(f"      rules: {_mark(v.rules.agrees)}: {v.rules.reason}")
        out.append(f"      clinicians: {_mark(v.clinicians.agrees)}: {v.clinicians.reason}")
        if v.step in q.rules_and_clinicians_differ:
            out.append("      here the rules and the clinicians differ from each other")
    out.append(f"  Agreed with the clinicians at {q.clinicians_agreed} of {q.clinicians_scored} steps where the "
               f"source records their action; with the rules at {q.rules_agreed} of {q.rules_judged} steps judged.")
    out.append("  Nothing was saved: a quiz writes nothing to the store.")
    return "\n".join(out)
