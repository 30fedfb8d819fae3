"""
Carrying a job's bindings into other processes: subprocesses and process pools.

A context variable never crosses a process boundary, so the bindings travel
as data:

* :func:`context_env` turns them into environment variables for a
  ``subprocess`` child; :func:`joblog.configure` in the child binds them for
  the rest of its main thread (a bad value is reported on one warning line
  and ignored, never raised);
* :func:`carry` wraps a function for ``ProcessPoolExecutor.submit`` or a
  ``multiprocessing.Pool``: each call in the worker process runs bound to
  the caller's fields, captured when :func:`carry` was called.
"""

from __future__ import annotations

import contextvars
import os
import threading
from collections.abc import Callable, Mapping, MutableMapping
from typing import Any, Final, Generic, TypeVar

import orjson

from .context import bind, bind_job, get_fields, validate_job_id

__all__ = ["CONTEXT_VAR", "JOB_ID_VAR", "add_pid", "bind_from_env", "carry", "context_env"]

R = TypeVar("R")

#: The environment variable holding every carried binding as a JSON object.
CONTEXT_VAR: Final = "JOBLOG_CONTEXT"
#: The job id alone, for children that are shell scripts (``$JOBLOG_JOB_ID``).
JOB_ID_VAR: Final = "JOBLOG_JOB_ID"

_bound_from_env = False
_bind_lock = threading.Lock()


def _plain(fields: Mapping[str, Any]) -> dict[str, Any]:
    """The fields as JSON-safe values: numbers, booleans and strings stay, others become text."""
    return {
        key: value if value is None or isinstance(value, (str, int, float, bool)) else str(value)
        for key, value in fields.items()
    }


def context_env() -> dict[str, str]:
    """
    The current bindings as environment variables for a child process.

    ``JOBLOG_CONTEXT`` holds every bound field as a JSON object and
    ``JOBLOG_JOB_ID`` the job id; :func:`joblog.configure` in the child binds
    them.  Outside any binding the result is empty.

    Returns:
        A mapping to merge into the child's environment.

    Example::

        subprocess.run(cmd, env={**os.environ, **joblog.context_env()})
    """
    fields = get_fields()
    if not fields:
        return {}
    env = {CONTEXT_VAR: orjson.dumps(_plain(fields)).decode()}
    job_id = fields.get("job_id")
    if isinstance(job_id, str):
        env[JOB_ID_VAR] = job_id
    return env


def _parse(environ: Mapping[str, str]) -> dict[str, Any]:
    """The bindings *environ* carries; raises ValueError naming a bad value."""
    fields: dict[str, Any] = {}
    raw = environ.get(CONTEXT_VAR)
    if raw:
        try:
            decoded = orjson.loads(raw)
        except orjson.JSONDecodeError:
            decoded = None
        if not isinstance(decoded, dict):
            raise ValueError(f"{CONTEXT_VAR} is not a JSON object: {raw[:100]!r}")
        fields.update(decoded)
    job_id = environ.get(JOB_ID_VAR)
    if job_id and "job_id" not in fields:
        fields["job_id"] = job_id
    if "job_id" in fields:
        validate_job_id(fields["job_id"])
    return fields


def bind_from_env(environ: Mapping[str, str] | None = None) -> None:
    """
    Bind what :func:`context_env` put into this process's environment, once.

    :func:`joblog.configure` calls it; the binding lasts for the life of the
    calling thread's context (the main thread's, normally).  An invalid value
    is ignored and reported on one ``warning`` line.
    """
    global _bound_from_env
    with _bind_lock:
        if _bound_from_env:
            return
        _bound_from_env = True
        env = os.environ if environ is None else environ
        try:
            fields = _parse(env)
        except ValueError as exc:
            from ._logger import get_logger

            get_logger("joblog").warning("Ignored the inherited job context", reason=str(exc))
            return
        if not fields:
            return
        job_id = fields.pop("job_id", None)
        binding = bind_job(job_id, **fields) if job_id is not None else bind(**fields)
        # Entered for the rest of the process: nothing ever leaves it.
        binding.__enter__()


class carry(Generic[R]):  # lower case: used like a function, as functools.partial is
    """
    Wrap *fn* so that it runs bound to the caller's fields in a worker process.

    For ``ProcessPoolExecutor.submit``, ``executor.map`` and
    ``multiprocessing.Pool``: the object pickles the function (which must be
    picklable, as for any pool) and the fields captured now, and each call in
    the worker binds them around the function.  The worker process must
    have joblog configured: a forked worker inherits the configuration; a
    spawned one needs ``initializer=joblog.configure`` (or a
    ``functools.partial`` of it with your arguments).

    Each call runs in a fresh context: it sees the captured fields and
    nothing the worker process happens to have bound.

    Example::

        with ProcessPoolExecutor(initializer=joblog.configure) as pool:
            pool.submit(joblog.processes.carry(encode), path)
    """

    __slots__ = ("fields", "fn")

    def __init__(self, fn: Callable[..., R]) -> None:
        self.fn = fn
        self.fields = _plain(get_fields())

    def __call__(self, *args: Any, **kwargs: Any) -> R:
        """Run the function bound to the captured fields, and to nothing else."""
        # A forked worker inherits the context of the thread that forked it
        # (the first submit, inside some job): start from an empty one, so a
        # call never sees an earlier job's fields.
        return contextvars.Context().run(self._run, args, kwargs)

    def _run(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> R:
        fields = dict(self.fields)
        job_id = fields.pop("job_id", None)
        binding = bind_job(job_id, **fields) if isinstance(job_id, str) else bind(**fields)
        with binding:
            return self.fn(*args, **kwargs)


def add_pid(_: Any, __: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """
    A processor that adds ``pid``, the id of the process that wrote the line.

    Off unless configured: ``joblog.configure(processors=[joblog.processes.add_pid])``.
    Where several processes share one stream (gunicorn's master and its
    workers, a Celery worker's pool), it tells their lines apart.
    """
    event["pid"] = os.getpid()
    return event
