"""Helpers for the store tests: generated visits, and running code in a forked child (optionally unprivileged)."""
from __future__ import annotations

import datetime as dt
import os
import pickle
import random
import traceback

from dosing.core.models import Event

NOBODY = 65534
PLANTED = "ZZ-PLANTED-4711"  # a patient id that must never appear in a message


def visit(i: int, pid: str = "p1", rng: random.Random | None = None, **extra) -> Event:
    """A plausible visit; with rng, varied units, values, products and notes."""
    if rng is None:
        data = {"patient_id": pid, "date": (dt.date(2020, 1, 1) + dt.timedelta(days=i % 2000)).isoformat(),
                "weight": "70 kg", "trough": "8.5 ng/mL", "note": f"n{i}"}
    else:
        data = random_visit_data(rng, pid, i)
    data.update(extra)
    return Event.model_validate(data)


_NOTES = ["", "stable", "=1+2", "+44 ring back", "-dizzy", "@home", "\tindented", "\rcr", "'quoted", "''=x",
          "comma, inside", 'a "quote"', "line\nbreak", "naïve µ", "NA", "0012", "  spaces  "]


def random_visit_data(rng: random.Random, pid: str, i: int) -> dict:
    """One random visit: every field sometimes absent, values in units clinicians use."""
    date = dt.date(2015, 1, 1) + dt.timedelta(days=rng.randrange(0, 4000))
    kind = rng.choice(["visit", "visit", "start", "dose_change", "stop"])
    data: dict = {"patient_id": pid, "date": date.isoformat(), "event": kind}
    if rng.random() < 0.7:
        data["weight"] = f"{rng.uniform(35, 140):.{rng.randrange(0, 4)}f} kg"
    if kind in ("start", "dose_change") or rng.random() < 0.3:
        data["dose"] = f"{rng.randrange(1, 40) * 0.5:g} mg/day"
    if rng.random() < 0.6:
        data["trough"] = f"{rng.uniform(0, 30):.{rng.randrange(0, 3)}f} ng/mL"
        if rng.random() < 0.5:
            data["hours_post_dose"] = f"{rng.uniform(10, 14):.1f} h"
    if rng.random() < 0.6:
        data["creatinine"] = f"{rng.uniform(40, 400):.{rng.randrange(0, 2)}f} umol/L"
    if rng.random() < 0.5:
        sbp = rng.randrange(90, 200)
        data["sbp"], data["dbp"] = f"{sbp} mmHg", f"{rng.randrange(50, sbp - 10)} mmHg"
    if rng.random() < 0.2:
        data["product"] = rng.choice(["ir-capsule", "granules"])
    if rng.random() < 0.5:
        data["note"] = rng.choice(_NOTES) + (str(i) if rng.random() < 0.5 else "")
    return data


def random_pid(rng: random.Random) -> str:
    return rng.choice(["NA", "0012", "n/a", "-5", "=HYPERLINK(1)", "+1", "@x", "'q", "P 1", "p,2", 'p"3', "é",
                       f"P{rng.randrange(1000)}"])


def in_child(fn, *args, unprivileged: bool = False):
    """Run fn(*args) in a forked child and return its result (its exception is re-raised here as RuntimeError).

    With unprivileged=True and running as root, the child first becomes user nobody,
    so file permissions bind as they would for a clinician's account.
    """
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - child
        os.close(r)
        try:
            if unprivileged and os.getuid() == 0:
                os.setgid(NOBODY)
                os.setuid(NOBODY)
            out = ("ok", fn(*args))
        except BaseException as e:
            out = ("error", f"{type(e).__name__}: {e}\n{traceback.format_exc()}")
        try:
            data = pickle.dumps(out)
        except Exception as e:
            data = pickle.dumps(("error", f"unpicklable result: {e}"))
        with os.fdopen(w, "wb") as f:
            f.write(data)
        os._exit(0)
    os.close(w)
    with os.fdopen(r, "rb") as f:
        data = f.read()
    os.waitpid(pid, 0)
    status, value = pickle.loads(data)
    if status != "ok":
        raise RuntimeError(value)
    return value
