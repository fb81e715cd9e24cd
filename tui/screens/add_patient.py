"""Add a patient with the baseline the rules need: creatinine and blood pressure before the start."""
from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import Button, Checkbox, Footer, Header, Static

from dosing.core.errors import TacroError
from tui import forms
from tui.screens.base import TacroScreen
from tui.widgets.field import Form, FormField


class AddPatientScreen(TacroScreen[str | None]):
    """Patient id, label, prior cyclosporine nephrotoxicity, and the baseline visit; dismisses with the id."""

    AUTO_FOCUS = "#patient_id"
    BINDINGS = [
        Binding("ctrl+s", "save", "Save", priority=True),
        Binding("escape", "cancel", "Cancel"),
    ]

    def compose(self) -> ComposeResult:
        clinic = self.clinic
        yield Header()
        with Form(classes="form"):
            yield Static("Add a patient. The baseline (dated on or before the start of tacrolimus) is saved as "
                         "the patient's first visit: the creatinine rise rule compares with it.", classes="intro")
            for spec in forms.PATIENT_FIELDS:
                value = clinic.today.isoformat() if spec.name == "date" else ""
                yield FormField(spec, self._check, value)
            yield Checkbox("Reversible nephrotoxicity on cyclosporine before (starts lower)", id="prior_csa",
                           compact=True)
            yield Static("", id="suggestion", classes="suggestion")
            yield Static("", id="form-status", classes="form-status")
            with Horizontal(classes="buttons"):
                yield Button("Save  ctrl+s", id="save", variant="primary", compact=True)
                yield Button("Cancel  esc", id="cancel", compact=True)
        yield Footer()

    def _pid(self) -> str:
        return self.query_one("#field-patient_id", FormField).text

    def _check(self, name: str, text: str) -> tuple[str | None, str]:
        clinic = self.clinic
        result = forms.check(name, text, self._pid() if name != "patient_id" else "", clinic.profile, clinic.today)
        if name == "weight":
            self.call_after_refresh(self._suggest)
        return result

    @on(Checkbox.Changed)
    def _suggest(self) -> None:
        """The paper's starting regimen for this weight (lower after cyclosporine nephrotoxicity), as a hint."""
        from dosing.core import units
        from dosing.core.regimen import suggest_start

        box = self.query_one("#suggestion", Static)
        weight = self.query_one("#field-weight", FormField)
        if not weight.text.strip() or weight.error:
            box.update("")
            return
        try:
            reg = suggest_start(units.parse(weight.text, "weight", "weight"), self.query_one(Checkbox).value,
                                profile=self.clinic.profile)
        except TacroError as e:
            box.update(Text(e.message))
            return
        box.update(Text(f"Paper's starting regimen for {weight.text.strip()}: {reg.summary()}\n  "
                        f"{reg.basis[0]}\n  Log it as a 'start' visit when it is prescribed."))

    def _texts(self) -> dict[str, str]:
        return {f.spec.name: f.text for f in self.query(FormField)}

    def action_save(self) -> None:
        clinic = self.clinic
        status = self.query_one("#form-status", Static)
        result = forms.read_new_patient(self._texts(), self.query_one(Checkbox).value, clinic.profile,
                                        clinic.today)
        for f in self.query(FormField):
            f.show(result.errors.get(f.spec.name))
        if not result.ok:
            status.update(Text(f"Not saved: {len(result.errors)} field(s) need attention; everything typed is kept."))
            status.add_class("-error")
            self._focus_first_error(result.errors)
            return
        assert result.patient is not None and result.event is not None  # ok means both were read
        try:
            clinic.add_patient(result.patient, result.event, result.entered)
        except TacroError as e:
            field = getattr(e, "field", None)
            if field and self.query(f"#field-{field}"):
                self.query_one(f"#field-{field}", FormField).show(e.message)
            status.update(Text(f"Not saved: {e.message} Everything typed is kept."))
            status.add_class("-error")
            return
        self.dismiss(result.patient.patient_id)

    def _discard_if(self, yes: bool | None) -> None:
        if yes:
            self.dismiss(None)

    def _focus_first_error(self, errors: dict[str, str]) -> None:
        for f in self.query(FormField):
            if f.spec.name in errors:
                f.query_one("Input").focus()
                return

    @on(Button.Pressed, "#save")
    def _save_pressed(self) -> None:
        self.action_save()

    def unsaved(self) -> bool:
        """Whether leaving now would lose typed values (the date is prefilled, so it does not count)."""
        return any(f.text.strip() for f in self.query(FormField) if f.spec.name != "date")

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        """Leave; ask first when something was typed."""
        if not self.unsaved():
            self.dismiss(None)
            return
        from tui.screens.confirm import ConfirmScreen

        self.app.push_screen(ConfirmScreen("Discard this patient?", "What you typed has not been saved.",
                                           yes="Discard", no="Keep editing"),
                             self._discard_if)
