"""
``joblog pretty``: JSON lines in, joblog's console format out.

Lines of other JSON loggers read too: ``msg``/``event`` stand for
``message``, ``levelname``/``severity``/``lvl`` for ``level``, and
``time``/``ts``/``@timestamp`` for ``timestamp``.  A line that is not a JSON
object passes through as it is, except that control characters are escaped:
a log line must not be able to move the cursor, clear the screen or forge
a line of output.  ``-f`` follows a file as it grows, across truncation
and rotation.
"""

from __future__ import annotations

import argparse
import collections
import heapq
import os
import re
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import IO, Any, Final

from .. import _schema
from ..render import ConsoleRenderer, format_timestamp
from .common import expand_tracebacks
from .errors import CLIError
from .reader import Source, parse_object, read_lines
from .values import parse_time

__all__ = ["PrettyPrinter", "follow", "normalize", "run_pretty"]

_ALIASES: Final = (
    (_schema.MESSAGE, ("msg", "event")),
    (_schema.LEVEL, ("levelname", "severity", "lvl")),
    (_schema.TIMESTAMP, ("time", "ts", "@timestamp")),
)
_LEVELS: Final = _schema.LEVEL_ALIASES
# Control characters but the tab, DEL, C1 controls, and U+2028/U+2029.
_UNSAFE: Final = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029]")
_BLOCK: Final = 1 << 16
# The width of the console renderer's HH:MM:SS.mmm column and its space.
_BLANK_CLOCK: Final = " " * 13
#: Lines ``-f`` starts with when ``-n`` is not given (as ``tail -f``).
FOLLOW_LINES: Final = 10


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def normalize(event: Mapping[str, Any]) -> dict[str, Any]:
    """
    *event* with joblog's schema keys: other loggers' names for them moved over.

    The level is lower-cased (``WARN`` → ``warning``); a numeric timestamp
    (epoch seconds or milliseconds) becomes ISO 8601.
    """
    out = dict(event)
    for key, aliases in _ALIASES:
        if key in out:
            continue
        for alias in aliases:
            if alias in out:
                out[key] = out.pop(alias)
                break
    level = out.get(_schema.LEVEL)
    if isinstance(level, str):
        lowered = level.lower()
        out[_schema.LEVEL] = _LEVELS.get(lowered, lowered)
    stamp = out.get(_schema.TIMESTAMP)
    if stamp is not None and not isinstance(stamp, str):
        when = parse_time(stamp)
        if when is not None:
            out[_schema.TIMESTAMP] = format_timestamp(when / 1000)
    return out


class PrettyPrinter:
    """
    Turn one input line into the console format.

    A JSON object is rendered by :class:`~joblog.render.ConsoleRenderer`
    (one without a time keeps the time column blank, so messages stay
    aligned); any other line is passed through with its control characters
    escaped.

    Args:
        colors: use ANSI colors.
        tracebacks: print a multi-line ``exception`` or ``stack`` expanded,
            on indented lines after its event, instead of escaped on one line.
    """

    def __init__(self, *, colors: bool = False, tracebacks: bool = False) -> None:
        self._timed = ConsoleRenderer(colors=colors)
        self._untimed = ConsoleRenderer(colors=colors, timestamps=False)
        self._tracebacks = tracebacks

    def __call__(self, line: bytes) -> str:
        body = line.strip()
        if body[:1] == b"{":
            event = parse_object(body)
            if event is not None:
                normalized = normalize(event)
                block = ""
                if self._tracebacks:
                    normalized, block = expand_tracebacks(normalized)
                if isinstance(normalized.get(_schema.TIMESTAMP), str):
                    return self._timed(normalized) + block
                return _BLANK_CLOCK + self._untimed(normalized) + block
        return _UNSAFE.sub(_escape, line.decode("utf-8", "backslashreplace")) + "\n"


def _lines(source: Source, stdin: IO[bytes]) -> Iterator[bytes]:
    for batch in read_lines(source, stdin):
        for line in batch:
            yield line[:-1] if line[-1:] == b"\r" else line


def _timed(lines: Iterable[bytes]) -> Iterator[tuple[float, bytes]]:
    """Each line with its time; a line without one keeps its predecessor's place."""
    last = float("-inf")
    for line in lines:
        body = line.strip()
        event = parse_object(body) if body[:1] == b"{" else None
        if event is not None:
            when = parse_time(normalize(event).get(_schema.TIMESTAMP))
            if when is not None:
                last = when
        yield last, line


def merged(sources: list[Source], stdin: IO[bytes]) -> Iterator[bytes]:
    """The lines of *sources*; several sources are merged in time order."""
    if len(sources) == 1:
        yield from _lines(sources[0], stdin)
        return
    streams = [_timed(_lines(source, stdin)) for source in sources]
    for _when, line in heapq.merge(*streams, key=lambda pair: pair[0]):
        yield line


def follow(
    path: str,
    *,
    last: int | None = FOLLOW_LINES,
    interval: float = 0.25,
    stop: Callable[[], bool] = lambda: False,
    sleep: Callable[[float], None] | None = None,
) -> Iterator[bytes]:
    """
    The lines of *path* as it grows: the last *last* lines first (all if ``None``), then new ones.

    A line is yielded once it ends with a newline.  When the file is
    truncated or replaced (log rotation), reading starts again from the
    beginning of the new file.  Polls every *interval* seconds until *stop*
    returns true (*sleep* waits between polls; default :func:`time.sleep`).

    Raises:
        CLIError: when *path* cannot be opened.
    """
    wait = time.sleep if sleep is None else sleep
    stream, inode = _open_follow(path)
    try:
        if last is not None:
            _seek_last_lines(stream, last)
        pending = b""
        while not stop():
            chunk = stream.read(_BLOCK)
            if chunk:
                *lines, pending = (pending + chunk).split(b"\n")
                for line in lines:
                    yield line[:-1] if line[-1:] == b"\r" else line
                continue
            try:
                status = os.stat(path)
            except OSError:
                status = None  # between rotation's rename and create
            if status is not None and (status.st_ino != inode or status.st_size < stream.tell()):
                stream.close()
                stream, inode = _open_follow(path)
                pending = b""
                continue
            wait(interval)
    finally:
        stream.close()


def _open_follow(path: str) -> tuple[IO[bytes], int]:
    try:
        stream = open(path, "rb")  # noqa: SIM115 - follow() closes it
    except OSError as exc:
        raise CLIError(f"cannot read {path}: {exc.strerror}") from None
    return stream, os.fstat(stream.fileno()).st_ino


def _seek_last_lines(stream: IO[bytes], count: int) -> None:
    """Position *stream* at the start of its last *count* lines."""
    end = stream.seek(0, os.SEEK_END)
    if count == 0 or end == 0:
        return
    stream.seek(end - 1)
    needed = count + (stream.read(1) == b"\n")
    position = end
    while position > 0:
        size = min(_BLOCK, position)
        position -= size
        stream.seek(position)
        block = stream.read(size)
        found = block.count(b"\n")
        if found >= needed:
            index = len(block)
            for _ in range(needed):
                index = block.rindex(b"\n", 0, index)
            stream.seek(position + index + 1)
            return
        needed -= found
    stream.seek(0)


def run_pretty(args: argparse.Namespace) -> int:
    """Run ``joblog pretty`` with parsed arguments; see :func:`joblog.cli.main`."""
    from .common import binary_stdin, check_stdin, choice_wanted, color_wanted
    from .output import write_text
    from .reader import resolve_sources

    render = PrettyPrinter(
        colors=color_wanted(args.color, sys.stdout),
        tracebacks=choice_wanted(args.tracebacks, sys.stdout),
    )
    lines: Iterable[bytes]
    if args.follow:
        if len(args.files) != 1 or args.files[0] == "-":
            raise CLIError("-f follows exactly one file")
        lines = follow(
            args.files[0],
            last=FOLLOW_LINES if args.lines is None else args.lines,
            interval=args.interval,
        )
    else:
        sources = resolve_sources(args.files)
        check_stdin(args.files)
        lines = merged(sources, binary_stdin())
        if args.lines is not None:
            lines = collections.deque(lines, maxlen=args.lines)
    out = sys.stdout
    for line in lines:
        write_text(out, render(line))
        if args.follow:
            out.flush()
    out.flush()
    return 0
