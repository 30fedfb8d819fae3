"""
Global state department: the one processor chain both front ends share.

:func:`configure` builds a :class:`Pipeline` and installs it here; joblog
loggers, the stdlib handler, :class:`~joblog.JobJsonFormatter` and
structlog's own loggers all look it up at call time, so loggers created
before a (re)configure follow the new configuration.  Nothing here runs at
import time.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import sys
import threading
import time
from collections.abc import Callable, Iterable, Mapping, MutableMapping
from typing import IO, Any, Final

import structlog

from . import _schema
from ._fit import DEFAULT_MAX_LINE_BYTES, MIN_MAX_LINE_BYTES, fit_line
from ._fork import call_in_child
from ._schema import LEVELS, parse_level
from .context import get_fields
from .redact import Redactor, redact_secrets
from .render import ConsoleRenderer, dumps, dumps_bytes, format_timestamp
from .sinks import LineWriter, Sink

__all__ = ["LEVELS", "configure", "parse_level"]

Processor = Callable[[Any, str, MutableMapping[str, Any]], MutableMapping[str, Any]]
Renderer = Callable[[Mapping[str, Any]], str]
Layout = Callable[[dict[str, Any]], dict[str, Any]]

RENDERERS: Final = ("json", "console", "auto")

#: Loggers of servers that log the access line themselves; RequestLoggingMiddleware
#: writes joblog's own, so these are quieted by default.
DEFAULT_SILENCE: Final = ("uvicorn.access",)
#: Loggers that servers give handlers of their own; configure() hands them to the root.
_SERVER_LOGGERS: Final = ("uvicorn", "uvicorn.error", "uvicorn.access")


class Pipeline:
    """
    The configured chain: user processors, then redaction, then render and write.

    Event dicts arrive already in schema order with context and exception
    fields merged (the front ends do that part, each the cheapest way it
    can); :meth:`emit` runs the rest.  Nothing is added after redaction.
    Immutable once built: :func:`configure` replaces the whole pipeline.
    """

    __slots__ = (
        "_json_bytes",
        "_redact",
        "binary",
        "layout",
        "level",
        "lock",
        "max_line_bytes",
        "processors",
        "redactor",
        "renderer",
        "sinks",
        "spans",
        "stream",
        "trace",
        "writer",
    )

    def __init__(
        self,
        *,
        level: int,
        processors: tuple[Processor, ...],
        redactor: Processor | None,
        renderer: Renderer,
        stream: IO[Any],
        binary: bool,
        max_line_bytes: int | None = DEFAULT_MAX_LINE_BYTES,
        layout: Layout | None = None,
        sinks: tuple[Sink, ...] = (),
        spans: bool = False,
        trace: Processor | None = None,
    ) -> None:
        self.level = level
        self.spans = spans
        # The active span's ids: first of all, so the processors see them.
        self.trace = trace
        self.layout = layout
        self.sinks = sinks
        self.max_line_bytes = max_line_bytes
        self.processors = processors
        self.redactor = redactor
        # An object's bound __call__ is cheaper to call than the object itself:
        # redaction runs on every event, so that is worth a slot.
        self._redact = redactor.__call__ if isinstance(redactor, Redactor) else redactor
        self.renderer = renderer
        self.stream = stream
        self.binary = binary
        self.writer = LineWriter(stream, binary=binary)
        self._json_bytes = renderer is dumps and self.writer.direct
        call_in_child(_renew_configure_lock)

    def process(
        self, event: MutableMapping[str, Any], method_name: str, logger: Any
    ) -> MutableMapping[str, Any] | None:
        """
        Run the extra processors, then redaction; ``None`` if the event was dropped.

        A processor that raises yields :func:`failure_event` instead, so the
        unredacted event can never be written.  While :func:`capture_logs`
        is active the final event is appended to its list.
        """
        try:
            if self.trace is not None:
                event = self.trace(logger, method_name, event)
            for processor in self.processors:
                event = processor(logger, method_name, event)
            if self._redact is not None:
                event = self._redacted(event, logger, method_name)
            if self.layout is not None:
                event = self.layout(event)  # type: ignore[arg-type]
        except structlog.DropEvent:
            return None
        except Exception as exc:
            event = self._laid_out(failure_event(exc))
        if captures:
            for sink in tuple(captures):
                sink.append(event)
        return event

    def _redacted(
        self, event: MutableMapping[str, Any], logger: Any, method_name: str
    ) -> MutableMapping[str, Any]:
        redacted = self._redact(logger, method_name, event)  # type: ignore[misc]
        if redacted is not event and _schema.LOGGER not in redacted:
            # The redactor's own fail-closed line keeps none of the event's
            # values; give it the schema fields and the bound job id back.
            redacted = complete_replacement(redacted, event)
        return redacted

    def emit(self, event: MutableMapping[str, Any], method_name: str, logger: Any) -> None:
        """
        Process, render and write *event* (unless captured or dropped); never raises.

        Processing and rendering share one guard: whatever fails (a
        processor, redaction, a value no encoder can read), a replacement
        line takes the event's place, so nothing raises and no line is lost.
        """
        try:
            if self.processors or captures:
                final = self.process(event, method_name, logger)
                if final is None or captures:
                    return
                event = final
            else:
                # The common case, inlined: no extra processors, nobody capturing.
                if self.trace is not None:
                    event = self.trace(logger, method_name, event)
                if self._redact is not None:
                    event = self._redacted(event, logger, method_name)
                if self.layout is not None:
                    event = self.layout(event)  # type: ignore[arg-type]
            line: str | bytes
            if self._json_bytes:
                # JSON to a descriptor: orjson's bytes go out as they are.
                line = dumps_bytes(event)
                if self.max_line_bytes is not None and len(line) > self.max_line_bytes:
                    line = fit_line(event, self.renderer, self.max_line_bytes)
            else:
                line = self.renderer(event)
                if self.max_line_bytes is not None and len(line) * 4 > self.max_line_bytes:
                    line = self.fit(event, line)
        except structlog.DropEvent:
            return
        except Exception as exc:
            event = self._laid_out(failure_event(exc))
            try:
                line = self.renderer(event)
            except Exception as again:  # pragma: no cover - plain values always render
                report_internal_error(again)
                return
        self.write(line)
        if self.sinks:
            self._to_sinks(event)

    def _laid_out(self, event: dict[str, Any]) -> MutableMapping[str, Any]:
        """A replacement line in the configured layout (as it is, if the layout fails on it)."""
        if self.layout is None:
            return event
        try:
            return self.layout(event)
        except Exception:
            return event

    def _to_sinks(self, event: Mapping[str, Any]) -> None:
        for sink in self.sinks:
            try:
                sink.write(dict(event))
            except Exception as exc:  # noqa: PERF203 - one failing sink must not stop the others
                report_internal_error(exc)

    def fit(self, event: Mapping[str, Any], line: str) -> str:
        """*line* (*event* rendered), shrunk when it is over ``max_line_bytes``."""
        limit = self.max_line_bytes
        if limit is None or len(line.encode("utf-8", "backslashreplace")) <= limit:
            return line
        return fit_line(event, self.renderer, limit)

    def write(self, line: str | bytes) -> None:
        """Write one rendered line whole; a broken stream is reported, not raised."""
        try:
            self.writer.write(line)
        except Exception as exc:
            report_internal_error(exc)

    def flush(self) -> None:
        """Flush the stream and every sink; a failure is reported, not raised."""
        outputs: tuple[LineWriter | Sink, ...] = (self.writer, *self.sinks)
        for output in outputs:
            try:
                output.flush()
            except Exception as exc:  # noqa: PERF203 - one failing output must not stop the others
                report_internal_error(exc)


# The installed pipeline, or None before the first configure()/first use.
pipeline: Pipeline | None = None
# capture_logs() sinks; while any is active, events go there instead of the stream.
captures: list[list[MutableMapping[str, Any]]] = []
# Hooks run with the minimum level whenever it changes (the logger class swaps
# its level methods); 0 means "not configured": every method enabled.
_install_hooks: list[Callable[[int], None]] = []
_configure_lock = threading.RLock()

# Levels of the loggers configure(silence=...) changed, to put back on reconfigure/reset.
_silenced: dict[str, int] = {}
_reported = False


def _renew_configure_lock() -> None:
    # A child forked while another thread was inside configure() must be able to configure.
    global _configure_lock
    _configure_lock = threading.RLock()


def failure_event(
    exc: BaseException | None, message: str = "joblog: a processor raised; the event was dropped"
) -> dict[str, Any]:
    """
    The line written in place of an event joblog could not process.

    Built from scratch, so none of the failed event's (unredacted) values can
    leak through it; it has the four schema fields and keeps only the bound
    job id (validated when bound).
    """
    event: dict[str, Any] = {
        _schema.TIMESTAMP: format_timestamp(time.time()),
        _schema.LEVEL: "error",
        _schema.MESSAGE: message,
        _schema.LOGGER: "joblog",
    }
    _add_job_id(event)
    if exc is not None:
        event[_schema.ERROR_TYPE] = type(exc).__name__
    return event


def _add_job_id(event: dict[str, Any]) -> None:
    job_id = get_fields().get(_schema.JOB_ID)
    if isinstance(job_id, str):
        event[_schema.JOB_ID] = job_id


def _logger_name(event: Mapping[str, Any]) -> str:
    """The failed event's logger name when it is a plain dotted name, else ``"joblog"``."""
    try:
        name = event.get(_schema.LOGGER)
    except Exception:
        return "joblog"
    if (
        type(name) is str
        and 0 < len(name) <= 128
        and name.isascii()
        and all(part.isidentifier() for part in name.split("."))
    ):
        return name
    return "joblog"


def complete_replacement(
    replacement: Mapping[str, Any], original: Mapping[str, Any]
) -> dict[str, Any]:
    """
    *replacement* (a fail-closed line) with the schema fields and job id it lacks.

    The ``logger`` comes from *original* only when it is a plain dotted
    module-style name (it names code, not data); ``job_id`` from the bound
    context, never from the event.
    """
    try:
        out = dict(replacement)
    except Exception:
        out = {}
    event: dict[str, Any] = {
        _schema.TIMESTAMP: format_timestamp(time.time()),
        _schema.LEVEL: "error",
        _schema.MESSAGE: "joblog: an event could not be processed",
    }
    for key in (_schema.TIMESTAMP, _schema.LEVEL, _schema.MESSAGE):
        value = out.pop(key, None)
        if value.__class__ is str:
            event[key] = value
    event[_schema.LOGGER] = _logger_name(original)
    out.pop(_schema.LOGGER, None)
    _add_job_id(event)
    out.pop(_schema.JOB_ID, None)
    event.update(out)
    return event


def flush_outputs() -> None:
    """Flush every output of the installed pipeline (for ``joblog.flush()``); never raises."""
    if pipeline is not None:
        pipeline.flush()


def report_internal_error(exc: BaseException) -> None:
    """Tell stderr once that joblog could not write; logging never raises."""
    global _reported
    if _reported:
        return
    _reported = True
    stderr = sys.__stderr__
    if stderr is not None:
        with contextlib.suppress(Exception):
            stderr.write(f"joblog: could not write a log line: {type(exc).__name__}\n")


def current() -> Pipeline:
    """The installed pipeline; the first use without configure() installs the defaults."""
    return pipeline if pipeline is not None else _install_default()


def _install_default() -> Pipeline:
    with _configure_lock:
        if pipeline is None:
            install(build_pipeline())
    return pipeline  # type: ignore[return-value]  # set just above, under the lock


def install(new: Pipeline) -> None:
    """Make *new* the pipeline every front end uses."""
    global pipeline
    pipeline = new
    for hook in _install_hooks:
        hook(new.level)


def reset() -> None:
    """Forget the configuration: no pipeline, joblog's root handler removed, structlog reset."""
    from .stdlib import JoblogHandler

    global pipeline
    with _configure_lock:
        pipeline = None
        for hook in _install_hooks:
            hook(0)
        root = logging.getLogger()
        for old in [h for h in root.handlers if isinstance(h, JoblogHandler)]:
            root.removeHandler(old)
        root.setLevel(logging.WARNING)
        _restore_silenced()
        structlog.reset_defaults()


def _env(name: str) -> str | None:
    value = os.environ.get(name)
    return value if value else None


def _is_tty(stream: IO[Any]) -> bool:
    try:
        return bool(stream.isatty())
    except Exception:
        return False


def _wants_color(stream: IO[Any]) -> bool:
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return _is_tty(stream)


def _default_redactor() -> Processor | None:
    """The redaction processor ``redact=True`` stands for: :data:`joblog.redact_secrets`."""
    return redact_secrets


def build_pipeline(
    *,
    level: object = None,
    renderer: object = None,
    stream: object = None,
    redact: object = True,
    processors: Iterable[object] = (),
    max_line_bytes: object = DEFAULT_MAX_LINE_BYTES,
    schema: object = "joblog",
    sinks: Iterable[object] = (),
    service: object = None,
    environment: object = None,
    version: object = None,
    gcp_project: object = None,
    spans: object = False,
    trace_context: object = None,
) -> Pipeline:
    """Validate the arguments of :func:`configure` and build its pipeline."""
    from . import otel, profiles

    fields = profiles.service_fields(service, environment, version)  # type: ignore[arg-type]
    layout: Layout | None = profiles.layout(schema, service=fields, gcp_project=gcp_project)  # type: ignore[arg-type]
    if not fields and str(schema).lower() == "joblog":
        layout = None  # joblog's own names and nothing to add: the fast path
    if spans not in (True, False):
        raise TypeError(f"spans must be True or False, not {spans!r}")
    if trace_context not in (None, True, False):
        raise TypeError(f"trace_context must be None, True or False, not {trace_context!r}")
    trace: Processor | None = None
    if trace_context is not False:
        trace = otel.trace_context_processor()
        if trace is None and trace_context is True:
            raise ValueError("trace_context=True needs OpenTelemetry: pip install 'joblog[otel]'")
    if spans and not otel.available():
        raise ValueError("spans=True needs OpenTelemetry: pip install 'joblog[otel]'")
    extra = tuple(sinks)
    for sink in extra:
        if not all(callable(getattr(sink, name, None)) for name in ("write", "flush", "close")):
            raise TypeError(f"sinks must have write(), flush() and close(), got {sink!r}")
    if max_line_bytes is not None and (
        type(max_line_bytes) is not int or max_line_bytes < MIN_MAX_LINE_BYTES
    ):
        raise ValueError(
            f"max_line_bytes must be None or an int >= {MIN_MAX_LINE_BYTES}, got {max_line_bytes!r}"
        )
    if level is None:
        env_level = _env("JOBLOG_LEVEL")
        levelno = parse_level(env_level, "JOBLOG_LEVEL") if env_level else LEVELS["info"]
    else:
        levelno = parse_level(level)

    if renderer is None:
        env_renderer = _env("JOBLOG_RENDERER")
        renderer, what = (env_renderer, "JOBLOG_RENDERER") if env_renderer else ("auto", "renderer")
    else:
        what = "renderer"
    if not isinstance(renderer, str) or renderer.lower() not in RENDERERS:
        raise ValueError(f"unknown {what} {renderer!r}: expected 'json', 'console' or 'auto'")
    kind = renderer.lower()

    out: Any = sys.stdout if stream is None else stream
    if not callable(getattr(out, "write", None)):
        raise TypeError(f"stream must have a write() method, got {out!r}")
    if kind == "auto":
        kind = "console" if _is_tty(out) else "json"
    render: Renderer = ConsoleRenderer(colors=_wants_color(out)) if kind == "console" else dumps

    chain = tuple(processors)
    for processor in chain:
        if not callable(processor):
            raise TypeError(f"processors must be callables, got {processor!r}")

    redactor: Processor | None
    if redact is True:
        redactor = _default_redactor()
    elif redact is False or redact is None:
        redactor = None
    elif callable(redact):
        redactor = redact
    else:
        raise TypeError(f"redact must be True, False or a Redactor, not {redact!r}")

    binary = isinstance(out, (io.RawIOBase, io.BufferedIOBase)) or "b" in str(
        getattr(out, "mode", "")
    )
    return Pipeline(
        level=levelno,
        processors=chain,  # type: ignore[arg-type]
        redactor=redactor,
        renderer=render,
        stream=out,
        binary=binary,
        max_line_bytes=max_line_bytes,
        layout=layout,
        sinks=extra,  # type: ignore[arg-type]
        spans=bool(spans),
        trace=trace,
    )


def configure(
    *,
    level: str | int | None = None,
    renderer: str | None = None,
    stream: IO[Any] | None = None,
    redact: bool | Processor = True,
    stdlib: bool = True,
    processors: Iterable[Processor] = (),
    silence: Iterable[str] = DEFAULT_SILENCE,
    max_line_bytes: int | None = DEFAULT_MAX_LINE_BYTES,
    schema: str = "joblog",
    sinks: Iterable[Sink] = (),
    service: str | None = None,
    environment: str | None = None,
    version: str | None = None,
    gcp_project: str | None = None,
    spans: bool = False,
    trace_context: bool | None = None,
) -> None:
    """
    Configure joblog: one chain for joblog, structlog and :mod:`logging` loggers.

    Call it once at startup (again to reconfigure; nothing is duplicated).
    Importing joblog configures nothing.

    Args:
        level: the minimum level, a name (``"debug"`` … ``"critical"``,
            case-insensitive) or a number.  Default: ``$JOBLOG_LEVEL``, else
            ``"INFO"``.
        renderer: ``"json"`` (one JSON object per line), ``"console"``
            (``LEVEL  message  key=value``, colored on a TTY) or ``"auto"``
            (console on a TTY, else JSON).  Default: ``$JOBLOG_RENDERER``,
            else ``"auto"``.
        stream: where lines go; anything with ``write()``.  Default:
            ``sys.stdout`` (as it is when ``configure`` is called).
        redact: ``True`` for the default secret redaction, ``False`` to turn
            it off, or a :class:`~joblog.Redactor`.  Redaction runs last,
            after *processors*.
        stdlib: route the root :mod:`logging` logger into the same output
            (one handler, replaced on reconfigure; other handlers are left
            alone).  uvicorn's loggers, which carry handlers of their own,
            are handed to the root too.
        processors: extra structlog-style processors
            ``(logger, method_name, event_dict) -> event_dict`` run after the
            context and exception fields are merged and before redaction.
            The event text is under ``"message"``.  Raising
            ``structlog.DropEvent`` drops the event.
        silence: loggers set to ``WARNING`` when *stdlib* is true.  The
            default quiets ``uvicorn.access``, whose lines duplicate
            :class:`~joblog.RequestLoggingMiddleware`'s (and would log the
            skipped health checks).  Pass ``()`` to keep it.
        max_line_bytes: the longest line written, in bytes (newline
            included); default 16 KiB, under which Docker never splits a
            line.  A longer event is shrunk, largest strings first (their
            middle is replaced by ``[... N bytes cut]``), keeping
            ``timestamp``, ``level``, ``logger`` and ``job_id``; the line
            stays valid.  ``None`` turns the limit off.
        schema: the field layout of every line: ``"joblog"`` (the
            documented schema, the default), ``"ecs"`` (Elastic Common
            Schema), ``"gcp"`` (Google Cloud Logging) or ``"datadog"``.
            Applied after redaction, to every line.
        sinks: more outputs beside the stream, each given every final
            event (after redaction and layout) by ``write(event)``, such as
            :class:`joblog.otel.OTLPSink`.
        service: the service's name, written where the layout wants it.
            Default: ``$OTEL_SERVICE_NAME``, ``service.name`` in
            ``$OTEL_RESOURCE_ATTRIBUTES``, else ``$DD_SERVICE``.
        environment: the deployment environment.  Default:
            ``deployment.environment`` in ``$OTEL_RESOURCE_ATTRIBUTES``, else
            ``$DD_ENV``.
        version: the service's version.  Default: ``service.version`` in
            ``$OTEL_RESOURCE_ATTRIBUTES``, else ``$DD_VERSION``.
        gcp_project: the Google Cloud project for the ``"gcp"`` layout's
            trace resource names.  Default: ``$GOOGLE_CLOUD_PROJECT``.
        spans: open an OpenTelemetry span for each :func:`~joblog.stage`
            and :func:`~joblog.job` (needs ``joblog[otel]``).
        trace_context: add the active span's ``trace_id``, ``span_id`` and
            ``trace_flags`` to every line.  Default (``None``): when
            OpenTelemetry is installed.  ``False`` turns it off.

    Raises:
        ValueError: an unknown level or renderer name (also from the
            environment variables), a *max_line_bytes* that is not ``None``
            or an int of at least 1024, an unknown *schema*, a service field
            that is not a short printable string, *spans* or
            *trace_context* asked for without OpenTelemetry installed.
        TypeError: a stream without ``write()``, a processor that is not
            callable, a *redact* that is not a bool or a processor, a sink
            without ``write()``, ``flush()`` and ``close()``.
    """
    silenced = tuple(silence)
    for name in silenced:
        if not isinstance(name, str):
            raise TypeError(f"silence must be logger names, got {name!r}")
    with _configure_lock:
        new = build_pipeline(
            level=level,
            renderer=renderer,
            stream=stream,
            redact=redact,
            processors=processors,
            max_line_bytes=max_line_bytes,
            schema=schema,
            sinks=sinks,
            service=service,
            environment=environment,
            version=version,
            gcp_project=gcp_project,
            spans=spans,
            trace_context=trace_context,
        )
        install(new)
        _route_structlog(new.level)
        _route_stdlib(new.level if stdlib else None, silenced)

    # A child process started with joblog.context_env() continues its parent's job.
    from .processes import bind_from_env

    bind_from_env()


def _route_structlog(level: int) -> None:
    """Send ``structlog.get_logger()`` loggers through joblog's chain too."""
    from ._logger import StructlogName, structlog_bridge

    structlog.configure(
        processors=[structlog_bridge],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=StructlogName,
        context_class=dict,
        cache_logger_on_first_use=False,
    )


def _route_stdlib(level: int | None, silence: tuple[str, ...]) -> None:
    from .stdlib import JoblogHandler

    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, JoblogHandler)]:
        root.removeHandler(old)
    _restore_silenced()
    if level is None:
        return
    if not _formatted_by_joblog(root):  # else a dictConfig writes joblog's lines already
        root.addHandler(JoblogHandler())
    root.setLevel(level)
    manager = logging.Logger.manager
    for name in _SERVER_LOGGERS:
        if name in manager.loggerDict:
            server_logger = logging.getLogger(name)
            for own in list(server_logger.handlers):
                server_logger.removeHandler(own)
            server_logger.propagate = True
    for name in silence:
        silenced = logging.getLogger(name)
        _silenced.setdefault(name, silenced.level)
        silenced.setLevel(logging.WARNING)


def _formatted_by_joblog(root: logging.Logger) -> bool:
    """Whether a handler on *root* already formats with ``JobJsonFormatter``.

    A second handler would write every stdlib line twice.
    """
    from .stdlib import JobJsonFormatter

    return any(isinstance(h.formatter, JobJsonFormatter) for h in root.handlers)


def _restore_silenced() -> None:
    """Give the loggers an earlier ``silence=`` quieted their own levels back."""
    for name, level in _silenced.items():
        logging.getLogger(name).setLevel(level)
    _silenced.clear()
