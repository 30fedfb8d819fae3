"""
Running a query: its steps, their order, the columns and the default limit.

Ordering follows CloudWatch: rows come in ``@timestamp`` descending order
unless a ``sort`` or ``stats`` says otherwise, so ``limit``, ``dedup`` and
the default limit of 10,000 rows keep the most recent rows.  Commands that do
not need the whole input (``fields``, ``filter``, ``parse``) stream, and
ordering the rest keeps no more rows than the limit.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, Final, TypeAlias

from .aggregates import StatsStep
from .expressions import compile_expr, compile_predicate, compile_value, field_getter, group_value
from .prefilter import derive_prefilter
from .reader import Getter, Row, lookup
from .syntax import (
    Command,
    Dedup,
    Display,
    Field,
    Fields,
    Filter,
    Item,
    Limit,
    Parse,
    Query,
    Regex,
    Sort,
    SortKey,
    Stats,
    Unnest,
)
from .values import sort_key, text

__all__ = ["DEFAULT_LIMIT", "Glob", "Plan"]

#: Rows a query returns when it has no ``limit`` (CloudWatch's current default).
DEFAULT_LIMIT: Final = 10_000


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
    The sort key of a row for *keys* (getter, descending) in natural order.

    Absent values go last whatever the direction.  Ties keep the merged
    input order (``@timestamp``, then position), reversed when the first key
    is descending, so ``desc`` is the exact reverse of ``asc`` and
    ``sort @timestamp desc`` the exact reverse of the log.
    """
    reverse = bool(keys) and keys[0][1]

    def key(row: Row) -> tuple[Any, ...]:
        parts = [_key_part(get(row), descending) for get, descending in keys]
        when = row.timestamp
        if when is None:
            parts.append((1, 0.0, -row.seq if reverse else row.seq))
        elif reverse:
            parts.append((0, -when, -row.seq))
        else:
            parts.append((0, when, row.seq))
        return tuple(parts)

    return key


def _key_part(value: Any, descending: bool) -> tuple[Any, ...]:
    """One sort key's part of a row's order key (see :func:`_order_key`)."""
    if value is None:
        return (1, 0, 0)
    kind, natural = sort_key(value)
    if not descending:
        return (0, kind, natural)
    if kind == 1:
        return (0, -1, -natural)  # type: ignore[operator]
    return (0, 0, _Descending(natural))


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
        first = query.commands[0] if query.commands else None
        self._leading_stats = None
        if isinstance(first, Stats):
            stats = StatsStep(first)
            if stats.event_getters is not None:
                self._leading_stats = stats

    @property
    def reads_events(self) -> bool:
        """
        Whether :meth:`run_events` can run the query.

        It can when the query starts with ``stats`` over the lines' own
        fields: that needs no row per line, only the events (see
        :func:`~joblog.cli.reader.scan_events`), which is much faster.
        """
        return self._leading_stats is not None

    def run(self, rows: Iterable[Row]) -> list[Row]:
        """The result rows of the query over *rows*, in order."""
        return self._finish(rows, self._steps, ordered=False)

    def run_events(self, batches: Iterable[list[dict[str, Any]]]) -> list[Row]:
        """The result rows over the lines' events, when :attr:`reads_events`: as :meth:`run`'s."""
        stats = self._leading_stats
        assert stats is not None, "run_events needs a query starting with stats over fields"
        return self._finish(stats.run_events(batches), self._steps[1:], ordered=True)

    def _finish(self, rows: Iterable[Row], steps: Sequence[Step], *, ordered: bool) -> list[Row]:
        stream = rows
        for step in steps:
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
        elif isinstance(command, Unnest):
            steps.append(_unnest_step(command))
        else:  # display chooses the columns, and computes those it names with an expression
            steps.append(_fields_step(command.items))
    return steps


def _filter_step(command: Filter) -> Step:
    test = compile_predicate(command.expr)

    def step(rows: Iterable[Row], ordered: bool) -> tuple[Iterable[Row], bool]:
        return (row for row in rows if test(row) is True), ordered

    return step


def _stats_step(command: Stats) -> Step:
    stats = StatsStep(command)

    def step(rows: Iterable[Row], _ordered: bool) -> tuple[Iterable[Row], bool]:
        return stats.run(rows), True

    return step


def _fields_step(items: Sequence[Item]) -> Step:
    computed = [
        (item.name, compile_value(item.expr))
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


class Glob:
    """
    A ``parse`` glob, matched in linear time.

    The glob is unanchored at the start, each ``*`` is lazy (it stops at the
    first place the next literal text occurs) and a final ``*`` runs to the
    end, as in CloudWatch's example (``"[*] * The error was: *"``).  Finding
    each literal with ``str.find`` after the previous one gives the same
    captures as the regex ``lit(.*?)lit…`` would, without a regex search
    retrying every start offset (quadratic on a long line that does not
    match a glob starting with ``*``).

    Args:
        pattern: the glob, ``*`` standing for each captured field.
    """

    __slots__ = ("literals",)

    def __init__(self, pattern: str) -> None:
        self.literals = pattern.split("*")

    def match(self, value: str) -> list[str] | None:
        """The captured texts, one per ``*``, or ``None`` when *value* does not match."""
        literals = self.literals
        first = literals[0]
        start = value.find(first)
        if start < 0:
            return None
        position = start + len(first)
        captures: list[str] = []
        last = len(literals) - 1
        for index in range(1, last + 1):
            literal = literals[index]
            if index == last and not literal:
                captures.append(value[position:])
                return captures
            found = value.find(literal, position)
            if found < 0:
                return None
            captures.append(value[position:found])
            position = found + len(literal)
        return captures


def _parse_step(command: Parse) -> Step:
    source = (
        compile_expr(command.source) if command.source is not None else field_getter("@message")
    )
    names = command.names
    if isinstance(command.pattern, Regex):
        search = command.pattern.pattern.search

        def capture(value: str) -> Sequence[str | None] | None:
            found = search(value)
            return None if found is None else [found.group(name) for name in names]

    else:
        capture = Glob(command.pattern).match
    absent = [None] * len(names)

    def extract(rows: Iterable[Row]) -> Iterator[Row]:
        for row in rows:
            extra = row.extra
            if extra is None:
                extra = row.extra = {}
            value = source(row)
            found = None if value is None else capture(text(value))
            extra.update(zip(names, absent if found is None else found, strict=True))
            yield row

    def step(rows: Iterable[Row], ordered: bool) -> tuple[Iterable[Row], bool]:
        return extract(rows), ordered

    return step


def _unnest_step(command: Unnest) -> Step:
    path = command.source.name
    name = command.name
    get = field_getter(path)

    def items(row: Row) -> list[Any]:
        # The list itself, not its leaves: created maps and lists first, then the line's JSON.
        extra = row.extra
        value = None
        if extra is not None:
            value = extra.get(path)
            if value is None:
                value = lookup(extra, path, structures=True)
        if value is None:
            value = lookup(row.data, path.removeprefix("@@"), structures=True)
        if value is None:
            value = get(row)
        if value is None:
            return []
        return value if type(value) is list else [value]

    def expand(rows: Iterable[Row]) -> Iterator[Row]:
        for row in rows:
            for item in items(row):
                extra = dict(row.extra) if row.extra is not None else {}
                extra[name] = item
                yield Row(row.raw, row.data, row.source, row.seq, extra)

    def step(rows: Iterable[Row], ordered: bool) -> tuple[Iterable[Row], bool]:
        return expand(rows), ordered

    return step


class _Largest:
    """A heap entry ordered in reverse, so ``heapq``'s smallest is the largest kept key."""

    __slots__ = ("key", "row")

    def __init__(self, key: tuple[Any, ...], row: Row) -> None:
        self.key = key
        self.row = row

    def __lt__(self, other: _Largest) -> bool:
        return bool(other.key < self.key)


def smallest(
    rows: Iterable[Row],
    top: int,
    order: Callable[[Row], tuple[Any, ...]],
    first: Getter,
    descending: bool = False,
) -> list[Row]:
    """
    ``heapq.nsmallest(top, rows, key=order)`` for the *order* of :func:`_order_key`, cheaper.

    *first* is the getter of the first sort key and *descending* its direction.
    A row without the first sort key sorts after every row with it, in either
    direction; so once *top* rows have the key, rows without it are dropped
    after one field lookup.  And once *top* rows are kept, a row whose first
    key alone sorts after the last kept row's is dropped too.  Either way the
    row's whole order key (which parses its time) is never computed, and most
    rows are dropped so.  Both kinds are kept in heaps bounded by *top*, so
    memory stays flat.
    """
    present: list[_Largest] = []
    absent: list[_Largest] = []
    for index, row in enumerate(rows):
        heap = present
        value = first(row)
        if value is None:
            if len(present) >= top:
                continue
            heap = absent
        elif len(present) >= top and present[0].key[0][0] < _key_part(value, descending):
            continue
        entry = _Largest((order(row), index), row)
        if len(heap) < top:
            heapq.heappush(heap, entry)
        elif entry.key < heap[0].key:
            heapq.heapreplace(heap, entry)
    kept = sorted(present, key=lambda entry: entry.key)
    kept += sorted(absent, key=lambda entry: entry.key)
    return [entry.row for entry in kept[:top]]


def _sort_step(keys: Sequence[SortKey], top: int | None) -> Step:
    getters = [field_getter(key.field.name) for key in keys]
    order = _order_key(list(zip(getters, (key.descending for key in keys), strict=True)))

    def step(rows: Iterable[Row], _ordered: bool) -> tuple[Iterable[Row], bool]:
        if top is None:
            return sorted(rows, key=order), True
        return smallest(rows, top, order, getters[0], keys[0].descending), True

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
                yield row  # absent values are never duplicates
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
    The output columns: the last ``display``, else the ``stats`` columns
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
            display = [item.name for item in command.items]
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
