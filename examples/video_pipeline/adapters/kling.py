"""Kling renders a scene: create a prediction, then poll it until the video is ready."""

from __future__ import annotations

import asyncio
import itertools
import logging
from dataclasses import dataclass
from typing import Literal

from .errors import PermanentAPIError, TransientAPIError
from .gpt import Scene

log = logging.getLogger(__name__)
_ids = itertools.count(1)

#: Kling answers "processing" this many times before the video is ready
#: (about a minute at one poll every 5 s).
PROCESSING_POLLS = 12


@dataclass(frozen=True)
class Prediction:
    state: Literal["processing", "succeeded"]
    video: bytes = b""


class FakeKling:
    """A fake Kling API: 503s on demand, then a video after ``PROCESSING_POLLS`` polls."""

    def __init__(self, scale: float, *, transient: dict[int, int], fail: bool = False) -> None:
        self._scale = scale
        self._transient = dict(transient)
        self._fail = fail
        self._polls: dict[str, int] = {}

    async def create(self, scene: Scene) -> str:
        log.debug("POST https://api.klingai.com/v1/videos/text2video duration=%d", scene.duration)
        await asyncio.sleep(0.5 * self._scale)
        if self._transient.get(scene.number, 0) > 0:
            self._transient[scene.number] -= 1
            raise TransientAPIError("Kling", 503, "Service Unavailable")
        if self._fail:
            raise PermanentAPIError("Kling", 422, "prompt rejected by safety filter")
        prediction_id = f"kling-{next(_ids)}"
        self._polls[prediction_id] = 0
        return prediction_id

    async def status(self, prediction_id: str) -> Prediction:
        await asyncio.sleep(0.05 * self._scale)
        self._polls[prediction_id] += 1
        if self._polls[prediction_id] <= PROCESSING_POLLS:
            return Prediction("processing")
        return Prediction("succeeded", video=f"video of {prediction_id}".encode())
