"""`tacro check` keeps freed arrays for reuse (glibc's mallopt), and does nothing where it cannot."""
from __future__ import annotations

import platform
import sys

import pytest

from dosing.cli import check


@pytest.mark.skipif(not sys.platform.startswith("linux") or platform.libc_ver()[0] != "glibc",
                    reason="mallopt is glibc's")
def test_the_setting_takes_on_glibc():
    assert check.keep_freed_memory() is True


def test_elsewhere_nothing_is_done(monkeypatch):
    monkeypatch.setattr(check.sys, "platform", "darwin")
    assert check.keep_freed_memory() is False
