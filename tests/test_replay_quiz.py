"""Replay as a teaching tool: the quiz (TUI and CLI), case files, the invented case, the timeline."""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from dosing.cli.main import main
from dosing.core.errors import InputError, TacroError
from dosing.replay import quiz
from dosing.replay.engine import replay, replay_file
from dosing.store.db import Store
from tui.app import make_app
from tui.screens.replay import ReplayScreen

TEACHING = Path(__file__).resolve().parents[1] / "fixtures" / "teaching"
TODAY = dt.date(2026, 11, 22)
LINE_REF = "l."  # a seed-text line reference, e.g. "l.62-63"


@pytest.fixture
def store(tmp_path):
    with Store.open(tmp_path / "tacro.db") as s:
        yield s


def _agreeing_and_differing(step):
    """One choice the clinicians made and one they did not (or, unrecorded: one each way for the rules)."""
    keys = [c.key for c in step.choices]
    if step.paper_choice:
        return step.paper_choice[0], next(k for k in keys if k not in step.paper_choice)
    return None, keys[0]


# ---------------------------------------------------------------- TUI: walk all three cases in quiz mode
@pytest.mark.parametrize("case", [1, 2, 3])
async def test_the_quiz_walks_a_case_with_one_agreeing_and_one_differing_choice_per_step(store, case):
    app = make_app(store, today=TODAY)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await pilot.press("r", str(case), "q")
        screen = app.screen
        assert isinstance(screen, ReplayScreen) and screen.quiz
        r = screen.current
        for k, step in enumerate(r.steps):
            assert screen.index == k
            shown = str(screen.query_one("#replay-step").render())
            assert "What the clinicians knew" in shown
            assert step.clinicians_did not in shown and step.quote not in shown  # nothing revealed yet
            await pilot.press("n")
            assert screen.index == k, "the quiz moved on before a choice"
            agree, differ = _agreeing_and_differing(step)
            # the differing choice first, by the keyboard: highlight it and press enter
            options = screen.query_one("#quiz-choices")
            options.highlighted = [c.key for c in step.choices].index(differ)
            await pilot.press("enter")
            v = screen.reveals[k]
            assert v.choice.key == differ
            if step.paper_choice:
                assert v.clinicians.agrees is False and step.clinicians_did in v.clinicians.reason
            else:
                assert v.clinicians.agrees is None and "records no action" in v.clinicians.reason
            revealed = str(screen.query_one("#replay-step").render())
            assert step.quote in revealed and step.cite in revealed and "Clinicians vs you" in revealed
            assert LINE_REF not in step.cite
            if agree is not None:  # answer again with the clinicians' choice
                screen.answer(agree)
                await pilot.pause()
                assert screen.reveals[k].clinicians.agrees is True
            await pilot.press("n")
        summary = screen.summary
        assert summary is not None and summary.clinicians_scored == sum(1 for s in r.steps if s.paper_choice)
        assert summary.clinicians_agreed == summary.clinicians_scored
        assert "Nothing was saved" in str(screen.query_one("#replay-step").render())
    assert store.list_patients() == [] and store.all_events() == []  # nothing written to the store


async def test_a_refused_dose_keeps_what_was_typed_and_reveals_nothing(store):
    app = make_app(store, today=TODAY)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await pilot.press("r", "2", "q")
        screen = app.screen
        dose = screen.query_one("#quiz-dose")
        dose.value = "0.1"
        screen.answer("start_010", dose.value)
        await pilot.pause()
        assert "has no unit" in str(screen.query_one("#quiz-message").render())
        assert dose.value == "0.1" and screen.reveals == {}


async def test_the_weight_field_turns_mg_per_kg_into_an_illustrative_regimen(store):
    app = make_app(store, today=TODAY)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await pilot.press("r", "2", "w")
        field = app.screen.query_one("#replay-weight")
        field.value = "70"
        await pilot.press("enter")
        assert "has no unit" in str(app.screen.query_one("#replay-weight-message").render())
        assert field.value == "70" and app.screen.current.weight is None
        field.value = "70 kg"
        await pilot.press("enter")
        step = app.screen.current.steps[0]
        # 0.10 mg/kg/day x 70 kg = 7 mg/day = 3.5 mg every 12 h (the calculator's rounding)
        assert "illustrative" in step.regimen and "3.5 mg every 12 h" in step.regimen
        assert "illustrative" in str(app.screen.query_one("#replay-weight-message").render())


# ---------------------------------------------------------------- the core of the quiz
def test_the_rules_view_is_the_findings_not_a_guess():
    r = replay(3)
    toxic = next(s for s in r.steps if s.measured.get("creatinine") == 208)
    keep = quiz.judge(r, toxic, quiz.Answer(key="keep"))
    increase = quiz.judge(r, toxic, quiz.Answer(key="increase"))
    stop = quiz.judge(r, toxic, quiz.Answer(key="stop"))
    assert keep.rules.agrees is False and "CREATININE_RISE" in keep.rules.reason
    assert increase.rules.agrees is False and "against raising" in increase.rules.reason
    assert stop.rules.agrees is True and stop.clinicians.agrees is True
    # 0.17 mg/kg/day typed at a start: above the 0.15 ceiling, and above the lower start after cyclosporine
    start = quiz.judge(r, r.steps[0], quiz.Answer(key="start_lower", dose="0.17 mg/kg/day"))
    assert start.rules.agrees is False and [f.rule for f in start.dose_findings] == ["DOSE_ABOVE_CEILING"]


def test_a_step_without_a_recorded_action_scores_nothing():
    r = replay(1)
    episode = r.steps[4]  # month 4: digital vasculitis, no action recorded
    assert episode.paper_choice == []
    v = quiz.judge(r, episode, quiz.Answer(key="stop"))
    assert v.clinicians.agrees is None and v.rules.agrees is False


def test_the_question_hides_the_decision():
    r = replay(2)
    reduction = r.steps[2]
    text = quiz.question_text(r, reduction)
    assert "0.06" not in text and reduction.clinicians_did not in text
    assert "0.1 mg/kg/day" in text  # the regimen in force before the change


def test_answers_are_checked_before_anything_is_shown(tmp_path, capsys):
    bad = tmp_path / "answers.txt"
    bad.write_text("start_010\nkeep\nreduce 0.06\nkeep\nkeep\n", encoding="utf-8")
    code = main(["replay", "2", "--answers", str(bad)])
    out, err = capsys.readouterr()
    assert code == 2 and out == ""
    assert "answers line 3 dose" in err and "'0.06'" in err and "Traceback" not in err
    short = tmp_path / "short.txt"
    short.write_text("keep\n", encoding="utf-8")
    assert main(["replay", "2", "--answers", str(short)]) == 2
    assert "one answer per step: 5" in capsys.readouterr().err


def test_the_keyboard_quiz_asks_again_after_a_wrong_answer(monkeypatch, capsys):
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO("maybe\nstart_010\nkeep\nreduce\nkeep\nkeep\n"))
    assert main(["replay", "2", "--quiz"]) == 0
    out = capsys.readouterr().out
    assert "answer: got 'maybe'; expected one of start_010, start_lower, start_015" in out
    assert "Agreed with the clinicians at 4 of 5 steps" in out  # only "keep" at month 1 differs


def test_the_json_summary_is_the_only_thing_on_stdout(capsys):
    code = main(["replay", "2", "--answers", str(TEACHING / "answers-case2.txt"), "--format", "json"])
    out, err = capsys.readouterr()
    data = json.loads(out)
    assert code == 0 and data["clinicians_agreed"] == 3 and data["clinicians_scored"] == 5
    assert "What would you do?" in err


# ---------------------------------------------------------------- case files and the invented case
def test_the_invented_case_replays_and_quizzes_as_data():
    r = replay_file(TEACHING / "case4.toml")
    assert r.kind == "invented" and "INVENTED" in r.notice and "not a published case" in r.notice
    rules = [{f.rule for f in s.findings} for s in r.steps]
    assert rules[1] == {"TROUGH_LOW"} and rules[3] == {"TROUGH_TIMING"}
    assert rules[4] == {"CREATININE_RISE", "BP_HIGH"}
    (rise,) = [f for f in r.steps[4].findings if f.rule == "CREATININE_RISE"]
    assert rise.value.value == pytest.approx(35.71, abs=0.01)  # (95 - 70) / 70
    answers = quiz.parse_answers((TEACHING / "answers-case4.txt").read_text(encoding="utf-8"), r)
    result = quiz.result(r, [quiz.judge(r, s, a) for s, a in zip(r.steps, answers)])
    assert result.clinicians_scored == 7 and result.clinicians_agreed == 5


def test_a_case_file_may_not_claim_to_be_published(tmp_path):
    text = (TEACHING / "case4.toml").read_text(encoding="utf-8").replace('kind = "invented"', 'kind = "published"')
    (tmp_path / "case4.toml").write_text(text, encoding="utf-8")
    (tmp_path / "case4.csv").write_text((TEACHING / "case4.csv").read_text(encoding="utf-8"), encoding="utf-8")
    with pytest.raises(InputError, match="case.kind"):
        replay_file(tmp_path / "case4.toml")


@pytest.mark.parametrize(("old", "new", "field"), [
    ('paper_choice = ["increase"]\n\n[[rows]]\nrow = 3', 'paper_choice = ["raise"]\n\n[[rows]]\nrow = 3',
     "rows[2].paper_choice"),
    ('row = 2\n', 'row = 2\ncolour = "red"\n', "rows.1.colour"),
    ('also_knew = [5]', 'also_knew = [9]', "rows[6].also_knew"),
    ('dose = "0.15 mg/kg/day"', 'dose = "0.15"', "dose"),
])
def test_a_bad_case_file_names_the_field(tmp_path, capsys, old, new, field):
    text = (TEACHING / "case4.toml").read_text(encoding="utf-8")
    assert old in text
    (tmp_path / "case4.toml").write_text(text.replace(old, new, 1), encoding="utf-8")
    (tmp_path / "case4.csv").write_text((TEACHING / "case4.csv").read_text(encoding="utf-8"), encoding="utf-8")
    assert main(["replay", str(tmp_path / "case4.toml")]) == 2
    err = capsys.readouterr().err
    assert field in err and "Traceback" not in err


def test_nothing_a_trainee_sees_cites_a_line_number():
    for case in (1, 2, 3):
        r = replay(case)
        data = r.model_dump(mode="json")
        assert all("source_lines" not in s for s in data["steps"])
        for s in r.steps:
            for text in (s.cite, s.situation, s.date_reasoning, s.difference, *s.paper_vs_tool):
                assert "(l." not in text and "l.2" not in text and "contract" not in text


# ---------------------------------------------------------------- timeline
def test_the_timeline_puts_every_chart_on_the_case_s_dates():
    from dosing.core.profile import default_profile
    from tui.widgets.timeline import case_charts, render_timeline

    r = replay(3)
    charts = case_charts(r, default_profile())
    for c in charts:
        if not c.empty:
            dates = {p.date for s in c.series for p in s.points}
            assert min(dates) == dt.date(1996, 11, 1) and max(dates) == dt.date(1997, 1, 8)
    text = render_timeline(r, default_profile(), 4, 80).plain
    assert "▲ step 5: 1997-01-01 (stated) visit" in text
    assert "systolic (approximated date)" in text  # the 190/110 visit's date is approximated


async def test_the_quiz_timeline_shows_nothing_after_the_step_being_decided(store):
    app = make_app(store, today=TODAY)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await pilot.press("r", "3", "q")
        screen = app.screen
        for _ in range(4):  # answer steps 1-4, then look at step 5 before answering it
            screen.answer(screen.step.paper_choice[0])
            await pilot.pause()
            await pilot.press("n")
        await pilot.press("t")
        shown = screen.query_one("#replay-timeline").replay
        assert [s.index for s in shown.steps] == [1, 2, 3, 4, 5]
        assert shown.steps[-1].findings == [] and shown.steps[-1].measured["creatinine"] == 208
        text = str(screen.query_one("#replay-timeline").render())
        assert "1997-01-08" not in text  # the creatinine of 112 after the stop is not known yet
        await pilot.press("q")  # browsing shows the whole case
        await pilot.press("t", "t")
        assert len(screen.query_one("#replay-timeline").replay.steps) == 7


def test_a_typed_dose_must_go_the_way_the_choice_says():
    r = replay(2)
    reduction = r.steps[2]  # 0.10 mg/kg/day in force
    with pytest.raises(InputError, match=r"a dose below the dose in force \(0.1 mg/kg/day\) for 'reduce'"):
        quiz.judge(r, reduction, quiz.Answer(key="reduce", dose="0.12 mg/kg/day"))
    with pytest.raises(InputError, match="a dose above the dose in force"):
        quiz.judge(r, reduction, quiz.Answer(key="increase", dose="0.1 mg/kg/day"))
    assert quiz.judge(r, reduction, quiz.Answer(key="reduce", dose="0.06 mg/kg/day")).rules.agrees is True


def test_a_local_case_may_be_dated_this_year(tmp_path, monkeypatch):
    monkeypatch.setenv("TACRO_TODAY", "2026-11-22")
    text = (TEACHING / "case4.toml").read_text(encoding="utf-8").replace('kind = "invented"', 'kind = "local"')
    (tmp_path / "case4.toml").write_text(text, encoding="utf-8")
    log = (TEACHING / "case4.csv").read_text(encoding="utf-8").replace("2025-", "2026-")
    (tmp_path / "case4.csv").write_text(log, encoding="utf-8")
    r = replay_file(tmp_path / "case4.toml")
    assert r.kind == "local" and "LOCAL CASE" in r.notice and r.steps[-1].date == dt.date(2026, 4, 22)
    monkeypatch.setenv("TACRO_TODAY", "2026-04-01")  # later rows are then in the future: refused
    with pytest.raises(TacroError, match="invalid cell"):
        replay_file(tmp_path / "case4.toml")
