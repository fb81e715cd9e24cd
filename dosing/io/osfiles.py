"""Operating-system file helpers shared by the output writer and the store: folder fsync, plain reasons."""
from __future__ import annotations

import errno
import os
from pathlib import Path


def sync_folder(folder: Path) -> None:
    """fsync a folder so a new or renamed file in it survives a power cut (best effort off POSIX)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def os_reason(e: OSError) -> str:
    if e.errno in (errno.EACCES, errno.EPERM):
        return "permission denied"
    if e.errno == errno.EROFS:
        return "the file system is read-only"
    if e.errno == errno.ENOSPC:
        return "the disk is full"
    if e.errno == errno.ENOTDIR:
        return "part of the path is a file, not a folder"
    return os.strerror(e.errno) if e.errno else "operating system error"
