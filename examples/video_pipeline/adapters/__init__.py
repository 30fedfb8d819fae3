"""
External services behind small interfaces, with local stand-ins.

The adapters take no job id (the architecture: "wrapped by handler"): the
job binds it once and every line they cause carries it. GPT-4o, Kling and
Minimax are called over real HTTP (a fake vendor on 127.0.0.1, see
``vendor.py``) through one ``httpx.AsyncClient`` whose ``joblog.httpx``
transport logs each call; ffmpeg and S3 are local. Failure injection
(:class:`Faults`) asks the fake vendor for error statuses.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Protocol

import httpx

from ..settings import Settings
from .errors import APIError, PermanentAPIError, TransientAPIError
from .ffmpeg import FfmpegComposer
from .gpt import GPT4o, Scene, Script
from .kling import Kling, Prediction
from .minimax import Minimax
from .s3 import LocalS3

__all__ = [
    "APIError",
    "Adapters",
    "Faults",
    "PermanentAPIError",
    "Prediction",
    "Scene",
    "Script",
    "TransientAPIError",
    "make_adapters",
]

Stage = Literal["script", "kling", "audio", "compose"]


@dataclass(frozen=True)
class Faults:
    """
    Failure injection for one job (demos and tests only).

    Attributes:
        kling_503: scene number -> how many times Kling answers 503 before accepting it.
        fail_at: the service that fails permanently, if any.
    """

    kling_503: dict[int, int] = field(default_factory=dict)
    fail_at: Stage | None = None


class ScriptWriter(Protocol):
    async def write_script(self, prompt: str, num_scenes: int, duration: int) -> Script: ...


class VideoGenerator(Protocol):
    async def create(self, scene: Scene) -> str: ...
    async def status(self, prediction_id: str) -> Prediction: ...


class AudioGenerator(Protocol):
    async def narrate(self, script: Script) -> bytes: ...


class Composer(Protocol):
    async def compose(self, scene_videos: list[bytes], audio: bytes) -> bytes: ...


class Storage(Protocol):
    async def put(self, key: str, data: bytes) -> str: ...


@dataclass(frozen=True)
class Adapters:
    """The services one job uses."""

    gpt: ScriptWriter
    kling: VideoGenerator
    minimax: AudioGenerator
    ffmpeg: Composer
    s3: Storage


def make_adapters(
    settings: Settings, client: httpx.AsyncClient, faults: Faults | None = None
) -> Adapters:
    """The adapters of one job: the vendors through *client*, with *faults* injected."""
    faults = faults or Faults()
    scale = settings.time_scale
    url = settings.vendor_url
    return Adapters(
        gpt=GPT4o(client, url, fail=faults.fail_at == "script"),
        kling=Kling(client, url, transient=faults.kling_503, fail=faults.fail_at == "kling"),
        minimax=Minimax(client, url, fail=faults.fail_at == "audio"),
        ffmpeg=FfmpegComposer(scale, fail=faults.fail_at == "compose"),
        s3=LocalS3(settings.storage_dir, settings.bucket, scale),
    )
