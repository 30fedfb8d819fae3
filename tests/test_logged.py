"""Tests for joblog._logged: marking exceptions that were logged in full."""

from __future__ import annotations

import logging
from typing import Any

from joblog._logged import mark_logged, was_logged

from .conftest import Output


class FrozenError(Exception):
    """An exception that refuses attribute assignment (as attrs' frozen classes do)."""

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"{type(self).__name__} is frozen")


class UnhashableError(Exception):
    """__eq__ without __hash__: such an exception cannot go into a set."""

    def __eq__(self, other: object) -> bool:
        return True


class TestMarkLogged:
    def test_marks_the_object_only(self) -> None:
        """A marked exception is known as logged; an equal-looking other one is not."""
        first, second = ValueError("same"), ValueError("same")

        mark_logged(first)

        assert (True, False, False) == (was_logged(first), was_logged(second), was_logged(None))

    def test_frozen_and_unhashable_exceptions(self) -> None:
        """Exceptions that forbid attributes or hashing can be marked all the same."""
        frozen, unhashable = FrozenError("f"), UnhashableError("u")

        mark_logged(frozen)
        mark_logged(unhashable)

        assert (True, True) == (was_logged(frozen), was_logged(unhashable))

    def test_handler_drops_only_marked_exceptions(self, configured: Any) -> None:
        """joblog's root handler drops a record of a marked exception and keeps the rest."""
        out: Output = configured(level="info")
        logged, fresh = RuntimeError("logged"), RuntimeError("fresh")
        mark_logged(logged)
        server = logging.getLogger("server")

        server.error("Exception in application", exc_info=logged)
        server.error("Exception in application", exc_info=fresh)
        server.error("No exception at all")

        assert [("fresh",), (None,)] == [(e.get("error_message"),) for e in out.events()]
