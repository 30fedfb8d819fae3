"""
Per-call cost of joblog's httpx integration against a bare client.

(Not named httpx.py: run as a script, that name would shadow httpx itself.)

Every contender sends GET requests through ``httpx.Client`` to an
``httpx.MockTransport`` (no network, so the figure is the integration's own
cost, not the network's), reads the body and closes the response. joblog
writes its lines to os.devnull. Rounds are interleaved; each figure is the
median over rounds, each ratio and difference the median of per-round ones.

    python bench/httpx_calls.py [--rounds 15] [--calls 2000]

Contenders:
  bare      httpx.Client(transport=MockTransport)
  logged    httpx.Client(transport=joblog.httpx.LoggingTransport(MockTransport)), a job bound:
            one "HTTP request" line per call (httpx's own record dropped)
  sampled   as logged, inside joblog.sampled(every=10**9): the line is counted, not written
  ids       as logged, to a host in propagate_to: X-Job-ID, X-Request-ID and baggage added
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable

import httpx

import joblog
import joblog.httpx


def ok(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, json={"state": "processing"})


def setup() -> dict[str, Callable[[], None]]:
    joblog.configure(renderer="json", stream=open(os.devnull, "w"), level="info")  # noqa: SIM115
    mock = httpx.MockTransport(ok)
    url = "http://api.klingai.com/v1/videos/kling-1"
    bare = httpx.Client(transport=mock)
    logged = httpx.Client(transport=joblog.httpx.LoggingTransport(mock))
    ids = httpx.Client(
        transport=joblog.httpx.LoggingTransport(mock, propagate_to=["api.klingai.com"])
    )
    sampler = joblog.sampled(joblog.get_logger("bench"), every=10**9)
    binding = joblog.bind_job("job-0b5c1d2e-3f40-4a5b-8c6d-7e8f9a0b1c2d", request_id="4bf92f35")
    binding.__enter__()

    def c_bare() -> None:
        bare.get(url)

    def c_logged() -> None:
        logged.get(url)

    def c_sampled() -> None:
        with sampler:
            logged.get(url)

    def c_ids() -> None:
        ids.get(url)

    return {"bare": c_bare, "logged": c_logged, "sampled": c_sampled, "ids": c_ids}


def measure(fn: Callable[[], None], calls: int) -> float:
    """Microseconds per call."""
    start = time.perf_counter_ns()
    for _ in range(calls):
        fn()
    return (time.perf_counter_ns() - start) / calls / 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--calls", type=int, default=2000)
    args = parser.parse_args()
    contenders = setup()
    names = list(contenders)
    for name in names:
        measure(contenders[name], 200)
    rounds: dict[str, list[float]] = {name: [] for name in names}
    for r in range(args.rounds):
        for name in names[r % len(names) :] + names[: r % len(names)]:
            rounds[name].append(measure(contenders[name], args.calls))
    out = sys.stdout
    out.write(f"{'contender':<10}  µs/call\n")
    for name in names:
        out.write(f"{name:<10}  {statistics.median(rounds[name]):7.1f}\n")
    out.write("\nvs bare (median of per-round figures)   ratio   added µs/call\n")
    for name in names[1:]:
        pairs = list(zip(rounds[name], rounds["bare"], strict=True))
        ratio = statistics.median(n / b for n, b in pairs)
        added = statistics.median(n - b for n, b in pairs)
        out.write(f"{name:<40} {ratio:5.2f}x  {added:8.1f}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
