"""cancel_jobs() in a lifespan shutdown, under a real uvicorn process receiving SIGTERM."""

from __future__ import annotations

import json
import queue
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import httpx

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
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "service:app",
        "--app-dir",
        str(tmp_path),
        "--host",
        "127.0.0.1",
        "--port",
        "0",
        "--log-level",
        "info",
    ]
    lines: queue.Queue[str | None] = queue.Queue()
    output: list[str] = []
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=tmp_path
    ) as process:

        def read() -> None:
            assert process.stdout is not None
            for line in process.stdout:
                lines.put(line)
            lines.put(None)

        reader = threading.Thread(target=read, name="uvicorn-stdout")
        reader.start()
        try:
            url = None
            while url is None:
                line = lines.get(timeout=30)
                assert line is not None, "".join(output)
                output.append(line)
                if "Uvicorn running on" in line:
                    url = json.loads(line)["message"].split()[3]
            with httpx.Client(base_url=url, timeout=10) as client:
                assert 202 == client.post("/generate").status_code
                assert 202 == client.post("/generate").status_code
                deadline = time.monotonic() + 10
                while client.get("/status").json()["polls"] < 20:
                    assert time.monotonic() < deadline
                    time.sleep(0.01)
                running = client.get("/status").json()["running"]
            process.send_signal(signal.SIGTERM)
            # uvicorn shuts down gracefully, then re-raises the signal it caught.
            assert process.wait(timeout=30) in (0, -signal.SIGTERM)
        finally:
            if process.poll() is None:
                process.kill()
            reader.join(30)
    while (line := lines.get_nowait()) is not None:
        output.append(line)

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
