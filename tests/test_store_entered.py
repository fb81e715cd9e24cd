"""What was typed, kept in each event row (schema 3), and the migration of a schema-2 store that kept it in a
table of its own: every text, magnitude and unit moved exactly, the rows still append-only, or nothing changed."""
from __future__ import annotations

import sqlite3

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dosing.core.columns import CANONICAL
from dosing.core.errors import StoreError
from dosing.store import entered
from dosing.store.db import Store
from dosing.store.schema import APPLICATION_ID, MIGRATIONS, QUANTITY_COLUMNS, SCHEMA_VERSION

# ------------------------------------------------------------------ the encoding

typed = st.dictionaries(
    st.sampled_from(["weight", "trough", "creatinine", "dose_rate", "note", "patient_id"]),
    st.tuples(st.text(max_size=20).filter(lambda t: "\x00" not in t),
              st.one_of(st.none(), st.floats(min_value=0, max_value=1e300, allow_nan=False)),
              st.one_of(st.none(), st.sampled_from(["pound", "nanogram / milliliter", "micromole / liter"]))))


@given(typed)
def test_entered_texts_read_back_exactly(texts):
    stored = entered.encode(texts)
    back = entered.decode(stored)
    assert back == {f: (t, None if m is None else float(m), u) for f, (t, m, u) in texts.items()}
    assert list(back) == sorted(texts)  # the order the old table's key gave (field name)
    if texts:  # the import builds the same bytes from fragments, a column at a time
        assert stored == "{" + ",".join(entered.fragment(f, *texts[f]) for f in sorted(texts)) + "}"


def test_nothing_typed_is_stored_as_null_and_a_float_keeps_every_digit():
    assert entered.encode({}) is None and entered.decode(None) == {}
    stored = entered.encode({"weight": ("154.00000000000003 lb", 154.00000000000003, "pound")})
    assert entered.decode(stored)["weight"][1] == 154.00000000000003


def test_the_store_columns_are_the_cores_canonical_columns():
    assert tuple(CANONICAL) == QUANTITY_COLUMNS


# ------------------------------------------------------------------ schema 3


def test_the_list_checks_refuse_what_they_always_refused(tmp_path):
    Store.open(tmp_path / "s.db").close()
    with sqlite3.connect(tmp_path / "s.db") as c:
        c.execute("INSERT INTO patient VALUES ('p', 0, '', 'now')")
        row = "INSERT INTO event (source, patient_id, date, event, note, saved_at) VALUES (?, 'p', '2026-01-01', ?, '', 'x')"
        for source, event in [("entry", "visits"), ("Entry", "visit"), ("import", ""), ("", "stop")]:
            with pytest.raises(sqlite3.IntegrityError, match="CHECK"):
                c.execute(row, (source, event))
        for source in ("entry", "import"):
            for event in ("start", "dose_change", "visit", "stop"):
                c.execute(row, (source, event))


# ------------------------------------------------------------------ migrating a schema-2 store

V2_EVENT = ("INSERT INTO event (id, first, amends, reason, source, batch, patient_id, date, event, note, saved_at, "
            "weight, trough, entered_by) VALUES (?, ?, ?, ?, ?, ?, 'P-1', ?, 'visit', ?, '2026-01-01T00:00:00+00:00', "
            "?, ?, ?)")


def version_two_store(path, dangling: bool = False) -> None:
    """A store as tacro wrote it at schema 2: entered texts in their own table, one row per field."""
    c = sqlite3.connect(path)
    for step in MIGRATIONS[:2]:
        for statement in step:
            c.execute(statement)
    c.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    c.execute("PRAGMA user_version = 2")
    c.execute("INSERT INTO patient VALUES ('P-1', 0, '', '2026-01-01T00:00:00+00:00')")
    c.execute("INSERT INTO import_batch VALUES (1, 1, '2026-01-01T00:00:00+00:00')")
    weight = 154.00000000000003 * 0.45359237
    c.execute(V2_EVENT, (1, None, None, None, "entry", None, "2026-01-02", "first", weight, 8.5, "nurse"))
    c.execute(V2_EVENT, (2, 1, 1, "lb typed as kg", "amendment", None, "2026-01-02", "", 70.0, None, "doctor"))
    c.execute(V2_EVENT, (3, None, None, None, "import", 1, "2026-01-03", "=x", None, 20.1, None))
    c.executemany("INSERT INTO entered VALUES (?, ?, ?, ?, ?)", [
        (1, "weight", "154.00000000000003 lb", 154.00000000000003, "pound"),
        (1, "trough", "8.5 ng/mL", 8.5, "nanogram / milliliter"),
        (1, "note", "first", None, None),
        (2, "weight", "70 kg", 70.0, "kilogram"),
        (3, "trough", "25 nmol/L", 25.0, "nanomole / liter"),
    ])
    c.commit()
    if dangling:  # a text whose visit is not there (written with foreign keys off)
        c.execute("INSERT INTO entered VALUES (99, 'weight', '1 kg', 1.0, 'kilogram')")
        c.commit()
    c.close()


def test_a_version_two_store_is_migrated_with_every_entered_text_exactly(tmp_path):
    path = tmp_path / "old.db"
    version_two_store(path)
    with Store.open(path) as s:
        first, amended = s.event_versions(1)
        (imported,) = s.event_versions(3)
        assert s.integrity_check() == []
        assert s._connection().execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert first["entered"] == {"note": "first", "trough": "8.5 ng/mL", "weight": "154.00000000000003 lb"}
    assert first["visit"].weight.m == 154.00000000000003 and str(first["visit"].weight.units) == "pound"
    assert first["entered_by"] == "nurse" and not first["current"] and first["superseded_by"] == 2
    assert amended["entered"] == {"weight": "70 kg"} and amended["reason"] == "lb typed as kg" and amended["current"]
    assert imported["entered"] == {"trough": "25 nmol/L"} and imported["visit"].trough.m == 25.0
    assert str(imported["visit"].trough.units) == "nanomole / liter" and imported["stored"]["trough"]["value"] == 20.1
    with sqlite3.connect(path) as c:
        assert c.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 3
        names = {r[0] for r in c.execute("SELECT name FROM sqlite_master")}
        assert "entered" not in names and {"event_by_patient", "event_by_first", "event_by_batch"} <= names
        for sql in ["UPDATE event SET entered = NULL", "DELETE FROM event WHERE id = 3"]:
            with pytest.raises(sqlite3.IntegrityError, match="never"):
                c.execute(sql)


def test_a_migration_that_cannot_move_every_text_changes_nothing(tmp_path):
    path = tmp_path / "old.db"
    version_two_store(path, dangling=True)
    with sqlite3.connect(path) as c:
        before = list(c.iterdump())
    with pytest.raises(StoreError, match="cannot prepare the store") as err:
        Store.open(path)
    assert "P-1" not in str(err.value)
    with sqlite3.connect(path) as c:
        assert c.execute("PRAGMA user_version").fetchone()[0] == 2
        assert c.execute("SELECT count(*) FROM entered").fetchone()[0] == 6
        assert list(c.iterdump()) == before
