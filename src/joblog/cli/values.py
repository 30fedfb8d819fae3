"""
Values of the query language: typing, comparison, natural order and time.

A value is a ``str``, ``int``, ``float``, ``bool`` or :class:`Timestamp`;
``None`` is the absent value (a missing field, JSON ``null``).  CloudWatch
holds every value as text; joblog keeps JSON's types and applies the
comparison rule: two values that are both numbers (or
numeric strings) compare as numbers, anything else compares as text.
"""

from __future__ import annotations

import calendar
import datetime as dt
import math
import re
import time
from typing import Final, TypeAlias, cast

import orjson

__all__ = [
    "NUMBER_START",
    "Timestamp",
    "Value",
    "as_number",
    "ceil_time",
    "compare",
    "floor_time",
    "format_time",
    "parse_time",
    "sort_key",
    "text",
]


class Timestamp(float):
    """
    A point in time: epoch milliseconds that print as ``YYYY-MM-DD HH:MM:SS.mmm`` (UTC).

    It is a number, so it compares with epoch-millisecond numbers as
    CloudWatch's ``@timestamp`` does; it also compares with ISO-8601 strings.
    """

    __slots__ = ()

    def __str__(self) -> str:
        return format_time(self)

    def __repr__(self) -> str:
        return f"Timestamp({format_time(self)!r})"


Value: TypeAlias = "str | int | float | bool"

_NUMERIC = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_INTEGER = re.compile(r"[+-]?\d+")
#: The characters a numeric string can start with.
NUMBER_START: Final = frozenset("0123456789+-.")


def as_number(value: object) -> int | float | None:
    """
    The number *value* stands for, or ``None``.

    JSON numbers and strings that spell a number (``"42"``, ``"-1.5e3"``)
    are numbers; booleans, other strings and absent values are not.
    """
    kind = type(value)
    if kind is int or kind is float or kind is Timestamp:
        return cast("int | float", value)
    if kind is str:
        string = cast(str, value)
        if string and string[0] in NUMBER_START:
            if _INTEGER.fullmatch(string):
                return int(string)
            if _NUMERIC.fullmatch(string):
                return float(string)
    return None


def text(value: object) -> str:
    """
    The text form of *value*: what ``like``, string functions and the table show.

    Booleans are ``true``/``false`` (as in JSON), whole floats print without
    ``.0``, timestamps as ``YYYY-MM-DD HH:MM:SS.mmm``.
    """
    kind = type(value)
    if kind is str:
        return cast(str, value)
    if kind is bool:
        return "true" if value else "false"
    if kind is Timestamp:
        return format_time(cast(Timestamp, value))
    if kind is float:
        number = cast(float, value)
        if number.is_integer() and abs(number) < 1e16:
            return str(int(number))
        return repr(number)
    if kind is dict or kind is list:  # a map or list from jsonParse or unnest
        return orjson.dumps(value).decode()
    return str(value)


def compare(left: object, right: object) -> int:
    """
    -1, 0 or 1 as *left* is less than, equal to or greater than *right*.

    Numbers (and numeric strings) compare as numbers; a timestamp compares
    with an ISO-8601 string as a time; everything else compares as text.
    """
    a = as_number(left)
    b = as_number(right)
    if a is not None and b is not None:
        return (a > b) - (a < b)
    if type(left) is Timestamp and type(right) is str:
        parsed = parse_time(right)
        if parsed is not None:
            return (left > parsed) - (left < parsed)
    elif type(right) is Timestamp and type(left) is str:
        parsed = parse_time(left)
        if parsed is not None:
            return (parsed > right) - (parsed < right)
    ta = text(left)
    tb = text(right)
    return (ta > tb) - (ta < tb)


# --------------------------------------------------------------------------
# Natural order
# --------------------------------------------------------------------------

_DIGITS = re.compile(r"[0-9]+")
_MAX_RUN: Final = 0xEFFFF


def _digit_run(match: re.Match[str]) -> str:
    digits = match.group()
    # "0" keeps the run's place among other characters (digits sort between
    # "/" and ":"), the length character orders runs by length, then the
    # digits themselves order runs of equal length by value.
    return "0" + chr(0x10000 + min(len(digits), _MAX_RUN)) + digits


def sort_key(value: object) -> tuple[int, int | float | str]:
    """
    The key that puts values in CloudWatch's natural order.

    Every non-number comes before every number; numbers (numeric strings
    included) sort by value; other values are split into runs of digits and
    of other characters, the other characters compare by code point and runs
    of digits by length, then by value.  So the documented example sorts as
    ``!: # *%04 0# 5A 111A 2345_ @ @_ A A9876fghj a12345hfh 0``.
    """
    number = as_number(value)
    if number is not None:
        return (1, number)
    return (0, _DIGITS.sub(_digit_run, text(value)))


# --------------------------------------------------------------------------
# Time
# --------------------------------------------------------------------------

_ISO = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})"
    r"(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?)?"
    r"\s*(Z|z|[+-]\d{2}(?::?\d{2})?)?"
)
_seconds_cache: dict[str, float | None] = {}
_format_cache: tuple[int, str] = (-1, "")
_UNIX_DAY_MS: Final = 86_400_000
_FIXED_MS: Final = {"ms": 1, "s": 1000, "m": 60_000, "h": 3_600_000, "d": _UNIX_DAY_MS}
_MONTHS: Final = {"mo": 1, "q": 3, "y": 12}
# 1970-01-05, the first Monday after the epoch: weeks start on Monday.
_MONDAY_MS: Final = 4 * _UNIX_DAY_MS


def parse_time(value: object) -> Timestamp | None:
    """
    The timestamp *value* stands for, or ``None``.

    Strings are ISO 8601 (``2026-11-23T10:15:30.123Z``, a space instead of
    ``T``, any fraction, an offset, a date alone; no offset means UTC).
    Numbers are epoch seconds, milliseconds, microseconds or nanoseconds,
    told apart by magnitude (below 1e11 seconds, below 1e14 milliseconds,
    below 1e17 microseconds, else nanoseconds).
    """
    kind = type(value)
    if kind is str:
        return _parse_iso(value)  # type: ignore[arg-type]
    if kind is Timestamp:
        return value  # type: ignore[return-value]
    if kind is int or kind is float:
        number: float = value  # type: ignore[assignment]
        magnitude = abs(number)
        if math.isnan(number) or math.isinf(number):
            return None
        if magnitude < 1e11:
            return Timestamp(number * 1000)
        if magnitude < 1e14:
            return Timestamp(number)
        if magnitude < 1e17:
            return Timestamp(number / 1000)
        return Timestamp(number / 1e6)
    return None


def _parse_iso(value: str) -> Timestamp | None:
    # joblog's own format first: 2026-11-23T10:15:30.123Z, with the seconds
    # of the prefix cached (a log holds many lines per second).
    if len(value) == 24 and value[19] == "." and value[23] == "Z" and value[10] == "T":
        seconds = _second(value[:19])
        millis = value[20:23]
        if seconds is not None and millis.isdigit():
            return Timestamp(seconds * 1000 + int(millis))
    match = _ISO.fullmatch(value.strip())
    if match is None:
        return None
    year, month, day, hour, minute, second, fraction, offset = match.groups()
    try:
        epoch = calendar.timegm(
            dt.datetime(
                int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0)
            ).timetuple()
        )
    except ValueError:
        return None
    ms = epoch * 1000.0
    if fraction:
        ms += int(fraction) / 10 ** len(fraction) * 1000
    if offset and offset not in "Zz":
        sign = -1 if offset[0] == "+" else 1
        digits = offset[1:].replace(":", "")
        ms += sign * (int(digits[:2]) * 60 + int(digits[2:] or 0)) * 60_000
    return Timestamp(ms)


def _second(prefix: str) -> float | None:
    try:
        return _seconds_cache[prefix]
    except KeyError:
        pass
    if len(_seconds_cache) > 4096:
        _seconds_cache.clear()
    match = _ISO.fullmatch(prefix)
    seconds: float | None = None
    if match is not None and match.group(6) is not None:
        year, month, day, hour, minute, second = (int(g) for g in match.groups()[:6])
        try:
            seconds = calendar.timegm(
                dt.datetime(year, month, day, hour, minute, second).timetuple()
            )
        except ValueError:
            seconds = None
    _seconds_cache[prefix] = seconds
    return seconds


def format_time(ms: float) -> str:
    """Epoch milliseconds as ``YYYY-MM-DD HH:MM:SS.mmm`` in UTC."""
    global _format_cache
    seconds = math.floor(ms / 1000)
    millis = min(int(ms - seconds * 1000), 999)
    cached = _format_cache
    if cached[0] != seconds:
        try:
            cached = (seconds, time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(seconds)))
        except (OverflowError, OSError, ValueError):
            return repr(float(ms))
        _format_cache = cached
    return f"{cached[1]}.{millis:03d}"


def floor_time(ms: float, count: int, unit: str) -> Timestamp:
    """
    Floor *ms* to a multiple of the period ``count`` times ``unit``, in UTC.

    ``ms``…``d`` floor to multiples since the epoch; weeks start on Monday;
    months, quarters and years floor to calendar boundaries.
    """
    if unit in _FIXED_MS:
        step = count * _FIXED_MS[unit]
        return Timestamp(math.floor(ms / step) * step)
    if unit == "w":
        step = count * 7 * _UNIX_DAY_MS
        return Timestamp(math.floor((ms - _MONDAY_MS) / step) * step + _MONDAY_MS)
    months = count * _MONTHS[unit]
    when = time.gmtime(math.floor(ms / 1000))
    index = (when.tm_year - 1970) * 12 + when.tm_mon - 1
    return _month_start((index // months) * months)


def ceil_time(ms: float, count: int, unit: str) -> Timestamp:
    """The smallest multiple of the period at or after *ms* (see :func:`floor_time`)."""
    floor = floor_time(ms, count, unit)
    if floor == ms:
        return floor
    if unit in _FIXED_MS:
        return Timestamp(floor + count * _FIXED_MS[unit])
    if unit == "w":
        return Timestamp(floor + count * 7 * _UNIX_DAY_MS)
    when = time.gmtime(floor / 1000)
    index = (when.tm_year - 1970) * 12 + when.tm_mon - 1
    return _month_start(index + count * _MONTHS[unit])


def _month_start(index: int) -> Timestamp:
    year, month = divmod(index, 12)
    return Timestamp(calendar.timegm((1970 + year, month + 1, 1, 0, 0, 0)) * 1000)
