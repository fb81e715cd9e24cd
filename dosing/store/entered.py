"""What was typed for a visit, kept with each version of it: one JSON object in the event row.

field -> [text as typed, magnitude, pint unit]: '154 lb', 154.0, 'pound' for a
quantity (its Quantity is rebuilt exactly from the magnitude and unit), or
[text, null, null] for a text field. Keys are sorted and floats written by
Python's repr, so the same texts always give the same bytes, and a magnitude
reads back as the very same float. A visit with nothing typed stores NULL.
"""
from __future__ import annotations

import json
from collections.abc import Mapping

Typed = tuple[str, float | None, str | None]
"""One entered text: (text as typed, magnitude, pint unit); magnitude and unit are None for a text field."""

_ENCODER = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":"))


def encode(texts: Mapping[str, Typed]) -> str | None:
    """The JSON stored for these entered texts (None when there are none)."""
    if not texts:
        return None
    return "{" + ",".join(fragment(f, *texts[f]) for f in sorted(texts)) + "}"


def fragment(field: str, text: str, magnitude: float | None, unit: str | None) -> str:
    """One member of the object; `encode` joins them, and the import builds its rows from them a column at a
    time (one fragment per distinct cell)."""
    return _ENCODER.encode(field) + ":" + _ENCODER.encode([text, None if magnitude is None else float(magnitude), unit])


def decode(stored: str | None) -> dict[str, Typed]:
    """The entered texts of one stored event, by field name."""
    if not stored:
        return {}
    return {f: (t[0], t[1], t[2]) for f, t in sorted(json.loads(stored).items())}
