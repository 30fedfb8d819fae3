"""
``stats``: grouping rows and the aggregate functions.

``count(*)`` is each group's row count; every other aggregate keeps a small
running state per group (``pct`` keeps the values).  Groups come out in the
natural order of their keys, the group of rows without a key last.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Final

from .expressions import compile_expr, compile_value, field_getter, group_value
from .reader import Getter, Row
from .syntax import Agg, Expr, Stats, children
from .values import NUMBER_START, as_number, sort_key

__all__ = ["AGGREGATES", "AggregateSpec", "StatsStep"]


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


class _SortsFirst(_Aggregate):
    """``sortsFirst``: the value that comes first in ``sort``'s natural order."""

    __slots__ = ("best", "key")
    sign = -1

    def __init__(self, get: Getter) -> None:
        super().__init__(get)
        self.key: tuple[int, Any] | None = None
        self.best: Any = None

    def add(self, row: Row) -> None:
        value = self.get(row)
        if value is None:
            return
        key = sort_key(value)
        if self.key is None or (key < self.key if self.sign < 0 else key > self.key):
            self.key = key
            self.best = value

    def result(self) -> Any:
        return self.best


class _SortsLast(_SortsFirst):
    __slots__ = ()
    sign = 1


@dataclass(frozen=True)
class AggregateSpec:
    """One aggregate function of ``stats``: its argument counts and its running state."""

    low: int
    high: int
    state: type[_Aggregate] | None = None  # None: count(*) or pct, built specially


#: Every aggregate function by lower-case name: its arity and implementation.
AGGREGATES: Final[dict[str, AggregateSpec]] = {
    "count": AggregateSpec(0, 1, _Count),
    "count_distinct": AggregateSpec(1, 1, _CountDistinct),
    "sum": AggregateSpec(1, 1, _Sum),
    "avg": AggregateSpec(1, 1, _Avg),
    "min": AggregateSpec(1, 1, _Min),
    "max": AggregateSpec(1, 1, _Max),
    "pct": AggregateSpec(2, 2),
    "stddev": AggregateSpec(1, 1, _Stddev),
    "earliest": AggregateSpec(1, 1, _Earliest),
    "latest": AggregateSpec(1, 1, _Latest),
    "sortsfirst": AggregateSpec(1, 1, _SortsFirst),
    "sortslast": AggregateSpec(1, 1, _SortsLast),
}


def _aggregate_factory(node: Agg) -> Callable[[], _Aggregate]:
    get = compile_expr(node.args[0])
    if node.name == "pct":
        percent = float(node.args[1].value)  # type: ignore[union-attr]  # a Literal number
        return lambda: _Percentile(get, percent)
    cls: type[_Aggregate] = AGGREGATES[node.name].state  # type: ignore[assignment]  # set but for pct
    return lambda: cls(get)


def _collect_aggregates(expr: Expr, found: list[Agg]) -> None:
    if isinstance(expr, Agg):
        found.append(expr)
        return
    for child in children(expr):
        _collect_aggregates(child, found)


class _Group:
    """One group of ``stats``: its key values, its row count and its other aggregates."""

    __slots__ = ("aggregates", "count", "values")

    def __init__(self, values: list[Any], aggregates: list[_Aggregate]) -> None:
        self.values = values
        self.aggregates = aggregates
        self.count = 0


class StatsStep:
    """
    ``stats``: group rows by the ``by`` items and aggregate each group.

    Args:
        command: the parsed ``stats`` command.
    """

    def __init__(self, command: Stats) -> None:
        self.by_names = [item.name for item in command.by]
        self.by_getters = [compile_value(item.expr) for item in command.by]
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
        self.items = [(item.name, compile_value(item.expr, slots)) for item in command.items]

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
            # A later item may use an earlier one's name (hi - lo as spread).
            out[name] = results[name] = expression(scratch)
        return Row(None, {}, None, seq, out)


def _group_order(values: list[Any]) -> tuple[Any, ...]:
    return tuple((1, 0) if value is None else (0, sort_key(value)) for value in values)
