"""
Cost of redacting text that is never cached: adversarial 100 kB inputs and realistic lines.

Each input is redacted in several rounds, each by a new Redactor (default
rules, empty caches), so every call scans; the figure is the median time
of one call.  The adversarial inputs (built to make a
careless pattern backtrack or rescan) are those of
tests/redaction_cases.py, whose test checks their output; the target is
"well under 50 ms" each.

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

from joblog import Redactor
from redaction_cases import GITHUB_PAT, JOB_ID, adversarial

TARGET_MS = 50.0


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
    results = {name: median_ms(value, args.rounds) for name, value in inputs().items()}
    width = max(map(len, results))
    print(f"{'input':<{width}}   ms/call  target")
    for name, ms in results.items():
        verdict = "ok" if ms <= TARGET_MS else "MISSED"
        print(f"{name:<{width}}  {ms:8.3f}  <= {TARGET_MS:.0f}  {verdict}")
    print(f"\nworst: {max(results.values()):.2f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
