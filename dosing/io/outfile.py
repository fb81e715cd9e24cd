"""The one private-file writer: every command that writes a file (`check --out`, `export`, the report) uses it.

What happens is decided by what PATH is (looked at with lstat, then, for a
symlink, with stat of its target):

* `-`: the output goes to stdout; nothing is created, renamed or chmod'ed.
* PATH does not exist: a temporary file in the same folder, created 0600,
  written, fsync'ed, then linked into place (never over a file that appeared
  meanwhile), and the folder fsync'ed.
* a regular file (or a symlink to one): replaced only with `force`, by the
  same temporary file renamed over the *name*: a symlink is replaced by the
  new file, its target is left as it was.
* a character device (/dev/null, a terminal) or a FIFO, directly or through a
  symlink: opened and written in place. Never renamed over, never chmod'ed,
  `force` not needed: a device or a pipe a reader waits on is not "a file that
  exists" in the sense of overwriting data.
* a directory, a socket, a block device, a symlink to any of these, or a
  symlink loop: refused (OutputError, exit 2), nothing written.
* a name for one of this process's open descriptors (`/dev/stdout`,
  `/dev/stderr`, `/dev/fd/N`, `/proc/self/fd/N`, or a symlink to one): written
  to that descriptor, like `-`. Such a name is a symlink to whatever the
  descriptor is (often a regular file, after `> file`), and replacing "the
  link" would replace the system's /dev/stdout.

`protect` names files that must never be written through any of these paths
(the store and its -wal, -shm and -journal files, hard links to them
included): refused even with `force`. Nothing is ever written to a temporary
file that is left behind: on any error it is removed, and PATH is untouched.

Use it as a context manager yielding a text or binary stream::

    with private_output(path, force=args.force, protect=[store_path]) as f:
        f.write(text)
"""
from __future__ import annotations

import errno
import os
import re
import stat
import sys
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from dosing.core.errors import TacroError
from dosing.io.osfiles import describe_mode, os_reason, sync_folder

FILE_MODE = 0o600
STDOUT = "-"
_FD_NAME = re.compile(r"^/(?:dev/fd|proc/self/fd|proc/thread-self/fd)/(\d+)$")
_STD_NAMES = {"/dev/stdout": 1, "/dev/stderr": 2}


def descriptor_of(path: str | Path) -> int | None:
    """The descriptor number when PATH (or the symlinks it goes through) names one of this process's own."""
    p = os.path.abspath(str(path))
    for _ in range(40):  # follow a chain of symlinks by hand: realpath would resolve the descriptor itself
        if p in _STD_NAMES:
            return _STD_NAMES[p]
        m = _FD_NAME.match(p)
        if m:
            return int(m.group(1))
        try:
            if not os.path.islink(p):
                return None
            target = os.readlink(p)
        except OSError:
            return None
        p = os.path.normpath(os.path.join(os.path.dirname(p), target))
    return None


class OutputError(TacroError):
    """An output file that was refused or could not be written; PATH was left as it was."""

    title = "output"


def _kind(mode: int) -> str:
    """"regular", "stream" (written in place: a character device or FIFO), or what else it is, in words."""
    if stat.S_ISREG(mode):
        return "regular"
    if stat.S_ISCHR(mode) or stat.S_ISFIFO(mode):
        return "stream"
    return describe_mode(mode)


def target_kind(path: Path) -> tuple[str, bool]:
    """(what PATH is, whether PATH itself is a symlink): 'missing', 'regular', 'stream' or a refusal reason.

    A dangling symlink is 'regular' (an existing name, replaced only with force, the link alone).
    """
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return "missing", False
    except OSError as e:
        raise OutputError(f"cannot use {path} for output: {_reason(e)}. Nothing was written.") from None
    if not stat.S_ISLNK(st.st_mode):
        return _kind(st.st_mode), False
    try:
        target = os.stat(path)
    except FileNotFoundError:
        return "regular", True  # dangling: replacing the link loses nothing but the link
    except OSError as e:
        if e.errno == errno.ELOOP:
            return "a symlink loop", True
        raise OutputError(f"cannot use {path} for output: {_reason(e)}. Nothing was written.") from None
    return _kind(target.st_mode), True


def check_output(path: str | Path, *, force: bool = False, protect: Iterable[Path] = ()) -> str:
    """Decide, before any work is done, how PATH would be written: 'stdout', 'new', 'replace' or 'in-place'.

    Raises OutputError for every refusal (so a long check can refuse its --out before reading the log).
    """
    if str(path) == STDOUT:
        return "stdout"
    if descriptor_of(path) is not None:
        return "descriptor"
    path = Path(path)
    _refuse_protected(path, protect)
    kind, is_link = target_kind(path)
    via = " (a symlink to it)" if is_link else ""
    if kind == "missing":
        return "new"
    if kind == "stream":
        return "in-place"
    if kind == "regular":
        if not force:
            raise OutputError(f"{path} already exists; use --force to replace it. Nothing was written.")
        return "replace"
    raise OutputError(f"{path}{via} is {kind}, not a file tacro can write; give a file name. Nothing was written.")


@contextmanager
def private_output(path: str | Path, *, force: bool = False, binary: bool = False,
                   protect: Iterable[Path] = ()) -> Iterator[IO]:
    """A stream to write PATH by the rules of this module; the file is in place only when the block ends
    without an exception (then: fsync'ed, renamed, folder fsync'ed)."""
    protect = list(protect)
    how = check_output(path, force=force, protect=protect)
    if how == "stdout":
        stream = sys.stdout.buffer if binary else sys.stdout
        yield stream
        stream.flush()
        return
    path = Path(path)
    if how == "descriptor":
        fd = descriptor_of(path)
        assert fd is not None  # check_output said "descriptor" because descriptor_of found one
        yield from _to_descriptor(fd, path, binary)
        return
    if how == "in-place":
        yield from _in_place(path, binary)
        return
    yield from _via_temporary(path, binary, replace=how == "replace")


def _open_fd(fd: int, binary: bool) -> IO:
    """A stream on an open descriptor: bytes as they are, or UTF-8 text with newlines as written."""
    if binary:
        return os.fdopen(fd, "wb")
    return os.fdopen(fd, "w", encoding="utf-8", newline="")


def _to_descriptor(fd: int, path: Path, binary: bool) -> Iterator[IO]:
    if fd == 1 or fd == 2:  # through Python's own stream, so what was printed before stays in order
        stream = sys.stdout if fd == 1 else sys.stderr
        stream.flush()
        out = stream.buffer if binary else stream
        yield out
        out.flush()
        return
    try:
        dup = os.dup(fd)
    except OSError as e:
        raise OutputError(f"cannot write {path}: {_reason(e)}. Nothing was written.") from None
    f = _open_fd(dup, binary)
    with f:
        yield f


def _in_place(path: Path, binary: bool) -> Iterator[IO]:
    # No O_CREAT (a device or FIFO is never created here), no O_TRUNC (meaningless on them), no chmod.
    try:
        fd = os.open(path, os.O_WRONLY | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOCTTY", 0))
    except OSError as e:
        raise OutputError(f"cannot write {path}: {_reason(e)}. Nothing was written.") from None
    try:
        st = os.fstat(fd)
        if _kind(st.st_mode) != "stream":  # swapped between the look and the open
            raise OutputError(f"{path} changed while it was being opened; nothing was written.")
    except BaseException:
        os.close(fd)
        raise
    f = _open_fd(fd, binary)
    try:
        with f:
            yield f
    except OSError as e:
        raise OutputError(f"could not write {path}: {_reason(e)}.") from None


def _via_temporary(path: Path, binary: bool, *, replace: bool) -> Iterator[IO]:
    folder = path.parent if str(path.parent) else Path(".")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)  # 0600 by mkstemp
    except OSError as e:
        raise OutputError(f"cannot write in {folder}: {_reason(e)}. Nothing was written.") from None
    try:
        os.fchmod(fd, FILE_MODE)
        f = _open_fd(fd, binary)
        with f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        if replace:
            # Re-check at the last moment: PATH may have become a device or folder meanwhile.
            kind, _ = target_kind(path)
            if kind not in ("regular", "missing"):
                raise OutputError(f"{path} is now {kind}; nothing was written.")
            os.replace(tmp, path)
        else:
            _link_new(tmp, path)
    except FileExistsError:
        raise OutputError(f"{path} already exists; use --force to replace it. Nothing was written.") from None
    except OSError as e:
        raise OutputError(f"could not write {path}: {_reason(e)}. Nothing was written.") from None
    finally:
        _unlink_quietly(tmp)
    sync_folder(folder)


def _link_new(tmp: str, path: Path) -> None:
    """Put tmp at path only if path does not exist (atomic where hard links work)."""
    try:
        os.link(tmp, path)
    except FileExistsError:
        raise
    except OSError as e:
        if e.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV, errno.EMLINK):
            raise
        if os.path.lexists(path):  # no hard links on this file system: check, then rename
            raise FileExistsError(errno.EEXIST, "exists") from None
        os.replace(tmp, path)


def _refuse_protected(path: Path, protect: Iterable[Path]) -> None:
    for p in protect:
        for candidate in (p, Path(f"{p}-wal"), Path(f"{p}-shm"), Path(f"{p}-journal")):
            if _same_file(path, candidate):
                raise OutputError(f"refusing to write over the store itself ({candidate}), even with --force; "
                                  "nothing was written")


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)  # catches hard links and symlinks to the store
    except OSError:
        try:
            return os.path.realpath(a) == os.path.realpath(b) and os.path.lexists(b)
        except OSError:
            return False


def _unlink_quietly(p: str) -> None:
    try:
        os.unlink(p)
    except OSError:
        pass


def _reason(e: OSError) -> str:
    return os_reason(e)
