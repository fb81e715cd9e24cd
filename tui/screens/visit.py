"""Log a visit (or amend one): quantities as typed, checked as typed, nothing lost when refused."""
from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import Button, Footer, Header, Label, Select, Static

from dosing.core.errors import TacroError
from dosing.core.models import Event
from tui import forms
from tui.screens.base import TacroScreen
from tui.widgets.field import Form, FormField

REASON = forms.FieldSpec("reason", "Reason for change", "why the recorded visit is corrected", required=True)


class VisitScreen(TacroScreen[int | None]):
    """The visit form; dismisses with the saved event's id, or None when cancelled."""

    BINDINGS = [
        Binding("ctrl+s", "save", "Save", priority=True),
        Binding("escape", "cancel", "Cancel"),
    ]

    def __init__(self, patient_id: str, amend: Event | None = None, prefill: dict[str, str] | None = None,
                 kind: str | None = None, product: str | None = None, origin: str = "") -> None:
        super().__init__()
        self.patient_id = patient_id
        self.amend = amend
        self.AUTO_FOCUS = "#weight" if amend is None and not prefill else "#date"  # type: ignore[misc]  # per instance, on purpose
        self._prefill: dict[str, str] = dict(prefill or {})
        """Texts to start from: an amended visit's, or a hand-off's (dose, weight)."""
        self.kind = kind
        self.product = product
        self.origin = origin
        """Where a prefilled form came from (shown), e.g. "the calculator's regimen"."""

    def compose(self) -> ComposeResult:
        clinic = self.clinic
        if self.amend is not None:
            versions = clinic.versions(self.amend.line) if self.amend.line is not None else []
            current = next((v for v in versions if v.get("id") == self.amend.line), {})
            self._prefill = forms.prefill(self.amend, current.get("entered"))
        yield Header()
        with Form(classes="form"):
            if self.amend is None and self.origin:
                yield Static(Text(f"A {(self.kind or 'visit').replace('_', ' ')} for {self.patient_id}, prefilled "
                                  f"from {self.origin}: review every field, then save (ctrl+s). Nothing is "
                                  "saved until you do."), classes="intro")
            elif self.amend is None:
                yield Static(Text(f"Log a visit for {self.patient_id}. Type quantities with their unit; "
                                  "a blank field was not measured."), classes="intro")
            else:
                yield Static(Text(f"Amend the {self.amend.event} of {self.amend.date.isoformat()} for "
                                  f"{self.patient_id}. The original stays in the store's history."), classes="intro")
            fields = {s.name: s for s in forms.VISIT_FIELDS}
            yield FormField(fields["date"], self._check, self._value("date", clinic.today.isoformat()))
            with Horizontal(classes="form-field"):
                yield Label("Event", classes="field-label")
                yield Select([(t, v) for t, v in forms.EVENT_CHOICES], value=self.amend.event if self.amend else
                             self.kind or "visit", allow_blank=False, id="event", compact=True, classes="field-input")
                yield Static("start and dose change need a dose", classes="field-message")
            yield FormField(fields["weight"], self._check, self._value("weight"))
            yield FormField(fields["dose"], self._check, self._value("dose"))
            with Horizontal(classes="form-field"):
                yield Label("Product", classes="field-label")
                products = [(f"{p.key}", p.key) for p in clinic.profile.products.values()]
                chosen = self.amend.product if self.amend else self.product
                yield Select(products, value=chosen if chosen in {v for _, v in products} else Select.NULL, prompt="as before", id="product", compact=True,
                             classes="field-input")
                yield Static("blank: as before (ir-capsule if never set)", classes="field-message")
            for name in ("trough", "hours_post_dose", "creatinine", "bp", "note"):
                yield FormField(fields[name], self._check, self._value(name))
            if self.amend is not None:
                yield FormField(REASON)
            yield Static("", id="form-status", classes="form-status")
            with Horizontal(classes="buttons"):
                yield Button("Save  ctrl+s", id="save", variant="primary", compact=True)
                yield Button("Cancel  esc", id="cancel", compact=True)
        yield Footer()

    def on_mount(self) -> None:
        for f in self.query(FormField):
            if f.text:
                f.check()

    def _value(self, name: str, default: str = "") -> str:
        return self._prefill.get(name, default)

    def _check(self, name: str, text: str) -> tuple[str | None, str]:
        clinic = self.clinic
        return forms.check(name, text, self.patient_id, clinic.profile, clinic.today)

    def texts(self) -> dict[str, str]:
        """Every field as typed (the reason for an amendment excluded)."""
        return {f.spec.name: f.text for f in self.query(FormField) if f.spec.name != "reason"}

    def _status(self, text: str, error: bool = True) -> None:
        status = self.query_one("#form-status", Static)
        status.update(Text(text))
        status.set_class(error, "-error")

    def action_save(self) -> None:
        clinic = self.clinic
        kind = self.query_one("#event", Select).value
        product = self.query_one("#product", Select).value
        result = forms.read_visit(self.texts(), self.patient_id, str(kind),
                                  None if product is Select.NULL else str(product), clinic.profile, clinic.today,
                                  line=self.amend.line if self.amend else None)
        reason = ""
        if self.amend is not None:
            reason = self.query_one("#field-reason", FormField).text.strip()
            if not reason:
                result.errors["reason"] = "a reason is needed: the store keeps it with the original"
        for f in self.query(FormField):
            f.show(result.errors.get(f.spec.name), "" if f.spec.name in result.errors else
                   forms.hint(f.spec.name, f.text))
        if result.errors:
            unplaced = [m for k, m in result.errors.items() if not self.query(f"#field-{k}")]
            placed = len(result.errors) - len(unplaced)
            self._status(" ".join(["Not saved:", *unplaced]
                                  + ([f"{placed} field(s) need attention;"] if placed else [])
                                  + ["everything typed is kept."]))
            self._focus(next(iter(result.errors)))
            return
        assert result.event is not None  # a result without errors carries its event
        try:
            questions = []
            early = clinic.before_baseline(result.event, self.amend.line if self.amend else None)
            if early:
                questions.append(("Dated before the baseline?", early, "Yes, this date is meant", "date"))
            jump = clinic.dose_jump(result.event, self.amend.line if self.amend else None)
            if jump:
                questions.append(("Confirm an unusual dose", jump, "Yes, this dose is meant", "dose"))
        except TacroError as e:
            self._status(f"Not saved: {e.message}")
            return
        self._ask(questions, result, reason)

    def _ask(self, questions: list, result: forms.FormResult, reason: str) -> None:
        """Ask each question in turn; save only when every one is answered yes."""
        if not questions:
            self._save(result, reason)
            return
        from tui.screens.confirm import ConfirmScreen

        (title, question, yes, field), rest = questions[0], questions[1:]

        def answered(ok: bool | None) -> None:
            if ok:
                self._ask(rest, result, reason)
            else:
                self._status(f"Not saved: the {field} was not confirmed. Everything typed is kept; correct the "
                             f"{field}, or save again to be asked again.")
                self._focus(field)

        self.app.push_screen(ConfirmScreen(title, question, yes=yes, no="No, back to the form"), answered)

    def unsaved(self) -> bool:
        """Whether leaving now would lose typed values."""
        typed = any(f.text.strip() for f in self.query(FormField) if f.spec.name != "date")
        return typed and (self.amend is None or self._changed())

    def _save(self, result: forms.FormResult, reason: str) -> None:
        assert result.event is not None  # only a result without errors is saved
        try:
            event_id = self.clinic.save(result.event, result.entered,
                                            self.amend.line if self.amend else None, reason)
        except TacroError as e:
            self._status(f"Not saved: {e.message} Everything typed is kept; try again.")
            return
        self.dismiss(event_id)

    def _focus(self, name: str) -> None:
        if self.query(f"#{name}"):
            self.query_one(f"#{name}").focus()

    @on(Button.Pressed, "#save")
    def _save_pressed(self) -> None:
        self.action_save()

    @on(Button.Pressed, "#cancel")
    def _discard_if(self, yes: bool | None) -> None:
        if yes:
            self.dismiss(None)

    def action_cancel(self) -> None:
        if not self.unsaved():
            self.dismiss(None)
            return
        from tui.screens.confirm import ConfirmScreen

        self.app.push_screen(ConfirmScreen("Discard this form?", "What you typed has not been saved.",
                                           yes="Discard", no="Keep editing"),
                             self._discard_if)

    def _changed(self) -> bool:
        return any(f.text != self._value(f.spec.name, f.text) for f in self.query(FormField)
                   if f.spec.name != "reason")
