"""One error hierarchy for the core; the CLI maps it to exit codes, the TUI to field messages."""
from __future__ import annotations

# Fields whose values may identify a patient: never echoed in a message.
SENSITIVE_FIELDS = frozenset({"patient_id", "note", "name"})


class TacroError(Exception):
    """Base of every error the core raises on purpose."""

    title = "tacro error"

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class InputError(TacroError, ValueError):
    """A value that could not be accepted: names the field, the value and what was expected.

    Subclasses ValueError so that pydantic validators can raise it directly.
    """

    title = "invalid input"

    def __init__(self, field: str, value: object, expected: str, *, line: int | None = None):
        self.field = field
        self.value = value
        self.expected = expected
        self.line = line
        shown = "(value withheld: may identify a patient)" if field in SENSITIVE_FIELDS else repr(_short(value))
        where = f"line {line}, " if line is not None else ""
        super().__init__(f"{where}{field}: got {shown}; expected {expected}")


class UnitError(InputError):
    """A quantity with a missing, unknown or wrong-dimension unit."""

    title = "unit error"


class ImplausibleValueError(InputError):
    """A well-formed quantity outside the profile's plausible range."""

    title = "implausible value"


class ProductError(InputError):
    """A product the calculation cannot use (unknown, or needing a brand-specific conversion)."""

    title = "product"


class ProfileError(TacroError):
    """A rule profile that cannot be loaded or is inconsistent."""

    title = "profile error"


class StoreError(TacroError):
    """The visit store could not complete an operation; nothing saved was altered."""

    title = "store error"


def _short(value: object, limit: int = 60) -> object:
    if isinstance(value, str) and len(value) > limit:
        return value[:limit] + "…"
    return value
