"""Crash safety: 100 SIGKILLs of a writer at random moments; every confirmed visit, amendment and import is
there, whole, and `PRAGMA integrity_check` is ok (benchmarks/store_crash.py runs 1,000)."""
from __future__ import annotations

from benchmarks.store_crash import _verify, crash_loop


def test_a_hundred_kills_lose_nothing_confirmed(tmp_path):
    result = crash_loop(tmp_path, kills=100, seed=7, max_delay=0.06)
    assert result["problems"] == []
    assert result["kills"] == 100
    # the kills really landed mid-work: many confirmed writes of each kind, some kills during open
    assert result["confirmed_saves"] > 300 and result["confirmed_amendments"] > 30
    assert result["confirmed_imports"] > 30


def test_the_verifier_notices_a_lost_visit(tmp_path):
    from dosing.store.db import Store
    from tests.test_store_support import visit

    db = tmp_path / "t.db"
    with Store.open(db) as s:
        eid = s.save_event(visit(1, note="1-1"))
    assert _verify(db, [f"S {eid} 1-1"]) == []
    assert _verify(db, [f"S {eid + 1} 1-2"]) == [f"lost visit {eid + 1}"]
    assert _verify(db, ["I 1-9 3"]) == ["import 1-9: 0 of 3 visits"]
