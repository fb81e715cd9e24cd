"""One patient: the regimen in force, the latest findings with their basis, checks due, history and plots."""
from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import DataTable, Footer, Header, Static, TabbedContent, TabPane

from dosing.core import units
from dosing.core.errors import TacroError
from dosing.core.models import Event
from dosing.core.profile import SEVERITY_RANK
from tui.clinic import PatientView
from tui.screens.base import TacroScreen
from tui.widgets.plot import Chart, Line, Point, Series, TimePlot
from tui.widgets.results import due_text, findings_text

HISTORY_COLUMNS = (("id", "#"), ("date", "Date"), ("event", "Event"), ("findings", "Findings"),
                   ("weight", "Weight"), ("dose", "Dose"), ("trough", "Trough"), ("creatinine", "Creatinine"),
                   ("bp", "BP"), ("note", "Note"))


class PatientScreen(TacroScreen[None]):
    """Summary, history and plots of one patient; v logs a visit, e amends the highlighted one."""

    BINDINGS = [
        Binding("v", "visit", "Log visit"),
        Binding("e", "amend", "Amend"),
        Binding("d", "calculator", "Dose calc"),
        Binding("s", "tab('summary')", "Summary"),
        Binding("h", "tab('history')", "History"),
        Binding("g", "tab('plots')", "Plots"),
        Binding("escape", "back", "Back"),
    ]

    def __init__(self, patient_id: str, saved: int | None = None) -> None:
        super().__init__()
        self.patient_id = patient_id
        self.saved = saved
        self.view: PatientView | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="patient-title")
        with TabbedContent(initial="summary"):
            with TabPane("Summary", id="summary"):
                # the checks due are short and always shown in full; the findings follow and may scroll
                with VerticalScroll():
                    yield Static("", id="regimen")
                    yield Static("", id="due")
                    yield Static("", id="latest")
            with TabPane("History", id="history"):
                yield DataTable(id="history-table", cursor_type="row", zebra_stripes=True)
                yield Static("", id="history-detail")
            with TabPane("Plots", id="plots"):
                with VerticalScroll():
                    yield TimePlot(id="plot-trough")
                    yield TimePlot(id="plot-creatinine")
                    yield TimePlot(id="plot-bp", plot_height=9)
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#history-table", DataTable)
        for key, title in HISTORY_COLUMNS:
            table.add_column(title, key=key)
        self.load()

    def load(self) -> None:
        """Read the patient from the store and show the core's assessment of it."""
        clinic = self.clinic
        try:
            self.view = view = clinic.view(self.patient_id)
        except TacroError as e:
            self.query_one("#latest", Static).update(Text(f"Could not read this patient: {e.message}", "red"))
            return
        p = view.patient
        title = Text(f" {p.patient_id}", style="bold")
        if p.label:
            title.append(f"  {p.label}")
        if p.prior_cyclosporine_nephrotoxicity:
            title.append("  · prior cyclosporine nephrotoxicity", style="yellow")
        title.append(f"  · {len(view.events)} events · as of {clinic.today.isoformat()}", style="dim")
        self.query_one("#patient-title", Static).update(title)
        self.query_one("#regimen", Static).update(self._regimen_text(view))
        self.query_one("#latest", Static).update(self._latest_text(view))
        a = view.assessment
        due = Text("Checks due next\n", style="bold underline")
        due.append_text(due_text(a.due if a else [], clinic.today))
        self.query_one("#due", Static).update(due)
        self._fill_history(view)
        self._fill_plots(view)

    # ---------------------------------------------------------------- summary
    def _regimen_text(self, view: PatientView) -> Text:
        out = Text("Regimen in force\n", style="bold underline")
        dose = view.assessment.dose if view.assessment else None
        if dose is None:
            out.append("  none recorded: log a 'start' visit with the dose prescribed\n", style="dim")
            return out
        out.append(f"  {dose.daily_dose or dose.rate}", style="bold")
        out.append(f" since {dose.since.isoformat()} ({dose.product})\n")
        if dose.rate is not None and dose.daily_dose is not None and dose.weight is not None:
            weighed = dose.weight_date.isoformat() if dose.weight_date else "date unknown"
            out.append(f"  {dose.rate} on {dose.weight} (weighed {weighed})\n")
        try:
            reg = self.clinic.regimen_in_force(dose)
        except TacroError as e:
            out.append(f"  capsules: {e.message}\n", style="dim")
            return out
        if reg is None:
            out.append("  capsules and mg/kg/day need a weight on record\n", style="dim")
            return out
        out.append(f"  {reg.suggestion.text()}; about {reg.given_rate} given\n")
        if dose.daily_dose is not None and abs(reg.daily_dose.value - dose.daily_dose.value) > 1e-9:
            out.append(f"  the recorded {dose.daily_dose} is not a whole number of units: the nearest the "
                       f"{reg.product_title} make is shown\n", style="yellow")
        return out

    def _latest_text(self, view: PatientView) -> Text:
        step = view.step(self.saved) if self.saved is not None else None
        if step is not None:
            head = f"Findings for the visit just saved ({step['date'].isoformat()})\n"
        else:
            step = view.step(None)
            head = f"Findings at the latest event ({step['date'].isoformat()})\n" if step else "Findings\n"
        out = Text(head, style="bold underline")
        if step is None:
            out.append("  no visits recorded\n", style="dim")
            return out
        out.append_text(findings_text(step["findings"], "no findings at this event", inputs=False))
        rise = step.get("creatinine_rise")
        if rise is not None:
            assumed = " (baseline assumed: no creatinine before the start)" if rise["assumed"] else ""
            out.append(f"  creatinine {rise['creatinine']} vs baseline {rise['baseline']} of "
                       f"{rise['baseline_date'].isoformat()}: {rise['rise']}{assumed}\n", style="dim")
        per_event = view.assessment.per_event if view.assessment is not None else []
        earlier = sum(len(s["findings"]) for s in per_event if s is not step)
        if earlier:
            out.append(f"  {earlier} earlier finding(s): see History (h)\n", style="dim")
        return out

    # ---------------------------------------------------------------- history
    def _fill_history(self, view: PatientView) -> None:
        table = self.query_one("#history-table", DataTable)
        table.clear()
        steps = {s["line"]: s for s in (view.assessment.per_event if view.assessment else [])}
        for e in sorted(view.events, key=lambda e: (e.date, e.line or 0)):
            step = steps.get(e.line)
            table.add_row(*self._history_cells(e, step["findings"] if step else []), key=str(e.line))
        if self.saved is not None and str(self.saved) in table.rows:
            table.move_cursor(row=table.get_row_index(str(self.saved)))
        elif table.row_count:
            table.move_cursor(row=table.row_count - 1)

    @staticmethod
    def _history_cells(e: Event, found) -> list:
        q = units.format_quantity
        counts: dict[str, int] = {}
        for f in found:
            counts[f.severity] = counts.get(f.severity, 0) + 1
        marks = Text()
        for sev in sorted(counts, key=lambda s: -SEVERITY_RANK[s]):
            marks.append(f"{counts[sev]} {sev} ", style={"alert": "bold red", "warn": "yellow"}.get(sev, "cyan"))
        dose = e.dose if e.dose is not None else e.dose_rate
        bp = f"{units.format_number(e.sbp.magnitude)}/{units.format_number(e.dbp.magnitude)}" \
            if e.sbp is not None and e.dbp is not None else ""
        cells = [str(e.line), e.date.isoformat(), e.event.replace("_", " "), marks,
                 q(e.weight) if e.weight is not None else "", q(dose) if dose is not None else "",
                 q(e.trough) if e.trough is not None else "", q(e.creatinine) if e.creatinine is not None else "",
                 bp, (e.note[:20] + "…") if len(e.note) > 20 else e.note]
        return [c if isinstance(c, Text) else Text(str(c)) for c in cells]

    @on(DataTable.RowHighlighted, "#history-table")
    def _detail(self, event: DataTable.RowHighlighted) -> None:
        if self.view is None or event.row_key is None or event.row_key.value is None:
            return
        line = int(event.row_key.value)
        step = self.view.step(line)
        out = Text(f"Event #{line}", style="bold")
        try:
            versions = self.clinic.versions(line)
        except TacroError as e:
            versions = []
            out.append(f"  (history unavailable: {e.message})", style="dim")
        if len(versions) > 1:
            out.append(f"  amended {len(versions) - 1} time(s); the original is kept", style="yellow")
            reason = versions[-1].get("reason")
            if reason:
                out.append(f" (last reason: {reason})", style="dim")
        out.append("\n")
        out.append_text(findings_text(step["findings"] if step else [], "no findings at this event"))
        self.query_one("#history-detail", Static).update(out)

    # ---------------------------------------------------------------- plots
    def _severity_by_line(self, view: PatientView, prefix: tuple[str, ...]) -> dict[int, str]:
        out: dict[int, str] = {}
        for s in view.assessment.per_event if view.assessment else []:
            sevs = [f.severity for f in s["findings"] if f.rule.startswith(prefix)]
            if sevs:
                out[s["line"]] = max(sevs, key=lambda x: SEVERITY_RANK[x])
        return out

    def _fill_plots(self, view: PatientView) -> None:
        p = self.clinic.profile
        sev = self._severity_by_line(view, ("TROUGH_",))
        trough = Chart("Trough against its band", "ng/mL", [Series("trough", "●", [
            Point(d, v, sev.get(line)) for d, v, line in view.series("trough", "trough")])], [
            Line(p.canonical("trough_high"), "TROUGH_HIGH above", "red"),
            Line(p.canonical("trough_upper_band"), "TROUGH_UPPER_BAND from", "yellow"),
            Line(p.canonical("trough_low"), "TROUGH_LOW below", "cyan"),
        ])
        self.query_one("#plot-trough", TimePlot).set_chart(trough)

        sev = self._severity_by_line(view, ("CREATININE_",))
        lines = []
        rises = [s["creatinine_rise"] for s in (view.assessment.per_event if view.assessment else [])
                 if s.get("creatinine_rise")]
        if rises:
            base = rises[-1]["baseline"].value
            lines = [Line(base * (1 + p.canonical("creatinine_rise")),
                          f"+{p.values['creatinine_rise'].text} of baseline (CREATININE_RISE)", "red"),
                     Line(base, f"baseline of {rises[-1]['baseline_date'].isoformat()}", "green")]
        creat = Chart("Creatinine against the rise line", "µmol/L", [Series("creatinine", "●", [
            Point(d, v, sev.get(line)) for d, v, line in view.series("creatinine", "creatinine")])], lines)
        self.query_one("#plot-creatinine", TimePlot).set_chart(creat)

        sev = self._severity_by_line(view, ("BP_",))
        bp = Chart("Blood pressure against its thresholds", "mmHg", [
            Series("systolic", "▲", [Point(d, v, sev.get(line)) for d, v, line in view.series("sbp", "pressure")]),
            Series("diastolic", "▼", [Point(d, v, sev.get(line)) for d, v, line in view.series("dbp", "pressure")]),
        ], [
            Line(p.canonical("bp_severe_systolic"), "BP_SEVERE systolic from", "red"),
            Line(p.canonical("bp_high_systolic"), "BP_HIGH systolic from", "yellow"),
            Line(p.canonical("bp_severe_diastolic"), "BP_SEVERE diastolic from", "red"),
            Line(p.canonical("bp_high_diastolic"), "BP_HIGH diastolic from", "yellow"),
        ])
        self.query_one("#plot-bp", TimePlot).set_chart(bp)

    # ---------------------------------------------------------------- actions
    def action_tab(self, tab: str) -> None:
        self.query_one(TabbedContent).active = tab

    def action_back(self) -> None:
        self.app.pop_screen()

    def action_visit(self) -> None:
        from tui.screens.visit import VisitScreen

        self.app.push_screen(VisitScreen(self.patient_id), self._after_save)

    def action_amend(self) -> None:
        from tui.screens.visit import VisitScreen

        if self.view is None:
            return
        table = self.query_one("#history-table", DataTable)
        if not table.row_count:
            self.notify("No visit to amend yet.")
            return
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        event = next((e for e in self.view.events if str(e.line) == key), None)
        if event is None:
            return
        self.app.push_screen(VisitScreen(self.patient_id, amend=event), self._after_save)

    def _after_save(self, event_id: int | None) -> None:
        if event_id is None:
            return
        self.saved = event_id
        self.load()
        self.action_tab("summary")
        self.notify("Saved. The findings for this visit are shown.", timeout=4)

    def action_calculator(self) -> None:
        from tui.screens.calculator import CalculatorScreen

        self.app.push_screen(CalculatorScreen.for_patient(self.view) if self.view else CalculatorScreen())
