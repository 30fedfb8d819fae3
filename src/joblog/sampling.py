"""
``sampled()``: quiet polling loops that still say what they did.

The architecture's rule 4, "don't log in tight loops": a loop that polls a
vendor every 5 s logs one line a minute instead of twelve.  A sampled logger
wraps an ordinary one and decides, per call, whether the line is shown:

* **count-based** (``every=12``): the n-th call of a key is shown iff
  ``n <= first`` or ``(n - first) % every == 0``;
* **time-based** (``interval=60``): a call is shown when *interval* seconds
  have passed since the key's last shown line (or since its first call);
* both given: either condition shows the call.

A *key* is the level, the message (the template, before ``%``-args) and the
values of the ``key`` fields; payload fields such as ``attempt`` never are.
Every shown ``debug``/``info`` line carries ``suppressed=N``, the calls of
its key not shown since the previous line.  ``warning`` and above are never
sampled.  As a context manager the sampler flushes on exit: each key's last
call not shown is written with its own ``suppressed`` count, so lines plus
suppressed always add up to the calls and a loop's final state is never lost.

Design notes, in one place:

* One :class:`threading.Lock` guards the check-and-update of a key's state
  (asyncio tasks need nothing more: a call never awaits), so counts are exact
  across threads.  Lines are written outside the lock.
* State lives in an ordered dict used as an LRU of at most *max_keys* keys.
  A key pushed out with calls not shown is flushed first, like on exit, so
  eviction costs accuracy of sampling, never a lost count.
* A call below the configured level costs what joblog's disabled call costs:
  for a joblog :class:`~joblog.BoundLogger` the disabled level methods of the
  sampler's class are swapped for the same no-op at configure time.
* A suppressed call keeps its arguments and a copy of its context (O(1) in
  CPython), so a flushed line is the call itself, with its ``job_id``.
* Every sampler is remembered weakly, so :func:`joblog.flush` (run at
  interpreter exit, and by :func:`joblog.cancel_jobs`) can write the calls
  held back by samplers whose ``with`` block never ended.
* While a ``with`` block runs, the sampler is the context's *active* sampler
  (:func:`active_sampler`): the httpx integration samples the block's HTTP
  lines with it.  The active samplers are a tuple in a ContextVar, changed
  without tokens, so one sampler entered by many tasks at once stays right.
"""

from __future__ import annotations

import contextvars
import logging
import math
import sys
import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable, Mapping
from types import TracebackType
from typing import Any, Final

from . import _config, _interop
from ._blocks import Block
from ._fork import renew_in_child
from ._logger import LEVEL_METHODS, BoundLogger, _emit, _nop
from .context import _fields
from .render import safe_repr, safe_str

__all__ = [
    "DEFAULT_MAX_KEYS",
    "Keyed",
    "SampledLogger",
    "active_sampler",
    "flush_samplers",
    "sampled",
]

#: The default cap on the number of keys one sampler remembers.
DEFAULT_MAX_KEYS: Final = 10_000

_MISSING: Final = _interop.MISSING
# Key values of these types are hashable as they are; others are checked.
_PLAIN: Final = frozenset({str, int, float, bool, type(None)})
_get_bound = _fields.get
_copy_context = contextvars.copy_context

# The samplers whose `with` blocks are running in this context, innermost last.
_active: contextvars.ContextVar[tuple[SampledLogger, ...]] = contextvars.ContextVar(
    "joblog_active_samplers", default=()
)
# Every sampler alive, for flush_samplers().
_live: weakref.WeakSet[_Sampler] = weakref.WeakSet()

# A call not shown yet: (sampled logger, levelno, level, event, args, fields, context).
_Pending = tuple[
    "SampledLogger", int, str, object, tuple[Any, ...], dict[str, Any], contextvars.Context
]


class _KeyState:
    """What a sampler remembers about one key."""

    __slots__ = ("calls", "dropped", "last_shown", "pending")

    def __init__(self, now: float) -> None:
        self.calls = 0
        self.dropped = 0
        # The reference point of interval=: the last shown line, or the first call.
        self.last_shown = now
        self.pending: _Pending | None = None


class _Sampler:
    """
    The state one sampler and all its ``bind()`` children share.

    Every read and write of a key's state happens under :attr:`lock` (in
    the sampled level methods, :meth:`evict` and :meth:`drain`), so the
    decision and the counts stay exact whatever threads and tasks call in.
    """

    __slots__ = (
        "__weakref__",
        "clock",
        "every",
        "evicted",
        "first",
        "interval",
        "key",
        "lock",
        "max_keys",
        "states",
    )

    def __init__(
        self,
        *,
        every: int | None,
        interval: float | None,
        first: int,
        key: tuple[str, ...],
        clock: Callable[[], float],
        max_keys: int,
    ) -> None:
        self.every = every
        self.interval = interval
        self.first = first
        self.key = key
        self.clock = clock
        self.max_keys = max_keys
        self.lock = threading.Lock()
        renew_in_child(self)
        # Keys, least recently used first.
        self.states: OrderedDict[Hashable, _KeyState] = OrderedDict()
        self.evicted: list[tuple[_Pending, int]] = []

    def _after_fork(self) -> None:
        # A thread of the parent may have held the lock mid-update.
        self.lock = threading.Lock()

    def evict(self) -> None:
        """
        Forget the least recently used key (called under the lock).

        Its last call not shown, if any, is queued in :attr:`evicted` for the
        caller to write once the lock is released.
        """
        state = self.states.popitem(last=False)[1]
        if state.pending is not None:
            self.evicted.append((state.pending, state.dropped - 1))

    def take_evicted(self) -> list[tuple[_Pending, int]]:
        """The calls queued by :meth:`evict`, emptying the queue."""
        with self.lock:
            evicted, self.evicted = self.evicted, []
        return evicted

    def drain(self) -> list[tuple[_Pending, int]]:
        """Forget every key; return each last call not shown with its ``suppressed``."""
        with self.lock:
            pending = [
                (state.pending, state.dropped - 1)
                for state in self.states.values()
                if state.pending is not None
            ]
            self.states.clear()
        return pending


class Keyed:
    """
    A message with the key to count it under, in place of the sampler's own.

    ``plog.info(Keyed("HTTP request", key), **fields)`` is how the httpx
    integration counts a request by its method, host and path.
    """

    __slots__ = ("key", "text")

    def __init__(self, text: str, key: Hashable) -> None:
        self.text = text
        self.key = key


def _sampling_method(levelno: int, level: str) -> Callable[..., None]:
    """The sampled level method for *level*: count the call under its key, write it if shown."""

    def method(self: SampledLogger, event: object, /, *args: Any, **fields: Any) -> None:
        sampler = self._sampler
        try:
            enabled = self._enabled
            if enabled is not None and not enabled(levelno):
                return
            key: Hashable
            if type(event) is str:
                key = (
                    (levelno, event, *self._key_values(fields)) if sampler.key else (levelno, event)
                )
            elif type(event) is Keyed:
                key = event.key
                event = event.text
            else:
                text = safe_str(event)
                key = (levelno, text, *self._key_values(fields)) if sampler.key else (levelno, text)
            if "exc_info" in fields and fields["exc_info"] is True:
                # Resolve it now: a flushed call is written outside the except block.
                fields["exc_info"] = sys.exc_info()
            interval = sampler.interval
            # The check-and-update, inlined: this is most of a suppressed call's cost
            # (and acquire/release is ~40% cheaper than `with lock:` on CPython 3.11).
            lock = sampler.lock
            lock.acquire()
            try:
                now = sampler.clock() if interval is not None else 0.0
                states = sampler.states
                state = states.get(key)
                if state is None:
                    state = states[key] = _KeyState(now)
                    if len(states) > sampler.max_keys:
                        sampler.evict()
                elif len(states) > 1:
                    # LRU order matters only between keys; one polling loop has one.
                    states.move_to_end(key)
                n = state.calls = state.calls + 1
                every = sampler.every
                if interval is not None and now < state.last_shown:
                    # A clock that went backwards re-anchors instead of going quiet.
                    state.last_shown = now
                if (
                    n <= sampler.first
                    or (every is not None and (n - sampler.first) % every == 0)
                    or (interval is not None and now - state.last_shown >= interval)
                ):
                    suppressed = state.dropped
                    state.dropped = 0
                    state.pending = None
                    state.last_shown = now
                else:
                    suppressed = -1
                    state.dropped += 1
                    # Kept with a copy of its context, should it be the one flushed.
                    state.pending = (self, levelno, level, event, args, fields, _copy_context())
            finally:
                lock.release()
        except Exception:
            # A hostile key value or clock: fail open, the line is shown (uncounted).
            self._deliver(
                levelno, level, event if type(event) is not Keyed else event.text, args, fields
            )
            return
        if sampler.evicted:
            for call, dropped in sampler.take_evicted():
                _deliver_pending(call, dropped)
        if suppressed >= 0:
            fields["suppressed"] = suppressed
            self._deliver(levelno, level, event, args, fields)

    method.__name__ = method.__qualname__ = level
    method.__doc__ = f"Log *event* at ``{level}``, sampled."
    return method


class SampledLogger(Block["SampledLogger"]):
    """
    A logger for polling loops, returned by :func:`sampled`.

    ``debug`` and ``info`` calls are sampled; ``warning``, ``warn``,
    ``error``, ``exception``, ``critical`` and ``fatal`` pass straight
    through.  The level methods take what a joblog or structlog logger takes:
    the message, ``%``-style positional arguments and fields.  A call never
    raises.

    Use it as a context manager (``with`` or ``async with``) around the loop:
    on exit, whether the block succeeds, raises or is cancelled, each key's
    last call that was not shown is written (see :func:`sampled`) and the
    sampler starts afresh.
    """

    __slots__ = ("_bound", "_enabled", "_logger", "_sampler")

    def __init__(
        self,
        logger: Any,
        sampler: _Sampler,
        bound: Mapping[str, Any],
        enabled: Callable[[int], bool] | None,
    ) -> None:
        self._logger = logger
        self._sampler = sampler
        # The logger's bound fields, where key= looks after the call's own fields.
        self._bound = bound
        # For loggers other than joblog's: their own "would this level log?".
        self._enabled = enabled

    def __repr__(self) -> str:
        s = self._sampler
        return (
            f"<SampledLogger(every={s.every!r}, interval={s.interval!r}, first={s.first!r}, "
            f"key={s.key!r}, logger={self._logger!r})>"
        )

    def bind(self, **fields: Any) -> SampledLogger:
        """
        Return a sampled logger with *fields* added to every line it logs.

        It shares this sampler's counters (and its flush on exit): name a
        bound field in ``key=`` if lines of different bindings must be
        counted apart.
        """
        logger = self._logger.bind(**fields)
        return _wrap(logger, self._sampler, _bound_fields(logger, self._bound, fields))

    # -- level methods ----------------------------------------------------

    # debug and info are the hot path, each its own copy of one body (a call
    # to a shared helper would cost a suppressed call a tenth of its time).
    debug = _sampling_method(10, "debug")
    info = _sampling_method(20, "info")

    def warning(self, event: object, /, *args: Any, **fields: Any) -> None:
        """Log *event* at ``warning``; never sampled."""
        self._deliver(30, "warning", event, args, fields)

    warn = warning

    def error(self, event: object, /, *args: Any, **fields: Any) -> None:
        """Log *event* at ``error``; never sampled."""
        self._deliver(40, "error", event, args, fields)

    def exception(self, event: object, /, *args: Any, **fields: Any) -> None:
        """Log *event* at ``error`` with the exception being handled; never sampled."""
        fields.setdefault("exc_info", True)
        self._deliver(40, "error", event, args, fields)

    def critical(self, event: object, /, *args: Any, **fields: Any) -> None:
        """Log *event* at ``critical``; never sampled."""
        self._deliver(50, "critical", event, args, fields)

    fatal = critical

    # -- context manager --------------------------------------------------

    def __enter__(self) -> SampledLogger:
        _active.set((*_active.get(), self))
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._leave()

    def _leave(self) -> None:
        # Remove this sampler's innermost entry from this context's stack.
        # No token: a token set in another task's context could not be reset here.
        stack = _active.get()
        for i in range(len(stack) - 1, -1, -1):
            if stack[i] is self:
                _active.set(stack[:i] + stack[i + 1 :])
                break
        self._flush()

    def _with_logger(self, logger: Any) -> SampledLogger:
        """A sampled *logger* counted by this sampler (the httpx integration's lines)."""
        return _wrap(logger, self._sampler, _bound_fields(logger, {}, {}))

    # -- internals --------------------------------------------------------

    def _key_values(self, fields: dict[str, Any]) -> list[Hashable]:
        values = []
        for name in self._sampler.key:
            value = fields[name] if name in fields else self._context_value(name)
            if type(value) not in _PLAIN:
                value = _hashable(value)
            values.append(value)
        return values

    def _context_value(self, name: str) -> Any:
        """A key field not given in the call: bound fields, joblog's context, structlog's."""
        bound = self._bound
        if name in bound:
            return bound[name]
        value = _get_bound().get(name, _MISSING)
        if value is _MISSING:
            value = _interop.value(name)
        return value

    def _deliver(
        self, levelno: int, level: str, event: object, args: tuple[Any, ...], fields: dict[str, Any]
    ) -> None:
        """Hand one call to the wrapped logger; never raises."""
        try:
            getattr(self._logger, level)(event, *args, **fields)
        except Exception as exc:
            _config.report_internal_error(exc)

    def _flush(self) -> None:
        for call, suppressed in self._sampler.drain():
            _deliver_pending(call, suppressed)


class _JoblogSampledLogger(SampledLogger):
    """
    A sampled joblog :class:`~joblog.BoundLogger`.

    Its level methods below the configured level are swapped for joblog's
    no-op at configure time (see :func:`_install_levels`), so such a call
    costs exactly a disabled ``BoundLogger`` call; lines go straight to
    joblog's emitter.
    """

    __slots__ = ()

    def _deliver(
        self, levelno: int, level: str, event: object, args: tuple[Any, ...], fields: dict[str, Any]
    ) -> None:
        _emit(self._logger, levelno, level, event, args, fields)


def _deliver_pending(call: _Pending, suppressed: int) -> None:
    """Write a call that was not shown, in the context it was made in."""
    logger, levelno, level, event, args, fields, context = call
    fields["suppressed"] = suppressed
    context.run(logger._deliver, levelno, level, event, args, fields)


def _hashable(value: Any) -> Hashable:
    try:
        hash(value)
    except Exception:
        return (type(value).__qualname__, safe_repr(value))
    return value  # type: ignore[no-any-return]


def _bound_fields(logger: Any, parent: Mapping[str, Any], fields: Mapping[str, Any]) -> Any:
    """The fields *logger* has bound: its ``_context`` (joblog and structlog), else merged."""
    context = getattr(logger, "_context", None)
    if isinstance(context, Mapping):
        return context
    return {**parent, **fields}


# -- disabled levels cost a no-op ---------------------------------------------

_LEVEL_METHODS: Final = {
    name: (levelno, SampledLogger.__dict__[name]) for name, levelno in LEVEL_METHODS
}


def _install_levels(level: int) -> None:
    """Run by :func:`joblog.configure`: disabled levels become joblog's no-op."""
    for name, (levelno, method) in _LEVEL_METHODS.items():
        setattr(_JoblogSampledLogger, name, method if levelno >= level else _nop)


_config._install_hooks.append(_install_levels)
_install_levels(_config.pipeline.level if _config.pipeline is not None else 0)


# -- construction ---------------------------------------------------------------

_REQUIRED_METHODS: Final = ("debug", "info", "warning", "error", "critical", "bind")


def _check_int(name: str, value: object, minimum: int) -> int:
    # bool is an int subclass, but every=True is a mistake, not 1.
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, not {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value!r}")
    return value


def _check_interval(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"interval must be a number of seconds, not {value!r}")
    if not (value > 0 and math.isfinite(value)):
        raise ValueError(f"interval must be a finite number of seconds > 0, got {value!r}")
    return float(value)


def _check_key(key: object) -> tuple[str, ...]:
    if isinstance(key, str):
        raise TypeError(f"key must be a tuple of field names, not a string: use key=({key!r},)")
    if not isinstance(key, Iterable):
        raise TypeError(f"key must be a tuple of field names, not {key!r}")
    names = tuple(key)
    for name in names:
        if not isinstance(name, str) or not name:
            raise TypeError(f"key must hold non-empty field names (strings), got {name!r}")
    return names


def sampled(
    logger: Any,
    *,
    every: int | None = None,
    interval: float | None = None,
    first: int = 0,
    key: Iterable[str] = (),
    clock: Callable[[], float] = time.monotonic,
    max_keys: int = DEFAULT_MAX_KEYS,
) -> SampledLogger:
    """
    Wrap *logger* so that its ``debug`` and ``info`` calls are sampled.

    Counters are per sampler and per *key*: the level, the message (the
    template, before ``%``-args) and the values of the *key* fields.  Call
    number n of a key is shown iff ``n <= first``, or ``(n - first) % every
    == 0`` (with *every*), or *interval* seconds have passed since the key's
    last shown line, or since its first call (with *interval*).  A shown
    ``debug``/``info`` line carries ``suppressed=N``: the calls of its key
    not shown since its previous line (``0`` when none).  ``warning`` and
    above are never sampled, carry no ``suppressed`` and leave the counters
    alone.  Calls below the configured level are not counted.

    Use one sampler per polling loop.  Loops that share one must name their
    distinguishing fields in *key* (``key=("scene",)``), or the loop that
    happens to make every 12th call is the only one ever shown.

    As a context manager (``with``/``async with``), on exit (success,
    exception or cancellation alike) it writes, for each key, the last call
    not shown with ``suppressed`` = the other calls not shown before it, so
    lines + sum of ``suppressed`` = calls; then it forgets its keys.

    Args:
        logger: a joblog logger (``joblog.get_logger()``, or its ``bind()``
            results) or a structlog logger: anything with the level methods
            taking ``(event, *args, **fields)`` and ``bind()``.
        every: show every *every*-th call of a key (an int >= 1).
        interval: show a call when this many seconds (> 0) have passed since
            the key's last shown line.
        first: always show the first *first* calls of a key (an int >= 0).
        key: the field names whose values tell keys apart.  A value is read
            from the call's fields, then the logger's bound fields, then the
            context bound with :func:`joblog.bind_job`/:func:`joblog.bind`
            (``job_id``, ``scene``), then ``structlog.contextvars``.
        clock: seconds as a float, for *interval*; inject a fake in tests.
        max_keys: the most keys remembered (an int >= 1).  Beyond it the
            least recently used key is forgotten; if it had calls not shown,
            its last one is written first (as on exit), and its next call
            counts as its first.

    Returns:
        A :class:`SampledLogger`.

    Raises:
        ValueError: neither *every* nor *interval* given, or a value out of
            range (``every < 1``, ``interval <= 0``, ``first < 0``).
        TypeError: a value of the wrong type (``bool`` is not an int here),
            a *key* that is a string or holds non-strings, a *clock* that is
            not callable, or a *logger* without the level methods.

    Example::

        with joblog.sampled(log, every=12) as plog:
            for attempt in itertools.count(1):
                plog.debug("Kling still processing", scene=1, attempt=attempt)
                ...
    """
    if every is None and interval is None:
        raise ValueError("sampled() needs every= or interval= (or both)")
    every_n = None if every is None else _check_int("every", every, 1)
    seconds = None if interval is None else _check_interval(interval)
    first_n = _check_int("first", first, 0)
    names = _check_key(key)
    if not callable(clock):
        raise TypeError(f"clock must be a callable returning seconds, not {clock!r}")
    cap = _check_int("max_keys", max_keys, 1)
    if isinstance(logger, (logging.Logger, logging.LoggerAdapter)) or not all(
        callable(getattr(logger, name, None)) for name in _REQUIRED_METHODS
    ):
        raise TypeError(
            "logger must be a joblog or structlog logger (debug/info/warning/error/critical "
            f"taking fields, and bind()), not {logger!r}"
        )
    sampler = _Sampler(
        every=every_n, interval=seconds, first=first_n, key=names, clock=clock, max_keys=cap
    )
    _live.add(sampler)
    _at_exit.register()
    return _wrap(logger, sampler, _bound_fields(logger, {}, {}))


def _wrap(logger: Any, sampler: _Sampler, bound: Mapping[str, Any]) -> SampledLogger:
    if type(logger) is BoundLogger:
        return _JoblogSampledLogger(logger, sampler, bound, None)
    # structlog's filtering loggers say which levels they drop; others filter themselves.
    enabled = getattr(logger, "is_enabled_for", None)
    return SampledLogger(logger, sampler, bound, enabled if callable(enabled) else None)


def active_sampler() -> SampledLogger | None:
    """The innermost sampler whose ``with`` block is running in this context, or ``None``."""
    stack = _active.get()
    return stack[-1] if stack else None


def flush_samplers() -> None:
    """
    Write, for every live sampler, each key's last call not shown (as on exit).

    The samplers then start afresh.  Lines + ``suppressed`` still add up to
    the calls.  Never raises.
    """
    for sampler in list(_live):
        # Each held-back call has its own fresh context copy and a delivery that
        # never raises, so nothing here can raise either.
        for call, suppressed in sampler.drain():
            _deliver_pending(call, suppressed)


class _AtExit:
    """Registers :func:`joblog.flush` with :mod:`atexit` once, on first use, never at import."""

    __slots__ = ("done",)

    def __init__(self) -> None:
        self.done = False

    def register(self) -> None:
        if not self.done:
            self.done = True
            import atexit

            from .jobs import flush

            atexit.register(flush)


_at_exit: Final = _AtExit()
