"""
Cost of OpenTelemetry trace context and of each output profile, per line.

Measures the parts this feature adds to a line, on the same redacted event,
in one process, against the joblog profile as the baseline:

  (p0) joblog layout + orjson dumps, no span active: the baseline
  (p1) trace-context processor with no span active + (p0)
  (p2) trace-context processor with an SDK span active + (p0)
  (e)  (d)  (g)  the ecs / datadog / gcp layout + dumps, span ids on the event
  (x)  OTLPSink.write (convert + queue; export happens on its own thread)

Rounds are interleaved and each contender's figure is the median of its
per-round cost; each ratio is the median of the per-round ratios.

    python bench/otel.py [--rounds 15] [--calls 20000]
"""

from __future__ import annotations

import argparse
import gc
import itertools
import statistics
import time
from collections.abc import Callable
from typing import Any

import orjson
from opentelemetry.sdk.trace import TracerProvider

import joblog
from joblog import otel, profiles

EVENT = {
    "timestamp": "2026-11-23T10:15:30.123Z",
    "level": "info",
    "message": "Scene details",
    "logger": "app.generate",
    "job_id": "job-0b5c1d2e-3f40-4a5b-8c6d-7e8f9a0b1c2d",
    "scene_number": 1,
    "duration": 5,
    "prediction_id": "kling-1",
    "video_url": "s3://videos/job/scene-1.mp4",
}
SERVICE = profiles.ServiceFields("video-api", "production", "1.4.2")


def contenders() -> dict[str, Callable[[], None]]:
    add = otel.trace_context_processor()
    assert add is not None, "install joblog[otel]"
    dumps = orjson.dumps
    base = dict(joblog.redact_secrets(None, "info", dict(EVENT)))
    joblog_layout = profiles.layout("joblog")
    provider = TracerProvider()
    span = provider.get_tracer("bench").start_span("scene")
    with _use(span):
        traced = dict(add(None, "info", dict(base)))

    def p0() -> None:
        dumps(joblog_layout(dict(base)))

    def p1() -> None:
        dumps(joblog_layout(dict(add(None, "info", dict(base)))))

    def p2() -> None:
        with _use(span):
            dumps(joblog_layout(dict(add(None, "info", dict(base)))))

    def p2_outside() -> None:
        # The with-block's own cost, to subtract from p2.
        with _use(span):
            pass

    out: dict[str, Callable[[], None]] = {
        "p0 joblog layout": p0,
        "p1 +trace processor, no span": p1,
        "p2 +trace processor, span active": p2,
        "p2' span with-block alone": p2_outside,
    }
    for name in ("ecs", "datadog", "gcp"):
        lay = profiles.layout(name, service=SERVICE, gcp_project="my-project")
        out[f"{name} layout"] = lambda lay=lay: dumps(lay(dict(traced)))  # type: ignore[misc]

    sink = otel.OTLPSink(
        "http://127.0.0.1:9/v1/logs",
        max_queue_size=1 << 30,
        schedule_delay=3600,
        timeout=1,
        close_timeout=0.5,
    )
    out["x OTLPSink.write"] = lambda: sink.write(traced)
    return out


def _use(span: Any) -> Any:
    from opentelemetry import trace

    return trace.use_span(span, end_on_exit=False)


def measure(fn: Callable[[], None], calls: int) -> float:
    loop = itertools.repeat(None, calls)
    gc.disable()
    start = time.perf_counter()
    for _ in loop:
        fn()
    elapsed = time.perf_counter() - start
    gc.enable()
    return elapsed / calls * 1e9


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--calls", type=int, default=20000)
    args = parser.parse_args()
    fns = contenders()
    names = list(fns)
    costs: dict[str, list[float]] = {name: [] for name in names}
    for round_no in range(args.rounds):
        order = names[round_no % len(names) :] + names[: round_no % len(names)]
        for name in order:
            costs[name].append(measure(fns[name], args.calls))
    base = costs["p0 joblog layout"]
    print(f"{'contender':38} {'ns/line':>9} {'vs p0':>8}")
    for name in names:
        ratios = [c / b for c, b in zip(costs[name], base, strict=True)]
        print(f"{name:38} {statistics.median(costs[name]):9.0f} {statistics.median(ratios):7.2f}x")


if __name__ == "__main__":
    main()
