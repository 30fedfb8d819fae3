"""
Celery integration: a job's ids travel with its tasks, and the worker logs in joblog's schema.

:func:`instrument` wires a Celery app, on both sides:

* publishing a task inside :func:`~joblog.bind_job` puts the bound ``job_id``,
  ``request_id`` and the fields named in *fields* into the message headers
  (one ``joblog`` header holding a small mapping);
* in the worker each task runs bound to them plus ``task_id`` and
  ``task_name``, and logs ``Task started``, ``Task succeeded``
  (``elapsed_ms``), ``Task failed`` (the exception fields) and ``Task
  retried`` (``warning``, with ``reason`` and ``countdown``);
* Celery leaves logging to joblog: it neither takes over the root logger nor
  redirects stdout, so Celery's own loggers, ``get_task_logger`` loggers and
  plain :mod:`logging` loggers all come out as joblog's JSON lines.

This is the only joblog module that imports Celery (``pip install
'joblog[celery]'``).
"""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final

from celery import signals  # type: ignore[import-untyped]  # celery ships no types

from . import _config
from ._logged import mark_logged
from ._logger import get_logger
from .context import SCHEMA_KEYS, bind, bind_job, get_fields, validate_job_id
from .stdlib import JoblogHandler

if TYPE_CHECKING:
    from celery import Celery, Task

__all__ = ["HEADER", "instrument"]

#: The message header that carries the ids: a mapping of field name to value.
HEADER: Final = "joblog"
#: Always carried when bound; *fields* names more.
_CARRIED: Final = ("job_id", "request_id")
#: Bound by the worker itself, so they cannot be carried.
_RESERVED: Final = frozenset({"task_id", "task_name"})

_log = get_logger("joblog.celery")
# Instrumented apps and the fields each one carries.
_apps: weakref.WeakKeyDictionary[Celery, tuple[str, ...]] = weakref.WeakKeyDictionary()
_carried: tuple[str, ...] = _CARRIED
_connected = False
_connect_lock = threading.Lock()


class _Run:
    """One task execution in a worker: its binding and its start time."""

    __slots__ = ("binding", "started", "task_id")

    def __init__(self, task_id: str, binding: Any) -> None:
        self.task_id = task_id
        self.binding = binding
        self.started = time.perf_counter()


class _Runs(threading.local):
    """The task executions of this thread, innermost last (eager calls nest)."""

    def __init__(self) -> None:
        self.stack: list[_Run] = []


_runs = _Runs()


def instrument(app: Celery, *, fields: Iterable[str] = ()) -> Celery:
    """
    Carry job ids into *app*'s tasks and route its worker's logging through joblog.

    Call it where the app is defined, so the publisher (the web service) and
    the worker (``celery -A module worker``) both run it.  Configure joblog
    there too: :func:`joblog.configure`'s level applies in the worker (its
    ``--loglevel`` does not).  Calling it again for the same app replaces
    its *fields*.

    Args:
        app: the Celery application.
        fields: names of bound fields (besides ``job_id`` and
            ``request_id``, which always travel) to send with each task,
            such as ``("user_id",)``.  Values are sent as JSON numbers,
            booleans or strings.

    Returns:
        *app*, so ``app = joblog.celery.instrument(Celery(...))`` works.

    Raises:
        ValueError: a field name that is not a non-empty string, or one the
            worker binds itself (``task_id``, ``task_name``) or a schema key.

    Example::

        app = joblog.celery.instrument(Celery("video", broker=url), fields=("user_id",))
    """
    names = tuple(fields)
    for name in names:
        if not isinstance(name, str) or not name or name in _RESERVED or name in SCHEMA_KEYS:
            raise ValueError(
                f"invalid field {name!r}: expected the name of a bound field, "
                "not task_id, task_name or a schema key"
            )
    global _carried
    with _connect_lock:
        _apps[app] = names
        # Publishing has no app to ask (the signal names only the task), so
        # every instrumented app's fields travel.
        extra = dict.fromkeys(n for names_ in _apps.values() for n in names_ if n not in _CARRIED)
        _carried = (*_CARRIED, *extra)
        _connect()
    return app


def _connect() -> None:
    global _connected
    if _connected:
        return
    # weak=False: the receivers are module functions, alive for the process.
    signals.before_task_publish.connect(_on_publish, weak=False)
    signals.setup_logging.connect(_on_setup_logging, weak=False)
    signals.celeryd_after_setup.connect(_on_worker_setup, weak=False)
    signals.task_prerun.connect(_on_prerun, weak=False)
    signals.task_success.connect(_on_success, weak=False)
    signals.task_failure.connect(_on_failure, weak=False)
    signals.task_retry.connect(_on_retry, weak=False)
    signals.task_postrun.connect(_on_postrun, weak=False)
    _connected = True


def _json_value(value: object) -> object:
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def _on_publish(headers: dict[str, Any] | None = None, **_: Any) -> None:
    """Put the bound ids into the message headers of a task being published."""
    if headers is None:
        return
    bound = get_fields()
    carried = {name: _json_value(bound[name]) for name in _carried if name in bound}
    if carried:
        headers[HEADER] = carried


def _on_setup_logging(**_: Any) -> None:
    """
    Leave the worker's logging to joblog.

    Celery configures logging only when nobody receives this signal; a
    receiver means no root-logger takeover, no text formatter on the task
    logger and no stdout redirection.  If the app never configured joblog,
    the defaults are installed, so the worker's lines are joblog's anyway.
    """
    import logging

    if not any(isinstance(h, JoblogHandler) for h in logging.getLogger().handlers):
        _config.configure()


def _on_worker_setup(instance: Any = None, **_: Any) -> None:
    """Keep the startup banner (plain text on stdout) out of a JSON-lines stream."""
    if instance is not None and getattr(instance, "app", None) in _apps:
        instance.quiet = True


def _received(task: Task) -> dict[str, Any]:
    """The valid ids of the task's ``joblog`` header; a bad value is reported and dropped."""
    request = task.request
    # A worker merges the message headers into the request; ``apply(headers=...)``
    # (eager) keeps them under ``headers``.
    carried = getattr(request, HEADER, None) or (getattr(request, "headers", None) or {}).get(
        HEADER
    )
    if not isinstance(carried, Mapping):
        return {}
    wanted = _apps.get(task.app, ())
    received: dict[str, Any] = {}
    for name, value in carried.items():
        if name not in _CARRIED and name not in wanted:
            continue
        if name in _CARRIED:
            try:
                validate_job_id(value)
            except ValueError:
                _log.warning(
                    "Ignored an invalid id from the task headers",
                    field=name,
                    value=repr(value)[:140],
                    task_id=request.id,
                )
                continue
        received[name] = value
    return received


def _on_prerun(task_id: str | None = None, task: Task | None = None, **_: Any) -> None:
    if task is None or task_id is None or task.app not in _apps:
        return
    fields = _received(task)
    fields["task_id"] = task_id
    fields["task_name"] = task.name
    job_id = fields.pop("job_id", None)
    binding = bind_job(job_id, **fields) if job_id is not None else bind(**fields)
    binding.__enter__()
    _runs.stack.append(_Run(task_id, binding))
    retries = task.request.retries or 0
    if retries:
        _log.info("Task started", retries=retries)
    else:
        _log.info("Task started")


def _current(task_id: str | None) -> _Run | None:
    for run in reversed(_runs.stack):
        if run.task_id == task_id:
            return run
    return None


def _elapsed_ms(run: _Run) -> float:
    return round((time.perf_counter() - run.started) * 1000, 3)


def _on_success(sender: Task | None = None, **_: Any) -> None:
    run = _current(getattr(getattr(sender, "request", None), "id", None))
    if run is not None:
        _log.info("Task succeeded", elapsed_ms=_elapsed_ms(run))


def _on_failure(
    task_id: str | None = None, exception: BaseException | None = None, **_: Any
) -> None:
    run = _current(task_id)
    if run is None or exception is None:
        return
    _log.error(
        "Task failed",
        elapsed_ms=_elapsed_ms(run),
        exc_info=(type(exception), exception, exception.__traceback__),
    )
    # Celery then logs the same exception ("Task ... raised unexpected"):
    # joblog's handler drops a record of an exception already logged.
    mark_logged(exception)


def _on_retry(request: Any = None, reason: Any = None, **_: Any) -> None:
    run = _current(getattr(request, "id", None))
    if run is None:
        return
    cause = getattr(reason, "exc", None)
    fields: dict[str, Any] = {
        "reason": str(cause) if cause is not None else str(getattr(reason, "message", reason)),
        "retries": getattr(request, "retries", 0) or 0,
        "elapsed_ms": _elapsed_ms(run),
    }
    if cause is not None:
        fields["error_type"] = type(cause).__name__
    when = getattr(reason, "when", None)
    if isinstance(when, datetime):
        fields["eta"] = when.isoformat()
    elif isinstance(when, (int, float)):
        fields["countdown"] = when
    _log.warning("Task retried", **fields)


def _on_postrun(task_id: str | None = None, **_: Any) -> None:
    run = _current(task_id)
    if run is None:
        return
    _runs.stack.remove(run)
    run.binding.__exit__(None, None, None)
