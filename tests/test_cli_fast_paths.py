"""The query's fast paths give exactly the general path's answers."""

from __future__ import annotations

import gc
import io
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from joblog.cli import main
from joblog.cli.aggregates import StatsStep
from joblog.cli.common import no_cycle_collection
from joblog.cli.engine import Plan
from joblog.cli.parser import parse_query
from joblog.cli.reader import Prefilter, Row, ScanStats, Source, scan, scan_events
from joblog.cli.syntax import Stats

SOURCE = Source("app.jsonl", "app.jsonl", None)

# Values a field can take: text (numeric text too), numbers, booleans, null,
# an object and an array (neither is a value), and absence.
VALUES = st.one_of(
    st.sampled_from(["info", "debug", "error", "1", "1.0", "-2", "true", "", "Info"]),
    st.integers(-2, 2),
    st.sampled_from([1.0, 0.5, True, False, None, {"x": 1}, [1, 2]]),
)
EVENTS = st.dictionaries(st.sampled_from(["level", "stage", "n", "a"]), VALUES, max_size=4).map(
    lambda event: {**event, "nested": {"k": event["a"]}} if "a" in event else event
)
# Lines that are not plain JSON objects: the general loop must see each of them.
ODD_LINES = st.sampled_from(
    [
        "",
        "   ",
        "plain text",
        "[1, 2]",
        "42",
        "null",
        '  {"level": "padded"}  ',
        '{"level": NaN}',
        '{"level": "\\ud800"}',
        '{"level": "info"',
        '{"level": "cr"}\r',
    ]
)
LINES = st.lists(st.one_of(EVENTS.map(json.dumps), ODD_LINES), max_size=30)

EVENT_QUERIES = [
    "stats count(*) by level",
    "stats count(*) by nested.k",
    "stats count(*) by level as lvl | sort lvl desc",
    "stats count(level), count(*) by stage",
    "stats count_distinct(level), sum(n), avg(n), min(n), max(n) by stage",
    "stats pct(n, 50), stddev(n), sortsFirst(level), sortsLast(level) by stage, level",
    "stats count(*), max(n) - min(n) as spread",
    "stats count(*) by level | limit 2",
]


def data_of(lines: list[str]) -> bytes:
    return "".join(line + "\n" for line in lines).encode()


def general(query: str, data: bytes) -> tuple[list[dict[str, Any]], ScanStats]:
    plan = Plan(parse_query(query))
    stats = ScanStats()
    rows = plan.run(scan([SOURCE], io.BytesIO(data), stats, prefilter=plan.prefilter))
    return [plan.values(row) for row in rows], stats


def events_path(query: str, data: bytes) -> tuple[list[dict[str, Any]], ScanStats]:
    plan = Plan(parse_query(query))
    assert plan.reads_events
    stats = ScanStats()
    rows = plan.run_events(scan_events([SOURCE], io.BytesIO(data), stats))
    return [plan.values(row) for row in rows], stats


def same(left: object, right: object) -> bool:
    # NaN is no value here, so plain equality, through JSON to compare 1 and 1.0 strictly.
    return json.dumps(left, sort_keys=True) == json.dumps(right, sort_keys=True)


@pytest.mark.parametrize("query", EVENT_QUERIES)
@given(lines=LINES)
@settings(max_examples=60, deadline=None)
def test_stats_over_events_equals_stats_over_rows(query: str, lines: list[str]) -> None:
    """A leading stats over the lines' own fields reads events: same rows, same counts."""
    data = data_of(lines)
    (want, want_stats), (got, got_stats) = general(query, data), events_path(query, data)

    assert same(want, got)
    assert (want_stats.parsed, want_stats.not_json) == (got_stats.parsed, got_stats.not_json)


@pytest.mark.parametrize(
    "query",
    [
        "stats latest(level) by stage",
        "stats earliest(level)",
        "stats count(*) by @logStream",
        "stats count(*) by bin(5m)",
        "stats count(*) by strlen(level)",
        "filter level = 'info' | stats count(*) by stage",
        "fields level | stats count(*) by level",
    ],
)
def test_queries_that_need_rows_do_not_read_events(query: str) -> None:
    """Time, position, system fields, computed keys or earlier commands need rows."""
    assert not Plan(parse_query(query)).reads_events


def test_count_by_a_computed_key_takes_the_counting_loop() -> None:
    """count(*) by an expression counts through rows, with the general loop's groups."""
    data = data_of(['{"level": "info"}', '{"level": "info"}', '{"level": 1}', "text"])

    rows, _stats = general("stats count(*) by strlen(level) as width", data)

    assert [{"width": 1, "count(*)": 1}, {"width": 4, "count(*)": 2}, {"count(*)": 1}] == rows


def test_count_treats_objects_and_arrays_as_absent() -> None:
    """An object or array under the key is no value: those lines group with the absent."""
    data = data_of(['{"level": {"a": 1}}', '{"level": [1]}', "{}", '{"level": "x"}'])

    rows, _stats = events_path("stats count(*) by level", data)

    assert [{"level": "x", "count(*)": 1}, {"count(*)": 3}] == rows


@pytest.mark.parametrize(
    "query",
    ["stats count(*) by level", "stats count(*) by nested.k", "stats count(*) by strlen(level)"],
)
@given(lines=LINES)
@settings(max_examples=60, deadline=None)
def test_counting_loop_equals_the_general_loop(query: str, lines: list[str]) -> None:
    """count(*) by one key, over rows or events, gives the groups of the general loop."""
    command = parse_query(query).commands[0]
    assert isinstance(command, Stats)
    step = StatsStep(command)
    assert step.count_only
    rows = list(scan([SOURCE], io.BytesIO(data_of(lines)), ScanStats()))
    reference = step._results(step._groups(rows, step.by_getters, step.factories))
    events = [[row.data for row in rows]]

    def values(result: list[Row]) -> list[object]:
        return [row.extra for row in result]

    assert same(values(reference), values(step.run(rows)))
    if step.event_getters is not None:
        assert same(values(reference), values(step.run_events(events)))


@given(lines=LINES)
@settings(max_examples=200, deadline=None)
def test_whole_block_parsing_equals_the_line_loop(lines: list[str]) -> None:
    """Parsing a block in one go gives the rows and counts of the loop, line by line."""
    data = data_of(lines)
    everything = Prefilter(lambda _line: True)  # a test forces the line-by-line loop
    fast_stats, loop_stats = ScanStats(), ScanStats()
    fast = list(scan([SOURCE], io.BytesIO(data), fast_stats))
    loop = list(scan([SOURCE], io.BytesIO(data), loop_stats, prefilter=everything))

    assert [(row.raw, row.data, row.seq) for row in loop] == [
        (row.raw, row.data, row.seq) for row in fast
    ]
    assert (loop_stats.parsed, loop_stats.not_json) == (fast_stats.parsed, fast_stats.not_json)


def test_whole_block_parsing_leaves_values_that_are_not_objects_to_the_loop() -> None:
    """JSON values that are no objects are the loop's to judge: counted, empty."""
    stats = ScanStats()
    batches = list(scan_events([SOURCE], io.BytesIO(b'{"a":1}\n[2]\n3\n'), stats))

    assert [[{"a": 1}, {}, {}]] == batches
    assert (3, 2) == (stats.parsed, stats.not_json)


def test_both_parsings_ask_to_event(monkeypatch: pytest.MonkeyPatch) -> None:
    """An object to_event turns down is no event, whichever way its block is parsed."""
    from joblog.cli import reader

    def no_drops(value: Any) -> dict[str, Any] | None:
        return None if type(value) is not dict or "drop" in value else value

    monkeypatch.setattr(reader, "to_event", no_drops)
    data = b'{"a":1}\n{"drop":1}\n'
    for crlf in (False, True):  # a carriage return sends the block through the loop
        stats = ScanStats()
        rows = list(
            scan([SOURCE], io.BytesIO(data.replace(b"\n", b"\r\n") if crlf else data), stats)
        )

        assert [{"a": 1}, {}] == [row.data for row in rows]
        assert (2, 1) == (stats.parsed, stats.not_json)


@pytest.mark.parametrize("enabled", [True, False])
def test_no_cycle_collection_restores_the_collector(enabled: bool) -> None:
    """The collector is off during a scan and as it was afterwards, even after an error."""
    was = gc.isenabled()
    try:
        gc.enable() if enabled else gc.disable()
        inside = []

        def fail() -> None:
            with no_cycle_collection():
                inside.append(gc.isenabled())
                raise RuntimeError

        with pytest.raises(RuntimeError):
            fail()
        assert ([False], enabled) == (inside, gc.isenabled())
    finally:
        gc.enable() if was else gc.disable()


def test_the_command_reads_events_only_without_time_bounds(
    tmp_path: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    """joblog query: a leading stats reads events, unless --since needs each line's time."""
    log = tmp_path / "app.jsonl"
    log.write_text(
        '{"timestamp": "2026-11-23T10:00:00Z", "level": "info"}\n'
        '{"timestamp": "2026-11-23T11:00:00Z", "level": "info"}\n'
        '{"timestamp": "2026-11-23T11:00:00Z", "level": "error"}\n'
    )
    query = "stats count(*) by level"

    assert 0 == main(["query", "--format", "jsonl", query, str(log)])
    everything = capsys.readouterr().out
    assert 0 == main(
        ["query", "--format", "jsonl", "--since", "2026-11-23T10:30:00Z", query, str(log)]
    )
    later = capsys.readouterr().out

    assert ['{"level":"error","count(*)":1}', '{"level":"info","count(*)":2}'] == (
        everything.splitlines()
    )
    assert ['{"level":"error","count(*)":1}', '{"level":"info","count(*)":1}'] == (
        later.splitlines()
    )
