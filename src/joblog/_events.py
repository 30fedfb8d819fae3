"""
Building blocks of an event dict shared by both front ends.

Exception fields, the merge of ``structlog.contextvars`` bindings, and
``%``-interpolation that cannot raise.
"""

from __future__ import annotations

import sys
import traceback
from collections.abc import MutableMapping
from types import TracebackType
from typing import Any, TypeAlias

import structlog.contextvars

from .context import SCHEMA_KEYS
from .render import safe_repr, safe_str

ExcInfo: TypeAlias = tuple[type[BaseException], BaseException, TracebackType | None]

# structlog keeps one ContextVar per key it has ever bound, named
# "structlog_<key>" with Ellipsis meaning "unbound".  Reading the registry
# directly costs nothing while it is empty (the common case for joblog users);
# if a structlog version drops it we fall back to the public function.
_REGISTRY: dict[str, Any] | None = getattr(structlog.contextvars, "_CONTEXT_VARS", None)
#: Truthy when something may be bound with structlog.contextvars; the front
#: ends test it before calling :func:`merge_structlog_context`.
STRUCTLOG_VARS: dict[str, Any] = _REGISTRY if _REGISTRY is not None else {"?": None}
_PREFIX_LEN = len("structlog_")


# "structlog_<key>" -> the event's key for it ("fields.<key>" for a schema key).
_EVENT_KEYS: dict[str, str] = {}


def merge_structlog_context(event: MutableMapping[str, Any]) -> None:
    """Add what the application bound with ``structlog.contextvars`` (lowest precedence)."""
    if _REGISTRY is None:  # pragma: no cover - a structlog without the registry
        for key, value in structlog.contextvars.get_contextvars().items():
            event.setdefault(f"fields.{key}" if key in SCHEMA_KEYS else key, value)
        return
    # One pass, names mapped once: this runs on every line while anything
    # is bound with structlog.contextvars.
    for name, var in list(_REGISTRY.items()):
        value = var.get()
        if value is not Ellipsis:
            event_key = _EVENT_KEYS.get(name)
            if event_key is None:
                bare = name[_PREFIX_LEN:]
                event_key = _EVENT_KEYS[name] = f"fields.{bare}" if bare in SCHEMA_KEYS else bare
            if event_key not in event:
                event[event_key] = value


def normalize_exc_info(exc_info: object) -> ExcInfo | None:
    """Turn ``True``, an exception or a ``sys.exc_info()`` tuple into a tuple, or ``None``."""
    if exc_info is True:
        exc_info = sys.exc_info()
    if isinstance(exc_info, BaseException):
        return (type(exc_info), exc_info, exc_info.__traceback__)
    if (
        isinstance(exc_info, tuple)
        and len(exc_info) == 3
        and isinstance(exc_info[1], BaseException)
    ):
        return exc_info
    return None


def exception_fields(exc_info: ExcInfo) -> dict[str, str]:
    """``error_type``, ``error_message`` and ``exception`` (the traceback text)."""
    etype, exc, tb = exc_info
    try:
        text = "".join(traceback.format_exception(etype, exc, tb)).rstrip("\n")
    except Exception:  # a hostile exception can break even the traceback module
        text = f"{etype.__name__}: {safe_str(exc)}"
    return {
        "error_type": etype.__name__,
        "error_message": safe_str(exc),
        "exception": text,
    }


def interpolate(message: object, args: tuple[Any, ...]) -> str:
    """``message % args`` as logging does it; a mismatch never raises."""
    try:
        if len(args) == 1 and isinstance(args[0], dict) and args[0]:
            return safe_str(message) % args[0]
        return safe_str(message) % args
    except Exception:
        return f"{safe_str(message)} {safe_repr(args)}"
