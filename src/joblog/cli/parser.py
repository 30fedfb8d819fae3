"""
A recursive-descent parser for the Logs Insights subset ``joblog query`` runs.

Grammar (keywords and function names ignore case; field names do not)::

    query    := command ("|" command)*            "#" starts a comment
    command  := "fields" item ("," item)*
              | "display" name ("," name)*
              | ("filter" | "where") expr
              | "stats" item ("," item)* ["by" item ("," item)*]
              | "sort" name ["asc" | "desc"] ("," name ["asc" | "desc"])*
              | "limit" INT
              | "parse" [primary] (STRING "as" name ("," name)* | REGEX)
              | "dedup" name ("," name)*
    item     := expr ["as" name]
    expr     := and ("or" and)*
    and      := not ("and" not)*
    not      := "not" not | pred
    pred     := sum [("=" | "!=" | "<" | "<=" | ">" | ">=") sum
                    | ["not"] "like" (STRING | REGEX) | "=~" REGEX
                    | ["not"] "in" "[" literal ("," literal)* "]"]
    sum      := product (("+" | "-") product)*
    product  := unary (("*" | "/" | "%") unary)*
    unary    := "-" unary | power
    power    := primary ["^" unary]
    primary  := NUMBER | STRING | "true" | "false" | name | FUNC "(" [args] ")" | "(" expr ")"
    name     := IDENT ("." IDENT)* | "`" any-but-backtick "`"

Every error is a :class:`~joblog.cli.errors.QueryError` carrying the offset
of the offending token.
"""

from __future__ import annotations

import re
from typing import Final, cast

from .aggregates import AGGREGATES
from .errors import QueryError
from .functions import FUNCTIONS
from .lexer import Lexer, Token
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
    Unnest,
    children,
)

__all__ = ["compile_regex", "parse_query"]

_COMMANDS: Final = (
    *("fields", "display", "filter", "where", "stats", "sort", "limit", "parse", "dedup"),
    "unnest",
)
#: Commands that need CloudWatch's own services (machine learning, field
#: indexes, lookup tables, several log groups, data protection).
_CLOUDWATCH_ONLY: Final = frozenset(
    (
        *("pattern", "anomaly", "diff", "logcompare", "lookup", "source", "filterindex"),
        "unmask",
    )
)
_UNSUPPORTED_COMMANDS: Final = frozenset(("expand", "join", "addtotals"))
_UNSUPPORTED_FUNCTIONS: Final = frozenset(
    (*("rate", "count_over_time", "histogram", "offset", "datediff", "datetrunc", "unmask"),)
)
#: System fields a local file cannot have, and why.
_CLOUDWATCH_FIELDS: Final = {
    "@ingestionTime": "the time CloudWatch received the event",
    "@ptr": "a pointer to the event in CloudWatch's storage",
}
#: Words that cannot be an unquoted field name (backticks make them one).
_RESERVED: Final = frozenset(
    ("and", "or", "not", "like", "in", "as", "by", "asc", "desc", "true", "false")
)
_COMPARISONS: Final = ("=", "!=", "<", "<=", ">", ">=")
_NAMED_GROUP = re.compile(r"\(\?<(?![=!])")


def parse_query(text: str) -> Query:
    """
    Parse a Logs Insights query.

    Raises:
        QueryError: with the offset of the offending token.
    """
    return _Parser(text).query()


def compile_regex(source: str, pos: int) -> re.Pattern[str]:
    """
    Compile a Logs Insights regex for Python's :mod:`re`.

    ``(?<name>…)`` named groups become Python's ``(?P<name>…)``.

    Raises:
        QueryError: pointing into the regex when it does not compile.
    """
    try:
        return re.compile(_scope_inline_flags(_NAMED_GROUP.sub("(?P<", source)))
    except re.error as exc:
        offset = exc.pos if exc.pos is not None else 0
        raise QueryError(f"invalid regex: {exc.msg}", pos + 1 + min(offset, len(source))) from None


# An id-like word: letters, digits and dashes (job-f7b5c1, job-0a2405), not a
# number and with at least one dash; what follows may be any other text.
_BARE_WORD = re.compile(r"[A-Za-z_][\w.]*(?:-[^\s|,()\[\]]+)+")
_INLINE_FLAGS = re.compile(r"\(\?([aiLmsux]+)\)")


def _scope_inline_flags(source: str) -> str:
    """
    Rewrite inline flags such as ``(?i)`` after the start as scoped groups.

    Logs Insights' regex dialect lets ``(?i)`` appear anywhere and apply to
    the rest of its group (``/^(?i)JOB-0A2405$/``); Python accepts global
    flags only at the very start, so the rest of the group becomes
    ``(?i:…)``, reopened after each ``|`` of that group.
    """
    if "(?" not in source[1:]:
        return source
    out: list[str] = []
    open_flags: list[list[str]] = [[]]  # per group: the scoped flag groups still open
    index = 0
    in_class = False
    while index < len(source):
        ch = source[index]
        if ch == "\\":
            out.append(source[index : index + 2])
            index += 2
            continue
        if in_class:
            in_class = ch != "]"
        elif ch == "[":
            in_class = True
            if source[index + 1 : index + 2] == "]":  # a literal ] first in the class
                out.append("[]")
                index += 2
                continue
        elif ch == "(":
            flags = _INLINE_FLAGS.match(source, index)
            if flags is not None and index > 0:
                out.append(f"(?{flags.group(1)}:")
                open_flags[-1].append(flags.group(1))
                index = flags.end()
                continue
            open_flags.append([])
        elif ch == ")" and len(open_flags) > 1:
            out.append(")" * len(open_flags.pop()))
        elif ch == "|" and open_flags[-1]:
            scoped = open_flags[-1]
            out.append(")" * len(scoped) + "|" + "".join(f"(?{f}:" for f in scoped))
            index += 1
            continue
        out.append(ch)
        index += 1
    out.append(")" * len(open_flags[0]))
    return "".join(out)


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.lex = Lexer(text)
        self.last_end = 0
        self.in_stats = False
        self.in_agg = False

    # -- tokens ---------------------------------------------------------

    def next(self) -> Token:
        token = self.lex.next()
        self.last_end = token.end
        return token

    def expect_op(self, op: str, what: str) -> Token:
        token = self.lex.peek()
        if not token.is_op(op):
            raise self.error(f"expected {op!r} {what}", token)
        return self.next()

    def error(self, message: str, token: Token) -> QueryError:
        found = "the end of the query" if token.kind == "eof" else repr(self.source(token))
        return QueryError(f"{message}, found {found}", token.pos)

    def source(self, token: Token) -> str:
        return self.text[token.pos : token.end]

    # -- commands -------------------------------------------------------

    def query(self) -> Query:
        if self.lex.peek().kind == "eof":
            raise QueryError("empty query: expected a command such as filter or fields", 0)
        commands: list[Command] = []
        dedup: Dedup | None = None
        while True:
            token = self.lex.peek()
            command = self.command()
            if dedup is not None and not isinstance(command, Limit):
                raise QueryError("only limit may follow dedup", token.pos)
            if isinstance(command, Dedup):
                dedup = command
            commands.append(command)
            token = self.lex.peek()
            if token.kind == "eof":
                return Query(tuple(commands))
            if not token.is_op("|"):
                raise self.error("expected '|' or the end of the query", token)
            self.next()

    def command(self) -> Command:
        token = self.lex.peek()
        if token.kind != "name":
            raise self.error("expected a command (fields, filter, stats, sort, …)", token)
        word = str(token.value).lower()
        if word in _CLOUDWATCH_ONLY:
            raise QueryError(
                f"the {word} command needs CloudWatch's services and is not available "
                "locally: run the query in CloudWatch with joblog query --log-group NAME",
                token.pos,
            )
        if word in _UNSUPPORTED_COMMANDS:
            raise QueryError(f"the {word} command is not supported by joblog query", token.pos)
        if word not in _COMMANDS:
            raise QueryError(
                f"unknown command {token.value!r}: expected one of fields, display, filter, "
                "stats, sort, limit, parse, dedup, unnest",
                token.pos,
            )
        self.next()
        pos = token.pos
        if word == "fields":
            return Fields(self.items(), pos)
        if word == "display":
            return Display(self.items(), pos)
        if word in ("filter", "where"):
            return Filter(self.expr(), pos)
        if word == "stats":
            return self.stats(pos)
        if word == "sort":
            return self.sort(pos)
        if word == "limit":
            return self.limit(pos)
        if word == "parse":
            return self.parse(pos)
        if word == "unnest":
            return self.unnest(pos)
        return Dedup(self.names(), pos)

    def unnest(self, pos: int) -> Unnest:
        source = self.name()
        if not self.lex.peek().is_keyword("into"):
            raise self.error(
                "expected 'into' and a field name after unnest's field", self.lex.peek()
            )
        self.next()
        return Unnest(source, self.name().name, pos)

    def items(self) -> tuple[Item, ...]:
        items = [self.item()]
        while self.lex.peek().is_op(","):
            self.next()
            items.append(self.item())
        return tuple(items)

    def item(self) -> Item:
        start = self.lex.peek().pos
        expr = self.expr()
        text = self.text[start : self.last_end]
        alias = None
        if self.lex.peek().is_keyword("as"):
            self.next()
            alias = self.name().name
        return Item(expr, alias, text)

    def names(self) -> tuple[Field, ...]:
        names = [self.name()]
        while self.lex.peek().is_op(","):
            self.next()
            names.append(self.name())
        return tuple(names)

    def name(self) -> Field:
        token = self.lex.peek()
        if token.kind == "quoted":
            self.next()
            return _field(str(token.value), token.pos)
        if token.kind == "name":
            if str(token.value).lower() in _RESERVED:
                raise QueryError(
                    f"expected a field name, found the keyword {token.value!r} "
                    f"(write `{token.value}` for a field of that name)",
                    token.pos,
                )
            self.next()
            return _field(str(token.value), token.pos)
        raise self.error("expected a field name", token)

    def stats(self, pos: int) -> Stats:
        self.in_stats = True
        try:
            items = self.items()
        finally:
            self.in_stats = False
        known: set[str] = set()
        for item in items:
            _check_aggregated(item.expr, known)
            known.add(item.name)
        by: tuple[Item, ...] = ()
        if self.lex.peek().is_keyword("by"):
            self.next()
            by = self.items()
        return Stats(items, by, pos)

    def sort(self, pos: int) -> Sort:
        keys = []
        while True:
            name = self.name()
            descending = False
            if self.lex.peek().is_keyword("asc", "desc"):
                descending = str(self.next().value).lower() == "desc"
            keys.append(SortKey(name, descending))
            if not self.lex.peek().is_op(","):
                return Sort(tuple(keys), pos)
            self.next()

    def limit(self, pos: int) -> Limit:
        token = self.lex.peek()
        if token.kind != "number" or not isinstance(token.value, int):
            raise self.error("expected a whole number after limit", token)
        if token.value < 1:
            raise QueryError("limit must be at least 1", token.pos)
        self.next()
        return Limit(token.value, pos)

    def parse(self, pos: int) -> Parse:
        source: Expr | None = None
        token = self.lex.peek()
        if token.kind != "string" and self.lex.peek_regex() is None:
            source = self.primary()
        token = self.lex.peek()
        if token.kind == "string":
            self.next()
            glob = str(token.value)
            if not self.lex.peek().is_keyword("as"):
                raise self.error(
                    "expected 'as' and the field names after the pattern", self.lex.peek()
                )
            self.next()
            names = tuple(field.name for field in self.names())
            stars = glob.count("*")
            if stars != len(names):
                raise QueryError(
                    f"the pattern has {stars} '*' but {len(names)} field "
                    f"{'name follows' if len(names) == 1 else 'names follow'} 'as'",
                    token.pos,
                )
            return Parse(source, glob, names, pos)
        regex_token = self.lex.peek_regex()
        if regex_token is None:
            raise self.error('expected a "glob * pattern" or a /regex/ to parse', token)
        regex = self.regex()
        names = tuple(regex.pattern.groupindex)
        if not names:
            raise QueryError(
                "the regex has no named group: capture fields with (?<name>…)", regex.pos
            )
        return Parse(source, regex, names, pos)

    def regex(self) -> Regex:
        token = self.next()
        source = str(token.value)
        return Regex(source, compile_regex(source, token.pos), token.pos)

    # -- expressions ----------------------------------------------------

    def expr(self) -> Expr:
        left = self.conjunction()
        while self.lex.peek().is_keyword("or"):
            token = self.next()
            left = Binary("or", left, self.conjunction(), token.pos)
        return left

    def conjunction(self) -> Expr:
        left = self.negation()
        while self.lex.peek().is_keyword("and"):
            token = self.next()
            left = Binary("and", left, self.negation(), token.pos)
        return left

    def negation(self) -> Expr:
        token = self.lex.peek()
        if token.is_keyword("not"):
            self.next()
            return Unary("not", self.negation(), token.pos)
        return self.predicate()

    def predicate(self) -> Expr:
        left = self.sum()
        token = self.lex.peek()
        if token.kind == "op" and token.value in _COMPARISONS:
            self.next()
            if token.value == "=" and self.lex.peek().is_op("="):
                raise QueryError("'==' is no operator here: compare with a single '='", token.pos)
            return Binary(str(token.value), left, self.operand(), token.pos)
        if token.is_op("=~"):
            self.next()
            if self.lex.peek_regex() is None:
                raise self.error("expected a /regex/ after '=~'", self.lex.peek())
            return Like(left, self.regex(), False, "=~", token.pos)
        negated = False
        if token.is_keyword("not"):
            self.next()
            negated = True
            following = self.lex.peek()
            if not following.is_keyword("like", "in"):
                raise self.error("expected 'like' or 'in' after 'not'", following)
            token = following
        if token.is_keyword("like"):
            self.next()
            pattern = self.like_pattern()
            return Like(left, pattern, negated, "like", token.pos)
        if token.is_keyword("in"):
            self.next()
            return In(left, self.literal_list(), negated, token.pos)
        return left

    def operand(self) -> Expr:
        """
        The right side of a comparison, with a hint when it is a string left unquoted.

        ``job_id = job-f7b5c1`` would read as ``job - f7b5c1`` (or fail on
        ``0a`` as a time unit): a word of letters joined by ``-`` with no
        spaces is almost always an id the user forgot to quote.
        """
        start = self.lex.peek().pos
        word = _BARE_WORD.match(self.text, start)
        try:
            expr = self.sum()
        except QueryError as exc:
            if word is None:
                raise
            raise self.unquoted(word.group(), start) from exc
        if word is not None and word.end() == self.last_end and isinstance(expr, Binary):
            raise self.unquoted(word.group(), start)
        return expr

    @staticmethod
    def unquoted(word: str, pos: int) -> QueryError:
        return QueryError(
            f'strings need quotes: write "{word}" (for a subtraction, put spaces around -)', pos
        )

    def like_pattern(self) -> str | Regex:
        token = self.lex.peek()
        if token.kind == "string":
            self.next()
            return str(token.value)
        if self.lex.peek_regex() is not None:
            return self.regex()
        raise self.error('expected a "string" or a /regex/ after like', token)

    def literal_list(self) -> tuple[Literal, ...]:
        self.expect_op("[", "to start the list after 'in'")
        items = [self.literal()]
        while self.lex.peek().is_op(","):
            self.next()
            items.append(self.literal())
        self.expect_op("]", "to close the list")
        return tuple(items)

    def literal(self) -> Literal:
        token = self.lex.peek()
        sign = 1
        if token.is_op("-"):
            self.next()
            sign = -1
            token = self.lex.peek()
            if token.kind != "number":
                raise self.error("expected a number after '-'", token)
        if token.kind in ("string", "number"):
            self.next()
            value = token.value
            if isinstance(value, (int, float)):
                value = sign * value
            return Literal(value, token.pos)  # type: ignore[arg-type]  # str, int or float
        if token.is_keyword("true", "false"):
            self.next()
            return Literal(str(token.value).lower() == "true", token.pos)
        raise self.error("expected a string, a number, true or false", token)

    def sum(self) -> Expr:
        left = self.product()
        while self.lex.peek().is_op("+", "-"):
            token = self.next()
            left = Binary(str(token.value), left, self.product(), token.pos)
        return left

    def product(self) -> Expr:
        left = self.unary()
        while self.lex.peek().is_op("*", "/", "%"):
            token = self.next()
            left = Binary(str(token.value), left, self.unary(), token.pos)
        return left

    def unary(self) -> Expr:
        token = self.lex.peek()
        if token.is_op("-"):
            self.next()
            return Unary("-", self.unary(), token.pos)
        return self.power()

    def power(self) -> Expr:
        base = self.primary()
        token = self.lex.peek()
        if token.is_op("^"):
            self.next()
            return Binary("^", base, self.unary(), token.pos)
        return base

    def primary(self) -> Expr:
        token = self.lex.peek()
        if token.kind in ("number", "string"):
            self.next()
            return Literal(token.value, token.pos)  # type: ignore[arg-type]  # str, int or float
        if token.kind == "period":
            raise QueryError(
                "a time period is only allowed in bin(), datefloor() and dateceil()", token.pos
            )
        if token.is_op("("):
            self.next()
            inner = self.expr()
            self.expect_op(")", "to close '('")
            return inner
        if token.is_keyword("true", "false"):
            self.next()
            return Literal(str(token.value).lower() == "true", token.pos)
        if token.kind == "quoted" or (token.kind == "name" and token.is_keyword(*_RESERVED)):
            return self.name()  # a quoted name, or the error for a keyword
        if token.kind != "name":
            raise self.error("expected a value, a field or a function call", token)
        self.next()
        if self.lex.peek().is_op("("):
            return self.call(token)
        return _field(str(token.value), token.pos)

    def call(self, token: Token) -> Expr:
        name = str(token.value).lower()
        self.next()  # "("
        if name in AGGREGATES:
            return self.aggregate(name, token)
        if name not in FUNCTIONS:
            if name in _UNSUPPORTED_FUNCTIONS:
                raise QueryError(
                    f"the function {token.value!r} is not supported by joblog query", token.pos
                )
            raise QueryError(f"unknown function {token.value!r}", token.pos)
        spec = FUNCTIONS[name]
        args = self.arguments(spec.period_arg)
        _check_arity(token, len(args), spec.low, spec.high)
        index = spec.period_arg
        if index is not None and not isinstance(args[index], Period):
            raise QueryError(
                f"{name}() takes a time period such as 5m as argument {index + 1}",
                args[index].pos,
            )
        return Call(name, args, token.pos)

    def arguments(self, index: int | None = None) -> tuple[Expr, ...]:
        """The arguments up to ``)``; a time period is allowed as argument *index*."""
        args: list[Expr] = []
        if self.lex.peek().is_op(")"):
            self.next()
            return ()
        while True:
            token = self.lex.peek()
            if token.kind == "period" and len(args) == index:
                self.next()
                count, unit = cast("tuple[int, str]", token.value)
                args.append(Period(count, unit, token.pos))
            else:
                args.append(self.expr())
            token = self.lex.peek()
            if token.is_op(")"):
                self.next()
                return tuple(args)
            if not token.is_op(","):
                raise self.error("expected ',' or ')' in the argument list", token)
            self.next()

    def aggregate(self, name: str, token: Token) -> Agg:
        if not self.in_stats:
            raise QueryError(f"the aggregate function {name}() is only allowed in stats", token.pos)
        if self.in_agg:
            raise QueryError(f"an aggregate function ({name}) cannot be nested", token.pos)
        if name == "count" and self.lex.peek().is_op("*"):
            self.next()
            self.expect_op(")", "after count(*")
            return Agg(name, (), True, token.pos)
        self.in_agg = True
        try:
            args = self.arguments()
        finally:
            self.in_agg = False
        spec = AGGREGATES[name]
        _check_arity(token, len(args), spec.low, spec.high)
        if name == "count" and not args:
            return Agg(name, (), True, token.pos)
        if name == "pct":
            percent = args[1]
            if (
                not isinstance(percent, Literal)
                or isinstance(percent.value, (bool, str))
                or not 0 <= percent.value <= 100
            ):
                raise QueryError(
                    "pct() takes a number from 0 to 100 as its percentile", percent.pos
                )
        return Agg(name, args, False, token.pos)


def _check_arity(token: Token, count: int, low: int, high: int | None) -> None:
    if count < low or (high is not None and count > high):
        if high is None:
            expected = f"at least {low} argument{'s' if low != 1 else ''}"
        elif low == high:
            expected = f"{low} argument{'s' if low != 1 else ''}"
        else:
            expected = f"{low} to {high} arguments"
        raise QueryError(f"{str(token.value).lower()}() takes {expected}, not {count}", token.pos)


def _field(name: str, pos: int) -> Field:
    reason = _CLOUDWATCH_FIELDS.get(name)
    if reason is not None:
        raise QueryError(
            f"{name} is not available locally: it is {reason}, which a log file does not have "
            "(query CloudWatch itself with --log-group)",
            pos,
        )
    return Field(name, pos)


def _check_aggregated(expr: Expr, known: set[str]) -> None:
    """
    A ``stats`` item must aggregate: no field outside an aggregate, at least one aggregate.

    A name given to an earlier item of the same ``stats`` (*known*) counts as
    aggregated: ``stats max(a) as hi, min(a) as lo, hi - lo as spread``.
    """
    found = _walk_stats_item(expr, known)
    if not found:
        raise QueryError(
            "a stats item needs an aggregate function such as count(*) or avg(x)", expr.pos
        )


def _walk_stats_item(expr: Expr, known: set[str]) -> bool:
    if isinstance(expr, Agg):
        return True
    if isinstance(expr, Field):
        if expr.name in known:
            return True
        raise QueryError(
            f"the field {expr.name!r} must be inside an aggregate function, as in "
            f"latest({expr.name}), or go after 'by'",
            expr.pos,
        )
    found = False
    for child in children(expr):
        found = _walk_stats_item(child, known) or found
    return found
