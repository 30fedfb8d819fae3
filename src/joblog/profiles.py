"""
Output profiles: the field layout each log backend expects, and the way back.

A *layout* takes a finished joblog event (after redaction) and returns the
dict a backend wants to read::

    {"timestamp": ..., "level": "info", "message": ..., "logger": ..., "job_id": ..., ...}

``"joblog"`` is joblog's own layout; ``"ecs"`` (Elastic Common Schema),
``"gcp"`` (Cloud Logging structured logging) and ``"datadog"`` rename the
schema fields, the exception fields, the trace context and the service
fields to the names those backends document.  Every other field is kept
under its own name.  A field that would take a profile's reserved name is
kept as ``fields.<name>``, as joblog does for its own schema keys, so no
field ever replaces one the backend reads.

:func:`normalize` turns a line written in any of these layouts (or by
another ECS, GCP or Datadog logger, where the names agree) back into
joblog's layout, so ``joblog query 'filter level = "error"'`` works on every
file.  Building a layout never raises for any event; :func:`layout` raises
``ValueError`` for an unknown profile name at configuration time.
"""

from __future__ import annotations

import os
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final, TypeAlias

from .render import format_timestamp

__all__ = [
    "ECS_VERSION",
    "PROFILES",
    "Layout",
    "ServiceFields",
    "layout",
    "normalize",
    "service_fields",
]

#: A field layout: a joblog event in, the backend's event out.
Layout: TypeAlias = Callable[[dict[str, Any]], dict[str, Any]]

#: The profile names ``configure(schema=...)`` accepts.
PROFILES: Final = ("joblog", "ecs", "gcp", "datadog")

#: The ECS version the ``"ecs"`` layout declares in ``ecs.version``.  Every
#: field it writes exists, with the same meaning, since ECS 1.x.
ECS_VERSION: Final = "8.11.0"

#: Call-site fields, under the names structlog's ``CallsiteParameterAdder``
#: gives them; the ECS and GCP layouts move them to their source-location
#: fields when an event carries them.
CALLSITE_FILE: Final = "pathname"
CALLSITE_LINE: Final = "lineno"
CALLSITE_FUNCTION: Final = "func_name"

_SCHEMA: Final = ("timestamp", "level", "message", "logger")
_MAX_SERVICE_FIELD: Final = 256

# Python level names -> each backend's severity names.
_GCP_SEVERITY: Final = {
    "debug": "DEBUG",
    "info": "INFO",
    "warning": "WARNING",
    "error": "ERROR",
    "critical": "CRITICAL",
}
_GCP_LEVEL: Final = {
    "DEFAULT": "info",
    "DEBUG": "debug",
    "INFO": "info",
    "NOTICE": "info",
    "WARNING": "warning",
    "ERROR": "error",
    "CRITICAL": "critical",
    "ALERT": "critical",
    "EMERGENCY": "critical",
}
# Spellings other loggers use for the five levels (ECS's log.level is the
# source's own text; Datadog's status accepts syslog-style names).
_LEVEL_ALIASES: Final = {
    "trace": "debug",
    "verbose": "debug",
    "debug": "debug",
    "info": "info",
    "information": "info",
    "informational": "info",
    "notice": "info",
    "ok": "info",
    "success": "info",
    "warn": "warning",
    "warning": "warning",
    "err": "error",
    "error": "error",
    "crit": "critical",
    "critical": "critical",
    "fatal": "critical",
    "alert": "critical",
    "emerg": "critical",
    "emergency": "critical",
}

_GCP_PREFIX: Final = "logging.googleapis.com/"
_GCP_TRACE: Final = _GCP_PREFIX + "trace"
_GCP_SPAN: Final = _GCP_PREFIX + "spanId"
_GCP_SAMPLED: Final = _GCP_PREFIX + "trace_sampled"
_GCP_SOURCE: Final = _GCP_PREFIX + "sourceLocation"
_UINT64: Final = (1 << 64) - 1


# --------------------------------------------------------------------------
# Service fields
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class ServiceFields:
    """
    The service a line comes from: name, deployment environment and version.

    Each is ``None`` when unknown; a layout writes only what is known.
    """

    name: str | None = None
    environment: str | None = None
    version: str | None = None

    def __bool__(self) -> bool:
        return any((self.name, self.environment, self.version))


def _check_service_value(what: str, value: object) -> str | None:
    if value is None:
        return None
    if (
        not isinstance(value, str)
        or not value
        or len(value) > _MAX_SERVICE_FIELD
        or not value.isprintable()
    ):
        raise ValueError(
            f"{what} must be a non-empty string of at most {_MAX_SERVICE_FIELD} printable"
            f" characters, not {value!r}"
        )
    return value


def _resource_attributes(raw: str) -> dict[str, str]:
    """Parse ``OTEL_RESOURCE_ATTRIBUTES`` (``key=value`` pairs, comma-separated, %-encoded)."""
    attributes: dict[str, str] = {}
    for item in raw.split(","):
        if not item.strip():
            continue
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ValueError(
                f"OTEL_RESOURCE_ATTRIBUTES has an entry that is not key=value: {item!r}"
            )
        attributes[key.strip()] = urllib.parse.unquote(value.strip())
    return attributes


def service_fields(
    service: str | None = None,
    environment: str | None = None,
    version: str | None = None,
    *,
    environ: Mapping[str, str] | None = None,
) -> ServiceFields:
    """
    Resolve the service fields: the arguments, else the usual environment variables.

    Each field is taken from the first of these that sets it:

    - name: *service*, ``OTEL_SERVICE_NAME``, ``service.name`` in
      ``OTEL_RESOURCE_ATTRIBUTES``, ``DD_SERVICE``;
    - environment: *environment*, ``deployment.environment.name`` (or the
      older ``deployment.environment``) in ``OTEL_RESOURCE_ATTRIBUTES``,
      ``DD_ENV``;
    - version: *version*, ``service.version`` in
      ``OTEL_RESOURCE_ATTRIBUTES``, ``DD_VERSION``.

    Args:
        service: the service name.
        environment: the deployment environment (``"production"``, ...).
        version: the service's version.
        environ: the environment to read; default ``os.environ``.

    Returns:
        The resolved fields (each ``None`` when nothing sets it).

    Raises:
        ValueError: a value that is not a non-empty printable string of at
            most 256 characters (arguments and variables alike), or an
            ``OTEL_RESOURCE_ATTRIBUTES`` entry that is not ``key=value``.
    """
    env = os.environ if environ is None else environ
    raw_resource = env.get("OTEL_RESOURCE_ATTRIBUTES", "")
    resource = _resource_attributes(raw_resource) if raw_resource else {}

    def pick(*candidates: tuple[str, str | None]) -> str | None:
        for source, value in candidates:
            if value:
                return _check_service_value(source, value)
        return None

    return ServiceFields(
        name=pick(
            ("service", _check_service_value("service", service)),
            ("OTEL_SERVICE_NAME", env.get("OTEL_SERVICE_NAME")),
            ("OTEL_RESOURCE_ATTRIBUTES service.name", resource.get("service.name")),
            ("DD_SERVICE", env.get("DD_SERVICE")),
        ),
        environment=pick(
            ("environment", _check_service_value("environment", environment)),
            (
                "OTEL_RESOURCE_ATTRIBUTES deployment.environment.name",
                resource.get("deployment.environment.name"),
            ),
            (
                "OTEL_RESOURCE_ATTRIBUTES deployment.environment",
                resource.get("deployment.environment"),
            ),
            ("DD_ENV", env.get("DD_ENV")),
        ),
        version=pick(
            ("version", _check_service_value("version", version)),
            ("OTEL_RESOURCE_ATTRIBUTES service.version", resource.get("service.version")),
            ("DD_VERSION", env.get("DD_VERSION")),
        ),
    )


# --------------------------------------------------------------------------
# Layouts
# --------------------------------------------------------------------------


def _rest(
    event: Mapping[str, Any],
    out: dict[str, Any],
    consumed: frozenset[str],
    reserved: frozenset[str],
) -> None:
    """Copy the fields not *consumed*; a *reserved* name becomes ``fields.<name>``."""
    for key, value in event.items():
        if key in consumed:
            continue
        if key in reserved:
            moved = f"fields.{key}"
            while moved in event:  # that name is taken too: never drop a field
                moved = f"fields.{moved}"
            out[moved] = value
        else:
            out[key] = value


def _sampled(flags: object) -> bool | None:
    if not isinstance(flags, str):
        return None
    try:
        return bool(int(flags, 16) & 1)
    except ValueError:
        return None


def _dd_id(hex_id: object) -> str | None:
    """Datadog's form of an OpenTelemetry id: its low 64 bits as an unsigned decimal."""
    if not isinstance(hex_id, str):
        return None
    try:
        return str(int(hex_id, 16) & _UINT64)
    except ValueError:
        return None


class _JoblogLayout:
    """joblog's own layout: the event as it is, plus the service fields when set."""

    __slots__ = ("_service",)

    def __init__(self, service: ServiceFields) -> None:
        self._service = tuple(
            (key, value)
            for key, value in (
                ("service", service.name),
                ("environment", service.environment),
                ("version", service.version),
            )
            if value is not None
        )

    def __call__(self, event: dict[str, Any]) -> dict[str, Any]:
        for key, value in self._service:
            if key not in event:
                event[key] = value
        return event


# Fields every layout consumes from a joblog event (the rest are copied).
_CONSUMED: Final = frozenset(
    {
        *_SCHEMA,
        "error_type",
        "error_message",
        "exception",
        "trace_id",
        "span_id",
        "trace_flags",
    }
)

_GCP_CONSUMED: Final = frozenset({*_SCHEMA, "trace_id", "span_id", "trace_flags"})
_CALLSITE: Final = frozenset({CALLSITE_FILE, CALLSITE_LINE, CALLSITE_FUNCTION})


class _ECSLayout:
    """Elastic Common Schema, dotted names at the top level as ecs-logging writes them."""

    __slots__ = ("_service",)

    RESERVED: Final = frozenset(
        {
            "@timestamp",
            "log.level",
            "log.logger",
            "ecs.version",
            "error.type",
            "error.message",
            "error.stack_trace",
            "trace.id",
            "span.id",
            "service.name",
            "service.environment",
            "service.version",
            "event.dataset",
            "log.origin.file.name",
            "log.origin.file.line",
            "log.origin.function",
        }
    )

    def __init__(self, service: ServiceFields) -> None:
        pairs: list[tuple[str, str]] = []
        if service.name is not None:
            pairs.append(("service.name", service.name))
        if service.environment is not None:
            pairs.append(("service.environment", service.environment))
        if service.version is not None:
            pairs.append(("service.version", service.version))
        if service.name is not None:
            # ecs-logging: a configured service name sets event.dataset to it.
            pairs.append(("event.dataset", service.name))
        self._service = tuple(pairs)

    def __call__(self, event: dict[str, Any]) -> dict[str, Any]:
        get = event.get
        out: dict[str, Any] = {
            "@timestamp": get("timestamp"),
            "log.level": get("level"),
            "message": get("message"),
            "ecs.version": ECS_VERSION,
        }
        if "logger" in event:
            out["log.logger"] = event["logger"]
        if "error_type" in event:
            out["error.type"] = event["error_type"]
        if "error_message" in event:
            out["error.message"] = event["error_message"]
        if "exception" in event:
            out["error.stack_trace"] = event["exception"]
        if "trace_id" in event:
            out["trace.id"] = event["trace_id"]
        if "span_id" in event:
            out["span.id"] = event["span_id"]
        if "trace_flags" in event:
            out["trace_flags"] = event["trace_flags"]
        out.update(self._service)
        consumed = _CONSUMED
        if CALLSITE_FILE in event or CALLSITE_LINE in event or CALLSITE_FUNCTION in event:
            consumed = _CONSUMED | _CALLSITE
            if CALLSITE_FILE in event:
                out["log.origin.file.name"] = event[CALLSITE_FILE]
            if CALLSITE_LINE in event:
                out["log.origin.file.line"] = event[CALLSITE_LINE]
            if CALLSITE_FUNCTION in event:
                out["log.origin.function"] = event[CALLSITE_FUNCTION]
        _rest(event, out, consumed, self.RESERVED)
        return out


class _GCPLayout:
    """Cloud Logging's structured-logging special fields."""

    __slots__ = ("_environment", "_project", "_service_context")

    RESERVED: Final = frozenset(
        {
            "time",
            "severity",
            "serviceContext",
            _GCP_TRACE,
            _GCP_SPAN,
            _GCP_SAMPLED,
            _GCP_SOURCE,
            # Markers of the other profiles, so normalize() never mistakes a line.
            "ecs.version",
        }
    )

    def __init__(self, service: ServiceFields, project: str | None) -> None:
        self._project = project
        context: dict[str, str] = {}
        if service.name is not None:
            context["service"] = service.name
        if service.version is not None:
            context["version"] = service.version
        self._service_context = context or None
        self._environment = service.environment

    def __call__(self, event: dict[str, Any]) -> dict[str, Any]:
        get = event.get
        level = get("level")
        out: dict[str, Any] = {
            "time": get("timestamp"),
            "severity": _GCP_SEVERITY.get(level, "DEFAULT")
            if isinstance(level, str)
            else "DEFAULT",
            "message": get("message"),
        }
        if "logger" in event:
            out["logger"] = event["logger"]
        trace_id = get("trace_id")
        if isinstance(trace_id, str):
            out[_GCP_TRACE] = (
                f"projects/{self._project}/traces/{trace_id}"
                if self._project is not None
                else trace_id
            )
        if "span_id" in event:
            out[_GCP_SPAN] = event["span_id"]
        sampled = _sampled(get("trace_flags"))
        if sampled is not None:
            out[_GCP_SAMPLED] = sampled
        if self._service_context is not None:
            out["serviceContext"] = dict(self._service_context)
        if self._environment is not None and "environment" not in event:
            out["environment"] = self._environment
        consumed = _GCP_CONSUMED
        if CALLSITE_FILE in event or CALLSITE_LINE in event or CALLSITE_FUNCTION in event:
            consumed = consumed | _CALLSITE
            location: dict[str, Any] = {}
            if CALLSITE_FILE in event:
                location["file"] = event[CALLSITE_FILE]
            if CALLSITE_LINE in event:
                # LogEntrySourceLocation.line is an int64, which protobuf's
                # JSON mapping writes as a string.
                line = event[CALLSITE_LINE]
                location["line"] = (
                    str(line) if isinstance(line, int) and not isinstance(line, bool) else line
                )
            if CALLSITE_FUNCTION in event:
                location["function"] = event[CALLSITE_FUNCTION]
            out[_GCP_SOURCE] = location
        _rest(event, out, consumed, self.RESERVED)
        return out


class _DatadogLayout:
    """Datadog's reserved and standard attributes, with its form of the trace ids."""

    __slots__ = ("_last", "_service")

    RESERVED: Final = frozenset(
        {
            "status",
            "logger.name",
            "error.kind",
            "error.message",
            "error.stack",
            "dd.trace_id",
            "dd.span_id",
            "dd.service",
            "dd.env",
            "dd.version",
            # Markers of the other profiles, so normalize() never mistakes a line.
            "ecs.version",
            "severity",
        }
    )

    def __init__(self, service: ServiceFields) -> None:
        self._service = tuple(
            (key, value)
            for key, value in (
                ("dd.service", service.name),
                ("dd.env", service.environment),
                ("dd.version", service.version),
            )
            if value is not None
        )
        # The lines of one span share its ids: convert them once per span.
        self._last: tuple[object, object, str | None, str | None] = (None, None, None, None)

    def __call__(self, event: dict[str, Any]) -> dict[str, Any]:
        get = event.get
        out: dict[str, Any] = {
            "timestamp": get("timestamp"),
            "status": get("level"),
            "message": get("message"),
        }
        if "logger" in event:
            out["logger.name"] = event["logger"]
        if "error_type" in event:
            out["error.kind"] = event["error_type"]
        if "error_message" in event:
            out["error.message"] = event["error_message"]
        if "exception" in event:
            out["error.stack"] = event["exception"]
        # The OpenTelemetry names stay (Datadog reads them too, at full
        # 128 bits); dd.* carry the 64-bit decimal form its docs give.
        for key in ("trace_id", "span_id", "trace_flags"):
            if key in event:
                out[key] = event[key]
        trace_id, span_id = get("trace_id"), get("span_id")
        last = self._last
        if trace_id == last[0] and span_id == last[1]:
            dd_trace, dd_span = last[2], last[3]
        else:
            dd_trace, dd_span = _dd_id(trace_id), _dd_id(span_id)
            self._last = (trace_id, span_id, dd_trace, dd_span)
        if dd_trace is not None:
            out["dd.trace_id"] = dd_trace
        if dd_span is not None:
            out["dd.span_id"] = dd_span
        out.update(self._service)
        _rest(event, out, _CONSUMED, self.RESERVED)
        return out


def layout(
    schema: str = "joblog",
    *,
    service: ServiceFields | None = None,
    gcp_project: str | None = None,
) -> Layout:
    """
    Return the layout named *schema*.

    Args:
        schema: ``"joblog"``, ``"ecs"``, ``"gcp"`` or ``"datadog"``
            (case-insensitive).
        service: the service fields to write (see :func:`service_fields`);
            default: none.
        gcp_project: the Google Cloud project for ``"gcp"``'s trace resource
            name ``projects/PROJECT/traces/TRACE_ID``; default
            ``$GOOGLE_CLOUD_PROJECT``.  Without one the bare trace id is
            written, which the Logging agent completes on GKE and Cloud Run.

    Returns:
        A function from a joblog event to the profile's event.  The
        ``"joblog"`` layout returns the event itself (adding the service
        fields when set); the others build a new dict.

    Raises:
        ValueError: an unknown *schema*, or a *gcp_project* that is not a
            non-empty printable string.
    """
    if not isinstance(schema, str) or schema.lower() not in PROFILES:
        raise ValueError(
            f"unknown schema {schema!r}: expected one of {', '.join(repr(p) for p in PROFILES)}"
        )
    fields = service if service is not None else ServiceFields()
    name = schema.lower()
    if name == "ecs":
        return _ECSLayout(fields)
    if name == "gcp":
        project = gcp_project if gcp_project is not None else os.environ.get("GOOGLE_CLOUD_PROJECT")
        return _GCPLayout(fields, _check_service_value("gcp_project", project or None))
    if name == "datadog":
        return _DatadogLayout(fields)
    return _JoblogLayout(fields)


# --------------------------------------------------------------------------
# Reading a profile back
# --------------------------------------------------------------------------


_ABSENT: Final = object()


def _nested(event: Mapping[str, Any], dotted: str, default: Any = None) -> Any:
    """``event["a.b"]``, or ``event["a"]["b"]`` as ECS loggers that nest write it."""
    if dotted in event:
        return event[dotted]
    node: Any = event
    for part in dotted.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return default
        node = node[part]
    return node


def _level(value: object) -> object:
    if isinstance(value, str):
        return _LEVEL_ALIASES.get(value.strip().lower(), value.lower())
    return value


def _restore(event: Mapping[str, Any], out: dict[str, Any], reserved: frozenset[str]) -> None:
    """Copy the remaining fields, undoing :func:`_rest`'s moves of reserved names."""
    for key, value in event.items():
        if key in out:
            continue
        if key.startswith("fields.") and key[7:] in reserved and key[7:] not in _SCHEMA:
            out.setdefault(key[7:], value)
        else:
            out[key] = value


def _ordered(timestamp: Any, level: Any, message: Any, logger: Any) -> dict[str, Any]:
    pairs = (("timestamp", timestamp), ("level", level), ("message", message), ("logger", logger))
    return {key: value for key, value in pairs if value is not None}


def _from_ecs(event: Mapping[str, Any]) -> dict[str, Any]:
    out = _ordered(
        _nested(event, "@timestamp"),
        _level(_nested(event, "log.level")),
        event.get("message"),
        _nested(event, "log.logger"),
    )
    for source, target in (
        ("error.type", "error_type"),
        ("error.message", "error_message"),
        ("error.stack_trace", "exception"),
        ("trace.id", "trace_id"),
        ("span.id", "span_id"),
        ("log.origin.file.name", CALLSITE_FILE),
        ("log.origin.file.line", CALLSITE_LINE),
        ("log.origin.function", CALLSITE_FUNCTION),
    ):
        value = _nested(event, source, _ABSENT)
        if value is not _ABSENT and not isinstance(value, Mapping):
            out[target] = value
    skip = set(_ECSLayout.RESERVED) | {"message"}
    if event.get("event.dataset") not in (None, _nested(event, "service.name")):
        skip.discard("event.dataset")
    _restore({k: v for k, v in event.items() if k not in skip}, out, _ECSLayout.RESERVED)
    _service_back(event, out, ("service.name", "service.environment", "service.version"))
    return out


def _service_back(event: Mapping[str, Any], out: dict[str, Any], names: tuple[str, ...]) -> None:
    """The profile's service fields as joblog's; a field of the event's own name wins."""
    for source, target in zip(names, ("service", "environment", "version"), strict=True):
        value = _nested(event, source) if source else None
        if isinstance(value, str):
            out.setdefault(target, value)


def _from_gcp(event: Mapping[str, Any]) -> dict[str, Any]:
    time_value = event.get("time")
    if time_value is None:
        stamp = event.get("timestamp")
        if isinstance(stamp, Mapping) and isinstance(stamp.get("seconds"), (int, float)):
            nanos = stamp.get("nanos")
            millis = int(nanos) // 1_000_000 if isinstance(nanos, (int, float)) else 0
            # Half a millisecond in, so float rounding never lands on the one before.
            time_value = format_timestamp(stamp["seconds"] + (millis + 0.5) / 1000)
        else:
            time_value = stamp
    severity = event.get("severity")
    level = (
        _GCP_LEVEL.get(severity.upper(), severity.lower())
        if isinstance(severity, str)
        else severity
    )
    out = _ordered(time_value, level, event.get("message"), event.get("logger"))
    trace = event.get(_GCP_TRACE)
    if isinstance(trace, str):
        out["trace_id"] = trace.rpartition("/traces/")[2]
    if _GCP_SPAN in event:
        out["span_id"] = event[_GCP_SPAN]
    sampled = event.get(_GCP_SAMPLED)
    if isinstance(sampled, bool) and "trace_flags" not in event:
        out["trace_flags"] = "01" if sampled else "00"
    location = event.get(_GCP_SOURCE)
    if isinstance(location, Mapping):
        if "file" in location:
            out[CALLSITE_FILE] = location["file"]
        if "line" in location:
            line = location["line"]
            out[CALLSITE_LINE] = (
                int(line) if isinstance(line, str) and _digits(line.removeprefix("-")) else line
            )
        if "function" in location:
            out[CALLSITE_FUNCTION] = location["function"]
    skip = {"message", "logger", *_GCPLayout.RESERVED}
    if "time" not in event:
        skip.add("timestamp")
    _restore({k: v for k, v in event.items() if k not in skip}, out, _GCPLayout.RESERVED)
    _service_back(event, out, ("serviceContext.service", "", "serviceContext.version"))
    return out


def _from_datadog(event: Mapping[str, Any]) -> dict[str, Any]:
    out = _ordered(
        event.get("timestamp"),
        _level(event.get("status")),
        event.get("message"),
        _nested(event, "logger.name"),
    )
    for source, target in (
        ("error.kind", "error_type"),
        ("error.message", "error_message"),
        ("error.stack", "exception"),
    ):
        value = _nested(event, source, _ABSENT)
        if value is not _ABSENT and not isinstance(value, Mapping):
            out[target] = value
    for key in ("trace_id", "span_id", "trace_flags"):
        if key in event:
            out[key] = event[key]
    skip = {"timestamp", "message", *_DatadogLayout.RESERVED}
    if "trace_id" not in event and "dd.trace_id" in event:
        # The decimal 64-bit form cannot be turned back into a full trace
        # id; it stays under its own name.
        skip.discard("dd.trace_id")
    if "span_id" not in event and "dd.span_id" in event:
        out["span_id"] = _dd_span_hex(event["dd.span_id"])
    _restore({k: v for k, v in event.items() if k not in skip}, out, _DatadogLayout.RESERVED)
    _service_back(event, out, ("dd.service", "dd.env", "dd.version"))
    return out


def _digits(text: str) -> bool:
    # ASCII only: str.isdigit() is also true for "²", which int() refuses.
    return text.isascii() and text.isdigit()


def _dd_span_hex(value: object) -> object:
    if isinstance(value, int) and 0 <= value <= _UINT64:
        return f"{value:016x}"
    if isinstance(value, str) and _digits(value) and int(value) <= _UINT64:
        return f"{int(value):016x}"
    return value


def detect(event: Mapping[str, Any]) -> str:
    """
    The profile *event* was written in: ``"joblog"``, ``"ecs"``, ``"gcp"`` or ``"datadog"``.

    A line with a ``level`` is joblog's; one with ``ecs.version`` is ECS; one
    with ``severity`` is GCP's; one with ``status`` is Datadog's; other
    lines with ``log.level`` or ``@timestamp`` are ECS too.  Each layout
    keeps the other profiles' markers as ``fields.<name>``, so its own lines
    are never mistaken.
    """
    if "level" in event:
        return "joblog"
    if "ecs.version" in event:
        return "ecs"
    if "severity" in event:
        return "gcp"
    if "status" in event:
        return "datadog"
    if "@timestamp" in event or _nested(event, "log.level") is not None:
        return "ecs"
    return "joblog"


def normalize(event: dict[str, Any]) -> dict[str, Any]:
    """
    Return *event*, written in any profile, in joblog's layout.

    ``level`` becomes one of joblog's five names, ``timestamp``,
    ``message``, ``logger``, the exception fields, ``trace_id``/``span_id``/
    ``trace_flags`` and ``service``/``environment``/``version`` get joblog's
    names, and ``fields.<name>`` moves made by a layout are undone.  A
    joblog line is returned as it is (the same object).  Never raises for a
    JSON object.

    Args:
        event: one parsed line.

    Returns:
        The event in joblog's layout.
    """
    profile = detect(event)
    if profile == "joblog":
        return event
    if profile == "ecs":
        return _from_ecs(event)
    if profile == "gcp":
        return _from_gcp(event)
    return _from_datadog(event)
