"""The strict log reader: malformed files are read correctly or refused with line and column, never shifted."""
from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from dosing.core.columns import EVENT_CODES
from dosing.io.logfile import LogFormatError, read_log

AS_OF = dt.date(2026, 11, 22)
H = "patient_id,date,event,dose,trough,creatinine,sbp,dbp,note"
GOOD = "p1,2026-01-01,start,7,,80,120,80,started"
GOOD2 = "p1,2026-01-10,,,8.5,82,125,82,"


def read(tmp_path, content: str | bytes, name: str = "log.csv"):
    path = tmp_path / name
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return read_log(path, as_of=AS_OF)


def problems(log) -> list[tuple[int, str]]:
    return [(c.line, c.column) for c in log.invalid]


def test_a_good_log_is_read_in_canonical_units(tmp_path):
    log = read(tmp_path, f"{H}\n{GOOD}\n{GOOD2}\n")
    c = log.columns
    assert log.invalid == [] and log.unknown_columns == [] and log.rows == 2
    assert c.line.tolist() == [2, 3] and c.patient.tolist() == ["p1", "p1"]
    assert c.day.tolist() == [dt.date(2026, 1, 1).toordinal(), dt.date(2026, 1, 10).toordinal()]
    assert c.event.tolist() == [EVENT_CODES["start"], EVENT_CODES["visit"]]
    assert c["dose"][0] == 7 and np.isnan(c["dose"][1]) and c["trough"][1] == 8.5
    assert log.header_units == {"dose": "mg/day", "trough": "ng/mL", "creatinine": "umol/L", "sbp": "mmHg",
                                "dbp": "mmHg"}
    assert log.raw["trough"].tolist() == ["", "8.5"] and log.notes.tolist() == ["started", ""]


# ------------------------------------------------------------------ the malformed-file corpus (reliability §5)
def test_byte_order_mark_is_dropped(tmp_path):
    log = read(tmp_path, b"\xef\xbb\xbf" + f"{H}\n{GOOD}\n".encode())
    assert log.invalid == [] and len(log.columns) == 1


def test_latin1_line_is_refused_with_its_line_and_the_others_are_read(tmp_path):
    content = f"{H}\n{GOOD}\np1,2026-01-10,,,8.5,82,125,82,café\n{GOOD2}\n".encode("latin-1")
    log = read(tmp_path, content)
    assert problems(log) == [(3, "")] and "UTF-8" in log.invalid[0].expected
    assert log.columns.line.tolist() == [2, 4]


def test_latin1_line_in_a_quoted_file_too(tmp_path):
    content = f'{H}\n{GOOD}\np1,2026-01-10,,,8.5,82,125,82,"café, au lait"\n{GOOD2}\n'.encode("latin-1")
    log = read(tmp_path, content)
    assert problems(log) == [(3, "")] and log.columns.line.tolist() == [2, 4]


def test_nul_byte_is_refused_with_its_line(tmp_path):
    log = read(tmp_path, f"{H}\n{GOOD}\np1,2026-01-10,,,8\x005,82,125,82,\n{GOOD2}\n")
    assert problems(log) == [(3, "")] and "NUL" in log.invalid[0].expected


def test_utf16_is_refused_as_a_whole(tmp_path):
    with pytest.raises(LogFormatError, match="UTF-16"):
        read(tmp_path, f"{H}\n{GOOD}\n".encode("utf-16"))


def test_unmatched_quote_is_reported_at_its_line_and_reading_resumes(tmp_path):
    log = read(tmp_path, f'{H}\n{GOOD}\np1,2026-01-10,,,8.5,82,125,82,"never closed\n{GOOD2}\n')
    assert problems(log) == [(3, "")] and "closing quote" in log.invalid[0].expected
    assert log.columns.line.tolist() == [2, 4]


def test_a_quoted_note_may_hold_commas_and_line_breaks(tmp_path):
    log = read(tmp_path, f'{H}\n"p1","2026-01-01",start,7,,80,120,80,"a, b\nc"\n{GOOD2}\n')
    assert log.invalid == [] and log.notes.tolist() == ["a, b\nc", ""]
    assert log.columns.line.tolist() == [2, 4]  # the record started on line 2; line 3 is inside the note


def test_text_after_a_closing_quote_is_refused(tmp_path):
    log = read(tmp_path, f'{H}\n{GOOD}\np1,2026-01-10,,,"8"5,82,125,82,\n{GOOD2}\n')
    assert problems(log) == [(3, "")] and log.columns.line.tolist() == [2, 4]


def test_duplicated_header_column_is_fatal(tmp_path):
    with pytest.raises(LogFormatError, match="'trough' twice"):
        read(tmp_path, "patient_id,date,trough,Trough [nmol/L]\np1,2026-01-01,8,9\n")


@pytest.mark.parametrize("row, found", [(GOOD + ",extra", 10), ("p1,2026-01-10,,,8.5,82,125,82", 8),
                                        ("p1,2026-01-10,,,7,5,82,125,82,", 10)])
def test_missing_or_extra_fields_refuse_the_row_and_never_shift(tmp_path, row, found):
    log = read(tmp_path, f"{H}\n{row}\n{GOOD2}\n")
    assert problems(log) == [(2, "")] and f"found {found}" in log.invalid[0].expected
    assert log.columns.line.tolist() == [3] and log.columns["trough"].tolist() == [8.5]


def test_an_extra_field_on_the_first_row_shifts_nothing(tmp_path):
    # pandas alone would take the first column as an index and shift every value by one
    log = read(tmp_path, f"{H}\n{GOOD},x\n{GOOD2}\n{GOOD2}\n")
    assert problems(log) == [(2, "")] and log.columns.patient.tolist() == ["p1", "p1"]


def test_repeated_header_row_is_refused(tmp_path):
    log = read(tmp_path, f"{H}\n{GOOD}\n{H}\n{GOOD2}\n")
    assert problems(log) == [(3, "")] and "repeated header" in log.invalid[0].expected


@pytest.mark.parametrize("pid", ["NA", "N/A", "null", "NaN", "0012", "None", "-", " NA", "NA "])
def test_patient_ids_are_kept_exactly_never_missing(tmp_path, pid):
    log = read(tmp_path, f"{H}\n{pid},2026-01-01,start,7,,80,120,80,\n")
    assert log.invalid == [] and log.columns.patient.tolist() == [pid]


def test_blank_patient_id_is_refused_and_its_value_withheld(tmp_path):
    log = read(tmp_path, f"{H}\n   ,2026-01-01,start,7,,80,120,80,secret note\n")
    assert [(c.line, c.column, c.value) for c in log.invalid] == [(2, "patient_id", "")]


def test_decimal_comma_in_a_quoted_cell_is_refused_with_line_and_column(tmp_path):
    log = read(tmp_path, f'{H}\np1,2026-01-01,start,7,"8,5",80,120,80,\n')
    (c,) = log.invalid
    assert (c.line, c.column, c.value) == (2, "trough", "8,5") and "decimal point" in c.expected


@pytest.mark.parametrize("cell", ["8 ng/mL", "8ng/mL", "8 nmol/L", "8 mg"])
def test_a_unit_inside_a_numeric_cell_is_refused(tmp_path, cell):
    log = read(tmp_path, f"{H}\np1,2026-01-01,start,7,{cell},80,120,80,\n")
    (c,) = log.invalid
    assert (c.line, c.column, c.value) == (2, "trough", cell) and "header" in c.expected


@pytest.mark.parametrize("cell", ["nan", "inf", "-inf", "Infinity", "1e400", "TRUE", "0x10", "7.5.1", "1_000", "--5"])
def test_non_numbers_are_refused(tmp_path, cell):
    log = read(tmp_path, f"{H}\np1,2026-01-01,start,7,{cell},80,120,80,\n")
    assert problems(log) == [(2, "trough")]


def test_blank_lines_and_empty_spreadsheet_rows_are_skipped(tmp_path):
    log = read(tmp_path, f"\n{H}\n\n{GOOD}\n,,,,,,,,\n , ,,,,,,,\n\r\n{GOOD2}")
    assert log.invalid == [] and log.columns.line.tolist() == [4, 8] and log.rows == 2


def test_crlf_and_old_mac_line_ends(tmp_path):
    crlf = read(tmp_path, f"{H}\r\n{GOOD}\r\n{GOOD2}\r\n", "crlf.csv")
    cr = read(tmp_path, f"{H}\r{GOOD}\r{GOOD2}\r", "cr.csv")
    assert crlf.invalid == cr.invalid == []
    assert crlf.columns.line.tolist() == cr.columns.line.tolist() == [2, 3]
    assert crlf.raw["note"].tolist() == cr.raw["note"].tolist() == ["started", ""]


def test_header_names_are_case_insensitive_with_units_in_brackets(tmp_path):
    log = read(tmp_path, "Patient_ID, DATE ,Trough [nmol/L],CREATININE [mg/dL],Weight [lb]\n"
                         "p1,2026-01-01,25,1.0,154\n")
    assert log.invalid == []
    assert log.header_units == {"trough": "nmol/L", "creatinine": "mg/dL", "weight": "lb"}
    c = log.columns
    assert c["trough"][0] == pytest.approx(20.1, abs=0.001)
    assert c["creatinine"][0] == pytest.approx(88.4, abs=0.01)
    assert c["weight"][0] == pytest.approx(69.853, abs=0.001)


def test_dose_per_kilogram_header_goes_to_the_rate_column(tmp_path):
    log = read(tmp_path, "patient_id,date,event,weight,dose [mg/kg/day]\np1,2026-01-01,start,70,0.1\n")
    assert log.header_units == {"weight": "kg", "dose_rate": "mg/kg/day"}
    assert log.columns["dose_rate"][0] == 0.1 and np.isnan(log.columns["dose"][0])
    assert log.raw["dose_rate"].tolist() == ["0.1"]


@pytest.mark.parametrize("header, message", [
    ("patient_id,date,trough [U]", "not accepted for trough"),
    ("patient_id,date,dose [mg]", "not accepted for dose"),
    ("patient_id,date,dose_rate [mg/day]", "not accepted for dose_rate"),
    ("patient_id,date,dose [mg/day],dose_rate", None),
    ("patient_id,date,creatinine [mg/dl/day]", "not accepted"),
    ("patient_id,date,trough (ng/mL)", "square brackets"),
    ("patient_id,date [iso],trough", "date takes no unit"),
    ("patient_id;date;trough", "separated by ';'"),
    ("date,trough", "missing: patient_id"),
    ("p1,2026-01-01,8", "missing: patient_id, date"),
])
def test_header_problems_are_fatal_and_name_the_column(tmp_path, header, message):
    if message is None:  # both dose forms as two columns is a valid header
        assert read(tmp_path, f"{header}\np1,2026-01-01,7,\n").invalid == []
        return
    with pytest.raises(LogFormatError, match=message.replace("(", r"\(").replace("[", r"\[")) as e:
        read(tmp_path, f"{header}\n")
    assert "2026-01-01" not in str(e.value) or "missing" in message  # a headerless file's cells are not echoed


def test_a_headerless_file_does_not_echo_its_first_row(tmp_path):
    with pytest.raises(LogFormatError) as e:
        read(tmp_path, "Jane Doe,2026-01-01,8\n")
    assert "Jane" not in str(e.value)


def test_unknown_columns_are_listed_and_never_shift_others(tmp_path):
    log = read(tmp_path, "ward,patient_id,,date,trough,Clinician [x]\nB2,p1,?,2026-01-01,8,Dr A\n")
    assert log.unknown_columns == ["ward", "(column 3, no name)", "Clinician [x]"]
    assert log.columns.patient.tolist() == ["p1"] and log.columns["trough"].tolist() == [8.0]


@pytest.mark.parametrize("row, column, expected", [
    ("p1,2026-01-01,start,,,80,120,80,", "dose", "a dose on a start event"),
    ("p1,2026-01-01,dose_change,,,80,120,80,", "dose", "the new dose"),
    ("p1,2026-01-01,,,,80,120,,", "dbp", "both systolic and diastolic"),
    ("p1,2026-01-01,,,,80,,80,", "sbp", "both systolic and diastolic"),
    ("p1,2026-01-01,,,,80,80,90,", "dbp", "below the systolic"),
    ("p1,2026-01-01,,,,90,120,80,", None, None),
    ("p1,2027-01-01,,,,80,120,80,", "date", "on or before today (2026-11-22)"),
    ("p1,1949-12-31,,,,80,120,80,", "date", "from 1950 on"),
    ("p1,2026-02-30,,,,80,120,80,", "date", "ISO 8601"),
    ("p1,22/11/2026,,,,80,120,80,", "date", "ISO 8601"),
    ("p1,2026-01-01,begin,,,80,120,80,", "event", "one of start"),
    ("p1,2026-01-01,,500,,80,120,80,", "dose", "plausibility"),
    ("p1,2026-01-01,,,,7956,120,80,", "creatinine", "plausibility"),
    ("p1,2026-01-01,,,-1,80,120,80,", "trough", "plausibility"),
])
def test_rows_are_held_to_the_event_model(tmp_path, row, column, expected):
    log = read(tmp_path, f"{H}\n{row}\n")
    if column is None:
        assert log.invalid == []
        return
    (c,) = log.invalid
    assert (c.line, c.column) == (2, column) and expected in c.expected


def test_90_mg_dl_creatinine_is_a_unit_slip(tmp_path):
    log = read(tmp_path, "patient_id,date,creatinine [mg/dL]\np1,2026-01-01,90\np1,2026-01-02,1.1\n")
    assert problems(log) == [(2, "creatinine")] and "check the unit" in log.invalid[0].expected
    # one bad cell costs that cell: line 2 is kept, its creatinine left out and marked lost
    assert log.columns.line.tolist() == [2, 3]
    assert np.isnan(log.columns["creatinine"][0]) and log.columns["creatinine"][1] == pytest.approx(97.24, abs=0.01)
    assert log.columns.lost["creatinine"].tolist() == [True, False] and log.invalid[0].row_kept


def test_every_bad_cell_of_a_row_is_listed_with_the_rows_readable_date(tmp_path):
    log = read(tmp_path, f"{H}\np1,2026-01-05,begin,7,x,y,120,80,\n")
    assert problems(log) == [(2, "event"), (2, "trough"), (2, "creatinine")]
    assert {c.date for c in log.invalid} == {dt.date(2026, 1, 5)} and {c.patient_id for c in log.invalid} == {"p1"}


def test_product_keys(tmp_path):
    log = read(tmp_path, "patient_id,date,product\np1,2026-01-01, Granules \np1,2026-01-02,\np1,2026-01-03,patch\n")
    assert problems(log) == [(4, "product")]
    # the unknown product costs its cell only: line 4 is kept with no product of its own
    assert log.columns.product.tolist() == ["granules", "", ""] and log.columns.lost["product"].tolist()[-1]


def test_empty_file_and_header_only(tmp_path):
    with pytest.raises(LogFormatError, match="empty"):
        read(tmp_path, "\n\n")
    log = read(tmp_path, f"{H}\n")
    assert len(log.columns) == 0 and log.invalid == [] and log.rows == 0


def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(LogFormatError, match="not found"):
        read_log(tmp_path / "nope.csv")


def test_the_fast_and_the_quoted_paths_read_the_same(tmp_path):
    rows = [GOOD, GOOD2, "p2,2026-02-01,start,6,,90,130,85,x", "p2,2026-02-11,,,12.5,91,128,84,"]
    plain = read(tmp_path, "\n".join([H, *rows]) + "\n", "plain.csv")
    quoted = read(tmp_path, "\n".join([H, *rows[:-1], rows[-1] + '"y"']) + "\n", "quoted.csv")
    for a, b in ((plain.columns, quoted.columns),):
        assert a.patient.tolist() == b.patient.tolist() and a.day.tolist() == b.day.tolist()
        assert a.line.tolist() == b.line.tolist() and a.event.tolist() == b.event.tolist()
        for k in a.values:
            assert np.array_equal(a[k], b[k], equal_nan=True)
    assert quoted.notes.tolist()[-1] == "y"


def test_a_large_log_is_read_quickly_and_exactly(tmp_path):
    n = 200_000
    body = "".join(f"P{i % 5000:05d},2026-01-{1 + i % 28:02d},,,{4 + i % 20}.5,{60 + i % 50},{110 + i % 20},"
                   f"{70 + i % 15},\n" for i in range(n))
    body = body.replace("P00007,2026-01-08,,,", "P00007,2026-01-08,,,x", 1)
    log = read(tmp_path, f"{H}\n{body}")
    assert len(log.columns) == n and problems(log) == [(9, "trough")]  # the row stays, its trough does not
    assert log.columns["trough"][:3].tolist() == [4.5, 5.5, 6.5] and np.isnan(log.columns["trough"][7])
    assert np.flatnonzero(log.columns.lost["trough"]).tolist() == [7]
    assert log.columns["creatinine"][7] == 67 and log.columns["sbp"][7] == 117


def test_xlsx_cells_become_text_as_a_person_sees_them(tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["patient_id", "date", "event", "dose", "trough", "note"])
    ws.append(["0012", dt.date(2026, 1, 1), "start", 7, None, "text"])
    ws.append([12, dt.datetime(2026, 1, 10), None, None, 8.5, None])
    ws.append([None, None, None, None, None, None])
    ws.append(["p3", dt.datetime(2026, 1, 10, 9, 30), None, None, "8,5", None, "extra"])
    path = tmp_path / "log.xlsx"
    wb.save(path)
    log = read_log(path, as_of=AS_OF)
    assert log.columns.patient.tolist() == ["0012", "12"] and log.columns.line.tolist() == [2, 3]
    assert log.raw["date"].tolist() == ["2026-01-01", "2026-01-10"] and log.columns["trough"][1] == 8.5
    assert problems(log) == [(5, "")]  # an extra cell beyond the header


@pytest.mark.parametrize("suffix", [".xls", ".ods"])
def test_other_spreadsheet_formats_are_refused_by_name(tmp_path, suffix):
    with pytest.raises(LogFormatError, match="CSV .* and .xlsx"):
        read(tmp_path, b"\xd0\xcf\x11\xe0", f"log{suffix}")


def test_a_giant_quoted_field_refuses_its_row_only(tmp_path):
    giant = "x" * 200_000
    log = read(tmp_path, f'{H}\n{GOOD}\np1,2026-01-10,,,8.5,82,125,82,"{giant}"\n{GOOD2}\n')
    assert problems(log) == [(3, "")] and "at most" in log.invalid[0].expected
    assert log.columns.line.tolist() == [2, 4]
