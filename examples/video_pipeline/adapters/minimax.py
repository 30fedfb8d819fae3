"""Minimax narrates the script."""

from __future__ import annotations

import asyncio
import logging

from .errors import PermanentAPIError
from .gpt import Script

log = logging.getLogger(__name__)


class FakeMinimax:
    """Answers after ~3 s (scaled) with narration audio."""

    def __init__(self, scale: float, *, fail: bool = False) -> None:
        self._scale = scale
        self._fail = fail

    async def narrate(self, script: Script) -> bytes:
        log.debug("POST https://api.minimax.chat/v1/t2a_v2 scenes=%d", len(script.scenes))
        await asyncio.sleep(3.0 * self._scale)
        if self._fail:
            raise PermanentAPIError("Minimax", 422, "voice_id not found")
        return f"narration for {script.script_id}".encode()
