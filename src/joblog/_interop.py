"""
The one place joblog reads structlog's ``contextvars`` bindings.

structlog keeps one :class:`~contextvars.ContextVar` per key ever bound with
``structlog.contextvars.bind_contextvars``, named ``STRUCTLOG_KEY_PREFIX +
key``, with ``Ellipsis`` meaning "unbound".  Reading that registry directly
costs nothing while it is empty (the common case for joblog users) and one
``get()`` per key otherwise; the public ``get_contextvars()`` copies a whole
context each time.  If a structlog release drops the registry, every function
here falls back to the public API (or, for save/restore, does nothing).
"""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any, Final

import structlog.contextvars

from . import _schema

PREFIX: Final[str] = getattr(structlog.contextvars, "STRUCTLOG_KEY_PREFIX", "structlog_")
_PREFIX_LEN: Final[int] = len(PREFIX)

REGISTRY: Final[dict[str, Any] | None] = getattr(structlog.contextvars, "_CONTEXT_VARS", None)
#: Truthy when something may be bound with ``structlog.contextvars``: the front
#: ends test it before calling :func:`merge`.
BOUND: Final[dict[str, Any]] = REGISTRY if REGISTRY is not None else {"?": None}
#: The registry, or an empty dict without one (nothing to save or restore).
_VARS: Final[dict[str, Any]] = REGISTRY if REGISTRY is not None else {}
#: A value :func:`value` returns for a key nothing bound.
MISSING: Final = object()

# PREFIX + key -> the event's key for it ("fields.<key>" for a schema key).
_EVENT_KEYS: dict[str, str] = {}


def merge(event: MutableMapping[str, Any]) -> None:
    """Add what the application bound with ``structlog.contextvars`` (lowest precedence)."""
    if REGISTRY is None:  # pragma: no cover - a structlog without the registry
        for key, value in structlog.contextvars.get_contextvars().items():
            event.setdefault(f"fields.{key}" if key in _schema.SCHEMA_KEYS else key, value)
        return
    # One pass, names mapped once: this runs on every line while anything
    # is bound with structlog.contextvars.
    for name, var in list(REGISTRY.items()):
        bound = var.get()
        if bound is not Ellipsis:
            event_key = _EVENT_KEYS.get(name)
            if event_key is None:
                bare = name[_PREFIX_LEN:]
                event_key = _EVENT_KEYS[name] = (
                    f"fields.{bare}" if bare in _schema.SCHEMA_KEYS else bare
                )
            if event_key not in event:
                event[event_key] = bound


def value(key: str) -> Any:
    """What *key* is bound to with ``structlog.contextvars``, or :data:`MISSING`."""
    if REGISTRY is None:  # pragma: no cover - a structlog without the registry
        return structlog.contextvars.get_contextvars().get(key, MISSING)
    var = REGISTRY.get(PREFIX + key)
    if var is None:
        return MISSING
    bound = var.get()
    return MISSING if bound is Ellipsis else bound


def save() -> dict[str, Any]:
    """Every ``structlog.contextvars`` binding of this context, for :func:`restore`."""
    return {name: var.get() for name, var in list(_VARS.items())}


def restore(saved: dict[str, Any]) -> None:
    """Put back what :func:`save` returned; keys bound since then are unbound."""
    for name, var in list(_VARS.items()):
        bound = saved.get(name, Ellipsis)  # Ellipsis is structlog's "unbound"
        if var.get() is not bound:
            var.set(bound)
