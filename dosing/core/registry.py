"""The one rule registry: every rule (the schedule's CHECK_OVERDUE included) registers here.

`rules` and `schedule` both import this module and neither imports the other's
internals to register, so there is no import cycle. A rule is a function of
the patient history and the as-of date returning its `Hits` (or None).
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from dosing.core.history import History


@dataclass
class Hits:
    """The rows where one rule fired, with everything its findings will show."""

    rule: str
    rows: np.ndarray  # indices into History (sorted rows)
    measure: str
    value: np.ndarray  # canonical floats
    unit: str  # display unit of value and threshold
    threshold: np.ndarray
    comparison: str
    extra: dict[str, np.ndarray] = field(default_factory=dict)
    date: np.ndarray | None = None  # day ordinals, when not the row's own date


Rule = Callable[[History, "dt.date | None"], "Hits | None"]
RULES: dict[str, Rule] = {}
MESSAGES: dict[str, Callable[[dict], str]] = {}
# (history, hits, row texts) -> the basis entries of every hit, column-wise (dosing.core.frames.BasisEntry);
# a rule without one shows its rows' readings (rules.measured_basis).
BASIS: dict[str, Callable[..., list]] = {}


def rule(rule_id: str, *, takes_as_of: bool = False):
    """Register a rule definition under its contract identifier.

    Most rules look only at the history (`fn(h)`); a rule that depends on the
    as-of date (the schedule) registers with `takes_as_of=True` (`fn(h, as_of)`).
    """

    def register(fn):
        RULES[rule_id] = fn if takes_as_of else (lambda h, as_of, _fn=fn: _fn(h))
        return fn

    return register


def message(rule_id: str):
    """Register the one-sentence message writer of a rule."""

    def register(fn):
        MESSAGES[rule_id] = fn
        return fn

    return register
