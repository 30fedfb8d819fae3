"""joblog.otel: trace context on lines, spans for stages and jobs, the OTLP sink.

Real OpenTelemetry throughout: spans come from an SDK ``TracerProvider``
made in each test, and the sink exports over real HTTP to a receiver on
127.0.0.1 that decodes the protobuf payloads.
"""

from __future__ import annotations

import asyncio
import contextvars
import io
import logging
import subprocess
import sys
import textwrap
import threading
import time
import types
from collections.abc import Iterator, Mapping
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from opentelemetry import trace
from opentelemetry.attributes import BoundedAttributes
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF
from opentelemetry.trace import StatusCode

import joblog
from joblog import otel

from .otlp_receiver import Receiver, in_order, receiver

pytestmark = pytest.mark.anyio

TRACE_IDS = {
    "trace_id": "0af7651916cd43dd8448eb211c80319c",
    "span_id": "b7ad6b7169203331",
    "trace_flags": "01",
}
SECRETS = (
    "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
    "AKIAIOSFODNN7EXAMPLE",
    "hunter2-correct-horse",
    "ghp_0123456789abcdefghijklmnopqrstuvwxyzAB",
)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def spans() -> Iterator[tuple[trace.Tracer, InMemorySpanExporter]]:
    """A tracer of an SDK provider made for the test, and the spans it finished."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    try:
        yield provider.get_tracer("test"), exporter
    finally:
        provider.shutdown()


@pytest.fixture
def stderr(monkeypatch: pytest.MonkeyPatch) -> io.StringIO:
    """What the sink writes to the process's stderr."""
    buffer = io.StringIO()
    monkeypatch.setattr(sys, "__stderr__", buffer)
    return buffer


def ids_of(span: trace.Span) -> dict[str, str]:
    context = span.get_span_context()
    return {
        "trace_id": f"{context.trace_id:032x}",
        "span_id": f"{context.span_id:016x}",
        "trace_flags": f"{context.trace_flags:02x}",
    }


def process(event: dict[str, Any]) -> dict[str, Any]:
    processor = otel.trace_context_processor()
    assert processor is not None
    return dict(processor(None, "info", event))


def event(message: str = "Scene details", level: str = "info", **fields: Any) -> dict[str, Any]:
    """A joblog event as the front ends build it, redacted as the pipeline does."""
    raw = {
        "timestamp": "2026-11-23T10:15:30.123Z",
        "level": level,
        "message": message,
        "logger": "app.generate",
        **fields,
    }
    return dict(joblog.redact_secrets(None, level, raw))


# --------------------------------------------------------------------------
# Trace context
# --------------------------------------------------------------------------


class TestTraceContext:
    def test_no_span_no_fields(self) -> None:
        """Outside a span the event is returned unchanged."""
        assert {"message": "m"} == process({"message": "m"})

    def test_active_span_ids(self, spans: Any) -> None:
        """trace_id is 32 lowercase hex, span_id 16, trace_flags W3C's two digits."""
        tracer, _ = spans
        with tracer.start_as_current_span("s") as span:
            out = process({"message": "m"})
        assert {"message": "m", **ids_of(span)} == out
        assert len(out["trace_id"]) == 32
        assert out["trace_id"] == out["trace_id"].lower()
        assert len(out["span_id"]) == 16
        # Sampled (bit 0); this SDK also sets W3C's "random trace id" bit (0x02).
        assert int(out["trace_flags"], 16) & 1

    def test_unsampled_span_has_flags_00(self) -> None:
        """A span the sampler dropped still has ids; its flags say it was not sampled."""
        provider = TracerProvider(sampler=ALWAYS_OFF)
        with provider.get_tracer("t").start_as_current_span("s") as span:
            out = process({})
        assert ids_of(span) == out
        assert not int(out["trace_flags"], 16) & 1

    def test_nested_spans_and_back(self, spans: Any) -> None:
        """Each line carries the innermost span; after it ends, the outer one again."""
        tracer, _ = spans
        with tracer.start_as_current_span("outer") as outer:
            first = process({})
            with tracer.start_as_current_span("inner") as inner:
                middle = process({})
            last = process({})
        assert ids_of(outer) == first == last
        assert ids_of(inner) == middle
        assert first["trace_id"] == middle["trace_id"]
        assert {} == process({})

    async def test_asyncio_tasks(self, spans: Any) -> None:
        """Parallel tasks, each in its own span, interleaved: each line gets its task's ids."""
        tracer, _ = spans

        async def scene(n: int) -> list[tuple[dict[str, str], dict[str, Any]]]:
            seen = []
            with tracer.start_as_current_span(f"scene {n}") as span:
                for _ in range(5):
                    await asyncio.sleep(0)
                    seen.append((ids_of(span), process({"scene": n})))
            return seen

        results = await asyncio.gather(*(scene(n) for n in range(4)))
        spans_seen = set()
        for seen in results:
            for expected, got in seen:
                assert {**expected, "scene": got["scene"]} == got
                spans_seen.add(got["span_id"])
        assert 4 == len(spans_seen)

    def test_threads(self, spans: Any) -> None:
        """Threads with spans of their own never see each other's ids."""
        tracer, _ = spans
        barrier = threading.Barrier(4, timeout=10)
        results: dict[int, list[tuple[dict[str, str], dict[str, Any]]]] = {}

        def work(n: int) -> None:
            with tracer.start_as_current_span(f"t{n}") as span:
                barrier.wait()
                results[n] = [(ids_of(span), process({})) for _ in range(50)]

        threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(10)
        assert 4 == len(results)
        for seen in results.values():
            assert all(expected == got for expected, got in seen)

    def test_carry_context_takes_the_span_into_a_thread(self, spans: Any) -> None:
        """A plain thread starts without the span; carry_context brings it along."""
        tracer, _ = spans
        got: dict[str, dict[str, Any]] = {}
        with tracer.start_as_current_span("job") as span:
            plain = threading.Thread(target=lambda: got.update(plain=process({})))
            carried = threading.Thread(
                target=joblog.carry_context(lambda: got.update(carried=process({})))
            )
            for t in (plain, carried):
                t.start()
                t.join(10)
        assert {"plain": {}, "carried": ids_of(span)} == got

    def test_an_application_field_of_the_same_name_is_kept(self, spans: Any) -> None:
        """A different trace_id the application set moves to fields.trace_id."""
        tracer, _ = spans
        with tracer.start_as_current_span("s") as span:
            ids = ids_of(span)
            moved = process({"trace_id": "1-5759e988-bd862e3fe1be46a994272793"})
            same = process({"span_id": ids["span_id"]})
        assert {**ids, "fields.trace_id": "1-5759e988-bd862e3fe1be46a994272793"} == moved
        assert ids == same

    def test_add_trace_context_is_the_processor(self, spans: Any) -> None:
        """The module-level processor does what trace_context_processor() returns."""
        tracer, _ = spans
        with tracer.start_as_current_span("s") as span:
            assert ids_of(span) == dict(otel.add_trace_context(None, "info", {}))

    def test_without_opentelemetry(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Not installed: no processor, spans and the sink name the extra."""
        monkeypatch.setattr(otel, "_installed", lambda module: False)
        otel._processor.cache_clear()
        try:
            assert otel.available() is False
            assert otel.available(sdk=True) is False
            assert otel.trace_context_processor() is None
            with pytest.raises(ImportError, match=r"joblog\[otel\]"):
                otel.add_trace_context(None, "info", {})
            with pytest.raises(ImportError, match=r"joblog\[otel\]"):
                otel.span("stage")
            with pytest.raises(ImportError, match=r"joblog\[otel\]"):
                otel.OTLPSink("http://127.0.0.1:9/v1/logs")
        finally:
            otel._processor.cache_clear()

    def test_installed_probe_never_raises(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """A missing parent package or a module without a spec count as not installed."""
        assert otel._installed("joblog_no_such_package.sub") is False
        broken = types.ModuleType("joblog_broken_module")
        broken.__spec__ = None
        monkeypatch.setitem(sys.modules, "joblog_broken_module", broken)
        assert otel._installed("joblog_broken_module") is False
        assert otel.available(sdk=True) is True

    def test_nothing_imported_without_opentelemetry(self) -> None:
        """With OpenTelemetry unimportable, joblog and joblog.otel import none of it."""
        code = textwrap.dedent(
            """
            import sys
            class Block:
                def find_spec(self, name, path=None, target=None):
                    if name == "opentelemetry" or name.startswith("opentelemetry."):
                        raise ModuleNotFoundError(name)
            sys.meta_path.insert(0, Block())
            import joblog, joblog.otel
            assert joblog.otel.trace_context_processor() is None
            assert not [m for m in sys.modules if m.startswith("opentelemetry")]
            try:
                joblog.otel.span("x")
            except ImportError as exc:
                print(exc)
            """
        )
        result = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
        )
        assert "pip install 'joblog[otel]'" in result.stdout

    def test_importing_joblog_otel_imports_no_opentelemetry(self) -> None:
        """Installed but unused: importing joblog.otel imports nothing of OpenTelemetry."""
        code = (
            "import sys, joblog, joblog.otel; "
            "print([m for m in sys.modules if m.startswith('opentelemetry')])"
        )
        result = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
        )
        assert "[]\n" == result.stdout


# --------------------------------------------------------------------------
# Typed attributes
# --------------------------------------------------------------------------

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=20)
    | st.binary(max_size=8)
    | st.datetimes(),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.text(max_size=5) | st.integers(), children, max_size=4)
    ),
    max_leaves=20,
)


def _valid(value: Any, nested: bool = False) -> bool:
    if value is None:
        return nested  # an empty AnyValue inside an array; never a whole attribute
    if isinstance(value, (str, bool, float)):
        return True
    if isinstance(value, int):
        return -(2**63) <= value < 2**63
    if isinstance(value, tuple):
        return all(_valid(v, nested=True) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and k and _valid(v) for k, v in value.items())
    return False


class TestAttributes:
    def test_types_are_kept(self) -> None:
        """Each value keeps its kind; what OTLP cannot carry becomes text; None goes."""
        assert {
            "scene": 1,
            "duration": 5.5,
            "ok": True,
            "url": "s3://b/k",
            "tags": ("a", "b"),
            "shape": {"w": 1920, "h": 1080},
            "huge": str(2**70),
            "nan": "nan",
            "when": "2026-01-02T03:04:05",
        } == otel.to_attributes(
            {
                "scene": 1,
                "duration": 5.5,
                "ok": True,
                "url": "s3://b/k",
                "tags": ["a", "b"],
                "shape": {"w": 1920, "h": 1080, "gone": None},
                "huge": 2**70,
                "nan": float("nan"),
                "when": __import__("datetime").datetime(2026, 1, 2, 3, 4, 5),
                "nothing": None,
                "": "empty key",
            }
        )

    def test_limit(self) -> None:
        """At most *limit* attributes, the first ones."""
        assert {"a": 1, "b": 2} == otel.to_attributes({"a": 1, "b": 2, "c": 3}, limit=2)

    def test_unknown_objects_become_text(self) -> None:
        """An object without a JSON form is its repr, as lines show it; a non-str key its text."""

        class Model:
            def __repr__(self) -> str:
                return "Model(v1)"

        assert {"model": "Model(v1)", "1": "x"} == otel.to_attributes(
            {"model": Model(), 1: "x"}  # type: ignore[dict-item]
        )

    @given(st.dictionaries(st.text(max_size=8), json_values, max_size=8))
    def test_always_valid_for_the_sdk(self, fields: dict[str, Any]) -> None:
        """Whatever the fields, every attribute is a valid AnyValue the SDK keeps whole."""
        attributes = otel.to_attributes(fields)
        assert all(_valid(v) for v in attributes.values())
        bounded = BoundedAttributes(maxlen=128, attributes=attributes, immutable=False)
        assert 0 == bounded.dropped
        assert set(attributes) == set(bounded)


# --------------------------------------------------------------------------
# Spans
# --------------------------------------------------------------------------


class TestSpan:
    def test_named_with_redacted_attributes(self, spans: Any) -> None:
        """Named after the stage, fields typed and redacted; lines inside carry its ids."""
        tracer, exporter = spans
        fields = {"scene": 1, "model": "kling-v1.6", "api_key": SECRETS[3], "ok": True}
        with otel.span("script", fields, redact=joblog.redact_secrets.redact, tracer=tracer) as s:
            assert s.span is not None
            inside = process({})
            assert ids_of(s.span) == inside
        assert s.span is None
        assert {} == process({})
        (finished,) = exporter.get_finished_spans()
        assert "script" == finished.name
        assert {"scene": 1, "model": "kling-v1.6", "api_key": "[REDACTED]", "ok": True} == dict(
            finished.attributes or {}
        )
        assert StatusCode.UNSET == finished.status.status_code
        assert f"{finished.context.span_id:016x}" == inside["span_id"]
        assert SECRETS[3] not in repr(finished.to_json())

    def test_exception_marks_error(self, spans: Any) -> None:
        """An exception is recorded on the span, sets ERROR and still propagates."""
        tracer, exporter = spans
        with pytest.raises(ValueError, match="bad frame"), otel.span("compose", tracer=tracer):
            raise ValueError("bad frame")
        (finished,) = exporter.get_finished_spans()
        assert StatusCode.ERROR == finished.status.status_code
        assert "ValueError" == finished.status.description
        assert ["exception"] == [e.name for e in finished.events]
        assert "bad frame" == finished.events[0].attributes["exception.message"]

    async def test_async_and_cancelled(self, spans: Any) -> None:
        """async with works; a cancellation is not an error, only marked."""
        tracer, exporter = spans

        async def job() -> None:
            async with otel.span("job", {"job_id": "job-1"}, tracer=tracer):
                await asyncio.sleep(10)

        task = asyncio.create_task(job())
        await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        async with otel.span("ok", tracer=tracer):
            pass
        cancelled, ok = exporter.get_finished_spans()
        assert StatusCode.UNSET == cancelled.status.status_code
        assert {"job_id": "job-1", "joblog.cancelled": True} == dict(cancelled.attributes or {})
        assert "ok" == ok.name

    def test_parent_child(self, spans: Any) -> None:
        """A stage span inside a job span is its child, in the same trace."""
        tracer, exporter = spans
        with otel.span("job", tracer=tracer), otel.span("scene", tracer=tracer):
            pass
        child, parent = exporter.get_finished_spans()
        assert child.parent is not None
        assert parent.context.span_id == child.parent.span_id
        assert parent.context.trace_id == child.context.trace_id

    def test_default_tracer_without_sdk_is_a_no_op(self) -> None:
        """With no SDK configured globally, the default tracer's spans put no ids on lines."""
        with otel.span("stage"):
            assert {} == process({})

    def test_exit_without_enter_and_bad_name(self) -> None:
        """Leaving a span never entered does nothing; a bad name is a TypeError."""
        otel.span("never").__exit__(None, None, None)
        with pytest.raises(TypeError, match="non-empty string"):
            otel.span("")


# --------------------------------------------------------------------------
# OTLP sink
# --------------------------------------------------------------------------


def sink_for(url: str, **kwargs: Any) -> otel.OTLPSink:
    kwargs.setdefault("timeout", 2)
    kwargs.setdefault("schedule_delay", 60)  # only flush() exports: deterministic
    return otel.OTLPSink(url, **kwargs)


@pytest.fixture(autouse=True)
def _no_export_outlives_its_test() -> Iterator[None]:
    """Every exporter thread a test started has ended when it ends.

    The OTLP exporter draws its retry jitter from the global ``random``; one
    still retrying in the background would disturb later tests (hypothesis
    refuses a strategy that sees ``random`` being used).
    """
    yield
    deadline = time.monotonic() + 20
    for thread in threading.enumerate():
        if thread.name.startswith(("OtelBatch", "joblog-otlp-close")):
            thread.join(max(0.0, deadline - time.monotonic()))
            assert not thread.is_alive(), thread.name


class TestOTLPSink:
    def test_every_record(self, spans: Any, stderr: io.StringIO) -> None:
        """Count, severity, body, typed attributes, trace ids, resource: all as sent."""
        tracer, _ = spans
        with tracer.start_as_current_span("scene") as span:
            traced = event("Calling Kling adapter", scene=1, **process({}))
        events = [
            event(
                "Starting fully async generation",
                job_id="job-0b5c",
                user_id="user-xyz",
                scene_number=1,
                duration=5.5,
                dry_run=False,
                scenes=[1, 2, 3],
                shape={"w": 1920, "h": 1080},
                huge=2**70,
            ),
            event("Kling still processing", level="debug", attempt=12),
            traced,
            event("Retrying", level="warning", retry=2),
            event(
                "Scene 2 failed",
                level="error",
                error_type="ValueError",
                error_message="bad frame",
                exception="Traceback (most recent call last):\nValueError: bad frame",
            ),
            event("Out of memory", level="critical"),
            # A replacement line, as the pipeline writes when a processor fails.
            {
                "timestamp": "2026-11-23T10:15:31.000Z",
                "level": "error",
                "message": "joblog: a processor raised; the event was dropped",
                "logger": "joblog",
                "job_id": "job-0b5c",
                "error_type": "KeyError",
            },
            # Secrets in the message, a field, a nested value and a traceback.
            event(
                f"Authorization: Bearer {SECRETS[0]}",
                password=SECRETS[2],
                aws={"key": SECRETS[1]},
                exception=f"Traceback\nRuntimeError: token={SECRETS[3]}",
            ),
            # OpenTelemetry's own diagnostics are never exported.
            {**event("Transient error"), "logger": "opentelemetry.exporter.otlp"},
        ]
        with receiver() as collector:
            sink = sink_for(collector.url, service="video-api", environment="test", version="1.4.2")
            try:
                for e in events:
                    sink.write(e)
                sink.flush()
                records = collector.wait_for(8)
            finally:
                sink.close()
            raw = b"".join(collector.raw)

        assert 8 == len(records)
        records = in_order(records, [e["message"] for e in events])
        assert [9, 5, 9, 13, 17, 21, 17, 9] == [r.severity_number for r in records]
        assert ["debug", "info", "warning", "error", "critical"] == [
            records[i].severity_text for i in (1, 2, 3, 4, 5)
        ]
        assert [e["message"] for e in events[:8]] == [r.body for r in records]
        assert all(
            {
                "service.name": "video-api",
                "deployment.environment.name": "test",
                "service.version": "1.4.2",
            }.items()
            <= r.resource.items()
            for r in records
        )
        assert ["app.generate"] * 6 + ["joblog", "app.generate"] == [r.scope for r in records]
        assert 1795428930123000000 == records[0].time_unix_nano

        first = records[0]
        assert {
            "job_id": "job-0b5c",
            "user_id": "user-xyz",
            "scene_number": 1,
            "duration": 5.5,
            "dry_run": False,
            "scenes": [1, 2, 3],
            "shape": {"w": 1920, "h": 1080},
            "huge": str(2**70),
        } == first.attributes
        assert {
            "job_id": "string_value",
            "user_id": "string_value",
            "scene_number": "int_value",
            "duration": "double_value",
            "dry_run": "bool_value",
            "scenes": ["int_value"] * 3,
            "shape": {"w": "int_value", "h": "int_value"},
            "huge": "string_value",
        } == first.kinds

        ids = ids_of(span)
        assert (ids["trace_id"], ids["span_id"], int(ids["trace_flags"], 16)) == (
            records[2].trace_id,
            records[2].span_id,
            records[2].flags,
        )
        assert {"scene": 1} == records[2].attributes
        assert ("", "", 0) == (records[0].trace_id, records[0].span_id, records[0].flags)

        assert {
            "exception.type": "ValueError",
            "exception.message": "bad frame",
            "exception.stacktrace": "Traceback (most recent call last):\nValueError: bad frame",
        } == records[4].attributes
        assert {"job_id": "job-0b5c", "exception.type": "KeyError"} == records[6].attributes

        for secret in SECRETS:
            assert secret.encode() not in raw
        assert "[REDACTED]" in records[7].body
        assert "[REDACTED]" == records[7].attributes["password"]
        assert "" == stderr.getvalue()

    def test_collector_down_then_back(
        self, stderr: io.StringIO, caplog: pytest.LogCaptureFixture
    ) -> None:
        """Down: one notice, the failed batch is dropped, nothing raised; back: exports resume."""
        probe = Receiver()
        port, url = probe.port, probe.url
        probe.stop()
        sink = sink_for(url, timeout=0.5)
        try:
            with caplog.at_level(logging.DEBUG, logger="opentelemetry"):
                for n in range(3):
                    sink.write(event("lost", n=n))
                sink.flush()
                sink.write(event("also lost"))
                sink.flush()  # within the retry pause: dropped at once
            notices = stderr.getvalue().splitlines()
            assert 1 == len(notices)
            assert notices[0].startswith(f"joblog: OTLP export to {url} failed")
            # The exporter's own retry messages were held back while it ran for joblog.
            assert [] == [r for r in caplog.records if r.name.startswith("opentelemetry.exporter")]

            time.sleep(0.6)  # past the retry pause
            with receiver(port) as collector:
                for n in range(4):
                    sink.write(event("delivered", n=n))
                sink.flush()
                records = collector.wait_for(4)
            assert [0, 1, 2, 3] == [r.attributes["n"] for r in records]
            assert {"delivered"} == {r.body for r in records}
            notices = stderr.getvalue().splitlines()
            assert 2 == len(notices)
            assert (
                f"joblog: OTLP export to {url} works again; 4 log records were dropped"
                == (notices[1])
            )
        finally:
            sink.close()

    def test_queue_is_bounded(self, stderr: io.StringIO) -> None:
        """While the collector is down, at most max_queue_size records wait."""
        probe = Receiver()
        port, url = probe.port, probe.url
        probe.stop()
        sink = sink_for(url, timeout=0.3, max_queue_size=4, max_export_batch_size=4)
        try:
            for n in range(50):
                sink.write(event("waiting", n=n))
            time.sleep(0.4)
            with receiver(port) as collector:
                sink.flush()
                time.sleep(0.2)
                received = collector.records
            assert len(received) <= 4
        finally:
            sink.close()

    def test_any_layout_is_read(self, stderr: io.StringIO) -> None:
        """An event already laid out for ECS, GCP or Datadog is exported like joblog's."""
        from joblog.profiles import ServiceFields, layout

        service = ServiceFields("video-api", "production", "1.4.2")
        base = event("Scene details", level="warning", scene=1, **TRACE_IDS)
        bodies = []
        with receiver() as collector:
            sink = sink_for(collector.url, service="video-api", environment="production")
            try:
                for profile in ("joblog", "ecs", "gcp", "datadog"):
                    laid_out = layout(profile, service=service)(dict(base))
                    laid_out["message"] = profile
                    bodies.append(profile)
                    sink.write(laid_out)
                sink.flush()
                records = in_order(collector.wait_for(4), bodies)
            finally:
                sink.close()
        for record in records:
            assert (13, "warning") == (record.severity_number, record.severity_text)
            assert (TRACE_IDS["trace_id"], TRACE_IDS["span_id"]) == (
                record.trace_id,
                record.span_id,
            )
            # The service fields are the resource; only a differing version stays.
            assert {"scene": 1, "version": "1.4.2"} == record.attributes, record.body

    def test_close_exports_and_stops(self, stderr: io.StringIO) -> None:
        """close() exports what is queued; writes after it are ignored; twice is fine."""
        with receiver() as collector:
            sink = sink_for(collector.url)
            sink.write(event("queued"))
            sink.close()
            sink.close()
            sink.write(event("after close"))
            sink.flush()
            records = collector.wait_for(1)
        assert ["queued"] == [r.body for r in records]

    def test_exit_hook_closes_live_sinks(self, stderr: io.StringIO) -> None:
        """The interpreter-exit hook exports every live sink's queue."""
        with receiver() as collector:
            sink = sink_for(collector.url)
            sink.write(event("at exit"))
            otel._close_live_sinks()
            records = collector.wait_for(1)
            sink.write(event("ignored"))
        assert ["at exit"] == [r.body for r in records]

    def test_process_exit_exports_the_queue(self) -> None:
        """A process that never flushes still delivers its lines when it exits."""
        with receiver() as collector:
            code = textwrap.dedent(
                f"""
                import joblog.otel
                sink = joblog.otel.OTLPSink({collector.url!r}, schedule_delay=60)
                for n in range(3):
                    sink.write({{"timestamp": "2026-11-23T10:15:30.123Z", "level": "info",
                                "message": "bye", "logger": "child", "n": n}})
                """
            )
            subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
            records = collector.wait_for(3, timeout=5)
        assert [0, 1, 2] == [r.attributes["n"] for r in records]

    def test_close_flushes_inline_when_no_thread_can_start(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """At interpreter exit (3.12+ starts no new thread then) close() flushes in place."""
        with receiver() as collector:
            sink = sink_for(collector.url)
            sink.write(event("last words"))

            start = threading.Thread.start

            def refuse(self: threading.Thread) -> None:
                if self.name == "joblog-otlp-close":  # the receiver's threads still start
                    raise RuntimeError("can't create new thread at interpreter shutdown")
                start(self)

            monkeypatch.setattr(threading.Thread, "start", refuse)
            sink.close()
            monkeypatch.undo()
            records = collector.wait_for(1, timeout=5)
        assert ["last words"] == [r.body for r in records]

    def test_close_is_bounded_when_down(self, stderr: io.StringIO) -> None:
        """An unreachable collector cannot hold close() longer than close_timeout."""
        probe = Receiver()
        url = probe.url
        probe.stop()
        sink = sink_for(url, timeout=3, close_timeout=0.5)
        sink.write(event("never delivered"))
        started = time.monotonic()
        sink.close()
        assert time.monotonic() - started < 5

    def test_odd_events(self, stderr: io.StringIO) -> None:
        """Missing or malformed parts never raise: defaults, no trace context, text body."""
        with receiver() as collector:
            sink = sink_for(collector.url)
            try:
                sink.write({"message": 42})
                sink.write(
                    {
                        "timestamp": "yesterday",
                        "level": "loud",
                        "message": "m",
                        "logger": "",
                        "trace_id": "zz" * 16,
                        "span_id": "00" * 8,
                        "trace_flags": "xx",
                    }
                )
                sink.write(
                    {
                        "timestamp": "2026-11-23T10:15:30.123",
                        "level": "info",
                        "message": "naive time",
                        "logger": "app",
                        "trace_id": "0af7651916cd43dd8448eb211c80319c",
                        "span_id": "b7ad6b7169203331",
                        "trace_flags": "zz",
                    }
                )
                sink.write({"message": "short ids", "trace_id": "abc", "span_id": 7})
                sink.flush()
                records = collector.wait_for(4)
            finally:
                sink.close()
        records = in_order(records, ["42", "m", "naive time", "short ids"])
        assert ["42", "m", "naive time", "short ids"] == [r.body for r in records]
        assert [0, 0, 9, 0] == [r.severity_number for r in records]
        assert ["", "loud", "info", ""] == [r.severity_text for r in records]
        assert ["joblog", "joblog", "app", "joblog"] == [r.scope for r in records]
        assert 1795428930123000000 == records[2].time_unix_nano
        assert records[0].time_unix_nano > 1_700_000_000 * 10**9  # now, not zero
        assert ("", "") == (records[1].trace_id, records[1].span_id)
        assert ("0af7651916cd43dd8448eb211c80319c", 0) == (records[2].trace_id, records[2].flags)
        assert "" == records[3].trace_id

    def test_a_hostile_event_never_raises(self, stderr: io.StringIO) -> None:
        """An event that cannot be read is counted and noticed, not raised."""

        class Hostile(Mapping[str, Any]):
            def __getitem__(self, key: str) -> Any:
                raise RuntimeError("no")

            def __iter__(self) -> Iterator[str]:
                raise RuntimeError("no")

            def __len__(self) -> int:
                return 1

            def get(self, key: str, default: Any = None) -> Any:
                raise RuntimeError("no")

        with receiver() as collector:
            sink = sink_for(collector.url)
            try:
                sink.write(Hostile())
            finally:
                sink.close()
        assert "could not convert an event: RuntimeError" in stderr.getvalue()

    def test_logger_names_are_bounded(self, stderr: io.StringIO) -> None:
        """Past 1024 logger names, records go under the "joblog" scope."""
        with receiver() as collector:
            sink = sink_for(collector.url, max_queue_size=2000, max_export_batch_size=2000)
            try:
                for n in range(1030):
                    sink.write({"message": "m", "logger": f"app.{n}", "level": "info"})
                sink.flush()
                records = collector.wait_for(1030)
            finally:
                sink.close()
        assert 1030 == len(records)
        assert 1025 == len({r.scope for r in records})
        assert 6 == sum(r.scope == "joblog" for r in records)

    def test_rejected_by_the_collector(self, stderr: io.StringIO) -> None:
        """A collector that answers 400 is a failed export: noticed, never raised."""
        with receiver() as collector:
            collector.status = 400
            sink = sink_for(collector.url)
            try:
                sink.write(event("refused"))
                sink.flush()
            finally:
                sink.close()
        assert "failed (Failed to export logs batch code: 400" in stderr.getvalue()

    def test_an_exporter_that_raises(self, stderr: io.StringIO) -> None:
        """An exception inside the exporter counts as a failed export, never escapes."""
        from opentelemetry.sdk._logs.export import LogRecordExporter, LogRecordExportResult

        class Broken(LogRecordExporter):
            def export(self, batch: Any) -> LogRecordExportResult:
                raise OSError("disk")

            def force_flush(self, timeout_millis: int = 0) -> bool:
                return True

            def shutdown(self) -> None:
                pass

        outage = otel._Outage("http://collector/v1/logs", lambda: sys.__stderr__)
        exporter = otel._noticing_exporter(
            Broken(), outage, otel._QuietExporterLogs(outage), retry_after=0.0
        )
        assert LogRecordExportResult.FAILURE == exporter.export([object()])
        assert exporter.force_flush() is True
        exporter.shutdown()
        assert "failed (OSError)" in stderr.getvalue()
        assert 1 == outage.dropped

    @pytest.mark.parametrize(
        ("kwargs", "message"),
        [
            ({"max_queue_size": 0}, "max_queue_size must be an int >= 1"),
            ({"max_export_batch_size": True}, "max_export_batch_size must be an int >= 1"),
            ({"schedule_delay": 0}, "schedule_delay must be a number of seconds > 0"),
            ({"close_timeout": "5"}, "close_timeout must be a number of seconds > 0"),
            ({"timeout": -1}, "timeout must be a number of seconds > 0"),
            ({"service": ""}, "service must be a non-empty string"),
        ],
    )
    def test_bad_configuration(self, kwargs: dict[str, Any], message: str) -> None:
        """Bad arguments are a ValueError naming the value, at construction."""
        with pytest.raises(ValueError, match=message):
            otel.OTLPSink("http://127.0.0.1:9/v1/logs", **kwargs)

    def test_quiet_filter_and_notices(self, stderr: io.StringIO) -> None:
        """Only records logged during joblog's export are held; no stderr, no notice."""
        outage = otel._Outage("http://collector/v1/logs", lambda: None)
        quiet = otel._QuietExporterLogs(outage)
        record = logging.LogRecord("x", logging.WARNING, "f", 1, "retrying in %ss", (1,), None)
        debug = logging.LogRecord("x", logging.DEBUG, "f", 1, "detail", (), None)
        assert quiet.filter(record) is True  # someone else's export: passes
        quiet.active.on = True
        assert quiet.filter(debug) is False
        assert "" == outage.reason
        assert quiet.filter(record) is False
        assert "retrying in 1s" == outage.reason
        outage.failed(2)  # no stderr at all: nothing written, nothing raised
        outage.failed(1)
        assert 3 == outage.dropped
        outage.succeeded()
        outage.succeeded()
        assert (False, 0) == (outage.down, outage.dropped)

    def test_filter_is_removed_on_close(self, stderr: io.StringIO) -> None:
        """After close() the exporter's logger is as it was."""
        from opentelemetry.exporter.otlp.proto.http import _log_exporter

        before = list(logging.getLogger(_log_exporter.__name__).filters)
        sink = sink_for("http://127.0.0.1:9/v1/logs")
        assert len(before) + 1 == len(logging.getLogger(_log_exporter.__name__).filters)
        sink.close()
        for _ in range(100):  # the close thread removes it as it ends
            if before == logging.getLogger(_log_exporter.__name__).filters:
                break
            time.sleep(0.05)
        assert before == logging.getLogger(_log_exporter.__name__).filters

    def test_context_is_the_events_not_the_writers(self, spans: Any, stderr: io.StringIO) -> None:
        """A record carries the event's ids, never those of the span around write()."""
        tracer, _ = spans
        with receiver() as collector:
            sink = sink_for(collector.url)
            try:
                with tracer.start_as_current_span("unrelated"):
                    sink.write(event("no ids"))
                sink.flush()
                (record,) = collector.wait_for(1)
            finally:
                sink.close()
        assert ("", "") == (record.trace_id, record.span_id)


def test_copy_context_still_sees_nothing() -> None:
    """A fresh context has no span: the processor adds nothing there."""
    assert {} == contextvars.Context().run(process, {})
