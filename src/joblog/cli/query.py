"""
``joblog query``: run a Logs Insights query on local files (or in CloudWatch).
"""

from __future__ import annotations

import argparse
import shutil
import sys

from .common import binary_stdin, check_stdin, isatty, parse_bound, report_not_json
from .engine import Plan
from .output import format_rows, write_text
from .parser import parse_query
from .reader import ScanStats, resolve_sources, scan

__all__ = ["run_query"]


def run_query(args: argparse.Namespace) -> int:
    """Run ``joblog query`` with parsed arguments; see :func:`joblog.cli.main`."""
    plan = Plan(parse_query(args.query), default_limit=args.default_limit)
    since = parse_bound(args.since, "--since")
    until = parse_bound(args.until, "--until")
    sources = resolve_sources(args.files, args.timestamp_key)
    check_stdin(args.files)
    stats = ScanStats()
    rows = plan.run(
        scan(sources, binary_stdin(), stats, prefilter=plan.prefilter, since=since, until=until)
    )
    records = [plan.values(row) for row in rows]
    write_records(args.format, plan.columns, records)
    report_not_json(stats.not_json)
    return 0


def write_records(kind: str | None, columns: list[str], records: list[dict[str, object]]) -> None:
    """Print *records* in *kind* (default: a table on a terminal, else JSON lines)."""
    terminal = isatty(sys.stdout)
    kind = kind or ("table" if terminal else "jsonl")
    # On a terminal the table fits its width; anywhere else cells stay whole.
    width = shutil.get_terminal_size().columns if terminal else None
    write_text(sys.stdout, format_rows(kind, columns, records, width=width))
    sys.stdout.flush()
