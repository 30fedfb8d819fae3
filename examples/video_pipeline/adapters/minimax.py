"""Minimax narrates the script."""

from __future__ import annotations

import httpx

from .gpt import Script
from .http import call


class Minimax:
    """The text-to-audio API (~3 s)."""

    def __init__(self, client: httpx.AsyncClient, base_url: str, *, fail: bool = False) -> None:
        self._client = client
        self._url = f"{base_url}/minimax/v1/t2a_v2"
        self._fail = fail

    async def narrate(self, script: Script) -> bytes:
        response = await call(
            self._client,
            "Minimax",
            "POST",
            self._url,
            json={"script_id": script.script_id, "scenes": len(script.scenes)},
            simulate=(422, "voice_id not found") if self._fail else None,
        )
        return response.content
