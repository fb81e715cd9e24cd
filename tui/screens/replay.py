"""Replay of the three published cases, event by event: the tool's findings beside what the clinicians did."""
from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Footer, Header, Static

from dosing.core.errors import TacroError
from tui.screens.base import TacroScreen
from tui.widgets.results import findings_text

if TYPE_CHECKING:
    from dosing.replay.engine import Replay


class ReplayScreen(TacroScreen[None]):
    """1, 2, 3 choose the case; n / p (or → / ←) step through its events."""

    BINDINGS = [
        Binding("n,right", "step(1)", "Next"),
        Binding("p,left", "step(-1)", "Previous"),
        Binding("1", "case(1)", "Case 1"),
        Binding("2", "case(2)", "Case 2"),
        Binding("3", "case(3)", "Case 3"),
        Binding("escape", "app.pop_screen", "Back"),
    ]

    def __init__(self, case: int = 1) -> None:
        super().__init__()
        self.case = case
        self.index = 0
        self.replays: dict[int, Replay] = {}

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="replay-title")
        yield Static("", id="replay-position")
        with VerticalScroll(id="replay-body"):
            yield Static("", id="replay-step")
        yield Footer()

    def on_mount(self) -> None:
        self.action_case(self.case)

    def _load(self, case: int):
        if case not in self.replays:
            from dosing.replay.engine import replay

            self.replays[case] = replay(case, profile=self.clinic.profile)
        return self.replays[case]

    def action_case(self, case: int) -> None:
        self.case, self.index = case, 0
        try:
            r = self._load(case)
        except (TacroError, ModuleNotFoundError) as e:
            msg = e.message if isinstance(e, TacroError) else f"the replay needs {e.name}, not in this build"
            self.query_one("#replay-title", Static).update(Text(f"Case {case} cannot be replayed: {msg}", "red"))
            self.query_one("#replay-step", Static).update("")
            return
        title = Text.assemble((f"Case {r.case}: {r.title}", "bold"), f"\n  {r.source}",
                              (f"\n  {r.weight_note}", "dim"))
        self.query_one("#replay-title", Static).update(title)
        self._show()

    def action_step(self, delta: int) -> None:
        r = self.replays.get(self.case)
        if r is None:
            return
        self.index = max(0, min(len(r.steps) - 1, self.index + delta))
        self._show()

    @property
    def step(self):
        r = self.replays.get(self.case)
        return r.steps[self.index] if r is not None else None

    def _show(self) -> None:
        r = self.replays[self.case]
        s = r.steps[self.index]
        pos = Text(f" Step {self.index + 1} of {len(r.steps)} · {s.date.isoformat()} ({s.date_basis} date) · "
                   f"{s.event}", style="bold reverse")
        if s.differs:
            pos.append("  RULES AND CLINICIANS DIFFER", style="bold red")
        self.query_one("#replay-position", Static).update(pos)
        out = Text()
        if s.inputs:
            out.append("Paper's values  ", style="bold")
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
        out.append(f"Paper ({s.section})  ", style="bold")
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
        self.query_one("#replay-step", Static).update(out)
        self.query_one("#replay-body", VerticalScroll).scroll_home(animate=False)
