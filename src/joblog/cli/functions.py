"""
The query language's scalar functions and arithmetic.

Each function is a plain Python function of present values; the compiler
(:mod:`joblog.cli.expressions`) makes the result absent when an argument is
(decision D6).  The functions in :data:`NULL_AWARE` see absent arguments
themselves: ``ispresent``, ``isempty``, ``isblank``, ``coalesce``,
``greatest`` and ``least``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, Final

from .reader import Getter, Row
from .syntax import Period
from .values import Timestamp, as_number, ceil_time, compare, floor_time, parse_time, text

__all__ = ["ARITHMETIC", "NULL_AWARE", "SCALAR_FUNCTIONS", "bin_getter", "round_time"]


# Arithmetic (D6: non-numbers and absent operands give absent).


def _divide(a: float, b: float) -> float | None:
    return None if b == 0 else a / b


def _modulo(a: float, b: float) -> float | None:
    # Truncated like SQL and Java: the result takes the dividend's sign.
    if b == 0:
        return None
    remainder = abs(a) % abs(b)
    return -remainder if a < 0 else remainder


def _power(a: float, b: float) -> float | None:
    try:
        if type(a) is int and type(b) is int and 0 <= b <= 64:
            return a**b  # type: ignore[no-any-return]
        result = float(a) ** float(b)
    except (OverflowError, ZeroDivisionError):
        return None
    return None if isinstance(result, complex) else result


#: The arithmetic operators, applied to two numbers.
ARITHMETIC: Final[dict[str, Callable[[Any, Any], Any]]] = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "/": _divide,
    "%": _modulo,
    "^": _power,
}


# Functions that see absent arguments themselves.


def _ispresent(args: list[Getter]) -> Getter:
    get = args[0]
    return lambda row: get(row) is not None


def _isempty(args: list[Getter]) -> Getter:
    get = args[0]

    def isempty(row: Row) -> bool:
        value = get(row)
        return value is None or text(value) == ""

    return isempty


def _isblank(args: list[Getter]) -> Getter:
    get = args[0]

    def isblank(row: Row) -> bool:
        value = get(row)
        return value is None or text(value).strip() == ""

    return isblank


def _coalesce(args: list[Getter]) -> Getter:
    def coalesce(row: Row) -> Any:
        for arg in args:
            value = arg(row)
            if value is not None:
                return value
        return None

    return coalesce


def _extreme(sign: int) -> Callable[[list[Getter]], Getter]:
    def build(args: list[Getter]) -> Getter:
        def pick(row: Row) -> Any:
            best = None
            for arg in args:
                value = arg(row)
                if value is not None and (best is None or compare(value, best) * sign > 0):
                    best = value
            return best

        return pick

    return build


#: Functions that take their arguments' getters and see absent values themselves.
NULL_AWARE: Final[dict[str, Callable[[list[Getter]], Getter]]] = {
    "ispresent": _ispresent,
    "isempty": _isempty,
    "isblank": _isblank,
    "coalesce": _coalesce,
    "greatest": _extreme(1),
    "least": _extreme(-1),
}


# Functions of present values (an absent argument makes the result absent).


def _trim(how: str) -> Callable[..., str]:
    def trim(value: object, chars: object = None) -> str:
        strip = getattr(text(value), how)
        return strip(None if chars is None else text(chars))  # type: ignore[no-any-return]

    return trim


def _substr(value: object, start: object, length: object = None) -> str | None:
    begin = as_number(start)
    if begin is None:
        return None
    string = text(value)
    first = max(0, int(begin))
    if length is None:
        return string[first:]
    count = as_number(length)
    if count is None:
        return None
    return string[first : first + max(0, int(count))]


def _replace(value: object, search: object, replacement: object) -> str:
    string = text(value)
    needle = text(search)
    return string.replace(needle, text(replacement)) if needle else string


def _numeric(function: Callable[[Any], Any]) -> Callable[[object], Any]:
    def apply(value: object) -> Any:
        number = as_number(value)
        if number is None:
            return None
        try:
            return function(number)
        except OverflowError:  # ceil/floor of an infinite number
            return None

    return apply


def _log(number: float) -> float | None:
    return math.log(number) if number > 0 else None


def _sqrt(number: float) -> float | None:
    return math.sqrt(number) if number >= 0 else None


def _to_millis(value: object) -> int | None:
    when = parse_time(value)
    return None if when is None else int(when)


def _from_millis(value: object) -> Timestamp | None:
    number = as_number(value)
    return None if number is None else Timestamp(number)


#: Functions of present values: an absent argument makes the result absent.
SCALAR_FUNCTIONS: Final[dict[str, Callable[..., Any]]] = {
    "concat": lambda *values: "".join(text(v) for v in values),
    "strlen": lambda value: len(text(value)),
    "toupper": lambda value: text(value).upper(),
    "tolower": lambda value: text(value).lower(),
    "trim": _trim("strip"),
    "ltrim": _trim("lstrip"),
    "rtrim": _trim("rstrip"),
    "substr": _substr,
    "replace": _replace,
    "strcontains": lambda value, part: int(text(part) in text(value)),
    "abs": _numeric(abs),
    "ceil": _numeric(math.ceil),
    "floor": _numeric(math.floor),
    "log": _numeric(_log),
    "sqrt": _numeric(_sqrt),
    "tomillis": _to_millis,
    "frommillis": _from_millis,
}


def bin_getter(period: Period) -> Getter:
    """``bin(period)``: the row's ``@timestamp`` floored to the period (absent without one)."""
    count, unit = period.count, period.unit

    def binned(row: Row) -> Timestamp | None:
        when = row.timestamp
        return None if when is None else floor_time(when, count, unit)

    return binned


def round_time(get: Getter, period: Period, up: bool) -> Getter:
    """``datefloor``/``dateceil``: *get*'s time floored (or, with *up*, ceiled) to the period."""
    count, unit = period.count, period.unit
    rounding = ceil_time if up else floor_time

    def rounded(row: Row) -> Timestamp | None:
        when = parse_time(get(row))
        return None if when is None else rounding(when, count, unit)

    return rounded
