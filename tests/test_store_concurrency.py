"""Two processes saving to one store at once: every visit stored, no lock error (reliability.md §7)."""
from __future__ import annotations

import pytest

from benchmarks.store_writers import two_writers


@pytest.mark.slow
def test_two_processes_save_two_thousand_visits_each_at_once(tmp_path):
    result = two_writers(tmp_path / "t.db", 2000)
    assert result["errors"] == []
    assert result["confirmed"] == result["distinct"] == result["stored"] == 4000
    assert result["lost"] == [] and result["integrity"] == "ok"


def test_two_processes_creating_the_store_at_the_same_moment(tmp_path):
    for k in range(5):
        result = two_writers(tmp_path / f"new-{k}.db", 20, create_first=False)
        assert result["errors"] == [] and result["stored"] == 40 and result["integrity"] == "ok"
