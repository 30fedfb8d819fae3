"""
Exceptions joblog has already logged in full, so nothing logs them twice.

An unhandled exception travels outwards after joblog's request middleware has
written its ``"Request failed"`` line, traceback included; the server then
logs the very same exception object again (uvicorn: ``"Exception in ASGI
application"`` on ``uvicorn.error``).  The middleware marks the exception;
joblog's root handler drops a :mod:`logging` record whose ``exc_info`` is an
exception so marked.  The mark is about the object, not about any message
text, so it works for every server and every logger routed into joblog.

Exceptions cannot be weakly referenced and may define ``__eq__`` without
``__hash__``, which rules out a ``WeakSet``; a registry keyed by ``id()``
would keep tracebacks (and every frame's locals) alive.  So the mark is a
private attribute written straight into the exception's ``__dict__``, which
bypasses a custom (or frozen) ``__setattr__`` and dies with the exception.
"""

from __future__ import annotations

from typing import Final

__all__ = ["mark_logged", "was_logged"]

_MARK: Final = "_joblog_logged"


def mark_logged(exc: BaseException) -> None:
    """Remember that *exc* was logged with its traceback."""
    vars(exc)[_MARK] = True  # every BaseException has a __dict__


def was_logged(exc: BaseException | None) -> bool:
    """Whether :func:`mark_logged` was called for *exc*."""
    return exc is not None and _MARK in vars(exc)
