"""
The compose stage on a Celery worker: ``celery -A video_pipeline.celery_app worker``.

The service publishes the ``video_pipeline.compose`` task from inside the job
(:func:`make_celery_adapters` swaps the local ffmpeg adapter for
:class:`CeleryComposer`); ``joblog.celery`` carries the job's ``job_id`` in
the message, so the worker's lines (``Task started``, ffmpeg's own line,
``Task succeeded``) carry it too, with the task's ``task_id``. The broker
and result backend are ``VIDEO_PIPELINE_BROKER_URL`` (Redis); the worker writes
its JSON lines to ``VIDEO_PIPELINE_LOG_FILE`` if set, else to stdout.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import os
import sys
from typing import Any

import httpx
from celery import Celery, signals  # type: ignore[import-untyped]  # celery ships no types

import joblog
import joblog.celery

from .adapters import Adapters, Faults, make_adapters
from .adapters.ffmpeg import FfmpegComposer
from .settings import Settings

__all__ = [
    "COMPOSE_TIMEOUT",
    "WORKER_QUIET",
    "CeleryComposer",
    "app",
    "compose",
    "make_celery_adapters",
]

#: Seconds the job waits for the worker's result before the compose stage fails.
COMPOSE_TIMEOUT = 60.0

BROKER = os.environ.get("VIDEO_PIPELINE_BROKER_URL", "redis://127.0.0.1:6379/0")
app = joblog.celery.instrument(Celery("video_pipeline", broker=BROKER, backend=BROKER))
app.conf.update(broker_connection_retry_on_startup=True, task_default_queue="compose")


#: Worker loggers kept at warning: Celery's per-task lines (joblog.celery writes
#: its own, without the return value) and asyncio's selector line per task.
WORKER_QUIET = ("celery.app.trace", "celery.worker.strategy", "asyncio")
# Celery logs the source of each task's signature check at debug, in the service too.
logging.getLogger("celery.utils.functional").setLevel(logging.INFO)


@signals.celeryd_init.connect  # type: ignore[untyped-decorator]
def _configure_worker(**_: Any) -> None:
    # In the worker only: the service configures joblog itself. A file keeps
    # the lines apart from what Celery prints on stdout (its shutdown notice).
    path = os.environ.get("VIDEO_PIPELINE_LOG_FILE")
    stream = open(path, "a", buffering=1) if path else sys.stdout  # noqa: SIM115 - the worker's life
    joblog.configure(renderer="json", level="debug", stream=stream, silence=WORKER_QUIET)


def _b64(data: bytes) -> str:
    # The task message is JSON: the (small) media travel as base64. A real
    # deployment passes the storage keys of the scenes instead.
    return base64.b64encode(data).decode("ascii")


@app.task(name="video_pipeline.compose")  # type: ignore[untyped-decorator]
def compose(scene_videos: list[str], audio: str, time_scale: float, fail: bool) -> str:
    """Join the scenes and the narration (base64) with ffmpeg; return the video (base64)."""
    composer = FfmpegComposer(time_scale, fail=fail)
    videos = [base64.b64decode(video) for video in scene_videos]
    return _b64(asyncio.run(composer.compose(videos, base64.b64decode(audio))))


class CeleryComposer:
    """The ffmpeg adapter of the service when composing runs on a worker."""

    def __init__(self, time_scale: float, *, fail: bool = False) -> None:
        self._time_scale = time_scale
        self._fail = fail

    async def compose(self, scene_videos: list[bytes], audio: bytes) -> bytes:
        # Publishing and waiting block: a thread keeps the event loop free, and
        # asyncio.to_thread copies the context, so the job's ids are published.
        return await asyncio.to_thread(self._run, scene_videos, audio)

    def _run(self, scene_videos: list[bytes], audio: bytes) -> bytes:
        args = ([_b64(v) for v in scene_videos], _b64(audio), self._time_scale, self._fail)
        result = compose.apply_async(args)
        try:
            return base64.b64decode(result.get(timeout=COMPOSE_TIMEOUT))
        finally:
            result.forget()


def make_celery_adapters(
    settings: Settings, client: httpx.AsyncClient, faults: Faults | None = None
) -> Adapters:
    """:func:`~video_pipeline.adapters.make_adapters`, composing on the Celery worker."""
    local = make_adapters(settings, client, faults)
    fail = faults is not None and faults.fail_at == "compose"
    return Adapters(
        gpt=local.gpt,
        kling=local.kling,
        minimax=local.minimax,
        ffmpeg=CeleryComposer(settings.time_scale, fail=fail),
        s3=local.s3,
    )
