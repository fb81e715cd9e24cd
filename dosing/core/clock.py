"""Today's date, injectable: tests, snapshots and replays set TACRO_TODAY=YYYY-MM-DD."""
from __future__ import annotations

import datetime as dt
import os


def today() -> dt.date:
    """The date the tool treats as today (TACRO_TODAY if set, else the system date)."""
    fixed = os.environ.get("TACRO_TODAY")
    if fixed:
        return dt.date.fromisoformat(fixed)
    return dt.date.today()
