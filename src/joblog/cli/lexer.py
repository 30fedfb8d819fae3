"""
The tokenizer of the query language: tokens with their offsets.

A ``/`` is either division or the start of a regular expression, and only
the parser knows which (after ``like``, ``=~`` and in ``parse`` it is a
regex).  So the lexer scans on demand: :meth:`Lexer.peek` scans the next
token in the ordinary way and :meth:`Lexer.peek_regex` rescans it as a regex
when the parser expects one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from .errors import QueryError

__all__ = ["PERIOD_UNITS", "Lexer", "Token"]

#: Time-period units of ``bin()``, ``datefloor()`` and ``dateceil()`` and their
#: canonical names (the CloudWatch spellings, an ``s`` plural accepted).
PERIOD_UNITS: Final = {
    **dict.fromkeys(("ms", "msec", "msecs", "millisecond", "milliseconds"), "ms"),
    **dict.fromkeys(("s", "sec", "secs", "second", "seconds"), "s"),
    **dict.fromkeys(("m", "min", "mins", "minute", "minutes"), "m"),
    **dict.fromkeys(("h", "hr", "hrs", "hour", "hours"), "h"),
    **dict.fromkeys(("d", "day", "days"), "d"),
    **dict.fromkeys(("w", "week", "weeks"), "w"),
    **dict.fromkeys(("mo", "mon", "mons", "month", "months"), "mo"),
    **dict.fromkeys(("q", "qtr", "qtrs", "quarter", "quarters"), "q"),
    **dict.fromkeys(("y", "yr", "yrs", "year", "years"), "y"),
}

_SPACE = re.compile(r"(?:\s+|#[^\n]*)+")
_NAME = re.compile(r"(?:[^\W\d]|@)[\w@]*(?:\.[\w@]+)*")
_NUMBER = re.compile(r"\d+(?:\.\d+)?(?:[eE][+-]?\d+)?")
_UNIT = re.compile(r"[A-Za-z]+")
# Longest first, so "<=" is not read as "<" then "=".
_OPERATORS: Final = (
    *("=~", "!=", "<=", ">="),
    *("|", ",", "(", ")", "[", "]", "=", "<", ">", "+", "-", "*", "/", "%", "^"),
)
_ESCAPES: Final = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", '"': '"', "'": "'"}


@dataclass(frozen=True)
class Token:
    """
    One token of a query.

    ``kind`` is ``"name"`` (an identifier or keyword), ``"quoted"`` (a
    backticked name, never a keyword), ``"number"``, ``"period"`` (``5m``),
    ``"string"``, ``"regex"``, ``"op"`` or ``"eof"``.  ``value`` is the
    decoded value: the name, the number, the string's text, the regex source,
    ``(count, unit)`` for a period.  ``pos``/``end`` delimit its source text.
    """

    kind: str
    value: object
    pos: int
    end: int

    def is_keyword(self, *words: str) -> bool:
        """Whether this is an unquoted name equal to one of *words*, ignoring case."""
        return self.kind == "name" and str(self.value).lower() in words

    def is_op(self, *ops: str) -> bool:
        """Whether this is one of the operators *ops*."""
        return self.kind == "op" and self.value in ops


class Lexer:
    """
    Scan *text* into tokens on demand.

    Args:
        text: the query text.
    """

    def __init__(self, text: str) -> None:
        self.text = text
        self._pos = 0
        self._peeked: Token | None = None

    def peek(self) -> Token:
        """The next token, without consuming it."""
        if self._peeked is None:
            self._peeked = self._scan()
        return self._peeked

    def next(self) -> Token:
        """Consume and return the next token."""
        token = self.peek()
        self._peeked = None
        return token

    def peek_regex(self) -> Token | None:
        """
        The next token scanned as a ``/regex/``, or ``None`` if it does not start with ``/``.

        Raises:
            QueryError: for a regex without its closing ``/``.
        """
        token = self.peek()
        if token.kind == "regex":
            return token
        if not token.is_op("/"):
            return None
        self._peeked = self._scan_regex(token.pos)
        return self._peeked

    def _scan(self) -> Token:
        text = self.text
        space = _SPACE.match(text, self._pos)
        pos = space.end() if space else self._pos
        if pos >= len(text):
            self._pos = len(text)
            return Token("eof", None, len(text), len(text))
        ch = text[pos]
        if ch in "\"'":
            value, end = self._scan_string(pos, ch)
            return self._emit("string", value, pos, end)
        if ch == "`":
            end = text.find("`", pos + 1)
            if end < 0:
                raise QueryError("unterminated `name`: add the closing backtick", pos)
            return self._emit("quoted", text[pos + 1 : end], pos, end + 1)
        number = _NUMBER.match(text, pos)
        if number:
            return self._number(number, pos)
        name = _NAME.match(text, pos)
        if name:
            return self._emit("name", name.group(), pos, name.end())
        for op in _OPERATORS:
            if text.startswith(op, pos):
                return self._emit("op", op, pos, pos + len(op))
        raise QueryError(f"unexpected character {ch!r}", pos)

    def _emit(self, kind: str, value: object, pos: int, end: int) -> Token:
        self._pos = end
        return Token(kind, value, pos, end)

    def _number(self, match: re.Match[str], pos: int) -> Token:
        literal = match.group()
        unit = _UNIT.match(self.text, match.end())
        if unit is None:
            value: int | float = int(literal) if literal.isdigit() else float(literal)
            return self._emit("number", value, pos, match.end())
        name = unit.group().lower()
        if not literal.isdigit():
            raise QueryError(f"a time period needs a whole number, as in 5{name}", pos)
        if name not in PERIOD_UNITS:
            raise QueryError(
                f"unknown time unit {unit.group()!r}: use ms, s, m, h, d, w, mo, q or y",
                match.end(),
            )
        return self._emit("period", (int(literal), PERIOD_UNITS[name]), pos, unit.end())

    def _scan_string(self, pos: int, quote: str) -> tuple[str, int]:
        text = self.text
        out: list[str] = []
        i = pos + 1
        while i < len(text):
            ch = text[i]
            if ch == quote:
                return "".join(out), i + 1
            if ch == "\\" and i + 1 < len(text):
                nxt = text[i + 1]
                # An unknown escape keeps its backslash, so "\d" stays \d.
                out.append(_ESCAPES.get(nxt, "\\" + nxt))
                i += 2
                continue
            out.append(ch)
            i += 1
        raise QueryError(f"unterminated string: add the closing {quote}", pos)

    def _scan_regex(self, pos: int) -> Token:
        text = self.text
        out: list[str] = []
        i = pos + 1
        while i < len(text):
            ch = text[i]
            if ch == "/":
                return self._emit("regex", "".join(out), pos, i + 1)
            if ch == "\\" and i + 1 < len(text):
                # \/ is a slash; every other escape belongs to the regex.
                out.append("/" if text[i + 1] == "/" else text[i : i + 2])
                i += 2
                continue
            out.append(ch)
            i += 1
        raise QueryError("unterminated regex: add the closing /", pos)
