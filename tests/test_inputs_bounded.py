"""Inputs are read with bounds (dosing.io.infile): regular files only, up to a size limit, never without end.

`tacro check`, `tacro import` and the replay's reader (`read_log`) alike. The
FIFO and /dev/zero cases run in a child process with a generous timeout: a
regression would hang, and the timeout only turns that into a failure (no
test waits on it when all is well).
"""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from dosing.cli.main import main
from dosing.io.cells import LogFormatError
from dosing.io.logfile import read_log
from dosing.store.db import Store
from tests.conftest import FIXTURES, ROOT

LOG = FIXTURES / "logs" / "clean.csv"
SAFETY_NET_S = 120  # a hang becomes a failure; a passing run returns at once


def tacro(*argv, env=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "dosing", *map(str, argv)], capture_output=True, text=True,
                          cwd=ROOT, timeout=SAFETY_NET_S, stdin=subprocess.DEVNULL,
                          env={**os.environ, **(env or {})})


def argv_for(command: str, path, tmp_path) -> list:
    if command == "check":
        return ["check", path, "--as-of", "2026-04-20"]
    return ["import", path, "--db", tmp_path / "t.db"]


@pytest.mark.parametrize("command", ["check", "import"])
def test_a_fifo_without_a_writer_is_refused_not_waited_on(command, tmp_path):
    fifo = tmp_path / "log.csv"
    os.mkfifo(fifo)
    r = tacro(*argv_for(command, fifo, tmp_path))
    assert r.returncode == 2 and "a FIFO" in r.stderr and "not a regular file" in r.stderr
    assert "Traceback" not in r.stderr
    assert not (tmp_path / "t.db").exists() or _stored(tmp_path / "t.db") == 0


@pytest.mark.parametrize("command", ["check", "import"])
def test_dev_zero_is_refused_not_read_for_ever(command, tmp_path):
    r = tacro(*argv_for(command, "/dev/zero", tmp_path))
    assert r.returncode == 2 and "a character device" in r.stderr and "Traceback" not in r.stderr


@pytest.mark.parametrize("command", ["check", "import"])
def test_a_file_past_the_size_limit_is_refused_and_the_limit_is_a_setting(command, tmp_path):
    size = LOG.stat().st_size
    r = tacro(*argv_for(command, LOG, tmp_path), env={"TACRO_MAX_INPUT_BYTES": str(size - 1)})
    assert r.returncode == 2 and "above the input limit" in r.stderr and "TACRO_MAX_INPUT_BYTES" in r.stderr
    r = tacro(*argv_for(command, LOG, tmp_path), env={"TACRO_MAX_INPUT_BYTES": str(size)})
    assert r.returncode == 0, r.stderr  # exactly at the limit is read


def test_a_bad_limit_setting_is_a_plain_message(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("TACRO_MAX_INPUT_BYTES", "lots")
    assert main(["check", str(LOG)]) == 2
    assert "TACRO_MAX_INPUT_BYTES: got 'lots'" in capsys.readouterr().err


def test_the_shared_reader_refuses_them_too(tmp_path, monkeypatch):
    fifo = tmp_path / "f.csv"
    os.mkfifo(fifo)
    with pytest.raises(LogFormatError, match="FIFO"):
        read_log(fifo)
    with pytest.raises(LogFormatError, match="character device"):
        read_log("/dev/zero")
    with pytest.raises(LogFormatError, match="folder"):
        read_log(tmp_path)
    monkeypatch.setenv("TACRO_MAX_INPUT_BYTES", "10")
    with pytest.raises(LogFormatError, match="above the input limit"):
        read_log(LOG)
    book = tmp_path / "log.xlsx"
    book.write_bytes(b"x" * 11)
    with pytest.raises(LogFormatError, match="above the input limit"):
        read_log(book)


def _stored(db) -> int:
    with Store.open(db, create=False) as s:
        return len(s.all_events())


@pytest.mark.parametrize("command", ["check", "import", "export"])
def test_a_store_path_that_is_a_fifo_or_device_is_refused(command, tmp_path):
    fifo = tmp_path / "store.db"
    os.mkfifo(fifo)
    log = FIXTURES / "logs" / "clean.csv"
    argv = {"check": ["check", "--db", fifo], "import": ["import", log, "--db", fifo],
            "export": ["export", tmp_path / "out.csv", "--db", fifo]}[command]
    r = tacro(*argv)
    assert r.returncode == 2 and "not a regular file" in r.stderr and "Traceback" not in r.stderr
    r = tacro(*argv[:-1], "/dev/zero")
    assert r.returncode == 2 and "not a regular file" in r.stderr
