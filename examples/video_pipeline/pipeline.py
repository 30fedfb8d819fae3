"""
The generation pipeline: every step logged as in the architecture's example trace.

``run_job`` runs the job inside ``joblog.job(job_id)``: the job's lifecycle
lines (``Job started``/``completed``/``failed``/``cancelled``, the only lines
with ``status``) and its ``job_id`` on every line below — this module's, the
vendor calls' ``HTTP request`` lines, the parallel scene tasks' — without
anyone passing it around.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Iterable
from dataclasses import dataclass
from typing import TypeVar

import joblog

from .adapters import Adapters, Scene, TransientAPIError
from .jobs import Job
from .settings import Settings

__all__ = ["GenerateRequest", "run_job"]

log = joblog.get_logger("video_pipeline.pipeline")

T = TypeVar("T")

#: Seconds between two Kling status polls (scaled by Settings.time_scale).
POLL_INTERVAL = 5.0
#: Attempts to create a Kling prediction before a 503 is fatal.
KLING_ATTEMPTS = 3


@dataclass(frozen=True)
class GenerateRequest:
    """What the client asked for."""

    prompt: str
    num_scenes: int
    duration: int


async def run_job(
    job: Job, request: GenerateRequest, adapters: Adapters, settings: Settings
) -> None:
    """Generate the video; record the outcome on *job*. Never raises but for cancellation."""
    job.status = "processing"
    try:
        async with joblog.job(job.job_id):
            job.video_key = await _generate(job, request, adapters, settings)
        job.status = "completed"
    except asyncio.CancelledError:
        job.status = "cancelled"  # `Job cancelled` is logged by joblog.job()
        raise
    except Exception as exc:
        # `Job failed`, with the exception fields, is logged by joblog.job().
        job.status = "failed"
        job.error_message = str(exc)


async def _generate(
    job: Job, request: GenerateRequest, adapters: Adapters, settings: Settings
) -> str:
    started = time.monotonic()
    # user_id on this line only, as in the architecture's trace.
    log.info("Starting fully async generation", user_id=job.user_id)
    async with joblog.stage(
        "script", start="Generating script with GPT-4o", done="Script generated successfully"
    ) as script_stage:
        script = await adapters.gpt.write_script(
            request.prompt, request.num_scenes, request.duration
        )
        script_stage.add(script_id=script.script_id)

    for scene in script.scenes:
        log.info("Scene details", scene_number=scene.number, duration=scene.duration)

    videos = await _all(_generate_scene(scene, adapters, settings) for scene in script.scenes)

    async with joblog.stage(
        "audio", start="Generating audio", done="Audio generated"
    ) as audio_stage:
        audio = await adapters.minimax.narrate(script)
        audio_url = await adapters.s3.put(f"jobs/{job.job_id}/narration.mp3", audio)
        audio_stage.add(audio_url=audio_url)

    async with joblog.stage(
        "compose", start="Composing final video", done="Video generation complete"
    ) as compose_stage:
        final = await adapters.ffmpeg.compose(videos, audio)
        video_key = f"videos/{job.job_id}.mp4"
        await adapters.s3.put(video_key, final)
        compose_stage.add(
            video_key=video_key,
            num_scenes=len(script.scenes),
            duration=request.duration,  # what the performance query groups by
            total_time=round(time.monotonic() - started, 3),
        )
    return video_key


async def _generate_scene(scene: Scene, adapters: Adapters, settings: Settings) -> bytes:
    """One scene: create the Kling prediction (retrying 503s), poll it, store the video."""
    # A stage per scene: its lines carry scene=N, and `joblog trace` draws the
    # parallel scenes as bars of their own.
    async with joblog.stage(
        "scene",
        start="Calling Kling adapter",
        done=f"Scene {scene.number} video generated",
        scene=scene.number,
    ) as scene_stage:
        prediction_id = await _create_prediction(scene, adapters, settings)
        log.info(f"Scene {scene.number} generation started", prediction_id=prediction_id)

        # One sampler per polling loop: "Kling still processing" once every
        # 12 polls (once a minute at one poll every 5 s), and whatever was
        # held back is flushed when the loop ends. The polls' own HTTP lines
        # are sampled with it, so they follow the same rhythm.
        with joblog.sampled(log, every=settings.poll_log_every) as polls:
            attempt = 0
            while True:
                await asyncio.sleep(POLL_INTERVAL * settings.time_scale)
                attempt += 1
                prediction = await adapters.kling.status(prediction_id)
                if prediction.state == "succeeded":
                    break
                polls.debug("Kling still processing", attempt=attempt)

        job_id = joblog.current_job_id()
        key = f"jobs/{job_id}/scene-{scene.number}.mp4"
        scene_stage.add(video_url=await adapters.s3.put(key, prediction.video))
        return prediction.video


async def _create_prediction(scene: Scene, adapters: Adapters, settings: Settings) -> str:
    for attempt in range(1, KLING_ATTEMPTS + 1):
        try:
            return await adapters.kling.create(scene)
        except TransientAPIError as exc:  # noqa: PERF203 - a retry loop, by design
            if attempt == KLING_ATTEMPTS:
                raise
            log.warning(
                "Kling API error, retrying",
                attempt=attempt,
                status_code=exc.status_code,
                error_message=str(exc),
            )
            await asyncio.sleep(attempt * 1.0 * settings.time_scale)
    raise AssertionError("unreachable")  # pragma: no cover


async def _all(awaitables: Iterable[Awaitable[T]]) -> list[T]:
    """Run in parallel; if one fails, cancel the others and re-raise (TaskGroup, 3.10-style)."""
    tasks = [asyncio.ensure_future(a) for a in awaitables]
    try:
        return list(await asyncio.gather(*tasks))
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise
