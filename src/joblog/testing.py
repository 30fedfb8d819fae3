"""
Test helpers: :func:`capture_logs`.
"""

from __future__ import annotations

from collections.abc import Iterator, MutableMapping
from contextlib import contextmanager
from typing import Any

from . import _config

__all__ = ["capture_logs", "reset_defaults"]


@contextmanager
def capture_logs() -> Iterator[list[MutableMapping[str, Any]]]:
    """
    Collect the final event dicts of every line logged inside the block.

    Events from joblog loggers, ``structlog.get_logger()`` loggers and
    :mod:`logging` loggers routed by :func:`joblog.configure` are appended
    as they would be rendered: after the extra processors and redaction, the
    event text under ``"message"``.  While capturing nothing is written to
    the stream.  Levels below the configured one are not captured.

    Example::

        with capture_logs() as logs:
            log.info("Scene details", scene_number=1)
        assert logs[0]["scene_number"] == 1
    """
    sink: list[MutableMapping[str, Any]] = []
    _config.captures.append(sink)
    try:
        yield sink
    finally:
        _config.captures.remove(sink)


def reset_defaults() -> None:
    """
    Undo :func:`joblog.configure`: for test suites, between tests.

    joblog goes back to its unconfigured state (defaults on first use), its
    handler leaves the root logger (whose level returns to ``WARNING``) and
    structlog's configuration is reset.  Bindings made with
    :func:`joblog.bind_job` are context-scoped and need no reset.
    """
    _config.reset()
