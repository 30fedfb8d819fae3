"""
What `import joblog` costs, from ``python -X importtime``, against its dependencies.

Each round starts a fresh interpreter with ``-X importtime -c "import joblog"`` and
reads the cumulative microseconds of the top-level imports; the figure is the median
over the rounds. ``import structlog`` alone, in the same interpreter, is the baseline:
joblog's own cost is the rest. Also lists any optional integration a bare
``import joblog`` pulled in (there should be none).

    python bench/importtime.py [--rounds 15]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from smoke_wheel import OPTIONAL_MODULES


def cumulative_us(statement: str, *, nested: bool = False) -> dict[str, int]:
    """Cumulative import time in microseconds of each module *statement* imports.

    Only the top-level imports (those *statement* asked for), unless *nested*.
    """
    stderr = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", statement],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stderr
    times = {}
    for line in stderr.splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        _self, cumulative, name = line.removeprefix("import time:").split("|")
        if cumulative.strip().isdigit() and (nested or not name.startswith("  ")):
            times[name.strip()] = int(cumulative)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--rounds", type=int, default=15)
    rounds = parser.parse_args().rounds

    joblog_ms, structlog_ms, total_ms = [], [], []
    for _ in range(rounds):
        times = cumulative_us("import structlog, joblog")
        structlog_ms.append(times["structlog"] / 1000)
        joblog_ms.append(times["joblog"] / 1000)
        total_ms.append(sum(times.values()) / 1000)
    seen = set(cumulative_us("import joblog", nested=True))
    pulled = sorted(name for name in seen if name.partition(".")[0] in OPTIONAL_MODULES)

    print(f"import time, median of {rounds} fresh interpreters ({sys.version.split()[0]}):")
    print(f"  import structlog                 {statistics.median(structlog_ms):7.1f} ms")
    print(f"  import joblog (after structlog)  {statistics.median(joblog_ms):7.1f} ms")
    print(f"  every top-level import           {statistics.median(total_ms):7.1f} ms")
    ratio = statistics.median(joblog_ms) / statistics.median(structlog_ms)
    print(f"  joblog's own / structlog's       {ratio:7.2f}x")
    print(f"  optional integrations imported: {', '.join(pulled) or 'none'}")


if __name__ == "__main__":
    main()
