"""Findings as JSON text straight from their columns, byte for byte what `json` writes for the finding dicts.

`json.JSONEncoder(ensure_ascii=False).encode(record)` for each finding was most
of a finding-dense check's time. Here a finding's line is a row of a few pieces,
each piece one of a few distinct texts made and escaped once:

    {"patient_id": | "P0000001", "date": | "2025-01-06", "rule": "TROUGH_HIGH", "severity": "alert", "message": |
    "Trough 26 ng/mL is ...", "measure": "trough", "value": 26.0, ..., "line": | 17 | , "column": null, "basis": {|
    "trough": "26 ng/mL on 2025-01-06" | , "creatinine": "80 µmol/L on 2025-01-06" | ... | }}

(the rule's constants ride with the piece before them; a basis entry a finding
does not show is an empty piece). The rows of pieces are put in output order
and joined a chunk at a time, so no per-finding object is built at all. The
output is checked against `json` by tests/test_jsontext.py for every rule.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from json.encoder import encode_basestring  # the escaping json uses with ensure_ascii=False

import numpy as np

from dosing.core.frames import FindingFrame, RuleFindings, TextColumn, combine, distinct, round_value

# Findings per joined chunk: a few MB, so each chunk reuses the heap instead of mapping fresh pages.
CHUNK_FINDINGS = 2048


def _quoted(text: str) -> bytes:
    return encode_basestring(text).encode("utf-8")


def _inner(text: str) -> bytes:
    """Escaped for inside a JSON string, without the quotes."""
    return encode_basestring(text)[1:-1].encode("utf-8")


def _number(x: float, unit: str) -> bytes:
    v = round_value(x, unit)
    return b"null" if v is None else repr(v).encode("ascii")


def chunks(frame: FindingFrame, head: bytes, tail: bytes) -> Iterator[bytes]:
    """The frame's findings as JSON objects in output order, each `head + object + tail`, a chunk at a time."""
    mats = [_pieces(f, head, tail) for f in frame.parts]
    width = max(m.shape[1] for m in mats)
    if len(mats) == 1:
        rows = mats[0]
    else:
        rows = np.concatenate([_widen(m, width) for m in mats])[frame.order]
    for i in range(0, len(rows), CHUNK_FINDINGS):
        yield b"".join(rows[i:i + CHUNK_FINDINGS].ravel().tolist())


def frame_lines(frame: FindingFrame, indent: bytes = b"") -> list[bytes]:
    """Each finding as one JSON line (no newline), in output order (for tests and small outputs)."""
    sep = b"\x00"  # never in JSON text: json escapes control characters
    return b"".join(chunks(frame, indent, sep)).split(sep)[:-1]


def _widen(m: np.ndarray, width: int) -> np.ndarray:
    """Rows of `width` pieces: empty pieces after the finding's own."""
    if m.shape[1] == width:
        return m
    out = np.empty((m.shape[0], width), dtype=object)
    out[:, :m.shape[1]] = m
    out[:, m.shape[1]:] = b""
    return out


def _pieces(f: RuleFindings, head: bytes, tail: bytes) -> np.ndarray:
    """One row of pieces per finding of one rule (see the module's docstring)."""
    unit = f.unit
    cols: list[TextColumn | np.ndarray | bytes] = [head + b'{"patient_id": ']
    cols.append(f.patient.map(lambda p: _quoted(p) + b', "date": '))
    after_date = b', "rule": ' + _quoted(f.rule) + b', "severity": '
    if f.alert is None:
        after_date += _quoted(f.severity) + b', "message": '
    cols.append(distinct(lambda d: b'"' + _iso(d) + b'"' + after_date, f.day))
    if f.alert is not None:
        sev = np.empty(2, dtype=object)
        sev[:] = [_quoted(f.severity) + b', "message": ', _quoted("alert") + b', "message": ']
        cols.append(TextColumn(sev, f.alert.astype(np.int64)))
    # The message, value and threshold (and the rule's constants after them) as one piece.
    cols.append(_rendered(
        [f.message.map(_quoted), distinct(lambda x: _number(x, unit), f.value),
         distinct(lambda x: _number(x, unit), f.threshold)],
        lambda m, v, t: (m + b', "measure": ' + _quoted(f.measure) + b', "value": ' + v + b', "value_unit": '
                         + _quoted(unit) + b', "threshold": ' + t + b', "threshold_unit": ' + _quoted(unit)
                         + b', "comparison": ' + _quoted(f.comparison) + b', "source": ' + _quoted(f.source)
                         + b', "line": ')))
    cols.append(f.line.astype(np.int64).astype("S"))
    cols.append(b', "column": null, "basis": {')
    # Each basis entry: empty where not shown; where shown, with ", " before it unless it is the first.
    n = len(f)
    shown_before = np.zeros(n, dtype=bool)
    for e in f.basis:
        template = _inner(e.template)
        key = _quoted(e.key)
        if e.args:
            text = _rendered([a.map(_inner) for a in e.args], lambda *args, t=template: t % args)
        else:
            text = TextColumn(np.array([template % ()], dtype=object), np.zeros(n, dtype=np.int64))
        k = len(text.texts)
        variants = np.empty(1 + 2 * k, dtype=object)
        variants[0] = b""
        variants[1:1 + k] = [key + b': "' + t + b'"' for t in text.texts.tolist()]
        variants[1 + k:] = [b", " + key + b': "' + t + b'"' for t in text.texts.tolist()]
        present = np.ones(n, dtype=bool) if e.present is None else e.present
        codes = np.where(present, 1 + text.codes + np.where(shown_before, k, 0), 0)
        cols.append(TextColumn(variants, codes))
        shown_before |= present
    cols.append(b"}}" + tail)
    m = np.empty((n, len(cols)), dtype=object)
    for j, c in enumerate(cols):
        m[:, j] = c.texts[c.codes] if isinstance(c, TextColumn) else c
    return m


def _rendered(cols: list[TextColumn], render) -> TextColumn:
    """render(*texts) once per distinct combination of the columns' texts."""
    first, codes = combine([(len(c.texts), c.codes) for c in cols], len(cols[0]))
    parts = [c.texts[c.codes[first]].tolist() for c in cols]
    texts = np.empty(len(first), dtype=object)
    texts[:] = [render(*t) for t in zip(*parts)]
    return TextColumn(texts, codes)


def _iso(day: int) -> bytes:
    return dt.date.fromordinal(day).isoformat().encode("ascii")
