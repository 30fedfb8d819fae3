"""
RequestLoggingMiddleware on the paths production takes, over a real uvicorn on 127.0.0.1.

A failure after the response started behind an inner ``BaseHTTPMiddleware``
(a streaming body that raises, a background task that raises), the server's
own proxy-header handling, and skip templates pinned to Starlette's.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.middleware import Middleware
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route

import joblog

from .conftest import Output
from .test_asgi import call, http_scope, responder
from .test_asgi_uvicorn import serving

log = joblog.get_logger("app")


async def ping(request: Request) -> Response:
    log.info("Ping handled")
    return PlainTextResponse("pong")


def test_skip_templates_use_starlettes_convertors() -> None:
    """Each convertor a skip entry accepts matches exactly what Starlette's route would."""
    from starlette.convertors import CONVERTOR_TYPES

    from joblog.asgi import _CONVERTORS

    assert set(CONVERTOR_TYPES) == set(_CONVERTORS)
    for name, convertor in CONVERTOR_TYPES.items():
        # Starlette's float groups its fraction; joblog's group does not capture.
        assert convertor.regex.replace("(\\.", "(?:\\.") == _CONVERTORS[name], name


@pytest.mark.anyio
async def test_a_uuid_without_dashes_is_skipped_as_starlette_routes_it(
    configured: Callable[..., Output],
) -> None:
    """``{id:uuid}`` matches the dashless form too, as Starlette's ``uuid`` convertor does."""
    out = configured(level="info")
    app = joblog.RequestLoggingMiddleware(responder(), skip=["GET /jobs/{id:uuid}"])

    await call(app, http_scope("/jobs/0b5c1d2e3f404a5b8c6d7e8f9a0b1c2d"))
    await call(app, http_scope("/jobs/0b5c1d2e-3f40-4a5b-8c6d-7e8f9a0b1c2d"))
    await call(app, http_scope("/jobs/not-a-uuid"))

    assert ["/jobs/not-a-uuid"] == sorted({e["path"] for e in out.events()})


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class Passthrough(BaseHTTPMiddleware):
    """An inner middleware of the kind many apps have (timing headers, auth...)."""

    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        return await call_next(request)


async def stream_then_raise(request: Request) -> Response:
    async def chunks() -> AsyncIterator[bytes]:
        yield b"scene 1\n"
        yield b"scene 2\n"
        raise RuntimeError("Kling stream broke")

    return StreamingResponse(chunks())


async def failing_background(request: Request) -> Response:
    def upload() -> None:
        raise RuntimeError("S3 upload failed")

    return PlainTextResponse("accepted", 202, background=BackgroundTask(upload))


class TestOneOutcomeLine:
    @pytest.mark.parametrize(
        ("path", "status", "error"),
        [("/stream", 200, "Kling stream broke"), ("/background", 202, "S3 upload failed")],
    )
    def test_an_exception_after_the_response_is_not_a_second_outcome(
        self, configured: Callable[..., Output], path: str, status: int, error: str
    ) -> None:
        """Behind a BaseHTTPMiddleware, a late exception gives one outcome line and one error.

        The response went out whole as far as the middleware can see (the
        inner middleware ends the body even when the stream broke), so the
        outcome is "Request completed" with the status the client got; the
        exception is logged once, as "Error after response", and the server
        does not log it again.
        """
        out = configured(level="info")
        app = Starlette(
            routes=[Route("/stream", stream_then_raise), Route("/background", failing_background)],
            middleware=[Middleware(joblog.RequestLoggingMiddleware), Middleware(Passthrough)],
        )
        config = uvicorn.Config(app, http="h11", loop="asyncio", ws="none", log_config=None)

        with serving(config) as url, httpx.Client(base_url=url, timeout=10) as client:
            assert status == client.get(path).status_code

        events = out.events()
        request_lines = [e for e in events if e["logger"] == "joblog.asgi"]
        assert [
            ("Request started", "info", None),
            ("Request completed", "info", status),
            ("Error after response", "error", status),
        ] == [(e["message"], e["level"], e.get("status")) for e in request_lines]
        assert error == request_lines[-1]["error_message"]
        assert [] == [e for e in events if e["message"] == "Request failed"]
        assert [] == [e for e in events if "Exception in ASGI application" in e["message"]]


class TestServerProxyHeaders:
    def test_uvicorns_default_proxy_headers_are_detected(
        self, configured: Callable[..., Output]
    ) -> None:
        """Under uvicorn's defaults a forged X-Forwarded-For becomes the peer: said once."""
        out = configured(level="info")
        app = Starlette(
            routes=[Route("/ping", ping)],
            middleware=[Middleware(joblog.RequestLoggingMiddleware, trusted_proxies=["10.0.0.1"])],
        )
        # uvicorn's defaults: proxy headers on, 127.0.0.1 trusted (the test client's peer).
        config = uvicorn.Config(app, http="h11", ws="none", log_config=None)
        forged = {"X-Forwarded-For": "203.0.113.7"}

        with serving(config) as url, httpx.Client(base_url=url, timeout=10) as client:
            for _ in range(3):
                assert 200 == client.get("/ping", headers=forged).status_code

        warnings = [e for e in out.events() if e["level"] == "warning"]
        assert ["Client address already taken from X-Forwarded-For by the server"] == [
            e["message"] for e in warnings
        ]
        assert "--no-proxy-headers" in warnings[0]["hint"]

    def test_without_server_proxy_headers_the_forged_address_is_ignored(
        self, configured: Callable[..., Output]
    ) -> None:
        """With --no-proxy-headers the peer is the socket's, the forged header is not believed."""
        out = configured(level="info")
        app = Starlette(
            routes=[Route("/ping", ping)],
            middleware=[Middleware(joblog.RequestLoggingMiddleware, trusted_proxies=["10.0.0.1"])],
        )
        config = uvicorn.Config(app, http="h11", ws="none", log_config=None, proxy_headers=False)

        with serving(config) as url, httpx.Client(base_url=url, timeout=10) as client:
            client.get("/ping", headers={"X-Forwarded-For": "203.0.113.7"})

        events = out.events()
        assert [] == [e for e in events if e["level"] == "warning"]
        started = next(e for e in events if e["message"] == "Request started")
        assert "127.0.0.1" == started["client_ip"]
