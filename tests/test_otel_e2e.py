"""End-to-end: OpenTelemetry and the profiles through joblog's public API."""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import structlog
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import joblog
import joblog.otel
from joblog.cli import main as cli_main

from .otlp_receiver import receiver

pytestmark = pytest.mark.anyio

SECRET = "ghp_0123456789abcdefghijklmnopqrstuvwxyzAB"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="module")
def finished() -> Iterator[InMemorySpanExporter]:
    """The global tracer provider (settable once per process) and what it finished."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    trace.set_tracer_provider(provider)
    yield exporter
    provider.shutdown()


@pytest.fixture(autouse=True)
def _clear(finished: InMemorySpanExporter) -> Iterator[None]:
    finished.clear()
    yield
    # No exporter thread outlives its test (its retry jitter uses the global
    # random, which hypothesis refuses to see in later tests).
    for thread in threading.enumerate():
        if thread.name.startswith(("OtelBatch", "joblog-otlp-close")):
            thread.join(20)


def ids(span: trace.Span) -> dict[str, str]:
    context = span.get_span_context()
    return {
        "trace_id": f"{context.trace_id:032x}",
        "span_id": f"{context.span_id:016x}",
        "trace_flags": f"{context.trace_flags:02x}",
    }


def test_every_front_end_carries_the_ids(configured: Any) -> None:
    """joblog, structlog and logging loggers, and JobJsonFormatter, all carry the span's ids."""
    out = configured()
    tracer = trace.get_tracer("e2e")
    with tracer.start_as_current_span("request") as span:
        joblog.get_logger("app").info("joblog line")
        structlog.get_logger("sl").info("structlog line")
        logging.getLogger("std").warning("stdlib line")
    joblog.get_logger("app").info("outside")
    events = out.events()
    assert [ids(span)] * 3 == [
        {k: e[k] for k in ("trace_id", "span_id", "trace_flags")} for e in events[:3]
    ]
    assert "trace_id" not in events[3]


async def test_middleware_lines_carry_the_ids(configured: Any) -> None:
    """Lines logged by a request handled inside a span carry its ids, middleware's included."""
    out = configured()
    tracer = trace.get_tracer("e2e")

    async def app(scope: Any, receive: Any, send: Any) -> None:
        joblog.get_logger("handler").info("handling")
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    wrapped = joblog.RequestLoggingMiddleware(app)
    with tracer.start_as_current_span("server") as span:
        transport = httpx.ASGITransport(app=wrapped)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            await client.get("/x")
    events = out.events()
    assert {"Request started", "handling", "Request completed"} <= {e["message"] for e in events}
    assert all(e["trace_id"] == ids(span)["trace_id"] for e in events)


async def test_stage_and_job_spans(configured: Any, finished: InMemorySpanExporter) -> None:
    """spans=True: job() and stage() open spans named after them; lines inside carry them."""
    out = configured(spans=True)
    log = joblog.get_logger("app")

    async def run() -> None:
        async with joblog.job(user_id="user-1", token=SECRET):
            async with joblog.stage("script", model="gpt-4o"):
                log.info("inside script")
            async with joblog.stage("compose"):
                raise RuntimeError("ffmpeg exited with 1")

    with pytest.raises(RuntimeError):
        await run()
    spans = {s.name: s for s in finished.get_finished_spans()}
    assert {"script", "compose"} <= set(spans)
    job_span = next(s for s in spans.values() if s.attributes.get("user_id") == "user-1")
    assert "[REDACTED]" == job_span.attributes["token"]
    assert "gpt-4o" == spans["script"].attributes["model"]
    assert "ERROR" == spans["compose"].status.status_code.name
    assert spans["script"].parent.span_id == job_span.context.span_id
    inside = next(e for e in out.events() if e["message"] == "inside script")
    assert f"{spans['script'].context.span_id:016x}" == inside["span_id"]
    assert SECRET not in out.getvalue()


@pytest.mark.parametrize(
    ("schema", "level_key", "trace_key"),
    [
        ("ecs", "log.level", "trace.id"),
        ("gcp", "severity", "logging.googleapis.com/trace"),
        ("datadog", "status", "dd.trace_id"),
        ("joblog", "level", "trace_id"),
    ],
)
def test_schema_and_service(configured: Any, schema: str, level_key: str, trace_key: str) -> None:
    """configure(schema=..., service=...) lays out every line, replacement lines included."""

    def broken(logger: Any, method: str, event: Any) -> Any:
        if event["message"] == "break":
            raise KeyError("boom")
        return event

    out = configured(schema=schema, service="video-api", version="1.0", processors=[broken])
    with trace.get_tracer("e2e").start_as_current_span("s"):
        joblog.get_logger("app").error("failed")
        joblog.get_logger("app").info("break")
    first, replacement = out.events()
    assert level_key in first
    assert trace_key in first
    assert level_key in replacement
    assert "video-api" in json.dumps(first)


def test_otlp_sink_through_configure(configured: Any) -> None:
    """sinks=[OTLPSink]: the redacted, laid-out lines reach the collector too; flush() sends."""
    with receiver() as collector:
        sink = joblog.otel.OTLPSink(collector.url, schedule_delay=60, service="video-api")
        configured(schema="ecs", service="video-api", sinks=[sink])
        with trace.get_tracer("e2e").start_as_current_span("s") as span:
            joblog.get_logger("app").info("Scene details", scene=1, password=SECRET)
        logging.getLogger("std").error("from logging")
        joblog.flush()
        records = collector.wait_for(2)
        sink.close()  # its export thread ends here, not at the fixture's join
    assert {"Scene details", "from logging"} == {r.body for r in records}
    scene = next(r for r in records if r.body == "Scene details")
    assert ids(span)["trace_id"] == scene.trace_id
    assert "[REDACTED]" == scene.attributes["password"]
    assert "video-api" == scene.resource["service.name"]
    assert SECRET.encode() not in b"".join(collector.raw)


def test_query_reads_every_profile(tmp_path: Any, capsys: pytest.CaptureFixture[str]) -> None:
    """joblog query 'filter level = "error"' finds the error line in an ECS, GCP or Datadog file."""
    for schema in ("ecs", "gcp", "datadog"):
        path = tmp_path / f"{schema}.jsonl"
        with path.open("w") as stream:
            joblog.configure(stream=stream, renderer="json", schema=schema)
            joblog.get_logger("app").info("fine")
            joblog.get_logger("app").error("broken", job_id="job-1")
            joblog.flush()
        assert 0 == cli_main(["query", 'filter level = "error" | fields message', str(path)])
        assert "broken" in capsys.readouterr().out


def test_tasks_keep_their_own_ids(configured: Any) -> None:
    """Parallel tasks in their own spans: each line has its task's span."""
    out = configured()
    tracer = trace.get_tracer("e2e")

    async def scene(n: int) -> str:
        with tracer.start_as_current_span(f"scene {n}") as span:
            for _ in range(3):
                await asyncio.sleep(0)
                joblog.get_logger("app").info("polling", scene=n)
            return ids(span)["span_id"]

    async def main() -> list[str]:
        return await asyncio.gather(*(scene(n) for n in range(3)))

    span_ids = asyncio.run(main())
    polls = [e for e in out.events() if e["logger"] == "app"]  # not asyncio's own line
    assert 9 == len(polls)
    for e in polls:
        assert span_ids[e["scene"]] == e["span_id"]


def test_the_exporters_own_lines_are_not_exported(configured: Any) -> None:
    """At debug level the HTTP client logs each export; those lines never feed the sink.

    Without the guard every export logs a line that is queued for the next
    export, and the sink exports forever.
    """
    with receiver() as collector:
        sink = joblog.otel.OTLPSink(collector.url, schedule_delay=60)
        out = configured(level="debug", sinks=[sink])
        joblog.get_logger("app").info("one line")
        joblog.flush()
        joblog.flush()
        records = collector.wait_for(1)
        sink.close()
    assert ["one line"] == [r.body for r in records]
    assert [] == [e for e in out.events() if e["logger"] == "app" and e["message"] != "one line"]


class TestConfigureOptions:
    @pytest.mark.parametrize("processors", [(), (lambda _, __, event: event,)])
    def test_trace_context_false_leaves_the_ids_out(
        self, configured: Any, processors: tuple[Any, ...]
    ) -> None:
        """configure(trace_context=False): no span ids, even inside a span, on both paths."""
        out = configured(trace_context=False, processors=processors)
        with trace.get_tracer("e2e").start_as_current_span("s"):
            joblog.get_logger("app").info("line")

        assert "trace_id" not in out.events()[-1]

    def test_the_ids_reach_the_extra_processors(self, configured: Any) -> None:
        """The span's ids are added first, so a processor of the user's sees them."""
        seen: list[str] = []

        def spy(_: Any, __: str, event: Any) -> Any:
            seen.append(event.get("trace_id", ""))
            return event

        configured(processors=[spy])
        with trace.get_tracer("e2e").start_as_current_span("s") as span:
            joblog.get_logger("app").info("line")

        assert [ids(span)["trace_id"]] == seen

    @pytest.mark.parametrize(
        ("option", "message"), [("trace_context", "trace_context=True"), ("spans", "spans=True")]
    )
    def test_asking_without_opentelemetry_is_a_clear_error(
        self, monkeypatch: pytest.MonkeyPatch, option: str, message: str
    ) -> None:
        """Without OpenTelemetry installed, asking for its features names the extra."""
        monkeypatch.setattr(joblog.otel, "available", lambda sdk=False: False)
        monkeypatch.setattr(joblog.otel, "trace_context_processor", lambda: None)

        with pytest.raises(ValueError, match=r"joblog\[otel\]") as info:
            joblog.configure(**{option: True})
        assert message in str(info.value)

    @pytest.mark.parametrize("option", ["trace_context", "spans"])
    def test_a_non_bool_is_a_type_error(self, option: str) -> None:
        """spans and trace_context take booleans (trace_context also None)."""
        with pytest.raises(TypeError, match=option):
            joblog.configure(**{option: "yes"})

    def test_span_fields_are_redacted_by_a_custom_processor_too(
        self, configured: Any, finished: InMemorySpanExporter
    ) -> None:
        """With redact= a processor of the user's own, span attributes still get the defaults."""
        configured(spans=True, redact=lambda _, __, event: event)
        with joblog.stage("upload", api_key=SECRET):
            pass

        (span,) = finished.get_finished_spans()
        assert "[REDACTED]" == span.attributes["api_key"]

    def test_spans_off_when_redaction_is_off_keep_fields(
        self, configured: Any, finished: InMemorySpanExporter
    ) -> None:
        """redact=False: the span carries the fields as they are, as the lines do."""
        configured(spans=True, redact=False)
        with joblog.stage("upload", scene=1):
            pass

        (span,) = finished.get_finished_spans()
        assert 1 == span.attributes["scene"]

    def test_a_span_that_cannot_start_never_stops_the_stage(
        self, configured: Any, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
    ) -> None:
        """If OpenTelemetry fails to open the span, the stage runs and logs without one."""

        def broken(*_: Any, **__: Any) -> Any:
            raise RuntimeError("tracer broke")

        out = configured(spans=True)
        monkeypatch.setattr(joblog.otel, "span", broken)
        with joblog.stage("upload"):
            pass

        assert ["upload started", "upload completed"] == [
            e["message"] for e in out.events() if e["logger"] != "asyncio"
        ]
