"""joblog.httpx: outgoing calls logged once, ids to trusted hosts only, sampled polling."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

import joblog
import joblog.httpx
from joblog.httpx import AsyncLoggingTransport, LoggingTransport

from .conftest import Output
from .httpx_support import free_port, serving, vendor_app

Configure = Callable[..., Output]


@pytest.fixture(scope="module")
def vendor() -> Iterator[str]:
    with serving(vendor_app) as url:
        yield url


@pytest.fixture(scope="module")
def internal() -> Iterator[str]:
    with serving(vendor_app) as url:
        yield url


def calls(out: Output) -> list[dict[str, Any]]:
    """The lines of outgoing calls (joblog's and httpx's own)."""
    return [e for e in out.events() if e["logger"] == "httpx"]


def host(url: str) -> str:
    return url.removeprefix("http://")


class TestLines:
    def test_sync_call_is_one_line_in_joblogs_schema(
        self, configured: Configure, vendor: str
    ) -> None:
        """One `HTTP request` line: method, host, path without query, status, latency_ms."""
        out = configured(level="info")
        with httpx.Client(transport=LoggingTransport()) as client:
            assert 200 == client.get(f"{vendor}/v1/videos/kling-1?api_key=sk-abc").status_code

        (line,) = calls(out)
        assert ("info", "HTTP request", "GET", host(vendor), "/v1/videos/kling-1", 200) == (
            line["level"],
            line["message"],
            line["method"],
            line["host"],
            line["path"],
            line["status"],
        )
        assert isinstance(line["latency_ms"], float)
        assert line["latency_ms"] > 0
        assert "sk-abc" not in out.getvalue()

    def test_async_call_is_one_line(self, configured: Configure, vendor: str) -> None:
        """The async transport writes the same line, with the bound job id."""
        out = configured(level="info")

        async def main() -> None:
            async with httpx.AsyncClient(transport=AsyncLoggingTransport()) as client:
                with joblog.bind_job("job-abc123"):
                    response = await client.post(f"{vendor}/v1/text2video", json={"a": 1})
                assert 200 == response.status_code

        asyncio.run(main())
        (line,) = calls(out)
        assert ("POST", "/v1/text2video", 200, "job-abc123") == (
            line["method"],
            line["path"],
            line["status"],
            line["job_id"],
        )

    def test_httpx_own_line_is_not_written_twice(self, configured: Configure, vendor: str) -> None:
        """httpx's `HTTP Request:` record is dropped for instrumented calls only."""
        out = configured(level="info")  # stdlib=True: httpx's records reach the output
        with httpx.Client(transport=LoggingTransport()) as instrumented, httpx.Client() as plain:
            for _ in range(3):
                instrumented.get(f"{vendor}/a")
            plain.get(f"{vendor}/b")

        lines = calls(out)
        assert 3 == sum(e["message"] == "HTTP request" for e in lines)
        (own,) = [e for e in lines if e["message"].startswith("HTTP Request:")]
        assert own["message"].startswith(f"HTTP Request: GET {vendor}/b ")

    def test_streamed_response_is_logged_when_closed(
        self, configured: Configure, vendor: str
    ) -> None:
        """A streamed response is logged when it is closed, so latency covers the body."""
        out = configured(level="info")
        with httpx.Client(transport=LoggingTransport()) as client:
            with client.stream("GET", f"{vendor}/download") as response:
                assert [] == calls(out)
                response.read()
            assert ["HTTP request"] == [e["message"] for e in calls(out)]
            response.stream.close()  # closing again logs nothing more
        assert 1 == len(calls(out))

    def test_status_500_and_above_is_a_warning(self, configured: Configure, vendor: str) -> None:
        """A 503 is `HTTP request failed` at warning; a 404 stays info."""
        out = configured(level="info")
        with httpx.Client(transport=LoggingTransport()) as client:
            client.get(f"{vendor}/status/503")
            client.get(f"{vendor}/status/404")

        assert [("warning", "HTTP request failed", 503), ("info", "HTTP request", 404)] == [
            (e["level"], e["message"], e["status"]) for e in calls(out)
        ]

    def test_connection_error_is_a_warning_with_exception_fields(
        self, configured: Configure
    ) -> None:
        """A refused connection: one warning with the exception fields; the error propagates."""
        out = configured(level="info")
        url = f"http://127.0.0.1:{free_port()}/v1/videos"
        with (
            httpx.Client(transport=LoggingTransport()) as client,
            pytest.raises(httpx.ConnectError),
        ):
            client.get(url)

        (line,) = calls(out)
        assert ("warning", "HTTP request failed", "ConnectError", "/v1/videos") == (
            line["level"],
            line["message"],
            line["error_type"],
            line["path"],
        )
        assert "status" not in line
        assert "ConnectError" in line["exception"]

    def test_timeout_is_a_warning(self, configured: Configure, vendor: str) -> None:
        """A read timeout of the async client: one warning, error_type ReadTimeout."""
        out = configured(level="info")

        async def main() -> None:
            async with httpx.AsyncClient(transport=AsyncLoggingTransport(), timeout=0.1) as client:
                with pytest.raises(httpx.ReadTimeout):
                    await client.get(f"{vendor}/slow")

        asyncio.run(main())
        (line,) = calls(out)
        assert ("warning", "ReadTimeout") == (line["level"], line["error_type"])
        assert line["latency_ms"] >= 100

    def test_error_while_reading_the_body(self, configured: Configure) -> None:
        """A body that breaks off: the call is logged once as failed, with its status."""
        out = configured(level="info")

        class Broken(httpx.SyncByteStream, httpx.AsyncByteStream):
            def __iter__(self) -> Iterator[bytes]:
                yield b"partial"
                raise httpx.ReadError("connection reset")

            async def __aiter__(self) -> Any:
                yield b"partial"
                raise httpx.ReadError("connection reset")

        def handler(request: httpx.Request) -> httpx.Response:
            return httpx.Response(200, stream=Broken())

        transport = LoggingTransport(httpx.MockTransport(handler))
        with httpx.Client(transport=transport) as client, pytest.raises(httpx.ReadError):
            client.get("http://vendor.example/v1/file")

        async def main() -> None:
            transport = AsyncLoggingTransport(httpx.MockTransport(handler))
            async with httpx.AsyncClient(transport=transport) as client:
                with pytest.raises(httpx.ReadError):
                    await client.get("http://vendor.example/v1/file")

        asyncio.run(main())
        assert [("warning", 200, "ReadError")] * 2 == [
            (e["level"], e["status"], e["error_type"]) for e in calls(out)
        ]

    def test_response_built_with_its_content(self, configured: Configure) -> None:
        """A response that arrives already read (MockTransport) is logged at once."""
        out = configured(level="info")

        def handler(request: httpx.Request) -> httpx.Response:
            return httpx.Response(200, json={"state": "processing"})

        with httpx.Client(transport=LoggingTransport(httpx.MockTransport(handler))) as client:
            client.get("http://vendor.example/v1/a")

        async def main() -> None:
            transport = AsyncLoggingTransport(httpx.MockTransport(handler))
            async with httpx.AsyncClient(transport=transport) as client:
                await client.get("http://vendor.example/v1/b")

        asyncio.run(main())
        assert [("/v1/a", 200), ("/v1/b", 200)] == [(e["path"], e["status"]) for e in calls(out)]

    def test_custom_logger(self, configured: Configure, vendor: str) -> None:
        """logger= names the lines' logger."""
        out = configured(level="info")
        transport = LoggingTransport(logger=joblog.get_logger("app.vendors"))
        with httpx.Client(transport=transport) as client:
            client.get(f"{vendor}/x")
        assert ["app.vendors"] == [
            e["logger"] for e in out.events() if e["message"] == "HTTP request"
        ]


class TestPropagation:
    def test_ids_go_to_listed_hosts_only(
        self, configured: Configure, vendor: str, internal: str
    ) -> None:
        """The internal host gets X-Job-ID, X-Request-ID and baggage; the vendor none of them."""
        configured(level="info")
        transport = LoggingTransport(propagate_to=[host(internal)])
        with (
            httpx.Client(transport=transport) as client,
            joblog.bind_job("job-abc123"),
            joblog.bind(request_id="4bf92f3577b34da6"),
        ):
            to_internal = client.get(f"{internal}/render").json()["headers"]
            to_vendor = client.get(f"{vendor}/v1/videos").json()["headers"]

        assert "job-abc123" == to_internal["x-job-id"]
        assert "4bf92f3577b34da6" == to_internal["x-request-id"]
        assert "job_id=job-abc123,request_id=4bf92f3577b34da6" == to_internal["baggage"]
        assert set() == {"x-job-id", "x-request-id", "baggage"} & set(to_vendor)

    def test_nothing_is_sent_by_default_or_outside_a_job(
        self, configured: Configure, vendor: str, internal: str
    ) -> None:
        """No list: no header; a listed host outside any binding: no header either."""
        configured(level="info")
        with joblog.bind_job("job-abc123"), httpx.Client(transport=LoggingTransport()) as client:
            by_default = client.get(f"{vendor}/x").json()["headers"]
        listed = LoggingTransport(propagate_to=[host(internal)])
        with httpx.Client(transport=listed) as client:
            unbound = client.get(f"{internal}/x").json()["headers"]
        for headers in (by_default, unbound):
            assert set() == {"x-job-id", "x-request-id", "baggage"} & set(headers)

    def test_structlog_bound_request_id_and_existing_headers(
        self, configured: Configure, internal: str
    ) -> None:
        """A request id bound with structlog goes out; the caller's own headers are kept."""
        import structlog

        configured(level="info")
        transport = LoggingTransport(propagate_to=["127.0.0.1"])
        structlog.contextvars.bind_contextvars(request_id="req-1")
        with joblog.bind_job("job-a b"), httpx.Client(transport=transport) as client:
            headers = client.get(
                f"{internal}/x",
                headers={"X-Job-ID": "job-explicit", "baggage": "tenant=acme, job_id=old"},
            ).json()["headers"]
        assert "job-explicit" == headers["x-job-id"]
        assert "req-1" == headers["x-request-id"]
        assert "tenant=acme,job_id=job-a%20b,request_id=req-1" == headers["baggage"]

    def test_host_patterns(self) -> None:
        """Exact names, host:port and *.suffix match; other hosts and ports do not."""
        policy = LoggingTransport(propagate_to=["API.internal", "svc:8080", "*.corp.example"])
        trusts = policy._policy.trusts
        assert trusts(httpx.URL("http://api.internal/x"))
        assert trusts(httpx.URL("http://svc:8080/x"))
        assert trusts(httpx.URL("https://a.b.corp.example/x"))
        assert not trusts(httpx.URL("http://svc:9090/x"))
        assert not trusts(httpx.URL("https://corp.example.evil.com/x"))
        assert not trusts(httpx.URL("https://api.openai.com/x"))

    def test_custom_header_names(self, configured: Configure, internal: str) -> None:
        """job_id_header= and request_id_header= rename the headers."""
        configured(level="info")
        transport = LoggingTransport(
            propagate_to=["127.0.0.1"], job_id_header="X-Job", request_id_header="X-Req"
        )
        with joblog.bind_job("job-1"), httpx.Client(transport=transport) as client:
            headers = client.get(f"{internal}/x").json()["headers"]
        assert ("job-1", None) == (headers["x-job"], headers.get("x-req"))
        assert "job_id=job-1" == headers["baggage"]

    @pytest.mark.parametrize(
        ("kwargs", "error", "match"),
        [
            ({"propagate_to": "api.internal"}, TypeError, "not a string"),
            ({"propagate_to": [""]}, ValueError, "invalid host ''"),
            ({"propagate_to": ["*."]}, ValueError, "invalid host"),
            ({"propagate_to": ["a b"]}, ValueError, "invalid host 'a b'"),
            ({"propagate_to": [42]}, ValueError, "invalid host 42"),
            ({"job_id_header": ""}, ValueError, "job_id_header"),
            ({"request_id_header": "X Req"}, ValueError, "request_id_header"),
        ],
    )
    def test_bad_configuration(self, kwargs: Any, error: type[Exception], match: str) -> None:
        """Bad hosts or header names are refused at construction, naming the value."""
        with pytest.raises(error, match=match):
            LoggingTransport(**kwargs)
        with pytest.raises(error, match=match):
            AsyncLoggingTransport(**kwargs)


class TestSampling:
    def test_polling_loops_http_lines_follow_the_loops_counts(
        self, configured: Configure, vendor: str
    ) -> None:
        """In a sampled loop, HTTP lines are shown and flushed exactly like the loop's own."""
        out = configured(level="debug", stdlib=False)
        log = joblog.get_logger("app.kling")

        async def main() -> None:
            transport = AsyncLoggingTransport()
            async with httpx.AsyncClient(transport=transport) as client:
                async with joblog.sampled(log, every=5) as plog:
                    for attempt in range(1, 13):
                        await client.get(f"{vendor}/v1/videos/kling-1")
                        plog.debug("Kling still processing", attempt=attempt)
                    await client.get(f"{vendor}/status/503")  # a failure: always written
                await client.get(f"{vendor}/after")  # outside the block: not sampled

        asyncio.run(main())
        events = out.events()
        own = [e["suppressed"] for e in events if e["message"] == "Kling still processing"]
        http = [
            e["suppressed"]
            for e in events
            if e["message"] == "HTTP request" and e["path"] == "/v1/videos/kling-1"
        ]
        assert [4, 4, 1] == own == http
        assert 12 == len(own) + sum(own) == len(http) + sum(http)
        (failed,) = [e for e in events if e["message"] == "HTTP request failed"]
        assert ("warning", 503, False) == (
            failed["level"],
            failed["status"],
            "suppressed" in failed,
        )
        (after,) = [e for e in events if e.get("path") == "/after"]
        assert "suppressed" not in after

    def test_sync_client_in_a_sampled_block_keys_by_method_host_path(
        self, configured: Configure, vendor: str
    ) -> None:
        """Different paths are counted apart, like different messages."""
        out = configured(level="info", stdlib=False)
        log = joblog.get_logger("app")
        with (
            httpx.Client(transport=LoggingTransport()) as client,
            joblog.sampled(log, every=3),
        ):
            for _ in range(3):
                client.get(f"{vendor}/a")
                client.get(f"{vendor}/b")
        assert [("/a", 2), ("/b", 2)] == [(e["path"], e["suppressed"]) for e in calls(out)]


def test_importing_joblog_does_not_import_httpx() -> None:
    """httpx is imported by joblog.httpx only."""
    import subprocess
    import sys

    code = "import sys, joblog; print('httpx' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert "False" == result.stdout.strip()


def test_filter_leaves_other_httpx_records_alone() -> None:
    """httpx's other records (and records without args) pass the filter."""
    record = logging.LogRecord("httpx", logging.INFO, __file__, 1, "HTTP Request: %s", ("x",), None)
    assert joblog.httpx._FILTER.filter(record)
    joblog.httpx._replaced.set(httpx.URL("http://a/"))
    assert joblog.httpx._FILTER.filter(record)
