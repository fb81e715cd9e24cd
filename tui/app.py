"""The tacro visit log: a thin Textual App over the clinic's store, the active profile and today.

`make_app()` builds it over an open store (tests, scripts); `tacro tui` uses
`make_lazy_app()`, which draws the first screen at once and imports the core
and opens the store in a worker (the core's imports, pint above all, take
longer than Textual's whole start). The crash screen never shows local
variables or the error's text: both can hold patient data (reliability §10).
"""
from __future__ import annotations

import datetime as dt
import gc
import os
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import App
from textual.binding import Binding
from textual.screen import Screen

if TYPE_CHECKING:
    from rich.console import RenderableType

    from dosing.core.profile import Profile
    from tui.clinic import Clinic, StoreLike

POLL_S = 1.5
"""How often open screens look for changes another process made to the store (one cheap PRAGMA)."""

CRASH_HEADLINE = ("tacro stopped on an internal error ({kind}). Details are withheld because they may "
                  "contain patient data; nothing unsaved was written. Set TACRO_DEBUG=1 to see them.")


class TacroApp(App[None]):
    """Patients, visits, findings and checks due; the calculator, the profile and the replay."""

    CSS_PATH = "app.tcss"
    TITLE = "tacro"
    SUB_TITLE = "visit log · decision support"
    ENABLE_COMMAND_PALETTE = False
    BINDINGS = [
        Binding("f1", "help", "Help"),
        Binding("ctrl+q", "quit", "Quit", priority=True),
    ]

    def __init__(self, clinic: Clinic | None = None, db_path: Path | str | None = None,
                 opener: Callable[[], Clinic] | None = None, poll: float | None = POLL_S) -> None:
        super().__init__()
        self.clinic = clinic
        """The store, profile and today; None until `opener` has run (in the first screen's worker)."""
        self.db_path = db_path
        self.opener = opener
        self.poll = poll
        self._version: int | None = None
        self._watching = False
        self.startup_gc_paused = False
        """True while the program's start-up runs with the cyclic collector off (`end_startup` turns it on)."""

    def on_mount(self) -> None:
        if self.clinic is not None:
            self.start_watching()

    # ------------------------------------------------------- live shared view
    def start_watching(self) -> None:
        """Look for other processes' writes every `poll` seconds; open screens re-read when there are some."""
        if self._watching or self.poll is None or self.clinic is None:
            return
        self._watching = True
        self._version = self._data_version()
        self.set_interval(self.poll, self.check_store)

    def _data_version(self) -> int | None:
        from dosing.core.errors import TacroError

        if self.clinic is None:  # nothing open: nothing to compare
            return None
        try:
            return self.clinic.data_version()
        except TacroError:
            return None

    def check_store(self) -> bool:
        """Re-read the screens that show the store if another process wrote to it; True when it had.

        Not while a worker reads the store: the poll would wait on the store's lock, freezing the screen
        for as long as the read takes; the next poll sees any change made meanwhile."""
        if any(w.is_running for w in self.workers):
            return False
        version = self._data_version()
        if version is None or version == self._version:
            return False
        self._version = version
        for screen in self.screen_stack:
            refresh = getattr(screen, "store_changed", None)
            if refresh is not None:
                refresh()
        return True

    def end_startup(self) -> None:
        """Once the first list is shown (or cannot be): the cyclic collector back on, with everything loaded
        so far (Textual, the core, the first list) frozen, as `dosing.cli.main.end_startup` does for commands."""
        if self.startup_gc_paused:
            self.startup_gc_paused = False
            gc.freeze()
            gc.enable()

    def get_default_screen(self) -> Screen:
        from tui.screens.patients import PatientListScreen

        return PatientListScreen()

    async def action_quit(self) -> None:
        """Quit, but ask first when a form holds typed values that are not saved."""
        if any(getattr(s, "unsaved", lambda: False)() for s in self.screen_stack):
            from tui.screens.confirm import ConfirmScreen

            if isinstance(self.screen, ConfirmScreen):
                return

            def answered(yes: bool | None) -> None:
                if yes:
                    self.exit()

            self.push_screen(ConfirmScreen("Quit without saving?", "A form holds typed values that are not saved. "
                                           "Quit and lose them?", yes="Quit, discard them", no="Back to the form"),
                             answered)
            return
        self.exit()

    def action_help(self) -> None:
        from tui.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen) and self.clinic is not None:
            self.push_screen(HelpScreen(type(self.screen).__name__))

    # ------------------------------------------------------------- crashes
    def _handle_exception(self, error: Exception) -> None:
        """Exit on an unhandled error without rendering it (Textual would show locals and `__rich__`)."""
        self._return_code = 1
        if self._exception is None:
            self._exception = error
            self._exception_event.set()
        self._fatal_error()

    def _fatal_error(self) -> None:
        self.bell()
        self._exit_renderables.append(crash_report(self._exception))
        self._close_messages_no_wait()


def crash_report(error: BaseException | None) -> RenderableType:
    """Where the program failed (files, lines, functions), never values, locals or the message."""
    inner = getattr(error, "error", None)  # a worker's failure: report the error it wraps
    if isinstance(inner, BaseException):
        error = inner
    if os.environ.get("TACRO_DEBUG") and error is not None:
        from rich.traceback import Traceback

        return Traceback.from_exception(type(error), error, error.__traceback__, show_locals=False)
    kind = type(error).__name__ if error is not None else "unknown"
    out = Text(CRASH_HEADLINE.format(kind=kind) + "\n", style="bold red")
    frames = traceback.extract_tb(error.__traceback__) if error is not None else []
    for fr in frames[-8:]:
        out.append(f"  {_short_path(fr.filename)}:{fr.lineno} in {fr.name}\n", style="dim")
    return out


def _short_path(path: str) -> str:
    parts = Path(path).parts
    for anchor in ("tui", "dosing", "textual"):
        if anchor in parts:
            return "/".join(parts[len(parts) - parts[::-1].index(anchor) - 1:])
    return Path(path).name


def make_app(store: StoreLike, profile: Profile | None = None, today: dt.date | None = None,
             db_path: Path | str | None = None, now: Callable[[], dt.datetime] | None = None,
             poll: float | None = POLL_S) -> TacroApp:
    """The app over an open store, a profile (default: the built-in one), an optional fixed today and clock,
    and how often (seconds) open screens look for changes by other processes (None: never)."""
    from dosing.core.profile import default_profile
    from tui.clinic import Clinic

    return TacroApp(Clinic(store, profile or default_profile(), today, now),
                    db_path or getattr(store, "path", None), poll=poll)


def make_lazy_app(db_path: Path | str | None = None, profile_path: str | None = None) -> TacroApp:
    """The app that opens the store (`db_path`, else TACRO_DB, else the user data folder) and loads the
    profile once its first screen is up."""
    def opener() -> Clinic:
        from dosing.core.profile import load_profile
        from dosing.store.db import Store, default_path
        from tui.clinic import Clinic

        profile = load_profile(profile_path)
        store = Store.open(db_path or default_path())
        app.db_path = store.path
        return Clinic(store, profile)

    app = TacroApp(db_path=db_path, opener=opener)
    return app
