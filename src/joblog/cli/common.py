"""
Helpers the ``joblog`` subcommands share: time bounds, stdin, color, warnings.

Only the subcommand modules (:mod:`~joblog.cli.query`,
:mod:`~joblog.cli.trace`, :mod:`~joblog.cli.pretty`) import this module;
it imports nothing from them, so imports flow one way.
"""

from __future__ import annotations

import contextlib
import gc
import os
import re
import sys
import time
from collections.abc import Iterator, Sequence
from typing import IO, Final

from ..render import escape_text
from .errors import CLIError
from .values import parse_time

__all__ = [
    "binary_stdin",
    "check_stdin",
    "choice_wanted",
    "color_wanted",
    "expand_tracebacks",
    "isatty",
    "no_cycle_collection",
    "parse_bound",
    "report_not_json",
]

#: Fields holding a multi-line traceback (an exception's, or ``stack_info``'s).
TRACEBACK_KEYS: Final = ("exception", "stack")
_DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)")
_DURATION_MS: Final = {
    "ms": 1,
    "s": 1000,
    "m": 60_000,
    "h": 3_600_000,
    "d": 86_400_000,
    "w": 7 * 86_400_000,
}


@contextlib.contextmanager
def no_cycle_collection() -> Iterator[None]:
    """
    Pause Python's cycle collector for a scan, then restore it as it was.

    A scan makes a few objects per line (an event dict, a row) and keeps
    few of them; none is part of a reference cycle, so reference counting
    frees each as soon as the scan moves on.  The cycle collector would only
    walk the live objects again every few hundred allocations, which costs a
    fifth of a query's time and frees nothing.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def parse_bound(value: str | None, option: str, now: float | None = None) -> float | None:
    """
    Epoch milliseconds for ``--since``/``--until``: an ISO time, a date, or a duration ago.

    Raises:
        CLIError: when *value* is none of those.
    """
    if value is None:
        return None
    duration = _DURATION.fullmatch(value.strip())
    if duration is not None:
        amount, unit = duration.groups()
        current = time.time() * 1000 if now is None else now
        return current - float(amount) * _DURATION_MS[unit]
    when = parse_time(value)
    if when is None:
        raise CLIError(
            f"{option}: cannot read {value!r} as a time; use 2026-11-23T10:00:00Z, "
            "2026-11-23 or a duration such as 15m, 2h or 7d"
        )
    return float(when)


def binary_stdin() -> IO[bytes]:
    """The standard input as bytes (``sys.stdin`` may be replaced, as in tests)."""
    stdin = sys.stdin
    buffer = getattr(stdin, "buffer", None)
    if buffer is not None:
        return buffer  # type: ignore[no-any-return]
    return _EncodedText(stdin)  # type: ignore[return-value]  # reads like a byte stream


class _EncodedText:
    """A text stream (``io.StringIO`` as ``sys.stdin``) read as UTF-8 bytes."""

    def __init__(self, stream: IO[str]) -> None:
        self._stream = stream

    def read(self, size: int = -1) -> bytes:
        return self._stream.read(size).encode("utf-8", "surrogateescape")


def check_stdin(files: Sequence[str]) -> None:
    """
    Refuse to wait for logs typed at a terminal.

    Raises:
        CLIError: when stdin would be read and it is a terminal.
    """
    if (not files or "-" in files) and isatty(sys.stdin):
        raise CLIError("no input: name log files, or pipe lines into joblog")


def isatty(stream: object) -> bool:
    try:
        return bool(stream.isatty())  # type: ignore[attr-defined]
    except (AttributeError, ValueError):
        return False


def choice_wanted(choice: str, stream: object) -> bool:
    """``always``, ``never``, or ``auto``: whether *stream* is a terminal."""
    return choice == "always" or (choice == "auto" and isatty(stream))


def color_wanted(choice: str, stream: object) -> bool:
    """Whether to color: ``always``, ``never``, or ``auto`` (a terminal, unless NO_COLOR)."""
    if choice != "auto":
        return choice == "always"
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return isatty(stream)


def report_not_json(count: int) -> None:
    """Tell stderr how many lines were not JSON objects (they are never fatal)."""
    if count:
        sys.stderr.write(
            f"joblog: {count} line{' was' if count == 1 else 's were'} not a JSON object "
            "(kept as events with only @message)\n"
        )


def expand_tracebacks(event: dict[str, object]) -> tuple[dict[str, object], str]:
    """
    *event* without its multi-line tracebacks, and those tracebacks as indented lines.

    Each traceback line is escaped on its own, so a log line still can never
    forge another; only the breaks between a traceback's lines are real.
    """
    block: list[str] = []
    rest = event
    for key in TRACEBACK_KEYS:
        value = event.get(key)
        if isinstance(value, str) and "\n" in value:
            if rest is event:
                rest = dict(event)
            del rest[key]
            block.extend(f"    {escape_text(line)}\n" for line in value.rstrip("\n").split("\n"))
    return rest, "".join(block)
