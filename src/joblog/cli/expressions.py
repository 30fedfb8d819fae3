"""
Expressions compiled into closures: field access, operators, functions, truth.

Expressions compile once into plain functions of a row, so evaluating a
filter costs a few Python calls per line.  Absent values follow SQL's null
logic: a comparison, ``like``, ``in``, arithmetic or string
function with an absent operand is absent, ``not`` of absent is absent,
``and``/``or`` are Kleene's, and ``filter`` keeps a row only when its
expression is true.  ``ispresent``, ``isempty``, ``isblank`` and
``coalesce`` are the ways to test for absence.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, Final

from .errors import QueryError
from .functions import ARITHMETIC, FUNCTIONS, bin_getter, round_time
from .reader import Getter, Row, lookup
from .syntax import Agg, Binary, Call, Expr, Field, In, Like, Literal, Period, Regex, Unary
from .values import NUMBER_START, Timestamp, as_number, compare, text

__all__ = [
    "compile_expr",
    "compile_predicate",
    "compile_value",
    "event_getter",
    "field_getter",
    "group_value",
    "is_boolean",
    "truth",
]


# --------------------------------------------------------------------------
# Field access and truth
# --------------------------------------------------------------------------


def field_getter(name: str) -> Getter:
    """
    A function returning field *name* of a row, or ``None`` when absent.

    Fields created by earlier commands (``extra``) come first; then the
    system fields (``@message``, ``@timestamp``, ``@logStream``, ``@log``);
    then the line's flattened JSON.  ``@@key`` reads a JSON key that starts
    with ``@`` (CloudWatch's spelling); other ``@`` names are only found
    among created fields.
    """
    if name == "@message":

        def get_message(row: Row) -> Any:
            extra = row.extra
            if extra is not None and name in extra:
                return extra[name]
            return row.message

        return get_message
    if name == "@timestamp":

        def get_timestamp(row: Row) -> Any:
            extra = row.extra
            if extra is not None and name in extra:
                return extra[name]
            return row.timestamp

        return get_timestamp
    if name in ("@logStream", "@log"):
        attribute = "log_stream" if name == "@logStream" else "log"

        def get_source(row: Row) -> Any:
            extra = row.extra
            if extra is not None and name in extra:
                return extra[name]
            return getattr(row.source, attribute) if row.source is not None else None

        return get_source
    if name.startswith("@") and not name.startswith("@@"):

        def get_created(row: Row) -> Any:
            extra = row.extra
            return extra.get(name) if extra is not None else None

        return get_created
    key = name[1:] if name.startswith("@@") else name
    if "." in key:

        def get_dotted(row: Row) -> Any:
            extra = row.extra
            if extra is not None:
                if name in extra:
                    return extra[name]
                # A created map or list (jsonParse, unnest) reached by its dotted path.
                value = lookup(extra, name)
                if value is not None:
                    return value
            return lookup(row.data, key)

        return get_dotted

    def get_field(row: Row) -> Any:
        extra = row.extra
        if extra is not None and name in extra:
            return extra[name]
        value = row.data.get(key)
        if type(value) is dict or type(value) is list:
            return None
        return value

    return get_field


def event_getter(expr: Expr) -> Callable[[dict[str, Any]], Any] | None:
    """
    A function reading *expr* from a line's event alone, or ``None`` when it cannot.

    When *expr* is one of the line's own JSON fields (no ``@`` name), the
    function gives what :func:`field_getter`'s gives for a row no command
    has added fields to, without the row: a query that starts with ``stats``
    over such fields reads events straight from the scan.
    """
    if not isinstance(expr, Field) or expr.name.startswith("@"):
        return None
    name = expr.name
    if "." in name:
        return lambda data: lookup(data, name)

    def get(data: dict[str, Any]) -> Any:
        value = data.get(name)
        if type(value) is dict or type(value) is list:
            return None
        return value

    return get


def truth(value: object) -> bool | None:
    """
    Whether *value* counts as true in ``filter``: ``None`` when absent.

    True are ``true``, numbers other than 0 (numeric strings too) and the
    string ``"true"`` in any case; everything else is false.
    """
    if value is None or value is True or value is False:
        return value
    number = as_number(value)
    if number is not None:
        return number != 0
    return isinstance(value, str) and value.lower() == "true"


def group_value(value: object) -> object:
    """
    The key *value* groups (and dedups) under: equal as ``=`` sees it.

    Numbers and numeric strings group by value, booleans with the strings
    ``"true"``/``"false"``, timestamps by their time.
    """
    if isinstance(value, str):
        if value[:1] in NUMBER_START:
            number = as_number(value)
            if number is not None:
                return number
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Timestamp):
        return float(value)
    return value


# --------------------------------------------------------------------------
# Expressions
# --------------------------------------------------------------------------

# Nodes whose value is already True, False or None: no truth() needed.
_BOOLEAN_CALLS: Final = frozenset(name for name, spec in FUNCTIONS.items() if spec.boolean)
_COMPARE_TESTS: Final[dict[str, Callable[[int], bool]]] = {
    "=": lambda c: c == 0,
    "!=": lambda c: c != 0,
    "<": lambda c: c < 0,
    "<=": lambda c: c <= 0,
    ">": lambda c: c > 0,
    ">=": lambda c: c >= 0,
}


def compile_expr(expr: Expr, aggregates: dict[int, Getter] | None = None) -> Getter:
    """
    Compile *expr* into a function of a row.

    Args:
        expr: the expression.
        aggregates: inside ``stats``, the getter standing for each aggregate
            node (keyed by ``id(node)``).

    Raises:
        QueryError: for an aggregate outside ``stats`` (the parser prevents it).
    """
    return _Compiler(aggregates or {}).expr(expr)


def compile_predicate(expr: Expr) -> Callable[[Row], bool | None]:
    """Compile *expr* into a function returning True, False or None (absent)."""
    return _Compiler({}).predicate(expr)


def compile_value(expr: Expr, aggregates: dict[int, Getter] | None = None) -> Getter:
    """
    Compile *expr* as a column's value: like :func:`compile_expr`, with true/false as 1/0.

    CloudWatch shows a boolean result as a number ("the value of isRes is
    either 0 or 1"), so ``fields ispresent(x) as has | filter has = 1`` works.
    """
    getter = compile_expr(expr, aggregates)
    if not is_boolean(expr):
        return getter

    def number(row: Row) -> int | None:
        value = getter(row)
        return None if value is None else int(value)

    return number


def is_boolean(expr: Expr) -> bool:
    """Whether *expr* gives true, false or absent (a comparison, a test, ``and``…)."""
    if isinstance(expr, Binary):
        return expr.op in ("and", "or") or expr.op in _COMPARE_TESTS
    if isinstance(expr, Unary):
        return expr.op == "not"
    if isinstance(expr, Call):
        return expr.name in _BOOLEAN_CALLS
    return isinstance(expr, (Like, In))


class _Compiler:
    def __init__(self, aggregates: dict[int, Getter]) -> None:
        self.aggregates = aggregates

    def predicate(self, expr: Expr) -> Callable[[Row], bool | None]:
        getter = self.expr(expr)
        if is_boolean(expr):
            return getter

        def test(row: Row) -> bool | None:
            return truth(getter(row))

        return test

    def expr(self, expr: Expr) -> Getter:
        if isinstance(expr, Field):
            return field_getter(expr.name)
        if isinstance(expr, Literal):
            value = expr.value
            return lambda _row: value
        if isinstance(expr, Binary):
            return self.binary(expr)
        if isinstance(expr, Unary):
            return self.unary(expr)
        if isinstance(expr, Like):
            return self.like(expr)
        if isinstance(expr, In):
            return self.membership(expr)
        if isinstance(expr, Call):
            return self.call(expr)
        if isinstance(expr, Agg):
            if id(expr) not in self.aggregates:
                raise QueryError(
                    f"the aggregate function {expr.name}() is only allowed in stats", expr.pos
                )
            return self.aggregates[id(expr)]
        # Periods and regexes only appear where their parent handles them.
        raise QueryError("a time period or regex cannot stand alone here", expr.pos)

    # -- operators ------------------------------------------------------

    def binary(self, expr: Binary) -> Getter:
        op = expr.op
        if op == "and":
            return self.conjunction(self.predicate(expr.left), self.predicate(expr.right))
        if op == "or":
            return self.disjunction(self.predicate(expr.left), self.predicate(expr.right))
        if op in _COMPARE_TESTS:
            return self.comparison(expr)
        return self.arithmetic(op, self.expr(expr.left), self.expr(expr.right))

    @staticmethod
    def conjunction(
        left: Callable[[Row], bool | None], right: Callable[[Row], bool | None]
    ) -> Getter:
        def both(row: Row) -> bool | None:
            a = left(row)
            if a is False:
                return False
            b = right(row)
            if b is False:
                return False
            if a is None or b is None:
                return None
            return True

        return both

    @staticmethod
    def disjunction(
        left: Callable[[Row], bool | None], right: Callable[[Row], bool | None]
    ) -> Getter:
        def either(row: Row) -> bool | None:
            a = left(row)
            if a is True:
                return True
            b = right(row)
            if b is True:
                return True
            if a is None or b is None:
                return None
            return False

        return either

    def comparison(self, expr: Binary) -> Getter:
        op = expr.op
        left, right = expr.left, expr.right
        if isinstance(left, Literal) and not isinstance(right, Literal):
            # "x" = field: compare with the field on the left, the test mirrored.
            left, right = right, left
            op = {"<": ">", "<=": ">=", ">": "<", ">=": "<="}.get(op, op)
        get = self.expr(left)
        if (
            op in ("=", "!=")
            and isinstance(right, Literal)
            and type(right.value) is str
            and as_number(right.value) is None
        ):
            # The common filter (job_id = "…"): a string against a non-numeric
            # string needs no number check.
            literal = right.value
            equal = op == "="

            def match_text(row: Row) -> bool | None:
                value = get(row)
                if value is None:
                    return None
                if type(value) is str:
                    return (value == literal) is equal
                return (compare(value, literal) == 0) is equal

            return match_text
        other = self.expr(right)
        test = _COMPARE_TESTS[op]

        def match(row: Row) -> bool | None:
            a = get(row)
            if a is None:
                return None
            b = other(row)
            if b is None:
                return None
            return test(compare(a, b))

        return match

    @staticmethod
    def arithmetic(op: str, left: Getter, right: Getter) -> Getter:
        operation = ARITHMETIC[op]

        def calculate(row: Row) -> Any:
            a = as_number(left(row))
            if a is None:
                return None
            b = as_number(right(row))
            if b is None:
                return None
            result = operation(a, b)
            if type(result) is float and not math.isfinite(result):
                return None  # an overflow is no number a query can use
            return result

        return calculate

    def unary(self, expr: Unary) -> Getter:
        if expr.op == "not":
            inner = self.predicate(expr.operand)

            def negate(row: Row) -> bool | None:
                value = inner(row)
                return None if value is None else not value

            return negate
        operand = self.expr(expr.operand)

        def minus(row: Row) -> Any:
            number = as_number(operand(row))
            return None if number is None else -number

        return minus

    def like(self, expr: Like) -> Getter:
        get = self.expr(expr.operand)
        pattern = expr.pattern
        keep = not expr.negated
        if isinstance(pattern, Regex):
            search = pattern.pattern.search

            def match_regex(row: Row) -> bool | None:
                value = get(row)
                if value is None:
                    return None
                found = search(value if type(value) is str else text(value)) is not None
                return found is keep

            return match_regex

        def match_substring(row: Row) -> bool | None:
            value = get(row)
            if value is None:
                return None
            return (pattern in (value if type(value) is str else text(value))) is keep

        return match_substring

    def membership(self, expr: In) -> Getter:
        get = self.expr(expr.operand)
        items = [item.value for item in expr.items]
        keep = not expr.negated
        if all(type(item) is str and as_number(item) is None for item in items):
            # Only non-numeric strings: a set lookup on the text form.
            texts = frozenset(items)

            def member_text(row: Row) -> bool | None:
                value = get(row)
                if value is None:
                    return None
                if type(value) is Timestamp:
                    return any(compare(value, item) == 0 for item in items) is keep
                return ((value if type(value) is str else text(value)) in texts) is keep

            return member_text

        def member(row: Row) -> bool | None:
            value = get(row)
            if value is None:
                return None
            return any(compare(value, item) == 0 for item in items) is keep

        return member

    # -- functions ------------------------------------------------------

    def call(self, expr: Call) -> Getter:
        name = expr.name
        if name == "bin":
            return bin_getter(expr.args[0])  # type: ignore[arg-type]  # the parser checked it
        if name in ("datefloor", "dateceil"):
            period: Period = expr.args[1]  # type: ignore[assignment]  # the parser checked it
            return round_time(self.expr(expr.args[0]), period, name == "dateceil")
        args = [self.expr(arg) for arg in expr.args]
        spec = FUNCTIONS[name]
        if spec.build is not None:
            return spec.build(args)
        function: Callable[..., Any] = spec.apply  # type: ignore[assignment]  # set when build is not
        if len(args) == 1:
            only = args[0]

            def call_one(row: Row) -> Any:
                value = only(row)
                return None if value is None else function(value)

            return call_one

        def call_many(row: Row) -> Any:
            values = [arg(row) for arg in args]
            if None in values:
                return None
            return function(*values)

        return call_many
