"""
The syntax tree of a query: small frozen dataclasses.

Every node remembers the offset of its source text (``pos``) for error
messages; offsets and source texts do not take part in equality, so two
parses of the same query in different layouts compare equal.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TypeAlias

__all__ = [
    "Agg",
    "Binary",
    "Call",
    "Command",
    "Dedup",
    "Display",
    "Expr",
    "Field",
    "Fields",
    "Filter",
    "In",
    "Item",
    "Like",
    "Limit",
    "Literal",
    "Parse",
    "Period",
    "Query",
    "Regex",
    "Sort",
    "SortKey",
    "Stats",
    "Unary",
    "Unnest",
    "children",
]

Scalar: TypeAlias = "str | int | float | bool"


@dataclass(frozen=True)
class Field:
    """A field reference: ``level``, ``usage.total_tokens``, ``@message``, `` `a-b` ``."""

    name: str
    pos: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Literal:
    """A string, number, ``true`` or ``false``."""

    value: Scalar
    pos: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Period:
    """A time period such as ``5m``; ``unit`` is canonical (``ms s m h d w mo q y``)."""

    count: int
    unit: str
    pos: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Regex:
    """A ``/regex/``: its source as written and the compiled Python pattern."""

    source: str
    pattern: re.Pattern[str] = field(compare=False, repr=False)
    pos: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Unary:
    """``not x`` (``op="not"``) or ``-x`` (``op="-"``)."""

    op: str
    operand: Expr
    pos: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Binary:
    """``and or = != < <= > >= + - * / % ^`` between two expressions."""

    op: str
    left: Expr
    right: Expr
    pos: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Like:
    """``x like "s"``, ``x like /re/``, ``x not like …`` and ``x =~ /re/`` (``op="=~"``)."""

    operand: Expr
    pattern: str | Regex
    negated: bool = False
    op: str = "like"
    pos: int = field(default=0, compare=False)


@dataclass(frozen=True)
class In:
    """``x in [a, b]`` and ``x not in [a, b]``."""

    operand: Expr
    items: tuple[Literal, ...]
    negated: bool = False
    pos: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Call:
    """A function call; ``name`` is lower-case (function names ignore case)."""

    name: str
    args: tuple[Expr, ...]
    pos: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Agg:
    """An aggregate call inside ``stats``: ``count(*)`` has ``star=True`` and no args."""

    name: str
    args: tuple[Expr, ...]
    star: bool = False
    pos: int = field(default=0, compare=False)


Expr: TypeAlias = "Field | Literal | Period | Regex | Unary | Binary | Like | In | Call | Agg"


@dataclass(frozen=True)
class Item:
    """
    ``expr [as alias]`` in ``fields``, ``stats`` and ``stats … by``.

    ``text`` is the expression's source text, which names the column when
    there is no alias (``count(*)``, ``bin(5m)``).
    """

    expr: Expr
    alias: str | None = None
    text: str = field(default="", compare=False)

    @property
    def name(self) -> str:
        """The column name: the alias, else the source text."""
        return self.alias if self.alias is not None else self.text


@dataclass(frozen=True)
class Fields:
    """``fields item, …``: computes columns; hides nothing."""

    items: tuple[Item, ...]
    pos: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Display:
    """
    ``display item, …``: the columns to show (the last one wins).

    An item may compute its column, as in ``fields`` (``display a = 1 as isOne``).
    """

    items: tuple[Item, ...]
    pos: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Filter:
    """``filter expr`` (or ``where expr``): keeps the rows where *expr* is true."""

    expr: Expr
    pos: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Stats:
    """``stats item, … [by item, …]``."""

    items: tuple[Item, ...]
    by: tuple[Item, ...] = ()
    pos: int = field(default=0, compare=False)


@dataclass(frozen=True)
class SortKey:
    """One key of ``sort``: a field and its direction."""

    field: Field
    descending: bool = False


@dataclass(frozen=True)
class Sort:
    """``sort key [asc|desc], …``."""

    keys: tuple[SortKey, ...]
    pos: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Limit:
    """``limit N``."""

    count: int
    pos: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Parse:
    """``parse [source] "glob" as a, b`` or ``parse [source] /(?<a>…)/``."""

    source: Expr | None
    pattern: str | Regex
    names: tuple[str, ...]
    pos: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Dedup:
    """``dedup field, …``: the first row of each combination of values."""

    names: tuple[Field, ...]
    pos: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Unnest:
    """``unnest field into name``: one row per item of a list (any other value is one item)."""

    source: Field
    name: str
    pos: int = field(default=0, compare=False)


Command: TypeAlias = "Fields | Display | Filter | Stats | Sort | Limit | Parse | Dedup | Unnest"


@dataclass(frozen=True)
class Query:
    """A parsed query: its commands in pipeline order."""

    commands: tuple[Command, ...]


def children(expr: Expr) -> tuple[Expr, ...]:
    """The sub-expressions of *expr*, left to right (none for a leaf)."""
    if isinstance(expr, Unary):
        return (expr.operand,)
    if isinstance(expr, Binary):
        return (expr.left, expr.right)
    if isinstance(expr, (Like, In)):
        return (expr.operand,)
    if isinstance(expr, (Call, Agg)):
        return expr.args
    return ()
