"""
Building blocks of an event dict shared by both front ends.

Exception fields and ``%``-interpolation that cannot raise (what
structlog's ``contextvars`` bound is merged by :mod:`joblog._interop`).
"""

from __future__ import annotations

import sys
import traceback
from types import TracebackType
from typing import Any, TypeAlias

from .render import safe_repr, safe_str

ExcInfo: TypeAlias = tuple[type[BaseException], BaseException, TracebackType | None]


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
