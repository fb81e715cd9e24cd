"""Batch checking of whole monitoring logs (pandas, column-wise)."""
