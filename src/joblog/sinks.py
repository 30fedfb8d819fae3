"""
Where finished lines go: the whole-line writer for streams.

A line must arrive whole however many processes share the stream (gunicorn
workers, every process of a container writing to its stdout).  A pipe keeps
one ``write()`` atomic only up to ``PIPE_BUF`` (4 KiB on Linux): a longer
write is split, and another process's write can land in the middle of it,
breaking both lines.  So on POSIX, when the stream is backed by a file
descriptor, :class:`LineWriter` writes each line with ``os.write`` on the
descriptor (looping over partial writes), and when that descriptor is a pipe
or a socket it holds a POSIX record lock (``fcntl.lockf``) on it for the
write.  Record locks belong to a process, not to a descriptor, so processes
that inherited the same descriptor from one parent (``fork``) still exclude
each other; threads of one process are serialized by a ``threading.Lock``.
Every joblog line takes the lock, short ones too: a short write landing
inside a long one is what destroys short lines.

Streams without a descriptor (``io.StringIO``, pytest's capture, a custom
object) and Windows get ``stream.write()`` plus ``flush()`` under the thread
lock: whole lines within the process.
"""

from __future__ import annotations

import os
import select
import stat
import threading
import time
from typing import IO, Any, Final, Protocol

from ._fork import renew_in_child

__all__ = ["LineWriter", "Sink"]

try:  # POSIX only; Windows keeps the in-process lock.
    import fcntl
except ImportError:  # pragma: no cover - exercised on Windows only
    fcntl = None  # type: ignore[assignment]


class Sink(Protocol):
    """
    An output beside the stream: ``configure(sinks=[...])``.

    Each gets every final event: after the processors, redaction and the
    field layout, replacement lines included, as a dict of its own.
    """

    def write(self, event: dict[str, Any]) -> None:
        """Take one final event; must not raise."""

    def flush(self) -> None:
        """Deliver what is buffered (``joblog.flush()``, interpreter exit)."""

    def close(self) -> None:
        """Release the output's resources."""


#: How long a non-blocking descriptor may stay full before the line is given up.
WRITE_TIMEOUT: Final = 5.0


def _descriptor(stream: object) -> int | None:
    """The stream's file descriptor when writing to it directly is safe, else ``None``."""
    if os.name != "posix":  # pragma: no cover - Windows translates newlines in the stream
        return None
    try:
        fd = stream.fileno()  # type: ignore[attr-defined]
        encoding = getattr(stream, "encoding", "utf-8") or "utf-8"
        os.fstat(fd)
    except Exception:  # no fileno() (StringIO, pytest's capture), a closed stream
        return None
    if not isinstance(fd, int) or encoding.replace("-", "").replace("_", "").lower() != "utf8":
        return None  # a stream in another encoding gets its own encoding
    return fd


class LineWriter:
    """
    Writes whole lines to one stream; see the module docstring for how.

    Args:
        stream: a text or binary stream (anything with ``write()``).
        binary: whether *stream* takes bytes (used without a descriptor).
    """

    __slots__ = ("__weakref__", "_binary", "_fd", "_lock", "_locking", "_stream")

    def __init__(self, stream: IO[Any], *, binary: bool) -> None:
        self._stream = stream
        self._binary = binary
        self._lock = threading.Lock()
        renew_in_child(self)
        self._fd = _descriptor(stream)
        self._locking = False
        if self._fd is not None and fcntl is not None:
            mode = os.fstat(self._fd).st_mode
            self._locking = stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode)

    def _after_fork(self) -> None:
        # A thread of the parent may have held the lock mid-write.
        self._lock = threading.Lock()

    @property
    def direct(self) -> bool:
        """Whether lines go to the descriptor with ``os.write``."""
        return self._fd is not None

    @property
    def locking(self) -> bool:
        """Whether each line takes the inter-process lock (a pipe or a socket)."""
        return self._locking

    def write(self, line: str | bytes) -> None:
        """
        Write *line* (text, or UTF-8 bytes) whole.

        Raises:
            Exception: whatever the stream raises (the caller reports it).
        """
        fd = self._fd
        with self._lock:
            if fd is None:
                stream = self._stream
                if self._binary:
                    stream.write(line if isinstance(line, bytes) else line.encode())
                else:
                    stream.write(line.decode() if isinstance(line, bytes) else line)
                flush = getattr(stream, "flush", None)
                if flush is not None:
                    flush()
                return
            data = line if isinstance(line, bytes) else line.encode("utf-8", "backslashreplace")
            # What the application wrote to the same stream comes first.
            self._stream.flush()
            if self._locking:
                fcntl.lockf(fd, fcntl.LOCK_EX)
                try:
                    _write_all(fd, data)
                finally:
                    fcntl.lockf(fd, fcntl.LOCK_UN)
            else:
                _write_all(fd, data)

    def flush(self) -> None:
        """Flush the stream (lines written directly need no flush)."""
        with self._lock:
            flush = getattr(self._stream, "flush", None)
            if flush is not None:
                flush()


def _write_all(fd: int, data: bytes) -> None:
    """``os.write`` until every byte is written, waiting while a non-blocking fd is full."""
    view = memoryview(data)
    deadline = 0.0
    while view:
        try:
            view = view[os.write(fd, view) :]
        except BlockingIOError:  # noqa: PERF203 - the retry is the point
            if not deadline:
                deadline = time.monotonic() + WRITE_TIMEOUT
            elif time.monotonic() > deadline:
                raise
            select.select([], [fd], [], 0.1)
