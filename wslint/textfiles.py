"""Reading a configuration file as text, the same way for every proxy.

A linter meets binary files, other encodings and files far larger than any
configuration; each is refused with a message that says which and where,
before any parser sees it.
"""

from __future__ import annotations

import errno
import os
import stat
from functools import lru_cache


class TextFileError(Exception):
    """A file that is no configuration text; `line` where that shows (the first bad byte), if anywhere."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.line = line


def decode(data: bytes, shown: str) -> str:
    """UTF-8 text, or TextFileError naming the first byte that is not."""
    if b"\0" in data:
        raise TextFileError(
            f"{shown} is not a text file (it contains NUL bytes)", data[: data.index(b"\0")].count(b"\n") + 1
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise TextFileError(f"{shown} is not valid UTF-8 (byte 0x{data[exc.start]:02x} on line {line})", line) from None


def read_bounded(disk_path: str, shown: str, max_bytes: int) -> bytes:
    """The bytes of a regular file of at most `max_bytes`, or TextFileError saying why not.

    The one way wslint reads a file it was given or led to by a configuration: the
    file is opened without blocking (a FIFO would wait forever for a writer) and its
    type checked on the open descriptor, so a device (`/dev/zero`, whose size says
    0), a FIFO or a socket, under its own name or behind a symbolic link, is refused
    before a byte is read, and no read goes past the limit (a file that grows while
    it is read is refused too).
    """
    fd = _open_regular(disk_path, shown)
    try:
        meta = os.fstat(fd)
        if meta.st_size > max_bytes:
            raise TextFileError(_over(shown, meta.st_size, max_bytes))
        chunks: list[bytes] = []
        got = 0
        while True:
            chunk = os.read(fd, min(1 << 20, max_bytes + 1 - got))
            if not chunk:
                break
            chunks.append(chunk)
            got += len(chunk)
            if got > max_bytes:
                raise TextFileError(_over(shown, got, max_bytes, "at least "))
    except OSError as exc:
        raise TextFileError(f"cannot read {shown}: {exc.strerror or exc}") from None
    finally:
        os.close(fd)
    return b"".join(chunks)


def _open_regular(disk_path: str, shown: str) -> int:
    """A descriptor of the regular file, opened without blocking; TextFileError for anything else."""
    try:
        fd = os.open(disk_path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC)
    except OSError as exc:
        if exc.errno == errno.EISDIR:
            raise TextFileError(f"{shown} is a directory, not a file") from None
        raise TextFileError(f"cannot read {shown}: {exc.strerror or exc}") from None
    try:
        mode = os.fstat(fd).st_mode
    except OSError as exc:
        os.close(fd)
        raise TextFileError(f"cannot read {shown}: {exc.strerror or exc}") from None
    if stat.S_ISREG(mode):
        return fd
    os.close(fd)
    if stat.S_ISDIR(mode):
        raise TextFileError(f"{shown} is a directory, not a file")
    raise TextFileError(f"{shown} is not a regular file ({_kind(mode)}); wslint reads only files")


def unreadable(disk_path: str, shown: str) -> str | None:
    """Why the file cannot be read at all (not a regular file, no permission), or None when it can."""
    try:
        os.close(_open_regular(disk_path, shown))
    except TextFileError as exc:
        return str(exc)
    return None


def read_text(disk_path: str, shown: str, max_bytes: int) -> str:
    """The file's text, refusing directories, anything but a regular file, files over `max_bytes`,
    binary and non-UTF-8 files."""
    return decode(read_bounded(disk_path, shown, max_bytes), shown)


def read_head(disk_path: str, max_bytes: int) -> bytes | None:
    """Up to `max_bytes` from the start of a regular file (enough to tell what it is), or None when it is
    no regular file or cannot be read; never blocks on a FIFO or reads a device."""
    try:
        fd = os.open(disk_path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        chunks: list[bytes] = []
        got = 0
        while got < max_bytes:
            chunk = os.read(fd, min(1 << 20, max_bytes - got))
            if not chunk:
                break
            chunks.append(chunk)
            got += len(chunk)
        return b"".join(chunks)
    except OSError:
        return None
    finally:
        os.close(fd)


def is_regular_file(path: str) -> bool:
    """Whether `path` (followed through links) is a regular file: what a listing may hand to read_bounded."""
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except (OSError, ValueError):
        return False


def _over(shown: str, size: int, max_bytes: int, qualifier: str = "") -> str:
    return f"{shown} is {qualifier}{size} bytes, over the limit of {max_bytes} bytes (limits: file-size)"


def _kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a file"


@lru_cache(maxsize=16)
def lines_of(text: str) -> tuple[str, ...]:
    """A file's lines, split once however many nodes look into it (a string caches its hash)."""
    return tuple(text.split("\n"))
