"""
The HTTP service: generate, job status, health.

Run it with ``python -m video_pipeline`` (from ``examples/``), or as a
factory: ``uvicorn video_pipeline.app:create_app --factory``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

import joblog
import joblog.httpx

from .adapters import Adapters, Faults, make_adapters
from .auth import authenticate
from .jobs import Job, JobStore
from .pipeline import GenerateRequest, run_job
from .settings import Settings

__all__ = ["SKIP", "create_app"]

#: The architecture's noisy endpoints: the load balancer's health check
#: (every 30 s) and clients polling job status (every 5–10 s).
SKIP = ["GET /health", "GET /api/v1/jobs/{job_id}"]

AdapterFactory = Callable[[Settings, httpx.AsyncClient, Faults], Adapters]


def create_app(
    settings: Settings | None = None, *, adapters: AdapterFactory = make_adapters
) -> Starlette:
    """Build the service. Logging is configured by the caller (``joblog.configure()``)."""
    settings = settings or Settings.from_env()
    store = JobStore()
    # One client for every vendor call: its transport logs each call once, and
    # sends job and request ids only to the hosts in settings.propagate_to.
    vendors = httpx.AsyncClient(
        transport=joblog.httpx.AsyncLoggingTransport(propagate_to=settings.propagate_to),
        timeout=30,
    )

    async def health(_: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def generate(request: Request) -> Response:
        user_id = authenticate(request, settings.jwt_secret)
        body = await _json_body(request)
        job_request = _parse_request(body)
        faults = _parse_faults(body.get("simulate")) if settings.allow_simulation else Faults()

        job = Job(joblog.new_job_id(), user_id)
        store.add(job)
        # Bound here too, so the request's own lines (and `Request completed`)
        # carry the job id; the task runs the job itself in joblog.job().
        with joblog.bind_job(job.job_id):
            task = asyncio.create_task(
                run_job(job, job_request, adapters(settings, vendors, faults), settings)
            )
        store.track(task)
        return JSONResponse({"job_id": job.job_id, "status": job.status}, status_code=202)

    async def job_status(request: Request) -> Response:
        user_id = authenticate(request, settings.jwt_secret)
        job = store.get(request.path_params["job_id"])
        if job is None or job.user_id != user_id:
            raise HTTPException(404, detail="job not found")
        return JSONResponse(job.as_dict())

    async def http_error(_: Request, exc: Exception) -> Response:
        error = exc if isinstance(exc, HTTPException) else HTTPException(500)
        return JSONResponse(
            {"error": error.detail}, status_code=error.status_code, headers=error.headers
        )

    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        yield
        # Servers stop without cancelling background tasks: cancel the running
        # jobs so each writes its `Job cancelled` line and its polls' last state.
        await joblog.cancel_jobs(timeout=10)
        await vendors.aclose()

    app = Starlette(
        routes=[
            Route("/health", health, methods=["GET"]),
            Route("/api/v1/generate", generate, methods=["POST"]),
            Route("/api/v1/jobs/{job_id}", job_status, methods=["GET"]),
        ],
        exception_handlers={HTTPException: http_error},
        lifespan=lifespan,
    )
    app.add_middleware(joblog.RequestLoggingMiddleware, skip=SKIP)
    app.state.store = store
    return app


async def _json_body(request: Request) -> dict[str, Any]:
    try:
        body = json.loads(await request.body() or b"{}")
    except ValueError:
        raise HTTPException(400, detail="body must be JSON") from None
    if not isinstance(body, dict):
        raise HTTPException(400, detail="body must be a JSON object")
    return body


def _parse_request(body: dict[str, Any]) -> GenerateRequest:
    prompt = body.get("prompt")
    num_scenes = body.get("num_scenes", 2)
    duration = body.get("duration", 5)
    if not isinstance(prompt, str) or not prompt.strip():
        raise HTTPException(422, detail="prompt must be a non-empty string")
    if type(num_scenes) is not int or not 1 <= num_scenes <= 10:
        raise HTTPException(422, detail="num_scenes must be an integer from 1 to 10")
    if type(duration) is not int or not 1 <= duration <= 60:
        raise HTTPException(422, detail="duration must be an integer from 1 to 60 (seconds)")
    return GenerateRequest(prompt=prompt, num_scenes=num_scenes, duration=duration)


def _parse_faults(simulate: object) -> Faults:
    """``{"kling_503": {"2": 1}, "fail_at": "audio"}`` -> Faults (demo and test builds only)."""
    if not isinstance(simulate, dict):
        return Faults()
    kling = simulate.get("kling_503", {})
    fail_at = simulate.get("fail_at")
    try:
        transient = {int(scene): int(count) for scene, count in dict(kling).items()}
    except (TypeError, ValueError):
        raise HTTPException(422, detail="simulate.kling_503 must map scenes to counts") from None
    if fail_at not in (None, "script", "kling", "audio", "compose"):
        raise HTTPException(422, detail="simulate.fail_at must be script, kling, audio or compose")
    return Faults(kling_503=transient, fail_at=fail_at)
