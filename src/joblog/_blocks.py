"""
Blocks: context managers for ``with`` and ``async with``, and decorators made of them.

joblog's bindings, stages, jobs, samplers and spans do the same work whether
they are entered with ``with`` or ``async with`` (nothing in them awaits),
and the decorating ones wrap a sync or an async function the same way: each
call runs inside a block of its own.  Both are written here once.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Awaitable, Callable
from contextlib import AbstractContextManager
from types import TracebackType
from typing import Any, Generic, ParamSpec, TypeVar, cast

__all__ = ["Block", "per_call"]

P = ParamSpec("P")
R = TypeVar("R")
T = TypeVar("T")


class Block(Generic[T]):
    """A context manager whose ``async with`` form is its ``with`` form."""

    __slots__ = ()

    def __enter__(self) -> T:
        raise NotImplementedError

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        raise NotImplementedError

    async def __aenter__(self) -> T:
        return self.__enter__()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.__exit__(exc_type, exc, tb)


def per_call(
    fn: Callable[P, R], fresh: Callable[[], AbstractContextManager[Any]]
) -> Callable[P, R]:
    """
    Wrap *fn* (sync or ``async``) so that every call runs inside a new ``fresh()`` block.

    One block per call, never one shared: overlapping calls (``asyncio.gather``,
    threads) would otherwise leave the same block from the wrong context.
    """
    if inspect.iscoroutinefunction(fn):
        afn = cast("Callable[P, Awaitable[Any]]", fn)

        @functools.wraps(fn)
        async def async_wrapper(*args: P.args, **kwargs: P.kwargs) -> Any:
            with fresh():
                return await afn(*args, **kwargs)

        return cast("Callable[P, R]", async_wrapper)

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with fresh():
            return fn(*args, **kwargs)

    return wrapper
