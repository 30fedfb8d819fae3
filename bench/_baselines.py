"""Baselines shared by the benchmarks."""

from __future__ import annotations

import logging
from typing import Any, BinaryIO

import orjson
import structlog


def structlog_fastest(stream: BinaryIO, name: str) -> Any:
    """
    structlog in its documented fastest configuration, writing to *stream*.

    Filtering bound logger at INFO, ``cache_logger_on_first_use``,
    ``merge_contextvars`` + ``add_log_level`` + ``TimeStamper(iso, utc)`` +
    ``JSONRenderer(orjson)``, ``BytesLoggerFactory``; returns a concrete
    (bound) logger, not the lazy module-level proxy, because structlog's docs
    name that the fastest way to call it.
    """
    structlog.configure(
        cache_logger_on_first_use=True,
        wrapper_class=structlog.make_filtering_bound_logger(logging.INFO),
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.JSONRenderer(serializer=orjson.dumps),
        ],
        logger_factory=structlog.BytesLoggerFactory(stream),
    )
    return structlog.get_logger(name).bind()
