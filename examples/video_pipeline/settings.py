"""Settings, read from the environment once at start-up."""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

DEV_JWT_SECRET = "dev-only-secret-change-me-in-production"  # noqa: S105 - a documented development default


@dataclass(frozen=True)
class Settings:
    """
    What the service needs to know.

    Attributes:
        jwt_secret: HS256 key for bearer tokens (``VIDEO_PIPELINE_JWT_SECRET``).
        time_scale: multiplies every real-world delay (``VIDEO_PIPELINE_TIME_SCALE``);
            1.0 polls Kling every 5 s like production, 0.001 every 5 ms for the demo.
        storage_dir: where the S3 stand-in writes its objects
            (``VIDEO_PIPELINE_STORAGE_DIR``).
        bucket: the bucket name used in ``s3://`` URLs.
        allow_simulation: honour a request's ``simulate`` field (failure
            injection for demos and tests; ``VIDEO_PIPELINE_ALLOW_SIMULATION=1``).
        poll_log_every: one "Kling still processing" line per this many polls.
        vendor_url: where GPT-4o, Kling and Minimax answer (the fake vendor of
            ``vendor.py``; ``VIDEO_PIPELINE_VENDOR_URL``).
        propagate_to: hosts trusted with the job and request ids of outgoing
            calls (none: the vendors are third parties).
    """

    jwt_secret: str = DEV_JWT_SECRET
    time_scale: float = 1.0
    storage_dir: Path = field(
        default_factory=lambda: Path(tempfile.gettempdir()) / "video-pipeline"
    )
    bucket: str = "video-pipeline"
    allow_simulation: bool = False
    poll_log_every: int = 12
    vendor_url: str = "http://127.0.0.1:8001"
    propagate_to: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.jwt_secret:
            raise ValueError("jwt_secret must not be empty")
        if not self.time_scale > 0:
            raise ValueError(f"time_scale must be > 0, got {self.time_scale!r}")

    @classmethod
    def from_env(cls) -> Settings:
        """Build settings from ``VIDEO_PIPELINE_*`` environment variables."""
        env = os.environ
        defaults = cls()
        return cls(
            jwt_secret=env.get("VIDEO_PIPELINE_JWT_SECRET", defaults.jwt_secret),
            time_scale=float(env.get("VIDEO_PIPELINE_TIME_SCALE", defaults.time_scale)),
            storage_dir=Path(env.get("VIDEO_PIPELINE_STORAGE_DIR", str(defaults.storage_dir))),
            bucket=env.get("VIDEO_PIPELINE_BUCKET", defaults.bucket),
            allow_simulation=env.get("VIDEO_PIPELINE_ALLOW_SIMULATION", "") == "1",
            vendor_url=env.get("VIDEO_PIPELINE_VENDOR_URL", defaults.vendor_url),
        )
