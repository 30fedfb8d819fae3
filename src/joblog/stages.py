"""
``stage()``: log a pipeline stage's boundaries with its timing and failure.

The architecture's rule 3, "log at boundaries": one line when a stage starts,
one when it completes (with ``elapsed_ms``), one ``error`` line with the
exception fields if it fails, one ``warning`` if it is cancelled.  Inside
the block every line carries ``stage=<name>``.
"""

from __future__ import annotations

import sys
import time
from types import TracebackType
from typing import Any

from ._blocks import Block
from ._events import exception_fields
from ._logger import BoundLogger, get_logger
from .context import _Binding, safe_keys
from .otel import open_span

__all__ = ["stage"]


class _Stage(Block["_Stage"]):
    """The context manager returned by :func:`stage` (``with`` and ``async with``)."""

    __slots__ = (
        "_binding",
        "_done",
        "_done_fields",
        "_fields",
        "_log",
        "_name",
        "_span",
        "_start",
        "_started",
    )

    def __init__(self, name: str, start: str, done: str, log: BoundLogger, fields: dict[str, Any]):
        self._name = name
        self._start = start
        self._done = done
        self._log = log
        self._fields = fields
        self._binding = _Binding({"stage": name, **safe_keys(fields)})
        self._span: Any = None
        self._started = 0.0
        self._done_fields: dict[str, Any] = {}

    def add(self, **fields: Any) -> None:
        """
        Add *fields* to the completion line (a result known only at the end).

        Example::

            async with joblog.stage("script", done="Script generated successfully") as st:
                script = await gpt.generate(prompt)
                st.add(script_id=script.id)
        """
        self._done_fields.update(safe_keys(fields))

    def __enter__(self) -> _Stage:
        # With configure(spans=True) the stage is a span too, opened first so
        # that its start, end and failure lines carry the span's ids.
        self._span = open_span(self._name, self._fields)
        self._binding.__enter__()
        self._log.info(self._start)
        self._started = time.perf_counter()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        elapsed_ms = round((time.perf_counter() - self._started) * 1000, 3)
        try:
            if exc_type is None or exc is None:
                self._log.info(self._done, **self._done_fields, elapsed_ms=elapsed_ms)
            elif isinstance(exc, Exception):
                self._log.error(
                    f"{self._name} failed",
                    elapsed_ms=elapsed_ms,
                    **exception_fields((exc_type, exc, tb)),
                )
            else:
                # CancelledError, KeyboardInterrupt, SystemExit: the stage
                # was stopped from outside, it did not fail.
                self._log.warning(
                    f"{self._name} cancelled",
                    elapsed_ms=elapsed_ms,
                    error_type=exc_type.__name__,
                )
        finally:
            self._binding.__exit__(exc_type, exc, tb)
            span, self._span = self._span, None
            if span is not None:
                span.__exit__(exc_type, exc, tb)


def stage(
    name: str,
    *,
    start: str | None = None,
    done: str | None = None,
    logger: BoundLogger | None = None,
    **fields: Any,
) -> _Stage:
    """
    Log the boundaries of a stage of a job; ``with`` or ``async with``.

    Inside the block every line carries ``stage=name`` and *fields*.  On
    entry it logs *start* at ``info``; on success *done* at ``info`` with
    ``elapsed_ms``; on an exception one ``error`` line ``"<name> failed"``
    with ``elapsed_ms``, ``error_type``, ``error_message`` and
    ``exception``, then re-raises; on cancellation (or another
    ``BaseException`` such as ``KeyboardInterrupt``) ``"<name> cancelled"``
    at ``warning``, then re-raises.

    The object the block yields has ``add(**fields)``, for fields of the
    completion line known only at the end (``st.add(script_id=...)``).

    Args:
        name: the stage name, bound as ``stage``.
        start: the start message; default ``"<name> started"``.
        done: the success message; default ``"<name> completed"``.
        logger: the logger to use; default: one named after the calling module.
        **fields: more fields bound inside the block.

    Example::

        async with joblog.stage("script", start="Generating script with GPT-4o",
                                done="Script generated successfully"):
            script = await gpt.generate(prompt)

    Raises:
        TypeError: if *name* is not a non-empty string.
    """
    if not isinstance(name, str) or not name:
        raise TypeError(f"stage name must be a non-empty string, not {name!r}")
    if logger is None:
        logger = get_logger(sys._getframe(1).f_globals.get("__name__", "joblog"))
    return _Stage(
        name,
        start if start is not None else f"{name} started",
        done if done is not None else f"{name} completed",
        logger,
        fields,
    )
