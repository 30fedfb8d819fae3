"""
Cost of writing one whole line: joblog's LineWriter against a plain stream write.

A drained pipe stands for a container's stdout; /dev/null for a file.
Rounds are interleaved and each figure is the median over rounds; each ratio
is the median of the per-round ratios.

    python bench/lines.py [--rounds 15] [--lines 20000]

Contenders, each writing the same 300-byte line:
  (p0) TextIOWrapper.write + flush on a pipe (joblog before whole-line writes)
  (p1) LineWriter on a pipe: os.write under an fcntl.lockf record lock
  (n0) TextIOWrapper.write + flush on /dev/null
  (n1) LineWriter on /dev/null: os.write, no lock (not a pipe)
"""

from __future__ import annotations

import argparse
import os
import statistics
import threading
import time
from collections.abc import Callable

from joblog.sinks import LineWriter

LINE = '{"timestamp":"2026-11-23T10:15:30.123Z","level":"info","message":"Scene details",' + (
    '"logger":"app.generate","job_id":"job-0b5c1d2e-3f40-4a5b-8c6d-7e8f9a0b1c2d",'
    '"scene_number":1,"duration":5,"prediction_id":"kling-1","model":"kling-v1.6",'
    '"attempt":3,"video_url":"s3://videos/job/scene-1.mp4","padding":"' + "p" * 40 + '"}\n'
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--lines", type=int, default=20_000)
    args = parser.parse_args()

    read_end, write_end = os.pipe()
    drain = threading.Thread(target=lambda: _drain(read_end), daemon=True)
    drain.start()
    pipe = os.fdopen(write_end, "w", encoding="utf-8")
    null = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115 - lives for the run
    pipe_writer = LineWriter(pipe, binary=False)
    null_writer = LineWriter(null, binary=False)
    if not pipe_writer.locking or null_writer.locking:
        raise SystemExit("LineWriter should lock on the pipe only")

    def stream_write(stream: object) -> Callable[[str], None]:
        def write(line: str) -> None:
            stream.write(line)  # type: ignore[attr-defined]
            stream.flush()  # type: ignore[attr-defined]

        return write

    contenders: dict[str, Callable[[str], None]] = {
        "p0 pipe, stream.write + flush": stream_write(pipe),
        "p1 pipe, LineWriter (lock)": pipe_writer.write,
        "n0 /dev/null, stream.write + flush": stream_write(null),
        "n1 /dev/null, LineWriter": null_writer.write,
    }
    times: dict[str, list[float]] = {name: [] for name in contenders}
    for _ in range(args.rounds):
        for name, write in contenders.items():
            start = time.perf_counter()
            for _ in range(args.lines):
                write(LINE)
            times[name].append((time.perf_counter() - start) / args.lines * 1e9)
    for name, figures in times.items():
        print(f"{name:40} {statistics.median(figures):8.0f} ns/line")
    for new, old in (("p1", "p0"), ("n1", "n0")):
        a = next(n for n in times if n.startswith(new))
        b = next(n for n in times if n.startswith(old))
        ratio = statistics.median(x / y for x, y in zip(times[a], times[b], strict=True))
        print(f"{new}/{old}: {ratio:.2f}x")
    pipe.close()


def _drain(fd: int) -> None:
    while os.read(fd, 1 << 16):
        pass


if __name__ == "__main__":
    main()
