"""Replay of the published cases, event by event: browse (all at once) or quiz (decide, then reveal).

Browse shows the tool's findings beside what the clinicians did. Quiz (q) first
shows only what the clinicians knew; the trainee picks a choice (and may type a
dose), then the reveal shows the rules' findings, the clinicians' action with
its quote, and whether the choice agreed with each. The timeline (t) plots the
case on one date axis. The weight field turns every mg/kg/day into the
calculator's regimen, labelled illustrative. Nothing is written to the store.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Footer, Header, Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from dosing.core.errors import TacroError
from tui.screens.base import TacroScreen
from tui.widgets.results import findings_text
from tui.widgets.timeline import CaseTimeline

VERDICT_STYLE = {True: ("AGREES", "bold green"), False: ("DIFFERS", "bold red"), None: ("not scored", "dim")}

if TYPE_CHECKING:
    import pint

    from dosing.replay.engine import Replay
    from dosing.replay.quiz import Reveal

class ReplayScreen(TacroScreen[None]):
    """1, 2, 3 choose the case; n / p (or → / ←) step; q quiz; t timeline; w weight."""

    AUTO_FOCUS = "#replay-body"  # keys step and choose; the weight field is reached with w
    BINDINGS = [
        Binding("n,right", "step(1)", "Next"),
        Binding("p,left", "step(-1)", "Previous"),
        Binding("1", "case(1)", "Case 1"),
        Binding("2", "case(2)", "Case 2"),
        Binding("3", "case(3)", "Case 3"),
        Binding("q", "quiz", "Quiz"),
        Binding("t", "timeline", "Timeline"),
        Binding("w", "weight", "Weight"),
        Binding("escape", "app.pop_screen", "Back"),
    ]

    def __init__(self, case: int = 1) -> None:
        super().__init__()
        self.case = case
        self.index = 0
        self.replays: dict[int, Replay] = {}
        self.weight: pint.Quantity | None = None
        """The illustrative weight the user typed (a Quantity), or None."""
        self.quiz = False
        self.reveals: dict[int, Reveal] = {}
        """Step index -> the Reveal of the trainee's answer, in quiz mode."""
        self.timeline = False

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="replay-title")
        with Horizontal(id="replay-weight-row"):
            yield Label("Weight (illustrative) ", classes="field-label")
            yield Input(placeholder="e.g. 70 kg: the paper gives none", id="replay-weight", compact=True)
            yield Static("", id="replay-weight-message")
        yield Static("", id="replay-position")
        with VerticalScroll(id="replay-body"):
            yield Static("", id="replay-step")
            yield OptionList(id="quiz-choices")
            yield Input(placeholder="dose, optional, e.g. 0.08 mg/kg/day (then choose above)", id="quiz-dose",
                        compact=True)
            yield Static("", id="quiz-message")
            yield CaseTimeline(id="replay-timeline")
        yield Footer()

    def on_mount(self) -> None:
        self.action_case(self.case)

    @property
    def profile(self):
        return self.clinic.profile

    def _load(self, case: int):
        if case not in self.replays:
            from dosing.replay.engine import replay

            self.replays[case] = replay(case, self.weight, profile=self.profile)
        return self.replays[case]

    @property
    def current(self):
        return self.replays.get(self.case)

    def action_case(self, case: int) -> None:
        self.case, self.index = case, 0
        self.reveals = {}
        try:
            r = self._load(case)
        except (TacroError, ModuleNotFoundError) as e:
            msg = e.message if isinstance(e, TacroError) else f"the replay needs {e.name}, not in this build"
            self.query_one("#replay-title", Static).update(Text(f"Case {case} cannot be replayed: {msg}", "red"))
            self.query_one("#replay-step", Static).update("")
            return
        title = Text.assemble((f"Case {r.case}: {r.title}", "bold"), f"\n  {r.source}",
                              (f"\n  {r.weight_note}", "dim"))
        if r.notice:
            title.append(f"\n  {r.notice}", style="bold magenta")
        self.query_one("#replay-title", Static).update(title)
        self._show()

    def action_step(self, delta: int) -> None:
        r = self.current
        if r is None:
            return
        if delta > 0 and self.quiz and self.index not in self.reveals:
            self.query_one("#quiz-message", Static).update(Text("Choose first: the reveal comes after.", "yellow"))
            return
        self.index = max(0, min(len(r.steps) - 1, self.index + delta))
        self._show()

    def action_quiz(self) -> None:
        """Switch between browsing and the quiz (the quiz starts again at the case's first step)."""
        self.quiz = not self.quiz
        self.index, self.reveals = 0, {}
        self._show()

    def action_timeline(self) -> None:
        self.timeline = not self.timeline
        self._show()

    def action_weight(self) -> None:
        self.query_one("#replay-weight", Input).focus()

    @property
    def step(self):
        r = self.current
        return r.steps[self.index] if r is not None else None

    # ---------------------------------------------------------------- weight
    @on(Input.Submitted, "#replay-weight")
    def _weight(self, event: Input.Submitted) -> None:
        """Apply the illustrative weight (blank clears it); a refused weight keeps what was typed."""
        from dosing.core import units

        message = self.query_one("#replay-weight-message", Static)
        text = event.value.strip()
        try:
            weight = units.parse(text, "weight", "weight") if text else None
        except TacroError as e:
            message.update(Text(e.message, "red"))
            return
        message.update(Text("mg amounts below are illustrative: the calculator's regimen for this weight",
                            "yellow") if weight is not None else "")
        self.weight = weight
        self.replays = {}
        index, reveals = self.index, self.reveals
        self.action_case(self.case)
        self.index, self.reveals = index, reveals
        self._show()

    # ---------------------------------------------------------------- quiz
    @on(OptionList.OptionSelected, "#quiz-choices")
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        self.answer(str(event.option.id), self.query_one("#quiz-dose", Input).value)

    def answer(self, key: str, dose: str = "") -> None:
        """Judge the trainee's answer at the current step and show the reveal (a refused dose keeps the text)."""
        from dosing.replay import quiz

        r, s = self.current, self.step
        try:
            a = quiz.parse_answer(f"{key} {dose}".strip(), s, "dose" if dose.strip() else "answer")
            self.reveals[self.index] = quiz.judge(r, s, a, self.profile)
        except TacroError as e:
            self.query_one("#quiz-message", Static).update(Text(e.message, "red"))
            return
        self.query_one("#quiz-dose", Input).value = ""
        self._show()

    @property
    def summary(self):
        """The quiz result once every step is answered, else None."""
        from dosing.replay import quiz

        r = self.current
        if r is None or len(self.reveals) < len(r.steps):
            return None
        return quiz.result(r, [self.reveals[i] for i in range(len(r.steps))])

    # ---------------------------------------------------------------- drawing
    def _show(self) -> None:
        r = self.current
        if r is None:
            return
        s = r.steps[self.index]
        asking = self.quiz and self.index not in self.reveals and not self.timeline
        mode = "QUIZ · " if self.quiz else ""
        pos = Text(f" {mode}Step {self.index + 1} of {len(r.steps)} · {s.date.isoformat()} ({s.date_basis} date) · "
                   f"{s.event}", style="bold reverse")
        if s.differs and not asking:
            pos.append("  RULES AND CLINICIANS DIFFER", style="bold red")
        self.query_one("#replay-position", Static).update(pos)
        choices = self.query_one("#quiz-choices", OptionList)
        dose = self.query_one("#quiz-dose", Input)
        choices.display = dose.display = asking
        self.query_one("#quiz-message", Static).update("")
        timeline = self.query_one("#replay-timeline", CaseTimeline)
        timeline.display = self.timeline
        self.query_one("#replay-step", Static).display = not self.timeline
        if self.timeline:
            timeline.show(self._known_so_far(r) if self.quiz else r, self.profile, self.index)
        elif asking:
            self.query_one("#replay-step", Static).update(self._question(r, s))
            choices.clear_options()
            choices.add_options([Option(f"{c.key}: {c.label}", id=c.key) for c in s.choices])
            choices.highlighted = 0
            choices.focus()
        else:
            out = self._reveal(s) if self.quiz else Text()
            out.append_text(self._details(s))
            if self.quiz and self.summary is not None and self.index == len(r.steps) - 1:
                from dosing.replay import quiz

                out.append("\n" + quiz.summary_text(self.summary) + "\n", style="bold")
            self.query_one("#replay-step", Static).update(out)
        self.query_one("#replay-body", VerticalScroll).scroll_home(animate=False)

    def _known_so_far(self, r):
        """The case as far as the quiz has gone: no later step, and no dose or finding of an unanswered one."""
        steps = list(r.steps[: self.index + 1])
        if self.index not in self.reveals:
            s = steps[-1]
            steps[-1] = s.model_copy(update={
                "findings": [], "measured": {k: v for k, v in s.measured.items() if k != "dose_rate"}})
        return r.model_copy(update={"steps": steps})

    def _question(self, r, s) -> Text:
        out = Text()
        out.append("What the clinicians knew\n", style="bold")
        if s.situation:
            out.append(f"{s.situation}\n")
        if s.known:
            out.append("Values  ", style="bold")
            out.append("; ".join(f"{k} {v}" for k, v in s.known.items()) + "\n")
        out.append("Regimen in force  ", style="bold")
        out.append(f"{s.regimen_before or 'none yet'}\n")
        for d in s.due_before:
            out.append(f"Check due  {d.title} {d.due_from.isoformat()} to {d.due_by.isoformat()}\n")
        out.append("What would you do? Choose below (↑ ↓, enter); type a dose first if you want one checked.\n",
                   style="bold yellow")
        return out

    def _reveal(self, s) -> Text:
        v = self.reveals[self.index]
        out = Text()
        out.append("You chose  ", style="bold")
        out.append(f"{v.choice.label}{' (' + v.dose + ')' if v.dose else ''}\n")
        for who, verdict in (("Rules", v.rules), ("Clinicians", v.clinicians)):
            word, style = VERDICT_STYLE[verdict.agrees]
            out.append(f"{who} vs you  ", style="bold")
            out.append(word, style=style)
            out.append(f"  {verdict.reason}\n")
        if v.dose_findings:
            out.append(f"Dose rules on {v.dose}\n", style="bold")
            out.append_text(findings_text(v.dose_findings))
        if v.dose and v.paper_dose:
            out.append(f"Your dose {v.dose}; theirs {v.paper_dose}\n")
        out.append("\n")
        return out

    def _details(self, s) -> Text:
        who = "Paper" if self.current.kind == "published" else "Source"
        out = Text()
        if s.inputs:
            out.append(f"{who}'s values  ", style="bold")
            out.append("; ".join(f"{k} {v}" for k, v in s.inputs.items()) + "\n")
        if s.regimen:
            out.append("Regimen in force  ", style="bold")
            out.append(f"{s.regimen}\n")
        if s.creatinine:
            out.append("Computed  ", style="bold")
            out.append(f"{s.creatinine}\n")
        out.append("Tool's findings\n", style="bold")
        out.append_text(findings_text(s.findings))
        for line in s.paper_vs_tool:
            out.append("Paper vs tool  ", style="bold yellow")
            out.append(f"{line}\n")
        out.append("Clinicians did  ", style="bold")
        out.append(f"{s.clinicians_did}\n")
        out.append(f"{who} ({s.cite})  ", style="bold")
        out.append(f"\"{s.quote}\"\n", style="italic")
        if s.differs:
            out.append("Differs  ", style="bold red")
            out.append(f"{s.difference}\n")
        for d in s.due:
            out.append(f"Next {d.title}  ", style="bold")
            out.append(f"{d.due_from.isoformat()} to {d.due_by.isoformat()}\n")
            out.append(f"  {d.reason}\n", style="dim")
        if s.date_reasoning:
            out.append(f"Date: {s.date_reasoning}\n", style="dim")
        if s.note:
            out.append(f"Note: {s.note}\n", style="dim")
        return out
