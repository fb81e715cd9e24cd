"""The profile: every value sourced; overrides; refusals of bad profiles."""
from __future__ import annotations

import pytest

from dosing.core.errors import ProfileError
from dosing.core.profile import RULE_IDS, VALUE_KINDS, default_profile, load_profile
from tests.helpers import ev, findings


def test_every_value_and_rule_has_a_kind_and_source():
    p = default_profile()
    assert set(p.values) == set(VALUE_KINDS)
    for v in p.values.values():
        assert v.kind in {"stated", "derived", "interpretation", "guideline"} and len(v.source) > 10
    assert set(p.rules) == set(RULE_IDS)
    for r in p.rules.values():
        assert r.source


def test_stated_values_cite_the_paper_by_section_with_its_words():
    """A stated value names the published paper, a section of it, and quotes it (no transcript line numbers)."""
    import re

    p = default_profile()
    for v in p.values.values():
        if v.kind == "stated":
            assert v.source.startswith("Duddridge & Powell, Ann Rheum Dis 1997, ")
            assert re.search(r"1997, (Discussion|case \d)", v.source) and "'" in v.source
            assert not re.search(r"\bl\.\d", v.source)


def test_contract_defaults():
    p = default_profile()
    assert p.canonical("trough_low") == 4 and p.canonical("trough_high") == 25
    assert p.canonical("trough_upper_band") == 20 and p.canonical("creatinine_rise") == 0.3
    assert p.canonical("bp_high_systolic") == 140 and p.canonical("bp_severe_diastolic") == 110
    assert p.canonical("ceiling_rate") == 0.15 and p.canonical("effective_floor_rate") == 0.05
    assert p.severity("TROUGH_HIGH") == "alert" and p.severity("DOSE_BELOW_EFFECTIVE") == "info"
    assert p.flag("decrease_restarts_schedule") is False
    assert p.product(None).strengths == ("0.5 mg", "1 mg", "5 mg")


def test_user_override_changes_the_rule_and_is_marked_local(tmp_path):
    f = tmp_path / "local.toml"
    f.write_text('[values.trough_upper_band]\nvalue = "15 ng/mL"\n\n[rules.TROUGH_UPPER_BAND]\nseverity = "alert"\n')
    p = load_profile(f)
    assert p.values["trough_upper_band"].kind == "local"
    assert p.values["trough_upper_band"].source == "user profile local.toml"
    assert p.severity("TROUGH_UPPER_BAND") == "alert"
    rows = [ev("2026-01-01", event="start", dose="7 mg/day"), ev("2026-01-10", trough="16 ng/mL")]
    import datetime as dt

    from dosing.core.assess import assess

    got = [f for f in assess(rows, p, dt.date(2026, 1, 11)).findings if f.rule == "TROUGH_UPPER_BAND"]
    assert len(got) == 1 and got[0].severity == "alert"
    assert findings(rows, "TROUGH_UPPER_BAND") == []  # the default profile is untouched


@pytest.mark.parametrize(
    "text, fragment",
    [
        ('[values.trough_low]\nvalue = "4 kg"\n', "trough_low"),
        ('[values.trough_low]\nvalue = 4\n', "has no unit"),
        ('[values.no_such_value]\nvalue = "4 ng/mL"\n', "unknown profile value"),
        ('[rules.NO_SUCH_RULE]\nseverity = "warn"\n', "unknown rule"),
        ('[rules.TROUGH_LOW]\nseverity = "panic"\n', "TROUGH_LOW"),
        ('[values.trough_low]\nvalue = "4 ng/mL"\ncolour = "red"\n', "unknown key"),
        ("this is not toml", "not valid TOML"),
        ('[values.decrease_restarts_schedule]\nvalue = "maybe"\n', "true or false"),
        ('[values.fortnightly_checks]\nvalue = "2.5"\n', "whole"),
        ('[values.trough_low]\nvalue = "-4 ng/mL"\n', "negative"),
        ("[surprise]\n", "unknown section"),
    ],
)
def test_bad_profiles_are_refused_with_a_message(tmp_path, text, fragment):
    f = tmp_path / "bad.toml"
    f.write_text(text)
    with pytest.raises(ProfileError) as e:
        load_profile(f)
    assert fragment in str(e.value)


def test_missing_profile_file(tmp_path):
    with pytest.raises(ProfileError, match="not found"):
        load_profile(tmp_path / "nope.toml")
