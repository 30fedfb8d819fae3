"""
Cost of one log call: joblog against structlog's and python-json-logger's fastest setups.

Every contender writes one JSON line per call to os.devnull, in one process.
Rounds are interleaved (the order rotates each round), each contender's
figure is the median over rounds of its per-call cost, and each ratio is the
median of the per-round ratios, so drift of the machine cancels out.

    python bench/emit.py [--rounds 15] [--calls 20000]

Contenders:
  (a) joblog logger, job bound, redaction on (the default), JSON
  (b) structlog, documented fastest configuration: make_filtering_bound_logger,
      cache_logger_on_first_use, a concrete (bound) logger, merge_contextvars + add_log_level +
      TimeStamper(iso, utc) + JSONRenderer(orjson), BytesLoggerFactory; the
      job_id bound with structlog.contextvars so both lines carry the same data
  (c) stdlib logging + python-json-logger's JsonFormatter (StreamHandler)
  (d) stdlib logging routed by joblog.configure(stdlib=True), job bound
  (e) a call below the level: joblog vs structlog
  (f) a sampled call that is suppressed (joblog.sampled(every=10**9), also with one key
      field) vs a bare Python function call with the same arguments
      (def f(event, /, *args, **fields): pass)
  (g) a sampled call below the level vs joblog's call below the level

Redaction (issue 3):
  (a0) as (a), redaction off (configure(redact=False)); a - a0 is redaction's cost
  (a~) (a~0) as (a) and (a0), but attempt and duration change on every call,
      so the numbers are never in the redactor's cache of clean values
  (b') structlog as (b) plus a naive redaction processor (naive_redact below,
      written for this benchmark: a recursive walk with a key set and one regex)
  (d0) as (d), redaction off
  (a+t) as (a), with configure()'s default OpenTelemetry trace-context processor (no
      active span); every other joblog row is measured with trace_context=False, since
      the baselines carry no trace ids
"""

from __future__ import annotations

import argparse
import gc
import io
import itertools
import logging
import os
import re
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

import orjson
import structlog
from pythonjsonlogger.json import JsonFormatter

import joblog
from _baselines import structlog_fastest
from joblog import _config

FIELDS = {
    "scene_number": 1,
    "duration": 5,
    "prediction_id": "kling-1",
    "model": "kling-v1.6",
    "attempt": 3,
    "video_url": "s3://videos/job/scene-1.mp4",
}
JOB_ID = "job-0b5c1d2e-3f40-4a5b-8c6d-7e8f9a0b1c2d"


def setup() -> dict[str, Callable[[], None]]:
    devnull_text = open(os.devnull, "w")  # noqa: SIM115 - lives for the whole run
    devnull_bytes = open(os.devnull, "wb")  # noqa: SIM115

    # (a) and (d): joblog. configure() also points structlog at joblog, so
    # structlog is configured for (b) afterwards.
    # trace_context=False: configure() adds OpenTelemetry's trace context when
    # opentelemetry is importable; the baseline rows compare like with like
    # (structlog and python-json-logger carry no trace ids), row (a+t) adds it.
    joblog.configure(renderer="json", stream=devnull_text, level="info", trace_context=False)
    jlog = joblog.get_logger("bench.joblog")
    std_joblog = logging.getLogger("bench.stdlib_joblog")

    # (b) structlog's fastest documented configuration.
    slog = structlog_fastest(devnull_bytes, "bench.structlog")

    # (c) stdlib + python-json-logger, not propagating to joblog's root handler.
    std_pjl = logging.getLogger("bench.stdlib_pjl")
    handler = logging.StreamHandler(devnull_text)
    handler.setFormatter(JsonFormatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    std_pjl.addHandler(handler)
    std_pjl.propagate = False
    std_pjl.setLevel(logging.INFO)

    binding = joblog.bind_job(JOB_ID)
    binding.__enter__()
    structlog.contextvars.bind_contextvars(job_id=JOB_ID)

    fields = FIELDS

    def a_joblog() -> None:
        jlog.info("Scene details", **fields)

    def b_structlog() -> None:
        slog.info("Scene details", **fields)

    def c_stdlib_pjl() -> None:
        std_pjl.info("Scene details", extra=fields)

    def d_stdlib_joblog() -> None:
        std_joblog.info("Scene details", extra=fields)

    def e_joblog_disabled() -> None:
        jlog.debug("Kling still processing", **fields)

    def e_structlog_disabled() -> None:
        slog.debug("Kling still processing", **fields)

    contenders = {
        "a joblog (job bound, redaction on)": a_joblog,
        "b structlog fastest config": b_structlog,
        "c stdlib + python-json-logger": c_stdlib_pjl,
        "d stdlib via joblog": d_stdlib_joblog,
        "e joblog call below level": e_joblog_disabled,
        "e structlog call below level": e_structlog_disabled,
    }
    contenders.update(extra_contenders(jlog))
    contenders.update(redaction_contenders(jlog, std_joblog, devnull_text, devnull_bytes))
    return contenders


def extra_contenders(jlog: joblog.BoundLogger) -> dict[str, Callable[[], None]]:
    """
    Contenders other modules add: the sampler's suppressed and disabled calls.

    The suppressed-call baseline is what a polling loop's call would cost if
    it did nothing: ``def f(event, **kw): return None`` with the two keyword
    fields a poll passes (``scene``, ``attempt``); the six-field variants use
    the event of (a).
    """
    six = FIELDS
    # every=10**9: after warm-up every call is counted and suppressed, none written.
    plog = joblog.sampled(jlog, every=10**9)
    keyed = joblog.sampled(jlog, every=10**9, key=("scene",))

    def bare(event: object, **kw: object) -> None:
        return None

    def f_sampled_suppressed() -> None:
        plog.info("Kling still processing", scene=1, attempt=12)

    def f_keyed_suppressed() -> None:
        keyed.info("Kling still processing", scene=1, attempt=12)

    def f_bare_call() -> None:
        bare("Kling still processing", scene=1, attempt=12)

    def f_sampled_suppressed_six() -> None:
        plog.info("Kling still processing", **six)

    def f_bare_call_six() -> None:
        bare("Kling still processing", **six)

    def g_sampled_disabled() -> None:
        plog.debug("Kling still processing", **six)

    return {
        "f sampled call, suppressed": f_sampled_suppressed,
        "f sampled call, key=(field,), suppressed": f_keyed_suppressed,
        "f bare function call, same arguments": f_bare_call,
        "f6 sampled call, six fields, suppressed": f_sampled_suppressed_six,
        "f6 bare function call, six fields": f_bare_call_six,
        "g sampled call below level": g_sampled_disabled,
    }


# ---------------------------------------------------------------------------
# Redaction (issue 3)
# ---------------------------------------------------------------------------

#: Contenders measured with another joblog pipeline installed (redaction off).
PIPELINES: dict[str, Any] = {}

# The naive redaction processor of (b'): what a structlog user writes in ten
# minutes.  Exact lower-case key names, one regex for a few token shapes, a
# recursive walk that copies every dict and list.  Not joblog's rules.
NAIVE_KEYS = frozenset(
    {"password", "passwd", "secret", "token", "api_key", "apikey", "authorization", "cookie"}
)
NAIVE_PATTERN = re.compile(
    r"(?i)bearer\s+\S+|eyJ[\w-]+\.[\w-]+\.[\w-]*|AKIA[A-Z0-9]{16}|(?:password|token|secret)=\S+"
)


def _naive(key: object, value: Any) -> Any:
    if isinstance(key, str) and key.lower() in NAIVE_KEYS:
        return "[REDACTED]"
    if isinstance(value, str):
        return NAIVE_PATTERN.sub("[REDACTED]", value)
    if isinstance(value, dict):
        return {k: _naive(k, v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_naive(None, v) for v in value]
    return value


def naive_redact(_: Any, __: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    """The naive processor: every value walked, every string through the regex."""
    return {key: _naive(key, value) for key, value in event_dict.items()}


def redaction_contenders(
    jlog: joblog.BoundLogger,
    std_joblog: logging.Logger,
    devnull_text: Any,
    devnull_bytes: Any,
) -> dict[str, Callable[[], None]]:
    """(a0), (a~), (a~0), (b') and (d0): see the module docstring."""
    off = _config.build_pipeline(
        level="info", renderer="json", stream=devnull_text, redact=False, trace_context=False
    )
    naive = structlog.wrap_logger(
        structlog.BytesLogger(devnull_bytes),
        wrapper_class=structlog.make_filtering_bound_logger(logging.INFO),
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            naive_redact,
            structlog.processors.JSONRenderer(serializer=orjson.dumps),
        ],
    ).bind()
    fields = FIELDS
    counter = itertools.count()

    def a_joblog_off() -> None:
        jlog.info("Scene details", **fields)

    def b_structlog_naive() -> None:
        naive.info("Scene details", **fields)

    def d_stdlib_joblog_off() -> None:
        std_joblog.info("Scene details", extra=fields)

    def a_varying() -> None:
        n = next(counter)
        jlog.info(
            "Scene details",
            scene_number=1,
            duration=5.0 + n % 997 / 1000,
            prediction_id="kling-1",
            model="kling-v1.6",
            attempt=n,
            video_url="s3://videos/job/scene-1.mp4",
        )

    off_names = (
        "a0 joblog, redaction off",
        "a~0 joblog, values vary, redaction off",
        "d0 stdlib via joblog, redaction off",
    )
    PIPELINES.update(dict.fromkeys(off_names, off))
    contenders = {
        "a0 joblog, redaction off": a_joblog_off,
        "a~ joblog, values vary, redaction on": a_varying,
        "a~0 joblog, values vary, redaction off": a_varying,
        "b' structlog + naive redaction": b_structlog_naive,
        "d0 stdlib via joblog, redaction off": d_stdlib_joblog_off,
    }
    try:
        traced = _config.build_pipeline(
            level="info", renderer="json", stream=devnull_text, trace_context=True
        )
    except ValueError:  # OpenTelemetry not installed: no (a+t) row
        return contenders
    PIPELINES["a+t joblog, trace context on (no active span)"] = traced
    # The same call as (a0); the installed pipeline is what differs.
    contenders["a+t joblog, trace context on (no active span)"] = a_joblog_off
    return contenders


RATIOS = [
    # (label, numerator, denominator, target)
    (
        "a / b  joblog vs structlog fastest",
        "a joblog (job bound, redaction on)",
        "b structlog fastest config",
        0.6,
    ),
    (
        "d / c  stdlib via joblog vs python-json-logger",
        "d stdlib via joblog",
        "c stdlib + python-json-logger",
        0.6,
    ),
    (
        "e      disabled call, joblog vs structlog",
        "e joblog call below level",
        "e structlog call below level",
        1.5,
    ),
    (
        "f      suppressed sampled call vs bare function call",
        "f sampled call, suppressed",
        "f bare function call, same arguments",
        5.0,
    ),
    (
        "f      ... with key=('scene_number',)",
        "f sampled call, key=(field,), suppressed",
        "f bare function call, same arguments",
        5.0,
    ),
    (
        "g      disabled call, sampled vs joblog",
        "g sampled call below level",
        "e joblog call below level",
        1.1,
    ),
    (
        "b'/ b  structlog + naive redaction vs fastest",
        "b' structlog + naive redaction",
        "b structlog fastest config",
        None,
    ),
    (
        "a / b' joblog vs structlog + naive redaction",
        "a joblog (job bound, redaction on)",
        "b' structlog + naive redaction",
        None,
    ),
    (
        "d0/ c  stdlib via joblog, redaction off",
        "d0 stdlib via joblog, redaction off",
        "c stdlib + python-json-logger",
        None,
    ),
]

DIFFS = [
    # (label, with, without, target in ns): redaction's own cost per event
    (
        "a - a0    typical event",
        "a joblog (job bound, redaction on)",
        "a0 joblog, redaction off",
        1000,
    ),
    (
        "a~ - a~0  typical event, numbers vary",
        "a~ joblog, values vary, redaction on",
        "a~0 joblog, values vary, redaction off",
        1000,
    ),
    (
        "d - d0    stdlib record",
        "d stdlib via joblog",
        "d0 stdlib via joblog, redaction off",
        1000,
    ),
]


def measure(fn: Callable[[], None], calls: int) -> float:
    """Nanoseconds per call of *fn* over *calls* calls."""
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        start = time.perf_counter_ns()
        for _ in range(calls):
            fn()
        return (time.perf_counter_ns() - start) / calls
    finally:
        if gc_was_enabled:
            gc.enable()


def run(rounds: int, calls: int) -> tuple[dict[str, float], dict[str, float]]:
    contenders = setup()
    names = list(contenders)
    default = _config.current()

    def measured(name: str, calls: int) -> float:
        # A contender listed in PIPELINES runs with that pipeline installed.
        _config.install(PIPELINES.get(name, default))
        try:
            return measure(contenders[name], calls)
        finally:
            _config.install(default)

    for name in names:  # warm-up: caches, first-use configuration
        measured(name, 1000)
    per_round: dict[str, list[float]] = {name: [] for name in names}
    for r in range(rounds):
        order = names[r % len(names) :] + names[: r % len(names)]
        for name in order:
            per_round[name].append(measured(name, calls))
    medians = {name: statistics.median(costs) for name, costs in per_round.items()}
    ratios = {}
    for label, num, den, _target in RATIOS:
        if num in per_round and den in per_round:
            ratios[label] = statistics.median(
                n / d for n, d in zip(per_round[num], per_round[den], strict=True)
            )
    for label, num, den, _target in DIFFS:
        if num in per_round and den in per_round:
            ratios[label] = statistics.median(
                n - d for n, d in zip(per_round[num], per_round[den], strict=True)
            )
    return medians, ratios


def report(medians: dict[str, float], ratios: dict[str, float], out: io.TextIOBase) -> None:
    width = max(map(len, medians))
    out.write(f"{'contender':<{width}}  ns/call\n")
    for name, ns in medians.items():
        out.write(f"{name:<{width}}  {ns:8.0f}\n")
    out.write("\n")
    width = max(len(r[0]) for r in RATIOS)
    out.write(f"{'ratio (median of per-round ratios)':<{width}}  value   target\n")
    for label, _num, _den, target in RATIOS:
        if label not in ratios:
            continue
        if target is None:
            out.write(f"{label:<{width}}  {ratios[label]:5.2f}x\n")
            continue
        verdict = "ok" if ratios[label] <= target else "MISSED"
        out.write(f"{label:<{width}}  {ratios[label]:5.2f}x  <= {target}x  {verdict}\n")
    out.write("\n")
    width = max(len(d[0]) for d in DIFFS)
    out.write(f"{'redaction cost (median of per-round differences)':<{width}}  ns/call  target\n")
    for label, _num, _den, target_ns in DIFFS:
        if label in ratios:
            verdict = "ok" if ratios[label] <= target_ns else "MISSED"
            out.write(f"{label:<{width}}  {ratios[label]:7.0f}  <= {target_ns}  {verdict}\n")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--calls", type=int, default=20_000)
    args = parser.parse_args()
    medians, ratios = run(args.rounds, args.calls)
    report(medians, ratios, sys.stdout)  # type: ignore[arg-type]
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
