"""
Write the log of the reference video pipeline: what ``joblog query`` and ``joblog trace`` read.

    python examples/pipeline_log.py pipeline.jsonl

Three jobs run concurrently, as the service runs them: ``job-abc123`` and
``job-def456`` succeed (their two scenes render in parallel); ``job-0f9e8d``
fails when the Kling API answers 500 for its second scene.  Every line is
written by joblog loggers (and one stdlib logger, standing in for httpx)
through ``bind_job`` and ``stage``, exactly as the service writes them.
The sleeps are scaled by ``--scale`` (1.0: about a second in all).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import time
from datetime import timedelta
from typing import IO

import joblog

log = joblog.get_logger("app.generate")
http_log = joblog.get_logger("app.http")
httpx = logging.getLogger("httpx")  # a third-party library's stdlib logger

#: The jobs: id, user, number of scenes, whether the Kling API fails for scene 2.
JOBS = (
    ("job-abc123", "user-xyz", False),
    ("job-def456", "user-klm", False),
    ("job-0f9e8d", "user-xyz", True),
)


class KlingAPIError(RuntimeError):
    """The Kling API answered with an error status."""


async def render_scene(scene: int, fail: bool, scale: float) -> str:
    async with joblog.stage(
        "scene",
        start=f"Scene {scene} generation started",
        done=f"Scene {scene} video generated",
        logger=log,
        scene=scene,
    ):
        log.info("Calling Kling adapter", prediction_id=f"kling-{scene}")
        httpx.info('HTTP Request: POST https://api.kling.example/v1/videos "HTTP/1.1 200 OK"')
        for attempt in (1, 2, 3):
            await asyncio.sleep(0.04 * scale * (scene + attempt))
            log.debug("Kling still processing", attempt=attempt * 12)
        if fail:
            log.warning("Kling request failed, retrying", attempt=1, status=500)
            await asyncio.sleep(0.05 * scale)
            raise KlingAPIError("Kling API error: 500 Internal Server Error")
        url = f"s3://videos/scenes/{scene}.mp4"
        log.info("Scene uploaded", video_url=url)
        return url


async def generate(job_id: str, user_id: str, fail: bool, scale: float) -> None:
    http_log.info("Request started", method="POST", path="/api/v1/generate", client_ip="10.0.0.7")
    started = time.perf_counter()
    with joblog.bind_job(job_id, user_id=user_id):
        log.info("Starting fully async generation")
        http_log.info(
            "Request completed",
            method="POST",
            path="/api/v1/generate",
            status=202,
            latency_ms=round((time.perf_counter() - started) * 1000, 3),
            response_size=124,
        )
        try:
            async with joblog.stage(
                "script",
                start="Generating script with GPT-4o",
                done="Script generated successfully",
                logger=log,
            ):
                await asyncio.sleep(0.12 * scale)
                log.info("Script ready", script_id=f"script-{job_id[4:]}", model="gpt-4o")
            for scene in (1, 2):
                log.debug("Scene details", scene_number=scene, duration=5)
            urls = await asyncio.gather(
                *(render_scene(scene, fail and scene == 2, scale) for scene in (1, 2))
            )
            async with joblog.stage(
                "audio", start="Generating audio", done="Audio generated", logger=log
            ):
                await asyncio.sleep(0.08 * scale)
                log.info("Audio uploaded", audio_url=f"s3://audio/{job_id}.mp3")
            async with joblog.stage(
                "compose", start="Composing final video", done="Final video composed", logger=log
            ):
                await asyncio.sleep(0.15 * scale)
            log.info(
                "Video generation complete",
                video_key=f"videos/{job_id}/final.mp4",
                video_urls=urls,
                num_scenes=len(urls),
                duration=5 * len(urls),
                total_time=timedelta(seconds=time.perf_counter() - started),
                status="completed",
            )
        except KlingAPIError as exc:
            log.error(
                "Video generation failed",
                status="failed",
                error_message=str(exc),
                total_time=timedelta(seconds=time.perf_counter() - started),
            )


async def run(scale: float) -> None:
    await asyncio.gather(
        *(
            generate(job_id, user_id, fail, scale * (1 + index / 4))
            for index, (job_id, user_id, fail) in enumerate(JOBS)
        )
    )


def write_pipeline_log(stream: IO[str], *, scale: float = 1.0) -> None:
    """Run the three jobs, logging JSON lines at debug level into *stream*."""
    joblog.configure(renderer="json", level="debug", stream=stream)
    logging.getLogger("asyncio").setLevel(logging.INFO)  # not its selector's debug line
    asyncio.run(run(scale))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    parser.add_argument("path", nargs="?", help="the file to write (default: stdout)")
    parser.add_argument("--scale", type=float, default=1.0, help="scale the sleeps")
    args = parser.parse_args()
    if args.path is None:
        write_pipeline_log(sys.stdout, scale=args.scale)
        return 0
    with open(args.path, "w", encoding="utf-8") as stream:
        write_pipeline_log(stream, scale=args.scale)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
