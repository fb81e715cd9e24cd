"""Operating-system file helpers shared by the output writer and the store: folder fsync, plain reasons."""
from __future__ import annotations

import errno
import os
import stat
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


def describe_mode(mode: int) -> str:
    """What a file of this st_mode is, in words for a message ("a FIFO (named pipe)", "a folder", ...)."""
    if stat.S_ISREG(mode):
        return "a regular file"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISDIR(mode):
        return "a folder"
    return "not a regular file"
