"""Reading an input file with bounds: only regular files, only up to a size limit, never without end.

`tacro check LOG`, `tacro import LOG` and the replay of a log all read through
`read_input`. A FIFO, a character device (/dev/zero, a terminal), a socket or
a folder is refused with a message instead of being read (a FIFO without a
writer would wait for ever, /dev/zero never ends). A file larger than the
limit is refused before it is read; a file that grows past the limit while
it is read is refused too (at most limit + 1 bytes are ever read).

The limit is a setting, not a clinical number: `TACRO_MAX_INPUT_BYTES` in the
environment (a whole number of bytes; default 2 GiB, about 30 million log
rows), documented in the README.
"""
from __future__ import annotations

import os
import stat
from pathlib import Path

from dosing.io.cells import LogFormatError
from dosing.io.osfiles import describe_mode

DEFAULT_MAX_INPUT_BYTES = 2 * 1024 ** 3
ENV_MAX_INPUT = "TACRO_MAX_INPUT_BYTES"
_CHUNK = 1 << 24


def max_input_bytes() -> int:
    """The size limit in force (TACRO_MAX_INPUT_BYTES, else the default)."""
    text = os.environ.get(ENV_MAX_INPUT, "").strip()
    if not text:
        return DEFAULT_MAX_INPUT_BYTES
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value <= 0:
        raise LogFormatError(f"{ENV_MAX_INPUT}: got {text!r}; expected a whole number of bytes above 0")
    return value


def read_input(path: str | Path, what: str = "log file") -> bytes:
    """The bytes of a regular file of at most `max_input_bytes()`; LogFormatError otherwise."""
    path = Path(path)
    limit = max_input_bytes()
    # O_NONBLOCK: opening a FIFO with no writer returns at once instead of waiting; the type is checked
    # on the opened descriptor, so a file swapped for a FIFO after a look cannot slip through.
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOCTTY", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise LogFormatError(f"{what} not found: {path}") from None
    except IsADirectoryError:
        raise LogFormatError(f"{path} is a folder, not a {what}") from None
    except OSError as e:
        raise LogFormatError(f"{what} {path} could not be read: {e.strerror}") from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise LogFormatError(f"{path} is {describe_mode(st.st_mode)}, not a regular file; tacro reads a {what} "
                                 f"only from a regular file (save it to a file first)")
        if st.st_size > limit:
            raise LogFormatError(f"{path} is {st.st_size:,} bytes, above the input limit of {limit:,} bytes "
                                 f"({ENV_MAX_INPUT}); split the {what}, or raise the limit")
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        # The first read asks for the whole file (+1 to see its end): one allocation, and join copies nothing.
        want = min(st.st_size, limit) + 1
        parts, total = [], 0
        while total <= limit:
            chunk = os.read(fd, want - total if total < want else min(_CHUNK, limit + 1 - total))
            if not chunk:
                break
            parts.append(chunk)
            total += len(chunk)
        if total > limit:
            raise LogFormatError(f"{path} grew past the input limit of {limit:,} bytes ({ENV_MAX_INPUT}) while "
                                 f"it was read; nothing of it was used")
        return b"".join(parts)
    except OSError as e:
        raise LogFormatError(f"{what} {path} could not be read: {e.strerror}") from None
    finally:
        os.close(fd)
