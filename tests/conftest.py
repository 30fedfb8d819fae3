"""Shared fixtures: every test starts unconfigured, with no stray handlers or bindings."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import structlog

import joblog
from joblog.testing import reset_defaults


@pytest.fixture(autouse=True)
def _clean_state() -> Iterator[None]:
    root = logging.getLogger()
    handlers = list(root.handlers)
    reset_defaults()
    structlog.contextvars.clear_contextvars()
    unbound = joblog.context._fields.set(joblog.context._EMPTY)  # a bare bind() binds on
    yield
    reset_defaults()
    structlog.contextvars.clear_contextvars()
    joblog.context._fields.reset(unbound)
    root.handlers[:] = handlers  # whatever a test added (dictConfig, say) goes
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).setLevel(logging.NOTSET)


class Output(io.StringIO):
    """A stream that remembers what joblog wrote and parses it."""

    def lines(self) -> list[str]:
        return self.getvalue().splitlines()

    def events(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.lines()]


@pytest.fixture
def output() -> Output:
    return Output()


@pytest.fixture
def configured(output: Output) -> Callable[..., Output]:
    """Configure joblog to write JSON into ``output``; returns the stream."""

    def configure(**kwargs: Any) -> Output:
        kwargs.setdefault("renderer", "json")
        kwargs.setdefault("level", "debug")
        joblog.configure(stream=output, **kwargs)
        return output

    return configure
