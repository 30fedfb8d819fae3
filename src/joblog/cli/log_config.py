"""
``joblog log-config``: the :func:`logging.config.dictConfig` file for servers.

``joblog log-config > logging.json`` then ``uvicorn app:app --log-config
logging.json`` makes uvicorn's own start-up lines joblog JSON before the
application is imported.  The file puts ``joblog.stdlib.JoblogHandler`` on the root
logger (a handler, not ``JobJsonFormatter``, so joblog can drop the records it
already logged) and quiets ``uvicorn.access``, whose line per request repeats
what ``RequestLoggingMiddleware`` writes.

The loggers stay at ``INFO``: which lines joblog writes is ``JOBLOG_LEVEL``'s
(or ``configure(level=...)``'s) to say, for uvicorn's loggers as for any other,
so ``uvicorn --log-level`` can make uvicorn quieter but not more verbose.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

__all__ = ["add_parser", "log_config"]


def log_config(*, access_log: bool = False) -> dict[str, Any]:
    """
    Return the ``dictConfig`` dictionary that routes every logger through joblog.

    Args:
        access_log: Keep uvicorn's access log (default: its warnings only).

    Returns:
        A new dictionary, ready for :func:`logging.config.dictConfig` or JSON.
    """
    name = "INFO"
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "handlers": {"joblog": {"class": "joblog.stdlib.JoblogHandler"}},
        "root": {"handlers": ["joblog"], "level": name},
        "loggers": {
            "uvicorn": {"level": name},
            "uvicorn.error": {"level": name},
            "uvicorn.access": {"level": name if access_log else "WARNING"},
        },
    }


def add_parser(commands: Any) -> argparse.ArgumentParser:
    """Add the ``log-config`` command to the ``joblog`` command's subparsers."""
    parser: argparse.ArgumentParser = commands.add_parser(
        "log-config",
        help="print the logging config for uvicorn --log-config",
        description="Print the logging.config.dictConfig file (JSON) that sends uvicorn's "
        "and every other logger's lines through joblog: "
        "joblog log-config > logging.json; uvicorn app:app --log-config logging.json",
    )
    parser.add_argument(
        "--access-log",
        action="store_true",
        help="keep uvicorn's access log (default: warnings only; the middleware logs requests)",
    )
    parser.set_defaults(run=_run, query="")
    return parser


def _run(args: argparse.Namespace) -> int:
    config = log_config(access_log=args.access_log)
    sys.stdout.write(json.dumps(config, indent=2) + "\n")
    return 0
