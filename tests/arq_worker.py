"""The ARQ worker settings the ``arq`` command test runs."""

from __future__ import annotations

import os
from urllib.parse import urlsplit

from arq.connections import RedisSettings

import joblog

from .test_arq import render

joblog.configure(renderer="json")
_url = urlsplit(os.environ.get("JOBLOG_TEST_BROKER", "redis://127.0.0.1:6379/0"))


class WorkerSettings:
    functions = [render]  # noqa: RUF012  (arq reads class attributes)
    redis_settings = RedisSettings(host=_url.hostname or "127.0.0.1", port=_url.port or 6379)
    poll_delay = 0.05
