"""Is the suggestion's amount search bounded, never proportional to the amount asked?

Times, in one run, each with the best of --repeat (after imports and a warm-up):

  baseline   `adjust` 7 mg/day, 8 -> 10 ng/mL (an ordinary increase)
  extreme    `adjust` 100 mg/day, 4 -> 4 ng/mL (the largest dose in force the profile accepts)
  refused    `adjust` 7 mg/day, 1e-7 -> 10 ng/mL (refused: below the reportable range)
  too-big    `adjust` 7 mg/day, 1.2 -> 25 ng/mL (refused: 145.8 mg/day above the plausible maximum)
  dose-max   `dose` 350 kg x 0.28 mg/kg/day (98 mg/day, the largest regimen that is printed)

and prints each as a ratio to the baseline. Before the envelope, a trough of
1e-7 ng/mL built a capsule table up to the amount asked and ran for minutes;
here every ratio stays near 1 or below, whatever the amount.

    .venv/bin/python benchmarks/suggestion_bound.py
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from dosing.core.adjust import adjust  # noqa: E402
from dosing.core.errors import InputError  # noqa: E402
from dosing.core.regimen import regimen  # noqa: E402
from dosing.core.units import Q_  # noqa: E402


def _adjust(dose: float, trough: float, target: float):
    def run():
        try:
            adjust(Q_(dose, "mg/day"), Q_(trough, "ng/mL"), Q_(target, "ng/mL"))
        except InputError:
            pass
    return run


CASES = {
    "baseline": _adjust(7, 8, 10),
    "extreme": _adjust(100, 4, 4),
    "refused": _adjust(7, 1e-7, 10),
    "too-big": _adjust(7, 1.2, 25),
    "dose-max": lambda: regimen(Q_(350, "kg"), Q_(0.28, "mg/kg/day")),
}


def best(fn, repeat: int) -> float:
    fn()
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=20)
    args = ap.parse_args()
    timed = {name: best(fn, args.repeat) for name, fn in CASES.items()}
    base = timed["baseline"]
    for name, t in timed.items():
        print(f"{name:<9} {t * 1000:8.2f} ms   x{t / base:.2f} of baseline")


if __name__ == "__main__":
    main()
