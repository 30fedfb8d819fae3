"""
JSON (orjson) and console renderers, and the safe value encoding they share.

Both renderers take a finished event dict and return one line of text ending
in ``"\\n"``.  Neither ever raises: an object whose ``__repr__`` raises, a
cycle, a huge integer or an invalid surrogate still yields one valid line.
No value can split a line: JSON escapes C0 controls itself and joblog
escapes U+0085, U+2028 and U+2029 on top; the console renderer escapes every
control character.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import math
import re
import time
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, Final

import orjson

__all__ = ["ConsoleRenderer", "JSONRenderer", "dumps", "format_timestamp", "to_jsonable"]

#: Containers deeper than this are cut with a marker by the slow path.
MAX_DEPTH = 32

_ORJSON_OPTIONS = orjson.OPT_APPEND_NEWLINE | orjson.OPT_UTC_Z
_CUT = "[...]"
_CYCLE = "[cycle]"


# --------------------------------------------------------------------------
# Timestamps
# --------------------------------------------------------------------------

_MILLIS: Final = tuple(f".{ms:03d}Z" for ms in range(1000))
_second_cache: tuple[int, str] = (-1, "")


def format_timestamp(epoch: float) -> str:
    """
    Format *epoch* seconds as UTC ISO 8601 with milliseconds and ``Z``.

    The ``YYYY-MM-DDTHH:MM:SS`` part is cached per second and the ``.mmmZ``
    suffixes are precomputed, which makes this about twice as cheap as
    ``datetime.isoformat()``.  The cache is one tuple, replaced atomically,
    so threads never pair a prefix with the wrong second.
    """
    sec = math.floor(epoch)
    cached = _second_cache
    if cached[0] != sec:
        cached = _cache_second(sec)
    return cached[1] + _MILLIS[int((epoch - sec) * 1000)]


def _cache_second(sec: int) -> tuple[int, str]:
    global _second_cache
    _second_cache = (sec, time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(sec)))
    return _second_cache


# --------------------------------------------------------------------------
# Safe conversion of arbitrary values
# --------------------------------------------------------------------------


def safe_repr(obj: object) -> str:
    """``repr(obj)``, or a placeholder naming the type when ``repr`` raises."""
    try:
        return repr(obj)
    except Exception:
        return f"<unrepresentable {type(obj).__name__}>"


def safe_str(obj: object) -> str:
    """``str(obj)``, or a placeholder naming the type when ``str`` raises."""
    try:
        return str(obj)
    except Exception:
        return f"<unprintable {type(obj).__name__}>"


def _default(obj: object) -> Any:
    """
    orjson's ``default`` hook: the types orjson does not encode natively.

    Must never raise; anything unknown becomes its (safe) ``repr``.
    """
    if isinstance(obj, dt.timedelta):
        return obj.total_seconds()
    if isinstance(obj, (bytes, bytearray, memoryview)):
        return bytes(obj).decode("utf-8", "backslashreplace")
    if isinstance(obj, (set, frozenset)):
        return _sorted_list(obj)
    if isinstance(obj, Decimal):
        # A string keeps every digit; JSON numbers would round to a double.
        return str(obj)
    if isinstance(obj, BaseException):
        return f"{type(obj).__name__}: {safe_str(obj)}"
    return safe_repr(obj)


def _sorted_list(items: set[Any] | frozenset[Any]) -> list[Any]:
    try:
        return sorted(items)
    except Exception:  # mixed or unorderable members keep their own order
        return list(items)


def to_jsonable(value: object, _depth: int = 0, _seen: frozenset[int] = frozenset()) -> Any:
    """
    Convert *value* into plain JSON types (str, int, float, bool, None, list, dict).

    This is the slow path, used only when orjson refuses an event (a cycle, an
    integer beyond 64 bits, a lone surrogate, a non-string key).  It is
    cycle-safe and depth-bounded and never raises.
    """
    if value is None or isinstance(value, (bool, float)):
        return value
    if isinstance(value, int):
        return value if -(2**63) <= value < 2**64 else str(value)
    if isinstance(value, str):
        return value.encode("utf-8", "backslashreplace").decode("utf-8")
    if isinstance(value, enum.Enum):
        return to_jsonable(value.value, _depth, _seen)
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if _depth >= MAX_DEPTH:
        return _CUT
    if id(value) in _seen:
        return _CYCLE
    seen = _seen | {id(value)}
    if isinstance(value, Mapping):
        try:
            items = list(value.items())
        except Exception:
            return safe_repr(value)
        return {
            (k if isinstance(k, str) else safe_str(k))
            .encode("utf-8", "backslashreplace")
            .decode("utf-8"): to_jsonable(v, _depth + 1, seen)
            for k, v in items
        }
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v, _depth + 1, seen) for v in value]
    if isinstance(value, (set, frozenset)):
        return [to_jsonable(v, _depth + 1, seen) for v in _sorted_list(value)]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        try:
            fields = {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
        except Exception:
            return safe_repr(value)
        return to_jsonable(fields, _depth, seen)
    return to_jsonable(_default(value), _depth + 1, seen)


# --------------------------------------------------------------------------
# JSON
# --------------------------------------------------------------------------

_LINE_BREAKS = (
    (b"\xc2\x85", b"\\u0085"),
    (b"\xe2\x80\xa8", b"\\u2028"),
    (b"\xe2\x80\xa9", b"\\u2029"),
)


def _escape_line_breaks(line: bytes) -> bytes:
    # In UTF-8 these byte sequences can only be the three characters
    # themselves (0xC2 and 0xE2 are lead bytes), so a bytes replace is exact.
    for raw, escaped in _LINE_BREAKS:
        line = line.replace(raw, escaped)
    return line


def dumps(value: object, option: int = _ORJSON_OPTIONS) -> str:
    """
    Encode *value* as JSON text; never raises, never contains a line break.

    orjson handles the common types natively; :func:`_default` covers the
    rest, and anything orjson still refuses goes through :func:`to_jsonable`.
    """
    try:
        line = orjson.dumps(value, default=_default, option=option)
    except TypeError:
        line = orjson.dumps(to_jsonable(value), option=option)
    if not line.isascii():
        line = _escape_line_breaks(line)
    return line.decode()


class JSONRenderer:
    """
    Render an event dict as one JSON object per line, using orjson.

    Keys keep the event's order (joblog puts ``timestamp``, ``level``,
    ``message``, ``logger`` first).  Values orjson cannot encode go through a
    safe, never-raising conversion (see :func:`to_jsonable`).
    """

    __slots__ = ()

    def __call__(self, event: Mapping[str, Any]) -> str:
        return dumps(event)


# --------------------------------------------------------------------------
# Console
# --------------------------------------------------------------------------

# C0 and C1 controls, DEL, and the Unicode line and paragraph separators.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
# A value prints bare when it is short of anything that would need quoting.
_BARE = re.compile(r"[^\s\"'=\\\x00-\x1f\x7f-\x9f\u2028\u2029]+")

_RESET = "\x1b[0m"
_DIM = "\x1b[2m"
_BOLD = "\x1b[1m"
_CYAN = "\x1b[36m"
# Five columns, so the messages line up.
_LABELS = {
    "debug": "DEBUG",
    "info": "INFO ",
    "warning": "WARN ",
    "error": "ERROR",
    "critical": "CRIT ",
}
_LEVEL_COLORS = {
    "debug": "\x1b[34m",
    "info": "\x1b[32m",
    "warning": "\x1b[33m",
    "error": "\x1b[31m",
    "critical": "\x1b[41m\x1b[37m",
}


def _escape_char(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def escape_text(text: str) -> str:
    """Escape every control character of *text* so it stays on one line."""
    return _UNSAFE.sub(_escape_char, text)


class ConsoleRenderer:
    """
    Render an event dict for a human: ``time LEVEL message key=value …``.

    The layout: time, level padded to 5,
    message padded to *pad_message* columns, then the fields.  Strings print
    bare when safe and JSON-quoted otherwise; every control character is
    escaped, so a value can never start a new line.  ANSI colors are used
    only when *colors* is true (joblog turns them on for a TTY).

    Args:
        colors: emit ANSI color codes.
        timestamps: print the ``HH:MM:SS.mmm`` time first.
        pad_message: pad the message to this many columns.
    """

    __slots__ = ("_colors", "_pad", "_timestamps")

    def __init__(self, *, colors: bool = False, timestamps: bool = True, pad_message: int = 32):
        self._colors = colors
        self._timestamps = timestamps
        self._pad = pad_message

    def __call__(self, event: Mapping[str, Any]) -> str:
        try:
            return self._render(event)
        except Exception:
            # A mapping whose items() raise, for example: fall back to plain data.
            return self._render(to_jsonable(event))

    def _render(self, event: Mapping[str, Any]) -> str:
        level = str(event.get("level", ""))
        message = escape_text(safe_str(event.get("message", "")))
        parts: list[str] = []
        colors = self._colors
        if self._timestamps:
            stamp = str(event.get("timestamp", ""))
            clock = escape_text(stamp[11:23] if len(stamp) >= 23 else stamp)
            parts.append(f"{_DIM}{clock}{_RESET}" if colors else clock)
        label = _LABELS.get(level) or escape_text(level.upper()).ljust(5)
        if colors:
            label = f"{_LEVEL_COLORS.get(level, '')}{label}{_RESET}"
            message = f"{_BOLD}{message.ljust(self._pad)}{_RESET}"
        else:
            message = message.ljust(self._pad)
        parts.append(label)
        parts.append(message)
        for key, value in event.items():
            if key in ("timestamp", "level", "message", "logger"):
                continue
            name = escape_text(safe_str(key))
            text = self._value(value)
            parts.append(f"{_CYAN}{name}{_RESET}={text}" if colors else f"{name}={text}")
        return " ".join(parts).rstrip() + "\n"

    @staticmethod
    def _value(value: object) -> str:
        if isinstance(value, str) and _BARE.fullmatch(value):
            return value
        # JSON escapes C0 controls; escape_text catches C1 controls and DEL.
        return escape_text(dumps(value, option=orjson.OPT_UTC_Z))
