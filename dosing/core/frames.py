"""Findings as columns until they are written: each text made once per distinct input, not once per finding.

A finding-dense log of a million rows has a million findings but only a few
thousand distinct readings, dates and messages. `distinct(fn, *columns)` calls
`fn` once for each distinct tuple of input values and returns a `TextColumn`:
the distinct texts plus one code per finding. A rule's message (one function
per rule, `registry.MESSAGES`) and every number or date shown in a basis are
made this way, so the text of a finding is assembled, never recomputed, and the
JSON writer (`dosing.batch.jsontext`) escapes each distinct text once.

`FindingFrame` holds one batch of findings this way, one `RuleFindings` per
rule plus the output order; `records()` turns it into the finding dicts of
contract §3 (for the one-patient path, the TUI and small outputs).
"""
from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from dosing.core.findingschema import COLUMNS


@dataclass
class TextColumn:
    """One text per finding, stored as the distinct texts and a code per finding."""

    texts: np.ndarray  # object array of str: the distinct texts
    codes: np.ndarray  # int64, one per finding: an index into texts

    def __len__(self) -> int:
        return len(self.codes)

    def __getitem__(self, j: int) -> str:
        return self.texts[self.codes[j]]

    def take(self, idx: np.ndarray) -> TextColumn:
        return TextColumn(self.texts, self.codes[idx])

    def tolist(self) -> list[str]:
        return self.texts[self.codes].tolist()

    def map(self, fn: Callable[[str], Any]) -> TextColumn:
        """fn applied to each distinct text (e.g. JSON escaping), the codes kept."""
        out = np.empty(len(self.texts), dtype=object)
        out[:] = [fn(t) for t in self.texts.tolist()]
        return TextColumn(out, self.codes)


def _column_codes(a: np.ndarray) -> tuple[int, np.ndarray]:
    """(number of distinct values, a code per value) for one input column.

    Floats compare by value, except that -0.0 and 0.0 are kept apart when both
    occur (a text may show the sign); every NaN is one value.
    """
    n = len(a)
    if n == 0:
        return 1, np.zeros(0, dtype=np.int64)
    if a.dtype.kind == "f":
        zero = a == 0
        signs = np.signbit(a[zero])
        mixed_zeros = bool(signs.any()) and not bool(signs.all())
        first = a[0]
        if first == first and not mixed_zeros and bool((a == first).all()):
            return 1, np.zeros(n, dtype=np.int64)
        if mixed_zeros:
            key: np.ndarray = np.where(np.isnan(a), np.nan, a).view(np.int64)
            u, inv = np.unique(key, return_inverse=True)
        else:
            u, inv = np.unique(a, return_inverse=True)
        return len(u), inv.astype(np.int64, copy=False)
    if a.dtype.kind in "iub":
        u, inv = np.unique(a, return_inverse=True)
        return len(u), inv.astype(np.int64, copy=False)
    seen: dict[Any, int] = {}
    codes = np.fromiter((seen.setdefault(v, len(seen)) for v in a.tolist()), dtype=np.int64, count=n)
    return max(len(seen), 1), codes


def distinct_codes(*columns: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(first, codes): the row of the first occurrence of each distinct tuple, and each row's tuple code."""
    n = len(columns[0]) if columns else 0
    return combine([_column_codes(np.asarray(c)) for c in columns], n)


def combine(parts: Sequence[tuple[int, np.ndarray]], n: int) -> tuple[np.ndarray, np.ndarray]:
    """(first, codes) of the distinct combinations of code columns, each given as (how many codes, codes).

    Codes need not all be used (e.g. a TextColumn's after `take`); the result's are 0..k-1, all used.
    """
    if n == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    varying = [(k, c) for k, c in parts if k > 1]
    span = 1
    for k, _ in varying:
        span *= k
    if not varying:
        codes = np.zeros(n, dtype=np.int64)
    elif span < 2 ** 62:
        key = varying[0][1].astype(np.int64)
        for k, c in varying[1:]:
            key = key * k + c
        codes = _dense(key, span)
    else:  # too many combinations to pack in one integer: rank the tuples instead
        codes = np.unique(np.stack([c for _, c in varying], axis=1), axis=0, return_inverse=True)[1].ravel()
        codes = codes.astype(np.int64, copy=False)
    # The lowest row of each code: a reversed scatter, where the last write (the lowest row) wins.
    first = np.full(int(codes.max()) + 1, n, dtype=np.int64)
    first[codes[::-1]] = np.arange(n - 1, -1, -1, dtype=np.int64)
    return first, codes


def _dense(key: np.ndarray, span: int) -> np.ndarray:
    """Codes 0..k-1 for the distinct values of `key` (0 <= key < span), in key order: by a lookup table when
    the span is small (no sort), else by sorting."""
    if span <= 8 * len(key) + (1 << 16):
        seen = np.zeros(span, dtype=bool)
        seen[key] = True
        return (np.cumsum(seen) - 1)[key]
    return np.unique(key, return_inverse=True)[1].ravel().astype(np.int64, copy=False)


def distinct(fn: Callable[..., Any], *columns: np.ndarray, where: np.ndarray | None = None) -> TextColumn:
    """fn(*values) for each distinct tuple of the columns' values (Python floats, ints or str), once each.

    With `where`, fn is called only for the rows where it holds; the other rows get "" (an entry that is
    not shown there, e.g. a weight when none was recorded).
    """
    if where is not None and not bool(np.all(where)):
        inner = distinct(fn, *(np.asarray(c)[where] for c in columns))
        texts = np.empty(len(inner.texts) + 1, dtype=object)
        texts[:-1] = inner.texts
        texts[-1] = ""
        codes = np.full(len(where), len(inner.texts), dtype=np.int64)
        codes[where] = inner.codes
        return TextColumn(texts, codes)
    first, codes = distinct_codes(*columns)
    args = [np.asarray(c)[first].tolist() for c in columns]
    texts = np.empty(len(first), dtype=object)
    texts[:] = [fn(*t) for t in zip(*args)]
    return TextColumn(texts, codes)


@dataclass
class BasisEntry:
    """One item of the findings' basis, column-wise: `key: template % args` on the findings where present.

    `template` takes only `%s` (a literal percent sign is `%%`); each arg is a
    TextColumn aligned with the findings.
    """

    key: str
    template: str
    args: tuple[TextColumn, ...]
    present: np.ndarray | None = None  # bool per finding; None: every finding

    def take(self, idx: np.ndarray) -> BasisEntry:
        return BasisEntry(self.key, self.template, tuple(a.take(idx) for a in self.args),
                          None if self.present is None else self.present[idx])


@dataclass
class RuleFindings:
    """One rule's findings in a batch, as columns (the rule's constants once, the rest per finding)."""

    rule: str
    severity: str
    measure: str
    unit: str
    comparison: str
    source: str
    patient: TextColumn
    day: np.ndarray  # int64 ordinals: the finding's date
    line: np.ndarray  # int64
    value: np.ndarray  # float, unrounded
    threshold: np.ndarray
    message: TextColumn
    basis: list[BasisEntry]
    alert: np.ndarray | None = None  # bool: raised to "alert" by the rule's alert grade
    sort_code: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))  # patient order
    rank: int = 99  # the rule's place in the display order

    def __len__(self) -> int:
        return len(self.day)

    def severities(self) -> list[str]:
        if self.alert is None:
            return [self.severity] * len(self)
        return np.where(self.alert, "alert", self.severity).tolist()

    def basis_dicts(self) -> list[dict[str, str]]:
        out: list[dict[str, str]] = [{} for _ in range(len(self))]
        for e in self.basis:
            args = [a.tolist() for a in e.args]
            present = [True] * len(self) if e.present is None else e.present.tolist()
            for b, here, t in zip(out, present, zip(*args)):
                if here:
                    b[e.key] = e.template % t
        return out


def rounded(xs: np.ndarray, unit: str) -> list[float | None]:
    """Values as reported (`round_value`) for a column."""
    return [round_value(x, unit) for x in xs.tolist()]


TWO_DECIMALS = frozenset({"%", "day"})


def round_value(x: float, unit: str) -> float | None:
    """A value as reported: 2 decimals for % and days, else 6 significant digits; None when not finite."""
    if x - x != 0.0:
        return None
    return round(x, 2) if unit in TWO_DECIMALS else float(f"{x:.6g}")


@dataclass
class FindingFrame:
    """A batch of findings: each rule's columns, and the output order over their concatenation."""

    parts: list[RuleFindings]
    order: np.ndarray  # output position -> index into the parts' findings, one after the other

    def __len__(self) -> int:
        return len(self.order)

    def records(self, iso: bool = False) -> list[dict]:
        """The finding rows (contract §3) as dicts with the keys of `findingschema.COLUMNS`, in output order.
        With `iso` the date is ISO text."""
        out: list[dict] = []
        for f in self.parts:
            days = f.day.tolist()
            dates: Sequence[Any] = [iso_day(d) for d in days] if iso else [dt.date.fromordinal(d) for d in days]
            vr, tr = rounded(f.value, f.unit), rounded(f.threshold, f.unit)
            rows = zip(f.patient.tolist(), dates, f.severities(), f.message.tolist(), vr, tr, f.line.tolist(),
                       f.basis_dicts())
            rule, measure, unit, comparison, source = f.rule, f.measure, f.unit, f.comparison, f.source
            out.extend(dict(zip(COLUMNS, (p, d, rule, s, m, measure, v, unit, t, unit, comparison, source, ln, None, b)))
                       for p, d, s, m, v, t, ln, b in rows)
        if len(out) > 1:
            out = [out[i] for i in self.order.tolist()]
        return out


@functools.lru_cache(maxsize=1 << 16)
def iso_day(day: int) -> str:
    """A day ordinal as ISO text (cached: a batch shows the same few hundred dates many times)."""
    return dt.date.fromordinal(day).isoformat()
