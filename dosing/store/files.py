"""The visit store at the file level: private files and folders, and SQLite errors as plain messages.

Nothing here ever puts a patient id, label or note in a message: the messages
name what happened, the store's path, and that nothing saved was altered.
"""
from __future__ import annotations

import os
import sqlite3
import stat
from contextlib import contextmanager
from pathlib import Path

from dosing.core.errors import StoreError
from dosing.io.osfiles import os_reason, sync_folder

FILE_MODE = 0o600
FOLDER_MODE = 0o700
SIDE_FILES = ("-wal", "-shm", "-journal")

# SQLite primary result codes (sqlite.org/rescode.html)
_PERM, _BUSY, _LOCKED, _NOMEM, _READONLY, _IOERR, _CORRUPT, _FULL, _CANTOPEN = 3, 5, 6, 7, 8, 10, 11, 13, 14
_NOTADB = 26
BUSY_CODES = {_BUSY, _LOCKED}

UNCHANGED = "Nothing saved before was changed."


@contextmanager
def private_umask():
    """Create files and folders as 0600/0700 while inside (umask is per process: held only briefly)."""
    old = os.umask(0o077)
    try:
        yield
    finally:
        os.umask(old)


def make_folders(folder: Path) -> None:
    """Create the missing folders above the store, each 0700; folders that exist are left as they are."""
    missing = []
    p = folder
    while not _exists(p):
        missing.append(p)
        if p.parent == p:
            break
        p = p.parent
    for d in reversed(missing):
        try:
            d.mkdir(mode=FOLDER_MODE)
        except FileExistsError:
            continue
        except OSError as e:
            raise StoreError(f"cannot create the folder {d} for the store: {os_reason(e)}. {UNCHANGED}") from None
        os.chmod(d, FOLDER_MODE)


def _exists(p: Path) -> bool:
    try:
        os.stat(p)
        return True
    except FileNotFoundError:
        return False
    except OSError as e:
        raise StoreError(f"cannot reach the folder {p} for the store: {os_reason(e)}. {UNCHANGED}") from None


def create_file(path: Path) -> bool:
    """Create an empty store file 0600 (before SQLite does, which would use 0644 less the umask).

    Returns True when this call created the file, False when it was already there.
    """
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), FILE_MODE)
    except FileExistsError:
        return False
    except OSError as e:
        raise StoreError(f"cannot create the store {path}: {os_reason(e)}. {UNCHANGED}") from None
    try:
        os.fchmod(fd, FILE_MODE)
        os.fsync(fd)
    finally:
        os.close(fd)
    sync_folder(path.parent)
    return True


def tighten_side_files(path: Path) -> None:
    """Make the -wal/-shm files as private as the store when the store itself is 0600."""
    try:
        if stat.S_IMODE(os.stat(path).st_mode) != FILE_MODE:
            return
    except OSError:
        return
    for suffix in SIDE_FILES:
        side = Path(f"{path}{suffix}")
        try:
            if stat.S_IMODE(os.stat(side).st_mode) & 0o077:
                os.chmod(side, FILE_MODE)
        except OSError:
            continue


def primary_code(e: sqlite3.Error) -> int | None:
    code = getattr(e, "sqlite_errorcode", None)
    return None if code is None else code & 0xFF


def is_busy(e: BaseException) -> bool:
    if not isinstance(e, sqlite3.OperationalError):
        return False
    code = primary_code(e)
    if code is not None:
        return code in BUSY_CODES
    return "locked" in str(e) or "busy" in str(e)


def explain(e: sqlite3.Error, doing: str, path: Path, *, write: bool, unsaved: str = "It was not saved.") -> StoreError:
    """A StoreError for a SQLite error: what happened and what it means for the data, no patient data.

    `doing` says what failed ("could not save the visit"); `write` says whether
    it was a write, so the message can say that nothing of it was saved.
    """
    code = primary_code(e)
    name = getattr(e, "sqlite_errorname", None) or type(e).__name__
    not_saved = f"{unsaved} " if write else ""
    if code == _FULL:
        why = "the disk is full (or the store reached its size limit). Free some space and try again."
    elif code in (_READONLY, _PERM):
        why = (f"the store {path} cannot be written: the file, its folder or the disk is read-only "
               "(check the permissions, or copy the store somewhere writable).")
    elif code in BUSY_CODES:
        why = (f"another program kept the store {path} locked for too long (a tacro still saving, or a "
               "backup). Try again; if it persists, close the other program.")
    elif code == _CANTOPEN:
        why = (f"the store {path} or the journal files beside it cannot be opened or created "
               "(check that the folder exists and is writable, and the disk is mounted).")
    elif code in (_NOTADB, _CORRUPT):
        why = (f"{path} is not a readable tacro store (not an SQLite database, or damaged). "
               "tacro did not change it; restore it from a backup, or point --db / TACRO_DB at the right file.")
        return StoreError(f"{doing}: {why} {not_saved}[{name}]".replace("  ", " ").strip())
    elif code == _IOERR:
        why = (f"the disk reported an input/output error on {path} (full, removed, or failing). "
               "Check the disk, then reopen the store: a visit is saved only once tacro confirms it.")
        not_saved = ""
    elif code == _NOMEM:
        why = "the computer ran out of memory."
    else:
        why = f"the store {path} reported an unexpected error."
    return StoreError(f"{doing}: {why} {not_saved}{UNCHANGED} [{name}]")
