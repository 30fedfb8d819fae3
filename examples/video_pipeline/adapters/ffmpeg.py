"""ffmpeg composes the final video: the real binary when installed, a placeholder otherwise."""

from __future__ import annotations

import asyncio
import logging
import shutil
import tempfile
from pathlib import Path

from .errors import PermanentAPIError

log = logging.getLogger(__name__)


class FfmpegComposer:
    """Joins the scenes and the narration into one MP4."""

    def __init__(self, scale: float, *, fail: bool = False) -> None:
        self._scale = scale
        self._fail = fail

    async def compose(self, scene_videos: list[bytes], audio: bytes) -> bytes:
        await asyncio.sleep(1.0 * self._scale)
        if self._fail:
            raise PermanentAPIError("ffmpeg", 1, "Invalid data found when processing input")
        binary = shutil.which("ffmpeg")
        if binary is None:
            log.info("ffmpeg is not installed; writing a placeholder video")
            return b"placeholder video: " + b" + ".join(scene_videos) + b" + " + audio
        return await _render(binary, seconds=max(1, len(scene_videos)))


async def _render(binary: str, seconds: int) -> bytes:
    """A real (if plain) MP4: a test pattern with silence, one second per scene."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "final.mp4"
        args = [
            binary, "-hide_banner", "-loglevel", "error", "-y",
            "-f", "lavfi", "-i", f"testsrc=size=320x240:rate=10:duration={seconds}",
            "-f", "lavfi", "-i", f"anullsrc=duration={seconds}",
            "-shortest", "-pix_fmt", "yuv420p", str(out),
        ]  # fmt: skip
        log.debug("Running %s", " ".join(args))
        process = await asyncio.create_subprocess_exec(
            *args, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE
        )
        _, stderr = await process.communicate()
        if process.returncode != 0:
            raise PermanentAPIError("ffmpeg", process.returncode or 1, stderr.decode()[-200:])
        return out.read_bytes()
