"""
Request logging for ASGI apps: :class:`RequestLoggingMiddleware` and :func:`log_auth_failure`.

The middleware is pure ASGI (no ``BaseHTTPMiddleware``, which costs several
times more per request and breaks contextvars and streaming) and imports
nothing from Starlette: it works with ``app.add_middleware(...)`` in
Starlette and FastAPI and around any ASGI application.  Each HTTP request
gets ``"Request started"`` and ``"Request completed"``; endpoints on the skip
list stay silent unless they fail; an unhandled exception gets one
``"Request failed"`` line with its traceback, which the server then does not
log a second time.
"""

from __future__ import annotations

import ipaddress
import math
import os
import re
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from contextvars import ContextVar
from time import perf_counter
from types import MappingProxyType
from typing import Any, Final, TypeAlias

from ._interop import REGISTRY as _STRUCTLOG
from ._interop import restore as _restore_structlog
from ._interop import save as _save_structlog
from ._logged import mark_logged
from ._logger import BoundLogger, get_logger
from .context import SCHEMA_KEYS, JobSlot, _fields, job_slot, validate_job_id
from .redact import redact_secrets

__all__ = ["RequestLoggingMiddleware", "log_auth_failure"]

# The ASGI 3 types, as starlette.types spells them (starlette stays optional).
Scope: TypeAlias = MutableMapping[str, Any]
Message: TypeAlias = MutableMapping[str, Any]
Receive: TypeAlias = Callable[[], Awaitable[Message]]
Send: TypeAlias = Callable[[Message], Awaitable[None]]
ASGIApp: TypeAlias = Callable[[Scope, Receive, Send], Awaitable[None]]

IPAddress: TypeAlias = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork: TypeAlias = ipaddress.IPv4Network | ipaddress.IPv6Network

#: Methods a skip entry may name.
METHODS: Final = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")

DEFAULT_LOGGER: Final = "joblog.asgi"
AUTH_LOGGER: Final = "joblog.auth"

# Fields the middleware writes; a logged request header may not take one of
# these names (nor job_id: a client must not be able to set it).
_RESERVED: Final = SCHEMA_KEYS | {
    "method",
    "path",
    "client_ip",
    "status",
    "latency_ms",
    "response_size",
    "response_complete",
    "error_type",
    "error_message",
    "exception",
    "job_id",
    "request_id",
}

# Starlette's path convertors, to the letter (a test compares them with
# starlette.convertors): "{name}" is "{name:str}", and a uuid's dashes are optional.
_CONVERTORS: Final = {
    "str": "[^/]+",
    "path": ".*",
    "int": "[0-9]+",
    "float": r"[0-9]+(?:\.[0-9]+)?",
    "uuid": "[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}",
}
_PARAM: Final = re.compile(r"{([a-zA-Z_][a-zA-Z0-9_]*)(?::([a-zA-Z_][a-zA-Z0-9_]*))?}")
_HEADER_NAME: Final = re.compile(r"[!#$%&'*+.^_`|~0-9a-zA-Z-]+")
_PROXY_HEADERS: Final = ("x-forwarded-for", "forwarded")
# An incoming request id is taken only in this shape: nothing in it can break
# a line, imitate a field or carry markup.
_REQUEST_ID: Final = re.compile(rb"[A-Za-z0-9._:-]{1,128}")

# The request being handled: (middleware, scope, and what was bound outside
# it: joblog's fields and structlog's contextvars), for log_auth_failure and
# to start every request clean.
_Current: TypeAlias = tuple["RequestLoggingMiddleware", Scope, Any, dict[str, Any]]
_request: ContextVar[_Current | None] = ContextVar("joblog_request", default=None)
_request_set = _request.set
_request_reset = _request.reset
_fields_set = _fields.set
_fields_reset = _fields.reset
_job_slot_set = job_slot.set
_job_slot_reset = job_slot.reset
_urandom = os.urandom


def _new_request_id() -> str:
    """A new random request id: a version 4 UUID as 32 hex digits, as ``uuid4().hex``.

    Built from ``os.urandom`` directly, with the version and variant bits set
    as RFC 9562 specifies: the same value space as ``uuid.uuid4().hex`` at a
    fraction of its cost (no ``UUID`` object, no ``int`` round trip).
    """
    raw = bytearray(_urandom(16))
    raw[6] = raw[6] & 0x0F | 0x40  # version 4
    raw[8] = raw[8] & 0x3F | 0x80  # variant: RFC 9562
    return raw.hex()


# --------------------------------------------------------------------------
# The skip list
# --------------------------------------------------------------------------


def _template_regex(path: str, entry: str) -> str | None:
    """The regex for a path template, or ``None`` when *path* is a literal."""
    if "{" not in path and "}" not in path:
        return None
    parts: list[str] = []
    names: set[str] = set()
    end = 0
    for match in _PARAM.finditer(path):
        name, convertor = match.group(1), match.group(2) or "str"
        if convertor not in _CONVERTORS:
            raise ValueError(
                f"invalid skip entry {entry!r}: unknown convertor {convertor!r} "
                f"(expected one of {', '.join(_CONVERTORS)})"
            )
        if name in names:
            raise ValueError(f"invalid skip entry {entry!r}: parameter {name!r} appears twice")
        names.add(name)
        parts.append(re.escape(path[end : match.start()]))
        parts.append(_CONVERTORS[convertor])
        end = match.end()
    parts.append(re.escape(path[end:]))
    # Braces left in the literal parts belong to no valid parameter.
    if "{" in _PARAM.sub("", path) or "}" in _PARAM.sub("", path):
        raise ValueError(
            f"invalid skip entry {entry!r}: expected parameters like {{job_id}} or {{rest:path}}"
        )
    return "".join(parts)


def _parse_skip_entry(entry: object) -> tuple[frozenset[str] | None, str]:
    """Split ``"GET /health"`` into ``({"GET"}, "/health")``; ``None`` means any method."""
    if not isinstance(entry, str):
        raise TypeError(f"skip entries must be strings like 'GET /health', not {entry!r}")
    words = entry.split()
    if len(words) == 1 and words[0].startswith("/"):
        methods, path = None, words[0]
    elif len(words) == 2 and words[1].startswith("/"):
        method = words[0].upper()
        if method not in METHODS:
            raise ValueError(
                f"invalid skip entry {entry!r}: unknown method {words[0]!r} "
                f"(expected one of {', '.join(METHODS)})"
            )
        methods, path = frozenset({method}), words[1]
    else:
        raise ValueError(
            f"invalid skip entry {entry!r}: expected 'METHOD /path' or '/path', "
            "such as 'GET /health' or '/api/v1/jobs/{job_id}'"
        )
    if "?" in path or "#" in path:
        raise ValueError(f"invalid skip entry {entry!r}: a path has no query string or fragment")
    return methods, path


class _SkipList:
    """
    The compiled skip list: per method, a set of exact paths and one regex.

    Built once; a lookup is one dict access, one set membership test and at
    most one ``fullmatch``, whatever the number of entries.
    """

    __slots__ = ("_by_method", "_other")

    def __init__(self, entries: Iterable[object]) -> None:
        rules: list[tuple[frozenset[str] | None, str, str | None]] = []
        for entry in entries:
            methods, path = _parse_skip_entry(entry)
            rules.append((methods, path, _template_regex(path, str(entry))))

        def compile_for(method: str | None) -> tuple[frozenset[str], re.Pattern[str] | None]:
            applies = [r for r in rules if r[0] is None or (method is not None and method in r[0])]
            exact = frozenset(path for _, path, regex in applies if regex is None)
            regexes = [regex for _, _, regex in applies if regex is not None]
            # DOTALL: "{rest:path}" is the whole rest, even a hostile "\n" in it.
            alternatives = "|".join(f"(?:{r})" for r in regexes)
            pattern = re.compile(alternatives, re.DOTALL) if regexes else None
            return exact, pattern

        self._by_method = {method: compile_for(method) for method in METHODS}
        self._other = compile_for(None)

    def matches(self, method: str, path: str, root_path: str | None) -> bool:
        """Whether a request is skipped; *path* is matched without its *root_path* prefix."""
        if root_path and path.startswith(root_path):
            path = path[len(root_path) :]
        exact, pattern = self._by_method.get(method, self._other)
        return path in exact or (pattern is not None and pattern.fullmatch(path) is not None)


# --------------------------------------------------------------------------
# Client IP
# --------------------------------------------------------------------------


def _parse_ip(text: str) -> IPAddress | None:
    """An address from a peer or a forwarding header (``[v6]:port``, ``v4:port``, quotes)."""
    text = text.strip().strip('"')
    if text.startswith("["):
        text = text[1 : text.find("]")] if "]" in text else ""
    elif text.count(":") == 1:
        text = text.partition(":")[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _network(value: object) -> IPNetwork:
    if isinstance(value, (ipaddress.IPv4Network, ipaddress.IPv6Network)):
        return value
    if not isinstance(value, str):
        raise TypeError(f"trusted_proxies must be CIDR strings like '10.0.0.0/8', not {value!r}")
    try:
        return ipaddress.ip_network(value.strip())
    except ValueError:
        raise ValueError(
            f"invalid trusted proxy {value!r}: expected an address or a CIDR network "
            "such as '10.0.0.0/8' (host bits unset)"
        ) from None


def _forwarded_for(value: str) -> list[str]:
    """The ``for=`` value of each element of an RFC 7239 ``Forwarded`` header."""
    hops = []
    for element in value.split(","):
        node = ""  # an element without for= stops the walk, like an invalid address
        for pair in element.split(";"):
            name, _, text = pair.partition("=")
            if name.strip().lower() == "for":
                node = text
                break
        hops.append(node)
    return hops


def _header_text(value: bytes) -> str:
    # Invalid UTF-8 stays visible as \\xNN escapes instead of failing or vanishing.
    return value.decode("utf-8", "backslashreplace")


# --------------------------------------------------------------------------
# The middleware
# --------------------------------------------------------------------------


class RequestLoggingMiddleware:
    """
    Log every HTTP request: ``"Request started"`` and ``"Request completed"``.

    Pure ASGI middleware: ``app.add_middleware(RequestLoggingMiddleware,
    skip=["GET /health"])`` in Starlette and FastAPI, or
    ``RequestLoggingMiddleware(app)`` around any ASGI application.  Add it
    last, so it is the outermost middleware and sees every request.

    For each HTTP request it logs ``"Request started"`` at ``info`` with
    ``method``, ``path`` (never the query string) and ``client_ip``; then
    ``"Request completed"`` with ``method``, ``path``, ``status``,
    ``latency_ms`` (to the last body byte, so background tasks do not count)
    and ``response_size`` (body bytes sent, streaming included), at ``info``,
    ``warning`` when slower than *slow_ms*, ``error`` when the status is
    500 or more.  A response the app abandons half-way (a client that went
    away mid-stream) is logged when the app returns, with what was sent and
    ``response_complete=False``.

    An exception escaping the app is logged once, as ``"Request failed"`` at
    ``error`` with ``status`` (500, or what was already sent),
    ``latency_ms``, ``response_size``, ``error_type``, ``error_message`` and
    ``exception`` (the traceback), and re-raised, so the server or
    Starlette's ``ServerErrorMiddleware`` still answers 500.  The exception
    is marked as logged: the record the server logs for it, routed into
    joblog by :func:`joblog.configure`, is dropped.  A cancelled request is
    logged as ``"Request cancelled"`` at ``warning``.

    Websocket and lifespan scopes pass through untouched.  The request is
    known to :func:`log_auth_failure` while it is handled, and only then.
    Context the app binds while handling a logged request (with joblog or
    ``structlog.contextvars``) shows on its ``"Request completed"`` line and
    is undone afterwards, so it cannot leak into the next request even when
    a test client runs every request in one task (real servers give each
    request a task of its own).

    Args:
        app: the ASGI application to wrap.
        skip: requests to keep quiet: ``"GET /health"`` (method and path),
            ``"/health"`` (any method), or Starlette-style templates:
            ``"/api/v1/jobs/{job_id}"`` (one segment), ``"/static/{rest:path}"``
            (the rest), also ``{n:int}``, ``{x:float}``, ``{u:uuid}``.  Paths
            match exactly, without the ``root_path`` prefix, as routes do.
            A skipped request logs nothing, unless its status is 500 or more
            or it raises.  Compiled once, here.
        trusted_proxies: addresses and CIDR networks (``"10.0.0.0/8"``) of
            the proxies in front of the app.  Only when the socket peer is
            one of them is *proxy_header* read, right to left, and
            ``client_ip`` is the first address that is not itself a trusted
            proxy; otherwise ``client_ip`` is the socket peer.
        proxy_header: the header the proxies maintain:
            ``"x-forwarded-for"`` (default) or ``"forwarded"`` (RFC 7239).
            Only that one is read, since a client can forge the other.
        logger: the logger name (default ``"joblog.asgi"``) or a
            :class:`~joblog.BoundLogger`, whose bound fields every line carries.
        log_start: log ``"Request started"``.  When false (or for a skipped
            request that gets logged), ``client_ip`` and the *headers* fields
            go on the final line instead.
        headers: request headers to log, such as ``["user-agent"]``, as
            fields named after the header (``user_agent``), so redaction
            recognizes credentials by name.
        slow_ms: log ``"Request completed"`` at ``warning`` when
            ``latency_ms`` reaches this many milliseconds.

    Raises:
        ValueError: a malformed skip entry (``"health"``, ``"GET"``,
            ``"FETCH /x"``, ``""``), an invalid CIDR, an unknown
            *proxy_header*, a header name that is not a valid token or
            would replace one of the middleware's own fields, a *slow_ms*
            that is not a positive number.
        TypeError: *app* not callable, or *skip*, *trusted_proxies* or
            *headers* given as one string or holding non-strings, a
            *logger* that is neither a name nor a joblog logger.
    """

    __slots__ = (
        "_header_fields",
        "_job_id_header",
        "_log",
        "_log_start",
        "_proxy_checked",
        "_proxy_header",
        "_request_id_header",
        "_skip",
        "_slow_ms",
        "_trust_job_id",
        "_trusted",
        "app",
    )

    def __init__(
        self,
        app: ASGIApp,
        *,
        skip: Iterable[str] = (),
        trusted_proxies: Iterable[str] = (),
        proxy_header: str = "x-forwarded-for",
        logger: str | BoundLogger | None = None,
        log_start: bool = True,
        headers: Iterable[str] = (),
        slow_ms: float | None = None,
        request_id_header: str | None = "X-Request-ID",
        job_id_header: str | None = "X-Job-ID",
        trust_job_id: bool = False,
    ) -> None:
        if not callable(app):
            raise TypeError(f"app must be an ASGI application, not {app!r}")
        self.app = app
        skip = _not_a_string(skip, "skip")
        self._skip = _SkipList(skip) if skip else None
        self._trusted = tuple(
            _network(n) for n in _not_a_string(trusted_proxies, "trusted_proxies")
        )
        if not isinstance(proxy_header, str) or proxy_header.lower() not in _PROXY_HEADERS:
            raise ValueError(
                f"unknown proxy_header {proxy_header!r}: expected 'x-forwarded-for' or 'forwarded'"
            )
        self._proxy_header = proxy_header.lower().encode("ascii")
        if logger is None or isinstance(logger, str):
            self._log = get_logger(logger or DEFAULT_LOGGER)
        elif isinstance(logger, BoundLogger):
            self._log = logger
        else:
            raise TypeError(f"logger must be a name or a joblog logger, not {logger!r}")
        self._log_start = bool(log_start)
        self._header_fields = _header_fields(_not_a_string(headers, "headers"))
        if slow_ms is not None and (
            isinstance(slow_ms, bool)
            or not isinstance(slow_ms, (int, float))
            or not math.isfinite(slow_ms)
            or slow_ms <= 0
        ):
            raise ValueError(f"slow_ms must be a positive number of milliseconds, not {slow_ms!r}")
        self._slow_ms = slow_ms
        self._proxy_checked = False
        self._request_id_header = _header_option(request_id_header, "request_id_header")
        self._job_id_header = _header_option(job_id_header, "job_id_header")
        self._trust_job_id = bool(trust_job_id)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Handle one ASGI connection; only ``http`` scopes are logged."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        previous = _request.get()
        if previous is not None and previous[1] is not scope:
            # This task was created in a copy of an earlier request's context:
            # asyncio hands a resumed socket reader the context that resumed it
            # (the earlier request's, when it read a large body), and the server
            # creates the next request's task from there.  Back to what was
            # bound outside that request.
            _fields.set(previous[2])
            _restore_structlog(previous[3])
        skip = self._skip
        skipped = skip is not None and skip.matches(
            scope["method"], scope["path"], scope.get("root_path")
        )
        header = self._request_id_header
        job_header = self._job_id_header
        if header is None and job_header is None:
            if skipped:
                await self._skipped(scope, receive, send, None, None)
            else:
                await self._logged(scope, receive, send, None, None)
            return
        # The ids are bound here and sent back by the one send wrapper of
        # _skipped or _logged: no wrapper layer of their own.
        slot = JobSlot()
        if header is not None:
            request_id = self._request_id(scope, header)
            bound = {**_fields.get(), "request_id": request_id}
        else:
            request_id = None
            bound = dict(_fields.get())
        if job_header is not None and self._trust_job_id:
            incoming = self._incoming_job_id(scope, job_header)
            if incoming is not None:
                bound["job_id"] = slot.job_id = incoming
        token = _fields_set(MappingProxyType(bound))
        slot_token = _job_slot_set(slot)
        try:
            if skipped:
                await self._skipped(scope, receive, send, request_id, slot)
            else:
                await self._logged(scope, receive, send, request_id, slot)
        except Exception:
            # Starlette's ServerErrorMiddleware, outside this middleware when it
            # was added with add_middleware(), answers with a send of its own:
            # the id header cannot reach that 500.  Its handler for 500 (or
            # Exception) reads the id from request.state to send it.
            if request_id is not None:
                state = scope.get("state")
                if isinstance(state, dict):
                    state["request_id"] = request_id
                elif state is None:
                    scope["state"] = {"request_id": request_id}
            raise
        finally:
            _job_slot_reset(slot_token)
            _fields_reset(token)

    def _add_ids(self, message: Message, request_id: str | None, slot: JobSlot) -> None:
        """Add the id headers to a ``http.response.start`` *message*; the app's own win.

        The headers list is copied, never appended to: a response object the
        app sends again would otherwise carry an earlier request's ids.
        """
        headers = message.get("headers", ())
        request_header = self._request_id_header if request_id is not None else None
        job_id = slot.job_id
        job_header = self._job_id_header if job_id is not None else None
        for name, _ in headers:
            lowered = name.lower()
            if lowered == request_header:
                request_header = None
            elif lowered == job_header:
                job_header = None
        added = list(headers)
        if request_header is not None and request_id is not None:
            added.append((request_header, request_id.encode("ascii")))
        if job_header is not None and job_id is not None:
            added.append((job_header, job_id.encode("utf-8")))
        message["headers"] = added

    def _incoming_job_id(self, scope: Scope, header: bytes) -> str | None:
        """A trusted caller's job id, validated as ``bind_job`` validates one."""
        for name, value in scope.get("headers", ()):
            if name == header:
                try:
                    return validate_job_id(value.decode("utf-8"))
                except (UnicodeDecodeError, ValueError):
                    self._log.warning(
                        "Job id ignored", header=header.decode("ascii"), length=len(value)
                    )
                    return None
        return None

    def _request_id(self, scope: Scope, header: bytes) -> str:
        """The request's id: the client's when well-formed, else a new one."""
        for name, value in scope.get("headers", ()):
            if name == header:
                if _REQUEST_ID.fullmatch(value):
                    return str(value.decode("ascii"))
                request_id = _new_request_id()
                # Never the value itself: it may be an attempt to inject.
                self._log.warning(
                    "Request id replaced",
                    request_id=request_id,
                    header=header.decode("ascii"),
                    length=len(value),
                )
                return request_id
        return _new_request_id()

    async def _skipped(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        request_id: str | None,
        slot: JobSlot | None,
    ) -> None:
        """A request on the skip list: silent unless it fails."""
        # A skipped request, the hot path of health checks and polling: silent
        # unless it fails, and kept as lean as it can be.  The wrapper watches
        # the status; from a status of 500 on it also counts the bytes and
        # notes when the last one went out, for the line written at the end.
        start = perf_counter()
        status = 0
        size = 0
        end = 0.0
        gone = False

        async def send_watched(message: Message) -> None:
            nonlocal status, size, end, gone
            if message["type"] == "http.response.start":
                status = message["status"]
                if slot is not None:
                    self._add_ids(message, request_id, slot)
            try:
                await send(message)
            except OSError:
                gone = True  # ASGI 2.4 servers raise OSError once the client has gone
                raise
            if status >= 500 and message["type"] == "http.response.body":
                size += len(message.get("body", b""))
                if not message.get("more_body", False):
                    end = perf_counter()

        # The request is known to log_auth_failure, as a logged one is.  The
        # leak guard of _logged is left out: it costs, and in a real server
        # every request runs in a task (a context) of its own anyway.
        saved = _save_structlog() if _STRUCTLOG else _NOTHING_BOUND
        request_token = _request_set((self, scope, _fields.get(), saved))
        try:
            await self.app(scope, receive, send_watched)
        except Exception as exc:
            if not gone:
                self._failed(scope, status, _ms(start), size, False, exc)
            elif status >= 500:
                self._end(scope, status, _ms(start), size, False, False)
            mark_logged(exc)
            raise
        except BaseException as exc:
            self._cancelled(scope, status, start, size, exc)
            raise
        else:
            if not 0 < status < 500:  # a server error: logged once the app returns
                latency_ms = round((end - start) * 1000, 3) if end else _ms(start)
                self._end(scope, status, latency_ms, size, bool(end), False)
        finally:
            _request_reset(request_token)

    async def _logged(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        request_id: str | None,
        slot: JobSlot | None,
    ) -> None:
        """A request that is not skipped: "Request started", then its outcome."""
        start = perf_counter()
        announced = self._log_start
        if not self._proxy_checked:
            self._check_server_proxy_headers(scope)
        if announced:
            self._log.info(
                "Request started",
                method=scope["method"],
                path=scope["path"],
                client_ip=self.client_ip(scope),
                **self._headers(scope),
            )
        status = 0  # 0: no response started
        size = 0
        done = False
        gone = False
        latency_ms = 0.0
        start_headers: Any = ()

        async def send_logged(message: Message) -> None:
            nonlocal status, size, done, gone, latency_ms, start_headers
            kind = message["type"]
            if kind == "http.response.start":
                status = message["status"]
                if slot is not None:
                    self._add_ids(message, request_id, slot)
                start_headers = message.get("headers", ())
            try:
                await send(message)
            except OSError:
                gone = True
                raise
            if kind == "http.response.body":
                size += len(message.get("body", b""))
                if message.get("more_body", False):
                    return
            elif kind == "http.response.pathsend":
                size = _content_length(start_headers)
            else:
                return
            done = True
            latency_ms = _ms(start)
            if status < 500:
                self._end(scope, status, latency_ms, size, True, announced)
            # A server error is logged once the app returns: Starlette's
            # ServerErrorMiddleware (inside this one when the middleware wraps
            # the whole app) sends its 500 and then raises, and that request
            # gets one "Request failed" line with the traceback, not two lines.

        # Whatever the app binds stays in this request: the next request
        # handled in this task (an in-process test client, say) starts clean.
        bound = _fields.get()
        saved = _save_structlog() if _STRUCTLOG else _NOTHING_BOUND
        request_token = _request_set((self, scope, bound, saved))
        try:
            await self.app(scope, receive, send_logged)
        except Exception as exc:
            if gone:  # the client went away: what the app raises about it is no failure
                self._end(scope, status, _ms(start), size, False, announced)
            elif done and status < 500:  # the outcome line is written: no second outcome
                self._after_response(scope, status, exc)
            else:
                self._failed(
                    scope, status, latency_ms if done else _ms(start), size, announced, exc
                )
            mark_logged(exc)
            raise
        except BaseException as exc:
            self._cancelled(scope, status, start, size, exc)
            raise
        else:
            if not done:
                self._end(scope, status, _ms(start), size, False, announced)
            elif status >= 500:
                self._end(scope, status, latency_ms, size, True, announced)
        finally:
            if _STRUCTLOG:  # also when the app bound the first key ever
                _restore_structlog(saved)
            if _fields.get() is not bound:
                _fields_set(bound)
            _request_reset(request_token)

    def client_ip(self, scope: Scope) -> str | None:
        """
        The client address of *scope*: the socket peer, or what trusted proxies report.

        Returns ``None`` when the server gives no peer (a Unix socket).
        """
        try:
            client = scope.get("client")
            peer = client[0] if client else None
        except Exception:  # not the (host, port) pair ASGI specifies
            return None
        if not isinstance(peer, str):
            return None
        if not self._trusted:
            return peer
        address = _parse_ip(peer)
        if address is None or not self._is_trusted(address):
            return peer
        name = self._proxy_header
        values = [v.decode("latin-1") for k, v in scope.get("headers", ()) if k == name]
        if not values:
            return str(address)
        joined = ",".join(values)
        hops = joined.split(",") if name == b"x-forwarded-for" else _forwarded_for(joined)
        # Right to left: each trusted proxy appended the address it saw.  The
        # first one that is not a trusted proxy is the client; what lies left
        # of it came from the client and is never believed.  An entry that is
        # not an address stops the walk at the nearest proxy we can verify.
        nearest = address
        for hop in reversed(hops):
            hop_address = _parse_ip(hop)
            if hop_address is None:
                break
            if not self._is_trusted(hop_address):
                return str(hop_address)
            nearest = hop_address
        return str(nearest)

    def _check_server_proxy_headers(self, scope: Scope) -> None:
        """Warn, once, when the server has already taken the client from X-Forwarded-For.

        uvicorn (``--proxy-headers``, on by default, trusting 127.0.0.1) and
        gunicorn replace ``scope["client"]`` with an address from the header
        before any middleware runs, so *trusted_proxies* can no longer decide
        whom to believe.  The sign: the peer the server reports is one of the
        header's own addresses.
        """
        try:
            client = scope.get("client")
            peer = client[0] if client else None
            values = [v for k, v in scope.get("headers", ()) if k == b"x-forwarded-for"]
        except Exception:  # a scope that is not what ASGI specifies
            return
        if not values or not isinstance(peer, str):
            return
        hops = {hop.strip() for hop in b",".join(values).decode("latin-1").split(",")}
        if peer in hops:
            self._proxy_checked = True
            self._log.warning(
                "Client address already taken from X-Forwarded-For by the server",
                client_ip=peer,
                hint=(
                    "the server rewrote the peer address before RequestLoggingMiddleware saw it: "
                    "run uvicorn with --no-proxy-headers (gunicorn: --forwarded-allow-ips '') "
                    "and list your proxies in trusted_proxies, or leave trusted_proxies empty "
                    "and set the server's --forwarded-allow-ips to exactly your proxies"
                ),
            )

    def _is_trusted(self, address: IPAddress) -> bool:
        return any(address in network for network in self._trusted)

    def _headers(self, scope: Scope) -> dict[str, str]:
        wanted = self._header_fields
        if not wanted:
            return {}
        found: dict[str, str] = {}
        for name, value in scope.get("headers", ()):
            field = wanted.get(name)
            if field is not None:
                text = _header_text(value)
                found[field] = f"{found[field]}, {text}" if field in found else text
        return found

    def _end(
        self,
        scope: Scope,
        status: int,
        latency_ms: float,
        size: int,
        complete: bool,
        announced: bool,
    ) -> None:
        """Log "Request completed" (also for a request the app left unfinished)."""
        method: str = scope["method"]
        fields: dict[str, Any] = {
            "method": method,
            "path": scope["path"],
            "status": status or 500,  # no response at all: the server answers 500
            "latency_ms": latency_ms,
            "response_size": 0 if method == "HEAD" else size,
        }
        if not complete:
            fields["response_complete"] = False
        slot = job_slot.get()
        if slot is not None and slot.job_id is not None:
            fields["job_id"] = slot.job_id
        if not announced:
            self._introduce(scope, fields)
        if fields["status"] >= 500:
            self._log.error("Request completed", **fields)
        elif self._slow_ms is not None and latency_ms >= self._slow_ms:
            self._log.warning("Request completed", **fields)
        else:
            self._log.info("Request completed", **fields)

    def _failed(
        self,
        scope: Scope,
        status: int,
        latency_ms: float,
        size: int,
        announced: bool,
        exc: Exception,
    ) -> None:
        """Log "Request failed" with the exception fields."""
        fields: dict[str, Any] = {
            "method": scope["method"],
            "path": scope["path"],
            "status": status or 500,
            "latency_ms": latency_ms,
            "response_size": size,
        }
        slot = job_slot.get()
        if slot is not None and slot.job_id is not None:
            fields["job_id"] = slot.job_id
        if not announced:
            self._introduce(scope, fields)
        self._log.error("Request failed", exc_info=exc, **fields)

    def _after_response(self, scope: Scope, status: int, exc: Exception) -> None:
        """Log an exception raised once the response was complete (a background task's).

        The request's one outcome line, ``"Request completed"``, went out with
        the last body byte; this line is the error, not a second outcome.
        """
        self._log.error(
            "Error after response",
            method=scope["method"],
            path=scope["path"],
            status=status,
            exc_info=exc,
        )

    def _cancelled(
        self, scope: Scope, status: int, start: float, size: int, exc: BaseException
    ) -> None:
        """Log "Request cancelled": the request was stopped from outside, it did not fail."""
        self._log.warning(
            "Request cancelled",
            method=scope["method"],
            path=scope["path"],
            status=status or 500,
            latency_ms=_ms(start),
            response_size=size,
            error_type=type(exc).__name__,
        )

    def _introduce(self, scope: Scope, fields: dict[str, Any]) -> None:
        """Add what "Request started" would have said to a request's only line."""
        fields["client_ip"] = self.client_ip(scope)
        fields.update(self._headers(scope))


def _ms(start: float) -> float:
    """Milliseconds since *start* (a ``perf_counter()`` reading), to the microsecond."""
    return round((perf_counter() - start) * 1000, 3)


def _not_a_string(values: Iterable[Any], what: str) -> tuple[Any, ...]:
    if isinstance(values, (str, bytes)):
        raise TypeError(f"{what} must be a list of strings, not the single string {values!r}")
    return tuple(values)


def _header_fields(names: tuple[Any, ...]) -> dict[bytes, str]:
    """Map each header to log (as ASGI spells it: lowercase bytes) to its field name."""
    fields: dict[bytes, str] = {}
    for name in names:
        if not isinstance(name, str):
            raise TypeError(f"headers must be header names, not {name!r}")
        if not _HEADER_NAME.fullmatch(name):
            raise ValueError(f"invalid header name {name!r}")
        field = name.lower().replace("-", "_")
        if field in _RESERVED:
            raise ValueError(
                f"header {name!r} cannot be logged: its field {field!r} is one of the "
                "middleware's own"
            )
        fields[name.lower().encode("ascii")] = field
    return fields


def _header_option(name: object, what: str) -> bytes | None:
    """A header name option as ASGI spells it (lowercase bytes), or ``None`` when off."""
    if name is None:
        return None
    if not isinstance(name, str) or not _HEADER_NAME.fullmatch(name):
        raise ValueError(f"invalid {what} {name!r}: expected a header name or None")
    return name.lower().encode("ascii")


def _content_length(headers: Iterable[tuple[bytes, bytes]]) -> int:
    for name, value in headers:
        if name.lower() == b"content-length":
            return int(value) if value.isdigit() else 0
    return 0


_NOTHING_BOUND: Final[dict[str, Any]] = {}


# --------------------------------------------------------------------------
# Authentication failures
# --------------------------------------------------------------------------

_auth_log = get_logger(AUTH_LOGGER)


def log_auth_failure(reason: str, **fields: Any) -> None:
    """
    Log one ``warning`` line ``"Authentication failed"`` with *reason*.

    Call it where authentication fails, never where it succeeds:
    successful authentication is not logged.  Inside a request handled by
    :class:`RequestLoggingMiddleware` the line also carries the request's
    ``method``, ``path`` and ``client_ip`` (the proxy-aware one) unless
    *fields* gives them.  The token is never written: this function takes
    none, and its fields go through the default :class:`~joblog.Redactor`
    (``joblog.redact_secrets``) whatever the ``redact=`` configuration, so
    a field named like a credential (``token``, ``authorization``,
    ``api_key``, …) is replaced and a ``Bearer``/``Basic`` credential or a
    JWT in any value is masked.  Never raises.

    Args:
        reason: why authentication failed: ``"missing_authorization"``,
            ``"invalid_token"``, ``"expired_token"`` or
            ``"verification_failed"``.
        **fields: more fields (``user_id=...``, ``scheme=...``).

    Example::

        if not header:
            joblog.log_auth_failure("missing_authorization")
            raise HTTPException(401)
    """
    event: dict[str, Any] = redact_secrets.redact({"reason": reason, **fields})
    current = _request.get()
    if current is not None:
        middleware, scope = current[0], current[1]
        event.setdefault("method", scope.get("method"))
        event.setdefault("path", scope.get("path"))
        if "client_ip" not in event:
            event["client_ip"] = middleware.client_ip(scope)
    _auth_log.warning("Authentication failed", **event)
