"""Words and defaults every interface shares, defined once. Imports nothing, so the TUI can use it
before the core (pint, numpy) is loaded."""

DISCLAIMER = "Decision support, not a prescription: the prescriber decides."
"""The one decision-support sentence: CLI output, the TUI, regimens and reports all show this."""

DEFAULT_PRODUCT = "ir-capsule"
"""The formulation a blank `product` means: immediate-release capsules, 12-hourly."""
