"""
CloudWatch as the engine: ``joblog query/trace --log-group``.

The API flow runs against moto in server mode (a real HTTP endpoint on
127.0.0.1 that boto3 talks to); result shapes moto does not produce (a query
still running, failed, timed out, 10,000 rows) come from botocore's Stubber.
No test reaches AWS: credentials are dummies, every client gets an explicit
loopback endpoint, and the environment variables that could point boto3
elsewhere are cleared.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import EndpointConnectionError
from botocore.stub import Stubber
from moto.server import ThreadedMotoServer

from joblog.cli import cloudwatch, main
from joblog.cli.cloudwatch import InsightsResult, run_insights
from joblog.cli.errors import CLIError

REGION = "us-east-1"


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    """moto's server on a free port of 127.0.0.1, stopped after the module's tests."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture(autouse=True)
def aws_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Dummy credentials, no profile or config file, and no endpoint from the environment."""
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


def now_ms() -> int:
    return int(time.time() * 1000)


def event(ms: int, message: str, **fields: Any) -> dict[str, Any]:
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ms / 1000)) + f".{ms % 1000:03d}Z"
    return {"timestamp": stamp, "level": "info", "message": message, **fields}


@pytest.fixture(scope="module")
def log_group(endpoint: str) -> dict[str, int]:
    """A log group with an API stream and a worker stream of one job."""
    client = boto3.client(
        "logs",
        region_name=REGION,
        endpoint_url=endpoint,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    client.create_log_group(logGroupName="/app")
    start = now_ms() - 60_000
    streams = {
        "api": [
            event(start, "Job accepted", job_id="job-7f3a"),
            event(start + 900, "Job done", job_id="job-7f3a"),
            event(start + 950, "other job", job_id="job-0000"),
        ],
        "worker-1": [
            event(
                start + 100, "Task started", job_id="job-7f3a", task_id="t-1", task_name="compose"
            ),
            event(start + 600, "Task succeeded", job_id="job-7f3a", task_id="t-1", elapsed_ms=500),
        ],
    }
    for name, events in streams.items():
        client.create_log_stream(logGroupName="/app", logStreamName=name)
        client.put_log_events(
            logGroupName="/app",
            logStreamName=name,
            logEvents=[
                {"timestamp": start + index, "message": json.dumps(item)}
                for index, item in enumerate(events)
            ]
            if name == "api"
            else [
                {"timestamp": start + 100 + index * 500, "message": json.dumps(item)}
                for index, item in enumerate(events)
            ],
        )
    return {"start": start}


class TestAgainstMotoServer:
    def test_query_runs_in_cloudwatch(
        self, endpoint: str, log_group: dict[str, int], capsys: pytest.CaptureFixture[str]
    ) -> None:
        """StartQuery, GetQueryResults until Complete, rows printed as JSON lines, no @ptr."""
        status = main(
            [
                "query",
                "fields @timestamp, @message, @logStream | sort @timestamp asc | limit 2",
                "--log-group",
                "/app",
                "--endpoint-url",
                endpoint,
                "--since",
                "1h",
                "--format",
                "jsonl",
            ]
        )

        assert 0 == status
        rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
        assert 2 == len(rows)
        assert ["@timestamp", "@message", "@logStream"] == list(rows[0])
        assert "Job accepted" == json.loads(rows[0]["@message"])["message"]

    def test_trace_from_cloudwatch(
        self, endpoint: str, log_group: dict[str, int], capsys: pytest.CaptureFixture[str]
    ) -> None:
        """`joblog trace JOB_ID --log-group NAME`: both streams, the task as a span."""
        status = main(
            [
                *("trace", "job-7f3", "--log-group", "/app"),
                "--endpoint-url",
                endpoint,
                "--color",
                "never",
            ]
        )

        assert 0 == status
        out = capsys.readouterr().out
        assert out.startswith("job-7f3a: 4 lines")
        assert "worker-1  INFO  Task started" in out
        assert "task compose task_id=t-1" in out
        assert "other job" not in out

    def test_unknown_log_group(self, endpoint: str, capsys: pytest.CaptureFixture[str]) -> None:
        """CloudWatch's refusal is one line naming its error."""
        assert 2 == main(
            ["query", "fields @message", "--log-group", "/nope", "--endpoint-url", endpoint]
        )
        err = capsys.readouterr().err
        assert "joblog query: CloudWatch refused the query: ResourceNotFoundException" in err
        assert 1 == err.count("\n")

    def test_missing_credentials(
        self, endpoint: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """No credentials anywhere: one line saying how to give them."""
        monkeypatch.delenv("AWS_ACCESS_KEY_ID")
        monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")

        assert 2 == main(
            ["query", "fields @message", "--log-group", "/app", "--endpoint-url", endpoint]
        )
        assert "joblog query: no AWS credentials found" in capsys.readouterr().err


class TestCommandLine:
    def test_missing_extra(
        self, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """Without boto3: one line naming the extra to install."""
        monkeypatch.setitem(sys.modules, "boto3", None)

        assert 2 == main(["query", "fields @message", "--log-group", "/app"])
        assert "joblog query: querying CloudWatch needs boto3: pip install 'joblog[aws]'\n" == (
            capsys.readouterr().err
        )

    def test_no_region(
        self, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """No region configured: one line saying how to give one."""
        monkeypatch.delenv("AWS_DEFAULT_REGION")

        assert 2 == main(["trace", "job-1", "--log-group", "/app"])
        assert "cannot reach CloudWatch" in capsys.readouterr().err

    def test_files_and_log_groups_exclude_each_other(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """Files or --log-group, not both."""
        path = tmp_path / "a.jsonl"
        path.write_text("{}\n")
        assert 2 == main(["query", "fields a", str(path), "--log-group", "/app"])
        assert "not both" in capsys.readouterr().err
        assert 2 == main(["trace", "job-1", str(path), "--log-group", "/app"])
        assert "not both" in capsys.readouterr().err

    def test_limit_above_the_cap(self, capsys: pytest.CaptureFixture[str]) -> None:
        """CloudWatch returns at most 10,000 rows, and says so."""
        assert 2 == main(["query", "fields a", "--log-group", "/app", "--default-limit", "20000"])
        assert "at most 10,000 rows" in capsys.readouterr().err

    def test_cloudwatch_only_commands_go_to_cloudwatch(
        self, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """A query that needs CloudWatch (pattern) is not refused locally with --log-group."""
        seen: list[str] = []

        def fake(client: Any, query: str, groups: Any, **_kw: Any) -> InsightsResult:
            seen.append(query)
            return InsightsResult({"results": [[{"field": "@pattern", "value": "<*> done"}]]})

        monkeypatch.setattr(cloudwatch, "run_insights", fake)
        monkeypatch.setattr(cloudwatch, "connect", lambda region, url: object())

        assert 0 == main(["query", "pattern @message", "--log-group", "/app", "--format", "csv"])
        assert ["pattern @message"] == seen
        assert "@pattern\n<*> done\n" == capsys.readouterr().out

    def test_ten_thousand_rows_are_stated(
        self, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """At the cap, stderr says the rows may be cut."""
        rows = [[{"field": "n", "value": str(n)}] for n in range(10_000)]
        monkeypatch.setattr(
            cloudwatch, "run_insights", lambda *_a, **_k: InsightsResult({"results": rows})
        )
        monkeypatch.setattr(cloudwatch, "connect", lambda region, url: object())

        assert 0 == main(["query", "fields n", "--log-group", "/app", "--format", "jsonl"])
        captured = capsys.readouterr()
        assert 10_000 == captured.out.count("\n")
        assert "CloudWatch returned 10,000 rows, the most it returns" in captured.err

    def test_trace_skips_lines_that_are_not_the_jobs(
        self, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """Text lines and ids that merely contain JOB_ID are dropped; CloudWatch's time is read."""
        results = [
            [{"field": "@message", "value": "not json"}],
            [{"field": "@message", "value": json.dumps({"job_id": "xjob-1", "message": "no"})}],
            [
                {"field": "@timestamp", "value": "2026-11-23 10:00:00.250"},
                {"field": "@message", "value": json.dumps({"job_id": "job-1", "message": "yes"})},
                {"field": "@logStream", "value": "api"},
            ],
        ]
        seen: list[str] = []

        def fake(client: Any, query: str, *_a: Any, **_k: Any) -> InsightsResult:
            seen.append(query)
            return InsightsResult({"results": results})

        monkeypatch.setattr(cloudwatch, "run_insights", fake)
        monkeypatch.setattr(cloudwatch, "connect", lambda region, url: object())

        assert 1 == main(["trace", 'job-"1', "--log-group", "/app", "--color", "never"])
        assert 'filter job_id like "job-\\"1"' in seen[0]
        capsys.readouterr()
        assert 0 == main(["trace", "job-1", "--log-group", "/app", "--color", "never"])
        out = capsys.readouterr().out
        assert out.startswith("job-1: 1 lines, from 2026-11-23 10:00:00.250")


def stubbed() -> tuple[Any, Stubber]:
    client = boto3.client("logs", region_name=REGION, endpoint_url="http://127.0.0.1:9")
    return client, Stubber(client)


START = {"queryId": "q-1"}


class TestPolling:
    def test_polls_with_backoff_until_complete(self) -> None:
        """Scheduled, Running, Running, Complete: waits of 0.25 s, 0.5 s, 1 s."""
        client, stub = stubbed()
        stub.add_response(
            "start_query",
            START,
            {
                "logGroupNames": ["/a", "/b"],
                "startTime": 1,
                "endTime": 3,
                "queryString": "fields x",
                "limit": 5,
            },
        )
        for status in ("Scheduled", "Running", "Running"):
            stub.add_response("get_query_results", {"status": status, "results": []})
        stub.add_response(
            "get_query_results",
            {
                "status": "Complete",
                "results": [[{"field": "x", "value": "1"}, {"field": "@ptr", "value": "p"}]],
                "statistics": {"recordsMatched": 1.0, "recordsScanned": 9.0, "bytesScanned": 90.0},
            },
        )
        waits: list[float] = []
        with stub:
            result = run_insights(
                client,
                "fields x",
                ["/a", "/b"],
                start_ms=1500,
                end_ms=2001,
                limit=5,
                sleep=waits.append,
            )

        assert [0.25, 0.5, 1.0] == waits
        assert (["x"], [{"x": "1"}]) == (result.columns, result.rows)
        assert 9.0 == result.statistics["recordsScanned"]

    def test_backoff_is_capped(self) -> None:
        """The wait doubles up to 5 s."""
        client, stub = stubbed()
        stub.add_response("start_query", START)
        for _ in range(7):
            stub.add_response("get_query_results", {"status": "Running", "results": []})
        stub.add_response("get_query_results", {"status": "Complete", "results": []})
        waits: list[float] = []
        with stub:
            run_insights(client, "fields x", ["/a"], start_ms=0, end_ms=1000, sleep=waits.append)

        assert [0.25, 0.5, 1.0, 2.0, 4.0, 5.0, 5.0] == waits

    @pytest.mark.parametrize("status", ["Failed", "Cancelled", "Timeout", "Unknown"])
    def test_a_query_that_does_not_complete(self, status: str) -> None:
        """Failed, Cancelled, Timeout: one clear error naming the status."""
        client, stub = stubbed()
        stub.add_response("start_query", START)
        stub.add_response("get_query_results", {"status": status, "results": []})
        with stub, pytest.raises(CLIError, match=f"the CloudWatch query ended {status}: q-1"):
            run_insights(client, "fields x", ["/a"], start_ms=0, end_ms=1000)

    def test_too_slow_a_query_is_stopped(self) -> None:
        """Past the timeout, joblog stops the query (StopQuery) and says so."""
        client, stub = stubbed()
        stub.add_response("start_query", START)
        stub.add_response("get_query_results", {"status": "Running", "results": []})
        stub.add_response("get_query_results", {"status": "Running", "results": []})
        stub.add_response("stop_query", {"success": True}, {"queryId": "q-1"})
        clock = iter([0.0, 0.0, 0.5, 0.5]).__next__
        with stub, pytest.raises(CLIError, match=r"ran longer than 0\.6s and was stopped"):
            run_insights(
                client,
                "fields x",
                ["/a"],
                start_ms=0,
                end_ms=1000,
                timeout_s=0.6,
                sleep=lambda _s: None,
                clock=clock,
            )
        stub.assert_no_pending_responses()

    def test_malformed_query_error(self) -> None:
        """CloudWatch's MalformedQueryException is one line with its message."""
        client, stub = stubbed()
        stub.add_client_error(
            "start_query", "MalformedQueryException", "unexpected symbol found ':' at line 1"
        )
        with (
            stub,
            pytest.raises(
                CLIError, match="refused the query: MalformedQueryException: unexpected symbol"
            ),
        ):
            run_insights(client, "fields :", ["/a"], start_ms=0, end_ms=1000)

    def test_unreachable_endpoint(self) -> None:
        """A network failure is one line, not a traceback."""

        class Unreachable:
            def start_query(self, **_kw: Any) -> dict[str, str]:
                raise EndpointConnectionError(endpoint_url="http://127.0.0.1:9")

        with pytest.raises(CLIError, match="cannot reach CloudWatch: Could not connect"):
            run_insights(Unreachable(), "fields x", ["/a"], start_ms=0, end_ms=1000)

    def test_rows_skip_cells_without_values(self) -> None:
        """A result cell without a value (an absent field) leaves the column out of that row."""
        result = InsightsResult({"results": [[{"field": "a", "value": "1"}, {"field": "b"}], [{}]]})

        assert (["a"], [{"a": "1"}, {}]) == (result.columns, result.rows)
