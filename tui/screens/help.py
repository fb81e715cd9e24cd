"""Keys and where things are, for the screen the user came from."""
from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Static

from dosing.core.wording import DISCLAIMER
from tui.screens.base import TacroModalScreen

KEYS = {
    "PatientListScreen": [("enter", "open the highlighted patient"), ("/", "search by id or label"),
                          ("o", "sort by urgency or by id"), ("a", "add a patient with the baseline"), ("c", "dose calculator"),
                          ("p", "the rule profile"), ("r", "replay the published cases"), ("q", "quit")],
    "PatientScreen": [("v", "log a visit (or a start, dose change, stop)"),
                      ("e", "amend the highlighted visit (the original is kept)"),
                      ("d", "dose calculator with this patient's values"), ("s / h / g", "summary, history, plots"),
                      ("r", "write the patient's report beside the store"), ("escape", "back to the list")],
    "VisitScreen": [("tab / shift+tab", "next / previous field"), ("ctrl+s", "save"), ("escape", "cancel")],
    "AddPatientScreen": [("tab / shift+tab", "next / previous field"), ("ctrl+s", "save"), ("escape", "cancel")],
    "CalculatorScreen": [("ctrl+r", "regimen from weight x mg/kg/day"),
                         ("ctrl+t", "proportional adjustment with its caveats"),
                         ("f2", "log the result as a start / dose-change visit (from a patient)"), ("escape", "back")],
    "ProfileScreen": [("← →", "values, rules, products (on the tabs)"), ("↑ ↓", "the source of each row"),
                      ("escape", "back")],
    "ReplayScreen": [("1 2 3", "choose the case"), ("n / →", "next event"), ("p / ←", "previous event"),
                     ("q", "quiz: decide, then see the rules and the clinicians"), ("t", "timeline of the case"),
                     ("w", "illustrative weight for mg amounts"), ("escape", "back")],
}

GENERAL = [("f1", "this help"), ("ctrl+q", "quit from anywhere (asks if a form holds unsaved values)")]

ABOUT = (
    f"{DISCLAIMER} tacro shows each finding with its value, threshold and source, and the checks due "
    "with the reason.\n"
    "Quantities carry their unit as you would write them: 70 kg, 154 lb, 7 mg/day, 0.1 mg/kg/day, "
    "20.2 ng/mL, 25 nmol/L, 92 umol/L, 1.04 mg/dL, 160/100 mmHg, 12 h. A bare number is refused. "
    "A value typed in another unit shows its conversion beside the field."
)


class HelpScreen(TacroModalScreen[None]):
    """Keys of the screen underneath, the general keys, and a short note on what tacro does."""

    BINDINGS = [Binding("escape,f1,q,question_mark", "app.pop_screen", "Close")]

    def __init__(self, screen_name: str) -> None:
        super().__init__()
        self.screen_name = screen_name

    def compose(self) -> ComposeResult:
        out = Text("Help\n\n", style="bold")
        for key, what in KEYS.get(self.screen_name, []) + GENERAL:
            out.append(f"  {key:<16}", style="bold cyan")
            out.append(f"{what}\n")
        out.append(f"\n{ABOUT}\n")
        db = getattr(self.app, "db_path", None)
        out.append(f"\nData: {db or 'in memory (nothing is kept)'}\n", style="dim")
        out.append("Profile: " + self.clinic.profile.origin + "\n", style="dim")
        out.append("\nescape closes this help", style="dim")
        with VerticalScroll(id="help"):
            yield Static(out)
