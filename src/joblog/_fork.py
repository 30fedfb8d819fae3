"""
Fresh locks in a forked child.

``fork()`` copies only the calling thread.  A lock another thread held at that
moment stays held in the child for good, so a child of a Celery prefork pool,
a gunicorn master or a ``multiprocessing`` fork pool would hang on its first
log line.  As the standard library's :mod:`logging` does for its handlers,
every lock on joblog's output path is replaced in the child, right after the
fork, by ``os.register_at_fork(after_in_child=...)``.

The hook is registered lazily, once, when the first writer, sampler or
pipeline is made: importing joblog registers nothing.
"""

from __future__ import annotations

import os
import weakref
from collections.abc import Callable
from typing import Any, Protocol


class Renewable(Protocol):
    """An object holding locks that must be made anew in a forked child."""

    def _after_fork(self) -> None: ...  # pragma: no cover - a protocol


# Objects are held weakly: a writer or sampler that is gone needs no new lock.
_owners: weakref.WeakSet[Any] = weakref.WeakSet()
# Module-level renewals (a module's own lock), each once.
_callbacks: dict[Callable[[], None], None] = {}
_registered = False


def renew_in_child(owner: Renewable) -> None:
    """Call ``owner._after_fork()`` in the child of every later ``fork()``."""
    _register()
    _owners.add(owner)


def call_in_child(callback: Callable[[], None]) -> None:
    """Call *callback* in the child of every later ``fork()`` (once however often added)."""
    _register()
    _callbacks[callback] = None


def _register() -> None:
    global _registered
    if _registered:
        return
    _registered = True
    # Windows has no fork (and no register_at_fork).
    register = getattr(os, "register_at_fork", None)
    if register is not None:  # pragma: no branch - always present on POSIX
        register(after_in_child=_in_child)


def _in_child() -> None:
    # Only this thread exists now; nothing can race the renewal.
    for callback in tuple(_callbacks):
        callback()
    for owner in tuple(_owners):
        owner._after_fork()
