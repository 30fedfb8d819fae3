"""
The query language's scalar functions and arithmetic.

:data:`FUNCTIONS` is the one table of them: each function's argument
counts (the parser checks them) and its implementation (the compiler in
:mod:`joblog.cli.expressions` calls it).  Most are plain Python functions of
present values, and the compiler makes the result absent when an argument
is; ``ispresent``, ``isempty``, ``isblank``, ``coalesce``, ``greatest`` and
``least`` see absent arguments themselves.
"""

from __future__ import annotations

import ipaddress
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

import orjson

from .reader import Getter, Row
from .syntax import Period
from .values import Timestamp, as_number, ceil_time, compare, floor_time, parse_time, text

__all__ = ["ARITHMETIC", "FUNCTIONS", "FunctionSpec", "bin_getter", "round_time"]


# Arithmetic (non-numbers and absent operands give absent).


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


def _json_parse(value: object) -> Any:
    # A map (dict) or a list whose items dotted names reach; not JSON: absent.
    try:
        return orjson.loads(text(value))
    except orjson.JSONDecodeError:
        return None


def _json_stringify(value: object) -> str:
    if type(value) is dict or type(value) is list:
        return orjson.dumps(value).decode()
    return text(value)


def _ip(value: object) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text(value).strip())
    except ValueError:
        return None


def _valid_ip(version: int | None) -> Callable[[object], bool]:
    def valid(value: object) -> bool:
        address = _ip(value)
        return address is not None and version in (None, address.version)

    return valid


def _in_subnet(version: int | None) -> Callable[[object, object], bool]:
    def contains(value: object, subnet: object) -> bool:
        address = _ip(value)
        try:
            network = ipaddress.ip_network(text(subnet).strip(), strict=False)
        except ValueError:
            return False
        if address is None or address.version != network.version:
            return False
        return version in (None, address.version) and address in network

    return contains


@dataclass(frozen=True)
class FunctionSpec:
    """
    One scalar function: its argument counts and its implementation.

    Exactly one of ``apply`` (a function of present values: an absent
    argument makes the result absent), ``build`` (takes the arguments'
    getters and sees absent values itself) or ``period_arg`` (the compiler
    handles ``bin``, ``datefloor`` and ``dateceil``) is set.  ``boolean``
    functions give true/false, shown as 1/0 as CloudWatch shows them.
    """

    low: int
    high: int | None
    apply: Callable[..., Any] | None = None
    build: Callable[[list[Getter]], Getter] | None = None
    period_arg: int | None = None
    boolean: bool = False


def _spec(
    low: int, high: int | None, apply: Callable[..., Any], *, boolean: bool = False
) -> FunctionSpec:
    return FunctionSpec(low, high, apply=apply, boolean=boolean)


def _aware(
    low: int, high: int | None, build: Callable[[list[Getter]], Getter], *, boolean: bool = False
) -> FunctionSpec:
    return FunctionSpec(low, high, build=build, boolean=boolean)


#: Every scalar function by lower-case name: its arity and implementation.
FUNCTIONS: Final[dict[str, FunctionSpec]] = {
    # General
    "ispresent": _aware(1, 1, _ispresent, boolean=True),
    "coalesce": _aware(1, None, _coalesce),
    # String
    "isempty": _aware(1, 1, _isempty, boolean=True),
    "isblank": _aware(1, 1, _isblank, boolean=True),
    "concat": _spec(1, None, lambda *values: "".join(text(v) for v in values)),
    "strlen": _spec(1, 1, lambda value: len(text(value))),
    "toupper": _spec(1, 1, lambda value: text(value).upper()),
    "tolower": _spec(1, 1, lambda value: text(value).lower()),
    "trim": _spec(1, 2, _trim("strip")),
    "ltrim": _spec(1, 2, _trim("lstrip")),
    "rtrim": _spec(1, 2, _trim("rstrip")),
    "substr": _spec(2, 3, _substr),
    "replace": _spec(3, 3, _replace),
    "strcontains": _spec(2, 2, lambda value, part: int(text(part) in text(value))),
    # Numeric
    "abs": _spec(1, 1, _numeric(abs)),
    "ceil": _spec(1, 1, _numeric(math.ceil)),
    "floor": _spec(1, 1, _numeric(math.floor)),
    "greatest": _aware(1, None, _extreme(1)),
    "least": _aware(1, None, _extreme(-1)),
    "log": _spec(1, 1, _numeric(_log)),
    "sqrt": _spec(1, 1, _numeric(_sqrt)),
    # Datetime
    "bin": FunctionSpec(1, 1, period_arg=0),
    "datefloor": FunctionSpec(2, 2, period_arg=1),
    "dateceil": FunctionSpec(2, 2, period_arg=1),
    "tomillis": _spec(1, 1, _to_millis),
    "frommillis": _spec(1, 1, _from_millis),
    # JSON
    "jsonparse": _spec(1, 1, _json_parse),
    "jsonstringify": _spec(1, 1, _json_stringify),
    # IP address strings
    "isvalidip": _spec(1, 1, _valid_ip(None), boolean=True),
    "isvalidipv4": _spec(1, 1, _valid_ip(4), boolean=True),
    "isvalidipv6": _spec(1, 1, _valid_ip(6), boolean=True),
    "isipinsubnet": _spec(2, 2, _in_subnet(None), boolean=True),
    "isipv4insubnet": _spec(2, 2, _in_subnet(4), boolean=True),
    "isipv6insubnet": _spec(2, 2, _in_subnet(6), boolean=True),
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
