"""
joblog.celery on a real Redis broker with real ``celery worker`` processes.

A Starlette app served by uvicorn enqueues tasks inside ``bind_job``; a worker
of each pool kind (prefork, threads, solo) runs them.  Every line the worker
writes must be joblog's JSON, and every line of a task (its lifecycle, its
task logger's lines, a plain logging logger's lines) must carry the job id.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

import joblog
import joblog.celery
from joblog.testing import capture_logs

from . import celery_app
from .redis_support import redis_server
from .test_asgi_uvicorn import serving

ROOT = Path(__file__).parent.parent
SCHEMA = ["timestamp", "level", "message", "logger"]


@pytest.fixture(scope="module")
def broker() -> Iterator[str]:
    with redis_server() as url:
        yield url


@pytest.fixture(scope="module")
def app(broker: str) -> Iterator[Any]:
    """The tests' Celery app, pointed at the real Redis (broker and results)."""
    celery_app.app.conf.update(broker_url=broker, result_backend=broker)
    yield celery_app.app
    celery_app.app.conf.update(broker_url="memory://", result_backend=None)


class Worker:
    """A ``celery worker`` subprocess whose output is a file of lines."""

    def __init__(self, pool: str, broker: str, log: Path) -> None:
        self.pool = pool
        self.queue = f"q-{pool}"
        self.log = log
        env = {**os.environ, "JOBLOG_TEST_BROKER": broker}
        env.pop("JOBLOG_LEVEL", None)
        # Celery warns a root user, before any logging is set up, in plain text;
        # CI runs as root, a deployment should not.
        env["PYTHONWARNINGS"] = "ignore:You're running the worker with superuser privileges"
        self._out = log.open("wb")
        self.proc = subprocess.Popen(
            [
                sys.executable, "-m", "celery", "-A", "tests.celery_app", "worker",
                "-P", pool, "-c", "1", "-Q", self.queue, "-n", f"{pool}@joblog",
                "--without-gossip", "--without-mingle", "--without-heartbeat",
            ],
            cwd=ROOT, env=env, stdout=self._out, stderr=subprocess.STDOUT,
        )  # fmt: skip

    def lines(self) -> list[str]:
        return self.log.read_text().splitlines()

    def events(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.lines()]

    def wait_for(
        self, predicate: Callable[[list[dict[str, Any]]], bool], timeout: float = 30
    ) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"worker exited:\n{self.log.read_text()}")
            text = self.log.read_text()
            # The last line may be half written: judge the complete ones.
            complete = text[: text.rfind("\n") + 1].splitlines()
            try:
                if predicate([json.loads(line) for line in complete]):
                    return
            except json.JSONDecodeError as exc:
                raise AssertionError(f"a line that is not JSON:\n{text}") from exc
            time.sleep(0.05)
        raise AssertionError(f"timed out; worker output:\n{self.log.read_text()}")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)
        self._out.close()


@pytest.fixture(scope="module", params=["prefork", "threads", "solo"])
def worker(
    request: pytest.FixtureRequest, broker: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Worker]:
    started = Worker(request.param, broker, tmp_path_factory.mktemp("celery") / "worker.jsonl")
    try:
        started.wait_for(lambda events: any(e["message"].endswith("ready.") for e in events))
        yield started
    finally:
        started.stop()


def web_service(queue: str) -> Starlette:
    """The publisher: an endpoint that starts a job and hands its work to the worker."""

    async def generate(request: Request) -> JSONResponse:
        with joblog.bind_job(user_id="user-7") as job_id, joblog.bind(request_id="req-42"):
            ids = {
                "render": celery_app.render.apply_async((3,), queue=queue).id,
                "flaky": celery_app.flaky.apply_async(queue=queue).id,
                "broken": celery_app.broken.apply_async(queue=queue).id,
            }
        ids["plain"] = celery_app.render.apply_async((1,), queue=queue).id
        return JSONResponse({"job_id": job_id, **ids})

    app = Starlette(routes=[Route("/generate", generate, methods=["POST"])])
    app.add_middleware(joblog.RequestLoggingMiddleware)
    return app


def of(events: list[dict[str, Any]], task_id: str) -> list[dict[str, Any]]:
    return [e for e in events if e.get("task_id") == task_id]


def test_tasks_of_a_job_log_its_ids_in_the_worker(
    app: Any, worker: Worker, configured: Callable[..., Any]
) -> None:
    """Lifecycle, task-logger and stdlib lines carry the job id, request id, named fields, task."""
    configured()
    config = uvicorn.Config(web_service(worker.queue), log_config=None, lifespan="off")
    with serving(config) as url:
        reply = httpx.post(f"{url}/generate", timeout=20).json()
    job_id = reply["job_id"]
    done = {reply["render"]: "Task succeeded", reply["flaky"]: "Task succeeded",
            reply["broken"]: "Task failed", reply["plain"]: "Task succeeded"}  # fmt: skip
    worker.wait_for(
        lambda events: all(any(e["message"] == m for e in of(events, t)) for t, m in done.items())
    )
    events = worker.events()
    for event in events:
        assert SCHEMA == list(event)[:4]

    render = of(events, reply["render"])
    assert ["Task started", "Rendering scene", "ffmpeg finished", "Task succeeded"] == [
        e["message"] for e in render if e["logger"] != "celery.app.trace"
    ]
    for event in render:
        assert (job_id, "req-42", "user-7", "tests.render") == (
            event["job_id"], event["request_id"], event["user_id"], event["task_name"],
        )  # fmt: skip
    assert 3 == render[1]["scene"]
    assert next(e for e in render if e["message"] == "Task succeeded")["elapsed_ms"] >= 0

    flaky = of(events, reply["flaky"])
    retried = [e for e in flaky if e["message"] == "Task retried"]
    assert 1 == len(retried)
    assert ("warning", "Kling returned 502", 0.2, "ConnectionError", job_id) == (
        retried[0]["level"], retried[0]["reason"], retried[0]["countdown"],
        retried[0]["error_type"], retried[0]["job_id"],
    )  # fmt: skip
    started = [e for e in flaky if e["message"] == "Task started"]
    assert [None, 1] == [e.get("retries") for e in started]
    assert all(e["job_id"] == job_id for e in flaky)

    broken = of(events, reply["broken"])
    failures = [e for e in broken if "error_type" in e]
    assert 1 == len(failures)  # Celery's own "raised unexpected" line is not repeated
    assert ("Task failed", "error", "RuntimeError", "compose failed", job_id) == (
        failures[0]["message"], failures[0]["level"], failures[0]["error_type"],
        failures[0]["error_message"], failures[0]["job_id"],
    )  # fmt: skip
    assert "Traceback" in failures[0]["exception"]

    plain = of(events, reply["plain"])
    assert plain
    assert all("job_id" not in e and "user_id" not in e for e in plain)


def test_publishing_inside_a_job_puts_the_ids_in_the_message_headers(app: Any, broker: str) -> None:
    """The message in Redis carries job_id, request_id and the named fields, nothing else bound."""
    client = redis.Redis.from_url(broker)
    client.delete("q-headers")
    with (
        joblog.bind_job("job-abc", user_id=7, secret_plan="x"),
        joblog.bind(request_id="r-1", scene=object()),
    ):
        celery_app.render.apply_async((1,), queue="q-headers")
    message = json.loads(client.lpop("q-headers"))
    client.close()
    assert {"job_id": "job-abc", "request_id": "r-1", "user_id": 7} == message["headers"]["joblog"]


class TestInstrument:
    def test_rejects_bad_field_names(self) -> None:
        """A field the worker binds itself, a schema key or a non-string raises ValueError."""
        for bad in ["task_id", "message", "", 3]:
            with pytest.raises(ValueError, match="invalid field"):
                joblog.celery.instrument(celery_app.app, fields=(bad,))  # type: ignore[arg-type]

    def test_fields_of_every_app_are_published(self) -> None:
        """Instrumenting a second app adds its fields; non-JSON values travel as text."""
        from celery import Celery

        other = joblog.celery.instrument(Celery("other"), fields=("tenant", "user_id"))
        headers: dict[str, Any] = {}
        when = datetime(2026, 1, 1, tzinfo=timezone.utc)
        with joblog.bind(tenant=when):
            joblog.celery._on_publish(headers=headers)
            joblog.celery._on_publish(headers=None)
        assert {"joblog": {"tenant": str(when)}} == headers
        del other


class TestEagerTasks:
    """``task.apply()`` runs the same signals in-process."""

    def test_an_eager_task_inherits_the_callers_job(self, configured: Callable[..., Any]) -> None:
        """Without a header the task's lines carry the caller's binding plus task_id."""
        configured()
        with capture_logs() as logs, joblog.bind_job("job-eager"):
            result = celery_app.render.apply((2,))
        assert 4 == result.get()
        lifecycle = [e for e in logs if e["logger"] == "joblog.celery"]
        assert ["Task started", "Task succeeded"] == [e["message"] for e in lifecycle]
        assert all(e["job_id"] == "job-eager" and e["task_id"] == result.id for e in lifecycle)
        assert joblog.current_job_id() is None

    def test_header_values_are_validated(self, configured: Callable[..., Any]) -> None:
        """A bad id in the headers is dropped with a warning; unknown names are ignored."""
        configured()
        carried = {"job_id": "bad\nid", "request_id": "r-9", "user_id": 1, "other": 2}
        with capture_logs() as logs:
            celery_app.render.apply((1,), headers={"joblog": carried})
        warning = logs[0]
        assert ("Ignored an invalid id from the task headers", "job_id") == (
            warning["message"], warning["field"],
        )  # fmt: skip
        started = logs[1]
        assert ("r-9", 1) == (started["request_id"], started["user_id"])
        assert "job_id" not in started
        assert "other" not in started

    def test_an_uninstrumented_apps_tasks_are_left_alone(
        self, configured: Callable[..., Any]
    ) -> None:
        """Only instrumented apps' tasks get joblog's bindings and lifecycle lines."""
        from celery import Celery

        configured()
        plain_app = Celery("plain")

        @plain_app.task
        def untouched() -> int:
            return 1

        with capture_logs() as logs:
            untouched.apply()
        assert [] == [e for e in logs if e["logger"] == "joblog.celery"]


def test_a_retry_for_a_later_time_logs_its_eta(configured: Callable[..., Any]) -> None:
    """``retry(eta=...)`` without a cause logs ``eta`` and the retry's message as the reason."""
    from types import SimpleNamespace

    from celery.exceptions import Retry

    configured()
    eta = datetime(2030, 1, 1, tzinfo=timezone.utc)
    run = joblog.celery._Run("t-1", joblog.bind(task_id="t-1"))
    joblog.celery._runs.stack.append(run)
    try:
        with capture_logs() as logs:
            joblog.celery._on_retry(
                request=SimpleNamespace(id="t-1", retries=None), reason=Retry("later", when=eta)
            )
    finally:
        joblog.celery._runs.stack.remove(run)
    assert ("Task retried", "later", eta.isoformat(), 0) == (
        logs[0]["message"], logs[0]["reason"], logs[0]["eta"], logs[0]["retries"],
    )  # fmt: skip
    assert "countdown" not in logs[0]
    assert "error_type" not in logs[0]


def test_signals_without_a_run_do_nothing(configured: Callable[..., Any]) -> None:
    """Receivers for a task joblog never saw start (or partial signals) log nothing."""
    configured()
    with capture_logs() as logs:
        joblog.celery._on_prerun(task_id=None, task=None)
        joblog.celery._on_success(sender=None)
        joblog.celery._on_failure(task_id="nope", exception=None)
        joblog.celery._on_retry(request=None, reason=None)
        joblog.celery._on_postrun(task_id="nope")
        joblog.celery._on_worker_setup(instance=None)
    assert [] == logs


def test_setup_logging_configures_joblog_when_the_app_did_not(output: Any) -> None:
    """The worker's logging setup installs joblog's handler if the app never configured it."""
    import logging

    from joblog.stdlib import JoblogHandler

    joblog.celery._on_setup_logging(loglevel=20)
    assert any(isinstance(h, JoblogHandler) for h in logging.getLogger().handlers)
    joblog.configure(stream=output, renderer="json")
    joblog.celery._on_setup_logging(loglevel=20)
    assert 1 == sum(isinstance(h, JoblogHandler) for h in logging.getLogger().handlers)


def test_eager_retry_and_failure(configured: Callable[..., Any]) -> None:
    """In-process: a retried task runs again nested and logs both; a failure logs once."""
    configured()
    with capture_logs() as logs, joblog.bind_job("job-local"):
        celery_app.flaky.apply()
        celery_app.broken.apply()
    mine = [e for e in logs if e["logger"] == "joblog.celery"]
    assert [
        ("Task started", None),
        ("Task retried", 0),
        ("Task started", 1),
        ("Task succeeded", None),
        ("Task started", None),
        ("Task failed", None),
    ] == [(e["message"], e.get("retries")) for e in mine]
    retried = mine[1]
    assert (0.2, "ConnectionError", "Kling returned 502") == (
        retried["countdown"],
        retried["error_type"],
        retried["reason"],
    )
    assert "compose failed" == mine[5]["error_message"]
    assert all(e["job_id"] == "job-local" for e in logs)


def test_the_banner_is_kept_off_stdout_and_nothing_bound_sends_no_header() -> None:
    """An instrumented app's worker is made quiet; a publish outside a job adds no header."""
    from types import SimpleNamespace

    instance = SimpleNamespace(app=celery_app.app, quiet=False)
    joblog.celery._on_worker_setup(instance=instance)
    headers: dict[str, Any] = {}
    joblog.celery._on_publish(headers=headers)
    assert (True, {}) == (instance.quiet, headers)


def test_nested_runs_are_told_apart_and_a_retry_may_have_no_time(
    configured: Callable[..., Any],
) -> None:
    """The run of a task id is found under a nested one; a retry without when logs neither."""
    from types import SimpleNamespace

    from celery.exceptions import Retry

    configured()
    outer = joblog.celery._Run("t-outer", joblog.bind())
    inner = joblog.celery._Run("t-inner", joblog.bind())
    joblog.celery._runs.stack.extend([outer, inner])
    try:
        assert outer is joblog.celery._current("t-outer")
        with capture_logs() as logs:
            joblog.celery._on_retry(
                request=SimpleNamespace(id="t-outer", retries=2), reason=Retry("again")
            )
    finally:
        del joblog.celery._runs.stack[-2:]
    assert "countdown" not in logs[0]
    assert "eta" not in logs[0]
