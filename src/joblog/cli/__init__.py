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
import sys
from collections.abc import Sequence

from .errors import CLIError, QueryError
from .output import FORMATS

__all__ = ["main"]

_COLOR_HELP = "color the output: auto (a terminal, unless NO_COLOR is set), always or never"
_TRACEBACK_HELP = (
    "print an exception's traceback expanded on the lines after it: auto (on a terminal), "
    "always or never (one escaped line)"
)


def main(argv: Sequence[str] | None = None) -> int:
    """
    Run the ``joblog`` command with *argv* (default: ``sys.argv[1:]``).

    Returns:
        The exit status: 0 on success, 1 when ``trace`` finds no line of the
        job, 2 for a usage error (a malformed query, a missing file).
    """
    parser, commands = _parser()
    arguments = list(sys.argv[1:] if argv is None else argv)
    try:
        args = _parse(parser, commands, arguments)
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


def _parse(
    parser: argparse.ArgumentParser,
    commands: dict[str, argparse.ArgumentParser],
    arguments: list[str],
) -> argparse.Namespace:
    """
    Parse the command line, the subcommand's options anywhere among its arguments.

    argparse's subparsers stop at the first option after the positionals
    (``trace JOB_ID --html out.html FILE`` would leave FILE unrecognized), so
    the subcommand's own parser reads its arguments intermixed, and its
    errors show its own usage.
    """
    if not arguments or arguments[0] not in commands:
        # --help, --version, a missing or unknown command: the top-level parser's answers.
        return parser.parse_args(arguments)
    args = commands[arguments[0]].parse_intermixed_args(arguments[1:])
    args.command = arguments[0]
    return args


def _parser() -> tuple[argparse.ArgumentParser, dict[str, argparse.ArgumentParser]]:
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
    _add_cloudwatch_arguments(query)
    query.set_defaults(run=_run_query)

    trace = commands.add_parser(
        "trace",
        help="show one job's lifecycle with its stage timings",
        description="Show the lines of one job in time order, with each line's offset from the "
        "job's first line and each stage's duration.",
    )
    trace.add_argument(
        "job_id", metavar="JOB_ID", help="the job's job_id, or a prefix that only one job has"
    )
    _add_input_arguments(trace)
    trace.add_argument("--html", metavar="FILE", help="also write an HTML waterfall of the job")
    trace.add_argument(
        "--color", choices=("auto", "always", "never"), default="auto", help=_COLOR_HELP
    )
    trace.add_argument(
        "--tracebacks", choices=("auto", "always", "never"), default="auto", help=_TRACEBACK_HELP
    )
    _add_cloudwatch_arguments(trace)
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
    pretty.add_argument(
        "--color", choices=("auto", "always", "never"), default="auto", help=_COLOR_HELP
    )
    pretty.add_argument(
        "--tracebacks", choices=("auto", "always", "never"), default="auto", help=_TRACEBACK_HELP
    )
    pretty.add_argument(
        "--interval", type=float, default=0.25, help=argparse.SUPPRESS
    )  # seconds between polls with --follow (tests shorten it)
    pretty.set_defaults(run=_run_pretty, query="")

    from .log_config import add_parser

    log_config = add_parser(commands)
    return parser, {"query": query, "trace": trace, "pretty": pretty, "log-config": log_config}


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


def _add_cloudwatch_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group(
        "CloudWatch", "run in CloudWatch Logs Insights instead of on files (needs joblog[aws])"
    )
    group.add_argument(
        "--log-group",
        action="append",
        default=[],
        metavar="NAME",
        dest="log_groups",
        help="a CloudWatch log group to query (repeat for several); --since defaults to 1h",
    )
    group.add_argument(
        "--region", metavar="REGION", help="the AWS region (default: boto3's configuration)"
    )
    group.add_argument(
        "--endpoint-url",
        metavar="URL",
        help="a CloudWatch Logs endpoint other than AWS's own (a local emulator)",
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


def _run_query(args: argparse.Namespace) -> int:
    from .query import run_query

    return run_query(args)


def _run_trace(args: argparse.Namespace) -> int:
    from .trace import run_trace

    return run_trace(args)


def _run_pretty(args: argparse.Namespace) -> int:
    from .pretty import run_pretty

    return run_pretty(args)
