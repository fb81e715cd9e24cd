"""tacro's core: unit-safe dosing and monitoring of oral tacrolimus in SLE.

Decision support, not a prescriber: every regimen and finding carries the
inputs, rule, threshold and source it rests on. Nothing here imports Textual,
and the one-patient modules do not import pandas (see tests/test_boundary.py).
"""

__version__ = "0.1.0"
