"""
A fake vendor: GPT-4o, Kling and Minimax behind real HTTP, on 127.0.0.1.

The adapters call it through ``joblog.httpx``, as they would call the real
APIs, so the service's outgoing calls are logged exactly as in production.
Latencies are the real services' (scaled by ``Settings.time_scale``). A
request with ``X-Simulate-Status: <code>`` is answered with that error
status (and ``X-Simulate-Reason`` as the error text): the adapters' failure
injection.
"""

from __future__ import annotations

import asyncio
import itertools
import uuid

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

__all__ = ["PROCESSING_POLLS", "create_vendor"]

#: Kling answers "processing" this many times before the video is ready
#: (about a minute at one poll every 5 s).
PROCESSING_POLLS = 12


def create_vendor(scale: float) -> Starlette:
    """The fake vendor's app; every delay is multiplied by *scale*."""
    ids = itertools.count(1)
    polls: dict[str, int] = {}

    def simulated(request: Request) -> Response | None:
        status = request.headers.get("x-simulate-status")
        if status is None:
            return None
        reason = request.headers.get("x-simulate-reason", "simulated error")
        return JSONResponse({"error": reason}, status_code=int(status))

    async def chat(request: Request) -> Response:
        await asyncio.sleep(2.0 * scale)
        if (error := simulated(request)) is not None:
            return error
        body = await request.json()
        scenes = [
            {"number": n, "duration": body["duration"], "description": f"{body['prompt']} ({n})"}
            for n in range(1, body["num_scenes"] + 1)
        ]
        return JSONResponse({"script_id": f"script-{uuid.uuid4().hex[:6]}", "scenes": scenes})

    async def text2video(request: Request) -> Response:
        await asyncio.sleep(0.5 * scale)
        if (error := simulated(request)) is not None:
            return error
        prediction_id = f"kling-{next(ids)}"
        polls[prediction_id] = 0
        return JSONResponse({"prediction_id": prediction_id})

    async def prediction(request: Request) -> Response:
        await asyncio.sleep(0.05 * scale)
        prediction_id = request.path_params["prediction_id"]
        if prediction_id not in polls:
            return JSONResponse({"error": "unknown prediction"}, status_code=404)
        polls[prediction_id] += 1
        if polls[prediction_id] <= PROCESSING_POLLS:
            return JSONResponse({"state": "processing"})
        return JSONResponse({"state": "succeeded", "video": f"video of {prediction_id}"})

    async def t2a(request: Request) -> Response:
        await asyncio.sleep(3.0 * scale)
        if (error := simulated(request)) is not None:
            return error
        body = await request.json()
        return Response(f"narration for {body['script_id']}".encode(), media_type="audio/mpeg")

    return Starlette(
        routes=[
            Route("/openai/v1/chat/completions", chat, methods=["POST"]),
            Route("/kling/v1/videos/text2video", text2video, methods=["POST"]),
            Route("/kling/v1/videos/{prediction_id}", prediction, methods=["GET"]),
            Route("/minimax/v1/t2a_v2", t2a, methods=["POST"]),
        ]
    )
