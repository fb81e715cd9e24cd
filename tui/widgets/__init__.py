"""Reusable widgets: a validated form field, text plots over time, findings and due checks as text."""
