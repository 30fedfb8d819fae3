"""Request ids in RequestLoggingMiddleware: taken, generated, bound and sent back."""

from __future__ import annotations

import asyncio
import logging
import re
import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

import joblog
from joblog.asgi import RequestLoggingMiddleware

from .conftest import Output
from .test_asgi_uvicorn import serving

pytestmark = pytest.mark.anyio
HEX_ID = re.compile(r"^[0-9a-f]{32}$")


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def out(configured: Callable[..., Output]) -> Output:
    return configured(level="info")


def starlette_app(**options: Any) -> Starlette:
    async def generate(request: Request) -> Response:
        joblog.get_logger("app").info("Generating")
        logging.getLogger("app.stdlib").info("From logging")
        joblog.log_auth_failure("expired_token")
        return PlainTextResponse("accepted", 202)

    async def own_header(request: Request) -> Response:
        return PlainTextResponse("ok", headers={"X-Request-ID": "set-by-the-app"})

    app = Starlette(routes=[Route("/generate", generate), Route("/own", own_header)])
    app.add_middleware(RequestLoggingMiddleware, **options)
    return app


def client(app: Any) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://api")


def ours(out: Output) -> list[dict[str, Any]]:
    return [e for e in out.events() if e["logger"] != "httpx"]


class TestRequestIds:
    async def test_incoming_id_is_on_every_line_and_sent_back(self, out: Output) -> None:
        """A well-formed id is taken: on every line of the request and in the response."""
        async with client(starlette_app()) as c:
            response = await c.get("/generate", headers={"X-Request-ID": "req-7f3a:01.b_c"})

        assert "req-7f3a:01.b_c" == response.headers["x-request-id"]
        lines = ours(out)
        assert [
            "Request started",
            "Generating",
            "From logging",
            "Authentication failed",
            "Request completed",
        ] == [e["message"] for e in lines]
        assert ["req-7f3a:01.b_c"] * 5 == [e["request_id"] for e in lines]

    async def test_missing_id_is_generated(self, out: Output) -> None:
        """Without the header, a new uuid4 hex id is made, logged and sent back."""
        async with client(starlette_app()) as c:
            first = await c.get("/generate")
            second = await c.get("/generate")

        ids = [r.headers["x-request-id"] for r in (first, second)]
        assert all(HEX_ID.match(i) for i in ids)
        assert [4, 4] == [uuid.UUID(hex=i).version for i in ids]
        assert [uuid.RFC_4122] * 2 == [uuid.UUID(hex=i).variant for i in ids]
        assert ids[0] != ids[1]
        assert {ids[0]} == {e["request_id"] for e in ours(out)[:5]}

    @pytest.mark.parametrize(
        "bad", ["x" * 129, "req\\nforged", "<script>", "id with space", "req%0a", "ü"]
    )
    async def test_invalid_id_is_replaced_never_logged(self, out: Output, bad: str) -> None:
        """An id of the wrong shape is replaced; the line says so with its length only."""
        async with client(starlette_app()) as c:
            response = await c.get("/generate", headers={"X-Request-ID": bad.encode()})

        new_id = response.headers["x-request-id"]
        assert HEX_ID.match(new_id)
        replaced, *rest = ours(out)
        assert ("warning", "Request id replaced", len(bad.encode()), new_id) == (
            replaced["level"],
            replaced["message"],
            replaced["length"],
            replaced["request_id"],
        )
        assert {new_id} == {e["request_id"] for e in rest}
        assert bad not in out.getvalue()

    async def test_the_apps_own_header_is_kept(self, out: Output) -> None:
        """A response that already carries the header is sent as the app made it."""
        async with client(starlette_app()) as c:
            response = await c.get("/own", headers={"X-Request-ID": "req-1"})

        assert ["set-by-the-app"] == response.headers.get_list("x-request-id")

    async def test_a_response_sent_twice_gets_each_requests_id(self, out: Output) -> None:
        """The app's headers list is copied, not extended: a reused response stays clean."""
        cached = PlainTextResponse("ok")

        async def reused(request: Request) -> Response:
            return cached

        app = Starlette(routes=[Route("/cached", reused)])
        app.add_middleware(RequestLoggingMiddleware)
        async with client(app) as c:
            first = await c.get("/cached", headers={"X-Request-ID": "req-1"})
            second = await c.get("/cached", headers={"X-Request-ID": "req-2"})

        assert ["req-1"] == first.headers.get_list("x-request-id")
        assert ["req-2"] == second.headers.get_list("x-request-id")
        assert b"x-request-id" not in {name for name, _ in cached.raw_headers}

    async def test_other_header_name_and_off(self, out: Output) -> None:
        """`request_id_header` names the header; None turns request ids off."""
        async with client(starlette_app(request_id_header="X-Correlation-ID")) as c:
            named = await c.get("/generate", headers={"X-Correlation-ID": "corr-9"})
        async with client(starlette_app(request_id_header=None)) as c:
            off = await c.get("/generate", headers={"X-Request-ID": "req-1"})

        assert "corr-9" == named.headers["x-correlation-id"]
        assert "x-request-id" not in off.headers
        lines = ours(out)
        assert ["corr-9"] * 5 == [e.get("request_id") for e in lines[:5]]
        assert [None] * 5 == [e.get("request_id") for e in lines[5:]]

    async def test_skipped_requests_carry_it_too(self, out: Output) -> None:
        """A skipped request still has its id: in the response and on the app's lines."""
        async with client(starlette_app(skip=["GET /generate"])) as c:
            response = await c.get("/generate", headers={"X-Request-ID": "req-quiet"})

        assert "req-quiet" == response.headers["x-request-id"]
        assert ["req-quiet"] * 3 == [e["request_id"] for e in ours(out)]

    async def test_500_carries_it_when_the_app_is_wrapped(self, out: Output) -> None:
        """Around the whole Starlette app, the 500 of ServerErrorMiddleware has the header."""

        async def crash(request: Request) -> Response:
            raise RuntimeError("Kling returned 502")

        app = RequestLoggingMiddleware(Starlette(routes=[Route("/crash", crash)]))
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://api") as c:
            response = await c.get("/crash", headers={"X-Request-ID": "req-500"})

        assert (500, "req-500") == (response.status_code, response.headers["x-request-id"])
        (failed,) = [e for e in ours(out) if e["message"] == "Request failed"]
        assert "req-500" == failed["request_id"]

    @pytest.mark.parametrize("state", [None, {"ready": True}])
    async def test_a_500_handler_reads_it_from_request_state(
        self, out: Output, state: dict[str, Any] | None
    ) -> None:
        """Added with add_middleware, the app's own 500 handler can send the id back."""

        async def crash(request: Request) -> Response:
            raise RuntimeError("Kling returned 502")

        async def server_error(request: Request, exc: Exception) -> Response:
            request_id = request.state.request_id
            return PlainTextResponse("failed", 500, headers={"X-Request-ID": request_id})

        app = Starlette(routes=[Route("/crash", crash)], exception_handlers={500: server_error})
        app.add_middleware(RequestLoggingMiddleware)

        async def with_state(scope: Any, receive: Any, send: Any) -> None:
            if state is not None:  # a server with lifespan state copies it into each scope
                scope["state"] = dict(state)
            await app(scope, receive, send)

        transport = httpx.ASGITransport(app=with_state, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://api") as c:
            response = await c.get("/crash", headers={"X-Request-ID": "req-500"})

        assert (500, "req-500") == (response.status_code, response.headers["x-request-id"])
        (failed,) = [e for e in ours(out) if e["message"] == "Request failed"]
        assert "req-500" == failed["request_id"]

    async def test_without_a_500_handler_the_500_has_no_header(self, out: Output) -> None:
        """Added with add_middleware and no handler, Starlette's plain 500 lacks the header."""

        async def crash(request: Request) -> Response:
            raise RuntimeError("Kling returned 502")

        app = Starlette(routes=[Route("/crash", crash)])
        app.add_middleware(RequestLoggingMiddleware)
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://api") as c:
            response = await c.get("/crash", headers={"X-Request-ID": "req-500"})

        assert 500 == response.status_code
        assert "x-request-id" not in response.headers

    @pytest.mark.parametrize(
        ("options", "state", "expected"),
        [
            ({"request_id_header": None}, {"ready": True}, {"ready": True}),
            ({}, ("not", "a", "dict"), ("not", "a", "dict")),
        ],
    )
    async def test_request_state_is_left_alone(
        self, out: Output, options: dict[str, Any], state: Any, expected: Any
    ) -> None:
        """Without a request id, or with a state that is no dict, the state is not touched."""

        async def crash(request: Request) -> Response:
            raise RuntimeError("Kling returned 502")

        inner = RequestLoggingMiddleware(Starlette(routes=[Route("/crash", crash)]), **options)
        seen: list[Any] = []

        async def with_state(scope: Any, receive: Any, send: Any) -> None:
            scope["state"] = state
            try:
                await inner(scope, receive, send)
            finally:
                seen.append(scope["state"])

        transport = httpx.ASGITransport(app=with_state, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://api") as c:
            response = await c.get("/crash", headers={"X-Request-ID": "req-500"})

        assert 500 == response.status_code
        assert [expected] == seen

    async def test_skipped_with_ids_off(self, out: Output) -> None:
        """Both headers off, a skipped request sends neither and logs nothing."""
        app = starlette_app(skip=["GET /generate"], request_id_header=None, job_id_header=None)
        async with client(app) as c:
            response = await c.get("/generate", headers={"X-Request-ID": "req-1"})

        assert {"x-request-id", "x-job-id"}.isdisjoint(response.headers)
        assert [None] * 3 == [e.get("request_id") for e in ours(out)]

    async def test_nothing_stays_bound_after_the_request(self, out: Output) -> None:
        """The request id is the request's: unbound once it is handled."""
        async with client(starlette_app()) as c:
            await c.get("/generate", headers={"X-Request-ID": "req-1"})
        assert {} == dict(joblog.context.get_fields())

    @pytest.mark.parametrize("name", ["", "X Request", "X-Request-ID\r\n", 42])
    def test_invalid_header_name_is_rejected(self, name: Any) -> None:
        """A header name that is not an HTTP token is refused when the middleware is built."""
        with pytest.raises(ValueError, match="request_id_header"):
            RequestLoggingMiddleware(starlette_app(), request_id_header=name)


def job_app(**options: Any) -> Starlette:
    log = joblog.get_logger("app")

    async def generate(request: Request) -> Response:
        with joblog.bind_job(user_id="user-xyz") as job_id:
            log.info("Starting fully async generation")
        return PlainTextResponse(job_id, 202)

    async def spawn(request: Request) -> Response:
        async def run() -> None:
            async with joblog.bind_job():
                log.info("Job running")

        task = asyncio.create_task(run())
        await task
        return PlainTextResponse("spawned", 202)

    async def status(request: Request) -> Response:
        log.info("Status read")
        return PlainTextResponse("processing")

    app = Starlette(
        routes=[Route("/generate", generate), Route("/spawn", spawn), Route("/status", status)]
    )
    app.add_middleware(RequestLoggingMiddleware, **options)
    return app


class TestJobIds:
    async def test_a_request_that_starts_a_job_reports_it(self, out: Output) -> None:
        """The job's id is on the Request completed line and in the X-Job-ID header."""
        async with client(job_app()) as c:
            response = await c.get("/generate")

        job_id = response.text
        assert job_id == response.headers["x-job-id"]
        (completed,) = [e for e in ours(out) if e["message"] == "Request completed"]
        assert job_id == completed["job_id"]

    @pytest.mark.parametrize("skip", [[], ["GET /crash"]])
    async def test_a_failed_request_reports_its_job(self, out: Output, skip: list[str]) -> None:
        """Request failed names the job the request started, skipped or not."""

        async def crash(request: Request) -> Response:
            with joblog.bind_job() as job_id:
                log.info("Starting")
            raise RuntimeError(f"Kling returned 502 for {job_id}")

        log = joblog.get_logger("app")
        app = Starlette(routes=[Route("/crash", crash)])
        app.add_middleware(RequestLoggingMiddleware, skip=skip)
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://api") as c:
            response = await c.get("/crash")

        assert 500 == response.status_code
        (starting,) = [e for e in ours(out) if e["message"] == "Starting"]
        (failed,) = [e for e in ours(out) if e["message"] == "Request failed"]
        assert starting["job_id"] == failed["job_id"]
        assert failed["job_id"] in failed["error_message"]

    async def test_the_apps_own_job_header_is_kept(self, out: Output) -> None:
        """A response that already names a job in X-Job-ID is sent as the app made it."""

        async def generate(request: Request) -> Response:
            with joblog.bind_job():
                pass
            return PlainTextResponse("ok", headers={"X-Job-ID": "set-by-the-app"})

        app = Starlette(routes=[Route("/generate", generate)])
        app.add_middleware(RequestLoggingMiddleware)
        async with client(app) as c:
            response = await c.get("/generate")

        assert ["set-by-the-app"] == response.headers.get_list("x-job-id")
        assert 1 == len(response.headers.get_list("x-request-id"))

    async def test_a_job_started_in_a_spawned_task(self, out: Output) -> None:
        """A job entered in a task the request spawned is the request's job too."""
        async with client(job_app()) as c:
            response = await c.get("/spawn")

        (running,) = [e for e in ours(out) if e["message"] == "Job running"]
        (completed,) = [e for e in ours(out) if e["message"] == "Request completed"]
        assert running["job_id"] == completed["job_id"] == response.headers["x-job-id"]

    async def test_incoming_job_id_is_ignored_unless_trusted(self, out: Output) -> None:
        """X-Job-ID from the caller is adopted only with trust_job_id=True."""
        headers = {"X-Job-ID": "job-from-service-a"}
        async with client(job_app()) as c:
            untrusted = await c.get("/status", headers=headers)
        async with client(job_app(trust_job_id=True)) as c:
            trusted = await c.get("/status", headers=headers)
            without = await c.get("/status")

        assert "x-job-id" not in untrusted.headers
        assert "job-from-service-a" == trusted.headers["x-job-id"]
        assert "x-job-id" not in without.headers
        lines = ours(out)
        assert [None] * 3 + ["job-from-service-a"] * 3 + [None] * 3 == [
            e.get("job_id") for e in lines
        ]

    @pytest.mark.parametrize("bad", [b"", b"x" * 129, b"job\x1b[31m", b"\xff\xfe"])
    async def test_invalid_trusted_job_id_is_ignored(self, out: Output, bad: bytes) -> None:
        """A trusted caller's malformed id is not adopted, and never logged raw."""
        async with client(job_app(trust_job_id=True)) as c:
            response = await c.get("/status", headers=[(b"x-job-id", bad)])

        assert "x-job-id" not in response.headers
        ignored, *rest = ours(out)
        assert ("Job id ignored", len(bad)) == (ignored["message"], ignored["length"])
        assert all("job_id" not in e for e in rest)

    async def test_headers_off(self, out: Output) -> None:
        """job_id_header=None sends no header; with both off, lines have neither id."""
        async with client(job_app(job_id_header=None)) as c:
            no_job_header = await c.get("/generate")
        async with client(job_app(request_id_header=None)) as c:
            no_request_id = await c.get("/generate")
        async with client(job_app(job_id_header=None, request_id_header=None)) as c:
            both_off = await c.get("/status")

        assert "x-request-id" not in no_request_id.headers
        assert no_request_id.text == no_request_id.headers["x-job-id"]

        assert "x-job-id" not in no_job_header.headers
        assert "x-request-id" in no_job_header.headers
        assert {"x-job-id", "x-request-id"}.isdisjoint(both_off.headers)


class TestOverUvicorn:
    def test_job_id_out(self, configured: Callable[..., Output]) -> None:
        """A real server: the response of a request that started a job names it."""
        out = configured(level="info")
        config = uvicorn.Config(job_app(), http="h11", ws="none", log_config=None)

        with serving(config) as url, httpx.Client(base_url=url, timeout=10) as c:
            response = c.get("/generate")

        assert response.text == response.headers["x-job-id"]
        (completed,) = [e for e in out.events() if e["message"] == "Request completed"]
        assert response.text == completed["job_id"]

    @pytest.mark.parametrize("framework", ["starlette", "fastapi"])
    def test_id_in_and_out(self, configured: Callable[..., Output], framework: str) -> None:
        """A real server: the id sent is the id received and on every line."""
        out = configured(level="info")
        if framework == "starlette":
            app: Any = starlette_app()
        else:
            app = FastAPI()

            @app.get("/generate")
            async def generate() -> dict[str, str]:
                joblog.get_logger("app").info("Generating")
                logging.getLogger("app.stdlib").info("From logging")
                joblog.log_auth_failure("expired_token")
                return {"status": "accepted"}

            app.add_middleware(RequestLoggingMiddleware)
        config = uvicorn.Config(app, http="h11", ws="none", log_config=None)

        with serving(config) as url, httpx.Client(base_url=url, timeout=10) as c:
            sent = c.get("/generate", headers={"X-Request-ID": "req-uvicorn"})
            made = c.get("/generate")

        assert "req-uvicorn" == sent.headers["x-request-id"]
        assert HEX_ID.match(made.headers["x-request-id"])
        lines = [
            e
            for e in out.events()
            if e["logger"] in ("app", "app.stdlib", "joblog.asgi", "joblog.auth")
        ]
        assert 10 == len(lines)
        assert ["req-uvicorn"] * 5 + [made.headers["x-request-id"]] * 5 == [
            e["request_id"] for e in lines
        ]
