"""GPT-4o writes the script: one scene description per scene."""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from .http import call


@dataclass(frozen=True)
class Scene:
    number: int
    duration: int
    description: str


@dataclass(frozen=True)
class Script:
    script_id: str
    scenes: list[Scene]


class GPT4o:
    """The chat completions API: a script of *num_scenes* scenes (~2 s)."""

    def __init__(self, client: httpx.AsyncClient, base_url: str, *, fail: bool = False) -> None:
        self._client = client
        self._url = f"{base_url}/openai/v1/chat/completions"
        self._fail = fail

    async def write_script(self, prompt: str, num_scenes: int, duration: int) -> Script:
        response = await call(
            self._client,
            "OpenAI",
            "POST",
            self._url,
            json={
                "model": "gpt-4o",
                "prompt": prompt,
                "num_scenes": num_scenes,
                "duration": duration,
            },
            simulate=(400, "content policy violation") if self._fail else None,
        )
        body = response.json()
        scenes = [Scene(s["number"], s["duration"], s["description"]) for s in body["scenes"]]
        return Script(script_id=body["script_id"], scenes=scenes)
