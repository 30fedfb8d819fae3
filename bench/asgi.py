"""
Per-request cost of RequestLoggingMiddleware over a bare Starlette app.

Every contender is a Starlette app with the same routes, called in process
(``await app(scope, receive, send)``, a fresh scope per request, no network),
writing its JSON lines to os.devnull.  Rounds are interleaved (the order
rotates each round); a contender's figure is the median over rounds of its
per-request time, an overhead is the median of the per-round differences
from the bare app on the same path, and each ratio is the median of the
per-round ratios, so drift of the machine cancels out.

    python bench/asgi.py [--rounds 15] [--requests 5000] [--clock wall|cpu]

``--clock cpu`` times with this thread's CPU time instead of the wall clock:
on a machine shared with other work, time spent preempted is left out.

Contenders (GET /api/v1/items answers a small JSON body unless noted):
  bare        the Starlette app, no middleware
  (a) joblog  + joblog.RequestLoggingMiddleware (defaults: redaction on, JSON)
  (b) today   + asgi-correlation-id's CorrelationIdMiddleware + a hand-written
              pure-ASGI access log emitting the same two JSON events through
              structlog's fastest configuration (filtering bound logger,
              concrete cached logger, merge_contextvars + add_log_level +
              TimeStamper(iso, utc) + JSONRenderer(orjson), BytesLoggerFactory)
  bare /health, (c) joblog skipping "GET /health": the skipped path's cost
  bare /api/v1/jobs/42, (c') joblog skipping "GET /api/v1/jobs/{job_id}"
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import io
import logging
import os
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any

from asgi_correlation_id import CorrelationIdMiddleware
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

import joblog
from _baselines import structlog_fastest

SKIP = ["GET /health", "GET /api/v1/jobs/{job_id}"]
ITEMS = {"items": [{"id": 1, "name": "scene-1"}, {"id": 2, "name": "scene-2"}]}


async def items(request: Request) -> Response:
    return JSONResponse(ITEMS)


async def health(request: Request) -> Response:
    return PlainTextResponse("ok")


async def job_status(request: Request) -> Response:
    return JSONResponse({"job_id": request.path_params["job_id"], "status": "processing"})


def starlette_app() -> Starlette:
    return Starlette(
        routes=[
            Route("/api/v1/items", items),
            Route("/health", health),
            Route("/api/v1/jobs/{job_id}", job_status),
        ]
    )


def structlog_access_log(app: Any, log: Any) -> Any:
    """The pure-ASGI access log people write today, as tight as it gets."""

    async def middleware(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        start = time.perf_counter()
        method, path = scope["method"], scope["path"]
        client = scope.get("client")
        log.info(
            "Request started", method=method, path=path, client_ip=client[0] if client else None
        )
        status = 500
        size = 0

        async def send_logged(message: Any) -> None:
            nonlocal status, size
            await send(message)
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body":
                size += len(message.get("body", b""))
                if not message.get("more_body", False):
                    latency_ms = round((time.perf_counter() - start) * 1000, 3)
                    (log.error if status >= 500 else log.info)(
                        "Request completed",
                        method=method,
                        path=path,
                        status=status,
                        latency_ms=latency_ms,
                        response_size=size,
                    )

        await app(scope, receive, send_logged)

    return middleware


Call = Callable[[], Awaitable[None]]


def driver(app: Any, path: str) -> Call:
    """One request to *app* for *path*, with a fresh scope each time."""
    template = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"api.example.com"), (b"user-agent", b"bench/1.0")],
        "client": ("203.0.113.7", 50123),
        "server": ("api.example.com", 80),
    }
    request = {"type": "http.request", "body": b"", "more_body": False}

    async def receive() -> Any:
        return request

    async def send(message: Any) -> None:
        pass

    async def one() -> None:
        await app(dict(template), receive, send)

    return one


def setup() -> dict[str, Call]:
    devnull_text = open(os.devnull, "w")  # noqa: SIM115 - lives for the whole run
    devnull_bytes = open(os.devnull, "wb")  # noqa: SIM115

    # joblog.configure() also points structlog at joblog, so structlog is
    # configured for (b) afterwards.
    joblog.configure(renderer="json", stream=devnull_text, level="info")
    logging.getLogger("asgi_correlation_id").setLevel(logging.WARNING)

    slog = structlog_fastest(devnull_bytes, "access")

    bare = starlette_app()
    with_joblog = starlette_app()
    with_joblog.add_middleware(joblog.RequestLoggingMiddleware, skip=SKIP)
    today = starlette_app()
    today.add_middleware(structlog_access_log, log=slog)  # type: ignore[arg-type]
    today.add_middleware(CorrelationIdMiddleware)

    return {
        "bare": driver(bare, "/api/v1/items"),
        "(a) joblog middleware": driver(with_joblog, "/api/v1/items"),
        "(b) correlation-id + structlog access log": driver(today, "/api/v1/items"),
        "bare /health": driver(bare, "/health"),
        "(c) joblog, skipped GET /health": driver(with_joblog, "/health"),
        "bare /api/v1/jobs/42": driver(bare, "/api/v1/jobs/42"),
        "(c') joblog, skipped GET /api/v1/jobs/{job_id}": driver(with_joblog, "/api/v1/jobs/42"),
    }


# (label, contender, its bare baseline)
OVERHEADS = [
    ("(a) joblog", "(a) joblog middleware", "bare"),
    ("(b) correlation-id + structlog", "(b) correlation-id + structlog access log", "bare"),
    ("(c) skipped /health", "(c) joblog, skipped GET /health", "bare /health"),
    (
        "(c') skipped /api/v1/jobs/{job_id}",
        "(c') joblog, skipped GET /api/v1/jobs/{job_id}",
        "bare /api/v1/jobs/42",
    ),
]
# (label, numerator, denominator, baseline subtracted from both or None, target)
RATIOS = [
    (
        "(a) / (b)  overhead, joblog vs today's stack",
        "(a) joblog middleware",
        "(b) correlation-id + structlog access log",
        "bare",
        0.7,
    ),
    (
        "(c) / bare  skipped GET /health",
        "(c) joblog, skipped GET /health",
        "bare /health",
        None,
        1.1,
    ),
    (
        "(c') / bare skipped polling template",
        "(c') joblog, skipped GET /api/v1/jobs/{job_id}",
        "bare /api/v1/jobs/42",
        None,
        1.1,
    ),
]


CLOCKS = {"wall": time.perf_counter_ns, "cpu": time.thread_time_ns}
clock = CLOCKS["wall"]


async def measure(one: Call, requests: int) -> float:
    """Microseconds per request of *one* over *requests* requests."""
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        start = clock()
        for _ in range(requests):
            await one()
        return (clock() - start) / requests / 1000
    finally:
        if gc_was_enabled:
            gc.enable()


async def run(
    rounds: int, requests: int
) -> tuple[dict[str, float], dict[str, float], dict[str, float]]:
    contenders = setup()
    names = list(contenders)
    for name in names:  # warm-up: middleware stacks are built on the first call
        await measure(contenders[name], 500)
    per_round: dict[str, list[float]] = {name: [] for name in names}
    for r in range(rounds):
        order = names[r % len(names) :] + names[: r % len(names)]
        for name in order:
            per_round[name].append(await measure(contenders[name], requests))
    medians = {name: statistics.median(costs) for name, costs in per_round.items()}
    overheads = {
        label: statistics.median(
            c - b for c, b in zip(per_round[name], per_round[base], strict=True)
        )
        for label, name, base in OVERHEADS
    }
    ratios = {}
    for label, num, den, base, _target in RATIOS:
        zero = per_round[base] if base else [0.0] * rounds
        ratios[label] = statistics.median(
            (n - z) / (d - z) for n, d, z in zip(per_round[num], per_round[den], zero, strict=True)
        )
    return medians, overheads, ratios


def report(
    medians: dict[str, float],
    overheads: dict[str, float],
    ratios: dict[str, float],
    out: io.TextIOBase,
) -> None:
    width = max(map(len, medians))
    out.write(f"{'contender':<{width}}  µs/request\n")
    for name, us in medians.items():
        out.write(f"{name:<{width}}  {us:10.1f}\n")
    out.write("\n")
    width = max(map(len, overheads))
    out.write(f"{'overhead over the bare app (same path)':<{width}}  µs/request\n")
    for label, us in overheads.items():
        out.write(f"{label:<{width}}  {us:+10.1f}\n")
    out.write("\n")
    width = max(len(r[0]) for r in RATIOS)
    out.write(f"{'ratio (median of per-round ratios)':<{width}}  value   target\n")
    for label, _num, _den, _base, target in RATIOS:
        verdict = "ok" if ratios[label] <= target else "MISSED"
        out.write(f"{label:<{width}}  {ratios[label]:5.2f}x  <= {target}x  {verdict}\n")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--clock", choices=list(CLOCKS), default="wall")
    args = parser.parse_args()
    global clock
    clock = CLOCKS[args.clock]
    medians, overheads, ratios = asyncio.run(run(args.rounds, args.requests))
    report(medians, overheads, ratios, sys.stdout)  # type: ignore[arg-type]
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
