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
import uuid
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


#: Bytes beyond this are cut before decoding: decoding (and scanning) 10 MB
#: of invalid UTF-8 would take seconds; the cut keeps every call short.
MAX_BYTES: Final = 1 << 16
#: The types orjson encodes without ever calling back into Python code.  An
#: event whose values are all of these exact types takes the fast path.
_PLAIN: Final = frozenset({str, int, float, bool, type(None)})
# orjson would call back into user code for datetimes (tzinfo.utcoffset()),
# dataclasses (attribute reads) and enums (.value), and crashes the process
# when that code raises: such values reach it only after to_jsonable().


def _placeholder(obj: object, what: str = "unrepresentable") -> str:
    try:
        name = type(obj).__name__
    except Exception:  # pragma: no cover - type() of an object always has a name
        name = "object"
    return f"<{what} {name}>"


def _text_of_bytes(obj: bytes | bytearray | memoryview) -> str:
    """Bytes as text (invalid UTF-8 escaped), cut to :data:`MAX_BYTES` first."""
    try:
        size = obj.nbytes if isinstance(obj, memoryview) else len(obj)
        head = bytes(obj[:MAX_BYTES]) if size > MAX_BYTES else bytes(obj)
    except Exception:  # a released memoryview, a hostile buffer
        return _placeholder(obj)
    text = head.decode("utf-8", "backslashreplace")
    if size > MAX_BYTES:
        text += f"[... {size - MAX_BYTES} bytes cut]"
    return text


def _int_text(value: int) -> str:
    """An int as decimal text, or a placeholder beyond Python's digit limit."""
    try:
        return int.__repr__(value)
    except ValueError:  # more than sys.get_int_max_str_digits() digits
        return f"<int of {value.bit_length()} bits>"


def _isoformat(value: dt.date | dt.time) -> str:
    """ISO 8601 as orjson writes it (UTC as ``Z``); the tzinfo is user code, so guarded."""
    try:
        text = value.isoformat()
    except Exception:
        return _placeholder(value)
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def _default(obj: object) -> Any:
    """
    The text or plain value joblog writes for a type JSON has no form for.

    Never raises: anything unknown becomes its (safe) ``repr``.
    """
    try:
        if isinstance(obj, dt.timedelta):
            return obj.total_seconds()
        if isinstance(obj, (bytes, bytearray, memoryview)):
            return _text_of_bytes(obj)
        if isinstance(obj, Decimal):
            # A string keeps every digit; JSON numbers would round to a double.
            return str(obj)
        if isinstance(obj, BaseException):
            return f"{type(obj).__name__}: {safe_str(obj)}"
    except Exception:
        return _placeholder(obj)
    return safe_repr(obj)


def _sorted_list(items: set[Any] | frozenset[Any]) -> list[Any]:
    members = list(items)  # may raise (a hostile __iter__): the caller guards
    try:
        return sorted(members)
    except Exception:  # mixed or unorderable members keep their own order
        return members


def to_jsonable(
    value: object, _depth: int = 0, _seen: frozenset[int] = frozenset(), *, _fast: bool = False
) -> Any:
    """
    Convert *value* into plain JSON types (str, int, float, bool, None, list, dict).

    The slow path, for an event holding anything but plain values (or one
    orjson refused: a 65-bit integer, a lone surrogate, a non-string key).
    Every call into the value's own code (``repr``, ``tzinfo``, an enum's
    ``value``, a container's ``__iter__``) is guarded; cycle-safe,
    depth-bounded, and it never raises.
    """
    try:
        return _jsonable(value, _depth, _seen, _fast)
    except Exception:
        return _placeholder(value)


def _jsonable(value: object, depth: int, seen: frozenset[int], fast: bool) -> Any:
    cls = type(value)
    if type(value) is str:
        return value if value.isascii() else _utf8(value)
    if value is None or cls is bool or cls is float:
        return value
    if isinstance(value, enum.Enum):
        return to_jsonable(
            value.value, depth + 1, seen, _fast=fast
        )  # depth: a value may be its enum
    if isinstance(value, int):
        return int(value) if -(2**63) <= value < 2**64 else _int_text(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, str):
        return _utf8(str.__str__(value))
    if isinstance(value, (dt.date, dt.time)):
        return _isoformat(value)
    if cls is uuid.UUID:
        return str(value)
    if depth >= MAX_DEPTH:
        return _CUT
    if id(value) in seen:
        return _CYCLE
    if fast and _all_plain(value, cls):
        # orjson reads plain containers natively, and fast: a million ints
        # would take a second here.  Should it refuse them after all (a lone
        # surrogate, a 65-bit int), the caller converts strictly instead.
        return value
    seen = seen | {id(value)}
    if isinstance(value, Mapping):
        try:
            items = list(value.items())
        except Exception:
            return safe_repr(value)
        return {_key(k): to_jsonable(v, depth + 1, seen, _fast=fast) for k, v in items}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v, depth + 1, seen, _fast=fast) for v in list(value)]
    if isinstance(value, (set, frozenset)):
        try:
            members = _sorted_list(value)
        except Exception:
            return _placeholder(value)
        return [to_jsonable(v, depth + 1, seen, _fast=fast) for v in members]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        try:
            fields = {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
        except Exception:
            return safe_repr(value)
        return to_jsonable(fields, depth, seen, _fast=fast)
    return to_jsonable(_default(value), depth + 1, seen, _fast=fast)


def _all_plain(value: object, cls: type) -> bool:
    if cls is list or cls is tuple:
        return _PLAIN.issuperset(map(type, value))  # type: ignore[call-overload]
    if cls is dict:
        return _PLAIN.issuperset(map(type, value.values())) and all(  # type: ignore[attr-defined]
            type(key) is str
            for key in value  # type: ignore[attr-defined]
        )
    return False


def _utf8(text: str) -> str:
    """*text* with lone surrogates escaped, so it encodes as UTF-8."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def _key(key: object) -> str:
    if type(key) is str:
        return key if key.isascii() else _utf8(key)
    if isinstance(key, str):
        return _utf8(str.__str__(key))
    if isinstance(key, int) and not isinstance(key, bool):
        return _int_text(key)
    return _utf8(safe_str(key))


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


def dumps_bytes(value: object, option: int = _ORJSON_OPTIONS) -> bytes:
    """
    Encode *value* as JSON (UTF-8 bytes); never raises, never contains a line break.

    A dict of plain values (the common event) goes to orjson as is: nothing
    in it can call back into Python code.  Anything else is first converted
    by :func:`to_jsonable`, whose every call into user code is guarded, so
    orjson only ever sees plain data.
    """
    try:
        if type(value) is dict and _PLAIN.issuperset(map(type, value.values())):
            line = orjson.dumps(value, option=option)
        else:
            line = orjson.dumps(to_jsonable(value, _fast=True), option=option)
    except TypeError:  # a non-str key, a 65-bit int, a lone surrogate
        line = orjson.dumps(to_jsonable(value), option=option)
    if not line.isascii():
        line = _escape_line_breaks(line)
    return line


def dumps(value: object, option: int = _ORJSON_OPTIONS) -> str:
    """Encode *value* as JSON text: :func:`dumps_bytes`, decoded."""
    return dumps_bytes(value, option).decode()


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

# C0 and C1 controls, DEL, the Unicode line and paragraph separators, the
# bidirectional controls (which reorder what a terminal shows: U+061C,
# U+200E/U+200F, U+202A-U+202E, U+2066-U+2069) and lone surrogates (which a
# strict UTF-8 stream refuses, losing the whole line).
_UNSAFE_CHARS = r"\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069\ud800-\udfff"
_UNSAFE = re.compile(f"[{_UNSAFE_CHARS}]")
# A value prints bare when it is short of anything that would need quoting.
_BARE = re.compile(rf"[^\s\"'=\\{_UNSAFE_CHARS}]+")
# A key prints bare when it cannot pass for anything but a key.
_BARE_KEY = re.compile(r"[A-Za-z0-9_.:@/\[\]-]+")

_RESET = "\x1b[0m"
_DIM = "\x1b[2m"
_BOLD = "\x1b[1m"
_CYAN = "\x1b[36m"
# Five columns, as in the example trace in docs/architecture.md.
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


def _quoted(text: object) -> str:
    """*text* JSON-quoted, every unsafe character escaped."""
    return escape_text(dumps(text if isinstance(text, str) else safe_str(text), option=0))


def _message_text(message: str) -> str:
    """The message as shown: bare, or quoted when it could pass for ``key=value`` fields."""
    if "=" in message or message[:1] in ('"', " "):
        return _quoted(message)
    return escape_text(message)


def escape_text(text: str) -> str:
    """Escape every control character of *text* so it stays on one line."""
    return _UNSAFE.sub(_escape_char, text)


class ConsoleRenderer:
    """
    Render an event dict for a human: ``time LEVEL message key=value …``.

    The layout follows the example trace in docs/architecture.md: level padded to 5,
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
        message = _message_text(safe_str(event.get("message", "")))
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
            name = key if key.__class__ is str and _BARE_KEY.fullmatch(key) else _quoted(key)
            text = self._value(value)
            parts.append(f"{_CYAN}{name}{_RESET}={text}" if colors else f"{name}={text}")
        return " ".join(parts).rstrip() + "\n"

    @staticmethod
    def _value(value: object) -> str:
        if isinstance(value, str) and _BARE.fullmatch(value):
            return value
        # JSON escapes C0 controls; escape_text catches C1 controls and DEL.
        return escape_text(dumps(value, option=orjson.OPT_UTC_Z))
