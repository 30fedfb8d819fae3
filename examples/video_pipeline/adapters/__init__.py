"""
External services behind small interfaces, with local stand-ins.

The adapters take no job id (the architecture: "wrapped by handler"): the
handler binds it once and every line they log, with plain :mod:`logging`,
carries it. The default implementations are local fakes with realistic
latency (scaled by ``Settings.time_scale``) and failure injection
(:class:`Faults`), so the whole pipeline runs on a laptop.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Protocol

from ..settings import Settings
from .errors import APIError, PermanentAPIError, TransientAPIError
from .ffmpeg import FfmpegComposer
from .gpt import FakeGPT4o, Scene, Script
from .kling import FakeKling, Prediction
from .minimax import FakeMinimax
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


def make_adapters(settings: Settings, faults: Faults | None = None) -> Adapters:
    """The local stand-ins, with *faults* injected."""
    faults = faults or Faults()
    scale = settings.time_scale
    return Adapters(
        gpt=FakeGPT4o(scale, fail=faults.fail_at == "script"),
        kling=FakeKling(scale, transient=faults.kling_503, fail=faults.fail_at == "kling"),
        minimax=FakeMinimax(scale, fail=faults.fail_at == "audio"),
        ffmpeg=FfmpegComposer(scale, fail=faults.fail_at == "compose"),
        s3=LocalS3(settings.storage_dir, settings.bucket, scale),
    )
