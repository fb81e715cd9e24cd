"""One patient: the regimen in force, the latest findings with their basis, checks due, history and plots."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

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
from tui.widgets.plot import TimePlot
from tui.widgets.results import due_text, findings_text

PLOTS = ("trough", "creatinine", "bp", "dose")
"""The plots, in the order of `dosing.report.charts.patient_charts`, on one date axis."""

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
        Binding("r", "report", "Report"),
        Binding("escape", "back", "Back"),
    ]

    def __init__(self, patient_id: str, saved: int | None = None) -> None:
        super().__init__()
        self.patient_id = patient_id
        self.saved = saved
        self.view: PatientView | None = None
        self.updated: dt.datetime | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="patient-title")
        with TabbedContent(initial="summary"):
            with TabPane("Summary", id="summary"):
                # the checks due are short and always shown in full; the findings follow and may scroll
                # open alerts first, then the regimen, then the checks due; the latest event's findings last
                with VerticalScroll():
                    yield Static("", id="baseline-change")
                    yield Static("", id="open")
                    yield Static("", id="regimen")
                    yield Static("", id="due")
                    yield Static("", id="latest")
            with TabPane("History", id="history"):
                yield DataTable(id="history-table", cursor_type="row", zebra_stripes=True)
                yield Static("", id="history-detail")
            with TabPane("Plots", id="plots"):
                with VerticalScroll():
                    for name in PLOTS:
                        yield TimePlot(id=f"plot-{name}", plot_height=5, grow=3)
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
        if self.updated is not None:
            title.append(f"  · updated {self.updated:%H:%M:%S}", style="green")
        self.query_one("#patient-title", Static).update(title)
        self.query_one("#baseline-change", Static).update(self._baseline_text(view))
        self.query_one("#open", Static).update(self._open_text(view))
        self.query_one("#regimen", Static).update(self._regimen_text(view))
        self.query_one("#latest", Static).update(self._latest_text(view))
        a = view.assessment
        due = Text("Checks due next\n", style="bold underline")
        due.append_text(due_text(a.due if a else [], clinic.today))
        self.query_one("#due", Static).update(due)
        self._fill_history(view)
        self._fill_plots(view)

    def store_changed(self) -> None:
        """Another process wrote to the store: show this patient as it is now, marked as updated."""
        self.updated = self.clinic.clock_now()
        self.load()

    # ---------------------------------------------------------------- summary
    @staticmethod
    def _baseline_text(view: PatientView) -> Text:
        if view.baseline_change is None:
            return Text("")
        old, new, event = view.baseline_change
        out = Text("Baseline creatinine changed", style="bold yellow")
        out.append(f" by the {event.event.replace('_', ' ')} of {event.date.isoformat()} (#{event.line}): "
                   f"was {units.format_number(old.value, 3)} µmol/L of {old.date.isoformat()}, now "
                   f"{units.format_number(new.value, 3)} µmol/L of {new.date.isoformat()}"
                   f"{' (assumed)' if new.assumed else ''}. Every creatinine rise is now measured against "
                   "the new baseline; amend that visit if this was not meant.\n")
        return out

    def _open_text(self, view: PatientView) -> Text:
        from dosing.core.worklist import next_steps

        out = Text(f"Open findings ({len(view.open)})\n" if view.open else "Open findings\n",
                   style="bold underline")
        out.append_text(findings_text(view.open, "none open: no finding awaits a later measurement",
                                      inputs=False))
        steps = next_steps(view.open, view.assessment.due if view.assessment else [])
        if steps:
            out.append("What the rules do next\n", style="bold")
            for text, source in steps:
                out.append(f"  {text}\n")
                out.append(f"    source: {source}\n", style="dim italic")
        return out

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
            latest = view.step(None)
            dated = " — back-dated: the open findings above are the current state" \
                if latest is not None and latest["date"] > step["date"] else ""
            head = f"Findings for the visit just saved ({step['date'].isoformat()}){dated}\n"
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
            out.append(f"  amended {len(versions) - 1} time(s); every version is kept:", style="yellow")
        out.append("\n")
        for v in versions:
            out.append_text(version_text(v, len(versions) > 1))
        out.append_text(findings_text(step["findings"] if step else [], "no findings at this event"))
        self.query_one("#history-detail", Static).update(out)

    # ---------------------------------------------------------------- plots
    def _fill_plots(self, view: PatientView) -> None:
        from dosing.report.charts import patient_charts

        charts = patient_charts(view.events, view.assessment, self.clinic.profile, self.clinic.today)
        for name, chart in zip(PLOTS, charts):
            self.query_one(f"#plot-{name}", TimePlot).set_chart(chart)

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

    def action_report(self) -> None:
        """Write this patient's report (as `tacro report` does) beside the store, and say where."""
        import dosing
        from dosing.report.html import read_report_data, render_html
        from dosing.report.output import default_out, write_report

        clinic = self.clinic
        path = getattr(clinic.store, "path", None)
        if path is None:
            self.notify("This store has no folder to write a report to; use tacro report.", severity="warning")
            return
        try:
            out = default_out(Path(path), self.patient_id, clinic.today)
            data = read_report_data(clinic.store, self.patient_id, clinic.profile, clinic.today)
            write_report(render_html(data, clinic.profile, clinic.today, dosing.__version__, clinic.clock_now()),
                         out, force=True, protect=[Path(path)])
        except TacroError as e:
            self.notify(f"No report written: {e.message}", severity="error", timeout=8)
            return
        except OSError as e:
            self.notify(f"No report written: {e.strerror}", severity="error", timeout=8)
            return
        self.notify(f"Report written (private file): {out}", timeout=8)

    def action_calculator(self) -> None:
        from tui.screens.calculator import CalculatorScreen

        self.app.push_screen(CalculatorScreen.for_patient(self.view) if self.view else CalculatorScreen(),
                             self._after_save)


AUDITED = ("date", "event", "weight", "dose", "dose_rate", "product", "trough", "hours_post_dose", "creatinine",
           "sbp", "dbp", "note")


def version_text(v: dict, numbered: bool) -> Text:
    """One stored version of a visit: its values as typed, when, by whom, from where, and why it was amended."""
    who = v.get("entered_by") or "not recorded"
    if v.get("entered_host"):
        who += f" (over SSH from {v['entered_host']})"
    when = _local(v.get("saved_at") or "")
    out = Text()
    head = f"  v{v['version']}{' (current)' if v.get('current') else ''}: " if numbered else "  "
    out.append(head, style="bold")
    verb = {"import": "imported", "amendment": "amended"}.get(v.get("source", ""), "entered")
    out.append(f"{verb} {when} by {who}", style="dim")
    if v.get("reason"):
        out.append(f"; reason: {v['reason']}", style="dim")
    out.append("\n")
    if numbered:
        entered = v.get("entered") or {}
        stored = v.get("stored") or {}
        cells = []
        for f in AUDITED:
            if f in entered:
                cells.append(f"{f.replace('_', ' ')} {entered[f]}")
            elif f in stored:
                cells.append(f"{f.replace('_', ' ')} {units.format_number(stored[f]['value'], 4)} {stored[f]['unit']}")
            elif f in ("date", "event") and v.get(f):
                cells.append(f"{f} {v[f]}")
        out.append("    " + "; ".join(cells) + "\n")
    return out


def _local(stamp: str) -> str:
    """A stored UTC time as local time, to the minute."""
    import datetime as dt

    try:
        return dt.datetime.fromisoformat(stamp).astimezone().strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return stamp or "at an unrecorded time"
