"""
RequestLoggingMiddleware under a real uvicorn server on 127.0.0.1, with a real HTTP client.

uvicorn logs an unhandled exception itself ("Exception in ASGI application"
on ``uvicorn.error``, the same exception object the middleware logged), so
these tests check, against the server and not a stand-in, that each failure
is logged exactly once, that skipped endpoints stay silent and that uvicorn's
access log does not repeat the middleware's.
"""

from __future__ import annotations

import json
import logging
import socket
import textwrap
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import structlog
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

import joblog
from joblog.stdlib import JoblogHandler

from .conftest import Output
from .uvicorn_process import uvicorn_process

UVICORN_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access", "uvicorn.asgi")


@pytest.fixture(autouse=True)
def _restore_uvicorn_loggers() -> Iterator[None]:
    """uvicorn's dictConfig changes global loggers: put them back as they were."""
    saved = {}
    for name in UVICORN_LOGGERS:
        logger = logging.getLogger(name)
        saved[name] = (list(logger.handlers), logger.propagate, logger.level, logger.disabled)
    yield
    for name, (handlers, propagate, level, disabled) in saved.items():
        logger = logging.getLogger(name)
        logger.handlers[:] = handlers
        logger.propagate, logger.level, logger.disabled = propagate, level, disabled


def service() -> Starlette:
    """A small service: a health check, a polled job status, a crash, a normal endpoint."""

    async def health(request: Request) -> Response:
        return PlainTextResponse("ok")

    async def job_status(request: Request) -> Response:
        return PlainTextResponse("processing")

    async def crash(request: Request) -> Response:
        raise RuntimeError("Kling returned 502")

    async def generate(request: Request) -> Response:
        return PlainTextResponse("accepted", 202)

    app = Starlette(
        routes=[
            Route("/health", health),
            Route("/api/v1/jobs/{job_id}", job_status),
            Route("/api/v1/crash", crash),
            Route("/api/v1/generate", generate, methods=["POST"]),
        ]
    )
    app.add_middleware(
        joblog.RequestLoggingMiddleware, skip=["GET /health", "GET /api/v1/jobs/{job_id}"]
    )
    return app


@contextmanager
def serving(config: uvicorn.Config) -> Iterator[str]:
    """Run a uvicorn server in a thread on a free 127.0.0.1 port; stop and join it after."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="uvicorn")
    thread.start()
    try:
        deadline = time.monotonic() + 15
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.01)
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(15)
        sock.close()
    assert not thread.is_alive()


def exercise(url: str) -> list[int]:
    """The traffic of the tests: health checks, polling, a crash, and the server going on."""
    # uvicorn closes the connection after an unhandled exception: a fresh
    # connection per request shows the server itself goes on serving.
    no_keepalive = httpx.Limits(max_keepalive_connections=0)
    with httpx.Client(base_url=url, timeout=10, limits=no_keepalive) as client:
        return [
            client.get("/health").status_code,
            client.get("/api/v1/jobs/job-42").status_code,
            client.get("/api/v1/crash").status_code,
            client.post("/api/v1/generate").status_code,
            client.get("/health").status_code,
        ]


def check_lines(events: list[dict[str, Any]]) -> None:
    """What every setup must produce: one error line, silent skips, no access log."""
    errors = [e for e in events if e["level"] in ("error", "critical")]
    assert [("Request failed", "joblog.asgi", "/api/v1/crash", 500, "RuntimeError")] == [
        (e["message"], e["logger"], e.get("path"), e.get("status"), e["error_type"]) for e in errors
    ]
    assert errors[0]["exception"].endswith("RuntimeError: Kling returned 502")
    requests = [(e["message"], e["path"]) for e in events if e["logger"] == "joblog.asgi"]
    assert [
        ("Request started", "/api/v1/crash"),
        ("Request failed", "/api/v1/crash"),
        ("Request started", "/api/v1/generate"),
        ("Request completed", "/api/v1/generate"),
    ] == requests
    assert [] == [e for e in events if e["logger"] == "uvicorn.access"]
    assert [] == [e for e in events if "Exception in ASGI application" in e["message"]]
    assert "Application startup complete." in [
        e["message"] for e in events if e["logger"] == "uvicorn.error"
    ]


class TestUvicorn:
    def test_log_config_none(self, configured: Callable[..., Output]) -> None:
        """configure() first, then uvicorn with log_config=None: each failure logged once."""
        out = configured(level="info")
        config = uvicorn.Config(service(), http="h11", ws="none", log_config=None)

        with serving(config) as url:
            statuses = exercise(url)

        assert [200, 200, 500, 202, 200] == statuses
        check_lines(out.events())

    def test_default_log_config_then_configure_at_import(
        self, configured: Callable[..., Output]
    ) -> None:
        """uvicorn's own log config, then configure() as the app module is imported."""
        config = uvicorn.Config(service(), http="h11", ws="none")  # runs uvicorn's dictConfig
        out = configured(level="info")  # what `joblog.configure()` in the app module does

        with serving(config) as url:
            statuses = exercise(url)

        assert [200, 200, 500, 202, 200] == statuses
        check_lines(out.events())
        assert all(logging.getLogger(n).propagate for n in ("uvicorn", "uvicorn.error"))

    def test_log_config_file_with_joblog_handler(self, configured: Callable[..., Output]) -> None:
        """A --log-config whose root handler is JoblogHandler keeps failures to one line."""
        log_config = {
            "version": 1,
            "disable_existing_loggers": False,
            "handlers": {"joblog": {"class": "joblog.stdlib.JoblogHandler"}},
            "root": {"handlers": ["joblog"], "level": "INFO"},
            "loggers": {"uvicorn.access": {"level": "WARNING"}},
        }
        config = uvicorn.Config(service(), http="h11", ws="none", log_config=log_config)
        out = configured(level="info")

        with serving(config) as url:
            statuses = exercise(url)

        assert [200, 200, 500, 202, 200] == statuses
        check_lines(out.events())
        assert 1 == sum(isinstance(h, JoblogHandler) for h in logging.getLogger().handlers)


APP_MODULE = """
import joblog
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route

joblog.configure()  # JSON on stdout (not a TTY); uvicorn's loggers are adopted


async def health(request):
    return PlainTextResponse("ok")


async def job_status(request):
    return PlainTextResponse("processing")


async def crash(request):
    raise RuntimeError("Kling returned 502")


async def generate(request):
    return PlainTextResponse("accepted", 202)


app = Starlette(routes=[
    Route("/health", health),
    Route("/api/v1/jobs/{job_id}", job_status),
    Route("/api/v1/crash", crash),
    Route("/api/v1/generate", generate, methods=["POST"]),
])
app.add_middleware(
    joblog.RequestLoggingMiddleware, skip=["GET /health", "GET /api/v1/jobs/{job_id}"]
)
"""


def test_uvicorn_command_line(tmp_path: Path) -> None:
    """`uvicorn service:app` with configure() in the module: every line JSON, one error line."""
    (tmp_path / "service.py").write_text(textwrap.dedent(APP_MODULE))
    args = ("service:app", "--app-dir", str(tmp_path), "--http", "h11", "--ws", "none")
    with uvicorn_process(tmp_path, *args) as served:
        statuses = exercise(served.url)
    output = served.output

    assert [200, 200, 500, 202, 200] == statuses
    events = [json.loads(line) for line in output]  # every line is JSON
    check_lines(events)
    assert "Finished server process" in " ".join(e["message"] for e in events)


class Upload:
    """An ASGI endpoint that answers inside its job, as a streaming job endpoint does."""

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        request = Request(scope, receive)
        with joblog.bind_job(user_id="user-xyz"):
            # bound the structlog way: for the rest of the request, never unbound
            structlog.contextvars.bind_contextvars(tenant="acme")
            body = await request.body()  # > 64 KiB: uvicorn pauses and resumes reading
            joblog.get_logger("app").info("Upload received", size=len(body))
            response = PlainTextResponse(str(request.client.port if request.client else None))
            await response(scope, receive, send)


def keepalive_service() -> Starlette:
    """An upload that binds a job and context while reading a large body, and a ping."""

    async def ping(request: Request) -> Response:
        joblog.get_logger("app").info("Ping")
        logging.getLogger("app.stdlib").info("Ping from logging")
        return PlainTextResponse(str(request.client.port if request.client else None))

    async def quiet(request: Request) -> Response:
        joblog.get_logger("app").info("Ping")
        return PlainTextResponse(str(request.client.port if request.client else None), 503)

    routes = [Route("/upload", Upload(), methods=["POST"]), Route("/ping", ping)]
    app = Starlette(routes=[*routes, Route("/quiet", quiet)])
    app.add_middleware(joblog.RequestLoggingMiddleware, skip=["GET /quiet"])
    return app


class TestKeepAlive:
    def test_no_context_reaches_the_next_request_on_a_connection(
        self, configured: Callable[..., Output]
    ) -> None:
        """A job bound while a 100 kB body was read is never seen by later requests."""
        out = configured(level="info")
        config = uvicorn.Config(
            keepalive_service(), http="h11", loop="asyncio", ws="none", log_config=None
        )

        with serving(config) as url, httpx.Client(base_url=url, timeout=10) as client:
            ports = [client.post("/upload", content=b"x" * 100_000).text]
            ports += [client.get("/ping").text for _ in range(3)]
            ports.append(client.get("/quiet").text)  # skipped, but logged: a 503

        assert 1 == len(set(ports)), "the requests did not share one connection"
        events = [e for e in out.events() if e["logger"] in ("app", "app.stdlib", "joblog.asgi")]
        (received,) = [e for e in events if e["message"] == "Upload received"]
        assert ("user-xyz", "acme") == (received["user_id"], received["tenant"])
        pings = [
            e for e in events if e.get("path") in ("/ping", "/quiet") or "Ping" in e["message"]
        ]
        assert 3 * 4 + 2 == len(pings)
        assert [] == [e for e in pings if "job_id" in e or "user_id" in e or "tenant" in e]
