"""
Answers as CloudWatch Logs Insights gives them, from the examples on AWS's own pages.

Each test quotes the documented query (or the documented result) it checks:
boolean results as 0/1, aliases inside one stats, expressions in display,
inline regex flags, the JSON and IP functions, sortsFirst/sortsLast, unnest,
the commands that need CloudWatch, and parse globs in linear time.
"""

from __future__ import annotations

import io
import re
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from joblog.cli.engine import Glob, Plan
from joblog.cli.errors import QueryError
from joblog.cli.output import format_rows
from joblog.cli.parser import compile_regex, parse_query
from joblog.cli.reader import ScanStats, Source, scan


def run(query: str, events: list[Any]) -> list[dict[str, Any]]:
    """Run *query* over *events* (JSON objects, or raw text lines) as one log file."""
    lines = b"".join(
        (event.encode() if isinstance(event, str) else orjson.dumps(event)) + b"\n"
        for event in events
    )
    plan = Plan(parse_query(query))
    source = Source("app.jsonl", "app.jsonl", None)
    rows = plan.run(scan([source], io.BytesIO(lines), ScanStats(), prefilter=plan.prefilter))
    return [plan.values(row) for row in rows]


def at(second: int, **fields: Any) -> dict[str, Any]:
    return {"timestamp": f"2026-11-23T10:00:{second:02d}Z", **fields}


class TestBooleansAreNumbers:
    def test_ispresent_is_0_or_1(self) -> None:
        """AWS: "fields ispresent(resolverArn) as isRes": the value of isRes is either 0 or 1."""
        rows = run(
            "fields ispresent(resolverArn) as isRes | sort @timestamp asc",
            [at(1, resolverArn="arn:x"), at(2)],
        )

        assert [{"isRes": 1}, {"isRes": 0}] == rows
        assert all(type(row["isRes"]) is int for row in rows)

    def test_filter_on_the_number(self) -> None:
        """So `filter has = 1` keeps the rows where the field is present."""
        rows = run(
            "fields ispresent(job_id) as has | filter has = 1 | display job_id",
            [at(1, job_id="job-a"), at(2)],
        )

        assert [{"job_id": "job-a"}] == rows

    def test_comparison_in_display_is_0_or_1(self) -> None:
        """`display a, a = 1 as isOne` (expressions in display, a boolean shown as a number)."""
        rows = run("sort @timestamp asc | display a, a = 1 as isOne", [at(1, a=1), at(2, a=2)])

        assert [{"a": 1, "isOne": 1}, {"a": 2, "isOne": 0}] == rows

    def test_boolean_group_key(self) -> None:
        """A boolean `stats … by` key is 0/1 too."""
        rows = run("stats count(*) as n by ispresent(x) as hasX", [at(1, x=1), at(2), at(3)])

        assert [{"hasX": 0, "n": 2}, {"hasX": 1, "n": 1}] == rows

    def test_filter_keeps_boolean_speed_path(self) -> None:
        """In filter a boolean stays a truth value: ispresent(x) alone keeps rows with x."""
        assert [{"x": 1}] == run("filter ispresent(x) | display x", [at(1, x=1), at(2)])


class TestStatsAliases:
    def test_alias_used_later_in_the_same_stats(self) -> None:
        """`stats max(a) as hi, min(a) as lo, hi - lo as spread`."""
        rows = run(
            "stats max(a) as hi, min(a) as lo, hi - lo as spread by g",
            [at(1, a=3, g="x"), at(2, a=10, g="x"), at(3, a=4, g="y")],
        )

        assert [
            {"g": "x", "hi": 10, "lo": 3, "spread": 7},
            {"g": "y", "hi": 4, "lo": 4, "spread": 0},
        ] == rows

    def test_alias_only_after_its_definition(self) -> None:
        """A name used before the item defining it is still a bare field: an error."""
        with pytest.raises(QueryError, match="the field 'hi' must be inside an aggregate"):
            parse_query("stats hi - 1 as x, max(a) as hi")


class TestInlineRegexFlags:
    def test_flag_after_an_anchor(self) -> None:
        """`/^(?i)JOB-0A2405$/` matches job-0a2405 (Python allows flags only at the start)."""
        rows = run(
            "filter job_id like /^(?i)JOB-0A2405$/ | display job_id",
            [at(1, job_id="job-0a2405"), at(2, job_id="job-0a2406")],
        )

        assert [{"job_id": "job-0a2405"}] == rows

    @pytest.mark.parametrize(
        ("regex", "text", "found"),
        [
            ("a(?i)b", "aB", True),
            ("a(?i)b", "AB", False),  # the flag applies after it only
            ("a(?i)b|c", "C", True),  # and to the group's later alternatives
            ("(x(?i)y)z", "xYz", True),
            ("(x(?i)y)z", "xYZ", False),  # not past its group
            (r"a\(?i\)", "a(i)", True),  # an escaped paren is no flag group
            ("[(?i)]b", "?b", True),  # nor is a class
            ("[]a](?i)B", "]b", True),
            ("(?i)abc", "ABC", True),  # at the start it was already fine
        ],
    )
    def test_flags_scope(self, regex: str, text: str, found: bool) -> None:
        """Inline flags apply from where they stand to the end of their group."""
        assert found is (compile_regex(regex, 0).search(text) is not None)


class TestSystemFields:
    @pytest.mark.parametrize("name", ["@ingestionTime", "@ptr"])
    def test_cloudwatch_only_fields_are_named(self, name: str) -> None:
        """@ingestionTime and @ptr exist only in CloudWatch: a clear error names them."""
        with pytest.raises(QueryError, match=f"{name} is not available locally"):
            parse_query(f"fields {name}")


class TestJsonFunctions:
    EVENT = '{"events": [{"name": "exception"}, {"name": "user action"}]}'

    def test_unnest_aws_example(self) -> None:
        """
        AWS's unnest example: `fields jsonParse(@message) as json_message | unnest
        json_message.events into event | display event.name` gives two records.
        """
        rows = run(
            "fields jsonParse(@message) as json_message "
            "| unnest json_message.events into event | display event.name",
            [self.EVENT],
        )

        assert [{"event.name": "exception"}, {"event.name": "user action"}] == rows

    def test_unnest_then_filter(self) -> None:
        """`fields jsonParse(@message) as js | unnest js.accounts into account | filter …`."""
        message = '{"accounts": [{"type": "internal", "id": 1}, {"type": "external", "id": 2}]}'
        rows = run(
            "fields jsonParse(@message) as js | unnest js.accounts into account "
            '| filter account.type = "internal" | display account.id',
            [message],
        )

        assert [{"account.id": 1}] == rows

    def test_unnest_for_aggregation(self) -> None:
        """AWS: unnest a list, then `stats sum(account.droppedSpans) as n by account.accountId`."""
        data = orjson.dumps(
            [
                {"accountId": "a", "droppedSpans": 2},
                {"accountId": "b", "droppedSpans": 5},
                {"accountId": "a", "droppedSpans": 1},
            ]
        ).decode()
        rows = run(
            "fields jsonParse(trimmedData) as accounts | unnest accounts into account "
            "| stats sum(account.droppedSpans) as n by account.accountId | sort n desc | limit 10",
            [{"trimmedData": data}],
        )

        assert [{"account.accountId": "b", "n": 5}, {"account.accountId": "a", "n": 3}] == rows

    def test_unnest_of_a_scalar_is_one_item_and_absent_is_none(self) -> None:
        """AWS: any other type is treated as a list with one item; an absent field gives none."""
        rows = run("unnest tag into t | display t", [at(1, tag="x"), at(2)])

        assert [{"t": "x"}] == rows

    def test_unnest_reads_the_lines_own_arrays(self) -> None:
        """A list in the line's JSON unnests without jsonParse."""
        rows = run(
            "unnest usage.models into model | display model",
            [at(1, usage={"models": ["gpt-4o", "kling"]})],
        )

        assert [{"model": "gpt-4o"}, {"model": "kling"}] == rows

    def test_json_stringify_round_trip(self) -> None:
        """jsonStringify turns a map back into JSON text; a scalar gives its text."""
        rows = run(
            "fields jsonStringify(jsonParse(@message)) as back, jsonStringify(2) as two",
            ['{"a": [1, 2]}'],
        )

        assert [{"back": '{"a":[1,2]}', "two": "2"}] == rows

    def test_json_parse_of_non_json_is_absent(self) -> None:
        """jsonParse of text that is not JSON gives no value."""
        assert [{}] == run("fields jsonParse(@message) as j | display j.a", ["plain text"])

    def test_a_map_prints_as_json(self) -> None:
        """A map shown as a column prints as JSON text."""
        rows = run("fields jsonParse(@message) as j | display j", ['{"k": "v"}'])

        assert [{"j": {"k": "v"}}] == rows
        assert '{"k":"v"}' in format_rows("table", ["j"], rows)
        assert 'j\n"{""k"":""v""}"\n' == format_rows("csv", ["j"], rows)


class TestIpFunctions:
    @pytest.mark.parametrize(
        ("expression", "expected"),
        [
            ("isValidIp('10.0.0.1')", 1),
            ("isValidIp('2001:db8::1')", 1),
            ("isValidIp('127.0.500.1')", 0),
            ("isValidIpV4('10.0.0.1')", 1),
            ("isValidIpV4('2001:db8::1')", 0),
            ("isValidIpV6('2001:db8::1')", 1),
            ("isValidIpV6('10.0.0.1')", 0),
            ("isIpInSubnet('192.0.2.3', '192.0.2.0/24')", 1),
            ("isIpInSubnet('192.0.3.3', '192.0.2.0/24')", 0),
            ("isIpInSubnet('2001:db8::1', '192.0.2.0/24')", 0),
            ("isIpInSubnet('192.0.2.3', 'not a subnet')", 0),
            ("isIpInSubnet('nonsense', '192.0.2.0/24')", 0),
            ("isIpv4InSubnet('192.0.2.3', '192.0.2.0/24')", 1),
            ("isIpv4InSubnet('2001:db8::1', '2001:db8::/32')", 0),
            ("isIpv6InSubnet('2001:db8::1', '2001:db8::/32')", 1),
            ("isIpv6InSubnet('192.0.2.3', '192.0.2.0/24')", 0),
        ],
    )
    def test_ip_function(self, expression: str, expected: int) -> None:
        """The IP address string functions, true as 1 and false as 0."""
        assert [{"v": expected}] == run(f"fields {expression} as v", [at(1)])

    def test_filter_by_subnet(self) -> None:
        """AWS: `filter isIpv4InSubnet(srcAddr, "192.0.2.0/24")`."""
        rows = run(
            'filter isIpv4InSubnet(srcAddr, "192.0.2.0/24") | display srcAddr',
            [at(1, srcAddr="192.0.2.9"), at(2, srcAddr="198.51.100.1"), at(3)],
        )

        assert [{"srcAddr": "192.0.2.9"}] == rows


class TestSortsFirstLast:
    def test_sorts_first_and_last_in_natural_order(self) -> None:
        """sortsFirst/sortsLast: the value that sorts first/last (sort's natural order)."""
        rows = run(
            "stats sortsFirst(v) as first, sortsLast(v) as last",
            [at(1, v="b10"), at(2, v="b9"), at(3, v="a"), at(4, v=7), at(5)],
        )

        # Non-numbers before numbers; digit runs by length, then value.
        assert [{"first": "a", "last": 7}] == rows


class TestCloudWatchOnlyCommands:
    @pytest.mark.parametrize(
        "command",
        [
            "pattern @message",
            "anomaly",
            "diff",
            "logcompare",
            "lookup t",
            "SOURCE logGroups()",
            "filterIndex a = 1",
            "unmask(@message)",
        ],
    )
    def test_not_available_locally(self, command: str) -> None:
        """Each command that needs CloudWatch's services says so, by name."""
        word = command.split()[0].split("(")[0].lower()
        with pytest.raises(QueryError, match=f"the {word} command needs CloudWatch's services"):
            parse_query(f"fields a | {command}")


class TestLinearGlobs:
    def test_aws_example_glob(self) -> None:
        """AWS's `"* [*] *"` on a line: the three parts."""
        rows = run(
            'parse @message "* [*] *" as when, loggingType, loggingMessage '
            "| display when, loggingType, loggingMessage",
            ["2019-05-25 [ERROR] The error was: DataIntegrityException"],
        )

        assert [
            {
                "when": "2019-05-25",
                "loggingType": "ERROR",
                "loggingMessage": "The error was: DataIntegrityException",
            }
        ] == rows

    @pytest.mark.parametrize(
        ("pattern", "text", "expected"),
        [
            (
                "[*] * The error was: *",
                "25 May [ERROR] {foo=2} The error was: X",
                ["ERROR", "{foo=2}", "X"],
            ),
            ("*,*", "a,b,c", ["a", "b,c"]),
            ("**", "abc", ["", "abc"]),
            ("a*", "xxab", ["b"]),
            ("*x", "abc", None),
            ("k=*;", "k=1", None),
            ("nope*", "abc", None),
        ],
    )
    def test_glob_semantics(self, pattern: str, text: str, expected: list[str] | None) -> None:
        """Unanchored at the start, each * lazy to the next literal, a final * to the end."""
        assert expected == Glob(pattern).match(text)

    @given(
        pattern=st.text(alphabet="ab*[] ", max_size=8),
        text=st.text(alphabet="ab[] ", max_size=30),
    )
    @settings(max_examples=300, deadline=None)
    def test_same_captures_as_the_lazy_regex(self, pattern: str, text: str) -> None:
        """str.find from left to right gives what the lazy regex search gives, in linear time."""
        parts = pattern.split("*")
        regex = re.escape(parts[0])
        for index, part in enumerate(parts[1:], start=1):
            last = index == len(parts) - 1
            regex += ("(.*)" if last and not part else "(.*?)") + re.escape(part)
        found = re.search(regex, text, re.DOTALL)

        assert (None if found is None else list(found.groups())) == Glob(pattern).match(text)
