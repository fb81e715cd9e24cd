"""Output paths (the private-file writer, dosing.io.outfile): what PATH is decides how it is written.

Every command that writes a file is run against each kind of PATH, with and
without --force: a missing name, a regular file, `-`, a FIFO with a reader, a
character device (made with mknod: root only), a directory, a socket, and
symlinks to a regular file and to a directory.
"""
from __future__ import annotations

import os
import socket
import stat
import threading
from pathlib import Path

import pytest

from dosing.cli.main import main
from dosing.io.outfile import OutputError, private_output
from dosing.store.db import Store
from tests.conftest import FIXTURES
from tests.test_store_support import visit

LOG = FIXTURES / "logs" / "rule_trough_high.csv"


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def store(tmp_path) -> Path:
    db = tmp_path / "store.db"
    with Store.open(db) as s:
        s.import_events([visit(1, pid="E-1"), visit(2, pid="E-1")])
    return db


def write_to(command: str, target, capsys, store: Path, force: bool = False):
    """Run `command` writing to `target`; (exit code, stdout, stderr)."""
    extra = ["--force"] if force else []
    if command == "check":
        return run(capsys, "check", LOG, "--format", "csv", "--as-of", "2026-04-20", "--out", target, *extra)
    return run(capsys, "export", target, "--db", store, *extra)


def expected_head(command: str) -> bytes:
    return b"patient_id,date,rule," if command == "check" else b"patient_id,date,event,"


COMMANDS = ["check", "export"]


@pytest.mark.parametrize("command", COMMANDS)
def test_a_new_file_is_created_0600(command, tmp_path, capsys, store):
    target = tmp_path / "out.csv"
    code, _, err = write_to(command, target, capsys, store)
    assert code in (0, 1), err
    assert target.read_bytes().startswith(expected_head(command))
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


@pytest.mark.parametrize("command", COMMANDS)
def test_a_regular_file_is_replaced_only_with_force(command, tmp_path, capsys, store):
    target = tmp_path / "out.csv"
    target.write_text("keep me")
    code, _, err = write_to(command, target, capsys, store)
    assert code == 2 and "already exists" in err and "--force" in err
    assert target.read_text() == "keep me"
    code, _, err = write_to(command, target, capsys, store, force=True)
    assert code in (0, 1), err
    assert target.read_bytes().startswith(expected_head(command))
    assert stat.S_IMODE(target.stat().st_mode) == 0o600


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("force", [False, True])
def test_dash_is_stdout(command, force, tmp_path, capsys, store):
    code, out, err = write_to(command, "-", capsys, store, force=force)
    assert code in (0, 1), err
    assert out.encode().startswith(expected_head(command))
    assert not (tmp_path / "-").exists()


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("force", [False, True])
def test_a_fifo_with_a_reader_gets_the_whole_output_and_stays_a_fifo(command, force, tmp_path, capsys, store):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo, 0o644)
    got: list[bytes] = []

    def reader():
        with open(fifo, "rb") as f:  # blocks until the writer opens: no sleep, no timing
            got.append(f.read())

    t = threading.Thread(target=reader, daemon=True)
    t.start()
    code, _, err = write_to(command, fifo, capsys, store, force=force)
    t.join(timeout=60)
    assert not t.is_alive()
    assert code in (0, 1), err
    # The same bytes as a regular file would get.
    plain = tmp_path / "plain.csv"
    write_to(command, plain, capsys, store)
    assert got == [plain.read_bytes()]
    st = os.lstat(fifo)
    assert stat.S_ISFIFO(st.st_mode) and stat.S_IMODE(st.st_mode) == 0o644


@pytest.mark.skipif(os.geteuid() != 0, reason="mknod of a character device needs root")
@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("force", [False, True])
def test_a_character_device_is_written_in_place_and_stays_a_device(command, force, tmp_path, capsys, store):
    null = os.stat("/dev/null")
    dev = tmp_path / "null"
    os.mknod(dev, stat.S_IFCHR | 0o666, null.st_rdev)  # the same major/minor as /dev/null
    os.chmod(dev, 0o666)
    code, _, err = write_to(command, dev, capsys, store, force=force)
    assert code in (0, 1), err
    st = os.lstat(dev)
    assert stat.S_ISCHR(st.st_mode) and st.st_rdev == null.st_rdev
    assert (os.major(st.st_rdev), os.minor(st.st_rdev)) == (os.major(null.st_rdev), os.minor(null.st_rdev))
    assert stat.S_IMODE(st.st_mode) == 0o666  # never chmod'ed
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def test_dev_null_itself_is_left_a_device(tmp_path, capsys, store):
    before = os.stat("/dev/null")
    code, _, err = write_to("check", "/dev/null", capsys, store, force=True)
    assert code in (0, 1), err
    after = os.stat("/dev/null")
    assert stat.S_ISCHR(after.st_mode) and after.st_rdev == before.st_rdev and after.st_mode == before.st_mode


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("force", [False, True])
def test_a_directory_is_refused(command, force, tmp_path, capsys, store):
    folder = tmp_path / "folder"
    folder.mkdir()
    code, out, err = write_to(command, folder, capsys, store, force=force)
    assert code == 2 and "folder" in err and "Traceback" not in err
    assert folder.is_dir() and list(folder.iterdir()) == []


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("force", [False, True])
def test_a_socket_is_refused(command, force, tmp_path, capsys, store):
    path = tmp_path / "s"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.bind(str(path))
        code, _, err = write_to(command, path, capsys, store, force=force)
        assert code == 2 and "socket" in err
        assert stat.S_ISSOCK(os.lstat(path).st_mode)
    finally:
        sock.close()


@pytest.mark.parametrize("command", COMMANDS)
def test_a_symlink_to_a_regular_file_replaces_only_the_link_and_only_with_force(command, tmp_path, capsys, store):
    target = tmp_path / "target.csv"
    target.write_text("the target")
    link = tmp_path / "link.csv"
    link.symlink_to(target)
    code, _, err = write_to(command, link, capsys, store)
    assert code == 2 and "already exists" in err
    assert link.is_symlink() and target.read_text() == "the target"
    code, _, err = write_to(command, link, capsys, store, force=True)
    assert code in (0, 1), err
    assert not link.is_symlink() and link.read_bytes().startswith(expected_head(command))
    assert target.read_text() == "the target"


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("force", [False, True])
def test_a_symlink_to_a_directory_is_refused(command, force, tmp_path, capsys, store):
    folder = tmp_path / "folder"
    folder.mkdir()
    link = tmp_path / "link"
    link.symlink_to(folder)
    code, _, err = write_to(command, link, capsys, store, force=force)
    assert code == 2 and "folder" in err and "symlink" in err
    assert link.is_symlink() and list(folder.iterdir()) == []


def test_check_out_never_writes_over_the_store_it_checks(tmp_path, capsys, store):
    code, _, err = run(capsys, "check", "--db", store, "--out", store, "--force")
    assert code == 2
    with Store.open(store, create=False) as s:
        assert len(s.all_events()) == 2 and s.integrity_check() == []


def test_the_writer_offers_a_binary_stream_and_keeps_nothing_on_error(tmp_path):
    target = tmp_path / "report.pdf"
    with private_output(target, binary=True) as f:
        f.write(b"%PDF-1.4\n")
    assert target.read_bytes() == b"%PDF-1.4\n" and stat.S_IMODE(target.stat().st_mode) == 0o600
    with pytest.raises(RuntimeError), private_output(target, force=True, binary=True) as f:
        f.write(b"half")
        raise RuntimeError("stopped while writing")
    assert target.read_bytes() == b"%PDF-1.4\n"  # the old file stays whole
    assert [p.name for p in tmp_path.iterdir()] == ["report.pdf"]
    with pytest.raises(OutputError, match="already exists"), private_output(target) as f:
        f.write("x")


@pytest.mark.parametrize("command", COMMANDS)
def test_a_name_for_stdout_is_written_to_stdout_and_never_replaced(command, tmp_path, store):
    # /dev/stdout is a symlink to /proc/self/fd/1, which after `> file` points at a regular file: replacing
    # "the link" would replace the system's /dev/stdout. A symlink of our own stands in for it here.
    import subprocess
    import sys

    from tests.conftest import ROOT

    link = tmp_path / "stdout-link"
    link.symlink_to("/proc/self/fd/1")
    target = tmp_path / "captured.csv"
    argv = (["check", str(LOG), "--format", "csv", "--as-of", "2026-04-20", "--out", str(link), "--force"]
            if command == "check" else ["export", str(link), "--db", str(store), "--force"])
    with open(target, "wb") as out:
        r = subprocess.run([sys.executable, "-m", "dosing", *argv], stdout=out, stderr=subprocess.PIPE, cwd=ROOT,
                           text=True, timeout=120, stdin=subprocess.DEVNULL)
    assert r.returncode in (0, 1), r.stderr
    assert link.is_symlink() and os.readlink(link) == "/proc/self/fd/1"
    assert target.read_bytes().startswith(expected_head(command))
    assert b"exported" not in target.read_bytes()  # the confirmation went to stderr, not into the CSV


# ---------------------------------------------------------------------------------------------- tacro report
# The report goes through the same writer. Its HTML carries the time it was written, so these tests check
# the document's shape rather than comparing bytes between two runs.
def report_to(target, capsys, store: Path, force: bool = False):
    extra = ["--force"] if force else []
    return run(capsys, "report", "E-1", "--db", store, "--out", target, *extra)


def is_report(data: bytes) -> bool:
    text = data.decode("utf-8")
    return text.lstrip().lower().startswith("<!doctype html") and text.rstrip().endswith("</html>")


def test_report_dash_is_the_html_on_stdout(tmp_path, capsys, store):
    code, out, err = report_to("-", capsys, store)
    assert code == 0, err
    assert is_report(out.encode("utf-8")) and not (tmp_path / "-").exists()


@pytest.mark.parametrize("force", [False, True])
def test_report_to_a_fifo_with_a_reader_stays_a_fifo(force, tmp_path, capsys, store):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo, 0o644)
    got: list[bytes] = []

    def reader():
        with open(fifo, "rb") as f:  # blocks until the writer opens: no sleep, no timing
            got.append(f.read())

    t = threading.Thread(target=reader, daemon=True)
    t.start()
    code, _, err = report_to(fifo, capsys, store, force=force)
    t.join(timeout=60)
    assert not t.is_alive() and code == 0, err
    assert len(got) == 1 and is_report(got[0])
    st = os.lstat(fifo)
    assert stat.S_ISFIFO(st.st_mode) and stat.S_IMODE(st.st_mode) == 0o644


@pytest.mark.skipif(os.geteuid() != 0, reason="mknod of a character device needs root")
@pytest.mark.parametrize("force", [False, True])
def test_report_to_a_character_device_leaves_it_a_device(force, tmp_path, capsys, store):
    null = os.stat("/dev/null")
    dev = tmp_path / "null"
    os.mknod(dev, stat.S_IFCHR | 0o666, null.st_rdev)
    os.chmod(dev, 0o666)
    code, _, err = report_to(dev, capsys, store, force=force)
    assert code == 0, err
    st = os.lstat(dev)
    assert stat.S_ISCHR(st.st_mode) and st.st_rdev == null.st_rdev and stat.S_IMODE(st.st_mode) == 0o666


@pytest.mark.parametrize("force", [False, True])
def test_report_to_a_directory_or_a_socket_is_refused(force, tmp_path, capsys, store):
    folder = tmp_path / "folder.html"
    folder.mkdir()
    code, _, err = report_to(folder, capsys, store, force=force)
    assert code == 2 and "folder" in err and list(folder.iterdir()) == []
    path = tmp_path / "s.html"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.bind(str(path))
        code, _, err = report_to(path, capsys, store, force=force)
        assert code == 2 and "socket" in err and stat.S_ISSOCK(os.lstat(path).st_mode)
    finally:
        sock.close()


def test_report_never_writes_over_the_store(tmp_path, capsys, store):
    before = store.read_bytes()
    code, _, err = report_to(store, capsys, store, force=True)
    assert code == 2 and "over the store itself" in err and store.read_bytes() == before


def test_report_new_file_is_0600_and_an_existing_one_needs_force(tmp_path, capsys, store):
    target = tmp_path / "r.html"
    code, _, err = report_to(target, capsys, store)
    assert code == 0, err
    assert is_report(target.read_bytes()) and stat.S_IMODE(target.stat().st_mode) == 0o600
    target.write_text("keep me")
    code, _, err = report_to(target, capsys, store)
    assert code == 2 and "already exists" in err and target.read_text() == "keep me"
