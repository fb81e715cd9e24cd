"""The rules of contract §3, one module per family, each rule defined once, column-wise.

    trough    TROUGH_LOW, TROUGH_HIGH, TROUGH_UPPER_BAND, TROUGH_TIMING
    kidney    CREATININE_RISE
    pressure  BP_HIGH, BP_SEVERE
    dose      DOSE_ABOVE_CEILING, DOSE_BELOW_EFFECTIVE, DOSE_JUMP
    weight    WEIGHT_JUMP
    schedule  CHECK_OVERDUE (the monitoring schedule)

Each family registers its rules, messages and bases in `dosing.core.registry`; the engine
(`dosing.core.engine`) runs whatever is registered. The families and the engine never import
each other; this package puts them together, so `rules.evaluate(cols, profile, as_of)` runs
every rule. The one-patient path (`dosing.core.assess`), the batch checker
(`dosing.batch.engine`) and the candidate judge (`dosing.core.candidate`) all call it.
"""
from __future__ import annotations

from dosing.core.engine import FRAME_BATCH, RECORD_BATCH, FindingTable, evaluate, hit_severities, worst
from dosing.core.registry import RULE_ORDER, RULES
from dosing.core.rules import dose, kidney, pressure, schedule, trough, weight
from dosing.core.rules.dose import dose_change_ratio

__all__ = ["FRAME_BATCH", "RECORD_BATCH", "RULES", "RULE_ORDER", "FindingTable", "dose", "dose_change_ratio",
           "evaluate", "hit_severities", "kidney", "pressure", "schedule", "trough", "weight", "worst"]
