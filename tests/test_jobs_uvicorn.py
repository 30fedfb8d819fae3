"""cancel_jobs() in a lifespan shutdown, under a real uvicorn process receiving SIGTERM."""

from __future__ import annotations

import json
import signal
import textwrap
import time
from pathlib import Path

import httpx

from .uvicorn_process import uvicorn_process

APP_MODULE = """
import asyncio
import contextlib

import joblog
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route

joblog.configure(level="debug")  # JSON on stdout (not a TTY)
log = joblog.get_logger("app")
tasks = set()
polls = 0


async def poll_vendor():
    global polls
    async with joblog.job(user_id="user-xyz"), joblog.sampled(log, every=1000) as plog:
        attempt = 0
        while True:
            attempt += 1
            polls += 1
            plog.debug("Kling still processing", attempt=attempt)
            await asyncio.sleep(0.005)


async def generate(request):
    task = asyncio.create_task(poll_vendor())
    tasks.add(task)  # a background job: the server will not cancel it on SIGTERM
    return JSONResponse({"accepted": True}, status_code=202)


async def status(request):
    return JSONResponse({"polls": polls, "running": joblog.running_jobs()})


@contextlib.asynccontextmanager
async def lifespan(app):
    yield
    left = await joblog.cancel_jobs(timeout=5)
    log.info("Shutdown complete", jobs_left=left)


app = Starlette(
    routes=[Route("/generate", generate, methods=["POST"]), Route("/status", status)],
    lifespan=lifespan,
)
"""


def test_sigterm_writes_cancelled_line_and_sampler_state(tmp_path: Path) -> None:
    """SIGTERM: the lifespan's cancel_jobs() makes each job write its cancelled line and polls."""
    (tmp_path / "service.py").write_text(textwrap.dedent(APP_MODULE))
    args = ("service:app", "--app-dir", str(tmp_path), "--log-level", "info")
    with (
        uvicorn_process(tmp_path, *args, stop=signal.SIGTERM) as served,
        httpx.Client(base_url=served.url, timeout=10) as client,
    ):
        assert 202 == client.post("/generate").status_code
        assert 202 == client.post("/generate").status_code
        deadline = time.monotonic() + 10
        while client.get("/status").json()["polls"] < 20:
            assert time.monotonic() < deadline
            time.sleep(0.01)
        running = client.get("/status").json()["running"]
    # uvicorn shuts down gracefully, then re-raises the signal it caught.
    assert served.returncode in (0, -signal.SIGTERM)
    output = served.output

    events = [json.loads(line) for line in output]
    assert 2 == len(running)
    cancelled = [e for e in events if e["message"] == "Job cancelled"]
    assert sorted(running) == sorted(e["job_id"] for e in cancelled)
    assert {("warning", "cancelled", "user-xyz")} == {
        (e["level"], e["status"], e["user_id"]) for e in cancelled
    }
    for job_id in running:
        (last_poll,) = [
            e for e in events if e["message"] == "Kling still processing" and e["job_id"] == job_id
        ]
        assert last_poll["attempt"] == last_poll["suppressed"] + 1 >= 10
    (done,) = [e for e in events if e["message"] == "Shutdown complete"]
    assert [] == done["jobs_left"]
    messages = [e["message"] for e in events]
    assert messages.index("Shutdown complete") > max(
        i for i, m in enumerate(messages) if m == "Job cancelled"
    )
