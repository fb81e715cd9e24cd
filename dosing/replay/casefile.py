"""A case as data: the case file (TOML) beside its monitoring log, read strictly.

The three published cases ship in `cases/`; a tutor may write a local or an
invented one in the same format (see `cases/README.md`). Every key is known:
unknown keys, wrong types and a dose without its unit are refused by name.
"""
from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from dosing.core import units
from dosing.core.errors import InputError

ACTIONS = ("keep", "increase", "reduce", "stop", "recheck", "treat_bp", "start")


class Choice(BaseModel):
    """One answer a trainee may give at a step of the quiz (data in the case file)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    key: str = Field(min_length=1, pattern=r"^[a-z0-9_]+$")
    """Short name, typed in an answers file (e.g. 'reduce')."""
    action: Literal["keep", "increase", "reduce", "stop", "recheck", "treat_bp", "start"]
    """What kind of decision it is; the rules judge the kind (see quiz.py)."""
    label: str = Field(min_length=1)
    """What the trainee reads."""
    dose: str | None = None
    """A dose this choice names ('0.10 mg/kg/day'), checked by the same dose rules as any dose."""

    @field_validator("dose")
    @classmethod
    def _dose(cls, v: str | None) -> str | None:
        if v is not None:
            units.parse(v, "dose_rate", "dose")
        return v


class SidecarRow(BaseModel):
    """One `[[rows]]` entry of a case file: the provenance and the quiz of one log row."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    row: int
    date_basis: Literal["stated", "approximated"]
    date_reasoning: str = Field(min_length=1)
    source_lines: str = ""
    """Line numbers in a reference text, for the test suite only; never shown."""
    quote: str = Field(min_length=1)
    clinicians_did: str = Field(min_length=1)
    cite: str = Field(min_length=1)
    """Where the quote is, by section and page ('Case two, p.691'): what a trainee sees."""
    situation: str = ""
    """What the clinicians knew before they decided, without the answer."""
    paper_choice: list[str] = []
    """Keys of the choices that are what the clinicians did; empty when the source records no action."""
    paper_dose: str | None = None
    paper_note: str = ""
    also_knew: list[int] = []
    """Earlier rows whose results this decision answers (their findings count for the rules' view)."""
    rules_vs_clinicians: Literal["agree", "differ", ""] = ""
    rules_vs_clinicians_note: str = ""
    paper_says: str = ""
    paper_says_note: str = ""
    choices: list[Choice] = []
    """This row's own choices, replacing the case's default choices."""

    @field_validator("paper_dose")
    @classmethod
    def _dose(cls, v: str | None) -> str | None:
        if v is not None:
            units.parse(v, "dose_rate", "paper_dose")
        return v


class CaseMeta(BaseModel):
    """The `[case]` table of a case file."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    number: int = Field(ge=1)
    patient_id: str = Field(min_length=1)
    csv: str = Field(min_length=1, pattern=r"^[^/\\]+\.csv$")
    """The log's file name, in the same folder as the case file."""
    kind: Literal["published", "local", "invented"]
    title: str = Field(min_length=1)
    source: str = Field(min_length=1)
    source_lines: str = ""
    prior_cyclosporine_nephrotoxicity: bool = False
    outcome: str = ""
    outcome_source_lines: str = ""
    weight_note: str = Field(min_length=1)


class CaseFile(BaseModel):
    """A whole case file, read strictly: unknown keys and wrong types are refused by name."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    case: CaseMeta
    choices: list[Choice] = []
    """The default choices of every row that gives none of its own."""
    rows: list[SidecarRow]


def parse_case_file(data: dict, where: str) -> CaseFile:
    """A case file's TOML, checked field by field; the first problem is named (field, value, expected)."""
    try:
        meta = CaseFile.model_validate(data)
    except ValidationError as e:
        err = e.errors()[0]
        field = ".".join(str(p) for p in err["loc"]) or "case file"
        value = err.get("input")
        value = "(missing)" if err["type"] == "missing" else value if not isinstance(value, dict | list) else "…"
        raise InputError(f"{where}: {field}", value, err["msg"].removeprefix("Value error, ")) from None
    for i, row in enumerate(meta.rows, start=1):
        if row.row != i:
            raise InputError(f"{where}: rows[{i}].row", row.row, f"{i} (rows in the log's order, from 1)")
        keys = [c.key for c in (row.choices or meta.choices)]
        if not keys:
            raise InputError(f"{where}: rows[{i}].choices", "(none)", "choices for the row, or default [[choices]]")
        if len(set(keys)) != len(keys):
            raise InputError(f"{where}: rows[{i}].choices", ", ".join(keys), "each choice key once")
        for k in row.paper_choice:
            if k not in keys:
                raise InputError(f"{where}: rows[{i}].paper_choice", k, "one of the row's choices: " + ", ".join(keys))
        for earlier in row.also_knew:
            if not 1 <= earlier < i:
                raise InputError(f"{where}: rows[{i}].also_knew", earlier, f"an earlier row, 1 to {i - 1}")
    return meta
