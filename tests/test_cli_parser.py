"""The query language's lexer and parser: one group of tests per grammar rule."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from joblog.cli.errors import QueryError
from joblog.cli.lexer import Lexer
from joblog.cli.parser import compile_regex, parse_query
from joblog.cli.syntax import (
    Agg,
    Binary,
    Call,
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


def error_of(query: str) -> QueryError:
    with pytest.raises(QueryError) as info:
        parse_query(query)
    return info.value


def expr_of(text: str) -> Expr:
    """The expression of ``filter <text>``."""
    command = parse_query(f"filter {text}").commands[0]
    assert isinstance(command, Filter)
    return command.expr


def regex(source: str) -> Regex:
    return Regex(source, re.compile(source))


class TestLexer:
    def test_tokens_carry_their_offsets(self) -> None:
        """Each token knows where its source text starts and ends."""
        lexer = Lexer('filter x = "a b"')
        tokens = []
        while (token := lexer.next()).kind != "eof":
            tokens.append((token.kind, token.value, token.pos, token.end))

        assert [
            ("name", "filter", 0, 6),
            ("name", "x", 7, 8),
            ("op", "=", 9, 10),
            ("string", "a b", 11, 16),
        ] == tokens

    def test_two_character_operators_win(self) -> None:
        """<= is one operator, not < followed by =."""
        lexer = Lexer("<= >= != =~ < >")

        assert ["<=", ">=", "!=", "=~", "<", ">"] == [lexer.next().value for _ in range(6)]

    def test_string_escapes(self) -> None:
        """Quotes, backslashes, \\n and \\t are escapes; an unknown escape keeps its backslash."""
        lexer = Lexer(r"""'it\'s' "a\"b" "x\\y" "1\n2\t3" "\d+" """)

        assert ["it's", 'a"b', "x\\y", "1\n2\t3", "\\d+"] == [lexer.next().value for _ in range(5)]

    def test_periods(self) -> None:
        """A whole number followed by a unit is a period; units have long forms and plurals."""
        lexer = Lexer("5m 1h 30sec 2days 3mo 1Q 100ms")

        assert [(5, "m"), (1, "h"), (30, "s"), (2, "d"), (3, "mo"), (1, "q"), (100, "ms")] == [
            lexer.next().value for _ in range(7)
        ]

    def test_numbers(self) -> None:
        """Integers stay integers; decimals and exponents are floats."""
        lexer = Lexer("42 1.5 2e3 7E-1")

        assert [42, 1.5, 2000.0, 0.7] == [lexer.next().value for _ in range(4)]

    def test_regex_is_scanned_on_request(self) -> None:
        """After 'like' the parser asks for a regex; \\/ is a slash, other escapes stay."""
        lexer = Lexer(r"/a\/b\d/")

        token = lexer.peek_regex()

        assert token is not None
        assert ("regex", r"a/b\d", 0, 8) == (token.kind, token.value, token.pos, token.end)

    def test_peek_regex_is_none_without_a_slash(self) -> None:
        """Something other than / is no regex, and stays the next token."""
        lexer = Lexer('"text"')

        assert lexer.peek_regex() is None
        assert "string" == lexer.next().kind

    @pytest.mark.parametrize(
        ("text", "message", "pos"),
        [
            ('filter x = "abc', "unterminated string", 11),
            ("filter x like /abc", "unterminated regex", 14),
            ("fields `a-b", "unterminated `name`", 7),
            ("filter x = 5x", "unknown time unit 'x'", 12),
            ("filter x = 1.5m", "a time period needs a whole number", 11),
            ("filter x = $", "unexpected character '$'", 11),
            ("filter x = {", "unexpected character '{'", 11),
        ],
    )
    def test_lexical_errors_point_at_the_offending_character(
        self, text: str, message: str, pos: int
    ) -> None:
        """Each lexical error names the problem and its offset."""
        error = error_of(text)

        assert (message, pos) == (error.message[: len(message)], error.pos)


class TestQuery:
    def test_commands_are_joined_by_pipes(self) -> None:
        """query := command ("|" command)*."""
        query = parse_query("filter a = 1 | limit 5 | dedup b")

        assert (
            Query((Filter(Binary("=", Field("a"), Literal(1))), Limit(5), Dedup((Field("b"),))))
            == query
        )

    def test_comments_and_newlines_are_ignored(self) -> None:
        """# starts a comment up to the end of the line; layout does not matter."""
        query = parse_query("# failed jobs\nfilter status = 'failed'  # only those\n| limit 3\n")

        assert Query((Filter(Binary("=", Field("status"), Literal("failed"))), Limit(3))) == query

    def test_keywords_ignore_case(self) -> None:
        """FILTER, Filter and filter are the same command; AND is and."""
        assert parse_query("filter a = 1 and b = 2") == parse_query("FILTER a = 1 AND b = 2")

    @pytest.mark.parametrize(
        ("text", "message", "pos"),
        [
            ("", "empty query", 0),
            ("   # only a comment", "empty query", 0),
            ("filter a = 1 |", "expected a command", 14),
            ("| filter a = 1", "expected a command", 0),
            ("filter a = 1 limit 5", "expected '|' or the end of the query", 13),
            ("select a", "unknown command 'select'", 0),
            ("filter a = 1 | pattern @message", "the pattern command needs CloudWatch", 15),
            ("fields a | join b", "the join command is not supported", 11),
            ("fields a | unnest b", "expected 'into' and a field name", 19),
        ],
    )
    def test_query_errors(self, text: str, message: str, pos: int) -> None:
        """A malformed pipeline points at the token where it goes wrong."""
        error = error_of(text)

        assert (message, pos) == (error.message[: len(message)], error.pos)


class TestFields:
    def test_items_aliases_and_text(self) -> None:
        """fields item ("," item)*; item := expr ["as" name]; the text names the column."""
        command = parse_query("fields @timestamp, toupper( level ) as lvl, a + 1").commands[0]

        assert (
            Fields(
                (
                    Item(Field("@timestamp")),
                    Item(Call("toupper", (Field("level"),)), "lvl"),
                    Item(Binary("+", Field("a"), Literal(1))),
                )
            )
            == command
        )
        assert isinstance(command, Fields)
        assert ["@timestamp", "lvl", "a + 1"] == [item.name for item in command.items]

    def test_fields_needs_an_item(self) -> None:
        """A bare fields is an error at the end of the query."""
        error = error_of("fields")

        assert error.message.startswith("expected a value, a field or a function call")
        assert 6 == error.pos

    def test_alias_must_be_a_name(self) -> None:
        """'as' takes a field name."""
        error = error_of("fields a as 5")

        assert ("expected a field name", 12) == (error.message[:21], error.pos)


class TestDisplay:
    def test_names(self) -> None:
        """display name ("," name)*."""
        assert Query((Display((Item(Field("a")), Item(Field("b.c")))),)) == parse_query(
            "display a, b.c"
        )

    def test_display_computes_like_fields(self) -> None:
        """display takes expressions with aliases, as AWS documents: display a, a = 1 as isOne."""
        assert Query(
            (Display((Item(Field("a")), Item(Binary("=", Field("a"), Literal(1)), "isOne"))),)
        ) == parse_query("display a, a = 1 as isOne")


class TestFilter:
    def test_where_is_filter(self) -> None:
        """where is an alias of filter."""
        assert parse_query("filter a > 1") == parse_query("where a > 1")


class TestStats:
    def test_aggregates_aliases_and_by(self) -> None:
        """stats item ("," item)* ["by" item ("," item)*]."""
        command = parse_query(
            "stats count(*), avg(total_time) as avg_time, pct(latency_ms, 95) by bin(5m), level"
        ).commands[0]

        assert (
            Stats(
                (
                    Item(Agg("count", (), True)),
                    Item(Agg("avg", (Field("total_time"),)), "avg_time"),
                    Item(Agg("pct", (Field("latency_ms"), Literal(95)))),
                ),
                (Item(Call("bin", (Period(5, "m"),))), Item(Field("level"))),
            )
            == command
        )
        assert isinstance(command, Stats)
        assert ["count(*)", "avg_time", "pct(latency_ms, 95)"] == [i.name for i in command.items]
        assert ["bin(5m)", "level"] == [item.name for item in command.by]

    def test_count_without_arguments_is_count_star(self) -> None:
        """count() counts rows, as count(*) does."""
        assert parse_query("stats count(*)") == parse_query("stats count()")

    def test_expressions_over_aggregates(self) -> None:
        """An item may compute with aggregates: sum(a) / count(*)."""
        command = parse_query("stats sum(a) / count(*) as mean").commands[0]

        assert (
            Stats((Item(Binary("/", Agg("sum", (Field("a"),)), Agg("count", (), True)), "mean"),))
            == command
        )

    @pytest.mark.parametrize(
        ("text", "message", "pos"),
        [
            ("stats level", "the field 'level' must be inside an aggregate", 6),
            ("stats 1 + 2", "a stats item needs an aggregate function", 8),
            ("stats count(*) + level", "the field 'level' must be inside", 17),
            ("stats sum(count(*))", "an aggregate function (count) cannot be nested", 10),
            ("filter count(*) > 1", "the aggregate function count() is only allowed in stats", 7),
            ("stats count(*) by count(*)", "the aggregate function count()", 18),
            ("stats avg()", "avg() takes 1 argument, not 0", 6),
            ("stats pct(a)", "pct() takes 2 arguments, not 1", 6),
            ("stats pct(a, 101)", "pct() takes a number from 0 to 100", 13),
            ("stats pct(a, 'x')", "pct() takes a number from 0 to 100", 13),
            ("stats count(*) by", "expected a value, a field or a function call", 17),
        ],
    )
    def test_stats_errors(self, text: str, message: str, pos: int) -> None:
        """Aggregates belong in stats items, fields inside them."""
        error = error_of(text)

        assert (message, pos) == (error.message[: len(message)], error.pos)


class TestSort:
    def test_keys_and_directions(self) -> None:
        """sort name [asc|desc] ("," …)*; no direction means asc."""
        assert Query(
            (
                Sort(
                    (
                        SortKey(Field("@timestamp"), True),
                        SortKey(Field("level")),
                        SortKey(Field("b"), False),
                    )
                ),
            )
        ) == parse_query("sort @timestamp desc, level, b ASC")

    def test_sort_needs_a_name(self) -> None:
        """A keyword is no field name unless quoted."""
        error = error_of("sort desc")

        assert ("expected a field name, found the keyword 'desc'", 5) == (
            error.message[:47],
            error.pos,
        )


class TestLimit:
    def test_limit(self) -> None:
        """limit INT."""
        assert Query((Limit(20),)) == parse_query("limit 20")

    @pytest.mark.parametrize(
        ("text", "message"),
        [
            ("limit 0", "limit must be at least 1"),
            ("limit 1.5", "expected a whole number after limit"),
            ("limit x", "expected a whole number after limit"),
            ("limit", "expected a whole number after limit"),
        ],
    )
    def test_limit_errors(self, text: str, message: str) -> None:
        """limit takes a positive whole number."""
        error = error_of(text)

        assert (message, 6 if text != "limit" else 5) == (error.message[: len(message)], error.pos)


class TestParse:
    def test_glob_on_message(self) -> None:
        """parse "glob" as names: without a source it parses @message."""
        assert Query((Parse(None, "[*] * done", ("level", "what")),)) == parse_query(
            'parse "[*] * done" as level, what'
        )

    def test_glob_on_a_field(self) -> None:
        """parse field "glob" as names."""
        assert Query((Parse(Field("path"), "/api/*/users/*", ("v", "id")),)) == parse_query(
            'parse path "/api/*/users/*" as v, id'
        )

    def test_regex_names_come_from_its_groups(self) -> None:
        """parse [source] /(?<name>…)/ takes the names of the named groups."""
        command = parse_query(r"parse @message /scene (?<scene>\d+) took (?<ms>\d+)/").commands[0]

        assert isinstance(command, Parse)
        assert ("scene", "ms") == command.names
        assert Field("@message") == command.source
        assert isinstance(command.pattern, Regex)
        assert command.pattern.pattern.search("scene 2 took 15") is not None

    @pytest.mark.parametrize(
        ("text", "message", "pos"),
        [
            ('parse "*-*" as a', "the pattern has 2 '*' but 1 field name follows 'as'", 6),
            ('parse "*" as a, b', "the pattern has 1 '*' but 2 field names follow 'as'", 6),
            ('parse "*"', "expected 'as' and the field names after the pattern", 9),
            (r"parse /\d+/", "the regex has no named group", 6),
            ("parse @message", 'expected a "glob * pattern" or a /regex/ to parse', 14),
            ("parse /(?<a>x/", "invalid regex: missing ), unterminated subpattern", 7),
        ],
    )
    def test_parse_errors(self, text: str, message: str, pos: int) -> None:
        """The number of * must match the names; a regex needs named groups."""
        error = error_of(text)

        assert (message, pos) == (error.message[: len(message)], error.pos)


class TestDedup:
    def test_names(self) -> None:
        """dedup name ("," name)*."""
        assert Query((Dedup((Field("job_id"), Field("stage"))),)) == parse_query(
            "dedup job_id, stage"
        )

    def test_only_limit_may_follow(self) -> None:
        """AWS documents that only limit may follow dedup."""
        assert Query((Dedup((Field("a"),)), Limit(2))) == parse_query("dedup a | limit 2")
        error = error_of("dedup a | sort a")

        assert ("only limit may follow dedup", 10) == (error.message, error.pos)


class TestExpressions:
    def test_precedence_of_boolean_operators(self) -> None:
        """or binds loosest, then and, then not."""
        assert Binary(
            "or",
            Field("a"),
            Binary("and", Unary("not", Field("b")), Field("c")),
        ) == expr_of("a or not b and c")

    def test_not_applies_to_a_whole_comparison(self) -> None:
        """not a = 1 is not (a = 1)."""
        assert Unary("not", Binary("=", Field("a"), Literal(1))) == expr_of("not a = 1")

    @pytest.mark.parametrize("op", ["=", "!=", "<", "<=", ">", ">="])
    def test_comparisons(self, op: str) -> None:
        """pred := sum (cmp sum)?"""
        assert Binary(op, Field("a"), Binary("+", Field("b"), Literal(1))) == expr_of(
            f"a {op} b + 1"
        )

    def test_like_forms(self) -> None:
        """like and not like take a string or a regex; =~ takes a regex."""
        assert Like(Field("@message"), "failed") == expr_of('@message like "failed"')
        assert Like(Field("m"), regex("API error")) == expr_of("m like /API error/")
        assert Like(Field("m"), "x", negated=True) == expr_of("m not like 'x'")
        assert Like(Field("m"), regex("^a"), op="=~") == expr_of("m =~ /^a/")

    def test_in_forms(self) -> None:
        """in and not in take a list of literals, negative numbers included."""
        assert In(
            Field("status"), (Literal(300), Literal(-4), Literal("x"), Literal(True))
        ) == expr_of("status in [300, -4, 'x', true]")
        assert In(Field("a"), (Literal(1.5),), negated=True) == expr_of("a not in [1.5]")

    def test_arithmetic_precedence(self) -> None:
        """* / % bind tighter than + -, ^ tighter still and to the right, unary minus below ^."""
        assert Binary(
            "-",
            Binary("+", Field("a"), Binary("*", Field("b"), Field("c"))),
            Binary("%", Field("d"), Literal(2)),
        ) == expr_of("a + b * c - d % 2")
        assert Binary("^", Literal(2), Binary("^", Literal(3), Literal(2))) == expr_of("2 ^ 3 ^ 2")
        assert Unary("-", Binary("^", Literal(2), Literal(2))) == expr_of("-2 ^ 2")
        assert Binary("/", Field("a"), Field("b")) == expr_of("a / b")

    def test_parentheses(self) -> None:
        """( expr ) groups."""
        assert Binary("*", Binary("+", Field("a"), Field("b")), Field("c")) == expr_of(
            "(a + b) * c"
        )

    def test_literals(self) -> None:
        """Strings in either quotes, numbers, true and false (any case)."""
        assert Binary(
            "and",
            Binary("=", Field("a"), Literal("x")),
            Binary("=", Field("b"), Literal(False)),
        ) == expr_of("a = 'x' and b = FALSE")

    def test_names(self) -> None:
        """Dotted names, @ names, array indexes and backticked names are fields."""
        assert Binary(
            "and",
            Binary("=", Field("usage.models.0"), Field("@logStream")),
            Binary("=", Field("x-request-id"), Field("and")),
        ) == expr_of("usage.models.0 = @logStream and `x-request-id` = `and`")

    def test_functions_ignore_case(self) -> None:
        """isPresent and ispresent are the same function."""
        assert Call("ispresent", (Field("a"),)) == expr_of("isPresent(a)")

    def test_period_arguments(self) -> None:
        """bin, datefloor and dateceil take a period where it belongs."""
        assert Call("datefloor", (Field("@timestamp"), Period(1, "h"))) == expr_of(
            "datefloor(@timestamp, 1h)"
        )

    @pytest.mark.parametrize(
        ("text", "message", "pos"),
        [
            ("a = ", "expected a value, a field or a function call, found the end", 11),
            ("a like 5", 'expected a "string" or a /regex/ after like', 14),
            ("a =~ 'x'", "expected a /regex/ after '=~'", 12),
            ("a not b", "expected 'like' or 'in' after 'not'", 13),
            ("a in (1)", "expected '[' to start the list after 'in'", 12),
            ("a in [1, b]", "expected a string, a number, true or false", 16),
            ("a in [- 'x']", "expected a number after '-'", 15),
            ("a in [1", "expected ']' to close the list", 14),
            ("(a = 1", "expected ')' to close '('", 13),
            ("and = 1", "expected a field name, found the keyword 'and'", 7),
            ("nosuch(a)", "unknown function 'nosuch'", 7),
            ("sortsFirst(a)", "the aggregate function sortsfirst() is only allowed in stats", 7),
            ("rate(a)", "the function 'rate' is not supported", 7),
            ("strlen(a, b)", "strlen() takes 1 argument, not 2", 7),
            ("coalesce()", "coalesce() takes at least 1 argument, not 0", 7),
            ("substr(a)", "substr() takes 2 to 3 arguments, not 1", 7),
            ("bin(a)", "bin() takes a time period such as 5m as argument 1", 11),
            ("a = 5m", "a time period is only allowed in bin()", 11),
            ("concat(a b)", "expected ',' or ')' in the argument list", 16),
            ("a = |", "expected a value, a field or a function call, found '|'", 11),
            ("a == 1", "'==' is no operator here: compare with a single '='", 9),
        ],
    )
    def test_expression_errors(self, text: str, message: str, pos: int) -> None:
        """Each malformed expression points at its offending token."""
        error = error_of(f"filter {text}")

        assert (message, pos) == (error.message[: len(message)], error.pos)


class TestCompileRegex:
    def test_named_groups_are_translated(self) -> None:
        """(?<name>…) becomes Python's (?P<name>…); lookbehinds are left alone."""
        pattern = compile_regex(r"(?<=id=)(?<id>\w+)(?<!x)", 0)

        match = pattern.search("id=abc")
        assert match is not None
        assert "abc" == match.group("id")

    def test_case_insensitive_flag(self) -> None:
        """(?i) makes a regex ignore case, as in CloudWatch."""
        assert compile_regex("(?i)failed", 0).search("Job FAILED") is not None


class TestErrorRendering:
    def test_caret_under_the_column(self) -> None:
        """render() shows the line and a caret under the offending column."""
        error = error_of('filter x = "a" and')

        assert (
            "query error at line 1, column 19: expected a value, a field or a function call, "
            "found the end of the query\n"
            '  filter x = "a" and\n'
            "                    ^"
        ) == error.render('filter x = "a" and')

    def test_multi_line_query_shows_the_offending_line(self) -> None:
        """Only the line with the error is shown, with its number."""
        query = "fields a\n| filter b >\n| limit 2"
        error = error_of(query)

        assert (
            "query error at line 3, column 1: expected a value, a field or a function call, "
            "found '|'\n"
            "  | limit 2\n"
            "  ^"
        ) == error.render(query)

    def test_tabs_keep_the_caret_aligned(self) -> None:
        """A tab before the column is repeated in the caret line."""
        query = "filter\ta = $"

        assert error_of(query).render(query).endswith("  filter\ta = $\n        \t    ^")


# --------------------------------------------------------------------------
# Round trips: printing a tree and parsing it back gives the same tree.
# --------------------------------------------------------------------------

_WORDS = st.sampled_from(["level", "job_id", "usage.total_tokens", "@message", "a1", "x_y"])
_TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=8)


def _unparse(expr: Expr) -> str:
    if isinstance(expr, Field):
        return expr.name
    if isinstance(expr, Literal):
        value = expr.value
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, str):
            return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
        return repr(value)
    if isinstance(expr, Period):
        return f"{expr.count}{expr.unit}"
    if isinstance(expr, Unary):
        return (
            f"(not {_unparse(expr.operand)})"
            if expr.op == "not"
            else f"(-{_unparse(expr.operand)})"
        )
    if isinstance(expr, Binary):
        return f"({_unparse(expr.left)} {expr.op} {_unparse(expr.right)})"
    if isinstance(expr, Like):
        pattern = (
            "/" + expr.pattern.source.replace("/", "\\/") + "/"
            if isinstance(expr.pattern, Regex)
            else _unparse(Literal(expr.pattern))
        )
        op = expr.op if expr.op == "=~" else ("not like" if expr.negated else "like")
        return f"({_unparse(expr.operand)} {op} {pattern})"
    if isinstance(expr, In):
        items = ", ".join(_unparse(item) for item in expr.items)
        return f"({_unparse(expr.operand)} {'not in' if expr.negated else 'in'} [{items}])"
    assert isinstance(expr, Call)
    return f"{expr.name}({', '.join(_unparse(arg) for arg in expr.args)})"


def _literals() -> st.SearchStrategy[Literal]:
    return st.one_of(
        st.builds(Literal, _TEXT),
        st.builds(Literal, st.integers(min_value=0, max_value=10**6)),
        st.builds(Literal, st.floats(min_value=0, max_value=1e6, allow_nan=False)),
        st.builds(Literal, st.booleans()),
    )


def _exprs() -> st.SearchStrategy[Expr]:
    leaves: st.SearchStrategy[Expr] = st.one_of(st.builds(Field, _WORDS), _literals())

    def extend(children: st.SearchStrategy[Expr]) -> st.SearchStrategy[Expr]:
        return st.one_of(
            st.builds(
                Binary,
                st.sampled_from(["and", "or", "=", "!=", "<", "<=", ">", ">=", "+", "-", "*"]),
                children,
                children,
            ),
            st.builds(Unary, st.sampled_from(["not", "-"]), children),
            st.builds(Like, children, _TEXT, st.booleans()),
            st.builds(
                Like,
                children,
                st.sampled_from(["API error", "a/b", r"\d+", "(?i)x"]).map(regex),
                st.just(False),
                st.sampled_from(["like", "=~"]),
            ),
            st.builds(
                In,
                children,
                st.lists(_literals(), min_size=1, max_size=3).map(tuple),
                st.booleans(),
            ),
            st.builds(
                Call, st.just("concat"), st.lists(children, min_size=1, max_size=3).map(tuple)
            ),
            st.builds(lambda c: Call("bin", (Period(c, "m"),)), st.integers(1, 60)),
        )

    return st.recursive(leaves, extend, max_leaves=8)


class TestRoundTrip:
    @settings(max_examples=300)
    @given(_exprs())
    def test_expression_round_trip(self, expr: Expr) -> None:
        """Any expression printed fully parenthesized parses back to itself."""
        assert expr == expr_of(_unparse(expr))

    @given(
        st.lists(_WORDS, min_size=1, max_size=4),
        st.lists(st.tuples(_WORDS, st.booleans()), min_size=1, max_size=3),
        st.integers(1, 10_000),
    )
    def test_command_round_trip(
        self, names: list[str], keys: list[tuple[str, bool]], count: int
    ) -> None:
        """fields, sort, dedup and limit print and parse back to themselves."""
        text = (
            f"fields {', '.join(names)} | display {', '.join(names)} | sort "
            + ", ".join(f"{name} {'desc' if desc else 'asc'}" for name, desc in keys)
            + f" | dedup {', '.join(names)} | limit {count}"
        )

        assert Query(
            (
                Fields(tuple(Item(Field(name)) for name in names)),
                Display(tuple(Item(Field(name)) for name in names)),
                Sort(tuple(SortKey(Field(name), desc) for name, desc in keys)),
                Dedup(tuple(Field(name) for name in names)),
                Limit(count),
            )
        ) == parse_query(text)
