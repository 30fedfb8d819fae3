"""
Outgoing HTTP calls through httpx, logged once at the boundary in joblog's schema.

``pip install 'joblog[httpx]'``, then give a client joblog's transport::

    import httpx
    import joblog.httpx

    client = httpx.AsyncClient(
        transport=joblog.httpx.AsyncLoggingTransport(propagate_to=["render.internal"])
    )

Each call writes one line, when its response is closed (after the body, as
httpx's ``response.elapsed``): ``HTTP request`` at ``info`` with ``method``,
``host``, ``path`` (never the query string, which may hold a secret),
``status`` and ``latency_ms``; ``HTTP request failed`` at ``warning`` for a
status >= 500, a timeout or a transport error (then with ``error_type``,
``error_message`` and ``exception``).  httpx's own ``HTTP Request:`` line
for that call is dropped, so a call is never logged twice.

Why a transport and not event hooks: a transport wrapper is httpx's
documented seam through which every request and response passes.  It sees
transport errors and timeouts, which no hook does, and can time the call to
the end of the body; a response hook runs before the body is read and never
runs for a request that failed.

Ids go out only where they are meant to: the bound ``job_id`` and
``request_id`` are sent as ``X-Job-ID`` / ``X-Request-ID`` and as W3C
``baggage`` members only to the hosts listed in *propagate_to* (none by
default), so internal ids never reach a vendor unless you say so.

Inside a :func:`joblog.sampled` block, a call's ``info`` line is sampled by
that sampler, keyed by method, host and path: a polling loop's HTTP lines
follow the loop's own rhythm, with ``suppressed=N``, and its last call is
flushed with the loop's.  Failures are warnings, so they are always written.

This is the only module of joblog that imports httpx.
"""

from __future__ import annotations

import contextvars
import logging
import time
from collections.abc import AsyncIterator, Iterable, Iterator
from typing import Any, Final
from urllib.parse import quote

import httpx

from . import context, sampling
from ._logger import get_logger

__all__ = ["AsyncLoggingTransport", "LoggingTransport"]

#: The default logger name of the lines (httpx's own logger's name).
LOGGER_NAME: Final = "httpx"

_BAGGAGE_KEYS: Final = ("job_id", "request_id")

# The URL of the call whose httpx "HTTP Request:" record joblog replaces.
# httpx logs it right after the transport returns, in the same context.
_replaced: contextvars.ContextVar[httpx.URL | None] = contextvars.ContextVar(
    "joblog_httpx_replaced", default=None
)


class _DropReplacedLine(logging.Filter):
    """Drops httpx's ``HTTP Request:`` record of a call joblog logs itself."""

    def filter(self, record: logging.LogRecord) -> bool:
        url = _replaced.get()
        if url is None:
            return True
        args = record.args
        if isinstance(args, tuple) and len(args) > 1 and args[1] is url:
            _replaced.set(None)
            return False
        return True


_FILTER: Final = _DropReplacedLine()


def _install_filter() -> None:
    """Add the filter to httpx's logger once (adding a filter twice is a no-op)."""
    logging.getLogger("httpx").addFilter(_FILTER)


def _hosts(propagate_to: Iterable[str]) -> tuple[frozenset[str], tuple[str, ...]]:
    if isinstance(propagate_to, str):
        raise TypeError(
            f"propagate_to must be a list of host names, not a string: use [{propagate_to!r}]"
        )
    exact: set[str] = set()
    suffixes: list[str] = []
    for host in propagate_to:
        if not isinstance(host, str) or not host.strip(". *") or any(c.isspace() for c in host):
            raise ValueError(
                f"invalid host {host!r} in propagate_to: expected a host name such as "
                "'api.internal', 'api.internal:8080' or '*.internal'"
            )
        name = host.lower()
        if name.startswith("*."):
            suffixes.append(name[1:])
        else:
            exact.add(name)
    return frozenset(exact), tuple(suffixes)


def _bound(name: str) -> str | None:
    """A field bound with joblog (``bind_job``/``bind``) or structlog.contextvars."""
    value = context.get_fields().get(name)
    if value is None:
        import structlog.contextvars

        value = structlog.contextvars.get_contextvars().get(name)
    return value if isinstance(value, str) and value else None


class _Policy:
    """What both transports share: where ids go, and how a call is logged."""

    __slots__ = ("_exact", "_logger", "_suffixes", "job_id_header", "request_id_header")

    def __init__(
        self,
        propagate_to: Iterable[str],
        logger: Any,
        job_id_header: str,
        request_id_header: str,
    ) -> None:
        self._exact, self._suffixes = _hosts(propagate_to)
        for what, header in (
            ("job_id_header", job_id_header),
            ("request_id_header", request_id_header),
        ):
            if not isinstance(header, str) or not header or not header.isascii() or " " in header:
                raise ValueError(f"{what} must be an HTTP header name, got {header!r}")
        self.job_id_header = job_id_header
        self.request_id_header = request_id_header
        self._logger = get_logger(LOGGER_NAME) if logger is None else logger
        _install_filter()

    def trusts(self, url: httpx.URL) -> bool:
        host = url.host.lower()
        if host in self._exact or url.netloc.decode("ascii").lower() in self._exact:
            return True
        return any(host.endswith(suffix) for suffix in self._suffixes)

    def start(self, request: httpx.Request) -> _Call:
        if (self._exact or self._suffixes) and self.trusts(request.url):
            self._propagate(request.headers)
        return _Call(self._logger, request, sampling.active_sampler())

    def _propagate(self, headers: httpx.Headers) -> None:
        ids = {key: _bound(key) for key in _BAGGAGE_KEYS}
        for key, header in (("job_id", self.job_id_header), ("request_id", self.request_id_header)):
            value = ids[key]
            if value is not None and header not in headers:
                headers[header] = value
        members = [f"{key}={quote(value, safe='')}" for key, value in ids.items() if value]
        if members:
            kept = [
                m.strip()
                for m in headers.get("baggage", "").split(",")
                if m.strip() and m.split("=", 1)[0].strip() not in _BAGGAGE_KEYS
            ]
            headers["baggage"] = ",".join([*kept, *members])


class _Call:
    """One request on its way: logged once, when its response closes or it fails."""

    __slots__ = ("_done", "_logger", "_sampler", "_started", "error", "request", "status")

    def __init__(
        self, logger: Any, request: httpx.Request, sampler: sampling.SampledLogger | None
    ) -> None:
        self._logger = logger
        self._sampler = sampler
        self._done = False
        self.request = request
        self.status: int | None = None
        self.error: BaseException | None = None
        self._started = time.perf_counter()

    def responded(self, response: httpx.Response, logged_stream: Any) -> httpx.Response:
        """Note *response*; the line is written when its body (in *logged_stream*) closes."""
        self.status = response.status_code
        _replaced.set(self.request.url)
        if response.is_closed:
            # Built with its content (httpx.MockTransport, say): nothing left to read.
            self.finish()
        else:
            response.stream = logged_stream(response.stream, self)
        return response

    def failed(self, exc: Exception) -> None:
        """The transport raised: write the call's line with the exception."""
        self.error = exc
        self.finish()

    def finish(self) -> None:
        """Write the call's line (once); never raises."""
        if self._done:
            return
        self._done = True
        request = self.request
        url = request.url
        fields: dict[str, Any] = {
            "method": request.method,
            "host": url.netloc.decode("ascii"),
            "path": url.path,
        }
        if self.status is not None:
            fields["status"] = self.status
        fields["latency_ms"] = round((time.perf_counter() - self._started) * 1000, 3)
        error = self.error
        if error is not None:
            fields["exc_info"] = error
        if error is not None or (self.status is not None and self.status >= 500):
            self._logger.warning("HTTP request failed", **fields)
        elif self._sampler is not None:
            key = ("HTTP request", fields["method"], fields["host"], fields["path"])
            self._sampler._with_logger(self._logger).info(
                sampling.Keyed("HTTP request", key), **fields
            )
        else:
            self._logger.info("HTTP request", **fields)


class _LoggedStream(httpx.SyncByteStream):
    """A response body that logs its call when it is closed."""

    def __init__(self, stream: httpx.SyncByteStream, call: _Call) -> None:
        self._stream = stream
        self._call = call

    def __iter__(self) -> Iterator[bytes]:
        try:
            yield from self._stream
        except Exception as exc:
            self._call.error = exc
            raise

    def close(self) -> None:
        try:
            self._stream.close()
        finally:
            self._call.finish()


class _AsyncLoggedStream(httpx.AsyncByteStream):
    """The async form of :class:`_LoggedStream`."""

    def __init__(self, stream: httpx.AsyncByteStream, call: _Call) -> None:
        self._stream = stream
        self._call = call

    async def __aiter__(self) -> AsyncIterator[bytes]:
        try:
            async for chunk in self._stream:
                yield chunk
        except Exception as exc:
            self._call.error = exc
            raise

    async def aclose(self) -> None:
        try:
            await self._stream.aclose()
        finally:
            self._call.finish()


class LoggingTransport(httpx.BaseTransport):
    """
    An httpx transport that logs each call and sends job ids to trusted hosts.

    Wraps another transport (default: ``httpx.HTTPTransport()``); give the
    wrapped one your settings (``httpx.HTTPTransport(retries=2, proxy=...)``).
    A client's ``mounts`` bypass its ``transport``: wrap each mounted
    transport too.  See the module documentation for the lines it writes.

    Args:
        transport: the transport that sends the requests.
        propagate_to: hosts that receive the bound ``job_id`` and
            ``request_id`` (``"api.internal"``, ``"api.internal:8080"``, or
            ``"*.internal"`` for every subdomain); none by default.
        logger: the logger of the lines; default ``joblog.get_logger("httpx")``.
        job_id_header: the header carrying the job id.
        request_id_header: the header carrying the request id.

    Raises:
        ValueError: a host in *propagate_to* that is empty or holds spaces,
            or a header name that is not one.
        TypeError: *propagate_to* given as one string.

    Example::

        client = httpx.Client(transport=joblog.httpx.LoggingTransport())
    """

    def __init__(
        self,
        transport: httpx.BaseTransport | None = None,
        *,
        propagate_to: Iterable[str] = (),
        logger: Any = None,
        job_id_header: str = "X-Job-ID",
        request_id_header: str = "X-Request-ID",
    ) -> None:
        self._transport = httpx.HTTPTransport() if transport is None else transport
        self._policy = _Policy(propagate_to, logger, job_id_header, request_id_header)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Send *request* through the wrapped transport, logging the call."""
        call = self._policy.start(request)
        try:
            response = self._transport.handle_request(request)
        except Exception as exc:
            call.failed(exc)
            raise
        return call.responded(response, _LoggedStream)

    def close(self) -> None:
        """Close the wrapped transport."""
        self._transport.close()


class AsyncLoggingTransport(httpx.AsyncBaseTransport):
    """
    The :class:`LoggingTransport` of ``httpx.AsyncClient``.

    Wraps another async transport (default: ``httpx.AsyncHTTPTransport()``);
    the arguments are :class:`LoggingTransport`'s.

    Example::

        client = httpx.AsyncClient(transport=joblog.httpx.AsyncLoggingTransport())
    """

    def __init__(
        self,
        transport: httpx.AsyncBaseTransport | None = None,
        *,
        propagate_to: Iterable[str] = (),
        logger: Any = None,
        job_id_header: str = "X-Job-ID",
        request_id_header: str = "X-Request-ID",
    ) -> None:
        self._transport = httpx.AsyncHTTPTransport() if transport is None else transport
        self._policy = _Policy(propagate_to, logger, job_id_header, request_id_header)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Send *request* through the wrapped transport, logging the call."""
        call = self._policy.start(request)
        try:
            response = await self._transport.handle_async_request(request)
        except Exception as exc:
            call.failed(exc)
            raise
        return call.responded(response, _AsyncLoggedStream)

    async def aclose(self) -> None:
        """Close the wrapped transport."""
        await self._transport.aclose()
