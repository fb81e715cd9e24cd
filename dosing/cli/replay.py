"""`tacro replay CASE`: step through a published case (or a case file), rules against clinicians; `--quiz` asks first."""
from __future__ import annotations

import json
import sys

from dosing.cli.main import add_format, add_profile_option
from dosing.core import units
from dosing.core.errors import InputError
from dosing.core.profile import load_profile


def add_arguments(p) -> None:
    p.add_argument("case", help="published case 1, 2, 3 or all; or a case file FILE.toml (see the cases README)")
    p.add_argument("--weight", help="a weight for mg amounts, e.g. '70 kg' (the paper gives none): illustrative")
    add_format(p)
    p.add_argument("--quiz", action="store_true",
                   help="decide, then reveal: each step asks what you would do before showing the rules and the "
                        "clinicians' action; answers from the keyboard")
    p.add_argument("--answers", metavar="FILE",
                   help="with --quiz (implied): read the answers from FILE, one per step ('reduce' or "
                        "'reduce 0.06 mg/kg/day'; '#' starts a comment)")
    add_profile_option(p)


def run(args) -> int:
    from dosing.replay.engine import CASE_NUMBERS, replay, replay_file, replay_text

    profile = load_profile(args.profile)
    weight = units.parse(args.weight, "weight", "--weight") if args.weight else None
    quiz = args.quiz or args.answers is not None
    if args.case in ("1", "2", "3", "all"):
        cases = CASE_NUMBERS if args.case == "all" else (int(args.case),)
        if quiz and args.case == "all":
            raise InputError("case", "all", "one case for a quiz: 1, 2, 3 or FILE.toml")
        replays = [replay(n, weight, profile) for n in cases]
    elif args.case.lower().endswith(".toml"):
        replays = [replay_file(args.case, weight, profile)]
    else:
        raise InputError("case", args.case, "1, 2, 3, all, or a case file ending in .toml")
    if quiz:
        return _quiz(replays[0], args, profile)
    if args.format == "json":
        data = [r.model_dump(mode="json") for r in replays]
        print(json.dumps(data if args.case == "all" else data[0], indent=2, ensure_ascii=False))
    else:
        print("\n\n".join(replay_text(r) for r in replays))
    return 0


def _quiz(r, args, profile) -> int:
    """Ask each step, reveal, then print the summary (text, or JSON for scripted marking). Nothing is stored."""
    from dosing.replay import quiz

    scripted = None
    if args.answers is not None:
        scripted = quiz.parse_answers(_read_answers(args.answers), r)  # all checked before anything is shown
    out = sys.stderr if args.format == "json" else sys.stdout  # JSON on stdout and nothing else
    head = [f"Quiz: case {r.case}: {r.title}", f"  {r.source}"]
    if r.notice:
        head.append(f"  {r.notice}")
    head.append(f"  {r.weight_note}")
    print("\n".join(head) + "\n", file=out)
    reveals = []
    for k, step in enumerate(r.steps):
        print(quiz.question_text(r, step), file=out)
        if scripted is not None:
            answer = scripted[k]
            print(f"  your answer: {answer.key}{' ' + answer.dose if answer.dose else ''}", file=out)
        else:
            answer = _ask(step, out)
        v = quiz.judge(r, step, answer, profile)
        reveals.append(v)
        print(quiz.reveal_text(r, step, v) + "\n", file=out)
    result = quiz.result(r, reveals)
    if args.format == "json":
        print(json.dumps(result.model_dump(mode="json"), indent=2, ensure_ascii=False))
    else:
        print(quiz.summary_text(result))
    return 0


def _read_answers(name: str) -> str:
    if name == "-":
        return sys.stdin.read()
    try:
        with open(name, encoding="utf-8") as f:
            return f.read()
    except FileNotFoundError:
        raise InputError("--answers", name, "an existing answers file") from None
    except (OSError, UnicodeDecodeError) as e:
        raise InputError("--answers", name, f"a readable UTF-8 text file ({type(e).__name__})") from None


def _ask(step, out):
    """Read one answer from the keyboard, asking again (with the reason) until it is one of the choices."""
    from dosing.replay import quiz

    while True:
        print("  your answer> ", end="", file=out, flush=True)
        line = sys.stdin.readline()
        if not line:
            raise InputError("answer", "(end of input)", "an answer for every step of the quiz")
        try:
            return quiz.parse_answer(line, step)
        except InputError as e:
            print(f"  {e.message}", file=out)
