"""The references table: every source tacro cites, by key, with its full citation.

Profile sources and code cite a source as `[@key]` or `[@key, locator]` (a section,
a case, a table); `cite()` turns that into the short citation users see, e.g.
"Duddridge & Powell, Ann Rheum Dis 1997;56:690-692, Discussion". The table is
package data (`profiles/references.toml`), read through importlib.resources so
an installed wheel finds it.
"""
from __future__ import annotations

import re
import tomllib
from functools import lru_cache
from importlib import resources

from pydantic import BaseModel, ConfigDict

from dosing.core.errors import ProfileError

# [@key] or [@key, locator]; keys are lower-case words joined by hyphens or digits.
CITATION = re.compile(r"\[@([a-z0-9][a-z0-9-]*)(?:,\s*([^\]]+?))?\s*\]")


class Reference(BaseModel):
    """One citable source: enough for a clinician to find it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    key: str
    short: str
    """What outputs show, e.g. 'Duddridge & Powell, Ann Rheum Dis 1997;56:690-692'."""
    authors: str
    title: str
    issuer: str
    """The journal, or the body that issues a label or guideline."""
    year: str
    volume: str = ""
    pages: str = ""
    url: str = ""
    note: str = ""
    sections: dict[str, str] = {}
    """Locator -> a short verbatim quote from that place."""

    def full(self) -> str:
        """The full citation on one line: authors. title. issuer year;volume:pages."""
        where = self.issuer + (f" {self.year}" if self.year.isdigit() else f", {self.year}" if self.year else "")
        if self.volume:
            where += f";{self.volume}"
        if self.pages:
            where += f":{self.pages}"
        return f"{self.authors.rstrip('.')}. {self.title}. {where}."


@lru_cache(maxsize=1)
def references() -> dict[str, Reference]:
    """The shipped references table, by key."""
    text = resources.files("dosing.core").joinpath("profiles/references.toml").read_text(encoding="utf-8")
    data = tomllib.loads(text)["references"]
    return {key: Reference(key=key, **entry) for key, entry in data.items()}


def keys_in(text: str) -> list[str]:
    """The reference keys a source text cites, in order."""
    return [m.group(1) for m in CITATION.finditer(text)]


def cite(text: str, where: str = "source") -> str:
    """A source text with each `[@key, locator]` replaced by its short citation and locator.

    Text without citations (a user profile's "Local LN protocol 2026") is returned as written;
    an unknown key is an error naming the field it was found in.
    """
    table = references()

    def one(m: re.Match[str]) -> str:
        key, locator = m.group(1), m.group(2)
        ref = table.get(key)
        if ref is None:
            raise ProfileError(f"{where}: unknown reference [@{key}]; known keys: {', '.join(table)} "
                               f"(see tacro profile --references)")
        return ref.short + (f", {locator}" if locator else "")

    return CITATION.sub(one, text)


def references_text() -> str:
    """The whole table as plain text, for `tacro profile --references`."""
    out = ["References (cite as [@key] or [@key, locator] in a profile source)"]
    for key, ref in references().items():
        out += ["", f"[{key}] {ref.short}", f"  {ref.full()}"]
        if ref.url:
            out.append(f"  {ref.url}")
        if ref.note:
            out.append(f"  {ref.note}")
        for locator, quote in ref.sections.items():
            out.append(f"  {locator}: \"{quote}\"")
    return "\n".join(out)
