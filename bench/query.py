"""
``joblog query`` against ``jq`` doing the same work on a generated 50 MB JSON-lines log.

Both run as commands (``python -m joblog`` and ``jq``), in one process of
this script: rounds are interleaved (the order alternates each round), each
contender's figure is its median wall time, and each ratio is the median of
the per-round ratios (jq time / joblog time), so drift of the machine
cancels out.  Before timing, the outputs are checked to agree.

    python bench/query.py [--rounds 5] [--size-mb 50] [--file PATH]

Work:
  trace filter  fields @timestamp, @message, job_id, stage, status
                | filter job_id = "<one job>" | sort @timestamp asc
                jq: [inputs | select(.job_id == $id) | {…}] | sort_by(.timestamp)[]
  stats         stats count(*) by level
                jq: reduce inputs as $e ({}; .[$e.level] += 1)

Targets: joblog at least 3x faster than jq on the filter, 2x on the stats.
Needs jq (``apt-get install -y jq``).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator

import orjson

STAGES = (
    ("script", "Generating script with GPT-4o", "Script generated successfully"),
    ("scene", "Scene generation started", "Scene video generated"),
    ("audio", "Generating audio", "Audio generated"),
    ("compose", "Composing final video", "Final video composed"),
)


def job_lines(rng: random.Random, job_id: str, start_ms: int) -> Iterator[tuple[int, dict]]:
    """The lines of one job of the reference pipeline, with their times."""
    now = start_ms
    user = f"user-{rng.randrange(10_000):04d}"
    base = {"job_id": job_id, "user_id": user}
    yield (
        now,
        {
            "level": "info",
            "message": "Starting fully async generation",
            "logger": "app.generate",
            **base,
        },
    )
    failed = rng.random() < 0.05
    for name, start, done in STAGES:
        runs = (1, 2, 3) if name == "scene" else (None,)
        for scene in runs:
            extra = {"stage": name} if scene is None else {"stage": name, "scene": scene}
            now += rng.randrange(1, 40)
            yield (
                now,
                {"level": "info", "message": start, "logger": "app.generate", **base, **extra},
            )
            began = now
            for attempt in range(rng.randrange(2, 6) if name == "scene" else 1):
                now += rng.randrange(500, 5000)
                yield (
                    now,
                    {
                        "level": "debug",
                        "message": "Kling still processing" if name == "scene" else "Working",
                        "logger": "app.adapters.kling",
                        **base,
                        **extra,
                        "attempt": (attempt + 1) * 12,
                        "prediction_id": f"kling-{rng.randrange(1 << 30):x}",
                    },
                )
            if failed and name == "scene" and scene == 2:
                now += rng.randrange(10, 200)
                yield (
                    now,
                    {
                        "level": "error",
                        "message": "scene failed",
                        "logger": "app.generate",
                        **base,
                        **extra,
                        "elapsed_ms": float(now - began),
                        "error_type": "KlingAPIError",
                        "error_message": "Kling API error: 500 Internal Server Error",
                    },
                )
                yield (
                    now,
                    {
                        "level": "error",
                        "message": "Video generation failed",
                        "logger": "app.generate",
                        **base,
                        "status": "failed",
                        "error_message": "Kling API error: 500 Internal Server Error",
                    },
                )
                return
            now += rng.randrange(10, 200)
            yield (
                now,
                {
                    "level": "info",
                    "message": done,
                    "logger": "app.generate",
                    **base,
                    **extra,
                    "elapsed_ms": float(now - began),
                    "video_url": f"s3://videos/{job_id}/{scene or 0}.mp4",
                },
            )
    yield (
        now,
        {
            "level": "info",
            "message": "Video generation complete",
            "logger": "app.generate",
            **base,
            "video_key": f"videos/{job_id}/final.mp4",
            "num_scenes": 3,
            "duration": 15,
            "total_time": (now - start_ms) / 1000,
            "status": "completed",
        },
    )


def generate(path: str, size_mb: float, seed: int = 7) -> str:
    """Write a log of about *size_mb* MB to *path*; return the id of a job in its middle."""
    rng = random.Random(seed)
    target = int(size_mb * 1_000_000)
    written = 0
    pending: list[tuple[int, int, bytes]] = []
    clock = 1_795_000_000_000  # ms, November 2026
    middle_job = ""
    sequence = 0
    with open(path, "wb") as out:
        while written < target:
            job_id = f"job-{rng.getrandbits(128):032x}"
            if not middle_job and written > target // 2:
                middle_job = job_id
            for when, fields in job_lines(rng, job_id, clock):
                stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(when // 1000))
                line = orjson.dumps({"timestamp": f"{stamp}.{when % 1000:03d}Z", **fields}) + b"\n"
                sequence += 1
                pending.append((when, sequence, line))
            # Jobs overlap: interleave the lines of the last few by time.
            clock += rng.randrange(200, 3000)
            pending.sort()
            while pending and pending[0][0] < clock:
                _when, _seq, line = pending.pop(0)
                out.write(line)
                written += len(line)
        for _when, _seq, line in sorted(pending):
            out.write(line)
    return middle_job


def run(command: list[str]) -> tuple[float, bytes]:
    started = time.perf_counter()
    result = subprocess.run(command, capture_output=True, check=True)
    return time.perf_counter() - started, result.stdout


def commands(path: str, job_id: str) -> dict[str, tuple[list[str], list[str]]]:
    python = [sys.executable, "-m", "joblog", "query", "--format", "jsonl"]
    trace_query = (
        "fields @timestamp, @message, job_id, stage, status"
        f' | filter job_id = "{job_id}" | sort @timestamp asc'
    )
    return {
        "trace filter": (
            [*python, trace_query, path],
            [
                "jq", "-n", "-c", "--arg", "id", job_id,
                "[inputs | select(.job_id == $id)"
                " | {timestamp, message, job_id, stage, status}] | sort_by(.timestamp)[]",
                path,
            ],
        ),
        "stats count(*) by level": (
            [*python, "stats count(*) by level", path],
            ["jq", "-n", "-c", "reduce inputs as $e ({}; .[$e.level] += 1)", path],
        ),
    }  # fmt: skip


def check(name: str, ours: bytes, theirs: bytes) -> None:
    """Make sure both did the same work before timing them."""
    if name == "trace filter":
        mine = [json.loads(line)["@timestamp"] for line in ours.splitlines()]
        jq = [json.loads(line)["timestamp"] for line in theirs.splitlines()]
        if len(mine) != len(jq) or not mine:
            raise SystemExit(f"{name}: joblog found {len(mine)} lines, jq {len(jq)}")
    else:
        mine_counts = {
            json.loads(line)["level"]: json.loads(line)["count(*)"] for line in ours.splitlines()
        }
        if Counter(mine_counts) != Counter(json.loads(theirs)):
            raise SystemExit(f"{name}: joblog counted {mine_counts}, jq {theirs!r}")


TARGETS = {"trace filter": 3.0, "stats count(*) by level": 2.0}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--size-mb", type=float, default=50.0)
    parser.add_argument("--file", help="write the log here (default: a temporary file)")
    args = parser.parse_args()
    if shutil.which("jq") is None:
        sys.stderr.write("bench/query.py needs jq: install it with `apt-get install -y jq`\n")
        return 1
    with tempfile.TemporaryDirectory() as tmp:
        path = args.file or os.path.join(tmp, "bench.jsonl")
        job_id = generate(path, args.size_mb)
        size = os.path.getsize(path)
        with open(path, "rb") as log:
            lines = sum(1 for _ in log)
        jq_version = run(["jq", "--version"])[1].decode().strip()
        print(f"log: {size / 1e6:.1f} MB, {lines} lines; {jq_version}; job {job_id}")
        work = commands(path, job_id)
        times: dict[str, dict[str, list[float]]] = {name: {"joblog": [], "jq": []} for name in work}
        for name, (ours, theirs) in work.items():
            check(name, run(ours)[1], run(theirs)[1])
        for round_ in range(args.rounds):
            for name, (ours, theirs) in work.items():
                pair = [("joblog", ours), ("jq", theirs)]
                for who, command in pair if round_ % 2 == 0 else reversed(pair):
                    times[name][who].append(run(command)[0])
    print(f"\n{'work':<26}{'joblog s':>10}{'jq s':>10}{'jq/joblog':>11}{'target':>9}")
    missed = False
    for name, contenders in times.items():
        ratio = statistics.median(
            j / o for o, j in zip(contenders["joblog"], contenders["jq"], strict=True)
        )
        verdict = "ok" if ratio >= TARGETS[name] else "MISSED"
        missed |= verdict == "MISSED"
        ours = statistics.median(contenders["joblog"])
        theirs = statistics.median(contenders["jq"])
        print(
            f"{name:<26}{ours:>10.3f}{theirs:>10.3f}{ratio:>10.2f}x  >= {TARGETS[name]}x {verdict}"
        )
    return 1 if missed else 0


if __name__ == "__main__":
    raise SystemExit(main())
