"""A real ``python -m uvicorn`` process on 127.0.0.1, for tests that need the command itself."""

from __future__ import annotations

import json
import queue
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


class Served:
    """The running server: its ``url`` and ``process``; ``output`` is complete once it stopped."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.process = process
        self.url = ""
        self.output: list[str] = []
        self.returncode: int | None = None


@contextmanager
def uvicorn_process(
    cwd: Path, *args: str, stop: signal.Signals = signal.SIGINT
) -> Iterator[Served]:
    """
    Run ``python -m uvicorn ARGS --host 127.0.0.1 --port 0`` in *cwd* until the block ends.

    Waits (30 s at most) for uvicorn's "Uvicorn running on" line, whose JSON
    message gives the URL, then yields.  Afterwards the server gets *stop*
    and 30 s to exit before it is killed, and every line it wrote, stdout and
    stderr together, is in ``output``.
    """
    command = [sys.executable, "-m", "uvicorn", *args, "--host", "127.0.0.1", "--port", "0"]
    lines: queue.Queue[str | None] = queue.Queue()
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=cwd
    ) as process:
        served = Served(process)

        def read() -> None:
            assert process.stdout is not None
            for line in process.stdout:
                lines.put(line)
            lines.put(None)

        reader = threading.Thread(target=read, name="uvicorn-stdout")
        reader.start()
        try:
            while not served.url:
                line = lines.get(timeout=30)
                assert line is not None, "".join(served.output)
                served.output.append(line)
                if "Uvicorn running on" in line:
                    served.url = json.loads(line)["message"].split()[3]
            yield served
            process.send_signal(stop)
            served.returncode = process.wait(timeout=30)
        finally:
            if process.poll() is None:
                process.kill()
            reader.join(30)
    while (line := lines.get_nowait()) is not None:
        served.output.append(line)
