"""
The evaluator: a parsed query compiled into closures and run over rows.

Expressions compile once into plain functions of a row, so evaluating a
filter costs a few Python calls per line.  Absent values follow SQL's null
logic (decision D6): a comparison, ``like``, ``in``, arithmetic or string
function with an absent operand is absent, ``not`` of absent is absent,
``and``/``or`` are Kleene's, and ``filter`` keeps a row only when its
expression is true.  ``ispresent``, ``isempty``, ``isblank`` and
``coalesce`` are the ways to test for absence.

Ordering follows CloudWatch: rows come in ``@timestamp`` descending order
unless a ``sort`` or ``stats`` says otherwise, so ``limit``, ``dedup`` and
the default limit of 10,000 rows keep the most recent rows.  Commands that do
not need the whole input (``fields``, ``filter``, ``parse``) stream, and
ordering the rest keeps no more rows than the limit.
"""

from __future__ import annotations

import heapq
import itertools
import math
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, Final, TypeAlias

from .errors import QueryError
from .reader import Prefilter, Row, lookup
from .syntax import (
    Agg,
    Binary,
    Call,
    Command,
    Dedup,
    Display,
    Expr,
    Field,
    Fields,
    Filter,
    In,
    Item,
    Like,
    Limit,
    Literal,
    Parse,
    Period,
    Query,
    Regex,
    Sort,
    SortKey,
    Stats,
    Unary,
)
from .values import (
    NUMBER_START,
    Timestamp,
    as_number,
    ceil_time,
    compare,
    floor_time,
    parse_time,
    sort_key,
    text,
)

__all__ = [
    "DEFAULT_LIMIT",
    "Plan",
    "compile_expr",
    "compile_predicate",
    "derive_prefilter",
    "field_getter",
    "glob_regex",
    "group_value",
    "truth",
]

#: Rows a query returns when it has no ``limit`` (CloudWatch's current default).
DEFAULT_LIMIT: Final = 10_000

Getter: TypeAlias = Callable[[Row], Any]

# Characters a number's text form can contain: a literal made only of these
# might equal a number, so the text pre-filter cannot rule a line out by it.
_NUMBER_CHARS: Final = frozenset("0123456789+-.eEinf")


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
            if extra is not None and name in extra:
                return extra[name]
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
_BOOLEAN_CALLS: Final = frozenset(("ispresent", "isempty", "isblank"))
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


def _is_boolean(expr: Expr) -> bool:
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
        if _is_boolean(expr):
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
            # string needs no number check (D5).
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
        operation = _ARITHMETIC[op]

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
            # Only non-numeric strings: a set lookup on the text form (D5).
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
            return _bin(expr.args[0])  # type: ignore[arg-type]  # the parser checked it
        if name in ("datefloor", "dateceil"):
            period: Period = expr.args[1]  # type: ignore[assignment]  # the parser checked it
            return _round_time(self.expr(expr.args[0]), period, name == "dateceil")
        args = [self.expr(arg) for arg in expr.args]
        if name in _NULL_AWARE:
            return _NULL_AWARE[name](args)
        function = _SCALAR_FUNCTIONS[name]
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


_ARITHMETIC: Final[dict[str, Callable[[Any, Any], Any]]] = {
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


_NULL_AWARE: Final[dict[str, Callable[[list[Getter]], Getter]]] = {
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


_SCALAR_FUNCTIONS: Final[dict[str, Callable[..., Any]]] = {
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


def _bin(period: Period) -> Getter:
    count, unit = period.count, period.unit

    def binned(row: Row) -> Timestamp | None:
        when = row.timestamp
        return None if when is None else floor_time(when, count, unit)

    return binned


def _round_time(get: Getter, period: Period, up: bool) -> Getter:
    count, unit = period.count, period.unit
    rounding = ceil_time if up else floor_time

    def rounded(row: Row) -> Timestamp | None:
        when = parse_time(get(row))
        return None if when is None else rounding(when, count, unit)

    return rounded


# --------------------------------------------------------------------------
# Aggregates
# --------------------------------------------------------------------------


class _Aggregate:
    """One aggregate's running state for one group."""

    __slots__ = ("get",)

    def __init__(self, get: Getter) -> None:
        self.get = get

    def add(self, row: Row) -> None:
        raise NotImplementedError

    def result(self) -> Any:
        raise NotImplementedError


class _Count(_Aggregate):
    __slots__ = ("n",)

    def __init__(self, get: Getter) -> None:
        super().__init__(get)
        self.n = 0

    def add(self, row: Row) -> None:
        if self.get(row) is not None:
            self.n += 1

    def result(self) -> Any:
        return self.n


class _CountDistinct(_Aggregate):
    __slots__ = ("seen",)

    def __init__(self, get: Getter) -> None:
        super().__init__(get)
        self.seen: set[object] = set()

    def add(self, row: Row) -> None:
        value = self.get(row)
        if value is not None:
            self.seen.add(group_value(value))

    def result(self) -> Any:
        return len(self.seen)


class _Sum(_Aggregate):
    __slots__ = ("n", "total")

    def __init__(self, get: Getter) -> None:
        super().__init__(get)
        self.total: float = 0
        self.n = 0

    def add(self, row: Row) -> None:
        number = as_number(self.get(row))
        if number is not None:
            self.total += number
            self.n += 1

    def result(self) -> Any:
        return self.total if self.n else None


class _Avg(_Sum):
    __slots__ = ()

    def result(self) -> Any:
        return self.total / self.n if self.n else None


class _Min(_Aggregate):
    __slots__ = ("best",)
    sign = -1

    def __init__(self, get: Getter) -> None:
        super().__init__(get)
        self.best: float | None = None

    def add(self, row: Row) -> None:
        number = as_number(self.get(row))
        if number is not None and (self.best is None or (number - self.best) * self.sign > 0):
            self.best = number

    def result(self) -> Any:
        return self.best


class _Max(_Min):
    __slots__ = ()
    sign = 1


class _Stddev(_Aggregate):
    """Sample standard deviation, by Welford's running method."""

    __slots__ = ("m2", "mean", "n")

    def __init__(self, get: Getter) -> None:
        super().__init__(get)
        self.n = 0
        self.mean = 0.0
        self.m2 = 0.0

    def add(self, row: Row) -> None:
        number = as_number(self.get(row))
        if number is not None:
            self.n += 1
            delta = number - self.mean
            self.mean += delta / self.n
            self.m2 += delta * (number - self.mean)

    def result(self) -> Any:
        if self.n == 0:
            return None
        return math.sqrt(self.m2 / (self.n - 1)) if self.n > 1 else 0.0


class _Percentile(_Aggregate):
    """The nearest-rank percentile: the smallest value with p% of the values at or below it."""

    __slots__ = ("percent", "values")

    def __init__(self, get: Getter, percent: float) -> None:
        super().__init__(get)
        self.percent = percent
        self.values: list[float] = []

    def add(self, row: Row) -> None:
        number = as_number(self.get(row))
        if number is not None:
            self.values.append(number)

    def result(self) -> Any:
        if not self.values:
            return None
        values = sorted(self.values)
        rank = math.ceil(self.percent / 100 * len(values))
        return values[max(rank, 1) - 1]


class _Earliest(_Aggregate):
    """The value from the row with the earliest ``@timestamp`` (input order breaks ties)."""

    __slots__ = ("key", "value")
    latest = False

    def __init__(self, get: Getter) -> None:
        super().__init__(get)
        self.key: tuple[bool, float, int] | None = None
        self.value: Any = None

    def add(self, row: Row) -> None:
        value = self.get(row)
        if value is None:
            return
        when = row.timestamp
        if self.latest:
            key = (when is not None, when or 0.0, row.seq)
            better = self.key is None or key > self.key
        else:
            key = (when is None, when or 0.0, row.seq)
            better = self.key is None or key < self.key
        if better:
            self.key = key
            self.value = value

    def result(self) -> Any:
        return self.value


class _Latest(_Earliest):
    __slots__ = ()
    latest = True


_AGGREGATES: Final[dict[str, type[_Aggregate]]] = {
    "count": _Count,
    "count_distinct": _CountDistinct,
    "sum": _Sum,
    "avg": _Avg,
    "min": _Min,
    "max": _Max,
    "stddev": _Stddev,
    "earliest": _Earliest,
    "latest": _Latest,
}


def _aggregate_factory(node: Agg) -> Callable[[], _Aggregate]:
    get = compile_expr(node.args[0])
    if node.name == "pct":
        percent = float(node.args[1].value)  # type: ignore[union-attr]  # a Literal number
        return lambda: _Percentile(get, percent)
    cls = _AGGREGATES[node.name]
    return lambda: cls(get)


def _collect_aggregates(expr: Expr, found: list[Agg]) -> None:
    if isinstance(expr, Agg):
        found.append(expr)
    elif isinstance(expr, Unary):
        _collect_aggregates(expr.operand, found)
    elif isinstance(expr, Binary):
        _collect_aggregates(expr.left, found)
        _collect_aggregates(expr.right, found)
    elif isinstance(expr, (Like, In)):
        _collect_aggregates(expr.operand, found)
    elif isinstance(expr, Call):
        for arg in expr.args:
            _collect_aggregates(arg, found)


class _Group:
    """One group of ``stats``: its key values, its row count and its other aggregates."""

    __slots__ = ("aggregates", "count", "values")

    def __init__(self, values: list[Any], aggregates: list[_Aggregate]) -> None:
        self.values = values
        self.aggregates = aggregates
        self.count = 0


class _StatsStep:
    """``stats``: group rows by the ``by`` items and aggregate each group."""

    def __init__(self, command: Stats) -> None:
        self.by_names = [item.name for item in command.by]
        self.by_getters = [compile_expr(item.expr) for item in command.by]
        nodes: list[Agg] = []
        for item in command.items:
            _collect_aggregates(item.expr, nodes)
        # count(*) is the group's row count; the other aggregates see each row.
        self.counted = [node.star for node in nodes]
        self.factories = [_aggregate_factory(node) for node in nodes if not node.star]
        # Each aggregate's result goes into a slot of a scratch row, and each
        # item is an expression over the slots (most are one slot: count(*)).
        self.slot_names = [f"@agg{index}" for index in range(len(nodes))]
        slots = {
            id(node): field_getter(name) for node, name in zip(nodes, self.slot_names, strict=True)
        }
        self.items = [(item.name, compile_expr(item.expr, slots)) for item in command.items]

    def run(self, rows: Iterable[Row]) -> list[Row]:
        groups: dict[Any, _Group] = {}
        factories = self.factories
        getters = self.by_getters
        first = getters[0] if len(getters) == 1 else None
        for row in rows:
            # The common case, one key whose value is plain text, is inlined.
            if first is not None:
                value = first(row)
                if type(value) is str and value[:1] not in NUMBER_START:
                    key: Any = value
                else:
                    key = group_value(value)
            else:
                key = tuple(group_value(get(row)) for get in getters)
            group = groups.get(key)
            if group is None:
                values = [value] if first is not None else [get(row) for get in getters]
                group = groups[key] = _Group(values, [factory() for factory in factories])
            group.count += 1
            for aggregate in group.aggregates:
                aggregate.add(row)
        if not groups and not getters:
            groups[()] = _Group([], [factory() for factory in factories])
        ordered = sorted(groups.values(), key=lambda group: _group_order(group.values))
        return [self.row(group, seq) for seq, group in enumerate(ordered)]

    def row(self, group: _Group, seq: int) -> Row:
        out: dict[str, Any] = dict(zip(self.by_names, group.values, strict=True))
        others = iter(group.aggregates)
        results = {
            name: group.count if counted else next(others).result()
            for name, counted in zip(self.slot_names, self.counted, strict=True)
        }
        scratch = Row(None, {}, None, seq, results)
        for name, expression in self.items:
            out[name] = expression(scratch)
        return Row(None, {}, None, seq, out)


def _group_order(values: list[Any]) -> tuple[Any, ...]:
    return tuple((1, 0) if value is None else (0, sort_key(value)) for value in values)


# --------------------------------------------------------------------------
# Order
# --------------------------------------------------------------------------


class _Descending:
    """Reverses the order of a text sort key (numbers are negated instead)."""

    __slots__ = ("key",)

    def __init__(self, key: object) -> None:
        self.key = key

    def __lt__(self, other: _Descending) -> bool:
        return other.key < self.key  # type: ignore[operator, no-any-return]

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Descending) and self.key == other.key

    __hash__ = None  # type: ignore[assignment]


def _order_key(keys: Sequence[tuple[Getter, bool]]) -> Callable[[Row], tuple[Any, ...]]:
    """
    The sort key of a row for *keys* (getter, descending) in natural order (D10).

    Absent values go last whatever the direction.  Ties keep the merged
    input order (``@timestamp``, then position), reversed when the first key
    is descending, so ``desc`` is the exact reverse of ``asc`` and
    ``sort @timestamp desc`` the exact reverse of the log.
    """
    reverse = bool(keys) and keys[0][1]

    def key(row: Row) -> tuple[Any, ...]:
        parts: list[Any] = []
        for get, descending in keys:
            value = get(row)
            if value is None:
                parts.append((1, 0, 0))
                continue
            kind, natural = sort_key(value)
            if not descending:
                parts.append((0, kind, natural))
            elif kind == 1:
                parts.append((0, -1, -natural))  # type: ignore[operator]
            else:
                parts.append((0, 0, _Descending(natural)))
        when = row.timestamp
        if when is None:
            parts.append((1, 0.0, -row.seq if reverse else row.seq))
        elif reverse:
            parts.append((0, -when, -row.seq))
        else:
            parts.append((0, when, row.seq))
        return tuple(parts)

    return key


_TIMESTAMP_DESC: Final = _order_key([(field_getter("@timestamp"), True)])


# --------------------------------------------------------------------------
# The plan
# --------------------------------------------------------------------------


class Plan:
    """
    A query compiled for running: its steps, its columns and its text pre-filter.

    Args:
        query: the parsed query.
        default_limit: the rows returned when the query has no ``limit``.
    """

    def __init__(self, query: Query, *, default_limit: int = DEFAULT_LIMIT) -> None:
        self.query = query
        self.default_limit = default_limit
        # CloudWatch's default limit applies when the query has none of its own.
        limited = any(isinstance(command, Limit) for command in query.commands)
        self._final_limit = None if limited else default_limit
        self.columns = _columns(query.commands)
        self.prefilter = derive_prefilter(query.commands)
        self._steps = _compile_steps(query.commands, self._final_limit)
        self._getters = [(name, field_getter(name)) for name in self.columns]

    def run(self, rows: Iterable[Row]) -> list[Row]:
        """The result rows of the query over *rows*, in order."""
        stream: Iterable[Row] = rows
        ordered = False
        for step in self._steps:
            stream, ordered = step(stream, ordered)
        if ordered:
            return list(itertools.islice(stream, self._final_limit))
        # Without any order-giving command there was no limit either.
        return heapq.nsmallest(self.default_limit, stream, key=_TIMESTAMP_DESC)

    def values(self, row: Row) -> dict[str, Any]:
        """The row's values by column, absent columns left out."""
        out = {}
        for name, get in self._getters:
            value = get(row)
            if value is not None:
                out[name] = value
        return out


Step: TypeAlias = Callable[[Iterable[Row], bool], tuple[Iterable[Row], bool]]


def _compile_steps(commands: Sequence[Command], final_limit: int | None) -> list[Step]:
    steps: list[Step] = []
    skip_next = False
    for index, command in enumerate(commands):
        if skip_next:
            skip_next = False
            continue
        following = commands[index + 1] if index + 1 < len(commands) else None
        if isinstance(command, Filter):
            steps.append(_filter_step(command))
        elif isinstance(command, Fields):
            steps.append(_fields_step(command.items))
        elif isinstance(command, Parse):
            steps.append(_parse_step(command))
        elif isinstance(command, Stats):
            steps.append(_stats_step(command))
        elif isinstance(command, Sort):
            top = None
            if isinstance(following, Limit):
                top = following.count
                skip_next = True
            elif following is None:
                top = final_limit
            steps.append(_sort_step(command.keys, top))
        elif isinstance(command, Limit):
            steps.append(_limit_step(command.count))
        elif isinstance(command, Dedup):
            steps.append(_dedup_step(command.names))
        # display only chooses columns
    return steps


def _filter_step(command: Filter) -> Step:
    test = compile_predicate(command.expr)

    def step(rows: Iterable[Row], ordered: bool) -> tuple[Iterable[Row], bool]:
        return (row for row in rows if test(row) is True), ordered

    return step


def _stats_step(command: Stats) -> Step:
    stats = _StatsStep(command)

    def step(rows: Iterable[Row], _ordered: bool) -> tuple[Iterable[Row], bool]:
        return stats.run(rows), True

    return step


def _fields_step(items: Sequence[Item]) -> Step:
    computed = [
        (item.name, compile_expr(item.expr))
        for item in items
        if not (isinstance(item.expr, Field) and item.alias is None)
    ]

    def assign(rows: Iterable[Row]) -> Iterator[Row]:
        for row in rows:
            extra = row.extra
            if extra is None:
                extra = row.extra = {}
            for name, get in computed:
                extra[name] = get(row)
            yield row

    def step(rows: Iterable[Row], ordered: bool) -> tuple[Iterable[Row], bool]:
        return (assign(rows) if computed else rows), ordered

    return step


def glob_regex(pattern: str) -> re.Pattern[str]:
    """
    The regex of a ``parse`` glob (D12): unanchored, each ``*`` lazy, a final ``*`` to the end.
    """
    parts = pattern.split("*")
    regex = re.escape(parts[0])
    for index, part in enumerate(parts[1:], start=1):
        last = index == len(parts) - 1
        regex += ("(.*)" if last and not part else "(.*?)") + re.escape(part)
    return re.compile(regex, re.DOTALL)


def _parse_step(command: Parse) -> Step:
    source = (
        compile_expr(command.source) if command.source is not None else field_getter("@message")
    )
    names = command.names
    if isinstance(command.pattern, Regex):
        regex = command.pattern.pattern
        groups: Sequence[str | int] = names
    else:
        regex = glob_regex(command.pattern)
        groups = range(1, len(names) + 1)
    pairs = list(zip(names, groups, strict=True))

    def extract(rows: Iterable[Row]) -> Iterator[Row]:
        for row in rows:
            extra = row.extra
            if extra is None:
                extra = row.extra = {}
            value = source(row)
            found = None if value is None else regex.search(text(value))
            for name, group in pairs:
                extra[name] = found.group(group) if found is not None else None
            yield row

    def step(rows: Iterable[Row], ordered: bool) -> tuple[Iterable[Row], bool]:
        return extract(rows), ordered

    return step


def _sort_step(keys: Sequence[SortKey], top: int | None) -> Step:
    order = _order_key([(field_getter(key.field.name), key.descending) for key in keys])

    def step(rows: Iterable[Row], _ordered: bool) -> tuple[Iterable[Row], bool]:
        if top is None:
            return sorted(rows, key=order), True
        return heapq.nsmallest(top, rows, key=order), True

    return step


def _limit_step(count: int) -> Step:
    def step(rows: Iterable[Row], ordered: bool) -> tuple[Iterable[Row], bool]:
        if ordered:
            return itertools.islice(rows, count), True
        return heapq.nsmallest(count, rows, key=_TIMESTAMP_DESC), True

    return step


def _dedup_step(names: Sequence[Field]) -> Step:
    getters = [field_getter(name.name) for name in names]

    def unique(rows: Iterable[Row]) -> Iterator[Row]:
        seen: set[tuple[object, ...]] = set()
        for row in rows:
            values = tuple(group_value(get(row)) for get in getters)
            if None in values:
                yield row  # D13: absent values are never duplicates
            elif values not in seen:
                seen.add(values)
                yield row

    def step(rows: Iterable[Row], ordered: bool) -> tuple[Iterable[Row], bool]:
        if not ordered:
            rows = sorted(rows, key=_TIMESTAMP_DESC)
        return unique(rows), True

    return step


# --------------------------------------------------------------------------
# Columns
# --------------------------------------------------------------------------


def _columns(commands: Sequence[Command]) -> list[str]:
    """
    The output columns (D7): the last ``display``, else the ``stats`` columns
    and the ``fields`` after them, else the union of all ``fields``, else
    ``@timestamp`` and ``@message``.
    """
    fields: list[str] = []
    display: list[str] | None = None
    stats: list[str] | None = None
    for command in commands:
        if isinstance(command, Fields):
            fields.extend(item.name for item in command.items)
        elif isinstance(command, Display):
            display = [name.name for name in command.names]
        elif isinstance(command, Stats):
            stats = [item.name for item in command.by] + [item.name for item in command.items]
            fields = []
            display = None
    if display is not None:
        chosen = display
    elif stats is not None:
        chosen = stats + fields
    else:
        chosen = fields or ["@timestamp", "@message"]
    return list(dict.fromkeys(chosen))


# --------------------------------------------------------------------------
# The text pre-filter
# --------------------------------------------------------------------------


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
        elif isinstance(command, Fields):
            created.update(
                item.name
                for item in command.items
                if item.alias is not None or not isinstance(item.expr, Field)
            )
        elif not isinstance(command, Display):
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
