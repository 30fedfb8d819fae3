"""
Cost of one log call holding one big value, up to 10 MB: no call should take over 100 ms.

Each value is logged a few times (the slowest call is what a service feels)
to os.devnull, with redaction on (the default) and off.

    python bench/big_values.py [--calls 3]
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable

import joblog

MB = 1_000_000

VALUES: dict[str, Callable[[], object]] = {
    "bytes, invalid UTF-8, 10 MB": lambda: b"\xff" * (10 * MB),
    "bytes, valid UTF-8, 10 MB": lambda: b"a" * (10 * MB),
    "bytearray, 10 MB": lambda: bytearray(b"\xfe" * (10 * MB)),
    "memoryview, 10 MB": lambda: memoryview(b"\xfd" * (10 * MB)),
    "str, ASCII, 10 MB": lambda: "x" * (10 * MB),
    "str, lone surrogates, 1 MB": lambda: "\udcff" * MB,
    "list of 1M small ints": lambda: list(range(1_000_000)),
    "dict of 100k strings": lambda: {f"k{i}": f"v{i}" for i in range(100_000)},
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--calls", type=int, default=3)
    args = parser.parse_args()
    devnull = open(os.devnull, "w")  # noqa: SIM115 - lives for the whole run
    log = joblog.get_logger("bench.big")
    print(f"{'value':32} {'redact':>6} {'slowest call':>14}")
    worst = 0.0
    for redact in (True, False):
        joblog.configure(renderer="json", stream=devnull, redact=redact, stdlib=False)
        for name, make in VALUES.items():
            value = make()
            slowest = 0.0
            for _ in range(args.calls):
                start = time.perf_counter()
                log.info("big value", value=value)
                slowest = max(slowest, time.perf_counter() - start)
            worst = max(worst, slowest)
            print(f"{name:32} {redact!s:>6} {slowest * 1000:11.1f} ms")
    print(f"slowest call overall: {worst * 1000:.1f} ms (target: <= 100 ms)")


if __name__ == "__main__":
    main()
