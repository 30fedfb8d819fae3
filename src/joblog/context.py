"""
Job context: ``bind_job``, ``bind``, ``current_job_id`` and ``carry_context``.

All of joblog's bindings live in ONE :class:`contextvars.ContextVar` holding
an immutable mapping.  Binding creates a new mapping and sets the variable;
leaving the block resets it with the token, so nesting, exceptions and
cancellation always restore the outer binding.  Because it is a ContextVar,
asyncio child tasks and ``asyncio.to_thread`` inherit it; ``carry_context``
carries it into executors and threads, which do not copy the context.

Reading one variable per log call is what keeps the hot path cheap (compare
``structlog.contextvars``, which walks the whole context on every call).
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import inspect
import uuid
from collections.abc import Callable, Mapping
from types import MappingProxyType, TracebackType
from typing import Any, Final, ParamSpec, TypeVar

from . import _schema
from ._blocks import Block, per_call

__all__ = ["bind", "bind_job", "carry_context", "current_job_id", "new_job_id"]

P = ParamSpec("P")
R = TypeVar("R")

#: The schema's own keys. A field named like one is kept as ``fields.<name>``.
SCHEMA_KEYS: Final = _schema.SCHEMA_KEYS

MAX_JOB_ID_LENGTH: Final = 128

_EMPTY: Final[Mapping[str, Any]] = MappingProxyType({})
_fields: contextvars.ContextVar[Mapping[str, Any]] = contextvars.ContextVar(
    "joblog_fields", default=_EMPTY
)


class JobSlot:
    """
    Where a request learns of the job it started.

    The request middleware puts one in the context of each request; the
    first :func:`bind_job` (and so ``joblog.job()``) entered while the
    request is handled — in its task or in a task it spawned — writes its id
    here, for the request's ``Request completed`` line and ``X-Job-ID``
    response header.
    """

    __slots__ = ("job_id",)

    def __init__(self, job_id: str | None = None) -> None:
        self.job_id = job_id


job_slot: contextvars.ContextVar[JobSlot | None] = contextvars.ContextVar(
    "joblog_job_slot", default=None
)


def get_fields() -> Mapping[str, Any]:
    """The fields bound in the current context (job_id first when bound)."""
    return _fields.get()


def safe_keys(fields: Mapping[str, Any]) -> dict[str, Any]:
    """Return *fields* with schema-key names moved to ``fields.<name>``."""
    if SCHEMA_KEYS.isdisjoint(fields):
        return dict(fields)
    return {(f"fields.{k}" if k in SCHEMA_KEYS else k): v for k, v in fields.items()}


def new_job_id() -> str:
    """Return a new job id: ``"job-"`` followed by a random UUID4."""
    return f"job-{uuid.uuid4()}"


def current_job_id() -> str | None:
    """Return the job id bound in the current context, or ``None``."""
    job_id = _fields.get().get("job_id")
    return job_id if isinstance(job_id, str) else None


def validate_job_id(job_id: object) -> str:
    """
    Return *job_id* if it is a valid job id, else raise.

    A job id is a non-empty string of at most 128 printable characters, so it
    can never carry a line break or an escape sequence into a log line.

    Raises:
        ValueError: naming the rejected value.
    """
    if (
        not isinstance(job_id, str)
        or not job_id
        or len(job_id) > MAX_JOB_ID_LENGTH
        or not job_id.isprintable()
    ):
        raise ValueError(
            f"invalid job_id {job_id!r}: expected a non-empty string of at most "
            f"{MAX_JOB_ID_LENGTH} printable characters"
        )
    return job_id


class _Binding(Block[Any]):
    """
    Bind fields: at once, and for the duration of a ``with``/``async with`` block.

    Created by :func:`bind` and :func:`bind_job`, it binds right away, as
    ``structlog.contextvars.bind_contextvars`` does, so a bare statement
    binds for the rest of the current context (task, request, thread).  A
    ``with`` block then takes that binding over and undoes it on exit.  As a
    decorator (correct for plain and ``async def`` functions, where a
    ``contextlib`` decorator would leave an async body unbound) the binding
    made at decoration is undone and every call binds on its own.  Tokens
    are kept in a stack, so one instance can be entered again while active.
    """

    __slots__ = ("_fields", "_pending", "_tokens", "_value")

    def __init__(
        self, fields: Mapping[str, Any], value: Any = None, *, eager: bool = False
    ) -> None:
        self._fields = fields
        self._value = value
        self._tokens: list[contextvars.Token[Mapping[str, Any]]] = []
        # The token of the binding made when created, until a block takes it over.
        self._pending = self._set() if eager else None

    def _set(self) -> contextvars.Token[Mapping[str, Any]]:
        current = _fields.get()
        merged = MappingProxyType({**current, **self._fields}) if current else self._fields
        return _fields.set(merged)

    def _enter(self) -> Any:
        token, self._pending = self._pending, None
        self._tokens.append(token if token is not None else self._set())
        return self._value

    def _exit(self) -> None:
        token = self._tokens.pop()
        try:
            _fields.reset(token)
        except ValueError:  # entered in another context than the one it was made in
            old = token.old_value
            _fields.set(_EMPTY if old is contextvars.Token.MISSING else old)

    def __enter__(self) -> Any:
        return self._enter()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._exit()

    def _fresh(self) -> _Binding:
        # A binding of its own per call: one shared token stack would be reset
        # from the wrong context when calls overlap (gather, threads).
        return _Binding(self._fields, self._value)

    def __call__(self, fn: Callable[P, R]) -> Callable[P, R]:
        pending, self._pending = self._pending, None
        if pending is not None:  # decorating binds nothing: each call will
            _fields.reset(pending)
        if inspect.isgeneratorfunction(fn) or inspect.isasyncgenfunction(fn):
            # A generator runs in its consumer's context: a binding held across
            # a yield would be the consumer's between steps, and interleaved
            # generators would swap ids.
            raise TypeError(
                f"cannot bind around the generator function {fn.__qualname__!r}: a binding "
                "held across a yield leaks into the code consuming it; bind inside the "
                "body, around the work done between yields"
            )
        return per_call(fn, self._fresh)


class _JobBinding(_Binding):
    """A binding of ``job_id``; as a decorator, a new id per call unless one was given."""

    __slots__ = ("_generated",)

    def __init__(
        self, fields: Mapping[str, Any], job_id: str, generated: bool, *, eager: bool = True
    ) -> None:
        self._generated = generated
        super().__init__(fields, job_id, eager=eager)

    def _set(self) -> contextvars.Token[Mapping[str, Any]]:
        slot = job_slot.get()
        if slot is not None and slot.job_id is None:
            slot.job_id = self._value
        return super()._set()

    def _fresh(self) -> _Binding:
        if not self._generated:
            return _JobBinding(self._fields, self._value, False, eager=False)
        job_id = new_job_id()
        return _JobBinding(
            MappingProxyType({**self._fields, "job_id": job_id}), job_id, False, eager=False
        )


def report_in_task_context(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
    """
    An asyncio exception handler that reports in the failing task's context.

    asyncio reports a task's exception that nobody retrieved ("Task exception
    was never retrieved") when the task is garbage-collected, in whatever
    context that happens, so the line would lack the job the task ran in.
    Where the task exposes its context (``Task.get_context()``, Python 3.12
    and later) the default handler runs in it, so its line carries the job's
    fields; elsewhere it runs as asyncio would run it.
    """
    task = context.get("task") or context.get("future")
    get_context = getattr(task, "get_context", None)
    if get_context is None:
        loop.default_exception_handler(context)
    else:
        # A copy: the task's own context may be the one running right now.
        get_context().copy().run(loop.default_exception_handler, context)


_watched_loop: asyncio.AbstractEventLoop | None = None


def _watch_running_loop() -> None:
    """Report unretrieved task exceptions of the running loop in their task's context."""
    global _watched_loop
    loop = asyncio.events._get_running_loop()
    if loop is None or loop is _watched_loop:
        return
    _watched_loop = loop
    if loop.get_exception_handler() is None:  # the application's own handler stays
        loop.set_exception_handler(report_in_task_context)


def bind_job(job_id: str | None = None, **fields: Any) -> _JobBinding:
    """
    Bind a job id (and other fields) to every log line logged inside the block.

    Works as ``with``, ``async with`` and as a decorator (a binding per
    call).  The block yields the job id: a new one (:func:`new_job_id`) when
    *job_id* is not given.  A bare ``joblog.bind_job(...)`` statement binds
    for the rest of the current context (the task, the request, the
    thread), as ``structlog.contextvars.bind_contextvars`` does; read the id
    with :func:`current_job_id`.  Lines
    logged in this task, its child tasks, ``asyncio.to_thread`` and work
    wrapped by :func:`carry_context` carry ``job_id`` and *fields*, from
    joblog loggers and plain :mod:`logging` loggers alike.  On exit the outer
    binding is restored, also when the block raises or is cancelled.

    Args:
        job_id: the job id to bind; a non-empty string of at most 128
            printable characters.
        **fields: more fields to bind (``user_id=...``).

    Returns:
        A context manager that yields the job id.

    Raises:
        ValueError: if *job_id* is not a valid job id.

    Example::

        with joblog.bind_job(user_id=user.id) as job_id:
            log.info("Starting fully async generation")
    """
    _watch_running_loop()
    generated = job_id is None
    jid = new_job_id() if job_id is None else validate_job_id(job_id)
    bound = MappingProxyType({"job_id": jid, **safe_keys(fields)})
    return _JobBinding(bound, jid, generated)


def bind(**fields: Any) -> _Binding:
    """
    Bind *fields* to every log line logged inside the block.

    The same as :func:`bind_job` for fields other than the job id
    (``with joblog.bind(scene=1):``): ``with``, ``async with`` or a
    decorator; nesting restores the outer values on exit.  A bare
    ``joblog.bind(user_id=...)`` statement binds for the rest of the current
    context (task, request, thread), as
    ``structlog.contextvars.bind_contextvars`` does; inside a ``with`` block
    it lasts until that block ends.  A field named like
    a schema key (``message``, ``level``, ``timestamp``, ``logger``) is kept
    as ``fields.<name>``.  Binding ``job_id`` here is validated like
    :func:`bind_job`.

    Raises:
        ValueError: if a ``job_id`` field is not a valid job id.
    """
    if "job_id" in fields:
        validate_job_id(fields["job_id"])
    return _Binding(MappingProxyType(safe_keys(fields)), eager=True)


def carry_context(fn: Callable[P, R]) -> Callable[P, R]:
    """
    Return a callable that runs *fn* in a copy of the caller's current context.

    ``loop.run_in_executor``, ``ThreadPoolExecutor.submit`` and
    ``threading.Thread`` do not copy the context, so job bindings would be
    lost there.  The context is captured *now*, when ``carry_context`` is
    called, in the caller; each call of the returned function runs in its own
    copy of it, so concurrent calls (``executor.map``) are safe and a call's
    own bindings never leak into the next.

    Example::

        await loop.run_in_executor(None, joblog.carry_context(encode), path)
        threading.Thread(target=joblog.carry_context(worker)).start()
    """
    captured = contextvars.copy_context()

    @functools.wraps(fn)
    def run_in_context(*args: P.args, **kwargs: P.kwargs) -> R:
        return captured.copy().run(fn, *args, **kwargs)

    return run_in_context
