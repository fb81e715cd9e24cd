"""Replay of the published cases for trainees."""
