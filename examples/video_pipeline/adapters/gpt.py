"""GPT-4o writes the script: one scene description per scene."""

from __future__ import annotations

import asyncio
import logging
import uuid
from dataclasses import dataclass

from .errors import PermanentAPIError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Scene:
    number: int
    duration: int
    description: str


@dataclass(frozen=True)
class Script:
    script_id: str
    scenes: list[Scene]


class FakeGPT4o:
    """Answers after ~2 s (scaled) with a script of *num_scenes* scenes."""

    def __init__(self, scale: float, *, fail: bool = False) -> None:
        self._scale = scale
        self._fail = fail

    async def write_script(self, prompt: str, num_scenes: int, duration: int) -> Script:
        log.debug("POST https://api.openai.com/v1/chat/completions model=gpt-4o")
        await asyncio.sleep(2.0 * self._scale)
        if self._fail:
            raise PermanentAPIError("OpenAI", 400, "content policy violation")
        scenes = [
            Scene(number=n, duration=duration, description=f"{prompt} (scene {n})")
            for n in range(1, num_scenes + 1)
        ]
        return Script(script_id=f"script-{uuid.uuid4().hex[:6]}", scenes=scenes)
