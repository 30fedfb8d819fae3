"""``python -m video_pipeline`` (from ``examples/``): configure joblog, serve with uvicorn."""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import os

import uvicorn

import joblog

from .app import create_app
from .serving import Server
from .settings import Settings
from .vendor import create_vendor


def main() -> None:
    parser = argparse.ArgumentParser(description="Run the video pipeline service.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args()
    joblog.configure()
    settings = Settings.from_env()
    with contextlib.ExitStack() as stack:
        if "VIDEO_PIPELINE_VENDOR_URL" not in os.environ:
            # No vendor given: serve the fake one (GPT-4o, Kling, Minimax) beside the service.
            vendor = stack.enter_context(Server(create_vendor(settings.time_scale)))
            settings = dataclasses.replace(settings, vendor_url=vendor.url)
        # log_config=None: uvicorn leaves logging alone, so its own lines go through joblog.
        uvicorn.run(create_app(settings), host=args.host, port=args.port, log_config=None)


if __name__ == "__main__":
    main()
