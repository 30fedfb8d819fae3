"""
ARQ integration: a job's bindings travel with its ARQ jobs.

ARQ messages have no headers, so :func:`enqueue_job` sends the bindings as
one reserved keyword argument, ``_joblog``, and :func:`task` (a decorator for
worker functions) takes it off again and runs the function bound to it plus
``task_id`` (ARQ's job id) and ``task_name``, with the same ``Task started``
/ ``Task succeeded`` / ``Task failed`` / ``Task retried`` lines as
:mod:`joblog.celery`.  This is the only joblog module that imports ARQ
(``pip install 'joblog[arq]'``).
"""

from __future__ import annotations

import functools
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any, Final, TypeVar

from arq.worker import Retry

from ._logged import mark_logged
from ._logger import get_logger
from .context import bind, bind_job, get_fields, validate_job_id
from .processes import _plain

if TYPE_CHECKING:
    from arq.connections import ArqRedis
    from arq.jobs import Job

__all__ = ["KWARG", "LOG_CONFIG", "enqueue_job", "task"]

R = TypeVar("R")

#: The keyword argument that carries the bindings to the worker function.
KWARG: Final = "_joblog"

_log = get_logger("joblog.arq")


async def enqueue_job(redis: ArqRedis, function: str, *args: Any, **kwargs: Any) -> Job | None:
    """
    ``redis.enqueue_job(function, *args, **kwargs)``, carrying the current bindings.

    The worker function must be wrapped with :func:`task`, which takes the
    bindings off again.

    Returns:
        What ARQ returns: the job, or ``None`` if a job with that id exists.
    """
    fields = get_fields()
    if fields:
        kwargs[KWARG] = _plain(fields)
    return await redis.enqueue_job(function, *args, **kwargs)


def _received(carried: object) -> dict[str, Any]:
    if not isinstance(carried, Mapping):
        return {}
    fields = dict(carried)
    if "job_id" in fields:
        try:
            validate_job_id(fields["job_id"])
        except ValueError:
            _log.warning(
                "Ignored an invalid job id from the job arguments",
                value=repr(fields.pop("job_id"))[:140],
            )
    return fields


def task(fn: Callable[..., Awaitable[R]]) -> Callable[..., Awaitable[R]]:
    """
    Wrap an ARQ worker function: bind the carried ids and log its lifecycle.

    Example::

        @joblog.arq.task
        async def compose(ctx, scenes):
            ...

        class WorkerSettings:
            functions = [compose]
    """

    @functools.wraps(fn)
    async def run(ctx: dict[str, Any], *args: Any, **kwargs: Any) -> R:
        fields = _received(kwargs.pop(KWARG, None))
        fields["task_id"] = ctx.get("job_id")
        fields["task_name"] = fn.__qualname__
        job_id = fields.pop("job_id", None)
        binding = bind_job(job_id, **fields) if job_id is not None else bind(**fields)
        with binding:
            retries = int(ctx.get("job_try") or 1) - 1
            if retries:
                _log.info("Task started", retries=retries)
            else:
                _log.info("Task started")
            started = time.perf_counter()
            try:
                result = await fn(ctx, *args, **kwargs)
            except Retry as exc:
                cause = exc.__cause__
                retry: dict[str, Any] = {
                    "reason": str(cause) if cause is not None else "retry requested",
                    "retries": retries,
                    "elapsed_ms": round((time.perf_counter() - started) * 1000, 3),
                }
                if cause is not None:
                    retry["error_type"] = type(cause).__name__
                if exc.defer_score is not None:
                    retry["countdown"] = exc.defer_score / 1000
                _log.warning("Task retried", **retry)
                raise
            except Exception as exc:
                _log.error(
                    "Task failed",
                    elapsed_ms=round((time.perf_counter() - started) * 1000, 3),
                    exc_info=exc,
                )
                mark_logged(exc)
                raise
            _log.info("Task succeeded", elapsed_ms=round((time.perf_counter() - started) * 1000, 3))
            return result

    return run


#: For ``arq --custom-log-dict joblog.arq.LOG_CONFIG``: the ``arq`` command
#: otherwise gives the ``arq`` logger a text handler of its own; with this it
#: keeps none, and its lines reach joblog's root handler.
LOG_CONFIG: Final[dict[str, Any]] = {"version": 1, "disable_existing_loggers": False}
