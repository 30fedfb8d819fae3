"""
``job()``: a job's lifecycle lines, the jobs running now, and shutdown.

The architecture logs "job lifecycle events (created, processing, completed,
failed)".  :func:`job` is :func:`joblog.bind_job` plus those lines:

* ``Job started`` (``info``, ``status="processing"``) on entry;
* ``Job completed`` (``info``, ``status="completed"``, ``elapsed_ms``);
* ``Job failed`` (``error``, ``status="failed"``, ``elapsed_ms`` and the
  exception fields), then the exception propagates;
* ``Job cancelled`` (``warning``, ``status="cancelled"``, ``elapsed_ms``)
  when the task is cancelled (or a ``KeyboardInterrupt``/``SystemExit``
  stops it), then it propagates.

Only these lines carry ``status``, so ``filter status = "failed"`` finds
exactly one line per failed job (a failed ``stage()`` inside it logs its own
error line, without ``status``).

While a job runs it is listed by :func:`running_jobs`.  On shutdown,
:func:`cancel_jobs` cancels the asyncio tasks running jobs and waits for
them, so each writes its ``Job cancelled`` line and its samplers their final
state; :func:`flush` then writes what every sampler still holds and flushes
the output.  Servers (uvicorn, gunicorn) do not cancel background tasks on
SIGTERM, so an ASGI lifespan shutdown is the place to call it.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import threading
import time
from collections.abc import Callable
from types import TracebackType
from typing import Any, Final, ParamSpec, TypeVar

from . import _config, sampling
from ._blocks import Block, per_call
from ._logger import get_logger
from .context import bind_job, new_job_id, validate_job_id
from .otel import open_span

__all__ = ["cancel_jobs", "flush", "job", "running_jobs"]

P = ParamSpec("P")
R = TypeVar("R")

#: The logger of the lifecycle lines.
LOGGER_NAME: Final = "joblog.jobs"

_log = get_logger(LOGGER_NAME)


class _Running:
    """One entered job: its id and the asyncio task running it (``None`` outside a loop)."""

    __slots__ = ("job_id", "task")

    def __init__(self, job_id: str, task: asyncio.Task[Any] | None) -> None:
        self.job_id = job_id
        self.task = task


# Entered jobs by entry number (dicts keep insertion order: oldest first).
_running: dict[int, _Running] = {}
_running_lock = threading.Lock()
_entries = itertools.count()


def _current_task() -> asyncio.Task[Any] | None:
    try:
        return asyncio.current_task()
    except RuntimeError:  # no running event loop: a thread or plain sync code
        return None


class _Job(Block[str]):
    """
    The context manager and decorator returned by :func:`job`.

    One object can run one job at a time; each decorated call makes its own.
    """

    __slots__ = ("_binding", "_entry", "_fields", "_job_id", "_span", "_started")

    def __init__(self, job_id: str | None, fields: dict[str, Any]) -> None:
        self._job_id = job_id
        self._fields = fields
        self._binding: Any = None
        self._span: Any = None
        self._entry = -1
        self._started = 0.0

    def _fresh(self) -> _Job:
        return _Job(self._job_id, self._fields)

    def __enter__(self) -> str:
        if self._binding is not None:
            raise RuntimeError("this job() is already running: call joblog.job() again")
        job_id = validate_job_id(self._job_id) if self._job_id is not None else new_job_id()
        # With configure(spans=True) the job is a span too, opened first so
        # that every line of the job carries the span's ids.
        self._span = open_span("job", {"job_id": job_id, **self._fields})
        binding = bind_job(job_id, **self._fields)
        binding.__enter__()
        self._binding = binding
        entry = self._entry = next(_entries)
        with _running_lock:
            _running[entry] = _Running(job_id, _current_task())
        _log.info("Job started", status="processing")
        self._started = time.perf_counter()
        return job_id

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        elapsed_ms = round((time.perf_counter() - self._started) * 1000, 3)
        try:
            if exc_type is None or exc is None:
                _log.info("Job completed", status="completed", elapsed_ms=elapsed_ms)
            elif isinstance(exc, Exception):
                _log.error(
                    "Job failed",
                    status="failed",
                    elapsed_ms=elapsed_ms,
                    exc_info=(exc_type, exc, tb),
                )
            else:
                # CancelledError, KeyboardInterrupt, SystemExit: stopped from outside.
                _log.warning(
                    "Job cancelled",
                    status="cancelled",
                    elapsed_ms=elapsed_ms,
                    error_type=exc_type.__name__,
                )
        finally:
            with _running_lock:
                _running.pop(self._entry, None)
            binding, self._binding = self._binding, None
            binding.__exit__(exc_type, exc, tb)
            span, self._span = self._span, None
            if span is not None:
                span.__exit__(exc_type, exc, tb)

    def __call__(self, fn: Callable[P, R]) -> Callable[P, R]:
        return per_call(fn, self._fresh)


def job(job_id: str | None = None, **fields: Any) -> _Job:
    """
    Run a job: :func:`joblog.bind_job` plus the job's lifecycle lines.

    ``with``, ``async with`` (both yield the job id) or a decorator (each
    call is a job of its own, with a new id unless *job_id* is given).
    Inside, every line carries ``job_id`` and *fields*, as with
    :func:`joblog.bind_job`.  The block logs ``Job started``
    (``status="processing"``) on entry, and on exit one of ``Job completed``
    (``status="completed"``, ``elapsed_ms``), ``Job failed`` (``error``,
    ``status="failed"``, ``elapsed_ms``, ``error_type``, ``error_message``,
    ``exception``; the exception propagates) or ``Job cancelled``
    (``warning``, ``status="cancelled"``; the cancellation propagates).
    Jobs nest: an inner job binds its own id and logs its own lines.

    Args:
        job_id: the job's id (validated as :func:`joblog.bind_job` does);
            default: a new one per job (:func:`joblog.new_job_id`).
        **fields: more fields bound inside the job (``user_id=...``).

    Returns:
        A context manager and decorator.

    Raises:
        ValueError: if *job_id* is not a valid job id.

    Example::

        async with joblog.job(user_id=user.id) as job_id:
            await generate(job_id)
    """
    return _Job(None if job_id is None else validate_job_id(job_id), fields)


def running_jobs() -> list[str]:
    """
    The ids of the :func:`job` blocks running now, in every thread, oldest first.

    An id entered by several jobs at once is listed once.
    """
    with _running_lock:
        ids = [run.job_id for run in _running.values()]
    return list(dict.fromkeys(ids))


async def cancel_jobs(timeout: float = 10.0) -> list[str]:
    """
    Cancel the running async jobs and wait for them to end; then :func:`flush`.

    Every asyncio task of this event loop that is running a :func:`job`
    (other than the caller's own) is cancelled, so each job writes its ``Job
    cancelled`` line and the samplers inside it their final state.  Call it
    in an ASGI lifespan shutdown: servers stop without cancelling background
    tasks.  Jobs in threads or other event loops are left to run.

    Args:
        timeout: the most seconds to wait for the cancelled tasks.

    Returns:
        The ids of the jobs still running when the wait ended (empty when
        every cancelled job has finished).

    Raises:
        ValueError: if *timeout* is not a number of seconds >= 0.

    Example::

        @contextlib.asynccontextmanager
        async def lifespan(app):
            yield
            await joblog.cancel_jobs(timeout=10)
    """
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not timeout >= 0:
        raise ValueError(f"timeout must be a number of seconds >= 0, got {timeout!r}")
    loop = asyncio.get_running_loop()
    me = asyncio.current_task()
    with _running_lock:
        tasks = {
            run.task
            for run in _running.values()
            if run.task is not None
            and run.task is not me
            and not run.task.done()
            and run.task.get_loop() is loop
        }
    for task in tasks:
        task.cancel()
    if tasks:
        await asyncio.wait(tasks, timeout=timeout)
    flush()
    with _running_lock:
        return list(dict.fromkeys(r.job_id for r in _running.values() if r.task in tasks))


def flush() -> None:
    """
    Write every live sampler's held-back final state and flush the output.

    What a sampler's ``with`` block writes on exit, for the samplers whose
    block has not ended (a task that was never cancelled, a sampler used
    without ``with``).  joblog runs it at interpreter exit once a sampler
    has been created; call it yourself at the end of an ASGI lifespan or a
    worker's shutdown.  Never raises.
    """
    sampling.flush_samplers()
    _flush_outputs()


def _flush_outputs() -> None:
    """Flush the configured stream and every sink; a closed or broken one is ignored."""
    with contextlib.suppress(Exception):
        _config.flush_outputs()
