"""A labelled text field checked as it is typed, with the core's message beside it."""
from __future__ import annotations

from collections.abc import Callable

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Input, Label, Static

from tui.forms import FieldSpec

# (field name, text) -> (error message or None, hint such as "= 20.1 ng/mL")
Checker = Callable[[str, str], tuple[str | None, str]]


class Form(VerticalScroll, can_focus=False):
    """A scrolling form: focus moves between its fields, never onto the container itself."""


class FormField(Horizontal):
    """Label, input and a message column: the error when the core refuses the text, else a hint."""

    def __init__(self, spec: FieldSpec, checker: Checker | None = None, value: str = "") -> None:
        super().__init__(id=f"field-{spec.name}", classes="form-field")
        self.spec = spec
        self.checker = checker
        self._initial = value

    def compose(self) -> ComposeResult:
        mark = " *" if self.spec.required else ""
        yield Label(f"{self.spec.label}{mark}", classes="field-label")
        yield Input(self._initial, placeholder=self.spec.placeholder, id=self.spec.name, compact=True,
                    classes="field-input")
        yield Static("", id=f"{self.spec.name}-message", classes="field-message")

    @property
    def text(self) -> str:
        """What was typed, exactly."""
        return self.query_one(Input).value

    @property
    def error(self) -> str | None:
        return self._error

    _error: str | None = None

    def show(self, error: str | None, hint: str = "") -> None:
        """Show the core's message beside the field (or a hint when there is no error)."""
        self._error = error
        message = self.query_one(".field-message", Static)
        message.update(Text(error or hint))
        self.set_class(bool(error), "-invalid")

    def check(self) -> None:
        if self.checker is not None:
            self.show(*self.checker(self.spec.name, self.text))

    @on(Input.Changed)
    def _changed(self, event: Input.Changed) -> None:
        self.check()
