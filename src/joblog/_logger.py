"""
joblog's bound logger: the structlog-compatible front end.

``get_logger()`` returns a :class:`BoundLogger`.  It does not go through
structlog's processor machinery: each call builds the event dict directly in
schema order and hands it to the configured :class:`~joblog._config.Pipeline`.
Levels below the configured minimum are swapped for a no-op method on the
class, so a disabled call costs what structlog's filtering loggers cost.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Mapping, MutableMapping
from types import FrameType
from typing import Any, Final

import structlog

from . import _config
from ._events import exception_fields, interpolate, normalize_exc_info
from ._interop import BOUND as STRUCTLOG_VARS
from ._interop import merge as merge_structlog_context
from ._schema import STACK
from .context import SCHEMA_KEYS, _fields, safe_keys
from .render import format_timestamp, safe_str

__all__ = ["BoundLogger", "get_logger"]

_get_bound = _fields.get
_now = time.time
_EMPTY: Final[Mapping[str, Any]] = {}


def _emit(
    logger: BoundLogger,
    levelno: int,
    level: str,
    event: object,
    args: tuple[Any, ...],
    fields: dict[str, Any],
) -> None:
    """Build the event in schema order and hand it to the pipeline; never raises."""
    pipeline = _config.pipeline or _config.current()
    if levelno < pipeline.level:
        return
    try:
        if args:
            event = interpolate(event, args)
        elif type(event) is not str:
            event = safe_str(event)
        out: dict[str, Any] = {
            "timestamp": format_timestamp(_now()),
            "level": level,
            "message": event,
            "logger": logger._name,
        }
        bound = _get_bound()
        if bound:
            out.update(bound)
        if logger._context:
            out.update(logger._context)
        exc_info = None
        if fields:
            if "exc_info" in fields:
                exc_info = fields.pop("exc_info")
            if "stack_info" in fields:
                _add_stack(out, fields.pop("stack_info"))
            if not SCHEMA_KEYS.isdisjoint(fields):
                fields = safe_keys(fields)
            out.update(fields)
        if STRUCTLOG_VARS:
            merge_structlog_context(out)
        if exc_info is not None:
            info = normalize_exc_info(exc_info)
            if info is not None:
                out.update(exception_fields(info))
    except Exception as exc:
        out = _config.failure_event(exc)
    pipeline.emit(out, level, logger)


def _add_stack(out: dict[str, Any], stack_info: object) -> None:
    if stack_info:
        import traceback

        frame = _user_frame(sys._getframe(1))
        out[STACK] = "".join(traceback.format_stack(frame)).rstrip("\n")


def _is_library(module: object) -> bool:
    return isinstance(module, str) and (
        module in ("joblog", "structlog") or module.startswith(("joblog.", "structlog."))
    )


def _user_frame(frame: FrameType) -> FrameType:
    """
    The first frame outside joblog and structlog: the caller's, whatever the path.

    A fixed depth is right for one path only; ``sampled()`` and
    ``structlog.get_logger()`` add frames of their own (structlog's
    ``_frames`` walks the same way).
    """
    while _is_library(frame.f_globals.get("__name__")) and frame.f_back is not None:
        frame = frame.f_back
    return frame


class BoundLogger:
    """
    A logger with bound fields: ``log.info("Scene details", scene_number=1)``.

    The API is structlog's (``bind``, ``new``, ``unbind``, ``try_unbind``,
    the level methods, ``%``-style positional arguments, ``exc_info=``), and
    it satisfies structlog's ``BindableLogger`` protocol.  Bound fields are
    immutable: :meth:`bind` returns a new logger.  Calls below the configured
    level do nothing and cost almost nothing.  A logging call never raises.
    """

    __slots__ = ("_context", "_name")

    def __init__(self, name: str, context: Mapping[str, Any] = _EMPTY) -> None:
        self._name = name
        self._context = context

    @property
    def name(self) -> str:
        """The logger name (the ``logger`` field of every line)."""
        return self._name

    def __repr__(self) -> str:
        return f"<BoundLogger(name={self._name!r}, context={dict(self._context)!r})>"

    def bind(self, **fields: Any) -> BoundLogger:
        """Return a new logger with *fields* added to every line it logs."""
        return BoundLogger(self._name, {**self._context, **safe_keys(fields)})

    def new(self, **fields: Any) -> BoundLogger:
        """Return a new logger with only *fields* bound."""
        return BoundLogger(self._name, safe_keys(fields))

    def unbind(self, *keys: str) -> BoundLogger:
        """Return a new logger without *keys*; ``KeyError`` if one is not bound."""
        context = dict(self._context)
        for key in keys:
            del context[key]
        return BoundLogger(self._name, context)

    def try_unbind(self, *keys: str) -> BoundLogger:
        """Like :meth:`unbind`, but missing keys are ignored."""
        return BoundLogger(self._name, {k: v for k, v in self._context.items() if k not in keys})

    def debug(self, event: object, /, *args: Any, **fields: Any) -> None:
        """Log *event* at ``debug``."""
        _emit(self, 10, "debug", event, args, fields)

    def info(self, event: object, /, *args: Any, **fields: Any) -> None:
        """Log *event* at ``info``."""
        _emit(self, 20, "info", event, args, fields)

    def warning(self, event: object, /, *args: Any, **fields: Any) -> None:
        """Log *event* at ``warning``."""
        _emit(self, 30, "warning", event, args, fields)

    warn = warning

    def error(self, event: object, /, *args: Any, **fields: Any) -> None:
        """Log *event* at ``error``."""
        _emit(self, 40, "error", event, args, fields)

    def exception(self, event: object, /, *args: Any, **fields: Any) -> None:
        """Log *event* at ``error`` with the exception being handled (``exc_info=True``)."""
        fields.setdefault("exc_info", True)
        _emit(self, 40, "error", event, args, fields)

    def critical(self, event: object, /, *args: Any, **fields: Any) -> None:
        """Log *event* at ``critical``."""
        _emit(self, 50, "critical", event, args, fields)

    fatal = critical

    def log(self, level: int | str, event: object, /, *args: Any, **fields: Any) -> None:
        """Log *event* at *level* (a number or a name); an unknown level logs at ``info``."""
        try:
            levelno = _config.parse_level(level)
        except (TypeError, ValueError):
            levelno = 20
        name = _NAMES.get(levelno, "info") if levelno >= 10 else "debug"
        _emit(self, levelno, name, event, args, fields)


_NAMES: Final = {10: "debug", 20: "info", 30: "warning", 40: "error", 50: "critical"}
#: Every level method (aliases included) and its level: what a class swaps
#: for a no-op when its level is disabled (BoundLogger here, SampledLogger too).
LEVEL_METHODS: Final = (
    ("debug", 10),
    ("info", 20),
    ("warning", 30),
    ("warn", 30),
    ("error", 40),
    ("exception", 40),
    ("critical", 50),
    ("fatal", 50),
)
_METHODS: Final = {name: (levelno, BoundLogger.__dict__[name]) for name, levelno in LEVEL_METHODS}


def _nop(self: BoundLogger, event: object, /, *args: Any, **fields: Any) -> None:
    """Disabled level: does nothing."""


def _install_levels(level: int) -> None:
    for name, (levelno, method) in _METHODS.items():
        setattr(BoundLogger, name, method if levelno >= level else _nop)


_config._install_hooks.append(_install_levels)


def get_logger(name: str | None = None, **fields: Any) -> BoundLogger:
    """
    Return a logger named *name* with *fields* bound.

    Safe at module level (``log = joblog.get_logger(__name__)``): it
    configures nothing and follows later calls to :func:`joblog.configure`.
    Used before any ``configure()``, joblog's defaults apply (JSON or
    console on stdout per ``renderer="auto"``, level ``INFO``, redaction on,
    :mod:`logging` untouched).

    Args:
        name: the ``logger`` field; defaults to the calling module's name.
        **fields: fields bound to every line of this logger.
    """
    if name is None:
        name = sys._getframe(1).f_globals.get("__name__", "root")
    return BoundLogger(str(name), safe_keys(fields) if fields else _EMPTY)


_METHOD_LEVELS: Final = {
    "debug": "debug",
    "info": "info",
    "msg": "info",
    "warning": "warning",
    "warn": "warning",
    "error": "error",
    "exception": "error",
    "critical": "critical",
    "fatal": "critical",
}


class StructlogName:
    """
    What structlog wraps while joblog is configured: just the logger's name.

    ``structlog.get_logger("app.db")`` passes its arguments to the logger
    factory; keeping the first one gives the line its ``logger`` field.
    """

    __slots__ = ("name",)

    def __init__(self, *args: object) -> None:
        self.name = str(args[0]) if args else "structlog"


def structlog_bridge(
    logger: Any, method_name: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """
    The only processor of structlog's configuration while joblog is configured.

    Re-emits a ``structlog.get_logger()`` event through joblog's chain (same
    schema, context and redaction) and drops it from structlog's.
    """
    level = _METHOD_LEVELS.get(method_name, "info")
    fields = dict(event_dict)
    message = fields.pop("event", "")
    name = fields.pop("logger", None) or getattr(logger, "name", "structlog")
    _emit(
        BoundLogger(str(name)),
        _config.LEVELS[level],
        level,
        message,
        (),
        fields,
    )
    raise structlog.DropEvent
