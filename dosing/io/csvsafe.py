"""Text cells that a spreadsheet would run as formulas, neutralised reversibly (OWASP CSV injection).

A cell starting with `=`, `+`, `-`, `@`, tab or carriage return gets one
leading single quote on export: spreadsheets then show it as text. So that
`restore` can undo exactly what `neutralise` did, a cell that already starts
with quotes followed by one of those characters ("'=x") gets one more quote
too. Round trip: restore(neutralise(s)) == s for every s; a cell never written
by neutralise and not of that shape ("'hello", "it's") is left alone by restore.
"""
from __future__ import annotations

TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def _needs(text: str) -> bool:
    """True for text starting with any number of single quotes and then a trigger character."""
    return text.lstrip("'").startswith(TRIGGERS)


def neutralise(text: str) -> str:
    """The cell as written to a CSV: with one leading quote when a spreadsheet could run it."""
    return "'" + text if _needs(text) else text


def restore(text: str) -> str:
    """The cell as it was before `neutralise`."""
    return text[1:] if text.startswith("'") and _needs(text) else text
