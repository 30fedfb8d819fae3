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

from .redact import Redactor, redact_secrets
from .render import ConsoleRenderer, dumps, format_timestamp

__all__ = ["configure"]

Processor = Callable[[Any, str, MutableMapping[str, Any]], MutableMapping[str, Any]]
Renderer = Callable[[Mapping[str, Any]], str]

LEVELS: Final = {"debug": 10, "info": 20, "warning": 30, "error": 40, "critical": 50}
_LEVEL_ALIASES: Final = {"warn": "warning", "fatal": "critical"}
RENDERERS: Final = ("json", "console", "auto")

#: Loggers of servers that log the access line themselves; RequestLoggingMiddleware
#: writes joblog's own, so these are quieted by default.
DEFAULT_SILENCE: Final = ("uvicorn.access",)
#: Loggers that servers give handlers of their own; configure() hands them to the root.
_SERVER_LOGGERS: Final = ("uvicorn", "uvicorn.error", "uvicorn.access")


def parse_level(level: object, what: str = "level") -> int:
    """
    Return the numeric level for *level* (a name such as ``"info"`` or an int).

    Raises:
        ValueError: for an unknown name or an out-of-range number.
        TypeError: for anything that is neither a string nor an int.
    """
    if isinstance(level, bool):
        raise TypeError(f"{what} must be a level name or an int, not {level!r}")
    if isinstance(level, int):
        if not 0 <= level <= 50:
            raise ValueError(f"{what} {level!r} is out of range: expected 0..50")
        return level
    if isinstance(level, str):
        name = level.strip().lower()
        name = _LEVEL_ALIASES.get(name, name)
        if name in LEVELS:
            return LEVELS[name]
        raise ValueError(
            f"unknown {what} {level!r}: expected one of debug, info, warning, error, critical"
        )
    raise TypeError(f"{what} must be a level name or an int, not {level!r}")


class Pipeline:
    """
    The configured chain: user processors, then redaction, then render and write.

    Event dicts arrive already in schema order with context and exception
    fields merged (the front ends do that part, each the cheapest way it
    can); :meth:`emit` runs the rest.  Nothing is added after redaction.
    Immutable once built: :func:`configure` replaces the whole pipeline.
    """

    __slots__ = (
        "_redact",
        "binary",
        "level",
        "lock",
        "processors",
        "redactor",
        "renderer",
        "stream",
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
    ) -> None:
        self.level = level
        self.processors = processors
        self.redactor = redactor
        # An object's bound __call__ is cheaper to call than the object itself:
        # redaction runs on every event, so that is worth a slot.
        self._redact = redactor.__call__ if isinstance(redactor, Redactor) else redactor
        self.renderer = renderer
        self.stream = stream
        self.binary = binary
        self.lock = threading.Lock()

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
            for processor in self.processors:
                event = processor(logger, method_name, event)
            if self._redact is not None:
                event = self._redact(logger, method_name, event)
        except structlog.DropEvent:
            return None
        except Exception as exc:
            event = failure_event(exc)
        if captures:
            for sink in tuple(captures):
                sink.append(event)
        return event

    def emit(self, event: MutableMapping[str, Any], method_name: str, logger: Any) -> None:
        """Process *event* and write it (unless captured or dropped); never raises."""
        if self.processors or captures:
            final = self.process(event, method_name, logger)
            if final is None or captures:
                return
            event = final
        elif self._redact is not None:
            # The common case, inlined: no extra processors, nobody capturing.
            try:
                event = self._redact(logger, method_name, event)
            except Exception as exc:
                event = failure_event(exc)
        self.write(self.renderer(event))

    def write(self, line: str) -> None:
        """Write one rendered line and flush; a broken stream is reported, not raised."""
        try:
            with self.lock:
                self.stream.write(line.encode() if self.binary else line)
                self.stream.flush()
        except Exception as exc:
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


def failure_event(
    exc: BaseException | None, message: str = "joblog: a processor raised; the event was dropped"
) -> dict[str, Any]:
    """
    The line written in place of an event joblog could not process.

    Built from scratch, so none of the failed event's (unredacted) values can
    leak through it; only the job id (validated when bound) is kept.
    """
    from .context import current_job_id

    event: dict[str, Any] = {
        "timestamp": format_timestamp(time.time()),
        "level": "error",
        "message": message,
        "logger": "joblog",
    }
    if exc is not None:
        event["error_type"] = type(exc).__name__
    job_id = current_job_id()
    if job_id is not None:
        event["job_id"] = job_id
    return event


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
) -> Pipeline:
    """Validate the arguments of :func:`configure` and build its pipeline."""
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

    Raises:
        ValueError: an unknown level or renderer name (also from the
            environment variables).
        TypeError: a stream without ``write()``, a processor that is not
            callable, a *redact* that is not a bool or a processor.
    """
    silenced = tuple(silence)
    for name in silenced:
        if not isinstance(name, str):
            raise TypeError(f"silence must be logger names, got {name!r}")
    with _configure_lock:
        new = build_pipeline(
            level=level, renderer=renderer, stream=stream, redact=redact, processors=processors
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


def _restore_silenced() -> None:
    """Give the loggers an earlier ``silence=`` quieted their own levels back."""
    for name, level in _silenced.items():
        logging.getLogger(name).setLevel(level)
    _silenced.clear()
