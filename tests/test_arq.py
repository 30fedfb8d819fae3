"""joblog.arq with a real ARQ worker (burst mode, in this process) on a real Redis."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from arq.connections import RedisSettings, create_pool
from arq.worker import Retry, Worker

import joblog
import joblog.arq
from joblog.testing import capture_logs

from .redis_support import redis_server


@pytest.fixture(scope="module")
def settings() -> Iterator[RedisSettings]:
    with redis_server() as url:
        parts = urlsplit(url)
        yield RedisSettings(host=parts.hostname or "127.0.0.1", port=parts.port or 6379)


@joblog.arq.task
async def render(ctx: dict[str, Any], scene: int) -> int:
    logging.getLogger("video.render").info("Rendering", extra={"scene": scene})
    return scene * 2


@joblog.arq.task
async def flaky(ctx: dict[str, Any]) -> str:
    if ctx["job_try"] == 1:
        raise Retry(defer=0.1) from ConnectionError("Kling returned 502")
    return "ok"


@joblog.arq.task
async def broken(ctx: dict[str, Any]) -> None:
    raise RuntimeError("compose failed")


@joblog.arq.task
async def again(ctx: dict[str, Any]) -> None:
    if ctx["job_try"] == 1:
        raise Retry()


async def run_jobs(settings: RedisSettings) -> dict[str, str]:
    pool = await create_pool(settings)
    try:
        with joblog.bind_job(user_id="user-7") as job_id:
            jobs = {
                "render": await joblog.arq.enqueue_job(pool, "render", 3),
                "flaky": await joblog.arq.enqueue_job(pool, "flaky"),
                "broken": await joblog.arq.enqueue_job(pool, "broken"),
            }
        jobs["plain"] = await joblog.arq.enqueue_job(pool, "render", 1)
        with joblog.bind(scene=9):
            jobs["scene"] = await joblog.arq.enqueue_job(pool, "render", 9)
        jobs["again"] = await joblog.arq.enqueue_job(pool, "again", _joblog={"job_id": "bad\nid"})
        worker = Worker(
            [render, flaky, broken, again],
            redis_pool=pool,
            burst=True,
            poll_delay=0.05,
            handle_signals=False,
        )
        await worker.main()
    finally:
        await pool.aclose()
    ids = {name: job.job_id for name, job in jobs.items() if job is not None}
    return {"job_id": job_id, **ids}


def test_jobs_carry_the_ids_into_the_worker(
    settings: RedisSettings, configured: Callable[..., Any]
) -> None:
    """Lifecycle and stdlib lines of each job carry the job id, fields, task_id and task_name."""
    configured()
    with capture_logs() as logs:
        ids = asyncio.run(run_jobs(settings))

    def of(name: str) -> list[Any]:
        return [e for e in logs if e.get("task_id") == ids[name] and e["logger"] != "arq.worker"]

    job_id = ids["job_id"]
    render_lines = of("render")
    assert ["Task started", "Rendering", "Task succeeded"] == [e["message"] for e in render_lines]
    assert all(
        (e["job_id"], e["user_id"], e["task_name"]) == (job_id, "user-7", "render")
        for e in render_lines
    )
    assert render_lines[-1]["elapsed_ms"] >= 0

    flaky_lines = of("flaky")
    assert ["Task started", "Task retried", "Task started", "Task succeeded"] == [
        e["message"] for e in flaky_lines
    ]
    retried = flaky_lines[1]
    assert ("warning", "Kling returned 502", "ConnectionError", 0.1) == (
        retried["level"], retried["reason"], retried["error_type"], retried["countdown"],
    )  # fmt: skip
    assert 1 == flaky_lines[2]["retries"]
    assert all(e["job_id"] == job_id for e in flaky_lines)

    failed = [e for e in of("broken") if "error_type" in e]
    assert 1 == len(failed)
    assert ("Task failed", "RuntimeError", job_id) == (
        failed[0]["message"], failed[0]["error_type"], failed[0]["job_id"],
    )  # fmt: skip

    assert all("job_id" not in e for e in of("plain"))
    assert [9, 9, 9] == [e["scene"] for e in of("scene")]
    assert any(e["message"] == "Ignored an invalid job id from the job arguments" for e in logs)
    again_retry = [e for e in of("again") if e["message"] == "Task retried"]
    assert "retry requested" == again_retry[0]["reason"]
    assert "countdown" not in again_retry[0]
    assert "error_type" not in again_retry[0]


def test_the_arq_command_logs_through_joblog(settings: RedisSettings) -> None:
    """``arq --custom-log-dict joblog.arq.LOG_CONFIG``: every line of the worker is joblog JSON."""
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path

    async def enqueue() -> str:
        pool = await create_pool(settings)
        try:
            with joblog.bind_job() as job_id:
                await joblog.arq.enqueue_job(pool, "render", 5)
        finally:
            await pool.aclose()
        return job_id

    job_id = asyncio.run(enqueue())
    env = {k: v for k, v in os.environ.items() if not k.startswith("JOBLOG_")}
    env["JOBLOG_TEST_BROKER"] = f"redis://{settings.host}:{settings.port}/0"
    done = subprocess.run(
        [sys.executable, "-m", "arq", "--burst", "--custom-log-dict", "joblog.arq.LOG_CONFIG",
         "tests.arq_worker.WorkerSettings"],
        cwd=Path(__file__).parent.parent, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    events = [json.loads(line) for line in (done.stdout + done.stderr).splitlines()]
    assert {"arq.worker", "joblog.arq", "video.render"} <= {e["logger"] for e in events}
    assert 3 == sum(e.get("job_id") == job_id for e in events if e["logger"] != "arq.worker")
