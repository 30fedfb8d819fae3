"""
OpenTelemetry: trace ids on every line, spans for stages and jobs, an OTLP output.

Three parts, each usable on its own:

- :func:`trace_context_processor` returns a processor that adds the active
  span's ``trace_id`` (32 lowercase hex digits), ``span_id`` (16) and
  ``trace_flags`` (2, W3C's form) to every event, the field names
  OpenTelemetry gives for JSON logs.  It returns ``None`` when
  ``opentelemetry-api`` is not installed, so the chain carries nothing for it.
- :func:`span` opens a span named after a stage or a job, with its
  (redacted) fields as attributes; the lines logged inside carry its ids,
  and an exception marks it as an error.
- :class:`OTLPSink` exports finished (redacted) events as OpenTelemetry log
  records over OTLP/HTTP through the SDK's batching processor.

Importing this module imports no part of OpenTelemetry; each part imports
what it needs when it is first used (``pip install 'joblog[otel]'``).
"""

from __future__ import annotations

import atexit
import contextlib
import datetime as dt
import functools
import importlib.util
import logging
import math
import sys
import threading
import time
import weakref
from collections.abc import Callable, Mapping, MutableMapping
from types import TracebackType
from typing import TYPE_CHECKING, Any, Final

from ._blocks import Block
from .profiles import ServiceFields, normalize, service_fields
from .render import safe_str, to_jsonable

if TYPE_CHECKING:
    from opentelemetry.sdk._logs import LoggerProvider
    from opentelemetry.sdk._logs.export import BatchLogRecordProcessor, LogRecordExporter
    from opentelemetry.trace import Span as OTelSpan

__all__ = [
    "SEVERITY_NUMBERS",
    "OTLPSink",
    "Span",
    "add_trace_context",
    "available",
    "span",
    "to_attributes",
    "trace_context_processor",
]

Processor = Callable[[Any, str, MutableMapping[str, Any]], MutableMapping[str, Any]]
Redact = Callable[[Any], Any]

#: OpenTelemetry's SeverityNumber for each joblog level (the first number of
#: each range in the log data model).
SEVERITY_NUMBERS: Final = {"debug": 5, "info": 9, "warning": 13, "error": 17, "critical": 21}

_MISSING_EXTRA: Final = (
    "OpenTelemetry is not installed; install joblog's extra: pip install 'joblog[otel]'"
)


class _Missing(ImportError):
    """Raised where an OpenTelemetry package is needed and absent; names the extra."""


@functools.cache
def _installed(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def available(sdk: bool = False) -> bool:
    """
    Whether ``opentelemetry-api`` (with *sdk*, also ``opentelemetry-sdk``) is installed.

    Checked without importing either.
    """
    if sdk:
        return _installed("opentelemetry.trace") and _installed("opentelemetry.sdk")
    return _installed("opentelemetry.trace")


# --------------------------------------------------------------------------
# Trace context on every line
# --------------------------------------------------------------------------


_TRACE_KEYS: Final = ("trace_id", "span_id", "trace_flags")


def _make_add_trace_context() -> Processor:
    from opentelemetry.trace import get_current_span

    # A span's SpanContext is one object for the span's life, so the three
    # strings are formatted once per span, not once per line.  One tuple,
    # replaced whole, so threads never pair one span's ids with another's.
    last: tuple[object, tuple[str, str, str]] = (None, ("", "", ""))

    def add_trace_context(
        logger: Any, method_name: str, event_dict: MutableMapping[str, Any]
    ) -> MutableMapping[str, Any]:
        nonlocal last
        context = get_current_span().get_span_context()
        cached = last
        if context is cached[0]:
            ids = cached[1]
        elif context.is_valid:
            ids = (
                f"{context.trace_id:032x}",
                f"{context.span_id:016x}",
                f"{context.trace_flags:02x}",
            )
            last = (context, ids)
        else:
            return event_dict
        if "trace_id" in event_dict or "span_id" in event_dict or "trace_flags" in event_dict:
            for key, value in zip(_TRACE_KEYS, ids, strict=True):
                old = event_dict.get(key, value)
                if old != value:
                    # The application's own field of that name is kept, as
                    # joblog keeps one named like a schema key.
                    event_dict.setdefault(f"fields.{key}", old)
        event_dict["trace_id"], event_dict["span_id"], event_dict["trace_flags"] = ids
        return event_dict

    return add_trace_context


def add_trace_context(
    logger: Any, method_name: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """
    A processor adding the active span's ``trace_id``, ``span_id`` and ``trace_flags``.

    Outside a (valid) span the event is returned unchanged.  A field of the
    same name the application set with another value is kept as
    ``fields.trace_id`` (and so on).  Needs ``opentelemetry-api``; prefer
    :func:`trace_context_processor`, which returns ``None`` without it.

    Raises:
        ImportError: when ``opentelemetry-api`` is not installed.
    """
    return _processor()(logger, method_name, event_dict)


@functools.cache
def _processor() -> Processor:
    if not available():
        raise _Missing(_MISSING_EXTRA)
    return _make_add_trace_context()


def trace_context_processor() -> Processor | None:
    """
    The trace-context processor, or ``None`` when ``opentelemetry-api`` is not installed.

    Call it at configuration time: without OpenTelemetry nothing is imported
    and nothing is added to the chain, so lines cost exactly what they did.
    """
    return _processor() if available() else None


# --------------------------------------------------------------------------
# Typed attributes
# --------------------------------------------------------------------------

_INT64_MIN: Final = -(2**63)
_INT64_MAX: Final = 2**63 - 1


def _attribute_value(value: Any) -> Any:
    """A JSON-safe value as an OpenTelemetry ``AnyValue``; ``None`` drops it."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int):
        return value if _INT64_MIN <= value <= _INT64_MAX else str(value)
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, list):
        return tuple(_attribute_value(item) for item in value)
    # to_jsonable() left nothing but a dict here.
    return {
        key: converted
        for key, item in value.items()
        if key and (converted := _attribute_value(item)) is not None
    }


def to_attributes(fields: Mapping[str, Any], *, limit: int = 128) -> dict[str, Any]:
    """
    *fields* as OpenTelemetry attributes: types kept, never an invalid value.

    Strings, booleans, floats and 64-bit integers stay as they are, lists
    become arrays and dicts maps (``AnyValue``); larger integers and
    non-finite floats become their text, other objects their JSON form;
    ``None`` values and empty keys are left out.  At most *limit* attributes
    are kept (the SDK's default limit, so it never has to drop and warn).

    Args:
        fields: the fields, already redacted.
        limit: the most attributes to return.

    Returns:
        A new dict.
    """
    out: dict[str, Any] = {}
    for key, value in fields.items():
        if len(out) >= limit:
            break
        if not key:
            continue
        converted = _attribute_value(to_jsonable(value))
        if converted is not None:
            out[key if isinstance(key, str) else safe_str(key)] = converted
    return out


# --------------------------------------------------------------------------
# Spans for stages and jobs
# --------------------------------------------------------------------------


class Span(Block["Span"]):
    """
    A span around a block: ``with`` and ``async with``.

    Entering starts the span and makes it current (so lines logged inside
    carry its ids); leaving ends it.  An :class:`Exception` is recorded on
    it (an ``exception`` event) and sets its status to ``ERROR``; a
    cancellation or another ``BaseException`` only sets the attribute
    ``joblog.cancelled`` (the work was stopped, it did not fail).  The span
    is never left open, and no exception of OpenTelemetry's reaches the
    block.
    """

    __slots__ = ("_attributes", "_name", "_span", "_token", "_tracer")

    def __init__(self, name: str, attributes: dict[str, Any], tracer: Any) -> None:
        self._name = name
        self._attributes = attributes
        self._tracer = tracer
        self._span: OTelSpan | None = None
        self._token: Any = None

    @property
    def span(self) -> OTelSpan | None:
        """The OpenTelemetry span while the block runs, else ``None``."""
        return self._span

    def __enter__(self) -> Span:
        from opentelemetry import context, trace

        self._span = self._tracer.start_span(self._name, attributes=self._attributes)
        self._token = context.attach(trace.set_span_in_context(self._span))
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        from opentelemetry import context
        from opentelemetry.trace import Status, StatusCode

        current, self._span = self._span, None
        if current is None:
            return
        try:
            if isinstance(exc, Exception):
                current.record_exception(exc)
                current.set_status(Status(StatusCode.ERROR, f"{type(exc).__name__}"))
            elif exc is not None:
                current.set_attribute("joblog.cancelled", True)
        finally:
            current.end()
            with contextlib.suppress(Exception):
                context.detach(self._token)


def span(
    name: str,
    fields: Mapping[str, Any] | None = None,
    *,
    redact: Redact | None = None,
    tracer: Any = None,
) -> Span:
    """
    A span named *name* with *fields* as its attributes, for ``with`` or ``async with``.

    Args:
        name: the span name: the stage's name, or the job's.
        fields: the stage's or job's fields; they become typed attributes.
        redact: applied to *fields* first (a :class:`~joblog.Redactor`'s
            ``redact``), so a span never carries what a log line would not.
        tracer: the tracer to use; default: the global tracer provider's
            ``"joblog"`` tracer.

    Returns:
        A :class:`Span`.

    Raises:
        ImportError: when ``opentelemetry-api`` is not installed.
        TypeError: if *name* is not a non-empty string.
    """
    if not isinstance(name, str) or not name:
        raise TypeError(f"span name must be a non-empty string, not {name!r}")
    if not available():
        raise _Missing(_MISSING_EXTRA)
    if tracer is None:
        from opentelemetry import trace

        tracer = trace.get_tracer("joblog")
    values: Mapping[str, Any] = fields or {}
    if redact is not None and values:
        values = redact(dict(values))
    return Span(name, to_attributes(values), tracer)


def open_span(name: str, fields: Mapping[str, Any]) -> Span | None:
    """
    Enter a span for a stage or job when ``configure(spans=True)``; else ``None``.

    The fields go through the configured redaction first.  Anything that
    fails here is reported on stderr and the block runs without a span: a
    span is an extra, never a reason for the work to fail.
    """
    from . import _config
    from .redact import Redactor, redact_secrets

    pipeline = _config.current()
    if not pipeline.spans:
        return None
    redactor = pipeline.redactor
    redact: Redact | None = None
    if isinstance(redactor, Redactor):
        redact = redactor.redact
    elif redactor is not None:  # a processor of the user's own: still never unredacted
        redact = redact_secrets.redact
    try:
        return span(name, fields, redact=redact).__enter__()
    except Exception as exc:
        _config.report_internal_error(exc)
        return None


# --------------------------------------------------------------------------
# OTLP output
# --------------------------------------------------------------------------

#: Fields of an event that become parts of the log record, not attributes.
_RECORD_FIELDS: Final = frozenset(
    {"timestamp", "level", "message", "logger", "trace_id", "span_id", "trace_flags"}
)
#: joblog's exception fields under OpenTelemetry's semantic-convention names.
_SEMCONV: Final = {
    "error_type": "exception.type",
    "error_message": "exception.message",
    "exception": "exception.stacktrace",
    "stack": "code.stacktrace",
}
_OWN_LOGGER_PREFIX: Final = "opentelemetry"
_NOT_SET: Final = object()

_live_sinks: weakref.WeakSet[OTLPSink] = weakref.WeakSet()
_exit_hook_lock = threading.Lock()
_exit_hook_installed = False


def _close_live_sinks() -> None:
    for sink in list(_live_sinks):
        sink.close()


def _install_exit_hook() -> None:
    global _exit_hook_installed
    with _exit_hook_lock:
        if not _exit_hook_installed:
            atexit.register(_close_live_sinks)
            _exit_hook_installed = True


def _timestamp_ns(value: object) -> int | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = dt.datetime.fromisoformat(value[:-1] + "+00:00" if value[-1:] == "Z" else value)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.timezone.utc)
    # Integer arithmetic: a float of nanoseconds since 1970 is off by up to 100 ns.
    delta = parsed - dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000_000 + delta.microseconds * 1000


def _hex_id(value: object, digits: int) -> int | None:
    if not isinstance(value, str) or len(value) != digits:
        return None
    try:
        number = int(value, 16)
    except ValueError:
        return None
    return number or None


class _Outage:
    """
    What the sink says on stderr while the collector cannot be reached.

    One notice when exports start failing and one when they work again, with
    the number of records lost in between, however long the outage lasts.
    """

    __slots__ = ("_endpoint", "_lock", "_stderr", "down", "dropped", "last_failure", "reason")

    def __init__(self, endpoint: str, stderr: Callable[[], Any]) -> None:
        self._endpoint = endpoint
        self._stderr = stderr
        self._lock = threading.Lock()
        self.down = False
        self.dropped = 0
        self.last_failure = 0.0
        self.reason = ""

    def _say(self, text: str) -> None:
        stream = self._stderr()
        if stream is not None:
            with contextlib.suppress(Exception):
                stream.write(f"joblog: {text}\n")
                stream.flush()

    def failed(self, count: int) -> None:
        with self._lock:
            self.dropped += count
            self.last_failure = time.monotonic()
            if self.down:
                return
            self.down = True
            reason = f" ({self.reason})" if self.reason else ""
        self._say(
            f"OTLP export to {self._endpoint} failed{reason}; log records wait in a bounded"
            " queue and are dropped while the collector stays unreachable"
        )

    def succeeded(self) -> None:
        with self._lock:
            if not self.down:
                return
            self.down = False
            dropped, self.dropped = self.dropped, 0
        self._say(
            f"OTLP export to {self._endpoint} works again; {dropped} log records were dropped"
        )


class _QuietExporterLogs(logging.Filter):
    """
    Keeps the OTLP exporter's own retry and failure messages off the logs while joblog exports.

    The exporter logs every retry and failed batch through :mod:`logging`,
    which joblog routes to its own outputs, this one included; the sink's
    single notice on stderr says it instead.  Only records logged while this
    sink's exporter runs in the current thread are held back, so other
    users of the same exporter class keep their messages.
    """

    def __init__(self, outage: _Outage) -> None:
        super().__init__()
        self.active = threading.local()
        self._outage = outage

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(self.active, "on", False):
            return True
        if record.levelno >= logging.WARNING:
            with contextlib.suppress(Exception):
                self._outage.reason = record.getMessage()[:200]
        return False


def _noticing_exporter(
    inner: LogRecordExporter, outage: _Outage, quiet: _QuietExporterLogs, retry_after: float
) -> LogRecordExporter:
    from opentelemetry.sdk._logs.export import LogRecordExporter, LogRecordExportResult

    class NoticingExporter(LogRecordExporter):
        """The OTLP exporter, with joblog's notices and a fast path while the collector is down."""

        def export(self, batch: Any) -> LogRecordExportResult:
            # While the collector is down, one batch in *retry_after* seconds
            # pays the exporter's timeout; the others are dropped at once, so
            # flush() and exit stay quick however long the outage lasts.
            if outage.down and time.monotonic() - outage.last_failure < retry_after:
                outage.failed(len(batch))
                return LogRecordExportResult.FAILURE
            quiet.active.on = True
            try:
                result = inner.export(batch)
            except Exception as exc:
                outage.reason = type(exc).__name__
                result = LogRecordExportResult.FAILURE
            finally:
                quiet.active.on = False
            if result is LogRecordExportResult.SUCCESS:
                outage.succeeded()
            else:
                outage.failed(len(batch))
            return result

        def force_flush(self, timeout_millis: int = 30_000) -> bool:
            return True

        def shutdown(self) -> None:
            quiet.active.on = True
            try:
                inner.shutdown()  # type: ignore[no-untyped-call]
            finally:
                quiet.active.on = False

    return NoticingExporter()


class OTLPSink:
    """
    An output that exports joblog's events as OpenTelemetry log records over OTLP/HTTP.

    Each event it is given (after redaction and the layout, in joblog's
    layout) becomes one log record: ``timestamp``, severity number and text
    from ``level``, the message as body, ``trace_id``/``span_id``/
    ``trace_flags`` as the record's trace context, the logger name as its
    instrumentation scope and every other field as a typed attribute
    (``error_type``, ``error_message`` and ``exception`` under
    OpenTelemetry's ``exception.*`` names).  The resource carries the
    service fields and whatever ``OTEL_RESOURCE_ATTRIBUTES`` sets.

    Records go through the SDK's ``BatchLogRecordProcessor`` to its
    ``OTLPLogExporter``: :meth:`write` only appends to a bounded queue that
    a background thread exports, :meth:`flush` exports what is queued, and
    :meth:`close` (also run at interpreter exit) flushes and stops.  When the
    collector cannot be reached the application pays nothing but that queue
    (the oldest records are dropped when it is full): one notice goes to
    stderr when exports start failing and one when they work again.  Events
    of OpenTelemetry's own loggers are never exported, so a failing exporter
    cannot feed itself.

    Args:
        endpoint: the OTLP/HTTP logs URL, e.g. ``http://collector:4318/v1/logs``;
            default: ``$OTEL_EXPORTER_OTLP_LOGS_ENDPOINT``, else
            ``$OTEL_EXPORTER_OTLP_ENDPOINT`` + ``/v1/logs``, else
            ``http://localhost:4318/v1/logs``.
        headers: extra request headers (an API key, say); default
            ``$OTEL_EXPORTER_OTLP_LOGS_HEADERS``.
        timeout: seconds one export may take, retries included; default
            ``$OTEL_EXPORTER_OTLP_LOGS_TIMEOUT``, else 10.
        service, environment, version: the service fields (see
            :func:`joblog.profiles.service_fields` for the environment
            variables that supply them).
        max_queue_size: records waiting for export at most.
        max_export_batch_size: records per export request at most.
        schedule_delay: seconds between two exports.
        close_timeout: seconds :meth:`close` may take at most.

    Raises:
        ImportError: when ``opentelemetry-sdk`` or the OTLP/HTTP exporter is
            not installed (the message names the ``joblog[otel]`` extra).
        ValueError: a bad service field, or a size or delay that is not positive.
    """

    def __init__(
        self,
        endpoint: str | None = None,
        *,
        headers: Mapping[str, str] | None = None,
        timeout: float | None = None,
        service: str | None = None,
        environment: str | None = None,
        version: str | None = None,
        max_queue_size: int = 2048,
        max_export_batch_size: int = 512,
        schedule_delay: float = 1.0,
        close_timeout: float = 5.0,
    ) -> None:
        for what, number in (
            ("max_queue_size", max_queue_size),
            ("max_export_batch_size", max_export_batch_size),
        ):
            if isinstance(number, bool) or not isinstance(number, int) or number < 1:
                raise ValueError(f"{what} must be an int >= 1, not {number!r}")
        for what, seconds in (
            ("schedule_delay", schedule_delay),
            ("close_timeout", close_timeout),
            ("timeout", 1.0 if timeout is None else timeout),
        ):
            if (
                isinstance(seconds, bool)
                or not isinstance(seconds, (int, float))
                or not seconds > 0
            ):
                raise ValueError(f"{what} must be a number of seconds > 0, not {seconds!r}")
        if not (
            _installed("opentelemetry.sdk") and _installed("opentelemetry.exporter.otlp.proto.http")
        ):
            raise _Missing(_MISSING_EXTRA)

        from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
        from opentelemetry.sdk._logs import LoggerProvider, LogRecordLimits
        from opentelemetry.sdk._logs.export import BatchLogRecordProcessor
        from opentelemetry.sdk.resources import Resource

        fields = service_fields(service, environment, version)
        self.service: ServiceFields = fields
        exporter = OTLPLogExporter(endpoint=endpoint, headers=headers, timeout=timeout)
        # The URL the exporter resolved (argument or environment), for the notices.
        self.endpoint: str = getattr(exporter, "_endpoint", None) or endpoint or "OTLP"
        self._outage = _Outage(self.endpoint, lambda: sys.__stderr__)
        self._quiet = _QuietExporterLogs(self._outage)
        self._quiet_loggers = [logging.getLogger(OTLPLogExporter.__module__)]
        for quiet_logger in self._quiet_loggers:
            quiet_logger.addFilter(self._quiet)
        resource_attributes = {
            key: value
            for key, value in (
                ("service.name", fields.name),
                ("deployment.environment.name", fields.environment),
                ("service.version", fields.version),
            )
            if value is not None
        }
        # Imported once here, not on every write.
        from opentelemetry._logs import LogRecord, SeverityNumber
        from opentelemetry.trace import (
            INVALID_SPAN,
            NonRecordingSpan,
            SpanContext,
            TraceFlags,
            set_span_in_context,
        )

        self._LogRecord = LogRecord
        self._SeverityNumber = SeverityNumber
        self._NonRecordingSpan = NonRecordingSpan
        self._SpanContext = SpanContext
        self._TraceFlags = TraceFlags
        self._in_context = set_span_in_context
        # Never the context of the thread that writes: the event's own ids, or none.
        self._no_trace = set_span_in_context(INVALID_SPAN)
        self._last_context: tuple[object, Any] = ((None, None, None), self._no_trace)
        self._limit = 128
        # The service fields as a layout adds them to lines; they are the
        # resource already, so they are not repeated on every record.
        self._resource: dict[str, str] = {
            key: value
            for key, value in (
                ("service", fields.name),
                ("environment", fields.environment),
                ("version", fields.version),
            )
            if value is not None
        }
        self._provider: LoggerProvider = LoggerProvider(
            resource=Resource.create(resource_attributes),
            shutdown_on_exit=False,
            log_record_limits=LogRecordLimits(max_log_record_attributes=self._limit),
        )
        self._processor: BatchLogRecordProcessor = BatchLogRecordProcessor(
            _noticing_exporter(exporter, self._outage, self._quiet, retry_after=timeout or 10.0),
            schedule_delay_millis=schedule_delay * 1000,
            max_export_batch_size=min(max_export_batch_size, max_queue_size),
            max_queue_size=max_queue_size,
        )
        self._provider.add_log_record_processor(self._processor)
        self._close_timeout = float(close_timeout)
        self._loggers: dict[str, Any] = {}
        self._closed = False
        self._close_lock = threading.Lock()
        _live_sinks.add(self)
        _install_exit_hook()

    def _logger(self, name: str) -> Any:
        logger = self._loggers.get(name)
        if logger is None:
            if len(self._loggers) >= 1024:  # bounded: names come from the application
                name = "joblog"
                logger = self._loggers.get(name)
            if logger is None:
                logger = self._loggers[name] = self._provider.get_logger(name)
        return logger

    def write(self, event: Mapping[str, Any]) -> None:
        """Queue *event* for export; never raises, never blocks on the network."""
        # A line logged while this sink exports, in the exporting thread (the
        # HTTP client's own debug lines, say), is never exported: each export
        # would log the next one, without end.
        if self._closed or getattr(self._quiet.active, "on", False):
            return
        try:
            self._write(event)
        except Exception as exc:
            self._outage.reason = f"could not convert an event: {type(exc).__name__}"
            self._outage.failed(1)

    def _write(self, event: Mapping[str, Any]) -> None:
        # Whatever layout the pipeline wrote it in, read it in joblog's
        # (a joblog-layout event is returned as it is, at the cost of a lookup).
        event = normalize(dict(event) if not isinstance(event, dict) else event)
        logger_name = event.get("logger")
        name = logger_name if isinstance(logger_name, str) and logger_name else "joblog"
        if name.startswith(_OWN_LOGGER_PREFIX):
            return
        level = event.get("level")
        number = SEVERITY_NUMBERS.get(level) if isinstance(level, str) else None
        ids = (event.get("trace_id"), event.get("span_id"), event.get("trace_flags"))
        last = self._last_context
        context = last[1] if ids == last[0] else self._context(ids)
        attributes = to_attributes(
            {
                _SEMCONV.get(key, key): value
                for key, value in event.items()
                if key not in _RECORD_FIELDS and self._resource.get(key, _NOT_SET) != value
            },
            limit=self._limit,
        )
        message = event.get("message")
        record = self._LogRecord(
            timestamp=_timestamp_ns(event.get("timestamp")) or time.time_ns(),
            context=context,
            severity_text=level if isinstance(level, str) else None,
            severity_number=self._SeverityNumber(number) if number is not None else None,
            body=message if isinstance(message, str) else safe_str(message),
            attributes=attributes,
        )
        self._logger(name).emit(record)

    def _context(self, ids: tuple[Any, Any, Any]) -> Any:
        """The record's trace context from the event's ids (a span's lines share one)."""
        context = self._no_trace
        trace_id = _hex_id(ids[0], 32)
        span_id = _hex_id(ids[1], 16)
        if trace_id is not None and span_id is not None:
            flags = ids[2]
            try:
                flag_bits = int(flags, 16) & 0xFF if isinstance(flags, str) else 0
            except ValueError:
                flag_bits = 0
            context = self._in_context(
                self._NonRecordingSpan(
                    self._SpanContext(trace_id, span_id, False, self._TraceFlags(flag_bits))
                )
            )
        self._last_context = (ids, context)
        return context

    def flush(self) -> None:
        """Export what is queued now (bounded by the exporter's timeout); never raises."""
        if self._closed:
            return
        with contextlib.suppress(Exception):
            self._processor.force_flush()

    def close(self) -> None:
        """
        Flush and stop; later writes are ignored.  Never raises.

        Takes at most *close_timeout* seconds, so an unreachable collector
        cannot hold up the interpreter's exit.
        """
        with self._close_lock:
            if self._closed:
                return
            self._closed = True
        _live_sinks.discard(self)
        worker = threading.Thread(target=self._shutdown, name="joblog-otlp-close", daemon=True)
        try:
            worker.start()
        except RuntimeError:
            # Python 3.12+ starts no thread once the interpreter is shutting
            # down, which is when atexit runs this: flush here instead (the
            # exporter's own timeout bounds it).
            self._shutdown()
            return
        worker.join(self._close_timeout)

    def _shutdown(self) -> None:
        try:
            with contextlib.suppress(Exception):
                self._processor.force_flush()
            with contextlib.suppress(Exception):
                self._provider.shutdown()
        finally:
            # Here, not in close(): an export still running past close_timeout
            # keeps its messages held back until it ends.
            for quiet_logger in self._quiet_loggers:
                quiet_logger.removeFilter(self._quiet)
