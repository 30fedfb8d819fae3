"""The Celery app the worker tests run: ``celery -A tests.celery_app worker``."""

from __future__ import annotations

import logging
import os

from celery import Celery
from celery.utils.log import get_task_logger

import joblog
import joblog.celery

joblog.configure(renderer="json", level="info")

BROKER = os.environ.get("JOBLOG_TEST_BROKER", "memory://")
app = joblog.celery.instrument(
    Celery("joblog_tests", broker=BROKER, backend=BROKER if BROKER.startswith("redis") else None),
    fields=("user_id",),
)
app.conf.update(
    broker_connection_retry_on_startup=True,
    worker_hijack_root_logger=True,  # joblog's setup_logging receiver must win anyway
    task_default_queue="default",
)

task_log = get_task_logger(__name__)
plain_log = logging.getLogger("video.compose")


@app.task(name="tests.render")
def render(scene: int) -> int:
    task_log.info("Rendering scene", extra={"scene": scene})
    plain_log.info("ffmpeg finished")
    return scene * 2


@app.task(name="tests.flaky", bind=True, max_retries=2)
def flaky(self: object) -> str:
    request = self.request  # type: ignore[attr-defined]
    if request.retries == 0:
        raise self.retry(countdown=0.2, exc=ConnectionError("Kling returned 502"))  # type: ignore[attr-defined]
    return "ok"


@app.task(name="tests.broken")
def broken() -> None:
    raise RuntimeError("compose failed")
