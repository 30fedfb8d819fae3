"""Kling renders a scene: create a prediction, then poll it until the video is ready."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import httpx

from .gpt import Scene
from .http import call


@dataclass(frozen=True)
class Prediction:
    state: Literal["processing", "succeeded"]
    video: bytes = b""


class Kling:
    """The Kling API; *transient* maps a scene to how many 503s to ask for first."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        base_url: str,
        *,
        transient: dict[int, int],
        fail: bool = False,
    ) -> None:
        self._client = client
        self._url = f"{base_url}/kling/v1/videos"
        self._transient = dict(transient)
        self._fail = fail

    async def create(self, scene: Scene) -> str:
        simulate = None
        if self._transient.get(scene.number, 0) > 0:
            self._transient[scene.number] -= 1
            simulate = (503, "Service Unavailable")
        elif self._fail:
            simulate = (422, "prompt rejected by safety filter")
        response = await call(
            self._client,
            "Kling",
            "POST",
            f"{self._url}/text2video",
            json={"prompt": scene.description, "duration": scene.duration},
            simulate=simulate,
        )
        return str(response.json()["prediction_id"])

    async def status(self, prediction_id: str) -> Prediction:
        body = (await call(self._client, "Kling", "GET", f"{self._url}/{prediction_id}")).json()
        if body["state"] == "succeeded":
            return Prediction("succeeded", video=str(body["video"]).encode())
        return Prediction("processing")
