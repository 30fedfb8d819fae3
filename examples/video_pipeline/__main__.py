"""``python -m video_pipeline`` (from ``examples/``): configure joblog, serve with uvicorn."""

from __future__ import annotations

import argparse

import uvicorn

import joblog

from .app import create_app
from .settings import Settings


def main() -> None:
    parser = argparse.ArgumentParser(description="Run the video pipeline service.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args()
    joblog.configure()
    # log_config=None: uvicorn leaves logging alone, so its own lines go through joblog.
    uvicorn.run(create_app(Settings.from_env()), host=args.host, port=args.port, log_config=None)


if __name__ == "__main__":
    main()
