"""
Cost of redaction: a typical event, uncached text, the anchor scan, adversarial inputs.

1. A typical joblog event (timestamp new on every call, the rest repeating)
   through the processor, with the default rules and with every value rule
   disabled: the cost must not grow with the rule count (target <= 600 ns).
2. A realistic 120-character line never seen before, same two redactors.
3. The anchor scan alone over the same literals: the Aho-Corasick automaton
   joblog uses (ahocorasick-rs), a regex alternation of the literals
   factored by first character (the dependency-free alternative), and
   pyahocorasick when it is installed.
4. Adversarial 100 kB inputs (those of tests/redaction_cases.py, whose
   test checks their output), each by a new Redactor so every call scans;
   target < 50 ms each.
5. Values of 10 MB (invalid UTF-8 bytes, text, a dict holding them): cut
   to the 1 MiB limit before anything else; target < 100 ms per call.

Figures are medians over rounds; ratios are within one run.

    python bench/redact.py [--rounds 7]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

import re

from joblog import DEFAULT_RULES, Redactor
from joblog.redact import _alternation
from redaction_cases import GITHUB_PAT, JOB_ID, adversarial

TARGET_MS = 50.0
TARGET_EVENT_NS = 600.0
TARGET_BIG_MS = 100.0
EVENTS = 20_000
LINES = [
    f"Scene 3 of job {JOB_ID} rendered in 41.2 s, uploaded to s3://videos/job/scene-3.mp4",
    "GET /v1/jobs?page=2 HTTP/1.1 200 OK from 203.0.113.42 in 12.3 ms user ada@example.com",
    "Kling still processing scene 3 (attempt 12); next poll in 5 s; model kling-v1.6 dur 5",
]


def typical_events(n: int) -> list[dict[str, Any]]:
    """Events as joblog's pipeline hands them to the redactor: only the timestamp varies."""
    return [
        {
            "timestamp": f"2026-11-23T10:{i // 60000 % 60:02d}:{i // 1000 % 60:02d}"
            f".{i % 1000:03d}Z",
            "level": "info",
            "logger": "video.pipeline",
            "message": "scene rendered",
            "job_id": JOB_ID,
            "scene_number": 1,
            "duration": 5,
            "prediction_id": "kling-1",
            "model": "kling-v1.6",
            "attempt": 3,
            "video_url": "s3://videos/job/scene-1.mp4",
        }
        for i in range(n)
    ]


def event_ns(redactor: Redactor, rounds: int) -> float:
    """Median ns per event of the processor, less the cost of the loop and dict copy."""
    events = typical_events(EVENTS)
    for event in events[:100]:  # warm the caches, as a running service has them
        redactor(None, "info", dict(event))
    figures = []
    for _ in range(rounds):
        copies = [dict(e) for e in events]
        start = time.perf_counter()
        for event in copies:
            redactor(None, "info", event)
        spent = time.perf_counter() - start
        copies = [dict(e) for e in events]
        start = time.perf_counter()
        for event in copies:
            _noop(None, "info", event)
        base = time.perf_counter() - start
        figures.append((spent - base) / EVENTS * 1e9)
    return statistics.median(figures)


def _noop(logger: Any, method: str, event: dict[str, Any]) -> dict[str, Any]:
    return event


def line_us(redactor: Redactor, rounds: int) -> float:
    """Median microseconds to redact a line never seen (a new redactor's cache is empty)."""
    figures = []
    for _ in range(rounds):
        start = time.perf_counter()
        for i in range(300):
            redactor.redact(f"{LINES[i % 3]} #{i}")
        figures.append((time.perf_counter() - start) / 300 * 1e6)
    return statistics.median(figures)


def anchor_scans(rounds: int) -> dict[str, float]:
    """Microseconds per line of each anchor scan over the default literals."""
    redactor = Redactor()
    literals = sorted(
        {a for rule in DEFAULT_RULES for a in rule.anchors} | set(redactor._rule.triggers)
    )
    lows = [line.lower() for line in LINES]
    scans: dict[str, Any] = {
        "Aho-Corasick (ahocorasick-rs, used)": redactor._anchors.find,
        "re alternation of the literals": re.compile(_alternation(literals)).findall,
    }
    try:
        import ahocorasick  # type: ignore[import-not-found]
    except ImportError:
        pass
    else:
        automaton = ahocorasick.Automaton()
        for literal in literals:
            automaton.add_word(literal, literal)
        automaton.make_automaton()
        scans["pyahocorasick"] = lambda text: list(automaton.iter(text))
    out = {}
    for name, scan in scans.items():
        figures = []
        for _ in range(rounds):
            start = time.perf_counter()
            for _ in range(300):
                for low in lows:
                    scan(low)
            figures.append((time.perf_counter() - start) / 900 * 1e6)
        out[name] = statistics.median(figures)
    out["literals"] = len(literals)
    return out


def inputs() -> dict[str, Any]:
    cases: dict[str, Any] = dict(adversarial())
    cases["2,000-key dict"] = {f"field_{i}": f"value {i} token={i}" for i in range(2000)}
    cases["2,000 secret keys"] = {f"password_{i}": f"p{i}" for i in range(2000)}
    cases["key of 50,000 words"] = {"_".join(["a"] * 50_000) + "_password": "pw"}
    frames = "".join(
        f'  File "/srv/app/pipeline/stage_{i}.py", line {i * 7}, in run_{i}\n'
        f"    result = await client.generate(scene, attempt={i})\n"
        for i in range(300)
    )
    cases["traceback, 20 kB, one secret"] = (
        f"Traceback (most recent call last):\n{frames}"
        f"httpx.HTTPStatusError: 401 for https://api.example.com/v1?api_key={GITHUB_PAT}"
    )
    cases["log line, 120 chars, clean"] = (
        f"Scene 3 of job {JOB_ID} rendered in 41.2 s, uploaded to s3://videos/job/scene-3.mp4"
    )
    cases["log line, 120 chars, secret"] = (
        f"retrying POST https://api.example.com/v1/generate with token={GITHUB_PAT} (attempt 2)"
    )
    return cases


def big_inputs() -> dict[str, Any]:
    invalid = bytes(range(128, 256)) * (10_000_000 // 128)
    return {
        "10 MB invalid UTF-8 bytes": invalid,
        "10 MB invalid UTF-8 bytearray": bytearray(invalid),
        "10 MB ASCII bytes, no blank": b"a" * 10_000_000,
        "10 MB text, words": "word " * 2_000_000,
        "10 MB text, no blank": "a" * 10_000_000,
        "dict of 10 MB bytes": {"body": invalid, "note": "x"},
    }


def median_ms(value: object, rounds: int) -> float:
    """Median milliseconds of one uncached ``redact(value)``."""
    times = []
    for _ in range(rounds):
        redactor = Redactor()  # empty caches
        start = time.perf_counter()
        redactor.redact(value)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    every = Redactor()
    none = Redactor(disable=[rule.name for rule in DEFAULT_RULES])
    print(f"1. typical event through the processor (target <= {TARGET_EVENT_NS:.0f} ns)")
    full, bare = event_ns(every, args.rounds), event_ns(none, args.rounds)
    print(f"   {len(DEFAULT_RULES)} value rules   {full:7.0f} ns/event")
    print(f"   0 value rules     {bare:7.0f} ns/event   ratio {full / bare:.2f}x")
    verdict = "ok" if full <= TARGET_EVENT_NS else "MISSED"
    print(f"   {verdict}")
    print("2. a 120-character line never seen before")
    full, bare = line_us(Redactor(), args.rounds), line_us(none, args.rounds)
    print(f"   {len(DEFAULT_RULES)} value rules   {full:7.2f} us/line")
    print(f"   0 value rules     {bare:7.2f} us/line   ratio {full / bare:.2f}x")
    scans = anchor_scans(args.rounds)
    print(f"3. anchor scan of one line, {scans.pop('literals'):.0f} literals")
    fastest = min(scans.values())
    for name, us in scans.items():
        print(f"   {name:<38} {us:6.2f} us/line  {us / fastest:5.2f}x")
    print("4. adversarial and large inputs, uncached")
    results = {name: median_ms(value, args.rounds) for name, value in inputs().items()}
    width = max(map(len, results))
    print(f"{'input':<{width}}   ms/call  target")
    for name, ms in results.items():
        verdict = "ok" if ms <= TARGET_MS else "MISSED"
        print(f"{name:<{width}}  {ms:8.3f}  <= {TARGET_MS:.0f}  {verdict}")
    print(f"\nworst: {max(results.values()):.2f} ms")
    print(f"5. values of 10 MB, uncached (target < {TARGET_BIG_MS:.0f} ms)")
    results = {name: median_ms(value, args.rounds) for name, value in big_inputs().items()}
    width = max(map(len, results))
    for name, ms in results.items():
        verdict = "ok" if ms < TARGET_BIG_MS else "MISSED"
        print(f"{name:<{width}}  {ms:8.3f}  < {TARGET_BIG_MS:.0f}  {verdict}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
