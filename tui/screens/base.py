"""The base of every tacro screen: typed access to the app and its clinic (store, profile, today)."""
from __future__ import annotations

from typing import TYPE_CHECKING, Generic, TypeVar, cast

from textual.screen import ModalScreen, Screen

if TYPE_CHECKING:
    from tui.app import TacroApp
    from tui.clinic import Clinic

ResultType = TypeVar("ResultType")


class _ClinicAccess:
    """`tacro_app` and `clinic`, typed, for screens (instead of `self.app.clinic` on an untyped App)."""

    @property
    def tacro_app(self) -> TacroApp:
        return cast("TacroApp", cast(Screen, self).app)

    @property
    def clinic(self) -> Clinic:
        """The open clinic. Screens other than the first run only after it has been opened."""
        clinic = self.tacro_app.clinic
        if clinic is None:
            raise RuntimeError("the store is not open yet")
        return clinic


class TacroScreen(_ClinicAccess, Screen[ResultType], Generic[ResultType]):
    """A full screen of the visit log."""


class TacroModalScreen(_ClinicAccess, ModalScreen[ResultType], Generic[ResultType]):
    """A dialog over a screen of the visit log."""
