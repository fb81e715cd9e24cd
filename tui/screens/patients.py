"""The first screen: every patient with the dose in force and the next check due, overdue ones marked."""
from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Footer, Header, Input, Static

from tui.screens.base import TacroScreen
from tui.widgets.results import STREAM_SHORT

if TYPE_CHECKING:  # imported by the worker that opens the store, after the first screen is drawn
    from dosing.core.models import Patient
    from tui.clinic import Clinic, PatientRow

COLUMNS = (("patient", "Patient"), ("label", "Label"), ("dose", "Dose in force"), ("next", "Next check"),
           ("due", "Due by"), ("mark", ""))


class PatientListScreen(TacroScreen[None]):
    """Find a patient (type to search), open one, or add one."""

    BINDINGS = [
        Binding("a", "add", "Add patient"),
        Binding("slash", "search", "Search"),
        Binding("c", "calculator", "Calculator"),
        Binding("p", "profile", "Profile"),
        Binding("r", "replay", "Replay"),
        Binding("question_mark", "app.help", "Help", key_display="?"),
        Binding("q", "app.quit", "Quit"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.rows: dict[str, PatientRow | None] = {}
        self.patients: list[Patient] = []

    def compose(self) -> ComposeResult:
        yield Header()
        yield Input(placeholder="search: patient id or label  ( / )", id="search", compact=True)
        yield DataTable(id="patients", cursor_type="row", zebra_stripes=True)
        yield Static("", id="list-status")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#patients", DataTable)
        for key, title in COLUMNS:
            table.add_column(title, key=key)
        table.focus()
        if self.tacro_app.clinic is None:
            self.query_one("#list-status", Static).update(Text(f"Opening the store {self.tacro_app.db_path or ''}…"))
            self.call_after_refresh(self.open_store)  # after the first frame: the imports hold the GIL

    @work(thread=True, exclusive=True, group="open")
    def open_store(self) -> None:
        """Import the core and open the store off the event loop, so the window is drawn at once."""
        from dosing.core.errors import TacroError

        try:
            opener = self.tacro_app.opener
            assert opener is not None  # the first screen opens the store only when the app was given an opener
            clinic = opener()
        except TacroError as e:
            self.app.call_from_thread(self._open_failed, e.message)
            return
        self.app.call_from_thread(self._opened, clinic)

    def _opened(self, clinic: Clinic) -> None:
        self.tacro_app.clinic = clinic
        self.reload()

    def _open_failed(self, message: str) -> None:
        self.query_one("#list-status", Static).update(
            Text(f"Cannot open the store: {message} Press q to quit.", style="bold red"))

    def on_screen_resume(self) -> None:
        if self.tacro_app.clinic is not None:
            self.reload()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Nothing but quitting and help until the store is open."""
        if self.tacro_app.clinic is None and action in {"add", "search", "calculator", "profile", "replay"}:
            return False
        return True

    def reload(self) -> None:
        """Read the patients now; assess them one by one in a worker so the list is usable at once."""
        self.patients = self.clinic.patients()
        self.rows = {p.patient_id: None for p in self.patients}
        self._fill()
        self.assess_all()

    @work(exclusive=True, group="assess")
    async def assess_all(self) -> None:
        status = self.query_one("#list-status", Static)
        total = len(self.patients)
        status.update(Text(f"assessing {total} patients…" if total else
                           "No patients yet: press a to add one. Data: " + str(self.tacro_app.db_path or "in memory")))
        for p in self.patients:
            self.rows[p.patient_id] = self.clinic.row(p)
            self._update(p.patient_id)
            await asyncio.sleep(0)
        self._fill()  # once more with every row known: DataTable sizes columns reliably when rows are added
        if total:
            overdue = sum(1 for r in self.rows.values() if r and r.overdue)
            status.update(Text(f"{total} patients; {overdue} with a check overdue (as of "
                               f"{self.clinic.today.isoformat()}). Enter opens, a adds."))

    def _matches(self, patient, query: str) -> bool:
        q = query.strip().lower()
        return not q or q in patient.patient_id.lower() or q in patient.label.lower()

    def _fill(self) -> None:
        """(Re)build the rows that match the search, keeping the highlighted patient highlighted."""
        table = self.query_one("#patients", DataTable)
        query = self.query_one("#search", Input).value
        current = None
        if table.row_count:
            current = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        table.clear()
        for p in self.patients:
            if self._matches(p, query):
                table.add_row(*self._cells(p.patient_id), key=p.patient_id)
        if current is not None and current in table.rows:
            table.move_cursor(row=table.get_row_index(current))

    def _cells(self, pid: str) -> list:
        patient = next(p for p in self.patients if p.patient_id == pid)
        row = self.rows.get(pid)
        if row is None:
            return [Text(pid), Text(patient.label), Text("…"), Text(""), Text(""), Text("")]
        if row.problem:
            return [Text(pid), Text(patient.label), Text(""), Text(row.problem, style="dim"), Text(""), Text("")]
        dose = ""
        if row.dose is not None:
            dose = str(row.dose.daily_dose or row.dose.rate or "")
        nxt = row.next_due
        mark = Text("OVERDUE", style="bold red") if row.overdue else Text("")
        return [Text(pid), Text(patient.label), Text(dose),
                Text(STREAM_SHORT.get(nxt.stream, nxt.title) if nxt else "none"),
                Text(nxt.due_by.isoformat() if nxt else ""), mark]

    def _update(self, pid: str) -> None:
        table = self.query_one("#patients", DataTable)
        if pid not in table.rows:
            return
        for (key, _), value in zip(COLUMNS, self._cells(pid)):
            table.update_cell(pid, key, value)

    @on(Input.Changed, "#search")
    def _search(self) -> None:
        self._fill()

    @on(Input.Submitted, "#search")
    def _search_done(self) -> None:
        self.query_one("#patients", DataTable).focus()

    @on(DataTable.RowSelected, "#patients")
    def _open(self, event: DataTable.RowSelected) -> None:
        if self.tacro_app.clinic is None:
            return
        from tui.screens.patient import PatientScreen

        self.app.push_screen(PatientScreen(str(event.row_key.value)))

    def action_search(self) -> None:
        self.query_one("#search", Input).focus()

    def action_add(self) -> None:
        from tui.screens.add_patient import AddPatientScreen
        from tui.screens.patient import PatientScreen

        def opened(pid: str | None) -> None:
            if pid:
                self.app.push_screen(PatientScreen(pid))

        self.app.push_screen(AddPatientScreen(), opened)

    def action_calculator(self) -> None:
        from tui.screens.calculator import CalculatorScreen

        self.app.push_screen(CalculatorScreen())

    def action_profile(self) -> None:
        from tui.screens.profile import ProfileScreen

        self.app.push_screen(ProfileScreen())

    def action_replay(self) -> None:
        from tui.screens.replay import ReplayScreen

        self.app.push_screen(ReplayScreen())
