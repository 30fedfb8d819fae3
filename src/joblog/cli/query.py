"""
``joblog query``: run a Logs Insights query on local files (or in CloudWatch).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Mapping, Sequence

from .common import (
    binary_stdin,
    check_stdin,
    isatty,
    no_cycle_collection,
    parse_bound,
    report_not_json,
)
from .engine import Plan
from .errors import CLIError
from .output import format_rows, write_text
from .parser import parse_query
from .reader import ScanStats, resolve_sources, scan, scan_events

__all__ = ["run_query"]


def run_query(args: argparse.Namespace) -> int:
    """Run ``joblog query`` with parsed arguments; see :func:`joblog.cli.main`."""
    if args.log_groups:
        # CloudWatch parses the query itself: pattern, anomaly and the rest run there.
        return _run_in_cloudwatch(args)
    plan = Plan(parse_query(args.query), default_limit=args.default_limit)
    since = parse_bound(args.since, "--since")
    until = parse_bound(args.until, "--until")
    sources = resolve_sources(args.files, args.timestamp_key)
    check_stdin(args.files)
    stats = ScanStats()
    with no_cycle_collection():
        if plan.reads_events and since is None and until is None:
            rows = plan.run_events(scan_events(sources, binary_stdin(), stats))
        else:
            stdin = binary_stdin()
            scanned = scan(
                sources, stdin, stats, prefilter=plan.prefilter, since=since, until=until
            )
            rows = plan.run(scanned)
        records = [plan.values(row) for row in rows]
    write_records(args.format, plan.columns, records)
    report_not_json(stats.not_json)
    return 0


def write_records(
    kind: str | None, columns: Sequence[str], records: Sequence[Mapping[str, object]]
) -> None:
    """Print *records* in *kind* (default: a table on a terminal, else JSON lines)."""
    terminal = isatty(sys.stdout)
    kind = kind or ("table" if terminal else "jsonl")
    # On a terminal the table fits its width; anywhere else cells stay whole.
    width = None
    if terminal:
        import shutil  # only here: it imports bz2 and lzma, a few ms of every start

        width = shutil.get_terminal_size().columns
    write_text(sys.stdout, format_rows(kind, columns, records, width=width))
    sys.stdout.flush()


def _run_in_cloudwatch(args: argparse.Namespace) -> int:
    from .cloudwatch import MAX_ROWS, connect, run_insights

    if args.files:
        raise CLIError("give log files or --log-group, not both")
    start, end = cloudwatch_range(args)
    client = connect(args.region, args.endpoint_url)
    result = run_insights(
        client,
        args.query,
        args.log_groups,
        start_ms=start,
        end_ms=end,
        limit=args.default_limit,
    )
    write_records(args.format, result.columns, result.rows)
    if len(result.rows) >= MAX_ROWS:
        sys.stderr.write(
            f"joblog: CloudWatch returned {MAX_ROWS:,} rows, the most it returns for a query; "
            "narrow the time range or the query to see the rest\n"
        )
    return 0


def cloudwatch_range(args: argparse.Namespace) -> tuple[float, float]:
    """
    The query's time range in epoch ms: --since (default: an hour ago) to --until (now).

    CloudWatch needs a range, which a local file does not.
    """
    now = time.time() * 1000
    start = parse_bound(args.since, "--since", now)
    end = parse_bound(args.until, "--until", now)
    return (now - 3_600_000 if start is None else start), (now if end is None else end)
