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

import functools
from collections.abc import Iterator
from json.encoder import encode_basestring  # the escaping json uses with ensure_ascii=False

import numpy as np

from dosing.core import findingschema
from dosing.core.frames import (
    BasisEntry,
    FindingFrame,
    RuleFindings,
    TextColumn,
    combine,
    distinct,
    iso_day,
    round_value,
)

# Findings per joined chunk: a few MB, so each chunk reuses the heap instead of mapping fresh pages.
CHUNK_FINDINGS = 2048


def _quoted(text: str) -> bytes:
    return encode_basestring(text).encode("utf-8")


# Each key as written (`"name": `), from the one finding schema; `_pieces` writes them in the schema's order,
# which is checked here, at import, so a field added to the schema cannot be left out of the JSON silently.
_K = {name: _quoted(name) + b": " for name in findingschema.COLUMNS}
_WRITTEN = ("patient_id", "date", "rule", "severity", "message", "measure", "value", "value_unit", "threshold",
            "threshold_unit", "comparison", "source", "line", "column", "basis")
if _WRITTEN != findingschema.COLUMNS:
    raise ImportError(f"the JSON writer writes {_WRITTEN}, the finding schema has {findingschema.COLUMNS}")


def _inner(text: str) -> bytes:
    """Escaped for inside a JSON string, without the quotes."""
    return encode_basestring(text)[1:-1].encode("utf-8")


def _number(x: float, unit: str) -> bytes:
    v = round_value(x, unit)
    return b"null" if v is None else repr(v).encode("ascii")


def chunks(frame: FindingFrame, head: bytes, tail: bytes) -> Iterator[bytes]:
    """The frame's findings as JSON objects in output order, each `head + object + tail`, a chunk at a time.

    Piece j of every finding comes from one array of texts; only integer codes are put in output order,
    and each chunk takes its texts straight into a list that is joined once."""
    pieces = [[_text_column(c, len(f)) for c in _pieces(f, head, tail)] for f in frame.parts]
    n, width = len(frame), max(len(p) for p in pieces)
    columns = []
    for j in range(width):
        parts = [cols[j] if j < len(cols) else _EMPTY.take(np.zeros(len(f), dtype=np.int64))
                 for f, cols in zip(frame.parts, pieces)]  # a rule with fewer pieces: empty ones at its end
        if len(parts) == 1:
            columns.append((parts[0].texts, parts[0].codes))
            continue
        bases = np.cumsum([0] + [len(c.texts) for c in parts[:-1]])
        texts = np.concatenate([c.texts for c in parts])
        codes = np.concatenate([c.codes + base for c, base in zip(parts, bases)])[frame.order]
        columns.append((texts, codes))
    flat: list = []
    for i in range(0, n, CHUNK_FINDINGS):
        m = min(CHUNK_FINDINGS, n - i)
        if len(flat) != m * width:
            flat = [b""] * (m * width)
        for j, (texts, codes) in enumerate(columns):
            flat[j::width] = texts[codes[i:i + m]].tolist()
        yield b"".join(flat)


_EMPTY = TextColumn(np.array([b""], dtype=object), np.zeros(1, dtype=np.int64))


def _text_column(c: TextColumn | np.ndarray | bytes, n: int) -> TextColumn:
    if isinstance(c, TextColumn):
        return c
    if isinstance(c, bytes):
        return TextColumn(np.array([c], dtype=object), np.zeros(n, dtype=np.int64))
    texts = np.empty(n, dtype=object)  # one text per finding (the line numbers)
    texts[:] = c.tolist()
    return TextColumn(texts, np.arange(n, dtype=np.int64))


def frame_lines(frame: FindingFrame, indent: bytes = b"") -> list[bytes]:
    """Each finding as one JSON line (no newline), in output order (for tests and small outputs)."""
    sep = b"\x00"  # never in JSON text: json escapes control characters
    return b"".join(chunks(frame, indent, sep)).split(sep)[:-1]


def _pieces(f: RuleFindings, head: bytes, tail: bytes) -> list[TextColumn | np.ndarray | bytes]:
    """The pieces of one rule's findings, as columns (see the module's docstring)."""
    unit = f.unit
    cols: list[TextColumn | np.ndarray | bytes] = [
        f.patient.map(lambda p: head + b'{' + _K["patient_id"] + _quoted(p) + b', ' + _K["date"])]
    after_date = b', ' + _K["rule"] + _quoted(f.rule) + b', ' + _K["severity"]
    if f.alert is None:
        after_date += _quoted(f.severity) + b', ' + _K["message"]
    cols.append(distinct(lambda d: b'"' + _iso(d) + b'"' + after_date, f.day))
    if f.alert is not None:
        sev = np.empty(2, dtype=object)
        sev[:] = [_quoted(f.severity) + b', ' + _K["message"], _quoted("alert") + b', ' + _K["message"]]
        cols.append(TextColumn(sev, f.alert.astype(np.int64)))
    # The message, value and threshold (and the rule's constants after them) as one piece.
    cols.append(_rendered(
        [f.message.map(_quoted), distinct(lambda x: _number(x, unit), f.value),
         distinct(lambda x: _number(x, unit), f.threshold)],
        lambda m, v, t: (m + b', ' + _K["measure"] + _quoted(f.measure) + b', ' + _K["value"] + v + b', '
                         + _K["value_unit"] + _quoted(unit) + b', ' + _K["threshold"] + t + b', ' + _K["threshold_unit"] + _quoted(unit)
                         + b', ' + _K["comparison"] + _quoted(f.comparison) + b', ' + _K["source"] + _quoted(f.source)
                         + b', ' + _K["line"])))
    cols.append(f.line.astype(np.int64).astype("S"))
    cols.append(b', ' + _K["column"] + b'null, ' + _K["basis"] + b'{')
    n = len(f)
    shown_before = np.zeros(n, dtype=bool)
    for e in f.basis:
        present = np.ones(n, dtype=bool) if e.present is None else e.present
        cols += _entry_pieces(e, present, shown_before)
        shown_before |= present
    cols.append(b"}}" + tail)
    return _folded(cols)


def _folded(cols: list[TextColumn | np.ndarray | bytes]) -> list[TextColumn | np.ndarray | bytes]:
    """The same pieces with each constant joined to the text piece next to it (the one before if it is a
    text piece, else the one after): the order of the bytes is unchanged, each finding has fewer pieces."""
    out: list[TextColumn | np.ndarray | bytes] = []
    pending = b""
    for c in cols:
        if isinstance(c, bytes):
            last = out[-1] if out else None
            if isinstance(last, TextColumn):
                out[-1] = last.map(functools.partial(_joined, after=c))
            else:
                pending += c
            continue
        if pending and isinstance(c, TextColumn):
            c = c.map(functools.partial(_joined, before=pending))
        elif pending:
            out.append(pending)
        pending = b""
        out.append(c)
    if pending:
        out.append(pending)
    return out



def _entry_pieces(e: BasisEntry, present: np.ndarray, shown_before: np.ndarray) -> list[TextColumn]:
    """One basis entry `"key": "lit0 arg0 lit1 arg1 ... litm"` as m pieces (one if it has no argument):
    the first with the separator (", " unless no entry is shown before it), the key and arg0; then each
    further argument with the literal text after it. Empty where the entry is not shown. Each piece is
    made from its argument's distinct texts, never from their combinations."""
    literals = [_inner(t) for t in _literal_parts(e.template)]
    key = _quoted(e.key) + b': "'
    args = [a.map(_inner) for a in e.args]
    closing = b'"'
    if not args:
        texts = np.array([b"", key + literals[0] + closing, b", " + key + literals[0] + closing], dtype=object)
        return [TextColumn(texts, np.where(present, np.where(shown_before, 2, 1), 0))]
    # The first piece: separator, key, the first literal, the first argument and the literal after it.
    a0 = args[0]
    k = len(a0.texts)
    after0 = literals[1] + (closing if len(args) == 1 else b"")
    firsts = np.empty(1 + 2 * k, dtype=object)
    firsts[0] = b""
    firsts[1:1 + k] = [key + literals[0] + t + after0 for t in a0.texts.tolist()]
    firsts[1 + k:] = [b", " + key + literals[0] + t + after0 for t in a0.texts.tolist()]
    out = [TextColumn(firsts, np.where(present, 1 + a0.codes + np.where(shown_before, k, 0), 0))]
    for i, a in enumerate(args[1:], start=1):
        after = literals[i + 1] + (closing if i == len(args) - 1 else b"")
        texts = np.empty(len(a.texts) + 1, dtype=object)
        texts[:-1] = [t + after for t in a.texts.tolist()]
        texts[-1] = b""
        out.append(TextColumn(texts, np.where(present, a.codes, len(a.texts))))
    return out


def _joined(text: bytes, before: bytes = b"", after: bytes = b"") -> bytes:
    return before + text + after


def _literal_parts(template: str) -> list[str]:
    """The literal texts around each %s of a %-template ("%%" is a percent sign)."""
    parts, current, i = [], [], 0
    while i < len(template):
        if template[i] == "%":
            nxt = template[i + 1:i + 2]
            if nxt == "%":
                current.append("%")
            elif nxt == "s":
                parts.append("".join(current))
                current = []
            else:
                raise ValueError(f"basis template {template!r}: only %s and %% are allowed")
            i += 2
        else:
            current.append(template[i])
            i += 1
    return [*parts, "".join(current)]


def _rendered(cols: list[TextColumn], render) -> TextColumn:
    """render(*texts) once per distinct combination of the columns' texts."""
    first, codes = combine([(len(c.texts), c.codes) for c in cols], len(cols[0]))
    parts = [c.texts[c.codes[first]].tolist() for c in cols]
    texts = np.empty(len(first), dtype=object)
    texts[:] = [render(*t) for t in zip(*parts)]
    return TextColumn(texts, codes)


def _iso(day: int) -> bytes:
    return iso_day(day).encode("ascii")
