"""
``stats``: grouping rows and the aggregate functions.

``count(*)`` is each group's row count; every other aggregate keeps a small
running state per group (``pct`` keeps the values).  Groups come out in the
natural order of their keys, the group of rows without a key last.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Final, TypeAlias

from .expressions import compile_expr, compile_value, event_getter, field_getter, group_value
from .reader import Row
from .syntax import Agg, Expr, Field, Stats, children
from .values import NUMBER_START, as_number, sort_key

__all__ = ["AGGREGATES", "AggregateSpec", "StatsStep"]


#: What an aggregate reads its argument from: a row, or a line's event (see ``run_events``).
Source: TypeAlias = "Callable[[Any], Any]"


class _Aggregate:
    """One aggregate's running state for one group, fed rows (or events: see ``run_events``)."""

    __slots__ = ("get",)

    def __init__(self, get: Source) -> None:
        self.get = get

    def add(self, row: Any) -> None:
        raise NotImplementedError

    def result(self) -> Any:
        raise NotImplementedError


class _Count(_Aggregate):
    __slots__ = ("n",)

    def __init__(self, get: Source) -> None:
        super().__init__(get)
        self.n = 0

    def add(self, row: Any) -> None:
        if self.get(row) is not None:
            self.n += 1

    def result(self) -> Any:
        return self.n


class _CountDistinct(_Aggregate):
    __slots__ = ("seen",)

    def __init__(self, get: Source) -> None:
        super().__init__(get)
        self.seen: set[object] = set()

    def add(self, row: Any) -> None:
        value = self.get(row)
        if value is not None:
            self.seen.add(group_value(value))

    def result(self) -> Any:
        return len(self.seen)


class _Sum(_Aggregate):
    __slots__ = ("n", "total")

    def __init__(self, get: Source) -> None:
        super().__init__(get)
        self.total: float = 0
        self.n = 0

    def add(self, row: Any) -> None:
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

    def __init__(self, get: Source) -> None:
        super().__init__(get)
        self.best: float | None = None

    def add(self, row: Any) -> None:
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

    def __init__(self, get: Source) -> None:
        super().__init__(get)
        self.n = 0
        self.mean = 0.0
        self.m2 = 0.0

    def add(self, row: Any) -> None:
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

    def __init__(self, get: Source, percent: float) -> None:
        super().__init__(get)
        self.percent = percent
        self.values: list[float] = []

    def add(self, row: Any) -> None:
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

    def __init__(self, get: Source) -> None:
        super().__init__(get)
        self.key: tuple[bool, float, int] | None = None
        self.value: Any = None

    def add(self, row: Any) -> None:
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

    def __init__(self, get: Source) -> None:
        super().__init__(get)
        self.key: tuple[int, Any] | None = None
        self.best: Any = None

    def add(self, row: Any) -> None:
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


#: The aggregates that read a row's time and position, not only their argument.
_TIMED: Final = frozenset({"earliest", "latest"})


def _aggregate_factory(node: Agg, get: Source) -> Callable[[], _Aggregate]:
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
        arguments = [node for node in nodes if not node.star]
        self.factories = [
            _aggregate_factory(node, compile_expr(node.args[0])) for node in arguments
        ]
        self.event_getters: list[Source] | None = None
        self.event_factories: list[Callable[[], _Aggregate]] = []
        by_events = [get for item in command.by if (get := event_getter(item.expr))]
        argument_events = [get for node in arguments if (get := event_getter(node.args[0]))]
        # earliest and latest read @timestamp and the position: they need rows.
        if (
            len(by_events) == len(command.by)
            and len(argument_events) == len(arguments)
            and not _TIMED.intersection(node.name for node in arguments)
        ):
            self.event_getters = by_events
            self.event_factories = [
                _aggregate_factory(node, get)
                for node, get in zip(arguments, argument_events, strict=True)
            ]
        # The most common stats of all, count(*) by one key, has a loop of its own.
        self.count_only = len(command.by) == 1 and not self.factories
        expr = command.by[0].expr if len(command.by) == 1 else None
        #: The JSON key of the one ``by`` field, when it is a plain top-level key.
        self.by_key: str | None = None
        if isinstance(expr, Field) and not expr.name.startswith("@") and "." not in expr.name:
            self.by_key = expr.name
        # Each aggregate's result goes into a slot of a scratch row, and each
        # item is an expression over the slots (most are one slot: count(*)).
        self.slot_names = [f"@agg{index}" for index in range(len(nodes))]
        slots = {
            id(node): field_getter(name) for node, name in zip(nodes, self.slot_names, strict=True)
        }
        self.items = [(item.name, compile_value(item.expr, slots)) for item in command.items]

    def run(self, rows: Iterable[Row]) -> list[Row]:
        """The result rows over *rows*: one per group, in the groups' order."""
        if self.count_only:
            return self._results(self._count(map(self.by_getters[0], rows)))
        return self._results(self._groups(rows, self.by_getters, self.factories))

    def run_events(self, batches: Iterable[list[dict[str, Any]]]) -> list[Row]:
        """
        The result rows over the lines' events, when ``event_getters`` is set.

        Every value ``stats`` reads is then one of the line's own fields, so
        the scan's events stand for its rows (no row object, no raw line):
        the same groups and values as :meth:`run` over those rows.
        """
        getters = self.event_getters
        assert getters is not None, "run_events needs stats over the lines' own fields"
        events = itertools.chain.from_iterable(batches)
        if self.count_only and self.by_key is not None:
            # dict.get mapped in C: one lookup per line, no Python call.
            values = map(dict.get, events, itertools.repeat(self.by_key))
            return self._results(self._count(values, structures=True))
        return self._results(self._groups(events, getters, self.event_factories))

    def _count(self, values: Iterable[Any], *, structures: bool = False) -> dict[Any, _Group]:
        """The groups of one key's *values* when ``count(*)`` is all there is to compute."""
        groups: dict[Any, _Group] = {}
        for value in values:
            if type(value) is str and value[:1] not in NUMBER_START:
                key: Any = value
            else:
                if structures and (type(value) is dict or type(value) is list):
                    value = None  # an object or an array is no value: the field is absent
                key = group_value(value)
            group = groups.get(key)
            if group is None:
                group = groups[key] = _Group([value], [])
            group.count += 1
        return groups

    def _groups(
        self,
        items: Iterable[Any],
        getters: Sequence[Source],
        factories: Sequence[Callable[[], _Aggregate]],
    ) -> dict[Any, _Group]:
        groups: dict[Any, _Group] = {}
        first = getters[0] if len(getters) == 1 else None
        for item in items:
            # The common case, one key whose value is plain text, is inlined.
            if first is not None:
                value = first(item)
                if type(value) is str and value[:1] not in NUMBER_START:
                    key: Any = value
                else:
                    key = group_value(value)
            else:
                key = tuple(group_value(get(item)) for get in getters)
            group = groups.get(key)
            if group is None:
                values = [value] if first is not None else [get(item) for get in getters]
                group = groups[key] = _Group(values, [factory() for factory in factories])
            group.count += 1
            for aggregate in group.aggregates:
                aggregate.add(item)
        if not groups and not getters:
            groups[()] = _Group([], [factory() for factory in factories])
        return groups

    def _results(self, groups: dict[Any, _Group]) -> list[Row]:
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
