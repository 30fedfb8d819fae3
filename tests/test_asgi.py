"""Tests for joblog.asgi: RequestLoggingMiddleware and log_auth_failure."""

from __future__ import annotations

import asyncio
import ipaddress
import json
import logging
import re
import time
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from typing import Any

import anyio
import httpx
import jwt
import pytest
import structlog
from fastapi import BackgroundTasks, Depends, FastAPI, Header, HTTPException
from hypothesis import given, settings
from hypothesis import strategies as st
from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket

import joblog
import joblog.asgi
from joblog._logged import was_logged
from joblog.asgi import RequestLoggingMiddleware, _SkipList, log_auth_failure

from .conftest import Output

pytestmark = pytest.mark.anyio

Scope = dict[str, Any]
Message = dict[str, Any]
PEER = "203.0.113.7"
STARTED_KEYS = [
    "timestamp",
    "level",
    "message",
    "logger",
    "request_id",
    "method",
    "path",
    "client_ip",
]
COMPLETED_KEYS = [
    "timestamp",
    "level",
    "message",
    "logger",
    "request_id",
    "method",
    "path",
    "status",
    "latency_ms",
    "response_size",
]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def out(configured: Callable[..., Output]) -> Output:
    """joblog configured to write JSON lines into a stream the test reads."""
    return configured(level="info")  # not debug: asyncio logs its selector at debug


# --------------------------------------------------------------------------
# Driving an ASGI app by hand
# --------------------------------------------------------------------------


def http_scope(
    path: str = "/",
    *,
    method: str = "GET",
    headers: Iterable[tuple[str | bytes, str | bytes]] = (),
    client: Any = (PEER, 50123),
    query: bytes = b"",
    **extra: Any,
) -> Scope:
    """An HTTP scope as a server builds it."""
    raw = [
        (k.encode() if isinstance(k, str) else k, v.encode() if isinstance(v, str) else v)
        for k, v in headers
    ]
    scope: Scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode("utf-8", "surrogateescape"),
        "query_string": query,
        "root_path": "",
        "headers": raw,
        "client": client,
        "server": ("testserver", 80),
    }
    scope.update(extra)
    return scope


async def call(
    app: Any, scope: Scope, *, disconnect_after: int | None = None, fail_after: int | None = None
) -> list[Message]:
    """
    Run *app* for *scope*; return the messages it sent.

    ``receive`` gives an empty body, then waits for a disconnect, which
    happens after *disconnect_after* body messages.  With *fail_after*,
    ``send`` raises ``OSError`` after that many body messages (ASGI 2.4).
    """
    sent: list[Message] = []
    body_given = False
    gone = anyio.Event()

    async def receive() -> Message:
        nonlocal body_given
        if not body_given:
            body_given = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await gone.wait()
        return {"type": "http.disconnect"}

    def bodies() -> int:
        return sum(m["type"] == "http.response.body" for m in sent)

    async def send(message: Message) -> None:
        if fail_after is not None and bodies() >= fail_after:
            raise OSError("client disconnected")
        sent.append(message)
        if disconnect_after is not None and bodies() >= disconnect_after:
            gone.set()

    await app(scope, receive, send)
    return sent


async def converse(app: Any, scope: Scope, incoming: list[Message]) -> list[Message]:
    """Run *app* for a websocket or lifespan *scope*, feeding it *incoming* in order."""
    sent: list[Message] = []
    queue = list(incoming)

    async def receive() -> Message:
        return queue.pop(0)

    async def send(message: Message) -> None:
        sent.append(message)

    await app(scope, receive, send)
    return sent


def responder(
    status: int = 200, chunks: Sequence[bytes] = (b"hello",), headers: Iterable[Any] = ()
) -> Any:
    """A raw ASGI app answering *status* with *chunks* (the last one ends the body)."""

    async def app(scope: Scope, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": status, "headers": list(headers)})
        for i, chunk in enumerate(chunks):
            await send(
                {"type": "http.response.body", "body": chunk, "more_body": i < len(chunks) - 1}
            )

    return app


def client_for(app: Any, *, raise_app_exceptions: bool = True) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(
        app=app, raise_app_exceptions=raise_app_exceptions, client=(PEER, 50123)
    )
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


def requests_of(out: Output) -> list[dict[str, Any]]:
    """The middleware's lines (not httpx's own request log)."""
    return [e for e in out.events() if e["logger"] in ("joblog.asgi", "joblog.auth")]


# --------------------------------------------------------------------------
# The two lines of a request
# --------------------------------------------------------------------------


class TestRequestLines:
    async def test_started_and_completed_fields(self, out: Output) -> None:
        """A request logs exactly the documented fields on each line, in schema order."""
        app = RequestLoggingMiddleware(responder(201, [b"created!"]))

        await call(app, http_scope("/api/v1/generate", method="POST"))

        started, completed = out.events()
        assert STARTED_KEYS == list(started)
        assert ("info", "Request started", "joblog.asgi") == (
            started["level"],
            started["message"],
            started["logger"],
        )
        assert ("POST", "/api/v1/generate", PEER) == (
            started["method"],
            started["path"],
            started["client_ip"],
        )
        assert COMPLETED_KEYS == list(completed)
        assert ("info", "Request completed", "POST", "/api/v1/generate", 201, 8) == (
            completed["level"],
            completed["message"],
            completed["method"],
            completed["path"],
            completed["status"],
            completed["response_size"],
        )
        assert isinstance(completed["latency_ms"], float)
        assert completed["latency_ms"] >= 0

    async def test_path_never_includes_the_query_string(self, out: Output) -> None:
        """The query string (which may hold a token) is never logged."""
        app = RequestLoggingMiddleware(responder())
        async with client_for(app) as client:
            await client.get("/api/v1/jobs?access_token=s3cr3t&page=2")

        lines = requests_of(out)
        assert ["/api/v1/jobs", "/api/v1/jobs"] == [e["path"] for e in lines]
        assert "s3cr3t" not in json.dumps(lines)

    async def test_response_size_sums_streamed_chunks(self, out: Output) -> None:
        """Streaming responses have no Content-Length: the body messages are summed."""
        app = RequestLoggingMiddleware(responder(chunks=[b"ab", b"", b"cde", b"fghij"]))

        sent = await call(app, http_scope())

        assert 10 == out.events()[1]["response_size"]
        assert 10 == sum(len(m.get("body", b"")) for m in sent)

    async def test_starlette_streaming_response(self, out: Output) -> None:
        """A StreamingResponse through httpx is logged once it ends, with its full size."""

        async def numbers(request: Request) -> StreamingResponse:
            async def body() -> AsyncIterator[bytes]:
                for n in range(5):
                    yield f"{n}\n".encode()

            return StreamingResponse(body())

        app = Starlette(routes=[Route("/numbers", numbers)])
        app.add_middleware(RequestLoggingMiddleware)
        async with client_for(app) as client:
            response = await client.get("/numbers")

        completed = requests_of(out)[1]
        assert (200, len(response.content), 10) == (
            completed["status"],
            completed["response_size"],
            len(response.content),
        )
        assert "response_complete" not in completed

    @pytest.mark.parametrize(("status", "level"), [(200, "info"), (404, "info"), (503, "error")])
    async def test_level_follows_the_status(self, out: Output, status: int, level: str) -> None:
        """Completed lines are info, and error for a status of 500 or more."""
        app = RequestLoggingMiddleware(responder(status))

        await call(app, http_scope())

        assert [("info", "Request started"), (level, "Request completed")] == [
            (e["level"], e["message"]) for e in out.events()
        ]

    async def test_head_sends_no_body(self, out: Output) -> None:
        """For HEAD the server drops the body, so none was sent."""
        app = RequestLoggingMiddleware(responder(chunks=[b"not sent for HEAD"]))

        await call(app, http_scope(method="HEAD"))

        assert 0 == out.events()[1]["response_size"]

    async def test_latency_stops_at_the_last_body_byte(self, out: Output) -> None:
        """Work the app does after the response (background tasks) is not latency."""
        log = joblog.get_logger("app")
        marks: dict[str, float] = {}

        async def app(scope: Scope, receive: Any, send: Any) -> None:
            await send({"type": "http.response.start", "status": 202, "headers": []})
            await send({"type": "http.response.body", "body": b"{}"})
            marks["sent"] = time.perf_counter()
            await anyio.sleep(0.05)
            log.info("Background task done")

        marks["before"] = time.perf_counter()
        await call(RequestLoggingMiddleware(app), http_scope())

        _started, completed, background = out.events()
        assert ["Request completed", "Background task done"] == [
            completed["message"],
            background["message"],
        ]
        assert completed["latency_ms"] <= (marks["sent"] - marks["before"]) * 1000

    async def test_starlette_background_task_excluded(self, out: Output) -> None:
        """A Starlette BackgroundTask runs after "Request completed" is logged."""
        log = joblog.get_logger("app")

        async def generate(request: Request) -> JSONResponse:
            return JSONResponse(
                {"job_id": "job-1"},
                status_code=202,
                background=BackgroundTask(log.info, "Background task done"),
            )

        app = Starlette(routes=[Route("/generate", generate, methods=["POST"])])
        app.add_middleware(RequestLoggingMiddleware)
        async with client_for(app) as client:
            await client.post("/generate")

        messages = [e["message"] for e in out.events() if e["logger"] != "httpx"]
        assert ["Request started", "Request completed", "Background task done"] == messages

    async def test_abandoned_response_is_logged_with_what_was_sent(self, out: Output) -> None:
        """An app that stops mid-body is logged when it returns, marked incomplete."""

        async def app(scope: Scope, receive: Any, send: Any) -> None:
            await send({"type": "http.response.start", "status": 200, "headers": []})
            await send({"type": "http.response.body", "body": b"12345", "more_body": True})

        await call(RequestLoggingMiddleware(app), http_scope())

        completed = out.events()[1]
        assert [*COMPLETED_KEYS, "response_complete"] == list(completed)
        assert (200, 5, False, "info") == (
            completed["status"],
            completed["response_size"],
            completed["response_complete"],
            completed["level"],
        )

    async def test_no_response_at_all_is_a_server_error(self, out: Output) -> None:
        """An app that returns without responding gets a 500 from the server: logged as one."""

        async def app(scope: Scope, receive: Any, send: Any) -> None:
            return None

        await call(RequestLoggingMiddleware(app), http_scope())

        completed = out.events()[1]
        assert ("error", 500, 0, False) == (
            completed["level"],
            completed["status"],
            completed["response_size"],
            completed["response_complete"],
        )

    @pytest.mark.parametrize(
        ("headers", "expected"),
        [
            ([(b"content-type", b"video/mp4"), (b"content-length", b"1234")], 1234),
            ([(b"content-type", b"video/mp4")], 0),
            ([(b"content-length", b"12x")], 0),
        ],
    )
    async def test_pathsend_ends_the_response(
        self, out: Output, headers: list[tuple[bytes, bytes]], expected: int
    ) -> None:
        """pathsend (the server sends a file) ends the response; its size is Content-Length."""

        async def app(scope: Scope, receive: Any, send: Any) -> None:
            await send({"type": "http.response.start", "status": 200, "headers": headers})
            await send({"type": "http.response.pathsend", "path": "/srv/videos/final.mp4"})

        await call(RequestLoggingMiddleware(app), http_scope())

        completed = out.events()[1]
        assert (expected, "info") == (completed["response_size"], completed["level"])
        assert "response_complete" not in completed

    async def test_other_messages_pass_through(self, out: Output) -> None:
        """Messages the middleware does not count (trailers, extensions) reach the server."""
        trailer = {"type": "http.response.trailers", "headers": [], "more_trailers": False}

        async def app(scope: Scope, receive: Any, send: Any) -> None:
            await send({"type": "http.response.start", "status": 200, "trailers": True})
            await send({"type": "http.response.body", "body": b"ok"})
            await send(trailer)

        sent = await call(RequestLoggingMiddleware(app), http_scope())

        assert trailer is sent[-1]
        assert 2 == out.events()[1]["response_size"]


# --------------------------------------------------------------------------
# Options
# --------------------------------------------------------------------------


class TestOptions:
    async def test_logger_name(self, out: Output) -> None:
        """logger="..." names the logger of every line."""
        app = RequestLoggingMiddleware(responder(), logger="app.access")

        await call(app, http_scope())

        assert ["app.access", "app.access"] == [e["logger"] for e in out.events()]

    async def test_bound_logger(self, out: Output) -> None:
        """A joblog logger can be passed; its bound fields are on every line."""
        log = joblog.get_logger("app.access", service="video-api")
        app = RequestLoggingMiddleware(responder(), logger=log)

        await call(app, http_scope())

        assert [("app.access", "video-api")] * 2 == [
            (e["logger"], e["service"]) for e in out.events()
        ]

    def test_logger_of_another_kind_is_rejected(self) -> None:
        """A logger that is neither a name nor a joblog logger is a TypeError."""
        with pytest.raises(TypeError, match="<Logger app"):
            RequestLoggingMiddleware(responder(), logger=logging.getLogger("app"))  # type: ignore[arg-type]

    async def test_start_line_off(self, out: Output) -> None:
        """log_start=False: one line per request, which carries client_ip and headers."""
        app = RequestLoggingMiddleware(responder(), log_start=False, headers=["user-agent"])

        await call(app, http_scope(headers=[("user-agent", "curl/8.5")]))

        (completed,) = out.events()
        assert [*COMPLETED_KEYS, "client_ip", "user_agent"] == list(completed)
        assert (PEER, "curl/8.5") == (completed["client_ip"], completed["user_agent"])

    async def test_extra_headers(self, out: Output) -> None:
        """Requested headers are logged on "Request started", named after the header."""
        app = RequestLoggingMiddleware(responder(), headers=["User-Agent", "x-request-id", "x-b3"])
        scope = http_scope(
            headers=[
                ("user-agent", "Mozilla/5.0"),
                ("x-request-id", "a"),
                ("accept", "*/*"),
                ("x-request-id", "b"),
            ]
        )

        await call(app, scope)

        started, completed = out.events()
        assert [*STARTED_KEYS, "user_agent", "x_request_id"] == list(started)
        assert ("Mozilla/5.0", "a, b") == (started["user_agent"], started["x_request_id"])
        assert COMPLETED_KEYS == list(completed)

    async def test_header_values_reach_redaction_by_their_name(
        self, configured: Callable[..., Output]
    ) -> None:
        """A credential header arrives at the redaction slot under its own name."""

        def redact_by_key(_: Any, __: str, event: dict[str, Any]) -> dict[str, Any]:
            return {
                k: "[REDACTED]" if k in ("authorization", "cookie") else v for k, v in event.items()
            }

        out = configured(redact=redact_by_key, level="info")
        app = RequestLoggingMiddleware(
            responder(), headers=["authorization", "cookie", "user-agent"]
        )
        scope = http_scope(
            headers=[
                ("authorization", "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1In0.c2ln"),
                ("cookie", "session=abc123"),
                ("user-agent", "curl/8.5"),
            ]
        )

        await call(app, scope)

        started = out.events()[0]
        assert ("[REDACTED]", "[REDACTED]", "curl/8.5") == (
            started["authorization"],
            started["cookie"],
            started["user_agent"],
        )
        assert "eyJ" not in out.getvalue()
        assert "abc123" not in out.getvalue()

    @pytest.mark.parametrize("name", ["path", "Status", "client-ip", "Job-Id", "message", "level"])
    def test_header_named_like_a_field_is_rejected(self, name: str) -> None:
        """A header whose field would replace one of the middleware's own is a ValueError."""
        with pytest.raises(ValueError, match=re.escape(repr(name))):
            RequestLoggingMiddleware(responder(), headers=[name])

    @pytest.mark.parametrize("name", ["", "user agent", "x:y", "naïve", "a\nb"])
    def test_invalid_header_name_is_rejected(self, name: str) -> None:
        """Header names must be HTTP tokens."""
        with pytest.raises(ValueError, match=re.escape(repr(name))):
            RequestLoggingMiddleware(responder(), headers=[name])

    def test_header_name_must_be_a_string(self) -> None:
        """A non-string header name is a TypeError naming it."""
        with pytest.raises(TypeError, match="b'user-agent'"):
            RequestLoggingMiddleware(responder(), headers=[b"user-agent"])  # type: ignore[list-item]

    async def test_slow_request_is_a_warning(self, out: Output) -> None:
        """A request slower than slow_ms is logged at warning."""

        async def slow(scope: Scope, receive: Any, send: Any) -> None:
            await anyio.sleep(0.03)
            await responder()(scope, receive, send)

        await call(RequestLoggingMiddleware(slow, slow_ms=10), http_scope())
        await call(RequestLoggingMiddleware(responder(), slow_ms=60_000), http_scope())
        await call(RequestLoggingMiddleware(responder(500), slow_ms=0.000_001), http_scope())

        completed = [e for e in out.events() if e["message"] == "Request completed"]
        assert ["warning", "info", "error"] == [e["level"] for e in completed]
        assert completed[0]["latency_ms"] >= 10

    @pytest.mark.parametrize("value", [0, -5, float("nan"), float("inf"), True, "100"])
    def test_invalid_slow_ms_is_rejected(self, value: Any) -> None:
        """slow_ms must be a positive, finite number."""
        with pytest.raises(ValueError, match=re.escape(repr(value))):
            RequestLoggingMiddleware(responder(), slow_ms=value)

    def test_unknown_proxy_header_is_rejected(self) -> None:
        """proxy_header is "x-forwarded-for" or "forwarded"."""
        with pytest.raises(ValueError, match="'x-real-ip'"):
            RequestLoggingMiddleware(responder(), proxy_header="x-real-ip")

    def test_app_must_be_callable(self) -> None:
        """Wrapping something that is not an ASGI app fails at construction."""
        with pytest.raises(TypeError, match="'app'"):
            RequestLoggingMiddleware("app")  # type: ignore[arg-type]

    @pytest.mark.parametrize("option", ["skip", "trusted_proxies", "headers"])
    def test_a_single_string_is_rejected(self, option: str) -> None:
        """skip="GET /health" (a string, not a list) would be read letter by letter."""
        with pytest.raises(TypeError, match=f"{option} must be a list"):
            RequestLoggingMiddleware(responder(), **{option: "GET /health"})

    def test_public_names(self) -> None:
        """The middleware and the auth helper are exported at the top level too."""
        assert (RequestLoggingMiddleware, log_auth_failure) == (
            joblog.RequestLoggingMiddleware,
            joblog.log_auth_failure,
        )
        assert ["RequestLoggingMiddleware", "log_auth_failure"] == joblog.asgi.__all__


# --------------------------------------------------------------------------
# The skip list
# --------------------------------------------------------------------------

SKIP = [
    "GET /health",
    "/ready",
    "GET /api/v1/jobs/{job_id}",
    "/static/{rest:path}",
    "get /v/{n:int}/x",
    "HEAD /f/{x:float}",
    "DELETE /u/{u:uuid}",
    "POST /a.b",
]


class TestSkipList:
    @pytest.mark.parametrize(
        ("method", "path"),
        [
            ("GET", "/health"),
            ("GET", "/ready"),
            ("POST", "/ready"),
            ("PROPFIND", "/ready"),
            ("GET", "/api/v1/jobs/42"),
            ("GET", "/api/v1/jobs/job-0b5c1d2e"),
            ("GET", "/static/"),
            ("PUT", "/static/css/site.css"),
            ("GET", "/v/12/x"),
            ("HEAD", "/f/1.5"),
            ("HEAD", "/f/2"),
            ("DELETE", "/u/0b5c1d2e-3f40-4a5b-8c6d-7e8f9a0b1c2d"),
            ("POST", "/a.b"),
        ],
    )
    def test_matches(self, method: str, path: str) -> None:
        """Method-and-path entries, any-method entries and templates match."""
        assert _SkipList(SKIP).matches(method, path, "")

    @pytest.mark.parametrize(
        ("method", "path"),
        [
            ("POST", "/health"),
            ("HEAD", "/health"),
            ("GET", "/health/"),
            ("GET", "/healthz"),
            ("GET", "/ready/x"),
            ("POST", "/api/v1/jobs/42"),
            ("GET", "/api/v1/jobs/"),
            ("GET", "/api/v1/jobs/42/logs"),
            ("GET", "/api/v1/jobs"),
            ("GET", "/static"),
            ("GET", "/v/x/x"),
            ("GET", "/v/-1/x"),
            ("HEAD", "/f/1."),
            ("DELETE", "/u/not-a-uuid"),
            ("POST", "/aXb"),
            ("TRACE", "/health"),
        ],
    )
    def test_does_not_match(self, method: str, path: str) -> None:
        """Everything else is logged: other methods, other segments, regex characters."""
        assert not _SkipList(SKIP).matches(method, path, "")

    @given(
        st.text(
            alphabet=st.characters(blacklist_characters="{}/?#", blacklist_categories=["Cs"]),
            min_size=1,
        ).filter(lambda s: s.split() == [s])
    )
    def test_literal_paths_match_only_themselves(self, segment: str) -> None:
        """A literal entry matches its own path exactly, whatever characters it holds."""
        path = f"/x/{segment}"
        skip = _SkipList([f"GET {path}"])
        assert (True, False, False) == (
            skip.matches("GET", path, ""),
            skip.matches("GET", path + "a", ""),
            skip.matches("GET", path[:-1], ""),
        )

    @given(
        st.text(
            alphabet=st.characters(blacklist_characters="/", blacklist_categories=["Cs"]),
            min_size=1,
        ),
        st.lists(st.text(alphabet=st.characters(blacklist_categories=["Cs"])), max_size=3),
    )
    def test_templates_take_one_segment_or_the_rest(self, segment: str, rest: list[str]) -> None:
        """{name} matches exactly one non-empty segment; {name:path} anything after."""
        one = _SkipList(["/jobs/{job_id}"])
        tail = _SkipList(["/files/{rest:path}"])
        deeper = "/".join([segment, *rest])
        assert (True, "/" in deeper, True) == (
            one.matches("GET", f"/jobs/{segment}", ""),
            not one.matches("GET", f"/jobs/{deeper}", ""),
            tail.matches("GET", f"/files/{deeper}", ""),
        )

    async def test_skipped_requests_log_nothing(self, out: Output) -> None:
        """Health checks and polling stay out of the log; other requests are logged."""
        app = RequestLoggingMiddleware(
            responder(), skip=["GET /health", "GET /api/v1/jobs/{job_id}"]
        )

        await call(app, http_scope("/health"))
        await call(app, http_scope("/api/v1/jobs/job-42"))
        await call(app, http_scope("/api/v1/jobs/job-42", method="DELETE"))

        assert [("Request started", "DELETE"), ("Request completed", "DELETE")] == [
            (e["message"], e["method"]) for e in out.events()
        ]

    async def test_skipped_client_errors_stay_quiet(self, out: Output) -> None:
        """A skipped endpoint's 4xx is not logged (only server errors are)."""
        app = RequestLoggingMiddleware(responder(404), skip=["/health"])

        await call(app, http_scope("/health"))

        assert [] == out.events()

    async def test_skipped_server_error_is_logged(self, out: Output) -> None:
        """A skipped request that ends with a 5xx is always logged, on one line with client_ip."""
        app = RequestLoggingMiddleware(responder(503, [b"down"]), skip=["GET /health"])

        await call(app, http_scope("/health"))

        (completed,) = out.events()
        assert [*COMPLETED_KEYS, "client_ip"] == list(completed)
        assert ("error", "Request completed", 503, 4, PEER) == (
            completed["level"],
            completed["message"],
            completed["status"],
            completed["response_size"],
            completed["client_ip"],
        )

    async def test_skipped_exception_is_logged(self, out: Output) -> None:
        """A skipped request that raises is always logged as "Request failed"."""

        async def broken(scope: Scope, receive: Any, send: Any) -> None:
            raise ConnectionError("database unreachable")

        app = RequestLoggingMiddleware(broken, skip=["GET /health"])

        with pytest.raises(ConnectionError):
            await call(app, http_scope("/health"))

        (failed,) = out.events()
        assert ("error", "Request failed", 500, "ConnectionError", PEER) == (
            failed["level"],
            failed["message"],
            failed["status"],
            failed["error_type"],
            failed["client_ip"],
        )

    async def test_skipped_streamed_server_error(self, out: Output) -> None:
        """A skipped 5xx is measured like any request: every chunk counted, one line."""
        app = RequestLoggingMiddleware(
            responder(500, [b"data", b"base ", b"down"]), skip=["/health"]
        )

        await call(app, http_scope("/health"))

        (completed,) = out.events()
        assert ("error", 500, 13) == (
            completed["level"],
            completed["status"],
            completed["response_size"],
        )
        assert "response_complete" not in completed

    @pytest.mark.parametrize(
        ("app", "status"),
        [
            (lambda scope, receive, send: anyio.sleep(0), 500),
            (
                lambda scope, receive, send: send(
                    {"type": "http.response.start", "status": 503, "headers": []}
                ),
                503,
            ),
        ],
        ids=["no response", "5xx without a body"],
    )
    async def test_skipped_request_left_unanswered(
        self, out: Output, app: Any, status: int
    ) -> None:
        """A skipped request the app leaves without a (complete) answer is a server error."""
        await call(RequestLoggingMiddleware(app, skip=["/health"]), http_scope("/health"))

        (completed,) = out.events()
        assert ("error", status, False, PEER) == (
            completed["level"],
            completed["status"],
            completed["response_complete"],
            completed["client_ip"],
        )

    async def test_skipped_request_cancelled(self, out: Output) -> None:
        """A skipped request that is cancelled is logged (it did not simply succeed)."""

        async def app(scope: Scope, receive: Any, send: Any) -> None:
            raise asyncio.CancelledError

        with pytest.raises(asyncio.CancelledError):
            await call(RequestLoggingMiddleware(app, skip=["/health"]), http_scope("/health"))

        assert [("warning", "Request cancelled")] == [
            (e["level"], e["message"]) for e in out.events()
        ]

    @pytest.mark.parametrize(
        ("status", "expected"),
        [(200, []), (503, [("error", "Request completed", 503, 5, False)])],
    )
    async def test_skipped_request_client_gone(
        self, out: Output, status: int, expected: list[Any]
    ) -> None:
        """ASGI 2.4 disconnect on a skipped request: silent, unless it was a server error."""

        async def stream(request: Request) -> StreamingResponse:
            async def frames() -> AsyncIterator[bytes]:
                for _ in range(10):
                    yield b"down-"

            return StreamingResponse(frames(), status_code=status)

        app = Starlette(routes=[Route("/events", stream)])
        app.add_middleware(RequestLoggingMiddleware, skip=["/events"])
        scope = http_scope("/events", asgi={"version": "3.0", "spec_version": "2.4"})

        with pytest.raises(ClientDisconnect):
            await call(app, scope, fail_after=1)

        assert expected == [
            (e["level"], e["message"], e["status"], e["response_size"], e["response_complete"])
            for e in out.events()
        ]

    async def test_skip_matches_the_route_path_under_a_root_path(self, out: Output) -> None:
        """Behind a prefix (root_path), entries match the path the routes see."""
        app = RequestLoggingMiddleware(responder(), skip=["GET /health"])

        await call(app, http_scope("/svc/health", root_path="/svc"))
        await call(app, http_scope("/other/health", root_path="/svc"))

        assert ["/other/health", "/other/health"] == [e["path"] for e in out.events()]

    @pytest.mark.parametrize(
        "entry",
        [
            "health",
            "GET",
            "FETCH /x",
            "",
            "   ",
            "GET /health now",
            "/health GET",
            "GET health",
            "/health?verbose=1",
            "/health#top",
            "/jobs/{",
            "/jobs/}",
            "/jobs/{job_id",
            "/jobs/{job id}",
            "/jobs/{1d}",
            "/jobs/{id:bogus}",
            "/jobs/{id}/{id}",
            "/jobs/{{id}}",
        ],
    )
    def test_malformed_entries_are_rejected(self, entry: str) -> None:
        """A malformed entry is a ValueError at construction that names it."""
        with pytest.raises(ValueError, match=re.escape(repr(entry))):
            RequestLoggingMiddleware(responder(), skip=[entry])

    def test_non_string_entry_is_rejected(self) -> None:
        """A skip entry must be a string."""
        with pytest.raises(TypeError, match="42"):
            RequestLoggingMiddleware(responder(), skip=["/health", 42])  # type: ignore[list-item]


# --------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------


class TestErrors:
    async def test_unhandled_exception_one_line_and_reraised(self, out: Output) -> None:
        """One "Request failed" line with the exception fields; the exception goes on."""
        error = RuntimeError("Kling returned 502")

        async def broken(scope: Scope, receive: Any, send: Any) -> None:
            raise error

        with pytest.raises(RuntimeError) as raised:
            await call(
                RequestLoggingMiddleware(broken), http_scope("/api/v1/generate", method="POST")
            )

        _started, failed = out.events()
        assert raised.value is error
        assert [
            "timestamp",
            "level",
            "message",
            "logger",
            "request_id",
            "method",
            "path",
            "status",
            "latency_ms",
            "response_size",
            "error_type",
            "error_message",
            "exception",
        ] == list(failed)
        assert ("error", "Request failed", "POST", "/api/v1/generate", 500) == (
            failed["level"],
            failed["message"],
            failed["method"],
            failed["path"],
            failed["status"],
        )
        assert ("RuntimeError", "Kling returned 502") == (
            failed["error_type"],
            failed["error_message"],
        )
        assert failed["exception"].startswith("Traceback (most recent call last):")
        assert failed["exception"].endswith("RuntimeError: Kling returned 502")
        assert was_logged(error)

    async def test_starlette_answers_500_and_keeps_serving(self, out: Output) -> None:
        """Through Starlette: the client gets a 500, one error line is logged, serving goes on."""

        async def boom(request: Request) -> Response:
            raise KeyError("scene")

        async def ok(request: Request) -> Response:
            return PlainTextResponse("ok")

        app = Starlette(routes=[Route("/boom", boom), Route("/ok", ok)])
        app.add_middleware(RequestLoggingMiddleware)
        async with client_for(app, raise_app_exceptions=False) as client:
            failed = await client.get("/boom")
            fine = await client.get("/ok")

        assert (500, 200) == (failed.status_code, fine.status_code)
        errors = [e for e in out.events() if e["level"] == "error"]
        assert [("Request failed", "/boom", 500, "KeyError")] == [
            (e["message"], e["path"], e["status"], e["error_type"]) for e in errors
        ]
        assert ["Request started", "Request failed", "Request started", "Request completed"] == [
            e["message"] for e in requests_of(out)
        ]

    async def test_failure_mid_stream_keeps_the_sent_status(self, out: Output) -> None:
        """After the status line went out, the failure line reports it and the bytes sent."""

        async def app(scope: Scope, receive: Any, send: Any) -> None:
            await send({"type": "http.response.start", "status": 200, "headers": []})
            await send({"type": "http.response.body", "body": b"part", "more_body": True})
            raise ValueError("ffmpeg crashed")

        with pytest.raises(ValueError, match="ffmpeg"):
            await call(RequestLoggingMiddleware(app), http_scope())

        failed = out.events()[1]
        assert ("Request failed", 200, 4, "ValueError") == (
            failed["message"],
            failed["status"],
            failed["response_size"],
            failed["error_type"],
        )

    async def test_failure_after_the_response(self, out: Output) -> None:
        """A background task that raises after the response: one outcome line, then the error."""

        async def generate(request: Request) -> Response:
            async def explode() -> None:
                raise OSError("disk full")

            return PlainTextResponse("accepted", 202, background=BackgroundTask(explode))

        app = Starlette(routes=[Route("/generate", generate)])
        app.add_middleware(RequestLoggingMiddleware)
        async with client_for(app, raise_app_exceptions=False) as client:
            response = await client.get("/generate")

        assert 202 == response.status_code
        assert [
            ("info", "Request completed", 202),
            ("error", "Error after response", 202),
        ] == [(e["level"], e["message"], e["status"]) for e in requests_of(out)[1:]]

    async def test_cancelled_request(self, out: Output) -> None:
        """Cancellation is no failure: one warning, and the cancellation goes on."""

        async def app(scope: Scope, receive: Any, send: Any) -> None:
            raise asyncio.CancelledError

        with pytest.raises(asyncio.CancelledError):
            await call(RequestLoggingMiddleware(app), http_scope())

        cancelled = out.events()[1]
        assert ("warning", "Request cancelled", 500, "CancelledError") == (
            cancelled["level"],
            cancelled["message"],
            cancelled["status"],
            cancelled["error_type"],
        )
        assert "exception" not in cancelled

    async def test_server_record_of_the_same_exception_is_dropped(self, out: Output) -> None:
        """The server's own log record of the exception (uvicorn's) is not written again."""
        server_log = logging.getLogger("uvicorn.error")

        async def broken(scope: Scope, receive: Any, send: Any) -> None:
            raise RuntimeError("boom")

        try:
            await call(RequestLoggingMiddleware(broken), http_scope())
        except RuntimeError as exc:
            server_log.error("Exception in ASGI application\n", exc_info=exc)
        try:
            raise RuntimeError("a different one")
        except RuntimeError as exc:
            server_log.error("Exception in ASGI application\n", exc_info=exc)

        assert [
            ("Request failed", "boom"),
            ("Exception in ASGI application\n", "a different one"),
        ] == [(e["message"], e["error_message"]) for e in out.events() if e["level"] == "error"]


# --------------------------------------------------------------------------
# Client IP
# --------------------------------------------------------------------------

TRUSTED = ["10.0.0.0/8", "2001:db8::/32", "192.0.2.1"]


async def client_ip_of(
    scope: Scope,
    out: Output,
    *,
    trusted: Sequence[str] = TRUSTED,
    proxy_header: str = "x-forwarded-for",
) -> Any:
    app = RequestLoggingMiddleware(responder(), trusted_proxies=trusted, proxy_header=proxy_header)
    await call(app, scope)
    return out.events()[-2]["client_ip"]


class TestClientIP:
    async def test_socket_peer_by_default(self, out: Output) -> None:
        """Without trusted proxies, X-Forwarded-For is never believed."""
        app = RequestLoggingMiddleware(responder())

        await call(app, http_scope(headers=[("x-forwarded-for", "1.1.1.1")]))

        assert PEER == out.events()[0]["client_ip"]

    @pytest.mark.parametrize(
        ("peer", "xff", "expected"),
        [
            ("10.0.0.5", ["198.51.100.23"], "198.51.100.23"),
            # the client sent a forged entry; the proxy appended the real address
            ("10.0.0.5", ["6.6.6.6, 198.51.100.23"], "198.51.100.23"),
            ("10.0.0.5", ["6.6.6.6, 198.51.100.23, 10.1.2.3"], "198.51.100.23"),
            # several headers are one list, in order
            ("10.0.0.5", ["6.6.6.6", "198.51.100.23, 10.9.9.9"], "198.51.100.23"),
            # every hop is trusted: the left-most is the client
            ("10.0.0.5", ["10.7.7.7, 10.1.2.3"], "10.7.7.7"),
            # an entry that is not an address stops at the nearest proxy we can verify
            ("10.0.0.5", ["198.51.100.23, unknown"], "10.0.0.5"),
            ("10.0.0.5", ["198.51.100.23, unknown, 10.1.2.3"], "10.1.2.3"),
            ("10.0.0.5", ["6.6.6.6, , 10.1.2.3"], "10.1.2.3"),
            # ports and brackets
            ("10.0.0.5", ["198.51.100.23:4711"], "198.51.100.23"),
            ("10.0.0.5", ["[2001:db9::17]:4711"], "2001:db9::17"),
            ("10.0.0.5", ["2001:db9::17"], "2001:db9::17"),
            ("10.0.0.5", ["[2001:db9::17"], "10.0.0.5"),
            # IPv6 proxies and IPv4-mapped peers
            ("2001:db8::1", ["198.51.100.23"], "198.51.100.23"),
            ("::ffff:10.0.0.5", ["198.51.100.23"], "198.51.100.23"),
            ("192.0.2.1", ["198.51.100.23"], "198.51.100.23"),
            # no header: the (trusted) peer itself
            ("10.0.0.5", [], "10.0.0.5"),
            # an untrusted peer's header is ignored
            ("198.51.100.99", ["1.2.3.4"], "198.51.100.99"),
            ("192.0.2.2", ["1.2.3.4"], "192.0.2.2"),
            ("testclient", ["1.2.3.4"], "testclient"),
        ],
    )
    async def test_x_forwarded_for(
        self, out: Output, peer: str, xff: list[str], expected: str
    ) -> None:
        """X-Forwarded-For is read right to left, only from a trusted peer."""
        scope = http_scope(client=(peer, 443), headers=[("x-forwarded-for", v) for v in xff])

        assert expected == await client_ip_of(scope, out)

    @pytest.mark.parametrize(
        ("forwarded", "expected"),
        [
            ("for=198.51.100.23;proto=https;by=10.0.0.5", "198.51.100.23"),
            ('for=6.6.6.6, For="198.51.100.23:8080"', "198.51.100.23"),
            ('for="[2001:db9::17]:4711", for=10.1.2.3', "2001:db9::17"),
            ("for=198.51.100.23, proto=https", "10.0.0.5"),
            ("for=_hidden, for=10.1.2.3", "10.1.2.3"),
        ],
    )
    async def test_forwarded(self, out: Output, forwarded: str, expected: str) -> None:
        """RFC 7239 Forwarded is read the same way when it is the configured header."""
        scope = http_scope(
            client=("10.0.0.5", 443),
            headers=[("forwarded", forwarded), ("x-forwarded-for", "9.9.9.9")],
        )

        assert expected == await client_ip_of(scope, out, proxy_header="Forwarded")

    async def test_only_the_configured_header_counts(self, out: Output) -> None:
        """With X-Forwarded-For configured, a Forwarded header (forgeable) is ignored."""
        scope = http_scope(
            client=("10.0.0.5", 443),
            headers=[("forwarded", "for=6.6.6.6"), ("x-forwarded-for", "198.51.100.23")],
        )

        assert "198.51.100.23" == await client_ip_of(scope, out)

    async def test_spoofing_through_httpx(self, out: Output) -> None:
        """Through a real client: a forged X-Forwarded-For counts only behind a trusted proxy."""
        forged = {"x-forwarded-for": "6.6.6.6, 198.51.100.23"}
        direct = RequestLoggingMiddleware(responder(), trusted_proxies=["10.0.0.0/8"])
        async with client_for(direct) as client:
            await client.get("/", headers=forged)
        transport = httpx.ASGITransport(app=direct, client=("10.0.0.5", 443))
        async with httpx.AsyncClient(transport=transport, base_url="http://lb") as client:
            await client.get("/", headers=forged)

        assert [PEER, "198.51.100.23"] == [
            e["client_ip"] for e in requests_of(out) if e["message"] == "Request started"
        ]

    @pytest.mark.parametrize("client", [None, (), ["10.0.0.5"], 42, (b"10.0.0.5", 1)])
    async def test_missing_or_odd_peer(self, out: Output, client: Any) -> None:
        """No peer (a Unix socket) or a malformed one gives client_ip None, never an error."""
        assert (None if client != ["10.0.0.5"] else "10.0.0.5") == await client_ip_of(
            http_scope(client=client), out
        )

    @given(
        forged=st.lists(st.ip_addresses().map(str), max_size=4),
        client=st.ip_addresses(v=4).filter(lambda a: not a.is_private).map(str),
        hops=st.lists(st.ip_addresses(network="10.0.0.0/8").map(str), max_size=3),
    )
    @settings(max_examples=200, deadline=None)
    def test_forged_entries_never_win(
        self, forged: list[str], client: str, hops: list[str]
    ) -> None:
        """Whatever a client puts in front, client_ip is the address the first proxy saw."""
        middleware = RequestLoggingMiddleware(responder(), trusted_proxies=["10.0.0.0/8"])
        scope = http_scope(
            client=("10.0.0.1", 443),
            headers=[("x-forwarded-for", ", ".join([*forged, client, *hops]))],
        )

        assert client == middleware.client_ip(scope)

    @pytest.mark.parametrize(
        "cidr", ["10.0.0.0/33", "10.0.0.1/8", "nonsense", "*", "", "300.1.1.1", "::g"]
    )
    def test_invalid_cidr_is_rejected(self, cidr: str) -> None:
        """An invalid network is a ValueError at construction that names it."""
        with pytest.raises(ValueError, match=re.escape(repr(cidr))):
            RequestLoggingMiddleware(responder(), trusted_proxies=["10.0.0.0/8", cidr])

    def test_non_string_cidr_is_rejected(self) -> None:
        """A trusted proxy must be a string (or an ipaddress network)."""
        with pytest.raises(TypeError, match="167772160"):
            RequestLoggingMiddleware(responder(), trusted_proxies=[167772160])  # type: ignore[list-item]

    def test_network_objects_are_accepted(self) -> None:
        """ipaddress networks work as well as strings."""
        middleware = RequestLoggingMiddleware(
            responder(),
            trusted_proxies=[ipaddress.ip_network("10.0.0.0/8")],  # type: ignore[list-item]
        )
        scope = http_scope(client=("10.0.0.1", 1), headers=[("x-forwarded-for", "8.8.8.8")])

        assert "8.8.8.8" == middleware.client_ip(scope)


# --------------------------------------------------------------------------
# Hostile input
# --------------------------------------------------------------------------

FORGERY = '\n{"level":"info","message":"Request completed","status":200}\r\u2028\u2029\x85\x1b[31m'


class TestBadInput:
    @pytest.mark.parametrize("renderer", ["json", "console"])
    async def test_control_characters_cannot_forge_lines(
        self, configured: Callable[..., Output], renderer: str
    ) -> None:
        """Line breaks and escapes in the path and headers stay inside their line."""
        out = configured(renderer=renderer, level="info")
        app = RequestLoggingMiddleware(responder(), headers=["user-agent"])
        scope = http_scope(f"/jobs/{FORGERY}", headers=[("user-agent", FORGERY.encode())])

        await call(app, scope)

        lines = out.getvalue().split("\n")
        assert ["", ""] == [lines[2], "".join(lines[3:])]
        assert 2 == len(out.getvalue().splitlines())
        if renderer == "json":
            started = json.loads(lines[0])
            assert (f"/jobs/{FORGERY}", FORGERY) == (started["path"], started["user_agent"])
        assert "\x1b" not in out.getvalue()

    async def test_encoded_line_breaks_through_httpx(self, out: Output) -> None:
        """A percent-encoded newline decodes into the path and still cannot start a line."""
        app = RequestLoggingMiddleware(responder())
        async with client_for(app) as client:
            await client.get("/jobs/%0A%7B%22level%22:%22error%22%7D%E2%80%A8x")

        assert ['/jobs/\n{"level":"error"}\u2028x'] * 2 == [e["path"] for e in requests_of(out)]
        assert 2 == sum(1 for line in out.lines() if '"logger":"joblog.asgi"' in line)

    async def test_invalid_utf8_is_logged_safely(self, out: Output) -> None:
        """Undecodable path and header bytes are logged as escapes in valid JSON."""
        app = RequestLoggingMiddleware(responder(), headers=["user-agent", "referer"])
        scope = http_scope(
            "/files/\udcff\udcfe",
            raw_path=b"/files/\xff\xfe",
            headers=[("user-agent", b"bot\xff\xfe/1"), ("referer", b"\xc3\xa9t\xc3\xa9")],
        )

        await call(app, scope)

        started = out.events()[0]
        assert ("/files/\\udcff\\udcfe", "bot\\xff\\xfe/1", "été") == (
            started["path"],
            started["user_agent"],
            started["referer"],
        )

    async def test_client_disconnect_mid_stream(self, out: Output) -> None:
        """A client that goes away mid-stream: what was sent is logged, nothing raises."""

        async def endless(request: Request) -> StreamingResponse:
            async def frames() -> AsyncIterator[bytes]:
                while True:
                    yield b"frame-"
                    await anyio.sleep(0)

            return StreamingResponse(frames())

        app = Starlette(routes=[Route("/events", endless)])
        app.add_middleware(RequestLoggingMiddleware)

        sent = await call(app, http_scope("/events"), disconnect_after=3)

        completed = requests_of(out)[-1]
        bodies = [m for m in sent if m["type"] == "http.response.body"]
        assert ("Request completed", 200, False) == (
            completed["message"],
            completed["status"],
            completed["response_complete"],
        )
        assert sum(len(m["body"]) for m in bodies) == completed["response_size"] >= 18

    async def test_client_disconnect_reported_by_send(self, out: Output) -> None:
        """ASGI 2.4 (send raises OSError): logged as incomplete, not as a failure."""

        async def stream(request: Request) -> StreamingResponse:
            async def frames() -> AsyncIterator[bytes]:
                for _ in range(10):
                    yield b"frame-"

            return StreamingResponse(frames())

        app = Starlette(routes=[Route("/events", stream)])
        app.add_middleware(RequestLoggingMiddleware)
        scope = http_scope("/events", asgi={"version": "3.0", "spec_version": "2.4"})

        with pytest.raises(ClientDisconnect) as raised:
            await call(app, scope, fail_after=2)

        completed = requests_of(out)[-1]
        assert ("info", "Request completed", 200, 12, False) == (
            completed["level"],
            completed["message"],
            completed["status"],
            completed["response_size"],
            completed["response_complete"],
        )
        assert [] == [e for e in out.events() if e["level"] == "error"]
        assert was_logged(raised.value)


# --------------------------------------------------------------------------
# Websocket and lifespan; request context
# --------------------------------------------------------------------------


class TestPassThrough:
    @pytest.mark.parametrize("kind", ["websocket", "lifespan"])
    async def test_other_scopes_pass_untouched(self, out: Output, kind: str) -> None:
        """Non-HTTP scopes reach the app with the very same scope, receive and send."""
        seen: list[Any] = []

        async def app(scope: Scope, receive: Any, send: Any) -> None:
            seen.extend([scope, receive, send])

        async def receive() -> Message:
            return {"type": f"{kind}.connect"}

        async def send(message: Message) -> None:
            pass

        scope = {"type": kind, "asgi": {"version": "3.0"}}
        await RequestLoggingMiddleware(app)(scope, receive, send)

        assert [scope, receive, send] == seen
        assert seen[1] is receive
        assert seen[2] is send
        assert "" == out.getvalue()

    async def test_starlette_websocket_and_lifespan(self, out: Output) -> None:
        """A websocket route and a lifespan handler work; only HTTP requests are logged."""
        events: list[str] = []

        @asynccontextmanager
        async def lifespan(app: Starlette) -> AsyncIterator[None]:
            events.append("startup")
            yield
            events.append("shutdown")

        async def echo(websocket: WebSocket) -> None:
            await websocket.accept()
            await websocket.send_text(await websocket.receive_text())
            await websocket.close()

        async def home(request: Request) -> Response:
            return PlainTextResponse("home")

        app = Starlette(routes=[Route("/", home), WebSocketRoute("/ws", echo)], lifespan=lifespan)
        app.add_middleware(RequestLoggingMiddleware)

        lifespan_sent = await converse(
            app,
            {"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}},
            [{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}],
        )
        websocket_sent = await converse(
            app,
            http_scope("/ws", type="websocket", subprotocols=[]),
            [
                {"type": "websocket.connect"},
                {"type": "websocket.receive", "text": "scene 1 ready"},
                {"type": "websocket.disconnect", "code": 1000},
            ],
        )
        page = await call(app, http_scope("/"))

        assert ["startup", "shutdown"] == events
        assert ["lifespan.startup.complete", "lifespan.shutdown.complete"] == [
            m["type"] for m in lifespan_sent
        ]
        assert [
            ("websocket.accept", None),
            ("websocket.send", "scene 1 ready"),
            ("websocket.close", None),
        ] == [(m["type"], m.get("text")) for m in websocket_sent]
        assert b"home" == page[1]["body"]
        assert [("Request started", "/"), ("Request completed", "/")] == [
            (e["message"], e["path"]) for e in out.events()
        ]


class TestRequestContext:
    async def test_context_bound_in_the_app_stays_in_its_request(self, out: Output) -> None:
        """What a handler binds is on its "Request completed" line and gone afterwards."""
        log = joblog.get_logger("app")

        async def first(scope: Scope, receive: Any, send: Any) -> None:
            structlog.contextvars.bind_contextvars(user_id="user-xyz")
            joblog.bind(job_id="job-abc123").__enter__()  # never exited: a leak, on purpose
            log.info("Handling")
            await responder()(scope, receive, send)

        app = RequestLoggingMiddleware(first)
        await call(app, http_scope("/first"))
        await call(RequestLoggingMiddleware(responder()), http_scope("/second"))

        lines = out.events()
        assert [
            ("Request started", None, None),
            ("Handling", "user-xyz", "job-abc123"),
            ("Request completed", "user-xyz", "job-abc123"),
            ("Request started", None, None),
            ("Request completed", None, None),
        ] == [(e["message"], e.get("user_id"), e.get("job_id")) for e in lines]
        assert ({}, None) == (structlog.contextvars.get_contextvars(), joblog.current_job_id())

    async def test_outer_bindings_are_kept(self, out: Output) -> None:
        """Context bound outside the middleware is on its lines and still bound after."""

        async def rebinding(scope: Scope, receive: Any, send: Any) -> None:
            structlog.contextvars.bind_contextvars(datacenter="us-west-2")
            await responder()(scope, receive, send)

        structlog.contextvars.bind_contextvars(datacenter="eu-west-1")
        with joblog.bind_job("job-outer") as job_id:
            await call(RequestLoggingMiddleware(rebinding), http_scope())
            after = (joblog.current_job_id(), structlog.contextvars.get_contextvars())

        assert (job_id, {"datacenter": "eu-west-1"}) == after
        assert [("job-outer", "eu-west-1"), ("job-outer", "us-west-2")] == [
            (e["job_id"], e["datacenter"]) for e in out.events()
        ]

    async def test_httpx_requests_do_not_leak_into_each_other(self, out: Output) -> None:
        """Through httpx.ASGITransport (one task), a binding never reaches the next request."""

        async def generate(request: Request) -> Response:
            structlog.contextvars.bind_contextvars(job_id="job-abc123")
            return PlainTextResponse("accepted", 202)

        async def health(request: Request) -> Response:
            joblog.get_logger("app").info("Health probed")
            return PlainTextResponse("ok")

        app = Starlette(routes=[Route("/generate", generate), Route("/health", health)])
        app.add_middleware(RequestLoggingMiddleware)
        async with client_for(app) as client:
            await client.get("/generate")
            await client.get("/health")

        assert [
            ("/generate", None),
            ("/generate", "job-abc123"),
            ("/health", None),
            (None, None),
            ("/health", None),
        ] == [(e.get("path"), e.get("job_id")) for e in out.events() if e["logger"] != "httpx"]


# --------------------------------------------------------------------------
# FastAPI
# --------------------------------------------------------------------------


def fastapi_app() -> FastAPI:
    app = FastAPI()
    log = joblog.get_logger("app.generate")

    @app.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/api/v1/jobs/{job_id}")
    async def job_status(job_id: str) -> dict[str, str]:
        return {"job_id": job_id, "status": "processing"}

    @app.post("/api/v1/generate", status_code=202)
    async def generate(background: BackgroundTasks) -> dict[str, str]:
        with joblog.bind_job(user_id="user-xyz") as job_id:
            log.info("Starting fully async generation")
        background.add_task(log.info, "Video generation complete")
        return {"job_id": job_id}

    @app.get("/api/v1/crash")
    async def crash() -> None:
        raise RuntimeError("Minimax timed out")

    app.add_middleware(RequestLoggingMiddleware, skip=["GET /health", "GET /api/v1/jobs/{job_id}"])
    return app


class TestFastAPI:
    async def test_fastapi_app(self, out: Output) -> None:
        """Skips, job lines, background tasks and a crash in a FastAPI app."""
        async with client_for(fastapi_app(), raise_app_exceptions=False) as client:
            assert 200 == (await client.get("/health")).status_code
            assert 200 == (await client.get("/api/v1/jobs/job-42")).status_code
            job_id = (await client.post("/api/v1/generate")).json()["job_id"]
            assert 500 == (await client.get("/api/v1/crash")).status_code
            assert 200 == (await client.get("/health")).status_code

        lines = [
            (e["level"], e["message"], e.get("path"), e.get("status"), e.get("job_id"))
            for e in out.events()
            if e["logger"] != "httpx"
        ]
        assert [
            ("info", "Request started", "/api/v1/generate", None, None),
            ("info", "Starting fully async generation", None, None, job_id),
            ("info", "Request completed", "/api/v1/generate", 202, job_id),  # the job it started
            ("info", "Video generation complete", None, None, None),
            ("info", "Request started", "/api/v1/crash", None, None),
            ("error", "Request failed", "/api/v1/crash", 500, None),
        ] == lines


# --------------------------------------------------------------------------
# Authentication failures
# --------------------------------------------------------------------------

SECRET = "test-signing-key-of-at-least-32-bytes!"
EXPIRED = jwt.encode({"sub": "user-xyz", "exp": 1}, SECRET, algorithm="HS256")
VALID = jwt.encode({"sub": "user-xyz", "exp": 4_102_444_800}, SECRET, algorithm="HS256")


def current_user(authorization: str | None = Header(default=None)) -> str:
    """A FastAPI dependency as docs/middleware.md shows it."""
    if authorization is None or not authorization.startswith("Bearer "):
        joblog.log_auth_failure("missing_authorization")
        raise HTTPException(401, "missing bearer token")
    try:
        claims = jwt.decode(authorization.removeprefix("Bearer "), SECRET, algorithms=["HS256"])
    except jwt.ExpiredSignatureError:
        joblog.log_auth_failure("expired_token")
        raise HTTPException(401, "token expired") from None
    except jwt.InvalidTokenError:
        joblog.log_auth_failure("invalid_token")
        raise HTTPException(401, "invalid token") from None
    return str(claims["sub"])


class TestLogAuthFailure:
    def test_one_warning_line(self, out: Output) -> None:
        """Outside a request: one warning line with the reason and the given fields."""
        log_auth_failure("verification_failed", user_id="user-xyz")

        (line,) = out.events()
        assert {
            "timestamp": line["timestamp"],
            "level": "warning",
            "message": "Authentication failed",
            "logger": "joblog.auth",
            "reason": "verification_failed",
            "user_id": "user-xyz",
        } == line

    async def test_fastapi_dependency(self, out: Output) -> None:
        """Failures are logged with the request's method, path and client; success is silent."""
        app = FastAPI()

        @app.get("/api/v1/videos")
        async def videos(user: str = Depends(current_user)) -> dict[str, str]:
            return {"user": user}

        app.add_middleware(
            RequestLoggingMiddleware, trusted_proxies=["10.0.0.0/8"], log_start=False
        )
        transport = httpx.ASGITransport(app=app, client=("10.0.0.5", 443))
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            forwarded = {"x-forwarded-for": "198.51.100.23"}
            statuses = [
                (await client.get("/api/v1/videos", headers=forwarded)).status_code,
                (
                    await client.get(
                        "/api/v1/videos",
                        headers={**forwarded, "authorization": f"Bearer {EXPIRED}"},
                    )
                ).status_code,
                (
                    await client.get(
                        "/api/v1/videos", headers={**forwarded, "authorization": "Bearer garbage"}
                    )
                ).status_code,
                (
                    await client.get(
                        "/api/v1/videos", headers={**forwarded, "authorization": f"Bearer {VALID}"}
                    )
                ).status_code,
            ]

        assert [401, 401, 401, 200] == statuses
        failures = [e for e in out.events() if e["message"] == "Authentication failed"]
        assert [
            ("missing_authorization", "GET", "/api/v1/videos", "198.51.100.23"),
            ("expired_token", "GET", "/api/v1/videos", "198.51.100.23"),
            ("invalid_token", "GET", "/api/v1/videos", "198.51.100.23"),
        ] == [(e["reason"], e["method"], e["path"], e["client_ip"]) for e in failures]
        assert EXPIRED not in out.getvalue()
        assert VALID not in out.getvalue()

    async def test_pure_asgi_auth_middleware(self, out: Output) -> None:
        """An auth middleware inside the request middleware reports failures the same way."""

        def require_api_key(app: Any) -> Any:
            async def middleware(scope: Scope, receive: Any, send: Any) -> None:
                if scope["type"] == "http" and (b"x-api-key", b"k-123") not in scope["headers"]:
                    joblog.log_auth_failure("verification_failed", scheme="api_key")
                    await PlainTextResponse("unauthorized", 401)(scope, receive, send)
                    return
                await app(scope, receive, send)

            return middleware

        app = RequestLoggingMiddleware(require_api_key(responder()), log_start=False)
        await call(app, http_scope("/api/v1/generate", headers=[("x-api-key", "wrong")]))
        await call(app, http_scope("/api/v1/generate", headers=[("x-api-key", "k-123")]))

        assert [
            ("warning", "Authentication failed", "verification_failed", "api_key"),
            ("info", "Request completed", None, None),
            ("info", "Request completed", None, None),
        ] == [(e["level"], e["message"], e.get("reason"), e.get("scheme")) for e in out.events()]
        assert "wrong" not in out.getvalue()

    async def test_explicit_fields_win(self, out: Output) -> None:
        """Fields given by the caller replace the ones taken from the request."""

        async def app(scope: Scope, receive: Any, send: Any) -> None:
            log_auth_failure("invalid_token", path="/login", client_ip="192.0.2.9")
            await responder(401)(scope, receive, send)

        await call(RequestLoggingMiddleware(app, log_start=False), http_scope("/api/v1/x"))

        failure = out.events()[0]
        assert ("GET", "/login", "192.0.2.9") == (
            failure["method"],
            failure["path"],
            failure["client_ip"],
        )

    @pytest.mark.parametrize(
        ("field", "value"),
        [
            ("token", "abc.def"),
            ("access_token", "opaque-value"),
            ("Authorization", "whatever"),
            ("api-key", "k-123"),
            ("jwt", "jwt-value-1"),
            ("session_id", "sess-4242"),
            ("header", "Bearer abcdefgh12345678"),
            ("detail", "basic dXNlcjpwYXNz"),
            ("received", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1In0.c2ln"),
        ],
    )
    def test_credentials_are_never_logged(self, out: Output, field: str, value: str) -> None:
        """A credential-named or credential-shaped field is replaced, even with redaction off."""
        joblog.configure(stream=out, renderer="json", redact=False)

        log_auth_failure("invalid_token", **{field: value}, user_id="user-xyz")

        line = out.events()[0]
        assert "[REDACTED]" in line[field]
        assert "user-xyz" == line["user_id"]
        assert value.split()[-1] not in out.getvalue()

    def test_a_token_passed_as_the_reason_is_not_logged(self, out: Output) -> None:
        """Even a token passed by mistake as the reason is not written."""
        log_auth_failure(VALID)

        assert "[REDACTED]" == out.events()[0]["reason"]
        assert VALID not in out.getvalue()
