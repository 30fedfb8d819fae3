"""
CloudWatch Logs Insights as the engine: ``joblog query/trace --log-group NAME``.

When a service's logs are in CloudWatch, the same query runs there, without
copying logs anywhere: :func:`run_insights` starts it (``StartQuery``),
polls ``GetQueryResults`` with a growing delay until the query is
``Complete`` (or ``Failed``, ``Cancelled``, ``Timeout``), and returns the
rows as column -> value, for the same table/JSON/CSV output as a local query.

CloudWatch returns at most 10,000 rows for a query (its ``limit``), and every
value as a string.  boto3 is imported only here, only when asked for: it is
the optional extra ``joblog[aws]``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any, Final, TypeAlias

from .errors import CLIError

#: A boto3 CloudWatch Logs client (boto3 ships no type hints of its own).
CloudWatchLogsClient: TypeAlias = Any

__all__ = ["MAX_ROWS", "InsightsResult", "connect", "run_insights"]

#: The most rows CloudWatch Logs Insights returns for one query.
MAX_ROWS: Final = 10_000
#: How long a query may run before joblog stops it (CloudWatch's own limit is 60 minutes).
DEFAULT_TIMEOUT_S: Final = 900.0
_DONE: Final = frozenset(("Complete", "Failed", "Cancelled", "Timeout", "Unknown"))
_FIRST_DELAY_S: Final = 0.25
_MAX_DELAY_S: Final = 5.0
_INSTALL_HINT: Final = "querying CloudWatch needs boto3: pip install 'joblog[aws]'"


class InsightsResult:
    """
    The rows of a finished query, the columns in the order CloudWatch gave them.

    ``@ptr`` (CloudWatch's pointer to the event) is left out; ``statistics``
    is what CloudWatch reports (``recordsMatched``, ``recordsScanned``,
    ``bytesScanned``).
    """

    def __init__(self, response: dict[str, Any]) -> None:
        self.rows: list[dict[str, str]] = []
        columns: dict[str, None] = {}
        for fields in response.get("results", []):
            row = {}
            for cell in fields:
                name = cell.get("field")
                if name is None or name == "@ptr" or "value" not in cell:
                    continue
                row[name] = cell["value"]
                columns.setdefault(name)
            self.rows.append(row)
        self.columns = list(columns)
        self.statistics: dict[str, float] = dict(response.get("statistics", {}))


def connect(region: str | None, endpoint_url: str | None = None) -> CloudWatchLogsClient:
    """
    A CloudWatch Logs client (boto3's configuration: profile, credentials, region).

    Raises:
        CLIError: when boto3 is not installed, or no region is configured.
    """
    try:
        import boto3  # type: ignore[import-untyped]
        from botocore.exceptions import BotoCoreError  # type: ignore[import-untyped]
    except ImportError:
        raise CLIError(_INSTALL_HINT) from None
    try:
        # A session of its own: credentials are looked up now, not cached from an earlier call.
        session = boto3.session.Session()
        return session.client("logs", region_name=region, endpoint_url=endpoint_url)
    except BotoCoreError as exc:  # NoRegionError, a bad profile: one clear line
        raise CLIError(f"cannot reach CloudWatch: {exc} (use --region or AWS_REGION)") from None


def run_insights(
    client: CloudWatchLogsClient,
    query: str,
    log_groups: Sequence[str],
    *,
    start_ms: float,
    end_ms: float,
    limit: int | None = None,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> InsightsResult:
    """
    Run *query* on *log_groups* in CloudWatch Logs Insights and wait for its rows.

    Args:
        client: a CloudWatch Logs client (see :func:`connect`).
        query: the Logs Insights query, as written for ``joblog query``.
        log_groups: the log group names (CloudWatch takes up to 50).
        start_ms: the time range's start, epoch milliseconds (inclusive).
        end_ms: its end, epoch milliseconds.
        limit: the rows to return when the query has no ``limit`` (at most 10,000).
        timeout_s: stop the query and fail after this many seconds.
        sleep: waits between polls (tests pass a fake).
        clock: a monotonic clock in seconds (tests pass a fake).

    Raises:
        CLIError: for missing credentials, a query CloudWatch refuses or that
            fails, is cancelled or times out.
    """
    from botocore.exceptions import (
        BotoCoreError,
        ClientError,
        NoCredentialsError,
    )

    if limit is not None and not 1 <= limit <= MAX_ROWS:
        raise CLIError(f"CloudWatch returns at most {MAX_ROWS:,} rows: use a limit up to that")
    request: dict[str, Any] = {
        "logGroupNames": list(log_groups),
        # StartQuery takes epoch seconds; the end is rounded up to keep its last second.
        "startTime": int(start_ms // 1000),
        "endTime": int(-(-end_ms // 1000)),
        "queryString": query,
    }
    if limit is not None:
        request["limit"] = limit
    query_id = None
    try:
        query_id = client.start_query(**request)["queryId"]
        deadline = clock() + timeout_s
        delay = _FIRST_DELAY_S
        while True:
            response = client.get_query_results(queryId=query_id)
            status = response.get("status", "Unknown")
            if status in _DONE:
                break
            if clock() + delay > deadline:
                client.stop_query(queryId=query_id)
                raise CLIError(
                    f"the CloudWatch query ran longer than {timeout_s:g}s and was stopped"
                )
            sleep(delay)
            delay = min(delay * 2, _MAX_DELAY_S)
    except NoCredentialsError:
        raise CLIError(
            "no AWS credentials found: configure a profile (aws configure) or set "
            "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
        ) from None
    except ClientError as exc:
        error = exc.response.get("Error", {})
        raise CLIError(
            f"CloudWatch refused the query: {error.get('Code', 'error')}: "
            f"{error.get('Message', exc)}"
        ) from None
    except BotoCoreError as exc:  # the endpoint cannot be reached, and the like
        raise CLIError(f"cannot reach CloudWatch: {exc}") from None
    if status != "Complete":
        raise CLIError(f"the CloudWatch query ended {status}: {query_id}")
    return InsightsResult(response)
