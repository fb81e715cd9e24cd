"""Numbers and dates as the findings and suggestions show them (one formatting, cached)."""
from __future__ import annotations

import functools

from dosing.core import units
from dosing.core.frames import iso_day


def fmt(x: float, places: int = 3) -> str:
    return _fmt(float(x), places)


@functools.lru_cache(maxsize=1 << 16)
def _fmt(x: float, places: int) -> str:
    # Cached: a batch formats the same few hundred readings tens of thousands of times.
    return units.format_number(x, places)


def fmt_apart(x: float, other: float, places: int = 3) -> str:
    """x with enough decimals to tell it from `other` (0.1503 beside a ceiling of 0.15, not 0.15)."""
    x, other = float(x), float(other)
    for p in range(places, 9):
        if _fmt(x, p) != _fmt(other, p) or x == other:
            return _fmt(x, p)
    return _fmt(x, 8)


def day_text(day) -> str:
    """A day ordinal as ISO text."""
    return iso_day(int(day))
