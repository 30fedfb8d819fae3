"""
``joblog query`` against ``jq`` and DuckDB doing the same work on a generated 50 MB log.

Each contender runs as a command (``python -m joblog``, ``jq``, and DuckDB's
``read_json`` from ``python -c``), in one run of this script: rounds are
interleaved (the order rotates each round), each figure is the median wall
time, and each ratio is the median of the per-round ratios (their time /
joblog's), so drift of the machine cancels out.  Before timing, the outputs
are checked to agree.

    python bench/query.py [--rounds 5] [--size-mb 50] [--file PATH]

Work (joblog / the baseline):
  trace filter        fields … | filter job_id = "<one job>" | sort @timestamp asc
                      jq: [inputs | select(.job_id == $id) | {…}] | sort_by(.timestamp)[]
  count by level      stats count(*) by level
                      jq: reduce inputs as $e ({}; .[$e.level] += 1)
  stats by stage      stats count(*), avg(elapsed_ms), max(elapsed_ms) by stage
                      DuckDB: SELECT stage, count(*), avg(elapsed_ms), max(…) … GROUP BY stage
  sort | limit        fields job_id, elapsed_ms | sort elapsed_ms desc | limit 10
                      DuckDB: SELECT job_id, elapsed_ms … ORDER BY elapsed_ms DESC LIMIT 10

Targets: the filter at least 5x faster than jq, the count 3x; the stats and
the sort within 2x DuckDB's time (DuckDB/joblog at least 0.5).  Each
process's peak resident memory is reported too (with GNU time), and joblog's
again on a log twice as long: streaming keeps it flat.
Needs jq (``apt-get install -y jq``), DuckDB (``pip install duckdb``) and, for
the memory figures, GNU time (``apt-get install -y time``).
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator

import orjson

import joblog

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


#: GNU time, which reports a command's own peak resident memory (``%M``, KiB).
#: ``os.wait4`` cannot: a child's peak counts the pages of this process it was forked from.
GNU_TIME = shutil.which("time")


def run(command: list[str]) -> tuple[float, bytes, float | None]:
    """Run *command*: its wall time (s), its output and its peak resident memory (MB)."""
    measured = [GNU_TIME, "-f", "%M", *command] if GNU_TIME else command
    started = time.perf_counter()
    result = subprocess.run(measured, capture_output=True, check=False)
    elapsed = time.perf_counter() - started
    if result.returncode:
        raise SystemExit(f"{command[0]} failed ({result.returncode}): {result.stderr[-500:]!r}")
    peak = int(result.stderr.split()[-1]) / 1024 if GNU_TIME else None
    return elapsed, result.stdout, peak


def duckdb(sql: str, path: str) -> list[str]:
    """A command running *sql* (``LOG`` standing for the log) in DuckDB, printing JSON rows."""
    script = (
        "import duckdb, json, sys\n"
        "sql = sys.argv[1].replace('LOG', "
        '"read_json(" + repr(sys.argv[2]) + ", format=\'newline_delimited\')")\n'
        "for row in duckdb.sql(sql).fetchall():\n"
        "    print(json.dumps(row, default=str))\n"
    )
    return [sys.executable, "-c", script, sql, path]


Work = dict[str, tuple[str, list[str], list[str]]]


def commands(path: str, job_id: str) -> Work:
    """Each piece of work: its baseline's name, joblog's command and the baseline's."""
    python = [sys.executable, "-m", "joblog", "query", "--format", "jsonl"]
    trace_query = (
        "fields @timestamp, @message, job_id, stage, status"
        f' | filter job_id = "{job_id}" | sort @timestamp asc'
    )
    return {
        "trace filter": (
            "jq",
            [*python, trace_query, path],
            [
                "jq", "-n", "-c", "--arg", "id", job_id,
                "[inputs | select(.job_id == $id)"
                " | {timestamp, message, job_id, stage, status}] | sort_by(.timestamp)[]",
                path,
            ],
        ),
        "count by level": (
            "jq",
            [*python, "stats count(*) by level", path],
            ["jq", "-n", "-c", "reduce inputs as $e ({}; .[$e.level] += 1)", path],
        ),
        "stats by stage": (
            "duckdb",
            [*python, "stats count(*), avg(elapsed_ms), max(elapsed_ms) by stage", path],
            duckdb(
                "SELECT stage, count(*), avg(elapsed_ms), max(elapsed_ms) FROM LOG "
                "GROUP BY stage ORDER BY stage NULLS LAST",
                path,
            ),
        ),
        "sort | limit": (
            "duckdb",
            [*python, "fields job_id, elapsed_ms | sort elapsed_ms desc | limit 10", path],
            duckdb(
                "SELECT job_id, elapsed_ms FROM LOG ORDER BY elapsed_ms DESC NULLS LAST LIMIT 10",
                path,
            ),
        ),
    }  # fmt: skip


def check(name: str, ours: bytes, theirs: bytes) -> None:
    """Make sure both did the same work before timing them."""
    mine = [json.loads(line) for line in ours.splitlines()]
    if name == "trace filter":
        jq = [json.loads(line)["timestamp"] for line in theirs.splitlines()]
        if len(mine) != len(jq) or not mine:
            raise SystemExit(f"{name}: joblog found {len(mine)} lines, jq {len(jq)}")
    elif name == "count by level":
        counts = {row["level"]: row["count(*)"] for row in mine}
        if counts != json.loads(theirs):
            raise SystemExit(f"{name}: joblog counted {counts}, jq {theirs!r}")
    else:
        rows = [json.loads(line) for line in theirs.splitlines()]
        if name == "stats by stage":
            got = [[row.get("stage"), row["count(*)"]] for row in mine]
            want = [row[:2] for row in rows]
        else:
            got = [row.get("elapsed_ms") for row in mine]
            want = [row[1] for row in rows]
        if got != want:
            raise SystemExit(f"{name}: joblog gave {got}, DuckDB {want}")


#: (baseline time / joblog time) each piece of work must reach.
TARGETS = {"trace filter": 5.0, "count by level": 3.0, "stats by stage": 0.5, "sort | limit": 0.5}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--size-mb", type=float, default=50.0)
    parser.add_argument("--file", help="write the log here (default: a temporary file)")
    args = parser.parse_args()
    if shutil.which("jq") is None:
        sys.stderr.write("bench/query.py needs jq: install it with `apt-get install -y jq`\n")
        return 1
    try:
        import duckdb as duck
    except ImportError:
        sys.stderr.write("bench/query.py needs DuckDB: install it with `pip install duckdb`\n")
        return 1
    with tempfile.TemporaryDirectory() as tmp:
        path = args.file or os.path.join(tmp, "bench.jsonl")
        job_id = generate(path, args.size_mb)
        size = os.path.getsize(path)
        with open(path, "rb") as log:
            lines = sum(1 for _ in log)
        # An installed joblog runs from bytecode compiled at install time; a
        # checkout may not have it (PYTHONDONTWRITEBYTECODE), and compiling
        # the sources on every run would be timed as joblog's work.
        compileall.compile_dir(os.path.dirname(joblog.__file__), quiet=1)
        jq_version = run(["jq", "--version"])[1].decode().strip()
        print(
            f"log: {size / 1e6:.1f} MB, {lines} lines; {jq_version}; DuckDB {duck.__version__}; "
            f"job {job_id}"
        )
        work = commands(path, job_id)
        times: dict[str, dict[str, list[float]]] = {
            name: {"joblog": [], "baseline": []} for name in work
        }
        peaks: dict[str, dict[str, float]] = {name: {"joblog": 0, "baseline": 0} for name in work}
        if GNU_TIME is None:
            print("peak memory not measured: it needs GNU time (`apt-get install -y time`)")
        for name, (_who, ours, theirs) in work.items():
            check(name, run(ours)[1], run(theirs)[1])
        load_before = os.getloadavg()[0]
        for round_ in range(args.rounds):
            for name, (_who, ours, theirs) in work.items():
                pair = [("joblog", ours), ("baseline", theirs)]
                for who, command in pair if round_ % 2 == 0 else reversed(pair):
                    elapsed, _out, peak = run(command)
                    times[name][who].append(elapsed)
                    peaks[name][who] = max(peaks[name][who], peak or 0)
        load_after = os.getloadavg()[0]
        # Streaming keeps memory flat: the same work on a log twice as long peaks the same.
        doubled = os.path.join(tmp, "doubled.jsonl")
        with open(path, "rb") as log, open(doubled, "wb") as out:
            content = log.read()
            out.write(content + content)
        del content
        flat = {
            name: (peaks[name]["joblog"], run([*work[name][1][:-1], doubled])[2]) for name in work
        }
    cores = os.cpu_count()
    print(f"load average (1 min) {load_before:.1f} before, {load_after:.1f} after; {cores} cores")
    print(
        f"\n{'work':<18}{'joblog s':>10}{'baseline':>16}{'them/joblog':>13}{'target':>10}"
        f"{'joblog MB':>16}{'baseline MB':>13}"
    )
    missed = False
    for name, contenders in times.items():
        ratio = statistics.median(
            b / o for o, b in zip(contenders["joblog"], contenders["baseline"], strict=True)
        )
        verdict = "ok" if ratio >= TARGETS[name] else "MISSED"
        missed |= verdict == "MISSED"
        ours = statistics.median(contenders["joblog"])
        theirs = statistics.median(contenders["baseline"])
        label = f"{work[name][0]} {theirs:.3f}"
        memory = f"{peaks[name]['joblog']:>9.0f}{peaks[name]['baseline']:>13.0f}"
        print(
            f"{name:<18}{ours:>10.3f}{label:>16}{ratio:>12.2f}x  >= {TARGETS[name]}x "
            f"{verdict:<6}{memory}"
        )
    print("MB: the process's peak resident memory, the largest of its rounds (GNU time's %M)")
    if GNU_TIME:
        print("\njoblog's peak memory on this log and on one twice as long (MB):")
        for name, (once, twice) in flat.items():
            print(f"{name:<18}{once:>10.0f}{twice or 0:>10.0f}")
    return 1 if missed else 0


if __name__ == "__main__":
    raise SystemExit(main())
