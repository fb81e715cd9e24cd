"""The dose calculator: weight x mg/kg/day -> regimen, and proportional adjustment with its caveats."""
from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import Checkbox, Footer, Header, Input, Label, Select, Static, TabbedContent, TabPane

from dosing.core import units
from dosing.core.errors import InputError, TacroError
from dosing.core.models import Finding
from dosing.core.wording import DEFAULT_PRODUCT
from tui.forms import FieldSpec, hint
from tui.screens.base import TacroScreen
from tui.widgets.field import Form, FormField
from tui.widgets.results import adjustment_text, regimen_text

if TYPE_CHECKING:
    from dosing.core.adjust import Adjustment
    from dosing.core.regimen import Regimen

# form field -> (unit kind, the field name the core's errors use)
FIELDS = {
    "reg-weight": ("weight", "weight"), "reg-rate": ("dose_rate", "rate"),
    "adj-dose": ("daily_dose", "dose"), "adj-trough": ("trough", "trough"), "adj-target": ("trough", "target"),
    "adj-weight": ("weight", "weight"),
}
REGIMEN_FIELDS = (FieldSpec("reg-weight", "Weight", "70 kg or 154 lb", required=True),
                  FieldSpec("reg-rate", "Dose per kg", "0.1 mg/kg/day"))
ADJUST_FIELDS = (FieldSpec("adj-dose", "Daily dose now", "7 mg/day", required=True),
                 FieldSpec("adj-trough", "Measured trough", "20.2 ng/mL", required=True),
                 FieldSpec("adj-target", "Target trough", "10 ng/mL", required=True),
                 FieldSpec("adj-weight", "Weight", "optional: mg/kg/day and dose limits"))


class CalculatorScreen(TacroScreen[int | None]):
    """Two tabs, each recomputed as you type; errors beside the field the core names.

    Opened from a patient, F2 hands the result over: a start (or dose-change) visit form prefilled with
    the regimen's daily dose, the product and the weight, to review and save; the screen then closes
    with the saved event's id."""

    BINDINGS = [
        Binding("escape", "back", "Back"),
        Binding("f2", "handoff", "Log as visit", priority=True),
        Binding("ctrl+r", "tab('regimen')", "Regimen", priority=True),
        Binding("ctrl+t", "tab('adjust')", "Adjustment", priority=True),
    ]

    def __init__(self, prefill: dict[str, str] | None = None, context: list[Finding] | None = None,
                 prior_csa: bool = False, product: str | None = None, tab: str = "regimen",
                 patient_id: str | None = None, in_treatment: bool = False) -> None:
        super().__init__()
        self.patient_id = patient_id
        self.in_treatment = in_treatment
        self.results: dict[str, Regimen | Adjustment] = {}
        """The latest regimen ('regimen') and adjustment ('adjust') computed, for the hand-off."""
        self.prefill = prefill or {}
        self.context = context or []
        self.prior_csa = prior_csa
        self.product = product
        self.initial_tab = tab

    @classmethod
    def for_patient(cls, view) -> CalculatorScreen:
        """Prefilled from a patient: weight, dose in force, latest trough, and its findings as context."""
        a = view.assessment
        prefill: dict[str, str] = {}
        dose = a.dose if a else None
        if dose is not None:
            if dose.weight is not None:
                prefill["reg-weight"] = prefill["adj-weight"] = str(dose.weight)
            if dose.daily_dose is not None:
                prefill["adj-dose"] = str(dose.daily_dose)
        weighed = [e for e in sorted(view.events, key=lambda e: (e.date, e.line or 0)) if e.weight is not None]
        if weighed and "reg-weight" not in prefill:  # before a start: the baseline visit's weight
            prefill["reg-weight"] = prefill["adj-weight"] = units.format_quantity(weighed[-1].weight, 6)
        troughs = [e for e in sorted(view.events, key=lambda e: (e.date, e.line or 0)) if e.trough is not None]
        if troughs:
            prefill["adj-trough"] = units.format_quantity(troughs[-1].trough, 6)
        step = view.step(None)
        return cls(prefill, step["findings"] if step else [], view.patient.prior_cyclosporine_nephrotoxicity,
                   dose.product if dose else None, tab="adjust" if "adj-trough" in prefill else "regimen",
                   patient_id=view.patient.patient_id, in_treatment=dose is not None)

    def compose(self) -> ComposeResult:
        products = [(p.key, p.key) for p in self.clinic.profile.products.values()]
        product = self.product if self.product in dict(products) else DEFAULT_PRODUCT
        yield Header()
        with TabbedContent(initial=self.initial_tab):
            with TabPane("Regimen  ctrl+r", id="regimen"):
                with Form(classes="form"):
                    for spec in REGIMEN_FIELDS:
                        yield FormField(spec, self._check, self.prefill.get(spec.name, ""))
                    yield Checkbox("Prior cyclosporine nephrotoxicity (lower start)", self.prior_csa,
                                   id="reg-csa", compact=True)
                    yield self._product_row("reg-product", products, product)
                    yield Static("", id="regimen-result", classes="result")
            with TabPane("Adjustment  ctrl+t", id="adjust"):
                with Form(classes="form"):
                    for spec in ADJUST_FIELDS:
                        yield FormField(spec, self._check, self.prefill.get(spec.name, ""))
                    yield self._product_row("adj-product", products, product)
                    if self.context:
                        yield Static(f"{len(self.context)} finding(s) of the patient's latest event are "
                                     "taken into account.", classes="intro")
                    yield Static("", id="adjust-result", classes="result")
        yield Footer()

    @staticmethod
    def _product_row(id_: str, products, value: str) -> Horizontal:
        return Horizontal(Label("Product", classes="field-label"),
                          Select(products, value=value, allow_blank=False, id=id_, compact=True,
                                 classes="field-input"),
                          Static("", classes="field-message"), classes="form-field")

    def on_mount(self) -> None:
        for f in self.query(FormField):
            if f.text:
                f.check()
        self.recompute()
        self._focus_first()

    def _focus_first(self) -> None:
        """Focus the first field of the tab shown, so typing goes into the form at once."""
        tab = self.query_one(TabbedContent).active
        self.query_one(f"#{'reg-weight' if tab == 'regimen' else 'adj-dose'}", Input).focus()

    def action_back(self) -> None:
        self.dismiss(None)

    def action_handoff(self) -> None:
        """Open a start / dose-change visit prefilled with the result shown (the user reviews and saves)."""
        from tui.screens.visit import VisitScreen

        tab = self.query_one(TabbedContent).active
        result = self.results.get(tab)
        if self.patient_id is None:
            self.notify("Open the calculator from a patient (d) to log its result as a visit.", severity="warning")
            return
        if result is None:
            self.notify("No result to hand over yet: complete the form first.", severity="warning")
            return
        weight = self.query_one(f"#field-{'reg' if tab == 'regimen' else 'adj'}-weight", FormField)
        prefill = {"dose": str(result.daily_dose), "weight": weight.text.strip() if not weight.error else ""}
        kind = "dose_change" if self.in_treatment or tab == "adjust" else "start"
        origin = "the calculator's regimen" if tab == "regimen" else "the adjustment"

        async def saved(event_id: int | None) -> None:  # Textual awaits the callback, and so the dismissal
            if event_id is not None:
                await self.dismiss(event_id)

        self.app.push_screen(VisitScreen(self.patient_id, prefill=prefill, kind=kind, product=result.product,
                                         origin=origin), saved)

    def _check(self, name: str, text: str) -> tuple[str | None, str]:
        if not text.strip():
            return None, "blank: the paper's starting dose" if name == "reg-rate" else ""
        kind, core = FIELDS[name]
        try:
            units.parse(text, kind, core)
        except InputError as e:
            return e.message, ""
        return None, hint(kind if kind in {"weight", "trough"} else "", text)

    def _q(self, name: str):
        f = self.query_one(f"#field-{name}", FormField)
        kind, core = FIELDS[name]
        return units.parse(f.text, kind, core) if f.text.strip() and not f.error else None

    def action_tab(self, tab: str) -> None:
        self.query_one(TabbedContent).active = tab
        self._focus_first()

    @on(Input.Changed)
    @on(Select.Changed)
    @on(Checkbox.Changed)
    def recompute(self) -> None:
        for f in self.query(FormField):
            f.check()
        self._regimen()
        self._adjust()

    def _show_core_error(self, prefix: str, error: InputError, result: Static) -> None:
        name = next((n for n, (_, core) in FIELDS.items() if n.startswith(prefix) and core == error.field), None)
        if name:
            self.query_one(f"#field-{name}", FormField).show(error.message)
        result.update(Text(f"No result: {error.message}"))

    def _regimen(self) -> None:
        from dosing.core.regimen import regimen, suggest_start

        result = self.query_one("#regimen-result", Static)
        self.results.pop("regimen", None)
        weight, rate = self._q("reg-weight"), self._q("reg-rate")
        if weight is None or (rate is None and self.query_one("#field-reg-rate", FormField).text.strip()):
            result.update(Text("Type a weight (and a dose per kg, or leave it blank for the paper's starting dose)."))
            return
        product = str(self.query_one("#reg-product", Select).value)
        profile = self.clinic.profile
        try:
            reg = regimen(weight, rate, product, profile) if rate is not None else \
                suggest_start(weight, self.query_one("#reg-csa", Checkbox).value, product, profile)
        except InputError as e:
            self._show_core_error("reg-", e, result)
            return
        except TacroError as e:
            result.update(Text(f"No result: {e.message}"))
            return
        self.results["regimen"] = reg
        result.update(regimen_text(reg))

    def _adjust(self) -> None:
        from dosing.core.adjust import adjust

        result = self.query_one("#adjust-result", Static)
        self.results.pop("adjust", None)
        dose, trough, target = self._q("adj-dose"), self._q("adj-trough"), self._q("adj-target")
        if dose is None or trough is None or target is None:
            result.update(Text("Type the current daily dose, the measured 12-hour trough and the target trough."))
            return
        weight_field = self.query_one("#field-adj-weight", FormField)
        if weight_field.text.strip() and weight_field.error:
            result.update(Text("Correct the weight, or leave it blank."))
            return
        try:
            adj = adjust(dose, trough, target, str(self.query_one("#adj-product", Select).value),
                         self._q("adj-weight"), self.context, self.clinic.profile, self.clinic.today)
        except InputError as e:
            self._show_core_error("adj-", e, result)
            return
        except TacroError as e:
            result.update(Text(f"No result: {e.message}"))
            return
        self.results["adjust"] = adj
        result.update(adjustment_text(adj))
