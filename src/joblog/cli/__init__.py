"""
The ``joblog`` command: query, trace and pretty-print JSON-lines logs.

``joblog query`` runs a practical subset of CloudWatch Logs Insights on
local files, so a query developed on a laptop pastes into CloudWatch
unchanged; ``joblog trace`` shows one job's lifecycle with its stage
timings (and writes an HTML waterfall); ``joblog pretty`` turns JSON lines
into the console format.  Run ``joblog COMMAND --help`` for the options.

Importing :mod:`joblog` does not import this package.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import shutil
import sys
import time
from collections.abc import Sequence
from typing import IO, Final

from .errors import CLIError, QueryError
from .output import FORMATS, format_rows, write_text
from .values import parse_time

__all__ = ["main"]

_DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)")
_DURATION_MS: Final = {
    "ms": 1,
    "s": 1000,
    "m": 60_000,
    "h": 3_600_000,
    "d": 86_400_000,
    "w": 7 * 86_400_000,
}


def main(argv: Sequence[str] | None = None) -> int:
    """
    Run the ``joblog`` command with *argv* (default: ``sys.argv[1:]``).

    Returns:
        The exit status: 0 on success, 1 when ``trace`` finds no line of the
        job, 2 for a usage error (a malformed query, a missing file).
    """
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version and usage errors
        return exc.code if isinstance(exc.code, int) else 2
    try:
        status: int = args.run(args)
    except QueryError as exc:
        sys.stderr.write(f"joblog {args.command}: {exc.render(args.query)}\n")
        return 2
    except CLIError as exc:
        sys.stderr.write(f"joblog {args.command}: {exc}\n")
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader went away (| head); say nothing, and keep Python from
        # complaining again when it flushes stdout at exit.
        _silence_stdout()
        return 1
    return status


def _silence_stdout() -> None:
    # io.UnsupportedOperation (no file descriptor) is an OSError and a ValueError.
    with contextlib.suppress(OSError, ValueError, AttributeError):
        target = sys.stdout.fileno()
        devnull = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(devnull, target)
        finally:
            os.close(devnull)


class _Version(argparse.Action):
    """``--version``, looking the version up only when asked (importlib.metadata is slow)."""

    def __call__(self, parser: argparse.ArgumentParser, *_args: object) -> None:
        from importlib.metadata import version

        sys.stdout.write(f"joblog {version('joblog')}\n")
        parser.exit()


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="joblog",
        description="Query, trace and pretty-print JSON-lines logs.",
    )
    parser.add_argument("--version", action=_Version, nargs=0, help="show the version and exit")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    query = commands.add_parser(
        "query",
        help="run a CloudWatch Logs Insights query on local files",
        description="Run a CloudWatch Logs Insights query (a practical subset) on JSON-lines "
        "files, globs, directories of *.jsonl/*.log, gzip files or stdin.",
    )
    query.add_argument("query", metavar="QUERY", help="the query, e.g. 'filter level = \"error\"'")
    _add_input_arguments(query)
    query.add_argument(
        "--format",
        choices=FORMATS,
        help="output format (default: table on a terminal, else jsonl)",
    )
    query.add_argument(
        "--default-limit",
        type=_positive_int,
        default=10_000,
        metavar="N",
        help="rows returned when the query has no limit (default: 10000)",
    )
    query.set_defaults(run=_run_query)

    trace = commands.add_parser(
        "trace",
        help="show one job's lifecycle with its stage timings",
        description="Show the lines of one job in time order, with each line's offset from the "
        "job's first line and each stage's duration.",
    )
    trace.add_argument("job_id", metavar="JOB_ID", help="the job's job_id")
    _add_input_arguments(trace)
    trace.add_argument("--html", metavar="FILE", help="also write an HTML waterfall of the job")
    trace.add_argument("--color", choices=("auto", "always", "never"), default="auto")
    trace.set_defaults(run=_run_trace, query="")

    pretty = commands.add_parser(
        "pretty",
        help="JSON lines in, the console format out",
        description="Render JSON lines in joblog's console format; other lines pass through "
        "with control characters escaped.",
    )
    pretty.add_argument("files", nargs="*", metavar="FILE", help="files to read (default: stdin)")
    pretty.add_argument("-f", "--follow", action="store_true", help="follow a growing file")
    pretty.add_argument(
        "-n",
        "--lines",
        type=_non_negative_int,
        metavar="N",
        help="start with the last N lines (default: all; 10 with --follow)",
    )
    pretty.add_argument("--color", choices=("auto", "always", "never"), default="auto")
    pretty.add_argument(
        "--interval", type=float, default=0.25, help=argparse.SUPPRESS
    )  # seconds between polls with --follow (tests shorten it)
    pretty.set_defaults(run=_run_pretty, query="")
    return parser


def _add_input_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "files",
        nargs="*",
        metavar="FILE",
        help="files, globs or directories to read; - or nothing for stdin",
    )
    parser.add_argument(
        "--since",
        metavar="TIME",
        help="only lines at or after TIME: 2026-11-23T10:00:00Z, 2026-11-23, or 15m/2h/7d ago",
    )
    parser.add_argument("--until", metavar="TIME", help="only lines before TIME (same forms)")
    parser.add_argument(
        "--timestamp-key",
        default="timestamp",
        metavar="KEY",
        help="the JSON key @timestamp comes from (default: timestamp)",
    )


def _positive_int(value: str) -> int:
    number = _non_negative_int(value)
    if number < 1:
        raise argparse.ArgumentTypeError(f"expected a number of at least 1, not {value!r}")
    return number


def _non_negative_int(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, not {value!r}") from None
    if number < 0:
        raise argparse.ArgumentTypeError(f"expected a whole number, not {value!r}")
    return number


def parse_bound(value: str | None, option: str, now: float | None = None) -> float | None:
    """
    Epoch milliseconds for ``--since``/``--until``: an ISO time, a date, or a duration ago.

    Raises:
        CLIError: when *value* is none of those.
    """
    if value is None:
        return None
    duration = _DURATION.fullmatch(value.strip())
    if duration is not None:
        amount, unit = duration.groups()
        current = time.time() * 1000 if now is None else now
        return current - float(amount) * _DURATION_MS[unit]
    when = parse_time(value)
    if when is None:
        raise CLIError(
            f"{option}: cannot read {value!r} as a time; use 2026-11-23T10:00:00Z, "
            "2026-11-23 or a duration such as 15m, 2h or 7d"
        )
    return float(when)


def binary_stdin() -> IO[bytes]:
    """The standard input as bytes (``sys.stdin`` may be replaced, as in tests)."""
    stdin = sys.stdin
    buffer = getattr(stdin, "buffer", None)
    if buffer is not None:
        return buffer  # type: ignore[no-any-return]
    return _EncodedText(stdin)  # type: ignore[return-value]  # reads like a byte stream


class _EncodedText:
    """A text stream (``io.StringIO`` as ``sys.stdin``) read as UTF-8 bytes."""

    def __init__(self, stream: IO[str]) -> None:
        self._stream = stream

    def read(self, size: int = -1) -> bytes:
        return self._stream.read(size).encode("utf-8", "surrogateescape")


def check_stdin(files: Sequence[str]) -> None:
    """
    Refuse to wait for logs typed at a terminal.

    Raises:
        CLIError: when stdin would be read and it is a terminal.
    """
    if (not files or "-" in files) and _isatty(sys.stdin):
        raise CLIError("no input: name log files, or pipe lines into joblog")


def _isatty(stream: object) -> bool:
    try:
        return bool(stream.isatty())  # type: ignore[attr-defined]
    except (AttributeError, ValueError):
        return False


def color_wanted(choice: str, stream: object) -> bool:
    """Whether to color: ``always``, ``never``, or ``auto`` (a terminal, unless NO_COLOR)."""
    if choice != "auto":
        return choice == "always"
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return _isatty(stream)


def _run_query(args: argparse.Namespace) -> int:
    from .engine import Plan
    from .parser import parse_query
    from .reader import ScanStats, resolve_sources, scan

    plan = Plan(parse_query(args.query), default_limit=args.default_limit)
    since = parse_bound(args.since, "--since")
    until = parse_bound(args.until, "--until")
    sources = resolve_sources(args.files, args.timestamp_key)
    check_stdin(args.files)
    stats = ScanStats()
    rows = plan.run(
        scan(sources, binary_stdin(), stats, prefilter=plan.prefilter, since=since, until=until)
    )
    terminal = _isatty(sys.stdout)
    kind = args.format or ("table" if terminal else "jsonl")
    # On a terminal the table fits its width; anywhere else cells stay whole.
    width = shutil.get_terminal_size().columns if terminal else None
    records = [plan.values(row) for row in rows]
    write_text(sys.stdout, format_rows(kind, plan.columns, records, width=width))
    sys.stdout.flush()
    report_not_json(stats.not_json)
    return 0


def report_not_json(count: int) -> None:
    """Tell stderr how many lines were not JSON objects (they are never fatal)."""
    if count:
        sys.stderr.write(
            f"joblog: {count} line{' was' if count == 1 else 's were'} not a JSON object "
            "(kept as events with only @message)\n"
        )


def _run_trace(args: argparse.Namespace) -> int:
    from .trace import run_trace

    return run_trace(args)


def _run_pretty(args: argparse.Namespace) -> int:
    from .pretty import run_pretty

    return run_pretty(args)
