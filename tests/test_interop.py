"""joblog's reading of structlog.contextvars bindings: merge, look-up, save and restore."""

from __future__ import annotations

import structlog
import structlog.contextvars

from joblog import _interop


def test_the_prefix_is_structlogs_public_one() -> None:
    assert _interop.PREFIX == structlog.contextvars.STRUCTLOG_KEY_PREFIX


def test_merge_keeps_the_events_own_values_and_moves_schema_names() -> None:
    structlog.contextvars.bind_contextvars(request_id="r-1", message="bound", user="bound")
    event = {"user": "call"}
    _interop.merge(event)
    assert event == {"user": "call", "request_id": "r-1", "fields.message": "bound"}


def test_value_of_bound_unbound_and_never_bound_keys() -> None:
    structlog.contextvars.bind_contextvars(scene=3)
    assert _interop.value("scene") == 3
    structlog.contextvars.unbind_contextvars("scene")
    assert _interop.value("scene") is _interop.MISSING
    assert _interop.value("never-bound-anywhere") is _interop.MISSING


def test_restore_puts_back_what_save_saw() -> None:
    structlog.contextvars.bind_contextvars(request_id="outer")
    saved = _interop.save()
    structlog.contextvars.bind_contextvars(request_id="inner", added_later="x")
    _interop.restore(saved)
    assert structlog.contextvars.get_contextvars() == {"request_id": "outer"}
