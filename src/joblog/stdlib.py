"""
The :mod:`logging` front end: :class:`JobJsonFormatter` and joblog's root handler.

A ``logging.LogRecord`` becomes the same event dict a joblog logger builds
(schema keys first, then the job context, then ``extra`` fields, then the
exception fields) and goes through the same pipeline: extra processors,
redaction, rendering.  So uvicorn, httpx, boto3 and the application's own
``logging`` loggers come out as the same JSON, with the same ``job_id``.
"""

from __future__ import annotations

import logging
from collections.abc import MutableMapping
from itertools import islice
from typing import Any, Final

import orjson
from pythonjsonlogger.json import JsonFormatter

from . import _config
from ._events import exception_fields, interpolate
from ._interop import BOUND as STRUCTLOG_VARS
from ._interop import merge as merge_structlog_context
from ._logged import was_logged
from .context import SCHEMA_KEYS, _fields
from .render import dumps, format_timestamp, safe_str

__all__ = ["JobJsonFormatter", "JoblogHandler", "event_from_record"]

# Every attribute a plain LogRecord has, plus what formatters add, plus
# uvicorn's "color_message" (the message again, with ANSI escapes).
_RECORD_ATTRS: Final = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
    "taskName",
    "color_message",
}
_PLAIN_RECORD_SIZE: Final = len(vars(logging.LogRecord("", 0, "", 0, "", None, None)))
# Scan from a little before the first extra: a record whose __init__ was
# wrapped (a custom record factory) may set its own attributes early.
_FIRST_EXTRA: Final = _PLAIN_RECORD_SIZE - 8
_LEVEL_NAMES: Final = {10: "debug", 20: "info", 30: "warning", 40: "error", 50: "critical"}
_get_bound = _fields.get
_JSON_LINE: Final = orjson.OPT_UTC_Z  # no newline: the handler adds its terminator


def _message(record: logging.LogRecord) -> str:
    if record.args:
        return interpolate(
            record.msg, record.args if isinstance(record.args, tuple) else (record.args,)
        )
    msg = record.msg
    return msg if type(msg) is str else safe_str(msg)


def event_from_record(record: logging.LogRecord) -> dict[str, Any]:
    """
    Build joblog's event dict for a stdlib *record*.

    Order: ``timestamp`` (the record's creation time), ``level``,
    ``message`` (``msg % args``), ``logger``; then the fields bound with
    :func:`~joblog.bind_job`/:func:`~joblog.bind` (and
    ``structlog.contextvars``); then the record's ``extra`` fields (a field
    named like a schema key becomes ``fields.<name>``); then ``error_type``,
    ``error_message`` and ``exception`` when the record has ``exc_info``,
    and ``stack`` for ``stack_info``.
    """
    msg = record.msg
    event: dict[str, Any] = {
        "timestamp": format_timestamp(record.created),
        "level": _LEVEL_NAMES.get(record.levelno) or record.levelname.lower(),
        "message": msg if msg.__class__ is str and not record.args else _message(record),
        "logger": record.name,
    }
    bound = _get_bound()
    if bound:
        event.update(bound)
    attrs = record.__dict__
    if len(attrs) > _PLAIN_RECORD_SIZE:
        # ``extra`` fields (and what formatters add) follow the attributes
        # LogRecord.__init__ sets, in insertion order.
        for key, value in islice(attrs.items(), _FIRST_EXTRA, None):
            if key not in _RECORD_ATTRS:
                event[f"fields.{key}" if key in SCHEMA_KEYS else key] = value
    if STRUCTLOG_VARS:
        merge_structlog_context(event)
    if record.exc_info and record.exc_info[1] is not None:
        event.update(exception_fields(record.exc_info))
    if record.stack_info:
        event["stack"] = record.stack_info
    return event


class JoblogHandler(logging.Handler):
    """
    The handler :func:`joblog.configure` puts on the root logger.

    It skips the formatter machinery and sends each record's event straight
    through the configured pipeline; the output is exactly what
    :class:`JobJsonFormatter` produces.  A record whose ``exc_info`` holds an
    exception joblog has already logged in full (the server's report of an
    exception :class:`~joblog.RequestLoggingMiddleware` logged as
    ``"Request failed"``) is dropped, so each failure is logged once.
    """

    def createLock(self) -> None:
        """No handler lock: the pipeline serializes its writes itself."""
        self.lock = None

    def handle(self, record: logging.LogRecord) -> Any:
        """
        Emit *record* unless a filter rejects it, as ``Handler.handle`` does, without a lock.

        The handler has no lock (the pipeline serializes its writes), and
        ``Handler.handle`` of Python 3.13 takes ``with self.lock``, which
        fails on ``None``; without filters, there is nothing to call before
        :meth:`emit` (a tenth of a microsecond a record, which pays for redaction).

        Returns:
            What ``Handler.handle`` returns: false if a filter dropped the record.
        """
        passed: Any = True
        if self.filters:
            passed = self.filter(record)
            if not passed:
                return passed
            # Since Python 3.12 a filter may return the record to emit instead.
            record = passed if isinstance(passed, logging.LogRecord) else record
        self.emit(record)
        return passed

    def emit(self, record: logging.LogRecord) -> None:
        """Send *record* through joblog's pipeline; never raises."""
        pipeline = _config.pipeline or _config.current()
        if record.levelno < pipeline.level:
            return
        if record.exc_info and was_logged(record.exc_info[1]):
            return
        try:
            event: MutableMapping[str, Any] = event_from_record(record)
        except Exception as exc:
            event = _config.failure_event(exc)
        pipeline.emit(event, event["level"], None)


def _method_name(record: logging.LogRecord) -> str:
    return _LEVEL_NAMES.get(record.levelno) or record.levelname.lower()


class JobJsonFormatter(JsonFormatter):
    """
    A python-json-logger formatter that writes joblog's schema.

    Use it wherever :mod:`logging` takes a formatter: on a handler, in
    :func:`logging.config.dictConfig` (``"()": "joblog.JobJsonFormatter"``)
    or in a ``uvicorn --log-config`` file.  It runs joblog's configured
    chain (context fields, extra processors, redaction) and renders one JSON
    object, without the trailing newline the handler adds.  Without
    :func:`joblog.configure` the defaults apply, redaction included.

    python-json-logger's own options (``fmt``, ``rename_fields``, …) are
    accepted for compatibility and ignored: the schema is joblog's.
    """

    def format(self, record: logging.LogRecord) -> str:
        """Return *record* as one line of JSON (no newline); never raises."""
        pipeline = _config.current()
        try:
            event: MutableMapping[str, Any] = event_from_record(record)
        except Exception as exc:
            event = _config.failure_event(exc)
        final = pipeline.process(event, _method_name(record), None)
        if final is None:
            # A formatter cannot drop a record; say so without any of its values.
            final = _config.failure_event(None, "joblog: a processor dropped this record")
        return pipeline.fit(final, dumps(final, option=_JSON_LINE))
