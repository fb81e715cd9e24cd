"""The engine: runs every registered rule over a history and turns the hits into findings.

It knows the rules only through the registry (`dosing.core.registry`): the rule families
(`dosing.core.rules`) register themselves there and never import this module, and this
module never imports them. `dosing.core.rules` puts the two together (`rules.evaluate`).
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from dosing.core.columns import EventColumns
from dosing.core.frames import BasisEntry, FindingFrame, RuleFindings, TextColumn, distinct
from dosing.core.history import History
from dosing.core.profile import SEVERITY_RANK, Profile
from dosing.core.registry import BASIS, MESSAGES, RULE_ORDER, RULES, Hits, RowTexts, measured_basis


def hit_severities(hits: Hits, profile: Profile) -> set[str]:
    """The severities of a rule's hits: the rule's own, and "alert" for rows its alert grade raised
    (`grade_alert`, e.g. DOSE_ABOVE_CEILING at the profile's ceiling_alert_rate). The same rule as the
    finding rows' severity, so exit codes follow what is printed."""
    if not len(hits.rows):
        return set()
    grade = hits.extra.get("grade_alert")
    raised = grade is not None and bool(np.any(grade > 0))
    base = profile.severity(hits.rule)
    if grade is not None and bool(np.all(grade > 0)):
        return {"alert"}
    return {base, "alert"} if raised else {base}


# Findings stay columns until they are written: `FindingTable.frames()` gives them a batch at a time as
# `FindingFrame`s (each text made once per distinct input), and `batches()` turns those into dicts, so memory
# follows the batch, not the number of findings: a finding-dense log of a million rows never holds a million dicts.
RECORD_BATCH = 4096  # findings per batch of dicts
FRAME_BATCH = 1 << 16  # findings per batch of columns (the JSON writer's)


@dataclass
class FindingTable:
    """Every hit of every rule over a history; `frames()` / `records()` / `batches()` turn them into findings."""

    history: History
    hits: list[Hits]

    def count(self) -> int:
        return sum(len(x.rows) for x in self.hits)

    def records(self) -> list[dict]:
        """Finding rows (contract §3) as plain dicts, ordered by patient, date, line, severity."""
        out: list[dict] = []
        for batch in self.batches():
            out.extend(batch)
        return out

    def batches(self, size: int | None = None, iso: bool = False):
        """The finding rows of `records()`, in the same order, as lists of about `size` rows; with `iso` the
        date is ISO text and the keys are in the output order of dosing.batch.engine.FINDING_COLUMNS."""
        for frame in self.frames(size or RECORD_BATCH):
            yield frame.records(iso)

    def frames(self, size: int | None = None) -> Iterator[FindingFrame]:
        """The findings as column batches of about `size` findings, in output order.

        A batch covers whole patients (the sort key starts with the patient), so
        concatenating the batches gives exactly `records()`.
        """
        h, total, size = self.history, self.count(), size or FRAME_BATCH
        if total <= size or h.n == 0:
            if total:
                yield self.frame(self.hits)
            return
        per_row = np.zeros(h.n, dtype=np.int64)
        for x in self.hits:
            per_row += np.bincount(x.rows, minlength=h.n)
        per_patient = np.cumsum(np.add.reduceat(per_row, h.starts))
        after = np.searchsorted(per_patient, np.arange(size, total, size), side="left") + 1
        cuts = [int(h.starts[g]) for g in np.unique(after) if g < len(h.starts)]
        order = [np.argsort(x.rows, kind="stable") for x in self.hits]
        sorted_rows = [x.rows[o] for x, o in zip(self.hits, order)]
        for lo, hi in zip([0, *cuts], [*cuts, h.n]):
            part = []
            for x, o, r in zip(self.hits, order, sorted_rows):
                a, b = np.searchsorted(r, [lo, hi])
                if b > a:
                    part.append(_subset(x, o[a:b]))
            if part:
                yield self.frame(part)

    def frame(self, all_hits: list[Hits]) -> FindingFrame:
        """These hits as one batch of findings: messages and basis texts made once per distinct input."""
        h, p = self.history, self.history.profile
        texts = RowTexts(h, _union(x.rows for x in all_hits))
        parts = []
        for x in all_hits:
            grade = x.extra.get("grade_alert")
            basis = BASIS.get(x.rule, measured_basis)(h, x, texts)
            _no_repeated_keys(x.rule, basis)
            parts.append(RuleFindings(
                rule=x.rule, severity=p.severity(x.rule), measure=x.measure, unit=x.unit,
                comparison=x.comparison, source=p.source(x.rule), patient=texts.patient(x.rows),
                day=(x.date if x.date is not None else h.day[x.rows]).astype(np.int64), line=h.line[x.rows],
                value=x.value, threshold=x.threshold, message=_messages(x), basis=basis,
                alert=None if grade is None else grade > 0, sort_code=h.code[x.rows],
                rank=RULE_ORDER.get(x.rule, 99)))
        if len(parts) == 1:
            order = np.arange(len(parts[0]))
        else:
            order = np.lexsort((np.concatenate([np.full(len(f), f.rank) for f in parts]),
                                np.concatenate([f.line for f in parts]),
                                np.concatenate([f.day for f in parts]),
                                np.concatenate([f.sort_code for f in parts])))
        return FindingFrame(parts, order)


def _union(parts) -> np.ndarray:
    """The distinct rows of several row arrays, sorted (by sorting: numpy's hashing unique is slower here)."""
    a = np.concatenate(list(parts))
    a.sort()
    return a[np.r_[True, a[1:] != a[:-1]]] if len(a) else a


def _messages(x: Hits) -> TextColumn:
    """The rule's message (registry.MESSAGES, one function of the finding's values) once per distinct input."""
    msg = MESSAGES[x.rule]
    keys = ("value", "threshold", *x.extra)
    return distinct(lambda *values: msg(dict(zip(keys, values))), x.value, x.threshold, *x.extra.values())


def _no_repeated_keys(rule_id: str, basis: list[BasisEntry]) -> None:
    """A finding's basis names each input once: two entries of one key must never both be shown."""
    seen: dict[str, BasisEntry] = {}
    for e in basis:
        other = seen.get(e.key)
        if other is not None:
            both = np.ones(len(e.args[0]) if e.args else 0, dtype=bool)
            for m in (e.present, other.present):
                if m is not None:
                    both &= m
            if both.any():
                raise ValueError(f"{rule_id}: basis key {e.key!r} would be shown twice for one finding")
        seen[e.key] = e


def _subset(x: Hits, idx: np.ndarray) -> Hits:
    """The hits at positions `idx` (positions into x.rows, not history rows)."""
    return Hits(x.rule, x.rows[idx], x.measure, x.value[idx], x.unit, x.threshold[idx], x.comparison,
                {k: a[idx] for k, a in x.extra.items()}, None if x.date is None else x.date[idx])



def evaluate(cols: EventColumns, profile: Profile, as_of: dt.date | None = None,
             rules: tuple[str, ...] | None = None) -> FindingTable:
    """Run every rule of the profile (and the schedule) over the columns."""
    h = History(cols, profile)
    hits = []
    for rule_id in sorted(RULES, key=lambda r: RULE_ORDER.get(r, 99)):
        if rules is None or rule_id in rules:
            hits.append(RULES[rule_id](h, as_of))
    return FindingTable(h, [x for x in hits if x is not None and len(x.rows)])


def worst(severities) -> str | None:
    """The highest severity among findings, or None."""
    best = None
    for s in severities:
        if best is None or SEVERITY_RANK[s] > SEVERITY_RANK[best]:
            best = s
    return best
