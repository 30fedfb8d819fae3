"""S3, played by a local folder: real files, ``s3://bucket/key`` URLs."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

log = logging.getLogger(__name__)


class LocalS3:
    """Writes objects to ``<root>/<bucket>/<key>`` and returns ``s3://<bucket>/<key>``."""

    def __init__(self, root: Path, bucket: str, scale: float) -> None:
        self._root = root
        self._bucket = bucket
        self._scale = scale

    async def put(self, key: str, data: bytes) -> str:
        path = self._root / self._bucket / key
        await asyncio.sleep(0.2 * self._scale)
        await asyncio.to_thread(_write, path, data)
        url = f"s3://{self._bucket}/{key}"
        log.debug("Uploaded %s (%d bytes)", url, len(data))
        return url


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
