"""
A job's lifecycle in a dozen lines: the smallest complete use of joblog.

    python examples/lifecycle.py

Every line below carries the job's job_id: the joblog logger's, the plain
``logging`` logger's (standing in for httpx or boto3), the parallel scene
tasks', and the worker thread's.
"""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor

import joblog

log = joblog.get_logger("app.generate")
http = logging.getLogger("httpx")  # a third-party library's stdlib logger


def encode_audio(path: str) -> str:
    log.info("Encoding audio in a worker thread", path=path)
    return path.replace(".wav", ".mp3")


async def render_scene(scene: int) -> str:
    async with joblog.stage("scene", start=f"Scene {scene} generation started", scene=scene):
        http.info('HTTP Request: POST https://api.kling.example/v1/videos "HTTP/1.1 200 OK"')
        await asyncio.sleep(0.01 * scene)
        return f"s3://videos/scene-{scene}.mp4"


async def main() -> None:
    joblog.configure(renderer="console" if __name__ == "__main__" else None)
    with joblog.bind_job(user_id="user-xyz") as job_id:
        log.info("Starting fully async generation")
        urls = await asyncio.gather(*(render_scene(n) for n in (1, 2)))
        log.info("Scenes generated", video_urls=urls)
        loop = asyncio.get_running_loop()
        with ThreadPoolExecutor(max_workers=1) as pool:
            audio = await loop.run_in_executor(
                pool, joblog.carry_context(encode_audio), "audio/narration.wav"
            )
        try:
            raise TimeoutError("ffmpeg took longer than 30s")
        except TimeoutError:
            log.warning("Composition timed out, retrying", exc_info=True, attempt=1)
        log.info("Video generation complete", job_id=job_id, audio_url=audio, num_scenes=2)


if __name__ == "__main__":
    asyncio.run(main())
