"""
Two services, A calls B through the instrumented client: B adopts A's job id only if it trusts A.

Both run under real uvicorn servers on 127.0.0.1; A also calls a vendor it
does not list in ``propagate_to``, which must receive neither id.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

import joblog
from joblog.httpx import AsyncLoggingTransport

from .conftest import Output
from .httpx_support import serving

Configure = Callable[..., Output]


def service_b(trust: bool) -> Starlette:
    async def render(request: Request) -> Response:
        joblog.get_logger("b").info("Rendering in B")
        return JSONResponse({"job_id": joblog.current_job_id()})

    app = Starlette(routes=[Route("/render", render, methods=["POST"])])
    app.add_middleware(joblog.RequestLoggingMiddleware, trust_job_id=trust)
    return app


def vendor() -> Starlette:
    """A third party: answers with the request headers it received."""

    async def echo(request: Request) -> Response:
        return JSONResponse({"headers": sorted(request.headers.keys())})

    return Starlette(routes=[Route("/v1/generate", echo, methods=["POST"])])


def service_a(b_url: str, vendor_url: str) -> Starlette:
    b_host = b_url.removeprefix("http://")

    async def start(request: Request) -> Response:
        transport = AsyncLoggingTransport(propagate_to=[b_host])
        async with joblog.job() as job_id, httpx.AsyncClient(transport=transport) as client:
            answer = await client.post(f"{b_url}/render")
            third_party = await client.post(f"{vendor_url}/v1/generate")
        return JSONResponse(
            {
                "job_id": job_id,
                "b_saw": answer.json()["job_id"],
                "vendor_headers": third_party.json()["headers"],
            }
        )

    app = Starlette(routes=[Route("/start", start, methods=["POST"])])
    app.add_middleware(joblog.RequestLoggingMiddleware)
    return app


@pytest.mark.parametrize("trust", [True, False])
def test_b_carries_as_job_id_only_when_it_trusts_a(configured: Configure, trust: bool) -> None:
    """B's lines carry A's job id with trust_job_id=True, and never without it."""
    out = configured(level="info", stdlib=False)
    with (
        serving(service_b(trust)) as b_url,
        serving(vendor()) as vendor_url,
        serving(service_a(b_url, vendor_url)) as a_url,
    ):
        body: dict[str, Any] = httpx.post(f"{a_url}/start", timeout=10).json()

    job_id = body["job_id"]
    # B's own lines: its middleware's for /render and its endpoint's (A's
    # client logs its call to /render too, under the httpx logger).
    b_lines = [
        e
        for e in out.events()
        if e["logger"] == "b" or (e["logger"] == "joblog.asgi" and e.get("path") == "/render")
    ]
    assert ["Request started", "Rendering in B", "Request completed"] == [
        e["message"] for e in b_lines
    ]
    if trust:
        assert job_id == body["b_saw"]
        assert all(e.get("job_id") == job_id for e in b_lines)
    else:
        assert body["b_saw"] is None
        assert all("job_id" not in e for e in b_lines)
    a_calls = [e for e in out.events() if e["message"] == "HTTP request"]
    assert [(job_id, "/render", 200), (job_id, "/v1/generate", 200)] == [
        (e["job_id"], e["path"], e["status"]) for e in a_calls
    ]
    # The vendor is not in propagate_to: it learns neither id.
    assert {"x-job-id", "x-request-id", "baggage"}.isdisjoint(body["vendor_headers"])
    assert "host" in body["vendor_headers"]
