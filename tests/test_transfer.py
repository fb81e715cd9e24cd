"""`tacro import` / `tacro export`: exact round trip of 10,000 visits, formula cells neutralised and restored,
all-or-nothing import, private files written by rename, never over the store or an existing file."""
from __future__ import annotations

import csv
import io
import json
import os
import random
import shutil
import sqlite3
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import dosing.cli.transfer as transfer  # imported before forking an unprivileged child
import dosing.io.logfile  # noqa: F401
from dosing.cli.main import main
from dosing.core import units
from dosing.core.columns import CANONICAL
from dosing.io import csvsafe
from dosing.store.db import Store
from tests.test_store_support import PLANTED, in_child, random_pid, random_visit_data, visit

TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
TEXT_COLUMNS = ("patient_id", "product", "note")


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def fingerprint(e) -> tuple:
    """What a visit is, unit-independently: text fields exactly, every value in canonical units."""
    values = tuple(None if getattr(e, f) is None else units.to_canonical(getattr(e, f), k) for f, k in CANONICAL.items())
    return (e.patient_id, e.date, e.event, e.product, e.note, values)


def generated(n: int, seed: int = 4):
    from dosing.core.models import Event

    rng = random.Random(seed)
    pids = [random_pid(rng) for _ in range(300)]
    return [Event.model_validate(random_visit_data(rng, rng.choice(pids), i)) for i in range(n)]


# ------------------------------------------------------------------ round trip


@pytest.mark.slow
def test_export_then_import_reproduces_ten_thousand_visits_exactly(tmp_path, capsys):
    visits = generated(10_000)
    with Store.open(tmp_path / "a.db") as a:
        a.import_events(visits)
        before = sorted(map(fingerprint, a.all_events()), key=repr)
    assert sorted(map(fingerprint, visits), key=repr) == before
    code, out, err = run(capsys, "export", tmp_path / "out.csv", "--db", tmp_path / "a.db")
    assert code == 0, err
    # Random visits jump between doses; DOSE_JUMP refuses that unless confirmed (tests/test_dose_jump.py).
    code, out, err = run(capsys, "import", tmp_path / "out.csv", "--db", tmp_path / "b.db", "--confirm-jumps")
    assert code == 0, err
    assert "imported 10000 visit(s)" in out
    with Store.open(tmp_path / "b.db") as b:
        after = sorted(map(fingerprint, b.all_events()), key=repr)
    assert after == before
    code, _, err = run(capsys, "export", tmp_path / "again.csv", "--db", tmp_path / "b.db")
    assert code == 0, err
    assert (tmp_path / "again.csv").read_bytes() == (tmp_path / "out.csv").read_bytes()


def test_the_export_header_and_numbers(tmp_path, capsys):
    with Store.open(tmp_path / "a.db") as a:
        a.save_event(visit(1, "NA", weight="154 lb", trough="25 nmol/L", dose="7 mg/day", note=""))
    run(capsys, "export", tmp_path / "o.csv", "--db", tmp_path / "a.db")
    rows = list(csv.reader(io.StringIO((tmp_path / "o.csv").read_text(encoding="utf-8"), newline="")))
    assert rows[0] == ["patient_id", "date", "event", "weight [kg]", "dose [mg/day]", "dose [mg/kg/day]", "product",
                       "trough [ng/mL]", "hours_post_dose [h]", "creatinine [umol/L]", "sbp [mmHg]", "dbp [mmHg]",
                       "note"]
    assert rows[1][:5] == ["NA", "2020-01-02", "visit", "69.85322498000001", "7"]
    assert rows[1][7] == "20.1"


def test_imported_values_keep_what_the_file_said(tmp_path, capsys):
    log = tmp_path / "log.csv"
    log.write_text("patient_id,date,weight [lb],trough [nmol/L],dose [mg/kg/day],note\n"
                   "0012,2026-01-02,154,25,0.1,'=x\n", encoding="utf-8")
    code, _, err = run(capsys, "import", log, "--db", tmp_path / "s.db")
    assert code == 0, err
    with Store.open(tmp_path / "s.db") as s:
        (e,) = s.events("0012")
        (v,) = s.event_versions(e.line)
    assert v["entered"] == {"weight": "154 lb", "trough": "25 nmol/L", "dose_rate": "0.1 mg/kg/day"}
    assert e.weight.m == 154 and str(e.weight.units) == "pound" and e.note == "=x"
    assert v["source"] == "import"


def test_the_column_path_stores_what_the_model_path_stores(tmp_path, capsys):
    """`tacro import` builds its rows a column at a time; the library's import_events goes through an Event
    model per visit. Given the same cells, both store the very same values and entered texts."""
    from dosing.core.models import Event

    cells = [("0012", "2026-01-02", "start", "154", "7", "", "25", "=x"),
             ("0012", "2026-01-16", "", "154.20", "", "0.1", "8.50", ""),
             ("NA", "2026-01-03", "visit", "", "", "", "3e1", "naïve µ")]
    header = ("patient_id,date,event,weight [lb],dose [mg/day],dose [mg/kg/day],trough [nmol/L],note")
    (tmp_path / "log.csv").write_text(header + "\n" + "".join(",".join(r) + "\n" for r in cells), encoding="utf-8")
    assert run(capsys, "import", tmp_path / "log.csv", "--db", tmp_path / "cols.db", "--confirm-jumps")[0] == 0
    units_of = {3: ("weight", "lb"), 4: ("dose", "mg/day"), 5: ("dose_rate", "mg/kg/day"), 6: ("trough", "nmol/L")}
    events, texts = [], []
    for r in cells:
        typed = {f: f"{r[i]} {u}" for i, (f, u) in units_of.items() if r[i]}
        events.append(Event.model_validate({"patient_id": r[0], "date": r[1], "event": r[2] or "visit",
                                            "note": r[7], **typed}))
        texts.append(typed)
    with Store.open(tmp_path / "model.db") as m:
        m.import_events(events, texts)

    def stored(db):
        with sqlite3.connect(db) as c:
            return c.execute("SELECT patient_id, date, event, product, weight, dose, dose_rate, trough, "
                             "hours_post_dose, creatinine, sbp, dbp, note, source, entered_by, entered_host, "
                             "entered FROM event ORDER BY id").fetchall()

    assert stored(tmp_path / "cols.db") == stored(tmp_path / "model.db")
    assert json.loads(stored(tmp_path / "cols.db")[1][-1])["trough"] == ["8.50 nmol/L", 8.5, "nanomole / liter"]


def test_imported_rows_name_who_imported_them(tmp_path, capsys, monkeypatch):
    import getpass

    monkeypatch.setenv("SSH_CONNECTION", "192.0.2.7 51000 192.0.2.1 22")
    log = tmp_path / "log.csv"
    log.write_text("patient_id,date,weight\np,2026-01-02,70\n")
    assert run(capsys, "import", log, "--db", tmp_path / "s.db")[0] == 0
    with Store.open(tmp_path / "s.db") as s:
        (e,) = s.events("p")
        (v,) = s.event_versions(e.line)
    assert v["entered_by"] == getpass.getuser() and v["entered_host"] == "192.0.2.7"


def test_export_loads_neither_pint_pydantic_numpy_nor_pandas(tmp_path):
    """Export reads plain values and writes text: the model and numeric libraries would only cost start-up."""
    with Store.open(tmp_path / "a.db") as a:
        a.save_event(visit(1, weight="154 lb"))
    code = ("import sys; from dosing.cli.main import main; "
            f"assert main(['export', {str(tmp_path / 'o.csv')!r}, '--db', {str(tmp_path / 'a.db')!r}]) == 0; "
            "loaded = sorted(m for m in ('pint', 'pydantic', 'numpy', 'pandas') if m in sys.modules); "
            "assert not loaded, loaded")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "o.csv").read_text(encoding="utf-8").splitlines()[1].startswith("p1,2020-01-02,visit,")


@given(st.floats(min_value=0, allow_nan=False, allow_infinity=False))
def test_exported_numbers_are_the_shortest_plain_decimal(x):
    import numpy as np

    text = transfer.number_text(x)
    assert text == np.format_float_positional(x, unique=True, trim="-")
    assert float(text) == x and "e" not in text


@pytest.mark.parametrize("x, text", [(7.0, "7"), (69.85322498000001, "69.85322498000001"), (5e-05, "0.00005"),
                                     (1e16, "10000000000000000"), (0.1, "0.1"), (20.1, "20.1")])
def test_exported_numbers_examples(x, text):
    assert transfer.number_text(x) == text


# ------------------------------------------------------------------ formula cells


def test_no_exported_text_cell_starts_like_a_formula(tmp_path, capsys):
    with Store.open(tmp_path / "a.db") as a:
        for i, note in enumerate(["=1+2", "+4", "-x", "@SUM(A1)", "\tx", "\rx", "'=x", "plain", "'", "''+"]):
            a.save_event(visit(i, pid=["=A1", "+1", "-5", "@p", "'-5", "ok"][i % 6], note=note))
        stored = sorted(map(fingerprint, a.all_events()), key=repr)
    run(capsys, "export", tmp_path / "o.csv", "--db", tmp_path / "a.db")
    rows = list(csv.reader(io.StringIO((tmp_path / "o.csv").read_text(encoding="utf-8"), newline="")))
    header = rows[0]
    for row in rows[1:]:
        for name, cell in zip(header, row):
            if name in TEXT_COLUMNS:
                assert not cell.startswith(TRIGGERS), (name, cell)
    code, _, err = run(capsys, "import", tmp_path / "o.csv", "--db", tmp_path / "b.db")
    assert code == 0, err
    with Store.open(tmp_path / "b.db") as b:
        assert sorted(map(fingerprint, b.all_events()), key=repr) == stored


@given(st.text(max_size=12))
def test_neutralise_is_safe_and_restore_undoes_it(s):
    n = csvsafe.neutralise(s)
    assert not n.startswith(TRIGGERS)
    assert csvsafe.restore(n) == s


@pytest.mark.parametrize("s", ["'hello", "it's", "'", "''", "'a=b"])
def test_restore_leaves_ordinary_quotes_alone(s):
    assert csvsafe.restore(s) == s


# ------------------------------------------------------------------ where and how the export is written


def test_export_is_private_and_leaves_no_temporary_file(tmp_path, capsys):
    with Store.open(tmp_path / "a.db") as a:
        a.save_event(visit(1))

    def child():
        os.umask(0o022)
        return main(["export", str(tmp_path / "out" / ".." / "o.csv"), "--db", str(tmp_path / "a.db")])

    (tmp_path / "out").mkdir()
    assert in_child(child) == 0
    assert stat.S_IMODE(os.stat(tmp_path / "o.csv").st_mode) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


def test_export_refuses_an_existing_file_unless_forced(tmp_path, capsys):
    with Store.open(tmp_path / "a.db") as a:
        a.save_event(visit(1))
    target = tmp_path / "o.csv"
    target.write_text("precious\n")
    os.chmod(target, 0o644)
    code, out, err = run(capsys, "export", target, "--db", tmp_path / "a.db")
    assert code == 2 and "already exists" in err and "--force" in err
    assert target.read_text() == "precious\n"
    code, _, _ = run(capsys, "export", target, "--db", tmp_path / "a.db", "--force")
    assert code == 0 and target.read_text().startswith("patient_id,")
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir() if p.suffix == ".tmp"] == []


@pytest.mark.parametrize("suffix", ["", "-wal", "-shm"])
def test_export_never_writes_over_the_store_even_forced(tmp_path, capsys, suffix):
    db = tmp_path / "a.db"
    with Store.open(db) as a:
        a.save_event(visit(1))
        (tmp_path / "a.db-wal").touch()
        (tmp_path / "a.db-shm").touch()
        size = os.path.getsize(f"{db}{suffix}")
        code, _, err = run(capsys, "export", f"{db}{suffix}", "--db", db, "--force")
        assert os.path.getsize(f"{db}{suffix}") == size
    assert code == 2 and "over the store" in err
    with Store.open(db) as a:
        assert len(a.all_events()) == 1 and a.integrity_check() == []


def test_export_via_a_symlink_to_the_store_is_refused(tmp_path, capsys):
    db = tmp_path / "a.db"
    Store.open(db).close()
    (tmp_path / "link.csv").symlink_to(db)
    code, _, err = run(capsys, "export", tmp_path / "link.csv", "--db", db, "--force")
    assert code == 2 and "over the store" in err


def test_export_without_a_store_creates_none(tmp_path, capsys):
    code, _, err = run(capsys, "export", tmp_path / "o.csv", "--db", tmp_path / "none.db")
    assert code == 2 and "no store" in err
    assert not (tmp_path / "none.db").exists() and not (tmp_path / "o.csv").exists()


def test_export_one_patient_and_an_unknown_one(tmp_path, capsys):
    with Store.open(tmp_path / "a.db") as a:
        a.save_event(visit(1, "A"))
        a.save_event(visit(2, "B"))
    code, _, _ = run(capsys, "export", tmp_path / "o.csv", "--db", tmp_path / "a.db", "--patient", "B")
    assert code == 0 and (tmp_path / "o.csv").read_text().count("\n") == 2
    code, out, err = run(capsys, "export", tmp_path / "p.csv", "--db", tmp_path / "a.db", "--patient", PLANTED)
    assert code == 2 and PLANTED not in err + out and not (tmp_path / "p.csv").exists()


def test_an_amended_visit_exports_as_its_current_version(tmp_path, capsys):
    with Store.open(tmp_path / "a.db") as a:
        first = a.save_event(visit(1, weight="154 kg"))
        a.amend_event(first, visit(1, weight="70 kg"), "typed lb as kg")
    run(capsys, "export", tmp_path / "o.csv", "--db", tmp_path / "a.db")
    text = (tmp_path / "o.csv").read_text()
    assert ",70," in text and "154" not in text


# ------------------------------------------------------------------ import: all or nothing, no patient data


def test_one_bad_row_and_nothing_is_imported(tmp_path, capsys):
    log = tmp_path / "log.csv"
    log.write_text("patient_id,date,weight,trough,note\n"
                   f"{PLANTED},2026-01-02,70,8,{PLANTED} note\n"
                   f"{PLANTED},2026-01-03,70 kg,8,secret note text\n"
                   f"{PLANTED},2026-01-04,70,8,x,extra\n"
                   f"{PLANTED},2026-13-01,70,8,ok\n", encoding="utf-8")
    with Store.open(tmp_path / "s.db") as s:
        s.save_event(visit(1, "kept"))
    code, out, err = run(capsys, "import", log, "--db", tmp_path / "s.db")
    assert code == 2
    assert "line 3, column weight: got '70 kg'" in err and "unit belongs in the header" in err
    assert "line 4, whole row" in err and "line 5, column date: got '2026-13-01'" in err
    assert "nothing was imported" in err
    assert PLANTED not in err + out and "secret" not in err + out
    with Store.open(tmp_path / "s.db") as s:
        assert [e.patient_id for e in s.all_events()] == ["kept"]


def test_unknown_columns_are_named_once(tmp_path, capsys):
    log = tmp_path / "log.csv"
    log.write_text("patient_id,date,colour,weight\np,2026-01-02,red,70\np,2026-01-03,blue,71\n")
    code, out, err = run(capsys, "import", log, "--db", tmp_path / "s.db")
    assert code == 0 and err.count("colour") == 1 and "red" not in err


def test_import_into_a_read_only_store_is_a_clear_message(capsys):
    base = Path(tempfile.mkdtemp(prefix="tacro-transfer-test-"))  # reachable by user nobody
    try:
        os.chmod(base, 0o755)
        log = base / "log.csv"
        log.write_text(f"patient_id,date,weight\n{PLANTED},2026-01-02,70\n")
        os.chmod(log, 0o644)
        with Store.open(base / "s.db") as s:
            s.save_event(visit(1, PLANTED))
        os.chmod(base / "s.db", 0o444)

        def child():
            import contextlib

            err = io.StringIO()
            with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
                code = main(["import", str(log), "--db", str(base / "s.db")])
            return code, err.getvalue()

        code, err = in_child(child, unprivileged=True)
        assert code == 2 and "read-only" in err and PLANTED not in err and "Traceback" not in err
        with Store.open(base / "s.db") as s:
            assert len(s.all_events()) == 1
    finally:
        shutil.rmtree(base, ignore_errors=True)


def test_importing_the_same_file_twice_is_refused_unless_asked(tmp_path, capsys):
    log = tmp_path / "log.csv"
    log.write_text(f"patient_id,date,weight,note\n{PLANTED},2026-01-02,70,first\n{PLANTED},2026-01-16,71,\n")
    db = tmp_path / "s.db"
    assert run(capsys, "import", log, "--db", db)[0] == 0
    code, out, err = run(capsys, "import", log, "--db", db)
    assert code == 2 and "already in the store" in err and "line(s) 2, 3" in err and PLANTED not in err
    log.write_text(f"patient_id,date,weight,note\n{PLANTED},2026-01-02,70,first\n{PLANTED},2026-01-30,72,\n")
    code, out, err = run(capsys, "import", log, "--db", db)
    assert code == 2 and "1 of 2 row(s)" in err and "line(s) 2." in err
    with Store.open(db) as s:
        assert len(s.all_events()) == 2
    assert run(capsys, "import", log, "--db", db, "--allow-duplicates")[0] == 0
    with Store.open(db) as s:
        assert len(s.all_events()) == 4


def test_import_uses_tacro_db_when_no_db_is_given(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("TACRO_DB", str(tmp_path / "env.db"))
    log = tmp_path / "log.csv"
    log.write_text("patient_id,date,weight\np,2026-01-02,70\n")
    assert run(capsys, "import", log)[0] == 0
    with Store.open(tmp_path / "env.db") as s:
        assert len(s.all_events()) == 1
    assert run(capsys, "export", tmp_path / "o.csv")[0] == 0
