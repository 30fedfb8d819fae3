"""The application the gunicorn test serves: it does not configure joblog itself."""

from __future__ import annotations

import logging

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

import joblog


async def generate(request: Request) -> Response:
    with joblog.bind_job(user_id="user-7"):
        joblog.get_logger("video.api").info("Starting fully async generation")
        logging.getLogger("video.s3").info("Uploaded")
    return PlainTextResponse("accepted", 202)


app = Starlette(routes=[Route("/generate", generate, methods=["POST"])])
app.add_middleware(joblog.RequestLoggingMiddleware)
