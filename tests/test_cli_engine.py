"""The evaluator: every command, function and aggregate on a small log."""

from __future__ import annotations

import io
import json
import math
import re
import tracemalloc
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from joblog.cli.engine import Glob, Plan
from joblog.cli.errors import QueryError
from joblog.cli.expressions import (
    compile_expr,
    compile_predicate,
    field_getter,
    group_value,
    truth,
)
from joblog.cli.parser import parse_query
from joblog.cli.prefilter import derive_prefilter
from joblog.cli.reader import Row, ScanStats, Source, scan
from joblog.cli.syntax import Agg, Binary, Field, Literal, Period, Regex
from joblog.cli.values import Timestamp, text

# The small log every test here reads: seven lines of two jobs and requests.
LOG: list[dict[str, Any]] = [
    {
        "timestamp": "2026-11-23T10:00:00.000Z",
        "level": "info",
        "message": "Request started",
        "logger": "app.http",
        "method": "POST",
        "path": "/api/v1/generate",
    },
    {
        "timestamp": "2026-11-23T10:00:00.100Z",
        "level": "info",
        "message": "Starting fully async generation",
        "logger": "app.generate",
        "job_id": "job-a",
        "user_id": "user-1",
    },
    {
        "timestamp": "2026-11-23T10:00:02.000Z",
        "level": "debug",
        "message": "Scene details",
        "job_id": "job-a",
        "scene_number": 1,
        "duration": 5,
        "usage": {"total_tokens": 512, "models": ["gpt-4o", "kling"]},
    },
    {
        "timestamp": "2026-11-23T10:00:03.500Z",
        "level": "warning",
        "message": "Kling request failed, retrying",
        "job_id": "job-b",
        "attempt": 2,
        "status": 500,
    },
    {
        "timestamp": "2026-11-23T10:04:59.999Z",
        "level": "error",
        "message": "Video generation failed",
        "job_id": "job-b",
        "status": "failed",
        "error_message": "Kling API error: 500",
        "total_time": 12.5,
    },
    {
        "timestamp": "2026-11-23T10:05:00.000Z",
        "level": "info",
        "message": "Video generation complete",
        "job_id": "job-a",
        "status": "completed",
        "total_time": 20,
        "duration": 10,
        "note": None,
        "empty": "",
        "blank": "  ",
    },
    {
        "timestamp": "2026-11-23T10:06:00.000Z",
        "level": "info",
        "message": "Request completed",
        "logger": "app.http",
        "status": 202,
        "latency_ms": 15.5,
        "job_id": "",
    },
]
MESSAGES = [event["message"] for event in LOG]


def lines_of(events: list[Any]) -> bytes:
    return "\n".join(e if isinstance(e, str) else json.dumps(e) for e in events).encode() + b"\n"


def rows_of(
    query: str, events: list[Any] | None = None, *, prefilter: bool = True
) -> tuple[Plan, list[Row]]:
    plan = Plan(parse_query(query))
    data = io.BytesIO(lines_of(LOG if events is None else events))
    source = Source("logs/app.jsonl", "app.jsonl", None)
    rows = plan.run(
        scan([source], data, ScanStats(), prefilter=plan.prefilter if prefilter else None)
    )
    return plan, rows


def run(
    query: str, events: list[Any] | None = None, *, prefilter: bool = True
) -> list[dict[str, Any]]:
    """Run *query* over *events* (default: the log above); rows as column -> value."""
    plan, rows = rows_of(query, events, prefilter=prefilter)
    return [plan.values(row) for row in rows]


def column(query: str, name: str = "message", events: list[Any] | None = None) -> list[Any]:
    """One field of each result row, whatever the columns, absent values as None."""
    _plan, rows = rows_of(query, events)
    get = field_getter(name)
    return [get(row) for row in rows]


def texts(rows: list[dict[str, Any]]) -> list[dict[str, str]]:
    return [{key: text(value) for key, value in row.items()} for row in rows]


def row_of(**fields: Any) -> Row:
    return Row(None, {}, None, 0, fields)


class TestDefaults:
    def test_default_columns_and_order(self) -> None:
        """Without fields/display/stats: @timestamp and @message, newest first (D7, D10)."""
        rows = run("filter level = 'error' or level = 'warning'")

        assert [
            {"@timestamp": "2026-11-23 10:04:59.999", "@message": json.dumps(LOG[4])},
            {"@timestamp": "2026-11-23 10:00:03.500", "@message": json.dumps(LOG[3])},
        ] == texts(rows)

    def test_default_limit(self) -> None:
        """With no limit, at most the default number of rows, the most recent ones."""
        plan = Plan(parse_query("fields message"), default_limit=2)
        rows = plan.run(scan([Source("-", "-", None)], io.BytesIO(lines_of(LOG)), ScanStats()))

        assert ["Request completed", "Video generation complete"] == [
            plan.values(row)["message"] for row in rows
        ]

    def test_rows_without_timestamp_go_last(self) -> None:
        """In the default order a line without @timestamp comes after all timed ones."""
        events = [{"message": "untimed"}, LOG[0], LOG[1]]

        assert ["Starting fully async generation", "Request started", "untimed"] == column(
            "fields message", events=events
        )


class TestSystemFields:
    def test_message_is_the_raw_line(self) -> None:
        """@message is the whole line, so like searches every key and value."""
        assert ["Video generation failed"] == column("filter @message like /API error: 500/")

    def test_message_of_a_non_json_line(self) -> None:
        """A line that is not JSON is an event with only @message."""
        rows = run("fields @message, level", events=["plain text line", LOG[0]])

        assert {"@message": "plain text line"} in rows

    def test_log_stream_and_log(self) -> None:
        """@logStream is the file's name, @log the path as given."""
        assert [{"@logStream": "app.jsonl", "@log": "logs/app.jsonl"}] == run(
            "fields @logStream, @log | limit 1"
        )

    def test_timestamp_comes_from_the_timestamp_key(self) -> None:
        """@timestamp is parsed from the JSON key and compares with epoch milliseconds."""
        assert ["Request completed"] == column("filter @timestamp >= 1795428360000")

    def test_other_at_names_are_absent_in_the_json(self) -> None:
        """@level is no field of the line; @@key reads a JSON key spelled with @."""
        events = [{"@level": "x", "message": "m"}]

        assert [{"@@level": "x"}] == run("fields @level, @@level", events=events)


class TestFlattening:
    def test_nested_objects_and_arrays(self) -> None:
        """Nested keys join with dots, array items by index."""
        assert [{"usage.total_tokens": 512, "usage.models.1": "kling"}] == run(
            "filter ispresent(usage.total_tokens) | fields usage.total_tokens, usage.models.1"
        )

    def test_objects_and_arrays_are_not_values(self) -> None:
        """Only leaves are fields: an object or an array is absent, like null."""
        assert [] == run("filter ispresent(usage) or ispresent(usage.models) or ispresent(note)")

    def test_keys_with_dots(self) -> None:
        """A key that contains a dot (joblog's fields.message) is found too."""
        events = [{"fields.message": "kept", "a": {"b.c": {"d": 1}}}]

        assert [{"fields.message": "kept", "a.b.c.d": 1}] == run(
            "fields fields.message, a.b.c.d", events=events
        )

    def test_out_of_range_index(self) -> None:
        """An index past the end of an array is absent."""
        assert [{}] == run("filter ispresent(usage.models.0) | fields usage.models.5")


class TestNulls:
    def test_comparison_on_absent_field_is_false(self) -> None:
        """job_id != "" drops the lines without job_id as well as the empty one (D6)."""
        assert [
            "Video generation complete",
            "Video generation failed",
            "Kling request failed, retrying",
            "Scene details",
            "Starting fully async generation",
        ] == column('filter job_id != ""')

    def test_not_of_absent_is_absent(self) -> None:
        """not (status = 500) keeps only lines that have a status other than 500."""
        assert ["Request completed", "Video generation complete", "Video generation failed"] == (
            column("filter not status = 500")
        )

    def test_kleene_or(self) -> None:
        """absent or true is true; absent or false is absent (dropped)."""
        assert 7 == len(run("filter missing = 1 or level like /./"))
        assert [] == run("filter missing = 1 or level = 'none'")

    def test_kleene_and(self) -> None:
        """false and absent is false; true and absent is absent."""
        predicate = compile_predicate(parse_query("filter a = 1 and b = 1").commands[0].expr)  # type: ignore[union-attr]

        assert predicate(row_of(a=2)) is False
        assert predicate(row_of(a=1)) is None
        assert predicate(row_of(a=1, b=1)) is True
        assert predicate(row_of(b=2)) is False

    def test_ispresent_is_true_for_empty_strings(self) -> None:
        """ispresent tests presence, not emptiness."""
        assert ["Request completed"] == column('filter ispresent(job_id) and job_id = ""')


class TestComparisons:
    def test_numbers_compare_as_numbers(self) -> None:
        """status >= 300 compares numbers; "failed" is not a number and compares as text."""
        assert ["Kling request failed, retrying"] == column("filter status >= 300 and status < 600")

    def test_numeric_string_literal(self) -> None:
        """A numeric string literal equals a number (D5)."""
        assert ["Kling request failed, retrying"] == column('filter status = "500"')

    def test_literal_on_the_left(self) -> None:
        """500 = status is status = 500; 300 < status mirrors the test."""
        assert column("filter 500 = status") == column("filter status = 500")
        assert column("filter 300 < status") == column("filter status > 300")

    def test_text_equality_with_non_string_value(self) -> None:
        """A boolean equals the text "true"."""
        events = [{"ok": True, "message": "a"}, {"ok": False, "message": "b"}]

        assert ["a"] == column('filter ok = "true"', events=events)
        assert ["b"] == column('filter ok != "true"', events=events)
        assert ["a"] == column("filter ok = true", events=events)

    def test_like(self) -> None:
        """like with a string is a substring test, with a regex a search; not like negates."""
        assert ["Request completed", "Request started"] == column('filter message like "Request"')
        assert ["Request completed"] == column("filter message like /^Request c/")
        assert 5 == len(run("filter message not like /Request/"))
        assert ["Request completed"] == column("filter status =~ /^20/")

    def test_like_on_numbers_uses_their_text(self) -> None:
        """A number is matched by its text form."""
        assert ["Request completed"] == column('filter latency_ms like "15.5"')

    def test_in(self) -> None:
        """in matches numbers and numeric strings alike; not in negates."""
        assert ["Request completed", "Kling request failed, retrying"] == column(
            'filter status in ["202", 500]'
        )
        assert ["Video generation complete", "Video generation failed"] == column(
            "filter status not in [202, 500]"
        )
        assert ["Video generation failed"] == column('filter status in ["failed", "x"]')

    def test_in_with_timestamps(self) -> None:
        """in with text compares a timestamp as a time."""
        assert ["Request started"] == column(
            'filter @timestamp in ["2026-11-23T10:00:00Z", "nope"]'
        )

    def test_arithmetic(self) -> None:
        """+ - * / % ^ on numbers; non-numbers and division by zero are absent."""
        rows = run(
            "filter ispresent(latency_ms) | fields latency_ms * 2 as a, latency_ms / 0 as b, "
            "7 % 3 as c, -7 % 3 as d, 2 ^ 10 as e, status - 2 as f, level + 1 as g, "
            "(-8) ^ 0.5 as h, 10 ^ 400.5 as i, 2 ^ -1 as j, 7.5 % 0 as k, -latency_ms as l, "
            "-level as m"
        )

        assert [{"a": 31.0, "c": 1, "d": -1, "e": 1024, "f": 200, "j": 0.5, "l": -15.5}] == rows


class TestFunctions:
    @pytest.mark.parametrize(
        ("expression", "expected"),
        [
            ("isempty(empty)", 1),
            ("isempty(blank)", 0),
            ("isempty(nothing)", 1),
            ("isblank(blank)", 1),
            ("isblank(nothing)", 1),
            ("isblank(status)", 0),
            ("coalesce(nothing, note, status)", "completed"),
            ("concat(job_id, '/', duration)", "job-a/10"),
            ("strlen(message)", 25),
            ("toupper(status)", "COMPLETED"),
            ("tolower('ABC')", "abc"),
            ("trim(blank)", ""),
            ("trim('xxaxx', 'x')", "a"),
            ("ltrim('  a  ')", "a  "),
            ("rtrim('  a  ')", "  a"),
            ("substr('xyZfooxyZ', 3, 3)", "foo"),
            ("substr('abc', 1)", "bc"),
            ("substr('abc', -5, 2)", "ab"),
            ("substr('abc', 1, -1)", ""),
            ("replace(message, 'o', '0')", "Vide0 generati0n c0mplete"),
            ("replace('abc', '', 'x')", "abc"),
            ("strcontains(message, 'generation')", 1),
            ("strcontains(message, 'nope')", 0),
            ("abs(-3)", 3),
            ("ceil(total_time / 3)", 7),
            ("floor(total_time / 3)", 6),
            ("greatest(duration, total_time, nothing)", 20),
            ("least(duration, total_time, '3')", "3"),
            ("log(1)", 0.0),
            ("sqrt(16)", 4.0),
            ("tomillis(@timestamp)", 1795428300000),
            ("frommillis(1795428300000)", Timestamp(1795428300000)),
            ("datefloor(@timestamp, 1h)", Timestamp(1795428000000)),
            ("dateceil(@timestamp, 1h)", Timestamp(1795431600000)),
            ("bin(1m)", Timestamp(1795428300000)),
        ],
    )
    def test_function(self, expression: str, expected: Any) -> None:
        """Each function on the 'Video generation complete' line."""
        rows = run(f"filter status = 'completed' | fields {expression} as value")

        assert [{"value": expected}] == rows
        assert type(expected) is type(rows[0]["value"])

    @pytest.mark.parametrize(
        "expression",
        [
            "strlen(nothing)",
            "concat(job_id, nothing)",
            "substr(message, 'x')",
            "substr(message, 1, 'x')",
            "abs(level)",
            "log(0)",
            "sqrt(-1)",
            "greatest(nothing)",
            "tomillis(level)",
            "frommillis(level)",
            "datefloor(level, 1h)",
            "trim(message, nothing)",
            "abs(1e308 * 10)",
        ],
    )
    def test_absent_results(self, expression: str) -> None:
        """An absent or unusable argument makes the result absent (D6)."""
        assert [{}] == run(f"filter status = 'completed' | fields {expression} as value")

    def test_absent_operands(self) -> None:
        """An absent right operand makes comparisons and arithmetic absent too."""
        assert [] == run("filter status = missing")
        assert [{}] == run(
            "filter status = 'completed' | fields 1 + missing as x, coalesce(a, b) as y"
        )

    def test_infinite_numbers(self) -> None:
        """A number too big for a float (1e400) is infinite; ceil() of it is absent."""
        assert [{"big": float("inf")}] == run(
            "fields big, ceil(big) as c", events=['{"big": 1e400}']
        )

    def test_bin_without_timestamp(self) -> None:
        """bin() of a line without @timestamp is absent."""
        assert [{}] == run("fields bin(5m) as b", events=[{"message": "x"}])

    def test_truth_of_values(self) -> None:
        """filter keeps true, nonzero numbers and "true"; drops the rest."""
        assert [True, False, True, False, True, True, False, None] == [
            truth(v) for v in (True, False, 2, 0, "1.5", "TRUE", "yes", None)
        ]

    def test_function_results_in_filter(self) -> None:
        """strcontains() gives 1 or 0, which filter reads as true or false."""
        assert ["Video generation failed"] == column("filter strcontains(error_message, 'API')")


class TestFields:
    def test_fields_adds_columns_without_hiding_fields(self) -> None:
        """A later filter still sees fields the fields command did not list."""
        assert [{"job_id": "job-b"}] == run("fields job_id | filter level = 'error'")

    def test_aliases_are_fields_for_later_commands(self) -> None:
        """fields … as name creates a field the rest of the query can use."""
        assert [{"seconds": 15.5, "ms": 15500.0}] == run(
            "fields latency_ms as seconds | filter seconds > 1 | fields seconds * 1000 as ms"
        )

    def test_columns_are_the_union_of_fields(self) -> None:
        """Several fields commands show the union of their columns, in order."""
        plan = Plan(parse_query("fields a, b | fields b, c"))

        assert ["a", "b", "c"] == plan.columns

    def test_unaliased_expression_is_named_by_its_text(self) -> None:
        """fields toupper(level) makes a column named toupper(level)."""
        assert [{"toupper(level)": "ERROR"}] == run(
            "filter level = 'error' | fields toupper(level)"
        )

    def test_absent_values_are_left_out(self) -> None:
        """A row omits the columns its line lacks."""
        assert [{"message": "Request started"}] == run(
            "fields message, job_id | sort @timestamp | limit 1"
        )


class TestDisplay:
    def test_last_display_wins(self) -> None:
        """display picks the columns; the last display decides."""
        assert [{"level": "error"}] == run(
            "fields job_id | display job_id | filter level = 'error' | display level"
        )


class TestStats:
    def test_count_by(self) -> None:
        """count(*) by level; groups in natural order of their keys."""
        assert [
            {"level": "debug", "count(*)": 1},
            {"level": "error", "count(*)": 1},
            {"level": "info", "count(*)": 4},
            {"level": "warning", "count(*)": 1},
        ] == run("stats count(*) by level")

    def test_aggregates(self) -> None:
        """count(f), count_distinct, sum, avg, min, max, stddev over numbers."""
        rows = run(
            "stats count(job_id) as n, count_distinct(job_id) as jobs, sum(total_time) as s, "
            "avg(total_time) as a, min(status) as lo, max(status) as hi, stddev(status) as sd, "
            "count_distinct(status) as statuses"
        )

        assert [
            {
                "n": 6,
                "jobs": 3,
                "s": 32.5,
                "a": 16.25,
                "lo": 202,
                "hi": 500,
                "sd": pytest.approx(math.sqrt(2 * 149**2)),
                "statuses": 4,
            }
        ] == rows

    def test_aggregates_of_nothing(self) -> None:
        """Aggregates over no values: counts are 0, the others absent."""
        assert [{"c": 0, "n": 0}] == run(
            "filter level = 'none' | stats count(*) as c, count(x) as n, sum(x) as s, "
            "avg(x) as a, min(x) as lo, stddev(x) as sd, pct(x, 50) as p, earliest(x) as e"
        )

    def test_stddev_of_one_value(self) -> None:
        """The standard deviation of a single value is 0."""
        assert [{"sd": 0.0}] == run("filter level = 'error' | stats stddev(total_time) as sd")

    def test_pct_nearest_rank(self) -> None:
        """pct(f, p): the smallest value with p percent of the values at or below it."""
        events = [{"timestamp": "2026-11-23T10:00:00Z", "v": v} for v in range(1, 11)]

        assert [{"p0": 1, "p50": 5, "p90": 9, "p95": 10, "p100": 10}] == run(
            "stats pct(v, 0) as p0, pct(v, 50) as p50, pct(v, 90) as p90, pct(v, 95) as p95, "
            "pct(v, 100) as p100",
            events=events,
        )

    def test_earliest_and_latest(self) -> None:
        """earliest/latest take the value of the first/last line (by @timestamp) that has it."""
        assert [
            {
                "job_id": "job-a",
                "first": "Starting fully async generation",
                "last": "Video generation complete",
            },
            {
                "job_id": "job-b",
                "first": "Kling request failed, retrying",
                "last": "Video generation failed",
            },
        ] == run(
            "filter job_id != '' "
            "| stats earliest(message) as first, latest(message) as last by job_id"
        )

    def test_earliest_without_timestamps_uses_input_order(self) -> None:
        """Timed lines win; without any, the first and last lines in input order."""
        events = [{"v": 1}, {"v": 2}, {"timestamp": "2026-01-01T00:00:00Z", "v": 3}]

        assert [{"e": 3, "l": 3}] == run("stats earliest(v) as e, latest(v) as l", events=events)
        assert [{"e": 1, "l": 2}] == run(
            "stats earliest(v) as e, latest(v) as l", events=events[:2]
        )

    def test_group_of_absent_keys(self) -> None:
        """Rows without the key form one group whose key is left out (D8), sorted last."""
        assert [
            {"job_id": "", "count(*)": 1},
            {"job_id": "job-a", "count(*)": 3},
            {"job_id": "job-b", "count(*)": 2},
            {"count(*)": 1},
        ] == run("stats count(*) by job_id")

    def test_several_keys_and_bin(self) -> None:
        """by bin(5m), logger: several keys, a bin column printed as a time."""
        rows = run("filter ispresent(logger) | stats count(*) by bin(5m), logger")

        assert [
            {"bin(5m)": "2026-11-23 10:00:00.000", "logger": "app.generate", "count(*)": "1"},
            {"bin(5m)": "2026-11-23 10:00:00.000", "logger": "app.http", "count(*)": "1"},
            {"bin(5m)": "2026-11-23 10:05:00.000", "logger": "app.http", "count(*)": "1"},
        ] == texts(rows)

    def test_numbers_and_numeric_strings_group_together(self) -> None:
        """5, 5.0 and "5" are one group; true and "true" another."""
        events = [{"v": 5}, {"v": 5.0}, {"v": "5"}, {"v": True}, {"v": "true"}]

        assert [{"v": True, "count(*)": 2}, {"v": 5, "count(*)": 3}] == run(
            "stats count(*) by v", events=events
        )

    def test_stats_without_rows_or_keys_gives_one_row(self) -> None:
        """stats count(*) over no lines is one row with 0."""
        assert [{"count(*)": 0}] == run("stats count(*)", events=[])

    def test_stats_by_without_rows_gives_none(self) -> None:
        """stats … by over no lines has no groups."""
        assert [] == run("stats count(*) by level", events=[])

    def test_any_expression_over_aggregates(self) -> None:
        """Unary minus, not, in, like and functions apply to aggregate results."""
        assert [{"neg": -7, "one": False, "all": True, "matched": True, "abs": 32.5}] == run(
            "stats -count(*) as neg, not count(*) = 7 as one, count(*) in [7] as all, "
            "count(*) like /7/ as matched, abs(sum(total_time)) as abs"
        )

    def test_values_aggregates_skip(self) -> None:
        """pct and earliest skip lines without a usable value."""
        assert [{"p": 202, "e": "job-a"}] == run(
            "stats pct(status, 10) as p, earliest(job_id) as e"
        )

    def test_expressions_over_aggregates(self) -> None:
        """An item can compute with several aggregates."""
        assert [{"mean": 16.25, "twice": 12}] == run(
            "stats sum(total_time) / count(total_time) as mean, count(*) * 2 - 2 as twice"
        )

    def test_later_commands_see_the_stats_columns(self) -> None:
        """filter and sort after stats use its columns; fields add to them."""
        assert [{"level": "info", "n": 4, "double": 8}] == run(
            "stats count(*) as n by level | filter n > 1 | sort n desc | fields n * 2 as double"
        )

    def test_second_stats(self) -> None:
        """stats can follow stats."""
        assert [{"groups": 4}] == run("stats count(*) as n by level | stats count(*) as groups")

    def test_timestamp_group_keys(self) -> None:
        """Grouping by @timestamp groups equal times."""
        assert 7 == len(run("stats count(*) by @timestamp"))


class TestSort:
    def test_natural_order(self) -> None:
        """sort uses CloudWatch's natural order: scene2 before scene10."""
        events = [{"s": name} for name in ("scene10", "scene2", "Scene1", "scene1b")]

        assert ["Scene1", "scene1b", "scene2", "scene10"] == column("sort s", "s", events)

    def test_several_keys_and_directions(self) -> None:
        """Keys apply in order, each with its own direction."""
        assert [
            ("debug", "Scene details"),
            ("error", "Video generation failed"),
            ("info", "Video generation complete"),
            ("info", "Starting fully async generation"),
        ] == [
            (row["level"], row["message"])
            for row in run("fields level, message | sort level asc, message desc | limit 4")
        ]

    def test_absent_values_go_last_in_both_directions(self) -> None:
        """Rows without the key come last, ascending or descending (D10)."""
        asc = column("sort status asc", "status")
        desc = column("sort status desc", "status")

        assert ["completed", "failed", 202, 500, None, None, None] == [
            row.get("status") for row in run("fields status | sort status asc")
        ]
        assert [None, None, None] == asc[-3:] == desc[-3:]
        assert [500, 202, "failed", "completed"] == [
            row.get("status") for row in run("fields status | sort status desc")
        ][:4]

    def test_ties_keep_time_order(self) -> None:
        """Equal keys keep their order in time; desc is the exact reverse of asc."""
        in_time = ["Starting fully async generation", "Scene details", "Video generation complete"]

        assert in_time == column("filter job_id = 'job-a' | sort job_id asc")
        assert in_time[::-1] == column("filter job_id = 'job-a' | sort job_id desc")

    def test_equal_timestamps_in_reverse_log_order(self) -> None:
        """sort @timestamp desc reverses lines logged in the same millisecond too."""
        events = [{"timestamp": "2026-11-23T10:00:00Z", "n": n} for n in range(3)] + [
            {"n": 3},
            {"n": 4},
        ]

        assert [2, 1, 0, 4, 3] == column("sort @timestamp desc", "n", events)
        assert [0, 1, 2, 3, 4] == column("sort @timestamp asc", "n", events)
        assert [2, 1, 0, 4, 3] == column("fields n", "n", events)

    def test_sort_then_limit(self) -> None:
        """sort … | limit n keeps the first n in that order."""
        assert ["Request started", "Starting fully async generation"] == column(
            "sort @timestamp asc | limit 2"
        )


class TestLimit:
    def test_limit_without_sort_keeps_the_most_recent(self) -> None:
        """limit alone takes the newest lines (the default order)."""
        assert ["Request completed", "Video generation complete"] == column("limit 2")

    def test_limit_after_an_order(self) -> None:
        """After stats, limit takes the first groups."""
        assert ["debug"] == column("stats count(*) by level | limit 1", "level")


class TestParse:
    def test_glob(self) -> None:
        """* captures lazily up to the next literal; a final * runs to the end (D12)."""
        events = ["25 May 2019 10:24:39,474 [ERROR] {foo=2, bar=data} The error was: DataIntegrity"]

        assert [
            {"level": "ERROR", "config": "{foo=2, bar=data}", "exception": "DataIntegrity"}
        ] == run(
            'parse "[*] * The error was: *" as level, config, exception '
            "| fields level, config, exception",
            events=events,
        )

    def test_glob_on_a_field(self) -> None:
        """parse path "/api/*/*" as version, rest."""
        assert [{"version": "v1", "rest": "generate"}] == run(
            'filter ispresent(path) | parse path "/api/*/*" as version, rest | fields version, rest'
        )

    def test_regex(self) -> None:
        """A regex's named groups become fields; values are strings."""
        assert [{"scene": "5"}, {"what": "request"}] == run(
            r"parse message /Kling (?<what>\w+) failed/ | parse error_message /(?<scene>\d)00/"
            " | filter ispresent(what) or ispresent(scene) | fields scene, what"
        )

    def test_a_line_that_does_not_match_is_kept_without_the_fields(self) -> None:
        """A non-matching line stays in the result, its parse fields absent."""
        rows = run(
            'parse message "Request *" as what | fields message, what | sort @timestamp | limit 2'
        )

        assert [
            {"message": "Request started", "what": "started"},
            {"message": "Starting fully async generation"},
        ] == rows

    def test_parse_of_an_absent_source(self) -> None:
        """Parsing a field the line lacks gives absent fields."""
        assert [{}] == run('filter status = "completed" | parse nothing "*" as x | fields x')

    def test_parsed_fields_can_be_aggregated(self) -> None:
        """parse then stats on the parsed field."""
        assert [{"first": "Kling", "count(*)": 1}, {"first": "Request", "count(*)": 2}] == run(
            'parse message "* *" as first, rest | filter first like /^[KR]/ '
            "| stats count(*) by first"
        )

    def test_glob_literals_are_plain_text(self) -> None:
        """A glob's literal parts are text, not regex: dots and brackets match themselves."""
        assert ["x", "y]z"] == Glob("a.b*[*").match("0 a.bx[y]z")
        assert Glob("a.b*[*").match("a_bx[y") is None


class TestDedup:
    def test_dedup_keeps_the_most_recent_by_default(self) -> None:
        """Without sort, dedup keeps the newest line of each value."""
        assert ["Request completed", "Video generation complete", "Video generation failed"] == [
            row["message"] for row in run("fields message | dedup job_id")
        ][:3]

    def test_absent_values_are_never_duplicates(self) -> None:
        """Every line without the field is kept (D13); "" is a value."""
        rows = run("fields message, job_id | dedup job_id")

        assert [
            "Request completed",
            "Video generation complete",
            "Video generation failed",
            "Request started",
        ] == [row["message"] for row in rows]

    def test_dedup_after_sort_and_several_fields(self) -> None:
        """dedup follows the sort before it; several fields make one key."""
        rows = run(
            "filter ispresent(logger) | fields level, logger "
            "| sort @timestamp asc | dedup level, logger"
        )

        assert [("info", "app.http"), ("info", "app.generate")] == [
            (row["level"], row["logger"]) for row in rows
        ]

    def test_dedup_then_limit(self) -> None:
        """limit may follow dedup."""
        assert 1 == len(run("dedup level | limit 1"))


class TestCompileErrors:
    def test_aggregate_outside_stats(self) -> None:
        """compile_expr refuses an aggregate it has no slot for."""
        with pytest.raises(QueryError, match="only allowed in stats"):
            compile_expr(Agg("count", (), True, 3))

    def test_periods_and_regexes_cannot_stand_alone(self) -> None:
        """A period or a regex is only an argument of its parent."""
        with pytest.raises(QueryError, match="cannot stand alone"):
            compile_expr(Period(5, "m"))
        with pytest.raises(QueryError, match="cannot stand alone"):
            compile_expr(Regex("x", re.compile("x")))


class TestHelpers:
    def test_created_dotted_fields(self) -> None:
        """A created field with a dotted name is found before the line's."""
        assert [{"usage.total_tokens": "x"}] == run(
            "filter message = 'Scene details' | fields 'x' as usage.total_tokens "
            "| filter usage.total_tokens = 'x'"
        )

    def test_field_getter_prefers_created_fields(self) -> None:
        """A field created by a command shadows the line's own, for system fields too."""
        row = Row(
            b'{"a": 1}',
            {"a": 1, "timestamp": "2026-01-01T00:00:00Z"},
            None,
            1,
            {"a": 2, "@timestamp": "t", "@message": "m", "@logStream": "s"},
        )

        assert [2, "t", "m", "s", None] == [
            field_getter(name)(row)
            for name in ("a", "@timestamp", "@message", "@logStream", "@log")
        ]

    def test_group_values(self) -> None:
        """Numbers by value, booleans as text, timestamps by time."""
        assert [5, "5x", "true", 1.0, None, "", 7] == [
            group_value(v) for v in ("5", "5x", True, Timestamp(1.0), None, "", 7)
        ]

    def test_compile_predicate_wraps_values_in_truth(self) -> None:
        """A non-boolean expression in filter is read with truth()."""
        predicate = compile_predicate(Field("a"))

        assert [True, False, None] == [predicate(row_of(a=v)) for v in (1, "no", None)]


# --------------------------------------------------------------------------
# The text pre-filter
# --------------------------------------------------------------------------


class TestPrefilter:
    @pytest.mark.parametrize(
        ("query", "line", "kept"),
        [
            ('filter job_id = "job-a"', b'{"job_id":"job-b"}', False),
            ('filter job_id = "job-a"', b'{"job_id":"job-a"}', True),
            ('filter job_id = "job-a"', b'{"job_id":"job\\u002da"}', True),
            ('filter "job-a" = job_id', b"{}", False),
            ("filter job_id in ['a1', 'b1']", b'{"x":"b1"}', True),
            ("filter job_id in ['a1', 'b1']", b'{"x":"c1"}', False),
            ("filter m like 'abc'", b'{"m":"xabcx"}', True),
            ("filter m like 'abc'", b'{"m":"x"}', False),
            ("filter ispresent(usage.total_tokens)", b'{"usage":{"total_tokens":1}}', True),
            ("filter ispresent(usage.total_tokens)", b'{"usage":{}}', False),
            ("filter @message like /fail(ed)?/", b"job failed", True),
            ("filter @message like /fail(ed)?/", b"job done", False),
            ('filter @message like "caf\u00e9"', "un caf\u00e9".encode(), True),
            ('filter @message like "xff"', b"bad \xff byte", True),
            ('filter @message like "xff"', b"plain ascii", False),
            ("filter a = 'x' and b = 'y'", b'{"a":"x"}', False),
            ("filter a = 'x' or b = 'y'", b'{"b":"y"}', True),
            ("filter a = 'x' or @message like /q/", b'{"z":"q"}', True),
            ("filter a = 'x' or @message like /q/", b'{"z":"r"}', False),
            ("filter @message like /a/ and b = 'y'", b'{"b":"y"}', False),
        ],
    )
    def test_prefilter_decisions(self, query: str, line: bytes, kept: bool) -> None:
        """Each derivable condition rules lines out only when the query must drop them."""
        prefilter = derive_prefilter(parse_query(query).commands)

        assert prefilter is not None
        assert kept == prefilter.test(line)

    @pytest.mark.parametrize(
        "query",
        [
            "filter a = 5",
            "filter a = '42'",
            "filter a = ''",
            "filter a = 'say \"hi\"'",
            "filter a = b",
            "filter a != 'x'",
            "filter not a = 'x'",
            "filter a like /x/",
            "filter a in [1, 'x']",
            "filter a not in ['x']",
            "filter a = 'x' or a > 5",
            "filter @timestamp = 'x'",
            "fields x as a | filter a = 'q'",
            "fields concat(b, c) as @message | filter @message like 'q'",
            "parse @message '*' as a | filter a = 'q'",
            "filter ispresent(list.0)",
            "filter ispresent(a) = 1",
            "filter @message not like 'x'",
        ],
    )
    def test_conditions_without_a_prefilter(self, query: str) -> None:
        """Numbers, escapes, negations and created fields give no pre-filter."""
        assert derive_prefilter(parse_query(query).commands) is None

    def test_needles_are_offered_for_block_search(self) -> None:
        """Literal conditions expose their needles; an or joins them."""
        prefilter = derive_prefilter(parse_query("filter a = 'x1' or b in ['y1', 'z1']").commands)

        assert prefilter is not None
        assert (b"x1", b"y1", b"z1") == prefilter.needles

    @settings(max_examples=200, deadline=None)
    @given(
        st.lists(
            st.fixed_dictionaries(
                {},
                optional={
                    "job_id": st.sampled_from(["job-a", "job-b", "", "job-a!", 5, None, True]),
                    "m": st.text(alphabet="ab -", max_size=6),
                    "n": st.one_of(st.integers(-3, 3), st.sampled_from(["1", "x"])),
                },
            ),
            max_size=8,
        ),
        st.sampled_from(
            [
                'filter job_id = "job-a"',
                "filter job_id in ['job-a', 'job-b'] and m like 'a'",
                "filter @message like /b -/ or job_id = 'job-b'",
                "filter ispresent(m) and n = 1",
                "filter m like 'ab' or @message like 'true'",
            ]
        ),
        st.booleans(),
    )
    def test_prefilter_never_changes_results(
        self, events: list[dict[str, Any]], query: str, escape: bool
    ) -> None:
        """With or without the pre-filter a query returns the same rows, escapes included."""
        lines = [_escaped(event) if escape else json.dumps(event) for event in events]

        assert run(query, lines, prefilter=False) == run(query, lines, prefilter=True)


def _escaped(event: dict[str, Any]) -> str:
    """JSON with every letter 'a' written as an escape, as some encoders do."""
    return json.dumps(event).replace("a", "\\u0061")


def test_binary_node_for_reference() -> None:
    """A hand-built comparison compiles like a parsed one."""
    get = compile_expr(Binary("=", Field("a"), Literal("x")))

    assert [True, False, None] == [get(row_of(a=v)) for v in ("x", "y", None)]


class TestMemory:
    @staticmethod
    def peak(query: str, lines: int) -> int:
        """Peak bytes allocated while running *query* over *lines* generated lines."""
        data = b"".join(
            b'{"timestamp":"2026-11-23T10:%02d:%02d.000Z","level":"info","job_id":"job-%d",'
            b'"n":%d,"pad":"%s"}\n' % (n // 60 % 60, n % 60, n % 50, n, b"p" * 400)
            for n in range(lines)
        )
        plan = Plan(parse_query(query), default_limit=20)
        tracemalloc.start()
        try:
            rows = plan.run(scan([Source("-", "-", None)], io.BytesIO(data), ScanStats()))
            assert 20 == len(rows)
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    @pytest.mark.parametrize(
        "query",
        ["filter level = 'info'", "filter n >= 0 | fields n * 2 as d | parse job_id 'job-*' as k"],
    )
    def test_streaming_queries_keep_memory_constant(self, query: str) -> None:
        """Without stats, sort or dedup, ten times the input takes about the same memory."""
        # Both inputs span several of the reader's 1 MB blocks.
        small = self.peak(query, 20_000)
        large = self.peak(query, 80_000)

        assert large < 1.25 * small


class TestTopRows:
    @given(
        values=st.lists(
            st.one_of(
                st.none(),
                st.integers(-3, 3),
                st.sampled_from(["a", "b10", "b9", "2", "-1.5", 1.5, True]),
            ),
            max_size=40,
        ),
        times=st.lists(st.integers(0, 5), min_size=40, max_size=40),
        top=st.integers(1, 8),
        descending=st.booleans(),
    )
    @settings(max_examples=300, deadline=None)
    def test_same_rows_as_nsmallest(
        self, values: list[Any], times: list[int], top: int, descending: bool
    ) -> None:
        """sort … | limit keeps exactly heapq.nsmallest's rows, in its order."""
        import heapq

        from joblog.cli.engine import _order_key, smallest

        source = Source("a", "a", None)
        rows = [
            Row(None, {"timestamp": when, **({} if value is None else {"v": value})}, source, n)
            for n, (value, when) in enumerate(zip(values, times, strict=False))
        ]
        get = field_getter("v")
        order = _order_key([(get, descending)])

        expected = [row.seq for row in heapq.nsmallest(top, rows, key=order)]
        assert expected == [row.seq for row in smallest(iter(rows), top, order, get, descending)]
