"""Crash safety: 100 SIGKILLs of a writer, half of them while it is held inside a write transaction just
before COMMIT; every confirmed visit, amendment and import is there, whole, nothing of an interrupted write
is, and `PRAGMA integrity_check` is ok (benchmarks/store_crash.py runs 1,000). Nothing here depends on how
fast the machine is: the held kills wait for the child to say where it is."""
from __future__ import annotations

import pytest

from benchmarks.store_crash import _verify, crash_loop


@pytest.mark.slow
def test_a_hundred_kills_half_of_them_mid_write_lose_nothing_confirmed(tmp_path):
    result = crash_loop(tmp_path, kills=100, seed=7, max_delay=0.06, hold_every=2)
    assert result["problems"] == []
    assert result["kills"] == 100
    # 50 kills landed inside a write transaction, before its COMMIT: 17 saves, 17 amendments, 16 imports
    assert result["held_scheduled"] == 50
    assert (result["held_S"], result["held_A"], result["held_I"]) == (17, 17, 16)
    # and the writer had confirmed writes of each kind before them, all of which were found
    assert result["confirmed_saves"] and result["confirmed_amendments"] and result["confirmed_imports"]


def test_the_verifier_notices_a_lost_visit(tmp_path):
    from dosing.store.db import Store
    from tests.test_store_support import visit

    db = tmp_path / "t.db"
    with Store.open(db) as s:
        eid = s.save_event(visit(1, note="1-1"))
    assert _verify(db, [f"S {eid} 1-1"]) == []
    assert _verify(db, [f"S {eid + 1} 1-2"]) == [f"lost visit {eid + 1}"]
    assert _verify(db, ["I 1-9 3"]) == ["import 1-9: 0 of 3 visits"]
    assert _verify(db, ["W S 1-9"]) == []  # an interrupted write that left nothing behind
    assert _verify(db, ["W S 1-1"]) == ["uncommitted S 1-1: 1 visits saved"]
