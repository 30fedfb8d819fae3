"""
The text pre-filter: which raw lines a query can rule out without parsing them.

A query's leading ``filter`` commands yield a test on the raw line that is
false only when the query must drop the line, and, when the test needs a
literal, the literal itself, which the reader looks for in whole blocks.
The test is exact, never a guess: literals that could equal a number or
that JSON would escape give no pre-filter, and a line with a backslash is
always parsed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from .reader import Prefilter
from .syntax import (
    Binary,
    Call,
    Command,
    Display,
    Expr,
    Field,
    Fields,
    Filter,
    In,
    Like,
    Literal,
    Regex,
)

__all__ = ["derive_prefilter"]

# Characters a number's text form can contain: a literal made only of these
# might equal a number, so the text pre-filter cannot rule a line out by it.
_NUMBER_CHARS: Final = frozenset("0123456789+-.eEinf")


def derive_prefilter(commands: Sequence[Command]) -> Prefilter | None:
    """
    A cheap test on a raw line that is false only when the query must drop the line.

    Derived from the ``filter`` commands at the head of the query (before
    anything but ``fields`` and ``display``): ``field = "literal"`` and
    ``field in [...]`` need the literal in the line, ``field like "text"``
    the text, ``ispresent(field)`` the key, and ``@message like …`` is
    decided exactly on the line itself.  A line with a backslash is always
    parsed, since a JSON escape can spell any text another way.
    """
    found: Prefilter | None = None
    created: set[str] = set()
    for command in commands:
        if isinstance(command, Filter):
            found = _both(found, _requirement(command.expr, created))
        elif isinstance(command, (Fields, Display)):
            created.update(
                item.name
                for item in command.items
                if item.alias is not None or not isinstance(item.expr, Field)
            )
        else:
            break
    return found


def _both(left: Prefilter | None, right: Prefilter | None) -> Prefilter | None:
    if left is None or right is None:
        return left or right
    first, second = left.test, right.test
    return Prefilter(
        lambda line: first(line) and second(line),
        left.needles if left.needles is not None else right.needles,
    )


def _either(left: Prefilter | None, right: Prefilter | None) -> Prefilter | None:
    if left is None or right is None:
        return None
    first, second = left.test, right.test
    needles = None
    if left.needles is not None and right.needles is not None:
        needles = left.needles + right.needles
    return Prefilter(lambda line: first(line) or second(line), needles)


def _requirement(expr: Expr, created: set[str]) -> Prefilter | None:
    if isinstance(expr, Binary) and expr.op == "and":
        return _both(_requirement(expr.left, created), _requirement(expr.right, created))
    if isinstance(expr, Binary) and expr.op == "or":
        return _either(_requirement(expr.left, created), _requirement(expr.right, created))
    if isinstance(expr, Binary) and expr.op == "=":
        field, literal = expr.left, expr.right
        if isinstance(field, Literal):
            field, literal = literal, field
        if _json_field(field, created) and isinstance(literal, Literal):
            return _needles([literal.value])
        return None
    if isinstance(expr, In) and not expr.negated and _json_field(expr.operand, created):
        return _needles([item.value for item in expr.items])
    if isinstance(expr, Like) and not expr.negated and isinstance(expr.operand, Field):
        name = expr.operand.name
        if name == "@message" and name not in created:
            return _message_test(expr.pattern)
        if _json_field(expr.operand, created) and isinstance(expr.pattern, str):
            return _needles([expr.pattern])
        return None
    if isinstance(expr, Call) and expr.name == "ispresent" and _json_field(expr.args[0], created):
        last = expr.args[0].name.rsplit(".", 1)[-1]  # type: ignore[union-attr]
        if not last.isdigit():
            return _needles([last + '"'], key=True)
    return None


def _json_field(expr: Expr, created: set[str]) -> bool:
    return isinstance(expr, Field) and not expr.name.startswith("@") and expr.name not in created


def _needles(values: Sequence[object], *, key: bool = False) -> Prefilter | None:
    """
    A line must contain one of *values* (or a backslash, which may hide one).

    With *key*, the values are key names followed by their closing quote.
    """
    needles: list[bytes] = []
    for value in values:
        if not isinstance(value, str):
            return None
        if not key and set(value) <= _NUMBER_CHARS:
            return None  # it might equal a number, whose text the line spells its own way
        if any(ch in '"\\' or ord(ch) < 0x20 for ch in (value[:-1] if key else value)):
            return None  # JSON would escape it: the line spells it differently
        needles.append(value.encode())
    if len(needles) == 1:
        needle = needles[0]
        return Prefilter(lambda line: needle in line or b"\\" in line, (needle,))
    return Prefilter(
        lambda line: b"\\" in line or any(needle in line for needle in needles), tuple(needles)
    )


def _message_test(pattern: str | Regex) -> Prefilter:
    if isinstance(pattern, Regex):
        search = pattern.pattern.search
        return Prefilter(lambda line: search(line.decode("utf-8", "backslashreplace")) is not None)
    needle = pattern.encode()
    ascii_pattern = pattern.isascii()

    def contains(line: bytes) -> bool:
        if needle in line:
            return True
        if ascii_pattern and line.isascii():
            return False
        return pattern in line.decode("utf-8", "backslashreplace")

    return Prefilter(contains)
