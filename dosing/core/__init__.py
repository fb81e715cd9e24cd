"""The unit-safe core: units, profile, models, rules, schedule, regimen, adjustment (no pandas, Textual or SQLite)."""
