"""The three published cases as fixture logs: format, provenance and key numbers.

Source: Duddridge M, Powell RJ. Ann Rheum Dis 1997;56:690-692. The logs are
dosing/replay/cases/caseN.csv (contract §2 format); each has a sidecar caseN.toml
giving, row by row, the paper's words, their line numbers in the seed text,
how the date was chosen and what the clinicians did.

Standard library only, so this runs before the project's environment exists.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
import tomllib
import unicodedata
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CASES_DIR = ROOT / "dosing" / "replay" / "cases"
SEED = Path(__file__).resolve().parents[2] / "shared" / "seeds" / "002_602c2e11d0a43eba.txt"

HEADER = ["patient_id", "date", "event", "dose [mg/kg/day]", "trough", "creatinine", "sbp", "dbp", "note"]
EVENTS = {"start", "dose_change", "visit", "stop"}
NUMERIC = ["dose [mg/kg/day]", "trough", "creatinine", "sbp", "dbp"]
DATE_BASES = {"stated", "approximated"}
REQUIRED_TEXT = ["source_lines", "cite", "quote", "date_basis", "date_reasoning", "clinicians_did"]
FRAGMENT_SEPARATOR = " ... "
WEIGHT_NOTE = (
    "Body weight is never stated in the paper; mg amounts need --weight, "
    "or an illustrative weight labelled as such."
)
CASES = [1, 2, 3]


# ---------------------------------------------------------------- helpers


def normalise(text: str) -> str:
    """Text as compared: line-break hyphens removed, OCR ligatures read, whitespace collapsed."""
    text = unicodedata.normalize("NFKC", text)  # µ (micro sign) and μ (mu) compare equal
    text = re.sub(r"-[ \t]*\n\s*", "", text)  # "cre-\n\natinine" -> "creatinine"
    # The seed's OCR lost the ffi/ff ligatures: "eYcacy", "diYcult", "eVect".
    text = re.sub(r"(?<=[a-z])Y(?=[a-z])", "ffi", text)
    text = re.sub(r"(?<=[a-z])V(?=[a-z])", "ff", text)
    text = text.replace("\u2019", "'").replace("\u2018", "'")
    return re.sub(r"\s+", " ", text).strip()


def read_log(path: Path) -> tuple[list[str], list[list[str]]]:
    """Header and data rows of a log, as raw fields."""
    with path.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh, strict=True))
    return (rows[0] if rows else []), rows[1:]


def as_dicts(header: list[str], rows: list[list[str]]) -> list[dict[str, str]]:
    return [dict(zip(header, r)) for r in rows]


def load_case(n: int) -> tuple[list[dict[str, str]], dict]:
    header, rows = read_log(CASES_DIR / f"case{n}.csv")
    with (CASES_DIR / f"case{n}.toml").open("rb") as fh:
        sidecar = tomllib.load(fh)
    return as_dicts(header, rows), sidecar


def log_problems(path: Path, patient_id: str) -> list[str]:
    """Everything wrong with the shape of a log file (empty list when it is sound)."""
    problems: list[str] = []
    try:
        header, rows = read_log(path)
    except (csv.Error, UnicodeDecodeError) as exc:
        return [f"{path.name}: unreadable: {exc}"]
    if header != HEADER:
        problems.append(f"{path.name}: header {header!r} is not {HEADER!r}")
    if not rows:
        problems.append(f"{path.name}: no data rows")
    previous: dt.date | None = None
    for i, fields in enumerate(rows, start=1):
        where = f"{path.name} data row {i}"
        if len(fields) != len(HEADER):
            problems.append(f"{where}: {len(fields)} fields, header has {len(HEADER)}")
            continue
        row = dict(zip(HEADER, fields))
        if row["patient_id"] != patient_id:
            problems.append(f"{where}: patient_id {row['patient_id']!r}, expected {patient_id!r}")
        if row["event"] not in EVENTS:
            problems.append(f"{where}: event {row['event']!r} not one of {sorted(EVENTS)}")
        try:
            date = dt.date.fromisoformat(row["date"])
        except ValueError:
            problems.append(f"{where}: date {row['date']!r} is not an ISO date")
        else:
            if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", row["date"]):
                problems.append(f"{where}: date {row['date']!r} is not YYYY-MM-DD")
            if previous is not None and date < previous:
                problems.append(f"{where}: date {date} is earlier than the row before ({previous})")
            previous = date
        for column in NUMERIC:
            value = row[column]
            if value and not re.fullmatch(r"\d+(\.\d+)?", value):
                problems.append(f"{where}: {column} {value!r} is not a plain number")
        if row["event"] in {"start", "dose_change"} and not row["dose [mg/kg/day]"]:
            problems.append(f"{where}: a {row['event']} row needs a dose")
        if bool(row["sbp"]) != bool(row["dbp"]):
            problems.append(f"{where}: sbp and dbp must be given together")
    return problems


def sidecar_problems(rows: list[dict[str, str]], sidecar: dict) -> list[str]:
    """Everything wrong with a sidecar against its log (empty list when it is sound)."""
    problems: list[str] = []
    entries = sidecar.get("rows", [])
    if len(entries) != len(rows):
        problems.append(f"{len(rows)} CSV data rows but {len(entries)} sidecar [[rows]] entries")
    for i, entry in enumerate(entries, start=1):
        where = f"sidecar entry {i}"
        if entry.get("row") != i:
            problems.append(f"{where}: row = {entry.get('row')!r}, expected {i} (same order as the CSV)")
        for key in REQUIRED_TEXT:
            value = entry.get(key)
            if not isinstance(value, str) or not value.strip():
                problems.append(f"{where}: {key} missing or empty")
        if entry.get("date_basis") not in DATE_BASES:
            problems.append(f"{where}: date_basis {entry.get('date_basis')!r} not one of {sorted(DATE_BASES)}")
        if isinstance(entry.get("source_lines"), str) and entry["source_lines"].strip():
            try:
                parse_source_lines(entry["source_lines"])
            except ValueError as exc:
                problems.append(f"{where}: {exc}")
        if "paper_says" in entry and not str(entry.get("paper_says_note", "")).strip():
            problems.append(f"{where}: paper_says without paper_says_note")
    return problems


def parse_source_lines(text: str) -> list[tuple[int, int]]:
    """'l.62-63; l.80-82' -> [(62, 63), (80, 82)]."""
    spans = []
    for part in text.split(";"):
        m = re.fullmatch(r"\s*l\.(\d+)(?:-(\d+))?\s*", part)
        if not m:
            raise ValueError(f"source_lines part {part!r} is not like 'l.84' or 'l.84-88'")
        first, last = int(m[1]), int(m[2] or m[1])
        if first < 1 or last < first:
            raise ValueError(f"source_lines part {part!r} is not a forward range of lines from 1")
        spans.append((first, last))
    return spans


def quote_problems(sidecar: dict, seed_lines: list[str]) -> list[str]:
    """Quote passages that are not in the paper at the lines the entry cites."""
    problems: list[str] = []
    for i, entry in enumerate(sidecar.get("rows", []), start=1):
        try:
            spans = parse_source_lines(entry.get("source_lines", ""))
        except ValueError as exc:
            problems.append(f"sidecar entry {i}: {exc}")
            continue
        if any(last > len(seed_lines) for _, last in spans):
            problems.append(f"sidecar entry {i}: source_lines beyond the seed's {len(seed_lines)} lines")
            continue
        passages = [normalise(f) for f in str(entry.get("quote", "")).split(FRAGMENT_SEPARATOR)]
        for passage in passages:
            if len(passage) < 12:
                problems.append(f"sidecar entry {i}: quote passage {passage!r} too short to identify")
            elif not any(passage in span_text(seed_lines, *span) for span in spans):
                problems.append(f"sidecar entry {i}: {passage!r} not found at {entry.get('source_lines')}")
        # Line numbers must be tight: each cited span holds a passage that touches
        # both its first and its last line.
        for first, last in spans:
            inside = [p for p in passages if p and p in span_text(seed_lines, first, last)]
            if not inside:
                problems.append(f"sidecar entry {i}: l.{first}-{last} holds none of the quote")
            elif first < last and all(p in span_text(seed_lines, first + 1, last) for p in inside):
                problems.append(f"sidecar entry {i}: l.{first}-{last} starts before the quote does")
            elif first < last and all(p in span_text(seed_lines, first, last - 1) for p in inside):
                problems.append(f"sidecar entry {i}: l.{first}-{last} runs past the end of the quote")
    return problems


def span_text(seed_lines: list[str], first: int, last: int) -> str:
    """Normalised text of seed lines first..last (1-based, inclusive)."""
    return normalise("\n".join(seed_lines[first - 1 : last]))


@pytest.fixture(scope="module")
def seed_lines() -> list[str]:
    if not SEED.is_file():
        pytest.skip(f"seed text not found at {SEED}")
    return SEED.read_text(encoding="utf-8").split("\n")


# ---------------------------------------------------------------- format


@pytest.mark.parametrize("n", CASES)
def test_log_is_a_valid_contract_log(n: int) -> None:
    assert log_problems(CASES_DIR / f"case{n}.csv", f"case-{n}") == []


@pytest.mark.parametrize("n", CASES)
def test_header_is_exact_and_has_no_weight_or_mg(n: int) -> None:
    header, _ = read_log(CASES_DIR / f"case{n}.csv")
    assert header == HEADER
    assert not any(h.startswith("weight") for h in header)


@pytest.mark.parametrize("n", CASES)
def test_every_row_has_the_header_s_field_count(n: int) -> None:
    _, rows = read_log(CASES_DIR / f"case{n}.csv")
    assert [len(r) for r in rows] == [len(HEADER)] * len(rows)


# ---------------------------------------------------------------- provenance


@pytest.mark.parametrize("n", CASES)
def test_every_row_has_a_sound_sidecar_entry(n: int) -> None:
    rows, sidecar = load_case(n)
    assert sidecar_problems(rows, sidecar) == []


@pytest.mark.parametrize("n", CASES)
def test_every_quote_is_in_the_paper_at_the_cited_lines(n: int, seed_lines: list[str]) -> None:
    _, sidecar = load_case(n)
    assert quote_problems(sidecar, seed_lines) == []


@pytest.mark.parametrize("n", CASES)
def test_case_table(n: int) -> None:
    _, sidecar = load_case(n)
    case = sidecar["case"]
    assert case["number"] == n
    assert case["patient_id"] == f"case-{n}"
    assert case["source"] == f"Duddridge M, Powell RJ. Ann Rheum Dis 1997;56:690-692, case {n}"
    assert case["prior_cyclosporine_nephrotoxicity"] is (n == 3)
    assert case["weight_note"] == WEIGHT_NOTE
    assert case["title"].strip() and case["outcome"].strip()


# ---------------------------------------------------------------- key numbers

# (case, event, {column: exact text}): some row of that case must match all of it.
# Doses are written exactly as the paper prints them (0.10, not 0.1).
KEY_ROWS = [
    (1, "start", {"dose [mg/kg/day]": "0.07", "creatinine": "81"}),
    (1, "dose_change", {"dose [mg/kg/day]": "0.11"}),
    (1, "visit", {"sbp": "160", "dbp": "105", "creatinine": ""}),
    (1, "dose_change", {"dose [mg/kg/day]": "0.18"}),
    (1, "visit", {"creatinine": "70"}),
    (2, "start", {"dose [mg/kg/day]": "0.10", "creatinine": "77"}),
    (2, "visit", {"sbp": "160", "dbp": "100", "creatinine": "81", "trough": "20.2"}),
    (2, "dose_change", {"dose [mg/kg/day]": "0.06"}),
    (2, "visit", {"creatinine": "92"}),
    (3, "start", {"dose [mg/kg/day]": "0.04", "creatinine": "90"}),
    (3, "visit", {"sbp": "190", "dbp": "110"}),
    (3, "dose_change", {"dose [mg/kg/day]": "0.13"}),
    (3, "dose_change", {"dose [mg/kg/day]": "0.17"}),
    (3, "visit", {"creatinine": "208", "trough": "23.2", "sbp": "", "dbp": ""}),
    (3, "stop", {}),
    (3, "visit", {"creatinine": "112"}),
]


@pytest.mark.parametrize(("n", "event", "values"), KEY_ROWS)
def test_key_row_present(n: int, event: str, values: dict[str, str]) -> None:
    rows, _ = load_case(n)
    matches = [r for r in rows if r["event"] == event and all(r[k] == v for k, v in values.items())]
    assert matches, f"case {n}: no {event} row with {values}"


@pytest.mark.parametrize(("n", "doses"), [(1, ["0.07", "0.11", "0.18"]), (2, ["0.10", "0.06"]), (3, ["0.04", "0.13", "0.17"])])
def test_doses_are_exactly_the_paper_s_in_order(n: int, doses: list[str]) -> None:
    """No invented intermediate doses (case 3 states only 0.04, 0.13 and 0.17)."""
    rows, _ = load_case(n)
    assert [r["dose [mg/kg/day]"] for r in rows if r["dose [mg/kg/day]"]] == doses


@pytest.mark.parametrize(("n", "baseline"), [(1, "81"), (2, "77"), (3, "90")])
def test_baseline_creatinine_is_the_pre_treatment_value(n: int, baseline: str) -> None:
    """Contract §2: the latest creatinine dated on or before the first start."""
    rows, _ = load_case(n)
    first_start = min(dt.date.fromisoformat(r["date"]) for r in rows if r["event"] == "start")
    before = [r for r in rows if r["creatinine"] and dt.date.fromisoformat(r["date"]) <= first_start]
    assert before and before[-1]["creatinine"] == baseline


@pytest.mark.parametrize(("n", "start"), [(1, "1996-06-01"), (2, "1996-10-01"), (3, "1996-11-01")])
def test_start_dates(n: int, start: str) -> None:
    rows, _ = load_case(n)
    assert [r["date"] for r in rows if r["event"] == "start"] == [start]


def test_case1_increment_after_one_week_and_bp_after_an_increment() -> None:
    rows, _ = load_case(1)
    start = dt.date.fromisoformat(rows[0]["date"])
    (inc,) = [r for r in rows if r["dose [mg/kg/day]"] == "0.11"]
    assert dt.date.fromisoformat(inc["date"]) - start == dt.timedelta(days=7)
    (bp,) = [r for r in rows if r["sbp"] == "160"]
    assert rows.index(bp) == rows.index(inc) + 1, "the BP visit comes right after a dose increment"


def test_case1_increase_to_018_follows_the_month_5_episode() -> None:
    rows, _ = load_case(1)
    (inc,) = [r for r in rows if r["dose [mg/kg/day]"] == "0.18"]
    assert dt.date.fromisoformat(inc["date"]) >= dt.date(1996, 11, 1)
    last = dt.date.fromisoformat(rows[-1]["date"])
    assert last == dt.date(1997, 3, 1) and rows[-1]["creatinine"] == "70"


def test_case2_paper_s_16_percent_is_recorded_beside_the_arithmetic() -> None:
    rows, sidecar = load_case(2)
    (i,) = [k for k, r in enumerate(rows) if r["creatinine"] == "92"]
    entry = sidecar["rows"][i]
    assert entry["paper_says"] == "16%"
    assert "19.5%" in entry["paper_says_note"]
    assert round((92 - 77) / 77 * 100, 1) == 19.5


def test_case3_creatinine_112_is_within_seven_days_after_the_stop() -> None:
    rows, _ = load_case(3)
    (stop,) = [r for r in rows if r["event"] == "stop"]
    (after,) = [r for r in rows if r["creatinine"] == "112"]
    gap = dt.date.fromisoformat(after["date"]) - dt.date.fromisoformat(stop["date"])
    assert dt.timedelta(days=0) < gap <= dt.timedelta(days=7)
    assert rows.index(after) > rows.index(stop)


def test_case3_recurrent_hypertension_is_blank_and_said_so() -> None:
    rows, _ = load_case(3)
    (row,) = [r for r in rows if r["creatinine"] == "208"]
    assert row["sbp"] == row["dbp"] == ""
    assert "hypertension recurred" in row["note"] and "not restate" in row["note"]


def test_case3_bp_190_110_is_at_the_lowest_dose() -> None:
    rows, _ = load_case(3)
    (bp,) = [r for r in rows if r["sbp"] == "190"]
    doses_before = [r["dose [mg/kg/day]"] for r in rows[: rows.index(bp)] if r["dose [mg/kg/day]"]]
    assert doses_before == ["0.04"]


# ---------------------------------------------------------------- the checks can fail


def test_checker_catches_a_row_without_a_source() -> None:
    rows, sidecar = load_case(1)
    sidecar["rows"][2]["source_lines"] = ""
    assert any("source_lines missing" in p for p in sidecar_problems(rows, sidecar))


def test_checker_catches_a_missing_entry_and_a_bad_date_basis() -> None:
    rows, sidecar = load_case(2)
    sidecar["rows"][0]["date_basis"] = "guessed"
    sidecar["rows"].pop()
    problems = sidecar_problems(rows, sidecar)
    assert any("sidecar [[rows]] entries" in p for p in problems)
    assert any("date_basis" in p for p in problems)


def test_checker_catches_an_invented_quote_and_a_wrong_line(seed_lines: list[str]) -> None:
    _, sidecar = load_case(3)
    sidecar["rows"][0]["quote"] = "her creatinine rose to 300 µmol/l"
    sidecar["rows"][1]["source_lines"] = "l.10-12"
    sidecar["rows"][3]["source_lines"] = "l.160-165"  # the quote ends on l.164
    problems = quote_problems(sidecar, seed_lines)
    assert any("entry 1" in p for p in problems)
    assert any("entry 2" in p for p in problems)
    assert any("entry 4" in p and "runs past" in p for p in problems)


def test_quote_normalisation_reads_hyphens_and_ligatures() -> None:
    assert normalise("her cre-\n\natinine rose") == "her creatinine rose"
    assert normalise("side eVect of") == "side effect of"
    assert normalise("one month\u2019s  treatment") == "one month's treatment"


def test_log_checker_catches_a_short_row_and_a_bad_header(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "patient_id,date,event,weight,dose [mg/kg/day],trough,creatinine,sbp,dbp,note\n"
        "case-9,1996-06-01,start,0.07,,81,,\n",
        encoding="utf-8",
    )
    problems = log_problems(bad, "case-9")
    assert any("header" in p for p in problems)
    assert any("fields" in p for p in problems)


# ---------------------------------------------------------------- citations a trainee sees

# Sections and pages of the reference text, by line: the page breaks follow the text's
# column layout (see the cases README). (first line, last line, section, page)
PAGES = [
    (1, 24, "Abstract", 690),
    (38, 83, "Case one", 690),
    (85, 121, "Case two", 690),
    (123, 134, "Case two", 691),
    (136, 186, "Case three", 691),
    (188, 224, "Discussion", 691),
    (226, 272, "Discussion", 692),
]


def cited_places(source_lines: str) -> set[tuple[str, int]]:
    """The (section, page) of every cited line span."""
    places = set()
    for first, last in parse_source_lines(source_lines):
        for lo, hi, section, page in PAGES:
            if first <= hi and last >= lo:
                places.add((section, page))
    return places


def cite_places(cite: str) -> set[tuple[str, int]]:
    """'Case two, p.690-691; Discussion, p.692' -> {(Case two, 690), (Case two, 691), (Discussion, 692)}."""
    places = set()
    for part in cite.split(";"):
        m = re.fullmatch(r"\s*([A-Za-z ]+), p\.(\d+)(?:-(\d+))?\s*", part)
        assert m, f"cite part {part!r} is not like 'Case two, p.690' or 'Case two, p.690-691'"
        for page in range(int(m[2]), int(m[3] or m[2]) + 1):
            places.add((m[1], page))
    return places


@pytest.mark.parametrize("n", CASES)
def test_every_cite_names_the_sections_and_pages_of_its_lines(n: int) -> None:
    _, sidecar = load_case(n)
    for entry in sidecar["rows"]:
        assert cite_places(entry["cite"]) == cited_places(entry["source_lines"]), entry["row"]


@pytest.mark.parametrize("n", CASES)
def test_no_shown_text_carries_a_line_number(n: int) -> None:
    _, sidecar = load_case(n)
    shown = ["cite", "quote", "date_reasoning", "clinicians_did", "situation", "paper_note",
             "rules_vs_clinicians_note", "paper_says_note"]
    for entry in sidecar["rows"]:
        for key in shown:
            assert not re.search(r"\bl\.\d", str(entry.get(key, ""))), (entry["row"], key)


def test_the_cite_checker_catches_a_wrong_page() -> None:
    assert cite_places("Case two, p.691") != cited_places("l.109-112")
