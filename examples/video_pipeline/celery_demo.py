"""
The demo, composing on a Celery worker: ``python examples/video_pipeline/celery_demo.py``.

Starts ``redis-server`` on a free port of 127.0.0.1 (no persistence) and a
``celery worker`` (solo pool) for ``video_pipeline.celery_app``, runs
``demo.py --celery``, then prints ``joblog trace`` of the successful job over
the service's and the worker's log files: the compose task is a span of its
own, and the worker's lines carry the job's ``job_id``. Everything it starts
is stopped, and its files live in a temporary directory that is removed.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

__all__ = ["main", "services"]

HERE = Path(__file__).resolve().parent
#: Seconds redis-server and the worker get to come up.
START_TIMEOUT = 20.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(10)


def _wait(ready: Callable[[], bool], proc: subprocess.Popen[bytes], what: str) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while not ready():
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"{what} did not start in {START_TIMEOUT:.0f} s")
        time.sleep(0.05)


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def _is_ready(log: Path) -> bool:
    text = log.read_text()
    complete = text[: text.rfind("\n") + 1].splitlines()  # the last may be half written
    return any(json.loads(line)["message"].endswith("ready.") for line in complete)


def _start_redis(binary: str, workdir: Path) -> tuple[subprocess.Popen[bytes], int]:
    """redis-server on a free port, without persistence; a port taken meanwhile means a retry."""
    for _attempt in range(3):
        port = _free_port()
        proc = subprocess.Popen(  # noqa: S603
            [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(workdir)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            _wait(lambda: _answers(port), proc, "redis-server")  # noqa: B023 - called at once
        except RuntimeError:
            _stop(proc)
            continue
        return proc, port
    raise RuntimeError("redis-server did not start")


@contextmanager
def services(workdir: Path) -> Iterator[dict[str, str]]:
    """Redis and a compose worker (its lines in ``workdir/worker.jsonl``); yields the env to use."""
    redis_bin = shutil.which("redis-server")
    if redis_bin is None:
        raise RuntimeError("redis-server is not installed (Debian: apt-get install redis-server)")
    redis, port = _start_redis(redis_bin, workdir)
    try:
        env = {**os.environ, "VIDEO_PIPELINE_BROKER_URL": f"redis://127.0.0.1:{port}/0"}
        env["TMPDIR"] = str(workdir)  # the videos too: nothing is left behind
        # Celery warns a root user in plain text before logging is set up.
        env["PYTHONWARNINGS"] = "ignore:You're running the worker with superuser privileges"
        log = workdir / "worker.jsonl"
        log.touch()
        # Celery prints its shutdown notice on stdout, in plain text: the lines go to a file.
        worker_env = {**env, "VIDEO_PIPELINE_LOG_FILE": str(log)}
        with (workdir / "worker.out").open("wb") as out:
            worker = subprocess.Popen(  # noqa: S603
                [sys.executable, "-m", "celery", "-A", "video_pipeline.celery_app", "worker",
                 "-P", "solo", "-Q", "compose", "-n", f"compose-{port}@127.0.0.1",
                 "--without-gossip", "--without-mingle", "--without-heartbeat"],
                cwd=HERE.parent, env=worker_env, stdout=out, stderr=subprocess.STDOUT,
            )  # fmt: skip
        try:
            _wait(lambda: _is_ready(log), worker, f"the celery worker (see {out.name})")
            yield env
        finally:
            _stop(worker)
    finally:
        _stop(redis)


def _run(argv: list[str], **options: Any) -> int:
    return subprocess.run(argv, check=False, **options).returncode  # noqa: S603 - our own argv


def _succeeded_job(api_log: Path) -> str:
    for line in api_log.read_text().splitlines():
        event = json.loads(line)
        if event["message"] == "Job completed":
            return str(event["job_id"])
    raise RuntimeError("no job completed")


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="video-pipeline-celery-") as tmp:
        workdir = Path(tmp)
        api_log = workdir / "api.jsonl"
        with services(workdir) as env:
            demo = [sys.executable, str(HERE / "demo.py"), "--celery", "--log-file", str(api_log)]
            code = _run(demo, env=env, timeout=120)
        job_id = _succeeded_job(api_log)
        print(f"\njoblog trace {job_id} api.jsonl worker.jsonl\n", flush=True)
        trace = [sys.executable, "-m", "joblog", "trace", job_id, "api.jsonl", "worker.jsonl"]
        code |= _run(trace, cwd=workdir, timeout=60)
    return code


if __name__ == "__main__":
    raise SystemExit(main())
