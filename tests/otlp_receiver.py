"""A small OTLP/HTTP logs receiver on 127.0.0.1 that decodes what it is sent.

It is a real HTTP server (``http.server`` in a thread) that parses every
request body as an ``ExportLogsServiceRequest`` with ``opentelemetry-proto``,
keeps the raw bytes too (to check no secret crossed the wire), and answers
as a collector does.  ``stop()`` closes the socket, so a sink sees a
collector that is down; ``Receiver(port=old.port)`` brings it back.
"""

from __future__ import annotations

import gzip
import http.server
import threading
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import (
    ExportLogsServiceRequest,
    ExportLogsServiceResponse,
)
from opentelemetry.proto.common.v1.common_pb2 import AnyValue


@dataclass
class Record:
    """One decoded log record with the resource and scope it came under."""

    resource: dict[str, Any]
    scope: str
    time_unix_nano: int
    severity_number: int
    severity_text: str
    body: Any
    attributes: dict[str, Any]
    trace_id: str
    span_id: str
    flags: int
    kinds: dict[str, Any]


def value(any_value: AnyValue) -> Any:
    """An ``AnyValue`` as Python: the kind it was sent as is kept (ints stay ints)."""
    kind = any_value.WhichOneof("value")
    if kind == "array_value":
        return [value(v) for v in any_value.array_value.values]
    if kind == "kvlist_value":
        return {kv.key: value(kv.value) for kv in any_value.kvlist_value.values}
    if kind is None:
        return None
    return getattr(any_value, kind)


def kinds(any_value: AnyValue) -> Any:
    """The wire type of each value (``int_value``, ``double_value``, ...)."""
    kind = any_value.WhichOneof("value")
    if kind == "array_value":
        return [kinds(v) for v in any_value.array_value.values]
    if kind == "kvlist_value":
        return {kv.key: kinds(kv.value) for kv in any_value.kvlist_value.values}
    return kind


class Receiver:
    """An OTLP/HTTP receiver; ``records`` fills as requests arrive."""

    def __init__(self, port: int = 0, status: int = 200) -> None:
        self.requests: list[ExportLogsServiceRequest] = []
        self.raw: list[bytes] = []
        self.status = status
        self._lock = threading.Lock()
        self._arrived = threading.Condition(self._lock)
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                encoding = self.headers.get("Content-Encoding", "")
                if encoding == "gzip":
                    body = gzip.decompress(body)
                elif encoding == "deflate":
                    body = zlib.decompress(body)
                request = ExportLogsServiceRequest()
                request.ParseFromString(body)
                with receiver._arrived:
                    if receiver.status == 200 and self.path == "/v1/logs":
                        receiver.raw.append(body)
                        receiver.requests.append(request)
                    receiver._arrived.notify_all()
                reply = ExportLogsServiceResponse().SerializeToString()
                self.send_response(receiver.status if self.path == "/v1/logs" else 404)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, format: str, *args: Any) -> None:
                pass  # keep the test output clean

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self._server.daemon_threads = True
        self.port: int = self._server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/v1/logs"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        """Stop serving and close the socket: the collector is down."""
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)

    @property
    def records(self) -> list[Record]:
        """Every record received so far, in arrival order."""
        out: list[Record] = []
        with self._lock:
            requests = list(self.requests)
        for request in requests:
            for resource_logs in request.resource_logs:
                resource = {a.key: value(a.value) for a in resource_logs.resource.attributes}
                for scope_logs in resource_logs.scope_logs:
                    for record in scope_logs.log_records:
                        out.append(
                            Record(
                                resource=resource,
                                scope=scope_logs.scope.name,
                                time_unix_nano=record.time_unix_nano,
                                severity_number=record.severity_number,
                                severity_text=record.severity_text,
                                body=value(record.body),
                                attributes={a.key: value(a.value) for a in record.attributes},
                                trace_id=record.trace_id.hex(),
                                span_id=record.span_id.hex(),
                                flags=record.flags,
                                kinds={a.key: kinds(a.value) for a in record.attributes},
                            )
                        )
        return out

    def wait_for(self, count: int, timeout: float = 10.0) -> list[Record]:
        """Wait (bounded) until *count* records have arrived; return them all."""
        with self._arrived:
            self._arrived.wait_for(
                lambda: (
                    sum(
                        len(s.log_records)
                        for r in self.requests
                        for rl in r.resource_logs
                        for s in rl.scope_logs
                    )
                    >= count
                ),
                timeout,
            )
        return self.records


def in_order(records: list[Record], bodies: list[str]) -> list[Record]:
    """*records* in the order of *bodies* (the SDK groups a request's records by scope)."""
    return sorted(records, key=lambda record: bodies.index(record.body))


@contextmanager
def receiver(port: int = 0) -> Iterator[Receiver]:
    """A receiver for the block; always stopped afterwards."""
    server = Receiver(port)
    try:
        yield server
    finally:
        server.stop()
