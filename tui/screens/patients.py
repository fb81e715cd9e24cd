"""The first screen, a worklist: every patient's worst open finding, overdue mark and next check.

The whole list comes from one batch evaluation (`Clinic.worklist`: one query, the
rules once over every patient) in a worker; after a save only the patients saved
are re-read; a change by another process (seen by the app's poll of the store)
re-reads the list. Sorted by urgency (alert, warn, overdue, info, then due date),
or by id with `o`.
"""
from __future__ import annotations

import datetime as dt
from operator import attrgetter
from typing import TYPE_CHECKING

from rich.markup import escape
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Footer, Header, Input, Static

from tui.screens.base import TacroScreen
from tui.widgets.plot import SEVERITY_STYLE

if TYPE_CHECKING:  # imported by the worker that opens the store, after the first screen is drawn
    from dosing.core.models import Patient
    from dosing.core.worklist import Status
    from tui.clinic import Clinic

COLUMNS = (("patient", "Patient"), ("label", "Label"), ("action", "Open finding"), ("mark", "Overdue"),
           ("next", "Next"), ("due", "Due by"))
WIDTHS = {"label": 11, "action": 24, "mark": 7, "next": 6, "due": 10}
"""Fixed widths (the patient column fits the longest id): the table never measures 20,000 cells."""
LABEL_WIDTH = 11
"""Labels are cut to this width (ids and marks never are) so the list fits 80 columns."""
LIST_STREAM = {"renal": "renal", "level": "trough"}
"""renal: creatinine and blood pressure; trough: the drug level."""


OVERDUE = Text("OVERDUE", style="bold red")
NO_VISITS = Text("no visits recorded", style="dim")


def _plain(text: str) -> str:
    """Text the table shows as written (it reads plain strings as markup)."""
    return escape(text) if "[" in text else text


class WorklistTable(DataTable):
    """A DataTable whose columns all have fixed widths and whose rows are one line high.

    Textual's DataTable measures every cell of every new row to size auto-width columns
    (about 0.1 ms a cell: 12 s for 20,000 patients); with fixed widths nothing needs
    measuring, so only the table's size is updated. It also rebuilds the rows' order and
    their line offsets, a Python loop over every row, after each change; while the rows are
    only ever refilled (`clear` then `fill`), the order is the list `fill` built and a row's
    line is its index. (Textual is pinned in pyproject.toml.)"""

    _order: list | None = None
    """The rows in display order while only `clear` and `fill` changed them; None after any other change."""
    _offsets: list | None = None

    def fill(self, rows: list[tuple[str, list]]) -> None:
        """Append many rows (key, cells) at once: add_row's bookkeeping, but the cursor set and the
        table marked for an update once for all rows instead of once per row."""
        from textual.widgets.data_table import Row, RowKey

        keys = [c.key for c in self.ordered_columns]
        measure = any(c.auto_width for c in self.columns.values())
        locations, data, table_rows, order = self._row_locations, self._data, self.rows, self._order
        added = []
        for key, cells in rows:
            row_key = RowKey(key)
            locations[row_key] = len(table_rows)
            data[row_key] = dict(zip(keys, cells))
            row = table_rows[row_key] = Row(row_key, 1, None, False)
            added.append(row)
            if measure:
                self._new_rows.add(row_key)
        if order is not None:
            order.extend(added)
        self._offsets = None
        self._require_update_dimensions = True
        self.cursor_coordinate = self.cursor_coordinate
        if self.row_count and self.show_cursor and self.cursor_type != "none":
            self._highlight_cursor()
        self._update_count += 1
        self.check_idle()

    def clear(self, columns: bool = False) -> WorklistTable:
        self._offsets = []  # what Textual's clear empties: not worth building for the rows about to go
        super().clear(columns)
        self._order, self._offsets = [], None
        return self

    def add_row(self, *cells, height: int | None = 1, key: str | None = None, label=None):
        self._order = None
        return super().add_row(*cells, height=height, key=key, label=label)

    def remove_row(self, row_key) -> None:
        self._order = None
        super().remove_row(row_key)

    def sort(self, *columns, key=None, reverse: bool = False) -> WorklistTable:
        self._order = None
        super().sort(*columns, key=key, reverse=reverse)
        return self

    def _filled_order(self) -> list | None:
        order = self._order
        return order if order is not None and len(order) == len(self.rows) else None

    @property
    def ordered_rows(self) -> list:
        order = self._filled_order()
        return order if order is not None else DataTable.ordered_rows.fget(self)  # type: ignore[attr-defined]

    @property
    def _y_offsets(self) -> list:
        order = self._filled_order()
        if order is None:
            return DataTable._y_offsets.fget(self)  # type: ignore[attr-defined]
        if self._offsets is None:  # reset by fill and clear, the only changes that keep the order
            self._offsets = [(row.key, 0) for row in order]
        return self._offsets

    def _update_dimensions(self, new_rows) -> None:
        if any(c.auto_width for c in self.columns.values()):
            super()._update_dimensions(new_rows)
        else:
            super()._update_dimensions(())


class PatientListScreen(TacroScreen[None]):
    """Find a patient (type to search), open one, or add one."""

    BINDINGS = [
        Binding("a", "add", "Add patient"),
        Binding("slash", "search", "Search"),
        Binding("o", "order", "Sort"),
        Binding("c", "calculator", "Calculator"),
        Binding("p", "profile", "Profile"),
        Binding("r", "replay", "Replay"),
        Binding("question_mark", "app.help", "Help", key_display="?"),
        Binding("q", "app.quit", "Quit"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.rows: dict[str, Status | None] = {}
        self.patients: list[Patient] = []
        self.sort = "urgency"
        self.updated: dt.datetime | None = None
        self.loaded = False
        """Whether the list was read once (a resume before that is the first load still running)."""
        self._order: tuple[str, list] | None = None
        """(sort, patients in that order), kept until a row or the sort changes: typing a search re-sorts nothing."""
        self._row_cells: dict[str, list] = {}
        """Each patient's cells, kept until the patient's row changes."""
        self._actions: dict[tuple, Text] = {}
        """The 'Open finding' cell of each (severity, rule, count): a few dozen Text objects shared by all rows."""

    def compose(self) -> ComposeResult:
        yield Header()
        yield Input(placeholder="search: patient id or label  ( / )", id="search", compact=True)
        yield WorklistTable(id="patients", cursor_type="row", zebra_stripes=True)
        yield Static("", id="list-status")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#patients", DataTable)
        for key, title in COLUMNS:
            table.add_column(title, key=key, width=WIDTHS.get(key, 7))
        table.focus()
        if self.tacro_app.clinic is None:
            self.query_one("#list-status", Static).update(Text(f"Opening the store {self.tacro_app.db_path or ''}…"))
            self.call_after_refresh(self.open_store)  # after the first frame: the imports hold the GIL
        else:
            self.reload()

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
        self.tacro_app.start_watching()
        self.reload()

    def _open_failed(self, message: str) -> None:
        self.query_one("#list-status", Static).update(
            Text(f"Cannot open the store: {message} Press q to quit.", style="bold red"))
        self.tacro_app.end_startup()

    def on_screen_resume(self) -> None:
        """Back from a patient: re-read only the patients saved meanwhile (one evaluation each)."""
        clinic = self.tacro_app.clinic
        if clinic is None or not self.loaded:
            return
        changed, clinic.changed = set(clinic.changed), set()
        if not self.patients or any(pid not in self.rows for pid in changed):
            self.reload()
            return
        for pid in changed:
            self.rows[pid] = clinic.status(pid)
            self._row_cells.pop(pid, None)
        if changed:
            self._order = None
            self._fill()

    def store_changed(self) -> None:
        """Another process wrote to the store: read the list again."""
        self.reload()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Nothing but quitting and help until the store is open."""
        if self.tacro_app.clinic is None and action in {"add", "search", "calculator", "profile", "replay", "order"}:
            return False
        return True

    def reload(self) -> None:
        """Read every patient and their status in a worker: one query, one evaluation of the rules."""
        if not self.patients:
            self.query_one("#list-status", Static).update(Text("Reading the patients…"))
        self.load_all()

    @work(thread=True, exclusive=True, group="assess")
    def load_all(self) -> None:
        from dosing.core.errors import TacroError

        clinic = self.clinic
        try:
            patients = clinic.patients()
            rows = clinic.worklist()
        except TacroError as e:
            self.app.call_from_thread(self._open_failed, e.message)
            return
        self.app.call_from_thread(self._loaded, patients, rows)

    def _loaded(self, patients, rows: dict[str, Status]) -> None:
        self.loaded = True
        self.patients = patients
        self.labels = {p.patient_id: p.label for p in patients}
        self.rows = {p.patient_id: rows.get(p.patient_id) for p in patients}
        self._order, self._row_cells = None, {}
        from textual.widgets.data_table import ColumnKey

        table = self.query_one("#patients", DataTable)
        table.columns[ColumnKey("patient")].width = max([7, *(len(p.patient_id) for p in patients)])
        self.clinic.changed.clear()
        self.updated = self.clinic.clock_now()
        self._fill()
        self.tacro_app.end_startup()

    def _status_line(self) -> None:
        status = self.query_one("#list-status", Static)
        if not self.patients:
            status.update(Text("No patients yet: press a to add one. Data: " + str(self.tacro_app.db_path or "in memory")))
            return
        rows = [r for r in self.rows.values() if r is not None]
        act = sum(1 for r in rows if r.needs_action)
        alerts = sum(1 for r in rows if r.severity == "alert")
        overdue = sum(1 for r in rows if r.overdue)
        out = Text()
        out.append(f"{act} of {len(self.patients)} need action", style="bold" if act else "")
        out.append(f": {alerts} alert, {overdue} overdue · as of {self.clinic.today.isoformat()}")
        if self.updated is not None:
            out.append(f" · updated {self.updated:%H:%M:%S}", style="green")
        status.update(out)

    def _matches(self, patient, query: str) -> bool:
        q = query.strip().lower()
        return not q or q in patient.patient_id.lower() or q in patient.label.lower()

    def _ordered(self) -> list:
        if self._order is not None and self._order[0] == self.sort:
            return self._order[1]
        if self.sort == "id":
            order = sorted(self.patients, key=attrgetter("patient_id"))
        else:
            rows, never = self.rows, (9,)

            def key(p):
                r = rows.get(p.patient_id)
                return (r.urgency() if r is not None else never, p.patient_id)
            order = sorted(self.patients, key=key)
        self._order = (self.sort, order)
        return order

    def _fill(self) -> None:
        """(Re)build the rows that match the search, in order, keeping the highlighted patient highlighted."""
        table = self.query_one("#patients", WorklistTable)
        query = self.query_one("#search", Input).value
        current = None
        if table.row_count:
            current = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        table.clear()
        cached, cells = self._row_cells, self._cells
        ordered = self._ordered()
        if query.strip():
            ordered = [p for p in ordered if self._matches(p, query)]
        table.fill([(p.patient_id, cached.get(p.patient_id) or cells(p.patient_id, p.label)) for p in ordered])
        if current is not None and current in table.rows:
            table.move_cursor(row=table.get_row_index(current))
        self._status_line()

    def _cells(self, pid: str, label: str) -> list:
        """The row's cells: plain text (escaped, so an id with '[' shows as typed) where unstyled, which the
        table turns into Text only for the rows on screen; Text where a mark has a colour."""
        row = self.rows.get(pid)
        short = label if len(label) <= LABEL_WIDTH else label[:LABEL_WIDTH - 1] + "…"
        pid_cell, label_cell = _plain(pid), _plain(short)
        if row is None:
            cells = [pid_cell, label_cell, NO_VISITS, "", "", ""]
        else:
            nxt = LIST_STREAM.get(row.next_stream or "", "stopped" if row.stopped else "none")
            cells = [pid_cell, label_cell, self._action(row), OVERDUE if row.overdue else "", nxt,
                     row.next_due_by.isoformat() if row.next_due_by else ""]
        self._row_cells[pid] = cells
        return cells

    def _action(self, row: Status) -> Text | str:
        """'ALERT CREATININE_RISE +1': the worst open finding, its severity coloured, and how many more."""
        if row.severity is None:
            return ""
        key = (row.severity, row.rule, row.open_count)
        action = self._actions.get(key)
        if action is None:
            action = self._actions[key] = Text()
            action.append(f"{row.severity.upper():<5} ", style=SEVERITY_STYLE.get(row.severity, ""))
            action.append(row.rule or "")
            if row.open_count > 1:
                action.append(f" +{row.open_count - 1}", style="dim")
        return action

    def highlighted(self) -> str | None:
        table = self.query_one("#patients", DataTable)
        if not table.row_count:
            return None
        return str(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value)

    def action_order(self) -> None:
        """Sort by urgency or by id."""
        self.sort = "id" if self.sort == "urgency" else "urgency"
        self._fill()

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
